"""Shared machinery of the flip-based target searchers (``"ftprop"`` and ``"local"``).

Both searchers keep a :class:`TargetState`: hidden targets ``T_1 .. T_{L-1}`` (on the
problem's distinct rows) and weights for every unit. Its invariant between moves: every
unit of every *hidden* layer is separable and its stored weights are a verified separator,
so the network of the state computes exactly the hidden targets; only the output layer may
still fail, and its failing units carry loss-minimising weights. The network of a state is
therefore always a sensible anytime answer.

The pieces:

- :meth:`TargetState.random`: a random network; the hidden targets are its activations.
- :class:`UnitChecker`: exact per-unit separability with two cheap fast paths (the current
  weights, then a bias shift) before the convex learner; first-layer certificates become
  no-good cuts (:class:`~ftprop_exact.solvers.cuts.CutPool`).
- :func:`fit_unit`: weights minimising a (weighted) layer loss for a non-separable unit.
- :func:`flip_deltas`: the change of a layer's loss when one upstream target flips (the
  discrete derivative ``dL_d / dh_{d-1}``), and :func:`flip_gradient`, its linearisation.
- :func:`hyperplane_distances`: "disturbance" of each upstream flip (distance of the
  example to the upstream unit's hyperplane): flips with the smallest come first.
- :class:`Move`, :func:`exact_moves`, :func:`replacement_moves`, :func:`loss_moves`,
  :func:`apply_exact`: the moves both searchers try; :class:`Tabu`, :func:`kick`.
- :class:`Descent` (one descent from a state) and :class:`FlipSearcher` (random starts with
  a soft FTPROP warm start, kicks, restarts, statistics): the skeleton of both searchers;
  :func:`without_hidden_layers`, :class:`SearchStats`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.network import Layer, ThresholdNetwork, apply_activation
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.base import SeparabilityLearner, UnitVerdict, verified_separator
from ftprop_exact.proofs.certificate import Certificate
from ftprop_exact.solvers.single_layer import single_layer_outcome
from ftprop_exact.solvers.cuts import Cut, CutPool
from ftprop_exact.solvers.losses import LayerLoss, make_loss
from ftprop_exact.solvers.lp import fit_hinge
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome
from ftprop_exact.solvers.anneal_start import anneal_start
from ftprop_exact.solvers.soft_start import soft_start
from ftprop_exact.status import Status

__all__ = [
    "Descent",
    "ERRORS",
    "FlipSearcher",
    "Move",
    "SearchStats",
    "Tabu",
    "TargetState",
    "UnitChecker",
    "WARM_STARTS",
    "apply_exact",
    "exact_moves",
    "fit_failing",
    "fit_unit",
    "flip_deltas",
    "flip_gradient",
    "hyperplane_distances",
    "kick",
    "layer_loss",
    "loss_moves",
    "offer",
    "realise",
    "record_changes",
    "replacement_moves",
    "without_hidden_layers",
]

WARM_STARTS: dict[str, int] = {"anneal": 1500, "soft": 1000}  # warm-start kinds, default iterations
_TINY_WEIGHT = 1e-3  # importance of rows the downstream loss is indifferent about
_IMPROVEMENT = 1e-9  # loss changes below this are noise


# --------------------------------------------------------------------------- statistics


@dataclass
class SearchStats:
    """Counters every flip searcher reports in ``Result.stats``.

    Attributes
    ----------
    layer_calls : list of int
        Calls of the per-layer procedure, one counter per layer (output last).
    lp_checks : int
        Unit checks answered by the convex learner.
    fast_checks : int
        Unit checks answered by a fast path (current weights or a bias shift).
    cut_skips : int
        Candidate columns rejected by a no-good cut without any check.
    flips : int
        Hidden targets changed by accepted moves.
    moves_tried, moves_accepted : int
        Candidate moves evaluated and kept.
    restarts : int
        Fresh starts after the first.
    """

    layer_calls: list[int]
    lp_checks: int = 0
    fast_checks: int = 0
    cut_skips: int = 0
    flips: int = 0
    moves_tried: int = 0
    moves_accepted: int = 0
    restarts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_problem(cls, problem: Problem) -> SearchStats:
        """Zero counters sized for ``problem``."""
        return cls(layer_calls=[0] * problem.depth)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        out = {k: v for k, v in self.__dict__.items() if k != "extra"}
        out["layer_calls"] = list(self.layer_calls)
        out.update(self.extra)
        return out


# --------------------------------------------------------------------------- the state


class TargetState:
    """Hidden targets and the weights of every unit, on the problem's distinct rows.

    Parameters
    ----------
    problem : Problem
        The training problem.
    targets : list of ndarray
        ``T_1 .. T_{L-1}``, int8 arrays of shape ``(n_rows, width)`` in {-1, +1}.
    weights, biases : list of ndarray
        Per layer ``(width, fan_in)`` and ``(width,)`` float64.
    fits : list of ndarray of bool
        Per layer and unit: True iff the stored weights are a verified separator of the
        unit's current targets given the layer's current inputs.
    """

    def __init__(
        self,
        problem: Problem,
        targets: list[np.ndarray],
        weights: list[np.ndarray],
        biases: list[np.ndarray],
        fits: list[np.ndarray],
    ) -> None:
        self.problem = problem
        self.targets = targets
        self.weights = weights
        self.biases = biases
        self.fits = fits

    @classmethod
    def random(cls, problem: Problem, rng: np.random.Generator) -> TargetState:
        """A random network; its activations become the hidden targets.

        First-layer hyperplanes have Gaussian normals and pass through random training
        rows (so that they cut the data); deeper layers have Gaussian weights and biases
        around the mean input on the activation's encoding.
        """
        weights: list[np.ndarray] = []
        biases: list[np.ndarray] = []
        H = np.asarray(problem.X, dtype=np.float64)
        for d, width in enumerate(problem.widths[1:]):
            W = rng.normal(size=(width, H.shape[1]))
            if d == 0:
                b = -np.einsum("ij,ij->i", W, H[rng.integers(H.shape[0], size=width)])
            else:
                b = -W @ H.mean(axis=0) + 0.5 * rng.normal(size=width)
            weights.append(W)
            biases.append(b)
            H = apply_activation(H @ W.T + b, problem.activation)
        return cls.from_weights(problem, weights, biases)

    @classmethod
    def from_weights(cls, problem: Problem, weights: list[np.ndarray], biases: list[np.ndarray]) -> TargetState:
        """The state of a network: its activations on the problem's rows are the hidden
        targets (hidden units separate their own activations, up to ties ``z == 0`` that
        the first :class:`UnitChecker` call re-checks)."""
        targets: list[np.ndarray] = []
        for d in range(len(problem.hidden)):
            Z = problem.layer_inputs(d, targets) @ weights[d].T + biases[d]
            targets.append(np.where(Z > 0, 1, -1).astype(np.int8))
        fits = [np.zeros(w, dtype=bool) for w in problem.widths[1:]]
        return cls(problem, targets, [np.array(W, dtype=np.float64) for W in weights],
                   [np.array(b, dtype=np.float64) for b in biases], fits)

    # -- views -------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Number of layers with weights."""
        return self.problem.depth

    def inputs(self, d: int) -> np.ndarray:
        """Inputs of layer ``d`` (0-based) in the activation's encoding."""
        return self.problem.layer_inputs(d, self.targets)

    def layer_targets(self, d: int) -> np.ndarray:
        """Targets of layer ``d``: a hidden target matrix or the labels."""
        return self.problem.layer_targets(d, self.targets)

    def pre_activation(self, d: int) -> np.ndarray:
        """``Z_d`` of shape ``(n_rows, width_d)`` from the layer's current inputs."""
        return self.inputs(d) @ self.weights[d].T + self.biases[d]

    def failing(self, d: int) -> np.ndarray:
        """Units of layer ``d`` whose weights are not a verified separator."""
        return np.flatnonzero(~self.fits[d])

    def network(self) -> ThresholdNetwork:
        """The network of the stored weights (applies to the data as given)."""
        layers = tuple(Layer(W, b, self.problem.activation) for W, b in zip(self.weights, self.biases))
        return ThresholdNetwork(layers, classes=self.problem.data.classes)

    # -- changes -----------------------------------------------------------------------
    def set_column(self, layer: int, unit: int, column: np.ndarray) -> None:
        """Replace the targets of hidden unit ``unit`` of layer ``layer``.

        Invalidates the unit's fit and every fit of the layer above (its inputs changed).
        """
        self.targets[layer][:, unit] = column
        self.fits[layer][unit] = False
        self.fits[layer + 1][:] = False

    def copy(self) -> TargetState:
        """A deep copy (the problem is shared)."""
        return TargetState(
            self.problem,
            [T.copy() for T in self.targets],
            [W.copy() for W in self.weights],
            [b.copy() for b in self.biases],
            [f.copy() for f in self.fits],
        )

    def restore(self, other: TargetState) -> None:
        """Make this state equal to ``other`` (a copy taken earlier)."""
        self.targets = [T.copy() for T in other.targets]
        self.weights = [W.copy() for W in other.weights]
        self.biases = [b.copy() for b in other.biases]
        self.fits = [f.copy() for f in other.fits]

    def set_unit(self, d: int, j: int, w: np.ndarray, b: float, fits: bool) -> None:
        """Store weights of unit ``j`` of layer ``d``."""
        self.weights[d][j] = w
        self.biases[d][j] = b
        self.fits[d][j] = fits


