"""Lower bounds on a single layer's errors: certificates and their minimum hitting set.

Each certificate says that output unit ``k`` cannot be right on all of its rows (they are
not linearly separable for unit ``k``'s labels), so every linear classifier misclassifies
at least one of those rows. Identical examples (same features, same labels) are classified
alike, so the check works on classes of identical examples: a certificate names the classes
of its rows, and erring on a class costs its size (once, however many certificates name it,
through whichever copies). Hence every single-layer network makes at least the minimum cost
of a set of classes that meets every certificate: the proof is the certificates, and the
check is (1) every certificate exactly, (2) no hitting set costs less than the claimed bound
(a disjoint packing when it suffices, else a small CP-SAT model that must be infeasible).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from ftprop_exact.data import Dataset
from ftprop_exact.proofs.base import ProofBase, int_list, parse_fields
from ftprop_exact.proofs.certificate import Certificate, verify_certificate
from ftprop_exact.proofs.claim import Claim


@dataclass(frozen=True)
class ConflictSet:
    """Rows (of the data as given) on which output ``unit`` cannot be right everywhere."""

    unit: int
    certificate: Certificate

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"unit": int(self.unit), "certificate": self.certificate.to_dict()}

    @classmethod
    def from_dict(cls, d: Any) -> ConflictSet:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(d, dict) or set(d) != {"unit", "certificate"}:
            raise ValueError(f"a conflict set has exactly the fields unit and certificate; got {d!r}")
        (unit,) = int_list([d["unit"]], "unit")
        return cls(unit, Certificate.from_dict(d["certificate"]))


@dataclass(frozen=True)
class HittingSetProof(ProofBase):
    """Every network without hidden layers misclassifies at least ``claim.lower_bound`` examples."""

    claim: Claim
    sets: tuple[ConflictSet, ...]
    kind: str = "hitting-set"
    cheap = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "hitting-set", "claim": {...}, "sets": [...]}``."""
        return {"kind": self.kind, "claim": self.claim.to_dict(), "sets": [s.to_dict() for s in self.sets]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HittingSetProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        d = parse_fields(d, "hitting-set", ("sets",))
        if not isinstance(d["sets"], list):
            raise ValueError("sets must be a list")
        return cls(Claim.from_dict(d["claim"]), tuple(ConflictSet.from_dict(s) for s in d["sets"]))

    def structure_problem(self) -> str | None:
        """Hitting sets of certificates bound the errors of a single layer only."""
        if self.claim.hidden:
            return f"a hitting-set bound covers networks without hidden layers, not hidden {list(self.claim.hidden)}"
        if self.claim.objective != "min_errors":
            return "a hitting-set proof bounds errors; it is not an infeasibility proof"
        if not self.sets:
            return "no conflict sets: nothing is proven"
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Every certificate exactly, then the minimum hitting cost against the claimed bound."""
        for k, conflict in enumerate(self.sets):
            if not 0 <= conflict.unit < data.n_outputs:
                return False, f"set {k}: output unit {conflict.unit} does not exist"
            if not verify_certificate(data.X, data.Y[:, conflict.unit], conflict.certificate):
                return False, f"set {k}: the certificate of output unit {conflict.unit} does not verify"
        bound = int(self.claim.lower_bound)
        if bound > data.n_examples:
            return False, f"a bound of {bound} errors on {data.n_examples} examples is impossible"
        example_class, cost = example_classes(data)
        class_sets = [tuple(sorted({int(example_class[r]) for r in conflict.certificate.rows})) for conflict in self.sets]
        answer = hitting_cost_at_least(class_sets, cost, bound, time_limit)
        if answer is None:
            return False, "the hitting-set bound could not be re-checked in time"
        if not answer:
            return False, f"some set of rows meeting every certificate costs less than {bound}"
        return True, f"{len(self.sets)} certificates verified exactly; every hitting set costs >= {bound}"


def example_classes(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Classes of identical examples (same features, same labels): each row's class, and each class's size."""
    keys = np.hstack([np.asarray(data.X, dtype=np.float64), data.Y.astype(np.float64)])
    _, example_class, sizes = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    return np.asarray(example_class).reshape(-1), sizes.astype(np.int64)


def disjoint_packing_cost(row_sets: list[tuple[int, ...]], cost: np.ndarray) -> int:
    """A quick lower bound: greedily pick pairwise disjoint sets, each costing its cheapest member."""
    used: set[int] = set()
    total = 0
    for rows in sorted(row_sets, key=len):
        if used.isdisjoint(rows):
            used.update(rows)
            total += int(min(cost[r] for r in rows))
    return total


def hitting_cost_at_least(
    row_sets: list[tuple[int, ...]], cost: np.ndarray, bound: int, time_limit: float | None = None
) -> bool | None:
    """Does every set of members (rows, or classes of rows) meeting each of ``row_sets`` cost at least ``bound``?

    Returns
    -------
    bool or None
        True or False when decided; None when CP-SAT ran out of ``time_limit``.
    """
    if disjoint_packing_cost(row_sets, cost) >= bound:
        return True
    rows = sorted({r for s in row_sets for r in s})
    model = cp_model.CpModel()
    pick = {r: model.new_bool_var(f"row_{r}") for r in rows}
    for s in row_sets:
        model.add_bool_or([pick[r] for r in s])
    model.add(sum(int(cost[r]) * pick[r] for r in rows) <= bound - 1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.catch_sigint_signal = False
    if time_limit is not None:
        solver.parameters.max_time_in_seconds = max(0.01, float(time_limit))
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return True
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    return None
