"""Row generation benchmark: large planted teachers and an infeasible core hidden in many rows.

Every instance runs twice through :func:`ftprop_exact.solve`, with the active set
(``rows="active"``) and without it (``rows="all"``), same searcher, seed and time limit.
Instances:

- planted teachers (:func:`~ftprop_exact.benchmarks.generators.planted_teacher`) of
  10,000-50,000 rows: FEASIBLE by construction;
- :func:`parity_core_among`: a planted teacher of hidden width ``w`` with a ``w + 1``-bit
  parity cube added in a small 3-dimensional corner of the input space. One hidden layer
  needs ``w + 1`` units for ``w + 1``-bit parity, so the whole data is INFEASIBLE at width
  ``w``, and only the cube's rows (a handful among thousands) show it.

Run::

    python -m ftprop_exact.benchmarks.row_generation [--time-limit S] [--quick] [--json]

Reported per run: the verdict, seconds (wall, in process), the working set (distinct rows)
and the number of rounds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from ftprop_exact.api import solve
from ftprop_exact.benchmarks.generators import planted_teacher

__all__ = ["RowRun", "SPECS", "main", "parity_core_among", "run"]

# (name, n_features, n_examples, hidden, core bits or 0)
SPECS: tuple[tuple[str, int, int, tuple[int, ...], int], ...] = (
    ("teacher-10k-10-h3", 10, 10_000, (3,), 0),
    ("teacher-20k-12-h3", 12, 20_000, (3,), 0),
    ("teacher-50k-12-h3", 12, 50_000, (3,), 0),
    ("teacher-20k-8-h4", 8, 20_000, (4,), 0),
    ("teacher-50k-50-h3", 50, 50_000, (3,), 0),
    ("core-20k-8-h1", 8, 20_000, (1,), 2),
    ("core-20k-8-h2", 8, 20_000, (2,), 3),
)
QUICK = ("teacher-10k-10-h3", "core-20k-8-h1")


@dataclass(frozen=True)
class RowRun:
    """One run: an instance with or without the active set."""

    instance: str
    rows: str
    status: str
    seconds: float
    working_set: int | None
    rounds: int | None
    errors: int | None


def parity_core_among(
    n_features: int, n_examples: int, width: int, rng: np.random.Generator, bits: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A planted teacher of hidden ``(width,)`` plus a ``bits``-bit parity cube (default ``width + 1``).

    The cube's ``2**bits`` rows vary in the first ``bits`` features (values ``c +- 0.05``),
    every other feature fixed at the data's mean, so any one-hidden-layer network restricted
    to them computes a network on the ``bits``-cube: with ``width < bits`` units it cannot
    compute parity (docs/exact_search.md), and no network of width ``width`` fits the data.

    Returns
    -------
    X : ndarray of shape (n_examples + 2**bits, n_features)
    y : ndarray of {0, 1}
    """
    bits = width + 1 if bits is None else bits
    if bits > n_features:
        raise ValueError(f"a {bits}-bit core needs at least {bits} features; got {n_features}")
    X, y, _ = planted_teacher(n_features, n_examples, (width,), rng)
    corners = np.array(list(itertools.product((-1.0, 1.0), repeat=bits)))
    core = np.tile(X.mean(axis=0), (corners.shape[0], 1))
    core[:, :bits] += 0.05 * corners
    labels = ((corners > 0).sum(axis=1) % 2).astype(y.dtype)
    return np.vstack([X, core]), np.r_[y, labels]


def instance(spec: tuple[str, int, int, tuple[int, ...], int], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The data of one spec."""
    _, n, m, hidden, core = spec
    rng = np.random.default_rng(seed)
    if core:
        return parity_core_among(n, m, hidden[0], rng, core)
    X, y, _ = planted_teacher(n, m, hidden, rng)
    return X, y


def run(spec: tuple[str, int, int, tuple[int, ...], int], rows: str, searcher: str, time_limit: float, seed: int = 0) -> RowRun:
    """Solve one instance with ``rows`` ("active" or "all")."""
    X, y = instance(spec, seed)
    start = time.perf_counter()
    result = solve(X, y, hidden=spec[3], searcher=searcher, rows=rows, time_limit=time_limit, random_state=seed)
    seconds = time.perf_counter() - start
    return RowRun(
        spec[0], rows, result.status.value, round(seconds, 2),
        result.stats.get("working_set"), result.stats.get("active_rounds"), result.errors,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--searcher", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--only", nargs="*", help="instance names to run")
    parser.add_argument("--modes", nargs="+", choices=("active", "all"), default=["active", "all"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    specs = [s for s in SPECS if (not args.quick or s[0] in QUICK) and (not args.only or s[0] in args.only)]
    runs = [run(spec, rows, args.searcher, args.time_limit, args.seed) for spec in specs for rows in args.modes]
    if args.json:
        json.dump([asdict(r) for r in runs], sys.stdout, indent=1)
        print()
        return 0
    print(f"{'instance':<20} {'rows':<7} {'verdict':<11} {'seconds':>8} {'working set':>12} {'rounds':>7}")
    for r in runs:
        print(f"{r.instance:<20} {r.rows:<7} {r.status:<11} {r.seconds:>8.2f} {r.working_set or '-':>12} {r.rounds or '-':>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
