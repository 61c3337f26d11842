"""Planted-teacher benchmark: FTPROP and local search against a full-batch STE baseline.

Each instance is labelled by a random sign network (:func:`ftprop_exact.benchmarks.
generators.planted_teacher`), so a network of the teacher's shape fits it exactly; every
solver is asked for a network of that shape. The instance parameters are drawn
reproducibly: input dimension 2-10, 50-500 examples, 1-2 hidden layers of widths 2-6. In
the same run, on the same instances and with the same time limit, each solver gets one
try through :func:`ftprop_exact.solve`. The baseline is the full-batch saturated
straight-through estimator (searcher ``"sste"``, :mod:`ftprop_exact.solvers.baselines.gradient`:
sign forward pass, STE backward pass, hinge loss, Adam, restarts) on the same networks. A
run counts as solved only with a network that passes the rigorous verification on the
data as given.

Run::

    python -m ftprop_exact.benchmarks.planted [--instances N] [--time-limit S] [--activation qrelu:K] [--json]

With ``--activation qrelu:K`` the instances are planted ``qrelu:K`` teachers
(:func:`~ftprop_exact.benchmarks.suites.qrelu_teacher_instances`, the ``qrelu`` suite's
teachers: 2-10 features, 50-500 examples, one hidden layer of width 2-4) and every solver trains ``qrelu:K`` networks.

Reported per solver: instances solved exactly (and the fraction), the median time over all
instances (an unsolved run counts as the time limit), the median time of the solved runs,
and PAR-2 (mean time, unsolved runs counted twice the limit).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ftprop_exact.activations import activation_levels, check_activation, is_levelled
from ftprop_exact.api import solve
from ftprop_exact.benchmarks.suites import Instance, qrelu_teacher_instances, teacher_instances
from ftprop_exact.errors import DataError
from ftprop_exact.solvers.registry import searcher_names
from ftprop_exact.status import Status

__all__ = ["RunRow", "instance_specs", "main", "run_instance", "summarise"]

SOLVERS = ("ftprop", "local", "sste")


@dataclass(frozen=True)
class RunRow:
    """One (instance, solver) run."""

    instance: str
    features: int
    examples: int
    hidden: tuple[int, ...]
    solver: str
    solved: bool
    seconds: float
    errors: int | None


def instance_specs(count: int, seed: int = 0) -> list[tuple[int, int, tuple[int, ...]]]:
    """``count`` reproducible ``(n_features, n_examples, hidden)`` triples.

    Examples
    --------
    >>> instance_specs(2, seed=0)
    [(9, 337, (3, 3)), (2, 83, (2,))]
    """
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(count):
        n = int(rng.integers(2, 11))
        m = int(rng.integers(50, 501))
        depth = int(rng.integers(1, 3))
        specs.append((n, m, tuple(int(w) for w in rng.integers(2, 7, size=depth))))
    return specs


def run_instance(instance: Instance, solver: str, seed: int = 0, activation: str = "sign") -> RunRow:
    """Run one searcher on one instance; solved means a verified zero-error network."""
    data = instance.data
    start = time.perf_counter()
    result = solve(
        data, hidden=instance.hidden, activation=activation, searcher=solver, time_limit=instance.time_limit, random_state=seed
    )
    seconds = time.perf_counter() - start
    solved = result.status is Status.FEASIBLE and result.network.verify(data.X, data.Y).ok
    return RunRow(instance.id, instance.features, instance.examples, instance.hidden, solver, solved, seconds, result.errors)


def summarise(rows: list[RunRow], time_limit: float) -> dict[str, dict[str, Any]]:
    """Per solver: solved count and fraction, median times and PAR-2."""
    out: dict[str, dict[str, Any]] = {}
    for solver in dict.fromkeys(r.solver for r in rows):
        mine = [r for r in rows if r.solver == solver]
        solved = [r.seconds for r in mine if r.solved]
        capped = [r.seconds if r.solved else time_limit for r in mine]
        out[solver] = {
            "instances": len(mine),
            "solved": len(solved),
            "fraction": len(solved) / len(mine),
            "median_seconds": statistics.median(capped),
            "median_seconds_solved": statistics.median(solved) if solved else None,
            "par2": sum(r.seconds if r.solved else 2 * time_limit for r in mine) / len(mine),
        }
    return out


def _table(summary: dict[str, dict[str, Any]]) -> str:
    lines = [f"{'solver':>8} {'solved':>9} {'fraction':>9} {'median s':>9} {'median s (solved)':>18} {'PAR-2':>8}"]
    for solver, s in summary.items():
        solved_median = "-" if s["median_seconds_solved"] is None else f"{s['median_seconds_solved']:.2f}"
        lines.append(
            f"{solver:>8} {s['solved']:>4}/{s['instances']:<4} {s['fraction']:>9.1%} "
            f"{s['median_seconds']:>9.2f} {solved_median:>18} {s['par2']:>8.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the suite and print a table (or one JSON object with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=30, help="number of instances (default 30)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per run (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the instances and the solvers")
    parser.add_argument("--solvers", default=",".join(SOLVERS), help="comma-separated searcher names")
    parser.add_argument(
        "--activation", default="sign", help="sign (default: sign teachers) or qrelu:K (planted qrelu:K teachers)"
    )
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument("--quiet", action="store_true", help="no per-run log lines on stderr")
    args = parser.parse_args(argv)
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = [s for s in solvers if s not in searcher_names()]
    if unknown or args.instances < 1 or args.time_limit <= 0:
        parser.error(f"bad arguments (unknown solvers: {unknown}; need instances >= 1, time limit > 0)")
    try:
        activation = check_activation(args.activation)
    except DataError as exc:
        parser.error(str(exc))
    if is_levelled(activation):
        instances = qrelu_teacher_instances(args.instances, activation_levels(activation), args.seed, args.time_limit)
    else:
        instances = teacher_instances(instance_specs(args.instances, args.seed), args.seed, args.time_limit)
    rows = []
    for instance in instances:
        for solver in solvers:
            row = run_instance(instance, solver, args.seed, activation)
            rows.append(row)
            if not args.quiet:
                status = "solved" if row.solved else f"unsolved ({row.errors} errors)"
                print(f"c {row.instance} {row.solver}: {status} in {row.seconds:.2f} s", file=sys.stderr)
    summary = summarise(rows, args.time_limit)
    if args.json:
        payload = {
            "time_limit": args.time_limit,
            "seed": args.seed,
            "summary": summary,
            "runs": [asdict(r) for r in rows],
            "machine": platform.platform(),
        }
        print(json.dumps(payload))
    else:
        print(_table(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
