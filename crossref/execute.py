"""Run one OpCall for real and under FakeTensorMode, and describe what came out.

Both sides build fresh inputs from the call's recipes, so in-place and out= calls
never see each other's writes. The fake side is driven exactly as torch.compile
drives it: fakes come from ``mode.from_tensor`` (one converter, so inputs that share
storage share a fake storage) and the op is called inside ``with mode:``. Nothing
here raises on behalf of the op: exceptions become ``ErrorInfo`` data.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import torch

from . import _torch
from .opcall import OpCall, materialize


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """An exception as data. ``phase``: build | convert | call | inspect."""

    type: str
    message: str
    phase: str
    limitation: bool  # one of fake mode's declared limitations

    def short(self) -> str:
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return f"{self.type}: {first[:300]}"


@dataclass(frozen=True, slots=True)
class TensorMeta:
    """Everything fake mode promises about one tensor, plus how it aliases the inputs."""

    shape: tuple[int, ...]
    dtype: str
    device: str
    layout: str
    stride: tuple[int, ...] | None
    storage_offset: int | None
    requires_grad: bool
    is_conj: bool
    is_neg: bool
    aliases: tuple[int, ...]  # indices of inputs sharing this tensor's storage
    is_input: int | None  # index of the input this output *is* (in-place, out=)
    storage_group: int | None  # outputs with the same group share one storage

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


@dataclass(frozen=True, slots=True)
class Value:
    """A non-tensor output leaf (int, float, bool, None, dtype, str...)."""

    type: str
    text: str


@dataclass(frozen=True, slots=True)
class Outcome:
    side: str  # real | fake
    device: str
    structure: str  # nesting of the output, e.g. "(T,T)" or "[T,T]" or "T"
    outputs: tuple[TensorMeta | Value, ...]
    inputs_after: tuple[TensorMeta, ...]  # input metadata after the call
    error: ErrorInfo | None
    seconds: float


def _error(exc: BaseException, phase: str) -> ErrorInfo:
    return ErrorInfo(
        type=type(exc).__name__,
        message=str(exc),
        phase=phase,
        limitation=isinstance(exc, _torch.DECLARED_LIMITATIONS),
    )


def _structure(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return "T"
    if isinstance(value, tuple):
        return "(" + ",".join(_structure(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ",".join(_structure(v) for v in value) + "]"
    return "v"


def _flatten(value: Any, out: list) -> None:
    if isinstance(value, (tuple, list)):
        for v in value:
            _flatten(v, out)
    else:
        out.append(value)


def _value(v: Any) -> Value:
    if isinstance(v, torch.SymInt | torch.SymFloat | torch.SymBool):
        return Value(type(v).__name__, str(v))
    if isinstance(v, float) and v != v:
        return Value("float", "nan")
    return Value(type(v).__name__, repr(v))


def tensor_meta(t: torch.Tensor, input_keys: list, inputs: list[torch.Tensor], groups: dict) -> TensorMeta:
    strided = t.layout == torch.strided
    key = _torch.storage_key(t)
    aliases = tuple(i for i, k in enumerate(input_keys) if key is not None and k == key)
    is_input = next((i for i, x in enumerate(inputs) if x is t), None)
    group = None
    if key is not None:
        group = groups.setdefault(key, len(groups))
    return TensorMeta(
        shape=tuple(int(s) for s in t.shape),
        dtype=str(t.dtype).removeprefix("torch."),
        device=str(t.device),
        layout=str(t.layout).removeprefix("torch."),
        stride=tuple(int(s) for s in t.stride()) if strided else None,
        storage_offset=int(t.storage_offset()) if strided else None,
        requires_grad=bool(t.requires_grad),
        is_conj=bool(t.is_conj()),
        is_neg=bool(t.is_neg()),
        aliases=aliases,
        is_input=is_input,
        storage_group=group,
    )


def _describe_result(side, device, result, inputs, start) -> Outcome:
    keys = [_torch.storage_key(t) for t in inputs]
    leaves: list = []
    _flatten(result, leaves)
    groups: dict = {}
    outputs = tuple(
        tensor_meta(v, keys, inputs, groups) if isinstance(v, torch.Tensor) else _value(v) for v in leaves
    )
    after = tuple(tensor_meta(t, keys, inputs, {}) for t in inputs)
    return Outcome(side, device, _structure(result), outputs, after, None, time.perf_counter() - start)


def _failed(side, device, exc, phase, start) -> Outcome:
    return Outcome(side, device, "", (), (), _error(exc, phase), time.perf_counter() - start)


def run_real(call: OpCall, device: str, memo: dict | None = None) -> Outcome:
    """Run ``call`` for real on fresh inputs (or on ``memo``'s, see ``materialize``)."""
    start = time.perf_counter()
    try:
        args, kwargs, inputs = materialize(call, device, memo)
    except Exception as exc:  # noqa: BLE001 - a recipe the device rejects
        return _failed("real", device, exc, "build", start)
    op = call.overload
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = op(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the kernel's verdict is data
        return _failed("real", device, exc, "call", start)
    return _describe_result("real", device, result, inputs, start)


def _to_fake(value: Any, fakes: dict[int, torch.Tensor]) -> Any:
    if isinstance(value, torch.Tensor):
        return fakes[id(value)]
    if isinstance(value, list):
        return [_to_fake(v, fakes) for v in value]
    if isinstance(value, tuple):
        return tuple(_to_fake(v, fakes) for v in value)
    return value


def run_fake(call: OpCall, device: str, mode: _torch.FakeTensorMode | None = None,
             memo: dict | None = None) -> Outcome:
    """Run ``call`` under ``mode`` (a fresh FakeTensorMode when None), on fakes of fresh
    real inputs (or of ``memo``'s: a mode converts one real tensor to one fake)."""
    start = time.perf_counter()
    try:
        # Fakes read no data: fresh inputs skip making values (a memo's are shared with real runs).
        args, kwargs, inputs = materialize(call, device, memo, values=memo is not None)
    except Exception as exc:  # noqa: BLE001
        return _failed("fake", device, exc, "build", start)
    mode = _torch.new_fake_mode() if mode is None else mode
    op = call.overload
    with _torch.quiet_fake_logging(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fakes = {}
            for t in inputs:
                if id(t) not in fakes:
                    fakes[id(t)] = mode.from_tensor(t)
            fargs = _to_fake(args, fakes)
            fkwargs = {k: _to_fake(v, fakes) for k, v in kwargs.items()}
            finputs = [fakes[id(t)] for t in inputs]
        except Exception as exc:  # noqa: BLE001
            return _failed("fake", device, exc, "convert", start)
        try:
            with mode:
                result = op(*fargs, **fkwargs)
        except Exception as exc:  # noqa: BLE001
            return _failed("fake", device, exc, "call", start)
        try:
            return _describe_result("fake", device, result, finputs, start)
        except Exception as exc:  # noqa: BLE001 - e.g. a fake output that cannot report a stride
            return _failed("fake", device, exc, "inspect", start)
