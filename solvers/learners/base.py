"""What every convex learner speaks: per-unit verdicts and the learner protocol."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ftprop_exact.rounding import affine_rounding_bound, signs_are_certain
from ftprop_exact.proofs.certificate import Certificate


@dataclass(frozen=True)
class UnitVerdict:
    """The answer for one unit: is its target column linearly separable from its inputs?

    Attributes
    ----------
    separable : bool or None
        True: ``weights``/``bias`` separate the targets (verified rigorously on every row).
        False: ``certificate`` proves no separator exists (verified exactly).
        None: undecided (numerically ambiguous, or a fast learner ran out of budget).
    weights : ndarray of shape (n,) or None
        Separating weights, applying to the inputs as given.
    bias : float or None
        Separating bias.
    margin : float or None
        Geometric margin ``min_i t_i (a_i . w + b) / ||w||_2`` of the returned separator;
        ``math.inf`` when the targets are constant (``w = 0``).
    certificate : Certificate or None
        Exact proof of non-separability.
    """

    separable: bool | None
    weights: np.ndarray | None = None
    bias: float | None = None
    margin: float | None = None
    certificate: Certificate | None = None

    def to_dict(self) -> dict:
        """JSON form: ``separable`` and either ``margin`` (null if infinite) or ``certificate``."""
        out: dict = {"separable": self.separable}
        if self.separable:
            out["margin"] = None if self.margin is None or math.isinf(self.margin) else float(self.margin)
            out["weights"] = [float(v) for v in self.weights]
            out["bias"] = float(self.bias)
        elif self.certificate is not None:
            out["certificate"] = self.certificate.to_dict()
        return out


def verified_separator(A: np.ndarray, t: np.ndarray, w: np.ndarray, b: float) -> UnitVerdict | None:
    """Return a separable verdict if ``(w, b)`` provably separates ``t``, else None.

    The check is exact in effect: each row's computed ``t_i (a_i . w + b)`` must exceed the
    rigorous rounding bound of :mod:`ftprop_exact.rounding`.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs as given.
    t : ndarray of shape (m,)
        Targets in {-1, +1}.
    w : ndarray of shape (n,)
        Candidate weights.
    b : float
        Candidate bias.
    """
    w = np.asarray(w, dtype=np.float64)
    if not (np.all(np.isfinite(w)) and math.isfinite(b)):
        return None
    z = A @ w + b
    bound = affine_rounding_bound(A, w[None, :], np.array([b]))[:, 0]
    if not np.all(signs_are_certain(z, bound, t)):
        return None
    peak = float(np.max(np.abs(w))) if w.size else 0.0
    if peak == 0.0:
        margin = math.inf
    else:  # scale first: the norm of very large or very small weights must not overflow
        margin = float(np.min(t * z)) / peak / float(np.linalg.norm(w / peak))
    return UnitVerdict(separable=True, weights=w, bias=float(b), margin=margin)


def constant_targets_verdict(A: np.ndarray, t: np.ndarray) -> UnitVerdict | None:
    """Separate a constant target column with ``w = 0, b = t_0``; None if not constant."""
    if t.size and np.all(t == t[0]):
        return verified_separator(A, t, np.zeros(A.shape[1]), float(t[0]))
    return None


def as_target_matrix(T: np.ndarray, m: int) -> np.ndarray:
    """Validate target columns: shape (m, K) (or (m,)) with values -1/+1; returns int8 (m, K)."""
    T = np.asarray(T)
    if T.ndim == 1:
        T = T.reshape(-1, 1)
    if T.ndim != 2 or T.shape[0] != m:
        raise ValueError(f"targets must have shape ({m}, K); got {T.shape}")
    if not np.all((T == 1) | (T == -1)):
        raise ValueError("targets must be -1 or +1")
    return T.astype(np.int8)


@runtime_checkable
class SeparabilityLearner(Protocol):
    """A convex learner: decides, unit by unit, whether target columns are separable.

    Attributes
    ----------
    name : str
        Registry name.
    decides : bool
        True when the learner settles non-separable columns with a verified certificate
        (``lp``, ``auto``); False when it can only find separators and leaves the rest
        undecided (the bare perceptrons ``numba``, ``numpy``, ``cupy``). Searchers that
        prove refuse a learner that does not decide (``require_deciding_learner`` in
        ``solvers/search_base.py``).
    """

    name: str
    decides: bool

    def check(self, A: np.ndarray, t: np.ndarray) -> UnitVerdict:
        """Decide one target column ``t`` (m,) over inputs ``A`` (m, n)."""
        ...

    def check_layer(self, A: np.ndarray, T: np.ndarray) -> list[UnitVerdict]:
        """Decide every column of ``T`` (m, K) over the same inputs ``A`` (m, n)."""
        ...
