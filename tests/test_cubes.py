"""Cube-and-conquer over Dask: the cubes proof kind's checker, solve(dask=...) against the
brute-force oracle, stopping on a network, deadlines, and the command line."""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed (pip install 'ftprop_exact[dask]')")

from ftprop_exact import Status, make_dataset, solve  # noqa: E402
from ftprop_exact.cli import main  # noqa: E402
from ftprop_exact.proofs.benders import CPSATProof  # noqa: E402
from ftprop_exact.proofs.check import check_proof  # noqa: E402
from ftprop_exact.proofs.cubes import CubeLiteral, CubePart, CubesProof, cover_problem  # noqa: E402
from ftprop_exact.proofs.io import load_proof, save_proof  # noqa: E402
from ftprop_exact.solvers.exact.dask_cubes import DaskCubeSearcher  # noqa: E402

from test_cli import ftprop, verdict_lines, write_parity  # noqa: E402


def parity(n: int):
    X = np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)
    return make_dataset(X, X.sum(axis=1).astype(int) % 2)


def random_tiny(seed: int):
    """Small instances, Boolean (exact first layer) and real-valued (Benders cuts)."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 4)), int(rng.integers(4, 8))
    if seed % 2 == 0:
        X = rng.integers(0, 2, size=(m, n)).astype(float)
    else:
        X = np.round(rng.normal(size=(m, n)), 2)
    y = rng.integers(0, 2, size=m)
    y[0], y[1] = 0, 1
    return make_dataset(X, y), int(rng.integers(1, 3))


@pytest.fixture(scope="module")
def scheduler():
    """One in-process cluster (two single-threaded workers) for the module: its address."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def cubes(data, hidden, scheduler, **options):
    return solve(data, hidden=hidden, searcher="cpsat", dask=scheduler, time_limit=120, **options)


@pytest.fixture(scope="module")
def real_proof(scheduler):
    """A cubes proof with first-layer cuts: real-valued data that two units cannot fit."""
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    data = make_dataset(X, [0, 1, 0, 1, 0])
    result = cubes(data, [2], scheduler, cube_depth=2)
    assert result.status is Status.INFEASIBLE and result.proof.kind == "cubes"
    assert result.proof.cuts, "the real-valued instance should need certificates"
    return data, result.proof


def test_a_complete_cover_is_accepted_and_round_trips(real_proof, tmp_path):
    data, proof = real_proof
    assert len(proof.parts) == 4 and len(proof.literals) == 2
    assert check_proof(proof, data, thorough=True).ok
    path = tmp_path / "cubes.json"
    save_proof(path, proof, data)
    loaded, _ = load_proof(path)
    assert loaded == proof and loaded.verify(data)
    assert proof.describe_part(1).startswith("cube 1: t1[row ")


def test_a_missing_cube_is_rejected(real_proof):
    data, proof = real_proof
    check = check_proof(replace(proof, parts=proof.parts[:-1]), data)
    assert not check.ok and "missing" in check.reason


def test_a_duplicated_cube_is_rejected(real_proof):
    data, proof = real_proof
    parts = (*proof.parts[:-1], proof.parts[0])
    check = check_proof(replace(proof, parts=parts), data)
    assert not check.ok and "twice" in check.reason


def test_an_edited_cube_value_is_rejected(real_proof):
    data, proof = real_proof
    flipped = replace(proof.parts[0], cube=(-proof.parts[0].cube[0], *proof.parts[0].cube[1:]))
    assert not check_proof(replace(proof, parts=(flipped, *proof.parts[1:])), data).ok
    bad_value = replace(proof.parts[0], cube=(2, *proof.parts[0].cube[1:]))
    assert not check_proof(replace(proof, parts=(bad_value, *proof.parts[1:])), data).ok


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda lit, other: other, "listed twice"),
        (lambda lit, other: replace(lit, unit=7), "names no hidden target"),
        (lambda lit, other: replace(lit, layer=2), "names no hidden target"),
        (lambda lit, other: replace(lit, row=99), "beyond the data"),
    ],
)
def test_an_edited_literal_is_rejected(real_proof, edit, message):
    data, proof = real_proof
    literals = (edit(proof.literals[0], proof.literals[1]), *proof.literals[1:])
    check = check_proof(replace(proof, literals=literals), data)
    assert not check.ok and message in check.reason


