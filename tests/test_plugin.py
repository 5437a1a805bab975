"""The pytest plugin end to end, with pytester: whole runs of the repo's suite (its own
conftest.py and suites/, via --rootdir) in a subprocess, with and without ``-n 2``, the
report validated against the declared schema, and usage errors.

A planted bug (tests/plants.py, loaded with ``-p crossref_plant``) makes sure the run has
findings and repro scripts to write.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from crossref.reporting import report
from support import BASE_ARGS, DESIGN_FINDING_COLUMNS, DESIGN_RESULT_COLUMNS, DESIGN_SUMMARY_KEYS, SUITE, TESTS

# (tests/conftest.py warms pandas' parquet support up before pytester snapshots modules)


@pytest.fixture
def crossref_run(pytester, monkeypatch):
    monkeypatch.setenv("CROSSREF_PROFILE", "ci")
    pytester.makepyfile(crossref_plant=f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        import plants
        plants.install("shape")
    """)

    def run(*args, plant=True, suite=SUITE):
        report_dir = pytester.path / "report"
        extra = ("-p", "crossref_plant") if plant else ()
        result = pytester.runpytest_subprocess(suite, *BASE_ARGS, *extra, f"--crossref-report-dir={report_dir}", *args)
        return result, report_dir

    return run


def _read(report_dir):
    res = pd.read_parquet(report_dir / "results.parquet")
    fnd = pd.read_parquet(report_dir / "findings.parquet")
    summary = json.loads((report_dir / "summary.json").read_text())
    return res, fnd, summary


def _check_report(report_dir):
    for name in ("findings.parquet", "results.parquet", "summary.json", "summary.md"):
        assert (report_dir / name).is_file(), name
    res, fnd, summary = _read(report_dir)
    assert list(res.columns) == list(report.RESULT_COLUMNS) and DESIGN_RESULT_COLUMNS <= set(res.columns)
    assert list(fnd.columns) == list(report.FINDING_COLUMNS) and DESIGN_FINDING_COLUMNS <= set(fnd.columns)
    assert DESIGN_SUMMARY_KEYS <= set(summary), DESIGN_SUMMARY_KEYS - set(summary)
    # the row counts add up: every row each worker reported is in results.parquet
    rows = summary["rows"]
    assert rows["complete"] is True
    assert sum(rows["expected"].values()) == len(res) == summary["checks"] > 0
    assert sum(summary["counts_by_status"].values()) == len(res)
    assert set(res["op"]) == {"aten.mm.default"} and set(res["device"]) == {"cpu"}
    assert summary["devices"] == ["cpu"] and summary["ops_selected"] == 1
    return res, fnd, summary


def test_run_writes_the_report_and_fails_on_the_planted_bug(crossref_run):
    result, report_dir = crossref_run("--crossref-ops", "aten.mm.default", "--crossref-examples", "5")
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*FakeMismatch_shape*", "*crossref: * checks on 1 ops*"])
    res, fnd, summary = _check_report(report_dir)
    shape = fnd[fnd["category"] == "shape"]
    assert len(shape) >= 1 and shape["signature"].is_unique
    for _, row in shape.iterrows():
        assert row["op"] == "aten.mm.default" and row["severity"] in ("high", "low") and row["field"] == "out[0].shape"
        assert (report_dir / row["repro"]).is_file() and row["repro"] == f"repros/{row['signature']}.py"
    assert shape["shrunk"].any()
    assert summary["findings_by_category"]["shape"] == len(shape)
    assert summary["max_examples"] == 5


def test_with_and_without_xdist_the_report_is_the_same_shape(crossref_run, pytester):
    one, one_dir = crossref_run("--crossref-ops=aten.mm.default", "--crossref-examples=5")
    res1, fnd1, sum1 = _check_report(one_dir)
    kept = pytester.path / "report-serial"
    one_dir.rename(kept)
    two, two_dir = crossref_run("--crossref-ops=aten.mm.default", "--crossref-examples=5", "-n", "2")
    assert two.ret == one.ret == 1, two.stdout.str()
    res2, fnd2, sum2 = _check_report(two_dir)
    assert list(res1.columns) == list(res2.columns) and list(fnd1.columns) == list(fnd2.columns)
    assert set(res2["worker"]) <= {"gw0", "gw1"} and set(res1["worker"]) == {"main"}
    assert set(sum2["rows"]["expected"]) <= {"gw0", "gw1"}
    assert "shape" in set(fnd1["category"]), fnd1[["category", "field", "example"]].to_string()
    assert "shape" in set(fnd2["category"]), fnd2[["category", "field", "example"]].to_string()
    assert set(sum1) == set(sum2)


