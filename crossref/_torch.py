"""Every private PyTorch API crossref touches, in one place.

torch._subclasses, torch._C and friends move between releases. Each use below says
why the public API is not enough, so that a torch upgrade that breaks one touches
this file alone (tests/test_torch_api.py checks each against the installed torch).
"""

from __future__ import annotations

import contextlib
import logging
import os
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


def all_schemas(namespaces=lambda namespace: True) -> list[torch._C.FunctionSchema]:
    """Every registered schema whose namespace passes the filter (custom ops registered
    with torch.library are listed too). torch.ops is lazy and has no listing of its own."""
    return [s for s in torch._C._jit_get_all_schemas() if namespaces(s.name.split("::", 1)[0])]


def custom_op_overload(obj) -> torch._ops.OpOverload | None:
    """The OpOverload of a torch.library.custom_op function (a CustomOpDef), else None.
    CustomOpDef keeps it in a private attribute."""
    try:
        from torch._library.custom_ops import CustomOpDef
    except ImportError:
        return None
    return obj._opoverload if isinstance(obj, CustomOpDef) else None


def _opdefs() -> dict:
    """torch.library.custom_op's registry of its ops, qualified name -> CustomOpDef
    (private: torch._library.custom_ops.OPDEFS); empty where torch has none."""
    try:
        from torch._library.custom_ops import OPDEFS
    except ImportError:
        return {}
    return dict(OPDEFS)


def _module_of(opdef) -> str | None:
    return getattr(getattr(opdef, "_init_fn", None), "__module__", None)


def custom_op_modules() -> list[str]:
    """The modules torch.library.custom_op ops were defined in."""
    return list(dict.fromkeys(m for m in map(_module_of, _opdefs().values()) if m))


def defining_module(qualname: str) -> str | None:
    """The module whose function torch.library.custom_op made the op ``ns::name`` of
    (for an op defined with a Library: that of a custom_op of the same namespace), or None."""
    opdefs = _opdefs()
    opdef = opdefs.get(qualname)
    if opdef is None:  # an op defined with a Library: a custom_op of its namespace says where it lives
        namespace = qualname.split("::", 1)[0] + "::"
        opdef = next((d for name, d in opdefs.items() if name.startswith(namespace)), None)
    return _module_of(opdef)


def dispatcher_op_names() -> frozenset[str]:
    """Names (ns::name.overload) the dispatcher knows; the JIT registry also lists
    TorchScript-only builtins such as aten::sin.int that no tensor call reaches."""
    return frozenset(torch._C._dispatch_get_all_op_names())


def has_kernel(qualified_name: str, dispatch_key: str) -> bool:
    """Whether the dispatcher holds a kernel for the op (aten::name.overload) under a key."""
    try:
        return bool(torch._C._dispatch_has_kernel_for_dispatch_key(qualified_name, dispatch_key))
    except RuntimeError:
        return False


# --------------------------------------------------------------------------- symbolic shapes
# torch.export and torch.compile(dynamic=True) trace with a ShapeEnv: fakes whose sizes
# are SymInts. There is no public way to build one outside a tracer; these are the
# pieces torch._dynamo itself uses (variables/builder.py wraps inputs the same way).

from torch.fx.experimental.symbolic_shapes import (  # noqa: E402
    DimDynamic,
    ShapeEnv,
    StatelessSymbolicContext,
)


_TRACE_LOGGER = "torch.__trace"


def new_symbolic_mode() -> tuple[FakeTensorMode, ShapeEnv]:
    """A fake mode with a fresh ShapeEnv, as torch.export builds one (no dispatch cache:
    a symbolic run is compared with the kernel, not with the cache).

    torch's structured trace logger (TORCH_TRACE) is enabled at DEBUG whether or not a
    trace is being written, and every symbol and fake conversion emits a record to it:
    a tenth of a symbolic check. Unless TORCH_TRACE is set, it is raised to WARNING once."""
    trace = logging.getLogger(_TRACE_LOGGER)
    if trace.level < logging.WARNING and not os.environ.get("TORCH_TRACE"):
        trace.setLevel(logging.WARNING)
    env = ShapeEnv()
    mode = FakeTensorMode(shape_env=env, allow_non_fake_inputs=False)
    mode.cache_enabled = False
    return mode, env


