"""Row samples for the warm starts: O(sample x n) per epoch however many rows the data has."""

from __future__ import annotations

import numpy as np

from ftprop_exact.problem import Problem

__all__ = ["WARM_ROWS", "warm_rows"]

WARM_ROWS = 8192
"""Distinct rows a warm start trains on at most (a uniform sample beyond that)."""


def warm_rows(
    problem: Problem, rng: np.random.Generator | None, size: int = WARM_ROWS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows a warm start trains on: all of them, or a uniform sample of ``size``.

    Parameters
    ----------
    problem : Problem
        Distinct rows ``X``, labels ``Y`` and multiplicities ``counts``.
    rng : numpy.random.Generator or None
        Draws the sample (None: a fixed seed, so the start stays reproducible).
    size : int, default=WARM_ROWS
        Largest sample.

    Returns
    -------
    (ndarray of shape (k, n), ndarray of shape (k, outputs), ndarray of shape (k,))
        Inputs, labels and multiplicities of the rows kept (in their original order).

    Examples
    --------
    >>> import numpy as np
    >>> from ftprop_exact.data import make_dataset
    >>> p = Problem.build(make_dataset(np.arange(20.0)[:, None], np.arange(20) % 2), (2,), "sign")
    >>> [a.shape[0] for a in warm_rows(p, np.random.default_rng(0), size=8)]
    [8, 8, 8]
    """
    if size < 1:
        raise ValueError(f"the sample size must be positive; got {size!r}")
    X, Y, counts = problem.X, np.asarray(problem.Y), problem.counts
    if X.shape[0] <= size:
        return X, Y, counts
    rng = rng if rng is not None else np.random.default_rng(0)
    rows = np.sort(rng.choice(X.shape[0], size=size, replace=False))
    return X[rows], Y[rows], counts[rows]
