"""crossref.reporting.clusters: findings of many ops grouped by their shared cause, ranked."""

from __future__ import annotations

from crossref.reporting import clusters


def row(op, category, field="out[0].stride", fake_impl="", real="", fake="", severity="medium", **kw):
    return {"op": op, "category": category, "field": field, "fake_impl": fake_impl, "real": real, "fake": fake,
            "severity": severity, "signature": f"{op}-{category}-{field}", "count": 2, "example": f"{op}(...)",
            "repro": f"repros/{op}.py", "known": "", "baseline": False, "mode": "static", **kw}


OUT_DTYPE = "RuntimeError: Expected out tensor to have dtype {}, but got {} instead"


def test_one_missing_check_in_many_ops_is_one_cluster_whatever_the_dtypes_and_types():
    rows = [row("aten.relu.out", "missing_error", "error", "torch/_refs/nn/functional/__init__.py:relu",
                OUT_DTYPE.format("float", "c10::complex<double>")),
            row("aten.abs.out", "missing_error", "error", "torch/_refs/__init__.py:abs",
                OUT_DTYPE.format("c10::BFloat16", "double")),
            row("aten.median.dim_values", "missing_error", "error", "",
                "RuntimeError: Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; "
                "but type torch.ShortTensor does not equal CPUBoolType (while checking arguments for median)"),
            row("aten.median.dim_values", "missing_error", "error", "",
                "RuntimeError: Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; "
                "but type torch.FloatTensor does not equal CPULongType (while checking arguments for median)")]
    ids, table = clusters.build(rows)
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
    out = next(c for c in table if c["id"] == ids[0])
    assert out["ops"] == ["aten.abs.out", "aten.relu.out"] and out["op_count"] == 2 and out["findings"] == 2
    assert out["fake_impls"] == ["torch/_refs/__init__.py:abs", "torch/_refs/nn/functional/__init__.py:relu"]
    assert out["title"].startswith("missing check: RuntimeError: Expected out tensor to have dtype T")


def test_metadata_findings_cluster_by_implementation_category_and_field_pattern():
    div = "torch/_refs/__init__.py:div"
    rows = [row("aten.div.Tensor", "stride", "out[0].stride", div),
            row("aten.div.Tensor_mode", "stride", "out[0].stride", div),
            row("aten.div.Tensor_mode", "stride", "out[1].stride", div),  # another output: the same pattern
            row("aten.div.Tensor_mode", "storage_offset", "out[0].storage_offset", div),  # another category
            row("aten.add.Tensor", "stride", "out[0].stride", "torch/_refs/__init__.py:add")]  # another function
    ids, table = clusters.build(rows)
    assert ids[0] == ids[1] == ids[2]
    assert len(set(ids)) == 3
    first = next(c for c in table if c["id"] == ids[0])
    assert first["fake_impl"] == div and first["pattern"] == "out[N].stride" and first["findings"] == 3


def test_fake_errors_cluster_by_the_function_that_raised_and_its_message():
    raised = "RuntimeError: Expected at least 2 dimensions for input tensor but received {}"
    rows = [row("aten.native_group_norm.default", "spurious_error", "error", "torch/_decomp/decompositions.py:g",
                fake=raised.format(1)),
            row("aten.native_group_norm.default", "spurious_error", "error", "torch/_decomp/decompositions.py:g",
                fake=raised.format(0)),
            row("aten.group_norm.default", "spurious_error", "error", "torch/_meta_registrations.py:h",
                fake=raised.format(1))]
    ids, _ = clusters.build(rows)
    assert ids[0] == ids[1] != ids[2]


def test_clusters_rank_new_first_then_severity_then_breadth():
    rows = [row("a.x.default", "stride", fake_impl="f"),
            row("a.y.default", "dtype", "out[0].dtype", "g", severity="high"),
            row("a.z.default", "stride", fake_impl="h"), row("a.w.default", "stride", fake_impl="h"),
            row("a.k.default", "shape", "out[0].shape", "k", severity="high", known="a reason")]
    _, table = clusters.build(rows)
    assert [c["fake_impl"] for c in table] == ["g", "h", "f", "k"]
    assert table[-1]["new"] == 0 and table[1]["op_count"] == 2
    assert table[0]["representative"]["signature"] == "a.y.default-dtype-out[0].dtype"


def test_statistics_and_a_stable_id():
    _, table = clusters.build([row("a.x.default", "stride", fake_impl="f"), row("a.y.default", "stride", fake_impl="f"),
                               row("a.z.default", "dtype", "out[0].dtype", "g")])
    stats = clusters.statistics(table)
    assert stats == {"clusters": 2, "findings": 3, "median_size": 1.5, "largest": 2, "clusters_with_new": 2,
                     "new_findings": 3, "clusters_by_impact": {}, "clusters_on_workload_ops": 0}
    assert clusters.cluster_id(("stride", "f", "out[N].stride")) == clusters.cluster_id(("stride", "f", "out[N].stride"))
    assert clusters.statistics([]) == {"clusters": 0, "findings": 0, "median_size": 0.0, "largest": 0,
                                       "clusters_with_new": 0, "new_findings": 0, "clusters_by_impact": {},
                                       "clusters_on_workload_ops": 0}


def test_clusters_rank_by_what_they_break_in_compiled_programs_first():
    """Consequence first (the worst of a cluster's findings), then new findings, severity
    and breadth: a low-severity cluster whose finding gives wrong values outranks a
    high-severity one that compiles correctly; unprobed clusters come last."""
    rows = [row("a.high.default", "shape", "out[0].shape", "f", severity="high", impact="none"),
            row("a.low.default", "stride", "out[0].stride", "g", severity="low", impact="wrong_values",
                impact_backend="inductor", impact_detail="inductor: out[0] values differ"),
            row("a.low.default", "stride", "out[1].stride", "g", severity="low", impact="compile_error"),
            row("a.mid.default", "dtype", "out[0].dtype", "h", impact="not_probed"),
            row("a.old.default", "alias", "out[0].aliases", "k")]
    ids, table = clusters.build(rows)
    assert [c["impact"] for c in table] == ["wrong_values", "none", "not_probed", ""]
    top = table[0]
    assert top["ops"] == ["a.low.default"] and top["impact_backend"] == "inductor"
    assert top["impact_detail"] == "inductor: out[0] values differ"
    assert top["impacts"] == {"wrong_values": 1, "compile_error": 1}
    assert clusters.statistics(table)["clusters_by_impact"] == {"wrong_values": 1, "none": 1, "not_probed": 1}
