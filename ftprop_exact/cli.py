"""The ``ftprop`` command line: subcommands, error handling and exit codes.

Exit codes follow solver conventions: 10 FEASIBLE, 20 INFEASIBLE, 0 UNKNOWN, 2 usage or
bad input (with a message naming the file, row and column), 1 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from typing import Sequence

from ftprop_exact import __version__
from ftprop_exact.budget import process_started_at
from ftprop_exact.commands.signals import leave_if_signalled
from ftprop_exact.errors import DataError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1

# subcommand -> module of ftprop_exact.commands; imported only when needed, so that
# `ftprop verify-proof` on a proof that needs no solver imports none (no OR-Tools, no SciPy)
_COMMANDS = {
    "check": "check",
    "check-targets": "check_targets",
    "min-width": "min_width",
    "verify-proof": "verify_proof",
    "predict": "predict",
    "bench": "bench",
    "report": "report",
    "bench-kernels": "bench_kernels",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered (or just ``only``)."""
    parser = argparse.ArgumentParser(
        prog="ftprop",
        description="Exact training and feasibility checking of small hard-threshold networks.",
    )
    parser.add_argument("--version", action="version", version=f"ftprop_exact {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in _COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(f"ftprop_exact.commands.{module}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *, started: float | None = None) -> int:
    """Run the command line; returns the process exit code.

    ``started`` (a :func:`time.monotonic` reading): when the run began, from which time
    limits count; default now. The console entry point passes the process's start, so
    that interpreter start-up and imports count too.
    """
    started = time.monotonic() if started is None else started
    argv = list(sys.argv[1:] if argv is None else argv)
    first = argv[0] if argv else None
    args = build_parser(first if first in _COMMANDS else None).parse_args(argv)
    args.started = started
    try:
        return args.run(args)
    except DataError as exc:
        print(f"ftprop: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ftprop: interrupted", file=sys.stderr)
        return 130
    except MemoryError as exc:  # outside a solve (which answers UNKNOWN itself): e.g. loading
        print(f"c stopped early: out of memory ({exc or 'allocation failed'})")
        print("s UNKNOWN")
        return 0
    except BrokenPipeError:  # stdout closed early (e.g. piped into head): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INTERNAL
    except Exception:  # noqa: BLE001 - the last line of defence reports, never hides
        traceback.print_exc()
        print("ftprop: internal error (please report it with the traceback above)", file=sys.stderr)
        return EXIT_INTERNAL


def console_main() -> None:
    """The ``ftprop`` console entry point: :func:`main`, then exit with its code.

    After a run that a signal ended, it exits at once (``os._exit``, after flushing the
    answer) instead of waiting for abandoned native calls; :func:`main` itself always
    returns, so a host program calling it keeps running.
    """
    sys.exit(leave_if_signalled(main(started=process_started_at())))


if __name__ == "__main__":
    console_main()
