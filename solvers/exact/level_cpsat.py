"""The exact engine over level targets (``qrelu:K``): CP-SAT master, LP cuts on every layer.

The master (:mod:`ftprop_exact.proofs.level_master`) proposes levels for every hidden unit on
every row (order-encoded Booleans). Every unit of every layer is then checked by LP:
hidden units through the lifted sign problem
(:func:`~ftprop_exact.solvers.learners.levels.check_level_unit`, a level certificate when
the levels cannot be produced), output units by the learner over the last hidden levels (a
Gordan certificate). Each certificate becomes a cut (a clause over the master's Booleans,
see the master's docstring) and the master is solved again, until

- every unit fits: the network is assembled, verified on the data as given, FEASIBLE;
- the master is infeasible: INFEASIBLE, with a ``level-benders`` proof (every cut with its
  certificate; the checker re-verifies them exactly and re-solves the rebuilt master);
- the time is up: UNKNOWN with the best network seen.

Integer weights are *not* modelled on any layer (no weight bound for integer level inputs
is needed): LP cuts on the lifted problem apply to every layer, because a layer's inputs
are integer levels fixed by the master's Booleans, and a cut names those inputs.
A unit the LP cannot decide (a separator too thin for floating point) stops the search
with UNKNOWN: a cut without a certificate could not be part of a proof.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ftprop_exact import progress
from ftprop_exact.activations import activation_levels
from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.level_benders import LevelBendersProof, LevelCut
from ftprop_exact.proofs.level_master import LevelCutRows, LevelMaster
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.learners.levels import check_level_unit
from ftprop_exact.solvers.search.level_fit import fit_level_network
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome
from ftprop_exact.status import Status

__all__ = ["search_levels_exactly"]


def search_levels_exactly(
    problem: Problem,
    learner: SeparabilityLearner,
    deadline: Deadline,
    incumbent: Incumbent,
    rng: np.random.Generator,
    threads: int = 1,
) -> SearchOutcome:
    """The Benders loop over level targets (see the module docstring).

    Parameters
    ----------
    problem : Problem
        A ``qrelu:K`` feasibility problem with hidden layers (rows merged by features).
    learner : SeparabilityLearner
        A deciding learner (certificates for non-separable columns).
    deadline : Deadline
    incumbent : Incumbent
    rng : numpy.random.Generator
        Seeds CP-SAT.
    threads : int, default=1
        CP-SAT workers.

    Returns
    -------
    SearchOutcome
    """
    if problem.conflict is not None:
        raise ValueError("identical rows with different labels: no network fits (the duplicate-conflict proof applies)")
    master = LevelMaster(problem)
    cuts: list[LevelCut] = []
    seen: set[tuple] = set()
    stats: dict[str, Any] = {"master_solves": 0, "cuts": 0, "engine": "level-benders"}
    seed = int(rng.integers(0, 2**31 - 1))
    while not deadline.expired():
        with progress.phase("level master"):
            solution = master.solve(deadline.remaining(), threads, seed)
        stats["master_solves"] += 1
        if solution.status == "INFEASIBLE":
            stats["cuts"] = len(cuts)
            return SearchOutcome(Status.INFEASIBLE, proof=LevelBendersProof(problem.claim(), tuple(cuts)), stats=stats)
        if solution.status != "FEASIBLE" or deadline.expired():
            break
        targets = solution.levels
        with progress.phase("LP cuts"):
            found, undecided = _cuts_of(problem, learner, targets)
        if undecided:
            stats["undecided_units"] = undecided
            fit_level_network(problem, targets, learner, incumbent)
            break
        fresh = [(cut, rows) for cut, rows in found if _key(cut) not in seen]
        if not fresh:
            fit_level_network(problem, targets, learner, incumbent)
            if incumbent.exact:
                stats["cuts"] = len(cuts)
                return SearchOutcome(Status.FEASIBLE, stats=stats)
            stats["unverified_master_solution"] = True  # should not happen: never trusted
            break
        for cut, rows in fresh:
            seen.add(_key(cut))
            cuts.append(cut)
            master.add_cut(rows)
    stats["cuts"] = len(cuts)
    return SearchOutcome(Status.UNKNOWN, stats=stats)


def _key(cut: LevelCut) -> tuple:
    return (cut.layer, cut.unit if cut.levels is None else -1, cut.rows, cut.inputs, cut.levels, cut.pairs)


def _cuts_of(problem: Problem, learner: SeparabilityLearner, targets: list[np.ndarray]) -> tuple[list[tuple[LevelCut, LevelCutRows]], int]:
    """Check every unit of every layer for these levels; a cut per refuted unit, and the undecided count."""
    n_levels = activation_levels(problem.activation)
    out: list[tuple[LevelCut, LevelCutRows]] = []
    undecided = 0
    for d in range(problem.depth):
        A = problem.layer_inputs(d, targets)
        previous = None if d == 0 else np.asarray(targets[d - 1], dtype=np.int64)
        if d < len(problem.hidden):
            T = np.asarray(targets[d], dtype=np.int64)
            for j in range(T.shape[1]):
                verdict = check_level_unit(A, T[:, j], n_levels, learner)
                if verdict.feasible is None:
                    undecided += 1
                elif verdict.feasible is False:
                    out.append(_hidden_cut(problem, d, j, verdict.certificate, T[:, j], previous))
        else:
            for k, verdict in enumerate(learner.check_layer(A, problem.Y)):
                if verdict.separable is None:
                    undecided += 1
                elif verdict.separable is False:
                    rows = tuple(int(r) for r in verdict.certificate.rows)
                    inputs = tuple(tuple(int(v) for v in previous[r]) for r in rows)
                    original = tuple(int(problem.row_index[r]) for r in rows)
                    cut = LevelCut(d + 1, k, original, inputs, None, (), verdict.certificate.multipliers)
                    out.append((cut, LevelCutRows(d, rows, inputs)))
    return out, undecided


def _hidden_cut(problem: Problem, d: int, j: int, cert: Any, levels: np.ndarray, previous: np.ndarray | None) -> tuple[LevelCut, LevelCutRows]:
    """The cut of a level certificate of unit ``j`` of hidden layer ``d`` (pairs re-indexed to the cut's rows)."""
    rows = cert.rows  # distinct merged rows, first-use order
    index = {r: k for k, r in enumerate(rows)}
    pairs = tuple((index[i], s) for i, s in cert.pairs)
    cut_levels = tuple(int(levels[r]) for r in rows)
    inputs = None if previous is None else tuple(tuple(int(v) for v in previous[r]) for r in rows)
    original = tuple(int(problem.row_index[r]) for r in rows)
    cut = LevelCut(d + 1, j, original, inputs, cut_levels, pairs, cert.multipliers)
    steps = tuple((k, s, 1 if cut_levels[k] > s else -1) for k, s in pairs)
    return cut, LevelCutRows(d, tuple(int(r) for r in rows), inputs, steps)
