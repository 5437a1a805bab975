"""crossref.classify: categories of error parity, severity, signatures, status, and the
known-divergence table."""

from __future__ import annotations

import pytest
import torch

from crossref.check import catalog
from crossref.check.classify import (
    CATEGORIES,
    SEVERITIES,
    STATUSES,
    classify,
    real_error_kind,
    refused_dtypes,
    signature,
    status,
)
from crossref.check.compare import ErrorInfo, Mismatch, Outcome, compare
from crossref.check.opcall import OpCall
from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec
from support import BASE, error, meta, outcome


def make_call(op="aten.mm.default", shape=(2, 3), dtype=torch.float32, seed=0, layout=("contiguous",)):
    b = CallBuilder()
    s = b.add_storage(StorageSpec(dtype, 16, seed=seed))
    t = TensorSpec(s, shape, (shape[1], 1) if len(shape) == 2 else (1,) * len(shape), layout=layout)
    return b.build(op, [t, t], {})


def run(real, fake, *, call=None, tags=frozenset()):
    call = call or make_call()
    return classify(call, tags, real, fake, compare(real, fake))


def one(findings):
    assert len(findings) == 1, findings
    return findings[0]


# ----------------------------------------------------------------- error parity


def test_missing_error():
    f = one(run(outcome("real", error=error(message="mat1 and mat2 shapes cannot be multiplied")), outcome("fake")))
    assert (f.category, f.severity, f.known) == ("missing_error", "medium", None)
    assert "real:other" in f.traits and f.fails


def test_spurious_error():
    f = one(run(outcome("real"), outcome("fake", error=error(message="meta kernel gave up"))))
    assert (f.category, f.severity) == ("spurious_error", "medium") and f.fails


def test_declared_limitation_is_unsupported():
    f = one(run(outcome("real"), outcome("fake", error=error("DynamicOutputShapeException", "aten.nonzero.default",
                                                             limitation=True)),
                call=make_call("aten.nonzero.default"), tags=catalog.entry("aten.nonzero.default").tags))
    assert (f.category, f.severity) == ("unsupported", "info")
    assert not f.fails


def test_a_plain_error_of_an_op_tagged_dynamic_output_shape_is_spurious():
    """The tag says the output shape depends on data: fake mode then raises its declared
    exception. A plain error is a bug of its own (index.Tensor's meta refusing a uint8
    mask was one in torch 2.13)."""
    tags = catalog.entry("aten.nonzero.default").tags
    assert "dynamic_output_shape" in tags
    f = one(run(outcome("real"), outcome("fake", error=error(message="plain RuntimeError")),
                call=make_call("aten.nonzero.default"), tags=tags))
    assert f.category == "spurious_error" and f.fails


def test_execute_marks_declared_limitations():
    from crossref import _torch
    from crossref.check.execute import _error

    for cls in _torch.DECLARED_LIMITATIONS:
        assert issubclass(cls, BaseException)
    e = _error(_torch.DynamicOutputShapeException(torch.ops.aten.nonzero.default), "call")
    assert e.limitation and e.type == "DynamicOutputShapeException"
    assert not _error(RuntimeError("x"), "call").limitation


# ----------------------------------------------------------------- severity


@pytest.mark.parametrize("fake_meta, category, severity", [
    (meta(shape=(3, 2), stride=(2, 1)), "shape", "high"),
    (meta(dtype="float64"), "dtype", "high"),
    (meta(device="meta"), "device", "high"),
    (meta(layout="sparse_coo", stride=None, storage_offset=None), "layout", "high"),
    (meta(stride=(1, 2)), "stride", "medium"),
    (meta(storage_offset=1), "storage_offset", "medium"),
    (meta(requires_grad=True), "requires_grad", "medium"),
    (meta(is_neg=True), "conj_neg", "medium"),
    (meta(aliases=(0,)), "alias", "medium"),
])
def test_severity_by_category(fake_meta, category, severity):
    found = [f for f in run(outcome("real"), outcome("fake", (fake_meta,))) if f.category == category]
    assert found and all(f.severity == severity for f in found)


def test_structure_is_high():
    f = one(run(outcome("real", (BASE, BASE), structure="(T,T)"), outcome("fake", (BASE,), structure="(T)")))
    assert (f.category, f.severity) == ("structure", "high")


def test_alias_on_empty_tensor_is_low():
    r = meta(shape=(0, 3))
    f = one(run(outcome("real", (r,)), outcome("fake", (meta(shape=(0, 3), aliases=(0,)),))))
    assert (f.category, f.severity) == ("alias", "low") and "empty-output" in f.traits


