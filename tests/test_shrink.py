"""crossref.shrink: the smallest call that still shows one signature, by passes over
the call's recipe; sizes that must agree shrink together; the budget holds."""

from __future__ import annotations

import math

import pytest
import torch

from crossref.check import catalog
from crossref.check.checker import Checker
from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec, contiguous_strides, materialize
from crossref.search.shrink import cost, regeometry, shrink
from plants import planted


def _tensor(b, shape, dtype=torch.float32, stride=None, offset=0, layout=("contiguous",), fill="random"):
    stride = stride or contiguous_strides(shape)
    n = offset + 1 + sum((s - 1) * st for s, st in zip(shape, stride)) if 0 not in shape else offset
    i = b.add_storage(StorageSpec(dtype, n, fill, seed=3))
    return TensorSpec(i, tuple(shape), tuple(stride), offset, False, layout=layout)


def test_unconditional_property_shrinks_to_the_simplest_call():
    b = CallBuilder()
    t = _tensor(b, (3, 4, 2), torch.float64, stride=(1, 3, 12), offset=2, layout=("permuted", "offset"),
                fill="specials")
    call = b.build("aten.clone.default", [t], {"memory_format": torch.preserve_format})
    out = shrink(call, lambda c: True)
    assert out.complete and out.call.describe() == "aten.clone.default(T0:float32[])", out.call.describe()
    assert out.call.storages[0].fill == "random" and cost(out.call) < cost(call)


def test_a_condition_on_the_layout_keeps_the_layout_and_shrinks_the_rest():
    """'the first tensor is not contiguous in a dim that matters' survives; sizes, dtype
    and offset go."""
    b = CallBuilder()
    t = _tensor(b, (4, 3), torch.int16, stride=(1, 4), offset=1, layout=("permuted", "offset"))
    call = b.build("aten.abs.default", [t], {})

    def shows(c):
        x = materialize(c, "cpu")[2][0]
        return any(s > 1 for s in x.shape) and not x.is_contiguous()

    out = shrink(call, shows)
    (spec,) = out.call.tensor_specs()
    assert spec.size == (2, 2) and spec.stride == (1, 2) and spec.offset == 0
    assert out.call.storages[spec.storage].dtype == torch.float32


def test_sizes_that_must_agree_shrink_together():
    """mm's inner dim appears in both operands: shrinking one alone makes an invalid
    call; the coherent pass shrinks every 5 to 1 at once."""
    b = CallBuilder()
    call = b.build("aten.mm.default", [_tensor(b, (3, 5)), _tensor(b, (5, 4))], {})

    def shows(c):
        a, m = materialize(c, "cpu")[2]
        return a.dim() == m.dim() == 2 and a.shape[1] == m.shape[0]

    out = shrink(call, shows)
    assert [s.size for s in out.call.tensor_specs()] == [(1, 1), (1, 1)]


def test_the_budget_is_kept():
    b = CallBuilder()
    call = b.build("aten.clone.default", [_tensor(b, (4, 4, 4), stride=(1, 4, 16), layout=("permuted",))], {})
    calls = []
    out = shrink(call, lambda c: calls.append(c) or True, max_checks=1)
    assert len(calls) == out.checks == 1 and not out.complete and out.call is calls[0]


def test_shrinking_targets_one_signature_of_a_planted_bug():
    """Under a plant that makes mm column-major only for a non-contiguous self, the
    smallest call showing that stride signature keeps a non-contiguous self."""
    entry = catalog.entry("aten.mm.default")
    b = CallBuilder()
    call = b.build("aten.mm.default", [_tensor(b, (4, 3), stride=(1, 4), layout=("permuted",)), _tensor(b, (3, 5))], {})
    checker = Checker(checks=("forward",))
    with planted("stride_noncontiguous"):
        first = checker.run(call, entry.tags)[0].findings
        (sig,) = [f.signature for f in first if f.category == "stride"]
        out = shrink(call, lambda c: any(f.signature == sig for ch in checker.run(c, entry.tags) for f in ch.findings))
    a, m = out.call.tensor_specs()
    assert a.size == (2, 2) and a.stride == (1, 2) and m.size[1] == 2, out.call.describe()


@pytest.mark.parametrize("size, stride, new, expected", [
    ((3, 4), (4, 1), (2, 4), (4, 1)),  # contiguous stays contiguous
    ((3, 4), (1, 3), (2, 4), (1, 2)),  # column-major stays column-major
    ((3, 4), (8, 2), (3, 2), (4, 2)),  # stepped by 2 stays stepped
    ((3, 4), (0, 1), (3, 2), (0, 1)),  # an expanded dim stays expanded
    ((2, 3, 4), (1, 8, 2), (2, 2, 4), (1, 8, 2)),  # a permuted order is kept
])
def test_regeometry_keeps_order_steps_and_expansion(size, stride, new, expected):
    assert regeometry(size, stride, new) == expected


def test_cost_orders_calls_by_elements_then_dims_then_oddness():
    b = CallBuilder()
    small = b.build("aten.abs.default", [_tensor(b, (2, 2))], {})
    b2 = CallBuilder()
    big = b2.build("aten.abs.default", [_tensor(b2, (2, 3))], {})
    b3 = CallBuilder()
    odd = b3.build("aten.abs.default", [_tensor(b3, (2, 2), stride=(1, 2), layout=("permuted",))], {})
    assert cost(small) < cost(odd) < cost(big)
    assert math.prod(next(big.tensor_specs()).size) == 6
