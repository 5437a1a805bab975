"""Schema-driven op-call strategy: a valid-looking call for ANY ATen overload.

Every argument type of the schema language is mapped (Tensor, Tensor?, Tensor[],
Tensor?[], int/SymInt, int[]/SymInt[] (fixed length too), float, bool, bool[N],
Scalar, Scalar[], ScalarType, Layout, Device, MemoryFormat, str with known choices,
optionals and defaults). Semantic refinements keyed on argument *names* keep calls
mostly valid: dims within rank (negative too), broadcast-compatible operands, index
tensors in range, shapes consistent with numel, dtype arguments drawn from dtypes.
Precise per-family strategies (families/) override arguments they know better.

A share of examples (``raw_probability``) skips every refinement on purpose: those
calls are mostly invalid and test that fake mode rejects what the kernel rejects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from crossref.check.catalog import OpEntry, functional_sibling
from crossref.check.opcall import (
    ALL_DTYPES,
    COMPLEX_DTYPES,
    DEVICE,
    INT_DTYPES,
    CallBuilder,
    OpCall,
    TensorRecipe,
    TensorSpec,
    differentiable,
)

from .families import refiner_for
from .families._common import NO_VALUE  # noqa: F401  (re-exported: "leave this argument out: use its default")
from .tensors import BOOLS, LAYOUTS, draw_tensor, dtypes, ints, shapes


_DIM_NAMES = frozenset({"dim", "dim0", "dim1", "dim2", "axis", "axis0", "axis1", "start_dim", "end_dim",
                        "source", "destination", "dimension", "batch_dim", "ch_axis"})
_DTYPE_NAMES = frozenset({"dtype", "out_dtype"})
_STR_CHOICES: dict[str, tuple[str | None, ...]] = {
    "reduce": ("sum", "prod", "mean", "amax", "amin"),
    "rounding_mode": ("trunc", "floor"),
    "approximate": ("none", "tanh"),
    "interpolation": ("linear", "lower", "higher", "midpoint", "nearest"),
    "side": ("left", "right"),
    "mode": ("constant", "reflect", "replicate", "circular", "reduced", "complete", "r"),
    "indexing": ("ij", "xy"),
    "norm": ("forward", "backward", "ortho"),
    "ord": ("fro", "nuc"),
    "UPLO": ("L", "U"),
    "padding": ("same", "valid"),
    "driver": ("gelsy", "gelsd", "gelss", "gels"),
    "equation": ("ij,jk->ik", "i,i->", "ij->ji", "bij,bjk->bik"),
}


@dataclass(slots=True)
class Ctx:
    """What a refiner and the generic filler know while drawing one call."""

    entry: OpEntry
    builder: CallBuilder
    draw: Callable
    refined: bool = True
    main: TensorSpec | None = None
    values: dict[str, Any] = field(default_factory=dict)
    avoid: frozenset[torch.dtype] = frozenset()  # dtypes the op's kernel refused: not drawn

    @property
    def shape(self) -> tuple[int, ...]:
        return self.main.size if self.main is not None else ()

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def dtype(self) -> torch.dtype:
        if self.main is None:
            return torch.float32
        return self.builder.storages[self.main.storage].dtype

    # ---- helpers the refiners share
    def tensor(self, **kwargs) -> TensorSpec:
        """A tensor of the call (``strategies.tensors.tensors`` arguments). The first one
        of an op with a memory_format argument is 4-d or 5-d two times in three, so that
        channels_last formats apply."""
        if self.main is None and kwargs.get("shape") is None and self.memory_format and self.draw(ints(0, 2)):
            kwargs["min_dims"] = kwargs["max_dims"] = self.choice((4, 5))
        if self.avoid and kwargs.get("dtype") is None and kwargs.get("value_range") is None:
            kwargs["dtype"] = self.draw(dtypes(include=tuple(d for d in ALL_DTYPES if d not in self.avoid)))
            if kwargs.get("requires_grad") and not differentiable(kwargs["dtype"]):
                kwargs["requires_grad"] = False
        return draw_tensor(self.draw, self.builder, **kwargs)

    def choice(self, options):
        """One of ``options`` (a sequence), uniformly; shrinks to the first. A draw of a
        cached integer strategy, not a new ``sampled_from`` each time (Hypothesis checks
        every new strategy object on its first draw)."""
        return options[self.draw(ints(0, len(options) - 1))]

    @property
    def memory_format(self) -> bool:
        return any(_real(a) in ("MemoryFormat", "Optional[MemoryFormat]") for a in self.entry.schema.arguments)

    def dim(self, rank: int | None = None) -> int:
        r = self.rank if rank is None else rank
        r = max(r, 1)
        return self.draw(ints(-r, r - 1))

    def dims(self, rank: int | None = None, *, min_size: int = 0) -> list[int]:
        r = self.rank if rank is None else rank
        if r == 0:
            return self.choice([[], [0], [-1]])
        chosen = self.draw(st.lists(ints(0, r - 1), unique=True, min_size=min(min_size, r), max_size=r))
        return [d - r if self.draw(BOOLS) else d for d in chosen]

    def broadcastable(self, shape: tuple[int, ...] | None = None) -> tuple[int, ...]:
        """A shape that broadcasts against ``shape`` (default: the main tensor's): the
        same (4 in 10), smaller (leading dims dropped, sizes set to 1, a 1 of ``shape``
        grown half the time: 3 in 10), 0-d (1 in
        10), larger (sizes of 1 grown, a leading dim added: it broadcasts the other way, 1
        in 10), or any shape (1 in 10, often an error)."""
        shape = self.shape if shape is None else shape
        how = self.draw(ints(0, 9))
        if how < 4:
            return shape
        if how < 7:  # a size of 1 in ``shape`` may be a larger size here: both broadcast
            drop = self.draw(ints(0, len(shape)))
            out = list(shape[drop:])
            return tuple(1 if self.draw(ints(0, 3)) == 0 else self.draw(ints(2, 3)) if s == 1 and self.draw(BOOLS)
                         else s for s in out)
        if how == 7:
            return ()
        if how == 8:
            grown = tuple(self.draw(ints(2, 3)) if s == 1 else s for s in shape)
            return ((self.draw(ints(2, 3)),) if grown == shape or self.draw(BOOLS) else ()) + grown
        return self.draw(shapes(max_dims=5))

    def scalar_for(self, dtype: torch.dtype) -> Any:
        if dtype == torch.bool:
            return self.draw(BOOLS)
        if dtype in INT_DTYPES:
            return self.draw(ints(0 if dtype == torch.uint8 else -4, 4))
        if dtype in COMPLEX_DTYPES and self.draw(BOOLS):
            return complex(self.draw(ints(-2, 2)), self.draw(ints(-2, 2)))
        return self.choice([0.5, -1.5, 2.0, 0.0, 1.0, -0.0, math.inf, math.nan])


def _real(arg) -> str:
    return str(arg.real_type)


def _is_out(arg) -> bool:
    return arg.kwarg_only and arg.alias_info is not None and arg.alias_info.is_write


def unsupported_reason(entry: OpEntry) -> str | None:
    """Why the generic filler cannot make up this overload's arguments, or None."""
    known = ("Tensor", "int", "bool", "float", "number", "str", "ScalarType", "Layout", "Device",
             "MemoryFormat", "complex", "Generator")
    for a in entry.schema.arguments:
        t = _real(a).replace("Optional[", "").replace("List[", "").replace("]", "")
        if t not in known:
            return f"argument {a.name} of type {_real(a)} is not generated"
    return None


def skip_reason(entry: OpEntry, devices: tuple[str, ...]) -> str | None:
    """Why the sweep does not test this overload on ``devices``, or None: the catalog's
    reason, an argument type the filler cannot make up, or no kernel on any of the
    devices. The suite skips its item with it and the summary lists it."""
    if entry.skip:
        return entry.skip
    reason = unsupported_reason(entry)
    if reason:
        return reason
    if not any(entry.runs_on(d) for d in devices):
        return f"no kernel on {', '.join(devices)}"
    return None


def _main_tensor(ctx: Ctx) -> None:
    """Draw the first tensor argument: it anchors shapes, dtypes and dims. An argument
    the caller fixed is not drawn: a fixed first tensor is the anchor."""
    for a in ctx.entry.schema.arguments:
        if a.name in ctx.values:
            value = ctx.values[a.name]
            first = value[0] if isinstance(value, list) and value else value
            if isinstance(first, TensorSpec):
                ctx.main = first
                return
            continue
        if _real(a) in ("Tensor", "Optional[Tensor]") and not _is_out(a):
            ctx.main = ctx.tensor()
            ctx.values[a.name] = ctx.main
            return
        if _real(a) == "List[Tensor]":
            first = ctx.tensor()
            ctx.main = first
            rest = [ctx.tensor(shape=_list_member_shape(ctx, first.size),
                               dtype=ctx.dtype if ctx.draw(ints(0, 3)) else None)
                    for _ in range(ctx.draw(ints(0, 2)))]
            ctx.values[a.name] = [first, *rest]
            return


def _list_member_shape(ctx: Ctx, first: tuple[int, ...]) -> tuple[int, ...] | None:
    """Another member of a Tensor[] argument: the first's shape (half the time), that
    shape with dim 0 changed (as cat takes them: a quarter), or any (None: a quarter)."""
    how = ctx.draw(ints(0, 3))
    if how < 2:
        return first
    if how == 2 and first:
        return (ctx.draw(ints(0, 4)),) + tuple(first[1:])
    return None


def _written(a) -> bool:
    """A positional argument the op writes (``Tensor(a!) out`` of a custom op)."""
    return not a.kwarg_only and a.alias_info is not None and a.alias_info.is_write


def _tensor_arg(ctx: Ctx, a) -> Any:
    name = a.name
    if not ctx.refined:
        return ctx.tensor()
    if name in ("index", "indices") :
        dim = ctx.values.get("dim")
        size = ctx.shape[dim] if isinstance(dim, int) and ctx.rank and -ctx.rank <= dim < ctx.rank else (min(ctx.shape) if ctx.shape else 1)
        shape = ctx.draw(shapes(max_dims=max(ctx.rank, 1), max_numel=16))
        if isinstance(dim, int) and ctx.rank and ctx.draw(BOOLS):
            # gather/scatter-like: as many dims as self, each no larger than self's
            shape = tuple(min(s, t) for s, t in zip(shape + (1,) * ctx.rank, ctx.shape))
        return ctx.tensor(shape=shape, dtype=torch.int64, value_range=(0, max(size, 1)), layouts=("contiguous", "permuted", "sliced", "offset"))
    if name == "mask":
        return ctx.tensor(shape=ctx.broadcastable(), dtype=torch.bool)
    dtype = ctx.dtype if ctx.draw(ints(0, 4)) else None
    if name in ("other", "tensor1", "tensor2", "exponent", "end", "weight", "src", "source", "values",
                "value", "input", "self", "grad_output", "grad", "target", "mat2", "vec"):
        return ctx.tensor(shape=ctx.broadcastable(), dtype=dtype)
    return ctx.tensor(shape=ctx.broadcastable(), dtype=dtype)


def _size_arg(ctx: Ctx, a) -> list[int]:
    """A size argument: consistent with the main tensor's numel or broadcast shape."""
    n = a.N
    if ctx.main is not None and a.name in ("size", "shape", "sizes"):
        numel = math.prod(ctx.shape)
        base = ctx.entry.base_name
        if base.startswith("expand") or base in ("broadcast_to",):
            target = list(ctx.shape)
            extra = ctx.draw(st.lists(ints(1, 3), max_size=2))
            target = [s if s != 1 or not ctx.draw(BOOLS) else ctx.draw(ints(1, 3)) for s in target]
            if ctx.draw(ints(0, 3)) == 0 and target:
                target[0] = -1
            return extra + target
        if base in ("view", "reshape", "_reshape_alias", "_unsafe_view", "view_copy", "_reshape_copy") or numel:
            factors = _factor_shape(ctx, numel)
            if factors and ctx.draw(ints(0, 4)) == 0:
                factors[ctx.draw(ints(0, len(factors) - 1))] = -1
            return factors
    if n:
        return [ctx.draw(ints(1, 3)) for _ in range(n)]
    return list(ctx.draw(shapes(max_dims=4, max_numel=32)))


def _factor_shape(ctx: Ctx, numel: int) -> list[int]:
    if numel == 0:
        shape = list(ctx.shape)
        return ctx.draw(st.permutations(shape)) if shape else [0]
    factors = []
    rest = numel
    for p in (2, 3, 5, 7):
        while rest % p == 0:
            factors.append(p)
            rest //= p
    if rest > 1:
        factors.append(rest)
    groups = ctx.draw(ints(1, max(len(factors), 1)))
    out = [1] * groups
    for f in factors:
        out[ctx.draw(ints(0, groups - 1))] *= f
    if ctx.draw(ints(0, 3)) == 0:
        out.insert(ctx.draw(ints(0, len(out))), 1)
    return out


def _int_arg(ctx: Ctx, a) -> int:
    name = a.name
    if not ctx.refined:
        return ctx.draw(ints(-3, 5))
    if name in _DIM_NAMES:
        return ctx.dim()
    if name in ("k",):
        size = max(ctx.shape[ctx.values["dim"]] if isinstance(ctx.values.get("dim"), int) and ctx.rank and -ctx.rank <= ctx.values["dim"] < ctx.rank else 1, 1)
        return ctx.draw(ints(1, size))
    if name in ("start", "end", "length", "index"):
        dim = ctx.values.get("dim")
        size = ctx.shape[dim] if isinstance(dim, int) and ctx.rank and -ctx.rank <= dim < ctx.rank else 3
        return ctx.draw(ints(-size, size))
    if name in ("step", "chunks", "sections", "split_size", "groups", "upscale_factor", "downscale_factor",
                "repeats", "n", "steps", "num_samples", "window_length", "minlength", "bins"):
        return ctx.draw(ints(1, 3))
    if name in ("reduction",):
        return ctx.draw(ints(0, 2))
    if name in ("ignore_index", "padding_idx", "blank"):
        return ctx.choice([-100, -1, 0])
    return ctx.draw(ints(-2, 4))


def _arg_value(ctx: Ctx, a) -> Any:
    t = _real(a)
    name = a.name
    optional = t.startswith("Optional[")
    inner = t[len("Optional["):-1] if optional else t
    has_default = a.has_default_value()  # an optional without a default must still be passed
    if inner == "Generator":
        return None
    if has_default and ctx.draw(ints(0, 2)) == 0:
        return NO_VALUE
    if optional and ctx.draw(ints(0, 3)) == 0:
        return None
    if inner == "Tensor":
        return _tensor_arg(ctx, a)
    if inner == "List[Tensor]" or inner == "List[Optional[Tensor]]":
        count = ctx.draw(ints(1, 3)) if ctx.refined else ctx.draw(ints(0, 3))
        if name == "indices" and ctx.main is not None:
            items = [_tensor_arg(ctx, a) for _ in range(min(count, max(ctx.rank, 1)))]
            if "Optional" in inner and items and ctx.draw(BOOLS):
                items[0] = None
            return items
        return [ctx.tensor(shape=ctx.shape if ctx.refined else None, dtype=ctx.dtype if ctx.refined else None) for _ in range(count)]
    if inner == "ScalarType" or (inner == "int" and name in _DTYPE_NAMES):
        return ctx.draw(dtypes())
    if inner == "Layout":
        return torch.strided
    if inner == "Device":
        return DEVICE
    if inner == "MemoryFormat":  # the channels-last format of the tensor's rank half the time
        choices = [torch.preserve_format, torch.contiguous_format]
        if ctx.rank in (4, 5):
            last = torch.channels_last if ctx.rank == 4 else torch.channels_last_3d
            choices = [choices[0], last, choices[1], last]
        return ctx.choice(choices)
    if inner == "bool":
        return ctx.draw(BOOLS)
    if inner == "List[bool]":
        return [ctx.draw(BOOLS) for _ in range(a.N or 3)]
    if inner == "int":
        return _int_arg(ctx, a)
    if inner == "List[int]":
        if name in ("dim", "dims") and ctx.refined:
            if ctx.entry.base_name in ("permute",):
                return list(ctx.draw(st.permutations(range(ctx.rank))))
            d = ctx.dims(min_size=1 if a.N else 0)
            return d[: a.N] if a.N and len(d) > a.N else d
        if name in ("size", "shape", "sizes") and ctx.refined:
            return _size_arg(ctx, a)
        if name == "stride" and "size" in ctx.values and isinstance(ctx.values["size"], list):
            from crossref.check.opcall import contiguous_strides

            return list(contiguous_strides(tuple(max(s, 0) for s in ctx.values["size"])))
        length = a.N or ctx.draw(ints(0 if not ctx.refined else 1, 3))
        return [ctx.draw(ints(0 if ctx.refined else -2, 3)) for _ in range(length)]
    if inner == "float":
        if name in ("eps",):
            return 1e-5
        if name in ("p", "dropout", "dropout_p", "momentum", "q", "alpha", "beta", "lambd"):
            return ctx.choice([0.5, 0.0, 1.0, 0.1])
        return ctx.choice([0.5, 1.0, -1.5, 2.0, 0.0])
    if inner == "List[float]":
        return [ctx.choice([1.0, 2.0, 0.5]) for _ in range(a.N or max(ctx.rank - 2, 1))]
    if inner == "number":
        return ctx.scalar_for(ctx.dtype if ctx.draw(ints(0, 3)) else ctx.draw(dtypes()))
    if inner == "List[number]":
        return [ctx.scalar_for(ctx.dtype) for _ in range(ctx.draw(ints(1, 3)))]
    if inner == "complex":
        return complex(ctx.draw(ints(-2, 2)), 1)
    if inner == "str":
        choices = _STR_CHOICES.get(name)
        if choices:
            return ctx.choice(choices)
        return "none"
    raise ValueError(f"{ctx.entry.name}: unmapped argument type {t} for {name}")


_OUT_LAYOUTS = tuple(x for x in LAYOUTS if x not in ("expanded", "overlapping", "aliased"))


def _out_arg(ctx: Ctx, a, expected: list[tuple[tuple[int, ...], torch.dtype]] | None, index: int) -> Any:
    """An out= tensor (or list): what the functional overload returns (empty, to be
    resized, or at the right size with any layout), and in a share of examples a
    wrong dtype or shape, to test that fake mode rejects what the kernel rejects.
    ``expected``: the functional sibling's outputs on meta, when it could be run."""
    if _real(a) == "List[Tensor]":
        if expected is not None:
            return [_out_arg_one(ctx, e) for e in expected]
        return [_out_arg_one(ctx, None) for _ in range(ctx.draw(ints(1, 3)))]
    return _out_arg_one(ctx, expected[index] if expected is not None and index < len(expected) else None)


def _out_arg_one(ctx: Ctx, expected: tuple[tuple[int, ...], torch.dtype] | None) -> TensorSpec:
    shape, dtype = expected if expected is not None else (ctx.shape, ctx.dtype)
    if dtype not in ALL_DTYPES:  # e.g. complex32 from float16 promoted with a complex scalar
        dtype = ctx.dtype
    how = ctx.draw(ints(0, 9))  # shrinks towards 0: the exact, empty out
    if how >= 9:
        dtype = ctx.draw(dtypes())
    if how == 8:
        return ctx.tensor(dtype=dtype, requires_grad=False, layouts=_OUT_LAYOUTS)
    if how < 4:
        return ctx.tensor(shape=(0,), dtype=dtype, layouts=("contiguous",), requires_grad=False)
    return ctx.tensor(shape=shape, dtype=dtype, requires_grad=False, layouts=_OUT_LAYOUTS)


def _meta_value(value: Any, storages) -> Any:
    if isinstance(value, TensorSpec):
        return torch.empty_strided(value.size, value.stride, dtype=storages[value.storage].dtype, device="meta")
    if isinstance(value, list):
        return [_meta_value(v, storages) for v in value]
    if isinstance(value, tuple):
        return tuple(_meta_value(v, storages) for v in value)
    if value is DEVICE:
        return torch.device("meta")
    return value


def _expected_outputs(ctx: Ctx) -> list[tuple[tuple[int, ...], torch.dtype]] | None:
    """Shapes and dtypes the out= overload should produce: its functional sibling run
    on meta tensors with the arguments drawn so far (None when it cannot be run)."""
    sibling = functional_sibling(ctx.entry)
    # Only kernels meant for meta tensors: a CompositeExplicitAutograd kernel may read
    # data, and a segfault here would kill the test process, not the isolated child.
    if sibling is None or not sibling.kernels & {"Meta", "CompositeImplicitAutograd"}:
        return None
    kwargs = {}
    for a in sibling.schema.arguments:
        value = ctx.values.get(a.name, NO_VALUE)
        if value is not NO_VALUE:
            kwargs[a.name] = _meta_value(value, ctx.builder.storages)
    try:
        out = sibling.op(**kwargs)
    except Exception:  # noqa: BLE001 - an invalid call has no expected output
        return None
    leaves = out if isinstance(out, (tuple, list)) else (out,)
    if not all(isinstance(t, torch.Tensor) for t in leaves):
        return None
    return [(tuple(t.shape), t.dtype) for t in leaves]


def _fixed(ctx: Ctx, value: Any) -> Any:
    """A value the caller fixed for an argument: drawn when it is a strategy; standalone
    tensors (``TensorRecipe``, also inside lists) moved into the call's builder."""
    if isinstance(value, st.SearchStrategy):
        value = ctx.draw(value)
    if isinstance(value, torch.Tensor):
        raise InvalidArgument(f"a strategy drew the tensor {type(value).__name__}{tuple(value.shape)} for an "
                              "argument: draw tensors with crossref.tensors(...) (a recipe a repro can rebuild)")
    if isinstance(value, TensorRecipe):
        return ctx.builder.adopt(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, (TensorRecipe, st.SearchStrategy)) for v in value):
        return [_fixed(ctx, v) for v in value]
    if isinstance(value, tuple):
        return list(value)
    return value


