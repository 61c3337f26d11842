"""The CP-SAT master model over hidden targets (logic-based Benders decomposition).

Variables: one Boolean per (distinct row, hidden unit): its target (+1 iff true).

Every layer whose inputs are +-1 values (all layers but the first, and the first too when
every input column takes only two values) is modelled EXACTLY with integer weights:
a unit with fan-in ``k`` separates its targets iff integers ``|w_p| <= B(k)``, ``|b| <= B(k)``
give ``t_i (w . s_i + b) >= 1`` on every row, where ``B(k) = floor((k+1)^((k+1)/2) / 2^k)``
(Muroga's bound; the proof, by Cramer's rule, Hadamard's inequality and the divisibility of
+-1 determinants by ``2^k``, is in docs/exact_search.md). Products ``w_p * s_p`` of an integer
weight and a target literal become integer variables fixed by enforcement literals.

The first layer over real inputs is not modelled: the LP checks each proposed column and a
non-separable one becomes a cut (see :mod:`ftprop_exact.solvers.exact.cuts`) added for every unit.

Symmetry breaking that keeps proofs sound: each hidden unit may be negated together with its
outgoing weights, so its target on row 0 is fixed to +1; units of a layer are
interchangeable, so their columns are ordered (non-increasing) on the binary number formed by
a prefix of rows 1..R. Both hold for some optimal representative of every solution, and the
cuts are invariant under both, so the master stays equisatisfiable. When the data has flip or
swap symmetries, they are broken on unit 0 of layer 1 instead, which the two rules then skip;
equal-sum clauses on layer 1 are derived from the data too (:mod:`ftprop_exact.proofs.implied`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from ortools.sat.python import cp_model

from ftprop_exact import progress
from ftprop_exact.budget import check_interrupt, stop_requested
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.implied import (
    between_triples,
    canonical_unit_implications,
    data_symmetry,
    equal_sum_quads,
    exact_integer_inputs,
)
from ftprop_exact.proofs.must_differ import label_classes

LEX_PREFIX_MAX = 30  # rows in the unit-order key (the key must fit in an int64)


def muroga_bound(k: int) -> int:
    """``floor((k+1)^((k+1)/2) / 2^k)``: integer weights and bias of this size suffice.

    Examples
    --------
    >>> [muroga_bound(k) for k in (1, 2, 3, 4, 5, 6)]
    [1, 1, 2, 3, 6, 14]
    """
    if k < 0:
        raise ValueError("fan-in must be non-negative")
    return math.isqrt((k + 1) ** (k + 1) // 4**k)


def boolean_encoding(X: np.ndarray) -> np.ndarray | None:
    """The +-1 encoding of data whose every column takes at most two values, else None.

    Each column's smaller value maps to -1 and the larger to +1 (an affine map per column,
    which preserves linear separability); constant columns are dropped (they only shift
    the bias).
    """
    columns = []
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        if values.size > 2:
            return None
        if values.size == 2:
            columns.append(np.where(X[:, j] == values[1], 1, -1))
    if not columns:
        return np.zeros((X.shape[0], 0), dtype=np.int8)
    return np.stack(columns, axis=1).astype(np.int8)


@dataclass
class MasterSpec:
    """Everything needed to (re)build the master; part of every CP-SAT proof.

    Attributes
    ----------
    Y : ndarray of shape (u, k)
        Output targets of the distinct rows.
    hidden : tuple of int
        Hidden widths (at least one layer).
    weight_bounds : tuple of int
        Bound on |w| and |b| for each modelled layer, ``d = 0 .. L-1`` (entry 0 is used only
        when the first layer is modelled exactly).
    first_layer_inputs : ndarray of shape (u, n') or None
        +-1 encoded inputs when the first layer is modelled exactly; None for Benders cuts.
    lex_prefix : int
        Rows 1..lex_prefix order the units of each layer.
    cuts : list of (rows, signs)
        First-layer no-goods (row indices into the distinct rows).
    error_weights : ndarray of shape (u,) or None
        Minimising errors: a row may be misclassified at this cost (its multiplicity); the
        objective is the total cost. None: every row must be classified correctly.
    max_errors : int or None
        With ``error_weights``: the total cost may not exceed this (used to re-check a lower
        bound: the master with ``max_errors = bound - 1`` must be infeasible).
    must_differ : bool
        Add the distinct-code constraints: every two differently labelled rows get different
        codes from every hidden layer (implied by the claim when every row must be fitted).
    differ_pairs : list of (int, int)
        The same constraints for these pairs only (differently labelled rows; recorded in
        proofs, like the cuts).
    equal_sums : list of (int, int, int, int)
        Rows with ``x_i + x_j = x_k + x_l``: no first-layer unit is on at ``i, j`` and off at
        ``k, l``, nor the reverse (derived from the data, :mod:`ftprop_exact.proofs.implied`).
    betweens : list of (int, int, int)
        Row ``j`` strictly between rows ``i`` and ``k`` (``(i, j, k)``): a first-layer unit on
        (off) at both ends is on (off) at ``j`` (derived from the data).
    unit0_implications : list of (int, int)
        ``t_i -> t_j`` for first-layer unit 0: the data's flip/swap symmetry broken on that
        unit, which is then exempt from the negation and order symmetry breaking of layer 1.
    codes_only : bool
        Model only the first hidden layer (``hidden`` has one width) and give every two
        differently labelled rows different codes there, with no layer after it: a
        necessary condition for a network of any depth to fit every row
        (:func:`first_layer_codes_spec`).
    """

    Y: np.ndarray
    hidden: tuple[int, ...]
    weight_bounds: tuple[int, ...]
    first_layer_inputs: np.ndarray | None
    lex_prefix: int
    cuts: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    error_weights: np.ndarray | None = None
    max_errors: int | None = None
    must_differ: bool = False
    differ_pairs: list[tuple[int, int]] = field(default_factory=list)
    equal_sums: list[tuple[int, int, int, int]] = field(default_factory=list)
    betweens: list[tuple[int, int, int]] = field(default_factory=list)
    unit0_implications: list[tuple[int, int]] = field(default_factory=list)
    codes_only: bool = False

    @property
    def n_rows(self) -> int:
        """Number of distinct rows."""
        return int(self.Y.shape[0])


def default_weight_bounds(n_inputs: int, hidden: tuple[int, ...], max_weight: int | None) -> tuple[int, ...]:
    """Muroga bounds per layer (fan-in of layer d), capped by ``max_weight`` when given."""
    fan_in = (n_inputs, *hidden)
    bounds = [muroga_bound(k) for k in fan_in]
    if max_weight is not None:
        bounds = [min(b, max_weight) for b in bounds]
    return tuple(bounds)


class MasterModel:
    """The CP-SAT model of a :class:`MasterSpec`; cuts and hints can be added between solves."""

    def __init__(self, spec: MasterSpec) -> None:
        self.spec = spec
        self.model = cp_model.CpModel()
        u = spec.n_rows
        self.targets: list[list[list[cp_model.IntVar]]] = [
            [self._target_row(d, i, width) for i in range(u)] for d, width in enumerate(spec.hidden)
        ]
        self.errors: list[cp_model.IntVar] | None = None
        if spec.error_weights is not None:
            self.errors = [self.model.new_bool_var(f"error_{i}") for i in range(u)]
            cost = sum(int(c) * e for c, e in zip(spec.error_weights, self.errors))
            self.model.minimize(cost)
            if spec.max_errors is not None:
                self.model.add(cost <= spec.max_errors)
        self._break_symmetry()
        if spec.first_layer_inputs is not None:
            fixed = spec.first_layer_inputs
            self._add_layer(lambda i, p: int(fixed[i, p]), fixed.shape[1], 0)
        for d in range(1, 1 if spec.codes_only else len(spec.hidden) + 1):
            previous = self.targets[d - 1]
            self._add_layer(lambda i, p, prev=previous: prev[i][p], spec.hidden[d - 1], d)
        if spec.must_differ:
            for a, b in must_differ_pairs(spec.Y):
                check_interrupt()  # a large model takes seconds to build
                self._add_distinct_codes(a, b)
        for a, b in spec.differ_pairs:
            self._add_distinct_codes(a, b)
        for rows, signs in spec.cuts:
            self._add_cut_clauses(rows, signs)
        for quad in spec.equal_sums:
            check_interrupt()
            self._add_cut_clauses(quad, (1, 1, -1, -1))
        for i, j, k in spec.betweens:
            check_interrupt()
            self._add_cut_clauses((i, j, k), (1, -1, 1))
        first = self.targets[0]
        for i, j in spec.unit0_implications:
            self.model.add_implication(first[i][0], first[j][0])

    # -- construction ---------------------------------------------------------------------
    def _target_row(self, d: int, i: int, width: int) -> list[cp_model.IntVar]:
        """Row ``i``'s target literals of hidden layer ``d + 1``."""
        check_interrupt()  # large models take seconds to build
        return [self.model.new_bool_var(f"t{d + 1}_{i}_{j}") for j in range(width)]

    def _break_symmetry(self) -> None:
        prefix = self.spec.lex_prefix
        for d, layer in enumerate(self.targets):
            # with the data's symmetry broken on unit 0 of layer 1, that unit is left out here
            units = range(1 if d == 0 and self.spec.unit0_implications else 0, len(layer[0]))
            for j in units:
                self.model.add(layer[0][j] == 1)  # negation symmetry: row 0 carries +1
            if prefix <= 0:
                continue
            keys = [sum((1 << (prefix - k)) * layer[k][j] for k in range(1, prefix + 1)) for j in units]
            for j in range(len(keys) - 1):
                self.model.add(keys[j] >= keys[j + 1])  # permutation symmetry

    def _add_distinct_codes(self, a: int, b: int) -> None:
        """Rows ``a`` and ``b`` (differently labelled) differ in some unit of every hidden layer.

        A network maps rows with equal codes at layer ``d`` to equal outputs, so when every
        row must be classified correctly these constraints hold in every solution (implied
        constraints: they only prune). Literal ``diff`` implies ``t_a != t_b`` for one unit.
        """
        for layer in self.targets:
            diffs = []
            for j in range(len(layer[0])):
                diff = self.model.new_bool_var("")
                self.model.add_bool_or([layer[a][j], layer[b][j]]).only_enforce_if(diff)
                self.model.add_bool_or([~layer[a][j], ~layer[b][j]]).only_enforce_if(diff)
                diffs.append(diff)
            self.model.add_bool_or(diffs)

    def _unit_targets(self, d: int, j: int) -> Callable[[int], object]:
        """Row -> the unit's target: a literal for hidden layers, +-1 for the output layer."""
        if d < len(self.spec.hidden):
            layer = self.targets[d]
            return lambda i: layer[i][j]
        Y = self.spec.Y
        return lambda i: int(Y[i, j])

    def _add_layer(self, inputs: Callable[[int, int], object], fan_in: int, d: int) -> None:
        """Integer weights for every unit of layer ``d`` with +-1 inputs ``inputs(i, p)``."""
        bound = self.spec.weight_bounds[d]
        width = self.spec.hidden[d] if d < len(self.spec.hidden) else int(self.spec.Y.shape[1])
        for j in range(width):
            w = [self.model.new_int_var(-bound, bound, f"w{d + 1}_{j}_{p}") for p in range(fan_in)]
            b = self.model.new_int_var(-bound, bound, f"b{d + 1}_{j}")
            target = self._unit_targets(d, j)
            for i in range(self.spec.n_rows):
                check_interrupt()  # large models take seconds to build
                z = b + sum(self._signed(w[p], inputs(i, p), bound) for p in range(fan_in))
                t = target(i)
                if isinstance(t, int):
                    constraint = self.model.add(t * z >= 1)
                    if self.errors is not None:
                        constraint.only_enforce_if(~self.errors[i])  # an error row may be wrong
                else:
                    self.model.add(z >= 1).only_enforce_if(t)
                    self.model.add(z <= -1).only_enforce_if(~t)

    def _signed(self, w: cp_model.IntVar, s: object, bound: int) -> object:
        """``w * s`` for a +-1 input ``s`` (an int, or a literal: +1 iff true)."""
        if isinstance(s, int):
            return s * w
        q = self.model.new_int_var(-bound, bound, "")
        self.model.add(q == w).only_enforce_if(s)
        self.model.add(q == -w).only_enforce_if(~s)
        return q

    def _add_cut_clauses(self, rows: tuple[int, ...], signs: tuple[int, ...]) -> None:
        """Forbid the pattern and its negation on ``rows`` for every first-layer unit."""
        layer = self.targets[0]
        for j in range(len(layer[0])):
            for sign in (1, -1):
                # some row must differ from sign * pattern
                self.model.add_bool_or(
                    [~layer[r][j] if sign * s > 0 else layer[r][j] for r, s in zip(rows, signs)]
                )

    # -- between solves -------------------------------------------------------------------
    def add_cut(self, rows: tuple[int, ...], signs: tuple[int, ...]) -> None:
        """Add a first-layer cut (recorded in the spec, so proofs include it)."""
        self.spec.cuts.append((tuple(rows), tuple(signs)))
        self._add_cut_clauses(rows, signs)

    def add_differ_pair(self, a: int, b: int) -> None:
        """Add distinct codes for one pair (recorded in the spec, so proofs include it).

        Raises
        ------
        ValueError
            When the rows have the same label (the constraint would not be implied) or
            errors are allowed.
        """
        if self.errors is not None or np.array_equal(self.spec.Y[a], self.spec.Y[b]) or a == b:
            raise ValueError(f"rows {a} and {b}: distinct codes are implied only for differently labelled rows, every row fitted")
        self.spec.differ_pairs.append((int(a), int(b)))
        self._add_distinct_codes(a, b)

    def exclude_first_layer_column(self, column: np.ndarray) -> None:
        """Forbid one whole first-layer column (and its negation) for every unit.

        Not recorded in the spec: such an exclusion has no certificate, so a master that
        relies on it proves nothing (the searcher then answers UNKNOWN).
        """
        rows = tuple(range(self.spec.n_rows))
        self._add_cut_clauses(rows, tuple(int(v) for v in column))

    def fix_target(self, layer: int, row: int, unit: int, value: int) -> None:
        """Fix one hidden target: a cube literal of cube-and-conquer (:mod:`ftprop_exact.proofs.cubes`).

        ``layer`` counts hidden layers from 0, ``row`` is a distinct row, ``value`` is +-1.
        Not recorded in the spec: a master with fixed targets proves only its cube, so the
        literals live in the cubes proof that covers every cube.
        """
        if not (0 <= layer < len(self.targets) and 0 <= row < self.spec.n_rows and 0 <= unit < len(self.targets[layer][0])):
            raise ValueError(f"no hidden target at layer {layer + 1}, row {row}, unit {unit}")
        if value not in (-1, 1):
            raise ValueError(f"a fixed target is +1 or -1; got {value!r}")
        self.model.add(self.targets[layer][row][unit] == int(value > 0))

    def set_hint(self, hidden_targets: list[np.ndarray]) -> None:
        """Hint CP-SAT with hidden targets (normalised to the symmetry-broken form first)."""
        self.model.clear_hints()
        for layer_vars, T in zip(self.targets, canonical_targets(hidden_targets, self.spec.lex_prefix)):
            for i, row in enumerate(layer_vars):
                if stop_requested():  # the search is ending: hints no longer matter
                    return
                for j, var in enumerate(row):
                    self.model.add_hint(var, bool(T[i, j] > 0))

    @progress.in_phase("cp-sat")
    def solve(
        self, time_limit: float, threads: int, seed: int, on_solver: Callable[[cp_model.CpSolver], None] | None = None
    ) -> MasterSolution:
        """Solve within ``time_limit`` seconds (``on_solver`` sees the solver first, e.g. to stop it)."""
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.01, float(time_limit))
        solver.parameters.num_workers = max(1, int(threads))
        solver.parameters.random_seed = int(seed)
        # signals stay with Python (the CLI's handler stops the search through the deadline);
        # CP-SAT's own SIGINT handler aborts the process when the solve runs in a thread
        solver.parameters.catch_sigint_signal = False
        if self.errors is None and self.spec.first_layer_inputs is not None:
            # every layer exact and no objective to bound: the LP relaxation of the reified
            # weight constraints only slows the search (parity 5 at width 4, one worker: 26 s
            # without it, 76 s with it); with Benders cuts it helped, so it stays there
            solver.parameters.linearization_level = 0
        if on_solver is not None:
            on_solver(solver)
        status = solve_in_thread(solver, self.model)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the master model: {self.model.validate()}")
        minimising = self.errors is not None
        bound = int(math.ceil(solver.best_objective_bound - 1e-6)) if minimising and status != cp_model.INFEASIBLE else None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            T = [
                np.array([[1 if solver.boolean_value(v) else -1 for v in row] for row in layer], dtype=np.int8)
                for layer in self.targets
            ]
            objective = int(round(solver.objective_value)) if minimising else None
            optimal = status == cp_model.OPTIMAL or not minimising
            error_rows = None if not minimising else np.array([solver.boolean_value(e) for e in self.errors], dtype=bool)
            return MasterSolution("FEASIBLE", T, objective, bound, optimal, error_rows)
        if status == cp_model.INFEASIBLE:
            return MasterSolution("INFEASIBLE", None, None, None, True)
        return MasterSolution("UNKNOWN", None, None, bound, False)


