"""The batched perceptron (numba, numpy, cupy) and the auto learner against the exact LP."""

from __future__ import annotations

import argparse
import json
import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftprop_exact.benchmarks import kernels
from ftprop_exact.commands import bench_kernels
from ftprop_exact.solvers import LPLearner, make_learner, verify_certificate
from ftprop_exact.solvers.kernels import perceptron_numba, perceptron_xp
from ftprop_exact.solvers.learners.auto import AutoLearner
from ftprop_exact.solvers.kernels.perceptron import GPU_INSTALL_HINT, HOPELESS, STALLED, PerceptronLearner, load_cupy
from oracles import separates_exactly

CPU_BACKENDS = ("numba", "numpy")


def _cupy_or_skip():
    try:
        return load_cupy()
    except ImportError as exc:
        pytest.skip(str(exc))


@st.composite
def layers(draw, values=st.integers(-3, 3), max_m: int = 10, max_n: int = 3, max_K: int = 4):
    """Small inputs (m, n) and K target columns, integer or float valued."""
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    K = draw(st.integers(1, max_K))
    A = np.array(draw(st.lists(st.lists(values, min_size=n, max_size=n), min_size=m, max_size=m)), dtype=np.float64)
    T = np.array(
        draw(st.lists(st.lists(st.sampled_from([-1, 1]), min_size=K, max_size=K), min_size=m, max_size=m)),
        dtype=np.int8,
    )
    return A, T


@st.composite
def kernel_inputs(draw):
    """Integer-valued kernel inputs: every sum is exact, so all back ends must agree bit for bit."""
    m = draw(st.integers(1, 40))
    d = draw(st.integers(1, 6))
    K = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(m, d)).astype(np.float64)
    T = rng.choice(np.array([-1, 1], dtype=np.int8), size=(m, K))
    W = rng.integers(-2, 3, size=(d, K)).astype(np.float64)
    return X, T, W, draw(st.integers(1, 3)), draw(st.integers(1, m)), float(draw(st.integers(0, 2)))


