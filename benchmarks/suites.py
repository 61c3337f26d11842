"""Benchmark instances with their known truth, and the named suites ``quick``, ``standard``, ``hard``, ``large``.

An :class:`Instance` is one question "does a sign network with these hidden widths fit
these examples exactly?" together with what is known about the answer:

- FEASIBLE by construction (planted teachers, parity at width ``n``, geometric sets with an
  explicit network);
- INFEASIBLE by theorem (parity at width ``n - 1`` for ``n <= 5``, see docs/mission) or by
  exhaustive search (random labels, decided by the ``brute`` searcher when the suite is
  built);
- unknown otherwise (``truth is None``: real data, parity 6 at width 5, spirals).

Examples
--------
>>> [inst.id for inst in parity_instances((2,), ("pm1",), time_limit=1.0)]
['parity2-pm1-h1', 'parity2-pm1-h2']
>>> sorted(suite_names())
['hard', 'large', 'quick', 'standard', 'structured']
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.benchmarks import generators as gen
from ftprop_exact.data import Dataset, load_dataset, make_dataset
from ftprop_exact.status import Status

__all__ = [
    "Instance",
    "deep_parity_instances",
    "geometric_instances",
    "line_instances",
    "make_suite",
    "parity_instances",
    "random_label_instances",
    "real_instances",
    "suite_names",
    "teacher_instances",
]

PARITY_PROVEN_MAX = 5  # n-bit parity needs n hidden units, known for n <= 5 (mission.md)


@dataclass(frozen=True, eq=False)
class Instance:
    """One benchmark question with its known answer.

    Attributes
    ----------
    id : str
        Unique name within a suite (used as the run key).
    data : Dataset
        The examples, as given to every solver.
    hidden : tuple of int
        Hidden widths asked for.
    truth : Status or None
        FEASIBLE or INFEASIBLE when known, else None.
    time_limit : float
        Seconds per run.
    family : str
        ``parity``, ``teacher``, ``random``, ``real``, ``geometric``, ``line``,
        ``qrelu-teacher`` or ``qrelu-single``.
    activation : str, default="sign"
        Hidden activation asked for (``"qrelu:K"`` for the qrelu families).
    """

    id: str
    data: Dataset
    hidden: tuple[int, ...]
    truth: Status | None
    time_limit: float
    family: str
    activation: str = "sign"

    @property
    def examples(self) -> int:
        """Number of examples ``m`` (rows as given)."""
        return self.data.n_examples

    @property
    def features(self) -> int:
        """Number of input features ``n``."""
        return self.data.n_features

    def meta(self) -> dict[str, Any]:
        """JSON-ready description (written with every result line)."""
        return {
            "instance": self.id,
            "family": self.family,
            "examples": self.examples,
            "features": self.features,
            "hidden": list(self.hidden),
            "truth": None if self.truth is None else self.truth.value,
            "time_limit": self.time_limit,
            "activation": self.activation,
        }


def _widths_tag(hidden: Sequence[int]) -> str:
    return "x".join(str(w) for w in hidden)


def _instance(
    name: str, X: np.ndarray, y: np.ndarray, hidden: Sequence[int], truth: Status | None, limit: float, family: str
) -> Instance:
    return Instance(name, make_dataset(X, y, name=name), tuple(hidden), truth, float(limit), family)


def parity_instances(ns: Iterable[int], encodings: Iterable[str], time_limit: float) -> list[Instance]:
    """``n``-bit parity at widths ``n - 1`` and ``n``.

    Truth: FEASIBLE at width ``n``; INFEASIBLE at ``n - 1`` for ``n <= 5``; unknown beyond.
    """
    out = []
    for n, encoding in itertools.product(ns, encodings):
        X, y = gen.parity(n, encoding)
        for width in (n - 1, n):
            if width == n:
                truth: Status | None = Status.FEASIBLE
            else:
                truth = Status.INFEASIBLE if n <= PARITY_PROVEN_MAX else None
            out.append(_instance(f"parity{n}-{encoding}-h{width}", X, y, (width,), truth, time_limit, "parity"))
    return out


def teacher_instances(
    specs: Iterable[tuple[int, int, tuple[int, ...]]], seed: int, time_limit: float
) -> list[Instance]:
    """Planted teachers ``(n_features, n_examples, hidden)``: FEASIBLE at the teacher's shape."""
    out = []
    for k, (n, m, hidden) in enumerate(specs):
        X, y, _ = gen.planted_teacher(n, m, hidden, np.random.default_rng([seed, k]))
        name = f"teacher-n{n}-m{m}-h{_widths_tag(hidden)}-s{seed}"
        out.append(_instance(name, X, y, hidden, Status.FEASIBLE, time_limit, "teacher"))
    return out


