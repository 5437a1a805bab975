"""The ATen ops real programs call: which findings a real model can meet.

``workload_ops.txt`` (shipped with crossref) lists the overloads that common models
call in their forward and backward passes (float32, channels_last and bfloat16
autocast), recorded by ``bench/workload_ops.py`` from torchvision, timm and
transformers models built from their configs with random weights. A finding on one of
them is marked (findings.parquet's ``workload``, the clusters' ``workload_ops``).

Torch-free: the reporting tools read it.
"""

from __future__ import annotations

import functools
from importlib import resources

FILE = "workload_ops.txt"


@functools.lru_cache(maxsize=1)
def ops() -> frozenset[str]:
    """The overloads (``aten.add.Tensor``) the list holds; empty if it is missing."""
    try:
        text = resources.files("crossref").joinpath(FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return frozenset()
    return frozenset(line.split("#", 1)[0].strip() for line in text.splitlines()
                     if line.split("#", 1)[0].strip())


def called(op: str) -> bool:
    """Whether real models call ``op`` (an overload name)."""
    return str(op) in ops()
