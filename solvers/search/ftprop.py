"""Recursive full-batch FTPROP (Algorithm 1 of Friesen & Domingos 2018) as a target searcher.

``FTPROP(d)`` makes layer ``d`` fit its (fixed) targets ``T_d`` by changing the targets of
the layers below::

    FTPROP(d):
      check every unit of layer d exactly (LP)          -> all separable: return True
      fit the failing units to the layer loss L_d        (weighted by multiplicity x importance)
      if d == 1: return False                            (inputs are fixed)
      repeat within the layer's budget:
        deltas = change of layer d's errors / loss when one target below flips
                 (the discrete dL_d/dh_{d-1}: negative = t = -sign(dL/dh) is wanted)
        exact moves (one LP each): change a unit's rows where that removes errors and keep
          those where it would add some (the rest are free); whole units first, then single
          rows in order of minimal disturbance (smallest |z| / ||w||); at the output also
          unit replacements; then on deeper layers through the layers in between
        else the recursion: put a move's targets on T_{d-1} and call FTPROP(d-1) with
          |delta|-style importance; if it fails, layer d-1 takes its activations under its
          importance-weighted loss fit (a projection), kept only if layer d improved
        re-check layer d: all separable -> return True
      return False

The top call is ``FTPROP(L)``; when it gives up (no move accepted, or no better score of
the output for ``patience`` moves) the start is kicked, then a new random start (moved by
the soft FTPROP warm start) follows. The network of every accepted move is offered to the
incumbent, so the answer is anytime. docs/algorithms.md has the details and an example.
"""

from __future__ import annotations

import itertools
from typing import Iterator

import numpy as np

from ftprop_exact.solvers.search.deltas import ERRORS, fit_failing, flip_deltas, flip_gradient
from ftprop_exact.solvers.search.descent import Descent
from ftprop_exact.solvers.search.moves import Move, exact_moves, loss_moves, record_changes, replacement_moves
from ftprop_exact.solvers.search.starts import FlipSearcher
from ftprop_exact.solvers.search.state import offer, realise
from ftprop_exact.solvers.search.losses import LayerLoss

__all__ = ["FTPropSearcher"]

_HEURISTICS = ("delta", "gradient")


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


class FTPropSearcher(FlipSearcher):
    """Recursive full-batch FTPROP with local search over flips of the hidden targets.

    It finds networks (FEASIBLE) or runs out of budget (UNKNOWN); it proves INFEASIBLE only
    for problems without hidden layers, where one LP certificate settles the question.

    Parameters
    ----------
    loss : str or LayerLoss, default="soft_hinge"
        Per-layer loss (:func:`~ftprop_exact.solvers.search.losses.loss_names`).
    budget : int, default=10
        Moves tried per call of ``FTPROP(d)`` for a hidden layer ``d`` (the output layer
        runs until ``patience`` or the deadline).
    patience : int, default=20
        Accepted moves in one call of ``FTPROP(d)`` without a better score (errors, then
        loss) of layer ``d`` before it gives up.
    kicks : int, default=1
        Perturbations of a stalled start (one first-layer unit moved to a random
        hyperplane through a misclassified example) before a fresh restart.
    restarts : int or None, default=None
        Fresh random starts after the first; None: until the deadline.
    flip_tries : int, default=25
        Single-row exact moves tried per step (after the whole-unit moves).
    tabu_tenure : int, default=10
        Steps during which a changed target may not change back.
    heuristic : {"delta", "gradient"}, default="delta"
        Loss moves from the exact loss change of each flip, or from its linearisation
        ``(dL/dh) * (change of h)`` as in the paper.
    epochs : int, default=60
        Gradient steps when fitting a non-convex loss.
    warm_start : int, optional
        Iterations of the warm start of each start (default 1500 for ``"anneal"``, 1000
        for ``"soft"``); 0: the exact recursion alone, from a random network.
    start : {"anneal", "soft"}, default="anneal"
        ``"anneal"``: the best of ``screen`` annealed smooth networks
        (:mod:`~ftprop_exact.solvers.search.anneal_start`); ``"soft"``: soft FTPROP (gradient
        steps on the layer losses with the same target heuristic) from a random network.
    screen : int, default=8
        Initialisations annealed per start.

    Attributes
    ----------
    cut_pool : CutPool
        First-layer no-good cuts learned from certificates (shared across restarts).

    Examples
    --------
    >>> import numpy as np
    >>> from ftprop_exact import solve
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = [0, 1, 1, 0]
    >>> result = solve(X, y, hidden=[2], searcher=FTPropSearcher(), time_limit=30)
    >>> result.status.value, result.errors
    ('FEASIBLE', 0)
    """

    name = "ftprop"

    def __init__(
        self,
        loss: str | LayerLoss = "soft_hinge",
        budget: int = 10,
        patience: int = 20,
        kicks: int = 1,
        restarts: int | None = None,
        flip_tries: int = 25,
        tabu_tenure: int = 10,
        heuristic: str = "delta",
        epochs: int = 60,
        warm_start: int | None = None,
        start: str = "anneal",
        screen: int = 8,
    ) -> None:
        super().__init__(loss, patience, kicks, restarts, flip_tries, tabu_tenure, epochs, warm_start, start, screen)
        if heuristic not in _HEURISTICS:
            raise ValueError(f"unknown heuristic {heuristic!r}; choose one of: {', '.join(_HEURISTICS)}")
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise ValueError(f"budget must be a positive integer; got {budget!r}")
        self.budget = budget
        self.heuristic = heuristic


