"""``ftprop min-width``: the smallest one-hidden-layer width that fits, with proofs."""

from __future__ import annotations

import argparse

from ftprop_exact import __version__
from ftprop_exact.commands import output
from ftprop_exact.commands.check import add_run_arguments, run_interruptibly
from ftprop_exact.commands.data_args import add_data_arguments, describe
from ftprop_exact.errors import DataError
from ftprop_exact.min_width import min_width
from ftprop_exact.proofs.io import save_proof

HELP = "find the smallest hidden width (one hidden layer) that fits the data exactly"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser("min-width", help=HELP, description=HELP)
    add_data_arguments(parser)
    parser.add_argument("--max-width", type=int, default=8, metavar="K", help="largest width tried (default: 8)")
    add_run_arguments(parser, time_limit=300.0)
    parser.add_argument("--proof", metavar="FILE", help="write the proof that width (minimum - 1) is infeasible")
    parser.add_argument("--network", metavar="FILE", help="write the network at the smallest feasible width")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Exit 10 when the minimum width is proven, 0 otherwise (bounds reported)."""
    if args.max_width < 1:
        raise DataError("--max-width must be at least 1")
    data, result, deadline = run_interruptibly(args, min_width, max_width=args.max_width, threads=args.threads)
    if args.network and result.network is not None:
        result.network.save(args.network)
    if args.proof and result.proof is not None:
        save_proof(args.proof, result.proof, data)
    if args.json:
        output.json_object({**result.to_dict(), "seconds": deadline.elapsed(), "version": __version__})
    else:
        output.comment(f"ftprop_exact {__version__} min-width")
        output.comment(describe(data))
        for width, res in sorted(result.per_width.items()):
            output.comment(f"width {width}: {res.status.value} ({result.seconds[width]:.2f} s)")
        upper = "none found" if result.upper_bound is None else str(result.upper_bound)
        output.comment(f"minimum width: lower bound {result.lower_bound}, upper bound {upper}")
        output.comment(f"seconds: {deadline.elapsed():.2f}")
        output.verdict(result.status)
    return result.status.exit_code
