"""strategies.tensors: argument validation, and measured coverage of what it draws.

Coverage tests draw a fixed, derandomized batch and check that every dtype, layout and
corner of shape space is reached, and that materialize() builds exactly the geometry
each recipe claims.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis.errors import InvalidArgument

from crossref import _torch
from crossref.check import catalog
from crossref.check.opcall import ALL_DTYPES, CallBuilder, materialize, storage_extent, storage_values
from crossref.strategies.calls import op_calls
from crossref.strategies.tensors import LAYOUTS, dtypes, shapes, tensor_calls, tensors
from support import draw_many

N = 400


@pytest.fixture(scope="module")
def calls():
    return draw_many(tensor_calls(), N)


@pytest.fixture(scope="module")
def built(calls):
    return [(c, materialize(c, "cpu")) for c in calls]


def _spec(call):
    return call.args[0]


# ----------------------------------------------------------------- coverage


def test_every_dtype_is_drawn(calls):
    seen = {c.storages[_spec(c).storage].dtype for c in calls}
    assert set(ALL_DTYPES) - seen == set()


def test_every_single_tensor_layout_is_drawn(calls):
    seen = {tag for c in calls for tag in _spec(c).layout}
    assert set(LAYOUTS) - {"aliased"} - seen == set()
    assert "aliased" not in seen  # one tensor has nothing to alias


def test_aliased_layout_is_drawn_for_two_tensor_ops():
    entry = catalog.entry("aten.add.Tensor")
    calls = draw_many(op_calls(entry), 300)
    aliased = [c for c in calls if "aliased" in c.traits()]
    assert aliased, "no call of aten.add.Tensor had two tensors on one storage"
    for c in aliased:
        used = [t.storage for t in set(c.tensor_specs())]
        assert len(set(used)) < len(used)


def test_shape_corners_are_drawn(calls):
    sizes = [_spec(c).size for c in calls]
    assert {len(s) for s in sizes} >= set(range(6)), "ranks 0..5"
    assert any(len(s) == 0 for s in sizes), "0-d"
    assert any(0 in s for s in sizes), "empty (a zero-size dim)"
    assert any(1 in s for s in sizes), "size-1 dim"
    assert any(len(s) >= 2 and 0 in s and math.prod(x for x in s if x) > 1 for s in sizes), "empty, yet wide"


def test_requires_grad_storages_are_drawn(calls):
    grads = [c for c in calls if c.storages[_spec(c).storage].requires_grad]
    assert grads
    for c in grads:  # only floating and complex tensors can require grad
        dt = c.storages[_spec(c).storage].dtype
        assert dt.is_floating_point or dt.is_complex


def test_specials_reach_materialized_values(built):
    nan = inf = ninf = negzero = False
    for call, (_, _, inputs) in built:
        t = inputs[0]
        if not (t.dtype.is_floating_point or t.dtype.is_complex) or t.numel() == 0:
            continue
        v = t.detach().resolve_conj().resolve_neg()
        parts = (v.real, v.imag) if v.is_complex() else (v,)
        for p in parts:
            p = p.double()
            nan |= bool(p.isnan().any())
            inf |= bool((p == math.inf).any())
            ninf |= bool((p == -math.inf).any())
            negzero |= bool(((p == 0) & p.signbit()).any())
    assert (nan, inf, ninf, negzero) == (True, True, True, True)


def test_storage_values_are_deterministic(calls):
    for c in calls[:50]:
        for s in c.storages:
            a, b = storage_values(s), storage_values(s)
            assert a.dtype == s.dtype and a.numel() == s.numel
            torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)


# ----------------------------------------------------------------- geometry


def test_materialized_tensor_has_the_claimed_geometry(built):
    for call, (args, _, inputs) in built:
        spec = _spec(call)
        storage = call.storages[spec.storage]
        t = args[0]
        assert inputs == [t]
        assert tuple(t.shape) == spec.size, call
        assert tuple(t.stride()) == spec.stride, call
        assert t.storage_offset() == spec.offset, call
        assert t.dtype == storage.dtype, call
        assert t.is_conj() == spec.conj, call
        assert t.is_neg() == spec.neg, call
        assert t.requires_grad == storage.requires_grad, call
        assert t.untyped_storage().nbytes() >= storage_extent(spec.size, spec.stride, spec.offset) * t.element_size()
        if spec.view:
            assert t._is_view(), call
        elif not (spec.conj or spec.neg):  # conj()/_neg_view are views of the set_ tensor
            assert not t._is_view(), call


def test_layout_tags_match_geometry(built):
    for call, (args, _, _) in built:
        spec, t = _spec(call), args[0]
        tags = set(spec.layout)
        if tags == {"contiguous"}:
            assert t.is_contiguous() or t.numel() == 0, call
        if "offset" in tags:
            assert t.storage_offset() > 0
        if "expanded" in tags:
            assert any(st == 0 and sz > 1 for st, sz in zip(t.stride(), t.shape))
        if "conj" in tags:
            assert t.is_conj()
        if "neg" in tags:
            assert t.is_neg()
        if "channels_last" in tags:
            assert t.dim() == 4
        if "channels_last_3d" in tags:
            assert t.dim() == 5


def test_specs_naming_one_storage_alias_after_materialize():
    entry = catalog.entry("aten.add.Tensor")
    calls = [c for c in draw_many(op_calls(entry), 300) if len(list(c.tensor_specs())) >= 2]
    checked_shared = checked_apart = 0
    for c in calls:
        _, _, inputs = materialize(c, "cpu")
        specs = list(c.tensor_specs())
        for i in range(len(specs)):
            for j in range(i + 1, len(specs)):
                same = _torch.storage_key(inputs[i]) == _torch.storage_key(inputs[j])
                if specs[i].storage == specs[j].storage:
                    assert same, c
                    checked_shared += 1
                    if specs[i].view and specs[j].view:
                        assert inputs[i]._base is inputs[j]._base
                else:
                    assert not same, c
                    checked_apart += 1
    assert checked_shared and checked_apart


# ----------------------------------------------------------------- the kwargs are honoured


def test_fixed_shape_dtype_and_plain_layout():
    b = CallBuilder()
    specs = draw_many(tensors(b, shape=(2, 3), dtype=torch.int16, layouts=("contiguous",), requires_grad=False), 30)
    for s in specs:
        assert s.size == (2, 3) and s.stride == (3, 1) and s.offset == 0 and not s.conj and not s.neg
        assert b.storages[s.storage].dtype == torch.int16


def test_value_range_gives_index_tensors():
    b = CallBuilder()
    specs = draw_many(tensors(b, dtype=torch.int64, value_range=(0, 3), layouts=("contiguous",)), 30)
    for s in specs:
        store = b.storages[s.storage]
        assert store.fill == "range"
        v = storage_values(store)
        assert bool(((v >= 0) & (v < 3)).all())


def test_shapes_respect_bounds():
    for s in draw_many(shapes(min_dims=2, max_dims=3, min_side=1, max_side=3, max_numel=12), 100):
        assert 2 <= len(s) <= 3 and all(1 <= x <= 3 for x in s) and math.prod(s) <= 12


def test_dtypes_include():
    assert set(draw_many(dtypes(include=(torch.int8, torch.bool)), 30)) == {torch.int8, torch.bool}


# ----------------------------------------------------------------- argument validation


def _draw(strategy):
    draw_many(strategy, 1)



BAD_ARGUMENTS = [
    pytest.param(lambda: shapes(min_dims=3, max_dims=2), r"min_dims=3 is larger than max_dims=2", id="shapes-min_dims>max_dims"),
    pytest.param(lambda: shapes(min_dims=-1), r"min_dims=-1 must be at least 0", id="shapes-negative-min_dims"),
    pytest.param(lambda: shapes(min_side=5, max_side=2), r"min_side=5 is larger than max_side=2", id="shapes-min_side>max_side"),
    pytest.param(lambda: shapes(max_side="4"), r"max_side='4' must be an integer", id="shapes-str-max_side"),
    pytest.param(lambda: shapes(max_dims=True), r"max_dims=True must be an integer", id="shapes-bool-max_dims"),
    pytest.param(lambda: shapes(max_numel=0), r"max_numel=0 must be at least 1", id="shapes-zero-max_numel"),
    pytest.param(lambda: tensors(CallBuilder(), layouts=("bogus",)), r"layouts has unknown value\(s\) \['bogus'\]", id="tensors-bogus-layout"),
    pytest.param(lambda: tensors(CallBuilder(), layouts=()), r"layouts=\(\) must not be empty", id="tensors-no-layouts"),
    pytest.param(lambda: tensors(CallBuilder(), min_dims=4, max_dims=1), r"min_dims=4 is larger than max_dims=1", id="tensors-min_dims>max_dims"),
    pytest.param(lambda: tensor_calls(layouts=("bogus",)), r"layouts has unknown value\(s\) \['bogus'\]", id="tensor_calls-bogus-layout"),
    pytest.param(lambda: dtypes(include=(torch.complex32,)), r"include has unknown value\(s\) \[torch.complex32\]", id="dtypes-complex32"),
    pytest.param(lambda: dtypes(include=()), r"include=\(\) must not be empty", id="dtypes-empty"),
    pytest.param(lambda: op_calls(catalog.entry("aten.mm.default"), raw_probability=1.5),
                 r"raw_probability=1.5 must be within \[0, 1\]", id="op_calls-raw_probability"),
    pytest.param(lambda: tensors(CallBuilder(), dtype=torch.complex32), r"dtype=torch.complex32",
                 id="tensors-unknown-dtype"),
    pytest.param(lambda: tensors(CallBuilder(), dtype="float32"), r"dtype='float32'", id="tensors-str-dtype"),
    pytest.param(lambda: tensors(CallBuilder(), shape=(-1, 2)), r"shape=\(-1, 2\)", id="tensors-negative-shape"),
    pytest.param(lambda: tensors(CallBuilder(), dtype=torch.int64, requires_grad=True), r"requires_grad=True",
                 id="tensors-int-requires_grad"),
]


@pytest.mark.parametrize("make, message", BAD_ARGUMENTS)
def test_bad_arguments_are_rejected(make, message):
    with pytest.raises(InvalidArgument, match=message):
        _draw(make())
