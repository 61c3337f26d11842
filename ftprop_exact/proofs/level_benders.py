"""Proofs of the exact engine over level targets (``qrelu:K``), and their independent re-check.

A ``level-benders`` proof lists the cuts the final master used, each with its certificate in
rows of the data as given:

- a hidden-layer cut names its layer, rows, the rows' target levels, (deeper layers) the
  previous layer's levels on those rows, and a level certificate
  (:class:`~ftprop_exact.proofs.levels.LevelCertificate`, pairs indexing the cut's rows);
- an output-layer cut names its rows, the last hidden layer's levels on them, the output
  unit whose labels it uses, and Gordan multipliers over those level vectors.

Checking: every certificate is re-verified in exact rational arithmetic over the data (first
layer) or over the integer level vectors the cut names, with the labels read from the data
(output layer); then (thorough check) the master of :mod:`.level_master` is rebuilt from the
claim and the data, the cuts are added, and CP-SAT must find it infeasible. The claim names
the activation (``qrelu:K``): K is read from it, never from the proof body.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ftprop_exact.activations import activation_levels, is_levelled
from ftprop_exact.data import Dataset
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.base import ProofBase, int_list, parse_fields, rebuilt_master_verdict
from ftprop_exact.proofs.certificate import Certificate, parse_fraction, verify_certificate
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.proofs.levels import LevelCertificate, verify_level_certificate

__all__ = ["LevelBendersProof", "LevelCut"]

_CUT_FIELDS = {"layer", "unit", "rows", "inputs", "levels", "pairs", "multipliers_exact"}


@dataclass(frozen=True)
class LevelCut:
    """One cut of a level master, in rows of the data as given, with its certificate.

    Attributes
    ----------
    layer : int
        1-based: ``1..len(hidden)`` hidden layers, ``len(hidden) + 1`` the output layer.
    unit : int
        Output layer: the output unit whose labels the certificate uses. Hidden layers:
        the unit the certificate was found at (the cut holds for every unit of the layer).
    rows : tuple of int
        Distinct rows of the data as given (first occurrences).
    inputs : tuple of tuple of int, or None
        The previous layer's levels on ``rows`` (None on the first layer).
    levels : tuple of int, or None
        Hidden layers: the target levels on ``rows``; None on the output layer.
    pairs : tuple of (int, int)
        Hidden layers: the certificate's (k, step) pairs, ``k`` indexing ``rows``; empty on
        the output layer (its multipliers are one per row).
    multipliers : tuple of Fraction
    """

    layer: int
    unit: int
    rows: tuple[int, ...]
    inputs: tuple[tuple[int, ...], ...] | None
    levels: tuple[int, ...] | None
    pairs: tuple[tuple[int, int], ...]
    multipliers: tuple[Fraction, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (exact ``"p/q"`` multipliers)."""
        return {
            "layer": self.layer,
            "unit": self.unit,
            "rows": list(self.rows),
            "inputs": None if self.inputs is None else [list(v) for v in self.inputs],
            "levels": None if self.levels is None else list(self.levels),
            "pairs": [list(p) for p in self.pairs],
            "multipliers_exact": [f"{x.numerator}/{x.denominator}" for x in self.multipliers],
        }

    @classmethod
    def from_dict(cls, d: Any) -> LevelCut:
        """Inverse of :meth:`to_dict` (strict: exactly these fields, integers where integers belong)."""
        if not isinstance(d, dict) or set(d) != _CUT_FIELDS:
            raise ValueError(f"a level cut has exactly the fields {sorted(_CUT_FIELDS)}; got {d!r:.200}")
        for name in ("layer", "unit"):
            if not isinstance(d[name], int) or isinstance(d[name], bool):
                raise ValueError(f"level cut {name} must be an integer; got {d[name]!r}")
        inputs = None if d["inputs"] is None else tuple(int_list(v, "cut inputs") for v in _list(d["inputs"], "inputs"))
        levels = None if d["levels"] is None else int_list(d["levels"], "cut levels")
        pairs = tuple(int_list(p, "a cut pair") for p in _list(d["pairs"], "pairs"))
        if any(len(p) != 2 for p in pairs):
            raise ValueError("every cut pair is [k, step]")
        multipliers = tuple(parse_fraction(x) for x in _list(d["multipliers_exact"], "multipliers_exact"))
        return cls(d["layer"], d["unit"], int_list(d["rows"], "cut rows"), inputs, levels, tuple((p[0], p[1]) for p in pairs), multipliers)

    def failure(self, data: Dataset, claim: Claim) -> str | None:
        """Why this cut is not proven on ``data`` for ``claim`` (None: its certificate verifies exactly)."""
        hidden, n_levels = claim.hidden, activation_levels(claim.activation)
        m = data.n_examples
        if not 1 <= self.layer <= len(hidden) + 1:
            return f"layer {self.layer} is not a layer of a network with hidden {list(hidden)}"
        if not self.rows or len(set(self.rows)) != len(self.rows) or not all(0 <= r < m for r in self.rows):
            return "rows must be distinct rows of the data"
        output = self.layer == len(hidden) + 1
        if (self.layer == 1) != (self.inputs is None):
            return "inputs are given exactly for the layers after the first"
        if self.inputs is not None:
            width = hidden[self.layer - 2]
            if len(self.inputs) != len(self.rows) or not all(
                len(v) == width and all(0 <= x < n_levels for x in v) for v in self.inputs
            ):
                return f"inputs must be one vector of {width} levels in 0..{n_levels - 1} per row"
        A = data.X[list(self.rows)] if self.inputs is None else np.array(self.inputs, dtype=np.float64)
        if output:
            if self.levels is not None or self.pairs:
                return "an output-layer cut has no levels and no pairs"
            if not 0 <= self.unit < data.Y.shape[1]:
                return f"unit {self.unit} is not an output unit"
            t = np.asarray(data.Y[list(self.rows), self.unit], dtype=np.int64)
            ok = verify_certificate(A, t, Certificate(tuple(range(len(self.rows))), self.multipliers))
        else:
            if not 0 <= self.unit < hidden[self.layer - 1]:
                return f"unit {self.unit} is not a unit of layer {self.layer}"
            if self.levels is None or len(self.levels) != len(self.rows):
                return "a hidden-layer cut gives one target level per row"
            cert = LevelCertificate(self.pairs, self.multipliers)
            ok = verify_level_certificate(A, np.array(self.levels), n_levels, cert)
        return None if ok else "certificate does not verify"


