"""One benchmark run in a process of its own: resource limits, the solve, the answer on disk.

The runner starts this process (forked from a preloaded fork server, or as
``python -m ftprop_exact.benchmarks.child JOB RESULT`` where forking children is not
allowed, e.g. in a daemonic Dask worker). The child caps its own address space and CPU
time with :func:`resource.setrlimit`, sends its stdout and stderr to a log file, solves,
and writes one JSON document (the result, or the error) atomically to ``RESULT``. The
runner kills it when its hard wall-clock limit passes; nothing it wrote is trusted
without the runner's own checks (:mod:`ftprop_exact.benchmarks.verdicts`).
"""

from __future__ import annotations

import json
import math
import os
import pickle
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ftprop_exact.api import solve
from ftprop_exact.atomic import write_text_atomic
from ftprop_exact.benchmarks.suites import Instance
from ftprop_exact.solvers.search_base import TargetSearcher

__all__ = ["Job", "child_entry", "execute", "json_safe", "limit_threads", "main", "set_limits"]

MiB = 1 << 20
GUARD_SHARE = 0.8  # share of the address-space cap at which the solve's memory guard stops it


@dataclass(frozen=True)
class Job:
    """One (instance, solver, seed) run.

    Attributes
    ----------
    instance : Instance
        The question and its data.
    solver : str
        Registry name of the searcher.
    searcher : TargetSearcher
        The searcher object, built (and so import-checked) by the runner; a fresh copy
        reaches every child.
    seed : int
        ``random_state`` of the solve.
    memory_mb : int or None
        Address-space cap of the child in MiB (None: no cap).
    threads : int
        Threads the searcher may use (sets the CPU-time backstop).
    preload : tuple of str
        Modules the fork server imports once, so that children start without import time.
    grace : float
        Seconds past the time limit (plus 10% of it) before the runner kills the child.
    """

    instance: Instance
    solver: str
    searcher: TargetSearcher = field(repr=False)
    seed: int = 0
    memory_mb: int | None = 4096
    threads: int = 1
    preload: tuple[str, ...] = ()
    grace: float = 5.0

    @property
    def key(self) -> str:
        """The run's identity in the results file: ``instance|solver|seed``."""
        return f"{self.instance.id}|{self.solver}|{self.seed}"

    @property
    def hard_limit(self) -> float:
        """Wall-clock seconds after which the runner kills the child."""
        return self.instance.time_limit * 1.1 + self.grace


def set_limits(memory_mb: int | None, cpu_seconds: float | None) -> None:
    """Cap this process's address space (MiB) and CPU time (s); a no-op where unsupported."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    if memory_mb is not None:
        cap = int(memory_mb) * MiB
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if cpu_seconds is not None and math.isfinite(cpu_seconds):
        soft = int(math.ceil(cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))


def limit_threads(threads: int) -> None:
    """Hold the run's native thread pools (BLAS, OpenMP, numba) to ``threads``.

    joblib's workers cap the pools of their children, Dask's workers do not: with the cap
    set here a run gets the same threads under every back end (``--threads``, default 1),
    and ``--jobs`` parallel runs do not oversubscribe the cores.
    """
    import numba
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    threadpool_limits(threads)
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def json_safe(value: Any) -> Any:
    """Recursively convert to strict JSON: numpy scalars and arrays, tuples, non-finite floats (None)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def execute(job: Job) -> dict[str, Any]:
    """Solve the job's instance; return ``{"result", "seconds"}`` or ``{"error"}`` (JSON-ready)."""
    instance = job.instance
    try:
        start = time.perf_counter()
        result = solve(
            instance.data,
            hidden=instance.hidden,
            activation=instance.activation,
            searcher=job.searcher,
            time_limit=instance.time_limit,
            random_state=job.seed,
            memory_limit=None if job.memory_mb is None else GUARD_SHARE * job.memory_mb,
        )
        seconds = time.perf_counter() - start
        return {"result": json_safe(result.to_dict()), "seconds": seconds, "peak_mb": peak_rss_mb()}
    except MemoryError:
        return {"error": f"MemoryError: the memory cap of {job.memory_mb} MiB was exceeded"}
    except Exception as exc:  # noqa: BLE001 - a crashing solver is a result, not a runner failure
        return {"error": f"{type(exc).__name__}: {exc}"}


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process so far, in MiB (None where unsupported)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / (1 << 20) if sys.platform == "darwin" else kib / 1024  # bytes on macOS, KiB elsewhere


def _redirect_output(log_path: str) -> None:
    """Send fds 1 and 2 to ``log_path`` (the runner reads its tail on errors)."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def child_entry(job: Job, result_path: str, log_path: str) -> None:
    """Body of the child process: limits, output redirection, solve, write the answer."""
    _redirect_output(log_path)
    set_limits(job.memory_mb, job.hard_limit * max(1, job.threads) + 10.0)
    limit_threads(max(1, job.threads))
    payload = execute(job)
    write_text_atomic(result_path, json.dumps(payload, allow_nan=False))


def main(argv: list[str]) -> int:
    """``python -m ftprop_exact.benchmarks.child JOB_PICKLE RESULT_JSON LOG``."""
    job_path, result_path, log_path = argv
    with open(job_path, "rb") as handle:
        job = pickle.load(handle)
    child_entry(job, result_path, log_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
