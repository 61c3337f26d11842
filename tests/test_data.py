"""Tests of ftprop_exact.data: CSV, NPZ and built-in intake, label encoding, duplicate rows."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ftprop_exact import data as data_module
from ftprop_exact import rows as rows_module
from ftprop_exact.data import (
    BUILTIN_DATASETS,
    Dataset,
    encode_labels,
    load_dataset,
    make_dataset,
    merge_duplicate_rows,
)
from ftprop_exact.errors import DataError, FTPropError

# --------------------------------------------------------------------------- helpers


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def csv_error(tmp_path, text: str, *expected: str, name: str = "d.csv", **kwargs) -> str:
    """Load ``text`` as a CSV file; it must fail with a DataError containing ``expected``."""
    path = write(tmp_path, name, text)
    with pytest.raises(DataError) as info:
        load_dataset(path, **kwargs)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def npz_error(tmp_path, *expected: str, name: str = "d.npz", **arrays) -> str:
    path = tmp_path / name
    np.savez(path, **arrays)
    with pytest.raises(DataError) as info:
        load_dataset(path)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    return message


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Make the CSV reader work in chunks of 2 rows into a buffer that must grow."""
    monkeypatch.setattr(data_module, "_CSV_CELLS_PER_CHUNK", 1)
    monkeypatch.setattr(data_module, "_CSV_MIN_CHUNK_ROWS", 2)
    monkeypatch.setattr(data_module, "_row_capacity", lambda path: 1)


GOOD = "a,b,y\n1,2.5,0\n-3,4,1\n0.1,1e-300,0\n"


# --------------------------------------------------------------------------- CSV: success


def test_csv_numeric_labels(tmp_path):
    data = load_dataset(write(tmp_path, "d.csv", GOOD))
    assert isinstance(data, Dataset)
    assert data.X.dtype == np.float64 and data.X.flags.c_contiguous
    assert data.X.tolist() == [[1.0, 2.5], [-3.0, 4.0], [0.1, 1e-300]]  # exact, unscaled
    assert data.y.tolist() == [0, 1, 0]
    assert data.classes == (0, 1) and all(type(c) is int for c in data.classes)
    assert data.Y.dtype == np.int8 and data.Y.tolist() == [[-1], [1], [-1]]
    assert data.feature_names == ("a", "b")
    assert data.name == str(tmp_path / "d.csv")
    assert (data.n_examples, data.n_features, data.n_outputs) == (3, 2, 1)


def test_csv_string_labels_three_classes(tmp_path):
    text = "x1,x2,kind\n1,1,cat\n2,2,dog\n3,3,ant\n4,4,dog\n"
    data = load_dataset(write(tmp_path, "d.csv", text))
    assert data.classes == ("ant", "cat", "dog")
    assert data.y.tolist() == ["cat", "dog", "ant", "dog"]
    assert data.Y.shape == (4, 3)
    assert data.Y.tolist() == [[-1, 1, -1], [-1, -1, 1], [1, -1, -1], [-1, -1, 1]]
    json.dumps(list(data.classes))


def test_csv_label_column_by_name(tmp_path):
    text = "a,label,b\n1,yes,2\n3,no,4\n"
    data = load_dataset(write(tmp_path, "d.csv", text), label="label")
    assert data.feature_names == ("a", "b")
    assert data.X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert data.classes == ("no", "yes") and data.Y.tolist() == [[1], [-1]]


def test_csv_float_labels_and_path_object(tmp_path):
    data = load_dataset(write(tmp_path, "D.CSV", "a,y\n1,0.5\n2,1.5\n3,0.5\n"))
    assert data.classes == (0.5, 1.5) and type(data.classes[0]) is float


def test_csv_trailing_empty_lines_are_dropped(tmp_path):
    data = load_dataset(write(tmp_path, "d.csv", GOOD + "\n\n   \n"))
    assert data.n_examples == 3
    assert data.classes == (0, 1)  # still integers despite the empty lines


