"""Screened annealing start: train smooth copies of the network, harden the best one.

Every threshold unit is replaced by a smooth one — ``tanh(beta z)`` for ``sign``,
``(1 + tanh(beta z)) / 2`` for ``step`` — and full-batch Adam minimises a smooth margin loss
of the output, ``softplus(1 - 2 beta y z) / (2 beta)`` weighted by the rows'
multiplicities, while ``beta`` grows linearly from 1 to :data:`BETA_MAX`, so the smooth
network drifts towards the hard network with the same weights. That hard network is
evaluated every few iterations and the one with the fewest weighted training errors
kept.

How far one annealing run gets depends heavily on its random initialisation (the final
error counts are heavy-tailed), so :func:`anneal_start` *screens*: it anneals several
random initialisations briefly and hands the best hard network to the exact search. On
planted two-layer teachers this turned 15-error dead ends of the soft FTPROP start into
exact fits (docs/algorithms.md, "Starts").
"""

from __future__ import annotations

import numpy as np

from ftprop_exact import progress
from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.baselines.gradient import Adam, Standardisation, forward_pass, weighted_errors
from ftprop_exact.solvers.search.sampling import warm_rows

__all__ = ["ANNEAL_ROWS", "BETA_MAX", "MINI_BATCH", "anneal", "anneal_start"]

BETA_MAX = 10.0  # final steepness of the smooth units
_EVALUATE_EVERY = 25  # iterations between evaluations of the hard network (and deadline polls)
ANNEAL_ROWS = 32768  # distinct rows annealed on at most (a uniform sample beyond)
MINI_BATCH_FROM = 4096  # more rows than this: mini-batch steps
MINI_BATCH = 1024  # rows per mini-batch step
MINI_BATCH_STEPS = 2  # mini-batch runs take this many times the iterations asked for


