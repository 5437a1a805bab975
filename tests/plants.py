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
from torch._subclasses.fake_tensor import FakeTensorMode, UnsupportedOperatorException

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
    raise UnsupportedOperatorException(func)


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
                         "clone has no fake implementation (a declared limitation)"),
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


# ----------------------------------------------------------------- conditional bugs (depth)
#
# Each breaks one overload for one input pattern only: a layout, a dtype, a 0-d or empty
# operand, broadcasting, a negative dim, an argument value, an out= tensor of the wrong
# size or dtype. They measure the search's depth at the ci budget (tests/test_depth.py,
# bench/depth.py). The ops were chosen so that torch 2.13's own fake mode is right for
# them in the planted category (the control runs check that).


def _arg(args, kwargs, index: int, name: str, default=None):
    """An argument as the dispatcher hands it to a mode: positional up to the last one
    given, kwarg-only in kwargs, trailing defaults left out."""
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _column_major_like(o):
    """``o``'s values in column-major order: strides differ when two dims exceed 1."""
    return o.new_empty(tuple(reversed(o.shape))).permute(*reversed(range(o.dim()))) if o.dim() >= 2 else o


def _expanded(t) -> bool:
    return any(st == 0 and s > 1 for s, st in zip(t.shape, t.stride()))


def _sliced(t) -> bool:
    """Strided with a step: not dense in its storage in any order."""
    return t.numel() > 1 and not t.is_contiguous() and not dense(t)


def dense(t) -> bool:
    """Whether t's elements are packed without gaps in some order of its dims."""
    order = sorted(range(t.dim()), key=lambda d: t.stride(d))
    acc = 1
    for d in order:
        if t.shape[d] > 1 and t.stride(d) != acc:
            return False
        acc *= t.shape[d]
    return True


def _permuted(t) -> bool:
    return t.dim() >= 2 and t.numel() > 1 and not t.is_contiguous() and dense(t) and not _expanded(t)


def _channels_last(t) -> bool:
    return t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(memory_format=torch.channels_last)


def _int(t) -> bool:
    return not t.dtype.is_floating_point and not t.dtype.is_complex and t.dtype != torch.bool


def _is_0d(t) -> bool:
    return isinstance(t, torch.Tensor) and t.dim() == 0


def _pieces(t, sizes, dim):
    """The pieces split_with_sizes would answer for ``sizes`` along ``dim``, whatever their sum."""
    dim = dim % t.dim()
    return [t.new_empty((*t.shape[:dim], s, *t.shape[dim + 1:])) for s in sizes]


def _keep(dtype):
    return lambda o, a, k: o.to(dtype)


def _when(cond, change) -> Behaviour:
    """Apply ``change(out, args, kwargs)`` to fake mode's own answer when ``cond(args, kwargs)``."""
    def behaviour(func, call, args, kwargs):
        out = call()
        return change(out, args, kwargs) if cond(args, kwargs) else out

    return behaviour


def _accept_when(cond, answer) -> Behaviour:
    """Fake mode swallows its own error and answers ``answer(args, kwargs)`` when ``cond``."""
    def behaviour(func, call, args, kwargs):
        try:
            return call()
        except Exception:
            if cond(args, kwargs):
                return answer(args, kwargs)
            raise

    return behaviour


def _raise_when(cond) -> Behaviour:
    def behaviour(func, call, args, kwargs):
        if cond(args, kwargs):
            raise RuntimeError("planted: meta kernel rejects this input")
        return call()

    return behaviour


def _resize_skipped(func, call, args, kwargs):
    """An out= overload that leaves an out tensor of the wrong size as it is."""
    out = kwargs.get("out")
    before = tuple(out.shape) if isinstance(out, torch.Tensor) else None
    result = call()
    if before is not None and before != tuple(result.shape) and 0 in before:
        with contextlib.suppress(Exception):
            result.resize_(before)
    return result


