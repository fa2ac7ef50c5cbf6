"""A run's output folder: event log, forecast tables, resolved config and manifest.

Everything is written into the run's hidden work folder (``sim.parts``), which is renamed into
place only when complete, so an interrupted or failed run never leaves a half-written result.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from .config import RunConfig, horizon_end, parse_date, to_plain
from . import kpis
from .formats import fmt_number
from .forecast import (forecast_from_monthly, precision_verdict, queue_warnings, summary_from_window,
                       warmup_sentence, warmup_verdict)
from .parts import WorkFolder
from .runner import ReplicationKPIs, gather

PACKAGES = ("caseflow", "simpy", "numpy", "scipy", "pandas", "pyarrow", "hydra-core", "omegaconf", "holidays", "rich",
            "openpyxl", "matplotlib",
            "dask", "distributed")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@functools.lru_cache(maxsize=None)
def git_commit(where: Path) -> dict[str, object]:
    """The commit of the caseflow checkout (and whether it had uncommitted changes), asked once per
    process: a long command asks when it starts (``started_commit``), so that its manifest names
    the code it ran, not a commit made while it ran."""
    # Git reads settings from the environment (GIT_CONFIG_COUNT/KEY/VALUE) and some of them run
    # commands (core.fsmonitor): ask with those left out and the monitor off, so recording the
    # commit can never run anything.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CONFIG_NOSYSTEM"] = "1"

    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "core.fsmonitor=false", "--no-optional-locks", *args], cwd=where,
                              capture_output=True, text=True, timeout=10, check=True, env=env,
                              stdin=subprocess.DEVNULL).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def started_commit() -> dict[str, object]:
    """Record caseflow's commit now (the manifest written at the end reads this)."""
    return git_commit(Path(__file__).resolve().parent)


