"""OpCall: one ATen call as plain data, and how to build its inputs on a device.

A call never holds tensors. It holds *recipes*: ``StorageSpec`` (a flat buffer with a
dtype, a length and how its values are filled) and ``TensorSpec`` (a view geometry
over one storage: size, stride, storage offset, conj/neg bits). Two tensor arguments
that name the same storage alias each other. ``materialize`` builds fresh tensors
from the recipes, so the real run and the fake run each start from identical,
untouched inputs, and a repro script can rebuild them exactly.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Iterator

import torch
from torch.utils._pytree import tree_leaves, tree_map

from .. import _torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
COMPLEX_DTYPES = (torch.complex64, torch.complex128)
INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)
ALL_DTYPES = (torch.bool,) + INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES

FILLS = ("random", "specials", "zeros", "ones", "range", "unit", "captured")
#: Where a call came from (``OpCall.origin``): drawn by the strategies, read from a
#: corpus of calls real programs made, or seen while watching a program.
ORIGINS = ("drawn", "corpus", "watched")
#: How backward mode lays out the gradients it feeds in (grad_outputs): contiguous, with
#: the last two dims swapped in memory, or broadcast along dim 0 (a zero stride).
GRAD_LAYOUTS = ("contiguous", "transposed", "expanded")
#: What a call runs inside on a CUDA device (``OpCall.cuda_context``), on both sides:
#: one scaled-dot-product-attention backend alone (``torch.nn.attention.sdpa_kernel``),
#: or TF32 matmuls and convolutions on or off (torch's defaults: off for matmuls, on for
#: cuDNN convolutions). On the CPU they change nothing.
#: Where a storage stays when the call runs on an accelerator (``StorageSpec.host``).
HOSTS = ("cpu", "pinned")
CUDA_CONTEXTS = ("sdpa:flash", "sdpa:efficient", "sdpa:cudnn", "sdpa:math", "tf32:on", "tf32:off")


def differentiable(dtype: torch.dtype) -> bool:
    """Floating or complex: a tensor of ``dtype`` can require grad and carry a neg bit."""
    return dtype in FLOAT_DTYPES or dtype in COMPLEX_DTYPES


@dataclass(frozen=True, slots=True)
class StorageSpec:
    """A flat buffer: ``numel`` elements of ``dtype`` filled by ``fill``.

    ``fill``: ``random`` (normal floats, small ints, random bools), ``specials``
    (random with nan, inf, -inf, -0.0, 0 and large values mixed in where the dtype
    allows), ``zeros``, ``ones``, ``range`` (integers uniform in [low, high), used for
    index tensors), ``unit`` (uniform in [0, 1): probabilities) or ``captured`` (the
    values a watched program passed: ``data``, raw bytes of ``data_dtype``, its first
    ``numel`` elements cast to ``dtype``). ``seed`` fixes the values. ``host``: where
    the buffer stays when the call runs on an accelerator, one of ``HOSTS``: ``cpu`` (a
    CPU scalar tensor beside CUDA tensors, which kernels take; a CPU tensor of more
    elements, which they refuse; the source of a copy to the device) or ``pinned`` (page-
    locked CPU memory, as a non_blocking copy wants); "" on the call's device. On the
    CPU it changes nothing.
    """

    dtype: torch.dtype
    numel: int
    fill: str = "random"
    seed: int = 0
    low: int = 0
    high: int = 1
    requires_grad: bool = False
    data: bytes | None = None  # fill "captured": the values
    data_dtype: str = ""  # fill "captured": the dtype ``data`` holds
    host: str = ""

    def summary(self) -> StorageSpec:
        """This recipe without captured data: its values stand in by a plain fill (an
        integer storage keeps the range of its values, so that indices stay in range)."""
        if self.fill != "captured":
            return self
        values = storage_values(self)
        if self.dtype.is_floating_point or self.dtype.is_complex or self.dtype == torch.bool or not values.numel():
            return dataclasses.replace(self, fill="random", data=None, data_dtype="")
        return dataclasses.replace(self, fill="range", low=int(values.min()), high=int(values.max()) + 1, data=None,
                                   data_dtype="")


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """A tensor argument: a strided view over ``OpCall.storages[storage]``.

    ``view`` says how it is built: True, as ``base.as_strided(...)`` (a view, like a
    slice in user code); False, as a fresh tensor set onto the storage (not a view,
    like an ordinary allocation or a storage shared without a view relation).
    ``layout`` names the layouts it was drawn with, for reports and traits.
    """

    storage: int
    size: tuple[int, ...]
    stride: tuple[int, ...]
    offset: int = 0
    view: bool = False
    conj: bool = False
    neg: bool = False
    layout: tuple[str, ...] = ("contiguous",)


@dataclass(frozen=True, slots=True)
class Device:
    """Placeholder for the device under test in a call's arguments."""

    def __repr__(self) -> str:
        return "DEVICE"


