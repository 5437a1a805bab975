"""The compiler modes (crossref/check/modes.py): symbolic shapes, backward, autocast.

Planted bugs that act in one mode only (tests/plants.py, MODE_PLANTS) are found at the
ci budget in their mode, with their category and field, in no other mode, and their
repro replays the mode (exit 1 under the plant, 0 without); the unplanted control
shows nothing of the kind. Then the parts: applicability, what a mode adds over the
static check, specialization, hints and unbacked sizes, the option and the report.
"""

from __future__ import annotations

import json

import pytest
import torch

from crossref.check import modes
from crossref.check.checker import Checker
from crossref.check.classify import Finding
from crossref.check.compare import compare, compare_inner
from crossref.errors import UsageError
from crossref.check.compare import InnerOp
from crossref.check.execute import run_fake, run_real
from crossref.check.opcall import OpCall, StorageSpec, TensorSpec, contiguous_strides
from crossref.session.record import Recorder
from crossref.session.options import parse_modes
from plants import MODE_PLANTS, clean_exit, planted, run_script
from support import BASE_ARGS, SUITE, findings, meta, outcome, sweep

CI_EXAMPLES = 25


def _sweep(op: str, checker: Checker):
    return [f for _, f in findings(sweep(op, CI_EXAMPLES, checker)) if f.fails]


@pytest.fixture(scope="module")
def controls():
    """Every tested op's failing findings in all four modes, nothing planted."""
    ops = sorted({p.tested for p in MODE_PLANTS.values()})
    return {op: {(f.mode, f.category, f.field) for f in _sweep(op, Checker(modes=modes.MODES))} for op in ops}


def _planted(plant, f: Finding) -> bool:
    return f.category == plant.category and f.field.startswith(plant.field)


@pytest.mark.parametrize("name", list(MODE_PLANTS))
def test_mode_plant_is_found_in_its_mode_only(name, controls, tmp_path):
    plant = MODE_PLANTS[name]
    rec = Recorder(tmp_path / "run", "main")
    checker = Checker(modes=modes.MODES, recorder=rec)
    with planted(name):
        found = _sweep(plant.tested, checker)
    rec.close()
    control = controls[plant.tested]
    new = [f for f in found if (f.mode, f.category, f.field) not in control]
    hits = [f for f in new if _planted(plant, f)]
    assert hits and all(f.mode == plant.mode for f in hits), (name, [(f.mode, f.category, f.field) for f in new])
    assert not [f for f in new if f.category == plant.category and f.mode != plant.mode], name
    assert all(f.op == plant.tested for f in hits)
    if plant.mode == "backward" and plant.field.startswith("inner."):
        assert {f.inner_op for f in hits} == {plant.op}
    # The repro replays the mode: reproduces under the plant, fixed without it.
    sig = min({f.signature for f in hits}, key=lambda s: checker.seen[s])
    script = tmp_path / "run" / "repros" / f"{sig}.py"
    result = run_script(script, name)
    assert f"{plant.mode} mode" in script.read_text().splitlines()[1]
    assert clean_exit(result) == 0, result.stdout + result.stderr
    assert result.returncode == 1, result.stdout + result.stderr


@pytest.mark.parametrize("name", list(MODE_PLANTS))
def test_mode_plant_control_is_clean(name, controls):
    plant = MODE_PLANTS[name]
    assert not {k for k in controls[plant.tested] if k[0] == plant.mode and k[1] == plant.category
                and k[2].startswith(plant.field)}, name


# ----------------------------------------------------------------- the parts


def _t(storage: int, *size: int) -> TensorSpec:
    return TensorSpec(storage, tuple(size), contiguous_strides(tuple(size)))


def _call(op: str, args, storages, **kw) -> OpCall:
    return OpCall(op, tuple(args), tuple(kw.pop("kwargs", ())), tuple(storages), **kw)


F32 = torch.float32


