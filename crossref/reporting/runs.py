"""Reading finished runs (``reports/<run>/``, the report contract in README.md) and
merging several runs (shards, runners) into one.

Every tool of the command line (diff, history, dashboard, repro) loads a run through
``load_run``: it validates the directory at the edge and raises ``UsageError`` with
one line naming the bad path, never a pandas or pyarrow traceback. Parquet files are
read here and nowhere else in the tools.

``merge_runs`` rebuilds one report from several: it copies each run's raw parts under
a run-index prefix (so workers ``gw0`` of two shards stay apart), copies the repro
scripts, and calls ``crossref.report.merge`` with metadata combined from the inputs'
summaries. torch is imported only there (via report.py), so the read-only tools start
fast.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UsageError
from ..session.record import PARTS_DIR
from ..taxonomy import SEVERITIES, severity_rank

#: The columns the tools read; a findings/results file without them is not a run.
NEEDED_FINDING_COLUMNS = ("signature", "op", "category", "severity", "field", "real", "fake",
                          "device", "count", "example", "repro")
NEEDED_RESULT_COLUMNS = ("op", "status", "device")
NEEDED_SUMMARY_KEYS = ("torch_version", "created_utc")

SEVERITY_ORDER = {s: severity_rank(s) for s in SEVERITIES}


@dataclass(frozen=True, slots=True)
class Run:
    """A finished run: its resolved directory, summary.json and findings.parquet
    (results.parquet only when asked for: it can be large)."""

    path: Path
    summary: dict[str, Any]
    findings: pd.DataFrame
    results: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def run_id(self) -> str:
        """Directory name and creation time: stable across moves, unique across reruns."""
        return f"{self.path.name}@{self.summary.get('created_utc', '?')}"

    def live_findings(self) -> pd.DataFrame:
        """Findings that are not fake mode's declared limitations (``unsupported``)."""
        return self.findings[self.findings["category"] != "unsupported"]

    def ops_checked(self) -> set[str]:
        assert self.results is not None, "load_run(..., results=True) first"
        return set(self.results["op"].dropna())

    def checks_selected(self) -> list[str]:
        """The check kinds the run selected (summary ``checks_selected``, or ``checks``
        when that is a list: older summaries let the count overwrite it)."""
        for key in ("checks_selected", "checks"):
            value = self.summary.get(key)
            if isinstance(value, list):
                return [str(v) for v in value]
        return []


def one_line(exc: BaseException) -> str:
    """An exception's message as one short line (parquet errors span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def read_summary(path: Path) -> dict[str, Any]:
    """summary.json of the run at ``path`` (already known to be a directory)."""
    file = path / "summary.json"
    if not file.is_file():
        hint = " (parts/ found: the run was not merged; try 'crossref merge')" if (path / PARTS_DIR).is_dir() else ""
        raise UsageError(f"{str(path)!r} is not a crossref run: no summary.json{hint}")
    try:
        summary = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{str(file)!r} is unreadable or not valid JSON: {one_line(exc)}") from None
    if not isinstance(summary, dict):
        raise UsageError(f"{str(file)!r} is not a crossref summary: it holds a {type(summary).__name__}, not an object")
    missing = [k for k in NEEDED_SUMMARY_KEYS if k not in summary]
    if missing:
        raise UsageError(f"{str(file)!r} is not a crossref summary: missing {', '.join(missing)}")
    return summary


def read_table(file: Path, needed: tuple[str, ...]) -> pd.DataFrame:
    """A parquet file with at least the ``needed`` columns, or a one-line UsageError."""
    if not file.is_file():
        raise UsageError(f"{str(file.parent)!r} is not a crossref run: no {file.name}")
    try:
        df = pd.read_parquet(file)
    except Exception as exc:  # pyarrow raises many types (ArrowInvalid, OSError, ...)
        raise UsageError(f"{str(file)!r} cannot be read as parquet: {one_line(exc)}") from None
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise UsageError(f"{str(file)!r} lacks the columns {', '.join(missing)}")
    return df


def run_dir(path: str | Path, what: str = "run directory") -> Path:
    """``path`` resolved (``reports/latest`` becomes the run it points at), or a
    UsageError if it is missing or not a directory."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{what} {str(path)!r} does not exist")
    if not p.is_dir():
        raise UsageError(f"{what} {str(path)!r} is not a directory")
    return p.resolve()


def load_run(path: str | Path, *, results: bool = False) -> Run:
    """Validate and load the run at ``path``."""
    p = run_dir(path)
    summary = read_summary(p)
    findings = read_table(p / "findings.parquet", NEEDED_FINDING_COLUMNS)
    res = read_table(p / "results.parquet", NEEDED_RESULT_COLUMNS) if results else None
    # Runs from before the compiler modes checked static mode only.
    for table in (findings, res):
        if table is not None:
            table["mode"] = table["mode"].fillna("static") if "mode" in table else "static"
    return Run(p, summary, findings, res)


# --- merging several runs -------------------------------------------------------------

