"""Refiners for factories: empty/zeros/ones/full/rand*/randint/randperm/normal,
arange/range/linspace/logspace, eye, windows, fftfreq, tril/triu_indices,
empty_strided/empty_permuted, scalar_tensor, the *_like and new_* ops.

Sizes are small (0 to 3 per dim, up to 4 dims); dtype is drawn among those the
kernel implements (floating for rand/randn/windows, integral for the index
factories); layout is strided, device the device under test, pin_memory False or
None; memory_format channels_last(_3d) only for 4-d (5-d) shapes. arange/range get
bounds and steps of a consistent sign. About 1 in 10 calls breaks one rule
(a negative size, a zero step, a dtype the kernel rejects).
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from crossref.check.opcall import DEVICE

from ._common import Refiners
from ._common import (
    ALL_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    NUMBER_DTYPES,
    NO_VALUE,
    draw_shape,
    main,
    one_in,
    only_known,
    pick,
    type_of,
    upto,
    wrong,
)

REFINERS = Refiners()
register = REFINERS.register

_FLOATS = FLOAT_DTYPES
_INDEX_DTYPES = (torch.int64, torch.int32)

#: base name -> dtypes its kernel makes
_DTYPES: dict[str, tuple[torch.dtype, ...]] = {
    "rand": _FLOATS, "randn": _FLOATS, "rand_like": _FLOATS, "randn_like": _FLOATS, "normal": _FLOATS,
    "randint": NUMBER_DTYPES, "randint_like": NUMBER_DTYPES, "randperm": NUMBER_DTYPES,
    "bartlett_window": _FLOATS, "blackman_window": _FLOATS, "hamming_window": _FLOATS,
    "hann_window": _FLOATS, "kaiser_window": _FLOATS, "fft_fftfreq": _FLOATS, "fft_rfftfreq": _FLOATS,
    "tril_indices": _INDEX_DTYPES, "triu_indices": _INDEX_DTYPES,
    "arange": NUMBER_DTYPES, "range": NUMBER_DTYPES, "linspace": NUMBER_DTYPES, "logspace": NUMBER_DTYPES,
}


def _size(ctx, bad: bool, *, max_dims: int = 4) -> list[int]:
    size = list(draw_shape(ctx, max_dims=max_dims, max_numel=36, max_side=3))
    if bad:
        size = size + [-1]
    return size


def _memory_format(ctx, rank: int, *, preserve: bool):
    formats = [torch.contiguous_format] + ([torch.preserve_format] if preserve else [])
    formats += {4: [torch.channels_last], 5: [torch.channels_last_3d]}.get(rank, [])
    return pick(ctx, [NO_VALUE, None, *formats])


def _options(ctx, dtypes: tuple[torch.dtype, ...], bad: bool, rank: int, *, preserve: bool) -> dict:
    """dtype / layout / device / pin_memory / memory_format keyword values."""
    dtype = pick(ctx, [NO_VALUE, *dtypes]) if not bad else pick(ctx, [torch.complex64, torch.bool])
    return {"dtype": dtype, "layout": pick(ctx, [NO_VALUE, torch.strided, None]),
            "device": pick(ctx, [NO_VALUE, DEVICE, None]), "pin_memory": pick(ctx, [NO_VALUE, False, None]),
            "memory_format": _memory_format(ctx, rank, preserve=preserve)}


def _fill(ctx, dtype) -> object:
    return ctx.scalar_for(dtype if isinstance(dtype, torch.dtype) else torch.float32)


@register("empty", "zeros", "ones", "full", "rand", "randn", "randint", "normal", "_efficientzerotensor",
          "empty_strided", "empty_permuted", "scalar_tensor", "randperm", "eye")
def sized(ctx) -> dict:
    """Factories of an explicit size (or n, m for eye / randperm)."""
    base = ctx.entry.base_name
    bad = wrong(ctx)
    size = _size(ctx, bad)
    out = _options(ctx, _DTYPES.get(base, ALL_DTYPES), bad and one_in(ctx, 2), len(size), preserve=False)
    if base == "randint" and out["dtype"] == torch.bool:
        out["dtype"] = NO_VALUE
    low = upto(ctx, 2) - 2
    out.update(size=size, fill_value=_fill(ctx, out["dtype"]), s=_fill(ctx, out["dtype"]),
               low=low, high=low + upto(ctx, 5, 1) if not bad else low, mean=0.0,
               std=pick(ctx, [1.0, 0.5, 0.0]), n=upto(ctx, 4) if not bad else -1, m=upto(ctx, 4),
               stride=[upto(ctx, 3) for _ in size],
               physical_layout=list(ctx.draw(st.permutations(range(len(size))))))
    if type_of(ctx, "high") and not type_of(ctx, "low"):
        out["high"] = upto(ctx, 5, 1)
    return only_known(ctx, out)


@register("arange", "range", "linspace", "logspace")
def ranges(ctx) -> dict:
    """start/end/step of a consistent sign (a zero step when wrong); steps >= 0."""
    base = ctx.entry.base_name
    bad = wrong(ctx)
    # range() with an integral dtype truncates a fractional step to 0 and dies of
    # SIGFPE (torch 2.13): range gets integers only.
    whole = base == "range"
    start = pick(ctx, [0, 1, -2] if whole else [0, 1, -2, 0.5, -1.5])
    span = pick(ctx, [3, 0, 1, 5] if whole else [3, 0, 1, 2.5, 5])
    sign = -1 if one_in(ctx, 4) else 1
    end = start + sign * span
    step = sign * pick(ctx, [1, 2] if whole else [1, 2, 0.5]) if not bad else 0
    if base == "arange" and type_of(ctx, "start") is None:
        end = abs(end)
    out = {"start": start, "end": end, "step": step, "steps": upto(ctx, 5) if not bad else -1,
           "base": pick(ctx, [10.0, 2.0, 0.5])}
    out.update(_options(ctx, _DTYPES[base], False, 1, preserve=False))
    if base in ("linspace", "logspace") and out["dtype"] in INT_DTYPES and not one_in(ctx, 3):
        out["dtype"] = NO_VALUE
    return only_known(ctx, out)


@register("bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window",
          "fft_fftfreq", "fft_rfftfreq", "tril_indices", "triu_indices")
def small_counts(ctx) -> dict:
    """Window lengths, fftfreq n, and tril/triu row/col/offset: small counts."""
    base = ctx.entry.base_name
    bad = wrong(ctx)
    out = _options(ctx, _DTYPES[base], bad, 1, preserve=False)
    out.update(window_length=upto(ctx, 5), n=upto(ctx, 5), d=pick(ctx, [1.0, 0.5, 2.0]),
               periodic=one_in(ctx, 2), alpha=0.54, beta=pick(ctx, [0.46, 12.0]),
               row=upto(ctx, 4), col=upto(ctx, 4), offset=upto(ctx, 4) - 2)
    return only_known(ctx, out)


@register("empty_like", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like", "randint_like",
          "new_empty", "new_zeros", "new_ones", "new_full", "new_empty_strided")
def like_factories(ctx) -> dict:
    """self drawn (any layout); *_like keep its shape (memory_format by its rank);
    new_* take a fresh size (and stride)."""
    base = ctx.entry.base_name
    bad = wrong(ctx)
    dtypes = _DTYPES.get(base, ALL_DTYPES)
    x = main(ctx, shape=draw_shape(ctx, max_dims=5), dtypes_from=dtypes if "like" in base else None)
    size = _size(ctx, bad and base.startswith("new"))
    out = _options(ctx, dtypes, bad and not base.startswith("new"), len(x.size), preserve=True)
    dtype = out["dtype"] if isinstance(out["dtype"], torch.dtype) else ctx.dtype
    low = upto(ctx, 2) - 2
    out.update(self=x, size=size, stride=[upto(ctx, 3) for _ in size], fill_value=_fill(ctx, dtype),
               low=low, high=low + upto(ctx, 5, 1))
    if type_of(ctx, "high") == "Tensor":
        out["high"] = ctx.tensor(shape=(), dtype=torch.int64, value_range=(1, 5), layouts=("contiguous",))
    elif type_of(ctx, "high") and not type_of(ctx, "low"):
        out["high"] = upto(ctx, 5, 1)
    return only_known(ctx, out)
