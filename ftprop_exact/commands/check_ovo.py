"""``ftprop check --multiclass ovo``: one binary network per pair of classes, majority vote."""

from __future__ import annotations

import argparse
from typing import Any

from ftprop_exact import __version__
from ftprop_exact.commands import output
from ftprop_exact.commands.check import dask_options, header, run_interruptibly
from ftprop_exact.errors import DataError
from ftprop_exact.ovo import solve_one_vs_one


def run_ovo(args: argparse.Namespace, objective: str, options: dict[str, Any]) -> int:
    """Fit the one-vs-one ensemble; exit 10 when every pair fits exactly, else 0 (UNKNOWN).

    ``--proof`` does not apply (no INFEASIBLE answer for an ensemble); ``--network`` writes
    the ensemble (docs/formats.md).
    """
    if args.min_errors:
        raise DataError("--multiclass ovo answers the feasibility question per pair: it does not combine with --min-errors")
    if dask_options(args):
        raise DataError("--multiclass ovo does not combine with --dask")
    if args.proof:
        raise DataError("--proof: a one-vs-one run never answers INFEASIBLE (each pair's verdict is in the stats)")
    data, result, _ = run_interruptibly(
        args,
        solve_one_vs_one,
        hidden=args.hidden,
        searcher=args.solver,
        objective=objective,
        rows=args.rows,
        weights=args.weights,
        **options,
    )
    if args.network and result.ensemble is not None:
        result.ensemble.save(args.network)
    if args.json:
        obj = result.to_dict()
        obj.update(hidden=list(args.hidden), classes=list(data.classes), seed=args.seed, version=__version__)
        output.json_object(obj)
        return result.status.exit_code
    header(args, data, f"one-vs-one, hidden {list(args.hidden)}, solver {args.solver}, objective {objective}", result.stats)
    if result.errors is not None:
        output.comment(f"training errors of the ensemble: {result.errors}")
    if args.network:
        output.comment(f"ensemble written to {args.network}" if result.ensemble is not None else "no ensemble to write")
    output.verdict(result.status)
    return result.status.exit_code
