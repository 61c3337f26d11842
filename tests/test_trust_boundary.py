"""The trust boundary: every checker checks the claim that was asked, not just a proof's inside.

- every field of every proof kind edited: an edit that changes the claim is rejected against
  the original question, and whatever is accepted without a question is true (oracles);
- bogus searcher proofs through solve(); capped proofs never unconditional;
- min-errors without hidden layers and with 3+ classes against brute force (a fuzz);
- Result round-trips through pickle and deepcopy for every status.
"""

from __future__ import annotations

import copy
import itertools
import json
import pickle
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from oracles import single_layer_min_errors

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.problem import Problem
from ftprop_exact.proofs import (
    Certificate,
    Claim,
    CPSATProof,
    DuplicateConflictProof,
    ExhaustiveProof,
    SingleLayerProof,
    check_proof,
    proof_from_dict,
)
from ftprop_exact.proofs.benders import ProofCut
from ftprop_exact.result import Result
from ftprop_exact.solvers.baselines.brute import BruteForceSearcher, minimum_errors
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.search_base import SearchOutcome

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


def parity3():
    X = np.array(list(itertools.product([0, 1], repeat=3)), dtype=float)
    return make_dataset(X, X.sum(axis=1).astype(int) % 2, name="parity3")


def _master_alone(data, hidden):
    """The CP-SAT searcher without the bounding pass in front (its master adds differ pairs)."""
    from ftprop_exact.budget import Deadline
    from ftprop_exact.solvers.exact.cpsat import CPSATSearcher
    from ftprop_exact.solvers.search_base import Incumbent

    problem = Problem.build(data, hidden)
    outcome = CPSATSearcher(threads=1).search(problem, LPLearner(), Deadline(30), Incumbent(problem), np.random.default_rng(0))
    assert outcome.proof is not None and outcome.proof.differ_pairs
    return outcome


def _proofs():
    """(name, data, proof) for every proof kind, made by the real searchers."""
    xor = make_dataset(XOR_X, XOR_Y, name="xor")
    conflict = make_dataset([[0.0, 1.0], [1.0, 1.0], [0.0, 1.0]], [0, 1, 1], name="conflict")
    noisy = make_dataset([[0.0], [1.0], [2.0], [3.0], [4.0]], [0, 1, 0, 1, 1], name="noisy")
    p3 = parity3()
    xor_among = make_dataset(np.vstack([[[5.0, 6.0], [6.0, 5.0], [7.0, 7.0]], XOR_X]), [0, 0, 0, *XOR_Y], name="xor-among")
    line = make_dataset([[0.0, 1.0], [2.0, 2.0], [4.0, 3.0], [6.0, 4.0], [8.0, 5.0]], [0, 1, 0, 1, 0], name="line")
    cases = [
        ("duplicate-conflict", conflict, solve(conflict, hidden=[2]).proof),
        ("single-layer", xor, solve(xor, hidden=[]).proof),
        ("hitting-set", noisy, solve(noisy, hidden=[], objective="min_errors").proof),
        ("cpsat-benders", p3, solve(p3, hidden=[2], searcher="cpsat").proof),
        ("cpsat-min-errors", noisy, solve(noisy, hidden=[1], searcher="cpsat", objective="min_errors").proof),
        ("exhaustive", xor, solve(xor, hidden=[1], searcher="brute").proof),
        ("subset", xor_among, solve(xor_among, hidden=[1], searcher=_active_cpsat(), time_limit=60).proof),
        ("must-differ", line, solve(line, hidden=[3]).proof),
        ("cpsat-differ-pairs", line, _master_alone(line, (3,)).proof),
    ]
    for name, data, proof in cases:
        assert proof is not None and check_proof(proof, data).ok, name
    return cases


def _active_cpsat():
    """Row generation around CP-SAT, from one row (the subset proof kind)."""
    from ftprop_exact.solvers.active_set import ActiveSetSearcher
    from ftprop_exact.solvers.exact.cpsat import CPSATSearcher

    return ActiveSetSearcher(CPSATSearcher(threads=1), initial=1, min_grow=1)


CASES = _proofs()