def test_mutation_severity_by_field():
    from dataclasses import replace

    from support import INPUT

    shape = one(run(outcome("real"), outcome("fake", inputs_after=(replace(INPUT, shape=(1, 2, 3), stride=(6, 3, 1)),))))
    stride = one(run(outcome("real"), outcome("fake", inputs_after=(replace(INPUT, stride=(1, 2)),))))
    assert (shape.category, shape.severity) == ("mutation", "high")
    assert (stride.category, stride.severity) == ("mutation", "medium")


@pytest.mark.parametrize("real_shape, fake_shape", [((2, 3), (0, 3)), ((0, 3), (0, 4))], ids=["fake-empties-it", "both-empty"])
def test_wrong_shape_involving_an_empty_tensor_is_still_high(real_shape, fake_shape):
    f = one(run(outcome("real", (meta(shape=real_shape),)), outcome("fake", (meta(shape=fake_shape),))))
    assert (f.category, f.severity) == ("shape", "high")


def test_known_divergence_is_low_and_does_not_fail():
    f = one(run(outcome("real", error=error("NotImplementedError", "\"addmm_impl_cpu_\" not implemented for 'Bool'")),
                outcome("fake"), call=make_call(dtype=torch.bool)))
    assert f.category == "missing_error" and f.known and f.severity == "low" and not f.fails
    assert "real:dtype_unsupported" in f.traits


# ----------------------------------------------------------------- signatures


def test_signature_is_stable_across_examples():
    a = one(run(outcome("real"), outcome("fake", (meta(shape=(9, 9), stride=(9, 1)),)), call=make_call(seed=1)))
    b = one(run(outcome("real", (meta(shape=(5,), stride=(1,)),)), outcome("fake", (meta(shape=(5, 1), stride=(1, 1)),)),
                call=make_call(shape=(4, 4), seed=7, layout=("permuted",))))
    assert a.signature == b.signature and len(a.signature) == 12


def test_signature_is_stable_for_error_texts_that_differ_in_numbers():
    a = one(run(outcome("real"), outcome("fake", error=error(message="expected 3 dims but got [2, 3]"))))
    b = one(run(outcome("real"), outcome("fake", error=error(message="expected 4 dims but got [7]"))))
    assert a.signature == b.signature


def test_mutation_signature_ignores_which_input():
    assert signature("aten.add_.Tensor", "mutation", "input[0].shape", "cpu", "") == \
        signature("aten.add_.Tensor", "mutation", "input[3].shape", "cpu", "")


def test_signature_ignores_device_index():
    assert signature("aten.mm.default", "shape", "out[0].shape", "cuda:0", "") == \
        signature("aten.mm.default", "shape", "out[0].shape", "cuda:1", "")


@pytest.mark.parametrize("other", [
    ("aten.bmm.default", "shape", "out[0].shape", "cpu", ""),
    ("aten.mm.default", "dtype", "out[0].shape", "cpu", ""),
    ("aten.mm.default", "shape", "out[1].shape", "cpu", ""),
    ("aten.mm.default", "shape", "out[0].shape", "cuda", ""),
    ("aten.mm.default", "shape", "out[0].shape", "cpu", "empty"),
])
def test_signatures_are_distinct(other):
    assert signature("aten.mm.default", "shape", "out[0].shape", "cpu", "") != signature(*other)


def test_findings_are_deduplicated_within_a_call():
    found = run(outcome("real", (BASE, BASE), structure="(T,T)"),
                outcome("fake", (meta(dtype="int64"), meta(dtype="int64")), structure="(T,T)"))
    assert len({f.signature for f in found}) == len(found) == 2  # out[0] and out[1]


# ----------------------------------------------------------------- status and vocabulary


def test_status():
    ok, bad = outcome("real"), error()
    assert status(ok, outcome("fake"), ()) == "match"
    assert status(outcome("real", error=error(phase="build")), outcome("fake", error=error(phase="build")), ()) == "invalid"
    assert status(outcome("real", error=bad), outcome("fake", error=bad), ()) == "both_raised"
    mism = run(ok, outcome("fake", (meta(dtype="int64"),)))
    assert status(ok, outcome("fake"), mism) == "mismatch"
    unsup = run(ok, outcome("fake", error=error("UnsupportedOperatorException", limitation=True)))
    assert status(ok, outcome("fake"), unsup) == "unsupported"


def test_vocabulary_matches_design():
    assert set(CATEGORIES) == {"shape", "dtype", "device", "layout", "stride", "storage_offset", "alias", "mutation",
                               "requires_grad", "conj_neg", "structure", "value", "missing_error", "spurious_error",
                               "unsupported", "cache", "specialization", "crash", "backend_error"}
    assert set(STATUSES) == {"match", "mismatch", "unsupported", "both_raised", "invalid", "crash", "not_applicable"}
    assert set(SEVERITIES) == {"high", "medium", "low", "info"}


