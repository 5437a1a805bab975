"""Watching real programs (crossref/watcher.py): every op a program runs is checked as a
drawn call is, its findings shrunk and written with where they came from, and the calls
it made seed the sweep.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pandas as pd
import pytest
import torch

import corpus_ops
import crossref
import plants
from crossref.errors import UsageError
from crossref.check.opcall import materialize
from crossref.reporting import cli
from crossref.watcher import call_key, capture, read_corpus
from support import BASE_ARGS, SUITE, TESTS


class TwoLayers(torch.nn.Module):
    """A model with its own forward: the frame of a finding is a line of it."""

    def __init__(self) -> None:
        super().__init__()
        self.w1 = torch.nn.Parameter(torch.randn(4, 8))
        self.w2 = torch.nn.Parameter(torch.randn(8, 3))

    def forward(self, x):
        hidden = torch.relu(x @ self.w1)  # the first mm
        return hidden @ self.w2


FIRST_MM = inspect.getsourcelines(TwoLayers.forward)[1] + 1


def _train_step(run_dir, **kw):
    torch.manual_seed(0)
    model = TwoLayers()
    with crossref.watch(run_dir, program="two layers", **kw) as session:
        model(torch.randn(5, 4)).sum().backward()
    return session, pd.read_parquet(run_dir / "findings.parquet")


def test_a_planted_bug_in_a_model_is_found_with_the_models_line_and_a_shrunk_repro(tmp_path):
    with plants.planted("stride"):  # mm answers column-major strides in fake mode
        session, findings = _train_step(tmp_path / "run")
    assert set(findings["op"]) <= {"aten.mm.default", "aten.addmm.default"} and len(findings), findings
    assert set(findings["category"]) == {"stride"} and findings["met"].all()
    forward = findings[findings["frame"].str.contains("(forward)", regex=False)]
    assert len(forward) == 1, findings[["op", "frame"]]
    row = forward.iloc[0]
    assert row["program"] == "two layers"
    assert row["frame"].endswith(f"test_watcher.py:{FIRST_MM} (forward)"), row["frame"]
    assert row["shrunk"] and "[5,4]" not in row["example"], row["example"]  # shrunk from the real 5x4 call
    script = tmp_path / "run" / row["repro"]
    done = plants.run_script(script, "stride")
    assert plants.clean_exit(done) == 0 and done.returncode == 1, done.stdout[-2000:]
    # Every distinct call, without its values, in the corpus; the summary counts them.
    lines = [json.loads(line) for line in (tmp_path / "run" / "corpus.jsonl").read_text().splitlines()]
    assert lines and all('"captured"' not in line["call"] for line in lines)
    assert "aten.mm.default" in {line["op"] for line in lines}
    assert session.summary["corpus"]["distinct"] == len(lines) and session.summary["watched"]


def test_the_same_model_without_a_plant_has_no_finding(tmp_path):
    session, findings = _train_step(tmp_path / "run")
    assert len(findings) == 0 and session.summary["checks"] > 0
    assert session.summary["ops_checked"] >= 5  # mm, relu, the backward's threshold_backward, t, sum...


def test_ops_narrows_what_is_checked(tmp_path):
    session, _ = _train_step(tmp_path / "run", ops="aten.relu*")
    checked = set(pd.read_parquet(tmp_path / "run" / "results.parquet")["op"])
    assert checked == {"aten.relu.default"}, checked


def test_a_captured_call_rebuilds_the_programs_tensors_exactly():
    base = torch.randn(6, 5)
    view = base[1:, ::2].t()  # a view at an offset, strided
    param = torch.nn.Parameter(torch.randn(3, 2))
    index = torch.tensor([4, 0, 2])
    op = torch.ops.aten.index_select.default
    call = capture(op, (view, 0, index), {})
    args, _, inputs = materialize(call, "cpu")
    assert torch.equal(args[0], view) and args[0].stride() == view.stride()
    assert args[0].storage_offset() == 0  # the storage is kept from the first element the call uses
    assert torch.equal(args[2], index)
    shared = capture(torch.ops.aten.add.Tensor, (base[:2], base[2:4]), {})
    assert len(shared.storages) == 1  # two views of one buffer share one storage
    assert call_key(torch.ops.aten.mm.default, (param, param.t()), {}) is not None  # a Parameter is plain
    assert capture(torch.ops.aten.mm.default, (param, param.t()), {}).storages[0].requires_grad


def test_fake_and_functional_tensors_are_let_through(tmp_path):
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode() as mode:
        fake = torch.empty(3, 4)
    assert call_key(torch.ops.aten.add.Tensor, (fake, fake), {}) is None
    del mode


def test_the_backend_checks_the_ops_inductor_receives(tmp_path):
    """log_softmax reaches inductor decomposed (amax, sub, exp, sum, log): a bug planted
    in amax is found on amax by backend="crossref"; the eager watcher sees _log_softmax
    only (whose fake answer the planted amax spoils)."""
    def program(x):
        return torch.log_softmax(x, -1)

    x = torch.randn(3, 4)
    with plants.planted("amax_negative_dim"):
        with crossref.watch(tmp_path / "eager"):
            program(x)
        torch._dynamo.reset()
        with crossref.watch(tmp_path / "compiled", eager=False):
            torch.compile(program, backend="crossref", fullgraph=True)(x)
        torch._dynamo.reset()
    seen = set(pd.read_parquet(tmp_path / "compiled" / "results.parquet")["op"])
    assert "aten.amax.default" in seen and "aten._log_softmax.default" not in seen, seen
    found = pd.read_parquet(tmp_path / "compiled" / "findings.parquet")
    assert {"aten.amax.default"} == set(found["op"]) and set(found["category"]) == {"shape"}, found
    assert set(pd.read_parquet(tmp_path / "eager" / "findings.parquet")["op"]) == {"aten._log_softmax.default"}
    assert "aten.amax.default" not in set(pd.read_parquet(tmp_path / "eager" / "results.parquet")["op"])


def test_crossref_watch_runs_a_script_like_cprofile(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text("import sys, torch\n"
                      "assert sys.argv[1:] == ['--steps', '2'], sys.argv\n"
                      "for _ in range(int(sys.argv[2])):\n"
                      "    torch.relu(torch.randn(3, 4)).sum()\n")
    run_dir = tmp_path / "run"
    code = cli.main(["watch", "--report-dir", str(run_dir), str(script), "--steps", "2"])
    err = capsys.readouterr().err
    assert code == 0, err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["watched"] and summary["calls_seen"] > summary["distinct_calls"] > 0  # the second step repeats
    assert "crossref watch:" in err
    assert cli.main(["watch", str(tmp_path / "missing.py")]) == 2


def test_a_bad_corpus_is_one_line(tmp_path):
    from crossref.session.options import parse_options

    with pytest.raises(UsageError, match="--crossref-corpus: 'nowhere.jsonl' is not a corpus file"):
        parse_options(None, None, None, None, corpus="nowhere.jsonl")
    bad = tmp_path / "corpus.jsonl"
    bad.write_text('{"op": "aten.mm.default", "call": "not json"}\n')
    with pytest.raises(UsageError, match="line 1 is not a crossref call"):
        parse_options(None, None, None, None, corpus=str(tmp_path))
    with pytest.raises(ValueError, match="cannot be read"):
        read_corpus([tmp_path / "gone.jsonl"])


# ----------------------------------------------------------------- a project's tests and the corpus


def _pytest(where, *args):
    return subprocess.run([sys.executable, "-m", "pytest", *args], capture_output=True, text=True, timeout=600,
                          cwd=where)


def test_a_projects_tests_under_watch_give_the_corpus_that_finds_a_bug_the_sweep_alone_misses(tmp_path):
    (tmp_path / "test_library.py").write_text(corpus_ops.library_test_source())
    watched = _pytest(tmp_path, "test_library.py", "-q", "-p", "no:cacheprovider", "--crossref-watch",
                      "--crossref-ops=crossref_corpus.*", f"--crossref-report-dir={tmp_path / 'watched'}")
    assert watched.returncode == 1, watched.stdout[-3000:]  # the library's test passes; the finding fails the run
    corpus = read_corpus([tmp_path / "watched" / "corpus.jsonl"])
    assert sorted(c.argument("width") for c in corpus[corpus_ops.OP]) == [1, 2, 3]
    found = pd.read_parquet(tmp_path / "watched" / "findings.parquet")
    stride = found[found["category"] == "stride"]  # (its 8x4-only check also specializes symbolic sizes)
    assert len(stride) == 1 and stride.iloc[0]["program"].endswith("test_library.py::test_widths")
    assert stride.iloc[0]["frame"].startswith("test_library.py:"), stride.iloc[0]["frame"]

    def sweep(name, *extra):
        done = _pytest(tmp_path, SUITE, *BASE_ARGS, "-q", "--hypothesis-profile=ci", "--crossref-modes=static",
                       f"--crossref-import={TESTS / 'corpus_ops.py'}", f"--crossref-ops={corpus_ops.OP}",
                       f"--crossref-report-dir={tmp_path / name}", *extra)
        assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-2000:]
        return pd.read_parquet(tmp_path / name / "findings.parquet")

    alone = sweep("alone")
    assert "stride" not in set(alone["category"]), alone[["category", "example"]]
    seeded = sweep("seeded", f"--crossref-corpus={tmp_path / 'watched'}")
    stride = seeded[seeded["category"] == "stride"]
    assert len(stride) == 1 and stride.iloc[0]["met"], seeded[["category", "example", "met"]]


def test_the_watcher_never_breaks_the_program(tmp_path, monkeypatch):
    """A failure of the watcher's own (here: every check raising) is a note in the run;
    the program runs on with its real results. An empty tensor is captured too."""
    from crossref.search.item import ItemSearch

    def broken(self, call):
        raise RuntimeError("the check broke")

    monkeypatch.setattr(ItemSearch, "check", broken)
    with crossref.watch(tmp_path / "run") as session:
        out = torch.relu(torch.randn(3)) + torch.ones(0).sum()
    assert out.shape == (3,) and session.errors >= 2
    notes = session.summary["notes"]
    assert any("the check broke" in n.get("watcher_error", "") for n in notes)
    empty = capture(torch.ops.aten.add.Tensor, (torch.ones(0), torch.ones(0)), {})
    assert materialize(empty, "cpu")[2][0].numel() == 0


def test_a_program_under_autocast_is_checked_as_its_kernels_see_it(tmp_path, monkeypatch):
    """The watcher sees calls autocast has cast already (batch norm's statistics stay
    float32 beside a bfloat16 input): they are checked with autocast off, as the kernels
    saw them, not cast a second time; the known divergence of the saved statistics'
    dtype under autocast is found."""
    from crossref.search.item import ItemSearch

    seen = []
    check = ItemSearch.check

    def spy(self, call):
        seen.append(torch.is_autocast_enabled("cpu"))
        return check(self, call)

    monkeypatch.setattr(ItemSearch, "check", spy)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU()).train()
    with torch.autocast("cpu", dtype=torch.bfloat16), crossref.watch(tmp_path / "run", ops="aten.native_batch_norm*"):
        model(torch.randn(2, 3, 6, 6)).float().sum().backward()
    assert seen and not any(seen)
    found = pd.read_parquet(tmp_path / "run" / "findings.parquet")
    dtype = found[(found["op"] == "aten.native_batch_norm.default") & (found["category"] == "dtype")]
    assert set(dtype["field"]) == {"out[1].dtype", "out[2].dtype"} and (dtype["real"] == "float32").all()