CONDITIONAL: dict[str, Plant] = {
    "clone_channels_last": Plant(
        "aten.clone.default", "stride",
        _when(lambda a, k: k.get("memory_format") == torch.channels_last and a[0].dim() == 4,
              lambda o, a, k: o.contiguous()),
        "clone(memory_format=channels_last) answers a contiguous tensor"),
    "clone_channels_last_3d": Plant(
        "aten.clone.default", "stride",
        _when(lambda a, k: k.get("memory_format") == torch.channels_last_3d and a[0].dim() == 5,
              lambda o, a, k: o.contiguous()),
        "clone(memory_format=channels_last_3d) answers a contiguous tensor"),
    "clone_conj": Plant(
        "aten.clone.default", "conj_neg",
        _when(lambda a, k: a[0].is_conj(), lambda o, a, k: o.conj()),
        "clone of a conj view keeps the conj bit (the kernel resolves it)"),
    "neg_expanded": Plant(
        "aten.neg.default", "stride",
        _when(lambda a, k: _expanded(a[0]), lambda o, a, k: _column_major_like(o)),
        "neg of an expanded input answers column-major strides"),
    "where_broadcast_condition": Plant(
        "aten.where.self", "shape",
        _when(lambda a, k: tuple(a[0].shape) != tuple(torch.broadcast_shapes(a[0].shape, a[1].shape, a[2].shape)),
              lambda o, a, k: o.new_empty(a[0].shape)),
        "where.self takes the condition's shape when the condition must broadcast"),
    "unsqueeze_dim_below_minus1": Plant(
        "aten.unsqueeze.default", "shape",
        _when(lambda a, k: _arg(a, k, 1, "dim") < -1, lambda o, a, k: o.new_empty((*a[0].shape, 1))),
        "unsqueeze with a dim below -1 appends the new dim"),
    "sum_bool": Plant(
        "aten.sum.default", "dtype",
        _when(lambda a, k: a[0].dtype == torch.bool and k.get("dtype") is None, _keep(torch.bool)),
        "sum of a bool tensor stays bool (the kernel promotes to int64)"),
    "mul_0d_float_int": Plant(
        "aten.mul.Tensor", "dtype",
        _when(lambda a, k: _int(a[0]) and a[0].dim() > 0 and _is_0d(a[1]) and a[1].dtype.is_floating_point,
              lambda o, a, k: o.to(a[0].dtype)),
        "mul of an integer tensor by a 0-d float tensor keeps the integer dtype"),
    "relu_channels_last": Plant(
        "aten.relu.default", "stride",
        _when(lambda a, k: _channels_last(a[0]), lambda o, a, k: o.contiguous()),
        "relu of a channels_last input answers contiguous strides"),
    "abs_permuted": Plant(
        "aten.abs.default", "stride",
        _when(lambda a, k: _permuted(a[0]), lambda o, a, k: o.contiguous()),
        "abs of a permuted input answers contiguous strides"),
    "sigmoid_sliced": Plant(
        "aten.sigmoid.default", "stride",
        _when(lambda a, k: _sliced(a[0]) and a[0].dim() >= 2, lambda o, a, k: _column_major_like(o)),
        "sigmoid of a stepped slice answers column-major strides"),
    "abs_complex": Plant(
        "aten.abs.default", "dtype",
        _when(lambda a, k: a[0].dtype.is_complex, lambda o, a, k: o.to(a[0].dtype)),
        "abs of a complex tensor stays complex"),
    "mean_keepdim": Plant(
        "aten.mean.dim", "shape",
        _when(lambda a, k: bool(_arg(a, k, 2, "keepdim", False)) and a[0].dim() > 0,
              lambda o, a, k: o.new_empty([s for s in o.shape if s != 1] or [])),
        "mean(keepdim=True) drops the kept dims of size 1"),
    "amax_negative_dim": Plant(
        "aten.amax.default", "shape",
        _when(lambda a, k: any(d < 0 for d in (_arg(a, k, 1, "dim", []) or [])),
              lambda o, a, k: o.new_empty((*o.shape, 1))),
        "amax with a negative dim gains a trailing dim"),
    "cat_empty": Plant(
        "aten.cat.default", "shape",
        _when(lambda a, k: any(t.numel() == 0 for t in a[0]) and len(a[0]) > 1,
              lambda o, a, k: o.new_empty((*o.shape[:-1], o.shape[-1] + 1)) if o.dim() else o),
        "cat with an empty operand gets the last size one too large"),
    "softmax_half": Plant(
        "aten._softmax.default", "dtype",
        _when(lambda a, k: a[0].dtype == torch.float16 and not a[2], _keep(torch.float32)),
        "_softmax of float16 answers float32"),
    "index_select_0d_index": Plant(
        "aten.index_select.default", "shape",
        _when(lambda a, k: _is_0d(a[2]) and a[0].dim() > 0, lambda o, a, k: o.new_empty((*o.shape, 1))),
        "index_select with a 0-d index gains a trailing dim"),
    "cumsum_small_int": Plant(
        "aten.cumsum.default", "dtype",
        _when(lambda a, k: (a[0].dtype in (torch.int8, torch.uint8, torch.int16, torch.int32, torch.bool))
              and k.get("dtype") is None, lambda o, a, k: o.to(a[0].dtype)),
        "cumsum of a small integer or bool tensor keeps its dtype (the kernel gives int64)"),
    "add_scalar_float_on_int": Plant(
        "aten.add.Scalar", "dtype",
        _when(lambda a, k: _int(a[0]) and isinstance(a[1], float), lambda o, a, k: o.to(a[0].dtype)),
        "add.Scalar of an integer tensor and a float scalar keeps the integer dtype"),
    "add_mixed_half": Plant(
        "aten.add.Tensor", "dtype",
        _when(lambda a, k: isinstance(a[1], torch.Tensor) and {a[0].dtype, a[1].dtype} == {torch.float16, torch.float32}
              and a[0].dim() > 0 and a[1].dim() > 0, _keep(torch.float16)),
        "add of a float16 and a float32 tensor answers float16"),
    "transpose_negative_dims": Plant(
        "aten.transpose.int", "shape",
        _when(lambda a, k: _arg(a, k, 1, "dim0") < 0 and _arg(a, k, 2, "dim1") < 0 and a[0].dim() > 1,
              lambda o, a, k: o.new_empty(a[0].shape) if tuple(a[0].shape) != tuple(o.shape) else o.new_empty((*o.shape, 1))),
        "transpose with two negative dims forgets to transpose"),
    "squeeze_dim_0d": Plant(
        "aten.squeeze.dim", "shape",
        _when(lambda a, k: a[0].dim() == 0, lambda o, a, k: o.new_empty((1,))),
        "squeeze of a 0-d tensor answers shape [1]"),
    "mul_complex_conj": Plant(
        "aten.mul.Tensor", "conj_neg",
        _when(lambda a, k: any(isinstance(t, torch.Tensor) and t.dtype.is_complex and t.dim() > 0 for t in a[:2]),
              lambda o, a, k: o.conj() if o.dtype.is_complex and not o.is_conj() else o),
        "mul with a complex operand answers a conj view"),
    "cumsum_empty_raises": Plant(
        "aten.cumsum.default", "spurious_error", _raise_when(lambda a, k: a[0].numel() == 0),
        "cumsum of an empty tensor raises in fake mode"),
    "bitwise_not_int8_raises": Plant(
        "aten.bitwise_not.default", "spurious_error", _raise_when(lambda a, k: a[0].dtype == torch.int8),
        "bitwise_not of int8 raises in fake mode"),
    "select_offset": Plant(
        "aten.select.int", "storage_offset",
        _when(lambda a, k: a[0].storage_offset() > 0 and o_numel(a),
              lambda o, a, k: o.as_strided(o.shape, o.stride(), o.storage_offset() - 1)),
        "select of an input at a storage offset lands one element early"),
    "permute_sliced_copies": Plant(
        "aten.permute.default", "alias",
        _when(lambda a, k: _sliced(a[0]), lambda o, a, k: o.clone()),
        "permute of a stepped slice answers a copy, not a view"),
    "add__broadcast_mutates": Plant(
        "aten.add_.Tensor", "mutation",
        _when(lambda a, k: isinstance(a[1], torch.Tensor) and tuple(a[1].shape) != tuple(a[0].shape) and a[0].dim() > 0,
              lambda o, a, k: a[0].as_strided_(a[0].shape, [0] * a[0].dim()) if a[0].numel() > 1 else o),
        "add_ with a broadcast other rewrites self's strides"),
    "mul_out_empty_not_resized": Plant(
        "aten.mul.out", "shape", _resize_skipped,
        "mul.out leaves an empty out tensor unresized"),
    "add_out_wrong_dtype_accepted": Plant(
        "aten.add.out", "missing_error",
        _accept_when(lambda a, k: isinstance(k.get("out"), torch.Tensor), lambda a, k: k["out"]),
        "add.out accepts an out tensor whose dtype the result cannot be cast to"),
    "sort_descending": Plant(
        "aten.sort.default", "stride",
        _when(lambda a, k: bool(_arg(a, k, 2, "descending", False)) and a[0].dim() >= 2,
              lambda o, a, k: (_column_major_like(o[0]), o[1])),
        "sort(descending=True) answers column-major values"),
    "bmm_offset": Plant(
        "aten.bmm.default", "storage_offset",
        _when(lambda a, k: a[0].storage_offset() > 0,
              lambda o, a, k: o.new_empty(o.numel() + 1)[1:].view(o.shape) if o.numel() else o),
        "bmm of an operand at a storage offset answers an output at offset 1"),
    "unbind_negative_dim": Plant(
        "aten.unbind.int", "structure",
        _when(lambda a, k: _arg(a, k, 1, "dim", 0) < 0, lambda o, a, k: list(o)[:-1] if len(o) else o),
        "unbind with a negative dim returns one tensor too few"),
    "argmax_keepdim_dtype": Plant(
        "aten.argmax.default", "dtype",
        _when(lambda a, k: bool(_arg(a, k, 2, "keepdim", False)), _keep(torch.int32)),
        "argmax(keepdim=True) answers int32 indices"),
    "gather_bool_raises": Plant(
        "aten.gather.default", "spurious_error", _raise_when(lambda a, k: a[0].dtype == torch.bool),
        "gather of a bool tensor raises in fake mode"),
    "expand_minus_one": Plant(
        "aten.expand.default", "shape",
        _when(lambda a, k: -1 in list(_arg(a, k, 1, "size", [])) and len(_arg(a, k, 1, "size", [])) > 1,
              lambda o, a, k: o.new_empty((*o.shape[:-1], o.shape[-1] + 1))),
        "expand with a -1 size gets the last size one too large"),
    # Values kernels branch on: a special scalar, a size that disagrees with its tensor.
    "addmm_beta_zero": Plant(
        "aten.addmm.default", "stride",
        _when(lambda a, k: k.get("beta", 1) == 0, lambda o, a, k: _column_major_like(o)),
        "addmm with beta=0 (self ignored) answers column-major strides"),
    "add_alpha_zero": Plant(
        "aten.add.Tensor", "shape",
        _when(lambda a, k: k.get("alpha", 1) == 0 and isinstance(a[1], torch.Tensor),
              lambda o, a, k: o.new_empty(a[0].shape) if tuple(a[0].shape) != tuple(o.shape)
              else o.new_empty((*o.shape, 1))),
        "add with alpha=0 answers self's shape (other only scales to nothing)"),
    "split_sizes_disagree": Plant(
        "aten.split_with_sizes.default", "missing_error",
        _accept_when(lambda a, k: a[0].dim() > 0 and all(s >= 0 for s in _arg(a, k, 1, "split_sizes", [])),
                     lambda a, k: _pieces(a[0], list(_arg(a, k, 1, "split_sizes", [])), _arg(a, k, 2, "dim", 0))),
        "split_with_sizes accepts sizes that do not add up to the split dim"),
}


