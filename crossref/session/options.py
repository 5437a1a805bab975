"""The options of a run and their validation, shared by the pytest plugin, the CLI and
the API: each bad value is one ``UsageError`` naming the option and the value (the
plugin turns it into ``pytest.UsageError``).
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

from ..check import catalog
from ..check.checker import CHECKS, DEFAULT_CHECKS
from ..check.modes import DEFAULT_MODES, MODES
from ..errors import UsageError
from .baseline import load as load_baseline
from ..watcher import WATCH_MODES, read_corpus


@dataclass(frozen=True, slots=True)
class Options:
    ops: tuple[str, ...]
    devices: tuple[str, ...]
    examples: int | None
    report_dir: Path | None
    all_strides: bool
    shrink_seconds: float | None = None  # None: the profile's budget
    checks: tuple[str, ...] = DEFAULT_CHECKS
    isolate: bool = True
    timeout: float = 20.0
    baseline: Path | None = None
    update_baseline: bool = False
    strict: bool = False
    shard: tuple[int, int] | None = None  # (k, n): this runner takes the k-th of n shares
    modes: tuple[str, ...] = DEFAULT_MODES  # crossref/check/modes.py
    impact: bool = False  # probe the findings' consequences at the end (crossref/impact/probes.py)
    impact_seconds: float | None = None  # None: the profile's budget (IMPACT_SECONDS)
    impact_backends: tuple[str, ...] = ()  # () : impact.BACKENDS
    watch: bool = False  # run the collected tests (a project's own) under the watcher (crossref/watcher.py)
    corpus: tuple[Path, ...] = ()  # corpus.jsonl files whose calls seed each item (--crossref-corpus)


def available_devices() -> tuple[str, ...]:
    return ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)


#: Per-item shrink budget (seconds) by Hypothesis profile; --crossref-shrink-seconds overrides.
SHRINK_SECONDS = {"dev": 20.0, "ci": 0.5, "nightly": 60.0}
#: Wall time (seconds) the consequence probes may take at the end of a run, by profile;
#: --crossref-impact-seconds overrides.
IMPACT_SECONDS = {"dev": 120.0, "ci": 240.0, "nightly": 1800.0}


def parse_options(ops: str | None, devices: str | None, examples: str | int | None,
                  report_dir: str | None, all_strides: bool = False,
                  shrink_seconds: str | float | None = None, checks: str | None = None,
                  isolate: bool = True, timeout: str | float | None = None, baseline: str | None = None,
                  update_baseline: bool = False, strict: bool = False, shard: str | None = None,
                  modes: str | None = None, impact: bool = False, impact_seconds: str | float | None = None,
                  impact_backends: str | None = None, watch: bool = False, corpus: str | None = None) -> Options:
    """Validate raw option values; every error names the option and the value."""
    patterns = tuple(p.strip() for p in (ops or "").split(",") if p.strip())
    for p in patterns:
        if p.count(".") < 1 or p.startswith("."):
            raise UsageError(f"--crossref-ops pattern {p!r} must name overloads as namespace.op.overload, "
                             "like 'aten.add.*' or 'mylib.scale.default'")
    if patterns and not watch:  # a watched program may register the ops it names as it runs
        catalog.select(list(patterns))  # raises for a pattern that matches nothing
    chosen = check_devices(tuple(d.strip() for d in devices.split(",") if d.strip()), devices,
                           "--crossref-devices") if devices else available_devices()
    n = parse_number(examples, "--crossref-examples", whole=True, at_least=1)
    budget = parse_number(shrink_seconds, "--crossref-shrink-seconds", at_least=0)
    selected = DEFAULT_CHECKS
    if checks is not None:
        selected = tuple(c.strip() for c in checks.split(",") if c.strip())
        for c in selected:
            if c not in CHECKS:
                raise UsageError(f"--crossref-checks: unknown check {c!r} (choose from {', '.join(CHECKS)})")
        if "forward" not in selected:
            selected = ("forward",) + selected
    limit = 20.0 if timeout is None else parse_seconds(timeout, "--crossref-timeout")
    base = Path(baseline) if baseline else None
    if base is not None and not update_baseline:
        load_baseline(base)  # a missing or corrupt file stops the run now, in one line
    if (update_baseline or strict) and base is None:
        flag = "--crossref-update-baseline" if update_baseline else "--crossref-strict"
        raise UsageError(f"{flag} needs --crossref-baseline FILE")
    return Options(patterns, chosen, n, Path(report_dir) if report_dir else None, bool(all_strides), budget,
                   selected, bool(isolate), limit, base, bool(update_baseline), bool(strict), parse_shard(shard),
                   WATCH_MODES if watch and modes is None else parse_modes(modes),
                   bool(impact or impact_seconds is not None or impact_backends is not None),
                   parse_seconds(impact_seconds, "--crossref-impact-seconds"),
                   parse_backends(impact_backends, "--crossref-impact-backends"), bool(watch), parse_corpus(corpus))


def parse_corpus(text: str | None) -> tuple[Path, ...]:
    """``--crossref-corpus``: corpus.jsonl files (a run directory stands for its own)."""
    if text is None:
        return ()
    paths = []
    for part in (p.strip() for p in str(text).split(",") if p.strip()):
        path = Path(part)
        if path.is_dir():
            path = path / "corpus.jsonl"
        if not path.is_file():
            raise UsageError(f"--crossref-corpus: {part!r} is not a corpus file (a corpus.jsonl, or a run directory "
                             "that holds one)")
        paths.append(path)
    if not paths:
        raise UsageError(f"--crossref-corpus={text!r} names no file")
    try:
        read_corpus(paths)
    except ValueError as exc:
        raise UsageError(f"--crossref-corpus: {exc}") from None
    return tuple(paths)


def parse_seconds(text: str | float | None, name: str) -> float | None:
    """A number of seconds above 0 (None stays None); a UsageError naming ``name`` else."""
    return parse_number(text, name, above=0)


def parse_number(text: str | float | None, name: str, *, whole: bool = False, at_least: float | None = None,
                 above: float | None = None) -> float | int | None:
    """The number option ``name`` was given as ``text`` (None stays None): a whole one
    with ``whole``, at least ``at_least``, above ``above``; else a UsageError naming
    the option and the value."""
    if text is None:
        return None
    try:
        value = int(text) if whole else float(text)
    except (TypeError, ValueError):
        raise UsageError(f"{name}={text!r} is not a {'whole number' if whole else 'number'}") from None
    shown = value if whole else repr(text)
    if at_least is not None and not value >= at_least:
        raise UsageError(f"{name}={shown} must be {f'at least {at_least}' if at_least else '0 or more'}")
    if above is not None and not value > above:
        raise UsageError(f"{name}={shown} must be more than {above:g}")
    return value


def parse_backends(text: str | None, name: str) -> tuple[str, ...]:
    """torch.compile backend names, each known to this torch (() for None: the default)."""
    if text is None:
        return ()
    chosen = tuple(dict.fromkeys(b.strip() for b in str(text).split(",") if b.strip()))
    if not chosen:
        raise UsageError(f"{name}={text!r} names no backend")
    from .. import _torch

    for b in chosen:
        try:
            _torch.compiler_backend(b)
        except ValueError as exc:
            raise UsageError(f"{name}: {exc}") from None
    return chosen


def check_devices(chosen: tuple[str, ...], raw, name: str) -> tuple[str, ...]:
    """``chosen`` when every device is known and present here; else a UsageError that
    names the option or argument (``name``) and the value (``raw``: as the user gave it)."""
    have = available_devices()
    for d in chosen:
        if d not in ("cpu", "cuda"):
            raise UsageError(f"{name}: unknown device {d!r} (choose from cpu, cuda)")
        if d not in have:
            raise UsageError(f"{name}: {d!r} requested but not available on this machine "
                             f"(available: {', '.join(have)})")
    if not chosen:
        raise UsageError(f"{name}={raw!r} names no device")
    return chosen


def parse_modes(text: str | None) -> tuple[str, ...]:
    """``--crossref-modes``: names from MODES, in MODES order (default: all of them)."""
    if text is None:
        return DEFAULT_MODES
    chosen = [m.strip() for m in str(text).split(",") if m.strip()]
    for m in chosen:
        if m not in MODES:
            raise UsageError(f"--crossref-modes: unknown mode {m!r} (choose from {', '.join(MODES)})")
    if not chosen:
        raise UsageError(f"--crossref-modes={text!r} names no mode")
    return tuple(m for m in MODES if m in chosen)


def run_seed(hypothesis_seed: str | int | None, derandomize: bool) -> int:
    """The run's seed: ``--hypothesis-seed`` when given; 0 under a derandomized profile
    (ci: the same calls every run); else a fresh random one (recorded in the summary,
    so the run can be repeated with ``--hypothesis-seed``)."""
    if hypothesis_seed is not None:
        try:
            return int(hypothesis_seed)
        except (TypeError, ValueError):
            return zlib.crc32(str(hypothesis_seed).encode())
    return 0 if derandomize else random.getrandbits(32)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"K/N"`` -> (K, N), 1 <= K <= N."""
    if text is None:
        return None
    k, sep, n = str(text).partition("/")
    if not sep or not k.strip().isdigit() or not n.strip().isdigit() or not 1 <= int(k) <= int(n):
        raise UsageError(f"--crossref-shard={text!r} must be K/N with 1 <= K <= N, e.g. 2/4")
    return int(k), int(n)


def shard_items(names: list[str], shard: tuple[int, int]) -> set[str]:
    """The names this shard runs: round-robin over the sorted names, so the N shares
    are disjoint, cover everything, and differ in size by at most one."""
    k, n = shard
    return {name for i, name in enumerate(sorted(names)) if i % n == k - 1}
