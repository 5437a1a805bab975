"""crossref.reporting.dashboard: the interactive HTML page over the history. The data embedded in
the page (parsed back out of its JSON element), relative repro links, root-cause
clusters (from summary.json or computed), empty states, the page's size for 2,000
findings, and the page rendered in headless Chromium (when it is installed): the
script finishes without error, the URL hash filters the findings table, the cluster
table renders."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from crossref.reporting.cli import main
from crossref.reporting.dashboard import decode
from crossref.session.record import Recorder
from test_cli import ADD, MM, SUB, UNSUP_A, make_run

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")

#: More planted findings: a second stride finding on another op, a second finding of mm.
BMM = ("ffff00000006", "aten.bmm.default", "stride", "medium")
MM_SHAPE = ("abab00000007", "aten.mm.default", "shape", "high")
IMPL = "torch/_refs/__init__.py:matmul"


class _Page(HTMLParser):
    """Element ids, hrefs, src attributes and script elements of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])


def parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


def page_data(html: str) -> dict:
    """The JSON the page's script reads."""
    m = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert m, "no dashboard-data element"
    return json.loads(m.group(1))


def table(data: dict, name: str) -> list[dict]:
    return decode(data[name], data["strings"])


def section(html: str, anchor: str) -> str:
    return html.split(f'id="{anchor}"')[1].split("</section>")[0]


def dashboard(tmp_path: Path, runs: list[Path], out: Path | None = None) -> tuple[Path, str]:
    hist = tmp_path / "history"
    hist.mkdir(parents=True, exist_ok=True)  # an empty history is a page saying so; a missing one an error
    for run in runs:
        assert main(["history", "add", str(run), "--history", str(hist)]) == 0
    out = out or tmp_path / "site" / "dashboard.html"
    assert main(["dashboard", "--history", str(hist), "--out", str(out)]) == 0
    return out, out.read_text(encoding="utf-8")


@pytest.fixture
def finding_fields(monkeypatch):
    """Set fields of the finding rows make_run records (by signature), so that runs carry
    fake_impl, realistic fields and long messages through report.merge."""
    fields: dict[str, dict] = {}
    write = Recorder.write

    def patched(self, kind, row):
        if kind == "finding":
            row = {**row, **fields.get(row["signature"], {})}
        write(self, kind, row)

    monkeypatch.setattr(Recorder, "write", patched)
    return fields


@pytest.fixture
def history_of_two(tmp_path, finding_fields):
    finding_fields.update({s: {"field": "out[0].stride", "fake_impl": IMPL} for s in (MM[0], BMM[0])})
    finding_fields[SUB[0]] = {"field": "error", "real": "RuntimeError: expected a <b>&amp; tensor", "fake": "returned normally",
                              "fake_impl": "C++ Meta kernel of aten::sub"}
    a = make_run(tmp_path, "r1", [ADD, MM, UNSUP_A], created="2025-01-01T00:00:00Z")
    b = make_run(tmp_path, "r2", [MM, BMM, MM_SHAPE, SUB, UNSUP_A], created="2025-01-02T00:00:00Z",
                 torch_version="2.14.0", devices=["cpu", "cuda"], wall_seconds=321.5)
    return dashboard(tmp_path, [b, a])  # added out of order: the page sorts by creation time


# --- the page and its data -------------------------------------------------------------

def test_sections_header_and_self_contained(history_of_two):
    out, html = history_of_two
    page = parse(html)
    assert {"clusters", "findings", "changes", "trend", "activity", "coverage", "cache", "families", "modes", "runs",
            "status", "dashboard-data", "findings-table", "clusters-table", "changes-table"} <= page.ids
    assert "torch <b>2.14.0</b>" in html and "devices <b>cpu,cuda</b>" in html and "wall time <b>321.5 s</b>" in html
    # offline: the libraries are inlined (no src, no stylesheet link), links are relative or in-page
    assert not page.srcs and "link" not in page.tags and "sourceMappingURL" not in html
    assert all(not re.match(r"[a-z]+:", h) for h in page.hrefs), page.hrefs
    assert "/* Tabulator v6.5.3" in html and "Chart.js v4.6.1" in html
    assert page.tags.count("script") == 4  # the data, Tabulator, Chart.js, the page's own script
    assert "<svg" not in html.split("<script")[0]  # no hand-drawn charts left


