"""The must-differ bound: pairwise-incompatible pairs of differently labelled examples.

- points on a line at width m - 2, depth 1 and 2: INFEASIBLE within 10 s, proof checked;
- the bound against brute force on tiny instances (never above the fewest first-layer units
  that tell every two labels apart; never a width that fits at depth 1);
- the checker needs neither OR-Tools nor SciPy (imports blocked in a subprocess);
- min_width starts from the bound.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import min_distinguishing_width

from ftprop_exact import Status, make_dataset, solve
from ftprop_exact.benchmarks.generators import points_on_a_line
from ftprop_exact.budget import Deadline
from ftprop_exact.min_width import min_width
from ftprop_exact.problem import Problem
from ftprop_exact.proofs import Claim, MustDifferProof, check_proof, load_proof, save_proof
from ftprop_exact.solvers.exact.must_differ import find_incompatible_pairs, must_differ_proof, segment_distances


def _line(m: int, n: int, seed: int):
    X, y = points_on_a_line(m, n, np.random.default_rng(seed))
    return make_dataset(X, y, name=f"line{m}-{n}")


@pytest.mark.parametrize("m, n", [(8, 2), (11, 5), (14, 10), (20, 3), (20, 10)])
@pytest.mark.parametrize("depth", [1, 2])
def test_points_on_a_line_at_width_m_minus_2_are_infeasible_at_any_depth(m, n, depth):
    data = _line(m, n, seed=m * 31 + n)
    hidden = [m - 2] if depth == 1 else [m - 2, 2]
    result = solve(data, hidden=hidden, time_limit=10)
    assert result.status is Status.INFEASIBLE and result.stats["seconds"] < 10
    assert isinstance(result.proof, MustDifferProof) and len(result.proof.pairs) == m - 1
    assert check_proof(result.proof, data, Claim.of(data, tuple(hidden))).ok
    wider = replace(result.proof, claim=Claim.of(data, (m - 1,)))
    assert not check_proof(wider, data).ok  # m - 1 pairs say nothing about m - 1 units


def test_the_step_activation_is_covered_and_duplicated_rows_name_rows_as_given():
    X, y = points_on_a_line(7, 2, np.random.default_rng(3))
    X, y = np.vstack([X, X[:2]]), np.concatenate([y, y[:2]])  # duplicates: rows as given
    data = make_dataset(X, y)
    result = solve(data, hidden=[5, 3], activation="step", time_limit=10)
    assert result.status is Status.INFEASIBLE and result.proof.claim.activation == "step"
    assert check_proof(result.proof, data, Claim.of(data, (5, 3), "step")).ok


def _bound_is_sound(X: np.ndarray, y: np.ndarray) -> int:
    """Check the bound found on (X, y) against the oracles; return it."""
    data = make_dataset(X, y)
    problem = Problem.build(data, (1,))
    if problem.conflict is not None:
        return 0
    found = find_incompatible_pairs(problem, Deadline(20))
    truth = min_distinguishing_width(problem.X, problem.Y)
    assert found.bound <= truth, (X.tolist(), y.tolist(), found.pairs)
    if found.bound >= 2:
        proof = must_differ_proof(problem, found, width=found.bound - 1)
        assert check_proof(replace(proof, claim=Claim.of(data, (found.bound - 1, 2))), data).ok
        if found.bound - 1 <= 4 and problem.n_rows <= 10:
            assert solve(data, hidden=[found.bound - 1], searcher="brute", time_limit=60).status is Status.INFEASIBLE
    return found.bound


@pytest.mark.parametrize("block", range(4))
def test_the_bound_never_exceeds_brute_force_on_tiny_degenerate_instances(block):
    """A fuzz: points on small integer grids (many collinear and coplanar rows), 2-3 classes."""
    rng = np.random.default_rng(700 + block)
    bounds = []
    for _ in range(25):
        m = int(rng.integers(3, 7))
        n = int(rng.integers(1, 4))
        X = rng.integers(0, 3, size=(m, n)).astype(float)
        y = rng.integers(0, int(rng.integers(2, 4)), size=m)
        if len(np.unique(y)) < 2:
            continue
        bounds.append(_bound_is_sound(X, y))
    assert max(bounds) >= 2  # the fuzz reaches proofs, not only trivial bounds


@settings(max_examples=30, deadline=None)
@given(
    st.integers(3, 6).flatmap(
        lambda m: st.tuples(
            st.lists(st.lists(st.integers(-2, 2), min_size=2, max_size=2), min_size=m, max_size=m),
            st.lists(st.integers(0, 1), min_size=m, max_size=m),
        )
    )
)
def test_the_bound_is_sound_on_generated_instances(instance):
    X, y = np.array(instance[0], dtype=float), np.array(instance[1])
    if len(np.unique(y)) == 2:
        _bound_is_sound(X, y)


def test_segment_distances_cover_crossing_parallel_and_degenerate_segments():
    p = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    q = np.array([[2.0, 2.0], [2.0, 0.0], [2.0, 0.0], [1.0, 1.0]])
    r = np.array([[0.0, 2.0], [0.0, 1.0], [3.0, 0.0], [1.0, 1.0]])
    s = np.array([[2.0, 0.0], [2.0, 1.0], [4.0, 0.0], [3.0, 3.0]])
    assert np.allclose(segment_distances(p, q, r, s), [0.0, 1.0, 1.0, 0.0])


def test_min_width_starts_from_the_must_differ_bound():
    data = _line(6, 2, seed=1)
    result = min_width(data, max_width=6, time_limit=60)
    assert result.width == 5 and min(result.per_width) == 5  # widths 1-4: proven by the bound
    assert result.proof is not None and result.proof.kind == "must-differ"
    assert check_proof(result.proof, data, Claim.of(data, (4,))).ok


_BLOCK = textwrap.dedent(
    """
    import sys
    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("ortools", "scipy", "highspy"):
                raise ImportError("refused: " + name)
    sys.meta_path.insert(0, Refuse())
    """
)


def test_checking_needs_neither_ortools_nor_scipy(tmp_path):
    data = _line(9, 4, seed=2)
    result = solve(data, hidden=[7, 2], time_limit=10)
    path = tmp_path / "p.json"
    save_proof(path, result.proof, data)
    np.save(tmp_path / "X.npy", data.X)
    np.save(tmp_path / "y.npy", data.y)
    script = _BLOCK + textwrap.dedent(
        f"""
        import numpy as np
        from ftprop_exact.data import make_dataset
        from ftprop_exact.proofs.check import check_proof
        from ftprop_exact.proofs.io import load_proof
        data = make_dataset(np.load({str(tmp_path / 'X.npy')!r}), np.load({str(tmp_path / 'y.npy')!r}))
        proof, _ = load_proof({str(path)!r})
        check = check_proof(proof, data, thorough=True)
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("ortools", "scipy"))
        print(check.ok, proof.kind, loaded, check.reason)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("True must-differ [] 8 pairwise-incompatible"), proc.stdout


