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

import itertools
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.base import SeparabilityLearner
from ftprop_exact.solvers.cuts import CutPool
from ftprop_exact.solvers.flip_search import (
    ERRORS,
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
_TINY_WEIGHT = 1e-3  # importance of rows the layer loss is indifferent about


class _Budget:
    """Moves one call of FTPROP(d) may still try (None: unlimited)."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def spend(self) -> bool:
        """Use one move; True when the budget was already spent (nothing is used then)."""
        if self.left is None:
            return False
        if self.left <= 0:
            return True
        self.left -= 1
        return False

    @property
    def spent(self) -> bool:
        """Whether no move is left."""
        return self.left is not None and self.left <= 0


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


@dataclass(frozen=True)
class _Move:
    """A proposed change of one unit's column of ``T_{d-1}``.

    ``flip`` marks the rows to change; ``weight`` is the importance of every row for the
    unit (0: the row is free, its target may become either sign). ``exact`` moves come
    from the 0-1 loss (constrained rows are exactly those whose change matters) and are
    first tried directly with the LP; the other moves come from the layer loss (the
    paper's ``-sign(dL/dh)`` targets with ``|dL/dh|`` importance).
    """

    unit: int
    flip: np.ndarray
    weight: np.ndarray
    exact: bool
    single: bool = False


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
        """FTPROP(L) from the state's network; True iff every layer fits."""
        top = self.state.depth - 1
        for d in range(top):  # the state's network fits its own activations
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
        """Make layer ``d`` fit its targets on the rows of positive importance, changing
        only the layers below it."""
        self.stats.layer_calls[d] += 1
        if not self._refit(d, importance):
            return True
        if d == 0:
            return False
        top = d == self.state.depth - 1
        budget = _Budget(None if top else self.s.budget)
        best = self._score(d, importance)
        stall = 0
        while stall < self.s.patience and not self.deadline.expired():
            if not self._step(d, importance, best, budget):
                return False
            self.tabu.tick()
            if not self._refit(d, importance):
                return True
            if top:
                offer(self.state, self.incumbent)
            score = self._score(d, importance)
            best, stall = (score, 0) if score < best else (best, stall + 1)
            if budget.spent:
                return False
        return False

    def _step(self, d: int, importance: np.ndarray, best: tuple[float, float], budget: _Budget) -> bool:
        """Try moves on ``T_{d-1}`` until one is accepted; False if none is."""
        moves = itertools.chain(self._exact_moves(d, importance), self._loss_moves(d, importance))
        for move in moves:
            if budget.spend() or self.deadline.expired():
                return False
            if move.exact and self._realise(d - 1, move):
                return True
            if not move.single and self._descend(d, move, importance, best):
                return True
        return False

    def _score(self, d: int, importance: np.ndarray) -> tuple[float, float]:
        """(weighted errors, weighted loss) of layer ``d``: what a move must lower."""
        state = self.state
        return layer_loss(state, d, ERRORS, importance), layer_loss(state, d, self.s.loss, importance)

    def _refit(self, d: int, importance: np.ndarray) -> bool:
        """Check layer ``d`` exactly (hidden units only on their rows of positive
        importance, the others take the separator's signs), then fit the failing units to
        the layer loss. True iff some unit fails."""
        state = self.state
        hidden = d < state.depth - 1
        for j in state.failing(d).tolist():
            constrained = importance[:, j] > 0
            if hidden and not constrained.all():
                self.checker.realise_partial(state, d, j, state.targets[d][:, j].copy(), constrained)
            else:
                self.checker.check_unit(state, d, j)
        failing = state.failing(d)
        if failing.size:
            fit_failing(state, d, failing, self.s.loss, importance, self.s.epochs)
        return bool(failing.size)

    # -- moves --------------------------------------------------------------------------
    def _exact_moves(self, d: int, importance: np.ndarray) -> Iterator[_Move]:
        """0-1 moves: per unit, change the rows where that removes errors of layer ``d``
        and keep the rows where it would add some (the rest are free); the units with the
        largest gain first, then single rows in order of minimal disturbance."""
        below = d - 1
        deltas = flip_deltas(self.state, d, ERRORS, importance)
        change = (deltas < 0) & ~self.tabu.mask(below, deltas.shape)
        keep = deltas > 0
        gains = -np.where(change, deltas, 0.0).sum(axis=0)
        for unit in np.argsort(-gains, kind="stable").tolist():
            if gains[unit] > 0:
                weight = np.where(change[:, unit] | keep[:, unit], self.counts, 0.0)
                yield _Move(unit, change[:, unit], weight, exact=True)
        rows, units = np.nonzero(change)
        distance = hyperplane_distances(self.state, below)[rows, units]
        for k in np.argsort(distance, kind="stable")[: self.s.flip_tries].tolist():
            i, unit = int(rows[k]), int(units[k])
            flip = np.zeros(deltas.shape[0], dtype=bool)
            flip[i] = True
            weight = np.where(keep[:, unit] | flip, self.counts, 0.0)
            yield _Move(unit, flip, weight, exact=True, single=True)

    def _loss_moves(self, d: int, importance: np.ndarray) -> Iterator[_Move]:
        """The paper's heuristic: per unit, the flips with ``-sign(dL/dh) != t`` and
        importance ``|dL/dh|``; the units with the largest predicted loss decrease first."""
        below = d - 1
        predict = flip_deltas if self.s.heuristic == "delta" else flip_gradient
        deltas = predict(self.state, d, self.s.loss, importance)
        wanted = (deltas < -_IMPROVEMENT) & ~self.tabu.mask(below, deltas.shape)
        gains = -np.where(wanted, deltas, 0.0).sum(axis=0)
        for unit in np.argsort(-gains, kind="stable").tolist():
            if gains[unit] > 0:
                weight = self.counts * (np.abs(deltas[:, unit]) + _TINY_WEIGHT)
                yield _Move(unit, wanted[:, unit], weight, exact=False)

    def _realise(self, below: int, move: _Move) -> bool:
        """Exact move: an LP decides whether unit ``move.unit`` can take the partial column."""
        self.stats.moves_tried += 1
        column, changed, constrained = self._column(below, move)
        if below == 0 and self.checker.forbidden(column, changed, constrained):
            return False
        before = self.state.copy()
        if not self.checker.realise_partial(self.state, below, move.unit, column, constrained):
            if move.single:
                self.tabu.add(below, changed, move.unit)
            return False
        self._accept(before, below)
        return True

    def _descend(self, d: int, move: _Move, importance: np.ndarray, best: tuple[float, float]) -> bool:
        """Algorithm 1's step: put the move's targets on ``T_{d-1}`` and call FTPROP(d-1).

        If it fails, the failing units of layer ``d - 1`` take their own activations under
        their importance-weighted loss fit (a feasible projection of the wanted targets),
        and the move is kept only if layer ``d`` improved.
        """
        self.stats.moves_tried += 1
        below, state = d - 1, self.state
        column, changed, constrained = self._column(below, move)
        before = state.copy()
        state.set_column(below, move.unit, column)
        upstream = self._importance(below)
        upstream[:, move.unit] = move.weight
        if below == 0 and self.checker.forbidden(column, changed, constrained):
            # a cut already says "not separable": go straight to the projection
            fit_failing(state, below, np.array([move.unit]), self.s.loss, upstream, self.s.epochs)
            feasible = False
        else:
            feasible = self.layer(below, upstream)
        if not feasible and not realise(state, self.checker, below):
            state.restore(before)
            return False
        still_failing = self._refit(d, importance)
        if not feasible and still_failing and not self._score(d, importance) < best:
            state.restore(before)
            return False
        self._accept(before, below)
        return True

    def _column(self, below: int, move: _Move) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The move's column of ``T_{below}``, its changed rows and its constrained rows."""
        column = self.state.targets[below][:, move.unit].copy()
        column[move.flip] = -column[move.flip]
        return column, np.flatnonzero(move.flip), move.weight > 0

    def _accept(self, before: TargetState, below: int) -> None:
        """Count the changed targets and make them tabu (they may not flip straight back)."""
        self.stats.moves_accepted += 1
        for layer in range(below + 1):
            rows, units = np.nonzero(before.targets[layer] != self.state.targets[layer])
            self.stats.flips += int(rows.size)
            for unit in np.unique(units).tolist():
                self.tabu.add(layer, rows[units == unit], unit)
