"""strategies.calls.op_calls: schema-driven calls bind to their overload, are mostly
valid when refined, honour raw_probability, and carry the entry's identity."""

from __future__ import annotations

import re

import pytest
import torch

from crossref.check import catalog
from crossref.check.execute import run_real
from crossref.check.opcall import DEVICE, TensorSpec, materialize
from crossref.strategies.calls import op_calls, unsupported_reason
from support import draw_many

OPS = ["aten.mm.default", "aten.add.Tensor", "aten.add_.Tensor", "aten.add.out", "aten.sum.dim_IntList",
       "aten.cat.default", "aten.index_select.default", "aten.view.default", "aten.cumsum.default",
       "aten.clone.default", "aten.empty.memory_format", "aten.unbind.int"]

# How a call that does not fit its schema fails (binding, not the kernel's verdict).
_BINDING = re.compile(r"expected a value of type|missing \d+ required|unexpected keyword|"
                      r"takes \d+ positional|No overload|argument .* must be", re.I)


@pytest.mark.parametrize("name", OPS)
def test_calls_bind_and_mostly_work(name):
    entry = catalog.entry(name)
    assert unsupported_reason(entry) is None
    calls = draw_many(op_calls(entry, raw_probability=0.0), 40)
    valid = 0
    for c in calls:
        assert c.op == name and c.family == entry.family and c.refined
        out = run_real(c, "cpu")
        if out.error is None:
            valid += 1
            continue
        assert out.error.phase == "call", (c, out.error)
        assert out.error.type != "TypeError" and not _BINDING.search(out.error.message), (c, out.error)
    assert valid >= len(calls) // 3, f"only {valid}/{len(calls)} refined calls of {name} were valid"


def test_raw_probability_extremes():
    entry = catalog.entry("aten.add.Tensor")
    assert all(not c.refined for c in draw_many(op_calls(entry, raw_probability=1.0), 30))
    assert all(c.refined for c in draw_many(op_calls(entry, raw_probability=0.0), 30))


def test_default_raw_share_is_small_but_present():
    entry = catalog.entry("aten.add.Tensor")
    calls = draw_many(op_calls(entry), 300)
    raw = sum(not c.refined for c in calls)
    assert 0 < raw < len(calls) // 3


def test_out_variant_passes_out_as_keyword():
    entry = catalog.entry("aten.add.out")
    for c in draw_many(op_calls(entry, raw_probability=0.0), 20):
        kwargs = dict(c.kwargs)
        assert isinstance(kwargs.get("out"), TensorSpec), c


def test_device_placeholder_becomes_the_device():
    entry = catalog.entry("aten.empty.memory_format")
    calls = [c for c in draw_many(op_calls(entry, raw_probability=0.0), 60) if DEVICE in dict(c.kwargs).values()]
    assert calls
    _, kwargs, _ = materialize(calls[0], "cpu")
    assert kwargs["device"] == torch.device("cpu")


def test_refined_dims_are_mostly_within_rank_negative_too():
    entry = catalog.entry("aten.cumsum.default")
    calls = draw_many(op_calls(entry, raw_probability=0.0), 100)
    dims = [(c.args[1], max(len(c.args[0].size), 1)) for c in calls]
    inside = [d for d, rank in dims if -rank <= d < rank]
    assert len(inside) >= 0.8 * len(dims)  # a few are out of range on purpose, to test errors
    assert any(d < 0 for d in inside) and any(d >= 0 for d in inside)


def test_matmul_operands_agree_mostly():
    entry = catalog.entry("aten.mm.default")
    calls = draw_many(op_calls(entry, raw_probability=0.0), 60)
    agree = sum(c.args[0].size[1] == c.args[1].size[0] for c in calls)
    assert len(calls) // 2 < agree < len(calls), "inner dims: mostly equal, sometimes off by one"


def test_describe_is_one_line_and_names_the_op():
    entry = catalog.entry("aten.add.Tensor")
    for c in draw_many(op_calls(entry), 20):
        text = c.describe()
        assert text.startswith("aten.add.Tensor(") and "\n" not in text
        assert repr(c) == text
