"""Hypothesis strategies for crossref: tensors (tensors.py), schema-driven op calls
for any overload (calls.py), precise per-family refinements (families/), and the
metadata twins the stateful cache test probes the cache key with (twins.py)."""

from .calls import op_calls
from .tensors import LAYOUTS, dtypes, shapes, tensor_calls, tensors

__all__ = ["LAYOUTS", "dtypes", "op_calls", "shapes", "tensor_calls", "tensors"]
