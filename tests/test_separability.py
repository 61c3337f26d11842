"""The exact LP learner against brute-force oracles, and certificate checking."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprop_exact.solvers import Certificate, LPLearner, make_learner, verify_certificate
from ftprop_exact.proofs.certificate import decide_exactly, exact_certificate
from oracles import separable_by_enumeration, separable_by_integer_weights, separates_exactly


def _assert_verdict_sound(A: np.ndarray, t: np.ndarray, verdict) -> None:
    assert verdict.separable is not None
    if verdict.separable:
        assert separates_exactly(A, t, verdict.weights, verdict.bias)
    else:
        cert = verdict.certificate
        assert len(cert.rows) <= A.shape[1] + 2
        assert verify_certificate(A, t, cert)


@st.composite
def small_instances(draw, values=st.integers(-3, 3)):
    n = draw(st.integers(1, 3))
    m = draw(st.integers(1, 8))
    A = np.array(draw(st.lists(st.lists(values, min_size=n, max_size=n), min_size=m, max_size=m)), dtype=np.float64)
    t = np.array(draw(st.lists(st.sampled_from([-1, 1]), min_size=m, max_size=m)), dtype=np.int8)
    return A, t


@settings(max_examples=250, deadline=None)
@given(small_instances())
def test_lp_agrees_with_basis_enumeration_on_integer_points(instance):
    A, t = instance
    verdict = LPLearner().check(A, t)
    _assert_verdict_sound(A, t, verdict)
    assert verdict.separable == separable_by_enumeration(A, t)


@settings(max_examples=100, deadline=None)
@given(small_instances(values=st.floats(-10, 10, allow_nan=False, width=32)))
def test_lp_agrees_with_basis_enumeration_on_float_points(instance):
    A, t = instance
    verdict = LPLearner().check(A, t)
    truth = separable_by_enumeration(A, t)
    if verdict.separable is None:
        # honest "undecided": only where a separator exists but no float weights can carry
        # it with certain signs (margins near 1e-38, say); a certificate is always exact
        assert truth
        return
    _assert_verdict_sound(A, t, verdict)
    assert verdict.separable == truth


@settings(max_examples=150, deadline=None)
@given(small_instances(values=st.sampled_from([-1, 1])))
def test_lp_agrees_with_integer_weight_enumeration_on_boolean_inputs(instance):
    A, t = instance
    # Muroga for k <= 3 inputs: |w| <= 2 M(3) = 4, |b| <= 2 (3 + 2) M(3) + 1 = 21.
    truth = separable_by_integer_weights(A, t, w_max=4, b_max=21)
    verdict = LPLearner().check(A, t)
    _assert_verdict_sound(A, t, verdict)
    assert verdict.separable == truth


@settings(max_examples=60, deadline=None)
@given(small_instances())
def test_feasibility_mode_agrees_with_max_margin_mode(instance):
    A, t = instance
    a = LPLearner(max_margin=True).check(A, t)
    b = LPLearner(max_margin=False).check(A, t)
    _assert_verdict_sound(A, t, b)
    assert a.separable == b.separable


def test_xor_certificate_and_and_separator():
    A = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    xor = LPLearner().check(A, np.array([-1, 1, 1, -1]))
    assert xor.separable is False
    assert xor.certificate.rows == (0, 1, 2, 3)
    assert xor.certificate.multipliers == (Fraction(1, 4),) * 4
    conj = LPLearner().check(A, np.array([-1, -1, -1, 1]))
    assert conj.separable and conj.margin > 0


def test_constant_targets_are_separable_with_infinite_margin():
    A = np.random.default_rng(0).normal(size=(20, 3))
    verdict = LPLearner().check(A, np.ones(20, dtype=np.int8))
    assert verdict.separable and math.isinf(verdict.margin)
    assert verdict.to_dict()["margin"] is None


def test_duplicate_rows_with_both_targets_give_a_two_row_certificate():
    A = np.array([[0.0, 1.0], [2.0, 3.0], [5.0, 5.0], [2.0, 3.0], [-0.0, 1.0]])
    t = np.array([1, 1, -1, -1, 1])
    verdict = LPLearner().check(A, t)
    assert verdict.separable is False
    assert verdict.certificate.rows == (1, 3)
    assert verify_certificate(A, t, verdict.certificate)


def test_certificate_rows_index_the_data_as_given_when_rows_repeat():
    rng = np.random.default_rng(3)
    base = rng.integers(-2, 3, size=(12, 2)).astype(float)
    A = np.vstack([base, base[::-1]])
    t = np.tile(np.array([1, -1, 1, 1, -1, 1, -1, -1, 1, -1, 1, -1]), 2)
    t[12:] = t[:12][::-1]  # the repeated rows carry the same targets
    verdict = LPLearner().check(A, t)
    _assert_verdict_sound(A, t, verdict)
    assert verdict.separable == separable_by_enumeration(base, t[:12])


@pytest.mark.parametrize("separable", [True, False])
def test_row_generation_matches_the_full_lp(separable):
    rng = np.random.default_rng(7)
    m, n = 4000, 6
    A = rng.normal(size=(m, n)) * rng.uniform(0.01, 100, size=n)  # badly scaled columns
    w = rng.normal(size=n)
    t = np.where(A @ w > 0.3, 1, -1).astype(np.int8)
    if not separable:
        t[rng.choice(m, 5, replace=False)] *= -1
    row_gen = LPLearner(full_lp_rows=50).check(A, t)
    full = LPLearner(full_lp_rows=10**9).check(A, t)
    assert row_gen.separable is full.separable is separable
    for verdict in (row_gen, full):
        if separable:
            assert separates_exactly(A[:300], t[:300], verdict.weights, verdict.bias)
            assert verdict.margin > 0
        else:
            assert verify_certificate(A, t, verdict.certificate)
            assert len(verdict.certificate.rows) <= n + 2


def test_check_layer_equals_unit_by_unit_checks():
    rng = np.random.default_rng(11)
    A = rng.integers(-2, 3, size=(30, 3)).astype(float)
    T = rng.choice(np.array([-1, 1], dtype=np.int8), size=(30, 5))
    learner = LPLearner()
    layer = learner.check_layer(A, T)
    for k in range(5):
        single = learner.check(A, T[:, k])
        assert layer[k].separable == single.separable
        _assert_verdict_sound(A, T[:, k], layer[k])


@pytest.mark.parametrize(
    "cert",
    [
        Certificate((0, 1, 2, 3), (Fraction(1, 4), Fraction(1, 4), Fraction(1, 4), Fraction(1, 5))),  # sum != 1
        Certificate((0, 1, 2, 3), (Fraction(1, 2), Fraction(1, 4), Fraction(1, 4), Fraction(0))),  # zero weight
        Certificate((0, 1, 2, 4), (Fraction(1, 4),) * 4),  # row out of range
        Certificate((0, 1, 1, 3), (Fraction(1, 4),) * 4),  # repeated row
        Certificate((0, 1, 2), (Fraction(1, 3),) * 3),  # does not cancel
        Certificate((), ()),
    ],
)
def test_verify_certificate_rejects_wrong_certificates(cert):
    A = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert not verify_certificate(A, np.array([-1, 1, 1, -1]), cert)


def test_verify_certificate_rejects_float_multipliers():
    A = np.array([[0.0], [1.0]])
    assert not verify_certificate(A, np.array([1, -1]), Certificate((0, 1), (0.5, 0.5)))


def test_certificate_json_round_trip_is_exact():
    A = np.array([[0.1], [0.7], [0.3]])
    t = np.array([1, 1, -1])  # 0.3 lies between 0.1 and 0.7
    cert = exact_certificate(A, t, [0, 1, 2])
    assert cert is not None and verify_certificate(A, t, cert)
    again = Certificate.from_dict(cert.to_dict())
    assert again == cert


def test_exact_certificate_refuses_rows_without_one():
    A = np.array([[0.0], [1.0]])
    assert exact_certificate(A, np.array([1, -1]), [0, 1]) is None


def test_invalid_targets_are_rejected():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        LPLearner().check(np.zeros((2, 1)), np.array([0, 1]))
    with pytest.raises(ValueError, match="shape"):
        LPLearner().check_layer(np.zeros((2, 1)), np.ones((3, 1)))


def test_make_learner_names_the_valid_choices():
    assert make_learner("lp").name == "lp"
    with pytest.raises(ValueError, match="choose one of: .*lp"):
        make_learner("simplex")


@pytest.mark.parametrize(
    "points, t, separable",
    [
        ([0.0, 1.0, 1e-12], [-1, -1, 1], False),  # 1e-12 lies between the negatives
        ([1.0, 0.0, 1e-12], [1, -1, 1], True),  # threshold in (0, 1e-12)
        ([1.0, 1.0 + 2.0**-52, 1.0 + 2.0**-51], [-1, 1, -1], False),
    ],
)
def test_ill_conditioned_points_are_decided_exactly(points, t, separable):
    A = np.array(points).reshape(-1, 1)
    t = np.array(t)
    verdict = LPLearner().check(A, t)
    _assert_verdict_sound(A, t, verdict)
    assert verdict.separable is separable


@settings(max_examples=80, deadline=None)
@given(small_instances(values=st.floats(-4, 4, allow_nan=False, width=16)))
def test_exact_simplex_agrees_with_basis_enumeration(instance):
    A, t = instance
    decision = decide_exactly(A, t, range(A.shape[0]))
    truth = separable_by_enumeration(A, t)
    if truth:
        assert decision.certificate is None and decision.weights is not None
        W = [Fraction(v) for v in decision.weights]
        for i in range(A.shape[0]):
            z = sum((Fraction(float(A[i, j])) * W[j] for j in range(A.shape[1])), decision.bias)
            assert int(t[i]) * z > 0
    else:
        assert decision.certificate is not None and verify_certificate(A, t, decision.certificate)
