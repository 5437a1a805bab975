"""Real models under the watcher and the compile backend, against PyTorch's CrossRefFakeMode.

For each model of bench/workload_ops.py (torchvision, timm and transformers, built from
configs with random weights, nothing downloaded), a forward and backward pass in
float32, channels_last (vision models) and bfloat16 autocast runs:

- bare, for the time it takes;
- under ``crossref.watch`` (every distinct call checked in static and symbolic mode,
  each new finding shrunk), all models in one run, so a call two models make is
  checked once, as a model zoo's test suite would be;
- under torch's ``CrossRefFakeMode`` as it is (it raises at the first mismatch: what a
  user of it sees), and under the same checks continuing past each mismatch (its own
  comparison helpers, every flagged op recorded): the anchor crossref must agree with;
- float32 only: ``torch.compile(model, backend="crossref")``, the graphs AOTAutograd
  produces after inductor's decompositions, run op by op under the watcher.

Needs torchvision, timm and transformers beside crossref (not its dependencies):

    python bench/watch_models.py [--out DIR] [--models resnet18,bert,...]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings
from pathlib import Path

import torch
from torch.utils import _pytree as pytree

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workload_ops  # noqa: E402  (the models and how to run them)

import crossref  # noqa: E402


class ContinuingCrossRef(torch.utils._python_dispatch.TorchDispatchMode):
    """torch's CrossRefFakeMode, its checks and op filter unchanged, recording each
    mismatch (op, what) instead of raising at the first."""

    def __init__(self) -> None:
        super().__init__()
        self.flagged: dict[str, str] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        from torch._subclasses import fake_utils
        from torch._subclasses.fake_tensor import FakeTensorMode, UnsupportedFakeTensorException
        from torch.fx.experimental.symbolic_shapes import ShapeEnv

        kwargs = kwargs or {}
        aten = torch.ops.aten
        checked = (func not in (aten.lift_fresh.default, aten.lift_fresh_copy.default,
                                aten.set_.source_Storage_storage_offset)
                   and torch._subclasses.fake_impls.has_meta(func)
                   and not {torch.Tag.dynamic_output_shape, torch.Tag.inplace_view,
                            torch.Tag.data_dependent_output} & set(func.tags))
        fake_r, fake_args, fake_kwargs = None, (), {}
        if checked:
            try:
                with FakeTensorMode(shape_env=ShapeEnv()) as mode, warnings.catch_warnings():
                    fake_args, fake_kwargs = pytree.tree_map_only(
                        torch.Tensor, lambda t: mode.from_tensor(t, static_shapes=True), (args, kwargs))
                    fake_r = func(*fake_args, **fake_kwargs)
            except UnsupportedFakeTensorException:
                pass
            except Exception as exc:  # noqa: BLE001 - the stock mode lets this escape: the program stops
                self.flagged.setdefault(str(func), f"fake raised {type(exc).__name__}")
        r = func(*args, **kwargs)
        if fake_r is not None:
            context = f"{func}"
            try:
                fake_utils._check_alias_info(context, r, (args, kwargs), fake_r, (fake_args, fake_kwargs))
                for real_out, fake_out in zip(pytree.tree_leaves(r), pytree.tree_leaves(fake_r)):
                    if isinstance(real_out, torch.Tensor) and isinstance(fake_out, torch.Tensor):
                        fake_utils._check_fake_real_tensors(real_out, fake_out, sizes=True, strides=True,
                                                            storage_offset=True, requires_grad=True)
            except Exception as exc:  # noqa: BLE001
                self.flagged.setdefault(str(func), " ".join(str(exc).split())[:100])
        return r


def jobs(names: set[str] | None):
    out = []
    for name, build, shape in workload_ops.vision_models():
        for how in ("float32", "channels_last", "autocast"):
            out.append((name, how, lambda b=build, s=shape, h=how, rec=None: workload_ops.run_vision(b, s, h, rec)))
    for name, build, make in workload_ops.text_models():
        for how in ("float32", "autocast"):
            out.append((name, how, lambda b=build, m=make, h=how, rec=None: workload_ops.run_text(b, m, h, rec)))
    return [j for j in out if names is None or j[0].split(".", 1)[1] in names]


def run(job, mode) -> float:
    """Seconds of one forward and backward pass under ``mode`` (a context manager)."""
    name, how, step = job
    torch.manual_seed(0)
    start = time.perf_counter()
    step(rec=mode)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="reports/watch-models", help="where the runs are written")
    parser.add_argument("--models", default=None, help="model names to run (default: all)")
    parser.add_argument("--no-compile", action="store_true", help="leave out the compile backend")
    parser.add_argument("--compile-only", action="store_true", help="only the compile backend")
    a = parser.parse_args()
    out = Path(a.out)
    todo = jobs(set(a.models.split(",")) if a.models else None)
    rows = []
    stock_first: dict[str, str] = {}
    continuing_all: dict[str, str] = {}
    if not a.compile_only:
        eager_part(todo, out, rows, stock_first, continuing_all)
    if not a.no_compile:
        compile_part(todo, out)
    return 0


def eager_part(todo, out: Path, rows: list, stock_first: dict, continuing_all: dict) -> None:
    """Every job bare, watched, under CrossRefFakeMode (stock and continuing); the table."""
    with crossref.watch(out / "eager", eager=False, program="models") as session:
        for job in todo:
            name, how, _ = job
            bare = run(job, contextlib.nullcontext())
            watched = run(job, session.watching(f"{name}/{how}"))
            stock = torch._subclasses.fake_utils.CrossRefFakeMode()
            try:
                run(job, stock)
                first = ""
            except Exception as exc:  # noqa: BLE001 - what a user of the stock mode gets
                first = " ".join(str(exc).split())[:110]
            cont = ContinuingCrossRef()
            crossref_mode = run(job, cont)
            stock_first[f"{name}/{how}"] = first
            for op, what in cont.flagged.items():
                continuing_all.setdefault(op, what)
            rows.append((name, how, bare, watched, crossref_mode, len(cont.flagged), first))
            print(f"{name:34} {how:14} bare {bare:6.2f} s  watched {watched:7.2f} s  CrossRefFakeMode "
                  f"{crossref_mode:6.2f} s, {len(cont.flagged)} ops flagged; stock stops at: {first or '-'}",
                  flush=True)
    s = session.summary
    import pandas as pd

    found = pd.read_parquet(out / "eager" / "findings.parquet")
    live = found[found["category"] != "unsupported"]
    print(f"\nwatcher: {s['distinct_calls']} distinct calls of {s['calls_seen']} ({s['ops_checked']} ops), "
          f"{len(live)} findings on {live['op'].nunique()} ops: {sorted(live['op'].unique())}")
    print(f"  by category: {live['category'].value_counts().to_dict()}")
    print(f"CrossRefFakeMode (continuing): {len(continuing_all)} ops flagged: {sorted(continuing_all)}")
    missed = sorted(set(continuing_all) - set(live["op"]))
    print(f"  flagged by CrossRefFakeMode, not by the watcher: {missed}")
    for op in missed:
        print(f"    {op}: {continuing_all[op]}")
    print(f"  found by the watcher only: {sorted(set(live['op']) - set(continuing_all))}")
    stopped = sum(1 for v in stock_first.values() if v)
    print(f"stock CrossRefFakeMode stopped {stopped} of {len(stock_first)} runs at their first mismatch")
    bare_total = sum(r[2] for r in rows)
    print(f"time: bare {bare_total:.1f} s, watched {sum(r[3] for r in rows):.1f} s, "
          f"CrossRefFakeMode {sum(r[4] for r in rows):.1f} s (watch cost includes each new finding's shrinking)")


def compile_part(todo, out: Path) -> None:
    """The float32 jobs through torch.compile(backend="crossref"), in one watched run."""
    import pandas as pd

    with crossref.watch(out / "compiled", eager=False) as compiled:
        for job in [j for j in todo if j[1] == "float32"]:
            name, how, _ = job
            torch._dynamo.reset()
            start = time.perf_counter()
            try:
                _compiled_step(name)
            except Exception as exc:  # noqa: BLE001
                print(f"  {name}: compile failed: {type(exc).__name__}: {str(exc)[:100]}")
            print(f"{name:34} compiled with backend='crossref': {time.perf_counter() - start:6.1f} s", flush=True)
    cf = pd.read_parquet(out / "compiled" / "findings.parquet")
    cf = cf[cf["category"] != "unsupported"]
    c = compiled.summary
    print(f"backend: {c['distinct_calls']} distinct calls ({c['ops_checked']} ops), {len(cf)} findings on "
          f"{cf['op'].nunique()} ops: {sorted(cf['op'].unique())}")


def _compiled_step(name: str) -> None:
    """One float32 forward and backward of ``name`` through torch.compile(backend="crossref")."""
    torch.manual_seed(0)
    for model_name, build, extra in workload_ops.vision_models():
        if model_name == name:
            model = torch.compile(build().train(), backend="crossref")
            out = model(torch.randn(extra))
            (out.logits if hasattr(out, "logits") else out).float().sum().backward()
            return
    for model_name, build, make in workload_ops.text_models():
        if model_name == name:
            model = torch.compile(build().train(), backend="crossref")
            model(**make()).loss.backward()
            return


if __name__ == "__main__":
    sys.exit(main())