def test_csv_header_with_byte_order_mark(tmp_path):
    data = load_dataset(write(tmp_path, "d.csv", "\ufeff" + GOOD))
    assert data.feature_names == ("a", "b")


def test_csv_in_many_chunks_matches_one_chunk(tmp_path, tiny_chunks):
    rows = [f"{i},{-i / 7!r},{i % 3}" for i in range(11)]
    path = write(tmp_path, "d.csv", "a,b,y\n" + "\n".join(rows) + "\n\n\n\n")
    data = load_dataset(path)
    assert data.n_examples == 11
    assert data.X[:, 1].tolist() == [-i / 7 for i in range(11)]
    assert data.y.tolist() == [i % 3 for i in range(11)] and data.y.dtype.kind == "i"


def test_csv_chunk_of_only_empty_lines(tmp_path, tiny_chunks):
    data = load_dataset(write(tmp_path, "d.csv", "a,y\n1,0\n2,1\n\n\n"))
    assert data.n_examples == 2 and data.classes == (0, 1)


def test_csv_huge_finite_values_are_kept(tmp_path):
    data = load_dataset(write(tmp_path, "d.csv", "a,b,y\n1e308,1e308,0\n1.7e308,-1e308,1\n"))
    assert data.X.tolist() == [[1e308, 1e308], [1.7e308, -1e308]]


def test_csv_labels_typed_differently_by_chunk_keep_their_text(tmp_path, tiny_chunks):
    path = write(tmp_path, "d.csv", "a,y\n1,01\n2,2\n3,x\n4,2\n")
    data = load_dataset(path)
    assert data.y.tolist() == ["01", "2", "x", "2"]
    assert data.classes == ("01", "2", "x")


# --------------------------------------------------------------------------- CSV: errors


def test_csv_nan_literal(tmp_path):
    csv_error(tmp_path, "a,b,y\n1,2,0\n3,nan,1\n", "row 1", "line 3", "'b'", "'nan'")


def test_csv_inf_literal(tmp_path):
    csv_error(tmp_path, "a,b,y\n1,2,0\n-inf,3,1\n", "row 1", "line 3", "'a'", "'-inf'")


def test_csv_missing_cell(tmp_path):
    csv_error(tmp_path, "a,b,y\n1,2,0\n3,4,1\n5,,1\n", "row 2", "line 4", "'b'", "missing")


def test_csv_non_numeric_names_first_offending_cell(tmp_path):
    text = "a,b,c,y\n1,2,3,0\n4,5,zz,1\n6,abc,7,0\n"
    csv_error(tmp_path, text, "row 1", "line 3", "'c'", "non-numeric", "'zz'")


def test_csv_first_offending_cell_is_row_major(tmp_path):
    text = "a,b,y\n1,2,0\n3,x,1\ny,4,1\n"
    message = csv_error(tmp_path, text, "row 1", "line 3", "'b'", "'x'")
    assert "'y'" not in message.split(":")[-1]


def test_csv_error_in_later_chunk(tmp_path, tiny_chunks):
    rows = "".join(f"{i},{i},{i % 2}\n" for i in range(9))
    csv_error(tmp_path, "a,b,y\n" + rows + "7,seven,1\n", "row 9", "line 11", "'b'", "'seven'")


def test_csv_too_many_fields(tmp_path):
    csv_error(tmp_path, "a,b,y\n1,2,0\n3,4,1,5\n", "row 1", "line 3", "4 fields", "3 columns")


def test_csv_too_many_fields_in_later_chunk(tmp_path, tiny_chunks):
    rows = "".join(f"{i},{i},{i % 2}\n" for i in range(7))
    csv_error(tmp_path, "a,b,y\n" + rows + "1,2,3,4\n", "row 7", "line 9", "4 fields")


def test_csv_too_many_fields_on_first_data_line(tmp_path):
    csv_error(tmp_path, "a,b,y\n1,2,0,9\n3,4,1\n", "row 0", "line 2", "more fields")


