"""Cube-and-conquer proofs: one CP-SAT proof per cube, and cubes that cover everything.

Cube-and-conquer (:mod:`ftprop_exact.solvers.exact.dask_cubes`) splits one exact search by
fixing ``d`` hidden targets of the master (the *literals*: layer, unit, row) to each of
the ``2^d`` combinations of values; every cube is a CP-SAT master of its own, closed by a
:class:`~ftprop_exact.proofs.benders.CPSATProof` about that master *with the cube's
targets fixed*. Such a part alone proves nothing about the claim; the cubes together do:

Soundness. Let ``M`` be the master rebuilt from the data and the claim (symmetry breaking
included), ``C_k`` the cuts of part ``k`` (each backed by an exact certificate, so every
network's symmetry-broken targets satisfy it). Every assignment of ``M``'s variables gives
the ``d`` listed target variables some values ``v``; when the parts' cubes are exactly all
of ``{-1, +1}^d``, one part ``k`` has cube ``v``, and its master ``M + C_k + (literals =
v)`` contains that assignment. Every part's master infeasible therefore means ``M`` with
every valid cut is infeasible, which is the claim (docs/exact_search.md). The checker
verifies the cover *structurally* (distinct literals, ``2^d`` parts, no cube twice, every
value +-1) and never trusts the run that made the proof: it re-checks each part against
the cubes' claim with that part's literals.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from ftprop_exact.data import Dataset
from ftprop_exact.proofs.base import ProofBase, parse_fields
from ftprop_exact.proofs.benders import CPSATProof, failing_cut, rebuild_master
from ftprop_exact.proofs.claim import Claim

MAX_CUBE_LITERALS = 20  # at most 2^20 cubes in one proof


@dataclass(frozen=True)
class CubeLiteral:
    """One hidden target that the cubes fix: ``layer`` (from 1), ``unit`` (from 0), ``row`` of the data as given."""

    layer: int
    unit: int
    row: int

    def to_dict(self) -> dict[str, int]:
        """JSON form."""
        return {"layer": self.layer, "unit": self.unit, "row": self.row}

    @classmethod
    def from_dict(cls, d: Any) -> CubeLiteral:
        """Inverse of :meth:`to_dict` (strict: exactly these fields, integers)."""
        if not isinstance(d, dict) or set(d) != {"layer", "unit", "row"}:
            raise ValueError(f"a cube literal has exactly the fields layer, unit and row; got {d!r}")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in d.values()):
            raise ValueError(f"a cube literal's fields are integers; got {d!r}")
        return cls(d["layer"], d["unit"], d["row"])

    def describe(self, value: int) -> str:
        """``t1[row 5, unit 0]=+1``."""
        return f"t{self.layer}[row {self.row}, unit {self.unit}]={value:+d}"


@dataclass(frozen=True)
class CubePart:
    """One cube: the values of the literals (+-1 each) and the proof that closes it."""

    cube: tuple[int, ...]
    proof: CPSATProof

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"cube": [+-1, ...], "proof": {cpsat-benders proof}}``."""
        return {"cube": list(self.cube), "proof": self.proof.to_dict()}

    @classmethod
    def from_dict(cls, d: Any) -> CubePart:
        """Inverse of :meth:`to_dict` (strict)."""
        if not isinstance(d, dict) or set(d) != {"cube", "proof"}:
            raise ValueError(f"a cube part has exactly the fields cube and proof; got keys {sorted(d) if isinstance(d, dict) else d!r}")
        cube = d["cube"]
        if not isinstance(cube, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in cube):
            raise ValueError(f"a cube is a list of +1/-1 values; got {cube!r}")
        return cls(tuple(cube), CPSATProof.from_dict(d["proof"]))


def cover_problem(cubes: list[tuple[int, ...]], d: int) -> str | None:
    """Why these cubes are not exactly every assignment of ``d`` literals (None: they are).

    Examples
    --------
    >>> cover_problem([(1, 1), (1, -1), (-1, 1), (-1, -1)], 2) is None
    True
    >>> cover_problem([(1, 1), (1, -1), (-1, 1), (1, 1)], 2)
    'cube [1, 1] appears twice'
    """
    seen: set[tuple[int, ...]] = set()
    for cube in cubes:
        if len(cube) != d or any(v not in (-1, 1) for v in cube):
            return f"cube {list(cube)} is not {d} values of +1 or -1"
        if cube in seen:
            return f"cube {list(cube)} appears twice"
        seen.add(cube)
    if len(seen) != 2**d:
        missing = next(c for c in itertools.product((1, -1), repeat=d) if c not in seen)
        return f"{2**d - len(seen)} of the {2**d} cubes are missing, e.g. {list(missing)}"
    return None


