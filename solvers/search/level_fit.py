"""Level targets to a network: fit every unit of a ``qrelu:K`` network, assemble, offer.

Hidden layers carry level targets (``0..K-1``); a hidden unit is decided by
:func:`~ftprop_exact.solvers.learners.levels.check_level_unit` over the previous layer's
levels (or ``X``), the ``sign`` output units by the learner over the last hidden levels.
When every unit fits, the network goes to the incumbent, which re-verifies it on the data
as given (every step boundary included) before anyone calls it FEASIBLE.
"""

from __future__ import annotations

import numpy as np

from ftprop_exact.activations import activation_levels, output_activation
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.learners.hinge import fit_hinge
from ftprop_exact.solvers.learners.levels import check_level_layer, fit_level_hinge
from ftprop_exact.solvers.search_base import Incumbent

__all__ = ["fit_level_network"]


def fit_level_network(
    problem: Problem, targets: list[np.ndarray], learner: SeparabilityLearner, incumbent: Incumbent | None = None
) -> tuple[ThresholdNetwork | None, list]:
    """Fit every unit for the level targets; offer the network (or a best-effort one) to ``incumbent``.

    A unit whose targets do not fit gets a heuristic fit (level hinge for hidden units,
    hinge for output units), so an UNKNOWN answer still carries the best network seen.

    Returns
    -------
    (ThresholdNetwork or None, list)
        The network when every unit fits exactly (else None), and every layer's verdicts
        (hidden layers: :class:`LevelVerdict`; output: :class:`UnitVerdict`).
    """
    n_levels = activation_levels(problem.activation)
    counts = np.asarray(problem.counts, dtype=np.float64)
    layers, verdicts, exact = [], [], True
    for d in range(problem.depth):
        A = problem.layer_inputs(d, targets)
        hidden = d < len(problem.hidden)
        T = targets[d] if hidden else problem.Y
        layer = check_level_layer(A, T, n_levels, learner) if hidden else learner.check_layer(A, T)
        verdicts.append(layer)
        pairs = []
        for j, v in enumerate(layer):
            if v.separable is True:
                pairs.append((np.asarray(v.weights, dtype=np.float64), float(v.bias)))
            else:
                exact = False
                pairs.append(fit_level_hinge(A, T[:, j], n_levels, counts) if hidden else fit_hinge(A, T[:, j], counts))
        W = np.vstack([w for w, _ in pairs])
        activation = problem.activation if hidden else output_activation(problem.activation)
        layers.append(Layer(W, np.array([b for _, b in pairs]), activation))
    network = ThresholdNetwork(tuple(layers), classes=problem.data.classes)
    if incumbent is not None:
        incumbent.offer(network)
    return (network if exact else None), verdicts
