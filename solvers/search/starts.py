"""Starts of the flip-based searchers: :class:`FlipSearcher` (random starts with a warm
start, kicks, restarts, statistics), the skeleton both searchers subclass, and
:func:`without_hidden_layers` for problems without hidden layers."""

from __future__ import annotations

import itertools

import numpy as np

from ftprop_exact import progress
from ftprop_exact.activations import ACTIVATION_FAMILIES, is_levelled
from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.exact.cuts import CutPool
from ftprop_exact.solvers.exact.single_layer import single_layer_outcome
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.search.anneal_start import anneal_start
from ftprop_exact.solvers.search.descent import Descent
from ftprop_exact.solvers.search.losses import LayerLoss, make_loss
from ftprop_exact.solvers.search.moves import kick
from ftprop_exact.solvers.search.soft_start import soft_start
from ftprop_exact.solvers.search.levels import LevelSearcher
from ftprop_exact.solvers.search.state import SearchStats, TargetState, UnitChecker, offer
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome
from ftprop_exact.status import Status

__all__ = ["FlipSearcher", "WARM_STARTS", "without_hidden_layers"]

WARM_STARTS: dict[str, int] = {"anneal": 1500, "soft": 1000}  # warm-start kinds, default iterations
WARM_SHARE = 0.5  # most of the time left that a warm start may take


def without_hidden_layers(
    problem: Problem, learner: SeparabilityLearner, incumbent: Incumbent, stats: SearchStats
) -> SearchOutcome:
    """Decide a problem without hidden layers (one LP per output unit; a certificate is a
    proof), for callers of ``search`` that bypass :func:`ftprop_exact.solve`."""
    stats.layer_calls[0] += 1
    outcome = single_layer_outcome(problem, learner, incumbent)
    stats.lp_checks += int(outcome.stats.get("lp_checks", 0))
    return SearchOutcome(outcome.status, outcome.proof, stats.as_dict())


