"""Recursive FTPROP ("ftprop"): the searcher contract, the layer losses, and the shared
flip machinery (flip deltas, partial realisation, soft FTPROP) against slow references."""

from __future__ import annotations

import numpy as np
import pytest

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.search import deltas as search_deltas
from ftprop_exact.solvers.search.deltas import ERRORS, flip_deltas, flip_gradient
from ftprop_exact.solvers.search.state import SearchStats, TargetState, UnitChecker
from ftprop_exact.solvers.search.ftprop import FTPropSearcher
from ftprop_exact.solvers.search.losses import loss_names, make_loss
from ftprop_exact.solvers.registry import make_learner, make_searcher
from ftprop_exact.solvers.search.soft_start import soft_start
from oracles import separates_exactly
from searcher_contract import SearcherContract, planted, warm_learner  # noqa: F401 (fixture)


class TestFTPropContract(SearcherContract):
    searcher = "ftprop"


# -- losses ---------------------------------------------------------------------------


def test_the_three_paper_losses_are_registered():
    assert loss_names() == ("hinge", "saturated_hinge", "soft_hinge")
    with pytest.raises(ValueError, match="hinge, saturated_hinge, soft_hinge"):
        make_loss("squared")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hinge", [3.0, 1.0, 0.5, 0.0]),
        ("saturated_hinge", [2.0, 1.0, 0.5, 0.0]),
        ("soft_hinge", [np.tanh(2.0) + 1, 1.0, np.tanh(-0.5) + 1, np.tanh(-3.0) + 1]),
    ],
)
def test_loss_values(name, expected):
    z = np.array([-2.0, 0.0, 0.5, 3.0])
    assert np.allclose(make_loss(name).value(z, np.ones(4)), expected)
    assert np.allclose(make_loss(name).value(-z, -np.ones(4)), expected)  # a function of t z


@pytest.mark.parametrize("name", ["hinge", "saturated_hinge", "soft_hinge"])
def test_loss_derivatives_match_finite_differences_away_from_kinks(name):
    loss = make_loss(name)
    z = np.array([-2.3, -0.4, 0.3, 0.8, 1.7])
    for t in (1.0, -1.0):
        h = 1e-6
        numeric = (loss.value(z + h, t) - loss.value(z - h, t)) / (2 * h)
        assert np.allclose(loss.derivative(z, t), numeric, atol=1e-6)


# -- shared flip machinery --------------------------------------------------------------


def _state(hidden: tuple[int, ...], activation: str = "sign", seed: int = 0) -> TargetState:
    data = planted(3, 40, hidden, seed)
    return TargetState.random(Problem.build(data, hidden, activation), np.random.default_rng(seed))


def _layer_loss_by_forward(state: TargetState, d: int, loss, importance: np.ndarray) -> float:
    """Reference: recompute layer d's loss from the targets of layer d-1 (no propagation)."""
    W, b = search_deltas._loss_weights(state, d)
    return float(np.sum(importance * loss.value(state.inputs(d) @ W.T + b, state.layer_targets(d))))


@pytest.mark.parametrize("activation", ["sign", "step"])
@pytest.mark.parametrize("loss", ["hinge", "soft_hinge", "errors"])
def test_flip_deltas_are_exact_loss_changes(activation, loss):
    state = _state((3, 2), activation)
    layer_loss = ERRORS if loss == "errors" else make_loss(loss)
    d = 2
    importance = np.random.default_rng(1).uniform(0.5, 2.0, size=(state.problem.n_rows, 1))
    deltas = flip_deltas(state, d, layer_loss, importance)
    base = _layer_loss_by_forward(state, d, layer_loss, importance)
    for i, j in [(0, 0), (5, 1), (17, 0), (39, 1)]:
        flipped = state.copy()
        flipped.targets[1][i, j] *= -1
        assert deltas[i, j] == pytest.approx(_layer_loss_by_forward(flipped, d, layer_loss, importance) - base)


def test_flip_deltas_from_a_deeper_layer_propagate_through_the_network():
    state = _state((3, 2), seed=2)
    importance = np.ones((state.problem.n_rows, 1))
    deltas = flip_deltas(state, 2, ERRORS, importance, source=0)
    W2, b2 = state.weights[2], state.biases[2]

    def errors(T1: np.ndarray) -> np.ndarray:
        H2 = np.where(T1 @ state.weights[1].T + state.biases[1] > 0, 1.0, -1.0)
        return ((H2 @ W2.T + b2 > 0) != (state.problem.Y > 0))[:, 0].astype(float)

    T1 = state.targets[0].astype(float)
    for j in range(3):
        flipped = T1.copy()
        flipped[:, j] *= -1
        assert np.array_equal(deltas[:, j], errors(flipped) - errors(T1))


