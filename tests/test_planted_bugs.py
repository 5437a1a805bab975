"""Planted bugs: fake mode is made deliberately wrong (tests/plants.py), and the harness
must report the right category, through the same path the suite uses (op_calls drawn by
Hypothesis, Checker.run), and write a repro script that reproduces the bug while it is
planted (exit 1) and reports it fixed once it is not (exit 0).

Each sweep is derandomized, so these tests see the same examples every run.
"""

from __future__ import annotations

import re

import pytest

from crossref.check import catalog
from crossref.check.checker import Checker
from crossref.session.failure import CrossrefMismatch
from crossref.check.opcall import materialize
from crossref.session.record import Recorder
from plants import CUSTOM_OP, PLANTS, clean_exit, planted, run_script
from crossref.strategies.drive import drive
from crossref.strategies.tensors import tensor_calls
from support import draw_many, findings, require_plants_in_forked_children, sweep

EXAMPLES = 60
# Bugs that show only for some inputs need more draws to meet those inputs.
RARE = {"dtype_float16": 150, "shape_0d": 150, "shape_negative_dim": 150, "shape_broadcast": 200, "layout": 60}

_HIGH = {"shape", "dtype", "device", "layout", "structure"}


def _severities(category: str, field: str) -> set[str]:
    if category == "unsupported":
        return {"info"}
    if category in _HIGH or (category == "mutation" and field.endswith((".shape", ".dtype"))):
        return {"high", "low"}
    return {"medium", "low"}


def _planted_finding(name: str, call, f) -> bool:
    """Whether finding ``f`` of ``call`` is the bug that plant ``name`` planted (the
    same ops have genuine findings too: keep the control about the plant only)."""
    if f.category != PLANTS[name].category:
        return False
    if name == "missing_error":
        return "cannot be multiplied" in f.real or "same reduction dim" in f.real
    return True


def _sweep(name, tmp_path):
    plant = PLANTS[name]
    rec = Recorder(tmp_path / "run", "main")
    checker = Checker(recorder=rec)
    with planted(name):
        seen = sweep(plant.op, RARE.get(name, EXAMPLES), checker)
    rec.close()
    return seen, checker, tmp_path / "run"


# Plants whose own tests below say more; every plant is in this table.
CAUGHT = [n for n in PLANTS if n != "alias_outputs"]


@pytest.mark.parametrize("name", CAUGHT)
def test_planted_bug_is_caught_and_reproduced(name, tmp_path):
    plant = PLANTS[name]
    seen, checker, run_dir = _sweep(name, tmp_path)
    hits = [(c, f) for c, f in findings(seen) if _planted_finding(name, c, f)]
    assert hits, f"{name}: no {plant.category} finding in {len(seen)} calls of {plant.op}"
    for call, f in hits:
        assert f.op == plant.op and f.device == "cpu"
        assert f.severity in _severities(f.category, f.field), (f.category, f.field, f.severity)
        assert f.fails == (f.category != "unsupported")
    # The repro of the smallest example seen: reproduces under the plant, fixed without it.
    sig = min({f.signature for _, f in hits}, key=lambda s: checker.seen[s])
    script = run_dir / "repros" / f"{sig}.py"
    assert script.is_file()
    result = run_script(script, name)
    assert clean_exit(result) == 0, result.stdout + result.stderr  # FIXED without the plant
    assert result.returncode == 1, result.stdout + result.stderr  # REPRODUCES with it
    assert result.stdout.count("FIXED (no longer reproduces)") == 1 and result.stdout.count("REPRODUCES") == 1
    _check_report_snippet(name, run_dir, sig, tmp_path)


def _shown(line: str) -> str:
    """What one side of a report snippet printed: the value, or "raised"."""
    value = line.split(" ", 1)[1]
    return "raised" if value.startswith("raised") else value


