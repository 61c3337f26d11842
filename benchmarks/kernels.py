"""Separability checks per second of every convex-learner kernel, in one run.

For each configuration (m examples, n inputs, K target columns over the same inputs,
separable-with-margin or random targets) the benchmark times:

- ``numba``, ``numpy`` (and ``cupy`` with a GPU): the batched perceptron on all K units at
  once; it decides the units it separates and leaves the others undecided;
- ``auto`` (and ``auto-cupy``): the perceptron, then the exact LP on the undecided units;
- ``lp``: our exact :class:`~ftprop_exact.solvers.learners.lp.LPLearner` (HiGHS), one unit at a time;
- ``linprog``: the plain feasibility LP ``t_i (a_i . w + b) >= 1`` on all rows with
  ``scipy.optimize.linprog`` (HiGHS), one unit at a time (no certificate, no verification);
- ``sklearn``: ``sklearn.linear_model.Perceptron`` fitted per unit (separable when its
  weights pass the rigorous check).

``checks_per_second`` is K divided by the time for all K units and ``ratio_to_lp`` divides
it by the ``lp`` figure of the same configuration (> 1: faster than the per-unit LP).
Per-unit back ends (and the LP phase of ``auto``) are timed on units in order until a
per-configuration budget is spent, then extrapolated per unit to all K; every row says how
many units were timed. Every verdict is compared with the LP's on the units both decided.

Run: ``ftprop bench-kernels [--quick] [--json]``.
"""

from __future__ import annotations

import platform
import time
from dataclasses import asdict, dataclass
from typing import Callable, Iterable

import numpy as np

from ftprop_exact.benchmarks.lp_separability import linprog_separable, make_targets
from ftprop_exact.solvers.learners.auto import AutoLearner
from ftprop_exact.solvers.learners.base import UnitVerdict, verified_separator
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.kernels.perceptron import PerceptronLearner, load_cupy

MARGIN = 0.1  # half-width of the empty band around every planted threshold
TARGET_KINDS = ("separable", "nonseparable")
BATCHED = ("numba", "numpy", "auto")
PER_UNIT = ("lp", "linprog", "sklearn")
GPU_BACKENDS = ("cupy", "auto-cupy")
ALL_BACKENDS = BATCHED + GPU_BACKENDS + PER_UNIT
QUICK_UNIT_BUDGET = 1.5  # seconds per per-unit back end and configuration
FULL_UNIT_BUDGET = 10.0


@dataclass(frozen=True)
class Config:
    """One benchmark configuration."""

    m: int
    n: int
    K: int
    targets: str


@dataclass(frozen=True)
class KernelRow:
    """One measured (back end, configuration) pair.

    ``seconds`` is the (possibly extrapolated) time for all K units, ``units_timed`` how
    many units were actually run, ``decided`` how many of those got a verdict, and
    ``wrong`` how many verdicts contradict the LP's.
    """

    backend: str
    m: int
    n: int
    K: int
    targets: str
    checks_per_second: float
    ratio_to_lp: float
    seconds: float
    units_timed: int
    decided: int
    wrong: int


def grid(quick: bool) -> list[Config]:
    """The configurations: a small grid with --quick, else the full one.

    Both contain m=1e4, n=64, K=64 (the reference point of the issue).
    """
    if quick:
        shapes: Iterable[tuple[int, int, int]] = [(1_000, 16, 16), (10_000, 16, 256), (10_000, 64, 64), (100_000, 16, 1)]
    else:
        shapes = [(m, n, K) for m in (1_000, 10_000, 100_000) for n in (16, 64, 256) for K in (1, 16, 256)]
        shapes = [*shapes, (10_000, 64, 64)]
    return [Config(m, n, K, kind) for m, n, K in shapes for kind in TARGET_KINDS]


