"""The documentation names only what exists: commands, their flags, module paths and attributes."""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

import pytest

from ftprop_exact.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
COMMAND_DOCS = (ROOT / "docs" / "cli.md", ROOT / "README.md")
# the folder each path prefix of the docs names, and its package (setup.cfg, package_dir);
# "proofs/..." is short for ftprop_exact/proofs/...
FOLDER_OF = {"ftprop_exact": "ftprop_exact", "solvers": "solvers", "benchmarks": "benchmarks", "proofs": "ftprop_exact/proofs"}
PACKAGE_OF = {
    "ftprop_exact": "ftprop_exact",
    "solvers": "ftprop_exact.solvers",
    "benchmarks": "ftprop_exact.benchmarks",
    "proofs": "ftprop_exact.proofs",
}

_COMMAND_LINE = re.compile(r"^(?:\$ )?(?:\S*/)?ftprop ([a-z][a-z-]*)(.*)$")
_FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
_SECTION = re.compile(r"^## .*?`ftprop ([a-z-]+)`(?:.*?`ftprop ([a-z-]+)`)?")
_BULLET_FLAG = re.compile(r"^- `(--[a-z][a-z0-9-]*)")
_INLINE = re.compile(r"`(?:\S*/)?ftprop ([a-z][a-z-]*)([^`]*)`")
_PREFIX = "(?:ftprop_exact|solvers|benchmarks|proofs)"
_PY_PATH = re.compile(rf"(?<![\w/.]){_PREFIX}/[\w/]*\w(?=\.py\b)")
_ATTRIBUTE_PATH = re.compile(rf"(?<![\w/.])({_PREFIX}/[\w/]*\w)\.([A-Za-z_]\w*)\b")
_FOLDER = re.compile(rf"(?<![\w/.]){_PREFIX}/(?:\w+/)*(?=[`\s,;)])")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every ``ftprop`` subcommand and its parser."""
    (action,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def flags_of(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def documented_flags(path: Path) -> set[tuple[str, str, int]]:
    """``(command, flag, line number)`` for every flag the file ties to a subcommand.

    A flag belongs to a command when it is on a command line (``ftprop CMD ...``, in a code
    block with its indented continuation lines, or inside one inline code span), or when it
    opens a bullet (``- `--flag` ...``) in a ``## `ftprop CMD` `` section of docs/cli.md.
    """
    found: set[tuple[str, str, int]] = set()
    section: tuple[str, ...] = ()
    in_code, current = False, None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        heading = _SECTION.match(line)
        if heading:
            section = tuple(name for name in heading.groups() if name)
        if line.startswith("```"):
            in_code, current = not in_code, None
            continue
        if in_code:
            command = _COMMAND_LINE.match(line)
            if command:
                current = command.group(1)
            elif not line.startswith((" ", "\t")):
                current = None
            if current:
                found |= {(current, flag, number) for flag in _FLAG.findall(line.split("#")[0])}
            continue
        for name, rest in _INLINE.findall(line):
            found |= {(name, flag, number) for flag in _FLAG.findall(rest)}
        bullet = _BULLET_FLAG.match(line)
        if bullet and section and path.name == "cli.md":
            found |= {("|".join(section), bullet.group(1), number)}
    return found


@pytest.mark.parametrize("path", COMMAND_DOCS, ids=lambda p: p.name)
def test_every_documented_flag_exists(path):
    parsers = subcommands()
    top = flags_of(build_parser())
    found = documented_flags(path)
    assert len(found) >= 10, "the parser of the documentation found too little: it is broken"
    wrong = []
    for command, flag, number in sorted(found):
        names = command.split("|")
        unknown = [name for name in names if name not in parsers]
        if unknown:
            wrong.append(f"{path.name}:{number}: no subcommand {unknown}")
        elif not any(flag in flags_of(parsers[name]) for name in names) and flag not in top:
            wrong.append(f"{path.name}:{number}: ftprop {command} has no {flag}")
    assert not wrong, "\n".join(wrong)


def test_every_subcommand_is_documented_and_every_documented_one_exists():
    parsers = subcommands()
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    sections = {name for line in cli.splitlines() if (m := _SECTION.match(line)) for name in m.groups() if name}
    assert sections == set(parsers)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Command line", 1)[1].split("```")[1]
    listed = {m.group(1) for line in block.splitlines() if (m := _COMMAND_LINE.match(line))}
    assert listed == set(parsers)


def test_every_option_of_every_subcommand_is_documented_in_its_section():
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in subcommands():
        heading = re.search(rf"^## .*`ftprop {name}`.*$", cli, re.M)
        assert heading, f"docs/cli.md has no section for ftprop {name}"
        section = cli[heading.end() :].split("\n## ", 1)[0]
        missing = sorted(flag for flag in flags_of(subcommands()[name]) - {"-h", "--help"} if flag not in section)
        assert not missing, f"docs/cli.md, ftprop {name}: undocumented {missing}"


def _module_name(path: str) -> str:
    top, *rest = path.split("/")
    return ".".join([PACKAGE_OF[top], *rest])


def _file(path: str) -> Path:
    """Where a documented path (``solvers/exact/cpsat.py``, ``proofs/io.py``) lives in the repository."""
    top, _, rest = path.partition("/")
    return ROOT / FOLDER_OF[top] / rest


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_module_path_named_in_the_docs_exists(doc):
    text = doc.read_text(encoding="utf-8")
    missing = [f"{path}.py" for path in _PY_PATH.findall(text) if not _file(f"{path}.py").is_file()]
    missing += [folder for folder in _FOLDER.findall(text) if not _file(folder).is_dir()]
    for path, attribute in _ATTRIBUTE_PATH.findall(text):
        if attribute == "py" or _file(f"{path}.{attribute}").is_file():  # a file name, e.g. xor.csv
            continue
        if not _file(f"{path}.py").is_file():
            missing.append(f"{path}.py (for {attribute})")
        elif not hasattr(importlib.import_module(_module_name(path)), attribute):
            missing.append(f"{path}.{attribute}")
    assert not missing, f"{doc.name} names what does not exist: {sorted(set(missing))}"


def test_the_architecture_names_modules_at_all():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert len(set(_PY_PATH.findall(text))) >= 10 and len(set(_ATTRIBUTE_PATH.findall(text))) >= 3


@pytest.mark.parametrize("path", COMMAND_DOCS, ids=lambda p: p.name)
def test_the_solver_lists_name_every_searcher(path):
    from ftprop_exact.solvers.registry import searcher_names

    lists = re.findall(r"--solver ([a-z-]+(?:\|[a-z-]+)+)", path.read_text(encoding="utf-8"))
    assert lists and all(set(names.split("|")) == set(searcher_names()) for names in lists), lists
