"""What every flip searcher ("ftprop", "local") must do, as a reusable test class.

A test module subclasses :class:`SearcherContract` and sets ``searcher``; pytest collects
the inherited tests under the subclass's name. Instances are planted teachers (random
sign networks label random inputs), so a network of the teacher's shape exists.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.benchmarks.generators import planted_teacher
from ftprop_exact.budget import Deadline
from ftprop_exact.data import Dataset
from ftprop_exact.problem import Problem
from ftprop_exact.proofs import SingleLayerProof
from ftprop_exact.solvers import make_learner
from ftprop_exact.solvers.search import deltas as search_deltas
from ftprop_exact.solvers.registry import make_searcher
from ftprop_exact.solvers.search_base import Incumbent

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


@pytest.fixture(scope="module", autouse=True)
def warm_learner() -> None:
    """Load the default learner's compiled kernels once, before any timed test."""
    make_learner("auto").check(XOR_X, np.array([-1, -1, -1, 1]))


def planted(n: int, m: int, hidden: tuple[int, ...], seed: int) -> Dataset:
    """A binary planted-teacher data set."""
    X, y = planted_teacher(n, m, hidden, np.random.default_rng(seed))[:2]
    return make_dataset(X, y)


def planted_multiclass(n: int, m: int, width: int, classes: int, seed: int) -> Dataset:
    """Rows on which a random one-hidden-layer teacher turns on exactly one output unit;
    the label is that unit (so a one-unit-per-class network of this shape fits)."""
    rng = np.random.default_rng(seed)
    while True:
        X = rng.uniform(-1.0, 1.0, size=(4 * m, n))
        W1 = rng.normal(size=(width, n))
        H = np.where(X @ W1.T - np.median(X @ W1.T, axis=0) > 0, 1.0, -1.0)
        Z = H @ rng.integers(-2, 3, size=(classes, width)).T + rng.integers(-1, 2, size=classes) + 0.5
        on = Z > 0
        keep = np.flatnonzero(on.sum(axis=1) == 1)[:m]
        y = np.argmax(on[keep], axis=1)
        if keep.size == m and np.unique(y).size == classes:
            return make_dataset(X[keep], y)


def stripped(stats: Any) -> dict:
    """Run statistics without the wall-clock entries."""
    return {k: v for k, v in dict(stats).items() if k != "seconds"}