def test_embedded_findings_runs_and_trend(history_of_two):
    _, html = history_of_two
    data = page_data(html)
    assert data["latest"]["run_id"] == "r2@2025-01-02T00:00:00Z"
    findings = table(data, "findings")
    # the latest run's findings, declared limitations left out, most severe first
    assert [f["signature"] for f in findings] == [MM_SHAPE[0], BMM[0], MM[0], SUB[0]]
    mm = next(f for f in findings if f["signature"] == MM[0])
    assert (mm["op"], mm["category"], mm["severity"], mm["mode"], mm["field"]) == (MM[1], "stride", "medium", "static",
                                                                                     "out[0].stride")
    assert (mm["real"], mm["fake"], mm["fake_impl"], mm["count"]) == ("[2, 3]", "[3, 2]", IMPL, 1)
    sub = next(f for f in findings if f["signature"] == SUB[0])
    assert sub["real"] == "RuntimeError: expected a <b>&amp; tensor"  # raw text: the script escapes it
    assert "<b>&amp;" not in html.split('id="dashboard-data">')[1].split("</script>")[0]  # "<" is \u003c in the JSON
    runs = table(data, "runs")
    assert [r["run_id"] for r in runs] == ["r1@2025-01-01T00:00:00Z", "r2@2025-01-02T00:00:00Z"]
    assert runs[1]["wall_seconds"] == 321.5 and runs[1]["findings_live"] == 4 and runs[1]["devices"] == "cpu,cuda"
    trend = data["trend"]
    counts = dict(zip(trend["categories"], trend["counts"]))
    assert counts == {"stride": [1, 2], "shape": [1, 1], "missing_error": [0, 1]}
    assert set(data["colors"]) == set(counts)  # declared limitations ("unsupported") left out


def test_new_and_fixed_since_previous(history_of_two):
    out, html = history_of_two
    data = page_data(html)
    changes = data["changes"]
    assert changes["previous"] == "r1@2025-01-01T00:00:00Z"
    assert changes["new"] == [MM_SHAPE[0], BMM[0], SUB[0]]  # most severe first
    gone = decode(changes["gone"], data["strings"])
    assert [(g["change"], g["signature"], g["op"]) for g in gone] == [("fixed", ADD[0], ADD[1])]
    href = unquote(changes["href"] + gone[0]["repro"])
    assert (out.parent / href).resolve() == (out.parent.parent / "r1" / "repros" / f"{ADD[0]}.py").resolve()
    assert "3 new, 1 fixed, 0 not rechecked" in section(html, "changes")


def test_repro_links_are_relative(history_of_two):
    out, html = history_of_two
    data = page_data(html)
    base = data["latest"]["href"]
    assert not base.startswith("/") and base.endswith("/")
    for f in table(data, "findings"):
        path = f"repros/{f['signature']}.py" if f["repro"] == 1 else f["repro"]  # 1: the usual path
        target = (out.parent / unquote(base + path)).resolve()
        assert target.is_file() and target.parent.name == "repros" and target.parent.parent.name == "r2"


def test_clusters_from_summary_json(history_of_two, tmp_path):
    _, html = history_of_two
    data = page_data(html)
    assert data["clusters_source"] == "summary.json"
    summary = json.loads((tmp_path / "r2" / "summary.json").read_text())
    live = [c for c in summary["clusters"] if c["category"] != "unsupported"]
    clusters = table(data, "clusters")
    assert [c["id"] for c in clusters] == [c["id"] for c in live]  # ranked as given
    stride = next(c for c in clusters if c["category"] == "stride")
    assert stride["ops"] == [BMM[1], MM[1]] and stride["op_count"] == 2 and stride["findings"] == 2
    assert stride["cause"] == IMPL and stride["title"] == "stride of out[N].stride"  # the cause has its own column
    assert stride["rep_repro"] == 1 and stride["rep"] in (MM[0], BMM[0])
    # every finding points at its cluster, as findings.parquet says
    stored = pd.read_parquet(tmp_path / "r2" / "findings.parquet").set_index("signature")["cluster"]
    for f in table(data, "findings"):
        assert f["cluster"] == stored[f["signature"]] and f["cluster"] in {c["id"] for c in clusters}
    assert "3 clusters for 4 findings" in section(html, "clusters") and "Source: summary.json" in html


