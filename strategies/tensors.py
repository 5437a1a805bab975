"""Tensor strategies: dtypes, shapes, and layouts applied to any tensor.

A drawn tensor is a recipe (``crossref.opcall.TensorSpec`` over a ``StorageSpec``)
added to a ``CallBuilder``; ``crossref.opcall.materialize`` turns it into a tensor.
Layout is orthogonal to shape and dtype: any tensor can come out permuted, sliced
with steps, expanded (stride 0), channels_last(_3d), at a storage offset,
overlapping itself, as a conj or neg view, or as a view of another argument's
storage. Examples shrink towards small, contiguous, float32, non-aliased tensors.
"""

from __future__ import annotations

import functools
import math

import torch
from hypothesis import strategies as st

from crossref.check.opcall import (
    ALL_DTYPES,
    COMPLEX_DTYPES,
    FILLS,
    CallBuilder,
    OpCall,
    StorageSpec,
    TensorRecipe,
    TensorSpec,
    differentiable,
    storage_extent,
)

from hypothesis.errors import InvalidArgument

from ._validate import check_bounds, check_subset

#: Every layout crossref generates, by the name used in reports and traits.
LAYOUTS = (
    "contiguous",
    "permuted",
    "sliced",
    "expanded",
    "channels_last",
    "channels_last_3d",
    "offset",
    "overlapping",
    "conj",
    "neg",
    "aliased",
)

@functools.lru_cache(maxsize=None)
def ints(low: int, high: int) -> st.SearchStrategy[int]:
    """``st.integers(low, high)``, built once: strategy construction and validation
    showed up at ~10% of a check's time in profiles when rebuilt per draw."""
    return st.integers(low, high)


BOOLS = st.booleans()

# float32 first: it is what examples shrink to.
_DTYPE_ORDER = (torch.float32,) + tuple(d for d in ALL_DTYPES if d != torch.float32)


def dtypes(*, include: tuple[torch.dtype, ...] = ALL_DTYPES) -> st.SearchStrategy[torch.dtype]:
    """One of ``include`` (default: all 12 standard dtypes); shrinks to float32 when allowed."""
    check_subset("include", include, ALL_DTYPES)
    return _dtypes(tuple(include))


@functools.lru_cache(maxsize=None)
def _dtypes(include: tuple[torch.dtype, ...]) -> st.SearchStrategy[torch.dtype]:
    return st.sampled_from([d for d in _DTYPE_ORDER if d in include])


def shapes(*, min_dims: int = 0, max_dims: int = 5, min_side: int = 0, max_side: int = 4,
           max_numel: int = 64) -> st.SearchStrategy[tuple[int, ...]]:
    """A shape with ``min_dims..max_dims`` dims (default 0..5), sides in
    ``min_side..max_side`` (default 0..4), at most ``max_numel`` elements (default 64).
    Zero-size and size-1 sides are drawn on purpose. Shrinks towards ``(1,)``-like
    small shapes."""
    check_bounds("min_dims", min_dims, "max_dims", max_dims)
    check_bounds("min_side", min_side, "max_side", max_side)
    check_bounds("max_numel", max_numel, "max_numel", max_numel, minimum=1)
    return _shape(min_dims, max_dims, min_side, max_side, max_numel)


