"""Refiners for indexing ops: gather/scatter*, index_select/add/copy/fill/reduce,
index/index_put, take/take_along_dim/put, masked_fill/scatter/select, embedding,
and the *_scatter ops that write a view (select/slice/diagonal/as_strided).

Index tensors are int64 with values in range for the dim they index (an empty dim
gets an empty index); gather/scatter indices are no larger than self (and src) off
the indexed dim; sources have the shape the op writes; masks broadcast to self.
About 1 in 10 calls breaks one of these rules (index values included).
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from ._common import Refiners
from ._common import (
    REAL_DTYPES,
    WRITABLE,
    bad_dim,
    draw_shape,
    index_tensor,
    main,
    meta_shape,
    numel,
    one_in,
    only_known,
    pick,
    type_of,
    upto,
    wrap,
    wrong,
)
from .views import as_strided_geometry

REFINERS = Refiners()
register = REFINERS.register

_SCATTER_REDUCE = {"scatter": ("add", "multiply"), "scatter_reduce": ("sum", "prod", "mean", "amax", "amin"),
                   "index_reduce": ("prod", "mean", "amax", "amin")}


def _self_and_dim(ctx, *, min_dims: int = 0, dtypes_from=None):
    x = main(ctx, shape=draw_shape(ctx, min_dims=min_dims), dtypes_from=dtypes_from)
    r = len(x.size)
    d = ctx.dim(r)
    return x, d, (x.size[wrap(d, r)] if r else 1)


def _idx(ctx, shape, high: int, bad: bool):
    """In-range int64 index values; ``high`` (one past the end) everywhere when bad."""
    return index_tensor(ctx, shape, high + 1 if bad else high, low=high if bad else 0)


def _src(ctx, shape, *, same_dtype: bool = True):
    return ctx.tensor(shape=tuple(shape), dtype=ctx.dtype if same_dtype else None)


@register("gather", "scatter", "scatter_add", "scatter_reduce", "gather_backward")
def gather_scatter(ctx) -> dict:
    """index: same rank as self, sizes <= self's off ``dim`` (any size on it, values
    in range); src: self's shape with index's size (or more) on ``dim``."""
    base = ctx.entry.base_name
    dtypes_from = REAL_DTYPES if base == "scatter_reduce" else None
    x, d, n = _self_and_dim(ctx, dtypes_from=dtypes_from)
    r = len(x.size)
    bad = wrong(ctx)
    axis = wrap(d, r)
    idx_shape = [upto(ctx, 3) if i == axis else upto(ctx, s) for i, s in enumerate(x.size)]
    if n == 0:  # nothing to point at: an empty index
        idx_shape = [0] + idx_shape[1:] if idx_shape else idx_shape
    index = _idx(ctx, idx_shape, n, bad and n > 0) if not (bad and n == 0) else index_tensor(ctx, idx_shape, 1, low=1)
    src_shape = list(x.size)
    if r:
        src_shape[axis] = idx_shape[axis] + upto(ctx, 1)
    out = {"self": x, "dim": d if not (bad and one_in(ctx, 3)) else bad_dim(ctx, r), "index": index,
           "src": _src(ctx, src_shape), "value": ctx.scalar_for(ctx.dtype), "sparse_grad": False,
           "include_self": one_in(ctx, 2)}
    if base in _SCATTER_REDUCE:
        out["reduce"] = pick(ctx, list(_SCATTER_REDUCE[base]))
    if base == "gather_backward":
        out["grad"] = ctx.tensor(shape=tuple(idx_shape), dtype=ctx.dtype)
    return only_known(ctx, out)


@register("index_select", "index_add", "index_copy", "index_fill", "index_reduce")
def index_along_dim(ctx) -> dict:
    """A 1-d (or 0-d) index into ``dim``; source: self's shape with the index's length there."""
    base = ctx.entry.base_name
    dtypes_from = REAL_DTYPES if base == "index_reduce" else None
    x, d, n = _self_and_dim(ctx, dtypes_from=dtypes_from)
    r = len(x.size)
    bad = wrong(ctx)
    length = upto(ctx, 4) if n else 0
    shape = (length,) if not one_in(ctx, 6) or not n else ()
    if not r:  # a 0-d self takes one index
        shape = pick(ctx, [(), (1,)])
    index = _idx(ctx, shape, n, bad and n > 0)
    src_shape = list(x.size)
    if r:
        src_shape[wrap(d, r)] = max(numel(shape), 0)
    if bad and not n:
        src_shape.append(2)
    out = {"self": x, "dim": d, "index": index, "source": _src(ctx, src_shape if r else ()),
           "value": ctx.scalar_for(ctx.dtype), "alpha": pick(ctx, [1, 2]) if ctx.dtype != torch.bool else True,
           "include_self": one_in(ctx, 2)}
    if type_of(ctx, "value") == "Tensor":
        out["value"] = ctx.tensor(shape=(), dtype=ctx.dtype)
    if base in _SCATTER_REDUCE:
        out["reduce"] = pick(ctx, list(_SCATTER_REDUCE[base]))
    return only_known(ctx, out)


def _indices(ctx, x, bad: bool) -> tuple[list, bool]:
    """A Tensor?[] index list for ``x`` (rank >= 1) and whether it holds a bool mask:
    leading Nones, then either one bool mask over the next dims or int64 tensors of
    one broadcast shape (Nones between them)."""
    shape, r = x.size, len(x.size)
    skip = upto(ctx, r - 1) if one_in(ctx, 3) else 0
    items: list = [None] * skip
    if one_in(ctx, 4):
        span = upto(ctx, r - skip, 1)
        mask_shape = shape[skip:skip + span] if not bad else shape[skip:skip + span] + (3,)
        return items + [ctx.tensor(shape=mask_shape, dtype=torch.bool, layouts=("contiguous", "sliced"))], True
    dims = list(range(skip, skip + upto(ctx, r - skip, 1)))
    common = draw_shape(ctx, max_dims=2, max_numel=6)
    if any(shape[d] == 0 for d in dims):
        common = (0,)
    for i, d in enumerate(dims):
        n = shape[d]
        if 0 < i < len(dims) - 1 and one_in(ctx, 4):
            items.append(None)
        else:
            items.append(index_tensor(ctx, common, n + 1 if bad else n, low=n if bad else -n))
    return items, False


@register("index", "index_put", "_index_put_impl")
def index(ctx) -> dict:
    """Tensor?[] indices: int64 tensors of one broadcast shape with values in
    [-size, size) and Nones, or one bool mask; index_put values broadcast to the
    result (its exact shape when no mask decides it, else 0-d or (1,))."""
    x = main(ctx, shape=draw_shape(ctx, min_dims=1))
    bad = wrong(ctx)
    items, has_mask = _indices(ctx, x, bad)
    out = {"self": x, "indices": items, "accumulate": one_in(ctx, 2), "unsafe": False}
    if has_mask or bad:
        vshape = pick(ctx, [(), (1,)])
    else:
        metas = [None if i is None else torch.empty(i.size, dtype=torch.int64, device="meta") for i in items]
        result = meta_shape(lambda t: torch.ops.aten.index.Tensor(t, metas), x.size)
        vshape = result if result is not None else ()
        if vshape and one_in(ctx, 3):
            vshape = vshape[upto(ctx, len(vshape)):]
    out["values"] = ctx.tensor(shape=tuple(vshape), dtype=ctx.dtype)
    return only_known(ctx, out)


@register("take", "put")
def take_put(ctx) -> dict:
    """Flat indices in [-numel, numel) of any shape; put's source has the index's numel."""
    x = main(ctx, shape=draw_shape(ctx))
    n = numel(x.size)
    bad = wrong(ctx)
    shape = draw_shape(ctx, max_dims=2, max_numel=8) if n else (0,)
    index = index_tensor(ctx, shape, n + 1 if bad else n, low=n if bad else -n)
    return only_known(ctx, {"self": x, "index": index, "source": _src(ctx, shape), "accumulate": one_in(ctx, 2)})


@register("take_along_dim")
def take_along_dim(ctx) -> dict:
    """dim None: flat indices; else indices of self's rank, broadcastable off ``dim``."""
    x, d, n = _self_and_dim(ctx)
    r = len(x.size)
    bad = wrong(ctx)
    if one_in(ctx, 3) or not r:
        total = numel(x.size)
        shape = draw_shape(ctx, max_dims=2, max_numel=8) if total else (0,)
        return {"self": x, "indices": _idx(ctx, shape, total, bad), "dim": None}
    shape = [upto(ctx, 3) if i == wrap(d, r) else pick(ctx, [s, 1]) for i, s in enumerate(x.size)]
    if not n:
        shape[wrap(d, r)] = 0
    return {"self": x, "indices": _idx(ctx, shape, n, bad and n > 0), "dim": d}