def test_clusters_computed_when_the_run_directory_is_gone(history_of_two, tmp_path):
    """The history keeps findings, not summary.json: with the run directory moved away,
    the clusters are computed from the stored findings (the same ids), and the repro
    scripts are marked missing."""
    shutil.move(tmp_path / "r2", tmp_path / "r2-moved")
    out = tmp_path / "again.html"
    assert main(["dashboard", "--history", str(tmp_path / "history"), "--out", str(out)]) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["clusters_source"] == "computed from the stored findings"
    stored = pd.read_parquet(tmp_path / "history" / "findings")
    stored = stored[stored["run_id"].str.startswith("r2@")].set_index("signature")["cluster"]
    findings = table(data, "findings")
    assert all(f["cluster"] == stored[f["signature"]] for f in findings)
    assert all(f["repro"] is None for f in findings)  # None: named, but not there
    assert {c["id"] for c in table(data, "clusters")} == {f["cluster"] for f in findings}


def test_a_run_without_fake_impl_and_cluster_columns(tmp_path):
    """Runs recorded before fake_impl and cluster: clusters are computed, nothing fails."""
    run = make_run(tmp_path, "old", [ADD, MM, SUB])
    _, _ = dashboard(tmp_path, [run])
    for file in (tmp_path / "history" / "findings").glob("*.parquet"):
        pd.read_parquet(file).drop(columns=["fake_impl", "cluster"]).to_parquet(file, index=False)
    out = tmp_path / "old.html"
    assert main(["dashboard", "--history", str(tmp_path / "history"), "--out", str(out)]) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["clusters_source"] == "computed from the stored findings"
    findings = table(data, "findings")
    assert {f["fake_impl"] for f in findings} == {""} and all(f["cluster"].startswith("c") for f in findings)
    clusters = table(data, "clusters")
    assert len(clusters) == 3 and all(c["cause"] == "" and not c["title"].endswith("?") for c in clusters)


def test_fixed_counts_only_findings_whose_op_was_rechecked(tmp_path):
    """diff's rule: a finding is fixed when the later run checked its op and did not see
    it; a finding whose op the later run left out is "not rechecked"."""
    a = make_run(tmp_path, "r1", [ADD, MM], created="2025-01-01T00:00:00Z")
    b = make_run(tmp_path, "r2", [SUB], created="2025-01-02T00:00:00Z", ops=("aten.mm.default",))  # add not checked
    _, html = dashboard(tmp_path, [a, b])
    assert _tile(html, "new since previous") == "1 fixed since previous run, 1 not rechecked"
    gone = decode(page_data(html)["changes"]["gone"], page_data(html)["strings"])
    assert [(g["change"], g["signature"]) for g in gone] == [("fixed", MM[0]), ("not rechecked", ADD[0])]


def test_fixed_from_a_history_row_without_the_checked_ops(tmp_path):
    """Rows written before the runs table had ops_checked_names: every finding that is
    gone counts as fixed, as it did then."""
    a = make_run(tmp_path, "r1", [ADD, MM], created="2025-01-01T00:00:00Z")
    b = make_run(tmp_path, "r2", [SUB], created="2025-01-02T00:00:00Z", ops=("aten.mm.default",))
    _, html = dashboard(tmp_path, [a, b])
    for file in (tmp_path / "history" / "runs").glob("*.parquet"):
        pd.read_parquet(file).drop(columns=["ops_checked_names", "ops_checked_by_mode"]).to_parquet(file, index=False)
    out = tmp_path / "old.html"
    assert main(["dashboard", "--history", str(tmp_path / "history"), "--out", str(out)]) == 0
    assert _tile(out.read_text(), "new since previous") == "2 fixed since previous run"