DEVICE = Device()
NO_ARGUMENT = object()  # an argument left out of a call (OpCall.argument's default)


@dataclass(frozen=True, slots=True)
class TensorRecipe:
    """A tensor drawn on its own, outside any call (``crossref.tensors()`` with no
    builder): its view geometry and its storage. ``build`` makes the tensor; a call
    strategy given one as an argument (``op_calls(..., fixed=...)``) adds its storage to
    the call's."""

    spec: TensorSpec  # over storage 0: ``storage``
    storage: StorageSpec

    def build(self, device: str | torch.device = "cpu") -> torch.Tensor:
        """The tensor, made fresh on ``device``."""
        call = OpCall("aten.alias.default", (self.spec,), (), (self.storage,))
        return materialize(call, device)[2][0]

    def __repr__(self) -> str:
        return _describe(self.spec, (self.storage,))


@dataclass(frozen=True, slots=True)
class OpCall:
    """An ATen overload and its arguments as recipes.

    ``args``/``kwargs`` hold Python values, ``TensorSpec`` leaves (possibly inside
    lists, for Tensor[] arguments) and the ``DEVICE`` placeholder.
    """

    op: str  # "aten.add.Tensor"
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    storages: tuple[StorageSpec, ...]
    family: str = "other"
    refined: bool = True  # False: drawn from the raw schema, expected mostly invalid
    variant: str = ""  # how it was derived from a drawn call (strategies/variants.py), "" if drawn
    # How the compiler modes (crossref/check/modes.py) run it. ``dynamic``: symbolic mode's
    # dynamic dims, a bitmask per tensor argument in argument order (bit d: dim d is
    # dynamic; None: every dim of every input). ``grad_layout``: backward mode's
    # grad_outputs, one of GRAD_LAYOUTS.
    dynamic: tuple[int, ...] | None = None
    grad_layout: str = "contiguous"
    # Where it came from (ORIGINS) and, for a watched call, the program and the Python
    # frame that made it ("tests/test_model.py::test_train | model.py:42 (forward)").
    origin: str = "drawn"
    where: str = ""
    # On a CUDA device, what it runs inside (CUDA_CONTEXTS; "": nothing).
    cuda_context: str = ""

    def __repr__(self) -> str:
        return self.describe()

    def _repr_pretty_(self, p, cycle) -> None:  # what Hypothesis prints for a falsifying example
        p.text(self.describe())

    @property
    def overload(self) -> torch._ops.OpOverload:
        namespace, packet, overload = self.op.split(".", 2)
        return getattr(getattr(getattr(torch.ops, namespace), packet), overload)

    def argument(self, name: str, default: Any = None) -> Any:
        """The value passed for the schema argument ``name`` (``default`` when left out)."""
        names = [a.name for a in self.overload._schema.arguments]
        if name in names and names.index(name) < len(self.args):
            return self.args[names.index(name)]
        return dict(self.kwargs).get(name, default)

    def same_arguments(self, other: OpCall, names) -> bool:
        """Whether ``other`` passes the same values as this call for the schema arguments
        ``names``: tensors compared by geometry and storage recipe (not by index)."""
        def resolved(call: OpCall, value: Any) -> Any:
            if isinstance(value, TensorSpec):
                return dataclasses.replace(value, storage=0), call.storages[value.storage]
            if isinstance(value, (list, tuple)):
                return [resolved(call, v) for v in value]
            return value

        return all(resolved(self, self.argument(n, NO_ARGUMENT)) == resolved(other, other.argument(n, NO_ARGUMENT))
                   for n in names)

    @property
    def hosted(self) -> bool:
        """Whether a storage stays on the CPU when the call runs elsewhere: on the CPU
        such a call is the same as without it."""
        return any(s.host for s in self.storages)

    def runs_as_drawn_on(self, device: str) -> bool:
        """Whether running on ``device`` checks something this call's plain form does not:
        a host storage or a CUDA context changes nothing on the CPU."""
        return not (str(device).startswith("cpu") and (self.hosted or self.cuda_context))

    def leaves(self) -> Iterator[Any]:
        """Every argument value, lists and tuples walked: tensors, scalars, ``DEVICE``..."""
        return iter(tree_leaves((self.args, tuple(v for _, v in self.kwargs))))

    def tensor_specs(self) -> Iterator[TensorSpec]:
        for leaf in self.leaves():
            if isinstance(leaf, TensorSpec):
                yield leaf

    def with_tensor(self, old: TensorSpec, new: TensorSpec, storages) -> OpCall:
        """This call with every occurrence of ``old`` replaced by ``new``, over
        ``storages`` (which must hold ``new``'s storage)."""
        return self.with_tensors({old: new}, storages)

    def with_tensors(self, mapping: dict[TensorSpec, TensorSpec], storages=None, **changes) -> OpCall:
        """This call with every tensor ``t`` in ``mapping`` replaced by ``mapping[t]``,
        over ``storages`` (default: the call's own), other fields changed by ``changes``."""

        def swap(value: Any) -> Any:
            if isinstance(value, TensorSpec):
                return mapping.get(value, value)
            if isinstance(value, (list, tuple)):
                return type(value)(swap(v) for v in value)
            return value

        return dataclasses.replace(self, args=swap(self.args), kwargs=tuple((k, swap(v)) for k, v in self.kwargs),
                                   storages=tuple(self.storages if storages is None else storages), **changes)

    def compact(self) -> OpCall:
        """The same call without storages no tensor uses, each storage exactly as long as
        its tensors need (renumbered in order of first use)."""
        specs = list(dict.fromkeys(self.tensor_specs()))
        order = list(dict.fromkeys(t.storage for t in specs))
        need = {i: 0 for i in order}
        for t in specs:
            need[t.storage] = max(need[t.storage], storage_extent(t.size, t.stride, t.offset))
        storages = tuple(dataclasses.replace(self.storages[i], numel=need[i]) for i in order)
        index = {old: new for new, old in enumerate(order)}
        mapping = {t: dataclasses.replace(t, storage=index[t.storage]) for t in specs}
        if storages == self.storages and all(k == v for k, v in mapping.items()):
            return self
        return self.with_tensors(mapping, storages)

    def requiring_grad(self) -> OpCall:
        """This call with every floating or complex storage requiring grad (backward mode)."""
        storages = tuple(dataclasses.replace(s, requires_grad=True) if differentiable(s.dtype) else s
                         for s in self.storages)
        return self if storages == self.storages else dataclasses.replace(self, storages=storages)

    def dynamic_dims(self, index: int, ndim: int) -> tuple[bool, ...]:
        """Which dims of the ``index``-th tensor argument symbolic mode makes dynamic."""
        if self.dynamic is None:
            return (True,) * ndim
        mask = self.dynamic[index] if index < len(self.dynamic) else -1
        return tuple(bool(mask >> d & 1) for d in range(ndim))

    def describe_mode(self, mode: str) -> str:
        """``describe()`` plus what the mode adds: symbolic mode's static dims, backward
        mode's gradient layout."""
        text = self.describe()
        if mode == "symbolic" and self.dynamic is not None:
            text += f"  # dynamic dims per tensor (bitmask): {list(self.dynamic)}"
        elif mode == "backward":
            text += f"  # grad_outputs {self.grad_layout}"
        return text

    def dtypes(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for t in self.tensor_specs():
            seen[dtype_name(self.storages[t.storage].dtype)] = None
        return tuple(seen)

    def traits(self) -> frozenset[str]:
        """Input features that distinguish one finding from another of the same op."""
        out: set[str] = set()
        for t in self.tensor_specs():
            if len(t.size) == 0:
                out.add("0-d")
            if 0 in t.size:
                out.add("empty")
            out.update(x for x in t.layout if x != "contiguous")
        used = [t.storage for t in set(self.tensor_specs())]
        if len(set(used)) < len(used):
            out.add("aliased")
        if self.hosted:
            out.add("cpu-tensor")
        if self.cuda_context:
            out.add(self.cuda_context)
        if self.variant:
            out.add(f"variant:{self.variant}")
        return frozenset(out)

    def size_key(self) -> int:
        """How big the example is, for choosing the smallest of several."""
        return sum(s.numel for s in self.storages) + len(self.args) + len(self.kwargs)

    def describe(self) -> str:
        """The call as one readable line (the ``example`` column)."""
        parts = [_describe(a, self.storages) for a in self.args]
        parts += [f"{k}={_describe(v, self.storages)}" for k, v in self.kwargs]
        context = f"  # cuda: {self.cuda_context}" if self.cuda_context else ""
        return f"{self.op}({', '.join(parts)}){context}"


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def _describe(value: Any, storages: tuple[StorageSpec, ...]) -> str:
    if isinstance(value, TensorSpec):
        s = storages[value.storage]
        text = f"T{value.storage}:{dtype_name(s.dtype)}[{','.join(map(str, value.size))}]"
        extra = [x for x in value.layout if x != "contiguous"]
        if extra or value.offset or value.view:
            text += f"(stride={value.stride},offset={value.offset}{',' if extra else ''}{','.join(extra)})"
        if s.requires_grad:
            text += "(requires_grad)"
        if s.host:
            text += f"@{s.host}"
        return text
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_describe(v, storages) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f"float('{value}')"
    return repr(value)


# --------------------------------------------------------------------------- building


def contiguous_strides(size: tuple[int, ...]) -> tuple[int, ...]:
    strides, acc = [], 1
    for s in reversed(size):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


def storage_extent(size: tuple[int, ...], stride: tuple[int, ...], offset: int) -> int:
    """Elements a view needs in its storage (0 for an empty view)."""
    if any(s == 0 for s in size):
        return offset
    return offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))


