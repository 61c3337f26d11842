"""Proofs about networks with integer weights (``ternary``, ``int:K``): the rebuilt model is infeasible.

The body is empty on purpose: everything is read from the claim and the data. The checker
rebuilds the whole-network model (:class:`~ftprop_exact.proofs.integer_model.IntegerModel`)
from the data and the claim's widths, activation and weight domain — the domain's bound,
the bias ranges and the common input scale are recomputed, never read — and solves it
again: it must be infeasible. For a ``min_weight`` claim ("every fitting network has at
least L non-zero weights") the rebuilt model allows at most ``L - 1`` non-zero weights.

A claim about real weights is refused: real weights are not a finite domain, and this
model says nothing about them (nor does a real-weights proof say anything here, see
:func:`ftprop_exact.proofs.check.check_proof`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftprop_exact.data import Dataset
from ftprop_exact.errors import DataError
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.base import ProofBase, parse_fields
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.weights import parse_weights

KIND = "cpsat-integer"


@dataclass(frozen=True)
class IntegerProof(ProofBase):
    """The claim, shown by the whole-network integer model rebuilt from it being infeasible.

    Attributes
    ----------
    claim : Claim
        An integer weight domain; infeasibility, or (``min_weight``) a bound on the
        non-zero weights.
    """

    claim: Claim
    kind: str = KIND
    cheap = False
    covers_integer_domains = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "cpsat-integer", "claim": {...}}``."""
        return {"kind": self.kind, "claim": self.claim.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IntegerProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        d = parse_fields(d, KIND, ())
        return cls(Claim.from_dict(d["claim"]))

    def structure_problem(self) -> str | None:
        """An integer domain, and feasibility or min_weight (not min_errors)."""
        if not self.claim.integer:
            return f"a {KIND} proof covers integer weight domains (ternary, int:K), not {self.claim.weights!r}"
        if self.claim.objective == "min_errors":
            return f"a {KIND} proof shows infeasibility or a bound on non-zero weights, not a bound on errors"
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Thorough: rebuild the model from the claim and data and re-solve it (must be infeasible)."""
        if not thorough:
            return True, "integer model not re-solved (ftprop verify-proof re-solves it)"
        from ftprop_exact.proofs.integer_model import IntegerModel  # imports OR-Tools

        claim = self.claim
        problem = Problem.build(data, claim.hidden, claim.activation, weights=claim.weights)
        if problem.conflict is not None:
            return True, f"rows {list(problem.conflict)} have identical features and different labels: no network fits"
        limit = claim.lower_bound - 1 if claim.objective == "min_weight" else None
        try:
            model = IntegerModel(problem, parse_weights(claim.weights), max_nonzero=limit)
        except DataError as exc:
            return False, str(exc)
        status = model.solve(time_limit if time_limit is not None else 1e9, 1, seed=0).status
        if status != "INFEASIBLE":
            return False, f"the rebuilt integer model is {status.lower()}, not infeasible"
        what = f"with at most {limit} non-zero weights " if limit is not None else ""
        return True, f"rebuilt integer model ({claim.weights}) {what}infeasible"
