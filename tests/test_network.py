"""Tests of ftprop_exact.network (forward pass, verification, JSON files) and atomic writes."""

from __future__ import annotations

import json
import os
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftprop_exact import atomic
from ftprop_exact.errors import DataError
from ftprop_exact.network import (
    ACTIVATIONS,
    Layer,
    ThresholdNetwork,
    Verification,
    apply_activation,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

X_PM = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
XOR_PM = np.array([-1.0, 1.0, 1.0, -1.0])


def xor_sign_network() -> ThresholdNetwork:
    """XOR on +-1 inputs: h1 = AND, h2 = NOR, output = neither."""
    return ThresholdNetwork(
        layers=(
            Layer([[1.0, 1.0], [-1.0, -1.0]], [-1.0, -1.0], "sign"),
            Layer([[-1.0, -1.0]], [-1.0], "sign"),
        ),
        classes=(0, 1),
    )


def xor_step_network() -> ThresholdNetwork:
    """XOR on 0/1 inputs with step hidden units: h1 = AND, h2 = OR, output = OR and not AND."""
    return ThresholdNetwork(
        layers=(
            Layer([[1.0, 1.0], [1.0, 1.0]], [-1.5, -0.5], "step"),
            Layer([[-1.0, 1.0]], [-0.5], "sign"),
        ),
        classes=("even", "odd"),
    )


# --------------------------------------------------------------------------------------
# Forward pass and prediction by hand
# --------------------------------------------------------------------------------------


def test_apply_activation_values() -> None:
    z = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    assert apply_activation(z, "sign").tolist() == [-1.0, -1.0, -1.0, 1.0, 1.0]
    assert apply_activation(z, "step").tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    with pytest.raises(DataError, match="'sign', 'step'"):
        apply_activation(z, "relu")


def test_xor_sign_forward_by_hand() -> None:
    net = xor_sign_network()
    Z1, Z2 = net.pre_activations(X_PM)
    assert Z1.tolist() == [[-3.0, 1.0], [-1.0, -1.0], [-1.0, -1.0], [1.0, -3.0]]
    assert Z2.tolist() == [[-1.0], [1.0], [1.0], [-1.0]]
    H1, H2 = net.forward(X_PM)
    assert H1.tolist() == [[-1.0, 1.0], [-1.0, -1.0], [-1.0, -1.0], [1.0, -1.0]]
    assert H2.tolist() == [[-1.0], [1.0], [1.0], [-1.0]]
    assert net.predict(X_PM).tolist() == [0, 1, 1, 0]
    assert (net.n_inputs, net.n_outputs, net.widths, net.depth) == (2, 1, (2,), 2)
    v = net.verify(X_PM, XOR_PM)
    assert v.ok and v.errors == 0 and v.n_unsafe == 0
    assert v.errors_per_unit[0] is None and v.errors_per_unit[1].tolist() == [0]


def test_xor_step_forward_by_hand() -> None:
    net = xor_step_network()
    X01 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    H1, H2 = net.forward(X01)
    assert H1.tolist() == [[0.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 1.0]]
    assert H2.tolist() == [[-1.0], [1.0], [1.0], [-1.0]]
    Z1, Z2 = net.pre_activations(X01)
    assert Z1.tolist() == [[-1.5, -0.5], [-0.5, 0.5], [-0.5, 0.5], [0.5, 1.5]]
    assert Z2.tolist() == [[-0.5], [0.5], [0.5], [-0.5]]
    assert net.predict(X01).tolist() == ["even", "odd", "odd", "even"]
    # Hidden targets are +-1 even for step units: on <=> target > 0.
    T1 = np.where(H1 > 0, 1.0, -1.0)
    v = net.verify(X01, XOR_PM, hidden_targets=[T1])
    assert v.ok and [e.tolist() for e in v.errors_per_unit] == [[0, 0], [0]]


def test_step_output_layer_uses_z_positive() -> None:
    net = ThresholdNetwork((Layer([[1.0]], [0.0], "step"),), classes=(False, True))
    X = np.array([[-1.0], [2.0]])
    assert net.forward(X)[0].tolist() == [[0.0], [1.0]]
    assert net.predict(X).tolist() == [False, True]
    assert net.verify(X, [-1, 1]).ok


def test_multiclass_predict_is_argmax_of_output_preactivations() -> None:
    # Output units all fire (sign +1) but the argmax of Z decides.
    net = ThresholdNetwork(
        (Layer(np.eye(3), [10.0, 10.0, 10.0]),), classes=("a", "b", "c")
    )
    X = np.array([[0.1, 0.7, 0.2], [3.0, 1.0, 2.0], [0.0, 0.0, 5.0], [1.0, 1.0, 0.0]])
    assert net.predict(X).tolist() == ["b", "a", "c", "a"]  # last row: tie -> first
    assert net.forward(X)[0].tolist() == np.ones((4, 3)).tolist()
    mixed = ThresholdNetwork((Layer(np.eye(3), np.zeros(3)),), classes=(1, "two", 3.5))
    assert mixed.predict(X[:3]).tolist() == ["two", 1, 3.5]


def test_network_applies_to_data_as_given_and_validates_X() -> None:
    net = xor_sign_network()
    assert net.predict([[-1, -1]]).tolist() == [0]  # lists and ints are accepted
    assert net.predict(np.zeros((0, 2))).shape == (0,)
    with pytest.raises(DataError, match="2 columns"):
        net.forward(np.zeros((3, 3)))
    with pytest.raises(DataError, match="2-D"):
        net.predict(np.zeros(2))
    with pytest.raises(DataError, match="non-finite.*row 1, column 0"):
        net.forward([[0.0, 0.0], [np.nan, 0.0]])
    with pytest.raises(DataError, match="numeric"):
        net.forward([["a", "b"]])


# --------------------------------------------------------------------------------------
# Layer and network construction
# --------------------------------------------------------------------------------------


def test_layer_stores_readonly_float64_copies() -> None:
    w = np.array([[1, 2], [3, 4]])
    b = [0, 1]
    layer = Layer(w, b)
    w[0, 0] = 99
    assert layer.weights.dtype == np.float64 and layer.weights[0, 0] == 1.0
    assert not layer.weights.flags.writeable and not layer.bias.flags.writeable
    with pytest.raises(ValueError):
        layer.weights[0, 0] = 5.0
    assert layer == Layer([[1.0, 2.0], [3.0, 4.0]], [0.0, 1.0])
    assert hash(Layer([[-0.0]], [0.0])) == hash(Layer([[0.0]], [-0.0]))
    assert layer != Layer([[1.0, 2.0], [3.0, 4.0]], [0.0, 1.0], "step")


@pytest.mark.parametrize(
    ("weights", "bias", "activation", "match"),
    [
        ([1.0, 2.0], [0.0], "sign", "weights: expected a 2-D"),
        ([[1.0, 2.0]], [0.0, 1.0], "sign", r"bias: expected shape \(1,\)"),
        ([[1.0, np.inf]], [0.0], "sign", "weights: non-finite"),
        ([[1.0]], [np.nan], "sign", "bias: non-finite"),
        ([[1.0]], [0.0], "relu", "activation: .*'sign', 'step'"),
        (np.zeros((0, 2)), [], "sign", "at least one unit"),
        ([["x"]], [0.0], "sign", "weights: expected numbers"),
    ],
)
def test_layer_rejects_bad_input(weights, bias, activation, match) -> None:
    with pytest.raises(DataError, match=match):
        Layer(weights, bias, activation)


def test_network_rejects_bad_structure() -> None:
    layer = Layer([[1.0, 1.0]], [0.0])
    with pytest.raises(DataError, match=r"layers\[1\].weights: expected 1 columns"):
        ThresholdNetwork((layer, layer), classes=(0, 1))
    with pytest.raises(DataError, match="at least 2"):
        ThresholdNetwork((layer,), classes=(0,))
    with pytest.raises(DataError, match="duplicate"):
        ThresholdNetwork((layer,), classes=(1, 1.0))
    with pytest.raises(DataError, match="3 labels"):
        ThresholdNetwork((layer,), classes=(0, 1, 2))
    with pytest.raises(DataError, match="at least one layer"):
        ThresholdNetwork((), classes=(0, 1))
    net = ThresholdNetwork([layer], classes=[np.int64(0), np.int64(1)])
    assert net.classes == (0, 1) and type(net.classes[0]) is int
    assert isinstance(net.layers, tuple)


# --------------------------------------------------------------------------------------
# verify: error counts
# --------------------------------------------------------------------------------------


def test_verify_counts_errors_on_known_rows() -> None:
    net = ThresholdNetwork((Layer([[1.0, 0.0]], [0.0]),), classes=(0, 1))
    X = np.array([[2.0, 0.0], [-1.0, 5.0], [3.0, 1.0], [-4.0, 0.0], [1.0, 1.0]])
    Y = np.array([1, 1, -1, -1, 1])  # wrong on rows 1 and 2
    v = net.verify(X, Y)
    assert isinstance(v, Verification)
    assert v.errors == 2 and v.errors_per_unit[0].tolist() == [2] and not v.ok
    assert v.unsafe_per_unit[0].tolist() == [0]
    assert net.verify(X, Y.reshape(-1, 1)).errors == 2  # (m, 1) and (m,) agree


def test_verify_multiclass_counts_each_wrong_example_once() -> None:
    net = ThresholdNetwork((Layer(np.eye(3), [0.0, 0.0, 0.0]),), classes=(0, 1, 2))
    X = np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]])
    Y = np.array(
        [
            [1, -1, -1],  # right
            [1, -1, -1],  # units 0 and 1 wrong: one wrong example
            [-1, -1, -1],  # unit 2 wrong
        ]
    )
    v = net.verify(X, Y)
    assert v.errors == 2
    assert v.errors_per_unit[0].tolist() == [1, 1, 1]
    assert v.errors_per_unit[0].dtype == np.int64


