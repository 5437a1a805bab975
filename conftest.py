"""pytest glue for crossref: options, Hypothesis profiles, per-worker recorders and the
controller's session-end merge. Thin on purpose: the logic lives in crossref/
(session.py: options and workers; report.py: the merge). xdist-safe: a process is a
worker when ``config`` has ``workerinput``; workers hand row counts back through
``config.workeroutput``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from crossref import catalog, report
from crossref.errors import UsageError
from crossref import baseline as baselines
from crossref.session import (
    SHRINK_SECONDS,
    Options,
    Progress,
    WorkerSession,
    finish_run_dir,
    parse_options,
    run_dir_for,
    run_seed,
    shard_items,
)

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
           HealthCheck.large_base_example, HealthCheck.function_scoped_fixture]
# No explain phase: it traces every line of a failing item's re-runs (sys.settrace), which
# profiling showed to cost more than all the checks of a sweep.
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
_COMMON = dict(deadline=None, suppress_health_check=_HEALTH, phases=_PHASES, print_blob=True)
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("ci", max_examples=25, derandomize=True, database=None, **_COMMON)
settings.register_profile("nightly", max_examples=300, **_COMMON)
settings.load_profile(os.environ.get("CROSSREF_PROFILE", "dev"))

_OPTIONS = pytest.StashKey[Options]()
_RUN_DIR = pytest.StashKey[str]()
_WORKER = pytest.StashKey[WorkerSession]()
_START = pytest.StashKey[float]()
_ROWS = pytest.StashKey[dict]()
_LOST = pytest.StashKey[list]()  # xdist workers that died mid-run (controller)
_SEED = pytest.StashKey[int]()  # the run's seed: every item's random stream derives from it


_PROGRESS: dict = {}


_OPTION_NAMES = ("ops", "devices", "examples", "report_dir", "all_strides", "shrink_seconds", "checks", "timeout",
                 "baseline", "update_baseline", "strict", "shard", "modes")


def _profile(config) -> str:
    return config.getoption("hypothesis_profile", None) or os.environ.get("CROSSREF_PROFILE", "dev")


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(trylast=True)  # after Hypothesis loaded --hypothesis-profile
def pytest_configure(config):
    try:
        opts = parse_options(**{name: config.getoption(f"crossref_{name}") for name in _OPTION_NAMES},
                             isolate=not config.getoption("crossref_no_isolate"))
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_OPTIONS] = opts
    if not _is_worker(config) and config.option.verbose >= 0 and not os.environ.get("CI") and sys.stdout.isatty():
        _PROGRESS["state"] = Progress(config)
    if opts.examples is not None:
        settings.register_profile("crossref-cli", parent=settings.default, max_examples=opts.examples)
        settings.load_profile("crossref-cli")
    if _is_worker(config):
        config.stash[_RUN_DIR] = config.workerinput["crossref_run_dir"]
        config.stash[_SEED] = config.workerinput["crossref_seed"]
    else:
        config.stash[_RUN_DIR] = str(run_dir_for(opts.report_dir))
        config.stash[_SEED] = run_seed(config.getoption("hypothesis_seed", None), settings.default.derandomize)
        config.stash[_START] = time.time()
        config.stash[_ROWS] = {}
        config.stash[_LOST] = []


@pytest.hookimpl(optionalhook=True)  # xdist's hooks: pytest without xdist must not choke on them
def pytest_configure_node(node):  # xdist controller: tell the worker where to write, and the seed
    node.workerinput["crossref_run_dir"] = node.config.stash[_RUN_DIR]
    node.workerinput["crossref_seed"] = node.config.stash[_SEED]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    rows = getattr(node, "workeroutput", {}).get("crossref_rows")
    if rows is not None:
        node.config.stash[_ROWS][node.workerinput["workerid"]] = rows["result"]
    if error is not None:  # the worker process died (killed from outside, out of memory...)
        node.config.stash[_LOST].append({"worker": node.workerinput["workerid"], "error": str(error)[:300],
                                         "item": ""})


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem, report, sched):
    """xdist controller: the item a dead worker was running. xdist fails that item and
    starts a new worker; the rows the dead one wrote stay in its part file."""
    node = report.node
    for lost in node.config.stash[_LOST]:
        if lost["worker"] == node.workerinput["workerid"] and not lost["item"]:
            lost["item"] = crashitem


@pytest.fixture(scope="session")
def crossref_session(pytestconfig) -> WorkerSession:
    """This process's checker and recorder, made on first use (so runs that check no
    op, like the harness's own tests, write nothing)."""
    config = pytestconfig
    if _WORKER not in config.stash:
        worker = config.workerinput["workerid"] if _is_worker(config) else "main"
        opts = config.stash[_OPTIONS]
        budget = opts.shrink_seconds if opts.shrink_seconds is not None else SHRINK_SECONDS.get(_profile(config), 20.0)
        config.stash[_WORKER] = WorkerSession(config.stash[_RUN_DIR], worker, opts, shrink_seconds=budget,
                                              examples=settings.default.max_examples, seed=config.stash[_SEED])
    return config.stash[_WORKER]


