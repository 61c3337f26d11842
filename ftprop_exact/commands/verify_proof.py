"""``ftprop verify-proof``: re-check a proof, and the claim it makes, independently of the run that made it."""

from __future__ import annotations

import argparse
from dataclasses import replace

from ftprop_exact import __version__, progress
from ftprop_exact.commands import output
from ftprop_exact.commands.data_args import activation_argument, add_data_arguments, describe, load_from_args, parse_hidden, parse_weight_domain
from ftprop_exact.errors import DataError
from ftprop_exact.proofs.check import ProofCheck, check_proof
from ftprop_exact.proofs.claim import Claim, data_fingerprint
from ftprop_exact.proofs.io import load_proof

HELP = "re-check a proof and the claim it makes: certificates in exact arithmetic, master re-solved"
EXIT_VERIFIED = 0
EXIT_REJECTED = 3
EXIT_VERIFIED_BOUNDED = 4


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser("verify-proof", help=HELP, description=HELP)
    add_data_arguments(parser)
    parser.add_argument("--proof", required=True, metavar="FILE", help="proof file written by ftprop check --proof")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS", help="for each re-solve: a master, a hitting-set bound, an exhaustive enumeration (default: none)")
    required = parser.add_argument_group("require a claim (any difference: s REJECTED, exit 3)")
    required.add_argument("--hidden", type=parse_hidden, default=None, metavar="W[,W...]", help="the hidden widths (0: none)")
    required.add_argument("--activation", type=activation_argument, default=None, help="the activation (sign, step, qrelu:K)")
    required.add_argument("--min-errors", action="store_true", help="a lower bound on errors (not infeasibility)")
    required.add_argument("--feasibility", action="store_true", help="infeasibility (not a lower bound on errors)")
    required.add_argument("--lower-bound", type=int, default=None, metavar="N", help="this lower bound on errors")
    required.add_argument("--max-weight", type=int, default=None, metavar="K", help="a claim bounded by |w| <= K")
    required.add_argument("--unbounded", action="store_true", help="an unbounded claim (no weight cap)")
    required.add_argument(
        "--weights", type=parse_weight_domain, default=None, metavar="DOMAIN", help="the weight domain: real, ternary or int:K"
    )
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress line on stderr (shown only on a terminal)")
    parser.set_defaults(run=run)


def required_claim(args: argparse.Namespace, claim: Claim) -> Claim:
    """The proof's claim with every field the user fixed replaced by the required value."""
    if args.min_errors and args.feasibility:
        raise DataError("--min-errors and --feasibility contradict each other")
    if args.max_weight is not None and args.unbounded:
        raise DataError("--max-weight and --unbounded contradict each other")
    if args.max_weight is not None and args.max_weight < 1:
        raise DataError("--max-weight must be a positive integer")
    if args.lower_bound is not None and (args.feasibility or args.lower_bound < 1):
        raise DataError("--lower-bound needs a positive bound on errors (with --min-errors, or alone)")
    changes: dict = {}
    if args.hidden is not None:
        changes["hidden"] = tuple(args.hidden)
    if args.activation is not None:
        changes["activation"] = args.activation
    if args.feasibility:
        changes.update(objective="feasibility", lower_bound=None)
    if args.min_errors or args.lower_bound is not None:
        changes["objective"] = "min_errors"
        changes["lower_bound"] = args.lower_bound if args.lower_bound is not None else claim.lower_bound
    if args.max_weight is not None:
        changes["max_weight"] = args.max_weight
    if args.unbounded:
        changes["max_weight"] = None
    if args.weights is not None:
        changes["weights"] = args.weights
    try:
        return replace(claim, **changes)
    except DataError as exc:  # e.g. --min-errors on an infeasibility proof: no bound to keep
        raise _Mismatch(f"the required claim is not the proof's ({exc})") from None


class _Mismatch(Exception):
    """The required claim cannot even be formed from the proof's."""


def verdict_line(check: ProofCheck) -> str:
    """``s VERIFIED: <claim>``, ``s VERIFIED-BOUNDED: <claim>`` or ``s REJECTED``."""
    if not check.ok:
        return "s REJECTED"
    return f"s {'VERIFIED-BOUNDED' if check.bounded else 'VERIFIED'}: {check.claim.describe()}"


def run(args: argparse.Namespace) -> int:
    """Exit 0 ``s VERIFIED``; 4 ``s VERIFIED-BOUNDED`` (a weight-capped claim); 3 ``s REJECTED``."""
    data = load_from_args(args)
    proof, envelope = load_proof(args.proof)
    fingerprint = data_fingerprint(data)
    try:
        expected = required_claim(args, proof.claim)
        with progress.reporting(output.progress_reporter(args)), progress.phase(f"checking a {proof.kind} proof"):
            check = check_proof(proof, data, expected, thorough=True, time_limit=args.time_limit, fingerprint=fingerprint)
    except _Mismatch as exc:
        check = ProofCheck(False, proof.claim, str(exc), False)
    if check.ok:
        code = EXIT_VERIFIED_BOUNDED if check.bounded else EXIT_VERIFIED
    else:
        code = EXIT_REJECTED
    if args.json:
        output.json_object(
            {
                "verified": check.ok,
                "bounded": check.ok and check.bounded,
                "kind": proof.kind,
                "claim": check.claim.to_dict(),
                "claim_text": check.claim.describe(),
                "reason": check.reason,
                "data": data.name,
                "version": __version__,
            }
        )
        return code
    output.comment(f"ftprop_exact {__version__} verify-proof")
    output.comment(describe(data))
    output.comment(f"proof kind {proof.kind}; it claims: {proof.claim.describe()}")
    if fingerprint != proof.claim.data_sha256:
        output.comment(
            f"the data file {data.name!r} differs from the one the proof was made for "
            f"({envelope.get('data', 'unnamed')!r} when {args.proof} was written)"
        )
    output.comment(("checked: " if check.ok else "rejected: ") + check.reason)
    if check.ok and hasattr(proof, "describe_part"):  # a cubes proof: which cube each part closes
        for k in range(len(proof.parts)):
            output.comment(f"{proof.describe_part(k)}: closed ({len(proof.parts[k].proof.cuts)} cuts)")
    if check.ok and check.bounded:
        output.comment(f"this proof only covers weights with |w| <= {check.claim.max_weight}: not an unconditional proof")
    print(verdict_line(check))
    return code
