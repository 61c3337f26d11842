"""Weight domains (``"real"``, ``"ternary"``, ``"int:K"``) and the exact integer view of the data.

A network in an integer domain has integer weights ``|w| <= K`` (``K = 1`` for ternary,
``{-1, 0, 1}``) in every layer, the first included, and integer biases. The bias is not
bounded by the domain; the exact model bounds it without loss (docs/exact_search.md,
"Integer weight domains"): on given inputs a unit with ``|b|`` beyond the largest
``|w . x|`` plus one outputs a constant, as does the bias of that size.

CP-SAT needs integer coefficients: the features are multiplied by one common integer ``D``
(every float is a rational ``p / 2^e``; ``D`` is the least common denominator of all of
them), so ``w . x + b > 0`` iff ``w . (D x) + D b > 0``, exactly. ``D`` is global, not per
feature: with bounded weights a per-feature scale would change the set of networks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ftprop_exact.errors import DataError

WEIGHT_KINDS = ("real", "ternary", "int")
_INT = re.compile(r"int:([1-9][0-9]{0,8})")

MAX_SCALED_MAGNITUDE = 2**40
"""Largest ``K * max_i sum_j |D x_ij|`` (a bound on any first-layer pre-activation in
scaled units) that the integer model accepts; CP-SAT works in 64-bit integers."""


@dataclass(frozen=True)
class WeightDomain:
    """A parsed weight domain.

    Attributes
    ----------
    name : str
        The canonical spelling: ``"real"``, ``"ternary"`` or ``"int:K"``.
    bound : int or None
        ``K`` (``|w| <= K``; 1 for ternary); None for real weights.

    Examples
    --------
    >>> parse_weights("int:3").bound, parse_weights("ternary").bound, parse_weights("real").integer
    (3, 1, False)
    """

    name: str
    bound: int | None

    @property
    def integer(self) -> bool:
        """True for the integer domains (ternary and int:K)."""
        return self.bound is not None

    @property
    def kind(self) -> str:
        """``"real"``, ``"ternary"`` or ``"int"`` (the names searchers declare in ``Capabilities.weights``)."""
        return self.name.split(":")[0]


def weights_problem(text: object) -> str | None:
    """Why ``text`` is not a weight domain (None when it is one)."""
    if not isinstance(text, str):
        return f"a weight domain is a string; got {text!r}"
    if text in ("real", "ternary") or _INT.fullmatch(text):
        return None
    return f"unknown weight domain {text!r}; use 'real', 'ternary' or 'int:K' with an integer K >= 1 (e.g. 'int:3')"


def parse_weights(text: object) -> WeightDomain:
    """Parse a weight domain.

    Raises
    ------
    ValueError
        For anything but ``"real"``, ``"ternary"`` or ``"int:K"`` (K a positive integer).
    """
    problem = weights_problem(text)
    if problem is not None:
        raise ValueError(problem)
    assert isinstance(text, str)
    if text == "real":
        return WeightDomain("real", None)
    if text == "ternary":
        return WeightDomain("ternary", 1)
    return WeightDomain(text, int(text.split(":")[1]))


def network_outside_domain(network: object, domain: WeightDomain) -> str | None:
    """Which weight or bias of ``network`` lies outside ``domain`` (None: all inside).

    Parameters
    ----------
    network : ThresholdNetwork
        Any network (its layers' ``weights`` and ``bias``).
    domain : WeightDomain
        Integer domains check integrality and ``|w| <= K``; real weights always pass.
    """
    if not domain.integer:
        return None
    for d, layer in enumerate(network.layers):  # type: ignore[attr-defined]
        W, b = np.asarray(layer.weights), np.asarray(layer.bias)
        if not np.all(np.isfinite(W)) or not np.array_equal(W, np.round(W)) or np.abs(W).max(initial=0) > domain.bound:
            return f"layers[{d}].weights are not integers with |w| <= {domain.bound} ({domain.name})"
        if not np.all(np.isfinite(b)) or not np.array_equal(b, np.round(b)):
            return f"layers[{d}].bias is not integer ({domain.name})"
    return None


@dataclass(frozen=True)
class IntegerInputs:
    """The features times one common integer: ``values = scale * X`` exactly.

    Attributes
    ----------
    values : list of list of int
        ``scale * X`` as Python integers (rows of the distinct data).
    scale : int
        ``D``, the least common denominator of every feature value.
    l1_max : int
        ``max_i sum_j |values_ij|``: bounds ``|w . (D x)|`` by ``K * l1_max``.
    """

    values: list[list[int]]
    scale: int
    l1_max: int


def integer_inputs(X: np.ndarray, bound: int) -> IntegerInputs:
    """Scale the features exactly to integers with one common factor (see the module doc).

    Raises
    ------
    DataError
        When the factor makes the model's numbers too large for CP-SAT's 64-bit arithmetic
        (``bound * l1_max > MAX_SCALED_MAGNITUDE``), naming the factor.
    """
    fractions = [[Fraction(float(v)) for v in row] for row in np.asarray(X, dtype=np.float64)]
    scale = 1
    for row in fractions:
        for f in row:
            scale = math.lcm(scale, f.denominator)
    values = [[int(f * scale) for f in row] for row in fractions]
    l1_max = max((sum(abs(v) for v in row) for row in values), default=0)
    if bound * l1_max > MAX_SCALED_MAGNITUDE:
        raise DataError(
            f"integer weights need the features as exact integers: the common factor would be {scale} "
            f"(largest scaled row sum {l1_max}), too large for CP-SAT's 64-bit arithmetic with |w| <= {bound}; "
            "round the features to fewer binary digits (e.g. to integers or multiples of 1/256) first"
        )
    return IntegerInputs(values, scale, l1_max)


def bias_bound(max_abs_dot: int, scale: int) -> int:
    """``floor(max_abs_dot / scale) + 1``: integer biases beyond it change no output.

    ``max_abs_dot`` bounds ``|w . (scale x)|`` over the data; with ``|b| > max_abs_dot / scale``
    every pre-activation has the sign of ``b``, as it has with ``b = +-(bias_bound)``.

    Examples
    --------
    >>> bias_bound(7, 2), bias_bound(6, 2), bias_bound(0, 1)
    (4, 4, 1)
    """
    return max_abs_dot // scale + 1


def nonzero_weights(network: object) -> int:
    """Non-zero weights of every layer of ``network`` (biases not counted).

    Examples
    --------
    >>> from ftprop_exact.network import Layer, ThresholdNetwork
    >>> nonzero_weights(ThresholdNetwork((Layer([[0.0, 2.0]], [1.0]),), classes=(0, 1)))
    1
    """
    return int(sum(np.count_nonzero(layer.weights) for layer in network.layers))  # type: ignore[attr-defined]
