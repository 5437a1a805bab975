"""The worker part of crossref's pytest plugin (plugin.py registers it): every process
that runs test items. Without xdist that is the one process, which is the controller
too; with it, each xdist worker (a process knows it is one by ``config.workerinput``).

It owns the process's ``crossref.session.WorkerSession`` (the checker and the
recorder that appends rows to this process's own part file), made on first use by the
``crossref_session`` fixture, and at session end closes it and hands its row counts to
the controller: through ``config.workeroutput`` from an xdist worker, or as ``rows``
read by the controller part in the same process.
"""

from __future__ import annotations

import pytest

from crossref.session.failure import CrossrefMismatch
from crossref.session.options import SHRINK_SECONDS, Options
from crossref.session.worker import WorkerSession


def is_worker(config) -> bool:
    """Whether this process is an xdist worker."""
    return hasattr(config, "workerinput")


class Worker:
    def __init__(self, config, options: Options, profile_settings, profile: str, controller=None) -> None:
        self.config = config
        self.options = options
        self.settings = profile_settings
        self.profile = profile
        if is_worker(config):
            self.id = config.workerinput["workerid"]
            self.run_dir = config.workerinput["crossref_run_dir"]
            self.seed = config.workerinput["crossref_seed"]
        else:
            self.id, self.run_dir, self.seed = "main", controller.run_dir, controller.seed
        self._session: WorkerSession | None = None
        self.rows: dict[str, int] | None = None  # row counts, once a session that was made is closed

    def session(self) -> WorkerSession:
        if self._session is None:
            opts = self.options
            budget = opts.shrink_seconds if opts.shrink_seconds is not None else SHRINK_SECONDS.get(self.profile, 20.0)
            self._session = WorkerSession(self.run_dir, self.id, opts, shrink_seconds=budget,
                                          examples=self.settings.max_examples, seed=self.seed,
                                          settings=self.settings)
        return self._session

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        """A test item's new findings fail it with their table and repro lines alone:
        pytest's traceback would lead with crossref's own frames (the test function, its
        fixtures, the session object), which say nothing about the finding."""
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and report.failed and call.excinfo.errisinstance(CrossrefMismatch):
            report.longrepr = f"{call.excinfo.typename}: {call.excinfo.value}"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        """--crossref-watch: the test runs under the watcher, named by its node id."""
        if not self.options.watch or "test_op[" in item.nodeid:
            yield
            return
        with self.session().watcher.watching(item.nodeid):
            yield

    @pytest.hookimpl(tryfirst=True)  # before the controller part merges, in a process that is both
    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if self._session is not None:
            self.rows = self._session.close()
        if is_worker(self.config):
            self.config.workeroutput["crossref_rows"] = self.rows or {"result": 0}
            self.config.workeroutput["crossref_gpu"] = self.config.workerinput.get("crossref_gpu", "")
