"""One check: an OpCall run for real and fake on each device, in each selected compiler
mode (crossref/check/modes.py), compared, classified and recorded. This is the single entry
point suites (and anyone else) call.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import _torch
from ..rows import ResultRow, plain
from . import modes as modes_
from . import provenance, repro
from .classify import Finding, classify, classify_cache, status
from .compare import ErrorInfo, Mismatch, Outcome, compare, compare_inner
from .execute import run_fake, run_real
from .opcall import OpCall, call_to_json

if TYPE_CHECKING:  # the session's recorder is handed in: the check does not depend on the session
    from ..session.record import Recorder


#: The checks a run can select (``--crossref-checks``).
CHECKS = ("forward", "cache", "torch-cache")
DEFAULT_CHECKS = ("forward", "cache")


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Dispatch-cache counters over one check's fake runs (cold + repeat), and what the
    repeat run was: ``hit``, ``bypass`` (not cacheable) or ``miss`` (cacheable but the
    repeat missed, or nothing reached the cache)."""

    hits: int
    misses: int
    bypasses: tuple[tuple[str, int], ...]
    repeat: str  # hit | bypass | miss | raised

    @staticmethod
    def between(before, middle, after) -> CacheStats:
        h0, m0, b0 = before
        h1, m1, b1 = middle
        h2, m2, b2 = after
        bypasses = tuple(sorted((k, v - b0.get(k, 0)) for k, v in b2.items() if v - b0.get(k, 0) > 0))
        repeat_bypass = any(v - b1.get(k, 0) > 0 for k, v in b2.items())
        repeat = "hit" if h2 > h1 else "bypass" if repeat_bypass else "miss"
        return CacheStats(h2 - h0, m2 - m0, bypasses, repeat)

    def raised(self) -> CacheStats:
        return CacheStats(self.hits, self.misses, self.bypasses, "raised")


@dataclass(frozen=True, slots=True)
class DeviceCheck:
    device: str
    status: str
    real: Outcome
    fake: Outcome  # the cold fake run (cache just cleared), as a first compile sees it
    findings: tuple[Finding, ...]
    repeat: Outcome | None = None  # the same call again in the same mode (a cache hit when cacheable)
    fresh: Outcome | None = None  # the call in a mode with the cache disabled
    cache: CacheStats | None = None
    mode: str = "static"  # crossref/check/modes.py
    autocast: str = ""  # autocast mode: the dtype it ran in
    # False: the static check other modes needed, though static was not selected: it
    # tells the driver whether the kernel accepted the call, and is neither recorded
    # nor reported.
    selected: bool = True


