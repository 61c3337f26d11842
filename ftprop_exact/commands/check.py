"""``ftprop check``: does a sign network with these hidden widths fit the data exactly?"""

from __future__ import annotations

import argparse
import time
from typing import Any, Callable, TypeVar

from ftprop_exact import __version__, progress
from ftprop_exact.api import solve
from ftprop_exact.budget import Deadline
from ftprop_exact.commands import output
from ftprop_exact.commands.data_args import activation_argument, add_data_arguments, describe, load_from_args, parse_hidden, parse_weight_domain
from ftprop_exact.commands.signals import interrupt_on_signals
from ftprop_exact.data import Dataset
from ftprop_exact.errors import DataError
from ftprop_exact.memory import memory_limit_bytes
from ftprop_exact.proofs.io import save_proof
from ftprop_exact.result import Result
from ftprop_exact.solvers.registry import DEFAULT_SEARCHER, capabilities_of, searcher_names, searchers_that
from ftprop_exact.solvers.active_set import AUTO_MIN_ROWS, ROWS_MODES
from ftprop_exact.ovo import MULTICLASS

CLI_OBJECTIVES = ("feasibility", "min-errors", "min-weight", "max-margin")

T = TypeVar("T")

HELP = "decide whether a sign network of the given hidden widths fits the data with zero errors"


def _positive(text: str, unit: str, what: str) -> float:
    """Parse a positive number of ``unit`` for ``what``, or raise argparse's error."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of {unit}; got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"the {what} must be positive; got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A time limit in seconds (> 0)."""
    return _positive(text, "seconds", "time limit")


def positive_megabytes(text: str) -> float:
    """A memory limit in MiB (> 0)."""
    return _positive(text, "MiB", "memory limit")


def add_run_arguments(parser: argparse.ArgumentParser, time_limit: float) -> None:
    """Options shared by the subcommands that search: time, seed, threads, activation, JSON."""
    parser.add_argument(
        "--time-limit", type=positive_float, default=time_limit, metavar="SECONDS", help=f"default: {time_limit:g}"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="search threads: CP-SAT workers (auto: one of them runs local search instead); "
        "default: available cores, <= 8",
    )
    parser.add_argument(
        "--activation", type=activation_argument, default="sign", help="hidden activation: sign (default), step or qrelu:K"
    )
    add_memory_argument(parser)
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress line on stderr (shown only on a terminal)")


def add_memory_argument(parser: argparse.ArgumentParser) -> None:
    """``--memory-limit MB``: at the limit a run ends with UNKNOWN and the best network so far."""
    parser.add_argument(
        "--memory-limit",
        type=positive_megabytes,
        default=None,
        metavar="MB",
        help="resident memory (MiB) the run may use; at the limit it stops with UNKNOWN and the best "
        "network so far (default: 75%% of the memory available)",
    )


def run_interruptibly(args: argparse.Namespace, task: Callable[..., T], **kwargs: Any) -> tuple[Dataset, T, Deadline]:
    """Load the data and run ``task(data, deadline=..., **kwargs)``; SIGINT/SIGTERM stop it cleanly.

    On a terminal (and without ``--json`` / ``--quiet``) a status line on stderr shows the
    elapsed time, the phase, the best error count and the proven bound while it runs. The time
    limit counts from the start of the run (for the ``ftprop`` program: of the process,
    imports and loading included).
    """
    deadline = Deadline.since(getattr(args, "started", time.monotonic()), args.time_limit, memory_limit_bytes(args.memory_limit))
    data = load_from_args(args)
    with interrupt_on_signals(deadline), progress.reporting(output.progress_reporter(args)):
        outcome = task(data, deadline=deadline, activation=args.activation, random_state=args.seed, **kwargs)
    return data, outcome, deadline


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser("check", help=HELP, description=HELP)
    add_data_arguments(parser)
    parser.add_argument("--hidden", type=parse_hidden, required=True, metavar="W[,W...]", help="hidden widths, e.g. 3 or 3,2")
    parser.add_argument(
        "--solver", default=DEFAULT_SEARCHER, choices=searcher_names(), help=f"target searcher (default: {DEFAULT_SEARCHER})"
    )
    add_run_arguments(parser, time_limit=60.0)
    parser.add_argument(
        "--max-weight",
        type=int,
        default=None,
        metavar="K",
        help="cap |w| of the exact model (then an infeasible answer only covers |w| <= K)",
    )
    parser.add_argument(
        "--min-errors",
        action="store_true",
        help="find the network with the fewest training errors and prove the optimum "
        "(the solvers that minimise errors, the default among them; others report their best network)",
    )
    add_weight_arguments(parser)
    parser.add_argument(
        "--objective",
        choices=CLI_OBJECTIVES,
        default=None,
        help="feasibility (default); min-errors (= --min-errors); min-weight (= --min-weight); max-margin: among zero-error networks, every "
        "unit the hard-margin separator of its targets, hidden targets started from large margins (margins "
        "reported per unit)",
    )
    parser.add_argument(
        "--multiclass",
        choices=MULTICLASS,
        default="ovr",
        help="ovr (default): one network, one output unit per class; ovo: one binary network per pair of "
        "classes, majority vote (--network writes the ensemble)",
    )
    parser.add_argument(
        "--rows",
        choices=ROWS_MODES,
        default="auto",
        help="active: row generation (search on a growing working set of rows, verify on all); "
        f"all: search on every row; auto (default): active above {AUTO_MIN_ROWS} distinct rows",
    )
    parser.add_argument("--proof", metavar="FILE", help="write the INFEASIBLE proof (JSON) to FILE")
    parser.add_argument("--network", metavar="FILE", help="write the network found (JSON, docs/formats.md) to FILE")
    add_dask_arguments(parser)
    parser.set_defaults(run=run)


