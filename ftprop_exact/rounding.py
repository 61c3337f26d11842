"""Rigorous floating-point error bounds for the sign of an affine function.

A unit computes ``z = h . w + b`` in float64. The computed value differs from the exact
one by at most ``gamma_{p+1} * (|h| . |w| + |b|)`` where ``p`` is the fan-in and
``gamma_k = k u / (1 - k u)`` with ``u = 2**-53`` (Higham, *Accuracy and Stability of
Numerical Algorithms*, Sec. 3.1). The bound holds for every summation order, so it covers
BLAS kernels too. Whenever ``|fl(z)|`` exceeds the bound, ``sign(fl(z)) == sign(z)``:
this is how every separator and every network is verified exactly without rational
arithmetic on the whole data set.
"""

from __future__ import annotations

import numpy as np

UNIT_ROUNDOFF = 2.0**-53
_SAFETY = 1.01  # covers the rounding committed while computing the bound itself
_TINY = np.finfo(np.float64).tiny  # guards against a bound that underflows to 0


def gamma(k: int) -> float:
    """Return Higham's ``gamma_k = k u / (1 - k u)`` for float64.

    Parameters
    ----------
    k : int
        Number of floating-point operations in the accumulation (``k u < 1``).

    Returns
    -------
    float
        The relative error constant.

    Examples
    --------
    >>> gamma(1) > 2.0**-53
    True
    """
    ku = k * UNIT_ROUNDOFF
    if ku >= 1.0:
        raise ValueError(f"gamma_k is undefined for k = {k}")
    return ku / (1.0 - ku)


def affine_rounding_bound(H: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bound the rounding error of ``H @ W.T + b`` entry by entry.

    Parameters
    ----------
    H : ndarray of shape (m, p)
        Inputs of the units.
    W : ndarray of shape (k, p)
        Weights, one row per unit.
    b : ndarray of shape (k,)
        Biases.

    Returns
    -------
    ndarray of shape (m, k)
        ``bound[i, j] >= |fl(z_ij) - z_ij|`` for the exact ``z_ij``.
    """
    H = np.asarray(H, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    magnitude = np.abs(H) @ np.abs(W).T + np.abs(b)
    return _SAFETY * gamma(H.shape[1] + 2) * magnitude + _TINY


def signs_are_certain(z: np.ndarray, bound: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Return where ``targets * z`` is provably positive despite rounding.

    Parameters
    ----------
    z : ndarray
        Computed pre-activations.
    bound : ndarray
        Rounding bounds from :func:`affine_rounding_bound` (same shape as ``z``).
    targets : ndarray
        +1/-1 targets (same shape as ``z``).

    Returns
    -------
    ndarray of bool
        True where the exact pre-activation has the target's sign.
    """
    return targets * z > bound