def o_numel(a) -> bool:
    return a[0].numel() > 0


# ----------------------------------------------------------------- mode-only bugs
#
# Each is wrong in one compiler mode only (crossref/check/modes.py): right for static shapes
# and wrong for symbolic ones; a kernel that specializes; a derivative whose gradient
# is strided wrongly; one whose wrong dtype the autograd engine casts away (only the op
# inside the backward shows it); an autocast-only dtype. ``tested`` is the overload
# whose item must report it (a derivative's op is broken, its forward op is tested).


@dataclass(frozen=True)
class ModePlant(Plant):
    mode: str = "static"
    tested: str = ""
    field: str = ""  # the field the finding must name (a prefix)


def _symbolic(args) -> bool:
    return any(isinstance(a, torch.Tensor) and any(isinstance(s, torch.SymInt) for s in a.shape) for a in args)


def _when_symbolic(change):
    def behaviour(func, call, args, kwargs):
        out = call()
        return change(out, args, kwargs) if _symbolic(args) else out

    return behaviour


def _specialize_last_dim(func, call, args, kwargs):
    x = args[0]
    if x.dim() and isinstance(x.shape[-1], torch.SymInt):
        int(x.shape[-1])  # a Python int of a symbolic size: the ShapeEnv fixes it (a guard Eq(s, n))
    return call()


