"""Large-margin hidden targets first: start from the linear max-margin separators of the data.

A heuristic of ``objective="max_margin"`` (the exact part is the per-unit refit,
:mod:`ftprop_exact.solvers.objectives.margin`). On nearly separable data a first-layer unit
that copies a linear max-margin separator of the classes has the largest first-layer margin
any unit with those targets can have, and if those units already tell the classes apart the
output layer is separable from their codes. So before any search the first hidden layer's
targets are the signs of, in this order:

1. one linear SVM per output unit (class against the rest; binary: the one split), hard
   margin where the split is separable (decided by the exact LP), else a soft margin
   (``LinearSVC``, C = 1);
2. with more than two classes, one SVM per pair of classes, trained on the two classes and
   applied to every row, the pairs with the smallest margin (the hardest to tell apart) first;

repeated cyclically when the layer is wider than the list. A deeper hidden layer copies the
layer below (unit ``j`` copies unit ``j mod width``). If every unit of every layer is then
separable (checked by the learner, the network verified like any other), the run is
FEASIBLE at once; otherwise the wrapped searcher runs as usual (its network's units are
refitted to their maximum margins afterwards all the same). Above :data:`MAX_START_ROWS`
distinct rows the start is skipped.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.objectives.margin import hard_margin_separator
from ftprop_exact.solvers.registry import capabilities_of
from ftprop_exact.solvers.assemble import LayerFit
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome, TargetSearcher
from ftprop_exact.status import Status

__all__ = ["MAX_START_ROWS", "MarginStartSearcher", "fit_distinct_columns", "linear_direction", "margin_start_targets"]


def linear_direction(A: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(w, b, margin)`` of the max-margin separator of ``t`` (soft margin, negative, if not separable)."""
    if LPLearner().check(A, t).separable:
        verdict = hard_margin_separator(A, t)
        if verdict is not None:
            return verdict.weights, float(verdict.bias), float(verdict.margin)
    from sklearn.svm import LinearSVC  # noqa: PLC0415 - slow import, only needed here

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: a heuristic direction
        svm = LinearSVC(C=1.0, max_iter=5000).fit(A, t)
    sign = 1.0 if svm.classes_[1] > 0 else -1.0
    w, b = sign * svm.coef_[0], sign * float(svm.intercept_[0])
    norm = float(np.linalg.norm(w)) or 1.0
    return w, b, float(np.min(t * (A @ w + b))) / norm


def _signs(A: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.where(A @ w + b > 0, 1, -1).astype(np.int8)


def _first_layer_columns(problem: Problem, deadline: Deadline | None) -> list[np.ndarray]:
    """The candidate first-layer target columns, in the order of the module docstring."""
    X, Y = problem.X, problem.Y
    columns = []
    for c in range(Y.shape[1]):
        if np.all(Y[:, c] == Y[0, c]):
            continue
        w, b, _ = linear_direction(X, Y[:, c])
        columns.append(_signs(X, w, b))
    if Y.shape[1] > 1:
        labels = np.argmax(Y, axis=1)
        pairs = []
        for i in range(Y.shape[1]):
            for j in range(i + 1, Y.shape[1]):
                if deadline is not None and deadline.expired():
                    break
                rows = np.flatnonzero((labels == i) | (labels == j))
                if np.unique(labels[rows]).size < 2:
                    continue
                w, b, margin = linear_direction(X[rows], np.where(labels[rows] == i, 1, -1))
                pairs.append((margin, i, j, _signs(X, w, b)))
        columns += [column for *_, column in sorted(pairs, key=lambda p: p[:3])]
    return columns


MAX_START_ROWS = 20_000
"""Distinct rows above which no start targets are tried (the SVM fits cannot be interrupted)."""


def margin_start_targets(problem: Problem, deadline: Deadline | None = None) -> list[np.ndarray] | None:
    """Hidden targets from linear max-margin separators (module docstring); None without hidden
    layers or with more than :data:`MAX_START_ROWS` distinct rows."""
    if not problem.hidden or problem.n_rows > MAX_START_ROWS:
        return None
    columns = _first_layer_columns(problem, deadline) or [np.ones(problem.n_rows, dtype=np.int8)]
    targets = [np.column_stack([columns[j % len(columns)] for j in range(problem.hidden[0])])]
    for width in problem.hidden[1:]:
        below = targets[-1]
        targets.append(below[:, [j % below.shape[1] for j in range(width)]].copy())
    return targets


def fit_distinct_columns(problem: Problem, hidden_targets: list[np.ndarray], learner: SeparabilityLearner) -> LayerFit:
    """:func:`~ftprop_exact.solvers.assemble.fit_layers`, each distinct target column of a layer checked once.

    The start targets repeat columns (copies); a copy gets the verdict of its original.
    """
    verdicts = []
    for d in range(problem.depth):
        T = problem.layer_targets(d, hidden_targets)
        _, first, inverse = np.unique(T, axis=1, return_index=True, return_inverse=True)
        checked = learner.check_layer(problem.layer_inputs(d, hidden_targets), T[:, first])
        verdicts.append(tuple(checked[i] for i in np.asarray(inverse).reshape(-1)))
    return LayerFit(tuple(verdicts))


class MarginStartSearcher:
    """Try the large-margin start targets, then the wrapped searcher.

    Parameters
    ----------
    inner : TargetSearcher
        The searcher run when the start targets do not fit (its name and capabilities are
        this searcher's).
    """

    def __init__(self, inner: TargetSearcher) -> None:
        self.inner = inner
        self.name = inner.name
        self.capabilities = capabilities_of(inner)

    def __getattr__(self, name: str) -> Any:  # objective, options, ... of the wrapped searcher
        return getattr(self.__dict__["inner"], name)

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """The start targets; if they do not fit, ``inner.search`` (``stats["margin_start"]`` says which)."""
        targets = margin_start_targets(problem, deadline)
        if targets is not None and not deadline.expired():
            incumbent.offer_targets(targets, fit_distinct_columns(problem, targets, learner))
            if incumbent.exact:
                return SearchOutcome(Status.FEASIBLE, stats={"margin_start": "fits"})
        outcome = self.inner.search(problem, learner, deadline, incumbent, rng)
        return SearchOutcome(outcome.status, outcome.proof, {**outcome.stats, "margin_start": "searched"})
