"""Cube-and-conquer over Dask: one exact CP-SAT search split into cubes run on a cluster.

The coordinator builds the master's spec, picks ``d`` hidden targets to split on
(:func:`~ftprop_exact.solvers.exact.cubes.cube_literals`), ships the problem to every
worker once (``scatter``), and submits one task per cube (:func:`cube_task`, which runs
:func:`~ftprop_exact.solvers.exact.cubes.run_cube`). The first cube that finds a network
stops the others (a Dask ``Event`` that every running task polls, then ``cancel``); the
network is re-verified by the coordinator's incumbent. When every cube closes, their
proofs merge into one :class:`~ftprop_exact.proofs.cubes.CubesProof`. The deadline and
signals reach the coordinator's loop, which stops the tasks and closes the cluster it made.

``dask="local"`` starts a ``LocalCluster`` with ``workers`` single-threaded workers;
any other value is the address of a running scheduler (``dask scheduler``), whose workers
(``dask worker ADDRESS``) must have ftprop_exact installed (docs/exact_search.md).
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.errors import DataError
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.cubes import MAX_CUBE_LITERALS, CubeLiteral, CubePart, CubesProof
from ftprop_exact.proofs.master import ModelTooLarge, capped, master_spec
from ftprop_exact.solvers.exact.cpsat import CPSATSearcher, default_threads
from ftprop_exact.solvers.exact.cubes import CubeOutcome, cube_literals, default_depth, run_cube
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome, require_deciding_learner
from ftprop_exact.status import Status

DASK_INSTALL_HINT = "pip install 'ftprop_exact[dask]'"
log = logging.getLogger("ftprop_exact")

EXACT_SEARCHERS = ("cpsat", "auto")  # the searchers whose search dask= splits
POLL_SECONDS = 0.25
CONNECT_SECONDS = 5  # to reach a scheduler  # how often the coordinator and every task look for a stop


def require_distributed() -> Any:
    """The ``distributed`` module, or an ImportError with the install hint."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(f"cube-and-conquer over Dask needs dask.distributed: {DASK_INSTALL_HINT}") from exc
    return distributed