def _mask_shape(ctx, shape) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape``: leading dims dropped, some sizes 1."""
    out = shape[upto(ctx, len(shape)):]
    return tuple(1 if one_in(ctx, 3) else s for s in out)


@register("masked_fill", "masked_scatter", "masked_select")
def masked(ctx) -> dict:
    """A bool mask broadcasting to self; a 0-d value tensor; a source with at least
    self's numel."""
    x = main(ctx, shape=draw_shape(ctx))
    bad = wrong(ctx)
    mask_shape = _mask_shape(ctx, x.size) if not bad else x.size + (2,)
    out = {"self": x, "mask": ctx.tensor(shape=mask_shape, dtype=torch.bool, layouts=WRITABLE)}
    if type_of(ctx, "value") == "Tensor":
        out["value"] = ctx.tensor(shape=(), dtype=ctx.dtype if not one_in(ctx, 4) else None)
    else:
        out["value"] = ctx.scalar_for(ctx.dtype)
    out["source"] = ctx.tensor(shape=x.size if not one_in(ctx, 3) else (numel(x.size) + upto(ctx, 2),),
                               dtype=ctx.dtype)
    return only_known(ctx, out)


@register("embedding", "embedding_dense_backward")
def embedding(ctx) -> dict:
    """weight (num, dim); indices of any shape in [0, num); padding_idx in range or -1."""
    bad = wrong(ctx)
    num, width = upto(ctx, 4, 1), upto(ctx, 3)
    idx_shape = draw_shape(ctx, max_dims=2, max_numel=8)
    indices = _idx(ctx, idx_shape, num, bad)
    weight = main(ctx, shape=(num, width), dtypes_from=(torch.float32, torch.float64, torch.float16, torch.bfloat16))
    out = {"weight": weight, "indices": indices, "padding_idx": pick(ctx, [-1, 0, num - 1]),
           "scale_grad_by_freq": one_in(ctx, 3), "sparse": False, "num_weights": num}
    if ctx.entry.base_name == "embedding_dense_backward":
        out["grad_output"] = main(ctx, shape=tuple(idx_shape) + (width,), dtypes_from=(torch.float32, torch.float64))
    return only_known(ctx, out)


