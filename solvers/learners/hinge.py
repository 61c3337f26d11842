"""Hinge-loss fits of units whose targets are not separable (memory linear in the rows).

A non-separable unit still needs weights: the best network of an UNKNOWN answer, and the
starting point of a flip search, use the weights minimising the weighted hinge loss
``sum_i c_i max(0, 1 - t_i (a_i . w + b))``. :func:`fit_hinge` first merges identical
``(a_i, t_i)`` pairs (adding their weights: hidden layers have few distinct +-1 patterns),
then

- solves the hinge LP exactly with HiGHS when at most :data:`LP_ROWS` pairs remain (a
  sparse LP: ``n + 1 + r`` variables, ``r`` rows);
- otherwise runs liblinear's dual coordinate descent (scikit-learn ``LinearSVC``, hinge
  loss, sample weights), a solver made for exactly this loss: O(r n) time per epoch and
  O(r n) memory, with the number of epochs sized against the time limit before it starts
  (liblinear cannot be interrupted). Its objective adds ``||w||^2 / 2C``, a negligible
  regulariser at :data:`SVM_C` on data of this size.

Either way the answer is a heuristic fit, never a verdict: nothing exact depends on it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import sparse

from ftprop_exact.rows import group_identical_rows
from ftprop_exact.solvers.learners.highs import linprog

__all__ = ["LP_ROWS", "SVM_C", "fit_hinge", "liblinear_epochs"]

LP_ROWS = 2000
"""Distinct (row, target) pairs up to which the hinge LP is solved exactly by HiGHS."""

SVM_C = 1.0
"""liblinear's ``C`` (weight of the hinge terms against ``||w||^2 / 2``)."""

_SECONDS_PER_CELL = 2.5e-8  # a conservative liblinear epoch cost per stored input value
_MAX_EPOCHS = 1000
_MIN_EPOCHS = 2


def liblinear_epochs(rows: int, n: int, time_limit: float | None) -> int:
    """Epochs of liblinear that fit in ``time_limit`` seconds (at least 2, at most 1000).

    Examples
    --------
    >>> liblinear_epochs(100_000, 64, 1.0), liblinear_epochs(100, 4, None)
    (6, 1000)
    """
    if time_limit is None or not math.isfinite(time_limit):
        return _MAX_EPOCHS
    per_epoch = max(rows * (n + 1) * _SECONDS_PER_CELL, 1e-6)
    return int(min(_MAX_EPOCHS, max(_MIN_EPOCHS, time_limit // per_epoch)))


def _merge_pairs(A: np.ndarray, t: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Identical ``(a_i, t_i)`` pairs merged, their weights added (the loss is unchanged)."""
    groups = group_identical_rows(np.column_stack([A, t]))
    if groups.n_groups == A.shape[0]:
        return A, t, c
    weights = np.bincount(groups.inverse, weights=c, minlength=groups.n_groups)
    return A[groups.first_index], t[groups.first_index], weights


def _hinge_lp(A: np.ndarray, t: np.ndarray, c: np.ndarray, time_limit: float | None) -> tuple[np.ndarray, float] | None:
    """The exact hinge optimum by a sparse LP (None when HiGHS stops without it)."""
    m, n = A.shape
    cost = np.concatenate([np.zeros(n + 1), c])
    A_ub = sparse.hstack(
        [sparse.csr_matrix(-t[:, None] * A), sparse.csr_matrix(-t[:, None]), -sparse.identity(m, format="csr")]
    )
    bounds = [(None, None)] * (n + 1) + [(0, None)] * m
    options = {} if time_limit is None else {"time_limit": max(0.01, float(time_limit))}
    res = linprog(cost, A_ub=A_ub, b_ub=-np.ones(m), bounds=bounds, method="highs", options=options)
    if res.status != 0:
        return None
    return res.x[:n], float(res.x[n])


def _hinge_liblinear(A: np.ndarray, t: np.ndarray, c: np.ndarray, time_limit: float | None) -> tuple[np.ndarray, float]:
    """liblinear's hinge fit (dual coordinate descent) within about ``time_limit`` seconds."""
    from sklearn.svm import LinearSVC

    if np.all(t == t[0]):  # one class: liblinear refuses; a constant unit is optimal
        return np.zeros(A.shape[1]), float(t[0])
    epochs = liblinear_epochs(A.shape[0], A.shape[1], time_limit)
    scale = float(np.max(np.abs(A))) or 1.0
    svm = LinearSVC(loss="hinge", dual=True, C=SVM_C, max_iter=epochs, intercept_scaling=scale, tol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epoch cap is deliberate
        svm.fit(A, t, sample_weight=c)
    w = np.asarray(svm.coef_[0], dtype=np.float64)
    b = float(svm.intercept_[0])
    return (w, b) if svm.classes_[1] > 0 else (-w, -b)


def fit_hinge(
    A: np.ndarray, t: np.ndarray, sample_weight: np.ndarray | None = None, time_limit: float | None = None
) -> tuple[np.ndarray, float]:
    """Weights minimising the (weighted) hinge loss ``sum c_i max(0, 1 - t_i (a_i . w + b))``.

    Used for units whose targets are not separable, to build the best network available.
    Time and memory are linear in the rows (see the module docstring).

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs.
    t : ndarray of shape (m,)
        Targets in {-1, +1}.
    sample_weight : ndarray of shape (m,), optional
        Row weights ``c`` (e.g. multiplicities of merged rows); default 1.
    time_limit : float, optional
        Seconds: HiGHS stops there, and liblinear's epochs are sized to it.

    Returns
    -------
    (ndarray of shape (n,), float)
        Weights and bias (zeros when neither solver gives a fit).

    Examples
    --------
    >>> A = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> w, b = fit_hinge(A, np.array([-1, -1, 1, 1]))
    >>> (np.sign(A[:, 0] * w[0] + b)).tolist()
    [-1.0, -1.0, 1.0, 1.0]
    """
    A = np.asarray(A, dtype=np.float64)
    n = A.shape[1]
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    c = np.ones(A.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    keep = c > 0
    if not keep.any():
        return np.zeros(n), 0.0
    A, t, c = _merge_pairs(A[keep], t[keep], c[keep])
    if A.shape[0] <= LP_ROWS:
        fitted = _hinge_lp(A, t, c, time_limit)
        if fitted is not None:
            return fitted
        return np.zeros(n), 0.0
    return _hinge_liblinear(A, t, c, time_limit)
