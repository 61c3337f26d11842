"""One descent of a flip-based searcher: :class:`Descent`, the skeleton both searchers'
descents (FTPROP's layer by layer, local search's tabu walk) fill in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.solvers.search.deltas import ERRORS, fit_failing, flip_deltas, layer_loss
from ftprop_exact.solvers.search.moves import Move, Tabu, apply_exact, exact_moves, record_changes
from ftprop_exact.solvers.search.state import TargetState, UnitChecker, realise
from ftprop_exact.solvers.search_base import Incumbent

if TYPE_CHECKING:  # the searcher names its descent class
    from ftprop_exact.solvers.search.starts import FlipSearcher

__all__ = ["Descent"]


class Descent:
    """What one descent works with: the searcher's options, the state, the checker, the
    deadline, the incumbent, and a fresh tabu list.

    Subclasses implement :meth:`run`; :meth:`prepare` establishes the state invariant.
    """

    def __init__(
        self, searcher: FlipSearcher, state: TargetState, checker: UnitChecker, deadline: Deadline, incumbent: Incumbent
    ) -> None:
        self.s = searcher
        self.state = state
        self.checker = checker
        self.deadline = deadline
        self.incumbent = incumbent
        self.stats = checker.stats
        self.top = state.depth - 1
        self.counts = state.problem.counts.astype(np.float64)
        self.tabu = Tabu(searcher.tabu_tenure)

    def importance(self, d: int) -> np.ndarray:
        """Multiplicity of every row, for every unit of layer ``d``."""
        return np.repeat(self.counts[:, None], self.state.weights[d].shape[0], axis=1)

    def prepare(self) -> bool:
        """Check that the hidden layers fit (the state's network fits its own activations)
        and fit the failing output units from the hinge optimum. False if a hidden unit
        fails (a tie ``z == 0`` that no separator resolves)."""
        for d in range(self.top):
            if self.checker.check_layer(self.state, d).size:
                return False
        failing = self.checker.check_layer(self.state, self.top)
        fit_failing(
            self.state, self.top, failing, self.s.loss, self.importance(self.top), self.s.epochs, False, self.deadline
        )
        return True

    def score(self, d: int, importance: np.ndarray) -> tuple[float, float]:
        """(weighted errors, weighted loss) of layer ``d``: what a move must lower."""
        return layer_loss(self.state, d, ERRORS, importance), layer_loss(self.state, d, self.s.loss, importance)

    def refit(self, d: int, importance: np.ndarray) -> bool:
        """Check layer ``d`` exactly (hidden units only on their rows of positive
        importance, the others take the separator's signs), then fit the failing units to
        the layer loss. True iff some unit fails."""
        state = self.state
        for j in state.failing(d).tolist():
            constrained = importance[:, j] > 0
            if d < self.top and not constrained.all():
                self.checker.realise_partial(state, d, j, state.targets[d][:, j].copy(), constrained)
            else:
                self.checker.check_unit(state, d, j)
        failing = state.failing(d)
        if failing.size:
            fit_failing(state, d, failing, self.s.loss, importance, self.s.epochs, deadline=self.deadline)
        return bool(failing.size)

    def exact_move(self, move: Move, stop: int | None = None) -> bool:
        """Apply an exact move if the LP realises it; the hidden layers above the move (up
        to layer ``stop``, default the output) then take their activations again."""
        before = self.state.copy()
        if not apply_exact(self.state, self.checker, move, self.tabu):
            return False
        for e in range(move.layer + 1, self.top if stop is None else stop):
            realise(self.state, self.checker, e)
        record_changes(before, self.state, self.tabu, self.stats)
        return True

    def deep_exact_moves(self, d: int, importance: np.ndarray, layers: range) -> Iterator[Move]:
        """Exact moves on the hidden ``layers``, judged by layer ``d``'s errors through the
        network's own forward pass (see :func:`flip_deltas` with ``source``)."""
        for layer in layers:
            deltas = flip_deltas(self.state, d, ERRORS, importance, source=layer)
            yield from exact_moves(self.state, layer, deltas, self.counts, self.tabu, self.s.flip_tries)

    def run(self) -> None:
        """Descend from the state until it fits, stalls, or the deadline passes."""
        raise NotImplementedError