def test_a_literal_on_a_duplicate_row_is_rejected():
    """Literals name first occurrences of distinct rows (a later duplicate is no variable of its own)."""
    data = make_dataset(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [1.0, 1.0]]), [0, 1, 1, 0, 0])
    result = solve(data, hidden=[1], searcher="cpsat", time_limit=60)
    part = result.proof
    proof = CubesProof(part.claim, (CubeLiteral(1, 0, 4),), (CubePart((1,), part), CubePart((-1,), part)))
    check = check_proof(proof, data)
    assert not check.ok and "first occurrence" in check.reason
    good = replace(proof, literals=(CubeLiteral(1, 0, 3),))
    assert check_proof(good, data).ok


def test_an_edited_claim_is_rejected(scheduler):
    data = parity(3)
    proof = cubes(data, [2], scheduler, cube_depth=2).proof
    wider = replace(proof.claim, hidden=(3,))
    check = check_proof(replace(proof, claim=wider), data)
    assert not check.ok and "not the cubes' claim" in check.reason
    # every claim edited consistently: the cubes' masters are now feasible (parity 3 fits [3])
    parts = tuple(replace(p, proof=replace(p.proof, claim=wider)) for p in proof.parts)
    check = check_proof(CubesProof(wider, proof.literals, parts), data)
    assert not check.ok and "not infeasible" in check.reason
    assert not check_proof(proof, data, expected=wider).ok


def test_parts_that_prove_only_their_cube_do_not_prove_a_feasible_claim():
    """Each part fixes its cube; a cover whose parts are not all infeasible is rejected."""
    data = parity(2)  # XOR: two units fit
    claim = solve(data, hidden=[1], searcher="cpsat").proof.claim
    claim = replace(claim, hidden=(2,))
    part = CPSATProof(claim, "exact", ())
    proof = CubesProof(claim, (CubeLiteral(1, 0, 1),), (CubePart((1,), part), CubePart((-1,), part)))
    assert proof.structure_problem() is None
    check = check_proof(proof, data)
    assert not check.ok and "not infeasible" in check.reason


def test_cover_problem_needs_every_assignment():
    assert cover_problem([()], 0) is None
    assert "missing" in cover_problem([(1,)], 1)
    assert "not 1 values" in cover_problem([(1,), (0,)], 1)
    assert cover_problem([c for c in itertools.product((1, -1), repeat=3)], 3) is None


@pytest.mark.parametrize("seed", range(8))
def test_dask_agrees_with_the_brute_force_oracle(scheduler, seed):
    data, h = random_tiny(seed)
    truth = solve(data, hidden=[h], searcher="brute", time_limit=None)
    result = cubes(data, [h], scheduler, cube_depth=2)
    assert result.status is truth.status, (seed, h)
    if result.status is Status.FEASIBLE:
        assert result.network.verify(data.X, data.Y).ok
    else:
        assert result.proof.kind in ("cubes", "duplicate-conflict") and result.proof.verify(data)


def test_a_feasible_instance_returns_a_verified_network_and_stops_the_others(scheduler):
    data = parity(4)
    result = cubes(data, [4], scheduler, cube_depth=4)
    assert result.status is Status.FEASIBLE
    assert result.network.verify(data.X, data.Y).ok
    assert result.stats["cubes_found"] >= 1 and result.stats["cubes"] == 16


def test_parity4_with_three_units_is_infeasible_on_a_local_cluster():
    data = parity(4)
    result = solve(data, hidden=[3], searcher="auto", dask="local", dask_workers=2, processes=False, time_limit=120)
    assert result.status is Status.INFEASIBLE and result.solver == "cpsat-cubes"
    assert result.stats["cubes_closed"] == result.stats["cubes"] and result.proof.verify(data)


def test_the_deadline_stops_every_cube(scheduler):
    X = np.random.default_rng(3).normal(size=(40, 3))
    y = (np.sin(3 * X[:, 0]) * np.cos(2 * X[:, 1]) > 0).astype(int)
    start = time.monotonic()
    result = solve(X, y, hidden=[2, 2], searcher="cpsat", dask=scheduler, time_limit=2, cube_depth=3)
    assert time.monotonic() - start < 15
    assert result.status in (Status.UNKNOWN, Status.FEASIBLE)


def test_bad_options_are_refused(scheduler):
    data = parity(2)
    with pytest.raises(ValueError, match="splits the exact CP-SAT search"):
        solve(data, hidden=[2], searcher="local", dask=scheduler)
    with pytest.raises(ValueError, match="feasibility only"):
        solve(data, hidden=[2], searcher="cpsat", dask=scheduler, objective="min_errors")
    with pytest.raises(ValueError, match="cube_depth"):
        DaskCubeSearcher(cube_depth=21)
    with pytest.raises(ValueError, match="workers"):
        DaskCubeSearcher(workers=0)


