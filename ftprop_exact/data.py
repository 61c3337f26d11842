"""Data intake: CSV and NPZ files, scikit-learn's built-in data sets, in-memory arrays.

Every way in ends in :func:`make_dataset`, which checks the arrays and encodes the labels as
``{-1, +1}`` targets. The features are kept exactly as given (no scaling): the exact solvers
answer questions about *these* numbers. Every rejection is a
:class:`~ftprop_exact.errors.DataError` whose message names the file, the row (0-based data
row and, for CSV files, the 1-based line), the column and the offending value.

Examples
--------
>>> from ftprop_exact.data import load_dataset
>>> data = load_dataset("iris:versicolor,virginica")
>>> data.n_examples, data.n_features, data.classes, data.Y.shape
(100, 4, ('versicolor', 'virginica'), (100, 1))
"""

from __future__ import annotations

import io
import math
import numbers
import os
import re
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ftprop_exact.errors import DataError
from ftprop_exact.rows import group_identical_rows

__all__ = [
    "BUILTIN_DATASETS",
    "Dataset",
    "MergedRows",
    "encode_labels",
    "load_dataset",
    "make_dataset",
    "merge_duplicate_rows",
]

BUILTIN_DATASETS: tuple[str, ...] = ("iris", "wine", "breast_cancer", "digits")
"""Names accepted by :func:`load_dataset` for scikit-learn's bundled data sets."""

_LABELLED_BUILTINS = ("iris", "wine", "breast_cancer")  # labels are the target names
_CSV_CELLS_PER_CHUNK = 4_000_000  # cells parsed per pandas chunk (bounds the extra memory)
_CSV_MIN_CHUNK_ROWS = 1024
_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True, eq=False)
class MergedRows:
    """Duplicate examples merged: one row per distinct feature vector.

    Attributes
    ----------
    X : ndarray of shape (u, n)
        The distinct rows, in order of first occurrence (each as it first occurs).
    Y : ndarray of shape (u, k)
        Targets of each distinct row (those of its first occurrence).
    counts : ndarray of shape (u,)
        Number of original rows each distinct row stands for.
    first_index : ndarray of shape (u,)
        0-based index into the original rows of each distinct row's first occurrence
        (increasing).
    inverse : ndarray of shape (m,)
        For every original row, the index of its distinct row: ``X[inverse]`` rebuilds the
        original features (with ``-0.0`` read as ``0.0``).
    conflict : tuple of (int, int) or None
        Two original rows ``(i, j)``, ``i < j``, with identical features and different
        targets (the smallest ``i``, then the smallest ``j``); ``None`` when there are none.
        A conflict means that no classifier fits the data with zero errors.
    """

    X: np.ndarray
    Y: np.ndarray
    counts: np.ndarray
    first_index: np.ndarray
    inverse: np.ndarray
    conflict: tuple[int, int] | None

    @property
    def n_unique(self) -> int:
        """Number of distinct rows."""
        return int(self.X.shape[0])


@dataclass(frozen=True, eq=False)
class Dataset:
    """A validated labelled data set.

    Build one with :func:`load_dataset` or :func:`make_dataset`, which check every invariant
    below; the arrays are read-only views.

    Attributes
    ----------
    X : ndarray of shape (m, n), float64
        Features as given (no scaling), C-contiguous, all finite.
    y : ndarray of shape (m,)
        The labels as read: numbers, or strings (``<U`` dtype).
    classes : tuple
        The distinct labels, sorted (numerically for numbers, lexicographically for strings),
        as native Python scalars (``int``, ``float``, ``bool`` or ``str``); at least two.
    Y : ndarray of shape (m, k), int8
        Targets in ``{-1, +1}``. With two classes ``k = 1`` and ``classes[0] -> -1``,
        ``classes[1] -> +1``; otherwise ``k = len(classes)``, one-hot with ``+1`` for the
        example's class and ``-1`` elsewhere.
    name : str
        Where the data came from (a file path, ``"iris:versicolor,virginica"``, ...).
    feature_names : tuple of str
        One name per column of ``X``.
    """

    X: np.ndarray
    y: np.ndarray
    classes: tuple
    Y: np.ndarray
    name: str
    feature_names: tuple[str, ...]

    @property
    def n_examples(self) -> int:
        """Number of examples ``m``."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features ``n``."""
        return int(self.X.shape[1])

    @property
    def n_outputs(self) -> int:
        """Number of output units ``k`` (1 for two classes, else the number of classes)."""
        return int(self.Y.shape[1])

    def merge_duplicates(self) -> MergedRows:
        """Merge identical examples; see :func:`merge_duplicate_rows`."""
        return merge_duplicate_rows(self.X, self.Y)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n_examples={self.n_examples}, "
            f"n_features={self.n_features}, classes={self.classes!r})"
        )


