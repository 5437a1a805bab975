"""Render a finding as a standalone repro script (plain torch, no crossref import).

The script rebuilds the inputs exactly (values, dtype, size, stride, storage offset,
shared storages, conj/neg bits, requires_grad, device), runs the op for real and under
FakeTensorMode, prints both sides' metadata side by side, and exits 1 while the
finding's field still differs, 0 once it is gone.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import sys
from pathlib import Path
from typing import Any

import torch

from .. import __version__
from . import catalog
from . import compare
from .execute import DIM_NAME_PATTERN
from .opcall import DEVICE, OpCall, TensorSpec, storage_values

_HELPERS = '''\
def symbolic(mode, env, args, kwargs, inputs, op):
    """Fakes as torch.export builds them: dynamic dims (DYNAMIC), SymInt arguments >= 2
    as SymInts. Returns (args, kwargs, inputs, symbols: symbol -> what it is)."""
    from torch._dynamo.source import ConstantSource, LocalSource
    from torch.fx.experimental.symbolic_shapes import DimDynamic, StatelessSymbolicContext

    memo, symbols = {}, {}
    for t in inputs:
        if id(t) not in memo:
            k = len(memo)
            mask = -1 if DYNAMIC is None else (DYNAMIC[k] if k < len(DYNAMIC) else -1)
            dims = [DimDynamic.DYNAMIC if mask >> d & 1 else DimDynamic.STATIC for d in range(t.dim())]
            memo[id(t)] = f = mode.from_tensor(t, source=LocalSource(f"input{k}"),
                                               symbolic_context=StatelessSymbolicContext(dynamic_sizes=dims))
            for d, s in enumerate(f.shape):
                if isinstance(s, torch.SymInt) and s.node.expr.is_symbol:
                    symbols.setdefault(s.node.expr, f"input[{k}].size[{d}]")

    def wrap(v, name):
        if isinstance(v, int) and not isinstance(v, bool) and v >= 2:
            s = env.create_unspecified_symint_and_symbol(v, ConstantSource(name), DimDynamic.DYNAMIC)
            if isinstance(s, torch.SymInt) and s.node.expr.is_symbol:
                symbols.setdefault(s.node.expr, f"arg:{name}")
            return s
        return v

    args, kwargs = [swap(a, memo) for a in args], {k: swap(v, memo) for k, v in kwargs.items()}
    names = {n for n in re.findall(r"SymInt(?:\\[\\d*\\])?\\??\\s+(\\w+)", str(op._schema))
             if not re.fullmatch(DIM_NAMES, n)}  # dims stay constants
    for i, a in enumerate(op._schema.arguments):
        if a.name not in names:
            continue
        where, key = (args, i) if i < len(args) and not a.kwarg_only else (kwargs, a.name)
        if isinstance(where, list) and key >= len(where) or isinstance(where, dict) and key not in where:
            continue
        v = where[key]
        where[key] = type(v)(wrap(x, f"{a.name}[{j}]") for j, x in enumerate(v)) if isinstance(v, (list, tuple)) \
            else wrap(v, a.name)
    return tuple(args), kwargs, [memo[id(t)] for t in inputs], symbols


def swap(v, memo):
    return tree_map_only(torch.Tensor, lambda t: memo[id(t)], v)


def specializations(env, symbols):
    found = {}
    for sym, what in symbols.items():
        target = env.replacements.get(sym)
        vr = env.var_to_range.get(sym)
        if (target is not None and target.is_number) or (vr is not None and vr.is_singleton()):
            named = [g.expr for g in env.guards if sym in g.expr.free_symbols]
            found[what] = str(min(named, key=lambda e: len(e.free_symbols))) if named else f"{sym} fixed"
    return found


def grad_output(t, k):
    g = torch.Generator().manual_seed(k)
    shape = tuple(t.shape)
    if GRAD_LAYOUT == "expanded" and len(shape) >= 1 and shape[0] > 1:
        return torch.randn((1, *shape[1:]), generator=g, dtype=t.dtype).to(DEVICE).expand(shape)
    values = torch.randn(shape, generator=g, dtype=t.dtype).to(DEVICE)
    if GRAD_LAYOUT == "transposed" and len(shape) >= 2:
        return values.transpose(-1, -2).contiguous().transpose(-1, -2)
    return values


class OpLog(TorchDispatchMode):
    """Every ATen op inside the backward pass, with what it returned."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if str(func).startswith("aten."):  # fake mode's own queries (prim.device) are not the backward's
            self.calls.append(InnerOp(str(func), *describe_inner(out)))
        return out