class _Recursion(Descent):
    """One start of FTPROP: the recursive procedure over a :class:`TargetState`."""

    def run(self) -> None:
        """FTPROP(L) from the state's network."""
        if self.prepare():
            self.layer(self.top, self.importance(self.top))

    # -- FTPROP(d) ----------------------------------------------------------------------
    def layer(self, d: int, importance: np.ndarray) -> bool:
        """Make layer ``d`` fit its targets on the rows of positive importance, changing
        only the layers below it."""
        self.stats.layer_calls[d] += 1
        if not self.refit(d, importance):
            return True
        if d == 0:
            return False
        top = d == self.top
        budget = _Budget(None if top else self.s.budget)
        best = self.score(d, importance)
        stall = 0
        while stall < self.s.patience and not self.deadline.expired():
            if not self._step(d, importance, best, budget):
                return False
            self.tabu.tick()
            if not self.refit(d, importance):
                return True
            if top:
                offer(self.state, self.incumbent)
            score = self.score(d, importance)
            best, stall = (score, 0) if score < best else (best, stall + 1)
            if budget.spent:
                return False
        return False

    def _step(self, d: int, importance: np.ndarray, best: tuple[float, float], budget: _Budget) -> bool:
        """Try moves until one is accepted; False if none is.

        First the exact moves, each one LP: on ``T_{d-1}``, then (at the output) the unit
        replacements, then on the deeper hidden layers, judged by layer ``d`` through the
        layers in between (their targets become their activations: FTPROP(d-1) holds by
        construction). Then Algorithm 1's recursion (:meth:`_descend`) on the whole-unit
        exact moves (when layer ``d - 1`` has hidden inputs) and on the paper's loss moves.
        """
        below = d - 1
        exact = list(exact_moves(self.state, below, flip_deltas(self.state, d, ERRORS, importance),
                                 self.counts, self.tabu, self.s.flip_tries))
        replacements = replacement_moves(self.state, importance, self.counts) if d == self.top else ()
        deep = self.deep_exact_moves(d, importance, range(below - 1, -1, -1))
        for move in itertools.chain(exact, replacements, deep):
            if budget.spend() or self.deadline.expired():
                return False
            if self.exact_move(move, stop=d):
                return True
        whole_units = (move for move in exact if not move.single and below > 0)
        for move in itertools.chain(whole_units, self._loss_moves(d, importance)):
            if budget.spend() or self.deadline.expired():
                return False
            if self._descend(d, move, importance, best):
                return True
        return False

    # -- moves --------------------------------------------------------------------------
    def _loss_moves(self, d: int, importance: np.ndarray) -> Iterator[Move]:
        """The paper's loss moves on ``T_{d-1}`` (exact deltas or their linearisation)."""
        predict = flip_deltas if self.s.heuristic == "delta" else flip_gradient
        return loss_moves(d - 1, predict(self.state, d, self.s.loss, importance), self.counts, self.tabu)

    def _descend(self, d: int, move: Move, importance: np.ndarray, best: tuple[float, float]) -> bool:
        """Algorithm 1's step: put the move's targets on ``T_{d-1}`` and call FTPROP(d-1).

        If it fails, the failing units of layer ``d - 1`` take their own activations under
        their importance-weighted loss fit (a feasible projection of the wanted targets),
        and the move is kept only if layer ``d`` improved.
        """
        self.stats.moves_tried += 1
        below, state = d - 1, self.state
        column, changed, constrained = move.column(state)
        # importance of layer d-1: a row matters for a unit iff changing it there would
        # add errors to layer d (the 0-1 form of the paper's |dL_d/dh| weights)
        harm = flip_deltas(state, d, ERRORS, importance) > 0
        upstream = np.where(harm, self.counts[:, None], 0.0)
        upstream[:, move.unit] = move.weight
        before = state.copy()
        state.set_column(below, move.unit, column)
        if below == 0 and self.checker.forbidden(column, changed, constrained):
            # a cut already says "not separable": go straight to the projection
            unit = np.array([move.unit])
            fit_failing(state, below, unit, self.s.loss, upstream, self.s.epochs, deadline=self.deadline)
            feasible = False
        else:
            feasible = self.layer(below, upstream)
        if not feasible and not realise(state, self.checker, below):
            state.restore(before)
            return False
        still_failing = self.refit(d, importance)
        if still_failing and not self.score(d, importance) < best:
            state.restore(before)
            return False
        record_changes(before, state, self.tabu, self.stats)
        return True


FTPropSearcher.descent = _Recursion  # defined after the searcher, which it reads options from
