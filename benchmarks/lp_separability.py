"""Separability checks per second: the exact LP learner against per-unit ``scipy.optimize.linprog``.

Both sides answer the same question for the same K target columns over the same inputs, in
the same run. The baseline solves, unit by unit, the plain feasibility LP
``t_i (a_i . w + b) >= 1`` on all rows with HiGHS (no certificate, no verification). The
learner merges rows, scales columns, uses row generation, and returns verified separators
or exactly verified certificates.

Run: ``python -m ftprop_exact.benchmarks.lp_separability [--quick] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linprog

from ftprop_exact.solvers.learners.lp import LPLearner


@dataclass(frozen=True)
class BenchRow:
    """One measured configuration."""

    m: int
    n: int
    K: int
    targets: str
    learner_checks_per_second: float
    linprog_checks_per_second: float
    ratio: float  # learner / linprog: > 1 means the learner is faster
    agree: bool


def make_targets(A: np.ndarray, K: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """K target columns: planted hyperplanes with a margin, or random (non-separable) labels."""
    m, n = A.shape
    if kind == "nonseparable":
        return rng.choice(np.array([-1, 1], dtype=np.int8), size=(m, K))
    W = rng.normal(size=(n, K))
    Z = A @ W
    Z -= np.median(Z, axis=0)
    return np.where(Z > 0, 1, -1).astype(np.int8)


def linprog_separable(A: np.ndarray, t: np.ndarray) -> bool:
    """Baseline: one full feasibility LP with HiGHS."""
    m, n = A.shape
    A_ub = -(t[:, None] * np.hstack([A, np.ones((m, 1))]))
    res = linprog(np.zeros(n + 1), A_ub=A_ub, b_ub=-np.ones(m), bounds=(None, None), method="highs")
    return res.status == 0


def measure(m: int, n: int, K: int, kind: str, seed: int = 0) -> BenchRow:
    """Time both methods on the same instance."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n))
    T = make_targets(A, K, kind, rng)
    start = time.perf_counter()
    verdicts = LPLearner().check_layer(A, T)
    learner_s = time.perf_counter() - start
    start = time.perf_counter()
    baseline = [linprog_separable(A, T[:, k]) for k in range(K)]
    linprog_s = time.perf_counter() - start
    agree = all(v.separable == b for v, b in zip(verdicts, baseline))
    return BenchRow(
        m=m,
        n=n,
        K=K,
        targets=kind,
        learner_checks_per_second=K / learner_s,
        linprog_checks_per_second=K / linprog_s,
        ratio=linprog_s / learner_s,
        agree=agree,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the grid m in {1e3, 1e4}, n in {16, 64}, separable and non-separable targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer units per configuration")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--units", type=int, default=None, help="units (K) per configuration")
    args = parser.parse_args(argv)
    K = args.units or (2 if args.quick else 4)
    rows = [
        measure(m, n, K, kind)
        for m in (1_000, 10_000)
        for n in (16, 64)
        for kind in ("separable", "nonseparable")
    ]
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "machine": platform.platform()}))
    else:
        print(f"{'m':>6} {'n':>3} {'K':>3} {'targets':>12} {'lp learner/s':>13} {'linprog/s':>10} {'ratio':>6} agree")
        for r in rows:
            print(
                f"{r.m:>6} {r.n:>3} {r.K:>3} {r.targets:>12} {r.learner_checks_per_second:>13.2f} "
                f"{r.linprog_checks_per_second:>10.2f} {r.ratio:>6.2f} {r.agree}"
            )
    return 0 if all(r.agree for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
