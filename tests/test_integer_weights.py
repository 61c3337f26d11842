"""Weight domains (ternary, int:K), the whole-network integer model, its proofs, and min_weight."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

from ftprop_exact import Status, solve
from ftprop_exact.classifier import FTPropClassifier
from ftprop_exact.cli import main
from ftprop_exact.data import make_dataset
from ftprop_exact.errors import DataError
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.proofs.check import check_proof
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.proofs.io import proof_from_dict
from ftprop_exact.rounding import affine_is_exact
from ftprop_exact.solvers.search_base import Capabilities, SearchOutcome
from ftprop_exact.weights import integer_inputs, network_outside_domain, nonzero_weights, parse_weights
from tests.integer_oracle import integer_network_exists

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
XOR_Y = np.array([0, 1, 1, 0])
# real weights separate these two points (threshold 0.375); ternary weights with an integer
# bias cannot (the threshold -b/w is an integer), int:4 can (4x - 1)
HALVES_X = np.array([[0.25], [0.5]])
HALVES_Y = np.array([0, 1])


def random_instance(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int, str, str]:
    n = int(rng.integers(2, 4))
    m = int(rng.integers(4, 7))
    X = rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5], size=(m, n))
    y = rng.integers(0, 2, size=m)
    y[0], y[1] = 0, 1  # both classes
    hidden = int(rng.integers(0, 3))
    weights = "ternary" if hidden == 2 or rng.random() < 0.7 else "int:2"
    activation = "step" if rng.random() < 0.3 else "sign"
    return X, y, hidden, weights, activation


def agrees_with_brute_force(seed: int) -> None:
    X, y, hidden, weights, activation = random_instance(np.random.default_rng(seed))
    K = parse_weights(weights).bound
    expected = integer_network_exists(X, np.where(y > 0, 1, -1), hidden, K, activation)
    result = solve(X, y, hidden=[hidden] if hidden else [], weights=weights, activation=activation, time_limit=60, threads=1)
    assert result.status is (Status.FEASIBLE if expected else Status.INFEASIBLE), (seed, X.tolist(), y.tolist(), hidden, weights, activation)
    if expected:
        assert network_outside_domain(result.network, parse_weights(weights)) is None
        assert result.network.verify(X, np.where(y > 0, 1, -1)).ok
    else:
        assert check_proof(result.proof, make_dataset(X, y), thorough=True).ok


@pytest.mark.parametrize("seed", range(25))
def test_the_integer_engine_agrees_with_brute_force(seed):
    agrees_with_brute_force(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(25, 125))
def test_the_integer_engine_agrees_with_brute_force_on_many_instances(seed):
    agrees_with_brute_force(seed)


def test_real_weights_fit_where_ternary_weights_provably_do_not():
    assert solve(HALVES_X, HALVES_Y, hidden=[], time_limit=30).status is Status.FEASIBLE
    data = make_dataset(HALVES_X, HALVES_Y)
    for hidden in ([], [1], [2]):
        ternary = solve(HALVES_X, HALVES_Y, hidden=hidden, weights="ternary", time_limit=30)
        assert ternary.status is Status.INFEASIBLE and ternary.proof.kind == "cpsat-integer"
        assert ternary.proof.claim.weights == "ternary" and check_proof(ternary.proof, data).ok
    wider = solve(HALVES_X, HALVES_Y, hidden=[], weights="int:4", time_limit=30)
    assert wider.status is Status.FEASIBLE
    assert np.abs(wider.network.layers[0].weights).max() <= 4 and wider.network.layers[0].bias[0] == round(wider.network.layers[0].bias[0])


def test_a_proof_only_proves_the_domain_it_names():
    data = make_dataset(HALVES_X, HALVES_Y)
    proof = solve(HALVES_X, HALVES_Y, hidden=[1], weights="ternary", time_limit=30).proof
    widened = dataclasses.replace(proof, claim=dataclasses.replace(proof.claim, weights="int:4"))
    assert not check_proof(widened, data).ok  # the rebuilt int:4 model is feasible
    as_real = dataclasses.replace(proof, claim=dataclasses.replace(proof.claim, weights="real"))
    check = check_proof(as_real, data)
    assert not check.ok and "integer weight domains" in check.reason
    assert not check_proof(proof, data, expected=dataclasses.replace(proof.claim, weights="real")).ok
    # and a real-weights proof does not prove a ternary claim
    real = solve(XOR_X, XOR_Y, hidden=[1], searcher="cpsat", time_limit=30).proof
    assert check_proof(real, make_dataset(XOR_X, XOR_Y)).ok
    edited = dataclasses.replace(real, claim=dataclasses.replace(real.claim, weights="ternary"))
    check = check_proof(edited, make_dataset(XOR_X, XOR_Y))
    assert not check.ok and "real weights" in check.reason


def test_a_proof_file_round_trips_and_a_malformed_domain_is_refused():
    proof = solve(HALVES_X, HALVES_Y, hidden=[1], weights="ternary", time_limit=30).proof
    document = json.loads(json.dumps(proof.to_dict()))
    assert proof_from_dict(document) == proof
    for bad in ("int:0", "int:-1", "binary", "int:x", 3):
        document["claim"]["weights"] = bad
        with pytest.raises(DataError, match="weight domain"):
            proof_from_dict(document)


def test_min_weight_is_exact_for_integer_domains_and_its_bound_is_rechecked():
    result = solve(XOR_X, XOR_Y, hidden=[2], weights="ternary", objective="min_weight", time_limit=60)
    assert result.status is Status.OPTIMAL and result.errors == 0
    count = result.stats["nonzero_weights"]
    assert count == nonzero_weights(result.network) and result.proof.claim.lower_bound == count
    data = make_dataset(XOR_X, XOR_Y)
    assert check_proof(result.proof, data).ok
    # XOR needs both inputs in both hidden units and both hidden units at the output
    assert count == 6
    stronger = dataclasses.replace(result.proof, claim=dataclasses.replace(result.proof.claim, lower_bound=count + 1))
    assert not check_proof(stronger, data).ok


def test_min_weight_with_real_weights_is_an_l1_refit_that_still_fits():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)  # two relevant features of six
    plain = solve(X, y, hidden=[2], time_limit=30)
    sparse = solve(X, y, hidden=[2], objective="min_weight", time_limit=30)
    assert sparse.status is Status.FEASIBLE and sparse.network.verify(X, np.where(y > 0, 1, -1)).ok
    assert sparse.stats["nonzero_weights"] == nonzero_weights(sparse.network) <= nonzero_weights(plain.network)
    assert np.count_nonzero(sparse.network.layers[0].weights) < 12


@pytest.mark.parametrize("activation", ["sign", "step"])
def test_networks_found_lie_in_the_domain_and_are_verified_on_the_data_as_given(activation):
    X = np.array([[0.5, 0.25], [0.125, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    y = np.array([0, 1, 1, 0, 0])
    for weights in ("ternary", "int:3"):
        result = solve(X, y, hidden=[3], weights=weights, activation=activation, time_limit=30)
        assert result.status is Status.FEASIBLE
        assert network_outside_domain(result.network, parse_weights(weights)) is None
        assert result.network.verify(X, np.where(y > 0, 1, -1)).ok
        assert result.stats["input_scale"] == 8 or result.stats.get("start") == "stacked"


def test_the_stacked_start_fits_a_multiclass_problem_at_once():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 5, size=(30, 4)).astype(float)
    y = np.argmax(X[:, :3] - X[:, 3:4], axis=1)
    single = solve(X, y, hidden=[], weights="ternary", time_limit=30)
    if single.status is Status.FEASIBLE:  # the stacked start exists exactly when the single layer fits
        result = solve(X, y, hidden=[4], weights="ternary", time_limit=30)
        assert result.status is Status.FEASIBLE and result.stats["start"] == "stacked"
        assert network_outside_domain(result.network, parse_weights("ternary")) is None


def test_the_milp_baseline_searches_the_same_domain():
    result = solve(XOR_X, XOR_Y, hidden=[2], searcher="milp", weights="ternary", time_limit=30)
    assert result.status is Status.FEASIBLE
    assert network_outside_domain(result.network, parse_weights("ternary")) is None
    halves = solve(HALVES_X, HALVES_Y, hidden=[1], searcher="milp", weights="ternary", time_limit=30)
    assert halves.status is Status.UNKNOWN and halves.stats.get("claimed_infeasible")  # never a proof


def test_searchers_that_do_not_search_a_domain_are_refused():
    with pytest.raises(ValueError, match="does not search ternary weights; use one of: cpsat-int, milp"):
        solve(XOR_X, XOR_Y, hidden=[2], searcher="local", weights="ternary")
    with pytest.raises(ValueError, match="not real ones"):
        solve(XOR_X, XOR_Y, hidden=[2], searcher="cpsat-int")
    with pytest.raises(ValueError, match="unknown weight domain 'int:0'"):
        solve(XOR_X, XOR_Y, hidden=[2], weights="int:0")


def test_parse_weights_and_the_exact_integer_scale():
    assert parse_weights("ternary").bound == 1 and parse_weights("int:7").bound == 7 and not parse_weights("real").integer
    for bad in ("", "int", "int:", "int:0", "int:01", "Ternary", "int:2.5"):
        with pytest.raises(ValueError, match="unknown weight domain"):
            parse_weights(bad)
    scaled = integer_inputs(np.array([[0.5, -0.25], [3.0, 0.0]]), 2)
    assert scaled.scale == 4 and scaled.values == [[2, -1], [12, 0]] and scaled.l1_max == 12
    with pytest.raises(DataError, match="common factor would be"):
        integer_inputs(np.array([[0.1, 1.0]]), 1)


def test_integer_layers_on_dyadic_inputs_are_computed_exactly():
    assert affine_is_exact(np.array([[0.5, -0.5]]), np.array([[1.0, 1.0]]), np.array([0.0]))
    assert not affine_is_exact(np.array([[0.1, -0.1]]), np.array([[1.0, 1.0]]), np.array([0.0]))
    assert not affine_is_exact(np.array([[2.0**60]]), np.array([[1.0]]), np.array([0.0]))


def test_the_classifier_trains_ternary_networks():
    clf = FTPropClassifier(hidden=(2,), weights="ternary", time_limit=30, random_state=0).fit(XOR_X, XOR_Y)
    assert clf.status_ is Status.FEASIBLE and clf.score(XOR_X, XOR_Y) == 1.0
    assert network_outside_domain(clf.network_, parse_weights("ternary")) is None
    with pytest.warns(RuntimeWarning):  # no ternary network fits: the fallback stays in the domain
        clf = FTPropClassifier(hidden=(1,), weights="ternary", time_limit=30, random_state=0).fit(HALVES_X, HALVES_Y)
    assert clf.status_ is Status.INFEASIBLE and network_outside_domain(clf.network_, parse_weights("ternary")) is None


def test_claims_about_integer_domains_are_well_formed():
    with pytest.raises(DataError, match="min_weight claim needs an integer weight domain"):
        Claim("0" * 64, (1,), objective="min_weight", lower_bound=2)
    with pytest.raises(DataError, match="max_weight caps real weights"):
        Claim("0" * 64, (1,), weights="ternary", max_weight=2)
    assert "ternary weights" in Claim("0" * 64, (1,), weights="ternary").describe()


def test_the_command_line(tmp_path, capsys):
    data = tmp_path / "halves.csv"
    data.write_text("x,y\n0.25,0\n0.5,1\n")
    proof = tmp_path / "proof.json"
    assert main(["check", str(data), "--hidden", "1", "--weights", "ternary", "--proof", str(proof), "--quiet"]) == 20
    assert "s INFEASIBLE" in capsys.readouterr().out
    assert main(["verify-proof", str(data), "--proof", str(proof), "--weights", "ternary"]) == 0
    assert main(["verify-proof", str(data), "--proof", str(proof), "--weights", "real"]) == 3
    capsys.readouterr()
    assert main(["check", str(data), "--hidden", "0", "--weights", "int:4", "--min-weight", "--json"]) == 30
    answer = json.loads(capsys.readouterr().out)
    assert answer["weights"] == "int:4" and answer["stats"]["nonzero_weights"] == 1 and answer["status"] == "OPTIMAL"
    for bad, message in (
        (["--weights", "int:0"], "unknown weight domain 'int:0'"),
        (["--weights", "ternary", "--solver", "local"], "does not search ternary weights"),
        (["--weights", "ternary", "--max-weight", "3"], "--max-weight caps real weights"),
        (["--weights", "ternary", "--min-errors"], "--min-errors is not available"),
        (["--min-errors", "--min-weight"], "two objectives"),
        (["--weights", "ternary", "--dask", "local"], "--dask splits the real-weights"),
        (["--weights", "ternary", "--rows", "active"], "--rows active does not apply"),
    ):
        assert exit_code(["check", str(data), "--hidden", "1", *bad]) == 2
        assert message in capsys.readouterr().err


def exit_code(argv: list[str]) -> int:
    """``main``'s exit code, argparse's usage errors (SystemExit) included."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_the_time_limit_holds_while_minimising_weights():
    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = np.concatenate([np.flatnonzero(digits.target == c)[:6] for c in range(10)])
    started = time.monotonic()
    result = solve(digits.data[rows], digits.target[rows], hidden=[12], weights="ternary", objective="min_weight", time_limit=4)
    assert time.monotonic() - started < 4 + 2.5
    assert result.status in (Status.FEASIBLE, Status.UNKNOWN)
    if result.network is not None:
        assert network_outside_domain(result.network, parse_weights("ternary")) is None


