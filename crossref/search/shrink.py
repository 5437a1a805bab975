"""Shrinking one finding: the smallest call that still shows its signature.

An item's search draws its whole budget first (strategies/drive.py); then each new
signature is shrunk on its own, here, starting from the smallest call that showed it.
The shrinker works on the call's recipe, not on Hypothesis's choices, so it shrinks a
variant (strategies/variants.py) like a drawn call, and the target is precise: a
candidate counts only if it shows *that* signature, not merely some failure.

It is greedy and pass-based, like Hypothesis's shrinker, with passes that know what a
call is made of:

1. arguments with defaults left out;
2. each tensor made simpler: contiguous, no storage offset, not a view, no conj or neg
   bit, no requires_grad, its own storage, plain values (a watched program's captured
   values too: integers keep their range, so indices stay valid);
3. sizes made smaller *together*: every dim of every tensor (and every element of a
   size argument) equal to ``v`` becomes 1, 2, v // 2 or v - 1 at once, so operands
   that must agree (mm's inner dims, broadcasting) stay in agreement; then one dim at
   a time;
4. dims of size 1 removed, and one-element tensors made 0-d;
5. dtypes made plainer (float32 first), every tensor of a dtype together, then one at
   a time.

A candidate is kept when it is smaller by ``cost`` (so shrinking ends) and shows the
signature; the passes run again until none helps or the budget (checks, seconds) is
spent. Plain Python on OpCall recipes: no Hypothesis, no pytest.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from ..check.opcall import COMPLEX_DTYPES, OpCall, TensorSpec, contiguous_strides, differentiable, storage_extent

#: Plainer dtypes first: what a shrunk call prefers.
DTYPE_ORDER = (torch.float32, torch.float64, torch.int64, torch.bool, torch.int32, torch.float16, torch.bfloat16,
               torch.int16, torch.int8, torch.uint8, torch.complex64, torch.complex128)
_DTYPE_COST = {d: i for i, d in enumerate(DTYPE_ORDER)}
_FILL_COST = {"random": 0, "zeros": 0, "ones": 0, "range": 0, "specials": 1, "captured": 1}


@dataclass(frozen=True, slots=True)
class Shrunk:
    call: OpCall  # the smallest call found that shows the signature
    checks: int  # candidates checked
    seconds: float
    complete: bool  # no pass could shrink it further (False: the budget ran out first)


def cost(call: OpCall) -> tuple[int, ...]:
    """How big a call is, compared lexicographically: elements, dims, odd geometry
    (non-contiguous, offset, view, conj, neg, aliasing), arguments, dtypes, values."""
    specs = list(dict.fromkeys(call.tensor_specs()))
    storages = [call.storages[t.storage] for t in specs]
    odd = sum((t.stride != contiguous_strides(t.size)) + (t.offset > 0) + t.view + t.conj + t.neg for t in specs)
    odd += len(specs) - len({t.storage for t in specs}) + sum(s.requires_grad for s in storages)
    return (
        sum(math.prod(t.size) for t in specs),
        sum(len(t.size) for t in specs),
        odd,
        len(call.args) + len(call.kwargs),
        sum(_DTYPE_COST.get(s.dtype, len(DTYPE_ORDER)) for s in storages),
        sum(_FILL_COST.get(s.fill, 0) for s in storages),
        sum(s.numel for s in call.storages),
    )


def shrink(call: OpCall, shows: Callable[[OpCall], bool], *, max_checks: int = 200,
           seconds: float = math.inf, frozen: frozenset[str] = frozenset()) -> Shrunk:
    """The smallest call found from ``call`` for which ``shows(call)`` is true (it is
    assumed true for ``call`` itself). At most ``max_checks`` calls of ``shows`` and
    about ``seconds`` of wall time. ``frozen``: schema arguments whose values stay as
    they are (those a user fixed or constrained: a smaller value could break the
    constraint); a candidate that changes one is not checked."""
    start = time.monotonic()
    current, current_cost = call, cost(call)
    checks = 0
    tried: set[str] = set()
    progress = True
    while progress:
        progress = False
        for candidate in _candidates(current):
            if checks >= max_checks or time.monotonic() - start > seconds:
                return Shrunk(current, checks, time.monotonic() - start, False)
            c = cost(candidate)
            key = repr((candidate.args, candidate.kwargs, candidate.storages))
            if c >= current_cost or key in tried or frozen and not call.same_arguments(candidate, frozen):
                continue
            tried.add(key)
            checks += 1
            if shows(candidate):
                current, current_cost = candidate, c
                progress = True
                break  # start the passes again from the smaller call
    return Shrunk(current, checks, time.monotonic() - start, True)


# ----------------------------------------------------------------- the passes


def _candidates(call: OpCall) -> Iterator[OpCall]:
    yield from _fewer_arguments(call)
    yield from _simpler_tensors(call)
    yield from _smaller_sizes(call)
    yield from _fewer_dims(call)
    yield from _plainer_dtypes(call)


def _fewer_arguments(call: OpCall) -> Iterator[OpCall]:
    """Arguments with a default left out: keyword ones, and trailing positional ones."""
    try:
        schema = {a.name: a for a in call.overload._schema.arguments}
        names = [a.name for a in call.overload._schema.arguments]
    except (AttributeError, RuntimeError):
        return
    for i, (name, _) in enumerate(call.kwargs):
        a = schema.get(name)
        if a is not None and a.has_default_value():
            yield dataclasses.replace(call, kwargs=call.kwargs[:i] + call.kwargs[i + 1:]).compact()
    if call.args and len(call.args) <= len(names):
        last = schema[names[len(call.args) - 1]]
        if last.has_default_value():
            yield dataclasses.replace(call, args=call.args[:-1]).compact()


def _simpler_tensors(call: OpCall) -> Iterator[OpCall]:
    specs = list(dict.fromkeys(call.tensor_specs()))
    for t in specs:
        storage = call.storages[t.storage]
        plain = dataclasses.replace(t, stride=contiguous_strides(t.size), offset=0, view=False, conj=False,
                                    neg=False, layout=("contiguous",))
        for simpler in (plain, dataclasses.replace(t, stride=contiguous_strides(t.size)),
                        dataclasses.replace(t, offset=0), dataclasses.replace(t, view=False),
                        dataclasses.replace(t, conj=False), dataclasses.replace(t, neg=False)):
            if simpler != t:
                yield _replace(call, t, simpler)
        shared = sum(1 for s in specs if s.storage == t.storage) > 1
        if shared:  # its own storage
            own = dataclasses.replace(t, storage=len(call.storages), view=False)
            yield call.with_tensors({t: own}, call.storages + (storage,)).compact()
        if storage.requires_grad:
            yield _restorage(call, t.storage, requires_grad=False)
        if storage.fill == "specials":
            yield _restorage(call, t.storage, fill="random")
        if storage.fill == "captured":  # a watched program's values: plain ones (indices keep their range)
            plain_values = storage.summary()
            yield _restorage(call, t.storage, fill=plain_values.fill, low=plain_values.low, high=plain_values.high,
                             data=None, data_dtype="")


def _smaller_sizes(call: OpCall) -> Iterator[OpCall]:
    specs = list(dict.fromkeys(call.tensor_specs()))
    values = sorted({s for t in specs for s in t.size if s > 1}, reverse=True)
    for v in values:
        for smaller in _below(v):
            yield _resize_everywhere(call, v, smaller)
    for t in specs:
        for d, v in enumerate(t.size):
            for smaller in _below(v):
                yield _replace(call, t, _with_size(t, t.size[:d] + (smaller,) + t.size[d + 1:]))


def _below(v: int) -> list[int]:
    return [s for s in dict.fromkeys((1, 2, v // 2, v - 1)) if 0 < s < v]


def _fewer_dims(call: OpCall) -> Iterator[OpCall]:
    specs = list(dict.fromkeys(call.tensor_specs()))
    for t in specs:
        if t.size and math.prod(t.size) == 1:
            yield _replace(call, t, _with_size(t, ()))
        for d, s in enumerate(t.size):
            if s == 1:
                yield _replace(call, t, _with_size(t, t.size[:d] + t.size[d + 1:]))


def _plainer_dtypes(call: OpCall) -> Iterator[OpCall]:
    used = list(dict.fromkeys(s.dtype for s in call.storages if s.fill != "range"))
    for dtype in used:
        for plainer in DTYPE_ORDER[:_DTYPE_COST[dtype]]:
            yield _retype(call, lambda s: s.dtype == dtype and s.fill != "range", plainer)
    for i, s in enumerate(call.storages):
        if s.fill == "range" or sum(x.dtype == s.dtype for x in call.storages) < 2:
            continue
        for plainer in DTYPE_ORDER[:_DTYPE_COST[s.dtype]]:
            yield _retype(call, lambda x, i=i: x is call.storages[i], plainer)


# ----------------------------------------------------------------- building candidates


def _relabel(t: TensorSpec) -> TensorSpec:
    """``t`` without the layout names of bits it no longer has (conj, neg, offset)."""
    gone = {name for name, on in (("conj", t.conj), ("neg", t.neg), ("offset", t.offset)) if not on}
    kept = tuple(x for x in t.layout if x not in gone)
    return t if kept == t.layout else dataclasses.replace(t, layout=kept or ("contiguous",))


def _replace(call: OpCall, old: TensorSpec, new: TensorSpec) -> OpCall:
    new = _relabel(new)
    storage = call.storages[new.storage]
    storages = list(call.storages)
    need = storage_extent(new.size, new.stride, new.offset)
    if storage.numel < need:
        storages[new.storage] = dataclasses.replace(storage, numel=need)
    return call.with_tensors({old: new}, storages).compact()


def _restorage(call: OpCall, index: int, **changes) -> OpCall:
    storages = list(call.storages)
    storages[index] = dataclasses.replace(storages[index], **changes)
    return dataclasses.replace(call, storages=tuple(storages))


def _retype(call: OpCall, which: Callable, dtype: torch.dtype) -> OpCall:
    storages = list(call.storages)
    touched = set()
    for i, s in enumerate(storages):
        if which(s):
            touched.add(i)
            storages[i] = dataclasses.replace(s, dtype=dtype, requires_grad=s.requires_grad and differentiable(dtype),
                                              fill="random" if s.fill == "specials" and not differentiable(dtype)
                                              else s.fill)
    mapping = {t: _relabel(dataclasses.replace(t, conj=t.conj and dtype in COMPLEX_DTYPES,
                                               neg=t.neg and differentiable(dtype)))
               for t in call.tensor_specs() if t.storage in touched}
    return call.with_tensors(mapping, storages).compact()


def _with_size(t: TensorSpec, size: tuple[int, ...]) -> TensorSpec:
    """``t`` with a new size and strides that keep its memory order, steps and
    stride-0 dims where the rank allows (contiguous otherwise)."""
    if len(size) != len(t.size):
        return dataclasses.replace(t, size=size, stride=contiguous_strides(size))
    return dataclasses.replace(t, size=size, stride=regeometry(t.size, t.stride, size))


def regeometry(size: tuple[int, ...], stride: tuple[int, ...], new_size: tuple[int, ...]) -> tuple[int, ...]:
    """Strides for ``new_size`` laid out like ``stride`` lays out ``size``: the same
    order of dims in memory, the same step between them, stride 0 where it was 0."""
    order = sorted(range(len(size)), key=lambda d: (stride[d], -d))  # innermost first
    new = [0] * len(size)
    acc_old = acc_new = 1
    for d in order:
        if stride[d] == 0 and size[d] != 1:
            continue
        step = max(stride[d] // acc_old, 1) if stride[d] >= acc_old else 1
        new[d] = acc_new * step
        acc_old = max(stride[d], 1) * max(size[d], 1)
        acc_new = new[d] * max(new_size[d], 1)
    return tuple(new)


def _resize_everywhere(call: OpCall, old: int, new: int) -> OpCall:
    """Every tensor dim and every element of an int-list argument equal to ``old`` set to ``new``."""
    specs = list(dict.fromkeys(call.tensor_specs()))
    mapping = {t: _with_size(t, tuple(new if s == old else s for s in t.size)) for t in specs if old in t.size}
    storages = list(call.storages)
    for t in mapping.values():
        need = storage_extent(t.size, t.stride, t.offset)
        storages[t.storage] = dataclasses.replace(storages[t.storage], numel=max(storages[t.storage].numel, need))

    def sized(value):
        if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return [new if v == old else v for v in value]
        return value

    shrunk = call.with_tensors(mapping, storages)
    shrunk = dataclasses.replace(shrunk, args=tuple(sized(a) for a in shrunk.args),
                                 kwargs=tuple((k, sized(v)) for k, v in shrunk.kwargs))
    return shrunk.compact()

