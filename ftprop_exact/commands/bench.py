"""``ftprop bench``: run a benchmark suite over several solvers, check every answer, report."""

from __future__ import annotations

import argparse
import fnmatch
import os
import signal
import sys

from ftprop_exact import progress
from ftprop_exact.commands import output
from ftprop_exact.commands.check import positive_float
from ftprop_exact.commands.report import EXIT_WRONG_ANSWER, print_report
from ftprop_exact.commands.signals import exit_code, on_signals

HELP = "compare solvers on a benchmark suite (solved counts, PAR-2, virtual best, cactus plot, profile)"
EXIT_USAGE = 2


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return value


def _example_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        bounds = (int(low), int(high))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a range of example counts like 30-500; got {text!r}") from None
    if not 0 <= bounds[0] <= bounds[1]:
        raise argparse.ArgumentTypeError(f"expected LO <= HI; got {text!r}")
    return bounds


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    from ftprop_exact.benchmarks.suites import suite_names

    parser = subparsers.add_parser("bench", help=HELP, description=HELP)
    parser.add_argument("--suite", choices=suite_names(), default="quick", help="instance suite (default: quick)")
    parser.add_argument("--solvers", metavar="A,B,...", help="searchers to compare (default: every registered one)")
    parser.add_argument("--jobs", type=_positive_int, default=1, metavar="N", help="runs at a time (default: 1)")
    parser.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster: a scheduler address, or 'local' "
                        "for a LocalCluster with --jobs workers (needs the dask extra)")
    parser.add_argument("--out", metavar="DIR", help="output directory (default: bench-out/SUITE)")
    parser.add_argument("--resume", action="store_true", help="keep DIR/results.jsonl and run only the runs not "
                        "finished there (e.g. after Ctrl-C or SIGTERM)")
    parser.add_argument("--time-limit", type=positive_float, metavar="SECONDS", help="override every instance's limit")
    parser.add_argument("--seeds", type=_positive_int, default=1, metavar="N", help="seeds 0..N-1 per run (default: 1)")
    parser.add_argument("--threads", type=_positive_int, default=1, metavar="N", help="threads per run (CP-SAT workers, BLAS/OpenMP/numba pools; default: 1)")
    parser.add_argument("--memory-limit", "--memory-mb", dest="memory_mb", type=_positive_int, default=4096, metavar="MB",
                        help="memory per run (MiB; default: 4096): the solve stops with UNKNOWN at 80%% of it, "
                        "the address space is capped at it")
    parser.add_argument("--instances", metavar="GLOB", help="only instances whose id matches, e.g. 'parity*'")
    parser.add_argument("--examples", type=_example_range, metavar="LO-HI", help="only instances with LO..HI examples, e.g. 30-500")
    parser.add_argument("--list", action="store_true", help="list the suite's instances and exit")
    parser.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(run=run)


def _solver_names(text: str | None) -> list[str]:
    from ftprop_exact.benchmarks.runner import available_solvers
    from ftprop_exact.errors import DataError

    known = available_solvers()
    if text is None:
        return list(known)
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in known]
    if unknown or not names:
        raise DataError(f"unknown solver(s) {', '.join(unknown) or '(none given)'}; choose from: {', '.join(known)}")
    return names


def _list(instances: list) -> int:
    for inst in instances:
        truth = inst.truth.value if inst.truth is not None else "unknown"
        hidden = ",".join(map(str, inst.hidden))
        print(f"{inst.id}  m={inst.examples} n={inst.features} hidden={hidden} truth={truth} limit={inst.time_limit:g}s")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; exit 0, 2 on bad usage, 3 when any answer was wrong."""
    from ftprop_exact.benchmarks.runner import run_benchmark
    from ftprop_exact.benchmarks.suites import make_suite

    solvers = _solver_names(args.solvers)
    instances = make_suite(args.suite, args.time_limit)
    if args.instances:
        instances = [i for i in instances if fnmatch.fnmatchcase(i.id, args.instances)]
    if args.examples:
        instances = [i for i in instances if args.examples[0] <= i.examples <= args.examples[1]]
    if args.list:
        return _list(instances)
    out_dir = args.out or os.path.join("bench-out", args.suite)
    from ftprop_exact.benchmarks.processes import descendants, kill_descendants

    spared = descendants()  # a host program's own children are never killed

    def kill_runs() -> None:
        """Kill every process the benchmark started (its runs and worker pools)."""
        kill_descendants(exclude=spared)

    def stop_runs(signum: int) -> None:
        """First SIGINT/SIGTERM: kill every process the benchmark started, then unwind the driver."""
        kill_runs()
        raise _Stopped(signum)

    try:
        with on_signals(stop_runs, "stopping every run; finished results are kept", before_exit=kill_runs):
            summary = run_benchmark(
                instances, solvers, out_dir, seeds=args.seeds, jobs=args.jobs, dask=args.dask, resume=args.resume,
                threads=args.threads, memory_mb=args.memory_mb, suite=args.suite,
                progress=progress.wanted(sys.stderr, quiet=args.quiet),
            )
    except ImportError as exc:  # --dask without Dask installed
        output.log(f"error: {exc}")
        return EXIT_USAGE
    except _Stopped as stop:
        from ftprop_exact.benchmarks.results import finished_keys, results_path

        kill_runs()  # any a worker pool started while it was being stopped
        kept = len(finished_keys(results_path(out_dir)))
        output.log(f"stopped by {signal.Signals(stop.signum).name}: {kept} finished runs kept in "
                   f"{results_path(out_dir)}; continue with: ftprop bench ... --out {out_dir} --resume")
        return exit_code(stop.signum)
    output.log(f"{summary.jobs_run} runs done, {summary.jobs_resumed} already in {summary.results}")
    code = print_report(out_dir)
    if summary.wrong:
        output.log(f"{len(summary.wrong)} WRONG ANSWER(S) in this run")
        return EXIT_WRONG_ANSWER
    return code


class _Stopped(BaseException):
    """The benchmark was stopped by a signal (its runs are killed, finished results kept).

    A BaseException, like KeyboardInterrupt: no ``except Exception`` on the way may stop it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
