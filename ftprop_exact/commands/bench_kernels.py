"""``ftprop bench-kernels``: separability checks per second of every learner kernel."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ftprop_exact import __version__
from ftprop_exact.commands import output

HELP = "benchmark the separability kernels (numba, numpy, cupy, auto) against the per-unit LP"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    _add_arguments(subparsers.add_parser("bench-kernels", help=HELP, description=HELP))


def main(argv: Sequence[str] | None = None) -> int:
    """Run without the ``ftprop`` front end: ``python -m ftprop_exact.commands.bench_kernels``."""
    parser = argparse.ArgumentParser(prog="ftprop bench-kernels", description=HELP)
    _add_arguments(parser)
    return run(parser.parse_args(argv))


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="small grid (m=1e3..1e5, includes m=1e4, n=64, K=64); a few minutes"
    )
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument(
        "--backends",
        metavar="NAMES",
        type=_backend_list,
        help="comma-separated subset of numba,numpy,auto,cupy,auto-cupy,lp,linprog,sklearn "
        "(lp always runs: it is the reference)",
    )
    parser.add_argument(
        "--unit-budget",
        type=float,
        metavar="SECONDS",
        help="seconds per per-unit back end and configuration before extrapolating (default 1.5 quick, 10 full)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        metavar="N",
        help="turns per back end and configuration; the fastest counts (default 2 quick, 1 full)",
    )
    parser.set_defaults(run=run)


def _backend_list(text: str) -> list[str]:
    from ftprop_exact.benchmarks.kernels import ALL_BACKENDS

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ALL_BACKENDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown back end(s) {', '.join(unknown) or '(none given)'}; choose from: {', '.join(ALL_BACKENDS)}"
        )
    return names


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns 0, or 1 if any verdict contradicted the LP's."""
    from ftprop_exact.benchmarks.kernels import format_table, run_benchmark

    report = run_benchmark(
        quick=args.quick,
        backends=args.backends,
        budget=args.unit_budget,
        repeats=getattr(args, "repeats", None),
        progress=_progress(args),
    )
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


if __name__ == "__main__":
    sys.exit(main())
