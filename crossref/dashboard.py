"""A static, self-contained HTML dashboard of the run history.

One page, no JavaScript, no network: inline CSS and inline SVG charts drawn here
(hover tooltips come from SVG ``<title>`` elements). Sections: the latest run's
header and headline numbers, findings over time by category, findings new since the
previous run, findings by op with links to the repro scripts (relative links from
the page into each run's ``repros/``, built from the absolute ``report_path`` the
history stores), dispatch-cache statistics over time and coverage. With no run (or
one) the sections say so instead of failing.
"""

from __future__ import annotations

import functools
import json
import math
import os
import time
from html import escape
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from .diff import Changes, changes
from .history import History
from .runs import SEVERITY_ORDER, worst_severity

MAX_RUNS_CHARTED = 30
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#1f77b4", "#8c564b", "#17becf", "#bcbd22", "#7f7f7f", "#d62728", "#2ca02c")
SEVERITY_COLORS = {"high": "#c0392b", "medium": "#d68910", "low": "#2e86c1", "info": "#7f8c8d"}

CSS = """
:root { --ink:#1d2433; --muted:#5d6778; --line:#e3e7ee; --bg:#f5f7fa; --card:#fff; --accent:#4e79a7; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--ink); background:var(--bg); }
header { background:#1d2433; color:#fff; padding:20px 32px; }
header h1 { margin:0 0 6px; font-size:22px; font-weight:600; }
header .meta { color:#c9d1de; display:flex; flex-wrap:wrap; gap:6px 22px; }
header .meta b { color:#fff; font-weight:600; }
main { max-width:1480px; margin:0 auto; padding:20px 32px 40px; }
.tiles { display:grid; grid-template-columns:repeat(auto-fit,minmax(160px,1fr)); gap:12px; margin-bottom:18px; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 16px; }
.tile .n { font-size:26px; font-weight:650; }
.tile .l { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.tile .d { font-size:12px; color:var(--muted); }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 20px; margin-bottom:18px; }
section h2 { font-size:16px; margin:0 0 4px; }
section p.sub { margin:0 0 12px; color:var(--muted); }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:18px; }
.grid2 section { margin-bottom:0; }
@media (max-width: 900px) { .grid2 { grid-template-columns:1fr; } }
table { border-collapse:collapse; width:100%; font-size:13px; }
th { text-align:left; color:var(--muted); font-weight:600; border-bottom:2px solid var(--line); padding:6px 8px; }
td { border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
tr:hover td { background:#fafbfd; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code { font:12px ui-monospace,"DejaVu Sans Mono",monospace; background:#f0f3f7; padding:1px 4px; border-radius:4px; }
.val { display:inline-block; min-width:120px; max-width:220px; overflow-wrap:anywhere; font:12px ui-monospace,"DejaVu Sans Mono",monospace; color:#3b4457; }
td code { white-space:nowrap; }
.scroll { overflow-x:auto; }
.pill { display:inline-block; padding:1px 8px; border-radius:999px; color:#fff; font-size:12px; font-weight:600; }
.chip { display:inline-block; padding:0 6px; margin:1px 2px 1px 0; border-radius:4px; font-size:12px; background:#eef2f7; }
.chip i { display:inline-block; width:8px; height:8px; border-radius:2px; margin-right:4px; }
a { color:#2a5d9f; text-decoration:none; } a:hover { text-decoration:underline; }
.legend { display:flex; flex-wrap:wrap; gap:4px 14px; margin-top:6px; font-size:12px; color:var(--muted); }
.legend span i { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
.empty { color:var(--muted); font-style:italic; padding:18px 0; text-align:center; }
svg text { font-family:system-ui,"DejaVu Sans",sans-serif; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:10px; }
"""


# --- small SVG charts ---------------------------------------------------------------

