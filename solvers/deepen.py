"""Deeper networks from shallower ones: copy layers that pass the outputs through.

A network with one hidden layer that fits the data extends to any deeper shape whose later
hidden layers each have at least as many units as there are outputs: the second hidden
layer's first units compute the old output units (same weights, same bias), every later
layer's first units copy them (weight 1 on their input, bias 0 for +-1 inputs, -1/2 for
0/1 inputs), and the remaining units are constant (zero weights, bias -1). The network
found this way is offered to the incumbent, which verifies it on the data as given, like
any other.
"""

from __future__ import annotations

import numpy as np

from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem

__all__ = ["can_deepen", "deepened"]

_COPY_BIAS = {"sign": 0.0, "step": -0.5}  # inputs +-1, or 0/1


def can_deepen(problem: Problem) -> bool:
    """Whether a network with the first hidden layer alone would extend to ``problem.hidden``."""
    outputs = int(problem.Y.shape[1])
    return len(problem.hidden) >= 2 and problem.activation in _COPY_BIAS and all(w >= outputs for w in problem.hidden[1:])


def deepened(network: ThresholdNetwork, hidden: tuple[int, ...]) -> ThresholdNetwork:
    """``network`` (one hidden layer) with copy layers up to the hidden widths ``hidden``.

    Raises
    ------
    ValueError
        When ``network`` has not exactly one hidden layer, its width is not ``hidden[0]``, or
        a later width is below the number of outputs.

    Examples
    --------
    >>> first = Layer([[1.0, 1.0], [1.0, 1.0]], [-0.5, -1.5])
    >>> xor = ThresholdNetwork((first, Layer([[1.0, -1.0]], [-1.0])), classes=(0, 1))
    >>> deep = deepened(xor, (2, 3, 2))
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    >>> bool(np.array_equal(deep.predict(X), xor.predict(X)))
    True
    """
    if len(network.layers) != 2 or network.layers[0].n_outputs != hidden[0]:
        raise ValueError(f"deepening needs a network with one hidden layer of width {hidden[0]}")
    first, output = network.layers
    k = output.n_outputs
    if any(w < k for w in hidden[1:]):
        raise ValueError(f"every later hidden layer needs at least {k} units (one per output)")
    copy_bias = _COPY_BIAS[first.activation]
    layers = [first]
    fan_in = hidden[0]
    for d, width in enumerate(hidden[1:]):
        weights = np.zeros((width, fan_in))
        bias = np.full(width, -1.0)
        if d == 0:  # compute the old output units
            weights[:k] = output.weights
            bias[:k] = output.bias
        else:  # copy them
            weights[np.arange(k), np.arange(k)] = 1.0
            bias[:k] = copy_bias
        layers.append(Layer(weights, bias, first.activation))
        fan_in = width
    copy = np.zeros((k, fan_in))
    copy[np.arange(k), np.arange(k)] = 1.0
    layers.append(Layer(copy, np.full(k, copy_bias), output.activation))
    return ThresholdNetwork(tuple(layers), classes=network.classes)