def cuda_context():
    """What the call runs inside on a CUDA device (CUDA_CONTEXT): one attention backend
    alone, or TF32 for matmuls and cuDNN convolutions on or off."""
    if not CUDA_CONTEXT or not DEVICE.startswith("cuda"):
        return contextlib.nullcontext()
    kind, _, which = CUDA_CONTEXT.partition(":")
    if kind == "sdpa":
        from torch.nn.attention import SDPBackend, sdpa_kernel

        names = {"flash": "FLASH_ATTENTION", "efficient": "EFFICIENT_ATTENTION", "cudnn": "CUDNN_ATTENTION",
                 "math": "MATH"}
        return sdpa_kernel(getattr(SDPBackend, names[which]))

    @contextlib.contextmanager
    def tf32(on):  # torch 2.9 and later: fp32_precision; before: allow_tf32
        matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
        new = hasattr(matmul, "fp32_precision") and hasattr(getattr(cudnn, "conv", None), "fp32_precision")
        owners, name = ((matmul, cudnn.conv), "fp32_precision") if new else ((matmul, cudnn), "allow_tf32")
        value = ("tf32" if on else "ieee") if new else on
        saved = [getattr(o, name) for o in owners]
        for o in owners:
            setattr(o, name, value)
        try:
            yield
        finally:
            for o, v in zip(owners, saved):
                setattr(o, name, v)

    return tf32(which == "on")


def failed(side, exc, phase="call"):
    return Outcome(side, DEVICE, "", (), (), ErrorInfo(type(exc).__name__, str(exc), phase, False), 0.0)


def run(fake, mode=None, made=None, op=None):
    """One side of the call as the harness ran it, described by the oracle (an Outcome)."""
    op = OP if op is None else op
    args, kwargs, inputs = make_inputs() if made is None else made
    side, start = ("fake" if fake else "real"), time.perf_counter()
    context = torch.autocast(DEVICE.split(":")[0], dtype=AUTOCAST) if AUTOCAST else contextlib.nullcontext()
    env, symbols = None, {}
    try:
        if fake:
            if MODE == "symbolic":  # as torch.export traces: a ShapeEnv and the Python dispatcher
                from torch._dispatch.python import enable_python_dispatcher
                from torch.fx.experimental.symbolic_shapes import ShapeEnv

                env = ShapeEnv()
                mode = FakeTensorMode(shape_env=env)
                mode.cache_enabled = False
                args, kwargs, inputs, symbols = symbolic(mode, env, args, kwargs, inputs, op)
                context = enable_python_dispatcher()
            else:
                if mode is None:  # a cold run, as the harness's: the process-wide cache cleared
                    FakeTensorMode.cache_clear()
                    mode = FakeTensorMode()
                    mode.cache_enabled = MODE == "static"  # the modes run without the dispatch cache
                memo = {id(t): mode.from_tensor(t) for t in inputs}
                args, kwargs, inputs = swap(args, memo), {k: swap(v, memo) for k, v in kwargs.items()}, [
                    memo[id(t)] for t in inputs]
            with cuda_context(), mode, context:
                out = op(*args, **kwargs)
        else:
            with cuda_context(), (contextlib.nullcontext() if MODE == "symbolic" else context):
                out = op(*args, **kwargs)
    except Exception as exc:
        return failed(side, exc)
    if MODE == "backward":
        leaves = []
        flatten(out, leaves)
        outs = [t for t in leaves if isinstance(t, torch.Tensor) and t.requires_grad]
        wrt = list({id(t): t for t in inputs if t.requires_grad}.values())
        gouts = [grad_output(t, k) for k, t in enumerate(outs)]
        log = OpLog()
        try:
            if fake:
                gouts = [mode.from_tensor(g) for g in gouts]
                with cuda_context(), mode, log:
                    grads = torch.autograd.grad(outs, wrt, gouts, allow_unused=True)
            else:
                with cuda_context(), log:
                    grads = torch.autograd.grad(outs, wrt, gouts, allow_unused=True)
        except Exception as exc:
            return failed(side, exc, "backward")
        return describe_grads(side, DEVICE, grads, wrt, log.calls, start)
    outcome = describe(side, DEVICE, out, inputs, start)
    if env is not None:
        outcome = dataclasses.replace(outcome, specialized=tuple(specializations(env, symbols).items()))
    return outcome


def show(label, side):
    """One side, every field, as the oracle describes it."""
    print(f"--- {label}")
    if side.error is not None:
        print("  error:", side.error.short())
        return
    print("  structure:", side.structure)
    group = "grad" if MODE == "backward" else "out"
    for i, m in enumerate(side.outputs):
        print(f"  {group}[{i}]: {m}")
    for i, m in enumerate(side.inputs_after):
        print(f"  input[{i}] after the call: {m}")
    if side.specialized:
        print("  specialized:", dict(side.specialized))


