"""The stateful cache test: one FakeTensorMode and its dispatch cache kept alive across
many steps (Hypothesis RuleBasedStateMachine). It finds cache-key gaps and
order-dependent answers that a fresh mode per call cannot see; failing sequences
shrink to the shortest, and the repro script replays the whole sequence.

    pytest suites/test_cache_stateful.py          # or: pytest -k stateful
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from crossref import catalog
from crossref.failure import MISMATCH_TYPES
from crossref.opcall import COMPLEX_DTYPES, FLOAT_DTYPES, CallBuilder, StorageSpec, TensorSpec, storage_extent
from crossref.stateful import Pool
from strategies.calls import op_calls
from strategies.tensors import dtypes, tensors

#: Ops applied to pool members: cacheable ones whose first argument anchors the rest.
OPS = tuple(e for e in catalog.select([
    "aten.add.Tensor", "aten.mul.Tensor", "aten.sub.Tensor", "aten.div.Tensor", "aten.add_.Tensor",
    "aten.mul_.Tensor", "aten.neg.default", "aten.abs.default", "aten.exp.default", "aten.sin.default",
    "aten.clone.default", "aten._to_copy.default", "aten.empty_like.default", "aten.zeros_like.default",
    "aten.detach.default", "aten.alias.default", "aten.t.default", "aten.transpose.int", "aten.permute.default",
    "aten.expand.default", "aten.view.default", "aten.unsqueeze.default", "aten.squeeze.dim", "aten.select.int",
    "aten.slice.Tensor", "aten.diagonal.default", "aten.sum.dim_IntList", "aten.mean.dim", "aten.amax.default",
    "aten.argmax.default", "aten.cumsum.default", "aten.where.self", "aten.masked_fill.Scalar",
    "aten.fill_.Scalar", "aten.zero_.default", "aten.copy_.default", "aten.index_select.default",
    "aten.mm.default", "aten.bmm.default", "aten.unbind.int", "aten.split.Tensor", "aten.flip.default",
    "aten.roll.default", "aten.repeat.default", "aten.contiguous.default", "aten.real.default", "aten.conj.default",
    "aten.view_as_real.default", "aten.resolve_conj.default", "aten.resolve_neg.default",
]) if not e.skip)

TWINS = ("strides", "offset", "dtype", "conj", "neg", "requires_grad", "inference", "view")


class FakeCacheMachine(RuleBasedStateMachine):
    """A pool of tensor recipes (real tensors and their fakes, built once) and a mode
    whose cache persists; rules add members, metadata twins of members, and apply ops."""

    members = Bundle("members")
    ops = OPS  # narrowed to the --crossref-ops selection by the test

    def __init__(self) -> None:
        super().__init__()
        from crossref import _torch

        _torch.clear_fake_cache()
        self.builder = CallBuilder()
        self.pool = Pool()

    @initialize(target=members, data=st.data())
    def first_member(self, data):
        return data.draw(tensors(self.builder, max_numel=32), label="member")

    @rule(target=members, data=st.data())
    def add_member(self, data):
        return data.draw(tensors(self.builder, max_numel=32), label="member")

    @rule(target=members, member=members, kind=st.sampled_from(TWINS), data=st.data())
    def add_twin(self, member: TensorSpec, kind: str, data):
        """A tensor like ``member`` in all but one piece of metadata."""
        base = self.builder.storages[member.storage]
        size = member.size
        if kind == "view":  # shares member's storage, with another geometry inside it
            return TensorSpec(member.storage, size, member.stride, member.offset, True, member.conj, member.neg,
                              ("aliased",))
        if kind == "strides":
            return data.draw(tensors(self.builder, shape=size, dtype=base.dtype,
                                     layouts=("permuted", "sliced", "expanded", "channels_last")))
        dtype, grad, offset = base.dtype, base.requires_grad, member.offset
        conj, neg = member.conj, member.neg
        if kind == "dtype":
            dtype = data.draw(dtypes().filter(lambda d: d != base.dtype))
            conj = conj and dtype in COMPLEX_DTYPES
            neg = neg and (dtype in COMPLEX_DTYPES or dtype in FLOAT_DTYPES)
            grad = grad and (dtype in COMPLEX_DTYPES or dtype in FLOAT_DTYPES)
        elif kind == "offset":
            offset += data.draw(st.integers(1, 3))
        elif kind == "conj" and dtype in COMPLEX_DTYPES:
            conj = not conj
        elif kind == "neg" and (dtype in COMPLEX_DTYPES or dtype in FLOAT_DTYPES):
            neg = not neg
        elif kind == "requires_grad" and (dtype in COMPLEX_DTYPES or dtype in FLOAT_DTYPES):
            grad = not grad
        if kind == "inference":
            grad = False  # an inference tensor cannot require grad
        numel = max(storage_extent(size, member.stride, offset), 1)
        index = self.builder.add_storage(StorageSpec(dtype, numel, base.fill, base.seed, base.low, base.high, grad))
        if kind == "inference":
            self.pool.build_inference_storage(index, self.builder.storages[index])
        return TensorSpec(index, size, member.stride, offset, member.view, conj, neg, member.layout)

    @rule(member=members, data=st.data())
    def apply_op(self, member: TensorSpec, data):
        entry = data.draw(st.sampled_from(self.ops), label="op")
        call = data.draw(op_calls(entry, builder=self.builder, anchor=member), label="call")
        findings = self.pool.apply(call)
        session = _SESSION.get("session")
        if session is not None:
            session.record_step(self.pool, findings)
        if findings:
            paths = {f.signature: session.store_sequence(self.pool, f) if session else "(no recorder)"
                     for f in findings}
            lines = [f"{f.field}: {f.real}  vs  {f.fake}  repro: {paths[f.signature]}" for f in findings]
            raise MISMATCH_TYPES["cache"](
                f"step {len(self.pool.steps)} ({call.describe()}) was answered from the dispatch cache "
                "differently from a mode without the cache:\n  " + "\n  ".join(lines))


_SESSION: dict = {}


def test_fake_cache_stateful(crossref_session, request):
    """One item; ``-k stateful`` selects it. Runs only when the cache check is selected."""
    import pytest

    if "cache" not in crossref_session.checker.checks:
        pytest.skip("the cache check is not selected (--crossref-checks)")
    selected = request.config.getoption("crossref_ops")
    if selected:
        chosen = {e.name for e in catalog.select(selected.split(","))}
        FakeCacheMachine.ops = tuple(e for e in OPS if e.name in chosen)
        if not FakeCacheMachine.ops:
            pytest.skip("no op of the stateful test is selected by --crossref-ops")
    else:
        FakeCacheMachine.ops = OPS
    _SESSION["session"] = crossref_session
    crossref_session.stateful_item = request.node.nodeid
    run_state_machine_as_test(FakeCacheMachine)