def test_verify_proof_on_the_command_line_imports_no_solver(tmp_path):
    """``ftprop verify-proof`` with OR-Tools and SciPy imports refused (the CLI imports one subcommand)."""
    data = _line(10, 3, seed=4)
    csv = tmp_path / "line.csv"
    csv.write_text("a,b,c,y\n" + "\n".join(",".join(str(int(v)) for v in row) + f",{c}" for row, c in zip(data.X, data.y)) + "\n")
    path = tmp_path / "p.json"
    run = [sys.executable, "-m", "ftprop_exact.cli"]
    made = subprocess.run(run + ["check", str(csv), "--hidden", "8,2", "--time-limit", "10", "--proof", str(path)], capture_output=True, text=True)
    assert made.returncode == 20 and "s INFEASIBLE" in made.stdout
    assert json.loads(path.read_text())["proof"]["kind"] == "must-differ"
    script = _BLOCK + "from ftprop_exact.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    verify = ["verify-proof", str(csv), "--proof", str(path), "--hidden", "8,2", "--unbounded"]
    proc = subprocess.run([sys.executable, "-c", script, *verify], capture_output=True, text=True)
    assert proc.returncode == 0 and "s VERIFIED" in proc.stdout, proc.stdout + proc.stderr
    refused = subprocess.run([sys.executable, "-c", script, "check", str(csv), "--hidden", "8,2"], capture_output=True, text=True)
    assert refused.returncode != 0 and "refused" in refused.stderr  # the hook does refuse them


def test_a_proof_needs_every_orientation_certified_once():
    data = _line(6, 2, seed=5)
    proof = solve(data, hidden=[4], time_limit=10).proof
    assert check_proof(proof, data).ok
    for broken in (
        replace(proof, incompatibilities=proof.incompatibilities[1:]),
        replace(proof, incompatibilities=proof.incompatibilities + proof.incompatibilities[:1]),
        replace(proof, pairs=proof.pairs[:-1] + (proof.pairs[0],)),
        replace(proof, pairs=((proof.pairs[0][1], proof.pairs[0][0]),) + proof.pairs[1:]),
    ):
        assert not check_proof(broken, data).ok


