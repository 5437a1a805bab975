"""The controller part of crossref's pytest plugin (plugin.py registers it): the process
that owns the run. Without xdist that is the only process; with it, the xdist
controller, which runs no item itself.

It picks the run directory and the seed and hands both to the xdist workers, collects
each worker's row counts when the worker goes down, notes workers that died and the
item each was running, prints a progress line on long runs, and at session end merges
the workers' parts into the report (crossref/reporting/report.py) and prints the summary line.
The stateful writer exists only here, in this object, as junitxml keeps its own.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from crossref.session import baseline as baselines
from crossref.check import catalog
from crossref.reporting import report
from crossref.session.options import Options, run_seed
from crossref.session.worker import Progress
from crossref.session.record import finish_run_dir, run_dir_for
from crossref.strategies.calls import skip_reason


class Controller:
    def __init__(self, config, options: Options, *, profile: str, profile_settings, imports=()) -> None:
        self.config = config
        self.imports = tuple(imports)  # --crossref-import, as imported
        self.options = options
        self.profile = profile
        self.settings = profile_settings
        self.root = Path(config.invocation_params.dir)  # reports/ is made here, where pytest runs
        self.run_dir = run_dir_for(options.report_dir, self.root)
        self.seed = run_seed(config.getoption("hypothesis_seed", None), profile_settings.derandomize)
        self.start = time.time()
        self.rows: dict[str, int] = {}  # worker id -> result rows it wrote
        self.lost: list[dict] = []  # xdist workers that died mid-run
        self.gpus: dict[str, str] = {}  # worker id -> the runner's GPU it was pinned to (its cuda:0)
        self.summary: dict | None = None
        self.progress = None
        if config.option.verbose >= 0 and not os.environ.get("CI") and sys.stdout.isatty():
            self.progress = Progress(config)

    # -- xdist: tell each worker where to write and the seed; hear back from it
    @pytest.hookimpl(optionalhook=True)  # xdist's hooks: pytest without xdist must not choke on them
    def pytest_configure_node(self, node) -> None:
        node.workerinput["crossref_run_dir"] = str(self.run_dir)
        node.workerinput["crossref_seed"] = self.seed

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        rows = getattr(node, "workeroutput", {}).get("crossref_rows")
        if rows is not None:
            self.rows[node.workerinput["workerid"]] = rows["result"]
        gpu = getattr(node, "workeroutput", {}).get("crossref_gpu")
        if gpu:
            self.gpus[node.workerinput["workerid"]] = gpu
        if error is not None:  # the worker process died (killed from outside, out of memory...)
            self.lost.append({"worker": node.workerinput["workerid"], "error": str(error)[:300], "item": ""})

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem, report, sched) -> None:
        """The item a dead worker was running. xdist fails that item and starts a new
        worker; the rows the dead one wrote stay in its part file."""
        worker = report.node.workerinput["workerid"]
        for lost in self.lost:
            if lost["worker"] == worker and not lost["item"]:
                lost["item"] = crashitem

    def pytest_runtest_logreport(self, report) -> None:
        """Progress on long runs: a line a minute with items done and failing so far;
        silent under -q, in CI (CI set) and when not on a terminal."""
        if self.progress is None or report.when != "call" and not (report.when == "setup" and report.skipped):
            return
        if "test_op[" in report.nodeid or "test_fake_cache_stateful" in report.nodeid:  # crossref's items only
            self.progress.update(report)

    # -- the end of the run: after this process's own worker part closed (worker.py)
    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if not (self.run_dir / "parts").is_dir():
            return  # no op was checked: nothing to report
        finish_run_dir(self.run_dir, self.root)
        opts = self.options
        entries = catalog.select(list(opts.ops) or None) if not opts.watch else []
        known = baselines.load(opts.baseline) if opts.baseline and opts.baseline.exists() else {}
        own = self.config.pluginmanager.get_plugin("crossref-worker")
        expected = dict(self.rows)
        if own is not None and own.rows is not None:
            expected["main"] = own.rows["result"]
        self.summary = report.merge(self.run_dir, expected_rows=expected, baseline=known, meta={
            "devices": list(opts.devices),
            "checks_selected": list(opts.checks),
            "modes_selected": list(opts.modes),
            "baseline_path": str(opts.baseline) if opts.baseline else "",
            "shard": f"{opts.shard[0]}/{opts.shard[1]}" if opts.shard else "",
            "seed": self.seed,
            "profile": self.profile,
            "max_examples": self.settings.max_examples,
            "ops_patterns": list(opts.ops),
            "imports": list(self.imports),
            "ops_selected": len(entries),
            "watched": opts.watch,
            "corpus_files": [str(p) for p in opts.corpus],
            # every reason an item skips with (the same function the suite asks), not only the catalog's
            "ops_skipped": {e.name: r for e in entries if (r := skip_reason(e, tuple(opts.devices)))},
            "wall_seconds": time.time() - self.start,
            "workers_lost": self.lost,
            "gpus_by_worker": dict(sorted(self.gpus.items())),
        })
        self.rows = expected
        if opts.watch and self.summary.get("findings_new") and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # the tests passed; what they ran did not
        if opts.impact:
            self.summary = self._probe(len(expected))
        if opts.update_baseline:
            rows = report.read_findings(self.run_dir)
            count = baselines.save(opts.baseline, [r for r in rows if r["category"] != "unsupported"
                                                   and not r.get("flaky")], known)  # a flaky crash is no fixture
            self.summary.setdefault("baseline", {})["written"] = count
        elif opts.strict and self.summary.get("baseline", {}).get("fixed"):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _probe(self, workers: int) -> dict:
        """--crossref-impact: the findings' consequences in compiled programs, within the
        profile's budget, with as many probing processes as the run had workers."""
        from crossref.impact import probes
        from crossref.impact.consequence import BACKENDS
        from crossref.session.options import IMPACT_SECONDS

        opts = self.options
        seconds = opts.impact_seconds if opts.impact_seconds is not None else IMPACT_SECONDS.get(self.profile, 240.0)
        return probes.probe_run(self.run_dir, backends=opts.impact_backends or BACKENDS, seconds=seconds,
                                workers=max(1, workers), isolate=opts.isolate)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        s = self.summary
        if s is None:
            return
        terminalreporter.write_sep("-", "crossref")
        terminalreporter.write_line(
            f"crossref: {s['checks']} checks on {s['ops_checked']} ops ({s['ops_with_valid_call']} with a valid call); "
            f"{s['findings']} findings, {s['findings_new']} new; report: {self.run_dir}"
            + (f"; watched {s.get('corpus', {}).get('distinct', 0)} distinct calls (corpus.jsonl)"
               if s.get("watched") else ""))
        cost = s.get("impact")
        if cost:
            counts = ", ".join(f"{k} {v}" for k, v in (s.get("findings_new_by_impact") or {}).items())
            terminalreporter.write_line(
                f"crossref impact: {cost['probed']} findings probed through torch.compile in {cost['seconds']:g} s "
                f"({cost['from_cache']} from the cache, {cost['over_budget']} over the budget); new findings by "
                f"consequence: {counts}")
        base = s.get("baseline")
        if base:
            terminalreporter.write_line(
                f"crossref baseline {base['path']}: {base['known_seen']} known seen, {len(base['fixed'])} fixed"
                + (f" ({', '.join(base['fixed'][:10])})" if base["fixed"] else "")
                + (f"; rewritten with {base['written']} entries" if "written" in base else ""))
