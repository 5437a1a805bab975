"""Refiners for joins and splits: cat/concat/concatenate, stack, hstack/vstack/
dstack/column_stack, split/split_with_sizes/unsafe_*/*_copy, chunk, tensor_split,
unbind.

Joins get 1 to 3 tensors whose shapes agree except on the join dim (a legacy 1-d
empty tensor sometimes joins anything in cat), mostly of one dtype with mixed dtypes
about 1 in 4. Splits get sizes that sum to the dim's size, positive chunk and section
counts, and index lists.
"""

from __future__ import annotations

from ._common import Refiners
from ._common import (
    bad_dim,
    draw_shape,
    index_tensor,
    main,
    one_in,
    only_known,
    pick,
    upto,
    wrap,
    wrong,
)

REFINERS = Refiners()
register = REFINERS.register

#: base name -> (tensor rank range, the join dim as a function of rank or None: drawn)
_STACKERS = {
    "hstack": ((1, 3), lambda r: 0 if r == 1 else 1),
    "vstack": ((2, 3), lambda r: 0),
    "dstack": ((3, 3), lambda r: 2),
    "column_stack": ((2, 3), lambda r: 1),
}


def _tensor_list(ctx, shape, dim: int | None, bad: bool) -> list:
    """1 to 3 tensors: ``shape`` with the size at ``dim`` varying (None: all equal)."""
    count = upto(ctx, 3, 1)
    mixed = one_in(ctx, 4)
    first = main(ctx, shape=shape)
    out = [first]
    for i in range(1, count):
        s = list(shape)
        if dim is not None:
            s[dim] = upto(ctx, 3)
        if bad and i == count - 1:
            s = s + [1] if dim is None or not s else [x + 1 for x in s]
        out.append(ctx.tensor(shape=tuple(s), dtype=None if mixed else ctx.dtype))
    if bad and count == 1:
        out.append(ctx.tensor(shape=tuple(shape) + (2,), dtype=ctx.dtype))
    return out


@register("cat", "concat", "concatenate", "_cat", "stack")
def cat(ctx) -> dict:
    bad = wrong(ctx)
    stack = ctx.entry.base_name == "stack"
    shape = draw_shape(ctx, min_dims=0 if stack else 1, max_dims=4, max_numel=24)
    r = len(shape)
    dim = ctx.dim(r + 1) if stack else ctx.dim(r)
    tensors = _tensor_list(ctx, shape, None if stack else wrap(dim, r), bad)
    if not stack and one_in(ctx, 8):
        tensors.insert(upto(ctx, len(tensors)), ctx.tensor(shape=(0,), dtype=ctx.dtype))  # legacy empty
    return {"tensors": tensors, "dim": dim}


@register(*_STACKERS)
def stackers(ctx) -> dict:
    """Join along the op's fixed dim (or lower-rank tensors of one shape)."""
    (lo, hi), axis = _STACKERS[ctx.entry.base_name]
    bad = wrong(ctx)
    if one_in(ctx, 4):  # tensors below the op's rank are promoted: all of one shape then
        shape, dim = draw_shape(ctx, max_dims=lo - 1 if lo > 1 else 1, max_numel=12), None
    else:
        shape = draw_shape(ctx, min_dims=lo, max_dims=hi, max_numel=24)
        dim = axis(len(shape))
    return {"tensors": _tensor_list(ctx, shape, dim, bad)}


def _split_dim(ctx, bad: bool):
    x = main(ctx, shape=draw_shape(ctx, min_dims=1 if not bad else 0))
    r = len(x.size)
    d = ctx.dim(r) if not (bad and one_in(ctx, 2)) else bad_dim(ctx, r)
    n = x.size[wrap(d, r)] if r else 1
    return x, d, n


def _sizes_summing_to(ctx, n: int) -> list[int]:
    parts = upto(ctx, 3, 1)
    cuts = sorted(upto(ctx, n) for _ in range(parts - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [n])]


@register("split", "split_copy", "unsafe_split", "split_with_sizes", "split_with_sizes_copy",
          "unsafe_split_with_sizes")
def split(ctx) -> dict:
    """split_size >= 1 (0 only for an empty dim), or sizes that sum to the dim's size."""
    bad = wrong(ctx)
    x, d, n = _split_dim(ctx, bad)
    if "List" in str(ctx.entry.schema.arguments[1].real_type):
        sizes = _sizes_summing_to(ctx, n)
        if bad:
            sizes = sizes + [1]
        return only_known(ctx, {"self": x, "dim": d, "split_size": sizes, "split_sizes": sizes})
    size = upto(ctx, max(n, 1), 1 if n else 0)
    return {"self": x, "dim": d, "split_size": size}


@register("chunk", "unsafe_chunk")
def chunk(ctx) -> dict:
    bad = wrong(ctx)
    x, d, n = _split_dim(ctx, bad)
    return {"self": x, "dim": d, "chunks": upto(ctx, 4, 1) if not bad else 0}


@register("tensor_split")
def tensor_split(ctx) -> dict:
    """sections >= 1, any index list, or a 0-d (sections) / 1-d (indices) int64 tensor."""
    bad = wrong(ctx)
    x, d, n = _split_dim(ctx, bad)
    out = {"self": x, "dim": d, "sections": upto(ctx, 4, 1) if not bad else 0,
           "indices": sorted(upto(ctx, n + 1) for _ in range(upto(ctx, 3)))}
    if ctx.entry.overload == "tensor_indices_or_sections":
        shape = pick(ctx, [(), (upto(ctx, 3),)]) if not bad else (1, 1)
        low = 1 if shape == () else 0
        out["tensor_indices_or_sections"] = index_tensor(ctx, shape, n + 2, low=low)
    return only_known(ctx, out)


@register("unbind", "unbind_copy")
def unbind(ctx) -> dict:
    bad = wrong(ctx)
    x, d, _ = _split_dim(ctx, bad)
    return {"self": x, "dim": d}