def _symbolic_raises(func, call, args, kwargs):
    if _symbolic(args):
        raise RuntimeError("planted: Cannot call sizes() on tensor with symbolic sizes/strides")
    return call()


def _cast_to_bfloat16_answers_float16(func, call, args, kwargs):
    out = call()
    if out.dtype == torch.bfloat16 and args[0].dtype == torch.float32:
        return out.new_empty_strided(out.shape, out.stride(), dtype=torch.float16)
    return out


def _column_major_2d(o):
    if o.dim() != 2:
        return o
    return o.new_empty_strided(o.shape, (1, o.shape[0]))


def _last_two_swapped(o):
    """A tensor of ``o``'s sizes whose last two dims are transposed in memory."""
    if o.dim() < 2:
        return o
    return o.new_empty(o.shape[:-2] + (o.shape[-1], o.shape[-2])).transpose(-1, -2)


MODE_PLANTS: dict[str, ModePlant] = {
    "symbolic_stride": ModePlant(
        "aten.mm.default", "stride", _when_symbolic(lambda o, a, k: _column_major_2d(o)),
        "mm's output is column-major under symbolic shapes only", mode="symbolic", tested="aten.mm.default",
        field="out[0].stride"),
    "symbolic_specializes": ModePlant(
        "aten.cumsum.default", "specialization", _specialize_last_dim,
        "cumsum reads its input's last size as a Python int (a guard fixes it)", mode="symbolic",
        tested="aten.cumsum.default", field="input[0].size["),
    "symbolic_raises": ModePlant(
        "aten.amax.default", "spurious_error", _symbolic_raises,
        "amax asks for concrete sizes: raises under symbolic shapes", mode="symbolic",
        tested="aten.amax.default", field="error"),
    "backward_grad_stride": ModePlant(
        "aten.tanh_backward.default", "stride", _after(lambda o, a, k: _last_two_swapped(o)),
        "tanh's derivative returns a gradient with its last two dims transposed in memory", mode="backward",
        tested="aten.tanh.default",
        field="grad[0].stride"),
    "backward_hidden_dtype": ModePlant(
        "aten.sigmoid_backward.default", "dtype",
        _after(lambda o, a, k: o.to(torch.float64) if o.dtype == torch.float32 else o),
        "sigmoid's derivative computes in float64 (the engine casts the gradient back: only the op shows it)",
        mode="backward", tested="aten.sigmoid.default", field="inner.out[0].dtype"),
    "autocast_dtype": ModePlant(
        "aten._to_copy.default", "dtype", _cast_to_bfloat16_answers_float16,
        "the cast autocast inserts before mm (float32 to bfloat16) answers float16", mode="autocast",
        tested="aten.mm.default", field="out[0].dtype"),
}