@dataclass(frozen=True)
class MasterSolution:
    """Outcome of one master solve.

    Attributes
    ----------
    status : {"FEASIBLE", "INFEASIBLE", "UNKNOWN"}
    targets : list of ndarray or None
        Hidden targets of the solution found.
    objective : int or None
        Its error cost (minimising errors only).
    bound : int or None
        Proven lower bound on the master's error cost (minimising errors only).
    optimal : bool
        The solution is optimal for the master (always True when not minimising).
    error_rows : ndarray of bool or None
        Minimising errors: the rows the solution lets be wrong.
    """

    status: str
    targets: list[np.ndarray] | None
    objective: int | None
    bound: int | None
    optimal: bool
    error_rows: np.ndarray | None = None


def solve_in_thread(solver: cp_model.CpSolver, model: cp_model.CpModel) -> int:
    """Run ``solver.solve(model)`` in a worker thread while the main thread keeps polling.

    Python runs signal handlers only in the main thread between bytecodes; a main thread
    blocked inside the native solve would delay SIGTERM handling until the solve ends. While
    it waits here, a handler can run and stop the search (``solver.stop_search``).
    """
    outcome: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(solver.solve(model))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=work, name="cp-sat", daemon=True)
    worker.start()
    try:
        stopped = False
        while worker.is_alive():
            worker.join(0.05)
            if not stopped and stop_requested():  # the deadline in force passed: CP-SAT's own
                solver.stop_search()  # limit counts from its start, not the run's
                stopped = True
    except BaseException:
        solver.stop_search()
        worker.join()
        raise
    if errors:
        raise errors[0]
    return outcome[0]


