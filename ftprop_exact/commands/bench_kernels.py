"""``ftprop bench-kernels``: separability checks per second of every learner kernel."""

from __future__ import annotations

import argparse
import sys

from ftprop_exact import __version__
from ftprop_exact.commands import output

HELP = "benchmark the separability kernels (numba, numpy, cupy, auto) against the per-unit LP"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser("bench-kernels", help=HELP, description=HELP)
    parser.add_argument(
        "--quick", action="store_true", help="small grid (m=1e3..1e5, includes m=1e4, n=64, K=64); a few minutes"
    )
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument(
        "--backends",
        metavar="NAMES",
        help="comma-separated subset of numba,numpy,auto,cupy,auto-cupy,lp,linprog,sklearn "
        "(lp always runs: it is the reference)",
    )
    parser.add_argument(
        "--unit-budget",
        type=float,
        metavar="SECONDS",
        help="seconds per per-unit back end and configuration before extrapolating (default 1.5 quick, 10 full)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns 0, or 1 if any verdict contradicted the LP's."""
    from ftprop_exact.benchmarks.kernels import format_table, run_benchmark

    backends = None if not args.backends else [b.strip() for b in args.backends.split(",") if b.strip()]
    report = run_benchmark(quick=args.quick, backends=backends, budget=args.unit_budget, progress=_progress(args))
    report["version"] = __version__
    if args.json:
        output.json_object(report)
    else:
        print(format_table(report))
    wrong = sum(row["wrong"] for row in report["rows"])
    if wrong:
        output.log(f"{wrong} verdicts contradict the LP")
    return 1 if wrong else 0


def _progress(args: argparse.Namespace):
    """tqdm over the configurations on stderr, only when it is a terminal and not --json."""
    if args.json or not sys.stderr.isatty():
        return iter
    from tqdm import tqdm

    return lambda configs: tqdm(list(configs), desc="bench-kernels", unit="config", file=sys.stderr)
