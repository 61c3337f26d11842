"""Soft FTPROP warm start: full-batch gradient steps on the layer losses.

This is FTPROP with a budget of one gradient step per layer and iteration — the paper's
Algorithm 2 on the whole batch, as implemented by the ``"ftprop-mb"`` / ``"sste"``
baselines (:func:`ftprop_exact.solvers.baselines.gradient.ftprop_mb_gradients`): the output layer
steps on the hinge loss of the labels; going down, the hidden targets are
``T_{d-1} = -sign(dL_d/dh_{d-1})`` with importance ``|dL_d/dh_{d-1}|`` and layer ``d-1``
steps on its layer loss. Here it only moves a start of the exact search (see
:class:`~ftprop_exact.solvers.search.starts.FlipSearcher`): it shifts every hyperplane at
once, cheaply, where the exact moves change one unit at a time.
"""

from __future__ import annotations

import numpy as np

from ftprop_exact import progress
from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.baselines.gradient import Adam, Standardisation, forward_pass, ftprop_mb_gradients, weighted_errors
from ftprop_exact.solvers.search.losses import LayerLoss, make_loss
from ftprop_exact.solvers.search.sampling import warm_rows

__all__ = ["soft_start"]

_HINGE = make_loss("hinge")
_PATIENCE = 0.25  # stop after this fraction of the iterations without a better network


@progress.in_phase("warm start")
def soft_start(
    problem: Problem,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    loss: LayerLoss,
    epochs: int,
    deadline: Deadline,
    learning_rate: float = 0.01,
    rng: np.random.Generator | None = None,
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
        Full-batch iterations (fewer if the deadline passes, a network fits, or a quarter
        of them brings no better network).
    deadline : Deadline
        Polled every few iterations.
    learning_rate : float, default=0.01
        Adam step size (on standardised inputs).
    rng : numpy.random.Generator, optional
        Draws the row sample trained on when there are more than
        :data:`~ftprop_exact.solvers.search.sampling.WARM_ROWS` distinct rows.

    Returns
    -------
    (list of ndarray, list of ndarray)
        Weights and biases (on the inputs as given) of the network with the fewest
        weighted training errors seen (the start itself if nothing beats it).
    """
    X, Y, counts = warm_rows(problem, rng)
    standard = Standardisation.of(X)
    A = standard.apply(X)
    counts = counts / counts.sum()
    params = [np.array(p, dtype=np.float64) for pair in zip(weights, biases) for p in pair]
    params[0], params[1] = standard.onto_standardised(params[0], params[1])  # same layer on A
    adam = Adam(params, learning_rate)
    best_errors, best, best_epoch = np.inf, [p.copy() for p in params], 0
    for epoch in range(epochs + 1):
        inputs, pre = forward_pass(A, params, problem.activation)
        errors = weighted_errors(pre[-1], Y, counts)
        if errors < best_errors:
            best_errors, best, best_epoch = errors, [p.copy() for p in params], epoch
        stalled = epoch - best_epoch > _PATIENCE * epochs
        if best_errors == 0 or stalled or deadline.expired():
            break
        adam.step(ftprop_mb_gradients(inputs, pre, params, Y, counts, loss, _HINGE))
    W0, b0 = standard.onto_given(best[0], best[1])
    return [W0, *best[2::2]], [b0, *best[3::2]]
