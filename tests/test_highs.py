"""HiGHS under the deadline in force (solvers/learners/highs.py) and learners at a stopped deadline."""

from __future__ import annotations

import numpy as np
import pytest

from ftprop_exact.budget import Deadline
from ftprop_exact.solvers.learners import highs
from ftprop_exact.solvers.learners import lp as lp_module
from ftprop_exact.solvers.learners.lp import LPLearner


def _tiny_lp() -> dict:
    return {"c": np.array([1.0, 1.0]), "A_ub": -np.eye(2), "b_ub": -np.ones(2), "bounds": [(0, None)] * 2}


def test_time_limit_follows_the_deadline_in_force(monkeypatch):
    seen = {}

    def fake(c, **kwargs):
        seen.update(kwargs.get("options") or {})
        return highs.abandoned_highs_result()

    monkeypatch.setattr(highs, "_scipy_linprog", fake)
    with Deadline(3.0).in_force():
        highs.linprog(**_tiny_lp())
    assert 2.0 < seen["time_limit"] <= 3.0 + 0.25 + 1e-9
    seen.clear()
    highs.linprog(**_tiny_lp(), options={"time_limit": 7.0})
    assert seen["time_limit"] == 7.0  # nothing in force: the caller's own limit stays


def test_a_stopped_deadline_answers_without_calling_highs(monkeypatch):
    monkeypatch.setattr(highs, "_scipy_linprog", lambda *a, **k: pytest.fail("HiGHS called after the deadline"))
    deadline = Deadline(None)
    deadline.interrupt()
    with deadline.in_force():
        res = highs.linprog(**_tiny_lp())
    assert res.status == 1 and res.x is None


def test_without_a_deadline_the_lp_is_solved():
    res = highs.linprog(**_tiny_lp())
    assert res.status == 0 and np.allclose(res.x, [1.0, 1.0])


def test_a_stopped_learner_leaves_units_undecided_and_skips_the_exact_simplex(monkeypatch):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(400, 8))
    T = np.sign(rng.normal(size=(400, 3)))  # random targets: not separable
    T[T == 0] = 1
    decided = LPLearner().check_layer(A, T)
    assert all(v.separable is False for v in decided)  # the reference: certificates
    monkeypatch.setattr(lp_module, "decide_exactly", lambda *a, **k: pytest.fail("exact simplex after the deadline"))
    with Deadline(0.0).in_force():
        stopped = LPLearner().check_layer(A, T)
    # never a wrong verdict: undecided, or the same certified answer
    assert all(v.separable in (None, False) for v in stopped)
    assert all(v.certificate is not None for v in stopped if v.separable is False)
