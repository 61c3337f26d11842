"""Local search directly on the hidden targets (searcher ``"local"``).

Where FTPROP (:mod:`ftprop_exact.solvers.search.ftprop`) descends layer by layer, this searcher
looks at every hidden layer at once and judges each flip by the *output*: a flip of
``T_e[i, j]`` is propagated through the layers above by the network's own forward pass,
and its effect on the output's errors (and loss) decides whether it is wanted.

One step::

    for each hidden layer (the last one first):
        exact 0-1 moves: per unit, change the rows where that removes output errors and
        keep those where it would add some (the rest are free); the LP decides whether
        the unit can realise it (first-layer no-goods from the cut pool are skipped
        without an LP); whole-unit moves by gain, then single rows, minimal disturbance
        (smallest |z| / ||w||) first
    if none applies: loss moves (the layer loss's wanted flips with |delta| importance),
        projected by the unit's importance-weighted loss fit; kept only if the output
        improves (fewer errors, or as many and a lower loss)
    re-realise the hidden layers above the change, re-check and re-fit the output

Exact moves strictly lower the output's errors at the current output weights, so they
cannot cycle; changed targets are tabu for a while; a stalled search kicks one unit to a
random hyperplane through a misclassified example, and after ``kicks`` kicks restarts from
a new random network. Every start draws its generator from the one passed in, so a
multi-start run is reproducible from ``random_state``.

The first-layer certificates met on the way are kept in :attr:`LocalSearcher.cut_pool`
and the best hidden targets in the incumbent (``Incumbent.hidden_targets``), ready to hand
to an exact searcher (CP-SAT) as cuts and hints.
"""

from __future__ import annotations

import itertools

import numpy as np

from ftprop_exact.solvers.search.deltas import fit_failing, flip_deltas
from ftprop_exact.solvers.search.descent import Descent
from ftprop_exact.solvers.search.moves import Move, loss_moves, record_changes, replacement_moves
from ftprop_exact.solvers.search.starts import FlipSearcher
from ftprop_exact.solvers.search.state import offer, realise

__all__ = ["LocalSearcher"]


class LocalSearcher(FlipSearcher):
    """Tabu local search over the hidden targets with exact LP moves, kicks and restarts.

    Like FTPROP it finds networks (FEASIBLE) or runs out of budget (UNKNOWN); it proves
    INFEASIBLE only for problems without hidden layers (one LP certificate).

    Parameters
    ----------
    loss : str or LayerLoss, default="soft_hinge"
        Layer loss used to fit failing units and to rank loss moves.
    patience : int, default=20
        Accepted moves without a better output score (errors, then loss) before a kick.
    kicks : int, default=1
        Kicks of a stalled start before a fresh random restart.
    restarts : int or None, default=None
        Fresh starts after the first; None: until the deadline.
    flip_tries : int, default=25
        Single-row exact moves tried per layer and step.
    tabu_tenure : int, default=10
        Steps during which a changed target may not change back.
    epochs : int, default=60
        Gradient steps when fitting a non-convex loss.
    warm_start : int, optional
        Iterations of the warm start of each start (default 1500 for ``"anneal"``, 1000
        for ``"soft"``); 0: none, the search starts from a random network.
    start : {"anneal", "soft"}, default="anneal"
        ``"anneal"``: the best of ``screen`` annealed smooth networks; ``"soft"``: soft
        FTPROP from a random network.
    screen : int, default=8
        Initialisations annealed per start.

    Attributes
    ----------
    cut_pool : CutPool
        First-layer no-good cuts (from non-separability certificates), kept across
        restarts and calls; a portfolio hands them to CP-SAT.

    Examples
    --------
    >>> import numpy as np
    >>> from ftprop_exact import solve
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = [0, 1, 1, 0]
    >>> solve(X, y, hidden=[2], searcher="local", time_limit=30).status.value
    'FEASIBLE'
    """

    name = "local"
    level_moves = "random"  # qrelu:K: local search over level targets (solvers/search/levels.py)


class _Descent(Descent):
    """The descent of one start (or kick) over a :class:`TargetState`."""

    def run(self) -> None:
        """Descend until the output fits, the search stalls, or the deadline."""
        self.stats.layer_calls[self.top] += 1
        if not self.prepare():
            return
        importance = self.importance(self.top)
        best, stall = self.score(self.top, importance), 0
        while self.state.failing(self.top).size and stall < self.s.patience and not self.deadline.expired():
            if not (self._exact_step(importance) or self._loss_step(importance, best)):
                return
            self.tabu.tick()
            self.refit(self.top, importance)
            offer(self.state, self.incumbent)
            score = self.score(self.top, importance)
            best, stall = (score, 0) if score < best else (best, stall + 1)

    def _layers(self) -> range:
        """Hidden layers, the one next to the output first."""
        return range(self.top - 1, -1, -1)

    def _exact_step(self, importance: np.ndarray) -> bool:
        """Apply the first exact move that some hidden unit can realise (the layer next to
        the output first), else the first unit replacement."""
        moves = itertools.chain(
            self.deep_exact_moves(self.top, importance, self._layers()),
            replacement_moves(self.state, importance, self.counts),
        )
        for move in moves:
            if self.deadline.expired():
                return False
            if self.exact_move(move):
                return True
        return False

    def _loss_step(self, importance: np.ndarray, best: tuple[float, float]) -> bool:
        """Apply the first loss move whose projection improves the output."""
        for layer in self._layers():
            deltas = flip_deltas(self.state, self.top, self.s.loss, importance, source=layer)
            for move in loss_moves(layer, deltas, self.counts, self.tabu):
                if self.deadline.expired():
                    return False
                if self._project(move, importance, best):
                    return True
        return False

    def _project(self, move: Move, importance: np.ndarray, best: tuple[float, float]) -> bool:
        """Fit the unit to the move's targets (weighted loss), take its activations, and
        keep the result if the output improved."""
        self.stats.moves_tried += 1
        state = self.state
        column, _, _ = move.column(state)
        before = state.copy()
        state.set_column(move.layer, move.unit, column)
        weights = self.importance(move.layer)
        weights[:, move.unit] = move.weight
        unit = np.array([move.unit])
        fit_failing(state, move.layer, unit, self.s.loss, weights, self.s.epochs, deadline=self.deadline)
        if not realise(state, self.checker, move.layer):
            state.restore(before)
            return False
        for e in range(move.layer + 1, self.top):  # the layers above take their activations
            realise(state, self.checker, e)
        if self.refit(self.top, importance) and not self.score(self.top, importance) < best:
            state.restore(before)
            return False
        record_changes(before, state, self.tabu, self.stats)
        return True


LocalSearcher.descent = _Descent  # defined after the searcher, which it reads options from
