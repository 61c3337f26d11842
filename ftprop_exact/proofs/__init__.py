"""Proofs: every kind, the claims they prove, the one checker, and proof files.

This package is the trust boundary. It depends on the data, the network model, the
problem's row merging and exact arithmetic (and on CP-SAT only to re-solve a rebuilt
master or hitting-set model), never on a searcher or the API.

Names are imported lazily (``ftprop_exact.problem`` needs :mod:`.claim`, and the proof
kinds need ``ftprop_exact.problem``).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Proof": "base",
    "DuplicateConflictProof": "basic",
    "SingleLayerProof": "basic",
    "CPSATProof": "benders",
    "ProofCut": "benders",
    "Certificate": "certificate",
    "verify_certificate": "certificate",
    "ProofCheck": "check",
    "check_proof": "check",
    "Claim": "claim",
    "CubeLiteral": "cubes",
    "CubesProof": "cubes",
    "data_fingerprint": "claim",
    "ExhaustiveProof": "exhaustive",
    "LevelBendersProof": "level_benders",
    "LevelCut": "level_benders",
    "ConflictSet": "hitting_set",
    "HittingSetProof": "hitting_set",
    "IntegerProof": "integer",
    "Incompatibility": "must_differ",
    "MustDifferProof": "must_differ",
    "load_proof": "io",
    "proof_from_dict": "io",
    "save_proof": "io",
    "SubsetProof": "subset",
    "take_rows": "subset",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ftprop_exact.proofs' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ftprop_exact.proofs.{_EXPORTS[name]}"), name)