@register("select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter")
def view_scatter(ctx) -> dict:
    """src shaped like the view the op writes (select/slice/diagonal/as_strided of self)."""
    base = ctx.entry.base_name
    bad = wrong(ctx)
    min_dims = {"select_scatter": 1, "slice_scatter": 1, "diagonal_scatter": 2}.get(base, 0)
    x = main(ctx, shape=draw_shape(ctx, min_dims=min_dims, min_side=1 if base == "select_scatter" else 0))
    r = len(x.size)
    out: dict = {"self": x}
    if base == "as_strided_scatter":
        size, stride, offset = as_strided_geometry(ctx, numel(x.size), False)
        out.update(size=size, stride=stride, storage_offset=offset)
        view = tuple(size)
    else:
        d = ctx.dim(r)
        n = x.size[wrap(d, r)]
        if base == "select_scatter":
            out.update(dim=d, index=ctx.draw(st.integers(-n, n - 1)))
            view = meta_shape(lambda t: t.select(d, out["index"]), x.size)
        elif base == "slice_scatter":
            bound = st.one_of(st.none(), st.integers(-n - 1, n + 1))
            out.update(dim=d, start=ctx.draw(bound), end=ctx.draw(bound), step=upto(ctx, 3, 1))
            view = meta_shape(lambda t: torch.ops.aten.slice.Tensor(t, d, out["start"], out["end"], out["step"]), x.size)
        else:
            d2 = pick(ctx, [k for k in range(r) if k != wrap(d, r)])
            out.update(dim1=d, dim2=d2, offset=ctx.draw(st.integers(-2, 2)))
            view = meta_shape(lambda t: t.diagonal(out["offset"], d, d2), x.size)
    view = tuple(view or ())
    if bad:
        view = view + (2,)
    out["src"] = ctx.tensor(shape=view, dtype=ctx.dtype)
    return out
