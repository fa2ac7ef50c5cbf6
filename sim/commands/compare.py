"""``caseflow compare A B [C ...] [key=value ...]``: scenarios side by side, paired by replication."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Sequence

from .. import signals
from ..config import RunConfig, horizon_end, to_plain
from ..inputs import InputError
from ..inputs.compose import Composed, compose_job
from ..inputs.errors import shown
from ..inputs.folders import check_name, check_results_dir
from ..inputs.overrides import parse_setting
from ..parts import WorkFolder, results_key
from ..formats import fmt_number, fmt_signed
from ..report import write_comparison
from ..runner import gather, run_to_folder
from .run_folder import progress_bars, say_resuming, working_in

USAGE = """usage: caseflow compare SCENARIO SCENARIO [SCENARIO ...] [key=value ...]

Runs each scenario with the same seed and replications (common random numbers: replication k
of every scenario sees the same demand) and writes <results_dir>/compare/<timestamp>/ with
comparison.csv and comparison.md: per KPI, over the whole horizon, each financial year and
each quarter (2024-25 Q3), each scenario's mean and 10th/50th/90th percentiles, and its
difference from the first scenario with a 95% confidence interval from the paired
replications; returns_to_baseline.csv: when each figure returns to the first scenario's
after a scenario's money ends; and a workbook, charts and report.html (report=false: none).  Scenarios must cover the same
months after the same warm-up: set start_date=, horizon_months= and warmup_months= if their
files differ.

example: caseflow compare temporary_funding permanent_posts agency_cover replications=20 seed=1"""

MAX_SCENARIOS = 20


def main(argv: Sequence[str]) -> None:
    """Compose every scenario, check they can be paired, run them, write the comparison."""
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return
    names = [a for a in argv if "=" not in a and not a.startswith(("-", "~"))]
    overrides = [a for a in argv if "=" in a or a.startswith("~")]
    unknown = [a for a in argv if a.startswith("-")]
    if unknown:
        raise InputError(f"The option {shown(unknown[0])} is not supported by caseflow compare: give scenario names, "
                         "then key=value settings")
    if len(names) < 2:
        raise InputError("caseflow compare needs at least two scenario names, e.g. caseflow compare baseline_2022 "
                         "permanent_posts")
    if len(names) > MAX_SCENARIOS:
        raise InputError(f"caseflow compare was given {len(names)} scenarios but compares at most {MAX_SCENARIOS}")
    for name in names:
        check_name(name, "scenario")
    for o in overrides:
        setting = parse_setting(o)
        if setting.is_sweep or setting.kind in ("launcher", "n_jobs"):
            raise InputError(f"The setting '{shown(o)}' asks for a sweep, but caseflow compare takes one value per "
                             "setting: run caseflow compare once for each value")
    if any(o.split("=", 1)[0].lstrip("+~") == "scenario" for o in overrides):
        raise InputError("Config key 'scenario' is set by the names given to caseflow compare: remove scenario=...")
    jobs: dict[str, Composed] = {}
    for i, name in enumerate(names):
        label = name if name not in jobs else f"{name}#{i + 1}"
        jobs[label] = compose_job([f"scenario={name}", *overrides])
    cfgs = {label: job.cfg for label, job in jobs.items()}
    _check_pairable(cfgs)
    first = next(iter(cfgs.values()))
    check_results_dir(first.results_dir)
    provenance = {"command": ["caseflow", "compare", *argv],
                  "settings": list(overrides),
                  "files": {label: job.record()["files"] for label, job in jobs.items()},
                  "assumptions": {label: job.assumptions() for label, job in jobs.items()}}
    _run(cfgs, provenance)


def _check_pairable(cfgs: dict[str, RunConfig]) -> None:
    spans = {label: (c.start_date, horizon_end(c).isoformat(), c.warmup_months) for label, c in cfgs.items()}
    if len(set(spans.values())) > 1:
        listed = "; ".join(f"{k} {a} to {b} after {w} months' warm-up" for k, (a, b, w) in spans.items())
        raise InputError(f"Scenarios compared must cover the same months ({listed}): set start_date=, horizon_months= "
                         "and warmup_months= on the command line")
    if len({(c.seed, c.replications) for c in cfgs.values()}) > 1:
        raise InputError("Scenarios compared must share seed and replications (pairing by replication needs them): "
                         "set seed= and replications= on the command line")


def _run(cfgs: dict[str, RunConfig], provenance: dict) -> None:
    from ..compare import comparison_markdown, comparison_table, replication_table
    from ..reports.findings import comparison_findings, returns_to_baseline

    from ..report import started_commit


    started_commit()  # the code this run is, before it runs

    started = dt.datetime.now(dt.timezone.utc)
    first = next(iter(cfgs.values()))
    folder = WorkFolder(Path(first.results_dir) / "compare", results_key(list(cfgs.values())), prefix="compare")
    labels = list(cfgs)
    results = {}
    with working_in(folder, first.replications, labels):
        say_resuming(folder, first.replications, labels)
        with progress_bars() as bars:
            overall = bars.add_task("scenarios", total=len(cfgs))
            reps = bars.add_task("replications", total=first.replications)
            for label, cfg in cfgs.items():
                bars.reset(reps, total=cfg.replications, description=f"{label}: replications")
                results[label] = run_to_folder(cfg, folder, what="compare", label=label,
                                               progress=lambda k: bars.advance(reps))
                bars.advance(overall)
        per_rep = {label: gather(rs, "periods") for label, rs in results.items()}
        table = comparison_table(per_rep)
        title = (f"caseflow compare: {', '.join(cfgs)} ({first.start_date} to {horizon_end(first).isoformat()}, "
                 f"{first.replications} paired replications, seed {first.seed})")
        by_replication = replication_table(per_rep)
        plain = {label: to_plain(cfg) for label, cfg in cfgs.items()}
        findings = comparison_findings(table, by_replication, plain)
        returns = returns_to_baseline(table, plain)
        markdown = comparison_markdown(table, title, findings)
        with signals.deferred():
            where = write_comparison(cfgs, folder, results, table, markdown, started, provenance,
                                     by_replication=by_replication, returns=returns)
        _print_comparison(table, title)
        for sentence in findings:
            print(sentence)
        print(f"Results: {where}")


def _print_comparison(table, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    whole = table[table["period"] == table["period"].iloc[0]]
    names = list(whole["scenario"].drop_duplicates())
    t = Table(title=title, title_justify="left")
    t.add_column("Figure over the forecast horizon (mean; difference from first [95% CI])")
    for n in names:
        t.add_column(n, justify="right")
    for kpi in whole["kpi"].drop_duplicates():
        rows = whole[whole["kpi"] == kpi].set_index("scenario")
        cells = []
        for i, n in enumerate(names):
            r = rows.loc[n]
            cell = fmt_number(r["mean"])
            if i:
                cell += (f"\n{fmt_signed(r['diff_from_first'])} "
                         f"[{fmt_signed(r['diff_ci95_low'])}, {fmt_signed(r['diff_ci95_high'])}]")
            cells.append(cell)
        t.add_row(rows["label"].iloc[0], *cells)
    Console(file=sys.stdout, width=160).print(t)
