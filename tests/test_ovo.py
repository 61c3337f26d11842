"""One-vs-one ensembles: the vote on hand-made members, ties, the file format, solve_one_vs_one, the classifier."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ftprop_exact import Status
from ftprop_exact.classifier import FTPropClassifier
from ftprop_exact.ensemble import VotingEnsemble, load_model, model_from_dict
from ftprop_exact.errors import DataError
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.ovo import class_pairs, solve_one_vs_one


def threshold(w: float, b: float, classes: tuple) -> ThresholdNetwork:
    """A one-input, one-unit network: ``classes[1]`` where ``w x + b > 0``."""
    return ThresholdNetwork((Layer([[w]], [b]),), classes=classes)


CLASSES = ("a", "b", "c")
PAIRS = ((0, 1), (0, 2), (1, 2))


def hand_made() -> VotingEnsemble:
    # a|b at x = 0, a|c at x = 5, b|c at x = 10
    return VotingEnsemble(
        (threshold(1.0, 0.0, ("a", "b")), threshold(1.0, -5.0, ("a", "c")), threshold(1.0, -10.0, ("b", "c"))),
        PAIRS,
        CLASSES,
    )


def test_majority_vote_on_a_hand_made_case():
    ens = hand_made()
    X = [[-1.0], [3.0], [7.0], [12.0]]
    votes, _ = ens.votes(X)
    # x=-1: a,a,b -> a; x=3: b,a,b -> b; x=7: b,c,b -> b; x=12: b,c,c -> c
    assert votes.tolist() == [[2, 1, 0], [1, 2, 0], [0, 2, 1], [0, 1, 2]]
    assert ens.predict(X).tolist() == ["a", "b", "b", "c"]
    assert np.array_equal(np.argmax(ens.decision_function(X), axis=1), [0, 1, 1, 2])


def test_ties_are_broken_by_confidence_then_class_order():
    # a cycle: a beats b, b beats c, c beats a -> one vote each
    cyc = VotingEnsemble(
        (threshold(0.0, -2.0, ("a", "b")), threshold(0.0, 1.0, ("a", "c")), threshold(0.0, -3.0, ("b", "c"))),
        PAIRS,
        CLASSES,
    )
    votes, confidence = cyc.votes([[0.0]])
    assert votes.tolist() == [[1, 1, 1]]
    # confidences: a: +2 - 1 = 1, b: -2 + 3 = 1, c: 1 - 3 = -2 -> a and b tie again: the first class wins
    assert confidence.tolist() == [[1.0, 1.0, -2.0]]
    assert cyc.predict([[0.0]]).tolist() == ["a"]
    bigger = VotingEnsemble(
        (threshold(0.0, -2.0, ("a", "b")), threshold(0.0, 1.0, ("a", "c")), threshold(0.0, -4.0, ("b", "c"))),
        PAIRS,
        CLASSES,
    )
    assert bigger.predict([[0.0]]).tolist() == ["b"]  # b's confidence 2 beats a's 1


def test_file_round_trip_and_malformed_ensembles(tmp_path):
    ens = hand_made()
    path = tmp_path / "ens.json"
    ens.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, VotingEnsemble) and loaded == ens
    net = threshold(1.0, 0.0, ("x", "y"))
    net.save(tmp_path / "net.json")
    assert load_model(tmp_path / "net.json") == net
    d = json.loads(path.read_text())
    d["members"][0]["pair"] = [0, 2]
    with pytest.raises(DataError, match="pairs must list every pair"):
        model_from_dict(d)
    d["members"][0]["pair"] = ["a", 1]
    with pytest.raises(DataError, match="two class indices"):
        model_from_dict(d)
    d = ens.to_dict()
    d["members"][1]["network"]["classes"] = ["c", "a"]
    with pytest.raises(DataError, match=r"members\[1\]"):
        model_from_dict(d)
    path.write_text("{")
    with pytest.raises(DataError, match="not valid JSON"):
        load_model(path)


def blobs(k: int, per: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, size=(k, 2))
    X = np.vstack([rng.normal(c, 0.4, size=(per, 2)) for c in centres])
    return X, np.repeat(np.array(["p", "q", "r", "s"][:k]), per)


def test_solve_one_vs_one_fits_every_pair_and_the_data():
    X, y = blobs(4, 12)
    result = solve_one_vs_one(X, y, hidden=(2,), time_limit=60, random_state=0)
    assert result.status is Status.FEASIBLE and result.errors == 0
    assert result.ensemble.pairs == class_pairs(4) and result.ensemble.classes == ("p", "q", "r", "s")
    assert all(r.status is Status.FEASIBLE for r in result.results)
    assert result.ensemble.predict(X).tolist() == y.tolist()
    assert result.to_dict()["network"]["kind"] == "ovo"


def test_classifier_ovo_and_decision_function():
    X, y = blobs(3, 10, seed=1)
    clf = FTPropClassifier(hidden=(2,), multiclass="ovo", objective="max_margin", time_limit=60, random_state=0).fit(X, y)
    assert clf.status_ is Status.FEASIBLE and isinstance(clf.network_, VotingEnsemble)
    assert clf.score(X, y) == 1.0
    scores = clf.decision_function(X)
    assert scores.shape == (30, 3)
    assert np.array_equal(clf.classes_[np.argmax(scores, axis=1)], clf.predict(X))
    with pytest.raises(ValueError, match="multiclass"):
        FTPropClassifier(multiclass="all-pairs").fit(X, y)