def test_csv_too_few_fields_is_missing(tmp_path):
    csv_error(tmp_path, "a,b,y\n1,2,0\n3\n", "row 1", "line 3", "'b'", "missing")


def test_csv_missing_label(tmp_path):
    csv_error(tmp_path, "a,b,y\n1,2,0\n3,4,\n", "row 1", "line 3", "'y'", "missing label")


def test_csv_empty_line_in_the_middle(tmp_path):
    csv_error(tmp_path, "a,b,y\n1,2,0\n\n3,4,1\n", "row 1", "line 3", "empty")


def test_csv_empty_line_before_more_rows_across_chunks(tmp_path, tiny_chunks):
    text = "a,b,y\n1,2,0\n3,4,1\n5,6,0\n\n\n\n7,8,1\n"
    csv_error(tmp_path, text, "row 3", "line 5", "empty")


def test_csv_empty_file(tmp_path):
    csv_error(tmp_path, "", "empty file")


def test_csv_header_only(tmp_path):
    csv_error(tmp_path, "a,b,y\n", "no data rows")


def test_csv_empty_first_line(tmp_path):
    csv_error(tmp_path, "\na,b,y\n1,2,0\n", "line 1", "header")


def test_csv_no_feature_columns(tmp_path):
    csv_error(tmp_path, "y\n0\n1\n", "no feature columns")


def test_csv_unknown_label_column_lists_columns(tmp_path):
    csv_error(tmp_path, GOOD, "'target'", "a, b, y", label="target")


def test_csv_single_class(tmp_path):
    csv_error(tmp_path, "a,y\n1,7\n2,7\n", "two classes", "7")


def test_csv_not_utf8(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"a,y\n1,\xff\xfe\n2,1\n")
    with pytest.raises(DataError, match="UTF-8"):
        load_dataset(path)


# --------------------------------------------------------------------------- dispatch


def test_missing_file_is_named(tmp_path):
    for name in ("nope.csv", "nope.npz"):
        with pytest.raises(DataError, match="no such file") as info:
            load_dataset(tmp_path / name)
        assert name in str(info.value)


def test_unknown_spec_lists_builtins(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("mnist")
    assert all(name in str(info.value) for name in BUILTIN_DATASETS)
    path = write(tmp_path, "d.txt", GOOD)
    with pytest.raises(DataError, match="unknown data format"):
        load_dataset(path)


def test_errors_are_value_errors():
    assert issubclass(DataError, ValueError) and issubclass(DataError, FTPropError)


# --------------------------------------------------------------------------- NPZ


def test_npz_round_trip(tmp_path):
    X = np.array([[0, 1], [1, 0], [1, 1]], dtype=np.int32)
    y = np.array(["no", "yes", "no"])
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=y, feature_names=np.array(["p", "q"]))
    data = load_dataset(path)
    assert data.X.dtype == np.float64 and data.X.tolist() == X.tolist()
    assert data.y.tolist() == y.tolist() and data.classes == ("no", "yes")
    assert data.Y.tolist() == [[-1], [1], [-1]]
    assert data.feature_names == ("p", "q") and data.name == str(path)


def test_npz_numeric_and_byte_labels(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.eye(3, dtype=bool), y=np.array([b"b", b"a", b"c"]))
    data = load_dataset(path)
    assert data.classes == ("a", "b", "c") and data.Y.shape == (3, 3)
    np.savez(path, X=np.eye(3), y=np.array([3, 1, 3]))
    assert load_dataset(path).classes == (1, 3)


def test_npz_missing_key_lists_keys(tmp_path):
    npz_error(tmp_path, "'y'", "X, labels", X=np.eye(2), labels=np.array([0, 1]))


def test_npz_object_array_refused(tmp_path):
    y = np.array(["a", 1], dtype=object)
    npz_error(tmp_path, "'y'", "Python objects", "refused", X=np.eye(2), y=y)