ALL_PLANTS: dict[str, Plant] = {**PLANTS, **CONDITIONAL, **MODE_PLANTS}


@contextlib.contextmanager
def planted(name: str):
    undo = install(name)
    try:
        yield CACHE_PLANTS[name] if name in CACHE_PLANTS else ALL_PLANTS[name]
    finally:
        undo()


def install(name: str) -> Callable[[], None]:
    """Break fake mode as ``PLANTS[name]``, ``CONDITIONAL[name]`` or ``CACHE_PLANTS[name]``
    says; returns the function that undoes it."""
    if name in CACHE_PLANTS:
        return install_cache(name)
    plant = ALL_PLANTS[name]
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


# ----------------------------------------------------------------- dispatch-cache plants
#
# Cache plants break FakeTensorMode's dispatch cache instead of an op's fake kernel.
# They are kept apart from PLANTS (whose tests sweep every entry) and installed by the
# same ``install(name)``, so ``run_script(script, name)`` works for them too.
#
# "hit" plants: a cache HIT of one overload synthesizes a wrong output (the miss that
# fills the entry, and every uncached call, stay right); visible per call.
# "key" plants: the cache key leaves out one piece of an input's metadata, so two
# tensors differing only there share an entry; visible only across calls (stateful).

import dataclasses  # noqa: E402

