"""Every private PyTorch API crossref touches, in one place.

torch._subclasses, torch._C and friends move between releases. Each use below says
why the public API is not enough, so that a torch upgrade that breaks one touches
this file alone (tests/test_torch_api.py checks each against the installed torch).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from typing import Any, Iterator

import torch

# FakeTensorMode is the object under test; there is no public spelling of it.
from torch._subclasses.fake_tensor import (  # noqa: F401
    DataDependentOutputException,
    DynamicOutputShapeException,
    FakeTensorMode,
    UnsupportedOperatorException,
)

# The readers every repro script needs too (a tensor's storage identity, a symbolic
# size's hint and range) live in compare.py, which repros embed verbatim; re-exported
# here, canary-tested in tests/test_torch_api.py like everything else here.
from .check.compare import StorageWeakRef, hint, is_symbolic, storage_key, value_range  # noqa: F401,E402

_FAKE_LOGGER = "torch._subclasses.fake_tensor"

#: Exceptions by which fake mode declares "I cannot answer this without data".
#: They are limitations, not bugs: the oracle files them under ``unsupported``.
DECLARED_LIMITATIONS: tuple[type[BaseException], ...] = (
    DynamicOutputShapeException,
    DataDependentOutputException,
    UnsupportedOperatorException,
)
try:  # data-dependent guards raise this; it moved between releases
    from torch.fx.experimental.symbolic_shapes import GuardOnDataDependentSymNode

    DECLARED_LIMITATIONS += (GuardOnDataDependentSymNode,)
except ImportError:  # pragma: no cover - older torch
    pass


def new_fake_mode(*, cache: bool = True, torch_crosscheck: bool = False) -> FakeTensorMode:
    """A fresh mode, built the way torch.compile builds one for static shapes.

    ``cache=False`` turns its dispatch cache off (every call computed fresh);
    ``torch_crosscheck=True`` turns on torch's own check that recomputes each cache hit
    and raises when it differs. Both are attributes the constructor sets from
    torch._dynamo.config; setting them on the instance leaves the global config alone.
    """
    mode = FakeTensorMode(allow_non_fake_inputs=False)
    mode.cache_enabled = bool(cache) and mode.cache_enabled
    mode.cache_crosscheck_enabled = bool(torch_crosscheck)
    return mode


def clear_fake_cache() -> None:
    """Empty the process-global dispatch cache (a class attribute of FakeTensorMode)."""
    FakeTensorMode.cache_clear()


def fake_cache_info() -> dict[str, Any]:
    """The process-global cache counters, as plain values."""
    info = FakeTensorMode.cache_info()
    return {
        "hits": int(info.hits),
        "misses": int(info.misses),
        "bypasses": {str(k): int(v) for k, v in dict(info.bypasses).items()},
        "size": int(info.size),
    }


def cache_counters() -> tuple[int, int, dict[str, int]]:
    """(hits, misses, bypasses by reason) right now, cheaply (no size computation)."""
    return (int(FakeTensorMode.cache_hits), int(FakeTensorMode.cache_misses),
            {str(k): int(v) for k, v in FakeTensorMode.cache_bypasses.items()})


class _QuietFilter(logging.Filter):
    """Drops fake mode's log records while crossref is inside a fake call."""

    depth = 0

    def filter(self, record: logging.LogRecord) -> bool:
        return self.depth == 0


_QUIET = _QuietFilter()


@contextlib.contextmanager
def quiet_fake_logging() -> Iterator[None]:
    """Silence fake mode's ERROR traceback for every failed meta call.

    FakeTensorMode logs a full traceback (``failed while attempting to run meta``)
    before re-raising. crossref captures the exception itself as data, so the log
    line is pure cost: formatting it dominates the time of a failing call and floods
    the output. A filter on that one logger drops its records inside the block (and
    only there). A filter, not ``setLevel``: setLevel clears every logger's level
    cache, which profiling showed costs about 1 ms per call.
    """
    logger = logging.getLogger(_FAKE_LOGGER)
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)
    _QUIET.depth += 1
    try:
        yield
    finally:
        _QUIET.depth -= 1


def neg_view(t: torch.Tensor) -> torch.Tensor:
    """A view of t with the negative bit set (only reachable through torch._neg_view)."""
    return torch._neg_view(t)


