"""Watching real programs: every ATen and custom op a program runs, checked as the sweep
checks a drawn call.

A ``Watcher`` is a TorchDispatchMode. Each op call that reaches it with plain tensors
(an ``nn.Parameter`` is one; fake, functional and other wrapper tensors are a tracer's
and are let through) is keyed by its metadata (the op, every tensor's size, stride,
storage offset, dtype, device and which storage it shares, every other argument's
value); the first call of each key is captured as an ``OpCall`` whose storages hold
the values the program passed (``fill="captured"``) and handed to the same check path
the sweep uses (an ``ItemSearch`` per op, ``Checker.run``): real against fake with the
same oracle, classifier and report. The program then goes on with its own, real result;
a finding never stops it. When the session closes, each new signature is shrunk from
the real call it came from (large real inputs become small ones that still show it),
its repro script written, and the run merged into a report like a sweep's. Each
finding carries where it came from (``OpCall.where``: the program and the Python frame
that called the op), and each distinct call (its recipe without values) is written to
the run's ``corpus.jsonl``, which ``--crossref-corpus`` feeds back to the sweep.

Ways in: ``crossref.watch(report_dir=...)`` (a context manager), ``crossref watch
script.py [args]`` (crossref/reporting/cli.py), ``pytest --crossref-watch``
(suites/worker.py runs each test under the session) and ``torch.compile(...,
backend="crossref")`` (``compile_backend``: the graphs AOTAutograd produces, forward
and backward, after inductor's decompositions, run op by op under the watcher, so the
ops checked are the ones inductor receives).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import torch
from torch.utils._pytree import tree_flatten, tree_map

from . import _torch
from .check import catalog
from .check.checker import Checker
from .check.opcall import DEVICE, OpCall, StorageSpec, TensorSpec, call_to_json, storage_extent
from .search.item import ItemResult, ItemSearch
from .session.record import Recorder

#: What a watched call is checked in: the program runs its own backward passes and
#: autocast casts, and the watcher sees those ops as they run.
WATCH_MODES = ("static", "symbolic")
#: Seconds each new signature of a watched program may take to shrink.
SHRINK_SECONDS = 2.0

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_TORCH = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep


# --------------------------------------------------------------------------- one call


def _tensor_key(t: torch.Tensor, storages: dict) -> tuple:
    key = _torch.storage_identity(t)
    index = storages.setdefault(key, len(storages))
    return ("T", tuple(t.shape), tuple(t.stride()) if t.layout == torch.strided else None,
            t.storage_offset() if t.layout == torch.strided else None, t.dtype, str(t.device), t.requires_grad,
            t.is_conj(), t.is_neg(), index)


def call_key(op, args: tuple, kwargs: dict) -> tuple | None:
    """What tells two calls apart without their values (None: a call the watcher lets
    through: a tensor that is not a plain one, or not strided)."""
    storages: dict = {}
    leaves, _ = tree_flatten((args, kwargs))
    parts = [str(op)]
    for leaf in leaves:
        if isinstance(leaf, torch.Tensor):
            if not _torch.is_plain_tensor(leaf) or leaf.layout != torch.strided:
                return None
            parts.append(_tensor_key(leaf, storages))
        else:
            parts.append((type(leaf).__name__, repr(leaf)))
    return tuple(parts)


def _tensors(args: tuple, kwargs: dict) -> list[torch.Tensor]:
    return [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]


def call_device(tensors: list[torch.Tensor]) -> torch.device:
    """The device a call runs on: its first tensor's not on the CPU (a CPU scalar beside
    CUDA tensors is an argument of a CUDA call), else the CPU."""
    return next((t.device for t in tensors if t.device.type != "cpu"), torch.device("cpu"))


def capture(op, args: tuple, kwargs: dict, *, where: str = "") -> OpCall:
    """The call as an OpCall: each storage the tensors use, as far as they reach, with
    the values the program passed; each tensor a view geometry over it (tensors that
    share a storage share it here too). A CPU tensor of a call on another device keeps
    its place (``StorageSpec.host``: ``cpu``, or ``pinned``)."""
    tensors = _tensors(args, kwargs)
    device = call_device(tensors)
    spans: dict[Any, list] = {}  # storage -> [low, high, example tensor]
    for t in tensors:
        key = _torch.storage_identity(t)
        low, high = t.storage_offset(), storage_extent(tuple(t.shape), tuple(t.stride()), t.storage_offset())
        span = spans.setdefault(key, [low, max(high, low), t])
        span[0], span[1] = min(span[0], low), max(span[1], high)
    storages: list[StorageSpec] = []
    index: dict[Any, int] = {}
    for key, (low, high, t) in spans.items():
        base = torch.empty(0, dtype=t.dtype, device=t.device).set_(t.untyped_storage(), low, (high - low,), (1,))
        values = base.detach().cpu().contiguous()
        raw = values.resolve_conj().resolve_neg() if values.is_complex() else values
        index[key] = len(storages)
        storages.append(StorageSpec(t.dtype, high - low, "captured", requires_grad=any(
            x.requires_grad for x in tensors if _torch.storage_identity(x) == key),
            data=raw.view(torch.uint8).numpy().tobytes() if raw.numel() else b"",
            data_dtype=str(t.dtype).removeprefix("torch."),
            host="" if t.device.type != "cpu" or device.type == "cpu" else "pinned" if t.is_pinned() else "cpu"))

    def spec(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            key = _torch.storage_identity(value)
            low = spans[key][0]
            return TensorSpec(index[key], tuple(value.shape), tuple(value.stride()), value.storage_offset() - low,
                              view=value._is_view(), conj=value.is_conj(), neg=value.is_neg(),
                              layout=_layouts(value))
        if isinstance(value, torch.device) and tensors and value == device:
            return DEVICE
        return value

    return OpCall(str(op), tuple(tree_map(spec, list(args))), tuple((k, tree_map(spec, v)) for k, v in kwargs.items()),
                  tuple(storages), family="watched", origin="watched", where=where)


def _layouts(t: torch.Tensor) -> tuple[str, ...]:
    """The layout words of crossref's reports for a tensor (strategies/tensors.py's)."""
    out = []
    if t.dim() == 4 and not t.is_contiguous() and t.is_contiguous(memory_format=torch.channels_last):
        out.append("channels_last")
    elif any(st == 0 and size > 1 for size, st in zip(t.shape, t.stride())):
        out.append("expanded")
    elif t.dim() >= 2 and not t.is_contiguous():
        out.append("permuted")
    if t.storage_offset():
        out.append("offset")
    return tuple(out) or ("contiguous",)


def user_frame() -> str:
    """The innermost Python frame outside torch and crossref: the line of the program
    that made the call ("model.py:42 (forward)")."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith((_HERE, _TORCH)) and not frame.f_code.co_filename.startswith("<"):
            shown = os.path.relpath(filename) if not os.path.relpath(filename).startswith("..") else filename
            return f"{shown}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back
    return ""


