"""Constraints the data implies (equal sums, flip/swap symmetry) against slow references and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.implied import (
    DataSymmetry,
    between_triples,
    canonical_unit_implications,
    data_symmetry,
    equal_sum_quads,
    exact_integer_inputs,
)
from ftprop_exact.proofs.master import boolean_encoding, master_spec
from ftprop_exact.solvers.baselines.brute import minimum_errors
from ftprop_exact.solvers.exact.cpsat import CPSATSearcher
from ftprop_exact.solvers.learners.lp import LPLearner
from oracles import assert_searchers_agree_with_brute_force


def quads_by_enumeration(S: np.ndarray) -> set[tuple[int, int, int, int]]:
    """Every unordered pair of disjoint row pairs with equal sums, by four nested loops."""
    found = set()
    for i, j, k, l in itertools.permutations(range(S.shape[0]), 4):
        if i < j and k < l and (i, j) < (k, l) and np.array_equal(S[i] + S[j], S[k] + S[l]):
            found.add((i, j, k, l))
    return found


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(4, 9), st.integers(1, 3))
def test_equal_sums_are_exactly_the_enumerated_ones(seed, m, n):
    rng = np.random.default_rng(seed)
    S = np.unique(rng.integers(-2, 3, size=(m, n)), axis=0)
    assert set(equal_sum_quads(S)) == quads_by_enumeration(S)
    assert len(equal_sum_quads(S, limit=2)) == min(2, len(quads_by_enumeration(S)))


def triples_by_fractions(S: np.ndarray) -> set[tuple[int, int, int]]:
    """``(i, j, k)``, ``i < k``: ``S[j] = lam S[i] + (1 - lam) S[k]`` for a rational ``0 < lam < 1``."""
    from fractions import Fraction

    found = set()
    for i, j, k in itertools.permutations(range(S.shape[0]), 3):
        if i > k:
            continue
        d, e = S[k] - S[i], S[j] - S[i]
        p = next(p for p in range(len(d)) if d[p] != 0)
        t = Fraction(int(e[p]), int(d[p]))
        if 0 < t < 1 and all(Fraction(int(e[q])) == t * int(d[q]) for q in range(len(d))):
            found.add((i, j, k))
    return found


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(3, 9), st.integers(1, 3), st.booleans())
def test_betweenness_is_exactly_the_rational_one(seed, m, n, on_a_line):
    rng = np.random.default_rng(seed)
    if on_a_line:  # many collinear rows: points on a few lines through a grid
        S = rng.integers(-3, 4, size=(1, n)) + rng.integers(-4, 5, size=(m, 1)) * rng.integers(-2, 3, size=(1, n))
    else:
        S = rng.integers(-2, 3, size=(m, n))
    S = np.unique(S, axis=0)
    assert set(between_triples(S)) == triples_by_fractions(S)


def test_integer_inputs_only_when_exact():
    assert exact_integer_inputs(np.array([[1.0, -3.0]])).dtype == np.int64
    assert exact_integer_inputs(np.array([[1.5, 2.0]])) is None
    assert exact_integer_inputs(np.array([[2.0**60]])) is None


def images(S: np.ndarray, symmetry: DataSymmetry) -> list[np.ndarray]:
    """The data under each generator: every flip, and adjacent swaps along each component."""
    out = []
    for c in symmetry.flips:
        T = S.copy()
        T[:, c] *= -1
        out.append(T)
    for component in symmetry.components:
        for c, d in zip(component[:-1], component[1:]):
            T = S.copy()
            T[:, [c, d]] = T[:, [d, c]]
            out.append(T)
    return out


def symmetric_instance(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean rows closed under some column symmetries, labels invariant (or negated) under them.

    Labels are a random function of the Hamming weight of a random subset of columns
    (invariant under swaps within the subset and under permuting the rest) or the parity
    of it (each flip of the subset negates every label), sometimes of a random subset of
    weights only.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    rows = np.array(list(itertools.product([0, 1], repeat=n)))
    subset = rng.random(n) < 0.7
    subset[int(rng.integers(n))] = True
    weight = rows[:, subset].sum(axis=1)
    if seed % 2:
        y = weight % 2
    else:
        y = rng.integers(0, 2, size=int(subset.sum()) + 1)[weight]
    keep = np.zeros(len(rows), dtype=bool)
    while not 3 <= keep.sum() <= 8:  # whole weight classes keep the symmetry; <= 8 rows keep brute force fast
        keep = np.isin(rows.sum(axis=1), rng.choice(n + 1, size=int(rng.integers(1, n + 1)), replace=False))
    X, y = rows[keep], y[keep]
    if np.unique(y).size < 2:
        y = y.copy()
        y[0] = 1 - y[0]
    return X.astype(float), y


@pytest.mark.parametrize("seed", range(40))
def test_every_reported_symmetry_maps_the_data_onto_itself(seed):
    X, y = symmetric_instance(seed)
    S = boolean_encoding(X).astype(np.int64)
    Y = make_dataset(X, y).Y
    symmetry = data_symmetry(S, Y)
    rows = {(r.tobytes(), tuple(l)) for r, l in zip(S, Y)}
    negated = {(r.tobytes(), tuple(-l)) for r, l in zip(S, Y)}
    for T in images(S, symmetry):
        image = {(r.tobytes(), tuple(l)) for r, l in zip(T, Y)}
        assert image in (rows, negated)
    for i, j in canonical_unit_implications(S, symmetry):
        assert i != j and (S[j] - S[i] != 0).sum() in (1, 2)


def test_the_full_cube_with_parity_has_the_whole_hyperoctahedral_group():
    S = np.array(list(itertools.product([-1, 1], repeat=4)))
    Y = np.where(((S > 0).sum(axis=1) % 2)[:, None] == 1, 1, -1)
    assert data_symmetry(S, Y) == DataSymmetry((0, 1, 2, 3), ((0, 1, 2, 3),))
    assert data_symmetry(S, Y, counts=np.arange(16)) == DataSymmetry((), ())  # counts differ


@pytest.mark.parametrize("block", range(4))
def test_exact_answers_on_symmetric_data_agree_with_brute_force(block):
    """120 tiny symmetric instances (where the symmetry breaking is active), widths 1-3."""
    active = 0
    for seed in range(block * 30, block * 30 + 30):
        X, y = symmetric_instance(seed)
        data = make_dataset(X, y)
        h = 1 + seed % 3
        spec, _ = master_spec(Problem.build(data, [h]), "auto", None, "feasibility")
        active += bool(spec.unit0_implications)
        assert_searchers_agree_with_brute_force(data, [h], ("cpsat", "auto"), seed)
    assert active >= 20  # the instances exercise the symmetry breaking


@pytest.mark.parametrize("seed", range(12))
def test_min_errors_on_symmetric_data_with_duplicates_equals_brute_force(seed):
    X, y = symmetric_instance(seed)
    rng = np.random.default_rng(seed)
    extra = rng.integers(0, X.shape[0], size=3)  # duplicates (some conflicting) break symmetry of counts
    X = np.vstack([X, X[extra]])
    y = np.concatenate([y, rng.integers(0, 2, size=3)])
    data = make_dataset(X, y)
    problem = Problem.build(data, [1], merge="examples")
    optimum = minimum_errors(problem, LPLearner())
    result = solve(data, hidden=[1], searcher="cpsat", objective="min_errors", time_limit=60)
    assert result.errors == optimum
    if optimum:
        assert result.status is Status.OPTIMAL and result.proof.verify(data)


@pytest.mark.parametrize("seed", range(40))
def test_first_layer_codes_phase_agrees_with_the_distinguishing_width_oracle(seed):
    """Depth 2 on Boolean data: INFEASIBLE from the codes phase exactly when the oracle says so."""
    from oracles import min_distinguishing_width

    X, y = symmetric_instance(seed) if seed % 2 else random_boolean_instance(seed)
    data = make_dataset(X, y)
    problem = Problem.build(data, [1])
    if problem.conflict is not None:
        return
    truth = min_distinguishing_width(problem.X, problem.Y)
    width = max(1, truth - 1 + seed % 3 // 2)  # below the truth, or at it
    result = solve(data, hidden=[width, 2], searcher=CPSATSearcher(threads=1), time_limit=60)
    if result.stats.get("first_layer_codes") == "infeasible":
        assert width < truth and result.status is Status.INFEASIBLE
        assert result.proof.scope == "first-layer-codes" and result.proof.verify(data)
    if width >= truth:
        assert result.stats.get("first_layer_codes") != "infeasible"
    if result.status is Status.FEASIBLE:
        assert result.network.verify(X, data.Y).ok
    elif result.status is Status.INFEASIBLE:
        assert result.proof.verify(data)


def random_boolean_instance(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random distinct Boolean rows (3-4 columns, at most 8 rows) with random labels."""
    rng = np.random.default_rng(10_000 + seed)
    n = int(rng.integers(3, 5))
    rows = np.array(list(itertools.product([0, 1], repeat=n)))
    X = rows[rng.choice(len(rows), size=int(rng.integers(4, 9)), replace=False)]
    y = rng.integers(0, 2, size=X.shape[0])
    y[0], y[1] = 0, 1
    return X.astype(float), y


