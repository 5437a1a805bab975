"""A self-contained, interactive HTML dashboard of the run history.

One HTML file that works offline, from ``file://``: the CSS, the data and two vendored,
minified libraries are inlined (``crossref/reporting/assets/``: Tabulator for the tables,
Chart.js for the charts; versions, sizes and licences in ``assets/README.md``). Python
builds the page's skeleton, its header and headline numbers, and puts everything else
into one ``<script type="application/json" id="dashboard-data">`` element as compact
JSON (array rows with a column list, each repeated string stored once, long strings
shortened); a small hand-written script (``GLUE``) turns that into tables and charts.

Sections: the latest run's header and headline numbers (with how many findings break
compiled programs, when the run was probed); its root-cause clusters, ranked by
consequence first (summary.json's ``clusters`` when the run directory still holds that
run's summary; the history keeps findings but not summary.json, so otherwise they are
computed with ``crossref.clusters`` from the stored findings, as report.py does); its
findings, filtered by consequence in a compiled program (``impact``), category,
severity, mode, whether real models call the op (``models``) and whether a watched
program met it (``met``) (exact), op and fake
implementation (substring), cluster (prefix) and free text (``q``: every word, anywhere in the row),
with the filters kept in the URL hash (``dashboard.html#category=stride&op=aten.mm``)
so that a filtered view can be shared; clicking a cluster filters the findings to it;
findings new and fixed since the previous run (``diff``'s rule); charts over the last
``MAX_RUNS_CHARTED`` runs (findings by category, checks and wall time, coverage, the
dispatch cache); findings by mode and valid-call share by family of the latest run;
the runs. Repro links are relative, from the page into each run's ``repros/`` (built
from the absolute ``report_path`` the history stores). Findings of category
``unsupported`` (declared limitations) are left out, as in ``diff``. With no run, one
run or no findings the sections say so instead of failing.

The script reports how rendering went in ``#status``: ``data-state`` is ``loading``,
then ``ready`` or ``error`` (with the error's message as the element's text); the
tests read it from headless Chromium's DOM.
"""

from __future__ import annotations

import functools
import json
import os
import time
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from . import clusters as clustering
from .diff import Changes, Coverage, changes, coverage
from .history import History
from .runs import SEVERITY_ORDER
from ..taxonomy import IMPACTS, MODES, SEVERITIES, Impact, impact_rank

MAX_RUNS_CHARTED = 30
#: Characters kept of the long text columns; the full text is in the run's
#: findings.parquet and its repro script.
SHORTEN = {"field": 60, "real": 100, "fake": 100, "fake_impl": 90, "title": 120, "impact_detail": 160}
#: Ops and implementations listed per cluster (filtering the findings to a cluster shows all).
CLUSTER_LIST = 8
#: Runs whose cache bypass reasons are tabled.
BYPASS_RUNS = 6
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#1f77b4", "#8c564b", "#17becf", "#bcbd22", "#7f7f7f", "#d62728", "#2ca02c")
#: The vendored files inlined into the page (crossref/reporting/assets/, see its README.md).
SCRIPTS = ("tabulator.min.js", "chart.umd.min.js")
STYLESHEETS = ("tabulator_simple.min.css",)

CSS = """
:root { --ink:#1d2433; --muted:#5d6778; --line:#e3e7ee; --bg:#f5f7fa; --card:#fff; --accent:#2a5d9f; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--ink); background:var(--bg); }
header { background:#1d2433; color:#fff; padding:18px 32px; }
header h1 { margin:0 0 6px; font-size:22px; font-weight:600; }
header .meta { color:#c9d1de; display:flex; flex-wrap:wrap; gap:4px 22px; }
header .meta b { color:#fff; font-weight:600; }
nav { display:flex; flex-wrap:wrap; gap:4px 18px; margin:0 0 14px; font-size:13px; }
main { max-width:1480px; margin:0 auto; padding:18px 32px 32px; }
.tiles { display:grid; grid-template-columns:repeat(auto-fit,minmax(150px,1fr)); gap:12px; margin-bottom:14px; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 14px; }
.tile .n { font-size:24px; font-weight:650; }
.tile .l { color:var(--muted); font-size:13px; }
.tile .d { font-size:12px; color:var(--muted); }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 18px; margin-bottom:18px; }
section h2 { font-size:16px; margin:0 0 2px; }
section h3 { font-size:13px; margin:14px 0 4px; }
section p.sub { margin:0 0 10px; color:var(--muted); }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:18px; margin-bottom:18px; }
.grid2 section { margin-bottom:0; }
@media (max-width: 1000px) { .grid2 { grid-template-columns:1fr; } }
.chart { position:relative; height:280px; }
.chart.tall { height:320px; }
.chart.narrow { max-width:900px; }
.cols { display:grid; grid-template-columns:1fr 1fr; gap:18px; align-items:start; }
.cols h3 { margin-top:0; }
@media (max-width: 1000px) { .cols { grid-template-columns:1fr; } }
code, .mono { font-family:ui-monospace,"DejaVu Sans Mono",monospace; font-size:12px; }
code { background:#f0f3f7; padding:1px 4px; border-radius:4px; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
.pill { display:inline-block; padding:0 8px; border-radius:999px; color:#fff; font-size:12px; font-weight:600; background:#7f8c8d; }
.pill.sev-high { background:#c0392b; } .pill.sev-medium { background:#d68910; } .pill.sev-low { background:#2e86c1; }
.chip { display:inline-block; padding:0 6px; border-radius:4px; font-size:12px; background:#eef2f7; }
.chip i { display:inline-block; width:8px; height:8px; border-radius:2px; margin-right:4px; }
.none, .missing { color:var(--muted); }
.impact { font-size:12px; } .impact.bad { color:#fff; background:#8e44ad; padding:0 6px; border-radius:4px; font-weight:600; }
.empty { color:var(--muted); font-style:italic; padding:14px 0; text-align:center; margin:0; }
.filters { display:flex; flex-wrap:wrap; align-items:center; gap:8px 14px; margin:0 0 10px; }
.filters input[type=search] { width:340px; max-width:100%; padding:5px 9px; border:1px solid #c8cfda; border-radius:6px; font:inherit; }
.filters button { padding:5px 12px; border:1px solid #c8cfda; border-radius:6px; background:#f7f9fc; font:inherit; cursor:pointer; }
.filters button:hover { background:#eef2f7; }
#findings-shown { color:var(--muted); }
#findings-shown b { color:var(--ink); }
#status { margin:0 0 14px; padding:8px 12px; border-radius:8px; background:#eef2f7; color:var(--muted); }
#status[data-state=error] { background:#fdecea; color:#8a1c12; font-weight:600; }
.tabulator { font-size:13px; border:1px solid var(--line); border-radius:8px; background:#fff; }
.tabulator .tabulator-header { border-bottom:2px solid var(--line); color:var(--muted); background:#fafbfd; }
.tabulator .tabulator-header .tabulator-col { background:#fafbfd; }
.tabulator .tabulator-header .tabulator-col input {
  font-size:12px; padding:2px 4px; border:1px solid #d5dbe4; border-radius:4px; }
.tabulator-row { border-bottom:1px solid #eef1f5; }
.tabulator-row.tabulator-row-even { background:#fcfdfe; }
.tabulator-row.selected-cluster { background:#fff6dd !important; }
.tabulator-row .tabulator-cell { padding:5px 8px; }
.tabulator-row .tabulator-cell.wrap { white-space:normal; overflow-wrap:anywhere; }
#clusters-table .tabulator-row { cursor:pointer; }
.tabulator .tabulator-footer { background:#fafbfd; border-top:1px solid var(--line); color:var(--muted); }
footer { color:var(--muted); font-size:12px; text-align:center; padding:10px 10px 24px; }
"""