@functools.lru_cache(maxsize=64)
def _brute_truth(X_bytes: bytes, shape: tuple[int, int], y: tuple[int, ...], width: int) -> Status | None:
    """The brute-force verdict (FEASIBLE / INFEASIBLE), or None if it cannot decide."""
    from ftprop_exact.api import solve

    X = np.frombuffer(X_bytes, dtype=np.float64).reshape(shape)
    try:
        result = solve(X, np.array(y), hidden=(width,), searcher="brute", time_limit=None)
    except ValueError:  # too large for exhaustive search
        return None
    return None if result.status is Status.UNKNOWN else result.status


def brute_truth(X: np.ndarray, y: np.ndarray, width: int) -> Status | None:
    """Decide a tiny one-hidden-layer instance exhaustively (cached; None when too large)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    return _brute_truth(X.tobytes(), X.shape, tuple(int(v) for v in y), int(width))


def random_label_instances(
    specs: Iterable[tuple[int, int, int]], seed: int, time_limit: float
) -> list[Instance]:
    """Random labels near capacity ``(n_features, n_examples, width)``; truth by brute force."""
    out = []
    for k, (n, m, width) in enumerate(specs):
        X, y = gen.random_labels(n, m, np.random.default_rng([seed, 1000 + k]))
        name = f"random-n{n}-m{m}-h{width}-s{seed}-{k}"
        out.append(_instance(name, X, y, (width,), brute_truth(X, y, width), time_limit, "random"))
    return out


def real_instances(specs: Iterable[tuple[str, tuple[int, ...]]], time_limit: float) -> list[Instance]:
    """scikit-learn's bundled data (``"iris:versicolor,virginica"``, ...): truth unknown."""
    out = []
    for spec, hidden in specs:
        data = load_dataset(spec)
        name = f"{spec.replace(':', '-').replace(',', '-')}-h{_widths_tag(hidden)}"
        out.append(Instance(name, data, tuple(hidden), None, float(time_limit), "real"))
    return out


def geometric_instances(
    specs: Iterable[tuple[str, int, int]], seed: int, time_limit: float
) -> list[Instance]:
    """Geometric sets ``(kind, n_examples, size)``.

    - ``("circles", m, width)``: concentric circles (radii 0.5, 1) at hidden ``(width,)``;
      FEASIBLE when ``width >= 4`` (a square around the inner circle), else unknown.
    - ``("spirals", m, width)``: two spirals at hidden ``(width,)``; unknown.
    - ``("checkerboard", m, cells)``: a ``cells x cells`` board at hidden
      ``(2 (cells - 1), 2 (cells - 1))``; FEASIBLE (grid lines, then a parity ladder).
    """
    out = []
    for k, (kind, m, size) in enumerate(specs):
        rng = np.random.default_rng([seed, 2000 + k])
        X, y, hidden, truth = _GEOMETRIC[kind](m, size, rng)
        name = f"{kind}-m{m}-h{_widths_tag(hidden)}-s{seed}"
        out.append(_instance(name, X, y, hidden, truth, time_limit, "geometric"))
    return out