def add_weight_arguments(parser: argparse.ArgumentParser) -> None:
    """``--weights DOMAIN`` and ``--min-weight``."""
    parser.add_argument(
        "--weights",
        type=parse_weight_domain,
        default="real",
        metavar="DOMAIN",
        help="weight domain of every layer: real (default), ternary ({-1,0,1}) or int:K (integers |w| <= K); "
        "integer domains have integer biases and are searched exactly by the whole-network CP-SAT model",
    )
    parser.add_argument(
        "--min-weight",
        action="store_true",
        help="among the networks that fit, fewest non-zero weights (exact for ternary and int:K: "
        "OPTIMAL when proven; real weights: L1 refit of every unit, a heuristic)",
    )


def objective_of(args: argparse.Namespace) -> str:
    """The ``solve`` objective of ``--objective`` / ``--min-errors`` / ``--min-weight``.

    Flags that do not fit together are input errors: two objectives, a weight cap on an
    integer domain, a solver without the domain, a margin objective on integer weights.
    """
    objective = args.objective or ("min-errors" if args.min_errors else "min-weight" if args.min_weight else "feasibility")
    if args.min_errors and args.min_weight:
        raise DataError("--min-errors and --min-weight are two objectives: choose one")
    if args.min_errors and objective != "min-errors":
        raise DataError(f"--min-errors contradicts --objective {args.objective}")
    if args.min_weight and objective != "min-weight":
        raise DataError(f"--min-weight contradicts --objective {args.objective}")
    args.min_errors = objective == "min-errors"
    if args.weights == "real":
        return objective.replace("-", "_")
    if args.max_weight is not None:
        raise DataError(f"--max-weight caps real weights; the {args.weights} domain bounds its weights itself")
    if args.min_errors:
        raise DataError(f"--min-errors is not available for {args.weights} weights (use --min-weight, or real weights)")
    if objective == "max-margin":
        raise DataError(f"--objective max-margin is for real weights, not --weights {args.weights}")
    if args.dask is not None:
        raise DataError(f"--dask splits the real-weights CP-SAT search; not with --weights {args.weights}")
    if args.rows == "active":
        raise DataError(f"--rows active does not apply to --weights {args.weights} (the integer model covers every row)")
    kind = args.weights.split(":")[0]
    if args.solver != DEFAULT_SEARCHER and kind not in capabilities_of(args.solver).weights:
        able = ", ".join(searchers_that(lambda c: kind in c.weights))
        raise DataError(f"--solver {args.solver} does not search {args.weights} weights; use {able} (or the default)")
    return objective.replace("-", "_")


def add_dask_arguments(parser: argparse.ArgumentParser) -> None:
    """``--dask``, ``--dask-workers``, ``--cube-depth``: cube-and-conquer on a Dask cluster."""
    group = parser.add_argument_group("cube-and-conquer over Dask (solvers cpsat and auto; needs the dask extra)")
    group.add_argument(
        "--dask",
        metavar="ADDRESS|local",
        default=None,
        help="split the exact CP-SAT search into cubes run on the Dask scheduler at ADDRESS, or on a local cluster",
    )
    group.add_argument("--dask-workers", type=int, default=None, metavar="N", help="workers of the local cluster (default: cores, <= 8)")
    group.add_argument("--cube-depth", type=int, default=None, metavar="D", help="split on D hidden targets: 2^D cubes (default: about 8 per worker)")


