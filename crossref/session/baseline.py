"""Baselines: the findings a team already knows about, in a file people can read.

A baseline is a JSON file with one entry per finding signature::

    {"crossref_baseline": 1,
     "findings": [{"signature": "39a747f8fac2", "op": "aten.mm.default",
                   "category": "missing_error", "reason": "mixed-dtype mm accepted by meta_mm"}]}

With ``--crossref-baseline FILE`` a finding in the file is recorded but does not fail;
a new one fails; an entry not seen again is reported as fixed (and fails the run under
``--crossref-strict``). ``--crossref-update-baseline`` rewrites the file from the run,
keeping the reasons of entries that are still seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

FORMAT = 1


@dataclass(frozen=True, slots=True)
class Entry:
    signature: str
    op: str
    category: str
    reason: str


def load(path: str | Path) -> dict[str, Entry]:
    """Entries by signature. Any problem with the file is a UsageError naming it."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"--crossref-baseline {str(p)!r}: no such file "
                         "(create one with --crossref-update-baseline)") from None
    except OSError as exc:
        raise UsageError(f"--crossref-baseline {str(p)!r}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--crossref-baseline {str(p)!r}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("crossref_baseline") != FORMAT or not isinstance(data.get("findings"), list):
        raise UsageError(f"--crossref-baseline {str(p)!r}: not a crossref baseline "
                         f"(expected {{\"crossref_baseline\": {FORMAT}, \"findings\": [...]}})")
    entries: dict[str, Entry] = {}
    for i, raw in enumerate(data["findings"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("signature"), str) or not raw["signature"]:
            raise UsageError(f"--crossref-baseline {str(p)!r}: entry {i} has no signature")
        entries[raw["signature"]] = Entry(raw["signature"], str(raw.get("op", "")), str(raw.get("category", "")),
                                          str(raw.get("reason", "")))
    return entries


def save(path: str | Path, findings: list[dict], old: dict[str, Entry] | None = None) -> int:
    """Write a baseline of ``findings`` (rows with signature, op, category); keep the
    reasons of entries already in ``old``. Returns the number of entries."""
    old = old or {}
    rows = []
    for f in sorted(findings, key=lambda r: (r["op"], r["category"], r["signature"])):
        prev = old.get(f["signature"])
        rows.append({"signature": f["signature"], "op": f["op"], "category": f["category"],
                     "reason": prev.reason if prev and prev.reason else "known at baseline creation"})
    Path(path).write_text(json.dumps({"crossref_baseline": FORMAT, "findings": rows}, indent=1) + "\n")
    return len(rows)