def _unique(values) -> list:
    out = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def combined_meta(runs: list[Run]) -> dict[str, Any]:
    """The ``meta`` for report.merge from the inputs' summaries: unions of devices,
    checks, patterns and skipped ops; the seeds as a list; wall time max and sum."""
    s = [r.summary for r in runs]
    versions = _unique(x["torch_version"] for x in s)
    revisions = _unique(x.get("git_revision", "unknown") for x in s)
    profiles = _unique(x.get("profile") for x in s if x.get("profile") is not None)
    skipped: dict[str, str] = {}
    for x in s:
        skipped.update(x.get("ops_skipped") or {})
    walls = [float(x.get("wall_seconds") or 0.0) for x in s]
    return {
        "torch_version": ", ".join(versions),
        "torch_versions": versions,
        "git_revision": ", ".join(revisions),
        "devices": _unique(d for x in s for d in x.get("devices") or []),
        "seed": [x.get("seed") for x in s],
        "profile": profiles[0] if len(profiles) == 1 else ", ".join(map(str, profiles)) or None,
        "checks_selected": _unique(c for r in runs for c in r.checks_selected()),
        "max_examples": max((x.get("max_examples") or 0 for x in s), default=0),
        "ops_patterns": _unique(p for x in s for p in x.get("ops_patterns") or []),
        "ops_selected": max((int(x.get("ops_selected") or 0) for x in s), default=0),
        "ops_skipped": dict(sorted(skipped.items())),
        "wall_seconds": max(walls, default=0.0),
        "wall_seconds_sum": round(sum(walls), 3),
        "merged_from": [str(r.path) for r in runs],
    }


def _copy_parts(index: int, run: Run, out: Path, examples: dict[str, dict[str, int]]) -> dict[str, int]:
    """Copy the run's parts to ``out/parts/r<index>-<worker>.jsonl``, renaming the
    ``worker`` of every row the same way; note which run each example came from.
    Returns the prefixed workers' expected row counts from the run's summary."""
    prefix = f"r{index}-"
    for part in sorted((run.path / PARTS_DIR).glob("*.jsonl")):
        with open(part, encoding="utf-8") as src, open(out / PARTS_DIR / f"{prefix}{part.name}", "w", encoding="utf-8") as dst:
            for line in src:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a torn last line: report.read_parts would skip it too
                row["worker"] = prefix + str(row.get("worker", part.stem))
                if row.get("t") == "example":
                    examples.setdefault(row["signature"], {}).setdefault(row.get("example", ""), index)
                dst.write(json.dumps(row, separators=(",", ":")) + "\n")
    expected = (run.summary.get("rows") or {}).get("expected") or {}
    return {prefix + w: int(n) for w, n in expected.items()}


def _copy_repros(runs: list[Run], out: Path, examples: dict[str, dict[str, int]]) -> None:
    """Copy every repro script; where several runs have one for a signature, keep the
    script of the run whose example the merged findings.parquet chose."""
    target = out / "repros"
    target.mkdir(exist_ok=True)
    for run in reversed(runs):  # the first run wins by default
        if (run.path / "repros").is_dir():
            shutil.copytree(run.path / "repros", target, dirs_exist_ok=True)
    merged = pd.read_parquet(out / "findings.parquet")
    for sig, example in zip(merged["signature"], merged["example"]):
        index = examples.get(sig, {}).get(example)
        src = runs[index].path / "repros" / f"{sig}.py" if index is not None else None
        if src is not None and src.is_file():
            shutil.copyfile(src, target / f"{sig}.py")


def merge_runs(paths: list[str], out: str | Path, *, allow_mixed: bool = False) -> dict[str, Any]:
    """Merge the runs at ``paths`` into a new run at ``out``; returns its summary."""
    if len(paths) < 1:
        raise UsageError("merge needs at least one run directory")
    runs = [load_run(p) for p in paths]
    for run in runs:
        if not (run.path / PARTS_DIR).is_dir():
            raise UsageError(f"{str(run.path)!r} has no {PARTS_DIR}/ directory: nothing to merge")
    if len({r.path for r in runs}) < len(runs):
        raise UsageError("merge: the same run directory is given twice")
    versions = {r.name: r.summary["torch_version"] for r in runs}
    if len(set(versions.values())) > 1 and not allow_mixed:
        listed = ", ".join(f"{n}={v}" for n, v in versions.items())
        raise UsageError(f"runs have different torch versions ({listed}); pass --allow-mixed to merge them anyway")
    dest = Path(out)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(f"--out {str(out)!r} already exists and is not an empty directory")
    dest = dest.resolve()
    if any(dest == r.path or r.path in dest.parents for r in runs):
        raise UsageError(f"--out {str(out)!r} is inside an input run")
    (dest / PARTS_DIR).mkdir(parents=True, exist_ok=True)
    examples: dict[str, dict[str, int]] = {}
    expected: dict[str, int] = {}
    for i, run in enumerate(runs):
        expected.update(_copy_parts(i, run, dest, examples))
    from . import report  # imports torch: only the merge needs it

    summary = report.merge(dest, meta=combined_meta(runs), expected_rows=expected or None)
    _copy_repros(runs, dest, examples)
    return summary