from torch._subclasses import fake_tensor as _fake_tensor  # noqa: E402


@dataclass(frozen=True)
class CachePlant:
    kind: str  # "hit" | "key"
    op: str | None  # the overload a hit plant breaks (None: a key plant breaks every op's key)
    field: str  # the output field a finding must name (as in "repeat:out[0].stride")
    doc: str


def _column_major(shape) -> tuple[int, ...]:
    stride, acc = [], 1
    for s in shape:
        stride.append(acc)
        acc *= max(int(s), 1)
    return tuple(stride)


def _with_metadata(entry, change):
    """A copy of a _DispatchCacheValidEntry whose first output's metadata is changed."""
    info = entry.output_infos[0]
    if info.metadata is None:
        return entry
    meta = dataclasses.replace(info.metadata)
    change(meta)
    infos = (dataclasses.replace(info, metadata=meta),) + tuple(entry.output_infos[1:])
    return dataclasses.replace(entry, output_infos=infos)


def _hit_stride(mode, original, state, entry, key, func, args):
    def change(m):
        m.stride = _column_major(m.shape)
        m.memory_format = None

    return original(mode, state, _with_metadata(entry, change), key, func, args)


def _hit_storage_offset(mode, original, state, entry, key, func, args):
    info = entry.output_infos[0]
    base = args[info.view_idx] if info.view_idx is not None else None
    if base is None or info.metadata is None:
        return original(mode, state, entry, key, func, args)
    m = info.metadata
    numel = 1 if all(int(s) for s in m.shape) else 0
    extent = 1 + sum((int(s) - 1) * int(st) for s, st in zip(m.shape, m.stride)) if numel else 0
    room = base.untyped_storage().nbytes() // base.element_size()

    def change(meta):  # one element later if it still fits in the base's storage, else one earlier
        meta.storage_offset = m.storage_offset + 1 if m.storage_offset + 1 + extent <= room else m.storage_offset - 1

    if m.storage_offset + 1 + extent > room and m.storage_offset == 0:
        return original(mode, state, entry, key, func, args)
    return original(mode, state, _with_metadata(entry, change), key, func, args)


def _hit_conj(mode, original, state, entry, key, func, args):
    def change(m):
        if m.dtype.is_complex:
            m.is_conj = not m.is_conj

    return original(mode, state, _with_metadata(entry, change), key, func, args)


def _hit_view_base(mode, original, state, entry, key, func, args):
    """The view is synthesized over a fresh storage of the same size, not its input's."""
    info = entry.output_infos[0]
    if info.view_idx is None:
        return original(mode, state, entry, key, func, args)
    base = args[info.view_idx]
    with _fake_tensor.in_kernel_invocation_manager(mode):
        other = torch.empty(base.untyped_storage().nbytes(), dtype=torch.uint8, device="meta")
    args = list(args)
    args[info.view_idx] = _fake_tensor.FakeTensor(mode, other, base.device)
    return original(mode, state, entry, key, func, tuple(args))


_HIT_BEHAVIOURS = {
    "hit_stride": _hit_stride,
    "hit_storage_offset": _hit_storage_offset,
    "hit_conj": _hit_conj,
    "hit_view_base": _hit_view_base,
}


def _blank_stride(m):
    m.stride = ()
    m.memory_format = None


def _blank_stride_only(m):
    m.stride = ()


def _blank_offset(m):
    m.storage_offset = 0


def _blank_offset_and_size(m):
    m.storage_offset = 0
    m.storage_bytes = None


def _blank_conj(m):
    m.is_conj = False


def _blank_neg(m):
    m.is_neg = False


def _blank_requires_grad(m):
    m.requires_grad = False


_KEY_BLANKS = {
    "key_stride": _blank_stride,
    "key_stride_only": _blank_stride_only,
    "key_storage_offset": _blank_offset,
    "key_storage_offset_and_size": _blank_offset_and_size,
    "key_conj": _blank_conj,
    "key_neg": _blank_neg,
    "key_requires_grad": _blank_requires_grad,
}

