"""The controller-only merge: per-worker JSONL parts -> the run's report.

Writes the report contract (README, "Report format"): findings.parquet, results.parquet,
items.parquet, summary.json, summary.md and repros/. The columns are the fields of the
row dataclasses (crossref/rows.py: RESULT_COLUMNS, ITEM_COLUMNS, FINDING_COLUMNS here)
and tests validate written files against them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__ as HARNESS_VERSION
from .. import rows
from .. import workload
from . import clusters
from ..session.record import PARTS_DIR
from ..taxonomy import MODES, NOT_FAILING, Impact, impact_rank, severity_rank

RESULT_COLUMNS: dict[str, str] = rows.columns(rows.ResultRow)

ITEM_COLUMNS: dict[str, str] = rows.columns(rows.ItemRow)

FINDING_COLUMNS: dict[str, str] = rows.columns(rows.FindingRow)

#: The consequence columns of a finding no probe has looked at (yet).
NOT_PROBED = {"impact": Impact.NOT_PROBED.value, "impact_backend": "",
              "impact_detail": "the run did not probe its findings (crossref impact RUN does)",
              "impact_backends": "", "impact_snippet": ""}
IMPACT_COLUMNS = tuple(NOT_PROBED)


def read_parts(run_dir: Path) -> dict[str, list[dict]]:
    """All rows of all workers by kind: ``result``, ``finding``, ``example``, ``item``
    and ``note``. A torn last line (a worker killed mid-write) is skipped, not fatal."""
    rows: dict[str, list[dict]] = {kind: [] for kind in ("result", "finding", "example", "item", "note", "corpus",
                                                         "recheck")}
    for part in sorted((run_dir / PARTS_DIR).glob("*.jsonl")):
        with open(part, encoding="utf-8") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                rows.get(row.pop("t", ""), rows["note"]).append(row)
    return rows


def _frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col, dtype in columns.items():
        if col not in df:
            df[col] = pd.Series([None] * len(df), dtype="object")
    df = df[list(columns)]
    return df.astype(columns) if len(df) else df.astype(columns)


def build_findings(findings: list[dict], examples: list[dict], rechecks: list[dict] = ()) -> pd.DataFrame:
    if not findings:
        return _frame([], FINDING_COLUMNS)
    occ = pd.DataFrame(findings)
    # Deduplicate by signature; count = number of checks (generation phase first) that hit it.
    gen = occ[~occ["phase"].isin(["shrink", "recheck"])] if "phase" in occ else occ
    crashed: dict[str, list[int]] = {}  # signature -> [crashed, runs], over every worker that rechecked it
    for r in rechecks:
        seen = crashed.setdefault(r["signature"], [0, 0])
        seen[0] += int(r["crashed"])
        seen[1] += int(r["runs"])
    counts = (gen if len(gen) else occ).groupby("signature").size()
    first = occ.drop_duplicates("signature", keep="first").set_index("signature")
    # Met by a real program: any occurrence of a watched call, or of a corpus call or its variants.
    origin = occ["origin"] if "origin" in occ else pd.Series("drawn", index=occ.index)
    met = occ.assign(met=origin.isin(["watched", "corpus"])).groupby("signature")["met"].any()
    where = occ[occ["where"].fillna("") != ""].drop_duplicates("signature").set_index("signature")["where"] \
        if "where" in occ else pd.Series(dtype="object")
    best: dict[str, dict] = {}
    for ex in examples:  # the shrunk example wins, else the smallest seen
        sig = ex["signature"]
        cur = best.get(sig)
        if cur is None or (ex.get("shrunk") and not cur.get("shrunk")) or (
            ex.get("shrunk") == cur.get("shrunk") and (ex.get("shrunk") or ex["size"] < cur["size"])
        ):
            best[sig] = ex
    out: list[rows.FindingRow] = []
    for sig, row in first.iterrows():
        ex = best.get(sig, {})
        text = lambda k: row.get(k) if isinstance(row.get(k), str) else ""  # noqa: E731 - NaN when a part lacks it
        out.append(rows.FindingRow(
            signature=sig, op=row.get("op"), category=row.get("category"), severity=row.get("severity"),
            field=row.get("field"), real=row.get("real"), fake=row.get("fake"), device=row.get("device"),
            dtypes=row.get("dtypes"), traits=text("traits"), known=text("known"),
            # rows of checks that know no mode (the stateful cache test) are static ones
            mode=text("mode") or "static", inner_op=text("inner_op"), fake_impl=text("fake_impl"),
            cluster="",  # set by merge, over the whole table
            count=int(counts.get(sig, 0)) or int((occ["signature"] == sig).sum()),
            example=ex.get("example", ""), shrunk=bool(ex.get("shrunk", False)), repro=ex.get("repro", ""),
            snippet=ex.get("snippet", "") or "", first_item=row.get("item", ""), baseline=False,
            call=ex.get("call", "") or "", **NOT_PROBED, workload=workload.called(str(row.get("op"))),
            met=bool(met.get(sig, False)), **_where(str(where.get(sig, "") or "")),
            crash_rate=crashed[sig][0] / crashed[sig][1] if sig in crashed else 1.0,
            flaky=sig in crashed and crashed[sig][0] < crashed[sig][1]))
    df = _frame([dataclasses.asdict(r) for r in out], FINDING_COLUMNS)
    return df.sort_values(by=["severity", "op", "category"],
                          key=lambda s: s.map(severity_rank) if s.name == "severity" else s).reset_index(drop=True)


def _where(text: str) -> dict[str, str]:
    """An OpCall's ``where`` ("program | frame") as the program and frame columns."""
    program, _, frame = text.partition(" | ")
    return {"program": program, "frame": frame} if frame else {"program": "", "frame": program}


