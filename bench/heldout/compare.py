"""crossref and torch.library.opcheck on the held-out custom ops, side by side.

    .venv/bin/python bench/heldout/compare.py           # check_op (API) and opcheck
    .venv/bin/python bench/heldout/compare.py --sweep   # also `crossref sweep -n 2 --hypothesis-profile=ci`

For each of the 10 ops whose fake kernel is wrong under one condition (and its correct
twin): opcheck on the 2-3 samples an author typically writes (contiguous float32
tensors, default flags), opcheck on the op's triggering input (what it would take to
catch it), and crossref given nothing but the op, at the ci budget (25 examples). A
cell says what was reported: a category, "-" for nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import heldout_ops as H  # noqa: E402

import crossref  # noqa: E402

T = torch.randn
#: What an author writes: ordinary tensors, default flags.
TYPICAL = {
    "row_norm": [((T(3, 4),), {}), ((T(2, 3, 4),), {}), ((T(3, 4), 1), {})],
    "scaled_copy": [((T(3, 4),), {}), ((T(3, 4), 0.5), {})],
    "quantize_sym": [((T(3, 4),), {}), ((T(3, 4), 0.1), {})],
    "matvec": [((T(3, 4), T(4)), {}), ((T(5, 2), T(2)), {})],
    "reverse_last": [((T(3, 4),), {}), ((T(2, 3, 4),), {})],
    "pad_last": [((T(3, 5), 4), {}), ((T(2, 3), 2), {})],
    "badd": [((T(3, 4), T(3, 4)), {}), ((T(3, 4), T(4)), {})],
    "cat_rows": [(([T(2, 3), T(2, 3)],), {}), (([T(3, 4), T(3, 4), T(3, 4)],), {})],
    "masked_sum": [((T(3, 4),), {}), ((T(3, 4), (T(3, 4) > 0).float()), {})],
    "cumsum_into": [((T(3, 4), torch.empty(3, 4)), {}), ((T(2, 5), torch.empty(2, 5)), {})],
}
#: The input that meets each op's condition.
TRIGGER = {
    "row_norm": [((T(3, 4), -1, True), {})],
    "scaled_copy": [((T(4, 3).t(),), {})],
    "quantize_sym": [((T(3, 4), 0.1, True), {})],
    "matvec": [((T(3, 4), T(5)), {})],
    "reverse_last": [((T(3, 0),), {})],
    "pad_last": [((T(3, 4), 4), {})],
    "badd": [((T(3, 1), T(4)), {})],
    "cat_rows": [(([T(2, 3), T(1, 3)],), {})],
    "masked_sum": [((torch.ones(3, 4, dtype=torch.int32),), {})],
    "cumsum_into": [((T(3, 4), torch.empty(0)), {})],
}


def opcheck(name: str, samples) -> str:
    op = getattr(torch.ops.heldout, name).default
    failed = set()
    for args, kwargs in samples:
        try:
            result = torch.library.opcheck(op, args, kwargs, raise_exception=False)
        except Exception as exc:  # noqa: BLE001
            failed.add(f"raised {type(exc).__name__}")
            continue
        failed |= {test for test, outcome in result.items() if outcome != "SUCCESS"}
    return ",".join(sorted(failed)) or "-"


def sweep() -> dict[str, set[str]]:
    """``crossref sweep`` over the namespace from a temporary directory: failing categories by op."""
    import pandas as pd

    with tempfile.TemporaryDirectory() as where:
        subprocess.run([sys.executable, "-m", "crossref", "sweep", "-n", "2", "--hypothesis-profile=ci", "-q",
                        f"--crossref-import={HERE / 'heldout_ops.py'}", "--crossref-ops=heldout.*"],
                       cwd=where, capture_output=True, check=False)
        found = pd.read_parquet(Path(where) / "reports" / "latest" / "findings.parquet")
    found = found[(found["category"] != "unsupported") & (found["known"].isna() | (found["known"] == ""))]
    return {op: set(rows["category"]) for op, rows in found.groupby("op")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", action="store_true", help="also run crossref sweep -n 2 --hypothesis-profile=ci")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    swept = sweep() if args.sweep else None
    rows = []
    for name in TYPICAL:
        for suffix in ("", "_ok"):
            op = f"heldout.{name}{suffix}.default"
            want = H.EXPECTED.get(op, "(twin)")
            api = sorted({f.category for f in crossref.check_op(op, examples=25)})
            row = {"op": op, "expected": want, "opcheck typical": opcheck(name + suffix, TYPICAL[name]),
                   "opcheck trigger": opcheck(name + suffix, TRIGGER[name]), "crossref check_op": ",".join(api) or "-"}
            if swept is not None:
                row["crossref sweep"] = ",".join(sorted(swept.get(op, ()))) or "-"
            rows.append(row)
    cols = list(rows[0])
    width = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    print("  ".join(c.ljust(width[c]) for c in cols))
    for r in rows:
        print("  ".join(r[c].ljust(width[c]) for c in cols))
    wrong = [r for r in rows if r["expected"] != "(twin)"]
    twins = [r for r in rows if r["expected"] == "(twin)"]
    for col in cols[2:]:
        if col.startswith("opcheck"):
            caught = sum(r[col] != "-" for r in wrong)
        else:
            caught = sum(r["expected"] in r[col].split(",") for r in wrong)
        false = sum(r[col] != "-" for r in twins)
        print(f"{col}: {caught}/{len(wrong)} wrong ops caught"
              + ("" if col.startswith("opcheck") else " with their category") + f"; {false}/{len(twins)} twins flagged")
    print(json.dumps({"torch": torch.__version__}))


if __name__ == "__main__":
    main()
