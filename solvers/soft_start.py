"""Soft FTPROP: full-batch gradient steps on the layer losses, as a warm start.

This is FTPROP with a budget of one gradient step per layer and iteration (the paper's
Algorithm 2 on the whole batch, Friesen & Domingos 2018): at every iteration the forward
pass gives each layer's pre-activations ``Z_d``; the output layer takes a step on the
hinge loss of the labels; then, going down, the hidden targets are the paper's heuristic
``T_{d-1} = -sign(dL_d/dh_{d-1})`` with importance ``|dL_d/dh_{d-1}|``, and layer ``d-1``
takes a step on its layer loss ``sum |g| l(Z_{d-1}, T_{d-1})``. With the saturated hinge
this is the saturated straight-through estimator; with the soft hinge it is FTP-SH.

All steps are Adam steps on the problem's distinct rows weighted by their multiplicity,
on standardised inputs (the first layer is mapped back to the inputs as given). The best
network seen (fewest weighted errors) becomes the start of the exact search (see
:class:`~ftprop_exact.solvers.flip_search.FlipSearcher`): soft FTPROP moves every
hyperplane at once, cheaply, where the exact moves change one unit at a time.
"""

from __future__ import annotations

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.network import apply_activation
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.losses import LayerLoss, make_loss

__all__ = ["soft_start"]

_HINGE = make_loss("hinge")
_CHECK_EVERY = 32  # iterations between deadline checks


def soft_start(
    problem: Problem,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    loss: LayerLoss,
    epochs: int,
    deadline: Deadline,
    learning_rate: float = 0.01,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Improve a network by soft FTPROP; return the best network seen.

    Parameters
    ----------
    problem : Problem
        Distinct rows (weighted by their multiplicity), labels, activation.
    weights, biases : list of ndarray
        The starting network, layer by layer ``(width, fan_in)`` and ``(width,)``.
    loss : LayerLoss
        The hidden layers' loss (the output layer uses the hinge loss of the labels).
    epochs : int
        Full-batch iterations (fewer if the deadline passes or a network fits).
    deadline : Deadline
        Polled every few iterations.
    learning_rate : float, default=0.01
        Adam step size (on standardised inputs).

    Returns
    -------
    (list of ndarray, list of ndarray)
        Weights and biases (on the inputs as given) of the network with the fewest
        weighted training errors seen.
    """
    trainer = _SoftTrainer(problem, weights, biases, loss, learning_rate)
    best_errors, best = trainer.forward(), trainer.snapshot()
    for epoch in range(1, epochs + 1):
        if best_errors == 0 or (epoch % _CHECK_EVERY == 0 and deadline.expired()):
            break
        trainer.backward()
        errors = trainer.forward()
        if errors < best_errors:
            best_errors, best = errors, trainer.snapshot()
    return trainer.unscaled(*best)


class _SoftTrainer:
    """Weights on standardised inputs, Adam moments, and one soft FTPROP iteration."""

    def __init__(
        self,
        problem: Problem,
        weights: list[np.ndarray],
        biases: list[np.ndarray],
        loss: LayerLoss,
        rate: float,
    ) -> None:
        X = np.asarray(problem.X, dtype=np.float64)
        self.mean = X.mean(axis=0)
        spread = X.std(axis=0)
        self.scale = np.where(spread > 0, spread, 1.0)
        self.X = (X - self.mean) / self.scale
        self.Y = np.asarray(problem.Y, dtype=np.float64)
        self.counts = problem.counts / problem.counts.sum()
        self.activation = problem.activation
        self.loss = loss
        self.rate = rate
        W0 = weights[0] * self.scale  # the same first layer on standardised inputs
        b0 = biases[0] + weights[0] @ self.mean
        self.params = [W0.copy(), *(W.copy() for W in weights[1:]), b0.copy(), *(b.copy() for b in biases[1:])]
        self.depth = len(weights)
        self.first = [np.zeros_like(p) for p in self.params]
        self.second = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.inputs: list[np.ndarray] = []
        self.pre: list[np.ndarray] = []

    def forward(self) -> float:
        """Forward pass; returns the weighted training errors."""
        weights, biases = self.params[: self.depth], self.params[self.depth :]
        self.inputs, self.pre = [self.X], []
        for W, b in zip(weights, biases):
            self.pre.append(self.inputs[-1] @ W.T + b)
            self.inputs.append(apply_activation(self.pre[-1], self.activation))
        wrong = np.any((self.pre[-1] > 0) != (self.Y > 0), axis=1)
        return float(self.counts[wrong].sum())

    def backward(self) -> None:
        """One soft FTPROP iteration (after :meth:`forward`): steps on every layer's loss."""
        weights = self.params[: self.depth]
        G = self.counts[:, None] * _HINGE.derivative(self.pre[-1], self.Y)
        grads_w, grads_b = [], []
        for d in range(self.depth - 1, -1, -1):
            grads_w.insert(0, G.T @ self.inputs[d])
            grads_b.insert(0, G.sum(axis=0))
            if d:
                g = G @ weights[d]  # dL_d / dh_{d-1}
                below = self.pre[d - 1]
                targets = np.where(g != 0, -np.sign(g), np.where(below > 0, 1.0, -1.0))
                G = np.abs(g) * self.loss.derivative(below, targets)
        self._adam(grads_w + grads_b)

    def _adam(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        for p, g, m, v in zip(self.params, grads, self.first, self.second):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= self.rate * (m / (1 - 0.9**self.t)) / (np.sqrt(v / (1 - 0.999**self.t)) + 1e-12)

    def snapshot(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Copies of the current weights and biases (standardised first layer)."""
        return [p.copy() for p in self.params[: self.depth]], [p.copy() for p in self.params[self.depth :]]

    def unscaled(self, weights: list[np.ndarray], biases: list[np.ndarray]) -> tuple[list, list]:
        """The same network on the inputs as given."""
        W0 = weights[0] / self.scale
        return [W0, *weights[1:]], [biases[0] - W0 @ self.mean, *biases[1:]]