def test_a_first_layer_codes_proof_is_checked_against_its_own_scope():
    from dataclasses import replace

    from ftprop_exact.proofs.check import check_proof
    from ftprop_exact.proofs.claim import Claim

    X = np.array(list(itertools.product([0, 1], repeat=4)), dtype=float)
    y = X.sum(axis=1).astype(int) % 2
    data = make_dataset(X, y)
    result = solve(data, hidden=[3, 3], searcher=CPSATSearcher(threads=1), time_limit=60)
    proof = result.proof
    assert result.status is Status.INFEASIBLE and proof.scope == "first-layer-codes"
    assert check_proof(proof, data, Claim.of(data, (3, 3))).ok
    assert proof.to_dict()["scope"] == "first-layer-codes"
    assert type(proof).from_dict(proof.to_dict()) == proof
    wider = replace(proof, claim=Claim.of(data, (4, 3)))  # four units do give parity-pure codes
    assert not check_proof(wider, data, wider.claim).ok
    minimising = replace(proof, claim=replace(proof.claim, objective="min_errors", lower_bound=1))
    assert not check_proof(minimising, data, minimising.claim).ok
    real = make_dataset(X + 0.25 * (X[:, :1] > 0) * np.arange(4), y)  # not Boolean: no exact first layer
    assert not check_proof(replace(proof, claim=Claim.of(real, (3, 3))), real, Claim.of(real, (3, 3))).ok