class FlipSearcher:
    """Common skeleton of the flip searchers: random starts, kicks, statistics.

    Subclasses name their :class:`Descent` (one descent from a state). :meth:`search` runs
    starts from random networks; a start that stalls is kicked (see :func:`kick`) up to
    ``kicks`` times, then a fresh start follows, until the incumbent is an exact fit, the
    restarts are used up, or the deadline passes. Each start draws its own generator from
    the one passed to :meth:`search`, so a run is reproducible from ``random_state``.
    The initial network of every start is offered to the incumbent first, so an answer
    is never worse than it.

    Parameters
    ----------
    loss : str or LayerLoss, default="soft_hinge"
        Layer loss used to fit failing units and to rank loss moves.
    patience : int, default=20
        Accepted moves without a better score before a descent gives up.
    kicks : int, default=1
        Kicks of a stalled start before a fresh random start.
    restarts : int or None, default=None
        Fresh starts after the first; None: until the deadline.
    flip_tries : int, default=25
        Single-row exact moves tried per step.
    tabu_tenure : int, default=10
        Steps during which a changed target may not change back.
    epochs : int, default=60
        Gradient steps when fitting a non-convex loss.
    warm_start : int, optional
        Iterations of the warm start that moves each start before the exact search
        (default 1500 for ``"anneal"``, 1000 for ``"soft"``); 0: start from a random
        network itself.
    start : {"anneal", "soft"}, default="anneal"
        The warm start: ``"anneal"`` screens ``screen`` annealed smooth networks
        (:func:`~ftprop_exact.solvers.search.anneal_start.anneal_start`) and keeps the best;
        ``"soft"`` moves one random network by soft FTPROP
        (:func:`~ftprop_exact.solvers.search.soft_start.soft_start`).
    screen : int, default=8
        Initialisations annealed per start (``start="anneal"``).

    Attributes
    ----------
    cut_pool : CutPool
        First-layer no-good cuts from certificates, kept across starts and calls.
    """

    name = "flip"
    capabilities = Capabilities(activations=ACTIVATION_FAMILIES)  # finds networks; never proves
    level_moves = "gradient"  # qrelu:K problems go to the level searcher with these moves
    descent: type[Descent] = Descent

    def __init__(
        self,
        loss: str | LayerLoss = "soft_hinge",
        patience: int = 20,
        kicks: int = 1,
        restarts: int | None = None,
        flip_tries: int = 25,
        tabu_tenure: int = 10,
        epochs: int = 60,
        warm_start: int | None = None,
        start: str = "anneal",
        screen: int = 8,
    ) -> None:
        if start not in WARM_STARTS:
            raise ValueError(f"unknown start {start!r}; choose one of: {', '.join(WARM_STARTS)}")
        if warm_start is None:
            warm_start = WARM_STARTS[start]
        for label, value in (
            ("patience", patience), ("flip_tries", flip_tries), ("tabu_tenure", tabu_tenure), ("screen", screen)
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{label} must be a positive integer; got {value!r}")
        for label, value in (("kicks", kicks), ("epochs", epochs), ("restarts", restarts), ("warm_start", warm_start)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
                raise ValueError(f"{label} must be a non-negative integer; got {value!r}")
        self.loss = make_loss(loss)
        self.patience = patience
        self.kicks = kicks
        self.restarts = restarts
        self.flip_tries = flip_tries
        self.tabu_tenure = tabu_tenure
        self.epochs = epochs
        self.warm_start = warm_start
        self.start = start
        self.screen = screen
        self.cut_pool = CutPool()

    @progress.in_phase("local search")
    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Search until a verified network, the deadline or the last restart."""
        stats = SearchStats.for_problem(problem)
        if not problem.hidden:
            return without_hidden_layers(problem, learner, incumbent, stats)
        if is_levelled(problem.activation):  # level targets: solvers/search/levels.py
            return LevelSearcher(moves=self.level_moves, name=self.name).search(problem, learner, deadline, incumbent, rng)
        checker = UnitChecker(learner, stats, self.cut_pool, deadline)
        try:
            self._starts(problem, checker, deadline, incumbent, rng)
        finally:
            stats.extra.update(cuts=len(self.cut_pool), loss=self.loss.name)
        status = Status.FEASIBLE if incumbent.exact else Status.UNKNOWN
        return SearchOutcome(status, stats=stats.as_dict())

    def _starts(
        self, problem: Problem, checker: UnitChecker, deadline: Deadline, incumbent: Incumbent, rng: np.random.Generator
    ) -> None:
        stats = checker.stats
        counter = itertools.count() if self.restarts is None else range(self.restarts + 1)
        for k in counter:
            start_rng = np.random.default_rng(rng.integers(2**63))
            state = TargetState.random(problem, start_rng)
            offer(state, incumbent)
            if deadline.expired():
                return
            if self.warm_start:
                state = TargetState.from_weights(problem, *self._warm_start(problem, state, deadline, start_rng))
                offer(state, incumbent)
            stats.restarts += k > 0
            for kicked in range(self.kicks + 1):
                if kicked:
                    kick(state, checker, start_rng)
                    stats.extra["kicks"] = stats.extra.get("kicks", 0) + 1
                self.descend(state, checker, deadline, incumbent)
                offer(state, incumbent)
                if incumbent.exact or deadline.expired():
                    return

    def _warm_start(
        self, problem: Problem, state: TargetState, deadline: Deadline, rng: np.random.Generator
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The network a start's exact search begins from (weights, biases)."""
        budget = deadline.sub(WARM_SHARE)  # the exact search needs time too, at any size
        if self.start == "anneal":
            return anneal_start(problem, rng, budget, self.warm_start, self.screen)
        return soft_start(problem, state.weights, state.biases, self.loss, self.warm_start, budget, rng=rng)

    def descend(self, state: TargetState, checker: UnitChecker, deadline: Deadline, incumbent: Incumbent) -> None:
        """One descent from ``state`` (changed in place) by the searcher's :class:`Descent`."""
        self.descent(self, state, checker, deadline, incumbent).run()