# --------------------------------------------------------------------------- a session


class WatchSession:
    """Checks the calls of programs run under it and records them: one ``ItemSearch``
    per op (the sweep's, so a watched call is checked, recorded, shrunk and written as a
    drawn one is), one corpus of distinct calls. ``ops``: glob patterns over the
    overloads to check (default: all). Make one with a ``checker`` and ``recorder`` of
    a pytest worker, or let it make its own for ``run_dir``."""

    def __init__(self, run_dir: str | os.PathLike, *, worker: str = "main", checker: Checker | None = None,
                 recorder: Recorder | None = None, modes: tuple[str, ...] = WATCH_MODES, ops: tuple[str, ...] = (),
                 shrink_seconds: float = SHRINK_SECONDS) -> None:
        self.run_dir = Path(run_dir)
        self.recorder = recorder or Recorder(self.run_dir, worker)
        self.checker = checker or Checker(devices=_devices(), recorder=self.recorder, modes=modes)
        self.ops = tuple(ops)
        self.shrink_seconds = shrink_seconds
        self.program = ""
        self.searches: dict[str, ItemSearch] = {}
        self.seen: dict[tuple, int] = {}  # call key -> how many times the programs made it
        self.corpus: dict[tuple, OpCall] = {}
        self.skipped: dict[str, str] = {}  # op -> why it is not checked
        self.started = time.time()
        self.checking = False
        self.errors = 0  # calls the watcher failed to check (each a note in the run's summary)

    def wants(self, op: str) -> bool:
        if op in self.skipped:
            return False
        if self.ops and not any(fnmatch.fnmatchcase(op, p) for p in self.ops):
            self.skipped[op] = "not selected"
            return False
        return True

    def observe(self, func, args: tuple, kwargs: dict) -> None:
        """Called before the program's own call of ``func``: check it when it is new."""
        op = str(func)
        if self.checking or not self.wants(op):
            return
        key = call_key(func, args, kwargs)
        if key is None:
            return
        count = self.seen.get(key, 0)
        self.seen[key] = count + 1
        if count:
            return
        self.checking = True
        try:
            call = capture(func, args, kwargs, where=" | ".join(filter(None, (self.program, user_frame()))))
            self.corpus[key] = call
            search = self.searches.get(op)
            if search is None:
                try:
                    entry = catalog.entry(op)
                except (KeyError, ValueError) as exc:
                    self.skipped[op] = f"not in the catalog: {exc}"
                    return
                search = self.searches[op] = ItemSearch(self.checker, entry, f"watch[{op}]",
                                                        shrink_seconds=self.shrink_seconds)
            device = call_device(_tensors(args, kwargs)).type
            if device not in self.checker.devices:
                self.skipped[op] = f"on {device}, which this session does not check"
                return
            with _no_autocast():  # the watcher sees calls autocast has cast already: not again
                search.check(call)
        except Exception as exc:  # noqa: BLE001 - the watcher never breaks the program it watches
            self.errors += 1
            self.recorder.write("note", {"watcher_error": f"{type(exc).__name__}: {str(exc)[:300]}", "op": op,
                                         "where": user_frame()})
        finally:
            self.checking = False

    @contextlib.contextmanager
    def watching(self, program: str = "") -> Iterator[WatchSession]:
        """Run the block with every op it calls checked; ``program`` names it in findings."""
        before, self.program = self.program, program or self.program
        try:
            with Watcher(self):
                yield self
        finally:
            self.program = before

    def finish(self) -> list[ItemResult]:
        """Shrink every op's new findings, write the corpus rows and flush; returns the
        ops' results (the recorder stays open: a pytest worker closes it)."""
        results = [search.finish() for search in self.searches.values()]
        for key, call in self.corpus.items():
            self.recorder.write("corpus", {"op": call.op, "call": call_to_json(call, data=False),
                                           "count": self.seen.get(key, 1), "where": call.where})
        self.recorder.flush()
        return results


