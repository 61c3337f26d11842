"""Layer losses, unit fits and flip deltas of the flip-based searchers.

- :func:`fit_unit`: weights minimising a (weighted) layer loss for a non-separable unit;
  :func:`fit_failing` applies it to the failing units of a layer.
- :func:`layer_loss` and :data:`ERRORS` (the 0-1 loss): what a move must lower.
- :func:`flip_deltas`: the change of a layer's loss when one upstream target flips (the
  discrete derivative ``dL_d / dh_{d-1}``), and :func:`flip_gradient`, its linearisation.
- :func:`hyperplane_distances`: "disturbance" of each upstream flip (distance of the
  example to the upstream unit's hyperplane): flips with the smallest come first.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.network import apply_activation
from ftprop_exact.solvers.learners.hinge import fit_hinge
from ftprop_exact.solvers.search.losses import LayerLoss
from ftprop_exact.solvers.search.state import TargetState

__all__ = [
    "ERRORS",
    "fit_failing",
    "fit_unit",
    "flip_deltas",
    "flip_gradient",
    "hyperplane_distances",
    "layer_loss",
]


def fit_unit(
    loss: LayerLoss,
    A: np.ndarray,
    t: np.ndarray,
    sample_weight: np.ndarray,
    start: tuple[np.ndarray, float] | None = None,
    epochs: int = 60,
    time_limit: float | None = None,
) -> tuple[np.ndarray, float]:
    """Weights minimising ``sum_i c_i l(a_i . w + b, t_i)`` for one unit.

    The hinge optimum is an LP (:func:`~ftprop_exact.solvers.learners.lp.fit_hinge`). The other
    losses are non-convex: ``epochs`` steps of Adam from ``start`` (rescaled to a unit
    margin on its best-fitted row), or from the hinge optimum when there is no start.

    Parameters
    ----------
    loss : LayerLoss
        The layer loss.
    A : ndarray of shape (m, n)
        Inputs.
    t : ndarray of shape (m,)
        Targets in {-1, +1}.
    sample_weight : ndarray of shape (m,)
        Row weights ``c`` (multiplicities times importance).
    start : (ndarray of shape (n,), float), optional
        Warm start for a non-convex loss (FTPROP keeps weights between iterations).
    epochs : int, default=60
        Gradient steps for a non-convex loss.
    time_limit : float, optional
        Seconds for the whole fit: the hinge fit is sized to it (see
        :func:`~ftprop_exact.solvers.learners.hinge.fit_hinge`) and the gradient steps stop
        when it passes.

    Returns
    -------
    (ndarray of shape (n,), float)
    """
    stop = math.inf if time_limit is None else time.monotonic() + time_limit
    if loss.convex or start is None or epochs <= 0:
        w, b = fit_hinge(A, t, sample_weight, time_limit)
        if loss.convex or epochs <= 0:
            return w, b
    else:
        w, b = start
    Ab = np.hstack([A, np.ones((A.shape[0], 1))])
    theta = np.append(w, b)
    reach = float(np.max(np.abs(Ab @ theta)))
    theta = theta / reach if reach > 0 else np.zeros_like(theta)
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    for k in range(1, epochs + 1):
        if time.monotonic() > stop:
            break
        grad = Ab.T @ (sample_weight * loss.derivative(Ab @ theta, t))
        first = 0.9 * first + 0.1 * grad
        second = 0.999 * second + 0.001 * grad * grad
        theta -= 0.05 * (first / (1 - 0.9**k)) / (np.sqrt(second / (1 - 0.999**k)) + 1e-12)
    return theta[:-1], float(theta[-1])


def _loss_weights(state: TargetState, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights of layer ``d`` on the loss's scale: separators rescaled to a unit margin."""
    W, b = state.weights[d].copy(), state.biases[d].copy()
    if state.fits[d].any():
        Z = state.inputs(d) @ W.T + b
        margin = np.min(state.layer_targets(d) * Z, axis=0)
        scale = np.where(state.fits[d] & (margin > 0), margin, 1.0)
        W /= scale[:, None]
        b /= scale
    return W, b


ERRORS = LayerLoss("errors", False, lambda s: (s <= 0).astype(np.float64), np.zeros_like)
"""The 0-1 loss (a unit-example is wrong when ``t z <= 0``): used to classify flips as
must-change (fewer errors), must-keep (more errors) or free, never to fit weights."""


def layer_loss(state: TargetState, d: int, loss: LayerLoss, importance: np.ndarray) -> float:
    """Total weighted loss of layer ``d`` (separators on a unit-margin scale).

    Parameters
    ----------
    importance : ndarray of shape (n_rows, width_d)
        Per unit-example weights (multiplicities already included).
    """
    W, b = _loss_weights(state, d)
    Z = state.inputs(d) @ W.T + b
    return float(np.sum(importance * loss.value(Z, state.layer_targets(d))))


