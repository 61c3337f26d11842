"""FTPropClassifier: scikit-learn's estimator checks, pipelines, grid search, multi-class."""

from __future__ import annotations

import pickle
from contextlib import nullcontext
from time import perf_counter

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from ftprop_exact import Status
from ftprop_exact.classifier import FTPropClassifier
from searcher_contract import planted, planted_multiclass, warm_learner  # noqa: F401 (fixture)

# Every check passes; two are skipped by scikit-learn itself and are listed here so that a
# future failure of them is noticed:
# - check_pipeline_consistency: skipped because the estimator is tagged non-deterministic
#   (a fit depends on how far the search gets within time_limit, i.e. on the machine);
# - check_array_api_input: skipped unless SCIPY_ARRAY_API=1 (the solver is numpy-only).
# The search is anytime under a wall-clock budget: when a check's data set is not solved
# exactly within the (deliberately short) time limit, the network returned depends on how far
# the search got, which depends on the machine's load. Refitting (idempotency) or refitting on
# a reshaped y can then give a different best-so-far network on a busy machine. They pass on an
# idle one (non-strict xfail); solved problems are deterministic for a fixed random_state
# (test_same_random_state_gives_the_same_result in tests/searcher_contract.py).
EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_fit_idempotent": "anytime search under a wall-clock budget: the best-so-far network depends on load",
    "check_supervised_y_2d": "compares two time-limited fits; the best-so-far network depends on load",
}


@parametrize_with_checks(
    [
        FTPropClassifier(time_limit=0.5, random_state=0),
        FTPropClassifier(time_limit=0.5, random_state=0, objective="max_margin", multiclass="ovo"),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_fit_predict_score_and_fitted_attributes():
    data = planted(3, 80, (3,), 42)
    labels = np.array(["no", "yes"])[data.y]
    clf = FTPropClassifier(hidden=(3,), time_limit=60, random_state=0)
    with pytest.raises(NotFittedError):
        clf.predict(data.X)
    assert clf.fit(data.X, labels) is clf
    assert clf.status_ is Status.FEASIBLE and clf.result_.status is Status.FEASIBLE
    assert clf.classes_.tolist() == ["no", "yes"] and clf.n_features_in_ == 3
    assert clf.network_.widths == (3,)
    assert clf.score(data.X, labels) == 1.0 and clf.predict(data.X).tolist() == labels.tolist()
    clone = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(clone.predict(data.X), clf.predict(data.X))


def test_multiclass_and_step_activation():
    data = planted_multiclass(3, 90, 3, 3, seed=9)
    labels = np.array([10, 20, 30])[data.y]
    clf = FTPropClassifier(hidden=(3,), activation="step", time_limit=60, random_state=0).fit(data.X, labels)
    assert clf.status_ is Status.FEASIBLE and clf.network_.n_outputs == 3
    assert {layer.activation for layer in clf.network_.layers} == {"step"}
    assert np.array_equal(clf.predict(data.X), labels)


@pytest.mark.parametrize("searcher", ["ftprop", "local"])
def test_works_in_a_pipeline_and_in_grid_search(searcher):
    data = planted(2, 60, (2,), 41)
    pipe = make_pipeline(StandardScaler(), FTPropClassifier(time_limit=5, random_state=0, searcher=searcher))
    grid = GridSearchCV(pipe, {"ftpropclassifier__hidden": [(1,), (2,)]}, cv=3)
    grid.fit(data.X, data.y)
    assert grid.best_params_["ftpropclassifier__hidden"] in [(1,), (2,)]
    assert grid.score(data.X, data.y) >= 0.9


def test_conflicting_duplicates_warn_and_still_predict():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    y = np.array([0, 1, 1, 0, 1])
    with pytest.warns(RuntimeWarning, match="best-effort"):
        clf = FTPropClassifier(hidden=(2,), time_limit=10, random_state=0).fit(X, y)
    assert clf.status_ is Status.INFEASIBLE
    assert clf.predict(X).tolist() == [1, 1, 1, 0, 1]  # the majority label of the duplicates


def test_a_single_layer_that_cannot_separate_keeps_a_hinge_fit():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    with pytest.warns(RuntimeWarning):
        clf = FTPropClassifier(hidden=(), time_limit=10).fit(X, [0, 1, 1, 0])
    assert clf.status_ is Status.INFEASIBLE and clf.result_.proof.verify is not None
    assert clf.predict(X).shape == (4,)


def test_one_class_is_refused_with_a_message_naming_classes():
    with pytest.raises(ValueError, match="class"):
        FTPropClassifier().fit(np.zeros((3, 2)), [1, 1, 1])


@pytest.mark.parametrize("conflict", [False, True], ids=["unknown", "infeasible-then-fallback"])
def test_fit_keeps_its_time_limit_on_a_hard_instance_fallback_included(conflict):
    """20,000 random labels: each LP of the search takes half a minute on this size (a fit
    used to take 35-40 s with time_limit=2); with a conflicting duplicate the answer is
    INFEASIBLE and the fallback searches again, in the time left only."""
    from ftprop_exact.benchmarks.generators import random_labels

    X, y = random_labels(10, 20_000, np.random.default_rng(0))
    if conflict:
        X, y = np.vstack([X, X[:1]]), np.append(y, 1 - y[0])
    started = perf_counter()
    with pytest.warns(RuntimeWarning, match="best-effort network") if conflict else nullcontext():
        clf = FTPropClassifier(hidden=(3,), time_limit=2, random_state=0).fit(X, y)
    seconds = perf_counter() - started
    assert seconds < 2 + 2, f"fit took {seconds:.1f} s with time_limit=2"
    assert clf.status_ is (Status.INFEASIBLE if conflict else Status.UNKNOWN)
    assert clf.predict(X[:5]).shape == (5,)
