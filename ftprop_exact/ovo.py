"""One-vs-one training (``multiclass="ovo"``): one :func:`~ftprop_exact.solve` per pair of classes.

Each pair ``(i, j)`` of classes gets its own binary network of the same hidden widths, trained
on the rows of those two classes; the :class:`~ftprop_exact.ensemble.VotingEnsemble` of the
members predicts by majority vote (ties: see :mod:`ftprop_exact.ensemble`). The time limit is
shared: each pair gets an equal share of the time still left when it starts.

The verdict is FEASIBLE when every member is FEASIBLE (the ensemble then fits the training
data exactly, :mod:`ftprop_exact.ensemble`), otherwise UNKNOWN: a pair with no zero-error
network does not prove that no ensemble classifies the data correctly by its vote, so no
INFEASIBLE answer is given for the ensemble (each pair's own verdict and proof are in
``results``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ftprop_exact.api import solve
from ftprop_exact.budget import Deadline
from ftprop_exact.data import Dataset, make_dataset
from ftprop_exact.ensemble import VotingEnsemble
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.result import Result
from ftprop_exact.status import Status

__all__ = ["MULTICLASS", "OvoResult", "class_pairs", "solve_one_vs_one"]

MULTICLASS = ("ovr", "ovo")
"""``ovr``: one network, one output unit per class (the default); ``ovo``: one network per pair."""

Fallback = Callable[[np.ndarray, np.ndarray, Result, Deadline], ThresholdNetwork]


@dataclass(frozen=True)
class OvoResult:
    """The answer of a one-vs-one run.

    Attributes
    ----------
    status : Status
        FEASIBLE when every member fits its pair exactly, else UNKNOWN.
    ensemble : VotingEnsemble or None
        The ensemble (None when some member has no network and no fallback was given).
    results : tuple of Result
        Every pair's own answer, in the order of ``ensemble.pairs``.
    errors : int or None
        Training rows the ensemble's vote gets wrong (0 when FEASIBLE).
    stats : dict
        ``seconds``, ``pairs``, ``pairs_feasible`` and per pair ``pair_status``.
    """

    status: Status
    ensemble: VotingEnsemble | None
    results: tuple[Result, ...]
    errors: int | None
    stats: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, shaped like :meth:`Result.to_dict` (``network`` holds the ensemble)."""
        return {
            "status": self.status.value,
            "multiclass": "ovo",
            "network": None if self.ensemble is None else self.ensemble.to_dict(),
            "errors": self.errors,
            "stats": dict(self.stats),
        }


def class_pairs(k: int) -> tuple[tuple[int, int], ...]:
    """Every pair ``i < j`` of ``k`` class indices, in lexicographic order."""
    return tuple((i, j) for i in range(k) for j in range(i + 1, k))


def solve_one_vs_one(
    X: Any,
    y: Any = None,
    *,
    deadline: Deadline | None = None,
    time_limit: float | None = 60.0,
    fallback: Fallback | None = None,
    **solve_options: Any,
) -> OvoResult:
    """Fit one binary network per pair of classes and combine them by majority vote.

    Parameters
    ----------
    X : array-like of shape (m, n) or Dataset
        Features (or a Dataset, then ``y=None``).
    y : array-like of shape (m,), optional
        Labels.
    deadline : Deadline, optional
        The whole run's deadline (default: ``time_limit`` from now).
    time_limit : float or None, default=60.0
        Seconds for all pairs together.
    fallback : callable, optional
        ``fallback(X_pair, y_pair, result, deadline) -> ThresholdNetwork`` for a pair whose
        answer has no network; without it such a run has no ensemble.
    **solve_options
        Passed to every :func:`~ftprop_exact.solve` (``hidden``, ``searcher``, ``objective``, ...).

    Returns
    -------
    OvoResult
    """
    data = X if isinstance(X, Dataset) else make_dataset(X, y)
    deadline = deadline if deadline is not None else Deadline(time_limit)
    codes = np.argmax(data.Y, axis=1) if data.Y.shape[1] > 1 else (data.Y[:, 0] > 0).astype(np.intp)
    pairs = class_pairs(len(data.classes))
    results, members = [], []
    for p, (i, j) in enumerate(pairs):
        rows = np.flatnonzero((codes == i) | (codes == j))
        Xp, yp = data.X[rows], np.where(codes[rows] == j, 1, 0)
        share = Deadline(deadline.remaining() / (len(pairs) - p), parent=deadline)
        result = solve(Xp, yp, deadline=share, **solve_options)
        network = result.network
        if network is None and fallback is not None:
            network = fallback(Xp, yp, result, share)
        results.append(result)
        members.append(None if network is None else _relabelled(network, (data.classes[i], data.classes[j])))
    feasible = sum(r.status is Status.FEASIBLE for r in results)
    ensemble = None if any(m is None for m in members) else VotingEnsemble(tuple(members), pairs, data.classes)
    errors = None if ensemble is None else int(np.sum(ensemble.predict(data.X) != np.asarray(data.y)))
    status = Status.FEASIBLE if feasible == len(pairs) and errors == 0 else Status.UNKNOWN
    stats = {
        "seconds": deadline.elapsed(),
        "pairs": len(pairs),
        "pairs_feasible": feasible,
        "pair_status": [r.status.value for r in results],
    }
    return OvoResult(status, ensemble, tuple(results), errors, stats)


def _relabelled(network: ThresholdNetwork, classes: tuple) -> ThresholdNetwork:
    """The binary network of codes 0 -> ``classes[0]``, 1 -> ``classes[1]``, with its classes in that order.

    A network whose classes are ``(1, 0)`` (a fallback's constant network) gets its output
    unit negated (it predicts the same class wherever its pre-activation is not 0).
    """
    layers = network.layers
    if tuple(network.classes) == (1, 0):
        out = layers[-1]
        layers = (*layers[:-1], Layer(-np.asarray(out.weights), -np.asarray(out.bias), out.activation))
    return ThresholdNetwork(layers, classes=classes)