def _smooth(Z: np.ndarray, beta: float, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """The smooth unit's output and its derivative with respect to ``Z``."""
    T = np.tanh(beta * Z)
    if activation == "step":
        return (1.0 + T) / 2.0, beta * (1.0 - T * T) / 2.0
    return T, beta * (1.0 - T * T)


def _smooth_gradients(
    A: np.ndarray, params: list[np.ndarray], Y: np.ndarray, counts: np.ndarray, beta: float, activation: str
) -> list[np.ndarray]:
    """Gradients of the weighted smooth margin loss with respect to every parameter."""
    inputs, slopes = [A], []
    for d in range(0, len(params) - 2, 2):
        H, slope = _smooth(inputs[-1] @ params[d].T + params[d + 1], beta, activation)
        inputs.append(H)
        slopes.append(slope)
    out = inputs[-1] @ params[-2].T + params[-1]
    # d/dz [softplus(1 - 2 beta y z) / (2 beta)] = -y * sigmoid(1 - 2 beta y z)
    exponent = np.clip(2.0 * beta * Y * out - 1.0, -50.0, 50.0)
    G = -Y / (1.0 + np.exp(exponent)) * counts[:, None]
    grads: list[np.ndarray] = [np.empty(0)] * len(params)
    for layer in range(len(params) // 2 - 1, -1, -1):
        grads[2 * layer] = G.T @ inputs[layer]
        grads[2 * layer + 1] = G.sum(axis=0)
        if layer:
            G = (G @ params[2 * layer]) * slopes[layer - 1]
    return grads


def anneal(
    A: np.ndarray,
    Y: np.ndarray,
    counts: np.ndarray,
    activation: str,
    params: list[np.ndarray],
    iterations: int,
    deadline: Deadline,
    learning_rate: float = 0.02,
    batch: int | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[float, list[np.ndarray]]:
    """One annealing run from ``params`` (changed in place).

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs (standardised).
    Y : ndarray of shape (m, outputs)
        ``+-1`` labels.
    counts : ndarray of shape (m,)
        Row weights.
    activation : {"sign", "step"}
        The hard units' activation.
    params : list of ndarray
        ``[W_1, b_1, ..., W_L, b_L]`` on ``A``.
    iterations : int
        Adam steps (fewer if the deadline passes or a hard network fits).
    deadline : Deadline
        Polled every few iterations.
    learning_rate : float, default=0.02
        Adam step size.
    batch : int, optional
        Rows per step (drawn uniformly with replacement by ``rng``; the hard network is
        still evaluated on all of ``A``); default: every row at every step.
    rng : numpy.random.Generator, optional
        Draws the mini-batches (required with ``batch``).

    Returns
    -------
    (float, list of ndarray)
        The weighted errors of the best hard network seen, and its parameters.
    """
    adam = Adam(params, learning_rate)
    best_errors, best = np.inf, [p.copy() for p in params]
    for step in range(iterations + 1):
        if step % _EVALUATE_EVERY == 0 or step == iterations:
            errors = weighted_errors(forward_pass(A, params, activation)[1][-1], Y, counts)
            if errors < best_errors:
                best_errors, best = errors, [p.copy() for p in params]
            if best_errors == 0 or step == iterations or deadline.expired():
                break
        elif deadline.expired():  # a step takes a while on large data: stop within one step
            break
        beta = 1.0 + (BETA_MAX - 1.0) * step / iterations
        if batch is not None and A.shape[0] > batch:
            rows = rng.integers(0, A.shape[0], batch)
            weights = counts[rows] / counts[rows].sum()
            adam.step(_smooth_gradients(A[rows], params, Y[rows], weights, beta, activation))
        else:
            adam.step(_smooth_gradients(A, params, Y, counts, beta, activation))
    return best_errors, best


@progress.in_phase("warm start")
def anneal_start(
    problem: Problem,
    rng: np.random.Generator,
    deadline: Deadline,
    iterations: int = 1500,
    screen: int = 8,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Anneal ``screen`` random initialisations; return the best hard network.

    Parameters
    ----------
    problem : Problem
        Distinct rows (weighted by their multiplicity), labels, activation; beyond
        :data:`ANNEAL_ROWS` rows, a uniform sample of them; beyond :data:`MINI_BATCH_FROM`
        rows every step uses a mini-batch of :data:`MINI_BATCH` rows (and there are
        :data:`MINI_BATCH_STEPS` times as many steps), so a step costs the same at any size
        (at 100,000 x 64 this turned 12,000 training errors after 30 s into an exact fit
        after 7 s).
    rng : numpy.random.Generator
        Draws the sample and the initialisations (Gaussian weights scaled by ``1 / sqrt(fan_in)``, small
        Gaussian biases, on standardised inputs).
    deadline : Deadline
        Polled every few iterations; the screening stops early when it passes or a
        network fits.
    iterations : int, default=1500
        Adam steps per initialisation.
    screen : int, default=8
        Initialisations annealed.

    Returns
    -------
    (list of ndarray, list of ndarray)
        Weights and biases, on the inputs as given, of the hard network with the fewest
        weighted training errors.
    """
    if iterations < 1 or screen < 1:
        raise ValueError(f"iterations and screen must be positive; got {iterations!r}, {screen!r}")
    X, Y, counts = warm_rows(problem, rng, ANNEAL_ROWS)
    batch = MINI_BATCH if X.shape[0] > MINI_BATCH_FROM else None
    if batch is not None:
        iterations *= MINI_BATCH_STEPS  # a step costs a fraction of a full-batch one
    standard = Standardisation.of(X)
    A = standard.apply(X)
    Y = np.asarray(Y, dtype=np.float64)
    counts = counts / counts.sum()
    widths = problem.widths
    best_errors, best = np.inf, None
    for _ in range(screen):
        params = []
        for fan_in, width in zip(widths[:-1], widths[1:]):
            params += [rng.normal(size=(width, fan_in)) / np.sqrt(fan_in), 0.1 * rng.normal(size=width)]
        errors, found = anneal(A, Y, counts, problem.activation, params, iterations, deadline, batch=batch, rng=rng)
        if best is None or errors < best_errors:
            best_errors, best = errors, found
        if best_errors == 0 or deadline.expired():
            break
    W0, b0 = standard.onto_given(best[0], best[1])
    return [W0, *best[2::2]], [b0, *best[3::2]]