@contextlib.contextmanager
def _no_autocast() -> Iterator[None]:
    """Autocast off for the block, on every device type that has it: a program under
    autocast reaches the dispatcher with its arguments cast, and a check that ran the
    call under the program's autocast would cast them a second time."""
    with contextlib.ExitStack() as stack:
        for device in ("cpu", "cuda"):
            if device == "cpu" or torch.cuda.is_available():
                stack.enter_context(torch.autocast(device, enabled=False))
        yield


def _devices() -> tuple[str, ...]:
    from .session.options import available_devices

    return available_devices()


class Watcher(_torch.TorchDispatchMode):
    """The dispatch mode: each op call goes to the session first, then runs for real."""

    def __init__(self, session: WatchSession) -> None:
        super().__init__()
        self.session = session

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.session.observe(func, args, kwargs)
        return func(*args, **kwargs)


# --------------------------------------------------------------------------- the entries

_ACTIVE: list[WatchSession] = []


@contextlib.contextmanager
def watch(report_dir: str | os.PathLike | None = None, *, program: str = "", modes: tuple[str, ...] = WATCH_MODES,
          ops: tuple[str, ...] | str = (), eager: bool = True) -> Iterator[WatchSession]:
    """Check every op the block runs (``eager``) and every graph ``torch.compile(...,
    backend="crossref")`` runs in it, real against fake; at the end, shrink the new
    findings and write the run to ``report_dir`` (default ``reports/<UTC timestamp>/``)
    like a sweep's, with ``corpus.jsonl``. ``ops``: glob patterns of the overloads to
    check (default: every aten and custom op). The session's ``summary`` holds the
    run's summary.json afterwards."""
    from .session.record import finish_run_dir, run_dir_for
    from .session.options import parse_modes

    chosen = parse_modes(modes if isinstance(modes, str) else ",".join(modes))
    patterns = tuple(p.strip() for p in (ops.split(",") if isinstance(ops, str) else ops) if p.strip())
    run_dir = run_dir_for(Path(report_dir) if report_dir else None, Path.cwd())
    session = WatchSession(run_dir, modes=chosen, ops=patterns)
    session.program = program
    _ACTIVE.append(session)
    try:
        if eager:
            with session.watching(program):
                yield session
        else:
            yield session
    finally:
        _ACTIVE.remove(session)
        session.summary = close(session, Path.cwd())
        finish_run_dir(run_dir, Path.cwd())


