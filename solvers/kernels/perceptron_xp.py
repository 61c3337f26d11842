"""Array-namespace code of the batched perceptron: one code path for numpy and CuPy.

Everything here takes the array module ``xp`` (``numpy`` or ``cupy``) as its first
argument and uses only what both provide, so the logic is tested on CPU and a GPU only adds
speed. The numba kernel (:mod:`ftprop_exact.solvers.kernels.perceptron_numba`) reproduces
:func:`run_epochs` exactly on the same inputs.

Preparation maps the inputs to a well-conditioned copy on which a perceptron converges
quickly, without changing which target columns are separable:

1. rows are put in a fixed, seeded random order (sorted data hurts chunked updates), and
   columns are scaled by powers of two (exact; nothing overflows, whatever the magnitudes);
2. the rows are centred and whitened (``x -> (a - mean) M`` with ``M = V diag(s)^-1/2``
   from the covariance ``V diag(s) V^T``; null directions are dropped, which loses nothing
   because every row lies in the span that is kept), so the perceptron is affine invariant;
3. a constant bias feature ``beta`` is appended and every row is scaled to unit length
   (positive row scaling keeps every separator).

A weight vector ``v`` on the prepared rows maps back to ``w = M v[:r]``,
``b = beta v[r] - mean . w`` on the inputs as given; it is only ever reported after
:func:`ftprop_exact.solvers.learners.base.verified_separator` accepted it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

_EIGEN_FLOOR = 1e-12  # covariance eigenvalues below this fraction of the largest are null
_RIDGE = 1e-10  # relative ridge of the least-squares fits
_TINY = 1e-300  # keeps the ridge positive when the inputs are all zero


def to_numpy(xp: ModuleType, array: Any) -> np.ndarray:
    """Copy an ``xp`` array to the host as a numpy array."""
    return array.get() if xp is not np and hasattr(array, "get") else np.asarray(array)


@dataclass(frozen=True)
class PreparedInputs:
    """Inputs of one layer, prepared once for all its units.

    Attributes
    ----------
    X : xp array of shape (m, r + 1)
        Whitened, bias-augmented, unit-length rows, in ``order``.
    order : ndarray of shape (m,)
        Row ``i`` of ``X`` is row ``order[i]`` of the inputs as given.
    transform : ndarray of shape (n, r)
        Whitening map ``M`` acting on the inputs as given (column scaling included; host).
    mean : ndarray of shape (n,)
        Column means of the inputs (host).
    beta : float
        Value of the bias feature before row scaling.
    """

    X: Any
    order: np.ndarray
    transform: np.ndarray
    mean: np.ndarray
    beta: float

    def to_input_space(self, v: np.ndarray) -> tuple[np.ndarray, float]:
        """Map weights on the prepared rows to ``(w, b)`` on the inputs as given.

        Parameters
        ----------
        v : ndarray of shape (r + 1,)
            Weights on the prepared rows (host).

        Returns
        -------
        (ndarray of shape (n,), float)
            Scaled by a power of two so that ``max |w_j|`` lies in [1/2, 1) (or the largest of
            ``|w_j|, |b|`` when ``b`` would overflow).
        """
        w = self.transform @ v[:-1]
        b = self.beta * float(v[-1]) - float(self.mean @ w)
        largest = float(np.max(np.abs(w), initial=0.0))
        for peak in (largest, max(largest, abs(b))):
            unit = np.ldexp(1.0, -int(np.frexp(peak)[1]))  # a power of two: exact, keeps every sign
            if 0.0 < peak < np.inf and np.isfinite(b * unit):
                return w * unit, b * unit
        return w, b


def _column_scale(A: np.ndarray) -> np.ndarray:
    """Powers of two at least ``max |A[:, j]|``: dividing by them is exact and nothing overflows."""
    peak = np.max(np.abs(A), axis=0) if A.shape[0] else np.zeros(A.shape[1])
    return np.ldexp(1.0, np.frexp(peak)[1])


def prepare_inputs(xp: ModuleType, A: np.ndarray, seed: int = 0) -> PreparedInputs:
    """Order, centre, whiten, augment and normalise the rows of ``A`` (see the module notes).

    Parameters
    ----------
    xp : module
        ``numpy`` or ``cupy``.
    A : ndarray of shape (m, n)
        Inputs as given (host, finite).
    seed : int, default=0
        Seed of the row order.

    Returns
    -------
    PreparedInputs
    """
    m, n = A.shape
    order = np.random.default_rng(seed).permutation(m)
    scale = _column_scale(A)
    rows = xp.asarray(np.ascontiguousarray(A[order] / scale, dtype=np.float64))
    mean = rows.mean(axis=0)
    centred = rows - mean
    eigenvalues, eigenvectors = xp.linalg.eigh(centred.T @ centred / max(m, 1))
    eigenvalues, eigenvectors = to_numpy(xp, eigenvalues), to_numpy(xp, eigenvectors)
    top = float(eigenvalues.max()) if n else 0.0
    keep = eigenvalues > _EIGEN_FLOOR * top if top > 0 else np.zeros(n, dtype=bool)
    whitening = eigenvectors[:, keep] / np.sqrt(eigenvalues[keep])
    beta = float(np.sqrt(max(int(keep.sum()), 1)))  # whitened rows have mean square norm r
    X = xp.concatenate([centred @ xp.asarray(whitening), xp.full((m, 1), beta)], axis=1)
    X /= xp.linalg.norm(X, axis=1)[:, None]
    transform = whitening / scale[:, None]  # acts on the inputs as given
    return PreparedInputs(
        X=xp.ascontiguousarray(X), order=order, transform=transform, mean=to_numpy(xp, mean) * scale, beta=beta
    )


def warm_start(xp: ModuleType, X: Any, T: Any, scale: float) -> tuple[Any, np.ndarray]:
    """Least-squares weights ``argmin ||X W - T||``, each column scaled to mean ``|X w| = scale``.

    Parameters
    ----------
    xp : module
        ``numpy`` or ``cupy``.
    X : xp array of shape (m, d)
        Prepared rows.
    T : xp array of shape (m, K)
        Targets in {-1, +1} (int8).
    scale : float
        Mean absolute pre-activation of each scaled column; it sets the size of the
        perceptron's steps (each step has length 1) relative to the start.

    Returns
    -------
    W : xp array of shape (d, K), float64, C-contiguous
        The starting weights.
    mistakes : ndarray of shape (K,), int64
        Rows with ``t z <= 0`` under the starting weights (host).
    """
    targets = T.astype(xp.float64)
    W = _least_squares(xp, X, targets)
    Z = X @ W
    size = xp.abs(Z).mean(axis=0)
    W *= xp.where(size > 0, scale / xp.where(size > 0, size, 1.0), 0.0)
    mistakes = (targets * Z <= 0).sum(axis=0)
    return xp.ascontiguousarray(W), to_numpy(xp, mistakes).astype(np.int64)


def _least_squares(xp: ModuleType, X: Any, Y: Any) -> Any:
    """Ridge-stabilised least squares ``argmin ||X W - Y||`` by the normal equations."""
    d = X.shape[1]
    gram = X.T @ X
    gram += (_RIDGE * float(xp.trace(gram)) / d + _TINY) * xp.eye(d)
    return xp.linalg.solve(gram, X.T @ Y)


def screen(A: np.ndarray, T: np.ndarray, fit_rows: int, test_rows: int, seed: int = 0) -> np.ndarray:
    """Held-out error of least squares fitted on a row sample, per column (host, cheap).

    Least squares with an intercept is affine invariant, so no preparation is needed. A
    column whose held-out error is near 1/2 looks like random labels: the perceptron would
    only waste epochs on it (the caller leaves it undecided; the LP decides it).

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs as given, with ``m >= fit_rows + test_rows``.
    T : ndarray of shape (m, K)
        Targets in {-1, +1}.
    fit_rows, test_rows : int
        Sizes of the two disjoint random row samples.
    seed : int, default=0
        Seed of the samples.

    Returns
    -------
    ndarray of shape (K,)
        Fraction of test rows with ``t z <= 0``.
    """
    rows = np.random.default_rng(seed).choice(A.shape[0], size=fit_rows + test_rows, replace=False)
    sample = A[rows]
    sample = sample / _column_scale(sample)
    sample = np.hstack([sample - sample[:fit_rows].mean(axis=0), np.ones((rows.size, 1))])
    W = _least_squares(np, sample[:fit_rows], T[rows[:fit_rows]].astype(np.float64))
    return np.mean(T[rows[fit_rows:]] * (sample[fit_rows:] @ W) <= 0, axis=0)


def run_epochs(xp: ModuleType, X: Any, T: Any, W: Any, epochs: int, chunk: int, margin: float) -> np.ndarray:
    """Run chunked perceptron epochs on K units at once, updating ``W`` in place.

    In each chunk of ``chunk`` consecutive rows, every row with ``t z <= margin`` (``z``
    computed with the weights at the start of the chunk) is a mistake, and the chunk's
    update ``sum t_i x_i`` over its mistakes is added to the unit's weights.

    Parameters
    ----------
    xp, X, T
        As in :func:`warm_start`: array module, prepared rows (m, d), int8 targets (m, K).
    W : xp array of shape (d, K)
        Weights, float64, updated in place.
    epochs : int
        Passes over the rows.
    chunk : int
        Rows per update.
    margin : float
        A row is a mistake when ``t z <= margin``.

    Returns
    -------
    ndarray of shape (epochs, K), int64
        Mistakes per epoch and unit (host). A unit with 0 mistakes in an epoch did not
        change in it: its weights satisfy ``t z > margin`` on every row.
    """
    m = X.shape[0]
    counts = xp.zeros((epochs, W.shape[1]), dtype=xp.int64)
    for epoch in range(epochs):
        for start in range(0, m, chunk):
            rows = X[start : start + chunk]
            targets = T[start : start + chunk].astype(xp.float64)
            wrong = targets * (rows @ W) <= margin
            counts[epoch] += wrong.sum(axis=0)
            if bool(wrong.any()):
                W += rows.T @ (targets * wrong)
    return to_numpy(xp, counts).astype(np.int64)
