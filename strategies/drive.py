"""How one test item spends its budget: draw calls of an overload, hand each to a check.

The check is the caller's (the suite's search, a benchmark, the Python API); this
module knows nothing of reports. Every example of the budget is drawn whatever the
checks find: a finding never ends the search (shrinking each one comes after, in
crossref/search/shrink.py).

Examples are drawn from uniformly random choices, not by Hypothesis's own generation
engine: the strategies are ordinary Hypothesis strategies, run through the public
``fuzz_one_input`` entry point on seeded random bytes. At a budget of 25 examples the
engine spends about half of them on its simplest example and on near-copies of
earlier ones (it mutates what it has seen), which is right for finding *a* failure
and then shrinking it, and wrong for covering as many input patterns as possible.
Uniform choices make every probability written in strategies/ the real one, the
same seed gives the same examples, and each op gets its own stream.
"""

from __future__ import annotations

import dataclasses
import random
import zlib
from typing import Callable

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossref.check.catalog import OpEntry
from crossref.check.opcall import ALL_DTYPES, OpCall
from crossref.search.verdict import Verdict

from .calls import op_calls
from .variants import variants

#: check(call) -> a Verdict, or just whether the real kernel accepted the call.
Check = Callable[[OpCall], "Verdict | bool"]

#: Random bytes per example: far more than any call draws (a few hundred), so that an
#: example never runs out of choices.
EXAMPLE_BYTES = 4096
#: Give up after this many examples per requested one whose draws were rejected.
MAX_INVALID_PER_EXAMPLE = 10


_COIN = st.booleans()
_MASK = st.integers(0, 2**8 - 1)
# Half of the gradients transposed: a contiguous one is what every hand-written test
# feeds a backward, and what a fake kernel that copies its gradient's strides gets right.
_GRAD_LAYOUT = st.sampled_from(("transposed", "contiguous", "transposed", "expanded"))


def compiler_choices(data, call: OpCall) -> OpCall:
    """Draw how the compiler modes (crossref/check/modes.py) run ``call``: symbolic mode makes
    every dim of every input dynamic half the time, else a random subset of each
    input's dims (a static dim among dynamic ones is how export sees a size a user did
    not mark dynamic); backward mode's gradients are contiguous, transposed or
    expanded, a third of the time each."""
    dynamic = None
    if data.draw(_COIN):
        count = len(dict.fromkeys(call.tensor_specs()))
        dynamic = tuple(data.draw(_MASK) for _ in range(count))
    return dataclasses.replace(call, dynamic=dynamic, grad_layout=data.draw(_GRAD_LAYOUT))


def item_seed(seed: int, name: str) -> int:
    """The seed of one item: the run's seed and the op's name (stable across processes)."""
    return zlib.crc32(f"{seed}:{name}".encode())


#: A custom op (any namespace but aten) draws on past its examples until this share of
#: them were calls its real kernel accepted, up to ``CUSTOM_MAX_FACTOR`` times as many:
#: the generic filler knows nothing of its argument rules (two ranks that must agree,
#: a dtype it needs), and a budget spent on calls its kernel refuses checks little.
CUSTOM_VALID_SHARE = 0.5
CUSTOM_MAX_FACTOR = 4


def drive(entry: OpEntry, check: Check, *, examples: int, seed: int = 0, with_variants: bool = True,
          fixed: dict | None = None, seeds: list[OpCall] | None = None, accelerated: bool = False) -> int:
    """Draw ``examples`` calls of ``entry`` with the random stream ``item_seed(seed,
    entry.name)`` and check each; a call the real kernel accepted is then checked on
    variants of it (strategies/variants.py) unless ``with_variants`` is false. A dtype
    the kernel refuses (``Verdict.refused``) is not drawn again for the op, so an op
    that takes floats only spends its budget on floats. ``fixed``: arguments by name
    with a value or a strategy (``op_calls``); a variant that would change one of them
    is not checked. A custom op draws more examples while fewer than half of them were
    valid (``CUSTOM_VALID_SHARE``). ``seeds``: calls real programs made (a corpus:
    crossref/watcher.py), checked with their variants after the draws and on top of
    the budget, at most ``examples`` of them (the first: a corpus lists the most made
    first), on a stream of their own: the draws are the same with or without a corpus,
    so a seeded run checks everything an unseeded one does. Returns the number of
    examples checked, seeds included (fewer than asked only if draws kept being
    rejected). ``accelerated``: the checks run on an accelerator too; variants then
    include a tensor left on the CPU and the CUDA contexts (strategies/variants.py)."""

    avoid: set[torch.dtype] = set()  # dtypes the kernel refused: drawn no more for this op

    valid = [0]

    def verdict(call: OpCall) -> Verdict:
        v = check(call)
        v = v if isinstance(v, Verdict) else Verdict(bool(v))
        valid[0] += bool(v.accepted) and not call.variant
        refused = {getattr(torch, name) for name in v.refused}
        if refused and len(avoid | refused) < len(ALL_DTYPES) - 1:  # keep at least two
            avoid.update(refused)
        return v

    def with_its_variants(data, call: OpCall) -> None:
        """Check ``call``, then (when the kernel accepted it) its drawn variants."""
        if verdict(call).accepted and with_variants:
            for variant in data.draw(variants(entry, call, avoid=frozenset(avoid), accelerated=accelerated),
                                     label="variants"):
                if not fixed or call.same_arguments(variant, fixed):
                    verdict(variant)

    @settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def explore(data) -> None:
        call = data.draw(op_calls(entry, avoid=frozenset(avoid), fixed=fixed), label="call")
        with_its_variants(data, compiler_choices(data, call))

    seeded = list(seeds or ())[:examples]
    current: list[OpCall] = []

    @settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def replay(data) -> None:
        with_its_variants(data, current[0])

    rng = random.Random(item_seed(seed, entry.name))
    fuzz = explore.hypothesis.fuzz_one_input
    target, most = examples, examples
    if entry.namespace != "aten":
        target, most = int(examples * CUSTOM_VALID_SHARE), examples * CUSTOM_MAX_FACTOR
    drawn, tries = 0, 0
    while (drawn < examples or valid[0] < target and drawn < most) and tries < most * MAX_INVALID_PER_EXAMPLE:
        tries += 1
        if fuzz(rng.randbytes(EXAMPLE_BYTES)) is not None:
            drawn += 1
    corpus_rng = random.Random(item_seed(seed, entry.name + ":corpus"))
    for call in seeded:
        current[:] = [call]
        replay.hypothesis.fuzz_one_input(corpus_rng.randbytes(EXAMPLE_BYTES))
    return drawn + len(seeded)