def test_a_missing_dask_fails_at_construction_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'ftprop_exact\[dask\]'"):
        DaskCubeSearcher()


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """``ftprop ARGS`` in this process (a subprocess would spend seconds importing)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_dask_flag_proves_and_verify_proof_names_the_cubes(tmp_path: Path, scheduler, capsys):
    data = write_parity(tmp_path, 3)
    proof = tmp_path / "cubes.json"
    code, out, err = run_cli(capsys, "check", str(data), "--hidden", "2", "--dask", scheduler, "--cube-depth", "2", "--proof", str(proof))
    assert code == 20, err
    assert verdict_lines(out) == ["s INFEASIBLE"] and "kind=cubes" in out and "cubes_closed=4" in out and "cubes_unfinished=0" in out
    code, out, err = run_cli(capsys, "verify-proof", str(data), "--proof", str(proof))
    assert code == 0, out + err
    assert out.count("c cube ") == 4 and "t1[row " in out


@pytest.mark.slow
def test_cli_dask_local_starts_and_closes_a_process_cluster(tmp_path: Path):
    data = write_parity(tmp_path, 3)
    done = ftprop("check", str(data), "--hidden", "2", "--dask", "local", "--dask-workers", "1", "--cube-depth", "1", "--json")
    assert done.returncode == 20, done.stderr
    assert '"cubes_closed": 2' in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dask", "local", "--solver", "local"], "--solver cpsat or auto"),
        (["--dask-workers", "2"], "need --dask"),
        (["--dask", "local", "--min-errors"], "feasibility only"),
        (["--dask", "local", "--dask-workers", "0"], "positive"),
        (["--dask", "tcp://127.0.0.1:9", "--time-limit", "20"], "cannot reach the Dask scheduler"),
    ],
)
def test_cli_dask_input_errors_exit_2(tmp_path: Path, capsys, args, message):
    data = write_parity(tmp_path, 2)
    code, out, err = run_cli(capsys, "check", str(data), "--hidden", "2", *args)
    assert code == 2, out + err
    assert message in err


def test_a_process_cluster_closes_cubes_that_outlive_the_stop_polling():
    """Worker processes: each task polls the stop event from a thread of its own, through the
    worker's client (a regression: without it every cube older than one poll stopped at once).
    4-bit parity with hidden [3, 2] is INFEASIBLE, and its single cube takes CP-SAT about a
    second (several polls)."""
    data = parity(4)
    result = solve(data, hidden=[3, 2], searcher="cpsat", dask="local", dask_workers=1, cube_depth=0, time_limit=300)
    assert result.status is Status.INFEASIBLE, result.stats
    assert result.stats["cubes_closed"] == 1 and result.proof.verify(data)


def test_the_cubes_options_are_checked_at_construction():
    with pytest.raises(ValueError, match="first_layer"):
        DaskCubeSearcher(first_layer="sometimes")
    with pytest.raises(ValueError, match="max_weight"):
        DaskCubeSearcher(max_weight=0)


def test_the_stop_event_ends_a_running_cube(scheduler):
    """What the coordinator does when a network is found: set the event; running cubes stop."""
    from ftprop_exact.problem import Problem
    from ftprop_exact.solvers.exact.dask_cubes import cube_task

    problem = Problem.build(parity(5), (4,))  # INFEASIBLE, but CP-SAT needs tens of seconds
    with distributed.Client(scheduler) as client:
        stop = distributed.Event("test-stop-event", client=client)
        future = client.submit(cube_task, problem, "lp", 0, (), None, {"threads": 1}, 0, stop.name, pure=False)
        time.sleep(1.0)
        assert not future.done()
        started = time.monotonic()
        stop.set()
        outcome = future.result(timeout=30)
    assert outcome.status == "open" and time.monotonic() - started < 10


def test_a_cluster_running_other_code_is_refused():
    from ftprop_exact.errors import DataError
    from ftprop_exact.solvers.exact import dask_cubes

    class _Client:
        def __init__(self, value: str) -> None:
            self.value = value

        def run(self, function):
            return {"tcp://worker:1": self.value}

    dask_cubes.refuse_other_code(_Client(dask_cubes.code_fingerprint()))  # the same code: accepted
    with pytest.raises(DataError, match="other ftprop_exact code"):
        dask_cubes.refuse_other_code(_Client("0.0.1:" + "0" * 64))
