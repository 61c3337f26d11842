"""A quick first network for the integer model: single-layer separators passed through identity layers.

When every hidden layer is at least as wide as the output layer, a network of the domain
that fits is built from the single-layer problem (each output unit separated directly from
the inputs, an :class:`~ftprop_exact.proofs.integer_model.IntegerModel` without hidden
layers, small and fast): the first hidden layer holds those separators (the other units
have zero weights), every later layer copies unit ``j`` to unit ``j`` (weight 1, bias 0:
``z = +-1`` for sign units, ``0/1`` for step units, so the sign is kept). Its units are
put in the order the model's symmetry breaking asks for, so it can also start CP-SAT
(a hint) when the objective is to minimise the non-zero weights. It is a heuristic: it
exists only when the single layer fits.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.integer_model import IntegerModel
from ftprop_exact.proofs.master import LEX_PREFIX_MAX
from ftprop_exact.weights import WeightDomain

__all__ = ["in_model_order", "integer_network", "stacked_start"]

Layers = list[tuple[np.ndarray, np.ndarray]]


def stacked_start(problem: Problem, domain: WeightDomain, time_limit: float, threads: int, seed: int) -> Layers | None:
    """Integer weights and biases of a fitting network built as above, or None.

    None when a hidden layer is narrower than the output layer, or the single layer does
    not fit in the domain within ``time_limit`` seconds.
    """
    k = int(problem.Y.shape[1])
    if not problem.hidden or min(problem.hidden) < k:
        return None
    single = IntegerModel(dataclasses.replace(problem, hidden=()), domain).solve(time_limit, threads, seed)
    if single.status != "FEASIBLE" or single.layers is None:
        return None
    W1, b1 = single.layers[0]
    widths = problem.widths
    layers: Layers = []
    for d in range(len(widths) - 1):
        W = np.zeros((widths[d + 1], widths[d]))
        b = np.zeros(widths[d + 1])
        if d == 0:
            W[:k], b[:k] = W1, b1
        else:
            W[np.arange(k), np.arange(k)] = 1.0
        layers.append((W, b))
    return in_model_order(problem, layers)


def in_model_order(problem: Problem, layers: Layers) -> Layers:
    """The same network with each hidden layer's units sorted as the model's symmetry breaking
    wants: output columns non-increasing on the binary number of the first rows."""
    layers = [(W.copy(), b.copy()) for W, b in layers]
    prefix = min(problem.n_rows, LEX_PREFIX_MAX)
    network = integer_network(problem, layers)
    for d in range(len(layers) - 1):
        H = network.pre_activations(problem.X)[d] > 0
        keys = (H[:prefix].astype(np.int64) << np.arange(prefix - 1, -1, -1, dtype=np.int64)[:, None]).sum(axis=0)
        order = np.argsort(-keys, kind="stable")
        (W, b), (W_next, b_next) = layers[d], layers[d + 1]
        layers[d] = (W[order], b[order])
        layers[d + 1] = (W_next[:, order], b_next)
        network = integer_network(problem, layers)
    return layers


def integer_network(problem: Problem, layers: Layers) -> ThresholdNetwork:
    """The network of these weights and biases, with the problem's activation and classes."""
    return ThresholdNetwork(tuple(Layer(W, b, problem.activation) for W, b in layers), classes=problem.data.classes)
