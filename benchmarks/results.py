"""The results file: JSON lines, each appended atomically, read back tolerantly.

Each record is one complete line, written with a single ``write`` on a file opened in
append mode, then flushed and fsynced: a run killed at any moment leaves every earlier
line intact and at most one torn last line, which :func:`read_records` skips (and
:func:`append_record` never continues: it starts a new line after a torn one).
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterator

__all__ = ["RESULTS_NAME", "append_record", "finished_keys", "read_records", "results_path"]

RESULTS_NAME = "results.jsonl"


def results_path(out_dir: str | os.PathLike) -> str:
    """Path of the results file in a benchmark output directory."""
    return os.path.join(os.fspath(out_dir), RESULTS_NAME)


def append_record(path: str | os.PathLike, record: dict[str, Any]) -> None:
    """Append one record as one JSON line: one write, then fsync.

    Parameters
    ----------
    path : str or path-like
        The results file (created if missing).
    record : dict
        A JSON-ready record (strict JSON: no NaN or infinity).

    Examples
    --------
    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "r.jsonl")
    >>> append_record(path, {"run": "a|b|0"}); append_record(path, {"run": "a|c|0"})
    >>> [r["run"] for r in read_records(path)]
    ['a|b|0', 'a|c|0']
    """
    line = (json.dumps(record, allow_nan=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and not _ends_with_newline(path, size):
            line = b"\n" + line  # a torn line from a killed run: start afresh
        written = os.write(fd, line)
        if written != len(line):  # pragma: no cover - only on a full disk
            raise OSError(f"{path}: short write ({written} of {len(line)} bytes)")
        os.fsync(fd)
    finally:
        os.close(fd)


def _ends_with_newline(path: str | os.PathLike, size: int) -> bool:
    with open(path, "rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) == b"\n"


def read_records(path: str | os.PathLike) -> Iterator[dict[str, Any]]:
    """Yield every complete record of a results file (torn or foreign lines are skipped)."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "run" in record:
                yield record


def finished_keys(path: str | os.PathLike) -> set[str]:
    """Run keys (``instance|solver|seed``) already recorded in a results file."""
    return {str(r["run"]) for r in read_records(path)}
