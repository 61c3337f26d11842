"""The moves of the flip-based searchers, the tabu list and the kick.

:class:`Move`, :func:`exact_moves`, :func:`replacement_moves`, :func:`loss_moves`,
:func:`apply_exact`: the moves both searchers try; :func:`record_changes` makes an
accepted move's changes tabu (:class:`Tabu`); :func:`kick` perturbs a stalled state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ftprop_exact.solvers.learners.hinge import fit_hinge
from ftprop_exact.solvers.search.deltas import _loss_weights, hyperplane_distances
from ftprop_exact.solvers.search.state import SearchStats, TargetState, UnitChecker, realise

__all__ = [
    "Move",
    "Tabu",
    "apply_exact",
    "exact_moves",
    "kick",
    "loss_moves",
    "record_changes",
    "replacement_moves",
]

_TINY_WEIGHT = 1e-3  # importance of rows the downstream loss is indifferent about
_IMPROVEMENT = 1e-9  # loss changes below this are noise


# --------------------------------------------------------------------------- search helpers


class Tabu:
    """Recently changed (layer, row, unit) entries that may not change again for a while.

    Parameters
    ----------
    tenure : int
        Moves during which an entry stays tabu.
    """

    def __init__(self, tenure: int) -> None:
        self.tenure = tenure
        self.clock = 0
        self._until: dict[tuple[int, int, int], int] = {}

    def tick(self) -> None:
        """Advance the move clock (and forget the entries whose tenure is over)."""
        self.clock += 1
        self._until = {key: until for key, until in self._until.items() if until > self.clock}

    def add(self, layer: int, rows: np.ndarray, unit: int, tenure: int | None = None) -> None:
        """Make entries tabu for ``tenure`` moves (default: the tabu tenure)."""
        until = self.clock + (self.tenure if tenure is None else tenure)
        for r in np.asarray(rows).reshape(-1).tolist():
            self._until[(layer, int(r), unit)] = until

    def mask(self, layer: int, shape: tuple[int, int]) -> np.ndarray:
        """Boolean matrix of the entries of ``layer`` that are tabu now."""
        out = np.zeros(shape, dtype=bool)
        for (d, r, j), until in self._until.items():
            if d == layer and until > self.clock:
                out[r, j] = True
        return out


@dataclass(frozen=True)
class Move:
    """A proposed change of one hidden unit's target column.

    Attributes
    ----------
    layer, unit : int
        The hidden layer and unit whose targets change.
    flip : ndarray of bool, shape (n_rows,)
        Rows whose target changes.
    weight : ndarray of shape (n_rows,)
        Importance of every row for the unit; 0 marks a free row (either sign will do).
    exact : bool
        True for 0-1 moves (constrained rows are exactly those whose change matters
        downstream), which are tried directly with the LP; False for loss moves (the
        paper's ``-sign(dL/dh)`` targets with ``|dL/dh|`` importance).
    single : bool
        True when the move changes one row only.
    output : (ndarray, ndarray) or None
        Output-layer weights and biases that go with the move (replacement moves, see
        :func:`replacement_moves`); None: the output keeps its weights.
    """

    layer: int
    unit: int
    flip: np.ndarray
    weight: np.ndarray
    exact: bool
    single: bool = False
    output: tuple[np.ndarray, np.ndarray] | None = None

    def column(self, state: TargetState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The new column, its changed rows and its constrained rows."""
        column = state.targets[self.layer][:, self.unit].copy()
        column[self.flip] = -column[self.flip]
        return column, np.flatnonzero(self.flip), self.weight > 0


def exact_moves(
    state: TargetState, layer: int, deltas: np.ndarray, counts: np.ndarray, tabu: Tabu, flip_tries: int
) -> Iterator[Move]:
    """0-1 moves on hidden ``layer`` from error deltas (see :func:`flip_deltas` with
    :data:`ERRORS`): per unit, change the rows where that removes errors and keep those
    where it would add some (the rest are free), units with the largest gain first; then
    single rows in order of minimal disturbance (smallest distance to the hyperplane)."""
    change = (deltas < 0) & ~tabu.mask(layer, deltas.shape)
    keep = deltas > 0
    gains = -np.where(change, deltas, 0.0).sum(axis=0)
    for unit in np.argsort(-gains, kind="stable").tolist():
        if gains[unit] > 0:
            weight = np.where(change[:, unit] | keep[:, unit], counts, 0.0)
            yield Move(layer, unit, change[:, unit], weight, exact=True)
    rows, units = np.nonzero(change)
    distance = hyperplane_distances(state, layer)[rows, units]
    for k in np.argsort(distance, kind="stable")[:flip_tries].tolist():
        i, unit = int(rows[k]), int(units[k])
        flip = np.zeros(deltas.shape[0], dtype=bool)
        flip[i] = True
        yield Move(layer, unit, flip, np.where(keep[:, unit] | flip, counts, 0.0), exact=True, single=True)


def loss_moves(layer: int, deltas: np.ndarray, counts: np.ndarray, tabu: Tabu) -> Iterator[Move]:
    """The paper's heuristic on hidden ``layer`` from loss deltas: per unit, the flips
    with ``-sign(dL/dh) != t`` and importance ``|dL/dh|``, the largest predicted loss
    decrease first."""
    wanted = (deltas < -_IMPROVEMENT) & ~tabu.mask(layer, deltas.shape)
    gains = -np.where(wanted, deltas, 0.0).sum(axis=0)
    for unit in np.argsort(-gains, kind="stable").tolist():
        if gains[unit] > 0:
            weight = counts * (np.abs(deltas[:, unit]) + _TINY_WEIGHT)
            yield Move(layer, unit, wanted[:, unit], weight, exact=False)


def replacement_moves(state: TargetState, importance: np.ndarray, counts: np.ndarray) -> Iterator[Move]:
    """Exact moves that re-place a whole unit of the last hidden layer, output weight included.

    For unit ``j``: fit every output unit to the other hidden units alone (weighted hinge
    LP), giving margins ``m_i = y_i r_i``. Give unit ``j`` the outgoing weight ``s theta``
    with ``theta`` just above the largest ``-m_i`` of a wrong row: then every row with
    ``m_i < theta`` needs ``h_ij = s y_i`` and every other row is free. If the LP realises
    that partial column, the network with these output weights fits every row (for each
    output unit, both signs ``s`` of the new weight are tried; with several output units
    the signs follow the current weights, or all flip). Works in the +-1 encoding; step
    networks use the equivalent affine reparametrisation of the output layer.
    """
    top = state.depth - 1
    layer = top - 1
    T = state.targets[layer].astype(np.float64)
    Y = state.layer_targets(top).astype(np.float64)
    step = state.problem.activation == "step"
    for unit in range(T.shape[1]):
        others = np.delete(T, unit, axis=1)
        fits = [fit_hinge(others, Y[:, o], importance[:, o]) for o in range(Y.shape[1])]
        margins = np.column_stack([Y[:, o] * (others @ w + b) for o, (w, b) in enumerate(fits)])
        theta = np.maximum(-margins.min(axis=0), 0.0)
        theta = theta + 1e-3 * (1.0 + theta)
        low = margins < theta  # rows that need the new unit's help, per output unit
        current = np.sign(state.weights[top][:, unit]) + (state.weights[top][:, unit] == 0)
        for signs in ((current, -current) if Y.shape[1] > 1 else (np.ones(1), -np.ones(1))):
            wanted = signs * Y  # the value of h_j that helps each output unit
            conflict = (low & (wanted > 0)).any(axis=1) & (low & (wanted < 0)).any(axis=1)
            if conflict.any():
                continue
            constrained = low.any(axis=1)
            column = np.where(constrained, np.where((low * wanted).sum(axis=1) > 0, 1, -1), T[:, unit])
            W = np.insert(np.vstack([w for w, _ in fits]), unit, signs * theta, axis=1)
            b = np.array([bias for _, bias in fits])
            if step:  # z = T w + b = H (2 w) + (b - sum w) for H = (T + 1) / 2
                W, b = 2.0 * W, b - W.sum(axis=1)
            weight = np.where(constrained, counts, 0.0)
            flip = constrained & (column != T[:, unit])
            yield Move(layer, unit, flip, weight, exact=True, output=(W, b))


def apply_exact(state: TargetState, checker: UnitChecker, move: Move, tabu: Tabu) -> bool:
    """Try an exact move: the LP decides whether the unit can take the partial column.

    On success the state holds the realised column (free rows take the separator's
    signs). A failed single-row move becomes tabu.
    """
    checker.stats.moves_tried += 1
    column, changed, constrained = move.column(state)
    if move.layer == 0 and checker.forbidden(column, changed, constrained):
        return False
    if checker.realise_partial(state, move.layer, move.unit, column, constrained):
        if move.output is not None:
            top = state.depth - 1
            state.weights[top], state.biases[top] = move.output[0].copy(), move.output[1].copy()
            state.fits[top][:] = False
        return True
    if move.single:
        tabu.add(move.layer, changed, move.unit)
    return False


def record_changes(before: TargetState, after: TargetState, tabu: Tabu, stats: SearchStats) -> None:
    """Count an accepted move's changed targets and make them tabu (no flipping straight back)."""
    stats.moves_accepted += 1
    for layer, (old, new) in enumerate(zip(before.targets, after.targets)):
        rows, units = np.nonzero(old != new)
        stats.flips += int(rows.size)
        for unit in np.unique(units).tolist():
            tabu.add(layer, rows[units == unit], unit)


def kick(state: TargetState, checker: UnitChecker, rng: np.random.Generator) -> int:
    """Perturb a stalled state: move one first-layer unit to a random hyperplane.

    The unit is the least used one downstream (smallest outgoing weights on the loss
    scale) or, half of the time, a random one; the new hyperplane has a Gaussian normal
    and passes through a random misclassified row (a row the output gets wrong), where a
    new cut is most likely needed. Hidden layers above are re-realised so that the state
    invariant holds again. Returns the unit moved.
    """
    problem = state.problem
    outgoing = np.abs(_loss_weights(state, 1)[0]).sum(axis=0)
    unit = int(np.argmin(outgoing)) if rng.random() < 0.5 else int(rng.integers(outgoing.size))
    output = state.network().forward(problem.X)[-1]
    wrong = np.flatnonzero(np.any((output > 0) != (problem.Y > 0), axis=1))
    anchor = problem.X[rng.choice(wrong) if wrong.size else rng.integers(problem.n_rows)]
    w = rng.normal(size=problem.X.shape[1])
    b = -float(w @ anchor)
    state.set_column(0, unit, np.where(problem.X @ w + b > 0, 1, -1).astype(np.int8))
    state.set_unit(0, unit, w, b, False)
    checker.check_unit(state, 0, unit)
    for layer in range(1, state.depth - 1):
        checker.check_layer(state, layer)
        realise(state, checker, layer)
    return unit
