"""Baseline: the whole-network big-M MILP of existing exact trainers (HiGHS via scipy).

This is how Toro Icarte et al. (2019) and successors train sign networks exactly: one
mixed-integer program over all weights and all activations at once. Layer 1 has real
weights ``|w| <= 1`` on power-of-two scaled inputs and a big-M link to binary activations
with a margin ``epsilon``; deeper layers read +-1 activations and have integer weights
within the Muroga bounds, their products with activations linearised.

Because of ``epsilon`` and the weight box, an infeasible MILP does NOT prove that no network
exists (a separator may need a smaller margin): the baseline answers FEASIBLE (with a
verified network) or UNKNOWN, and records ``claimed_infeasible`` in its stats so that
benchmarks can count (and check) such claims.

With an integer weight domain (``weights="ternary"`` or ``"int:K"``) every weight of every
layer is an integer variable ``|w| <= K`` and every bias an integer within the lossless range
(:func:`ftprop_exact.weights.bias_bound`); the first layer reads the features times their
common integer scale (:func:`ftprop_exact.weights.integer_inputs`), so ``z > 0`` becomes
``z >= 1`` and the margins are exact: the same networks as the ``cpsat-int`` model, for
comparing the two at the same time limit. Its infeasibility is still not a proof (HiGHS
works in floating point).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint
from scipy.sparse import coo_matrix

from ftprop_exact.budget import Deadline, check_interrupt
from ftprop_exact.memory import MemoryLimitError, check_allocation
from ftprop_exact.network import Layer, ThresholdNetwork
from ftprop_exact.problem import Problem
from ftprop_exact.solvers.learners.base import SeparabilityLearner
from ftprop_exact.proofs.master import muroga_bound
from ftprop_exact.solvers.learners.highs import milp
from ftprop_exact.solvers.learners.lp import power_of_two_scale
from ftprop_exact.solvers.search_base import Capabilities, Incumbent, SearchOutcome
from ftprop_exact.status import Status
from ftprop_exact.weights import WeightDomain, bias_bound, integer_inputs, parse_weights



class _Builder:
    """Accumulates variables and sparse linear constraints for ``scipy.optimize.milp``."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def var(self, lo: float, hi: float, integer: bool = False) -> int:
        self.lower.append(lo)
        self.upper.append(hi)
        self.integer.append(int(integer))
        return len(self.lower) - 1

    def add(self, coefs: dict[int, float], lo: float, hi: float) -> None:
        self.rows.append((coefs, lo, hi))

    def solve(self, time_limit: float) -> Any:
        data, rr, cc = [], [], []
        for r, (coefs, _, _) in enumerate(self.rows):
            for c, v in coefs.items():
                rr.append(r)
                cc.append(c)
                data.append(v)
        n = len(self.lower)
        matrix = coo_matrix((data, (rr, cc)), shape=(len(self.rows), n)).tocsr()
        constraint = LinearConstraint(matrix, [lo for _, lo, _ in self.rows], [hi for _, _, hi in self.rows])
        return milp(
            np.zeros(n),
            constraints=constraint,
            integrality=np.array(self.integer),
            bounds=Bounds(np.array(self.lower), np.array(self.upper)),
            options={"time_limit": max(0.01, time_limit), "disp": False},
        )


MILP_BYTES_PER_ENTRY = 120.0
"""Resident bytes per constraint-matrix entry while the model is built (measured: ~100)."""

MILP_ENTRIES_PER_SECOND = 2.0e6
"""Constraint-matrix entries the Python model build writes per second (measured: ~2.5e6)."""


def milp_entries(u: int, n: int, widths: tuple[int, ...]) -> int:
    """Constraint-matrix entries of the big-M model: the first layer's two rows per unit and
    example, then per later unit and example four rows per product and two margin rows."""
    entries = 2 * u * widths[0] * (n + 2)
    for d in range(1, len(widths)):
        entries += u * widths[d] * (12 * widths[d - 1] + 2 * (widths[d - 1] + 2))
    return int(entries)


def _size_refusal(u: int, n: int, widths: tuple[int, ...], deadline: Deadline) -> str | None:
    """Why the model should not be built now (too slow for the time left, or too large), or None."""
    entries = milp_entries(u, n, widths)
    seconds = entries / MILP_ENTRIES_PER_SECOND
    if seconds > 0.5 * deadline.remaining():
        return f"building the model ({entries} entries) would take about {seconds:.1f} s of {deadline.remaining():.1f} s left"
    try:
        check_allocation(deadline, entries * MILP_BYTES_PER_ENTRY, "the MILP model")
    except MemoryLimitError as exc:
        return str(exc)
    return None


