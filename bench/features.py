#!/usr/bin/env python
"""How often does each input feature occur in the checks of a ci run, per op family?

Draws the ci budget of every op (or a sample per family) exactly as the suite does
(calls and the variants of the valid ones, with the forward check deciding validity)
and counts, over the checks, the share that has each feature: layouts of any tensor,
the first tensor's dtype category and rank, a negative dim argument, a 0-d operand
next to a non-0-d one, an empty tensor, operands that broadcast, a channels-last
memory_format argument, an out= tensor of the wrong size or dtype, mixed dtypes, a
Python scalar operand. Prints one table per family and the share of valid checks.

    python bench/features.py                     # 6 ops per family, 25 examples each
    python bench/features.py --per-family 0      # every op (slow)
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import torch  # noqa: E402

from crossref.check import catalog  # noqa: E402
from crossref.check.checker import Checker  # noqa: E402
from crossref.session.isolate import Isolated, IsolationOptions  # noqa: E402
from crossref.check.opcall import OpCall  # noqa: E402
from crossref.search.item import verdict  # noqa: E402
from crossref.strategies.calls import unsupported_reason  # noqa: E402
from crossref.strategies.drive import drive  # noqa: E402
from crossref.strategies.variants import category, slots  # noqa: E402

LAYOUT_FEATURES = ("permuted", "channels_last", "channels_last_3d", "sliced", "expanded", "offset", "overlapping",
                   "conj", "neg", "aliased")
_DIM_NAMES = {"dim", "dim0", "dim1", "dims", "start_dim", "end_dim"}


def features(entry, call: OpCall) -> set[str]:
    """The features of one check."""
    out: set[str] = set()
    specs = list(call.tensor_specs())
    for t in specs:
        out.update(x for x in t.layout if x in LAYOUT_FEATURES)
    found = slots(entry, call)
    if specs:
        first = specs[0]
        dtype = call.storages[first.storage].dtype
        out.add(f"dtype:{'low-float' if dtype in (torch.float16, torch.bfloat16) else category(dtype)}")
        out.add(f"rank:{len(first.size)}")
    sizes = [t.size for t in specs]
    if any(len(s) == 0 for s in sizes) and any(len(s) > 0 for s in sizes):
        out.add("0-d operand")
    if any(0 in s for s in sizes):
        out.add("empty")
    read = [s.spec.size for s in found if not s.written]
    if len({s for s in read if s}) > 1:
        out.add("broadcasting")
    kinds = {call.storages[t.storage].dtype for t in specs if call.storages[t.storage].fill != "range"}
    if len(kinds) > 1:
        out.add("mixed dtypes")
    for a in entry.schema.arguments:
        value = call.argument(a.name, None)
        if a.name in _DIM_NAMES and (value is not None) and (
                (isinstance(value, int) and value < 0) or (isinstance(value, list) and any(
                    isinstance(d, int) and d < 0 for d in value))):
            out.add("negative dim")
        if value in (torch.channels_last, torch.channels_last_3d):
            out.add("memory_format channels-last")
        if str(a.real_type) in ("number", "Optional[number]") and isinstance(value, (int, float, complex)):
            out.add("scalar operand")
    outs = [s.spec for s in found if s.written and s.name.startswith("out")]
    if outs and found and not found[0].written:
        first = found[0].spec
        if any(o.size != first.size and 0 not in o.size for o in outs):
            out.add("out= wrong size")
        if any(call.storages[o.storage].dtype != call.storages[first.storage].dtype for o in outs):
            out.add("out= other dtype")
    if call.variant:
        out.add("variant")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=25)
    p.add_argument("--per-family", type=int, default=6, help="ops per family (0: all)")
    a = p.parse_args()
    by_family: dict[str, list] = collections.defaultdict(list)
    for e in catalog.load_catalog():
        if not e.skip and not unsupported_reason(e) and e.runs_on("cpu"):
            by_family[e.family].append(e)
    # In the crash-isolated child, as the suite runs: some kernels die on random inputs.
    checker = Checker(checks=("forward",),
                      isolated=Isolated({"devices": ("cpu",), "checks": ("forward",)}, IsolationOptions()))
    table: dict[str, collections.Counter] = {}
    totals: dict[str, int] = {}
    valid: dict[str, int] = {}
    for family, entries in sorted(by_family.items()):
        step = max(len(entries) // a.per_family, 1) if a.per_family else 1
        chosen = entries[::step][: a.per_family or None]
        counts: collections.Counter = collections.Counter()
        n = ok = 0
        for entry in chosen:
            def check(call, entry=entry):
                nonlocal n, ok
                v = verdict(call, checker.run(call, entry.tags))
                n += 1
                ok += v.accepted
                counts.update(features(entry, call))
                return v

            drive(entry, check, examples=a.examples)
        table[family], totals[family], valid[family] = counts, n, ok
    checker.isolated.close()
    names = sorted({f for c in table.values() for f in c}, key=lambda f: (f.split(":")[0], f))
    fams = sorted(table)
    print(f"{'feature (% of checks)':30}" + "".join(f"{f[:10]:>11}" for f in fams))
    print(f"{'checks':30}" + "".join(f"{totals[f]:>11}" for f in fams))
    print(f"{'valid':30}" + "".join(f"{valid[f] / max(totals[f], 1):>11.0%}" for f in fams))
    for name in names:
        print(f"{name:30}" + "".join(f"{table[f][name] / max(totals[f], 1):>11.0%}" for f in fams))
    return 0


if __name__ == "__main__":
    sys.exit(main())
