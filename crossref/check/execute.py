"""Run one OpCall for real and under FakeTensorMode, and describe what came out.

Both sides build fresh inputs from the call's recipes, so in-place and out= calls
never see each other's writes. The fake side is driven exactly as torch.compile
drives it: fakes come from ``mode.from_tensor`` (one converter, so inputs that share
storage share a fake storage) and the op is called inside ``with mode:``. Nothing
here raises on behalf of the op: exceptions become ``ErrorInfo`` data.

``how`` picks the compiler mode (crossref/check/modes.py): ``static``; ``symbolic`` (fakes
with dynamic dims in a mode with a ShapeEnv, under the Python dispatcher, read back
through the symbols' hints); ``backward`` (``torch.autograd.grad`` after the call, the
gradients described and every op inside the backward logged); ``autocast``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import time
import warnings
from typing import Any, Callable

import torch
from torch.utils._pytree import tree_leaves, tree_map_only

from .. import _torch
from .compare import (
    ErrorInfo,
    InnerOp,
    Outcome,
    describe as _describe_result,
    describe_grads,
    describe_inner as _describe_inner,
    flatten as _flatten,
)
from .opcall import OpCall, materialize


#: How a call is run instead of ``op(*args, **kwargs)``: ``invoke(call, op, args, kwargs)``.
Invoke = Callable[[OpCall, Any, tuple, dict], Any]


def _error(exc: BaseException, phase: str, side: str = "real") -> ErrorInfo:
    return ErrorInfo(
        type=type(exc).__name__,
        message=str(exc),
        phase=phase,
        limitation=isinstance(exc, _torch.DECLARED_LIMITATIONS),
        where=_torch.raising_impl(exc.__traceback__) if side == "fake" else "",
    )


def _failed(side, device, exc, phase, start) -> Outcome:
    return Outcome(side, device, "", (), (), _error(exc, phase, side), time.perf_counter() - start)


def cuda_context(name: str, device: str):
    """What a call whose ``cuda_context`` is ``name`` (opcall.CUDA_CONTEXTS) runs inside
    on ``device``: one attention backend alone, or TF32 on or off; nothing on a device
    other than CUDA, or for ``""``."""
    if not name or not str(device).startswith("cuda"):
        return contextlib.nullcontext()
    kind, _, which = name.partition(":")
    if kind == "sdpa":
        from torch.nn.attention import SDPBackend, sdpa_kernel

        backend = {"flash": "FLASH_ATTENTION", "efficient": "EFFICIENT_ATTENTION", "cudnn": "CUDNN_ATTENTION",
                   "math": "MATH"}[which]
        return sdpa_kernel(getattr(SDPBackend, backend))
    if kind == "tf32":
        return _torch.tf32(which == "on")
    raise ValueError(f"unknown cuda_context {name!r}")


@contextlib.contextmanager
def _context(call: OpCall, how: str, device: str, dtype: torch.dtype | None, side: str = "real"):
    """What the op runs inside: the call's CUDA context (``cuda_context``) on a CUDA
    device; and autocast to ``dtype`` in autocast mode, or the Python dispatcher for a
    symbolic fake run (as torch.export traces)."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(cuda_context(call.cuda_context, device))
        if how == "autocast":
            stack.enter_context(torch.autocast(str(device).split(":")[0], dtype=dtype))
        elif how == "symbolic" and side == "fake":
            stack.enter_context(_torch.python_dispatcher())
        yield


def run_real(call: OpCall, device: str, memo: dict | None = None, *, how: str = "static",
             autocast: torch.dtype | None = None, invoke: Invoke | None = None,
             keep: list | None = None) -> Outcome:
    """Run ``call`` for real on fresh inputs (or on ``memo``'s, see ``materialize``).

    ``how`` is the mode (crossref/check/modes.py): ``static`` and ``symbolic`` run the op as
    it is; ``autocast`` inside ``torch.autocast(device, autocast)``; ``backward`` runs
    it and then ``torch.autograd.grad`` of its outputs (the call's floating storages
    must require grad: ``OpCall.requiring_grad``), and describes the gradients.

    ``invoke(call, op, args, kwargs)`` runs the op instead of a plain call (the
    consequence probe, crossref/impact/consequence.py, runs it through torch.compile); ``keep``, a
    list, receives the output leaves and the inputs after the call (in backward mode:
    the gradients and the inputs), so that their values can be compared."""
    start = time.perf_counter()
    try:
        args, kwargs, inputs = materialize(call, device, memo)
    except Exception as exc:  # noqa: BLE001 - a recipe the device rejects
        return _failed("real", device, exc, "build", start)
    op = call.overload
    try:
        with warnings.catch_warnings(), _context(call, how, device, autocast):
            warnings.simplefilter("ignore")
            result = op(*args, **kwargs) if invoke is None else invoke(call, op, args, kwargs)
    except Exception as exc:  # noqa: BLE001 - the kernel's verdict is data
        return _failed("real", device, exc, "call", start)
    if how == "backward":  # inside the call's CUDA context too, as a training step would be
        with cuda_context(call.cuda_context, device):
            return _backward("real", device, call, result, inputs, None, start, keep)
    if keep is not None:
        keep[:] = [tree_leaves(result), list(inputs)]
    return _describe_result("real", device, result, inputs, start)


