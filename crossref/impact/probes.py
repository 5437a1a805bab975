"""Running the consequence probes of a finished run's findings (crossref/impact/consequence.py probes
one): in which order, within what budget, in which processes, and what is remembered.

- **Order** (``plan``): the representative of each root-cause cluster first, in the
  clusters' rank, then every other new finding (most severe first), then the rest
  (known divergences, baseline entries). Findings whose call was not recorded (a
  stateful sequence, a run made before calls were) are ``not_probed``.
- **Budget**: ``seconds`` of wall time for the whole probing (the warm-up included);
  what is left when it is spent is ``not_probed`` ("budget"), and a later ``crossref
  impact RUN`` takes it up. Each probe has its own time limit (``timeout``).
- **Processes**: ``workers`` crash-isolated children (isolate.Child), forked from this
  process after it has warmed the compilers once (each backend compiles a small
  program: dynamo, AOTAutograd and inductor imported, inductor's C++ headers built),
  so a child starts warm. A probe whose process dies while a compiled program runs is a
  ``crash``; one that dies while eager runs, or times out, is ``not_probed``.
- **Memory** (``ImpactCache``): every probe's consequence, by finding signature, torch
  version, backends and probe version, in a JSON-lines file (by default
  ``impact-cache.jsonl`` beside the run directories): a nightly run probes only what is new.
"""

from __future__ import annotations

import json
import multiprocessing.connection
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from . import consequence as impact
from .consequence import BACKENDS, PROBE_VERSION, BackendResult, Consequence, not_probed
from ..session.isolate import Child, Died
from ..taxonomy import NOT_FAILING, SEVERITIES, Impact

CACHE_NAME = "impact-cache.jsonl"
#: Seconds one finding's probe (every backend) may take.
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class Request:
    """One finding to probe: its call (``opcall.call_to_json``) and what the probe needs
    of the finding."""

    signature: str
    call: str
    mode: str = "static"
    device: str = "cpu"
    autocast: str = ""
    category: str = ""
    field: str = ""
    fake: str = ""


@dataclass(slots=True)
class Stats:
    """What probing cost, for summary.json's ``impact``."""

    backends: tuple[str, ...] = BACKENDS
    planned: int = 0
    probed: int = 0
    cached: int = 0
    over_budget: int = 0
    warmup_seconds: float = 0.0
    seconds: float = 0.0
    workers: int = 1
    probe_seconds: list[float] = field(default_factory=list)
    backend_seconds: dict[str, list[float]] = field(default_factory=dict)

    def add(self, c: Consequence) -> None:
        self.probed += 1
        self.probe_seconds.append(c.seconds)
        for r in c.results:
            if r.seconds:
                self.backend_seconds.setdefault(r.backend, []).append(r.seconds)

    def as_dict(self) -> dict:
        def median(xs: list[float]) -> float:
            xs = sorted(xs)
            return round(xs[len(xs) // 2], 3) if xs else 0.0

        return {"backends": list(self.backends), "planned": self.planned, "probed": self.probed,
                "from_cache": self.cached, "over_budget": self.over_budget, "workers": self.workers,
                "warmup_seconds": round(self.warmup_seconds, 1), "seconds": round(self.seconds, 1),
                "probe_seconds_median": median(self.probe_seconds),
                "probe_seconds_total": round(sum(self.probe_seconds), 1),
                "backend_seconds_median": {b: median(v) for b, v in self.backend_seconds.items()}}


# --------------------------------------------------------------------------- the order


def _autocast(traits: str) -> str:
    return next((t.split(":", 1)[1] for t in str(traits or "").split(",") if t.startswith("autocast:")), "")


def _is_new(row: dict) -> bool:
    return not row.get("known") and not row.get("baseline") and row.get("category") not in NOT_FAILING \
        and not row.get("flaky")


def plan(rows: list[dict], clusters: list[dict]) -> tuple[list[Request], dict[str, Consequence]]:
    """The requests in probing order (see the module docstring), and the findings that
    cannot be probed with why. ``rows``: findings.parquet rows; ``clusters``: the run's
    ranked cluster table (summary.json)."""
    by_sig = {str(r["signature"]): r for r in rows}
    order: list[str] = []
    for c in clusters:
        sig = str((c.get("representative") or {}).get("signature", ""))
        if sig in by_sig:
            order.append(sig)
    rest = sorted((r for r in rows if str(r["signature"]) not in set(order)),
                  key=lambda r: (not _is_new(r), SEVERITIES.index(r["severity"]) if r.get("severity") in SEVERITIES
                                 else len(SEVERITIES), str(r.get("op")), str(r["signature"])))
    order += [str(r["signature"]) for r in rest]
    requests, skipped = [], {}
    for sig in order:
        r = by_sig[sig]
        if not r.get("call"):
            skipped[sig] = not_probed("no call recorded for this finding (a stateful sequence, or an older run)")
            continue
        requests.append(Request(sig, str(r["call"]), str(r.get("mode") or "static"), str(r.get("device") or "cpu"),
                                _autocast(r.get("traits", "")), str(r.get("category", "")), str(r.get("field", "")),
                                str(r.get("fake", ""))))
    return requests, skipped


# --------------------------------------------------------------------------- memory


class ImpactCache:
    """Probe results by (signature, torch version, backends, probe version), in a JSON
    lines file that only grows (a later line for the same key wins)."""

    def __init__(self, path: str | os.PathLike, torch_version: str, backends: tuple[str, ...]) -> None:
        self.path = Path(path)
        self.key = f"{torch_version}|{','.join(backends)}|{PROBE_VERSION}"
        self.entries: dict[str, Consequence] = {}
        if self.path.is_file():
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a torn last line
                    if row.get("key") == self.key:
                        self.entries[row["signature"]] = _consequence(row["consequence"])

    def get(self, signature: str) -> Consequence | None:
        return self.entries.get(signature)

    def put(self, signature: str, c: Consequence) -> None:
        self.entries[signature] = c
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": self.key, "signature": signature, "consequence": asdict(c)},
                                separators=(",", ":")) + "\n")