def _thermometer_network(X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...]):
    """The explicit network behind every FEASIBLE structured instance.

    Rows lie on levels of one projection (points on a line: along it; parity: the number of
    bits set); first-layer unit k says "above level k"; from that thermometer code one unit
    computes any labelling of the levels (its pre-activation moves by 2 w_k at level k).
    """
    from ftprop_exact.network import Layer, ThresholdNetwork

    direction = X[np.argmax(np.abs(X - X[0]).sum(axis=1))] - X[0]
    projection = X @ direction
    levels = np.unique(projection)
    assert len(levels) - 1 == hidden[0]
    cuts = (levels[1:] + levels[:-1]) / 2
    first = Layer(np.tile(direction, (len(cuts), 1)), -cuts)
    t = np.array([1.0 if y[np.flatnonzero(projection == v)].max() == 1 else -1.0 for v in levels])
    assert all(len(set(y[projection == v])) == 1 for v in levels)
    w = (t[1:] - t[:-1]) / 2
    readout = Layer(w[None, :], [t[0] + w.sum()])
    if len(hidden) == 1:
        return ThresholdNetwork((first, readout), classes=(0, 1))
    second = Layer(np.vstack([w, w]), [t[0] + w.sum()] * 2)
    return ThresholdNetwork((first, second, Layer([[1.0, 0.0]], [0.0])), classes=(0, 1))


def test_every_truth_of_the_structured_suite_is_right():
    from ftprop_exact.benchmarks.suites import make_suite
    from oracles import min_distinguishing_width

    for inst in make_suite("structured"):
        X, y = inst.data.X, inst.data.y
        if inst.truth is Status.FEASIBLE:
            network = _thermometer_network(X, y, inst.hidden)
            assert network.verify(X, inst.data.Y).ok, inst.id
        elif inst.family == "line":
            problem = Problem.build(inst.data, inst.hidden)
            found = find_incompatible_pairs(problem, Deadline(30), target=inst.hidden[0] + 1)
            assert check_proof(must_differ_proof(problem, found), inst.data, problem.claim()).ok, inst.id
        elif inst.examples <= 8:  # parity 3; parity 4 and 5: the cube-cutting theorem
            assert min_distinguishing_width(X, inst.data.Y) > inst.hidden[0], inst.id


def test_distinct_codes_in_the_master_prove_parity_4_at_3_3_and_the_checker_rebuilds_them():
    from ftprop_exact.benchmarks.generators import parity

    X, y = parity(4, "01")
    data = make_dataset(X, y)
    result = solve(data, hidden=[3, 3], searcher="cpsat", threads=2, time_limit=60)
    assert result.status is Status.INFEASIBLE and result.proof.kind == "cpsat-benders"
    assert check_proof(result.proof, data, thorough=True, time_limit=120).ok  # the master re-solved
    assert solve(data, hidden=[4, 2], searcher="cpsat", threads=2, time_limit=60).status is Status.FEASIBLE


def test_incompatibility_cuts_let_the_master_alone_prove_points_on_a_line():
    from ftprop_exact.solvers.exact.cpsat import CPSATSearcher
    from ftprop_exact.solvers.learners.lp import LPLearner
    from ftprop_exact.solvers.search_base import Incumbent

    data = _line(10, 3, seed=6)
    problem = Problem.build(data, (8, 2))
    outcome = CPSATSearcher(threads=2).search(problem, LPLearner(), Deadline(60), Incumbent(problem), np.random.default_rng(0))
    assert outcome.status is Status.INFEASIBLE and outcome.stats["incompatibility_cuts"] > 0
    proof = outcome.proof
    assert len(proof.differ_pairs) == 9 and check_proof(proof, data, problem.claim(), thorough=True, time_limit=120).ok
    assert type(proof).from_dict(proof.to_dict()) == proof
    a, b = proof.differ_pairs[0]
    same = next(r for r in range(data.n_examples) if r != a and data.y[r] == data.y[a])
    forged = replace(proof, differ_pairs=proof.differ_pairs + ((a, same),))
    check = check_proof(forged, data, thorough=True, time_limit=60)
    assert not check.ok and "same label" in check.reason  # refused before any solver runs
    wide = Problem.build(data, (9,))
    incumbent = Incumbent(wide)
    found = CPSATSearcher(threads=2).search(wide, LPLearner(), Deadline(60), incumbent, np.random.default_rng(0))
    assert found.status is Status.FEASIBLE and incumbent.exact
