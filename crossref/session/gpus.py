"""Workers and GPUs: which GPU each pytest-xdist worker uses, and how many workers a
machine gets.

``pytest -n auto`` starts one worker per CPU core, and without more every worker would
use ``cuda:0``: on a runner with 8 GPUs and 64 cores, 64 CUDA contexts share one GPU
and seven stay idle. The common practice (flash-attention's, triton's and axlearn's
conftests) is followed: each worker is pinned to one GPU by setting
``CUDA_VISIBLE_DEVICES`` from its ``PYTEST_XDIST_WORKER`` id, indexing into the
runner's own ``CUDA_VISIBLE_DEVICES`` list, in the worker itself and before torch
initialises CUDA (``pin``); ``-n auto`` becomes the GPUs times the workers each GPU
takes (``auto_workers``). The arithmetic is plain functions of environment values, so
it is tested on any machine.
"""

from __future__ import annotations

import os
import re

#: Workers per GPU under ``-n auto`` unless --crossref-workers-per-gpu says otherwise.
DEFAULT_WORKERS_PER_GPU = 1


def visible_gpus(env: dict[str, str] | None = None, count: int | None = None) -> list[str]:
    """The GPUs the runner gives this process, as ``CUDA_VISIBLE_DEVICES`` names them
    (indices or UUIDs), or ``0..count-1`` when it sets none; ``count``: the number torch
    sees (asked only when the variable is unset)."""
    env = os.environ if env is None else env
    listed = env.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [d.strip() for d in listed.split(",") if d.strip() and d.strip() != "-1"]
    if count is None:
        count = _torch_count()
    return [str(i) for i in range(count)]


def worker_index(worker: str) -> int | None:
    """``gw3`` -> 3 (pytest-xdist's worker ids); None for anything else."""
    m = re.fullmatch(r"gw(\d+)", worker or "")
    return int(m.group(1)) if m else None


def gpu_for(worker: str, gpus: list[str], per_gpu: int = DEFAULT_WORKERS_PER_GPU) -> str | None:
    """The GPU worker ``worker`` is pinned to: workers fill each GPU ``per_gpu`` at a time,
    round-robin (gw0..gw{per_gpu-1} on the first, and so on, wrapping around when there
    are more workers than GPU slots); None without GPUs or outside xdist."""
    k = worker_index(worker)
    if k is None or not gpus:
        return None
    return gpus[(k // max(per_gpu, 1)) % len(gpus)]


def pin(worker: str, per_gpu: int = DEFAULT_WORKERS_PER_GPU, env: dict[str, str] | None = None,
        count: int | None = None) -> str | None:
    """Pin this worker process to its GPU: ``CUDA_VISIBLE_DEVICES`` set to that one GPU
    (so the worker's ``cuda:0`` is it), the runner's list kept in
    ``CROSSREF_RUNNER_GPUS`` (a crash-isolation child inherits both). Must run before
    torch initialises CUDA. Returns the physical GPU, or None when there is none to pin."""
    env = os.environ if env is None else env
    runner = env.get("CROSSREF_RUNNER_GPUS")
    gpus = runner.split(",") if runner else visible_gpus(env, count)
    chosen = gpu_for(worker, gpus, per_gpu)
    if chosen is None:
        return None
    env["CROSSREF_RUNNER_GPUS"] = ",".join(gpus)
    env["CUDA_VISIBLE_DEVICES"] = chosen
    return chosen


def auto_workers(per_gpu: int = DEFAULT_WORKERS_PER_GPU, env: dict[str, str] | None = None,
                 count: int | None = None) -> int | None:
    """How many workers ``-n auto`` starts on a machine with GPUs: the GPUs times
    ``per_gpu``; None without GPUs (xdist's own count: one per CPU core)."""
    gpus = visible_gpus(env, count)
    return len(gpus) * max(per_gpu, 1) if gpus else None


def _torch_count() -> int:
    """The CUDA devices torch sees, without initialising CUDA (0 without a driver)."""
    import torch

    try:
        return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0
    except Exception:  # noqa: BLE001 - a broken driver counts as none
        return 0


def apply_memory_fraction(env: dict[str, str] | None = None) -> float | None:
    """``--crossref-gpu-memory-fraction`` (handed down as ``CROSSREF_GPU_MEMORY_FRACTION``)
    for this process's GPU, where there is one; returns the fraction set."""
    env = os.environ if env is None else env
    text = env.get("CROSSREF_GPU_MEMORY_FRACTION")
    if not text:
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    torch.cuda.set_per_process_memory_fraction(float(text))
    return float(text)
