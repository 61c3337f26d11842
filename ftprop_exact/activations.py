"""Hidden-unit activations: names, parsing, the forward map and its step boundaries.

Three families, one place that knows them (everything else asks here):

- ``"sign"``: +1 if z > 0 else -1;
- ``"step"``: 1 if z > 0 else 0;
- ``"qrelu:K"`` (K >= 2 levels, the paper's quantised ReLU; ``qrelu:4`` is its 2-bit
  qReLU): ``h(z) = #{l in 0..K-2 : z > l}``, a staircase with unit-width steps at the fixed
  positions 0, 1, ..., K-2, so ``h`` is in {0, ..., K-1}. ``qrelu:2`` computes ``step``.

A target *level* ``l`` of a qrelu unit means ``l - 1 < z <= l`` (no lower end for level 0,
no upper end for level K-1). The output layer of a network is always ``sign``.
"""

from __future__ import annotations

import re

import numpy as np

from ftprop_exact.errors import DataError

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_FAMILIES",
    "MAX_LEVELS",
    "activation_boundaries",
    "activation_family",
    "activation_levels",
    "apply_activation",
    "boundary_distance",
    "boundary_towards",
    "check_activation",
    "is_levelled",
    "output_activation",
]

ACTIVATIONS: tuple[str, ...] = ("sign", "step")
"""The activations without a parameter (``qrelu:K`` is the parametric family)."""

ACTIVATION_FAMILIES: tuple[str, ...] = ("sign", "step", "qrelu")
"""Family names, as searchers declare them in ``Capabilities.activations``."""

MAX_LEVELS = 256
"""The largest K accepted in ``qrelu:K``."""

_QRELU = re.compile(r"qrelu:([0-9]{1,6})")
_VALID = "'sign', 'step', 'qrelu:K' (K >= 2 levels)"


def check_activation(name: object) -> str:
    """Return ``name`` if it names an activation, else raise a :class:`DataError`.

    Parameters
    ----------
    name : object
        Candidate activation name: ``"sign"``, ``"step"`` or ``"qrelu:K"`` with an
        integer ``2 <= K <= MAX_LEVELS``.

    Returns
    -------
    str
        The validated name.

    Raises
    ------
    DataError
        When ``name`` is not an activation (the message lists the valid ones) or ``K`` is
        out of range (the message names K).

    Examples
    --------
    >>> check_activation("qrelu:4")
    'qrelu:4'
    """
    if isinstance(name, str) and name in ACTIVATIONS:
        return name
    match = _QRELU.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        raise DataError(f"unknown activation {name!r}; valid activations: {_VALID}")
    levels = int(match.group(1))
    if not 2 <= levels <= MAX_LEVELS:
        raise DataError(f"activation {name!r}: K = {levels} levels is out of range (2 <= K <= {MAX_LEVELS})")
    return name


def activation_levels(name: str) -> int:
    """Number of output values of a unit: 2 for ``sign`` and ``step``, K for ``qrelu:K``.

    Examples
    --------
    >>> activation_levels("sign"), activation_levels("qrelu:4")
    (2, 4)
    """
    name = check_activation(name)
    return int(name.split(":")[1]) if name.startswith("qrelu:") else 2


def activation_family(name: str) -> str:
    """``"sign"``, ``"step"`` or ``"qrelu"`` (what ``Capabilities.activations`` lists).

    Examples
    --------
    >>> activation_family("qrelu:3")
    'qrelu'
    """
    return check_activation(name).split(":")[0]


def is_levelled(name: str) -> bool:
    """True for ``qrelu:K`` units, whose targets are levels 0..K-1 rather than +-1."""
    return activation_family(name) == "qrelu"


def activation_boundaries(name: str) -> np.ndarray:
    """Pre-activation values where the unit's output changes: ``[0]``, or ``0..K-2`` for qrelu.

    Examples
    --------
    >>> activation_boundaries("qrelu:4").tolist()
    [0.0, 1.0, 2.0]
    """
    if is_levelled(name):
        return np.arange(activation_levels(name) - 1, dtype=np.float64)
    return np.zeros(1)


def apply_activation(Z: np.ndarray, activation: str) -> np.ndarray:
    """Apply a hard-threshold activation entry-wise.

    Parameters
    ----------
    Z : ndarray of any shape
        Pre-activations.
    activation : str
        ``"sign"`` maps ``z > 0`` to 1.0 and everything else to -1.0; ``"step"`` maps
        ``z > 0`` to 1.0 and everything else to 0.0; ``"qrelu:K"`` maps ``z`` to the
        number of ``l`` in ``0..K-2`` with ``z > l`` (``clip(ceil(z), 0, K-1)``).

    Returns
    -------
    ndarray of float64, same shape as ``Z``

    Examples
    --------
    >>> apply_activation(np.array([-1.0, 0.0, 2.0]), "sign").tolist()
    [-1.0, -1.0, 1.0]
    >>> apply_activation(np.array([-1.0, 0.0, 2.0]), "step").tolist()
    [0.0, 0.0, 1.0]
    >>> apply_activation(np.array([-1.0, 0.0, 0.5, 1.0, 2.5, 9.0]), "qrelu:4").tolist()
    [0.0, 0.0, 1.0, 1.0, 3.0, 3.0]
    """
    family = activation_family(activation)
    Z = np.asarray(Z, dtype=np.float64)
    if family == "qrelu":
        return np.clip(np.ceil(Z), 0.0, float(activation_levels(activation) - 1))
    return np.where(Z > 0, 1.0, -1.0 if family == "sign" else 0.0)


def output_activation(name: str) -> str:
    """The activation of the output layer of a network whose hidden units are ``name``.

    ``sign`` and ``step`` networks use the same activation throughout; the output of a
    ``qrelu:K`` network is ``sign`` (one unit per class, or one for two classes).
    """
    return "sign" if is_levelled(name) else check_activation(name)


def boundary_towards(Z: np.ndarray, direction: np.ndarray, activation: str) -> np.ndarray:
    """The step a pre-activation must cross to move its output in ``direction`` (+1 up, -1 down).

    ``0`` for sign and step units; for ``qrelu:K`` the step just above ``z`` (``ceil(z)``)
    when moving up and the one just below (``ceil(z) - 1``), clipped to ``0..K-2``. The
    level losses of the mini-batch baselines are the sign losses of ``z - boundary``.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if not is_levelled(activation):
        return np.zeros_like(Z)
    up = np.ceil(Z)
    return np.clip(np.where(np.asarray(direction) > 0, up, up - 1.0), 0.0, float(activation_levels(activation) - 2))


def boundary_distance(Z: np.ndarray, activation: str) -> np.ndarray:
    """Distance of every pre-activation to the nearest step boundary of the activation.

    For ``|Z - l|`` small the subtraction is exact (Sterbenz); elsewhere its relative
    error is one unit roundoff, far below the safety factor of the rounding bounds.
    """
    Z = np.asarray(Z, dtype=np.float64)
    if not is_levelled(activation):
        return np.abs(Z)
    top = float(activation_levels(activation) - 2)
    nearest = np.clip(np.round(Z), 0.0, top)
    return np.abs(Z - nearest)