def _edits(value, path=()):
    """Every single-field edit of a JSON document: (path, new value)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _edits(item, path + (key,))
        return
    if isinstance(value, list):
        yield path, value[1:]
        yield path, value + (value[-1:] if value else [1])
        for k, item in enumerate(value):
            yield from _edits(item, path + (k,))
        return
    if isinstance(value, bool) or value is None:
        yield from ((path, v) for v in (1, 3, "x") if v != value)
        return
    if isinstance(value, int):
        yield from ((path, v) for v in (value - 1, value + 1, -value, None) if v != value)
        return
    if isinstance(value, float):
        yield path, value * 2
        return
    if isinstance(value, str):
        alternatives = {"sign": "step", "step": "sign", "feasibility": "min_errors", "min_errors": "feasibility"}
        yield path, alternatives.get(value, "1/3" if "/" in value else value[::-1])
        if "/" in value:
            numerator, denominator = value.split("/")
            yield path, f"{int(numerator) + 1}/{denominator}"


def _apply(document, path, value):
    edited = copy.deepcopy(document)
    target = edited
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return edited


def _claim_is_true(claim: Claim, data) -> bool | None:
    """The truth of a claim by brute force (None: no oracle for this claim)."""
    if claim.bounded:
        return None
    if not claim.hidden:
        fewest = single_layer_min_errors(data.X, data.Y)
        return fewest >= claim.minimum_errors
    if len(claim.hidden) != 1 or claim.hidden[0] > 4:
        return None
    problem = Problem.build(data, claim.hidden, merge="examples")
    if data.n_outputs == 1:
        return minimum_errors(problem, LPLearner()) >= claim.minimum_errors
    return None


@pytest.mark.parametrize("name, data, proof", CASES, ids=[c[0] for c in CASES])
def test_every_edit_that_changes_the_claim_is_rejected_and_every_accepted_claim_is_true(name, data, proof):
    document = proof.to_dict()
    question = proof.claim
    edits = list(_edits(document))
    assert len(edits) > 10
    for path, value in edits:
        try:
            edited = proof_from_dict(_apply(document, path, value))
        except ValueError:  # DataError: malformed, refused on reading
            continue
        against_question = check_proof(edited, data, question, time_limit=30)
        if edited.claim != question:
            assert not against_question.ok, (name, path, value)
        alone = check_proof(edited, data, time_limit=30)
        if alone.ok:
            truth = _claim_is_true(edited.claim, data)
            assert truth is not False, (name, path, value, edited.claim.describe())


def test_envelope_fields_cannot_disagree_with_the_claim(tmp_path):
    data = make_dataset(XOR_X, XOR_Y, name="xor")
    csv = tmp_path / "xor.csv"
    csv.write_text("a,b,y\n" + "\n".join(f"{int(a)},{int(b)},{c}" for (a, b), c in zip(XOR_X, XOR_Y)) + "\n")
    path = tmp_path / "p.json"
    run = [sys.executable, "-m", "ftprop_exact.cli"]
    assert subprocess.run(run + ["check", str(csv), "--hidden", "0", "--proof", str(path)], capture_output=True).returncode == 20
    document = json.loads(path.read_text())
    document["hidden"] = [3]  # the old attack: an outer field naming another architecture
    path.write_text(json.dumps(document))
    proc = subprocess.run(run + ["verify-proof", str(csv), "--proof", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "unexpected field" in proc.stderr
    del document["hidden"]
    document["proof"]["claim"]["hidden"] = [3]
    path.write_text(json.dumps(document))
    proc = subprocess.run(run + ["verify-proof", str(csv), "--proof", str(path)], capture_output=True, text=True)
    assert proc.returncode == 3 and "s REJECTED" in proc.stdout
    assert solve(data, hidden=[3]).status is Status.FEASIBLE


class _Returns:
    """A searcher that answers with a fixed outcome (built from the problem)."""

    name = "fixed"

    def __init__(self, make):
        self.make = make

    def search(self, problem, learner, deadline, incumbent, rng):
        return self.make(problem)


def _true_width1_proof(problem):
    return solve(problem.data, hidden=[1], searcher="cpsat").proof


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda p: SearchOutcome(Status.INFEASIBLE, DuplicateConflictProof(p.claim(), (0, 1))), "features"),
        (lambda p: SearchOutcome(Status.INFEASIBLE, None), "no proof"),
        (lambda p: SearchOutcome(Status.INFEASIBLE, _true_width1_proof(p)), "not the question"),
        (
            lambda p: SearchOutcome(Status.INFEASIBLE, SingleLayerProof(replace(p.claim(), hidden=()), 0, _xor_certificate())),
            "not the question",
        ),
        (
            lambda p: SearchOutcome(Status.INFEASIBLE, replace(_true_width1_proof(p), claim=p.claim(max_weight=1))),
            "not the question",
        ),
        (lambda p: SearchOutcome(Status.INFEASIBLE, ExhaustiveProof(p.claim(), ())), ""),
    ],
)
def test_bogus_searcher_proofs_never_become_infeasible(make, why):
    result = solve(XOR_X, XOR_Y, hidden=[2], searcher=_Returns(make), time_limit=5)
    assert result.status is Status.UNKNOWN and result.stats["rejected_claim"] == "INFEASIBLE"
    assert why in result.stats.get("proof_rejected", "")


def _xor_certificate():
    return solve(XOR_X, XOR_Y, hidden=[]).proof.certificate


def test_an_optimum_needs_a_proof_of_exactly_the_incumbents_errors():
    noisy = make_dataset([[0.0], [1.0], [2.0], [3.0], [4.0]], [0, 1, 0, 1, 1])
    honest = solve(noisy, hidden=[], objective="min_errors")
    assert honest.status is Status.OPTIMAL and honest.errors == honest.lower_bound == 1
    weaker = solve(noisy, hidden=[], objective="min_errors", searcher="cpsat")  # same answer, single layer path
    assert weaker.status is Status.OPTIMAL


def test_the_exhaustive_check_shares_nothing_with_the_search():
    xor = make_dataset(XOR_X, XOR_Y)
    forged = ExhaustiveProof(Claim.of(xor, (2,)), ())  # XOR fits with two units
    check = check_proof(forged, xor)
    assert not check.ok and "admit a network" in check.reason
    real = solve(xor, hidden=[1], searcher="brute").proof
    first = real.cuts[0]
    broken = ProofCut(first.rows, tuple(-s for s in first.signs[:1]) + first.signs[1:], first.multipliers)
    assert not check_proof(replace(real, cuts=(broken,) + real.cuts[1:]), xor).ok


def test_brute_force_answers_unknown_when_a_fitting_combination_yields_no_network(monkeypatch):
    import ftprop_exact.solvers.baselines.brute as brute

    monkeypatch.setattr(brute, "try_targets", lambda problem, targets, learner, incumbent: None)
    result = solve(XOR_X, XOR_Y, hidden=[2], searcher=BruteForceSearcher())
    assert result.status is Status.UNKNOWN and result.stats["unverified_combinations"] > 0


def test_capped_proofs_are_bounded_everywhere(tmp_path):
    data = parity3()
    result = solve(data, hidden=[2], searcher="cpsat", max_weight=1, time_limit=30)
    assert result.status is Status.UNKNOWN and result.proof.claim.bounded
    assert not check_proof(result.proof, data, Claim.of(data, (2,))).ok  # not the unbounded question
    csv = tmp_path / "p3.csv"
    csv.write_text("a,b,c,y\n" + "\n".join(",".join(str(int(v)) for v in row) + f",{c}" for row, c in zip(data.X, data.y)) + "\n")
    path = tmp_path / "p.json"
    run = [sys.executable, "-m", "ftprop_exact.cli"]
    made = subprocess.run(run + ["check", str(csv), "--hidden", "2", "--solver", "cpsat", "--max-weight", "1", "--proof", str(path)], capture_output=True, text=True)
    assert made.returncode == 0 and "s UNKNOWN" in made.stdout
    proc = subprocess.run(run + ["verify-proof", str(csv), "--proof", str(path)], capture_output=True, text=True)
    assert proc.returncode == 4 and "s VERIFIED-BOUNDED: " in proc.stdout and "|w| <= 1" in proc.stdout
    proc = subprocess.run(run + ["verify-proof", str(csv), "--proof", str(path), "--unbounded"], capture_output=True, text=True)
    assert proc.returncode == 3 and "s REJECTED" in proc.stdout


def test_xor_min_errors_without_hidden_layers_is_an_optimum_on_the_command_line(tmp_path):
    csv = tmp_path / "xor.csv"
    csv.write_text("a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    path = tmp_path / "p.json"
    run = [sys.executable, "-m", "ftprop_exact.cli"]
    proc = subprocess.run(run + ["check", str(csv), "--hidden", "0", "--min-errors", "--proof", str(path)], capture_output=True, text=True)
    assert proc.returncode == 30 and "s OPTIMUM FOUND" in proc.stdout and "o 1" in proc.stdout
    proc = subprocess.run(run + ["verify-proof", str(csv), "--proof", str(path), "--hidden", "0", "--min-errors", "--lower-bound", "1"], capture_output=True, text=True)
    assert proc.returncode == 0 and "s VERIFIED: every network with hidden []" in proc.stdout
    proc = subprocess.run(run + ["verify-proof", str(csv), "--proof", str(path), "--lower-bound", "2"], capture_output=True, text=True)
    assert proc.returncode == 3 and "s REJECTED" in proc.stdout


@pytest.mark.parametrize("block", range(6))
def test_single_layer_min_errors_against_brute_force(block):
    """A fuzz: 60 tiny instances per block (2-4 classes, duplicates included), proofs re-checked."""
    rng = np.random.default_rng(1000 + block)
    for trial in range(60):
        m = int(rng.integers(3, 8))
        X = rng.integers(0, 3, size=(m, 2)).astype(float)
        y = rng.integers(0, int(rng.integers(2, 5)), size=m)
        if len(np.unique(y)) < 2:
            continue
        data = make_dataset(X, y)
        result = solve(data, hidden=[], objective="min_errors", time_limit=30)
        optimum = single_layer_min_errors(data.X, data.Y)
        assert result.errors == optimum, (block, trial)
        if optimum == 0:
            assert result.status is Status.FEASIBLE
        else:
            assert result.status is Status.OPTIMAL and result.lower_bound == optimum
            assert check_proof(result.proof, data, Claim.of(data, (), lower_bound=optimum)).ok
            stronger = replace(result.proof, claim=replace(result.proof.claim, lower_bound=optimum + 1))
            assert not check_proof(stronger, data).ok


@pytest.mark.parametrize("seed", range(8))
def test_three_class_min_errors_reach_the_optimum(seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(30, 5)).astype(float)
    y = rng.integers(0, 3, size=30)
    data = make_dataset(X, y)
    result = solve(data, hidden=[2], objective="min_errors", time_limit=20)
    assert result.status is Status.OPTIMAL and result.errors == result.lower_bound
    assert result.network.verify(data.X, data.Y).errors_upper == result.errors
    assert check_proof(result.proof, data, Claim.of(data, (2,), lower_bound=result.errors), time_limit=60).ok


@pytest.mark.parametrize("seed", range(4))
def test_binary_min_errors_fuzz_against_brute_force(seed):
    rng = np.random.default_rng(50 + seed)
    for _ in range(10):
        X = rng.integers(0, 3, size=(7, 2)).astype(float)
        y = rng.integers(0, 2, size=7)
        if len(np.unique(y)) < 2:
            continue
        data = make_dataset(X, y)
        problem = Problem.build(data, [1], merge="examples")
        optimum = minimum_errors(problem, LPLearner())
        result = solve(data, hidden=[1], objective="min_errors", searcher="cpsat", time_limit=30)
        assert result.errors == optimum
        assert result.status is (Status.FEASIBLE if optimum == 0 else Status.OPTIMAL)


def _results():
    xor = make_dataset(XOR_X, XOR_Y)
    noisy = make_dataset([[0.0], [1.0], [2.0], [3.0], [4.0]], [0, 1, 0, 1, 1])
    return [
        solve(xor, hidden=[2]),
        solve(xor, hidden=[1]),
        solve(noisy, hidden=[], objective="min_errors"),
        Result(Status.UNKNOWN, None, None, None, (2,), "x", {"lower_bound": 3}, 3),
        solve(parity3(), hidden=[2], searcher="cpsat", max_weight=1),
    ]


@pytest.mark.parametrize("result", _results(), ids=lambda r: r.status.value)
def test_results_pickle_and_deepcopy_with_every_field(result):
    for clone in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
        assert clone.to_dict() == result.to_dict()
        assert clone.lower_bound == result.lower_bound and clone.proof == result.proof


# That the checker imports no searcher, API or command is the "trust-boundary" import
# contract (.importlinter), checked by tests/test_architecture.py.


def test_a_hitting_set_bound_counts_copies_of_an_example_once():
    data = make_dataset([[0.0], [0.0], [1.0], [1.0], [2.0], [2.0]], [1, 1, 0, 0, 1, 1])
    honest = solve(data, hidden=[], objective="min_errors")
    assert honest.status is Status.OPTIMAL and honest.errors == 2
    (first,) = honest.proof.sets
    shifted = replace(first, certificate=Certificate(tuple(r + 1 for r in first.certificate.rows), first.certificate.multipliers))
    forged = replace(honest.proof, claim=replace(honest.proof.claim, lower_bound=4), sets=(first, shifted))
    assert check_proof(replace(honest.proof, sets=(shifted,)), data).ok  # the copies' certificate is true
    assert not check_proof(forged, data).ok  # but the two name the same examples


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["proof"].update(kind=["x"]), "unknown proof kind"),
        (lambda d: d["proof"]["sets"][0]["certificate"].update(multipliers_exact=["1e99999999"] * 3), "string 'p/q' of digits"),
        (lambda d: d["proof"]["sets"][0]["certificate"].update(extra=1), "certificate has the fields"),
        (lambda d: d["proof"]["sets"][0]["certificate"].update(multipliers=[0.5, 0.25, 0.25]), "disagree"),
        (lambda d: d.update(version=2.0), "version"),
        (lambda d: d.update(data=[1]), "the data's name"),
        (lambda d: d["proof"]["claim"].update(data_sha256="Z" * 64), "hex"),
    ],
)
def test_malformed_proof_files_are_refused_with_a_clear_message(tmp_path, edit, message):
    from ftprop_exact.errors import DataError
    from ftprop_exact.proofs import load_proof, save_proof

    data = make_dataset([[0.0], [1.0], [2.0], [3.0], [4.0]], [0, 1, 0, 1, 1])
    path = tmp_path / "p.json"
    save_proof(path, solve(data, hidden=[], objective="min_errors").proof, data)
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    with pytest.raises(DataError, match=message):
        load_proof(path)


def test_deeply_nested_json_and_impossible_claims_are_refused_cleanly(tmp_path):
    from ftprop_exact.errors import DataError
    from ftprop_exact.proofs import load_proof

    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match="not a readable JSON"):
        load_proof(path)
    data = make_dataset(XOR_X, XOR_Y)
    proof = solve(data, hidden=[1], searcher="cpsat", objective="min_errors").proof
    huge = replace(proof, claim=replace(proof.claim, lower_bound=10**23))
    assert "impossible" in check_proof(huge, data).reason
    wide = replace(proof, claim=replace(proof.claim, hidden=(40, 1)))
    assert "64-bit" in check_proof(wide, data).reason
    many = replace(proof, claim=replace(proof.claim, hidden=(10**6,)))
    assert "target literals" in check_proof(many, data).reason


def test_differ_pairs_are_checked_without_a_solver():
    """A differ pair of two rows with the same label is not implied: even the quick check
    (``thorough=False``, what ``solve`` runs) refuses it."""
    import dataclasses

    from ftprop_exact.data import make_dataset
    from ftprop_exact.proofs.benders import CPSATProof
    from ftprop_exact.proofs.check import check_proof

    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    data = make_dataset(X, [0, 1, 1, 0])
    proof = solve(data, hidden=[1], searcher="cpsat", time_limit=60).proof
    assert isinstance(proof, CPSATProof)
    forged = dataclasses.replace(proof, differ_pairs=((0, 3),))  # both label 0
    quick = check_proof(forged, data, proof.claim, thorough=False)
    assert not quick.ok and "same label" in quick.reason, quick.reason
    assert not check_proof(forged, data, proof.claim, thorough=True).ok
    honest = dataclasses.replace(proof, differ_pairs=((0, 1),))
    assert check_proof(honest, data, proof.claim, thorough=False).ok


def test_a_huge_subset_row_is_rejected_not_a_crash():
    from ftprop_exact.data import make_dataset
    from ftprop_exact.proofs.check import check_proof
    from ftprop_exact.proofs.subset import SubsetProof

    data = make_dataset([[0.0], [1.0], [2.0]], [0, 1, 0])
    inner = solve(data, hidden=(), time_limit=30).proof
    forged = SubsetProof(inner.claim, (0, 1, 2**70), inner)
    check = check_proof(forged, data, inner.claim, thorough=False)
    assert not check.ok and "rows must lie" in check.reason