def storage_values(spec: StorageSpec) -> torch.Tensor:
    """The buffer's values on CPU: deterministic in ``spec``."""
    g = torch.Generator().manual_seed(spec.seed)
    n, dtype = spec.numel, spec.dtype
    if spec.fill == "captured":
        kept = getattr(torch, spec.data_dtype or "uint8")
        held = torch.frombuffer(bytearray(spec.data), dtype=kept) if spec.data else torch.zeros(0, dtype=kept)
        values = held[:n].to(dtype)
        return values if values.numel() == n else torch.cat([values, torch.zeros(n - values.numel(), dtype=dtype)])
    if spec.fill == "zeros":
        return torch.zeros(n, dtype=dtype)
    if spec.fill == "ones":
        return torch.ones(n, dtype=dtype)
    if spec.fill == "range":
        return torch.randint(spec.low, max(spec.high, spec.low + 1), (n,), generator=g).to(dtype)
    if spec.fill == "unit":
        return torch.rand(n, generator=g, dtype=torch.float64).to(dtype)
    if dtype == torch.bool:
        return torch.randint(0, 2, (n,), generator=g).to(torch.bool)
    if dtype in INT_DTYPES:
        low = 0 if dtype == torch.uint8 else -5
        return torch.randint(low, 10, (n,), generator=g).to(dtype)
    base = torch.randn(n, generator=g, dtype=torch.float64)
    if dtype in COMPLEX_DTYPES:
        values = torch.complex(base, torch.randn(n, generator=g, dtype=torch.float64)).to(dtype)
    else:
        values = base.to(dtype)
    if spec.fill == "specials" and n:
        specials = torch.tensor([math.nan, math.inf, -math.inf, -0.0, 0.0, 1e4], dtype=torch.float64)
        picks = torch.randint(0, 2, (n,), generator=g).bool()
        which = specials[torch.randint(0, len(specials), (n,), generator=g)]
        values = torch.where(picks, which.to(values.dtype), values)
    return values


