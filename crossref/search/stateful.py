"""The engine of the stateful cache test: one FakeTensorMode and its dispatch cache
kept alive across a sequence of calls on a pool of real tensors and their fakes.

Each step runs the call three ways, in this order: under a fresh mode with the cache
off (the reference), under the long-lived mode (its cache filled by every earlier
step), and for real (last, since in-place calls mutate the pool). A cached result that
differs from the reference is a ``cache`` finding: a key that leaves out something
that matters, or an entry that depends on what ran before. The whole sequence is
rendered as one repro script.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .. import _torch
from ..check import repro
from ..check.classify import Finding, cache_findings
from ..check.compare import Outcome
from ..check.execute import run_fake, run_real
from ..check.opcall import OpCall, StorageSpec, storage_values


@dataclass(slots=True)
class Pool:
    """The long-lived state: the mode, the real tensors (memo) and the calls so far."""

    device: str = "cpu"
    all_strides: bool = False
    mode: _torch.FakeTensorMode = field(default_factory=_torch.new_fake_mode)
    memo: dict = field(default_factory=dict)
    steps: list[OpCall] = field(default_factory=list)
    inference: set[int] = field(default_factory=set)  # storages built under inference_mode

    def build_inference_storage(self, index: int, spec: StorageSpec) -> None:
        """Build storage ``index`` (``spec``) as an inference tensor, before its first use."""
        with torch.inference_mode():
            self.memo.setdefault("bases", {})[(index, spec)] = storage_values(spec).to(self.device)
        self.inference.add(index)

    last: tuple[Outcome, Outcome, Outcome] | None = None  # (reference, cached, real) of the last step

    def apply(self, call: OpCall) -> tuple[Finding, ...]:
        """Run one step; return its cache findings (``last`` keeps the outcomes)."""
        self.steps.append(call)
        reference = run_fake(call, self.device, _torch.new_fake_mode(cache=False), memo=self.memo)
        cached = run_fake(call, self.device, self.mode, memo=self.memo)
        real = run_real(call, self.device, memo=self.memo)
        self.last = (reference, cached, real)
        return cache_findings(call, self.device, reference, (("stateful", "cached", cached),),
                              all_strides=self.all_strides, traits=("cache:stateful", f"steps:{len(self.steps)}"))

    def render(self, finding: Finding) -> str:
        """A standalone script that replays every step and checks the last one."""
        return repro.render_sequence(self.steps, sorted(self.inference), signature=finding.signature,
                                     field=finding.field.removeprefix("stateful:"), device=self.device,
                                     all_strides=self.all_strides)