def test_only_the_integer_engine_minimises_weights_exactly():
    from ftprop_exact.solvers.registry import searchers_that

    assert searchers_that(lambda c: "min_weight" in c.objectives) == ("cpsat-int",)
    assert searchers_that(lambda c: "ternary" in c.weights) == ("cpsat-int", "milp")
    result = solve(XOR_X, XOR_Y, hidden=[2], searcher="cpsat", objective="min_weight", time_limit=30)
    assert result.status is Status.FEASIBLE and result.stats["nonzero_weights"] == nonzero_weights(result.network)


def test_solve_never_answers_with_a_network_outside_the_domain():
    class RealWeights:  # declares the domain, but offers a real-weights network
        name = "liar"
        capabilities = Capabilities(weights=("ternary",))

        def search(self, problem, learner, deadline, incumbent, rng):
            network = solve(XOR_X, XOR_Y, hidden=[2], searcher="local", time_limit=30).network
            network = ThresholdNetwork(tuple(Layer(layer.weights * 0.5, layer.bias, layer.activation) for layer in network.layers), network.classes)
            incumbent.offer(network)
            return SearchOutcome(Status.FEASIBLE if incumbent.exact else Status.UNKNOWN)

    result = solve(XOR_X, XOR_Y, hidden=[2], searcher=RealWeights(), weights="ternary", time_limit=30)
    assert result.status is Status.UNKNOWN and result.network is None and "ternary" in result.stats["rejected_network"]
