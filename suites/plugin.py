"""crossref's pytest plugin, loaded through the ``pytest11`` entry point of the installed
package (``crossref.suites.plugin``), so a run works from any directory: this checkout,
a user's repository, or ``crossref sweep``.

Split by role, the way pytest-xdist splits ``plugin``/``dsession``/``remote``:

- this module: the options, the Hypothesis profiles, ``--crossref-import``, collection
  (one item per overload, sharding) and the ``crossref_session`` fixture; in
  ``pytest_configure`` it registers the parts below;
- ``controller.py``: the process that owns the run (the only process without xdist, the
  xdist controller with it): the run directory and seed, row counts, lost workers, the
  merge, the terminal summary and the progress line;
- ``worker.py``: every process that runs test items: its ``WorkerSession`` (checker
  and recorder), and the row counts it hands back.

The options are registered here rather than in a conftest.py because pytest parses the
command line (and picks the rootdir) before it loads conftest files: an option it did
not know yet, written as ``--crossref-ops aten.mm.*``, would be taken for a path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from crossref.errors import UsageError

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
           HealthCheck.large_base_example, HealthCheck.function_scoped_fixture]
# No explain phase: it traces every line of a failing item's re-runs (sys.settrace), which
# profiling showed to cost more than all the checks of a sweep.
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
_COMMON = dict(deadline=None, suppress_health_check=_HEALTH, phases=_PHASES, print_blob=True)
#: crossref's profiles, selected with Hypothesis's own --hypothesis-profile NAME. crossref
#: installed in a project must not change the settings of that project's own Hypothesis
#: tests: none is loaded here, and a name Hypothesis (or anyone) registered already keeps
#: its profile (Hypothesis has a built-in "ci", loaded when CI is set). A name is
#: registered only where it is missing, so that --hypothesis-profile accepts it;
#: crossref's items run under these settings whatever the registered profile says.
PROFILES = {
    "dev": settings(max_examples=20, **_COMMON),
    "ci": settings(max_examples=25, derandomize=True, database=None, **_COMMON),
    "nightly": settings(max_examples=300, **_COMMON),
}
for _name, _profile in PROFILES.items():
    try:
        settings.get_profile(_name)
    except Exception:  # noqa: BLE001 - InvalidArgument: not registered yet
        settings.register_profile(_name, parent=_profile)

#: The profile crossref uses when neither --hypothesis-profile nor CROSSREF_PROFILE names one.
DEFAULT_PROFILE = "dev"

OPTIONS = pytest.StashKey["Options"]()
PROFILE = pytest.StashKey[str]()
SETTINGS = pytest.StashKey[settings]()
IMPORTED = pytest.StashKey[tuple]()

_OPTION_NAMES = ("ops", "devices", "examples", "report_dir", "all_strides", "shrink_seconds", "checks", "timeout",
                 "baseline", "update_baseline", "strict", "shard", "modes", "impact", "impact_seconds",
                 "impact_backends", "watch", "corpus")


def pytest_addoption(parser):
    g = parser.getgroup("crossref", "crossref: fake tensors against real kernels")
    g.addoption("--crossref-ops", dest="crossref_ops", metavar="P[,P...]", default=None,
                help="glob patterns over overload names of any namespace, e.g. 'aten.add.*,aten.mm.default' or "
                "'mylib.*' (default: every aten overload)")
    g.addoption("--crossref-import", dest="crossref_import", metavar="MODULE[,MODULE...]", default=None,
                help="modules to import before collection, by name (mylib.ops) or file (path/to/ops.py): "
                "the custom ops they register can then be selected with --crossref-ops")
    g.addoption("--crossref-devices", dest="crossref_devices", metavar="D[,D...]", default=None,
                help="real devices to compare on (default: cpu, plus cuda when available)")
    g.addoption("--crossref-examples", dest="crossref_examples", metavar="N", default=None,
                help="calls each test item draws, all of them whatever it finds (default: the profile's examples)")
    g.addoption("--crossref-report-dir", dest="crossref_report_dir", metavar="DIR", default=None,
                help="where the run is written (default: reports/<UTC timestamp>/ under the directory pytest "
                "runs in, reports/latest -> it)")
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
    g.addoption("--crossref-workers-per-gpu", dest="crossref_workers_per_gpu", metavar="N", default=None,
                help="with GPUs, xdist workers each GPU takes: -n auto starts GPUs x N workers, and each worker is "
                "pinned to one GPU (CUDA_VISIBLE_DEVICES from its worker id) (default 1)")
    g.addoption("--crossref-gpu-memory-fraction", dest="crossref_gpu_memory_fraction", metavar="F", default=None,
                help="share of its GPU's memory each process may allocate (torch.cuda.set_per_process_memory_fraction; "
                "for several workers per GPU)")
    g.addoption("--crossref-watch", dest="crossref_watch", action="store_true", default=False,
                help="run the collected tests (a project's own suite) under crossref's watcher: every ATen and "
                "custom op they run is checked real against fake, and the run is written like a sweep's, with "
                "corpus.jsonl (--crossref-ops narrows the ops checked)")
    g.addoption("--crossref-corpus", dest="crossref_corpus", metavar="FILE[,FILE...]", default=None,
                help="corpus.jsonl files (or run directories) of watched programs: each item first checks the "
                "calls its op was seen with, then their variants, then its own draws, within the same budget")
    g.addoption("--crossref-impact", dest="crossref_impact", action="store_true", default=False,
                help="at the end of the run, replay the findings through torch.compile (cluster representatives "
                "first, then every new finding) and record what each breaks in a compiled program, within a time "
                "budget; results are cached beside the run directories")
    g.addoption("--crossref-impact-seconds", dest="crossref_impact_seconds", metavar="S", default=None,
                help="wall time the consequence probes may take (default by profile: dev 120, ci 240, nightly "
                "1800); implies --crossref-impact")
    g.addoption("--crossref-impact-backends", dest="crossref_impact_backends", metavar="B[,B...]", default=None,
                help="torch.compile backends to probe with (default: aot_eager,aot_eager_decomp_partition,inductor); "
                "implies --crossref-impact")


# Options whose value is a path. pytest picks its rootdir and ini file from the command
# line *before* it loads plugins, so ``--crossref-baseline FILE`` with an existing FILE
# reads as a test path there and the run silently uses the wrong configuration.
_PATH_OPTIONS = ("--crossref-report-dir", "--crossref-baseline", "--crossref-import", "--crossref-corpus")


def profile_name(config) -> str:
    """The Hypothesis profile crossref's items run under: --hypothesis-profile, else
    CROSSREF_PROFILE, else dev."""
    return config.getoption("hypothesis_profile", None) or os.environ.get("CROSSREF_PROFILE", DEFAULT_PROFILE)


SUITES = Path(__file__).resolve().parent


def active(config) -> bool:
    """Whether this run involves crossref: a --crossref-* option, or a test path at, in
    or above crossref's suites (``pytest`` in the checkout, ``crossref sweep``). An
    xdist worker follows its controller. Any other run (a project's own tests, with
    crossref installed) gets nothing of crossref: no torch import, no parts, no lines."""
    if hasattr(config, "workerinput"):
        return "crossref_run_dir" in config.workerinput
    if any(str(a).startswith("--crossref") for a in config.invocation_params.args):
        return True
    for arg in config.args:
        path = (Path(config.invocation_params.dir) / str(arg).split("::", 1)[0]).resolve()
        if path == SUITES or SUITES in path.parents or path in SUITES.parents:
            return True
    return False


def _per_gpu(config) -> int:
    """--crossref-workers-per-gpu, validated (a usage error names the value)."""
    text = config.getoption("crossref_workers_per_gpu", None)
    if text is None:
        return 1
    if not str(text).isdigit() or int(text) < 1:
        raise pytest.UsageError(f"--crossref-workers-per-gpu={text!r} must be a whole number of at least 1")
    return int(text)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """``-n auto`` on a machine with GPUs: the GPUs times the workers each takes (one
    per CPU core otherwise, xdist's own count)."""
    if not active(config):
        return None
    from crossref.session import gpus

    return gpus.auto_workers(_per_gpu(config))


def pytest_configure(config):
    if not active(config):
        return
    if hasattr(config, "workerinput"):
        # Before anything initialises CUDA: this worker's GPU becomes its only visible one.
        from crossref.session import gpus

        pinned = gpus.pin(config.workerinput["workerid"], _per_gpu(config))
        config.workerinput["crossref_gpu"] = pinned or ""
    fraction = config.getoption("crossref_gpu_memory_fraction", None)
    if fraction is not None:
        try:
            value = float(fraction)
        except ValueError:
            raise pytest.UsageError(f"--crossref-gpu-memory-fraction={fraction!r} is not a number") from None
        if not 0 < value <= 1:
            raise pytest.UsageError(f"--crossref-gpu-memory-fraction={fraction!r} must be in (0, 1]")
        os.environ["CROSSREF_GPU_MEMORY_FRACTION"] = str(value)  # every process of the run (isolation children)
    from crossref.check import catalog
    from crossref.session.options import parse_options

    from .controller import Controller
    from .worker import Worker, is_worker

    args = [str(a) for a in config.invocation_params.args]
    for option, value in zip(args, args[1:]):
        if option in _PATH_OPTIONS and os.path.exists(value):
            raise pytest.UsageError(
                f"write {option}={value} (with '='): pytest takes an existing path that follows "
                "an option as a test path when it chooses its rootdir")
    try:
        # Imports first: the --crossref-ops patterns may name the ops they register.
        config.stash[IMPORTED] = catalog.import_modules(config.getoption("crossref_import"),
                                                        base=config.invocation_params.dir)
        opts = parse_options(**{name: config.getoption(f"crossref_{name}") for name in _OPTION_NAMES},
                             isolate=not config.getoption("crossref_no_isolate"))
        name = profile_name(config)
        try:
            chosen = PROFILES.get(name) or settings.get_profile(name)
        except Exception:  # noqa: BLE001 - Hypothesis raises InvalidArgument; its text lists nothing
            raise UsageError(f"Hypothesis profile {name!r} is not registered (crossref's: dev, ci, "
                             "nightly)") from None
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    if opts.examples is not None:
        chosen = settings(chosen, max_examples=opts.examples)
    config.stash[OPTIONS] = opts
    config.stash[PROFILE] = name
    config.stash[SETTINGS] = chosen
    controller = None
    if not is_worker(config):
        controller = Controller(config, opts, profile=name, profile_settings=chosen, imports=config.stash[IMPORTED])
        config.pluginmanager.register(controller, "crossref-controller")
    config.pluginmanager.register(Worker(config, opts, chosen, name, controller), "crossref-worker")


_INACTIVE = ("crossref is not active in this run: its test items need a --crossref-* option "
             "(e.g. --crossref-ops='mylib.*') or crossref's suites as a test path")


def pytest_generate_tests(metafunc):
    if "op_entry" in metafunc.fixturenames:
        if OPTIONS not in metafunc.config.stash:
            raise pytest.UsageError(_INACTIVE)
        from crossref.check import catalog

        opts = metafunc.config.stash[OPTIONS]
        entries = catalog.select(list(opts.ops) or None)
        metafunc.parametrize("op_entry", entries, ids=[e.name for e in entries])


def pytest_collection_modifyitems(session, config, items):
    """``--crossref-shard K/N``: every process that collects keeps the same share."""
    shard = config.stash[OPTIONS].shard if OPTIONS in config.stash else None
    if shard is None:
        return
    from crossref.session.options import shard_items

    keep = shard_items([item.nodeid for item in items], shard)
    deselected = [item for item in items if item.nodeid not in keep]
    items[:] = [item for item in items if item.nodeid in keep]
    config.hook.pytest_deselected(items=deselected)


@pytest.fixture(scope="session")
def crossref_session(pytestconfig):
    """This process's ``crossref.session.WorkerSession``: its checker and recorder, made
    on first use (a run that checks no op writes nothing)."""
    worker = pytestconfig.pluginmanager.get_plugin("crossref-worker")
    if worker is None:
        raise pytest.UsageError(_INACTIVE)
    return worker.session()