def python_dispatcher():
    """The Python dispatcher, which torch.export, make_fx and AOTAutograd switch on while
    they trace with symbolic shapes: ops then reach their Python meta registrations and
    decompositions (SymInt-aware) instead of C++ kernels that want concrete sizes.
    Tracing without it raises errors no compiler user sees."""
    from torch._dispatch.python import enable_python_dispatcher

    return enable_python_dispatcher()


def symbolic_fake(mode: FakeTensorMode, t: torch.Tensor, name: str, dynamic: tuple[bool, ...]) -> torch.Tensor:
    """``mode.from_tensor`` with the dims where ``dynamic`` is true marked dynamic (each
    gets a backed symbol; the ShapeEnv still specializes sizes 0 and 1), the rest static.
    ``name`` is the input's source name, as guards print it."""
    from torch._dynamo.source import LocalSource

    sizes = [DimDynamic.DYNAMIC if d else DimDynamic.STATIC for d in dynamic]
    return mode.from_tensor(t, source=LocalSource(name), symbolic_context=StatelessSymbolicContext(dynamic_sizes=sizes))


def symbolic_int(env: ShapeEnv, value: int, name: str) -> Any:
    """An int argument as a backed SymInt with hint ``value`` (how dynamo wraps an int
    input it treats as dynamic); 0 and 1 stay plain ints there too."""
    from torch._dynamo.source import ConstantSource

    return env.create_unspecified_symint_and_symbol(value, ConstantSource(name), DimDynamic.DYNAMIC)


def is_symbolic(x: Any) -> bool:
    return isinstance(x, torch.SymInt | torch.SymFloat | torch.SymBool)


def hint(x: Any) -> Any:
    """The concrete value a symbolic number stands for (what the real run computes),
    None for an unbacked one; other values as they are. Reading the hint installs no
    guard (``int(x)`` would)."""
    if not is_symbolic(x):
        return x
    node = x.node
    if node.has_hint():
        return node.hint
    return None


def value_range(x: Any) -> tuple[int, int] | None:
    """The range the ShapeEnv allows an (unbacked) symbolic int, as ints (bounds capped)."""
    if not isinstance(x, torch.SymInt):
        return None
    vr = x.node.shape_env.bound_sympy(x.node.expr)

    def bound(v, default):
        try:
            return int(v)
        except Exception:  # noqa: BLE001 - sympy's infinities raise several types
            return default

    return bound(vr.lower, -(2**63)), bound(vr.upper, 2**63 - 1)


def input_symbol(x: Any) -> Any:
    """The sympy symbol of a SymInt made from an input (None for a constant)."""
    if isinstance(x, torch.SymInt) and x.node.expr.is_symbol:
        return x.node.expr
    return None


def specializations(env: ShapeEnv, symbols: dict) -> list[tuple[Any, str]]:
    """Input symbols (``symbols``: symbol -> what it is) the ShapeEnv has fixed to a
    number, each with the guard that did it. A replacement by a number, or a value range
    of one point, is a specialization; a replacement by another symbol (broadcasting's
    equal sizes) is not."""
    found = []
    for sym in symbols:
        target = env.replacements.get(sym)
        fixed = target is not None and target.is_number
        if not fixed:
            vr = env.var_to_range.get(sym)
            fixed = vr is not None and vr.is_singleton()
        if fixed:
            # The guard that fixed it: of those naming the symbol, the one with fewest symbols.
            named = [g.expr for g in env.guards if sym in g.expr.free_symbols]
            guard = str(min(named, key=lambda e: len(e.free_symbols))) if named else None
            found.append((sym, guard or f"Eq({sym}, {target if target is not None else env.var_to_range[sym].lower})"))
    return found


# --------------------------------------------------------------------------- dispatch


from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402  (public in use, private in path)


class OpLog(TorchDispatchMode):
    """Records every ATen op that runs under it and what it returned (``describe(out)``
    for each), in order: how backward mode sees the ops inside a backward pass. Pushed
    above a FakeTensorMode it sees the fake calls before fake mode answers them."""

    def __init__(self, describe) -> None:
        super().__init__()
        self.describe = describe
        self.calls: list[tuple[str, Any]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = str(func)
        if name.startswith("aten."):  # not fake mode's own queries (prim.device) of its tensors
            self.calls.append((name, self.describe(out)))
        return out
