"""Integer-weight networks on few-shot digits: the exact CP-SAT engine against the whole-network MILP.

Run: ``python -m ftprop_exact.benchmarks.integer_fewshot [--per-class N] [--seeds S] [--time-limit S] [--json] [--out FILE]``.

scikit-learn's ``digits`` (8x8 images, features 0..16): ``N`` training images per class
drawn with each seed, every other image for testing. Each row runs
:func:`ftprop_exact.solve` with the same weight domain and time limit: the exact engine (``cpsat-int``; feasibility and ``min_weight``) and the MILP baseline
(``milp``, integrality on every weight), with one hidden layer of 16 units and without hidden
layers (one output unit per class, "ovr"); ``LinearSVC`` is the real-weights reference. The
table lists the training errors, the test accuracy, the non-zero weights and the fit time,
mean over the seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.datasets import load_digits
from sklearn.svm import LinearSVC

from ftprop_exact.api import solve
from ftprop_exact.weights import nonzero_weights

# (row name, searcher, hidden, objective)
METHODS = (
    ("cpsat-int h16", "cpsat-int", (16,), "feasibility"),
    ("cpsat-int h16 min_weight", "cpsat-int", (16,), "min_weight"),
    ("milp h16", "milp", (16,), "feasibility"),
    ("cpsat-int ovr", "cpsat-int", (), "feasibility"),
    ("cpsat-int ovr min_weight", "cpsat-int", (), "min_weight"),
    ("milp ovr", "milp", (), "feasibility"),
)


@dataclass(frozen=True)
class FewShotRow:
    """One method on one split."""

    method: str
    seed: int
    status: str
    train_errors: int
    test_accuracy: float
    nonzero_weights: int | None
    seconds: float


def split(per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``per_class`` training images of every digit (drawn with ``seed``); the rest for testing."""
    digits = load_digits()
    rng = np.random.default_rng(seed)
    train = np.concatenate([rng.choice(np.flatnonzero(digits.target == c), per_class, replace=False) for c in range(10)])
    test = np.setdiff1d(np.arange(digits.target.size), train)
    return digits.data[train], digits.target[train], digits.data[test], digits.target[test]


def run_method(name: str, searcher: str, hidden: tuple[int, ...], objective: str, data: tuple, seed: int, weights: str, time_limit: float) -> FewShotRow:
    """Solve once with this searcher, objective and weight domain; measure the network found.

    Without a network (UNKNOWN before any was found) every example is predicted as the most
    frequent training class (what :class:`FTPropClassifier` falls back to for integer domains).
    """
    X, y, X_test, y_test = data
    started = time.perf_counter()
    result = solve(X, y, hidden=hidden, searcher=searcher, objective=objective, weights=weights, time_limit=time_limit, random_state=seed)
    seconds = time.perf_counter() - started
    network = result.network

    def predict(A: np.ndarray) -> np.ndarray:
        return network.predict(A) if network is not None else np.full(A.shape[0], np.bincount(y).argmax())

    return FewShotRow(
        name,
        seed,
        result.status.value,
        int(np.sum(predict(X) != y)),
        float(np.mean(predict(X_test) == y_test)),
        None if network is None else nonzero_weights(network),
        round(seconds, 2),
    )


def reference_row(data: tuple, seed: int) -> FewShotRow:
    """LinearSVC (real weights), for reference."""
    X, y, X_test, y_test = data
    started = time.perf_counter()
    svc = LinearSVC(dual="auto", max_iter=20_000).fit(X, y)
    return FewShotRow(
        "LinearSVC (real)",
        seed,
        "-",
        int(np.sum(svc.predict(X) != y)),
        float(np.mean(svc.predict(X_test) == y_test)),
        int(np.count_nonzero(svc.coef_)),
        round(time.perf_counter() - started, 2),
    )


def summary(rows: list[FewShotRow]) -> list[dict]:
    """Mean and standard deviation over the seeds, per method."""
    out = []
    for method in dict.fromkeys(r.method for r in rows):
        mine = [r for r in rows if r.method == method]
        acc = np.array([r.test_accuracy for r in mine])
        out.append(
            {
                "method": method,
                "fits": sum(r.train_errors == 0 for r in mine),
                "splits": len(mine),
                "test_accuracy_mean": round(float(acc.mean()), 4),
                "test_accuracy_std": round(float(acc.std()), 4),
                "nonzero_weights_mean": _mean([r.nonzero_weights for r in mine if r.nonzero_weights is not None]),
                "seconds_mean": round(float(np.mean([r.seconds for r in mine])), 1),
            }
        )
    return out


def _mean(values: list[int]) -> float | None:
    return round(float(np.mean(values)), 1) if values else None


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--weights", default="ternary")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    rows: list[FewShotRow] = []
    for seed in range(args.seeds):
        data = split(args.per_class, seed)
        rows.append(reference_row(data, seed))
        for name, searcher, hidden, objective in METHODS:
            print(f"seed {seed}: {name} ...", file=sys.stderr, flush=True)
            rows.append(run_method(name, searcher, hidden, objective, data, seed, args.weights, args.time_limit))
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    table = summary(rows)
    document = {"per_class": args.per_class, "weights": args.weights, "time_limit": args.time_limit, "summary": table, "rows": [asdict(r) for r in rows]}
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)
    if args.json:
        print(json.dumps(document))
        return 0
    print("| method | fits (0 train errors) | test accuracy | non-zero weights | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for t in table:
        print(f"| {t['method']} | {t['fits']}/{t['splits']} | {t['test_accuracy_mean']:.3f} +- {t['test_accuracy_std']:.3f} | {t['nonzero_weights_mean']} | {t['seconds_mean']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
