"""Helpers the family refiners share.

They cover what most refiners need: looking arguments up in the schema, drawing the
anchoring ``self`` tensor so that in-place and out= variants stay valid, index
tensors with values in range, dim arguments by their schema type, and the small
share of deliberately wrong arguments (``wrong``) that tests error parity.
Every choice draws small integers so that examples shrink towards the valid,
simple case.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from hypothesis import strategies as st

from crossref.check.opcall import ALL_DTYPES, COMPLEX_DTYPES, FLOAT_DTYPES, INT_DTYPES, TensorSpec

from ..tensors import LAYOUTS, dtypes, ints, shapes

NO_VALUE = object()  # "leave this argument out: use its default" (strategies/calls.py draws it)

Refiner = Callable[[Any], dict[str, Any]]


class Refiners:
    """The refiners one family module defines, by base op name and by catalog family;
    strategies/families/__init__.py collects every module's table explicitly."""

    def __init__(self) -> None:
        self.by_name: dict[str, Refiner] = {}
        self.by_family: dict[str, Refiner] = {}

    def register(self, *names: str, family: str | None = None):
        def deco(fn: Refiner) -> Refiner:
            for n in names:
                self.by_name[n] = fn
            if family:
                self.by_family[family] = fn
            return fn

        return deco

__all__ = ["NO_VALUE", "ALL_DTYPES", "FLOAT_DTYPES", "COMPLEX_DTYPES", "INT_DTYPES"]

REAL_DTYPES = tuple(d for d in ALL_DTYPES if d not in COMPLEX_DTYPES)
NUMBER_DTYPES = tuple(d for d in REAL_DTYPES if d != torch.bool)  # real, not bool
INEXACT_DTYPES = FLOAT_DTYPES + COMPLEX_DTYPES

#: Layouts a written-to tensor may have (no element shared by two positions).
WRITABLE = tuple(x for x in LAYOUTS if x not in ("expanded", "overlapping"))
#: Layouts for index tensors: strided views, but no aliasing tricks.
INDEX_LAYOUTS = ("contiguous", "permuted", "sliced", "offset")


# ---------------------------------------------------------------- choices


def one_in(ctx, n: int) -> bool:
    """True about once in ``n`` draws; shrinks to False."""
    return ctx.draw(ints(0, n - 1)) == n - 1


def wrong(ctx) -> bool:
    """The deliberately-invalid share (about 1 in 10): refiners then break one rule."""
    return one_in(ctx, 10)


def pick(ctx, choices):
    """One of ``choices``; shrinks to the first."""
    seq = choices if isinstance(choices, (list, tuple)) else list(choices)
    return seq[ctx.draw(ints(0, len(seq) - 1))]


def upto(ctx, hi: int, lo: int = 0) -> int:
    return ctx.draw(ints(lo, max(hi, lo)))


# ---------------------------------------------------------------- the schema


def schema_args(ctx) -> dict[str, Any]:
    return {a.name: a for a in ctx.entry.schema.arguments}


def type_of(ctx, name: str) -> str | None:
    for a in ctx.entry.schema.arguments:
        if a.name == name:
            return str(a.real_type)
    return None


def first_tensor_name(ctx) -> str:
    for a in ctx.entry.schema.arguments:
        if str(a.real_type) in ("Tensor", "Optional[Tensor]", "List[Tensor]"):
            return a.name
    return "self"


