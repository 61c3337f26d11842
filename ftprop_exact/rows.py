"""Grouping identical rows of a matrix (duplicate examples, repeated hidden patterns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_HASH_BLOCK_BYTES = 1 << 22  # rows hashed per block (~4 MiB of scratch)


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
        Any numeric matrix without NaN (converted to float64).

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
    rep = first_equal_row(np.ascontiguousarray(A, dtype=np.float64))
    m = rep.size
    first_index = np.flatnonzero(rep == np.arange(m))
    position = np.empty(m, dtype=np.intp)
    position[first_index] = np.arange(first_index.size)
    return RowGroups(first_index=first_index, inverse=position[rep])


def _row_hashes(X: np.ndarray) -> np.ndarray:
    """A 64-bit hash of every row's bytes, with ``-0.0`` folded into ``0.0``."""
    m, n = X.shape
    multipliers = np.random.default_rng(0x5EED).integers(
        0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True
    ) | np.uint64(1)
    hashes = np.empty(m, dtype=np.uint64)
    step = max(1, _HASH_BLOCK_BYTES // (8 * max(n, 1)))
    for r0 in range(0, m, step):
        bits = (X[r0 : r0 + step] + 0.0).view(np.uint64)
        bits ^= bits >> np.uint64(29)  # let the high (exponent) bits reach the low ones
        bits *= multipliers
        hashes[r0 : r0 + step] = bits.sum(axis=1, dtype=np.uint64)
    return hashes


def first_equal_row(X: np.ndarray) -> np.ndarray:
    """For every row, the index of the first row equal to it (``-0.0 == 0.0``).

    Rows are hashed (64 bits), the hashes sorted, and every row of a hash group compared
    with the group's first row, so a collision can never merge different rows (it falls
    back to an exact byte sort). O(m n + m log m) time, a few MiB of scratch.
    """
    m = X.shape[0]
    if m == 0:
        return np.zeros(0, dtype=np.intp)
    hashes = _row_hashes(X)
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    starts = np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]]
    leader = order[np.flatnonzero(starts)[np.cumsum(starts) - 1]]  # smallest index in group
    rep = np.empty(m, dtype=np.intp)
    rep[order] = leader
    if not _rows_equal(X, np.flatnonzero(rep != np.arange(m)), rep):
        return _first_equal_row_exact(X)  # a hash collision: sort the row bytes instead
    return rep


def _rows_equal(X: np.ndarray, rows: np.ndarray, rep: np.ndarray) -> bool:
    """Whether ``X[i] == X[rep[i]]`` (bitwise, ``-0.0`` as ``0.0``) for every i in rows."""
    step = max(1, _HASH_BLOCK_BYTES // (8 * max(X.shape[1], 1)))
    for r0 in range(0, rows.size, step):
        part = rows[r0 : r0 + step]
        a = (X[part] + 0.0).view(np.uint64)
        b = (X[rep[part]] + 0.0).view(np.uint64)
        if not np.array_equal(a, b):
            return False
    return True


def _first_equal_row_exact(X: np.ndarray) -> np.ndarray:
    """Slow exact version of :func:`_first_equal_row` (sorts the rows' bytes)."""
    m, n = X.shape
    keys = np.ascontiguousarray(X + 0.0).view(np.dtype((np.void, 8 * n)))[:, 0]
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first[inverse.reshape(-1)].astype(np.intp)
