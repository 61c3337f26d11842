"""Row generation (the active set): the working set, the subset proof, verdicts against brute force."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from test_cpsat import random_noisy  # tiny instances, duplicates with both labels too

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.benchmarks.generators import planted_teacher
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.proofs import Claim, SubsetProof, check_proof, load_proof, proof_from_dict, save_proof
from ftprop_exact.proofs.basic import DuplicateConflictProof
from ftprop_exact.proofs.subset import take_rows
from ftprop_exact.solvers import make_searcher
from ftprop_exact.solvers.active_set import AUTO_MIN_ROWS, ActiveSetSearcher, wants_active_set
from ftprop_exact.solvers.baselines.brute import minimum_errors
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.working_set import WorkingSet

XOR = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def xor_among_separable_rows(extra: int = 8, seed: int = 0):
    """XOR (needs two hidden units) hidden among ``extra`` far-away rows of one class."""
    rng = np.random.default_rng(seed)
    X = np.vstack([10.0 + rng.normal(size=(extra, 2)), XOR])
    y = np.r_[np.zeros(extra, dtype=int), [0, 1, 1, 0]]
    return make_dataset(X, y, name="xor-among-rows")


def active(searcher: str = "cpsat", **options) -> ActiveSetSearcher:
    inner = make_searcher(searcher, threads=1) if searcher in ("cpsat", "auto") else make_searcher(searcher)
    return ActiveSetSearcher(inner, **{"initial": 2, "min_grow": 1, **options})


# -- the working set --------------------------------------------------------------------


def test_working_set_grows_at_its_end_and_carries_every_copy():
    X = np.array([[0.0], [1.0], [2.0], [1.0], [3.0], [1.0]])
    data = make_dataset(X, [0, 1, 0, 1, 1, 1])
    problem = Problem.build(data, (1,))
    working = WorkingSet(problem, "features")
    assert working.add(np.array([1, 0])) == 2 and working.add(np.array([0, 3])) == 1
    assert working.chosen == [1, 0, 3]
    assert working.rows().tolist() == [1, 3, 5, 0, 4]  # distinct row 1 (x = 1) stands for three rows
    sub = working.subproblem()
    assert sub.X.ravel().tolist() == [1.0, 0.0, 3.0] and sub.counts.tolist() == [3, 1, 1]
    assert working.n_examples == 5 and not working.covers_all


def test_working_set_seed_is_stratified_and_grow_adds_only_wrong_rows_outside():
    X, y, teacher = planted_teacher(4, 600, (2,), np.random.default_rng(1))
    problem = Problem.build(make_dataset(X, y), (2,))
    working = WorkingSet(problem, "features")
    working.seed(40, np.random.default_rng(0))
    assert working.size == 40 and len(set(working.chosen)) == 40
    assert set(np.unique(problem.Y[working.chosen])) == {-1, 1}
    assert working.grow(teacher, 10) == 0  # the teacher is right everywhere: nothing to add
    before = set(working.chosen)
    flipped = replace(teacher, layers=teacher.layers[:-1] + (replace(teacher.layers[-1], weights=-teacher.layers[-1].weights, bias=-teacher.layers[-1].bias),))
    assert working.grow(flipped, 10) == 10
    new = set(working.chosen) - before
    assert len(new) == 10 and not (new & before)


def test_grow_near_adds_the_neighbours_of_rows_wrong_inside_the_set():
    X = np.array([[0.0], [0.1], [5.0], [5.1], [9.0]])
    data = make_dataset(X, [1, 1, 0, 0, 0])
    problem = Problem.build(data, (1,))
    always_one = ThresholdNetwork((Layer([[0.0]], [1.0]), Layer([[0.0]], [1.0])), classes=(0, 1))
    working = WorkingSet(problem, "features")
    working.add(np.array([2]))  # x = 5.0, class 0: wrong for a network that always says 1
    assert working.grow_near(always_one, 1) == 1 and working.chosen == [2, 3]  # its neighbour x = 5.1
    working.add(np.array([0, 1, 4]))
    assert working.grow_near(always_one, 5) == 0  # no row left outside


def test_auto_uses_the_active_set_only_for_many_rows_and_named_searchers():
    X, y, _ = planted_teacher(3, AUTO_MIN_ROWS + 50, (2,), np.random.default_rng(0))
    big = Problem.build(make_dataset(X, y), (2,))
    small = Problem.build(make_dataset(X[:100], y[:100]), (2,))
    assert wants_active_set("auto", big, True) and not wants_active_set("auto", big, False)
    assert not wants_active_set("auto", small, True) and wants_active_set("active", small, False)
    assert not wants_active_set("all", big, True)
    assert not wants_active_set("active", Problem.build(make_dataset(X, y), ()), True)
    with pytest.raises(ValueError, match="unknown rows mode"):
        solve(XOR, [0, 1, 1, 0], hidden=[2], rows="some")


# -- verdicts ---------------------------------------------------------------------------


def test_infeasible_core_among_rows_gives_a_subset_proof_checked_on_the_full_data(tmp_path):
    data = xor_among_separable_rows()
    result = solve(data, hidden=[1], searcher=active(), time_limit=60)
    assert result.status is Status.INFEASIBLE and result.proof.kind == "subset"
    assert result.stats["working_set"] < data.n_examples and result.stats["active_rounds"] >= 2
    assert len({8, 9, 10, 11} & set(result.proof.rows)) >= 2  # some XOR rows had to join
    assert check_proof(result.proof, data, Claim.of(data, (1,))).ok
    path = tmp_path / "p.json"
    save_proof(path, result.proof, data)
    loaded, _ = load_proof(path)
    assert loaded == result.proof and check_proof(loaded, data, thorough=True).ok


def test_feasible_with_active_set_verifies_on_every_row():
    X, y, _ = planted_teacher(3, 400, (2,), np.random.default_rng(3))
    result = solve(X, y, hidden=[2], searcher="local", rows="active", time_limit=60)
    assert result.status is Status.FEASIBLE
    assert result.network.verify(X, make_dataset(X, y).Y).ok
    assert result.stats["rows"] == "active" and 0 < result.stats["working_set"] <= 400


def test_min_errors_on_a_subset_counts_every_copy():
    # x = 0 occurs three times as class 1 and once as class 0: the optimum gives up the single one
    X = np.array([[0.0]] * 4 + [[1.0], [2.0], [3.0], [4.0]])
    y = np.array([1, 1, 1, 0, 0, 1, 0, 1])
    data = make_dataset(X, y)
    truth = minimum_errors(Problem.build(data, (1,), merge="examples"), LPLearner())
    searcher = ActiveSetSearcher(make_searcher("cpsat", threads=1, objective="min_errors"), initial=2, min_grow=1)
    result = solve(data, hidden=[1], searcher=searcher, objective="min_errors", time_limit=60)
    assert result.status is Status.OPTIMAL and result.errors == truth == result.lower_bound
    assert result.proof.kind == "subset" and check_proof(result.proof, data).ok
    rows = set(result.proof.rows)
    assert rows.isdisjoint({0, 1, 2}) or {0, 1, 2} <= rows  # a distinct row joins with all its copies


@pytest.mark.parametrize("block", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_active_set_never_contradicts_brute_force(block):
    """40 tiny instances per block with working sets forced to start at one row."""
    for seed in range(block * 40, block * 40 + 40):
        X, y, h = random_noisy(seed)
        data = make_dataset(X, y)
        truth = solve(data, hidden=[h], searcher="brute", time_limit=None)
        assert truth.status is not Status.UNKNOWN
        for inner in ("cpsat", "brute"):
            result = solve(data, hidden=[h], searcher=active(inner, initial=1), time_limit=60)
            assert result.status is truth.status, (seed, inner, h)
            if result.status is Status.FEASIBLE:
                assert result.network.verify(X, data.Y).ok
            else:
                assert check_proof(result.proof, data, Claim.of(data, (h,))).ok
        try:
            optimum = minimum_errors(Problem.build(data, (h,), merge="examples"), LPLearner())
        except RuntimeError:  # the oracle met a column the LP leaves undecided: no truth to compare with
            continue
        searcher = ActiveSetSearcher(make_searcher("cpsat", threads=1, objective="min_errors"), initial=1, min_grow=1)
        result = solve(data, hidden=[h], searcher=searcher, objective="min_errors", time_limit=60)
        assert result.errors == optimum, seed
        if optimum:
            assert result.status is Status.OPTIMAL and check_proof(result.proof, data, Claim.of(data, (h,), lower_bound=optimum)).ok


# -- the subset proof: mutations --------------------------------------------------------


def _subset_proof():
    data = xor_among_separable_rows(extra=4)
    proof = solve(data, hidden=[1], searcher=active(), time_limit=60).proof
    assert proof.kind == "subset"
    return data, proof


def test_edited_rows_are_rejected():
    data, proof = _subset_proof()
    question = proof.claim
    rows = list(proof.rows)
    edits = {
        "dropped": rows[1:],
        "added": rows + [next(r for r in range(data.n_examples) if r not in rows)],
        "permuted": rows[::-1],
        "repeated": rows + rows[:1],
        "out of range": rows[:-1] + [data.n_examples],
        "negative": rows[:-1] + [-1],
        "none": [],
    }
    for what, new_rows in edits.items():
        document = proof.to_dict()
        document["rows"] = new_rows
        try:
            edited = proof_from_dict(document)
        except ValueError:
            continue
        assert not check_proof(edited, data, question).ok, what


def test_edited_claims_are_rejected_or_still_true():
    data, proof = _subset_proof()
    question = proof.claim
    two = replace(question, hidden=(2,))
    cases = {
        "outer hidden": replace(proof, claim=two),
        "inner hidden": replace(proof, inner=replace(proof.inner, claim=replace(proof.inner.claim, hidden=(2,)))),
        "both hidden": replace(proof, claim=two, inner=replace(proof.inner, claim=replace(proof.inner.claim, hidden=(2,)))),
        "outer data": replace(proof, claim=replace(question, data_sha256=proof.inner.claim.data_sha256)),
        "inner data": replace(proof, inner=replace(proof.inner, claim=replace(proof.inner.claim, data_sha256=question.data_sha256))),
        "outer activation": replace(proof, claim=replace(question, activation="step")),
        "bound": replace(proof, claim=replace(question, objective="min_errors", lower_bound=1)),
    }
    for what, edited in cases.items():
        assert not check_proof(edited, data, question).ok, what
        alone = check_proof(edited, data)
        if alone.ok:  # whatever is accepted on its own must be true
            assert edited.claim.hidden == (1,) and solve(data, hidden=[1], searcher="brute").status is Status.INFEASIBLE, what
    assert not check_proof(cases["both hidden"], data).ok  # XOR fits with two units


def test_a_subset_proof_may_not_wrap_a_subset_proof():
    data, proof = _subset_proof()
    document = proof.to_dict()
    nested = {**document, "proof": copy.deepcopy(document)}
    with pytest.raises(ValueError, match="another subset proof"):
        proof_from_dict(nested)
    assert "another subset proof" in check_proof(replace(proof, inner=proof), data).reason


def test_take_rows_keeps_the_label_encoding():
    data = make_dataset([[0.0], [1.0], [2.0]], ["a", "b", "c"])
    part = take_rows(data, [0])
    assert part.classes == data.classes and part.Y.tolist() == [[1, -1, -1]]
    conflict = make_dataset([[5.0], [0.0], [0.0]], [0, 0, 1])
    inner = DuplicateConflictProof(Claim.of(take_rows(conflict, [1, 2]), (1,)), (0, 1))
    assert SubsetProof(Claim.of(conflict, (1,)), (1, 2), inner).verify(conflict)
    assert not SubsetProof(Claim.of(conflict, (1,)), (2, 1), inner).verify(conflict)  # other order: other data


# -- command line -----------------------------------------------------------------------


def test_whole_round_answers_first_and_verifies_on_every_row():
    X, y, _ = planted_teacher(6, 3000, (3,), np.random.default_rng(5))
    searcher = ActiveSetSearcher(make_searcher("local"), whole=make_searcher("local"))
    result = solve(X, y, hidden=[3], searcher=searcher, time_limit=60)
    assert result.status is Status.FEASIBLE and result.network.verify(X, make_dataset(X, y).Y).ok
    assert result.stats["active_rounds"] == 0 and result.stats["whole_round"] == "FEASIBLE"
    assert result.stats["working_set"] == result.stats["working_set_examples"] == 3000


def test_whole_round_that_finds_nothing_hands_over_to_the_rounds(tmp_path):
    data = xor_among_separable_rows()
    searcher = ActiveSetSearcher(make_searcher("local", restarts=0, warm_start=0), whole=make_searcher("local", restarts=0, warm_start=0))
    searcher.inner = make_searcher("cpsat", threads=1)
    searcher.initial, searcher.min_grow = 2, 1
    result = solve(data, hidden=[1], searcher=searcher, time_limit=60)
    assert result.status is Status.INFEASIBLE and result.proof.kind == "subset"
    assert check_proof(result.proof, data, Claim.of(data, (1,))).ok


def test_whole_searcher_must_be_its_own_object():
    inner = make_searcher("local")
    with pytest.raises(ValueError, match="separate"):
        ActiveSetSearcher(inner, whole=inner)
    with pytest.raises(ValueError, match="whole_share"):
        ActiveSetSearcher(inner, whole=make_searcher("local"), whole_share=1.0)


def test_cli_rows_option_and_verify_proof_on_the_full_file(tmp_path):
    data = xor_among_separable_rows()
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n" + "\n".join(f"{a!r},{b!r},{c}" for (a, b), c in zip(data.X.tolist(), data.y.tolist())) + "\n")
    proof = tmp_path / "p.json"
    run = [sys.executable, "-m", "ftprop_exact.cli"]
    proc = subprocess.run(
        run + ["check", str(csv), "--hidden", "1", "--solver", "cpsat", "--rows", "active", "--proof", str(proof), "--json"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 20, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["proof"]["kind"] == "subset" and answer["stats"]["rows"] == "active"
    verified = subprocess.run(run + ["verify-proof", str(csv), "--proof", str(proof), "--hidden", "1"], capture_output=True, text=True)
    assert verified.returncode == 0 and "s VERIFIED" in verified.stdout, verified.stdout + verified.stderr
    bad = subprocess.run(run + ["check", str(csv), "--hidden", "1", "--rows", "most"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--rows" in bad.stderr
