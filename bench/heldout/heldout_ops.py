"""Held-out custom operators with subtly wrong fake kernels (and correct twins).

Each op ``heldout::<name>`` has a real CPU kernel and a fake kernel that is wrong
under exactly one condition.  ``heldout::<name>_ok`` has the same real kernel and
a correct fake kernel.

Written by a separate session that was not shown crossref's code (a custom-op author's
view), to measure crossref on ops it was not tuned on; bench/heldout/compare.py runs
crossref and torch.library.opcheck on them side by side.
"""
import functools
from typing import Optional

import torch
from torch import Tensor
from torch.utils._pytree import tree_leaves

NS = "heldout"

# dtypes all real kernels support; anything else is rejected up front by both
# the real and every fake kernel (identically), so it is not a differing condition.
SUPPORTED_DTYPES = {
    torch.float16, torch.bfloat16, torch.float32, torch.float64,
    torch.complex64, torch.complex128,
    torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool,
}


def _with_dtype_check(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for t in tree_leaves((args, kwargs)):
            if isinstance(t, torch.Tensor):
                torch._check(t.dtype in SUPPORTED_DTYPES, lambda: f"unsupported dtype {t.dtype}")
        return fn(*args, **kwargs)

    return wrapper


def _register(name, real, fake_wrong, fake_ok, mutates_args=()):
    ops = {}
    for suffix, fake in (("", fake_wrong), ("_ok", fake_ok)):
        op = torch.library.custom_op(
            f"{NS}::{name}{suffix}", mutates_args=mutates_args, device_types="cpu"
        )(_with_dtype_check(real))
        op.register_fake(_with_dtype_check(fake))
        ops[name + suffix] = op
    return ops


def _norm_dim(dim, ndim):
    n = max(ndim, 1)
    torch._check_index(-n <= dim < n, lambda: f"dim {dim} out of range for rank {ndim}")
    return dim % n


def _contig(t):
    """Fresh tensor with canonical contiguous strides (also for empty / size-1 dims)."""
    return t.clone(memory_format=torch.contiguous_format)


def _int_promoted(dt):
    return dt if (dt.is_floating_point or dt.is_complex) else torch.int64


# ---------------------------------------------------------------- 1. row_norm
# Wrong when keepdim=True and dim is negative (and not -ndim) with ndim >= 2:
# the size-1 dim is inserted at the raw negative index of the reduced list.
def row_norm(x: Tensor, dim: int = -1, keepdim: bool = False) -> Tensor:
    torch._check(x.is_floating_point(), lambda: "row_norm: expected floating input")
    _norm_dim(dim, x.dim())
    return _contig(torch.sqrt((x * x).sum(dim=dim, keepdim=keepdim)))


def _row_norm_fake_wrong(x, dim=-1, keepdim=False):
    torch._check(x.is_floating_point(), lambda: "row_norm: expected floating input")
    d = _norm_dim(dim, x.dim())
    if x.dim() == 0:
        return x.new_empty(())
    shape = [s for i, s in enumerate(x.shape) if i != d]
    if keepdim:
        shape.insert(dim, 1)  # BUG: should be d, not the raw (possibly negative) dim
    return x.new_empty(shape)


def _row_norm_fake_ok(x, dim=-1, keepdim=False):
    torch._check(x.is_floating_point(), lambda: "row_norm: expected floating input")
    d = _norm_dim(dim, x.dim())
    if x.dim() == 0:
        return x.new_empty(())
    shape = list(x.shape)
    if keepdim:
        shape[d] = 1
    else:
        del shape[d]
    return x.new_empty(shape)


# ------------------------------------------------------------- 2. scaled_copy
# Wrong when x is non-contiguous but dense (e.g. transposed/permuted): the fake
# uses empty_like, which preserves the permuted strides; the real output is contiguous.
def scaled_copy(x: Tensor, alpha: float = 2.0) -> Tensor:
    return _contig((x * alpha))


def _scaled_copy_fake_wrong(x, alpha=2.0):
    return torch.empty_like(x, dtype=torch.result_type(x, alpha))  # BUG: keeps x's layout


def _scaled_copy_fake_ok(x, alpha=2.0):
    return x.new_empty(x.shape, dtype=torch.result_type(x, alpha))


# ------------------------------------------------------------ 3. quantize_sym
# Wrong when as_int8=True: the fake ignores the flag and returns x.dtype.
def quantize_sym(x: Tensor, scale: float = 1.0, as_int8: bool = False) -> Tensor:
    torch._check(not x.is_complex(), lambda: "quantize_sym: complex not supported")
    q = torch.round(x / scale).clamp(-128, 127)
    return _contig((q.to(torch.int8) if as_int8 else q.to(x.dtype)))


def _quantize_sym_fake_wrong(x, scale=1.0, as_int8=False):
    torch._check(not x.is_complex(), lambda: "quantize_sym: complex not supported")
    return x.new_empty(x.shape)  # BUG: ignores as_int8


def _quantize_sym_fake_ok(x, scale=1.0, as_int8=False):
    torch._check(not x.is_complex(), lambda: "quantize_sym: complex not supported")
    return x.new_empty(x.shape, dtype=torch.int8 if as_int8 else x.dtype)


# ------------------------------------------------------------------ 4. matvec
# Wrong when a.shape[1] != v.shape[0]: the real kernel raises, the fake returns.
def _matvec_common_checks(a, v):
    torch._check(a.dim() == 2, lambda: "matvec: a must be 2-D")
    torch._check(v.dim() == 1, lambda: "matvec: v must be 1-D")
    torch._check(a.is_floating_point(), lambda: "matvec: floating dtype expected")
    torch._check(a.dtype == v.dtype, lambda: "matvec: dtype mismatch")


def matvec(a: Tensor, v: Tensor) -> Tensor:
    _matvec_common_checks(a, v)
    torch._check(a.shape[1] == v.shape[0], lambda: "matvec: size mismatch")
    return _contig(torch.mv(a, v))


def _matvec_fake_wrong(a, v):
    _matvec_common_checks(a, v)  # BUG: inner-dimension check missing
    return a.new_empty((a.shape[0],))


def _matvec_fake_ok(a, v):
    _matvec_common_checks(a, v)
    torch._check(a.shape[1] == v.shape[0], lambda: "matvec: size mismatch")
    return a.new_empty((a.shape[0],))


# ------------------------------------------------------------ 5. reverse_last
# Wrong when x has zero elements: the fake refuses empty inputs, the real kernel accepts them.
def reverse_last(x: Tensor) -> Tensor:
    if x.dim() == 0:
        return x.clone()
    return _contig(torch.flip(x, [-1]))


def _reverse_last_fake_wrong(x):
    torch._check(x.numel() > 0, lambda: "reverse_last: empty input")  # BUG: spurious check
    return x.new_empty(x.shape)


def _reverse_last_fake_ok(x):
    return x.new_empty(x.shape)


# ---------------------------------------------------------------- 6. pad_last
# Wrong when x.shape[-1] % multiple == 0: the returned pad count is `multiple`
# instead of 0 (output tensor shape is right).
def pad_last(x: Tensor, multiple: int) -> tuple[Tensor, int]:
    torch._check(multiple >= 1, lambda: "pad_last: multiple must be >= 1")
    torch._check(x.dim() >= 1, lambda: "pad_last: x must have rank >= 1")
    n = x.shape[-1]
    pad = (-n) % multiple
    out = x.new_zeros((*x.shape[:-1], n + pad))
    out[..., :n] = x
    return out, pad


def _pad_last_fake_wrong(x, multiple):
    torch._check(multiple >= 1, lambda: "pad_last: multiple must be >= 1")
    torch._check(x.dim() >= 1, lambda: "pad_last: x must have rank >= 1")
    n = x.shape[-1]
    padded = (n + multiple - 1) // multiple * multiple
    pad = multiple - n % multiple  # BUG: gives `multiple` instead of 0 when n % multiple == 0
    return x.new_empty((*x.shape[:-1], padded)), pad


def _pad_last_fake_ok(x, multiple):
    torch._check(multiple >= 1, lambda: "pad_last: multiple must be >= 1")
    torch._check(x.dim() >= 1, lambda: "pad_last: x must have rank >= 1")
    n = x.shape[-1]
    pad = (-n) % multiple
    return x.new_empty((*x.shape[:-1], n + pad)), pad


# -------------------------------------------------------------------- 7. badd
# Wrong when ranks differ and the higher-rank input has a size-1 dim that the
# lower-rank input broadcasts to a size != 1 (e.g. (3,1) + (4,)): the fake
# assumes only the lower-rank operand broadcasts.
def badd(a: Tensor, b: Tensor) -> Tensor:
    return _contig(torch.add(a, b))


def _badd_fake_wrong(a, b):
    dt = torch.result_type(a, b)
    if a.dim() == b.dim():
        shape = torch.broadcast_shapes(a.shape, b.shape)
    else:
        hi, lo = (a, b) if a.dim() > b.dim() else (b, a)
        for sh, sl in zip(reversed(hi.shape), reversed(lo.shape)):
            torch._check(sh == sl or sh == 1 or sl == 1, lambda: "badd: not broadcastable")
        shape = hi.shape  # BUG: ignores size-1 dims of the higher-rank input
    return a.new_empty(shape, dtype=dt)


def _badd_fake_ok(a, b):
    return a.new_empty(torch.broadcast_shapes(a.shape, b.shape), dtype=torch.result_type(a, b))


# ---------------------------------------------------------------- 8. cat_rows
# Wrong when the list holds tensors with different dim-0 sizes: the fake
# assumes every element has the size of xs[0].
def _cat_rows_checks(xs):
    torch._check(len(xs) >= 1, lambda: "cat_rows: empty list")
    x0 = xs[0]
    for t in xs:
        torch._check(t.dim() >= 1, lambda: "cat_rows: tensors must have rank >= 1")
        torch._check(t.dim() == x0.dim(), lambda: "cat_rows: rank mismatch")
        torch._check(t.dtype == x0.dtype, lambda: "cat_rows: dtype mismatch")
        for i in range(1, x0.dim()):
            torch._check(t.shape[i] == x0.shape[i], lambda: "cat_rows: trailing shape mismatch")


def cat_rows(xs: list[Tensor]) -> Tensor:
    _cat_rows_checks(xs)
    return _contig(torch.cat(xs, 0))


def _cat_rows_fake_wrong(xs):
    _cat_rows_checks(xs)
    rows = xs[0].shape[0] * len(xs)  # BUG: assumes equal row counts
    return xs[0].new_empty((rows, *xs[0].shape[1:]))


def _cat_rows_fake_ok(xs):
    _cat_rows_checks(xs)
    rows = sum(t.shape[0] for t in xs)
    return xs[0].new_empty((rows, *xs[0].shape[1:]))


# -------------------------------------------------------------- 9. masked_sum
# Wrong when mask is None and x is integral/bool: sum promotes to int64, the
# fake keeps x.dtype in the None branch.
def _masked_sum_check(x, mask):
    dt = x.dtype if mask is None else torch.result_type(x, mask)
    torch._check(dt != torch.complex32, lambda: "masked_sum: ComplexHalf not supported")


def masked_sum(x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
    _masked_sum_check(x, mask)
    if mask is None:
        return _contig(x.sum(-1))
    return _contig((x * mask).sum(-1))


def _masked_sum_fake_wrong(x, mask=None):
    _masked_sum_check(x, mask)
    if mask is None:
        shape = x.shape[:-1] if x.dim() > 0 else ()
        return x.new_empty(shape)  # BUG: no integer->int64 promotion
    full = torch.broadcast_shapes(x.shape, mask.shape)
    shape = full[:-1] if len(full) > 0 else ()
    return x.new_empty(shape, dtype=_int_promoted(torch.result_type(x, mask)))


def _masked_sum_fake_ok(x, mask=None):
    _masked_sum_check(x, mask)
    if mask is None:
        shape = x.shape[:-1] if x.dim() > 0 else ()
        return x.new_empty(shape, dtype=_int_promoted(x.dtype))
    full = torch.broadcast_shapes(x.shape, mask.shape)
    shape = full[:-1] if len(full) > 0 else ()
    return x.new_empty(shape, dtype=_int_promoted(torch.result_type(x, mask)))


# ------------------------------------------------------------- 10. cumsum_into
# Mutating op (out= convention). Wrong when `out` is empty (numel 0) and has a
# different shape than x: the real kernel resizes `out` to x.shape, the fake
# leaves it unresized.
def _cumsum_into_checks(x, out):
    if out.shape != x.shape:
        torch._check(out.numel() == 0, lambda: "cumsum_into: out has wrong non-empty shape")


def cumsum_into(x: Tensor, out: Tensor) -> None:
    _cumsum_into_checks(x, out)
    if out.shape != x.shape:
        out.resize_(x.shape)
    out.copy_(torch.cumsum(x, dim=-1))


def _cumsum_into_fake_wrong(x, out):
    _cumsum_into_checks(x, out)  # BUG: missing resize of empty out
    return None


def _cumsum_into_fake_ok(x, out):
    _cumsum_into_checks(x, out)
    if out.shape != x.shape:
        out.resize_(x.shape)
    return None


OPS = {}
OPS.update(_register("row_norm", row_norm, _row_norm_fake_wrong, _row_norm_fake_ok))
OPS.update(_register("scaled_copy", scaled_copy, _scaled_copy_fake_wrong, _scaled_copy_fake_ok))
OPS.update(_register("quantize_sym", quantize_sym, _quantize_sym_fake_wrong, _quantize_sym_fake_ok))
OPS.update(_register("matvec", matvec, _matvec_fake_wrong, _matvec_fake_ok))
OPS.update(_register("reverse_last", reverse_last, _reverse_last_fake_wrong, _reverse_last_fake_ok))
OPS.update(_register("pad_last", pad_last, _pad_last_fake_wrong, _pad_last_fake_ok))
OPS.update(_register("badd", badd, _badd_fake_wrong, _badd_fake_ok))
OPS.update(_register("cat_rows", cat_rows, _cat_rows_fake_wrong, _cat_rows_fake_ok))
OPS.update(_register("masked_sum", masked_sum, _masked_sum_fake_wrong, _masked_sum_fake_ok))
OPS.update(
    _register("cumsum_into", cumsum_into, _cumsum_into_fake_wrong, _cumsum_into_fake_ok,
              mutates_args=("out",))
)

EXPECTED = {
    "heldout.row_norm.default": "shape",
    "heldout.scaled_copy.default": "stride",
    "heldout.quantize_sym.default": "dtype",
    "heldout.matvec.default": "missing_error",
    "heldout.reverse_last.default": "spurious_error",
    "heldout.pad_last.default": "value",
    "heldout.badd.default": "shape",
    "heldout.cat_rows.default": "shape",
    "heldout.masked_sum.default": "dtype",
    "heldout.cumsum_into.default": "mutation",
}

CONDITIONS = {
    "heldout.row_norm.default": "keepdim=True with negative dim (not -ndim), rank>=2",
    "heldout.scaled_copy.default": "x non-contiguous but dense (transposed/permuted)",
    "heldout.quantize_sym.default": "as_int8=True",
    "heldout.matvec.default": "a.shape[1] != v.shape[0] (real raises, fake returns)",
    "heldout.reverse_last.default": "x.numel() == 0 (fake raises, real returns)",
    "heldout.pad_last.default": "x.shape[-1] % multiple == 0 (returned int is multiple, not 0)",
    "heldout.badd.default": "ranks differ and higher-rank input has a size-1 dim broadcast by the other",
    "heldout.cat_rows.default": "list elements with different dim-0 sizes",
    "heldout.masked_sum.default": "mask=None and x integral/bool (real promotes to int64)",
    "heldout.cumsum_into.default": "out empty (numel 0) with shape != x.shape (real resizes out)",
}

TWINS = [k.replace(".default", "_ok.default") for k in EXPECTED]