@pytest.mark.parametrize("message, kind", [
    ("\"addmm_impl_cpu_\" not implemented for 'Bool'", "dtype_unsupported"),
    ("Could not run 'aten::foo' with arguments from the 'CPU' backend", "no_backend_kernel"),
    ("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", "other"),
])
def test_real_error_kind(message, kind):
    assert real_error_kind(message) == kind


# ----------------------------------------------------------------- where a declared limitation applies


def _index_call(index_dtype, index_shape=()):
    b = CallBuilder()
    s = b.add_storage(StorageSpec(torch.float32, 6))
    i = b.add_storage(StorageSpec(index_dtype, 2, "range", 0, 0, 2))
    strides = (1,) * len(index_shape)
    return b.build("aten.index.Tensor", [TensorSpec(s, (2, 3), (3, 1)), [TensorSpec(i, index_shape, strides)]], {})


LIMITATION_CASES = {
    # index.Tensor is tagged dynamic_output_shape for its mask indices only
    "index with a bool mask": ("aten.index.Tensor", lambda: _index_call(torch.bool, (2,)), "DynamicOutputShapeException",
                               "unsupported"),
    "index with a byte mask": ("aten.index.Tensor", lambda: _index_call(torch.uint8, (2,)), "DynamicOutputShapeException",
                               "unsupported"),
    "index with a 0-d int64 index": ("aten.index.Tensor", lambda: _index_call(torch.int64),
                                     "GuardOnDataDependentSymNode", "spurious_error"),
    "index with int indices, plain error": ("aten.index.Tensor", lambda: _index_call(torch.int64, (2,)),
                                            "RuntimeError", "spurious_error"),
    "nonzero": ("aten.nonzero.default", lambda: make_call("aten.nonzero.default"), "DynamicOutputShapeException",
                "unsupported"),
    "an untagged op raising a data-dependent error": ("aten.mm.default", make_call, "DataDependentOutputException",
                                                      "spurious_error"),
    "no fake kernel at all": ("aten.mm.default", make_call, "UnsupportedOperatorException", "unsupported"),
}


@pytest.mark.parametrize("case", list(LIMITATION_CASES))
def test_a_declared_limitation_is_unsupported_only_where_it_applies(case):
    op, build, error_type, category = LIMITATION_CASES[case]
    tags = catalog.entry(op).tags
    limitation = error_type != "RuntimeError"
    f = one(run(outcome("real"), outcome("fake", error=error(error_type, "data-dependent", limitation=limitation)),
                call=build(), tags=tags))
    assert f.category == category, case


@pytest.mark.parametrize("message, dtypes, refused", [
    ("\"log_sigmoid_cpu\" not implemented for 'ComplexFloat'", ("complex64",), {"complex64"}),
    ("\"addmm\" not implemented for 'Half'", ("float16", "float32"), {"float16"}),
    ("nanmean(): expected input to have floating point or complex dtype but got Char", ("int8",), {"int8"}),
    ("expected floating point dtype", ("int8", "int64"), set()),  # two dtypes, none named: unknown
    ("mat1 and mat2 shapes cannot be multiplied", ("float32",), set()),  # not about dtypes
    ("clamp is not supported for complex types", ("complex64",), {"complex64", "complex128"}),
    ("Boolean inputs not supported for relu", ("bool",), {"bool"}),
])
def test_refused_dtypes(message, dtypes, refused):
    assert refused_dtypes(message, dtypes) == refused


@pytest.mark.parametrize("error, backend", [
    (("RuntimeError", "MKL FFT error: Intel oneMKL DFTI ERROR: Inconsistent configuration parameters"), "mkl"),
    (("RuntimeError", "could not create a primitive descriptor for the convolution forward propagation primitive"),
     "onednn"),
    (("_LinAlgError", "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed"), "lapack"),
    (("RuntimeError", "cuDNN error: CUDNN_STATUS_NOT_SUPPORTED"), "cudnn"),
    (("RuntimeError", "Input type (torch.FloatTensor) and bias type (torch.LongTensor) should be the same or input "
                      "should be a MKLDNN tensor and weight is a dense tensor"), ""),  # a dtype check: a missing one
    (("RuntimeError", "expected m1 and m2 to have the same dtype"), ""),
])
def test_a_backends_refusal_is_a_backend_error_not_a_missing_check(error, backend):
    from crossref.check.classify import backend_refusal

    info = ErrorInfo(error[0], error[1], "call", False)
    assert backend_refusal(info) == backend
    call = OpCall("aten.mm.default", (), (), ())
    real = Outcome("real", "cpu", "", (), (), info, 0.0)
    fake = Outcome("fake", "cpu", "T", (), (), None, 0.0)
    (f,) = classify(call, frozenset(), real, fake, (Mismatch("real_error", "error", info.short(), "returned normally"),))
    assert f.category == ("backend_error" if backend else "missing_error")
    assert (f.severity == "low" and not f.fails and f"backend:{backend}" in f.traits) if backend else f.fails