def test_verify_hidden_target_counts() -> None:
    net = xor_sign_network()
    T1 = np.array([[-1, 1], [-1, -1], [-1, -1], [1, -1]])
    assert net.verify(X_PM, XOR_PM, hidden_targets=[T1]).ok
    T1_bad = T1.copy()
    T1_bad[2, 0] = 1  # unit 0 wrong on row 2
    T1_bad[0, 1] = -1  # unit 1 wrong on row 0
    T1_bad[3, 1] = 1  # unit 1 wrong on row 3
    v = net.verify(X_PM, XOR_PM, hidden_targets=[T1_bad])
    assert v.errors == 0 and v.n_unsafe == 0 and not v.ok
    assert v.errors_per_unit[0].tolist() == [1, 2]
    assert v.errors_per_unit[1].tolist() == [0]
    assert net.verify(X_PM, XOR_PM, hidden_targets=[None]).ok


@pytest.mark.parametrize(
    ("Y", "hidden", "match"),
    [
        ([1, -1, 1], None, r"Y: expected shape \(4, 1\)"),
        ([1, 0, 1, -1], None, "Y: targets must be -1 or \\+1"),
        ([1, -1, 1, -1], [], "hidden_targets: expected 1 arrays"),
        ([1, -1, 1, -1], [np.ones((4, 3))], r"hidden_targets\[0\]: expected shape \(4, 2\)"),
        ([1, -1, 1, -1], [np.full((4, 2), 0.5)], r"hidden_targets\[0\]: targets must be"),
    ],
)
def test_verify_rejects_bad_targets(Y, hidden, match) -> None:
    with pytest.raises(DataError, match=match):
        xor_sign_network().verify(X_PM, Y, hidden_targets=hidden)


