"""What every target searcher speaks: the protocol, its capabilities, its outcome, the incumbent."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ftprop_exact.solvers.assemble import LayerFit, best_effort_network, fit_layers, training_errors
from ftprop_exact import progress
from ftprop_exact.budget import Deadline
from ftprop_exact.activations import ACTIVATIONS
from ftprop_exact.network import ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.proofs import Proof
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.status import Status


@dataclass(frozen=True)
class Capabilities:
    """What a searcher supports, declared once on its class (``capabilities = Capabilities(...)``).

    ``solve``, the command line and the benchmarks read these declarations (through
    :func:`ftprop_exact.solvers.registry.capabilities_of`) instead of lists of names.

    Attributes
    ----------
    objectives : tuple of str, default=("feasibility",)
        Objectives the searcher optimises. With ``"min_errors"`` it takes an ``objective``
        option and proves the optimum; others, asked to minimise errors, return their best
        network.
    activations : tuple of str, default=ACTIVATIONS
        Activation families it can train (``"sign"``, ``"step"``, ``"qrelu"`` for every
        ``qrelu:K``; :func:`ftprop_exact.activations.activation_family`).
    proves : bool, default=False
        True when it can answer INFEASIBLE (or OPTIMAL) with a proof; it then needs a
        learner that decides non-separability (:func:`require_deciding_learner`).
    weights : tuple of str, default=("real",)
        Weight domains of the networks it searches, by kind: ``"real"``, ``"ternary"``,
        ``"int"`` (``int:K`` for every K; :attr:`ftprop_exact.weights.WeightDomain.kind`).
    bounds_first : bool, default=False
        True when ``solve`` runs the must-differ bounding pass before it on feasibility
        questions with hidden layers (:mod:`ftprop_exact.solvers.exact.must_differ`; the
        exact searchers ``cpsat`` and ``auto``, never the brute-force oracle).
    options : tuple of str, default=()
        Constructor options the command line forwards when given: ``"threads"`` (workers)
        and ``"max_weight"`` (a cap on the modelled integer weights; an infeasible answer
        then only covers weights within the cap).

    Examples
    --------
    >>> Capabilities(proves=True).objectives
    ('feasibility',)
    """

    objectives: tuple[str, ...] = ("feasibility",)
    activations: tuple[str, ...] = ACTIVATIONS
    proves: bool = False
    weights: tuple[str, ...] = ("real",)
    bounds_first: bool = False
    options: tuple[str, ...] = ()


def require_deciding_learner(searcher: str, learner: SeparabilityLearner) -> None:
    """Refuse a learner that cannot show non-separability, for a run that must prove.

    A proof needs a certificate for every failing unit; a learner that only finds
    separators (``decides`` False) would leave every failing unit undecided, and the run
    could never answer INFEASIBLE. The learner is refused rather than silently wrapped:
    the name the user chose keeps its meaning, and ``"auto"`` already is the perceptron
    with the exact LP behind it.

    Raises
    ------
    ValueError
        Naming the learners that work.
    """
    if getattr(learner, "decides", False):
        return
    from ftprop_exact.solvers.registry import deciding_learner_names  # the registry imports this module

    raise ValueError(
        f"{searcher} must prove infeasibility, and learner {getattr(learner, 'name', learner)!r} cannot show "
        f"that a unit is not separable (it only finds separators); use one of: {', '.join(deciding_learner_names())}"
    )


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
