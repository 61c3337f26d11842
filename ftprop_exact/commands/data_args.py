"""The data argument shared by every subcommand that reads a data set."""

from __future__ import annotations

import argparse

from ftprop_exact.activations import check_activation
from ftprop_exact.errors import DataError
from ftprop_exact.data import BUILTIN_DATASETS, Dataset, load_dataset
from ftprop_exact.weights import parse_weights


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``DATA`` and ``--label`` to a subcommand's parser."""
    parser.add_argument(
        "data",
        metavar="DATA",
        help="a CSV file with a header (label = last column), an NPZ file with arrays X and y, "
        f"or a built-in data set ({', '.join(BUILTIN_DATASETS)}; e.g. digits:3,8)",
    )
    parser.add_argument("--label", metavar="COLUMN", help="name of the CSV label column (default: the last column)")


def load_from_args(args: argparse.Namespace) -> Dataset:
    """Load the data set named on the command line."""
    return load_dataset(args.data, label=args.label)


def describe(data: Dataset) -> str:
    """One line describing a loaded data set."""
    return (
        f"data: {data.name}: {data.n_examples} examples, {data.n_features} features, "
        f"classes {list(data.classes)}"
    )


def activation_argument(text: str) -> str:
    """Parse ``--activation``: ``sign``, ``step`` or ``qrelu:K`` (a usage error, exit 2, otherwise)."""
    try:
        return check_activation(text)
    except DataError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_hidden(text: str) -> tuple[int, ...]:
    """Parse ``"3"`` or ``"3,2"`` into hidden widths (``"0"`` or ``""``: no hidden layer).

    Here rather than in ``check`` so that ``verify-proof`` imports no searcher.
    """
    if text.strip() in ("", "0"):
        return ()
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"hidden widths must be positive integers like 3 or 3,2; got {text!r}") from None
    if any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"hidden widths must be positive; got {text!r}")
    return widths


def parse_weight_domain(text: str) -> str:
    """A weight domain, ``real``, ``ternary`` or ``int:K``, in its canonical spelling (argparse type)."""
    try:
        return parse_weights(text).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