def _ticks(top: float, n: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``top``."""
    if top <= 0:
        return [0, 1]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    if top >= 1 and step < 1:
        step = 1
    return [i * step for i in range(int(math.ceil(top / step)) + 1)]


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


class _Plot:
    """A chart frame: y axis with ticks and title, x labels (one per run), plot area."""

    def __init__(self, labels: Sequence[str], top: float, y_title: str, x_title: str,
                 width: int = 1140, height: int = 300) -> None:
        self.labels, self.width, self.height = list(labels), width, height
        self.left, self.right, self.top_m = 64, 16, 14
        self.bottom = 52
        self.ticks = _ticks(top)
        self.ymax = self.ticks[-1]
        self.parts: list[str] = []
        self.y_title, self.x_title = y_title, x_title
        if self.pw / max(len(self.labels), 1) * max(1, math.ceil(len(self.labels) / 16)) < 80:
            self.bottom = 76  # room for slanted labels

    @property
    def pw(self) -> float:
        return self.width - self.left - self.right

    @property
    def ph(self) -> float:
        return self.height - self.top_m - self.bottom

    def y(self, v: float) -> float:
        return self.top_m + self.ph * (1 - v / self.ymax)

    def x(self, i: int) -> float:
        """Centre of slot ``i``."""
        return self.left + self.pw * (i + 0.5) / max(len(self.labels), 1)

    def render(self) -> str:
        w, h = self.width, self.height
        out = [f'<svg viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{escape(self.y_title)} by {escape(self.x_title)}" '
               f'xmlns="http://www.w3.org/2000/svg">']
        for t in self.ticks:
            yy = self.y(t)
            out.append(f'<line x1="{self.left}" x2="{w - self.right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e3e7ee"/>')
            out.append(f'<text x="{self.left - 8}" y="{yy + 4:.1f}" font-size="11" text-anchor="end" fill="#5d6778">{_fmt(t)}</text>')
        out.append(f'<text transform="translate(16 {self.top_m + self.ph / 2:.0f}) rotate(-90)" font-size="12" '
                   f'text-anchor="middle" fill="#5d6778">{escape(self.y_title)}</text>')
        every = max(1, math.ceil(len(self.labels) / 16))
        slot = self.pw / max(len(self.labels), 1) * every
        rotate = slot < 80
        base = self.top_m + self.ph
        for i, label in enumerate(self.labels):
            if i % every:
                continue
            xx = self.x(i)
            if rotate:
                out.append(f'<text transform="translate({xx:.1f} {base + 14}) rotate(-30)" font-size="11" '
                           f'text-anchor="end" fill="#5d6778">{escape(label)}</text>')
            else:
                out.append(f'<text x="{xx:.1f}" y="{base + 16}" font-size="11" text-anchor="middle" fill="#5d6778">{escape(label)}</text>')
        out.append(f'<line x1="{self.left}" x2="{w - self.right}" y1="{base}" y2="{base}" stroke="#9aa3b2"/>')
        out.append(f'<text x="{self.left + self.pw / 2:.0f}" y="{h - 6}" font-size="12" text-anchor="middle" '
                   f'fill="#5d6778">{escape(self.x_title)}</text>')
        return "".join(out + self.parts + ["</svg>"])


def bars(labels: Sequence[str], series: dict[str, list[float]], colors: dict[str, str], y_title: str,
         x_title: str, *, stacked: bool = True, tips: Sequence[str] = (), width: int = 1140, height: int = 300) -> str:
    """Bars per label: stacked by series (drawn bottom up, total on top) or side by side."""
    values = list(series.values())
    if stacked:
        top = max((sum(v[i] for v in values) for i in range(len(labels))), default=0)
    else:
        top = max((x for v in values for x in v), default=0)
    plot = _Plot(labels, top, y_title, x_title, width, height)
    slot = plot.pw / max(len(labels), 1)
    bw = min(46.0, slot * 0.68) if stacked else min(22.0, slot * 0.8 / max(len(series), 1))
    for i, label in enumerate(labels):
        acc = 0.0
        for k, (name, vals) in enumerate(series.items()):
            v = vals[i]
            tip = escape(f"{tips[i] if tips else label}: {name} {_fmt(v)}")
            if stacked:
                x, y0, y1 = plot.x(i) - bw / 2, plot.y(acc), plot.y(acc + v)
                acc += v
            else:
                x, y0, y1 = plot.x(i) - bw * len(series) / 2 + k * bw, plot.y(0), plot.y(v)
            if v:
                plot.parts.append(f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bw - (0 if stacked else 1):.1f}" '
                                  f'height="{y0 - y1:.1f}" fill="{colors[name]}"><title>{tip}</title></rect>')
        if stacked:
            plot.parts.append(f'<text x="{plot.x(i):.1f}" y="{plot.y(acc) - 4:.1f}" font-size="11" text-anchor="middle" '
                              f'fill="#1d2433">{_fmt(acc)}</text>')
    return plot.render()


def lines(labels: Sequence[str], series: dict[str, list[float | None]], colors: dict[str, str],
          y_title: str, x_title: str, width: int = 560, height: int = 260) -> str:
    """One polyline with dots per series; None values are gaps."""
    top = max((v for vals in series.values() for v in vals if v is not None), default=0)
    plot = _Plot(labels, top, y_title, x_title, width, height)
    n = len(series)
    for k, (name, vals) in enumerate(series.items()):
        stroke = 3 + 4 * (n - 1 - k)  # earlier series wider, so a later equal one shows on top
        pts = [(plot.x(i), plot.y(v), v, labels[i]) for i, v in enumerate(vals) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in pts)
            plot.parts.append(f'<polyline points="{path}" fill="none" stroke="{colors[name]}" stroke-width="{stroke}" '
                              f'stroke-opacity="{1 if k == n - 1 else 0.75}" stroke-linejoin="round"/>')
        for x, y, v, label in pts:
            plot.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{1.5 + stroke / 2:.1f}" fill="{colors[name]}">'
                              f'<title>{escape(f"{label}: {name} {_fmt(v)}")}</title></circle>')
    return plot.render()


def hbars(items: Sequence[tuple[str, float, str]], color: str = "#59a14f", width: int = 560) -> str:
    """Horizontal bars of shares (0..1): (label, share, note) each."""
    row, left, right = 26, 130, 200
    h = row * len(items) + 10
    out = [f'<svg viewBox="0 0 {width} {h}" width="100%" role="img" aria-label="shares" xmlns="http://www.w3.org/2000/svg">']
    span = width - left - right
    for i, (label, share, note) in enumerate(items):
        y = 5 + i * row
        out.append(f'<text x="{left - 8}" y="{y + 16}" font-size="12" text-anchor="end" fill="#1d2433">{escape(label)}</text>')
        out.append(f'<rect x="{left}" y="{y + 4}" width="{span}" height="16" rx="3" fill="#eef2f7"/>')
        out.append(f'<rect x="{left}" y="{y + 4}" width="{span * max(0.0, min(1.0, share)):.1f}" height="16" rx="3" '
                   f'fill="{color}"><title>{escape(f"{label}: {share:.0%} ({note})")}</title></rect>')
        out.append(f'<text x="{left + span + 8}" y="{y + 16}" font-size="12" fill="#5d6778">{share:.0%} · {escape(note)}</text>')
    return "".join(out + ["</svg>"])


def legend(colors: dict[str, str]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{c}"></i>{escape(n)}</span>' for n, c in colors.items()) + "</div>"


# --- page sections ----------------------------------------------------------------------

def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = ()) -> str:
    """An HTML table; cells are already HTML."""
    num = set(numeric)
    th = "".join(f'<th class="num">{escape(h)}</th>' if i in num else f"<th>{escape(h)}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in num else f"<td>{c}</td>" for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'


def _empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


def _section(title: str, sub: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2><p class="sub">{escape(sub)}</p>{body}</section>'


def _pill(severity: str) -> str:
    return f'<span class="pill" style="background:{SEVERITY_COLORS.get(severity, "#7f8c8d")}">{escape(severity)}</span>'


def _short(text, n: int = 90) -> str:
    text = "" if text is None or text != text else str(text)
    return escape(text if len(text) <= n else text[: n - 1] + "…")


def _mode(finding) -> str:
    """A finding's mode; findings of runs before the compiler modes are static."""
    mode = finding.get("mode") if hasattr(finding, "get") else getattr(finding, "mode", None)
    return mode if isinstance(mode, str) and mode else "static"


def _label(run) -> str:
    """A run's x-axis label: its creation time, short."""
    c = str(run.created_utc)
    return f"{c[5:10]} {c[11:16]}" if len(c) >= 16 else c


class Page:
    """Builds the dashboard of ``history`` for a page written at ``out``."""

    def __init__(self, history: History, out: Path) -> None:
        self.history, self.out = history, out
        self.runs = history.runs
        self.charted = self.runs.tail(MAX_RUNS_CHARTED)
        self.latest = self.runs.iloc[-1] if len(self.runs) else None
        self.previous = self.runs.iloc[-2] if len(self.runs) > 1 else None
        live = history.findings[history.findings["category"] != "unsupported"] if len(history.findings) else history.findings
        self.live = live
        totals = live.groupby("category").size().sort_values(ascending=False) if len(live) else pd.Series(dtype=int)
        self.colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(totals.index)}

    def link(self, run, repro: str, text: str) -> str:
        """A relative link from the page to ``repro`` of ``run``, or plain text when the
        script is not there."""
        if not isinstance(repro, str) or not repro:
            return escape(text)
        target = Path(run.report_path) / repro
        if not target.is_file():
            return f'{escape(text)} <span title="script missing">(missing)</span>'
        href = os.path.relpath(target, self.out.resolve().parent).replace(os.sep, "/")
        return f'<a href="{escape(href)}"><code>{escape(text)}</code></a>'

    def live_of(self, run) -> pd.DataFrame:
        return self.live[self.live["run_id"] == run.run_id] if len(self.live) else self.live

    def header(self) -> str:
        r = self.latest
        if r is None:
            return "<header><h1>crossref dashboard</h1><div class='meta'>no runs yet</div></header>"
        meta = [("torch", r.torch_version), ("devices", r.devices or "-"), ("wall time", f"{r.wall_seconds:,.1f} s"),
                ("git", r.git_revision), ("created", r.created_utc), ("profile", r.profile or "-"), ("run", r.run_name)]
        items = "".join(f"<span>{escape(k)} <b>{escape(str(v))}</b></span>" for k, v in meta)
        return f"<header><h1>crossref dashboard: latest run</h1><div class='meta'>{items}</div></header>"

    def tiles(self) -> str:
        r = self.latest
        live = self.live_of(r)
        c = self.changes
        new = None if c is None else c.new
        prev_n = len(self.live_of(self.previous)) if self.previous is not None else None
        delta = "" if prev_n is None else f"{len(live) - prev_n:+d} since previous run"
        hits, misses = int(r.cache_hits), int(r.cache_misses)
        hit_rate = f"{hits / (hits + misses):.0%}" if r.cache_present and hits + misses else "–"
        valid = f"{r.ops_with_valid_call / r.ops_checked:.0%} of checked" if r.ops_checked else ""
        fixed = ""
        if c is not None:
            fixed = f"{len(c.fixed)} fixed since previous run"
            if len(c.unchecked):
                fixed += f", {len(c.unchecked)} not rechecked"
        tiles = [(len(live), "findings", delta), ("–" if new is None else len(new), "new since previous", fixed),
                 (f"{int(r.checks):,}", "checks", f"{int(r.status_mismatch)} mismatches"),
                 (int(r.ops_checked), "ops checked", f"of {int(r.ops_selected)} selected"),
                 (int(r.ops_with_valid_call), "ops with a valid call", valid),
                 (hit_rate, "cache hit rate", f"{hits:,} hits, {misses:,} misses" if r.cache_present else "not recorded")]
        return '<div class="tiles">' + "".join(
            f'<div class="tile"><div class="l">{escape(l)}</div><div class="n">{escape(str(n))}</div>'
            f'<div class="d">{escape(d)}</div></div>' for n, l, d in tiles) + "</div>"

    def over_time(self) -> str:
        title, sub = "Findings over time", "Distinct findings per run, by category (declared limitations, 'unsupported', left out)."
        runs = list(self.charted.itertuples(index=False))
        counts = {c: [int((self.live_of(r)["category"] == c).sum()) for r in runs] for c in self.colors}
        if not self.colors:
            return _section(title, sub, _empty(f"No findings in any of the {len(runs)} runs."), "trend")
        chart = bars([_label(r) for r in runs], counts, self.colors, "findings", "run (created, UTC)",
                     tips=[r.run_id for r in runs])
        return _section(title, sub, chart + legend(self.colors), "trend")

    @functools.cached_property
    def changes(self) -> Changes | None:
        """The latest run against the previous one (diff's rule; ops the latest run did
        not check are "not rechecked", not fixed); None with fewer than two runs."""
        if self.previous is None:
            return None
        names = getattr(self.latest, "ops_checked_names", None)
        checked = json.loads(names) if isinstance(names, str) else None  # None: an older history row
        return changes(self.live_of(self.previous), self.live_of(self.latest), None if checked is None else set(checked))

    def new_section(self) -> str:
        title = "New since the previous run"
        c = self.changes
        new = None if c is None else c.new
        if new is None:
            return _section(title, "Signatures the previous run did not have.",
                            _empty("Only one run in the history: nothing to compare it with yet."), "new")
        sub = f"Signatures in {self.latest.run_id} that {self.previous.run_id} did not have."
        if not len(new):
            return _section(title, sub, _empty("No new findings."), "new")
        rows = [(_pill(f.severity), escape(_mode(f)), f"<code>{escape(f.op)}</code>", escape(f.category),
                 f"<code>{_short(f.field, 40)}</code>", f'<span class="val">{_short(f.real)}</span>',
                 f'<span class="val">{_short(f.fake)}</span>', str(int(f["count"])),
                 self.link(self.latest, f.repro, f.signature))
                for _, f in self._by_severity(new).iterrows()]
        return _section(title, sub, _table(("severity", "mode", "op", "category", "field", "real", "fake", "count",
                                            "repro"), rows, numeric=(7,)), "new")

    def by_mode(self) -> str:
        title = "By mode (latest run)"
        modes = json.loads(getattr(self.latest, "modes", None) or "{}")
        if not modes:
            return ""
        sub = ("How fake mode ran each drawn call: static shapes, symbolic shapes (ShapeEnv), through the "
               "backward, under autocast. 'not applicable': calls the mode cannot run.")
        rows = [(escape(m), f"{v['checks']:,}", f"{v['counts_by_status'].get('not_applicable', 0):,}",
                 str(v["ops_with_valid_call"]), str(v["findings"]), str(v["findings_new"]),
                 escape(", ".join(f"{k} {n}" for k, n in v["findings_by_category"].items())))
                for m, v in modes.items()]
        return _section(title, sub, _table(("mode", "checks", "not applicable", "ops with a valid call", "findings",
                                            "new", "categories"), rows, numeric=(1, 2, 3, 4, 5)), "modes")

    @staticmethod
    def _by_severity(df: pd.DataFrame) -> pd.DataFrame:
        return df.assign(_r=df["severity"].map(SEVERITY_ORDER).fillna(9)).sort_values(["_r", "op"]).drop(columns="_r")

    def per_op(self) -> str:
        title = "Findings by op (latest run)"
        live = self.live_of(self.latest)
        unsupported = self.history.findings_of(self.latest.run_id)
        n_unsup = int((unsupported["category"] == "unsupported").sum()) if len(unsupported) else 0
        sub = f"{live['op'].nunique() if len(live) else 0} ops with findings; {n_unsup} declared limitations not listed."
        if not len(live):
            return _section(title, sub, _empty("No findings in the latest run."), "ops")
        rows = []
        for op, g in live.groupby("op"):
            worst = worst_severity(g["severity"])
            kinds = sorted({(f.category, _mode(f)) for _, f in g.iterrows()})
            chips = "".join(f'<span class="chip"><i style="background:{self.colors.get(c, "#999")}"></i>{escape(c)}'
                            f'{"" if m == "static" else f" ({escape(m)})"}</span>' for c, m in kinds)
            links = " ".join(self.link(self.latest, f.repro, f.signature) for f in g.itertuples(index=False))
            rows.append((SEVERITY_ORDER.get(worst, 9), -int(g["count"].sum()), op,
                         (f"<code>{escape(op)}</code>", chips, str(len(g)), _pill(worst), f"{int(g['count'].sum()):,}", links)))
        rows.sort(key=lambda r: r[:3])
        return _section(title, sub, _table(("op", "categories", "findings", "worst", "count", "repro scripts"),
                                           [r[3] for r in rows], numeric=(2, 4)), "ops")

    def cache(self) -> str:
        title = "Dispatch cache over time"
        runs = [r for r in self.charted.itertuples(index=False) if r.cache_present]
        if not runs:
            return _section(title, "", _empty("No cache statistics recorded (runs without the cache check)."), "cache")
        colors = {"hits": "#59a14f", "misses": "#e15759"}
        chart = bars([_label(r) for r in runs], {"hits": [r.cache_hits for r in runs], "misses": [r.cache_misses for r in runs]},
                     colors, "fake-mode dispatches", "run (created, UTC)", stacked=False, width=560, height=260)
        shown = runs[-6:]
        reasons: dict[str, list[int]] = {}
        for i, r in enumerate(shown):
            for k, v in json.loads(r.cache_bypasses or "{}").items():
                reasons.setdefault(k, [0] * len(shown))[i] = int(v)
        table = (_table(["bypass reason", *[_label(r) for r in shown]],
                        [[escape(k), *[f"{v:,}" for v in vals]] for k, vals in sorted(reasons.items(), key=lambda kv: -kv[1][-1])],
                        numeric=range(1, len(shown) + 1)) if reasons else _empty("No cache bypasses recorded."))
        latest = runs[-1]
        sub = (f"Latest: {latest.cache_ops_served} ops served from the cache, {latest.cache_ops_never} never; "
               f"repeat runs {', '.join(f'{k} {v}' for k, v in json.loads(latest.cache_repeat or '{}').items()) or '-'}.")
        return _section(title, sub, chart + legend(colors) + table, "cache")

    def coverage(self) -> str:
        title = "Coverage"
        runs = list(self.charted.itertuples(index=False))
        colors = {"ops selected": "#bab0ac", "ops checked": "#4e79a7", "ops with a valid call": "#59a14f"}
        chart = lines([_label(r) for r in runs], {"ops selected": [r.ops_selected for r in runs],
                                                  "ops checked": [r.ops_checked for r in runs],
                                                  "ops with a valid call": [r.ops_with_valid_call for r in runs]},
                      colors, "ops", "run (created, UTC)")
        families = json.loads(self.latest.valid_share_by_family or "{}")
        items = [(fam, float(s.get("valid_share", 0)), f"{s.get('ops_with_valid_call', 0)}/{s.get('ops', 0)} ops, "
                  f"{s.get('checks', 0):,} checks") for fam, s in sorted(families.items())]
        shares = ("<h3 style='font-size:13px;margin:14px 0 4px'>Valid-call share by family (latest run)</h3>" + hbars(items)
                  if items else _empty("No per-family shares recorded."))
        sub = f"Latest: {self.latest.ops_checked} ops checked, {self.latest.ops_with_valid_call} with a valid call, {self.latest.ops_skipped} not tested."
        return _section(title, sub, chart + legend(colors) + shares, "coverage")

    def runs_table(self) -> str:
        rows = [(escape(r.run_id), escape(r.torch_version), f"<code>{escape(r.git_revision)}</code>", escape(r.devices),
                 f"{int(r.checks):,}", str(int(r.ops_checked)), str(int(r.findings_live)), f"{r.wall_seconds:,.1f}")
                for r in reversed(list(self.runs.itertuples(index=False)))]
        return _section("Runs", f"{len(self.runs)} runs in the history, newest first.",
                        _table(("run", "torch", "git", "devices", "checks", "ops", "findings", "wall s"), rows,
                               numeric=(4, 5, 6, 7)), "runs")

    def render(self) -> str:
        if self.latest is None:
            body = _section("No runs yet", "The history is empty.", _empty(
                "Add a run with `crossref history add reports/latest`, then run `crossref dashboard` again."), "empty")
        else:
            body = self.body()
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>crossref dashboard</title><style>{CSS}</style></head><body>{self.header()}<main>{body}</main>"
                f"<footer>generated {stamp} by <code>crossref dashboard</code></footer></body></html>\n")

    def body(self) -> str:
        """Every section, for a history with at least one run."""
        return (self.tiles() + self.over_time() + self.new_section() + self.by_mode() + self.per_op()
                + f'<div class="grid2">{self.cache()}{self.coverage()}</div><div style="height:18px"></div>' + self.runs_table())


def write_dashboard(history: History, out: str | Path) -> Path:
    """Render the dashboard of ``history`` to ``out`` (parents created); returns the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(Page(history, out).render(), encoding="utf-8")
    return out
