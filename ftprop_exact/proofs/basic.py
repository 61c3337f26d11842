"""The two cheapest proofs: a duplicate conflict, and a single layer's non-separability."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.data import Dataset
from ftprop_exact.proofs.base import ProofBase, int_list, parse_fields
from ftprop_exact.proofs.certificate import Certificate, verify_certificate
from ftprop_exact.proofs.claim import Claim


@dataclass(frozen=True)
class DuplicateConflictProof(ProofBase):
    """Two rows with identical features and different labels: no classifier fits both.

    It proves infeasibility for every architecture, so its claim may name any widths.

    Examples
    --------
    >>> from ftprop_exact.data import make_dataset
    >>> data = make_dataset([[0.0], [1.0], [0.0]], [0, 1, 1])
    >>> DuplicateConflictProof(Claim.of(data, (2,)), (0, 2)).check_body(data, True, None)[0]
    True
    """

    claim: Claim
    rows: tuple[int, int]
    kind: str = "duplicate-conflict"
    cheap = True
    covers_integer_domains = True  # no function at all maps one input to two labels
    covers_levels = True  # holds for any hidden activation, qrelu:K included

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "duplicate-conflict", "claim": {...}, "rows": [i, j]}``."""
        return {"kind": self.kind, "claim": self.claim.to_dict(), "rows": [int(r) for r in self.rows]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DuplicateConflictProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        d = parse_fields(d, "duplicate-conflict", ("rows",))
        rows = int_list(d["rows"], "rows")
        if len(rows) != 2:
            raise ValueError(f"a duplicate conflict names two rows; got {list(rows)}")
        return cls(Claim.from_dict(d["claim"]), (rows[0], rows[1]))

    def structure_problem(self) -> str | None:
        """A conflict proves infeasibility, not a bound on errors."""
        if self.claim.objective != "feasibility":
            return "a duplicate conflict proves infeasibility, not a bound on errors"
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Both rows exist, have equal features and different labels."""
        i, j = self.rows
        m = data.n_examples
        if not (0 <= i < m and 0 <= j < m) or i == j:
            return False, f"rows {i} and {j} are not two distinct rows of the data ({m} rows)"
        if not np.array_equal(data.X[i], data.X[j]):
            return False, f"rows {i} and {j} have different features"
        if np.array_equal(data.Y[i], data.Y[j]):
            return False, f"rows {i} and {j} have the same label"
        return True, f"rows {i} and {j} have identical features and different labels"


@dataclass(frozen=True)
class SingleLayerProof(ProofBase):
    """No hidden layer: output ``unit``'s labels are not linearly separable from the inputs.

    The certificate's rows index the data as given.
    """

    claim: Claim
    unit: int
    certificate: Certificate
    kind: str = "single-layer"
    cheap = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "single-layer", "claim", "unit", "certificate": {...}}``."""
        return {
            "kind": self.kind,
            "claim": self.claim.to_dict(),
            "unit": int(self.unit),
            "certificate": self.certificate.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SingleLayerProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        d = parse_fields(d, "single-layer", ("unit", "certificate"))
        (unit,) = int_list([d["unit"]], "unit")
        return cls(Claim.from_dict(d["claim"]), unit, Certificate.from_dict(d["certificate"]))

    def structure_problem(self) -> str | None:
        """A single-layer certificate proves infeasibility of a network without hidden layers."""
        if self.claim.hidden:
            return f"a single-layer certificate says nothing about hidden layers {list(self.claim.hidden)}"
        if self.claim.objective != "feasibility":
            return "a single certificate proves infeasibility, not a bound on errors (see the hitting-set proof)"
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Re-check the certificate exactly against the output unit's labels."""
        if not 0 <= self.unit < data.n_outputs:
            return False, f"output unit {self.unit} does not exist ({data.n_outputs} output(s))"
        if not verify_certificate(data.X, data.Y[:, self.unit], self.certificate):
            return False, f"the certificate of output unit {self.unit} does not verify"
        return True, f"certificate on {len(self.certificate.rows)} rows verified exactly"
