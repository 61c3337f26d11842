"""Few-shot benchmark of the exact-training literature: scikit-learn's digits, N images per class.

For every N (``--per-class``) and seed (``--seeds``) a split draws N training images of each of
the 10 classes (the same split for every row) and tests on all the other images. Every row
(``--rows``; the registry :data:`ROWS`, name -> how to fit) is fitted on the training images
with the same time limit and scored on the test images. Rows:

- ``ftprop-<objective>-<ovr|ovo>``: :class:`~ftprop_exact.classifier.FTPropClassifier` with
  hidden widths ``--hidden`` (default 16), objective ``feasibility`` or ``max_margin``, one
  network with one output unit per class (``ovr``) or one network per pair (``ovo``);
- ``ste``: the full-batch saturated straight-through estimator on the same architecture
  (searcher ``sste``, :mod:`ftprop_exact.solvers.baselines.gradient`);
- ``ftprop-ternary-<ovr|ovo>``, ``ftprop-ternary-min_weight-ovr``: weights in {-1, 0, 1} in every
  layer (the exact whole-network CP-SAT model, ``weights="ternary"``), the latter with the
  fewest non-zero weights;
- ``milp``, ``milp-ternary``: the whole-network big-M MILP baseline
  (:mod:`ftprop_exact.solvers.baselines.milp`), real or ternary weights;
- ``linear-svc``, ``logistic``: scikit-learn's ``LinearSVC`` and ``LogisticRegression`` with
  default settings, as references.

Other rows register with :func:`register_row`. Reported per row and N: mean and standard
deviation of the test accuracy over the seeds, mean fit time, and how many fits had zero
training errors. A fit that raises is recorded with its ``error`` (and left out of the means,
the table says how many failed) instead of ending the run. The results file (``--out``, JSON, written atomically after every fit) makes
a run resumable: fits already in it are not repeated. Progress: one line per fit on stderr.

Run::

    python -m ftprop_exact.benchmarks.fewshot [--per-class 1,2,5,10,20,40] [--seeds 5]
        [--time-limit 60] [--rows ...] [--hidden 16] [--out fewshot.json] [--plot fewshot.png]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ftprop_exact.atomic import write_text_atomic

__all__ = ["ROWS", "Row", "fit_row", "main", "register_row", "split", "summarise"]

PER_CLASS = (1, 2, 5, 10, 20, 40)
"""The training images per class of the full benchmark."""

Fitter = Callable[[np.ndarray, np.ndarray, int, float, tuple[int, ...]], Any]


@dataclass(frozen=True)
class Row:
    """One configuration: ``fit(X, y, seed, time_limit, hidden)`` returns a fitted model with ``predict``."""

    name: str
    fit: Fitter
    description: str


ROWS: dict[str, Row] = {}
"""The registry of rows, by name (in the order they were registered)."""


def register_row(name: str, fit: Fitter, description: str) -> None:
    """Add a row to :data:`ROWS` (a name registered twice is an error)."""
    if name in ROWS:
        raise ValueError(f"few-shot row {name!r} is already registered")
    ROWS[name] = Row(name, fit, description)


def _ftprop(**options: Any) -> Fitter:
    def fit(X: np.ndarray, y: np.ndarray, seed: int, time_limit: float, hidden: tuple[int, ...]) -> Any:
        from ftprop_exact.classifier import FTPropClassifier  # noqa: PLC0415 - rows import what they need

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "using a best-effort network": reported as not exact
            return FTPropClassifier(hidden=hidden, time_limit=time_limit, random_state=seed, **options).fit(X, y)

    return fit


def _sklearn(kind: str) -> Fitter:
    def fit(X: np.ndarray, y: np.ndarray, seed: int, time_limit: float, hidden: tuple[int, ...]) -> Any:
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
        from sklearn.svm import LinearSVC  # noqa: PLC0415

        model = LinearSVC(random_state=seed) if kind == "svc" else LogisticRegression(max_iter=5000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on tiny splits
            return model.fit(X, y)

    return fit


for _objective in ("feasibility", "max_margin"):
    for _multiclass in ("ovr", "ovo"):
        register_row(
            f"ftprop-{_objective}-{_multiclass}",
            _ftprop(objective=_objective, multiclass=_multiclass),
            f"FTPropClassifier, objective {_objective}, multiclass {_multiclass}",
        )
for _multiclass in ("ovr", "ovo"):
    register_row(
        f"ftprop-ternary-{_multiclass}",
        _ftprop(weights="ternary", multiclass=_multiclass),
        f"FTPropClassifier, weights in {{-1, 0, 1}} (exact CP-SAT model), multiclass {_multiclass}",
    )
register_row("ftprop-ternary-min_weight-ovr", _ftprop(weights="ternary", objective="min_weight"), "ternary, fewest non-zero weights")
register_row("ste", _ftprop(searcher="sste"), "saturated straight-through estimator, same architecture (searcher sste)")
register_row("milp", _ftprop(searcher="milp"), "whole-network big-M MILP (HiGHS), same architecture and time limit")
register_row("milp-ternary", _ftprop(searcher="milp", weights="ternary"), "the MILP baseline with weights in {-1, 0, 1}")
register_row("linear-svc", _sklearn("svc"), "scikit-learn LinearSVC (defaults)")
register_row("logistic", _sklearn("logistic"), "scikit-learn LogisticRegression (defaults)")


def split(y: np.ndarray, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows (``per_class`` of every class, drawn with ``seed``) and the test rows (all others)."""
    rng = np.random.default_rng([seed, per_class])
    train = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)])
    train.sort()
    return train, np.setdiff1d(np.arange(y.size), train)


