"""Test-only custom operators (namespace ``crossref_test``) with planted fake-kernel bugs.

Each planted op's fake kernel is wrong under one condition only, the way hand-written
fake kernels go wrong; ``PLANTED`` maps it to the category crossref must report. Each
has a correct twin (``<name>_ok``, in ``TWINS``) with the same real kernel and a right
fake kernel, on which crossref must report nothing. Imported by name (tests/ is on
sys.path) or by file (``--crossref-import=tests/custom_ops.py``).
"""

from __future__ import annotations

import torch
from torch import Tensor

NS = "crossref_test"

#: planted op (overload name) -> the category its finding must have
PLANTED: dict[str, str] = {}
#: the correct twins of the planted ops
TWINS: list[str] = []


def _pair(name: str, category: str, real, wrong, right, *, mutates_args=()) -> None:
    """Register ``name`` (wrong fake) and ``name_ok`` (right fake) with the same real kernel."""
    for suffix, fake in (("", wrong), ("_ok", right)):
        op = torch.library.custom_op(f"{NS}::{name}{suffix}", mutates_args=mutates_args)(real)
        op.register_fake(fake)
        globals()[f"{name}{suffix}"] = op
    PLANTED[f"{NS}.{name}.default"] = category
    TWINS.append(f"{NS}.{name}_ok.default")


# --- stride: the fake follows the input's strides; the kernel returns a contiguous tensor
def _contig_real(x: Tensor) -> Tensor:
    return x.clone(memory_format=torch.contiguous_format)


_pair("stride_follows_input", "stride", _contig_real,
      lambda x: torch.empty_like(x),  # wrong when x is not contiguous
      lambda x: torch.empty(x.shape, dtype=x.dtype, device=x.device))


# --- dtype: the fake ignores a flag that changes the output dtype
def _maybe_double_real(x: Tensor, to_double: bool) -> Tensor:
    return x.to(torch.float64, copy=True) if to_double else x.clone()


_pair("dtype_ignores_flag", "dtype", _maybe_double_real,
      lambda x, to_double: torch.empty_like(x),  # wrong when to_double is True
      lambda x, to_double: torch.empty_like(x, dtype=torch.float64 if to_double else x.dtype))


# --- shape: the fake forgets keepdim
def _sum_dim_real(x: Tensor, dim: int, keepdim: bool) -> Tensor:
    return x.sum(dim, keepdim=keepdim)


def _sum_dim_wrong(x, dim, keepdim):
    return x.sum(dim)  # wrong when keepdim: the reduced dim is dropped


def _sum_dim_right(x, dim, keepdim):
    return x.sum(dim, keepdim=keepdim)


_pair("shape_forgets_keepdim", "shape", _sum_dim_real, _sum_dim_wrong, _sum_dim_right)


# --- missing_error: the kernel refuses an empty input; the fake does not check
def _no_empty_real(x: Tensor) -> Tensor:
    if x.numel() == 0:
        raise ValueError("no_empty: the input is empty")
    return x.clone(memory_format=torch.contiguous_format)


def _no_empty_right(x):
    torch._check(x.numel() != 0, lambda: "no_empty: the input is empty")
    return torch.empty(x.shape, dtype=x.dtype, device=x.device)


_pair("missing_empty_check", "missing_error", _no_empty_real,
      lambda x: torch.empty(x.shape, dtype=x.dtype, device=x.device),  # wrong when x is empty
      _no_empty_right)


# --- spurious_error: the fake refuses an input the kernel takes (a 0-d tensor)
def _flat_real(x: Tensor) -> Tensor:
    return x.reshape(-1).clone()


def _flat_wrong(x):
    torch._check(x.dim() > 0, lambda: "flat: needs at least one dim")  # wrong for 0-d tensors
    return x.new_empty((x.numel(),))


_pair("spurious_rank_check", "spurious_error", _flat_real, _flat_wrong, lambda x: x.new_empty((x.numel(),)))


# --- storage_offset: the fake returns a view into a bigger buffer for 1-d inputs
def _neg_real(x: Tensor) -> Tensor:
    return x.clone(memory_format=torch.contiguous_format)


def _neg_wrong(x):
    if x.dim() == 1:  # wrong for 1-d inputs
        return x.new_empty((x.shape[0] + 1,))[1:]
    return torch.empty(x.shape, dtype=x.dtype, device=x.device)


def _neg_right(x):
    return torch.empty(x.shape, dtype=x.dtype, device=x.device)


_pair("offset_view_1d", "storage_offset", _neg_real, _neg_wrong, _neg_right)


# --- device: the fake puts float64 results on the meta device
def _double_real(x: Tensor) -> Tensor:
    return x.clone(memory_format=torch.contiguous_format)


def _double_wrong(x):
    device = "meta" if x.dtype == torch.float64 else x.device  # wrong for float64
    return torch.empty(x.shape, dtype=x.dtype, device=device)


_pair("device_for_double", "device", _double_real, _double_wrong, _neg_right)


# --- value: an int output the fake computes wrongly for 0-d tensors
def _rank_real(x: Tensor) -> tuple[Tensor, int]:
    return x.clone().contiguous(), x.dim()


def _rank_wrong(x):
    return torch.empty(x.shape, dtype=x.dtype, device=x.device), max(x.dim(), 1)  # wrong for 0-d


def _rank_right(x):
    return torch.empty(x.shape, dtype=x.dtype, device=x.device), x.dim()


_pair("value_rank", "value", _rank_real, _rank_wrong, _rank_right)