def _consequence(d: dict) -> Consequence:
    results = tuple(BackendResult(**r) for r in d.get("results", ()))
    return Consequence(d["impact"], d["backend"], d["detail"], results, d.get("seconds", 0.0), d.get("field", ""))


def cache_path(run_dir: str | os.PathLike) -> Path:
    """The default cache: beside the run directories (``reports/impact-cache.jsonl``)."""
    return Path(run_dir).resolve().parent / CACHE_NAME


# --------------------------------------------------------------------------- processes


def phases(backends: tuple[str, ...]) -> tuple[str, ...]:
    """What a probing child reports it is doing (its progress value indexes this)."""
    return ("idle", "eager", *(p for b in backends for p in (b, f"{b} fullgraph=False")))


def warm(backends: tuple[str, ...]) -> float:
    """Compile a small program on each backend once: the compile stack's imports and
    inductor's C++ build happen here, not in the first probe. Forward only: a backward
    in this process (a joint graph's trace is one) would keep autograd from running in
    the children forked from it on a CUDA build of torch (crossref/session/isolate.py).
    Returns the seconds it took."""
    import torch

    from .. import _torch

    start = time.perf_counter()
    with _torch.probing_compiler():
        for backend in backends:
            _torch.reset_compiler()
            x = torch.randn(4, 3)
            torch.compile(lambda t: (t.sin() + 1).sum(0), backend=_torch.compiler_backend(backend),
                          fullgraph=True)(x)
        _torch.reset_compiler()
    return time.perf_counter() - start


def _prober(backends: tuple[str, ...], report: Callable[[int], None]):  # pragma: no cover - in the child
    """A probing child's handler: a Request in, a Consequence out."""
    names = phases(backends)

    def handle(request: Request) -> Consequence:
        return probe_one(request, backends, progress=lambda phase: report(names.index(phase)))

    return handle


def probe_one(request: Request, backends: tuple[str, ...], progress=None) -> Consequence:
    """Probe one request in this process."""
    from ..check.opcall import call_from_json

    try:
        call = call_from_json(request.call)
    except ValueError as exc:
        return not_probed(f"the recorded call cannot be read: {exc}")
    return impact.probe(call, mode=request.mode, device=request.device, autocast=request.autocast,
                        category=request.category, field=request.field, fake=request.fake, backends=backends,
                        progress=progress)


def _died(died: Died, backends: tuple[str, ...]) -> Consequence:
    names = phases(backends)
    phase = names[died.progress] if 0 <= died.progress < len(names) else "idle"
    if died.how.startswith("hung"):
        return not_probed(f"timed out ({died.how}) during the {phase} run")
    if phase in ("idle", "eager"):
        return not_probed(f"the eager call kills the process ({died.how})")
    backend = phase.split()[0]
    result = BackendResult(backend, Impact.CRASH.value, f"{backend}: the compiled program's process {died.how}",
                           died.seconds, "process")
    return Consequence(Impact.CRASH.value, backend, result.detail, (result,), died.seconds, "process")