# The page's script: reads the data element, builds the tables (Tabulator) and charts
# (Chart.js), keeps the findings filters and the URL hash in step.
GLUE = r"""
"use strict";
(function () {
  const status = document.getElementById("status");
  function fail(message) {
    status.dataset.state = "error";
    status.hidden = false;
    status.textContent = "The page's script failed: " + message;
  }
  window.addEventListener("error", (e) => fail(e.message || String(e)));
  window.addEventListener("unhandledrejection", (e) => fail(String((e.reason && e.reason.message) || e.reason)));

  const DATA = JSON.parse(document.getElementById("dashboard-data").textContent);
  const $ = (id) => document.getElementById(id);
  // The findings filters: table fields that have a header filter, and "q" (free text).
  const FILTERS = ["impact", "category", "severity", "mode", "op", "fake_impl", "cluster", "models", "met"];
  const KEYS = [...FILTERS, "q"];

  // A table of the data as objects: "cols" names the fields of each array row; a field
  // listed in "coded" holds an index (or a list of indices) into DATA.strings.
  const text = (v) => (v === null ? null : Array.isArray(v) ? v.map((i) => DATA.strings[i]) : DATA.strings[v]);
  function rows(t) {
    const coded = t.cols.map((c) => t.coded.includes(c));
    return t.rows.map((r) => Object.fromEntries(t.cols.map((c, i) => [c, coded[i] ? text(r[i]) : r[i]])));
  }
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g,
    (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
  const rank = (s) => { const i = DATA.severities.indexOf(s); return i < 0 ? DATA.severities.length : i; };
  // Consequences in compiled programs, worst first; "" (a run that did not probe) last.
  const irank = (s) => { const i = DATA.impacts.indexOf(s); return i < 0 ? DATA.impacts.length : i; };
  const bad = (s) => irank(s) < DATA.impacts.indexOf("none");
  const impactCell = (c) => (c.getValue() ? `<span class="impact${bad(c.getValue()) ? " bad" : ""}">${esc(c.getValue())}</span>`
                                           : '<span class="none">-</span>');
  const pill = (c) => `<span class="pill sev-${esc(c.getValue())}">${esc(c.getValue())}</span>`;
  const chip = (c) => `<span class="chip"><i style="background:${DATA.colors[c.getValue()] || "#999"}"></i>${esc(c.getValue())}</span>`;
  // Text that may wrap at its dots and slashes (op names, paths).
  const breakable = (s) => esc(s).replace(/([./])/g, "$1<wbr>");
  const mono = (c) => (c.getValue() ? `<code>${breakable(c.getValue())}</code>` : '<span class="none">-</span>');
  // A repro link: path relative to the run ("" none named, null named but missing).
  function repro(base, path, text) {
    if (path === null) return `${esc(text)} <span class="missing" title="the repro script is missing">(missing)</span>`;
    return path ? `<a href="${esc(base + path)}">${esc(text)}</a>` : esc(text);
  }
  // Options of a list header filter, with each value's count.
  function choices(data, field, order) {
    const n = {};
    for (const r of data) n[r[field]] = (n[r[field]] || 0) + 1;
    const keys = Object.keys(n).sort(order || ((a, b) => n[b] - n[a]));
    return Object.fromEntries(keys.map((k) => [k, `${k} (${n[k]})`]));
  }
  const listFilter = (values) => ({headerFilter: "list", headerFilterParams: {values, clearable: true}, headerFilterFunc: "=",
                                    headerFilterPlaceholder: "all"});
  function table(id, options) {
    return new Promise((resolve) => {
      const t = new Tabulator("#" + id, {layout: "fitColumns", placeholder: "Nothing to show",
                                         columnDefaults: {headerWordWrap: true}, ...options});
      t.on("tableBuilt", () => resolve(t));
    });
  }
  const built = [];

  // --- findings, filters and the URL hash -------------------------------------------
  const findings = DATA.findings ? rows(DATA.findings) : [];
  for (const f of findings) {
    if (f.repro === 1) f.repro = `repros/${f.signature}.py`;  // the usual path, stored as 1
    f.models = f.workload ? "yes" : "no";
    f.met = f.seen ? "yes" : "no";
    f.text = [f.signature, f.op, f.category, f.severity, f.mode, f.field, f.real, f.fake, f.fake_impl, f.cluster,
              f.impact, f.impact_detail].join(" ").toLowerCase();
  }
  let findingsTable = null, clustersTable = null, applying = false;
  const search = $("search");

  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    return Object.fromEntries(KEYS.filter((k) => p.get(k)).map((k) => [k, p.get(k)]));
  }
  function currentState() {
    const s = {};
    for (const f of findingsTable.getHeaderFilters()) if (f.value) s[f.field] = String(f.value);
    if (search.value.trim()) s.q = search.value.trim();
    return s;
  }
  const hashOf = (s) => new URLSearchParams(KEYS.filter((k) => s[k]).map((k) => [k, s[k]])).toString();
  function writeHash(s) {
    const p = hashOf(s);
    if (p === location.hash.slice(1) || (!p && !location.hash.includes("="))) return;  // keep a plain #anchor
    try {
      history.replaceState(null, "", p ? "#" + p : location.pathname + location.search);
    } catch (e) { /* a view without a shareable URL */ }
  }
  function setSearch(q) {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length) findingsTable.setFilter((r) => words.every((w) => r.text.includes(w)));
    else findingsTable.clearFilter();
  }
  function filtered() {
    const shown = findingsTable.getDataCount("active");
    const out = $("findings-shown");
    out.dataset.shown = shown;
    out.dataset.hash = hashOf(currentState());  // the state as the URL keeps it
    out.innerHTML = `showing <b>${shown}</b> of ${findings.length} findings`;
    if (!applying) writeHash(currentState());
    highlight();
  }
  // Marks the cluster the findings are filtered to.
  function highlight() {
    if (!clustersTable || !findingsTable) return;
    const id = currentState().cluster;
    for (const row of clustersTable.getRows("visible")) {
      row.getElement().classList.toggle("selected-cluster", row.getData().id === id);
    }
  }
  function applyState(s) {
    applying = true;
    findingsTable.clearHeaderFilter();
    for (const k of FILTERS) if (s[k] && findingsTable.getColumn(k)) findingsTable.setHeaderFilterValue(k, s[k]);
    search.value = s.q || "";
    setSearch(search.value);
    applying = false;
    filtered();
    if (s.cluster && clustersTable && clustersTable.getRow(s.cluster)) {
      clustersTable.setPageToRow(s.cluster).then(highlight).catch(() => {});
    }
  }

  if ($("findings-table")) {
    built.push(table("findings-table", {
      data: findings, index: "signature", pagination: true, paginationSize: 25,
      paginationSizeSelector: [25, 100, 500, true], paginationCounter: "rows",
      placeholder: "No findings match the filters",
      columns: [
        // runs that did not probe have no consequences: no column
        ...(findings.some((f) => f.impact) ? [{title: "impact", field: "impact", formatter: impactCell, width: 124,
          sorter: (a, b) => irank(a) - irank(b), headerTooltip: "what the finding breaks in a compiled program",
          tooltip: (e, c) => c.getRow().getData().impact_detail || "",
          ...listFilter(choices(findings, "impact", (a, b) => irank(a) - irank(b)))}] : []),
        {title: "severity", field: "severity", formatter: pill, width: 86, sorter: (a, b) => rank(a) - rank(b),
         ...listFilter(choices(findings, "severity", (a, b) => rank(a) - rank(b)))},
        {title: "mode", field: "mode", width: 88, ...listFilter(choices(findings, "mode"))},
        {title: "category", field: "category", formatter: chip, width: 128, ...listFilter(choices(findings, "category"))},
        {title: "op", field: "op", formatter: mono, minWidth: 160, widthGrow: 2, cssClass: "wrap",
         headerFilter: "input", headerFilterPlaceholder: "contains"},
        {title: "field", field: "field", minWidth: 150, widthGrow: 1.6, cssClass: "wrap", formatter: (c) => breakable(c.getValue())},
        {title: "real", field: "real", minWidth: 130, widthGrow: 2, cssClass: "wrap mono"},
        {title: "fake", field: "fake", minWidth: 110, widthGrow: 1.5, cssClass: "wrap mono"},
        // runs from before fake_impl was recorded have none: no column
        ...(findings.some((f) => f.fake_impl) ? [{title: "fake implementation", field: "fake_impl", formatter: mono,
          minWidth: 140, widthGrow: 1.8, cssClass: "wrap", headerFilter: "input", headerFilterPlaceholder: "contains"}] : []),
        {title: "cluster", field: "cluster", width: 98, headerFilter: "input", headerFilterFunc: "starts",
         formatter: (c) => `<a href="#cluster=${esc(c.getValue())}" title="show this cluster's findings">${esc(c.getValue())}</a>`},
        {title: "count", field: "count", hozAlign: "right", sorter: "number", width: 66},
        {title: "models", field: "models", width: 78, headerTooltip: "on an op real models call",
         ...listFilter(choices(findings, "models"))},
        {title: "met", field: "met", width: 64, headerTooltip: "a watched program (or a corpus call) showed it",
         ...listFilter(choices(findings, "met"))},
        {title: "repro", field: "signature", width: 116, headerSort: false,
         formatter: (c) => repro(DATA.latest.href, c.getRow().getData().repro, c.getValue())},
      ],
    }).then((t) => {
      findingsTable = t;
      t.on("dataFiltered", () => setTimeout(filtered));
      let timer = null;
      search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => setSearch(search.value), 200); });
      $("clear-filters").addEventListener("click", () => applyState({}));
      return t;
    }));
  }

  // --- root-cause clusters ------------------------------------------------------------
  if ($("clusters-table")) {
    const clusters = rows(DATA.clusters).map((c, i) => ({...c, rank: i + 1}));
    built.push(table("clusters-table", {
      data: clusters, index: "id", pagination: true, paginationSize: 10,
      paginationSizeSelector: [10, 25, 100, true], paginationCounter: "rows",
      columns: [
        {title: "#", field: "rank", width: 48, hozAlign: "right", sorter: "number"},
        ...(clusters.some((c) => c.impact) ? [{title: "impact", field: "impact", formatter: impactCell, width: 124,
          sorter: (a, b) => irank(a) - irank(b), headerTooltip: "the worst consequence of its findings in a compiled program",
          tooltip: (e, c) => c.getRow().getData().impact_detail || ""}] : []),
        {title: "severity", field: "severity", formatter: pill, width: 94, sorter: (a, b) => rank(a) - rank(b)},
        {title: "category", field: "category", formatter: chip, width: 132},
        {title: "root cause", field: "title", minWidth: 240, widthGrow: 3, cssClass: "wrap"},
        ...(clusters.some((c) => c.cause) ? [{title: "fake implementation", field: "cause", minWidth: 150, widthGrow: 2,
          formatter: (c) => (c.getValue() ? `<span class="mono">${breakable(c.getValue())}</span>` : '<span class="none">-</span>'),
          tooltip: (e, c) => { const d = c.getRow().getData(); return d.impls ? d.impls.join("\n") : d.cause; },
          cssClass: "wrap"}] : []),
        {title: "ops", field: "op_count", minWidth: 190, widthGrow: 2, sorter: "number",
         headerTooltip: "how many ops, and which (hover for more)",
         formatter: (c) => `<b>${c.getValue()}</b> <span class="mono">${esc(c.getRow().getData().ops.join(", "))}</span>`,
         tooltip: (e, c) => {
           const d = c.getRow().getData(), more = d.op_count - d.ops.length;
           return d.ops.join("\n") + (more > 0 ? `\n... and ${more} more` : "");
         }},
        {title: "models", field: "models", hozAlign: "right", sorter: "number", width: 76,
         headerTooltip: "its ops that real models call", formatter: (c) => c.getValue() || ""},
        {title: "findings", field: "findings", hozAlign: "right", sorter: "number", width: 92},
        {title: "new", field: "new", hozAlign: "right", sorter: "number", width: 66,
         headerTooltip: "findings neither known nor in the baseline"},
        {title: "modes", field: "modes", width: 104, cssClass: "wrap"},
        {title: "representative", field: "rep", width: 124, headerSort: false, headerTooltip: "its repro script",
         formatter: (c) => { const r = c.getRow().getData();
                             return repro(DATA.latest.href, r.rep_repro === 1 ? `repros/${r.rep}.py` : r.rep_repro, r.rep); }},
      ],
    }).then((t) => {
      clustersTable = t;
      t.on("rowClick", (e, row) => {
        if (!e.target.closest("a")) location.hash = "cluster=" + encodeURIComponent(row.getData().id);
      });
      t.on("renderComplete", highlight);
      return t;
    }));
  }

  // --- new and fixed since the previous run -------------------------------------------
  if ($("changes-table")) {
    const bySig = new Map(findings.map((f) => [f.signature, f]));
    const changed = [
      ...DATA.changes.new.map((s) => ({...bySig.get(s), change: "new"})),
      ...rows(DATA.changes.gone),
    ];
    built.push(table("changes-table", {
      data: changed, pagination: true, paginationSize: 15, paginationCounter: "rows",
      columns: [
        {title: "change", field: "change", width: 140, ...listFilter(choices(changed, "change"))},
        {title: "severity", field: "severity", formatter: pill, width: 110, sorter: (a, b) => rank(a) - rank(b)},
        {title: "mode", field: "mode", width: 100},
        {title: "category", field: "category", formatter: chip, width: 150},
        {title: "op", field: "op", formatter: mono, minWidth: 200, headerFilter: "input"},
        {title: "field", field: "field", minWidth: 140, tooltip: true},
        {title: "repro", field: "signature", width: 160,
         formatter: (c) => { const r = c.getRow().getData();
                             return repro(r.change === "new" ? DATA.latest.href : DATA.changes.href, r.repro, c.getValue()); }},
      ],
    }));
  }

  // --- small tables -------------------------------------------------------------------
  if ($("modes-table")) {
    const count = (c) => c.getValue().toLocaleString("en");
    built.push(table("modes-table", {data: rows(DATA.modes), columns: [
      {title: "mode", field: "mode", width: 92}, {title: "checks", field: "checks", hozAlign: "right", formatter: count, width: 90},
      {title: "not applicable", field: "not_applicable", hozAlign: "right", formatter: count, width: 96},
      {title: "ops with a valid call", field: "ops_valid", hozAlign: "right", width: 96},
      {title: "findings", field: "findings", hozAlign: "right", width: 88}, {title: "new", field: "new", hozAlign: "right", width: 66},
      {title: "categories", field: "categories", minWidth: 160, cssClass: "wrap"}]}));
  }
  if ($("bypass-table")) {
    const b = DATA.cache.bypass;
    built.push(table("bypass-table", {data: rows(b), columns: b.cols.map((c, i) => (i
      ? {title: b.labels[i - 1], field: c, hozAlign: "right", sorter: "number", minWidth: 76}
      : {title: "bypass reason", field: c, minWidth: 180, widthGrow: 3, tooltip: true}))}));
  }
  if ($("runs-table")) {
    built.push(table("runs-table", {data: rows(DATA.runs).reverse(), pagination: true, paginationSize: 10, columns: [
      {title: "run", field: "run_id", minWidth: 260, widthGrow: 3}, {title: "torch", field: "torch_version"},
      {title: "git", field: "git_revision", formatter: mono}, {title: "devices", field: "devices"},
      {title: "checks", field: "checks", hozAlign: "right", sorter: "number", formatter: (c) => c.getValue().toLocaleString("en")},
      {title: "ops", field: "ops_checked", hozAlign: "right", sorter: "number"},
      {title: "findings", field: "findings_live", hozAlign: "right", sorter: "number"},
      {title: "wall s", field: "wall_seconds", hozAlign: "right", sorter: "number"}]}));
  }

  // --- charts over the runs -----------------------------------------------------------
  if (DATA.latest) {
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#5d6778";
    Chart.defaults.plugins.legend.position = "bottom";
    Chart.defaults.plugins.legend.labels.boxWidth = 12;
    const charted = DATA.runs ? rows(DATA.runs).slice(-DATA.max_runs_charted) : [];
    const labels = charted.map((r) => r.label);
    const runTitle = (items) => charted[items[0].dataIndex].run_id;
    const axis = (text, extra) => ({beginAtZero: true, title: {display: true, text}, ...extra});
    function chart(id, config) { if ($(id)) new Chart($(id), config); }

    const trend = DATA.trend;
    chart("chart-trend", {type: "bar", data: {labels, datasets: trend.categories.map((c, i) => ({
        label: c, data: trend.counts[i], backgroundColor: DATA.colors[c], maxBarThickness: 64}))},
      options: {scales: {x: {stacked: true, title: {display: true, text: "run (created, UTC)"}},
                         y: axis("findings", {stacked: true})},
                interaction: {mode: "index"},
                onClick: (e, els) => {
                  if (els.length) location.hash = "category=" + encodeURIComponent(trend.categories[els[0].datasetIndex]);
                },
                onHover: (e, els) => { e.native.target.style.cursor = els.length ? "pointer" : "default"; },
                plugins: {tooltip: {filter: (i) => i.raw > 0, callbacks: {title: runTitle,
                  footer: (items) => "total " + items.reduce((n, i) => n + i.raw, 0)}}}}});
    chart("chart-activity", {data: {labels, datasets: [
        {type: "bar", label: "checks", data: charted.map((r) => r.checks), backgroundColor: "#76b7b2", yAxisID: "y",
         maxBarThickness: 64},
        {type: "line", label: "wall time (s)", data: charted.map((r) => r.wall_seconds), borderColor: "#e15759",
         backgroundColor: "#e15759", yAxisID: "y1"}]},
      options: {scales: {y: axis("checks"), y1: axis("wall time (s)", {position: "right", grid: {drawOnChartArea: false}})},
                plugins: {tooltip: {callbacks: {title: runTitle}}}}});
    const cached = charted.filter((r) => r.cache_present);
    chart("chart-cache", {type: "bar", data: {labels: cached.map((r) => r.label), datasets: [
        {label: "hits", data: cached.map((r) => r.cache_hits), backgroundColor: "#59a14f", maxBarThickness: 40},
        {label: "misses", data: cached.map((r) => r.cache_misses), backgroundColor: "#e15759", maxBarThickness: 40}]},
      options: {scales: {y: axis("fake-mode dispatches")},
                plugins: {tooltip: {callbacks: {title: (items) => cached[items[0].dataIndex].run_id}}}}});
    const series = [["ops selected", "ops_selected", "#bab0ac"], ["ops checked", "ops_checked", "#4e79a7"],
                    ["ops with a valid call", "ops_with_valid_call", "#59a14f"]];
    chart("chart-coverage", {type: "line", data: {labels, datasets: series.map(([label, f, color]) => ({
        label, data: charted.map((r) => r[f]), borderColor: color, backgroundColor: color, pointRadius: 3}))},
      options: {scales: {x: {offset: true}, y: axis("ops")}, plugins: {tooltip: {callbacks: {title: runTitle}}}}});
    if (DATA.families) {
      const fam = rows(DATA.families);
      if ($("chart-families")) $("chart-families").parentNode.style.height = (40 + 24 * fam.length) + "px";
      chart("chart-families", {type: "bar", data: {labels: fam.map((f) => f.family), datasets: [
          {label: "valid-call share (%)", data: fam.map((f) => Math.round(1000 * f.share) / 10), backgroundColor: "#59a14f"}]},
        options: {indexAxis: "y", scales: {x: {min: 0, max: 100, title: {display: true, text: "% of ops with a valid call"}}},
                  plugins: {legend: {display: false}, tooltip: {callbacks: {afterLabel: (i) => fam[i.dataIndex].note}}}}});
    }
  }

  Promise.all(built).then(() => {
    if (findingsTable) applyState(readHash());
    window.addEventListener("hashchange", () => {
      if (!findingsTable || !location.hash.includes("=")) return;  // a plain #anchor: no filters
      applyState(readHash());
      $("findings").scrollIntoView();
    });
    if (status.dataset.state !== "error") {
      status.dataset.state = "ready";
      status.textContent = `ready: ${findings.length} findings, ${DATA.clusters ? DATA.clusters.rows.length : 0} clusters`;
      status.hidden = true;
    }
  }).catch((e) => fail(e.message || String(e)));
})();
"""


