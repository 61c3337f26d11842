"""The "auto" portfolio's schedule: alternating phases, doubling budgets, early give-up."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ftprop_exact import Status, solve
from ftprop_exact.budget import Deadline
from ftprop_exact.data import make_dataset
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.exact import portfolio
from ftprop_exact.solvers.exact.cuts import CutPool
from ftprop_exact.solvers.registry import make_learner
from ftprop_exact.solvers.search_base import Incumbent, SearchOutcome


class _Recorder:
    """Fake phase: records its budgets; answers with ``answer`` on call number ``answer_at``."""

    calls: list[tuple[str, float]] = []

    def __init__(self, name: str, answer_at: int | None, answer: Status, give_up: bool = False) -> None:
        self.name, self.answer_at, self.answer, self.give_up = name, answer_at, answer, give_up
        self.count = 0

    def search(self, problem, learner, deadline, incumbent, rng):
        self.count += 1
        _Recorder.calls.append((self.name, deadline.remaining()))
        if self.answer_at == self.count:
            return SearchOutcome(self.answer, stats={"moves": 1})
        if not self.give_up:
            deadline.interrupt()  # as if the round's budget were used up
        return SearchOutcome(Status.UNKNOWN, stats={"moves": 1})

    def refusal(self, problem, deadline):
        return None  # the exact phase always has room (see the test of a refused master)


def _install(monkeypatch, local: _Recorder, cpsat: _Recorder) -> None:
    _Recorder.calls = []
    monkeypatch.setattr(portfolio, "LocalSearcher", lambda: _with_pool(local))
    monkeypatch.setattr(portfolio, "CPSATSearcher", lambda **options: cpsat)


def _with_pool(fake: _Recorder) -> _Recorder:
    fake.cut_pool = CutPool()
    return fake


def _run(X: np.ndarray, y: np.ndarray, time_limit: float | None) -> SearchOutcome:
    problem = Problem.build(make_dataset(X, y), (2,))
    return portfolio.PortfolioSearcher(first_round=1.0, threads=1).search(  # in turns
        problem, make_learner("lp"), Deadline(time_limit), Incumbent(problem), np.random.default_rng(0)
    )


_REAL = (np.array([[0.1, 0.05], [0.05, 0.9], [0.95, 0.1], [0.9, 0.95]]), np.array([0, 1, 1, 0]))  # XOR, jittered
_BOOLEAN = (np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 1, 1, 0]))


def test_real_data_starts_with_local_search_and_doubles_the_budgets(monkeypatch):
    _install(monkeypatch, _Recorder("local", 3, Status.FEASIBLE), _Recorder("cpsat", None, Status.UNKNOWN))
    outcome = _run(*_REAL, time_limit=100.0)
    assert outcome.status is Status.FEASIBLE and outcome.stats["phase"] == "local"
    assert [name for name, _ in _Recorder.calls] == ["local", "cpsat"] * 2 + ["local"]
    budgets = [b for _, b in _Recorder.calls]
    first = min(1.0, 0.2 + 0.01 * 4 * 2)
    assert budgets == pytest.approx([first, first, 2 * first, 2 * first, 4 * first], abs=0.05)
    assert outcome.stats["rounds"] == 3 and outcome.stats["local_moves"] == 3


def test_boolean_data_starts_with_cpsat(monkeypatch):
    _install(monkeypatch, _Recorder("local", None, Status.UNKNOWN), _Recorder("cpsat", 2, Status.INFEASIBLE))
    outcome = _run(*_BOOLEAN, time_limit=100.0)
    assert outcome.status is Status.INFEASIBLE and outcome.stats["phase"] == "cpsat"
    assert [name for name, _ in _Recorder.calls] == ["cpsat", "local", "cpsat"]


def test_cpsat_giving_up_early_leaves_the_rest_to_local_search(monkeypatch):
    _install(monkeypatch, _Recorder("local", 3, Status.FEASIBLE), _Recorder("cpsat", None, Status.UNKNOWN, give_up=True))
    outcome = _run(*_REAL, time_limit=100.0)
    assert [name for name, _ in _Recorder.calls] == ["local", "cpsat", "local", "local"]
    assert outcome.status is Status.FEASIBLE and outcome.stats["phase"] == "local"


def test_without_a_time_limit_a_cpsat_give_up_ends_the_run(monkeypatch):
    _install(monkeypatch, _Recorder("local", None, Status.UNKNOWN), _Recorder("cpsat", None, Status.UNKNOWN, give_up=True))
    outcome = _run(*_REAL, time_limit=None)
    assert outcome.status is Status.UNKNOWN and [name for name, _ in _Recorder.calls] == ["local", "cpsat"]
    assert math.isinf(Deadline(None).remaining())


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("data", [_REAL, _BOOLEAN], ids=["real", "boolean"])
def test_the_real_portfolio_decides_xor(data, threads):
    """Width 1 is infeasible (CP-SAT's proof), width 2 feasible, on either kind of data, in
    turns or (Boolean data, two threads) concurrently."""
    X, y = data
    infeasible = solve(X, y, hidden=(1,), time_limit=60.0, threads=threads)
    assert infeasible.status is Status.INFEASIBLE and infeasible.proof is not None
    result = solve(X, y, hidden=(2,), time_limit=60.0, threads=threads)
    assert result.status is Status.FEASIBLE and np.array_equal(result.network.predict(X), y)
    assert result.stats.get("concurrent", False) is (threads == 2)


def test_concurrent_phases_stop_each_other_and_keep_their_statistics():
    """Parity 4 at width 3 (Boolean, infeasible): CP-SAT's proof stops local search."""
    X = np.array([[(i >> p) & 1 for p in range(4)] for i in range(16)])
    y = X.sum(axis=1) % 2
    result = solve(X, y, hidden=(3,), time_limit=120.0, threads=2)
    assert result.status is Status.INFEASIBLE and result.stats["phase"] == "cpsat"
    assert result.stats["concurrent"] is True and result.stats["seconds"] < 60.0
    assert "local_restarts" in result.stats and "cpsat_master_solves" in result.stats
    feasible = solve(X, y, hidden=(4,), time_limit=120.0, threads=2)
    assert feasible.status is Status.FEASIBLE and np.array_equal(feasible.network.predict(X), y)


@pytest.mark.parametrize("name", ["auto", "cpsat", "ftprop", "local"])
def test_searchers_with_cut_pools_and_locks_pickle(name):
    """Benchmark children and scikit-learn clones receive searchers by pickling."""
    import pickle
    from fractions import Fraction

    from ftprop_exact.solvers import make_searcher
    from ftprop_exact.proofs.certificate import Certificate
    from ftprop_exact.solvers.exact.cuts import Cut

    searcher = make_searcher(name)
    pool = getattr(searcher, "cut_pool", None)
    if pool is not None:
        pool.add(Cut.from_certificate(Certificate((0, 1, 2, 3), (Fraction(1, 4),) * 4), np.array([-1, 1, 1, -1])))
    copy = pickle.loads(pickle.dumps(searcher))
    if pool is not None:
        assert len(copy.cut_pool) == 1 and copy.cut_pool.add(next(iter(pool))) is False
    fresh = pickle.loads(pickle.dumps(make_searcher(name)))  # a copied searcher still works
    assert solve(*_BOOLEAN, hidden=(2,), searcher=fresh, time_limit=60.0).status is Status.FEASIBLE


class _UntilStopped:
    """Fake local search: runs until its deadline stops it (at most 20 s), never answers."""

    cut_pool = CutPool()

    def __init__(self) -> None:
        self.stopped = False

    def search(self, problem, learner, deadline, incumbent, rng):
        import time

        end = time.monotonic() + 20.0
        while not deadline.expired() and time.monotonic() < end:
            time.sleep(0.01)
        self.stopped = deadline.expired()
        return SearchOutcome(Status.UNKNOWN, stats={"moves": 1})


def test_side_by_side_without_a_time_limit_a_cpsat_give_up_stops_local_search(monkeypatch):
    local = _UntilStopped()
    monkeypatch.setattr(portfolio, "LocalSearcher", lambda: local)
    monkeypatch.setattr(portfolio, "CPSATSearcher", lambda **options: _Recorder("cpsat", None, Status.UNKNOWN, give_up=True))
    problem = Problem.build(make_dataset(*_REAL), (2,))
    outcome = portfolio.PortfolioSearcher(threads=2).search(
        problem, make_learner("lp"), Deadline(None), Incumbent(problem), np.random.default_rng(0)
    )
    assert outcome.status is Status.UNKNOWN and outcome.stats["concurrent"] is True
    assert local.stopped  # ended by CP-SAT's give-up, not by the 20 s guard


def test_one_thread_gives_local_search_the_whole_run_when_the_master_has_no_room(monkeypatch):
    from ftprop_exact.benchmarks.generators import planted_teacher

    local = _Recorder("local", answer_at=None, answer=Status.FEASIBLE)
    cpsat = _Recorder("cpsat", answer_at=None, answer=Status.FEASIBLE)
    cpsat.refusal = lambda problem, deadline: "no room"
    _install(monkeypatch, local, cpsat)
    X, y, _ = planted_teacher(4, 200, (3,), np.random.default_rng(0))
    problem = Problem.build(make_dataset(X, y), (3,), "sign")
    outcome = portfolio.PortfolioSearcher(threads=1).search(
        problem, make_learner("lp"), Deadline(30.0), Incumbent(problem), np.random.default_rng(0)
    )
    assert [name for name, _ in _Recorder.calls] == ["local"]
    assert _Recorder.calls[0][1] > 25.0  # the whole run, not a 2 s round
    assert outcome.stats["cpsat_master_refused"] == "no room" and outcome.stats["phase"] == "local"
