"""The dispatch-cache checks (README "The dispatch-cache checks"), proven on planted
cache bugs (tests/plants.py CACHE_PLANTS) and controlled on unmutated torch.

- hit plants: a cache HIT synthesizes a wrong output. The per-call crosscheck
  (Checker, default checks) must report them as ``cache`` at ``repeat:<field>``.
- key plants: the cache key leaves out one piece of input metadata. Only visible
  across calls on metadata twins, so the stateful machine must find them.
- torch's own crosscheck (``torch-cache``) turns a hit-vs-fresh difference into a
  ``cache`` finding at ``repeat:error``.
- statistics: Checker's CacheStats equal FakeTensorMode.cache_info() deltas, and
  summary.json["cache"] aggregates the rows.

Every plant is undone by a fixture finalizer (the stateful runs under a plant happen in
a fresh interpreter that installs it); sweeps are derandomized, and the stateful runs
do not shrink (shrinking this machine's sequences took over 5 minutes).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch._subclasses import fake_tensor as fake_tensor_module
from torch._subclasses.fake_tensor import FakeTensorMode

from crossref import _torch
from crossref.check import catalog
from crossref.search import stateful
from crossref.reporting import report
from crossref.check.checker import CacheStats, Checker
from crossref.check.execute import run_fake
from crossref.session.failure import MISMATCH_TYPES
from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec
from crossref.session.record import Recorder
from crossref.search.item import verdict
from plants import CACHE_PLANTS, clean_exit, install, run_script
from crossref.strategies.drive import drive

FakeCacheMismatch = MISMATCH_TYPES["cache"]
TESTS = Path(__file__).resolve().parent


# ----------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def plant():
    """``plant(name)`` installs a cache plant; every one is undone at teardown, pass or fail."""
    undos = []

    def apply(name: str):
        undos.append(install(name))
        return CACHE_PLANTS[name]

    yield apply
    while undos:
        undos.pop()()


def hand_call(op: str, tensors, extra=(), kwargs=None, dtype=torch.float32):
    """A hand-built OpCall: ``tensors`` are (size, stride, offset), each on its own storage."""
    b = CallBuilder()
    specs = []
    for size, stride, offset in tensors:
        numel = offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))
        index = b.add_storage(StorageSpec(dtype, numel, seed=len(specs)))
        specs.append(TensorSpec(index, tuple(size), tuple(stride), offset))
    kw = {}
    for name, (size, stride, offset) in (kwargs or {}).items():
        index = b.add_storage(StorageSpec(dtype, offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))))
        kw[name] = TensorSpec(index, tuple(size), tuple(stride), offset)
    return b.build(op, [*specs, *extra], kw)


MM = hand_call("aten.mm.default", [((2, 3), (3, 1), 0), ((3, 2), (2, 1), 0)])


def sweep_checks(op: str, n: int, checker: Checker):
    """(call, DeviceCheck) of ``n`` calls of ``op`` drawn as the suite draws them (seed 0),
    without variants: the cache crosscheck runs on drawn calls."""
    entry = catalog.entry(op)
    seen = []

    def check(call):
        checks = checker.run(call, entry.tags)
        seen.extend((call, ch) for ch in checks)
        return verdict(call, checks)

    drive(entry, check, examples=n, with_variants=False)
    return seen


def cache_findings(seen):
    return [(call, ch, f) for call, ch in seen for f in ch.findings if f.category == "cache"]


def test_cache_plants_are_undone():
    names = ("_output_from_cache_entry", "_get_output_info_for_cache_entry", "_cache_key")
    before = {n: FakeTensorMode.__dict__[n] for n in names}
    extract = fake_tensor_module.extract_tensor_metadata
    for name in CACHE_PLANTS:
        install(name)()
        assert {n: FakeTensorMode.__dict__[n] for n in names} == before, name
        assert fake_tensor_module.extract_tensor_metadata is extract, name


# ----------------------------------------------------------------- 1. per call: a hit synthesizes a wrong output

HIT_PLANTS = [n for n, p in CACHE_PLANTS.items() if p.kind == "hit"]
HIT_EXAMPLES = {"hit_stride": 60, "hit_storage_offset": 100, "hit_conj": 150, "hit_view_base": 60}


@pytest.mark.parametrize("name", HIT_PLANTS)
def test_hit_plant_is_found_per_call(name, plant, tmp_path):
    p = plant(name)
    rec = Recorder(tmp_path / "run", "main")
    checker = Checker(recorder=rec)
    seen = sweep_checks(p.op, HIT_EXAMPLES[name], checker)
    rec.close()
    found = cache_findings(seen)
    assert found, f"{name}: no cache finding in {len(seen)} calls of {p.op}"
    for call, ch, f in found:
        # Only the hit is wrong: the cold miss returns what it computed.
        assert (f.op, f.field, f.device) == (p.op, f"repeat:{p.field}", "cpu"), (call, f)
        assert ch.cache.repeat == "hit" and ch.cache.hits >= 1, (call, ch.cache)
        # an empty tensor's strides, offset and storage mean nothing: low; its conj bit does
        minor = "empty-output" in f.traits and p.field.endswith((".stride", ".storage_offset", ".aliases"))
        assert f.severity == ("low" if minor else "high"), f
        assert f.real.startswith("uncached: ") and f.fake.startswith("repeat: ") and f.fails
        assert ch.status == "mismatch"
    # The per-call repro: reproduces under the plant, fixed without it.
    sig = min({f.signature for _, _, f in found}, key=lambda s: checker.seen[s])
    result = run_script(tmp_path / "run" / "repros" / f"{sig}.py", name)
    assert (clean_exit(result), result.returncode) == (0, 1), result.stdout + result.stderr


def test_hit_plant_on_a_hand_built_call(plant):
    [clean] = Checker().compute(MM)
    assert clean.findings == () and clean.cache == CacheStats(1, 1, (), "hit")
    plant("hit_stride")
    [check] = Checker().compute(MM)
    assert check.cache == CacheStats(1, 1, (), "hit")
    [(category, field, real, fake)] = [(f.category, f.field, f.real, f.fake) for f in check.findings]
    assert (category, field, real, fake) == ("cache", "repeat:out[0].stride", "uncached: (2, 1)", "repeat: (1, 2)")
    # The cold run (the miss) and the uncached run agree with the real kernel.
    assert check.fake.outputs[0].stride == check.fresh.outputs[0].stride == check.real.outputs[0].stride == (2, 1)


def test_hit_plants_change_only_the_hit(plant):
    """Each hit plant, on a call it breaks: the repeat differs from the uncached run in
    its field and nowhere else; the cold run is right."""
    calls = {
        "hit_stride": MM,
        "hit_storage_offset": hand_call("aten.select.int", [((2, 3), (3, 1), 0)], [0, 0]),
        "hit_conj": hand_call("aten.clone.default", [((2, 3), (3, 1), 0)], dtype=torch.complex64),
        "hit_view_base": hand_call("aten.t.default", [((2, 3), (3, 1), 0)]),
    }
    assert set(calls) == set(HIT_PLANTS)
    for name, call in calls.items():
        undo = install(name)
        try:
            [check] = Checker().compute(call)
        finally:
            undo()
        assert [f.field for f in check.findings] == [f"repeat:{CACHE_PLANTS[name].field}"], (name, check.findings)
        assert check.cache.repeat == "hit"


# ----------------------------------------------------------------- 3. torch's own crosscheck


def test_torch_crosscheck_turns_a_hit_difference_into_a_cache_finding(plant):
    checks = ("forward", "cache", "torch-cache")
    [clean] = Checker(checks=checks).compute(MM)
    assert clean.findings == () and clean.cache.repeat == "hit"
    plant("hit_stride")
    [check] = Checker(checks=checks).compute(MM)
    [f] = check.findings
    assert (f.category, f.field, f.severity) == ("cache", "repeat:error", "high")
    assert f.real == "uncached: returned normally"
    assert "FakeTensor cache crosscheck failure: func=aten.mm.default" in f.fake
    assert check.repeat.error.type == "RuntimeError" and check.cache.repeat == "raised"
    assert check.fake.error is None  # the cold miss is not crosschecked


def test_torch_crosscheck_through_drawn_calls(plant):
    p = plant("hit_stride")
    found = cache_findings(sweep_checks(p.op, 60, Checker(checks=("forward", "cache", "torch-cache"))))
    assert found
    assert {f.field for _, _, f in found} == {"repeat:error"}
    assert all("cache crosscheck failure" in f.fake for _, _, f in found)


def test_torch_crosscheck_misses_a_view_on_the_wrong_storage_crossref_does_not(plant):
    """torch's crosscheck compares metadata (assert_metadata_eq), not storage identity:
    a hit that synthesizes the view over a fresh storage passes it; crossref's own
    comparison of the repeat still reports the aliasing."""
    plant("hit_view_base")
    call = hand_call("aten.t.default", [((2, 3), (3, 1), 0)])
    [check] = Checker(checks=("forward", "cache", "torch-cache")).compute(call)
    assert check.repeat.error is None and check.cache.repeat == "hit"
    assert [(f.field, f.real, f.fake) for f in check.findings] == [
        ("repeat:out[0].aliases", "uncached: storage of input[0]", "repeat: new storage")]


# ----------------------------------------------------------------- 2. key gaps: found by the stateful machine

# Plant -> examples: each key gap is found within the ci profile's 25 examples over all
# the machine's ops, derandomized in a fresh interpreter (the same sequences every run).
# The machine applies every drawn call to twins of its first tensor that differ in one
# field of the key each (strategies/twins.py): that is what finds them this early.
CI_EXAMPLES = 25
KEY_FOUND = {name: CI_EXAMPLES for name in (
    "key_stride", "key_stride_only", "key_storage_offset", "key_storage_offset_and_size", "key_conj", "key_neg")}


def _field_value(outcome, field: str) -> str:
    head, _, attr = field.partition(".")
    index = int(head[head.index("[") + 1:-1])
    return str(getattr(outcome.outputs[index], attr))


# The machine runs in a fresh interpreter: its derandomized sequence was seen to change
# with what earlier tests left in the process (cause not found), so a key gap found at
# example k in one pytest worker was missed in another. A fresh process is the same
# every run.
_MACHINE_DRIVER = """
import json, sys
sys.path[:0] = [{tests!r}, {root!r}]
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from crossref.search import stateful
from crossref.session.failure import MISMATCH_TYPES
from crossref.suites.test_cache_stateful import FakeCacheMachine
import plants

