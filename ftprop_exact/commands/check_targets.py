"""``ftprop check-targets``: are given hidden targets feasible, unit by unit?"""

from __future__ import annotations

import argparse
import math

from ftprop_exact import __version__
from ftprop_exact.commands import output
from ftprop_exact.activations import activation_levels, is_levelled
from ftprop_exact.commands.data_args import activation_argument, add_data_arguments, describe, load_from_args
from ftprop_exact.solvers.learners.base import UnitVerdict
from ftprop_exact.targets import TargetsReport, check_targets, load_hidden_targets

HELP = "check that hidden targets make every unit linearly separable (exact, with certificates)"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser("check-targets", help=HELP, description=HELP)
    add_data_arguments(parser)
    parser.add_argument(
        "--targets",
        metavar="T.npz",
        help="NPZ with arrays T1, T2, ... (examples x width, values +-1), one per hidden layer; "
        "omitted: no hidden layer (a single perceptron layer per output)",
    )
    parser.add_argument(
        "--activation",
        type=activation_argument,
        default="sign",
        help="hidden activation: sign (default), step, or qrelu:K (then the targets are levels 0..K-1)",
    )
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; returns the exit code (10 feasible, 20 infeasible, 0 unknown)."""
    data = load_from_args(args)
    levels = activation_levels(args.activation) if is_levelled(args.activation) else None
    hidden = load_hidden_targets(args.targets, data.n_examples, levels) if args.targets else []
    report = check_targets(data.X, data.Y, hidden, activation=args.activation)
    if args.json:
        output.json_object({**report.to_dict(), "data": data.name, "version": __version__})
    else:
        output.comment(f"ftprop_exact {__version__} check-targets")
        output.comment(describe(data))
        output.comment(f"hidden widths: {[int(T.shape[1]) for T in hidden]}")
        _print_report(report)
        output.verdict(report.status)
    return report.status.exit_code


def _print_report(report: TargetsReport) -> None:
    for layer in report.layers:
        for unit, verdict in enumerate(layer.units):
            output.comment(f"layer {layer.layer} unit {unit}: {_describe_unit(verdict)}")


def _describe_unit(verdict: UnitVerdict) -> str:
    if verdict.separable and getattr(verdict, "margin", None) is None:  # a qrelu unit's levels
        return "feasible (levels verified)"
    if verdict.separable:
        margin = "infinite (constant targets)" if math.isinf(verdict.margin) else f"{verdict.margin:.6g}"
        return f"separable, margin {margin}"
    if verdict.separable is False:
        cert = verdict.certificate
        if hasattr(cert, "pairs"):
            return f"NOT feasible; certificate (row, step) pairs {[list(p) for p in cert.pairs]}"
        weights = ", ".join(f"{float(x):.6g}" for x in cert.multipliers)
        return f"NOT separable; certificate rows {list(cert.rows)} multipliers [{weights}]"
    return "undecided (numerically ambiguous)"
