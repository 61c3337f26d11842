"""Benchmarks: suites and their truth, gradient baselines, runner, answer checks, report, Dask."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import time

import numpy as np
import pytest

from ftprop_exact import solve
from ftprop_exact.benchmarks import generators as gen
from ftprop_exact.benchmarks import suites
from ftprop_exact.benchmarks.child import Job
from ftprop_exact.benchmarks.plots import performance_ratios
from ftprop_exact.benchmarks.report import VBS, summarize, write_report
from ftprop_exact.benchmarks.results import append_record, read_records, results_path
from ftprop_exact.benchmarks.runner import run_benchmark, run_job
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.proofs import Claim, DuplicateConflictProof
from ftprop_exact.solvers import registry
from ftprop_exact.solvers.baselines.gradient import GradientSearcher, forward_pass, ftprop_mb_gradients
from ftprop_exact.solvers.search.losses import make_loss
from ftprop_exact.solvers.search_base import SearchOutcome
from ftprop_exact.status import Status

# ----------------------------------------------------------------------------- fake searchers


class LiarSearcher:
    """Claims INFEASIBLE with a bogus proof (rows 0 and 1 are not duplicates)."""

    name = "liar"

    def search(self, problem, learner, deadline, incumbent, rng):
        return SearchOutcome(Status.INFEASIBLE, proof=DuplicateConflictProof(problem.claim(), (0, 1)))


class SleeperSearcher:
    """Ignores the deadline (the runner must kill it)."""

    name = "sleeper"

    def search(self, problem, learner, deadline, incumbent, rng):
        time.sleep(60)
        return SearchOutcome(Status.UNKNOWN)


class HogSearcher:
    """Allocates more memory than the cap allows."""

    name = "hog"

    def search(self, problem, learner, deadline, incumbent, rng):
        block = np.ones(400_000_000)  # 3.2 GB
        return SearchOutcome(Status.UNKNOWN, stats={"sum": float(block[0])})


@pytest.fixture
def fake_solvers(monkeypatch):
    for name, cls in (("liar", LiarSearcher), ("sleeper", SleeperSearcher), ("hog", HogSearcher)):
        monkeypatch.setitem(registry._SEARCHERS, name, f"{__name__}:{cls.__name__}")


def _tiny(limit: float = 3.0) -> list[suites.Instance]:
    """parity2 (XOR) at widths 1 (INFEASIBLE) and 2 (FEASIBLE)."""
    return suites.parity_instances((2,), ("pm1",), time_limit=limit)


# ----------------------------------------------------------------------------- suites


def test_parity_instances_have_the_known_truth():
    instances = suites.parity_instances((2, 3, 6), gen.ENCODINGS, time_limit=1.0)
    truth = {i.id: i.truth for i in instances}
    assert truth["parity3-01-h2"] is Status.INFEASIBLE and truth["parity3-pm1-h3"] is Status.FEASIBLE
    assert truth["parity6-pm1-h5"] is None and truth["parity6-01-h6"] is Status.FEASIBLE
    X, y = gen.parity(3, "01")
    assert X.shape == (8, 3) and set(np.unique(X)) == {0.0, 1.0} and y.tolist() == (X.sum(axis=1) % 2).tolist()


@pytest.mark.parametrize("name", ["parity2-pm1-h1", "parity2-01-h2", "parity3-pm1-h2"])
def test_brute_force_confirms_parity_truth(name):
    instance = next(i for i in suites.parity_instances((2, 3), gen.ENCODINGS, 1.0) if i.id == name)
    result = solve(instance.data, hidden=instance.hidden, searcher="brute", time_limit=None)
    assert result.status is instance.truth


@pytest.mark.parametrize("n, m, hidden", [(2, 30, (2,)), (5, 80, (3, 2)), (3, 60, (4, 3, 2)), (20, 50, (8,))])
def test_planted_teacher_fits_its_labels_with_margin(n, m, hidden):
    X, y, teacher = gen.planted_teacher(n, m, hidden, np.random.default_rng(7))
    assert X.shape == (m, n) and teacher.widths == hidden
    assert teacher.verify(X, np.where(y > 0, 1, -1)).ok
    W, b = teacher.layers[0].weights, teacher.layers[0].bias
    assert (np.abs(X @ W.T + b) >= 0.02 * np.abs(W).sum(axis=1) - 1e-12).all()


def _ladder(cuts_x: list[float], cuts_y: list[float]) -> ThresholdNetwork:
    """Checkerboard witness: grid lines, then [a + b >= k] for k = 1..K, then alternating sum."""
    k = len(cuts_x) + len(cuts_y)
    W1 = np.array([[1.0, 0.0]] * len(cuts_x) + [[0.0, 1.0]] * len(cuts_y))
    b1 = -np.array(cuts_x + cuts_y)
    # sign inputs s in {-1, 1}: number of lines passed = (sum s + k) / 2 >= j  <=>  sum s > 2j - k - 1
    W2 = np.ones((k, k))
    b2 = -np.array([2.0 * j - k - 1 for j in range(1, k + 1)])
    W3 = np.array([[(-1.0) ** j for j in range(k)]])
    b3 = np.array([-1.0 if k % 2 == 0 else 0.0])
    layers = (Layer(W1, b1), Layer(W2, b2), Layer(W3, b3))
    return ThresholdNetwork(layers, classes=(0, 1))


@pytest.mark.parametrize("cells", [2, 3])
def test_checkerboard_truth_by_construction(cells):
    X, y = gen.checkerboard(80, cells, np.random.default_rng(3))
    cuts = [float(c) for c in range(1, cells)]
    net = _ladder(cuts, cuts)
    assert net.widths == (2 * (cells - 1), 2 * (cells - 1))
    assert net.verify(X, np.where(y > 0, 1, -1)).ok


def test_circles_truth_by_construction():
    X, y = gen.concentric_circles(200, np.random.default_rng(5), factor=0.5)
    width = gen.circles_polygon_width(0.5)
    angles = 2 * math.pi * np.arange(width) / width
    W1 = -np.column_stack([np.cos(angles), np.sin(angles)])  # inside each tangent half-plane
    net = ThresholdNetwork((Layer(W1, np.full(width, 0.6)), Layer(np.ones((1, width)), [1.0 - width])), classes=(0, 1))
    assert net.verify(X, np.where(y > 0, 1, -1)).ok


@pytest.fixture(scope="module")
def quick_suite():
    return suites.make_suite("quick")


def test_quick_suite_is_valid(quick_suite):
    ids = [i.id for i in quick_suite]
    assert len(ids) == len(set(ids)) >= 10
    families = {i.family for i in quick_suite}
    assert families == {"parity", "teacher", "random", "real", "geometric"}
    for inst in quick_suite:
        assert inst.hidden and inst.time_limit > 0 and inst.data.n_examples >= 4
        assert inst.truth in (None, Status.FEASIBLE, Status.INFEASIBLE)
        assert json.dumps(inst.meta())
    randoms = [i for i in quick_suite if i.family == "random"]
    assert {i.truth for i in randoms} == {Status.FEASIBLE, Status.INFEASIBLE}
    for inst in randoms:  # brute-force truth agrees with the exact CP-SAT searcher
        assert solve(inst.data, hidden=inst.hidden, searcher="cpsat", threads=1, time_limit=30).status is inst.truth
    with pytest.raises(ValueError, match="choose one of"):
        suites.make_suite("nope")


# ----------------------------------------------------------------------------- gradient baselines


def _ste_reference(A, params, Y, w):
    """Backpropagation through sign units with d sign(z)/dz := 1[|z| < 1]; hinge loss at the output."""
    pairs = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]
    acts, zs = [A], []
    for W, b in pairs:
        zs.append(acts[-1] @ W.T + b)
        acts.append(np.where(zs[-1] > 0, 1.0, -1.0))
    delta = np.where(Y * zs[-1] < 1, -Y, 0.0) * w[:, None]
    out = {}
    for d in reversed(range(len(pairs))):
        out[d] = (np.einsum("ik,ij->kj", delta, acts[d]), delta.sum(axis=0))
        delta = np.einsum("ik,kj->ij", delta, pairs[d][0]) * (np.abs(zs[d - 1]) < 1) if d else delta
    return [g for d in range(len(pairs)) for g in out[d]]


@pytest.mark.parametrize("widths", [(3, 4, 1), (2, 5, 3, 1), (4, 3, 3, 2, 2)])
def test_ftprop_mb_with_saturated_hinge_is_sste(widths):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, widths[0]))
    Y = np.where(rng.standard_normal((40, widths[-1])) > 0, 1.0, -1.0)
    params = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        params += [rng.standard_normal((fan_out, fan_in)), 0.3 * rng.standard_normal(fan_out)]
    w = np.full(40, 1 / 40)
    inputs, pre = forward_pass(A, params, "sign")
    ours = ftprop_mb_gradients(inputs, pre, params, Y, w, make_loss("saturated_hinge"), make_loss("hinge"))
    for g, ref in zip(ours, _ste_reference(A, params, Y, w)):
        np.testing.assert_allclose(g, ref, atol=1e-12)


@pytest.mark.parametrize("name", ["ftprop-mb", "sste"])
def test_gradient_baselines_find_networks_but_never_prove_infeasibility(name):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    found = solve(X, [0, 1, 1, 0], hidden=[3], searcher=name, time_limit=20)
    assert found.status is Status.FEASIBLE and found.network.verify(X, [-1, 1, 1, -1]).ok and found.solver == name
    stuck = solve(X, [0, 1, 1, 0], hidden=[1], searcher=name, time_limit=0.3)
    assert stuck.status is Status.UNKNOWN and stuck.errors >= 1
    with pytest.raises(ValueError):
        GradientSearcher(learning_rate=0)


# ----------------------------------------------------------------------------- runner


def test_runner_writes_checks_and_resumes(tmp_path):
    out = tmp_path / "run"
    summary = run_benchmark(_tiny(), ["cpsat", "sste", "no-such-solver"], out, suite="t", progress=False, log=lambda m: None)
    assert summary.jobs_run == 4 and not summary.wrong and "no-such-solver" in summary.skipped_solvers
    records = {r["run"]: r for r in read_records(results_path(out))}
    assert set(records) == {f"parity2-pm1-h{w}|{s}|0" for w in (1, 2) for s in ("cpsat", "sste")}
    assert records["parity2-pm1-h1|cpsat|0"]["status"] == "INFEASIBLE" and records["parity2-pm1-h1|cpsat|0"]["solved"]
    assert records["parity2-pm1-h1|cpsat|0"]["check"].startswith("cpsat-benders proof re-checked: no network with hidden [1]")
    assert records["parity2-pm1-h2|sste|0"]["check"] == "network re-verified"
    assert records["parity2-pm1-h1|sste|0"]["status"] == "UNKNOWN" and not records["parity2-pm1-h1|sste|0"]["solved"]
    assert json.load(open(out / "meta.json"))["skipped_solvers"]

    again = run_benchmark(_tiny(), ["cpsat", "sste"], out, resume=True, progress=False, log=lambda m: None)
    assert again.jobs_run == 0 and again.jobs_resumed == 4
    # a killed run: the last line lost, a torn line left behind
    lines = open(results_path(out)).read().splitlines(keepends=True)
    with open(results_path(out), "w") as handle:
        handle.writelines(lines[:-1])
        handle.write('{"run": "parity2-pm1-h2|cps')
    resumed = run_benchmark(_tiny(), ["cpsat", "sste"], out, resume=True, progress=False, log=lambda m: None)
    assert resumed.jobs_run == 1
    assert len(list(read_records(results_path(out)))) == 4


def test_lies_never_get_past_solve(tmp_path, fake_solvers, monkeypatch, capsys):
    from ftprop_exact.commands import bench

    unknown = dataclasses.replace(_tiny()[0], id="xor-unknown-truth", truth=None)
    instances = [_tiny()[1], unknown]  # truth FEASIBLE, and a bogus proof on unknown truth
    monkeypatch.setitem(suites._SUITES, "quick", lambda: instances)
    parser = argparse.ArgumentParser()
    bench.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bench", "--solvers", "liar,cpsat", "--out", str(tmp_path / "b")])
    assert bench.run(args) == 0
    records = {r["run"]: r for r in read_records(results_path(tmp_path / "b"))}
    for instance in ("parity2-pm1-h2", "xor-unknown-truth"):
        record = records[f"{instance}|liar|0"]
        assert record["status"] == "UNKNOWN" and not record["wrong"] and not record["solved"]
    assert not any(r["wrong"] for r in records.values())


def test_forged_answers_are_caught_and_fail_the_command(tmp_path, monkeypatch, capsys):
    from ftprop_exact.benchmarks.verdicts import check_answer

    below, at = _tiny()  # XOR: width 1 INFEASIBLE, width 2 FEASIBLE
    proof = solve(below.data, hidden=below.hidden, searcher="cpsat").proof.to_dict()
    assert not check_answer(below, "INFEASIBLE", {"proof": proof}).wrong
    open_truth = dataclasses.replace(at, truth=None)
    # a true proof about width 1, presented as the answer for width 2
    check = check_answer(open_truth, "INFEASIBLE", {"proof": proof})
    assert check.wrong and "not the question" in check.note
    # the claim edited to match the question: the rebuilt width-2 master is feasible
    proof["claim"]["hidden"] = list(at.hidden)
    check = check_answer(open_truth, "INFEASIBLE", {"proof": proof})
    assert check.wrong and "not infeasible" in check.note
    assert check_answer(at, "INFEASIBLE", {"proof": proof}).wrong  # truth FEASIBLE
    conflict = DuplicateConflictProof(Claim.of(at.data, at.hidden), (0, 1)).to_dict()  # rows 0, 1 differ
    assert "does not re-check" in check_answer(open_truth, "INFEASIBLE", {"proof": conflict}).note


def _job(solver: str, instance: suites.Instance, **kw) -> Job:
    return Job(instance, solver, registry.make_searcher(solver), **kw)


def test_hard_time_limit_and_memory_cap(fake_solvers):
    xor = dataclasses.replace(_tiny()[1], time_limit=0.5)
    start = time.perf_counter()
    killed = run_job(_job("sleeper", xor, grace=0.3))
    assert killed["status"] == "TIMEOUT" and not killed["solved"] and time.perf_counter() - start < 10
    hog = run_job(_job("hog", xor, memory_mb=1500))
    # the solve turns the failed allocation into UNKNOWN (the best so far), never a crash
    assert hog["status"] == "UNKNOWN" and not hog["solved"] and not hog["wrong"]
    assert "Unable to allocate" in hog["stats"]["stopped"] and hog["peak_mb"] < 1500


def test_subprocess_isolation_gives_the_same_answer():
    record = run_job(_job("cpsat", _tiny()[0], threads=1), isolation="subprocess")
    assert record["status"] == "INFEASIBLE" and record["solved"] and not record["wrong"]


def test_dask_local_cluster_gives_the_same_verdicts(tmp_path):
    pytest.importorskip("distributed")
    instances = _tiny(10.0) + [suites.parity_instances((3,), ("01",), 10.0)[1]]
    local = run_benchmark(instances, ["cpsat"], tmp_path / "local", progress=False, log=lambda m: None)
    dask = run_benchmark(instances, ["cpsat"], tmp_path / "dask", dask="local", jobs=2, progress=False, log=lambda m: None)
    assert local.jobs_run == dask.jobs_run == 3 and not local.wrong and not dask.wrong
    verdicts = [{r["run"]: r["status"] for r in read_records(results_path(d))} for d in (local.out_dir, dask.out_dir)]
    assert verdicts[0] == verdicts[1]
    assert set(verdicts[0].values()) == {"INFEASIBLE", "FEASIBLE"}


# ----------------------------------------------------------------------------- report


def _record(instance, solver, status, seconds, wrong=False, seed=0, limit=10.0, claimed=False):
    return {"run": f"{instance}|{solver}|{seed}", "instance": instance, "solver": solver, "seed": seed,
            "status": status, "seconds": seconds, "time_limit": limit, "wrong": wrong, "examples": 50,
            "truth": None, "claimed_infeasible": claimed}


def _handmade(path):
    rows = [
        _record("i1", "a", "FEASIBLE", 1.0), _record("i2", "a", "UNKNOWN", 10.0), _record("i3", "a", "INFEASIBLE", 4.0),
        _record("i1", "b", "FEASIBLE", 3.0), _record("i2", "b", "FEASIBLE", 2.0),
        _record("i3", "b", "INFEASIBLE", 0.5, wrong=True),
        _record("i1", "milp", "FEASIBLE", 11.0), _record("i2", "milp", "UNKNOWN", 9.0),  # late: unsolved
        _record("i3", "milp", "UNKNOWN", 1.0, claimed=True),
        _record("i3", "milp", "UNKNOWN", 6.0, claimed=True),  # re-run: the last line wins
    ]
    for row in rows[:5]:
        append_record(path, row)
    with open(path, "a") as handle:
        handle.write("not json\n")
    for row in rows[5:]:
        append_record(path, row)


def test_report_par2_and_virtual_best_by_hand(tmp_path):
    path = tmp_path / "results.jsonl"
    _handmade(path)
    rows = {r.solver: r for r in summarize(read_records(path))}
    a, b, milp, vbs = rows["a"], rows["b"], rows["milp"], rows[VBS]
    assert (a.feasible, a.infeasible, a.unsolved, a.wrong) == (1, 1, 1, 0)
    assert a.par2 == pytest.approx((1 + 20 + 4) / 3) and a.median == pytest.approx(2.5)
    assert (b.feasible, b.infeasible, b.unsolved, b.wrong) == (2, 0, 1, 1)
    assert b.par2 == pytest.approx((3 + 2 + 20) / 3)
    assert (milp.runs, milp.solved, milp.claims) == (3, 0, 1) and milp.par2 == pytest.approx(20.0)
    assert (vbs.runs, vbs.feasible, vbs.infeasible) == (3, 2, 1) and vbs.par2 == pytest.approx((1 + 2 + 4) / 3)
    n, ratios = performance_ratios(list(read_records(path)))
    assert n == 3 and ratios["a"] == [1.0, 1.0, math.inf] and ratios["b"] == [1.0, 3.0, math.inf]


def test_report_writes_summary_and_plots(tmp_path):
    _handmade(tmp_path / "results.jsonl")
    files = write_report(tmp_path)
    text = open(files.summary).read()
    assert "virtual best" in text and "Exact vs MILP" not in text  # no auto/cpsat in these results
    assert "cannot prove infeasibility" in text
    assert files.wrong == 1 and os.path.getsize(files.cactus) > 1000 and os.path.getsize(files.profile) > 1000
    with pytest.raises(FileNotFoundError):
        write_report(tmp_path / "empty")