FakeCacheMachine.ops = tuple(e for e in FakeCacheMachine.ops if e.name not in {exclude!r})

failing = []
original = stateful.Pool.apply
def apply(self, call):
    found = original(self, call)
    if found:
        failing.append((self, found))
    return found
stateful.Pool.apply = apply
undo = plants.install({plant!r}) if {plant!r} else (lambda: None)
out = {{"found": False}}
try:
    run_state_machine_as_test(FakeCacheMachine, settings=settings(
        max_examples={examples!r}, derandomize=True, deadline=None, database=None, print_blob=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=list(HealthCheck)))
except MISMATCH_TYPES["cache"] as exc:
    pool, found = failing[-1]
    reference, cached, real = pool.last
    def outputs(o):
        return None if o.error is not None else [
            {{k: str(getattr(m, k, None)) for k in ("shape", "stride", "storage_offset", "is_conj", "is_neg")}}
            for m in o.outputs]
    out = {{"found": True, "type": type(exc).__name__, "category": exc.category, "message": str(exc),
            "steps": len(pool.steps),
            "findings": [dict(field=f.field, signature=f.signature, category=f.category, severity=f.severity,
                              traits=list(f.traits), script=pool.render(f)) for f in found],
            "reference": outputs(reference), "cached": outputs(cached), "real": outputs(real)}}
