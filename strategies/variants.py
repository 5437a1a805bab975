"""Metamorphic variants: a drawn call checked again on other geometries of its tensors.

A Hypothesis example pays for drawing a whole call; a variant costs one more check. Each
variant changes one thing about one tensor argument (or, for ``dtypes`` and ``empty``,
the tensors that must change together) and keeps the call valid as far as the recipe
can tell; the real kernel has the last word (a variant it rejects is an error-parity
check like any other). The kinds:

- layouts, the same values in another memory layout: ``permuted`` (memory order
  reversed), ``channels_last`` / ``channels_last_3d``, ``sliced`` (every dim stepped by
  2), ``offset`` (a storage offset), ``expanded`` (a dim of stride 0, read-only
  arguments only), ``conj`` / ``neg`` views;
- dtypes: ``dtype`` (one tensor in another dtype: mixed-dtype promotion), ``dtypes``
  (every tensor of the first tensor's dtype together), from another promotion category
  (bool, integer, low-precision float, float64, complex); index tensors switch
  between int64 and int32; an index of a list of indices becomes a bool or uint8
  mask of the first tensor's leading dim;
- shapes: ``0-d`` (an operand as a 0-d tensor, of its own or another category),
  ``empty`` (the first or last size of the first tensor set to 0, in every tensor that
  has it at the same place, counted from the right as broadcasting aligns them), ``broadcast`` (an operand's size set to
  1 or its leading dim dropped, or two operands that broadcast against each other;
  pointwise ops, and custom ops of several tensors);
- arguments: a ``memory_format`` of the first tensor's channels-last format, a dim
  written as its negative equivalent, an empty dim list, a bool flag flipped;
- values kernels branch on: a scalar argument at 0, 1 or -1 (``beta=0``), a size or
  length argument that disagrees with its tensor (``size+1``, ``size:shorter``);
- devices, when the run has an accelerator (``accelerated``): a tensor left on the CPU
  (``cpu:``; as a 0-d CPU scalar beside CUDA tensors, which kernels take, ``cpu-0-d:``;
  in pinned memory when the call names a device, the source of a copy, ``pinned:``),
  and what the call runs inside on CUDA (``OpCall.cuda_context``): each attention
  backend alone for the attention ops, TF32 on and off for matmuls and convolutions.

``variants(entry, call)`` draws which ones a call gets: one per group (about ten).
Drawing them, rather than taking all of the dozens a call has, keeps the cost per
example bounded; over the examples of an item every kind comes up.
Variant calls carry the kind in ``OpCall.variant`` (a finding's traits name it).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Iterator

import torch
from hypothesis import strategies as st

from crossref.check.catalog import OpEntry
from crossref.check.opcall import (
    ALL_DTYPES,
    COMPLEX_DTYPES,
    CUDA_CONTEXTS,
    DEVICE,
    INT_DTYPES,
    OpCall,
    StorageSpec,
    TensorSpec,
    contiguous_strides,
    differentiable,
    storage_extent,
)

from .tensors import ints

_INDEX_SWAP = {torch.int64: torch.int32, torch.int32: torch.int64}


def category(dtype: torch.dtype) -> str:
    """The type-promotion category of a dtype: bool, int, float or complex."""
    if dtype == torch.bool:
        return "bool"
    if dtype in INT_DTYPES:
        return "int"
    if dtype in COMPLEX_DTYPES:
        return "complex"
    return "float"


@dataclasses.dataclass(frozen=True, slots=True)
class Slot:
    """Where a tensor argument sits: schema argument name, whether the op writes it."""

    name: str
    spec: TensorSpec
    written: bool
    first: bool  # the call's first tensor argument


def slots(entry: OpEntry, call: OpCall) -> list[Slot]:
    """The call's tensor arguments in schema order (list elements each in their own slot)."""
    written = {a.name for a in entry.schema.arguments if a.alias_info is not None and a.alias_info.is_write}
    names = [a.name for a in entry.schema.arguments]
    values = [(names[i] if i < len(names) else f"arg{i}", v) for i, v in enumerate(call.args)] + list(call.kwargs)
    out: list[Slot] = []
    for name, value in values:
        leaves = value if isinstance(value, (list, tuple)) else [value]
        for leaf in leaves:
            if isinstance(leaf, TensorSpec):
                out.append(Slot(name, leaf, name in written, not out))
    return out


