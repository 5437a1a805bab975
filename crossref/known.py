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


def match(op: str, category: str, device: str, traits: frozenset[str]) -> Known | None:
    for k in KNOWN:
        if k.category != category or not fnmatch.fnmatchcase(op, k.ops):
            continue
        if k.trait is not None and k.trait not in traits:
            continue
        if k.device is not None and not device.startswith(k.device):
            continue
        return k
    return None
