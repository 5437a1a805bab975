"""What each finding breaks in a compiled program: the consequence probe (crossref/impact/consequence.py),
its scheduling (crossref/impact/probes.py), and where it shows (the report, the CLI, diff).

The planted consequences (tests/compile_plants.py) are each found at the ci budget with
their consequence, and the same call without the plant (or on the op's correct twin)
compiles to what eager computes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest
import torch

import compile_plants
import crossref
from compile_plants import CONSEQUENCES
from crossref.impact import consequence as impact
from crossref.impact import probes
from crossref.check.compare import ErrorInfo, Outcome, describe, values_differ
from crossref.errors import UsageError
from crossref.check.opcall import DEVICE, OpCall, StorageSpec, TensorSpec, call_from_json, call_to_json
from crossref.reporting import cli
from crossref.reporting import report
from crossref.taxonomy import IMPACTS, Impact, impact_rank, worst_impact
from support import BASE_ARGS, SUITE, TESTS, require_plants_in_forked_children

CI_EXAMPLES = 25


def _storage(n: int, seed: int = 1, dtype=torch.float32) -> StorageSpec:
    return StorageSpec(dtype, n, seed=seed)


#: abs of a 4x3 input laid out transposed: abs_permuted's trigger.
ABS_PERMUTED = OpCall("aten.abs.default", (TensorSpec(0, (4, 3), (1, 4), layout=("permuted",)),), (), (_storage(12),))


# ----------------------------------------------------------------- planted consequences


@pytest.mark.parametrize("name", list(CONSEQUENCES))
def test_a_planted_consequence_is_found_at_the_ci_budget_with_a_clean_control(name):
    require_plants_in_forked_children()
    plant = CONSEQUENCES[name]
    with compile_plants.planted(name):
        findings = crossref.check_op(plant.op, examples=CI_EXAMPLES, modes="static")
        hits = [f for f in findings if f.category == plant.category]
        assert hits, f"no {plant.category} finding on {plant.op}: {[str(f) for f in findings]}"
        got = crossref.impact_of(hits[0])
    assert got.impact == plant.impact, got
    assert got.detail.startswith(got.backend + ":")
    # The control: the same shrunk call with nothing planted (on the correct twin for an
    # op whose fake kernel is wrong from birth) compiles to what eager computes.
    call = dataclasses.replace(hits[0].call, op=plant.control) if plant.control else hits[0].call
    clean = impact.probe(call, mode=hits[0].mode, category=hits[0].category, field=hits[0].field)
    assert clean.impact == Impact.NONE.value, clean
    assert {r.backend for r in clean.results} == set(impact.BACKENDS)


def test_the_compiled_answer_that_is_fake_modes_is_said_so():
    with compile_plants.planted("wrong_metadata"):
        got = impact.probe(ABS_PERMUTED, field="out[0].stride", fake="(3, 1)")
    inductor = next(r for r in got.results if r.backend == "inductor")
    assert inductor.impact == "wrong_metadata" and inductor.field == "out[0].stride"
    assert inductor.detail == "inductor: out[0].stride is (3, 1) where eager gives (1, 4) (fake mode's answer)"


# ----------------------------------------------------------------- the judgement


def _outcome(value=None, error: str = "", side: str = "real"):
    """An Outcome (and the kept tensors) of a run that returned ``value`` or raised ``error``."""
    if error:
        kind, _, text = error.partition(": ")
        return Outcome(side, "cpu", "", (), (), ErrorInfo(kind, text, "call", False), 0.0), []
    return describe(side, "cpu", value, [], 0.0), [[value], []]


X = torch.arange(12, dtype=torch.float32).reshape(3, 4)
CASES = {
    "both raise": (None, "RuntimeError: bad", None, "RuntimeError: bad too", True, "none", ""),
    "eager raises only": (None, "RuntimeError: bad", X, "", True, "accepts_invalid", "error"),
    "compiling fails": (X, "", None, "RuntimeError: meta says no", False, "compile_error", "error"),
    "building guards fails": (X, "", None, "IndexError: list index out of range", False, "compile_error", "error"),
    "dynamo's wrapper": (X, "", None, "TorchRuntimeError: fake tensor call", True, "compile_error", "error"),
    "inductor's assertion": (X, "", None, "AssertionError: expected size 3==3, stride 4==1", True, "runtime_assert",
                             "error"),
    "a run-time error": (X, "", None, "RuntimeError: index out of range", True, "crash", "error"),
    "other strides": (X, "", X.t().contiguous().t(), "", True, "wrong_metadata", "out[0].stride"),
    "other values": (X, "", X + 1, "", True, "wrong_values", "out[0].values"),
    "other dtype, same values": (X, "", X.double(), "", True, "wrong_metadata", "out[0].dtype"),
    "agree": (X, "", X.clone(), "", True, "none", ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_judge(case):
    eager_value, eager_error, compiled_value, compiled_error, in_program, impact_, field = CASES[case]
    eager, kept = _outcome(eager_value, eager_error)
    compiled, got = _outcome(compiled_value, compiled_error, "fake")
    steady = [[True] * len(group) for group in kept]
    verdict, detail, where = impact.judge(eager, kept, steady, compiled, got, in_program=in_program)
    assert (verdict, where) == (impact_, field), detail


def test_values_that_two_eager_runs_disagree_on_are_not_compared():
    eager, kept = _outcome(X)
    compiled, got = _outcome(X + 1, side="fake")
    assert impact.judge(eager, kept, [[False], []], compiled, got, in_program=True)[0] == "none"


VALUES = {
    "nan equals nan": (torch.tensor([1.0, float("nan")]), torch.tensor([1.0, float("nan")]), False),
    "infinities must match": (torch.tensor([float("inf")]), torch.tensor([float("-inf")]), True),
    "float32 rounding": (torch.tensor([1.0, 1e4]), torch.tensor([1.0 + 1e-6, 1e4 + 1e-3]), False),
    "a reordered sum of large values": (torch.tensor([1e4, 0.0]), torch.tensor([1e4, 1e-3]), False),
    "float32 wrong": (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.01]), True),
    "bfloat16 one step": (torch.tensor([1.0], dtype=torch.bfloat16), torch.tensor([1.0078125], dtype=torch.bfloat16),
                          False),
    "integers exact": (torch.tensor([3]), torch.tensor([4]), True),
    "bools exact": (torch.tensor([True]), torch.tensor([True]), False),
    "complex": (torch.tensor([1 + 2j]), torch.tensor([1 - 2j]), True),
    "other dtype, same values": (torch.tensor([1.5]), torch.tensor([1.5], dtype=torch.float64), False),
    "empty": (torch.ones(0), torch.ones(0), False),
}


@pytest.mark.parametrize("case", list(VALUES))
def test_values_differ(case):
    a, b, differ = VALUES[case]
    assert (values_differ(a, b) is not None) == differ, values_differ(a, b)


def test_the_consequences_are_ordered_worst_first_in_one_place():
    assert IMPACTS == ("wrong_values", "crash", "wrong_metadata", "runtime_assert", "accepts_invalid", "compile_error",
                       "none", "not_probed")
    assert worst_impact(["none", "compile_error", "wrong_metadata"]) == "wrong_metadata"
    assert worst_impact([]) == "" and impact_rank("") > impact_rank("not_probed")


def test_a_random_op_and_a_declared_limitation_are_not_probed():
    call = OpCall("aten.rand_like.default", (TensorSpec(0, (3,), (1,)),), (), (_storage(3),))
    assert impact.probe(call).impact == "not_probed" and "random" in impact.probe(call).detail
    assert impact.probe(ABS_PERMUTED, category="unsupported").impact == "not_probed"
    assert "kernel itself crashes" in impact.probe(ABS_PERMUTED, category="crash", field="real:process").detail


def test_every_mode_probes_the_way_the_compiler_runs_it():
    """Symbolic compiles with dynamic shapes, backward runs the compiled backward,
    autocast compiles under autocast; with nothing planted, each agrees with eager."""
    add = OpCall("aten.add.Tensor", (TensorSpec(0, (3, 4), (4, 1)), TensorSpec(1, (4,), (1,))), (),
                 (_storage(12), _storage(4, 2)))
    for mode, autocast in (("symbolic", ""), ("backward", ""), ("autocast", "bfloat16")):
        got = impact.probe(add, mode=mode, autocast=autocast, backends=("aot_eager", "inductor"))
        assert got.impact == "none", (mode, got)


def test_a_cache_finding_is_compiled_twice_and_a_specialization_marks_its_dims_dynamic():
    got = impact.probe(ABS_PERMUTED, category="cache", backends=("aot_eager",))
    assert got.impact == "none"
    # mark_dynamic: a dim a call specializes fails the compile (as it does for a user who marks it)
    view = OpCall("aten.view.default", (TensorSpec(0, (2, 6), (6, 1)), [3, 4]), (), (_storage(12),))
    got = impact.probe(view, mode="symbolic", category="specialization", backends=("aot_eager",))
    assert got.impact in ("compile_error", "none"), got


# ----------------------------------------------------------------- calls as JSON


def test_a_call_survives_json_exactly():
    specs = (TensorSpec(0, (2, 3), (1, 2), 1, view=True, conj=False, neg=False, layout=("permuted", "offset")),
             TensorSpec(1, (4, 1, 2, 2), (4, 1, 2, 1), layout=("channels_last",)))
    call = OpCall("aten.add.Tensor", (specs[0], [specs[1], None, 2.5, float("nan"), float("-inf")], (1, True, "x")),
                  (("alpha", complex(1, -2)), ("dtype", torch.bfloat16), ("layout", torch.strided),
                   ("memory_format", torch.channels_last), ("device", DEVICE),
                   ("other", torch.device("meta"))),
                  (StorageSpec(torch.complex64, 9, "specials", 3, requires_grad=True),
                   StorageSpec(torch.int64, 16, "range", 4, low=-2, high=5)),
                  family="pointwise", refined=False, variant="permuted", dynamic=(1, 3), grad_layout="transposed")
    back = call_from_json(call_to_json(call))
    assert repr(back) == repr(call) and back.storages == call.storages and back.dynamic == call.dynamic
    assert back.args[1][3] != back.args[1][3] and back.kwargs == call.kwargs and isinstance(back.args[2], tuple)


def test_calls_json_cannot_carry_and_json_that_is_not_a_call_are_clear_errors():
    with pytest.raises(TypeError, match="object"):
        call_to_json(OpCall("aten.abs.default", (object(),), (), ()))
    for text in ("{}", "[1]", '{"format": 99}', "not json"):
        with pytest.raises(ValueError):
            call_from_json(text)


# ----------------------------------------------------------------- running many probes


def _row(sig, *, cluster="c1", new=True, severity="medium", call=True, category="stride"):
    return {"signature": sig, "call": call_to_json(ABS_PERMUTED) if call else "", "mode": "static", "device": "cpu",
            "traits": "permuted", "category": category, "field": "out[0].stride", "fake": "(3, 1)",
            "known": "" if new else "known", "baseline": False, "severity": severity, "op": "aten.abs.default",
            "cluster": cluster}


def test_the_plan_probes_cluster_representatives_first_then_new_findings():
    rows = [_row("old", new=False, severity="high"), _row("low", severity="low"), _row("high", severity="high"),
            _row("rep2", cluster="c2"), _row("rep1"), _row("seq", call=False)]
    clusters = [{"representative": {"signature": "rep1"}}, {"representative": {"signature": "rep2"}}]
    requests, skipped = probes.plan(rows, clusters)
    assert [r.signature for r in requests] == ["rep1", "rep2", "high", "low", "old"]
    assert skipped["seq"].impact == "not_probed" and "no call" in skipped["seq"].detail


def test_results_are_remembered_by_signature_torch_version_and_backends(tmp_path):
    path = tmp_path / "cache.jsonl"
    requests, _ = probes.plan([_row("a")], [])
    cache = probes.ImpactCache(path, torch.__version__, ("aot_eager",))
    stats = probes.Stats(backends=("aot_eager",))
    first = probes.run(requests, backends=("aot_eager",), cache=cache, isolate=False, stats=stats)
    assert first["a"].impact == "none" and stats.probed == 1
    again = probes.Stats()
    second = probes.run(requests, backends=("aot_eager",), isolate=False, stats=again,
                        cache=probes.ImpactCache(path, torch.__version__, ("aot_eager",)))
    assert second["a"] == first["a"] and (again.cached, again.probed) == (1, 0)
    other = probes.ImpactCache(path, "9.9.9", ("aot_eager",))
    assert other.get("a") is None and probes.ImpactCache(path, torch.__version__, ("inductor",)).get("a") is None
    path.write_text(path.read_text() + '{"torn')  # a torn last line is skipped
    assert probes.ImpactCache(path, torch.__version__, ("aot_eager",)).get("a") == first["a"]


def test_what_the_budget_does_not_reach_is_not_probed_and_said_so():
    requests, _ = probes.plan([_row("a"), _row("b")], [])
    stats = probes.Stats()
    got = probes.run(requests, backends=("aot_eager",), seconds=1e-9, isolate=False, stats=stats)
    assert {c.impact for c in got.values()} == {"not_probed"} and stats.over_budget == 2
    assert "budget" in got["a"].detail


def _dies_in(phase: str):
    """impact.probe, replaced: the probing process dies (SIGSEGV) or hangs in ``phase``."""
    def probe(call, **kw):
        kw["progress"]("eager")
        if phase != "eager":
            kw["progress"]("inductor")
        if phase == "hang":
            import time

            time.sleep(60)
        os.kill(os.getpid(), signal.SIGSEGV)

    return probe


@pytest.mark.parametrize("phase, impact_, words", [("inductor", "crash", "killed by SIGSEGV"),
                                                   ("eager", "not_probed", "eager call kills"),
                                                   ("hang", "not_probed", "timed out")])
def test_a_probe_that_kills_or_hangs_its_process_is_recorded_and_the_run_goes_on(monkeypatch, phase, impact_, words):
    require_plants_in_forked_children()
    monkeypatch.setattr(impact, "probe", _dies_in(phase))  # the forked children inherit it
    requests, _ = probes.plan([_row("a"), _row("b")], [])
    got = probes.run(requests, backends=("aot_eager", "inductor"), workers=2, timeout=5 if phase == "hang" else 60)
    assert set(got) == {"a", "b"}
    for c in got.values():
        assert c.impact == impact_ and words in c.detail, c
    if impact_ == "crash":
        assert got["a"].backend == "inductor"


# ----------------------------------------------------------------- a sweep with --crossref-impact


@pytest.fixture(scope="module")
def probed_run(tmp_path_factory):
    """A sweep of the planted custom op with --crossref-impact (its consequence:
    runtime_assert), then `crossref impact` on the same run."""
    where = tmp_path_factory.mktemp("impact")
    run_dir = where / "run"
    done = subprocess.run([sys.executable, "-m", "pytest", SUITE, *BASE_ARGS, "-q", "--hypothesis-profile=ci",
                           f"--crossref-import={TESTS / 'custom_ops.py'}", "--crossref-modes=static",
                           "--crossref-ops=crossref_test.stride_follows_input.default,"
                           "crossref_test.stride_follows_input_ok.default",
                           f"--crossref-report-dir={run_dir}", "--crossref-impact-backends=aot_eager,inductor"],
                          capture_output=True, text=True, timeout=600, cwd=where)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    return run_dir, done.stdout


def test_the_sweep_probes_its_findings_and_ranks_them(probed_run):
    run_dir, out = probed_run
    findings = pd.read_parquet(run_dir / "findings.parquet")
    assert set(report.FINDING_COLUMNS) <= set(findings.columns)
    stride = findings[findings["category"] == "stride"].iloc[0]
    assert stride["impact"] == "runtime_assert" and stride["impact_backend"] == "inductor"
    assert stride["impact_backends"] == "aot_eager=none,inductor=runtime_assert"
    assert "assertion" in stride["impact_detail"] and stride["impact_snippet"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["findings_by_impact"]["runtime_assert"] >= 1
    assert summary["impact"]["probed"] >= 1 and summary["impact"]["backends"] == ["aot_eager", "inductor"]
    assert summary["clusters"][0]["impact"] == "runtime_assert"
    md = (run_dir / "summary.md").read_text()
    assert "## What the findings break in compiled programs" in md and "**runtime_assert** (inductor)" in md
    assert "crossref impact:" in out
    assert (run_dir.parent / probes.CACHE_NAME).is_file()  # beside the run directories


def test_crossref_impact_on_the_run_reuses_the_cache(probed_run, capsys):
    run_dir, _ = probed_run
    code = cli.main(["impact", str(run_dir), "--backends", "aot_eager,inductor"])
    out = capsys.readouterr().out
    summary = json.loads((run_dir / "summary.json").read_text())
    assert code == 0 and summary["impact"]["probed"] == 0 and summary["impact"]["from_cache"] >= 1, out
    assert "runtime_assert" in out


def test_the_bug_report_leads_with_the_consequence_and_its_snippet_shows_it(probed_run, capsys, tmp_path):
    run_dir, _ = probed_run
    findings = pd.read_parquet(run_dir / "findings.parquet")
    sig = findings[findings["impact"] == "runtime_assert"].iloc[0]["signature"]
    assert cli.main(["report", sig, "--run", str(run_dir)]) == 0
    text = capsys.readouterr().out
    assert text.index("**In a compiled program:**") < text.index("Under `FakeTensorMode`")
    code = text.split("**Eager against compiled** (plain torch):\n\n```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "snippet.py"
    script.write_text(code)
    env = dict(os.environ, TORCHINDUCTOR_FX_GRAPH_CACHE="0", TORCHINDUCTOR_AUTOGRAD_CACHE="0")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "eager returned normally" in done.stdout and "compiled raised AssertionError" in done.stdout, done.stdout


@pytest.mark.parametrize("args, message", [
    (["--backends", "no_such_backend"], "unknown torch.compile backend 'no_such_backend'"),
    (["--seconds", "0"], "--seconds='0' must be more than 0"),
    (["--workers", "two"], "--workers='two' is not a whole number"),
    (["--workers", "0"], "--workers=0 must be at least 1"),
])
def test_bad_impact_input_is_one_line(probed_run, capsys, args, message):
    run_dir, _ = probed_run
    assert cli.main(["impact", str(run_dir), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_impact_of_a_directory_that_is_not_a_run_is_one_line(tmp_path, capsys):
    assert cli.main(["impact", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_a_bad_impact_option_is_a_usage_error():
    from crossref.session.options import parse_options

    with pytest.raises(UsageError, match="--crossref-impact-seconds='soon' is not a number"):
        parse_options(None, None, None, None, impact_seconds="soon")
    assert parse_options(None, None, None, None, impact_seconds="5").impact


def test_diff_says_when_a_finding_started_to_break_compiled_programs(probed_run, tmp_path):
    from crossref.reporting.diff import diff_runs, render_text
    from crossref.reporting.runs import load_run

    run_dir, _ = probed_run
    before = tmp_path / "before"
    before.mkdir()
    for name in ("summary.json", "results.parquet"):
        (before / name).write_bytes((run_dir / name).read_bytes())
    findings = pd.read_parquet(run_dir / "findings.parquet")
    findings["impact"] = findings["impact"].where(findings["impact"] != "runtime_assert", "none")
    findings.to_parquet(before / "findings.parquet", index=False)
    d = diff_runs(load_run(before, results=True), load_run(run_dir, results=True))
    assert len(d.consequence) >= 1 and set(d.consequence["impact"]) == {"none -> runtime_assert"}
    assert "Consequence in compiled programs changed" in render_text(d) and "(1 now worse)" in render_text(d)