def _tile(html: str, label: str) -> str:
    """The text under the tile labelled ``label``."""
    return html.split(f'<div class="l">{label}</div>')[1].split('<div class="d">')[1].split("</div>")[0]


def test_empty_states(tmp_path):
    _, html = dashboard(tmp_path / "zero", [])
    assert "No runs yet" in html and "crossref history add" in html
    assert page_data(html)["latest"] is None and "findings-table" not in parse(html).ids
    run = make_run(tmp_path, "only", [ADD])
    _, html = dashboard(tmp_path / "one", [run])
    assert "Only one run in the history" in section(html, "changes") and page_data(html)["changes"] is None
    assert [f["signature"] for f in table(page_data(html), "findings")] == [ADD[0]]
    assert "changes-table" not in parse(html).ids and "findings-table" in parse(html).ids
    clean = make_run(tmp_path, "clean", [UNSUP_A])  # a declared limitation only: no live findings
    _, html = dashboard(tmp_path / "none", [clean])
    assert "No findings in the latest run." in section(html, "findings")
    assert "No findings in any of the 1 runs." in section(html, "trend")
    data = page_data(html)
    assert data["findings"]["rows"] == [] and data["clusters"]["rows"] == [] and data["trend"]["categories"] == []
    assert not {"findings-table", "clusters-table", "chart-trend"} & parse(html).ids


def test_a_missing_repro_is_marked(tmp_path):
    run = make_run(tmp_path, "r", [ADD])
    (run / "repros" / f"{ADD[0]}.py").unlink()
    _, html = dashboard(tmp_path, [run])
    data = page_data(html)
    assert table(data, "findings")[0]["repro"] is None and table(data, "clusters")[0]["rep_repro"] is None


def test_modes_and_mode_findings(tmp_path):
    spec = ("eeee00000005", "aten.cumsum.default", "specialization", "low", "symbolic")
    a = make_run(tmp_path, "r1", [MM], created="2025-01-01T00:00:00Z", modes_selected=["static"])
    b = make_run(tmp_path, "r2", [MM, spec], created="2025-01-02T00:00:00Z",
                 modes_selected=["static", "symbolic", "backward", "autocast"])
    _, html = dashboard(tmp_path, [a, b])
    data = page_data(html)
    modes = {m["mode"]: m for m in decode(data["modes"], data["strings"])}
    assert modes["symbolic"]["findings"] == 1 and "specialization 1" in modes["symbolic"]["categories"]
    assert data["changes"]["new"] == [spec[0]]
    assert next(f for f in table(data, "findings") if f["signature"] == spec[0])["mode"] == "symbolic"


def test_size_for_2000_findings(tmp_path, finding_fields):
    """2,000 findings with long messages: the strings are shortened and stored once, the
    page stays small (the libraries are about 690 KB of it)."""
    findings = [(f"{i:012x}", f"aten.op{i % 400}.default", ("stride", "shape", "missing_error", "mutation")[i % 4],
                 ("high", "medium", "low")[i % 3]) for i in range(2000)]
    for i, f in enumerate(findings):
        finding_fields[f[0]] = {"real": f"RuntimeError: {i % 60} " + "x" * 400, "fake": "returned normally",
                                "fake_impl": f"torch/_refs/__init__.py:op{i % 400}", "field": "out[0].stride"}
    run = make_run(tmp_path, "big", findings, ops=())
    _, html = dashboard(tmp_path, [run])
    data = page_data(html)
    rows = table(data, "findings")
    assert len(rows) == 2000 and max(len(r["real"]) for r in rows) == 100 and rows[0]["real"].endswith("…")
    size = len(html.encode())
    data_size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    assert data_size < 200_000, data_size  # ~100 bytes a finding
    assert size < 950_000, size


# --- in a browser ----------------------------------------------------------------------

