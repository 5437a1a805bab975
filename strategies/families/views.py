"""Refiners for view ops and their ``_copy`` twins (which share the base name's
refiner through the registry).

Each refiner draws ``self`` first and then arguments that fit its geometry: dims
within rank (negative too), in-range select/narrow/slice bounds, unfold windows
that fit, distinct diagonal dims, permutations, sizes with the same numel (a -1
sometimes), as_strided geometries inside the storage, complex inputs for
view_as_real and (..., 2) float inputs for view_as_complex. About 1 in 10 calls
breaks one rule on purpose.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from crossref.check.opcall import contiguous_strides, storage_extent

from ._common import Refiners
from ._common import (
    COMPLEX_DTYPES,
    bad_dim,
    draw_shape,
    factor,
    main,
    numel,
    one_in,
    only_known,
    pick,
    upto,
    wrap,
    wrong,
)

REFINERS = Refiners()
register = REFINERS.register

_COMPLEX_OF = {torch.float16: torch.complex32, torch.float32: torch.complex64, torch.float64: torch.complex128}


def view_op(*names: str):
    """Register a refiner for ``names`` and their ``_copy`` twins (view_copy, ...)."""
    return register(*names, *(f"{n}_copy" for n in names))


def _base(ctx) -> str:
    """The op's base name without a ``_copy`` suffix."""
    return ctx.entry.base_name.removesuffix("_copy")


def _self(ctx, *, min_dims: int = 0, max_dims: int = 4, **kwargs):
    return main(ctx, shape=draw_shape(ctx, min_dims=min_dims, max_dims=max_dims), **kwargs)


def _dim(ctx, rank: int, bad: bool, *, extra: int = 0) -> int:
    """A dim of a ``rank + extra``-d result (``extra=1`` for unsqueeze/stack)."""
    return bad_dim(ctx, rank + extra) if bad else ctx.dim(rank + extra)


def _reshaped(ctx, shape, bad: bool, *, infer: bool = True) -> list[int]:
    """A shape with the numel of ``shape``: -1 for one size sometimes (when ``infer``
    and the numel is not 0), numel + 1 when ``bad``."""
    n = numel(shape)
    if bad:
        return [n + 1]
    if n == 0:
        return list(ctx.draw(st.permutations(shape))) if shape else [0]
    out = factor(ctx, n, upto(ctx, 4, 1))
    if infer and one_in(ctx, 4):
        out[upto(ctx, len(out) - 1)] = -1
    return out


@view_op("view", "reshape", "_reshape_alias", "_unsafe_view", "_reshape")
def reshape(ctx) -> dict:
    """Same-numel sizes. view mostly gets contiguous inputs (other layouts may not be
    viewable); _reshape_alias(_copy) gets contiguous strides and is never wrong (the
    copy variant reads memory unchecked)."""
    base = _base(ctx)
    alias = base == "_reshape_alias"
    layouts = ("contiguous", "offset") if alias or (base.startswith("view") and not one_in(ctx, 4)) else None
    x = _self(ctx, **({"layouts": layouts} if layouts else {}))
    bad = wrong(ctx) and not alias
    if ctx.entry.overload.startswith("dtype"):  # view.dtype: a dtype of the same size mostly
        size = ctx.builder.storages[x.storage].dtype.itemsize
        same = [d for d in (torch.float32, torch.int32, torch.int16, torch.float16, torch.int64,
                            torch.float64, torch.uint8, torch.bool, torch.complex64, torch.complex128)
                if d.itemsize == size]
        return {"self": x, "dtype": pick(ctx, same) if not bad else torch.complex128}
    size = _reshaped(ctx, x.size, bad)
    if alias:
        size = [s if s >= 0 else 1 for s in size]
        size = size if numel(size) == numel(x.size) else list(x.size)
    return only_known(ctx, {"self": x, "size": size, "shape": size,
                            "stride": list(contiguous_strides(tuple(size)))})


