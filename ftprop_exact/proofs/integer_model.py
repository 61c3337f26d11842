"""The whole-network CP-SAT model over integer weights (domains ``ternary`` and ``int:K``).

Every weight of every layer, the first included, is an integer variable ``|w| <= K``; every
bias an integer variable within the range that loses nothing (:func:`ftprop_exact.weights.bias_bound`);
every hidden unit's output on every distinct row a Boolean reified on ``z > 0``. The first
layer reads the features times one common integer ``D`` (:func:`ftprop_exact.weights.integer_inputs`),
so its pre-activation ``w . (D x) + D b`` is an integer and ``z > 0`` iff ``z >= 1``. Later
layers read the previous outputs (+-1 for sign units, 0/1 for step units); the product of
an integer weight and an output literal is an integer variable fixed by enforcement
literals (``q = w`` if the output is +1, ``q = -w`` (sign) or ``0`` (step) otherwise), which
is exact. The output layer must give every row its label.

Symmetry breaking (sound for every domain): the units of a hidden layer are interchangeable
(with the next layer's weights permuted alike; every weight has the same domain and the
non-zero count is unchanged), so their output columns are ordered (non-increasing) on the
binary number formed by a prefix of rows. Negating a unit is *not* a symmetry here (``z > 0``
becomes ``z < 0``, and with integer biases on scaled inputs the shift to ``z <= 0`` is not
available), so nothing is fixed for it.

The model is the proof of :mod:`ftprop_exact.proofs.integer`: a checker rebuilds it from the
data and the claim alone and solves it again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from ftprop_exact import progress
from ftprop_exact.budget import check_interrupt
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.master import LEX_PREFIX_MAX, solve_in_thread
from ftprop_exact.weights import WeightDomain, bias_bound, integer_inputs

__all__ = ["IntegerModel", "IntegerSolution", "integer_model_items"]


def integer_model_items(n_rows: int, widths: tuple[int, ...]) -> int:
    """Model items (variables and constraints, roughly) of the model for these widths.

    ``widths`` is ``(n, *hidden, k)``: the first layer costs a reified linear constraint per
    row and unit (its terms counted), each later layer a product (three items) per row,
    unit and input.
    """
    items = n_rows * widths[1] * (widths[0] + 3)
    for d in range(1, len(widths) - 1):
        items += n_rows * widths[d + 1] * (3 * widths[d] + 2)
    return int(items)


@dataclass(frozen=True)
class IntegerSolution:
    """Outcome of one solve of an :class:`IntegerModel`.

    Attributes
    ----------
    status : {"FEASIBLE", "INFEASIBLE", "UNKNOWN"}
    layers : list of (ndarray, ndarray) or None
        Integer weights ``(units, inputs)`` and biases of every layer, in the units of the
        data as given (the first layer's bias is the original bias, not ``D`` times it).
    nonzero : int or None
        Non-zero weights of the solution (biases not counted).
    optimal : bool
        Minimising weights: the count is proven minimal (always True otherwise, when found).
    bound : int or None
        Minimising weights: CP-SAT's proven lower bound on the count.
    """

    status: str
    layers: list[tuple[np.ndarray, np.ndarray]] | None = None
    nonzero: int | None = None
    optimal: bool = False
    bound: int | None = None


class IntegerModel:
    """CP-SAT model of every network of a problem's architecture in an integer weight domain.

    Parameters
    ----------
    problem : Problem
        Distinct rows, targets, hidden widths and activation.
    domain : WeightDomain
        An integer domain (ternary or int:K).
    minimise_weights : bool, default=False
        Add the objective "fewest non-zero weights".
    max_nonzero : int, optional
        Allow at most this many non-zero weights (re-checking a min_weight bound).

    Raises
    ------
    ValueError
        For a real domain.
    DataError
        When the features cannot be scaled to integers small enough for CP-SAT.
    """

    def __init__(
        self, problem: Problem, domain: WeightDomain, minimise_weights: bool = False, max_nonzero: int | None = None
    ) -> None:
        if not domain.integer:
            raise ValueError(f"the integer model needs an integer weight domain, not {domain.name!r}")
        self.problem, self.domain = problem, domain
        self.model = cp_model.CpModel()
        self.inputs = integer_inputs(problem.X, domain.bound)
        self.weights: list[list[list[cp_model.IntVar]]] = []
        self.biases: list[list[cp_model.IntVar]] = []
        self.outputs: list[list[list[cp_model.IntVar]]] = []  # hidden layers: [row][unit] literals
        self.products: list[tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntVar]] = []  # (q, w, s)
        widths = problem.widths
        for d in range(len(widths) - 1):
            self._add_layer(d, widths[d], widths[d + 1])
        self._break_symmetry()
        self.nonzero: list[cp_model.IntVar] = []
        if minimise_weights or max_nonzero is not None:
            self._count_nonzero()
            if max_nonzero is not None:
                self.model.add(sum(self.nonzero) <= int(max_nonzero))
            if minimise_weights:
                self.model.minimize(sum(self.nonzero))

    # -- building ---------------------------------------------------------------------------
    def _add_layer(self, d: int, fan_in: int, width: int) -> None:
        K = self.domain.bound
        assert K is not None
        last = d == len(self.problem.hidden)
        scale = self.inputs.scale if d == 0 else 1
        max_dot = K * (self.inputs.l1_max if d == 0 else fan_in)
        bias_limit = bias_bound(max_dot, scale)
        W = [[self.model.new_int_var(-K, K, f"w{d + 1}_{j}_{p}") for p in range(fan_in)] for j in range(width)]
        b = [self.model.new_int_var(-bias_limit, bias_limit, f"b{d + 1}_{j}") for j in range(width)]
        self.weights.append(W)
        self.biases.append(b)
        outputs = [] if last else [[self.model.new_bool_var(f"h{d + 1}_{i}_{j}") for j in range(width)] for i in range(self.problem.n_rows)]
        for i in range(self.problem.n_rows):
            check_interrupt()  # a large model takes seconds to build
            terms = self._input_terms(d, i, fan_in)
            for j in range(width):
                z = scale * b[j] + sum(term(W[j][p]) for p, term in terms)
                if last:
                    if self.problem.Y[i, j] > 0:
                        self.model.add(z >= 1)
                    else:
                        self.model.add(z <= 0)
                else:
                    self.model.add(z >= 1).only_enforce_if(outputs[i][j])
                    self.model.add(z <= 0).only_enforce_if(~outputs[i][j])
        if not last:
            self.outputs.append(outputs)

    def _input_terms(self, d: int, i: int, fan_in: int) -> list[tuple[int, object]]:
        """Row ``i``'s inputs to layer ``d`` as ``(p, weight -> term)`` pairs (zero inputs left out)."""
        if d == 0:
            row = self.inputs.values[i]
            return [(p, lambda w, c=row[p]: c * w) for p in range(fan_in) if row[p] != 0]
        h = self.outputs[d - 1][i]
        return [(p, lambda w, s=h[p]: self._product(w, s)) for p in range(fan_in)]

    def _product(self, w: cp_model.IntVar, s: cp_model.IntVar) -> cp_model.IntVar:
        """``w`` times the input of literal ``s``: +1 if true, else -1 (sign) or 0 (step)."""
        K = self.domain.bound
        q = self.model.new_int_var(-K, K, "")
        self.model.add(q == w).only_enforce_if(s)
        self.model.add(q == (-w if self.problem.activation == "sign" else 0)).only_enforce_if(~s)
        self.products.append((q, w, s))
        return q

    def _break_symmetry(self) -> None:
        """Order the output columns of every hidden layer on a prefix of rows (see the module doc)."""
        prefix = min(self.problem.n_rows, LEX_PREFIX_MAX)
        for layer in self.outputs:
            keys = [sum((1 << (prefix - 1 - i)) * layer[i][j] for i in range(prefix)) for j in range(len(layer[0]))]
            for j in range(len(keys) - 1):
                self.model.add(keys[j] >= keys[j + 1])

    def _count_nonzero(self) -> None:
        for W in self.weights:
            for row in W:
                for w in row:
                    nz = self.model.new_bool_var("")
                    self.model.add(w == 0).only_enforce_if(~nz)
                    self.nonzero.append(nz)

    # -- solving ----------------------------------------------------------------------------
    @progress.in_phase("cp-sat integer")
    def solve(self, time_limit: float, threads: int = 1, seed: int = 0) -> IntegerSolution:
        """Solve within ``time_limit`` seconds (stopped early when the deadline in force passes)."""
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, float(time_limit))
        solver.parameters.num_workers = max(1, int(threads))
        solver.parameters.random_seed = int(seed)
        solver.parameters.catch_sigint_signal = False  # signals stay with Python (see master.solve)
        status = solve_in_thread(solver, self.model)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the integer model: {self.model.validate()}")
        if status == cp_model.INFEASIBLE:
            return IntegerSolution("INFEASIBLE", optimal=True)
        minimising = bool(self.nonzero) and self.model.has_objective()
        bound = int(math.ceil(solver.best_objective_bound - 1e-6)) if minimising else None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return IntegerSolution("UNKNOWN", bound=bound)
        layers = [
            (
                np.array([[solver.value(w) for w in row] for row in W], dtype=np.float64),
                np.array([solver.value(v) for v in b], dtype=np.float64),
            )
            for W, b in zip(self.weights, self.biases)
        ]
        nonzero = int(sum(int(np.count_nonzero(W)) for W, _ in layers))
        optimal = status == cp_model.OPTIMAL or not minimising
        return IntegerSolution("FEASIBLE", layers, nonzero, optimal, bound)

    def add_hint(self, layers: list[tuple[np.ndarray, np.ndarray]], hidden: list[np.ndarray]) -> None:
        """Start CP-SAT from a network of the domain: its integer weights and biases, and its
        hidden outputs ``hidden[d]`` (rows x units, True for +1) on the distinct rows."""
        values: dict[int, int] = {}
        for (W, b), Wv, bv in zip(layers, self.weights, self.biases):
            for row, numbers in zip(Wv, np.asarray(W)):
                values.update((var.index, int(round(float(x)))) for var, x in zip(row, numbers))
            values.update((var.index, int(round(float(x)))) for var, x in zip(bv, np.asarray(b)))
        for layer, H in zip(self.outputs, hidden):
            for row, flags in zip(layer, np.asarray(H)):
                values.update((var.index, int(bool(x))) for var, x in zip(row, flags))
        off = -1 if self.problem.activation == "sign" else 0
        for q, w, s in self.products:
            values[q.index] = values[w.index] * (1 if values[s.index] else off)
        variables = [v for W in self.weights for row in W for v in row] + [v for b in self.biases for v in b]
        variables += [v for layer in self.outputs for row in layer for v in row] + [q for q, _, _ in self.products]
        for var in variables:
            self.model.add_hint(var, values[var.index])
