"""Depth at the ci budget: every conditional planted bug (tests/plants.py, CONDITIONAL:
each wrong for one input pattern only) is found within the ci profile's 25 examples of
its op, with its category, by the same drawing the suite does (calls and variants);
the same run without the plant has no such finding (the control).

bench/depth.py prints how many examples each takes, over several seeds."""

from __future__ import annotations

import pytest

from plants import CONDITIONAL, planted
from support import explore

CI_EXAMPLES = 25


@pytest.fixture(scope="module")
def controls():
    return {op: set().union(*explore(op, CI_EXAMPLES)) for op in sorted({p.op for p in CONDITIONAL.values()})}


@pytest.mark.parametrize("name", list(CONDITIONAL))
def test_a_conditional_bug_is_found_at_the_ci_budget(name, controls):
    plant = CONDITIONAL[name]
    with planted(name):
        seen = set().union(*explore(plant.op, CI_EXAMPLES))
    planted_only = {(c, s) for c, s in seen - controls[plant.op] if c == plant.category}
    assert planted_only, f"{name}: no {plant.category} finding of {plant.op} in {CI_EXAMPLES} examples"


@pytest.mark.parametrize("name", list(CONDITIONAL))
def test_the_control_shows_nothing_of_the_plant(name, controls):
    """Without the plant, the op has no failing finding of the planted category at all
    (the ops were chosen so that torch's own fake mode is right there)."""
    plant = CONDITIONAL[name]
    assert not {s for c, s in controls[plant.op] if c == plant.category}, name