# ----------------------------------------------------------------- building blocks
#
# Variant generators yield builders (argument-free callables), not calls: a call takes a
# few variants of the dozens it could have, and only those are built.

Builder = Callable[[], OpCall]
_lazy = functools.partial


def _with(call: OpCall, kind: str, mapping: dict[TensorSpec, TensorSpec], storages=None) -> OpCall:
    return call.with_tensors(mapping, storages, variant=kind).compact()


def _restrided(call: OpCall, spec: TensorSpec, stride: tuple[int, ...], offset: int, tag: str, kind: str) -> OpCall:
    """``spec`` re-laid out over a storage of its own (same dtype and values recipe)."""
    base = call.storages[spec.storage]
    storage = dataclasses.replace(base, numel=max(storage_extent(spec.size, stride, offset), 1))
    tags = tuple(dict.fromkeys(x for x in (*spec.layout, tag) if x not in ("contiguous", "aliased")))
    # Not a view: the geometry is what the variant tests, and fake mode converts a view
    # by replaying it on a fake base, seven times the cost (drawn calls have views).
    new = dataclasses.replace(spec, storage=len(call.storages), stride=stride, offset=offset, view=False,
                              layout=tags)
    return _with(call, kind, {spec: new}, call.storages + (storage,))


def _order_strides(size: tuple[int, ...], order: list[int]) -> tuple[int, ...]:
    """Dense strides laying dims out in ``order`` (outermost first)."""
    stride = [0] * len(size)
    acc = 1
    for d in reversed(order):
        stride[d] = acc
        acc *= max(size[d], 1)
    return tuple(stride)


def _big_dims(spec: TensorSpec) -> list[int]:
    return [i for i, s in enumerate(spec.size) if s > 1]


#: The layouts another tensor than the first takes: those that change how the operands'
#: layouts combine (a kernel follows one operand's layout), not the ones that only
#: test reading from a strided, offset or flagged tensor, which the first tensor's cover.
_OTHER_LAYOUTS = frozenset({"permuted", "channels_last", "channels_last_3d", "expanded"})


def layout_variants(call: OpCall, slot: Slot, kinds: frozenset[str] | None = None) -> Iterator[Builder]:
    """``slot``'s tensor in another layout (of ``kinds``; default all)."""
    spec = slot.spec
    if 0 in spec.size:
        return
    size, rank = spec.size, len(spec.size)
    dtype = call.storages[spec.storage].dtype
    big = _big_dims(spec)
    geometries = []  # (tag, stride, offset): each a layout the tensor does not have yet
    if len(big) >= 2:
        geometries.append(("permuted", _order_strides(size, list(reversed(range(rank)))), 0))
    if rank == 4 and size[1] > 1 and (size[2] > 1 or size[3] > 1):
        geometries.append(("channels_last", _order_strides(size, [0, 2, 3, 1]), 0))
    if rank == 5 and size[1] > 1 and any(s > 1 for s in size[2:]):
        geometries.append(("channels_last_3d", _order_strides(size, [0, 2, 3, 4, 1]), 0))
    if big:
        geometries.append(("sliced", tuple(st * 2 for st in contiguous_strides(size)), 0))
    if spec.offset == 0:
        geometries.append(("offset", spec.stride, 1 + spec.storage % 3))
    if big and not slot.written:
        d = big[-1]
        geometries.append(("expanded", tuple(0 if i == d else st for i, st in
                                             enumerate(contiguous_strides(size[:d] + (1,) + size[d + 1:]))), 0))
    for tag, stride, offset in geometries:
        if kinds is not None and tag not in kinds:
            continue
        if not _same_geometry(spec, stride, offset):
            build = _lazy(_restrided, call, spec, stride, offset, tag, f"{tag}:{slot.name}")
            # A dense permutation is what kernels most often lay out differently from their
            # meta functions (in a ci sweep of torch 2.13 it found the most stride bugs per
            # check): drawn three times as often as the other layouts, and the channels-last
            # format of a 4-d or 5-d tensor (the layout of vision models) six times.
            yield from (build,) * _WEIGHT.get(tag, 1)
    if kinds is not None:
        return
    if not slot.written and dtype in COMPLEX_DTYPES and not spec.conj:
        yield _lazy(_with, call, f"conj:{slot.name}", {spec: dataclasses.replace(spec, conj=True, layout=_tag(spec, "conj"))})
    if not slot.written and differentiable(dtype) and not spec.neg:
        yield _lazy(_with, call, f"neg:{slot.name}", {spec: dataclasses.replace(spec, neg=True, layout=_tag(spec, "neg"))})