@view_op("flatten")
def flatten(ctx) -> dict:
    x = _self(ctx)
    r = len(x.size)
    a, b = sorted((ctx.dim(r), ctx.dim(r)), key=lambda d: wrap(d, r))
    if wrong(ctx):
        a, b = (b, a) if wrap(a, r) != wrap(b, r) else (bad_dim(ctx, r), b)
    return {"self": x, "start_dim": a, "end_dim": b}


@view_op("unflatten")
def unflatten(ctx) -> dict:
    x = _self(ctx, min_dims=1)
    dim = ctx.dim(len(x.size))
    n = x.size[wrap(dim, len(x.size))]
    sizes = factor(ctx, n, upto(ctx, 3, 1)) if n else [0, upto(ctx, 2, 1)]
    if one_in(ctx, 4):
        sizes[0] = -1
    if wrong(ctx):
        sizes = sizes + [2]
    return {"self": x, "dim": dim, "sizes": sizes}


@view_op("transpose", "swapaxes", "swapdims")
def transpose(ctx) -> dict:
    x = _self(ctx)
    r, bad = len(x.size), wrong(ctx)
    d0, d1 = ctx.dim(r), _dim(ctx, r, bad)
    return only_known(ctx, {"self": x, "dim0": d0, "dim1": d1, "axis0": d0, "axis1": d1})


@view_op("permute")
def permute(ctx) -> dict:
    x = _self(ctx)
    r = len(x.size)
    dims = [d - r if one_in(ctx, 3) else d for d in ctx.draw(st.permutations(range(r)))]
    if wrong(ctx):
        dims = dims[:-1] if dims else [0]
    return {"self": x, "dims": dims}


@view_op("movedim", "moveaxis")
def movedim(ctx) -> dict:
    x = _self(ctx)
    r = len(x.size)
    if ctx.entry.overload == "int":
        src, dst = ctx.dim(r), _dim(ctx, r, wrong(ctx))
    else:
        src = ctx.dims(r)
        dst = list(ctx.draw(st.permutations(range(r))))[: len(src)] if r else list(src)
        if wrong(ctx):
            dst = dst + [0]
    return {"self": x, "source": src, "destination": dst}


@view_op("t", "numpy_T", "mT", "mH", "adjoint", "matrix_H")
def matrix_views(ctx) -> dict:
    """t: rank <= 2; mT/mH/adjoint/matrix_H: rank >= 2 (matrix_H exactly 2)."""
    base = _base(ctx)
    bad = wrong(ctx)
    lo, hi = {"t": (0, 2), "numpy_T": (0, 4), "matrix_H": (2, 2)}.get(base, (2, 4))
    if bad:
        lo, hi = (hi + 1, hi + 1) if hi < 4 else (0, max(lo - 1, 0))
    return {"self": _self(ctx, min_dims=lo, max_dims=hi)}


@view_op("expand", "broadcast_to")
def expand(ctx) -> dict:
    """Target sizes: size-1 dims grown, new leading dims, -1 to keep a dim."""
    x = _self(ctx)
    target = [s if s != 1 or one_in(ctx, 2) else upto(ctx, 3) for s in x.size]
    target = [upto(ctx, 3) for _ in range(upto(ctx, 2))] + target
    if target and one_in(ctx, 4):
        i = upto(ctx, len(target) - 1)
        if i >= len(target) - len(x.size):
            target[i] = -1
    if wrong(ctx):
        target = [s + 1 if s > 1 else 2 for s in x.size] or [-2]
    return {"self": x, "size": target}


@view_op("expand_as", "view_as", "reshape_as")
def as_other(ctx) -> dict:
    """other: an expand target (size-1 dims grown, a leading dim) or a same-numel shape."""
    x = _self(ctx)
    bad = wrong(ctx)
    if _base(ctx) == "expand_as":
        shape = [upto(ctx, 2)] + [s if s != 1 else upto(ctx, 3) for s in x.size]
        if bad:
            shape = [s + 1 for s in x.size] or [2]
    else:
        shape = _reshaped(ctx, x.size, bad, infer=False)
    return {"self": x, "other": ctx.tensor(shape=tuple(shape))}


