"""Hard-threshold networks: forward pass, prediction, exact verification, JSON files.

Notation (used throughout the package): ``H_0 = X`` of shape ``(m, n)``, and for layer
``d = 1..L``::

    Z_d = H_{d-1} @ W_d.T + b_d        W_d of shape (out, in), b_d of shape (out,)
    H_d = act(Z_d)

with ``act`` one of :data:`ACTIVATIONS`: ``"sign"`` (+1 if z > 0 else -1) or ``"step"``
(1 if z > 0 else 0), or for hidden layers ``"qrelu:K"`` (the level ``#{l in 0..K-2 : z > l}``;
:mod:`ftprop_exact.activations`). A sign or step unit is "on" when ``z > 0``.

A network always applies to the data *as given*: no scaling, centring or label mapping
happens here. :meth:`ThresholdNetwork.verify` re-checks a network against ``+-1`` targets
and flags every unit-example whose pre-activation is so close to 0 that floating-point
rounding could have flipped its sign (see :mod:`ftprop_exact.rounding`).

The JSON file layout (what :meth:`ThresholdNetwork.to_dict` gives and
:meth:`ThresholdNetwork.from_dict` takes) is exactly::

    {"layers": [{"weights": [[...], ...], "bias": [...], "activation": "sign"}, ...],
     "classes": [...]}
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.atomic import write_text_atomic
from ftprop_exact.activations import (
    ACTIVATIONS,
    activation_levels,
    apply_activation,
    boundary_distance,
    check_activation,
    is_levelled,
)
from ftprop_exact.errors import DataError
from ftprop_exact.rounding import affine_is_exact, affine_rounding_bound

__all__ = [
    "ACTIVATIONS",
    "Layer",
    "ThresholdNetwork",
    "Verification",
    "apply_activation",
    "check_activation",
]

_LAYER_KEYS = ("weights", "bias", "activation")
_NETWORK_KEYS = ("layers", "classes")


# --------------------------------------------------------------------------------------
# Small validation helpers
# --------------------------------------------------------------------------------------


def _readonly_float_array(value: Any, what: str) -> np.ndarray:
    """Return a read-only float64 copy of ``value`` or raise a :class:`DataError`."""
    try:
        array = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DataError(f"{what}: expected numbers, got {value!r:.80} ({exc})") from None
    if not np.all(np.isfinite(array)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise DataError(f"{what}: non-finite value {array[bad]!r} at index {bad}")
    array.setflags(write=False)
    return array


def _native_class(label: Any, index: int) -> str | int | float | bool:
    """Convert one class label to a native, JSON-representable Python scalar."""
    if isinstance(label, np.generic):
        label = label.item()
    if isinstance(label, (str, bool, int)):
        return label
    if isinstance(label, float):
        if not math.isfinite(label):
            raise DataError(f"classes[{index}]: class label must be finite, got {label!r}")
        return label
    raise DataError(
        f"classes[{index}]: a class label must be a str, int, float or bool, "
        f"got {type(label).__name__} {label!r:.80}"
    )


def _label_array(classes: tuple) -> np.ndarray:
    """Return the class labels as an array that preserves their Python types."""
    labels = np.array(classes)
    if labels.dtype.kind in "US" and not all(isinstance(c, str) for c in classes):
        labels = np.array(classes, dtype=object)
    return labels


# --------------------------------------------------------------------------------------
# Layer
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Layer:
    """One fully connected layer of hard-threshold units.

    Parameters
    ----------
    weights : array_like of shape (out, in)
        One row per unit; stored as a read-only float64 copy.
    bias : array_like of shape (out,)
        One bias per unit; stored as a read-only float64 copy.
    activation : {"sign", "step", "qrelu:K"}, default "sign"
        The unit nonlinearity (:mod:`ftprop_exact.activations`).

    Raises
    ------
    DataError
        On a bad shape, a non-finite or non-numeric entry, or an unknown activation.

    Examples
    --------
    >>> layer = Layer(weights=[[1.0, -1.0]], bias=[0.5])
    >>> layer.n_inputs, layer.n_outputs, layer.activation
    (2, 1, 'sign')
    """

    weights: np.ndarray
    bias: np.ndarray
    activation: str = "sign"

    def __post_init__(self) -> None:
        weights = _readonly_float_array(self.weights, "weights")
        bias = _readonly_float_array(self.bias, "bias")
        if weights.ndim != 2:
            raise DataError(
                f"weights: expected a 2-D array (out x in), got shape {weights.shape}"
            )
        if weights.shape[0] < 1 or weights.shape[1] < 1:
            raise DataError(
                f"weights: need at least one unit and one input, got shape {weights.shape}"
            )
        if bias.shape != (weights.shape[0],):
            raise DataError(
                f"bias: expected shape ({weights.shape[0]},) to match the "
                f"{weights.shape[0]} weight rows, got shape {bias.shape}"
            )
        try:
            check_activation(self.activation)
        except DataError as exc:
            raise DataError(f"activation: {exc}") from None
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "bias", bias)

    @property
    def n_inputs(self) -> int:
        """Fan-in of every unit (``weights.shape[1]``)."""
        return int(self.weights.shape[1])

    @property
    def n_outputs(self) -> int:
        """Number of units (``weights.shape[0]``)."""
        return int(self.weights.shape[0])

    def pre_activation(self, H: np.ndarray) -> np.ndarray:
        """Return ``Z = H @ weights.T + bias``, shape ``(m, out)``, for inputs ``H (m, in)``."""
        return H @ self.weights.T + self.bias

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Layer):
            return NotImplemented
        return (
            self.activation == other.activation
            and self.weights.shape == other.weights.shape
            and bool(np.array_equal(self.weights, other.weights))
            and bool(np.array_equal(self.bias, other.bias))
        )

    def __hash__(self) -> int:
        # "+ 0.0" maps -0.0 to 0.0 so that equal layers hash alike.
        return hash(
            (
                self.activation,
                self.weights.shape,
                (self.weights + 0.0).tobytes(),
                (self.bias + 0.0).tobytes(),
            )
        )


# --------------------------------------------------------------------------------------
# Verification result
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Verification:
    """Outcome of :meth:`ThresholdNetwork.verify`.

    Attributes
    ----------
    errors_per_unit : tuple of (ndarray of int64 of shape (width,) or None)
        One entry per layer: for each unit, the number of examples where the unit's
        computed sign disagrees with its target. The last entry compares the output
        layer with ``Y``; hidden layer ``d`` is compared with ``hidden_targets[d]``
        when given, else its entry is None.
    unsafe_per_unit : tuple of ndarray of int64 of shape (width,)
        One entry per layer: for each unit, the number of examples whose computed
        pre-activation lies within the rigorous rounding bound of 0 (its sign is not
        certain), or is not finite.
    errors : int
        Number of examples where at least one output unit is wrong.
    ok : bool
        True when ``errors == 0``, no unit-example of any layer is unsafe and every
        checked hidden layer has no error.
    errors_upper : int
        Rigorous upper bound on the errors in exact arithmetic: examples that are wrong,
        or whose forward pass has a sign that rounding could flip (an unsafe unit in any
        layer). The count used wherever an error count is claimed optimal.
    """

    errors_per_unit: tuple[np.ndarray | None, ...]
    unsafe_per_unit: tuple[np.ndarray, ...]
    errors: int
    ok: bool
    errors_upper: int = 0

    @property
    def n_unsafe(self) -> int:
        """Total number of unsafe unit-examples over all layers."""
        return int(sum(int(u.sum()) for u in self.unsafe_per_unit))


# --------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdNetwork:
    """A feed-forward network of hard-threshold units together with its class labels.

    Parameters
    ----------
    layers : sequence of Layer
        Layers from input to output; ``layers[d].n_inputs`` must equal
        ``layers[d-1].n_outputs``. Stored as a tuple.
    classes : sequence of str, int, float or bool
        Distinct class labels, at least 2, stored as native Python scalars. With 2
        classes the output layer has 1 unit (on -> ``classes[1]``, off ->
        ``classes[0]``); with ``k > 2`` classes it has ``k`` units, one per class.

    Raises
    ------
    DataError
        When the layers do not chain, the classes are invalid, or the number of output
        units does not match the number of classes.

    Examples
    --------
    XOR of two +-1 inputs with two hidden sign units:

    >>> net = ThresholdNetwork(
    ...     layers=(
    ...         Layer([[1.0, 1.0], [-1.0, -1.0]], [-1.0, -1.0]),   # AND, NOR
    ...         Layer([[-1.0, -1.0]], [-1.0]),                       # neither
    ...     ),
    ...     classes=(0, 1),
    ... )
    >>> X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    >>> net.predict(X).tolist()
    [0, 1, 1, 0]
    >>> net.widths, net.depth, net.n_inputs, net.n_outputs
    ((2,), 2, 2, 1)
    >>> net.verify(X, [-1, 1, 1, -1]).ok
    True
    """

    layers: tuple[Layer, ...]
    classes: tuple

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        classes = tuple(self.classes)
        _check_layers(layers)
        classes = _check_classes(classes)
        _check_outputs_match_classes(layers, classes)
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "classes", classes)

    # ---- shape properties ----------------------------------------------------------

    @property
    def n_inputs(self) -> int:
        """Number of input features ``n``."""
        return self.layers[0].n_inputs

    @property
    def n_outputs(self) -> int:
        """Number of output units (1 for binary, ``k`` for ``k > 2`` classes)."""
        return self.layers[-1].n_outputs

    @property
    def widths(self) -> tuple[int, ...]:
        """Widths of the hidden layers (empty for a single-layer network)."""
        return tuple(layer.n_outputs for layer in self.layers[:-1])

    @property
    def depth(self) -> int:
        """Number of layers ``L`` (hidden layers + the output layer)."""
        return len(self.layers)

    # ---- forward pass --------------------------------------------------------------

    def _check_X(self, X: Any) -> np.ndarray:
        """Validate inputs: 2-D, ``n_inputs`` columns, finite; return float64."""
        try:
            array = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise DataError(f"X: expected a numeric 2-D array ({exc})") from None
        if array.ndim != 2:
            raise DataError(f"X: expected a 2-D array (m x n), got shape {array.shape}")
        if array.shape[1] != self.n_inputs:
            raise DataError(
                f"X: expected {self.n_inputs} columns (the network's inputs), "
                f"got {array.shape[1]}"
            )
        finite = np.isfinite(array)
        if not finite.all():
            row, col = (int(i) for i in np.argwhere(~finite)[0])
            raise DataError(f"X: non-finite value {array[row, col]!r} at row {row}, column {col}")
        return array

    def _propagate(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Return ``([Z_1..Z_L], [H_1..H_L])`` for validated inputs."""
        pre, post = [], []
        H = X
        for layer in self.layers:
            Z = layer.pre_activation(H)
            H = apply_activation(Z, layer.activation)
            pre.append(Z)
            post.append(H)
        return pre, post

    def pre_activations(self, X: Any) -> list[np.ndarray]:
        """Return the pre-activations of every layer.

        Parameters
        ----------
        X : array_like of shape (m, n_inputs)
            Finite inputs, used as given.

        Returns
        -------
        list of ndarray
            ``[Z_1, ..., Z_L]``, ``Z_d`` of shape ``(m, width_d)``.

        Raises
        ------
        DataError
            When ``X`` is not a finite 2-D array with ``n_inputs`` columns.

        Examples
        --------
        >>> net = ThresholdNetwork((Layer([[2.0, -1.0]], [0.5]),), classes=("a", "b"))
        >>> net.pre_activations([[1.0, 1.0]])[0].tolist()
        [[1.5]]
        """
        return self._propagate(self._check_X(X))[0]

    def forward(self, X: Any) -> list[np.ndarray]:
        """Return the activations of every layer.

        Parameters
        ----------
        X : array_like of shape (m, n_inputs)
            Finite inputs, used as given.

        Returns
        -------
        list of ndarray of float64
            ``[H_1, ..., H_L]``, ``H_d`` of shape ``(m, width_d)`` with values in
            {-1, 1} (sign) or {0, 1} (step).

        Raises
        ------
        DataError
            When ``X`` is not a finite 2-D array with ``n_inputs`` columns.

        Examples
        --------
        >>> net = ThresholdNetwork((Layer([[1.0], [-1.0]], [0.0, 0.0], "step"),
        ...                         Layer([[1.0, 1.0]], [-0.5])), classes=(0, 1))
        >>> [H.tolist() for H in net.forward([[2.0], [0.0]])]
        [[[1.0, 0.0], [0.0, 0.0]], [[1.0], [-1.0]]]
        """
        return self._propagate(self._check_X(X))[1]

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels.

        Parameters
        ----------
        X : array_like of shape (m, n_inputs)
            Finite inputs, used as given.

        Returns
        -------
        ndarray of shape (m,)
            Labels taken from ``classes``. Binary: ``classes[1]`` where the output unit's
            pre-activation is > 0, else ``classes[0]``. Multi-class: the class of the
            output unit with the largest pre-activation (the first one on ties).

        Examples
        --------
        >>> net = ThresholdNetwork((Layer(np.eye(3), np.zeros(3)),), classes=("r", "g", "b"))
        >>> net.predict([[0.1, 0.7, 0.2], [3.0, 1.0, 2.0]]).tolist()
        ['g', 'r']
        """
        Z = self.pre_activations(X)[-1]
        if len(self.classes) == 2:
            index = (Z[:, 0] > 0).astype(np.intp)
        else:
            index = np.argmax(Z, axis=1)
        return _label_array(self.classes)[index]

    # ---- verification --------------------------------------------------------------

    def verify(
        self,
        X: Any,
        Y: Any,
        hidden_targets: Sequence[Any | None] | None = None,
    ) -> Verification:
        """Re-check the network on data, rigorously with respect to rounding.

        A sign is certain when ``|z|`` exceeds the rounding bound, or when the whole layer
        is computed exactly in float64 (:func:`ftprop_exact.rounding.affine_is_exact`).

        The forward pass is the network's own (hidden layers feed their computed
        activations forward, whatever the hidden targets say). A unit counts as right
        on an example when ``(z > 0) == (target > 0)``, whatever its activation.

        Parameters
        ----------
        X : array_like of shape (m, n_inputs)
            Finite inputs, used as given.
        Y : array_like of shape (m, n_outputs), or (m,) when n_outputs == 1
            Encoded labels in {-1, +1}.
        hidden_targets : sequence of length depth - 1, optional
            For each hidden layer ``d``, an array of shape ``(m, widths[d])`` in
            {-1, +1} (levels 0..K-1 for a ``qrelu:K`` layer, compared with the computed
            level), or None to leave that layer unchecked.

        Returns
        -------
        Verification
            Per-layer, per-unit error and unsafe counts, the number of wrong examples,
            and the overall verdict ``ok``.

        Raises
        ------
        DataError
            When an array has the wrong shape or values outside {-1, +1}.

        Examples
        --------
        >>> net = ThresholdNetwork((Layer([[1.0, 1.0]], [0.0]),), classes=(0, 1))
        >>> v = net.verify([[1.0, 2.0], [0.1, -0.1], [-3.0, 1.0]], [1, -1, -1])
        >>> v.errors, v.errors_per_unit[0].tolist(), v.unsafe_per_unit[0].tolist(), v.ok
        (0, [0], [1], False)

        A layer that float64 computes exactly (integer weights and biases on integer or
        dyadic inputs, :func:`ftprop_exact.rounding.affine_is_exact`) has no unsafe sign,
        not even at ``z = 0``:

        >>> net.verify([[1.0, 2.0], [1.0, -1.0], [-3.0, 1.0]], [1, -1, -1]).ok
        True
        """
        X = self._check_X(X)
        m = X.shape[0]
        Y = _check_targets(Y, (m, self.n_outputs), "Y", allow_vector=self.n_outputs == 1)
        targets = self._check_hidden_targets(hidden_targets, m)
        targets.append(Y)

        pre, post = self._propagate(X)
        inputs = [X] + post[:-1]
        errors_per_unit: list[np.ndarray | None] = []
        unsafe_per_unit: list[np.ndarray] = []
        uncertain_rows = np.zeros(m, dtype=bool)
        for layer, H, Z, T in zip(self.layers, inputs, pre, targets):
            bound = affine_rounding_bound(H, layer.weights, layer.bias)
            # near any step boundary (0, or 0..K-2 for qrelu); also catches a NaN
            unsafe = ~(boundary_distance(Z, layer.activation) > bound)
            if unsafe.any() and affine_is_exact(H, layer.weights, layer.bias):
                unsafe[:] = False  # computed exactly (integer weights on dyadic inputs): every sign is certain
            uncertain_rows |= unsafe.any(axis=1)
            unsafe_per_unit.append(_frozen_counts(unsafe))
            if T is None:
                errors_per_unit.append(None)
            elif T is Y or not is_levelled(layer.activation):
                errors_per_unit.append(_frozen_counts((Z > 0) != (T > 0)))
            else:
                errors_per_unit.append(_frozen_counts(apply_activation(Z, layer.activation) != T))

        wrong_rows = ((pre[-1] > 0) != (Y > 0)).any(axis=1)
        errors = int(wrong_rows.sum())
        errors_upper = int((wrong_rows | uncertain_rows).sum())
        ok = (
            errors == 0
            and all(int(u.sum()) == 0 for u in unsafe_per_unit)
            and all(e is None or int(e.sum()) == 0 for e in errors_per_unit)
        )
        return Verification(tuple(errors_per_unit), tuple(unsafe_per_unit), errors, ok, errors_upper)

    def _check_hidden_targets(
        self, hidden_targets: Sequence[Any | None] | None, m: int
    ) -> list[np.ndarray | None]:
        """Validate hidden targets; return one entry (array or None) per hidden layer."""
        n_hidden = self.depth - 1
        if hidden_targets is None:
            return [None] * n_hidden
        if isinstance(hidden_targets, np.ndarray) and hidden_targets.dtype != object:
            raise DataError(
                "hidden_targets: expected a sequence of arrays, one per hidden layer, "
                "not a single array"
            )
        hidden = list(hidden_targets)
        if len(hidden) != n_hidden:
            raise DataError(
                f"hidden_targets: expected {n_hidden} arrays (one per hidden layer), "
                f"got {len(hidden)}"
            )
        return [
            None if T is None else _check_targets(T, (m, layer.n_outputs), f"hidden_targets[{d}]", levels=_levels_of(layer))
            for d, (T, layer) in enumerate(zip(hidden, self.layers[:-1]))
        ]

    # ---- serialisation -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the network as a JSON-ready dict (native Python floats and lists).

        Returns
        -------
        dict
            ``{"layers": [{"weights": [[...]], "bias": [...], "activation": ...}],
            "classes": [...]}``.

        Examples
        --------
        >>> net = ThresholdNetwork((Layer([[0.1, -2.0]], [3.0]),), classes=(0, 1))
        >>> d = net.to_dict()
        >>> d["layers"], d["classes"]
        ([{'weights': [[0.1, -2.0]], 'bias': [3.0], 'activation': 'sign'}], [0, 1])
        >>> ThresholdNetwork.from_dict(net.to_dict()) == net
        True
        """
        return {
            "layers": [
                {
                    "weights": layer.weights.tolist(),
                    "bias": layer.bias.tolist(),
                    "activation": layer.activation,
                }
                for layer in self.layers
            ],
            "classes": list(self.classes),
        }

    @classmethod
    def from_dict(cls, d: Any) -> ThresholdNetwork:
        """Build a network from the layout :meth:`to_dict` produces.

        Parameters
        ----------
        d : dict
            ``{"layers": [...], "classes": [...]}`` exactly (no missing or extra keys).

        Returns
        -------
        ThresholdNetwork

        Raises
        ------
        DataError
            On any malformed content; the message names the layer and the field, e.g.
            ``layers[1].weights[0][2]``.

        Examples
        --------
        >>> net = ThresholdNetwork.from_dict({
        ...     "layers": [{"weights": [[1, 1]], "bias": [-1.5], "activation": "step"}],
        ...     "classes": ["no", "yes"]})
        >>> net.predict([[1, 1], [1, 0]]).tolist()
        ['yes', 'no']
        """
        _check_keys(d, _NETWORK_KEYS, "network")
        raw_layers = d["layers"]
        if not isinstance(raw_layers, (list, tuple)) or len(raw_layers) == 0:
            raise DataError(f"layers: expected a non-empty list of layers, got {raw_layers!r:.80}")
        raw_classes = d["classes"]
        if not isinstance(raw_classes, (list, tuple)):
            raise DataError(f"classes: expected a list of class labels, got {raw_classes!r:.80}")
        layers = tuple(_layer_from_dict(raw, f"layers[{i}]") for i, raw in enumerate(raw_layers))
        return cls(layers=layers, classes=tuple(raw_classes))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the network to a JSON file atomically.

        Parameters
        ----------
        path : str or path-like
            Destination file; an existing file is replaced only once the new one is
            completely written.

        Examples
        --------
        >>> import os, tempfile
        >>> net = ThresholdNetwork((Layer([[1.0]], [0.0]),), classes=(0, 1))
        >>> path = os.path.join(tempfile.mkdtemp(), "net.json")
        >>> net.save(path)
        >>> ThresholdNetwork.load(path) == net
        True
        """
        text = json.dumps(self.to_dict(), allow_nan=False)
        write_text_atomic(path, text + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ThresholdNetwork:
        """Read a network written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            A JSON network file.

        Returns
        -------
        ThresholdNetwork

        Raises
        ------
        DataError
            When the file is not valid JSON or not a valid network; the message starts
            with the path.
        OSError
            When the file cannot be read.
        """
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{os.fspath(path)}: not valid JSON at line {exc.lineno}, "
                f"column {exc.colno}: {exc.msg}"
            ) from None
        try:
            return cls.from_dict(d)
        except DataError as exc:
            raise DataError(f"{os.fspath(path)}: {exc}") from None


# --------------------------------------------------------------------------------------
# Network validation helpers
# --------------------------------------------------------------------------------------


def _check_layers(layers: tuple) -> None:
    """Check that ``layers`` is a non-empty chain of :class:`Layer`."""
    if len(layers) == 0:
        raise DataError("layers: a network needs at least one layer")
    for d, layer in enumerate(layers):
        if not isinstance(layer, Layer):
            raise TypeError(f"layers[{d}]: expected a Layer, got {type(layer).__name__}")
        if d > 0 and layer.n_inputs != layers[d - 1].n_outputs:
            raise DataError(
                f"layers[{d}].weights: expected {layers[d - 1].n_outputs} columns "
                f"(the number of units of layers[{d - 1}]), got {layer.n_inputs}"
            )
    if is_levelled(layers[-1].activation):
        raise DataError(
            f"layers[{len(layers) - 1}].activation: the output layer is 'sign' or 'step', "
            f"not {layers[-1].activation!r} (qrelu applies to hidden layers only)"
        )


def _check_classes(classes: tuple) -> tuple:
    """Validate class labels; return them as native Python scalars."""
    if len(classes) < 2:
        raise DataError(f"classes: need at least 2 class labels, got {len(classes)}")
    native = tuple(_native_class(c, i) for i, c in enumerate(classes))
    seen: list = []
    for i, label in enumerate(native):
        # Equality, not identity: 1, 1.0 and True count as the same label.
        if any(label == other for other in seen):
            raise DataError(f"classes[{i}]: duplicate class label {label!r}")
        seen.append(label)
    return native


def _check_outputs_match_classes(layers: tuple, classes: tuple) -> None:
    """Check that the output width fits the number of classes."""
    k = len(classes)
    expected = 1 if k == 2 else k
    got = layers[-1].n_outputs
    if got != expected:
        rule = "binary networks have 1 output unit" if k == 2 else "one output unit per class"
        raise DataError(
            f"layers[{len(layers) - 1}].weights: {got} output units do not match "
            f"classes ({k} labels; {rule}, so expected {expected})"
        )


def _levels_of(layer: Layer) -> int | None:
    """K for a qrelu layer (its targets are levels 0..K-1), None for sign/step (+-1 targets)."""
    return activation_levels(layer.activation) if is_levelled(layer.activation) else None


def _check_targets(
    T: Any, shape: tuple[int, int], what: str, allow_vector: bool = False, levels: int | None = None
) -> np.ndarray:
    """Validate a +-1 (or, with ``levels`` K, a 0..K-1 level) target array of the given shape; return float64."""
    try:
        array = np.asarray(T, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise DataError(f"{what}: expected a numeric array of +-1 ({exc})") from None
    if allow_vector and array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.shape != shape:
        raise DataError(f"{what}: expected shape {shape}, got {array.shape}")
    if levels is not None:
        bad = ~((array == np.round(array)) & (array >= 0) & (array <= levels - 1))
        allowed = f"levels 0..{levels - 1}"
    else:
        bad = ~((array == 1.0) | (array == -1.0))
        allowed = "-1 or +1"
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{what}: targets must be {allowed}, got {array[row, col]!r} at row {row}, column {col}"
        )
    return array


def _frozen_counts(mask: np.ndarray) -> np.ndarray:
    """Per-column counts of a boolean ``(m, k)`` mask as a read-only int64 array."""
    counts = mask.sum(axis=0, dtype=np.int64)
    counts.setflags(write=False)
    return counts


# --------------------------------------------------------------------------------------
# from_dict helpers
# --------------------------------------------------------------------------------------


def _check_keys(d: Any, keys: tuple[str, ...], what: str) -> None:
    """Require a mapping with exactly ``keys``."""
    if not isinstance(d, Mapping):
        raise DataError(f"{what}: expected a JSON object, got {type(d).__name__}")
    missing = [k for k in keys if k not in d]
    if missing:
        raise DataError(f"{what}: missing key(s) {', '.join(map(repr, missing))}")
    unknown = [k for k in d if k not in keys]
    if unknown:
        raise DataError(
            f"{what}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"expected exactly {', '.join(map(repr, keys))}"
        )


def _number(value: Any, where: str) -> float:
    """Return ``value`` as a finite float, or raise a :class:`DataError` naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"{where}: expected a number, got {type(value).__name__} {value!r:.80}")
    try:
        number = float(value)
    except OverflowError:
        raise DataError(f"{where}: number {value} is too large for a float") from None
    if not math.isfinite(number):
        raise DataError(f"{where}: expected a finite number, got {value!r}")
    return number