# --------------------------------------------------------------------------- public API


def load_dataset(spec: str | os.PathLike, label: str | None = None) -> Dataset:
    """Load a data set from a CSV or NPZ file or from scikit-learn's built-in data sets.

    Parameters
    ----------
    spec : str or path-like
        A path ending in ``.csv`` (header line required; the label is the last column or
        the column named by ``label``), a path ending in ``.npz`` (arrays ``X`` of shape
        (m, n) and ``y`` of shape (m,), optionally ``feature_names``), or one of
        :data:`BUILTIN_DATASETS`, optionally followed by a class selection: ``"digits:3,8"``,
        ``"iris:versicolor,virginica"`` (target names or integer targets, at least two).
    label : str, optional
        Name of the label column of a CSV file. Default: the last column.

    Returns
    -------
    Dataset
        Named ``spec`` as given.

    Raises
    ------
    DataError
        If the file is missing or malformed, or the data are invalid; the message says
        where and why.

    Examples
    --------
    >>> data = load_dataset("digits:3,8")
    >>> data.classes, data.n_outputs
    ((3, 8), 1)
    """
    text = os.fsdecode(spec)
    lowered = text.lower()
    if lowered.endswith(".csv"):
        return _load_csv(_existing_file(text), label)
    if lowered.endswith(".npz"):
        _reject_label(label, text)
        return _load_npz(_existing_file(text))
    base = text.partition(":")[0]
    if base in BUILTIN_DATASETS:
        _reject_label(label, text)
        return _load_builtin(text)
    builtins = ", ".join(BUILTIN_DATASETS)
    if os.path.exists(text):
        raise DataError(
            f"{text}: unknown data format: expected a .csv or .npz file, or a built-in "
            f"data set ({builtins})"
        )
    raise DataError(
        f"{text}: no such file, and not a built-in data set; expected a .csv or .npz file "
        f"or one of {builtins} (optionally with classes, e.g. digits:3,8)"
    )


def make_dataset(
    X: Any,
    y: Any,
    name: str = "array",
    feature_names: Sequence[str] | None = None,
) -> Dataset:
    """Validate in-memory arrays and wrap them as a :class:`Dataset`.

    Parameters
    ----------
    X : array-like of shape (m, n)
        Numeric features (bool, integer or float), all finite; converted to C-contiguous
        float64 (no copy when it already is).
    y : array-like of shape (m,)
        Labels: all numbers or all strings; at least two distinct values.
    name : str, default "array"
        Name of the data set, used in error messages.
    feature_names : sequence of str, optional
        One name per feature. Default: ``x0, x1, ...``.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        If the shapes, types or values are invalid.

    Examples
    --------
    >>> data = make_dataset([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0], name="xor")
    >>> data.Y.ravel().tolist()
    [-1, 1, 1, -1]
    """
    X = _as_feature_matrix(X, name)
    names = _feature_names(feature_names, X.shape[1], name)
    _check_finite(X, name, names)
    y = _as_labels(y, X.shape[0], name)
    try:
        classes, Y = encode_labels(y)
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    return Dataset(
        X=_read_only(X),
        y=_read_only(y),
        classes=classes,
        Y=_read_only(Y),
        name=name,
        feature_names=names,
    )


