"""The state of the flip-based target searchers (``"ftprop"`` and ``"local"``) and its unit checks.

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
  no-good cuts (:class:`~ftprop_exact.solvers.exact.cuts.CutPool`).
- :func:`realise` (hidden targets become the activations again: the invariant restored),
  :func:`offer` (the state's network to the incumbent), :class:`SearchStats`.

The rest of the flip machinery: layer losses and flip deltas
(:mod:`~ftprop_exact.solvers.search.deltas`), moves and tabu
(:mod:`~ftprop_exact.solvers.search.moves`), one descent
(:mod:`~ftprop_exact.solvers.search.descent`), starts and restarts
(:mod:`~ftprop_exact.solvers.search.starts`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.network import Layer, ThresholdNetwork, apply_activation
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.certificate import Certificate
from ftprop_exact.solvers.exact.cuts import Cut, CutPool
from ftprop_exact.solvers.learners.base import SeparabilityLearner, UnitVerdict, verified_separator
from ftprop_exact.solvers.search_base import Incumbent

__all__ = ["SearchStats", "TargetState", "UnitChecker", "offer", "realise"]


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


LEARNER_SECONDS_PER_CELL = 5e-7
"""A conservative bound on one unit check by the convex learner, per input value (a
check at 100,000 x 64 took up to 3.8 s on 2 loaded cores)."""


class UnitChecker:
    """Exact per-unit separability checks for a :class:`TargetState`.

    The current weights are tried first, then a shift of their bias (both verified
    rigorously), then the convex learner. A first-layer non-separability certificate is
    turned into a no-good :class:`~ftprop_exact.solvers.exact.cuts.Cut` and stored in ``pool``.

    Parameters
    ----------
    learner : SeparabilityLearner
        The exact convex learner.
    stats : SearchStats
        Counters to update.
    pool : CutPool, optional
        Where first-layer cuts go (a fresh pool by default).
    deadline : Deadline, optional
        When given, the convex learner (which cannot be interrupted) is not started once
        less time is left than it may take (:data:`LEARNER_SECONDS_PER_CELL` per input
        value): the unit then counts as undecided.
    """

    def __init__(
        self, learner: SeparabilityLearner, stats: SearchStats, pool: CutPool | None = None, deadline: Deadline | None = None
    ) -> None:
        self.learner = learner
        self.stats = stats
        self.deadline = deadline
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
        if self.deadline is not None and self.deadline.remaining() < LEARNER_SECONDS_PER_CELL * A.size:
            return UnitVerdict(separable=None)  # no time left for an uninterruptible check
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


def offer(state: TargetState, incumbent: Incumbent) -> bool:
    """Offer the network of ``state`` (and its hidden targets) to the incumbent."""
    return incumbent.offer(state.network(), [T.copy() for T in state.targets])
