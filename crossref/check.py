"""One check: an OpCall run for real and fake on each device, compared, classified and
recorded. This is the single entry point suites (and anyone else) call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import _torch
from .classify import Finding, classify, status
from .compare import compare
from .execute import Outcome, run_fake, run_real
from .opcall import OpCall
from .record import Recorder
from . import repro


@dataclass(frozen=True, slots=True)
class DeviceCheck:
    device: str
    status: str
    real: Outcome
    fake: Outcome
    findings: tuple[Finding, ...]


@dataclass(slots=True)
class Checker:
    """Runs checks with fixed options and records every one of them.

    ``recorder`` may be None (nothing written: used by tests and the benchmark).
    ``phase`` is stamped on result rows (``generate`` or ``shrink``).
    """

    devices: tuple[str, ...] = ("cpu",)
    all_strides: bool = False
    recorder: Recorder | None = None
    seen: dict[str, int] = field(default_factory=dict)  # signature -> size of the example stored

    def run(self, call: OpCall, tags: frozenset[str] = frozenset(), *, item: str = "", phase: str = "generate") -> list[DeviceCheck]:
        checks = []
        for device in self.devices:
            start = time.perf_counter()
            _torch.clear_fake_cache()
            real = run_real(call, device)
            fake = run_fake(call, device)
            mismatches = compare(real, fake, all_strides=self.all_strides)
            findings = classify(call, tags, real, fake, mismatches)
            check = DeviceCheck(device, status(real, fake, findings), real, fake, findings)
            checks.append(check)
            if self.recorder is not None:
                self._record(call, check, item, phase, time.perf_counter() - start)
        return checks

    def _record(self, call: OpCall, check: DeviceCheck, item: str, phase: str, seconds: float) -> None:
        rec = self.recorder
        assert rec is not None
        real, fake = check.real, check.fake
        rec.write(
            "result",
            {
                "item": item,
                "op": call.op,
                "family": call.family,
                "refined": call.refined,
                "device": check.device,
                "dtypes": ",".join(call.dtypes()),
                "status": check.status,
                "category": check.findings[0].category if check.findings else "",
                "signatures": ",".join(f.signature for f in check.findings),
                "valid": real.error is None,
                "real_error": real.error.short() if real.error else "",
                "fake_error": fake.error.short() if fake.error else "",
                "real_seconds": real.seconds,
                "fake_seconds": fake.seconds,
                "check_seconds": seconds,
                "phase": phase,
            },
        )
        size = call.size_key()
        for f in check.findings:
            rec.write("finding", {**finding_row(f), "item": item, "phase": phase})
            # Keep one example per signature: the first seen, replaced by smaller ones.
            if f.signature not in self.seen or size < self.seen[f.signature]:
                self.seen[f.signature] = size
                self.store_example(call, f, shrunk=False)

    def store_example(self, call: OpCall, f: Finding, *, shrunk: bool) -> str:
        """Write the finding's repro script and an ``example`` row; return the script path."""
        rec = self.recorder
        assert rec is not None
        path = rec.repro_path(f.signature)
        path.write_text(
            repro.render(call, signature=f.signature, category=f.category, field=f.field,
                         device=f.device, all_strides=self.all_strides, known=f.known)
        )
        rec.write("example", {"signature": f.signature, "example": call.describe(), "size": call.size_key(),
                              "shrunk": shrunk, "repro": f"repros/{f.signature}.py"})
        return str(path)


def finding_row(f: Finding) -> dict:
    return {
        "signature": f.signature,
        "op": f.op,
        "category": f.category,
        "severity": f.severity,
        "field": f.field,
        "real": f.real,
        "fake": f.fake,
        "device": f.device,
        "dtypes": ",".join(f.dtypes),
        "traits": ",".join(f.traits),
        "known": f.known or "",
    }