finally:
    undo()
print("MACHINE-RESULT " + json.dumps(out))
"""


def run_machine(plant_name: str | None, examples: int, exclude=()) -> dict:
    """FakeCacheMachine over its ops but ``exclude`` under ``plant_name`` in a fresh
    interpreter; what it found."""
    code = _MACHINE_DRIVER.format(tests=str(TESTS), root=str(TESTS.parent), plant=plant_name, examples=examples,
                                  exclude=sorted(exclude))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=str(TESTS.parent))
    line = next((x for x in result.stdout.splitlines() if x.startswith("MACHINE-RESULT ")), None)
    assert line is not None, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(line.removeprefix("MACHINE-RESULT "))


@pytest.mark.parametrize("name", list(KEY_FOUND))
def test_key_gap_is_found_by_the_stateful_machine(name, tmp_path):
    examples = KEY_FOUND[name]
    p = CACHE_PLANTS[name]
    out = run_machine(name, examples)
    assert out["found"], f"{name}: no cache finding in {examples} examples"
    assert out["type"] == "FakeMismatch_cache" and out["category"] == "cache"
    text = out["message"]
    assert re.search(rf"stateful:out\[\d+\]\.{p.field}: uncached: .+?  vs  cached: ", text), text
    finding = next(f for f in out["findings"] if f["field"].endswith(f".{p.field}"))
    assert finding["category"] == "cache" and finding["severity"] in ("high", "low")
    assert finding["field"] in text and "cache:stateful" in finding["traits"]
    # A wrong answer, not an exception: both fake runs returned, the cached one differs,
    # and the uncached one agrees with the real kernel.
    assert None not in (out["reference"], out["cached"], out["real"]), out
    head = finding["field"].removeprefix("stateful:").split(".")[0]
    index = int(head[head.index("[") + 1:-1])
    reference, cached, real = (out[k][index][p.field] for k in ("reference", "cached", "real"))
    assert reference != cached and reference == real, (reference, cached, real)
    # The sequence repro: exits 1 with the plant, 0 without it.
    script = tmp_path / f"{finding['signature']}.py"
    script.write_text(finding["script"])
    result = run_script(script, name)
    assert (clean_exit(result), result.returncode) == (0, 1), result.stdout + result.stderr
    assert result.stdout.count("REPRODUCES") == 1 and "FIXED (no longer reproduces)" in result.stdout


def _twin_probe(name, a, b, op):
    """op(a) then op(b) in one mode: (cache hits, answer for b from the cache, uncached answer for b)."""
    def meta(t):
        return (tuple(t.shape), t.stride(), t.storage_offset(), t.is_conj(), t.is_neg(), t.requires_grad)

    undo = install(name)
    try:
        mode = _torch.new_fake_mode()
        fa, fb = mode.from_tensor(a), mode.from_tensor(b)
        with mode:
            op(fa)
            cached = meta(op(fb))
        hits = FakeTensorMode.cache_info().hits
    finally:
        undo()
    mode = _torch.new_fake_mode(cache=False)
    fb = mode.from_tensor(b)
    with mode:
        uncached = meta(op(fb))
    return hits, cached, uncached


def test_key_plants_are_wrong_answers_for_twins():
    """Each key plant, on two tensors that differ only in its field: the second call is
    a hit and (except requires_grad, below) answers with the first tensor's metadata."""
    aten = torch.ops.aten
    x = torch.randn(2, 3)
    base = torch.randn(8)
    c = torch.randn(2, 3, dtype=torch.complex64)
    cases = {
        "key_stride": (x, torch.randn(3, 2).t(), aten.clone.default),
        # strides alone: two non-contiguous tensors (the memory format is None for both) on
        # storages of the same size
        "key_stride_only": (torch.randn(12).as_strided((2, 3), (1, 2)), torch.randn(12).as_strided((2, 3), (6, 2)),
                            aten.clone.default),
        "key_storage_offset": (base[1:7].view(2, 3), base[2:8].view(2, 3), aten.t.default),
        "key_storage_offset_and_size": (torch.randn(7)[1:].view(2, 3), x, aten.t.default),
        "key_conj": (c, c.conj(), aten.t.default),
        "key_neg": (x, torch._neg_view(x), aten.t.default),
    }
    assert set(cases) | {"key_requires_grad"} == {n for n, p in CACHE_PLANTS.items() if p.kind == "key"}
    for name, (a, b, op) in cases.items():
        hits, cached, uncached = _twin_probe(name, a, b, op)
        assert hits == 1 and cached != uncached, (name, cached, uncached)
        hits, cached, uncached = _twin_probe(name, b, a, op)
        assert hits == 1 and cached != uncached, (name, cached, uncached)


