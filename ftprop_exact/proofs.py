"""Infeasibility proofs: every kind knows how to serialise and re-check itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ftprop_exact.data import Dataset
from ftprop_exact.solvers.certificate import Certificate, verify_certificate


@runtime_checkable
class Proof(Protocol):
    """A re-checkable proof that no network of the architecture fits the data."""

    kind: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``{"kind": ..., ...}``)."""
        ...

    def verify(self, data: Dataset) -> bool:
        """Re-check the proof against the data as given."""
        ...


@dataclass(frozen=True)
class DuplicateConflictProof:
    """Two rows with identical features and different labels: no classifier fits both.

    Examples
    --------
    >>> from ftprop_exact.data import make_dataset
    >>> data = make_dataset([[0.0], [1.0], [0.0]], [0, 1, 1])
    >>> DuplicateConflictProof((0, 2)).verify(data)
    True
    """

    rows: tuple[int, int]
    kind: str = "duplicate-conflict"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "duplicate-conflict", "rows": [i, j]}``."""
        return {"kind": self.kind, "rows": [int(r) for r in self.rows]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DuplicateConflictProof:
        """Inverse of :meth:`to_dict`."""
        i, j = (int(r) for r in d["rows"])
        return cls((i, j))

    def verify(self, data: Dataset) -> bool:
        """True iff both rows exist, have equal features and different labels."""
        i, j = self.rows
        m = data.n_examples
        if not (0 <= i < m and 0 <= j < m) or i == j:
            return False
        return bool(np.array_equal(data.X[i], data.X[j]) and not np.array_equal(data.Y[i], data.Y[j]))


@dataclass(frozen=True)
class SingleLayerProof:
    """No hidden layer: output ``unit``'s labels are not linearly separable from the inputs.

    The certificate's rows index the data as given.
    """

    unit: int
    certificate: Certificate
    kind: str = "single-layer"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "single-layer", "unit", "certificate": {...}}``."""
        return {"kind": self.kind, "unit": int(self.unit), "certificate": self.certificate.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SingleLayerProof:
        """Inverse of :meth:`to_dict`."""
        return cls(unit=int(d["unit"]), certificate=Certificate.from_dict(d["certificate"]))

    def verify(self, data: Dataset) -> bool:
        """Re-check the certificate exactly against the output unit's labels."""
        if not 0 <= self.unit < data.n_outputs:
            return False
        return verify_certificate(data.X, data.Y[:, self.unit], self.certificate)
