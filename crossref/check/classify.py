"""From field-level mismatches to findings: category, severity, signature, status.

Knows fake mode's declared limitations (its ``unsupported`` exceptions and ops tagged
``dynamic_output_shape`` / ``data_dependent_output``) and the table of known
divergences (known.py). The signature is what deduplicates: one bug seen 500 times is
one finding with count 500.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import torch

from . import known as known_table
from .compare import Mismatch
from .compare import Outcome
from .opcall import OpCall, TensorSpec
from ..taxonomy import CATEGORIES, HIGH_CATEGORIES as _HIGH, NOT_FAILING, SEVERITIES, STATUSES, normalize_message  # noqa: F401

_LIMITATION_TAGS = frozenset({"dynamic_output_shape", "data_dependent_output"})

# What kind of refusal a real kernel's error is. The C++ kernels raise plain
# RuntimeError for all of these, so the message is the only structured-enough signal;
# this table is the one place crossref reads error text, and only for traits.
_REAL_ERROR_KINDS = (
    # First: its "Unexpected floating" would read as a dtype refusal below.
    ("autocast_prioritize", re.compile(r"Unexpected floating ScalarType in at::autocast::prioritize")),
    ("dtype_unsupported", re.compile(r"not implemented for '|not supported for (complex|bool|half|bfloat16)|"
                                     r"boolean inputs? (are )?not supported|not supported for complex|"
                                     r"\"\w+\" not implemented for|does not support (automatic differentiation|complex)|"
                                     r"Unsupported dtype|only supports floating|expected (a )?floating|"
                                     r"must be (a )?floating|should be floating|expected input to have floating|floating point or complex dtype|"
                                     r"floating( point)? dtype (is )?expected|expects? a floating",
                                     re.I)),
    ("no_backend_kernel", re.compile(r"Could not run '[\w:.]+' with arguments from the", re.I)),
)

#: The backend libraries whose refusals no meta kernel can predict (their own limits, or
#: the values: a singular matrix, a non-converging SVD), by what their errors say; an
#: error type matches as ``Type:`` at the start. What matches is a ``backend_error``,
#: low severity, its own cluster by the normalised message, not a missing check.
BACKEND_ERRORS = (
    ("mkl", re.compile(r"MKL FFT error|DFTI ERROR")),
    ("onednn", re.compile(r"could not create a primitive|oneDNN error|dnnl_\w+ failed", re.I)),
    ("lapack", re.compile(r"^_?LinAlgError:|LAPACK", re.M)),
    ("cudnn", re.compile(r"CUDNN_STATUS_|cuDNN error", re.I)),
    ("cublas", re.compile(r"CUBLAS_STATUS_")),
    ("cusolver", re.compile(r"CUSOLVER_STATUS_|cusolver error", re.I)),
    ("magma", re.compile(r"MAGMA error|magma_\w+ returned error", re.I)),
)


def backend_refusal(error) -> str:
    """The backend library whose refusal ``error`` (an ErrorInfo of the real kernel) is,
    or "" when it is the kernel's own check."""
    if error is None:
        return ""
    text = f"{error.type}: {error.message}"
    return next((name for name, pattern in BACKEND_ERRORS if pattern.search(text)), "")


@dataclass(frozen=True, slots=True)
class Finding:
    signature: str
    op: str
    category: str
    severity: str
    field: str
    real: str
    fake: str
    device: str
    dtypes: tuple[str, ...]
    traits: tuple[str, ...]
    known: str | None  # reason, when it matches the known-divergence table
    mode: str = "static"  # static | symbolic | backward | autocast (crossref/check/modes.py)
    inner_op: str = ""  # backward mode: the first op inside the backward pass whose fake answer differs
    # The implementation that produced fake mode's answer (crossref/check/provenance.py):
    # "torch/_refs/__init__.py:div", "C++ Meta kernel of aten::mm", "cache"...
    fake_impl: str = ""

    @property
    def fails(self) -> bool:
        """Whether it should fail its test item (a new, real bug)."""
        return self.known is None and self.category not in NOT_FAILING


#: dtype names as the C++ kernels quote them ("not implemented for 'ComplexFloat'").
_KERNEL_DTYPE_NAMES = {
    "Bool": "bool", "Byte": "uint8", "Char": "int8", "Short": "int16", "Int": "int32", "Long": "int64",
    "Half": "float16", "BFloat16": "bfloat16", "Float": "float32", "Double": "float64",
    "ComplexFloat": "complex64", "ComplexDouble": "complex128",
}
_QUOTED = re.compile(r"'(\w+)'")


