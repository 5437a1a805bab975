"""Registry of known real fake-tensor / meta-kernel mismatches that reproduce on torch
2.13.0 CPU (static shapes, forward only).

Each entry of ``BUGS`` names the ATen overload as ``str(OpOverload)`` prints it, the
crossref category and field it shows up under, the input pattern that triggers it, the
source it came from, and ``check()``: a function that builds concrete CPU inputs, runs
the overload for real and again under a fresh ``FakeTensorMode`` (on ``mode.from_tensor``
conversions of fresh copies of the same inputs, called inside ``with mode:``) and returns
True while the mismatch reproduces on the installed torch.

A ``source`` starting with ``probe:`` marks a mismatch this survey found by running
PyTorch's own OpInfo samples (or the out= methodology of pytorch/pytorch#138399) through
the same real-vs-fake comparison, for which no public report was found; every other
source is a public issue/PR or an xfail/skip list in PyTorch's test suite.

Importing this module needs nothing but torch.  ``python verify.py`` runs every check.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._pytree import tree_flatten, tree_map

Make = Callable[[], "tuple[tuple, dict]"]


@dataclass(frozen=True)
class Diff:
    category: str
    field: str
    real: str
    fake: str


@dataclass(frozen=True)
class _Meta:
    shape: tuple
    dtype: Any
    device: str
    layout: Any
    stride: tuple | None
    storage_offset: int | None
    is_conj: bool
    is_neg: bool
    aliases: tuple  # indices of input tensors whose storage this tensor shares
    is_input: int | None  # index of the input tensor this output *is*
    numel: int


@dataclass
class _Outcome:
    error: BaseException | None
    outputs: list  # _Meta or repr text of non-tensor leaves
    structure: str
    inputs_after: list


def _storage_key(t: torch.Tensor):
    try:
        if t.layout != torch.strided:
            return None
        return StorageWeakRef(t.untyped_storage())
    except Exception:
        return None


def _meta(t: torch.Tensor, inputs: list) -> _Meta:
    strided = t.layout == torch.strided
    key = _storage_key(t)
    aliases = tuple(i for i, x in enumerate(inputs) if key is not None and _storage_key(x) == key)
    is_input = next((i for i, x in enumerate(inputs) if x is t), None)
    return _Meta(
        shape=tuple(t.shape),
        dtype=t.dtype,
        device=t.device.type,
        layout=t.layout,
        stride=tuple(t.stride()) if strided else None,
        storage_offset=t.storage_offset() if strided else None,
        is_conj=bool(t.is_conj()),
        is_neg=bool(t.is_neg()),
        aliases=aliases,
        is_input=is_input,
        numel=t.numel(),
    )


def _structure(out) -> str:
    leaves, spec = tree_flatten(out)
    kinds = ["T" if isinstance(x, torch.Tensor) else type(x).__name__ for x in leaves]
    return f"{spec}|{kinds}"


def _run(fn: Callable, make: Make, fake: bool) -> _Outcome:
    args, kwargs = make()
    mode = None
    if fake:
        if hasattr(FakeTensorMode, "cache_clear"):
            FakeTensorMode.cache_clear()
        mode = FakeTensorMode()
        args, kwargs = tree_map(lambda x: mode.from_tensor(x) if isinstance(x, torch.Tensor) else x, (args, kwargs))
    inputs = [x for x in tree_flatten((args, kwargs))[0] if isinstance(x, torch.Tensor)]
    log = logging.getLogger("torch._subclasses.fake_tensor")
    level = log.level
    log.setLevel(logging.CRITICAL)  # fake mode logs a traceback for every meta error
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if mode is not None:
                with mode:
                    out = fn(*args, **kwargs)
            else:
                out = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - exception parity is part of the comparison
        return _Outcome(e, [], "", [])
    finally:
        log.setLevel(level)
    leaves = tree_flatten(out)[0]
    outs = [_meta(x, inputs) if isinstance(x, torch.Tensor) else repr(x) for x in leaves]
    return _Outcome(None, outs, _structure(out), [_meta(x, []) for x in inputs])


def _significant(m: _Meta) -> tuple:
    if m.numel == 0:
        return ()
    return tuple(i for i, s in enumerate(m.shape) if s > 1)


def _compare_tensor(prefix: str, r: _Meta, f: _Meta, kind: str | None) -> list[Diff]:
    found = []

    def add(cat, name, a, b):
        found.append(Diff(kind or cat, f"{prefix}.{name}", str(a), str(b)))

    if r.shape != f.shape:
        add("shape", "shape", list(r.shape), list(f.shape))
    for name, cat in (("dtype", "dtype"), ("device", "device"), ("layout", "layout"),
                      ("is_conj", "conj_neg"), ("is_neg", "conj_neg")):
        if getattr(r, name) != getattr(f, name):
            add(cat, name, getattr(r, name), getattr(f, name))
    if r.shape == f.shape and r.stride is not None and f.stride is not None:
        dims = _significant(r)
        if any(r.stride[i] != f.stride[i] for i in dims):
            add("stride", "stride", r.stride, f.stride)
    if r.shape == f.shape and r.storage_offset != f.storage_offset:
        add("storage_offset", "storage_offset", r.storage_offset, f.storage_offset)
    if kind is None:
        if r.aliases != f.aliases:
            add("alias", "aliases", r.aliases, f.aliases)
        if r.is_input != f.is_input:
            add("alias", "is_input", r.is_input, f.is_input)
    return found


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text[:160]}"


def diff(fn: Callable, make: Make) -> list[Diff]:
    """All differences between a real and a fake run of ``fn`` on inputs from ``make``."""
    real = _run(fn, make, fake=False)
    fake = _run(fn, make, fake=True)
    if real.error is not None and fake.error is not None:
        return []
    if real.error is not None:
        return [Diff("missing_error", "error", _short(real.error), "returned normally")]
    if fake.error is not None:
        return [Diff("spurious_error", "error", "returned normally", _short(fake.error))]
    found: list[Diff] = []
    if real.structure != fake.structure or len(real.outputs) != len(fake.outputs):
        found.append(Diff("structure", "out", real.structure, fake.structure))
    else:
        for i, (r, f) in enumerate(zip(real.outputs, fake.outputs)):
            if isinstance(r, _Meta) and isinstance(f, _Meta):
                found += _compare_tensor(f"out[{i}]", r, f, None)
            elif r != f:
                found.append(Diff("value", f"out[{i}]", str(r), str(f)))
    for i, (r, f) in enumerate(zip(real.inputs_after, fake.inputs_after)):
        found += _compare_tensor(f"input[{i}]", r, f, "mutation")
    return found


def reproduces(fn: Callable, make: Make, category: str, field: str | None = None) -> bool:
    """True when the real-vs-fake comparison shows a ``category`` difference (on a field
    starting with ``field``, when given)."""
    return any(d.category == category and (field is None or d.field.startswith(field))
               for d in diff(fn, make))


# ----------------------------------------------------------------------------------------
# The registry
# ----------------------------------------------------------------------------------------

CATEGORIES = (
    "shape", "dtype", "device", "layout", "stride", "storage_offset", "alias", "mutation",
    "conj_neg", "structure", "value", "missing_error", "spurious_error",
)


@dataclass(frozen=True)
class Bug:
    op: str  # str(OpOverload), e.g. "aten.div.Tensor_mode"
    category: str  # one of CATEGORIES
    field: str  # crossref field, e.g. "out[0].stride", "input[1].shape", "error"
    condition: str  # the input pattern that triggers it
    source: str  # URL or "file: list name"; "probe: ..." when found by this survey
    check: Callable[[], bool]  # True while the mismatch reproduces on the installed torch

    @property
    def from_probe(self) -> bool:
        return self.source.startswith("probe:")

    def diffs(self) -> list[Diff]:
        """Every real-vs-fake difference the check's call shows (not only this entry's)."""
        return diff(self.check.call or resolve(self.op), self.check.make)


def resolve(name: str) -> torch._ops.OpOverload:
    """``"aten.div.Tensor_mode"`` -> ``torch.ops.aten.div.Tensor_mode``."""
    ns, packet, overload = name.split(".")
    return getattr(getattr(getattr(torch.ops, ns), packet), overload)


BUGS: list[Bug] = []


def _bug(op: str, category: str, field: str, condition: str, source: str, make: Make,
         call: Callable | None = None) -> None:
    assert category in CATEGORIES, category

    def check() -> bool:
        fn = call if call is not None else resolve(op)
        return reproduces(fn, make, category, field)

    check.__name__ = f"check_{op.replace('.', '_')}_{category}"
    check.make = make  # type: ignore[attr-defined]
    check.call = call  # type: ignore[attr-defined]
    BUGS.append(Bug(op, category, field, condition, source, check))


# --- input builders (fresh tensors on every call; values only matter where noted) -------

def _g() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def _r(*shape, dtype=torch.float32) -> torch.Tensor:
    t = torch.randn(*shape, generator=_g(), dtype=torch.float64)
    return t.to(dtype)


def _u(*shape, dtype=torch.float32) -> torch.Tensor:
    """Uniform in (0, 1): valid probabilities / positive values."""
    return torch.rand(*shape, generator=_g(), dtype=torch.float64).clamp(0.05, 0.95).to(dtype)


def _rt(rows: int, cols: int, dtype=torch.float32) -> torch.Tensor:
    """A (rows, cols) tensor that is the transpose of a contiguous one: strides (1, rows)."""
    return _r(cols, rows, dtype=dtype).t()


def _ut(rows: int, cols: int) -> torch.Tensor:
    return _u(cols, rows).t()


def _spd(n: int) -> torch.Tensor:
    """A well-conditioned matrix (diagonally dominant, symmetric positive definite)."""
    a = _r(n, n)
    return a @ a.t() + n * torch.eye(n)


def _empty(*shape, dtype=torch.float32) -> torch.Tensor:
    return torch.empty(*shape, dtype=dtype)


TEST_META = "https://github.com/pytorch/pytorch/blob/main/test/test_meta.py"
TEST_OPS = "https://github.com/pytorch/pytorch/blob/main/test/test_ops.py"
OPINFO = "torch/testing/_internal/common_methods_invocations.py (torch 2.13.0)"
ISSUE = "https://github.com/pytorch/pytorch/issues/"
PULL = "https://github.com/pytorch/pytorch/pull/"
OUT_DTYPE = ISSUE + "138399"  # `dtype` promotion of `out=` functions on meta inputs not consistent
OUT_DTYPE_CLASS = ("probe: out= with a float64 out for float32 inputs, the method of "
                   + ISSUE + "138399 (op not in that issue's visible list)")
STRIDES_SKIP = TEST_META + ": CHECK_STRIDES_SKIPS"
PERMUTED = ("first operand permuted (a transposed contiguous tensor), second contiguous, same shape: "
            "eager keeps the permuted layout, fake returns contiguous")

# === stride: out-of-place results whose layout the fake kernel gets wrong ===============

_bug("aten.div.Tensor_mode", "stride", "out[0].stride", PERMUTED + ", rounding_mode='floor'",
     STRIDES_SKIP + "; crossref brief (known example)",
     lambda: ((_rt(4, 3), _u(4, 3) + 1), {"rounding_mode": "floor"}))
_bug("aten.floor_divide.default", "stride", "out[0].stride", PERMUTED,
     STRIDES_SKIP + "; crossref brief (known example)",
     lambda: ((_rt(4, 3), _u(4, 3) + 1), {}))
_bug("aten.log_sigmoid_forward.default", "stride", "out[0].stride",
     "input permuted (transposed contiguous tensor): eager returns contiguous outputs, fake keeps the permutation",
     "crossref brief (known example); " + TEST_META + ": meta_dispatch_device_expected_failures['cuda']",
     lambda: ((_rt(4, 3),), {}))
_bug("aten.copysign.Tensor", "stride", "out[0].stride", PERMUTED + " (also with a 0-d second operand)",
     STRIDES_SKIP, lambda: ((_rt(4, 3), _r(4, 3)), {}))
_bug("aten.xlogy.Tensor", "stride", "out[0].stride", PERMUTED, STRIDES_SKIP,
     lambda: ((_ut(4, 3), _u(4, 3)), {}))
_bug("aten.special_xlog1py.default", "stride", "out[0].stride", PERMUTED, STRIDES_SKIP,
     lambda: ((_ut(4, 3), _u(4, 3)), {}))
_BCAST = ("broadcasting: first operand contiguous (4,1,3), second a transposed (4,3), output (4,4,3): "
          "eager follows the transposed operand's layout, fake returns contiguous")
_bug("aten.heaviside.default", "stride", "out[0].stride", _BCAST, STRIDES_SKIP,
     lambda: ((_r(4, 1, 3), _rt(4, 3)), {}))
_bug("aten.logaddexp.default", "stride", "out[0].stride", _BCAST, STRIDES_SKIP,
     lambda: ((_r(4, 1, 3), _rt(4, 3)), {}))
_bug("aten.logical_and.default", "stride", "out[0].stride", _BCAST, STRIDES_SKIP,
     lambda: ((_r(4, 1, 3), _rt(4, 3)), {}))
_bug("aten.logical_or.default", "stride", "out[0].stride", _BCAST, STRIDES_SKIP,
     lambda: ((_r(4, 1, 3), _rt(4, 3)), {}))
_bug("aten.logical_xor.default", "stride", "out[0].stride", _BCAST, STRIDES_SKIP,
     lambda: ((_r(4, 1, 3), _rt(4, 3)), {}))
_bug("aten.ldexp.Tensor", "stride", "out[0].stride",
     "broadcasting: first operand contiguous (4,1,3), second a transposed (4,3): eager returns contiguous, "
     "fake follows the transposed operand",
     "probe: OpInfo 'ldexp' samples with permuted operands (same family as " + STRIDES_SKIP + " aten.pow.Scalar)",
     lambda: ((_r(4, 1, 3), _rt(4, 3)), {}))
_bug("aten.pow.Scalar", "stride", "out[0].stride",
     "python-number base, exponent tensor permuted (eager returns a contiguous result)", STRIDES_SKIP,
     lambda: ((2.0, _rt(4, 3)), {}))
_bug("aten.binary_cross_entropy.default", "stride", "out[0].stride",
     "input permuted, target contiguous, reduction='none' (0): eager keeps the permuted layout, fake returns contiguous", STRIDES_SKIP,
     lambda: ((_ut(4, 3), _u(4, 3), None, 0), {}))
_bug("aten.angle.default", "stride", "out[0].stride",
     "complex input permuted (eager returns a contiguous float result, fake keeps the permutation)",
     "probe: OpInfo 'angle' complex64 samples with a transposed input",
     lambda: ((_rt(4, 3, dtype=torch.complex64),), {}))
_bug("aten.native_batch_norm.default", "stride", "out[0].stride",
     "non-contiguous 3-D input (transpose(1, 2)), training=True: CPU eager output is contiguous",
     ISSUE + "192668",
     lambda: ((_r(2, 3, 4).transpose(1, 2), torch.ones(4), torch.zeros(4), torch.zeros(4), torch.ones(4),
               True, 0.1, 1e-5), {}))


def _encoder_layer_args():
    e, h, f = 8, 2, 16
    src = _r(3, 2, e).permute(1, 0, 2)  # (batch=2, seq=3, e), non-contiguous
    return (src, e, h, _r(3 * e, e), _r(3 * e), _r(e, e), _r(e), True, False, 1e-5,
            torch.ones(e), torch.zeros(e), torch.ones(e), torch.zeros(e), _r(f, e), _r(f), _r(e, f), _r(e)), {}


_bug("aten._transformer_encoder_layer_fwd.default", "stride", "out[0].stride",
     "src permuted (permute(1, 0, 2)): the meta kernel uses empty_like, eager returns contiguous",
     ISSUE + "196251 (fix PR " + PULL + "196347)", _encoder_layer_args)
_CL = "4-D channels_last input (eager keeps channels_last, fake returns contiguous)"
_bug("aten.channel_shuffle.default", "stride", "out[0].stride", _CL + ", groups=2",
     OPINFO + ": 'nn.functional.channel_shuffle' xfail TestMeta test_dispatch_symbolic_meta_outplace_all_strides",
     lambda: ((_r(1, 4, 3, 3).contiguous(memory_format=torch.channels_last), 2), {}))
_bug("aten.native_channel_shuffle.default", "stride", "out[0].stride", _CL + ", groups=2",
     OPINFO + ": 'nn.functional.channel_shuffle' xfail TestMeta test_dispatch_symbolic_meta_outplace_all_strides",
     lambda: ((_r(1, 4, 3, 3).contiguous(memory_format=torch.channels_last), 2), {}))
_bug("aten.max_unpool2d.default", "stride", "out[0].stride", _CL + " (self and indices)",
     "probe: OpInfo 'nn.functional.max_unpool2d' samples; cf. intel/torch-xpu-ops#1437 (max_unpool all_strides meta failures)",
     lambda: ((_r(1, 2, 2, 3).contiguous(memory_format=torch.channels_last),
               torch.zeros(1, 2, 2, 3, dtype=torch.long).contiguous(memory_format=torch.channels_last), [4, 6]), {}))
_bug("aten.native_dropout_backward.default", "stride", "out[0].stride",
     "grad_output permuted, mask contiguous (eager follows grad_output's layout)",
     "probe: OpInfo 'native_dropout_backward' samples with a transposed grad_output",
     lambda: ((_rt(4, 3), torch.ones(4, 3, dtype=torch.bool), 1.0), {}))

_BN_T = "non-contiguous 3-D input (transpose(1, 2)): CPU eager output is contiguous, fake keeps the input strides"


def _bn_args(training: bool | None):
    def make():
        args = [_r(2, 3, 4).transpose(1, 2), torch.ones(4), torch.zeros(4), torch.zeros(4), torch.ones(4)]
        if training is not None:
            args.append(training)
        return tuple(args) + (0.1, 1e-5), {}
    return make


_bug("aten._native_batch_norm_legit.default", "stride", "out[0].stride", _BN_T + ", training=True",
     ISSUE + "192668 (fix PR " + PULL + "192681 covers _native_batch_norm_legit*)", _bn_args(True))
_bug("aten._native_batch_norm_legit_no_training.default", "stride", "out[0].stride", _BN_T,
     ISSUE + "192668 (fix PR " + PULL + "192681 covers _native_batch_norm_legit*)", _bn_args(None))
_bug("aten._batch_norm_with_update.default", "stride", "out[0].stride", _BN_T,
     ISSUE + "192668 (same native_batch_norm_helper decomposition); " + TEST_META
     + ": meta_dispatch_device_skips['cpu'] (aten._batch_norm_with_update.default)", _bn_args(None))
_bug("aten.rrelu_with_noise.default", "stride", "out[0].stride",
     "input permuted, training=False (default): eager returns a contiguous result, fake keeps the permutation",
     "probe: direct call with a transposed input (eval-mode rrelu decomposes to leaky_relu-like elementwise ops)",
     lambda: ((_rt(4, 3), torch.zeros(4, 3)), {}))

# === shape ==============================================================================

_bug("aten.nansum.default", "shape", "out[0].shape",
     "dim=[] (empty dim list): eager reduces over all dims, fake keeps the input shape",
     ISSUE + "191188", lambda: ((_r(2, 3), []), {}))
_bug("aten.nanmean.default", "shape", "out[0].shape",
     "dim=[] (empty dim list): eager reduces over all dims, fake keeps the input shape",
     ISSUE + "191188", lambda: ((_r(2, 3), []), {}))


def _bag(mode: int):
    def make():
        return (_r(5, 5), torch.tensor([0, 1, 2, 3, 4, 0]), torch.tensor([0, 2, 4]), False, mode, False, None,
                True), {}
    return make


_bug("aten._embedding_bag_forward_only.default", "shape", "out[2].shape",
     "include_last_offset=True, mode='mean' (1): bag-size output has one entry too many in fake mode",
     TEST_META + ": meta_dispatch_device_skips['cpu'] (aten._embedding_bag_forward_only.default)", _bag(1))
_bug("aten.embedding_bag.padding_idx", "shape", "out[3].shape",
     "include_last_offset=True, mode='sum' (0): max_indices output has one entry too few in fake mode",
     TEST_META + ": meta_dispatch_device_skips['cpu'] (aten._embedding_bag_forward_only.default)",
     lambda: (_bag(0)()[0] + (None,), {}))
_bug("aten.geqrf.a", "shape", "out[0].shape",
     "out= tensors of the wrong (empty) shape: eager resizes them, fake leaves them as they were",
     ISSUE + "138396 (geqrf out= has no meta kernel)",
     lambda: ((_r(3, 3),), {"a": _empty(0), "tau": _empty(0)}))
_bug("aten._native_batch_norm_legit.out", "shape", "out[0].shape",
     "out= tensors of the wrong (empty) shape: eager resizes them, fake leaves them as they were",
     ISSUE + "138396 (_native_batch_norm_legit out= has no meta kernel)",
     lambda: ((_r(3, 2, 4), torch.ones(2), torch.zeros(2), torch.zeros(2), torch.ones(2), True, 0.1, 1e-5),
              {"out": _empty(0), "save_mean": _empty(0), "save_invstd": _empty(0)}))

_bug("aten.index.Tensor", "shape", "out[0].shape",
     "indices [1-D int64, 0-d int64] (a 0-d index after a 1-D index): eager broadcasts to [2], fake returns []",
     "probe: related to the crossref brief's known example " + ISSUE + "182345 (0-d int64 index tensor); "
     "meta_index_Tensor broadcasts indices with refs._maybe_broadcast",
     lambda: ((_r(3, 4), [torch.tensor([0, 1]), torch.tensor(1)]), {}))

# === dtype ================================================================================

_bug("aten.ldexp.Tensor", "dtype", "out[0].dtype",
     "integer or bool tensor self with a 0-d float16/bfloat16 exponent tensor: eager float16, fake float32",
     "probe: mixed-dtype binary-ufunc sweep (0-d operand type promotion through ldexp's mul/pow decomposition)",
     lambda: ((torch.ones(3, dtype=torch.int64), torch.ones((), dtype=torch.float16)), {}))

# === mutation: out= tensors left with different metadata =================================

_bug("aten.histogram.bin_ct_out", "mutation", "input[1].shape",
     "out= hist/bin_edges of the wrong (empty) shape: eager resizes them, fake does not",
     "probe: OpInfo 'histogram' samples with 0-element out= tensors (same class as " + ISSUE + "138396)",
     lambda: ((_r(10),), {"bins": 4, "hist": _empty(0), "bin_edges": _empty(0)}))
_bug("aten.sort.values", "mutation", "input[1].stride",
     "non-contiguous (transposed) out= values/indices of the right shape: eager keeps their strides, fake restrides them",
     "probe: OpInfo 'sort' samples with transposed out= tensors",
     lambda: ((_r(3, 4),), {"values": _empty(4, 3).t(), "indices": _empty(4, 3, dtype=torch.long).t()}))
_OUT_RESIZE = "0-element out= and a permuted input: eager resizes out to the input's layout, fake to contiguous"
_bug("aten.sin.out", "mutation", "input[1].stride", _OUT_RESIZE,
     "probe: out= resize of a 0-element out (pointwise .out overloads; also exp, sqrt, sign, neg, abs, ...)",
     lambda: ((_rt(4, 3),), {"out": _empty(0)}))
_bug("aten.add.out", "mutation", "input[2].stride", _OUT_RESIZE + " (both operands permuted)",
     "probe: out= resize of a 0-element out (binary pointwise .out overloads: add, mul, where, clamp, lerp, ...)",
     lambda: ((_rt(4, 3), _rt(4, 3)), {"out": _empty(0)}))
_bug("aten.conj_physical.out", "mutation", "input[1].stride", _OUT_RESIZE,
     "probe: OpInfo 'fft.ifft' decomposition calls conj_physical.out with a 0-element out",
     lambda: ((_rt(4, 3, dtype=torch.complex64),), {"out": _empty(0, dtype=torch.complex64)}))
_LINALG_OUT = "0-element out=: eager resizes out to column-major (Fortran) strides, fake to row-major"
_bug("aten.linalg_qr.out", "mutation", "input[1].stride", _LINALG_OUT,
     "probe: OpInfo 'linalg.qr' with 0-element out= (same class as " + ISSUE + "138269 'Output Not Contiguous')",
     lambda: ((_r(3, 3),), {"Q": _empty(0), "R": _empty(0)}))
_bug("aten.linalg_lu_factor_ex.out", "mutation", "input[1].stride", _LINALG_OUT,
     "probe: OpInfo 'linalg.lu_factor' with 0-element out= (same class as " + ISSUE + "138269)",
     lambda: ((_r(3, 3),), {"LU": _empty(0), "pivots": _empty(0, dtype=torch.int32), "info": _empty(0, dtype=torch.int32)}))
_bug("aten.triangular_solve.X", "mutation", "input[2].stride", _LINALG_OUT,
     "probe: OpInfo 'triangular_solve' with 0-element out= (same class as " + ISSUE + "138269)",
     lambda: ((_r(3, 2), torch.triu(_r(3, 3)) + 3 * torch.eye(3)), {"X": _empty(0), "M": _empty(0)}))
_bug("aten._linalg_eigh.eigenvalues", "mutation", "input[2].stride", _LINALG_OUT + " (eigenvectors)",
     "probe: OpInfo 'linalg.eigh' with 0-element out= (same class as " + ISSUE + "138269)",
     lambda: ((_spd(3),), {"eigenvalues": _empty(0), "eigenvectors": _empty(0)}))


def _lu_solve_args():
    lu, piv = torch.linalg.lu_factor(_spd(3))
    return (lu, piv, _r(3, 2)), {"out": _empty(0)}


_bug("aten.linalg_lu_solve.out", "mutation", "input[3].stride", _LINALG_OUT,
     ISSUE + "138269 ('Output Not Contiguous': linalg_lu_solve)", _lu_solve_args)


def _ldl_solve_args():
    ld, piv = torch.linalg.ldl_factor(_spd(3))
    return (ld, piv, _r(3, 2)), {"out": _empty(0)}


_bug("aten.linalg_ldl_solve.out", "mutation", "input[3].stride", _LINALG_OUT,
     ISSUE + "138269 ('Output Not Contiguous': linalg_ldl_solve)", _ldl_solve_args)

# === alias ==============================================================================

_bug("aten.native_dropout.default", "alias", "out[0].is_input",
     "train=False (or p=0, or train=None): eager returns a new tensor, the decomposition returns the input itself",
     PULL + "115258 (review: native_dropout decomposition returns the input directly); " + ISSUE + "197846",
     lambda: ((_r(3, 4), 0.5, False), {}))

# === missing_error: eager raises, fake returns ============================================

_bug("aten.mm.default", "missing_error", "error", "operands of different dtypes (float32 @ float64)",
     ISSUE + "172183 (fix PR " + PULL + "183008)", lambda: ((_r(2, 3), _r(3, 4, dtype=torch.float64)), {}))
_bug("aten.addmm.default", "missing_error", "error", "self float64, mat1/mat2 float32",
     ISSUE + "172183 (fix PR " + PULL + "183008)",
     lambda: ((_r(3, 5, dtype=torch.float64), _r(3, 4), _r(4, 5)), {}))
_bug("aten.addbmm.default", "missing_error", "error", "batch2 float64, self/batch1 float32",
     PULL + "183008 ('meta_addbmm was also missing a dtype check entirely')",
     lambda: ((_r(2, 4), _r(2, 2, 3), _r(2, 3, 4, dtype=torch.float64)), {}))
_bug("aten._scaled_dot_product_flash_attention_for_cpu.default", "missing_error", "error",
     "3-D q/k/v (the CPU kernel accepts only 4-D); also 5-D, int64, dropout_p>0, head-size mismatch",
     ISSUE + "195743", lambda: ((_r(1, 2, 8), _r(1, 2, 8), _r(1, 2, 8)), {}))
_OUTF64 = "out= tensor float64 for float32 inputs (eager requires the exact dtype)"
_bug("aten.amax.out", "missing_error", "error", _OUTF64, OUT_DTYPE,
     lambda: ((_r(3, 2), [1]), {"out": _empty(3, dtype=torch.float64)}))
_bug("aten.amin.out", "missing_error", "error", _OUTF64, OUT_DTYPE,
     lambda: ((_r(3, 2), [1]), {"out": _empty(3, dtype=torch.float64)}))
_bug("aten.aminmax.out", "missing_error", "error", _OUTF64, OUT_DTYPE + "; " + ISSUE + "137213",
     lambda: ((_r(3, 2),), {"dim": 1, "min": _empty(3, dtype=torch.float64), "max": _empty(3, dtype=torch.float64)}))
_bug("aten.any.all_out", "missing_error", "error", "out= tensor not bool (float64)", OUT_DTYPE,
     lambda: ((_r(3),), {"out": _empty((), dtype=torch.float64)}))
_bug("aten.all.out", "missing_error", "error", "out= tensor not bool (float32), reduction over dim 1", OUT_DTYPE,
     lambda: ((_r(3, 2), 1), {"out": _empty(3)}))
_bug("aten.bucketize.Tensor_out", "missing_error", "error", "out= tensor float64 (eager requires int64/int32)",
     OUT_DTYPE, lambda: ((_r(3), torch.tensor([0.0, 1.0])), {"out": _empty(3, dtype=torch.float64)}))
_bug("aten.linalg_cross.out", "missing_error", "error", _OUTF64, OUT_DTYPE,
     lambda: ((_r(2, 3), _r(2, 3)), {"out": _empty(2, 3, dtype=torch.float64)}))
_bug("aten.cummax.out", "missing_error", "error", _OUTF64 + " (values)", OUT_DTYPE_CLASS,
     lambda: ((_r(3), 0), {"values": _empty(3, dtype=torch.float64), "indices": _empty(3, dtype=torch.long)}))
_bug("aten.index_select.out", "missing_error", "error", _OUTF64, OUT_DTYPE_CLASS,
     lambda: ((_r(5), 0, torch.tensor([1, 2])), {"out": _empty(2, dtype=torch.float64)}))
_bug("aten.kthvalue.values", "missing_error", "error", _OUTF64 + " (values)", OUT_DTYPE_CLASS,
     lambda: ((_r(5), 2), {"values": _empty((), dtype=torch.float64), "indices": _empty((), dtype=torch.long)}))
_bug("aten.mode.values", "missing_error", "error", _OUTF64 + " (values)", OUT_DTYPE_CLASS,
     lambda: ((_r(5),), {"values": _empty((), dtype=torch.float64), "indices": _empty((), dtype=torch.long)}))
_bug("aten.take.out", "missing_error", "error", _OUTF64, OUT_DTYPE_CLASS,
     lambda: ((_r(5), torch.tensor([1, 2])), {"out": _empty(2, dtype=torch.float64)}))
_bug("aten.tril.out", "missing_error", "error", _OUTF64, OUT_DTYPE_CLASS,
     lambda: ((_r(3, 3),), {"out": _empty(3, 3, dtype=torch.float64)}))
_bug("aten.searchsorted.Tensor_out", "missing_error", "error", "out= tensor float64 (eager requires int64/int32)",
     OUT_DTYPE_CLASS, lambda: ((torch.tensor([0.0, 1.0]), _r(3)), {"out": _empty(3, dtype=torch.float64)}))
_bug("aten.clamp.out", "missing_error", "error", _OUTF64 + ", min=0.0", OUT_DTYPE_CLASS,
     lambda: ((_r(5), 0.0), {"out": _empty(5, dtype=torch.float64)}))
_bug("aten.mul_.Scalar", "missing_error", "error",
     "in-place on an int64 tensor with a float scalar (result type Float can't be cast to Long)",
     PULL + "128206 (eellison: eager raises on long_tensor.mul_(1.0))",
     lambda: ((torch.arange(3), 1.5), {}))
_bug("aten.mul_.Tensor", "missing_error", "error",
     "in-place on a bool (or int64) tensor with a float tensor/0-d tensor (result type Float can't be cast)",
     PULL + "128206 (same in-place cast check as mul_.Scalar)",
     lambda: ((torch.ones(3, dtype=torch.bool), _r(3)), {}))
_bug("aten._foreach_mul_.Scalar", "missing_error", "error",
     "in-place on a list of bool (or int64) tensors with a float scalar (result type Float can't be cast to Bool)",
     OPINFO + ": ForeachFuncInfo('mul') xfail TestMeta test_meta_inplace / test_dispatch_meta_inplace, dtypes=(torch.bool,)",
     lambda: (([torch.ones(3, dtype=torch.bool), torch.zeros(2, dtype=torch.bool)], 1.5), {}))
_bug("aten.index_put.default", "missing_error", "error",
     "values not broadcastable to the indexing result (self (3,2,4), index arange(2), values (4,2,4))",
     ISSUE + "99414 (the meta implementation of index_put does not do any check)",
     lambda: ((_r(3, 2, 4), [torch.arange(2)], torch.zeros(4, 2, 4)), {}))
_bug("aten.index_put_.default", "missing_error", "error",
     "values dtype differs from self (float64 values into float32 self)",
     ISSUE + "99414; " + ISSUE + "63935 (eager: 'Index put requires the source and destination dtypes match')",
     lambda: ((_r(3), [torch.tensor([0])], torch.tensor([1.0], dtype=torch.float64)), {}))
_bug("aten.sub.Tensor", "missing_error", "error",
     "bool self minus an integer tensor (eager: 'Subtraction, the `-` operator, with a bool tensor is not supported')",
     "probe: mixed-dtype binary-ufunc sweep (also aten.sub.Scalar with two bools, aten.rsub.Tensor)",
     lambda: ((torch.ones(3, dtype=torch.bool), torch.ones(3, dtype=torch.int64)), {}))
_MIXED = "operands of different floating dtypes (float32, float64)"
_bug("aten.heaviside.default", "missing_error", "error", _MIXED,
     OPINFO + ": 'heaviside' xfail TestMeta test_binary_ufuncs_mixed_dtype",
     lambda: ((_r(3), torch.tensor([1.0], dtype=torch.float64)), {}))
_bug("aten.complex.default", "missing_error", "error", _MIXED,
     OPINFO + ": 'complex' xfail TestMeta test_binary_ufuncs_mixed_dtype",
     lambda: ((_r(3), _r(3, dtype=torch.float64)), {}))
_bug("aten.polar.default", "missing_error", "error", _MIXED,
     OPINFO + ": 'polar' xfail TestMeta test_binary_ufuncs_mixed_dtype",
     lambda: ((_u(3), _r(3, dtype=torch.float64)), {}))
_bug("aten.index_fill.int_Scalar", "missing_error", "error", "complex scalar value into a float32 tensor",
     ISSUE + "73065 (via " + PULL + "72508: meta should reject a complex Scalar for a non-complex index_fill_)",
     lambda: ((_r(3), 0, torch.tensor([0]), 1 + 1j), {}))
_bug("aten.fill.Scalar", "missing_error", "error", "complex scalar value into a float32 tensor",
     ISSUE + "73065 (same check, fill)", lambda: ((_r(3), 1j), {}))
_bug("aten._softmax.default", "missing_error", "error",
     "half_to_float=True on a float16 CPU tensor (CPU kernel rejects it)",
     "probe: CPU-only check in softmax_cpu absent from the meta kernel (also aten._log_softmax.default)",
     lambda: ((_r(3, dtype=torch.float16), 0, True), {}))
_bug("aten.argmax.default", "missing_error", "error", "bool input (also aten.argmin.default)",
     "probe: eager 'argmax(): does not support bool input' absent from the meta kernel",
     lambda: ((torch.tensor([True, False]),), {}))
_bug("aten.pow.Tensor_Scalar", "missing_error", "error", "int64 base tensor, negative int exponent",
     "probe: eager 'Integers to negative integer powers are not allowed' absent from the meta kernel",
     lambda: ((torch.arange(1, 4), -1), {}))
_bug("aten.native_group_norm.default", "missing_error", "error",
     "non-contiguous input (transpose(1, 2) of a (N, HxW, C) tensor): the CPU kernel requires contiguity",
     "probe: OpInfo 'native_group_norm' samples with a transposed input (test_meta get_strided_args variants)",
     lambda: ((_r(2, 3, 4).transpose(1, 2), torch.ones(4), torch.zeros(4), 2, 4, 3, 2, 1e-5), {}))
_bug("aten.quantile.default", "missing_error", "error",
     "q tensor with a value outside [0, 1] (value-dependent check fake mode cannot perform)",
     TEST_OPS + ": fake_skips ('quantile': q values must be in the range [0, 1])",
     lambda: ((_r(5), torch.tensor([1.5])), {}))
_bug("aten.nll_loss_forward.default", "missing_error", "error",
     "target class index out of range (value-dependent check fake mode cannot perform)",
     TEST_OPS + ": fake_skips ('nn.functional.nll_loss  # sometimes errors')",
     lambda: ((_r(3, 5), torch.tensor([1, 7, 2]), None, 1, -100), {}))

# === spurious_error: fake raises, eager returns ============================================

_bug("aten.upsample_nearest2d.default", "spurious_error", "error",
     "0-element input (batch 0): meta's torch._check gets an int, raises TypeError",
     PULL + "195376", lambda: ((_r(0, 3, 4, 4), [8, 8]), {}))
_bug("aten.upsample_nearest3d.default", "spurious_error", "error",
     "0-element input (batch 0): meta's torch._check gets an int, raises TypeError",
     PULL + "195376", lambda: ((_r(0, 2, 2, 2, 2), [4, 4, 4]), {}))
_bug("aten._upsample_nearest_exact2d.default", "spurious_error", "error",
     "0-element input (batch 0): meta's torch._check gets an int, raises TypeError",
     PULL + "195376", lambda: ((_r(0, 2, 2, 2), [4, 4]), {}))
_bug("aten.index.Tensor", "spurious_error", "error",
     "uint8 (byte mask) index tensor: eager accepts it (deprecated mask), meta's dtype list has torch.int8 instead of uint8",
     "probe: meta_index_Tensor dtype check (torch.int8 used for 'byte' since " + PULL + "78527)",
     lambda: ((_r(3, 4), [torch.tensor([1, 0, 1], dtype=torch.uint8)]), {}))
_bug("aten._shape_as_tensor.default", "spurious_error", "error",
     "any input: fake mode tries to read data ('data is not allocated yet')",
     "https://github.com/pytorch/torchdynamo/issues/1030", lambda: ((_r(2, 3),), {}))
_bug("aten.zeros_like.out", "spurious_error", "error",
     "any out= call: fake mode passes an extra argument to the .out overload (also ones_like, empty_like, full_like, rand_like .out)",
     "probe: out= overloads of *_like factories", lambda: ((_r(3),), {"out": _empty(3)}))
