"""The exhaustive proof of the brute-force oracle, checked by an enumeration of its own.

One hidden layer of width ``h``: a network fits iff some multiset of ``h`` linearly
separable first-layer columns (up to negation) lets every output unit separate the labels
over the resulting +-1 patterns. The proof lists first-layer cuts, each with an exact
certificate: a column carrying a cut's pattern (or its negation) on its rows is not
separable. The check verifies every certificate exactly, then enumerates every column that
no cut excludes (all of them are treated as possibly separable, which can only make the
check harder) and every multiset of ``h`` of them, and decides each output unit over the
patterns exactly (rational simplex; its answer, a certificate or rational weights, is itself
verified). It shares no code with the search that produced the proof.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.data import Dataset
from ftprop_exact.proofs.base import ProofBase, parse_fields
from ftprop_exact.proofs.benders import ProofCut, failing_cut
from ftprop_exact.proofs.certificate import decide_exactly, verify_certificate
from ftprop_exact.proofs.claim import Claim

MAX_CHECK_ROWS = 14  # distinct rows: 2^(rows-1) first-layer columns
MAX_CHECK_WIDTH = 4


@dataclass(frozen=True)
class ExhaustiveProof(ProofBase):
    """No network with one hidden layer of width ``claim.hidden[0]`` fits (tiny data only)."""

    claim: Claim
    cuts: tuple[ProofCut, ...]
    kind: str = "exhaustive"
    cheap = True  # the oracle runs on tiny data only; its check costs what its search cost

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "exhaustive", "claim": {...}, "cuts": [...]}``."""
        return {"kind": self.kind, "claim": self.claim.to_dict(), "cuts": [c.to_dict() for c in self.cuts]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExhaustiveProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        d = parse_fields(d, "exhaustive", ("cuts",))
        if not isinstance(d["cuts"], list):
            raise ValueError("cuts must be a list")
        return cls(Claim.from_dict(d["claim"]), tuple(ProofCut.from_dict(c) for c in d["cuts"]))

    def structure_problem(self) -> str | None:
        """One hidden layer of width <= 4, infeasibility only."""
        if len(self.claim.hidden) != 1 or self.claim.hidden[0] > MAX_CHECK_WIDTH:
            return f"an exhaustive proof covers one hidden layer of width <= {MAX_CHECK_WIDTH}; claim: {list(self.claim.hidden)}"
        if self.claim.objective != "feasibility":
            return "an exhaustive proof shows infeasibility, not a bound on errors"
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Every cut exactly; thorough: also the independent enumeration."""
        failure = failing_cut(self.cuts, data.X)
        if failure is not None:
            return False, failure
        if not thorough:
            return True, f"{len(self.cuts)} certificates verified exactly (enumeration not re-run)"
        return enumerate_networks(data, self.claim.hidden[0], self.cuts, Deadline(time_limit))


def enumerate_networks(data: Dataset, width: int, cuts: tuple[ProofCut, ...], deadline: Deadline) -> tuple[bool, str]:
    """True iff no multiset of ``width`` columns that the cuts leave open lets the outputs fit."""
    X, index = np.unique(np.asarray(data.X, dtype=np.float64), axis=0, return_inverse=True)
    index = np.asarray(index).reshape(-1)
    Y = np.zeros((X.shape[0], data.n_outputs), dtype=np.int64)
    for row, u in enumerate(index):
        if Y[u].any() and not np.array_equal(Y[u], data.Y[row]):
            return True, f"rows with identical features carry different labels (row {row}): no classifier fits"
        Y[u] = data.Y[row]
    u = X.shape[0]
    if u > MAX_CHECK_ROWS:
        return False, f"too many distinct rows ({u}) to re-check by enumeration (limit {MAX_CHECK_ROWS})"
    columns = [c for c in _all_columns(u) if not any(_excluded(c, cut, index) for cut in cuts)]
    decide = _OutputDecider(Y)
    weights = 1 << np.arange(width)
    combinations = 0
    for chosen in itertools.combinations_with_replacement(range(len(columns)), width):
        combinations += 1
        if combinations % 1024 == 0 and deadline.expired():
            return False, f"out of time after {combinations} combinations"
        patterns = ((np.stack([columns[c] for c in chosen], axis=1) > 0) * weights).sum(axis=1)
        verdict = decide.fits(tuple(int(p) for p in patterns), width)
        if verdict is None:
            return False, f"combination {list(chosen)}: an output unit could not be decided exactly"
        if verdict:
            return False, f"columns {list(chosen)} admit a network: the claim does not hold"
    total = math.comb(len(columns) + width - 1, width)
    return True, f"{len(cuts)} certificates verified; all {total} combinations of {len(columns)} open columns fail"


def _all_columns(u: int) -> list[np.ndarray]:
    """Every +-1 column over ``u`` rows with row 0 = +1 (a column and its negation are equivalent)."""
    return [np.array([1] + [1 if (c >> i) & 1 else -1 for i in range(u - 1)], dtype=np.int8) for c in range(2 ** (u - 1))]


def _excluded(column: np.ndarray, cut: ProofCut, index: np.ndarray) -> bool:
    """Does ``column`` (over distinct rows) carry the cut's pattern or its negation?"""
    values = column[index[list(cut.rows)]]
    signs = np.asarray(cut.signs)
    return bool(np.all(values == signs) or np.all(values == -signs))


class _OutputDecider:
    """Can every output unit separate its labels over given +-1 patterns? (exact, memoised)."""

    def __init__(self, Y: np.ndarray) -> None:
        self.Y = Y
        self.cache: dict[tuple, bool | None] = {}

    def fits(self, patterns: tuple[int, ...], width: int) -> bool | None:
        for k in range(self.Y.shape[1]):
            labelled: dict[int, int] = {}
            for p, label in zip(patterns, self.Y[:, k].tolist()):
                if labelled.setdefault(p, label) != label:
                    return False  # one pattern, two labels
            key = (width, tuple(sorted(labelled.items())))
            if key not in self.cache:
                self.cache[key] = _separable(labelled, width)
            if self.cache[key] is not True:
                return self.cache[key]
        return True


def _separable(labelled: dict[int, int], width: int) -> bool | None:
    """Exact decision, with the answer itself verified; None if neither side verifies."""
    points = sorted(labelled)
    A = np.array([[1.0 if (p >> q) & 1 else -1.0 for q in range(width)] for p in points]).reshape(len(points), width)
    t = np.array([labelled[p] for p in points], dtype=np.int64)
    decision = decide_exactly(A, t, range(len(points)))
    if decision.certificate is not None:
        return False if verify_certificate(A, t, decision.certificate) else None
    if decision.weights is None or decision.bias is None:
        return None
    w, b = decision.weights, decision.bias
    margins = [int(t[i]) * (sum(Fraction(A[i, q]) * w[q] for q in range(width)) + b) for i in range(len(points))]
    return True if all(z > 0 for z in margins) else None
