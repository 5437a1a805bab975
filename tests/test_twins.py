"""strategies.twins: each twin differs from its member in exactly the one field of the
dispatch-cache key it names (its storage keeps the same size in bytes), measured on
the real tensors through torch's own key metadata."""

from __future__ import annotations

import collections

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch._subclasses.fake_tensor import extract_tensor_metadata

from crossref.check.opcall import CallBuilder, OpCall, TensorSpec, materialize
from crossref.search.stateful import Pool
from crossref.strategies import twins
from crossref.strategies.tensors import tensors

#: kind -> the TensorMetadata fields (of the cache key) the twin changes.
CHANGES = {
    "strides": {"stride", "memory_format"},
    "offset": {"storage_offset"},
    "dtype": {"dtype"},
    "conj": {"is_conj"},
    "neg": {"is_neg"},
    "requires_grad": {"requires_grad"},
    "inference": {"is_inference"},
    "view": set(),  # not in the key: the view relation is what a hit must rebuild
}
assert set(CHANGES) == set(twins.KINDS)
FIELDS = ("dtype", "shape", "stride", "device", "layout", "memory_format", "storage_offset", "storage_bytes",
          "requires_grad", "is_conj", "is_neg", "is_inference")


def _built(builder: CallBuilder, pool: Pool, *specs: TensorSpec) -> list[torch.Tensor]:
    call = OpCall("aten.alias.default", tuple(specs), (), tuple(builder.storages))
    return materialize(call, "cpu", memo=pool.memo)[2]


def _differences(a: torch.Tensor, b: torch.Tensor) -> set[str]:
    ma, mb = extract_tensor_metadata(a), extract_tensor_metadata(b)
    return {f for f in FIELDS if getattr(ma, f) != getattr(mb, f)}


def test_a_twin_differs_in_its_one_field():
    seen: collections.Counter = collections.Counter()

    @settings(max_examples=200, derandomize=True, database=None, deadline=None)
    @given(data=st.data(), kind=st.sampled_from(twins.KINDS))
    def check(data, kind):
        builder, pool = CallBuilder(), Pool()
        member = data.draw(tensors(builder, max_numel=32))
        home = twins.rehome(builder, member)
        twin = twins.twin(builder, home, kind)
        if twin is None:
            return
        if kind == "inference":
            pool.build_inference_storage(twin.storage, builder.storages[twin.storage])
        m, h, t = _built(builder, pool, member, home, twin)
        assert _differences(m, h) <= {"storage_bytes"}  # rehome: the same geometry, more room
        got = _differences(h, t)
        if kind == "strides":  # memory_format follows the strides, or does not
            assert "stride" in got and got <= CHANGES[kind], (h.stride(), t.stride())
        elif kind == "dtype" and h.is_conj() and not t.dtype.is_complex:  # no conj bit on a real dtype
            assert got == {"dtype", "is_conj"}, got
        else:
            assert got == CHANGES[kind], (kind, got)
        if kind == "view":
            assert t.untyped_storage().data_ptr() == h.untyped_storage().data_ptr() and t._is_view() != h._is_view()
        seen[kind] += 1

    check()
    assert set(seen) == set(twins.KINDS), seen  # every kind did apply to some member
    assert min(seen.values()) >= 5, seen


def test_other_strides_and_bad_kind():
    assert twins.other_strides((2, 3), (3, 1)) == (1, 2)  # contiguous -> column-major
    assert twins.other_strides((2, 3), (1, 2)) == (3, 1)
    assert twins.other_strides((1, 3), (3, 1)) == (3, 0)  # the one dim that matters is at stride 1: expand it
    assert twins.other_strides((1, 1), (1, 1)) is None and twins.other_strides((0, 3), (3, 1)) is None
    builder = CallBuilder()
    with pytest.raises(ValueError, match="unknown twin kind 'shape'"):
        twins.twin(builder, TensorSpec(0, (), ()), "shape")


def test_a_stride_pair_differs_in_strides_alone():
    """Both tensors of a pair are non-contiguous over storages of the same size: torch's
    key metadata differs in the strides and nothing else, the memory format included."""
    seen = 0

    @settings(max_examples=150, derandomize=True, database=None, deadline=None)
    @given(data=st.data())
    def check(data):
        nonlocal seen
        builder, pool = CallBuilder(), Pool()
        member = data.draw(tensors(builder, max_numel=32))
        pair = twins.stride_pair(builder, twins.rehome(builder, member))
        if pair is None:
            assert all(s <= 1 for s in member.size) or 0 in member.size
            return
        a, b = _built(builder, pool, *pair)
        assert _differences(a, b) == {"stride"}, (a.stride(), b.stride())
        assert extract_tensor_metadata(a).memory_format is None
        seen += 1

    check()
    assert seen >= 50
