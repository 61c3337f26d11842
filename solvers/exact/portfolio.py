"""The default searcher ("auto"): local search and exact CP-SAT, side by side or in turns.

Local search finds FEASIBLE answers fast; CP-SAT finishes the search or proves
infeasibility. Neither knows in advance which one an instance needs. With two or more
threads they run at the same time: CP-SAT in a thread (its native solve runs outside the
GIL, with ``threads - 1`` workers) beside local search; whichever answers first stops the
other. With one thread they take turns with doubling budgets (a geometric schedule, as in
restart strategies), and neither ever gets less than about a third of the time spent so
far. Whatever local search learned — first-layer cuts from non-separable columns, and its
best hidden targets (the hint of a master) — reaches CP-SAT through the shared, thread-safe
cut pool and incumbent.
"""

from __future__ import annotations

import contextvars
import dataclasses
import math
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from ftprop_exact import progress
from ftprop_exact.activations import is_levelled
from ftprop_exact.errors import DataError
from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.deepen import can_deepen, deepened
from ftprop_exact.solvers.exact.cpsat import CPSATSearcher, default_threads
from ftprop_exact.proofs.benders import CPSATProof
from ftprop_exact.proofs.master import boolean_encoding
from ftprop_exact.solvers.search.levels import LevelSearcher
from ftprop_exact.solvers.search.local_search import LocalSearcher
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome, require_deciding_learner
from ftprop_exact.status import Status

SHALLOW_SHARE = 0.2  # of the time left: one hidden layer first, when a network of it deepens
SHALLOW_WITHOUT_LIMIT = 10.0  # seconds for that step when the run has no time limit

__all__ = ["PortfolioSearcher"]


def _answered(outcome: SearchOutcome) -> bool:
    """Whether a phase settled the question (a verdict, or a bounded proof under a weight cap)."""
    return outcome.status is not Status.UNKNOWN or outcome.proof is not None


def _accumulate(total: dict[str, Any], prefix: str, stats: Mapping[str, Any]) -> None:
    """Add one round's statistics into ``total`` (numbers summed, anything else replaced)."""
    for key, value in stats.items():
        name = f"{prefix}{key}"
        summable = isinstance(value, (int, float)) and not isinstance(value, bool)
        if summable and isinstance(total.get(name), (int, float)) and key != "lower_bound":
            total[name] += value
        else:
            total[name] = value


SMALL_LEVEL_ROWS = 40
"""``qrelu:K`` problems with at most this many distinct rows go to the exact level engine
after ``first_round`` seconds of level search (it decides such problems in seconds)."""

