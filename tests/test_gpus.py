"""Workers and GPUs (crossref/session/gpus.py): the pinning arithmetic from environment
values, the worker count of -n auto; tested on any machine."""

from __future__ import annotations

import pytest

from crossref.session import gpus


@pytest.mark.parametrize("env, expected", [
    ({"CUDA_VISIBLE_DEVICES": "2,3,5"}, ["2", "3", "5"]),
    ({"CUDA_VISIBLE_DEVICES": "GPU-aaa,GPU-bbb"}, ["GPU-aaa", "GPU-bbb"]),
    ({"CUDA_VISIBLE_DEVICES": ""}, []),
    ({"CUDA_VISIBLE_DEVICES": "-1"}, []),
    ({}, ["0", "1", "2", "3"]),  # unset: what torch sees (4 here)
])
def test_the_runner_s_gpus(env, expected):
    assert gpus.visible_gpus(env, count=4) == expected


@pytest.mark.parametrize("worker, per_gpu, expected", [
    ("gw0", 1, "2"), ("gw1", 1, "3"), ("gw2", 1, "5"), ("gw3", 1, "2"),  # wraps around
    ("gw0", 2, "2"), ("gw1", 2, "2"), ("gw2", 2, "3"), ("gw5", 2, "5"), ("gw6", 2, "2"),
    ("main", 1, None), ("", 1, None),
])
def test_each_worker_gets_a_gpu_of_the_runner_s_list(worker, per_gpu, expected):
    assert gpus.gpu_for(worker, ["2", "3", "5"], per_gpu) == expected


def test_pinning_sets_the_worker_s_only_visible_gpu_and_keeps_the_runner_s_list():
    env = {"CUDA_VISIBLE_DEVICES": "4,7"}
    assert gpus.pin("gw1", env=env) == "7"
    assert env == {"CUDA_VISIBLE_DEVICES": "7", "CROSSREF_RUNNER_GPUS": "4,7"}
    # a worker xdist restarts in the same process tree pins again from the runner's list
    assert gpus.pin("gw2", env=env) == "4" and env["CUDA_VISIBLE_DEVICES"] == "4"
    assert gpus.pin("gw0", env={}, count=0) is None  # no GPU: nothing to pin


@pytest.mark.parametrize("env, per_gpu, expected", [
    ({"CUDA_VISIBLE_DEVICES": "0,1,2,3,4,5,6,7"}, 1, 8),
    ({"CUDA_VISIBLE_DEVICES": "0,1"}, 3, 6),
    ({"CUDA_VISIBLE_DEVICES": ""}, 1, None),  # no GPU: xdist's own count
])
def test_auto_workers_follow_the_gpus(env, per_gpu, expected):
    assert gpus.auto_workers(per_gpu, env) == expected


# ----------------------------------------------------------------- a poisoned context

import torch  # noqa: E402

from crossref.check.opcall import OpCall, StorageSpec, TensorSpec  # noqa: E402
from crossref.session.isolate import Isolated  # noqa: E402

if not hasattr(torch.ops, "crossref_gpu_test") or not hasattr(torch.ops.crossref_gpu_test, "poison"):
    @torch.library.custom_op("crossref_gpu_test::poison", mutates_args=())
    def _poison(x: torch.Tensor) -> torch.Tensor:
        if x.numel() == 3:  # as a device-side assert leaves a CUDA context: every later call fails
            raise RuntimeError("CUDA error: device-side assert triggered\nCompile with TORCH_USE_CUDA_DSA")
        return x.clone()

    @_poison.register_fake
    def _(x):
        return torch.empty_like(x)


def _call(n: int) -> OpCall:
    return OpCall("crossref_gpu_test.poison.default", (TensorSpec(0, (n,), (1,)),), (), (StorageSpec(torch.float32, n),))


def test_a_sticky_cuda_error_is_a_crash_of_its_call_and_the_next_calls_run_in_a_fresh_process():
    """Simulated on the CPU: a kernel raises the error a device-side assert leaves. The
    check that met it is a crash ("poisoned its CUDA context"), its process makes way
    for a fresh one, and the calls after it are checked as usual, not turned into
    findings of their own."""
    iso = Isolated({"devices": ("cpu",), "all_strides": False, "checks": ("forward",)})
    try:
        first = iso.compute(_call(2), frozenset())
        assert first[0].status == "match"
        pid = iso.child.proc.pid
        poisoned = iso.compute(_call(3), frozenset())
        (check,) = poisoned
        assert check.status == "crash" and check.findings[0].category == "crash"
        assert "poisoned its CUDA context: RuntimeError: CUDA error: device-side assert" in check.findings[0].real
        after = [iso.compute(_call(n), frozenset())[0] for n in (2, 4, 5)]
        assert [c.status for c in after] == ["match", "match", "match"]
        assert iso.child.proc.pid != pid  # a fresh process
    finally:
        iso.close()