CACHE_PLANTS: dict[str, CachePlant] = {
    "hit_stride": CachePlant("hit", "aten.mm.default", "out[0].stride",
                             "a cache hit of mm synthesizes a column-major output"),
    "hit_storage_offset": CachePlant("hit", "aten.select.int", "out[0].storage_offset",
                                     "a cache hit of select places the view one element off in its base"),
    "hit_conj": CachePlant("hit", "aten.clone.default", "out[0].is_conj",
                           "a cache hit of clone flips the conj bit of a complex output"),
    "hit_view_base": CachePlant("hit", "aten.t.default", "out[0].aliases",
                                "a cache hit of t synthesizes the view over a fresh storage, not its input's"),
    "key_stride": CachePlant("key", None, "stride",
                             "the cache key ignores strides (and the memory format derived from them)"),
    "key_stride_only": CachePlant("key", None, "stride",
                                  "the cache key ignores strides but keeps the memory format derived from them"),
    "key_storage_offset": CachePlant("key", None, "storage_offset", "the cache key ignores the storage offset"),
    "key_storage_offset_and_size": CachePlant(
        "key", None, "storage_offset", "the cache key ignores the storage offset and the storage's size"),
    "key_conj": CachePlant("key", None, "is_conj", "the cache key ignores the conj bit"),
    "key_neg": CachePlant("key", None, "is_neg", "the cache key ignores the neg bit"),
    "key_requires_grad": CachePlant("key", None, "requires_grad", "the cache key ignores requires_grad"),
}


def _overload(op: str):
    namespace, packet, overload = op.split(".", 2)
    return getattr(getattr(getattr(torch.ops, namespace), packet), overload)


def _install_hit(name: str) -> Callable[[], None]:
    target = _overload(CACHE_PLANTS[name].op)
    behaviour = _HIT_BEHAVIOURS[name]
    original_output = FakeTensorMode._output_from_cache_entry
    original_info = FakeTensorMode._get_output_info_for_cache_entry
    making = [0]  # > 0 while a miss makes its entry (it synthesizes a trial output too)

    def output_info(self, *args, **kwargs):
        making[0] += 1
        try:
            return original_info(self, *args, **kwargs)
        finally:
            making[0] -= 1

    def output_from_cache_entry(self, state, entry, key, *rest):
        # torch 2.15 dropped func: (state, entry, key, args), before (state, entry, key, func, args).
        # The op is the first element of the cache key in every release (FakeTensorMode._cache_key).
        func, args = rest if len(rest) == 2 else (key.key[0], rest[0])

        def original(mode, state, entry, key, func, args):
            return original_output(mode, state, entry, key, *((func, args) if len(rest) == 2 else (args,)))

        if func is target and not making[0]:
            return behaviour(self, original, state, entry, key, func, args)
        return original(self, state, entry, key, func, args)

    FakeTensorMode._get_output_info_for_cache_entry = output_info
    FakeTensorMode._output_from_cache_entry = output_from_cache_entry

    def undo() -> None:
        FakeTensorMode._get_output_info_for_cache_entry = original_info
        FakeTensorMode._output_from_cache_entry = original_output

    return undo


def _install_key(name: str) -> Callable[[], None]:
    blank = _KEY_BLANKS[name]
    original_key = FakeTensorMode._cache_key
    original_extract = _fake_tensor.extract_tensor_metadata
    keying = [0]  # > 0 while a key is built (extract_tensor_metadata also describes outputs)

    def cache_key(self, *args, **kwargs):
        keying[0] += 1
        try:
            return original_key(self, *args, **kwargs)
        finally:
            keying[0] -= 1

    def extract(t):
        meta = original_extract(t)
        if keying[0]:
            blank(meta)
        return meta

    FakeTensorMode._cache_key = cache_key
    _fake_tensor.extract_tensor_metadata = extract

    def undo() -> None:
        FakeTensorMode._cache_key = original_key
        _fake_tensor.extract_tensor_metadata = original_extract

    return undo


def install_cache(name: str) -> Callable[[], None]:
    """Break the dispatch cache as ``CACHE_PLANTS[name]`` says; returns the undo. The
    cache is cleared on both sides, so no entry made under the plant outlives it."""
    FakeTensorMode.cache_clear()
    undo = (_install_hit if CACHE_PLANTS[name].kind == "hit" else _install_key)(name)

    def undo_and_clear() -> None:
        undo()
        FakeTensorMode.cache_clear()

    return undo_and_clear
