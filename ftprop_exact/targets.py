"""Hidden-target files (``T.npz``) and the per-unit separability report over them.

Given data ``X`` with encoded labels ``Y`` and hidden targets ``T_1 .. T_k``, layer ``d``
maps ``T_{d-1}`` (``T_0 = X``) to ``T_d`` and the output layer maps ``T_k`` to ``Y``. The
targets are feasible exactly when every unit of every layer is linearly separable. The
answer does not depend on the activation (``sign`` or ``step``): the two encodings of a
hidden layer differ by an affine map, which preserves linear separability. ``qrelu:K``
hidden targets are levels ``0..K-1``, decided per unit by the level LP.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass

import numpy as np

from ftprop_exact.activations import activation_levels, is_levelled
from ftprop_exact.errors import DataError
from ftprop_exact.solvers.learners.base import SeparabilityLearner, UnitVerdict
from ftprop_exact.solvers.learners.levels import check_level_layer
from ftprop_exact.solvers.registry import make_learner
from ftprop_exact.status import Status

_KEY = re.compile(r"^T([1-9][0-9]*)$")


def load_hidden_targets(path: str | os.PathLike, n_examples: int, levels: int | None = None) -> list[np.ndarray]:
    """Read and validate hidden targets ``T1, T2, ...`` from an NPZ file.

    Parameters
    ----------
    path : path-like
        NPZ file holding arrays named ``T1 .. Tk`` (no gaps, nothing else), each of shape
        (n_examples, width) with values -1 or +1. Loaded with ``allow_pickle=False``.
    n_examples : int
        Number of examples of the data the targets belong to.
    levels : int, optional
        K for ``qrelu:K`` hidden layers: the targets are then integer levels ``0..K-1``.

    Returns
    -------
    list of ndarray
        ``[T1, .., Tk]`` as int8 arrays.

    Raises
    ------
    DataError
        Naming the file, the array and, for a bad value, its row, column and value.
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.files)
            arrays = {key: _read_array(npz, key, path) for key in keys}
    except FileNotFoundError:
        raise DataError(f"{path}: targets file not found") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable NPZ file ({exc})") from None
    bad = [k for k in keys if not _KEY.match(k)]
    if bad:
        raise DataError(f"{path}: unexpected array(s) {bad}; expected only T1, T2, ... (one per hidden layer)")
    depth = len(keys)
    expected = [f"T{d}" for d in range(1, depth + 1)]
    if sorted(keys, key=lambda k: int(k[1:])) != expected:
        raise DataError(f"{path}: hidden targets must be T1..T{depth} without gaps; found {sorted(keys)}")
    return [_validated(arrays[key], key, path, n_examples, levels) for key in expected]


def _read_array(npz: np.lib.npyio.NpzFile, key: str, path: str) -> np.ndarray:
    try:
        return npz[key]
    except ValueError as exc:
        raise DataError(f"{path}: array {key!r} holds Python objects and is refused ({exc})") from None


def _validated(T: np.ndarray, key: str, path: str, n_examples: int, levels: int | None = None) -> np.ndarray:
    if T.ndim != 2:
        raise DataError(f"{path}: {key} must be 2-D (examples x width); got shape {T.shape}")
    if T.shape[0] != n_examples:
        raise DataError(f"{path}: {key} has {T.shape[0]} rows but the data has {n_examples} examples")
    if T.shape[1] == 0:
        raise DataError(f"{path}: {key} has width 0")
    if T.dtype.kind not in "iuf":
        raise DataError(f"{path}: {key} must be numeric (+1/-1); got dtype {T.dtype}")
    if levels is not None:
        bad, allowed = np.argwhere(~((T == np.round(T)) & (T >= 0) & (T <= levels - 1))), f"levels 0..{levels - 1}"
    else:
        bad, allowed = np.argwhere(~((T == 1) | (T == -1))), "-1 or +1"
    if bad.size:
        row, col = (int(v) for v in bad[0])
        raise DataError(f"{path}: {key} row {row} column {col} is {T[row, col]!r}; targets must be {allowed}")
    return T.astype(np.int16 if levels is not None else np.int8)


