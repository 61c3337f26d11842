"""Recursive full-batch FTPROP (Algorithm 1 of Friesen & Domingos 2018) as a target searcher.

``FTPROP(d)`` makes layer ``d`` fit its (fixed) targets ``T_d`` by changing the targets of
the layers below::

    FTPROP(d):
      check every unit of layer d exactly (LP)           -> all separable: return True
      fit the failing units to the layer loss L_d         (weighted by multiplicity x importance)
      if d == 1: return False                             (inputs are fixed)
      repeat until the layer's budget is spent:
        deltas  = change of L_d when one target of T_{d-1} flips   (the discrete dL_d/dh_{d-1})
        move    = flips of T_{d-1} the loss wants (delta < 0, i.e. t = -sign(dL/dh)),
                  either all of one unit's wanted flips (importance |delta|), or single
                  flips in order of minimal disturbance (smallest |z| / ||w|| first)
        if FTPROP(d-1) on the new T_{d-1} (importance |delta|):  keep them (Algorithm 1)
        else: replace the failing units of layer d-1 by their own activations under the
              importance-weighted loss fit (a feasible projection) and keep the move only
              if L_d decreased
        re-check layer d: all separable -> return True
      return False

The top call is ``FTPROP(L)``; when it gives up (no move accepted, or no improvement of
``L_L`` for ``patience`` moves) the search restarts from a new random network. The network
of every accepted move is offered to the incumbent, so the answer is anytime.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.base import SeparabilityLearner
from ftprop_exact.solvers.cuts import CutPool
from ftprop_exact.solvers.flip_search import (
    SearchStats,
    Tabu,
    TargetState,
    UnitChecker,
    fit_failing,
    flip_deltas,
    flip_gradient,
    hyperplane_distances,
    kick,
    layer_loss,
    offer,
    realise,
    restart_rngs,
    without_hidden_layers,
)
from ftprop_exact.solvers.losses import LayerLoss, make_loss
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome
from ftprop_exact.status import Status

__all__ = ["FTPropSearcher"]

_HEURISTICS = ("delta", "gradient")
_IMPROVEMENT = 1e-9


class FTPropSearcher:
    """Recursive full-batch FTPROP with local search over flips of the hidden targets.

    It finds networks (FEASIBLE) or runs out of budget (UNKNOWN); it proves INFEASIBLE only
    for problems without hidden layers, where one LP certificate settles the question.

    Parameters
    ----------
    loss : str or LayerLoss, default="soft_hinge"
        Per-layer loss (:func:`~ftprop_exact.solvers.losses.loss_names`).
    budget : int, default=30
        Moves tried per call of ``FTPROP(d)`` for a hidden layer ``d`` (layers below the
        output; the output layer runs until ``patience`` or the deadline).
    patience : int, default=40
        Accepted moves at the output layer without a new lowest loss before a restart.
    restarts : int or None, default=None
        Fresh random starts after the first; None: until the deadline.
    flip_tries : int, default=25
        Single-flip candidates tried per step (after the whole-unit moves).
    tabu_tenure : int, default=10
        Steps during which a changed target may not change back.
    heuristic : {"delta", "gradient"}, default="delta"
        Wanted flips from the exact loss change of each flip, or from its linearisation
        ``(dL/dh) * (change of h)`` as in the paper.
    epochs : int, default=60
        Gradient steps when fitting a non-convex loss.
    kicks : int, default=8
        Perturbations of a stalled start (one first-layer unit moved to a random
        hyperplane through a misclassified example) before a fresh restart.

    Attributes
    ----------
    cut_pool : CutPool
        First-layer no-good cuts learned from certificates (shared across restarts).

    Examples
    --------
    >>> import numpy as np
    >>> from ftprop_exact import api
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = [0, 1, 1, 0]
    >>> result = api.solve(X, y, hidden=[2], searcher=FTPropSearcher(), time_limit=30)
    >>> result.status.value, result.errors
    ('FEASIBLE', 0)
    """

    name = "ftprop"

    def __init__(
        self,
        loss: str | LayerLoss = "soft_hinge",
        budget: int = 30,
        patience: int = 40,
        restarts: int | None = None,
        flip_tries: int = 25,
        tabu_tenure: int = 10,
        heuristic: str = "delta",
        epochs: int = 60,
        kicks: int = 8,
    ) -> None:
        if heuristic not in _HEURISTICS:
            raise ValueError(f"unknown heuristic {heuristic!r}; choose one of: {', '.join(_HEURISTICS)}")
        for label, value in (("budget", budget), ("patience", patience), ("flip_tries", flip_tries)):
            if value < 1:
                raise ValueError(f"{label} must be a positive integer; got {value!r}")
        if restarts is not None and restarts < 0:
            raise ValueError(f"restarts must be >= 0 or None; got {restarts!r}")
        self.loss = make_loss(loss)
        self.budget = budget
        self.patience = patience
        self.restarts = restarts
        self.flip_tries = flip_tries
        self.tabu_tenure = tabu_tenure
        self.heuristic = heuristic
        self.epochs = epochs
        self.kicks = kicks
        self.cut_pool = CutPool()

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Run FTPROP with restarts until a verified network or the deadline."""
        stats = SearchStats.for_problem(problem)
        if not problem.hidden:
            return without_hidden_layers(problem, learner, incumbent, stats)
        checker = UnitChecker(learner, stats, self.cut_pool)
        for k, start_rng in restart_rngs(rng, self.restarts):
            if deadline.expired():
                break
            stats.restarts += k > 0
            state = TargetState.random(problem, start_rng)
            for _ in range(self.kicks + 1):
                solved = _Recursion(self, state, checker, deadline, incumbent, stats).run()
                offer(state, incumbent)
                if solved and incumbent.exact:
                    return SearchOutcome(Status.FEASIBLE, stats=self._stats(stats))
                if deadline.expired():
                    break
                kick(state, checker, start_rng)
                stats.extra["kicks"] = stats.extra.get("kicks", 0) + 1
        status = Status.FEASIBLE if incumbent.exact else Status.UNKNOWN
        return SearchOutcome(status, stats=self._stats(stats))

    def _stats(self, stats: SearchStats) -> dict:
        stats.extra["cuts"] = len(self.cut_pool)
        stats.extra["loss"] = self.loss.name
        return stats.as_dict()


