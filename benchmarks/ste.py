"""Full-batch gradient baseline: a sign network trained with the straight-through estimator.

The forward pass uses the hard sign (or step) activation; the backward pass replaces its
zero derivative by the saturated straight-through estimator ``1{|z| <= 1}`` (which is
FTPROP-MB with the saturated hinge loss, Friesen & Domingos 2018). The output layer
minimises the hinge loss on the +-1 targets; Adam updates every weight on the whole data
set at once; a fresh random start follows every ``epochs`` epochs without a fit. A run
counts as solved only when the trained network passes the same rigorous verification as
every searcher's answer (:meth:`~ftprop_exact.network.ThresholdNetwork.verify`).

Examples
--------
>>> import numpy as np
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> run = ste_fit(X, [0, 0, 0, 1], hidden=(2,), time_limit=10.0, seed=0)
>>> run.solved, run.errors
(True, 0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.data import Dataset, make_dataset
from ftprop_exact.network import Layer, ThresholdNetwork, apply_activation

__all__ = ["SteRun", "ste_fit"]


@dataclass(frozen=True)
class SteRun:
    """Outcome of :func:`ste_fit`.

    Attributes
    ----------
    solved : bool
        True iff ``network`` is verified to fit every example.
    seconds : float
        Wall time.
    errors : int
        Training errors of the best network seen (examples with a wrong output).
    network : ThresholdNetwork or None
        The best network seen.
    epochs : int
        Full-batch epochs run, over all starts.
    """

    solved: bool
    seconds: float
    errors: int
    network: ThresholdNetwork | None
    epochs: int


def ste_fit(
    X: Any,
    y: Any,
    hidden: tuple[int, ...],
    time_limit: float,
    seed: int = 0,
    activation: str = "sign",
    learning_rate: float = 0.01,
    epochs: int = 2000,
) -> SteRun:
    """Train a hard-threshold network by full-batch gradient descent with the STE.

    Parameters
    ----------
    X : array-like of shape (m, n) or Dataset
        Inputs (or a Dataset, then ``y`` is ignored).
    y : array-like of shape (m,)
        Labels.
    hidden : tuple of int
        Hidden widths.
    time_limit : float
        Seconds.
    seed : int, default=0
        Seed of the random starts.
    activation : {"sign", "step"}, default="sign"
        Activation of every unit.
    learning_rate : float, default=0.01
        Adam step size.
    epochs : int, default=2000
        Epochs per random start.

    Returns
    -------
    SteRun
    """
    data = X if isinstance(X, Dataset) else make_dataset(X, y)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    best: tuple[int, ThresholdNetwork | None] = (data.n_examples + 1, None)
    total = 0
    while time.perf_counter() - start < time_limit:
        trainer = _Trainer(data, hidden, activation, learning_rate, rng)
        for _ in range(epochs):
            total += 1
            errors = trainer.forward()
            if errors < best[0]:
                best = (errors, trainer.network(data.classes))
                if errors == 0 and best[1].verify(data.X, data.Y).ok:
                    return SteRun(True, time.perf_counter() - start, 0, best[1], total)
            trainer.backward()
            if total % 16 == 0 and time.perf_counter() - start >= time_limit:
                break
    return SteRun(False, time.perf_counter() - start, best[0], best[1], total)


class _Trainer:
    """One random start: weights, Adam moments, and the full-batch step."""

    def __init__(
        self, data: Dataset, hidden: tuple[int, ...], activation: str, rate: float, rng: np.random.Generator
    ) -> None:
        sizes = (data.n_features, *hidden, data.n_outputs)
        self.X = np.asarray(data.X, dtype=np.float64)
        self.Y = np.asarray(data.Y, dtype=np.float64)
        self.activation = activation
        self.rate = rate
        self.params = [rng.normal(size=(a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
        self.params += [np.zeros(b) for b in sizes[1:]]
        self.first = [np.zeros_like(p) for p in self.params]
        self.second = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.inputs: list[np.ndarray] = []
        self.pre: list[np.ndarray] = []

    @property
    def depth(self) -> int:
        return len(self.params) // 2

    def forward(self) -> int:
        """Forward pass at the current weights; returns the training errors."""
        weights, biases = self.params[: self.depth], self.params[self.depth :]
        self.inputs, self.pre = [self.X], []
        for W, b in zip(weights, biases):
            self.pre.append(self.inputs[-1] @ W + b)
            self.inputs.append(apply_activation(self.pre[-1], self.activation))
        return int(np.any((self.pre[-1] > 0) != (self.Y > 0), axis=1).sum())

    def backward(self) -> None:
        """One Adam step on the hinge loss, through the saturated STE (after :meth:`forward`)."""
        weights = self.params[: self.depth]
        G = -self.Y * (self.Y * self.pre[-1] < 1) / self.X.shape[0]
        grads_w, grads_b = [], []
        for d in range(self.depth - 1, -1, -1):
            grads_w.insert(0, self.inputs[d].T @ G)
            grads_b.insert(0, G.sum(axis=0))
            if d:
                G = (G @ weights[d].T) * (np.abs(self.pre[d - 1]) <= 1)
        self._adam(grads_w + grads_b)

    def _adam(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        for p, g, m, v in zip(self.params, grads, self.first, self.second):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= self.rate * (m / (1 - 0.9**self.t)) / (np.sqrt(v / (1 - 0.999**self.t)) + 1e-8)

    def network(self, classes: tuple) -> ThresholdNetwork:
        """The current weights as a network."""
        weights, biases = self.params[: self.depth], self.params[self.depth :]
        layers = tuple(Layer(W.T, b, self.activation) for W, b in zip(weights, biases))
        return ThresholdNetwork(layers, classes=classes)