def test_a_clean_run_passes(crossref_run):
    result, report_dir = crossref_run("--crossref-ops=aten.clone.default", "--crossref-examples=3", plant=False)
    assert result.ret == 0, result.stdout.str()
    res, fnd, summary = _read(report_dir)
    assert set(res["op"]) == {"aten.clone.default"} and summary["findings_new"] == 0


@pytest.mark.parametrize("args, message", [
    (("--crossref-ops=aten.nosuchop.*",), r"--crossref-ops pattern 'aten.nosuchop.\*' matches no ATen overload"),
    (("--crossref-ops=mm.default",), r"--crossref-ops pattern 'mm.default': no overloads in namespace 'mm' are "
                                      r"registered \(did you mean aten.mm.default\?\)"),
    (("--crossref-devices=cuda",), r"--crossref-devices: 'cuda' requested but not available"),
    (("--crossref-devices=tpu",), r"--crossref-devices: unknown device 'tpu'"),
    (("--crossref-examples=0",), r"--crossref-examples=0 must be at least 1"),
    (("--crossref-examples=abc",), r"--crossref-examples='abc' is not a whole number"),
], ids=["unknown-op", "not-aten", "cuda-absent", "unknown-device", "examples-0", "examples-abc"])
def test_usage_errors_stop_with_one_clear_line(crossref_run, args, message):
    import re

    import torch

    if "cuda" in args[0] and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result, report_dir = crossref_run(*args, plant=False)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    lines = [line for line in err.splitlines() if re.search(message, line)]
    assert len(lines) == 1 and lines[0].startswith("ERROR: "), err
    assert "Traceback" not in err and "INTERNALERROR" not in err, err
    assert not report_dir.exists()  # a run that never started leaves no report


def test_runs_without_xdist_loaded(crossref_run):
    result, report_dir = crossref_run("--crossref-ops=aten.clone.default", "--crossref-examples=2", "-p", "no:xdist",
                                      plant=False)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("ci", ["", "1"], ids=["local", "CI-set"])
def test_the_plugin_leaves_a_projects_own_hypothesis_settings_alone(pytester, monkeypatch, ci):
    """crossref installed in a project loads no profile and takes no profile name that
    is already registered (Hypothesis's own "ci", loaded when CI is set): the project's
    Hypothesis tests run with the settings they have without crossref; and a run that
    does not involve crossref does not even import torch."""
    if ci:
        monkeypatch.setenv("CI", ci)
    else:
        monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_mine="""
        from hypothesis import settings

        def test_defaults():
            import sys
            print("SETTINGS", settings.default.max_examples, settings.default.deadline,
                  settings.default.suppress_health_check, "torch" in sys.modules)
    """)
    seen = []
    for plugin in ("crossref", "no:crossref"):
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", plugin, "-s")
        assert result.ret == 0, result.stdout.str() + result.stderr.str()
        seen.append([line.split("SETTINGS", 1)[1] for line in result.stdout.lines if "SETTINGS" in line])
    assert seen[0] == seen[1] and seen[0] and seen[0][0].endswith("False"), seen


def test_reports_default_to_the_directory_pytest_runs_in(pytester, monkeypatch):
    monkeypatch.setenv("CROSSREF_PROFILE", "ci")
    result = pytester.runpytest_subprocess(SUITE, *BASE_ARGS, "--crossref-ops=aten.clone.default",
                                           "--crossref-examples=2")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    latest = pytester.path / "reports" / "latest"
    assert latest.is_symlink() and (latest / "summary.json").is_file()
    assert json.loads((latest / "summary.json").read_text())["ops_checked"] == 1


def test_the_parts_are_registered_by_role(pytester):
    """The controller part exists only in the process that owns the run; every process
    that runs items has a worker part (xdist workers have no controller)."""
    pytester.makeconftest("""
        import os

        def pytest_sessionfinish(session):
            pm = session.config.pluginmanager
            role = "worker" if hasattr(session.config, "workerinput") else "main"
            with open(os.path.join(str(session.config.rootpath), f"parts-{role}-{os.getpid()}"), "w") as f:
                f.write(f"{pm.get_plugin('crossref-controller') is not None} {pm.get_plugin('crossref-worker') is not None}")
    """)
    pytester.makepyfile(test_a="def test_a(): pass", test_b="def test_b(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--crossref-examples=1")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    seen = {p.name.split("-")[1]: p.read_text() for p in pytester.path.glob("parts-*")}
    assert seen["main"] == "True True" and seen["worker"] == "False True", seen
    for p in pytester.path.glob("parts-*"):
        p.unlink()
    # a run without crossref options or suites is none of crossref's business: no parts
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    seen = {p.name.split("-")[1]: p.read_text() for p in pytester.path.glob("parts-*")}
    assert seen["main"] == "False False" and seen["worker"] == "False False", seen
