"""The Python API: check one operator's fake kernel from a user's own code or tests.

    import crossref
    findings = crossref.check_op(torch.ops.mylib.scale.default, examples=200)
    crossref.assert_fake_kernel_matches(mylib.scale, k=st.integers(1, 4))
    crossref.impact_of(findings[0]).impact    # what it breaks in a compiled program

An op of any namespace: an ``OpOverload``, an ``OpOverloadPacket`` with one overload,
a ``torch.library.custom_op`` function, or a name (``"mylib::scale"``,
``"mylib.scale.default"``). Calls are drawn from the op's schema exactly as the sweep
draws them (strategies/drive.py), in every compiler mode, crash-isolated; each new
finding is shrunk. Keyword arguments named after the op's arguments fix them to a
value, or constrain them with a Hypothesis strategy (``crossref.tensors(...)`` for a
tensor); the shrinker leaves those alone.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from hypothesis import strategies as st

from . import _torch
from .check import catalog
from .check.checker import DEFAULT_CHECKS, Checker
from .check.opcall import OpCall, TensorRecipe
from .errors import UsageError
from .search.item import ItemResult, ItemSearch
from .session.failure import message
from .session.options import available_devices, check_devices, parse_modes

#: Seconds one ``check_op`` may spend shrinking its new findings, shared among them.
SHRINK_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class OpFinding:
    """One way the fake kernel disagrees with the real one, on the shrunk call."""

    op: str  # "mylib.scale.default"
    category: str  # the taxonomy of the README ("stride", "missing_error"...)
    severity: str
    field: str  # what differs: "out[0].stride", "exception"...
    real: str
    fake: str
    device: str
    mode: str  # static | symbolic | backward | autocast
    dtypes: tuple[str, ...]
    signature: str
    example: str  # the shrunk call, as one line
    repro_script: str  # a standalone script (plain torch): exit 1 while it reproduces
    call: OpCall  # the shrunk call as data
    # the implementation that gave fake mode's answer: the op's fake kernel
    # ("mylib.ops:_scale_fake"), or where a backward finding's inner op was answered
    fake_impl: str = ""
    autocast: str = ""  # autocast mode: the dtype it ran in ("bfloat16")

    def __str__(self) -> str:
        where = self.device + (f", {self.mode} mode" if self.mode != "static" else "")
        return f"[{self.severity} {self.category}] {where} {self.field}: real={self.real} fake={self.fake}  " \
               f"call: {self.example}"


def check_op(op: Any, *, examples: int = 100, devices: Any = None, modes: Any = None, seed: int = 0,
             **arguments: Any) -> list[OpFinding]:
    """Draw ``examples`` calls of ``op`` (default 100), run each for real and in fake
    mode on ``devices`` (default: cpu, plus cuda when available) in ``modes`` (default:
    static, symbolic, backward, autocast), and return the new findings, each shrunk,
    most severe first (empty: the fake kernel agreed everywhere). ``seed`` picks the
    calls (default 0: the same calls every time). ``arguments``: op argument name ->
    a value or a Hypothesis strategy."""
    return _search(op, examples, devices, modes, seed, arguments)[1]


def assert_fake_kernel_matches(op: Any, *, examples: int = 100, devices: Any = None, modes: Any = None,
                               seed: int = 0, **arguments: Any) -> None:
    """``check_op``, for use in a test: raises an AssertionError naming every failing
    finding with its shrunk call, real and fake side by side."""
    result, findings = _search(op, examples, devices, modes, seed, arguments)
    if findings:
        # The repro scripts go to a fresh temporary folder, named in the message.
        folder = Path(tempfile.mkdtemp(prefix="crossref-"))
        new = []
        for n, f in zip(result.new, findings):
            path = folder / f"{f.signature}.py"
            path.write_text(f.repro_script)
            new.append(dataclasses.replace(n, repro=str(path)))
        raise AssertionError(message(dataclasses.replace(result, new=tuple(new))))


def _search(op: Any, examples: int, devices: Any, modes: Any, seed: int,
            arguments: dict[str, Any]) -> tuple[ItemResult, list[OpFinding]]:
    entry = resolve(op)
    from .strategies.calls import unsupported_reason

    reason = entry.skip or unsupported_reason(entry)
    if reason:
        raise UsageError(f"{entry.name} cannot be checked: {reason}")
    fixed = _arguments(entry, arguments)
    if not isinstance(examples, int) or isinstance(examples, bool) or examples < 1:
        raise UsageError(f"examples={examples!r} must be a whole number of at least 1")
    chosen_devices = _devices(devices)
    runnable = tuple(d for d in chosen_devices if entry.runs_on(d))
    if not runnable:
        raise UsageError(f"{entry.name} has no kernel on {', '.join(chosen_devices)} "
                         f"(its kernels: {', '.join(sorted(entry.kernels)) or 'none'})")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise UsageError(f"seed={seed!r} must be a whole number")
    try:
        chosen_modes = parse_modes(modes if modes is None or isinstance(modes, str) else ",".join(map(str, modes)))
    except UsageError:
        raise UsageError(f"modes={modes!r}: choose from static, symbolic, backward, autocast") from None
    from .session.isolate import Isolated
    from .strategies.drive import drive

    checker = Checker(devices=runnable, recorder=None, checks=DEFAULT_CHECKS, modes=chosen_modes)
    checker.isolated = Isolated({"devices": runnable, "all_strides": False, "checks": DEFAULT_CHECKS})
    try:
        search = ItemSearch(checker, entry, f"check_op[{entry.name}]", shrink_seconds=SHRINK_SECONDS,
                            frozen=frozenset(fixed))
        drive(entry, search.check, examples=examples, seed=seed, with_variants="static" in chosen_modes,
              fixed=fixed or None, accelerated=checker.accelerated)
        result = search.finish()
        if result.valid == 0:  # nothing was checked: an empty answer would read as "agrees everywhere"
            raise UsageError(f"{entry.name}: the real kernel accepted none of the {result.checks} calls drawn "
                             f"(the last error: {search.last_error or '?'}); fix or constrain the arguments "
                             "(check_op(op, x=crossref.tensors(...), ...))")
        findings = []
        for n in result.new:
            f = n.finding
            autocast = next((ch.autocast for ch in n.checks if f in ch.findings), "")
            findings.append(OpFinding(f.op, f.category, f.severity, f.field, f.real, f.fake, f.device, f.mode,
                                      f.dtypes, f.signature, n.call.describe_mode(f.mode),
                                      checker.repro_script(n.call, f, autocast=autocast), n.call, f.fake_impl,
                                      autocast))
    finally:
        checker.isolated.close()
    return result, findings


def impact_of(finding: OpFinding, *, backends: Any = None) -> Any:
    """What ``finding`` (from ``check_op``) breaks in a compiled program: its shrunk call
    run through ``torch.compile(fullgraph=True)`` on ``backends`` (default:
    aot_eager, aot_eager_decomp_partition, inductor) and compared with eager
    (crossref/impact/consequence.py). Returns an ``impact.Consequence``: ``impact`` (wrong_values,
    crash, wrong_metadata, runtime_assert, accepts_invalid, compile_error, none,
    not_probed), the ``backend`` that showed it, a one-line ``detail``, and every
    backend's ``results``. Runs in this process: a call that crashes the process
    takes it down (``crossref impact RUN`` isolates)."""
    from .impact import consequence as impact
    from .session.options import parse_backends

    if not isinstance(finding, OpFinding):
        raise UsageError(f"finding={finding!r} is not a crossref.check_op finding")
    chosen = parse_backends(backends if backends is None or isinstance(backends, str) else ",".join(backends),
                            "backends") or impact.BACKENDS
    return impact.probe(finding.call, mode=finding.mode, device=finding.device, autocast=finding.autocast,
                        category=finding.category, field=finding.field, fake=finding.fake, backends=chosen)


def resolve(op: Any) -> catalog.OpEntry:
    """The catalog entry of ``op``: an OpOverload, an OpOverloadPacket with a single
    overload, a torch.library.custom_op function, or a name."""
    overload = _torch.custom_op_overload(op)
    if overload is not None:
        op = overload
    if isinstance(op, torch._ops.OpOverloadPacket):
        names = op.overloads()
        if len(names) != 1:
            raise UsageError(f"{op} has several overloads ({', '.join(names)}): pass one, e.g. {op}.{names[0]}")
        op = getattr(op, names[0])
    if isinstance(op, torch._ops.OpOverload):
        return catalog.entry(str(op))
    if isinstance(op, str):
        name = op.replace("::", ".")
        if name.count(".") == 1:
            namespace, packet = name.split(".")
            try:
                packet_obj = getattr(getattr(torch.ops, namespace), packet)
            except (AttributeError, RuntimeError):
                raise UsageError(f"op {op!r} is not registered (is the module that registers it imported?)") from None
            return resolve(packet_obj)
        return catalog.entry(name)
    raise UsageError(f"op={op!r} is not an operator: pass an OpOverload (torch.ops.mylib.scale.default), "
                     "a custom_op function, or a name ('mylib::scale')")


#: What a plain value of each schema type may be (strategies are drawn per call, unchecked).
_PLAIN = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "number": (int, float, bool, complex),
          "ScalarType": (torch.dtype,)}


def _arguments(entry: catalog.OpEntry, arguments: dict[str, Any]) -> dict[str, Any]:
    schema = {a.name: str(a.real_type) for a in entry.schema.arguments}
    for name, value in arguments.items():
        if name not in schema:
            raise UsageError(f"{entry.name} has no argument {name!r} (its arguments: {', '.join(schema)})")
        if isinstance(value, torch.Tensor):
            raise UsageError(f"argument {name}: pass a tensor as crossref.tensors(shape=..., dtype=...) (a strategy, "
                             "which every call draws afresh and a repro can rebuild), not a torch.Tensor")
        if isinstance(value, st.SearchStrategy):
            continue
        if callable(value) and not isinstance(value, TensorRecipe):
            raise UsageError(f"argument {name}={value!r}: a value or a Hypothesis strategy, not a function")
        kind = schema[name]
        optional = kind.startswith("Optional[")
        inner = kind[len("Optional["):-1] if optional else kind
        if value is None:
            ok = optional
        elif inner in ("Tensor", "List[Tensor]", "List[Optional[Tensor]]"):
            members = value if isinstance(value, (list, tuple)) and inner != "Tensor" else [value]
            ok = all(isinstance(v, (TensorRecipe, st.SearchStrategy)) or v is None and "Optional" in inner
                     for v in members)
        elif inner.startswith("List["):
            item = _PLAIN.get(inner[len("List["):-1])
            ok = isinstance(value, (list, tuple)) and (item is None or all(
                isinstance(v, item) and not (isinstance(v, bool) and bool not in item) for v in value))
        else:
            allowed = _PLAIN.get(inner)
            ok = allowed is None or isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
        if not ok:
            what = "a crossref.tensors(...) strategy" if "Tensor" in inner else inner
            raise UsageError(f"argument {name}={value!r} does not fit its type {kind} (pass {what}"
                             + (" or None" if optional else "") + ", or a Hypothesis strategy)")
    return dict(arguments)


def _devices(devices: Any) -> tuple[str, ...]:
    if devices is None:
        return available_devices()
    return check_devices((devices,) if isinstance(devices, str) else tuple(devices), devices, "devices")
