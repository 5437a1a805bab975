"""Planted bugs: deliberately wrong fake-mode behaviour, for tests that check the
harness catches them. Not a test module (pytest collects test_*.py only).

Each plant wraps ``FakeTensorMode.dispatch`` for one ATen overload and makes fake
mode answer wrongly, in one way, for some inputs. ``install(name)`` applies it and
returns the undo; ``python -c "import plants; plants.install(NAME); ..."`` applies
it in a repro's subprocess (see ``run_under_plant``), so a repro script written by
the harness can be checked to reproduce the planted bug and only it.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch._subclasses.fake_tensor import DynamicOutputShapeException, FakeTensorMode

aten = torch.ops.aten
HERE = Path(__file__).resolve().parent

# fn(func, call, args, kwargs) -> result, where call() runs fake mode's own dispatch.
Behaviour = Callable[[Any, Callable[[], Any], tuple, dict], Any]


@dataclass(frozen=True)
class Plant:
    op: str  # the overload it breaks, as str(OpOverload) prints it
    category: str  # the category the harness must report
    behaviour: Behaviour
    doc: str


#: A custom op whose fake implementation is wrong from birth (register_fake forgets that
#: the op doubles its input's length). Defined when this module is imported, so a repro
#: run under ``run_script`` finds it too.
CUSTOM_OP = "crossref_selftest.twice.default"


def _define_custom_op() -> None:
    if hasattr(torch.ops.crossref_selftest, "twice"):
        return

    @torch.library.custom_op("crossref_selftest::twice", mutates_args=())
    def twice(x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, x])

    @twice.register_fake
    def _(x):
        return torch.empty_like(x)  # deliberately wrong: forgets the doubling


_define_custom_op()


def _is_float(t: torch.Tensor) -> bool:
    return t.dtype.is_floating_point or t.dtype.is_complex


def _two_d(args) -> bool:
    return all(isinstance(a, torch.Tensor) and a.dim() == 2 for a in args[:2])


def _any_float16(args) -> bool:
    return any(isinstance(a, torch.Tensor) and a.dtype == torch.float16 for a in args)


def _broadcasts(args) -> bool:
    return len(args) > 1 and isinstance(args[1], torch.Tensor) and tuple(args[0].shape) != tuple(args[1].shape)


def _empty_inputs(args) -> bool:
    return any(isinstance(a, torch.Tensor) and a.numel() == 0 for a in args)


def _mm_fake_accepts_inner_mismatch(func, call, args, kwargs):
    try:
        return call()
    except RuntimeError:
        a, b = args[0], args[1]
        if _two_d(args) and a.dtype == b.dtype and a.shape[1] != b.shape[0]:
            return a.new_empty((a.shape[0], b.shape[1]))
        raise


def _mm_raises_on_empty(func, call, args, kwargs):
    if _empty_inputs(args):
        raise RuntimeError("planted: mm meta cannot handle empty inputs")
    return call()


def _unsupported(func, call, args, kwargs):
    raise DynamicOutputShapeException(func)


def _mutate_other(func, call, args, kwargs):
    out = call()
    other = args[1] if len(args) > 1 else kwargs.get("other")
    if isinstance(other, torch.Tensor) and other is not args[0]:
        other.unsqueeze_(0)  # metadata-only mutation of an input fake mode must not touch
    return out


def _second_output_views_first(func, call, args, kwargs):
    out = call()
    first, second = out
    if first.shape == second.shape and first.dtype == second.dtype:
        return first, first.view(first.shape)
    return out


def _after(change: Callable[[Any, tuple, dict], Any]) -> Behaviour:
    def behaviour(func, call, args, kwargs):
        return change(call(), args, kwargs)

    return behaviour


def _dim_arg(args, kwargs) -> int:
    return args[1] if len(args) > 1 else kwargs["dim"]


PLANTS: dict[str, Plant] = {
    "shape": Plant("aten.mm.default", "shape", _after(lambda o, a, k: o.new_empty((*o.shape, 1))),
                   "mm's output gains a trailing dim of 1"),
    "dtype": Plant("aten.mm.default", "dtype",
                   _after(lambda o, a, k: o.to(torch.float32 if o.dtype == torch.float64 else torch.float64)),
                   "mm's output has the wrong dtype"),
    "device": Plant("aten.mm.default", "device", _after(lambda o, a, k: o.to("meta")),
                    "mm's output lands on the meta device"),
    "stride": Plant("aten.mm.default", "stride", _after(lambda o, a, k: o.t().contiguous().t()),
                    "mm's output is column-major"),
    "storage_offset": Plant("aten.clone.default", "storage_offset",
                            _after(lambda o, a, k: o.new_empty(o.numel() + 1)[1:].view(o.shape)),
                            "clone's output starts one element into its storage"),
    "alias_input": Plant("aten.clone.default", "alias", _after(lambda o, a, k: a[0]),
                         "clone returns its input instead of a new tensor"),
    "alias_copy": Plant("aten.t.default", "alias", _after(lambda o, a, k: o.clone()),
                        "t returns a new tensor instead of a view of its input"),
    "mutation": Plant("aten.add_.Tensor", "mutation", _mutate_other,
                      "add_ changes the metadata of `other` (unsqueeze_)"),
    "requires_grad": Plant("aten.mm.default", "requires_grad",
                           _after(lambda o, a, k: o.requires_grad_() if _is_float(o) else o),
                           "mm's floating output requires grad"),
    "conj_neg": Plant("aten.clone.default", "conj_neg",
                      _after(lambda o, a, k: torch._neg_view(o) if _is_float(o) and not o.is_neg() else o),
                      "clone's floating output has the neg bit set"),
    "structure": Plant("aten.unbind.int", "structure", _after(lambda o, a, k: list(o)[:-1] if len(o) else o),
                       "unbind returns one tensor too few"),
    "value": Plant("aten.is_same_size.default", "value", _after(lambda o, a, k: not o),
                   "is_same_size answers the opposite"),
    "layout": Plant("aten.mm.default", "layout", _after(lambda o, a, k: o.to_sparse()), "mm's output is sparse"),
    "alias_outputs": Plant("aten.var_mean.correction", "alias", _second_output_views_first,
                           "var_mean's mean is a view of its var (the outputs share storage)"),
    "missing_error": Plant("aten.mm.default", "missing_error", _mm_fake_accepts_inner_mismatch,
                           "mm accepts operands whose inner dims differ"),
    "spurious_error": Plant("aten.mm.default", "spurious_error", _mm_raises_on_empty,
                            "mm raises a plain RuntimeError for empty operands"),
    "unsupported": Plant("aten.clone.default", "unsupported", _unsupported,
                         "clone declares a dynamic output shape"),
    # Bugs that show only for some inputs.
    "stride_noncontiguous": Plant(
        "aten.mm.default", "stride",
        _after(lambda o, a, k: o if a[0].is_contiguous() else o.t().contiguous().t()),
        "mm's output is column-major, only when self is not contiguous"),
    "dtype_float16": Plant(
        "aten.add.Tensor", "dtype",
        _after(lambda o, a, k: o.to(torch.float32 if o.dtype == torch.float64 else torch.float64)
               if _any_float16(a) else o),
        "add with a float16 operand returns the wrong dtype"),
    "shape_0d": Plant("aten.add.Tensor", "shape", _after(lambda o, a, k: o.unsqueeze(0) if o.dim() == 0 else o),
                      "add of 0-d tensors returns shape [1]"),
    "shape_negative_dim": Plant(
        "aten.cumsum.default", "shape",
        _after(lambda o, a, k: o.new_empty((*o.shape, 1)) if _dim_arg(a, k) < 0 else o),
        "cumsum with a negative dim returns a trailing dim of 1"),
    "shape_broadcast": Plant(
        "aten.add.Tensor", "shape",
        _after(lambda o, a, k: o.new_empty(a[1].shape) if _broadcasts(a) else o),
        "add gets broadcasting wrong: when the operands' shapes differ, the output takes other's shape"),
}


@contextlib.contextmanager
def planted(name: str):
    undo = install(name)
    try:
        yield PLANTS[name]
    finally:
        undo()


def install(name: str) -> Callable[[], None]:
    """Break fake mode as ``PLANTS[name]`` says; returns the function that undoes it."""
    plant = PLANTS[name]
    _, packet, overload = plant.op.split(".", 2)
    target = getattr(getattr(aten, packet), overload)
    original = FakeTensorMode.dispatch

    def dispatch(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not target:
            return original(self, func, types, args, kwargs)
        return plant.behaviour(func, lambda: original(self, func, types, args, kwargs), args, kwargs)

    FakeTensorMode.dispatch = dispatch

    def undo() -> None:
        FakeTensorMode.dispatch = original

    return undo


def run_script(script: str | Path, plant: str | None = None, *, custom_ops: bool = False,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a repro script in a fresh interpreter (``sys.executable``).

    With ``plant``, the script first runs once with nothing planted (its exit code is
    printed as ``CLEAN-EXIT <code>``), then with the plant installed, uncaught: the
    process's exit code is the script's under the plant. One interpreter for both
    saves a torch import per check. ``custom_ops``: import this module first (it
    defines CUSTOM_OP), then run the script once.
    """
    if plant is None and not custom_ops:
        return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=timeout)
    lines = ["import sys, runpy", f"sys.path.insert(0, {str(HERE)!r})", "import plants",
             f"sys.argv = [{str(script)!r}]"]
    if plant is not None:
        lines += ["try:", f"    runpy.run_path({str(script)!r}, run_name='__main__')", "    clean = 0",
                  "except SystemExit as exc:", "    clean = exc.code", "print('CLEAN-EXIT', clean, flush=True)",
                  f"plants.install({plant!r})"]
    lines.append(f"runpy.run_path({str(script)!r}, run_name='__main__')")
    return subprocess.run([sys.executable, "-c", "\n".join(lines)], capture_output=True, text=True, timeout=timeout)


def clean_exit(result: subprocess.CompletedProcess) -> int | None:
    """The exit code of the unplanted run inside ``run_script(..., plant)``."""
    for line in result.stdout.splitlines():
        if line.startswith("CLEAN-EXIT "):
            return int(line.split()[1])
    return None
