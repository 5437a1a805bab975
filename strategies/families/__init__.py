"""Precise per-family argument strategies.

A refiner takes the drawing context (strategies.calls.Ctx) and returns values for the
arguments it knows better than the generic filler, by schema argument name. Set
``ctx.main`` to the tensor that anchors the others. The generic filler draws the rest.
"""

from __future__ import annotations

from crossref.check.catalog import OpEntry

from . import basic, factories, indexing, joins, linalg, nn, reductions, sorting, views
from ._common import Refiner

#: The family modules, in precedence order: a later module's refiner for a name wins.
MODULES = (basic, reductions, sorting, views, joins, indexing, factories, nn, linalg)
#: base op name (no trailing underscore) -> refiner
BY_NAME: dict[str, Refiner] = {n: fn for m in MODULES for n, fn in m.REFINERS.by_name.items()}
#: catalog family -> refiner, used when no name matches
BY_FAMILY: dict[str, Refiner] = {f: fn for m in MODULES for f, fn in m.REFINERS.by_family.items()}


def refiner_for(entry: OpEntry) -> Refiner | None:
    if entry.namespace != "aten":  # the refiners know aten ops by name; a custom op gets the generic filler
        return None
    return BY_NAME.get(entry.base_name) or BY_FAMILY.get(entry.family)
