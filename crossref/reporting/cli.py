"""``python -m crossref``: the command line over finished runs.

Subcommands: ``sweep`` (the sweep suite with pytest, from any directory), ``diff``,
``merge``, ``history add|list``, ``dashboard``, ``report`` (a finding as a markdown bug
report), ``repro``, ``impact`` (what each finding breaks in a compiled program:
crossref/impact/probes.py) and ``watch`` (a script run under the watcher: crossref/watcher.py);
the last two import torch.
Each validates its input at the edge; bad input (a missing run, a directory that is
not a run, an unreadable parquet or summary.json, a bad option) ends with one line on
stderr naming the value and exit code 2, never a traceback. ``diff`` exits 1 when the
second run has new findings; ``repro`` exits with the script's own code (1: the
finding reproduces, 0: it is fixed).
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from ..errors import UsageError

PROG = "crossref"
DEFAULT_LATEST = Path("reports") / "latest"
DEFAULT_DASHBOARD = Path("reports") / "dashboard.html"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and a UsageError (exit code 2)."""

    def error(self, message: str):  # type: ignore[override]
        command = self.prog.removeprefix(PROG).strip()  # "diff", "history add"; "" for the top level
        raise UsageError(f"{command}: {message}" if command else message)


def build_parser() -> argparse.ArgumentParser:
    from .history import DEFAULT_HISTORY

    parser = _Parser(prog=PROG, description="Tools over crossref run reports (reports/<run>/).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    sub.add_parser("sweep", help="run the installed sweep suite with pytest here; every other argument goes to "
                   "pytest (crossref options, -n, -k, --hypothesis-profile...)", add_help=False)

    p = sub.add_parser("diff", help="new, fixed and persisting findings of RUN_B against RUN_A (exit 1: new findings)")
    p.add_argument("run_a", metavar="RUN_A", help="the earlier run directory")
    p.add_argument("run_b", metavar="RUN_B", help="the later run directory")
    p.add_argument("--format", dest="fmt", choices=("text", "markdown"), default="text", help="output format (default: text)")

    p = sub.add_parser("merge", help="merge the reports of several shards or runners into one run")
    p.add_argument("runs", metavar="RUN", nargs="+", help="run directories with parts/ and summary.json")
    p.add_argument("--out", metavar="DIR", required=True, help="the new run directory (must not exist, or be empty)")
    p.add_argument("--allow-mixed", action="store_true", help="merge runs made with different torch versions")

    p = sub.add_parser("history", help="the run history dataset (add a run, list the runs)")
    hsub = p.add_subparsers(dest="history_command", metavar="ACTION", parser_class=_Parser)
    hsub.required = True
    h = hsub.add_parser("add", help="append a run to the history (a run already there is left alone)")
    h.add_argument("run", metavar="RUN", help="the run directory")
    h.add_argument("--history", metavar="DIR", default=str(DEFAULT_HISTORY), help=f"default: {DEFAULT_HISTORY}")
    h = hsub.add_parser("list", help="print the runs in the history")
    h.add_argument("--history", metavar="DIR", default=str(DEFAULT_HISTORY), help=f"default: {DEFAULT_HISTORY}")

    p = sub.add_parser("dashboard", help="write a static HTML dashboard of the history")
    p.add_argument("--history", metavar="DIR", default=str(DEFAULT_HISTORY), help=f"default: {DEFAULT_HISTORY}")
    p.add_argument("--out", metavar="FILE", default=str(DEFAULT_DASHBOARD), help=f"default: {DEFAULT_DASHBOARD}")

    p = sub.add_parser("report", help="print a finding as a markdown bug report whose python block runs standalone")
    p.add_argument("signature", metavar="SIGNATURE", help="the finding's signature, or a unique prefix of it")
    p.add_argument("--run", metavar="DIR", default=str(DEFAULT_LATEST), help=f"default: {DEFAULT_LATEST}")

    p = sub.add_parser("impact", help="replay a run's findings through torch.compile and add what each breaks in "
                       "a compiled program to its report (cluster representatives first, then new findings)")
    p.add_argument("run", metavar="RUN", help="the run directory")
    p.add_argument("--backends", metavar="B[,B...]", default=None,
                   help="torch.compile backends (default: aot_eager,aot_eager_decomp_partition,inductor)")
    p.add_argument("--seconds", metavar="N", default=None, help="wall-time budget (default: none)")
    p.add_argument("--workers", metavar="N", default="1", help="probing processes at a time (default: 1)")
    p.add_argument("--timeout", metavar="S", default=None, help="seconds one finding's probe may take (default: 120)")
    p.add_argument("--cache", metavar="FILE", default="",
                   help="results by signature and torch version (default: impact-cache.jsonl beside RUN)")
    p.add_argument("--no-cache", action="store_true", help="probe everything again, remember nothing")
    p.add_argument("--no-isolate", action="store_true", help="probe in this process (for pdb), one at a time")

    p = sub.add_parser("watch", help="run a Python script (like python -m cProfile) with every ATen and custom op "
                       "it runs checked real against fake; writes a run like a sweep's, with corpus.jsonl "
                       "(exit 1: new findings)")
    p.add_argument("--report-dir", metavar="DIR", default=None, help="where the run is written "
                   "(default: reports/<UTC timestamp>/, reports/latest -> it)")
    p.add_argument("--ops", metavar="P[,P...]", default="", help="glob patterns of the overloads to check "
                   "(default: all)")
    p.add_argument("--modes", metavar="M[,M...]", default="static,symbolic",
                   help="compiler modes each distinct call is checked in (default: static,symbolic)")
    p.add_argument("script", metavar="SCRIPT", help="the Python script to run")
    p.add_argument("args", metavar="ARG", nargs=argparse.REMAINDER, help="its arguments")

    p = sub.add_parser("repro", help="show a finding and run its repro script (exit 1: it reproduces)")
    p.add_argument("signature", metavar="SIGNATURE", help="the finding's signature, or a unique prefix of it")
    p.add_argument("--run", metavar="DIR", default=str(DEFAULT_LATEST), help=f"default: {DEFAULT_LATEST}")
    return parser


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import RENDERERS, diff_runs
    from .runs import load_run

    d = diff_runs(load_run(args.run_a, results=True), load_run(args.run_b, results=True))
    sys.stdout.write(RENDERERS[args.fmt](d))
    return d.exit_code


