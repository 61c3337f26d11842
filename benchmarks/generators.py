"""Data generators for the benchmark suites, each with what is known about its answer.

Every generator is deterministic given its arguments (and ``rng``) and returns plain
arrays ``(X, y)``; :mod:`ftprop_exact.benchmarks.suites` turns them into instances.

- :func:`parity`: all ``2^n`` points of the cube, label = parity (0/1 or +-1 inputs).
- :func:`planted_teacher`: a random sign network labels random inputs; inputs closer than
  a margin to a first-layer hyperplane are redrawn, so the teacher fits with a margin (no
  solver needs an unusually small margin or weight to find it).
- :func:`random_labels`: random points in general position with random labels.
- :func:`concentric_circles`, :func:`two_spirals`, :func:`checkerboard`: 2-D geometric sets.
- :func:`points_on_a_line`: integer points on one line, labels alternating along it (a
  first hidden layer needs ``m - 1`` units, at any depth; ``m - 1`` suffice).

Examples
--------
>>> X, y = parity(3)
>>> X.shape, y.tolist()
((8, 3), [0, 1, 1, 0, 1, 0, 0, 1])
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ftprop_exact.network import Layer, ThresholdNetwork

__all__ = [
    "ENCODINGS",
    "checkerboard",
    "circles_polygon_width",
    "concentric_circles",
    "parity",
    "planted_teacher",
    "points_on_a_line",
    "random_labels",
    "two_spirals",
]

ENCODINGS: tuple[str, ...] = ("pm1", "01")
"""Input encodings of :func:`parity`: ``"pm1"`` (-1/+1) or ``"01"`` (0/1)."""

_MAX_DRAWS = 200  # rounds of redrawing inputs inside a teacher's margin


def parity(n: int, encoding: str = "pm1") -> tuple[np.ndarray, np.ndarray]:
    """The ``n``-bit parity function on every point of the cube.

    Parameters
    ----------
    n : int
        Number of bits (>= 1).
    encoding : {"pm1", "01"}, default="pm1"
        Inputs in {-1, +1} or in {0, 1} (bit set -> +1 or 1).

    Returns
    -------
    X : ndarray of shape (2**n, n)
    y : ndarray of shape (2**n,)
        1 where an odd number of bits is set, else 0.

    Examples
    --------
    >>> X, y = parity(2, "01")
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; choose one of: {', '.join(ENCODINGS)}")
    bits = np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.int64)
    X = bits.astype(np.float64) if encoding == "01" else 2.0 * bits - 1.0
    return X, bits.sum(axis=1) % 2


def _split_bias(Z: np.ndarray) -> np.ndarray:
    """Biases that put each column's median of ``Z`` on the threshold (balanced units)."""
    return -np.median(Z, axis=0)


def _teacher_layers(
    n_features: int, hidden: tuple[int, ...], rng: np.random.Generator
) -> list[np.ndarray]:
    """Random weight matrices (out, in): Gaussian for layer 1, small integers above it."""
    widths = (n_features, *hidden, 1)
    layers = [rng.standard_normal((widths[1], n_features))]
    for fan_in, fan_out in zip(widths[1:-1], widths[2:]):
        W = rng.integers(-2, 3, size=(fan_out, fan_in)).astype(np.float64)
        W[W == 0] = 1.0  # every unit reads all of its inputs
        layers.append(W)
    return layers


def _first_layer_inputs(
    W1: np.ndarray, b1: np.ndarray, m: int, rng: np.random.Generator, margin: float
) -> np.ndarray:
    """``m`` uniform points of [-1, 1]^n, none within ``margin`` (relative) of a hyperplane."""
    n = W1.shape[1]
    X = rng.uniform(-1.0, 1.0, size=(m, n))
    scale = np.abs(W1).sum(axis=1)  # |z| <= scale: a relative margin
    for _ in range(_MAX_DRAWS):
        close = (np.abs(X @ W1.T + b1) < margin * scale).any(axis=1)
        if not close.any():
            return X
        X[close] = rng.uniform(-1.0, 1.0, size=(int(close.sum()), n))
    raise RuntimeError("could not draw inputs outside the teacher's margin; use a smaller margin")


