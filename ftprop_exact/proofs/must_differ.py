"""Must-differ proofs: pairwise-incompatible pairs of differently labelled examples.

Two examples with different labels must get different codes from the first hidden layer
(the rest of the network computes its output from that code alone), so some first-layer
unit gives them different values: it *separates* the pair. Two such pairs ``(a, b)`` and
``(c, d)`` are *incompatible* when no single unit separates both, i.e. when neither sign
pattern ``(a+, b-, c+, d-)`` nor ``(a+, b-, c-, d+)`` is linearly separable (the patterns
with ``a-`` are their negations, and a non-separability certificate holds for a pattern
and its negation alike). Each first-layer unit then separates at most one pair of a set of
``k`` pairwise-incompatible pairs, so every network whose first hidden layer has fewer
than ``k`` units misses one pair: INFEASIBLE, whatever the depth and the widths of the
later layers, for ``sign`` and ``step`` units alike (a unit is on iff ``z > 0``; on finitely
many points "``z > 0`` on one side, ``z <= 0`` on the other" is strict separability after a
shift of the bias, which the certificate excludes).

The body is the pairs (rows of the data as given) and, for every two pairs and every
orientation that does not contradict itself (pairs sharing a row), one certificate: rows
among the 3-4 rows of the pattern, the pattern's signs on them (or all negated), and exact
multipliers (:class:`~ftprop_exact.proofs.benders.ProofCut`). Checking needs exact integer
arithmetic only: no CP-SAT, no LP solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.data import Dataset
from ftprop_exact.proofs.base import ProofBase, int_list, parse_fields
from ftprop_exact.proofs.benders import ProofCut
from ftprop_exact.proofs.claim import Claim

ORIENTATIONS = (1, -1)


def label_classes(Y: np.ndarray) -> np.ndarray:
    """One integer per row: rows with equal label vectors share it.

    Examples
    --------
    >>> label_classes(np.array([[1], [-1], [1]])).tolist()
    [1, 0, 1]
    """
    return np.unique(np.asarray(Y), axis=0, return_inverse=True)[1].reshape(-1)


def orientation_pattern(first: tuple[int, int], second: tuple[int, int], orientation: int) -> dict[int, int] | None:
    """Signs one unit gives the rows of two pairs when it separates both, or None if impossible.

    The first pair's rows get ``+1, -1``; the second pair's rows ``orientation, -orientation``.
    None when a shared row would need both signs (no unit can do that: nothing to certify).

    Examples
    --------
    >>> orientation_pattern((0, 1), (1, 2), 1) is None
    True
    >>> orientation_pattern((0, 1), (1, 2), -1)
    {0: 1, 1: -1, 2: 1}
    """
    pattern = {first[0]: 1, first[1]: -1}
    for row, sign in ((second[0], orientation), (second[1], -orientation)):
        if pattern.setdefault(row, sign) != sign:
            return None
    return pattern


@dataclass(frozen=True)
class Incompatibility:
    """One orientation of two pairs that no unit realises, with its certificate.

    Attributes
    ----------
    pairs : tuple of (int, int)
        Positions ``i < j`` in the proof's list of pairs.
    orientation : {1, -1}
        See :func:`orientation_pattern`.
    cut : ProofCut
        Rows among the pattern's rows, the pattern's signs on them (or all negated), and
        exact multipliers.
    """

    pairs: tuple[int, int]
    orientation: int
    cut: ProofCut

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"pairs": [i, j], "orientation": 1, "cut": {...}}``."""
        return {"pairs": list(self.pairs), "orientation": int(self.orientation), "cut": self.cut.to_dict()}

    @classmethod
    def from_dict(cls, d: Any) -> Incompatibility:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        if not isinstance(d, dict) or set(d) != {"pairs", "orientation", "cut"}:
            raise ValueError(f"an incompatibility has exactly the fields pairs, orientation and cut; got {d!r}")
        pairs = int_list(d["pairs"], "incompatibility pairs")
        (orientation,) = int_list([d["orientation"]], "orientation")
        if len(pairs) != 2:
            raise ValueError(f"an incompatibility names two pairs; got {list(pairs)}")
        return cls((pairs[0], pairs[1]), orientation, ProofCut.from_dict(d["cut"]))


