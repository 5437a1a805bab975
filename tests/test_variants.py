"""strategies.variants: every variant of a drawn call is a buildable call of the same op
that differs from it in the way its kind says, measured on the materialized tensors."""

from __future__ import annotations

import collections

import pytest
import torch

from crossref.check import catalog
from crossref.check.opcall import materialize
from crossref.strategies import variants as V
from plants import dense
from support import draw_many
from crossref.strategies.calls import op_calls

OPS = ("aten.add.Tensor", "aten.mul.out", "aten.clone.default", "aten.sum.dim_IntList", "aten.where.self",
       "aten.add_.Tensor", "aten.mm.default", "aten.index_select.default", "aten.cat.default",
       "aten.transpose.int", "aten.max_pool2d_with_indices.default", "aten.sort.default")


def _first(kind: str) -> str:
    return kind.split(":")[0].split("=")[0]


def _tensors(call):
    return materialize(call, "cpu")[2]


def _changed(call, variant):
    """(before, after) of the tensors a variant changed (by argument position)."""
    before, after = _tensors(call), _tensors(variant)
    return [(b, a) for b, a in zip(before, after) if (b.shape, b.stride(), b.dtype, b.storage_offset(), b.is_conj(),
                                                      b.is_neg()) != (a.shape, a.stride(), a.dtype,
                                                                     a.storage_offset(), a.is_conj(), a.is_neg())]


@pytest.fixture(scope="module")
def every_variant():
    out = []
    for op in OPS:
        entry = catalog.entry(op)
        for call in draw_many(op_calls(entry), 30):
            for group in V.groups(entry, call):
                out += [(entry, call, build()) for build in group]
    return out


def test_variants_are_calls_of_the_same_op_named_by_kind(every_variant):
    kinds = collections.Counter(_first(v.variant) for _, _, v in every_variant)
    assert set(kinds) >= {"permuted", "channels_last", "channels_last_3d", "sliced", "offset", "expanded", "conj", "neg",
                          "dtype", "dtypes", "0-d", "empty", "broadcast", "memory_format", "dim", "keepdim"}, kinds
    for entry, call, v in every_variant:
        assert v.op == call.op and v.variant and f"variant:{v.variant}" in v.traits()
        _tensors(v)  # every recipe builds: storages hold their views


@pytest.mark.parametrize("kind, holds", [
    ("permuted", lambda b, a: not a.is_contiguous() and dense(a) and a.shape == b.shape),
    ("channels_last", lambda b, a: a.is_contiguous(memory_format=torch.channels_last) and not a.is_contiguous()),
    ("channels_last_3d", lambda b, a: a.is_contiguous(memory_format=torch.channels_last_3d) and not a.is_contiguous()),
    ("sliced", lambda b, a: not dense(a) and a.shape == b.shape),
    ("offset", lambda b, a: a.storage_offset() > 0 and a.shape == b.shape),
    ("expanded", lambda b, a: 0 in a.stride() and a.shape == b.shape),
    ("conj", lambda b, a: a.is_conj() and a.dtype.is_complex),
    ("neg", lambda b, a: a.is_neg()),
    ("dtype", lambda b, a: a.dtype != b.dtype and a.shape == b.shape),
    ("0-d", lambda b, a: a.dim() == 0 and b.dim() > 0),
    ("empty", lambda b, a: a.numel() == 0 and b.numel() > 0),
    ("broadcast", lambda b, a: a.shape != b.shape and torch.broadcast_shapes(a.shape, b.shape) == b.shape),
])
def test_a_variant_changes_what_its_kind_says(kind, holds, every_variant):
    seen = 0
    for _, call, v in every_variant:
        if _first(v.variant) != kind:
            continue
        changed = _changed(call, v)
        assert changed, (kind, call, v)
        if kind == "conj":  # a conj view of a complex retyping: tensors sharing its storage turn complex too
            assert any(holds(b, a) for b, a in changed) and all(a.dtype.is_complex for _, a in changed), v.describe()
        else:
            assert all(holds(b, a) for b, a in changed), (kind, call.describe(), v.describe())
        seen += 1
    assert seen >= 3, kind