def _circles(m: int, width: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[int, ...], Status | None]:
    X, y = gen.concentric_circles(m, rng, factor=0.5)
    truth = Status.FEASIBLE if width >= gen.circles_polygon_width(0.5) else None
    return X, y, (width,), truth


def _spirals(m: int, width: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[int, ...], Status | None]:
    X, y = gen.two_spirals(m, rng)
    return X, y, (width,), None


def _checkerboard(m: int, cells: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, tuple[int, ...], Status | None]:
    X, y = gen.checkerboard(m, cells, rng)
    lines = 2 * (cells - 1)
    return X, y, (lines, lines), Status.FEASIBLE


_GEOMETRIC: dict[str, Callable[..., tuple[np.ndarray, np.ndarray, tuple[int, ...], Status | None]]] = {
    "circles": _circles,
    "spirals": _spirals,
    "checkerboard": _checkerboard,
}


def line_instances(specs: Iterable[tuple[int, int]], seed: int, time_limit: float) -> list[Instance]:
    """Points on a line ``(n_examples m, n_features)`` at widths ``m - 2`` and ``m - 1``, depth 1 and 2.

    Truth (see :func:`~ftprop_exact.benchmarks.generators.points_on_a_line`): a first
    layer of ``m - 2`` units is INFEASIBLE at any depth; ``m - 1`` units are FEASIBLE at
    depth 1 and with a second layer of 2 units (one of them computes the labels from the
    thermometer code, the output copies it).
    """
    out = []
    for k, (m, n) in enumerate(specs):
        X, y = gen.points_on_a_line(m, n, np.random.default_rng([seed, 3000 + k]))
        for width, truth in ((m - 2, Status.INFEASIBLE), (m - 1, Status.FEASIBLE)):
            for hidden in ((width,), (width, 2)):
                name = f"line-m{m}-n{n}-h{_widths_tag(hidden)}-s{seed}"
                out.append(_instance(name, X, y, hidden, truth, time_limit, "line"))
    return out


def deep_parity_instances(ns: Iterable[int], time_limit: float) -> list[Instance]:
    """``n``-bit parity (0/1 inputs) with two hidden layers.

    Truth: first widths ``n - 1`` are INFEASIBLE for ``n <= 5`` at any depth (the first
    layer must cut every edge of the ``n``-cube, which takes ``n`` hyperplanes); ``[n, 2]``
    is FEASIBLE (thermometer units ``[sum x >= k]``, one second-layer unit alternating).
    """
    out = []
    for n in ns:
        X, y = gen.parity(n, "01")
        shapes = {(n - 1, 2): Status.INFEASIBLE, (n - 1, n - 1): Status.INFEASIBLE, (n, 2): Status.FEASIBLE}
        for hidden, truth in shapes.items():
            proven = truth is Status.FEASIBLE or n <= PARITY_PROVEN_MAX
            out.append(_instance(f"parity{n}-01-h{_widths_tag(hidden)}", X, y, hidden, truth if proven else None, time_limit, "parity"))
    return out


# ------------------------------------------------------------------------------ suites


def _quick() -> list[Instance]:
    """Small instances, 3 s each: the whole suite runs in under 3 minutes on 2 cores."""
    limit = 3.0
    return [
        *parity_instances((2, 3), ("pm1",), limit),
        *parity_instances((4,), ("01",), limit),
        *teacher_instances([(2, 30, (2,)), (4, 60, (3,)), (3, 40, (2, 2))], seed=0, time_limit=limit),
        *random_label_instances([(1, 8, 2), (1, 8, 2)], seed=0, time_limit=limit),
        *real_instances([("iris:setosa,versicolor", (1,))], limit),
        *geometric_instances([("circles", 24, 4), ("checkerboard", 24, 2)], seed=0, time_limit=limit),
    ]


