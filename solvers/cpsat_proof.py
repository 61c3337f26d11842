"""Infeasibility proofs of the CP-SAT searcher, and their independent re-check.

A proof lists the first-layer cuts (each with its exact certificate, in rows of the data as
given), the weight bounds and the symmetry breaking of the master. Re-checking it means:
every certificate is verified in exact arithmetic on the data; the bounds are recomputed
(Muroga) rather than trusted; the master is rebuilt from the data and these cuts alone and
solved again, and must be infeasible.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ftprop_exact.data import Dataset
from ftprop_exact.solvers.certificate import Certificate, verify_certificate
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.cpsat_model import MasterModel, master_spec


@dataclass(frozen=True)
class ProofCut:
    """A first-layer cut in rows of the data as given, with its certificate."""

    rows: tuple[int, ...]
    signs: tuple[int, ...]
    multipliers: tuple[Fraction, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form with exact ``"p/q"`` multipliers."""
        return {
            "rows": list(self.rows),
            "signs": list(self.signs),
            "multipliers_exact": [f"{x.numerator}/{x.denominator}" for x in self.multipliers],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProofCut:
        """Inverse of :meth:`to_dict`."""
        return cls(
            rows=tuple(int(r) for r in d["rows"]),
            signs=tuple(int(s) for s in d["signs"]),
            multipliers=tuple(Fraction(x) for x in d["multipliers_exact"]),
        )

    def verify(self, X: np.ndarray) -> bool:
        """Exactly re-check that these rows cannot carry this pattern in the input space."""
        if len(self.rows) != len(self.signs) or any(s not in (-1, 1) for s in self.signs):
            return False
        if not all(0 <= r < X.shape[0] for r in self.rows):
            return False
        t = np.ones(X.shape[0], dtype=np.int8)
        t[list(self.rows)] = self.signs
        return verify_certificate(X, t, Certificate(self.rows, self.multipliers))


@dataclass(frozen=True)
class CPSATProof:
    """No network with these hidden widths fits (within ``max_weight`` when it is set).

    Attributes
    ----------
    hidden : tuple of int
        Hidden widths.
    first_layer : {"exact", "cuts"}
        Whether layer 1 was modelled with integer weights (Boolean data) or by cuts.
    max_weight : int or None
        A user cap on |w| below the Muroga bounds: then the proof only covers such weights
        (``bounded`` is True) and the answer is not INFEASIBLE.
    cuts : tuple of ProofCut
        First-layer cuts used by the final master.
    lower_bound : int or None
        Minimising errors: every network misclassifies at least this many examples (the
        master with at most ``lower_bound - 1`` errors is infeasible). None: the proof shows
        that no network fits every example.
    """

    hidden: tuple[int, ...]
    first_layer: str
    max_weight: int | None
    cuts: tuple[ProofCut, ...]
    lower_bound: int | None = None
    kind: str = "cpsat-benders"

    @property
    def bounded(self) -> bool:
        """True when a weight cap makes this a proof about bounded weights only."""
        return self.max_weight is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (re-checkable with ``ftprop verify-proof``)."""
        return {
            "kind": self.kind,
            "hidden": list(self.hidden),
            "first_layer": self.first_layer,
            "max_weight": self.max_weight,
            "lower_bound": self.lower_bound,
            "cuts": [c.to_dict() for c in self.cuts],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CPSATProof:
        """Inverse of :meth:`to_dict`."""
        return cls(
            hidden=tuple(int(h) for h in d["hidden"]),
            first_layer=str(d["first_layer"]),
            max_weight=None if d.get("max_weight") is None else int(d["max_weight"]),
            cuts=tuple(ProofCut.from_dict(c) for c in d["cuts"]),
            lower_bound=None if d.get("lower_bound") is None else int(d["lower_bound"]),
        )

    def verify(self, data: Dataset, time_limit: float | None = None, threads: int = 1) -> bool:
        """Re-check every certificate exactly, rebuild the master and re-solve it.

        Returns True only if every cut verifies and the rebuilt master is infeasible.
        """
        return verify_cpsat_proof(self, data, time_limit=time_limit, threads=threads)[0]


def rebuild_master(proof: CPSATProof, data: Dataset) -> MasterModel:
    """The master implied by the data and the proof's claims (bounds recomputed), with its cuts."""
    minimising = proof.lower_bound is not None
    problem = Problem.build(data, proof.hidden, merge="examples" if minimising else "features")
    if problem.conflict is not None:
        raise ValueError("the data has identical rows with different labels (a duplicate-conflict proof applies)")
    if proof.first_layer not in ("exact", "cuts"):
        raise ValueError(f"unknown first_layer {proof.first_layer!r}")
    spec, _ = master_spec(problem, proof.first_layer, proof.max_weight, "min_errors" if minimising else "feasibility")
    if minimising:
        spec.max_errors = proof.lower_bound - 1
    master = MasterModel(spec)
    position = {int(r): k for k, r in enumerate(problem.row_index)}
    for cut in proof.cuts:
        if not all(r in position for r in cut.rows):
            raise ValueError(f"cut rows {list(cut.rows)} are not first occurrences of distinct rows")
        master.add_cut(tuple(position[r] for r in cut.rows), cut.signs)
    return master


def verify_cpsat_proof(
    proof: CPSATProof, data: Dataset, time_limit: float | None = None, threads: int = 1
) -> tuple[bool, str]:
    """Re-check a proof; returns (ok, explanation)."""
    if not proof.hidden:
        return False, "a CP-SAT proof needs at least one hidden layer"
    for k, cut in enumerate(proof.cuts):
        if not cut.verify(data.X):
            return False, f"cut {k} (rows {list(cut.rows)}): certificate does not verify"
    if proof.lower_bound is not None and proof.lower_bound < 1:
        return False, "a lower bound below 1 proves nothing"
    try:
        master = rebuild_master(proof, data)
    except ValueError as exc:
        return False, str(exc)
    status = master.solve(time_limit if time_limit is not None else 1e9, threads, seed=0).status
    if status != "INFEASIBLE":
        return False, f"the rebuilt master is {status.lower()}, not infeasible"
    what = "no network fits" if proof.lower_bound is None else f"every network has >= {proof.lower_bound} errors"
    return True, f"{len(proof.cuts)} certificates verified exactly; rebuilt master infeasible: {what}"
