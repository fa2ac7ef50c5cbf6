"""A run's output folder: event log, forecast tables, resolved config and manifest.

Everything is written into a hidden temporary folder that is renamed into place only when
complete, so an interrupted or failed run never leaves a half-written result.
"""
from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import yaml

from .config import RunConfig, horizon_end, to_plain
from .forecast import forecast_table, horizon_summary
from .log import write_parquet
from .projections import events_frame

PACKAGES = ("caseflow", "simpy", "numpy", "scipy", "pandas", "pyarrow", "hydra-core", "omegaconf", "holidays", "rich")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(where: Path) -> dict[str, object]:
    """The commit of the caseflow checkout (and whether it had uncommitted changes)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def claim_run_dir(cfg: RunConfig, now: dt.datetime, folder: str | None = None) -> tuple[Path, Path]:
    """Claim ``<results_dir>/<scenario>/<local timestamp>`` and its hidden temporary twin.

    The temporary folder is created exclusively, so two runs started in the same second take
    different names (``..._2``, ``..._3``).
    """
    base = Path(cfg.results_dir) / (folder or cfg.scenario.name)
    base.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone().strftime("%Y-%m-%d_%H-%M-%S")
    n = 1
    while True:
        name = stamp if n == 1 else f"{stamp}_{n}"
        final, partial = base / name, base / f".{name}.partial"
        if not final.exists():
            try:
                partial.mkdir()
                return final, partial
            except FileExistsError:
                pass
        n += 1


def write_run(cfg: RunConfig, events: pa.Table, started: dt.datetime, argv: list[str]) -> tuple[Path, pd.DataFrame]:
    """Write the run's folder atomically; returns its path and the horizon summary."""
    final, partial = claim_run_dir(cfg, started)
    try:
        df = events_frame(events)
        forecast = forecast_table(df, cfg)
        summary = horizon_summary(df, cfg)
        if cfg.write_events:
            write_parquet(events, partial / "events.parquet")
        forecast.round(4).to_csv(partial / "forecast.csv", index=False)
        summary.round(4).to_csv(partial / "summary.csv", index=False)
        (partial / "config.yaml").write_text(yaml.safe_dump(to_plain(cfg), sort_keys=False))
        record = {"scenario": cfg.scenario.name, **manifest(cfg, started, argv, events.num_rows, partial)}
        (partial / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final, summary


def manifest(cfg: RunConfig, started: dt.datetime, argv: list[str], events: int, partial: Path) -> dict:
    """What anyone needs to rerun a run: seed, span, versions, commit, command, timings, outputs."""
    finished = dt.datetime.now(dt.timezone.utc)
    return {
        "seed": cfg.seed,
        "replications": cfg.replications,
        "start_date": cfg.start_date,
        "end_date": horizon_end(cfg).isoformat(),
        "horizon_months": cfg.horizon_months,
        "end_date_set": cfg.end_date is not None,
        "warmup_months": cfg.warmup_months,
        "events": events,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "run_seconds": round((finished - started).total_seconds(), 3),
        "command": ["caseflow", *argv],
        "git": git_commit(Path(__file__).resolve().parent),
        "versions": package_versions(),
        "platform": platform.platform(),
        "outputs": sorted([p.name for p in partial.iterdir()] + ["manifest.json"]),
    }


def write_comparison(cfgs: dict[str, RunConfig], events: dict[str, pa.Table], table: pd.DataFrame,
                     markdown: str, started: dt.datetime, argv: list[str]) -> Path:
    """``<results_dir>/compare/<timestamp>/``: comparison.csv and .md, and each scenario's log and config."""
    first = next(iter(cfgs.values()))
    final, partial = claim_run_dir(first, started, folder="compare")
    try:
        table.round(4).to_csv(partial / "comparison.csv", index=False)
        (partial / "comparison.md").write_text(markdown)
        for label, cfg in cfgs.items():
            sub = partial / "scenarios" / label
            sub.mkdir(parents=True)
            if cfg.write_events:
                write_parquet(events[label], sub / "events.parquet")
            (sub / "config.yaml").write_text(yaml.safe_dump(to_plain(cfg), sort_keys=False))
        m = manifest(first, started, argv, sum(t.num_rows for t in events.values()), partial)
        m["scenarios"] = list(cfgs)
        m["common_random_numbers"] = "replication k of every scenario uses streams keyed (seed, k, process)"
        (partial / "manifest.json").write_text(json.dumps(m, indent=2) + "\n")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def print_summary(summary: pd.DataFrame, cfg: RunConfig, where: Path) -> None:
    """A short table of the headline figures on the terminal."""
    from rich.console import Console
    from rich.table import Table

    title = (f"caseflow: {cfg.scenario.name}, {cfg.start_date} to {horizon_end(cfg).isoformat()}, "
             f"{cfg.replications} replication(s), seed {cfg.seed}")
    table = Table(title=title, title_justify="left")
    table.add_column("Figure over the forecast horizon")
    ranged = cfg.replications > 1
    table.add_column("mean", justify="right")
    if ranged:
        table.add_column("10th-90th pct", justify="right")
    for row in summary.itertuples():
        cells = [row.label, fmt_number(row.mean)]
        if ranged:
            cells.append(f"{fmt_number(row.p10)} - {fmt_number(row.p90)}")
        table.add_row(*cells)
    console = Console(file=sys.stdout, width=110)
    console.print(table)
    console.print(f"Results: {where}")


def fmt_number(x: float, sign: bool = False) -> str:
    """A figure for people: no decimals from 100, one from 1, three below (never "-0.0")."""
    if x != x:  # NaN
        return "-"
    x = 0.0 if x == 0 else x
    s = "+" if sign else ""
    if abs(x) >= 100:
        return f"{x:{s},.0f}"
    return f"{x:{s},.1f}" if abs(x) >= 1 or x == 0 else f"{x:{s},.3f}"


def fmt_signed(x: float) -> str:
    """A difference, with its sign."""
    return fmt_number(x, sign=True)
