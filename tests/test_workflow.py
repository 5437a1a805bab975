"""The regression workflow end to end, with pytester runs of the repo's suite: baselines
(load errors, known/new/fixed, --crossref-strict, --crossref-update-baseline),
deterministic shards, and crash/hang isolation with test-only kernels that segfault,
abort or sleep, with and without ``-n 2``, or kill the xdist worker itself.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from crossref.session import baseline
from crossref.errors import UsageError
from crossref.session.options import parse_shard, shard_items

from support import BASE_ARGS, SUITE

# A plugin module that replaces one aten op's CPU kernel in the test process. The
# crash-isolation child is forked from it, so the child runs the replaced kernel.
_KERNEL_PLUGIN = '''
import ctypes, os, time
import torch

_lib = torch.library.Library("aten", "IMPL")

def _bad(*args, **kwargs):
    how = {how!r}
    if how == "kill_worker":  # from the isolation child: SIGKILL its parent, the xdist worker
        os.kill(os.getppid(), 9)
        os._exit(1)
    if how == "segfault":
        ctypes.string_at(0)
    if how == "abort":
        os.abort()
    if how == "flaky":  # every other call crashes, across the fresh processes that run them
        counter = os.path.join(os.getcwd(), "crash_counter")
        n = int(open(counter).read()) if os.path.exists(counter) else 0
        with open(counter, "w") as fh:
            fh.write(str(n + 1))
        if n % 2 == 0:
            ctypes.string_at(0)
        x = args[0]
        return torch.empty_like(x, memory_format=kwargs.get("memory_format") or torch.preserve_format).copy_(x)
    time.sleep(3600)

_lib.impl("{op}", _bad, "CPU")
'''


@pytest.fixture
def run(pytester, monkeypatch):
    monkeypatch.setenv("CROSSREF_PROFILE", "ci")

    def go(*args, kernel: tuple[str, str] | None = None, suite: str = SUITE):
        extra = ()
        if kernel is not None:
            op, how = kernel
            pytester.makepyfile(crossref_kernel=_KERNEL_PLUGIN.format(op=op, how=how))
            extra = ("-p", "crossref_kernel")
        report_dir = pytester.path / f"report{len(list(pytester.path.glob('report*')))}"
        result = pytester.runpytest_subprocess(suite, *BASE_ARGS, *extra, f"--crossref-report-dir={report_dir}",
                                               *args, timeout=600)
        return result, report_dir

    return go


# --------------------------------------------------------------------- baseline files


@pytest.mark.parametrize("text, message", [
    ("{not json", r"not valid JSON \(line 1"),
    ('{"findings": []}', r"not a crossref baseline"),
    ('{"crossref_baseline": 1, "findings": {}}', r"not a crossref baseline"),
    ('{"crossref_baseline": 1, "findings": [{"op": "aten.mm.default"}]}', r"entry 0 has no signature"),
], ids=["corrupt", "no-marker", "findings-not-a-list", "entry-without-signature"])
def test_bad_baseline_files_are_usage_errors(tmp_path, text, message):
    path = tmp_path / "base.json"
    path.write_text(text)
    with pytest.raises(UsageError, match=re.escape(str(path)) + ".*" + message):
        baseline.load(path)


def test_missing_baseline_file_names_the_path(tmp_path):
    with pytest.raises(UsageError, match=r"no such file"):
        baseline.load(tmp_path / "nope.json")


def test_baseline_round_trip_keeps_reasons(tmp_path):
    path = tmp_path / "base.json"
    rows = [{"signature": "a1", "op": "aten.mm.default", "category": "missing_error"},
            {"signature": "b2", "op": "aten.add.Tensor", "category": "stride"}]
    assert baseline.save(path, rows) == 2
    data = json.loads(path.read_text())
    data["findings"][0]["reason"] = "triaged: pytorch issue 1"
    path.write_text(json.dumps(data))
    old = baseline.load(path)
    baseline.save(path, rows, old)
    again = baseline.load(path)
    assert {e.signature for e in again.values()} == {"a1", "b2"}
    assert "triaged: pytorch issue 1" in {e.reason for e in again.values()}


def test_corrupt_baseline_stops_the_run_in_one_line(run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    result, report_dir = run("--crossref-ops=aten.clone.default", f"--crossref-baseline={bad}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert [line for line in err.splitlines() if line.startswith("ERROR: --crossref-baseline")], err
    assert "Traceback" not in err and not report_dir.exists()


def test_space_form_of_a_path_option_is_refused_with_advice(run, tmp_path):
    path = tmp_path / "base.json"
    baseline.save(path, [])
    result, _ = run("--crossref-ops=aten.clone.default", "--crossref-baseline", str(path))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"write --crossref-baseline={path} (with '=')" in result.stderr.str()


def test_known_findings_pass_new_ones_fail_and_fixed_ones_are_reported(run, tmp_path):
    """A kernel that always segfaults gives a stable crash finding: baseline it, then
    check known (passes), strict with a stale entry (fails), and update."""
    path = tmp_path / "base.json"
    args = ("--crossref-ops=aten.neg.default", "--crossref-examples=3", "--crossref-checks=forward")
    result, first = run(*args, kernel=("neg", "segfault"))
    assert result.ret == 1, result.stdout.str()
    found = pd.read_parquet(first / "findings.parquet")
    assert set(found["category"]) == {"crash"}

    result, _ = run(*args, f"--crossref-baseline={path}", "--crossref-update-baseline", kernel=("neg", "segfault"))
    entries = baseline.load(path)
    assert set(found["signature"]) <= set(entries)

    # known: the same crash passes now, and is marked as baseline in the report
    result, known_run = run(*args, f"--crossref-baseline={path}", kernel=("neg", "segfault"))
    assert result.ret == 0, result.stdout.str()
    summary = json.loads((known_run / "summary.json").read_text())
    assert summary["findings_new"] == 0 and summary["baseline"]["known_seen"] >= 1
    assert pd.read_parquet(known_run / "findings.parquet")["baseline"].any()

    # fixed: without the bad kernel the crash is gone; reported, and fatal under --crossref-strict
    result, fixed_run = run(*args, f"--crossref-baseline={path}")
    assert result.ret == 0
    summary = json.loads((fixed_run / "summary.json").read_text())
    assert set(summary["baseline"]["fixed"]) >= set(found["signature"])
    result.stdout.fnmatch_lines(["*crossref baseline*fixed*"])
    result, _ = run(*args, f"--crossref-baseline={path}", "--crossref-strict")
    assert result.ret == 1


# --------------------------------------------------------------------- shards


def test_shards_are_disjoint_cover_everything_and_balance():
    names = [f"item{i}" for i in range(101)]
    shares = [shard_items(names, (k, 4)) for k in range(1, 5)]
    assert set().union(*shares) == set(names)
    assert sum(len(s) for s in shares) == len(names)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/0", "-1/3"])
def test_bad_shard_specs_name_the_value(text):
    with pytest.raises(UsageError, match=re.escape(f"--crossref-shard={text!r}")):
        parse_shard(text)


def test_shard_runs_select_disjoint_items(run):
    ops = "--crossref-ops=aten.add.Tensor,aten.sub.Tensor,aten.mul.Tensor,aten.div.Tensor,aten.neg.default"
    seen = []
    for k in (1, 2):
        result, _ = run(ops, f"--crossref-shard={k}/2", "--collect-only", "-q")
        seen.append({line for line in result.stdout.lines if "test_op[" in line})
    assert seen[0] and seen[1] and not seen[0] & seen[1]
    assert len(seen[0] | seen[1]) == 5


# --------------------------------------------------------------------- crashes and hangs


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["in-one-process", "n2"])
@pytest.mark.parametrize("how", ["segfault", "abort"])
def test_a_crashing_kernel_is_a_crash_finding_and_the_run_goes_on(run, xdist, how):
    result, report_dir = run("--crossref-ops=aten.neg.default,aten.abs.default,aten.clone.default",
                             "--crossref-examples=4", "--crossref-checks=forward", *xdist, kernel=("neg", how))
    assert result.ret == 1, result.stdout.str()
    res = pd.read_parquet(report_dir / "results.parquet")
    fnd = pd.read_parquet(report_dir / "findings.parquet")
    crash = fnd[fnd["category"] == "crash"]
    assert set(crash["op"]) == {"aten.neg.default"}
    signal = {"segfault": "SIGSEGV", "abort": "SIGABRT"}[how]
    assert crash["real"].str.contains(signal).all(), crash[["real", "fake"]].to_string()
    # every other op's results are there
    assert {"aten.abs.default", "aten.clone.default"} <= set(res["op"])
    assert (res.loc[res["op"] == "aten.abs.default", "status"] != "crash").all()
    # the crash repro runs the call in a child and exits 1 while it still crashes
    repro = report_dir / crash.iloc[0]["repro"]
    assert repro.is_file()


def test_a_crash_that_comes_and_goes_is_rechecked_and_marked_flaky(run):
    """Heap corruption crashes some runs of a call and not others: each crash is run
    again in fresh processes, recorded with how often it came back, and when that is
    not always it is flaky: in the report, failing no item, counted as no new finding."""
    result, report_dir = run("--crossref-ops=aten.clone.default", "--crossref-examples=3",
                             "--crossref-checks=forward", "--crossref-modes=static", kernel=("clone", "flaky"))
    fnd = pd.read_parquet(report_dir / "findings.parquet")
    crash = fnd[fnd["category"] == "crash"]
    assert len(crash) and crash["flaky"].all(), fnd[["category", "flaky", "crash_rate"]]
    assert ((crash["crash_rate"] > 0) & (crash["crash_rate"] < 1)).all()
    res = pd.read_parquet(report_dir / "results.parquet")
    assert (res["phase"] == "recheck").sum() >= 4
    summary = json.loads((report_dir / "summary.json").read_text())
    assert summary["findings_new"] == int((~fnd["category"].isin(["crash", "unsupported"])).sum())
    assert "FakeMismatch_crash" not in result.stdout.str()


def test_a_killed_worker_loses_only_its_item(run):
    """An xdist worker killed from outside mid-run (here by the kernel it isolates):
    xdist fails the item it was running and starts a new worker; every other op's
    results are in the report, and the summary names the dead worker and its item."""
    result, report_dir = run("--crossref-ops=aten.neg.default,aten.abs.default,aten.clone.default,aten.sin.default",
                             "--crossref-examples=3", "--crossref-checks=forward", "-n", "2",
                             kernel=("neg", "kill_worker"))
    out = result.stdout.str()
    assert result.ret == 1 and "crashed while running" in out, out
    summary = json.loads((report_dir / "summary.json").read_text())
    [lost] = summary["workers_lost"]
    assert lost["worker"].startswith("gw") and lost["item"].endswith("[aten.neg.default]"), lost
    assert summary["rows"]["complete"] is False
    res = pd.read_parquet(report_dir / "results.parquet")
    assert {"aten.abs.default", "aten.clone.default", "aten.sin.default"} <= set(res["op"])
    assert f"worker {lost['worker']} died while running" in (report_dir / "summary.md").read_text()


def test_a_hanging_kernel_times_out_as_a_crash(run):
    result, report_dir = run("--crossref-ops=aten.neg.default,aten.clone.default", "--crossref-examples=2",
                             "--crossref-checks=forward", "--crossref-timeout=2", "--crossref-shrink-seconds=0",
                             kernel=("neg", "sleep"))
    assert result.ret == 1, result.stdout.str()
    fnd = pd.read_parquet(report_dir / "findings.parquet")
    crash = fnd[fnd["category"] == "crash"]
    assert len(crash) and crash["real"].str.contains("hung: no answer within 2 s").all()
    assert "aten.clone.default" in set(pd.read_parquet(report_dir / "results.parquet")["op"])


# --------------------------------------------------------------------- progress


def test_progress_line_counts_items_and_failures():
    """The controller's progress line (printed at most once a minute on a terminal)."""
    from crossref.session.worker import Progress

    lines = []

    class Reporter:
        _numcollected = 7

        def write_line(self, text):
            lines.append(text)

    class Config:
        class pluginmanager:  # noqa: N801 - mimics pytest's attribute
            @staticmethod
            def get_plugin(name):
                return Reporter()

    class Report:
        def __init__(self, failed):
            self.failed = failed

    progress = Progress(Config(), every=0.0)
    for failed in (False, True, False):
        progress.update(Report(failed))
    assert lines[-1] == "crossref progress: 3/7 items done, 1 with new findings"
    quiet = Progress(Config(), every=3600.0)
    quiet.update(Report(True))
    assert len(lines) == 3  # nothing more within the minute
