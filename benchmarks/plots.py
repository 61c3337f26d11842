"""Cactus plot and Dolan-More performance profile of a results file (matplotlib, Agg back end).

- Cactus plot: per solver, its solved runs sorted by time; point ``k`` is the time within
  which it solved ``k`` runs (further right and lower is better).
- Performance profile (Dolan & More 2002): for a problem ``p`` (an instance and seed) and a
  solver ``s``, ``r_ps = t_ps / min_s t_ps`` with ``t_ps`` the solve time (infinite when
  unsolved); the curve is ``rho_s(tau)``, the share of all problems with ``r_ps <= tau``.
  ``rho_s(1)`` is how often ``s`` was fastest, the right end how often it solved at all.
  Times are floored at :data:`TIME_FLOOR` so that millisecond answers do not blow up ratios.

matplotlib is optional (the ``plot`` extra); without it the plotting functions raise an
ImportError with the install hint, and the data functions still work.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ftprop_exact.benchmarks.report import is_solved, problem_key

__all__ = ["TIME_FLOOR", "accuracy_plot", "cactus_data", "cactus_plot", "performance_ratios", "profile_plot"]

TIME_FLOOR = 0.01  # seconds
PLOT_INSTALL_HINT = "pip install 'ftprop_exact[plot]'  (or: pip install matplotlib)"


def cactus_data(records: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Per solver, the sorted solve times of its solved runs."""
    times: dict[str, list[float]] = {}
    for record in records:
        solved = times.setdefault(record["solver"], [])  # every solver gets a line
        if is_solved(record):
            solved.append(float(record["seconds"]))
    return {solver: sorted(t) for solver, t in sorted(times.items())}


def performance_ratios(records: Sequence[dict[str, Any]], floor: float = TIME_FLOOR) -> tuple[int, dict[str, list[float]]]:
    """Per solver, its performance ratios on every problem (``inf`` where unsolved).

    Returns
    -------
    n_problems : int
        Number of (instance, seed) problems.
    ratios : dict
        Solver -> sorted list of ``n_problems`` ratios.

    Examples
    --------
    >>> recs = [
    ...     {"instance": "a", "seed": 0, "solver": "x", "status": "FEASIBLE", "seconds": 1.0, "time_limit": 9},
    ...     {"instance": "a", "seed": 0, "solver": "y", "status": "FEASIBLE", "seconds": 4.0, "time_limit": 9},
    ...     {"instance": "b", "seed": 0, "solver": "x", "status": "UNKNOWN", "seconds": 9.0, "time_limit": 9},
    ...     {"instance": "b", "seed": 0, "solver": "y", "status": "FEASIBLE", "seconds": 2.0, "time_limit": 9}]
    >>> performance_ratios(recs)
    (2, {'x': [1.0, inf], 'y': [1.0, 4.0]})
    """
    problems = sorted({problem_key(r) for r in records})
    solvers = sorted({r["solver"] for r in records})
    times: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for record in records:
        if is_solved(record):
            times[problem_key(record)][record["solver"]] = max(floor, float(record["seconds"]))
    ratios: dict[str, list[float]] = {s: [] for s in solvers}
    for problem in problems:
        best = min(times[problem].values(), default=math.inf)
        for solver in solvers:
            t = times[problem].get(solver, math.inf)
            ratios[solver].append(t / best if math.isfinite(t) else math.inf)
    return len(problems), {s: sorted(r) for s, r in ratios.items()}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(f"plots need matplotlib: {PLOT_INSTALL_HINT}") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, ax: Any, path: str, plt: Any) -> str:
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cactus_plot(records: Sequence[dict[str, Any]], path: str) -> str:
    """Write the cactus plot (PNG) to ``path``; returns ``path``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for solver, times in cactus_data(records).items():
        ax.plot(range(1, len(times) + 1), times, marker=".", label=f"{solver} ({len(times)})")
    ax.set_yscale("log")
    ax.set_xlabel("runs solved (correct verdict within the limit)")
    ax.set_ylabel("solve time (s)")
    ax.set_title("Cactus plot")
    return _save(fig, ax, path, plt)


def profile_plot(records: Sequence[dict[str, Any]], path: str) -> str:
    """Write the Dolan-More performance profile (PNG) to ``path``; returns ``path``."""
    plt = _pyplot()
    n, ratios = performance_ratios(records)
    finite = [r for rs in ratios.values() for r in rs if math.isfinite(r)]
    tau_max = max(2.0, 1.5 * max(finite, default=1.0))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for solver, rs in ratios.items():
        solved = [r for r in rs if math.isfinite(r)]
        xs = sorted({1.0, *solved})
        ys = [sum(r <= x for r in solved) / n for x in xs]
        ax.step([*xs, tau_max], [*ys, len(solved) / n], where="post", label=solver)
    ax.set_xscale("log", base=2)
    ax.set_xlim(1.0, tau_max)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("tau (time relative to the fastest solver, floored at 0.01 s)")
    ax.set_ylabel(f"share of the {n} problems solved within tau")
    ax.set_title("Dolan-More performance profile")
    return _save(fig, ax, path, plt)


def accuracy_plot(summary: Sequence[dict[str, Any]], path: str) -> str:
    """Write mean test accuracy (± std) against training images per class, one line per row (PNG)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for row in dict.fromkeys(s["row"] for s in summary):
        points = sorted((s["per_class"], s["accuracy_mean"], s["accuracy_std"]) for s in summary if s["row"] == row and s.get("fits", 1))
        if not points:
            continue
        ns, means, stds = zip(*points)
        ax.errorbar(ns, means, yerr=stds, marker=".", capsize=2, label=row)
    ax.set_xscale("log")
    ns = sorted({s["per_class"] for s in summary})
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.minorticks_off()
    ax.set_xlabel("training images per class (N)")
    ax.set_ylabel("mean test accuracy")
    ax.set_title("Few-shot digits")
    return _save(fig, ax, path, plt)
