"""Helpers shared by the harness's own tests (not a test module)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossref.check import catalog
from crossref.check.checker import Checker, DeviceCheck
from crossref.check.compare import ErrorInfo, Outcome, TensorMeta, Value
from crossref.check.opcall import OpCall
from crossref.search.item import verdict
from crossref.strategies.drive import drive


# The report contract (README.md, "Report format"): the columns and summary entries a run promises at least.
DESIGN_FINDING_COLUMNS = {"signature", "op", "category", "severity", "field", "real", "fake", "device", "dtypes",
                          "count", "example", "repro", "mode", "fake_impl", "cluster"}
DESIGN_RESULT_COLUMNS = {"status", "op", "device", "dtypes", "category"}
DESIGN_SUMMARY_KEYS = {"torch_version", "git_revision", "harness_version", "devices", "seed", "ops_selected",
                       "counts_by_status", "findings_by_category", "cache", "wall_seconds", "clusters"}

def quick(max_examples: int):
    """Deterministic Hypothesis settings for tests that *measure* a strategy or sweep an op:
    the same examples every run, no database, no deadline."""
    return settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


def draw_many(strategy: st.SearchStrategy, n: int) -> list[Any]:
    """``n`` examples of ``strategy``, drawn the way a test would see them."""
    out: list[Any] = []

    @quick(n)
    @given(strategy)
    def collect(value):
        out.append(value)

    collect()
    return out


def sweep(op: str, n: int, checker: Checker | None = None, *, seed: int = 0,
          with_variants: bool = True) -> list[tuple[OpCall, list[DeviceCheck]]]:
    """Check ``n`` drawn calls of ``op`` (and variants of the valid ones) through a
    Checker, drawn exactly as suites/test_ops.py draws them, collecting every check."""
    entry = catalog.entry(op)
    checker = checker or Checker()
    seen: list[tuple[OpCall, list[DeviceCheck]]] = []

    def check(call):
        checks = checker.run(call, entry.tags)
        seen.append((call, checks))
        return verdict(call, checks)

    drive(entry, check, examples=n, seed=seed, with_variants=with_variants)
    return seen


def findings(seen, category: str | None = None) -> list[tuple[OpCall, Any]]:
    """(call, finding) pairs of a sweep, optionally of one category."""
    return [(call, f) for call, checks in seen for ch in checks for f in ch.findings
            if category is None or f.category == category]


# ----------------------------------------------------------------- hand-built outcomes

BASE = TensorMeta(shape=(2, 3), dtype="float32", device="cpu", layout="strided", stride=(3, 1),
                  storage_offset=0, requires_grad=False, is_conj=False, is_neg=False, aliases=(),
                  is_input=None, storage_group=0)
INPUT = TensorMeta(shape=(2, 3), dtype="float32", device="cpu", layout="strided", stride=(3, 1),
                   storage_offset=0, requires_grad=False, is_conj=False, is_neg=False, aliases=(0,),
                   is_input=0, storage_group=None)


def meta(**changes) -> TensorMeta:
    return replace(BASE, **changes)


def outcome(side: str = "real", outputs=(BASE,), *, structure: str | None = None, inputs_after=(INPUT,),
            error: ErrorInfo | None = None, device: str = "cpu") -> Outcome:
    if error is not None:
        return Outcome(side, device, "", (), (), error, 0.0)
    if structure is None:
        structure = "T" if len(outputs) == 1 else "(" + ",".join(
            "T" if isinstance(o, TensorMeta) else "v" for o in outputs) + ")"
    return Outcome(side, device, structure, tuple(outputs), tuple(inputs_after), None, 0.0)


def error(type_: str = "RuntimeError", message: str = "boom", *, limitation: bool = False,
          phase: str = "call") -> ErrorInfo:
    return ErrorInfo(type_, message, phase, limitation)


def value(v: Any) -> Value:
    return Value(type(v).__name__, repr(v))


# Whole pytester runs of the repo's own suite (test_plugin.py, test_workflow.py).
TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SUITE = str(REPO / "suites" / "test_ops.py")
BASE_ARGS = ("--rootdir", str(REPO), "-c", str(REPO / "pyproject.toml"), "-p", "no:cacheprovider",
             "--hypothesis-seed=0")


def explore(op: str, examples: int, seed: int = 0, modes: tuple[str, ...] = ("static",),
            **options) -> list[set[tuple[str, str]]]:
    """An item's exploration as the suite draws it (calls and variants, forward check,
    in ``modes``): per drawn example, the (category, signature) pairs of the failing
    findings its checks showed; with modes other than static alone, (mode:category,
    signature). ``options`` go to ``drive``."""
    from crossref.check.modes import for_variant

    entry = catalog.entry(op)
    checker = Checker(checks=("forward",), modes=modes)
    per_example: list[set[tuple[str, str]]] = []
    label = (lambda f: f.category) if modes == ("static",) else (lambda f: f"{f.mode}:{f.category}")

    def check(call):
        if not call.variant:
            per_example.append(set())
        checks = checker.run(call, entry.tags, modes=for_variant(call, modes) if call.variant else None)
        per_example[-1].update((label(f), f.signature) for ch in checks if ch.selected for f in ch.findings
                               if f.fails)
        return verdict(call, checks)

    drive(entry, check, examples=examples, seed=seed, **options)
    return per_example


def require_plants_in_forked_children() -> None:
    """Skip the calling test unless a child forked from this process can run autograd.
    A CUDA build of torch refuses it once this process has run a fake-mode backward (an
    earlier test's in-process check); crossref then spawns its crash-isolation children
    (crossref/session/isolate.py), and a plant monkeypatched here cannot reach them. A
    CPU build never skips; on a CUDA build the test passes when run on its own."""
    import os

    import pytest

    from crossref.session.isolate import autograd_after_fork

    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if autograd_after_fork() is None else 1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        pytest.skip("autograd cannot run in a child forked from this test process (a CUDA build of torch after "
                    "an in-process backward): the plant would not reach crossref's spawned children")
