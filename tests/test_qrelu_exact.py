"""The exact engine over qrelu:K level targets: brute-force agreement, level-benders proofs, refusals."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import numpy as np
import pytest

from oracles import qrelu_feasible_by_enumeration
from ftprop_exact import solve
from ftprop_exact.cli import main
from ftprop_exact.data import make_dataset
from ftprop_exact.errors import DataError
from ftprop_exact.proofs.check import check_proof
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.proofs.io import proof_from_dict
from ftprop_exact.proofs.level_benders import LevelBendersProof
from ftprop_exact.status import Status

XOR = (np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1, 0]))


def _tiny(seed: int, max_rows: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Distinct small-integer rows (1-2 features, values -3..3), random non-constant labels, width 1-2, K 2-4."""
    rng = np.random.default_rng([15, seed])
    while True:  # the oracle enumerates K^m columns and, at width 2, their pairs: keep them small
        n, m = int(rng.integers(1, 3)), int(rng.integers(3, max_rows + 1))
        K, width = int(rng.integers(2, 5)), int(rng.integers(1, 3))
        if K**m * (8 if width == 2 else 1) <= 4096:
            break
    while True:
        X = rng.integers(-3, 4, size=(m, n)).astype(np.float64)
        if len(np.unique(X, axis=0)) == m:
            break
    y = rng.integers(0, 2, size=m)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    return X, y, width, K


def _agrees_with_brute_force(seed: int, max_rows: int) -> None:
    X, y, width, K = _tiny(seed, max_rows)
    result = solve(X, y, hidden=[width], activation=f"qrelu:{K}", searcher="cpsat", time_limit=120, random_state=seed)
    expected = qrelu_feasible_by_enumeration(X, y, width, K)
    assert result.status is (Status.FEASIBLE if expected else Status.INFEASIBLE), (X.tolist(), y.tolist(), width, K)
    data = make_dataset(X, y)
    if expected:
        assert result.network.verify(data.X, data.Y).ok
    else:
        check = check_proof(result.proof, data, Claim.of(data, (width,), f"qrelu:{K}"), thorough=True)
        assert check.ok and check.thorough, check.reason


@pytest.mark.parametrize("seed", range(40))
def test_level_engine_agrees_with_brute_force(seed: int) -> None:
    _agrees_with_brute_force(seed, max_rows=4)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(40, 240))
def test_level_engine_agrees_with_brute_force_more(seed: int) -> None:
    _agrees_with_brute_force(seed, max_rows=6)


def test_brute_force_oracle_knows_simple_facts() -> None:
    X, y = XOR
    assert not qrelu_feasible_by_enumeration(X, y, 1, 4)  # one unit: the output is a threshold of x . w
    assert qrelu_feasible_by_enumeration(X, y, 2, 2)
    line = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert qrelu_feasible_by_enumeration(line, np.array([0, 1, 0, 1]), 1, 4) is False  # h monotone in x
    assert qrelu_feasible_by_enumeration(line, np.array([0, 1, 1, 0]), 2, 2)


def _xor_proof(hidden: tuple[int, ...], K: int) -> tuple[LevelBendersProof, object]:
    X, y = XOR
    result = solve(X, y, hidden=list(hidden), activation=f"qrelu:{K}", searcher="cpsat", time_limit=60)
    assert result.status is Status.INFEASIBLE and isinstance(result.proof, LevelBendersProof)
    return result.proof, make_dataset(X, y)


def test_deeper_proofs_name_the_levels_below_and_verify() -> None:
    proof, data = _xor_proof((1, 1), 3)
    assert any(c.inputs is not None for c in proof.cuts)  # cuts past the first layer name their input levels
    again = proof_from_dict(json.loads(json.dumps(proof.to_dict())))
    assert again == proof
    assert check_proof(again, data, Claim.of(data, (1, 1), "qrelu:3")).ok


def test_tampered_level_proofs_are_rejected() -> None:
    proof, data = _xor_proof((1,), 4)
    assert check_proof(proof, data).ok
    first = proof.cuts[0]
    doubled = dataclasses.replace(first, multipliers=tuple(x * 2 for x in first.multipliers))
    assert not check_proof(dataclasses.replace(proof, cuts=(doubled, *proof.cuts[1:])), data).ok
    # without its cuts the rebuilt master is satisfiable
    check = check_proof(dataclasses.replace(proof, cuts=proof.cuts[:1]), data)
    assert not check.ok and "not infeasible" in check.reason
    # a claim about sign units is not what a level proof shows
    sign = dataclasses.replace(proof, claim=dataclasses.replace(proof.claim, activation="sign"))
    assert not check_proof(sign, data).ok
    # one level more: cuts may still verify, but the rebuilt master must be infeasible for it
    more = dataclasses.replace(proof, claim=dataclasses.replace(proof.claim, activation="qrelu:5"))
    X, y = XOR
    if qrelu_feasible_by_enumeration(X, y, 1, 5):
        assert not check_proof(more, data).ok
    k, hidden_cut = next((k, c) for k, c in enumerate(proof.cuts) if c.levels is not None)
    moved = dataclasses.replace(hidden_cut, levels=tuple((v + 1) % 4 for v in hidden_cut.levels))
    assert not check_proof(dataclasses.replace(proof, cuts=(*proof.cuts[:k], moved, *proof.cuts[k + 1 :])), data).ok


def test_cli_check_writes_a_level_proof_that_verify_proof_accepts(tmp_path, capsys) -> None:
    X, y = XOR
    path = tmp_path / "xor.csv"
    path.write_text("a,b,label\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, y)))
    proof = tmp_path / "xor.proof.json"
    code = main(["check", str(path), "--hidden", "1", "--activation", "qrelu:3", "--solver", "cpsat", "--proof", str(proof), "--quiet"])
    assert code == 20 and json.loads(proof.read_text())["proof"]["kind"] == "level-benders"
    assert main(["verify-proof", str(path), "--proof", str(proof), "--quiet"]) == 0
    assert main(["verify-proof", str(path), "--proof", str(proof), "--activation", "qrelu:4", "--quiet"]) != 0
    capsys.readouterr()


def test_exact_level_engine_refuses_what_it_cannot_answer() -> None:
    X, y = XOR
    with pytest.raises(DataError, match="--min-errors is not supported for qrelu:4"):
        solve(X, y, hidden=[1], activation="qrelu:4", searcher="cpsat", objective="min_errors", time_limit=5)
    with pytest.raises(DataError, match="--max-weight does not apply"):
        solve(X, y, hidden=[1], activation="qrelu:4", searcher="cpsat", max_weight=3, time_limit=5)


def test_auto_proves_and_finds_qrelu_networks() -> None:
    X, y = XOR
    assert solve(X, y, hidden=[1], activation="qrelu:3", time_limit=60).status is Status.INFEASIBLE
    assert solve(X, y, hidden=[2], activation="qrelu:3", time_limit=60).status is Status.FEASIBLE