def all_schemas(namespaces=lambda namespace: True) -> list[torch._C.FunctionSchema]:
    """Every registered schema whose namespace passes the filter (custom ops registered
    with torch.library are listed too). torch.ops is lazy and has no listing of its own."""
    return [s for s in torch._C._jit_get_all_schemas() if namespaces(s.name.split("::", 1)[0])]


def custom_op_overload(obj) -> torch._ops.OpOverload | None:
    """The OpOverload of a torch.library.custom_op function (a CustomOpDef), else None.
    CustomOpDef keeps it in a private attribute."""
    try:
        from torch._library.custom_ops import CustomOpDef
    except ImportError:
        return None
    return obj._opoverload if isinstance(obj, CustomOpDef) else None


def _opdefs() -> dict:
    """torch.library.custom_op's registry of its ops, qualified name -> CustomOpDef
    (private: torch._library.custom_ops.OPDEFS); empty where torch has none."""
    try:
        from torch._library.custom_ops import OPDEFS
    except ImportError:
        return {}
    return dict(OPDEFS)


def _module_of(opdef) -> str | None:
    return getattr(getattr(opdef, "_init_fn", None), "__module__", None)


def custom_op_modules() -> list[str]:
    """The modules torch.library.custom_op ops were defined in."""
    return list(dict.fromkeys(m for m in map(_module_of, _opdefs().values()) if m))


def defining_module(qualname: str) -> str | None:
    """The module whose function torch.library.custom_op made the op ``ns::name`` of
    (for an op defined with a Library: that of a custom_op of the same namespace), or None."""
    opdefs = _opdefs()
    opdef = opdefs.get(qualname)
    if opdef is None:  # an op defined with a Library: a custom_op of its namespace says where it lives
        namespace = qualname.split("::", 1)[0] + "::"
        opdef = next((d for name, d in opdefs.items() if name.startswith(namespace)), None)
    return _module_of(opdef)


def dispatcher_op_names() -> frozenset[str]:
    """Names (ns::name.overload) the dispatcher knows; the JIT registry also lists
    TorchScript-only builtins such as aten::sin.int that no tensor call reaches."""
    return frozenset(torch._C._dispatch_get_all_op_names())


def has_kernel(qualified_name: str, dispatch_key: str) -> bool:
    """Whether the dispatcher holds a kernel for the op (aten::name.overload) under a key."""
    try:
        return bool(torch._C._dispatch_has_kernel_for_dispatch_key(qualified_name, dispatch_key))
    except RuntimeError:
        return False


# --------------------------------------------------------------------------- symbolic shapes
# torch.export and torch.compile(dynamic=True) trace with a ShapeEnv: fakes whose sizes
# are SymInts. There is no public way to build one outside a tracer; these are the
# pieces torch._dynamo itself uses (variables/builder.py wraps inputs the same way).

from torch.fx.experimental.symbolic_shapes import (  # noqa: E402
    DimDynamic,
    ShapeEnv,
    StatelessSymbolicContext,
)


_TRACE_LOGGER = "torch.__trace"


def new_symbolic_mode() -> tuple[FakeTensorMode, ShapeEnv]:
    """A fake mode with a fresh ShapeEnv, as torch.export builds one (no dispatch cache:
    a symbolic run is compared with the kernel, not with the cache).

    torch's structured trace logger (TORCH_TRACE) is enabled at DEBUG whether or not a
    trace is being written, and every symbol and fake conversion emits a record to it:
    a tenth of a symbolic check. Unless TORCH_TRACE is set, it is raised to WARNING once."""
    trace = logging.getLogger(_TRACE_LOGGER)
    if trace.level < logging.WARNING and not os.environ.get("TORCH_TRACE"):
        trace.setLevel(logging.WARNING)
    env = ShapeEnv()
    mode = FakeTensorMode(shape_env=env, allow_non_fake_inputs=False)
    mode.cache_enabled = False
    return mode, env


def python_dispatcher():
    """The Python dispatcher, which torch.export, make_fx and AOTAutograd switch on while
    they trace with symbolic shapes: ops then reach their Python meta registrations and
    decompositions (SymInt-aware) instead of C++ kernels that want concrete sizes.
    Tracing without it raises errors no compiler user sees."""
    from torch._dispatch.python import enable_python_dispatcher

    return enable_python_dispatcher()


