"""Unit-by-unit descent on the last hidden layer of a ``qrelu:K`` network (FTPROP with level intervals).

With the output units and every other hidden unit held fixed, the labels ask each row for
a *set* of levels of hidden unit ``j``: output ``k`` is right on row ``i`` iff
``y_ik (v_kj h + r_ik) > 0`` (``r_ik`` the rest of its pre-activation), which bounds ``h``
from below when ``y_ik v_kj > 0`` and from above when it is negative. The intersection over
the outputs is an interval ``[low_i, high_i]`` of levels, and asking unit ``j`` for it is
one LP over the unit's inputs (:func:`~ftprop_exact.solvers.learners.levels.fit_level_interval`,
least weighted slack). The unit's new levels are the ones its fitted weights compute, so
every hidden unit stays feasible by construction and only the output layer can fail; the
output units are refitted (hinge) after every unit. This is the paper's heuristic made
exact per unit: rows move their level the way that lowers the downstream loss, as far as
a linear unit allows, and rows already right keep a level that stays right.

Rows no level of unit ``j`` can fix ask nothing of it. A round visits every unit in a
random order; the descent stops after ``patience`` rounds without fewer output errors.
It finds networks; it never proves anything.
"""

from __future__ import annotations

import numpy as np

from ftprop_exact.activations import apply_activation
from ftprop_exact.budget import Deadline
from ftprop_exact.solvers.learners.hinge import fit_hinge
from ftprop_exact.solvers.learners.levels import fit_level_interval

__all__ = ["descend_levels", "fit_outputs", "level_intervals"]


def fit_outputs(H: np.ndarray, Y: np.ndarray, counts: np.ndarray, deadline: Deadline) -> tuple[np.ndarray, np.ndarray, float]:
    """Hinge fit of every output unit over the levels ``H``; returns ``(V, c, weighted errors)``."""
    fits = [fit_hinge(H, Y[:, k], counts, max(deadline.remaining(), 0.1)) for k in range(Y.shape[1])]
    V = np.vstack([w for w, _ in fits])
    c = np.array([b for _, b in fits])
    return V, c, _errors(H, V, c, Y, counts)


