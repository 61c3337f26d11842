"""``ftprop predict``: predictions, accuracy, confusion matrix, mismatches (exit 2), atomic --out."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from ftprop_exact.cli import main
from ftprop_exact.network import Layer, ThresholdNetwork


@pytest.fixture
def files(tmp_path):
    # label = x0 > 0 (classes "neg" / "pos"); row 3 is mislabelled on purpose
    X = np.array([[1.0, 0.0], [2.0, 1.0], [-1.0, 0.5], [-2.0, 0.0], [0.5, -1.0]])
    labels = ["pos", "pos", "neg", "pos", "pos"]
    data = tmp_path / "data.csv"
    data.write_text("x0,x1,label\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, labels)))
    net = tmp_path / "net.json"
    ThresholdNetwork((Layer([[1.0, 0.0]], [0.0]),), classes=("neg", "pos")).save(net)
    return tmp_path, data, net


def run_json(capsys, *argv):
    code = main(["predict", *map(str, argv), "--json"])
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else None)


def test_accuracy_confusion_and_predictions(files, capsys):
    tmp, data, net = files
    code, obj = run_json(capsys, data, "--network", net)
    assert code == 0
    assert obj["predictions"] == ["pos", "pos", "neg", "neg", "pos"]
    assert obj["accuracy"] == pytest.approx(4 / 5)
    assert obj["confusion"] == [[1, 0], [1, 3]]  # rows: true neg, true pos
    assert main(["predict", str(data), "--network", str(net)]) == 0
    text = capsys.readouterr().out
    assert "c accuracy: 0.8" in text and text.rstrip().splitlines()[-1] == "pos"


def test_features_only(files, capsys):
    tmp, data, net = files
    features = tmp / "features.csv"
    features.write_text("x0,x1\n3,0\n-3,0\n")
    code, obj = run_json(capsys, features, "--network", net, "--no-labels")
    assert code == 0 and obj["predictions"] == ["pos", "neg"] and "accuracy" not in obj


def test_mismatched_network_exits_2(files, capsys):
    tmp, data, net = files
    wide = tmp / "wide.json"
    ThresholdNetwork((Layer([[1.0, 0.0, 0.0]], [0.0]),), classes=("neg", "pos")).save(wide)
    assert main(["predict", str(data), "--network", str(wide)]) == 2
    assert "has 2 features, but the network reads 3" in capsys.readouterr().err
    other = tmp / "other.json"
    ThresholdNetwork((Layer([[1.0, 0.0]], [0.0]),), classes=("neg", "zero")).save(other)
    assert main(["predict", str(data), "--network", str(other)]) == 2
    assert "classes the network does not know: ['pos']" in capsys.readouterr().err
    broken = tmp / "broken.json"
    broken.write_text('{"layers": []}')
    assert main(["predict", str(data), "--network", str(broken)]) == 2


def test_out_is_written_atomically(files, capsys, monkeypatch):
    tmp, data, net = files
    out = tmp / "pred.csv"
    out.write_text("old\n")
    assert main(["predict", str(data), "--network", str(net), "--out", str(out)]) == 0
    assert out.read_text() == "prediction\npos\npos\nneg\nneg\npos\n"
    assert sorted(os.listdir(tmp)) == ["data.csv", "net.json", "pred.csv"]  # no temporary left behind
    # a failed write leaves the old file whole
    import ftprop_exact.atomic as atomic

    def fail(handle, *args):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "fsync", fail)
    out.write_text("old\n")
    assert main(["predict", str(data), "--network", str(net), "--out", str(out)]) == 1
    assert out.read_text() == "old\n"