def master_spec(problem: Problem, first_layer: str, max_weight: int | None, objective: str) -> tuple[MasterSpec, str]:
    """The master for a problem: first-layer mode, Muroga bounds, symmetry prefix, objective.

    Shared by the searcher and by proof verification, so both build the same model.
    """
    encoded = boolean_encoding(problem.X) if first_layer in ("auto", "exact") else None
    if first_layer == "exact" and encoded is None:
        raise ValueError("first_layer='exact' needs every input column to take at most two values")
    if first_layer == "auto" and encoded is not None and not fits_int64(encoded.shape[1], max_weight):
        encoded = None  # e.g. a few rows in many dimensions: every column has two values, but
        # the integer first layer would be too wide for 64 bits; the LP's cuts handle it
    mode = "exact" if encoded is not None else "cuts"
    fan_in_0 = problem.X.shape[1] if encoded is None else encoded.shape[1]
    check_model_size(problem, fan_in_0, mode, max_weight)
    # distinct codes for every pair: with an exact first layer and two or more hidden layers
    # (parity 4 at [3, 3]: 0.7 s instead of unknown at 60 s). Not with error literals (a
    # wrong row may share a code); not for one exact layer, where the output layer implies
    # them directly and they only slowed CP-SAT down (parity 5 at width 4, one worker: 127 s
    # without, over 150 s with); not with Benders cuts, where they slowed feasible searches
    # down (fewer master solves); there the searcher adds them for chosen pairs (differ_pairs)
    useful = objective == "feasibility" and mode == "exact" and len(problem.hidden) > 1
    pairs = must_differ_pair_count(problem.Y) if useful else 0
    minimising = objective == "min_errors"
    implications = []
    if encoded is not None:
        symmetry = data_symmetry(encoded, problem.Y, np.asarray(problem.counts) if minimising else None)
        implications = canonical_unit_implications(encoded, symmetry) if symmetry else []
    # equal sums and betweenness only where the first layer is left to the LP's cuts: an
    # exact first layer implies them already, and there they slowed CP-SAT down
    integer_inputs = exact_integer_inputs(problem.X) if encoded is None else None
    clause_limit = MAX_IMPLIED_CLAUSES // (2 * problem.hidden[0])
    equal_sums = [] if integer_inputs is None else equal_sum_quads(integer_inputs, clause_limit)
    spec = MasterSpec(
        equal_sums=equal_sums,
        betweens=[] if integer_inputs is None else between_triples(integer_inputs, clause_limit - len(equal_sums)),
        unit0_implications=implications,
        must_differ=0 < pairs * sum(problem.hidden) <= MAX_DISTINCT_CODE_LITERALS,
        Y=np.asarray(problem.Y),
        hidden=problem.hidden,
        weight_bounds=default_weight_bounds(fan_in_0, problem.hidden, max_weight),
        first_layer_inputs=encoded,
        lex_prefix=min(LEX_PREFIX_MAX, problem.n_rows - 1),
        error_weights=np.asarray(problem.counts) if minimising else None,
    )
    return spec, mode


