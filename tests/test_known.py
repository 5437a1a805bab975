"""The known-divergence table: every entry is well-formed, matches on structured fields,
and (where a witness is known) still matches a real finding."""

from __future__ import annotations

import fnmatch

import pytest
import torch

from crossref.check import catalog
from crossref.check import known
from crossref.check.checker import Checker
from crossref.check.classify import CATEGORIES
from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec

_SIMPLE_TRAITS = {"0-d", "empty", "aliased", "empty-output"}
_LAYOUT_TRAITS = {"permuted", "sliced", "expanded", "channels_last", "channels_last_3d", "offset", "overlapping",
                  "conj", "neg"}
_REAL_KINDS = {"real:dtype_unsupported", "real:no_backend_kernel", "real:autocast_prioritize", "real:other"}


@pytest.mark.parametrize("entry", known.KNOWN, ids=lambda k: f"{k.category}-{k.trait or k.ops}")
def test_entry_is_well_formed(entry):
    assert entry.category in CATEGORIES and entry.category not in ("crash",)
    assert isinstance(entry.reason, str) and len(entry.reason.split()) >= 4
    assert entry.link.startswith("https://")
    assert entry.device in (None, "cpu", "cuda")
    assert entry.mode in (None, "static", "symbolic", "backward", "autocast")
    assert entry.trait is None or entry.trait in _SIMPLE_TRAITS | _LAYOUT_TRAITS | _REAL_KINDS
    assert any(fnmatch.fnmatchcase(e.name, entry.ops) for e in catalog.load_catalog()), entry.ops


@pytest.mark.parametrize("entry", known.KNOWN, ids=lambda k: f"{k.category}-{k.trait or k.ops}")
def test_entry_matches_its_own_fields_only(entry):
    op = next(e.name for e in catalog.load_catalog() if fnmatch.fnmatchcase(e.name, entry.ops))
    traits = frozenset({entry.trait} if entry.trait else ())
    device = entry.device or "cpu"
    mode = entry.mode or "static"
    assert known.match(op, entry.category, device, traits, mode=mode) is not None
    other = next(c for c in CATEGORIES if c != entry.category and c != "unsupported")
    got = known.match(op, other, device, traits, mode=mode)
    assert got is None or got.category == other
    if entry.trait:
        assert known.match(op, entry.category, device, frozenset(), mode=mode) in (None,) or \
            known.match(op, entry.category, device, frozenset(), mode=mode).trait is None
    if entry.mode is not None:  # a mode's entry matches in that mode only
        assert known.match(op, entry.category, device, traits, mode="static") is None


def test_no_duplicate_entries():
    keys = [(k.ops, k.category, k.trait, k.device, k.mode, k.field) for k in known.KNOWN]
    assert len(keys) == len(set(keys))


def _mm_bool():
    b = CallBuilder()
    s = b.add_storage(StorageSpec(torch.bool, 4))
    t = TensorSpec(s, (2, 2), (2, 1))
    return b.build("aten.mm.default", [t, t], {})


# Calls known to produce a finding each entry should match; an entry with a witness
# that no longer yields a known finding is stale.
WITNESSES = {("missing_error", "real:dtype_unsupported"): _mm_bool}


@pytest.mark.parametrize("entry", known.KNOWN, ids=lambda k: f"{k.category}-{k.trait or k.ops}")
def test_entry_still_matches_something(entry):
    make = WITNESSES.get((entry.category, entry.trait))
    if make is None:
        pytest.skip(f"no witness call on CPU for {entry.category}/{entry.trait}: cannot tell whether it is stale")
    (check,) = Checker().run(make())
    assert any(f.known == entry.reason for f in check.findings), check.findings