def _flip_steps(state: TargetState, layer: int) -> np.ndarray:
    """Change of each encoded input when hidden target ``T[layer][i, j]`` flips."""
    T = state.targets[layer].astype(np.float64)
    return -2.0 * T if state.problem.activation == "sign" else -T


def flip_deltas(
    state: TargetState, d: int, loss: LayerLoss, importance: np.ndarray, source: int | None = None
) -> np.ndarray:
    """Exact change of layer ``d``'s loss when one hidden target of layer ``source`` flips.

    The finite-difference form of ``dL_d / dh_{d-1}`` times the flip: entry ``(i, j)`` is
    ``L_d(T_source with (i, j) flipped) - L_d(T_source)`` at the current weights. A
    negative entry is a flip the layer wants (``-sign(dL/dh)`` differs from the current
    target there) and ``|delta|`` is its importance. With ``source < d - 1`` the flip is
    propagated through the hidden layers in between by their activations (the network's
    own forward pass), so that flips deep in the network are judged by layer ``d``.

    Parameters
    ----------
    state : TargetState
    d : int
        The layer whose loss is measured.
    loss : LayerLoss
        Its loss.
    importance : ndarray of shape (n_rows, width_d)
        Per unit-example weights of layer ``d``.
    source : int, optional
        The hidden layer whose targets flip (default ``d - 1``).

    Returns
    -------
    ndarray of shape (n_rows, width_source)
    """
    source = d - 1 if source is None else source
    W, b = _loss_weights(state, d)
    T = state.layer_targets(d)
    H = state.inputs(source + 1)
    step = _flip_steps(state, source)
    width = H.shape[1]
    flipped = H[None, :, :] + np.eye(width)[:, None, :] * step.T[:, :, None]  # (width, n_rows, width)
    base = loss.value(_forward(state, H, source + 1, d) @ W.T + b, T)
    moved = loss.value(_forward(state, flipped, source + 1, d) @ W.T + b, T[None, :, :])
    return np.einsum("jik,ik->ij", moved - base[None, :, :], importance)


def _forward(state: TargetState, H: np.ndarray, first: int, stop: int) -> np.ndarray:
    """Encoded activations after hidden layers ``first .. stop - 1`` (their own weights)."""
    for e in range(first, stop):
        H = apply_activation(H @ state.weights[e].T + state.biases[e], state.problem.activation)
    return H


def flip_gradient(state: TargetState, d: int, loss: LayerLoss, importance: np.ndarray) -> np.ndarray:
    """Linearised :func:`flip_deltas`: ``(dL_d/dh_{d-1}) * (change of h)`` per flip.

    This is the paper's heuristic (targets ``-sign(dL/dh)``, importance ``|dL/dh|``),
    expressed as a predicted loss change so that both forms are interchangeable.
    """
    W, b = _loss_weights(state, d)
    Z = state.inputs(d) @ W.T + b
    gradient = (importance * loss.derivative(Z, state.layer_targets(d))) @ W
    return gradient * _flip_steps(state, d - 1)


def hyperplane_distances(state: TargetState, layer: int) -> np.ndarray:
    """``|z| / ||w||`` of every unit-example of hidden layer ``layer`` (the disturbance).

    Small values are examples close to the unit's hyperplane: flipping them moves the
    separator least.
    """
    Z = state.pre_activation(layer)
    norms = np.linalg.norm(state.weights[layer], axis=1)
    return np.abs(Z) / np.where(norms > 0, norms, 1.0)


def fit_failing(
    state: TargetState,
    d: int,
    units: np.ndarray,
    loss: LayerLoss,
    importance: np.ndarray,
    epochs: int,
    warm: bool = True,
    deadline: Deadline | None = None,
) -> None:
    """Give each failing unit of layer ``d`` the weights minimising its weighted loss
    (warm-started at its current weights, or at the hinge optimum when ``warm`` is False);
    the hinge fits share the time left before ``deadline``, if given."""
    A, T = state.inputs(d), state.layer_targets(d)
    todo = np.asarray(units).tolist()
    for k, j in enumerate(todo):
        start = (state.weights[d][j], float(state.biases[d][j])) if warm else None
        time_limit = None if deadline is None else deadline.remaining() / (len(todo) - k)
        w, b = fit_unit(loss, A, T[:, j], importance[:, j], start, epochs, time_limit)
        state.set_unit(d, j, w, b, False)
