"""crossref.catalog: every ATen overload as an OpEntry, selection by glob, skip reasons."""

from __future__ import annotations

import pytest

from crossref.check import catalog
from crossref.errors import UsageError


@pytest.fixture(scope="module")
def entries():
    return catalog.load_catalog()


def test_catalog_is_sorted_unique_and_large(entries):
    names = [e.name for e in entries]
    assert names == sorted(names) and len(names) == len(set(names)) and len(names) > 2000
    assert catalog.load_catalog() is entries  # cached


def test_names_are_what_str_of_the_overload_prints(entries):
    for e in entries[::50]:
        assert str(e.op) == e.name
        assert e.name == f"aten.{e.packet}.{e.overload}"


@pytest.mark.parametrize("name, kind, family", [
    ("aten.add.Tensor", "functional", "pointwise"),
    ("aten.add_.Tensor", "inplace", "pointwise"),
    ("aten.add.out", "out", "pointwise"),
    ("aten.view.default", "view", "view"),
    ("aten.mm.default", "functional", "matmul"),
    ("aten.sum.dim_IntList", "functional", "reduction"),
    ("aten.cat.default", "functional", "join_split"),
    ("aten.index_select.default", "functional", "indexing"),
    ("aten.sort.default", "functional", "sort_scan"),
])
def test_kind_and_family(name, kind, family):
    e = catalog.entry(name)
    assert (e.kind, e.family) == (kind, family)
    assert e.family in catalog.FAMILIES
    assert e.skip is None and e.runs_on("cpu")


def test_tags_come_from_the_overload():
    assert "dynamic_output_shape" in catalog.entry("aten.nonzero.default").tags
    assert "pointwise" in catalog.entry("aten.add.Tensor").tags


@pytest.mark.parametrize("name, reason", [
    ("aten.quantize_per_tensor.default", "quantized"),
    ("aten._local_scalar_dense.default", "data-dependent"),
    ("aten.set_.source_Storage", "Storage"),
])
def test_skip_reasons(name, reason):
    assert reason in catalog.entry(name).skip


def test_every_family_and_kind_is_known(entries):
    assert {e.family for e in entries} <= set(catalog.FAMILIES)
    assert {e.kind for e in entries} == {"functional", "inplace", "out", "view"}


def test_select_by_globs():
    chosen = catalog.select(["aten.add.*", "aten.mm.default", "aten.add.Tensor"])
    names = [e.name for e in chosen]
    assert names == sorted(set(names))
    assert "aten.add.Tensor" in names and "aten.mm.default" in names and "aten.add_.Tensor" not in names
    assert all(n.startswith("aten.add.") or n == "aten.mm.default" for n in names)
    assert len(catalog.select(None)) == len(catalog.load_catalog())


def test_select_unknown_pattern_names_it():
    with pytest.raises(UsageError, match=r"--crossref-ops pattern 'aten\.nosuchop\.\*' matches no ATen overload"):
        catalog.select(["aten.mm.default", "aten.nosuchop.*"])


def test_select_suggests_close_names():
    with pytest.raises(UsageError, match=r"did you mean .*aten\.addmm\.default"):
        catalog.select(["aten.addmm.nosuchoverload"])


def test_entry_unknown_names_it():
    with pytest.raises(UsageError, match=r"unknown ATen overload 'aten\.mm\.nope'"):
        catalog.entry("aten.mm.nope")
