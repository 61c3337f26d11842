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
import math

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


# -- symmetric and near-symmetric instances -------------------------------------------------------
def orbit_instance(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unions of orbits of the cube under random flips and permutations, labels constant on orbits.

    Labels: two or three classes, or (two classes) negated by each flip (parity-like, the
    "every label negated" case). Traps: one label changed or one row dropped. Columns take
    two values other than 0/1 (sometimes decreasing), and a constant column may be added
    (:func:`boolean_encoding` drops it).
    """
    while True:
        n = int(rng.integers(2, 5))
        cube = np.array(list(itertools.product([0, 1], repeat=n)))
        flips = rng.random(n) < 0.5
        permuted = np.flatnonzero(rng.random(n) < 0.6)
        keys, parities = [], []
        for r in cube:
            canon = r.copy()
            parities.append(int(canon[flips].sum() % 2))
            canon[flips] = 0
            canon[permuted] = np.sort(canon[permuted])
            keys.append(tuple(canon))
        orbits = sorted(set(keys))
        chosen = {o for o in orbits if rng.random() < 0.6} or {orbits[0]}
        keep = np.array([k in chosen for k in keys])
        classes = 2 if rng.random() < 0.75 else 3
        label = {o: int(rng.integers(classes)) for o in orbits}
        negating = classes == 2 and rng.random() < 0.4
        y = np.array([(label[k] + p) % 2 if negating else label[k] for k, p in zip(keys, parities)])
        X, y = cube[keep], y[keep]
        if rng.random() < 0.3 and len(y) > 2:  # a near-symmetric trap
            i = int(rng.integers(len(y)))
            if rng.random() < 0.5:
                y = y.copy()
                y[i] = (y[i] + 1) % classes
            else:
                X, y = np.delete(X, i, 0), np.delete(y, i)
        low = rng.integers(-5, 5, size=n)
        high = low + rng.integers(1, 4, size=n) * rng.choice([-1, 1], size=n)
        X = np.where(X == 1, high, low).astype(float)
        if rng.random() < 0.3:
            X = np.insert(X, int(rng.integers(n + 1)), float(rng.integers(-3, 3)), axis=1)
        if len(y) >= 3:
            if np.unique(y).size < 2:
                y = y.copy()
                y[0] = (y[0] + 1) % 2
            return X, y


def grid_instance(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Integer points on a line (betweenness) or on a small grid (equal sums), random labels."""
    n = int(rng.integers(1, 3))
    if rng.random() < 0.5:
        base, step = rng.integers(-3, 4, size=n), rng.integers(-2, 3, size=n)
        step[0] = step[0] or 1
        t = np.sort(rng.choice(np.arange(-6, 7), size=int(rng.integers(4, 9)), replace=False))
        X = base + t[:, None] * step
    else:
        X = np.array(list(itertools.product(range(3), repeat=2)))
        X = X[rng.random(len(X)) < 0.8]
    y = rng.integers(0, 2, size=len(X))
    y[:2] = 0, 1
    return X.astype(float), y


def without_implied(spec):
    return dataclasses.replace(spec, equal_sums=[], betweens=[], unit0_implications=[], cuts=[], differ_pairs=[])


def compare_masters(seeds: range) -> tuple[int, int]:
    """The master with the implied constraints against the same master without them.

    Depth 1 and 2, feasibility and min_errors (with duplicated rows: whole copies keep the
    counts symmetric, extra copies of some rows break only the counts' symmetry, extra rows
    with random labels may conflict), sign and step, weight caps. Returns
    (instances compared, instances where the data's symmetry was broken on unit 0).
    """
    compared = active = 0
    for seed in seeds:
        rng = np.random.default_rng(seed)
        X, y = orbit_instance(rng)
        objective = "min_errors" if rng.random() < 0.35 else "feasibility"
        if objective == "min_errors" and rng.random() < 0.8:
            kind = int(rng.integers(3))  # whole copy (counts symmetric), same labels (counts not), any labels
            extra = np.arange(len(y)) if kind == 0 else rng.integers(0, len(y), size=int(rng.integers(1, 4)))
            X = np.vstack([X, X[extra]])
            y = np.concatenate([y, rng.integers(0, 2, size=len(extra)) if kind == 2 else y[extra]])
        hidden = [int(rng.integers(1, 4))] + ([int(rng.integers(1, 3))] if rng.random() < 0.35 else [])
        max_weight = int(rng.integers(1, 3)) if rng.random() < 0.25 else None
        merge = "examples" if objective == "min_errors" else "features"
        activation = "step" if rng.random() < 0.3 else "sign"
        problem = Problem.build(make_dataset(X, y), hidden, activation, merge=merge)
        if problem.conflict is not None:
            continue
        spec, _ = master_spec(problem, "auto", max_weight, objective)
        if not (spec.unit0_implications or spec.equal_sums or spec.betweens):
            continue
        with_them = MasterModel(spec).solve(30.0, 1, 0)
        plain = MasterModel(without_implied(spec)).solve(30.0, 1, 0)
        assert "UNKNOWN" not in (with_them.status, plain.status), seed
        assert (with_them.status, with_them.objective) == (plain.status, plain.objective), (seed, objective, hidden, max_weight)
        compared += 1
        active += bool(spec.unit0_implications)
    return compared, active


@pytest.mark.parametrize("block", range(2))
def test_implied_constraints_never_change_the_master_answer(block):
    compared, active = compare_masters(range(block * 60, block * 60 + 60))
    assert compared >= 35 and active >= 30  # the instances exercise what they attack


@pytest.mark.slow
@pytest.mark.parametrize("block", range(10))
def test_implied_constraints_never_change_the_master_answer_many(block):
    compared, active = compare_masters(range(1000 + block * 300, 1000 + block * 300 + 300))
    assert compared >= 200 and active >= 120


def compare_with_brute_force(seeds: range) -> int:
    """``cpsat`` end to end against the brute-force oracles; returns the instances compared."""
    compared = 0
    for seed in seeds:
        rng = np.random.default_rng(10_000 + seed)
        X, y = orbit_instance(rng) if rng.random() < 0.6 else grid_instance(rng)
        activation = "step" if rng.random() < 0.3 else "sign"
        data = make_dataset(X, y)
        h = int(rng.integers(1, 4))
        rows = Problem.build(data, [h], activation, merge="examples").n_rows
        if rows > 11 or math.comb(2 ** (rows - 1) + h - 1, h) > 2_000_000:
            continue  # beyond brute force's budget
        compared += 1
        if rng.random() < 0.3 and data.Y.shape[1] == 1:
            optimum = minimum_errors(Problem.build(data, [h], activation, merge="examples"), LPLearner())
            result = solve(data, hidden=[h], searcher="cpsat", objective="min_errors", activation=activation, time_limit=60, threads=1)
            assert result.errors == optimum, seed
            if optimum:
                assert result.status is Status.OPTIMAL and result.proof.verify(data), seed
            continue
        truth = solve(data, hidden=[h], searcher="brute", activation=activation, time_limit=None).status
        result = solve(data, hidden=[h], searcher="cpsat", activation=activation, time_limit=60, threads=1)
        assert result.status is truth, (seed, h, activation)
        if truth is Status.FEASIBLE:
            assert result.network.verify(X, data.Y).ok
        else:
            assert result.proof.verify(data)
    return compared


def test_symmetric_and_integer_instances_agree_with_brute_force():
    assert compare_with_brute_force(range(25)) >= 15


@pytest.mark.slow
@pytest.mark.parametrize("block", range(6))
def test_symmetric_and_integer_instances_agree_with_brute_force_many(block):
    assert compare_with_brute_force(range(100 + block * 60, 100 + block * 60 + 60)) >= 35


def test_counts_that_break_the_symmetry_keep_the_optimum():
    """XOR with rows 00 and 11 five times each: features and labels are symmetric under every
    flip (each negates every label), the counts are not. One unit that is monotone in both
    inputs (what breaking the flips would force) errs on 00 or 11 (cost 5); the optimum errs
    on 01 or 10 (cost 1)."""
    X = np.array([[0, 0]] * 5 + [[0, 1], [1, 0]] + [[1, 1]] * 5, dtype=float)
    y = np.array([0] * 5 + [1, 1] + [0] * 5)
    data = make_dataset(X, y)
    problem = Problem.build(data, [1], merge="examples")
    assert minimum_errors(problem, LPLearner()) == 1
    spec, _ = master_spec(problem, "auto", None, "min_errors")
    assert MasterModel(spec).solve(30.0, 1, 0).objective == 1
    result = solve(data, hidden=[1], searcher="cpsat", objective="min_errors", time_limit=60, threads=1)
    assert result.errors == 1 and result.status is Status.OPTIMAL and result.proof.verify(data)


# -- cube-and-conquer: cube literals on the unit whose symmetry the data breaks -------------------
@pytest.mark.slow
def test_cubes_on_symmetric_data_agree_with_brute_force():
    """Cubes fix first-layer targets (unit 0 among them, where row 0 is no longer +1)."""
    distributed = pytest.importorskip("distributed")
    compared = 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        for seed in range(40):
            rng = np.random.default_rng(20_000 + seed)
            X, y = orbit_instance(rng)
            data = make_dataset(X, y)
            h = int(rng.integers(1, 3))
            problem = Problem.build(data, [h])
            if problem.n_rows > 11 or not master_spec(problem, "auto", None, "feasibility")[0].unit0_implications:
                continue
            compared += 1
            truth = solve(data, hidden=[h], searcher="brute", time_limit=None).status
            result = solve(data, hidden=[h], searcher="cpsat", dask=cluster.scheduler_address, cube_depth=3, time_limit=120)
            assert result.status is truth, (seed, h)
            if truth is Status.INFEASIBLE:
                assert result.proof.kind == "cubes" and result.proof.verify(data)
    assert compared >= 10