def test_a_key_without_requires_grad_gives_no_wrong_answer():
    """requires_grad of an output is set by autograd above fake mode's dispatch, so a
    key that ignores it makes twins share an entry (a hit) with the right answer: no
    wrong answer to find, and the machine finds none."""
    aten = torch.ops.aten
    x, g = torch.randn(2, 3), torch.randn(2, 3, requires_grad=True)
    for op in (aten.t.default, aten.clone.default, aten.neg.default, aten.alias.default, aten._to_copy.default):
        for a, b in ((x, g), (g, x)):
            hits, cached, uncached = _twin_probe("key_requires_grad", a, b, op)
            assert hits == 1 and cached == uncached, (op, cached, uncached)
    assert run_machine("key_requires_grad", 30, exclude=GENUINE_STATEFUL_CACHE_BUGS) == {"found": False}


# ----------------------------------------------------------------- 4. controls on unmutated torch

CONTROL_OPS = [
    "aten.add.Tensor", "aten.mul.Tensor", "aten.sub.Tensor", "aten.div.Tensor", "aten.neg.default",
    "aten.abs.default", "aten.exp.default", "aten.where.self", "aten.masked_fill.Scalar", "aten.add_.Tensor",
    "aten.mul_.Tensor", "aten.view.default", "aten.transpose.int", "aten.t.default", "aten.permute.default",
    "aten.expand.default", "aten.slice.Tensor", "aten.select.int", "aten.unsqueeze.default", "aten.squeeze.dim",
    "aten.diagonal.default", "aten.alias.default", "aten.unbind.int", "aten.split.Tensor", "aten.sum.dim_IntList",
    "aten.mean.dim", "aten.amax.default", "aten.argmax.default", "aten.cumsum.default", "aten.mm.default",
    "aten.bmm.default", "aten.index_select.default", "aten.cat.default", "aten.stack.default", "aten.clone.default",
    "aten._to_copy.default", "aten.empty_like.default", "aten.flip.default", "aten.copy_.default",
    "aten.view_as_real.default", "aten.add.out",
]
# torch 2.13's own cache bugs: kept out of the control (one is pinned below).
GENUINE_CACHE_BUGS = ("aten.select_scatter.default", "aten.slice_scatter.default", "aten.slice_scatter.out",
                      "aten.unsafe_split.Tensor_out")


