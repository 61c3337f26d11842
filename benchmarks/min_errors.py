"""Minimum training errors on real data: the proven optimum, or the gap when time runs out.

Run: ``python -m ftprop_exact.benchmarks.min_errors [--time-limit S] [--json] [--out FILE]``.

For each data set bundled with scikit-learn (iris class pairs, wine class pairs, a breast
cancer subset) and each hidden width, ``solve(..., objective="min_errors")`` is run with
the ``auto`` searcher; the table lists the best network's errors, the proven lower bound,
whether the optimum is proven, and the time. Every optimality proof is re-checked.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import asdict, dataclass

from ftprop_exact.api import solve
from ftprop_exact.proofs.check import check_proof
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.data import Dataset, load_dataset, make_dataset
from ftprop_exact.status import Status

# (built-in data set, first rows or None, feature columns or None): projections onto few
# features make the classes overlap, so that the minimum is not zero
DATASETS = (
    ("iris:versicolor,virginica", None, None),
    ("iris:versicolor,virginica", None, (2, 3)),
    ("iris:versicolor,virginica", None, (0, 1)),
    ("wine:class_1,class_2", None, (0, 1)),
    ("wine:class_0,class_1", None, (0, 9)),
    ("breast_cancer", 150, (0, 1)),
    ("breast_cancer", None, None),
)
WIDTHS = (1, 2)


@dataclass(frozen=True)
class MinErrorsRow:
    """One (data set, width) measurement."""

    data: str
    examples: int
    hidden: int
    status: str
    errors: int | None
    lower_bound: int | None
    proven: bool
    proof_verified: bool | None
    seconds: float


def load(spec: str, rows: int | None, columns: tuple[int, ...] | None) -> Dataset:
    """A built-in data set, optionally cut to its first ``rows`` and to some feature ``columns``."""
    full = load_dataset(spec)
    if rows is None and columns is None:
        return full
    keep = list(range(full.n_features)) if columns is None else list(columns)
    name = spec + ("" if rows is None else f"[:{rows}]") + ("" if columns is None else f" x{list(columns)}")
    return make_dataset(
        full.X[:rows, keep], full.y[:rows], name=name, feature_names=[full.feature_names[j] for j in keep]
    )


def measure(spec: tuple[str, int | None, tuple[int, ...] | None], width: int, time_limit: float) -> MinErrorsRow:
    """Minimise errors on one data set at one width and re-check the proof."""
    data = load(*spec)
    start = time.perf_counter()
    result = solve(data, hidden=[width], objective="min_errors", time_limit=time_limit)
    seconds = time.perf_counter() - start
    proven = result.status in (Status.OPTIMAL, Status.FEASIBLE)
    verified = None
    if result.status is Status.OPTIMAL:
        question = Claim.of(data, (width,), lower_bound=result.lower_bound)
        verified = check_proof(result.proof, data, question, thorough=True).ok
    lower = 0 if result.status is Status.FEASIBLE else result.lower_bound
    return MinErrorsRow(data.name, data.n_examples, width, result.status.value, result.errors, lower, proven, verified, seconds)


def main(argv: list[str] | None = None) -> int:
    """Run every (data set, width) and print a table (or one JSON object)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per run (default: 60)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    rows = [measure(spec, width, args.time_limit) for spec in DATASETS for width in WIDTHS]
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "time_limit": args.time_limit, "machine": platform.platform()}))
    else:
        print(f"{'data':<36} {'m':>4} {'h':>2} {'errors':>6} {'bound':>5} {'optimum':>8} {'seconds':>8}")
        for r in rows:
            optimum = "proven" if r.proven else "gap"
            bound = "-" if r.lower_bound is None else r.lower_bound
            print(f"{r.data:<36} {r.examples:>4} {r.hidden:>2} {r.errors!s:>6} {bound!s:>5} {optimum:>8} {r.seconds:>8.1f}")
    return 0 if all(r.proof_verified is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
