"""What a finding breaks: its shrunk call run through torch.compile and compared with eager.

A finding says fake mode answers differently from the kernel; this says what that does
to a compiled program. The call runs eagerly twice, the second time with the memory
kernels leave unwritten filled (``_torch.filled_uninitialized_memory``): values the two
runs disagree on come from garbage and are not compared. Then it runs through
``torch.compile(fullgraph=True)`` on each backend (``BACKENDS``), in the finding's own
mode: static shapes (``dynamic=False``); symbolic (``dynamic=True`` with the check's
static dims marked static, and for a specialization finding its dynamic dims marked
dynamic, so that fixing one fails as it does for a user who marks them); backward (the
compiled forward, then ``torch.autograd.grad`` with the check's grad_outputs through
the backward AOTAutograd compiled with it); autocast (the compiled call inside the same
autocast). A cache finding is compiled twice: the second compile meets the dispatch
cache the first one filled.

Eager and compiled are compared by the oracle (crossref/check/compare.py): every output's and
every input's metadata after the call, their values (``compare.values_differ``), and
exception parity. Each backend's result is one consequence (taxonomy.Impact); the
finding's is the worst over the backends:

- eager raises, compiled raises: ``none``; eager raises, compiled runs: ``accepts_invalid``;
- eager runs, compiled raises while compiling: ``compile_error`` (and whether
  ``fullgraph=False`` recovers with a graph break); at run time, an AssertionError
  (inductor's size/stride assertions): ``runtime_assert``; any other exception, or the
  process dying (crossref/impact/probes.py runs probes crash-isolated): ``crash``;
- both run: values differ: ``wrong_values``; metadata differs: ``wrong_metadata``; else ``none``.

Plain Python on torch; the scheduling of many probes (budget, cache, child processes)
is crossref/impact/probes.py.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch.utils._pytree import tree_flatten, tree_map, tree_unflatten

from .. import _torch
from ..check.compare import Mismatch, Outcome, compare, compare_values, values_differ
from ..check.execute import run_real, symint_arguments
from ..check.opcall import OpCall
from ..taxonomy import Impact, worst_impact

#: The backends a user meets, cheapest first.
BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "inductor")
#: Bumped when the probe's judgement changes: cached results of older probes are redone.
PROBE_VERSION = 3

_SKIP_CATEGORIES = {"unsupported": "a declared limitation of fake mode (torch.compile graph-breaks on it)"}


@dataclass(frozen=True, slots=True)
class BackendResult:
    """One backend's consequence: the impact, a one-line detail, the seconds it took."""

    backend: str
    impact: str  # taxonomy.Impact
    detail: str
    seconds: float
    field: str = ""  # the first field where the compiled program differs ("out[0].stride", "error")


@dataclass(frozen=True, slots=True)
class Consequence:
    """A finding's consequence: the worst backend's impact, that backend and its detail,
    and every backend's result."""

    impact: str
    backend: str
    detail: str
    results: tuple[BackendResult, ...] = ()
    seconds: float = 0.0
    field: str = ""

    @staticmethod
    def of(results: tuple[BackendResult, ...], seconds: float) -> Consequence:
        worst = worst_impact(r.impact for r in results) or Impact.NONE.value
        first = next(r for r in results if r.impact == worst)
        return Consequence(worst, first.backend, first.detail, results, seconds, first.field)


def not_probed(reason: str) -> Consequence:
    return Consequence(Impact.NOT_PROBED.value, "", reason)


def skip_reason(call: OpCall, category: str, field: str = "") -> str:
    """Why a finding's call is not run through torch.compile ("" when it is)."""
    if category in _SKIP_CATEGORIES:
        return _SKIP_CATEGORIES[category]
    if category == "crash" and field.startswith("real:"):
        return "the kernel itself crashes the process: eager dies as a compiled program would"
    try:
        op = call.overload
    except (AttributeError, RuntimeError):
        return f"{call.op} is not registered in this process"
    if torch.Tag.nondeterministic_seeded in op.tags:
        return "a random op: compiled code draws other random numbers"
    return ""