class MILPSearcher:
    """Whole-network big-M MILP baseline (finds networks; its infeasibility is not a proof).

    Parameters
    ----------
    epsilon : float, default=1e-3
        First-layer margin on scaled inputs (real weights).
    weights : {"real", "ternary", "int:K"}, default="real"
        Weight domain: integer domains make every weight an integer variable (see the module doc).
    """

    name = "milp"
    # its infeasibility holds only within its margin and weight box (and HiGHS's tolerances): no proof
    capabilities = Capabilities(weights=("real", "ternary", "int"))

    def __init__(self, epsilon: float = 1e-3, weights: str = "real") -> None:
        self.epsilon = epsilon
        self.domain = parse_weights(weights)

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Build and solve the MILP once within the deadline."""
        if problem.weights != self.domain.name:
            raise ValueError(f"the problem asks for {problem.weights} weights; this searcher was built for {self.domain.name}")
        b = _Builder()
        u, n = problem.X.shape
        refusal = _size_refusal(u, n, (*problem.hidden, problem.Y.shape[1]), deadline)
        if refusal is not None:  # the Python model build can neither be stopped nor shrunk
            return SearchOutcome(Status.UNKNOWN, stats={"milp_refused": refusal})
        integer = self.domain.integer
        if integer and problem.activation == "step":
            raise ValueError("the MILP baseline models integer weights for sign units only")
        first = _integer_first_layer if integer else _real_first_layer
        w1, b1, act, scale = first(b, problem, self.domain, self.epsilon)
        widths = (n, *problem.hidden, problem.Y.shape[1])
        weights_vars = [(w1, b1)]
        for d in range(1, len(widths) - 1):
            bound = self.domain.bound if integer else muroga_bound(widths[d])
            bias_limit = bias_bound(bound * widths[d], 1) if integer else bound
            low = 0 if integer else -1  # the pre-activation of a -1 output: z <= 0 exactly, or z <= -1 (Muroga)
            W = [[b.var(-bound, bound, True) for _ in range(widths[d])] for _ in range(widths[d + 1])]
            bias = [b.var(-bias_limit, bias_limit, True) for _ in range(widths[d + 1])]
            is_output = d == len(widths) - 2
            nxt = None if is_output else [[b.var(0, 1, True) for _ in range(widths[d + 1])] for _ in range(u)]
            for i in range(u):
                check_interrupt()
                for j in range(widths[d + 1]):
                    z: dict[int, float] = {bias[j]: 1.0}
                    for p in range(widths[d]):
                        q = b.var(-bound, bound, True)
                        h, w = act[i][p], W[j][p]
                        # q = w * (2h - 1): |q - w| <= 2B(1 - h), |q + w| <= 2B h
                        b.add({q: 1, w: -1, h: 2 * bound}, -np.inf, 2 * bound)
                        b.add({q: 1, w: -1, h: -2 * bound}, -2 * bound, np.inf)
                        b.add({q: 1, w: 1, h: -2 * bound}, -np.inf, 0)
                        b.add({q: 1, w: 1, h: 2 * bound}, 0, np.inf)
                        z[q] = 1.0
                    big = widths[d] * bound + bias_limit + 1
                    if is_output and problem.Y[i, j] > 0:
                        b.add(z, 1, np.inf)
                    elif is_output:
                        b.add(z, -np.inf, low)
                    else:
                        g = nxt[i][j]
                        b.add({**z, g: -big}, 1 - big, np.inf)  # g=1 -> z >= 1
                        b.add({**z, g: -big}, -np.inf, low)  # g=0 -> z <= low
            weights_vars.append((W, bias))
            if nxt is not None:
                act = nxt
        if deadline.expired():  # building a large model can take the whole budget
            return SearchOutcome(Status.UNKNOWN, stats={"variables": len(b.lower), "constraints": len(b.rows)})
        res = b.solve(deadline.remaining())
        stats: dict[str, Any] = {"milp_status": int(res.status), "variables": len(b.lower), "constraints": len(b.rows)}
        if res.x is None:
            if res.status == 2:  # infeasible: only within the margin and weight box
                stats["claimed_infeasible"] = True
            return SearchOutcome(Status.UNKNOWN, stats=stats)
        layers = []
        for d, (W, bias) in enumerate(weights_vars):
            Wv = np.array([[res.x[v] for v in row] for row in W])
            bv = np.array([res.x[v] for v in bias])
            if d == 0 and not integer:
                Wv = Wv / scale
            else:
                Wv, bv = np.round(Wv), np.round(bv)
            layers.append(Layer(Wv, bv, problem.activation if problem.activation == "sign" else "sign"))
        network = ThresholdNetwork(tuple(layers), classes=problem.data.classes)
        if problem.activation == "step":
            network = _sign_to_step(network)
        incumbent.offer(network)
        return SearchOutcome(Status.FEASIBLE if incumbent.exact else Status.UNKNOWN, stats=stats)


def _real_first_layer(b: _Builder, problem: Problem, domain: WeightDomain, eps: float) -> tuple[list, list, list, float]:
    """Layer 1 with real weights ``|w| <= 1`` on power-of-two scaled inputs, big-M linked to binary
    activations with margin ``eps``; returns its weight, bias and activation variables and the scale."""
    X = np.asarray(problem.X, dtype=np.float64)
    scale = power_of_two_scale(X)
    S = X / scale
    u, n = S.shape
    big_b = float(np.abs(S).sum(axis=1).max()) + 1.0
    big_m = 2 * big_b + eps
    width = problem.widths[1]
    w1 = [[b.var(-1.0, 1.0) for _ in range(n)] for _ in range(width)]
    b1 = [b.var(-big_b, big_b) for _ in range(width)]
    act = [[b.var(0, 1, True) for _ in range(width)] for _ in range(u)]
    for i in range(u):
        check_interrupt()  # building a large model takes seconds
        for j in range(width):
            z = {w1[j][p]: float(S[i, p]) for p in range(n)}
            z[b1[j]] = 1.0
            b.add({**z, act[i][j]: -big_m}, eps - big_m, np.inf)  # h=1 -> z >= eps
            b.add({**z, act[i][j]: -big_m}, -np.inf, -eps)  # h=0 -> z <= -eps
    return w1, b1, act, scale


def _integer_first_layer(b: _Builder, problem: Problem, domain: WeightDomain, eps: float) -> tuple[list, list, list, float]:
    """Layer 1 with integer weights ``|w| <= K`` and integer biases on the exactly scaled inputs
    ``D x``: ``h = 1`` iff ``w . (D x) + D b >= 1``, else ``<= 0`` (``eps`` is not needed)."""
    K = domain.bound
    inputs = integer_inputs(problem.X, K)
    scale = inputs.scale
    bias_limit = bias_bound(K * inputs.l1_max, scale)
    big_m = float(K * inputs.l1_max + scale * bias_limit + 1)
    width = problem.widths[1]
    n = problem.X.shape[1]
    w1 = [[b.var(-K, K, True) for _ in range(n)] for _ in range(width)]
    b1 = [b.var(-bias_limit, bias_limit, True) for _ in range(width)]
    act = [[b.var(0, 1, True) for _ in range(width)] for _ in range(problem.n_rows)]
    is_output = not problem.hidden
    for i, row in enumerate(inputs.values):
        check_interrupt()  # building a large model takes seconds
        for j in range(width):
            z = {w1[j][p]: float(row[p]) for p in range(n) if row[p] != 0}
            z[b1[j]] = float(scale)
            if is_output and problem.Y[i, j] > 0:
                b.add(z, 1, np.inf)
            elif is_output:
                b.add(z, -np.inf, 0)
            else:
                b.add({**z, act[i][j]: -big_m}, 1 - big_m, np.inf)  # h=1 -> z >= 1
                b.add({**z, act[i][j]: -big_m}, -np.inf, 0)  # h=0 -> z <= 0
    return w1, b1, act, 1.0


def _sign_to_step(network: ThresholdNetwork) -> ThresholdNetwork:
    """Re-encode a sign network for 0/1 hidden activations: s = 2h - 1 (exact for integer weights)."""
    layers = [Layer(network.layers[0].weights, network.layers[0].bias, "step")]
    for layer in network.layers[1:]:
        W = layer.weights
        layers.append(Layer(2 * W, layer.bias - W.sum(axis=1), "step"))
    return ThresholdNetwork(tuple(layers), classes=network.classes)
