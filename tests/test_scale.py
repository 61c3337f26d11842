"""Issue 12: memory linear in the data, deadlines at every size, the memory guard.

The fast cases use a few tens of thousands of rows; the 100,000-row cases are ``slow``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from ftprop_exact import solve
from ftprop_exact.benchmarks.generators import planted_teacher
from ftprop_exact.budget import Deadline, process_age
from ftprop_exact.data import make_dataset
from ftprop_exact.memory import (
    MemoryGuard,
    MemoryLimitError,
    available_bytes,
    check_allocation,
    default_memory_limit,
    memory_limit_bytes,
    rss_bytes,
)
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.master import MasterModel, master_items, master_spec
from ftprop_exact.solvers.exact.sizing import master_refusal
from ftprop_exact.solvers.learners.hinge import LP_ROWS, fit_hinge, liblinear_epochs
from ftprop_exact.solvers.search.sampling import warm_rows
from ftprop_exact.status import Status


def hinge(A: np.ndarray, t: np.ndarray, c: np.ndarray, fitted: tuple[np.ndarray, float]) -> float:
    w, b = fitted
    return float(np.sum(c * np.maximum(0.0, 1.0 - t * (A @ w + b))))


def noisy_targets(m: int, n: int, seed: int, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = np.sign(rng.standard_normal((m, n))) if binary else rng.uniform(-1.0, 1.0, (m, n))
    t = np.sign(A @ rng.standard_normal(n) + 0.3 * rng.standard_normal(m))
    t[t == 0] = 1.0
    return A, t


# -- hinge fits --------------------------------------------------------------------------------
def test_hinge_merges_identical_pairs_without_changing_the_optimum():
    A, t = noisy_targets(600, 4, 0, binary=True)  # 16 patterns: at most 32 distinct pairs
    c = np.random.default_rng(1).integers(1, 4, A.shape[0]).astype(float)
    merged = fit_hinge(A, t, c)
    # the optimum of the unmerged LP, solved directly
    from scipy import sparse
    from scipy.optimize import linprog

    m, n = A.shape
    A_ub = sparse.hstack([sparse.csr_matrix(-t[:, None] * A), sparse.csr_matrix(-t[:, None]), -sparse.identity(m)])
    res = linprog(np.r_[np.zeros(n + 1), c], A_ub=A_ub, b_ub=-np.ones(m), bounds=[(None, None)] * (n + 1) + [(0, None)] * m)
    assert hinge(A, t, c, merged) == pytest.approx(res.fun, rel=1e-7, abs=1e-7)


def test_hinge_beyond_the_lp_size_is_close_to_the_lp_optimum():
    A, t = noisy_targets(3 * LP_ROWS, 10, 2, binary=False)
    c = np.ones(A.shape[0])
    from ftprop_exact.solvers.learners import hinge as module

    lp_value = hinge(A, t, c, module._hinge_lp(A, t, c, None))  # the exact optimum
    svm_value = hinge(A, t, c, fit_hinge(A, t, c))
    assert svm_value <= 1.05 * lp_value + 1.0


def test_hinge_memory_is_linear_in_the_rows():
    A, t = noisy_targets(40_000, 20, 3, binary=False)
    tracemalloc.start()
    fit_hinge(A, t, time_limit=2.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40 * A.nbytes  # an m x m anything would be 12.8 GB


def test_hinge_respects_its_time_limit_at_scale():
    A, t = noisy_targets(60_000, 30, 4, binary=False)
    start = time.perf_counter()
    w, b = fit_hinge(A, t, time_limit=0.5)
    assert time.perf_counter() - start < 5.0
    assert np.mean(np.sign(A @ w + b) == t) > 0.8


def test_liblinear_epochs_shrink_with_the_budget():
    assert liblinear_epochs(100_000, 64, 0.01) == 2
    assert liblinear_epochs(100_000, 64, 1.0) < liblinear_epochs(100_000, 64, 10.0) <= 1000


def test_hinge_of_a_single_class_is_a_constant_unit():
    A = np.random.default_rng(0).normal(size=(5000, 3))
    w, b = fit_hinge(A, np.ones(5000))
    assert np.all(A @ w + b > 0)


# -- warm starts on a sample -------------------------------------------------------------------
def test_warm_rows_samples_large_problems_only():
    X, y, _ = planted_teacher(5, 3000, (2,), np.random.default_rng(0))
    problem = Problem.build(make_dataset(X, y), (2,), "sign")
    Xs, Ys, cs = warm_rows(problem, np.random.default_rng(0), size=500)
    assert Xs.shape == (500, 5) and Ys.shape[0] == 500 and cs.shape == (500,)
    assert warm_rows(problem, None, size=5000)[0] is problem.X
    with pytest.raises(ValueError, match="positive"):
        warm_rows(problem, None, size=0)


# -- the CP-SAT master's size ------------------------------------------------------------------
def test_master_items_count_the_built_model():
    X, y, _ = planted_teacher(6, 400, (3, 2), np.random.default_rng(1))
    problem = Problem.build(make_dataset(X, y), (3, 2), "sign")
    spec, _ = master_spec(problem, "auto", None, "min_errors")
    model = MasterModel(spec).model.proto
    assert abs(master_items(spec) - len(model.variables) - len(model.constraints)) < 100


def test_master_refused_when_it_cannot_be_built_in_time_or_memory():
    X, y, _ = planted_teacher(6, 20_000, (8,), np.random.default_rng(1))
    problem = Problem.build(make_dataset(X, y), (8,), "sign")
    spec, _ = master_spec(problem, "auto", None, "feasibility")
    assert "to build" in master_refusal(spec, Deadline(10.0))
    assert master_refusal(spec, Deadline(None)) is None
    tight = Deadline(None, memory_limit=(rss_bytes() or 0) + (1 << 20))
    assert "MiB" in master_refusal(spec, tight)


# -- the memory guard --------------------------------------------------------------------------
def test_memory_limit_arguments():
    assert memory_limit_bytes(2) == 2 << 20
    for bad in (0, -1.0, float("nan"), "1", True):
        with pytest.raises(ValueError, match="memory_limit"):
            memory_limit_bytes(bad)
    if available_bytes() is not None:
        assert default_memory_limit() > (rss_bytes() or 0)


def test_check_allocation_refuses_beyond_the_headroom():
    deadline = Deadline(None, memory_limit=(rss_bytes() or 0) + (10 << 20))
    check_allocation(deadline, 1 << 20, "a small array")
    with pytest.raises(MemoryLimitError, match="a big array"):
        check_allocation(deadline, 1 << 30, "a big array")
    check_allocation(Deadline(None), 1 << 40, "anything without a limit")


def test_memory_guard_interrupts_the_deadline_with_a_reason():
    deadline = Deadline(None, memory_limit=1 << 20)  # below any Python process
    with MemoryGuard(deadline, interval=0.001) as guard:
        for _ in range(2000):
            if deadline.interrupted:
                break
            time.sleep(0.001)
    assert guard.tripped and deadline.expired()
    assert "memory limit of 1 MiB reached" in deadline.reason
    child = Deadline(None, parent=deadline)
    assert child.reason == deadline.reason and child.memory_limit == 1 << 20


def test_solve_stops_at_the_memory_limit_with_the_best_network():
    X, y, _ = planted_teacher(6, 2000, (4,), np.random.default_rng(2))
    result = solve(X, y, hidden=(4,), searcher="local", time_limit=20, memory_limit=1)
    assert result.status is Status.UNKNOWN
    assert "memory limit of 1 MiB" in result.stats["stopped"]
    assert result.network is not None and result.stats["seconds"] < 15


def test_solve_turns_a_memory_error_into_unknown(monkeypatch):
    from ftprop_exact.solvers.search import starts

    def exhausted(*args, **kwargs):
        raise MemoryError("no room for the warm start")

    monkeypatch.setattr(starts, "anneal_start", exhausted)
    X, y, _ = planted_teacher(4, 300, (3,), np.random.default_rng(3))
    result = solve(X, y, hidden=(3,), searcher="local", time_limit=10)
    assert result.status is Status.UNKNOWN and result.stats["stopped"] == "no room for the warm start"


def test_process_age_counts_the_start_up():
    age = process_age()
    assert 0.0 <= age < 3600
    deadline = Deadline.from_process_start(1e6)
    assert deadline.elapsed() >= age - 0.01


# -- the command line at scale -----------------------------------------------------------------
def write_teacher(tmp_path: Path, n: int, m: int, hidden: tuple[int, ...], seed: int = 0) -> Path:
    X, y, _ = planted_teacher(n, m, hidden, np.random.default_rng(seed))
    path = tmp_path / f"teacher_{m}x{n}.npz"
    np.savez(path, X=X, y=y)
    return path


def timed_check(*args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``ftprop check``; return the process, its wall time and its peak RSS (MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ftprop_exact.cli", "check", *args], capture_output=True, text=True, timeout=timeout
    )
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc, wall, max(peak, before) / 1024


def start_up_seconds() -> float:
    """Wall time of an interpreter that only imports the command line (the machine's floor)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import ftprop_exact.cli"], check=True, timeout=120)
    return time.perf_counter() - start


def test_half_a_second_on_50000_rows_is_held(tmp_path):
    path = write_teacher(tmp_path, 20, 50_000, (3,))
    floor = start_up_seconds()
    proc, wall, _ = timed_check(str(path), "--hidden", "3", "--time-limit", "0.5", "--json")
    assert proc.returncode in (0, 10), proc.stderr
    obj = json.loads(proc.stdout)
    # the limit counts from the process start; what is left after it is output and exit
    assert obj["stats"]["seconds"] < 0.5 + 2.0 + max(0.0, floor - 1.0)
    assert wall < max(0.5, floor) + 2.5, (wall, floor)


def test_memory_limit_on_the_command_line(tmp_path):
    path = write_teacher(tmp_path, 8, 3000, (4,))
    proc, _, _ = timed_check(str(path), "--hidden", "4", "--time-limit", "20", "--memory-limit", "5")
    assert proc.returncode == 0, proc.stderr
    assert "s UNKNOWN" in proc.stdout and "c stopped early: memory limit of 5 MiB" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "ftprop_exact.cli", "check", str(path), "--hidden", "4", "--memory-limit", "0"],
        capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 2 and "memory limit must be positive" in bad.stderr


@pytest.mark.slow
@pytest.mark.parametrize("limit", [5.0, 30.0])
def test_100000_by_64_within_time_and_memory(tmp_path, limit):
    path = write_teacher(tmp_path, 64, 100_000, (8,))
    floor = start_up_seconds()
    proc, wall, peak = timed_check(str(path), "--hidden", "8", "--time-limit", str(limit), "--json")
    assert proc.returncode in (0, 10), proc.stderr
    # seconds: from the process start to the answer (start-up included)
    assert json.loads(proc.stdout)["stats"]["seconds"] < limit + 2.0
    assert wall < limit + 2.0 + floor, (wall, floor)
    assert peak < 2048, peak