def close(session: WatchSession, root: Path) -> dict:
    """Finish a session that owns its recorder, and merge its run; returns the summary."""
    from .reporting import report

    session.finish()
    rows = dict(session.recorder.rows)
    session.recorder.close()
    return report.merge(session.run_dir, expected_rows={session.recorder.worker: rows["result"]}, meta={
        "devices": list(session.checker.devices), "modes_selected": list(session.checker.modes),
        "checks_selected": list(session.checker.checks), "watched": True, "programs": session.program,
        "ops_patterns": list(session.ops), "ops_selected": len(session.searches),
        "ops_skipped": dict(session.skipped), "calls_seen": sum(session.seen.values()),
        "distinct_calls": len(session.seen), "wall_seconds": time.time() - session.started, "workers_lost": [],
        "seed": 0, "profile": "watch"})


def current() -> WatchSession | None:
    """The innermost active session (``watch``), if any."""
    return _ACTIVE[-1] if _ACTIVE else None


_DEFAULT: list[WatchSession] = []


def _default_session() -> WatchSession:
    """A session for a ``backend="crossref"`` program run outside ``watch``: it writes
    its run to reports/<UTC timestamp>/ when the process exits."""
    if not _DEFAULT:
        import atexit

        from .session.record import finish_run_dir, run_dir_for

        run_dir = run_dir_for(None, Path.cwd())
        session = WatchSession(run_dir)
        session.program = " ".join(sys.argv[:1]) or "torch.compile"
        _DEFAULT.append(session)

        def write() -> None:
            summary = close(session, Path.cwd())
            finish_run_dir(run_dir, Path.cwd())
            print(f"crossref: {summary['checks']} checks of compiled graphs, {summary['findings_new']} new findings; "
                  f"report: {run_dir}", file=sys.stderr)

        atexit.register(write)
    return _DEFAULT[0]


def compile_backend(gm, example_inputs):
    """``torch.compile(model, backend="crossref")``: AOTAutograd with inductor's
    decompositions, forward and backward, each graph run op by op (an FX interpreter)
    under the watcher of the active ``watch`` session (or of a session that writes its
    run when the process exits)."""
    from torch._dynamo.backends.common import aot_autograd

    def compiler(graph, inputs):
        def run(args):
            session = current() or _default_session()
            with session.watching(session.program or "torch.compile(backend='crossref')"):
                return torch.fx.Interpreter(graph).boxed_run(args)

        run._boxed_call = True
        return run

    return aot_autograd(fw_compiler=compiler, bw_compiler=compiler,
                        decompositions=_torch.inductor_decompositions())(gm, example_inputs)


def read_corpus(paths: list[str | os.PathLike]) -> dict[str, list[OpCall]]:
    """The calls of corpus files (``corpus.jsonl`` of watched runs), by op, most made
    first, each marked as coming from a corpus. A missing or unreadable file, or a
    line that is not a call, is a one-line ValueError naming it."""
    from .check.opcall import call_from_json

    calls: dict[str, list[tuple[int, OpCall]]] = {}
    seen: set[str] = set()
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"corpus {str(path)!r} cannot be read: {exc.strerror or exc}") from None
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                call = call_from_json(row["call"]) if isinstance(row, dict) and "call" in row else None
            except (ValueError, TypeError) as exc:
                raise ValueError(f"corpus {str(path)!r} line {n} is not a crossref call: {exc}") from None
            if call is None:
                raise ValueError(f"corpus {str(path)!r} line {n} has no call")
            if row["call"] in seen:
                continue
            seen.add(row["call"])
            calls.setdefault(call.op, []).append((int(row.get("count", 1)),
                                                  dataclasses.replace(call, origin="corpus")))
    return {op: [c for _, c in sorted(found, key=lambda x: -x[0])] for op, found in calls.items()}
