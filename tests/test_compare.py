"""crossref.compare on hand-built Outcomes: every category, every field, never raises."""

from __future__ import annotations

import itertools

import pytest

from crossref.check.compare import Mismatch, compare, significant_dims
from support import BASE, INPUT, error, meta, outcome, value


def kinds(found):
    return sorted((m.kind, m.field) for m in found)


def test_identical_outcomes_match():
    assert compare(outcome("real"), outcome("fake")) == ()


@pytest.mark.parametrize("change, kind, field", [
    (dict(shape=(3, 2), stride=(2, 1)), "shape", "out[0].shape"),
    (dict(dtype="float64"), "dtype", "out[0].dtype"),
    (dict(device="meta"), "device", "out[0].device"),
    (dict(layout="sparse_coo", stride=None, storage_offset=None), "layout", "out[0].layout"),
    (dict(stride=(1, 2)), "stride", "out[0].stride"),
    (dict(storage_offset=1), "storage_offset", "out[0].storage_offset"),
    (dict(requires_grad=True), "requires_grad", "out[0].requires_grad"),
    (dict(is_conj=True), "conj_neg", "out[0].is_conj"),
    (dict(is_neg=True), "conj_neg", "out[0].is_neg"),
    (dict(aliases=(0,)), "alias", "out[0].aliases"),
    (dict(is_input=0, aliases=(0,)), "alias", "out[0].is_input"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_each_output_field_has_its_category(change, kind, field):
    found = compare(outcome("real"), outcome("fake", (meta(**change),)))
    assert (kind, field) in kinds(found)
    m = next(m for m in found if m.field == field)
    assert m.real != m.fake and not m.empty


def test_layout_difference_does_not_invent_stride_or_offset_findings():
    found = compare(outcome("real"), outcome("fake", (meta(layout="sparse_coo", stride=None, storage_offset=None),)))
    assert {m.kind for m in found} >= {"layout"}
    assert "stride" not in {m.kind for m in found}


def test_is_input_reports_both_alias_fields():
    found = compare(outcome("real"), outcome("fake", (meta(is_input=0, aliases=(0,)),)))
    assert kinds(found) == [("alias", "out[0].aliases"), ("alias", "out[0].is_input")]
    by_field = {m.field: m for m in found}
    assert by_field["out[0].aliases"].real == "new storage"
    assert by_field["out[0].aliases"].fake == "storage of input[0]"
    assert by_field["out[0].is_input"].fake == "input[0] itself"


def test_several_differences_are_all_reported():
    found = compare(outcome("real"), outcome("fake", (meta(dtype="int64", device="meta", requires_grad=True, is_neg=True),)))
    assert kinds(found) == sorted([("dtype", "out[0].dtype"), ("device", "out[0].device"),
                                   ("requires_grad", "out[0].requires_grad"), ("conj_neg", "out[0].is_neg")])


# ----------------------------------------------------------------- strides


def test_no_stride_finding_when_shape_differs():
    found = compare(outcome("real"), outcome("fake", (meta(shape=(3, 2), stride=(1, 3)),)))
    assert [m.kind for m in found] == ["shape"]


@pytest.mark.parametrize("shape, real_stride, fake_stride, expected", [
    ((2, 3), (3, 1), (1, 2), True),  # both dims significant
    ((1, 3), (3, 1), (7, 1), False),  # dim 0 has size 1: its stride means nothing
    ((2, 1), (1, 1), (1, 9), False),
    ((0, 3), (3, 1), (1, 0), False),  # empty: strides mean nothing
    ((3, 0), (1, 3), (0, 1), False),
    ((), (), (), False),
    ((4,), (1,), (2,), True),
])
def test_stride_significance(shape, real_stride, fake_stride, expected):
    r = meta(shape=shape, stride=real_stride)
    f = meta(shape=shape, stride=fake_stride)
    found = compare(outcome("real", (r,)), outcome("fake", (f,)))
    assert ("stride" in [m.kind for m in found]) == expected
    # --crossref-all-strides compares every dim of every tensor
    strict = compare(outcome("real", (r,)), outcome("fake", (f,)), all_strides=True)
    assert ("stride" in [m.kind for m in strict]) == (real_stride != fake_stride)


def test_stride_text_masks_insignificant_dims():
    found = compare(outcome("real", (meta(shape=(2, 1, 3), stride=(3, 3, 1)),)),
                    outcome("fake", (meta(shape=(2, 1, 3), stride=(1, 5, 2)),)))
    (m,) = found
    assert m.real == "(3, '*', 1)" and m.fake == "(1, '*', 2)"


def test_significant_dims():
    assert significant_dims(meta(shape=(2, 1, 3), stride=(3, 3, 1))) == (0, 2)
    assert significant_dims(meta(shape=(2, 0, 3), stride=(0, 3, 1))) == ()


def test_empty_tensor_differences_are_flagged_empty():
    r = meta(shape=(0, 3), stride=(3, 1))
    found = compare(outcome("real", (r,)), outcome("fake", (meta(shape=(0, 3), stride=(3, 1), storage_offset=2),)))
    assert [(m.kind, m.empty) for m in found] == [("storage_offset", True)]


# ----------------------------------------------------------------- several outputs, mutation


def test_output_shared_storage():
    a, b = meta(storage_group=0), meta(storage_group=1)
    shared = meta(storage_group=0)
    found = compare(outcome("real", (a, b), structure="(T,T)"), outcome("fake", (a, shared), structure="(T,T)"))
    assert kinds(found) == [("alias", "out.shared_storage")]
    assert found[0].real == "()" and found[0].fake == "((0, 1),)"


@pytest.mark.parametrize("change, field", [
    (dict(shape=(1, 2, 3), stride=(6, 3, 1)), "input[0].shape"),
    (dict(stride=(1, 2)), "input[0].stride"),
    (dict(dtype="float64"), "input[0].dtype"),
    (dict(storage_offset=3), "input[0].storage_offset"),
    (dict(requires_grad=True), "input[0].requires_grad"),
    (dict(is_conj=True), "input[0].is_conj"),
])
def test_input_changes_after_the_call_are_mutations(change, field):
    from dataclasses import replace

    found = compare(outcome("real"), outcome("fake", inputs_after=(replace(INPUT, **change),)))
    assert kinds(found) == [("mutation", field)]


def test_input_alias_fields_are_not_compared_as_mutation():
    from dataclasses import replace

    found = compare(outcome("real"), outcome("fake", inputs_after=(replace(INPUT, aliases=(0, 1), is_input=None),)))
    assert found == ()


# ----------------------------------------------------------------- structure, values, errors


@pytest.mark.parametrize("real, fake", [
    (outcome("real", (BASE, BASE), structure="(T,T)"), outcome("fake", (BASE,), structure="(T)")),
    (outcome("real", (BASE, BASE), structure="[T,T]"), outcome("fake", (BASE, BASE), structure="(T,T)")),
    (outcome("real", (BASE,), structure="T"), outcome("fake", (BASE,), structure="(T,)")),
])
def test_structure(real, fake):
    found = compare(real, fake)
    assert [m.kind for m in found] == ["structure"] and found[0].field == "out"


def test_tensor_versus_value_leaf_is_structure():
    found = compare(outcome("real", (BASE, value(3)), structure="(T,v)"),
                    outcome("fake", (value(3), BASE), structure="(T,v)"))
    assert [m.kind for m in found] == ["structure", "structure"]


def test_values():
    found = compare(outcome("real", (value(True),), structure="v"), outcome("fake", (value(False),), structure="v"))
    assert kinds(found) == [("value", "out[0]")]
    assert (found[0].real, found[0].fake) == ("True", "False")
    assert compare(outcome("real", (value(3),), structure="v"), outcome("fake", (value(3),), structure="v")) == ()


def test_error_parity():
    ok = outcome("real")
    r = compare(outcome("real", error=error(message="bad shapes")), outcome("fake"))
    assert kinds(r) == [("real_error", "error")] and "bad shapes" in r[0].real
    f = compare(ok, outcome("fake", error=error("DynamicOutputShapeException", "aten.nonzero", limitation=True)))
    assert kinds(f) == [("fake_error", "error")] and "DynamicOutputShapeException" in f[0].fake
    assert compare(outcome("real", error=error()), outcome("fake", error=error("ValueError"))) == ()


# ----------------------------------------------------------------- purity


_SAMPLES = [
    BASE, meta(shape=(0,), stride=None), meta(stride=None, storage_offset=None, layout="sparse_coo"),
    meta(shape=(), stride=()), meta(aliases=(0, 1), is_input=1, storage_group=None), value(1.5),
]


def test_never_raises_on_odd_pairs():
    outs = [outcome("real", (s,), structure="T" if not hasattr(s, "text") else "v") for s in _SAMPLES]
    outs += [outcome("real", error=error()), outcome("real", (), structure="()", inputs_after=())]
    for r, f in itertools.product(outs, repeat=2):
        result = compare(r, f)
        assert isinstance(result, tuple) and all(isinstance(m, Mismatch) for m in result)
        assert compare(r, f) == result  # pure
