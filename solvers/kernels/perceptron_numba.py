"""Numba kernel of the batched perceptron (the CPU default).

:func:`run_epochs` computes exactly what
:func:`ftprop_exact.solvers.kernels.perceptron_xp.run_epochs` computes (same chunks, same mistake
rule, same updates); only the order of floating-point sums differs, so on integer-valued
inputs, where every sum is exact, both return identical weights and mistake counts.

Units are split into blocks that run in parallel (``prange``); small problems run on one
thread, since waiting at the barrier of a parallel region costs more than it saves there
(milliseconds when the cores are shared). Each block keeps its weights in a local
contiguous array and loops rows outermost, four rows at a time (each weight loaded serves
four rows), so the inner loop runs over the block's units and vectorises. Compiled once
and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

# No "nnan"/"ninf": the kernel never assumes finite values; reassociation only changes the
# rounding of sums, and every separator is re-verified rigorously anyway.
_FASTMATH = {"nsz", "arcp", "contract", "reassoc"}
_MAX_BLOCK = 64  # units per parallel block (keeps a block's weights in cache)
_TILE = 4  # rows handled together: each weight loaded once serves four rows
_PARALLEL_WORK = 1 << 22  # m * d * K per epoch below which threads cost more than they save


@njit(cache=True, fastmath=_FASTMATH, inline="always")
def _tile_dots(X: np.ndarray, i0: int, rows: int, w: np.ndarray, z: np.ndarray) -> None:  # pragma: no cover
    """``z[q] = X[i0 + q] @ w`` for the ``rows`` (<= 4) rows of a tile."""
    d, kb = w.shape
    z[:, :] = 0.0
    if rows == _TILE:
        for j in range(d):
            x0, x1, x2, x3 = X[i0, j], X[i0 + 1, j], X[i0 + 2, j], X[i0 + 3, j]
            for k in range(kb):
                wk = w[j, k]
                z[0, k] += x0 * wk
                z[1, k] += x1 * wk
                z[2, k] += x2 * wk
                z[3, k] += x3 * wk
    else:
        for q in range(rows):
            for j in range(d):
                xq = X[i0 + q, j]
                for k in range(kb):
                    z[q, k] += xq * w[j, k]


@njit(cache=True, fastmath=_FASTMATH, inline="always")
def _tile_update(X: np.ndarray, i0: int, rows: int, step: np.ndarray, update: np.ndarray) -> None:  # pragma: no cover
    """``update += sum_q X[i0 + q]^T step[q]`` over the ``rows`` (<= 4) rows of a tile."""
    d, kb = update.shape
    if rows == _TILE:
        for j in range(d):
            x0, x1, x2, x3 = X[i0, j], X[i0 + 1, j], X[i0 + 2, j], X[i0 + 3, j]
            for k in range(kb):
                update[j, k] += x0 * step[0, k] + x1 * step[1, k] + x2 * step[2, k] + x3 * step[3, k]
    else:
        for q in range(rows):
            for j in range(d):
                xq = X[i0 + q, j]
                for k in range(kb):
                    update[j, k] += xq * step[q, k]


@njit(cache=True, fastmath=_FASTMATH)
def _block_epochs(
    X: np.ndarray,
    T: np.ndarray,
    W: np.ndarray,
    k0: int,
    kb: int,
    epochs: int,
    chunk: int,
    margin: float,
    counts: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Train units ``k0 .. k0 + kb - 1`` for ``epochs`` epochs (one parallel block)."""
    m, d = X.shape
    w = np.ascontiguousarray(W[:, k0 : k0 + kb])
    update = np.zeros((d, kb))
    z = np.empty((_TILE, kb))
    step = np.zeros((_TILE, kb))
    for epoch in range(epochs):
        for c0 in range(0, m, chunk):
            c1 = min(m, c0 + chunk)
            dirty = False
            for i0 in range(c0, c1, _TILE):
                rows = min(_TILE, c1 - i0)
                _tile_dots(X, i0, rows, w, z)
                hit = False
                for q in range(rows):
                    for k in range(kb):
                        tk = float(T[i0 + q, k0 + k])
                        if tk * z[q, k] <= margin:
                            step[q, k] = tk
                            counts[epoch, k0 + k] += 1
                            hit = True
                        else:
                            step[q, k] = 0.0
                if hit:
                    dirty = True
                    _tile_update(X, i0, rows, step, update)
            if dirty:
                for j in range(d):
                    for k in range(kb):
                        w[j, k] += update[j, k]
                        update[j, k] = 0.0
    W[:, k0 : k0 + kb] = w


@njit(parallel=True, cache=True)
def _epochs_kernel(
    X: np.ndarray, T: np.ndarray, W: np.ndarray, epochs: int, chunk: int, margin: float, block: int
) -> np.ndarray:  # pragma: no cover - compiled
    K = W.shape[1]
    counts = np.zeros((epochs, K), dtype=np.int64)
    for blk in prange((K + block - 1) // block):
        _block_epochs(X, T, W, blk * block, min(K, (blk + 1) * block) - blk * block, epochs, chunk, margin, counts)
    return counts


def block_size(K: int) -> int:
    """Units per parallel block: enough blocks for every thread, at most ``_MAX_BLOCK`` units."""
    threads = max(1, numba.get_num_threads())
    per_thread = -(-K // threads)
    return int(min(_MAX_BLOCK, max(8, -(-per_thread // 8) * 8)))


def run_epochs(X: np.ndarray, T: np.ndarray, W: np.ndarray, epochs: int, chunk: int, margin: float) -> np.ndarray:
    """Run chunked perceptron epochs on K units at once, updating ``W`` in place.

    Same parameters and result as :func:`ftprop_exact.solvers.kernels.perceptron_xp.run_epochs`
    (without ``xp``): numpy arrays, ``T`` int8, ``W`` C-contiguous float64.
    """
    if not (W.flags.c_contiguous and W.dtype == np.float64):
        raise ValueError("W must be a C-contiguous float64 array (it is updated in place)")
    X = np.ascontiguousarray(X, dtype=np.float64)
    T = np.ascontiguousarray(T, dtype=np.int8)
    block = block_size(W.shape[1])
    parallel = W.shape[1] > block and X.size * W.shape[1] >= _PARALLEL_WORK
    threads = numba.get_num_threads()
    numba.set_num_threads(threads if parallel else 1)  # one thread: no waiting at the barrier
    try:
        return _epochs_kernel(X, T, W, int(epochs), int(max(chunk, 1)), float(margin), block)
    finally:
        numba.set_num_threads(threads)
