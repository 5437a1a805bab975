"""Every wrapper in crossref/_torch.py works against the installed torch."""

from __future__ import annotations

import logging
import sys

import pytest
import torch

from crossref import _torch


def test_declared_limitations_are_exception_types():
    assert _torch.DECLARED_LIMITATIONS
    for cls in _torch.DECLARED_LIMITATIONS:
        assert isinstance(cls, type) and issubclass(cls, BaseException)
    names = {c.__name__ for c in _torch.DECLARED_LIMITATIONS}
    assert {"DynamicOutputShapeException", "DataDependentOutputException", "UnsupportedOperatorException"} <= names


def test_nonzero_raises_a_declared_limitation():
    mode = _torch.new_fake_mode()
    x = mode.from_tensor(torch.ones(3))
    with pytest.raises(_torch.DECLARED_LIMITATIONS):
        with mode:
            torch.ops.aten.nonzero.default(x)


def test_new_fake_mode_is_fresh_and_strict():
    a, b = _torch.new_fake_mode(), _torch.new_fake_mode()
    assert isinstance(a, _torch.FakeTensorMode) and a is not b
    fake = a.from_tensor(torch.ones(2, 3))
    assert isinstance(fake, torch._subclasses.fake_tensor.FakeTensor) and tuple(fake.shape) == (2, 3)
    real = torch.ones(2, 3)
    with pytest.raises(Exception, match="Please convert all Tensors to FakeTensors"):
        with a:
            torch.ops.aten.add.Tensor(fake, real)


def test_fake_cache_info_and_clear():
    _torch.clear_fake_cache()
    info = _torch.fake_cache_info()
    assert set(info) >= {"hits", "misses", "bypasses", "size"}
    assert info["size"] == 0 and isinstance(info["bypasses"], dict)
    mode = _torch.new_fake_mode()
    x = mode.from_tensor(torch.ones(4, 4))
    with mode:
        torch.ops.aten.mm.default(x, x)
        torch.ops.aten.mm.default(x, x)
    after = _torch.fake_cache_info()
    assert after["hits"] + after["misses"] + sum(after["bypasses"].values()) > 0
    _torch.clear_fake_cache()
    assert _torch.fake_cache_info()["size"] == 0


def test_quiet_fake_logging_silences_only_inside_the_block(caplog):
    logger = logging.getLogger(_torch._FAKE_LOGGER)
    with caplog.at_level(logging.ERROR, logger=_torch._FAKE_LOGGER):
        with _torch.quiet_fake_logging():
            logger.error("inside")
        logger.error("outside")
    messages = [r.getMessage() for r in caplog.records if r.name == _torch._FAKE_LOGGER]
    assert messages == ["outside"]


def test_storage_key_identifies_storages_real_and_fake():
    base = torch.arange(6.0)
    view = base[1:].view(5)
    other = base.clone()
    assert _torch.storage_key(base) == _torch.storage_key(view)
    assert _torch.storage_key(base) != _torch.storage_key(other)
    assert hash(_torch.storage_key(base)) == hash(_torch.storage_key(view))
    assert _torch.storage_key(torch.ones(2, 2).to_sparse()) is None
    mode = _torch.new_fake_mode()
    fb, fv = mode.from_tensor(base), mode.from_tensor(view)
    assert _torch.storage_key(fb) == _torch.storage_key(fv)  # aliasing survives conversion
    assert _torch.storage_key(fb) != _torch.storage_key(mode.from_tensor(other))


def test_neg_view():
    t = torch.tensor([1.0, -2.0])
    n = _torch.neg_view(t)
    assert n.is_neg() and not t.is_neg()
    assert torch.equal(n.resolve_neg(), -t)
    assert n.untyped_storage().data_ptr() == t.untyped_storage().data_ptr()


def test_all_schemas():
    schemas = _torch.all_schemas(lambda namespace: namespace == "aten")
    assert len(schemas) > 1000
    assert all(s.name.startswith("aten::") for s in schemas)
    assert any(s.name == "aten::add" and s.overload_name == "Tensor" for s in schemas)


def test_all_schemas_and_defining_module_see_custom_ops():
    import custom_ops  # noqa: F401 - registers the crossref_test ops

    schemas = _torch.all_schemas(lambda namespace: namespace == "crossref_test")
    assert any(s.name == "crossref_test::value_rank" for s in schemas)
    assert _torch.defining_module("crossref_test::value_rank") == "custom_ops"
    import custom_ops as module

    assert _torch.custom_op_overload(module.value_rank) is torch.ops.crossref_test.value_rank.default
    assert _torch.custom_op_overload(torch.ops.aten.add) is None
    assert _torch.defining_module("aten::add") is None
    assert "custom_ops" in _torch.custom_op_modules()


def test_dispatcher_op_names():
    names = _torch.dispatcher_op_names()
    assert isinstance(names, frozenset)
    assert "aten::add.Tensor" in names and "aten::mm" in names


@pytest.mark.parametrize("name, key, expected", [
    ("aten::mm", "CPU", True),
    ("aten::mm", "Meta", True),
    ("aten::add.Tensor", "CPU", True),
    ("aten::no_such_op", "CPU", False),
])
def test_has_kernel(name, key, expected):
    assert _torch.has_kernel(name, key) is expected


# ----------------------------------------------------------------- symbolic shapes and dispatch