def dask_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``solve`` for ``--dask`` (none without it); bad combinations are input errors."""
    if args.dask is None:
        if args.dask_workers is not None or args.cube_depth is not None:
            raise DataError("--dask-workers and --cube-depth need --dask ADDRESS|local")
        return {}
    from ftprop_exact.solvers.exact.dask_cubes import EXACT_SEARCHERS, require_distributed  # imports OR-Tools

    if args.solver not in EXACT_SEARCHERS:
        raise DataError(f"--dask splits the exact CP-SAT search: use --solver {' or '.join(EXACT_SEARCHERS)}, not {args.solver!r}")
    if args.min_errors:
        raise DataError("--dask decides feasibility only: it does not combine with --min-errors")
    if args.dask_workers is not None and args.dask_workers < 1:
        raise DataError("--dask-workers must be a positive integer")
    if args.cube_depth is not None and args.cube_depth < 0:
        raise DataError("--cube-depth must be a non-negative integer")
    try:
        require_distributed()
    except ImportError as exc:
        raise DataError(str(exc)) from None
    options: dict[str, Any] = {"dask": args.dask, "dask_workers": args.dask_workers}
    if args.cube_depth is not None:
        options["cube_depth"] = args.cube_depth
    return options


def searcher_options(args: argparse.Namespace) -> dict[str, Any]:
    """The command-line options the chosen searcher understands (its declared capabilities)."""
    wanted = capabilities_of(args.solver).options
    if args.max_weight is not None and "max_weight" not in wanted:
        capped = ", ".join(searchers_that(lambda c: "max_weight" in c.options))
        raise DataError(f"--max-weight applies to the exact model (solvers {capped}), not to {args.solver!r}")
    if args.max_weight is not None and args.max_weight < 1:
        raise DataError("--max-weight must be a positive integer")
    return {name: getattr(args, name) for name in wanted if getattr(args, name) is not None}


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; exit 10 FEASIBLE, 20 INFEASIBLE, 0 UNKNOWN."""
    objective = objective_of(args)
    if args.multiclass == "ovo":
        from ftprop_exact.commands.check_ovo import run_ovo  # noqa: PLC0415 - only ovo runs need it

        return run_ovo(args, objective, searcher_options(args))
    data, result, _ = run_interruptibly(
        args,
        solve,
        hidden=args.hidden,
        searcher=args.solver,
        objective=objective,
        rows=args.rows,
        weights=args.weights,
        **searcher_options(args),
        **dask_options(args),
    )
    write_artifacts(args, result, data)
    report(args, result, data)
    return result.status.exit_code


def write_artifacts(args: argparse.Namespace, result: Result, data: Dataset) -> None:
    """Write the network and proof files asked for (atomically)."""
    if getattr(args, "network", None) and result.network is not None:
        result.network.save(args.network)
    if getattr(args, "proof", None) and result.proof is not None:
        save_proof(args.proof, result.proof, data)


def result_json(args: argparse.Namespace, result: Result, data: Dataset) -> dict[str, Any]:
    """The ``--json`` object."""
    obj = result.to_dict()
    obj["proof"] = None if result.proof is None else proof_summary(result)
    obj.update(classes=list(data.classes), seed=args.seed, version=__version__, weights=getattr(args, "weights", "real"))
    if "margins" in result.stats:
        obj["margins"] = result.stats["margins"]
    obj["stats"] = {k: v for k, v in obj["stats"].items()}
    return obj


def proof_summary(result: Result) -> dict[str, Any]:
    """A short description of the proof (the full proof goes to ``--proof FILE``)."""
    full = result.proof.to_dict()
    claim = result.proof.claim
    summary: dict[str, Any] = {"kind": full["kind"], "claim": claim.describe()}
    if full["kind"] == "subset":  # rows of the data, and the proof about them
        summary.update(rows=len(full["rows"]), inner=full["proof"]["kind"])
        full = full["proof"]
    for key in ("cuts", "sets", "parts"):
        if key in full:
            summary[key] = len(full[key])
    if claim.bounded:
        summary["infeasible_with_max_weight"] = claim.max_weight
    for key in ("rows", "unit", "first_layer"):
        if key in full and key not in summary:
            summary[key] = full[key]
    return summary


def header(args: argparse.Namespace, data: Dataset, run: str, stats: Any) -> None:
    """The first ``c`` lines: version and command, the data, the run (``run``, seed, time limit), the stats."""
    output.comment(f"ftprop_exact {__version__} {args.command}")
    output.comment(describe(data))
    output.comment(f"{run}, seed {args.seed}, time limit {args.time_limit:g} s")
    output.comment("stats: " + ", ".join(f"{k}={v}" for k, v in stats.items()))


def report(args: argparse.Namespace, result: Result, data: Dataset) -> None:
    """Print the answer: one JSON object, or ``c`` lines and the ``s`` verdict line."""
    if args.json:
        output.json_object(result_json(args, result, data))
        return
    header(args, data, f"hidden {list(result.hidden)}, solver {result.solver}", result.stats)
    if result.errors is not None:
        output.comment(f"training errors of the network: {result.errors}")
    if result.lower_bound is not None and not getattr(args, "min_weight", False):  # a bound on errors
        output.comment(f"proven lower bound on the errors: {result.lower_bound}")
    if "stopped" in result.stats:
        output.comment(f"stopped early: {result.stats['stopped']}")
    if getattr(args, "min_errors", False) and result.errors is not None:
        print(f"o {result.errors}")
    if getattr(args, "min_weight", False) and "nonzero_weights" in result.stats:
        print(f"o {result.stats['nonzero_weights']}")
    if result.proof is not None:
        summary = proof_summary(result)
        output.comment("proof: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
        if "infeasible_with_max_weight" in summary:
            output.comment(f"verdict: infeasible with |w| <= {summary['infeasible_with_max_weight']} (no proof for larger weights)")
    if getattr(args, "network", None):
        output.comment(f"network written to {args.network}" if result.network is not None else "no network to write")
    if getattr(args, "proof", None):
        output.comment(f"proof written to {args.proof}" if result.proof is not None else "no proof to write")
    output.verdict(result.status)
