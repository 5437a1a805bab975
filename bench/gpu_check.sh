#!/usr/bin/env bash
# The prepared GPU check: what crossref does on a CUDA machine, in one run of at most
# about 8 minutes on one GPU, ending in one table of numbers.
#
#   bash bench/gpu_check.sh [OUT_DIR]        (default: $OUT, else /tmp/crossref-gpu-check)
#
# It installs this checkout into the current python3 without dependencies and without
# build isolation (a GPU image has torch, hypothesis, pytest, pytest-xdist, pandas and
# pyarrow already, and may reach no registry), then:
#   1. the test suite's CUDA tests: tests/test_cuda.py (CPU scalars and CPU tensors
#      beside CUDA ones, a non_blocking copy from pinned memory, each attention backend
#      alone, a real device-side assert that the worker survives, the planted bugs on
#      CUDA), and the CUDA cases of test_modes, test_custom_ops, test_plugin, test_gpus;
#   2. a sweep of the ops with CUDA-specific kernels (convolution and cuDNN, attention,
#      normalisation, fused optimizers, foreach, copies, matmuls) at the ci profile in
#      every mode, on cpu and cuda, by -n auto with two workers per GPU: the summary's
#      gpus_by_worker shows each worker pinned to a GPU of CUDA_VISIBLE_DEVICES;
# and prints the table (also written to OUT_DIR/table.md). Logs and the sweep's report
# are under OUT_DIR.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-/tmp/crossref-gpu-check}}
mkdir -p "$OUT_DIR"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
start=$(date +%s)

$PY -m pip install -q --no-deps --no-build-isolation -e . >"$OUT_DIR/install.log" 2>&1 \
  || $PY -m pip install -q --no-deps --no-build-isolation . >>"$OUT_DIR/install.log" 2>&1 \
  || { echo "gpu_check: crossref did not install (see $OUT_DIR/install.log)"; tail -5 "$OUT_DIR/install.log"; exit 2; }
$PY - <<'PY' | tee "$OUT_DIR/machine.txt"
import torch
print("torch", torch.__version__, "; CUDA", torch.version.cuda, "; GPUs", torch.cuda.device_count(),
      ";", ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())) or "none")
PY
# CROSSREF_GPU_CHECK_DEVICES=cpu runs the same steps without a GPU (a dry run of the script itself).
DEVICES=${CROSSREF_GPU_CHECK_DEVICES:-cpu,cuda}
if [[ $DEVICES == *cuda* ]]; then
  $PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)" \
    || { echo "gpu_check: no CUDA device: nothing to check here"; exit 3; }
fi

# 1. The CUDA tests.
t0=$(date +%s)
timeout 300 $PY -m pytest tests/test_cuda.py tests/test_modes.py tests/test_custom_ops.py tests/test_plugin.py \
  tests/test_gpus.py -k "cuda or gpu or sticky" -q -p no:randomly -p no:cacheprovider \
  --junitxml="$OUT_DIR/cuda_tests.xml" >"$OUT_DIR/cuda_tests.log" 2>&1
tests_rc=$?
tests_s=$(( $(date +%s) - t0 ))
tail -3 "$OUT_DIR/cuda_tests.log"

# 2. The CUDA sweep, two workers per GPU.
OPS="aten.convolution.default,aten._convolution.default,aten.convolution_backward.default,aten.cudnn_*"
OPS+=",aten.scaled_dot_product_attention.default,aten._scaled_dot_product_flash_attention.default"
OPS+=",aten._scaled_dot_product_efficient_attention.default,aten._scaled_dot_product_cudnn_attention.default"
OPS+=",aten._scaled_dot_product_attention_math.default"
OPS+=",aten.native_layer_norm.default,aten.native_batch_norm.default,aten.native_group_norm.default"
OPS+=",aten._native_batch_norm_legit.default,aten._fused_adam_.default,aten._fused_adamw_.default,aten._fused_sgd_.default"
OPS+=",aten._foreach_add.List,aten._foreach_mul.Scalar,aten._foreach_addcmul_.Scalar,aten._foreach_norm.Scalar"
OPS+=",aten._to_copy.default,aten.copy_.default,aten.index_put.default,aten.index.Tensor,aten.mm.default"
OPS+=",aten.bmm.default,aten.addmm.default,aten._softmax.default,aten.embedding_dense_backward.default"
OPS+=",aten.max_pool2d_with_indices.default,aten.upsample_bilinear2d.default,aten.nll_loss_forward.default"
t0=$(date +%s)
timeout 300 $PY -m pytest suites -n auto --crossref-workers-per-gpu 2 -q -p no:randomly -p no:cacheprovider \
  --hypothesis-profile ci --crossref-devices="$DEVICES" --crossref-ops="$OPS" \
  --crossref-report-dir="$OUT_DIR/sweep" >"$OUT_DIR/sweep.log" 2>&1
