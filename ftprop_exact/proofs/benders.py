"""Proofs of the exact CP-SAT engine (logic-based Benders), and their independent re-check.

A proof lists the first-layer cuts (each with its exact certificate, in rows of the data as
given) that the final master used. Everything else is read from the claim: the master is
rebuilt from the data and the claim's widths, weight cap and error bound (the Muroga weight
bounds are recomputed, never read), the cuts are added, and the master is solved again: it
must be infeasible. Re-checking means: every certificate verified in exact arithmetic, then
(thorough check) the rebuilt master re-solved.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from ftprop_exact import progress
from ftprop_exact.data import Dataset
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.base import ProofBase, int_list, parse_fields, rebuilt_master_verdict
from ftprop_exact.proofs.certificate import Certificate, parse_fraction, verify_certificate
from ftprop_exact.proofs.claim import Claim

if TYPE_CHECKING:  # the master (CP-SAT) is imported only to rebuild one
    from ftprop_exact.proofs.master import MasterModel

FIRST_LAYER_MODES = ("exact", "cuts")
SCOPES = ("network", "first-layer-codes")


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
    def from_dict(cls, d: Any) -> ProofCut:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        if not isinstance(d, dict) or set(d) != {"rows", "signs", "multipliers_exact"}:
            raise ValueError(f"a cut has exactly the fields rows, signs and multipliers_exact; got {d!r}")
        if not isinstance(d["multipliers_exact"], list):
            raise ValueError("multipliers_exact must be a list of 'p/q' strings")
        return cls(
            rows=int_list(d["rows"], "cut rows"),
            signs=int_list(d["signs"], "cut signs"),
            multipliers=tuple(parse_fraction(x) for x in d["multipliers_exact"]),
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
class CPSATProof(ProofBase):
    """The claim, shown by the CP-SAT master with these first-layer cuts being infeasible.

    Attributes
    ----------
    claim : Claim
        Widths, error bound and weight cap of the rebuilt master.
    first_layer : {"exact", "cuts"}
        Whether layer 1 was modelled with integer weights (Boolean data) or by cuts.
    cuts : tuple of ProofCut
        First-layer cuts used by the final master.
    differ_pairs : tuple of (int, int)
        Differently labelled rows (of the data as given) whose codes the master kept apart
        at every hidden layer (implied constraints; the checker confirms the labels differ).
        Written only when non-empty.
    scope : {"network", "first-layer-codes"}
        "network": the master of the claim's whole network. "first-layer-codes": only its
        first hidden layer, every two differently labelled rows with different codes there
        (a necessary condition at any depth; feasibility claims with an exact first layer,
        :func:`~ftprop_exact.proofs.master.first_layer_codes_spec`). Written only when not
        "network".
    """

    claim: Claim
    first_layer: str
    cuts: tuple[ProofCut, ...]
    differ_pairs: tuple[tuple[int, int], ...] = ()
    scope: str = "network"
    kind: str = "cpsat-benders"
    cheap = False

    @property
    def bounded(self) -> bool:
        """True when a weight cap makes this a proof about bounded weights only."""
        return self.claim.bounded

    @property
    def lower_bound(self) -> int | None:
        """Minimising errors: the proven lower bound (None for an infeasibility proof)."""
        return self.claim.lower_bound

    def to_dict(self) -> dict[str, Any]:
        """JSON form (re-checkable with ``ftprop verify-proof``)."""
        document = {
            "kind": self.kind,
            "claim": self.claim.to_dict(),
            "first_layer": self.first_layer,
            "cuts": [c.to_dict() for c in self.cuts],
        }
        if self.differ_pairs:
            document["differ_pairs"] = [[int(a), int(b)] for a, b in self.differ_pairs]
        if self.scope != "network":
            document["scope"] = self.scope
        return document

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CPSATProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields, ``differ_pairs`` and ``scope`` optional)."""
        optional = isinstance(d, dict) and "differ_pairs" in d
        scoped = isinstance(d, dict) and "scope" in d
        fields = ("first_layer", "cuts") + (("differ_pairs",) if optional else ()) + (("scope",) if scoped else ())
        d = parse_fields(d, "cpsat-benders", fields)
        scope = d["scope"] if scoped else "network"
        if scoped and scope == "network":
            raise ValueError("scope 'network' is the default and is not written")
        if not isinstance(d["cuts"], list):
            raise ValueError("cuts must be a list")
        pairs = d["differ_pairs"] if optional else []
        if optional and (not isinstance(pairs, list) or not pairs):
            raise ValueError("differ_pairs must be a non-empty list of row pairs (or absent)")
        differ = tuple(int_list(p, "a differ pair") for p in pairs)
        if any(len(p) != 2 for p in differ):
            raise ValueError("every differ pair names two rows")
        cuts = tuple(ProofCut.from_dict(c) for c in d["cuts"])
        return cls(Claim.from_dict(d["claim"]), str(d["first_layer"]), cuts, tuple((p[0], p[1]) for p in differ), str(scope))

    def structure_problem(self) -> str | None:
        """The master needs a hidden layer and a known first-layer mode."""
        if not self.claim.hidden:
            return "a CP-SAT proof needs at least one hidden layer"
        if self.first_layer not in FIRST_LAYER_MODES:
            return f"unknown first_layer {self.first_layer!r}"
        if self.scope not in SCOPES:
            return f"unknown scope {self.scope!r}"
        if self.scope == "first-layer-codes" and (self.claim.objective != "feasibility" or self.first_layer != "exact"):
            return "a first-layer-codes proof needs a feasibility claim and an exact first layer"
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Every certificate exactly; thorough: also rebuild the master and re-solve it."""
        failure = failing_cut(self.cuts, data.X) or self.failing_differ_pair(data)
        if failure is not None:
            return False, failure
        return rebuilt_master_verdict(lambda: rebuild_master(self, data), len(self.cuts), thorough, time_limit)


    def failing_differ_pair(self, data: Dataset) -> str | None:
        """Which differ pair is not an implied constraint (None: all are), without a solver.

        A pair is implied only for a feasibility claim and two rows with different labels
        (they then need different codes at every hidden layer); the thorough check also
        places each pair in the rebuilt master.
        """
        if self.differ_pairs and self.claim.objective != "feasibility":
            return "differ pairs are only implied by a feasibility claim"
        m = data.n_examples
        for a, b in self.differ_pairs:
            if not (0 <= a < m and 0 <= b < m) or a == b:
                return f"differ pair {[a, b]}: not two rows of the data"
            if np.array_equal(data.Y[a], data.Y[b]):
                return f"differ pair {[a, b]}: the rows have the same label"
        return None


@progress.in_phase("exact certificates")
def failing_cut(cuts: tuple[ProofCut, ...], X: np.ndarray) -> str | None:
    """Which cut's certificate does not verify exactly on ``X`` (None: all verify)."""
    for k, cut in enumerate(cuts):
        if not cut.verify(X):
            return f"cut {k} (rows {list(cut.rows)}): certificate does not verify"
    return None


