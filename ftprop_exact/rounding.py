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


MAX_DYADIC_SHIFT = 64
"""Largest ``k`` for which :func:`dyadic_exponent` looks for ``A * 2^k`` integral."""


def dyadic_exponent(A: np.ndarray) -> int | None:
    """The smallest ``k <= MAX_DYADIC_SHIFT`` with every ``A * 2^k`` an integer (None: none).

    One pass: a finite non-zero float is ``M 2^(e-53)`` with an integer ``M < 2^53``
    (:func:`numpy.frexp`); it needs ``k = 53 - e - tz(M)``, ``tz`` the trailing zero bits.

    Examples
    --------
    >>> dyadic_exponent(np.array([1.0, 0.5, -0.25])), dyadic_exponent(np.array([3.0])), dyadic_exponent(np.array([0.1])), dyadic_exponent(np.array([1e-30]))
    (2, 0, 55, None)
    """
    A = np.asarray(A, dtype=np.float64).ravel()
    if not np.all(np.isfinite(A)):
        return None
    nonzero = A[A != 0]
    if nonzero.size == 0:
        return 0
    mantissa, exponent = np.frexp(np.abs(nonzero))  # |x| = mantissa 2^exponent, 0.5 <= mantissa < 1
    M = np.ldexp(mantissa, 53).astype(np.int64)  # exact: an integer below 2^53
    trailing = np.log2(M & -M).astype(np.int64)  # the lowest set bit is a power of two: log2 is exact
    k = max(0, int((53 - exponent.astype(np.int64) - trailing).max()))
    return k if k <= MAX_DYADIC_SHIFT else None


MAX_EXACT_SHIFT = 26
"""Inputs or weights finer than ``2^-26`` are not examined by :func:`affine_is_exact` (it
answers False, and the rounding bound decides, as it always may)."""


def affine_is_exact(H: np.ndarray, W: np.ndarray, b: np.ndarray) -> bool:
    """True when float64 computes ``H @ W.T + b`` exactly, in any summation order.

    That is when, for powers of two ``2^kh`` and ``2^kw`` (each at most ``2^MAX_EXACT_SHIFT``),
    ``H 2^kh`` and ``W 2^kw`` are integers, so is ``b 2^(kh+kw)``, and ``2^(kh+kw) (|H| |W|^T + |b|)`` stays below
    ``2^52``: every product and partial sum is then an integer (times ``2^-(kh+kw)``)
    below ``2^53``, which float64 represents exactly. Integer networks on integer (or
    dyadic) inputs are computed exactly, so a pre-activation of exactly 0 has a certain
    sign (``z > 0`` is false), which the rounding bound could not show.

    Examples
    --------
    >>> affine_is_exact(np.array([[1.0, -1.0]]), np.array([[1.0, 1.0]]), np.array([0.0]))
    True
    >>> affine_is_exact(np.array([[0.1, 1.0]]), np.array([[1.0, 1.0]]), np.array([0.0]))
    False
    """
    shifts = []
    for A in (W, np.asarray(H)[:64], H):  # cheap looks first: real-valued weights or data fail at once
        k = dyadic_exponent(A)
        if k is None or k > MAX_EXACT_SHIFT:
            return False
        shifts.append(k)
    kw, _, kh = shifts
    if dyadic_exponent(np.ldexp(np.asarray(b, dtype=np.float64), kh + kw)) != 0:
        return False
    magnitude = np.abs(np.asarray(H, dtype=np.float64)) @ np.abs(np.asarray(W, dtype=np.float64)).T + np.abs(b)
    return bool(np.ldexp(float(magnitude.max(initial=0.0)), kh + kw) * _SAFETY < 2.0**52)
