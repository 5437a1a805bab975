"""Refiners for pointwise ops (broadcasting, scalars, promotion) and matmul."""

from __future__ import annotations

from hypothesis import strategies as st

from ._common import Refiners

REFINERS = Refiners()
register = REFINERS.register


@register(family="pointwise")
def pointwise(ctx) -> dict:
    """self drawn freely (writable and grad-free for in-place and out= variants); the
    other tensor operands broadcast against it. A ``condition`` (where) is boolean."""
    import torch

    from ._common import first_tensor_name, main

    first = first_tensor_name(ctx)  # pow.Scalar's self is a number: its exponent anchors
    main(ctx, dtype=torch.bool if first == "condition" else None)
    return {first: ctx.main}


@register("mm", "bmm", "addmm", "baddbmm", "addbmm", "matmul", "mv", "addmv", "dot", "vdot", "outer", "ger", "addr")
def matmul(ctx) -> dict:
    """Operands with consistent inner dims (sometimes off by one, to test errors)."""
    d = ctx.draw
    b, n, k, m = (d(st.integers(0, 3)) for _ in range(4))
    base = ctx.entry.base_name
    if d(st.integers(0, 9)) == 0:
        k2 = k + 1
    else:
        k2 = k
    dtype = ctx.draw(st.sampled_from([None, None, None]))
    shapes = {
        "mm": {"self": (n, k), "mat2": (k2, m)},
        "bmm": {"self": (b, n, k), "mat2": (b, k2, m)},
        "addmm": {"self": (n, m), "mat1": (n, k), "mat2": (k2, m)},
        "baddbmm": {"self": (b, n, m), "batch1": (b, n, k), "batch2": (b, k2, m)},
        "addbmm": {"self": (n, m), "batch1": (b, n, k), "batch2": (b, k2, m)},
        "matmul": {"self": d(st.sampled_from([(k,), (n, k), (b, n, k)])), "other": d(st.sampled_from([(k2,), (k2, m), (b, k2, m)]))},
        "mv": {"self": (n, k), "vec": (k2,)},
        "addmv": {"self": (n,), "mat": (n, k), "vec": (k2,)},
        "dot": {"self": (k,), "tensor": (k2,)},
        "vdot": {"self": (k,), "other": (k2,)},
        "outer": {"self": (n,), "vec2": (m,)},
        "ger": {"self": (n,), "vec2": (m,)},
        "addr": {"self": (n, m), "vec1": (n,), "vec2": (m,)},
    }[base]
    first = ctx.tensor(shape=shapes[next(iter(shapes))], dtype=dtype)
    ctx.main = first
    out = {}
    names = [a.name for a in ctx.entry.schema.arguments]
    for i, (name, shape) in enumerate(shapes.items()):
        if name not in names:
            continue
        if i == 0:
            out[name] = first
        else:
            same = d(st.integers(0, 5)) != 0
            out[name] = ctx.tensor(shape=shape, dtype=ctx.dtype if same else None)
    return out
