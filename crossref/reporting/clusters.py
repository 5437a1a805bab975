"""Root-cause clusters: findings of many ops that share one cause.

One meta helper, one decomposition or one out= wrapper is used by dozens of ops, and a
bug in it shows up once per op. Findings are grouped by what they have in common:

- a missing check (``missing_error``): the kernel's normalised error message, whatever
  fake implementation lacked it (the same check is missing from every op that reuses
  the code without it: "Expected out tensor to have dtype T, but got T instead");
- a fake error (``spurious_error``, ``unsupported``): the implementation that raised it
  and its normalised message;
- a crash: the field (which side died) and the normalised message;
- anything else: the implementation that gave the answer (``fake_impl``), the category
  and the field pattern (``out[N].stride``).

Torch-free: it reads finding rows (plain dicts, as findings.parquet holds them).
"""

from __future__ import annotations

import hashlib
from typing import Iterable

from .. import workload
from ..taxonomy import NOT_FAILING, field_pattern, impact_rank, message_pattern, severity_rank, worst_impact


def key(row: dict) -> tuple[str, ...]:
    """What the findings of one cluster share (see the module docstring)."""
    category = str(row.get("category", ""))
    impl = str(row.get("fake_impl") or "")
    if category in ("missing_error", "backend_error"):
        return (category, message_pattern(str(row.get("real", ""))))
    if category in ("spurious_error", "unsupported"):
        return (category, impl, message_pattern(str(row.get("fake", ""))))
    if category == "crash":
        return (category, str(row.get("field", "")), message_pattern(f"{row.get('real', '')} {row.get('fake', '')}"))
    return (category, impl, field_pattern(str(row.get("field", ""))))


def cluster_id(k: tuple[str, ...]) -> str:
    """A stable name for a cluster key: ``c`` and 8 hex digits."""
    return "c" + hashlib.sha1("|".join(k).encode()).hexdigest()[:8]


def title(k: tuple[str, ...]) -> str:
    """A one-line description of a cluster key, for people."""
    category, *rest = k
    if category == "missing_error":
        return f"missing check: {rest[0]}"
    if category == "backend_error":
        return f"backend refusal: {rest[0]}"
    if category in ("spurious_error", "unsupported"):
        return f"{category} in {rest[0] or '?'}: {rest[1]}"
    if category == "crash":
        return f"crash ({rest[0]}): {rest[1]}"
    return f"{category} of {rest[1]} from {rest[0] or '?'}"


def _is_new(row: dict) -> bool:
    return not row.get("known") and not row.get("baseline") and row.get("category") not in NOT_FAILING \
        and not row.get("flaky")


def _example_size(row: dict) -> tuple:
    return (not row.get("shrunk", False), len(str(row.get("example", ""))))


def build(rows: Iterable[dict]) -> tuple[list[str], list[dict]]:
    """The cluster of each row (in order) and the cluster table, ranked: by what its
    findings break in a compiled program (the worst ``impact``, taxonomy.Impact order;
    unprobed last), then clusters with new findings first, then by severity, by the
    number of ops (breadth), by findings.

    Each cluster: ``id, title, category, fake_impl, pattern, severity, findings, new,
    ops, op_count, count, modes``; ``impact`` (the worst of its findings') with that
    finding's ``impact_backend``, ``impact_detail`` and ``impact_signature``, and
    ``impacts`` (findings by consequence); ``workload_ops`` (its ops that real models
    call, crossref/workload.py); and a ``representative`` finding (the most severe,
    then shrunk and shortest example) with its ``signature, op, field, example, repro``.
    """
    rows = list(rows)
    ids: list[str] = []
    groups: dict[str, dict] = {}
    for row in rows:
        k = key(row)
        cid = cluster_id(k)
        ids.append(cid)
        g = groups.setdefault(cid, {"key": k, "rows": []})
        g["rows"].append(row)
    table = []
    for cid, g in groups.items():
        members = g["rows"]
        k = g["key"]
        best = min(members, key=lambda r: (severity_rank(r.get("severity", "")), *_example_size(r)))
        ops = sorted({str(r.get("op", "")) for r in members})
        worst = worst_impact(str(r.get("impact") or "") for r in members)
        hit = next((r for r in members if worst and str(r.get("impact") or "") == worst), {})
        impacts: dict[str, int] = {}
        for r in members:
            if r.get("impact"):
                impacts[str(r["impact"])] = impacts.get(str(r["impact"]), 0) + 1
        table.append({
            "id": cid,
            "title": title(k),
            "category": k[0],
            "fake_impl": "" if k[0] == "missing_error" else str(best.get("fake_impl") or ""),
            "fake_impls": sorted({str(r.get("fake_impl") or "") for r in members} - {""}),
            "pattern": k[-1],
            "severity": min((str(r.get("severity", "")) for r in members), key=severity_rank),
            "findings": len(members),
            "new": sum(_is_new(r) for r in members),
            "ops": ops,
            "op_count": len(ops),
            "count": int(sum(int(r.get("count") or 0) for r in members)),
            "modes": sorted({str(r.get("mode") or "static") for r in members}),
            "impact": worst,
            "impact_backend": str(hit.get("impact_backend") or ""),
            "impact_detail": str(hit.get("impact_detail") or ""),
            "impact_signature": str(hit.get("signature") or ""),
            "impacts": dict(sorted(impacts.items(), key=lambda kv: impact_rank(kv[0]))),
            "workload_ops": [op for op in ops if workload.called(op)],
            "representative": {c: str(best.get(c, "")) for c in ("signature", "op", "field", "real", "fake",
                                                                 "example", "repro")},
        })
    table.sort(key=lambda c: (impact_rank(c["impact"]), c["new"] == 0, severity_rank(c["severity"]), -c["op_count"],
                              -c["findings"], c["id"]))
    return ids, table


def statistics(table: list[dict]) -> dict:
    """Counts a reader compares runs by: clusters, findings, median cluster size."""
    sizes = sorted(c["findings"] for c in table)
    n = len(sizes)
    median = 0.0 if not n else float(sizes[n // 2]) if n % 2 else (sizes[n // 2 - 1] + sizes[n // 2]) / 2
    new = [c for c in table if c["new"]]
    impacts: dict[str, int] = {}
    for c in table:
        if c.get("impact"):
            impacts[c["impact"]] = impacts.get(c["impact"], 0) + 1
    return {"clusters": n, "findings": sum(sizes), "median_size": median, "largest": sizes[-1] if n else 0,
            "clusters_with_new": len(new), "new_findings": sum(c["new"] for c in new),
            "clusters_by_impact": dict(sorted(impacts.items(), key=lambda kv: impact_rank(kv[0]))),
            "clusters_on_workload_ops": sum(1 for c in table if c.get("workload_ops"))}
