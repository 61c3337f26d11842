"""Solver comparison from a results file: table, virtual best solver, plots, Markdown summary.

Definitions (per solver, over its runs; a run is one (instance, seed)):

- solved: a FEASIBLE or INFEASIBLE answer that passed the independent check, within the
  instance's time limit; FEASIBLE and INFEASIBLE are counted separately;
- wrong: an answer the check rejected (disqualifying; never counted as solved);
- PAR-2: mean over runs of the solve time, or twice the time limit when unsolved;
- median: median solve time of the solved runs;
- virtual best solver (VBS): per (instance, seed), the fastest solved run of any solver.

Gradient baselines (``ftprop-mb``, ``sste``) and the MILP baseline (``milp``) cannot prove
infeasibility: they never answer INFEASIBLE. The MILP's "infeasible" (within its margin and
weight box) is listed as a claim, not as solved; a claim on a FEASIBLE instance is wrong.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ftprop_exact.benchmarks.results import read_records, results_path
from ftprop_exact.status import Status

__all__ = [
    "NO_PROOF_SOLVERS",
    "ReportFiles",
    "SolverRow",
    "format_table",
    "instance_subset",
    "latest_records",
    "markdown_summary",
    "markdown_table",
    "par2_score",
    "summarize",
    "write_report",
]

VBS = "virtual best"
NO_PROOF_SOLVERS = ("ftprop-mb", "sste", "milp")  # by design, never answer INFEASIBLE
SUMMARY_NAME = "summary.md"
CACTUS_NAME = "cactus.png"
PROFILE_NAME = "profile.png"
EXACT_VS_MILP = ((30, 500), ("auto", "cpsat", "milp"))  # issue 4: examples range, solvers
_ANSWERS = (Status.FEASIBLE.value, Status.INFEASIBLE.value)


@dataclass(frozen=True)
class SolverRow:
    """One row of the comparison table (a solver, or the virtual best solver)."""

    solver: str
    runs: int
    feasible: int
    infeasible: int
    wrong: int
    claims: int
    crashed: int
    par2: float
    median: float | None

    @property
    def solved(self) -> int:
        """FEASIBLE + INFEASIBLE answers that passed the check in time."""
        return self.feasible + self.infeasible

    @property
    def unsolved(self) -> int:
        """Runs without a correct verdict in time (wrong answers included)."""
        return self.runs - self.solved


def latest_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per run key (the last one written wins), in first-seen order."""
    by_key: dict[str, dict[str, Any]] = {}
    for record in records:
        by_key[str(record["run"])] = record
    return list(by_key.values())


def is_solved(record: dict[str, Any]) -> bool:
    """A correct FEASIBLE / INFEASIBLE answer within the time limit (recomputed, not trusted)."""
    return (
        record.get("status") in _ANSWERS
        and not record.get("wrong", False)
        and float(record["seconds"]) <= float(record["time_limit"])
    )


def par2_score(record: dict[str, Any]) -> float:
    """The run's solve time if solved, else twice its time limit.

    Examples
    --------
    >>> par2_score({"status": "FEASIBLE", "seconds": 1.5, "time_limit": 10})
    1.5
    >>> par2_score({"status": "UNKNOWN", "seconds": 10.0, "time_limit": 10})
    20.0
    """
    return float(record["seconds"]) if is_solved(record) else 2.0 * float(record["time_limit"])


def _row(solver: str, records: Sequence[dict[str, Any]]) -> SolverRow:
    solved = [r for r in records if is_solved(r)]
    times = [float(r["seconds"]) for r in solved]
    return SolverRow(
        solver=solver,
        runs=len(records),
        feasible=sum(r["status"] == Status.FEASIBLE.value for r in solved),
        infeasible=sum(r["status"] == Status.INFEASIBLE.value for r in solved),
        wrong=sum(bool(r.get("wrong")) for r in records),
        claims=sum(bool(r.get("claimed_infeasible")) for r in records),
        crashed=sum(r.get("status") in ("ERROR", "TIMEOUT") for r in records),
        par2=statistics.fmean(par2_score(r) for r in records) if records else math.nan,
        median=statistics.median(times) if times else None,
    )


def problem_key(record: dict[str, Any]) -> tuple[str, int]:
    """The problem a run answers: (instance, seed)."""
    return str(record["instance"]), int(record.get("seed", 0))


