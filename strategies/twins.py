"""Metadata twins: recipes of a tensor like another in every piece of metadata but one.

The stateful cache test applies one call to a tensor and then to its twins: a dispatch
cache key that leaves out a piece of metadata answers the twin from the entry its
member filled. ``stride_pair`` makes two tensors that differ in strides alone, memory
format included. A twin is built to differ from its member in exactly that one field of
the key, so it keeps the member's storage size in bytes (``storage_bytes`` is part of
torch's key too: a twin that also differed in size would miss, and the gap would stay
hidden). ``rehome`` makes the room for that: the member's geometry on a fresh storage
with space for every twin.

Plain functions of a builder and a member, no draws: a probe is the same on every
run, and shrinking only decides whether it happens.
"""

from __future__ import annotations

import dataclasses
import math

import torch

from crossref.check.opcall import (
    COMPLEX_DTYPES,
    CallBuilder,
    TensorSpec,
    contiguous_strides,
    differentiable,
    storage_extent,
)

#: The metadata a twin changes, one at a time.
KINDS = ("strides", "offset", "dtype", "conj", "neg", "requires_grad", "inference", "view")

#: A dtype partner per dtype: a floating or complex one for a floating or complex dtype
#: (so requires_grad and the neg bit carry over), of the same element size where one
#: exists, else smaller (float32 -> float16 gets twice the elements: the same bytes).
#: complex64's partner float64 has no conj bit: a conj twin loses it.
_PARTNER = {
    torch.bool: torch.uint8, torch.uint8: torch.int8, torch.int8: torch.uint8, torch.int16: torch.float16,
    torch.int32: torch.float32, torch.int64: torch.float64, torch.float16: torch.bfloat16,
    torch.bfloat16: torch.float16, torch.float32: torch.float16, torch.float64: torch.complex64,
    torch.complex64: torch.float64, torch.complex128: torch.complex64,
}


def _column_major(size: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(reversed(contiguous_strides(tuple(reversed(size)))))


def other_strides(size: tuple[int, ...], stride: tuple[int, ...]) -> tuple[int, ...] | None:
    """Strides for ``size`` that differ from ``stride`` where it matters (a dim of size
    greater than 1), fitting in ``prod(size)`` elements; None when no such strides exist
    (every dim of size 0 or 1)."""
    if any(s == 0 for s in size):
        return None
    live = [i for i, s in enumerate(size) if s > 1]
    if not live:
        return None
    for candidate in (contiguous_strides(size), _column_major(size)):
        if any(candidate[i] != stride[i] for i in live):
            return candidate
    # One dim that matters, already at stride 1 (or every layout equal): expand it.
    return tuple(0 if i == live[0] else st for i, st in enumerate(stride))


def rehome(builder: CallBuilder, member: TensorSpec) -> TensorSpec:
    """``member``'s geometry on a fresh storage (same dtype, values and flags) with room
    for each of its twins: one more element than the larger of its extent and its
    offset plus its element count."""
    base = builder.storages[member.storage]
    room = max(storage_extent(member.size, member.stride, member.offset),
               member.offset + math.prod(member.size)) + 1
    index = builder.add_storage(dataclasses.replace(base, numel=room))
    return dataclasses.replace(member, storage=index, view=False)


def twin(builder: CallBuilder, member: TensorSpec, kind: str) -> TensorSpec | None:
    """A tensor like ``member`` in all but ``kind`` (one of ``KINDS``); None where that
    metadata cannot differ (a conj bit on a real dtype, strides of a tensor with no dim
    larger than 1). Its storage is new (``view``: ``member``'s own) and as large as
    ``member``'s in bytes unless the changed geometry needs more. The caller builds an
    ``inference`` twin's storage under inference mode before its first use."""
    if kind not in KINDS:
        raise ValueError(f"unknown twin kind {kind!r}; expected one of {', '.join(KINDS)}")
    base = builder.storages[member.storage]
    size, stride, offset, layout = member.size, member.stride, member.offset, member.layout
    conj, neg, dtype, numel, grad = member.conj, member.neg, base.dtype, base.numel, base.requires_grad
    if kind == "view":  # the same storage and geometry; a view of it or not
        return dataclasses.replace(member, view=not member.view, layout=layout + ("aliased",))
    if kind == "strides":
        stride = other_strides(size, stride)
        if stride is None:
            return None
        layout = ("expanded",) if 0 in stride else ("contiguous",) if stride == contiguous_strides(size) else ("permuted",)
    elif kind == "offset":
        offset += 1
        layout = layout if "offset" in layout else layout + ("offset",)
    elif kind == "dtype":
        dtype = _PARTNER[base.dtype]
        numel = numel * base.dtype.itemsize // dtype.itemsize
        conj = conj and dtype in COMPLEX_DTYPES
        neg = neg and differentiable(dtype)
        grad = grad and differentiable(dtype)
    elif kind == "conj":
        if dtype not in COMPLEX_DTYPES:
            return None
        conj = not conj
    elif kind == "neg":
        if not differentiable(dtype):
            return None
        neg = not neg
    elif kind == "requires_grad":
        if not differentiable(dtype):
            return None
        grad = not grad
    view = member.view
    if kind == "inference":
        grad = False  # an inference tensor cannot require grad
        view = True  # a view of an inference base is one; a tensor set_ onto its storage is not
    numel = max(numel, storage_extent(size, stride, offset), 1)
    index = builder.add_storage(dataclasses.replace(base, dtype=dtype, numel=numel, requires_grad=grad))
    return TensorSpec(index, size, stride, offset, view, conj, neg, layout)


def stride_pair(builder: CallBuilder, member: TensorSpec) -> tuple[TensorSpec, TensorSpec] | None:
    """Two tensors like ``member`` but for their strides, both non-contiguous (so the key's
    memory format is None for both: the strides alone tell them apart), over storages of
    the same size. A key that leaves out the strides but keeps the memory format answers
    the second from the entry the first filled; a contiguous member and its ``strides``
    twin differ in memory format too, which hides that gap. None when ``member`` has no
    dim larger than 1."""
    size = member.size
    if any(s == 0 for s in size) or not any(s > 1 for s in size):
        return None
    live = [i for i, s in enumerate(size) if s > 1]
    contiguous = contiguous_strides(size)
    candidates = [_column_major(size), tuple(2 * st for st in contiguous), tuple(2 * st for st in _column_major(size)),
                  tuple(0 if i == live[0] else st for i, st in enumerate(contiguous))]
    chosen: list[tuple[int, ...]] = []
    for stride in candidates:
        if any(stride[i] != contiguous[i] for i in live) and all(
                any(stride[i] != other[i] for i in live) for other in chosen):
            chosen.append(stride)
        if len(chosen) == 2:
            break
    if len(chosen) < 2:
        return None
    base = builder.storages[member.storage]
    numel = max(storage_extent(size, st, member.offset) for st in chosen) + 1
    pair = []
    for stride in chosen:
        index = builder.add_storage(dataclasses.replace(base, numel=numel))
        layout = ("expanded",) if 0 in stride else ("permuted",) if stride == _column_major(size) else ("sliced",)
        pair.append(TensorSpec(index, size, stride, member.offset, False, member.conj, member.neg, layout))
    return pair[0], pair[1]
