"""The comparer: two Outcomes in, every field-level difference out.

Pure and complete: it looks at every field of every output and every input after
the call, and returns all differences it finds. It never raises and never asserts.
Which differences are bugs, and how bad, is ``classify``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass

from .execute import InnerOp, Outcome, TensorMeta, Value

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
