"""No-good cuts from first-layer certificates, shared by every searcher.

A certificate for a first-layer unit says: the rows ``S`` with targets ``s`` are not
linearly separable in the input space. The inputs of layer 1 are the fixed data, so the
statement holds for EVERY unit of layer 1, and also for the pattern ``-s`` (the same
multipliers certify the negation). A cut therefore forbids, for each unit ``j`` of layer 1,
``T1[S, j] == s`` and ``T1[S, j] == -s``. Cuts have at most ``n + 2`` rows: short, cheap to
test, and reusable across restarts, searchers and widths.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ftprop_exact.proofs.certificate import Certificate


@dataclass(frozen=True)
class Cut:
    """Rows (indices into the problem's distinct rows) and one forbidden sign pattern.

    The pattern is normalised so that its first sign is +1 (the cut forbids it and its
    negation alike).
    """

    rows: tuple[int, ...]
    signs: tuple[int, ...]
    certificate: Certificate

    @classmethod
    def from_certificate(cls, certificate: Certificate, t: np.ndarray) -> Cut:
        """The cut of a first-layer certificate for target column ``t`` (problem rows)."""
        rows = tuple(int(r) for r in certificate.rows)
        signs = np.asarray(t)[list(rows)].astype(int)
        if signs[0] < 0:
            signs = -signs
        return cls(rows=rows, signs=tuple(int(s) for s in signs), certificate=certificate)

    def violated_by(self, column: np.ndarray) -> bool:
        """True iff a first-layer target column carries the forbidden pattern (or its negation)."""
        values = np.asarray(column)[list(self.rows)] * self.signs[0]
        pattern = np.asarray(self.signs) * self.signs[0]
        return bool(np.all(values == pattern) or np.all(values == -pattern))


class CutPool:
    """A deduplicated, ordered collection of first-layer cuts (safe to share between threads).

    Examples
    --------
    >>> from fractions import Fraction
    >>> cert = Certificate((0, 1, 2, 3), (Fraction(1, 4),) * 4)
    >>> pool = CutPool()
    >>> pool.add(Cut.from_certificate(cert, np.array([-1, 1, 1, -1])))
    True
    >>> pool.add(Cut.from_certificate(cert, np.array([1, -1, -1, 1])))   # the negation: the same cut
    False
    >>> [cut.violated_by(np.array([1, -1, -1, 1])) for cut in pool]
    [True]
    """

    def __init__(self) -> None:
        self._cuts: dict[tuple[tuple[int, ...], tuple[int, ...]], Cut] = {}
        self._lock = threading.Lock()

    def add(self, cut: Cut) -> bool:
        """Add a cut; False if an identical one is already there."""
        key = (cut.rows, cut.signs)
        with self._lock:
            if key in self._cuts:
                return False
            self._cuts[key] = cut
            return True

    def __getstate__(self) -> dict:
        """Pickle the cuts without the lock (searchers travel to benchmark children)."""
        return {"_cuts": dict(self._cuts)}

    def __setstate__(self, state: dict) -> None:
        self._cuts = state["_cuts"]
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cuts)

    def __iter__(self):
        with self._lock:
            return iter(list(self._cuts.values()))