def test_control_per_call_finds_no_cache_bug():
    assert not set(CONTROL_OPS) & set(GENUINE_CACHE_BUGS)
    checker = Checker()
    bad, repeats = [], {}
    for op in CONTROL_OPS:
        seen = sweep_checks(op, 20, checker)
        assert len(seen) >= 10, op
        bad += [(c.describe(), f.field, f.real, f.fake) for c, _, f in cache_findings(seen)]
        for _, ch in seen:
            repeats[ch.cache.repeat] = repeats.get(ch.cache.repeat, 0) + 1
    assert bad == []
    assert repeats["hit"] > 0.7 * sum(repeats.values()), repeats  # the crosscheck did exercise hits


# torch 2.13's own cache bug that the machine finds: kept out of its control (pinned below).
GENUINE_STATEFUL_CACHE_BUGS = ("aten.view.default",)


def test_control_stateful_finds_no_cache_bug():
    assert run_machine(None, 50, exclude=GENUINE_STATEFUL_CACHE_BUGS) == {"found": False}


@pytest.mark.skipif(not torch.__version__.startswith("2.13."),
                    reason="a torch 2.13 bug: 2.14 bypasses the cache for prims.as_strided")
def test_genuine_empty_view_cache_bug_is_pinned():
    """torch 2.13, found by the machine (its 68-step sequence cut to these two steps):
    ``view`` of an empty bool tensor decomposes to prims.as_strided, whose cache entry
    records no view relation when the storage is 0 bytes. A later ``view`` of another
    empty tensor hits that entry and answers with a new storage, where the uncached mode
    and the kernel return a view of the input. Fixed in torch 2.14 (measured); if it
    fails on 2.13, drop the op from GENUINE_STATEFUL_CACHE_BUGS."""
    b = CallBuilder()
    s0 = b.add_storage(StorageSpec(torch.bool, 12))
    s1 = b.add_storage(StorageSpec(torch.bool, 0))
    first = TensorSpec(s0, (0, 4), (12, 1))  # set_ onto a 12-element storage, not a view
    second = TensorSpec(s1, (0, 4), (12, 1), view=True)  # as_strided of an empty base
    pool = stateful.Pool()
    assert pool.apply(b.build("aten.view.default", [first, [-1, 4]], {})) == ()
    [finding] = pool.apply(b.build("aten.view.default", [second, [0, 4]], {}))
    reference, cached, real = pool.last
    assert (finding.category, finding.field) == ("cache", "stateful:out[0].aliases")
    assert (finding.real, finding.fake) == ("uncached: storage of input[0]", "cached: new storage")
    assert finding.severity == "low"  # an alias difference on an empty tensor
    assert real.outputs[0].aliases == reference.outputs[0].aliases != cached.outputs[0].aliases
    script = pool.render(finding)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "REPRODUCES" in result.stdout, result.stdout + result.stderr[-2000:]


