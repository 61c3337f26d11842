"""Cubes of one exact search: which hidden targets to split on, and how one cube is searched.

Cube-and-conquer splits the CP-SAT master of a problem into ``2^d`` sub-masters by fixing
``d`` hidden targets (the *literals*) to every combination of values. Whatever literals
are chosen, the cubes cover the whole search space of the master (each assignment of the
master's variables gives the literals some values, i.e. lies in exactly one cube), so the
choice only affects speed; the checker (:mod:`ftprop_exact.proofs.cubes`) verifies the
cover itself. Nothing here depends on Dask: :mod:`.dask_cubes` runs these cubes on a
cluster, and :func:`run_cube` runs one anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.network import ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.benders import CPSATProof
from ftprop_exact.proofs.cubes import MAX_CUBE_LITERALS
from ftprop_exact.proofs.master import MasterModel, MasterSpec
from ftprop_exact.solvers.exact.cpsat import CPSATSearcher
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome
from ftprop_exact.status import Status

Literal = tuple[int, int, int]  # (hidden layer from 0, distinct row, unit)
NEIGHBOUR_ROWS_MAX = 4000  # rank rows by their nearest differently labelled row up to this many rows


def default_depth(slots: int) -> int:
    """Literals for ``slots`` parallel workers: about 8 cubes per worker (load balance), at least 2 cubes.

    Examples
    --------
    >>> [default_depth(s) for s in (1, 2, 4, 8)]
    [3, 4, 5, 6]
    """
    return max(1, math.ceil(math.log2(8 * max(1, slots))))


def ranked_rows(problem: Problem, spec: MasterSpec) -> list[int]:
    """Rows to split on, most useful first (row 0 never: symmetry breaking fixes it).

    Rows outside the symmetry-breaking prefix come first: fixing a row inside it makes
    most cubes contradict the unit order (closed at once, leaving the work in a few cubes),
    while rows outside it split the master into parts of similar size. Within each group,
    the most constrained rows come first: those closest to a differently labelled row (the
    rows a first-layer unit has the least room to place), ties by index.
    """
    u = problem.n_rows
    closeness = np.zeros(u)
    if 1 < u <= NEIGHBOUR_ROWS_MAX:
        X = np.asarray(problem.X, dtype=float)
        Y = np.asarray(problem.Y).reshape(u, -1)
        differ = np.any(Y[:, None, :] != Y[None, :, :], axis=2)
        distance = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
        nearest = np.where(differ, distance, np.inf).min(axis=1)
        closeness = -np.where(np.isfinite(nearest), nearest, np.inf)
    # key: inside the prefix (False, i.e. outside, sorts first), then closest first, then index
    return sorted(range(1, u), key=lambda i: (i <= spec.lex_prefix, -closeness[i], i))


def cube_literals(problem: Problem, spec: MasterSpec, depth: int) -> list[Literal]:
    """``depth`` first-layer targets to split on: the ranked rows, every unit of each row in turn.

    Raises
    ------
    ValueError
        When ``depth`` is not between 0 and the number of targets available (and
        :data:`~ftprop_exact.proofs.cubes.MAX_CUBE_LITERALS`).
    """
    width = problem.hidden[0]
    available = min(MAX_CUBE_LITERALS, (problem.n_rows - 1) * width)
    if not 0 <= depth <= available:
        raise ValueError(f"cube depth must be between 0 and {available} for this problem; got {depth}")
    return [(0, row, unit) for row in ranked_rows(problem, spec) for unit in range(width)][:depth]


class CubeSearcher(CPSATSearcher):
    """The CP-SAT searcher on one cube: the master with some hidden targets fixed.

    Its infeasible master is *not* an answer to the problem (only to the cube), so it never
    returns INFEASIBLE: the outcome is UNKNOWN with the cube's proof and
    ``stats["cube_closed"] = True``. A network it finds is a network of the problem.

    Parameters
    ----------
    fixed : sequence of (layer, row, unit, value)
        Targets to fix: hidden layer from 0, distinct row, unit, +-1.
    **options
        As for :class:`~ftprop_exact.solvers.exact.cpsat.CPSATSearcher` (feasibility only).
    """

    name = "cpsat-cube"
    codes_first = False  # a cube's proof is the cube's master (the cubes proof checks those)

    def __init__(self, fixed: tuple[tuple[int, int, int, int], ...], **options: Any) -> None:
        super().__init__(**options)
        if self.objective != "feasibility":
            raise ValueError("cube-and-conquer decides feasibility only (not min_errors)")
        self.fixed = tuple(fixed)

    def _new_master(self, spec: MasterSpec) -> MasterModel:
        master = super()._new_master(spec)
        for layer, row, unit, value in self.fixed:
            master.fix_target(layer, row, unit, value)
        return master

    def _infeasible(self, problem: Problem, spec: MasterSpec, mode: str, stats: dict[str, Any]) -> SearchOutcome:
        return SearchOutcome(Status.UNKNOWN, proof=self._proof(problem, spec, mode), stats={**stats, "cube_closed": True})


@dataclass
class CubeOutcome:
    """What one cube's search returns to the coordinator.

    Attributes
    ----------
    index : int
        The cube's position in the list of cubes.
    status : {"closed", "found", "open"}
        Closed (its master is infeasible; ``proof``), found (``network`` fits every
        example: re-verified by the coordinator's incumbent) or open (time ran out).
    proof : CPSATProof or None
    network : ThresholdNetwork or None
        The best network the cube saw (exact when ``status == "found"``).
    targets : list of ndarray or None
        Its hidden targets.
    seconds : float
    stats : dict
    """

    index: int
    status: str
    proof: CPSATProof | None = None
    network: ThresholdNetwork | None = None
    targets: list[np.ndarray] | None = None
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


def run_cube(
    problem: Problem,
    learner: SeparabilityLearner,
    index: int,
    fixed: tuple[tuple[int, int, int, int], ...],
    deadline: Deadline,
    options: dict[str, Any],
    seed: int,
) -> CubeOutcome:
    """Search one cube with :class:`CubeSearcher` until it closes, finds a network or runs out of time."""
    incumbent = Incumbent(problem)
    outcome = CubeSearcher(fixed, **options).search(problem, learner, deadline, incumbent, np.random.default_rng(seed))
    if incumbent.exact:
        status = "found"
    elif outcome.stats.get("cube_closed"):
        status = "closed"
    else:
        status = "open"
    proof = outcome.proof if status == "closed" else None
    return CubeOutcome(index, status, proof, incumbent.network, incumbent.hidden_targets, deadline.elapsed(), outcome.stats)