class _Compiled:
    """``execute.run_real``'s ``invoke``: the op called through ``torch.compile`` of a
    closure that takes the call's tensors (and, dynamic, its SymInt arguments) as
    inputs and every other argument as a constant. ``in_program`` turns true when an
    exception leaves the compiled graph the backend returned: it is the compiled
    program's, not the compiler's (dynamo builds its guards after the backend returns,
    so a compile can still fail then)."""

    def __init__(self, backend: str, *, dynamic: bool, strict: bool, fullgraph: bool) -> None:
        self.dynamic, self.strict, self.fullgraph = dynamic, strict, fullgraph
        self.in_program = False
        compile_graph = _torch.compiler_backend(backend)

        def compiled_by(gm, example_inputs):
            fn = compile_graph(gm, example_inputs)

            @functools.wraps(fn)  # keeps the calling convention the backend marked (_boxed_call)
            def program(*args):
                try:
                    return fn(*args)
                except BaseException:
                    self.in_program = True
                    raise

            return program

        compiled_by.__name__ = compiled_by.__qualname__ = backend  # dynamo's messages name the backend
        self._backend = compiled_by

    def __call__(self, call: OpCall, op, args: tuple, kwargs: dict) -> Any:
        leaves, spec = tree_flatten((list(args), kwargs))
        symints = symint_arguments(op) if self.dynamic else frozenset()
        ints = _symint_leaves(op, args, kwargs, symints) if symints else set()
        slots: list[int] = []  # for each leaf that is an input: which input
        inputs: list[Any] = []
        seen: dict[int, int] = {}
        for i, leaf in enumerate(leaves):
            if isinstance(leaf, torch.Tensor):
                if id(leaf) not in seen:
                    seen[id(leaf)] = len(inputs)
                    inputs.append(leaf)
                slots.append(seen[id(leaf)])
            elif i in ints:
                slots.append(len(inputs))
                inputs.append(leaf)
            else:
                slots.append(-1)

        def program(*xs):
            values = [leaf if k < 0 else xs[k] for leaf, k in zip(leaves, slots)]
            a, kw = tree_unflatten(values, spec)
            return op(*a, **kw)

        if self.dynamic:
            tensors = [x for x in inputs if isinstance(x, torch.Tensor)]
            for k, t in enumerate(tensors):
                _torch.mark_dims(t, call.dynamic_dims(k, t.dim()), strict=self.strict)
        compiled = torch.compile(program, backend=self._backend, fullgraph=self.fullgraph, dynamic=self.dynamic)
        return compiled(*inputs)


def _symint_leaves(op, args: tuple, kwargs: dict, names: frozenset[str]) -> set[int]:
    """Indices, among the leaves of ``(list(args), kwargs)``, of the ints of 2 or more in
    SymInt arguments: the symbols of symbolic mode (execute._symbolic_ints)."""
    schema = op._schema.arguments

    def mark(value: Any, symint: bool) -> Any:
        return tree_map(lambda v: symint and isinstance(v, int) and not isinstance(v, bool) and v >= 2, value)

    mask = ([mark(v, i < len(schema) and schema[i].name in names) for i, v in enumerate(args)],
            {k: mark(v, k in names) for k, v in kwargs.items()})
    return {i for i, marked in enumerate(tree_flatten(mask)[0]) if marked is True}


def _how(mode: str) -> str:
    """The execute.py mode the eager and compiled runs use (a symbolic finding's call
    runs for real as it is; its compile is dynamic)."""
    return "static" if mode == "symbolic" else mode


def probe(call: OpCall, *, mode: str = "static", device: str = "cpu", autocast: str = "", category: str = "",
          field: str = "", fake: str = "", backends: tuple[str, ...] = BACKENDS,
          progress: Callable[[str], None] | None = None) -> Consequence:
    """Run ``call`` (a finding's shrunk call, in its ``mode``; ``autocast``: the dtype
    name an autocast finding ran in) through torch.compile on each of ``backends`` and
    say what the compiled program gets wrong against eager. ``category``, ``field``
    and ``fake`` are the finding's: a cache finding compiles twice, and a difference at
    the finding's field that equals fake mode's answer says so. ``progress(phase)`` is
    told ``eager`` and each backend's name before they run."""
    start = time.perf_counter()
    reason = skip_reason(call, category, field)
    if reason:
        return not_probed(reason)
    tell = progress or (lambda phase: None)
    if mode == "backward":
        call = call.requiring_grad()
    how = _how(mode)
    dtype = getattr(torch, autocast) if autocast else None
    with _torch.probing_compiler():
        tell("eager")
        kept: list = []
        eager = run_real(call, device, how=how, autocast=dtype, keep=kept)
        again: list = []
        with _torch.filled_uninitialized_memory():  # a kernel's unwritten output differs from the first run's
            run_real(call, device, how=how, autocast=dtype, keep=again)
        steady = _steady(kept, again)
        results = []
        for backend in backends:
            tell(backend)
            t0 = time.perf_counter()
            impact, detail, where = _one(call, backend, eager, kept, steady, how=how, dtype=dtype, mode=mode,
                                         category=category, field=field, fake=fake, device=device, tell=tell)
            results.append(BackendResult(backend, impact, detail, time.perf_counter() - t0, where))
    return Consequence.of(tuple(results), time.perf_counter() - start)