def test_genuine_slice_scatter_cache_bug_is_pinned(tmp_path):
    """torch 2.13: slice_scatter of a self at storage offset 1. The kernel and uncached
    fake mode answer offset 1; the cache entry is synthesized with empty_strided (not a
    view op), so a hit answers 0. If this fails, torch fixed it: move the op into the
    control."""
    call = hand_call("aten.slice_scatter.default", [((2, 3), (3, 1), 1), ((2, 1), (1, 1), 0)], [1, 0, 1])
    rec = Recorder(tmp_path / "run", "main")
    checker = Checker(recorder=rec)
    [check] = checker.run(call, item="tests::slice_scatter")
    rec.close()
    assert check.cache.repeat == "hit"
    assert [(f.category, f.field, f.real, f.fake) for f in check.findings] == [
        ("cache", "repeat:out[0].storage_offset", "uncached: 1", "repeat: 0")]
    assert check.real.outputs[0].storage_offset == check.fake.outputs[0].storage_offset == 1
    result = run_script(tmp_path / "run" / "repros" / f"{check.findings[0].signature}.py")
    assert result.returncode == 1 and "REPRODUCES" in result.stdout, result.stdout + result.stderr


# ----------------------------------------------------------------- 5. statistics


STATS_CALLS = {
    "mm": (hand_call("aten.mm.default", [((2, 3), (3, 1), 0), ((3, 4), (4, 1), 0)]), "hit"),
    "t": (hand_call("aten.t.default", [((2, 3), (3, 1), 0)]), "hit"),
    "select": (hand_call("aten.select.int", [((2, 3), (3, 1), 0)], [1, 2]), "hit"),
    "add.out": (hand_call("aten.add.Tensor", [((2, 3), (3, 1), 0), ((2, 3), (3, 1), 0)]), "hit"),
    "out=": (hand_call("aten.add.out", [((2, 3), (3, 1), 0), ((2, 3), (3, 1), 0)], kwargs={"out": ((2, 3), (3, 1), 0)}),
             "bypass"),
    "nonzero": (hand_call("aten.nonzero.default", [((2, 3), (3, 1), 0)]), "raised"),
}


def _cache_info():
    info = FakeTensorMode.cache_info()
    return info.hits, info.misses, dict(info.bypasses)