def _check_report_snippet(name, run_dir, sig, tmp_path) -> None:
    """``crossref report``'s python block runs as printed (plain torch, in a fresh
    interpreter) and shows real against fake: they agree without the plant, and differ
    under it."""
    import contextlib
    import io

    from crossref.reporting import report
    from crossref.reporting.cli import main

    report.merge(run_dir, meta={"devices": ["cpu"]})
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert main(["report", sig, "--run", str(run_dir)]) == 0
    body = text.getvalue()
    assert body.startswith(f"### [fake tensor] {PLANTS[name].op}") and "**Expected** (the kernel)" in body
    code = re.search(r"```python\n(.*?)```", body, re.S).group(1)
    assert "crossref" not in code and len(code.splitlines()) < 40
    snippet = tmp_path / "snippet.py"
    snippet.write_text(code)
    result = run_script(snippet, name)
    sides = [line for line in result.stdout.splitlines() if line.startswith(("real ", "fake "))]
    assert [s.split()[0] for s in sides] == ["real", "fake", "real", "fake"], result.stdout + result.stderr
    clean, under_plant = [_shown(s) for s in sides[:2]], [_shown(s) for s in sides[2:]]
    assert clean[0] == clean[1], (clean, code)  # nothing planted: fake mode agrees
    assert under_plant[0] != under_plant[1], (under_plant, code, result.stdout)  # planted: the snippet shows the bug


# ----------------------------------------------------------------- bugs that show for some inputs only


def _only_when(name, tmp_path, condition):
    seen, _, _ = _sweep(name, tmp_path)
    hits = [(c, f) for c, f in findings(seen) if _planted_finding(name, c, f)]
    assert hits
    for call, f in hits:
        assert condition(call, f), (call, f)
    return seen, hits


def test_stride_bug_only_for_noncontiguous_inputs(tmp_path):
    def noncontiguous(call, f):
        args, _, _ = materialize(call, "cpu")
        return not args[0].is_contiguous() and f.field == "out[0].stride"

    _only_when("stride_noncontiguous", tmp_path, noncontiguous)


def test_dtype_bug_only_for_float16(tmp_path):
    _, hits = _only_when("dtype_float16", tmp_path, lambda call, f: "float16" in call.dtypes())
    assert any(f.real == "float16" for _, f in hits) or any("float16" in f.dtypes for _, f in hits)


def test_spurious_error_only_for_empty_tensors(tmp_path):
    _only_when("spurious_error", tmp_path, lambda call, f: "empty" in call.traits() and "planted" in f.fake)


def test_shape_bug_only_for_0d(tmp_path):
    _only_when("shape_0d", tmp_path, lambda call, f: "0-d" in f.traits and f.real == "[]" and f.fake == "[1]")


def test_shape_bug_only_for_negative_dims(tmp_path):
    def negative(call, f):
        dim = call.args[1] if len(call.args) > 1 else dict(call.kwargs)["dim"]
        return dim < 0

    _only_when("shape_negative_dim", tmp_path, negative)


def test_shape_bug_only_when_broadcasting(tmp_path):
    def broadcasting(call, f):
        a, b = call.args[0], call.args[1]
        return not hasattr(b, "size") or a.size != b.size

    _only_when("shape_broadcast", tmp_path, broadcasting)


# ----------------------------------------------------------------- controls


@pytest.fixture(scope="module")
def clean_sweeps():
    """The plants' ops swept with nothing planted."""
    ops = sorted({p.op for p in PLANTS.values()})
    return {op: sweep(op, 60) for op in ops}


@pytest.mark.parametrize("name", list(PLANTS))
def test_control_without_the_plant_finds_nothing_planted(name, clean_sweeps):
    seen = clean_sweeps[PLANTS[name].op]
    planted_like = [(c, f) for c, f in findings(seen) if _planted_finding(name, c, f)]
    assert planted_like == []


#: torch 2.13's own mismatches on the plants' ops, besides fake mode accepting inputs the
#: CPU kernel rejects (mm of mixed dtypes, add_ writing to an overlapping self): add of
#: an expanded bfloat16 tensor and an int16 one gets other output strides in fake mode
#: (TensorIterator's stride order with a broadcast operand of another dtype).
GENUINE = {("aten.add.Tensor", "stride")}


def test_genuine_findings_of_the_plants_ops_are_known(clean_sweeps):
    """torch 2.13 itself: the ops the plants use match real kernels but for GENUINE and
    missing errors. If this starts failing, fake mode changed: read the findings."""
    seen = [(c, f) for s in clean_sweeps.values() for c, f in findings(s)]
    odd = [(f.op, f.category, f.field, f.real, f.fake) for _, f in seen
           if f.category != "missing_error" and (f.op, f.category) not in GENUINE]
    assert odd == []


