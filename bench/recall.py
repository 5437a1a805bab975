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
    a = p.parse_args()
    import pandas as pd

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


def _reproduces(bug) -> bool:
    try:
        return bool(bug.check())
    except Exception:  # noqa: BLE001 - a check that breaks on this torch does not count
        return False


if __name__ == "__main__":
    sys.exit(main())
