"""The oracle: what one run of a call came to, how a tensor is described, and how a
real and a fake outcome differ.

Torch-only on purpose: it imports nothing of crossref, so every repro script embeds
this file verbatim (crossref/check/repro.py) and decides whether its finding reproduces with
the very code the harness used; the two cannot disagree (tests/test_repro.py replays
findings through both). execute.py runs calls and builds Outcomes with ``describe``;
classify.py turns the Mismatches into findings.

The comparer is pure and complete: it looks at every field of every output and every
input after the call, and returns all differences it finds. It never raises and never
asserts. Which differences are bugs, and how bad, is ``classify``'s business.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

# StorageWeakRef compares storages of real and fake tensors alike (fake tensors have
# no data_ptr); fake_utils.py uses it for the same reason.
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._pytree import tree_leaves


# --------------------------------------------------------------------------- outcomes

@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """An exception as data. ``phase``: build | convert | call | inspect."""

    type: str
    message: str
    phase: str
    limitation: bool  # one of fake mode's declared limitations
    # A fake run's error: the implementation function whose check raised it (see
    # _torch.raising_impl); "" when a C++ kernel raised or on the real side.
    where: str = ""

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
    # Symbolic mode, a size without a hint (an unbacked symbol of a data-dependent
    # output): -1 in ``shape``, and here the (low, high) range the ShapeEnv allows it.
    ranges: tuple[tuple[int, int] | None, ...] | None = None

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
class InnerOp:
    """One ATen op that ran inside a backward pass, and what it returned."""

    op: str
    structure: str
    outputs: tuple[TensorMeta | Value, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    side: str  # real | fake
    device: str
    structure: str  # nesting of the output, e.g. "(T,T)" or "[T,T]" or "T"
    outputs: tuple[TensorMeta | Value, ...]  # backward mode: the gradients
    inputs_after: tuple[TensorMeta, ...]  # input metadata after the call
    error: ErrorInfo | None
    seconds: float
    # symbolic mode: (what, guard) for each input size or argument the call fixed to a number
    specialized: tuple[tuple[str, str], ...] = ()
    inner: tuple[InnerOp, ...] = ()  # backward mode: the ops inside the backward pass, in order



# --------------------------------------------------------------------------- describing

def storage_key(t: torch.Tensor) -> StorageWeakRef | None:
    """A hashable identity of t's storage, for real and fake tensors alike."""
    if t.layout != torch.strided:
        return None
    try:
        return StorageWeakRef(t.untyped_storage())
    except (RuntimeError, NotImplementedError):
        return None


def is_symbolic(x: Any) -> bool:
    return isinstance(x, torch.SymInt | torch.SymFloat | torch.SymBool)


def hint(x: Any) -> Any:
    """The concrete value a symbolic number stands for (what the real run computes),
    None for an unbacked one; other values as they are. Reading the hint installs no
    guard (``int(x)`` would)."""
    if not is_symbolic(x):
        return x
    node = x.node
    if node.has_hint():
        return node.hint
    return None


def value_range(x: Any) -> tuple[int, int] | None:
    """The range the ShapeEnv allows an (unbacked) symbolic int, as ints (bounds capped)."""
    if not isinstance(x, torch.SymInt):
        return None
    vr = x.node.shape_env.bound_sympy(x.node.expr)

    def bound(v, default):
        try:
            return int(v)
        except Exception:  # noqa: BLE001 - sympy's infinities raise several types
            return default

    return bound(vr.lower, -(2**63)), bound(vr.upper, 2**63 - 1)