sweep_rc=$?
sweep_s=$(( $(date +%s) - t0 ))
tail -2 "$OUT_DIR/sweep.log"

$PY - "$OUT_DIR" "$tests_rc" "$tests_s" "$sweep_rc" "$sweep_s" "$(( $(date +%s) - start ))" <<'PY' | tee "$OUT_DIR/table.md"
import json, sys
import xml.etree.ElementTree as ET
from pathlib import Path

out, tests_rc, tests_s, sweep_rc, sweep_s, total_s = sys.argv[1:]
rows = [("machine", Path(out, "machine.txt").read_text().strip())]
try:
    suites = ET.parse(Path(out, "cuda_tests.xml")).getroot()
    suite = suites if suites.tag == "testsuite" else suites[0]
    n, fail, err, skip = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    rows.append(("CUDA tests", f"{n - fail - err - skip} passed, {fail + err} failed, {skip} skipped "
                               f"in {tests_s} s (exit {tests_rc})"))
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None or c.find("error") is not None]
    if failed:
        rows.append(("CUDA tests failed", ", ".join(failed)))
except (OSError, ET.ParseError, IndexError) as exc:
    rows.append(("CUDA tests", f"no result ({exc}); exit {tests_rc}"))
summary = Path(out, "sweep", "summary.json")
if summary.is_file():
    import pandas as pd

    s = json.loads(summary.read_text())
    rows.append(("sweep", f"{s['ops_checked']} ops, {s['checks']} checks, {s['findings']} findings "
                          f"({s['findings_new']} new) in {sweep_s} s (exit {sweep_rc})"))
    rows.append(("workers -> GPU", json.dumps(s.get("gpus_by_worker", {}))))
    rows.append(("checks by mode", ", ".join(f"{m} {v['checks']}" for m, v in s.get("modes", {}).items())))
    f = pd.read_parquet(Path(out, "sweep", "findings.parquet"))
    if len(f):
        cuda = f[f["device"].str.startswith("cuda")]
        cpu_keys = set(map(tuple, f[f["device"] == "cpu"][["op", "category", "field", "mode"]].values))
        cuda_only = [tuple(k) not in cpu_keys for k in cuda[["op", "category", "field", "mode"]].values]
        only = cuda.loc[pd.Series(cuda_only, index=cuda.index, dtype=bool)]
        rows.append(("findings by category (cuda)", json.dumps(cuda["category"].value_counts().to_dict())))
        rows.append(("findings by category (cpu)", json.dumps(f[f["device"] == "cpu"]["category"].value_counts().to_dict())))
        rows.append(("CUDA-only findings", f"{len(only)} on {only['op'].nunique()} ops"))
        for _, r in only.sort_values(["op", "category"]).head(25).iterrows():
            rows.append(("  cuda only", f"{r['op']} {r['mode']} {r['category']} {r['field']}: {str(r['example'])[:90]}"))
    r = pd.read_parquet(Path(out, "sweep", "results.parquet"), columns=["device", "status", "variant", "valid"])
    rows.append(("results by device", json.dumps(r.groupby("device")["status"].value_counts().unstack(fill_value=0)
                                                   .to_dict(orient="index"))))
    kinds = r[r["device"].str.startswith("cuda")]["variant"].fillna("").str.split(":").str[0]
    cuda_kinds = kinds[kinds.isin(["cpu", "cpu-0-d", "pinned", "sdpa", "tf32"])]
    rows.append(("CUDA variants checked", json.dumps(cuda_kinds.value_counts().to_dict())))
else:
    rows.append(("sweep", f"no summary (exit {sweep_rc}); see sweep.log"))
rows.append(("total", f"{total_s} s"))
print("| what | numbers |\n|---|---|")
for k, v in rows:
    print(f"| {k} | {v} |")
PY
