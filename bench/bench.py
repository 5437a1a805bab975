#!/usr/bin/env python
"""How fast is crossref, and how much of its time is its own?

Runs the harness's exploration of a test item (generation of calls and their variants,
real run, fake run, compare, classify, record) over a fixed set of ops, keeps every
call it checked, then replays exactly those calls bare: materialize, call the op for
real, convert to fakes and call it under a fresh FakeTensorMode, with nothing around
them. Prints checks per second and the efficiency ratio (harness wall time / bare wall
time) from that one run. Shrinking is not timed here (bench/depth.py and a sweep's
summary report it).

    python bench/bench.py                 # default op set, 40 examples each
    python bench/bench.py --examples 100 --ops 'aten.add.Tensor,aten.mm.default'
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crossref import _torch  # noqa: E402
from crossref.check import catalog  # noqa: E402
from crossref.check.checker import Checker  # noqa: E402
from crossref.session.isolate import Isolated, IsolationOptions  # noqa: E402
from crossref.check.opcall import materialize  # noqa: E402
from crossref.session.record import Recorder  # noqa: E402
from crossref.search.item import ItemSearch  # noqa: E402
from crossref.strategies.drive import drive  # noqa: E402

DEFAULT_OPS = (
    "aten.add.Tensor", "aten.mul.Tensor", "aten.div.Tensor_mode", "aten.where.self", "aten.abs.default",
    "aten.sum.dim_IntList", "aten.mean.dim", "aten.amax.default", "aten.view.default", "aten.transpose.int",
    "aten.permute.default", "aten.expand.default", "aten.slice.Tensor", "aten.cat.default", "aten.mm.default",
    "aten.bmm.default", "aten.addmm.default", "aten.index_select.default", "aten.gather.default",
    "aten.clone.default", "aten.add_.Tensor", "aten.add.out", "aten.sort.default", "aten.cumsum.default",
    "aten.empty_like.default", "aten.native_layer_norm.default", "aten.convolution.default",
    "aten.max_pool2d_with_indices.default", "aten.topk.default", "aten.unsqueeze.default",
)


def _sweep(entry, checker: Checker, calls: list, examples: int) -> None:
    """One item's exploration, as the suite runs it (drawn calls and their variants)."""
    search = ItemSearch(checker, entry, f"bench::{entry.name}")

    def check(call):
        calls.append(call)
        return search.check(call)

    drive(entry, check, examples=examples)


def bare(calls) -> float:
    """Wall time of the same calls with no harness: build inputs, real call, fake call."""
    start = time.perf_counter()
    for call in calls:
        op = call.overload
        args, kwargs, _ = materialize(call, "cpu")
        try:
            op(*args, **kwargs)
        except Exception:  # noqa: BLE001
            pass
        args, kwargs, inputs = materialize(call, "cpu")
        _torch.clear_fake_cache()
        mode = _torch.new_fake_mode()
        with _torch.quiet_fake_logging():
            try:
                fakes = {id(t): mode.from_tensor(t) for t in inputs}
                swap = lambda v: fakes[id(v)] if id(v) in fakes else (  # noqa: E731
                    [swap(x) for x in v] if isinstance(v, list) else tuple(swap(x) for x in v) if isinstance(v, tuple) else v)
                with mode:
                    op(*swap(args), **{k: swap(v) for k, v in kwargs.items()})
            except Exception:  # noqa: BLE001
                pass
    return time.perf_counter() - start


def harness(entries, examples: int, **checker_kwargs) -> tuple[float, list]:
    """Wall time of the harness (generation, checks, recording) over ``entries``."""
    calls: list = []
    with tempfile.TemporaryDirectory() as tmp:
        checker = Checker(recorder=Recorder(tmp, "bench"), **checker_kwargs)
        start = time.perf_counter()
        for e in entries:
            _sweep(e, checker, calls, examples)
        seconds = time.perf_counter() - start
        checker.recorder.close()
        if checker.isolated is not None:
            checker.isolated.close()
    return seconds, calls


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ops", default=",".join(DEFAULT_OPS), help="comma-separated globs (default: 30 common ops)")
    p.add_argument("--examples", type=int, default=40, help="Hypothesis examples per op (default 40)")
    a = p.parse_args()
    entries = [e for e in catalog.select(a.ops.split(",")) if not e.skip]
    # Warm up imports and kernels so no configuration pays first-call costs.
    Checker().run(_warm_call(), frozenset())
    forward, calls = harness(entries, a.examples, checks=("forward",))
    default, _ = harness(entries, a.examples)
    isolated_kwargs = {"devices": ("cpu",), "checks": ("forward", "cache")}
    isolated, _ = harness(entries, a.examples, isolated=Isolated(isolated_kwargs, IsolationOptions()))
    bare_s = bare(calls)
    n = len(calls)
    print(f"ops: {len(entries)}  checks: {n} (same calls in every configuration: derandomized)")
    print(f"{'configuration':44} {'wall s':>8} {'checks/s':>9} {'ratio to bare':>14}")
    for label, sec in (("bare: real + fake, no harness", bare_s),
                       ("harness, forward check only", forward),
                       ("harness, forward + cache (default)", default),
                       ("harness, forward + cache, crash-isolated", isolated)):
        print(f"{label:44} {sec:8.2f} {n / sec:9.1f} {sec / bare_s:14.2f}")
    print(f"efficiency ratio (harness forward / bare): {forward / bare_s:.2f}; "
          f"harness overhead per check: {(forward - bare_s) / n * 1000:.2f} ms")
    print(f"cache checks cost: +{(default - forward) / forward:.0%} over the forward check; "
          f"crash isolation: +{(isolated - default) / default:.0%}")
    return 0


def _warm_call():
    from crossref.check.opcall import CallBuilder, StorageSpec, TensorSpec
    import torch

    b = CallBuilder()
    i = b.add_storage(StorageSpec(torch.float32, 4))
    return b.build("aten.add.Tensor", [TensorSpec(i, (4,), (1,)), TensorSpec(i, (4,), (1,))], {})


if __name__ == "__main__":
    sys.exit(main())
