"""Where fake mode's answer came from: the ``fake_impl`` of a finding.

A person fixing fake mode needs the Python function that computed the wrong answer.
Fake mode records nothing of it, so for each new signature the fake side is run once
more, watched (``_torch.ImplTrace``): the outermost implementation function it called
(a meta registration, a decomposition, a reference, a fake_impls handler, a custom
op's fake kernel) is the one that answered. A fake error names the implementation whose
check raised it (``ErrorInfo.where``, read from the traceback). No Python implementation
at all means a C++ kernel answered (``_torch.cpp_kernel_name``).

Which function answered depends on the call (a symbolic run can take a decomposition a
static one does not), so it is traced for the call that showed the finding, in its mode.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from .. import _torch
from .classify import Finding
from .compare import Outcome

#: The answer of a finding about the dispatch cache (the cached entry, not a kernel).
CACHE = "cache"
#: The shared wrapper that resizes and copies into ``out=`` tensors; a mutation finding
#: of an op it wraps is its doing, not the wrapped function's.
_OUT_WRAPPER = "out_wrapper"


def responsible(finding: Finding, fake: Outcome, entries: Callable[[], list[tuple[str, str, tuple[str, ...]]]]) -> str:
    """The ``fake_impl`` of one finding of a check whose fake run was ``fake``.
    ``entries`` traces the fake run on demand (``ImplTrace.entries``): only findings
    about a fake answer that returned need it."""
    if finding.category == "cache":
        return CACHE
    if finding.category == "crash":
        return ""
    if fake.error is not None:
        return fake.error.where or _torch.cpp_kernel_name(finding.op)
    target = finding.inner_op or finding.op
    found = entries()
    # The op's own implementation when Python answered it (fake mode may first run others
    # for it: an empty_like for an in-place op's result); a backward finding names the op
    # inside the backward whose answer differs. Else the first implementation that ran
    # (a composite op's: the op it decomposed into).
    mine = [e for e in found if e[0] == target] or ([] if finding.inner_op else found)
    if not mine:
        return _torch.cpp_kernel_name(target)
    _, impl, wrappers = mine[0]
    if finding.category == "mutation":
        wrapper = next((w for w in wrappers if w.rpartition(":")[2] == _OUT_WRAPPER), "")
        return wrapper or impl
    return impl


def attribute(findings: tuple[Finding, ...], fake: Outcome, trace: Callable[[], _torch.ImplTrace],
              memo: dict[str, str]) -> tuple[Finding, ...]:
    """``findings`` with ``fake_impl`` set. ``trace`` runs the call's fake side once more,
    watched, and is called at most once, only when a finding needs it; ``memo``
    (signature -> fake_impl) keeps the answer for later checks of the same signature."""
    traced: list = []

    def entries() -> list:
        if not traced:
            traced.append(trace().entries)
        return traced[0]

    out = []
    for f in findings:
        impl = memo.get(f.signature)
        if impl is None:
            impl = memo[f.signature] = responsible(f, fake, entries)
        out.append(dataclasses.replace(f, fake_impl=impl))
    return tuple(out)
