"""Compare two runs: which findings are new, fixed or persisting (by ``signature``), and
where the runs differ in what they checked (version skew).

Findings of category ``unsupported`` (fake mode's declared limitations) are left out of
the three lists and only counted. Skew is reported, never fatal: a newer torch adds
and removes overloads, a run on a GPU machine checks devices the other did not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..session.record import display_path
from ..taxonomy import Impact, impact_rank
from .runs import SEVERITY_ORDER, Run

#: The columns each finding list shows, in order.
SHOWN = ("severity", "mode", "op", "category", "field", "impact", "signature", "repro")
MAX_LISTED_OPS = 12


@dataclass(frozen=True, slots=True)
class Diff:
    """The difference between run ``a`` (before) and run ``b`` (after).

    ``new`` and ``persisting`` are rows of ``b``'s findings; ``fixed`` and ``unchecked``
    rows of ``a``'s that ``b`` lacks, split by whether ``b`` checked their op at all (a
    finding is not fixed because the op was left out). Each has a ``repro`` column
    holding the script's path in the run where it exists.
    """

    a: Run
    b: Run
    new: pd.DataFrame
    fixed: pd.DataFrame
    persisting: pd.DataFrame
    unchecked: pd.DataFrame
    unsupported: dict[str, int]
    skew: list[str] = field(default_factory=list)
    # persisting findings whose consequence in a compiled program changed (both runs
    # probed them): ``impact`` is B's, ``impact_before`` A's
    consequence: pd.DataFrame = field(default_factory=pd.DataFrame)

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        """The finding lists in report order; "not rechecked" and "consequence changed"
        only when there are any."""
        out = [("New findings", self.new), ("Fixed findings", self.fixed), ("Persisting findings", self.persisting)]
        if len(self.consequence):
            out.insert(1, ("Consequence in compiled programs changed (impact: A -> B)", self.consequence))
        if len(self.unchecked):
            out.append(("Not rechecked: op not checked in B", self.unchecked))
        return out

    @property
    def exit_code(self) -> int:
        """1 when ``b`` has findings ``a`` did not, else 0."""
        return 1 if len(self.new) else 0


def _with_repro_paths(df: pd.DataFrame, run: Run) -> pd.DataFrame:
    """Rows sorted by severity and op, with ``repro`` made a path a person can open."""
    df = df.copy()
    df["repro"] = [display_path(run.path / r) if isinstance(r, str) and r else "" for r in df["repro"]]
    df["_rank"] = df["severity"].map(SEVERITY_ORDER).fillna(9)
    return df.sort_values(["_rank", "op", "category", "signature"]).drop(columns="_rank").reset_index(drop=True)


def _ops_list(ops: set[str]) -> str:
    names = sorted(ops)
    more = len(names) - MAX_LISTED_OPS
    return ", ".join(names[:MAX_LISTED_OPS]) + (f", ... and {more} more" if more > 0 else "")


def version_skew(a: Run, b: Run) -> list[str]:
    """How the two runs differ in what they ran on and what they checked."""
    sa, sb = a.summary, b.summary
    skew = []
    if sa["torch_version"] != sb["torch_version"]:
        skew.append(f"torch version differs: A {sa['torch_version']}, B {sb['torch_version']}")
    da, db = set(sa.get("devices") or []), set(sb.get("devices") or [])
    if da != db:
        skew.append(f"devices differ: A {', '.join(sorted(da)) or '-'}, B {', '.join(sorted(db)) or '-'}")
    ca, cb = a.checks_selected(), b.checks_selected()
    if ca and cb and set(ca) != set(cb):
        skew.append(f"checks differ: A {', '.join(ca)}, B {', '.join(cb)}")
    ma, mb = sa.get("modes_selected") or ["static"], sb.get("modes_selected") or ["static"]
    if isinstance(ma, list) and isinstance(mb, list) and set(ma) != set(mb):
        skew.append(f"modes differ: A {', '.join(ma)}, B {', '.join(mb)} (a mode's findings are new or fixed only "
                    "where both runs checked it)")
    oa, ob = a.ops_checked(), b.ops_checked()
    for label, only in (("A", oa - ob), ("B", ob - oa)):
        if only:
            skew.append(f"ops checked only in {label} ({len(only)}): {_ops_list(only)}")
    ka, kb = set(sa.get("ops_skipped") or {}), set(sb.get("ops_skipped") or {})
    for skipped_in, checked_in, skipped, checked, why in (("A", "B", ka, ob, sa), ("B", "A", kb, oa, sb)):
        both = skipped & checked
        if both:
            reasons = sorted({str((why.get("ops_skipped") or {}).get(op, "")) for op in both} - {""})
            because = f" (skipped because: {'; '.join(reasons)})" if reasons else ""
            skew.append(f"ops skipped in {skipped_in} but checked in {checked_in} ({len(both)}): {_ops_list(both)}{because}")
    return skew


@dataclass(frozen=True, slots=True)
class Changes:
    """How the live findings of one run (after) differ from an earlier one (before), by
    signature: the one rule that both ``diff`` and the dashboard apply."""

    new: pd.DataFrame  # after's findings that before lacked
    fixed: pd.DataFrame  # before's findings that after lacks, and after checked their op
    persisting: pd.DataFrame  # after's findings that before had too
    unchecked: pd.DataFrame  # before's findings that after lacks because it never checked their op


def changes(before: pd.DataFrame, after: pd.DataFrame, after_checked: set[str] | None) -> Changes:
    """Split two live-finding tables by signature. ``after_checked``: the ops the later
    run checked; None when that is not known (then every finding that is gone counts as
    fixed)."""
    sa, sb = set(before["signature"]), set(after["signature"])
    gone = before[~before["signature"].isin(sb)]
    rechecked = gone["op"].isin(after_checked) if after_checked is not None else pd.Series(True, index=gone.index)
    return Changes(new=after[~after["signature"].isin(sa)], fixed=gone[rechecked],
                   persisting=after[after["signature"].isin(sa)], unchecked=gone[~rechecked])


def consequence_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Findings of ``after`` also in ``before`` whose ``impact`` differs, where both runs
    probed them (``not_probed`` says nothing): when a finding started, or stopped, to
    break compiled programs. ``impact`` shows ``A -> B``; ``impact_before`` keeps A's."""
    if "impact" not in before or "impact" not in after or not len(after):
        return after.iloc[0:0].assign(impact_before=pd.Series(dtype="string"))
    probed = lambda df: df[~df["impact"].fillna("").isin(["", Impact.NOT_PROBED.value])]  # noqa: E731
    a = probed(before).set_index("signature")["impact"]
    b = probed(after)
    b = b[b["signature"].isin(a.index)]
    b = b.assign(impact_before=b["signature"].map(a).astype("string"))
    b = b[b["impact_before"] != b["impact"]].copy()
    b["impact"] = b["impact_before"] + " -> " + b["impact"]
    b["_rank"] = b["impact"].map(lambda text: impact_rank(text.split(" -> ")[1]))
    return b.sort_values(["_rank", "op"]).drop(columns="_rank")