def test_npz_wrong_ndim(tmp_path):
    npz_error(tmp_path, "2-D", X=np.arange(3.0), y=np.array([0, 1, 0]))
    npz_error(tmp_path, "1-D", X=np.eye(2), y=np.array([[0], [1]]))


def test_npz_non_numeric_x(tmp_path):
    npz_error(tmp_path, "numeric", "<U", X=np.array([["a", "b"], ["c", "d"]]), y=np.array([0, 1]))


def test_npz_length_mismatch(tmp_path):
    npz_error(tmp_path, "3 rows", "2 labels", X=np.eye(3), y=np.array([0, 1]))


def test_npz_nan_and_inf(tmp_path):
    X = np.zeros((3, 2))
    X[2, 1] = np.nan
    npz_error(tmp_path, "row 2", "column 1", "nan", X=X, y=np.array([0, 1, 0]))
    X[2, 1] = 0.0
    X[1, 0] = -np.inf
    npz_error(tmp_path, "row 1", "column 0", "-inf", X=X, y=np.array([0, 1, 0]))


def test_npz_empty(tmp_path):
    npz_error(tmp_path, "no examples", X=np.zeros((0, 2)), y=np.zeros(0))
    npz_error(tmp_path, "no features", X=np.zeros((2, 0)), y=np.array([0, 1]))


def test_npz_single_class(tmp_path):
    npz_error(tmp_path, "two classes", X=np.eye(2), y=np.array([5, 5]))


def test_npz_nan_label(tmp_path):
    npz_error(tmp_path, "row 1", "label", X=np.eye(2), y=np.array([0.0, np.nan]))


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty file"),
        (b"just some text, not a zip", "not a zip"),
        (b"\x93NUMPY\x01\x00", ".npy"),
    ],
)
def test_npz_not_an_archive(tmp_path, content, expected):
    path = tmp_path / "d.npz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=expected) as info:
        load_dataset(path)
    assert str(path) in str(info.value)


def test_npz_truncated_or_corrupt(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.eye(40), y=np.arange(40) % 2)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="NPZ|corrupt"):
        load_dataset(path)
    np.savez(path, X=np.eye(40), y=np.arange(40) % 2)
    with zipfile.ZipFile(path) as archive:  # flip a byte inside X's data: CRC mismatch
        offset = archive.getinfo("X.npy").header_offset + 30 + len("X.npy") + 200
    corrupt = bytearray(path.read_bytes())
    corrupt[offset] ^= 0xFF
    path.write_bytes(bytes(corrupt))
    with pytest.raises(DataError, match="corrupt") as info:
        load_dataset(path)
    assert "'X'" in str(info.value)


def test_label_argument_only_for_csv(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.eye(2), y=np.array([0, 1]))
    with pytest.raises(DataError, match="CSV"):
        load_dataset(path, label="y")
    with pytest.raises(DataError, match="CSV"):
        load_dataset("iris", label="species")


# --------------------------------------------------------------------------- built-ins


@pytest.mark.parametrize(
    "name, m, n, n_classes",
    [
        ("iris", 150, 4, 3),
        ("wine", 178, 13, 3),
        ("breast_cancer", 569, 30, 2),
        ("digits", 1797, 64, 10),
    ],
)
def test_builtin_shapes(name, m, n, n_classes):
    data = load_dataset(name)
    assert (data.n_examples, data.n_features, len(data.classes)) == (m, n, n_classes)
    assert data.Y.shape == (m, 1 if n_classes == 2 else n_classes)
    assert len(data.feature_names) == n and data.name == name
    json.dumps(list(data.classes))


def test_builtin_labels_are_names_or_digits():
    assert load_dataset("iris").classes == ("setosa", "versicolor", "virginica")
    assert load_dataset("breast_cancer").classes == ("benign", "malignant")
    assert load_dataset("digits").classes == tuple(range(10))


