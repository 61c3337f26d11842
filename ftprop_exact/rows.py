"""Grouping identical rows of a matrix (duplicate examples, repeated hidden patterns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RowGroups:
    """Identical rows of an (m, n) matrix, grouped.

    Attributes
    ----------
    first_index : ndarray of shape (u,)
        0-based index of each group's first row, increasing (groups are in order of first
        occurrence).
    inverse : ndarray of shape (m,)
        Group of every row: ``A[first_index][inverse] == A``.
    """

    first_index: np.ndarray
    inverse: np.ndarray

    @property
    def n_groups(self) -> int:
        """Number of distinct rows."""
        return int(self.first_index.size)

    def counts(self) -> np.ndarray:
        """Number of rows in each group, shape (u,)."""
        return np.bincount(self.inverse, minlength=self.n_groups)


def group_identical_rows(A: np.ndarray) -> RowGroups:
    """Group the identical rows of ``A`` (``-0.0`` and ``0.0`` are identical).

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Any numeric matrix without NaN.

    Returns
    -------
    RowGroups
        Groups in order of first occurrence.

    Examples
    --------
    >>> import numpy as np
    >>> g = group_identical_rows(np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 2.0]]))
    >>> g.first_index.tolist(), g.inverse.tolist()
    ([0, 1], [0, 1, 0])
    """
    A = np.ascontiguousarray(A)
    m = A.shape[0]
    if A.dtype.kind == "f":
        A = A + 0.0  # folds -0.0 into 0.0 so that equal values share their bytes
    if m == 0 or A.shape[1] == 0:
        return RowGroups(np.zeros(min(m, 1), dtype=np.intp), np.zeros(m, dtype=np.intp))
    row_bytes = np.dtype((np.void, A.dtype.itemsize * A.shape[1]))
    keys = A.reshape(m, -1).view(row_bytes)[:, 0]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return RowGroups(
        first_index=first[order].astype(np.intp),
        inverse=rank[inverse.reshape(-1)].astype(np.intp),
    )