# ----------------------------------------------------------------- output aliasing


def test_outputs_sharing_storage_are_caught(tmp_path):
    seen, _, _ = _sweep("alias_outputs", tmp_path)
    hits = findings(seen, "alias")
    assert hits and {f.field for _, f in hits} == {"out.shared_storage"}


def test_repro_of_outputs_sharing_storage_reproduces(tmp_path):
    seen, checker, run_dir = _sweep("alias_outputs", tmp_path)
    sig = next(f.signature for _, f in findings(seen, "alias"))
    assert run_script(run_dir / "repros" / f"{sig}.py", "alias_outputs").returncode == 1


# ----------------------------------------------------------------- the suite's path, with shrinking


def test_suite_path_fails_with_the_category_and_a_shrunk_repro(tmp_path):
    """suites/test_ops.py's body under a planted bug: the item draws its whole budget,
    shrinks the finding to a minimal call and fails with the category's exception type
    and a working repro."""
    require_plants_in_forked_children()
    from crossref.session.worker import WorkerSession
    from crossref.session.options import parse_options

    entry = catalog.entry("aten.clone.default")
    opts = parse_options(None, "cpu", None, str(tmp_path / "run"))
    session = WorkerSession(tmp_path / "run", "main", opts, examples=30)
    search = session.search(entry, "tests::aten.clone.default")
    with planted("storage_offset"):
        drive(entry, search.check, examples=session.examples, seed=session.seed)
        with pytest.raises(CrossrefMismatch) as info:
            session.finish(search)
    session.close()
    assert search.examples == 30  # the whole budget, although the first call already failed
    text = str(info.value)
    # the offset shows on every call, shrunk to the smallest; the plant's contiguous
    # output also gives permuted inputs other strides: a second signature, shrunk apart
    offset = re.search(r"\[medium storage_offset\] cpu out\[0\]\.storage_offset: real=0  fake=1\n"
                       r"      call: aten\.clone\.default\(T0:float32\[\]\) .*\n.*repro: python (\S+\.py)", text)
    assert offset, text
    stride = re.search(r"\[medium stride\] cpu out\[0\]\.stride: .*\n      call: aten\.clone\.default\(T0:float32\[[\d,]+\]"
                       r"\(stride=\([\d, ]+\),offset=0,(permuted|channels_last)\)\)", text)
    assert stride, text
    assert type(info.value).__name__ == "FakeMismatch_stride"  # of equal severity, the first category names it
    script = offset.group(1)
    result = run_script(script, "storage_offset")
    assert (clean_exit(result), result.returncode) == (0, 1), result.stdout + result.stderr


# ----------------------------------------------------------------- a custom op with a wrong register_fake


def test_custom_op_with_a_wrong_fake_is_caught_and_reproduced(tmp_path):
    """torch.library.custom_op + register_fake that forgets the op doubles its input:
    the catalog lists ATen only, so the calls are drawn with tensor_calls(op=...)."""
    rec = Recorder(tmp_path / "run", "main")
    checker = Checker(recorder=rec)
    calls = draw_many(tensor_calls(CUSTOM_OP, max_dims=3), 30)
    seen = [(c, checker.run(c)) for c in calls]
    rec.close()
    shapes = findings(seen, "shape")
    assert shapes and all(f.op == CUSTOM_OP and f.field == "out[0].shape" for _, f in shapes)
    for call, f in shapes:
        size = call.args[0].size
        assert f.real == str([2 * size[0], *size[1:]]) and f.fake == str(list(size))
    # cat rejects 0-d tensors; the wrong fake accepts them
    assert any(f.category == "missing_error" and "0-d" in f.traits for _, f in findings(seen))
    sig = min({f.signature for _, f in shapes}, key=lambda s: checker.seen[s])
    result = run_script(tmp_path / "run" / "repros" / f"{sig}.py", custom_ops=True)
    assert result.returncode == 1 and "REPRODUCES" in result.stdout, result.stdout + result.stderr
