"""Proofs made on some rows of the data: "rows R of data D" wrapping a proof about ``D[R]``.

Row generation (the active set, :mod:`ftprop_exact.solvers.active_set`) searches on a
working subset of the rows. What it proves there holds for the whole data:

- no network fits the rows ``R`` => no network fits the data, which contains them;
- every network misclassifies at least ``L`` examples of ``D[R]`` => it misclassifies at
  least ``L`` examples of ``D``, because ``R`` names *distinct* rows of ``D`` (so each
  example of ``D[R]`` is a different example of ``D``, duplicates included).

The outer claim is about the full data (its fingerprint); the inner proof's claim is the
same statement about the subset data ``D[R]`` (the subset's fingerprint, every other field
equal). The checker rebuilds ``D[R]`` from the full data file by row index and checks the
inner proof against it with the one checker, so nothing of the subset is taken on trust.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.data import Dataset
from ftprop_exact.proofs.base import Proof, ProofBase, int_list, parse_fields
from ftprop_exact.proofs.claim import Claim, data_fingerprint

KIND = "subset"


def take_rows(data: Dataset, rows: Any) -> Dataset:
    """The examples ``rows`` of ``data``, in that order, with the same classes and encoding.

    Parameters
    ----------
    data : Dataset
        The data as given.
    rows : sequence of int
        0-based row indices (the caller checks that they are distinct and in range).

    Returns
    -------
    Dataset
        Read-only arrays; the classes (hence the label encoding) are those of ``data``,
        even when some class does not occur among ``rows``.

    Examples
    --------
    >>> from ftprop_exact.data import make_dataset
    >>> part = take_rows(make_dataset([[0.0], [1.0], [2.0]], ["a", "b", "c"]), [2, 0])
    >>> part.X.ravel().tolist(), part.Y.tolist(), part.classes
    ([2.0, 0.0], [[-1, -1, 1], [1, -1, -1]], ('a', 'b', 'c'))
    """
    index = np.asarray(rows, dtype=np.intp)
    arrays = {}
    for name in ("X", "y", "Y"):
        part = np.ascontiguousarray(getattr(data, name)[index])
        part.setflags(write=False)
        arrays[name] = part
    return Dataset(
        X=arrays["X"],
        y=arrays["y"],
        classes=data.classes,
        Y=arrays["Y"],
        name=f"{data.name}[{index.size} rows]",
        feature_names=data.feature_names,
    )


def subset_claim(claim: Claim, subset: Dataset) -> Claim:
    """The same statement as ``claim``, about ``subset`` (only the data fingerprint changes)."""
    return dataclasses.replace(claim, data_sha256=data_fingerprint(subset))


@dataclass(frozen=True)
class SubsetProof(ProofBase):
    """The claim about the data, shown by a proof of the same claim about rows ``rows`` of it.

    Attributes
    ----------
    claim : Claim
        About the full data (its fingerprint).
    rows : tuple of int
        Distinct 0-based rows of the full data; the subset data is ``data[rows]`` in this
        order (the inner proof's row numbers refer to it).
    inner : Proof
        Any other proof kind, whose claim equals ``claim`` except for the fingerprint,
        which is that of the subset data.

    Examples
    --------
    >>> from ftprop_exact.data import make_dataset
    >>> from ftprop_exact.proofs.basic import DuplicateConflictProof
    >>> data = make_dataset([[5.0], [0.0], [1.0], [0.0]], [0, 0, 1, 1])
    >>> part = take_rows(data, [1, 3])
    >>> inner = DuplicateConflictProof(Claim.of(part, (2,)), (0, 1))
    >>> SubsetProof(Claim.of(data, (2,)), (1, 3), inner).verify(data)
    True
    """

    claim: Claim
    rows: tuple[int, ...]
    inner: Proof
    kind: str = KIND

    @property
    def cheap(self) -> bool:
        """As cheap to check as the inner proof (plus one pass over the named rows)."""
        return bool(getattr(self.inner, "cheap", False))

    @property
    def covers_levels(self) -> bool:
        """Shows ``qrelu:K`` claims when the inner proof does (the checker holds the inner proof
        to the same rule against its own claim)."""
        return bool(getattr(self.inner, "covers_levels", False))

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"kind": "subset", "claim": {...}, "rows": [...], "proof": {inner}}``."""
        return {
            "kind": self.kind,
            "claim": self.claim.to_dict(),
            "rows": [int(r) for r in self.rows],
            "proof": self.inner.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SubsetProof:
        """Inverse of :meth:`to_dict` (strict: exactly these fields; the inner proof too)."""
        from ftprop_exact.proofs.io import proof_from_dict  # io dispatches to this module

        d = parse_fields(d, KIND, ("rows", "proof"))
        rows = int_list(d["rows"], "rows")
        if isinstance(d["proof"], dict) and d["proof"].get("kind") == KIND:
            raise ValueError("a subset proof may not wrap another subset proof")
        return cls(Claim.from_dict(d["claim"]), rows, proof_from_dict(d["proof"]))

    def structure_problem(self) -> str | None:
        """The inner proof must state this claim (up to the data) and be able to prove it."""
        if isinstance(self.inner, SubsetProof) or getattr(self.inner, "kind", None) == KIND:
            return "a subset proof may not wrap another subset proof"
        inner_claim = getattr(self.inner, "claim", None)
        if not isinstance(inner_claim, Claim):
            return f"the inner {type(self.inner).__name__} states no claim"
        differences = [m for m in self.claim.mismatches(inner_claim) if not m.startswith("data_sha256")]
        if differences:
            return "the inner proof's claim is not the outer claim on the subset: " + "; ".join(differences)
        if not self.rows:
            return "a subset proof names no rows"
        return self.inner.structure_problem()

    def check_body(self, data: Dataset, thorough: bool = True, time_limit: float | None = None) -> tuple[bool, str]:
        """Rebuild ``data[rows]`` and check the inner proof against the claim on it."""
        from ftprop_exact.proofs.check import check_proof  # check imports the proof kinds' base

        m = data.n_examples
        if min(self.rows) < 0 or max(self.rows) >= m:  # Python integers: any size is refused, never overflows
            return False, f"the rows must lie in 0..{m - 1}; got {min(self.rows)}..{max(self.rows)}"
        rows = np.asarray(self.rows, dtype=np.int64)
        if np.unique(rows).size != rows.size:
            return False, "the rows must be distinct (a repeated row would count its errors twice)"
        subset = take_rows(data, rows)
        expected = subset_claim(self.claim, subset)
        check = check_proof(self.inner, subset, expected, thorough=thorough, time_limit=time_limit,
                            fingerprint=expected.data_sha256)
        if not check.ok:
            return False, f"on the {rows.size} named rows: {check.reason}"
        return True, f"on {rows.size} of the {m} rows ({self.inner.kind}): {check.reason}"
