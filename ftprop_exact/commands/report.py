"""``ftprop report DIR``: the solver comparison of a benchmark output directory."""

from __future__ import annotations

import argparse

from ftprop_exact.commands import output

HELP = "summarise benchmark results: table with virtual best solver, cactus plot, performance profile"
EXIT_WRONG_ANSWER = 3


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the subcommand."""
    parser = subparsers.add_parser("report", help=HELP, description=HELP)
    parser.add_argument("dir", metavar="DIR", help="output directory of ftprop bench (holds results.jsonl)")
    parser.set_defaults(run=run)


def print_report(out_dir: str) -> int:
    """Write the report files of ``out_dir``, print the table and their paths.

    Returns
    -------
    int
        0, or :data:`EXIT_WRONG_ANSWER` when the results hold a wrong answer.
    """
    from ftprop_exact.benchmarks.report import write_report

    files = write_report(out_dir)
    print(files.table)
    print()
    print(f"summary: {files.summary}")
    if files.cactus and files.profile:
        print(f"cactus plot: {files.cactus}")
        print(f"performance profile: {files.profile}")
    else:
        output.log(f"no plots: {files.note}")
    if files.wrong:
        output.log(f"{files.wrong} WRONG ANSWER(S): see {files.summary}")
        return EXIT_WRONG_ANSWER
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; exit 0, 2 when there are no results, 3 on wrong answers."""
    try:
        return print_report(args.dir)
    except FileNotFoundError as exc:
        output.log(f"error: {exc}")
        return 2