class SearcherContract:
    """Inherited tests: planted instances, reproducibility, anytime answers, interrupts,
    multi-class, the step activation, single layers, duplicates, option checking."""

    searcher: str = ""

    def solve(self, data: Dataset, hidden: tuple[int, ...], **kwargs: Any):
        kwargs.setdefault("time_limit", 60.0)
        kwargs.setdefault("random_state", 0)
        return solve(data, hidden=hidden, searcher=self.searcher, **kwargs)

    @pytest.mark.parametrize(
        ("n", "m", "hidden", "seed"),
        [(2, 60, (2,), 0), (4, 80, (3,), 2), (6, 120, (3,), 2), (3, 60, (3, 2), 5), (5, 80, (2, 2), 4)],
    )
    def test_planted_teachers_are_solved_and_reverified(self, n, m, hidden, seed):
        data = planted(n, m, hidden, seed)
        result = self.solve(data, hidden)
        assert result.status is Status.FEASIBLE and result.errors == 0
        assert result.network.widths == hidden
        assert result.network.verify(data.X, data.Y).ok
        assert np.array_equal(result.network.predict(data.X), data.y)
        stats = result.stats
        assert len(stats["layer_calls"]) == len(hidden) + 1
        assert {"lp_checks", "flips", "restarts", "moves_tried", "cuts"} <= set(stats)

    def test_same_random_state_gives_the_same_result(self):
        data = planted(4, 90, (3, 2), 8)
        first, second = (self.solve(data, (3, 2), random_state=7) for _ in range(2))
        assert first.status is second.status is Status.FEASIBLE
        assert first.network.to_dict() == second.network.to_dict()
        assert stripped(first.stats) == stripped(second.stats)

    def test_tiny_time_limit_returns_the_initial_network_or_better(self, monkeypatch):
        offered = _record_offers(monkeypatch)
        data = planted(5, 300, (4, 3), 6)
        result = self.solve(data, (4, 3), time_limit=0.0)
        assert result.status is Status.UNKNOWN
        assert result.network is not None and offered
        assert result.errors == offered[0] == result.network.verify(data.X, data.Y).errors_upper

    def test_short_time_limit_is_anytime_and_never_worse_than_the_start(self, monkeypatch):
        offered = _record_offers(monkeypatch)
        data = planted(3, 400, (6, 4), 7)
        result = self.solve(data, (6, 4), time_limit=0.5)
        assert result.status in (Status.UNKNOWN, Status.FEASIBLE)
        assert result.errors == min(offered) <= offered[0]
        assert result.network.verify(data.X, data.Y).errors_upper == result.errors
        assert result.stats["seconds"] < 2.0

    def test_keyboard_interrupt_returns_the_best_network_so_far(self, monkeypatch):
        offered = _record_offers(monkeypatch)
        calls = {"n": 0}
        real = search_deltas.fit_unit

        def interrupted(*args: Any, **kwargs: Any):
            calls["n"] += 1
            if calls["n"] == 6:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        monkeypatch.setattr(search_deltas, "fit_unit", interrupted)
        data = planted(3, 300, (5, 4), 8)
        result = self.solve(data, (5, 4), start="soft")  # the annealed start would fit it at once
        assert result.status is Status.UNKNOWN and result.stats["interrupted"] is True
        assert result.network is not None and result.errors == min(offered)

    def test_multiclass_one_output_unit_per_class(self):
        data = planted_multiclass(3, 90, 3, 3, seed=9)
        result = self.solve(data, (3,))
        assert result.status is Status.FEASIBLE
        assert result.network.n_outputs == 3 and result.network.verify(data.X, data.Y).ok
        assert np.array_equal(result.network.predict(data.X), data.y)

    @pytest.mark.parametrize("hidden", [(3,), (3, 2)])
    def test_step_activation(self, hidden):
        data = planted(3, 80, hidden, 10)
        result = self.solve(data, hidden, activation="step")
        assert result.status is Status.FEASIBLE
        assert {layer.activation for layer in result.network.layers} == {"step"}
        assert result.network.verify(data.X, data.Y).ok

    def test_duplicate_rows_are_merged_and_still_fitted(self):
        base = planted(3, 50, (3,), 11)
        rows = np.r_[np.arange(50), np.arange(0, 50, 3)]
        data = make_dataset(base.X[rows], base.y[rows])
        result = self.solve(data, (3,))
        assert result.status is Status.FEASIBLE and result.network.verify(data.X, data.Y).ok

    @pytest.mark.parametrize(("labels", "status"), [([0, 1, 1, 0], Status.INFEASIBLE), ([0, 0, 0, 1], Status.FEASIBLE)])
    def test_without_hidden_layers_the_lp_decides(self, labels, status):
        data = make_dataset(np.r_[XOR_X, XOR_X[:1]], [*labels, labels[0]])
        problem = Problem.build(data, ())
        incumbent = Incumbent(problem)
        searcher = make_searcher(self.searcher)
        outcome = searcher.search(problem, make_learner("lp"), Deadline(10.0), incumbent, np.random.default_rng(0))
        assert outcome.status is status
        if status is Status.INFEASIBLE:
            assert isinstance(outcome.proof, SingleLayerProof) and outcome.proof.verify(data)
        else:
            assert incumbent.exact and incumbent.network.verify(data.X, data.Y).ok

    @pytest.mark.parametrize(
        "options", [{"patience": 0}, {"flip_tries": -1}, {"restarts": -2}, {"loss": "squared"}, {"kicks": 1.5}]
    )
    def test_bad_options_are_rejected(self, options):
        with pytest.raises(ValueError):
            make_searcher(self.searcher, **options)

    def test_restarts_and_kicks_bound_the_search(self):
        data = planted(3, 400, (6, 4), 12)
        result = self.solve(data, (6, 4), restarts=0, kicks=0, patience=1, time_limit=2.0)
        assert result.stats["restarts"] == 0 and "kicks" not in result.stats


def _record_offers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the training errors of every network offered to an incumbent."""
    offered: list[int] = []
    real = Incumbent.offer

    def offer(self: Incumbent, network: Any, hidden_targets: Any = None) -> bool:
        offered.append(network.verify(self.problem.data.X, self.problem.data.Y).errors_upper)
        return real(self, network, hidden_targets)

    monkeypatch.setattr(Incumbent, "offer", offer)
    return offered
