"""The local-search target searcher ("local"): the searcher contract plus its no-good memory."""

from __future__ import annotations

import numpy as np

from ftprop_exact import Deadline, Status, solve
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.registry import make_learner
from ftprop_exact.solvers.search_base import Incumbent
from ftprop_exact.solvers.search import state as flip_state
from ftprop_exact.proofs.certificate import verify_certificate
from ftprop_exact.solvers.search.local_search import LocalSearcher
from searcher_contract import SearcherContract, planted, warm_learner  # noqa: F401 (fixture)


class TestLocalSearchContract(SearcherContract):
    searcher = "local"


def test_first_layer_columns_never_break_a_known_cut(monkeypatch):
    """Every partial first-layer column sent to the LP avoids every cut on its rows."""
    searcher = LocalSearcher(warm_start=0)  # from random networks: many moves fail, cuts appear
    seen = {"checked": 0}
    real = flip_state.UnitChecker.realise_partial

    def watched(self, state, layer, unit, column, constrained):
        if layer == 0:
            for cut in self.pool:
                if constrained[list(cut.rows)].all():
                    assert not cut.violated_by(column)
            seen["checked"] += 1
        return real(self, state, layer, unit, column, constrained)

    monkeypatch.setattr(flip_state.UnitChecker, "realise_partial", watched)
    data = planted(3, 200, (3,), 5)
    solve(data, hidden=(3,), searcher=searcher, time_limit=3.0, random_state=0)
    assert seen["checked"] > 0 and len(searcher.cut_pool) > 0


def test_cut_pool_and_the_incumbents_targets_are_there_for_a_portfolio():
    searcher = LocalSearcher()
    data = planted(3, 80, (3,), 22)
    problem = Problem.build(data, (3,))
    incumbent = Incumbent(problem)
    outcome = searcher.search(problem, make_learner("lp"), Deadline(60.0), incumbent, np.random.default_rng(1))
    assert outcome.status is Status.FEASIBLE
    (targets,) = incumbent.hidden_targets  # what the portfolio hands to CP-SAT as its hint
    hidden = incumbent.network.forward(problem.X)[0]
    assert targets.shape == (problem.n_rows, 3) and np.array_equal(targets, hidden)
    for cut in searcher.cut_pool:  # every cut is a checkable certificate on the problem rows
        assert verify_certificate(problem.X, _column(cut, problem.n_rows), cut.certificate)


def _column(cut, n_rows: int) -> np.ndarray:
    column = np.ones(n_rows, dtype=np.int8)
    column[list(cut.rows)] = cut.signs
    return column