# --------------------------------------------------------------------------- checking


def _bias_shift(A: np.ndarray, t: np.ndarray, w: np.ndarray, b: float) -> UnitVerdict | None:
    """Separate ``t`` by moving only the bias of ``(w, b)``, if that is enough (verified)."""
    z = A @ w + b
    positive = t > 0
    if positive.all() or not positive.any():
        return None
    low, high = float(np.max(z[~positive])), float(np.min(z[positive]))
    if not low < high:
        return None
    return verified_separator(A, t, w, b - (low + high) / 2.0)


class UnitChecker:
    """Exact per-unit separability checks for a :class:`TargetState`.

    The current weights are tried first, then a shift of their bias (both verified
    rigorously), then the convex learner. A first-layer non-separability certificate is
    turned into a no-good :class:`~ftprop_exact.solvers.cuts.Cut` and stored in ``pool``.

    Parameters
    ----------
    learner : SeparabilityLearner
        The exact convex learner.
    stats : SearchStats
        Counters to update.
    pool : CutPool, optional
        Where first-layer cuts go (a fresh pool by default).
    """

    def __init__(self, learner: SeparabilityLearner, stats: SearchStats, pool: CutPool | None = None) -> None:
        self.learner = learner
        self.stats = stats
        self.pool = pool if pool is not None else CutPool()
        self._by_row: dict[int, list[Cut]] = defaultdict(list)
        for cut in self.pool:
            self._index(cut)

    def _index(self, cut: Cut) -> None:
        for r in cut.rows:
            self._by_row[r].append(cut)

    def verdict(self, A: np.ndarray, t: np.ndarray, w: np.ndarray, b: float) -> UnitVerdict:
        """Decide one column, fast paths first."""
        fast = verified_separator(A, t, w, b) or _bias_shift(A, t, w, b)
        if fast is not None:
            self.stats.fast_checks += 1
            return fast
        self.stats.lp_checks += 1
        return self.learner.check(A, t)

    def check_unit(self, state: TargetState, d: int, j: int) -> bool:
        """Check unit ``j`` of layer ``d``; store verified weights; True iff separable."""
        if state.fits[d][j]:
            return True
        A, t = state.inputs(d), state.layer_targets(d)[:, j]
        verdict = self.verdict(A, t, state.weights[d][j], float(state.biases[d][j]))
        if verdict.separable:
            state.set_unit(d, j, verdict.weights, float(verdict.bias), True)
            return True
        if d == 0 and verdict.certificate is not None:
            self.add_cut(verdict.certificate, t)
        return False

    def check_layer(self, state: TargetState, d: int) -> np.ndarray:
        """Check every unit of layer ``d`` not known to fit; return the failing units."""
        for j in state.failing(d):
            self.check_unit(state, d, int(j))
        return state.failing(d)

    # -- no-good memory ----------------------------------------------------------------
    def add_cut(self, certificate: Certificate, t: np.ndarray) -> None:
        """Remember a first-layer certificate for target column ``t``."""
        cut = Cut.from_certificate(certificate, t)
        if self.pool.add(cut):
            self._index(cut)

    def forbidden(self, column: np.ndarray, changed_rows: np.ndarray, constrained: np.ndarray | None = None) -> bool:
        """True iff a known cut forbids this first-layer column.

        Only cuts through ``changed_rows`` are tested: the column before the change was
        separable, so no other cut can hold. With a ``constrained`` mask (a partial
        column: the other rows may take either sign) a cut counts only if all its rows
        are constrained.
        """
        seen: set[int] = set()
        for r in np.asarray(changed_rows).tolist():
            for cut in self._by_row.get(int(r), ()):
                if id(cut) in seen:
                    continue
                seen.add(id(cut))
                if constrained is not None and not constrained[list(cut.rows)].all():
                    continue
                if cut.violated_by(column):
                    self.stats.cut_skips += 1
                    return True
        return False

    def realise_partial(
        self, state: TargetState, layer: int, unit: int, column: np.ndarray, constrained: np.ndarray
    ) -> bool:
        """Give hidden unit ``unit`` of ``layer`` targets that agree with ``column`` on the
        ``constrained`` rows, if a separator exists; the other rows take its signs.

        On success the state holds the realised column and its verified separator (and
        the layer above is marked for re-checking). On failure the state is unchanged and
        a first-layer certificate becomes a cut.
        """
        rows = np.flatnonzero(constrained)
        A = state.inputs(layer)
        w, b = state.weights[layer][unit], float(state.biases[layer][unit])
        if rows.size == 0:  # nothing is asked of the unit: it keeps its weights
            verdict = UnitVerdict(separable=True, weights=w, bias=b)
        else:
            verdict = self.verdict(A[rows], column[rows], w, b)
        if not verdict.separable:
            if layer == 0 and verdict.certificate is not None:
                cert = verdict.certificate
                self.add_cut(Certificate(tuple(int(rows[r]) for r in cert.rows), cert.multipliers), column)
            return False
        realised = np.where(A @ verdict.weights + verdict.bias > 0, 1, -1).astype(np.int8)
        full = self.verdict(A, realised, verdict.weights, float(verdict.bias))
        if not full.separable:  # a free row exactly on the hyperplane, and no fix found
            return False
        state.set_column(layer, unit, realised)
        state.set_unit(layer, unit, full.weights, float(full.bias), True)
        return True


