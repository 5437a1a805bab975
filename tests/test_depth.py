"""Depth at the ci budget: the conditional planted bugs (tests/plants.py, CONDITIONAL:
each wrong for one input pattern only) are found within the ci profile's 25 examples
of their op, with their category, by the same drawing the suite does (calls and
variants), at least 95% of them; the same run without a plant has no such finding
(the control).

bench/depth.py prints how many examples each takes, over several seeds."""

from __future__ import annotations

import pytest

from plants import CONDITIONAL, planted
from support import explore

CI_EXAMPLES = 25


@pytest.fixture(scope="module")
def controls():
    return {op: set().union(*explore(op, CI_EXAMPLES)) for op in sorted({p.op for p in CONDITIONAL.values()})}


#: The share of the conditional plants the ci budget must find (the issue's bar for
#: held-out planted bugs). A plant found or missed is one seed's luck as well as the
#: search's: bench/depth.py --seeds 5 measures the rate over seeds.
FOUND_AT_LEAST = 0.95


def test_conditional_bugs_are_found_at_the_ci_budget(controls):
    missed = []
    for name, plant in CONDITIONAL.items():
        with planted(name):
            seen = set().union(*explore(plant.op, CI_EXAMPLES))
        if not {(c, s) for c, s in seen - controls[plant.op] if c == plant.category}:
            missed.append(name)
    found = len(CONDITIONAL) - len(missed)
    assert found >= FOUND_AT_LEAST * len(CONDITIONAL), f"found {found}/{len(CONDITIONAL)}; missed {missed}"


@pytest.mark.parametrize("name", list(CONDITIONAL))
def test_the_control_shows_nothing_of_the_plant(name, controls):
    """Without the plant, the op has no failing finding of the planted category at all
    (the ops were chosen so that torch's own fake mode is right there)."""
    plant = CONDITIONAL[name]
    assert not {s for c, s in controls[plant.op] if c == plant.category}, name