def fit_row(row: Row, X: np.ndarray, y: np.ndarray, per_class: int, seed: int, time_limit: float, hidden: tuple[int, ...]) -> dict[str, Any]:
    """Fit one row on one split; the record of its test accuracy, fit time and training errors."""
    train, test = split(y, per_class, seed)
    start = time.perf_counter()
    try:
        model = row.fit(X[train], y[train], seed, time_limit, hidden)
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result of the benchmark, reported as such
        return {"row": row.name, "per_class": per_class, "seed": seed, "error": f"{type(exc).__name__}: {exc}", "seconds": time.perf_counter() - start}
    seconds = time.perf_counter() - start
    status = getattr(model, "status_", None)
    return {
        "row": row.name,
        "per_class": per_class,
        "seed": seed,
        "accuracy": float(np.mean(model.predict(X[test]) == y[test])),
        "train_errors": int(np.sum(model.predict(X[train]) != y[train])),
        "status": None if status is None else status.value,
        "seconds": seconds,
        "train": int(train.size),
        "test": int(test.size),
    }


def summarise(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (row, N): fits, mean and std of the test accuracy, mean fit time, fits with zero training errors."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["row"], r["per_class"]), []).append(r)
    out = []
    for (row, n), every in groups.items():
        rs = [r for r in every if "error" not in r]
        acc = [r["accuracy"] for r in rs]
        out.append(
            {
                "row": row,
                "per_class": n,
                "fits": len(rs),
                "failed": len(every) - len(rs),
                "accuracy_mean": statistics.fmean(acc) if acc else math.nan,
                "accuracy_std": statistics.pstdev(acc) if len(acc) > 1 else 0.0,
                "seconds_mean": statistics.fmean(r["seconds"] for r in rs) if rs else math.nan,
                "zero_train_errors": sum(r["train_errors"] == 0 for r in rs),
            }
        )
    return out


def table(summary: list[dict[str, Any]]) -> str:
    """Markdown table: one line per row, one column per N (accuracy mean ± std, mean seconds)."""
    ns = sorted({s["per_class"] for s in summary})
    rows = list(dict.fromkeys(s["row"] for s in summary))
    cell = {(s["row"], s["per_class"]): s for s in summary}
    lines = ["| row | " + " | ".join(f"N={n}" for n in ns) + " |", "| --- |" + " --- |" * len(ns)]
    for row in rows:
        cells = []
        for n in ns:
            s = cell.get((row, n))
            if s is None or not s["fits"]:
                cells.append("-" if s is None else f"all {s['failed']} fits failed")
                continue
            failed = f", {s['failed']} failed" if s.get("failed") else ""
            cells.append(f"{s['accuracy_mean']:.3f} ± {s['accuracy_std']:.3f} ({s['seconds_mean']:.1f} s{failed})")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers; got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers; got {text!r}")
    return values


def _load(path: str | None, config: dict[str, Any]) -> list[dict[str, Any]]:
    """Records of an earlier run with the same configuration (resuming), else none."""
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        earlier = json.load(handle)
    same = all(earlier.get("config", {}).get(k) == config[k] for k in ("time_limit", "hidden"))
    return list(earlier.get("records", [])) if same else []


def main(argv: list[str] | None = None) -> int:
    """Command line: run the fits, print the markdown table; exit 2 on bad arguments."""
    parser = argparse.ArgumentParser(prog="python -m ftprop_exact.benchmarks.fewshot", description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=_int_list, default=PER_CLASS, metavar="N[,N...]", help="training images per class (default 1,2,5,10,20,40)")
    parser.add_argument("--seeds", type=int, default=5, help="splits per N, seeds 0..S-1 (default 5)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per fit (default 60)")
    parser.add_argument("--hidden", type=_int_list, default=(16,), metavar="W[,W...]", help="hidden widths (default 16)")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated rows (default: all of {', '.join(ROWS)})")
    parser.add_argument("--out", metavar="FILE", help="results JSON, written atomically after every fit; resumed if present")
    parser.add_argument("--plot", metavar="FILE", help="PNG of the mean test accuracy against N (needs matplotlib)")
    parser.add_argument("--quiet", action="store_true", help="no per-fit lines on stderr")
    args = parser.parse_args(argv)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown or args.seeds < 1 or not args.time_limit > 0:
        parser.error(f"bad arguments (unknown rows: {unknown}, known: {', '.join(ROWS)}; need --seeds >= 1, --time-limit > 0)")
    from sklearn.datasets import load_digits  # noqa: PLC0415

    X, y = load_digits(return_X_y=True)
    config = {"data": "digits", "time_limit": args.time_limit, "hidden": list(args.hidden), "per_class": list(args.per_class), "seeds": args.seeds, "rows": rows}
    records = _load(args.out, config)
    done = {(r["row"], r["per_class"], r["seed"]) for r in records}
    jobs = [(row, n, s) for n in args.per_class for s in range(args.seeds) for row in rows if (row, n, s) not in done]
    for i, (row, n, seed) in enumerate(jobs, 1):
        record = fit_row(ROWS[row], X, y, n, seed, args.time_limit, tuple(args.hidden))
        records.append(record)
        if args.out:
            write_text_atomic(args.out, json.dumps({"config": config, "records": records}, indent=1) + "\n")
        if not args.quiet:
            done_line = record["error"] if "error" in record else (
                f"accuracy {record['accuracy']:.3f}, train errors {record['train_errors']}, {record['seconds']:.1f} s"
            )
            print(f"c [{i}/{len(jobs)}] {row} N={n} seed={seed}: {done_line}", file=sys.stderr, flush=True)
    wanted = [r for r in records if r["row"] in rows and r["per_class"] in args.per_class and r["seed"] < args.seeds]
    summary = summarise(wanted)
    print(table(summary))
    if args.plot:
        from ftprop_exact.benchmarks.plots import accuracy_plot  # noqa: PLC0415 - needs matplotlib

        print(f"plot: {accuracy_plot(summary, args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
