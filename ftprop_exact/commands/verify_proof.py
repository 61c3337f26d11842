"""``ftprop verify-proof``: re-check an infeasibility proof independently of the run that made it."""

from __future__ import annotations

import argparse
import inspect

from ftprop_exact import __version__
from ftprop_exact.commands import output
from ftprop_exact.commands.data_args import add_data_arguments, describe, load_from_args
from ftprop_exact.proof_io import load_proof

HELP = "re-check an infeasibility proof: certificates in exact arithmetic, master re-solved"
EXIT_VERIFIED = 0
EXIT_REJECTED = 3


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser("verify-proof", help=HELP, description=HELP)
    add_data_arguments(parser)
    parser.add_argument("--proof", required=True, metavar="FILE", help="proof file written by ftprop check --proof")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS", help="for re-solving a master (default: none)")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 and ``s VERIFIED`` when the proof holds; exit 3 and ``s REJECTED`` when it does not."""
    data = load_from_args(args)
    proof, document = load_proof(args.proof, data)
    options = {"time_limit": args.time_limit} if "time_limit" in inspect.signature(proof.verify).parameters else {}
    verified = bool(proof.verify(data, **options))
    bounded = getattr(proof, "bounded", False)
    if args.json:
        output.json_object(
            {
                "verified": verified,
                "kind": proof.kind,
                "hidden": document.get("hidden"),
                "bounded_max_weight": getattr(proof, "max_weight", None) if bounded else None,
                "data": data.name,
                "version": __version__,
            }
        )
    else:
        output.comment(f"ftprop_exact {__version__} verify-proof")
        output.comment(describe(data))
        output.comment(f"proof kind {proof.kind}, hidden {document.get('hidden')}")
        if bounded:
            output.comment(f"this proof only covers weights with |w| <= {proof.max_weight}")
        print("s VERIFIED" if verified else "s REJECTED")
    return EXIT_VERIFIED if verified else EXIT_REJECTED
