"""Proof files: atomic round trip, tied to their data, malformed files rejected with exit-2 errors."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from ftprop_exact import DataError, Status, make_dataset, solve
from ftprop_exact.proofs.check import check_proof
from ftprop_exact.proofs.io import load_proof, proof_from_dict, save_proof


@pytest.fixture(scope="module")
def parity3():
    X = np.array(list(itertools.product([0, 1], repeat=3)), dtype=float)
    return make_dataset(X, X.sum(axis=1).astype(int) % 2, name="parity3")


def test_round_trip_keeps_the_proof_and_checks_the_data(tmp_path, parity3):
    result = solve(parity3, hidden=[2], searcher="cpsat")
    assert result.status is Status.INFEASIBLE
    path = tmp_path / "proof.json"
    save_proof(path, result.proof, parity3)
    proof, document = load_proof(path)
    assert proof == result.proof and document["proof"]["claim"]["hidden"] == [2]
    assert proof.verify(parity3)
    other = make_dataset(parity3.X, 1 - parity3.y, name="flipped")
    check = check_proof(proof, other)
    assert not check.ok and "differs from the data the proof was made for" in check.reason


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "not a readable JSON"),
        (json.dumps({"format": "something"}), "not an ftprop proof"),
        (json.dumps({"format": "ftprop-proof", "version": 99}), "version"),
        (json.dumps({"format": "ftprop-proof", "version": 1, "hidden": [], "proof": {}}), "version 1 files"),
        (json.dumps({"format": "ftprop-proof", "version": 2, "hidden": [3], "proof": {}}), "unexpected field"),
    ],
)
def test_malformed_files_are_rejected(tmp_path, parity3, content, message):
    path = tmp_path / "proof.json"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        load_proof(path)


def test_missing_file_and_unknown_kind(tmp_path, parity3):
    with pytest.raises(DataError, match="not found"):
        load_proof(tmp_path / "nope.json")
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
    save_proof(path, result.proof, parity3)
    proof, _ = load_proof(path)
    assert proof == result.proof and proof.verify(parity3)