def write_corpus(run_dir: Path, rows: list[dict]) -> dict:
    """``corpus.jsonl``: each distinct call the watched programs made (its recipe, no
    tensor data: ``opcall.call_to_json(data=False)``), with how often they made it, the
    most made first; returns the summary's ``corpus`` counts."""
    calls: dict[str, dict] = {}
    for r in rows:
        entry = calls.setdefault(r["call"], {"op": r["op"], "count": 0, "where": r.get("where", ""), "call": r["call"]})
        entry["count"] += int(r.get("count") or 1)
    ordered = sorted(calls.values(), key=lambda e: (-e["count"], e["op"]))
    with open(run_dir / "corpus.jsonl", "w", encoding="utf-8") as fh:
        for entry in ordered:
            fh.write(json.dumps(entry, separators=(",", ":")) + "\n")
    return {"calls": int(sum(e["count"] for e in ordered)), "distinct": len(ordered),
            "ops": len({e["op"] for e in ordered})}


def _baseline_summary(baseline: dict, findings: pd.DataFrame, results: pd.DataFrame, meta: dict) -> dict:
    seen = set(findings["signature"]) if len(findings) else set()
    checked = set(results["op"]) if len(results) else set()
    fixed = sorted(s for s, e in baseline.items() if s not in seen and e.op in checked)
    return {"path": str(meta.get("baseline_path", "")), "entries": len(baseline),
            "known_seen": len(seen & set(baseline)), "fixed": fixed,
            "not_checked": sorted(s for s, e in baseline.items() if s not in seen and e.op not in checked)}


def _git_revision() -> str:
    """The checkout's revision; "installed" for a package installed from a wheel (its
    folder may sit inside some other repository, whose revision says nothing)."""
    if not (Path(__file__).resolve().parent.parent / ".git").exists():
        return "installed"
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def read_findings(run_dir: str | os.PathLike) -> list[dict]:
    """The rows of a written run's findings.parquet, as plain dicts."""
    return pd.read_parquet(Path(run_dir) / "findings.parquet").to_dict("records")