def first_layer_codes_spec(problem: Problem, max_weight: int | None, base: MasterSpec | None = None) -> MasterSpec | None:
    """The first-layer codes master of a feasibility problem whose first layer is modelled exactly.

    Any network that fits every row gives differently labelled rows different codes at its
    first hidden layer, whatever comes after it; so if no first layer of width ``hidden[0]``
    (integer weights within the Muroga bound, exact for Boolean data) does, no network of
    these widths fits. Without the later layers CP-SAT often settles that much faster (5-bit
    parity at ``[4, 4]``: 3.7 s instead of 13.4 s). None when the data is not Boolean or the
    distinct-code constraints would be too many. ``base``: the feasibility master of the
    same problem and weight cap, already built (its implied constraints are not derived
    again; it is not changed).
    """
    if base is None:
        base, _ = master_spec(problem, "auto", max_weight, "feasibility")
    width = problem.hidden[0]
    if base.first_layer_inputs is None or not 0 < must_differ_pair_count(problem.Y) * width <= MAX_DISTINCT_CODE_LITERALS:
        return None
    return replace(
        base,
        hidden=(width,),
        weight_bounds=base.weight_bounds[:1],
        cuts=[],
        differ_pairs=[],
        must_differ=True,
        codes_only=True,
    )


def must_differ_pair_count(Y: np.ndarray) -> int:
    """How many two rows have different label vectors."""
    counts = np.bincount(label_classes(Y)).astype(np.int64)
    return int((counts.sum() ** 2 - (counts**2).sum()) // 2)


def must_differ_pairs(Y: np.ndarray) -> list[tuple[int, int]]:
    """Every two rows ``a < b`` with different label vectors, in order.

    Built class block by class block, so the work is linear in the rows plus the pairs
    (callers bound the pairs, :func:`must_differ_pair_count`), never quadratic in the rows.

    Examples
    --------
    >>> must_differ_pairs(np.array([[1], [-1], [1], [-1]]))
    [(0, 1), (0, 3), (1, 2), (2, 3)]
    """
    classes = label_classes(Y)
    members = [np.flatnonzero(classes == c) for c in np.unique(classes)]
    lows, highs = [], []
    for i, first in enumerate(members):
        for second in members[i + 1 :]:
            a, b = np.meshgrid(first, second, indexing="ij")
            lows.append(np.minimum(a, b).ravel())
            highs.append(np.maximum(a, b).ravel())
    if not lows:
        return []
    low, high = np.concatenate(lows), np.concatenate(highs)
    order = np.lexsort((high, low))
    return list(zip(low[order].tolist(), high[order].tolist()))


MAX_IMPLIED_CLAUSES = 200_000  # first-layer clauses from equal sums and betweenness, at most
MAX_DISTINCT_CODE_LITERALS = 100_000  # differently labelled row pairs x hidden units, beyond: none
MAX_WEIGHT_BOUND = 2**62  # CP-SAT's integer domains are 64-bit
MAX_TARGET_LITERALS = 2_000_000  # distinct rows x hidden units


class ModelTooLarge(ValueError):
    """The master cannot be built: weights beyond 64-bit integers, or too many literals."""


def check_model_size(problem: Problem, fan_in_0: int, mode: str, max_weight: int | None) -> None:
    """Refuse (:class:`ModelTooLarge`) a master that CP-SAT cannot represent or this machine cannot hold.

    A weight bound may never be capped silently (that would make proofs unsound), so layers
    whose Muroga bound exceeds 64-bit integers are refused instead.
    """
    literals = problem.n_rows * sum(problem.hidden)
    if literals > MAX_TARGET_LITERALS:
        raise ModelTooLarge(f"the master would have {literals} target literals (limit {MAX_TARGET_LITERALS})")
    fan_ins = (fan_in_0, *problem.hidden)
    modelled = fan_ins if mode == "exact" else fan_ins[1:]
    if not all(fits_int64(k, max_weight) for k in modelled):
        raise ModelTooLarge("a layer's weight bound exceeds 64-bit integers: too wide for the exact model")


def fits_int64(fan_in: int, max_weight: int | None) -> bool:
    """Whether a unit of this fan-in, with Muroga-bounded (or capped) weights, fits CP-SAT's 64 bits.

    The pre-activation ``b + sum_p w_p s_p`` of ``fan_in + 1`` terms, each within the bound,
    must stay inside CP-SAT's integer range (a bound may never be capped silently: that
    would make proofs unsound).

    Examples
    --------
    >>> fits_int64(20, None), fits_int64(40, None), fits_int64(40, 3)
    (True, False, True)
    """
    bound = default_weight_bounds(fan_in, (), max_weight)[0]
    return (fan_in + 1) * bound <= MAX_WEIGHT_BOUND


def master_items(spec: MasterSpec) -> int:
    """Variables plus constraints of the master of ``spec`` (before cuts): its build cost.

    Target literals, the auxiliary products ``w * s`` of every layer with literal inputs
    (one variable, two constraints each), two margin constraints per unit and row (one
    for the output layer), the first layer's constraints when it is modelled exactly,
    and the error literals when minimising errors.
    """
    u = spec.n_rows
    hidden = tuple(spec.hidden)
    widths = hidden if spec.codes_only else (*hidden, int(spec.Y.shape[1]))
    items = u * sum(hidden)
    if spec.first_layer_inputs is not None:
        items += 2 * u * hidden[0]
    for d in range(1, len(widths)):
        items += 3 * u * widths[d - 1] * widths[d] + (1 if d == len(widths) - 1 else 2) * u * widths[d]
    if spec.error_weights is not None:
        items += u
    if spec.must_differ:  # distinct codes: per pair, a literal per hidden unit and one per layer
        items += must_differ_pair_count(spec.Y) * (3 * sum(hidden) + len(hidden))
    items += len(spec.differ_pairs) * (3 * sum(hidden) + len(hidden))
    items += 2 * hidden[0] * (len(spec.equal_sums) + len(spec.betweens)) + len(spec.unit0_implications)
    return int(items)


def capped(spec: MasterSpec, problem: Problem, max_weight: int | None) -> bool:
    """Whether a weight cap actually lowered some Muroga bound."""
    if max_weight is None:
        return False
    fan_in_0 = spec.first_layer_inputs.shape[1] if spec.first_layer_inputs is not None else problem.X.shape[1]
    return default_weight_bounds(fan_in_0, problem.hidden, None) != spec.weight_bounds


def canonical_targets(hidden_targets: list[np.ndarray], lex_prefix: int) -> list[np.ndarray]:
    """Map hidden targets to the symmetry-broken representative of their class.

    Each column is negated so that row 0 is +1, then the columns of each layer are sorted
    by the order key; the next layer's input columns follow the same permutation (which
    only permutes its weights). Feasibility is unchanged.
    """
    out = []
    for T in hidden_targets:
        T = np.asarray(T, dtype=np.int8) * np.where(np.asarray(T)[0] > 0, 1, -1).astype(np.int8)
        if lex_prefix > 0:
            bits = (T[1 : lex_prefix + 1] > 0).astype(object)
            keys = [sum(int(bits[k, j]) << (lex_prefix - 1 - k) for k in range(bits.shape[0])) for j in range(T.shape[1])]
            T = T[:, np.argsort(-np.array(keys, dtype=np.int64), kind="stable")]
        out.append(T)
    return out