def vbs_records(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (instance, seed): the fastest solved run, or an unsolved stand-in."""
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for record in records:
        key = problem_key(record)
        current = best.get(key)
        if current is None or par2_score(record) < par2_score(current):
            best[key] = record
    return list(best.values())


def summarize(records: Iterable[dict[str, Any]]) -> list[SolverRow]:
    """Rows per solver (most solved first, then lowest PAR-2), then the virtual best solver's row."""
    records = latest_records(records)
    by_solver: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_solver[str(record["solver"])].append(record)
    rows = sorted((_row(s, rs) for s, rs in by_solver.items()), key=lambda r: (-r.solved, r.par2, r.solver))
    if records:
        vbs = _row(VBS, vbs_records(records))
        rows.append(SolverRow(VBS, vbs.runs, vbs.feasible, vbs.infeasible, 0, 0, 0, vbs.par2, vbs.median))
    return rows


_HEADERS = ("solver", "runs", "FEASIBLE", "INFEASIBLE", "unsolved", "wrong", "claims", "crashed", "PAR-2 s", "median s")


def _cells(row: SolverRow) -> list[str]:
    median = "-" if row.median is None else f"{row.median:.2f}"
    return [row.solver, str(row.runs), str(row.feasible), str(row.infeasible), str(row.unsolved),
            str(row.wrong), str(row.claims), str(row.crashed), f"{row.par2:.2f}", median]


def format_table(rows: Sequence[SolverRow]) -> str:
    """The comparison as an aligned text table (what ``ftprop bench`` prints)."""
    table = [list(_HEADERS)] + [_cells(r) for r in rows]
    widths = [max(len(line[c]) for line in table) for c in range(len(_HEADERS))]
    lines = ["  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in enumerate(zip(line, widths)))
             for line in table]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def markdown_table(rows: Sequence[SolverRow]) -> str:
    """The comparison as a Markdown table."""
    lines = ["| " + " | ".join(_HEADERS) + " |", "|" + "|".join(["---"] + ["---:"] * (len(_HEADERS) - 1)) + "|"]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def instance_subset(records: Iterable[dict[str, Any]], examples: tuple[int, int], solvers: Sequence[str]) -> list[dict[str, Any]]:
    """Records of the given solvers on instances with ``examples[0] <= m <= examples[1]``."""
    low, high = examples
    return [r for r in records if low <= int(r["examples"]) <= high and r["solver"] in solvers]


def _exact_vs_milp(records: list[dict[str, Any]]) -> list[str]:
    (low, high), solvers = EXACT_VS_MILP
    subset = instance_subset(records, (low, high), solvers)
    present = {r["solver"] for r in subset}
    if "milp" not in present or not present & {"auto", "cpsat"}:
        return []
    rows = [r for r in summarize(subset) if r.solver != VBS]
    milp = next(r for r in rows if r.solver == "milp")
    lines = [f"## Exact vs MILP ({low}-{high} examples)", "",
             f"{len({r['instance'] for r in subset})} instances, same time limits, one run each.", "",
             markdown_table(rows), ""]
    for row in rows:
        if row.solver != "milp" and row.par2 > 0:
            lines.append(f"- {row.solver} vs milp: solved {row.solved} vs {milp.solved}; PAR-2 {row.par2:.2f} s vs "
                         f"{milp.par2:.2f} s, ratio milp / {row.solver} = {milp.par2 / row.par2:.2f} "
                         f"(> 1: {row.solver} is faster).")
    return lines + [""]


_LETTER = {"FEASIBLE": "F", "INFEASIBLE": "I", "UNKNOWN": "?", "ERROR": "E", "TIMEOUT": "T"}


def _instance_table(records: list[dict[str, Any]]) -> list[str]:
    solvers = sorted({r["solver"] for r in records})
    cells: dict[str, dict[str, str]] = defaultdict(dict)
    truth: dict[str, str] = {}
    for r in records:
        mark = "WRONG" if r.get("wrong") else _LETTER.get(r["status"], r["status"])
        if not r.get("wrong") and r["status"] in _ANSWERS and not is_solved(r):
            mark += " (late)"
        cell = f"{mark} {float(r['seconds']):.2f}" + (f" / {float(r['peak_mb']):.0f} MiB" if r.get("peak_mb") else "")
        previous = cells[r["instance"]].get(r["solver"])
        cells[r["instance"]][r["solver"]] = cell if previous is None else f"{previous}; {cell}"
        truth[r["instance"]] = _LETTER.get(r.get("truth") or "UNKNOWN", "?")
    lines = ["| instance | m | truth | " + " | ".join(solvers) + " |", "|---|---:|:---:|" + "---|" * len(solvers)]
    examples = {r["instance"]: r["examples"] for r in records}
    for name in cells:
        row = [name, str(examples[name]), truth[name]] + [cells[name].get(s, "") for s in solvers]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _notes(records: list[dict[str, Any]], meta: dict[str, Any]) -> list[str]:
    solvers = {r["solver"] for r in records}
    notes = ["- A run is solved when its FEASIBLE network re-verifies on the data, or its INFEASIBLE proof "
             "re-checks (and agrees with the known truth), within the time limit. PAR-2 counts an unsolved "
             "run as twice its limit; the median is over solved runs."]
    no_proof = sorted(solvers & set(NO_PROOF_SOLVERS))
    if no_proof:
        notes.append(f"- {', '.join(no_proof)} cannot prove infeasibility: the gradient baselines (ftprop-mb, sste) "
                     "only find networks, and the MILP's infeasibility holds only within its margin and weight box "
                     "(listed under claims, not solved; a claim on a FEASIBLE instance counts as wrong). "
                     "Their INFEASIBLE count is 0 by design.")
    if "brute" in solvers:
        notes.append("- brute runs only on tiny instances (one hidden layer, width <= 4, <= 14 distinct rows); "
                     "compare its PAR-2 with care.")
    for name, reason in (meta.get("skipped_solvers") or {}).items():
        notes.append(f"- {name} was not run: {reason}")
    wrong = [r for r in records if r.get("wrong")]
    for r in wrong:
        notes.append(f"- **WRONG ANSWER**: {r['solver']} said {r['status']} on {r['instance']} (seed {r['seed']}): {r.get('check')}")
    return notes


def markdown_summary(records: Iterable[dict[str, Any]], meta: dict[str, Any], plots: dict[str, str | None]) -> str:
    """The Markdown report: run description, table with VBS, notes, plots, per-instance verdicts."""
    records = latest_records(records)
    limits = sorted({float(r["time_limit"]) for r in records})
    header = [
        f"# Solver comparison: suite `{meta.get('suite', '?')}`",
        "",
        f"- machine: {meta.get('machine', '?')}; runs at a time: {meta.get('jobs', '?')} "
        f"({meta.get('backend', '?')}); threads per run: {meta.get('threads_per_run', '?')}",
        f"- started: {meta.get('started', '?')}; ftprop_exact {meta.get('version', '?')}",
        f"- instances: {len({r['instance'] for r in records})}; seeds: {meta.get('seeds', '?')}; "
        f"time limit per run: {', '.join(f'{t:g}' for t in limits)} s",
        "",
        markdown_table(summarize(records)),
        "",
        *_notes(records, meta),
        "",
    ]
    figures = [f"![{title}]({os.path.basename(path)})" for title, path in plots.items() if path]
    if figures:
        header += ["## Plots", "", *figures, ""]
    return "\n".join(header + _exact_vs_milp(records) + ["## Verdicts per instance", "",
                     "F feasible, I infeasible, ? unknown, E error, T killed at the hard limit; seconds of the solve "
                     "/ peak resident memory of the run's process (MiB).", "",
                     *_instance_table(records), ""])


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` produced."""

    table: str
    summary: str
    cactus: str | None
    profile: str | None
    wrong: int
    note: str = ""


def _read_meta(out_dir: str) -> dict[str, Any]:
    try:
        with open(os.path.join(out_dir, "meta.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def write_report(out_dir: str | os.PathLike) -> ReportFiles:
    """Read ``results.jsonl`` in ``out_dir``; write ``summary.md``, ``cactus.png``, ``profile.png``.

    Returns
    -------
    ReportFiles
        The text table, the paths written (plots None when matplotlib is missing) and the
        number of wrong answers.

    Raises
    ------
    FileNotFoundError
        When ``out_dir`` holds no results.
    """
    from ftprop_exact.atomic import write_text_atomic
    from ftprop_exact.benchmarks import plots

    out_dir = os.fspath(out_dir)
    records = latest_records(read_records(results_path(out_dir)))
    if not records:
        raise FileNotFoundError(f"{out_dir}: no results (expected {results_path(out_dir)}; run ftprop bench first)")
    meta = _read_meta(out_dir)
    note = ""
    try:
        cactus = plots.cactus_plot(records, os.path.join(out_dir, CACTUS_NAME))
        profile = plots.profile_plot(records, os.path.join(out_dir, PROFILE_NAME))
    except ImportError as exc:
        cactus = profile = None
        note = str(exc)
    summary = os.path.join(out_dir, SUMMARY_NAME)
    write_text_atomic(summary, markdown_summary(records, meta, {"cactus plot": cactus, "performance profile": profile}))
    rows = summarize(records)
    return ReportFiles(format_table(rows), summary, cactus, profile, sum(r.wrong for r in rows), note)
