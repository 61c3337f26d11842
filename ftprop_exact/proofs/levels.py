"""Infeasibility certificates for level targets of ``qrelu:K`` units, re-checked exactly.

A ``qrelu:K`` unit with target level ``l_i`` on row ``i`` needs ``l_i - 1 < a_i . w + b <= l_i``
(no lower end for level 0, no upper end for level K-1). The step positions are fixed, so a
unit cannot be rescaled freely; the question is still a sign-separability question in a
*lifted* space. For every row ``i`` and step ``j`` in ``0..K-2`` take the point
``[a_i; -j]`` with sign ``s_ij = +1`` if ``l_i > j`` else ``-1``, and ask for ``(w, c, b)``
with ``s_ij ([a_i; -j] . (w, c) + b) > 0``:

- level targets feasible => lifted points separable: shift ``b`` down by a little less than
  the smallest ``z_i - (l_i - 1)`` so every ``z_i`` lies strictly inside its interval, and
  take ``c = 1``;
- lifted points separable => level targets feasible: a row with ``0 < l_i < K-1`` carries
  ``z_i > (l_i - 1) c`` and ``z_i < l_i c``, so ``c > 0`` and ``(w, b) / c`` fits; with only
  levels 0 and K-1 the step ``j = 0`` rows say ``z < 0`` and ``z > 0``, a sign separator,
  which scaled up fits the two end levels.

Only the steps ``{0, K-2, l_i - 1, l_i}`` of each row are needed (with ``c > 0`` the others
follow), so the lifted problem has at most ``4 m`` rows. A non-separability certificate of
the lifted points (Gordan, :mod:`ftprop_exact.proofs.certificate`) is therefore a proof
that no ``qrelu:K`` unit produces the level targets: :class:`LevelCertificate` names its
lifted rows as (row, step) pairs, and :func:`verify_level_certificate` rebuilds them from
the inputs and the levels and re-checks the multipliers in exact rational arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ftprop_exact.proofs.certificate import Certificate, parse_fraction, verify_certificate

__all__ = ["LevelCertificate", "lift_levels", "lifted_pair_rows", "verify_level_certificate"]


def lifted_pair_rows(levels: np.ndarray, n_levels: int) -> list[tuple[int, int]]:
    """The (row, step) pairs of the lifted problem: steps ``{0, K-2, l-1, l}`` of each row.

    Examples
    --------
    >>> lifted_pair_rows(np.array([0, 3]), 4)
    [(0, 0), (0, 2), (1, 0), (1, 2)]
    """
    top = n_levels - 2
    pairs = []
    for i, level in enumerate(np.asarray(levels, dtype=np.int64).tolist()):
        steps = {0, top, level - 1, level}
        pairs.extend((i, j) for j in sorted(steps) if 0 <= j <= top)
    return pairs


def lift_levels(A: np.ndarray, levels: np.ndarray, pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Lifted points ``[a_i; -j]`` and signs ``+1 if l_i > j else -1`` for the given pairs.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        The unit's inputs as given.
    levels : ndarray of shape (m,)
        Integer target levels.
    pairs : list of (int, int)
        (row, step) pairs.

    Returns
    -------
    (ndarray of shape (len(pairs), n + 1), ndarray of int8 of shape (len(pairs),))
    """
    A = np.asarray(A, dtype=np.float64)
    rows = np.array([i for i, _ in pairs], dtype=np.intp)
    steps = np.array([j for _, j in pairs], dtype=np.float64)
    lifted = np.hstack([A[rows].reshape(len(pairs), A.shape[1]), -steps[:, None]])
    signs = np.where(np.asarray(levels, dtype=np.float64)[rows] > steps, 1, -1).astype(np.int8)
    return lifted, signs


@dataclass(frozen=True)
class LevelCertificate:
    """Proof that no ``qrelu:K`` unit gives these level targets on these inputs.

    Attributes
    ----------
    pairs : tuple of (int, int)
        (row, step) pairs: 0-based rows of the inputs as given, steps in ``0..K-2``.
    multipliers : tuple of Fraction
        Positive, summing to 1, with ``sum lambda s [a_i; -j; 1] = 0`` exactly.
    """

    pairs: tuple[tuple[int, int], ...]
    multipliers: tuple[Fraction, ...]

    @property
    def rows(self) -> tuple[int, ...]:
        """The distinct data rows the certificate uses, in first-use order."""
        return tuple(dict.fromkeys(i for i, _ in self.pairs))

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"pairs": [[row, step], ...], "multipliers_exact": ["p/q", ...]}``."""
        return {
            "pairs": [[int(i), int(j)] for i, j in self.pairs],
            "multipliers_exact": [f"{x.numerator}/{x.denominator}" for x in self.multipliers],
        }

    @classmethod
    def from_dict(cls, data: Any) -> LevelCertificate:
        """Inverse of :meth:`to_dict` (strict: exactly these fields, integer pairs)."""
        if not isinstance(data, dict) or set(data) != {"pairs", "multipliers_exact"}:
            raise ValueError(f"a level certificate has the fields pairs, multipliers_exact; got {data!r:.200}")
        pairs = data["pairs"]
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in p)
            for p in pairs
        ):
            raise ValueError("level certificate pairs must be a list of [row, step] integer pairs")
        exact = data["multipliers_exact"]
        if not isinstance(exact, list) or len(exact) != len(pairs):
            raise ValueError("multipliers_exact must be a list of 'p/q' strings, one per pair")
        return cls(tuple((p[0], p[1]) for p in pairs), tuple(parse_fraction(s) for s in exact))


def verify_level_certificate(A: np.ndarray, levels: np.ndarray, n_levels: int, cert: LevelCertificate) -> bool:
    """Re-check a level certificate in exact rational arithmetic.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        The unit's inputs as given.
    levels : ndarray of shape (m,)
        Target levels in ``0..K-1``.
    n_levels : int
        K.
    cert : LevelCertificate

    Returns
    -------
    bool
        True iff the pairs are distinct, in range (rows of ``A``, steps ``0..K-2``), the
        levels are integers in ``0..K-1``, and the multipliers certify (exactly) that the
        lifted points are not separable.

    Examples
    --------
    One input value cannot be at level 0 and level 1 at once:

    >>> A = np.array([[1.0], [1.0]]); levels = np.array([0, 1])
    >>> cert = LevelCertificate(((0, 0), (1, 0)), (Fraction(1, 2), Fraction(1, 2)))
    >>> verify_level_certificate(A, levels, 3, cert)
    True
    """
    A = np.asarray(A, dtype=np.float64)
    levels = np.asarray(levels)
    m = A.shape[0]
    if not cert.pairs or len(set(cert.pairs)) != len(cert.pairs) or len(cert.pairs) != len(cert.multipliers):
        return False
    if not all(0 <= i < m and 0 <= j <= n_levels - 2 for i, j in cert.pairs):
        return False
    used = levels[[i for i, _ in cert.pairs]]
    if not np.all((used == np.round(used)) & (used >= 0) & (used <= n_levels - 1)):
        return False
    lifted, signs = lift_levels(A, levels, list(cert.pairs))
    return verify_certificate(lifted, signs, Certificate(tuple(range(len(cert.pairs))), cert.multipliers))
