"""The run history: a parquet dataset of runs over time, read by the dashboard.

Layout under the history directory (default ``reports/history``)::

    runs/<key>.parquet       one row per run (HISTORY_RUN_COLUMNS)
    findings/<key>.parquet   the run's findings.parquet rows, with ``run_id`` first

Adding a run writes two new files (each atomically: a temporary name, then a
rename); nothing already stored is rewritten, so concurrent CI jobs that add
different runs do not lose each other's rows. ``run_id`` is the run directory's name
and its creation time; adding a run whose id is stored already is a no-op.

Open-ended counters (findings by category, cache bypass reasons, valid share by
family) are stored as JSON text so every file has the same columns.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import taxonomy
from ..errors import UsageError
from .diff import checked_by_mode
from .runs import Run, one_line

DEFAULT_HISTORY = Path("reports") / "history"
#: the statuses a history row counts (not_applicable: no verdict either way)
STATUSES = tuple(s for s in taxonomy.STATUSES if s != "not_applicable")

#: The runs table, declared once; the tests validate written files against it.
HISTORY_RUN_COLUMNS: dict[str, str] = {
    "run_id": "string",
    "run_name": "string",
    "created_utc": "string",
    "added_utc": "string",
    "report_path": "string",  # absolute: the dashboard links into its repros/
    "torch_version": "string",
    "git_revision": "string",
    "harness_version": "string",
    "devices": "string",
    "seed": "string",
    "profile": "string",
    "checks_selected": "string",
    "checks": "int64",
    "wall_seconds": "float64",
    "ops_selected": "int64",
    "ops_checked": "int64",
    "ops_with_valid_call": "int64",
    "ops_skipped": "int64",
    "ops_checked_names": "string",  # JSON list: what "fixed since the previous run" needs
    "ops_checked_by_mode": "string",  # JSON object: mode -> the ops checked in it (diff.Coverage)
    "max_examples": "int64",  # examples per item: a later run that drew fewer did not recheck
    **{f"status_{s}": "int64" for s in STATUSES},
    "findings": "int64",
    "findings_live": "int64",
    "findings_new": "int64",
    "findings_by_category": "string",  # JSON object
    "findings_by_severity": "string",  # JSON object
    "findings_by_impact": "string",  # JSON object: consequence in compiled programs -> findings ({}: not probed)
    "findings_new_by_impact": "string",  # JSON object, new findings only
    "modes_selected": "string",  # static,symbolic,backward,autocast ("static" for runs before modes)
    "modes": "string",  # JSON object: summary.json["modes"] (per mode: checks, statuses, findings)
    "cache_present": "bool",
    "cache_hits": "int64",
    "cache_misses": "int64",
    "cache_bypasses": "string",  # JSON object: reason -> count
    "cache_repeat": "string",  # JSON object: hit/bypass/miss/raised -> count
    "cache_ops_served": "int64",
    "cache_ops_never": "int64",
    "valid_share_by_family": "string",  # JSON object, as in summary.json
    "rows_complete": "bool",
    "merged_from": "string",  # JSON list
}


@dataclass(frozen=True, slots=True)
class History:
    """Every stored run (oldest first) and every stored finding."""

    runs: pd.DataFrame
    findings: pd.DataFrame

    def findings_of(self, run_id: str) -> pd.DataFrame:
        return self.findings[self.findings["run_id"] == run_id]


def _key(run_id: str) -> str:
    """A file name for ``run_id``: readable prefix plus a hash (ids hold ':' and '@')."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)[:60]
    return f"{safe}-{hashlib.sha1(run_id.encode()).hexdigest()[:8]}"


def _json(value: Any) -> str:
    return json.dumps(value if value is not None else {}, sort_keys=True, default=str)


