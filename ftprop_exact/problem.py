"""A training problem as the searchers see it: distinct rows, targets, architecture."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ftprop_exact.data import Dataset
from ftprop_exact.activations import check_activation, is_levelled
from ftprop_exact.proofs.claim import Claim, data_fingerprint
from ftprop_exact.rows import group_identical_rows
from ftprop_exact.weights import parse_weights


def check_hidden(hidden: object) -> tuple[int, ...]:
    """Validate hidden widths: a sequence of positive integers (possibly empty).

    Examples
    --------
    >>> check_hidden([3, 2])
    (3, 2)
    """
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    try:
        widths = tuple(hidden)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"hidden must be a sequence of positive integers; got {hidden!r}") from None
    for w in widths:
        if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 1:
            raise ValueError(f"hidden widths must be positive integers; got {hidden!r}")
    return tuple(int(w) for w in widths)


@dataclass(frozen=True, eq=False)
class Problem:
    """Distinct training rows and the network architecture to fit.

    Duplicate examples are merged (a network fits a row or not, however often it occurs);
    ``counts`` remembers the multiplicities and ``row_index`` the original row of each
    distinct row, so that certificates name rows of the data as given.

    Attributes
    ----------
    data : Dataset
        The data as given (the final verification runs on it).
    X : ndarray of shape (u, n)
        Distinct rows.
    Y : ndarray of shape (u, k)
        Their targets in {-1, +1}.
    counts : ndarray of shape (u,)
        Multiplicity of each distinct row.
    row_index : ndarray of shape (u,)
        Original 0-based row of each distinct row (its first occurrence).
    hidden : tuple of int
        Hidden widths (empty: a single layer).
    activation : str
        ``"sign"`` or ``"step"``.
    conflict : tuple of (int, int) or None
        Two original rows with identical features and different labels (then no network fits).
    weights : str, default="real"
        Weight domain of the networks sought (:mod:`ftprop_exact.weights`); named by claims.
    """

    data: Dataset
    X: np.ndarray
    Y: np.ndarray
    counts: np.ndarray
    row_index: np.ndarray
    hidden: tuple[int, ...]
    activation: str
    conflict: tuple[int, int] | None
    weights: str = "real"

    @classmethod
    def build(
        cls, data: Dataset, hidden: object, activation: str = "sign", merge: str = "features", weights: str = "real"
    ) -> Problem:
        """Merge duplicates of ``data`` and validate the architecture.

        Parameters
        ----------
        data : Dataset
            The data as given.
        hidden : sequence of int
            Hidden widths.
        activation : {"sign", "step", "qrelu:K"}
            Hidden-unit activation.
        merge : {"features", "examples"}, default="features"
            "features" merges rows with equal features (two labels on one row then make the
            problem infeasible: ``conflict``); "examples" merges only rows with equal
            features AND labels, as minimising errors needs (such rows stay apart and the
            model gives them the same hidden values).
        weights : str, default="real"
            Weight domain (``"real"``, ``"ternary"``, ``"int:K"``).
        """
        if merge == "features":
            merged = data.merge_duplicates()
            X, Y, counts, index, conflict = merged.X, merged.Y, merged.counts, merged.first_index, merged.conflict
        elif merge == "examples":
            groups = group_identical_rows(np.hstack([data.X, data.Y.astype(np.float64)]))
            index, conflict = groups.first_index, None
            X, Y, counts = data.X[index], data.Y[index], groups.counts()
        else:
            raise ValueError(f"merge must be 'features' or 'examples'; got {merge!r}")
        return cls(
            data=data,
            X=X,
            Y=Y,
            counts=counts,
            row_index=index,
            hidden=check_hidden(hidden),
            activation=check_activation(activation),
            conflict=conflict,
            weights=parse_weights(weights).name,
        )

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the data as given (see :func:`ftprop_exact.proofs.claim.data_fingerprint`)."""
        return data_fingerprint(self.data)

    def claim(self, lower_bound: int | None = None, max_weight: int | None = None, objective: str | None = None) -> Claim:
        """The claim "no network of this architecture (and weight domain) fits" (or "... has
        >= ``lower_bound`` errors", or with ``objective="min_weight"`` "... non-zero weights")."""
        return Claim.of(
            self.data, self.hidden, self.activation, lower_bound, max_weight, self.fingerprint, self.weights, objective
        )

    @property
    def n_rows(self) -> int:
        """Number of distinct rows."""
        return int(self.X.shape[0])

    @property
    def widths(self) -> tuple[int, ...]:
        """Units per layer, input layer first: ``(n, *hidden, k)``."""
        return (int(self.X.shape[1]), *self.hidden, int(self.Y.shape[1]))

    @property
    def depth(self) -> int:
        """Number of layers with weights."""
        return len(self.hidden) + 1

    def layer_inputs(self, d: int, hidden_targets: list[np.ndarray]) -> np.ndarray:
        """Inputs of layer ``d`` (0-based) in the activation's encoding.

        Layer 0 reads ``X``; layer ``d`` reads hidden targets ``T_d`` as the network would
        compute them: +-1 for ``sign``, 0/1 for ``step``, the levels 0..K-1 themselves for
        ``qrelu:K`` (whose hidden targets are levels).
        """
        if d == 0:
            return np.asarray(self.X, dtype=np.float64)
        T = np.asarray(hidden_targets[d - 1], dtype=np.float64)
        return T if self.activation == "sign" or is_levelled(self.activation) else (T + 1.0) / 2.0

    def layer_targets(self, d: int, hidden_targets: list[np.ndarray]) -> np.ndarray:
        """Targets of layer ``d`` (0-based): a hidden target matrix, or ``Y`` for the output."""
        return self.Y if d == len(self.hidden) else hidden_targets[d]
