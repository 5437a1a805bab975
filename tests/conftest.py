"""Fixtures for the harness's own tests. The repo's root conftest.py (the crossref
plugin glue) is loaded for these tests too; it writes a report only when an op item is
checked, which none of these tests does in-process (test_plugin.py checks that)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest_plugins = ["pytester"]

# pytester restores sys.modules after each test; pandas' parquet support imports lazily and
# registers pyarrow extension types once per process, so warm it up before any snapshot.
_buf = io.BytesIO()
pd.DataFrame({"a": [1]}).to_parquet(_buf)
pd.read_parquet(io.BytesIO(_buf.getvalue()))

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
if str(TESTS) not in sys.path:  # plants.py and support.py, for xdist workers too
    sys.path.insert(0, str(TESTS))


@pytest.fixture
def recorder(tmp_path):
    from crossref.session.record import Recorder

    rec = Recorder(tmp_path / "run", "main")
    yield rec
    rec.close()


@pytest.fixture
def checker(recorder):
    from crossref.check.checker import Checker

    return Checker(devices=("cpu",), recorder=recorder)
