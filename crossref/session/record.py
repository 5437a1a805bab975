"""The per-process recorder: appends plain-value rows to its own JSONL file as test
items finish, so a process that dies loses at most the item it was running (which the
run summary names). The controller-only merge is in report.py; this module has no
pandas and no pytest.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

PARTS_DIR = "parts"
#: Rows held before they are written: a test item's rows are written when it ends
#: (search/item.py flushes), or sooner when this many wait.
FLUSH_ROWS = 256


def display_path(path: str | os.PathLike) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


class Recorder:
    """Writes ``result`` and ``finding`` rows to ``<run_dir>/parts/<worker>.jsonl``."""

    def __init__(self, run_dir: str | os.PathLike, worker: str = "main") -> None:
        self.run_dir = Path(run_dir)
        self.worker = worker
        parts = self.run_dir / PARTS_DIR
        parts.mkdir(parents=True, exist_ok=True)
        self.path = parts / f"{worker}.jsonl"
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self.rows = {"result": 0, "finding": 0, "example": 0, "item": 0, "note": 0, "corpus": 0, "recheck": 0}

    def write(self, kind: str, row: dict[str, Any]) -> None:
        """Append a row; it reaches the file at the next ``flush`` (the end of a test
        item) or once ``FLUSH_ROWS`` rows are waiting."""
        row = {"t": kind, "worker": self.worker, **row}
        line = json.dumps(row, default=str, separators=(",", ":"))
        with self._lock:
            self._pending.append(line)
            self.rows[kind] = self.rows.get(kind, 0) + 1
            if len(self._pending) >= FLUSH_ROWS:
                self._flush()

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if self._pending and not self._file.closed:
            self._file.write("\n".join(self._pending) + "\n")
            self._file.flush()
        self._pending.clear()

    def close(self) -> None:
        with self._lock:
            self._flush()
            if not self._file.closed:
                self._file.close()

    def repro_path(self, signature: str) -> Path:
        path = self.run_dir / "repros" / f"{signature}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


def run_dir_for(report_dir: Path | None, root: Path) -> Path:
    """Where this run writes: ``report_dir``, else reports/<UTC timestamp>/ under
    ``root`` (the directory pytest runs in).

    Nothing is created here: a run that checks no op (``pytest tests``, a collection
    error) leaves no directory behind. ``finish_run_dir`` points reports/latest at it.
    """
    if report_dir is not None:
        return (root / report_dir).resolve()
    base = root / "reports"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    run = base / stamp
    i = 1
    while run.exists():
        run = base / f"{stamp}-{i}"
        i += 1
    return run


def finish_run_dir(run: Path, root: Path) -> None:
    """Create the run directory if needed and, when it is in ``root``/reports/, point
    ``latest`` there at it."""
    run.mkdir(parents=True, exist_ok=True)
    latest = root / "reports" / "latest"
    if run.parent != latest.parent:
        return
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(run.name)
    except OSError:
        pass