'''

_TEMPLATE = '''\
#!/usr/bin/env python
"""crossref repro {signature}: {category} in {op} ({device}, {mode} mode)
field: {field}
{known}
Run: python {signature}.py   (exit 1: reproduces, 0: fixed)
"""
from __future__ import annotations

{oracle}
import contextlib
import dataclasses
import re
import sys

import torch
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map_only
{imports}
nan, inf = float("nan"), float("inf")
DEVICE = {device!r}
{op_lookup}
CATEGORY = {category!r}
FIELD = {field!r}
ALL_STRIDES = {all_strides!r}
TIMEOUT = {timeout!r}
# How the compiler runs fake mode: static, symbolic (ShapeEnv, dynamic dims), backward
# (torch.autograd.grad of the outputs), autocast.
MODE = {mode!r}
DYNAMIC = {dynamic!r}  # symbolic: dynamic dims per input tensor, a bitmask (None: all)
GRAD_LAYOUT = {grad_layout!r}  # backward: how grad_outputs are laid out
INNER_OP = {inner_op!r}  # backward: the first op inside the backward whose answers differ
DIM_NAMES = {dim_names!r}  # symbolic: SymInt arguments named so stay constants
AUTOCAST = {autocast}  # autocast: the dtype
CUDA_CONTEXT = {cuda_context!r}  # on CUDA: an attention backend alone, or TF32 on or off ("": none)


def make_inputs():
    """The call's arguments, built fresh; returns (args, kwargs, input tensors)."""
    inputs = []
{storages}
{tensors}
    args = ({args})
    kwargs = {{{kwargs}}}
    return args, kwargs, inputs


{helpers}def crash_main():
    """A crash or hang kills the process that runs the call: run it in a child."""
    import os
    import subprocess

    if os.environ.get("CROSSREF_REPRO_CHILD"):
        for label, side in (("real", run(False)), ("fake", run(True))):
            show(label, side)
        return 0
    env = dict(os.environ, CROSSREF_REPRO_CHILD="1")
    print(f"{{OP}} on {{DEVICE}}: {{FIELD}} ({{CATEGORY}})")
    try:
        code = subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, timeout=TIMEOUT).returncode
        how = f"exit status {{code}}" if code >= 0 else f"killed by signal {{-code}}"
        reproduces = code != 0
    except subprocess.TimeoutExpired:
        how, reproduces = f"no answer within {{TIMEOUT}} s", True
    print(f"=== the call's process: {{how}}")
    print("REPRODUCES" if reproduces else "FIXED (no longer reproduces)")
    return 1 if reproduces else 0


def main():
    torch.manual_seed(0)
    if CATEGORY == "crash":
        return crash_main()
    field, labels = FIELD, ("real", "fake")
    if CATEGORY == "cache":
        # The dispatch cache: a cold call fills the entry, the repeat is served from it;
        # both must equal a computation in a mode whose cache is off.
        FakeTensorMode.cache_clear()
        mode = FakeTensorMode()
        cold = run(True, mode)
        repeat = run(True, mode)
        uncached = FakeTensorMode()
        uncached.cache_enabled = False
        which, _, field = FIELD.partition(":")
        real, fake = run(True, uncached), (repeat if which == "repeat" else cold)
        labels = ("fake, cache off", f"fake, {{which}} run")
        print("cache:", FakeTensorMode.cache_info())
    else:
        real, fake = run(False), run(True)
    print(f"{{OP}} on {{DEVICE}}: {{CATEGORY}} at {{FIELD}}")
    print("args:", {example!r})
    for label, side in zip(labels, (real, fake)):
        show(label, side)
    if CATEGORY == "specialization":
        guard = dict(fake.specialized).get(FIELD, "dynamic") if fake.error is None else "dynamic"
        reproduces = guard != "dynamic"
        print(f"=== {{FIELD}}: guard installed by the call: {{guard}}")
    else:
        # The oracle's comparison, the harness's own: does the finding's field still differ?
        m = difference(real, fake, field, all_strides=ALL_STRIDES)
        if CATEGORY in ("missing_error", "backend_error"):
            reproduces = m is not None and m.kind == "real_error"
        elif CATEGORY in ("spurious_error", "unsupported"):
            reproduces = m is not None and m.kind == "fake_error"
        else:
            reproduces = m is not None
        if m is not None:
            inner = f" (op inside the backward: {{INNER_OP}})" if FIELD.startswith("inner.") else ""
            print(f"=== {{FIELD}}{{inner}}: {{labels[0]}}={{m.real}}  {{labels[1]}}={{m.fake}}")
        else:
            print(f"=== {{FIELD}}: {{labels[0]}} and {{labels[1]}} agree")
    print("REPRODUCES" if reproduces else "FIXED (no longer reproduces)")
    return 1 if reproduces else 0