def _independent_stats(call) -> tuple[int, int, dict, str]:
    """The cold and repeat fake runs of Checker.compute, measured with cache_info()."""
    FakeTensorMode.cache_clear()
    mode = _torch.new_fake_mode()
    h0, m0, b0 = _cache_info()
    run_fake(call, "cpu", mode)
    h1, m1, b1 = _cache_info()
    repeat = run_fake(call, "cpu", mode)
    h2, m2, b2 = _cache_info()
    bypasses = {k: v - b0.get(k, 0) for k, v in b2.items() if v - b0.get(k, 0)}
    if repeat.error is not None:
        kind = "raised"
    elif h2 > h1:
        kind = "hit"
    elif any(v > b1.get(k, 0) for k, v in b2.items()):
        kind = "bypass"
    else:
        kind = "miss"
    return h2 - h0, m2 - m0, bypasses, kind


@pytest.mark.parametrize("label", list(STATS_CALLS))
def test_cache_stats_equal_cache_info_deltas(label):
    call, expected = STATS_CALLS[label]
    hits, misses, bypasses, kind = _independent_stats(call)
    [check] = Checker().compute(call)
    stats = check.cache
    assert (stats.hits, stats.misses, dict(stats.bypasses), stats.repeat) == (hits, misses, bypasses, kind)
    assert stats.repeat == expected
    if expected == "hit":
        assert stats.hits >= 1 and stats.misses >= 1 and not stats.bypasses
    elif expected == "bypass":
        assert stats.hits == 0 and dict(stats.bypasses) == {"kwarg aliases output": 2}
    else:
        assert check.repeat.error.type == "DynamicOutputShapeException"
        assert (stats.hits, stats.misses, stats.bypasses) == (0, 0, ())
    # cache_clear at the start of compute: the counters are the check's own.
    assert _cache_info()[:2] == (stats.hits, stats.misses)


# ----------------------------------------------------------------- 6. report aggregation

META = {"devices": ["cpu"], "seed": 0, "ops_patterns": ["aten.*"], "ops_selected": 5, "ops_skipped": {},
        "wall_seconds": 1.0, "profile": "ci", "max_examples": 2}


def test_summary_cache_aggregates_the_rows(tmp_path):
    run_dir = tmp_path / "run"
    rec = Recorder(run_dir, "gw0")
    checker = Checker(recorder=rec)
    for label, (call, _) in STATS_CALLS.items():
        for _ in range(2):
            checker.run(call, item=f"tests::{label}")
    rec.close()
    summary = report.merge(run_dir, meta=META)
    assert json.loads((run_dir / "summary.json").read_text())["cache"] == summary["cache"]
    cache = summary["cache"]
    rows = [json.loads(line) for line in (run_dir / "parts" / "gw0.jsonl").read_text().splitlines()]
    results = [r for r in rows if r["t"] == "result"]
    assert len(results) == 2 * len(STATS_CALLS)
    assert cache["hits"] == sum(r["cache_hits"] for r in results) > 0
    assert cache["misses"] == sum(r["cache_misses"] for r in results) > 0
    bypasses: dict[str, int] = {}
    for r in results:
        for part in filter(None, r["cache_bypasses"].split(",")):
            k, v = part.rsplit("=", 1)
            bypasses[k] = bypasses.get(k, 0) + int(v)
    assert cache["bypasses"] == bypasses == {"kwarg aliases output": 4}
    assert cache["repeat"] == {"hit": 8, "bypass": 2, "raised": 2}
    assert cache["ops_served_from_cache"] == 4
    assert cache["ops_never_cached"] == {"aten.add.out": "bypass: kwarg aliases output",
                                         "aten.nonzero.default": "every call raised in fake mode"}


def test_record_without_examples_of_an_unseen_finding(tmp_path):
    rec = Recorder(tmp_path / "run", "main")
    checker = Checker(recorder=rec)
    call = hand_call("aten.slice_scatter.default", [((2, 3), (3, 1), 1), ((2, 1), (1, 1), 0)], [1, 0, 1])
    [check] = checker.compute(call)
    try:
        checker.record(call, check, "tests::stateful", "stateful", 0.0, examples=False)
    finally:
        rec.close()
    assert rec.rows["example"] == 0
