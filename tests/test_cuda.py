"""CUDA semantics: tensors left on the CPU beside CUDA ones, pinned memory, each
attention backend alone, TF32 on and off (strategies/variants.py's device and context
variants, opcall's ``StorageSpec.host`` and ``OpCall.cuda_context``, execute's
``cuda_context``), and a real device-side assert.

The first half runs anywhere: what is drawn, how it is built (the meta device stands in
for the accelerator), written and replayed. The second half needs a GPU and skips
cleanly without one (bench/gpu_check.sh runs it on one)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch

from crossref.check import catalog
from crossref.check.checker import Checker
from crossref.check.execute import cuda_context
from crossref.check.opcall import (
    CUDA_CONTEXTS,
    DEVICE,
    OpCall,
    StorageSpec,
    TensorSpec,
    call_from_json,
    call_to_json,
    materialize,
)
from crossref.check.repro import render, snippet
from crossref.strategies.drive import drive

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
ROOT = Path(__file__).resolve().parents[1]


def _drawn(op: str, *, accelerated: bool, examples: int = 12) -> list[OpCall]:
    calls: list[OpCall] = []
    drive(catalog.entry(op), lambda c: calls.append(c) or True, examples=examples, accelerated=accelerated)
    return calls


def _add(host: str = "", size=(), other_size=(2, 3)) -> OpCall:
    """aten.add.Tensor of a (2, 3) float tensor and a second one left on ``host``."""
    return OpCall("aten.add.Tensor", (TensorSpec(0, other_size, (3, 1)), TensorSpec(1, size, (1,) * len(size))), (),
                  (StorageSpec(torch.float32, 6), StorageSpec(torch.float32, max(1, len(size) and 6), host=host)))


# ----------------------------------------------------------------- anywhere


def test_device_and_context_variants_are_drawn_only_with_an_accelerator():
    for op in ("aten.add.Tensor", "aten.mm.default", "aten.scaled_dot_product_attention.default"):
        plain = _drawn(op, accelerated=False)
        assert not any(c.hosted or c.cuda_context for c in plain)
        accelerated = _drawn(op, accelerated=True)
        kinds = {c.variant.split(":")[0] for c in accelerated if c.hosted} | {c.cuda_context for c in accelerated}
        assert {"cpu", "cpu-0-d"} <= kinds, (op, kinds)
        # the draws themselves are the same: the variants come on top
        assert [c.describe() for c in plain if not c.variant] == [c.describe() for c in accelerated if not c.variant]
    contexts = {c.cuda_context for c in _drawn("aten.scaled_dot_product_attention.default", accelerated=True,
                                                  examples=25)}
    assert {"sdpa:flash", "sdpa:efficient", "sdpa:math"} <= contexts
    assert {c.cuda_context for c in _drawn("aten.mm.default", accelerated=True)} - {""} <= {"tf32:on", "tf32:off"}


def test_a_copy_to_the_device_gets_its_source_in_pinned_memory():
    pinned = [c for c in _drawn("aten._to_copy.default", accelerated=True, examples=30) if c.variant.startswith("pinned")]
    assert pinned, "no pinned variant of _to_copy"
    call = pinned[0]
    assert any(s.host == "pinned" for s in call.storages) and "@pinned" in call.describe()
    assert any(v is DEVICE for _, v in call.kwargs)


def test_a_host_storage_stays_on_the_cpu_and_survives_json_and_the_repro():
    call = _add("cpu")
    args, _, inputs = materialize(call, "meta")  # meta stands in for the accelerator
    assert [t.device.type for t in inputs] == ["meta", "cpu"]
    assert call.describe() == "aten.add.Tensor(T0:float32[2,3], T1:float32[]@cpu)"
    assert "cpu-tensor" in call.traits()
    back = call_from_json(call_to_json(call))
    assert back == call and back.storages[1].host == "cpu"
    with_context = OpCall("aten.mm.default", call.args, (), call.storages, cuda_context="tf32:on")
    assert call_from_json(call_to_json(with_context)).cuda_context == "tf32:on"
    bad = json.loads(call_to_json(with_context))
    bad["cuda_context"] = "tf64"
    with pytest.raises(ValueError, match="unknown cuda_context 'tf64'"):
        call_from_json(json.dumps(bad))
    script = render(call, signature="sig", category="shape", field="out[0].shape", device="cuda")
    assert ".to(torch.float32)\n" in script and ".to(torch.float32).to(DEVICE)" in script  # s1 stays, s0 moves
    assert "CUDA_CONTEXT = ''" in script
    compile(script, "repro.py", "exec")


def test_on_the_cpu_a_host_or_context_call_is_not_checked_again():
    """The same call as without them on the CPU: the checker skips it there."""
    checker = Checker(devices=("cpu",), checks=("forward",))
    assert checker.compute(_add("cpu")) == []
    assert checker.compute(OpCall("aten.mm.default", (TensorSpec(0, (2, 2), (2, 1)), TensorSpec(0, (2, 2), (2, 1))),
                                  (), (StorageSpec(torch.float32, 4),), cuda_context="sdpa:math")) == []
    assert [c.status for c in checker.compute(_add())] == ["match"]


def test_cuda_contexts_set_torch_s_switches_on_cuda_only():
    from contextlib import nullcontext

    assert isinstance(cuda_context("sdpa:flash", "cpu"), nullcontext)
    assert isinstance(cuda_context("", "cuda:0"), nullcontext)
    before = (torch.backends.cuda.flash_sdp_enabled(), torch.backends.cuda.math_sdp_enabled())
    with cuda_context("sdpa:flash", "cuda:0"):
        assert torch.backends.cuda.flash_sdp_enabled() and not torch.backends.cuda.math_sdp_enabled()
    with cuda_context("sdpa:math", "cuda"):
        assert torch.backends.cuda.math_sdp_enabled() and not torch.backends.cuda.flash_sdp_enabled()
    assert (torch.backends.cuda.flash_sdp_enabled(), torch.backends.cuda.math_sdp_enabled()) == before
    matmul = torch.backends.cuda.matmul
    setting = "fp32_precision" if hasattr(matmul, "fp32_precision") else "allow_tf32"
    saved = getattr(matmul, setting)
    with cuda_context("tf32:on", "cuda"):
        assert getattr(matmul, setting) in ("tf32", True)
    with cuda_context("tf32:off", "cuda"):
        assert getattr(matmul, setting) in ("ieee", False)
    assert getattr(matmul, setting) == saved
    assert set(CUDA_CONTEXTS) == {"sdpa:flash", "sdpa:efficient", "sdpa:cudnn", "sdpa:math", "tf32:on", "tf32:off"}


def test_a_snippet_sets_the_call_s_context_on_cuda():
    call = OpCall("aten.mm.default", (TensorSpec(0, (2, 2), (2, 1)), TensorSpec(0, (2, 2), (2, 1))), (),
                  (StorageSpec(torch.float32, 4),), cuda_context="tf32:on")
    text = snippet(call, category="stride", field="out[0].stride", device="cuda")
    assert "allow_tf32 = True" in text
    assert "allow_tf32" not in snippet(call, category="stride", field="out[0].stride", device="cpu")


def test_attention_calls_are_mostly_valid_on_the_cpu():
    from crossref.search.item import verdict

    entry = catalog.entry("aten.scaled_dot_product_attention.default")
    checker = Checker(checks=("forward",))
    accepted = []
    drive(entry, lambda c: accepted.append(verdict(c, checker.run(c, entry.tags)).accepted) if not c.variant
          else verdict(c, checker.run(c, entry.tags)), examples=20)
    assert sum(accepted) >= 10, sum(accepted)


# ----------------------------------------------------------------- on a GPU


@needs_cuda
def test_a_cpu_scalar_beside_cuda_tensors_is_taken_and_a_cpu_tensor_refused_on_both_sides():
    checker = Checker(devices=("cuda",), checks=("forward",))
    (scalar,) = checker.compute(_add("cpu"))
    assert scalar.real.error is None and scalar.status == "match", scalar
    (tensor,) = checker.compute(_add("cpu", size=(2, 3)))
    assert tensor.real.error is not None and tensor.fake.error is not None and not tensor.findings, tensor


@needs_cuda
def test_a_non_blocking_copy_from_pinned_memory_matches():
    call = OpCall("aten._to_copy.default", (TensorSpec(0, (2, 3), (3, 1)),),
                  (("device", DEVICE), ("non_blocking", True)), (StorageSpec(torch.float32, 6, host="pinned"),))
    (check,) = Checker(devices=("cuda",), checks=("forward",)).compute(call)
    assert check.real.error is None and check.status == "match", check


@needs_cuda
def test_each_attention_backend_is_checked_alone():
    entry = catalog.entry("aten.scaled_dot_product_attention.default")
    checker = Checker(devices=("cuda",), checks=("forward",))
    ran: dict[str, int] = {}

    def check(call):
        checks = checker.compute(call, entry.tags)
        if call.cuda_context and checks and checks[0].real.error is None:
            ran[call.cuda_context] = ran.get(call.cuda_context, 0) + 1
        return all(c.real.error is None for c in checks)

    drive(entry, check, examples=40, accelerated=True)
    assert {"sdpa:flash", "sdpa:efficient", "sdpa:math"} <= set(ran), ran


_POISON = textwrap.dedent('''
    import torch

    @torch.library.custom_op("crossref_poison::assert_in_kernel", mutates_args=())
    def assert_in_kernel(x: torch.Tensor) -> torch.Tensor:
        if x.is_cuda and x.numel() % 2:  # a real device-side assert: the context is poisoned
            idx = torch.full((1,), 10**6, device=x.device, dtype=torch.long)
            x[idx].sum().item()
        return x.clone()

    @assert_in_kernel.register_fake
    def _(x):
        return torch.empty_like(x)
''')


@needs_cuda
def test_a_device_side_assert_is_a_crash_and_the_worker_s_next_items_run(tmp_path):
    (tmp_path / "poison_ops.py").write_text(_POISON)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "suites" / "test_ops.py"), "-q", "-p", "no:randomly",
         "-p", "no:cacheprovider", "--rootdir", str(ROOT), "--hypothesis-profile=dev", "--crossref-devices=cuda",
         "--crossref-modes=static", f"--crossref-import={tmp_path / 'poison_ops.py'}",
         "--crossref-ops=crossref_poison.assert_in_kernel.default,aten.add.Tensor,aten.mm.default",
         f"--crossref-report-dir={tmp_path / 'run'}"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    results = pd.read_parquet(tmp_path / "run" / "results.parquet")
    poison = results[results["op"] == "crossref_poison.assert_in_kernel.default"]
    assert (poison["status"] == "crash").any(), poison["status"].value_counts()
    after = results[results["op"].isin(["aten.add.Tensor", "aten.mm.default"])]
    assert len(after) and not (after["status"] == "crash").any(), after["status"].value_counts()
    assert (after["valid"]).sum() > 10


#: Plants (tests/plants.py) checked on the GPU: each category of metadata and error parity.
CUDA_PLANTS = ("shape", "dtype", "device", "stride", "storage_offset", "alias_input", "mutation", "requires_grad",
               "structure", "missing_error", "spurious_error")


@needs_cuda
@pytest.mark.parametrize("name", CUDA_PLANTS)
def test_planted_bugs_are_found_on_cuda(name):
    from plants import PLANTS, planted
    from support import findings, sweep

    plant = PLANTS[name]
    with planted(name):
        seen = sweep(plant.op, 60, Checker(devices=("cuda",)))
    hits = [f for _, f in findings(seen, plant.category) if f.op == plant.op]
    assert hits and all(f.device.startswith("cuda") for f in hits), (name, len(seen))


@needs_cuda
def test_the_watcher_keeps_a_cpu_scalar_of_a_cuda_call_on_the_cpu():
    from crossref.watcher import capture

    call = capture(torch.ops.aten.add.Tensor, (torch.ones(2, 3, device="cuda"), torch.tensor(2.0)), {})
    assert [s.host for s in call.storages] == ["", "cpu"]
    (check,) = Checker(devices=("cuda",), checks=("forward",)).compute(call)
    assert check.real.error is None and check.status == "match", check
