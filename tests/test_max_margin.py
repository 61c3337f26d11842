"""objective="max_margin": hard-margin units (verified, at least the feasibility fit's margin), start targets, reports."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from ftprop_exact import Status, solve
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import verified_separator
from ftprop_exact.solvers.learners.lp import LPLearner
from ftprop_exact.solvers.objectives.margin import hard_margin_separator, network_margins
from ftprop_exact.solvers.objectives.margin_start import margin_start_targets
from searcher_contract import planted


def separable(seed: int, m: int = 30, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Random points labelled by a random hyperplane, with a gap around it."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=n)
    X = rng.normal(size=(4 * m, n)) * rng.uniform(0.5, 4.0, size=n)
    b = -float(np.quantile(X @ w, rng.uniform(0.3, 0.7)))  # both classes present
    z = (X @ w + b) / np.linalg.norm(w)
    keep = np.flatnonzero(np.abs(z) > 0.1)[:m]
    return X[keep], np.where(z[keep] > 0, 1, -1)


def reference_margin(X: np.ndarray, t: np.ndarray) -> float:
    """The hard-margin SVM's geometric margin by an independent QP (SLSQP): min |w|^2, t(Xw + b) >= 1."""
    n = X.shape[1]
    constraints = {"type": "ineq", "fun": lambda v: t * (X @ v[:n] + v[n]) - 1.0, "jac": lambda v: t[:, None] * np.hstack([X, np.ones((X.shape[0], 1))])}
    start = LPLearner(max_margin=False).check(X, t)
    scale = 1.0 / np.min(t * (X @ start.weights + start.bias))
    v0 = np.append(start.weights, start.bias) * scale
    res = minimize(lambda v: v[:n] @ v[:n], v0, jac=lambda v: np.append(2 * v[:n], 0.0), constraints=[constraints], method="SLSQP", options={"maxiter": 500, "ftol": 1e-12})
    w, b = res.x[:n], res.x[n]
    return float(np.min(t * (X @ w + b)) / np.linalg.norm(w))


@pytest.mark.parametrize("seed", range(6))
def test_hard_margin_separator_is_verified_and_largest(seed):
    X, t = separable(seed)
    assert set(t.tolist()) == {-1, 1}
    verdict = hard_margin_separator(X, t)
    assert verdict is not None and verdict.separable is True
    again = verified_separator(X, t, verdict.weights, verdict.bias)  # independent re-check
    assert again is not None and again.margin == pytest.approx(verdict.margin)
    assert np.min(t * (X @ verdict.weights + verdict.bias)) == pytest.approx(1.0, rel=1e-9)  # canonical form
    for feasibility in (LPLearner(max_margin=False), LPLearner(max_margin=True)):
        other = feasibility.check(X, t)
        assert other.separable and verdict.margin >= other.margin * (1 - 1e-5)
    assert verdict.margin == pytest.approx(reference_margin(X, t), rel=1e-3)


def test_hard_margin_separator_refuses_inseparable_and_handles_constant_targets():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert hard_margin_separator(X, np.array([-1, 1, 1, -1])) is None  # XOR: nothing verifies
    constant = hard_margin_separator(X, np.ones(4, dtype=int))
    assert constant.separable and constant.margin == np.inf


def test_single_layer_max_margin_beats_the_feasibility_fit():
    X, t = separable(7, m=40)
    plain = solve(X, t, hidden=(), objective="feasibility", searcher="cpsat", time_limit=30)
    wide = solve(X, t, hidden=(), objective="max_margin", searcher="cpsat", time_limit=30)
    assert plain.status is wide.status is Status.FEASIBLE
    assert wide.network.verify(X, np.where(t > 0, 1, -1)).ok
    margin = wide.stats["margins"][0][0]
    assert margin == pytest.approx(reference_margin(X, t), rel=1e-3)
    assert margin >= network_margins(plain.network, X)[0][0] * (1 - 1e-6)
    assert wide.stats["min_margin"] == [margin]


def test_hidden_layers_every_unit_refitted_and_reported():
    data = planted(4, 120, (3,), 5)
    result = solve(data, hidden=(4,), objective="max_margin", time_limit=60, random_state=0)
    assert result.status is Status.FEASIBLE and result.network.verify(data.X, data.Y).ok
    margins = result.stats["margins"]
    assert [len(layer) for layer in margins] == [4, 1]
    assert result.stats["margin_start"] in ("fits", "searched")
    assert margins == network_margins(result.network, Problem.build(data, (4,)).X)
    # every unit is at least as wide as the maximum-margin separator of its own targets allows
    codes = np.where(result.network.forward(data.X)[0] > 0, 1, -1)
    for j in range(4):
        best = hard_margin_separator(data.X, codes[:, j])
        if margins[0][j] is not None:
            assert margins[0][j] == pytest.approx(best.margin, rel=1e-3)


def test_xor_needs_the_search_after_the_start():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    result = solve(X, y, hidden=(2,), objective="max_margin", time_limit=30)
    assert result.status is Status.FEASIBLE and result.stats["margin_start"] == "searched"
    assert result.network.predict(X).tolist() == y.tolist()


def test_start_targets_copy_the_linear_separators():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.2, size=(10, 2)) for c in ((0, 0), (4, 0), (0, 4))])
    y = np.repeat([0, 1, 2], 10)
    from ftprop_exact.data import make_dataset

    problem = Problem.build(make_dataset(X, y), (5, 2))
    first, second = margin_start_targets(problem)
    assert first.shape == (30, 5) and second.shape == (30, 2)
    for c in range(3):  # one class-against-the-rest unit per class, exact on separable blobs
        assert np.array_equal(first[:, c], problem.Y[:, c])
    assert np.array_equal(second, first[:, :2])  # deeper layers copy the layer below


def test_unknown_objective_names_the_choices():
    with pytest.raises(ValueError, match="max_margin"):
        solve(np.eye(2), [0, 1], hidden=(), objective="widest")
