"""The CP-SAT searcher against the brute-force oracle; proofs; parity ground truths."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.solvers.baselines.brute import BruteForceSearcher, threshold_truth_tables
from ftprop_exact.solvers.exact.cpsat import CPSATSearcher
from ftprop_exact.proofs.master import muroga_bound
from dataclasses import replace

from ftprop_exact.proofs.benders import CPSATProof, ProofCut
from ftprop_exact.proofs.check import check_proof
from oracles import assert_searchers_agree_with_brute_force


def parity(n: int, encoding: str = "01") -> tuple[np.ndarray, np.ndarray]:
    X = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
    y = X.sum(axis=1).astype(int) % 2
    return (2 * X - 1 if encoding == "pm1" else X), y


def random_tiny(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 4))
    m = int(rng.integers(3, 8))
    if seed % 3 == 0:
        X = rng.integers(0, 2, size=(m, n)).astype(float)  # Boolean data: exact first layer
    elif seed % 3 == 1:
        X = rng.integers(-2, 3, size=(m, n)).astype(float)
    else:
        X = np.round(rng.normal(size=(m, n)), 2)
    y = rng.integers(0, 3 if seed % 7 == 0 else 2, size=m)
    if np.unique(y).size < 2:
        y[0] = 1 - y[1] if y[1] < 2 else 0
    return X, y, int(rng.integers(1, 3))


def SOUNDNESS_SEARCHERS() -> list:
    return [CPSATSearcher(threads=1), "auto"]


@pytest.mark.parametrize("block", range(6))
def test_cpsat_and_auto_never_contradict_brute_force(block):
    """300 random tiny instances (50 per block), both Boolean and real-valued data."""
    for seed in range(block * 50, block * 50 + 50):
        X, y, h = random_tiny(seed)
        data = make_dataset(X, y)
        assert_searchers_agree_with_brute_force(data, [h], SOUNDNESS_SEARCHERS(), seed)


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("encoding", ["01", "pm1"])
def test_parity_needs_exactly_n_hidden_units(n, encoding):
    X, y = parity(n, encoding)
    below = solve(X, y, hidden=[n - 1], searcher="cpsat", time_limit=120)
    assert below.status is Status.INFEASIBLE
    assert below.proof.verify(make_dataset(X, y))
    at = solve(X, y, hidden=[n], searcher="cpsat", time_limit=120)
    assert at.status is Status.FEASIBLE and at.network.verify(X, make_dataset(X, y).Y).ok


@pytest.mark.parametrize("n", [2, 3])
def test_parity_with_benders_cuts_on_the_first_layer(n):
    X, y = parity(n)
    data = make_dataset(X, y)
    below = solve(data, hidden=[n - 1], searcher=CPSATSearcher(first_layer="cuts"), time_limit=120)
    assert below.status is Status.INFEASIBLE
    assert below.stats["first_layer"] == "cuts"
    assert below.proof.verify(data)
    at = solve(data, hidden=[n], searcher=CPSATSearcher(first_layer="cuts"), time_limit=120)
    assert at.status is Status.FEASIBLE


def test_benders_cuts_close_a_noisy_xor_without_equal_sums():
    """Off the grid no four rows have equal sums, so the LP's cuts must do the work."""
    X, y = parity(2)
    X = X + np.array([[0.01, -0.02], [0.03, 0.01], [-0.02, 0.02], [0.01, 0.03]])
    data = make_dataset(X, y)
    result = solve(data, hidden=[1], searcher=CPSATSearcher(first_layer="cuts"), time_limit=60)
    assert result.status is Status.INFEASIBLE
    assert result.stats["cuts"] > 0 and result.proof.verify(data)


def test_two_hidden_layers_and_multiclass():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(12, 2)).round(2)
    y = np.array([0, 1, 2] * 4)
    result = solve(X, y, hidden=[3, 3], searcher="cpsat", time_limit=60)
    assert result.status is not Status.UNKNOWN
    if result.status is Status.FEASIBLE:
        assert result.network.verify(X, make_dataset(X, y).Y).ok


def test_tampered_proofs_are_rejected():
    X, y = parity(3, "pm1")
    X = X + np.array([0.0, 0.0, 0.5]) * (X[:, [0]] > 0)  # not Boolean: forces Benders cuts
    data = make_dataset(X, y)
    result = solve(data, hidden=[1], searcher=CPSATSearcher(first_layer="cuts"), time_limit=60)
    assert result.status is Status.INFEASIBLE
    proof = result.proof
    assert check_proof(proof, data).ok
    # dropping every cut makes the master satisfiable: the re-solve must notice
    empty = CPSATProof(proof.claim, proof.first_layer, ())
    check = check_proof(empty, data)
    assert not check.ok and "not infeasible" in check.reason
    # a wrong multiplier breaks the exact certificate check
    first = proof.cuts[0]
    bad = ProofCut(first.rows, first.signs, tuple(reversed(first.multipliers)) if len(set(first.multipliers)) > 1 else (first.multipliers[0] * 2,) + first.multipliers[1:])
    check = check_proof(CPSATProof(proof.claim, proof.first_layer, (bad,) + proof.cuts[1:]), data)
    assert not check.ok and "certificate" in check.reason
    # round trip through JSON form
    assert CPSATProof.from_dict(proof.to_dict()) == proof