class _Rendered(HTMLParser):
    """What headless Chromium rendered: #status, #findings-shown, and the cell texts of
    each row of the Tabulator tables (by field)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.status: dict = {}
        self.status_text = ""
        self.shown: str | None = None
        self.hash: str | None = None  # the filters as the page writes them into the URL
        self.body: dict = {}
        self.tables: dict[str, list[dict[str, str]]] = {}
        self._table = self._row = self._cell = None  # (name, depth) of the open ones
        self._in_status = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.VOID:
            return
        self.depth += 1
        if tag == "body":
            self.body = a
        classes = (a.get("class") or "").split()
        if a.get("id") == "status":
            self.status, self._in_status = a, True
        if a.get("id") == "findings-shown":
            self.shown, self.hash = a.get("data-shown"), a.get("data-hash")
        if not self._table and a.get("id", "").endswith("-table") and "tabulator" in classes:
            self._table = (a["id"], self.depth)
            self.tables[a["id"]] = []
        elif self._table and "tabulator-row" in classes:
            self._row = self.depth
            self.tables[self._table[0]].append({})
        elif self._row and "tabulator-cell" in classes:
            self._cell = (a.get("tabulator-field", ""), self.depth)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if self._cell and self._cell[1] == self.depth:
            self._cell = None
        if self._row == self.depth:
            self._row = None
        if self._table and self._table[1] == self.depth:
            self._table = None
        self._in_status = self._in_status and tag != "p"
        self.depth -= 1

    def handle_data(self, data):
        if self._in_status:
            self.status_text += data
        if self._cell:
            row = self.tables[self._table[0]][-1]
            row[self._cell[0]] = row.get(self._cell[0], "") + data

    def column(self, table: str, field: str) -> list[str]:
        return [r.get(field, "").strip() for r in self.tables.get(table, [])]


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=5000", *args, url],
        capture_output=True, text=True, timeout=120)


def render(tmp_path: Path, page: Path, fragment: str = "") -> _Rendered:
    proc = chromium(tmp_path, page.resolve().as_uri() + fragment, "--dump-dom")
    dom = _Rendered()
    dom.feed(proc.stdout)
    assert dom.status, f"no #status in the DOM: {proc.stderr[-2000:]}"
    assert dom.status.get("data-state") == "ready", dom.status_text
    return dom


@needs_chromium
def test_browser_url_hash_filters_the_findings(history_of_two, tmp_path):
    out, html = history_of_two
    dom = render(tmp_path, out, "#category=stride&op=aten.mm.default")
    assert dom.column("findings-table", "signature") == [MM[0]]  # not BMM (op), not MM_SHAPE (category)
    assert dom.shown == "1"
    clusters = table(page_data(html), "clusters")
    assert dom.column("clusters-table", "rank") == [str(i) for i in range(1, len(clusters) + 1)]
    assert IMPL in dom.column("clusters-table", "cause")
    assert sorted(dom.column("changes-table", "signature")) == sorted([MM_SHAPE[0], BMM[0], SUB[0], ADD[0]])
    assert dom.column("runs-table", "run_id") == ["r2@2025-01-02T00:00:00Z", "r1@2025-01-01T00:00:00Z"]
    # a cluster's id, the free-text search, an unknown value
    stride = next(c["id"] for c in clusters if c["category"] == "stride")
    dom = render(tmp_path, out, f"#cluster={stride}")
    assert sorted(dom.column("findings-table", "signature")) == sorted([MM[0], BMM[0]])
    dom = render(tmp_path, out, "#q=expected%20%3Cb%3E")  # "expected <b>": SUB's message, searched as text
    assert dom.column("findings-table", "signature") == [SUB[0]]
    assert dom.column("findings-table", "real") == ["RuntimeError: expected a <b>&amp; tensor"]  # shown, not parsed
    dom = render(tmp_path, out, "#severity=nonexistent")
    assert dom.column("findings-table", "signature") == [] and dom.shown == "0"
    # read back from the table's filters (what the page writes into the URL): unknown keys dropped, in order
    dom = render(tmp_path, out, "#q=returned&junk=1&fake_impl=Meta%20kernel&severity=medium")
    assert dom.column("findings-table", "signature") == [SUB[0]]
    assert dom.hash == "severity=medium&fake_impl=Meta+kernel&q=returned"


#: Clicks a cluster, types into the search box, clears the filters; notes the URL hash
#: and the number of findings shown after each step on <body>.
INTERACT = """<script>
const shown = () => location.hash + " " + document.getElementById("findings-shown").dataset.shown;
setTimeout(() => {
  document.querySelector("#clusters-table .tabulator-row .tabulator-cell[tabulator-field=title]").click();
  setTimeout(() => {
    document.body.dataset.click = shown();
    const search = document.getElementById("search");
    search.value = "normally";
    search.dispatchEvent(new Event("input"));
    setTimeout(() => {
      document.body.dataset.search = shown();
      document.getElementById("clear-filters").click();
      setTimeout(() => { document.body.dataset.clear = shown(); }, 300);
    }, 600);
  }, 300);
}, 1000);
</script>"""


@needs_chromium
def test_browser_clicks_and_typing_write_the_url_hash(history_of_two, tmp_path):
    out, html = history_of_two
    first = table(page_data(html), "clusters")[0]
    page = out.with_name("interact.html")
    page.write_text(html.replace("</body>", INTERACT + "</body>"), encoding="utf-8")
    dom = render(tmp_path, page)
    assert dom.body["data-click"] == f"#cluster={first['id']} {first['findings']}"  # the first cluster's findings
    assert dom.body["data-search"] == f"#cluster={first['id']}&q=normally 0"  # none of them returned normally
    assert dom.body["data-clear"] == " 4"  # no hash: every finding


@needs_chromium
def test_browser_empty_states_and_errors(tmp_path):
    for name, runs in (("zero", []), ("none", [make_run(tmp_path, "clean", [UNSUP_A])])):
        out, _ = dashboard(tmp_path / name, runs)
        render(tmp_path, out)  # ready, no error
    out, html = dashboard(tmp_path / "one", [make_run(tmp_path, "only", [ADD])])
    assert render(tmp_path, out).column("findings-table", "signature") == [ADD[0]]
    broken = out.with_name("broken.html")  # a script error after the page's script: reported in #status
    broken.write_text(html.replace("</body>", "<script>window.notAFunction()</script></body>"), encoding="utf-8")
    proc = chromium(tmp_path, broken.resolve().as_uri(), "--dump-dom")
    dom = _Rendered()
    dom.feed(proc.stdout)
    assert dom.status.get("data-state") == "error" and "notAFunction" in dom.status_text


@needs_chromium
def test_browser_screenshot(history_of_two, tmp_path):
    out, _ = history_of_two
    png = tmp_path / "dashboard.png"
    proc = chromium(tmp_path, out.resolve().as_uri(), f"--screenshot={png}", "--window-size=1400,2200")
    assert png.is_file(), proc.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 60_000  # a blank page compresses to a few KB


@needs_chromium
def test_browser_filters_by_consequence_and_by_what_real_programs_met(tmp_path, finding_fields):
    """A probed run: the clusters rank by consequence first, and the findings filter by it
    (#impact=) and by whether a watched program met them (#met=)."""
    from crossref.reporting import report

    finding_fields[SUB[0]] = {"origin": "watched", "where": "train.py | model.py:3 (forward)"}
    run = make_run(tmp_path, "probed", [ADD, MM, SUB])
    report.apply_impacts(run, {
        MM[0]: {"impact": "wrong_values", "impact_backend": "inductor", "impact_detail": "inductor: out[0] values differ"},
        ADD[0]: {"impact": "none", "impact_backend": "aot_eager", "impact_detail": "aot_eager: agrees with eager"}})
    out, html = dashboard(tmp_path, [run])
    data = page_data(html)
    clusters = table(data, "clusters")
    assert clusters[0]["impact"] == "wrong_values" and clusters[0]["ops"] == [MM[1]]  # medium, yet first
    assert "break compiled programs" in html
    dom = render(tmp_path, out, "#impact=wrong_values")
    assert dom.column("findings-table", "signature") == [MM[0]]
    dom = render(tmp_path, out, "#met=yes")
    assert dom.column("findings-table", "signature") == [SUB[0]]
    found = pd.read_parquet(run / "findings.parquet").set_index("signature")
    assert found.loc[SUB[0], "program"] == "train.py" and found.loc[SUB[0], "frame"] == "model.py:3 (forward)"
