"""crossref's vocabulary, in one torch-free module: categories, severities, statuses,
modes, consequences in compiled programs, and the normalisation that tells one error
message from another.

The engine (classify, check, modes, impact), the report (report, clusters) and the
reading tools (runs, history) take their names from here; the values are the strings
written into the report files (README, "Report format" and "Categories").
"""

from __future__ import annotations

import enum
import re


class _Name(str, enum.Enum):
    """An enum whose members print as the string written into the report files."""

    def __str__(self) -> str:
        return self.value


class Category(_Name):
    """What differs between the real kernel and fake mode (README, "Categories")."""

    SHAPE = "shape"
    DTYPE = "dtype"
    DEVICE = "device"
    LAYOUT = "layout"
    STRIDE = "stride"
    STORAGE_OFFSET = "storage_offset"
    ALIAS = "alias"
    MUTATION = "mutation"
    REQUIRES_GRAD = "requires_grad"
    CONJ_NEG = "conj_neg"
    STRUCTURE = "structure"
    VALUE = "value"
    MISSING_ERROR = "missing_error"
    SPURIOUS_ERROR = "spurious_error"
    UNSUPPORTED = "unsupported"
    CACHE = "cache"
    SPECIALIZATION = "specialization"
    CRASH = "crash"
    #: the real kernel's backend library refused the input (MKL, oneDNN, LAPACK, cuDNN...):
    #: no meta kernel can predict it (crossref/check/classify.py, BACKEND_ERRORS)
    BACKEND_ERROR = "backend_error"


class Severity(_Name):
    """How much a difference can hurt a compiled program, most first."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class Status(_Name):
    """What one check came to (a results row's ``status``)."""

    MATCH = "match"
    MISMATCH = "mismatch"
    UNSUPPORTED = "unsupported"
    BOTH_RAISED = "both_raised"
    INVALID = "invalid"
    CRASH = "crash"
    #: a mode the call cannot run in (backward of an integer-only call...): neither a
    #: pass nor a failure
    NOT_APPLICABLE = "not_applicable"


class Mode(_Name):
    """How fake mode runs a call (crossref/check/modes.py)."""

    STATIC = "static"
    SYMBOLIC = "symbolic"
    BACKWARD = "backward"
    AUTOCAST = "autocast"


class Impact(_Name):
    """What a finding changes in a compiled program (crossref/impact/consequence.py): its shrunk call
    run through torch.compile and compared with eager. Worst first: the order of
    badness that ranks findings and clusters."""

    #: the compiled program returns other values than eager (outputs or written inputs)
    WRONG_VALUES = "wrong_values"
    #: the compiled program dies (the process, or an exception at run time) where eager runs
    CRASH = "crash"
    #: compiled outputs' shape, dtype, strides, aliasing... differ from eager's
    WRONG_METADATA = "wrong_metadata"
    #: inductor's own size/stride assertion fails at run time
    RUNTIME_ASSERT = "runtime_assert"
    #: eager raises, the compiled program runs
    ACCEPTS_INVALID = "accepts_invalid"
    #: compiling fails where eager runs
    COMPILE_ERROR = "compile_error"
    #: every backend agrees with eager
    NONE = "none"
    #: not run through torch.compile (the detail says why: budget, a random op...)
    NOT_PROBED = "not_probed"


CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
MODES: tuple[str, ...] = tuple(m.value for m in Mode)
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

#: Categories of a wrong answer that changes what a compiled program computes with.
HIGH_CATEGORIES = frozenset({"shape", "dtype", "device", "layout", "structure"})
#: Categories that are not fake-mode bugs: recorded and reported, never failing an item,
#: never counted as new (a declared limitation; a backend's refusal no meta kernel can know).
NOT_FAILING = frozenset({"unsupported", "backend_error"})


def severity_rank(severity: str) -> int:
    """The sort key of a severity name (unknown names last)."""
    return _SEVERITY_RANK.get(str(severity), len(SEVERITIES))


IMPACTS: tuple[str, ...] = tuple(i.value for i in Impact)
_IMPACT_RANK = {s: i for i, s in enumerate(IMPACTS)}


def impact_rank(impact: str) -> int:
    """The sort key of a consequence (worst first; unknown or empty: after not_probed)."""
    return _IMPACT_RANK.get(str(impact or ""), len(IMPACTS))


def worst_impact(impacts) -> str:
    """The worst of several consequences ("" for none at all)."""
    return min((str(i) for i in impacts if i), key=impact_rank, default="")


# dtype names as torch and its C++ kernels print them ("c10::complex<double>", "long int").
_DTYPE_WORDS = re.compile(
    r"c10::complex<\w+>|c10::\w+|\b(torch\.)?(bool|u?int\d+|float\d+|bfloat16|complex\d+|Half|BFloat16|Float|"
    r"Double|Long|Int|Short|Char|Byte|Bool|ComplexFloat|ComplexDouble|ComplexHalf|signed char|unsigned char|"
    r"long long|long int|short int|long|double|float|int|half)\b")


def normalize_message(text: str) -> str:
    """Error text without what varies between examples of one bug: numbers, shapes,
    dtype names, quoted values (the first line, at most 120 characters)."""
    return _normalized(text)[:120]


def _normalized(text: str) -> str:
    text = text.strip().splitlines()[0] if text.strip() else ""
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)|'[^']*'|\"[^\"]*\"", "_", text)
    text = _DTYPE_WORDS.sub("T", text)
    return re.sub(r"-?\d+(\.\d+)?", "N", text)


_TYPE_NAMES = re.compile(r"\b(CPU|CUDA|Meta)?\w*Type\b|\b(torch\.)?\w*Tensor\b|\b[TN](, [TN])+\b")


def message_pattern(text: str) -> str:
    """``normalize_message`` and then the names that still vary with the example
    (``torch.ShortTensor``, ``CPUBoolType``, lists of them): the pattern clusters share.
    Signatures keep ``normalize_message`` alone, so that baselines keep matching."""
    return _TYPE_NAMES.sub("T", _normalized(text))[:120]


def field_pattern(field: str) -> str:
    """A finding's field with its indices generalised: ``out[N].stride``."""
    return re.sub(r"\[\d+\]", "[N]", field)
