"""Run every check in known_bugs.BUGS and print a table: op | category | reproduces | condition.

    python bench/realbugs/verify.py            # the table
    python bench/realbugs/verify.py --details  # plus the real-vs-fake differences each call shows

A few negative controls (well-behaved calls of the same shapes) run first: the comparison
must find nothing for them, otherwise the "yes" column could not be trusted.
Always exits 0; a check that raises is reported as "error (...)".
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import known_bugs as kb  # noqa: E402

aten = torch.ops.aten

#: (description, overload, make): calls whose fake result matches eager on torch 2.13.
CONTROLS = (
    ("add.Tensor, first operand permuted", aten.add.Tensor, lambda: ((kb._rt(4, 3), kb._r(4, 3)), {})),
    ("mul.Tensor, broadcast (4,1,3) x transposed (4,3)", aten.mul.Tensor, lambda: ((kb._r(4, 1, 3), kb._rt(4, 3)), {})),
    ("mm.default, same dtypes", aten.mm.default, lambda: ((kb._r(2, 3), kb._r(3, 4)), {})),
    ("sum.dim_IntList, dim=[]", aten.sum.dim_IntList, lambda: ((kb._r(2, 3), []), {})),
    ("amax.out, out of the right dtype", aten.amax.out, lambda: ((kb._r(3, 2), [1]), {"out": kb._empty(3)})),
    ("sin.out, out of the right shape", aten.sin.out, lambda: ((kb._rt(4, 3),), {"out": kb._empty(4, 3)})),
    ("index.Tensor, [0-d, 1-D] indices", aten.index.Tensor,
     lambda: ((kb._r(3, 4), [torch.tensor(1), torch.tensor([0, 1])]), {})),
    ("transpose.int (a view)", aten.transpose.int, lambda: ((kb._r(3, 4), 0, 1), {})),
    ("upsample_nearest2d, non-empty input", aten.upsample_nearest2d.default, lambda: ((kb._r(1, 3, 4, 4), [8, 8]), {})),
)


def _run(bug: kb.Bug) -> str:
    try:
        return "yes" if bug.check() else "no"
    except Exception as e:  # noqa: BLE001
        text = str(e).splitlines()[0][:80] if str(e) else ""
        return f"error ({type(e).__name__}: {text})"


def main(argv: list[str]) -> int:
    details = "--details" in argv
    print(f"torch {torch.__version__}, {len(kb.BUGS)} entries, {len(CONTROLS)} negative controls")
    print()
    dirty = []
    for desc, op, make in CONTROLS:
        found = kb.diff(op, make)
        if found:
            dirty.append((desc, found))
    if dirty:
        print("NEGATIVE CONTROLS FAILED (the comparison reports differences for well-behaved calls):")
        for desc, found in dirty:
            print(f"  {desc}: {found}")
    else:
        print("negative controls: clean (no differences reported for well-behaved calls)")
    print()

    rows = [(bug, _run(bug)) for bug in kb.BUGS]
    w_op = max(len(b.op) for b, _ in rows)
    w_cat = max(len(b.category) for b, _ in rows)
    print(f"{'op':<{w_op}} | {'category':<{w_cat}} | reproduces | condition")
    print(f"{'-' * w_op}-|-{'-' * w_cat}-|------------|----------")
    for bug, result in rows:
        print(f"{bug.op:<{w_op}} | {bug.category:<{w_cat}} | {result:<10} | {bug.condition}")
        if details:
            try:
                for d in bug.diffs():
                    print(f"{'':<{w_op}}   {d.category}: {d.field}: real {d.real} | fake {d.fake}")
            except Exception as e:  # noqa: BLE001
                print(f"{'':<{w_op}}   (details failed: {type(e).__name__}: {e})")

    yes = [b for b, r in rows if r == "yes"]
    no = sum(r == "no" for _, r in rows)
    err = len(rows) - len(yes) - no
    by_cat: dict[str, int] = {}
    for b in yes:
        by_cat[b.category] = by_cat.get(b.category, 0) + 1
    print()
    print(f"reproduce: {len(yes)}, do not: {no}, error: {err}")
    print(f"distinct ops reproducing: {len({b.op for b in yes})}; "
          f"distinct (op, category): {len({(b.op, b.category) for b in yes})}")
    print("by category: " + ", ".join(f"{c} {n}" for c, n in sorted(by_cat.items())))
    print(f"sourced from public reports / PyTorch test lists: {sum(not b.from_probe for b in yes)}; "
          f"found by this survey's probes (source 'probe:'): {sum(b.from_probe for b in yes)}")
    return 0


if __name__ == "__main__":
    t0 = time.time()
    rc = main(sys.argv[1:])
    print(f"({time.time() - t0:.1f} s)")
    sys.exit(rc)