@st.composite
def _shape(draw, min_dims: int, max_dims: int, min_side: int, max_side: int, max_numel: int) -> tuple[int, ...]:
    rank = draw(ints(min_dims, max_dims))
    lo = max(min_side, 1)
    span = max(max_side - lo + 1, 1)

    def side() -> int:
        # 16 in 20 draws: a regular side (shrinks to the smallest); 2 in 20: one; 2 in 20: zero.
        k = draw(ints(0, 19))
        if k < 16:
            return min(lo + k % span, max_side) if max_side >= lo else min_side
        if k < 18 or min_side > 0:
            return max(min_side, min(1, max_side))
        return 0

    sizes = [side() for _ in range(rank)]
    while math.prod(sizes) > max_numel:
        i = max(range(rank), key=lambda j: sizes[j])
        sizes[i] = max(min_side, sizes[i] // 2)
        if sizes[i] == min_side and math.prod(sizes) > max_numel and min_side > 0:
            break
    return tuple(sizes)


def _strides(size, order, steps, expanded) -> tuple[int, ...]:
    stride = [0] * len(size)
    acc = 1
    for d in reversed(order):
        if expanded[d]:
            continue
        stride[d] = acc * steps[d]
        acc *= max(size[d], 1) * steps[d]
    return tuple(stride)


def _fill(draw, dtype: torch.dtype) -> str:
    if differentiable(dtype):
        return draw(st.sampled_from(("random", "specials", "random", "random", "zeros", "ones")))
    return draw(st.sampled_from(("random", "random", "random", "zeros", "ones")))


def tensors(
    builder: CallBuilder | None = None,
    *,
    shape: tuple[int, ...] | None = None,
    dtype: torch.dtype | None = None,
    layouts: tuple[str, ...] = LAYOUTS,
    value_range: tuple[int, int] | None = None,
    requires_grad: bool | None = None,
    min_dims: int = 0,
    max_dims: int = 5,
    min_side: int = 0,
    max_numel: int = 64,
    fill: str | None = None,
) -> st.SearchStrategy[TensorSpec]:
    """A strategy drawing a tensor into ``builder`` and returning its spec; with no
    ``builder``, a standalone tensor: a ``TensorRecipe`` (``.build(device)`` makes it),
    which ``crossref.check_op(op, x=tensors(...))`` takes to constrain an argument.

    ``shape``/``dtype``: fixed when given, else drawn (``shapes(min_dims, max_dims,
    min_side, max_numel)``, ``dtypes()``). ``layouts``: the layouts allowed (default
    all of ``LAYOUTS``; ``("contiguous",)`` for a plain tensor). ``value_range=(lo,
    hi)``: integer values uniform in [lo, hi), for index tensors. ``fill``: how the
    values are made (``crossref.opcall.FILLS``; default drawn: random, specials, zeros,
    ones). ``requires_grad``: fixed, or drawn (about 1 in 10 floating tensors) when
    None. The arguments are checked once, here, not on every draw.
    """
    check_subset("layouts", layouts, LAYOUTS)
    if dtype is not None and dtype not in ALL_DTYPES:
        raise InvalidArgument(f"dtype={dtype!r} is not one of the standard dtypes {[str(d) for d in ALL_DTYPES]}")
    if shape is not None and (not isinstance(shape, (tuple, list)) or
                              not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise InvalidArgument(f"shape={shape!r} must be a tuple of non-negative integers")
    if requires_grad and dtype is not None and not differentiable(dtype):
        raise InvalidArgument(f"requires_grad=True needs a floating or complex dtype, not dtype={dtype}")
    if value_range is not None:
        check_bounds("value_range[0]", value_range[0], "value_range[1]", value_range[1], minimum=-(2**62))
    if fill is not None and fill not in FILLS or fill == "range":
        raise InvalidArgument(f"fill={fill!r} must be one of {[f for f in FILLS if f != 'range']} "
                              "(index values: value_range)")
    check_bounds("min_dims", min_dims, "max_dims", max_dims)
    check_bounds("min_side", min_side, "min_side", min_side)
    check_bounds("max_numel", max_numel, "max_numel", max_numel, minimum=1)
    if shape is not None and not min_dims <= len(shape) <= max_dims:
        raise InvalidArgument(f"shape={tuple(shape)!r} has {len(shape)} dims, outside min_dims={min_dims}.."
                              f"max_dims={max_dims}")
    if builder is None:
        return st.composite(_standalone)(shape=shape, dtype=dtype, layouts=layouts, value_range=value_range,
                                         requires_grad=requires_grad, min_dims=min_dims, max_dims=max_dims,
                                         min_side=min_side, max_numel=max_numel, fill=fill)
    return st.composite(draw_tensor)(builder, shape=shape, dtype=dtype, layouts=layouts, value_range=value_range,
                                     requires_grad=requires_grad, min_dims=min_dims, max_dims=max_dims,
                                     min_side=min_side, max_numel=max_numel, fill=fill)


def draw_tensor(draw, builder: CallBuilder, *, shape: tuple[int, ...] | None = None, dtype: torch.dtype | None = None,
                layouts: tuple[str, ...] = LAYOUTS, value_range: tuple[int, int] | None = None,
                requires_grad: bool | None = None, min_dims: int = 0, max_dims: int = 5, min_side: int = 0,
                max_numel: int = 64, fill: str | None = None) -> TensorSpec:
    """``tensors(builder, ...)``'s draw with ``draw`` (a Hypothesis ``draw`` function), for
    the call strategies, which pass arguments they have already checked: it builds no
    strategy object of its own (Hypothesis checks each new one on its first draw,
    which profiling showed at a twentieth of a sweep's time)."""
    sizes = _just(tuple(shape)) if shape is not None else _shapes(min_dims, max_dims, min_side, max_numel)
    dts = _just(dtype) if dtype is not None else dtypes()
    return _draw_tensor(draw, builder, sizes, dts, frozenset(layouts), value_range, requires_grad, fill)


def _standalone(draw, **kwargs) -> TensorRecipe:
    builder = CallBuilder()
    spec = draw_tensor(draw, builder, **kwargs)
    return TensorRecipe(spec, builder.storages[spec.storage])


@functools.lru_cache(maxsize=1024)
def _just(value) -> st.SearchStrategy:
    return st.just(value)


@functools.lru_cache(maxsize=256)
def _shapes(min_dims: int, max_dims: int, min_side: int, max_numel: int) -> st.SearchStrategy[tuple[int, ...]]:
    return shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max(4, min_side),
                  max_numel=max_numel)


def _draw_tensor(draw, builder: CallBuilder, sizes, dts, allowed: frozenset[str], value_range, requires_grad,
                 fill) -> TensorSpec:
    size = draw(sizes)
    dt = draw(dts)
    rank = len(size)

    def maybe(name: str, weight: int) -> bool:
        # One draw per layout feature; ~1/weight of examples, shrinking to "off".
        return name in allowed and draw(ints(0, weight - 1)) == weight - 1

    tags: list[str] = []
    order = list(range(rank))
    orders = ["contiguous"]
    if rank >= 2 and "permuted" in allowed:
        orders.append("permuted")
    if rank == 4 and "channels_last" in allowed:
        orders.append("channels_last")
    if rank == 5 and "channels_last_3d" in allowed:
        orders.append("channels_last_3d")
    kind = orders[0] if len(orders) == 1 or draw(ints(0, 3)) != 3 else draw(st.sampled_from(orders[1:]))
    if kind == "permuted":
        order = list(draw(st.permutations(range(rank))))
        if order == sorted(order):  # the identity is no permutation: swap the innermost two
            order[-2:] = order[-1], order[-2]
        tags.append("permuted")
    elif kind == "channels_last":
        order = [0, 2, 3, 1]
        tags.append("channels_last")
    elif kind == "channels_last_3d":
        order = [0, 2, 3, 4, 1]
        tags.append("channels_last_3d")
    steps = [1] * rank
    if rank and maybe("sliced", 6):
        steps = [draw(ints(1, 3)) for _ in range(rank)]
        if any(s > 1 for s in steps):
            tags.append("sliced")
    expanded = [False] * rank
    if rank and maybe("expanded", 8):
        expanded = [draw(BOOLS) for _ in range(rank)]
        if any(expanded[d] and size[d] > 1 for d in range(rank)):
            tags.append("expanded")
        else:
            expanded = [False] * rank
    stride = _strides(size, order, steps, expanded)
    if rank and maybe("overlapping", 16):
        stride = tuple(draw(ints(0, 2)) for _ in range(rank))
        tags.append("overlapping")
    offset = draw(ints(1, 3)) if maybe("offset", 6) else 0
    if offset:
        tags.append("offset")
    conj = dt in COMPLEX_DTYPES and maybe("conj", 5)
    neg = differentiable(dt) and maybe("neg", 16)
    tags += ["conj"] * conj + ["neg"] * neg

    need = storage_extent(size, stride, offset)
    # Aliasing: reuse an existing storage of the same dtype (grown to fit).
    storage_index = None
    same = [i for i, s in enumerate(builder.storages)
            if s.dtype == dt and s.fill != "range" and value_range is None and fill is None]
    if same and maybe("aliased", 8):
        storage_index = draw(st.sampled_from(same))
        old = builder.storages[storage_index]
        if old.numel < need:
            builder.storages[storage_index] = StorageSpec(old.dtype, need, old.fill, old.seed, old.low, old.high, old.requires_grad)
        tags.append("aliased")
    if storage_index is None:
        grad = requires_grad
        if grad is None:
            grad = differentiable(dt) and draw(ints(0, 9)) == 9
        if value_range is not None:
            spec = StorageSpec(dt, need, "range", draw(ints(0, 2**16)), value_range[0], value_range[1], False)
        else:
            spec = StorageSpec(dt, need, fill or _fill(draw, dt), draw(ints(0, 2**16)), 0, 1, bool(grad))
        storage_index = builder.add_storage(spec)
    # A non-contiguous or offset geometry is a view of its storage one time in three (user
    # code makes them by slicing); otherwise a tensor set onto the storage. Fake mode
    # converts a view by replaying it on a fake base, which costs about 7 times as much.
    view = bool(tags) and draw(ints(0, 2)) == 2 and not {"conj", "neg"} >= set(tags)
    if "aliased" in tags:
        view = view or draw(BOOLS)
    return TensorSpec(storage_index, size, stride, offset, view, conj, neg, tuple(tags) or ("contiguous",))


@st.composite
def tensor_calls(draw, op: str = "aten.clone.default", **kwargs) -> OpCall:
    """A one-tensor call of ``op`` (default clone): handy to test tensors alone."""
    b = CallBuilder()
    t = draw(tensors(b, **kwargs))
    return b.build(op, [t], {})
