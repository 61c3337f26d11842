"""One-vs-one ensembles of threshold networks (``multiclass="ovo"``), and loading either model kind.

A :class:`VotingEnsemble` holds one binary :class:`~ftprop_exact.network.ThresholdNetwork`
per pair of classes ``(i, j)``, ``i < j`` (as in BeMi, Bernardelli et al. 2023). Each member
votes for ``classes[j]`` where its output pre-activation ``z`` is > 0, else for
``classes[i]``. The predicted class has the most votes; ties are broken deterministically by
the members' summed confidences (``z`` for ``j``, ``-z`` for ``i``; squashed into (-1/3, 1/3) and
added to the votes), then by class order (the first class wins) — the same rule as
scikit-learn's one-vs-one decision function, so ``predict`` is the argmax of
:meth:`VotingEnsemble.decision_function`.

If every member fits its pair's training rows exactly, the ensemble fits the training data: the
true class wins all ``k - 1`` of its pairs and every other class loses at least the pair
against it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.atomic import write_text_atomic
from ftprop_exact.errors import DataError
from ftprop_exact.network import ThresholdNetwork, _label_array

__all__ = ["ENSEMBLE_KIND", "VotingEnsemble", "load_model", "model_from_dict"]

ENSEMBLE_KIND = "ovo"
"""The ``kind`` of an ensemble file (docs/formats.md); a plain network file has no ``kind``."""


@dataclass(frozen=True)
class VotingEnsemble:
    """One-vs-one voting ensemble of binary threshold networks.

    Parameters
    ----------
    members : sequence of ThresholdNetwork
        One binary network per pair; member ``p`` has ``classes == (classes[i], classes[j])``
        for ``pairs[p] == (i, j)``.
    pairs : sequence of (int, int)
        Every pair ``i < j`` of class indices, each once.
    classes : sequence
        The class labels (at least 2), as in a network.

    Examples
    --------
    >>> from ftprop_exact.network import Layer
    >>> net = lambda w, b, c: ThresholdNetwork((Layer([w], [b]),), classes=c)
    >>> ens = VotingEnsemble((net([1.0], 0.0, ("a", "b")), net([1.0], -5.0, ("a", "c")), net([1.0], -5.0, ("b", "c"))),
    ...                      ((0, 1), (0, 2), (1, 2)), ("a", "b", "c"))
    >>> ens.predict([[-1.0], [1.0], [9.0]]).tolist()
    ['a', 'b', 'c']
    """

    members: tuple[ThresholdNetwork, ...]
    pairs: tuple[tuple[int, int], ...]
    classes: tuple

    def __post_init__(self) -> None:
        try:
            pairs = tuple(tuple(int(v) for v in p) for p in self.pairs)
        except (TypeError, ValueError):
            raise DataError(f"ensemble: every pair must be two class indices; got {list(self.pairs)!r:.120}") from None
        members, classes = tuple(self.members), tuple(self.classes)
        k = len(classes)
        expected = {(i, j) for i in range(k) for j in range(i + 1, k)}
        if k < 2 or len(pairs) != len(expected) or set(pairs) != expected:
            raise DataError(f"ensemble: pairs must list every pair i < j of the {k} classes once; got {list(pairs)}")
        if len(members) != len(pairs):
            raise DataError(f"ensemble: {len(members)} members for {len(pairs)} pairs")
        for p, (net, (i, j)) in enumerate(zip(members, pairs)):
            if not isinstance(net, ThresholdNetwork) or net.n_outputs != 1:
                raise DataError(f"ensemble: members[{p}] must be a binary network (one output unit)")
            if tuple(net.classes) != (classes[i], classes[j]):
                raise DataError(f"ensemble: members[{p}] has classes {list(net.classes)}, expected {[classes[i], classes[j]]}")
            if net.n_inputs != members[0].n_inputs:
                raise DataError(f"ensemble: members[{p}] reads {net.n_inputs} inputs, members[0] {members[0].n_inputs}")
        object.__setattr__(self, "members", members)
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "classes", classes)

    @property
    def n_inputs(self) -> int:
        """Number of input features."""
        return self.members[0].n_inputs

    def votes(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Votes ``(m, k)`` (int) and summed confidences ``(m, k)`` of every class."""
        outputs = [net.pre_activations(X)[-1][:, 0] for net in self.members]  # validates X
        votes = np.zeros((outputs[0].size, len(self.classes)), dtype=np.int64)
        confidence = np.zeros(votes.shape)
        for z, (i, j) in zip(outputs, self.pairs):
            votes[:, j] += z > 0
            votes[:, i] += ~(z > 0)
            confidence[:, j] += z
            confidence[:, i] -= z
        return votes, confidence

    def decision_function(self, X: Any) -> np.ndarray:
        """Votes plus confidences squashed into (-1/3, 1/3), shape ``(m, k)``: its argmax is the prediction."""
        votes, confidence = self.votes(X)
        return votes + confidence / (3.0 * (np.abs(confidence) + 1.0))

    def predict(self, X: Any) -> np.ndarray:
        """The class with the most votes (ties: module docstring), labels from ``classes``."""
        return _label_array(self.classes)[np.argmax(self.decision_function(X), axis=1)]

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "ovo", "classes": [...], "members": [{"pair": [i, j], "network": {...}}]}``."""
        return {
            "kind": ENSEMBLE_KIND,
            "classes": list(self.classes),
            "members": [{"pair": list(p), "network": net.to_dict()} for p, net in zip(self.pairs, self.members)],
        }

    @classmethod
    def from_dict(cls, d: Any) -> VotingEnsemble:
        """Build an ensemble from :meth:`to_dict`'s layout; DataError naming the member on bad content."""
        if not isinstance(d, dict) or set(d) != {"kind", "classes", "members"} or d["kind"] != ENSEMBLE_KIND:
            raise DataError('ensemble: expected exactly the keys "kind" ("ovo"), "classes", "members"')
        if not isinstance(d["members"], list) or not isinstance(d["classes"], list):
            raise DataError("ensemble: classes and members must be lists")
        members, pairs = [], []
        for p, raw in enumerate(d["members"]):
            if not isinstance(raw, dict) or set(raw) != {"pair", "network"}:
                raise DataError(f'ensemble: members[{p}] needs exactly the keys "pair" and "network"')
            try:
                members.append(ThresholdNetwork.from_dict(raw["network"]))
            except DataError as exc:
                raise DataError(f"ensemble: members[{p}].network: {exc}") from None
            pairs.append(tuple(raw["pair"]) if isinstance(raw["pair"], list) else ())
        return cls(tuple(members), tuple(pairs), tuple(d["classes"]))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the ensemble to a JSON file atomically."""
        write_text_atomic(path, json.dumps(self.to_dict(), allow_nan=False) + "\n")


def model_from_dict(d: Any) -> ThresholdNetwork | VotingEnsemble:
    """A network, or an ensemble when ``d["kind"] == "ovo"``."""
    if isinstance(d, dict) and "kind" in d:
        return VotingEnsemble.from_dict(d)
    return ThresholdNetwork.from_dict(d)


def load_model(path: str | os.PathLike[str]) -> ThresholdNetwork | VotingEnsemble:
    """Read a network or ensemble file (docs/formats.md); DataError starting with the path on bad content."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        return model_from_dict(json.loads(text))
    except json.JSONDecodeError as exc:
        raise DataError(f"{os.fspath(path)}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except DataError as exc:
        raise DataError(f"{os.fspath(path)}: {exc}") from None
