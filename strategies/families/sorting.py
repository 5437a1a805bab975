"""Refiners for sorting and scans: sort/argsort/msort, topk, kthvalue, median,
nanmedian, mode, cumsum/cumprod/cummax/cummin/logcumsumexp, unique*, searchsorted and
bucketize.

Dims are drawn within rank; ``k`` stays within the size of the sorted dim; ops with no
identity get a non-empty dim; input dtypes are the ones the CPU kernels implement.
searchsorted gets a sequence whose leading dims match the values' (or a 1-d one),
an in-range ``sorter`` and ``side`` consistent with ``right``.
"""

from __future__ import annotations

import torch

from ._common import Refiners
from ._common import (
    ALL_DTYPES,
    INEXACT_DTYPES,
    NO_VALUE,
    NUMBER_DTYPES,
    REAL_DTYPES,
    bad_dim,
    draw_shape,
    input_dtype,
    index_tensor,
    main,
    nonempty,
    one_in,
    only_known,
    pick,
    reduced,
    type_of,
    upto,
    wrong,
)

REFINERS = Refiners()
register = REFINERS.register

# base name -> (input dtypes, needs a non-empty dim)
RULES: dict[str, tuple[tuple[torch.dtype, ...], bool]] = {
    "sort": (REAL_DTYPES, False),
    "argsort": (REAL_DTYPES, False),
    "msort": (REAL_DTYPES, False),
    "topk": (NUMBER_DTYPES, False),
    "kthvalue": (NUMBER_DTYPES, True),
    "median": (NUMBER_DTYPES, True),
    "nanmedian": (NUMBER_DTYPES, True),
    "mode": (REAL_DTYPES, True),
    "cumsum": (ALL_DTYPES, False),
    "cumprod": (ALL_DTYPES, False),
    "cummax": (REAL_DTYPES, False),
    "cummin": (REAL_DTYPES, False),
    "logcumsumexp": (INEXACT_DTYPES, False),
    "_logcumsumexp": (INEXACT_DTYPES, False),
    "unique_dim": (REAL_DTYPES, False),
    "unique_dim_consecutive": (REAL_DTYPES, False),
    "unique_consecutive": (REAL_DTYPES, False),
    "_unique": (REAL_DTYPES, False),
    "_unique2": (REAL_DTYPES, False),
}
_UNIQUE_DIM = ("unique_dim", "unique_dim_consecutive", "unique_consecutive")


@register(*RULES)
def sort_scan(ctx) -> dict:
    """One tensor, one dim (or none), and k within that dim."""
    base = ctx.entry.base_name
    allowed, no_identity = RULES[base]
    bad = wrong(ctx)
    dim_type = type_of(ctx, "dim")
    shape = draw_shape(ctx, min_dims=1 if dim_type and base in _UNIQUE_DIM else 0)
    rank = len(shape)
    dim = NO_VALUE
    if dim_type is not None:
        dim = None if dim_type.startswith("Optional") and one_in(ctx, 3) else ctx.dim(rank)
        if bad and one_in(ctx, 2):
            dim = bad_dim(ctx, rank)
    axis = reduced(dim if dim is not NO_VALUE else -1, rank)
    if no_identity and not bad:
        shape = nonempty(shape, axis if dim is not None else list(range(rank)))
    if base in _UNIQUE_DIM and dim not in (None, NO_VALUE) and not bad:
        shape = nonempty(shape, [d for d in range(rank) if d not in axis])  # unique needs these
    dtype = input_dtype(ctx, allowed if not bad else ALL_DTYPES, torch.int64,
                        promoting=base in ("cumsum", "cumprod"))
    out = {"self": main(ctx, shape=shape, dtype=dtype), "dim": dim, "stable": pick(ctx, [None, True, False])}
    if type_of(ctx, "k"):
        size = shape[axis[0]] if axis and axis[0] < rank else 1
        lo = 1 if base == "kthvalue" else 0
        out["k"] = upto(ctx, size, lo) if not bad else size + 1
    if type_of(ctx, "dtype") is not None:
        out["dtype"] = NO_VALUE if one_in(ctx, 2) or ctx.entry.kind == "out" else ctx.dtype
    return only_known(ctx, out)


@register("searchsorted", "bucketize")
def searchsorted(ctx) -> dict:
    """A sorted sequence (1-d, or leading dims equal to the values') and values."""
    bad = wrong(ctx)
    dtype = input_dtype(ctx, NUMBER_DTYPES, torch.int64)
    values_shape = draw_shape(ctx, max_dims=3)
    n = upto(ctx, 4)
    scalar_self = type_of(ctx, "self") == "number"
    if ctx.entry.base_name == "bucketize" or scalar_self or not values_shape or one_in(ctx, 2):
        seq_shape = (n,)
    else:
        seq_shape = values_shape[:-1] + (n,)
    if bad:
        seq_shape = (n + 1,) + seq_shape
    seq = ctx.tensor(shape=seq_shape, dtype=dtype if not one_in(ctx, 5) else None,
                     requires_grad=False)
    self = ctx.scalar_for(dtype) if scalar_self else main(ctx, shape=values_shape, dtype=dtype)
    if scalar_self:
        ctx.main = seq
    right = one_in(ctx, 2)
    out_int32 = one_in(ctx, 3) and ctx.entry.kind != "out"  # out tensors come int64 at best
    out = {"self": self, "sorted_sequence": seq, "boundaries": seq, "right": right, "out_int32": out_int32}
    if type_of(ctx, "side"):
        out["side"] = pick(ctx, [NO_VALUE, None, "right" if right else "left"])
    if type_of(ctx, "sorter"):
        out["sorter"] = None if one_in(ctx, 2) else index_tensor(ctx, seq_shape, seq_shape[-1])
    return only_known(ctx, out)