def symbolic_fake(mode: FakeTensorMode, t: torch.Tensor, name: str, dynamic: tuple[bool, ...]) -> torch.Tensor:
    """``mode.from_tensor`` with the dims where ``dynamic`` is true marked dynamic (each
    gets a backed symbol; the ShapeEnv still specializes sizes 0 and 1), the rest static.
    ``name`` is the input's source name, as guards print it."""
    from torch._dynamo.source import LocalSource

    sizes = [DimDynamic.DYNAMIC if d else DimDynamic.STATIC for d in dynamic]
    return mode.from_tensor(t, source=LocalSource(name), symbolic_context=StatelessSymbolicContext(dynamic_sizes=sizes))


def symbolic_int(env: ShapeEnv, value: int, name: str) -> Any:
    """An int argument as a backed SymInt with hint ``value`` (how dynamo wraps an int
    input it treats as dynamic); 0 and 1 stay plain ints there too."""
    from torch._dynamo.source import ConstantSource

    return env.create_unspecified_symint_and_symbol(value, ConstantSource(name), DimDynamic.DYNAMIC)


def input_symbol(x: Any) -> Any:
    """The sympy symbol of a SymInt made from an input (None for a constant)."""
    if isinstance(x, torch.SymInt) and x.node.expr.is_symbol:
        return x.node.expr
    return None


def specializations(env: ShapeEnv, symbols: dict) -> list[tuple[Any, str]]:
    """Input symbols (``symbols``: symbol -> what it is) the ShapeEnv has fixed to a
    number, each with the guard that did it. A replacement by a number, or a value range
    of one point, is a specialization; a replacement by another symbol (broadcasting's
    equal sizes) is not."""
    found = []
    for sym in symbols:
        target = env.replacements.get(sym)
        fixed = target is not None and target.is_number
        if not fixed:
            vr = env.var_to_range.get(sym)
            fixed = vr is not None and vr.is_singleton()
        if fixed:
            # The guard that fixed it: of those naming the symbol, the one with fewest symbols.
            named = [g.expr for g in env.guards if sym in g.expr.free_symbols]
            guard = str(min(named, key=lambda e: len(e.free_symbols))) if named else None
            found.append((sym, guard or f"Eq({sym}, {target if target is not None else env.var_to_range[sym].lower})"))
    return found


# --------------------------------------------------------------------------- dispatch


from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402  (public in use, private in path)


class OpLog(TorchDispatchMode):
    """Records every ATen op that runs under it and what it returned (``describe(out)``
    for each), in order: how backward mode sees the ops inside a backward pass. Pushed
    above a FakeTensorMode it sees the fake calls before fake mode answers them."""

    def __init__(self, describe) -> None:
        super().__init__()
        self.describe = describe
        self.calls: list[tuple[str, Any]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = str(func)
        if name.startswith("aten."):  # not fake mode's own queries (prim.device) of its tensors
            self.calls.append((name, self.describe(out)))
        return out


# --------------------------------------------------------------------------- where a fake answer comes from
# Fake mode answers an op from Python (a meta registration, a decomposition, a reference,
# a handler in fake_impls, a custom op's fake kernel) or from a C++ meta kernel, and
# records nothing of which. crossref watches the Python calls of one fake run
# (sys.setprofile) and names the outermost implementation function that ran. Which files
# hold implementations is torch's source layout: it lives here.

import sys  # noqa: E402
import sysconfig  # noqa: E402

_TORCH_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__))) + os.sep
#: Files (relative to torch's parent folder) whose functions compute fake answers.
IMPL_PATHS = ("torch/_meta_registrations.py", "torch/_decomp/", "torch/_refs/", "torch/_prims/")
#: fake_impls.py also holds the predicates fake mode asks before it picks a handler:
#: only its registered handlers (and the fast binary path they share) are implementations.
_FAKE_IMPLS_PATH = "torch/_subclasses/fake_impls.py"
#: Wrappers shared by many implementations (out=, type promotion, opmath casts): not the
#: op's own function, but the cause of what they do to every op they wrap (resizing out=).
WRAPPER_PATHS = ("torch/_prims_common/wrappers.py", "torch/_decomp/decompositions.py:type_casts",
                 "torch/_decomp/__init__.py:_convert_out_params",
                 "torch/_subclasses/fake_impls.py:dispatch_to_op_implementations_dict")
