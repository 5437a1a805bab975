"""Custom operators (torch.library), checked with the Python API and with the sweep.

The planted ops (tests/custom_ops.py) each have a fake kernel that is wrong under one
condition; crossref must report each with its category at the ci budget (25
examples), and nothing on their correct twins. Argument constraints are honoured by
the draw and by the shrinker; bad input is one clear error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from hypothesis import strategies as st

import crossref
import custom_ops
from crossref.api import resolve
from crossref.check.catalog import entry as catalog_entry
from crossref.errors import UsageError
from crossref.strategies.calls import op_calls
from support import BASE_ARGS, SUITE, TESTS, draw_many

CI_EXAMPLES = 25  # the ci profile's budget per op


@pytest.mark.parametrize("name", sorted(custom_ops.PLANTED), ids=lambda n: n.split(".")[1])
def test_planted_custom_op_bug_is_found_with_its_category(name):
    mode = custom_ops.MODE.get(name, "static")
    findings = crossref.check_op(name, examples=CI_EXAMPLES)
    got = {(f.category, f.mode) for f in findings}
    assert (custom_ops.PLANTED[name], mode) in got, got
    for f in findings:  # every finding is complete, and its repro names the op's module
        assert f.op == name and f.example.startswith(name) and f.real != f.fake
        assert "import custom_ops" in f.repro_script and "torch.ops.crossref_test" in f.repro_script
        if f.mode == "static" and f.category not in ("cache", "crash"):  # the op's own fake kernel answered
            assert f.fake_impl.startswith("custom_ops:"), (f.category, f.fake_impl)


@pytest.mark.parametrize("name", custom_ops.TWINS, ids=lambda n: n.split(".")[1])
def test_correct_twin_has_no_finding(name):
    findings = crossref.check_op(name, examples=CI_EXAMPLES, modes=custom_ops.TWIN_MODES.get(name))
    assert findings == [], [str(f) for f in findings]


@pytest.mark.parametrize("name", custom_ops.SCHEMAS, ids=lambda n: n.split(".")[1])
def test_every_kind_of_custom_op_argument_and_return_is_drawn_and_compared(name):
    """Tensor, Tensor?, Tensor[], SymInt, float, bool, str, ScalarType, SymInt[]; returns
    of a tensor, a list of tensors, an int, a float, a bool, and none (a mutating op):
    most calls are valid, the outputs (and the mutated tensor) compare equal."""
    from support import sweep

    seen = sweep(name, CI_EXAMPLES)
    valid = [call for call, checks in seen if all(ch.real.error is None for ch in checks)]
    assert len(valid) >= len(seen) // 2, len(valid)
    assert crossref.check_op(name, examples=CI_EXAMPLES) == []


def test_a_repro_script_runs_standalone_and_reproduces(tmp_path):
    [f] = [f for f in crossref.check_op("crossref_test::offset_view_1d", examples=CI_EXAMPLES)
           if f.category == "storage_offset"][:1]
    script = tmp_path / "repro.py"
    script.write_text(f.repro_script)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "REPRODUCES" in done.stdout


def test_constraints_hold_in_every_drawn_call():
    entry = catalog_entry("crossref_test.dtype_ignores_flag.default")
    fixed = {"x": crossref.tensors(dtype=torch.float16, min_dims=2), "to_double": True}
    for call in draw_many(op_calls(entry, fixed=fixed), 40):
        x = call.argument("x")
        assert call.storages[x.storage].dtype == torch.float16 and len(x.size) >= 2
        assert call.argument("to_double") is True


def test_shrinking_keeps_constrained_arguments():
    findings = crossref.check_op(custom_ops.stride_follows_input, examples=CI_EXAMPLES,
                                 x=crossref.tensors(dtype=torch.float64, min_dims=3))
    stride = [f for f in findings if f.category == "stride"]
    assert stride, [str(f) for f in findings]
    for f in stride:
        x = f.call.argument("x")
        assert f.call.storages[x.storage].dtype == torch.float64 and len(x.size) >= 3, f.example


def test_assert_fake_kernel_matches_names_the_shrunk_call_and_writes_repros():
    with pytest.raises(AssertionError, match=r"crossref_test\.value_rank\.default\(T0:") as info:
        crossref.assert_fake_kernel_matches(custom_ops.value_rank, examples=CI_EXAMPLES)
    text = str(info.value)
    assert "[high value]" in text or "value]" in text
    path = text.split("repro: python ", 1)[1].split()[0]
    done = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    crossref.assert_fake_kernel_matches(custom_ops.value_rank_ok, examples=CI_EXAMPLES)  # the twin passes


@pytest.mark.parametrize("op", [
    "crossref_test::value_rank", "crossref_test.value_rank", "crossref_test.value_rank.default",
    torch.ops.crossref_test.value_rank, torch.ops.crossref_test.value_rank.default,
], ids=["qualified", "packet-name", "overload-name", "packet", "overload"])
def test_an_op_can_be_named_every_way(op):
    assert resolve(op).name == "crossref_test.value_rank.default"
    assert resolve(custom_ops.value_rank).name == "crossref_test.value_rank.default"


@pytest.mark.parametrize("call, message", [
    (lambda: crossref.check_op("crossref_test::value_rank", y=1),
     r"crossref_test\.value_rank\.default has no argument 'y' \(its arguments: x\)"),
    (lambda: crossref.check_op("crossref_test::value_rank", x=torch.ones(2)),
     r"argument x: pass a tensor as crossref\.tensors"),
    (lambda: crossref.check_op("crossref_test::value_rank", devices="tpu"), r"devices: unknown device 'tpu'"),
    (lambda: crossref.check_op("crossref_test::value_rank", examples=0), r"examples=0 must be a whole number"),
    (lambda: crossref.check_op("crossref_test::value_rank", modes="eager"), r"modes='eager': choose from static"),
    (lambda: crossref.check_op(42), r"op=42 is not an operator"),
    (lambda: crossref.check_op("nosuchlib::op"), r"op 'nosuchlib::op' is not registered"),
    (lambda: crossref.check_op(torch.ops.aten.add), r"aten\.add has several overloads"),
    (lambda: crossref.tensors(dtype=torch.float16, min_dims=3, max_dims=2), r"min_dims=3 is larger than max_dims=2"),
    (lambda: crossref.check_op("crossref_test::value_rank", x=None), r"argument x=None does not fit its type Tensor"),
    (lambda: crossref.check_op("crossref_test::dtype_ignores_flag", to_double="yes"),
     r"argument to_double='yes' does not fit its type bool"),
    (lambda: crossref.check_op("crossref_test::value_rank", x=st.just(torch.ones(2))),
     r"a strategy drew the tensor Tensor\(2,\) for an argument"),
    (lambda: crossref.check_op("crossref_test::missing_empty_check", examples=5, modes="static",
                               x=crossref.tensors(shape=(0,))),
     r"the real kernel accepted none of the \d+ calls drawn \(the last error: ValueError: no_empty"),
    (lambda: crossref.check_op("crossref_test::value_rank", seed="x"), r"seed='x' must be a whole number"),
], ids=["unknown-argument", "tensor-value", "device", "examples", "mode", "not-an-op", "unregistered",
        "ambiguous-packet", "tensor-bounds", "none-for-tensor", "str-for-bool", "drawn-tensor", "nothing-valid",
        "seed"])
def test_bad_api_input_is_one_clear_error(call, message):
    from hypothesis.errors import InvalidArgument

    with pytest.raises((UsageError, InvalidArgument), match=message):
        call()


def test_a_repro_whose_op_is_not_registered_says_so_with_exit_code_2(tmp_path):
    """An op defined in a script's __main__ cannot be imported by its repro: the repro
    says so in one line and exits 2 (1 would say the finding reproduces)."""
    script = tmp_path / "mine.py"
    script.write_text(_readme_block("Test your custom op's fake kernel").replace(
        "for finding in crossref.check_op(scale):\n    print(finding)",
        "open('repro.py', 'w').write(crossref.check_op(scale, examples=10, modes='static')[0].repro_script)"))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    repro = subprocess.run([sys.executable, "repro.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert repro.returncode == 2, repro.stdout + repro.stderr
    assert "mylib::scale is not registered: import the module that registers it" in repro.stderr
    assert "Traceback" not in repro.stderr


def test_a_spawned_isolation_child_imports_the_modules_of_custom_ops():
    """After CUDA is initialized the isolation child is spawned, not forked: it must
    import the modules that register the ops to check them at all."""
    from crossref.session.isolate import Isolated, IsolationOptions
    from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec

    b = CallBuilder()
    x = TensorSpec(b.add_storage(StorageSpec(torch.float32, 0)), (0,), (1,))
    call = b.build("crossref_test.missing_empty_check.default", [x], {})
    isolated = Isolated({"devices": ("cpu",), "all_strides": False, "checks": ("forward",)},
                        IsolationOptions(start_method="spawn"))
    try:
        [check] = isolated.compute(call, frozenset(), None, False, ("static",))
    finally:
        isolated.close()
    assert check.status != "crash", check
    assert check.real.error.type == "ValueError" and check.fake.error is None
    assert [f.category for f in check.findings] == ["missing_error"]


def test_a_forked_child_where_autograd_cannot_run_gives_way_to_a_spawned_one(monkeypatch):
    """A CUDA build of torch refuses a backward in a process forked after the parent ran
    one under fake mode; both sides of every backward check would raise and the findings
    would be lost (torch 2.11+cu130 lost this planted backward bug so). Simulated: the forked child
    reports autograd broken, the parent spawns one, and the backward finding is found."""
    import dataclasses

    from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec
    from crossref.session import isolate

    assert isolate.autograd_after_fork() is None  # autograd works in this process
    monkeypatch.setattr(isolate, "autograd_after_fork", lambda: "RuntimeError: Unable to handle autograd's threading")
    b = CallBuilder()
    x = TensorSpec(b.add_storage(StorageSpec(torch.float32, 4, requires_grad=True)), (2, 2), (2, 1))
    call = dataclasses.replace(b.build("crossref_test.half.default", [x], {}), grad_layout="transposed")
    isolated = isolate.Isolated({"devices": ("cpu",), "all_strides": False, "checks": ("forward",)})
    try:
        checks = isolated.compute(call, frozenset(), None, False, ("static", "backward"))
        assert not isolated.child.forked and "autograd" in isolated.child.respawned
    finally:
        isolated.close()
    backward = next(ch for ch in checks if ch.mode == "backward")
    assert backward.real.error is None and [f.category for f in backward.findings] == ["stride"], backward


def test_a_cuda_only_op_skips_cleanly_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(UsageError, match=r"has no kernel on cpu"):
        crossref.check_op("crossref_test::cuda_only")
    assert catalog_entry("crossref_test.cuda_only.default").runs_on("cuda")


# ----------------------------------------------------------------- the sweep over a namespace

@pytest.fixture
def sweep_run(pytester, monkeypatch):
    monkeypatch.setenv("CROSSREF_PROFILE", "ci")

    def run(*args):
        report_dir = pytester.path / "report"
        result = pytester.runpytest_subprocess(SUITE, *BASE_ARGS, f"--crossref-report-dir={report_dir}", *args)
        return result, report_dir

    return run


def test_the_sweep_checks_a_custom_namespace_loaded_with_crossref_import(sweep_run):
    result, report_dir = sweep_run(f"--crossref-import={TESTS / 'custom_ops.py'}", "--crossref-ops=crossref_test.*",
                                   "-n", "2")
    assert result.ret == 1, result.stdout.str()
    found = pd.read_parquet(report_dir / "findings.parquet")
    failing = found[found["category"] != "unsupported"]
    for name, category in custom_ops.PLANTED.items():
        mode = custom_ops.MODE.get(name, "static")
        rows = failing[(failing["op"] == name) & (failing["category"] == category) & (failing["mode"] == mode)]
        assert len(rows), (name, failing[failing["op"] == name][["category", "mode", "field"]].to_string())
    for name in custom_ops.TWINS:
        modes = custom_ops.TWIN_MODES.get(name)
        rows = failing[(failing["op"] == name) & (failing["mode"].isin(modes) if modes else True)]
        assert rows.empty, rows[["op", "category", "mode", "field", "example"]].to_string()
    summary = pd.read_json(report_dir / "summary.json", typ="series")
    assert summary["imports"] == ["custom_ops"]
    # a repro of an op whose module was imported by file loads it by path, from any directory
    row = failing[failing["op"] == "crossref_test.value_rank.default"].iloc[0]
    repro = subprocess.run([sys.executable, str(report_dir / row["repro"])], cwd="/", capture_output=True, text=True,
                           timeout=120)
    assert repro.returncode == 1 and "REPRODUCES" in repro.stdout, repro.stdout + repro.stderr
    if not torch.cuda.is_available():  # the CUDA-only op: skipped, and listed as not tested with why
        result.stdout.fnmatch_lines(["* 1 skipped*"])
        assert summary["ops_skipped"] == {"crossref_test.cuda_only.default": "no kernel on cpu"}


def test_ops_registered_by_a_plugin_module_are_selectable(sweep_run, pytester):
    """The -p route: a module pytest loads as a plugin registers the ops before collection."""
    pytester.makepyfile(my_ops_plugin=f"import sys\nsys.path.insert(0, {str(TESTS)!r})\nimport custom_ops  # noqa\n")
    result, report_dir = sweep_run("-p", "my_ops_plugin", "--crossref-ops=crossref_test.value_rank.default")
    assert result.ret == 1, result.stdout.str()
    found = pd.read_parquet(report_dir / "findings.parquet")
    assert set(found[found["category"] == "value"]["op"]) == {"crossref_test.value_rank.default"}


@pytest.mark.parametrize("args, message", [
    (("--crossref-import=no_such_module_anywhere",),
     r"--crossref-import='no_such_module_anywhere': cannot import it: ModuleNotFoundError"),
    (("--crossref-import=missing/ops.py",), r"--crossref-import='missing/ops.py': no such file"),
    (("--crossref-ops=nolib.*",), r"--crossref-ops pattern 'nolib\.\*': no overloads in namespace 'nolib' are "
                                   r"registered; is the module that registers them imported \(--crossref-import=MODULE\)"),
], ids=["module", "file", "namespace"])
def test_custom_op_usage_errors_are_one_line(sweep_run, args, message):
    import re

    result, report_dir = sweep_run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert len([line for line in err.splitlines() if re.search(message, line)]) == 1, err
    assert "Traceback" not in err, err


# ----------------------------------------------------------------- the guide's example, as written

#: The custom-op guide, whose first example is run as written.
GUIDE = TESTS.parent / "docs" / "guide" / "custom-ops.md"


def _readme_block(heading: str) -> str:
    """The first python block of the custom-op guide (its page title is ``heading``)."""
    text = GUIDE.read_text()
    assert text.startswith(f"# {heading}\n"), text[:80]
    return text.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_finds_and_shrinks_the_wrong_fake_kernel(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(_readme_block("Test your custom op's fake kernel"))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("[high dtype] cpu out[0].dtype: real=float32 fake=int64  call: mylib.scale.default(")
               for line in lines), done.stdout
    assert any(line.startswith("[medium stride] cpu out[0].stride:") and "permuted" in line for line in lines), \
        done.stdout
    # The guide shows the output it prints.
    shown = GUIDE.read_text().split("prints (each call shrunk", 1)[1].split("```\n", 2)[1]
    assert shown.strip().splitlines() == lines, (shown, done.stdout)


# ----------------------------------------------------------------- installed from a wheel, run from elsewhere

@pytest.fixture
def installed(tmp_path_factory):
    """A wheel of this checkout installed into a fresh venv (no crossref on its path
    but the wheel's; torch and the other dependencies come from the running
    environment's site-packages through a .pth file, so no network is needed)."""
    import site
    import sysconfig

    import shutil

    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"  # a copy: a build writes build/ and *.egg-info next to its sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "crossref", "strategies", "suites"):
        copy = shutil.copytree if (TESTS.parent / name).is_dir() else shutil.copy
        copy(TESTS.parent / name, source / name, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                                   if (TESTS.parent / name).is_dir() else {}))
    wheels = root / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            str(source), "-w", str(wheels)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("crossref-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]] if p.endswith("site-packages")]
    (Path(purelib) / "_crossref_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                           str(wheel)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return wheel, venv


def test_the_installed_wheel_sweeps_a_custom_namespace_from_another_directory(installed, tmp_path):
    """One test, so that one process builds the wheel (a fixture per xdist worker would not)."""
    import zipfile

    wheel, venv = installed
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"crossref", wheel.name.split("-py3")[0] + ".dist-info"}, tops  # one top-level name
    assert "crossref/strategies/tensors.py" in names and "crossref/suites/plugin.py" in names
    assert "crossref/suites/controller.py" in names and "crossref/suites/worker.py" in names
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "my_ops.py").write_text((TESTS / "custom_ops.py").read_text())
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("PYTHONPATH", "CROSSREF_PROFILE")}
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import crossref; print(crossref.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), where
    done = subprocess.run([str(venv / "bin" / "crossref"), "sweep", "-n", "2", "--hypothesis-profile=ci", "-q",
                           "--crossref-import=my_ops", "--crossref-ops=crossref_test.*"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    found = pd.read_parquet(work / "reports" / "latest" / "findings.parquet")
    failing = found[found["category"] != "unsupported"]
    for name, category in custom_ops.PLANTED.items():
        assert ((failing["op"] == name) & (failing["category"] == category)).any(), name
    assert not failing["op"].isin([t for t in custom_ops.TWINS if t not in custom_ops.TWIN_MODES]).any()
    # The API from the same place, and a repro script that imports the op's module from there.
    api = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import crossref, my_ops; fs = crossref.check_op(my_ops.value_rank, examples=25); "
                          "print(sorted({f.category for f in fs})); open('repro.py', 'w').write(fs[0].repro_script)"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert api.returncode == 0 and api.stdout.strip() == "['value']", api.stdout + api.stderr
    repro = subprocess.run([str(venv / "bin" / "python"), str(work / "repro.py")], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert repro.returncode == 1 and "REPRODUCES" in repro.stdout, repro.stdout + repro.stderr