def _standard() -> list[Instance]:
    """Every family at moderate size, 10 s each (the results in docs/benchmarks.md)."""
    limit = 10.0
    teachers = [
        (2, 30, (2,)),
        (4, 60, (3,)),
        (3, 40, (2, 2)),
        (6, 100, (4,)),
        (8, 200, (3,)),
        (10, 300, (5,)),
        (5, 150, (3, 2)),
        (12, 500, (6,)),
        (4, 120, (3, 3, 2)),
        (20, 500, (8,)),
    ]
    real = [
        ("iris:setosa,versicolor", (1,)),
        ("iris:versicolor,virginica", (2,)),
        ("iris:setosa,virginica", (1,)),
        ("wine:class_0,class_1", (2,)),
        ("breast_cancer", (2,)),
        ("digits:3,8", (2,)),
        ("digits:1,7", (1,)),
    ]
    geometric = [("circles", 60, 4), ("circles", 60, 3), ("spirals", 40, 4), ("checkerboard", 60, 2), ("checkerboard", 90, 3)]
    return [
        *parity_instances((2, 3, 4, 5, 6), gen.ENCODINGS, limit),
        *teacher_instances(teachers, seed=1, time_limit=limit),
        *random_label_instances([(1, 8, 2), (1, 9, 2), (1, 10, 2), (2, 10, 2), (2, 11, 2)], seed=1, time_limit=limit),
        *real_instances(real, limit),
        *geometric_instances(geometric, seed=1, time_limit=limit),
    ]


def _hard() -> list[Instance]:
    """Large or open instances, 300 s each (parity 6, thousands of examples, depth 3)."""
    limit = 300.0
    teachers = [
        (10, 1000, (6,)),
        (16, 1500, (8,)),
        (20, 2000, (8,)),
        (8, 1000, (4, 4)),
        (12, 2000, (6, 4, 2)),
        (6, 800, (8, 6, 4)),
    ]
    real = [
        ("breast_cancer", (3,)),
        ("digits:3,8", (3,)),
        ("digits:5,9", (2,)),
        ("wine", (3,)),
    ]
    return [
        *parity_instances((6,), gen.ENCODINGS, limit),
        *teacher_instances(teachers, seed=2, time_limit=limit),
        *real_instances(real, limit),
        *geometric_instances([("spirals", 100, 6), ("checkerboard", 300, 4), ("circles", 400, 3)], seed=2, time_limit=limit),
    ]


LARGE_TEACHERS: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (10, 2000, (4,)),
    (8, 3000, (8,)),
    (20, 5000, (5,)),
    (16, 5000, (4, 3)),
    (10, 10000, (3,)),
    (30, 10000, (4,)),
    (20, 20000, (6,)),
    (24, 20000, (5, 3)),
    (50, 50000, (3,)),
    (32, 50000, (6, 3)),
    (64, 100000, (8,)),
    (64, 100000, (4, 3)),
)
"""The ``large`` suite's planted teachers ``(n_features, n_examples, hidden)``; the first,
second, sixth, seventh, ninth and eleventh are the shapes issue 12 reports."""


def _large() -> list[Instance]:
    """2,000-100,000 examples, 60 s each: planted teachers and ``digits`` with 10 classes.

    The data are generated when the suite is built (a few seconds), never shipped.
    """
    limit = 60.0
    return [
        *teacher_instances(LARGE_TEACHERS, seed=3, time_limit=limit),
        *real_instances([("digits", (16,)), ("digits", (32,))], limit),
    ]




def _structured() -> list[Instance]:
    """Points on a line (m = 6..20, 2-10 dimensions, 20 s each) and parity at depth 2 (60 s each)."""
    lines = [(6, 2), (8, 3), (10, 4), (12, 5), (14, 6), (16, 8), (18, 9), (20, 10), (20, 2)]
    return [*line_instances(lines, seed=4, time_limit=20.0), *deep_parity_instances((3, 4, 5), 60.0)]


