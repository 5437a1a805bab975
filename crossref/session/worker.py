"""What one process needs to run test items (or watch a project's tests): the
``WorkerSession`` (a checker writing to the process's own part, the corpus to seed
items with, the watcher), and the progress line of long runs."""

from __future__ import annotations

import time
from pathlib import Path

from ..check import catalog
from ..check.checker import Checker
from ..search.item import ItemResult, ItemSearch
from ..watcher import WatchSession, read_corpus
from .baseline import load as load_baseline
from .failure import mismatch_error
from .options import Options
from .record import Recorder, display_path


class WorkerSession:
    """What one process needs to run test items: a checker writing to its own part.

    Each op item is an ``ItemSearch`` (search.py): ``search(entry, item)`` starts one,
    the suite hands it every call it draws, and ``finish(search)`` shrinks the new
    signatures and raises a CrossrefMismatch naming all of them (known ones pass).
    ``examples`` is the number of calls an item draws, ``seed`` the run's seed, and
    ``shrink_seconds`` each item's shrink budget.
    """

    def __init__(self, run_dir: Path, worker: str, options: Options, shrink_seconds: float = 20.0,
                 examples: int = 25, seed: int = 0, settings=None) -> None:
        self.recorder = Recorder(run_dir, worker)
        self.checker = Checker(devices=options.devices, all_strides=options.all_strides, recorder=self.recorder,
                               checks=options.checks, timeout=options.timeout, modes=options.modes)
        if options.isolate:
            from .isolate import Isolated, IsolationOptions

            self.checker.isolated = Isolated(
                {"devices": options.devices, "all_strides": options.all_strides, "checks": options.checks},
                IsolationOptions(timeout=options.timeout))
        self.shrink_seconds = shrink_seconds
        self.examples = examples
        self.settings = settings  # the Hypothesis settings of the run's profile (the stateful test runs under them)
        self.seed = seed
        self.baseline = frozenset(load_baseline(options.baseline)) if options.baseline and options.baseline.exists() \
            else frozenset()
        #: corpus calls by op, checked first by each item (--crossref-corpus)
        self.corpus = read_corpus(list(options.corpus)) if options.corpus else {}
        #: the watcher of a project's own tests (--crossref-watch)
        self.watcher = WatchSession(run_dir, checker=self.checker, recorder=self.recorder, ops=options.ops) \
            if options.watch else None

    def search(self, entry: catalog.OpEntry, item: str) -> ItemSearch:
        return ItemSearch(self.checker, entry, item, known=self.baseline, shrink_seconds=self.shrink_seconds)

    def finish(self, search: ItemSearch) -> ItemResult:
        """Shrink the item's new findings; raise a CrossrefMismatch naming them all."""
        result = search.finish()
        if result.new:
            raise mismatch_error(result)
        return result

    stateful_item: str = ""

    def record_step(self, pool, findings) -> None:
        """Record one step of the stateful cache test as a check (results and findings)."""
        from ..check.checker import DeviceCheck
        from ..check.classify import status

        reference, cached, real = pool.last
        call = pool.steps[-1]
        check = DeviceCheck(pool.device, status(real, cached, findings), real, cached, findings, fresh=reference)
        self.checker.record(call, check, self.stateful_item, "stateful", 0.0, examples=False)

    def store_sequence(self, pool, finding) -> str:
        """Write the sequence repro of a stateful finding; return its path."""
        rec = self.recorder
        path = rec.repro_path(finding.signature)
        path.write_text(pool.render(finding))
        rec.write("example", {"signature": finding.signature, "example": " ; ".join(c.describe() for c in pool.steps),
                              "size": sum(c.size_key() for c in pool.steps), "shrunk": True,
                              "repro": f"repros/{finding.signature}.py"})
        return display_path(path)

    def close(self) -> dict[str, int]:
        if self.watcher is not None:
            self.watcher.finish()
        if self.checker.isolated is not None:
            self.checker.isolated.close()
        self.recorder.close()
        return dict(self.recorder.rows)


class Progress:
    """Counts finished test items; prints at most one line a minute."""

    def __init__(self, config, every: float = 60.0) -> None:  # config: pytest's (duck-typed)
        self.config, self.every = config, every
        self.done = self.failed = 0
        self.last = time.time()

    def update(self, report) -> None:
        self.done += 1
        self.failed += report.failed
        now = time.time()
        if now - self.last >= self.every:
            self.last = now
            tr = self.config.pluginmanager.get_plugin("terminalreporter")
            total = getattr(tr, "_numcollected", 0) if tr else 0
            if tr is not None:
                tr.write_line(f"crossref progress: {self.done}/{total} items done, {self.failed} with new findings")
