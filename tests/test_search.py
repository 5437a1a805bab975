"""crossref.search and strategies.drive: an item draws its whole budget whatever it
finds, each new signature is shrunk on its own, known ones are recorded and not
shrunk, the same seed draws the same calls, and a dtype the kernel refuses is not
drawn again."""

from __future__ import annotations

import json
from pathlib import Path

from crossref.check import catalog
from crossref.check.checker import Checker
from crossref.check.classify import SEVERITIES
from crossref.session.record import Recorder
from crossref.search.item import ItemSearch
from crossref.search.verdict import Verdict
from plants import planted
from crossref.strategies.drive import drive, item_seed


def _search(tmp_path, op, *, known=frozenset(), examples=25, seed=0, shrink_seconds=5.0):
    rec = Recorder(tmp_path / "run", "main")
    checker = Checker(checks=("forward",), recorder=rec)
    search = ItemSearch(checker, catalog.entry(op), f"tests::{op}", known=known, shrink_seconds=shrink_seconds)
    drive(search.entry, search.check, examples=examples, seed=seed)
    return search, rec


def _rows(tmp_path, kind):
    lines = (tmp_path / "run" / "parts" / "main.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["t"] == kind]


def test_a_finding_does_not_end_the_search_and_each_signature_is_shrunk_on_its_own(tmp_path):
    """add with two planted bugs of different categories, each on its own input pattern:
    both are found within the budget, every example is drawn, and each signature is
    shrunk to a call that shows it (not merely some failure)."""
    with planted("shape_0d"), planted("dtype_float16"):
        search, rec = _search(tmp_path, "aten.add.Tensor")
        result = search.finish()
    rec.close()
    assert result.examples == search.examples == 25 and result.checks > 25 and result.variants > 0
    categories = {n.finding.category for n in result.new}
    assert {"shape", "dtype"} <= categories, categories
    for n in result.new:
        assert any(f.signature == n.finding.signature for ch in n.checks for f in ch.findings)
        if n.finding.category == "shape":  # the plant needs 0-d operands, and nothing else
            assert all(t.size == () for t in n.call.tensor_specs()), n.call.describe()
        if n.finding.category == "dtype":  # ... a float16 operand
            assert "float16" in n.call.dtypes(), n.call.describe()
    order = [SEVERITIES.index(n.finding.severity) for n in result.new]
    assert order == sorted(order)  # the most severe first
    (item,) = _rows(tmp_path, "item")
    assert item["examples"] == 25 and item["new"] == len(result.new) and item["checks"] == result.checks
    examples = _rows(tmp_path, "example")
    for n in result.new:
        shrunk = [e for e in examples if e["signature"] == n.finding.signature and e["shrunk"]]
        assert shrunk and shrunk[-1]["example"] == n.call.describe()
        assert Path(n.repro).is_file() and Path(n.repro).parent == tmp_path / "run" / "repros"


def test_known_signatures_are_recorded_but_not_shrunk_or_failing(tmp_path):
    with planted("shape_0d"):
        first, rec = _search(tmp_path / "a", "aten.add.Tensor")
        known = frozenset(first.new_signatures)
        rec.close()
        again, rec = _search(tmp_path / "b", "aten.add.Tensor", known=known)
        result = again.finish()
    rec.close()
    assert known and not result.new and again.examples == 25
    assert {r["signature"] for r in _rows(tmp_path / "b", "finding")} >= known  # still recorded


def test_a_crash_is_not_shrunk(tmp_path):
    """A candidate of a crash's shrink may hang and wait out the time limit: a crash
    keeps the smallest call seen."""
    from crossref.check.classify import Finding
    from crossref.strategies.calls import op_calls
    from support import draw_many

    search, rec = _search(tmp_path, "aten.abs.default", examples=1)
    hang = Finding("abc123abc123", "aten.abs.default", "crash", "high", "fake:process", "",
                   "hung: no answer within 20 s during the fake call on cpu", "cpu", ("float32",), (), None)
    drawn = draw_many(op_calls(search.entry), 1)[0]
    search._new[hang.signature] = (hang, drawn, (), (0,))
    result = search.finish()
    rec.close()
    (n,) = [n for n in result.new if n.finding.signature == hang.signature]
    assert n.shrunk is None and n.call == drawn


def test_the_same_seed_draws_the_same_calls_and_another_seed_others():
    entry = catalog.entry("aten.mul.Tensor")

    def drawn(seed):
        calls = []
        drive(entry, lambda c: calls.append(c.describe()) or True, examples=10, seed=seed)
        return calls

    assert drawn(0) == drawn(0)
    assert drawn(0) != drawn(1)
    assert item_seed(0, "aten.mul.Tensor") != item_seed(0, "aten.add.Tensor")


def test_corpus_seeds_come_on_top_of_the_budget_and_leave_the_draws_as_they_were():
    """A corpus adds its calls (at most a budget's worth, the most made first) after
    the draws, which are the same as without it: a seeded run checks everything an
    unseeded one does."""
    import dataclasses

    entry = catalog.entry("aten.mul.Tensor")

    def run(seeds):
        calls = []
        n = drive(entry, lambda c: calls.append(c) or True, examples=10, seed=3, seeds=seeds)
        return n, calls

    n, alone = run(None)
    drawn = [c for c in alone if not c.variant]
    corpus = [dataclasses.replace(c, origin="corpus") for c in drawn] * 2  # more than a budget
    n_seeded, seeded = run(corpus)
    assert n == 10 and n_seeded == 20
    assert [c.describe() for c in seeded[:len(alone)]] == [c.describe() for c in alone]
    rest = [c for c in seeded[len(alone):] if not c.variant]
    assert [c.describe() for c in rest] == [c.describe() for c in corpus[:10]]
    assert all(c.origin == "corpus" for c in rest)


def test_every_example_of_the_budget_is_drawn_whatever_the_check_says():
    entry = catalog.entry("aten.mm.default")
    for answer in (True, False, Verdict(False), Verdict(True)):
        base = []
        n = drive(entry, lambda c: (base.append(c) if not c.variant else None) or answer, examples=12)
        assert n == 12 and len(base) == 12


def test_a_refused_dtype_is_not_drawn_again():
    """log_sigmoid_forward takes floating inputs only: once the kernel refused a dtype,
    no later call of the op is drawn with it."""
    entry = catalog.entry("aten.log_sigmoid_forward.default")
    from crossref.search.item import verdict

    refused_so_far: set = set()
    checker = Checker(checks=("forward",))
    accepted = 0

    def check(call):
        nonlocal accepted
        if not call.variant:
            assert not set(call.dtypes()) & refused_so_far, (call.describe(), refused_so_far)
        v = verdict(call, checker.run(call, entry.tags))
        refused_so_far.update(v.refused)
        accepted += v.accepted and not call.variant
        return v

    drive(entry, check, examples=25)
    assert {"bool", "int64", "complex64"} & refused_so_far
    assert accepted >= 15  # most of the budget is spent on calls the kernel takes