if __name__ == "__main__":
    sys.exit(main())
'''


@functools.lru_cache(maxsize=1)
def oracle_source() -> str:
    """crossref/check/compare.py as a repro embeds it: verbatim, less its docstring and its
    ``from __future__`` line (a repro has both at its top)."""
    source = inspect.getsource(compare)
    body = source[source.index("from __future__ import annotations\n") + len("from __future__ import annotations\n"):]
    return (f"# {'-' * 70} crossref's oracle\n"
            f"# crossref/check/compare.py of crossref {__version__}, verbatim: what an outcome is, how a tensor\n"
            "# is described, and how a real and a fake outcome differ, exactly as the harness decided.\n"
            + body.strip("\n") + f"\n\n\n# {'-' * 70} this finding\n")


def _literal(values: torch.Tensor) -> str:
    def num(x: float) -> str:
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x == 0 and math.copysign(1, x) < 0:
            return "-0.0"
        return repr(x)

    if values.dtype.is_complex:
        re_ = ", ".join(num(x) for x in values.real.double().tolist())
        im_ = ", ".join(num(x) for x in values.imag.double().tolist())
        return f"torch.complex(torch.tensor([{re_}], dtype=torch.float64), torch.tensor([{im_}], dtype=torch.float64))"
    if values.dtype.is_floating_point:
        return "torch.tensor([" + ", ".join(num(x) for x in values.double().tolist()) + "], dtype=torch.float64)"
    return "torch.tensor([" + ", ".join(repr(x) for x in values.tolist()) + f"], dtype={values.dtype})"


def _arg(value: Any, names: dict[TensorSpec, str]) -> str:
    if isinstance(value, TensorSpec):
        return names[value]
    if isinstance(value, list):
        return "[" + ", ".join(_arg(v, names) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(_arg(v, names) + ", " for v in value) + ")"
    if value is DEVICE:
        return "torch.device(DEVICE)"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    if isinstance(value, complex):
        return f"complex({_arg(value.real, names)}, {_arg(value.imag, names)})"
    if isinstance(value, (torch.dtype, torch.layout, torch.memory_format)):
        return str(value)
    return repr(value)


def _storage_lines(call: OpCall, indent: str, inference: tuple[int, ...] = ()) -> list[str]:
    lines = []
    for i, spec in enumerate(call.storages):
        # A host storage stays on the CPU (pinned: in page-locked memory) beside the device's.
        place = {"": ".to(DEVICE)", "cpu": "", "pinned": ".pin_memory()"}[spec.host]
        line = f"s{i} = {_literal(storage_values(spec))}.to({spec.dtype}){place}"
        if i in inference:
            lines += [f"{indent}with torch.inference_mode():", f"{indent}    {line}"]
        else:
            lines.append(indent + line)
    return lines


def _tensor_lines(call: OpCall, spec: TensorSpec, name: str, indent: str) -> list[str]:
    """Lines that build one tensor argument from its storage, exactly as materialize does."""
    st = call.storages[spec.storage]
    lines = []
    if spec.view:
        if st.requires_grad:
            lines.append(f"{indent}s{spec.storage}.requires_grad_(s{spec.storage}.is_leaf or s{spec.storage}.requires_grad)")
        expr = f"s{spec.storage}.as_strided({spec.size}, {spec.stride}, {spec.offset})"
    else:
        expr = (f"torch.empty(0, dtype={st.dtype}, device=s{spec.storage}.device).set_("
                f"s{spec.storage}.untyped_storage(), {spec.offset}, {spec.size}, {spec.stride})")
        if st.requires_grad:
            expr += ".requires_grad_()"
    if spec.conj:
        expr += ".conj()"
    if spec.neg:
        expr = f"torch._neg_view({expr})"
    return lines + [f"{indent}{name} = {expr}"]


def _call_code(call: OpCall, names: dict[TensorSpec, str]) -> tuple[str, str, str]:
    """(args, kwargs, inputs) of a call as Python source over the tensors in ``names``."""
    args = "".join(_arg(a, names) + ", " for a in call.args)
    kwargs = ", ".join(f"{k!r}: {_arg(v, names)}" for k, v in call.kwargs)
    inputs = "[" + ", ".join(names[t] for t in call.tensor_specs()) + "]"
    return args, kwargs, inputs


def _op_lookup(op: str) -> str:
    """``OP = torch.ops...``; for a custom op, a missing registration is exit code 2 with
    one line (not 1, which says the finding reproduces)."""
    namespace, packet, overload = op.split(".", 2)
    line = f"OP = torch.ops.{namespace}.{packet}.{overload}"
    if namespace == "aten":
        return line
    return (f"try:\n    {line}\nexcept (AttributeError, RuntimeError):\n"
            f"    print('{namespace}::{packet} is not registered: import the module that registers it at the top "
            f"of this script', file=sys.stderr)\n    sys.exit(2)")


def _import_lines(op: str) -> str:
    """Source that imports the modules registering a custom op (none for aten), each
    found from the folder it was imported from, so the script runs from anywhere."""
    lines = []
    for name in catalog.registering_modules(op):
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if name in catalog.IMPORTED_FILES:  # imported by file (--crossref-import=path.py): load it so again
            lines += ["import importlib.util",
                      f"_spec = importlib.util.spec_from_file_location({name!r}, {catalog.IMPORTED_FILES[name]!r})",
                      "_module = importlib.util.module_from_spec(_spec)",
                      f"sys.modules[{name!r}] = _module",
                      f"_spec.loader.exec_module(_module)  # registers {op.rsplit('.', 1)[0]}"]
            continue
        if path:  # the folder that holds the top-level package (or the module file)
            root = Path(path).resolve().parent
            for _ in range(name.count(".") + (Path(path).name == "__init__.py")):
                root = root.parent
            lines.append(f"sys.path.insert(0, {str(root)!r})")
        lines.append(f"import {name}  # registers {op.rsplit('.', 1)[0]}")
    if not lines and not op.startswith("aten."):
        lines.append(f"# import the module that registers {op.rsplit('.', 1)[0]} here")
    return "\n# The custom op under test, registered by its module:\n" + "\n".join(lines) + "\n" if lines else ""


def render(call: OpCall, *, signature: str, category: str, field: str, device: str,
           all_strides: bool = False, known: str | None = None, timeout: float = 20.0,
           mode: str = "static", inner_op: str = "", autocast: str = "") -> str:
    """The repro script's source for one finding on one example, replaying its mode
    (crossref/check/modes.py): the ShapeEnv and dynamic dims, the backward call, or the
    autocast context."""
    if mode == "backward":
        call = call.requiring_grad()
    names: dict[TensorSpec, str] = {}
    tensors = []
    for spec in call.tensor_specs():
        if spec not in names:
            names[spec] = f"t{len(names)}"
            tensors += _tensor_lines(call, spec, names[spec], "    ")
        tensors.append(f"    inputs.append({names[spec]})")
    args, kwargs, _ = _call_code(call, names)
    namespace, packet, overload = call.op.split(".", 2)
    return _TEMPLATE.format(
        imports=_import_lines(call.op),
        dim_names=DIM_NAME_PATTERN,
        op_lookup=_op_lookup(call.op),
        namespace=namespace,
        signature=signature,
        category=category,
        op=call.op,
        device=device,
        field=field,
        known=f"known divergence: {known}" if known else "",
        packet=packet,
        overload=overload,
        all_strides=all_strides,
        timeout=timeout,
        storages="\n".join(_storage_lines(call, "    ")),
        tensors="\n".join(tensors),
        args=args,
        kwargs=kwargs,
        example=call.describe_mode(mode),
        helpers=_HELPERS,
        oracle=oracle_source(),
        mode=mode,
        dynamic=list(call.dynamic) if call.dynamic is not None else None,
        grad_layout=call.grad_layout,
        inner_op=inner_op,
        autocast=f"torch.{autocast}" if autocast else None,
        cuda_context=call.cuda_context,
    )


_SEQUENCE_TEMPLATE = '''\
#!/usr/bin/env python
"""crossref stateful cache repro {signature}: {steps} steps, the last one, {op}, is
answered from FakeTensorMode's dispatch cache differently from a mode without the cache.
field: {field}
Run: python {signature}.py   (exit 1: reproduces, 0: fixed)
"""
from __future__ import annotations