# --------------------------------------------------------------------------- losses


def fit_unit(
    loss: LayerLoss,
    A: np.ndarray,
    t: np.ndarray,
    sample_weight: np.ndarray,
    start: tuple[np.ndarray, float] | None = None,
    epochs: int = 60,
) -> tuple[np.ndarray, float]:
    """Weights minimising ``sum_i c_i l(a_i . w + b, t_i)`` for one unit.

    The hinge optimum is an LP (:func:`~ftprop_exact.solvers.lp.fit_hinge`). The other
    losses are non-convex: ``epochs`` steps of Adam from ``start`` (rescaled to a unit
    margin on its best-fitted row), or from the hinge optimum when there is no start.

    Parameters
    ----------
    loss : LayerLoss
        The layer loss.
    A : ndarray of shape (m, n)
        Inputs.
    t : ndarray of shape (m,)
        Targets in {-1, +1}.
    sample_weight : ndarray of shape (m,)
        Row weights ``c`` (multiplicities times importance).
    start : (ndarray of shape (n,), float), optional
        Warm start for a non-convex loss (FTPROP keeps weights between iterations).
    epochs : int, default=60
        Gradient steps for a non-convex loss.

    Returns
    -------
    (ndarray of shape (n,), float)
    """
    if loss.convex or start is None or epochs <= 0:
        w, b = fit_hinge(A, t, sample_weight)
        if loss.convex or epochs <= 0:
            return w, b
    else:
        w, b = start
    Ab = np.hstack([A, np.ones((A.shape[0], 1))])
    theta = np.append(w, b)
    reach = float(np.max(np.abs(Ab @ theta)))
    theta = theta / reach if reach > 0 else np.zeros_like(theta)
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    for k in range(1, epochs + 1):
        grad = Ab.T @ (sample_weight * loss.derivative(Ab @ theta, t))
        first = 0.9 * first + 0.1 * grad
        second = 0.999 * second + 0.001 * grad * grad
        theta -= 0.05 * (first / (1 - 0.9**k)) / (np.sqrt(second / (1 - 0.999**k)) + 1e-12)
    return theta[:-1], float(theta[-1])