def test_symbolic_mode_fakes_hints_and_ranges():
    mode, env = _torch.new_symbolic_mode()
    assert mode.shape_env is env and not mode.cache_enabled
    fake = _torch.symbolic_fake(mode, torch.empty(3, 1, 4), "input0", (True, True, False))
    s0, one, four = fake.shape
    assert _torch.is_symbolic(s0) and _torch.input_symbol(s0) is not None
    assert one == 1 and four == 4 and not _torch.is_symbolic(four)  # size 1 specialized, dim 2 static
    assert _torch.hint(s0) == 3 and _torch.hint(7) == 7
    n = _torch.symbolic_int(env, 5, "length")
    assert _torch.is_symbolic(n) and _torch.hint(n) == 5
    low, high = _torch.value_range(s0)
    assert low >= 2 and high > 3  # a backed size: at least 2, unbounded above
    with mode, _torch.python_dispatcher():
        out = torch.ops.aten.nonzero.default(mode.from_tensor(torch.ones(2)))
    assert _torch.hint(out.shape[0]) is None and _torch.value_range(out.shape[0])[0] == 0  # unbacked


def test_specializations_tell_fixed_symbols_from_related_ones():
    mode, env = _torch.new_symbolic_mode()
    a = _torch.symbolic_fake(mode, torch.empty(3), "input0", (True,))
    b = _torch.symbolic_fake(mode, torch.empty(3), "input1", (True,))
    sa, sb = _torch.input_symbol(a.shape[0]), _torch.input_symbol(b.shape[0])
    symbols = {sa: "a", sb: "b"}
    with mode:
        torch.ops.aten.add.Tensor(a, b)  # relates a's size to b's: no specialization
    assert _torch.specializations(env, symbols) == []
    with mode:
        torch.ops.aten.expand.default(a, [3])  # a constant size fixes a's (and b's, equal to it)
    fixed = dict(_torch.specializations(env, symbols))
    assert sa in fixed and "3" in fixed[sa]


def test_op_log_records_aten_ops_with_their_outputs():
    log = _torch.OpLog(lambda out: tuple(out.shape))
    with log:
        torch.ones(2, 3).sum(0)
    assert ("aten.sum.dim_IntList", (3,)) in log.calls and all(name.startswith("aten.") for name, _ in log.calls)


def _traced(op, *args):
    mode = _torch.new_fake_mode(cache=False)
    fakes = [mode.from_tensor(a) if isinstance(a, torch.Tensor) else
             [mode.from_tensor(t) for t in a] if isinstance(a, list) else a for a in args]
    trace = _torch.ImplTrace()
    with _torch.quiet_fake_logging(), trace.watching(), mode:
        op(*fakes)
    return trace.entries


def test_impl_trace_names_the_python_implementation_that_answered():
    """The torch files and functions fake mode answers these ops from, in 2.13 to 2.15."""
    x = torch.randn(3, 4)
    entries = _traced(torch.ops.aten.mm.default, x, x.t())
    assert entries[0][:2] == ("aten.mm.default", "torch/_meta_registrations.py:meta_mm")
    assert "torch/_prims_common/wrappers.py:out_wrapper" in entries[0][2]  # a wrapper, not the answer
    # A CompositeImplicitAutograd op decomposes in C++; the op that answered is named.
    assert _traced(torch.ops.aten.matmul.default, x, x.t())[0][:2] == ("aten.mm.default",
                                                                        "torch/_meta_registrations.py:meta_mm")
    index = _traced(torch.ops.aten.index.Tensor, x, [torch.tensor([0, 1])])
    assert index[0][1] == "torch/_subclasses/fake_impls.py:index_tensor"  # a handler, not its dispatcher
    assert _traced(torch.ops.aten.cumsum.default, x, 0)[0][1] == "torch/_refs/__init__.py:cumsum"
    # A decomposition under the opmath upcast wrapper is named, not the wrapper.
    assert _traced(torch.ops.aten.hardsigmoid.default, x)[0][1] == "torch/_decomp/decompositions.py:hardsigmoid"
    assert sys.getprofile() is None  # the watch is undone


def test_impl_trace_names_a_custom_ops_fake_kernel_and_nothing_of_the_stdlib():
    def fake(x):
        return torch.empty_like(x)

    with torch.library._scoped_library("crossref_canary", "FRAGMENT") as lib:
        lib.define("twice(Tensor x) -> Tensor")
        lib.impl("twice", lambda x: x * 2, "CPU")
        torch.library.register_fake("crossref_canary::twice", fake, lib=lib)
        entries = _traced(torch.ops.crossref_canary.twice.default, torch.ones(2))
    # A nested function is named by the function that defines it.
    assert [e[1] for e in entries] == [
        f"{__name__}:test_impl_trace_names_a_custom_ops_fake_kernel_and_nothing_of_the_stdlib"], entries


def test_raising_impl_reads_the_check_that_raised_from_a_traceback():
    mode = _torch.new_fake_mode(cache=False)
    a = mode.from_tensor(torch.randn(3, 4))
    with _torch.quiet_fake_logging(), pytest.raises(RuntimeError) as info:
        with mode:
            torch.ops.aten.mm.default(a, a)
    assert _torch.raising_impl(info.value.__traceback__) == "torch/_meta_registrations.py:meta_mm"
    assert _torch.raising_impl(None) == ""


def test_cpp_kernel_name():
    assert _torch.cpp_kernel_name("aten.add.Tensor") == "C++ Meta kernel of aten::add.Tensor"
    assert _torch.cpp_kernel_name("aten.matmul.default") == "C++ CompositeImplicitAutograd kernel of aten::matmul"
