"""One ``qrelu:K`` unit and its level targets: verified weights, or an exact certificate.

A target level ``l`` asks for ``l - 1 < z <= l`` (level 0: ``z <= 0``; level K-1:
``z > K-2``). The steps sit at fixed positions, so the unit cannot be rescaled freely; the
question is decided through the lifted sign problem of :mod:`ftprop_exact.proofs.levels`
by any deciding learner (``lp``, ``auto``): separable lifted points give weights (divided
by the lifted step coordinate ``c``), non-separable ones a certificate that the proof
module re-checks exactly. When the lifted separator does not turn into weights that
verify (``c <= 0``, or rounding), the margin LP ``max eps : l-1+eps <= z <= l-eps`` is
solved directly. Every returned weight vector is verified with the rigorous rounding bounds
of :mod:`ftprop_exact.rounding` at every step boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ftprop_exact.activations import apply_activation, boundary_distance
from ftprop_exact.proofs.levels import LevelCertificate, lift_levels, lifted_pair_rows, verify_level_certificate
from ftprop_exact.rounding import affine_rounding_bound
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.learners.highs import linprog

__all__ = [
    "LevelVerdict",
    "check_level_layer",
    "check_level_unit",
    "fit_level_hinge",
    "fit_level_interval",
    "verified_level_weights",
]

_EPS_TOL = 1e-9


@dataclass(frozen=True)
class LevelVerdict:
    """Can one ``qrelu:K`` unit produce these level targets from these inputs?

    Attributes
    ----------
    feasible : bool or None
        True: ``weights``/``bias`` give every target level (verified rigorously). False:
        ``certificate`` proves no weights do (verified exactly). None: undecided.
    weights : ndarray of shape (n,) or None
    bias : float or None
    certificate : LevelCertificate or None
    """

    feasible: bool | None
    weights: np.ndarray | None = None
    bias: float | None = None
    certificate: LevelCertificate | None = None

    @property
    def separable(self) -> bool | None:
        """Alias of ``feasible`` (the name unit verdicts of sign units use)."""
        return self.feasible

    def to_dict(self) -> dict:
        """JSON form: ``feasible`` and either ``weights``/``bias`` or ``certificate``."""
        out: dict = {"separable": self.feasible}
        if self.feasible:
            out["weights"] = [float(v) for v in self.weights]
            out["bias"] = float(self.bias)
        elif self.certificate is not None:
            out["certificate"] = self.certificate.to_dict()
        return out


def verified_level_weights(A: np.ndarray, levels: np.ndarray, n_levels: int, w: np.ndarray, b: float) -> LevelVerdict | None:
    """A feasible verdict if ``(w, b)`` provably give every level (rounding included), else None."""
    w = np.asarray(w, dtype=np.float64)
    if not (np.all(np.isfinite(w)) and np.isfinite(b)):
        return None
    activation = f"qrelu:{n_levels}"
    z = A @ w + b
    bound = affine_rounding_bound(A, w[None, :], np.array([b]))[:, 0]
    if np.all(apply_activation(z, activation) == levels) and np.all(boundary_distance(z, activation) > bound):
        return LevelVerdict(True, w, float(b))
    return None


def _margin_lp(A: np.ndarray, levels: np.ndarray, n_levels: int) -> tuple[np.ndarray, float] | None:
    """``max eps`` with ``l-1+eps <= z <= l-eps`` (open ends dropped), ``eps <= 1/2``; None unless eps > 0."""
    m, n = A.shape
    lower = levels >= 1
    upper = levels <= n_levels - 2
    # variables [w (n), b, eps]; rows: -(z) + eps <= -(l-1) ; z + eps <= l
    ones = np.ones((m, 1))
    rows = [np.hstack([-A[lower], -ones[lower], ones[lower]]), np.hstack([A[upper], ones[upper], ones[upper]])]
    rhs = [-(levels[lower] - 1.0), levels[upper].astype(np.float64)]
    c = np.zeros(n + 2)
    c[-1] = -1.0
    bounds = [(None, None)] * (n + 1) + [(None, 0.5)]
    res = linprog(c, A_ub=np.vstack(rows), b_ub=np.concatenate(rhs), bounds=bounds, method="highs")
    if res.status != 0 or res.x is None or res.x[-1] <= _EPS_TOL:
        return None
    return res.x[:n], float(res.x[n])


def check_level_unit(A: np.ndarray, levels: np.ndarray, n_levels: int, learner: SeparabilityLearner) -> LevelVerdict:
    """Decide one unit's level column.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs as given.
    levels : ndarray of shape (m,)
        Target levels in ``0..K-1``.
    n_levels : int
        K (at least 2).
    learner : SeparabilityLearner
        Decides the lifted sign problem (a deciding learner for certificates).

    Returns
    -------
    LevelVerdict
    """
    A = np.asarray(A, dtype=np.float64)
    levels = np.asarray(levels, dtype=np.float64).reshape(-1)
    if levels.size and np.all(levels == levels[0]):  # constant: w = 0, b in the middle of the interval
        verdict = verified_level_weights(A, levels, n_levels, np.zeros(A.shape[1]), float(levels[0]) - 0.5)
        if verdict is not None:
            return verdict
    pairs = lifted_pair_rows(levels, n_levels)
    lifted, signs = lift_levels(A, levels, pairs)
    unit = learner.check(lifted, signs)
    if unit.separable is False and unit.certificate is not None:
        cert = LevelCertificate(tuple(pairs[r] for r in unit.certificate.rows), unit.certificate.multipliers)
        if verify_level_certificate(A, levels, n_levels, cert):
            return LevelVerdict(False, certificate=cert)
        return LevelVerdict(None)
    if unit.separable:
        c = float(unit.weights[-1])
        if c > 0:
            verdict = verified_level_weights(A, levels, n_levels, unit.weights[:-1] / c, unit.bias / c)
            if verdict is not None:
                return verdict
    direct = _margin_lp(A, levels, n_levels)
    if direct is not None:
        verdict = verified_level_weights(A, levels, n_levels, *direct)
        if verdict is not None:
            return verdict
    return LevelVerdict(None)


def check_level_layer(A: np.ndarray, T: np.ndarray, n_levels: int, learner: SeparabilityLearner) -> list[LevelVerdict]:
    """:func:`check_level_unit` for every column of ``T`` (m, width) over the same inputs."""
    T = np.asarray(T).reshape(A.shape[0], -1)
    return [check_level_unit(A, T[:, j], n_levels, learner) for j in range(T.shape[1])]


def fit_level_hinge(
    A: np.ndarray, levels: np.ndarray, n_levels: int, counts: np.ndarray | None = None, margin: float = 0.25
) -> tuple[np.ndarray, float]:
    """Weights that keep each ``z`` in ``[l-1+margin, l-margin]`` up to the least total slack.

    A heuristic fit for units whose level targets are infeasible (best-effort networks,
    the searchers' repairs); never a verdict. Zero weights when the LP fails.
    """
    levels = np.asarray(levels, dtype=np.float64).reshape(-1)
    return fit_level_interval(A, levels, levels, n_levels, counts, margin)


def fit_level_interval(
    A: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    n_levels: int,
    counts: np.ndarray | None = None,
    margin: float = 0.25,
) -> tuple[np.ndarray, float]:
    """Weights that put each row's level in ``[low_i, high_i]`` up to the least weighted slack.

    Row ``i`` asks for ``z_i >= low_i - 1 + margin`` (when ``low_i >= 1``) and
    ``z_i <= high_i - margin`` (when ``high_i <= K-2``); each violation is paid for by a
    slack weighted by ``counts``. ``low = high = levels`` is :func:`fit_level_hinge`. A
    heuristic fit (the searchers' repairs), never a verdict; zero weights and the bias of
    the median level when the LP fails.

    Parameters
    ----------
    A : ndarray of shape (m, n)
    low, high : ndarray of shape (m,)
        Integer level bounds, ``0 <= low <= high <= K-1`` (rows with ``low = 0`` and
        ``high = K-1`` ask nothing).
    n_levels : int
        K.
    counts : ndarray of shape (m,), optional
        Row weights; default 1.
    margin : float, default=0.25

    Returns
    -------
    (ndarray of shape (n,), float)
    """
    A = np.asarray(A, dtype=np.float64)
    low = np.asarray(low, dtype=np.float64).reshape(-1)
    high = np.asarray(high, dtype=np.float64).reshape(-1)
    m, n = A.shape
    counts = np.ones(m) if counts is None else np.asarray(counts, dtype=np.float64)
    lower = low >= 1
    upper = high <= n_levels - 2
    # variables [w (n), b, slack (m)]: -(z) - s <= -(low-1+margin); z - s <= high - margin
    eye = sparse.identity(m, format="csr")
    ones = np.ones((m, 1))
    rows = [
        sparse.hstack([-A[lower], -ones[lower], -eye[lower]]),
        sparse.hstack([A[upper], ones[upper], -eye[upper]]),
    ]
    rhs = [-(low[lower] - 1.0 + margin), high[upper] - margin]
    c = np.concatenate([np.zeros(n + 1), counts])
    bounds = [(None, None)] * (n + 1) + [(0, None)] * m
    res = linprog(c, A_ub=sparse.vstack(rows, format="csr"), b_ub=np.concatenate(rhs), bounds=bounds, method="highs")
    if res.status != 0 or res.x is None:
        return np.zeros(n), float(np.median((low + high) / 2)) - 0.5
    return res.x[:n], float(res.x[n])
