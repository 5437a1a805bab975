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
    flaky: pd.DataFrame = field(default_factory=pd.DataFrame)  # crashes that come and go: neither new nor fixed

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        """The finding lists in report order; "not rechecked" and "consequence changed"
        only when there are any."""
        out = [("New findings", self.new), ("Fixed findings", self.fixed), ("Persisting findings", self.persisting)]
        if len(self.consequence):
            out.insert(1, ("Consequence in compiled programs changed (impact: A -> B)", self.consequence))
        if len(self.unchecked):
            out.append(("Not rechecked: B did not check their op in their mode on their device, or drew other calls",
                        self.unchecked))
        if len(self.flaky):
            out.append(("Flaky crashes: they come and go in fresh processes, neither new nor fixed", self.flaky))
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
class Coverage:
    """Where the later run looked: a finding of the earlier run that the later one lacks
    is fixed only if the later run checked its op in its mode on its device and drew at
    least the calls the earlier run drew (the same seed, a budget at least as large);
    otherwise it is "not rechecked". None fields: not known (an older report or
    history), which does not hold a finding back."""

    by_mode: dict[str, frozenset[str]] | None  # mode -> the ops checked in it (a verdict, not not_applicable)
    devices: frozenset[str] | None
    draws: str = ""  # why the later run's draws do not cover the earlier one's ("" when they do)

    def looked(self, op: str, mode: str, device: str) -> str:
        """"" when the later run looked for this finding; else why not."""
        if self.by_mode is not None and op not in self.by_mode.get(mode or "static", frozenset()):
            return f"{op} not checked in {mode or 'static'} mode"
        if self.devices is not None and str(device).split(":")[0] not in self.devices:
            return f"{device} not checked"
        return self.draws


def coverage(a_summary: dict, b_summary: dict, by_mode: dict[str, frozenset[str]] | None) -> Coverage:
    """What run B (summary, ops checked by mode) covered of run A's draws."""
    draws = ""
    seeds = (a_summary.get("seed"), b_summary.get("seed"))
    budgets = (a_summary.get("max_examples"), b_summary.get("max_examples"))
    if None not in seeds and seeds[0] != seeds[1]:
        draws = f"B drew with seed {seeds[1]}, A with {seeds[0]}: other calls"
    elif None not in budgets and int(budgets[1] or 0) < int(budgets[0] or 0):
        draws = f"B drew {budgets[1]} examples per item, A {budgets[0]}"
    devices = b_summary.get("devices")
    return Coverage(by_mode, frozenset(str(d).split(":")[0] for d in devices) if devices else None, draws)


def checked_by_mode(results: pd.DataFrame) -> dict[str, frozenset[str]]:
    """The ops a run checked in each mode (checks the mode could run: not not_applicable)."""
    res = results[results["status"] != "not_applicable"] if "status" in results else results
    mode = res["mode"].fillna("static") if "mode" in res else pd.Series("static", index=res.index)
    return {str(m): frozenset(grp["op"]) for m, grp in res.assign(mode=mode).groupby("mode")}


@dataclass(frozen=True, slots=True)
class Changes:
    """How the live findings of one run (after) differ from an earlier one (before), by
    signature: the one rule that both ``diff`` and the dashboard apply."""

    new: pd.DataFrame  # after's findings that before lacked
    fixed: pd.DataFrame  # before's findings that after lacks, where after looked for them (Coverage)
    persisting: pd.DataFrame  # after's findings that before had too
    unchecked: pd.DataFrame  # before's findings that after lacks where it did not look; ``why`` says so
    # crashes that come and go (rechecked in fresh processes, not crashing every time):
    # they would be new or fixed, and are neither
    flaky: pd.DataFrame = field(default_factory=pd.DataFrame)


def changes(before: pd.DataFrame, after: pd.DataFrame, looked: Coverage | None) -> Changes:
    """Split two live-finding tables by signature. ``looked``: where the later run
    looked (``coverage``); None when that is not known (then every finding that is
    gone counts as fixed)."""
    sa, sb = set(before["signature"]), set(after["signature"])
    flaky = lambda df: df["flaky"].fillna(False).astype(bool) if "flaky" in df else pd.Series(False, index=df.index)  # noqa: E731
    came = after[~after["signature"].isin(sa)]
    gone = before[~before["signature"].isin(sb)].copy()
    comes_and_goes = pd.concat([came[flaky(came)].assign(side="after"), gone[flaky(gone)].assign(side="before")])
    came, gone = came[~flaky(came)], gone[~flaky(gone)]
    if looked is None:
        why = pd.Series("", index=gone.index, dtype="object")
    else:
        mode = gone["mode"] if "mode" in gone else pd.Series("static", index=gone.index)
        device = gone["device"] if "device" in gone else pd.Series("", index=gone.index)
        why = pd.Series([looked.looked(str(o), str(m), str(d)) for o, m, d in zip(gone["op"], mode, device)],
                        index=gone.index, dtype="object")
    gone["why"] = why
    return Changes(new=came, fixed=gone[why == ""].drop(columns="why"), persisting=after[after["signature"].isin(sa)],
                   unchecked=gone[why != ""], flaky=comes_and_goes)


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
    c = changes(a.live_findings(), b.live_findings(), coverage(a.summary, b.summary, checked_by_mode(b.results)))
    ua = set(a.findings.loc[a.findings["category"] == "unsupported", "signature"])
    ub = set(b.findings.loc[b.findings["category"] == "unsupported", "signature"])
    return Diff(
        a=a,
        b=b,
        new=_with_repro_paths(c.new, b),
        fixed=_with_repro_paths(c.fixed, a),
        persisting=_with_repro_paths(c.persisting, b),
        unchecked=_with_repro_paths(c.unchecked, a),
        flaky=pd.concat([_with_repro_paths(c.flaky[c.flaky["side"] == side], run) for side, run in
                         (("after", b), ("before", a))]) if len(c.flaky) else c.flaky,
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
        lines += [f"  why: {why} ({n})" for why, n in _reasons(df)]
        lines.append("")
    lines.append("Summary: " + _totals(d))
    return "\n".join(lines) + "\n"


def _reasons(df: pd.DataFrame) -> list[tuple[str, int]]:
    """Why findings were not rechecked, most frequent first (the ``why`` column)."""
    if "why" not in df or not len(df):
        return []
    counts = df["why"].value_counts()
    return [(str(k), int(v)) for k, v in counts.items() if k]


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
        lines += ["", *[f"- why: {_md(why)} ({n})" for why, n in _reasons(df)]] if _reasons(df) else []
        lines.append("")
    lines.append("**Summary:** " + _totals(d))
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown}
