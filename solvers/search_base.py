"""What every target searcher speaks: the protocol, its outcome, and the incumbent tracker."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ftprop_exact.assemble import LayerFit, best_effort_network, fit_layers, training_errors
from ftprop_exact import progress
from ftprop_exact.budget import Deadline
from ftprop_exact.network import ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.proofs import Proof
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.status import Status


class Incumbent:
    """The best network seen so far (fewest training errors on the data as given).

    Searchers offer every network they build; only a strictly better one replaces the
    incumbent, so the anytime answer never gets worse. ``solve`` reads it when the time is
    up or the user interrupts. Offers are thread-safe (the "auto" portfolio may run two
    searchers at once).
    """

    def __init__(self, problem: Problem) -> None:
        self._lock = threading.Lock()
        self.problem = problem
        self.network: ThresholdNetwork | None = None
        self.errors: int | None = None
        self.exact = False  # True once the incumbent is a verified zero-error network
        self.hidden_targets: list[np.ndarray] | None = None

    def offer(self, network: ThresholdNetwork, hidden_targets: list[np.ndarray] | None = None) -> bool:
        """Verify ``network`` on the data as given; keep it if it beats the incumbent."""
        errors, exact = training_errors(self.problem, network)  # rigorous: uncertain rows count as wrong
        with self._lock:
            if self.errors is None or errors < self.errors:
                self.network, self.errors, self.exact = network, errors, exact
                self.hidden_targets = hidden_targets
                progress.best(errors)
                return True
            return False

    def offer_targets(self, hidden_targets: list[np.ndarray], fit: LayerFit) -> bool:
        """Offer the best-effort network of some hidden targets (see :func:`best_effort_network`)."""
        return self.offer(best_effort_network(self.problem, hidden_targets, fit), hidden_targets)


@dataclass
class SearchOutcome:
    """What a searcher returns to :func:`ftprop_exact.solve`.

    FEASIBLE outcomes leave the network in the incumbent (``incumbent.exact`` is True);
    INFEASIBLE outcomes carry a proof; UNKNOWN means the budget ran out.
    """

    status: Status
    proof: Proof | None = None
    stats: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class TargetSearcher(Protocol):
    """A combinatorial searcher over hidden targets (or over whole networks, for baselines)."""

    name: str

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Search until a verdict or the deadline; keep ``incumbent`` up to date throughout."""
        ...


def try_targets(
    problem: Problem, hidden_targets: list[np.ndarray], learner: SeparabilityLearner, incumbent: Incumbent
) -> LayerFit:
    """Fit every unit for these targets and offer the resulting network to the incumbent."""
    fit = fit_layers(problem, hidden_targets, learner)
    incumbent.offer_targets(hidden_targets, fit)
    return fit
