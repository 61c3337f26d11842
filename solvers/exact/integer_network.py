"""Exact search over networks with integer weights (``ternary``, ``int:K``): one whole-network CP-SAT model.

With bounded integer weights the first layer's LP no longer decides a unit (a separable
column may need larger weights), but the domain is finite, so the whole network is one
CP-SAT model (:class:`~ftprop_exact.proofs.integer_model.IntegerModel`): FEASIBLE with a
network verified on the data as given and checked to lie in the domain, INFEASIBLE with a
``cpsat-integer`` proof (the model rebuilt from the claim is infeasible), or UNKNOWN. With
``objective="min_weight"`` the model minimises the number of non-zero weights: OPTIMAL
with a proof of the count when CP-SAT proves it, else FEASIBLE with the best count found
(``stats["nonzero_weights"]``, and CP-SAT's bound in ``stats["nonzero_weights_bound"]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline, Interrupted
from ftprop_exact.network import ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.integer import IntegerProof
from ftprop_exact.proofs.integer_model import IntegerModel, integer_model_items
from ftprop_exact.solvers.exact.cpsat import default_threads
from ftprop_exact.solvers.exact.integer_start import integer_network, stacked_start
from ftprop_exact.solvers.exact.sizing import build_refusal
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome
from ftprop_exact.status import Status
from ftprop_exact.weights import network_outside_domain, nonzero_weights, parse_weights

OBJECTIVES = ("feasibility", "min_weight")

START_SHARE = 0.25
"""Share of the time left that the stacked single-layer start may take."""


class IntegerSearcher:
    """Whole-network CP-SAT over integer weights in every layer (exact within the domain).

    Parameters
    ----------
    weights : str, default="ternary"
        ``"ternary"`` or ``"int:K"``.
    objective : {"feasibility", "min_weight"}, default="feasibility"
        "min_weight": fewest non-zero weights among the networks that fit every example.
    threads : int, optional
        CP-SAT workers (default: available cores, at most 8).

    Examples
    --------
    >>> import numpy as np
    >>> from ftprop_exact import solve
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = np.array([0, 1, 1, 0])
    >>> solve(X, y, hidden=[2], weights="ternary", time_limit=30).status.value
    'FEASIBLE'
    """

    name = "cpsat-int"
    capabilities = Capabilities(objectives=OBJECTIVES, proves=True, weights=("ternary", "int"), options=("threads",))

    def __init__(self, weights: str = "ternary", objective: str = "feasibility", threads: int | None = None) -> None:
        self.domain = parse_weights(weights)
        if not self.domain.integer:
            raise ValueError(f"searcher {self.name!r} searches integer weights (ternary, int:K), not {weights!r}")
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r} for {self.name!r}; choose one of: {', '.join(OBJECTIVES)}")
        self.objective = objective
        self.threads = threads if threads is not None else default_threads()

    def refusal(self, problem: Problem, deadline: Deadline) -> str | None:
        """Why the model should not be built now (too slow for the time left, or too large), or None."""
        return build_refusal(integer_model_items(problem.n_rows, problem.widths), "the integer model", deadline)

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Build the model once and solve it in the time left (the learner is not used).

        Raises
        ------
        DataError
            When the features cannot be scaled exactly to integers small enough for CP-SAT.
        """
        if problem.weights != self.domain.name:
            raise ValueError(f"the problem asks for {problem.weights} weights; this searcher was built for {self.domain.name}")
        stats: dict[str, Any] = {"weights": self.domain.name}
        minimising = self.objective == "min_weight"
        seed = int(rng.integers(2**31 - 1))
        start = None
        try:
            start = self._start(problem, deadline, seed, stats)
            if start is not None and not minimising:
                return self._offer(start, incumbent, stats)
            refusal = self.refusal(problem, deadline)
            if refusal is not None:
                stats["model_refused"] = refusal
                return self._offer(start, incumbent, stats)
            model = IntegerModel(problem, self.domain, minimise_weights=minimising)
        except Interrupted:
            stats["stopped_in_step"] = "building the integer model"
            return self._offer(start, incumbent, stats)
        stats["input_scale"] = model.inputs.scale
        if start is not None:
            hidden = [z > 0 for z in start.pre_activations(problem.X)[:-1]]
            model.add_hint([(np.asarray(layer.weights), np.asarray(layer.bias)) for layer in start.layers], hidden)
        if deadline.expired():
            return self._offer(start, incumbent, stats)
        solution = model.solve(deadline.remaining(), self.threads, seed)
        if solution.bound is not None:
            stats["nonzero_weights_bound"] = solution.bound
        if solution.status == "INFEASIBLE":
            return SearchOutcome(Status.INFEASIBLE, IntegerProof(problem.claim()), stats)
        found = None if solution.layers is None else integer_network(problem, solution.layers)
        if start is not None and (found is None or nonzero_weights(start) < nonzero_weights(found)):
            return self._offer(start, incumbent, stats)  # CP-SAT did not improve on the start
        outcome = self._offer(found, incumbent, stats)
        if outcome.status is Status.FEASIBLE and minimising and solution.optimal and solution.nonzero:
            proof = IntegerProof(problem.claim(solution.nonzero, objective="min_weight"))
            return SearchOutcome(Status.OPTIMAL, proof, stats)
        return outcome

    def _start(self, problem: Problem, deadline: Deadline, seed: int, stats: dict[str, Any]) -> ThresholdNetwork | None:
        """The stacked single-layer network (:func:`stacked_start`), or None."""
        start = stacked_start(problem, self.domain, START_SHARE * deadline.remaining(), self.threads, seed)
        if start is None:
            return None
        stats["start"] = "stacked"
        return integer_network(problem, start)

    def _offer(self, network: ThresholdNetwork | None, incumbent: Incumbent, stats: dict[str, Any]) -> SearchOutcome:
        """Offer ``network`` (checked to lie in the domain) and say FEASIBLE when the incumbent fits."""
        if network is not None:
            outside = network_outside_domain(network, self.domain)
            if outside is not None:  # cannot happen for a correct model: never offer it
                stats["rejected_network"] = outside
            elif incumbent.offer(network):
                stats["nonzero_weights"] = nonzero_weights(network)
        return SearchOutcome(Status.FEASIBLE if incumbent.exact else Status.UNKNOWN, stats=stats)