_WEIGHT = {"permuted": 3, "channels_last": 6, "channels_last_3d": 6}


def _same_geometry(spec: TensorSpec, stride: tuple[int, ...], offset: int) -> bool:
    """Whether ``stride``/``offset`` lay ``spec`` out as it is already (strides of dims of
    size 1 do not count)."""
    return offset == spec.offset and all(a == b for s, a, b in zip(spec.size, stride, spec.stride) if s > 1)


def _tag(spec: TensorSpec, tag: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(x for x in (*spec.layout, tag) if x != "contiguous"))


def _retyped(call: OpCall, specs: list[TensorSpec], dtype: torch.dtype, kind: str, *, conj: bool = False) -> OpCall:
    """``specs`` (with every tensor on their storages) in ``dtype``: flags the dtype
    cannot carry (conj, neg, requires_grad) are dropped; with ``conj``, ``specs``
    become conj views."""
    storages = list(call.storages)
    touched = {t.storage for t in specs}
    for i in touched:
        old = storages[i]
        storages[i] = dataclasses.replace(old, dtype=dtype, requires_grad=old.requires_grad and differentiable(dtype),
                                          fill=old.fill if old.fill != "specials" or differentiable(dtype) else "random")
    mapping = {t: dataclasses.replace(t, conj=(t.conj or (conj and t in specs)) and dtype in COMPLEX_DTYPES,
                                      neg=t.neg and differentiable(dtype),
                                      layout=_tag(t, "conj") if conj and t in specs else t.layout)
               for t in call.tensor_specs() if t.storage in touched}
    return _with(call, kind, mapping, storages)


def dtype_variants(call: OpCall, slot: Slot, *, same_category: bool | None = None,
                   together: list[TensorSpec] | None = None,
                   avoid: frozenset[torch.dtype] = frozenset()) -> Iterator[Builder]:
    """``slot``'s tensor in another dtype: of another promotion category, or of its own
    category and another width (``same_category`` True or False; None: both). With
    ``together``, every tensor of ``together`` that has the slot's dtype changes with
    it. Index tensors swap int64 and int32. ``avoid``: dtypes the op's kernel refused."""
    storage = call.storages[slot.spec.storage]
    dtype = storage.dtype
    if storage.fill == "range":  # an index tensor: its values stay integers in range
        if dtype in _INDEX_SWAP and together is None and same_category is not False:
            yield _lazy(_retyped, call, [slot.spec], _INDEX_SWAP[dtype], f"dtype:{slot.name}:{_short(_INDEX_SWAP[dtype])}")
        return
    specs = [slot.spec]
    if together is not None:
        specs = [t for t in together if call.storages[t.storage].dtype == dtype and call.storages[t.storage].fill != "range"]
        if len(specs) < 2:
            return
    if same_category is False and together is None and not slot.written and dtype not in COMPLEX_DTYPES \
            and torch.complex64 not in avoid:
        yield _lazy(_retyped, call, [slot.spec], torch.complex64, f"conj:{slot.name}:complex64", conj=True)
    for other in ALL_DTYPES:
        same = category(other) == category(dtype)
        if other == dtype or other in avoid or (same and other.itemsize == dtype.itemsize and other != torch.bfloat16) \
                or (same_category is not None and same != same_category):
            continue
        name = f"dtypes:{_short(other)}" if together is not None else f"dtype:{slot.name}:{_short(other)}"
        yield _lazy(_retyped, call, specs, other, name)


