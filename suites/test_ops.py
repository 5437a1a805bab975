"""The crossref sweep: one test item per ATen overload. Each item draws its budget of
calls of that overload (strategies/drive.py), checks each against the real kernel,
then shrinks every new finding and fails naming all of them (crossref/search/item.py).

    pytest -n auto                              # every overload
    pytest -k "aten.mm"                         # one op family by name
    pytest --crossref-ops 'aten.index_put*'     # by glob
"""

from __future__ import annotations

import pytest

from crossref.strategies.calls import skip_reason
from crossref.strategies.drive import drive


def test_op(op_entry, crossref_session, request):
    """Draw the item's whole budget of calls (and variants of the valid ones), then
    shrink each new finding and fail naming all of them."""
    reason = skip_reason(op_entry, crossref_session.checker.devices)
    if reason:
        pytest.skip(reason)
    search = crossref_session.search(op_entry, request.node.nodeid)
    # Variants vary a static check's inputs: without the static mode there are none.
    drive(op_entry, search.check, examples=crossref_session.examples, seed=crossref_session.seed,
          with_variants="static" in crossref_session.checker.modes, seeds=crossref_session.corpus.get(op_entry.name),
          accelerated=crossref_session.checker.accelerated)
    crossref_session.finish(search)