def encode_labels(y: np.ndarray) -> tuple[tuple, np.ndarray]:
    """Encode labels as ``{-1, +1}`` targets.

    Parameters
    ----------
    y : ndarray of shape (m,)
        Labels: numbers or strings (no NaN).

    Returns
    -------
    classes : tuple
        Sorted distinct labels as native Python scalars.
    Y : ndarray of shape (m, k), int8
        ``k = 1`` for two classes (``classes[0] -> -1``, ``classes[1] -> +1``), else
        ``k = len(classes)``: ``+1`` in the column of the example's class, ``-1`` elsewhere.

    Raises
    ------
    DataError
        If there are fewer than two classes or the labels cannot be sorted.

    Examples
    --------
    >>> classes, Y = encode_labels(np.array(["b", "a", "c"]))
    >>> classes, Y.tolist()
    (('a', 'b', 'c'), [[-1, 1, -1], [1, -1, -1], [-1, -1, 1]])
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise DataError(f"labels must be 1-D; got shape {y.shape}")
    try:
        values, inverse = np.unique(y, return_inverse=True)
    except TypeError as exc:
        raise DataError(f"labels cannot be sorted (mixed types?): {exc}") from None
    classes = tuple(_native(v) for v in values)
    if len(classes) < 2:
        found = f"only the label {classes[0]!r}" if classes else "no labels"
        raise DataError(f"at least two classes are needed; found {found}")
    inverse = inverse.reshape(-1)
    m = y.shape[0]
    if len(classes) == 2:
        Y = (2 * inverse - 1).astype(np.int8).reshape(m, 1)
    else:
        Y = np.full((m, len(classes)), -1, dtype=np.int8)
        Y[np.arange(m), inverse] = 1
    return classes, Y


def merge_duplicate_rows(X: np.ndarray, Y: np.ndarray) -> MergedRows:
    """Merge identical rows of ``X`` (``-0.0`` and ``0.0`` count as equal).

    Rows are compared bit for bit after folding ``-0.0`` into ``0.0``: a 64-bit hash of
    each row is sorted, and every row of a hash group is then compared with the group's
    first row, so a hash collision can never merge different rows (it falls back to an
    exact byte sort). Runs in O(m n + m log m) time; besides the result it needs O(m k)
    memory and a few MiB of scratch.

    Parameters
    ----------
    X : ndarray of shape (m, n)
        Features.
    Y : ndarray of shape (m, k)
        Targets.

    Returns
    -------
    MergedRows

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [-0.0, 1.0]])
    >>> Y = np.array([[1], [1], [-1]], dtype=np.int8)
    >>> r = merge_duplicate_rows(X, Y)
    >>> r.counts.tolist(), r.first_index.tolist(), r.inverse.tolist(), r.conflict
    ([2, 1], [0, 1], [0, 1, 0], (0, 2))
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise DataError(
            f"merge_duplicate_rows needs X of shape (m, n) and Y of shape (m, k); "
            f"got {X.shape} and {Y.shape}"
        )
    groups = group_identical_rows(X)
    first_index, inverse = groups.first_index, groups.inverse
    return MergedRows(
        X=X[first_index],
        Y=Y[first_index],
        counts=groups.counts(),
        first_index=first_index,
        inverse=inverse,
        conflict=_first_conflict(Y, first_index[inverse]),
    )


# --------------------------------------------------------------------------- validation


