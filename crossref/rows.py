"""The rows of the report tables, one dataclass each, torch-free: they define the
parquet columns once (``columns``), and the writers build rows from them.

``ResultRow``: one executed check (results.parquet). ``ItemRow``: one test item
(items.parquet). ``FindingRow``: one distinct finding (findings.parquet), as the merge
builds it from the finding rows workers write (``check.finding_row``) and the examples
they keep. A row holds plain values only; the ``worker`` column is stamped by the
recorder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: Python annotation -> pandas dtype of the column.
_DTYPES = {"str": "string", "bool": "bool", "int": "int64", "float": "float64"}


@dataclass(frozen=True, slots=True)
class ResultRow:
    item: str
    op: str
    family: str
    refined: bool
    device: str
    dtypes: str
    status: str  # taxonomy.Status
    category: str  # of the check's first finding
    signatures: str  # comma-separated
    valid: bool  # the real kernel accepted the call, in this mode
    real_error: str
    fake_error: str
    real_seconds: float
    fake_seconds: float
    check_seconds: float
    cache_repeat: str  # hit | bypass | miss | raised | "" (no cache crosscheck)
    cache_hits: int
    cache_misses: int
    cache_bypasses: str  # "reason=count,..."
    phase: str  # generate | shrink | recheck (a crash run again) | stateful
    variant: str  # the variant's kind; "" for a drawn call
    mode: str  # taxonomy.Mode
    autocast: str  # autocast mode: the dtype
    origin: str  # opcall.ORIGINS: drawn | corpus | watched
    worker: str = ""


@dataclass(frozen=True, slots=True)
class ItemRow:
    item: str
    op: str
    examples: int  # drawn: always the whole budget
    checks: int  # with variants
    variants: int
    valid: int
    new: int  # new signatures
    shrink_checks: int
    explore_seconds: float
    shrink_seconds: float
    worker: str = ""


@dataclass(frozen=True, slots=True)
class FindingRow:
    signature: str
    op: str
    category: str
    severity: str
    field: str
    real: str
    fake: str
    device: str
    dtypes: str
    traits: str
    known: str  # the known divergence's reason, or ""
    mode: str
    inner_op: str
    fake_impl: str  # crossref/check/provenance.py
    cluster: str  # crossref/reporting/clusters.py
    count: int  # checks that showed it (before shrinking)
    example: str  # the (shrunk when ``shrunk``) call as text
    shrunk: bool
    repro: str  # repros/<signature>.py
    snippet: str  # crossref/check/repro.py (snippet), for crossref report
    first_item: str
    baseline: bool
    call: str  # the (shrunk) call as JSON (opcall.call_to_json): what crossref impact replays
    # What the finding breaks in a compiled program (crossref/impact/consequence.py, probes.py):
    impact: str  # taxonomy.Impact, the worst over the backends
    impact_backend: str  # the backend that showed it
    impact_detail: str  # one line: what differs, or why it was not probed
    impact_backends: str  # "aot_eager=none,inductor=wrong_metadata"
    impact_snippet: str  # plain torch, eager against compiled (repro.compile_snippet), for crossref report
    workload: bool  # the op is among those common models call (crossref/workload.py)
    # Met by a real program: a watched program's call showed it, or a corpus call (or a
    # variant of one) did (crossref/watcher.py); and where: the program, the frame.
    met: bool
    program: str
    frame: str
    # A crash rechecked in fresh processes (crossref/search/item.py): the share of runs
    # that crashed (1.0 for any other finding); flaky when under 1: never new, never fixed.
    crash_rate: float
    flaky: bool


def columns(row_type: type) -> dict[str, str]:
    """The parquet columns of a row type: name -> pandas dtype, in field order."""
    return {f.name: _DTYPES[str(f.type)] for f in dataclasses.fields(row_type)}


def plain(row: Any) -> dict[str, Any]:
    """A row as the dict a part file holds (the recorder stamps ``worker``)."""
    out = dataclasses.asdict(row)
    out.pop("worker", None)
    return out