@pytest.mark.parametrize("mode, call, reason", [
    ("backward", _call("aten.add.Tensor", [_t(0, 2), _t(1, 2)], [StorageSpec(torch.int64, 2)] * 2),
     "no floating or complex tensor input"),
    ("backward", _call("aten.add_.Tensor", [_t(0, 2), _t(1, 2)], [StorageSpec(F32, 2)] * 2), "writes to an input"),
    ("autocast", _call("aten.sin.default", [_t(0, 2)], [StorageSpec(torch.int32, 2)]), "no floating tensor input"),
    ("symbolic", _call("aten.sin.default", [TensorSpec(0, (), ())], [StorageSpec(F32, 1)]), "no size of 2"),
    ("symbolic", _call("aten.sin.default", [_t(0, 1, 0, 1)], [StorageSpec(F32, 0)]), "no size of 2"),
    ("symbolic", _call("aten.sin.default", [_t(0, 3, 1)], [StorageSpec(F32, 3)], dynamic=(0b10,)), "no size of 2"),
], ids=["backward-int", "backward-inplace", "autocast-int", "symbolic-0d", "symbolic-0-and-1", "symbolic-static"])
def test_a_mode_that_cannot_run_is_not_applicable(mode, call, reason):
    assert reason in modes.applies(mode, call, "cpu")
    (check,) = [c for c in Checker(modes=(mode,)).compute(call) if c.mode == mode]
    assert check.status == "not_applicable" and check.findings == ()


def test_symbolic_applies_to_a_size_of_two_or_a_symint_argument():
    assert modes.applies("symbolic", _call("aten.sin.default", [_t(0, 1, 2)], [StorageSpec(F32, 2)]), "cpu") == ""
    zeros = _call("aten.zeros.default", [[1, 3]], [], kwargs=(("device", "cpu"),))
    assert modes.applies("symbolic", zeros, "cpu") == ""
    assert modes.applies("symbolic", _call("aten.zeros.default", [[1, 1]], []), "cpu") != ""


def test_applicable_modes_run():
    call = _call("aten.mm.default", [_t(0, 3, 4), _t(1, 4, 5)], [StorageSpec(F32, 12), StorageSpec(F32, 20)])
    checks = Checker(modes=modes.MODES).compute(call)
    assert [(c.mode, c.status) for c in checks] == [
        ("static", "match"), ("symbolic", "match"), ("backward", "match"), ("autocast", "match")]
    backward = checks[2]
    assert backward.real.structure == "(T,T)" and len(backward.real.outputs) == 2  # a gradient per input
    assert [i.op for i in backward.real.inner] == [i.op for i in backward.fake.inner] and backward.real.inner
    assert checks[3].autocast == "bfloat16" and checks[3].real.outputs[0].dtype == "bfloat16"


def test_static_check_runs_unselected_when_other_modes_need_it():
    call = _call("aten.mm.default", [_t(0, 3, 4), _t(1, 4, 5)], [StorageSpec(F32, 12), StorageSpec(F32, 20)])
    checks = Checker(modes=("symbolic",)).compute(call)
    assert [(c.mode, c.selected) for c in checks] == [("static", False), ("symbolic", True)]


def test_symbolic_reads_hints_and_records_specialization():
    # expand to a constant 3 (an int of 1 is no symbol) fixes the input's dynamic dim 0.
    call = _call("aten.expand.default", [_t(0, 3, 1), [3, 4]], [StorageSpec(F32, 3)])
    fake = run_fake(call, "cpu", how="symbolic")
    assert fake.error is None and fake.outputs[0].shape == (3, 4)
    assert fake.specialized == ()  # 3 and 4 became SymInts too: related, not fixed
    pinned = _call("aten.expand.default", [_t(0, 3, 1), [3, 4]], [StorageSpec(F32, 3)], dynamic=(0b1, 0))
    assert Checker(modes=("symbolic",)).compute(pinned)[1].findings == ()  # a partial mask: no specialization
    broadcast = _call("aten.add.Tensor", [_t(0, 3), TensorSpec(0, (), ())], [StorageSpec(F32, 3)])
    assert run_fake(broadcast, "cpu", how="symbolic").specialized == ()


def test_unbacked_sizes_compare_by_range():
    call = _call("aten.nonzero.default", [_t(0, 3, 4)], [StorageSpec(F32, 12)])
    real, fake = run_real(call, "cpu"), run_fake(call, "cpu", how="symbolic")
    assert fake.error is None and fake.outputs[0].ranges[0] is not None and fake.outputs[0].shape[0] == -1
    assert compare(real, fake) == ()
    narrow = meta(shape=(-1, 2), stride=None, ranges=((0, 3), None))
    assert [m.kind for m in compare(outcome(outputs=(meta(shape=(5, 2)),)), outcome(outputs=(narrow,)))] == ["shape"]


