"""Precise per-family argument strategies.

A refiner takes the drawing context (strategies.calls.Ctx) and returns values for the
arguments it knows better than the generic filler, by schema argument name. Set
``ctx.main`` to the tensor that anchors the others. The generic filler draws the rest.
"""

from __future__ import annotations

from typing import Any, Callable

from crossref.catalog import OpEntry

Refiner = Callable[[Any], dict[str, Any]]

#: base op name (no trailing underscore) -> refiner
BY_NAME: dict[str, Refiner] = {}
#: catalog family -> refiner, used when no name matches
BY_FAMILY: dict[str, Refiner] = {}


def register(*names: str, family: str | None = None):
    def deco(fn: Refiner) -> Refiner:
        for n in names:
            BY_NAME[n] = fn
        if family:
            BY_FAMILY[family] = fn
        return fn

    return deco


def refiner_for(entry: OpEntry) -> Refiner | None:
    if entry.namespace != "aten":  # the refiners know aten ops by name; a custom op gets the generic filler
        return None
    return BY_NAME.get(entry.base_name) or BY_FAMILY.get(entry.family)


from . import basic  # noqa: E402,F401  (registers)
from . import reductions  # noqa: E402,F401
from . import sorting  # noqa: E402,F401
from . import views  # noqa: E402,F401
from . import joins  # noqa: E402,F401
from . import indexing  # noqa: E402,F401
from . import factories  # noqa: E402,F401
from . import nn  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
