"""The smallest one-hidden-layer width that fits the data, with proofs on both sides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ftprop_exact import progress
from ftprop_exact.api import solve
from ftprop_exact.budget import Deadline
from ftprop_exact.data import Dataset, make_dataset
from ftprop_exact.network import ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.proofs import Proof
from ftprop_exact.proofs.check import check_proof
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.result import Result
from ftprop_exact.solvers.exact.cpsat import CPSATSearcher
from ftprop_exact.solvers.exact.cuts import CutPool
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.registry import DEFAULT_LEARNER
from ftprop_exact.solvers.exact.must_differ import bounding_seconds, find_incompatible_pairs, must_differ_proof
from ftprop_exact.status import Status


@dataclass(frozen=True)
class MinWidthResult:
    """Outcome of :func:`min_width`.

    Attributes
    ----------
    width : int or None
        The proven minimum width (``lower_bound == upper_bound``), else None.
    lower_bound : int
        Every width below it is proven infeasible (1 when nothing is proven).
    upper_bound : int or None
        The smallest width at which a network was found.
    network : ThresholdNetwork or None
        The network at ``upper_bound``.
    proof : Proof or None
        The infeasibility proof at width ``lower_bound - 1`` (None when ``lower_bound == 1``).
    per_width : dict
        Width -> the Result of each check that was run.
    seconds : dict
        Width -> seconds spent on that width.
    """

    width: int | None
    lower_bound: int
    upper_bound: int | None
    network: ThresholdNetwork | None
    proof: Proof | None
    per_width: dict[int, Result] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        """FEASIBLE when the minimum width is proven, else UNKNOWN."""
        return Status.FEASIBLE if self.width is not None else Status.UNKNOWN

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "status": self.status.value,
            "width": self.width,
            "lower_bound": self.lower_bound,
            "upper_bound": self.upper_bound,
            "network": None if self.network is None else self.network.to_dict(),
            "per_width": {
                str(w): {"status": r.status.value, "seconds": self.seconds.get(w)} for w, r in sorted(self.per_width.items())
            },
        }


def min_width(
    X: Any,
    y: Any = None,
    *,
    max_width: int = 8,
    time_limit: float | None = 300.0,
    activation: str = "sign",
    random_state: int = 0,
    threads: int | None = None,
    deadline: Deadline | None = None,
    learner: str | SeparabilityLearner = DEFAULT_LEARNER,
) -> MinWidthResult:
    """Find the smallest hidden width (one hidden layer) that fits with zero errors.

    First the must-differ bounding pass (:mod:`ftprop_exact.solvers.exact.must_differ`)
    proves a lower bound ``k`` (a set of ``k`` pairwise-incompatible must-differ pairs: every
    width below ``k`` is infeasible, with a proof checked by the one checker). Then widths
    ``k``, ``k + 1``, ... are checked in turn with the exact searcher (``cpsat``, not the default
    portfolio: one cut pool must outlive the widths); first-layer cuts found
    at one width are reused at the next (a cut holds for every unit, whatever the width).
    The first FEASIBLE width is the answer, proven minimal by the INFEASIBLE proof one below.

    Parameters
    ----------
    X, y : array-like or Dataset
        The data (as for :func:`ftprop_exact.solve`).
    max_width : int, default=8
        Largest width tried.
    time_limit : float or None, default=300
        Seconds for the whole search.
    learner : str or SeparabilityLearner, default=DEFAULT_LEARNER
        The convex learner (the package default, ``"auto"``); it must decide
        non-separability (``"auto"`` or ``"lp"``).

    Returns
    -------
    MinWidthResult
        The minimum width, or the proven lower bound and the best upper bound.
    """
    data = X if isinstance(X, Dataset) else make_dataset(X, y)
    deadline = deadline if deadline is not None else Deadline(time_limit)
    pool = CutPool()
    lower, proof = _must_differ_bound(data, activation, deadline)
    upper, network = None, None
    per_width: dict[int, Result] = {}
    seconds: dict[int, float] = {}
    for width in range(lower, max_width + 1):
        if deadline.expired():
            break
        started = deadline.elapsed()
        searcher = CPSATSearcher(threads=threads, cut_pool=pool)
        with progress.phase(f"width {width}"):
            result = solve(
                data,
                hidden=[width],
                searcher=searcher,
                learner=learner,
                activation=activation,
                deadline=deadline,
                random_state=random_state,
            )
        per_width[width] = result
        seconds[width] = deadline.elapsed() - started
        if result.status is Status.INFEASIBLE and lower == width:
            lower, proof = width + 1, result.proof
            progress.bound(f"width >= {lower}")
        elif result.status is Status.FEASIBLE:
            upper, network = width, result.network
            break
    found = upper if upper is not None and upper == lower else None
    return MinWidthResult(found, lower, upper, network, proof if lower > 1 else None, per_width, seconds)


def _must_differ_bound(data: Dataset, activation: str, deadline: Deadline) -> tuple[int, Proof | None]:
    """The must-differ lower bound on the width and its proof (checked here), or ``(1, None)``."""
    problem = Problem.build(data, (1,), activation)
    if problem.conflict is not None:
        return 1, None  # the first width's check answers with the conflict
    found = find_incompatible_pairs(problem, Deadline(bounding_seconds(deadline), parent=deadline))
    if found.bound < 2:
        return 1, None
    proof = must_differ_proof(problem, found, width=found.bound - 1)
    if not check_proof(proof, data, Claim.of(data, (found.bound - 1,), activation), fingerprint=problem.fingerprint).ok:
        return 1, None  # never happens: every certificate was verified when it was found
    return found.bound, proof