#: What calls a custom op's fake kernel: torch.library's machinery (register_fake), or
#: an OpOverload call, through the dispatcher, for a kernel a Library registered for Meta.
_LIBRARY_PATHS = ("torch/_library/", "torch/library.py", "torch/_ops.py")
_FAKE_TENSOR_PATH = "torch/_subclasses/fake_tensor.py"


def _relative(filename: str) -> str:
    path = os.path.abspath(filename)
    return path[len(_TORCH_PARENT):].replace(os.sep, "/") if path.startswith(_TORCH_PARENT) else ""


def _qualname(code) -> str:
    return getattr(code, "co_qualname", code.co_name)  # co_qualname: Python 3.11+


def _code_kind(code) -> str:
    """``impl``, ``wrapper``, ``library``, ``dispatch`` (fake mode's entry), ``torch``
    (other torch code) or ``other`` (anything outside torch)."""
    rel = _relative(code.co_filename)
    if not rel:
        return "other"
    where = f"{rel}:{_qualname(code)}"
    if any(where.startswith(p) for p in WRAPPER_PATHS):
        return "wrapper"
    if rel.startswith(IMPL_PATHS) and _qualname(code).split(".<locals>.")[0].endswith("_wrapper"):
        return "wrapper"  # _refs' _inplace_wrapper and the like
    if rel.startswith(IMPL_PATHS):
        return "impl"
    if rel == _FAKE_IMPLS_PATH:
        return "impl" if code in _fake_impl_handlers() or _qualname(code).startswith("make_fast_binary_impl") else "torch"
    if rel.startswith(_LIBRARY_PATHS):
        return "library"
    if rel == _FAKE_TENSOR_PATH and code.co_name == "__torch_dispatch__":
        return "dispatch"
    if rel == _FAKE_TENSOR_PATH and code.co_name == "run_fallback_kernel":
        return "impl"  # no meta kernel: fake mode runs the real kernel on zeros of the inputs' shapes
    return "torch"


@functools.lru_cache(maxsize=1)
def _fake_impl_handlers() -> frozenset:
    """The code of every handler fake_impls registers (``register_op_impl``)."""
    from torch._subclasses import fake_impls

    handlers = list(fake_impls.op_implementations_dict.values())
    handlers += [impl for _, impl in fake_impls.op_implementations_checks]
    return frozenset(getattr(h, "__code__", None) for h in handlers) - {None}


def _name(code, frame=None) -> str:
    """``torch/_refs/__init__.py:div`` for torch's code; ``module:function`` for a custom
    op's. A nested function is named by its outermost enclosing one (the factory that
    made it: ``out_wrapper``, ``_make_elementwise_unary_reference``)."""
    qual = _qualname(code).split(".<locals>.")[0]
    rel = _relative(code.co_filename)
    if rel:
        return f"{rel}:{qual}"
    module = (frame.f_globals.get("__name__") if frame is not None else None) or os.path.basename(code.co_filename)
    return f"{module}:{qual}"


