"""Deeper networks from shallower ones (copy layers), and the portfolio's one-hidden-layer-first step."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.deepen import can_deepen, deepened


def random_network(rng: np.random.Generator, n: int, width: int, classes: tuple, activation: str) -> ThresholdNetwork:
    k = 1 if len(classes) == 2 else len(classes)
    first = Layer(rng.normal(size=(width, n)), rng.normal(size=width), activation)
    out = Layer(rng.normal(size=(k, width)), rng.normal(size=k), "sign")
    return ThresholdNetwork((first, out), classes=classes)


@pytest.mark.parametrize("seed", range(30))
def test_a_deepened_network_gives_every_output_unit_the_shallow_ones_sign(seed):
    """Same output signs everywhere (so the same fit on the training rows; with several classes
    the arg-max over +-1 copies may break ties differently off the training rows)."""
    rng = np.random.default_rng(seed)
    activation = ("sign", "step")[seed % 2]
    classes = (0, 1) if seed % 3 else (0, 1, 2)
    width = int(rng.integers(1, 5))
    net = random_network(rng, 3, width, classes, activation)
    k = 1 if len(classes) == 2 else 3
    later = tuple(int(w) for w in rng.integers(k, k + 3, size=int(rng.integers(1, 4))))
    deep = deepened(net, (width, *later))
    X = rng.normal(size=(200, 3))
    assert [layer.n_outputs for layer in deep.layers[:-1]] == [width, *later]
    assert np.array_equal(deep.pre_activations(X)[-1] > 0, net.pre_activations(X)[-1] > 0)


def test_deepening_refuses_shapes_it_cannot_fill():
    net = random_network(np.random.default_rng(0), 2, 2, (0, 1, 2), "sign")
    with pytest.raises(ValueError, match="at least 3 units"):
        deepened(net, (2, 2))
    with pytest.raises(ValueError, match="width 3"):
        deepened(net, (3, 4))


def test_which_problems_deepen():
    X = np.array([[0.0], [1.0], [2.0]])
    data = make_dataset(X, [0, 1, 0])
    assert can_deepen(Problem.build(data, (2, 1)))
    assert not can_deepen(Problem.build(data, (2,)))
    three = make_dataset(X, [0, 1, 2])
    assert not can_deepen(Problem.build(three, (2, 2)))  # three outputs need three copy units
    assert can_deepen(Problem.build(three, (2, 3)))


def test_auto_answers_a_deep_question_from_one_hidden_layer():
    """Points on a line, alternating labels: m - 1 first-layer units at depth 2."""
    from ftprop_exact.benchmarks.generators import points_on_a_line

    X, y = points_on_a_line(10, 4, np.random.default_rng(5))
    result = solve(X, y, hidden=[9, 2], searcher="auto", time_limit=60)
    assert result.status is Status.FEASIBLE and result.network.verify(X, make_dataset(X, y).Y).ok


def test_a_first_layer_codes_proof_of_the_shallow_question_answers_the_deep_one():
    X = np.array(list(itertools.product([0, 1], repeat=4)), dtype=float)
    y = X.sum(axis=1).astype(int) % 2
    data = make_dataset(X, y)
    result = solve(data, hidden=[3, 4], searcher="auto", time_limit=60)
    assert result.status is Status.INFEASIBLE
    assert tuple(result.proof.claim.hidden) == (3, 4) and result.proof.verify(data)
