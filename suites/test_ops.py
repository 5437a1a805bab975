"""The crossref sweep: one test item per ATen overload, each a Hypothesis test that
draws calls of that overload and checks fake mode against the real kernel.

    pytest -n auto                              # every overload
    pytest -k "aten.mm"                         # one op family by name
    pytest --crossref-ops 'aten.index_put*'     # by glob
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies.calls import op_calls, unsupported_reason


@given(data=st.data())
def test_op(op_entry, crossref_session, data, request):
    if op_entry.skip:
        pytest.skip(op_entry.skip)
    reason = unsupported_reason(op_entry)
    if reason:
        pytest.skip(reason)
    if not any(op_entry.runs_on(d) for d in crossref_session.checker.devices):
        pytest.skip(f"no kernel on {', '.join(crossref_session.checker.devices)}")
    call = data.draw(op_calls(op_entry), label="call")
    crossref_session.check(op_entry, call, request.node.nodeid)