def merge(run_dir: str | os.PathLike, *, meta: dict[str, Any], expected_rows: dict[str, int] | None = None,
          baseline: dict | None = None) -> dict:
    """Merge the parts under ``run_dir`` into the report; returns the summary dict.

    ``meta`` carries what only the controller knows (devices, seed, selected ops,
    skipped ops with reasons, wall time, cache statistics). ``expected_rows``: rows
    each worker says it wrote; a shortfall is reported in the summary. ``baseline``:
    known findings by signature (baseline.load): they are marked and not counted as
    new, and the entries not seen again are listed as fixed.
    """
    import torch  # here, not at import: the read-only CLI commands need no torch

    run_dir = Path(run_dir)
    baseline = baseline or {}
    parts = read_parts(run_dir)
    results, notes = parts["result"], parts["note"]
    res_df = _frame(results, RESULT_COLUMNS)
    find_df = build_findings(parts["finding"], parts["example"], parts["recheck"])
    find_df["baseline"] = find_df["signature"].isin(list(baseline))
    cluster_ids, cluster_table = clusters.build(find_df.to_dict("records"))
    find_df["cluster"] = pd.Series(cluster_ids, index=find_df.index, dtype="string")
    items_df = _frame(parts["item"], ITEM_COLUMNS)
    corpus = write_corpus(run_dir, parts["corpus"]) if parts["corpus"] else None
    res_df.to_parquet(run_dir / "results.parquet", index=False)
    find_df.to_parquet(run_dir / "findings.parquet", index=False)
    items_df.to_parquet(run_dir / "items.parquet", index=False)
    # The contract's folder exists even when no finding wrote a script into it, so a
    # reader (dashboard, CI check) can tell "no findings" from "no report".
    (run_dir / "repros").mkdir(exist_ok=True)

    written = {}
    for r in results:
        written[r.get("worker", "?")] = written.get(r.get("worker", "?"), 0) + 1
    row_check = {"expected": expected_rows or {}, "written": written,
                 "complete": not meta.get("workers_lost") and (
                     expected_rows is None or all(written.get(w, 0) >= n for w, n in (expected_rows or {}).items()))}

    valid = res_df[res_df["valid"]] if len(res_df) else res_df
    by_family = {}
    if len(res_df):
        g = res_df.groupby("family")
        by_family = {fam: {"checks": int(len(grp)), "valid": int(grp["valid"].sum()),
                           "valid_share": round(float(grp["valid"].mean()), 3),
                           "ops": int(grp["op"].nunique()),
                           "ops_with_valid_call": int(grp.loc[grp["valid"], "op"].nunique())}
                     for fam, grp in g}
    live = find_df[~find_df["category"].isin(list(NOT_FAILING)) & ~find_df["flaky"]] if len(find_df) \
        else find_df  # what may fail an item
    cache = cache_statistics(res_df)
    summary = {
        "torch_version": torch.__version__,
        "git_revision": _git_revision(),
        "harness_version": HARNESS_VERSION,
        "python": platform.python_version(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **meta,
        "checks": int(len(res_df)),
        "ops_checked": int(res_df["op"].nunique()) if len(res_df) else 0,
        "ops_with_valid_call": int(valid["op"].nunique()) if len(valid) else 0,
        "counts_by_status": {k: int(v) for k, v in res_df["status"].value_counts().items()} if len(res_df) else {},
        "findings": int(len(find_df)),
        "findings_new": int(((live["known"].fillna("") == "") & ~live["baseline"]).sum()) if len(live) else 0,
        "findings_by_category": {k: int(v) for k, v in find_df["category"].value_counts().items()} if len(find_df) else {},
        "findings_by_severity": {k: int(v) for k, v in find_df["severity"].value_counts().items()} if len(find_df) else {},
        **impact_statistics(find_df),
        "findings_met": int(find_df["met"].sum()) if len(find_df) else 0,
        **({"corpus": corpus} if corpus is not None else {}),
        "valid_share_by_family": by_family,
        "modes": mode_statistics(res_df, find_df),
        "cluster_statistics": clusters.statistics(cluster_table),
        "clusters": cluster_table,
        "items": item_statistics(items_df),
        "cache": cache,
        "rows": row_check,
        **({"baseline": _baseline_summary(baseline, find_df, res_df, meta)} if meta.get("baseline_path") else {}),
        "notes": notes,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    (run_dir / "summary.md").write_text(render_markdown(summary, find_df))
    return summary


def impact_statistics(findings: pd.DataFrame) -> dict:
    """Findings by consequence (taxonomy.Impact, worst first), all and new, and how many
    are on ops real models call (crossref/workload.py)."""
    if not len(findings):
        return {"findings_by_impact": {}, "findings_new_by_impact": {}, "findings_on_workload_ops": 0}
    live = findings[~findings["category"].isin(list(NOT_FAILING)) & ~findings["flaky"].fillna(False)]
    new = live[(live["known"].fillna("") == "") & ~live["baseline"]]

    def count(df: pd.DataFrame) -> dict[str, int]:
        got = df["impact"].fillna("").value_counts()
        return {k: int(got[k]) for k in sorted(got.index, key=impact_rank)}

    return {"findings_by_impact": count(findings), "findings_new_by_impact": count(new),
            "findings_on_workload_ops": int(findings["workload"].sum())}


def apply_impacts(run_dir: str | os.PathLike, consequences: dict[str, dict], stats: dict | None = None) -> dict:
    """Write probe results into a finished run: the consequence columns of the findings
    ``consequences`` names (signature -> the ``IMPACT_COLUMNS`` values), then the
    clusters (ranked by consequence first), the summary's counts and ``impact`` (what
    probing cost: ``stats``), summary.json and summary.md. Returns the summary."""
    run_dir = Path(run_dir)
    find_df = pd.read_parquet(run_dir / "findings.parquet")
    for col, dtype in FINDING_COLUMNS.items():  # a run from before a column existed
        if col not in find_df:
            empty = {"string": NOT_PROBED.get(col, ""), "bool": False, "float64": 1.0, "int64": 0}[dtype]
            find_df[col] = pd.Series([empty] * len(find_df), dtype=dtype)
    for col in IMPACT_COLUMNS:
        find_df[col] = pd.Series([str(consequences[sig].get(col) or "") if sig in consequences else cur
                                  for sig, cur in zip(find_df["signature"], find_df[col].fillna(""))], dtype="string")
    find_df["workload"] = find_df["op"].map(lambda op: workload.called(str(op))).astype("bool")
    find_df = find_df[list(FINDING_COLUMNS)]
    find_df.to_parquet(run_dir / "findings.parquet", index=False)
    summary = json.loads((run_dir / "summary.json").read_text())
    cluster_ids, cluster_table = clusters.build(find_df.to_dict("records"))
    summary.update(impact_statistics(find_df))
    summary["clusters"] = cluster_table
    summary["cluster_statistics"] = clusters.statistics(cluster_table)
    if stats is not None:
        summary["impact"] = stats
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    (run_dir / "summary.md").write_text(render_markdown(summary, find_df))
    return summary


def mode_statistics(res: pd.DataFrame, findings: pd.DataFrame) -> dict:
    """Per mode (static, symbolic, backward, autocast): checks by status, ops with a
    call valid in that mode (and how many the mode could not run at all), and
    findings (all, new) by category."""
    out: dict[str, dict] = {}
    if not len(res):
        return out
    res = res.assign(mode=res["mode"].fillna("static").replace("", "static"))
    fnd = findings.assign(mode=findings["mode"].fillna("static")) if len(findings) else findings
    for mode, grp in res.groupby("mode", sort=False):
        applicable = grp[grp["status"] != "not_applicable"]
        f = fnd[fnd["mode"] == mode] if len(fnd) else fnd
        live = f[~f["category"].isin(list(NOT_FAILING)) & ~f["flaky"]] if len(f) else f
        out[str(mode)] = {
            "checks": int(len(grp)),
            "counts_by_status": {k: int(v) for k, v in grp["status"].value_counts().items()},
            "ops_checked": int(grp["op"].nunique()),
            "ops_applicable": int(applicable["op"].nunique()),
            "ops_with_valid_call": int(grp.loc[grp["valid"], "op"].nunique()),
            "findings": int(len(f)),
            "findings_new": int(((live["known"].fillna("") == "") & ~live["baseline"]).sum()) if len(live) else 0,
            "findings_by_category": {k: int(v) for k, v in f["category"].value_counts().items()} if len(f) else {},
        }
    return dict(sorted(out.items(), key=lambda kv: MODES.index(kv[0]) if kv[0] in MODES else len(MODES)))


def item_statistics(items: pd.DataFrame) -> dict:
    """How the op items spent their budgets: examples drawn per item (every item draws
    its whole budget, findings or not), checks with variants, shrinking."""
    if not len(items):
        return {}

    def spread(col: str) -> dict:
        return {"min": int(items[col].min()), "median": float(items[col].median()), "max": int(items[col].max()),
                "total": int(items[col].sum())}

    return {"count": int(len(items)), "examples": spread("examples"), "checks": spread("checks"),
            "variants": int(items["variants"].sum()), "with_new_findings": int((items["new"] > 0).sum()),
            "new_findings": int(items["new"].sum()), "shrink_checks": int(items["shrink_checks"].sum()),
            "explore_seconds": round(float(items["explore_seconds"].sum()), 1),
            "shrink_seconds": round(float(items["shrink_seconds"].sum()), 1)}


def _parse_bypasses(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in filter(None, (text or "").split(",")):
        k, _, v = part.rpartition("=")
        out[k] = out.get(k, 0) + int(v)
    return out


def cache_statistics(res: pd.DataFrame) -> dict:
    """Dispatch-cache counters summed over the run's checks, how each check's repeat
    run went, and the ops whose repeat was never served from the cache, with why."""
    if not len(res) or "cache_repeat" not in res or not (res["cache_repeat"] != "").any():
        return {}
    res = res[res["cache_repeat"] != ""]
    bypasses: dict[str, int] = {}
    for text in res["cache_bypasses"]:
        for k, v in _parse_bypasses(text).items():
            bypasses[k] = bypasses.get(k, 0) + v
    never: dict[str, str] = {}
    for op, grp in res.groupby("op"):
        if (grp["cache_repeat"] == "hit").any():
            continue
        reasons: dict[str, int] = {}
        for text in grp["cache_bypasses"]:
            for k, v in _parse_bypasses(text).items():
                reasons[k] = reasons.get(k, 0) + v
        if reasons:
            never[op] = "bypass: " + max(reasons, key=reasons.get)
        elif (grp["cache_repeat"] == "raised").all():
            never[op] = "every call raised in fake mode"
        else:
            never[op] = "no cache entry was made or served"
    return {
        "hits": int(res["cache_hits"].sum()),
        "misses": int(res["cache_misses"].sum()),
        "bypasses": dict(sorted(bypasses.items(), key=lambda kv: -kv[1])),
        "repeat": {k: int(v) for k, v in res["cache_repeat"].value_counts().items()},
        "ops_served_from_cache": int(res.loc[res["cache_repeat"] == "hit", "op"].nunique()),
        "ops_never_cached": dict(sorted(never.items())),
    }


def render_markdown(summary: dict, findings: pd.DataFrame) -> str:
    lines = [
        f"# crossref run: torch {summary['torch_version']}",
        "",
        f"- harness {summary['harness_version']} at {summary['git_revision']}, created {summary['created_utc']}",
        f"- devices: {', '.join(summary.get('devices', []))}; seed: {summary.get('seed')}; "
        f"profile: {summary.get('profile')}; wall time: {summary.get('wall_seconds', 0):.1f} s",
        f"- ops selected: {summary.get('ops_selected', 0)}, checked: {summary['ops_checked']}, "
        f"with at least one valid call: {summary['ops_with_valid_call']}, not tested: {len(summary.get('ops_skipped', {}))}",
        f"- checks: {summary['checks']} " + "(" + ", ".join(f"{k} {v}" for k, v in summary["counts_by_status"].items()) + ")",
        f"- findings: {summary['findings']} (new, failing: {summary['findings_new']})",
        *_items_line(summary.get("items") or {}),
        *_impact_section(summary),
        *_clusters_section(summary),
        "",
        "## Findings by category",
        "",
        "| category | findings |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in summary["findings_by_category"].items()],
        *_modes_table(summary.get("modes") or {}),
        "",
        "## Findings",
        "",
        "| severity | mode | op | category | field | real | fake | fake_impl | impact | count | known | repro |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, f in findings.iterrows():
        if f["category"] == "unsupported":
            continue
        field = f"`{f['field']}`" + (f" in `{f['inner_op']}`" if f["inner_op"] else "")
        cells = [f["severity"], f["mode"], f"`{f['op']}`", f["category"], field, _cell(f["real"]),
                 _cell(f["fake"]), _cell(f["fake_impl"] or ""),
                 "" if f["impact"] == Impact.NOT_PROBED.value else str(f["impact"]), str(f["count"]), "yes" if f["known"] else "", f"[{f['signature']}]({f['repro']})" if f["repro"] else ""]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Valid calls by family", "", "| family | ops | ops with a valid call | checks | valid share |", "|---|---|---|---|---|"]
    for fam, s in sorted(summary["valid_share_by_family"].items()):
        lines.append(f"| {fam} | {s['ops']} | {s['ops_with_valid_call']} | {s['checks']} | {s['valid_share']:.0%} |")
    unsupported = findings[findings["category"] == "unsupported"] if len(findings) else findings
    if len(unsupported):
        lines += ["", f"## Unsupported in fake mode (declared limitations): {unsupported['op'].nunique()} ops", "",
                  ", ".join(f"`{o}`" for o in sorted(unsupported["op"].unique()))]
    cache = summary.get("cache") or {}
    if cache:
        lines += ["", "## Dispatch cache", "",
                  f"- hits {cache['hits']}, misses {cache['misses']}; repeat runs: "
                  + ", ".join(f"{k} {v}" for k, v in cache["repeat"].items()),
                  f"- ops served from the cache at least once: {cache['ops_served_from_cache']}; "
                  f"never: {len(cache['ops_never_cached'])}"]
        if cache["bypasses"]:
            lines += ["", "| bypass reason | count |", "|---|---|"]
            lines += [f"| {_cell(k)} | {v} |" for k, v in cache["bypasses"].items()]
        never_reasons: dict[str, int] = {}
        for r in cache["ops_never_cached"].values():
            never_reasons[r] = never_reasons.get(r, 0) + 1
        if never_reasons:
            lines += ["", "| why an op was never served from the cache | ops |", "|---|---|"]
            lines += [f"| {_cell(r)} | {n} |" for r, n in sorted(never_reasons.items(), key=lambda kv: -kv[1])]
    skipped = summary.get("ops_skipped", {})
    if skipped:
        reasons: dict[str, int] = {}
        for r in skipped.values():
            reasons[r] = reasons.get(r, 0) + 1
        lines += ["", "## Not tested, by reason", "", "| reason | overloads |", "|---|---|"]
        lines += [f"| {r} | {n} |" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])]
    for lost in summary.get("workers_lost") or []:
        lines += ["", f"**Warning: worker {lost['worker']} died while running `{lost['item'] or '?'}`: that item "
                  "failed and a new worker took over; the rows it wrote before are kept.**"]
    if not summary["rows"]["complete"] and not summary.get("workers_lost"):
        lines += ["", "**Warning: some workers wrote fewer rows than they reported (a worker died?).**"]
    return "\n".join(lines) + "\n"


#: Clusters listed in summary.md (all of them are in summary.json and the dashboard).
MARKDOWN_CLUSTERS = 40


def _clusters_section(summary: dict) -> list[str]:
    """The root-cause clusters, ranked (crossref/reporting/clusters.py): what to fix first."""
    table = summary.get("clusters") or []
    if not table:
        return []
    stats = summary.get("cluster_statistics") or clusters.statistics(table)
    probed = any(c.get("impact") not in ("", None, Impact.NOT_PROBED.value) for c in table)
    lines = ["", f"## Root-cause clusters: {stats['clusters']} for {stats['findings']} findings "
             f"(median size {stats['median_size']:g}, largest {stats['largest']}; "
             f"{stats['clusters_with_new']} with new findings)", "",
             "Findings of many ops that share one cause: the implementation that answered (`fake_impl`), the "
             "category and the field pattern, or for a missing check the kernel's message. Ranked by what they "
             "break in a compiled program (`impact`, the worst of the cluster's findings), then new findings, "
             "severity, and the number of ops. *models*: how many of the cluster's ops real models call. "
             "`crossref report SIGNATURE` prints a bug report for the representative.", ""]
    if not probed:
        lines += ["No finding was run through torch.compile in this run: `crossref impact RUN` (or the sweep's "
                  "`--crossref-impact`) adds what each one breaks.", ""]
    lines += ["| # | impact | severity | category | cause | pattern | ops | models | findings (new) | representative |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for n, c in enumerate(table[:MARKDOWN_CLUSTERS], 1):
        rep = c["representative"]
        ops = ", ".join(f"`{o}`" for o in c["ops"][:3]) + (f" +{c['op_count'] - 3}" if c["op_count"] > 3 else "")
        impls = c["fake_impls"]
        cause = (f"`{c['fake_impl']}`" if c["fake_impl"] else f"`{impls[0]}`" if len(impls) == 1
                 else f"{len(impls)} implementations" if impls else "")
        link = f"[{rep['signature']}]({rep['repro']})" if rep.get("repro") else rep["signature"]
        impact = c.get("impact") or ""
        if impact and impact != Impact.NOT_PROBED.value:
            impact = f"**{impact}**" if impact_rank(impact) < impact_rank(Impact.NONE.value) else impact
            impact += f" ({c.get('impact_backend')})" if c.get("impact_backend") else ""
        models = len(c.get("workload_ops") or [])
        lines.append(f"| {n} | {impact} | {c['severity']} | {c['category']} | {cause} | {_cell(c['pattern'])} | "
                     f"{ops} | {models or ''} | {c['findings']} ({c['new']}) | {link} |")
    if len(table) > MARKDOWN_CLUSTERS:
        lines.append(f"\n{len(table) - MARKDOWN_CLUSTERS} more clusters in summary.json and the dashboard.")
    return lines


def _impact_section(summary: dict) -> list[str]:
    """What the findings break in compiled programs: counts by consequence, and the cost."""
    counts = summary.get("findings_by_impact") or {}
    if not counts or set(counts) == {Impact.NOT_PROBED.value}:
        return []
    new = summary.get("findings_new_by_impact") or {}
    lines = ["", "## What the findings break in compiled programs", "",
             "Each probed finding's shrunk call run through `torch.compile(fullgraph=True)` and compared with eager "
             "(the worst over the backends).", "", "| impact | findings | new |", "|---|---|---|"]
    lines += [f"| {k} | {v} | {new.get(k, 0)} |" for k, v in counts.items()]
    cost = summary.get("impact") or {}
    if cost:
        lines += ["", f"- probed {cost.get('probed', 0)} of {cost.get('planned', 0)} findings on "
                  f"{', '.join(cost.get('backends', []))} ({cost.get('from_cache', 0)} from the cache, "
                  f"{cost.get('over_budget', 0)} left over the budget) in {cost.get('seconds', 0):g} s with "
                  f"{cost.get('workers', 1)} workers (warm-up {cost.get('warmup_seconds', 0):g} s); median probe "
                  f"{cost.get('probe_seconds_median', 0):g} s; median by backend: "
                  + ", ".join(f"{b} {v:g} s" for b, v in (cost.get("backend_seconds_median") or {}).items())]
    lines += [f"- findings on ops real models call: {summary.get('findings_on_workload_ops', 0)}"]
    return lines


def _modes_table(modes: dict) -> list[str]:
    if not modes:
        return []
    lines = ["", "## By mode", "",
             "| mode | checks | not applicable | ops with a valid call | findings | new | categories |",
             "|---|---|---|---|---|---|---|"]
    for mode, m in modes.items():
        cats = ", ".join(f"{k} {v}" for k, v in m["findings_by_category"].items())
        lines.append(f"| {mode} | {m['checks']} | {m['counts_by_status'].get('not_applicable', 0)} | "
                     f"{m['ops_with_valid_call']} | {m['findings']} | {m['findings_new']} | {_cell(cats)} |")
    return lines


def _items_line(items: dict) -> list[str]:
    if not items:
        return []
    ex, ch = items["examples"], items["checks"]
    return [f"- items: {items['count']}; examples drawn per item: median {ex['median']:g} (min {ex['min']}, "
            f"max {ex['max']}); checks per item with variants: median {ch['median']:g}; "
            f"{items['with_new_findings']} items with new findings, {items['new_findings']} shrunk in "
            f"{items['shrink_checks']} checks ({items['shrink_seconds']:g} s)"]


def _cell(text: Any) -> str:
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 80 else text[:77] + "..."