# --------------------------------------------------------------------------------------
# verify: rounding-unsafe unit-examples
# --------------------------------------------------------------------------------------


def test_unsafe_exact_zero_from_cancellation() -> None:
    net = ThresholdNetwork((Layer([[1.0, 1.0]], [0.0]),), classes=(0, 1))
    v = net.verify([[1e16, -1e16], [3.0, 1.0]], [-1, 1])
    assert v.errors == 0  # z == 0 counts as "off", which matches the target...
    assert v.unsafe_per_unit[0].tolist() == [1]  # ...but the sign is not certain
    assert not v.ok


@pytest.mark.parametrize(
    ("x", "w", "b"),
    [
        ([0.1, 0.2, 0.3], [1.0, 1.0, -1.0], 0.0),  # fl: 5.55e-17, true value: 2.8e-17
        ([0.1, 0.2], [1.0, 1.0], -0.3),
        ([0.3, 0.1, 0.2], [-1.0, 1.0, 1.0], 0.0),
        ([1.0, 1e-16], [1.0, 1.0], -1.0),  # 1 + 1e-16 rounds to 1: z == 0, true value 1e-16
    ],
)
def test_unsafe_rounding_ambiguous_sums(x, w, b) -> None:
    net = ThresholdNetwork((Layer([w], [b]),), classes=(0, 1))
    z = net.pre_activations([x])[0][0, 0]
    y = 1 if z > 0 else -1
    v = net.verify([x], [y])
    assert v.errors == 0 and v.unsafe_per_unit[0].tolist() == [1] and not v.ok


