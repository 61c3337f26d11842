"""Fewest non-zero weights with real weights: refit every unit of a fitting network by L1 (a heuristic).

The network's own hidden outputs on the training rows are kept as targets, so every unit's
problem stays separable; each unit is refitted with its L1-minimal separator
(:func:`~ftprop_exact.solvers.learners.sparse.l1_separator`) and keeps it when it verifies and
has fewer non-zero weights. The result is verified on the data as given before it replaces
anything. The count is reported (``stats["nonzero_weights"]``), not proven minimal: exact
minimisation needs an integer weight domain (``weights="ternary"`` or ``"int:K"``).
"""

from __future__ import annotations

import numpy as np

from ftprop_exact import progress
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.sparse import l1_separator
from ftprop_exact.solvers.search_base import Incumbent

__all__ = ["sparsify"]


@progress.in_phase("L1 refit")
def sparsify(problem: Problem, network: ThresholdNetwork) -> Incumbent | None:
    """An incumbent holding the L1-refitted ``network``, or None when the refit does not verify.

    Parameters
    ----------
    problem : Problem
        Distinct rows; ``network`` must fit every one of them.
    network : ThresholdNetwork
        A verified zero-error network.
    """
    Z = network.pre_activations(problem.X)
    hidden_targets = [np.where(z > 0, 1, -1).astype(np.int8) for z in Z[:-1]]
    layers = []
    for d, layer in enumerate(network.layers):
        A = problem.layer_inputs(d, hidden_targets)
        T = problem.layer_targets(d, hidden_targets)
        W, b = np.array(layer.weights), np.array(layer.bias)
        for j in range(W.shape[0]):
            verdict = l1_separator(A, T[:, j])
            if verdict is not None and np.count_nonzero(verdict.weights) < np.count_nonzero(W[j]):
                W[j], b[j] = verdict.weights, verdict.bias
        layers.append(Layer(W, b, layer.activation))
    refit = Incumbent(problem)
    refit.offer(ThresholdNetwork(tuple(layers), classes=network.classes), hidden_targets)
    return refit if refit.exact else None
