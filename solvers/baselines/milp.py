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
        First-layer margin on scaled inputs.
    """

    name = "milp"
    capabilities = Capabilities()  # its infeasibility holds only within its margin and weight box: no proof

    def __init__(self, epsilon: float = 1e-3) -> None:
        self.epsilon = epsilon

    def search(
        self,
        problem: Problem,
        learner: SeparabilityLearner,
        deadline: Deadline,
        incumbent: Incumbent,
        rng: np.random.Generator,
    ) -> SearchOutcome:
        """Build and solve the MILP once within the deadline."""
        X = np.asarray(problem.X, dtype=np.float64)
        scale = power_of_two_scale(X)
        S = X / scale
        b = _Builder()
        u, n = S.shape
        refusal = _size_refusal(u, n, (*problem.hidden, problem.Y.shape[1]), deadline)
        if refusal is not None:  # the Python model build can neither be stopped nor shrunk
            return SearchOutcome(Status.UNKNOWN, stats={"milp_refused": refusal})
        eps = self.epsilon
        big_b = float(np.abs(S).sum(axis=1).max()) + 1.0
        big_m = 2 * big_b + eps
        widths = (n, *problem.hidden, problem.Y.shape[1])
        # layer 1: real weights, binary activations linked by big-M
        w1 = [[b.var(-1.0, 1.0) for _ in range(n)] for _ in range(widths[1])]
        b1 = [b.var(-big_b, big_b) for _ in range(widths[1])]
        act = [[b.var(0, 1, True) for _ in range(widths[1])] for _ in range(u)]
        for i in range(u):
            check_interrupt()  # building a large model takes seconds
            for j in range(widths[1]):
                z = {w1[j][p]: float(S[i, p]) for p in range(n)}
                z[b1[j]] = 1.0
                b.add({**z, act[i][j]: -big_m}, eps - big_m, np.inf)  # h=1 -> z >= eps
                b.add({**z, act[i][j]: -big_m}, -np.inf, -eps)  # h=0 -> z <= -eps
        weights_vars = [(w1, b1)]
        for d in range(1, len(widths) - 1):
            bound = muroga_bound(widths[d])
            W = [[b.var(-bound, bound, True) for _ in range(widths[d])] for _ in range(widths[d + 1])]
            bias = [b.var(-bound, bound, True) for _ in range(widths[d + 1])]
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
                    big = (widths[d] + 1) * bound + 1
                    if is_output:
                        t = float(problem.Y[i, j])
                        b.add({k: t * v for k, v in z.items()}, 1, np.inf)
                    else:
                        g = nxt[i][j]
                        b.add({**z, g: -big}, 1 - big, np.inf)  # g=1 -> z >= 1
                        b.add({**z, g: -big}, -np.inf, -1)  # g=0 -> z <= -1
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
            if d == 0:
                Wv = Wv / scale
            else:
                Wv, bv = np.round(Wv), np.round(bv)
            layers.append(Layer(Wv, bv, problem.activation if problem.activation == "sign" else "sign"))
        network = ThresholdNetwork(tuple(layers), classes=problem.data.classes)
        if problem.activation == "step":
            network = _sign_to_step(network)
        incumbent.offer(network)
        return SearchOutcome(Status.FEASIBLE if incumbent.exact else Status.UNKNOWN, stats=stats)


def _sign_to_step(network: ThresholdNetwork) -> ThresholdNetwork:
    """Re-encode a sign network for 0/1 hidden activations: s = 2h - 1 (exact for integer weights)."""
    layers = [Layer(network.layers[0].weights, network.layers[0].bias, "step")]
    for layer in network.layers[1:]:
        W = layer.weights
        layers.append(Layer(2 * W, layer.bias - W.sum(axis=1), "step"))
    return ThresholdNetwork(tuple(layers), classes=network.classes)
