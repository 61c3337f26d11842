"""Proof files: write them atomically, read them back strictly.

Layout (JSON)::

    {"format": "ftprop-proof", "version": 2, "data": NAME, "proof": {"kind": ..., "claim": {...}, ...}}

The claim (data fingerprint, widths, activation, objective and bound, weight domain and cap)
lives inside the proof, so the envelope has nothing that could disagree with it; ``data``
is the data's name, for people. Unknown fields are refused everywhere.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

from ftprop_exact.atomic import write_text_atomic
from ftprop_exact.data import Dataset
from ftprop_exact.errors import DataError
from ftprop_exact.proofs.base import Proof

FORMAT = "ftprop-proof"
VERSION = 2
_ENVELOPE = {"format", "version", "data", "proof"}

# proof kind -> "module:Class" (each class has from_dict)
KINDS = {
    "duplicate-conflict": "ftprop_exact.proofs.basic:DuplicateConflictProof",
    "single-layer": "ftprop_exact.proofs.basic:SingleLayerProof",
    "hitting-set": "ftprop_exact.proofs.hitting_set:HittingSetProof",
    "cpsat-benders": "ftprop_exact.proofs.benders:CPSATProof",
    "exhaustive": "ftprop_exact.proofs.exhaustive:ExhaustiveProof",
    "cpsat-integer": "ftprop_exact.proofs.integer:IntegerProof",
    "cubes": "ftprop_exact.proofs.cubes:CubesProof",
    "must-differ": "ftprop_exact.proofs.must_differ:MustDifferProof",
    "subset": "ftprop_exact.proofs.subset:SubsetProof",
    "level-benders": "ftprop_exact.proofs.level_benders:LevelBendersProof",
}


def save_proof(path: str | os.PathLike, proof: Proof, data: Dataset) -> None:
    """Write a proof file atomically."""
    document = {"format": FORMAT, "version": VERSION, "data": data.name, "proof": proof.to_dict()}
    write_text_atomic(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def proof_from_dict(d: Any) -> Proof:
    """Rebuild a proof object from its JSON form (dispatch on ``kind``).

    Raises
    ------
    DataError
        Unknown kind, or a malformed proof (the message says which field).
    """
    kind = d.get("kind") if isinstance(d, dict) else None
    if not isinstance(kind, str) or kind not in KINDS:
        raise DataError(f"unknown proof kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    module_name, class_name = KINDS[kind].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    try:
        return cls.from_dict(d)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise DataError(f"malformed {kind} proof ({exc})") from None


def load_proof(path: str | os.PathLike) -> tuple[Proof, dict[str, Any]]:
    """Read a proof file (the checker, not this function, ties it to data).

    Raises
    ------
    DataError
        When the file is unreadable, malformed, of another version, or has unknown fields.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise DataError(f"{path}: proof file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise DataError(f"{path}: not a readable JSON proof file ({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise DataError(f"{path}: not an ftprop proof file (missing \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version != VERSION:
        raise DataError(
            f"{path}: proof format version {version!r} is not supported (expected {VERSION}; "
            "version 1 files do not state their full claim: run ftprop check --proof again)"
        )
    extra = sorted(set(document) - _ENVELOPE)
    if extra or "proof" not in document:
        raise DataError(f"{path}: unexpected field(s) {extra} in the proof envelope" if extra else f"{path}: no proof")
    if not isinstance(document.get("data", ""), str):
        raise DataError(f"{path}: \"data\" must be the data's name (a string)")
    try:
        proof = proof_from_dict(document["proof"])
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
    return proof, document