def _as_feature_matrix(X: Any, name: str) -> np.ndarray:
    """``X`` as a C-contiguous float64 (m, n) matrix with m, n >= 1."""
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{name}: X is not a rectangular numeric array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"{name}: X must be numeric (bool, integer or float); got dtype {arr.dtype}"
        )
    if arr.ndim != 2:
        raise DataError(f"{name}: X must be 2-D (examples x features); got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise DataError(f"{name}: no examples (X has 0 rows)")
    if arr.shape[1] == 0:
        raise DataError(f"{name}: no features (X has 0 columns)")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _check_finite(X: np.ndarray, name: str, feature_names: tuple[str, ...]) -> None:
    """Raise naming the first (row-major) NaN or infinite entry of ``X``."""
    with np.errstate(over="ignore", invalid="ignore"):
        if math.isfinite(float(np.sum(X))):  # NaN and inf propagate into the sum
            return
    bad = np.isfinite(X.reshape(-1))
    if bad.all():  # the sum overflowed; every entry is finite
        return
    i, j = divmod(int(np.argmin(bad)), X.shape[1])
    raise DataError(
        f"{name}: X[{i}, {j}] is {float(X[i, j])!r} (row {i}, column {j} {feature_names[j]!r}): "
        "feature values must be finite"
    )


def _as_labels(y: Any, m: int, name: str) -> np.ndarray:
    """``y`` as a 1-D array of m numbers or m strings (``<U``), none missing."""
    try:
        # A list is checked element by element (numpy would silently turn [1, "a"] into text).
        arr = np.array(y, dtype=object) if isinstance(y, (list, tuple)) else np.asarray(y)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{name}: y is not a 1-D array of labels: {exc}") from None
    if arr.ndim != 1:
        raise DataError(f"{name}: y must be 1-D (one label per example); got shape {arr.shape}")
    if arr.shape[0] != m:
        raise DataError(f"{name}: X has {m} rows but y has {arr.shape[0]} labels")
    kind = arr.dtype.kind
    if kind == "O":
        arr = _object_labels(arr, name)
        kind = arr.dtype.kind
    elif kind == "S":
        try:
            arr = arr.astype(str)
        except UnicodeDecodeError:
            raise DataError(f"{name}: y holds byte strings that are not ASCII") from None
        kind = "U"
    if kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            i = int(np.argmin(finite))
            raise DataError(f"{name}: row {i}: missing or non-finite label {float(arr[i])!r}")
    elif kind == "U":
        empty = arr == ""
        if empty.any():
            raise DataError(f"{name}: row {int(np.argmax(empty))}: missing (empty) label")
    elif kind not in "biu":
        raise DataError(f"{name}: labels must be numbers or strings; got dtype {arr.dtype}")
    return arr


def _object_labels(arr: np.ndarray, name: str) -> np.ndarray:
    """Convert an object array of labels to a numeric or ``<U`` array."""
    n_str = n_num = 0
    for i, v in enumerate(arr.tolist()):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise DataError(f"{name}: row {i}: missing label")
        if isinstance(v, str):
            n_str += 1
        elif isinstance(v, numbers.Real):
            n_num += 1
        else:
            raise DataError(f"{name}: row {i}: label {v!r} is neither a number nor a string")
        if n_str and n_num:
            raise DataError(f"{name}: labels mix numbers and strings (row {i}: {v!r})")
    return arr.astype(str) if n_str else np.asarray(arr.tolist())


def _feature_names(names: Sequence[str] | None, n: int, name: str) -> tuple[str, ...]:
    if names is None:
        return tuple(f"x{j}" for j in range(n))
    out = tuple(str(s) for s in np.asarray(names).reshape(-1).tolist())
    if len(out) != n:
        raise DataError(f"{name}: {len(out)} feature names for {n} features")
    return out


def _native(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar (JSON-serialisable)."""
    return value.item() if isinstance(value, np.generic) else value


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view (the caller's own array stays writeable)."""
    view = a.view()
    view.flags.writeable = False
    return view


# --------------------------------------------------------------------------- dispatch


def _existing_file(text: str) -> str:
    if not os.path.exists(text):
        raise DataError(f"{text}: no such file")
    if os.path.isdir(text):
        raise DataError(f"{text}: is a directory, not a data file")
    return text


def _reject_label(label: str | None, text: str) -> None:
    if label is not None:
        raise DataError(f"{text}: a label column ({label!r}) can only be chosen for CSV files")


# --------------------------------------------------------------------------- CSV


def _load_csv(path: str, label: str | None) -> Dataset:
    """Read a CSV file with a header line; see :func:`load_dataset`."""
    columns = _csv_header(path)
    label = columns[-1] if label is None else label
    if label not in columns:
        raise DataError(
            f"{path}: no label column {label!r}; the columns are {', '.join(columns)}"
        )
    label_pos = columns.index(label)
    feature_pos = [j for j in range(len(columns)) if j != label_pos]
    if not feature_pos:
        raise DataError(f"{path}: no feature columns (the only column is the label {label!r})")
    X, label_parts = _read_csv_rows(path, columns, feature_pos, label_pos)
    y = _combine_labels(label_parts, path, columns, label_pos)
    names = [columns[j] for j in feature_pos]
    return make_dataset(X, y, name=path, feature_names=names)


def _csv_reader_args(path: str) -> dict[str, Any]:
    """Keyword arguments of ``pandas.read_csv`` shared by every read of a data file."""
    import pandas as pd

    args: dict[str, Any] = dict(
        engine="c",
        encoding="utf-8",
        skip_blank_lines=False,  # keeps data row r on line r + 2
        keep_default_na=False,  # only an empty cell is missing; "nan", "NA" are values
        na_values=[""],
        index_col=False,  # never turn the first column into an index
    )
    if _pandas_float_converter_is_inexact(pd):
        args["float_precision"] = "round_trip"
    return args


def _read_csv_rows(
    path: str, columns: list[str], feature_pos: list[int], label_pos: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Parse the data rows in chunks straight into one float64 matrix.

    Returns the (m, n) features (a view of the first m rows of the buffer they were read
    into) and the label column in pieces, one per chunk.
    """
    import pandas as pd

    chunk_rows = max(_CSV_MIN_CHUNK_ROWS, _CSV_CELLS_PER_CHUNK // len(columns))
    rows = _RowBuffer(_row_capacity(path), len(feature_pos))
    labels: list[np.ndarray] = []
    m = 0  # rows kept so far
    trailing_empty: int | None = None  # first row of the empty lines ending the file
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "error", message="Length of header or names", category=pd.errors.ParserWarning
            )
            with pd.read_csv(path, chunksize=chunk_rows, **_csv_reader_args(path)) as reader:
                for chunk in reader:
                    if trailing_empty is not None:
                        if not _empty_rows(chunk).all():
                            raise _empty_line_error(path, trailing_empty)
                        continue
                    keep = _store_chunk(rows, m, chunk, path, feature_pos, label_pos)
                    if keep == len(chunk):
                        labels.append(chunk.iloc[:, label_pos].to_numpy())
                    else:  # the empty lines may have changed how pandas typed the labels
                        trailing_empty = m + keep
                        if keep:
                            labels.append(_read_labels(path, columns, label_pos, m, keep))
                    m += keep
    except pd.errors.ParserWarning:
        raise DataError(
            f"{path}: row 0 (line 2) has more fields than the {len(columns)} columns of the "
            "header"
        ) from None
    except pd.errors.ParserError as exc:
        raise _parser_error(path, exc, len(columns)) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    if m == 0:
        raise DataError(f"{path}: no data rows (only the header line)")
    return rows.X[:m], labels


def _csv_header(path: str) -> list[str]:
    """The column names of a CSV file, as pandas reads them."""
    import pandas as pd

    try:
        with open(path, encoding="utf-8-sig") as f:
            first = f.readline()
        if first == "":
            raise DataError(f"{path}: empty file (a header line with the column names is needed)")
        if first.strip() == "":
            raise DataError(
                f"{path}: line 1 is empty (a header line with the column names is needed)"
            )
        header = pd.read_csv(io.StringIO(first), nrows=0, engine="c", index_col=False)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: cannot parse the header line: {exc}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    return [str(c) for c in header.columns]


def _pandas_float_converter_is_inexact(pd: Any) -> bool:
    """Before pandas 3.1 the default float parser could be off by one ulp."""
    major, minor = (int(part) for part in re.findall(r"\d+", pd.__version__)[:2])
    return (major, minor) < (3, 1)


def _row_capacity(path: str) -> int:
    """A generous estimate of the number of data rows, from the first MiB of the file.

    Rows past the estimate still fit (:func:`_store_rows` grows the buffer); rows short of
    it cost only address space, as pages never written are never allocated.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        sample = f.read(1 << 20)
    lines = sample.count(b"\n") + 1
    if len(sample) >= size:
        return lines
    return int(size / len(sample) * lines * 1.25) + 1024


class _RowBuffer:
    """A float64 matrix of ``n`` columns, filled from pandas chunks, that grows if needed."""

    def __init__(self, capacity: int, n: int) -> None:
        self.X = np.empty((capacity, n), dtype=np.float64)
        self._columns = np.empty((n, 0), dtype=np.float64)  # reused between chunks

    def store(self, start: int, chunk: Any, feature_pos: list[int]) -> np.ndarray:
        """Copy the feature columns of ``chunk`` into rows ``start:`` and return those rows."""
        stop, n = start + len(chunk), self.X.shape[1]
        if stop > self.X.shape[0]:
            grown = np.empty((max(stop, self.X.shape[0] * 3 // 2), n), dtype=np.float64)
            grown[:start] = self.X[:start]
            self.X = grown
        if self._columns.shape[1] < len(chunk):
            self._columns = np.empty((n, len(chunk)), dtype=np.float64)
        columns = self._columns[:, : len(chunk)]
        for i, j in enumerate(feature_pos):  # pandas keeps columns apart: gather them ...
            columns[i] = chunk.iloc[:, j].to_numpy()
        self.X[start:stop] = columns.T  # ... and transpose once (faster than strided writes)
        return self.X[start:stop]


def _store_chunk(
    rows: _RowBuffer, start: int, chunk: Any, path: str, feature_pos: list[int], label_pos: int
) -> int:
    """Check a chunk of rows and copy its features into rows ``start:`` of the buffer.

    Returns the number of rows kept: all of them, unless the chunk ends in wholly empty
    lines (allowed at the end of the file). Raises :class:`DataError` at the first
    offending cell in row-major order.
    """
    import pandas as pd

    kinds = [dtype.kind for dtype in chunk.dtypes]
    numeric = all(kinds[j] in "biuf" for j in feature_pos)
    if numeric and (kinds[label_pos] in "biu" or not pd.isna(chunk.iloc[:, label_pos]).any()):
        stored = rows.store(start, chunk, feature_pos)
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.sum(stored))
        if math.isfinite(total):  # NaN (an empty cell) and inf propagate into the sum
            return len(chunk)
    keep = _diagnose_csv_chunk(chunk, start, path, feature_pos, label_pos)
    # Reached when the chunk is valid up to trailing empty lines (or the sum overflowed).
    rows.store(start, chunk.iloc[:keep], feature_pos)
    return keep


def _diagnose_csv_chunk(
    chunk: Any, start: int, path: str, feature_pos: list[int], label_pos: int
) -> int:
    """Find the first bad cell of a chunk (the slow path).

    Returns the number of rows before the chunk's trailing empty lines (all rows if none).
    """
    import pandas as pd

    columns = [str(c) for c in chunk.columns]
    missing = [_missing_cells(chunk.iloc[:, j]) for j in range(len(columns))]
    empty = np.logical_and.reduce(missing)
    first_empty = int(np.argmax(empty)) if empty.any() else len(chunk)
    best: tuple[int, int, str] | None = None  # (row, column, what is wrong)
    for j in range(len(columns)):
        if j == label_pos:  # a label of blanks is a label; only an empty cell is missing
            bad = np.array(pd.isna(chunk.iloc[:, j]), dtype=bool) & ~empty
            problems = (None,) * len(bad)
        else:
            problems = _feature_problems(chunk.iloc[:, j], missing[j])
            bad = np.array([p is not None for p in problems], dtype=bool) & ~empty
        if bad.any():
            i = int(np.argmax(bad))
            if best is None or i < best[0]:
                what = "missing label" if j == label_pos else problems[i]
                best = (i, j, what)
    if best is not None and best[0] < first_empty:
        i, j, what = best
        r = start + i
        raise DataError(f"{path}: row {r} (line {r + 2}), column {columns[j]!r}: {what}")
    if first_empty < len(chunk) and not empty[first_empty:].all():
        raise _empty_line_error(path, start + first_empty)
    return first_empty


def _missing_cells(column: Any) -> np.ndarray:
    """Cells that are empty (or only blanks)."""
    import pandas as pd

    missing = np.array(pd.isna(column), dtype=bool)  # a writeable copy
    if column.dtype.kind not in "biuf":
        values = column.to_numpy(dtype=object)
        missing |= np.array([isinstance(v, str) and not v.strip() for v in values], dtype=bool)
    return missing


def _feature_problems(column: Any, missing: np.ndarray) -> list[str | None]:
    """For each cell of a feature column, what is wrong with it (``None``: nothing)."""
    if column.dtype.kind in "biuf":
        values = column.to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        return [
            None if ok else ("missing value" if miss else f"non-finite value {str(v)!r}")
            for ok, miss, v in zip(finite.tolist(), missing.tolist(), values.tolist())
        ]
    return [
        "missing value" if miss else _text_problem(v)
        for miss, v in zip(missing.tolist(), column.to_numpy(dtype=object).tolist())
    ]


def _text_problem(value: Any) -> str | None:
    """What is wrong with one feature cell read as text (``None``: a finite number)."""
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return f"non-numeric value {text!r}"
    if "_" in text:  # float() accepts "1_000"; a CSV number never has underscores
        return f"non-numeric value {text!r}"
    return None if math.isfinite(number) else f"non-finite value {text.strip()!r}"


def _empty_rows(chunk: Any) -> np.ndarray:
    return np.logical_and.reduce([_missing_cells(chunk.iloc[:, j]) for j in range(chunk.shape[1])])


def _empty_line_error(path: str, row: int) -> DataError:
    return DataError(
        f"{path}: row {row} (line {row + 2}) is empty; empty lines are allowed only at the "
        "end of the file"
    )


def _parser_error(path: str, exc: Exception, n_columns: int) -> DataError:
    found = _RAGGED.search(str(exc))
    if found is None:
        return DataError(f"{path}: cannot parse CSV: {str(exc).strip()}")
    line, saw = int(found.group(2)), int(found.group(3))
    return DataError(
        f"{path}: row {line - 2} (line {line}) has {saw} fields but the header has "
        f"{n_columns} columns"
    )


def _combine_labels(
    parts: list[np.ndarray], path: str, columns: list[str], label_pos: int
) -> np.ndarray:
    """Join the label pieces read chunk by chunk.

    Numbers when pandas read every piece as numbers (booleans: all booleans), strings when
    it read every piece as text; when the pieces disagree (say ``1, 2`` in one chunk and
    ``x`` in another) the label column is read again as text, so that every label keeps
    the spelling it has in the file.
    """
    kinds = {part.dtype.kind for part in parts}
    if kinds <= set("iuf") or kinds == {"b"}:
        return np.concatenate(parts)
    m = sum(part.shape[0] for part in parts)
    if kinds == {"O"}:
        return np.concatenate(parts).astype(str)
    return _read_labels(path, columns, label_pos, 0, m, as_text=True).astype(str)


def _read_labels(
    path: str, columns: list[str], label_pos: int, start: int, n_rows: int, as_text: bool = False
) -> np.ndarray:
    """Read ``n_rows`` labels from data row ``start`` on (as pandas types them, or as text)."""
    import pandas as pd

    frame = pd.read_csv(
        path,
        header=None,
        names=columns,
        skiprows=start + 1,
        nrows=n_rows,
        usecols=[label_pos],
        dtype=object if as_text else None,
        **_csv_reader_args(path),
    )
    return frame.iloc[:, 0].to_numpy()


# --------------------------------------------------------------------------- NPZ


def _load_npz(path: str) -> Dataset:
    """Read arrays ``X`` and ``y`` (and optional ``feature_names``) from an NPZ file."""
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    if not magic:
        raise DataError(f"{path}: empty file (not an NPZ archive)")
    if magic == b"\x93NUMPY":
        raise DataError(f"{path}: a single .npy array, not an NPZ archive with arrays X and y")
    if not magic.startswith(b"PK"):
        raise DataError(f"{path}: not an NPZ archive (not a zip file)")
    try:
        archive = np.load(path, allow_pickle=False)  # a data file must never run code
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a valid NPZ archive: {exc}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):  # pragma: no cover - magic checked
        raise DataError(f"{path}: not an NPZ archive")
    with archive:
        keys = list(archive.files)
        for key in ("X", "y"):
            if key not in keys:
                present = ", ".join(keys) if keys else "none"
                raise DataError(f"{path}: no array {key!r} (arrays present: {present})")
        X = _npz_array(archive, "X", path)
        y = _npz_array(archive, "y", path)
        names = _npz_array(archive, "feature_names", path) if "feature_names" in keys else None
    return make_dataset(X, y, name=path, feature_names=names)


def _npz_array(archive: Any, key: str, path: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise DataError(
                f"{path}: array {key!r} holds Python objects (dtype=object) and is refused: "
                "loading it would mean unpickling, which can run code; store numbers or "
                "fixed-width strings"
            ) from None
        raise DataError(f"{path}: array {key!r} is corrupt: {exc}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: array {key!r} is corrupt: {exc}") from None


# --------------------------------------------------------------------------- built-ins


def _load_builtin(spec: str) -> Dataset:
    """One of scikit-learn's bundled data sets, optionally restricted to some classes."""
    from sklearn import datasets

    base, colon, selection = spec.partition(":")
    bunch = getattr(datasets, f"load_{base}")()
    target = np.asarray(bunch.target)
    if base in _LABELLED_BUILTINS:
        class_names = [str(s) for s in bunch.target_names]
        y = np.asarray(bunch.target_names)[target].astype(str)
    else:
        class_names = [str(int(v)) for v in bunch.target_names]
        y = target.astype(np.int64)
    X = np.asarray(bunch.data, dtype=np.float64)
    if colon:
        keep = _select_classes(selection, class_names, spec)
        rows = np.isin(target, keep)
        X, y = X[rows], y[rows]
    return make_dataset(X, y, name=spec, feature_names=list(bunch.feature_names))


def _select_classes(selection: str, class_names: list[str], spec: str) -> list[int]:
    """Integer targets named by ``"a,b,..."`` (target names or integer targets)."""
    valid = ", ".join(s if s == str(i) else f"{s} ({i})" for i, s in enumerate(class_names))
    chosen: list[int] = []
    for token in (t.strip() for t in selection.split(",")):
        if token in class_names:
            index = class_names.index(token)
        elif token.isdigit() and int(token) < len(class_names):
            index = int(token)
        else:
            raise DataError(f"{spec}: unknown class {token!r}; valid classes: {valid}")
        if index in chosen:
            raise DataError(f"{spec}: class {token!r} is selected twice")
        chosen.append(index)
    if len(chosen) < 2:
        raise DataError(f"{spec}: select at least two classes, e.g. {spec.partition(':')[0]}:"
                        f"{class_names[0]},{class_names[1]}; valid classes: {valid}")
    return chosen


# --------------------------------------------------------------------------- duplicates


def _first_conflict(Y: np.ndarray, rep: np.ndarray) -> tuple[int, int] | None:
    """The first pair of equal rows with different targets (see :class:`MergedRows`)."""
    if rep.size == 0:
        return None
    differs = (Y != Y[rep]).reshape(rep.size, -1).any(axis=1)
    if not differs.any():
        return None
    i = int(rep[differs].min())  # earliest group with a disagreement: its first row
    j = int(np.flatnonzero(differs & (rep == i))[0])
    return i, j
