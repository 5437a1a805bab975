"""Crash and hang isolation: work runs in a child process.

A kernel that segfaults, aborts, divides by zero in C++ or never returns would take
the whole run with it. A ``Child`` is one long-lived process that answers requests sent
over a pipe (only recipes and plain results cross it) with a handler built in the
child; when it dies or a request outlives its time limit, the request's answer is a
``Died``, a fresh child is started for the next one, and the run goes on. A shared
progress value tells what the child was doing when it happened.

``Isolated`` runs checks so (``Checker.compute``): a Died becomes a ``crash`` result
with a finding, the progress value saying which device and which side (real or fake)
was running. The consequence probes (crossref/impact/probes.py) run in Children too.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from dataclasses import dataclass

from ..check.checker import Checker, DeviceCheck
from ..check.classify import Finding, signature
from ..check.compare import ErrorInfo, Outcome
from ..check.opcall import OpCall

#: What the progress value says the child was doing (index into this tuple).
PHASES = ("idle", "real", "fake", "fake repeat", "fake uncached", "symbolic fake", "backward real", "backward fake",
          "autocast real", "autocast fake")


@dataclass(frozen=True, slots=True)
class IsolationOptions:
    timeout: float = 20.0  # seconds one check (all devices) may take
    # "fork": the child is a copy of the test process, with everything it registered
    # (custom ops and their fake kernels, planted bugs) and warm imports; a restart takes
    # milliseconds. Not once the parent has initialized CUDA: then "spawn".
    start_method: str = "fork"


STARTUP_SECONDS = 120.0


class ExecutorError(RuntimeError):
    """The isolated executor itself failed (not the op under test)."""


def _cuda_initialized() -> bool:
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_initialized())


#: What torch's autograd engine raises for a backward in a process forked after the
#: parent's backward started the engine's device threads (a CUDA build of torch does, with
#: or without a GPU; 2.11+cu130 without one, for a backward under fake mode): the child
#: can never run a backward.
AUTOGRAD_FORK_ERROR = "autograd's threading in combination with fork-based multiprocessing"


def autograd_after_fork() -> str | None:  # pragma: no cover - in the child
    """In a forked child: None when autograd works here, else why not. Without this
    check every backward check of such a child raises, on the real and the fake side
    alike, and reads as ``both_raised``: the backward findings would be lost silently."""
    import torch

    try:
        # The parent may have forked from inside no_grad (the watcher checks so).
        with torch.inference_mode(False), torch.enable_grad():
            x = torch.ones(1, requires_grad=True)
            torch.autograd.grad((x * 2).sum(), x)
    except Exception as exc:  # noqa: BLE001 - anything else is for the checks to meet, not this probe
        if AUTOGRAD_FORK_ERROR in str(exc):
            return str(exc).splitlines()[0]
    return None


def _serve(conn, progress, factory, args: tuple, imports: list | None = None) -> None:  # pragma: no cover
    """The child's loop (``imports`` None: forked, else spawned with the modules to import)."""
    import os

    import torch

    if imports:
        from ..check.catalog import import_registering

        import_registering(list(imports))

    # One intra-op thread, as in DataLoader workers: an OpenMP pool the parent started
    # does not survive fork (a parallel region in the child would wait for threads that
    # are gone), and pytest -n already gives every core a worker.
    torch.set_num_threads(1)

    # The kernels' C++ warnings (TORCH_WARN: "An output with one or more elements was
    # resized...") are printed straight to fd 2, thousands of times a sweep; a crash is
    # reported from the exit status, so the child's stderr goes nowhere.
    # The child also lets go of the test process's stdin/stdout: under pytest-xdist those
    # are the worker's channel to the controller, and a child still holding them would
    # hide the worker's death from the controller (it would wait for EOF forever).
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    import faulthandler

    faulthandler.disable()  # pytest's handler writes a dead child's "Fatal Python error" into the run's log

    def report(value: int) -> None:
        progress.value = value

    from .gpus import apply_memory_fraction

    apply_memory_fraction()
    broken = autograd_after_fork() if imports is None else None
    if broken:  # this forked child cannot run a backward: the parent starts a spawned one instead
        conn.send(("respawn", broken))
        return
    handle = factory(*args, report)
    conn.send("ready")
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        answer = handle(msg)
        if isinstance(answer, Poisoned):  # the process cannot go on: answer, then make way for a fresh one
            conn.send(answer)
            conn.close()
            os._exit(0)
        conn.send(answer)
        progress.value = 0