def cmd_merge(args: argparse.Namespace) -> int:
    from .runs import merge_runs

    s = merge_runs(args.runs, args.out, allow_mixed=args.allow_mixed)
    print(f"merged {len(args.runs)} runs into {args.out}: {s['checks']} checks, {s['findings']} findings "
          f"({s['findings_new']} new), rows complete: {s['rows']['complete']}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from .history import add_run, load_history, render_list
    from .runs import load_run

    if args.history_command == "add":
        run = load_run(args.run, results=True)
        if add_run(run, args.history):
            print(f"added {run.run_id} to {args.history}")
        else:
            print(f"{run.run_id} is already in {args.history}: nothing to do")
        return 0
    history = load_history(args.history)
    if not len(history.runs):
        print(f"no runs in {args.history} (add one with: crossref history add RUN)")
        return 0
    sys.stdout.write(render_list(history))
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from .dashboard import write_dashboard
    from .history import load_history

    out = Path(args.out)
    if out.exists() and out.is_dir():
        raise UsageError(f"--out {args.out!r} is a directory, not a file")
    if not Path(args.history).exists():  # a typo would otherwise write an empty page
        raise UsageError(f"--history {args.history!r} does not exist (add a run with: crossref history add RUN "
                         f"--history {args.history})")
    history = load_history(args.history)
    write_dashboard(history, out)
    print(f"wrote {out} ({len(history.runs)} runs)")
    return 0


def cmd_impact(args: argparse.Namespace) -> int:
    from .runs import load_run

    run = load_run(args.run)
    from ..impact import probes
    from ..impact.consequence import BACKENDS
    from ..session.options import parse_backends, parse_number, parse_seconds

    backends = parse_backends(args.backends, "--backends") or BACKENDS
    seconds = parse_seconds(args.seconds, "--seconds")
    timeout = parse_seconds(args.timeout, "--timeout") or probes.DEFAULT_TIMEOUT
    workers = parse_number(args.workers, "--workers", whole=True, at_least=1)
    cache = None if args.no_cache else args.cache
    if cache and Path(cache).is_dir():
        raise UsageError(f"--cache {cache!r} is a directory, not a file")

    def tell(signature: str, c) -> None:
        print(f"{signature}  {c.impact:<15} {c.detail[:110]}", flush=True)

    s = probes.probe_run(run.path, backends=backends, seconds=seconds, workers=workers, timeout=timeout,
                         cache_file=cache, isolate=not args.no_isolate, tell=tell)
    cost = s.get("impact") or {}
    print(f"probed {cost.get('probed', 0)} findings of {run.path} in {cost.get('seconds', 0):g} s "
          f"({cost.get('from_cache', 0)} from the cache, {cost.get('over_budget', 0)} over the budget); "
          "by consequence: " + ", ".join(f"{k} {v}" for k, v in (s.get("findings_by_impact") or {}).items()))
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    import runpy

    script = Path(args.script)
    if not script.is_file():
        raise UsageError(f"SCRIPT {args.script!r} is not a file")
    from ..session.options import parse_modes
    from ..watcher import watch

    modes = parse_modes(args.modes)
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [str(script), *args.args]
    sys.path.insert(0, str(script.resolve().parent))
    code = 0
    try:
        with watch(args.report_dir, program=str(script), ops=args.ops, modes=modes) as session:
            try:
                runpy.run_path(str(script), run_name="__main__")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    s = session.summary
    print(f"crossref watch: {s.get('distinct_calls', 0)} distinct calls of {s['ops_checked']} ops checked "
          f"({s.get('calls_seen', 0)} calls seen); {s['findings']} findings, {s['findings_new']} new; "
          f"report: {session.run_dir}", file=sys.stderr)
    return code or (1 if s["findings_new"] else 0)


def find_signature(run_path: Path, signatures: list[str], prefix: str) -> str:
    """The one signature starting with ``prefix`` among the run's findings and repro
    scripts, or a UsageError listing the candidates or close matches."""
    if not prefix.strip():
        raise UsageError("SIGNATURE '' is empty")
    matches = sorted({s for s in signatures if s.startswith(prefix)})
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"signature prefix {prefix!r} is ambiguous in {str(run_path)!r}: {', '.join(matches[:8])}")
    close = difflib.get_close_matches(prefix, [s[: max(len(prefix), 1)] for s in signatures], n=5, cutoff=0.5)
    near = sorted({s for s in signatures if s[: max(len(prefix), 1)] in close})
    hint = f"; close matches: {', '.join(near)}" if near else f"; it has {len(signatures)} findings"
    raise UsageError(f"no finding with signature {prefix!r} in {str(run_path)!r}{hint}")


