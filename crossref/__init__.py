"""crossref: property-based crossref testing of PyTorch fake tensors against real kernels.

The Python API (crossref/api.py) checks one operator of any namespace::

    import crossref
    findings = crossref.check_op(torch.ops.mylib.scale.default)
    crossref.assert_fake_kernel_matches(mylib.scale, k=st.integers(1, 4), x=crossref.tensors(min_dims=2))

``crossref.watch(report_dir=...)`` checks every op a block of a real program runs
(crossref/watcher.py). ``tensors``, ``shapes`` and ``dtypes`` are the Hypothesis strategies crossref draws
arguments with, for such constraints. The sweep over every overload is the pytest
suite (``crossref sweep``, or ``pytest`` in the checkout). Names load on first use:
importing crossref (the pytest plugin does) costs nothing until one is used.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.2.0"

_EXPORTS = {
    "check_op": "crossref.api",
    "assert_fake_kernel_matches": "crossref.api",
    "OpFinding": "crossref.api",
    "impact_of": "crossref.api",
    "watch": "crossref.watcher",
    "tensors": "crossref.strategies.tensors",
    "shapes": "crossref.strategies.tensors",
    "dtypes": "crossref.strategies.tensors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crossref' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
