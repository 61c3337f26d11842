"""Proof files: write them atomically, read them back, and tie them to their data.

Layout (JSON)::

    {"format": "ftprop-proof", "version": 1, "data": NAME, "data_sha256": HEX,
     "hidden": [...], "proof": {"kind": ..., ...}}

``data_sha256`` hashes the features and encoded labels as given, so a proof is never
checked against other data by mistake.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from typing import Any

import numpy as np

from ftprop_exact.atomic import write_text_atomic
from ftprop_exact.data import Dataset
from ftprop_exact.errors import DataError
from ftprop_exact.proofs import Proof

FORMAT = "ftprop-proof"
VERSION = 1

# proof kind -> "module:Class" (each class has from_dict and verify)
_KINDS = {
    "duplicate-conflict": "ftprop_exact.proofs:DuplicateConflictProof",
    "single-layer": "ftprop_exact.proofs:SingleLayerProof",
    "cpsat-benders": "ftprop_exact.solvers.cpsat_proof:CPSATProof",
    "exhaustive": "ftprop_exact.solvers.brute:ExhaustiveProof",
}


def data_fingerprint(data: Dataset) -> str:
    """SHA-256 of the features (float64, C order), their shape and the encoded labels."""
    digest = hashlib.sha256()
    digest.update(np.asarray(data.X.shape, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(data.X, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(data.Y, dtype=np.int8).tobytes())
    return digest.hexdigest()


def save_proof(path: str | os.PathLike, proof: Proof, data: Dataset, hidden: tuple[int, ...]) -> None:
    """Write a proof file atomically."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "data": data.name,
        "data_sha256": data_fingerprint(data),
        "hidden": list(hidden),
        "proof": proof.to_dict(),
    }
    write_text_atomic(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def proof_from_dict(d: dict[str, Any]) -> Proof:
    """Rebuild a proof object from its JSON form (dispatch on ``kind``)."""
    kind = d.get("kind")
    if kind not in _KINDS:
        raise DataError(f"unknown proof kind {kind!r}; known kinds: {', '.join(sorted(_KINDS))}")
    module_name, class_name = _KINDS[kind].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls.from_dict(d)


def load_proof(path: str | os.PathLike, data: Dataset) -> tuple[Proof, dict[str, Any]]:
    """Read a proof file and check that it belongs to ``data``.

    Raises
    ------
    DataError
        When the file is unreadable, malformed, or made for other data.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise DataError(f"{path}: proof file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a readable JSON proof file ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DataError(f"{path}: not an ftprop proof file (missing \"format\": \"{FORMAT}\")")
    if document.get("version") != VERSION:
        raise DataError(f"{path}: proof format version {document.get('version')!r} is not supported (expected {VERSION})")
    if document.get("data_sha256") != data_fingerprint(data):
        raise DataError(f"{path}: the proof was made for other data ({document.get('data')!r}), not {data.name!r}")
    try:
        proof = proof_from_dict(document["proof"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path}: malformed proof ({exc})") from None
    return proof, document
