"""Run (instance, solver, seed) jobs, each in its own process, check every answer, record it.

Scale-out (docs/benchmarks.md): jobs go through joblib with local worker processes by
default (``jobs`` at a time); ``dask="local"`` or a scheduler address runs the same jobs on
a Dask distributed cluster (the optional ``dask`` extra). Either way, each worker starts a
fresh child process per run (:mod:`ftprop_exact.benchmarks.child`) with a memory cap and a
hard wall-clock limit, and checks the child's answer itself
(:func:`~ftprop_exact.benchmarks.verdicts.check_answer`). The driver appends one JSON line
per finished run (:mod:`ftprop_exact.benchmarks.results`), so an interrupted benchmark
keeps everything it finished and ``resume=True`` runs only what is missing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ftprop_exact import __version__
from ftprop_exact.activations import activation_family
from ftprop_exact.atomic import write_text_atomic
from ftprop_exact.benchmarks.child import Job, child_entry, json_safe
from ftprop_exact.benchmarks.results import append_record, finished_keys, results_path
from ftprop_exact.benchmarks.suites import Instance
from ftprop_exact.benchmarks.verdicts import check_answer
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.registry import capabilities_of, make_searcher, searchers_that
from ftprop_exact.solvers.search_base import TargetSearcher
from ftprop_exact.status import Status

__all__ = ["DASK_INSTALL_HINT", "RunSummary", "build_searchers", "make_jobs", "run_benchmark", "run_job"]

DASK_INSTALL_HINT = "pip install 'ftprop_exact[dask]'  (or: pip install 'dask[distributed]')"
META_NAME = "meta.json"
SOLVED = (Status.FEASIBLE.value, Status.INFEASIBLE.value)
_LOG_TAIL = 600  # characters of a crashed child's output kept in its record


# ------------------------------------------------------------------------------ jobs


def build_searchers(names: Iterable[str], threads: int = 1) -> tuple[dict[str, TargetSearcher], dict[str, str]]:
    """Build each named searcher once (checking that it imports); report the ones that fail.

    Parameters
    ----------
    names : iterable of str
        Registry names (:func:`~ftprop_exact.solvers.searcher_names`).
    threads : int, default=1
        Set on every searcher that has a ``threads`` attribute (CP-SAT workers), so that
        ``jobs`` parallel runs share the cores fairly.

    Returns
    -------
    searchers : dict
        Name -> searcher object, for those that could be built.
    skipped : dict
        Name -> reason, for those that could not (unknown name, failed import).
    """
    searchers: dict[str, TargetSearcher] = {}
    skipped: dict[str, str] = {}
    for name in names:
        try:
            searcher = make_searcher(name)
        except ValueError as exc:
            skipped[name] = str(exc)
            continue
        except ImportError as exc:
            skipped[name] = f"does not import ({type(exc).__name__}: {exc})"
            continue
        if hasattr(searcher, "threads"):
            searcher.threads = threads
        searchers[name] = searcher
    return searchers, skipped


def applicable(solver: str, searcher: TargetSearcher, instance: Instance) -> bool:
    """False when the searcher refuses the instance by design (brute force on large ones, an activation it does not train)."""
    if activation_family(instance.activation) not in capabilities_of(searcher).activations:
        return False
    check_size = getattr(searcher, "_check_size", None)
    if solver != "brute" or check_size is None:
        return True
    try:
        check_size(Problem.build(instance.data, instance.hidden, instance.activation))
    except ValueError:
        return False
    return True


def make_jobs(
    instances: Sequence[Instance],
    searchers: dict[str, TargetSearcher],
    seeds: int = 1,
    memory_mb: int | None = 4096,
    threads: int = 1,
) -> list[Job]:
    """Every applicable (instance, solver, seed) combination, instance by instance."""
    # imported once by the fork server: the solvers, and the numba kernels of the default
    # learner (imported only: running a parallel kernel there would make forking unsafe)
    modules = {type(s).__module__ for s in searchers.values()} | {"ftprop_exact.solvers.kernels.perceptron_numba"}
    preload = ("ftprop_exact.benchmarks.child", *sorted(modules))
    return [
        Job(instance, name, searcher, seed, memory_mb, threads, preload)
        for instance in instances
        for name, searcher in searchers.items()
        if applicable(name, searcher, instance)
        for seed in range(seeds)
    ]


# ------------------------------------------------------------------------------ one run (in a worker)


def _may_fork_children() -> bool:
    """Daemonic processes (e.g. Dask's default workers) may not start multiprocessing children."""
    return not multiprocessing.current_process().daemon


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    """A fork server that has imported the solvers once (spawn where there is none)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # children re-select this process's start method: a joblib worker's is "loky", which the
    # fork server only knows once the module defining it is imported there
    default = type(multiprocessing.get_context()).__module__
    ctx.set_forkserver_preload([*preload, default])  # effective until the server has started
    return ctx


def _stop(process: Any) -> None:
    process.terminate()
    process.join(2.0)
    if process.is_alive():
        process.kill()
        process.join()


def _run_forked(job: Job, result_path: str, log_path: str) -> tuple[int | None, bool]:
    process = _context(job.preload).Process(target=child_entry, args=(job, result_path, log_path), daemon=True)
    process.start()
    process.join(job.hard_limit)
    killed = process.is_alive()
    if killed:
        _stop(process)
    return process.exitcode, killed


def _run_subprocess(job: Job, result_path: str, log_path: str) -> tuple[int | None, bool]:
    job_path = result_path + ".job"
    with open(job_path, "wb") as handle:
        pickle.dump(job, handle)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    command = [sys.executable, "-m", "ftprop_exact.benchmarks.child", job_path, result_path, log_path]
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return process.wait(timeout=job.hard_limit), False
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return process.returncode, True


def _read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _tail(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()[-_LOG_TAIL:].strip()
    except OSError:
        return ""


def _launch(job: Job, isolation: str | None = None) -> tuple[dict[str, Any] | None, int | None, bool, float, str]:
    """Run the job's child; returns (payload, exit code, killed, wall seconds, log tail)."""
    mode = isolation or ("fork" if _may_fork_children() else "subprocess")
    with tempfile.TemporaryDirectory(prefix="ftprop-bench-") as tmp:
        result_path, log_path = os.path.join(tmp, "result.json"), os.path.join(tmp, "child.log")
        start = time.perf_counter()
        runner = _run_forked if mode == "fork" else _run_subprocess
        code, killed = runner(job, result_path, log_path)
        wall = time.perf_counter() - start
        return _read_json(result_path), code, killed, wall, _tail(log_path)


def _scalar_stats(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if v is None or isinstance(v, (bool, int, float, str))}


def run_job(job: Job, isolation: str | None = None) -> dict[str, Any]:
    """Run one job in a child process and return its checked record (JSON-ready).

    Parameters
    ----------
    job : Job
        The run.
    isolation : {"fork", "subprocess"}, optional
        How to start the child: from a preloaded fork server, or as a fresh interpreter.
        Default: the fork server unless this process may not have children (a daemonic
        worker), then a subprocess.

    Returns
    -------
    dict
        One results line: the instance's description, ``solver``, ``seed``, ``status``
        (FEASIBLE, INFEASIBLE, UNKNOWN, ERROR or TIMEOUT), ``seconds`` (the solve),
        ``wall`` (the whole child), ``wrong`` and ``check`` (the independent check),
        ``solved`` (a correct FEASIBLE/INFEASIBLE within the time limit), and more.
    """
    instance = job.instance
    payload, code, killed, wall, log_tail = _launch(job, isolation)
    result = (payload or {}).get("result")
    record: dict[str, Any] = {
        "run": job.key,
        **instance.meta(),
        "solver": job.solver,
        "seed": job.seed,
        "wall": wall,
        "error": None,
        "host": platform.node(),
        "version": __version__,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if result is not None:
        stats = result.get("stats") or {}
        record.update(
            status=result["status"],
            seconds=float(payload["seconds"]),
            peak_mb=payload.get("peak_mb"),
            errors=result.get("errors"),
            claimed_infeasible=bool(stats.get("claimed_infeasible", False)),
            proof_kind=(result.get("proof") or {}).get("kind"),
            network=result.get("network") if result["status"] == Status.FEASIBLE.value else None,
            stats=_scalar_stats(stats),
        )
    else:
        status = "TIMEOUT" if killed else "ERROR"
        reason = (payload or {}).get("error") or (
            f"killed after {job.hard_limit:.1f} s (hard limit)" if killed else f"child exited with code {code}: {log_tail}"
        )
        record.update(status=status, seconds=wall, peak_mb=None, errors=None, claimed_infeasible=False, proof_kind=None,
                      network=None, stats={}, error=reason)
    check = check_answer(instance, record["status"], result, proof_time_limit=max(60.0, 10 * instance.time_limit))
    record.update(wrong=check.wrong, check=check.note, check_seconds=check.seconds)
    record["solved"] = record["status"] in SOLVED and not check.wrong and record["seconds"] <= instance.time_limit
    return json_safe(record)


# ------------------------------------------------------------------------------ executors


def _joblib_records(jobs: Sequence[Job], n_jobs: int) -> Iterator[dict[str, Any]]:
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", backend="loky" if n_jobs > 1 else None)
    yield from parallel(delayed(run_job)(job) for job in jobs)


def _dask_client(address: str, n_workers: int) -> tuple[Any, Any]:
    """A client (and the LocalCluster it owns, if any)."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(f"--dask needs the optional Dask extra: {DASK_INSTALL_HINT}") from exc
    if address != "local":
        return Client(address), None
    # non-daemonic workers may fork their run processes from a preloaded server (fast)
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    return Client(cluster), cluster


def _dask_records(jobs: Sequence[Job], address: str, n_workers: int) -> Iterator[dict[str, Any]]:
    from distributed import as_completed

    client, cluster = _dask_client(address, n_workers)
    try:
        futures = client.map(run_job, list(jobs), pure=False)
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ------------------------------------------------------------------------------ the driver


@dataclass
class RunSummary:
    """What one call of :func:`run_benchmark` did.

    Attributes
    ----------
    out_dir : str
        The output directory.
    results : str
        The results file.
    jobs_run : int
        Runs executed now.
    jobs_resumed : int
        Runs skipped because the results file already had them.
    skipped_solvers : dict
        Solver -> reason it was not run.
    wrong : list of dict
        Records of wrong answers among the runs executed now.
    """

    out_dir: str
    results: str
    jobs_run: int = 0
    jobs_resumed: int = 0
    skipped_solvers: dict[str, str] = field(default_factory=dict)
    wrong: list[dict[str, Any]] = field(default_factory=list)


def _stderr(message: str) -> None:
    print(f"ftprop: {message}", file=sys.stderr, flush=True)


def _write_meta(out_dir: str, meta: dict[str, Any]) -> None:
    write_text_atomic(os.path.join(out_dir, META_NAME), json.dumps(json_safe(meta), indent=1) + "\n")


def machine_description() -> str:
    """One line: CPU model (when known), cores, OS, Python."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parts = [model, f"{cores} cores", platform.system(), f"Python {platform.python_version()}"]
    return ", ".join(p for p in parts if p)


def run_benchmark(
    instances: Sequence[Instance],
    solvers: Sequence[str],
    out_dir: str | os.PathLike,
    *,
    seeds: int = 1,
    jobs: int = 1,
    dask: str | None = None,
    resume: bool = False,
    threads: int = 1,
    memory_mb: int | None = 4096,
    suite: str = "custom",
    progress: bool | None = None,
    log: Callable[[str], None] = _stderr,
) -> RunSummary:
    """Run every (instance, solver, seed), check each answer, append results to ``out_dir``.

    Parameters
    ----------
    instances : sequence of Instance
        The instances (e.g. :func:`~ftprop_exact.benchmarks.suites.make_suite`).
    solvers : sequence of str
        Searcher names; those that do not import are skipped with a note.
    out_dir : str or path-like
        Output directory (created); results go to ``results.jsonl``, the run's description
        to ``meta.json``.
    seeds : int, default=1
        Seeds ``0 .. seeds-1`` per (instance, solver).
    jobs : int, default=1
        Runs at a time (joblib workers, or LocalCluster workers with ``dask="local"``).
    dask : str, optional
        ``"local"`` or a scheduler address (``tcp://host:8786``): run on Dask.
    resume : bool, default=False
        Keep the existing results file and run only the missing runs. Otherwise an existing
        results file is moved to ``results.jsonl.prev`` and everything runs.
    threads : int, default=1
        Threads per run for searchers that have them.
    memory_mb : int or None, default=4096
        Address-space cap of every run's process.
    suite : str, default="custom"
        Suite name recorded in every line.
    progress : bool, optional
        Show a tqdm bar on stderr; default: only when stderr is a terminal.
    log : callable, default: print to stderr
        Receives notes and the loud wrong-answer messages.

    Returns
    -------
    RunSummary

    Raises
    ------
    ImportError
        With the install hint, when ``dask`` is given and Dask is not installed.
    """
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    path = results_path(out_dir)
    searchers, skipped = build_searchers(solvers, threads)
    for name, reason in skipped.items():
        log(f"note: solver {name!r} skipped: {reason}")
    all_jobs = make_jobs(instances, searchers, seeds, memory_mb, threads)
    if resume:
        done = finished_keys(path)
    else:
        done = set()
        if os.path.exists(path):
            os.replace(path, path + ".prev")
            log(f"note: previous results moved to {path}.prev (use --resume to continue a run)")
    pending = [job for job in all_jobs if job.key not in done]
    summary = RunSummary(out_dir, path, len(pending), len(all_jobs) - len(pending), skipped)
    _write_meta(out_dir, {
        "suite": suite, "solvers": list(searchers), "skipped_solvers": skipped, "seeds": seeds, "jobs": jobs,
        "backend": f"dask {dask}" if dask else "joblib (local processes)", "threads_per_run": threads,
        "memory_mb": memory_mb, "machine": machine_description(), "version": __version__,
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "instances": len(instances),
    })
    records = _dask_records(pending, dask, jobs) if dask else _joblib_records(pending, jobs)
    show = sys.stderr.isatty() if progress is None else progress
    from tqdm import tqdm

    with tqdm(total=len(pending), disable=not show, file=sys.stderr, unit="run", desc=suite) as bar:
        for record in records:
            record["suite"] = suite
            append_record(path, record)
            if record["wrong"]:
                summary.wrong.append(record)
                log(f"WRONG ANSWER: {record['solver']} said {record['status']} on {record['instance']} "
                    f"(seed {record['seed']}): {record['check']}")
            bar.set_postfix_str(f"last: {record['instance']} {record['solver']} {record['status']}", refresh=False)
            bar.update(1)
    return summary


def available_solvers() -> tuple[str, ...]:
    """Every registered searcher of real-weight networks, the suites' question (``cpsat-int``,
    which searches integer weight domains only, is compared in the few-shot benchmark)."""
    return searchers_that(lambda c: "real" in c.weights)