def _planted(m: int, n: int, K: int, seed: int, flip: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Targets of random hyperplanes with a margin (``flip`` labels per column inverted)."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n)) * rng.uniform(0.1, 10.0, size=n) + rng.normal(size=n)
    Z = A @ rng.normal(size=(n, K))
    Z -= np.median(Z, axis=0)
    keep = np.all(np.abs(Z) > 0.05 * Z.std(axis=0), axis=1)
    A, Z = A[keep], Z[keep]
    T = np.where(Z > 0, 1, -1).astype(np.int8)
    for k in range(K):
        T[rng.choice(T.shape[0], flip, replace=False), k] *= -1
    return A, T


def _assert_sound(A: np.ndarray, T: np.ndarray, verdicts, lp_verdicts) -> None:
    """Perceptron verdicts: True only where the LP says True, with weights that separate exactly."""
    for k, (verdict, truth) in enumerate(zip(verdicts, lp_verdicts)):
        assert verdict.separable in (True, None)
        if verdict.separable:
            assert truth.separable is True
            assert separates_exactly(A, T[:, k], verdict.weights, verdict.bias)


# -- the kernels: numba == numpy reference --------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(kernel_inputs())
def test_numba_kernel_equals_the_numpy_reference_on_exact_inputs(inputs):
    X, T, W0, epochs, chunk, margin = inputs
    W_numba, W_numpy = W0.copy(), W0.copy()
    counts_numba = perceptron_numba.run_epochs(X, T, W_numba, epochs, chunk, margin)
    counts_numpy = perceptron_xp.run_epochs(np, X, T, W_numpy, epochs, chunk, margin)
    np.testing.assert_array_equal(counts_numba, counts_numpy)
    np.testing.assert_array_equal(W_numba, W_numpy)


def test_parallel_numba_kernel_equals_the_numpy_reference():
    rng = np.random.default_rng(5)
    m, d, K = 2000, 33, 70  # m * d * K above the parallel threshold, several blocks, ragged tiles
    X = rng.integers(-2, 3, size=(m, d)).astype(np.float64)
    T = rng.choice(np.array([-1, 1], dtype=np.int8), size=(m, K))
    W_numba, W_numpy = np.zeros((d, K)), np.zeros((d, K))
    counts_numba = perceptron_numba.run_epochs(X, T, W_numba, 3, 123, 1.0)
    counts_numpy = perceptron_xp.run_epochs(np, X, T, W_numpy, 3, 123, 1.0)
    np.testing.assert_array_equal(counts_numba, counts_numpy)
    np.testing.assert_array_equal(W_numba, W_numpy)


def test_numba_kernels_are_compiled_with_a_disk_cache():
    from numba.core.caching import FunctionCache

    for kernel in (perceptron_numba._epochs_kernel, perceptron_numba._block_epochs):
        assert isinstance(kernel._cache, FunctionCache)
    assert perceptron_numba._epochs_kernel.targetoptions.get("parallel") is True


# -- the learners against the LP --------------------------------------------------------------
@pytest.mark.parametrize("backend", CPU_BACKENDS)
@settings(max_examples=60, deadline=None)
@given(instance=st.one_of(layers(), layers(values=st.floats(-10, 10, allow_nan=False, width=32))))
def test_perceptron_verdicts_are_sound_on_random_layers(backend, instance):
    A, T = instance
    verdicts = PerceptronLearner(backend=backend).check_layer(A, T)
    _assert_sound(A, T, verdicts, LPLearner().check_layer(A, T))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_perceptron_separates_planted_targets_on_badly_scaled_inputs(backend):
    A, T = _planted(m=600, n=6, K=12, seed=1)
    run = PerceptronLearner(backend=backend).train(A, T)
    assert all(v.separable for v in run.verdicts), run.outcome
    for k, verdict in enumerate(run.verdicts):
        assert separates_exactly(A, T[:, k], verdict.weights, verdict.bias)
        assert verdict.margin > 0


def test_numba_and_numpy_learners_agree_on_planted_targets():
    # Float inputs: sums may round differently, so only the verdicts must agree (the
    # kernels' bit-for-bit agreement is tested above on exact inputs).
    A, T = _planted(m=400, n=4, K=9, seed=2)
    runs = [PerceptronLearner(backend=b).train(A, T) for b in CPU_BACKENDS]
    assert [v.separable for v in runs[0].verdicts] == [v.separable for v in runs[1].verdicts] == [True] * 9


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_random_labels_are_given_up_without_a_verdict(backend):
    rng = np.random.default_rng(3)
    A = rng.normal(size=(20_000, 8))
    T = rng.choice(np.array([-1, 1], dtype=np.int8), size=(20_000, 5))
    run = PerceptronLearner(backend=backend).train(A, T)
    assert all(v.separable is None for v in run.verdicts)
    assert set(run.outcome) <= {HOPELESS, STALLED}
    assert run.epochs.max() <= 17


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_constant_columns_and_conflicting_duplicates(backend):
    A = np.array([[0.0, 1.0], [2.0, 3.0], [5.0, 5.0], [2.0, 3.0]])
    T = np.array([[1, 1], [1, 1], [1, -1], [1, -1]])
    first, second = PerceptronLearner(backend=backend).check_layer(A, T)
    assert first.separable and math.isinf(first.margin)
    assert second.separable is None  # a row with both targets: only the LP may say "not separable"


@pytest.mark.parametrize("magnitude", [1e-300, 1e300])
def test_extreme_magnitudes_are_handled_exactly(magnitude):
    A, T = _planted(m=300, n=3, K=4, seed=8)
    A = A * magnitude
    verdicts = PerceptronLearner(backend="numba").check_layer(A, T)
    _assert_sound(A, T, verdicts, LPLearner().check_layer(A, T))
    assert any(v.separable for v in verdicts)


def test_invalid_inputs_are_rejected():
    learner = PerceptronLearner(backend="numpy")
    with pytest.raises(ValueError, match="finite"):
        learner.check(np.array([[np.nan], [1.0]]), np.array([1, -1]))
    with pytest.raises(ValueError, match="-1 or \\+1"):
        learner.check(np.zeros((2, 1)), np.array([0, 1]))
    with pytest.raises(ValueError, match="choose one of: numba, numpy, cupy"):
        PerceptronLearner(backend="fortran")


# -- auto == LP ------------------------------------------------------------------------------
def _assert_same_as_lp(A: np.ndarray, T: np.ndarray, verdicts) -> None:
    lp_verdicts = LPLearner().check_layer(A, T)
    assert [v.separable for v in verdicts] == [v.separable for v in lp_verdicts]
    for k, verdict in enumerate(verdicts):
        if verdict.separable:
            assert separates_exactly(A, T[:, k], verdict.weights, verdict.bias)
        elif verdict.separable is False:
            assert verify_certificate(A, T[:, k], verdict.certificate)


@settings(max_examples=80, deadline=None)
@given(instance=st.one_of(layers(), layers(values=st.sampled_from([-1.0, 1.0]), max_n=4)))
def test_auto_gives_the_lp_verdicts_on_random_layers(instance):
    A, T = instance
    _assert_same_as_lp(A, T, AutoLearner(lp_only_cells=0).check_layer(A, T))


def test_auto_gives_the_lp_verdicts_on_mixed_layers():
    A, T = _planted(m=500, n=5, K=6, seed=4)
    _, noisy = _planted(m=500, n=5, K=6, seed=4, flip=3)
    T = np.hstack([T, noisy[: T.shape[0]]])
    verdicts = AutoLearner(lp_only_cells=0).check_layer(A, T)
    _assert_same_as_lp(A, T, verdicts)
    assert any(v.separable for v in verdicts) and any(v.separable is False for v in verdicts)


def test_registry_builds_every_cpu_learner_and_names_the_gpu_install_hint():
    assert [make_learner(name).name for name in ("auto", "numba", "numpy")] == ["auto", "numba", "numpy"]
    try:
        load_cupy()
    except ImportError:
        with pytest.raises(ImportError, match=GPU_INSTALL_HINT.replace("[", "\\[").replace("]", "\\]")):
            make_learner("cupy")
    with pytest.raises(ValueError, match="auto, cupy, lp, numba, numpy"):
        make_learner("simplex")


# -- GPU -------------------------------------------------------------------------------------
@pytest.mark.gpu
def test_cupy_kernel_equals_the_numpy_reference_on_exact_inputs():
    cp = _cupy_or_skip()
    rng = np.random.default_rng(6)
    for m, d, K, chunk in [(37, 3, 5, 4), (1000, 17, 40, 63), (5000, 65, 64, 313)]:
        X = rng.integers(-3, 4, size=(m, d)).astype(np.float64)
        T = rng.choice(np.array([-1, 1], dtype=np.int8), size=(m, K))
        W_host, W_device = np.zeros((d, K)), cp.zeros((d, K))
        counts_host = perceptron_xp.run_epochs(np, X, T, W_host, 3, chunk, 0.0)
        counts_device = perceptron_xp.run_epochs(cp, cp.asarray(X), cp.asarray(T), W_device, 3, chunk, 0.0)
        np.testing.assert_array_equal(counts_host, counts_device)
        np.testing.assert_array_equal(W_host, cp.asnumpy(W_device))


@pytest.mark.gpu
@settings(max_examples=30, deadline=None)
@given(instance=layers())
def test_cupy_verdicts_are_sound_on_random_layers(instance):
    _cupy_or_skip()
    A, T = instance
    verdicts = PerceptronLearner(backend="cupy").check_layer(A, T)
    _assert_sound(A, T, verdicts, LPLearner().check_layer(A, T))


@pytest.mark.gpu
def test_cupy_and_auto_cupy_on_planted_targets():
    _cupy_or_skip()
    A, T = _planted(m=3000, n=8, K=16, seed=7)
    run = PerceptronLearner(backend="cupy").train(A, T)
    assert all(v.separable for v in run.verdicts), run.outcome
    _assert_same_as_lp(A, T, AutoLearner(backend="cupy").check_layer(A, T))


# -- the benchmark -----------------------------------------------------------------------------
def test_benchmark_problems_have_the_promised_kind():
    for kind in kernels.TARGET_KINDS:
        A, T = kernels.make_problem(kernels.Config(m=400, n=4, K=6, targets=kind), seed=1)
        assert [v.separable for v in LPLearner().check_layer(A, T)] == [kind == "separable"] * 6


def test_bench_kernels_prints_one_json_object(monkeypatch, capsys):
    monkeypatch.setattr(kernels, "grid", lambda quick: [kernels.Config(300, 3, 4, k) for k in kernels.TARGET_KINDS])
    args = argparse.Namespace(quick=True, json=True, backends=["numba", "numpy", "auto", "lp"], unit_budget=0.2, repeats=1)
    assert bench_kernels.run(args) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["rows"]
    assert {r["backend"] for r in rows} == {"numba", "numpy", "auto", "lp"}
    for row in rows:
        assert {"backend", "m", "n", "K", "targets", "checks_per_second", "ratio_to_lp"} <= set(row)
        assert row["wrong"] == 0
    assert any("extrapolated" in note for note in report["notes"])


def test_bench_kernels_rejects_unknown_back_ends(capsys):
    with pytest.raises(SystemExit) as exc:
        bench_kernels.main(["--backends", "numba,fortran"])
    assert exc.value.code == 2
    assert "choose from: numba" in capsys.readouterr().err


def test_auto_sends_small_layers_straight_to_the_lp():
    A, T = _planted(m=50, n=3, K=2, seed=1)
    verdicts = AutoLearner().check_layer(A, T)
    _assert_same_as_lp(A, T, verdicts)
    assert AutoLearner().lp_only_cells >= A.shape[0] * T.shape[1]
