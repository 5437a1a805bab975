"""crossref's pytest options, registered through the ``pytest11`` entry point.

They live here rather than in conftest.py because pytest parses the command line
(and picks the rootdir) before it loads conftest.py: an option it does not know yet,
written as ``--crossref-ops aten.mm.*``, would be taken for a path. An installed
plugin is known from the start. Everything else of the glue is in conftest.py.
"""

from __future__ import annotations


def pytest_addoption(parser):
    g = parser.getgroup("crossref", "crossref: fake tensors against real kernels")
    g.addoption("--crossref-ops", dest="crossref_ops", metavar="P[,P...]", default=None,
                help="glob patterns over overload names, e.g. 'aten.add.*,aten.mm.default' (default: all)")
    g.addoption("--crossref-devices", dest="crossref_devices", metavar="D[,D...]", default=None,
                help="real devices to compare on (default: cpu, plus cuda when available)")
    g.addoption("--crossref-examples", dest="crossref_examples", metavar="N", default=None,
                help="calls each test item draws, all of them whatever it finds (default: the profile's examples)")
    g.addoption("--crossref-report-dir", dest="crossref_report_dir", metavar="DIR", default=None,
                help="where the run is written (default: reports/<UTC timestamp>/, reports/latest -> it)")
    g.addoption("--crossref-shrink-seconds", dest="crossref_shrink_seconds", metavar="S", default=None,
                help="per test item, seconds its new findings may take to shrink, shared among them "
                "(default by profile: dev 20, ci 0.5, nightly 60)")
    g.addoption("--crossref-checks", dest="crossref_checks", metavar="C[,C...]", default=None,
                help="checks to run: forward (real vs fake), cache (dispatch-cache crosscheck), "
                "torch-cache (torch's own cache crosscheck on every hit) (default: forward,cache)")
    g.addoption("--crossref-modes", dest="crossref_modes", metavar="M[,M...]", default=None,
                help="how fake mode runs each drawn call: static (plain FakeTensorMode), symbolic (a ShapeEnv, "
                "dynamic dims, as torch.export), backward (gradients, as AOTAutograd), autocast (default: all four)")
    g.addoption("--crossref-timeout", dest="crossref_timeout", metavar="S", default=None,
                help="seconds one check may take before it counts as a hang (default 20; a check takes milliseconds)")
    g.addoption("--crossref-no-isolate", dest="crossref_no_isolate", action="store_true", default=False,
                help="run checks in the test process (for pdb) instead of a crash-isolated child")
    g.addoption("--crossref-baseline", dest="crossref_baseline", metavar="FILE", default=None,
                help="known findings (JSON): recorded but not failing; new ones fail; unseen ones are 'fixed'")
    g.addoption("--crossref-update-baseline", dest="crossref_update_baseline", action="store_true", default=False,
                help="rewrite the baseline file from this run's findings")
    g.addoption("--crossref-strict", dest="crossref_strict", action="store_true", default=False,
                help="fail the run when a baseline entry was not seen again (fixed)")
    g.addoption("--crossref-shard", dest="crossref_shard", metavar="K/N", default=None,
                help="run the K-th of N deterministic shares of the test items (for N CI runners)")
    g.addoption("--crossref-all-strides", dest="crossref_all_strides", action="store_true", default=False,
                help="compare strides of every dim, not only the significant ones")


# Options whose value is a path. pytest picks its rootdir and ini file from the command
# line *before* it loads plugins, so ``--crossref-baseline FILE`` with an existing FILE
# reads as a test path there and the run silently uses the wrong configuration.
_PATH_OPTIONS = ("--crossref-report-dir", "--crossref-baseline")


def pytest_configure(config):
    import os

    import pytest

    args = [str(a) for a in config.invocation_params.args]
    for option, value in zip(args, args[1:]):
        if option in _PATH_OPTIONS and os.path.exists(value):
            raise pytest.UsageError(
                f"write {option}={value} (with '='): pytest takes an existing path that follows "
                "an option as a test path when it chooses its rootdir")
