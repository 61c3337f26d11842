"""From hidden targets to a network: fit every unit, assemble, verify on the data as given.

Every searcher ends here. When all units are separable the weights come from the exact
learner and the network reproduces the targets on every training row; it is then re-checked
by an independent forward pass on the data as given (with rigorous rounding bounds) before
anyone calls it FEASIBLE. When some unit is not separable, :func:`best_effort_network`
fills it with a hinge-loss fit so that an UNKNOWN answer still carries the best network seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ftprop_exact.activations import output_activation
from ftprop_exact.budget import Deadline
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import SeparabilityLearner, UnitVerdict
from ftprop_exact.solvers.learners.hinge import fit_hinge


@dataclass(frozen=True)
class LayerFit:
    """Verdicts of every unit of every layer for one choice of hidden targets."""

    verdicts: tuple[tuple[UnitVerdict, ...], ...]

    def failures(self) -> list[tuple[int, int, UnitVerdict]]:
        """``(layer, unit, verdict)`` of every unit that is not verified separable (0-based)."""
        return [
            (d, j, v) for d, layer in enumerate(self.verdicts) for j, v in enumerate(layer) if v.separable is not True
        ]


def fit_layers(problem: Problem, hidden_targets: list[np.ndarray], learner: SeparabilityLearner) -> LayerFit:
    """Check every unit of every layer for the given hidden targets.

    Parameters
    ----------
    problem : Problem
        Distinct rows and architecture.
    hidden_targets : list of ndarray
        ``T_1 .. T_{L-1}``, each (n_rows, width) in {-1, +1}.
    learner : SeparabilityLearner
        The convex learner.
    """
    verdicts = tuple(
        tuple(learner.check_layer(problem.layer_inputs(d, hidden_targets), problem.layer_targets(d, hidden_targets)))
        for d in range(problem.depth)
    )
    return LayerFit(verdicts)


def _unit_weights(
    problem: Problem, hidden_targets: list[np.ndarray], d: int, j: int, verdict: UnitVerdict, deadline: Deadline | None
) -> tuple[np.ndarray, float]:
    if verdict.separable:
        return np.asarray(verdict.weights, dtype=np.float64), float(verdict.bias)
    A = problem.layer_inputs(d, hidden_targets)
    time_limit = None if deadline is None else deadline.remaining()
    return fit_hinge(A, problem.layer_targets(d, hidden_targets)[:, j], problem.counts, time_limit)


def best_effort_network(
    problem: Problem, hidden_targets: list[np.ndarray], fit: LayerFit, deadline: Deadline | None = None
) -> ThresholdNetwork:
    """The network of the fitted units; non-separable units get a hinge-loss fit (within ``deadline``)."""
    layers = []
    for d, layer_verdicts in enumerate(fit.verdicts):
        pairs = [_unit_weights(problem, hidden_targets, d, j, v, deadline) for j, v in enumerate(layer_verdicts)]
        W = np.vstack([w for w, _ in pairs])
        b = np.array([bias for _, bias in pairs])
        hidden = d < len(problem.hidden)
        layers.append(Layer(W, b, problem.activation if hidden else output_activation(problem.activation)))
    return ThresholdNetwork(tuple(layers), classes=problem.data.classes)


def training_errors(problem: Problem, network: ThresholdNetwork) -> tuple[int, bool]:
    """Errors of ``network`` on the data as given (rigorous), and whether it is verified exact.

    Returns
    -------
    (int, bool)
        Number of examples that are wrong or whose forward pass has a sign rounding could
        flip (:attr:`Verification.errors_upper`: never below the exact error count), and
        True iff the network fits every example with every sign certain.
    """
    verification = network.verify(problem.data.X, problem.data.Y)
    return verification.errors_upper, verification.ok


def network_excluding_errors(
    problem: Problem, hidden_targets: list[np.ndarray], learner: SeparabilityLearner, fit: LayerFit, correct: np.ndarray
) -> ThresholdNetwork | None:
    """Minimising errors: the output layer fitted exactly on the rows meant to be right.

    The hidden layers keep their verified weights from ``fit``; each output unit is asked
    to separate its labels on ``correct`` rows only (a master that chose which rows are
    errors guarantees this is possible). None when some unit is not verified separable.
    """
    hidden_verdicts = fit.verdicts[:-1]
    if not all(v.separable is True for layer in hidden_verdicts for v in layer):
        return None
    d = problem.depth - 1
    inputs = problem.layer_inputs(d, hidden_targets)[correct]
    output = tuple(learner.check_layer(inputs, problem.layer_targets(d, hidden_targets)[correct]))
    if not all(v.separable is True for v in output):
        return None
    return best_effort_network(problem, hidden_targets, LayerFit(hidden_verdicts + (output,)))
