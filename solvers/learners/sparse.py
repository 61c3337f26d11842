"""L1-minimal separators: a heuristic for few non-zero weights with real weights.

``min ||w||_1`` subject to ``t_i (a_i . w + b) >= 1`` is an LP (``w = w+ - w-``); its vertex
solutions are sparse, which is why L1 stands in for the number of non-zero weights (an
NP-hard count). The separator found is verified like every other
(:func:`~ftprop_exact.solvers.learners.base.verified_separator`); the count is reported, never
claimed minimal.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ftprop_exact.solvers.learners.base import UnitVerdict, verified_separator
from ftprop_exact.solvers.learners.highs import linprog

__all__ = ["l1_separator"]


def l1_separator(A: np.ndarray, t: np.ndarray) -> UnitVerdict | None:
    """The L1-minimal separator of targets ``t`` over rows ``A``, verified; None if none verifies.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Unit inputs.
    t : ndarray of shape (m,)
        Targets in {-1, +1}.

    Examples
    --------
    >>> A = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    >>> verdict = l1_separator(A, np.array([-1, -1, 1, 1]))
    >>> np.count_nonzero(verdict.weights)
    1
    """
    A = np.asarray(A, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    m, n = A.shape
    signed = sparse.csr_matrix(-t[:, None] * A)
    # variables: w+ (n), w- (n), b (free); rows: -t_i (a_i . (w+ - w-) + b) <= -1
    A_ub = sparse.hstack([signed, -signed, sparse.csr_matrix(-t[:, None])], format="csr")
    cost = np.concatenate([np.ones(2 * n), [0.0]])
    bounds = [(0, None)] * (2 * n) + [(None, None)]
    res = linprog(cost, A_ub=A_ub, b_ub=-np.ones(m), bounds=bounds, method="highs")
    if res.x is None or res.status != 0:
        return None
    w = res.x[:n] - res.x[n : 2 * n]
    return verified_separator(A, t.astype(np.int64), w, float(res.x[-1]))