def pytest_collection_modifyitems(session, config, items):
    shard = config.stash[_OPTIONS].shard
    if shard is None:
        return
    keep = shard_items([item.nodeid for item in items], shard)
    deselected = [item for item in items if item.nodeid not in keep]
    items[:] = [item for item in items if item.nodeid in keep]
    config.hook.pytest_deselected(items=deselected)


def pytest_runtest_logreport(report):
    """Progress on long runs, on the controller: a line a minute with ops done and
    items failing so far; silent under -q, in CI (CI set) and when not on a terminal."""
    progress = _PROGRESS.get("state")
    if progress is None or report.when != "call" and not (report.when == "setup" and report.skipped):
        return
    progress.update(report)


def pytest_generate_tests(metafunc):
    if "op_entry" in metafunc.fixturenames:
        opts = metafunc.config.stash[_OPTIONS]
        entries = catalog.select(list(opts.ops) or None)
        metafunc.parametrize("op_entry", entries, ids=[e.name for e in entries])


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    worker = config.stash.get(_WORKER, None)
    rows = worker.close() if worker is not None else {"result": 0}
    if _is_worker(config):
        config.workeroutput["crossref_rows"] = rows
        return
    if _RUN_DIR not in config.stash:
        return  # stopped before configure finished (usage error)
    if worker is not None:
        config.stash[_ROWS]["main"] = rows["result"]
    run_dir = Path(config.stash[_RUN_DIR])
    if not (run_dir / "parts").is_dir():
        return  # no op was checked: nothing to report
    finish_run_dir(run_dir)
    opts = config.stash[_OPTIONS]
    entries = catalog.select(list(opts.ops) or None)
    known = baselines.load(opts.baseline) if opts.baseline and opts.baseline.exists() else {}
    summary = report.merge(run_dir, expected_rows=config.stash[_ROWS], baseline=known, meta={
        "devices": list(opts.devices),
        "checks_selected": list(opts.checks),
        "modes_selected": list(opts.modes),
        "baseline_path": str(opts.baseline) if opts.baseline else "",
        "shard": f"{opts.shard[0]}/{opts.shard[1]}" if opts.shard else "",
        "seed": config.stash[_SEED],
        "profile": _profile(config),
        "max_examples": settings.default.max_examples,
        "ops_patterns": list(opts.ops),
        "ops_selected": len(entries),
        "ops_skipped": {e.name: e.skip for e in entries if e.skip},
        "wall_seconds": time.time() - config.stash[_START],
        "workers_lost": config.stash[_LOST],
    })
    config.stash[_ROWS]["summary"] = summary
    if opts.update_baseline:
        rows = report.read_findings(run_dir)
        count = baselines.save(opts.baseline, [r for r in rows if r["category"] != "unsupported"], known)
        summary.setdefault("baseline", {})["written"] = count
    elif opts.strict and summary.get("baseline", {}).get("fixed"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    rows = config.stash.get(_ROWS, None)
    if not rows or "summary" not in rows:
        return
    s = rows["summary"]
    terminalreporter.write_sep("-", "crossref")
    terminalreporter.write_line(
        f"crossref: {s['checks']} checks on {s['ops_checked']} ops ({s['ops_with_valid_call']} with a valid call); "
        f"{s['findings']} findings, {s['findings_new']} new; report: {config.stash[_RUN_DIR]}")
    base = s.get("baseline")
    if base:
        terminalreporter.write_line(
            f"crossref baseline {base['path']}: {base['known_seen']} known seen, {len(base['fixed'])} fixed"
            + (f" ({', '.join(base['fixed'][:10])})" if base["fixed"] else "")
            + (f"; rewritten with {base['written']} entries" if "written" in base else ""))
