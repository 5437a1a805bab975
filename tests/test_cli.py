"""crossref.reporting.cli (``python -m crossref``): diff, merge and repro over run directories, and
one-line errors with exit code 2 for every kind of bad input.

Runs are built small: rows in the recorder's format written to parts/*.jsonl and
merged by crossref.reporting.report.merge (``make_run``), except the repro test, which records a
genuine finding with the real Checker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from crossref.reporting import report
from crossref.reporting.cli import main
from crossref.session.record import Recorder

#: (signature, op, category, severity) of the findings the tests plant.
ADD = ("aaaa00000001", "aten.add.Tensor", "shape", "high")
MM = ("bbbb00000002", "aten.mm.default", "stride", "medium")
SUB = ("cccc00000003", "aten.sub.Tensor", "missing_error", "medium")
UNSUP_A = ("dddd00000004", "aten.nonzero.default", "unsupported", "info")
UNSUP_B = ("eeee00000005", "aten.unique2.default", "unsupported", "info")


def make_run(base: Path, name: str, findings=(), *, ops=("aten.add.Tensor", "aten.mm.default"), worker="gw0",
             created="2025-01-01T00:00:00Z", repeats: int = 1, rechecks=None, **meta) -> Path:
    """A merged run at ``base/name``: one result row per op (mismatch when a finding
    names it), ``repeats`` finding rows per finding, an example row and a repro script
    per finding (the script exits 1, as a reproducing one does)."""
    run = base / name
    rec = Recorder(run, worker)
    by_op = {op: [f for f in findings if f[1] == op] for op in {*ops, *(f[1] for f in findings)}}
    for sig, op, cat, sev, *mode in findings:  # a mode finding (5th element) gets a result row of its mode
        if mode:
            rec.write("result", {"item": f"suite::{op}", "op": op, "family": "x", "refined": True, "device": "cpu",
                                 "dtypes": "float32", "status": "mismatch", "category": cat, "signatures": sig,
                                 "valid": True, "real_error": "", "fake_error": "", "real_seconds": 0.01,
                                 "fake_seconds": 0.02, "check_seconds": 0.03, "cache_repeat": "", "cache_hits": 0,
                                 "cache_misses": 0, "cache_bypasses": "", "phase": "generate", "mode": mode[0]})
    for op, fs in sorted(by_op.items()):
        status = "unsupported" if fs and fs[0][2] == "unsupported" else "mismatch" if fs else "match"
        for _ in range(max(repeats, 1)):
            rec.write("result", {"item": f"suite::{op}", "op": op, "family": op.split(".")[1][:3], "refined": True,
                                 "device": "cpu", "dtypes": "float32", "status": status,
                                 "category": fs[0][2] if fs else "", "signatures": ",".join(f[0] for f in fs),
                                 "valid": status != "unsupported", "real_error": "", "fake_error": "",
                                 "real_seconds": 0.01, "fake_seconds": 0.02, "check_seconds": 0.03,
                                 "cache_repeat": "hit" if op.endswith("Tensor") else "bypass", "cache_hits": 1,
                                 "cache_misses": 1, "cache_bypasses": "" if op.endswith("Tensor") else "unsupported op=1",
                                 "phase": "generate", "mode": "static"})
    for sig, op, cat, sev, *mode in findings:
        for _ in range(max(repeats, 1)):
            rec.write("finding", {"signature": sig, "op": op, "category": cat, "severity": sev, "field": "out[0].shape",
                                  "real": "[2, 3]", "fake": "[3, 2]", "device": "cpu", "dtypes": "float32", "traits": "",
                                  "known": "", "item": f"suite::{op}", "phase": "generate",
                                  "mode": mode[0] if mode else "static"})
        rec.write("example", {"signature": sig, "example": f"{op}(T0:float32[2,3])", "size": 6, "shrunk": True,
                              "repro": f"repros/{sig}.py"})
        rec.repro_path(sig).write_text(f"import sys\nprint('reproduces {sig}')\nsys.exit(1)\n")
    for sig, (crashed, runs) in (rechecks or {}).items():  # a crash run again in fresh processes
        rec.write("recheck", {"signature": sig, "crashed": crashed, "runs": runs})
    rec.close()
    merged_meta = {"devices": ["cpu"], "checks_selected": ["forward", "cache"], "seed": 0, "profile": "ci",
                   "max_examples": 3, "ops_patterns": ["aten.*"], "ops_selected": len(by_op), "ops_skipped": {},
                   "wall_seconds": 2.0, "torch_version": "2.13.0", "git_revision": "abc1234", "created_utc": created,
                   **meta}
    report.merge(run, meta=merged_meta, expected_rows={worker: rec.rows["result"]})
    return run


@pytest.fixture
def two_runs(tmp_path):
    ops = tuple(f[1] for f in (ADD, MM, SUB, UNSUP_A, UNSUP_B))  # the same ops checked: no skew
    a = make_run(tmp_path, "a", [ADD, MM, UNSUP_A], created="2025-01-01T00:00:00Z", ops=ops)
    b = make_run(tmp_path, "b", [MM, SUB, UNSUP_B], created="2025-01-02T00:00:00Z", ops=ops)
    return a, b


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- diff -------------------------------------------------------------------------------

def test_diff_new_fixed_persisting_and_exit_code(two_runs, capsys):
    a, b = two_runs
    code, out, err = run_cli(capsys, "diff", a, b)
    assert code == 1 and err == ""
    new = out.split("New findings (1):")[1].split("Fixed findings")[0]
    fixed = out.split("Fixed findings (1):")[1].split("Persisting findings")[0]
    persisting = out.split("Persisting findings (1):")[1].split("Summary:")[0]
    assert SUB[0] in new and "aten.sub.Tensor" in new and "missing_error" in new and f"b/repros/{SUB[0]}.py" in new
    assert ADD[0] in fixed and f"a/repros/{ADD[0]}.py" in fixed  # the repro of the run where it exists
    assert MM[0] in persisting and f"b/repros/{MM[0]}.py" in persisting
    assert UNSUP_B[0] not in out and UNSUP_A[0] not in out
    assert "unsupported (not compared): A 1, B 1 (1 new, 1 gone)" in out
    assert "torch 2.13.0, git abc1234, created 2025-01-01T00:00:00Z" in out
    assert "Version skew" not in out


def test_diff_without_new_findings_exits_0(two_runs, capsys):
    a, b = two_runs
    code, out, _ = run_cli(capsys, "diff", b, a)  # backwards: SUB is fixed, ADD is new
    assert code == 1 and "New findings (1)" in out
    code, out, _ = run_cli(capsys, "diff", b, b)
    assert code == 0 and "New findings (0)" in out and "Persisting findings (2)" in out


def test_diff_markdown(two_runs, capsys):
    a, b = two_runs
    code, out, _ = run_cli(capsys, "diff", a, b, "--format", "markdown")
    assert code == 1
    assert out.startswith("# crossref diff")
    assert "## New findings (1)" in out and "## Fixed findings (1)" in out and "## Persisting findings (1)" in out
    assert f"| medium | static | `aten.sub.Tensor` | missing_error | `out[0].shape` |  | `{SUB[0]}` |" in out
    assert f"[{SUB[0]}.py](" in out and "| A |" in out and "| B |" in out


def test_diff_reports_version_skew(tmp_path, capsys):
    sin = ("ffff00000006", "aten.sin.default", "value", "low")
    a = make_run(tmp_path, "a", [MM, sin], ops=("aten.add.Tensor", "aten.mm.default", "aten.sin.default"),
                 ops_skipped={"aten.cos.default": "no strategy"})
    b = make_run(tmp_path, "b", [MM], ops=("aten.add.Tensor", "aten.mm.default", "aten.cos.default"),
                 torch_version="2.14.0.dev", devices=["cpu", "cuda"], checks_selected=["forward"])
    code, out, _ = run_cli(capsys, "diff", a, b)
    assert code == 0
    skew = out.split("Version skew:")[1].split("New findings")[0]
    assert "torch version differs: A 2.13.0, B 2.14.0.dev" in skew
    assert "devices differ: A cpu, B cpu, cuda" in skew
    assert "checks differ: A forward, cache, B forward" in skew
    assert "ops checked only in A (1): aten.sin.default" in skew
    assert "ops checked only in B (1): aten.cos.default" in skew
    assert "ops skipped in A but checked in B (1): aten.cos.default (skipped because: no strategy)" in skew
    # B did not check aten.sin.default at all: its finding is not "fixed", only not rechecked
    assert "Fixed findings (0)" in out and "Not rechecked: B did not check their op in their mode on their device, " \
        "or drew other calls (1):" in out
    assert sin[0] in out.split("Not rechecked")[1] and "1 not rechecked" in out
    assert "why: aten.sin.default not checked in static mode (1)" in out


MODE_FINDING = ("dddd00000009", "aten.mm.default", "stride", "medium", "backward")


@pytest.mark.parametrize("later, why", [
    ({"modes_selected": ["static"]}, "aten.mm.default not checked in backward mode"),
    ({"seed": 7}, "B drew with seed 7, A with 0: other calls"),
    ({"max_examples": 10}, "B drew 10 examples per item, A 25"),
])
def test_a_run_that_looked_less_reports_no_fix(tmp_path, capsys, later, why):
    """A mode the later run did not check, another seed, a smaller budget: what the later
    run lacks is "not rechecked", never "fixed"."""
    a = make_run(tmp_path, "a", [ADD, MODE_FINDING], seed=0, max_examples=25)
    # B checked mm in backward mode too (another finding there), unless it ran static only
    findings = [ADD] if "modes_selected" in later else [ADD, ("dddd00000011", "aten.mm.default", "shape", "high",
                                                             "backward")]
    meta = {"seed": 0, "max_examples": 25, **later}
    b = make_run(tmp_path, "b", findings, **meta)
    code, out, _ = run_cli(capsys, "diff", a, b)
    assert "Fixed findings (0)" in out, out
    assert f"why: {why}" in out
    same = make_run(tmp_path, "c", [ADD, MODE_FINDING], seed=0, max_examples=25)
    code, out, _ = run_cli(capsys, "diff", same, make_run(tmp_path, "d", [ADD, ("dddd00000010", "aten.mm.default",
                                                                                 "shape", "high", "backward")],
                                                         seed=0, max_examples=25))
    assert "Fixed findings (1)" in out  # the same draws, the mode checked: the finding is gone, and fixed


# --- merge ------------------------------------------------------------------------------

def test_merge_of_two_shards(tmp_path, capsys):
    a = make_run(tmp_path, "a", [ADD, MM], repeats=2, seed=1, ops_patterns=["aten.add.*"], ops_selected=3,
                 ops_skipped={"aten.x.default": "no strategy"}, wall_seconds=5.0)
    b = make_run(tmp_path, "b", [MM, SUB], repeats=3, seed=2, ops_patterns=["aten.mm.*"], ops_selected=4,
                 devices=["cuda"], wall_seconds=7.0)
    out = tmp_path / "merged"
    code, text, err = run_cli(capsys, "merge", a, b, "--out", out)
    assert code == 0 and err == "" and "merged 2 runs" in text
    res_a, res_b, res = (pd.read_parquet(p / "results.parquet") for p in (a, b, out))
    fnd_a, fnd_b, fnd = (pd.read_parquet(p / "findings.parquet") for p in (a, b, out))
    assert len(res) == len(res_a) + len(res_b)
    assert set(res["worker"]) == {"r0-gw0", "r1-gw0"}  # same worker name in both shards, kept apart
    assert sorted(fnd["signature"]) == sorted({*fnd_a["signature"], *fnd_b["signature"]})  # deduplicated
    counts = dict(zip(fnd["signature"], fnd["count"]))
    assert counts[MM[0]] == 2 + 3 and counts[ADD[0]] == 2 and counts[SUB[0]] == 3  # summed
    assert all((out / r).is_file() for r in fnd["repro"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["checks"] == len(res) and summary["rows"]["complete"] is True
    assert summary["rows"]["expected"] == {"r0-gw0": len(res_a), "r1-gw0": len(res_b)}
    assert summary["devices"] == ["cpu", "cuda"] and summary["seed"] == [1, 2]
    assert summary["ops_patterns"] == ["aten.add.*", "aten.mm.*"] and summary["ops_selected"] == 4
    assert summary["ops_skipped"] == {"aten.x.default": "no strategy"}
    assert summary["wall_seconds"] == 7.0 and summary["wall_seconds_sum"] == 12.0
    assert summary["merged_from"] == [str(a.resolve()), str(b.resolve())]
    assert summary["torch_version"] == "2.13.0" and summary["checks_selected"] == ["forward", "cache"]


def test_merge_refuses_mixed_torch_versions_unless_allowed(tmp_path, capsys):
    a = make_run(tmp_path, "a", [ADD])
    b = make_run(tmp_path, "b", [MM], torch_version="2.12.1")
    code, _, err = run_cli(capsys, "merge", a, b, "--out", tmp_path / "m1")
    assert code == 2 and "a=2.13.0, b=2.12.1" in err and "--allow-mixed" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "m1").exists()
    code, _, _ = run_cli(capsys, "merge", a, b, "--out", tmp_path / "m2", "--allow-mixed")
    summary = json.loads((tmp_path / "m2" / "summary.json").read_text())
    assert code == 0 and summary["torch_versions"] == ["2.13.0", "2.12.1"]


# --- repro ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """A run with one genuine finding: aten.add.Scalar(bool 0-d, other=False, alpha=0.5)
    raises for real (integral input, float alpha) but not in fake mode."""
    from crossref.check.checker import Checker
    from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec

    run = tmp_path_factory.mktemp("real") / "run"
    rec = Recorder(run, "main")
    b = CallBuilder()
    s = b.add_storage(StorageSpec(torch.bool, 1, seed=0))
    call = b.build("aten.add.Scalar", [TensorSpec(s, (), ())], {"other": False, "alpha": 0.5}, family="pointwise")
    Checker(recorder=rec, checks=("forward",)).run(call, item="tests::add_scalar")
    rec.close()
    report.merge(run, meta={"devices": ["cpu"], "wall_seconds": 1.0})
    return run


def test_repro_runs_the_script_by_prefix(real_run, capfd):
    fnd = pd.read_parquet(real_run / "findings.parquet")
    row = fnd[fnd["category"] == "missing_error"].iloc[0]
    code = main(["repro", row["signature"][:6], "--run", str(real_run)])
    out, err = capfd.readouterr()
    assert code == 1, out + err  # 1: the finding reproduces
    assert "aten.add.Scalar" in out and "missing_error" in out and "alpha=0.5" in out
    assert f"repros/{row['signature']}.py" in out


def test_repro_unknown_signature_lists_close_matches(two_runs, capsys):
    _, b = two_runs
    code, _, err = run_cli(capsys, "repro", "bbbb00000003", "--run", b)
    assert code == 2 and len(err.splitlines()) == 1
    assert "'bbbb00000003'" in err and MM[0] in err


def test_repro_ambiguous_prefix(tmp_path, capsys):
    run = make_run(tmp_path, "r", [("abc0000000001", "aten.add.Tensor", "shape", "high"),
                                   ("abc0000000002", "aten.mm.default", "shape", "high")])
    code, _, err = run_cli(capsys, "repro", "abc", "--run", run)
    assert code == 2 and "ambiguous" in err and "abc0000000001" in err and "abc0000000002" in err


# --- bad input: exit code 2, one line naming the value ------------------------------------

def _corrupt(run: Path, file: str, text: str) -> Path:
    (run / file).write_text(text)
    return run


BAD = {
    "missing run dir": (lambda t, a: ["diff", t / "nope", a], "nope"),
    "run is a file": (lambda t, a: ["diff", a, a / "summary.md"], "summary.md"),
    "not a crossref run": (lambda t, a: ["diff", a, t.joinpath("empty").mkdir() or t / "empty"], "empty"),
    "unmerged parts only": (lambda t, a: ["history", "add", (t / "p" / "parts").mkdir(parents=True) or t / "p"], "'crossref merge'"),
    "corrupt findings.parquet": (lambda t, a: ["diff", a, _corrupt(a, "findings.parquet", "not parquet")], "findings.parquet"),
    "corrupt results.parquet": (lambda t, a: ["diff", _corrupt(a, "results.parquet", "PAR1xx"), a], "results.parquet"),
    "corrupt summary.json": (lambda t, a: ["history", "add", _corrupt(a, "summary.json", "{oops")], "summary.json"),
    "summary.json not an object": (lambda t, a: ["diff", _corrupt(a, "summary.json", "[1, 2]"), a], "summary.json"),
    "summary.json without torch_version": (lambda t, a: ["repro", "x", "--run", _corrupt(a, "summary.json", '{"x": 1}')],
                                           "torch_version"),
    "merge out not empty": (lambda t, a: ["merge", a, "--out", a], "--out"),
    "merge same run twice": (lambda t, a: ["merge", a, a, "--out", t / "m"], "twice"),
    "merge without parts": (lambda t, a: ["merge", _rmtree(a / "parts") or a, "--out", t / "m"], "parts/"),
    "merge without --out": (lambda t, a: ["merge", a], "--out"),
    "history dir is a file": (lambda t, a: ["history", "list", "--history", a / "summary.md"], "summary.md"),
    "dashboard out is a dir": (lambda t, a: ["dashboard", "--history", t / "h", "--out", a], "--out"),
    "dashboard history missing": (lambda t, a: ["dashboard", "--history", t / "nohistory", "--out", t / "d.html"],
                                  "nohistory"),
    "repro default run missing": (lambda t, a: ["repro", "abc", "--run", t / "latest"], "latest"),
    "unknown command": (lambda t, a: ["frobnicate"], "frobnicate"),
    "bad diff format": (lambda t, a: ["diff", a, a, "--format", "html"], "'html'"),
}


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path)


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_one_line_and_exit_2(case, tmp_path, capsys):
    build, named = BAD[case]
    run = make_run(tmp_path, "a", [ADD])
    code, out, err = run_cli(capsys, *build(tmp_path, run))
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("crossref") and named in err and "Traceback" not in err


def test_repro_defaults_to_reports_latest(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "repro", "abc")
    assert code == 2 and err.strip() == f"crossref: error: run directory {str(Path('reports') / 'latest')!r} does not exist"
    make_run(tmp_path / "reports", "20250101T000000Z", [ADD])
    (tmp_path / "reports" / "latest").symlink_to("20250101T000000Z")
    code, out, _ = run_cli(capsys, "repro", ADD[0][:4])
    assert code == 1 and "aten.add.Tensor" in out  # the planted script exits 1


def test_python_dash_m_gives_one_line_and_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "crossref", "diff", str(tmp_path / "missing"), str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == f"crossref: error: run directory {str(tmp_path / 'missing')!r} does not exist"


def test_diff_shows_modes_and_their_skew(tmp_path, capsys):
    spec = ("eeee00000005", "aten.cumsum.default", "specialization", "low", "symbolic")
    a = make_run(tmp_path, "a", [MM], modes_selected=["static"])
    b = make_run(tmp_path, "b", [MM, spec], created="2025-01-02T00:00:00Z",
                 modes_selected=["static", "symbolic", "backward", "autocast"])
    code, out, _ = run_cli(capsys, "diff", a, b)
    assert code == 1 and "modes differ: A static, B static, symbolic, backward, autocast" in out
    new = out.split("New findings")[1].split("Fixed findings")[0]
    assert "symbolic" in new and spec[0] in new


# ----------------------------------------------------------------- crossref sweep

def test_sweep_command_runs_the_installed_suite_here(tmp_path):
    from crossref import suites
    from crossref.reporting.cli import sweep_command

    command = sweep_command(["-n", "2", "--crossref-ops=aten.mm.default"], where=tmp_path)
    assert command[:4] == [sys.executable, "-m", "pytest", str(Path(suites.__file__).resolve().parent)]
    assert f"--rootdir={tmp_path}" in command and command[-3:] == ["-n", "2", "--crossref-ops=aten.mm.default"]
    assert not any(c.startswith("--crossref-import") for c in command)  # no conftest.py here
    (tmp_path / "conftest.py").write_text("")
    command = sweep_command([], where=tmp_path)
    assert f"--crossref-import={tmp_path / 'conftest.py'}" in command


def test_sweep_from_another_directory_with_a_conftest_that_registers_ops(tmp_path):
    """The conftest route: ops a conftest.py registers are selectable, reports land here,
    and pytest's own options (-n, -q) pass through."""
    tests = Path(__file__).resolve().parent
    (tmp_path / "conftest.py").write_text(f"import sys\nsys.path.insert(0, {str(tests)!r})\nimport custom_ops  # noqa\n")
    done = subprocess.run([sys.executable, "-m", "crossref", "sweep", "-n", "2", "-q", "--hypothesis-profile=ci",
                           "--crossref-ops=crossref_test.value_rank*,crossref_test.offset_view_1d.default"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "3 failed" not in done.stdout and "2 failed, 1 passed" in done.stdout, done.stdout[-2000:]
    found = pd.read_parquet(tmp_path / "reports" / "latest" / "findings.parquet")
    failing = found[found["category"] != "unsupported"]
    assert set(failing["op"]) == {"crossref_test.value_rank.default", "crossref_test.offset_view_1d.default"}


def test_a_flaky_crash_is_neither_new_nor_fixed(tmp_path, capsys):
    """A crash rechecked in fresh processes that does not always come back: recorded with
    its rate, never new (it fails no item, counts in no new total) and never fixed."""
    crash = ("eeee00000012", "aten.mm.default", "crash", "high")
    a = make_run(tmp_path, "a", [ADD])
    b = make_run(tmp_path, "b", [ADD, crash], rechecks={crash[0]: (2, 5)})
    found = pd.read_parquet(b / "findings.parquet").set_index("signature")
    assert found.loc[crash[0], "flaky"] and found.loc[crash[0], "crash_rate"] == 0.4
    assert json.loads((b / "summary.json").read_text())["findings_new"] == 1  # ADD only
    code, out, _ = run_cli(capsys, "diff", a, b)
    assert code == 0 and "New findings (0)" in out and "Flaky crashes" in out and crash[0] in out.split("Flaky")[1]
    code, out, _ = run_cli(capsys, "diff", b, a)
    assert "Fixed findings (0)" in out and crash[0] in out.split("Flaky")[1]