def test_flip_gradient_is_the_linearised_delta():
    state = _state((3,), seed=3)
    loss = make_loss("soft_hinge")
    importance = np.ones((state.problem.n_rows, 1))
    linear, exact = flip_gradient(state, 1, loss, importance), flip_deltas(state, 1, loss, importance)
    assert np.mean(np.sign(linear) == np.sign(exact)) > 0.8


def test_partial_realisation_honours_the_constrained_rows_only():
    state = _state((3,), seed=4)
    checker = UnitChecker(make_learner("lp"), SearchStats.for_problem(state.problem))
    z = state.pre_activation(0)[:, 0]
    closest = np.argsort(np.abs(z))[:2]  # flipping the two rows nearest the hyperplane...
    column = state.targets[0][:, 0].copy()
    column[closest] *= -1
    constrained = np.zeros(column.size, dtype=bool)
    constrained[closest] = True  # ...with every other row free
    assert checker.realise_partial(state, 0, 0, column, constrained)
    realised = state.targets[0][:, 0]
    assert np.array_equal(realised[closest], column[closest])
    assert separates_exactly(state.problem.X, realised, state.weights[0][0], state.biases[0][0])
    assert state.fits[0][0] and not state.fits[1].any()


def test_an_impossible_partial_column_leaves_the_state_alone_and_becomes_a_cut():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 0.5]])
    problem = Problem.build(make_dataset(X, [0, 1, 1, 0, 1, 0]), (2,))
    state = TargetState.random(problem, np.random.default_rng(0))
    checker = UnitChecker(make_learner("lp"), SearchStats.for_problem(problem))
    before = state.copy()
    column = np.array([-1, 1, 1, -1, 1, 1], dtype=np.int8)  # XOR on the first four rows
    constrained = np.array([True, True, True, True, False, False])
    assert not checker.realise_partial(state, 0, 1, column, constrained)
    assert all(np.array_equal(a, b) for a, b in zip(state.targets, before.targets))
    (cut,) = list(checker.pool)
    assert set(cut.rows) <= {0, 1, 2, 3} and cut.violated_by(column)
    assert checker.forbidden(column, np.array([0]), constrained)


def test_soft_start_never_returns_a_worse_network():
    data = planted(4, 200, (3, 2), 5)
    problem = Problem.build(data, (3, 2))
    start = TargetState.random(problem, np.random.default_rng(0))
    errors_before = start.network().verify(data.X, data.Y).errors
    weights, biases = soft_start(problem, start.weights, start.biases, make_loss("soft_hinge"), 300, Deadline(30))
    after = TargetState.from_weights(problem, weights, biases)
    assert after.network().verify(data.X, data.Y).errors <= errors_before


# -- FTPROP options -----------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["hinge", "saturated_hinge", "soft_hinge"])
@pytest.mark.parametrize("heuristic", ["delta", "gradient"])
def test_every_loss_and_heuristic_solves_a_small_teacher(loss, heuristic):
    data = planted(3, 70, (3,), 30)
    result = solve(data, hidden=(3,), searcher="ftprop", loss=loss, heuristic=heuristic, time_limit=60, random_state=0)
    assert result.status is Status.FEASIBLE and result.network.verify(data.X, data.Y).ok
    assert result.stats["loss"] == loss


def test_without_a_warm_start_the_exact_recursion_alone_solves_it():
    data = planted(3, 70, (3, 2), 31)
    result = solve(data, hidden=(3, 2), searcher=FTPropSearcher(warm_start=0), time_limit=60, random_state=0)
    assert result.status is Status.FEASIBLE and result.network.verify(data.X, data.Y).ok
    assert result.stats["layer_calls"][2] >= 1


@pytest.mark.parametrize("options", [{"budget": 0}, {"heuristic": "newton"}, {"warm_start": -1}])
def test_ftprop_specific_options_are_checked(options):
    with pytest.raises(ValueError):
        make_searcher("ftprop", **options)
