"""Known divergences: differences between fake mode and the real kernels that are
expected, each with a reason and a link. Matched on structured fields only.

A finding matching an entry is still recorded (column ``known``) but does not fail
its test item. tests/test_known.py reports entries that match nothing any more.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Known:
    ops: str  # glob over overload names
    category: str
    reason: str
    link: str
    trait: str | None = None  # a trait the finding must carry (see classify.finding_traits)
    device: str | None = None  # "cpu" / "cuda", or any
    mode: str | None = None  # static, symbolic, backward, autocast, or any
    field: str | None = None  # glob over the finding's field ("input[*].size[3]"), or any


KNOWN: tuple[Known, ...] = (
    Known(
        ops="aten._version.default",
        category="value",
        reason="a version counter counts the in-place history of the real tensor (building "
        "an input with set_/requires_grad_ bumps it); a fake starts its own count",
        link="https://github.com/pytorch/pytorch/blob/main/torch/_subclasses/meta_utils.py",
    ),
    Known(
        ops="aten.*",
        category="missing_error",
        trait="real:dtype_unsupported",
        reason="meta kernels are dtype-agnostic; this backend's kernel lacks the dtype "
        "(torch's own test_meta.py keeps the same list as expected failures)",
        link="https://github.com/pytorch/pytorch/blob/main/test/test_meta.py",
    ),
    Known(
        ops="aten.*",
        category="missing_error",
        trait="real:no_backend_kernel",
        reason="the op has no kernel for this backend and dtype/layout combination, "
        "while its meta kernel is backend-agnostic",
        link="https://github.com/pytorch/pytorch/blob/main/test/test_meta.py",
    ),
)


KNOWN += (
    Known(
        ops="*",
        category="missing_error",
        mode="autocast",
        trait="real:autocast_prioritize",
        reason="CPU autocast (bfloat16) refuses a float16 tensor among an op's Tensor[] inputs "
        "('Unexpected floating ScalarType in at::autocast::prioritize') before any kernel runs; "
        "fake mode does not reach that check: a torch autocast limitation, not the op's fake kernel",
        link="https://github.com/pytorch/pytorch/blob/main/aten/src/ATen/autocast_mode.h",
    ),
)


# Specializations that are not bugs: the number is part of what the op means, or of
# what the caller passed. Symbolic mode only; each names why the size must be fixed.
_NUMBER_OF_OUTPUTS = ("the number of outputs is computed from a size: a list's length cannot be symbolic, "
                      "so tracing must fix that size")
_CONSTANT_ARGUMENT = ("the op's size arguments are plain ints (not SymInt in its schema): a constant given "
                      "by the caller fixes the input sizes it must agree with")
_LEGITIMATE_SPECIALIZATIONS = (
    ("aten.split.Tensor", _NUMBER_OF_OUTPUTS),
    ("aten.split_copy.Tensor*", _NUMBER_OF_OUTPUTS),
    ("aten.unsafe_split.Tensor*", _NUMBER_OF_OUTPUTS),
    ("aten.unbind*", _NUMBER_OF_OUTPUTS),
    ("aten.chunk.default", _NUMBER_OF_OUTPUTS),
    ("aten.unsafe_chunk.default", _NUMBER_OF_OUTPUTS),
    ("aten.tensor_split.*", _NUMBER_OF_OUTPUTS),
    ("aten._chunk_cat*", _NUMBER_OF_OUTPUTS),
    ("aten.grid_sampler*", "the grid's last dim holds the coordinates: 2 for 2-d sampling, 3 for 3-d"),
    ("aten.linalg_cross*", "the cross product is defined for vectors of 3 elements only"),
    ("aten.cross.*", "the cross product is defined for vectors of 3 elements only"),
    ("aten.fractional_max_pool*", _CONSTANT_ARGUMENT),
)
KNOWN += tuple(
    Known(ops=ops, category="specialization", reason=reason, mode="symbolic",
          link="https://github.com/pytorch/pytorch/blob/main/torch/fx/experimental/symbolic_shapes.py")
    for ops, reason in _LEGITIMATE_SPECIALIZATIONS
)


def match(op: str, category: str, device: str, traits: frozenset[str], *, mode: str = "static",
          field: str = "") -> Known | None:
    for k in KNOWN:
        if k.category != category or not fnmatch.fnmatchcase(op, k.ops):
            continue
        if k.mode is not None and k.mode != mode:
            continue
        if k.field is not None and not fnmatch.fnmatchcase(field, k.field):
            continue
        if k.trait is not None and k.trait not in traits:
            continue
        if k.device is not None and not device.startswith(k.device):
            continue
        return k
    return None