def _loss_weights(state: TargetState, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights of layer ``d`` on the loss's scale: separators rescaled to a unit margin."""
    W, b = state.weights[d].copy(), state.biases[d].copy()
    if state.fits[d].any():
        Z = state.inputs(d) @ W.T + b
        margin = np.min(state.layer_targets(d) * Z, axis=0)
        scale = np.where(state.fits[d] & (margin > 0), margin, 1.0)
        W /= scale[:, None]
        b /= scale
    return W, b


ERRORS = LayerLoss("errors", False, lambda s: (s <= 0).astype(np.float64), np.zeros_like)
"""The 0-1 loss (a unit-example is wrong when ``t z <= 0``): used to classify flips as
must-change (fewer errors), must-keep (more errors) or free, never to fit weights."""


def layer_loss(state: TargetState, d: int, loss: LayerLoss, importance: np.ndarray) -> float:
    """Total weighted loss of layer ``d`` (separators on a unit-margin scale).

    Parameters
    ----------
    importance : ndarray of shape (n_rows, width_d)
        Per unit-example weights (multiplicities already included).
    """
    W, b = _loss_weights(state, d)
    Z = state.inputs(d) @ W.T + b
    return float(np.sum(importance * loss.value(Z, state.layer_targets(d))))


def _flip_steps(state: TargetState, layer: int) -> np.ndarray:
    """Change of each encoded input when hidden target ``T[layer][i, j]`` flips."""
    T = state.targets[layer].astype(np.float64)
    return -2.0 * T if state.problem.activation == "sign" else -T


def flip_deltas(
    state: TargetState, d: int, loss: LayerLoss, importance: np.ndarray, source: int | None = None
) -> np.ndarray:
    """Exact change of layer ``d``'s loss when one hidden target of layer ``source`` flips.

    The finite-difference form of ``dL_d / dh_{d-1}`` times the flip: entry ``(i, j)`` is
    ``L_d(T_source with (i, j) flipped) - L_d(T_source)`` at the current weights. A
    negative entry is a flip the layer wants (``-sign(dL/dh)`` differs from the current
    target there) and ``|delta|`` is its importance. With ``source < d - 1`` the flip is
    propagated through the hidden layers in between by their activations (the network's
    own forward pass), so that flips deep in the network are judged by layer ``d``.

    Parameters
    ----------
    state : TargetState
    d : int
        The layer whose loss is measured.
    loss : LayerLoss
        Its loss.
    importance : ndarray of shape (n_rows, width_d)
        Per unit-example weights of layer ``d``.
    source : int, optional
        The hidden layer whose targets flip (default ``d - 1``).

    Returns
    -------
    ndarray of shape (n_rows, width_source)
    """
    source = d - 1 if source is None else source
    W, b = _loss_weights(state, d)
    T = state.layer_targets(d)
    H = state.inputs(source + 1)
    step = _flip_steps(state, source)
    width = H.shape[1]
    flipped = H[None, :, :] + np.eye(width)[:, None, :] * step.T[:, :, None]  # (width, n_rows, width)
    base = loss.value(_forward(state, H, source + 1, d) @ W.T + b, T)
    moved = loss.value(_forward(state, flipped, source + 1, d) @ W.T + b, T[None, :, :])
    return np.einsum("jik,ik->ij", moved - base[None, :, :], importance)


def _forward(state: TargetState, H: np.ndarray, first: int, stop: int) -> np.ndarray:
    """Encoded activations after hidden layers ``first .. stop - 1`` (their own weights)."""
    for e in range(first, stop):
        H = apply_activation(H @ state.weights[e].T + state.biases[e], state.problem.activation)
    return H


def flip_gradient(state: TargetState, d: int, loss: LayerLoss, importance: np.ndarray) -> np.ndarray:
    """Linearised :func:`flip_deltas`: ``(dL_d/dh_{d-1}) * (change of h)`` per flip.

    This is the paper's heuristic (targets ``-sign(dL/dh)``, importance ``|dL/dh|``),
    expressed as a predicted loss change so that both forms are interchangeable.
    """
    W, b = _loss_weights(state, d)
    Z = state.inputs(d) @ W.T + b
    gradient = (importance * loss.derivative(Z, state.layer_targets(d))) @ W
    return gradient * _flip_steps(state, d - 1)


def hyperplane_distances(state: TargetState, layer: int) -> np.ndarray:
    """``|z| / ||w||`` of every unit-example of hidden layer ``layer`` (the disturbance).

    Small values are examples close to the unit's hyperplane: flipping them moves the
    separator least.
    """
    Z = state.pre_activation(layer)
    norms = np.linalg.norm(state.weights[layer], axis=1)
    return np.abs(Z) / np.where(norms > 0, norms, 1.0)


def fit_failing(
    state: TargetState,
    d: int,
    units: np.ndarray,
    loss: LayerLoss,
    importance: np.ndarray,
    epochs: int,
    warm: bool = True,
) -> None:
    """Give each failing unit of layer ``d`` the weights minimising its weighted loss
    (warm-started at its current weights, or at the hinge optimum when ``warm`` is False)."""
    A, T = state.inputs(d), state.layer_targets(d)
    for j in np.asarray(units).tolist():
        start = (state.weights[d][j], float(state.biases[d][j])) if warm else None
        w, b = fit_unit(loss, A, T[:, j], importance[:, j], start, epochs)
        state.set_unit(d, j, w, b, False)


def realise(state: TargetState, checker: UnitChecker, layer: int) -> bool:
    """Replace the targets of the failing units of hidden layer ``layer`` by their activations.

    Restores the invariant "hidden layers fit" after a failed attempt: each failing unit's
    loss-fit weights become a separator of their own activations. Returns False if a
    realised column could not be verified (ties at ``z == 0``), leaving it failing.
    """
    ok = True
    Z = state.pre_activation(layer)
    for j in state.failing(layer).tolist():
        state.set_column(layer, j, np.where(Z[:, j] > 0, 1, -1).astype(np.int8))
        ok = checker.check_unit(state, layer, j) and ok
    return ok


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


def offer(state: TargetState, incumbent: Incumbent) -> bool:
    """Offer the network of ``state`` (and its hidden targets) to the incumbent."""
    return incumbent.offer(state.network(), [T.copy() for T in state.targets])


def without_hidden_layers(
    problem: Problem, learner: SeparabilityLearner, incumbent: Incumbent, stats: SearchStats
) -> SearchOutcome:
    """Decide a problem without hidden layers (one LP per output unit; a certificate is a
    proof), for callers of ``search`` that bypass :func:`ftprop_exact.solve`."""
    stats.layer_calls[0] += 1
    outcome = single_layer_outcome(problem, learner, incumbent)
    stats.lp_checks += int(outcome.stats.get("lp_checks", 0))
    return SearchOutcome(outcome.status, outcome.proof, stats.as_dict())


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
        fit_failing(self.state, self.top, failing, self.s.loss, self.importance(self.top), self.s.epochs, warm=False)
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
            fit_failing(state, d, failing, self.s.loss, importance, self.s.epochs)
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
        (:func:`~ftprop_exact.solvers.anneal_start.anneal_start`) and keeps the best;
        ``"soft"`` moves one random network by soft FTPROP
        (:func:`~ftprop_exact.solvers.soft_start.soft_start`).
    screen : int, default=8
        Initialisations annealed per start (``start="anneal"``).

    Attributes
    ----------
    cut_pool : CutPool
        First-layer no-good cuts from certificates, kept across starts and calls.
    best_targets : list of ndarray or None
        Hidden targets (problem rows) of the best network of the last search.
    """

    name = "flip"
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
        self.best_targets: list[np.ndarray] | None = None

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
        checker = UnitChecker(learner, stats, self.cut_pool)
        try:
            self._starts(problem, checker, deadline, incumbent, rng)
        finally:
            self.best_targets = incumbent.hidden_targets
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
        if self.start == "anneal":
            return anneal_start(problem, rng, deadline, self.warm_start, self.screen)
        return soft_start(problem, state.weights, state.biases, self.loss, self.warm_start, deadline)

    def descend(self, state: TargetState, checker: UnitChecker, deadline: Deadline, incumbent: Incumbent) -> None:
        """One descent from ``state`` (changed in place) by the searcher's :class:`Descent`."""
        self.descent(self, state, checker, deadline, incumbent).run()
