"""qrelu:K hidden units: semantics, JSON, unit feasibility with exact certificates, search."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from ftprop_exact import solve
from ftprop_exact.activations import activation_levels, apply_activation, check_activation
from ftprop_exact.data import make_dataset
from ftprop_exact.errors import DataError
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.proofs.basic import DuplicateConflictProof
from ftprop_exact.proofs.check import check_proof
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.proofs.levels import LevelCertificate, verify_level_certificate
from ftprop_exact.solvers.learners.levels import check_level_unit
from ftprop_exact.solvers.registry import make_learner
from ftprop_exact.status import Status


def test_activation_names_and_forward_map() -> None:
    assert check_activation("qrelu:4") == "qrelu:4" and activation_levels("qrelu:7") == 7
    for bad in ("qrelu:1", "qrelu:0", "qrelu:x", "qrelu:", "qrelu:4.0", "relu"):
        with pytest.raises(DataError, match="qrelu"):
            check_activation(bad)
    z = np.array([-3.0, 0.0, 1e-300, 1.0, 1.5, 2.0, 2.0000001, 50.0])
    # h(z) = #{l in 0..K-2 : z > l}, computed by definition
    expected = [sum(1 for level in range(3) if value > level) for value in z]
    assert apply_activation(z, "qrelu:4").tolist() == expected
    assert apply_activation(z, "qrelu:2").tolist() == apply_activation(z, "step").tolist()


def test_network_json_round_trip_and_output_layer_rule() -> None:
    net = ThresholdNetwork((Layer([[1.0, 2.0]], [0.25], "qrelu:4"), Layer([[1.0]], [-1.5])), classes=("a", "b"))
    again = ThresholdNetwork.from_dict(net.to_dict())
    assert again == net and net.to_dict()["layers"][0]["activation"] == "qrelu:4"
    with pytest.raises(DataError, match="output layer"):
        ThresholdNetwork((Layer([[1.0]], [0.0], "qrelu:3"),), classes=(0, 1))
    with pytest.raises(DataError, match="K = 1"):
        ThresholdNetwork.from_dict({**net.to_dict(), "layers": [{**net.to_dict()["layers"][0], "activation": "qrelu:1"}, net.to_dict()["layers"][1]]})


def test_verify_flags_every_step_boundary() -> None:
    X = np.array([[0.0], [0.5], [1.0], [2.0], [0.3]])
    net = ThresholdNetwork((Layer([[1.0]], [0.0], "qrelu:4"), Layer([[1.0]], [-0.5])), classes=(0, 1))
    v = net.verify(X, [-1, 1, 1, 1, 1], hidden_targets=[[[0], [1], [1], [2], [1]]])
    assert v.unsafe_per_unit[0].tolist() == [3]  # z = 0, 1, 2 sit on steps; 0.5 and 0.3 do not
    assert v.errors_per_unit[0].tolist() == [0] and not v.ok
    shifted = ThresholdNetwork((Layer([[1.0]], [0.25], "qrelu:4"), Layer([[1.0]], [-0.5])), classes=(0, 1))
    assert shifted.verify(X, [1, 1, 1, 1, 1]).ok
    with pytest.raises(DataError, match="levels 0..3"):
        net.verify(X, [1] * 5, hidden_targets=[[[0], [1], [4], [2], [1]]])


def _feasible_by_grid(A: np.ndarray, levels: np.ndarray, K: int) -> bool:
    """Brute force for one input: is there (w, b) with the levels? (1-D: intervals of z)."""
    w, b = np.meshgrid(np.linspace(-6, 6, 241), np.linspace(-6, 6, 241))
    Z = w.reshape(-1, 1) * A[:, 0] + b.reshape(-1, 1)
    return bool((apply_activation(Z, f"qrelu:{K}") == levels).all(axis=1).any())


def test_unit_verdicts_are_verified_and_match_a_grid_search() -> None:
    lp = make_learner("lp")
    A = np.array([[0.0], [1.0], [2.0], [3.0]])
    for levels in itertools.product(range(3), repeat=4):
        levels = np.array(levels, dtype=float)
        verdict = check_level_unit(A, levels, 3, lp)
        assert verdict.feasible is not None
        if verdict.feasible:
            z = A @ verdict.weights + verdict.bias
            assert np.array_equal(apply_activation(z, "qrelu:3"), levels)
        else:
            assert verify_level_certificate(A, levels, 3, verdict.certificate)
        assert verdict.feasible == _feasible_by_grid(A, levels, 3)


def test_edited_certificates_are_rejected() -> None:
    lp = make_learner("lp")
    A = np.array([[0.0], [1.0], [2.0], [3.0]])
    levels = np.array([0.0, 2.0, 1.0, 2.0])
    cert = check_level_unit(A, levels, 3, lp).certificate
    assert cert is not None and verify_level_certificate(A, levels, 3, cert)
    again = LevelCertificate.from_dict(cert.to_dict())
    assert verify_level_certificate(A, levels, 3, again)
    edits = [
        LevelCertificate(cert.pairs, tuple(x * 2 for x in cert.multipliers)),  # no longer sums to 1
        LevelCertificate(((0, 5),) + cert.pairs[1:], cert.multipliers),  # a step out of range
    ]
    if len(cert.multipliers) > 1:
        shifted = (cert.multipliers[0] + Fraction(1, 97), cert.multipliers[1] - Fraction(1, 97)) + cert.multipliers[2:]
        edits.append(LevelCertificate(cert.pairs, shifted))
    for edit in edits:
        assert not verify_level_certificate(A, levels, 3, edit)
    assert not verify_level_certificate(A, np.array([0.0, 1.0, 1.0, 2.0]), 3, cert)  # other levels


def test_two_valued_proof_kinds_cannot_answer_a_qrelu_claim() -> None:
    data = make_dataset([[0.0], [0.0]], [0, 1])
    claim = Claim.of(data, (2,), "qrelu:4")
    assert check_proof(DuplicateConflictProof(claim, (0, 1)), data, claim).ok
    from ftprop_exact.proofs.exhaustive import ExhaustiveProof

    report = check_proof(ExhaustiveProof(claim, ()), data, claim)
    assert not report.ok and "qrelu:4" in report.reason


@pytest.mark.parametrize("searcher", ["ftprop", "local", "auto", pytest.param("sste", marks=pytest.mark.slow)])
def test_planted_qrelu_teachers_are_solved(searcher: str) -> None:
    from ftprop_exact.benchmarks.generators import planted_qrelu_teacher

    X, y, teacher = planted_qrelu_teacher(2, 40, 2, 4, np.random.default_rng(3))
    result = solve(X, y, hidden=[2], activation="qrelu:4", searcher=searcher, time_limit=30, random_state=0)
    if searcher in ("sste", "ftprop-mb") and result.status is not Status.FEASIBLE:
        pytest.skip("the gradient baselines need not solve it")
    assert result.status is Status.FEASIBLE
    assert {layer.activation for layer in result.network.layers} == {"qrelu:4", "sign"}
    assert (result.network.predict(X) == y).all() and result.network.verify(X, np.where(y > 0, 1, -1)).ok


def test_searchers_that_cannot_do_qrelu_refuse_it_clearly() -> None:
    X, y = np.array([[0.0], [1.0], [2.0]]), [0, 1, 0]
    for name in ("brute", "milp"):
        with pytest.raises(ValueError, match="does not train 'qrelu:4' units"):
            solve(X, y, hidden=[1], activation="qrelu:4", searcher=name, time_limit=5)


def test_level_intervals_are_exactly_the_levels_that_make_every_output_right() -> None:
    from ftprop_exact.solvers.search.level_descent import level_intervals

    rng = np.random.default_rng(7)
    K = 4
    for _ in range(20):
        H = rng.integers(0, K, size=(30, 3)).astype(np.float64)
        V = rng.normal(size=(2, 3))
        c = rng.normal(size=2)
        Y = np.where(rng.random((30, 2)) < 0.5, 1.0, -1.0)
        for j in range(3):
            low, high, possible = level_intervals(H, j, V, c, Y, K)
            for i in range(30):
                right = []
                for level in range(K):
                    h = H[i].copy()
                    h[j] = level
                    right.append(bool(np.all(Y[i] * (V @ h + c) > 0)))
                if possible[i]:
                    assert right == [low[i] <= level <= high[i] for level in range(K)]
                else:
                    assert not any(right) and (low[i], high[i]) == (0, K - 1)


def test_interval_fit_lands_inside_feasible_intervals() -> None:
    from ftprop_exact.solvers.learners.levels import fit_level_interval

    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(40, 3))
    levels = apply_activation(X @ np.array([2.0, -1.0, 0.5]) + 1.2, "qrelu:4")
    low = np.maximum(levels - rng.integers(0, 2, size=40), 0)
    high = np.minimum(levels + rng.integers(0, 2, size=40), 3)
    w, b = fit_level_interval(X, low, high, 4, margin=0.01)
    got = apply_activation(X @ w + b, "qrelu:4")
    assert np.all((low <= got) & (got <= high))