@dataclass(slots=True)
class Checker:
    """Runs checks with fixed options and records every one of them.

    ``checks``: ``forward`` (real vs fake, always), ``cache`` (the dispatch-cache
    crosscheck: the cold fake run is repeated in the same mode, a hit when cacheable,
    and run again with the cache off; a repeat that differs from the uncached run is a
    ``cache`` finding) and ``torch-cache`` (torch's own crosscheck, which recomputes
    every hit and raises on a difference, switched on for the repeat).
    ``recorder`` may be None (nothing written: used by tests and the benchmark).
    ``phase`` is stamped on result rows (``generate`` or ``shrink``).
    """

    devices: tuple[str, ...] = ("cpu",)
    all_strides: bool = False
    recorder: Recorder | None = None
    checks: tuple[str, ...] = DEFAULT_CHECKS
    timeout: float = 20.0  # written into crash repros
    isolated: object | None = None  # an isolate.Isolated: compute in a child process
    progress: object | None = None  # callable(device_index, phase), told before each run
    seen: dict[str, int] = field(default_factory=dict)  # signature -> size of the example stored
    modes: tuple[str, ...] = ("static",)  # crossref/check/modes.py: the modes a drawn call is checked in
    impls: dict[str, str] = field(default_factory=dict)  # signature -> fake_impl (crossref/check/provenance.py)

    @property
    def accelerated(self) -> bool:
        """Whether a device other than the CPU is checked (the draws then vary what
        only an accelerator tells apart: strategies/variants.py)."""
        return any(d != "cpu" for d in self.devices)

    def run(self, call: OpCall, tags: frozenset[str] = frozenset(), *, item: str = "", phase: str = "generate",
            devices: tuple[str, ...] | None = None, cache: bool = True,
            modes: tuple[str, ...] | None = None) -> list[DeviceCheck]:
        """Compute the checks of ``call`` on every device (``devices``: on those only), in
        the child process when isolated, and record them. ``cache=False`` skips the
        cache crosscheck for this call: the forward check only, in a mode without the
        dispatch cache. ``modes``: the modes to check it in (default: the checker's)."""
        start = time.perf_counter()
        modes = self.modes if modes is None else modes
        if self.isolated is not None:
            checks = self.isolated.compute(call, tags, devices, cache, modes)
        else:
            checks = self.compute(call, tags, devices, cache, modes)
        if self.recorder is not None:
            chosen = [check for check in checks if check.selected]
            seconds = (time.perf_counter() - start) / max(len(chosen), 1)
            for check in chosen:
                self.record(call, check, item, phase, seconds)
        return checks

    def compute(self, call: OpCall, tags: frozenset[str] = frozenset(),
                devices: tuple[str, ...] | None = None, cache: bool = True,
                modes: tuple[str, ...] | None = None) -> list[DeviceCheck]:
        """Real run, fake run, comparison and classification on every device (of
        ``devices``), in every mode of ``modes`` (default: the checker's). The static
        check always runs (the other modes reuse its real run or compare with its
        findings); it is ``selected`` only when ``static`` is among ``modes``."""
        modes = self.modes if modes is None else modes
        checks = []
        cache_checks = cache and ("cache" in self.checks or "torch-cache" in self.checks)
        tell = self.progress or (lambda device_index, phase: None)
        for d, device in enumerate(self.devices):
            if devices is not None and device not in devices:
                continue
            if not call.runs_as_drawn_on(device):  # a CPU tensor or a CUDA context: the same call on the CPU
                continue
            if cache_checks:
                _torch.clear_fake_cache()
            tell(d, "real")
            real = run_real(call, device)
            # Without the cache crosscheck the fake run computes without the cache: a cold
            # run would compute the same answer and then only store it, at a sixth of the
            # fake run's time spent on keys and entries.
            mode = _torch.new_fake_mode(cache=cache_checks, torch_crosscheck="torch-cache" in self.checks)
            before = _torch.cache_counters()
            tell(d, "fake")
            fake = run_fake(call, device, mode)
            findings = classify(call, tags, real, fake, compare(real, fake, all_strides=self.all_strides))
            repeat = fresh = stats = None
            if cache_checks:
                middle = _torch.cache_counters()
                tell(d, "fake repeat")
                repeat = run_fake(call, device, mode)
                stats = CacheStats.between(before, middle, _torch.cache_counters())
                if repeat.error is not None:
                    stats = stats.raised()
                if findings or _differ(fake, repeat):
                    tell(d, "fake uncached")
                    fresh = run_fake(call, device, _torch.new_fake_mode(cache=False))
                    findings += classify_cache(call, real, fresh, fake, repeat, all_strides=self.all_strides)
            findings = self._attribute(findings, fake, call, device)
            static = DeviceCheck(device, status(real, fake, findings), real, fake, findings, repeat, fresh, stats,
                                 selected="static" in modes)
            checks.append(static)
            for mode in modes:
                if mode != "static":
                    checks += self._mode_checks(mode, call, tags, device, d, static)
        return checks

    def _mode_checks(self, mode: str, call: OpCall, tags: frozenset[str], device: str, d: int,
                     static: DeviceCheck) -> list[DeviceCheck]:
        """The checks of ``call`` in a mode other than static (crossref/check/modes.py)."""
        tell = self.progress or (lambda device_index, phase: None)
        reason = modes_.applies(mode, call, device)
        if reason:
            return [_not_applicable(mode, device, reason)]
        if mode in ("symbolic", "backward") and static.real.error is not None:
            # A call the kernel rejects is not traced symbolically: half of the drawn calls,
            # and two thirds of symbolic mode's time, for error parity the static check covers.
            return [DeviceCheck(device, "invalid", static.real, static.real, (), mode=mode)]
        if mode == "symbolic":
            tell(d, "symbolic fake")
            fake = run_fake(call, device, how="symbolic")
            real = static.real
            found = compare(real, fake, all_strides=self.all_strides)
            if fake.error is None and modes_.specialization_applies(call, real):
                found += tuple(Mismatch("specialization", what, "dynamic", guard) for what, guard in fake.specialized)
            # A declared limitation is one only where the static run raised it too.
            limits = static.fake.error is not None and static.fake.error.limitation
            findings = modes_.novel(classify(call, tags, real, fake, found, mode=mode, limitations=limits),
                                    static.findings)
            findings = self._attribute(findings, fake, call, device, "symbolic")
            return [DeviceCheck(device, status(real, fake, findings), real, fake, findings, mode=mode)]
        if mode == "backward":
            grad_call = call.requiring_grad()
            tell(d, "backward real")
            real = run_real(grad_call, device, how="backward")
            if real.error is not None and real.error.phase in ("build", "call", "not_applicable"):
                # An invalid call, or nothing to differentiate: the fake side has nothing to answer.
                if real.error.phase == "not_applicable":
                    return [_not_applicable(mode, device, real.error.message)]
                return [DeviceCheck(device, "invalid", real, real, (), mode=mode)]
            tell(d, "backward fake")
            fake = run_fake(grad_call, device, _torch.new_fake_mode(cache=False), how="backward")
            found = compare(real, fake, all_strides=self.all_strides, outputs="grad")
            inner_op, inner = "", ()
            if real.error is None and fake.error is None:
                inner_op, inner = compare_inner(real.inner, fake.inner, all_strides=self.all_strides)
            findings = modes_.novel(classify(call, tags, real, fake, found + inner, mode=mode, inner_op=inner_op),
                                    static.findings)
            findings = self._attribute(findings, fake, grad_call, device, "backward")
            return [DeviceCheck(device, status(real, fake, findings), real, fake, findings, mode=mode)]
        checks = []
        for dtype in modes_.autocast_dtypes(device):
            name = str(dtype).removeprefix("torch.")
            tell(d, "autocast real")
            real = run_real(call, device, how="autocast", autocast=dtype)
            tell(d, "autocast fake")
            fake = run_fake(call, device, _torch.new_fake_mode(cache=False), how="autocast", autocast=dtype)
            found = compare(real, fake, all_strides=self.all_strides)
            findings = modes_.novel(classify(call, tags, real, fake, found, mode=mode,
                                             traits=frozenset({f"autocast:{name}"})), static.findings)
            findings = self._attribute(findings, fake, call, device, "autocast", dtype)
            checks.append(DeviceCheck(device, status(real, fake, findings), real, fake, findings, mode=mode,
                                      autocast=name))
        return checks

    def _attribute(self, findings: tuple[Finding, ...], fake: Outcome, call: OpCall, device: str,
                   how: str = "static", autocast=None) -> tuple[Finding, ...]:
        """``findings`` with the implementation that gave fake mode's answer
        (crossref/check/provenance.py): the call's fake side runs once more, watched, the first
        time a signature is seen."""
        if not findings:
            return findings

        def trace() -> _torch.ImplTrace:
            watch = _torch.ImplTrace()
            mode = None if how == "symbolic" else _torch.new_fake_mode(cache=False)
            run_fake(call, device, mode, how=how, autocast=autocast, trace=watch)
            return watch

        return provenance.attribute(findings, fake, trace, self.impls)

    def record(self, call: OpCall, check: DeviceCheck, item: str, phase: str, seconds: float,
               *, examples: bool = True) -> None:
        """Append the check's result row and finding rows; with ``examples``, keep the
        smallest example (and its repro) of each signature."""
        rec = self.recorder
        assert rec is not None
        real, fake = check.real, check.fake
        rec.write("result", plain(ResultRow(
            item=item, op=call.op, family=call.family, refined=call.refined, device=check.device,
            dtypes=",".join(call.dtypes()), status=check.status,
            category=check.findings[0].category if check.findings else "",
            signatures=",".join(f.signature for f in check.findings),
            valid=real.error is None,  # in this mode (not_applicable: not valid)
            real_error=real.error.short() if real.error else "", fake_error=fake.error.short() if fake.error else "",
            real_seconds=real.seconds, fake_seconds=fake.seconds, check_seconds=seconds,
            cache_repeat=check.cache.repeat if check.cache else "",
            cache_hits=check.cache.hits if check.cache else 0, cache_misses=check.cache.misses if check.cache else 0,
            cache_bypasses=",".join(f"{k}={v}" for k, v in check.cache.bypasses) if check.cache else "",
            phase=phase, variant=call.variant, mode=check.mode, autocast=check.autocast, origin=call.origin)))
        size = call.size_key()
        for f in check.findings:
            rec.write("finding", {**finding_row(f), "item": item, "phase": phase, "origin": call.origin,
                                  "where": call.where})
            # Keep one example per signature: the first seen, replaced by smaller ones.
            if examples and (f.signature not in self.seen or size < self.seen[f.signature]):
                self.seen[f.signature] = size
                self.store_example(call, f, shrunk=False, autocast=check.autocast)

    def repro_script(self, call: OpCall, f: Finding, *, autocast: str = "") -> str:
        """The source of the finding's standalone repro script, for ``call``."""
        return repro.render(call, signature=f.signature, category=f.category, field=f.field,
                            device=f.device, all_strides=self.all_strides, known=f.known, timeout=self.timeout,
                            mode=f.mode, inner_op=f.inner_op, autocast=autocast or _autocast_trait(f))

    def store_example(self, call: OpCall, f: Finding, *, shrunk: bool, autocast: str = "") -> str:
        """Write the finding's repro script and an ``example`` row; return the script path."""
        rec = self.recorder
        assert rec is not None
        path = rec.repro_path(f.signature)
        path.write_text(self.repro_script(call, f, autocast=autocast))
        rec.write("example", {"signature": f.signature, "example": call.describe_mode(f.mode), "size": call.size_key(),
                              "shrunk": shrunk, "repro": f"repros/{f.signature}.py", "call": _as_json(call),
                              "snippet": repro.snippet(call, category=f.category, field=f.field, device=f.device,
                                                       mode=f.mode, autocast=autocast or _autocast_trait(f))})
        return str(path)