def test_digits_class_selection():
    data = load_dataset("digits:3,8")
    assert set(data.y.tolist()) == {3, 8} and data.classes == (3, 8)
    assert data.Y.shape == (data.n_examples, 1)
    assert data.n_examples == 183 + 174
    assert np.array_equal(data.Y[:, 0] == 1, data.y == 8)
    assert data.name == "digits:3,8"


def test_iris_class_selection_by_name_and_index():
    by_name = load_dataset("iris:versicolor,virginica")
    assert by_name.classes == ("versicolor", "virginica") and by_name.n_examples == 100
    by_index = load_dataset("iris:0, 2")
    assert by_index.classes == ("setosa", "virginica")


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("iris:tulip,rose", "tulip"),
        ("digits:3,11", "11"),
        ("iris:setosa", "at least two"),
        ("wine:", "unknown class"),
        ("iris:1,versicolor", "twice"),
    ],
)
def test_bad_class_selection(spec, expected):
    with pytest.raises(DataError, match=expected) as info:
        load_dataset(spec)
    assert spec in str(info.value)
    if "unknown" in str(info.value):
        assert "valid classes" in str(info.value)


# --------------------------------------------------------------------------- make_dataset


def test_make_dataset_validates_and_keeps_caller_arrays_writeable():
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    data = make_dataset(X, [1, 0], name="pair")
    assert np.shares_memory(data.X, X)  # no copy when X already is C-contiguous float64
    assert not data.X.flags.writeable and not data.Y.flags.writeable
    X[0, 0] = 5.0  # the caller's array stays writeable
    assert data.feature_names == ("x0", "x1")


@pytest.mark.parametrize(
    "X, y, expected",
    [
        ([[1.0, np.inf]], [0], "X[0, 1] is inf"),
        (np.zeros((2, 2)), [0, 1, 0], "2 rows but y has 3"),
        (np.zeros((2, 2)), ["a", 1], "mix numbers and strings"),
        (np.zeros((2, 2)), np.array(["a", None], dtype=object), "missing label"),
        (np.zeros((2, 2)), ["a", ""], "empty"),
        (np.zeros((2, 2)), [1, 1], "two classes"),
        ([[1, 2], [3]], [0, 1], "rectangular"),
        (np.zeros((2, 2, 1)), [0, 1], "2-D"),
    ],
)
def test_make_dataset_rejects(X, y, expected):
    with pytest.raises(DataError, match=expected.replace("[", r"\[")) as info:
        make_dataset(X, y, name="mine")
    assert str(info.value).startswith("mine: ")


def test_make_dataset_feature_names_checked():
    with pytest.raises(DataError, match="3 feature names for 2 features"):
        make_dataset(np.eye(2), [0, 1], feature_names=["a", "b", "c"])


# --------------------------------------------------------------------------- encode_labels


def test_encode_labels_sorts_numbers_numerically_and_strings_lexicographically():
    classes, Y = encode_labels(np.array([10, 9, 2, 9]))
    assert classes == (2, 9, 10) and Y.shape == (4, 3)
    assert Y.tolist() == [[-1, -1, 1], [-1, 1, -1], [1, -1, -1], [-1, 1, -1]]
    classes, Y = encode_labels(np.array(["9", "10"]))
    assert classes == ("10", "9") and Y.tolist() == [[1], [-1]]
    assert all(type(c) is str for c in classes)


def test_encode_labels_two_classes_and_types():
    classes, Y = encode_labels(np.array([1.5, -2.0, 1.5]))
    assert classes == (-2.0, 1.5) and all(type(c) is float for c in classes)
    assert Y.dtype == np.int8 and Y.tolist() == [[1], [-1], [1]]
    with pytest.raises(DataError, match="two classes"):
        encode_labels(np.array(["a", "a"]))


# --------------------------------------------------------------------------- duplicates


