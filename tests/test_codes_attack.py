"""Review attacks on the first-layer-codes proofs and the one-hidden-layer-first step (rev2).

Every answer is checked against the first-layer codes truth (oracles.min_distinguishing_width)
and every proof is re-checked; edited proofs must be rejected unless they still hold.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.proofs.benders import CPSATProof
from ftprop_exact.proofs.cubes import CubeLiteral, CubePart, CubesProof

from oracles import min_distinguishing_width


def parity(n: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
    return X, (X.sum(axis=1) % 2).astype(int)


@pytest.fixture(scope="module")
def parity4_codes_proof():
    X, y = parity(4)
    data = make_dataset(X, y)
    result = solve(data, hidden=[3, 4], searcher="cpsat", time_limit=60)
    assert result.status is Status.INFEASIBLE and result.proof.scope == "first-layer-codes"
    return data, result.proof


@pytest.mark.parametrize(
    "edit, holds",
    [
        (lambda d: d["claim"].__setitem__("hidden", [4, 4]), False),  # width 4 gives the codes
        (lambda d: d["claim"].__setitem__("hidden", [2, 9, 9]), True),  # narrower: still true
        (lambda d: d["claim"].__setitem__("activation", "step"), True),
        (lambda d: d["claim"].__setitem__("activation", "qrelu:3"), False),
        (lambda d: d["claim"].update(objective="min_errors", lower_bound=1), False),
        (lambda d: d.__setitem__("first_layer", "cuts"), False),
        (lambda d: d.__setitem__("scope", "bogus"), False),
        (lambda d: d["claim"].__setitem__("hidden", []), False),
    ],
)
def test_an_edited_codes_proof_holds_only_where_true(parity4_codes_proof, edit, holds):
    data, proof = parity4_codes_proof
    document = copy.deepcopy(proof.to_dict())
    edit(document)
    assert CPSATProof.from_dict(document).verify(data) is holds


def test_a_codes_proof_does_not_transfer_to_other_data(parity4_codes_proof):
    data, proof = parity4_codes_proof
    assert not proof.verify(make_dataset(data.X[:-1], data.Y[:-1, 0]))


def test_a_cube_literal_beyond_the_first_layer_is_refused_in_a_codes_part(parity4_codes_proof):
    data, proof = parity4_codes_proof
    deep = CubesProof(proof.claim, (CubeLiteral(2, 0, 0),), (CubePart((1,), proof), CubePart((-1,), proof)))
    assert not deep.verify(data)
    first = CubesProof(proof.claim, (CubeLiteral(1, 0, 0),), (CubePart((1,), proof), CubePart((-1,), proof)))
    assert first.verify(data)  # a first-layer cube of a codes master is still a valid closure


def test_wide_boolean_data_never_gets_a_codes_proof():
    """45 two-valued columns: the integer first layer does not fit int64 (cuts mode)."""
    B, y = parity(3)
    data = make_dataset(np.hstack([B] * 15), y)
    for searcher in ("cpsat", "auto"):
        result = solve(data, hidden=[2, 2], searcher=searcher, time_limit=20)
        assert result.status is Status.INFEASIBLE and result.proof.scope == "network" and result.proof.verify(data)
        document = result.proof.to_dict()
        document.update(scope="first-layer-codes", first_layer="exact")
        assert not CPSATProof.from_dict(document).verify(data)


@pytest.mark.parametrize("seed", range(8))
def test_answers_agree_with_the_codes_oracle(seed):
    """Random Boolean rows (duplicates, constant and {-3, 0.25} columns), 2-4 classes, widths
    mdw - 1 and mdw, sign/step, auto/cpsat."""
    rng = np.random.default_rng(seed)
    cube = np.array(list(itertools.product([0, 1], repeat=4)), dtype=float)
    m = int(rng.integers(5, 8))
    X = cube[rng.choice(len(cube), m, replace=False)]
    y = rng.integers(0, int(rng.integers(2, 5)), size=m)
    if len(set(y)) < 2:
        y[0] = 1 - y[1] if y[1] < 2 else 0
    if seed % 3 == 0:
        X = np.hstack([X, np.full((m, 1), 7.0)])
    if seed % 2 == 0:
        X[:, 0] = np.where(X[:, 0] > 0, 0.25, -3.0)
    mdw = min_distinguishing_width(X, make_dataset(X, y).Y)
    X, y = np.vstack([X, X[:2]]), np.concatenate([y, y[:2]])
    data = make_dataset(X, y)
    k = data.Y.shape[1]
    for w1 in (mdw - 1, mdw):
        if w1 < 1:
            continue
        hidden = [w1, k + seed % 2] + ([k] if seed % 4 == 1 else [])
        result = solve(data, hidden=hidden, searcher=("auto", "cpsat")[seed % 2], activation=("sign", "step")[seed // 4], time_limit=8)
        if result.status is Status.FEASIBLE:
            assert w1 >= mdw and result.network.verify(data.X, data.Y).ok
            assert [layer.n_outputs for layer in result.network.layers[:-1]] == hidden
        elif result.status is Status.INFEASIBLE:
            assert list(result.proof.claim.hidden) == hidden and result.proof.verify(data)
            if getattr(result.proof, "scope", None) == "first-layer-codes":
                assert w1 < mdw
