"""What is specific to running crossref from this checkout; everything else of the pytest
glue is the installed plugin (suites/plugin.py, loaded through the ``pytest11`` entry
point, wherever pytest runs).

A checkout run must test the checkout's code: if ``crossref`` is imported from
somewhere else (a wheel installed into the same environment shadows the editable
install), the run would check that copy and say nothing about this one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import crossref

_HERE = Path(__file__).resolve().parent


def pytest_configure(config):
    found = [Path(p).resolve() for p in crossref.__path__]
    if _HERE / "crossref" not in found:
        raise pytest.UsageError(
            f"crossref is imported from {', '.join(map(str, found))}, not from this checkout ({_HERE}): "
            "install the checkout with `make setup` (pip install -e .)")