def _steady(first: list, second: list) -> list[list[bool]]:
    """Per kept group (outputs, inputs after), per leaf: whether two eager runs gave the
    same values (an op that returns uninitialized memory does not)."""
    if len(first) != len(second):
        return [[False] * len(g) for g in first]

    return [[not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or values_differ(a, b) is None
             for a, b in zip(ga, gb)] for ga, gb in zip(first, second)]


def _compiled_run(call: OpCall, backend: str, *, how: str, dtype, mode: str, category: str, device: str,
                  fullgraph: bool = True) -> tuple[Outcome, list, _Compiled]:
    dynamic = mode == "symbolic"
    if category == "cache":  # the first compile fills the dispatch cache; the probe is the second
        _torch.reset_compiler()
        run_real(call, device, how=how, autocast=dtype,
                 invoke=_Compiled(backend, dynamic=dynamic, strict=False, fullgraph=fullgraph))
    _torch.reset_compiler()
    if category != "cache":
        _torch.clear_fake_cache()  # cold, as a first compile of the program
    invoke = _Compiled(backend, dynamic=dynamic, strict=category == "specialization", fullgraph=fullgraph)
    kept: list = []
    outcome = run_real(call, device, how=how, autocast=dtype, invoke=invoke, keep=kept)
    return outcome, kept, invoke


def _one(call: OpCall, backend: str, eager: Outcome, kept: list, steady: list, *, how: str, dtype, mode: str,
         category: str, field: str, fake: str, device: str, tell) -> tuple[str, str, str]:
    """One backend's (impact, detail, field)."""
    compiled, got, invoke = _compiled_run(call, backend, how=how, dtype=dtype, mode=mode, category=category,
                                          device=device)
    outputs = "grad" if mode == "backward" else "out"
    impact, detail, where = judge(eager, kept, steady, compiled, got, in_program=invoke.in_program, outputs=outputs,
                                  field=field, fake=fake)
    if impact == Impact.COMPILE_ERROR.value:
        tell(f"{backend} fullgraph=False")
        retry, retry_got, _ = _compiled_run(call, backend, how=how, dtype=dtype, mode=mode, category=category,
                                            device=device, fullgraph=False)
        again = judge(eager, kept, steady, retry, retry_got, in_program=True, outputs=outputs)[0]
        detail += ("; fullgraph=False recovers (a graph break)" if again == Impact.NONE.value
                   else f"; with fullgraph=False: {again}")
    return impact, f"{backend}: {detail}", where


def judge(eager: Outcome, kept: list, steady: list, compiled: Outcome, got: list, *, in_program: bool,
          outputs: str = "out", field: str = "", fake: str = "") -> tuple[str, str, str]:
    """The consequence of one compiled run against eager: (taxonomy.Impact value, a
    one-line detail, the field of the first difference: ``error`` for exception parity)."""
    impact, detail, where = _judge(eager, kept, steady, compiled, got, in_program=in_program, outputs=outputs,
                                   field=field, fake=fake)
    return impact.value, detail, where


