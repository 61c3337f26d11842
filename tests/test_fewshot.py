"""The few-shot benchmark: splits, a tiny run, the results file, resuming, the row registry."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ftprop_exact.benchmarks import fewshot


def test_split_draws_n_per_class_and_tests_on_the_rest():
    y = np.repeat(np.arange(4), 7)
    train, test = fewshot.split(y, 3, seed=1)
    assert np.bincount(y[train]).tolist() == [3, 3, 3, 3]
    assert np.intersect1d(train, test).size == 0 and train.size + test.size == y.size
    assert np.array_equal(train, fewshot.split(y, 3, seed=1)[0])  # the same split for every row
    assert not np.array_equal(train, fewshot.split(y, 3, seed=2)[0])


def test_tiny_run_writes_results_and_resumes(tmp_path, capsys):
    out = tmp_path / "fewshot.json"
    argv = ["--per-class", "1", "--seeds", "1", "--time-limit", "30", "--rows", "ftprop-max_margin-ovo,linear-svc", "--out", str(out)]
    assert fewshot.main(argv) == 0
    captured = capsys.readouterr()
    assert "ftprop-max_margin-ovo" in captured.out and "[2/2]" in captured.err
    records = json.loads(out.read_text())["records"]
    assert [(r["row"], r["per_class"], r["seed"]) for r in records] == [("ftprop-max_margin-ovo", 1, 0), ("linear-svc", 1, 0)]
    assert all(0.0 <= r["accuracy"] <= 1.0 and r["train"] == 10 for r in records)
    assert records[0]["status"] == "FEASIBLE" and records[0]["train_errors"] == 0
    assert fewshot.main(argv) == 0  # resumed: nothing left to fit
    assert "[1/" not in capsys.readouterr().err
    assert len(json.loads(out.read_text())["records"]) == 2


def test_rows_registry_and_bad_arguments():
    assert {"ste", "milp", "linear-svc", "logistic", "ftprop-max_margin-ovr"} <= set(fewshot.ROWS)
    with pytest.raises(ValueError, match="already registered"):
        fewshot.register_row("ste", fewshot.ROWS["ste"].fit, "again")
    with pytest.raises(SystemExit) as stop:
        fewshot.main(["--rows", "nonsense"])
    assert stop.value.code == 2


def test_summary_mean_and_std():
    records = [
        {"row": "r", "per_class": 2, "seed": s, "accuracy": a, "seconds": 1.0, "train_errors": 0} for s, a in enumerate((0.5, 0.7))
    ]
    (summary,) = fewshot.summarise(records)
    assert summary["accuracy_mean"] == pytest.approx(0.6) and summary["accuracy_std"] == pytest.approx(0.1)
    assert "0.600 ± 0.100" in fewshot.table([summary])


def test_accuracy_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from ftprop_exact.benchmarks.plots import accuracy_plot

    summary = [
        {"row": row, "per_class": n, "accuracy_mean": a, "accuracy_std": 0.01}
        for row, pts in (("x", ((1, 0.5), (4, 0.7))), ("y", ((1, 0.6), (4, 0.8))))
        for n, a in pts
    ]
    path = accuracy_plot(summary, str(tmp_path / "acc.png"))
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_fit_that_raises_is_recorded_not_fatal():
    def broken(X, y, seed, time_limit, hidden):
        raise RuntimeError("solver crashed")

    row = fewshot.Row("broken", broken, "raises")
    y = np.repeat(np.arange(3), 4)
    record = fewshot.fit_row(row, np.zeros((12, 2)), y, 1, 0, 1.0, (2,))
    assert record["error"] == "RuntimeError: solver crashed"
    (summary,) = fewshot.summarise([record])
    assert summary["fits"] == 0 and summary["failed"] == 1
    assert "all 1 fits failed" in fewshot.table([summary])
