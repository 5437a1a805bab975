"""Run the python block of ``crossref report`` for a sample of a run's findings, each
standalone in a fresh interpreter, and count how many run as printed and show the
finding (the kernel's and fake mode's lines differ).

    python bench/report_snippets.py RUN [--sample 30] [--seed 0]

A finding with a snippet prints two lines, ``real ...`` and ``fake ...``; it shows the
finding when they differ (a value, or one side raising). Findings without a snippet
(symbolic, backward, cache, crash) carry the full repro, which ``crossref repro`` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from crossref.reporting.cli import main as crossref


def shown(line: str) -> str:
    value = line.split(" ", 1)[1] if " " in line else ""
    return "raised" if value.startswith("raised") else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    findings = pd.read_parquet(Path(args.run) / "findings.parquet")
    live = findings[(findings["known"].fillna("") == "") & (findings["category"] != "unsupported")]
    with_snippet = live[live["snippet"].fillna("") != ""]
    print(f"{len(live)} new findings, {len(with_snippet)} with a snippet "
          f"({len(with_snippet) / max(len(live), 1):.0%}); by mode: "
          + ", ".join(f"{m} {n}" for m, n in with_snippet["mode"].value_counts().items()))
    rows = with_snippet.to_dict("records")
    random.Random(args.seed).shuffle(rows)
    ran = showed = 0
    lines_per_snippet = []
    for row in rows[: args.sample]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code_rc = crossref(["report", row["signature"], "--run", args.run])
        body = re.search(r"```python\n(.*?)```", out.getvalue(), re.S).group(1)
        lines_per_snippet.append(len(body.splitlines()))
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
            fh.write(body)
        result = subprocess.run([sys.executable, fh.name], capture_output=True, text=True, timeout=120)
        sides = [ln for ln in result.stdout.splitlines() if ln.startswith(("real ", "fake "))]
        ok = code_rc == 0 and result.returncode == 0 and len(sides) == 2
        differs = ok and shown(sides[0]) != shown(sides[1])
        ran += ok
        showed += differs
        print(f"{row['signature']} {row['category']:>15} {row['op']:<40} ran={ok} shows={differs}"
              + ("" if differs else f"  {sides or result.stderr.strip().splitlines()[-1:]}"))
    n = min(args.sample, len(rows))
    print(f"snippets run standalone: {ran}/{n}; show the finding: {showed}/{n}; "
          f"lines per snippet: median {sorted(lines_per_snippet)[len(lines_per_snippet) // 2] if n else 0}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
