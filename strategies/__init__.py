"""Hypothesis strategies for crossref: tensors (tensors.py), schema-driven op calls
for any overload (calls.py) and precise per-family refinements (families/)."""

from .calls import op_calls
from .tensors import LAYOUTS, dtypes, shapes, tensor_calls, tensors

__all__ = ["LAYOUTS", "dtypes", "op_calls", "shapes", "tensor_calls", "tensors"]