@dataclass(frozen=True, slots=True)
class Died:
    """A request the child did not answer: ``how`` it ended (killed by a signal, an exit
    status, no answer within the time limit) and the progress value it last reported."""

    how: str
    progress: int
    seconds: float


class Child:
    """One long-lived child process that answers requests, each with the handler
    ``factory(*args, report)`` built in the child (``report(int)`` sets the progress
    value the parent reads when the child dies). A request it does not answer in time,
    or that kills it, is a ``Died``; the next request starts a fresh child.

    ``factory`` must be a module-level function (a spawned child imports it)."""

    def __init__(self, factory, args: tuple = (), *, timeout: float = 20.0, start_method: str = "fork") -> None:
        self.factory, self.args, self.timeout = factory, args, timeout
        if start_method == "fork" and _cuda_initialized():
            start_method = "spawn"  # a forked child cannot use CUDA once the parent has
        self.ctx = mp.get_context(start_method)
        self.proc = None
        self.conn = None
        self.progress = None
        self.sent = 0.0  # when the request in flight was sent
        self.respawned = ""  # why children are spawned rather than forked, once a forked one could not work

    @property
    def forked(self) -> bool:
        return self.ctx.get_start_method() == "fork"

    def start(self) -> None:
        parent, child = self.ctx.Pipe()
        self.progress = self.ctx.Value("i", 0, lock=False)
        # A spawned child starts bare: it imports the modules that register custom ops.
        from ..check.catalog import registering_imports

        imports = None if self.forked else registering_imports()
        self.proc = self.ctx.Process(target=_serve, args=(child, self.progress, self.factory, self.args, imports),
                                     daemon=True, name="crossref-executor")
        self.proc.start()
        child.close()
        self.conn = parent
        # A child that cannot even start is the harness's problem, not an op's crash.
        try:
            answer = parent.recv() if parent.poll(STARTUP_SECONDS) else None
        except (EOFError, OSError):
            answer = None
        if isinstance(answer, tuple) and answer[0] == "respawn" and self.forked:
            # Autograd cannot run in a child forked from this process any more (its
            # engine's threads have started): from now on children are spawned.
            self.kill()
            self.ctx, self.respawned = mp.get_context("spawn"), answer[1]
            return self.start()
        if answer != "ready":
            code = self.kill()
            raise ExecutorError(f"the crash-isolation child did not start ({_death(code)}); "
                                "run with --crossref-no-isolate to see why")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.is_alive()

    def send(self, msg) -> Died | None:
        """Send a request (starting the child if needed); a Died when the pipe is broken."""
        if not self.alive:
            self.start()
        self.sent = time.perf_counter()
        try:
            self.conn.send(msg)
        except (BrokenPipeError, ConnectionResetError, OSError):
            return self.died(None)
        return None

    def receive(self, timeout: float | None = None):
        """The answer to the request in flight, or a Died (``timeout``: seconds left to
        wait, by default what is left of the child's time limit)."""
        left = self.timeout - (time.perf_counter() - self.sent) if timeout is None else timeout
        try:
            if self.conn.poll(max(left, 0.0)):
                return self.conn.recv()
            how = f"hung: no answer within {self.timeout:g} s"
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
            how = None
        return self.died(how)

    def ask(self, msg):
        """Send ``msg`` and wait for the answer (or a Died)."""
        return self.send(msg) or self.receive()

    def died(self, how: str | None) -> Died:
        where = self.progress.value if self.progress is not None else 0
        code = self.kill()
        return Died(how or _death(code), where, time.perf_counter() - self.sent)

    def kill(self) -> int | None:
        """Stop the child (if still alive) and return its exit code."""
        proc, code = self.proc, None
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)
            code = proc.exitcode
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None
        return code

    def close(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(timeout=5)
            except (BrokenPipeError, OSError):
                pass
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
        self.proc = self.conn = None


@dataclass(frozen=True, slots=True)
class Poisoned:
    """A request's answer from a child whose process can no longer work (a sticky CUDA
    error poisons the context: every later CUDA call fails): the child exits after
    sending it, and the next request starts a fresh one."""

    answer: object
    message: str  # the error that poisoned it
    progress: int


#: Errors after which a CUDA context is unusable for the rest of its process.
STICKY_CUDA_ERRORS = ("device-side assert triggered", "an illegal memory access was encountered",
                      "misaligned address", "unspecified launch failure", "an illegal instruction was encountered",
                      "CUBLAS_STATUS_EXECUTION_FAILED", "CUDA error: operation not permitted when stream is capturing")


def sticky_error(checks, devices: tuple[str, ...]) -> tuple[str, int] | None:
    """The first error among ``checks``' outcomes that poisons a CUDA context, with where
    it happened as a progress value (the device, and the real or fake side), or None."""
    for ch in checks:
        for side, outcome in (("real", ch.real), ("fake", ch.fake), ("fake", ch.repeat), ("fake", ch.fresh)):
            err = getattr(outcome, "error", None)
            if err is not None and any(s in err.message for s in STICKY_CUDA_ERRORS):
                d = devices.index(ch.device) if ch.device in devices else 0
                return err.short(), d * len(PHASES) + PHASES.index(side)
    return None


def _checker(checker_kwargs: dict, report):  # pragma: no cover - in the child
    """The check handler of a child: ``Checker.compute`` of each request; a check that
    poisoned the CUDA context is answered ``Poisoned`` (the child then exits)."""
    checker = Checker(recorder=None, **checker_kwargs)
    checker.progress = lambda device_index, phase: report(device_index * len(PHASES) + PHASES.index(phase))

    def handle(msg):
        checks = checker.compute(*msg)
        poison = sticky_error(checks, tuple(checker.devices))
        return Poisoned(checks, *poison) if poison else checks

    return handle


class Isolated:
    """Runs ``Checker.compute`` in a child process; see the module docstring."""

    def __init__(self, checker_kwargs: dict, options: IsolationOptions = IsolationOptions()) -> None:
        self.checker_kwargs = checker_kwargs
        self.devices = tuple(checker_kwargs.get("devices", ("cpu",)))
        self.options = options
        self.child = Child(_checker, (checker_kwargs,), timeout=options.timeout, start_method=options.start_method)

    def close(self) -> None:
        self.child.close()

    def compute(self, call: OpCall, tags: frozenset[str], devices: tuple[str, ...] | None = None,
                cache: bool = True, modes: tuple[str, ...] = ("static",)) -> list[DeviceCheck]:
        if not self.child.alive and self.child.forked:
            # Import fake mode's lazy dependencies (torch._dynamo: seconds) once, here,
            # so that every forked child starts warm.
            from .. import _torch

            _torch.new_fake_mode()
        answer = self.child.ask((call, tags, devices, cache, modes))
        if isinstance(answer, Died):
            return [crash_check(call, self.devices, answer.progress, answer.how, answer.seconds)]
        if isinstance(answer, Poisoned):  # a crash of this call; the child is gone, the next starts fresh
            self.child.kill()
            return [crash_check(call, self.devices, answer.progress, f"poisoned its CUDA context: {answer.message}",
                                0.0)]
        return answer


def _death(code: int | None) -> str:
    if code is None:
        return "died"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def crash_check(call: OpCall, devices: tuple[str, ...], where: int, how: str, seconds: float) -> DeviceCheck:
    """The check of a call that killed or hung the executor, as a ``crash`` result."""
    device = devices[min(where // len(PHASES), len(devices) - 1)]
    phase = PHASES[where % len(PHASES)]
    side = "real" if phase.endswith("real") else "fake"
    mode = phase.split()[0] if phase.split()[0] in ("symbolic", "backward", "autocast") else "static"
    text = f"{how} during the {phase} call on {device}"
    err = ErrorInfo(type="Crash", message=text, phase=phase, limitation=False)
    outcome_real = Outcome("real", device, "", (), (), err if side == "real" else None, seconds)
    outcome_fake = Outcome("fake", device, "", (), (), err if side == "fake" else None, seconds)
    kind = how.split(":")[0].replace("killed by ", "")
    sig = signature(call.op, "crash", f"{side}:process", device, kind, mode)
    finding = Finding(signature=sig, op=call.op, category="crash", severity="high", field=f"{side}:process",
                      real=text if side == "real" else "", fake=text if side == "fake" else "", device=device,
                      dtypes=call.dtypes(), traits=tuple(sorted(call.traits())), known=None, mode=mode)
    return DeviceCheck(device, "crash", outcome_real, outcome_fake, (finding,), mode=mode)