def cmd_repro(args: argparse.Namespace) -> int:
    from .runs import load_run

    run = load_run(args.run)
    scripts = [p.stem for p in (run.path / "repros").glob("*.py")]
    sig = find_signature(run.path, sorted(set(scripts) | set(run.findings["signature"])), args.signature)
    script = run.path / "repros" / f"{sig}.py"
    rows = run.findings[run.findings["signature"] == sig]
    if len(rows):
        row = rows.iloc[0]
        for key in ("op", "category", "field", "real", "fake", "example"):
            print(f"{key:>9}: {row[key]}")
    else:
        print(f"{sig}: no row in {run.path / 'findings.parquet'}")
    if not script.is_file():
        raise UsageError(f"finding {sig!r} has no repro script {str(script)!r}")
    print(f"   script: {script}", flush=True)
    return subprocess.run([sys.executable, str(script)], check=False).returncode


def cmd_report(args: argparse.Namespace) -> int:
    from .bugreport import render
    from .runs import load_run

    run = load_run(args.run)
    sig = find_signature(run.path, sorted(set(run.findings["signature"])), args.signature)
    row = {k: ("" if v is None or (isinstance(v, float) and v != v) else v)
           for k, v in run.findings[run.findings["signature"] == sig].iloc[0].to_dict().items()}
    row.setdefault("mode", "static")
    cluster = next((c for c in run.summary.get("clusters") or [] if c.get("id") == row.get("cluster")), None)
    script = run.path / "repros" / f"{sig}.py"
    text = script.read_text() if script.is_file() else ""
    if not row.get("snippet") and not text:
        raise UsageError(f"finding {sig!r} has neither a snippet nor a repro script {str(script)!r}")
    print(render(row, run.summary, cluster, text, run.path.name), end="")
    return 0


def sweep_command(pytest_args: Sequence[str], where: Path | None = None) -> list[str]:
    """The pytest command line ``crossref sweep`` runs: the installed suite, with the
    directory it runs in as pytest's rootdir (reports/ is written there), that
    directory's own pytest configuration left out (its addopts and testpaths are for
    its own tests), and its conftest.py, if any, imported before collection (by
    ``--crossref-import``): the custom ops it registers become selectable."""
    from .. import suites

    where = Path.cwd() if where is None else where
    command = [sys.executable, "-m", "pytest", str(Path(suites.__file__).resolve().parent),
               f"--rootdir={where}", "-c", os.devnull, "-W", "ignore::UserWarning", "-W", "ignore::DeprecationWarning",
               "-W", "ignore::FutureWarning"]
    args = list(pytest_args)
    if (where / "conftest.py").is_file():
        # One --crossref-import (pytest keeps the last): the conftest first, then the user's.
        imports = [str(where / "conftest.py")]
        rest = []
        i = 0
        while i < len(args):
            if args[i].startswith("--crossref-import="):
                imports.append(args[i].split("=", 1)[1])
            elif args[i] == "--crossref-import" and i + 1 < len(args):
                imports.append(args[i + 1])
                i += 1
            else:
                rest.append(args[i])
            i += 1
        command.append(f"--crossref-import={','.join(imports)}")
        args = rest
    return command + args


def cmd_sweep(pytest_args: Sequence[str]) -> int:
    return subprocess.run(sweep_command(pytest_args), check=False).returncode


COMMANDS = {"diff": cmd_diff, "merge": cmd_merge, "history": cmd_history, "dashboard": cmd_dashboard,
            "report": cmd_report, "repro": cmd_repro, "impact": cmd_impact, "watch": cmd_watch}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the exit code (2: bad input, told in one line)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["sweep"]:  # everything after it is pytest's, unparsed
            return cmd_sweep(argv[1:])
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an unwritable --out, a file vanishing mid-read
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"{PROG}: error:{where} {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
