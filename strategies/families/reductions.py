"""Refiners for reductions: sum, mean, prod, amax/amin, max/min(dim), argmax/argmin,
var/std(_mean), logsumexp, norms, all/any, nansum, count_nonzero, aminmax.

Each op has a rule: the input dtypes its CPU kernel accepts, whether it needs a
non-empty reduced extent (no identity), and the fixed result dtype of ops like
argmax or all (out= variants then favour inputs of that dtype, since the generic
filler draws the out tensor in the input's dtype). Dims are drawn by schema type
(int, int[1], int[1]?) within rank, negative too; keepdim, correction, p/ord and
dtype arguments are drawn to be accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._common import Refiners
from ._common import (
    ALL_DTYPES,
    INEXACT_DTYPES,
    FLOAT_DTYPES,
    NO_VALUE,
    REAL_DTYPES,
    COMPLEX_DTYPES,
    bad_dim,
    dims_for,
    input_dtype,
    draw_shape,
    main,
    nonempty,
    one_in,
    only_known,
    pick,
    reduced,
    type_of,
    wrong,
)

REFINERS = Refiners()
register = REFINERS.register


@dataclass(frozen=True, slots=True)
class Rule:
    dtypes: tuple[torch.dtype, ...] = ALL_DTYPES
    no_identity: bool = False  # an empty reduced extent is an error
    result: torch.dtype | None = None  # fixed result dtype, favoured for out=


_NO_BOOL = tuple(d for d in REAL_DTYPES if d != torch.bool)
RULES: dict[str, Rule] = {
    "sum": Rule(),
    "prod": Rule(),
    "nansum": Rule(REAL_DTYPES),
    "mean": Rule(INEXACT_DTYPES),
    "var": Rule(INEXACT_DTYPES),
    "std": Rule(INEXACT_DTYPES),
    "var_mean": Rule(INEXACT_DTYPES),
    "std_mean": Rule(INEXACT_DTYPES),
    "logsumexp": Rule(FLOAT_DTYPES),
    "norm": Rule(FLOAT_DTYPES),
    "linalg_vector_norm": Rule(FLOAT_DTYPES),
    "linalg__powsum": Rule(FLOAT_DTYPES),
    "amax": Rule(REAL_DTYPES, no_identity=True),
    "amin": Rule(REAL_DTYPES, no_identity=True),
    "max": Rule(REAL_DTYPES, no_identity=True, result=torch.int64),  # max.dim_max: int64 indices
    "min": Rule(REAL_DTYPES, no_identity=True, result=torch.int64),
    "aminmax": Rule(REAL_DTYPES, no_identity=True),
    "argmax": Rule(_NO_BOOL, no_identity=True, result=torch.int64),
    "argmin": Rule(_NO_BOOL, no_identity=True, result=torch.int64),
    "all": Rule(result=torch.bool),
    "any": Rule(result=torch.bool),
    "count_nonzero": Rule(result=torch.int64),
}

#: Reductions whose result dtype promotes integer and bool inputs (to int64).
_ACCUMULATING = frozenset({"sum", "prod", "nansum"})

_CORRECTIONS = [None, 1, 0, 2, 0.5]
_ORDS = [2, 1, 0, math.inf, 3, -math.inf, 0.5, -1]
_WIDER = {torch.float16: torch.float32, torch.bfloat16: torch.float32, torch.float32: torch.float64,
          torch.complex64: torch.complex128}


def _dtype_arg(ctx, base: str, in_dtype: torch.dtype, required: bool):
    """A ``dtype=`` argument the kernel accepts for input dtype ``in_dtype``."""
    if ctx.entry.kind == "out":  # the out tensor comes in the input's dtype: keep to it
        return in_dtype if required or one_in(ctx, 3) else NO_VALUE
    if not required and one_in(ctx, 2):
        return NO_VALUE
    if base in ("norm", "linalg_vector_norm", "linalg__powsum", "mean"):
        # No narrowing; real stays real, complex stays complex.
        return pick(ctx, [in_dtype, _WIDER.get(in_dtype, in_dtype)])
    if in_dtype in COMPLEX_DTYPES:
        return pick(ctx, list(COMPLEX_DTYPES))
    return pick(ctx, [in_dtype, torch.int64, torch.float64, torch.float32])


@register(*RULES, family="reduction")
def reduction(ctx) -> dict:
    base = ctx.entry.base_name
    rule = RULES.get(base, Rule())
    bad = wrong(ctx)
    dtype = input_dtype(ctx, ALL_DTYPES if bad and one_in(ctx, 2) else rule.dtypes, rule.result,
                        promoting=base in _ACCUMULATING)
    shape = draw_shape(ctx)
    rank = len(shape)
    dim = dims_for(ctx, type_of(ctx, "dim"), rank)
    if base == "logsumexp" and dim == [] and rank > 1 and not one_in(ctx, 4):
        dim = [-1]  # logsumexp(dim=[]) on rank > 1 fails in the kernel; keep it rare
    if bad and dim is not NO_VALUE and dim is not None:
        dim = [bad_dim(ctx, rank)] if isinstance(dim, list) else bad_dim(ctx, rank)
    if rule.no_identity and not bad:
        shape = nonempty(shape, reduced(dim, rank))
    x = main(ctx, shape=shape, dtype=dtype)
    out = {"self": x, "dim": dim, "keepdim": one_in(ctx, 2)}
    if type_of(ctx, "correction"):
        out["correction"] = pick(ctx, _CORRECTIONS)
    for name in ("p", "ord"):
        if type_of(ctx, name):
            out[name] = pick(ctx, _ORDS)
    dtype_type = type_of(ctx, "dtype")
    if dtype_type is not None:
        out["dtype"] = _dtype_arg(ctx, base, dtype, required=not dtype_type.startswith("Optional"))
    return only_known(ctx, out)
