"""Refiners for linear algebra: decompositions, solves, inverses and determinants.

The matrix argument is a (batch of) square matrix two times in three, else a
rectangular one; floating or complex, float32 mostly. A right-hand side (``B``,
``input2``, ``other``, the ``A`` of triangular_solve) has the matrix's rows; pivots are
int32 values in [1, n], as LU factorizations make them; ``tau`` has one element per
column. Out= tensors come from the generic filler (the functional overload run on
meta, or empty to be resized). About 1 in 10 calls breaks one rule.
"""

from __future__ import annotations

import torch

from ._common import Refiners
from ._common import index_tensor, input_dtype, main, one_in, only_known, pick, type_of, upto, wrong

REFINERS = Refiners()
register = REFINERS.register

_DTYPES = (torch.float32, torch.float64, torch.float32, torch.complex64, torch.complex128)

#: Ops whose matrix argument is a batch of matrices (base names).
LINALG = (
    "_cholesky_solve_helper", "_linalg_det", "_linalg_eigh", "_linalg_eigvals", "_linalg_slogdet", "_linalg_solve_ex",
    "_linalg_svd", "_lu_with_info", "cholesky", "cholesky_inverse", "cholesky_solve", "det", "geqrf", "inverse",
    "linalg_cholesky", "linalg_cholesky_ex", "linalg_cond", "linalg_det", "linalg_eig", "linalg_eigh",
    "linalg_eigvals", "linalg_eigvalsh", "linalg_householder_product", "linalg_inv", "linalg_inv_ex",
    "linalg_ldl_factor", "linalg_ldl_factor_ex", "linalg_ldl_solve", "linalg_lstsq", "linalg_lu", "linalg_lu_factor",
    "linalg_lu_factor_ex", "linalg_lu_solve", "linalg_matrix_exp", "linalg_matrix_power", "linalg_matrix_rank",
    "linalg_pinv", "linalg_qr", "linalg_slogdet", "linalg_solve", "linalg_solve_ex", "linalg_solve_triangular",
    "linalg_svd", "linalg_svdvals", "logdet", "lu_solve", "lu_unpack", "matrix_exp", "matrix_power", "orgqr",
    "ormqr", "pinverse", "qr", "slogdet", "svd", "triangular_solve",
)
_MATRIX = ("self", "A", "LU", "LD", "LU_data", "input")  # the first one present is the matrix
_RHS = ("B", "input2", "other", "input3")


@register(*LINALG)
def linalg(ctx) -> dict:
    bad = wrong(ctx)
    batch = pick(ctx, [(), (), (2,), (0,)])
    n = upto(ctx, 3, 1)
    m = n if not one_in(ctx, 3) else upto(ctx, 3, 1)
    dtype = input_dtype(ctx, _DTYPES)
    matrix = next((name for name in _MATRIX if type_of(ctx, name) is not None), None)
    if matrix is None:
        return {}
    shape = batch + ((m, n) if not bad else (n,))
    out = {matrix: main(ctx, shape=shape, dtype=dtype)}
    if matrix == "self" and type_of(ctx, "A") is not None:  # triangular_solve(self=B, A)
        out["A"] = ctx.tensor(shape=batch + (m, m), dtype=dtype)
    for name in _RHS:
        if type_of(ctx, name) is not None and name not in out:
            k = upto(ctx, 2, 1)
            rows = m if not (bad and one_in(ctx, 2)) else m + 1
            out[name] = ctx.tensor(shape=batch + (rows, k), dtype=dtype)
    for name in ("pivots", "LU_pivots"):
        if type_of(ctx, name) is not None:
            out[name] = index_tensor(ctx, batch + (min(m, n),), n + 1, low=1, dtype=torch.int32)
    if type_of(ctx, "tau") is not None:
        out["tau"] = ctx.tensor(shape=batch + (min(m, n),), dtype=dtype)
    return only_known(ctx, out)