def only_known(ctx, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` restricted to this overload's argument names (None-valued entries
    of optional arguments stay)."""
    names = schema_args(ctx)
    return {k: v for k, v in values.items() if k in names}


# ---------------------------------------------------------------- tensors


def main(ctx, *, shape=None, dtype=None, dtypes_from=None, layouts=LAYOUTS, **kwargs) -> TensorSpec:
    """Draw the anchoring tensor and set ``ctx.main``.

    ``dtypes_from`` restricts the drawn dtype. In-place variants get a writable,
    grad-free ``self``; out= variants a grad-free one (autograd rejects both)."""
    if dtype is None and dtypes_from is not None:
        dtype = ctx.draw(dtypes(include=tuple(dtypes_from)))
    if ctx.entry.kind in ("inplace", "out"):
        kwargs.setdefault("requires_grad", False)
    if ctx.entry.kind == "inplace":
        layouts = tuple(x for x in layouts if x in WRITABLE) or ("contiguous",)
    ctx.main = ctx.tensor(shape=shape, dtype=dtype, layouts=layouts, **kwargs)
    return ctx.main


#: Inputs that sums, products and scans promote to int64: drawn half the time by the ops
#: that accumulate (``input_dtype(..., promoting=True)``).
PROMOTING_DTYPES = (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32)


def input_dtype(ctx, allowed, result: torch.dtype | None = None, *, promoting: bool = False) -> torch.dtype:
    """An input dtype from ``allowed`` (but those the op's kernel refused, ``ctx.avoid``);
    with ``promoting``, one of ``PROMOTING_DTYPES`` half the time (where allowed). (``result``, the dtype of an index or bool output,
    needs no bias: the generic filler derives out= tensors from the functional overload
    run on meta.)"""
    kept = [d for d in allowed if d not in ctx.avoid] or list(allowed)  # not what the kernel refused
    small = [d for d in PROMOTING_DTYPES if d in kept]
    if promoting and small and ctx.draw(st.booleans()):
        return pick(ctx, small)
    return pick(ctx, kept)


def draw_shape(ctx, *, min_dims: int = 0, max_dims: int = 4, max_numel: int = 48, min_side: int = 0,
               max_side: int = 4) -> tuple[int, ...]:
    return ctx.draw(shapes(min_dims=min_dims, max_dims=max_dims, max_numel=max_numel,
                           min_side=min_side, max_side=max_side))


def index_tensor(ctx, shape, high: int, *, low: int = 0, dtype=torch.int64) -> TensorSpec:
    """An integer tensor with values uniform in [low, high): in range for a dim of
    size ``high``. With ``high <= low`` (an empty dim) the values are ``low``."""
    return ctx.tensor(shape=tuple(shape), dtype=dtype, value_range=(low, max(high, low + 1)),
                      layouts=INDEX_LAYOUTS, requires_grad=False)


# ---------------------------------------------------------------- dims and shapes


def wrap(d: int, rank: int) -> int:
    """``d`` as a non-negative dim of a ``rank``-d tensor (0-d tensors take dim 0/-1)."""
    return d % max(rank, 1)


def bad_dim(ctx, rank: int) -> int:
    """A dim just out of range."""
    return pick(ctx, [max(rank, 1), -max(rank, 1) - 1])


def dims_for(ctx, type_str: str | None, rank: int) -> Any:
    """A dim argument of schema type ``type_str`` for a ``rank``-d tensor: an int,
    a list (possibly empty), or None for optional ones."""
    if type_str is None:
        return NO_VALUE
    if type_str.startswith("Optional[") and one_in(ctx, 4):
        return None
    if "List" in type_str:
        return ctx.dims(rank)
    return ctx.dim(rank)


def reduced(dim: Any, rank: int) -> list[int]:
    """Which dims a reduction over ``dim`` covers (None or [] meaning all)."""
    if dim is None or dim is NO_VALUE or dim == []:
        return list(range(rank))
    if isinstance(dim, int):
        return [wrap(dim, rank)] if rank else []
    return [wrap(d, rank) for d in dim] if rank else []


def nonempty(shape: tuple[int, ...], dims) -> tuple[int, ...]:
    """``shape`` with the sizes of ``dims`` raised to at least 1."""
    return tuple(max(s, 1) if i in dims else s for i, s in enumerate(shape))


def factor(ctx, n: int, parts: int) -> list[int]:
    """``parts`` positive sizes whose product is ``n`` (n > 0)."""
    out = [1] * parts
    rest = n
    for p in (2, 3, 5, 7):
        while rest % p == 0:
            out[upto(ctx, parts - 1)] *= p
            rest //= p
    out[upto(ctx, parts - 1)] *= rest
    return out


def meta_shape(fn: Callable, shape, *args) -> tuple[int, ...] | None:
    """The shape ``fn(meta tensor of shape, *args)`` returns, or None if it raises."""
    try:
        return tuple(fn(torch.empty(shape, device="meta"), *args).shape)
    except (RuntimeError, IndexError, ValueError, TypeError):
        return None


def numel(shape) -> int:
    return math.prod(shape)