def test_real_rounding_flip_is_flagged() -> None:
    # Exactly, 1 + 1e-16 - 1 = 1e-16 > 0 (the unit should fire); in float64 it is 0.
    net = ThresholdNetwork((Layer([[1.0, 1.0]], [-1.0]),), classes=(0, 1))
    x = [1.0, 1e-16]
    exact = Fraction(-1) + Fraction(x[0]) + Fraction(x[1])
    assert exact > 0 and net.pre_activations([x])[0][0, 0] <= 0
    v = net.verify([x], [1])
    assert v.errors == 1 and v.unsafe_per_unit[0].tolist() == [1] and not v.ok


def test_comfortable_margins_are_not_flagged() -> None:
    net = ThresholdNetwork((Layer([[1.0, 1.0]], [-1.0]),), classes=(0, 1))
    v = net.verify([[1.0, 1.0], [0.0, 0.0], [0.1, 0.2]], [1, -1, -1])
    assert v.unsafe_per_unit[0].tolist() == [0] and v.ok
    # A tiny but representable margin on small numbers is still certain.
    tiny = ThresholdNetwork((Layer([[1.0]], [0.0]),), classes=(0, 1))
    assert tiny.verify([[1e-300], [-1e-300]], [1, -1]).ok


def test_unsafe_is_reported_per_layer_and_unit() -> None:
    # Hidden unit 1 sees x0 - x1 = 0 on row 0; the output is comfortable.
    net = ThresholdNetwork(
        (
            Layer([[1.0, 1.0], [1.0, -1.0]], [0.0, 0.0]),
            Layer([[1.0, 0.0]], [0.0]),
        ),
        classes=(0, 1),
    )
    v = net.verify([[0.7, 0.7], [2.0, 1.0]], [1, 1])
    assert [u.tolist() for u in v.unsafe_per_unit] == [[0, 1], [0]]
    assert v.errors == 0 and not v.ok and v.n_unsafe == 1


# --------------------------------------------------------------------------------------
# Pure-Python exact reference forward pass
# --------------------------------------------------------------------------------------


def reference_forward(net: ThresholdNetwork, X: list[list[float]]) -> list[list[list[float]]]:
    """Slow exact forward pass: Python loops over Fractions (no numpy arithmetic)."""
    layers = [
        (layer.weights.tolist(), layer.bias.tolist(), layer.activation) for layer in net.layers
    ]
    outputs = []
    H = [[Fraction(v) for v in row] for row in X]
    for weights, bias, activation in layers:
        off = -1 if activation == "sign" else 0
        new_H = []
        for h in H:
            row = []
            for w_row, b in zip(weights, bias):
                z = Fraction(b)
                for h_i, w_i in zip(h, w_row):
                    z += h_i * Fraction(w_i)
                row.append(Fraction(1) if z > 0 else Fraction(off))
            new_H.append(row)
        outputs.append([[float(v) for v in row] for row in new_H])
        H = new_H
    return outputs


# Values that make cancellation (and thus rounding-ambiguous signs) likely.
_tricky = st.sampled_from([0.1, 0.2, 0.3, -0.1, -0.2, -0.3, 1.0, -1.0, 0.5, 1 / 3, 1e-16, 0.0])
_plain = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
_value = st.one_of(_tricky, _plain)


@st.composite
def networks_and_data(draw, values=_value):
    n = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    k = draw(st.sampled_from([2, 3]))
    sizes = [n, *widths, 1 if k == 2 else k]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = draw(st.lists(st.lists(values, min_size=fan_in, max_size=fan_in),
                          min_size=fan_out, max_size=fan_out))
        b = draw(st.lists(values, min_size=fan_out, max_size=fan_out))
        layers.append(Layer(w, b, draw(st.sampled_from(ACTIVATIONS))))
    m = draw(st.integers(1, 5))
    X = draw(st.lists(st.lists(values, min_size=n, max_size=n), min_size=m, max_size=m))
    return ThresholdNetwork(tuple(layers), classes=tuple(range(k))), X


