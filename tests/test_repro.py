"""crossref.repro: the scripts are plain torch, rebuild the inputs exactly, and exit 1
while a finding reproduces, 0 once it is gone. (test_planted_bugs.py runs them in
subprocesses against planted bugs; here they run in-process, which is cheap.)"""

from __future__ import annotations

import inspect
import re

import runpy
import subprocess
import sys

import pytest
import torch

from crossref import _torch
from crossref.check import catalog
from crossref.check import repro
from crossref.check.checker import Checker
from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec, materialize
from crossref.strategies.calls import op_calls
from support import draw_many


def _script(checker, call):
    (check,) = checker.run(call)
    assert check.findings, check
    return checker.store_example(call, check.findings[0], shrunk=False), check.findings[0]


def _exit_code(path) -> int:
    with pytest.raises(SystemExit) as info:
        runpy.run_path(str(path), run_name="__main__")
    return info.value.code


def _mixed_mm():
    """mm of uint8 and float32: the CPU kernel refuses, fake mode (torch 2.13) accepts."""
    b = CallBuilder()
    a = b.add_storage(StorageSpec(torch.uint8, 6))
    c = b.add_storage(StorageSpec(torch.float32, 6))
    return b.build("aten.mm.default", [TensorSpec(a, (2, 3), (1, 2), view=True, layout=("permuted",)),
                                       TensorSpec(c, (3, 2), (2, 1))], {})


def test_script_is_plain_torch_and_compiles(checker):
    path, f = _script(checker, _mixed_mm())
    text = open(path).read()
    assert not re.search(r"^\s*(import|from) crossref", text, re.M)  # plain torch: crossref is not imported
    compile(text, str(path), "exec")
    # The oracle is crossref/check/compare.py itself, embedded verbatim (less its docstring).
    from crossref.check import compare

    body = inspect.getsource(compare).split("from __future__ import annotations\n", 1)[1].strip("\n")
    assert body in text


def test_genuine_finding_reproduces(checker, capsys):
    path, f = _script(checker, _mixed_mm())
    assert f.category == "missing_error"
    assert _exit_code(path) == 1
    out = capsys.readouterr().out
    assert "REPRODUCES" in out and "--- real" in out and "--- fake" in out


def test_rebuilt_inputs_match_materialize(checker):
    """make_inputs() of the script equals materialize(): values, geometry, bits, aliasing."""
    entry = catalog.entry("aten.add.Tensor")
    drawn = draw_many(op_calls(entry), 300)
    calls = [c for c in drawn if "aliased" in c.traits()][:10] + [c for c in drawn if set(c.traits()) - {"0-d"}][:20]
    assert any("aliased" in c.traits() for c in calls)
    for call in calls:
        from crossref.check.repro import render

        source = render(call, signature="s", category="shape", field="out[0].shape", device="cpu")
        ns: dict = {}
        exec(compile(source, "repro", "exec"), ns)
        _, _, theirs = ns["make_inputs"]()
        _, _, ours = materialize(call, "cpu")
        assert len(theirs) == len(ours)
        for t, o in zip(theirs, ours):
            assert (t.shape, t.stride(), t.storage_offset(), t.dtype) == (o.shape, o.stride(), o.storage_offset(), o.dtype), call
            assert (t.is_conj(), t.is_neg(), t.requires_grad, t._is_view()) == (o.is_conj(), o.is_neg(), o.requires_grad, o._is_view()), call
            torch.testing.assert_close(t.detach().resolve_conj().resolve_neg(), o.detach().resolve_conj().resolve_neg(),
                                       rtol=0, atol=0, equal_nan=True)
        keys_t = [_torch.storage_key(t) for t in theirs]
        keys_o = [_torch.storage_key(o) for o in ours]
        assert [[a == b for b in keys_t] for a in keys_t] == [[a == b for b in keys_o] for a in keys_o], call