@view_op("squeeze")
def squeeze(ctx) -> dict:
    x = _self(ctx)
    r = len(x.size)
    out = {"self": x}
    if ctx.entry.overload.endswith("dim"):
        out["dim"] = _dim(ctx, r, wrong(ctx))
    elif ctx.entry.overload.endswith("dims"):
        out["dim"] = ctx.dims(r) if not wrong(ctx) else [bad_dim(ctx, r)]
    return out


@view_op("unsqueeze")
def unsqueeze(ctx) -> dict:
    x = _self(ctx)
    return {"self": x, "dim": _dim(ctx, len(x.size), wrong(ctx), extra=1)}


def _dim_and_size(ctx, x, bad: bool) -> tuple[int, int]:
    r = len(x.size)
    d = _dim(ctx, r, bad)
    return d, (x.size[wrap(d, r)] if r and not bad else 1)


@view_op("select")
def select(ctx) -> dict:
    """index in [-size, size) of a non-empty dim; size when wrong."""
    bad = wrong(ctx)
    shape = draw_shape(ctx, min_dims=1, min_side=1) if not bad else draw_shape(ctx)
    x = main(ctx, shape=shape)
    d, n = _dim_and_size(ctx, x, False)
    index = ctx.draw(st.integers(-n, n - 1)) if not bad else n
    return {"self": x, "dim": d, "index": index}


@view_op("narrow")
def narrow(ctx) -> dict:
    """start in [-size, size], length with start + length <= size (a 0-d int64 tensor
    start for narrow.Tensor)."""
    x = _self(ctx, min_dims=1)
    bad = wrong(ctx)
    d, n = _dim_and_size(ctx, x, False)
    start = upto(ctx, n)
    length = upto(ctx, n - start) + (1 if bad else 0)
    if one_in(ctx, 3) and start:
        start -= n
    if ctx.entry.overload == "Tensor":
        start = ctx.tensor(shape=(), dtype=torch.int64, value_range=(start, start + 1), layouts=("contiguous",))
    return {"self": x, "dim": d, "start": start, "length": length}


@view_op("slice", "slice_inverse")
def slice_(ctx) -> dict:
    """start/end anywhere around the dim (clamped by the op), step >= 1 (0 when wrong)."""
    x = _self(ctx, min_dims=1)
    d, n = _dim_and_size(ctx, x, False)
    bound = st.one_of(st.none(), st.integers(-n - 1, n + 1))
    out = {"self": x, "dim": d, "start": ctx.draw(bound), "end": ctx.draw(bound),
           "step": upto(ctx, 3, 1) if not wrong(ctx) else 0}
    if _base(ctx) == "slice_inverse":
        out["src"] = ctx.tensor(shape=x.size, dtype=ctx.dtype)
    return out


@view_op("unfold")
def unfold(ctx) -> dict:
    """size <= the dim's size (<= 1 for a 0-d tensor), step >= 1."""
    x = _self(ctx)
    d, n = _dim_and_size(ctx, x, False)
    size = upto(ctx, n) if not wrong(ctx) else n + 1
    return {"self": x, "dimension": d, "size": size, "step": upto(ctx, 3, 1)}


@view_op("diagonal", "linalg_diagonal")
def diagonal(ctx) -> dict:
    """Two distinct dims of a >= 2-d tensor and any offset."""
    x = _self(ctx, min_dims=2)
    r = len(x.size)
    d1 = ctx.dim(r)
    others = [d for d in range(r) if d != wrap(d1, r)]
    d2 = pick(ctx, others) if not wrong(ctx) else d1
    if one_in(ctx, 3):
        d2 -= r
    offset = ctx.draw(st.integers(-3, 3))
    return {"self": x, "A": x, "offset": offset, "dim1": d1, "dim2": d2}