{oracle}
import contextlib
import dataclasses
import logging
import re
import sys

import torch
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map_only

# Fake mode logs every failed meta call with a full traceback; a sequence has many
# invalid steps, and each step's error is part of what this script compares anyway.
logging.getLogger("torch._subclasses.fake_tensor").setLevel(logging.CRITICAL)

nan, inf = float("nan"), float("inf")
DEVICE = {device!r}
OP = None
FIELD = {field!r}
ALL_STRIDES = {all_strides!r}
MODE, DYNAMIC, GRAD_LAYOUT, AUTOCAST, CUDA_CONTEXT = "static", None, "contiguous", None, ""

# The pool: every storage and tensor the steps use, built once and shared by all steps.
{storages}
{tensors}

STEPS = [
{steps_code}
]


{helpers}def main():
    FakeTensorMode.cache_clear()
    mode = FakeTensorMode()  # lives across all steps, like a compile's
    for k, (op, made) in enumerate(STEPS):
        uncached = FakeTensorMode()
        uncached.cache_enabled = False
        reference = run(True, uncached, made, op)
        cached = run(True, mode, made, op)
        run(False, None, made, op)  # the real call last: in-place steps mutate the pool
        print(f"step {{k}}: {{op}}")
    print("cache:", FakeTensorMode.cache_info())
    m = difference(reference, cached, FIELD, all_strides=ALL_STRIDES)
    print(f"=== last step {{FIELD}}: " + (f"uncached={{m.real}}  cached={{m.fake}}" if m else "the same"))
    reproduces = m is not None
    print("REPRODUCES" if reproduces else "FIXED (no longer reproduces)")
    return 1 if reproduces else 0


