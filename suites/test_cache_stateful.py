"""The stateful cache test: one FakeTensorMode and its dispatch cache kept alive across
many steps (Hypothesis RuleBasedStateMachine). It finds cache-key gaps and
order-dependent answers that a fresh mode per call cannot see; failing sequences
shrink to the shortest, and the repro script replays the whole sequence.

    pytest suites/test_cache_stateful.py          # or: pytest -k stateful
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, multiple, rule, run_state_machine_as_test

from crossref.check import catalog
from crossref.session.failure import MISMATCH_TYPES
from crossref.check.opcall import CallBuilder, OpCall, StorageSpec, TensorSpec
from crossref.search.stateful import Pool
from crossref.strategies import twins
from crossref.strategies.calls import op_calls
from crossref.strategies.tensors import tensors

#: Ops applied to pool members: cacheable ones whose first argument anchors the rest.
#: In this order: Hypothesis draws the first ones most (its simplest examples pick index
#: 0), so views that pass every piece of input metadata on to their output come first.
OP_NAMES = (
    "aten.alias.default", "aten.view.default", "aten.transpose.int", "aten.slice.Tensor", "aten.select.int",
    "aten.unsqueeze.default", "aten.t.default", "aten.permute.default", "aten.expand.default", "aten.squeeze.dim",
    "aten.diagonal.default", "aten.detach.default", "aten.clone.default", "aten.neg.default", "aten.add.Tensor",
    "aten.mul.Tensor", "aten.sub.Tensor", "aten.div.Tensor", "aten.add_.Tensor", "aten.mul_.Tensor",
    "aten.abs.default", "aten.exp.default", "aten.sin.default", "aten._to_copy.default", "aten.empty_like.default",
    "aten.zeros_like.default", "aten.sum.dim_IntList", "aten.mean.dim", "aten.amax.default", "aten.argmax.default",
    "aten.cumsum.default", "aten.where.self", "aten.masked_fill.Scalar", "aten.fill_.Scalar", "aten.zero_.default",
    "aten.copy_.default", "aten.index_select.default", "aten.mm.default", "aten.bmm.default", "aten.unbind.int",
    "aten.split.Tensor", "aten.flip.default", "aten.roll.default", "aten.repeat.default", "aten.contiguous.default",
    "aten.real.default", "aten.conj.default", "aten.view_as_real.default", "aten.resolve_conj.default",
    "aten.resolve_neg.default",
)
OPS = tuple(e for name in OP_NAMES for e in catalog.select([name]) if not e.skip)


class FakeCacheMachine(RuleBasedStateMachine):
    """A pool of tensor recipes (real tensors and their fakes, built once) and a mode
    whose cache persists; rules add members, metadata twins of members, and apply ops
    (each call also to twins of its first tensor)."""

    members = Bundle("members")
    ops = OPS  # narrowed to the --crossref-ops selection by the test

    def __init__(self) -> None:
        super().__init__()
        from crossref import _torch

        _torch.clear_fake_cache()
        self.builder = CallBuilder()
        self.pool = Pool()

    def _twin(self, member: TensorSpec, kind: str) -> TensorSpec | None:
        t = twins.twin(self.builder, member, kind)
        if t is not None and kind == "inference":
            self.pool.build_inference_storage(t.storage, self.builder.storages[t.storage])
        return t

    def _apply(self, call: OpCall) -> None:
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

    @initialize(target=members, data=st.data())
    def first_members(self, data):
        """A drawn member, then a seed: a complex 2x3 tensor, which every twin kind
        applies to. Members are drawn newest first, so the simplest examples apply their
        ops to the seed, and each of them already probes every field of the key."""
        drawn = data.draw(tensors(self.builder, max_numel=32), label="member")
        seed = self.builder.add_storage(StorageSpec(torch.complex64, 6, seed=1))
        return multiple(drawn, TensorSpec(seed, (2, 3), (3, 1)))

    @rule(target=members, data=st.data())
    def add_member(self, data):
        return data.draw(tensors(self.builder, max_numel=32), label="member")

    @rule(target=members, member=members, kind=st.sampled_from(twins.KINDS))
    def add_twin(self, member: TensorSpec, kind: str):
        """A tensor like ``member`` in all but one piece of metadata (none where that
        metadata cannot differ)."""
        t = self._twin(member, kind)
        return multiple() if t is None else t

    @rule(member=members, data=st.data())
    def apply_op(self, member: TensorSpec, data):
        """A call of a random op anchored on ``member``; then the same call on
        ``member`` moved to a roomy storage, and on each twin of that: the same op and
        arguments with one piece of metadata changed, which a key that leaves the
        metadata out answers from the entry the call before it filled; then on two
        non-contiguous geometries of it that differ in their strides alone (not in
        memory format); then another call of the op on ``member``."""
        entry = data.draw(st.sampled_from(self.ops), label="op")
        call = data.draw(op_calls(entry, builder=self.builder, anchor=member), label="call")
        self._apply(call)
        if member not in set(call.tensor_specs()):
            return
        home = twins.rehome(self.builder, member)
        self._apply(call.with_tensor(member, home, self.builder.storages))
        for kind in twins.KINDS:
            t = self._twin(home, kind)
            if t is not None:
                self._apply(call.with_tensor(member, t, self.builder.storages))
        pair = twins.stride_pair(self.builder, home)  # strides alone differ, not the memory format
        for t in pair or ():
            self._apply(call.with_tensor(member, t, self.builder.storages))
        # The same op on the same tensor with its other arguments drawn again: a key
        # that leaves out an argument answers this from the first call's entry.
        self._apply(data.draw(op_calls(entry, builder=self.builder, anchor=member), label="again"))


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
    run_state_machine_as_test(FakeCacheMachine, settings=crossref_session.settings)
