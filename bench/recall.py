#!/usr/bin/env python
"""How many known real torch bugs does a sweep find? Recall against bench/realbugs.

bench/realbugs/known_bugs.py lists real fake-mode mismatches of the installed torch
(from PyTorch's xfail lists, its GitHub issues, and OpInfo samples run through a
real-vs-fake comparison), each with its overload and category. This script sweeps
those overloads the way the main job does (the ci profile by default) and counts a
bug as found when the run has a finding of that overload in that category.

    python bench/recall.py                         # sweep the bugs' ops (ci profile, -n 2)
    python bench/recall.py --run reports/latest    # score an existing run instead
    python bench/recall.py --public                # only bugs with a public report
    python bench/recall.py --modes                 # the symbolic/backward/autocast bugs (mode_bugs.py)

With ``--modes`` a bug counts as found when the run has a finding of its overload,
mode and category. Symbolic bugs are scored among those that still reproduce with the
Python dispatcher on (as torch.export traces, and as crossref's symbolic mode runs);
the others are listed apart.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench" / "realbugs")]

import known_bugs  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", help="score this report directory instead of sweeping")
    p.add_argument("--public", action="store_true", help="only bugs with a public report (not found by probing)")
    p.add_argument("--profile", default="ci", help="Hypothesis profile of the sweep (default ci)")
    p.add_argument("--workers", default="2", help="pytest -n (default 2)")
    p.add_argument("--seed", type=int, default=None, help="the run's seed (--hypothesis-seed; default: the profile's)")
    p.add_argument("--verify", action="store_true", help="keep only bugs whose check reproduces on this torch")
    p.add_argument("--modes", action="store_true", help="score the compiler-mode bugs (bench/realbugs/mode_bugs.py)")
    a = p.parse_args()
    import pandas as pd

    if a.modes:
        return _modes(a, pd)

    bugs = [b for b in known_bugs.BUGS if not (a.public and b.from_probe)]
    if a.verify:
        bugs = [b for b in bugs if _reproduces(b)]
    run = Path(a.run) if a.run else None
    if run is None:
        run = Path(tempfile.mkdtemp(prefix="crossref-recall-"))
        ops = ",".join(sorted({b.op for b in bugs}))
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "suites" / "test_ops.py"), "-q", "-p", "no:cacheprovider",
               "-n", a.workers, f"--hypothesis-profile={a.profile}", f"--crossref-ops={ops}",
               f"--crossref-report-dir={run}"] + ([f"--hypothesis-seed={a.seed}"] if a.seed is not None else [])
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    findings = pd.read_parquet(run / "findings.parquet")
    found_pairs = set(zip(findings["op"], findings["category"]))
    hits = 0
    print(f"{'op':52} {'category':15} {'found':6} condition")
    for b in bugs:
        hit = (b.op, b.category) in found_pairs
        hits += hit
        print(f"{b.op:52} {b.category:15} {'yes' if hit else 'NO':6} {b.condition[:70]}")
    print(f"found {hits}/{len(bugs)} ({hits / max(len(bugs), 1):.0%}) known real bugs; run: {run}")
    return 0


def _sweep(a, ops: set[str]) -> Path:
    run = Path(tempfile.mkdtemp(prefix="crossref-recall-"))
    cmd = [sys.executable, "-m", "pytest", str(ROOT / "suites" / "test_ops.py"), "-q", "-p", "no:cacheprovider",
           "-n", a.workers, f"--hypothesis-profile={a.profile}", f"--crossref-ops={','.join(sorted(ops))}",
           f"--crossref-report-dir={run}"] + ([f"--hypothesis-seed={a.seed}"] if a.seed is not None else [])
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return run


def _modes(a, pd) -> int:
    import mode_bugs

    bugs = [b for b in mode_bugs.BUGS if not (a.public and b.from_probe)]
    # A symbolic bug that vanishes with the Python dispatcher is not one a compiler meets.
    real = {id(b): b.mode != "symbolic" or _reproduces(b, mode_bugs.check_with_python_dispatcher) for b in bugs}
    run = Path(a.run) if a.run else _sweep(a, {b.op for b in bugs})
    findings = pd.read_parquet(run / "findings.parquet")
    found = set(zip(findings["op"], findings["mode"], findings["category"]))
    counts: dict[bool, list[int]] = {True: [0, 0], False: [0, 0]}
    print(f"{'op':46} {'mode':9} {'category':15} {'found':6} {'python dispatcher':18} condition")
    for b in bugs:
        hit = (b.op, b.mode, b.category) in found
        counts[real[id(b)]][0] += hit
        counts[real[id(b)]][1] += 1
        print(f"{b.op:46} {b.mode:9} {b.category:15} {'yes' if hit else 'NO':6} "
              f"{'reproduces' if real[id(b)] else 'gone':18} {b.condition[:60]}")
    (h, n), (h2, n2) = counts[True], counts[False]
    print(f"found {h}/{n} ({h / max(n, 1):.0%}) known real mode bugs that a compiler meets; "
          f"{h2}/{n2} of those only without the Python dispatcher; run: {run}")
    return 0


def _reproduces(bug, check=None) -> bool:
    try:
        return bool(check(bug) if check is not None else bug.check())
    except Exception:  # noqa: BLE001 - a check that breaks on this torch does not count
        return False


if __name__ == "__main__":
    sys.exit(main())
