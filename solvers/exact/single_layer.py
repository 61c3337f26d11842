"""Networks without hidden layers: one LP per output unit, and the fewest errors.

Feasibility: every output unit's labels separable (weights), or one certificate (the proof).

Fewest errors (implicit hitting sets): each certificate names rows on which its unit cannot
be right everywhere, so some row of it must be an error. Repeat: take a cheapest set of
rows ``H`` meeting every certificate so far (CP-SAT, exact; the cost of a row is its number
of copies); ask the LP to separate every unit on the other rows; a unit that fails yields
new certificates, otherwise the separators make a network with at most ``cost(H)`` errors,
and ``cost(H)`` is a proven lower bound: OPTIMAL, with the certificates as the proof.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from ftprop_exact.budget import Deadline
from ftprop_exact.solvers.assemble import LayerFit, best_effort_network
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.basic import SingleLayerProof
from ftprop_exact.proofs.certificate import Certificate
from ftprop_exact.proofs.hitting_set import ConflictSet, HittingSetProof
from ftprop_exact.proofs.master import solve_in_thread
from ftprop_exact.solvers.learners.base import SeparabilityLearner, UnitVerdict
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome, try_targets
from ftprop_exact.status import Status

CERTIFICATES_PER_UNIT = 4  # per failing unit and round: set aside a row, ask again


def single_layer_outcome(problem: Problem, learner: SeparabilityLearner, incumbent: Incumbent) -> SearchOutcome:
    """No hidden layer: the LP decides every output unit; a certificate is the proof."""
    fit = try_targets(problem, [], learner, incumbent)
    stats = {"lp_checks": problem.Y.shape[1]}
    if incumbent.exact:
        return SearchOutcome(Status.FEASIBLE, stats=stats)
    for _, unit, verdict in fit.failures():
        if verdict.separable is False:
            proof = SingleLayerProof(problem.claim(), unit, _in_data_rows(problem, np.arange(problem.n_rows), verdict.certificate))
            return SearchOutcome(Status.INFEASIBLE, proof=proof, stats=stats)
    return SearchOutcome(Status.UNKNOWN, stats=stats)


def single_layer_min_errors(
    problem: Problem, learner: SeparabilityLearner, deadline: Deadline, incumbent: Incumbent
) -> SearchOutcome:
    """Fewest errors without hidden layers: OPTIMAL with a hitting-set proof, or UNKNOWN with a bound."""
    if problem.hidden:
        raise ValueError("single_layer_min_errors is for networks without hidden layers")
    conflicts: list[tuple[int, tuple[int, ...], Certificate]] = []  # (unit, problem rows, certificate in data rows)
    stats: dict[str, Any] = {"rounds": 0, "lp_checks": 0, "lower_bound": 0}
    cost = np.asarray(problem.counts, dtype=np.int64)
    while not deadline.expired():
        stats["rounds"] += 1
        hitting = cheapest_hitting_set([rows for _, rows, _ in conflicts], cost, deadline)
        if hitting is None:
            break
        stats["lower_bound"] = bound = int(cost[list(hitting)].sum())
        keep = np.setdiff1d(np.arange(problem.n_rows), np.array(sorted(hitting), dtype=np.int64))
        units, new, undecided = [], 0, False
        for k in range(problem.Y.shape[1]):
            found, verdict = _unit_conflicts(problem, learner, keep, k, stats)
            conflicts.extend(found)
            new += len(found)
            undecided |= verdict is not None and verdict.separable is None
            units.append(verdict)
        if incumbent.network is None or not (new or undecided):
            # best effort first (hinge fits for failing units, a quarter of the time left), then exact on the kept rows
            verdicts = tuple(UnitVerdict(None) if v is None else v for v in units)
            incumbent.offer(best_effort_network(problem, [], LayerFit((verdicts,)), deadline.sub(0.25)))
        if undecided:
            stats["undecided_unit"] = True
            break
        if new:
            continue
        if incumbent.errors is not None and incumbent.errors <= bound:
            if bound == 0:
                return SearchOutcome(Status.FEASIBLE, stats=stats)
            sets = tuple(ConflictSet(unit, certificate) for unit, _, certificate in conflicts)
            return SearchOutcome(Status.OPTIMAL, proof=HittingSetProof(problem.claim(lower_bound=bound), sets), stats=stats)
        stats["unverified_errors"] = incumbent.errors  # rounding left some kept row uncertain
        break
    return SearchOutcome(Status.UNKNOWN, stats=stats)


def _unit_conflicts(
    problem: Problem, learner: SeparabilityLearner, keep: np.ndarray, k: int, stats: dict[str, Any]
) -> tuple[list[tuple[int, tuple[int, ...], Certificate]], Any]:
    """Certificates of unit ``k`` on the kept rows (several, by setting rows aside), and its first verdict."""
    found = []
    rows = keep
    first = None
    while len(found) < CERTIFICATES_PER_UNIT and rows.size:
        verdict = learner.check(problem.X[rows], problem.Y[rows, k])
        stats["lp_checks"] += 1
        first = verdict if first is None else first
        if verdict.separable is not False:
            break
        cert = verdict.certificate
        problem_rows = tuple(int(rows[r]) for r in cert.rows)
        found.append((k, problem_rows, _in_data_rows(problem, rows, cert)))
        heaviest = rows[cert.rows[int(np.argmax([float(x) for x in cert.multipliers]))]]
        rows = rows[rows != heaviest]
    return found, first


def _in_data_rows(problem: Problem, rows: np.ndarray, cert: Certificate) -> Certificate:
    """A certificate over ``problem.X[rows]`` restated in rows of the data as given."""
    return Certificate(tuple(int(problem.row_index[rows[r]]) for r in cert.rows), cert.multipliers)


def cheapest_hitting_set(row_sets: list[tuple[int, ...]], cost: np.ndarray, deadline: Deadline) -> set[int] | None:
    """A cheapest set of rows meeting every set (CP-SAT, proven optimal), or None on time-out."""
    if not row_sets:
        return set()
    rows = sorted({r for s in row_sets for r in s})
    model = cp_model.CpModel()
    pick = {r: model.new_bool_var(f"row_{r}") for r in rows}
    for s in row_sets:
        model.add_bool_or([pick[r] for r in s])
    model.minimize(sum(int(cost[r]) * pick[r] for r in rows))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.catch_sigint_signal = False
    solver.parameters.max_time_in_seconds = max(0.01, deadline.remaining())
    with deadline.hook(solver.stop_search):
        status = solve_in_thread(solver, model)  # signals reach Python meanwhile
    if status != cp_model.OPTIMAL:
        return None
    return {r for r in rows if solver.boolean_value(pick[r])}