def test_merge_duplicates_reconstructs_and_merges_negative_zero():
    X = np.array([[0.0, 1.0], [1.0, 1.0], [-0.0, 1.0], [1.0, 1.0], [2.0, -0.0], [2.0, 0.0]])
    data = make_dataset(X, [0, 1, 0, 1, 0, 0])
    merged = data.merge_duplicates()
    assert merged.first_index.tolist() == [0, 1, 4]
    assert merged.counts.tolist() == [2, 2, 2]
    assert merged.inverse.tolist() == [0, 1, 0, 1, 2, 2]
    assert np.array_equal(merged.X[merged.inverse], X)  # -0.0 == 0.0
    assert np.array_equal(merged.Y[merged.inverse], data.Y)
    assert merged.conflict is None and merged.n_unique == 3


def test_merge_duplicates_conflict_pair():
    X = np.array([[1.0], [2.0], [3.0], [2.0], [1.0], [2.0], [1.0]])
    Y = np.array([[1], [1], [1], [1], [1], [-1], [-1]], dtype=np.int8)
    merged = merge_duplicate_rows(X, Y)
    assert merged.conflict == (0, 6)  # group {0, 4, 6} starts before group {1, 3, 5}
    assert type(merged.conflict[0]) is int
    Y[6] = 1
    assert merge_duplicate_rows(X, Y).conflict == (1, 5)


def test_merge_duplicates_survives_hash_collisions(monkeypatch):
    X = np.array([[3.0, 1.0], [1.0, 3.0], [3.0, 1.0], [0.0, 0.0]])
    Y = np.array([[1, -1], [-1, 1], [-1, 1], [1, 1]], dtype=np.int8)
    honest = merge_duplicate_rows(X, Y)
    monkeypatch.setattr(rows_module, "_row_hashes", lambda A: np.zeros(A.shape[0], np.uint64))
    colliding = merge_duplicate_rows(X, Y)
    for field in ("X", "Y", "counts", "first_index", "inverse"):
        assert np.array_equal(getattr(honest, field), getattr(colliding, field))
    assert honest.conflict == colliding.conflict == (0, 2)


def test_merge_duplicates_empty():
    merged = merge_duplicate_rows(np.zeros((0, 3)), np.zeros((0, 1), dtype=np.int8))
    assert merged.X.shape == (0, 3) and merged.counts.size == 0 and merged.conflict is None


def reference_merge(X: np.ndarray, Y: np.ndarray):
    """Slow dict-based reference of merge_duplicate_rows."""
    groups: dict[tuple, list[int]] = {}
    for i, row in enumerate(X.tolist()):
        groups.setdefault(tuple(v + 0.0 for v in row), []).append(i)
    members = list(groups.values())  # dicts keep insertion order: first occurrence order
    group_of = {i: g for g, rows in enumerate(members) for i in rows}
    conflict = None
    for i in range(len(X)):
        for j in range(i + 1, len(X)):
            if group_of[i] == group_of[j] and Y[i].tolist() != Y[j].tolist():
                conflict = (i, j)
                break
        if conflict:
            break
    return (
        [rows[0] for rows in members],
        [len(rows) for rows in members],
        [group_of[i] for i in range(len(X))],
        conflict,
    )


@settings(max_examples=150, deadline=None)
@given(
    X=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=12),
        elements=st.sampled_from([-1.0, -0.0, 0.0, 1.0, 2.0]),
    ),
    k=st.integers(1, 3),
    data=st.data(),
)
def test_merge_duplicate_rows_matches_reference(X, k, data):
    Y = data.draw(hnp.arrays(np.int8, (X.shape[0], k), elements=st.sampled_from([-1, 1])))
    merged = merge_duplicate_rows(X, Y)
    first_index, counts, inverse, conflict = reference_merge(X, Y)
    assert merged.first_index.tolist() == first_index
    assert merged.counts.tolist() == counts
    assert merged.inverse.tolist() == inverse
    assert merged.conflict == conflict
    rows = np.array(first_index, dtype=np.intp)
    assert np.array_equal(merged.X, X[rows]) and np.array_equal(merged.Y, Y[rows])