def materialize(call: OpCall, device: str | torch.device, memo: dict | None = None, *, values: bool = True,
                ) -> tuple[tuple[Any, ...], dict[str, Any], list[torch.Tensor]]:
    """(args, kwargs, input tensors in argument order) for ``call`` on ``device``.

    Fresh tensors every time, unless ``memo`` is given: then storages and tensors built
    once are reused from it (the stateful cache test keeps one pool of real tensors
    across many calls; in-place calls mutate its members). ``values=False`` leaves the
    floating storages uninitialized: for tensors that only become fakes, making their
    values is wasted work. Integer and bool storages are always filled: fake mode can
    read a small integer tensor's value (tensor_split's section count under a
    ShapeEnv), and garbage there answers for a different call.
    """
    if memo is None:
        bases: dict[tuple[int, StorageSpec], torch.Tensor] = {}
        built: dict[TensorSpec, torch.Tensor] = {}
    else:
        bases = memo.setdefault("bases", {})
        built = memo.setdefault("built", {})
    for i, spec in enumerate(call.storages):
        if (i, spec) not in bases:  # a storage grown by a later draw is a new buffer
            filled = values or not differentiable(spec.dtype)
            made = storage_values(spec) if filled else torch.empty(spec.numel, dtype=spec.dtype)
            if not spec.host:
                made = made.to(device)
            elif spec.host == "pinned" and torch.device(device).type not in ("cpu", "meta"):  # pinning needs an accelerator
                made = made.pin_memory()
            bases[(i, spec)] = made
    inputs: list[torch.Tensor] = []

    def build(value: Any) -> Any:
        if isinstance(value, TensorSpec):
            t = built.get(value)
            if t is None:
                storage = call.storages[value.storage]
                t = _build_tensor(value, storage, bases[(value.storage, storage)])
                built[value] = t
            inputs.append(t)
            return t
        if value is DEVICE:
            return torch.device(device)
        return value

    args = tuple(tree_map(build, a) for a in call.args)
    kwargs = {k: tree_map(build, v) for k, v in call.kwargs}
    return args, kwargs, inputs


