"""Known real fake-tensor mismatches on torch 2.13.0 CPU that show up ONLY in one of three
"compiler modes" (symbolic shapes, backward, autocast) and not in a plain static forward
``FakeTensorMode()`` run of the same call.

Modes, exactly as the crossref harness runs them:

* ``symbolic``: inputs are converted as torch.export does: ``FakeTensorMode(shape_env=ShapeEnv())``
  and ``mode.from_tensor(t, source=ConstantSource(f"input{i}"), symbolic_context=
  StatelessSymbolicContext(dynamic_sizes=[DimDynamic.DYNAMIC] * t.dim()))`` (size-0/1 dims are
  specialized by the ShapeEnv, as expected). ``Sym(n)`` arguments become backed SymInts of the same
  ShapeEnv (source ``ConstantSource(f"sym{k}")``). Output metadata is compared to the real result
  through the symbols' hints. A ``specialization`` entry means the call installed a guard that fixes
  an input symbol to a constant (``shape_env.replacements[s]`` an Integer, or an ``Eq(s, c)`` guard).
* ``backward``: floating/complex inputs get ``requires_grad``; the op runs and
  ``torch.autograd.grad(outputs, inputs, grad_outputs, allow_unused=True)`` runs on real tensors and,
  separately, on fakes inside a static ``FakeTensorMode()``; the gradients' metadata and exception
  parity are compared (``grad[i]`` is the gradient of the i-th tensor input, counting all tensor
  inputs). Grad outputs are contiguous ``ones`` of each output's shape and dtype on both sides.
* ``autocast``: the call runs under ``torch.autocast("cpu", dtype=torch.bfloat16)`` on both sides.

Every ``check()`` builds its inputs itself, calls the ATen overload directly on both sides and
returns True only when the entry's category shows on a field starting with the entry's ``field`` AND
(for symbolic and autocast) the plain static comparison (``FakeTensorMode()``, no shape_env, no
autocast) does not show that difference. ``from_probe`` marks entries found by running the installed
torch's OpInfo samples through these comparisons (no public report found for them).

Caveat (see MODES.md): the symbolic mode here runs ``with mode:`` WITHOUT
``torch._dispatch.python.enable_python_dispatcher()``. torch.export / dynamo / make_fx enable it, and
then many symbolic entries (C++ kernels reached with SymInts) disappear;
``check_with_python_dispatcher(bug)`` and the table's last column say which.

Importing this module needs nothing but torch.  ``python mode_bugs.py`` prints the table.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field as dc_field
from typing import Any, Callable

import torch
from torch._subclasses.fake_tensor import FakeTensorMode
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

# The helpers both surveys share: one comparison vocabulary, one input recipe (torch only).
from known_bugs import Diff, _g, _short, _storage_key, _structure, resolve  # noqa: E402,F401

logging.getLogger("torch._subclasses.fake_tensor").setLevel(logging.CRITICAL)

aten = torch.ops.aten
Make = Callable[[], "tuple[tuple, dict]"]

MODES = ("symbolic", "backward", "autocast")
CATEGORIES = (
    "shape", "dtype", "device", "layout", "stride", "storage_offset", "alias", "mutation", "conj_neg",
    "structure", "value", "missing_error", "spurious_error", "specialization",
)


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------

class Sym:
    """An int argument that the symbolic mode passes as a backed SymInt (plain int elsewhere)."""

    def __init__(self, value: int):
        self.value = value

    def __repr__(self) -> str:
        return f"Sym({self.value})"


def _plain(x):
    return x.value if isinstance(x, Sym) else x


@dataclass(frozen=True)
class _Meta:
    shape: tuple  # ints; None where a size is an unbacked symbol (no hint)
    dtype: Any
    device: str
    layout: Any
    stride: tuple | None
    storage_offset: int | None
    is_conj: bool
    is_neg: bool
    aliases: tuple
    is_input: int | None
    numel: int | None


@dataclass
class _Outcome:
    error: BaseException | None
    outputs: list = dc_field(default_factory=list)
    structure: str = ""
    inputs_after: list = dc_field(default_factory=list)
    grads: list | None = None  # backward: per tensor input, _Meta or None
    grad_error: BaseException | None = None
    specializations: list = dc_field(default_factory=list)  # symbolic: (field, value, how)
    inner: list = dc_field(default_factory=list)  # backward: (op name, [_Meta...]) per dispatched op


def _hint(x) -> int | None:
    if isinstance(x, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        node = x.node
        if getattr(node, "_hint", None) is not None:
            return node._hint
        try:
            from torch.fx.experimental.symbolic_shapes import guarding_hint_or_throw
            return guarding_hint_or_throw(x)
        except Exception:  # noqa: BLE001 - unbacked symbol: nothing to compare
            return None
    return x


def _meta(t: torch.Tensor, inputs: list) -> _Meta:
    strided = t.layout == torch.strided
    key = _storage_key(t)
    aliases = tuple(i for i, x in enumerate(inputs) if key is not None and _storage_key(x) == key)
    is_input = next((i for i, x in enumerate(inputs) if x is t), None)
    shape = tuple(_hint(s) for s in t.shape)
    numel = None if None in shape else _hint(t.numel())
    return _Meta(
        shape=shape,
        dtype=t.dtype,
        device=t.device.type,
        layout=t.layout,
        stride=tuple(_hint(s) for s in t.stride()) if strided else None,
        storage_offset=_hint(t.storage_offset()) if strided else None,
        is_conj=bool(t.is_conj()),
        is_neg=bool(t.is_neg()),
        aliases=aliases,
        is_input=is_input,
        numel=numel,
    )


def _leaf_repr(x) -> str:
    if isinstance(x, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        return repr(_hint(x))
    return repr(x)


class _Recorder(TorchDispatchMode):
    """Records each dispatched ATen op and the metadata of its tensor outputs."""

    def __init__(self):
        super().__init__()
        self.ops: list = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.namespace == "prim":
            return out
        leaves = [x for x in tree_flatten(out)[0] if isinstance(x, torch.Tensor)]
        self.ops.append((str(func), [_meta(x, []) for x in leaves]))
        return out


def _differentiable(t) -> bool:
    return isinstance(t, torch.Tensor) and (t.is_floating_point() or t.is_complex())


def _run(fn: Callable, make: Make, kind: str, record_inner: bool = False) -> _Outcome:
    """kind: real | fake | symbolic | real_autocast | fake_autocast | real_backward | fake_backward."""
    args, kwargs = make()
    fake = kind in ("fake", "symbolic", "fake_autocast", "fake_backward")
    mode = None
    shape_env = None
    input_symbols: dict = {}
    if fake:
        if hasattr(FakeTensorMode, "cache_clear"):
            FakeTensorMode.cache_clear()
        if kind == "symbolic":
            from torch._dynamo.source import ConstantSource
            from torch.fx.experimental.symbolic_shapes import (
                DimDynamic, ShapeEnv, StatelessSymbolicContext)
            shape_env = ShapeEnv()
            mode = FakeTensorMode(shape_env=shape_env)
            counter = {"t": 0, "s": 0}

            def conv(x):
                if isinstance(x, torch.Tensor):
                    i = counter["t"]
                    counter["t"] += 1
                    f = mode.from_tensor(
                        x, source=ConstantSource(f"input{i}"),
                        symbolic_context=StatelessSymbolicContext(dynamic_sizes=[DimDynamic.DYNAMIC] * x.dim()))
                    for d, s in enumerate(f.shape):
                        if isinstance(s, torch.SymInt) and s.node.expr.is_Symbol:
                            input_symbols.setdefault(s.node.expr, f"input[{i}].size[{d}]")
                    return f
                if isinstance(x, Sym):
                    k = counter["s"]
                    counter["s"] += 1
                    sym = shape_env.create_symbol(x.value, source=ConstantSource(f"sym{k}"),
                                                  dynamic_dim=DimDynamic.DYNAMIC)
                    si = shape_env.create_symintnode(sym, hint=x.value, source=ConstantSource(f"sym{k}"))
                    if isinstance(si, torch.SymInt) and si.node.expr.is_Symbol:
                        input_symbols.setdefault(si.node.expr, f"sym[{k}]")
                    return si
                return x

            args, kwargs = tree_map(conv, (args, kwargs))
        else:
            mode = FakeTensorMode()
            args, kwargs = tree_map(lambda x: mode.from_tensor(x) if isinstance(x, torch.Tensor) else _plain(x),
                                    (args, kwargs))
    else:
        args, kwargs = tree_map(_plain, (args, kwargs))
    inputs = [x for x in tree_flatten((args, kwargs))[0] if isinstance(x, torch.Tensor)]
    backward = kind.endswith("_backward")
    autocast = kind.endswith("_autocast")
    if backward:
        for x in inputs:
            if _differentiable(x) and x.is_leaf:
                x.requires_grad_(True)

    def call():
        if autocast:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    def body() -> _Outcome:
        try:
            out = call()
        except Exception as e:  # noqa: BLE001 - exception parity is part of the comparison
            return _Outcome(e)
        leaves = tree_flatten(out)[0]
        res = _Outcome(None, [_meta(x, inputs) if isinstance(x, torch.Tensor) else _leaf_repr(x) for x in leaves],
                       _structure(out), [_meta(x, []) for x in inputs])
        if backward:
            outs = [x for x in leaves if isinstance(x, torch.Tensor) and x.requires_grad]
            wrt = [x for x in inputs if x.requires_grad]
            res.grads = [None] * len(inputs)
            if outs and wrt:
                gos = [torch.ones(tuple(o.shape), dtype=o.dtype, device=o.device) for o in outs]
                rec = _Recorder() if record_inner else None
                try:
                    if rec is not None:
                        with rec:
                            grads = torch.autograd.grad(outs, wrt, gos, allow_unused=True)
                    else:
                        grads = torch.autograd.grad(outs, wrt, gos, allow_unused=True)
                except Exception as e:  # noqa: BLE001
                    res.grad_error = e
                    return res
                if rec is not None:
                    res.inner = rec.ops
                it = iter(grads)
                res.grads = [(_meta(g, []) if (g := next(it)) is not None else None) if x.requires_grad else None
                             for x in inputs]
        if shape_env is not None:
            import sympy
            for sym, where in input_symbols.items():
                rep = shape_env.replacements.get(sym)
                if rep is not None and isinstance(rep, sympy.Integer):
                    res.specializations.append((where, int(rep), "replacement"))
            for g in shape_env.guards:
                e = g.expr
                if isinstance(e, sympy.Eq) and any(
                        a in input_symbols and b.is_Integer for a, b in ((e.lhs, e.rhs), (e.rhs, e.lhs))):
                    a = e.lhs if e.lhs in input_symbols else e.rhs
                    b = e.rhs if a is e.lhs else e.lhs
                    if not any(w == input_symbols[a] for w, _, _ in res.specializations):
                        res.specializations.append((input_symbols[a], int(b), "guard"))
        return res

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode is not None:
            with mode:
                return body()
        return body()


def _significant(m: _Meta) -> tuple:
    if m.numel == 0 or m.numel is None:
        return ()
    return tuple(i for i, s in enumerate(m.shape) if s is not None and s > 1)


def _same_shape(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _compare_tensor(prefix: str, r: _Meta, f: _Meta, kind: str | None) -> list[Diff]:
    found = []

    def add(cat, name, a, b):
        found.append(Diff(kind or cat, f"{prefix}.{name}", str(a), str(b)))

    if not _same_shape(r.shape, f.shape):
        add("shape", "shape", list(r.shape), list(f.shape))
    for name, cat in (("dtype", "dtype"), ("device", "device"), ("layout", "layout"),
                      ("is_conj", "conj_neg"), ("is_neg", "conj_neg")):
        if getattr(r, name) != getattr(f, name):
            add(cat, name, getattr(r, name), getattr(f, name))
    if _same_shape(r.shape, f.shape) and r.stride is not None and f.stride is not None:
        dims = _significant(f) and _significant(r)
        if any(f.stride[i] is not None and r.stride[i] != f.stride[i] for i in dims):
            add("stride", "stride", r.stride, f.stride)
    if (_same_shape(r.shape, f.shape) and f.storage_offset is not None
            and r.storage_offset != f.storage_offset):
        add("storage_offset", "storage_offset", r.storage_offset, f.storage_offset)
    if kind is None:
        if r.aliases != f.aliases:
            add("alias", "aliases", r.aliases, f.aliases)
        if r.is_input != f.is_input:
            add("alias", "is_input", r.is_input, f.is_input)
    return found


def _compare(real: _Outcome, fake: _Outcome) -> list[Diff]:
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
            elif r != f and f != "None":
                found.append(Diff("value", f"out[{i}]", str(r), str(f)))
    for i, (r, f) in enumerate(zip(real.inputs_after, fake.inputs_after)):
        found += _compare_tensor(f"input[{i}]", r, f, "mutation")
    return found


def _compare_backward(real: _Outcome, fake: _Outcome) -> list[Diff]:
    if real.error is not None or fake.error is not None:
        return []  # forward parity belongs to the static comparison
    if real.grad_error is not None and fake.grad_error is not None:
        return []
    if real.grad_error is not None:
        return [Diff("missing_error", "error", _short(real.grad_error), "backward returned normally")]
    if fake.grad_error is not None:
        return [Diff("spurious_error", "error", "backward returned normally", _short(fake.grad_error))]
    found: list[Diff] = []
    for i, (r, f) in enumerate(zip(real.grads or [], fake.grads or [])):
        if (r is None) != (f is None):
            found.append(Diff("structure", f"grad[{i}]", str(r is None), str(f is None)))
        elif r is not None:
            found += [d for d in _compare_tensor(f"grad[{i}]", r, f, None) if d.category != "alias"]
    return found


def _inner_diffs(real: _Outcome, fake: _Outcome) -> list[Diff]:
    """Differences between the ATen ops dispatched inside the backward, op by op."""
    found: list[Diff] = []
    if len(real.inner) != len(fake.inner):
        return [Diff("structure", "inner", f"{len(real.inner)} ops", f"{len(fake.inner)} ops")]
    for (rn, rm), (fn_, fm) in zip(real.inner, fake.inner):
        if rn != fn_:
            return found + [Diff("structure", "inner", rn, fn_)]
        if len(rm) != len(fm):
            found.append(Diff("structure", f"inner:{rn}", str(len(rm)), str(len(fm))))
            continue
        for j, (a, b) in enumerate(zip(rm, fm)):
            found += [d for d in _compare_tensor(f"inner:{rn}.out[{j}]", a, b, None) if d.category != "alias"]
    return found


def static_diff(fn: Callable, make: Make) -> list[Diff]:
    """Plain forward comparison: eager vs FakeTensorMode() (no shape_env, no autocast)."""
    return _compare(_run(fn, make, "real"), _run(fn, make, "fake"))


def diff(fn: Callable, make: Make, mode: str, inner: bool = False) -> list[Diff]:
    """All differences the given mode shows for ``fn`` on inputs from ``make``."""
    if mode == "symbolic":
        real, fake = _run(fn, make, "real"), _run(fn, make, "symbolic")
        found = _compare(real, fake)
        found += [Diff("specialization", where, "symbolic", f"specialized to {v} ({how})")
                  for where, v, how in fake.specializations]
        return found
    if mode == "autocast":
        return _compare(_run(fn, make, "real_autocast"), _run(fn, make, "fake_autocast"))
    if mode == "backward":
        real = _run(fn, make, "real_backward", record_inner=inner)
        fake = _run(fn, make, "fake_backward", record_inner=inner)
        found = _compare_backward(real, fake)
        if inner and not any(o.error is not None or o.grad_error is not None for o in (real, fake)):
            found += _inner_diffs(real, fake)
        return found
    raise ValueError(mode)


def _shows(diffs: list[Diff], category: str, field: str) -> bool:
    return any(d.category == category and d.field.startswith(field) for d in diffs)


def reproduces(fn: Callable, make: Make, mode: str, category: str, field: str) -> bool:
    """The mode shows ``category`` on a field starting with ``field`` and (symbolic / autocast) the
    plain static comparison does not."""
    inner = field.startswith("inner")
    if not _shows(diff(fn, make, mode, inner=inner), category, field):
        return False
    if mode in ("symbolic", "autocast") and _shows(static_diff(fn, make), category, field):
        return False
    if mode == "symbolic" and category == "spurious_error":
        return not _shows(static_diff(fn, make), "spurious_error", "error")
    return True


# ----------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModeBug:
    op: str          # ATen overload as str(OpOverload) prints it, e.g. "aten.mm.default"
    mode: str        # "symbolic" | "backward" | "autocast"
    category: str    # shape, stride, dtype, storage_offset, spurious_error, missing_error, specialization, ...
    field: str       # field prefix, e.g. "out[0].stride", "grad[0].stride", "error", "input[0].size[1]"
    source: str      # where it is listed (test list name / issue URL / "probe:...")
    condition: str   # the input condition in words (dtypes, layouts, sizes)
    check: Callable[[], bool]  # True while it reproduces on the installed torch
    from_probe: bool = False

    def diffs(self) -> list[Diff]:
        return diff(self.check.call or resolve(self.op), self.check.make, self.mode,
                    inner=self.field.startswith("inner"))


BUGS: list[ModeBug] = []


def _bug(op: str, mode: str, category: str, field: str, condition: str, source: str, make: Make,
         call: Callable | None = None) -> None:
    assert mode in MODES, mode
    assert category in CATEGORIES, category

    def check() -> bool:
        return reproduces(call if call is not None else resolve(op), make, mode, category, field)

    check.__name__ = f"check_{op.replace('.', '_')}_{mode}_{category}"
    check.make = make  # type: ignore[attr-defined]
    check.call = call  # type: ignore[attr-defined]
    BUGS.append(ModeBug(op, mode, category, field, source, condition, check, source.startswith("probe:")))


# --- input builders (fresh tensors on every call) --------------------------------------------
# (``_r``/``_u`` take an empty shape for a 0-d tensor, which known_bugs' do not.)

def _r(*shape, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(shape, generator=_g(), dtype=torch.float64).to(dtype)


def _u(*shape, dtype=torch.float32) -> torch.Tensor:
    return torch.rand(shape, generator=_g(), dtype=torch.float64).clamp(0.05, 0.95).to(dtype)


def _rt(rows: int, cols: int, dtype=torch.float32) -> torch.Tensor:
    return _r(cols, rows, dtype=dtype).t()


def _i(*shape, high=3) -> torch.Tensor:
    return torch.randint(0, high, shape, generator=_g())


# BUGS_START
TEST_PROXY = "https://github.com/pytorch/pytorch/blob/main/test/test_proxy_tensor.py"
TEST_OPS = "https://github.com/pytorch/pytorch/blob/main/test/test_ops.py"
ISSUE = "https://github.com/pytorch/pytorch/issues/"
SYM_FAIL = TEST_PROXY + ": symbolic_tensor_failures"
OUT_SYM_FAIL = TEST_PROXY + ": out_symbolic_tensor_failures"

# ============================== symbolic: spurious_error ======================================
# (a) C++ kernels reached with symbolic sizes: "SymIntArrayRef expected to contain only concrete
#     integers" (RegisterCompositeExplicitAutograd_0.cpp) when operands broadcast against each
#     other (each dim has its own symbol under DimDynamic.DYNAMIC).
_CONCRETE = ("operands of different shapes that broadcast (every dim its own symbol): fake raises "
             "'SymIntArrayRef expected to contain only concrete integers'; static fake and eager return")
_CONCRETE_SRC = ("probe: OpInfo '{}' samples under symbolic shapes; error text as in " + ISSUE + "140960 / "
                 + ISSUE + "134303")
for _op, _oi, _make in (
    ("aten.addcmul.default", "addcmul", lambda: ((_r(4, 5), _r(4, 1), _r(1, 5)), {})),
    ("aten.addcdiv.default", "addcdiv", lambda: ((_r(4, 5), _r(4, 1), _u(1, 5)), {})),
    ("aten.lerp.Scalar", "lerp", lambda: ((_r(4, 5), _r(5), 0.4), {})),
    ("aten.lerp.Tensor", "lerp", lambda: ((_r(4, 5), _r(5), _r(4, 5)), {})),
    ("aten.addbmm.default", "addbmm", lambda: ((_r(4, 6), _r(3, 4, 5), _r(3, 5, 6)), {})),
    ("aten.baddbmm.default", "baddbmm", lambda: ((_r(6), _r(3, 4, 5), _r(3, 5, 6)), {})),
    ("aten.masked_scatter.default", "masked_scatter",
     lambda: ((_r(4, 5), torch.tensor([True, False, True, False, True]), _r(4, 5)), {})),
    ("aten.cholesky_solve.default", "cholesky_solve",
     lambda: ((_r(2, 3, 2), torch.eye(3).expand(2, 3, 3).contiguous()), {})),
    ("aten.linalg_solve_triangular.default", "linalg.solve_triangular",
     lambda: ((torch.eye(3) + 0.1 * torch.triu(_r(3, 3)), _r(3, 2)), {"upper": True})),
    ("aten._unsafe_masked_index.default", "_unsafe_masked_index",
     lambda: ((_r(4, 5), torch.ones(6, 7, dtype=torch.bool), [_i(6, 1, high=4), _i(1, 7, high=5)], 0.0), {})),
):
    _bug(_op, "symbolic", "spurious_error", "error", _CONCRETE, _CONCRETE_SRC.format(_oi), _make)
for _name in ("chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
              "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
              "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
              "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
              "shifted_chebyshev_polynomial_w"):
    _bug(f"aten.special_{_name}.default", "symbolic", "spurious_error", "error",
         "x of shape (5,), n a 0-d tensor: " + _CONCRETE, _CONCRETE_SRC.format("special." + _name),
         lambda: ((_r(5), _r()), {}))
_bug("aten._chunk_cat.default", "symbolic", "spurious_error", "error",
     "tensors (2,3) and (2,5), dim=1, num_chunks=2: fake raises 'SymIntArrayRef expected to contain only "
     "concrete integers' (RegisterCompositeExplicitAutograd_0.cpp:3016)",
     _CONCRETE_SRC.format("_chunk_cat"), lambda: (([_r(2, 3), _r(2, 5)], 1, 2), {}))
_bug("aten.angle.out", "symbolic", "spurious_error", "error",
     "float32 input (4,5), out= float32 (4,5): fake raises 'SymIntArrayRef expected to contain only concrete "
     "integers' (RegisterMeta_0.cpp)", OUT_SYM_FAIL + " ('angle')",
     lambda: ((_r(4, 5),), {"out": torch.empty(4, 5)}))

# (b) "Cannot call storage_offset() / numel() on tensor with symbolic sizes/strides"
_SOFF = "fake raises 'Cannot call storage_offset() on tensor with symbolic sizes/strides'"
_bug("aten.trace.default", "symbolic", "spurious_error", "error", "2-D input (4,5): " + _SOFF,
     "probe: OpInfo 'trace' samples under symbolic shapes", lambda: ((_r(4, 5),), {}))
_bug("aten.diagonal_copy.default", "symbolic", "spurious_error", "error", "2-D input (4,5): " + _SOFF,
     "probe: OpInfo 'diagonal_copy' / 'diag' samples under symbolic shapes", lambda: ((_r(4, 5),), {}))
_bug("aten.diagonal_copy.out", "symbolic", "spurious_error", "error", "2-D input (4,5), out (4,): " + _SOFF,
     "probe: direct out= call (same root cause as diagonal_copy.default)",
     lambda: ((_r(4, 5),), {"out": torch.empty(4)}))
_bug("aten.narrow_copy.default", "symbolic", "spurious_error", "error",
     "input (4,5,6), dim=1, start=2, length=2: " + _SOFF,
     "probe: OpInfo 'narrow_copy' samples under symbolic shapes", lambda: ((_r(4, 5, 6), 1, 2, 2), {}))
_bug("aten.split_with_sizes_copy.default", "symbolic", "spurious_error", "error",
     "input (4,5,6), split_sizes=[1,3,1], dim=1: " + _SOFF,
     "probe: OpInfo 'split_with_sizes_copy' samples under symbolic shapes",
     lambda: ((_r(4, 5, 6), [1, 3, 1], 1), {}))
_bug("aten.constant_pad_nd.default", "symbolic", "spurious_error", "error",
     "input (5,4) with negative padding [-1,-2,1,1]: " + _SOFF,
     "probe: OpInfo 'constant_pad_nd' samples under symbolic shapes", lambda: ((_r(5, 4), [-1, -2, 1, 1], 1.0), {}))
_NUMEL = "fake raises 'Cannot call numel() on tensor with symbolic sizes/strides'"
_bug("aten.index_reduce.out", "symbolic", "spurious_error", "error",
     "self (4,5), index [0,2], source (2,5), reduce='prod', out (4,5): " + _NUMEL,
     OUT_SYM_FAIL + " ('index_reduce' prod/mean/amax/amin)",
     lambda: ((_r(4, 5), 0, torch.tensor([0, 2]), _r(2, 5), "prod"), {"out": torch.empty(4, 5)}))
_bug("aten.gather.out", "symbolic", "spurious_error", "error", "self (4,5), dim 1, index (4,2), out (4,2): " + _NUMEL,
     OUT_SYM_FAIL + " ('gather')", lambda: ((_r(4, 5), 1, _i(4, 2)), {"out": torch.empty(4, 2)}))
_bug("aten.scatter_add.out", "symbolic", "spurious_error", "error",
     "self (4,5), dim 1, index (4,2), src (4,2), out (4,5): " + _NUMEL, OUT_SYM_FAIL + " ('scatter_add')",
     lambda: ((_r(4, 5), 1, _i(4, 2), _r(4, 2)), {"out": torch.empty(4, 5)}))
_bug("aten.scatter.src_out", "symbolic", "spurious_error", "error",
     "self (4,5), dim 1, index (4,2), src (4,2), out (4,5): " + _NUMEL, OUT_SYM_FAIL + " ('scatter')",
     lambda: ((_r(4, 5), 1, _i(4, 2), _r(4, 2)), {"out": torch.empty(4, 5)}))
_bug("aten.scatter.value_out", "symbolic", "spurious_error", "error",
     "self (4,5), dim 1, index (4,2), value 1.0, out (4,5): " + _NUMEL, OUT_SYM_FAIL + " ('scatter')",
     lambda: ((_r(4, 5), 1, _i(4, 2), 1.0), {"out": torch.empty(4, 5)}))
_bug("aten.take_along_dim.out", "symbolic", "spurious_error", "error",
     "self (4,5), indices (4,2), dim 1, out (4,2): " + _NUMEL, OUT_SYM_FAIL + " ('take_along_dim')",
     lambda: ((_r(4, 5), _i(4, 2), 1), {"out": torch.empty(4, 2)}))
_bug("aten.view_copy.out", "symbolic", "spurious_error", "error", "self (4,5), size [20], out (20,): " + _NUMEL,
     OUT_SYM_FAIL + " ('view_copy')", lambda: ((_r(4, 5), [20]), {"out": torch.empty(20)}))

# (c) no symbolic-capable kernel at all
_UNSUP = "fake raises UnsupportedOperatorException (static fake falls back to running the kernel on zeros)"
_bug("aten.geqrf.default", "symbolic", "spurious_error", "error", "float32 (4,3): " + _UNSUP,
     SYM_FAIL + " ('geqrf')", lambda: ((_r(4, 3),), {}))
_bug("aten.histogram.bins_tensor", "symbolic", "spurious_error", "error", "input (4,5), bins tensor (3,): " + _UNSUP,
     SYM_FAIL + " ('histogram')", lambda: ((_r(4, 5), torch.tensor([-1.0, 0.0, 1.0])), {}))
_bug("aten._histogramdd_bin_edges.default", "symbolic", "spurious_error", "error", "input (6,2), bins [2,3]: " + _UNSUP,
     SYM_FAIL + " ('histogramdd')", lambda: ((_r(6, 2), [2, 3]), {}))
_bug("aten._histogramdd_from_bin_cts.default", "symbolic", "spurious_error", "error",
     "input (6,2), bins [2,3]: " + _UNSUP, SYM_FAIL + " ('histogramdd')", lambda: ((_r(6, 2), [2, 3]), {}))
_bug("aten._histogramdd_from_bin_tensors.default", "symbolic", "spurious_error", "error",
     "input (6,2), bin edges [(3,), (4,)]: " + _UNSUP, SYM_FAIL + " ('histogramdd')",
     lambda: ((_r(6, 2), [torch.tensor([-1.0, 0.0, 1.0]), torch.tensor([-1.0, 0.0, 0.5, 1.0])]), {}))
_bug("aten._to_sparse.default", "symbolic", "spurious_error", "error", "dense float32 (4,5): " + _UNSUP,
     "probe: OpInfo 'to_sparse' samples under symbolic shapes", lambda: ((_r(4, 5),), {}))
_bug("aten._to_sparse.sparse_dim", "symbolic", "spurious_error", "error", "dense float32 (4,5), sparse_dim=1: " + _UNSUP,
     "probe: OpInfo 'to_sparse' samples under symbolic shapes", lambda: ((_r(4, 5), 1), {}))

# (d) others
_bug("aten.resize_.default", "symbolic", "spurious_error", "error",
     "input (4,5,6) resized to [20,6]: fake raises 'tried to directly modify sizes for customized tensor'",
     "https://github.com/pytorch/pytorch/blob/v2.1.0/test/test_proxy_tensor.py: symbolic_tensor_failures ('resize_')",
     lambda: ((_r(4, 5, 6), [20, 6]), {}))
_bug("aten._fft_c2r.default", "symbolic", "spurious_error", "error",
     "complex64 (5,6,7), dim=[1], normalization=1, last_dim_size=10: fake raises 'tried to directly modify sizes "
     "for customized tensor'", SYM_FAIL + " (fft.hfft/irfft: 'many complex operators incorrect striding, metadata')",
     lambda: ((_r(5, 6, 7, dtype=torch.complex64), [1], 1, 10), {}))
_bug("aten._trilinear.default", "symbolic", "spurious_error", "error",
     "bilinear-shaped call i1 (1,3), i2 (5,3,4), i3 (1,4): fake raises INTERNAL ASSERT FAILED at "
     "python_arg_parser.cpp:659", "probe: OpInfo 'nn.functional.bilinear' samples under symbolic shapes",
     lambda: ((_r(1, 3), _r(5, 3, 4), _r(1, 4), [1, 3], [0], [1, 2], [2, 3]), {}))
_bug("aten.linalg_pinv.atol_rtol_tensor", "symbolic", "spurious_error", "error",
     "float32 (4,5), atol/rtol None: fake raises INTERNAL ASSERT FAILED at python_arg_parser.cpp:659",
     "probe: OpInfo 'pinverse' / 'linalg.pinv' samples under symbolic shapes; cf. " + OUT_SYM_FAIL + " ('linalg.pinv')",
     lambda: ((_r(4, 5),), {}))

# ============================== symbolic: specialization ======================================
_SPEC = ("the fake kernel guards every listed input size to its concrete value (shape_env.replacements maps the "
         "input symbol to an Integer) although the output shape is a plain function of the input sizes")
_bug("aten.complex.default", "symbolic", "specialization", "input[0].size[0]",
     "real (5,), imag a 0-d tensor: " + _SPEC, "probe: OpInfo 'complex' samples under symbolic shapes",
     lambda: ((_r(5), _r()), {}))
_bug("aten.polar.default", "symbolic", "specialization", "input[0].size[0]",
     "abs (5,), angle a 0-d tensor: " + _SPEC, "probe: OpInfo 'polar' samples under symbolic shapes",
     lambda: ((_u(5), _r()), {}))
_bug("aten.permute_copy.default", "symbolic", "specialization", "input[0].size",
     "input (2,3,4,5), dims [0,2,3,1]: " + _SPEC, "probe: OpInfo 'permute_copy' samples under symbolic shapes",
     lambda: ((_r(2, 3, 4, 5), [0, 2, 3, 1]), {}))
_bug("aten.unfold_copy.default", "symbolic", "specialization", "input[0].size",
     "input (5,6,7), dimension 0, size 3, step 1: " + _SPEC, "probe: OpInfo 'unfold_copy' samples under symbolic shapes",
     lambda: ((_r(5, 6, 7), 0, 3, 1), {}))
_bug("aten.hash_tensor.default", "symbolic", "specialization", "input[0].size",
     "input (2,3), full reduction: " + _SPEC, "probe: OpInfo 'hash_tensor' samples under symbolic shapes",
     lambda: ((_r(2, 3),), {}))
_bug("aten.constant_pad_nd.default", "symbolic", "specialization", "input[0].size",
     "input (2,3,6,4), pad [0,0,1,0] (non-negative): " + _SPEC,
     "probe: OpInfo 'nn.functional.local_response_norm' samples under symbolic shapes",
     lambda: ((_r(2, 3, 6, 4), [0, 0, 1, 0], 0.0), {}))
_bug("aten.im2col.default", "symbolic", "specialization", "input[0].size",
     "input (2,3,5,6), kernel [2,2], dilation 1, padding 0, stride 1: " + _SPEC,
     "probe: OpInfo 'nn.functional.unfold' samples under symbolic shapes",
     lambda: ((_r(2, 3, 5, 6), [2, 2], [1, 1], [0, 0], [1, 1]), {}))
_bug("aten.resize_as_.default", "symbolic", "specialization", "input[1].size",
     "self (5,6,7), the_template (5,6,7): both inputs' sizes are guarded to constants",
     "probe: OpInfo 'resize_as_' samples under symbolic shapes; "
     "https://github.com/pytorch/pytorch/blob/v2.1.0/test/test_proxy_tensor.py: symbolic_tensor_failures ('resize_as_')",
     lambda: ((_r(5, 6, 7), _r(5, 6, 7)), {}))
_bug("aten._fft_c2c.default", "symbolic", "specialization", "input[0].size",
     "complex64 (5,6,7), dim [1,2], forward: " + _SPEC,
     SYM_FAIL + " (fft.fft2 etc.: 'many complex operators incorrect striding, metadata')",
     lambda: ((_r(5, 6, 7, dtype=torch.complex64), [1, 2], 1, True), {}))
_bug("aten._fft_r2c.default", "symbolic", "specialization", "input[0].size",
     "float32 (5,6,7), dim [2], onesided: " + _SPEC,
     SYM_FAIL + " (fft.rfft / stft: 'many complex operators incorrect striding, metadata')",
     lambda: ((_r(5, 6, 7), [2], 0, True), {}))
_bug("aten._fft_c2r.default", "symbolic", "specialization", "input[0].size",
     "complex64 (5,6), dim [1], last_dim_size 10: " + _SPEC,
     SYM_FAIL + " (fft.irfft / hfft: 'many complex operators incorrect striding, metadata')",
     lambda: ((_r(5, 6, dtype=torch.complex64), [1], 0, 10), {}))
_bug("aten.argmax.out", "symbolic", "specialization", "input[0].size",
     "self (4,5), dim 1, out int64 (4,): self's sizes and out's size are guarded to constants (argmax.default "
     "stays symbolic)", OUT_SYM_FAIL + " ('argmax')",
     lambda: ((_r(4, 5), 1), {"out": torch.empty(4, dtype=torch.long)}))
_bug("aten.argmin.out", "symbolic", "specialization", "input[0].size",
     "self (4,5), dim 1, out int64 (4,): as argmax.out", OUT_SYM_FAIL + " ('argmin')",
     lambda: ((_r(4, 5), 1), {"out": torch.empty(4, dtype=torch.long)}))
_bug("aten.permute_copy.out", "symbolic", "specialization", "input[0].size",
     "self (4,5), dims [1,0], out (5,4): " + _SPEC, "probe: direct out= call (same root cause as permute_copy.default)",
     lambda: ((_r(4, 5), [1, 0]), {"out": torch.empty(5, 4)}))
_bug("aten.unfold_copy.out", "symbolic", "specialization", "input[0].size",
     "self (4,5), dimension 1, size 2, step 1, out (4,4,2): " + _SPEC,
     "probe: direct out= call (same root cause as unfold_copy.default)",
     lambda: ((_r(4, 5), 1, 2, 1), {"out": torch.empty(4, 4, 2)}))

# ============================== backward ======================================================
_PERM_BW = ("input(s) permuted (transposed contiguous (5,4) -> strides (1,5)), contiguous grad_output: "
            "eager's {} returns a contiguous gradient, fake's follows the permuted input (forward metadata agrees)")
_bug("aten.mse_loss.default", "backward", "stride", "grad[0].stride",
     "self and target permuted (4,5), reduction='none' (0): " + _PERM_BW.format("mse_loss_backward"),
     "probe: OpInfo 'nn.functional.mse_loss' samples with transposed inputs (backward)",
     lambda: ((_rt(4, 5), _rt(4, 5), 0), {}))
_bug("aten.smooth_l1_loss.default", "backward", "stride", "grad[0].stride",
     "self and target permuted (4,5), reduction='none', beta=1.0: " + _PERM_BW.format("smooth_l1_loss_backward"),
     "probe: OpInfo 'nn.functional.smooth_l1_loss' samples with transposed inputs (backward)",
     lambda: ((_rt(4, 5), _rt(4, 5), 0, 1.0), {}))
_bug("aten.huber_loss.default", "backward", "stride", "grad[0].stride",
     "self and target permuted (4,5), reduction='none', delta=1.0: " + _PERM_BW.format("huber_loss_backward"),
     "probe: OpInfo 'nn.functional.huber_loss' samples with transposed inputs (backward); "
     + TEST_OPS + ": fake_backward_xfails ('nn.functional.huber_loss', 2023 version)",
     lambda: ((_rt(4, 5), _rt(4, 5), 0, 1.0), {}))
_bug("aten.hardtanh.default", "backward", "stride", "grad[0].stride",
     "self permuted (4,5), min -0.5, max 0.5: " + _PERM_BW.format("hardtanh_backward"),
     "probe: OpInfo 'nn.functional.hardtanh' samples with transposed inputs (backward)",
     lambda: ((_rt(4, 5), -0.5, 0.5), {}))
_bug("aten.hardswish.default", "backward", "stride", "grad[0].stride",
     "self permuted (4,5): " + _PERM_BW.format("hardswish_backward"),
     "probe: OpInfo 'nn.functional.hardswish' samples with transposed inputs (backward)",
     lambda: ((_rt(4, 5),), {}))
_bug("aten.logit.default", "backward", "stride", "grad[0].stride",
     "self permuted (3,4,5) (last two dims transposed), values in (0,1): " + _PERM_BW.format("logit_backward"),
     "probe: OpInfo 'logit' samples with transposed inputs (backward)",
     lambda: ((_u(3, 5, 4).transpose(1, 2),), {}))
_bug("aten.index_fill.int_Tensor", "backward", "spurious_error", "error",
     "self (5,5) float32, dim -1, index (5,) int64, value a 0-d float32 tensor requiring grad: the backward of "
     "value calls aten._unique, fake (no shape_env) raises DynamicOutputShapeException",
     "probe: OpInfo 'index_fill' samples (backward)",
     lambda: ((_r(5, 5), -1, torch.tensor([0, 1, 1, 3, 4]), _r()), {}))
_bug("aten.index_put.default", "backward", "spurious_error", "error",
     "self (5,5), indices [bool mask (5,)], values (5,): the backward calls aten.nonzero, fake (no shape_env) "
     "raises DynamicOutputShapeException",
     "probe: OpInfo 'index_put' samples (backward)",
     lambda: ((_r(5, 5), [torch.tensor([True, False, True, False, True])], _r(5)), {}))
_bug("aten._linalg_svd.default", "backward", "spurious_error", "error",
     "complex64 input, full_matrices=False: the complex svd backward checks gauge invariance with allclose, "
     "fake raises DataDependentOutputException (aten.allclose)",
     TEST_OPS + ": fake_backward_skips ('linalg.svd', 'svd')",
     lambda: ((_r(4, 3, dtype=torch.complex64), False, True), {}))
# inner ops of the backward whose fake metadata differs while the final gradients agree
_bug("aten.logaddexp2.default", "backward", "stride", "inner:aten.pow.Scalar",
     "both operands permuted (4,5): inside the backward aten.pow.Scalar (2 ** x) returns a contiguous tensor in "
     "eager, fake keeps the permuted layout; final gradients agree",
     "probe: OpInfo 'logaddexp2' samples with transposed inputs (backward, inner ops)",
     lambda: ((_rt(4, 5), _rt(4, 5)), {}))
_bug("aten.remainder.Tensor", "backward", "stride", "inner:aten.div.Tensor_mode",
     "self permuted (4,5), other a 0-d tensor: inside the backward aten.div.Tensor_mode (floor) keeps the "
     "permuted layout in eager, fake returns contiguous; final gradients agree",
     "probe: OpInfo 'remainder' samples with transposed inputs (backward, inner ops)",
     lambda: ((_rt(4, 5), _u() + 0.5), {}))
_bug("aten.xlogy.Tensor", "backward", "stride", "inner:aten.xlogy.Tensor",
     "self (3,4,5) contiguous, other permuted (4,5) broadcast: inside the backward aten.xlogy.Tensor returns a "
     "contiguous tensor in eager, fake follows the permuted operand; final gradients agree",
     "probe: OpInfo 'xlogy' samples with transposed inputs (backward, inner ops)",
     lambda: ((_u(3, 4, 5), _u(5, 4).t()), {}))

# ============================== autocast ======================================================
_AC = ("float32 inputs under torch.autocast('cpu', bfloat16): the eager CPU kernel calls matmul internally, "
       "which autocast lowers, so eager returns bfloat16; fake returns float32")
_bug("aten.linalg_pinv.atol_rtol_tensor", "autocast", "dtype", "out[0].dtype", "input (4,5), atol/rtol None: " + _AC,
     TEST_OPS + ": fake_autocast_device_skips['cpu'] ('linalg.pinv'), fake_autocast_backward_xfails",
     lambda: ((_r(4, 5),), {}))
_bug("aten.linalg_pinv.atol_rtol_float", "autocast", "dtype", "out[0].dtype", "input (4,5), atol/rtol None: " + _AC,
     TEST_OPS + ": fake_autocast_device_skips['cpu'] ('linalg.pinv'), fake_autocast_backward_xfails",
     lambda: ((_r(4, 5),), {}))
_bug("aten.linalg_pinv.rcond_tensor", "autocast", "dtype", "out[0].dtype", "input (4,5), rcond tensor 1e-5: " + _AC,
     TEST_OPS + ": fake_autocast_backward_xfails ('pinverse', 'linalg.pinv')",
     lambda: ((_r(4, 5), torch.tensor(1e-5)), {}))
_bug("aten._cdist_forward.default", "autocast", "dtype", "out[0].dtype",
     "x1 (30,5), x2 (40,5), p=2, compute_mode None (more than 25 rows: the mm-based euclidean path): " + _AC,
     "probe: direct calls of CPU kernels that call matmul internally under autocast",
     lambda: ((_r(30, 5), _r(40, 5), 2.0, None), {}))


def _encoder_layer_args():
    e, h, f = 8, 2, 16
    return (_r(2, 3, e), e, h, _r(3 * e, e), _r(3 * e), _r(e, e), _r(e), True, False, 1e-5,
            torch.ones(e), torch.zeros(e), torch.ones(e), torch.zeros(e), _r(f, e), _r(f), _r(e, f), _r(e)), {}


_bug("aten._transformer_encoder_layer_fwd.default", "autocast", "dtype", "out[0].dtype",
     "src (2,3,8), embed 8, 2 heads, ffn 16, float32 weights: " + _AC.replace("matmul", "linear/matmul"),
     "probe: direct calls of CPU kernels that call matmul internally under autocast",
     _encoder_layer_args)
# BUGS_END


# ----------------------------------------------------------------------------------------------
# Negative controls and the table
# ----------------------------------------------------------------------------------------------

#: (description, mode, overload, make): calls whose fake result matches eager in that mode.
CONTROLS = (
    ("add.Tensor (5,7)+(5,7)", "symbolic", aten.add.Tensor, lambda: ((_r(5, 7), _r(5, 7)), {})),
    ("mm.default (5,7)@(7,3)", "symbolic", aten.mm.default, lambda: ((_r(5, 7), _r(7, 3)), {})),
    ("view.default to [Sym(35)]", "symbolic", aten.view.default, lambda: ((_r(5, 7), [Sym(35)]), {})),
    ("sum.dim_IntList dim=[1]", "symbolic", aten.sum.dim_IntList, lambda: ((_r(5, 7), [1]), {})),
    ("mul.Tensor, permuted operand", "backward", aten.mul.Tensor, lambda: ((_rt(5, 7), _r(5, 7)), {})),
    ("mm.default", "backward", aten.mm.default, lambda: ((_r(5, 7), _r(7, 3)), {})),
    ("sin.default, permuted", "backward", aten.sin.default, lambda: ((_rt(5, 7),), {})),
    ("mm.default float32", "autocast", aten.mm.default, lambda: ((_r(5, 7), _r(7, 3)), {})),
    ("addmm.default float32", "autocast", aten.addmm.default, lambda: ((_r(3), _r(5, 7), _r(7, 3)), {})),
    ("relu.default float32", "autocast", aten.relu.default, lambda: ((_r(5, 7),), {})),
)


def run_controls() -> list:
    dirty = []
    for desc, mode, op, make in CONTROLS:
        found = diff(op, make, mode) + (static_diff(op, make) if mode != "backward" else [])
        if found:
            dirty.append((desc, mode, found))
    return dirty


def check_with_python_dispatcher(bug: ModeBug) -> bool:
    """``bug.check()`` with ``torch._dispatch.python.enable_python_dispatcher()`` active on both sides,
    as torch.export / dynamo / make_fx run fake tensors. Most symbolic spurious errors and several
    specializations disappear there: they come from C++ kernels that run only without the Python
    dispatcher (which routes to the SymInt-aware Python meta functions and decompositions)."""
    from torch._dispatch.python import enable_python_dispatcher
    with enable_python_dispatcher():
        return bug.check()


def _result(bug: ModeBug, python_dispatcher: bool = False) -> str:
    try:
        return "yes" if (check_with_python_dispatcher(bug) if python_dispatcher else bug.check()) else "no"
    except Exception as e:  # noqa: BLE001
        text = str(e).splitlines()[0][:60] if str(e) else ""
        return f"error ({type(e).__name__}: {text})"


def main(argv: list[str]) -> int:
    details = "--details" in argv
    print(f"torch {torch.__version__}, {len(BUGS)} entries, {len(CONTROLS)} negative controls")
    print()
    rows = []
    for desc, mode, op, make in CONTROLS:
        found = diff(op, make, mode) + (static_diff(op, make) if mode != "backward" else [])
        rows.append((f"control: {desc}", mode, "-", "clean" if not found else f"DIRTY {found[:2]}"))
    results = [(b, _result(b)) for b in BUGS]
    rows = [r + ("",) for r in rows]
    rows += [(b.op, b.mode, b.category, r, _result(b, python_dispatcher=True)) for b, r in results]
    w = [max(len(r[k]) for r in rows + [("op", "mode", "category", "reproduces")]) for k in range(4)]
    print(f"{'op':<{w[0]}} | {'mode':<{w[1]}} | {'category':<{w[2]}} | {'reproduces':<{w[3]}} | "
          "with python dispatcher")
    print(f"{'-' * w[0]}-|-{'-' * w[1]}-|-{'-' * w[2]}-|-{'-' * w[3]}-|-----------------------")
    for i, (op, mode, cat, res, pyd) in enumerate(rows):
        print(f"{op:<{w[0]}} | {mode:<{w[1]}} | {cat:<{w[2]}} | {res:<{w[3]}} | {pyd}".rstrip())
        if details and i >= len(CONTROLS):
            b = results[i - len(CONTROLS)][0]
            try:
                for d in b.diffs():
                    print(f"{'':<{w[0]}}     {d.category}: {d.field}: real {d.real} | fake {d.fake}")
            except Exception as e:  # noqa: BLE001
                print(f"{'':<{w[0]}}     (details failed: {type(e).__name__}: {e})")
    yes = sum(r == "yes" for _, r in results)
    pyd = sum(r[4] == "yes" for r in rows[len(CONTROLS):])
    print()
    print(f"with the Python dispatcher enabled (as torch.export runs fake tensors): {pyd}/{len(BUGS)} still reproduce")
    print(f"{yes}/{len(BUGS)} entries reproduce; "
          + ", ".join(f"{m}: {sum(1 for b, r in results if b.mode == m and r == 'yes')}" for m in MODES))
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