@FAST
@given(networks_and_data())
def test_forward_matches_exact_reference_where_safe(case) -> None:
    net, X = case
    fast = net.forward(np.array(X))
    exact = reference_forward(net, X)
    for i, row in enumerate(X):
        Y = np.where(fast[-1][i : i + 1] > 0, 1, -1)
        v = net.verify([row], Y)
        if v.n_unsafe == 0:
            for d in range(net.depth):
                assert fast[d][i].tolist() == exact[d][i], (d, i)


@FAST
@given(networks_and_data())
def test_unsafe_flags_every_rounding_flip(case) -> None:
    """Layer by layer, on the network's own inputs: a computed sign that differs from the
    exact one must be flagged unsafe (soundness of the rounding bound)."""
    net, X = case
    inputs = [np.array(X)] + net.forward(np.array(X))[:-1]
    Zs = net.pre_activations(np.array(X))
    for i in range(len(X)):
        Y = np.where(Zs[-1][i : i + 1] > 0, 1, -1)
        v = net.verify([X[i]], Y)
        for d, layer in enumerate(net.layers):
            h = inputs[d][i].tolist()
            for j, (w_row, b) in enumerate(zip(layer.weights.tolist(), layer.bias.tolist())):
                exact = Fraction(b) + sum(Fraction(a) * Fraction(c) for a, c in zip(h, w_row))
                if (exact > 0) != (Zs[d][i, j] > 0):
                    assert v.unsafe_per_unit[d][j] == 1, (d, j, h, w_row, b)


# --------------------------------------------------------------------------------------
# to_dict / from_dict / save / load
# --------------------------------------------------------------------------------------

_any_float = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)
_extreme = st.sampled_from(
    [5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0, 0.1, 1 / 3]
)


def _bitwise_equal(a: ThresholdNetwork, b: ThresholdNetwork) -> bool:
    return a.classes == b.classes and all(
        la.activation == lb.activation
        and la.weights.tobytes() == lb.weights.tobytes()
        and la.bias.tobytes() == lb.bias.tobytes()
        and la.weights.shape == lb.weights.shape
        for la, lb in zip(a.layers, b.layers, strict=True)
    )


@FAST
@given(networks_and_data(values=st.one_of(_any_float, _extreme)))
def test_dict_round_trip_is_exact(case) -> None:
    net, _ = case
    d = net.to_dict()
    assert set(d) == {"layers", "classes"}
    assert all(set(layer) == {"weights", "bias", "activation"} for layer in d["layers"])
    back = ThresholdNetwork.from_dict(d)
    assert back == net and _bitwise_equal(back, net)
    via_json = ThresholdNetwork.from_dict(json.loads(json.dumps(d)))
    assert _bitwise_equal(via_json, net)


def test_to_dict_layout_exactly() -> None:
    net = xor_step_network()
    assert net.to_dict() == {
        "layers": [
            {"weights": [[1.0, 1.0], [1.0, 1.0]], "bias": [-1.5, -0.5], "activation": "step"},
            {"weights": [[-1.0, 1.0]], "bias": [-0.5], "activation": "sign"},
        ],
        "classes": ["even", "odd"],
    }
    assert type(net.to_dict()["layers"][0]["weights"][0][0]) is float


def test_save_load_round_trip(tmp_path) -> None:
    net = ThresholdNetwork(
        (
            Layer([[0.1, -1e-310], [1e308, 1 / 3]], [-0.0, 2.5], "step"),
            Layer([[1.0, -1.0]], [0.2]),
        ),
        classes=("no", "yes"),
    )
    path = tmp_path / "net.json"
    net.save(path)
    back = ThresholdNetwork.load(path)
    assert _bitwise_equal(back, net)
    assert json.loads(path.read_text(encoding="utf-8")) == net.to_dict()
    net.save(str(path))  # str paths too, overwriting
    assert _bitwise_equal(ThresholdNetwork.load(str(path)), net)


def test_save_is_atomic_when_replace_fails(tmp_path, monkeypatch) -> None:
    path = tmp_path / "net.json"
    xor_sign_network().save(path)
    before = path.read_bytes()

    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError, match="disk on fire"):
        xor_step_network().save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.json"]


