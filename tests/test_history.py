"""crossref.reporting.history: the runs and findings tables, adding a run once, listing."""

from __future__ import annotations

import json

from crossref.reporting.cli import main
from crossref.reporting.history import HISTORY_RUN_COLUMNS, load_history
from crossref.reporting.report import FINDING_COLUMNS
from test_cli import ADD, MM, SUB, UNSUP_A, make_run, run_cli


def test_add_twice_is_a_no_op(tmp_path, capsys):
    run = make_run(tmp_path, "20250101T000000Z", [ADD, MM, UNSUP_A])
    hist = tmp_path / "history"
    code, out, err = run_cli(capsys, "history", "add", run, "--history", hist)
    assert code == 0 and err == "" and out.startswith("added 20250101T000000Z@2025-01-01T00:00:00Z")
    code, out, _ = run_cli(capsys, "history", "add", run, "--history", hist)
    assert code == 0 and "already in" in out
    h = load_history(hist)
    assert len(h.runs) == 1 and len(h.findings) == 3
    assert len(list((hist / "runs").glob("*.parquet"))) == 1


def test_tables_follow_the_schema(tmp_path, capsys):
    run = make_run(tmp_path, "r1", [ADD, MM, UNSUP_A], ops_skipped={"aten.x.default": "no strategy"})
    hist = tmp_path / "h"
    assert main(["history", "add", str(run), "--history", str(hist)]) == 0
    h = load_history(hist)
    assert list(h.runs.columns) == list(HISTORY_RUN_COLUMNS)
    row = h.runs.iloc[0]
    assert row["run_id"] == "r1@2025-01-01T00:00:00Z" and row["report_path"] == str(run.resolve())
    assert row["torch_version"] == "2.13.0" and row["git_revision"] == "abc1234"
    assert row["checks_selected"] == "forward,cache" and row["checks"] == 3
    assert row["status_mismatch"] == 2 and row["status_unsupported"] == 1 and row["status_match"] == 0
    assert row["findings"] == 3 and row["findings_live"] == 2 and row["ops_skipped"] == 1
    assert json.loads(row["findings_by_category"]) == {"shape": 1, "stride": 1, "unsupported": 1}
    assert json.loads(row["findings_by_severity"]) == {"high": 1, "medium": 1, "info": 1}
    assert row["cache_present"] and row["cache_hits"] == 3 and row["cache_misses"] == 3
    assert json.loads(row["cache_bypasses"]) == {"unsupported op": 2}
    assert row["ops_with_valid_call"] == 2 and "add" in json.loads(row["valid_share_by_family"])
    assert list(h.findings.columns) == ["run_id", *FINDING_COLUMNS]
    assert set(h.findings["run_id"]) == {row["run_id"]}


def test_list_prints_runs_oldest_first(tmp_path, capsys):
    hist = tmp_path / "h"
    code, out, _ = run_cli(capsys, "history", "list", "--history", hist)
    assert code == 0 and "no runs in" in out
    later = make_run(tmp_path, "later", [ADD, SUB], created="2025-02-01T00:00:00Z")
    earlier = make_run(tmp_path, "earlier", [ADD], created="2025-01-01T00:00:00Z", torch_version="2.12.0")
    for run in (later, earlier):
        assert main(["history", "add", str(run), "--history", str(hist)]) == 0
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "history", "list", "--history", hist)
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["run_id", "torch", "git"]
    assert lines[1].startswith("earlier@") and "2.12.0" in lines[1] and lines[2].startswith("later@")


def test_the_same_dir_rerun_is_a_new_run(tmp_path):
    hist = tmp_path / "h"
    make_run(tmp_path, "run", [ADD], created="2025-01-01T00:00:00Z")
    assert main(["history", "add", str(tmp_path / "run"), "--history", str(hist)]) == 0
    import shutil

    shutil.rmtree(tmp_path / "run")
    make_run(tmp_path, "run", [MM], created="2025-01-02T00:00:00Z")
    assert main(["history", "add", str(tmp_path / "run"), "--history", str(hist)]) == 0
    h = load_history(hist)
    assert len(h.runs) == 2 and sorted(h.findings["signature"]) == sorted([ADD[0], MM[0]])


def test_corrupt_history_file_is_one_line(tmp_path, capsys):
    hist = tmp_path / "h"
    (hist / "runs").mkdir(parents=True)
    (hist / "runs" / "x.parquet").write_text("garbage")
    code, _, err = run_cli(capsys, "history", "list", "--history", hist)
    assert code == 2 and len(err.splitlines()) == 1 and "x.parquet" in err
    code, _, err = run_cli(capsys, "dashboard", "--history", hist, "--out", tmp_path / "d.html")
    assert code == 2 and "x.parquet" in err