@dataclass(frozen=True)
class MustDifferProof(ProofBase):
    """No network whose first hidden layer has fewer than ``len(pairs)`` units fits.

    Attributes
    ----------
    claim : Claim
        A feasibility claim whose first hidden width is below ``len(pairs)``.
    pairs : tuple of (int, int)
        Differently labelled rows of the data as given.
    incompatibilities : tuple of Incompatibility
        Exactly one per two pairs and self-consistent orientation.

    Examples
    --------
    >>> from ftprop_exact.data import make_dataset
    >>> from ftprop_exact.proofs.certificate import exact_certificate
    >>> data = make_dataset([[0.0], [1.0], [2.0]], [0, 1, 0])
    >>> cert = exact_certificate(data.X, np.array([1, -1, 1]), [0, 1, 2])
    >>> cut = ProofCut(cert.rows, (1, -1, 1), cert.multipliers)
    >>> proof = MustDifferProof(Claim.of(data, (1, 4)), ((0, 1), (1, 2)), (Incompatibility((0, 1), -1, cut),))
    >>> proof.check_body(data)
    (True, '2 pairwise-incompatible must-differ pairs, 1 certificates verified exactly')
    """

    claim: Claim
    pairs: tuple[tuple[int, int], ...]
    incompatibilities: tuple[Incompatibility, ...]
    kind: str = "must-differ"
    cheap = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "must-differ", "claim", "pairs": [[a, b], ...], "incompatibilities": [...]}``."""
        return {
            "kind": self.kind,
            "claim": self.claim.to_dict(),
            "pairs": [[int(a), int(b)] for a, b in self.pairs],
            "incompatibilities": [x.to_dict() for x in self.incompatibilities],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MustDifferProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        d = parse_fields(d, "must-differ", ("pairs", "incompatibilities"))
        if not isinstance(d["pairs"], list) or not isinstance(d["incompatibilities"], list):
            raise ValueError("pairs and incompatibilities must be lists")
        pairs = tuple(int_list(p, "a pair") for p in d["pairs"])
        if any(len(p) != 2 for p in pairs):
            raise ValueError("every pair names two rows")
        return cls(
            Claim.from_dict(d["claim"]),
            tuple((p[0], p[1]) for p in pairs),
            tuple(Incompatibility.from_dict(x) for x in d["incompatibilities"]),
        )

    def structure_problem(self) -> str | None:
        """The pairs bound the first hidden width of a feasibility claim."""
        if not self.claim.hidden:
            return "a must-differ proof bounds the first hidden layer; the claim has none"
        if self.claim.objective != "feasibility":
            return "a must-differ proof proves infeasibility, not a bound on errors"
        if len(self.pairs) <= self.claim.hidden[0]:
            return (
                f"{len(self.pairs)} pairwise-incompatible pairs prove first-layer widths below {len(self.pairs)}, "
                f"not {self.claim.hidden[0]}"
            )
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Every pair differently labelled; every needed orientation certified exactly, once."""
        failure = _bad_pair(self.pairs, data)
        if failure is not None:
            return False, failure
        given: dict[tuple[int, int, int], ProofCut] = {}
        for x in self.incompatibilities:
            key = (x.pairs[0], x.pairs[1], x.orientation)
            if key in given:
                return False, f"pairs {list(x.pairs)}, orientation {x.orientation}: certified twice"
            given[key] = x.cut
        needed = 0
        k = len(self.pairs)
        for i in range(k):
            for j in range(i + 1, k):
                for orientation in ORIENTATIONS:
                    pattern = orientation_pattern(self.pairs[i], self.pairs[j], orientation)
                    cut = given.pop((i, j, orientation), None)
                    if pattern is None:
                        if cut is not None:
                            return False, f"pairs {[i, j]}, orientation {orientation}: impossible, nothing to certify"
                        continue
                    needed += 1
                    if cut is None:
                        return False, f"pairs {[i, j]}, orientation {orientation}: no certificate (one unit may separate both)"
                    failure = _bad_cut(cut, pattern, data.X)
                    if failure is not None:
                        return False, f"pairs {[i, j]}, orientation {orientation}: {failure}"
        if given:
            return False, f"certificates for pairs that are not in the proof: {sorted(given)[:3]}"
        return True, f"{k} pairwise-incompatible must-differ pairs, {needed} certificates verified exactly"


def _bad_pair(pairs: tuple[tuple[int, int], ...], data: Dataset) -> str | None:
    """Why some pair is not two distinct, differently labelled rows (None: all are)."""
    m = data.n_examples
    seen: set[frozenset[int]] = set()
    for a, b in pairs:
        if not (0 <= a < m and 0 <= b < m) or a == b:
            return f"pair {[a, b]} is not two distinct rows of the data ({m} rows)"
        if np.array_equal(data.Y[a], data.Y[b]):
            return f"rows {a} and {b} have the same label"
        if frozenset((a, b)) in seen:
            return f"pair {[a, b]} is listed twice"
        seen.add(frozenset((a, b)))
    return None


def _bad_cut(cut: ProofCut, pattern: dict[int, int], X: np.ndarray) -> str | None:
    """Why ``cut`` does not certify ``pattern`` (None: it does)."""
    if not cut.rows or any(r not in pattern for r in cut.rows) or len(cut.signs) != len(cut.rows):
        return f"certificate rows {list(cut.rows)} are not rows of the pattern"
    flip = cut.signs[0] * pattern[cut.rows[0]]
    if any(s != flip * pattern[r] for r, s in zip(cut.rows, cut.signs)):
        return "the certificate's signs are not the pattern's"
    if not cut.verify(X):
        return "certificate does not verify"
    return None
