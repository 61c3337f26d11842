"""Brute force over every integer-weight network of one hidden layer (tiny data): the test oracle.

Independent of the engine: exact rational arithmetic on the data as given (``Fraction`` of
each float, no common scale), and bias ranges three times wider than the engine's lossless
range (so the oracle also tests that the engine's narrower range loses nothing).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np


def _columns(X: np.ndarray, K: int) -> set[tuple[bool, ...]]:
    """Every output column (``z > 0`` per row) of one unit with integer ``|w| <= K`` on ``X``."""
    rows = [[Fraction(float(v)) for v in row] for row in X]
    reach = max(sum(abs(v) for v in row) for row in rows) * K
    wide = 3 * (int(reach) + 1)
    columns = set()
    for w in itertools.product(range(-K, K + 1), repeat=X.shape[1]):
        dots = [sum(wp * xp for wp, xp in zip(w, row)) for row in rows]
        for b in range(-wide, wide + 1):
            columns.add(tuple(dot + b > 0 for dot in dots))
    return columns


def _output_fits(S: np.ndarray, labels: np.ndarray, K: int, activation: str) -> bool:
    """Does some integer output unit (``|w| <= K``, any bias in a wide range) give every row its label?"""
    h = S.shape[1]
    H = S if activation == "sign" else (S + 1) // 2
    wide = 3 * (K * h + 1)
    weights = np.array(list(itertools.product(range(-K, K + 1), repeat=h)), dtype=np.int64)  # (M, h)
    Z = H @ weights.T  # (m, M), exact integers
    want = labels > 0
    for b in range(-wide, wide + 1):
        if np.any(np.all((Z + b > 0) == want[:, None], axis=0)):
            return True
    return False


def integer_network_exists(X: np.ndarray, labels: np.ndarray, hidden: int, K: int = 1, activation: str = "sign") -> bool:
    """True iff a network with ``hidden`` units (0: a single unit) and integer weights ``|w| <= K`` fits.

    Parameters
    ----------
    X : ndarray of shape (m, n)
        Features as given (floats; tiny: n <= 3).
    labels : ndarray of shape (m,)
        +-1 labels of one output unit.
    hidden : int
        Width of the one hidden layer (0: none).
    K : int
        Weight bound (1: ternary).
    activation : {"sign", "step"}
        Hidden activation.
    """
    labels = np.asarray(labels)
    columns = sorted(_columns(np.asarray(X, dtype=np.float64), K))
    target = tuple(bool(t > 0) for t in labels)
    if hidden == 0:
        return target in set(columns)
    for chosen in itertools.combinations_with_replacement(range(len(columns)), hidden):
        S = np.array([[1 if columns[c][i] else -1 for c in chosen] for i in range(len(labels))], dtype=np.int64)
        if _output_fits(S, labels, K, activation):
            return True
    return False