def run(requests: list[Request], *, backends: tuple[str, ...] = BACKENDS, seconds: float | None = None,
        workers: int = 1, timeout: float = DEFAULT_TIMEOUT, cache: ImpactCache | None = None, isolate: bool = True,
        stats: Stats | None = None, tell: Callable[[str, Consequence], None] | None = None) -> dict[str, Consequence]:
    """Probe ``requests`` in order within ``seconds`` (None: no limit), ``workers`` at a
    time in crash-isolated children (``isolate=False``: one at a time, here); answers
    already in ``cache`` are reused and new ones added to it. ``tell(signature,
    consequence)`` hears each result as it comes. Returns every request's consequence."""
    stats = stats if stats is not None else Stats(backends=backends)
    start = time.perf_counter()
    stats.planned, stats.workers = len(requests), workers
    out: dict[str, Consequence] = {}
    todo: list[Request] = []
    for r in requests:
        hit = cache.get(r.signature) if cache is not None else None
        if hit is not None:
            out[r.signature] = hit
            stats.cached += 1
        else:
            todo.append(r)

    def done(r: Request, c: Consequence) -> None:
        out[r.signature] = c
        if c.results:
            stats.add(c)
        if cache is not None and not c.detail.startswith("timed out"):  # a longer limit may do
            cache.put(r.signature, c)
        if tell is not None:
            tell(r.signature, c)

    if todo:
        stats.warmup_seconds = warm(backends)
    deadline = None if seconds is None else start + seconds
    if isolate and todo:
        _run_children(todo, backends, deadline, workers, timeout, done)
    else:
        for r in list(todo):
            if deadline is not None and time.perf_counter() >= deadline:
                break
            done(r, probe_one(r, backends))
            todo.remove(r)
    for r in requests:
        if r.signature not in out:
            out[r.signature] = not_probed(f"the probing budget ({seconds:g} s) was spent first" if seconds is not None
                                          else "not reached")
            stats.over_budget += 1
    stats.seconds = time.perf_counter() - start
    return out


def _run_children(todo: list[Request], backends, deadline, workers: int, timeout: float, done) -> None:
    """Feed ``todo`` (consumed from the front) to ``workers`` children until it is empty
    or ``deadline`` passes; answers go to ``done(request, consequence)``."""
    children = [Child(_prober, (tuple(backends),), timeout=timeout) for _ in range(max(1, workers))]
    busy: dict[Child, Request] = {}
    try:
        while True:
            now = time.perf_counter()
            for child in children:
                if child not in busy and todo and (deadline is None or now < deadline):
                    r = todo.pop(0)
                    died = child.send(r)
                    if died is not None:
                        done(r, _died(died, backends))
                    else:
                        busy[child] = r
            if not busy:
                return
            wait = min(max(c.timeout - (now - c.sent), 0.0) for c in busy) + 0.05
            ready = multiprocessing.connection.wait([c.conn for c in busy], timeout=wait)
            for child in list(busy):
                if child.conn in ready or time.perf_counter() - child.sent >= child.timeout:
                    answer = child.receive(0.0)
                    r = busy.pop(child)
                    done(r, _died(answer, backends) if isinstance(answer, Died) else answer)
    finally:
        for child in children:
            child.close()


# --------------------------------------------------------------------------- a run


def columns(request: Request | None, c: Consequence) -> dict[str, str]:
    """A consequence as findings.parquet's columns (rows.FindingRow: ``impact``...), with
    the eager-against-compiled snippet of its call (repro.compile_snippet)."""
    snippet = ""
    if request is not None and c.backend:
        from ..check.opcall import call_from_json
        from ..check.repro import compile_snippet

        try:
            snippet = compile_snippet(call_from_json(request.call), backend=c.backend, impact=c.impact,
                                      field=c.field, device=request.device, mode=request.mode,
                                      autocast=request.autocast, category=request.category)
        except ValueError:
            snippet = ""
    return {"impact": c.impact, "impact_backend": c.backend, "impact_detail": c.detail,
            "impact_backends": ",".join(f"{r.backend}={r.impact}" for r in c.results), "impact_snippet": snippet}


def probe_run(run_dir: str | os.PathLike, *, backends: tuple[str, ...] = BACKENDS, seconds: float | None = None,
              workers: int = 1, timeout: float = DEFAULT_TIMEOUT, cache_file: str | os.PathLike | None = "",
              isolate: bool = True, tell: Callable[[str, Consequence], None] | None = None) -> dict:
    """Probe the findings of the finished run ``run_dir`` (``plan``'s order, ``run``'s
    budget) and write the consequences into its report (reporting/report.py:
    ``apply_impacts``). ``cache_file``: "" for the default beside the run directories,
    None for no cache. Returns the run's new summary."""
    import torch

    from ..reporting import report

    rows = report.read_findings(run_dir)
    summary = json.loads((Path(run_dir) / "summary.json").read_text())
    requests, skipped = plan(rows, summary.get("clusters") or [])
    cache = None
    if cache_file is not None:
        cache = ImpactCache(cache_file or cache_path(run_dir), torch.__version__, tuple(backends))
    stats = Stats(backends=tuple(backends))
    got = run(requests, backends=tuple(backends), seconds=seconds, workers=workers, timeout=timeout, cache=cache,
              isolate=isolate, stats=stats, tell=tell)
    by_sig = {r.signature: r for r in requests}
    consequences = {sig: columns(by_sig.get(sig), c) for sig, c in {**skipped, **got}.items()}
    return report.apply_impacts(run_dir, consequences, stats.as_dict())