@dataclass(frozen=True)
class CubesProof(ProofBase):
    """The claim, shown by ``2^d`` CP-SAT proofs, one per cube over ``d`` fixed hidden targets.

    Attributes
    ----------
    claim : Claim
        What the cubes prove together (every part states this same claim).
    literals : tuple of CubeLiteral
        The hidden targets the cubes fix (distinct).
    parts : tuple of CubePart
        One per cube: its values and the proof that its master is infeasible.
    """

    claim: Claim
    literals: tuple[CubeLiteral, ...]
    parts: tuple[CubePart, ...]
    kind: str = "cubes"
    cheap = False

    @property
    def cuts(self) -> tuple:
        """Every part's first-layer cuts (for summaries)."""
        return tuple(cut for part in self.parts for cut in part.proof.cuts)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (re-checkable with ``ftprop verify-proof``)."""
        return {
            "kind": self.kind,
            "claim": self.claim.to_dict(),
            "literals": [lit.to_dict() for lit in self.literals],
            "parts": [part.to_dict() for part in self.parts],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CubesProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields)."""
        d = parse_fields(d, "cubes", ("literals", "parts"))
        if not isinstance(d["literals"], list) or not isinstance(d["parts"], list):
            raise ValueError("literals and parts must be lists")
        return cls(
            Claim.from_dict(d["claim"]),
            tuple(CubeLiteral.from_dict(x) for x in d["literals"]),
            tuple(CubePart.from_dict(x) for x in d["parts"]),
        )

    def fixed(self, part: CubePart) -> tuple[tuple[int, int, int, int], ...]:
        """The targets a part fixes: ``(layer, unit, row, value)`` per literal."""
        return tuple((lit.layer, lit.unit, lit.row, v) for lit, v in zip(self.literals, part.cube))

    def describe_part(self, k: int) -> str:
        """Which cube part ``k`` covers, e.g. ``cube 3: t1[row 5, unit 0]=+1, ...``."""
        part = self.parts[k]
        return f"cube {k}: " + ", ".join(lit.describe(v) for lit, v in zip(self.literals, part.cube))

    def structure_problem(self) -> str | None:
        """Literals valid and distinct, the cubes exactly all assignments, every part about this claim."""
        hidden = self.claim.hidden
        if not hidden:
            return "a cubes proof needs at least one hidden layer"
        d = len(self.literals)
        if d > MAX_CUBE_LITERALS:
            return f"{d} cube literals: at most {MAX_CUBE_LITERALS} are accepted"
        if len(set(self.literals)) != d:
            return "a cube literal is listed twice"
        for lit in self.literals:
            if not (1 <= lit.layer <= len(hidden) and 0 <= lit.unit < hidden[lit.layer - 1] and lit.row >= 0):
                return f"cube literal {lit.to_dict()} names no hidden target of widths {list(hidden)}"
        problem = cover_problem([part.cube for part in self.parts], d)
        if problem is not None:
            return f"the cubes do not cover every assignment of the {d} literals: {problem}"
        for k, part in enumerate(self.parts):
            if not isinstance(part.proof, CPSATProof) or part.proof.claim != self.claim:
                return f"{self.describe_part(k)}: its proof's claim is not the cubes' claim"
            inner = part.proof.structure_problem()
            if inner is not None:
                return f"{self.describe_part(k)}: {inner}"
        return None

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Every part's certificates exactly; thorough: every cube's master rebuilt with its literals and re-solved."""
        if any(lit.row >= data.n_examples for lit in self.literals):
            return False, f"a cube literal names a row beyond the data's {data.n_examples} examples"
        for k, part in enumerate(self.parts):
            failure = failing_cut(part.proof.cuts, data.X) or part.proof.failing_differ_pair(data)
            if failure is not None:
                return False, f"{self.describe_part(k)}: {failure}"
        cover = f"{len(self.parts)} cubes over {len(self.literals)} literals cover every assignment"
        n_cuts = len(self.cuts)
        if not thorough:
            return True, f"{cover}; {n_cuts} certificates verified exactly (cube masters not re-solved)"
        for k, part in enumerate(self.parts):
            try:
                master = rebuild_master(part.proof, data, self.fixed(part))
            except ValueError as exc:
                return False, f"{self.describe_part(k)}: {exc}"
            status = master.solve(time_limit if time_limit is not None else 1e9, 1, seed=0).status
            if status != "INFEASIBLE":
                return False, f"{self.describe_part(k)}: the rebuilt master is {status.lower()}, not infeasible"
        return True, f"{cover}; {n_cuts} certificates verified exactly; every cube's rebuilt master infeasible"