# --- helpers ---------------------------------------------------------------------------

def _text(value: Any, limit: int | None = None) -> str:
    """A cell's text: '' for a missing value, at most ``limit`` characters."""
    if value is None or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
        return ""
    text = str(value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def _mode(finding: dict) -> str:
    """A finding's mode; findings of runs before the compiler modes are static."""
    mode = finding.get("mode")
    return mode if isinstance(mode, str) and mode else "static"


def _impact(value: Any) -> str:
    """A finding's consequence as the page shows it: "" for none recorded or not probed."""
    text = _text(value)
    return "" if text == Impact.NOT_PROBED.value else text


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts with None for missing values (older runs lack newer columns)."""
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _label(run) -> str:
    """A run's chart label: its creation time, short."""
    c = str(run.created_utc)
    return f"{c[5:10]} {c[11:16]}" if len(c) >= 16 else c


def _json_obj(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) and text else {}


class Strings:
    """The page's string table: each repeated string (an op, a category, a cluster id, a
    message) is stored once, and tables hold its index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def code(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [self.code(v) for v in value]
        return self.index.setdefault(str(value), len(self.index))

    def table(self, records: list[dict], cols: list[str], coded: tuple[str, ...] = ()) -> dict:
        """A table as compact JSON: ``cols``, and ``rows`` of values in that order; the
        ``coded`` columns hold indices into the string table."""
        return {"cols": cols, "coded": list(coded),
                "rows": [[self.code(r[c]) if c in coded else r[c] for c in cols] for r in records]}


def decode(table: dict, strings: list[str]) -> list[dict]:
    """The rows of a ``Strings.table`` as dicts (what the page's script does)."""
    def text(v):
        return None if v is None else [strings[i] for i in v] if isinstance(v, list) else strings[v]
    return [{c: text(v) if c in table["coded"] else v for c, v in zip(table["cols"], row)} for row in table["rows"]]


def _asset(name: str) -> str:
    """A vendored file's text, without its source-map comment (the map is not shipped)."""
    text = resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith(("//# sourceMappingURL", "/*# sourceMappingURL")))


def _section(anchor: str, title: str, sub: str, body: str) -> str:
    sub_html = f'<p class="sub">{escape(sub)}</p>' if sub else ""
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{sub_html}{body}</section>'


def _empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


def _chart(canvas: str, tall: bool = False) -> str:
    return f'<div class="chart{" tall" if tall else ""}"><canvas id="{canvas}"></canvas></div>'


class Page:
    """Builds the dashboard of ``history`` for a page written at ``out``."""

    def __init__(self, history: History, out: Path) -> None:
        self.history = history
        self.here = out.resolve().parent  # repro links are relative to the page's folder
        self.runs = history.runs
        self.latest = self.runs.iloc[-1] if len(self.runs) else None
        self.previous = self.runs.iloc[-2] if len(self.runs) > 1 else None
        f = history.findings
        self.live = f[f["category"] != "unsupported"] if len(f) else f
        totals = self.live.groupby("category").size().sort_values(ascending=False) if len(self.live) else pd.Series(dtype=int)
        self.colors = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(totals.index)}
        self.strings = Strings()
        for word in (*SEVERITIES, *MODES, *self.colors):  # the most repeated strings get the shortest indices
            self.strings.code(word)

    def live_of(self, run) -> pd.DataFrame:
        return self.live[self.live["run_id"] == run.run_id] if len(self.live) else self.live

    # --- links ---

    def href(self, run) -> str:
        """The run's directory relative to the page, URL-quoted, ending in '/'."""
        return quote(os.path.relpath(Path(run.report_path), self.here).replace(os.sep, "/")) + "/"

    @staticmethod
    def repro(run, path: Any, signature: str | None = None) -> str | int | None:
        """A repro script's path in ``run`` (URL-quoted), '' when none is named, None when
        the script is not there; 1 for ``repros/<signature>.py`` when ``signature`` is given
        (the usual path: the page's script puts it back)."""
        path = _text(path)
        if not path:
            return ""
        if not (Path(run.report_path) / path).is_file():
            return None
        return 1 if signature is not None and path == f"repros/{signature}.py" else quote(path)

    # --- data ---

    @functools.cached_property
    def changes(self) -> Changes | None:
        """The latest run against the previous one (diff's rule; ops the latest run did
        not check are "not rechecked", not fixed); None with fewer than two runs."""
        if self.previous is None:
            return None
        return changes(self.live_of(self.previous), self.live_of(self.latest), self.coverage())

    def coverage(self) -> Coverage | None:
        """Where the latest run looked (diff's rule), from the history's run rows: the ops
        it checked by mode (or, in an older row, at all), its devices, seed and budget."""
        row, prev = self.latest, self.previous
        by_mode = _json_obj(getattr(row, "ops_checked_by_mode", None)) or None
        if by_mode is None:  # an older history row: the ops, in whichever mode the finding was found
            names = getattr(row, "ops_checked_names", None)
            ops = json.loads(names) if isinstance(names, str) and names != "null" else None
            if ops is None:
                return None
            by_mode = {m: ops for m in MODES}
        summary = lambda r: {"seed": getattr(r, "seed", None) or None,  # noqa: E731
                             "max_examples": int(getattr(r, "max_examples", 0) or 0) or None,
                             "devices": str(getattr(r, "devices", "") or "").split(",") if getattr(r, "devices", "") else None}
        return coverage(summary(prev), summary(row), {m: frozenset(o) for m, o in by_mode.items()})

    def _stored_clusters(self) -> list[dict] | None:
        """summary.json's ranked clusters, when the latest run's directory still holds
        the summary of this very run."""
        try:
            summary = json.loads((Path(self.latest.report_path) / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(summary, dict) or summary.get("created_utc") != self.latest.created_utc:
            return None
        table = summary.get("clusters")
        return table if isinstance(table, list) else None

    @functools.cached_property
    def clusters(self) -> tuple[str, list[dict], dict[str, str]]:
        """The latest run's clusters: where they came from, the ranked table (clusters of
        live findings only) and each finding's cluster by signature."""
        every = self.history.findings_of(self.latest.run_id)
        stored = self._stored_clusters()
        ids = every["cluster"].fillna("").tolist() if "cluster" in every else []
        if stored is not None and ids and all(ids) and set(ids) <= {c.get("id") for c in stored}:
            source, table, of = "summary.json", stored, dict(zip(every["signature"], ids))
        else:
            computed, table = clustering.build(_records(every))
            source, of = "computed from the stored findings", dict(zip(every["signature"], computed))
        return source, [c for c in table if c.get("category") != "unsupported"], of

    def findings_data(self) -> dict:
        run = self.latest
        of = self.clusters[2]
        records = []
        for f in _records(self.live_of(run)):
            field = _text(f.get("field"))
            if _text(f.get("inner_op")):
                field += f" in {f['inner_op']}"
            records.append({
                "signature": _text(f["signature"]), "severity": _text(f["severity"]), "mode": _mode(f),
                "category": _text(f["category"]), "op": _text(f["op"]), "field": _text(field, SHORTEN["field"]),
                "real": _text(f.get("real"), SHORTEN["real"]), "fake": _text(f.get("fake"), SHORTEN["fake"]),
                "fake_impl": _text(f.get("fake_impl"), SHORTEN["fake_impl"]), "cluster": of.get(f["signature"], ""),
                "count": int(f.get("count") or 0), "repro": self.repro(run, f.get("repro"), f["signature"]),
                "impact": _impact(f.get("impact")), "impact_detail": _text(f.get("impact_detail"), SHORTEN["impact_detail"]),
                "workload": bool(f.get("workload")) if f.get("workload") == f.get("workload") else False,
                "seen": bool(f.get("met")) if f.get("met") == f.get("met") else False})
        records.sort(key=lambda r: (impact_rank(r["impact"]), SEVERITY_ORDER.get(r["severity"], 9), r["op"],
                                    r["category"], r["signature"]))
        return self.strings.table(records, ["signature", "severity", "mode", "category", "op", "field", "real", "fake",
                                            "fake_impl", "cluster", "count", "repro", "impact", "impact_detail",
                                            "workload", "seen"],
                                  coded=("severity", "mode", "category", "op", "field", "real", "fake", "fake_impl", "cluster",
                                         "impact", "impact_detail"))

    def clusters_data(self) -> dict:
        records = []
        for c in self.clusters[1]:
            impls = [str(i) for i in c.get("fake_impls") or []]
            cause = c.get("fake_impl") or (impls[0] if len(impls) == 1 else f"{len(impls)} implementations" if impls else "")
            ops = [str(o) for o in c.get("ops") or []]
            rep = c.get("representative") or {}
            title = str(c.get("title") or "")
            # "stride of out[N].stride from <impl>": the implementation has a column of its own;
            # "from ?": a run from before fake_impl was recorded
            title = title.removesuffix(f" from {cause or '?'}")
            records.append({
                "id": c.get("id", ""), "severity": c.get("severity", ""), "category": c.get("category", ""),
                "title": _text(title, SHORTEN["title"]), "cause": _text(cause, SHORTEN["fake_impl"]),
                "impls": impls[:CLUSTER_LIST] if len(impls) > 1 else None, "ops": ops[:CLUSTER_LIST],
                "op_count": int(c.get("op_count") or len(ops)), "findings": int(c.get("findings") or 0),
                "new": int(c.get("new") or 0), "count": int(c.get("count") or 0),
                "modes": ", ".join(c.get("modes") or []), "rep": _text(rep.get("signature")),
                "rep_repro": self.repro(self.latest, rep.get("repro"), _text(rep.get("signature"))),
                "impact": _impact(c.get("impact")), "impact_detail": _text(c.get("impact_detail"), SHORTEN["impact_detail"]),
                "models": len(c.get("workload_ops") or [])})
        return self.strings.table(records, ["id", "severity", "category", "title", "cause", "impls", "ops", "op_count",
                                 "findings", "new", "count", "modes", "rep", "rep_repro", "impact", "impact_detail",
                                            "models"],
                                  coded=("id", "severity", "category", "cause", "impls", "ops", "modes", "impact",
                                         "impact_detail"))

    def changes_data(self) -> dict | None:
        c = self.changes
        if c is None:
            return None
        gone = []
        for change, df in (("fixed", c.fixed), ("not rechecked", c.unchecked)):
            for f in _records(df):
                gone.append({"change": change, "signature": _text(f["signature"]), "severity": _text(f["severity"]),
                             "mode": _mode(f), "category": _text(f["category"]), "op": _text(f["op"]),
                             "field": _text(f.get("field"), SHORTEN["field"]), "repro": self.repro(self.previous, f.get("repro"))})
        gone.sort(key=lambda r: (r["change"], SEVERITY_ORDER.get(r["severity"], 9), r["op"], r["signature"]))
        return {"previous": self.previous.run_id, "href": self.href(self.previous),
                "new": [str(f["signature"]) for f in sorted(
                    _records(c.new), key=lambda f: (SEVERITY_ORDER.get(f["severity"], 9), str(f["op"]), str(f["signature"])))],
                "gone": self.strings.table(gone, ["change", "signature", "severity", "mode", "category", "op", "field", "repro"],
                                           coded=("change", "severity", "mode", "category", "op", "field"))}

    def runs_data(self) -> dict:
        records = [{"run_id": r.run_id, "label": _label(r), "torch_version": _text(r.torch_version),
                    "git_revision": _text(r.git_revision), "devices": _text(r.devices), "checks": int(r.checks),
                    "wall_seconds": round(float(r.wall_seconds), 1), "ops_selected": int(r.ops_selected),
                    "ops_checked": int(r.ops_checked), "ops_with_valid_call": int(r.ops_with_valid_call),
                    "findings_live": int(r.findings_live), "cache_present": bool(r.cache_present),
                    "cache_hits": int(r.cache_hits), "cache_misses": int(r.cache_misses)}
                   for r in self.runs.itertuples(index=False)]
        return self.strings.table(records, list(records[0]) if records else [],
                                  coded=("torch_version", "git_revision", "devices"))

    def trend_data(self) -> dict:
        """Live findings per charted run, by category (most frequent first)."""
        charted = self.runs.tail(MAX_RUNS_CHARTED)
        live = self.live[self.live["run_id"].isin(charted["run_id"])] if len(self.live) else self.live
        counts = live.groupby(["category", "run_id"]).size() if len(live) else pd.Series(dtype=int)
        return {"categories": list(self.colors),
                "counts": [[int(counts.get((c, r), 0)) for r in charted["run_id"]] for c in self.colors]}

    def cache_data(self) -> dict:
        runs = [r for r in self.runs.tail(MAX_RUNS_CHARTED).itertuples(index=False) if r.cache_present][-BYPASS_RUNS:]
        reasons: dict[str, list[int]] = {}
        for i, r in enumerate(runs):
            for k, v in _json_obj(r.cache_bypasses).items():
                reasons.setdefault(k, [0] * len(runs))[i] = int(v)
        cols = ["reason", *[f"r{i}" for i in range(len(runs))]]
        records = [dict(zip(cols, [k, *v])) for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1][-1], kv[0]))]
        return {"bypass": {**self.strings.table(records, cols, coded=("reason",)), "labels": [_label(r) for r in runs]}}

    def modes_data(self) -> dict:
        modes = _json_obj(getattr(self.latest, "modes", None))
        records = [{"mode": m, "checks": int(v.get("checks", 0)),
                    "not_applicable": int((v.get("counts_by_status") or {}).get("not_applicable", 0)),
                    "ops_valid": int(v.get("ops_with_valid_call", 0)), "findings": int(v.get("findings", 0)),
                    "new": int(v.get("findings_new", 0)),
                    "categories": ", ".join(f"{k} {n}" for k, n in (v.get("findings_by_category") or {}).items())}
                   for m, v in sorted(modes.items(), key=lambda kv: MODES.index(kv[0]) if kv[0] in MODES else len(MODES))]
        return self.strings.table(records, ["mode", "checks", "not_applicable", "ops_valid", "findings", "new", "categories"])

    def families_data(self) -> dict:
        families = _json_obj(self.latest.valid_share_by_family)
        records = [{"family": fam, "share": round(float(s.get("valid_share", 0)), 4),
                    "note": f"{s.get('ops_with_valid_call', 0)}/{s.get('ops', 0)} ops, {s.get('checks', 0):,} checks"}
                   for fam, s in sorted(families.items())]
        return self.strings.table(records, ["family", "share", "note"])

    def data(self) -> dict:
        """Everything the page's script shows, as JSON-ready values."""
        base = {"schema": 1, "severities": list(SEVERITIES), "impacts": list(IMPACTS), "colors": self.colors,
                "max_runs_charted": MAX_RUNS_CHARTED}
        if self.latest is None:
            return {**base, "latest": None, "strings": []}
        data = {**base, "latest": {"run_id": self.latest.run_id, "href": self.href(self.latest)},
                "findings": self.findings_data(), "clusters": self.clusters_data(), "clusters_source": self.clusters[0],
                "changes": self.changes_data(), "runs": self.runs_data(), "trend": self.trend_data(),
                "cache": self.cache_data(), "modes": self.modes_data(), "families": self.families_data()}
        return {**data, "strings": list(self.strings.index)}

    # --- html ---

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
        table = self.clusters[1]
        stats = clustering.statistics(table)
        impacts = live["impact"].fillna("") if "impact" in live else pd.Series([], dtype="object")
        probed = impacts[(impacts != "") & (impacts != Impact.NOT_PROBED.value)]
        breaking = sum(1 for i in probed if impact_rank(i) < impact_rank(Impact.NONE.value))
        broken = (f"{breaking:,}", "break compiled programs",
                  f"of {len(probed):,} probed; {sum(1 for c in table if impact_rank(c.get('impact') or '') < impact_rank(Impact.NONE.value))} clusters")
        tiles = [(f"{len(live):,}", "findings", delta), ("–" if c is None else len(c.new), "new since previous", fixed),
                 *([broken] if len(probed) else []),
                 (f"{len(table):,}", "clusters",
                  f"median size {stats['median_size']:g}, largest {stats['largest']}" if table else ""),
                 (f"{int(r.checks):,}", "checks", f"{int(r.status_mismatch)} mismatches"),
                 (f"{int(r.ops_checked):,}", "ops checked", f"of {int(r.ops_selected):,} selected"),
                 (f"{int(r.ops_with_valid_call):,}", "ops with a valid call", valid),
                 (hit_rate, "cache hit rate", f"{hits:,} hits, {misses:,} misses" if r.cache_present else "not recorded")]
        return '<div class="tiles">' + "".join(
            f'<div class="tile"><div class="l">{escape(l)}</div><div class="n">{escape(str(n))}</div>'
            f'<div class="d">{escape(d)}</div></div>' for n, l, d in tiles) + "</div>"

    def sections(self) -> str:
        """Every section's frame (the script fills the tables and charts), for a history
        with at least one run."""
        r, live = self.latest, self.live_of(self.latest)
        source, table, _ = self.clusters
        every = self.history.findings_of(r.run_id)
        n_unsup = int((every["category"] == "unsupported").sum()) if len(every) else 0
        out = []
        if len(live):
            stats = clustering.statistics(table)
            out.append(_section("clusters", "Root-cause clusters",
                                f"{stats['clusters']} clusters for {stats['findings']} findings (median size "
                                f"{stats['median_size']:g}, largest {stats['largest']}): findings of many ops that share "
                                "one cause, ranked by new findings, severity and the number of ops. Click a cluster to "
                                f"filter the findings to it. Source: {source}.", '<div id="clusters-table"></div>'))
            out.append(_section("findings", "Findings (latest run)",
                                f"{len(live)} findings of {live['op'].nunique()} ops; {n_unsup} declared limitations "
                                "('unsupported') not listed. Filter with the column headers or the search box; the "
                                "filters are kept in the page's URL, to share a view.",
                                '<div class="filters"><input type="search" id="search" placeholder="Search every column" '
                                'aria-label="search the findings"><button type="button" id="clear-filters">Clear filters'
                                '</button><span id="findings-shown"></span></div><div id="findings-table"></div>'))
        else:
            out.append(_section("clusters", "Root-cause clusters", "", _empty("No findings in the latest run.")))
            out.append(_section("findings", "Findings (latest run)",
                                f"{n_unsup} declared limitations ('unsupported') not listed.",
                                _empty("No findings in the latest run.")))
        out.append(self.changes_section())
        runs = self.runs.tail(MAX_RUNS_CHARTED)
        if self.colors:
            trend = _chart("chart-trend", tall=True)
        else:
            trend = _empty(f"No findings in any of the {len(runs)} runs.")
        out.append(_section("trend", "Findings over time",
                            f"Findings per run (the last {len(runs)}), by category; declared limitations left out. "
                            "Click a bar to filter the findings to its category.", trend))
        out.append('<div class="grid2">' + self.activity_section() + self.coverage_section() + "</div>")
        out.append(self.cache_section())
        out.append(self.modes_section())
        out.append(self.families_section())
        out.append(_section("runs", "Runs", f"{len(self.runs)} runs in the history, newest first.",
                            '<div id="runs-table"></div>'))
        return "".join(out)

    def changes_section(self) -> str:
        title = "New and fixed since the previous run"
        c = self.changes
        if c is None:
            return _section("changes", title, "", _empty("Only one run in the history: nothing to compare it with yet."))
        sub = (f"{len(c.new)} new, {len(c.fixed)} fixed, {len(c.unchecked)} not rechecked, by signature: {self.latest.run_id} "
               f"against {self.previous.run_id}. A finding whose op the latest run did not check is 'not rechecked', "
               "not fixed (as in crossref diff).")
        if not (len(c.new) or len(c.fixed) or len(c.unchecked)):
            return _section("changes", title, sub, _empty("No new or fixed findings."))
        return _section("changes", title, sub, '<div id="changes-table"></div>')

    def activity_section(self) -> str:
        return _section("activity", "Checks and wall time", "Checks run and wall-clock seconds per run.",
                        _chart("chart-activity"))

    def cache_section(self) -> str:
        title = "Dispatch cache"
        runs = [r for r in self.runs.tail(MAX_RUNS_CHARTED).itertuples(index=False) if r.cache_present]
        if not runs:
            return _section("cache", title, "", _empty("No cache statistics recorded (runs without the cache check)."))
        last = runs[-1]
        repeat = ", ".join(f"{k} {v}" for k, v in _json_obj(last.cache_repeat).items()) or "-"
        sub = (f"Fake-mode dispatches served from the cache (hits) or not (misses). Latest: {last.cache_ops_served} ops "
               f"served from the cache, {last.cache_ops_never} never; repeat runs {repeat}.")
        bypass = ('<div><h3>Bypass reasons (latest runs)</h3><div id="bypass-table"></div></div>'
                  if any(_json_obj(r.cache_bypasses) for r in runs[-BYPASS_RUNS:]) else _empty("No cache bypasses recorded."))
        return _section("cache", title, sub, f'<div class="cols">{_chart("chart-cache")}{bypass}</div>')

    def coverage_section(self) -> str:
        r = self.latest
        sub = (f"Ops per run. Latest: {r.ops_checked:,} ops checked, {r.ops_with_valid_call:,} with a valid call, "
               f"{r.ops_skipped:,} not tested.")
        return _section("coverage", "Coverage", sub, _chart("chart-coverage"))

    def families_section(self) -> str:
        title = "Valid-call share by family (latest run)"
        if not _json_obj(self.latest.valid_share_by_family):
            return _section("families", title, "", _empty("No per-family shares recorded."))
        return _section("families", title, "The share of each op family's ops that got at least one valid call.",
                        '<div class="chart narrow"><canvas id="chart-families"></canvas></div>')

    def modes_section(self) -> str:
        title = "By mode (latest run)"
        if not _json_obj(getattr(self.latest, "modes", None)):
            return _section("modes", title, "", _empty("No per-mode statistics recorded (a run before the modes)."))
        sub = ("How fake mode ran each drawn call: static shapes, symbolic shapes (ShapeEnv), through the backward, "
               "under autocast. 'not applicable': calls the mode cannot run.")
        return _section("modes", title, sub, '<div id="modes-table"></div>')

    def render(self) -> str:
        if self.latest is None:
            body = _section("empty", "No runs yet", "The history is empty.", _empty(
                "Add a run with `crossref history add reports/latest`, then run `crossref dashboard` again."))
        else:
            nav = "".join(f'<a href="#{a}">{t}</a>'
                          for a, t in (("clusters", "Clusters"), ("findings", "Findings"), ("changes", "New and fixed"),
                                       ("trend", "Over time"), ("coverage", "Coverage"), ("cache", "Cache"),
                                       ("modes", "Modes"), ("families", "Families"), ("runs", "Runs")))
            body = f"<nav>{nav}</nav>" + self.tiles() + self.sections()
        data = json.dumps(self.data(), separators=(",", ":"), ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
        styles = "".join(f"<style>{_asset(name)}</style>" for name in STYLESHEETS)
        scripts = "".join(f"<script>{_asset(name)}</script>" for name in SCRIPTS)
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>crossref dashboard</title>{styles}<style>{CSS}</style></head><body>{self.header()}<main>"
                '<p id="status" data-state="loading" role="status">Loading the tables and charts…</p>'
                "<noscript><p class='empty'>The tables and charts need JavaScript; each run's summary.md has the "
                "same findings.</p></noscript>"
                f"{body}</main><footer>generated {stamp} by <code>crossref dashboard</code> · tables: Tabulator, "
                "charts: Chart.js (MIT; crossref/reporting/assets/README.md)</footer>"
                f'<script type="application/json" id="dashboard-data">{data}</script>'
                f"{scripts}<script>{GLUE}</script></body></html>\n")


def write_dashboard(history: History, out: str | Path) -> Path:
    """Render the dashboard of ``history`` to ``out`` (parents created); returns the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(Page(history, out).render(), encoding="utf-8")
    return out
