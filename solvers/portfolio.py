"""The default searcher ("auto"): quick local search, then exact CP-SAT seeded by it.

Local search finds easy FEASIBLE answers fast; whatever it learned — first-layer cuts from
non-separable columns, and its best hidden targets — is handed to CP-SAT, which either
finishes the search or proves infeasibility.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.base import SeparabilityLearner
from ftprop_exact.solvers.cpsat import CPSATSearcher
from ftprop_exact.solvers.cpsat_model import boolean_encoding
from ftprop_exact.solvers.local_search import LocalSearcher
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome
from ftprop_exact.status import Status


class PortfolioSearcher:
    """Local search for a share of the budget, then CP-SAT with its cuts and hints.

    Parameters
    ----------
    threads : int, optional
        CP-SAT workers.
    max_weight : int, optional
        Passed to CP-SAT (see :class:`~ftprop_exact.solvers.cpsat.CPSATSearcher`).
    local_share : float, default=0.2
        Share of the time limit given to local search first.
    objective : {"feasibility", "min_errors"}, default="feasibility"
        Passed to CP-SAT; local search supplies the first incumbents either way.
    local_max_seconds : float, default=5.0
        Cap on the local-search phase (CP-SAT gets the rest); tiny problems get less
        (0.2 s + 0.01 s per row and hidden unit).
    """

    name = "auto"

    def __init__(
        self,
        threads: int | None = None,
        max_weight: int | None = None,
        local_share: float = 0.2,
        local_max_seconds: float = 5.0,
        objective: str = "feasibility",
    ) -> None:
        self.objective = objective
        self.threads = threads
        self.max_weight = max_weight
        self.local_share = local_share
        self.local_max_seconds = local_max_seconds

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Run both phases; the stats of each are prefixed ``local_`` and ``cpsat_``."""
        local = LocalSearcher()
        stats: dict[str, Any] = {}
        if self._local_worthwhile(problem):
            remaining = deadline.remaining()
            share = remaining * self.local_share if math.isfinite(remaining) else math.inf
            budget = min(self.local_max_seconds, share, self._size_cap(problem))
            outcome = local.search(problem, learner, Deadline(budget, parent=deadline), incumbent, rng)
            stats.update({f"local_{k}": v for k, v in outcome.stats.items()})
            if outcome.status is not Status.UNKNOWN or deadline.expired():
                return SearchOutcome(outcome.status, outcome.proof, {**stats, "phase": "local"})
        exact = CPSATSearcher(
            threads=self.threads,
            max_weight=self.max_weight,
            cut_pool=local.cut_pool,
            hint=incumbent.hidden_targets,
            objective=self.objective,
        )
        outcome = exact.search(problem, learner, deadline, incumbent, rng)
        stats.update({f"cpsat_{k}": v for k, v in outcome.stats.items()})
        if "lower_bound" in outcome.stats:  # the portfolio's bound is CP-SAT's
            stats["lower_bound"] = outcome.stats["lower_bound"]
        return SearchOutcome(outcome.status, outcome.proof, {**stats, "phase": "cpsat"})

    @staticmethod
    def _size_cap(problem: Problem) -> float:
        """Tiny problems get a tiny local phase: CP-SAT settles them at once."""
        return 0.2 + 0.01 * problem.n_rows * sum(problem.hidden)

    @staticmethod
    def _local_worthwhile(problem: Problem) -> bool:
        """Skip local search on Boolean data, where CP-SAT models every layer exactly and fast."""
        return boolean_encoding(problem.X) is None