def qrelu_teacher_instances(count: int, levels: int, seed: int, time_limit: float) -> list[Instance]:
    """``count`` planted ``qrelu:K`` teachers: 2-10 features, 50-500 examples, one hidden layer of width 2-4.

    Truth FEASIBLE by construction (:func:`~ftprop_exact.benchmarks.generators.planted_qrelu_teacher`).
    """
    rng = np.random.default_rng([seed, levels])
    out = []
    for k in range(count):
        n, m, width = int(rng.integers(2, 11)), int(rng.integers(50, 501)), int(rng.integers(2, 5))
        X, y, _ = gen.planted_qrelu_teacher(n, m, width, levels, np.random.default_rng([seed, levels, k]))
        name = f"qrelu{levels}-teacher-n{n}-m{m}-h{width}-s{seed}"
        data = make_dataset(X, y, name=name)
        out.append(Instance(name, data, (width,), Status.FEASIBLE, float(time_limit), "qrelu-teacher", f"qrelu:{levels}"))
    return out


def qrelu_single_unit_instances(count: int, levels: int, seed: int, time_limit: float) -> list[Instance]:
    """Random small data (8-20 rows, 2-3 features, random labels) asked for one hidden ``qrelu:K`` unit.

    Truth: FEASIBLE iff the data is linearly separable. A single unit's level is a
    non-decreasing function of ``z = x . w + b``, so the sign output is positive exactly
    on an up-set or a down-set of ``z``: an open or closed halfspace, which on finitely
    many rows is a strict linear separation; conversely a separator with
    ``y (x . w + b) >= 1`` is a unit with level 0 on the negative rows and at least 1 on
    the positive ones, read by the output ``level - 1/2``. Separability is decided by the exact LP learner (a separator, or a certificate
    re-checked in rational arithmetic).
    """
    from ftprop_exact.solvers.learners.lp import LPLearner  # the truth needs an exact decision

    rng = np.random.default_rng([seed, levels, 1])
    out = []
    for k in range(count):
        n, m = int(rng.integers(2, 4)), int(rng.integers(8, 21))
        X = np.round(rng.uniform(-1.0, 1.0, size=(m, n)), 2)
        y = rng.integers(0, 2, size=m)
        y[: 2] = (0, 1)
        verdict = LPLearner().check(X, np.where(y > 0, 1, -1))
        truth = None if verdict.separable is None else (Status.FEASIBLE if verdict.separable else Status.INFEASIBLE)
        name = f"qrelu{levels}-single-n{n}-m{m}-s{seed}-{k}"
        out.append(Instance(name, make_dataset(X, y, name=name), (1,), truth, float(time_limit), "qrelu-single", f"qrelu:{levels}"))
    return out


def _qrelu() -> list[Instance]:
    """The issue's 20 planted ``qrelu:4`` teachers (60 s each) and 10 one-unit questions with known truth (20 s)."""
    return [*qrelu_teacher_instances(20, 4, seed=0, time_limit=60.0), *qrelu_single_unit_instances(10, 4, seed=0, time_limit=20.0)]


_SUITES: dict[str, Callable[[], list[Instance]]] = {
    "quick": _quick,
    "standard": _standard,
    "hard": _hard,
    "structured": _structured,
    "large": _large,
    "qrelu": _qrelu,
}


def suite_names() -> tuple[str, ...]:
    """Names accepted by :func:`make_suite`."""
    return tuple(_SUITES)


def make_suite(name: str, time_limit: float | None = None) -> list[Instance]:
    """Build a named suite (deterministic).

    Parameters
    ----------
    name : {"quick", "standard", "hard", "structured", "large"}
        The suite.
    time_limit : float, optional
        Override every instance's time limit (seconds).

    Returns
    -------
    list of Instance
        With unique ids.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    try:
        builder = _SUITES[name]
    except KeyError:
        raise ValueError(f"unknown suite {name!r}; choose one of: {', '.join(suite_names())}") from None
    instances = builder()
    if time_limit is not None:
        instances = [dataclasses.replace(i, time_limit=float(time_limit)) for i in instances]
    ids = [i.id for i in instances]
    if len(set(ids)) != len(ids):  # pragma: no cover - a bug in a suite definition
        raise RuntimeError(f"suite {name!r} has duplicate instance ids")
    return instances