def level_intervals(
    H: np.ndarray, j: int, V: np.ndarray, c: np.ndarray, Y: np.ndarray, n_levels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The levels of unit ``j`` that make every output right on each row, others held fixed.

    Parameters
    ----------
    H : ndarray of shape (m, width)
        Current levels of the layer.
    j : int
        The unit.
    V : ndarray of shape (outputs, width)
    c : ndarray of shape (outputs,)
    Y : ndarray of shape (m, outputs)
        Labels in {-1, +1}.
    n_levels : int
        K.

    Returns
    -------
    (low, high, possible) : ndarrays of shape (m,)
        Level bounds clipped to ``0..K-1``; ``possible`` is False on rows no level fixes
        (their bounds are ``0, K-1``: they ask nothing).

    Examples
    --------
    One output ``h0 - 1.5 > 0`` wanted on row 0 and ``< 0`` on row 1:

    >>> low, high, ok = level_intervals(np.zeros((2, 1)), 0, np.array([[1.0]]), np.array([-1.5]),
    ...                                 np.array([[1.0], [-1.0]]), 4)
    >>> low.tolist(), high.tolist(), ok.tolist()
    ([2.0, 0.0], [3.0, 1.0], [True, True])
    """
    top = float(n_levels - 1)
    rest = H @ V.T + c - np.outer(H[:, j], V[:, j])  # (m, outputs)
    a = Y * V[:, j]  # coefficient of h in y (v h + r)
    b = Y * rest
    with np.errstate(divide="ignore", invalid="ignore"):
        edge = -b / a
    low = np.where(a > 0, np.floor(edge) + 1.0, -np.inf)
    high = np.where(a < 0, np.ceil(edge) - 1.0, np.inf)
    never = (a == 0) & (b <= 0)
    low, high = low.max(axis=1), high.min(axis=1)
    low, high = np.clip(low, 0.0, top + 1.0), np.clip(high, -1.0, top)
    possible = (low <= high) & ~never.any(axis=1)
    return np.where(possible, low, 0.0), np.where(possible, high, top), possible


def descend_levels(
    A: np.ndarray,
    H: np.ndarray,
    Y: np.ndarray,
    counts: np.ndarray,
    activation: str,
    n_levels: int,
    deadline: Deadline,
    rng: np.random.Generator,
    patience: int = 3,
    boost: float = 0.0,
    margin: float = 0.01,
) -> tuple[np.ndarray, float]:
    """Unit-by-unit interval fits of the layer with inputs ``A`` and levels ``H``.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        The layer's inputs (``X`` or the previous layer's levels).
    H : ndarray of shape (m, width)
        Start levels (not modified).
    Y : ndarray of shape (m, outputs)
        Labels in {-1, +1}.
    counts : ndarray of shape (m,)
        Row multiplicities.
    activation : str
        ``"qrelu:K"``.
    n_levels : int
        K.
    deadline : Deadline
    rng : numpy.random.Generator
        Order of the units in each round.
    patience : int, default=3
        Rounds without fewer output errors before it stops.
    boost : float, default=0.0
        After every round, each row some output still gets wrong gains ``boost`` times
        its count in the weights of the fits (breakout weighting; 0 keeps the counts).
    margin : float, default=0.01
        Distance kept from the step boundaries in the unit fits (small margins measured
        best: a unit's level lines must sit close to the rows they separate).

    Returns
    -------
    (ndarray of shape (m, width), float)
        The levels with the fewest output errors seen (every column computed by its own
        unit weights) and that weighted error count.
    """
    H = np.asarray(H, dtype=np.float64).copy()
    weights = np.asarray(counts, dtype=np.float64).copy()
    V, c, _ = fit_outputs(H, Y, weights, deadline)
    errors = _errors(H, V, c, Y, counts)
    best, best_H, since = errors, H.copy(), 0
    while best > 0 and since < patience and not deadline.expired():
        for j in rng.permutation(H.shape[1]).tolist():
            low, high, _ = level_intervals(H, j, V, c, Y, n_levels)
            w, bias = fit_level_interval(A, low, high, n_levels, weights, margin=margin)
            H, V, c, errors = _try_unit(A, H, j, w, bias, V, c, Y, counts, weights, errors, activation, deadline)
            if errors < best:
                best, best_H, since = errors, H.copy(), -1
            if errors == 0 or deadline.expired():
                break
        wrong = np.flatnonzero((Y * (H @ V.T + c) <= 0).any(axis=1))
        for i in rng.permutation(wrong).tolist():  # minimal disturbance: one wrong row made right at any cost
            if errors == 0 or deadline.expired():
                break
            for j in rng.permutation(H.shape[1]).tolist():
                low, high, possible = level_intervals(H, j, V, c, Y, n_levels)
                if not possible[i]:
                    continue
                forced = weights.copy()
                forced[i] = weights.sum()
                w, bias = fit_level_interval(A, low, high, n_levels, forced, margin=margin)
                H, V, c, errors = _try_unit(A, H, j, w, bias, V, c, Y, counts, weights, errors, activation, deadline)
            if errors < best:
                best, best_H, since = errors, H.copy(), -1
        wrong = (Y * (H @ V.T + c) <= 0).any(axis=1)
        weights = weights + counts * wrong * boost  # breakout: rows that stay wrong weigh more
        since += 1
    return best_H, best


def _try_unit(
    A: np.ndarray,
    H: np.ndarray,
    j: int,
    w: np.ndarray,
    bias: float,
    V: np.ndarray,
    c: np.ndarray,
    Y: np.ndarray,
    counts: np.ndarray,
    weights: np.ndarray,
    errors: float,
    activation: str,
    deadline: Deadline,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Unit ``j`` with weights ``(w, bias)``, kept when the outputs (as they are, or refitted) lose nothing."""
    moved = H.copy()
    moved[:, j] = apply_activation(A @ w + bias, activation)
    V2, c2, _ = fit_outputs(moved, Y, weights, deadline)
    kept, refit = _errors(moved, V, c, Y, counts), _errors(moved, V2, c2, Y, counts)
    if min(kept, refit) > errors:
        return H, V, c, errors
    return (moved, V2, c2, refit) if refit <= kept else (moved, V, c, kept)


def _errors(H: np.ndarray, V: np.ndarray, c: np.ndarray, Y: np.ndarray, counts: np.ndarray) -> float:
    """Weighted count of rows some output gets wrong."""
    return float(counts[(Y * (H @ V.T + c) <= 0).any(axis=1)].sum())