class DaskCubeSearcher:
    """Exact search (CP-SAT) split into cubes and run on a Dask cluster.

    Parameters
    ----------
    dask : str, default="local"
        ``"local"`` (a LocalCluster started and closed here) or a scheduler address such as
        ``"tcp://10.0.0.1:8786"``.
    workers : int, optional
        Workers of the local cluster (default: available cores, at most 8). Ignored for an
        address (the cluster has the workers it has).
    cube_depth : int, optional
        Hidden targets to split on: ``2^cube_depth`` cubes (default: about 8 cubes per
        worker thread, :func:`~ftprop_exact.solvers.exact.cubes.default_depth`).
    threads : int, default=1
        CP-SAT workers inside each cube.
    first_layer, max_weight
        As for :class:`~ftprop_exact.solvers.exact.cpsat.CPSATSearcher`.
    processes : bool, default=True
        Local cluster only: workers in processes (False: threads of this process; CP-SAT
        releases the GIL, and it starts faster, e.g. in tests).

    Raises
    ------
    ImportError
        When dask.distributed is not installed (the message gives the install command).
    """

    name = "cpsat-cubes"
    capabilities = Capabilities(proves=True, options=("threads", "max_weight"))  # no bounding pass first: asked for cubes

    def __init__(
        self,
        dask: str = "local",
        workers: int | None = None,
        cube_depth: int | None = None,
        threads: int = 1,
        first_layer: str = "auto",
        max_weight: int | None = None,
        processes: bool = True,
    ) -> None:
        require_distributed()
        if not isinstance(dask, str) or not dask:
            raise ValueError(f"dask must be 'local' or a scheduler address; got {dask!r}")
        if workers is not None and workers < 1:
            raise ValueError(f"the number of Dask workers must be positive; got {workers!r}")
        if cube_depth is not None and not 0 <= cube_depth <= MAX_CUBE_LITERALS:
            raise ValueError(f"cube_depth must be an integer from 0 to {MAX_CUBE_LITERALS}; got {cube_depth!r}")
        CPSATSearcher(threads=1, first_layer=first_layer, max_weight=max_weight)  # the cubes' options, checked now
        self.dask = dask
        self.workers = workers if workers is not None else default_threads()
        self.cube_depth = cube_depth
        self.threads = max(1, int(threads))
        self.first_layer = first_layer
        self.max_weight = max_weight
        self.processes = processes

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Run every cube on the cluster until a network, a closed cover, or the deadline."""
        if not problem.hidden:
            raise ValueError(f"the {self.name} searcher needs at least one hidden layer")
        require_deciding_learner(f"searcher {self.name!r}", learner)
        try:
            spec, mode = master_spec(problem, self.first_layer, self.max_weight, "feasibility")
        except ModelTooLarge as exc:
            return SearchOutcome(Status.UNKNOWN, stats={"master_refused": str(exc)})
        options = {"threads": self.threads, "first_layer": self.first_layer, "max_weight": self.max_weight}
        with self._client() as client:
            slots = sum(client.nthreads().values())
            depth = self.cube_depth if self.cube_depth is not None else default_depth(slots)
            literals = cube_literals(problem, spec, min(depth, (problem.n_rows - 1) * problem.hidden[0]))
            cubes = list(itertools.product((1, -1), repeat=len(literals)))
            stats: dict[str, Any] = {
                "first_layer": mode,
                "dask": self.dask,
                "dask_threads": slots,
                "cube_depth": len(literals),
                "cubes": len(cubes),
            }
            outcomes = self._conquer(client, problem, learner, literals, cubes, options, deadline, incumbent, rng, stats)
        if incumbent.exact:
            return SearchOutcome(Status.FEASIBLE, stats=stats)
        if len(outcomes) < len(cubes) or any(o.status != "closed" for o in outcomes.values()):
            return SearchOutcome(Status.UNKNOWN, stats=stats)
        proof = CubesProof(
            problem.claim(None, self.max_weight if capped(spec, problem, self.max_weight) else None),
            tuple(CubeLiteral(layer + 1, unit, int(problem.row_index[row])) for layer, row, unit in literals),
            tuple(CubePart(cube, outcomes[k].proof) for k, cube in enumerate(cubes)),
        )
        if proof.claim.bounded:
            stats["infeasible_with_max_weight"] = self.max_weight
            return SearchOutcome(Status.UNKNOWN, proof=proof, stats=stats)
        return SearchOutcome(Status.INFEASIBLE, proof=proof, stats=stats)

    def _conquer(
        self,
        client: Any,
        problem: Problem,
        learner: SeparabilityLearner,
        literals: list[tuple[int, int, int]],
        cubes: list[tuple[int, ...]],
        options: dict[str, Any],
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
        stats: dict[str, Any],
    ) -> dict[int, CubeOutcome]:
        """Submit every cube, collect outcomes until a network is found, all are in, or time is up."""
        distributed = require_distributed()
        stop = distributed.Event(f"ftprop-stop-{uuid.uuid4().hex}", client=client)
        left = deadline.remaining()
        end = time.time() + left if math.isfinite(left) else None  # wall clock: shared across machines
        shipped_problem = client.scatter(problem, broadcast=True)
        shipped_learner = learner_for_workers(learner)
        seed = int(rng.integers(0, 2**31 - 1))
        futures = [
            client.submit(
                cube_task,
                shipped_problem,
                shipped_learner,
                k,
                tuple((layer, row, unit, value) for (layer, row, unit), value in zip(literals, cube)),
                end,
                options,
                seed + k,
                stop.name,
                pure=False,
            )
            for k, cube in enumerate(cubes)
        ]
        outcomes: dict[int, CubeOutcome] = {}
        pending = set(futures)
        try:
            while pending and not deadline.expired():
                try:
                    done, pending = distributed.wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    continue
                for future in done:
                    outcome = future.result()
                    outcomes[outcome.index] = outcome
                    if outcome.network is not None:
                        incumbent.offer(outcome.network, outcome.targets)  # re-verified on the data as given
                if incumbent.exact:
                    break
        finally:
            stop.set()
            client.cancel(list(pending))
            stats.update(cube_stats(outcomes, len(cubes)))
        return outcomes

    @contextmanager
    def _client(self) -> Iterator[Any]:
        """A client of a LocalCluster made (and closed) here, or of the scheduler at the address."""
        distributed = require_distributed()
        if self.dask == "local":
            cluster = distributed.LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=self.processes,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            try:
                with distributed.Client(cluster) as client:
                    yield client
            finally:
                cluster.close()
            return
        try:
            client = distributed.Client(self.dask, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            raise DataError(f"cannot reach the Dask scheduler at {self.dask!r} ({type(exc).__name__}: {exc})") from None
        with client:
            refuse_other_code(client)
            yield client


_CODE_MODULES = (
    "ftprop_exact.proofs.master",
    "ftprop_exact.proofs.benders",
    "ftprop_exact.solvers.exact.cpsat",
    "ftprop_exact.solvers.exact.cubes",
)
"""The modules whose code decides a cube (the master, its cuts, the cube search)."""


def code_fingerprint() -> str:
    """The ftprop_exact version and a SHA-256 of the modules that decide a cube."""
    import hashlib
    import importlib.util

    from ftprop_exact._version import __version__

    digest = hashlib.sha256()
    for name in _CODE_MODULES:
        spec = importlib.util.find_spec(name)
        with open(spec.origin, "rb") as handle:  # type: ignore[union-attr, arg-type]
            digest.update(handle.read())
    return f"{__version__}:{digest.hexdigest()}"


def refuse_other_code(client: Any) -> None:
    """Refuse a cluster whose workers run other ftprop_exact code than this coordinator.

    ``solve`` checks a cubes proof down to its certificates; each cube's "master infeasible"
    comes from a worker, so a worker with other master code could close a cube wrongly
    (``ftprop verify-proof`` re-solves every cube and would catch it, but the answer would
    already be printed).
    """
    ours = code_fingerprint()
    theirs = client.run(code_fingerprint)
    other = {worker: value for worker, value in theirs.items() if value != ours}
    if other:
        worker, value = next(iter(other.items()))
        raise DataError(
            f"Dask worker {worker} runs other ftprop_exact code ({value.split(':')[0]}, code "
            f"{value.split(':')[-1][:12]}) than this coordinator ({ours.split(':')[0]}, code "
            f"{ours.split(':')[-1][:12]}); install the same version on every worker"
        )


def cube_stats(outcomes: dict[int, CubeOutcome], n_cubes: int) -> dict[str, Any]:
    """Counts of the cubes (closed, found a network, returned open, not finished) and their times."""
    seconds = [o.seconds for o in outcomes.values()]
    closed = sorted(k for k, o in outcomes.items() if o.status == "closed")
    stats: dict[str, Any] = {
        "cubes_closed": len(closed),
        "cubes_found": sum(o.status == "found" for o in outcomes.values()),
        "cubes_timed_out": sum(o.status == "open" for o in outcomes.values()),
        "cubes_unfinished": n_cubes - len(outcomes),
        "cube_seconds_max": round(max(seconds, default=0.0), 3),
        "cube_seconds_sum": round(sum(seconds), 3),
    }
    if 0 < len(closed) < n_cubes and n_cubes <= 256:
        stats["closed_cube_indices"] = closed
    return stats


def dask_cube_searcher(
    searcher: Any, objective: str, dask: str, workers: int | None, options: dict[str, Any]
) -> DaskCubeSearcher:
    """The searcher ``solve(..., dask=...)`` runs: the exact search (``"cpsat"``, or the
    default ``"auto"``, whose proving half it is) split into cubes.

    Raises
    ------
    ValueError
        For another searcher or the min_errors objective.
    """
    if not isinstance(searcher, str) or searcher not in EXACT_SEARCHERS:
        raise ValueError(
            f"dask= splits the exact CP-SAT search into cubes: use searcher {' or '.join(map(repr, EXACT_SEARCHERS))}, "
            f"not {searcher!r}"
        )
    if objective != "feasibility":
        raise ValueError("cube-and-conquer over Dask decides feasibility only (not objective='min_errors')")
    return DaskCubeSearcher(dask, workers, **options)


def learner_for_workers(learner: SeparabilityLearner) -> Any:
    """What to ship: a registry learner by name (rebuilt on the worker), any other learner as it is."""
    from ftprop_exact.solvers.registry import learner_names  # the registry imports the searchers lazily

    name = getattr(learner, "name", None)
    return name if name in learner_names() else learner


def cube_task(
    problem: Problem,
    learner: Any,
    index: int,
    fixed: tuple[tuple[int, int, int, int], ...],
    end: float | None,
    options: dict[str, Any],
    seed: int,
    stop_name: str,
) -> CubeOutcome:
    """One cube, on a worker: until it closes, finds a network, the end time, or the stop event."""
    from distributed import Event, get_client

    from ftprop_exact.solvers.registry import make_learner

    convex = make_learner(learner) if isinstance(learner, str) else learner
    deadline = Deadline(None if end is None else max(0.0, end - time.time()))
    # the worker's client, fetched here: the watcher thread is no worker thread and finds none
    stop, finished = Event(stop_name, client=get_client()), threading.Event()

    def watch() -> None:
        while not finished.wait(POLL_SECONDS):
            try:
                stopped = stop.is_set()
            except Exception:  # noqa: BLE001 - no scheduler to ask: the deadline still ends the cube
                log.warning("cube %d can no longer see the stop event; it runs until its deadline", index)
                return
            if stopped:
                deadline.interrupt()
                return

    watcher = threading.Thread(target=watch, name="cube-stop", daemon=True)
    watcher.start()
    try:
        return run_cube(problem, convex, index, fixed, deadline, options, seed)
    finally:
        finished.set()
