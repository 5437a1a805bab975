"""crossref.dashboard: the static HTML page over the history (sections, relative repro
links, empty states), rendered in headless Chromium when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from crossref.cli import main
from test_cli import ADD, MM, SUB, UNSUP_A, make_run

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class _Links(HTMLParser):
    """Every href and every element id of a page; fails on nothing (HTMLParser is lax),
    so the tests also count tags."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.svgs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if "id" in a:
            self.ids.add(a["id"])
        self.svgs += tag == "svg"


def parse(html: str) -> _Links:
    p = _Links()
    p.feed(html)
    return p


def dashboard(tmp_path: Path, runs: list[Path], out: Path | None = None) -> tuple[Path, str]:
    hist = tmp_path / "history"
    for run in runs:
        assert main(["history", "add", str(run), "--history", str(hist)]) == 0
    out = out or tmp_path / "site" / "dashboard.html"
    assert main(["dashboard", "--history", str(hist), "--out", str(out)]) == 0
    return out, out.read_text()


@pytest.fixture
def history_of_two(tmp_path):
    a = make_run(tmp_path, "r1", [ADD, MM, UNSUP_A], created="2025-01-01T00:00:00Z")
    b = make_run(tmp_path, "r2", [MM, SUB, UNSUP_A], created="2025-01-02T00:00:00Z", torch_version="2.14.0",
                 devices=["cpu", "cuda"], wall_seconds=321.5)
    return dashboard(tmp_path, [b, a])  # added out of order: the page sorts by creation time


def test_sections_and_header(history_of_two):
    out, html = history_of_two
    page = parse(html)
    assert {"trend", "new", "ops", "cache", "coverage", "runs"} <= page.ids
    assert page.svgs >= 3  # findings over time, cache, coverage (+ family shares)
    assert "torch <b>2.14.0</b>" in html and "devices <b>cpu,cuda</b>" in html and "wall time <b>321.5 s</b>" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # self-contained: no fetches
    assert "<script" not in html


def test_findings_over_time_has_axes_and_legend(history_of_two):
    _, html = history_of_two
    trend = html.split('id="trend"')[1].split("</section>")[0]
    assert ">findings</text>" in trend and ">run (created, UTC)</text>" in trend  # axis titles
    assert 'class="legend"' in trend and ">stride</span>" in trend and ">missing_error</span>" in trend
    assert "unsupported</span>" not in trend  # declared limitations are left out
    assert len(re.findall(r"<rect ", trend)) == 4  # r1: shape + stride, r2: stride + missing_error


def test_new_since_previous_and_per_op_links(history_of_two):
    out, html = history_of_two
    new = html.split('id="new"')[1].split("</section>")[0]
    assert SUB[0] in new and MM[0] not in new and ADD[0] not in new
    ops = html.split('id="ops"')[1].split("</section>")[0]
    assert "aten.mm.default" in ops and "aten.sub.Tensor" in ops and "aten.add.Tensor" not in ops
    hrefs = parse(ops).hrefs
    assert len(hrefs) == 2 and all(not h.startswith("/") for h in hrefs)  # relative links
    for href in hrefs:
        target = (out.parent / href).resolve()
        assert target.is_file() and target.parent.name == "repros" and target.parent.parent.name == "r2"


def test_cache_and_coverage(history_of_two):
    _, html = history_of_two
    cache = html.split('id="cache"')[1].split("</section>")[0]
    assert "unsupported op" in cache and ">hits</span>" in cache and ">misses</span>" in cache
    coverage = html.split('id="coverage"')[1].split("</section>")[0]
    assert "Valid-call share by family" in coverage and "ops with a valid call" in coverage


def _tile(html: str, label: str) -> str:
    """The text under the tile labelled ``label``."""
    return html.split(f'<div class="l">{label}</div>')[1].split('<div class="d">')[1].split("</div>")[0]


def test_fixed_counts_only_findings_whose_op_was_rechecked(tmp_path):
    """diff's rule: a finding is fixed when the later run checked its op and did not see
    it; a finding whose op the later run left out is "not rechecked"."""
    a = make_run(tmp_path, "r1", [ADD, MM], created="2025-01-01T00:00:00Z")
    b = make_run(tmp_path, "r2", [SUB], created="2025-01-02T00:00:00Z", ops=("aten.mm.default",))  # add not checked
    _, html = dashboard(tmp_path, [a, b])
    assert _tile(html, "new since previous") == "1 fixed since previous run, 1 not rechecked"


def test_fixed_from_a_history_row_without_the_checked_ops(tmp_path):
    """Rows written before the runs table had ops_checked_names: every finding that is
    gone counts as fixed, as it did then."""
    a = make_run(tmp_path, "r1", [ADD, MM], created="2025-01-01T00:00:00Z")
    b = make_run(tmp_path, "r2", [SUB], created="2025-01-02T00:00:00Z", ops=("aten.mm.default",))
    _, html = dashboard(tmp_path, [a, b])
    for file in (tmp_path / "history" / "runs").glob("*.parquet"):
        pd.read_parquet(file).drop(columns="ops_checked_names").to_parquet(file, index=False)
    out = tmp_path / "old.html"
    assert main(["dashboard", "--history", str(tmp_path / "history"), "--out", str(out)]) == 0
    assert _tile(out.read_text(), "new since previous") == "2 fixed since previous run"


def test_zero_and_one_run(tmp_path):
    _, html = dashboard(tmp_path / "zero", [])
    assert "No runs yet" in html and "crossref history add" in html
    run = make_run(tmp_path, "only", [ADD])
    _, html = dashboard(tmp_path / "one", [run])
    assert "Only one run in the history" in html and ADD[0] in html and 'id="trend"' in html


def test_a_missing_repro_is_not_linked(tmp_path):
    run = make_run(tmp_path, "r", [ADD])
    (run / "repros" / f"{ADD[0]}.py").unlink()
    _, html = dashboard(tmp_path, [run])
    assert "(missing)" in html and not parse(html.split('id="ops"')[1]).hrefs


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_renders_in_headless_chromium(history_of_two, tmp_path):
    out, _ = history_of_two
    png = tmp_path / "dashboard.png"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={png}", "--window-size=1400,2000",
         out.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert png.is_file(), proc.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a blank page compresses to a few KB


def test_modes_section_and_mode_findings(tmp_path):
    spec = ("eeee00000005", "aten.cumsum.default", "specialization", "low", "symbolic")
    a = make_run(tmp_path, "r1", [MM], created="2025-01-01T00:00:00Z", modes_selected=["static"])
    b = make_run(tmp_path, "r2", [MM, spec], created="2025-01-02T00:00:00Z",
                 modes_selected=["static", "symbolic", "backward", "autocast"])
    _, html = dashboard(tmp_path, [a, b])
    modes = html.split('id="modes"')[1].split("</section>")[0]
    assert "<td>symbolic</td>" in modes and "specialization 1" in modes
    new = html.split('id="new"')[1].split("</section>")[0]
    assert spec[0] in new and "<td>symbolic</td>" in new
    ops = html.split('id="ops"')[1].split("</section>")[0]
    assert "specialization (symbolic)" in ops
