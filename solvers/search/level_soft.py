"""A smooth start for ``qrelu:K`` networks: annealed soft staircases trained by Adam.

Each hidden unit's staircase ``h(z) = #{l in 0..K-2 : z > l}`` is replaced by
``sum_l sigmoid((z - l) / tau)``; the output units are trained with the logistic loss on the
labels. ``tau`` shrinks geometrically from 1 to 0.02, so the smooth network ends close to
the hard one. The hard levels it computes on the training rows become the searchers'
first level targets (every hidden unit's targets are then realised by its own weights, so
only the output layer can fail). Inputs are standardised; the weights are never used as a
network, only the levels.
"""

from __future__ import annotations

import numpy as np

from ftprop_exact.activations import activation_levels, apply_activation
from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.baselines.gradient import Adam, Standardisation

__all__ = ["soft_level_targets"]


def _init(problem: Problem, rng: np.random.Generator, top: int) -> list[np.ndarray]:
    params = []
    widths = problem.widths
    for d, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
        params.append(rng.standard_normal((fan_out, fan_in)) * (1.5 if d == 0 else 1.0) / np.sqrt(fan_in))
        hidden = d < len(widths) - 2
        params.append(rng.uniform(0.0, top, fan_out) if hidden else np.zeros(fan_out))
    return params


def _normalised(W: np.ndarray, gain: float | None) -> np.ndarray:
    """``gain * W / ||W||`` row by row (weight normalisation), or ``W`` itself for ``gain=None``."""
    if gain is None:
        return W
    return gain * W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-12)


def _normalised_grad(W: np.ndarray, G: np.ndarray, gain: float | None) -> np.ndarray:
    """The gradient with respect to ``W`` of a loss whose gradient at ``_normalised(W)`` is ``G``."""
    if gain is None:
        return G
    norm = np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-12)
    unit = W / norm
    return gain / norm * (G - (G * unit).sum(axis=1, keepdims=True) * unit)


def soft_level_targets(
    problem: Problem,
    rng: np.random.Generator,
    deadline: Deadline,
    steps: int = 1500,
    rate: float = 0.05,
    gain: float | None = None,
) -> list[np.ndarray]:
    """Train a soft staircase network; return its hard hidden levels on the rows of ``problem``.

    Parameters
    ----------
    problem : Problem
        A ``qrelu:K`` problem with hidden layers.
    rng : numpy.random.Generator
    deadline : Deadline
        Polled every 50 steps.
    steps : int, default=1500
        Adam steps (the temperature anneals over them).
    rate : float, default=0.05
        Adam step size.
    gain : float, optional
        When given, the first layer's weight rows have this fixed norm (weight
        normalisation over the standardised inputs): its pre-activations then spread over
        about ``+-2 gain`` around the bias and cannot saturate at the end levels. A gain of
        ``(K-1) / 2.56`` spreads the 10th to 90th percentiles of a unit over ``K-1``
        steps. None: free weights.

    Returns
    -------
    list of ndarray
        One (n_rows, width) array of levels ``0..K-1`` per hidden layer.
    """
    n_levels = activation_levels(problem.activation)
    steps_at = np.arange(n_levels - 1, dtype=np.float64)
    A = Standardisation.of(problem.X).apply(problem.X)
    Y = np.asarray(problem.Y, dtype=np.float64)
    weights = np.asarray(problem.counts, dtype=np.float64)
    weights = weights / weights.sum()
    params = _init(problem, rng, n_levels - 2)
    adam = Adam(params, rate)
    n_layers = len(params) // 2
    for step in range(steps):
        if step % 50 == 0 and deadline.expired():
            break
        tau = 1.0 * (0.02 / 1.0) ** (step / max(steps - 1, 1))
        inputs, slopes = [A], []
        for d in range(n_layers - 1):
            Z = inputs[-1] @ _normalised(params[2 * d], gain if d == 0 else None).T + params[2 * d + 1]
            S = 1.0 / (1.0 + np.exp(-np.clip((Z[..., None] - steps_at) / tau, -60, 60)))
            inputs.append(S.sum(axis=-1))
            slopes.append((S * (1.0 - S)).sum(axis=-1) / tau)
        out = inputs[-1] @ params[-2].T + params[-1]
        dZ = -Y / (1.0 + np.exp(np.clip(Y * out, -60, 60))) * weights[:, None]  # logistic loss
        grads: list[np.ndarray] = [np.empty(0)] * len(params)
        for d in range(n_layers - 1, -1, -1):
            grads[2 * d] = dZ.T @ inputs[d]
            grads[2 * d + 1] = dZ.sum(axis=0)
            if d:
                dZ = (dZ @ params[2 * d]) * slopes[d - 1]
        grads[0] = _normalised_grad(params[0], grads[0], gain if n_layers > 1 else None)
        adam.step(grads)
    levels, H = [], A
    activation = problem.activation
    for d in range(n_layers - 1):
        H = apply_activation(H @ _normalised(params[2 * d], gain if d == 0 else None).T + params[2 * d + 1], activation)
        levels.append(H.astype(np.int64))
    return levels
