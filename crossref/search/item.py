"""One test item's search: its whole budget explored, then every new finding shrunk.

``ItemSearch.check`` is handed each call the item draws (strategies/drive.py draws
them: the calls and their variants). It runs and records the check and keeps, for
every new signature (a failing finding not in the baseline), the smallest call that
showed it. A finding never ends the search. ``ItemSearch.finish`` then shrinks each
new signature on its own (shrink.py) toward the smallest call that still shows that
signature, writes its repro, records the item's row, and returns what it found; the
suite fails the item when that is not empty.

The shrink budget (seconds and checks) is the item's, shared by its signatures: each
gets an equal share of what is left, so one slow shrink does not starve the rest.
Plain Python on the engine: no Hypothesis, no pytest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..check.catalog import OpEntry
from ..check.checker import Checker, DeviceCheck
from ..check.classify import SEVERITIES, Finding, refused_dtypes
from ..check.modes import for_variant
from ..check.opcall import OpCall
from .verdict import Verdict
from ..rows import ItemRow, plain
from .shrink import Shrunk, cost, shrink

#: Times a crash's call runs again in fresh processes to tell a crash from a flaky one.
RECHECKS = 4

#: Candidates one signature's shrink may check at most, by severity. A shrink of a
#: small call usually ends well before (no pass helps any more: 13 checks on average in
#: a ci sweep); the cap keeps a derandomized run deterministic when the time budget is
#: not what stops it, and spends more on what hurts more.
SHRINK_CHECKS = {"high": 40, "medium": 25, "low": 10, "info": 0}


def verdict(call: OpCall, checks) -> Verdict:
    """What a driver learns from a call's static checks (strategies/drive.py): whether
    the real kernel accepted it on every device, and the dtypes it refused as unsupported."""
    refused: frozenset[str] = frozenset()
    checks = [ch for ch in checks if ch.mode == "static"]
    for ch in checks:
        if ch.real.error is not None and ch.real.error.phase == "call":
            refused |= refused_dtypes(ch.real.error.message, call.dtypes())
    return Verdict(all(ch.real.error is None for ch in checks), refused)


@dataclass(frozen=True, slots=True)
class NewFinding:
    """A new signature of an item, shrunk."""

    finding: Finding  # as the shrunk call shows it
    call: OpCall  # the shrunk call
    checks: tuple[DeviceCheck, ...]  # the shrunk call's checks (real and fake side by side)
    repro: str  # path of its repro script
    shrunk: Shrunk | None  # None: not shrunk (a crash, whose candidates may hang; or no budget left)
    # A crash, rechecked in fresh processes: (times it crashed, times it ran), the first
    # run included; a crash that does not always come back is flaky, and not new.
    crashes: tuple[int, int] | None = None

    @property
    def flaky(self) -> bool:
        return self.crashes is not None and self.crashes[0] < self.crashes[1]


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: str
    op: str
    examples: int  # calls drawn
    checks: int  # checks run while exploring (drawn calls and their variants)
    variants: int
    valid: int  # checks the real kernel accepted
    new: tuple[NewFinding, ...]
    explore_seconds: float
    shrink_seconds: float


@dataclass(slots=True)
class ItemSearch:
    checker: Checker
    entry: OpEntry
    item: str
    known: frozenset[str] = frozenset()  # baseline signatures: recorded, not failing, not shrunk
    shrink_seconds: float = 2.0
    shrink_checks: dict[str, int] = field(default_factory=lambda: dict(SHRINK_CHECKS))
    frozen: frozenset[str] = frozenset()  # arguments the shrinker leaves alone (shrink.py)
    last_error: str = ""  # the last error a real kernel raised on a drawn call (static mode)
    examples: int = 0
    checks: int = 0
    variants: int = 0
    valid: int = 0
    started: float = field(default_factory=time.monotonic)
    # signature -> (finding, smallest call, its checks, its cost), in order of discovery
    _new: dict[str, tuple[Finding, OpCall, tuple[DeviceCheck, ...], tuple]] = field(default_factory=dict)

    def check(self, call: OpCall) -> Verdict:
        """Run and record one call; tell the driver whether the real kernel accepted it
        everywhere, and which dtypes it refused."""
        # The cache crosscheck runs on drawn calls; a variant gets the forward check (its
        # cache findings were 6% of all in a ci sweep, its cache runs a quarter of the time).
        # The compiler modes (crossref/check/modes.py) check drawn calls; variants vary the
        # inputs of a static check (a layout variant's backward too).
        modes = for_variant(call, self.checker.modes) if call.variant else None
        checks = tuple(self.checker.run(call, self.entry.tags, item=self.item, phase="generate",
                                        cache=not call.variant, modes=modes))
        self.checks += 1
        if call.variant:
            self.variants += 1
        else:
            self.examples += 1
        accepted = all(ch.real.error is None for ch in checks if ch.mode == "static")
        self.valid += accepted
        if not accepted:
            self.last_error = next(ch.real.error.short() for ch in checks
                                   if ch.mode == "static" and ch.real.error is not None)
        size = None
        for ch in checks:
            for f in ch.findings if ch.selected else ():
                if not f.fails or f.signature in self.known:
                    continue
                size = cost(call) if size is None else size
                best = self._new.get(f.signature)
                if best is None or size < best[3]:
                    self._new[f.signature] = (f, call, checks, size)
        return verdict(call, checks)

    @property
    def new_signatures(self) -> list[str]:
        return list(self._new)

    def finish(self) -> ItemResult:
        """Shrink every new signature, write its repro and the item's row."""
        explored = time.monotonic() - self.started
        start = time.monotonic()
        order = sorted(self._new, key=lambda s: SEVERITIES.index(self._new[s][0].severity))
        found = []
        for i, sig in enumerate(order):
            share = max(self.shrink_seconds - (time.monotonic() - start), 0.0) / (len(order) - i)
            found.append(self._shrink(sig, share))
        found = [n for n in found if not n.flaky]  # a crash that comes and goes is recorded, never new
        result = ItemResult(self.item, self.entry.name, self.examples, self.checks, self.variants, self.valid,
                            tuple(found), explored, time.monotonic() - start)
        if self.checker.recorder is not None:
            self.checker.recorder.write("item", plain(ItemRow(
                item=self.item, op=self.entry.name, examples=self.examples, checks=self.checks,
                variants=self.variants, valid=self.valid, new=len(found),
                shrink_checks=sum(n.shrunk.checks for n in found if n.shrunk is not None),
                explore_seconds=explored, shrink_seconds=result.shrink_seconds)))
            self.checker.recorder.flush()
        return result

    def _shrink(self, sig: str, seconds: float) -> NewFinding:
        finding, call, checks, _ = self._new[sig]
        device = finding.device
        last = {"finding": finding, "checks": checks}

        def shows(candidate: OpCall) -> bool:
            got = self.checker.run(candidate, self.entry.tags, item=self.item, phase="shrink", devices=(device,),
                                   cache=finding.category == "cache",
                                   modes=(finding.mode,))
            hit = next((f for ch in got if ch.selected for f in ch.findings if f.signature == sig), None)
            if hit is not None:
                last["finding"], last["checks"] = hit, tuple(got)
            return hit is not None

        # A crash is not shrunk: a candidate may hang, and wait out the time limit (20 s). It is
        # rechecked instead: heap corruption in a kernel crashes some runs and not others.
        crash = finding.category == "crash"
        crashes = self._recheck(call, finding) if crash else None
        cap = self.shrink_checks.get(finding.severity, 0)
        shrunk = None
        if not crash and seconds > 0 and cap > 0:
            shrunk = shrink(call, shows, max_checks=cap, seconds=seconds, frozen=self.frozen)
        if shrunk is not None:
            call = shrunk.call
        autocast = next((ch.autocast for ch in last["checks"] if last["finding"] in ch.findings), "")
        repro = self.checker.store_example(call, last["finding"], shrunk=shrunk is not None, autocast=autocast) \
            if self.checker.recorder is not None else ""
        return NewFinding(last["finding"], call, last["checks"], repro, shrunk, crashes)

    def _recheck(self, call: OpCall, finding: Finding) -> tuple[int, int]:
        """Run a crash's call again in fresh processes (a crash restarts the isolated
        child): ``RECHECKS`` times, once for a hang (each waits out the time limit).
        Returns (crashes, runs), the first run counted, and records them."""
        times = 1 if "hung" in f"{finding.real} {finding.fake}" else RECHECKS
        crashed = 1
        for _ in range(times if self.checker.isolated is not None else 0):
            got = self.checker.run(call, self.entry.tags, item=self.item, phase="recheck", devices=(finding.device,),
                                   cache=False, modes=(finding.mode,))
            crashed += any(f.signature == finding.signature for ch in got for f in ch.findings)
        runs = 1 + (times if self.checker.isolated is not None else 0)
        if self.checker.recorder is not None:
            self.checker.recorder.write("recheck", {"signature": finding.signature, "crashed": crashed, "runs": runs})
        return crashed, runs
