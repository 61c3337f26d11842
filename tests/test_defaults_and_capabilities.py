"""One default searcher and learner everywhere; learners and searchers declare what they can do."""

from __future__ import annotations

import numpy as np
import pytest

from ftprop_exact import Deadline, Status, solve
from ftprop_exact.classifier import FTPropClassifier
from ftprop_exact.cli import build_parser
from ftprop_exact.data import make_dataset
from ftprop_exact.min_width import min_width
from ftprop_exact.activations import ACTIVATION_FAMILIES as ACTIVATIONS
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.claim import OBJECTIVES, WEIGHT_DOMAINS
from ftprop_exact.solvers.registry import (
    DEFAULT_LEARNER,
    DEFAULT_SEARCHER,
    capabilities_of,
    deciding_learner_names,
    learner_names,
    make_learner,
    make_searcher,
    searcher_class,
    searcher_names,
    searchers_that,
)
from ftprop_exact.solvers.search_base import Capabilities, Incumbent

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_Y = np.array([0, 1, 1, 0])
CPU_LEARNERS = [name for name in learner_names() if name != "cupy"]  # cupy needs a GPU to construct
NOT_DECIDING = [name for name in CPU_LEARNERS if not make_learner(name).decides]
PROVING = searchers_that(lambda c: c.proves and "real" in c.weights)  # integer domains use no learner
NOT_PROVING = searchers_that(lambda c: not c.proves)


def test_every_entry_point_uses_the_one_default():
    assert DEFAULT_SEARCHER in searcher_names() and DEFAULT_LEARNER in learner_names()
    assert solve.__kwdefaults__["searcher"] == DEFAULT_SEARCHER and solve.__kwdefaults__["learner"] == DEFAULT_LEARNER
    assert make_searcher().name == DEFAULT_SEARCHER and make_learner().name == DEFAULT_LEARNER
    params = FTPropClassifier().get_params()
    assert (params["searcher"], params["learner"]) == (DEFAULT_SEARCHER, DEFAULT_LEARNER)
    assert min_width.__kwdefaults__["learner"] == DEFAULT_LEARNER
    args = build_parser().parse_args(["check", "data.csv", "--hidden", "2"])
    assert args.solver == DEFAULT_SEARCHER
    assert solve(XOR_X, XOR_Y, hidden=[2], time_limit=30).solver == DEFAULT_SEARCHER


def test_learners_declare_whether_they_decide_non_separability():
    assert set(deciding_learner_names()) == {"auto", "lp"}
    assert set(NOT_DECIDING) == {"numba", "numpy"}
    for name in CPU_LEARNERS:  # the declaration matches what the learner does on XOR (not separable)
        verdict = make_learner(name).check(XOR_X.astype(float), np.array([-1, 1, 1, -1]))
        assert (verdict.separable is False) == (name in deciding_learner_names()), name
        assert verdict.separable is not True


@pytest.mark.parametrize("learner", NOT_DECIDING)
@pytest.mark.parametrize("searcher", PROVING)
def test_a_searcher_that_proves_refuses_a_learner_that_cannot_decide(searcher, learner):
    with pytest.raises(ValueError, match=rf"learner {learner!r} cannot show .* use one of: auto, lp"):
        solve(XOR_X, XOR_Y, hidden=[1], searcher=searcher, learner=learner, time_limit=5)
    problem = Problem.build(make_dataset(XOR_X, XOR_Y), [1], "sign")
    with pytest.raises(ValueError, match="use one of: auto, lp"):  # the searcher itself refuses, too
        make_searcher(searcher).search(problem, make_learner(learner), Deadline(5), Incumbent(problem), np.random.default_rng(0))


@pytest.mark.parametrize("learner", deciding_learner_names())
@pytest.mark.parametrize("searcher", PROVING)
def test_a_searcher_that_proves_does_prove_with_a_deciding_learner(searcher, learner):
    result = solve(XOR_X, XOR_Y, hidden=[1], searcher=searcher, learner=learner, time_limit=30)
    assert result.status is Status.INFEASIBLE and result.proof is not None


def test_a_network_without_hidden_layers_needs_a_deciding_learner():
    with pytest.raises(ValueError, match="without hidden layers"):
        solve(XOR_X, XOR_Y, hidden=[], learner=NOT_DECIDING[0])


@pytest.mark.parametrize("searcher", ["local", "ftprop"])
def test_searchers_that_never_prove_accept_the_bare_perceptron(searcher):
    result = solve(XOR_X, XOR_Y, hidden=[2], searcher=searcher, learner="numpy", time_limit=30)
    assert result.status is Status.FEASIBLE


@pytest.mark.parametrize("name", searcher_names())
def test_every_searcher_declares_capabilities_within_the_known_values(name):
    caps = capabilities_of(name)
    assert isinstance(searcher_class(name).capabilities, Capabilities)
    assert set(caps.objectives) <= set(OBJECTIVES) and "feasibility" in caps.objectives
    assert set(caps.activations) <= set(ACTIVATIONS) and set(caps.weights) <= set(WEIGHT_DOMAINS)
    assert set(caps.options) <= {"threads", "max_weight"}
    # the declared options and objectives are accepted by the constructor
    searcher = make_searcher(name, **{option: 2 for option in caps.options})
    if "min_errors" in caps.objectives:
        assert make_searcher(name, objective="min_errors").objective == "min_errors"
    assert searcher.name == name


@pytest.mark.parametrize("name", NOT_PROVING)
def test_a_searcher_declared_not_to_prove_never_answers_infeasible(name):
    assert solve(XOR_X, XOR_Y, hidden=[1], searcher=name, time_limit=0.5).status is Status.UNKNOWN


def test_solve_asks_only_error_minimising_searchers_to_minimise():
    assert searchers_that(lambda c: "min_errors" in c.objectives) == ("auto", "cpsat")
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = [0, 1, 0, 1]
    assert solve(X, y, hidden=[1], searcher="cpsat", objective="min_errors", time_limit=30).status is Status.OPTIMAL
    assert solve(X, y, hidden=[1], searcher="local", objective="min_errors", time_limit=0.5).status is Status.UNKNOWN


def test_a_searcher_object_without_declarations_gets_the_plain_capabilities():
    class Bare:
        name = "bare"

    assert capabilities_of(Bare()) == Capabilities()
    assert not Capabilities().proves and Capabilities().options == ()