_STDLIB = tuple(os.path.abspath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib"))


def _user_code(frame) -> bool:
    """A function of the user's (a custom op's fake kernel): not the standard library's
    (functools under torch/_ops.py), not code torch generated (dataclass methods of
    torch's modules are compiled from "<string>")."""
    module = frame.f_globals.get("__name__") or ""
    filename = frame.f_code.co_filename
    return not filename.startswith("<") and module.split(".")[0] not in ("torch", "typing_extensions") \
        and not os.path.abspath(filename).startswith(_STDLIB)


def _answers(frame, kind_of=_code_kind) -> bool:
    """Whether the frame runs an implementation: torch's, or a custom op's fake kernel
    (user code that torch.library called). ``kind_of``: ``_code_kind``, or a cached
    lookup of it."""
    kind = kind_of(frame.f_code)
    if kind == "other":
        caller = frame.f_back
        return caller is not None and kind_of(caller.f_code) == "library" and _user_code(frame)
    return kind == "impl"


class ImplTrace:
    """The implementation functions one fake run called: ``entries`` holds, in order,
    ``(op, implementation, wrappers)`` for each outermost one (no implementation among
    its callers), ``op`` being the ATen op fake mode was dispatching (``""`` when no
    dispatch frame was on the stack) and ``wrappers`` the shared wrappers around it."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, tuple[str, ...]]] = []
        self._kinds: dict[Any, str] = {}

    def _kind(self, code) -> str:
        kind = self._kinds.get(code)
        if kind is None:
            kind = self._kinds[code] = _code_kind(code)
        return kind

    def __call__(self, frame, event, arg) -> None:
        if event != "call" or not _answers(frame, self._kind):
            return
        wrappers, op = [], ""
        parent = frame.f_back
        while parent is not None:
            pkind = self._kind(parent.f_code)
            if pkind in ("impl", "other") and _answers(parent, self._kind):
                return  # called by another implementation: not the outermost
            if pkind == "wrapper":
                wrappers.append(_name(parent.f_code))
            elif pkind == "dispatch" and not op:
                op = str(parent.f_locals.get("func", ""))
            parent = parent.f_back
        self.entries.append((op, _name(frame.f_code, frame), tuple(dict.fromkeys(reversed(wrappers)))))

    @contextlib.contextmanager
    def watching(self) -> Iterator["ImplTrace"]:
        previous = sys.getprofile()
        sys.setprofile(self)
        try:
            yield self
        finally:
            sys.setprofile(previous)


def raising_impl(tb) -> str:
    """The innermost implementation function (or custom fake kernel) in a traceback: the
    one whose check raised; ``""`` when none is in it (a C++ kernel raised)."""
    found = ""
    while tb is not None:
        if _answers(tb.tb_frame):
            found = _name(tb.tb_frame.f_code, tb.tb_frame)
        tb = tb.tb_next
    return found


def cpp_kernel_name(op: str) -> str:
    """How crossref names an answer no Python implementation gave, for ``aten.add.Tensor``:
    its C++ Meta kernel, its C++ CompositeImplicitAutograd decomposition, or fake mode
    itself (fake_tensor.py: constructors, constant propagation, fallbacks)."""
    namespace, _, rest = op.partition(".")
    name, _, overload = rest.partition(".")
    qualified = f"{namespace}::{name}" + (f".{overload}" if overload and overload != "default" else "")
    for key in ("Meta", "CompositeImplicitAutograd", "CompositeExplicitAutogradNonFunctional"):
        if has_kernel(qualified, key):
            return f"C++ {key} kernel of {qualified}"
    return f"{_FAKE_TENSOR_PATH}:FakeTensorMode"


# --------------------------------------------------------------------------- compiling
# The consequence probe (crossref/impact/consequence.py) runs a finding's call through torch.compile.
# torch.compile itself is public; resetting dynamo's caches between probes, looking a
# backend up by name, marking dims, telling a compile failure from a run-time one and
# keeping inductor's compile in the probing process are not.

#: Where the compile stack's exceptions are defined: one raised from there (or wrapped
#: by dynamo) means compiling failed, not the compiled program.
_COMPILER_MODULES = ("torch._dynamo", "torch._inductor", "torch._functorch", "torch.fx.experimental")


def reset_compiler() -> None:
    """Forget every compiled frame (dynamo keys its caches on the function's code, and
    each probe compiles a fresh closure of the same code)."""
    torch._dynamo.reset()


def compiler_backend(name: str):
    """The backend callable torch.compile uses for ``name``; ValueError for an unknown one."""
    from torch._dynamo.backends.registry import lookup_backend

    try:
        return lookup_backend(name)
    except Exception as exc:  # noqa: BLE001 - InvalidBackend, a subclass of a dynamo exception
        known = ", ".join(sorted(torch._dynamo.list_backends(exclude_tags=())))
        raise ValueError(f"unknown torch.compile backend {name!r} (known: {known})") from exc


def mark_dims(t: torch.Tensor, dynamic: tuple[bool, ...], *, strict: bool) -> None:
    """Mark ``t``'s dims for a ``torch.compile(dynamic=True)`` trace: the dims where
    ``dynamic`` is false static; the others (of size 2 or more) dynamic, and with
    ``strict`` as ``mark_dynamic`` does, so that a guard fixing one fails the compile
    (a ConstraintViolationError) instead of specializing silently."""
    for d, (size, dyn) in enumerate(zip(t.shape, dynamic)):
        if not dyn:
            torch._dynamo.mark_static(t, d)
        elif strict and size >= 2:
            torch._dynamo.mark_dynamic(t, d)


def compile_failure(exc: BaseException) -> bool:
    """Whether ``exc`` comes from the compile stack (dynamo's tracing, AOTAutograd,
    inductor's lowering and codegen) rather than from the compiled program's kernels."""
    from torch._dynamo.exc import TorchDynamoException

    if isinstance(exc, TorchDynamoException):
        return True
    return type(exc).__module__.startswith(_COMPILER_MODULES)


@contextlib.contextmanager
def probing_compiler() -> Iterator[None]:
    """How a probe compiles: inductor's compile in this process (no pool of compile
    workers: the probe runs in a crash-isolated child with one core's share); no
    compiled graphs from the on-disk FX graph and AOTAutograd caches, whose keys do not
    cover fake mode's own answers (a fake kernel fixed or planted since would be served
    the graph compiled before; inductor's kernel cache, keyed by the generated source,
    stays on); dynamo's and inductor's log records dropped (a failure is data)."""
    import torch._functorch.config as functorch_config
    import torch._inductor.config as inductor_config

    settings = [(inductor_config, "compile_threads", 1), (inductor_config, "fx_graph_cache", False),
                (functorch_config, "enable_autograd_cache", False)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in settings if hasattr(module, name)]
    for module, name, value in settings:
        if hasattr(module, name):
            setattr(module, name, value)
    loggers = [logging.getLogger(name) for name in ("torch._dynamo", "torch._inductor", "torch._functorch",
                                                    "torch._guards", "torch.fx", _FAKE_LOGGER)]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        with quiet_fake_logging():
            yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


# --------------------------------------------------------------------------- watching programs
# The watcher (crossref/watcher.py) sees a program's tensors at the dispatcher.


def storage_identity(t: torch.Tensor) -> Any:
    """A hashable identity of ``t``'s storage (two views of one buffer share it)."""
    return StorageWeakRef(t.untyped_storage())


def is_plain_tensor(t: torch.Tensor) -> bool:
    """A tensor with real data: not a tensor subclass that dispatches in Python (a
    FakeTensor, a FunctionalTensor, a tracer's proxy) and not on the meta device. An
    ``nn.Parameter`` is plain (it subclasses Tensor without a dispatch of its own)."""
    if t.device.type == "meta":
        return False
    return not torch._C._dispatch_keys(t).has(torch._C.DispatchKey.Python)


def inductor_decompositions() -> dict:
    """The decompositions inductor traces with (what AOTAutograd hands inductor), for
    the ``crossref`` compile backend: the ops it checks are the ones inductor receives."""
    import torch._inductor.lowering  # noqa: F401  (some decompositions, convolution's, look it up as an attribute)
    from torch._inductor.decomposition import select_decomp_table

    return select_decomp_table()


@contextlib.contextmanager
def filled_uninitialized_memory() -> Iterator[None]:
    """Kernels' uninitialized outputs filled (NaN, the largest integer) for the block:
    what ``torch.use_deterministic_algorithms`` does to memory a kernel leaves
    unwritten, in ``warn_only`` mode so that no op refuses to run. Two eager runs, one
    of them inside, tell values a kernel computed from garbage it left (an allocator
    that reuses the same freed buffer gives the same garbage twice)."""
    import torch.utils.deterministic

    was, warn_only = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    fill = torch.utils.deterministic.fill_uninitialized_memory
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = True
    try:
        yield
    finally:
        torch.utils.deterministic.fill_uninitialized_memory = fill
        torch.use_deterministic_algorithms(was, warn_only=warn_only)


@contextlib.contextmanager
def tf32(enabled: bool) -> Iterator[None]:
    """TF32 for CUDA matmuls and cuDNN convolutions on (or off) inside, restored after.
    torch 2.9 added ``fp32_precision`` settings beside the older ``allow_tf32`` flags and
    warns when a program mixes the two: set whichever this torch has."""
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision") and hasattr(getattr(conv, "conv", None), "fp32_precision"):
        saved = matmul.fp32_precision, conv.conv.fp32_precision
        value = "tf32" if enabled else "ieee"
        matmul.fp32_precision = conv.conv.fp32_precision = value
        try:
            yield
        finally:
            matmul.fp32_precision, conv.conv.fp32_precision = saved
        return
    saved = matmul.allow_tf32, conv.allow_tf32
    matmul.allow_tf32 = conv.allow_tf32 = enabled
    try:
        yield
    finally:
        matmul.allow_tf32, conv.allow_tf32 = saved
