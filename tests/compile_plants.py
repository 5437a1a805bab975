"""Planted consequences: fake-mode bugs whose effect on a compiled program is known, for
the consequence probe's tests (tests/test_impact.py). Not a test module.

Each ``CONSEQUENCES`` entry names an op, how to break it and the consequence
(taxonomy.Impact) a compiled program must show:

- ``wrong_metadata``: a fake stride bug on an op inductor lowers itself (abs of a
  permuted input answers contiguous strides: tests/plants.py's ``abs_permuted``);
  inductor lays its output out as fake mode said, eager does not;
- ``runtime_assert``: a fake stride bug on an op inductor runs as a fallback kernel (a
  custom op, tests/custom_ops.py's ``stride_follows_input``): inductor checks the
  kernel's output strides against fake mode's at run time;
- ``accepts_invalid``: a missing check in what the compiler runs (the kernel refuses an
  empty input; the planted fake answer and the planted decomposition inductor uses do
  not check);
- ``wrong_values``: a decomposition planted to compute wrong values (inductor's computes
  3x where the kernel computes 2x), with a planted fake answer that keeps a permuted
  input's strides where the kernel's output is contiguous (so there is a finding);
- ``compile_error``: a spurious fake error (tests/plants.py's ``spurious_error``: mm's
  fake raises for empty operands).

``planted(name)`` applies one for a ``with`` block. The custom ops of this module are
right until a plant breaks them; ``runtime_assert``'s op is wrong from birth, and its
correct twin is the control.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch
from torch import Tensor
from torch._subclasses.fake_tensor import FakeTensorMode

import custom_ops  # noqa: F401  (registers crossref_test.stride_follows_input)
import plants

NS = "crossref_compile"


def _define() -> None:
    if hasattr(torch.ops, NS) and hasattr(getattr(torch.ops, NS), "double_checked"):
        return

    @torch.library.custom_op(f"{NS}::double_checked", mutates_args=())
    def double_checked(x: Tensor) -> Tensor:
        if x.numel() == 0:
            raise ValueError("double_checked: the input is empty")
        return x * 2

    @double_checked.register_fake
    def _(x):
        torch._check(x.numel() != 0, lambda: "double_checked: the input is empty")
        return torch.empty_like(x)

    @torch.library.custom_op(f"{NS}::double_contiguous", mutates_args=())
    def double_contiguous(x: Tensor) -> Tensor:
        return (x * 2).contiguous()

    @double_contiguous.register_fake
    def _(x):
        return torch.empty(x.shape, dtype=x.dtype, device=x.device)


_define()


def _wrap_fake(op, behaviour) -> callable:
    """Fake mode answers ``op`` through ``behaviour(func, call, args, kwargs)`` (as
    tests/plants.py breaks aten ops); returns the undo."""
    original = FakeTensorMode.dispatch

    def dispatch(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not op:
            return original(self, func, types, args, kwargs)
        return behaviour(func, lambda: original(self, func, types, args, kwargs), args, kwargs)

    FakeTensorMode.dispatch = dispatch

    def undo() -> None:
        FakeTensorMode.dispatch = original

    return undo


def _both(*installs) -> callable:
    """Install several plants at once; returns the undo of all."""
    undos = [install() for install in installs]

    def undo() -> None:
        for u in reversed(undos):
            u()

    return undo


def _inductor_decomposition(op, fn):
    """Make inductor (and aot_eager_decomp_partition) decompose ``op`` with ``fn``;
    returns the undo. Inductor's decomposition table is private: test-only."""
    from torch._inductor import decomposition

    # select_decomp_table() answers a cached copy of the table (fast_random_decomps).
    tables = [decomposition.decompositions, decomposition.select_decomp_table()]
    for table in tables:
        table[op] = fn

    def undo() -> None:
        for table in tables:
            table.pop(op, None)

    return undo


def _no_plant() -> callable:
    return lambda: None


def _accepts_empty():
    op = torch.ops.crossref_compile.double_checked.default
    return _both(lambda: _wrap_fake(op, lambda func, call, args, kwargs: torch.empty_like(args[0])),
                 lambda: _inductor_decomposition(op, lambda x: x * 2))


def _triples_keeping_layout():
    op = torch.ops.crossref_compile.double_contiguous.default
    return _both(lambda: _wrap_fake(op, lambda func, call, args, kwargs: torch.empty_like(args[0])),
                 lambda: _inductor_decomposition(op, lambda x: x * 3))


@dataclass(frozen=True)
class Consequence:
    op: str  # the op the sweep checks
    category: str  # the category of the finding whose consequence it is
    impact: str  # what a compiled program shows
    install: callable  # () -> undo
    control: str = ""  # the op a control run checks instead (its correct twin), when the bug is from birth


CONSEQUENCES: dict[str, Consequence] = {
    "wrong_metadata": Consequence("aten.abs.default", "stride", "wrong_metadata",
                                  lambda: plants.install("abs_permuted")),
    "runtime_assert": Consequence("crossref_test.stride_follows_input.default", "stride", "runtime_assert", _no_plant,
                                  control="crossref_test.stride_follows_input_ok.default"),
    "accepts_invalid": Consequence(f"{NS}.double_checked.default", "missing_error", "accepts_invalid",
                                   _accepts_empty),
    "wrong_values": Consequence(f"{NS}.double_contiguous.default", "stride", "wrong_values", _triples_keeping_layout),
    "compile_error": Consequence("aten.mm.default", "spurious_error", "compile_error",
                                 lambda: plants.install("spurious_error")),
}


@contextlib.contextmanager
def planted(name: str):
    undo = CONSEQUENCES[name].install()
    try:
        yield CONSEQUENCES[name]
    finally:
        undo()