def run_row(run: Run) -> dict[str, Any]:
    """The runs-table row of ``run`` (loaded with its results, for the ops it checked)."""
    s = run.summary
    status = s.get("counts_by_status") or {}
    cache = s.get("cache") or {}
    return {
        "run_id": run.run_id,
        "run_name": run.name,
        "created_utc": s["created_utc"],
        "added_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "report_path": str(run.path),
        "torch_version": str(s["torch_version"]),
        "git_revision": str(s.get("git_revision", "unknown")),
        "harness_version": str(s.get("harness_version", "")),
        "devices": ",".join(s.get("devices") or []),
        "seed": str(s.get("seed", "")),
        "profile": str(s.get("profile") or ""),
        "checks_selected": ",".join(run.checks_selected()),
        "checks": int(s["checks"]) if isinstance(s.get("checks"), int) else int(sum(status.values())),
        "wall_seconds": float(s.get("wall_seconds") or 0.0),
        "ops_selected": int(s.get("ops_selected") or 0),
        "ops_checked": int(s.get("ops_checked") or 0),
        "ops_with_valid_call": int(s.get("ops_with_valid_call") or 0),
        "ops_skipped": len(s.get("ops_skipped") or {}),
        "ops_checked_names": json.dumps(sorted(run.ops_checked())) if run.results is not None else "null",
        "ops_checked_by_mode": json.dumps({m: sorted(ops) for m, ops in checked_by_mode(run.results).items()})
        if run.results is not None else "null",
        "max_examples": int(s.get("max_examples") or 0),
        **{f"status_{k}": int(status.get(k, 0)) for k in STATUSES},
        "findings": int(len(run.findings)),
        "findings_live": int(len(run.live_findings())),
        "findings_new": int(s.get("findings_new") or 0),
        "findings_by_category": _json(s.get("findings_by_category")),
        "findings_by_severity": _json(s.get("findings_by_severity")),
        "findings_by_impact": _json(s.get("findings_by_impact")),
        "findings_new_by_impact": _json(s.get("findings_new_by_impact")),
        "modes_selected": ",".join(s.get("modes_selected") or ["static"]),
        "modes": _json(s.get("modes")),
        "cache_present": bool(cache),
        "cache_hits": int(cache.get("hits", 0)),
        "cache_misses": int(cache.get("misses", 0)),
        "cache_bypasses": _json(cache.get("bypasses")),
        "cache_repeat": _json(cache.get("repeat")),
        "cache_ops_served": int(cache.get("ops_served_from_cache", 0)),
        "cache_ops_never": len(cache.get("ops_never_cached") or {}),
        "valid_share_by_family": _json(s.get("valid_share_by_family")),
        "rows_complete": bool((s.get("rows") or {}).get("complete", True)),
        "merged_from": json.dumps(s.get("merged_from") or []),
    }


def _history_dir(path: str | Path) -> Path:
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UsageError(f"history {str(path)!r} is not a directory")
    for sub in ("runs", "findings"):
        if (p / sub).exists() and not (p / sub).is_dir():
            raise UsageError(f"history {str(path)!r} is not a crossref history: {sub} is not a directory")
    return p


def _read_all(folder: Path) -> list[pd.DataFrame]:
    frames = []
    for file in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        try:
            frames.append(pd.read_parquet(file))
        except Exception as exc:  # pyarrow raises many types
            raise UsageError(f"history file {str(file)!r} cannot be read as parquet: {one_line(exc)}") from None
    return frames


def load_history(path: str | Path = DEFAULT_HISTORY) -> History:
    """The stored runs (sorted by creation time) and findings; empty tables when the
    history does not exist yet."""
    p = _history_dir(path)
    runs = _read_all(p / "runs")
    df = pd.concat(runs, ignore_index=True) if runs else pd.DataFrame({c: pd.Series(dtype=t) for c, t in HISTORY_RUN_COLUMNS.items()})
    if "run_id" not in df or "created_utc" not in df:
        raise UsageError(f"history {str(path)!r} is not a crossref history: runs lack run_id/created_utc")
    for col, empty in (("findings_by_impact", "{}"), ("findings_new_by_impact", "{}"), ("ops_checked_by_mode", "null"),
                       ("max_examples", 0)):  # runs stored before these columns existed
        if col not in df:
            df[col] = pd.Series([empty] * len(df), dtype=HISTORY_RUN_COLUMNS[col])
    df = df.sort_values(["created_utc", "run_id"]).drop_duplicates("run_id").reset_index(drop=True)
    found = _read_all(p / "findings")
    fdf = pd.concat(found, ignore_index=True) if found else pd.DataFrame(
        {c: pd.Series(dtype="object") for c in ("run_id", "signature", "op", "category", "severity", "count", "repro")})
    return History(df, fdf)


def _write_atomic(df: pd.DataFrame, file: Path) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, file)


def add_run(run: Run, path: str | Path = DEFAULT_HISTORY) -> bool:
    """Store ``run`` in the history at ``path``; False (nothing written) when a run
    with the same id is there already."""
    history = load_history(path)
    if run.run_id in set(history.runs["run_id"]):
        return False
    p = Path(path)
    key = _key(run.run_id)
    findings = run.findings.copy()
    findings.insert(0, "run_id", run.run_id)
    # Findings first: a run row is the commit point that makes the run visible.
    _write_atomic(findings, p / "findings" / f"{key}.parquet")
    row = pd.DataFrame([run_row(run)]).astype(HISTORY_RUN_COLUMNS)
    _write_atomic(row, p / "runs" / f"{key}.parquet")
    return True


def render_list(history: History) -> str:
    """The runs as an aligned text table, oldest first."""
    head = ("run_id", "torch", "git", "checks", "ops", "valid ops", "findings", "new", "wall s")
    rows = [head]
    for r in history.runs.itertuples(index=False):
        rows.append((r.run_id, r.torch_version, r.git_revision, str(r.checks), str(r.ops_checked),
                     str(r.ops_with_valid_call), str(r.findings_live), str(r.findings_new), f"{r.wall_seconds:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows) + "\n"