def _judge(eager: Outcome, kept: list, steady: list, compiled: Outcome, got: list, *, in_program: bool,
           outputs: str, field: str, fake: str) -> tuple[Impact, str, str]:
    """``judge``, its impact as the enum.

    ``kept``/``got``: the eager and compiled runs' output leaves and inputs after the
    call (``execute.run_real``'s ``keep``); ``steady``: which of eager's have values
    two eager runs agree on; ``in_program``: the compiled run's exception left the
    compiled graph (it is the program's, not the compiler's; an exception of the
    backward pass, which compiles lazily, is told apart by its type); ``outputs``:
    ``grad`` when the outcomes are backward passes' gradients."""
    if eager.error is not None:
        if compiled.error is not None:
            both = compiled.error.type == eager.error.type
            return Impact.NONE, (f"raises as eager does ({eager.error.short()[:120]})" if both else
                                 f"raises where eager raises (eager: {eager.error.short()[:100]}; compiled: "
                                 f"{_error_line(compiled.error)[:100]})"), ""
        return Impact.ACCEPTS_INVALID, f"runs where eager raises {eager.error.short()[:160]}", "error"
    if compiled.error is not None:
        err = compiled.error
        text = _error_line(err)[:200]
        failed_compiling = (not in_program and err.phase != "backward") or _torch_compile_error(err)
        if failed_compiling:
            why = f" ({_GRAPH_BREAKS[key]})" if (key := next((k for k in _GRAPH_BREAKS if k in err.message), "")) else ""
            return Impact.COMPILE_ERROR, f"compiling raises {text}{why}", "error"
        if err.type == "AssertionError":
            return Impact.RUNTIME_ASSERT, f"the compiled program's assertion fails: {text}", "error"
        return Impact.CRASH, f"the compiled program raises at run time where eager runs: {text}", "error"
    metadata = compare(eager, compiled, outputs=outputs)
    values: tuple[Mismatch, ...] = ()
    if len(kept) == 2 and len(got) == 2:
        for name, ge, gc, ok in zip((outputs, "input"), kept, got, steady):
            values += compare_values(name, [e if s else None for e, s in zip(ge, ok)], gc)
    wrong_values = [m for m in metadata if m.kind == "value"] + list(values)
    if wrong_values:
        return (Impact.WRONG_VALUES, *_describe(wrong_values, field, fake))
    if metadata:
        return (Impact.WRONG_METADATA, *_describe(list(metadata), field, fake))
    return Impact.NONE, "agrees with eager", ""


def _error_line(err) -> str:
    """An exception as one line: dynamo's wrappers ("backend='inductor' raised:", "RuntimeError
    when making fake tensor call") say what went wrong on a later line: that one is added."""
    lines = [line.strip() for line in err.message.strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if len(lines) > 1 and (first.endswith(":") or "when making fake tensor call" in first):
        inner = next((line for line in lines[1:] if not line.startswith(("Explanation:", "Hint:", "Developer"))),
                     lines[1])
        inner = inner.removeprefix("Explanation: ")
        return f"{err.type}: {first} {inner}"
    return err.short()


def _torch_compile_error(err) -> bool:
    return err.type in _COMPILE_ERROR_TYPES


#: Compile failures dynamo has for any call of a kind, whatever fake mode answered: said so
#: in the detail (the consequence is still the call's).
_GRAPH_BREAKS = {"Shape mismatch with out=": "dynamo graph-breaks on every out= tensor that must be resized"}

#: Exception types only the compile stack raises, by name (ErrorInfo keeps the name).
_COMPILE_ERROR_TYPES = frozenset({"TorchRuntimeError", "BackendCompilerFailed", "Unsupported", "UserError",
                                  "InternalTorchDynamoError", "ConstraintViolationError", "LoweringException",
                                  "InductorError", "CppCompileError", "UncapturedHigherOrderOpError",
                                  "TorchDynamoException", "SkipFrame", "RestartAnalysis"})


def _describe(found: list[Mismatch], field: str, fake: str) -> tuple[str, str]:
    """The first difference as a line (the finding's own field first), noting when the
    compiled program's answer is fake mode's, and how many more there are; and its field."""
    plain = field.split(":", 1)[1] if ":" in field else field
    found = sorted(found, key=lambda m: m.field != plain)
    m = found[0]
    if m.field.endswith(".values"):
        text = f"{m.field.removesuffix('.values')} values: {m.fake}"
    else:
        text = f"{m.field} is {m.fake} where eager gives {m.real}"
        if m.field == plain and fake and m.fake == fake:
            text += " (fake mode's answer)"
    more = len(found) - 1
    return text + (f"; {more} more difference{'s' if more > 1 else ''}" if more else ""), m.field