def test_weight_cap_gives_a_bounded_answer_never_plain_infeasible():
    X, y = parity(3)
    result = solve(X, y, hidden=[3], searcher=CPSATSearcher(max_weight=1), time_limit=60)
    # with |w| <= 1 three units cannot do 3-bit parity's output layer; the cap must not claim INFEASIBLE
    assert result.status is not Status.INFEASIBLE
    if result.stats.get("infeasible_with_max_weight") is not None:
        assert result.proof is not None and result.proof.bounded


def test_muroga_bounds_and_threshold_function_counts():
    assert [muroga_bound(k) for k in range(1, 9)] == [1, 1, 2, 3, 6, 14, 32, 76]
    # the number of threshold functions of h inputs (OEIS A000609) found with generous bounds
    assert [threshold_truth_tables(h).size for h in range(0, 5)] == [2, 4, 14, 104, 1882]


def test_muroga_bound_suffices_for_every_threshold_function_of_up_to_4_inputs():
    """Each function found with the generous bounds is realised within floor(M(h))."""
    for h in range(1, 5):
        bound = muroga_bound(h)
        patterns = np.array([[1 if (p >> q) & 1 else -1 for q in range(h)] for p in range(2**h)])
        weights = np.array(list(itertools.product(range(-bound, bound + 1), repeat=h + 1)))
        z = weights[:, :h] @ patterns.T + weights[:, [h]]
        margin_ok = np.all(np.abs(z) >= 1, axis=1)
        bits = 1 << np.arange(2**h)
        tight = {int(v) for v in ((z[margin_ok] > 0) * bits).sum(axis=1)}
        assert tight == set(threshold_truth_tables(h).tolist())


def test_brute_force_refuses_large_problems():
    X = np.random.default_rng(0).normal(size=(40, 2))
    y = np.arange(40) % 2
    with pytest.raises(ValueError, match="brute-force searcher handles up to"):
        solve(X, y, hidden=[2], searcher=BruteForceSearcher())


def random_noisy(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Tiny instances that often need errors, with repeated rows (sometimes with both labels)."""
    rng = np.random.default_rng(1000 + seed)
    n, m = int(rng.integers(1, 3)), int(rng.integers(4, 9))
    X = rng.integers(-1, 2, size=(m, n)).astype(float) if seed % 2 else np.round(rng.normal(size=(m, n)), 1)
    X = np.vstack([X, X[: int(rng.integers(0, 3))]])  # duplicates
    y = rng.integers(0, 2, size=X.shape[0])
    y[:2] = [0, 1]
    return X, y, int(rng.integers(1, 3))


@pytest.mark.parametrize("block", range(3))
def test_min_errors_equals_the_brute_force_optimum(block):
    from ftprop_exact.problem import Problem
    from ftprop_exact.solvers.baselines.brute import minimum_errors
    from ftprop_exact.solvers.learners.lp import LPLearner

    for seed in range(block * 15, block * 15 + 15):
        X, y, h = random_noisy(seed)
        data = make_dataset(X, y)
        problem = Problem.build(data, [h], merge="examples")
        if problem.n_rows > 12:
            continue
        optimum = minimum_errors(problem, LPLearner())
        result = solve(data, hidden=[h], searcher="cpsat", objective="min_errors", time_limit=60)
        assert result.errors == optimum, seed
        assert result.network.verify(X, data.Y).errors == optimum
        if optimum == 0:
            assert result.status is Status.FEASIBLE
        else:
            assert result.status is Status.OPTIMAL and result.lower_bound == optimum
            assert result.proof.verify(data)
            stronger = replace(result.proof, claim=replace(result.proof.claim, lower_bound=optimum + 1))
            assert not stronger.verify(data)  # a bound above the optimum must be rejected


@pytest.mark.parametrize("n", [2, 3, 4])
def test_min_width_of_parity_is_n(n):
    from ftprop_exact.min_width import min_width

    X, y = parity(n)
    result = min_width(X, y, max_width=n + 1, time_limit=120)
    assert result.width == n and result.lower_bound == n and result.upper_bound == n
    assert result.network.verify(X, make_dataset(X, y).Y).ok
    if n > 1:
        assert result.proof.verify(make_dataset(X, y))
