"""The must-differ bounding pass: pairwise-incompatible pairs bound the first hidden width.

Differently labelled examples need different first-layer codes, so every such *pair* is
separated by some first-layer unit; pairs that no single unit separates together are
*incompatible*, and ``k`` pairwise-incompatible pairs need ``k`` units (the math and the
proof format: :mod:`ftprop_exact.proofs.must_differ`).

Finding many such pairs:

1. candidate pairs: each row's nearest differently labelled rows, plus consecutive rows
   in data order (at most :data:`MAX_ROWS` rows are looked at, sampled when there are more:
   any subset of pairs gives a valid bound);
2. the candidate graph: two pairs are joined when, for both orientations, the segment of
   the rows that one unit would put on one side meets the segment of the other side (a
   floating-point screen: the convex hulls of two points each, closest points of two
   segments), or the orientation contradicts itself (shared rows);
3. a greedy clique (highest degree first, restarted from several vertices within the time
   box);
4. exact certificates for every edge of the clique (FLINT elimination, then the exact
   simplex); an edge that fails is dropped and the clique searched again.

The floating-point screen only proposes: every edge of a reported clique has an exact
certificate, and the proof is checked by :func:`ftprop_exact.proofs.check.check_proof`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ftprop_exact.budget import Deadline
from ftprop_exact.problem import Problem
from ftprop_exact.proofs.benders import ProofCut
from ftprop_exact.proofs.certificate import Certificate, decide_exactly, exact_certificate
from ftprop_exact.proofs.claim import Claim
from ftprop_exact.proofs.must_differ import (
    ORIENTATIONS,
    Incompatibility,
    MustDifferProof,
    label_classes,
    orientation_pattern,
)
from ftprop_exact.solvers.exact.cuts import Cut
from ftprop_exact.solvers.search_base import SearchOutcome
from ftprop_exact.status import Status

MAX_ROWS = 2000  # rows looked at for candidate pairs (sampled beyond)
NEIGHBOURS = 6  # nearest differently labelled rows per row
MAX_CANDIDATES = 600  # candidate pairs in the graph (shortest first)
CHUNK_ELEMENTS = 2_000_000  # floats per block of the segment screen
RESTARTS = 24  # clique restarts from the highest-degree vertices
DEFAULT_SECONDS = 5.0  # time box of the pass inside solve()
SCREEN_TOLERANCE = 1e-7  # segments closer than this (relative to the data's scale) "meet"


@dataclass
class IncompatiblePairs:
    """Pairwise-incompatible must-differ pairs found on a problem, with their certificates.

    Attributes
    ----------
    pairs : list of (int, int)
        Rows of the problem (distinct rows), first row of each pair labelled ``+1`` by
        convention of the orientation patterns.
    certificates : dict
        ``(i, j, orientation) -> (rows, signs, Certificate)`` in problem rows, for ``i < j``
        and every self-consistent orientation.
    stats : dict
        Candidates, graph edges, seconds.
    """

    pairs: list[tuple[int, int]]
    certificates: dict[tuple[int, int, int], tuple[tuple[int, ...], tuple[int, ...], Certificate]]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def bound(self) -> int:
        """Every first hidden layer needs at least this many units."""
        return len(self.pairs)

    def cuts(self) -> list[Cut]:
        """The certificates as first-layer cuts (problem rows), e.g. for the CP-SAT master."""
        return [Cut(rows, signs, cert) for rows, signs, cert in self.certificates.values()]


def candidate_pairs(X: np.ndarray, classes: np.ndarray, rng: np.random.Generator, deadline: Deadline) -> np.ndarray:
    """Differently labelled row pairs worth testing, shortest first, as an array of shape (P, 2).

    All of them when there are at most :data:`MAX_CANDIDATES`; else each row's :data:`NEIGHBOURS` nearest differently labelled rows (rows not reached by
    the deadline have none), and consecutive rows (in the order given) with different
    labels; at most :data:`MAX_CANDIDATES` pairs.
    """
    u = X.shape[0]
    counts = np.bincount(classes)
    if (u * u - int((counts.astype(np.int64) ** 2).sum())) // 2 <= MAX_CANDIDATES:  # few: take them all
        a, b = np.triu_indices(u, 1)
        keep = classes[a] != classes[b]
        a, b = a[keep], b[keep]
        order = np.lexsort((b, a, np.einsum("ij,ij->i", X[a] - X[b], X[a] - X[b])))
        return np.stack([a[order], b[order]], axis=1).astype(np.int64)
    rows = np.arange(u) if u <= MAX_ROWS else np.sort(rng.choice(u, MAX_ROWS, replace=False))
    sub = X[rows]
    squares = np.einsum("ij,ij->i", sub, sub)
    found: dict[tuple[int, int], float] = {}
    block = max(1, CHUNK_ELEMENTS // max(1, len(rows)))
    for start in range(0, len(rows), block):
        if deadline.expired():
            break
        stop = min(len(rows), start + block)
        dist = squares[start:stop, None] + squares[None, :] - 2.0 * sub[start:stop] @ sub.T
        dist[classes[rows[start:stop]][:, None] == classes[rows][None, :]] = np.inf
        k = min(NEIGHBOURS, len(rows) - 1)
        nearest = np.argpartition(dist, k - 1, axis=1)[:, :k] if k > 0 else np.zeros((stop - start, 0), int)
        for local, neighbours in enumerate(nearest):
            for j in neighbours:
                if np.isfinite(dist[local, j]):
                    a, b = sorted((int(rows[start + local]), int(rows[j])))
                    found[(a, b)] = float(dist[local, j])
    changes = np.flatnonzero(classes[:-1] != classes[1:])  # consecutive rows, labels differ
    gaps = np.sum((X[changes] - X[changes + 1]) ** 2, axis=1) if changes.size else np.zeros(0)
    for a, gap in zip(changes.tolist(), gaps.tolist()):
        found.setdefault((a, a + 1), float(gap))
    ordered = sorted(found, key=lambda p: (found[p], p))[:MAX_CANDIDATES]
    return np.array(ordered, dtype=np.int64).reshape(-1, 2)


def segment_distances(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Distances between segments ``[p1, p2]`` and ``[q1, q2]`` (rows of each array; points allowed).

    The minimum of ``|p1 + s (p2 - p1) - q1 - t (q2 - q1)|`` over the unit square: the
    interior stationary point when it lies inside, else the best clamped point of an edge.

    Examples
    --------
    >>> z = np.zeros((1, 2))
    >>> segment_distances(z, z + [[2, 0]], z + [[1, -1]], z + [[1, 1]]).round(12).tolist()
    [0.0]
    """
    d1, d2, r = p2 - p1, q2 - q1, p1 - q1
    a = np.einsum("ij,ij->i", d1, d1)
    e = np.einsum("ij,ij->i", d2, d2)
    b = np.einsum("ij,ij->i", d1, d2)
    c = np.einsum("ij,ij->i", d1, r)
    f = np.einsum("ij,ij->i", d2, r)
    safe_a, safe_e = np.where(a > 0, a, 1.0), np.where(e > 0, e, 1.0)
    det = a * e - b * b
    inside = det > 1e-12 * np.maximum(a * e, 1e-300)
    safe_det = np.where(inside, det, 1.0)
    s_in, t_in = (b * f - c * e) / safe_det, (a * f - b * c) / safe_det
    inside &= (s_in >= 0) & (s_in <= 1) & (t_in >= 0) & (t_in <= 1)
    candidates = [(np.where(inside, s_in, 0.0), np.where(inside, t_in, 0.0))]
    for s in (0.0, 1.0):
        candidates.append((np.full_like(a, s), np.clip((f + s * b) / safe_e, 0.0, 1.0) * (e > 0)))
    for t in (0.0, 1.0):
        candidates.append((np.clip((t * b - c) / safe_a, 0.0, 1.0) * (a > 0), np.full_like(a, t)))
    best = np.full(a.shape, np.inf)
    for s, t in candidates:
        gap = r + s[:, None] * d1 - t[:, None] * d2
        best = np.minimum(best, np.sqrt(np.einsum("ij,ij->i", gap, gap)))
    return best