# --- specialization: the fake reads a size as a plain int (a guard fixing it) for 2-d inputs
def _rowsum_real(x: Tensor) -> Tensor:
    return x.sum(-1).to(x.dtype)


def _rowsum_wrong(x):
    if x.dim() == 2:
        rows = int(x.shape[0])  # wrong: specializes the dynamic row count
        return x.new_empty((rows,))
    return x.new_empty(x.shape[:-1])


def _rowsum_right(x):
    return x.new_empty(x.shape[:-1])


_pair("specializes_rows", "specialization", _rowsum_real, _rowsum_wrong, _rowsum_right)


# --- mutation: an in-place op whose fake leaves out the resize the kernel does
_LIB = torch.library.Library(NS, "FRAGMENT")  # kept alive: the registrations live as long as it


def _grow_real(x: Tensor, n: int) -> Tensor:
    if x.is_contiguous() and n >= x.numel() and not x.requires_grad:
        x.resize_(n)
    return x


def _grow_wrong(x, n):
    if x.is_contiguous() and n >= x.numel() and not x.requires_grad and x.dim() != 1:  # wrong for 1-d inputs
        x.resize_(n)
    return x


for _suffix, _fake in (("", _grow_wrong), ("_ok", _grow_real)):
    _LIB.define(f"grow{_suffix}_(Tensor(a!) x, SymInt n) -> Tensor(a!)")
    _LIB.impl(f"grow{_suffix}_", _grow_real, "CompositeExplicitAutograd")
    _LIB.impl(f"grow{_suffix}_", _fake, "Meta")
PLANTED[f"{NS}.grow_.default"] = "mutation"
TWINS.append(f"{NS}.grow_ok_.default")


# --- backward: the op's autograd formula calls a helper op whose fake follows the
# gradient's strides (wrong for a non-contiguous gradient); the op itself is right.
def _halved(t):
    return torch.empty(t.shape, dtype=torch.result_type(t, 0.5), device=t.device)


for _suffix, _helper_fake in (("", lambda g: torch.empty_like(g, dtype=torch.result_type(g, 0.5))), ("_ok", _halved)):
    def _half_backward_real(g: Tensor) -> Tensor:
        return (g * 0.5).contiguous()

    _helper = torch.library.custom_op(f"{NS}::half_backward{_suffix}", mutates_args=())(_half_backward_real)
    _helper.register_fake(_helper_fake)

    def _half_real(x: Tensor) -> Tensor:
        return (x * 0.5).contiguous()

    _half = torch.library.custom_op(f"{NS}::half{_suffix}", mutates_args=())(_half_real)
    _half.register_fake(_halved)
    _half.register_autograd(lambda ctx, grad, _helper=_helper: _helper(grad))
    globals()[f"half{_suffix}"], globals()[f"half_backward{_suffix}"] = _half, _helper
PLANTED[f"{NS}.half_backward.default"] = "stride"
PLANTED[f"{NS}.half.default"] = "stride"
TWINS += [f"{NS}.half_backward_ok.default", f"{NS}.half_ok.default"]

#: planted ops whose finding shows in one compiler mode only (the others: static)
MODE = {f"{NS}.specializes_rows.default": "symbolic", f"{NS}.half.default": "backward"}
#: twins checked in some modes only, and why
TWIN_MODES = {
    # Resizing a fake whose sizes are symbols fails in any fake kernel ("tried to directly
    # modify sizes for customized tensor"): in symbolic mode crossref rightly reports the
    # in-place resize as a spurious_error, for the right fake kernel too.
    f"{NS}.grow_ok_.default": ("static", "backward", "autocast"),
}


# --- an op with a CUDA kernel only: skipped without a GPU (its fake kernel is right)
def _cuda_only_real(x: Tensor) -> Tensor:
    return x.clone()


cuda_only = torch.library.custom_op(f"{NS}::cuda_only", mutates_args=(), device_types="cuda")(_cuda_only_real)
cuda_only.register_fake(lambda x: torch.empty_like(x))


# --- every kind of argument and return a custom_op schema allows, with right fake kernels
def _every_kind_real(x: Tensor, maybe: Tensor | None, many: list[Tensor], n: int, f: float, flag: bool,
                     mode: str, dtype: torch.dtype, sizes: list[int]) -> tuple[Tensor, list[Tensor], int, float, bool]:
    out = x.to(dtype, copy=True).contiguous()
    return out, [t.clone(memory_format=torch.contiguous_format) for t in many], x.dim() + n, f * 2, not flag


def _every_kind_fake(x, maybe, many, n, f, flag, mode, dtype, sizes):
    return (torch.empty(x.shape, dtype=dtype, device=x.device),
            [torch.empty(t.shape, dtype=t.dtype, device=t.device) for t in many], x.dim() + n, f * 2, not flag)


every_kind = torch.library.custom_op(f"{NS}::every_kind", mutates_args=())(_every_kind_real)
every_kind.register_fake(_every_kind_fake)


def _add_into_real(x: Tensor, out: Tensor) -> None:
    if out.shape != x.shape:
        raise ValueError("add_into: out must have x's shape")
    out.add_(x.to(out.dtype))


def _add_into_fake(x, out):
    torch._check(out.shape == x.shape, lambda: "add_into: out must have x's shape")
    return None


add_into = torch.library.custom_op(f"{NS}::add_into", mutates_args=("out",))(_add_into_real)
add_into.register_fake(_add_into_fake)
#: ops whose schemas use every kind of argument and return (right fake kernels)
SCHEMAS = [f"{NS}.every_kind.default", f"{NS}.add_into.default"]