def write_run(cfg: RunConfig, folder: WorkFolder, results: list[ReplicationKPIs], started: dt.datetime,
              provenance: dict) -> tuple[Path, pd.DataFrame]:
    """Add the tables, config and manifest to the run's work folder and publish it.

    The folder already holds every replication's part (``events.parquet/``); it becomes
    ``<results_dir>/<scenario>/<local start time>`` only once everything is written.
    """
    folder.prune(cfg.replications)
    forecast = forecast_from_monthly(gather(results, "monthly"))
    summary = summary_from_window(gather(results, "horizon"))
    summary.attrs["warmup"] = warmup = warmup_verdict(gather(results, "warmup"), cfg)
    if not cfg.write_events:
        shutil.rmtree(folder.events_dir(), ignore_errors=True)
    forecast.round(4).to_csv(folder.path / "forecast.csv", index=False)
    summary.round(4).to_csv(folder.path / "summary.csv", index=False)
    (folder.path / "config.yaml").write_text(yaml.safe_dump(to_plain(cfg), sort_keys=False))
    if provenance.get("assumptions") is not None:
        pd.DataFrame(provenance["assumptions"]).to_csv(folder.path / "assumptions.csv", index=False)
    reports = report_outputs(cfg, "run")
    record = {"scenario": cfg.scenario.name, **manifest(cfg, started, provenance, results, folder, reports),
              "warmup": warmup}
    (folder.path / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
    write_reports(cfg, folder.path)
    return folder.publish(_stamp(started, provenance.get("label"))), summary


def report_outputs(cfg: RunConfig, kind: str) -> tuple[str, ...]:
    if not cfg.report:
        return ()
    from .reports.build import outputs

    return outputs(kind)


def write_reports(cfg: RunConfig, where: Path) -> None:
    """The workbook, charts and HTML report, made from the folder's own tables (``report=false``: none)."""
    if cfg.report:
        from .reports.build import make_reports

        make_reports(where)


def _stamp(started: dt.datetime, label: str | None = None) -> str:
    """The output folder's name: the local start time, then (a run of a sweep) its swept values."""
    stamp = started.astimezone().strftime("%Y-%m-%d_%H-%M-%S")
    return f"{stamp}_{label}" if label else stamp


def manifest(cfg: RunConfig, started: dt.datetime, provenance: dict, results: list[ReplicationKPIs],
             folder: WorkFolder, reports: tuple[str, ...] = ()) -> dict:
    """What anyone needs to rerun a run: seed, span, versions, commit, command, timings, outputs.

    ``provenance`` holds ``command`` (the command line exactly as typed), ``settings`` (this
    run's own settings from it: in a sweep, one combination) and ``files`` (the configuration
    files used, each with its SHA-256).
    """
    finished = dt.datetime.now(dt.timezone.utc)
    return {
        "seed": cfg.seed,
        "replications": cfg.replications,
        "start_date": cfg.start_date,
        "end_date": horizon_end(cfg).isoformat(),
        "horizon_months": cfg.horizon_months,
        "end_date_set": cfg.end_date is not None,
        "warmup_months": cfg.warmup_months,
        "events": sum(r.events for r in results),
        "replications_resumed": sum(not r.simulated for r in results),
        "results_key": folder.path.name.split("-", 1)[1].split(".")[0],
        "executor": cfg.executor,
        "workers": cfg.workers,
        "scheduler": cfg.scheduler,
        "flush_events": cfg.flush_events,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "run_seconds": round((finished - started).total_seconds(), 3),
        "command": list(provenance.get("command", [])),
        "settings": list(provenance.get("settings", [])),
        "swept": provenance.get("swept") or {},
        "inputs": provenance.get("files", {}),
        "start_from": _records(cfg),
        "git": started_commit(),
        "versions": package_versions(),
        "platform": platform.platform(),
        "outputs": sorted({p.name for p in folder.path.iterdir() if p.name != "lock"} | {"manifest.json", *reports}),
    }


def _records(cfg: RunConfig) -> dict | None:
    """What a run started from the council's records records of them: the extract's digest, dates
    and counts (never a path's contents, never an identifier)."""
    if cfg.start_from is None:
        return None
    from .extracts.opening import opening_for

    return opening_for(cfg.start_from, cfg.start_date).summary()


def write_comparison(cfgs: dict[str, RunConfig], folder: WorkFolder, results: dict[str, list[ReplicationKPIs]],
                     table: pd.DataFrame, markdown: str, started: dt.datetime, provenance: dict,
                     by_replication: pd.DataFrame | None = None, returns: pd.DataFrame | None = None) -> Path:
    """Publish ``<results_dir>/compare/<timestamp>/``: comparison.csv and .md,
    comparison_replications.csv, returns_to_baseline.csv, and each scenario's log
    (``scenarios/<label>/events.parquet/``), monthly forecast, assumptions and config."""
    first = next(iter(cfgs.values()))
    table.round(4).to_csv(folder.path / "comparison.csv", index=False)
    (folder.path / "comparison.md").write_text(markdown)
    if by_replication is not None:
        by_replication.round(4).to_csv(folder.path / "comparison_replications.csv", index=False)
    if returns is not None:
        returns.round(4).to_csv(folder.path / "returns_to_baseline.csv", index=False)
    for label, cfg in cfgs.items():
        sub = folder.path / "scenarios" / label
        sub.mkdir(parents=True, exist_ok=True)
        folder.prune(cfg.replications, label)
        if not cfg.write_events:
            shutil.rmtree(folder.events_dir(label), ignore_errors=True)
        (sub / "config.yaml").write_text(yaml.safe_dump(to_plain(cfg), sort_keys=False))
        if any("monthly" in r.frames for r in results[label]):
            forecast_from_monthly(gather(results[label], "monthly")).round(4).to_csv(sub / "forecast.csv", index=False)
        assumptions = provenance.get("assumptions", {}).get(label)
        if assumptions is not None:
            pd.DataFrame(assumptions).to_csv(sub / "assumptions.csv", index=False)
    m = manifest(first, started, provenance, [r for rs in results.values() for r in rs], folder,
                 report_outputs(first, "comparison"))
    m["scenarios"] = list(cfgs)
    m["common_random_numbers"] = "replication k of every scenario uses streams keyed (seed, k, process)"
    (folder.path / "manifest.json").write_text(json.dumps(m, indent=2) + "\n")
    write_reports(first, folder.path)
    return folder.publish(_stamp(started))


def print_summary(summary: pd.DataFrame, cfg: RunConfig, where: Path, swept: dict[str, str] | None = None) -> None:
    """A short table of the headline figures on the terminal, a warning for each queue that grows
    without bound (the trend rows of summary.csv say which; they are not in the table), and
    the replication verdict."""
    from rich.console import Console
    from rich.table import Table

    table = Table()
    table.add_column("Figure over the forecast horizon", no_wrap=True)
    ranged = cfg.replications > 1
    table.add_column("mean", justify="right")
    if ranged:
        table.add_column("10th-90th pct", justify="right")
    for row in summary[summary["kpi"].isin(kpis.present(kpis.HEADLINE, summary["kpi"]))].itertuples():
        unit = "%" if kpis.REGISTRY[row.kpi].percent else ""  # 2.5%, never 0.025 or a bare 2.5
        cells = [row.label, fmt_number(row.mean) + unit]
        if ranged:
            cells.append(f"{fmt_number(row.p10)}{unit} - {fmt_number(row.p90)}{unit}")
        table.add_row(*cells)
    # Wide enough for the table (labels never wrap); sentences are not wrapped by rich at all
    # (soft_wrap), so a narrow terminal folds them and a log file keeps each on one line.
    console = Console(file=sys.stdout, width=max(110, Console(width=400).measure(table).maximum))
    line = run_line(cfg) + (f" (sweep: {', '.join(f'{k}={v}' for k, v in swept.items())})" if swept else "")
    console.print(line, soft_wrap=True, highlight=False)
    console.print(table)
    for warning in queue_warnings(summary):
        console.print(warning, soft_wrap=True)
    if cfg.start_from is not None:  # no warm-up by design: the start-up is the records' state working through
        console.print(f"Started from the council's records on {cfg.start_date} (no warm-up): the first months show the "
                      "service working through the state it was in, not start-up bias.", soft_wrap=True)
    elif "warmup" in summary.attrs:
        console.print(warmup_sentence(summary.attrs["warmup"]), soft_wrap=True)
    console.print(precision_verdict(summary, cfg.replications), soft_wrap=True)
    console.print(f"Results: {where}", soft_wrap=True, highlight=False)


def run_line(cfg: RunConfig) -> str:
    """One line saying what the run was."""
    warmup = "1 month's" if cfg.warmup_months == 1 else f"{cfg.warmup_months} months'"
    months = (f"{cfg.horizon_months} months" if not cfg.end_date
              else f"{(horizon_end(cfg) - parse_date('start_date', cfg.start_date)).days} days")
    return (f"caseflow: {cfg.scenario.name}, {cfg.start_date} to {horizon_end(cfg).isoformat()}, "
            f"{cfg.replications} replication(s), seed {cfg.seed}: the {cfg.service.name} service over {months} "
            f"after {warmup} warm-up")
