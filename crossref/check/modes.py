"""The ways compilers run fake mode, and how one call is checked in each.

torch.compile with static shapes runs an op under a plain FakeTensorMode: that is the
``static`` check (checker.py runs it, with the dispatch-cache crosscheck). The others:

- ``symbolic``: torch.export and torch.compile(dynamic=True) trace with a ShapeEnv.
  The fakes' dims are dynamic (``OpCall.dynamic``), SymInt arguments of 2 or more are
  SymInts, and the fake answer is read through the symbols' hints and compared with the
  static run's real answer. Extra: a guard that fixes an input symbol to a number is a
  ``specialization`` finding (a recompile for every other size), and a fake error the
  static fake run did not raise is a ``spurious_error`` whatever its class, because no
  input carries an unbacked symbol.
- ``backward``: AOTAutograd traces the backward too. Floating and complex inputs
  require grad; the op runs, then ``torch.autograd.grad`` of its outputs with
  ``OpCall.grad_layout`` gradients, on both sides. Every gradient's metadata is
  compared (fields ``grad[i]...``), and so is every ATen op that ran inside the
  backward: the autograd engine casts and reduces gradients, which can hide a wrong
  derivative's answer, so the first inner op that differs is named (``inner_op``).
- ``autocast``: mixed-precision training traces under autocast: the call under
  ``torch.autocast(device, dtype)`` on both sides, for each of ``AUTOCAST_DTYPES``,
  whenever a tensor input is floating (an op without an autocast policy of its own may
  call one inside).

Every drawn call is checked in each selected mode; its variants in static mode, and
the layout variants in backward mode too (``for_variant``).

The modes other than static run fake mode without its dispatch cache (the static check
crosschecks the cache). A call a mode cannot run is ``not_applicable`` (``applies``), not a pass. Symbolic and
autocast findings the static check of the same call already shows are left out
(``novel``): a mode's findings are what that mode adds.
"""

from __future__ import annotations

import torch

from .classify import Finding
from .execute import symint_arguments
from .opcall import OpCall, differentiable
from ..taxonomy import MODES  # noqa: F401  (re-exported: the modes, in the order they run

DEFAULT_MODES = MODES

#: The dtypes autocast runs in, by device type (torch.autocast's defaults and the other
#: one CUDA supports).
AUTOCAST_DTYPES = {"cpu": (torch.bfloat16,), "cuda": (torch.float16, torch.bfloat16)}


#: Variants (strategies/variants.py) are static checks of a drawn call's neighbours;
#: those that lay out the first tensor differently are checked in backward mode too:
#: derivative formulas get gradient strides wrong for permuted and channels-last inputs.
BACKWARD_VARIANTS = ("permuted", "channels_last", "channels_last_3d", "sliced", "expanded")


def for_variant(call: OpCall, selected: tuple[str, ...]) -> tuple[str, ...]:
    """The modes a variant is checked in: static, and backward for a layout variant."""
    tag = call.variant.split(":", 1)[0]
    return tuple(m for m in selected if m == "static" or (m == "backward" and tag in BACKWARD_VARIANTS))


def autocast_dtypes(device: str) -> tuple[torch.dtype, ...]:
    return AUTOCAST_DTYPES.get(str(device).split(":")[0], ())


def applies(mode: str, call: OpCall, device: str) -> str:
    """Why ``call`` cannot run in ``mode`` on ``device``; "" when it can."""
    if mode == "static":
        return ""
    if mode == "symbolic":
        return "" if _has_symbol(call) else "no size of 2 or more to make symbolic (0 and 1 are specialized)"
    if mode == "backward":
        if not any(differentiable(call.storages[t.storage].dtype) for t in call.tensor_specs()):
            return "no floating or complex tensor input"
        if _writes(call):
            return "the op writes to an input (in-place or out=): a leaf that requires grad cannot be written"
        return ""
    if mode == "autocast":
        if not autocast_dtypes(device):
            return f"no autocast on {device}"
        # Not only ops with a policy of their own: a kernel or decomposition that calls
        # one (linalg_pinv's matmul) is cast inside, so any floating input can change.
        if not any(call.storages[t.storage].dtype.is_floating_point for t in call.tensor_specs()):
            return "no floating tensor input: autocast casts nothing"
        return ""
    raise ValueError(f"unknown mode {mode!r} (choose from {', '.join(MODES)})")


def _has_symbol(call: OpCall) -> bool:
    """Whether symbolic mode gives the call a symbol: a dynamic dim of size 2 or more, or
    an int of 2 or more in a SymInt argument (the ShapeEnv specializes 0 and 1, so a call
    without either traces exactly as the static check)."""
    for k, t in enumerate(dict.fromkeys(call.tensor_specs())):
        if any(size >= 2 and dynamic for size, dynamic in zip(t.size, call.dynamic_dims(k, len(t.size)))):
            return True
    names = symint_arguments(call.overload)
    if not names:
        return False
    values = [call.argument(name) for name in names]
    flat = [v for x in values for v in (x if isinstance(x, (list, tuple)) else (x,))]
    return any(isinstance(v, int) and not isinstance(v, bool) and v >= 2 for v in flat)


def specialization_applies(call: OpCall, real) -> bool:
    """Whether a guard that fixes a size is the kernel's doing (``real``: the call's real
    Outcome). Not when some dims are static (a dynamic size broadcast against a static
    one is fixed by that input), not when the call resized an input (an out= tensor of
    another size takes the result's sizes: its own static sizes and the resize fix
    symbols), and not with a conj or neg view among the inputs (resolving the bit copies
    through sizes the view pins)."""
    if call.dynamic is not None or any(t.conj or t.neg for t in call.tensor_specs()):
        return False
    if _writes(call):
        sizes = tuple(t.size for t in call.tensor_specs())
        return real.error is None and tuple(m.shape for m in real.inputs_after) == sizes
    return True


def _writes(call: OpCall) -> bool:
    return any(a.alias_info is not None and a.alias_info.is_write for a in call.overload._schema.arguments)


def _key(f: Finding) -> tuple:
    if f.category in ("missing_error", "backend_error"):
        return (f.category, f.real.split(":")[0])
    if f.category in ("spurious_error", "unsupported"):
        return (f.category, f.fake.split(":")[0])
    return (f.category, f.field)


def novel(findings: tuple[Finding, ...], static: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """``findings`` of a mode without those the static check of the same call shows:
    the same category and field, or for an error parity finding the same category and
    exception type (the message names dtypes autocast changed)."""
    seen = {_key(f) for f in static}
    return tuple(f for f in findings if _key(f) not in seen)