def refused_dtypes(message: str, dtypes: tuple[str, ...]) -> frozenset[str]:
    """The dtypes (names) a real kernel's error refuses: those it quotes or names by
    category (complex, bool), or else the call's only dtype; nothing when the error is
    not about dtypes."""
    if real_error_kind(message) != "dtype_unsupported":
        return frozenset()
    quoted = {_KERNEL_DTYPE_NAMES[q] for q in _QUOTED.findall(message) if q in _KERNEL_DTYPE_NAMES}
    for refusal, names in _CATEGORY_WORDS:  # "not supported for complex types": every complex dtype
        if refusal.search(message):
            quoted |= names
    if quoted:
        return frozenset(quoted)
    return frozenset(dtypes) if len(dtypes) == 1 else frozenset()


_CATEGORY_WORDS = (
    (re.compile(r"not (yet )?(supported|implemented) for complex|complex (types |inputs |tensors )?(are |is )?not "
                r"supported|does not support complex", re.I), {"complex64", "complex128"}),
    (re.compile(r"boolean inputs? (are )?not supported|not supported for bool|does not support bool", re.I), {"bool"}),
)


def real_error_kind(message: str) -> str:
    for kind, pattern in _REAL_ERROR_KINDS:
        if pattern.search(message):
            return kind
    return "other"


_normalize = normalize_message


def _generic_field(field: str) -> str:
    """The field without what varies between examples of one bug: which input, which
    dim a specialization fixed, which element of a list argument."""
    return re.sub(r"(input|size|arg:\w+)\[\d+\]", r"\1[*]", field)


def signature(op: str, category: str, field: str, device: str, detail: str, mode: str = "static",
              inner_op: str = "") -> str:
    """The finding's identity. The mode (and a backward finding's inner op) are part of
    it; a static finding's key is what it was before modes existed, so baselines and
    histories of static runs keep matching."""
    parts = [op, category, _generic_field(field), device.split(":")[0], detail]
    if mode != "static":
        parts += [mode, inner_op]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def _category(m: Mismatch, call: OpCall, tags: frozenset[str], real: Outcome, fake: Outcome, limitations: bool) -> str:
    if m.kind == "real_error":
        return "backend_error" if backend_refusal(real.error) else "missing_error"
    if m.kind == "fake_error":
        declared = limitations and fake.error is not None and fake.error.limitation
        return "unsupported" if declared and limitation_applies(call, tags, fake.error.type) else "spurious_error"
    return m.kind


_MASK_DTYPES = frozenset({torch.bool, torch.uint8})


def limitation_applies(call: OpCall, tags: frozenset[str], error_type: str) -> bool:
    """Whether a declared limitation of fake mode (one of its exceptions for a
    data-dependent output, a dynamic output shape, no fake kernel) can apply to this
    call. Where it cannot, the error is a bug (``spurious_error``): ``index.Tensor`` is
    tagged dynamic_output_shape for its mask indices, and with integer indices its
    output shape is static. Any other exception fake mode raises where the kernel
    returns is a ``spurious_error`` too, on a tagged op as well."""
    if error_type == "UnsupportedOperatorException":
        return True
    masks = any(isinstance(v, (list, tuple)) and any(
        isinstance(t, TensorSpec) and call.storages[t.storage].dtype in _MASK_DTYPES for t in v)
        for v in (*call.args, *(v for _, v in call.kwargs)))
    if masks:
        return True
    if not tags & _LIMITATION_TAGS:
        return False
    base = call.op.split(".")[1].rstrip("_")
    if base == "index":
        return False  # no mask index: the output shape follows the index shapes
    if base == "one_hot":
        return call.argument("num_classes", -1) == -1
    if base == "repeat_interleave":
        return call.argument("output_size") is None
    return True


#: Fields that mean nothing for a tensor without elements: a difference there is minor.
_MINOR_WHEN_EMPTY = (".stride", ".storage_offset", ".aliases", ".is_input", "shared_storage")


def _severity(category: str, m: Mismatch, known: bool) -> str:
    if category == "unsupported":
        return "info"
    if category in ("specialization", "backend_error"):  # recompiles; a refusal no meta kernel can know
        return "low"
    if known or (m.empty and m.field.endswith(_MINOR_WHEN_EMPTY)):
        return "low"
    if category in _HIGH or (category == "mutation" and m.field.endswith((".shape", ".dtype"))):
        return "high"
    return "medium"