if __name__ == "__main__":
    sys.exit(main())
'''


def render_sequence(calls: list[OpCall], inference: list[int], *, signature: str, field: str, device: str,
                    all_strides: bool = False) -> str:
    """A script replaying a whole stateful sequence (calls share one pool of storages:
    the last call's storages are the pool) and checking the last step's ``field``."""
    last = calls[-1]
    names: dict[TensorSpec, str] = {}
    tensors: list[str] = []
    steps = []
    for call in calls:
        for spec in call.tensor_specs():
            if spec not in names:
                names[spec] = f"t{len(names)}"
                tensors += _tensor_lines(last, spec, names[spec], "")
        args, kwargs, inputs = _call_code(call, names)
        steps.append(f"    (torch.ops.{call.op}, (({args}), {{{kwargs}}}, {inputs})),")
    return _SEQUENCE_TEMPLATE.format(
        signature=signature, steps=len(calls), op=last.op, field=field, device=device, all_strides=all_strides,
        storages="\n".join(_storage_lines(last, "", tuple(inference))), tensors="\n".join(tensors),
        steps_code="\n".join(steps), helpers=_HELPERS, oracle=oracle_source(),
    )


# --------------------------------------------------------------------------- report snippets

#: Modes and categories whose findings get the short snippet.
SNIPPET_MODES = ("static", "autocast")
_NO_SNIPPET = frozenset({"cache", "crash", "specialization"})

#: How the snippet prints one tensor field of a tensor ``o``.
_ATTRS = {
    "shape": "tuple({o}.shape)", "stride": "{o}.stride()", "storage_offset": "{o}.storage_offset()",
    "dtype": "{o}.dtype", "device": "{o}.device", "layout": "{o}.layout", "requires_grad": "{o}.requires_grad",
    "is_conj": "{o}.is_conj()", "is_neg": "{o}.is_neg()",
    "aliases": "[k for k, x in enumerate(ins) if StorageWeakRef(x.untyped_storage()) == "
               "StorageWeakRef({o}.untyped_storage())]",
    "is_input": "[k for k, x in enumerate(ins) if x is {o}]",
}
_FIELD = re.compile(r"^(out|input)\[(\d+)\](?:\.(\w+))?$")


def field_expression(field: str) -> str | None:
    """The Python expression, over ``out`` (the op's result) and ``ins`` (its input
    tensors after the call), that prints ``field``; None for a field it cannot show."""
    if field == "error":
        return '"returned normally"'
    if field == "out":
        return '[("Tensor" if isinstance(x, torch.Tensor) else type(x).__name__) for x in tree_leaves(out)]'
    if field == "out.shared_storage":
        return "[StorageWeakRef(o.untyped_storage()) == StorageWeakRef(p.untyped_storage()) " \
               "for o in tree_leaves(out) for p in tree_leaves(out)]"
    m = _FIELD.match(field)
    if not m:
        return None
    group, index, attr = m.groups()
    target = f"tree_leaves(out)[{index}]" if group == "out" else f"ins[{index}]"
    if attr is None:
        return target  # a non-tensor output
    template = _ATTRS.get(attr)
    return template.format(o=target) if template else None


def _inputs_function(call, device: str, *, marks: tuple[str, ...] = ()) -> list[str]:
    """``def inputs():`` building the call's arguments with the repro's own input code
    (returns args, kwargs and the input tensors), ``marks`` run on them first."""
    names: dict = {}
    lines = []
    for spec in call.tensor_specs():
        if spec not in names:
            names[spec] = f"t{len(names)}"
            lines += _tensor_lines(call, spec, names[spec], "    ")
    args, kwargs, inputs = _call_code(call, names)
    return ["def inputs():", *_storage_lines(call, "    "), *lines, *(f"    {m}" for m in marks),
            f"    return ({args}), {{{kwargs}}}, {inputs}"]


def _custom_imports(op: str) -> list[str]:
    """The lines that register a custom op (its module's import), for a snippet."""
    text = _import_lines(op).strip()
    return ["import sys", *text.splitlines()] if text else []


_SDPA_SWITCHES = {"flash": "enable_flash_sdp", "efficient": "enable_mem_efficient_sdp", "cudnn": "enable_cudnn_sdp",
                  "math": "enable_math_sdp"}


def _cuda_context_lines(call: OpCall, device: str) -> list[str]:
    """A snippet's settings for the call's ``cuda_context`` on a CUDA device, set for the
    whole program (both sides run under them): one attention backend alone, or TF32."""
    if not call.cuda_context or not device.startswith("cuda"):
        return []
    kind, _, which = call.cuda_context.partition(":")
    if kind == "sdpa":
        return [f"torch.backends.cuda.{switch}({name == which})  # {call.cuda_context}"
                for name, switch in _SDPA_SWITCHES.items()]
    return [f"torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = {which == 'on'}"]


def _specials(lines: list[str]) -> list[str]:
    return ['nan, inf = float("nan"), float("inf")'] if re.search(r"\b(nan|inf)\b", "\n".join(lines)) else []


def snippet(call, *, category: str, field: str, device: str, mode: str = "static", autocast: str = "") -> str:
    """A short plain-torch program that prints ``field`` for the real kernel and for fake
    mode on ``call``, for ``crossref report`` (crossref/reporting/bugreport.py): the
    inputs built by the repro's own input code, about ten lines more. ``""`` for a
    symbolic, backward, cache or crash finding, whose mode's machinery only the full
    repro script carries."""
    expr = field_expression(field)
    if mode not in SNIPPET_MODES or category in _NO_SNIPPET or expr is None:
        return ""
    namespace, packet, overload = call.op.split(".", 2)
    build = _inputs_function(call, device)
    context = f", torch.autocast({device.split(':')[0]!r}, dtype=torch.{autocast})" if autocast else ""
    return "\n".join([
        "import contextlib",
        "import warnings",
        "import torch",
        "from torch._subclasses.fake_tensor import FakeTensorMode",
        "from torch.multiprocessing.reductions import StorageWeakRef",
        "from torch.utils._pytree import tree_leaves, tree_map_only",
        *_custom_imports(call.op),
        "",
        f"DEVICE = {device!r}",
        *_specials(build),
        *_cuda_context_lines(call, device),
        'warnings.simplefilter("ignore")',
        "",
        *build,
        "",
        'for side, mode in (("real", contextlib.nullcontext()), ("fake", FakeTensorMode())):',
        "    args, kwargs, ins = inputs()",
        "    if side == \"fake\":  # fakes of the same inputs, as torch.compile makes them",
        "        args, kwargs, ins = tree_map_only(torch.Tensor, mode.from_tensor, (args, kwargs, ins))",
        "    try:",
        f"        with mode{context}:",
        f"            out = torch.ops.{namespace}.{packet}.{overload}(*args, **kwargs)",
        f"        print(side, {expr})" if field == "error" else f"        print(side, {field!r}, {expr})",
        "    except Exception as e:",
        "        print(side, \"raised\", f\"{type(e).__name__}: {str(e).strip().splitlines()[0]}\")",
    ]) + "\n"


#: Consequences (taxonomy.Impact) whose compiled program the eager-against-compiled
#: snippet shows.
_COMPILE_SNIPPET_IMPACTS = frozenset({"wrong_values", "crash", "wrong_metadata", "runtime_assert", "accepts_invalid",
                                      "compile_error"})
_ALL_TENSORS = ("[(tuple(t.shape), t.stride(), t.dtype) if isinstance(t, torch.Tensor) else t "
                "for t in tree_leaves(out)]")


def compile_snippet(call, *, backend: str, impact: str, field: str, device: str, mode: str = "static",
                    autocast: str = "", category: str = "") -> str:
    """A short plain-torch program that runs ``call`` eagerly and through
    ``torch.compile(backend=backend, fullgraph=True)`` in the finding's ``mode``, and
    prints ``field`` (where the consequence probe, crossref/impact/consequence.py, saw them differ)
    for both: what a compiled program gets wrong, for ``crossref report``. ``""`` for a
    consequence with nothing to show, and for a cache finding (its compile must meet a
    cache another compile filled)."""
    if impact not in _COMPILE_SNIPPET_IMPACTS:
        return ""
    if mode == "backward":
        call = call.requiring_grad()
    namespace, packet, overload = call.op.split(".", 2)
    marks: list[str] = []
    if mode == "symbolic":  # dynamic=True makes every dim dynamic: the check's static dims are marked static
        for k, spec in enumerate(dict.fromkeys(call.tensor_specs())):
            for d, dynamic in enumerate(call.dynamic_dims(k, len(spec.size))):
                if not dynamic:
                    marks.append(f"torch._dynamo.mark_static(t{k}, {d})")
                elif category == "specialization" and spec.size[d] >= 2:
                    marks.append(f"torch._dynamo.mark_dynamic(t{k}, {d})  # fixing it fails the compile")
    build = _inputs_function(call, device, marks=tuple(marks))
    group, _, rest = field.partition("[")
    if field.endswith(".values"):
        expr = f"tree_leaves(out)[{rest.split(']')[0]}]" if group in ("out", "grad") else f"ins[{rest.split(']')[0]}]"
        label = field.removesuffix(".values")
    else:
        expr = field_expression(field.replace("grad[", "out[", 1) if group == "grad" else field) or _ALL_TENSORS
        label = field if field_expression(field.replace("grad[", "out[", 1)) else "outputs"
    context = f"torch.autocast({device.split(':')[0]!r}, dtype=torch.{autocast})" if autocast \
        else "contextlib.nullcontext()"
    lines = [
        "import contextlib",
        "import warnings",
        "import torch",
        "from torch.multiprocessing.reductions import StorageWeakRef",
        "from torch.utils._pytree import tree_leaves",
        *_custom_imports(call.op),
        "",
        f"DEVICE = {device!r}",
        *_specials(build),
        *_cuda_context_lines(call, device),
        'warnings.simplefilter("ignore")',
        "",
        *build,
        "",
        "",
        "def program(*args, **kwargs):",
        f"    return torch.ops.{namespace}.{packet}.{overload}(*args, **kwargs)",
        "",
    ]
    if mode == "backward":
        lines += [
            "",
            "def grads(out, ins):  # the backward pass, with the check's grad_outputs",
            "    outs = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor) and t.requires_grad]",
            "    wrt = list({id(t): t for t in ins if t.requires_grad}.values())",
            "    gouts = []",
            "    for k, t in enumerate(outs):",
            "        seeded = torch.Generator().manual_seed(k)",
            *(["        if t.dim() >= 1 and t.shape[0] > 1:  # broadcast along dim 0",
               "            g = torch.randn((1, *t.shape[1:]), generator=seeded, dtype=t.dtype).to(DEVICE).expand(t.shape)",
               "        else:",
               "            g = torch.randn(t.shape, generator=seeded, dtype=t.dtype).to(DEVICE)"]
              if call.grad_layout == "expanded" else
              ["        g = torch.randn(t.shape, generator=seeded, dtype=t.dtype).to(DEVICE)"]),
            *(["        if g.dim() >= 2:  # laid out transposed",
               "            g = g.transpose(-1, -2).contiguous().transpose(-1, -2)"]
              if call.grad_layout == "transposed" else []),
            "        gouts.append(g)",
            "    return torch.autograd.grad(outs, wrt, gouts, allow_unused=True)",
            "",
        ]
    dynamic = "True" if mode == "symbolic" else "False"
    if category == "cache":  # the consequence is the second compile's: it meets the cache the first filled
        lines += [
            "",
            "args, kwargs, ins = inputs()",
            "try:  # a first compile fills fake mode's dispatch cache (process-wide)",
            f"    torch.compile(program, backend={backend!r}, fullgraph=True, dynamic={dynamic})(*args, **kwargs)",
            "except Exception:",
            "    pass",
            "torch._dynamo.reset()",
        ]
    lines += [
        "",
        f"compiled = torch.compile(program, backend={backend!r}, fullgraph=True, dynamic={dynamic})",
        'for side, run in (("eager", program), ("compiled", compiled)):',
        "    args, kwargs, ins = inputs()",
        "    try:",
        f"        with {context}:",
        "            out = run(*args, **kwargs)",
        *(["        out = grads(out, ins)"] if mode == "backward" else []),
        f"        print(side, {expr})" if field == "error" else f"        print(side, {label!r}, {expr})",
        "    except Exception as e:",
        "        print(side, \"raised\", f\"{type(e).__name__}: {str(e).strip().splitlines()[0]}\")",
    ]
    return "\n".join(lines) + "\n"