@dataclass(frozen=True)
class LayerReport:
    """Verdicts of every unit of one layer (``layer`` counts from 1)."""

    layer: int
    units: tuple[UnitVerdict, ...]

    def to_dict(self) -> dict:
        """JSON form: ``{"layer", "units": [{"unit", "separable", ...}]}``."""
        return {"layer": self.layer, "units": [{"unit": k, **v.to_dict()} for k, v in enumerate(self.units)]}


@dataclass(frozen=True)
class TargetsReport:
    """Outcome of checking hidden targets: FEASIBLE iff every unit is separable."""

    status: Status
    layers: tuple[LayerReport, ...]

    def to_dict(self) -> dict:
        """JSON form: ``{"status", "layers": [...]}``."""
        return {"status": self.status.value, "layers": [layer.to_dict() for layer in self.layers]}


def check_targets(
    X: np.ndarray,
    Y: np.ndarray,
    hidden_targets: list[np.ndarray],
    learner: SeparabilityLearner | None = None,
    activation: str = "sign",
) -> TargetsReport:
    """Check every unit of every layer for linear separability.

    Parameters
    ----------
    X : ndarray of shape (m, n)
        Inputs as given.
    Y : ndarray of shape (m, k)
        Output targets in {-1, +1} (the encoded labels).
    hidden_targets : list of ndarray
        ``[T1, .., Tk]``, each (m, width) in {-1, +1}; empty for a single-layer network.
    learner : SeparabilityLearner, optional
        Defaults to the exact LP learner (not the package default ``"auto"``: the report
        gives each separable unit's maximum margin, which only the LP computes).
    activation : str, default="sign"
        Hidden activation. For ``qrelu:K`` the hidden targets are levels ``0..K-1`` (the
        next layer reads them as they are) and each hidden unit is decided by the level LP
        (:func:`~ftprop_exact.solvers.learners.levels.check_level_unit`: verified weights
        or an exact certificate over (row, step) pairs).

    Returns
    -------
    TargetsReport
        FEASIBLE when every unit is separable, INFEASIBLE when some unit has a verified
        certificate, UNKNOWN when a unit is undecided and none is certified non-separable.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> Y = np.array([[-1], [1], [1], [-1]])                     # XOR
    >>> T1 = np.array([[-1, -1], [1, -1], [1, -1], [1, 1]])      # OR, AND
    >>> check_targets(X, Y, [T1]).status
    <Status.FEASIBLE: 'FEASIBLE'>
    >>> check_targets(X, Y, []).status
    <Status.INFEASIBLE: 'INFEASIBLE'>
    """
    learner = learner if learner is not None else make_learner("lp")
    inputs = [np.asarray(X, dtype=np.float64)] + [np.asarray(T, dtype=np.float64) for T in hidden_targets]
    outputs = list(hidden_targets) + [np.asarray(Y).reshape(len(X), -1)]
    levels = activation_levels(activation) if is_levelled(activation) else None

    def decide(d: int, A: np.ndarray, T: np.ndarray) -> list:
        if levels is not None and d < len(hidden_targets):
            return check_level_layer(A, T, levels, learner)
        return learner.check_layer(A, T)

    layers = tuple(
        LayerReport(layer=d + 1, units=tuple(decide(d, A, T))) for d, (A, T) in enumerate(zip(inputs, outputs))
    )
    verdicts = [v.separable for layer in layers for v in layer.units]
    if all(v is True for v in verdicts):
        status = Status.FEASIBLE
    elif any(v is False for v in verdicts):
        status = Status.INFEASIBLE
    else:
        status = Status.UNKNOWN
    return TargetsReport(status=status, layers=layers)
