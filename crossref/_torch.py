"""Every private PyTorch API crossref touches, in one place.

torch._subclasses, torch._C and friends move between releases. Each use below says
why the public API is not enough, so that a torch upgrade that breaks one touches
this file alone (tests/test_torch_api.py checks each against the installed torch).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator

import torch

# FakeTensorMode is the object under test; there is no public spelling of it.
from torch._subclasses.fake_tensor import (  # noqa: F401
    DataDependentOutputException,
    DynamicOutputShapeException,
    FakeTensorMode,
    UnsupportedOperatorException,
)

# StorageWeakRef compares storages of real and fake tensors alike (fake tensors have
# no data_ptr); fake_utils.py uses it for the same reason.
from torch.multiprocessing.reductions import StorageWeakRef

_FAKE_LOGGER = "torch._subclasses.fake_tensor"

#: Exceptions by which fake mode declares "I cannot answer this without data".
#: They are limitations, not bugs: the oracle files them under ``unsupported``.
DECLARED_LIMITATIONS: tuple[type[BaseException], ...] = (
    DynamicOutputShapeException,
    DataDependentOutputException,
    UnsupportedOperatorException,
)
try:  # data-dependent guards raise this; it moved between releases
    from torch.fx.experimental.symbolic_shapes import GuardOnDataDependentSymNode

    DECLARED_LIMITATIONS += (GuardOnDataDependentSymNode,)
except ImportError:  # pragma: no cover - older torch
    pass


def new_fake_mode(*, cache: bool = True, torch_crosscheck: bool = False) -> FakeTensorMode:
    """A fresh mode, built the way torch.compile builds one for static shapes.

    ``cache=False`` turns its dispatch cache off (every call computed fresh);
    ``torch_crosscheck=True`` turns on torch's own check that recomputes each cache hit
    and raises when it differs. Both are attributes the constructor sets from
    torch._dynamo.config; setting them on the instance leaves the global config alone.
    """
    mode = FakeTensorMode(allow_non_fake_inputs=False)
    mode.cache_enabled = bool(cache) and mode.cache_enabled
    mode.cache_crosscheck_enabled = bool(torch_crosscheck)
    return mode


def clear_fake_cache() -> None:
    """Empty the process-global dispatch cache (a class attribute of FakeTensorMode)."""
    FakeTensorMode.cache_clear()


def fake_cache_info() -> dict[str, Any]:
    """The process-global cache counters, as plain values."""
    info = FakeTensorMode.cache_info()
    return {
        "hits": int(info.hits),
        "misses": int(info.misses),
        "bypasses": {str(k): int(v) for k, v in dict(info.bypasses).items()},
        "size": int(info.size),
    }


def cache_counters() -> tuple[int, int, dict[str, int]]:
    """(hits, misses, bypasses by reason) right now, cheaply (no size computation)."""
    return (int(FakeTensorMode.cache_hits), int(FakeTensorMode.cache_misses),
            {str(k): int(v) for k, v in FakeTensorMode.cache_bypasses.items()})


class _QuietFilter(logging.Filter):
    """Drops fake mode's log records while crossref is inside a fake call."""

    depth = 0

    def filter(self, record: logging.LogRecord) -> bool:
        return self.depth == 0


_QUIET = _QuietFilter()


@contextlib.contextmanager
def quiet_fake_logging() -> Iterator[None]:
    """Silence fake mode's ERROR traceback for every failed meta call.

    FakeTensorMode logs a full traceback (``failed while attempting to run meta``)
    before re-raising. crossref captures the exception itself as data, so the log
    line is pure cost: formatting it dominates the time of a failing call and floods
    the output. A filter on that one logger drops its records inside the block (and
    only there). A filter, not ``setLevel``: setLevel clears every logger's level
    cache, which profiling showed costs about 1 ms per call.
    """
    logger = logging.getLogger(_FAKE_LOGGER)
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)
    _QUIET.depth += 1
    try:
        yield
    finally:
        _QUIET.depth -= 1


def storage_key(t: torch.Tensor) -> StorageWeakRef | None:
    """A hashable identity of t's storage, for real and fake tensors alike."""
    if t.layout != torch.strided:
        return None
    try:
        return StorageWeakRef(t.untyped_storage())
    except (RuntimeError, NotImplementedError):
        return None


def neg_view(t: torch.Tensor) -> torch.Tensor:
    """A view of t with the negative bit set (only reachable through torch._neg_view)."""
    return torch._neg_view(t)


def all_aten_schemas() -> list[torch._C.FunctionSchema]:
    """Every registered aten schema. torch.ops.aten is lazy and has no listing of its own."""
    return [s for s in torch._C._jit_get_all_schemas() if s.name.startswith("aten::")]


def dispatcher_op_names() -> frozenset[str]:
    """Names (aten::name.overload) the dispatcher knows; the JIT registry also lists
    TorchScript-only builtins such as aten::sin.int that no tensor call reaches."""
    return frozenset(torch._C._dispatch_get_all_op_names())


def has_kernel(qualified_name: str, dispatch_key: str) -> bool:
    """Whether the dispatcher holds a kernel for the op (aten::name.overload) under a key."""
    try:
        return bool(torch._C._dispatch_has_kernel_for_dispatch_key(qualified_name, dispatch_key))
    except RuntimeError:
        return False