def _build_tensor(spec: TensorSpec, storage: StorageSpec, base: torch.Tensor) -> torch.Tensor:
    if spec.view:
        if storage.requires_grad and base.is_leaf and not base.requires_grad:
            base.requires_grad_(True)
        t = base.as_strided(spec.size, spec.stride, spec.offset)
    else:
        t = torch.empty(0, dtype=storage.dtype, device=base.device)
        t.set_(base.untyped_storage(), spec.offset, spec.size, spec.stride)
        if storage.requires_grad:
            t.requires_grad_(True)
    if spec.conj:
        t = t.conj()
    if spec.neg:
        t = _torch.neg_view(t)
    return t


@dataclass(slots=True)
class CallBuilder:
    """Accumulates storages while a strategy draws the arguments of one call."""

    storages: list[StorageSpec] = field(default_factory=list)

    def add_storage(self, spec: StorageSpec) -> int:
        self.storages.append(spec)
        return len(self.storages) - 1

    def adopt(self, recipe: TensorRecipe) -> TensorSpec:
        """A standalone tensor's spec over a storage of this builder (its own, added)."""
        return dataclasses.replace(recipe.spec, storage=self.add_storage(recipe.storage))

    def build(self, op: str, args, kwargs, family: str = "other", refined: bool = True) -> OpCall:
        return OpCall(
            op=op,
            args=tuple(args),
            kwargs=tuple(kwargs.items()) if isinstance(kwargs, dict) else tuple(kwargs),
            storages=tuple(self.storages),
            family=family,
            refined=refined,
        )


# --------------------------------------------------------------------------- as JSON
#
# A call written into a report (findings.parquet's ``call`` column), so that a later
# process can rebuild it exactly: ``crossref impact`` replays a finished run's shrunk
# calls through torch.compile. Recipes only, no tensor data: the values are the
# storages' fills and seeds.

CALL_FORMAT = 1


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, complex):
        return {"complex": [_encode(value.real), _encode(value.imag)]}
    if isinstance(value, TensorSpec):
        return {"tensor": {"storage": value.storage, "size": list(value.size), "stride": list(value.stride),
                           "offset": value.offset, "view": value.view, "conj": value.conj, "neg": value.neg,
                           "layout": list(value.layout)}}
    if value is DEVICE:
        return {"device": "DEVICE"}
    if isinstance(value, torch.device):
        return {"device": str(value)}
    if isinstance(value, torch.dtype):
        return {"dtype": dtype_name(value)}
    if isinstance(value, torch.layout):
        return {"layout": str(value).removeprefix("torch.")}
    if isinstance(value, torch.memory_format):
        return {"memory_format": str(value).removeprefix("torch.")}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    raise TypeError(f"a call argument of type {type(value).__name__} ({value!r}) cannot be written as JSON")


