"""The per-process recorder: appends plain-value rows to its own JSONL file as checks
happen, so nothing is lost if the process dies. The controller-only merge is in
report.py; this module has no pandas and no pytest.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

PARTS_DIR = "parts"


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
        self.rows = {"result": 0, "finding": 0, "example": 0, "item": 0, "note": 0}

    def write(self, kind: str, row: dict[str, Any]) -> None:
        row = {"t": kind, "worker": self.worker, **row}
        line = json.dumps(row, default=str, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()
            self.rows[kind] = self.rows.get(kind, 0) + 1

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def repro_path(self, signature: str) -> Path:
        path = self.run_dir / "repros" / f"{signature}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
