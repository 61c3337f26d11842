"""``solve``: the one-call Python API over every searcher and learner."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ftprop_exact import progress
from ftprop_exact.activations import activation_family, is_levelled
from ftprop_exact.budget import Deadline, Interrupted
from ftprop_exact.data import Dataset, make_dataset
from ftprop_exact.memory import MemoryGuard, memory_limit_bytes
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.basic import DuplicateConflictProof
from ftprop_exact.proofs.check import check_proof
from ftprop_exact.proofs.claim import OBJECTIVES
from ftprop_exact.result import Result
from ftprop_exact.solvers.active_set import ActiveSetSearcher, check_rows_mode, wants_active_set
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.objectives import CHOOSING_OBJECTIVES
from ftprop_exact.solvers.objectives.margin import widen_margins
from ftprop_exact.solvers.objectives.margin_start import MarginStartSearcher
from ftprop_exact.solvers.registry import (
    DEFAULT_LEARNER,
    DEFAULT_SEARCHER,
    INTEGER_SEARCHER,
    capabilities_of,
    make_learner,
    make_searcher,
    searchers_that,
)
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome, TargetSearcher, require_deciding_learner
from ftprop_exact.solvers.exact.must_differ import bounding_seconds, must_differ_outcome
from ftprop_exact.solvers.exact.single_layer import single_layer_min_errors, single_layer_outcome
from ftprop_exact.solvers.sparse_network import sparsify
from ftprop_exact.status import Status
from ftprop_exact.weights import WeightDomain, network_outside_domain, nonzero_weights, parse_weights

log = logging.getLogger("ftprop_exact")


def solve(
    X: Any,
    y: Any = None,
    hidden: Any = (3,),
    *,
    searcher: str | TargetSearcher = DEFAULT_SEARCHER,
    learner: str | SeparabilityLearner = DEFAULT_LEARNER,
    activation: str = "sign",
    time_limit: float | None = 60.0,
    random_state: int = 0,
    deadline: Deadline | None = None,
    objective: str = "feasibility",
    rows: str = "auto",
    memory_limit: float | None = None,
    dask: str | None = None,
    dask_workers: int | None = None,
    weights: str = "real",
    **searcher_options: Any,
) -> Result:
    """Fit a hard-threshold network with zero training errors, prove none exists, or say UNKNOWN.

    Parameters
    ----------
    X : array-like of shape (m, n) or Dataset
        Features as given (or a loaded :class:`~ftprop_exact.data.Dataset`, then ``y=None``).
    y : array-like of shape (m,), optional
        Labels (any two or more values).
    hidden : sequence of int, default=(3,)
        Hidden widths; ``()`` for a single layer.
    searcher : str or TargetSearcher, default=DEFAULT_SEARCHER
        One of :func:`ftprop_exact.solvers.searcher_names`, or a searcher object. The
        default is ``"auto"`` (:data:`ftprop_exact.solvers.registry.DEFAULT_SEARCHER`).
    learner : str or SeparabilityLearner, default=DEFAULT_LEARNER
        The convex learner (:func:`ftprop_exact.solvers.learner_names`); the default,
        ``"auto"``, runs the batched perceptron first and the exact LP for the units it
        leaves undecided (same verdicts as "lp"). A searcher that proves (and a network
        without hidden layers) needs a learner that decides non-separability: "auto" or
        "lp"; the bare perceptrons are refused with a ValueError. Before a searcher whose capabilities say ``bounds_first``
        ("cpsat", "auto") answers a feasibility question with hidden layers, the must-differ
        bounding pass runs (a tenth of the time left, at most 5 s) and may answer INFEASIBLE
        with a ``must-differ`` proof (docs/exact_search.md).
    activation : {"sign", "step"}, default="sign"
        Activation of every unit.
    time_limit : float or None, default=60.0
        Seconds; ``None`` for no limit.
    random_state : int, default=0
        Seed: the same seed gives the same result.
    deadline : Deadline, optional
        An externally controlled deadline (overrides ``time_limit``), e.g. to interrupt
        the run from a signal handler.
    objective : {"feasibility", "min_errors", "min_weight", "max_margin"}, default="feasibility"
        "min_errors": find the network with the fewest training errors and prove the
        optimum (the searchers whose ``capabilities.objectives`` include it, ``cpsat`` and
        ``auto``; the others return their best network).
        Duplicate rows with different labels are then allowed.
        "max_margin": the feasibility question, answered first from large-margin hidden
        targets (the data's linear max-margin separators), then by the searcher; every unit
        of a zero-error network is then refitted to the hard-margin separator of its targets
        and verified again; ``stats["margins"]`` gives each unit's geometric margin
        (:mod:`ftprop_exact.solvers.objectives`). Real weights only.
        "min_weight": among the networks that fit every example, one with few non-zero
        weights, counted in ``stats["nonzero_weights"]``. Exact with an integer weight
        domain (OPTIMAL with a proof of the count when proven, else FEASIBLE with the best
        count); with real weights every unit of the network found is refitted by its
        L1-minimal separator (a heuristic: FEASIBLE, the count is not proven minimal).
    rows : {"auto", "all", "active"}, default="auto"
        "active": row generation (:class:`~ftprop_exact.solvers.active_set.ActiveSetSearcher`):
        search on a growing working set of rows, verify every network on all rows, and
        lift a proof on the working set to the whole data. "all": search on every row.
        "auto": "active" with hidden layers, more than
        :data:`~ftprop_exact.solvers.active_set.AUTO_MIN_ROWS` distinct rows and a
        searcher given by name; else "all". ``stats["working_set"]`` reports its size.
    memory_limit : float, optional
        MiB of resident memory the run may use; default: the deadline's limit if it has
        one, else what the process holds plus 75% of the memory available
        (:func:`ftprop_exact.memory.default_memory_limit`). At the limit the run stops
        with UNKNOWN, the best network so far and ``stats["stopped"]`` saying why.
    dask : str, optional
        Split the exact search (searcher ``"cpsat"`` or ``"auto"``) into cubes and run them
        on a Dask cluster: ``"local"`` (a LocalCluster of ``dask_workers`` workers) or a
        scheduler address (:class:`~ftprop_exact.solvers.exact.dask_cubes.DaskCubeSearcher`;
        an INFEASIBLE answer carries a ``cubes`` proof). Needs the ``dask`` extra.
    dask_workers : int, optional
        Workers of the local cluster (default: available cores, at most 8).
    weights : {"real", "ternary", "int:K"}, default="real"
        Weight domain of every layer. "ternary": weights in {-1, 0, 1}; "int:K": integers
        with ``|w| <= K``; both with integer biases (:mod:`ftprop_exact.weights`). An
        integer domain is searched by the whole-network CP-SAT model (the default searcher
        then means :data:`~ftprop_exact.solvers.registry.INTEGER_SEARCHER`); the network
        found is verified on the data as given and lies in the domain, and an INFEASIBLE
        answer's proof names the domain.
    **searcher_options
        Passed to the searcher's constructor when ``searcher`` is a name.

    Returns
    -------
    Result
        FEASIBLE with a re-verified network, INFEASIBLE with a proof, or UNKNOWN with the
        best network seen; minimising errors, OPTIMAL with the proven optimum (or UNKNOWN
        with the best network and ``lower_bound``). Ctrl-C (KeyboardInterrupt) returns the
        best so far as UNKNOWN.
    """
    if objective not in OBJECTIVES + CHOOSING_OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of: {', '.join(OBJECTIVES + CHOOSING_OBJECTIVES)}")
    domain = parse_weights(weights)
    if objective in CHOOSING_OBJECTIVES and domain.integer:
        raise ValueError(f"objective {objective!r} is for real weights; weights={weights!r} searches an integer domain")
    if objective in CHOOSING_OBJECTIVES and is_levelled(activation):
        raise ValueError(f"objective {objective!r} refits sign/step units; not available for activation {activation!r}")
    choosing, objective = (objective, "feasibility") if objective in CHOOSING_OBJECTIVES else (None, objective)
    data = X if isinstance(X, Dataset) else make_dataset(X, y)
    if isinstance(X, Dataset) and y is not None:
        raise ValueError("pass y=None when X is a Dataset (its labels are used)")
    rows = check_rows_mode(rows)
    minimising = objective == "min_errors"
    problem = Problem.build(data, hidden, activation, merge="examples" if minimising else "features", weights=domain.name)
    deadline = deadline if deadline is not None else Deadline(time_limit)
    if memory_limit is not None or deadline.memory_limit is None:
        deadline.memory_limit = memory_limit_bytes(memory_limit)
    if dask is not None:
        from ftprop_exact.solvers.exact.dask_cubes import dask_cube_searcher  # imports OR-Tools

        searcher = dask_cube_searcher(searcher, objective, dask, dask_workers, searcher_options)
    searcher, searcher_options, rows = _for_domain(domain, searcher, searcher_options, rows)
    capabilities = capabilities_of(searcher)
    if objective != "feasibility" and isinstance(searcher, str) and objective in capabilities.objectives:
        searcher_options = {**searcher_options, "objective": objective}
    search = make_searcher(searcher, **searcher_options) if isinstance(searcher, str) else searcher
    if objective in capabilities.objectives and getattr(search, "objective", objective) != objective:
        raise ValueError(f"the searcher object was built for objective={search.objective!r}, not {objective!r}")
    if not isinstance(search, ActiveSetSearcher) and wants_active_set(rows, problem, isinstance(searcher, str)):
        whole = make_searcher(searcher, **searcher_options) if rows == "auto" else None  # its own row numbers
        search = ActiveSetSearcher(search, whole=whole)
    if choosing == "max_margin":
        search = MarginStartSearcher(search)
    name = search.name
    if activation_family(problem.activation) not in capabilities.activations:
        raise ValueError(f"searcher {name!r} does not train {activation!r} units; it supports: {', '.join(capabilities.activations)}")
    convex = make_learner(learner) if isinstance(learner, str) else learner
    if (capabilities.proves or not problem.hidden) and not domain.integer:  # the integer model uses no learner
        require_deciding_learner("a network without hidden layers" if not problem.hidden else f"searcher {name!r}", convex)

    if problem.conflict is not None:
        proof = DuplicateConflictProof(problem.claim(), problem.conflict)
        outcome = SearchOutcome(Status.INFEASIBLE, proof, {"duplicate_conflict": list(problem.conflict)})
        return _finish(problem, outcome, Incumbent(problem), name, deadline)

    incumbent = Incumbent(problem)
    searching = deadline.reserve(finishing_reserve(problem))
    bound_stats: dict[str, Any] = {}
    try:
        with searching.in_force(), MemoryGuard(deadline):  # native calls and model builds stop when it passes or is interrupted
            bounded = None
            two_valued = not is_levelled(problem.activation)  # must-differ pairs assume two-valued units
            if problem.hidden and not minimising and capabilities.bounds_first and choosing is None and two_valued and not searching.expired():
                with progress.phase("must-differ bound"):
                    bounded, found = must_differ_outcome(problem, searching, bounding_seconds(searching))
                bound_stats["must_differ"] = found.stats
            if bounded is not None:
                outcome = bounded
            elif problem.hidden or domain.integer:
                outcome = search.search(problem, convex, searching, incumbent, np.random.default_rng(random_state))
            elif minimising:
                outcome = single_layer_min_errors(problem, convex, searching, incumbent)
            else:
                outcome = single_layer_outcome(problem, convex, incumbent)
    except Interrupted as stop:  # the deadline passed, or was interrupted, in a step that does not poll
        outcome = SearchOutcome(Status.UNKNOWN, stats={"stopped_in_step": str(stop)})
    except KeyboardInterrupt:
        deadline.interrupt()
        outcome = SearchOutcome(Status.UNKNOWN, stats={"interrupted": True})
    except MemoryError as exc:  # the guard's up-front checks, or a failed allocation
        deadline.interrupt(str(exc) or "out of memory")
        outcome = SearchOutcome(Status.UNKNOWN, stats={"interrupted": True})
    if bound_stats:
        outcome = SearchOutcome(outcome.status, outcome.proof, {**outcome.stats, **bound_stats})
    if choosing == "max_margin" and incumbent.exact:
        outcome.stats.update(widen_margins(problem, incumbent, deadline))
    if minimising and outcome.status is Status.INFEASIBLE:
        # a searcher that does not minimise errors answered the feasibility question ("no
        # network has zero errors"): not the fewest-errors answer asked for
        outcome = SearchOutcome(Status.UNKNOWN, None, {**outcome.stats, "answered": "feasibility"})
    if objective == "min_weight":
        incumbent, outcome = _fewer_weights(problem, domain, incumbent, outcome)
    return _finish(problem, outcome, incumbent, name, deadline)


def _for_domain(
    domain: WeightDomain, searcher: str | TargetSearcher, options: dict[str, Any], rows: str
) -> tuple[str | TargetSearcher, dict[str, Any], str]:
    """The searcher, its options and the rows mode for a weight domain (real: unchanged).

    The default searcher means :data:`INTEGER_SEARCHER` for integer domains; a searcher that
    does not declare the domain is refused, naming those that do; a named searcher gets the
    domain as its ``weights`` option; row generation is off (the model covers every row).
    """
    if not domain.integer:
        wanted = capabilities_of(searcher).weights
        if domain.kind not in wanted:
            raise ValueError(f"searcher {getattr(searcher, 'name', searcher)!r} searches {', '.join(wanted)} weights, not real ones")
        return searcher, options, rows
    if searcher == DEFAULT_SEARCHER:
        searcher = INTEGER_SEARCHER
    if domain.kind not in capabilities_of(searcher).weights:
        able = ", ".join(searchers_that(lambda c: domain.kind in c.weights))
        raise ValueError(f"searcher {getattr(searcher, 'name', searcher)!r} does not search {domain.name} weights; use one of: {able}")
    if rows == "active":
        raise ValueError(f"rows='active' does not apply to {domain.name} weights (the integer model covers every row)")
    return searcher, ({**options, "weights": domain.name} if isinstance(searcher, str) else options), "all"


def _fewer_weights(
    problem: Problem, domain: WeightDomain, incumbent: Incumbent, outcome: SearchOutcome
) -> tuple[Incumbent, SearchOutcome]:
    """``objective="min_weight"``: the L1 refit for real weights, and the count in the stats."""
    if incumbent.exact and not domain.integer:
        refit = sparsify(problem, incumbent.network)
        if refit is not None and nonzero_weights(refit.network) < nonzero_weights(incumbent.network):
            incumbent = refit
    if incumbent.network is not None:
        outcome = SearchOutcome(outcome.status, outcome.proof, {**outcome.stats, "nonzero_weights": nonzero_weights(incumbent.network)})
    return incumbent, outcome


RESERVE_SECONDS_PER_CELL = 2.5e-7
"""Seconds kept back from the search per stored input value (rows x features): a unit check
or verification that starts just before the deadline cannot be interrupted (about 1.6 s at
100,000 x 64 on a loaded machine)."""


def finishing_reserve(problem: Problem) -> float:
    """Seconds the search leaves for its last uninterruptible step and the final checks."""
    return RESERVE_SECONDS_PER_CELL * problem.data.X.size


def _finish(problem: Problem, outcome: SearchOutcome, incumbent: Incumbent, name: str, deadline: Deadline) -> Result:
    """Turn a searcher's outcome into a Result, re-checking what it claims.

    A network outside the problem's weight domain is never returned. FEASIBLE needs a
    network verified on the data as given. INFEASIBLE and OPTIMAL need a
    proof whose claim is exactly the question asked (this data, these widths and
    activation, unbounded weights, and for OPTIMAL the incumbent's error count as the
    bound), checked by :func:`~ftprop_exact.proofs.check.check_proof`: cheap kinds in full,
    the others down to their exact certificates. Anything else becomes UNKNOWN.
    """
    stats = {**outcome.stats, "seconds": deadline.elapsed()}
    if deadline.reason is not None:
        stats["stopped"] = deadline.reason
        log.warning("run stopped early: %s", deadline.reason)
    lower_bound = stats.get("lower_bound")
    outside = None if incumbent.network is None else network_outside_domain(incumbent.network, parse_weights(problem.weights))
    if outside is not None:  # a searcher offered a network of another domain: never answer with it
        log.error("searcher %s found a network outside the weight domain (%s); answering UNKNOWN", name, outside)
        stats["rejected_network"] = outside
        return Result(Status.UNKNOWN, None, None, None, problem.hidden, name, stats)
    if outcome.status is Status.OPTIMAL and incumbent.exact and _claimed_objective(outcome) == "min_weight":
        count = nonzero_weights(incumbent.network)
        if _proof_holds(problem, outcome, count, stats, deadline, "min_weight"):
            stats["seconds"] = deadline.elapsed()
            return Result(Status.OPTIMAL, incumbent.network, 0, outcome.proof, problem.hidden, name, stats, 0)
        log.error("searcher %s claimed a fewest-weights optimum it could not back; answering FEASIBLE", name)
        stats["rejected_claim"] = "OPTIMAL"
    elif outcome.status is Status.OPTIMAL:
        if incumbent.network is not None and incumbent.errors and _proof_holds(problem, outcome, incumbent.errors, stats, deadline):
            stats["seconds"] = deadline.elapsed()
            return Result(Status.OPTIMAL, incumbent.network, incumbent.errors, outcome.proof, problem.hidden, name, stats, incumbent.errors)
        log.error("searcher %s claimed an optimum it could not back; answering UNKNOWN", name)
        stats["rejected_claim"] = "OPTIMAL"
    elif outcome.status is Status.FEASIBLE:
        if incumbent.exact:
            return Result(Status.FEASIBLE, incumbent.network, 0, None, problem.hidden, name, stats)
        log.error("searcher %s claimed FEASIBLE without a verified network; answering UNKNOWN", name)
        stats["rejected_claim"] = "FEASIBLE"
    elif outcome.status is Status.INFEASIBLE:
        if not incumbent.exact and _proof_holds(problem, outcome, None, stats, deadline):
            stats["seconds"] = deadline.elapsed()
            return Result(Status.INFEASIBLE, None, None, outcome.proof, problem.hidden, name, stats)
        log.error("searcher %s claimed INFEASIBLE without a proof that checks; answering UNKNOWN", name)
        stats["rejected_claim"] = "INFEASIBLE"
    if incumbent.exact:  # found along the way, e.g. just before the deadline
        return Result(Status.FEASIBLE, incumbent.network, 0, None, problem.hidden, name, stats, lower_bound)
    # an UNKNOWN may carry a bounded proof ("infeasible with |w| <= K")
    proof = outcome.proof if outcome.status is Status.UNKNOWN else None
    return Result(Status.UNKNOWN, incumbent.network, incumbent.errors, proof, problem.hidden, name, stats, lower_bound)


def _claimed_objective(outcome: SearchOutcome) -> str | None:
    """The objective the outcome's proof speaks of (only to route it; the check compares claims)."""
    claim = getattr(outcome.proof, "claim", None)
    return getattr(claim, "objective", None)


@progress.in_phase("proof check")
def _proof_holds(
    problem: Problem,
    outcome: SearchOutcome,
    lower_bound: int | None,
    stats: dict[str, Any],
    deadline: Deadline,
    objective: str | None = None,
) -> bool:
    """Check the outcome's proof against the question (see :func:`_finish`); record why not.

    Cheap kinds are checked in full within the time left (at least 1 s); a CP-SAT proof
    down to its exact certificates (its master is re-solved by ``ftprop verify-proof``
    and by the benchmarks' checker, not here: that would double the time to an answer).
    """
    if outcome.proof is None:
        stats["proof_rejected"] = "no proof"
        return False
    check = check_proof(
        outcome.proof,
        problem.data,
        problem.claim(lower_bound, objective=objective),
        thorough=False,
        time_limit=max(1.0, deadline.remaining()),
        fingerprint=problem.fingerprint,
    )
    stats["proof_check"] = check.reason
    if not check.ok:
        stats["proof_rejected"] = check.reason
    return check.ok


