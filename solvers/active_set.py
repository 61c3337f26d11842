"""Row generation (the active set): any searcher, run on a growing working set of rows.

:class:`ActiveSetSearcher` wraps a :class:`~ftprop_exact.solvers.search_base.TargetSearcher`.
Each round the inner searcher works on the subset problem of the working set
(:class:`~ftprop_exact.solvers.working_set.WorkingSet`); every network it offers is also
offered to the whole problem's incumbent, which re-verifies it on the data as given. Then:

- a network fits every row (the incumbent is exact): FEASIBLE;
- the inner searcher proves the subset INFEASIBLE: the data is INFEASIBLE, and the proof is
  a :class:`~ftprop_exact.proofs.subset.SubsetProof` naming the subset's rows;
- minimising errors, the inner searcher proves at least ``L`` errors on the subset (each
  distinct row with all its copies) and the incumbent has ``L`` errors on the whole data:
  OPTIMAL, with the subset proof of the bound;
- otherwise (a network that fits the subset but not the whole data, or an optimum on the
  subset that makes more errors elsewhere) up to ``k`` rows it gets wrong join the working
  set and the next round starts; the time running out gives UNKNOWN with the best network
  on all rows.

Why the verdicts hold: docs/exact_search.md ("Row generation").
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.network import ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.base import Proof
from ftprop_exact.proofs.subset import SubsetProof
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.solvers.registry import capabilities_of
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome, TargetSearcher
from ftprop_exact.solvers.working_set import WorkingSet
from ftprop_exact.status import Status

log = logging.getLogger("ftprop_exact")

ROWS_MODES = ("all", "active", "auto")
AUTO_MIN_ROWS = 2000  # rows="auto" uses the active set above this many distinct rows


def check_rows_mode(rows: object) -> str:
    """Validate the ``rows`` option of :func:`ftprop_exact.solve`."""
    if rows not in ROWS_MODES:
        raise ValueError(f"unknown rows mode {rows!r}; choose one of: {', '.join(ROWS_MODES)}")
    return str(rows)


def wants_active_set(rows: str, problem: Problem, searcher_by_name: bool) -> bool:
    """Whether :func:`ftprop_exact.solve` wraps its searcher in :class:`ActiveSetSearcher`.

    "active": always (with hidden layers). "auto": with hidden layers, more than
    :data:`AUTO_MIN_ROWS` distinct rows, and a searcher built by name (a searcher object may
    hold state about the rows of another problem, e.g. a shared cut pool).
    """
    if not problem.hidden or problem.conflict is not None:
        return False
    if rows == "active":
        return True
    return rows == "auto" and searcher_by_name and problem.n_rows > AUTO_MIN_ROWS


class SubsetIncumbent(Incumbent):
    """The incumbent of a subset problem that passes each improvement on to the whole problem's.

    The inner searcher sees an ordinary incumbent on its subset (``exact`` means "fits the
    subset"); each network that improves on the subset is also offered to ``parent``, which
    verifies it on all the data as given.
    """

    def __init__(self, problem: Problem, parent: Incumbent) -> None:
        super().__init__(problem)
        self.parent = parent

    def offer(self, network: ThresholdNetwork, hidden_targets: list[np.ndarray] | None = None) -> bool:
        """Keep ``network`` if it beats the subset's incumbent, and offer it to the parent then."""
        better = super().offer(network, hidden_targets)
        if better:
            self.parent.offer(network)
        return better


class ActiveSetSearcher:
    """Row generation around any target searcher.

    Parameters
    ----------
    inner : TargetSearcher
        The searcher run on each working set. It is reused from round to round: the working
        set only grows at its end, so row ``i`` of the subset stays the same example.
    initial : int, default=300
        Distinct rows of the first working set (see :meth:`WorkingSet.seed`).
    grow : int, optional
        Rows added per round at most; default: half the working set, at least ``min_grow``.
    min_grow : int, default=64
        Least number of rows a round adds (when that many are wrong).
    round_share : float, default=0.25
        A round gets this share of the time left (at least ``min_round * 2**stalls``
        seconds, ``stalls`` counting the rounds that ran out of time). When it runs out, the
        rows its best network gets wrong outside the set join it anyway (an infeasible core
        needs all its rows before any searcher can prove it); when there are none, the
        ``min_grow`` rows nearest to the rows it gets wrong inside the set; when there are
        none either, the next round on the same set gets all the time left.
    min_round : float, default=2.0
        Seconds of the shortest round.
    whole : TargetSearcher, optional
        A searcher (a separate object from ``inner``: a searcher may keep state about its
        problem's row numbers, e.g. a cut pool) run first on the whole data for
        ``whole_share`` of the time left, before any working set. A small working set
        constrains a network with many weights poorly: the networks that fit it generalise
        badly (a planted 48-feature width-7 teacher, 30,000 rows: networks fitting 300-5,000
        rows made 4,000-7,600 errors on all rows, and eight rounds ran out of time), while
        warm starts on a sample of all rows fit it in 2 s. Its network, if any, is the first
        round's warm start; an INFEASIBLE answer on the whole data is the answer.
    whole_share : float, default=0.25
        Share of the time left that ``whole`` gets (with a finite deadline; without one,
        ``min_round * 4`` seconds).

    Notes
    -----
    ``stats`` of the outcome are the last round's inner statistics plus ``working_set``
    (distinct rows of the final working set), ``working_set_examples`` (with copies),
    ``active_rounds`` and ``rows="active"``.

    Examples
    --------
    >>> from ftprop_exact import solve
    >>> from ftprop_exact.solvers import make_searcher
    >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]] * 3; y = [0, 1, 1, 0] * 3
    >>> searcher = ActiveSetSearcher(make_searcher("cpsat"), initial=2, min_grow=1)
    >>> solve(X, y, hidden=[1], searcher=searcher, time_limit=30).status.value
    'INFEASIBLE'
    """

    def __init__(
        self,
        inner: TargetSearcher,
        initial: int = 300,
        grow: int | None = None,
        min_grow: int = 64,
        round_share: float = 0.25,
        min_round: float = 2.0,
        whole: TargetSearcher | None = None,
        whole_share: float = 0.25,
    ) -> None:
        for label, value in (("initial", initial), ("min_grow", min_grow), ("grow", 1 if grow is None else grow)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{label} must be a positive integer; got {value!r}")
        if not (0.0 < round_share <= 1.0 and min_round > 0.0):
            raise ValueError(f"need 0 < round_share <= 1 and min_round > 0; got {round_share!r}, {min_round!r}")
        if not 0.0 < whole_share < 1.0:
            raise ValueError(f"need 0 < whole_share < 1; got {whole_share!r}")
        if isinstance(inner, ActiveSetSearcher) or isinstance(whole, ActiveSetSearcher):
            raise ValueError("the inner searcher is already an ActiveSetSearcher")
        if whole is not None and whole is inner:
            raise ValueError("whole must be a separate searcher object from inner")
        self.inner = inner
        self.name = inner.name
        self.initial = int(initial)
        self.grow = None if grow is None else int(grow)
        self.min_grow = int(min_grow)
        self.round_share = float(round_share)
        self.min_round = float(min_round)
        self.whole = whole
        self.whole_share = float(whole_share)

    @property
    def objective(self) -> str:
        """The inner searcher's objective."""
        return getattr(self.inner, "objective", "feasibility")

    @property
    def capabilities(self) -> Capabilities:
        """The inner searcher's declared capabilities (row generation changes none of them)."""
        return capabilities_of(self.inner)

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Rounds of search on the working set until a verdict on the whole data or the deadline."""
        working = WorkingSet(problem, "examples" if self.objective == "min_errors" else "features")
        working.seed(self.initial, rng)
        if self.whole is not None and not working.covers_all:
            answer = self._whole_round(problem, learner, deadline, incumbent, rng, working)
            if answer is not None:
                return answer
        rounds, stalls, lower_bound, patient = 0, 0, 0, False
        while True:
            rounds += 1
            sub = working.subproblem()  # even with every row: the inner searcher's rows keep their order
            round_incumbent = SubsetIncumbent(sub, incumbent)
            if incumbent.network is not None:  # warm start: the best network so far
                round_incumbent.offer(incumbent.network, hidden_targets_of(incumbent.network, sub.X))
            round_deadline = deadline if patient else Deadline(self._round_budget(deadline, stalls), parent=deadline)
            outcome = self.inner.search(sub, learner, round_deadline, round_incumbent, rng)
            lower_bound = max(lower_bound, int(outcome.stats.get("lower_bound", 0) or 0))
            log.info(
                "active set round %d: %d rows, inner %s after %.1f s; errors on all rows: %s",
                rounds, working.size, outcome.status.value, deadline.elapsed(), incumbent.errors,
            )
            verdict = self._verdict(problem, outcome, incumbent, working, rounds, lower_bound)
            if verdict is not None:
                return verdict
            stalled = outcome.status is Status.UNKNOWN  # the round's time ran out (or the searcher gave up)
            if round_incumbent.network is None and not patient and round_deadline.expired() and not deadline.expired():
                patient = True  # no network at all in its share of time: the same rows get the rest of the run
                continue
            if deadline.expired() or round_incumbent.network is None or (stalled and not round_deadline.expired()):
                return self._outcome(Status.UNKNOWN, None, outcome.stats, working, rounds, lower_bound)
            stalls += stalled
            k = self.grow if self.grow is not None else max(self.min_grow, working.size // 2)
            patient = False
            added = working.grow(round_incumbent.network, k)
            if added == 0 and stalled and incumbent.network is not None:  # the best network on all rows, then
                added = working.grow(incumbent.network, k)
            if added == 0 and stalled:  # wrong only inside the set: their nearest neighbours outside it
                added = working.grow_near(round_incumbent.network, self.min_grow)
            if added == 0:
                if stalled:  # its best network is wrong only inside the set: the same set, all the time left
                    patient = True
                elif working.covers_all:
                    return self._outcome(Status.UNKNOWN, None, outcome.stats, working, rounds, lower_bound)
                else:  # nothing more to learn from it: every row
                    working.add(np.arange(problem.n_rows))

    def _whole_round(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
        working: WorkingSet,
    ) -> SearchOutcome | None:
        """Run ``whole`` on all the rows for ``whole_share`` of the time left: its answer, or None."""
        left = deadline.remaining()
        budget = self.whole_share * left if np.isfinite(left) else 4.0 * self.min_round
        whole_deadline = Deadline(budget, parent=deadline)
        with whole_deadline.in_force():  # its LPs and model builds stop with the round
            outcome = self.whole.search(problem, learner, whole_deadline, incumbent, rng)
        log.info("active set: whole data %s after %.1f s; errors on all rows: %s",
                 outcome.status.value, deadline.elapsed(), incumbent.errors)
        stats = {**outcome.stats, "rows": "active", "whole_round": outcome.status.value,
                 "working_set": problem.n_rows, "working_set_examples": problem.data.X.shape[0], "active_rounds": 0}
        if incumbent.exact:  # verified on the data as given by the incumbent
            return SearchOutcome(Status.FEASIBLE, None, stats)
        if outcome.status is not Status.UNKNOWN or deadline.expired():
            # a verdict on the whole data itself (its proof names the data), or no time left
            return SearchOutcome(outcome.status, outcome.proof, stats)
        return None

    def _round_budget(self, deadline: Deadline, stalls: int) -> float:
        """Seconds for the next round: ``round_share`` of the time left, at least ``min_round * 2**stalls``."""
        budget = self.min_round * 2.0**stalls
        left = deadline.remaining()
        return max(budget, self.round_share * left) if np.isfinite(left) else budget

    def _verdict(
        self,
        problem: Problem,
        outcome: SearchOutcome,
        incumbent: Incumbent,
        working: WorkingSet,
        rounds: int,
        lower_bound: int,
    ) -> SearchOutcome | None:
        """The answer on the whole data after one round, or None to grow the working set."""
        status, stats = outcome.status, outcome.stats
        if incumbent.exact:
            return self._outcome(Status.FEASIBLE, None, stats, working, rounds, lower_bound)
        proof = None if outcome.proof is None else self._lift(problem, outcome.proof, working)
        if proof is None:  # FEASIBLE on the subset only, or UNKNOWN: the caller grows the set
            return None
        bound = proof.claim.lower_bound
        if bound is None:  # infeasible on the subset (possibly bounded weights: UNKNOWN)
            return self._outcome(status, proof, stats, working, rounds, lower_bound)
        if incumbent.errors == bound:  # the best network on all rows meets the subset's bound
            return self._outcome(status, proof, stats, working, rounds, max(lower_bound, bound))
        return None

    @staticmethod
    def _lift(problem: Problem, proof: Proof, working: WorkingSet) -> SubsetProof:
        """The subset proof of the same claim about the whole data."""
        claim = dataclasses.replace(proof.claim, data_sha256=problem.fingerprint)
        return SubsetProof(claim, tuple(int(r) for r in working.rows()), proof)

    @staticmethod
    def _outcome(
        status: Status, proof: Proof | None, inner_stats: dict[str, Any], working: WorkingSet, rounds: int, lower_bound: int
    ) -> SearchOutcome:
        stats = {
            **inner_stats,
            "rows": "active",
            "working_set": working.size,
            "working_set_examples": working.n_examples,
            "active_rounds": rounds,
        }
        if lower_bound:
            stats["lower_bound"] = lower_bound
        return SearchOutcome(status, proof, stats)


def hidden_targets_of(network: ThresholdNetwork, X: np.ndarray) -> list[np.ndarray]:
    """The hidden targets ``network`` realises on ``X``: +-1 (int8) per hidden unit and row."""
    return [np.where(Z > 0, 1, -1).astype(np.int8) for Z in network.pre_activations(X)[:-1]]