def _not_applicable(mode: str, device: str, reason: str) -> DeviceCheck:
    none = Outcome("real", device, "", (), (), ErrorInfo("NotApplicable", reason, "not_applicable", False), 0.0)
    return DeviceCheck(device, "not_applicable", none, dataclasses.replace(none, side="fake"), (), mode=mode)


def _differ(cold: Outcome, repeat: Outcome) -> bool:
    """Whether two fake runs of one call in one mode answered differently.

    The uncached reference run is needed only then, or when the cold run already
    disagrees with the kernel: a miss computes its answer (it only stores it), so a cold
    and a repeat run that agree with each other and with the real run leave no cached
    answer that differs from an uncached computation."""
    if (cold.error is None) != (repeat.error is None):
        return True
    if cold.error is not None:
        return cold.error.type != repeat.error.type
    return bool(compare(cold, repeat))


def _as_json(call: OpCall) -> str:
    """The call as JSON for the report (``""`` for one holding a value JSON cannot carry:
    such a finding is not replayed by ``crossref impact``)."""
    try:
        return call_to_json(call)
    except TypeError:
        return ""


def _autocast_trait(f: Finding) -> str:
    return next((t.split(":", 1)[1] for t in f.traits if t.startswith("autocast:")), "")


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
        "mode": f.mode,
        "inner_op": f.inner_op,
        "fake_impl": f.fake_impl,
    }