class _Recursion:
    """One start of FTPROP: the recursive procedure over a :class:`TargetState`."""

    def __init__(
        self,
        searcher: FTPropSearcher,
        state: TargetState,
        checker: UnitChecker,
        deadline: Deadline,
        incumbent: Incumbent,
        stats: SearchStats,
    ) -> None:
        self.s = searcher
        self.state = state
        self.checker = checker
        self.deadline = deadline
        self.incumbent = incumbent
        self.stats = stats
        self.counts = state.problem.counts.astype(np.float64)
        self.tabu = Tabu(searcher.tabu_tenure)

    def run(self) -> bool:
        """FTPROP(L) from the state's random network; True iff every layer fits."""
        top = self.state.depth - 1
        for d in range(top):  # the random network fits its own activations
            if self.checker.check_layer(self.state, d).size:
                return False
        importance = self._importance(top)
        failing = self.checker.check_layer(self.state, top)
        fit_failing(self.state, top, failing, self.s.loss, importance, self.s.epochs, warm=False)
        return self.layer(top, importance)

    def _importance(self, d: int) -> np.ndarray:
        width = self.state.weights[d].shape[0]
        return np.repeat(self.counts[:, None], width, axis=1)

    # -- FTPROP(d) ----------------------------------------------------------------------
    def layer(self, d: int, importance: np.ndarray) -> bool:
        """Make layer ``d`` fit its targets, changing only the layers below it."""
        self.stats.layer_calls[d] += 1
        if not self._refit(d, importance):
            return True
        if d == 0:
            return False
        top = d == self.state.depth - 1
        best = layer_loss(self.state, d, self.s.loss, importance)
        attempts = stall = 0
        while stall < self.s.patience and not self.deadline.expired():
            accepted = False
            for unit, rows, delta in self._moves(d, importance):
                attempts += 1
                if self._try(d, unit, rows, delta, importance, best):
                    accepted = True
                    break
                if (not top and attempts >= self.s.budget) or self.deadline.expired():
                    break
            if not accepted:
                return False
            self.tabu.tick()
            if not self._refit(d, importance):
                return True
            if top:
                offer(self.state, self.incumbent)
            current = layer_loss(self.state, d, self.s.loss, importance)
            best, stall = (current, 0) if current < best - _IMPROVEMENT else (best, stall + 1)
            if not top and attempts >= self.s.budget:
                return False
        return False

    def _refit(self, d: int, importance: np.ndarray) -> bool:
        """Check layer ``d`` exactly and fit its failing units; True iff some unit fails."""
        failing = self.checker.check_layer(self.state, d)
        if failing.size:
            fit_failing(self.state, d, failing, self.s.loss, importance, self.s.epochs)
        return bool(failing.size)

    def _moves(self, d: int, importance: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Candidate moves on ``T_{d-1}``: whole-unit moves by gain, then single flips."""
        below = d - 1
        predict = flip_deltas if self.s.heuristic == "delta" else flip_gradient
        deltas = predict(self.state, d, self.s.loss, importance)
        wanted = (deltas < -_IMPROVEMENT) & ~self.tabu.mask(below, deltas.shape)
        gains = -np.where(wanted, deltas, 0.0).sum(axis=0)
        for unit in np.argsort(-gains, kind="stable").tolist():
            if gains[unit] > 0:
                yield unit, np.flatnonzero(wanted[:, unit]), deltas[:, unit]
        rows, units = np.nonzero(wanted)
        distance = hyperplane_distances(self.state, below)[rows, units]
        for k in np.argsort(distance, kind="stable")[: self.s.flip_tries].tolist():
            yield int(units[k]), rows[k : k + 1], deltas[:, units[k]]

    def _try(
        self, d: int, unit: int, rows: np.ndarray, delta: np.ndarray, importance: np.ndarray, best: float
    ) -> bool:
        """Apply one move to ``T_{d-1}``; keep it if FTPROP(d-1) succeeds or L_d decreases."""
        self.stats.moves_tried += 1
        below, state = d - 1, self.state
        column = state.targets[below][:, unit].copy()
        column[rows] = -column[rows]
        known_bad = below == 0 and self.checker.forbidden(column, rows)
        if known_bad and rows.size == 1:
            return False
        before = state.copy()
        state.set_column(below, unit, column)
        upstream = self._importance(below)
        upstream[:, unit] = self.counts * (np.abs(delta) + 1e-3)
        if known_bad:  # a cut already says "not separable": go straight to the projection
            fit_failing(state, below, np.array([unit]), self.s.loss, upstream, self.s.epochs)
            feasible = False
        else:
            feasible = self.layer(below, upstream)
        if not feasible and not realise(state, self.checker, below):
            state.restore(before)
            return False
        still_failing = self._refit(d, importance)
        improved = not still_failing or layer_loss(state, d, self.s.loss, importance) < best - _IMPROVEMENT
        if not (feasible or improved):
            state.restore(before)
            if rows.size == 1:
                self.tabu.add(below, rows, unit)
            return False
        self._accept(before, below)
        return True

    def _accept(self, before: TargetState, below: int) -> None:
        """Count the changed targets and make them tabu (they may not flip straight back)."""
        self.stats.moves_accepted += 1
        for layer in range(below + 1):
            rows, units = np.nonzero(before.targets[layer] != self.state.targets[layer])
            self.stats.flips += int(rows.size)
            for unit in np.unique(units).tolist():
                self.tabu.add(layer, rows[units == unit], unit)