def test_compare_inner_names_the_first_op_that_differs():
    a = InnerOp("aten.mul.Tensor", "T", (meta(),))
    b = InnerOp("aten.sum.dim_IntList", "T", (meta(),))
    wrong = InnerOp("aten.sum.dim_IntList", "T", (meta(dtype="float64"),))
    assert compare_inner((a, b), (a, b)) == ("", ())
    op, found = compare_inner((a, b), (a, wrong))
    assert op == "aten.sum.dim_IntList" and [m.field for m in found] == ["inner.out[0].dtype"]
    op, found = compare_inner((a, b), (a,))
    assert op == "aten.sum.dim_IntList" and found[0].field == "inner.op"


def test_novel_drops_what_the_static_check_shows():
    def finding(mode, category, field, real="", fake=""):
        return Finding("s", "aten.mm.default", category, "medium", field, real, fake, "cpu", (), (), None, mode)

    static = (finding("static", "missing_error", "error", real="RuntimeError: Float and Double"),
              finding("static", "stride", "out[0].stride"))
    mode = (finding("autocast", "missing_error", "error", real="RuntimeError: BFloat16 and Double"),
            finding("autocast", "stride", "out[0].stride"), finding("autocast", "dtype", "out[0].dtype"))
    assert [f.category for f in modes.novel(mode, static)] == ["dtype"]


def test_mode_signatures_differ_and_static_ones_stay():
    from crossref.check.classify import signature

    base = signature("aten.mm.default", "stride", "out[0].stride", "cpu", "")
    assert base == signature("aten.mm.default", "stride", "out[0].stride", "cpu", "", "static")
    assert len({base, signature("aten.mm.default", "stride", "out[0].stride", "cpu", "", "symbolic"),
                signature("aten.mm.default", "stride", "out[0].stride", "cpu", "", "autocast")}) == 3


@pytest.mark.parametrize("text, expected", [
    (None, modes.MODES), ("symbolic", ("symbolic",)), ("autocast, static", ("static", "autocast"))])
def test_parse_modes(text, expected):
    assert parse_modes(text) == expected


@pytest.mark.parametrize("text, message", [("symbolc", "unknown mode 'symbolc'"), (",", "names no mode")])
def test_parse_modes_rejects(text, message):
    with pytest.raises(UsageError, match=message):
        parse_modes(text)


def test_cuda_modes_run_when_cuda_is_present():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    call = _call("aten.mm.default", [_t(0, 3, 4), _t(1, 4, 5)], [StorageSpec(F32, 12), StorageSpec(F32, 20)])
    checks = Checker(devices=("cuda",), modes=modes.MODES).compute(call)
    assert {(c.mode, c.autocast) for c in checks} == {
        ("static", ""), ("symbolic", ""), ("backward", ""), ("autocast", "float16"), ("autocast", "bfloat16")}
    assert all(c.status == "match" for c in checks), [(c.mode, c.status, c.findings) for c in checks]


def test_sweep_reports_by_mode(pytester, monkeypatch):
    """mm runs in all four modes, argmax has no gradient and its integer calls nothing
    to autocast; then only symbolic mode, selected by option, on the same ops."""
    import pandas as pd

    monkeypatch.setenv("CROSSREF_PROFILE", "ci")
    ops = "--crossref-ops=aten.mm.default,aten.sin.default,aten.argmax.default"
    run = pytester.path / "all"
    pytester.runpytest_subprocess(SUITE, *BASE_ARGS, ops, "--crossref-examples=6", f"--crossref-report-dir={run}")
    summary = json.loads((run / "summary.json").read_text())
    assert summary["modes_selected"] == list(modes.MODES) and list(summary["modes"]) == list(modes.MODES)
    results = pd.read_parquet(run / "results.parquet")
    assert set(results["mode"]) == set(modes.MODES)
    assert not results.loc[results["status"] == "not_applicable", "valid"].any()
    applicable = results[results["status"] != "not_applicable"].groupby("mode")["op"].unique()
    assert {"aten.mm.default", "aten.sin.default"} <= set(applicable["autocast"])
    assert "aten.argmax.default" not in set(applicable["backward"])
    assert summary["modes"]["autocast"]["counts_by_status"]["not_applicable"] > 0
    assert "## By mode" in (run / "summary.md").read_text()
    assert {"mode", "inner_op"} <= set(pd.read_parquet(run / "findings.parquet").columns)
    one = pytester.path / "one"
    pytester.runpytest_subprocess(SUITE, *BASE_ARGS, ops, "--crossref-examples=3", "--crossref-modes=symbolic",
                                  f"--crossref-report-dir={one}")
    assert set(pd.read_parquet(one / "results.parquet")["mode"]) == {"symbolic"}