def _list(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list")
    return value


@dataclass(frozen=True)
class LevelBendersProof(ProofBase):
    """The claim about ``qrelu:K`` networks, shown by an infeasible level master with these cuts.

    Attributes
    ----------
    claim : Claim
        Feasibility of ``qrelu:K`` networks of the claim's widths (real weights).
    cuts : tuple of LevelCut
    """

    claim: Claim
    cuts: tuple[LevelCut, ...]
    kind: str = "level-benders"
    cheap = False
    covers_levels = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form (re-checkable with ``ftprop verify-proof``)."""
        return {"kind": self.kind, "claim": self.claim.to_dict(), "cuts": [c.to_dict() for c in self.cuts]}

    @classmethod
    def from_dict(cls, d: Any) -> LevelBendersProof:
        """Inverse of :meth:`to_dict` (strict)."""
        d = parse_fields(d, "level-benders", ("cuts",))
        return cls(Claim.from_dict(d["claim"]), tuple(LevelCut.from_dict(c) for c in _list(d["cuts"], "cuts")))

    def structure_problem(self) -> str | None:
        """A feasibility claim about ``qrelu:K`` hidden layers, real weights, no cap."""
        claim = self.claim
        if not claim.hidden:
            return "a level-benders proof needs at least one hidden layer"
        if not is_levelled(claim.activation):
            return f"a level-benders proof covers qrelu:K units, not {claim.activation}"
        if claim.objective != "feasibility" or claim.bounded:
            return "a level-benders proof shows feasibility claims over real weights only"
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Every certificate exactly; thorough: also rebuild the master and re-solve it."""
        for k, cut in enumerate(self.cuts):
            failure = cut.failure(data, self.claim)
            if failure is not None:
                return False, f"cut {k} (layer {cut.layer}, rows {list(cut.rows)[:8]}): {failure}"
        build = functools.partial(rebuild_level_master, self, data)
        return rebuilt_master_verdict(build, len(self.cuts), thorough, time_limit, "level master")


def rebuild_level_master(proof: LevelBendersProof, data: Dataset):  # -> LevelMaster (CP-SAT imported lazily)
    """The level master implied by the data and the proof's claim, with the proof's cuts."""
    from ftprop_exact.proofs.level_master import LevelCutRows, LevelMaster

    problem = Problem.build(data, proof.claim.hidden, proof.claim.activation, merge="features")
    if problem.conflict is not None:
        raise ValueError("the data has identical rows with different labels (a duplicate-conflict proof applies)")
    master = LevelMaster(problem)
    position = {int(r): k for k, r in enumerate(problem.row_index)}
    for cut in proof.cuts:
        if not all(r in position for r in cut.rows):
            raise ValueError(f"cut rows {list(cut.rows)[:8]} are not first occurrences of distinct rows")
        steps = () if cut.levels is None else tuple((k, s, 1 if cut.levels[k] > s else -1) for k, s in cut.pairs)
        master.add_cut(LevelCutRows(cut.layer - 1, tuple(position[r] for r in cut.rows), cut.inputs, steps))
    return master