def test_atomic_writers_clean_up_when_the_write_fails(tmp_path, monkeypatch) -> None:
    path = tmp_path / "out.npz"
    atomic.save_npz_atomic(path, a=np.arange(3))
    before = path.read_bytes()

    def no_fsync(fd):
        raise OSError("fsync failed")

    monkeypatch.setattr(atomic.os, "fsync", no_fsync)
    with pytest.raises(OSError, match="fsync failed"):
        atomic.save_npz_atomic(path, a=np.arange(5))
    with pytest.raises(OSError, match="fsync failed"):
        atomic.write_text_atomic(tmp_path / "new.txt", "x")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["out.npz"]


def test_atomic_writers_write_exact_content(tmp_path) -> None:
    atomic.write_bytes_atomic(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    atomic.write_text_atomic(tmp_path / "t.txt", "é\r\nx")
    assert (tmp_path / "t.txt").read_bytes() == "é\r\nx".encode()
    atomic.save_npz_atomic(tmp_path / "arrays", T1=np.eye(2), T2=np.array([1, -1]))
    with np.load(tmp_path / "arrays") as data:  # written exactly there: no ".npz" added
        assert data["T1"].tolist() == [[1.0, 0.0], [0.0, 1.0]] and data["T2"].tolist() == [1, -1]
    assert sorted(os.listdir(tmp_path)) == ["arrays", "b.bin", "t.txt"]


def test_load_reports_path_on_bad_files(tmp_path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"layers": [', encoding="utf-8")
    with pytest.raises(DataError, match="bad.json: not valid JSON at line 1"):
        ThresholdNetwork.load(bad_json)
    bad_net = tmp_path / "badnet.json"
    bad_net.write_text('{"layers": [], "classes": [0, 1]}', encoding="utf-8")
    with pytest.raises(DataError, match="badnet.json: layers"):
        ThresholdNetwork.load(bad_net)
    nan_net = tmp_path / "nan.json"
    nan_net.write_text(
        '{"layers": [{"weights": [[NaN]], "bias": [0], "activation": "sign"}], "classes": [0, 1]}',
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"nan.json: layers\[0\].weights\[0\]\[0\]"):
        ThresholdNetwork.load(nan_net)


def _good() -> dict:
    return {
        "layers": [
            {"weights": [[1.0, 1.0], [-1.0, -1.0]], "bias": [-1.0, -1.0], "activation": "sign"},
            {"weights": [[-1.0, -1.0]], "bias": [-1.0], "activation": "sign"},
        ],
        "classes": [0, 1],
    }


def _edit(fn):
    d = _good()
    fn(d)
    return d


MALFORMED = {
    "not a dict": ([1, 2], r"network: expected a JSON object"),
    "missing classes": (_edit(lambda d: d.pop("classes")), r"network: missing key.*'classes'"),
    "missing layers": (_edit(lambda d: d.pop("layers")), r"network: missing key.*'layers'"),
    "unknown top key": (_edit(lambda d: d.update(extra=1)), r"network: unknown key.*'extra'"),
    "layers not a list": (_edit(lambda d: d.update(layers={})), r"^layers: expected a non-empty"),
    "no layers": (_edit(lambda d: d.update(layers=[])), r"^layers: expected a non-empty"),
    "layer not a dict": (
        _edit(lambda d: d["layers"].__setitem__(1, [])),
        r"layers\[1\]: expected a JSON",
    ),
    "missing bias": (
        _edit(lambda d: d["layers"][0].pop("bias")),
        r"layers\[0\]: missing key.*'bias'",
    ),
    "missing weights": (
        _edit(lambda d: d["layers"][1].pop("weights")),
        r"layers\[1\]: missing key.*'weights'",
    ),
    "missing activation": (
        _edit(lambda d: d["layers"][1].pop("activation")),
        r"layers\[1\]: missing key.*'activation'",
    ),
    "unknown layer key": (
        _edit(lambda d: d["layers"][0].update(scale=2)),
        r"layers\[0\]: unknown key.*'scale'",
    ),
    "weights not a list": (
        _edit(lambda d: d["layers"][0].update(weights=3.0)),
        r"layers\[0\]\.weights: expected a non-empty list",
    ),
    "row not a list": (
        _edit(lambda d: d["layers"][0]["weights"].__setitem__(1, 2.0)),
        r"layers\[0\]\.weights\[1\]: expected a list",
    ),
    "empty row": (
        _edit(lambda d: d["layers"][0].update(weights=[[], []])),
        r"layers\[0\]\.weights\[0\]: a weight row needs",
    ),
    "ragged rows": (
        _edit(lambda d: d["layers"][0]["weights"][1].append(0.0)),
        r"layers\[0\]\.weights\[1\]: ragged",
    ),
    "nan weight": (
        _edit(lambda d: d["layers"][1]["weights"][0].__setitem__(1, float("nan"))),
        r"layers\[1\]\.weights\[0\]\[1\]: expected a finite number",
    ),
    "inf bias": (
        _edit(lambda d: d["layers"][0]["bias"].__setitem__(0, float("inf"))),
        r"layers\[0\]\.bias\[0\]: expected a finite number",
    ),
    "string weight": (
        _edit(lambda d: d["layers"][0]["weights"][0].__setitem__(0, "1.0")),
        r"layers\[0\]\.weights\[0\]\[0\]: expected a number, got str",
    ),
    "bool weight": (
        _edit(lambda d: d["layers"][0]["weights"][0].__setitem__(1, True)),
        r"layers\[0\]\.weights\[0\]\[1\]: expected a number, got bool",
    ),
    "null bias": (
        _edit(lambda d: d["layers"][1]["bias"].__setitem__(0, None)),
        r"layers\[1\]\.bias\[0\]: expected a number, got NoneType",
    ),
    "huge int": (
        _edit(lambda d: d["layers"][0]["weights"][0].__setitem__(0, 10**400)),
        r"layers\[0\]\.weights\[0\]\[0\]: number .* too large",
    ),
    "bias not a list": (
        _edit(lambda d: d["layers"][0].update(bias=0.0)),
        r"layers\[0\]\.bias: expected a list",
    ),
    "bias length": (
        _edit(lambda d: d["layers"][0]["bias"].append(0.0)),
        r"layers\[0\]\.bias: expected 2 entries",
    ),
    "bad activation": (
        _edit(lambda d: d["layers"][1].update(activation="relu")),
        r"layers\[1\]\.activation: unknown activation 'relu'; valid activations: 'sign', 'step'",
    ),
    "non-str activation": (
        _edit(lambda d: d["layers"][0].update(activation=1)),
        r"layers\[0\]\.activation: unknown activation 1",
    ),
    "chain mismatch": (
        _edit(lambda d: d["layers"][1].update(weights=[[1.0, 1.0, 1.0]])),
        r"layers\[1\]\.weights: expected 2 columns",
    ),
    "classes not a list": (_edit(lambda d: d.update(classes="ab")), r"^classes: expected a list"),
    "one class": (_edit(lambda d: d.update(classes=[0])), r"^classes: need at least 2"),
    "duplicate classes": (_edit(lambda d: d.update(classes=[1, 1])), r"classes\[1\]: duplicate"),
    "nested class": (_edit(lambda d: d.update(classes=[0, [1]])), r"classes\[1\]: a class label"),
    "null class": (_edit(lambda d: d.update(classes=[None, 1])), r"classes\[0\]: a class label"),
    "binary with 2 outputs": (
        _edit(lambda d: d["layers"][1].update(weights=[[1.0, 1.0], [1.0, 1.0]], bias=[0.0, 0.0])),
        r"layers\[1\]\.weights: 2 output units do not match classes \(2 labels; binary",
    ),
    "3 classes with 1 output": (
        _edit(lambda d: d.update(classes=[0, 1, 2])),
        r"layers\[1\]\.weights: 1 output units do not match classes \(3 labels; one output unit",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_from_dict_rejects_malformed(case) -> None:
    d, match = MALFORMED[case]
    with pytest.raises(DataError, match=match):
        ThresholdNetwork.from_dict(d)


def test_from_dict_accepts_ints_and_good_dict() -> None:
    net = ThresholdNetwork.from_dict(_good())
    assert net == xor_sign_network()
    d = _good()
    d["layers"][1]["bias"] = [-1]
    assert ThresholdNetwork.from_dict(d).layers[1].bias.dtype == np.float64
