"""crossref.record + crossref.reporting.report: per-worker parts, the merge, and the report files
validated against the declared schema (RESULT_COLUMNS, FINDING_COLUMNS) and the report
contract of README.md."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from crossref.reporting import report
from crossref.check.checker import Checker
from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec
from crossref.session.record import Recorder
from plants import planted
from support import DESIGN_FINDING_COLUMNS, DESIGN_RESULT_COLUMNS, DESIGN_SUMMARY_KEYS

META = {"devices": ["cpu"], "seed": 0, "ops_patterns": ["aten.mm.default"], "ops_selected": 1, "ops_skipped": {},
        "wall_seconds": 1.0, "profile": "ci", "max_examples": 3}


def mm_call(n=2, k=3, m=2, seed=0):
    b = CallBuilder()
    a = b.add_storage(StorageSpec(torch.float32, n * k, seed=seed))
    c = b.add_storage(StorageSpec(torch.float32, k * m, seed=seed + 1))
    return b.build("aten.mm.default", [TensorSpec(a, (n, k), (k, 1)), TensorSpec(c, (k, m), (m, 1))], {},
                   family="matmul")


def validate(run_dir):
    res = pd.read_parquet(run_dir / "results.parquet")
    fnd = pd.read_parquet(run_dir / "findings.parquet")
    assert list(res.columns) == list(report.RESULT_COLUMNS)
    assert list(fnd.columns) == list(report.FINDING_COLUMNS)
    for df, schema in ((res, report.RESULT_COLUMNS), (fnd, report.FINDING_COLUMNS)):
        for col, dtype in schema.items():
            assert str(df[col].dtype) in (dtype, "object" if dtype == "string" else dtype, "large_string"), (col, df[col].dtype)
    assert DESIGN_RESULT_COLUMNS <= set(res.columns) and DESIGN_FINDING_COLUMNS <= set(fnd.columns)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert DESIGN_SUMMARY_KEYS <= set(summary), DESIGN_SUMMARY_KEYS - set(summary)
    assert (run_dir / "summary.md").read_text().startswith("# crossref run")
    assert (run_dir / "repros").is_dir()
    return res, fnd, summary


@pytest.fixture
def run_with_findings(tmp_path):
    run_dir = tmp_path / "run"
    rec = Recorder(run_dir, "gw0")
    checker = Checker(recorder=rec)
    with planted("shape"):
        for i in range(3):
            checker.run(mm_call(seed=i), item="tests::mm")
        checker.run(mm_call(n=1, k=1, m=1), item="tests::mm")
    bad = mm_call()
    checker.run(bad.__class__(bad.op, (bad.args[0], bad.args[0]), (), bad.storages, bad.family), item="tests::mm")
    rows = rec.rows["result"]
    rec.close()
    return run_dir, rows


def test_recorder_appends_plain_json_rows(tmp_path):
    rec = Recorder(tmp_path, "gw3")
    rec.write("result", {"op": "aten.mm.default", "x": 1})
    rec.write("note", {"text": "hello"})
    rec.close()
    lines = (tmp_path / "parts" / "gw3.jsonl").read_text().splitlines()
    assert [json.loads(line)["t"] for line in lines] == ["result", "note"]
    assert json.loads(lines[0])["worker"] == "gw3"
    assert rec.rows["result"] == 1 and rec.rows["note"] == 1
    assert rec.repro_path("abc").parent == tmp_path / "repros"


def test_a_torn_last_line_is_skipped(tmp_path):
    rec = Recorder(tmp_path, "gw0")
    rec.write("result", {"op": "a"})
    rec.close()
    with open(tmp_path / "parts" / "gw0.jsonl", "a") as fh:
        fh.write('{"t": "result", "op": "tor')
    results = report.read_parts(tmp_path)["result"]
    assert [r["op"] for r in results] == ["a"]


def test_merge_writes_the_contract(run_with_findings):
    run_dir, rows = run_with_findings
    summary = report.merge(run_dir, meta=META, expected_rows={"gw0": rows})
    res, fnd, on_disk = validate(run_dir)
    assert summary["checks"] == len(res) == rows == 5
    assert on_disk["rows"]["complete"] is True
    assert set(res["status"]) == {"mismatch", "both_raised"}  # (2,3) @ (2,3) raises on both sides
    assert (res["worker"] == "gw0").all()
    shape = fnd[fnd["category"] == "shape"]
    assert len(shape) == 1 and int(shape["count"].iloc[0]) == 4  # one finding, seen in 4 checks
    row = shape.iloc[0]
    assert row["op"] == "aten.mm.default" and row["severity"] == "high" and row["field"] == "out[0].shape"
    assert row["repro"] == f"repros/{row['signature']}.py" and (run_dir / row["repro"]).is_file()
    assert "T0:float32[1,1]" in row["example"]  # the smallest example seen is kept
    assert summary["findings_by_category"].get("shape") == 1
    assert summary["counts_by_status"].get("mismatch", 0) >= 4
    assert "| high | static | `aten.mm.default` | shape |" in (run_dir / "summary.md").read_text()
    # Where fake mode's answer came from, and the root-cause cluster, for every finding.
    assert row["fake_impl"] == "torch/_meta_registrations.py:meta_mm"
    [cluster] = [c for c in summary["clusters"] if c["id"] == row["cluster"]]
    assert cluster["category"] == "shape" and cluster["fake_impl"] == row["fake_impl"]
    assert cluster["ops"] == ["aten.mm.default"] and cluster["representative"]["signature"] == row["signature"]
    assert summary["cluster_statistics"]["clusters"] == len(summary["clusters"]) == fnd["cluster"].nunique()
    md = (run_dir / "summary.md").read_text()
    assert md.index("## Root-cause clusters") < md.index("## Findings by category")


def test_merge_reports_missing_rows(run_with_findings):
    run_dir, rows = run_with_findings
    summary = report.merge(run_dir, meta=META, expected_rows={"gw0": rows, "gw1": 7})
    assert summary["rows"]["complete"] is False
    assert "fewer rows" in (run_dir / "summary.md").read_text()


def test_merge_of_an_empty_run(tmp_path):
    (tmp_path / "parts").mkdir()
    summary = report.merge(tmp_path, meta=META)
    res, fnd, _ = validate(tmp_path)
    assert len(res) == len(fnd) == 0 and summary["checks"] == 0 and summary["findings"] == 0
    assert (tmp_path / "repros").is_dir() and not any((tmp_path / "repros").iterdir())


def test_the_check_path_does_not_import_pandas():
    """Only the reporting side may import pandas (STYLE 11): no module of the engine
    (crossref/ outside crossref/reporting/) imports it at its top."""
    import pathlib
    import re

    import crossref

    root = pathlib.Path(crossref.__file__).parent
    engine = [p for p in root.rglob("*.py") if "reporting" not in p.relative_to(root).parts]
    assert len(engine) > 20 and any(p.name == "checker.py" for p in engine)
    users = sorted(str(p.relative_to(root)) for p in engine if re.search(r"^(import|from) pandas", p.read_text(), re.M))
    assert users == []