def structure(value: Any) -> str:
    """The nesting of an output: ``T`` a tensor, ``v`` anything else, ``(..)``/``[..]``."""
    if isinstance(value, torch.Tensor):
        return "T"
    if isinstance(value, tuple):
        return "(" + ",".join(structure(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ",".join(structure(v) for v in value) + "]"
    return "v"


def flatten(value: Any, out: list) -> None:
    """Append the leaves of an output (nested tuples, lists, torch.return_types), in order."""
    out.extend(tree_leaves(value))


def value(v: Any) -> Value:
    """A non-tensor output, as text (a symbolic number through its hint)."""
    if is_symbolic(v):  # compared through its hint: what the real run computes
        h = hint(v)
        return Value(type(h).__name__, repr(h)) if h is not None else Value(type(v).__name__, str(v))
    if isinstance(v, float) and v != v:
        return Value("float", "nan")
    return Value(type(v).__name__, repr(v))


def tensor_meta(t: torch.Tensor, input_keys: list, inputs: list[torch.Tensor], groups: dict) -> TensorMeta:
    strided = t.layout == torch.strided
    key = storage_key(t)
    aliases = tuple(i for i, k in enumerate(input_keys) if key is not None and k == key)
    is_input = next((i for i, x in enumerate(inputs) if x is t), None)
    group = None
    if key is not None:
        group = groups.setdefault(key, len(groups))
    # Sizes of a symbolic fake are read through their hints: no guard is installed.
    shape, ranges = tuple(hint(s) for s in t.shape), None
    if None in shape:
        ranges = tuple(value_range(s) if h is None else None for s, h in zip(t.shape, shape))
        shape = tuple(-1 if h is None else h for h in shape)
    stride = tuple(hint(s) for s in t.stride()) if strided else None
    return TensorMeta(
        shape=shape,
        dtype=str(t.dtype).removeprefix("torch."),
        device=str(t.device),
        layout=str(t.layout).removeprefix("torch."),
        stride=None if stride is None or None in stride else stride,
        storage_offset=hint(t.storage_offset()) if strided else None,
        requires_grad=bool(t.requires_grad),
        is_conj=bool(t.is_conj()),
        is_neg=bool(t.is_neg()),
        aliases=aliases,
        is_input=is_input,
        storage_group=group,
        ranges=ranges,
    )


def describe(side: str, device: str, result: Any, inputs: list, start: float) -> Outcome:
    """The outcome of a call that returned ``result``: each output described, and each
    input after the call (``start``: when the call began, for ``seconds``)."""
    keys = [storage_key(t) for t in inputs]
    leaves: list = []
    flatten(result, leaves)
    groups: dict = {}
    outputs = tuple(
        tensor_meta(v, keys, inputs, groups) if isinstance(v, torch.Tensor) else value(v) for v in leaves
    )
    after = tuple(tensor_meta(t, keys, inputs, {}) for t in inputs)
    return Outcome(side, device, structure(result), outputs, after, None, time.perf_counter() - start)



def describe_grads(side: str, device: str, grads: tuple, wrt: list, inner: tuple, start: float) -> Outcome:
    """The outcome of a backward pass: the gradients of the inputs ``wrt`` (None for an
    input the outputs do not depend on) and ``inner``, the ops that ran inside it
    (InnerOps)."""
    keys = [storage_key(t) for t in wrt]
    groups: dict = {}
    metas = tuple(tensor_meta(g, keys, wrt, groups) if g is not None else value(None) for g in grads)
    return Outcome(side, device, structure(tuple(grads)), metas, (), None, time.perf_counter() - start,
                   inner=tuple(inner))


def describe_inner(out: Any) -> tuple[str, tuple]:
    leaves: list = []
    flatten(out, leaves)
    return structure(out), tuple(tensor_meta(v, [], [], {}) if isinstance(v, torch.Tensor) else value(v)
                                  for v in leaves)


# --------------------------------------------------------------------------- comparing

# The tensor fields in the order they are compared; each names its category.
_SIMPLE_FIELDS = (
    ("dtype", "dtype"),
    ("device", "device"),
    ("layout", "layout"),
    ("requires_grad", "requires_grad"),
    ("is_conj", "conj_neg"),
    ("is_neg", "conj_neg"),
)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One difference. ``kind`` is a taxonomy category, or ``real_error`` /
    ``fake_error`` for exception parity (classify decides what those mean)."""

    kind: str
    field: str  # "out[0].stride", "input[1].shape", "error", "out"
    real: str
    fake: str
    empty: bool = False  # it concerns a tensor with no elements


def significant_dims(meta: TensorMeta) -> tuple[int, ...]:
    """Dims whose stride matters: size > 1, in a tensor with at least one element."""
    if meta.numel == 0:
        return ()
    return tuple(i for i, s in enumerate(meta.shape) if s > 1)


def _stride_text(meta: TensorMeta, dims: tuple[int, ...] | None) -> str:
    if meta.stride is None:
        return "None"
    if dims is None:
        return str(meta.stride)
    return str(tuple(meta.stride[i] if i in dims else "*" for i in range(len(meta.stride))))


def compare_tensor(prefix: str, real: TensorMeta, fake: TensorMeta, *, all_strides: bool, kind=None) -> list[Mismatch]:
    """Every metadata difference of two tensors. ``kind`` overrides the category
    (the comparer files input differences after a call under ``mutation``)."""
    found: list[Mismatch] = []
    empty = real.numel == 0 or fake.numel == 0

    def add(category: str, name: str, r, f) -> None:
        found.append(Mismatch(kind or category, f"{prefix}.{name}", str(r), str(f), empty))

    same_shape = _same_shape(real, fake)
    if not same_shape:
        add("shape", "shape", list(real.shape), _shape_text(fake))
    for name, category in _SIMPLE_FIELDS:
        r, f = getattr(real, name), getattr(fake, name)
        if r != f:
            add(category, name, r, f)
    if same_shape and real.stride is not None and fake.stride is not None:
        dims = None if all_strides else significant_dims(real)
        check = range(len(real.shape)) if dims is None else dims
        if any(real.stride[i] != fake.stride[i] for i in check):
            add("stride", "stride", _stride_text(real, dims), _stride_text(fake, dims))
    if same_shape and real.storage_offset != fake.storage_offset:
        add("storage_offset", "storage_offset", real.storage_offset, fake.storage_offset)
    if kind is None:  # aliasing is a property of outputs
        if real.aliases != fake.aliases:
            add("alias", "aliases", _alias_text(real.aliases), _alias_text(fake.aliases))
        if real.is_input != fake.is_input:
            add("alias", "is_input", _input_text(real.is_input), _input_text(fake.is_input))
    return found


def _same_shape(real: TensorMeta, fake: TensorMeta) -> bool:
    """Equal sizes; a fake size without a hint (an unbacked symbol) matches any real size
    inside the range the ShapeEnv allows it."""
    if fake.ranges is None:
        return real.shape == fake.shape
    return len(real.shape) == len(fake.shape) and all(
        r == f if rng is None else rng[0] <= r <= rng[1] for r, f, rng in zip(real.shape, fake.shape, fake.ranges))


def _shape_text(meta: TensorMeta) -> list:
    if meta.ranges is None:
        return list(meta.shape)
    return [s if rng is None else f"[{rng[0]}..{rng[1]}]" for s, rng in zip(meta.shape, meta.ranges)]


def _alias_text(aliases: tuple[int, ...]) -> str:
    return "new storage" if not aliases else "storage of " + ", ".join(f"input[{i}]" for i in aliases)


def _input_text(i: int | None) -> str:
    return "a new tensor" if i is None else f"input[{i}] itself"


def _output_groups(metas: tuple) -> tuple:
    """Which outputs share storage with which, as a canonical partition."""
    groups: dict[int, list[int]] = {}
    for i, m in enumerate(metas):
        if isinstance(m, TensorMeta) and m.storage_group is not None:
            groups.setdefault(m.storage_group, []).append(i)
    return tuple(sorted(tuple(g) for g in groups.values() if len(g) > 1))


def compare(real: Outcome, fake: Outcome, *, all_strides: bool = False, outputs: str = "out") -> tuple[Mismatch, ...]:
    """All differences between a real and a fake outcome of the same call. ``outputs``
    names the outputs in fields: ``out`` (``out[0].stride``), or ``grad`` for backward
    mode's gradients."""
    if real.error is not None and fake.error is not None:
        return ()
    if real.error is not None:
        return (Mismatch("real_error", "error", real.error.short(), "returned normally"),)
    if fake.error is not None:
        return (Mismatch("fake_error", "error", "returned normally", fake.error.short()),)

    found: list[Mismatch] = []
    same_structure = real.structure == fake.structure and len(real.outputs) == len(fake.outputs)
    if not same_structure:  # outputs cannot be paired; inputs after the call still can
        found.append(Mismatch("structure", outputs, real.structure, fake.structure))
    found += _compare_outputs(outputs, real.outputs, fake.outputs, all_strides) if same_structure else []
    r_groups, f_groups = _output_groups(real.outputs), _output_groups(fake.outputs)
    if same_structure and r_groups != f_groups:
        found.append(Mismatch("alias", f"{outputs}.shared_storage", str(r_groups), str(f_groups)))
    for i, (r, f) in enumerate(zip(real.inputs_after, fake.inputs_after)):
        found += compare_tensor(f"input[{i}]", r, f, all_strides=all_strides, kind="mutation")
    return tuple(found)


def _compare_outputs(name: str, real: tuple, fake: tuple, all_strides: bool) -> list[Mismatch]:
    found: list[Mismatch] = []
    for i, (r, f) in enumerate(zip(real, fake)):
        prefix = f"{name}[{i}]"
        if isinstance(r, TensorMeta) and isinstance(f, TensorMeta):
            found += compare_tensor(prefix, r, f, all_strides=all_strides)
        elif isinstance(r, Value) and isinstance(f, Value):
            if r.text != f.text:
                found.append(Mismatch("value", prefix, r.text, f.text))
        else:
            found.append(Mismatch("structure", prefix, type(r).__name__, type(f).__name__))
    return found


def compare_inner(real: tuple[InnerOp, ...], fake: tuple[InnerOp, ...], *,
                  all_strides: bool = False) -> tuple[str, tuple[Mismatch, ...]]:
    """The first op inside a backward pass whose fake answer differs from the real one,
    and how (fields ``inner.out[0].stride``...; ``inner.op`` when the two passes ran
    different ops there); ``("", ())`` when every op agrees. Aliasing is not compared:
    the ops' inputs are not recorded."""
    for k, (r, f) in enumerate(zip(real, fake)):
        if r.op != f.op:
            return r.op, (Mismatch("structure", "inner.op", f"#{k} {r.op}", f"#{k} {f.op}"),)
        if r.structure != f.structure or len(r.outputs) != len(f.outputs):
            return r.op, (Mismatch("structure", "inner.out", r.structure, f.structure),)
        found = [m for m in _compare_outputs("inner.out", r.outputs, f.outputs, all_strides)
                 if not m.field.endswith((".aliases", ".is_input"))]
        if found:
            return r.op, tuple(found)
    if len(real) != len(fake):
        k = min(len(real), len(fake))
        longer = real if len(real) > len(fake) else fake
        return longer[k].op, (Mismatch("structure", "inner.op", f"{len(real)} ops", f"{len(fake)} ops"),)
    return "", ()


def difference(real: Outcome, fake: Outcome, field: str, *, all_strides: bool = False) -> Mismatch | None:
    """The difference of ``real`` and ``fake`` at ``field`` (as a finding names it:
    ``out[0].stride``, ``grad[1].shape``, ``input[2].storage_offset``, ``error``,
    ``inner.out[0].dtype``), or None where they agree: how a repro script decides."""
    if field.startswith("inner."):
        if real.error is not None or fake.error is not None:
            return None
        found = compare_inner(real.inner, fake.inner, all_strides=all_strides)[1]
    else:
        outputs = "grad" if field.startswith("grad") else "out"
        found = compare(real, fake, all_strides=all_strides, outputs=outputs)
    return next((m for m in found if m.field == field), None)


# --------------------------------------------------------------------------- values
#
# The consequence probe (crossref/impact/consequence.py) compares a compiled program's values with
# eager's: compiled code may round differently (fused, reordered, computed in float32
# for half types), so floating values are equal within a tolerance of their dtype,
# relative to each element and to the tensor's largest magnitude (a reordered sum of
# large values cancels differently). NaN equals NaN, infinities must match, integers
# and bools are exact.

#: (rtol, atol) by dtype name; complex dtypes as their real parts.
TOLERANCES = {"float16": (2e-3, 1e-3), "bfloat16": (2e-2, 1e-2), "float32": (1e-4, 1e-5),
              "float64": (1e-7, 1e-9), "complex32": (2e-3, 1e-3), "complex64": (1e-4, 1e-5),
              "complex128": (1e-7, 1e-9)}


def _readable(t: torch.Tensor) -> torch.Tensor | None:
    """``t``'s values as a dense CPU tensor (complex as real pairs), or None where they
    cannot be read (meta and other data-less tensors, quantized ones)."""
    if t.device.type == "meta" or t.is_quantized:
        return None
    try:
        t = t.detach()
        if t.layout != torch.strided:
            t = t.to_dense()
        t = t.resolve_conj().resolve_neg().cpu()
    except Exception:  # noqa: BLE001 - a layout without to_dense, a tensor subclass
        return None
    return torch.view_as_real(t) if t.is_complex() else t


def _loosest(a: torch.dtype, b: torch.dtype) -> tuple[float, float]:
    tols = [TOLERANCES.get(str(d).removeprefix("torch."), (0.0, 0.0)) for d in (a, b)]
    return max(t[0] for t in tols), max(t[1] for t in tols)


def values_differ(real: torch.Tensor, fake: torch.Tensor) -> str | None:
    """How the values of two tensors of one shape differ, as one line ("3 of 12
    elements differ; largest |difference| 0.5 at (1, 2): 1.0 against 1.5"), or None
    where they agree (see TOLERANCES) or cannot be read."""
    if tuple(real.shape) != tuple(fake.shape):
        return None
    a, b = _readable(real), _readable(fake)
    if a is None or b is None or a.numel() == 0:
        return None
    floating = a.dtype.is_floating_point or b.dtype.is_floating_point
    if floating:
        rtol, atol = _loosest(real.dtype, fake.dtype)
        a, b = a.double(), b.double()
        finite = torch.isfinite(a) & torch.isfinite(b)
        scale = a[finite].abs().max().item() if bool(finite.any()) else 0.0
        close = (a - b).abs() <= atol + rtol * (a.abs() + scale)
        same = torch.where(finite, close, (a == b) | (torch.isnan(a) & torch.isnan(b)))
    else:
        if a.dtype != b.dtype:
            a, b = a.to(torch.int64), b.to(torch.int64)
        same = a == b
    if bool(same.all()):
        return None
    wrong = (~same).nonzero()
    first = tuple(int(i) for i in wrong[0])
    diff = (a.double() - b.double()).abs()
    diff = torch.where(same, torch.zeros_like(diff), torch.nan_to_num(diff, nan=float("inf")))
    worst = tuple(int(i) for i in (diff == diff.max()).nonzero()[0])
    at = worst if bool(torch.isfinite(diff.max())) else first
    return (f"{len(wrong)} of {same.numel()} elements differ; at {at}: {a[at].item()!r} against "
            f"{b[at].item()!r}")


def compare_values(name: str, real: list, fake: list) -> tuple[Mismatch, ...]:
    """``value`` mismatches (fields ``out[0].values``) between two lists of output
    leaves (or of inputs after the call: ``input``), pairwise; leaves that are not
    both tensors are compared by ``compare`` (a non-tensor output's value)."""
    found = []
    for i, (r, f) in enumerate(zip(real, fake)):
        if isinstance(r, torch.Tensor) and isinstance(f, torch.Tensor):
            how = values_differ(r, f)
            if how is not None:
                found.append(Mismatch("value", f"{name}[{i}].values", "eager", how))
    return tuple(found)