def _number_list(values: Any, where: str) -> list[float]:
    """Validate a JSON list of finite numbers."""
    if not isinstance(values, (list, tuple)):
        raise DataError(f"{where}: expected a list of numbers, got {type(values).__name__}")
    return [_number(v, f"{where}[{j}]") for j, v in enumerate(values)]


def _layer_from_dict(raw: Any, where: str) -> Layer:
    """Build one :class:`Layer` from its dict, with messages naming ``where``."""
    _check_keys(raw, _LAYER_KEYS, where)
    rows = raw["weights"]
    if not isinstance(rows, (list, tuple)) or len(rows) == 0:
        raise DataError(f"{where}.weights: expected a non-empty list of rows, got {rows!r:.80}")
    weights = [_number_list(row, f"{where}.weights[{i}]") for i, row in enumerate(rows)]
    n_in = len(weights[0])
    if n_in == 0:
        raise DataError(f"{where}.weights[0]: a weight row needs at least one entry")
    for i, row in enumerate(weights):
        if len(row) != n_in:
            raise DataError(
                f"{where}.weights[{i}]: ragged weights: row has {len(row)} entries, "
                f"row 0 has {n_in}"
            )
    bias = _number_list(raw["bias"], f"{where}.bias")
    if len(bias) != len(weights):
        raise DataError(
            f"{where}.bias: expected {len(weights)} entries (one per weight row), got {len(bias)}"
        )
    activation = raw["activation"]
    try:
        check_activation(activation)
    except DataError as exc:
        raise DataError(f"{where}.activation: {exc}") from None
    return Layer(weights=np.array(weights), bias=np.array(bias), activation=activation)