def rebuild_master(
    proof: CPSATProof, data: Dataset, fixed: tuple[tuple[int, int, int, int], ...] = ()
) -> MasterModel:
    """The master implied by the data and the proof's claim (bounds recomputed), with its cuts.

    ``fixed``: hidden targets ``(layer, unit, row, value)`` to fix (a cube of a cubes
    proof; layers from 1, rows of the data as given, values +-1).
    """
    from ftprop_exact.proofs.master import MasterModel, first_layer_codes_spec, master_spec

    claim = proof.claim
    minimising = claim.objective == "min_errors"
    problem = Problem.build(data, claim.hidden, claim.activation, merge="examples" if minimising else "features")
    if problem.conflict is not None:
        raise ValueError("the data has identical rows with different labels (a duplicate-conflict proof applies)")
    if proof.scope == "first-layer-codes":
        if proof.structure_problem() is not None:
            raise ValueError(proof.structure_problem())
        codes = first_layer_codes_spec(problem, claim.max_weight)
        if codes is None:
            raise ValueError("no first-layer codes master for this data (not Boolean, or too many pairs)")
        spec = codes
    else:
        spec, _ = master_spec(problem, proof.first_layer, claim.max_weight, claim.objective)
    if minimising:
        spec.max_errors = claim.minimum_errors - 1
    master = MasterModel(spec)
    position = {int(r): k for k, r in enumerate(problem.row_index)}
    for cut in proof.cuts:
        if not all(r in position for r in cut.rows):
            raise ValueError(f"cut rows {list(cut.rows)} are not first occurrences of distinct rows")
        master.add_cut(tuple(position[r] for r in cut.rows), cut.signs)
    for a, b in proof.differ_pairs:
        if a not in position or b not in position:
            raise ValueError(f"differ pair {[a, b]}: not first occurrences of distinct rows")
        master.add_differ_pair(position[a], position[b])  # refuses same labels and error literals
    for layer, unit, row, value in fixed:
        if row not in position:
            raise ValueError(f"cube literal row {row} is not the first occurrence of a distinct row")
        master.fix_target(layer - 1, position[row], unit, value)
    return master
