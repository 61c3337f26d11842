"""``ftprop predict``: apply a saved network (or one-vs-one ensemble) to a data set."""

from __future__ import annotations

import argparse
import io
import os
from typing import Any

import numpy as np

from ftprop_exact import __version__
from ftprop_exact.atomic import write_text_atomic
from ftprop_exact.commands import output
from ftprop_exact.commands.data_args import add_data_arguments, describe, load_from_args
from ftprop_exact.data import Dataset
from ftprop_exact.ensemble import VotingEnsemble, load_model
from ftprop_exact.errors import DataError
from ftprop_exact.network import ThresholdNetwork

HELP = "predict with a saved network (or ensemble); with labels, report the accuracy and the confusion matrix"

Model = ThresholdNetwork | VotingEnsemble


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser("predict", help=HELP, description=HELP)
    add_data_arguments(parser)
    parser.add_argument("--network", required=True, metavar="FILE", help="a network or ensemble file (docs/formats.md)")
    parser.add_argument(
        "--no-labels",
        action="store_true",
        help="DATA holds features only (a CSV with a header, or an NPZ with an array X): no accuracy",
    )
    parser.add_argument("--out", metavar="FILE", help="write the predictions (CSV, one column 'prediction') atomically")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.set_defaults(run=run)


def load_features(path: str) -> np.ndarray:
    """Features without labels: every column of a CSV with a header, or the array ``X`` of an NPZ file."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file (with --no-labels DATA is a CSV or NPZ file)")
    if path.lower().endswith(".npz"):
        with np.load(path, allow_pickle=False) as archive:
            if "X" not in archive:
                raise DataError(f"{path}: no array 'X'")
            raw = archive["X"]
    else:
        import pandas as pd  # noqa: PLC0415 - only this path needs it

        try:
            raw = pd.read_csv(path).to_numpy()
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(f"{path}: cannot read the CSV ({exc})") from None
    try:
        X = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{path}: every feature must be a number") from None
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise DataError(f"{path}: expected a 2-D table of finite numbers")
    return X


def check_match(model: Model, n_features: int, classes: tuple | None, where: str) -> None:
    """Refuse data the model cannot be applied to: another feature count, or classes it does not know."""
    if n_features != model.n_inputs:
        raise DataError(f"{where} has {n_features} features, but the network reads {model.n_inputs}")
    if classes is not None:
        unknown = [c for c in classes if c not in set(model.classes)]
        if unknown:
            raise DataError(
                f"{where} has classes the network does not know: {unknown} (the network's classes: {list(model.classes)})"
            )


def confusion(truth: np.ndarray, predicted: np.ndarray, classes: tuple) -> list[list[int]]:
    """Confusion matrix: row = true class, column = predicted class, both in ``classes`` order."""
    index = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for t, p in zip(truth.tolist(), predicted.tolist()):
        matrix[index[t], index[p]] += 1
    return matrix.tolist()


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; exit 0, or 2 when the data and the network do not match."""
    model = load_model(args.network)
    data: Dataset | None = None
    if args.no_labels:
        X = load_features(args.data)
    else:
        data = load_from_args(args)
        X = data.X
    check_match(model, X.shape[1], None if data is None else data.classes, args.data)
    predicted = model.predict(X)
    answer: dict[str, Any] = {
        "data": args.data,
        "network": args.network,
        "model": "ovo" if isinstance(model, VotingEnsemble) else "network",
        "classes": list(model.classes),
        "n_examples": int(X.shape[0]),
        "predictions": predicted.tolist(),
    }
    if data is not None:
        right = [p == t for p, t in zip(predicted.tolist(), data.y.tolist())]
        answer["accuracy"] = float(np.mean(right)) if right else None
        answer["confusion"] = confusion(data.y, predicted, tuple(model.classes))
    if args.out:
        buffer = io.StringIO()
        buffer.write("prediction\n")
        buffer.writelines(f"{p}\n" for p in predicted.tolist())
        write_text_atomic(args.out, buffer.getvalue())
    report(args, answer, data)
    return 0


def report(args: argparse.Namespace, answer: dict[str, Any], data: Dataset | None) -> None:
    """One JSON object, or ``c`` lines (accuracy, confusion) and one prediction per line (unless ``--out``)."""
    if args.json:
        output.json_object({**answer, "version": __version__})
        return
    output.comment(f"ftprop_exact {__version__} predict")
    output.comment(describe(data) if data is not None else f"data: {args.data}: {answer['n_examples']} examples (no labels)")
    output.comment(f"{answer['model']} from {args.network}, classes {answer['classes']}")
    if "accuracy" in answer:
        output.comment(f"accuracy: {answer['accuracy']:.6g}")
        output.comment("confusion matrix (rows: true class, columns: predicted), classes " + str(answer["classes"]))
        for cls, row in zip(answer["classes"], answer["confusion"]):
            output.comment(f"  {cls}: {row}")
    if args.out:
        output.comment(f"predictions written to {args.out}")
    else:
        for p in answer["predictions"]:
            print(p)