def diff_runs(a: Run, b: Run) -> Diff:
    """Findings of ``b`` against ``a``, by signature. Both runs need their results
    loaded (``load_run(path, results=True)``) for the skew of checked ops."""
    c = changes(a.live_findings(), b.live_findings(), b.ops_checked())
    ua = set(a.findings.loc[a.findings["category"] == "unsupported", "signature"])
    ub = set(b.findings.loc[b.findings["category"] == "unsupported", "signature"])
    return Diff(
        a=a,
        b=b,
        new=_with_repro_paths(c.new, b),
        fixed=_with_repro_paths(c.fixed, a),
        persisting=_with_repro_paths(c.persisting, b),
        unchecked=_with_repro_paths(c.unchecked, a),
        unsupported={"A": len(ua), "B": len(ub), "new": len(ub - ua), "gone": len(ua - ub)},
        skew=version_skew(a, b),
        consequence=_with_repro_paths(consequence_changes(a.live_findings(), c.persisting), b),
    )


# --- rendering --------------------------------------------------------------------------

def _run_line(label: str, run: Run) -> str:
    s = run.summary
    return (f"{label}: {display_path(run.path)}  torch {s['torch_version']}, git {s.get('git_revision', 'unknown')}, "
            f"created {s['created_utc']}")


def _totals(d: Diff) -> str:
    u = d.unsupported
    worse = sum(1 for text in d.consequence.get("impact", []) if impact_rank(str(text).split(" -> ")[1]) <
                impact_rank(str(text).split(" -> ")[0]))
    return (f"{len(d.new)} new, {len(d.fixed)} fixed, {len(d.persisting)} persisting, "
            f"{len(d.unchecked)} not rechecked; "
            + (f"{len(d.consequence)} changed consequence ({worse} now worse); " if len(d.consequence) else "") +
            f"unsupported (not compared): A {u['A']}, B {u['B']} ({u['new']} new, {u['gone']} gone)")


def _cells(df: pd.DataFrame) -> list[list[str]]:
    df = df.assign(**{c: "" for c in SHOWN if c not in df})  # runs from before a column existed
    df = df.assign(impact=df["impact"].fillna("").replace(Impact.NOT_PROBED.value, ""))
    return [[str(v) if v is not None and v == v else "" for v in row] for row in df[list(SHOWN)].itertuples(index=False)]


def render_text(d: Diff) -> str:
    """A plain-text report with aligned columns."""
    lines = ["crossref diff", "  " + _run_line("A", d.a), "  " + _run_line("B", d.b), ""]
    if d.skew:
        lines += ["Version skew:", *[f"  - {s}" for s in d.skew], ""]
    for title, df in d.sections():
        lines.append(f"{title} ({len(df)}):")
        rows = _cells(df)
        if not rows:
            lines += ["  (none)", ""]
            continue
        table = [list(SHOWN), *rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(SHOWN))]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
        lines.append("")
    lines.append("Summary: " + _totals(d))
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: Diff) -> str:
    """A Markdown report (for a pull-request comment or a CI job summary)."""
    lines = ["# crossref diff", "", "| | run | torch | git | created |", "|---|---|---|---|---|"]
    for label, run in (("A", d.a), ("B", d.b)):
        s = run.summary
        lines.append(f"| {label} | `{_md(display_path(run.path))}` | {_md(s['torch_version'])} | "
                     f"{_md(str(s.get('git_revision', 'unknown')))} | {_md(s['created_utc'])} |")
    lines.append("")
    if d.skew:
        lines += ["## Version skew", "", *[f"- {_md(s)}" for s in d.skew], ""]
    for title, df in d.sections():
        lines += [f"## {title} ({len(df)})", ""]
        rows = _cells(df)
        if not rows:
            lines += ["None.", ""]
            continue
        lines += ["| " + " | ".join(SHOWN) + " |", "|" + "---|" * len(SHOWN)]
        for r in rows:
            sev, mode, op, cat, fld, impact, sig, repro = r
            lines.append(f"| {sev} | {mode} | `{_md(op)}` | {cat} | `{_md(fld)}` | {_md(impact)} | `{sig}` | "
                         f"{f'[{sig}.py]({repro})' if repro else ''} |")
        lines.append("")
    lines.append("**Summary:** " + _totals(d))
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown}