class PortfolioSearcher:
    """Local search and CP-SAT side by side (or in turns with one thread), sharing cuts and hints.

    Parameters
    ----------
    threads : int, optional
        Threads of the search (default: available cores, at most 8): with two or more,
        CP-SAT gets ``threads - 1`` workers and local search runs beside it.
    max_weight : int, optional
        Passed to CP-SAT (see :class:`~ftprop_exact.solvers.exact.cpsat.CPSATSearcher`).
    first_round : float, default=2.0
        Seconds of the first round of each phase (tiny problems get less: 0.2 s + 0.01 s
        per row and hidden unit); every later round doubles it.
    objective : {"feasibility", "min_errors"}, default="feasibility"
        Passed to CP-SAT; local search supplies the first incumbents either way.

    Notes
    -----
    Side by side (``threads >= 2``) is the default on a multi-core machine: measured on 2
    cores it proved parity 5 at width 4 and the 40-point spirals at width 4 within 30 s,
    which neither the rounds nor CP-SAT alone did, and fitted the width-8 teacher with 500
    examples in 3 s instead of 20 s (rounds restart local search). In turns
    (``threads=1``): on Boolean data (every column takes two values, e.g. parity) CP-SAT
    models every layer exactly and goes first; elsewhere local search goes first. A
    CP-SAT round that ends before its budget without an answer (numerically undecidable
    first-layer columns) ends the CP-SAT rounds; local search keeps the rest of the time.
    ``stats["rounds"]`` counts the rounds (1 side by side, with ``stats["concurrent"]``);
    the statistics of each phase are prefixed ``local_`` and ``cpsat_`` (numbers summed
    over rounds); ``stats["phase"]`` names the phase that answered.
    """

    name = "auto"
    # it answers through CP-SAT; qrelu:K problems: FTPROP over level targets, then the level engine
    capabilities = CPSATSearcher.capabilities

    def __init__(
        self,
        threads: int | None = None,
        max_weight: int | None = None,
        first_round: float = 2.0,
        objective: str = "feasibility",
    ) -> None:
        if not first_round > 0:
            raise ValueError(f"first_round must be positive; got {first_round!r}")
        if objective not in self.capabilities.objectives:
            raise ValueError(f"unknown objective {objective!r}; choose one of: {', '.join(self.capabilities.objectives)}")
        self.objective = objective
        self.threads = threads
        self.max_weight = max_weight
        self.first_round = float(first_round)

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Run both phases (at once, or in turns) until one answers or the deadline passes."""
        require_deciding_learner(f"searcher {self.name!r}", learner)
        if is_levelled(problem.activation) and problem.hidden:
            return self._levels(problem, learner, deadline, incumbent, rng)
        if self.objective == "feasibility" and can_deepen(problem):
            deep = self._shallow_first(problem, learner, deadline, incumbent, rng)
            if deep is not None:
                return deep
        threads = self.threads if self.threads is not None else default_threads()
        local = LocalSearcher()
        concurrent = threads >= 2
        exact = CPSATSearcher(
            threads=threads - 1 if concurrent else threads,
            max_weight=self.max_weight,
            cut_pool=local.cut_pool,
            objective=self.objective,
        )
        if concurrent:
            return self._concurrently(problem, learner, deadline, incumbent, rng, local, exact)
        refusal = exact.refusal(problem, deadline) if problem.hidden else None
        if refusal is not None:  # no room for CP-SAT in this run: local search gets all of it
            outcome = local.search(problem, learner, deadline, incumbent, rng)
            stats = {"rounds": 1, "cpsat_master_refused": refusal}
            _accumulate(stats, "local_", outcome.stats)
            return SearchOutcome(outcome.status, outcome.proof, {**stats, "phase": "local"})
        searchers = {"local": local, "cpsat": exact}
        phases = ["cpsat", "local"] if boolean_encoding(problem.X) is not None else ["local", "cpsat"]
        stats: dict[str, Any] = {"rounds": 0}
        budget = min(self.first_round, self._size_cap(problem))
        lower_bound = 0
        while True:
            stats["rounds"] += 1
            for phase in phases:
                round_deadline = Deadline(budget, parent=deadline)
                with round_deadline.in_force():  # its LPs and model builds stop with the round
                    outcome = searchers[phase].search(problem, learner, round_deadline, incumbent, rng)
                _accumulate(stats, f"{phase}_", outcome.stats)
                lower_bound = max(lower_bound, int(outcome.stats.get("lower_bound", 0)))
                if lower_bound:  # the portfolio's bound is the best CP-SAT proved in any round
                    stats["lower_bound"] = lower_bound
                if _answered(outcome) or deadline.expired():
                    return SearchOutcome(outcome.status, outcome.proof, {**stats, "phase": phase})
                if phase == "cpsat" and not round_deadline.expired():
                    # CP-SAT gave up early (numerically undecidable columns): it cannot
                    # answer in a later round either; local search keeps what time is left
                    if not math.isfinite(deadline.remaining()):
                        return SearchOutcome(Status.UNKNOWN, None, {**stats, "phase": phase})
                    phases = ["local"]
            budget *= 2.0

    def _shallow_first(
        self, problem: Problem, learner: SeparabilityLearner, deadline: Deadline, incumbent: Incumbent, rng: np.random.Generator
    ) -> SearchOutcome | None:
        """FEASIBLE when one hidden layer of the first width fits (the network deepened by copy layers).

        The shallow question gets :data:`SHALLOW_SHARE` of the time left
        (:data:`SHALLOW_WITHOUT_LIMIT` seconds without a time limit). Its INFEASIBLE
        answer says nothing about the deeper shape, except from the first-layer codes
        master (no first layer of this width separates the labels: INFEASIBLE at any depth,
        the same proof with the deeper claim); otherwise the search goes on (None).
        """
        shallow = dataclasses.replace(problem, hidden=problem.hidden[:1])
        found = Incumbent(shallow)
        with progress.phase("one hidden layer first"):
            left = deadline.remaining()
            budget = SHALLOW_SHARE * left if math.isfinite(left) else SHALLOW_WITHOUT_LIMIT
            outcome = self.search(shallow, learner, Deadline(budget, parent=deadline), found, rng)
        if found.exact and incumbent.offer(deepened(found.network, problem.hidden)) and incumbent.exact:
            return SearchOutcome(Status.FEASIBLE, stats={"deepened_from": list(shallow.hidden)})
        proof = outcome.proof
        if outcome.status is Status.INFEASIBLE and isinstance(proof, CPSATProof) and proof.scope == "first-layer-codes":
            # no first layer of this width gives the codes: that holds at any depth
            return SearchOutcome(Status.INFEASIBLE, dataclasses.replace(proof, claim=problem.claim()), {"first_layer_codes": "infeasible"})
        return None

    def _levels(
        self, problem: Problem, learner: SeparabilityLearner, deadline: Deadline, incumbent: Incumbent, rng: np.random.Generator
    ) -> SearchOutcome:
        """``qrelu:K``: FTPROP over level targets first, then the exact level engine for the rest.

        The level search gets half the time left (60 s without a limit); on small problems
        (at most :data:`SMALL_LEVEL_ROWS` distinct rows), where the exact engine decides
        quickly, only ``first_round`` seconds.
        """
        exact = CPSATSearcher(threads=self.threads, max_weight=self.max_weight, objective=self.objective)
        refusal = exact.refusal(problem, deadline)
        if refusal is not None:
            raise DataError(refusal)
        left = deadline.remaining()
        share = self.first_round if problem.n_rows <= SMALL_LEVEL_ROWS else (60.0 if math.isinf(left) else 0.5 * left)
        found = LevelSearcher(name=self.name).search(problem, learner, Deadline(share, parent=deadline), incumbent, rng)
        stats = {f"level_{key}": value for key, value in found.stats.items()}
        if found.status is Status.FEASIBLE or deadline.expired():
            return SearchOutcome(found.status, stats={**stats, "phase": "level search"})
        outcome = exact.search(problem, learner, deadline, incumbent, rng)
        return SearchOutcome(outcome.status, outcome.proof, {**stats, **outcome.stats, "phase": "level engine"})

    @staticmethod
    def _concurrently(
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
        local: LocalSearcher,
        exact: CPSATSearcher,
    ) -> SearchOutcome:
        """CP-SAT in a thread (its native solve runs outside the GIL) beside local search.

        Neither phase is restarted (a round-based schedule rebuilds CP-SAT's master and
        draws new local-search starts every round). Whichever phase answers first stops
        the other; Ctrl-C stops both.
        """
        exact_deadline = Deadline(None, parent=deadline)
        local_deadline = Deadline(None, parent=deadline)
        exact_rng = np.random.default_rng(rng.integers(2**63))
        box: dict[str, Any] = {}

        def run_exact() -> None:
            try:
                with exact_deadline.in_force():  # stopped by local search's answer: LPs, model build too
                    box["outcome"] = outcome = exact.search(problem, learner, exact_deadline, incumbent, exact_rng)
                if _answered(outcome) or not math.isfinite(deadline.remaining()):
                    # answered, or gave up with no time limit to end local search: stop it
                    local_deadline.interrupt()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                box["error"] = exc
                local_deadline.interrupt()

        # the copied context carries the deadline in force (model builds, LPs stop with it)
        context = contextvars.copy_context()
        worker = threading.Thread(target=context.run, args=(run_exact,), name="ftprop-auto-cpsat", daemon=True)
        worker.start()
        local_outcome: SearchOutcome | None = None
        try:
            with local_deadline.in_force():
                local_outcome = local.search(problem, learner, local_deadline, incumbent, rng)
        finally:
            if local_outcome is None or local_outcome.status is not Status.UNKNOWN:
                exact_deadline.interrupt()  # local search answered, failed or was interrupted
            worker.join()
        if "error" in box:
            raise box["error"]
        stats: dict[str, Any] = {"rounds": 1, "concurrent": True}
        _accumulate(stats, "local_", local_outcome.stats)
        _accumulate(stats, "cpsat_", box["outcome"].stats)
        if "lower_bound" in box["outcome"].stats:
            stats["lower_bound"] = box["outcome"].stats["lower_bound"]
        if local_outcome.status is not Status.UNKNOWN:
            return SearchOutcome(local_outcome.status, local_outcome.proof, {**stats, "phase": "local"})
        outcome = box["outcome"]
        return SearchOutcome(outcome.status, outcome.proof, {**stats, "phase": "cpsat"})

    @staticmethod
    def _size_cap(problem: Problem) -> float:
        """Tiny problems get a tiny first round: CP-SAT settles them at once."""
        return 0.2 + 0.01 * problem.n_rows * sum(problem.hidden)
