"""The screened annealing start: gradients against finite differences, reproducibility, limits."""

from __future__ import annotations

import numpy as np
import pytest

from ftprop_exact.budget import Deadline
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.search.anneal_start import _smooth_gradients, anneal_start
from searcher_contract import planted


def _smooth_loss(A, params, Y, counts, beta, activation):
    """Reference: the weighted smooth margin loss, written out directly."""
    H = A
    for d in range(0, len(params) - 2, 2):
        T = np.tanh(beta * (H @ params[d].T + params[d + 1]))
        H = (1.0 + T) / 2.0 if activation == "step" else T
    out = H @ params[-2].T + params[-1]
    return float((counts[:, None] * np.logaddexp(0.0, 1.0 - 2.0 * beta * Y * out) / (2.0 * beta)).sum())


@pytest.mark.parametrize("activation", ["sign", "step"])
@pytest.mark.parametrize("widths", [(3, 1), (3, 4, 1), (2, 3, 2, 3)])
def test_gradients_match_finite_differences(activation, widths):
    rng = np.random.default_rng(len(widths))
    A = rng.normal(size=(7, widths[0]))
    Y = np.where(rng.random((7, widths[-1])) < 0.5, -1.0, 1.0)
    counts = rng.integers(1, 4, size=7).astype(float)
    params = []
    for fan_in, width in zip(widths[:-1], widths[1:]):
        params += [rng.normal(size=(width, fan_in)), rng.normal(size=width)]
    beta, h = 2.5, 1e-6
    grads = _smooth_gradients(A, params, Y, counts, beta, activation)
    for p, g in zip(params, grads):
        numeric = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            saved = p[index]
            p[index] = saved + h
            up = _smooth_loss(A, params, Y, counts, beta, activation)
            p[index] = saved - h
            down = _smooth_loss(A, params, Y, counts, beta, activation)
            p[index] = saved
            numeric[index] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-7)


def _errors(problem: Problem, weights, biases) -> int:
    layers = [Layer(W, b, problem.activation) for W, b in zip(weights, biases)]
    network = ThresholdNetwork(tuple(layers), classes=(-1, 1))
    return int(network.verify(problem.X, problem.Y).errors)


@pytest.mark.parametrize("activation", ["sign", "step"])
def test_an_easy_planted_teacher_is_fitted_by_the_start_alone(activation):
    problem = Problem.build(planted(3, 120, (2,), 3), (2,), activation=activation)
    weights, biases = anneal_start(problem, np.random.default_rng(0), Deadline(60.0))
    assert [W.shape for W in weights] == [(2, 3), (1, 2)] and [b.shape for b in biases] == [(2,), (1,)]
    assert _errors(problem, weights, biases) == 0


def test_same_generator_gives_the_same_network_and_an_expired_deadline_stops_at_once():
    problem = Problem.build(planted(4, 150, (3, 2), 5), (3, 2))
    first = anneal_start(problem, np.random.default_rng(4), Deadline(60.0), iterations=200, screen=3)
    second = anneal_start(problem, np.random.default_rng(4), Deadline(60.0), iterations=200, screen=3)
    for a, b in zip(first[0] + first[1], second[0] + second[1]):
        assert np.array_equal(a, b)
    weights, _ = anneal_start(problem, np.random.default_rng(4), Deadline(0.0), iterations=10**6, screen=10**3)
    assert [W.shape for W in weights] == [(3, 4), (2, 3), (1, 2)]


def test_screening_keeps_the_best_initialisation():
    """More initialisations never give a worse start (same generator: the first ones agree)."""
    data = planted(5, 200, (4, 3), 11)
    problem = Problem.build(data, (4, 3))
    errors = [
        _errors(problem, *anneal_start(problem, np.random.default_rng(2), Deadline(60.0), iterations=100, screen=k))
        for k in (1, 4)
    ]
    assert errors[1] <= errors[0]


@pytest.mark.parametrize(("iterations", "screen"), [(0, 8), (10, 0)])
def test_bad_settings_are_refused(iterations, screen):
    problem = Problem.build(planted(2, 30, (2,), 0), (2,))
    with pytest.raises(ValueError, match="positive"):
        anneal_start(problem, np.random.default_rng(0), Deadline(1.0), iterations=iterations, screen=screen)
