"""Maximum-margin units: the hard-margin separator of one unit, and of every unit of a network.

With ``objective="max_margin"`` every unit of the final network is the hard-margin linear
SVM of its targets in its own input space (the data for the first layer, the hidden codes
above): ``min ||w||_2`` subject to ``t_i (a_i . w + b) >= 1``, whose geometric margin
``min_i t_i (a_i . w + b) / ||w||_2`` is the largest any separator of those targets has. The
hidden targets stay those of the verified network, so the refitted network computes the same
codes on every training row; every refitted unit is verified rigorously
(:func:`~ftprop_exact.solvers.learners.base.verified_separator`) and the whole network again
by a forward pass before it replaces the original. Margins are reported per layer and unit.

The SVM is scikit-learn's ``SVC(kernel="linear")`` (libsvm) with a large ``C``: on separable
targets its solution is the hard-margin one as long as no dual variable reaches ``C``; when one
does, ``C`` is raised and the fit repeated. A unit whose SVM does not verify keeps its weights,
and so does a unit left when the deadline passes (an SVM fit still running then is abandoned)
or one with more than :data:`MAX_SVM_ROWS` distinct input rows.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ftprop_exact.budget import Deadline, interruptible
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.rows import group_identical_rows
from ftprop_exact.solvers.learners.base import UnitVerdict, constant_targets_verdict, verified_separator
from ftprop_exact.solvers.search_base import Incumbent

__all__ = ["MAX_SVM_ROWS", "hard_margin_separator", "maximise_network_margins", "network_margins", "svm_direction", "widen_margins"]

MAX_SVM_ROWS = 2000
"""Distinct rows above which a unit is not refitted (libsvm's time grows faster than linearly)."""

_C_VALUES = (1e4, 1e7)  # hard margin: C above every dual variable


def svm_direction(A: np.ndarray, t: np.ndarray, C: float) -> tuple[np.ndarray, float, bool]:
    """A linear SVM's ``(w, b)`` for targets ``t`` in {-1, +1}, and whether a dual variable is at ``C``.

    Parameters
    ----------
    A : ndarray of shape (m, n)
        Inputs (both targets present).
    t : ndarray of shape (m,)
        Targets in {-1, +1}.
    C : float
        libsvm's penalty; large values give the hard margin on separable targets.
    """
    from sklearn.svm import SVC  # noqa: PLC0415 - scikit-learn loads slowly; only margin runs need it

    scale = float(np.max(np.abs(A))) or 1.0  # one factor for every feature: the same max-margin direction
    svc = SVC(kernel="linear", C=C, tol=1e-7, cache_size=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the result is verified anyway
        svc.fit(A / scale, t)
    sign = 1.0 if svc.classes_[1] > 0 else -1.0
    w = sign * np.asarray(svc.coef_, dtype=np.float64)[0] / scale
    b = sign * float(svc.intercept_[0])
    at_bound = bool(np.any(np.abs(svc.dual_coef_) >= C * (1 - 1e-9)))
    return w, b, at_bound


_svm_direction_or_none = interruptible(svm_direction, abandoned=lambda: None)


def hard_margin_separator(A: np.ndarray, t: np.ndarray) -> UnitVerdict | None:
    """The hard-margin separator of ``t`` over ``A``, verified; None if not found or not verified.

    The weights are normalised so that ``min_i t_i (a_i . w + b) = 1`` (the canonical
    hard-margin form; the geometric margin is then ``1 / ||w||_2``). Constant targets get
    ``w = 0`` (infinite margin).

    ``A`` (m, n) holds the unit's inputs as given and ``t`` (m,) its targets in {-1, +1}; the
    answer is a separable :class:`UnitVerdict` that passed ``verified_separator`` (with its
    geometric margin), or None.

    Examples
    --------
    >>> A = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0], [1.0, 3.0]])
    >>> round(hard_margin_separator(A, np.array([-1, -1, 1, 1])).margin, 6)
    1.5
    """
    A = np.asarray(A, dtype=np.float64)
    t = np.asarray(t).reshape(-1)
    trivial = constant_targets_verdict(A, t)
    if trivial is not None:
        return trivial
    groups = group_identical_rows(A)
    unique, tu = A[groups.first_index], t[groups.first_index]
    if unique.shape[0] > MAX_SVM_ROWS or np.any(t != tu[groups.inverse]):
        return None
    for C in _C_VALUES:
        fitted = _svm_direction_or_none(unique, tu, C)  # None: the deadline in force passed
        if fitted is None:
            return None
        w, b, at_bound = fitted
        if not at_bound:
            break
    low = float(np.min(tu * (unique @ w + b)))
    if not (low > 0 and math.isfinite(low)):
        return None
    return verified_separator(A, t, w / low, b / low)


def network_margins(network: ThresholdNetwork, X: np.ndarray) -> list[list[float | None]]:
    """Geometric margin of every unit on the rows ``X``: ``min_i |z_i| / ||w||_2`` (None: ``w = 0``).

    On a network that fits its training rows this is the margin by which each unit's
    hyperplane separates the codes it computes there.
    """
    out = []
    for Z, layer in zip(network.pre_activations(X), network.layers):
        norms = np.linalg.norm(layer.weights, axis=1)
        low = np.min(np.abs(Z), axis=0) if Z.shape[0] else np.full(Z.shape[1], np.inf)
        out.append([None if norm == 0 else float(v / norm) for v, norm in zip(low, norms)])
    return out


def maximise_network_margins(
    problem: Problem, network: ThresholdNetwork, deadline: Deadline | None = None
) -> tuple[ThresholdNetwork, dict]:
    """Refit every unit of a verified zero-error network to the hard-margin separator of its targets.

    The hidden targets are the network's own codes on the problem's rows, so every unit's
    targets are separable; each refitted unit is verified, and the refitted network is
    returned only if its forward pass again fits the data as given with every sign certain.

    Parameters
    ----------
    problem : Problem
        The problem the network fits.
    network : ThresholdNetwork
        A network verified exact on ``problem.data``.
    deadline : Deadline, optional
        Units left when it passes keep their weights.

    Returns
    -------
    (ThresholdNetwork, dict)
        The network (refitted, or the one given) and statistics: ``margins`` (per layer,
        per unit, geometric, None for a constant unit), ``min_margin`` per layer, and
        ``units_refitted``.
    """
    codes = network.forward(problem.X)
    sign_codes = [np.where(H > 0, 1, -1).astype(np.int8) for H in codes[:-1]]
    layers, refitted = [], 0
    for d, layer in enumerate(network.layers):
        A = problem.layer_inputs(d, sign_codes)
        T = problem.layer_targets(d, sign_codes)
        W, b = np.array(layer.weights, dtype=np.float64), np.array(layer.bias, dtype=np.float64)
        seen: dict[bytes, UnitVerdict | None] = {}  # units with the same targets (copies) share one fit
        for j in range(layer.n_outputs):
            if deadline is not None and deadline.expired():
                break
            key = np.ascontiguousarray(T[:, j]).tobytes()
            if key not in seen:
                seen[key] = hard_margin_separator(A, T[:, j])
            verdict = seen[key]
            if verdict is not None:
                W[j], b[j] = verdict.weights, verdict.bias
                refitted += 1
        layers.append(Layer(W, b, layer.activation))
    candidate = ThresholdNetwork(tuple(layers), classes=network.classes)
    if not candidate.verify(problem.data.X, problem.data.Y).ok:
        candidate, refitted = network, 0
    margins = network_margins(candidate, problem.X)
    stats = {
        "margins": margins,
        "min_margin": [min((v for v in layer if v is not None), default=None) for layer in margins],
        "units_refitted": refitted,
    }
    return candidate, stats


def widen_margins(problem: Problem, incumbent: Incumbent, deadline: Deadline | None = None) -> dict:
    """Replace the incumbent's verified zero-error network by its maximum-margin refit.

    Returns the statistics of :func:`maximise_network_margins` (``margins``, ``min_margin``,
    ``units_refitted``). The replacement is exact too: it is verified before it is kept.
    """
    with (deadline or Deadline(None)).in_force():  # an SVM fit running past the deadline is abandoned
        network, stats = maximise_network_margins(problem, incumbent.network, deadline)
    incumbent.network = network
    return stats
