"""crossref.opcall: recipes, traits, descriptions and materialize."""

from __future__ import annotations

import math

import pytest
import torch

from crossref import _torch
from crossref.check.opcall import (
    DEVICE,
    CallBuilder,
    OpCall,
    StorageSpec,
    TensorSpec,
    contiguous_strides,
    materialize,
    storage_extent,
    storage_values,
)


@pytest.mark.parametrize("size, stride", [((), ()), ((3,), (1,)), ((2, 3), (3, 1)), ((2, 0, 3), (3, 3, 1)),
                                          ((4, 1, 2), (2, 2, 1))])
def test_contiguous_strides_match_torch(size, stride):
    assert contiguous_strides(size) == stride == tuple(torch.empty(size).stride())


@pytest.mark.parametrize("size, stride, offset, extent", [
    ((), (), 0, 1), ((), (), 3, 4), ((2, 3), (3, 1), 0, 6), ((2, 3), (1, 2), 1, 7),
    ((0, 3), (3, 1), 2, 2), ((4,), (0,), 0, 1), ((2, 2), (2, 1), 5, 9),
])
def test_storage_extent(size, stride, offset, extent):
    assert storage_extent(size, stride, offset) == extent


@pytest.mark.parametrize("fill", ["random", "specials", "zeros", "ones", "range"])
@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int64, torch.float16, torch.float64, torch.complex64])
def test_storage_values_fill_every_dtype(fill, dtype):
    v = storage_values(StorageSpec(dtype, 7, fill, seed=3, low=0, high=4))
    assert v.dtype == dtype and v.numel() == 7 and v.device.type == "cpu"
    if fill == "zeros":
        assert not bool(v.bool().any())
    if fill == "range":
        assert bool(((v.real.double() if dtype.is_complex else v.double()) < 4).all())


def _call():
    b = CallBuilder()
    a = b.add_storage(StorageSpec(torch.float32, 12, seed=1))
    c = b.add_storage(StorageSpec(torch.int64, 4, "range", seed=2, low=0, high=2))
    x = TensorSpec(a, (2, 3), (1, 2), 0, True, layout=("permuted",))
    y = TensorSpec(a, (3,), (1,), 6, False, layout=("offset", "aliased"))
    idx = TensorSpec(c, (), (), 0)
    return b.build("aten.index_select.default", [x, 0, y], {"extra": [idx, None], "device": DEVICE}), x, y, idx


def test_tensor_specs_dtypes_traits_and_size_key():
    call, x, y, idx = _call()
    assert list(call.tensor_specs()) == [x, y, idx]
    assert call.dtypes() == ("float32", "int64")
    assert call.traits() == frozenset({"permuted", "offset", "aliased", "0-d"})
    assert call.size_key() == 12 + 4 + 3 + 2


def test_describe():
    call, *_ = _call()
    text = call.describe()
    assert text.startswith("aten.index_select.default(T0:float32[2,3](stride=(1, 2),offset=0,permuted), 0, T0:float32[3]")
    assert "extra=[T1:int64[], None]" in text and "device=DEVICE" in text


def test_describe_nonfinite_floats():
    b = CallBuilder()
    call = b.build("aten.add.Scalar", [math.inf, -math.inf, math.nan], {})
    assert call.describe() == "aten.add.Scalar(float('inf'), float('-inf'), float('nan'))"


def test_materialize_builds_aliasing_geometry_and_placeholders():
    call, x, y, idx = _call()
    args, kwargs, inputs = materialize(call, "cpu")
    tx, ty = args[0], args[2]
    assert tuple(tx.stride()) == (1, 2) and tx._is_view()
    assert ty.storage_offset() == 6 and not ty._is_view()
    assert _torch.storage_key(tx) == _torch.storage_key(ty)
    assert kwargs["device"] == torch.device("cpu")
    assert kwargs["extra"][1] is None and kwargs["extra"][0].dim() == 0
    assert inputs == [tx, ty, kwargs["extra"][0]]
    again, _, _ = materialize(call, "cpu")
    assert again[0] is not tx and torch.equal(again[0], tx)  # fresh, identical


def test_same_spec_twice_is_one_tensor():
    b = CallBuilder()
    s = b.add_storage(StorageSpec(torch.float32, 4))
    t = TensorSpec(s, (2, 2), (2, 1))
    args, _, inputs = materialize(b.build("aten.add.Tensor", [t, t], {}), "cpu")
    assert args[0] is args[1] and inputs == [args[0], args[0]]


def test_requires_grad_and_neg_conj():
    b = CallBuilder()
    s = b.add_storage(StorageSpec(torch.complex64, 4, requires_grad=True))
    t = TensorSpec(s, (4,), (1,), view=True, conj=True, neg=True, layout=("conj", "neg"))
    (x,), _, _ = materialize(b.build("aten.clone.default", [t], {}), "cpu")
    assert x.requires_grad and x.is_conj() and x.is_neg()


def test_overload_resolves_aten():
    call, *_ = _call()
    assert call.overload is torch.ops.aten.index_select.default


def test_overload_resolves_other_namespaces():
    from plants import CUSTOM_OP

    b = CallBuilder()
    s = b.add_storage(StorageSpec(torch.float32, 3))
    call = b.build(CUSTOM_OP, [TensorSpec(s, (3,), (1,))], {})
    assert call.overload is torch.ops.crossref_selftest.twice.default
    assert call.describe().startswith("crossref_selftest.twice.default(")
