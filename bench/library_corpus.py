"""Custom-op libraries swept with and without a corpus of the calls their own code makes.

bitsandbytes and torchao register custom ops (``bitsandbytes::*``, ``torchao::*``) with
fake kernels. This script

1. runs each library's ops the way its own code calls them (bitsandbytes' functional
   quantize/dequantize API and its 8-bit and 4-bit linear layers; torchao's quantize_
   of a small model and its affine quantization primitives), on CPU, under
   ``crossref.watch`` with only the libraries' ops checked: the run's ``corpus.jsonl``;
2. sweeps the libraries' ops at the ci budget (``crossref sweep``, static mode, two
   workers) without the corpus, and again with ``--crossref-corpus``;
3. prints the findings of each, by category and op, and which findings a corpus call
   (or a variant of one) showed.

Needs bitsandbytes and torchao beside crossref (not its dependencies):

    python bench/library_corpus.py [--out DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import traceback
from pathlib import Path

import torch

import crossref

OPS = "bitsandbytes.*,torchao.*"


def bitsandbytes_calls() -> list[str]:
    """The library's own ways of calling its ops (what worked, by name)."""
    import bitsandbytes as bnb
    import bitsandbytes.functional as F

    done = []
    torch.manual_seed(0)
    steps = {
        "quantize_blockwise": lambda: F.dequantize_blockwise(*F.quantize_blockwise(torch.randn(4096), blocksize=256)),
        "quantize_blockwise 2-d": lambda: F.dequantize_blockwise(*F.quantize_blockwise(torch.randn(64, 64))),
        "quantize_4bit nf4": lambda: F.dequantize_4bit(*F.quantize_4bit(torch.randn(64, 64), quant_type="nf4")),
        "quantize_4bit fp4": lambda: F.dequantize_4bit(*F.quantize_4bit(torch.randn(128, 32), quant_type="fp4",
                                                                         blocksize=64)),
        "int8_vectorwise_quant": lambda: F.int8_vectorwise_quant(torch.randn(16, 64, dtype=torch.float16)),
        "Linear8bitLt": lambda: bnb.nn.Linear8bitLt(64, 32, has_fp16_weights=False)(torch.randn(8, 64)),
        "Linear4bit": lambda: bnb.nn.Linear4bit(64, 32, compute_dtype=torch.float32)(torch.randn(8, 64)),
    }
    for name, step in steps.items():
        try:
            step()
            done.append(name)
        except Exception as exc:  # noqa: BLE001 - a path this build lacks on CPU
            print(f"  bitsandbytes {name}: {type(exc).__name__}: {str(exc)[:100]}", file=sys.stderr)
    return done


def torchao_calls() -> list[str]:
    import torchao.quantization as q
    from torchao.quantization import quant_primitives as p

    done = []
    torch.manual_seed(0)

    def primitives():
        x = torch.randn(32, 64)
        block = (1, 32)
        scale, zero = p.choose_qparams_affine(x, p.MappingType.ASYMMETRIC, block, torch.int8)
        quantized = p.quantize_affine(x, block, scale, zero, torch.int8)
        p.dequantize_affine(quantized, block, scale, zero, torch.int8, output_dtype=torch.float32)

    def quantize(config):
        def step():
            model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16))
            q.quantize_(model, config())
            model(torch.randn(8, 64))
        return step

    steps = {"affine primitives": primitives}
    for config in ("Int8WeightOnlyConfig", "Int8DynamicActivationInt8WeightConfig", "Float8WeightOnlyConfig"):
        if hasattr(q, config):
            steps[f"quantize_({config})"] = quantize(getattr(q, config))
    for name, step in steps.items():
        try:
            step()
            done.append(name)
        except Exception as exc:  # noqa: BLE001
            print(f"  torchao {name}: {type(exc).__name__}: {str(exc)[:100]}", file=sys.stderr)
            traceback.print_exc(limit=1, file=sys.stderr)
    return done


def sweep(out: Path, *extra: str) -> "pd.DataFrame":  # noqa: F821
    import pandas as pd

    done = subprocess.run([sys.executable, "-m", "crossref", "sweep", "-n", "2", "-q", "--hypothesis-profile=ci",
                           "--crossref-import=bitsandbytes,torchao", f"--crossref-ops={OPS}",
                           "--crossref-modes=static", f"--crossref-report-dir={out}", *extra],
                          capture_output=True, text=True, timeout=3600)
    print("  " + (done.stdout.strip().splitlines() or ["?"])[-1])
    return pd.read_parquet(out / "findings.parquet")


def show(label: str, df) -> None:
    live = df[df["category"] != "unsupported"]
    print(f"{label}: {len(live)} findings on {live['op'].nunique()} ops; by category "
          f"{live['category'].value_counts().to_dict()}; met (a corpus call or its variant): {int(live['met'].sum())}")
    for op, grp in live.groupby("op"):
        print(f"    {op}: {', '.join(sorted(set(grp['category'])))}"
              + (f"  [met: {', '.join(sorted(set(grp[grp['met']]['category'])))}]" if grp["met"].any() else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="reports/library-corpus")
    a = parser.parse_args()
    out = Path(a.out).resolve()
    with crossref.watch(out / "watched", ops=OPS, program="bitsandbytes and torchao, as their code calls them") as s:
        print("bitsandbytes:", bitsandbytes_calls())
        print("torchao:", torchao_calls())
    print(f"corpus: {s.summary.get('corpus')}; the watched calls' own findings: {s.summary['findings']}")
    show("without a corpus", sweep(out / "alone"))
    show("with the corpus", sweep(out / "seeded", f"--crossref-corpus={out / 'watched'}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