@st.composite
def op_calls(draw, entry: OpEntry, *, raw_probability: float = 0.1, builder: CallBuilder | None = None,
             anchor: TensorSpec | None = None, avoid: frozenset[torch.dtype] = frozenset(),
             fixed: dict[str, Any] | None = None) -> OpCall:
    """A call of ``entry``'s overload. With probability ``raw_probability`` (default
    0.1) no refinement applies (expected invalid). Shrinks towards the refined call
    with the smallest tensors and the defaults. ``avoid``: dtypes not to draw for
    tensors (those the op's kernel refused), where another choice is left.

    ``fixed``: values for arguments by schema name, each a value or a strategy drawn
    per call (a tensor: ``tensors()`` with no builder); the others are drawn around
    them. ``crossref.check_op`` validates the names.

    ``builder``/``anchor``: draw into an existing builder with ``anchor`` (a tensor of
    that builder) as the first tensor argument; the other arguments are drawn around it
    by the generic filler. The stateful cache test applies ops to its pool this way.
    """
    if not 0.0 <= raw_probability <= 1.0:
        raise InvalidArgument(f"raw_probability={raw_probability!r} must be within [0, 1]")
    if anchor is not None and builder is None:
        raise InvalidArgument(f"anchor={anchor!r} needs the builder it belongs to")
    builder = CallBuilder() if builder is None else builder
    # High draws mean raw, so shrinking (towards 0) moves to a refined call.
    raw = anchor is None and raw_probability > 0 and draw(ints(0, 999)) >= 1000 - raw_probability * 1000
    ctx = Ctx(entry=entry, builder=builder, draw=draw, refined=not raw, avoid=avoid)
    if anchor is not None:
        first = next((a for a in entry.schema.arguments if _real(a) in ("Tensor", "Optional[Tensor]")), None)
        if first is not None:
            ctx.main = anchor
            ctx.values[first.name] = anchor
    refiner = refiner_for(entry) if ctx.refined and anchor is None else None
    if refiner is not None:
        ctx.values.update(refiner(ctx))
    refined = bool(ctx.values)
    if fixed:
        ctx.values.update({name: _fixed(ctx, value) for name, value in fixed.items()})
        if ctx.main is not None and ctx.main not in {v for v in ctx.values.values() if isinstance(v, TensorSpec)}:
            ctx.main = None  # the refiner's anchor was overridden
    if ctx.main is None:
        _main_tensor(ctx) if not refined else None
        if ctx.main is None:
            first = next((v for v in ctx.values.values() if isinstance(v, TensorSpec)), None)
            ctx.main = first
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    positional_gap = False
    expected: list | None | object = NO_VALUE
    out_index = 0
    for a in entry.schema.arguments:
        if a.name in ctx.values:
            value = ctx.values[a.name]
        elif _is_out(a) or entry.namespace != "aten" and _written(a) and ctx.main is not None:
            # out= tensors; a custom op's written tensors (mutates_args) other than its
            # first are drawn the same way: empty, to be resized, or of another shape.
            if expected is NO_VALUE:
                expected = _expected_outputs(ctx) if ctx.refined else None
            value = _out_arg(ctx, a, expected, out_index)
            out_index += 1
        else:
            value = _arg_value(ctx, a)
        ctx.values[a.name] = value
        if value is NO_VALUE:
            positional_gap = positional_gap or not a.kwarg_only
            continue
        if a.kwarg_only or positional_gap:
            kwargs[a.name] = value
        else:
            args.append(value)
    return builder.build(entry.name, args, kwargs, family=entry.family, refined=ctx.refined)
