"""Solver-style output: ``c`` comment lines and one ``s`` verdict line on stdout, or one JSON object."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ftprop_exact import progress
from ftprop_exact.status import Status


def comment(text: str, stream: TextIO | None = None) -> None:
    """Print ``c <text>`` (one line per line of text) on stdout."""
    stream = stream or sys.stdout
    for line in text.splitlines() or [""]:
        print(f"c {line}".rstrip(), file=stream)


def verdict(status: Status, stream: TextIO | None = None) -> None:
    """Print the verdict line ``s FEASIBLE`` / ``s INFEASIBLE`` / ``s UNKNOWN`` / ``s OPTIMUM FOUND``."""
    print(status.verdict_line, file=stream or sys.stdout)


def json_object(obj: dict[str, Any], stream: TextIO | None = None) -> None:
    """Print exactly one JSON object (strict JSON: non-finite floats are refused)."""
    stream = stream or sys.stdout
    stream.write(json.dumps(obj, allow_nan=False) + "\n")
    stream.flush()


def progress_reporter(args: argparse.Namespace) -> progress.TerminalReporter | None:
    """The status line on stderr for this command, or None: stderr not a terminal, ``--json`` or ``--quiet``."""
    if not progress.wanted(sys.stderr, json=getattr(args, "json", False), quiet=getattr(args, "quiet", False)):
        return None
    return progress.TerminalReporter(sys.stderr, label=args.command)


def log(text: str) -> None:
    """Log a message on stderr (never on stdout, which carries the answer)."""
    print(f"ftprop: {text}", file=sys.stderr)