def test_argument_variants(every_variant):
    """memory_format= the first tensor's channels-last format, a dim as its negative
    equivalent, a flag flipped: the tensors stay as they were."""
    seen = collections.Counter()
    for entry, call, v in every_variant:
        name = _first(v.variant)
        if name not in ("memory_format", "dim", "keepdim", "descending", "stable"):
            continue
        assert list(v.tensor_specs()) == list(call.tensor_specs())
        value = v.argument(name)
        if name == "memory_format":
            rank = len(next(call.tensor_specs()).size)
            assert value in ({4: torch.channels_last, 5: torch.channels_last_3d}.get(rank), torch.contiguous_format)
        elif v.variant == "dim=[]":
            assert value == [] and call.argument("dim") != []
        elif name == "dim":
            before, rank = call.argument("dim"), len(next(call.tensor_specs()).size)
            if isinstance(before, int):
                assert value == before - rank < 0
            else:
                assert value == [d - rank if 0 <= d < rank else d for d in before]
        else:
            assert value is (not bool(call.argument(name, False)))
        seen[name] += 1
    assert {"memory_format", "dim", "keepdim"} <= set(seen), seen


def test_written_tensors_get_no_aliasing_layouts(every_variant):
    """An in-place self or an out= tensor is never expanded, conj or neg: the kernel
    would refuse to write it for that reason alone."""
    for entry, call, v in every_variant:
        if entry.kind in ("inplace", "out") and _first(v.variant) in ("expanded", "conj", "neg"):
            written = {s.name for s in V.slots(entry, call) if s.written}
            assert v.variant.split(":")[1] not in written, v.variant


def test_avoided_dtypes_are_not_proposed():
    entry = catalog.entry("aten.add.Tensor")
    avoid = frozenset({torch.complex64, torch.complex128, torch.bool})
    for call in draw_many(op_calls(entry), 20):
        for group in V.groups(entry, call, avoid):
            for build in group:
                v = build()
                if _first(v.variant) in ("dtype", "dtypes", "0-d", "conj"):
                    assert not {v.storages[t.storage].dtype for t in v.tensor_specs()} & avoid - {
                        call.storages[t.storage].dtype for t in call.tensor_specs()}, v.variant


def test_a_call_gets_one_variant_per_group():
    entry = catalog.entry("aten.add.Tensor")
    calls = draw_many(op_calls(entry), 20)
    picked = draw_many(V.variants(entry, calls[5]), 10)
    groups = V.groups(entry, calls[5])
    for chosen in picked:
        assert 1 <= len(chosen) <= len(groups)
        assert all(v.variant for v in chosen)


def test_values_kernels_branch_on_are_variants(every_variant):
    """Scalars at 0, 1 and -1 (add's alpha, sum's dtype-free scalars), and a size that
    disagrees with its tensor; each changes only that argument."""
    special = [(c, v) for _, c, v in every_variant if v.variant.startswith("alpha=")]
    assert {float(v.variant.split("=")[1]) for _, v in special} == {0.0, 1.0, -1.0}
    for call, v in special:
        assert v.argument("alpha") == float(v.variant.split("=")[1]) and v.args[:2] == call.args[:2]
    entry = catalog.entry("aten.view.default")
    from crossref.check.opcall import OpCall, StorageSpec, TensorSpec

    view = OpCall("aten.view.default", (TensorSpec(0, (2, 3), (3, 1)), [3, 2]), (), (StorageSpec(torch.float32, 6),))
    sizes = {b().variant: b().argument("size") for b in V.value_variants(entry, view)}
    assert sizes == {"size+1": [3, 3], "size:shorter": [3]}