def _short(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def zero_d_variants(call: OpCall, slot: Slot, *, of: torch.dtype | None = None,
                    avoid: frozenset[torch.dtype] = frozenset()) -> Iterator[Builder]:
    """``slot``'s tensor as a 0-d tensor: of its own dtype (``of`` None), or of one dtype
    per promotion category other than ``of``'s (a 0-d operand takes part in type
    promotion only from a higher category than the tensors': an int tensor times a 0-d
    float is float)."""
    spec = slot.spec
    if not spec.size or (call.storages[spec.storage].fill == "range" and of is not None):
        return  # an index tensor: 0-d of its own dtype only (its values stay in range)
    storage = call.storages[spec.storage]
    index = len(call.storages)
    if of is None:
        choices = (storage.dtype,)
    else:
        choices = tuple(d for d in (torch.bool, torch.int64, torch.float64, torch.complex64)
                        if category(d) != category(of))
    for dtype in choices:
        if dtype in avoid:
            continue
        grad = storage.requires_grad and differentiable(dtype)
        fill = storage.fill if storage.fill != "specials" or differentiable(dtype) else "random"
        new_storage = StorageSpec(dtype, 1, fill, storage.seed, storage.low, storage.high, grad)
        new = TensorSpec(index, (), (), 0, False, spec.conj and dtype in COMPLEX_DTYPES,
                         spec.neg and differentiable(dtype), ("contiguous",))
        name = "0-d" if of is None else f"0-d:{_short(dtype)}"
        yield _lazy(_with, call, f"{name}:{slot.name}", {spec: new}, call.storages + (new_storage,))


def mask_variants(call: OpCall, slot: Slot, first: Slot) -> Iterator[Builder]:
    """An index tensor of a list of indices (index, index_put) as a bool or uint8 mask of
    the first tensor's leading dim."""
    if slot.name != "indices" or not first.spec.size or call.storages[slot.spec.storage].fill != "range":
        return
    size = first.spec.size[:1]
    for dtype in (torch.bool, torch.uint8):
        storage = StorageSpec(dtype, size[0], "random" if dtype == torch.bool else "range", 7, 0, 2)
        new = TensorSpec(len(call.storages), size, (1,), 0, False, False, False, ("contiguous",))
        yield _lazy(_with, call, f"mask:{slot.name}:{_short(dtype)}", {slot.spec: new}, call.storages + (storage,))


def _resized(spec: TensorSpec, size: tuple[int, ...]) -> TensorSpec:
    """``spec`` with a new size: contiguous strides unless it kept a layout worth keeping."""
    return dataclasses.replace(spec, size=size, stride=contiguous_strides(size), offset=spec.offset,
                               layout=("contiguous",) if spec.offset == 0 else ("offset",))


def empty_variant(call: OpCall, first: Slot, every: list[Slot]) -> Iterator[Builder]:
    """One size of the first tensor set to 0 (its first dim, a batch, or its last), and
    the same dim (aligned from the right) of every tensor with the same size there."""
    spec = first.spec
    if not spec.size or 0 in spec.size:
        return
    for d in dict.fromkeys((0, len(spec.size) - 1)):
        size_there, from_right = spec.size[d], len(spec.size) - d
        mapping = {}
        for s in every:
            t = s.spec
            if call.storages[t.storage].fill == "range":
                continue
            j = len(t.size) - from_right
            if 0 <= j and t.size[j] == size_there:
                mapping[t] = _resized(t, t.size[:j] + (0,) + t.size[j + 1:])
        yield _lazy(_with, call, "empty", mapping)


def broadcast_variant(call: OpCall, slot: Slot) -> Iterator[Builder]:
    """An operand that broadcasts: a size above 1 set to 1 (the outermost, or the
    innermost), or its leading dim dropped."""
    spec = slot.spec
    big = _big_dims(spec)
    if not big or slot.written:
        return
    for d in dict.fromkeys((big[0], big[-1])):
        yield _lazy(_with, call, f"broadcast:{slot.name}",
                    {spec: _resized(spec, spec.size[:d] + (1,) + spec.size[d + 1:])})
    if len(spec.size) > 1:
        yield _lazy(_with, call, f"broadcast:{slot.name}", {spec: _resized(spec, spec.size[1:])})


def mutual_broadcast_variant(call: OpCall, first: Slot, other: Slot) -> Iterator[Builder]:
    """Two operands of one shape that broadcast *against each other*: the first's
    innermost size set to 1 and the other's leading dims dropped, so each has a size the
    other broadcasts ((3, 4) and (3, 4) become (3, 1) and (4,): the result is larger
    than either, which a fake kernel that takes one operand's shape gets wrong)."""
    a, b = first.spec, other.spec
    if a == b or a.size != b.size or len(a.size) < 2 or a.size[-1] < 2 or first.written or other.written:
        return
    yield _lazy(_with, call, f"broadcast:{first.name},{other.name}",
                {a: _resized(a, a.size[:-1] + (1,)), b: _resized(b, a.size[-1:])})


_DIM_NAMES = frozenset({"dim", "dim0", "dim1", "dim2", "start_dim", "end_dim", "dims"})
_FORMAT = {4: torch.channels_last, 5: torch.channels_last_3d}


def _with_argument(call: OpCall, entry: OpEntry, name: str, value, kind: str) -> OpCall:
    """``call`` with argument ``name`` set to ``value`` (passed by keyword when it was left out)."""
    names = [a.name for a in entry.schema.arguments]
    index = names.index(name)
    if index < len(call.args):
        args = call.args[:index] + (value,) + call.args[index + 1:]
        return dataclasses.replace(call, args=args, variant=kind)
    kwargs = dict(call.kwargs)
    kwargs[name] = value
    return dataclasses.replace(call, kwargs=tuple(kwargs.items()), variant=kind)


_MISSING = object()


def argument_variants(entry: OpEntry, call: OpCall, first: Slot) -> Iterator[Builder]:
    """Other values of non-tensor arguments: a memory_format of the first tensor's
    channels-last format (or contiguous), a dim written as its negative equivalent,
    a bool flag flipped."""
    rank = len(first.spec.size)
    for a in entry.schema.arguments:
        kind = str(a.real_type)
        value = call.argument(a.name, _MISSING)
        if kind in ("MemoryFormat", "Optional[MemoryFormat]"):
            for fmt in (_FORMAT.get(rank), torch.contiguous_format):
                if fmt is not None and value != fmt:
                    yield _lazy(_with_argument, call, entry, a.name, fmt, f"{a.name}={str(fmt).removeprefix('torch.')}")
        elif a.name in _DIM_NAMES and rank and kind in ("int", "Optional[int]") and isinstance(value, int) \
                and not isinstance(value, bool) and 0 <= value < rank:
            yield _lazy(_with_argument, call, entry, a.name, value - rank, f"{a.name}=negative")
        elif a.name in _DIM_NAMES and kind.startswith(("List[int]", "Optional[List[int]]")):
            if rank and isinstance(value, list) and any(isinstance(d, int) and 0 <= d < rank for d in value):
                flipped = [d - rank if isinstance(d, int) and 0 <= d < rank else d for d in value]
                yield _lazy(_with_argument, call, entry, a.name, flipped, f"{a.name}=negative")
            if value != []:  # an empty dim list: every dim, for reductions
                yield _lazy(_with_argument, call, entry, a.name, [], f"{a.name}=[]")
        elif kind in ("bool", "Optional[bool]") and not (a.alias_info is not None):
            current = a.default_value if value is _MISSING else value
            if isinstance(current, bool) or current is None:
                yield _lazy(_with_argument, call, entry, a.name, not current, f"{a.name}={not current}")


#: Scalar arguments whose values kernels special-case (beta=0 drops self, alpha=1 skips a
#: multiply, a zero scale or exponent takes a fast path): the names, beyond Scalar types.
_SCALAR_TYPES = ("Scalar", "Optional[Scalar]", "number", "Optional[number]", "float", "Optional[float]")
_SPECIAL_SCALARS = (0, 1, -1)
#: Arguments that describe a tensor's sizes or lengths (a list, or one int): a variant sets
#: them so they disagree with the tensor (one element too many or too few), a check
#: the kernel makes and a fake kernel may not.
_SIZE_NAMES = frozenset({"size", "sizes", "shape", "output_size", "split_sizes", "lengths", "new_size", "repeats",
                         "length", "numel", "minlength", "num_classes", "stride"})
_NOT_VALUES = _DIM_NAMES | {"dtype", "layout", "device", "memory_format", "pin_memory", "reduction", "ignore_index",
                             "padding_idx", "blank", "correction", "unbiased", "keepdim"}


def value_variants(entry: OpEntry, call: OpCall) -> Iterator[Builder]:
    """Values kernels branch on: each scalar argument (alpha, beta, a fill value, a scale,
    an exponent: a Scalar or float, or an int that is no dim, size or code) at 0, 1 and
    -1 where it held another value; and each size or length argument disagreeing with its
    tensor: a list one element off (an element grown by 1, or one element fewer), an
    int grown by 1."""
    for a in entry.schema.arguments:
        if a.alias_info is not None or a.name in _NOT_VALUES:
            continue
        kind = str(a.real_type)
        value = call.argument(a.name, _MISSING)
        if a.name in _SIZE_NAMES:
            if kind.startswith(("List[int]", "Optional[List[int]]")) and isinstance(value, list) and value \
                    and all(isinstance(v, int) for v in value):
                yield _lazy(_with_argument, call, entry, a.name, value[:-1] + [value[-1] + 1], f"{a.name}+1")
                if len(value) > 1:
                    yield _lazy(_with_argument, call, entry, a.name, value[:-1], f"{a.name}:shorter")
            elif kind in ("int", "Optional[int]") and isinstance(value, int) and not isinstance(value, bool):
                yield _lazy(_with_argument, call, entry, a.name, value + 1, f"{a.name}+1")
            continue
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind in _SCALAR_TYPES or (kind in ("int", "Optional[int]") and numeric):
            current = a.default_value if value is _MISSING else value
            as_float = isinstance(current, float) or (kind in ("float", "Optional[float]") and not isinstance(current, int))
            for special in _SPECIAL_SCALARS:
                new = float(special) if as_float else special
                if current is None or current != new:
                    yield _lazy(_with_argument, call, entry, a.name, new, f"{a.name}={new}")


def _hosted(call: OpCall, slot: Slot, host: str, *, zero_d: bool = False) -> OpCall:
    """``slot``'s tensor over a storage of its own that stays on the CPU (``host``); as
    a 0-d tensor of its dtype with ``zero_d``."""
    spec, base = slot.spec, call.storages[slot.spec.storage]
    index = len(call.storages)
    if zero_d:
        storage = dataclasses.replace(base, numel=1, host=host, data=None, data_dtype="",
                                      fill=base.fill if base.fill != "captured" else "random")
        new = TensorSpec(index, (), (), 0, False, spec.conj, spec.neg, ("contiguous",))
    else:
        storage = dataclasses.replace(base, host=host)
        new = dataclasses.replace(spec, storage=index, view=False)
    kind = f"{'cpu-0-d' if zero_d else host}:{slot.name}"
    return _with(call, kind, {spec: new}, call.storages + (storage,))


#: Ops whose CUDA kernels TF32 changes: matmuls and convolutions.
_TF32_OPS = frozenset({"mm", "bmm", "addmm", "baddbmm", "addbmm", "matmul", "mv", "addmv", "linear", "_addmm_activation",
                       "convolution", "_convolution", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                       "conv_transpose2d", "conv_transpose3d", "cudnn_convolution", "cudnn_convolution_transpose"})


def device_variants(entry: OpEntry, call: OpCall, found: list[Slot]) -> Iterator[Builder]:
    """A tensor left on the CPU while the call runs on the accelerator: a 0-d one as it
    is, or any read-only one as a 0-d CPU scalar (kernels take those beside CUDA
    tensors) or whole (they refuse that; a copy to the device takes it, so a call that
    names a device gets its first tensor in pinned memory too)."""
    names_device = any(v is DEVICE for v in call.leaves())
    if len(found) < 2 and not names_device:
        return  # its only tensor on the CPU: the call runs on the CPU, as a CPU check does
    for slot in found:
        if slot.written or call.storages[slot.spec.storage].host:
            continue
        if slot.spec.size:
            yield _lazy(_hosted, call, slot, "cpu", zero_d=True)
        yield _lazy(_hosted, call, slot, "cpu")
    if names_device and not found[0].written:
        yield _lazy(_hosted, call, found[0], "pinned")


def context_variants(entry: OpEntry, call: OpCall) -> Iterator[Builder]:
    """Each attention backend alone for the attention ops; TF32 on and off for matmuls
    and convolutions (crossref/check/execute.py's ``cuda_context`` applies them)."""
    if call.cuda_context:
        return
    if "scaled_dot_product" in entry.base_name:
        names = [c for c in CUDA_CONTEXTS if c.startswith("sdpa:")]
    elif entry.base_name in _TF32_OPS:
        names = [c for c in CUDA_CONTEXTS if c.startswith("tf32:")]
    else:
        return
    for name in names:
        yield _lazy(dataclasses.replace, call, cuda_context=name, variant=name)


# ----------------------------------------------------------------- choosing


def groups(entry: OpEntry, call: OpCall, avoid: frozenset[torch.dtype] = frozenset(), *,
           accelerated: bool = False) -> list[list[Builder]]:
    """Every variant of ``call``, in groups of which a check takes one each: a layout of
    the first tensor; a layout of another (permuted, channels-last or expanded); the first tensor's dtype in
    its own category, and in another; the others' dtypes, or every tensor of the first
    one's dtype together; a 0-d operand; an empty version; for pointwise ops of several
    tensors (and custom ops), a broadcasting operand, and two that broadcast against
    each other; a mask index; another value of a non-tensor argument; a value kernels
    branch on (a special scalar, a size that disagrees with its tensor); with an
    accelerator (``accelerated``), a tensor left on the CPU, and a CUDA context."""
    found = slots(entry, call)
    if not found:
        return []
    first, rest = found[0], found[1:]
    tensors = [s.spec for s in found]
    # Broadcasting operands: pointwise aten ops, and any custom op of several tensors
    # (nothing says which of its inputs broadcast; the real kernel has the last word).
    several = len(found) > 1 and (entry.family == "pointwise" or entry.namespace != "aten")
    out = [
        list(layout_variants(call, first)),
        [v for s in rest for v in layout_variants(call, s, kinds=_OTHER_LAYOUTS)],
        list(dtype_variants(call, first, same_category=True, avoid=avoid)),
        list(dtype_variants(call, first, same_category=False, avoid=avoid)),
        list(dtype_variants(call, first, together=tensors, avoid=avoid))
        + [v for s in rest for v in dtype_variants(call, s, avoid=avoid)],
        [v for s in (rest or [first]) if not s.written for v in zero_d_variants(call, s, avoid=avoid)],
        [v for s in rest if not s.written
         for v in zero_d_variants(call, s, of=call.storages[first.spec.storage].dtype, avoid=avoid)] if several else [],
        list(empty_variant(call, first, found)),
        [v for s in found for v in broadcast_variant(call, s)] if several else [],
        [v for s in rest for v in mutual_broadcast_variant(call, first, s)] if several else [],
        [v for s in rest for v in mask_variants(call, s, first)],
        list(argument_variants(entry, call, first)),
        list(value_variants(entry, call)),
    ]
    if accelerated:
        out += [list(device_variants(entry, call, found)), list(context_variants(entry, call))]
    return [g for g in out if g]


@st.composite
def variants(draw, entry: OpEntry, call: OpCall, avoid: frozenset[torch.dtype] = frozenset(), *,
             accelerated: bool = False) -> list[OpCall]:
    """Variants of ``call`` to check: one of each group of ``groups(entry, call, avoid,
    accelerated=...)``. Shrinks towards the first of each group."""
    return [group[draw(ints(0, len(group) - 1))]() for group in groups(entry, call, avoid, accelerated=accelerated)]
