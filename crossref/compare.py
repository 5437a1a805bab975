"""The comparer: two Outcomes in, every field-level difference out.

Pure and complete: it looks at every field of every output and every input after
the call, and returns all differences it finds. It never raises and never asserts.
Which differences are bugs, and how bad, is ``classify``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass

from .execute import Outcome, TensorMeta, Value

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

    same_shape = real.shape == fake.shape
    if not same_shape:
        add("shape", "shape", list(real.shape), list(fake.shape))
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


def compare(real: Outcome, fake: Outcome, *, all_strides: bool = False) -> tuple[Mismatch, ...]:
    """All differences between a real and a fake outcome of the same call."""
    if real.error is not None and fake.error is not None:
        return ()
    if real.error is not None:
        return (Mismatch("real_error", "error", real.error.short(), "returned normally"),)
    if fake.error is not None:
        return (Mismatch("fake_error", "error", "returned normally", fake.error.short()),)

    found: list[Mismatch] = []
    same_structure = real.structure == fake.structure and len(real.outputs) == len(fake.outputs)
    if not same_structure:  # outputs cannot be paired; inputs after the call still can
        found.append(Mismatch("structure", "out", real.structure, fake.structure))
    for i, (r, f) in enumerate(zip(real.outputs, fake.outputs) if same_structure else ()):
        prefix = f"out[{i}]"
        if isinstance(r, TensorMeta) and isinstance(f, TensorMeta):
            found += compare_tensor(prefix, r, f, all_strides=all_strides)
        elif isinstance(r, Value) and isinstance(f, Value):
            if r.text != f.text:
                found.append(Mismatch("value", prefix, r.text, f.text))
        else:
            found.append(Mismatch("structure", prefix, type(r).__name__, type(f).__name__))
    r_groups, f_groups = _output_groups(real.outputs), _output_groups(fake.outputs)
    if same_structure and r_groups != f_groups:
        found.append(Mismatch("alias", "out.shared_storage", str(r_groups), str(f_groups)))
    for i, (r, f) in enumerate(zip(real.inputs_after, fake.inputs_after)):
        found += compare_tensor(f"input[{i}]", r, f, all_strides=all_strides, kind="mutation")
    return tuple(found)