def incompatibility_graph(X: np.ndarray, pairs: np.ndarray, deadline: Deadline) -> np.ndarray:
    """Adjacency matrix of the candidate graph (floating-point screen; see the module notes).

    Blocks of vertex pairs are screened until the deadline; unscreened ones stay unjoined.
    """
    P = len(pairs)
    adjacency = np.zeros((P, P), dtype=bool)
    if P < 2:
        return adjacency
    tolerance = SCREEN_TOLERANCE * (1.0 + float(np.max(np.abs(X))))
    I, J = np.triu_indices(P, 1)
    block = max(1, CHUNK_ELEMENTS // max(1, X.shape[1]))
    for start in range(0, len(I), block):
        if deadline.expired():
            break
        i, j = I[start : start + block], J[start : start + block]
        a, b = pairs[i, 0], pairs[i, 1]
        c, d = pairs[j, 0], pairs[j, 1]
        same = (c == b) | (d == a) | (segment_distances(X[a], X[c], X[b], X[d]) <= tolerance)
        opposite = (d == b) | (c == a) | (segment_distances(X[a], X[d], X[b], X[c]) <= tolerance)
        joined = same & opposite
        adjacency[i[joined], j[joined]] = True
    return adjacency | adjacency.T


def greedy_clique(adjacency: np.ndarray, first: int | None = None, target: int | None = None) -> list[int]:
    """A clique grown greedily: the vertex with the most neighbours among the candidates first.

    ``first`` forces the first vertex; growth stops once ``target`` vertices are reached.
    """
    candidates = np.ones(len(adjacency), dtype=bool)
    clique: list[int] = []
    while candidates.any() and (target is None or len(clique) < target):
        if first is not None and not clique:
            vertex = first
        else:
            index = np.flatnonzero(candidates)
            degrees = adjacency[np.ix_(index, index)].sum(axis=1)
            vertex = int(index[int(np.argmax(degrees))])
        clique.append(vertex)
        candidates &= adjacency[vertex]
        candidates[vertex] = False
    return clique


def best_clique(adjacency: np.ndarray, deadline: Deadline, target: int | None = None) -> list[int]:
    """The largest of several greedy cliques (restarts from the highest-degree vertices)."""
    degrees = adjacency.sum(axis=1)
    best = greedy_clique(adjacency, target=target)
    for vertex in np.argsort(-degrees, kind="stable")[:RESTARTS]:  # each restart: O(P^2) per vertex added
        if deadline.expired() or (target is not None and len(best) >= target) or degrees[vertex] < len(best):
            break
        clique = greedy_clique(adjacency, int(vertex), target)
        if len(clique) > len(best):
            best = clique
    return best


def pattern_certificate(X: np.ndarray, pattern: dict[int, int]) -> Certificate | None:
    """An exact certificate that no unit gives these rows these signs (rows of ``X``), or None."""
    rows = list(pattern)
    signs = np.array([pattern[r] for r in rows])
    block = np.asarray(X[rows], dtype=np.float64)
    # all rows, then every subset one row smaller (a vertex of degenerate data, e.g. collinear
    # rows, lies on fewer rows than the elimination's basic solution), then the exact simplex
    subsets = [range(len(rows))] + [[r for r in range(len(rows)) if r != skip] for skip in range(len(rows))]
    cert = None
    for subset in subsets:
        if len(subset) >= 2 and len(set(signs[list(subset)])) == 2:
            cert = exact_certificate(block, signs, subset)
            if cert is not None:
                break
    if cert is None:
        cert = decide_exactly(block, signs, range(len(rows))).certificate
    if cert is None:
        return None
    return Certificate(tuple(rows[r] for r in cert.rows), cert.multipliers)


def certify_clique(
    X: np.ndarray, pairs: list[tuple[int, int]], deadline: Deadline
) -> tuple[dict[tuple[int, int, int], tuple[tuple[int, ...], tuple[int, ...], Certificate]], int, tuple[int, int] | None]:
    """Certificates for every two pairs and orientation, pair by pair.

    Returns the certificates, how many leading pairs are certified among themselves, and
    the first two pairs without a certificate (None when the screen was right). The
    deadline stops after a whole pair: the leading pairs stay a certified clique.
    """
    certificates = {}
    for j in range(len(pairs)):
        if deadline.expired():
            return certificates, j, None
        for i in range(j):
            for orientation in ORIENTATIONS:
                pattern = orientation_pattern(pairs[i], pairs[j], orientation)
                if pattern is None:
                    continue
                cert = pattern_certificate(X, pattern)
                if cert is None:
                    return certificates, j, (i, j)
                signs = tuple(pattern[r] * pattern[cert.rows[0]] for r in cert.rows)
                certificates[(i, j, orientation)] = (cert.rows, signs, cert)
    return certificates, len(pairs), None


def find_incompatible_pairs(
    problem: Problem, deadline: Deadline, target: int | None = None, certify_by: Deadline | None = None
) -> IncompatiblePairs:
    """Pairwise-incompatible must-differ pairs of ``problem``, as many as found before ``deadline``.

    Parameters
    ----------
    problem : Problem
        Distinct rows and labels.
    deadline : Deadline
        The time box (screen, clique search and certificates stop at it).
    target : int, optional
        Stop growing cliques at this size (e.g. the first hidden width plus one).
    certify_by : Deadline, optional
        A later deadline for certifying a clique that reached ``target`` (the proof is then
        within reach); default ``deadline``.

    Returns
    -------
    IncompatiblePairs
        Every edge of ``pairs`` certified exactly (possibly no pairs at all).
    """
    X = np.asarray(problem.X, dtype=np.float64)
    classes = label_classes(problem.Y)
    candidates = candidate_pairs(X, classes, np.random.default_rng(0), deadline)
    adjacency = incompatibility_graph(X, candidates, deadline)
    stats: dict[str, Any] = {"candidates": len(candidates), "edges": int(adjacency.sum()) // 2}
    found = IncompatiblePairs([], {}, stats)
    while not deadline.expired():
        clique = best_clique(adjacency, deadline, target)
        pairs = [(int(candidates[v, 0]), int(candidates[v, 1])) for v in clique]
        reached = target is not None and len(pairs) >= target and certify_by is not None
        certificates, certified, failed = certify_clique(X, pairs, certify_by if reached else deadline)
        if failed is None:  # all of them, or the leading ones the time allowed
            found = IncompatiblePairs(pairs[:certified], certificates, stats)
            break
        u, v = clique[failed[0]], clique[failed[1]]
        adjacency[u, v] = adjacency[v, u] = False  # the screen was wrong: drop the edge, search again
        stats["uncertified_edges"] = stats.get("uncertified_edges", 0) + 1
    stats["pairs"] = found.bound
    stats["seconds"] = round(deadline.elapsed(), 3)
    return found


_FOUND: weakref.WeakKeyDictionary[Problem, IncompatiblePairs] = weakref.WeakKeyDictionary()


def cached_incompatible_pairs(
    problem: Problem, deadline: Deadline, target: int | None = None, certify_by: Deadline | None = None
) -> IncompatiblePairs:
    """:func:`find_incompatible_pairs`, remembered per problem object when it ran to the end.

    The bounding pass in front of a solve and the exact searcher's rounds behind it then
    share one search (a result cut short by its deadline is not kept).
    """
    found = _FOUND.get(problem)
    if found is None:
        found = find_incompatible_pairs(problem, deadline, target, certify_by)
        if not deadline.expired():
            _FOUND[problem] = found
    return found


def must_differ_proof(problem: Problem, found: IncompatiblePairs, width: int | None = None) -> MustDifferProof:
    """The proof that widths below ``width + 1`` fail, from the first ``width + 1`` pairs found.

    ``width`` defaults to the problem's first hidden width; rows become rows of the data
    as given.
    """
    width = problem.hidden[0] if width is None else width
    keep = width + 1
    if found.bound < keep:
        raise ValueError(f"{found.bound} pairs cannot prove first-layer width {width} infeasible")
    original = [int(r) for r in problem.row_index]
    pairs = tuple((original[a], original[b]) for a, b in found.pairs[:keep])
    incompatibilities = tuple(
        Incompatibility(
            (i, j),
            orientation,
            ProofCut(tuple(original[r] for r in rows), signs, cert.multipliers),
        )
        for (i, j, orientation), (rows, signs, cert) in sorted(found.certificates.items())
        if j < keep
    )
    claim = problem.claim() if width == problem.hidden[0] else Claim.of(
        problem.data, (width,), problem.activation, fingerprint=problem.fingerprint
    )
    return MustDifferProof(claim, pairs, incompatibilities)


def bounding_seconds(deadline: Deadline) -> float:
    """The pass's time box inside a solve: a tenth of the time left, between 0.2 s and :data:`DEFAULT_SECONDS`."""
    return min(DEFAULT_SECONDS, max(0.2, 0.1 * deadline.remaining()))


def must_differ_outcome(
    problem: Problem, deadline: Deadline, seconds: float = DEFAULT_SECONDS
) -> tuple[SearchOutcome | None, IncompatiblePairs]:
    """Run the bounding pass within ``seconds``; INFEASIBLE with a proof when the bound exceeds the width.

    A clique large enough for the proof may be certified for up to half the time left.

    Returns
    -------
    outcome : SearchOutcome or None
        INFEASIBLE (with a :class:`MustDifferProof`) when enough pairs were found, else None.
    found : IncompatiblePairs
        What the pass found (its cuts can seed an exact search).
    """
    box = Deadline(seconds, parent=deadline)
    if problem.hidden[0] >= MAX_CANDIDATES or problem.n_rows < 3:  # no clique that large is looked for
        return None, IncompatiblePairs([], {}, {"skipped": True})
    left = deadline.remaining()  # a clique as large as needed may take up to half the time left to certify
    certify_by = Deadline(max(seconds, 0.5 * left) if np.isfinite(left) else None, parent=deadline)
    found = cached_incompatible_pairs(problem, box, target=problem.hidden[0] + 1, certify_by=certify_by)
    if found.bound <= problem.hidden[0]:
        return None, found
    proof = must_differ_proof(problem, found)
    return SearchOutcome(Status.INFEASIBLE, proof, {"must_differ": dict(found.stats)}), found