def as_strided_geometry(ctx, room: int, bad: bool) -> tuple[list[int], list[int], int]:
    """(size, stride, storage_offset) whose extent fits ``room`` elements (one more
    than fits when ``bad``)."""
    rank = upto(ctx, 3)
    size = [upto(ctx, 3) for _ in range(rank)]
    stride = [upto(ctx, 3) for _ in range(rank)]
    offset = upto(ctx, min(2, room))
    if bad:
        return size + [room + 1], stride + [1], offset

    def fits() -> bool:
        return storage_extent(tuple(size), tuple(stride), offset) <= room

    for i in sorted(range(rank), key=lambda j: -stride[j]):  # any size 0 fits: offset <= room
        while size[i] > 0 and not fits():
            size[i] -= 1
    if not fits():  # 0-d: one element at offset
        if room:
            offset = min(offset, room - 1)
        else:
            size, stride = [0], [1]
    return size, stride, offset


@view_op("as_strided")
def as_strided(ctx) -> dict:
    """A geometry inside the input's storage."""
    x = _self(ctx)
    room = ctx.builder.storages[x.storage].numel
    size, stride, offset = as_strided_geometry(ctx, room, wrong(ctx))
    return {"self": x, "size": size, "stride": stride, "storage_offset": offset}


@view_op("view_as_real")
def view_as_real(ctx) -> dict:
    """A complex, unconjugated input (or a real one when wrong)."""
    layouts = tuple(x for x in ("contiguous", "permuted", "sliced", "offset", "expanded", "neg"))
    dtype = pick(ctx, list(COMPLEX_DTYPES)) if not wrong(ctx) else torch.float32
    return {"self": _self(ctx, dtype=dtype, layouts=layouts)}


@view_op("view_as_complex")
def view_as_complex(ctx) -> dict:
    """float16/32/64 of shape (..., 2), last stride 1, other strides even, even offset:
    a contiguous (..., 2) tensor satisfies all."""
    bad = wrong(ctx)
    dtype = pick(ctx, [torch.float32, torch.float64, torch.float16])
    shape = draw_shape(ctx, max_dims=3) + ((2,) if not bad else (3,))
    return {"self": main(ctx, shape=shape, dtype=dtype, layouts=("contiguous",))}


@view_op("real", "imag", "_conj")
def real_imag(ctx) -> dict:
    """imag and _conj need a complex input; real takes any."""
    complex_ = _base(ctx) != "real" or one_in(ctx, 2)
    dtype = pick(ctx, list(COMPLEX_DTYPES)) if complex_ and not wrong(ctx) else None
    return {"self": _self(ctx, dtype=dtype)}


@view_op("hsplit", "vsplit", "dsplit")
def directional_split(ctx) -> dict:
    """hsplit: rank >= 1 (dim 1, or 0 for 1-d); vsplit: rank >= 2 (dim 0); dsplit:
    rank >= 3 (dim 2). Sections divide the dim; indices are any ints."""
    base = _base(ctx)
    min_dims = {"hsplit": 1, "vsplit": 2, "dsplit": 3}[base]
    x = _self(ctx, min_dims=min_dims if not wrong(ctx) else 0)
    r = len(x.size)
    axis = {"hsplit": 1 if r > 1 else 0, "vsplit": 0, "dsplit": 2}[base]
    n = x.size[axis] if axis < r else 1
    if ctx.entry.overload == "int":
        divisors = [k for k in range(1, max(n, 1) + 1) if n % k == 0] or [1]
        return {"self": x, "sections": pick(ctx, divisors)}
    return {"self": x, "indices": sorted(upto(ctx, n + 1) for _ in range(upto(ctx, 3)))}


@view_op("contiguous")
def contiguous(ctx) -> dict:
    """memory_format: contiguous, or channels_last(_3d) for 4-d (5-d) inputs."""
    x = _self(ctx, min_dims=0, max_dims=5)
    formats = [torch.contiguous_format] + {4: [torch.channels_last], 5: [torch.channels_last_3d]}.get(len(x.size), [])
    return {"self": x, "memory_format": pick(ctx, formats) if not wrong(ctx) else torch.preserve_format}