def planted_teacher(
    n_features: int,
    n_examples: int,
    hidden: tuple[int, ...],
    rng: np.random.Generator,
    margin: float = 0.02,
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs labelled by a random sign network of the given shape (FEASIBLE by construction).

    Layer 1 has Gaussian weights and biases at the median pre-activation of a pilot sample
    (every unit splits the data); deeper layers have integer weights in [-2, 2] and
    half-integer biases (pre-activations are never 0). The labels are redrawn from a new
    teacher until both classes hold at least 20% of the examples.

    Parameters
    ----------
    n_features : int
        Input dimension ``n``.
    n_examples : int
        Number of examples ``m``.
    hidden : tuple of int
        The teacher's hidden widths (depth = ``len(hidden)`` hidden layers).
    rng : numpy.random.Generator
        Source of randomness.
    margin : float, default=0.02
        Every input satisfies ``|w_j . x + b_j| >= margin * ||w_j||_1`` for every
        first-layer unit ``j``.

    Returns
    -------
    X : ndarray of shape (n_examples, n_features)
    y : ndarray of shape (n_examples,) of {0, 1}
    teacher : ThresholdNetwork
        The network that labelled them (the witness of FEASIBLE).

    Examples
    --------
    >>> X, y, teacher = planted_teacher(3, 40, (2,), np.random.default_rng(0))
    >>> X.shape, bool(8 <= y.sum() <= 32), bool((teacher.predict(X) == y).all())
    ((40, 3), True, True)
    """
    while True:
        weights = _teacher_layers(n_features, tuple(hidden), rng)
        pilot = rng.uniform(-1.0, 1.0, size=(max(n_examples, 64), n_features))
        b1 = _split_bias(pilot @ weights[0].T)
        X = _first_layer_inputs(weights[0], b1, n_examples, rng, margin)
        layers = [Layer(weights[0], b1)]
        H = np.where(X @ weights[0].T + b1 > 0, 1.0, -1.0)
        for W in weights[1:]:
            Z = H @ W.T
            b = np.floor(_split_bias(Z)) + 0.5
            layers.append(Layer(W, b))
            H = np.where(Z + b > 0, 1.0, -1.0)
        y = (H[:, 0] > 0).astype(np.int64)
        if 0.2 * n_examples <= y.sum() <= 0.8 * n_examples:
            return X, y, ThresholdNetwork(tuple(layers), classes=(0, 1))


def planted_qrelu_teacher(
    n_features: int, n_examples: int, width: int, levels: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, ThresholdNetwork]:
    """Inputs labelled by a random ``qrelu:K`` network with one hidden layer (FEASIBLE by construction).

    Hidden unit ``j`` has a Gaussian direction scaled so that its pre-activations on the
    inputs run from about -0.5 (10th percentile) to ``K - 1.5`` (90th): every level
    occurs. The output unit has integer weights in [-2, 2] (none 0) over the levels and a
    half-integer bias at the median, so no output pre-activation is 0. Redrawn until both
    classes hold at least 20% of the examples.

    Examples
    --------
    >>> X, y, teacher = planted_qrelu_teacher(3, 60, 2, 4, np.random.default_rng(0))
    >>> X.shape, teacher.layers[0].activation, bool((teacher.predict(X) == y).all())
    ((60, 3), 'qrelu:4', True)
    """
    activation = f"qrelu:{levels}"
    while True:
        X = rng.uniform(-1.0, 1.0, size=(n_examples, n_features))
        W = rng.standard_normal((width, n_features))
        Z = X @ W.T
        low, high = np.percentile(Z, 10, axis=0), np.percentile(Z, 90, axis=0)
        scale = (levels - 1) / np.maximum(high - low, 1e-9)
        W1, b1 = W * scale[:, None], -low * scale - 0.5
        H = np.clip(np.ceil(X @ W1.T + b1), 0, levels - 1)
        v = rng.integers(-2, 3, size=width).astype(np.float64)
        v[v == 0] = 1.0
        out = H @ v
        c = -np.floor(np.median(out)) - 0.5
        y = (out + c > 0).astype(np.int64)
        teacher = ThresholdNetwork((Layer(W1, b1, activation), Layer(v[None, :], [c])), classes=(0, 1))
        if 0.2 * n_examples <= y.sum() <= 0.8 * n_examples and (teacher.predict(X) == y).all():
            return X, y, teacher


def random_labels(
    n_features: int, n_examples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random points (two decimals, no duplicates) with random, non-constant 0/1 labels.

    Examples
    --------
    >>> X, y = random_labels(2, 6, np.random.default_rng(1))
    >>> X.shape, len(np.unique(X, axis=0)), bool(0 < y.sum() < 6)
    ((6, 2), 6, True)
    """
    while True:
        X = np.round(rng.uniform(-1.0, 1.0, size=(n_examples, n_features)), 2)
        y = rng.integers(0, 2, size=n_examples)
        if len(np.unique(X, axis=0)) == n_examples and 0 < y.sum() < n_examples:
            return X, y


def concentric_circles(
    n_examples: int, rng: np.random.Generator, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Points on two concentric circles (radii ``factor`` and 1): inner 1, outer 0.

    Examples
    --------
    >>> X, y = concentric_circles(20, np.random.default_rng(0))
    >>> X.shape, int(y.sum())
    ((20, 2), 10)
    """
    inner = n_examples // 2
    angles = rng.uniform(0.0, 2.0 * math.pi, size=n_examples)
    radii = np.where(np.arange(n_examples) < inner, factor, 1.0)
    X = np.round(np.column_stack([radii * np.cos(angles), radii * np.sin(angles)]), 6)
    return X, (np.arange(n_examples) < inner).astype(np.int64)


def circles_polygon_width(factor: float) -> int:
    """Fewest hidden units of the polygon construction for :func:`concentric_circles`.

    ``k`` half-planes tangent to a circle of radius ``r`` form a regular ``k``-gon with
    circumradius ``r / cos(pi / k)``; take ``r`` just above ``factor`` so the inner circle is
    strictly inside. The polygon separates the circles when its circumradius is below 1 (the
    points rounded to 6 decimals move by less than the slack).

    Examples
    --------
    >>> circles_polygon_width(0.5)
    4
    """
    k = 3
    while factor / math.cos(math.pi / k) >= 1.0 - 1e-3:
        k += 1
    return k


def two_spirals(n_examples: int, rng: np.random.Generator, turns: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved Archimedean spirals (the classic hard set for small networks).

    Examples
    --------
    >>> X, y = two_spirals(10, np.random.default_rng(0))
    >>> X.shape, int(y.sum())
    ((10, 2), 5)
    """
    half = n_examples - n_examples // 2
    t = np.sort(rng.uniform(0.1, 1.0, size=half)) * turns * 2.0 * math.pi
    arm = np.column_stack([t * np.cos(t), t * np.sin(t)]) / (turns * 2.0 * math.pi)
    X = np.round(np.vstack([arm, -arm])[:n_examples], 6)
    y = (np.arange(n_examples) >= half).astype(np.int64)
    return X, y


def checkerboard(
    n_examples: int, cells: int, rng: np.random.Generator, gap: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Points of a ``cells x cells`` checkerboard on [0, cells)^2, away from the cell borders.

    Each coordinate keeps a distance of at least ``gap`` from the grid lines.

    Examples
    --------
    >>> X, y = checkerboard(8, 2, np.random.default_rng(0))
    >>> X.shape, set(y.tolist()) <= {0, 1}
    ((8, 2), True)
    """
    cell = rng.integers(0, cells, size=(n_examples, 2))
    offset = rng.uniform(gap, 1.0 - gap, size=(n_examples, 2))
    X = np.round(cell + offset, 6)
    return X, (cell.sum(axis=1) % 2).astype(np.int64)


def points_on_a_line(n_examples: int, n_features: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Integer points ``p + k_i d`` on one line (random gaps 1-3), labels alternating along it, rows shuffled.

    Truth (any depth): a first hidden layer of ``m - 2`` units or fewer fails -- each unit
    cuts the line once, and the ``m - 1`` label changes need a cut each -- and ``m - 1``
    units suffice (a thermometer code, from which one unit of the next layer computes any
    labelling: its pre-activation is an arbitrary sequence along the line).

    Examples
    --------
    >>> X, y = points_on_a_line(5, 3, np.random.default_rng(0))
    >>> X.shape, int(y.sum()), int(np.linalg.matrix_rank(X[1:] - X[0]))
    ((5, 3), 2, 1)
    """
    if n_examples < 2 or n_features < 1:
        raise ValueError("points on a line need at least 2 examples and 1 feature")
    direction = np.zeros(n_features, dtype=np.int64)
    while not direction.any():
        direction = rng.integers(-5, 6, size=n_features)
    start = rng.integers(-50, 51, size=n_features)
    steps = np.cumsum(rng.integers(1, 4, size=n_examples))
    X = (start[None, :] + steps[:, None] * direction[None, :]).astype(np.float64)
    y = np.arange(n_examples) % 2
    order = rng.permutation(n_examples)
    return X[order], y[order]
