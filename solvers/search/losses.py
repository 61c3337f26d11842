"""Per-layer losses of FTPROP, pluggable by name.

A layer loss compares a unit's pre-activation ``z`` with its target ``t`` in {-1, +1}
(Friesen & Domingos 2018, Sec. 4):

========================  ==============================  ==========================
name                      value ``l(z, t)``               derivative ``dl/dz``
========================  ==============================  ==========================
``"hinge"``               ``max(0, 1 - t z)``             ``-t`` where ``t z < 1``
``"saturated_hinge"``     ``min(2, max(0, 1 - t z))``     ``-t`` where ``-1 < t z < 1``
``"soft_hinge"``          ``tanh(-t z) + 1``              ``-t (1 - tanh(t z)^2)``
========================  ==============================  ==========================

The hinge loss is convex (its minimiser over weights is an LP, see
:func:`ftprop_exact.solvers.learners.lp.fit_hinge`); the other two are not and are minimised by
gradient descent, warm-started at the hinge optimum (see
:func:`ftprop_exact.solvers.search.deltas.fit_unit`). At a kink the derivative takes the
subgradient value of the open region on the side where ``t z`` is smaller.

Examples
--------
>>> import numpy as np
>>> loss = make_loss("hinge")
>>> loss.value(np.array([0.5, 2.0]), np.array([1, 1])).tolist()
[0.5, 0.0]
>>> make_loss("soft_hinge").value(np.array([0.0]), np.array([1])).tolist()
[1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["LayerLoss", "loss_names", "make_loss"]

_Array = np.ndarray


@dataclass(frozen=True)
class LayerLoss:
    """A loss ``l(z, t)`` of one unit-example, with its derivative in ``z``.

    Attributes
    ----------
    name : str
        Registry name (see :func:`loss_names`).
    convex : bool
        True for the hinge loss (then the best weights are an LP optimum).
    """

    name: str
    convex: bool
    _value: Callable[[_Array], _Array]
    _slope: Callable[[_Array], _Array]

    def value(self, z: _Array, t: _Array) -> _Array:
        """Loss of every entry.

        Parameters
        ----------
        z : ndarray
            Pre-activations.
        t : ndarray
            Targets in {-1, +1}, broadcastable against ``z``.

        Returns
        -------
        ndarray of float64, the broadcast shape
        """
        return self._value(np.asarray(t, dtype=np.float64) * np.asarray(z, dtype=np.float64))

    def derivative(self, z: _Array, t: _Array) -> _Array:
        """Derivative ``dl/dz`` of every entry (a subgradient at kinks).

        Parameters
        ----------
        z : ndarray
            Pre-activations.
        t : ndarray
            Targets in {-1, +1}, broadcastable against ``z``.

        Returns
        -------
        ndarray of float64, the broadcast shape
        """
        t = np.asarray(t, dtype=np.float64)
        return t * self._slope(t * np.asarray(z, dtype=np.float64))


# Each loss is a function of the margin s = t z; dl/dz = t * dl/ds.
def _hinge(s: _Array) -> _Array:
    return np.maximum(0.0, 1.0 - s)


def _hinge_slope(s: _Array) -> _Array:
    return np.where(s < 1.0, -1.0, 0.0)


def _saturated_hinge(s: _Array) -> _Array:
    return np.clip(1.0 - s, 0.0, 2.0)


def _saturated_hinge_slope(s: _Array) -> _Array:
    return np.where((s < 1.0) & (s > -1.0), -1.0, 0.0)


def _soft_hinge(s: _Array) -> _Array:
    return np.tanh(-s) + 1.0


def _soft_hinge_slope(s: _Array) -> _Array:
    return -(1.0 - np.tanh(s) ** 2)


_LOSSES: dict[str, LayerLoss] = {
    "hinge": LayerLoss("hinge", True, _hinge, _hinge_slope),
    "saturated_hinge": LayerLoss("saturated_hinge", False, _saturated_hinge, _saturated_hinge_slope),
    "soft_hinge": LayerLoss("soft_hinge", False, _soft_hinge, _soft_hinge_slope),
}


def loss_names() -> tuple[str, ...]:
    """Names accepted by :func:`make_loss`."""
    return tuple(sorted(_LOSSES))


def make_loss(name: str | LayerLoss) -> LayerLoss:
    """Return the layer loss called ``name`` (a :class:`LayerLoss` is returned as is).

    Parameters
    ----------
    name : str or LayerLoss
        One of :func:`loss_names`.

    Returns
    -------
    LayerLoss

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.

    Examples
    --------
    >>> make_loss("saturated_hinge").name
    'saturated_hinge'
    """
    if isinstance(name, LayerLoss):
        return name
    try:
        return _LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(loss_names())}") from None
