"""The docs (docs/, mkdocs.yml): they build without warnings, the reference pages say
what the code does (every option, command, category and column, and nothing else),
and the examples marked ``<!-- example: run -->`` run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import TESTS

ROOT = TESTS.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
MARK = "<!-- example: run -->"


def test_the_docs_build_without_warnings(tmp_path):
    pytest.importorskip("mkdocs")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "reference" / "options" / "index.html").is_file()


def test_every_page_is_in_the_nav_and_the_readme_links_resolve():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in DOCS.rglob("*.md"):
        assert str(page.relative_to(DOCS)) in nav, page
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", (ROOT / "README.md").read_text()):
        if not target.startswith("http"):
            assert (ROOT / target).is_file(), target


def test_the_options_reference_is_the_plugin_s_options():
    plugin = (ROOT / "suites" / "plugin.py").read_text()
    registered = set(re.findall(r'addoption\("(--crossref-[a-z-]+)"', plugin))
    documented = set(re.findall(r"^\| `(--crossref-[a-z-]+)", (DOCS / "reference" / "options.md").read_text(), re.M))
    assert registered == documented, (registered - documented, documented - registered)


def test_the_command_line_reference_is_the_cli_s_commands():
    from crossref.reporting.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices)
    documented = set(re.findall(r"^\| `crossref ([a-z]+)", (DOCS / "reference" / "cli.md").read_text(), re.M))
    assert commands == documented, (commands - documented, documented - commands)


def test_the_categories_and_consequences_are_documented():
    from crossref.taxonomy import CATEGORIES, IMPACTS

    categories = (DOCS / "reference" / "categories.md").read_text()
    assert [c for c in CATEGORIES if f"`{c}`" not in categories] == []
    impact = (DOCS / "guide" / "impact.md").read_text()
    assert [i for i in IMPACTS if f"| `{i}` |" not in impact] == []


def test_the_report_format_names_every_column():
    from crossref.reporting import report

    text = (DOCS / "reference" / "report-format.md").read_text()
    for columns in (report.FINDING_COLUMNS, report.RESULT_COLUMNS, report.ITEM_COLUMNS):
        assert [c for c in columns if c not in text and c != "worker"] == []


def _examples() -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        for n, block in enumerate(page.read_text().split(MARK)[1:]):
            code = block.split("```python\n", 1)[1].split("```", 1)[0]
            out.append((f"{page.relative_to(ROOT)}#{n}", code))
    return out


@pytest.mark.parametrize("name, code", _examples(), ids=[n for n, _ in _examples()])
def test_the_examples_run_as_written(name, code, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{name}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