def test_a_sequence_repro_does_not_print_fake_modes_traceback_log(tmp_path):
    """Invalid steps are normal in a stateful sequence; fake mode would log each failed
    meta call with a full traceback. The script silences that logger."""
    b = CallBuilder()
    c = b.add_storage(StorageSpec(torch.complex64, 6))
    f = b.add_storage(StorageSpec(torch.float32, 6))
    t, u = TensorSpec(c, (2, 3), (3, 1)), TensorSpec(f, (2, 3), (3, 1))
    bad = b.build("aten.where.self", [t, u, u], {})  # a complex condition: both sides raise
    ok = b.build("aten.alias.default", [u], {})
    script = tmp_path / "seq.py"
    script.write_text(repro.render_sequence([bad, bad, ok], [], signature="quiet", field="out[0].shape", device="cpu",
                                            all_strides=False))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "FIXED" in result.stdout, result.stdout + result.stderr[-2000:]
    assert "failed while attempting to run meta" not in result.stderr
    noisy = script.read_text().replace('logging.getLogger("torch._subclasses.fake_tensor").setLevel(logging.CRITICAL)', "")
    script.write_text(noisy)  # the control: without that line the log is there
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert "failed while attempting to run meta" in result.stderr


# Ops with genuine findings in several categories and modes on torch 2.13 (their fake
# answers: views where the kernel copies, strides, missing checks, backward strides).
AGREEMENT_OPS = ("aten.channel_shuffle.default", "aten.add.out", "aten.median.dim_values", "aten.leaky_relu.default",
                 "aten.cumsum.default")


def test_harness_and_repro_decide_with_the_same_oracle_on_a_sample_of_findings(tmp_path):
    """One oracle: for every finding of a sample (static, symbolic, backward and autocast
    checks of drawn calls), the repro script's own run, described and compared by its
    embedded crossref/check/compare.py, yields exactly the mismatches the harness's comparer
    found for that check; the finding reproduces (exit 1); and a field the harness saw
    agree, the script sees agree too."""
    from crossref.check.compare import compare, compare_inner, difference
    from crossref.check.modes import MODES
    from crossref.session.record import Recorder

    rec = Recorder(tmp_path / "run", "main")
    checker = Checker(recorder=rec, modes=MODES, checks=("forward",))
    replayed, modes = 0, set()
    for op in AGREEMENT_OPS:
        for call in draw_many(op_calls(catalog.entry(op)), 12):
            for check in checker.run(call):
                if not check.findings or check.status == "crash":
                    continue
                f = check.findings[0]
                if f.category in ("specialization", "cache", "unsupported"):
                    continue
                path = checker.store_example(call, f, shrunk=False, autocast=check.autocast)
                ns = runpy.run_path(path, run_name="crossref_replay")  # the script's functions, not main()
                real, fake = ns["run"](False), ns["run"](True)
                grad = f.mode == "backward"
                ours = compare(check.real, check.fake, outputs="grad" if grad else "out")
                theirs = ns["compare"](real, fake, outputs="grad" if grad else "out")
                assert [(m.kind, m.field, m.real, m.fake) for m in theirs] == \
                       [(m.kind, m.field, m.real, m.fake) for m in ours], (op, f.mode, f.field)
                if f.inner_op:
                    assert ns["compare_inner"](real.inner, fake.inner)[1] == compare_inner(check.real.inner,
                                                                                          check.fake.inner)[1]
                assert ns["difference"](real, fake, f.field) is not None
                assert difference(check.real, check.fake, "out[0].requires_grad") is None or f.field.endswith(
                    "requires_grad")
                assert ns["difference"](real, fake, "out[0].requires_grad") is None or f.field.endswith(
                    "requires_grad")
                assert _exit_code(path) == 1
                replayed += 1
                modes.add(f.mode)
    rec.close()
    assert replayed >= 8 and len(modes) >= 2, (replayed, modes)


def test_a_report_snippet_runs_as_printed_with_inf_and_nan_arguments(tmp_path):
    b = CallBuilder()
    s = b.add_storage(StorageSpec(torch.float32, 4))
    call = b.build("aten.clamp.default", [TensorSpec(s, (2, 2), (1, 2), view=True, layout=("permuted",)),
                                          float("-inf"), float("nan")], {})
    code = repro.snippet(call, category="stride", field="out[0].stride", device="cpu")
    assert 'nan, inf = float("nan"), float("inf")' in code and "crossref" not in code
    path = tmp_path / "snippet.py"
    path.write_text(code)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(("real ", "fake "))]
    assert [ln.split()[0] for ln in lines] == ["real", "fake"] and all("out[0].stride" in ln for ln in lines)