def make_problem(config: Config, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (m, n) and K target columns (m, K) of one configuration.

    Separable targets: column k thresholds coordinate ``k mod n`` of the rows in a random
    orthonormal basis at a random offset in [-0.5, 0.5]; every coordinate is then pushed
    monotonically away from each of its thresholds by :data:`MARGIN`, so every column has
    geometric margin at least ``MARGIN`` (rows have about unit variance per coordinate).
    Non-separable targets: independent random signs (m >= 4 (n + 1) here, so no column is
    separable, as the LP confirms).
    """
    rng = np.random.default_rng(seed)
    m, n, K = config.m, config.n, config.K
    basis, _ = np.linalg.qr(rng.normal(size=(n, n)))
    Y = rng.normal(size=(m, n))
    if config.targets == "nonseparable":
        return Y @ basis.T, make_targets(Y, K, "nonseparable", rng)
    coordinate = np.arange(K) % n
    offset = rng.uniform(-0.5, 0.5, size=K)
    T = np.where(Y[:, coordinate] > offset, 1, -1).astype(np.int8)
    pushed = Y.copy()
    for k in range(K):
        pushed[:, coordinate[k]] += MARGIN * np.sign(Y[:, coordinate[k]] - offset[k])
    return pushed @ basis.T, T


# -- timing -------------------------------------------------------------------------------
Verdicts = list  # per unit: True / False / None, or "not run" (extrapolated past the budget)


def _time_batched(
    check_layer: Callable[[np.ndarray, np.ndarray], list[UnitVerdict]], A: np.ndarray, T: np.ndarray
) -> tuple[float, Verdicts]:
    """Seconds for one batched call on all K units, and its verdicts."""
    start = time.perf_counter()
    verdicts = check_layer(A, T)
    return time.perf_counter() - start, [v.separable for v in verdicts]


def _time_per_unit(
    check_unit: Callable[[np.ndarray, np.ndarray], bool | None],
    A: np.ndarray,
    T: np.ndarray,
    units: Iterable[int],
    budget: float,
) -> tuple[float, Verdicts]:
    """Run ``check_unit`` on ``units`` in order until ``budget`` seconds are spent.

    Returns the seconds per unit and the verdicts of the units run (at least one).
    """
    verdicts: list[bool | None] = []
    start = time.perf_counter()
    for k in units:
        verdicts.append(check_unit(A, T[:, k]))
        if time.perf_counter() - start > budget:
            break
    return (time.perf_counter() - start) / max(len(verdicts), 1), verdicts


def _sklearn_separable(A: np.ndarray, t: np.ndarray) -> bool | None:
    from sklearn.linear_model import Perceptron

    model = Perceptron(max_iter=256, random_state=0).fit(A, t)
    verdict = verified_separator(A, t, model.coef_[0], float(model.intercept_[0]))
    return True if verdict is not None else None


def _lp_separable(A: np.ndarray, t: np.ndarray) -> bool | None:
    return LPLearner().check(A, t).separable


def _linprog_separable(A: np.ndarray, t: np.ndarray) -> bool:
    return linprog_separable(A, t.astype(np.float64))


_PER_UNIT_CHECKS: dict[str, Callable[[np.ndarray, np.ndarray], bool | None]] = {
    "lp": _lp_separable,
    "linprog": _linprog_separable,
    "sklearn": _sklearn_separable,
}


def _time_auto(backend: str, A: np.ndarray, T: np.ndarray, budget: float) -> tuple[float, Verdicts]:
    """Time ``AutoLearner``'s two phases; the LP phase is extrapolated past ``budget``."""
    auto = AutoLearner(backend=backend)
    seconds, verdicts = _time_batched(auto.perceptron.check_layer, A, T)
    undecided = [k for k, v in enumerate(verdicts) if v is None]
    if undecided:
        per_unit, decided = _time_per_unit(lambda a, t: auto.lp.check(a, t).separable, A, T, undecided, budget)
        seconds += per_unit * len(undecided)
        for k, verdict in zip(undecided, decided):
            verdicts[k] = verdict
        for k in undecided[len(decided) :]:
            verdicts[k] = "not run"
    return seconds, verdicts


# -- one configuration --------------------------------------------------------------------
def _time_backend(backend: str, A: np.ndarray, T: np.ndarray, budget: float) -> tuple[float, Verdicts]:
    """Seconds for all K units (extrapolated for per-unit back ends) and the verdicts run."""
    if backend in _PER_UNIT_CHECKS:
        per_unit, verdicts = _time_per_unit(_PER_UNIT_CHECKS[backend], A, T, range(T.shape[1]), budget)
        return per_unit * T.shape[1], verdicts
    if backend.startswith("auto"):
        return _time_auto("cupy" if backend == "auto-cupy" else "numba", A, T, budget)
    return _time_batched(PerceptronLearner(backend=backend).check_layer, A, T)


def measure(config: Config, backends: Iterable[str], budget: float, repeats: int = 1, seed: int = 0) -> list[KernelRow]:
    """Time every back end on one configuration (``"lp"`` always runs: it is the reference).

    Back ends take turns, ``repeats`` times over, and each keeps its fastest time (the
    load of a shared machine only ever slows a run down).
    """
    A, T = make_problem(config, seed)
    K = config.K
    order = ["lp", *[b for b in backends if b != "lp"]]
    results: dict[str, tuple[float, Verdicts]] = {}
    for _ in range(max(1, repeats)):
        for backend in order:
            seconds, verdicts = _time_backend(backend, A, T, budget)
            if backend not in results or seconds < results[backend][0]:
                results[backend] = (seconds, results.get(backend, (0.0, verdicts))[1])
    lp_rate = K / results["lp"][0]
    reference = results["lp"][1]
    rows = []
    for backend, (seconds, verdicts) in results.items():
        run = [v for v in verdicts if v != "not run"]
        wrong = sum(
            1 for got, truth in zip(verdicts, reference) if got in (True, False) and truth in (True, False) and got != truth
        )
        rate = K / seconds
        rows.append(
            KernelRow(
                backend=backend,
                m=config.m,
                n=config.n,
                K=K,
                targets=config.targets,
                checks_per_second=rate,
                ratio_to_lp=rate / lp_rate,
                seconds=seconds,
                units_timed=len(run),
                decided=sum(1 for v in run if v is not None),
                wrong=wrong,
            )
        )
    return rows


def available_backends() -> tuple[tuple[str, ...], str | None]:
    """Back ends to run here, and why the GPU ones are skipped (None when they run)."""
    try:
        load_cupy()
    except ImportError as exc:
        return BATCHED + PER_UNIT, str(exc)
    return BATCHED + GPU_BACKENDS + PER_UNIT, None


def warm_up(backends: Iterable[str]) -> None:
    """Load compiled kernels, lazy imports and the CUDA context before anything is timed."""
    A = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    T = np.array([[-1, 1], [-1, 1], [-1, 1], [1, -1]])
    for backend in {"numba", *[b for b in backends if b in ("numpy", "cupy")]}:
        PerceptronLearner(backend=backend).check_layer(A, T)
    for backend in _PER_UNIT_CHECKS:
        if backend in backends or backend == "lp":
            _PER_UNIT_CHECKS[backend](A, T[:, 1])


def run_benchmark(
    quick: bool = False,
    backends: Iterable[str] | None = None,
    budget: float | None = None,
    repeats: int | None = None,
    progress: Callable[[Iterable[Config]], Iterable[Config]] = iter,
) -> dict:
    """Run the whole grid and return the JSON-ready report.

    Parameters
    ----------
    quick : bool, default=False
        The small grid (still with m=1e4, n=64, K=64).
    backends : iterable of str or None
        Subset of :func:`available_backends` (default: all of them).
    budget : float or None
        Seconds per per-unit back end and configuration before extrapolating (default 1.5
        with ``quick``, else 10).
    repeats : int or None
        Turns per back end and configuration; the fastest counts (default 2 with
        ``quick``, else 1: the full grid takes hours on two cores).
    progress : callable
        Wraps the iterable of configurations (e.g. ``tqdm``).

    Returns
    -------
    dict
        ``{"rows": [...], "notes": [...], "machine": {...}, "quick": bool}``.
    """
    here, gpu_skip = available_backends()
    chosen = tuple(here if backends is None else [b for b in here if b in set(backends)])
    budget = (QUICK_UNIT_BUDGET if quick else FULL_UNIT_BUDGET) if budget is None else budget
    repeats = (2 if quick else 1) if repeats is None else repeats
    warm_up(chosen)
    rows = [row for config in progress(grid(quick)) for row in measure(config, chosen, budget, repeats)]
    notes = [
        f"lp, linprog, sklearn and the LP phase of auto run one unit at a time; each is timed on "
        f"units in order until {budget:g} s are spent, then extrapolated per unit to all K "
        f"(units_timed says how many ran)",
        "numba/numpy/cupy alone never say 'not separable': on non-separable targets they decide "
        "nothing (decided = 0) and the rate is that of giving up",
        f"each back end ran {repeats} times per configuration, taking turns; the fastest run counts",
        f"separable targets have geometric margin >= {MARGIN} (unit-variance coordinates)",
    ]
    if gpu_skip:
        notes.append(f"cupy skipped: {gpu_skip}")
    return {
        "rows": [asdict(row) for row in rows],
        "notes": notes,
        "quick": quick,
        "machine": machine(),
    }


def machine() -> dict:
    """Where the figures were measured."""
    import os

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def format_table(report: dict) -> str:
    """The report as a fixed-width table (one line per row) followed by the notes."""
    header = (
        f"{'backend':<10} {'m':>7} {'n':>4} {'K':>4} {'targets':<12} "
        f"{'checks/s':>11} {'ratio_to_lp':>11} {'timed':>5} {'decided':>7} {'wrong':>5}"
    )
    lines = [header, "-" * len(header)]
    for r in report["rows"]:
        lines.append(
            f"{r['backend']:<10} {r['m']:>7} {r['n']:>4} {r['K']:>4} {r['targets']:<12} "
            f"{r['checks_per_second']:>11.4g} {r['ratio_to_lp']:>11.3g} {r['units_timed']:>5} "
            f"{r['decided']:>7} {r['wrong']:>5}"
        )
    lines.extend(f"note: {note}" for note in report["notes"])
    m = report["machine"]
    lines.append(f"machine: {m['platform']}, {m['cpus']} cpus, python {m['python']}, {m['date']}")
    return "\n".join(lines)
