"""Adversarial tests of the constraints the data implies (equal sums, betweenness, data symmetry).

Review of issue 13's implied constraints: each test here tries to make the exact master
answer wrongly (INFEASIBLE, OPTIMAL or a proof that verifies) on data built to hit one
assumption of ``ftprop_exact/proofs/implied.py``, and compares against an oracle that
shares nothing with it (the brute-force searcher, :func:`minimum_errors`, or the same
master without the implied constraints).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.implied import between_triples, equal_sum_quads, exact_integer_inputs
from ftprop_exact.proofs.master import MasterModel, master_spec
from ftprop_exact.solvers.baselines.brute import minimum_errors
from ftprop_exact.solvers.learners.lp import LPLearner


# -- integers beyond int64: a cast must never invent equal rows ----------------------------------
@pytest.mark.parametrize(
    "X",
    [
        np.array([[1e19], [2e19], [3e19], [4e19]]),  # beyond int64: the cast gave -2^63 for each
        np.array([[2.0**63], [-(2.0**63)], [1e300], [-1e300]]),
        np.array([[2**63], [2**63 + 5], [2**64 - 1], [2**63 + 9]], dtype=np.uint64),
        np.array([[-(2**63)], [2**62], [5], [7]], dtype=np.int64),  # abs(-2^63) wraps to itself
    ],
)
def test_huge_integer_values_are_not_integer_inputs(X):
    assert exact_integer_inputs(X) is None


def test_values_beyond_int64_never_give_a_wrong_infeasible():
    """Four distinct points on a line, labels 0 0 1 1: one unit separates them.

    Before the fix every value cast to -2^63, the four rows looked equal, the equal-sum
    clause forbade exactly the separating column, and ``cpsat`` answered INFEASIBLE with
    a proof that the checker (deriving the same clause) accepted.
    """
    X = np.array([[1e19], [2e19], [3e19], [4e19]])
    data = make_dataset(X, np.array([0, 0, 1, 1]))
    truth = solve(data, hidden=[1], searcher="brute", time_limit=None)
    assert truth.status is Status.FEASIBLE
    result = solve(data, hidden=[1], searcher="cpsat", time_limit=60, threads=1)
    assert result.status is Status.FEASIBLE


def test_integer_inputs_keep_their_values_at_the_bound():
    X = np.array([[2.0**40, -(2.0**40)], [3.0, 0.0]])
    assert exact_integer_inputs(X).tolist() == [[2**40, -(2**40)], [3, 0]]
    assert exact_integer_inputs(np.array([[2.0**40 + 1]])) is None


# -- betweenness: wide rows, huge rows, and the deadline ------------------------------------------
def test_betweenness_on_wide_collinear_rows_is_the_rational_one():
    from test_implied import triples_by_fractions

    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(4, 9))
        S = rng.integers(-3, 4, size=(1, n)) + rng.integers(-4, 5, size=(8, 1)) * rng.integers(-2, 3, size=(1, n))
        S = np.unique(np.vstack([S, rng.integers(-3, 4, size=(3, n))]), axis=0)
        assert set(between_triples(S)) == triples_by_fractions(S)


def test_betweenness_gives_up_where_dot_products_would_leave_int64():
    big = 2**24
    S = np.array([[-big] * 9000, [0] * 9000, [big] * 9000], dtype=np.int64)  # collinear, but n (2 big)^2 > 2^63
    assert between_triples(S) == []
    assert between_triples(S[:, :100]) == [(0, 1, 2)]


def integer_data(u: int, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, size=(u, n)).astype(float)
    return make_dataset(X, rng.integers(0, 2, size=u))


def test_implied_constraints_on_wide_integer_data_keep_the_deadline():
    """Integer data, many columns (no collinear rows): 328 s past a 5 s limit (1.8 GB) before the fix."""
    import time

    data = integer_data(200, 600)
    start = time.perf_counter()
    result = solve(data, hidden=[2], searcher="cpsat", time_limit=5.0, rows="all", threads=1)
    assert result.status is Status.UNKNOWN
    assert time.perf_counter() - start < 30.0