def classify(
    call: OpCall,
    tags: frozenset[str],
    real: Outcome,
    fake: Outcome,
    mismatches: tuple[Mismatch, ...],
    *,
    mode: str = "static",
    limitations: bool = True,
    inner_op: str = "",
    traits: frozenset[str] = frozenset(),
) -> tuple[Finding, ...]:
    """One finding per distinct signature among ``mismatches``. ``limitations=False``:
    fake mode's declared-limitation exceptions count as ``spurious_error`` (symbolic
    mode, where the static run did not raise them: no input carries an unbacked
    symbol). ``traits`` are added to the call's (autocast's dtype, for one)."""
    findings: dict[str, Finding] = {}
    dtypes = call.dtypes()
    base_traits = call.traits() | traits
    for m in mismatches:
        category = _category(m, call, tags, real, fake, limitations)
        traits = set(base_traits)
        if m.empty:
            traits.add("empty-output")
        detail = "empty" if m.empty else ""
        if category == "missing_error":
            message = real.error.message if real.error else ""
            kind = real_error_kind(message)
            traits.add(f"real:{kind}")
            # The kernel's check that fake mode lacks: its normalized message tells
            # one missing check from another.
            detail += f"{real.error.type if real.error else ''}:{kind}:{_normalize(message)}"
        elif category == "backend_error":  # which backend refused, and how (normalised)
            traits.add(f"backend:{backend_refusal(real.error)}")
            detail += f"{real.error.type}:{backend_refusal(real.error)}:{_normalize(real.error.message)}"
        elif category in ("spurious_error", "unsupported") and fake.error is not None:
            detail += f"{fake.error.type}:{_normalize(fake.error.message)}"
        elif category == "specialization":  # which guard: its shape, symbols and numbers aside
            detail += re.sub(r"\b[su]\d+\b", "s", _normalize(m.fake))
        entry = known_table.match(call.op, category, real.device, frozenset(traits), mode=mode, field=m.field)
        sig = signature(call.op, category, m.field, real.device, detail, mode, inner_op)
        if sig in findings:
            continue
        findings[sig] = Finding(
            signature=sig,
            op=call.op,
            category=category,
            severity=_severity(category, m, entry is not None),
            field=m.field,
            real=m.real,
            fake=m.fake,
            device=real.device,
            dtypes=dtypes,
            traits=tuple(sorted(traits)),
            known=entry.reason if entry is not None else None,
            mode=mode,
            inner_op=inner_op,
        )
    return tuple(findings.values())


def cache_severity(m: Mismatch) -> str:
    """A cache answer that differs is high, unless it is a field empty tensors ignore."""
    return "low" if m.empty and m.field.endswith(_MINOR_WHEN_EMPTY) else "high"


def classify_cache(call: OpCall, real: Outcome, fresh: Outcome, cold: Outcome, repeat: Outcome,
                   *, all_strides: bool = False) -> tuple[Finding, ...]:
    """``cache`` findings: a fake result that went through the dispatch cache (the cold
    miss that filled the entry, or the repeat served from it) differs from a fresh
    computation in a mode without the cache. The field says which run and what."""
    return cache_findings(call, real.device, fresh, (("repeat", "repeat", repeat), ("cold", "cold", cold)),
                          all_strides=all_strides)


def cache_findings(call: OpCall, device: str, reference: Outcome, runs, *, all_strides: bool = False,
                   traits: tuple[str, ...] | None = None) -> tuple[Finding, ...]:
    """``cache`` findings of fake ``runs`` — (field prefix, label, outcome) — that differ
    from ``reference``, the same call in a mode without the cache. ``traits``: fixed
    traits, or None for the call's traits plus the run's."""
    from .compare import compare

    findings: dict[str, Finding] = {}
    for prefix, label, outcome in runs:
        mismatches = compare(reference, outcome, all_strides=all_strides)
        if reference.error is not None and outcome.error is None:
            mismatches = (Mismatch("cache", "error", reference.error.short(), "returned normally"),)
        for m in mismatches:
            field = f"{prefix}:{m.field}"
            sig = signature(call.op, "cache", field, device, "empty" if m.empty else "")
            if sig in findings:
                continue
            found = traits
            if found is None:
                found = tuple(sorted(set(call.traits()) | {f"cache:{prefix}"} | ({"empty-output"} if m.empty else set())))
            findings[sig] = Finding(
                signature=sig, op=call.op, category="cache", severity=cache_severity(m),
                field=field, real=f"uncached: {m.real}", fake=f"{label}: {m.fake}", device=device,
                dtypes=call.dtypes(), traits=found, known=None,
            )
    return tuple(findings.values())


def status(real: Outcome, fake: Outcome, findings: tuple[Finding, ...]) -> str:
    if any(f.category == "crash" for f in findings):
        return "crash"
    if real.error is not None and real.error.phase == "not_applicable":
        return "not_applicable"
    if real.error is not None and real.error.phase == "build":
        return "invalid"
    if real.error is not None and fake.error is not None:
        return "both_raised"
    if any(f.category != "unsupported" for f in findings):
        return "mismatch"
    if findings:
        return "unsupported"
    return "match"
