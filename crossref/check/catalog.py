"""The op catalog: every ATen overload, and the overloads of any other namespace (custom
ops registered with torch.library), with kind, family and why one may be untested.

An ``OpEntry`` is built from the registered schema alone (no op is called here).
Entries that crossref cannot drive carry a ``skip`` reason; they are listed in the
run summary rather than silently dropped. The default selection is every aten
overload; a pattern of another namespace (``mylib.*``) selects custom ops, which must
be registered first: ``import_modules`` imports the modules that register them
(``--crossref-import``) and remembers them, so a repro script can import them too.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import importlib.util
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .. import _torch
from ..errors import UsageError

COMPOSITE_KEYS = (
    "CompositeImplicitAutograd",
    "CompositeExplicitAutograd",
    "CompositeExplicitAutogradNonFunctional",
)

# Argument types crossref cannot make up; the reason is what a user reads.
_UNDRIVABLE_TYPES = {
    "Storage": "needs a Storage argument",
    "Stream": "needs a Stream argument",
    "Dimname": "needs named tensors (Dimname)",
    "Dimname[]": "needs named tensors (Dimname)",
    "Dimname?": "needs named tensors (Dimname)",
    "Dimname[]?": "needs named tensors (Dimname)",
    "Generator": "needs a Generator argument",
    "Any": "takes an untyped argument",
    "AnyEnumType": "takes an untyped argument",
    "QScheme": "needs quantized tensors",
    "ScalarType[]": "takes a list of dtypes",
}

# Name fragments of backends or tensor kinds the harness does not generate.
_BACKEND_FRAGMENTS = (
    ("quantize", "needs quantized tensors"),
    ("qscheme", "needs quantized tensors"),
    ("q_per_channel", "needs quantized tensors"),
    ("q_scale", "needs quantized tensors"),
    ("q_zero_point", "needs quantized tensors"),
    ("int_repr", "needs quantized tensors"),
    ("fbgemm", "needs quantized tensors"),
    ("_nested", "needs nested tensors"),
    ("nested_", "needs nested tensors"),
    ("sparse", "needs sparse tensors"),
    ("_coo", "needs sparse tensors"),
    ("_csr", "needs sparse tensors"),
    ("_csc", "needs sparse tensors"),
    ("_bsr", "needs sparse tensors"),
    ("_bsc", "needs sparse tensors"),
    ("mkldnn", "needs mkldnn tensors"),
    ("cudnn", "cuDNN-only kernel"),
    ("miopen", "MIOpen-only kernel"),
    ("_mps", "MPS-only kernel"),
    ("vulkan", "Vulkan-only kernel"),
    ("xnnpack", "XNNPACK-prepacked weights"),
    ("_nnpack", "NNPACK-only kernel"),
    ("_cufft", "cuFFT plan cache"),
    ("_cslt", "cuSPARSELt-only kernel"),
    ("_cudnn", "cuDNN-only kernel"),
    ("_thnn_fused", "CUDA-only fused kernel"),
    ("_fused_rms", "fused kernel with packed inputs"),
    ("_flash_attention", "CUDA-only fused kernel"),
    ("_efficient_attention", "CUDA-only fused kernel"),
    ("_scaled_dot_product_cudnn", "cuDNN-only kernel"),
    ("_scaled_dot_product_flash", "CUDA-only fused kernel"),
    ("_scaled_dot_product_efficient", "CUDA-only fused kernel"),
    ("_weight_int", "needs packed int weights"),
    ("_dyn_quant", "needs quantized tensors"),
    ("_pack_padded", "needs packed sequences"),
    ("_cummax_helper", "internal helper writing into caller buffers"),
)

# Ops whose real kernel does not bounds-check its inputs: a random call can crash
# the whole process. Skipped until per-call process isolation exists.
_UNCHECKED = {
    "_unsafe_index": "does not bounds-check indices: a random call can crash the process",
    "_unsafe_index_put": "does not bounds-check indices: a random call can crash the process",
    "_unsafe_masked_index": "does not bounds-check indices: a random call can crash the process",
    "_unsafe_masked_index_put_accumulate": "does not bounds-check indices: a random call can crash the process",
    "_embedding_bag_forward_only": "does not bounds-check offsets: a random call can crash the process",
    "_histogramdd_from_bin_cts": "does not bounds-check bins: a random call can crash the process",
    "_histogramdd_from_bin_tensors": "does not bounds-check bins: a random call can crash the process",
    "_histogramdd_bin_edges": "does not bounds-check bins: a random call can crash the process",
    "_assert_async": "aborts the process asynchronously on failure",
    "_functional_assert_async": "aborts the process asynchronously on failure",
    "set_": "rebinds storage to arbitrary geometry without a bounds check",
    "_resize_output_": "resizes a tensor in place without a bounds check",
    "_copy_from": "backend copy helper that assumes valid destinations",
    "_copy_from_and_resize": "backend copy helper that assumes valid destinations",
    "sym_constrain_range": "symbolic-shape helper with no tensor semantics",
    "sym_constrain_range_for_size": "symbolic-shape helper with no tensor semantics",
    "_print": "prints to stdout",
    "from_file": "maps (and with shared=True creates) the file its argument names",
    "lift_fresh": "tracing helper (tensor lifting)",
    "lift": "tracing helper (tensor lifting)",
    "lift_fresh_copy": "tracing helper (tensor lifting)",
    "_local_scalar_dense": "data-dependent by definition: always unsupported in fake mode",
}

FAMILIES = (
    "pointwise",
    "reduction",
    "view",
    "join_split",
    "matmul",
    "indexing",
    "factory",
    "conv",
    "pool",
    "norm",
    "sort_scan",
    "other",
)

_FAMILY_BY_NAME: dict[str, str] = {}
for _fam, _names in {
    "join_split": "cat stack hstack vstack dstack column_stack split split_with_sizes "
    "tensor_split chunk unbind unsafe_split unsafe_split_with_sizes unsafe_chunk "
    "split_copy split_with_sizes_copy unbind_copy _cat concat concatenate",
    "matmul": "mm bmm addmm baddbmm addbmm matmul addmv mv dot vdot outer ger addr "
    "linear _addmm_activation einsum inner tensordot kron chain_matmul multi_dot "
    "_int_mm _weight_int8pack_mm",
    "indexing": "index_select gather scatter scatter_add scatter_reduce index index_put "
    "index_add index_copy index_fill index_reduce take take_along_dim masked_fill "
    "masked_scatter masked_select put embedding embedding_dense_backward "
    "_index_put_impl select_scatter slice_scatter diagonal_scatter as_strided_scatter "
    "index_put_ _unsafe_index gather_backward",
    "conv": "convolution _convolution conv1d conv2d conv3d conv_transpose1d "
    "conv_transpose2d conv_transpose3d convolution_backward _convolution_mode "
    "conv_tbc slow_conv3d slow_conv_transpose2d slow_conv_transpose3d "
    "_slow_conv2d_forward _slow_conv2d_backward slow_conv_dilated2d slow_conv_dilated3d "
    "thnn_conv2d _conv_depthwise2d conv_depthwise3d",
    "pool": "max_pool1d max_pool2d max_pool3d avg_pool1d avg_pool2d avg_pool3d "
    "max_pool2d_with_indices max_pool3d_with_indices adaptive_avg_pool1d "
    "adaptive_avg_pool2d adaptive_avg_pool3d adaptive_max_pool1d adaptive_max_pool2d "
    "adaptive_max_pool3d _adaptive_avg_pool2d _adaptive_avg_pool3d fractional_max_pool2d "
    "fractional_max_pool3d lp_pool1d lp_pool2d lp_pool3d max_unpool2d max_unpool3d "
    "avg_pool2d_backward avg_pool3d_backward max_pool2d_with_indices_backward "
    "max_pool3d_with_indices_backward _adaptive_avg_pool2d_backward "
    "_adaptive_avg_pool3d_backward adaptive_max_pool2d_backward "
    "adaptive_max_pool3d_backward max_pool1d_with_indices",
    "norm": "batch_norm native_batch_norm _native_batch_norm_legit "
    "_native_batch_norm_legit_functional _native_batch_norm_legit_no_training layer_norm "
    "native_layer_norm group_norm native_group_norm instance_norm rms_norm "
    "_fused_rms_norm native_batch_norm_backward native_layer_norm_backward "
    "native_group_norm_backward batch_norm_stats batch_norm_elemt "
    "_batch_norm_with_update _batch_norm_no_update _batch_norm_impl_index "
    "cudnn_batch_norm local_response_norm",
    "sort_scan": "sort argsort topk kthvalue median nanmedian mode msort cumsum cumprod "
    "cummax cummin logcumsumexp _logcumsumexp searchsorted bucketize unique "
    "_unique _unique2 unique_consecutive unique_dim unique_dim_consecutive",
}.items():
    for _n in _names.split():
        _FAMILY_BY_NAME[_n] = _fam


@dataclass(frozen=True, slots=True)
class OpEntry:
    """One overload as crossref sees it: an ATen one, or a custom op of any namespace."""

    name: str  # str(OpOverload), e.g. "aten.add.Tensor", "mylib.scale.default"
    packet: str  # "add"
    overload: str  # "Tensor" (or "default")
    schema: torch._C.FunctionSchema = field(compare=False)  # unhashable; the name identifies it
    kind: str  # functional | inplace | out | view
    family: str
    tags: frozenset[str]
    kernels: frozenset[str]  # dispatch keys with a kernel, of those crossref cares about
    skip: str | None  # why crossref does not drive it, or None
    namespace: str = "aten"

    def __repr__(self) -> str:
        return f"OpEntry({self.name})"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.name)

    @property
    def op(self) -> torch._ops.OpOverload:
        return getattr(getattr(getattr(torch.ops, self.namespace), self.packet), self.overload)

    @property
    def base_name(self) -> str:
        """The packet name without trailing underscores: ``add_`` -> ``add``."""
        return self.packet.rstrip("_") if not self.packet.startswith("__") else self.packet

    def runs_on(self, device_type: str) -> bool:
        key = {"cpu": "CPU", "cuda": "CUDA"}.get(device_type, device_type.upper())
        return key in self.kernels or any(k in self.kernels for k in COMPOSITE_KEYS)


def _type_str(t: torch._C.Type) -> str:
    return str(t)


def _kind(schema: torch._C.FunctionSchema) -> str:
    writes = [a for a in schema.arguments if a.alias_info is not None and a.alias_info.is_write]
    if writes:
        if any(a.kwarg_only for a in writes):
            return "out"
        return "inplace"
    if any(r.alias_info is not None for r in schema.returns):
        return "view"
    return "functional"


def _family(base: str, kind: str, tags: frozenset[str], schema) -> str:
    if base in _FAMILY_BY_NAME:
        return _FAMILY_BY_NAME[base]
    if kind == "view" or base.endswith("_copy") and base[:-5] in _VIEW_BASES:
        return "view"
    if "pointwise" in tags:
        return "pointwise"
    if "reduction" in tags:
        return "reduction"
    if not any("Tensor" in _type_str(a.type) for a in schema.arguments if not a.kwarg_only or a.name != "out"):
        return "factory"
    if base.endswith("_like") or base.startswith("new_"):
        return "factory"
    return "other"


_VIEW_BASES = frozenset(
    "view reshape transpose permute expand squeeze unsqueeze slice select narrow unfold "
    "diagonal as_strided t alias detach view_as_real view_as_complex unbind split "
    "split_with_sizes indices values _reshape_alias".split()
)

_KEYS = ("CPU", "CUDA", "Meta") + COMPOSITE_KEYS


def _type_skip_reason(schema: torch._C.FunctionSchema) -> str | None:
    """Why no call of the schema can be made up (an argument or return type), or None."""
    for a in schema.arguments:
        reason = _UNDRIVABLE_TYPES.get(_type_str(a.type))
        if reason is not None:
            return reason
        if _type_str(a.type).startswith("__torch__"):
            return "needs a TorchScript class object"
    for r in schema.returns:
        if _type_str(r.type).startswith("__torch__"):
            return "returns a TorchScript class object"
    return None


def _skip_reason(schema: torch._C.FunctionSchema, packet: str, kernels: frozenset[str]) -> str | None:
    reason = _type_skip_reason(schema)
    if reason is not None:
        return reason
    if packet.rstrip("_") in _UNCHECKED or packet in _UNCHECKED:
        return _UNCHECKED.get(packet, _UNCHECKED.get(packet.rstrip("_")))
    for fragment, reason in _BACKEND_FRAGMENTS:
        if fragment in packet:
            return reason
    if not kernels - {"Meta"}:
        return "no kernel for CPU, CUDA or a composite key"
    return None


@functools.cache
def load_catalog() -> tuple[OpEntry, ...]:
    """All aten overloads, sorted by name. Cached: the aten registry does not change in a run."""
    return _entries(_torch.all_schemas(lambda namespace: namespace == "aten"))


def custom_catalog() -> tuple[OpEntry, ...]:
    """The overloads of every namespace but aten (custom ops, torchvision's, prims...),
    sorted by name: built again whenever the registered schemas changed (a module was
    imported that registers ops, a scoped library went away), else the last answer."""
    schemas = _torch.all_schemas(lambda namespace: namespace != "aten")
    key = tuple(str(s) for s in schemas)  # an op defined again with another schema is another catalog
    if _CUSTOM.get("key") != key:
        _CUSTOM["key"] = key
        _CUSTOM["entries"] = _entries(schemas)
    return _CUSTOM["entries"]


_CUSTOM: dict = {}


def _entries(schemas) -> tuple[OpEntry, ...]:
    entries: dict[str, OpEntry] = {}
    dispatcher = _torch.dispatcher_op_names()
    for schema in schemas:
        namespace, packet = schema.name.split("::", 1)
        overload = schema.overload_name or "default"
        name = f"{namespace}.{packet}.{overload}"
        if name in entries:
            continue
        qualified = schema.name + (f".{schema.overload_name}" if schema.overload_name else "")
        if qualified not in dispatcher:
            kernels: frozenset[str] = frozenset()
        else:
            kernels = frozenset(k for k in _KEYS if _torch.has_kernel(qualified, k))
        try:
            op = getattr(getattr(getattr(torch.ops, namespace), packet), overload)
            tags = frozenset(str(t).rsplit(".", 1)[-1] for t in op.tags)
        except (AttributeError, RuntimeError):
            continue  # registered schema without a Python binding: nothing to call
        kind = _kind(schema)
        base = packet.rstrip("_") if not packet.startswith("__") else packet
        aten = namespace == "aten"
        if qualified not in dispatcher:
            skip = "TorchScript builtin, not a dispatcher operator"
        else:
            skip = _skip_reason(schema, packet, kernels) if aten else _custom_skip_reason(schema, kernels)
        entries[name] = OpEntry(
            name=name,
            packet=packet,
            overload=overload,
            schema=schema,
            kind=kind,
            # The name-based families (and their refiners) describe aten ops only.
            family=_family(base, kind, tags, schema) if aten else "custom",
            tags=tags,
            kernels=kernels,
            skip=skip,
            namespace=namespace,
        )
    return tuple(entries[k] for k in sorted(entries))


def _custom_skip_reason(schema: torch._C.FunctionSchema, kernels: frozenset[str]) -> str | None:
    """``_skip_reason`` without the aten name lists (backends, unchecked kernels)."""
    reason = _type_skip_reason(schema)
    if reason is not None:
        return reason
    if not kernels - {"Meta"}:
        return "no kernel for CPU, CUDA or a composite key"
    return None


def select(patterns: list[str] | None, catalog: tuple[OpEntry, ...] | None = None) -> list[OpEntry]:
    """Entries whose name matches any glob; a pattern that matches nothing is a UsageError.
    No pattern selects every aten overload; a pattern is matched against the overloads
    of every namespace (``mylib.*``: the custom ops a module registered)."""
    if catalog is None:
        catalog = load_catalog()
        if patterns and not all(p.startswith("aten.") for p in patterns):
            catalog = catalog + custom_catalog()
    if not patterns:
        return list(catalog)
    chosen: dict[str, OpEntry] = {}
    for pattern in patterns:
        hits = [e for e in catalog if fnmatch.fnmatchcase(e.name, pattern)]
        if not hits:
            close = _close_names(pattern, catalog)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            if pattern.startswith("aten."):
                raise UsageError(f"--crossref-ops pattern {pattern!r} matches no ATen overload{hint}")
            namespace = pattern.split(".", 1)[0]
            if not any(fnmatch.fnmatchcase(e.namespace, namespace) for e in catalog):
                aten = f"aten.{pattern}"
                guess = f" (did you mean {aten}?)" if any(fnmatch.fnmatchcase(e.name, aten) for e in load_catalog()) \
                    else ""
                raise UsageError(f"--crossref-ops pattern {pattern!r}: no overloads in namespace {namespace!r} are "
                                 f"registered{guess}; is the module that registers them imported "
                                 "(--crossref-import=MODULE)?")
            raise UsageError(f"--crossref-ops pattern {pattern!r} matches no registered overload{hint}")
        for e in hits:
            chosen[e.name] = e
    return [chosen[k] for k in sorted(chosen)]


def _close_names(pattern: str, catalog: tuple[OpEntry, ...], limit: int = 5) -> list[str]:
    """Names worth suggesting for a pattern that matched nothing: the same packet first,
    then packets that start with it, then packets that contain it."""
    parts = pattern.split(".")
    packet = parts[1].rstrip("*") if len(parts) > 1 else ""
    if not packet:
        return []
    ranked = sorted(
        (rank, e.name)
        for e in catalog
        for rank in [0 if e.packet == packet else 1 if e.packet.startswith(packet) else 2 if packet in e.packet else 3]
        if rank < 3
    )
    return [name for _, name in ranked[:limit]]


@functools.cache
def functional_sibling(out_entry: OpEntry) -> OpEntry | None:
    """The functional overload an out= overload writes the result of: same packet, the
    same arguments but the out ones (``aten.add.out`` -> ``aten.add.Tensor``)."""
    if out_entry.kind != "out":
        return None
    def signature_of(args) -> list[tuple[str, str]]:
        return [(a.name, str(a.real_type)) for a in args]

    want = signature_of(a for a in out_entry.schema.arguments
                        if not (a.kwarg_only and a.alias_info is not None and a.alias_info.is_write))
    for e in load_catalog():
        if e.packet == out_entry.packet and e.kind in ("functional", "view") and \
                signature_of(e.schema.arguments) == want:
            return e
    return None


def entry(name: str) -> OpEntry:
    """The entry of one overload, by ``str(OpOverload)`` (any namespace)."""
    for e in load_catalog() if name.startswith("aten.") else custom_catalog():
        if e.name == name:
            return e
    if name.startswith("aten."):
        raise UsageError(f"unknown ATen overload {name!r}")
    raise UsageError(f"unknown overload {name!r} (is the module that registers it imported?)")


#: Modules imported for their custom ops (``import_modules``), by name, in order.
IMPORTED: list[str] = []
#: Of those, the ones imported from a file: name -> path (a script loads them so again).
IMPORTED_FILES: dict[str, str] = {}


def import_modules(spec: str | None, *, base: str | Path | None = None) -> tuple[str, ...]:
    """Import each module of a comma-separated ``spec``, by dotted name (``mylib.ops``)
    or by file (``path/to/ops.py``, relative to ``base``; imported under its stem, with
    its directory put on sys.path). Returns the module names; a module that cannot be
    imported is a UsageError naming it and the cause, in one line."""
    names = []
    for item in (p.strip() for p in (spec or "").split(",")):
        if not item:
            continue
        path = Path(base or ".") / item if (item.endswith(".py") or "/" in item) else None
        try:
            if path is not None:
                if not path.is_file():
                    raise UsageError(f"--crossref-import={item!r}: no such file {str(path)!r}")
                folder = str(path.resolve().parent)
                if folder not in sys.path:
                    sys.path.insert(0, folder)
                name = path.stem
                loaded = sys.modules.get(name)
                if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() != path.resolve():
                    # another module of that name (pytest's own conftest, say): load this one apart
                    name = f"{path.stem}_{zlib.crc32(str(path.resolve()).encode()):08x}"
                if name not in sys.modules:
                    _load_file(name, path)
            else:
                name = item
                folder = str(Path(base or ".").resolve())
                if folder not in sys.path:  # as `python -m pytest` would have it, however pytest was started
                    sys.path.append(folder)
                importlib.import_module(name)
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the module raised, in one line
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise UsageError(f"--crossref-import={item!r}: cannot import it: {type(exc).__name__}"
                             + (f": {detail}" if detail else "")) from None
        if name not in IMPORTED:
            IMPORTED.append(name)
        if path is not None:
            IMPORTED_FILES[name] = str(path.resolve())
        names.append(name)
    return tuple(names)


def _load_file(name: str, path: str | Path) -> None:
    """Import the file ``path`` as module ``name`` (in sys.modules only if it succeeds)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise


def registering_imports() -> list[tuple[str, str | None]]:
    """(module name, file or None) of every module known to register custom ops: those
    ``import_modules`` imported and those torch.library.custom_op ops were defined in. A
    spawned process (no fork once CUDA is up) imports them to have the same ops."""
    names = list(IMPORTED) + [m for m in _torch.custom_op_modules() if m not in IMPORTED and m != "__main__"]
    return [(name, IMPORTED_FILES.get(name)) for name in names]


def import_registering(modules: list[tuple[str, str | None]]) -> None:
    """Import what ``registering_imports`` listed (in a fresh process); a module that
    fails is left out (its ops' checks will say they are missing)."""
    for name, path in modules:
        if name in sys.modules:
            continue
        try:
            _load_file(name, path) if path is not None else importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the parent imported it; a child that cannot is told by its checks
            pass


def registering_modules(name: str) -> tuple[str, ...]:
    """The modules a script must import to have the overload ``name`` registered: none
    for aten; for a custom op, the module that defined it (torch.library.custom_op),
    else those imported with ``import_modules``."""
    namespace, packet = name.split(".")[:2]
    if namespace == "aten":
        return ()
    module = _torch.defining_module(f"{namespace}::{packet}")
    if module and module != "__main__":
        return (module,)
    return tuple(IMPORTED)
