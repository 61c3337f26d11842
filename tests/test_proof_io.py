"""Proof files: atomic round trip, tied to their data, malformed files rejected with exit-2 errors."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from ftprop_exact import DataError, Status, make_dataset, solve
from ftprop_exact.proof_io import load_proof, proof_from_dict, save_proof


@pytest.fixture(scope="module")
def parity3():
    X = np.array(list(itertools.product([0, 1], repeat=3)), dtype=float)
    return make_dataset(X, X.sum(axis=1).astype(int) % 2, name="parity3")


def test_round_trip_keeps_the_proof_and_checks_the_data(tmp_path, parity3):
    result = solve(parity3, hidden=[2], searcher="cpsat")
    assert result.status is Status.INFEASIBLE
    path = tmp_path / "proof.json"
    save_proof(path, result.proof, parity3, result.hidden)
    proof, document = load_proof(path, parity3)
    assert proof == result.proof and document["hidden"] == [2]
    assert proof.verify(parity3)
    other = make_dataset(parity3.X, 1 - parity3.y, name="flipped")
    with pytest.raises(DataError, match="other data"):
        load_proof(path, other)


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "not a readable JSON"),
        (json.dumps({"format": "something"}), "not an ftprop proof"),
        (json.dumps({"format": "ftprop-proof", "version": 99}), "version"),
    ],
)
def test_malformed_files_are_rejected(tmp_path, parity3, content, message):
    path = tmp_path / "proof.json"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        load_proof(path, parity3)


def test_missing_file_and_unknown_kind(tmp_path, parity3):
    with pytest.raises(DataError, match="not found"):
        load_proof(tmp_path / "nope.json", parity3)
    with pytest.raises(DataError, match="unknown proof kind"):
        proof_from_dict({"kind": "trust-me"})


@pytest.mark.parametrize(
    "searcher, hidden, kind",
    [("cpsat", [], "single-layer"), ("brute", [1], "exhaustive"), ("cpsat", [1], "cpsat-benders")],
)
def test_every_proof_kind_round_trips_and_verifies(tmp_path, parity3, searcher, hidden, kind):
    result = solve(parity3, hidden=hidden, searcher=searcher)
    assert result.status is Status.INFEASIBLE and result.proof.kind == kind
    path = tmp_path / "proof.json"
    save_proof(path, result.proof, parity3, result.hidden)
    proof, _ = load_proof(path, parity3)
    assert proof.verify(parity3)
