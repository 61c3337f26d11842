"""Prove that 3-bit parity needs three hidden sign units, and re-check the proof.

Run: ``python docs/examples/parity_proof.py``
"""

from __future__ import annotations

import itertools

import numpy as np

from ftprop_exact import Status, make_dataset, solve


def main() -> None:
    X = np.array(list(itertools.product([0, 1], repeat=3)))
    data = make_dataset(X, X.sum(axis=1) % 2, name="parity3")
    below = solve(data, hidden=[2], searcher="cpsat", time_limit=60)
    print("width 2:", below.status.value, "- proof verified:", below.proof.verify(data))
    at = solve(data, hidden=[3], searcher="cpsat", time_limit=60)
    print("width 3:", at.status.value, "- network:", at.network.to_dict())
    assert below.status is Status.INFEASIBLE and at.status is Status.FEASIBLE


if __name__ == "__main__":
    main()