def _to_fake(value: Any, fakes: dict[int, torch.Tensor]) -> Any:
    """``value`` with each real input tensor replaced by its fake."""
    return tree_map_only(torch.Tensor, lambda t: fakes[id(t)], value)


def run_fake(call: OpCall, device: str, mode: _torch.FakeTensorMode | None = None,
             memo: dict | None = None, *, how: str = "static", autocast: torch.dtype | None = None,
             trace: _torch.ImplTrace | None = None) -> Outcome:
    """Run ``call`` under ``mode`` (a fresh FakeTensorMode when None), on fakes of fresh
    real inputs (or of ``memo``'s: a mode converts one real tensor to one fake).
    ``trace``: watches the op's call (and a backward pass) for the implementation
    functions that answer it (crossref/check/provenance.py).

    ``how`` as for ``run_real``. ``symbolic`` builds the fakes the way torch.export
    does: a mode with a ShapeEnv (``mode`` is ignored), the dims ``call.dynamic`` names
    marked dynamic, and every SymInt argument of 2 or more passed as a SymInt; the
    outcome's ``specialized`` lists each of those symbols the call fixed to a number."""
    start = time.perf_counter()
    try:
        # Fakes read no data: fresh inputs skip making values (a memo's are shared with real runs).
        args, kwargs, inputs = materialize(call, device, memo, values=memo is not None)
    except Exception as exc:  # noqa: BLE001
        return _failed("fake", device, exc, "build", start)
    env = None
    if how == "symbolic":
        mode, env = _torch.new_symbolic_mode()
    elif mode is None:
        mode = _torch.new_fake_mode()
    op = call.overload
    symbols: dict = {}  # input symbol -> what it is ("input[0].size[1]", "arg:length")
    with _torch.quiet_fake_logging(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fakes = {}
            for t in inputs:
                if id(t) not in fakes:
                    if env is None:
                        fakes[id(t)] = mode.from_tensor(t)
                    else:
                        k = len(fakes)
                        fakes[id(t)] = f = _torch.symbolic_fake(mode, t, f"input{k}", call.dynamic_dims(k, t.dim()))
                        for d, size in enumerate(f.shape):
                            sym = _torch.input_symbol(size)
                            if sym is not None:
                                symbols.setdefault(sym, f"input[{k}].size[{d}]")
            fargs = _to_fake(args, fakes)
            fkwargs = {k: _to_fake(v, fakes) for k, v in kwargs.items()}
            if env is not None:
                fargs, fkwargs = _symbolic_ints(op, env, fargs, fkwargs, symbols)
                # Fixed while the inputs were made (a view's base and its sizes): not the call's doing.
                for sym, _ in _torch.specializations(env, symbols):
                    del symbols[sym]
            finputs = [fakes[id(t)] for t in inputs]
        except Exception as exc:  # noqa: BLE001
            return _failed("fake", device, exc, "convert", start)
        watching = trace.watching() if trace is not None else contextlib.nullcontext()
        try:
            with watching, mode, _context(call, how, device, autocast, "fake"):
                result = op(*fargs, **fkwargs)
        except Exception as exc:  # noqa: BLE001
            return _failed("fake", device, exc, "call", start)
        if how == "backward":
            with trace.watching() if trace is not None else contextlib.nullcontext(), \
                    cuda_context(call.cuda_context, device):
                return _backward("fake", device, call, result, finputs, mode, start)
        specialized = ()
        if env is not None:  # before describing: reading hints installs no guard, but be sure
            specialized = tuple((symbols[sym], guard) for sym, guard in _torch.specializations(env, symbols))
        try:
            out = _describe_result("fake", device, result, finputs, start)
        except Exception as exc:  # noqa: BLE001 - e.g. a fake output that cannot report a stride
            return _failed("fake", device, exc, "inspect", start)
        return dataclasses.replace(out, specialized=specialized) if specialized else out


@functools.lru_cache(maxsize=None)
def symint_arguments(op) -> frozenset[str]:
    """Names of the op's arguments its schema types SymInt, SymInt[] or SymInt? (the
    parsed schema's types say plain int; its text keeps the SymInt), but for those
    named as dims: torch.library.custom_op types every ``int`` SymInt, and a dim is a
    constant of the program, never a size a compiler traces symbolically."""
    names = re.findall(r"SymInt(?:\[\d*\])?\??\s+(\w+)", str(op._schema))
    return frozenset(n for n in names if not _DIM_NAME.fullmatch(n))


#: SymInt arguments named as dims (never traced as sizes). ``head_dim``-like names are
#: sizes, so only these exact names; repro.py's template keeps the same pattern.
DIM_NAME_PATTERN = r"dims?|dim\d|axis|axes|axis\d|start_dim|end_dim"
_DIM_NAME = re.compile(DIM_NAME_PATTERN)


def _symbolic_ints(op, env, args: tuple, kwargs: dict, symbols: dict) -> tuple[tuple, dict]:
    """Arguments whose schema type is SymInt (or a list of them) with ints of 2 or more
    replaced by backed SymInts (0 and 1 are specialized by any ShapeEnv; negative sizes
    are sentinels such as view's -1)."""
    def wrap(value, name):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 2:
            s = _torch.symbolic_int(env, value, name)
            sym = _torch.input_symbol(s)
            if sym is not None:
                symbols.setdefault(sym, f"arg:{name}")
            return s
        return value

    args, kwargs = list(args), dict(kwargs)
    names = symint_arguments(op)
    for i, a in enumerate(op._schema.arguments):
        if a.name not in names:
            continue
        where, key = (args, i) if i < len(args) and not a.kwarg_only else (kwargs, a.name)
        if isinstance(where, list) and key >= len(where) or isinstance(where, dict) and key not in where:
            continue
        value = where[key]
        if isinstance(value, (list, tuple)):
            where[key] = type(value)(wrap(v, f"{a.name}[{j}]") for j, v in enumerate(value))
        else:
            where[key] = wrap(value, a.name)
    return tuple(args), kwargs


def grad_output(shape: tuple[int, ...], dtype: torch.dtype, device, layout: str, seed: int, *,
                values: bool = True) -> torch.Tensor:
    """A gradient for one output of ``shape`` and ``dtype`` on ``device``, laid out as
    ``layout`` (opcall.GRAD_LAYOUTS). ``values=False``: uninitialized, for the fake
    side (fake mode reads metadata only)."""
    g = torch.Generator().manual_seed(seed)

    def make(size):
        if not values:
            return torch.empty(size, dtype=dtype, device=device)
        return torch.randn(size, generator=g, dtype=dtype).to(device)

    shape = tuple(shape)
    if layout == "expanded" and len(shape) >= 1 and shape[0] > 1:
        return make((1, *shape[1:])).expand(shape)
    out = make(shape)
    if layout == "transposed" and len(shape) >= 2:
        return out.transpose(-1, -2).contiguous().transpose(-1, -2)
    return out


def _backward(side: str, device: str, call: OpCall, result: Any, inputs: list[torch.Tensor],
              mode, start: float, keep: list | None = None) -> Outcome:
    """``torch.autograd.grad`` of the outputs that require grad with respect to the
    inputs that do, every op inside the backward logged; the gradients are the
    outcome's outputs (None for an input the outputs do not depend on)."""
    leaves: list = []
    _flatten(result, leaves)
    outs = [t for t in leaves if isinstance(t, torch.Tensor) and t.requires_grad]
    wrt = list({id(t): t for t in inputs if t.requires_grad}.values())
    if not outs or not wrt:
        why = "no output requires grad" if not outs else "no input requires grad"
        return Outcome(side, device, "", (), (), ErrorInfo("NotApplicable", why, "not_applicable", False),
                       time.perf_counter() - start)
    try:
        # The fake side gets fakes of gradients laid out like the real ones, without values.
        gouts = [grad_output(t.shape, t.dtype, device, call.grad_layout, k, values=mode is None)
                 for k, t in enumerate(outs)]
        if mode is not None:
            gouts = [mode.from_tensor(g) for g in gouts]
        log = _torch.OpLog(_describe_inner)
        with (mode if mode is not None else contextlib.nullcontext()), log:
            grads = torch.autograd.grad(outs, wrt, gouts, allow_unused=True)
    except Exception as exc:  # noqa: BLE001 - the backward's verdict is data
        return _failed(side, device, exc, "backward", start)
    inner = tuple(InnerOp(op, structure, outputs) for op, (structure, outputs) in log.calls)
    if keep is not None:
        keep[:] = [list(grads), list(wrt)]
    return describe_grads(side, device, grads, wrt, inner, start)