def _torch_attr(name: str, kind: type) -> Any:
    value = getattr(torch, name, None)
    if not isinstance(value, kind):
        raise ValueError(f"torch has no {kind.__name__} named {name!r}")
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    (kind, body), = value.items()
    if kind == "float":
        return float(body)
    if kind == "complex":
        return complex(_decode(body[0]), _decode(body[1]))
    if kind == "tensor":
        return TensorSpec(storage=body["storage"], size=tuple(body["size"]), stride=tuple(body["stride"]),
                          offset=body["offset"], view=body["view"], conj=body["conj"], neg=body["neg"],
                          layout=tuple(body["layout"]))
    if kind == "device":
        return DEVICE if body == "DEVICE" else torch.device(body)
    if kind == "dtype":
        return _torch_attr(body, torch.dtype)
    if kind == "layout":
        return _torch_attr(body, torch.layout)
    if kind == "memory_format":
        return _torch_attr(body, torch.memory_format)
    if kind == "tuple":
        return tuple(_decode(v) for v in body)
    raise ValueError(f"unknown value kind {kind!r}")


#: Captured values a call's JSON carries, at most (bytes per storage); a larger storage
#: is written as its ``summary`` (a plain fill).
MAX_JSON_DATA = 1 << 16


def _storage_json(s: StorageSpec, data: bool) -> dict:
    if s.fill == "captured" and (not data or len(s.data or b"") > MAX_JSON_DATA):
        s = s.summary()
    out = {"dtype": dtype_name(s.dtype), "numel": s.numel, "fill": s.fill, "seed": s.seed, "low": s.low,
           "high": s.high, "requires_grad": s.requires_grad}
    if s.fill == "captured":
        import base64

        out.update(data=base64.b64encode(s.data or b"").decode("ascii"), data_dtype=s.data_dtype)
    if s.host:
        out["host"] = s.host
    return out


def call_to_json(call: OpCall, *, data: bool = True) -> str:
    """``call`` as one line of JSON (``call_from_json`` reads it back to an equal call).
    ``data=False``: no captured values (a corpus line): captured storages are written as
    their ``summary``, as are those over ``MAX_JSON_DATA`` bytes anyway. Raises
    TypeError for an argument value it cannot write."""
    import json

    return json.dumps({
        "format": CALL_FORMAT, "op": call.op, "args": _encode(list(call.args)),
        "kwargs": [[k, _encode(v)] for k, v in call.kwargs], "storages": [_storage_json(s, data) for s in call.storages],
        "family": call.family, "refined": call.refined, "variant": call.variant,
        "dynamic": list(call.dynamic) if call.dynamic is not None else None, "grad_layout": call.grad_layout,
        "origin": call.origin, "where": call.where, **({"cuda_context": call.cuda_context} if call.cuda_context else {}),
    }, separators=(",", ":"), allow_nan=False)


def _host(value: str) -> str:
    if value not in ("", *HOSTS):
        raise ValueError(f"unknown storage host {value!r} (one of {', '.join(HOSTS)})")
    return value


def call_from_json(text: str) -> OpCall:
    """The call ``call_to_json`` wrote. Raises ValueError naming what it cannot read."""
    import base64
    import binascii
    import json

    try:
        data = json.loads(text)
        if data.get("format") != CALL_FORMAT:
            raise ValueError(f"call format {data.get('format')!r} (this crossref reads {CALL_FORMAT})")
        if data.get("cuda_context", "") not in ("", *CUDA_CONTEXTS):
            raise ValueError(f"unknown cuda_context {data['cuda_context']!r} (one of {', '.join(CUDA_CONTEXTS)})")
        storages = tuple(StorageSpec(dtype=_torch_attr(s["dtype"], torch.dtype), numel=s["numel"], fill=s["fill"],
                                     seed=s["seed"], low=s["low"], high=s["high"], requires_grad=s["requires_grad"],
                                     data=base64.b64decode(s["data"]) if "data" in s else None,
                                     data_dtype=s.get("data_dtype", ""), host=_host(s.get("host", "")))
                         for s in data["storages"])
        return OpCall(op=data["op"], args=tuple(_decode(data["args"])),
                      kwargs=tuple((k, _decode(v)) for k, v in data["kwargs"]), storages=storages,
                      family=data["family"], refined=data["refined"], variant=data["variant"],
                      dynamic=tuple(data["dynamic"]) if data["dynamic"] is not None else None,
                      grad_layout=data["grad_layout"], origin=data.get("origin", "drawn"),
                      where=data.get("where", ""), cuda_context=data.get("cuda_context", ""))
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError, binascii.Error) as exc:
        raise ValueError(f"not a crossref call: {type(exc).__name__}: {exc}") from None
