#!/usr/bin/env python
"""How deep does the search reach at a budget? Examples until each planted bug is found.

For every planted bug in tests/plants.py (the conditional ones by default), runs the
plant's op the way a test item does (derandomized, as the ci profile) with and without
the plant, and prints the 1-based index of the first drawn example whose checks (the
call and its variants) showed a finding of the planted category that the unplanted
control run does not show. "-" means not found within the budget.

    python bench/depth.py                      # conditional plants, 25 examples (ci)
    python bench/depth.py --examples 200 --plants all
    python bench/depth.py --plants modes --seeds 5   # the mode-only plants, all four modes

A mode plant (symbolic, backward, autocast only) counts when its tested op shows a
finding of the planted category in the planted mode.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import plants  # noqa: E402
from crossref.check.modes import MODES  # noqa: E402
from support import explore  # noqa: E402  (tests/support.py: the suite's drawing, forward check)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=25, help="examples per op (default 25: the ci profile)")
    p.add_argument("--plants", default="conditional", help="conditional (default), all, or comma-separated names")
    p.add_argument("--seeds", type=int, default=1, help="run seeds 0..N-1 and count how often each is found")
    p.add_argument("--no-variants", action="store_true", help="check drawn calls only")
    a = p.parse_args()
    if a.plants == "conditional":
        names = list(plants.CONDITIONAL)
    elif a.plants == "modes":
        names = list(plants.MODE_PLANTS)
    elif a.plants == "all":
        names = list(plants.ALL_PLANTS)
    else:
        names = a.plants.split(",")
    options = {"with_variants": not a.no_variants}
    start = time.perf_counter()
    print(f"{'plant':32} {'op':28} {'category':15} {'found at (per seed)':>20}")
    hits = total = 0
    for name in names:
        plant = plants.ALL_PLANTS[name]
        mode = getattr(plant, "mode", "static")
        op = getattr(plant, "tested", "") or plant.op
        opts = dict(options, modes=MODES) if mode != "static" else options
        want = f"{mode}:{plant.category}" if mode != "static" else plant.category
        ats = []
        for seed in range(a.seeds):
            control = set().union(*explore(op, a.examples, seed, **opts))
            with plants.planted(name):
                seen = explore(op, a.examples, seed, **opts)
            ats.append(next((i + 1 for i, s in enumerate(seen)
                             if any(c == want and (c, sig) not in control for c, sig in s)), None))
        hits += sum(x is not None for x in ats)
        total += len(ats)
        print(f"{name:32} {op:28} {plant.category:15} {' '.join(str(x) if x else '-' for x in ats):>20}",
              flush=True)
    print(f"found {hits}/{total} (plant x seed) within {a.examples} examples ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
