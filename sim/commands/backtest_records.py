"""``caseflow backtest extract=FOLDER cutoff=YYYY-MM-DD [service=BASE] [replications=20] [key=value ...]``:
calibrated on the council's records before a day, started from their state on it, scored on the
months after.

The service is fitted to the history before ``cutoff`` (``sim.extracts.calibrate``, as
``caseflow calibrate extract=... before=...`` does, on the base service ``service=``), the run
starts from the records' state at the start of ``cutoff`` (``start_from``) and runs to the
extract's date (the day after its last records).  Each month's figure the records carry
(``sim.backtest_records.SCORED``) is set beside the replications' 10th, 50th and 90th
percentiles: both sides are projections of an event log by the same functions (the records
written as a log, ``sim.extracts.as_log``).  Writes ``<results_dir>/backtest_records/<time>/``:
``backtest.csv``, ``coverage.csv``, ``backtest.md``, a chart per figure, the fitted
``service.yaml``, ``config.yaml``, ``manifest.json`` and the replications' logs (docs/backtest.md).
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import pandas as pd
import yaml

from .. import signals
from ..inputs import InputError
from ..inputs.errors import shown

USAGE = """usage: caseflow backtest extract=FOLDER cutoff=YYYY-MM-DD [service=BASE] [replications=20] [key=value ...]

Fits the service to the council's records (the SSD extract in FOLDER) before cutoff, starts from the
records' state on cutoff, forecasts to the extract's end and scores each month's contacts, referrals,
assessments completed, open cases, children waiting for allocation, children on CIN and CP plans and
looked after, re-referrals and changes of worker against what the records say happened: errors, and how
often the 80% interval (10th-90th percentile of the replications) held the actual figure.  service= is the
base the fit starts from (default the default service).  Other key=value settings are caseflow's own
(replications=, seed=, workers=, results_dir=).  docs/backtest.md describes the outputs.

example: caseflow backtest extract=examples/ssd_extract cutoff=2026-03-01 replications=20"""

OWN_KEYS = ("extract", "cutoff", "service")
DEFAULT_REPLICATIONS = 20
MIN_HISTORY_DAYS = 365
MIN_SCORED_DAYS = 28
IMPOSED = ("start_from", "start_date", "end_date", "horizon_months", "warmup_months")


def main(argv: Sequence[str]) -> None:
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return
    own, overrides = read_arguments(list(argv))
    from ..report import started_commit

    started_commit()
    started = dt.datetime.now(dt.timezone.utc)
    clock = time.perf_counter()
    from ..extracts.reader import read_extract

    extract = read_extract(own["extract"])
    cutoff = _cutoff(own["cutoff"], extract)
    cfg, fitted = prepare(extract, cutoff, own, overrides)
    from ..inputs.folders import check_results_dir

    check_results_dir(cfg.results_dir)
    run(cfg, fitted, extract, cutoff, ["caseflow", "backtest", *argv], started, time.perf_counter() - clock)


def read_arguments(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    from ..inputs.overrides import parse_setting

    own: dict[str, str] = {}
    overrides = []
    for a in argv:
        if a.startswith("-"):
            raise InputError(f"The option {shown(a)} is not supported by caseflow backtest: give extract=, cutoff=, then "
                             "key=value settings")
        key, eq, value = a.partition("=")
        if key in OWN_KEYS:
            if key in own:
                raise InputError(f"caseflow backtest takes one {key}=: give it once")
            own[key] = value.strip()
            continue
        if key in ("la", "from_year", "to_year", "trend", "drift", "tables"):
            raise InputError(f"{key}= belongs to the backtest against the DfE's tables; with extract= give cutoff= "
                             "instead")
        setting = parse_setting(a)
        if setting.is_sweep or setting.kind in ("launcher", "n_jobs"):
            raise InputError(f"The setting '{shown(a)}' asks for a sweep, but caseflow backtest takes one value per "
                             "setting: run caseflow backtest once for each value")
        if setting.key in IMPOSED:
            raise InputError(f"Config key '{setting.key}' is set by extract= and cutoff= in caseflow backtest (the run "
                             f"starts from the records on cutoff and ends at the extract's date): remove {setting.key}=...")
        if setting.key.startswith("service.") or setting.key == "scenario":
            raise InputError(f"The setting '{shown(a)}' changes the service, which caseflow backtest extract= fits to the "
                             "records before cutoff: remove it (service= names the base the fit starts from)")
        overrides.append(a)
    if not own.get("extract"):
        raise InputError("caseflow backtest extract= needs the folder holding the council's ssd_*.csv files, e.g. "
                         "extract=examples/ssd_extract")
    if not own.get("cutoff"):
        raise InputError("caseflow backtest extract= needs cutoff=YYYY-MM-DD: the day the forecast starts from (the "
                         "history before it is fitted, the months after it scored)")
    if "service" in own and not own["service"]:
        raise InputError("service= needs the base service's name, e.g. service=nottingham")
    return own, overrides


def _cutoff(text: str, extract) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"cutoff is '{shown(text)}' but must be a date written YYYY-MM-DD, e.g. cutoff=2026-03-01") \
            from None
    first, taken = extract.first_day.date(), extract.taken.date()
    if (day - first).days < MIN_HISTORY_DAYS or (taken - day).days < MIN_SCORED_DAYS:
        raise InputError(f"cutoff is {day} but must leave at least {MIN_HISTORY_DAYS} days of the records before it to "
                         f"fit and {MIN_SCORED_DAYS} after it to score: the records run from {first} to "
                         f"{extract.last_day.date()}")
    return day


def prepare(extract, cutoff: dt.date, own: dict[str, str], overrides: list[str]):
    """The run: the service fitted to the history before ``cutoff``, started from the records on it."""
    import copy

    from ..config import validate
    from ..extracts import calibrate as xcal
    from ..inputs.compose import compose_job
    from ..inputs.overrides import parse_setting
    from ..inputs.typed import with_service

    keys = {parse_setting(o).key for o in overrides}
    base = compose_job([f"service={own['service']}"] if "service" in own else [])
    source = base.sources["service"]
    fitted = xcal.calibrate(extract, copy.deepcopy(source.doc.data), source.name, "backtest_records", cutoff)
    service = with_service(fitted.service).service
    extra = [] if "replications" in keys else [f"replications={DEFAULT_REPLICATIONS}"]
    job = compose_job([*overrides, *extra, f"start_from={extract.folder}", f"start_date={cutoff.isoformat()}",
                       f"end_date={extract.taken.date().isoformat()}"])
    cfg = replace(job.cfg, service=service, scenario=replace(job.cfg.scenario, name="backtest_records",
                                                             description=f"backtest from the records on {cutoff}"))
    validate(cfg)
    return cfg, fitted


def run(cfg, fitted, extract, cutoff: dt.date, command: list[str], started: dt.datetime, prepared: float) -> Path:
    """Simulate, score, write and publish."""
    import numpy as np
    import pyarrow.parquet as pq

    from ..backtest_records import SCORED, coverage, plans_open, score_months
    from ..extracts import calibrate as xcal
    from ..extracts.as_log import records_log
    from ..forecast import end_of_last_day, monthly, periods
    from ..parts import WorkFolder, results_key
    from ..projections import events_frame
    from ..runner import gather, run_to_folder
    from .run_folder import progress_bars, working_in

    months = periods(cfg)
    labels = [m[0].isoformat()[:7] if m[0].day == 1 else m[0].isoformat() for m in months]
    ends = end_of_last_day(np.array([m[2] for m in months]))
    folder = WorkFolder(Path(cfg.results_dir) / "backtest_records", results_key([cfg]), prefix="backtest")
    clock = time.perf_counter()
    with working_in(folder, cfg.replications):
        with progress_bars() as bars:
            task = bars.add_task("backtest from the records: replications", total=cfg.replications)
            results = run_to_folder(cfg, folder, progress=lambda k: bars.advance(task))
        simulated = gather(results, "monthly")
        stocks = pd.concat([plans_open(events_frame(pq.read_table(p)), ends)
                            for _, p in sorted(folder.written().items())], ignore_index=True)
        simulated = simulated.merge(stocks, on=["replication", "month"], how="left")
        actual_log = records_log(extract, cutoff)
        actual = monthly(actual_log, replace(cfg, replications=1))
        actual = actual.merge(plans_open(actual_log, ends), on=["replication", "month"], how="left")
        scored = score_months(simulated, actual, labels)
        cov = coverage(scored)
        simulated_seconds = time.perf_counter() - clock
        with signals.deferred():
            from ..config import to_plain
            from ..report import manifest

            scored.round(4).to_csv(folder.path / "backtest.csv", index=False)
            cov.round(3).to_csv(folder.path / "coverage.csv", index=False)
            (folder.path / "service.yaml").write_text(xcal.service_yaml(fitted))
            (folder.path / "config.yaml").write_text(yaml.safe_dump(to_plain(cfg), sort_keys=False))
            (folder.path / "backtest.md").write_text(markdown(cov, scored, cfg, extract, cutoff))
            charts(scored, folder.path / "charts")
            record = {"kind": "backtest_records", "cutoff": cutoff.isoformat(),
                      **manifest(cfg, started, {"command": command}, results, folder),
                      "timing": {"prepared_seconds": round(prepared, 2), "simulated_seconds": round(simulated_seconds, 2)},
                      "scored": list(SCORED)}
            (folder.path / "manifest.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
            where = folder.publish(started.astimezone().strftime("%Y-%m-%d_%H-%M-%S"))
    say(cov, cutoff, where)
    return where


def markdown(cov: pd.DataFrame, scored: pd.DataFrame, cfg, extract, cutoff: dt.date) -> str:
    """``backtest.md``: what was run, coverage per figure, the worst months."""
    from ..backtest_records import LABELS
    from ..kpis import REGISTRY

    def label(key: str) -> str:
        return LABELS.get(key) or (REGISTRY[key].label if key in REGISTRY else key)

    lines = [f"# Backtest from the records on {cutoff}", "",
             f"Fitted to the records before {cutoff} ({extract.first_day.date()} on), started from their state on "
             f"{cutoff}, {cfg.replications} replications to {cfg.end_date}; scored against what the records say "
             "happened (the records written as an event log and projected as a forecast is).", "",
             "| figure | months | inside 80% interval | coverage | nominal | mean abs % error |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in cov.itertuples():
        name = "all figures" if r.figure == "all" else label(r.figure)
        lines.append(f"| {name} | {r.months} | {r.inside} | {r.coverage_pct:.0f}% | {r.nominal_pct:.0f}% | "
                     f"{r.mean_abs_pct_error:.1f}% |")
    worst = scored.dropna(subset=["abs_pct_error"]).sort_values("abs_pct_error", ascending=False).head(10)
    lines += ["", "Nominal: a perfect model's coverage with this many replications, 0.8 (n - 1) / (n + 1).", "",
              "## Largest misses", "", "| figure | month | actual | median | 10th-90th |", "|---|---|---:|---:|---|"]
    for r in worst.itertuples():
        lines.append(f"| {label(r.figure)} | {r.month} | {r.actual:,.1f} | {r.median:,.1f} | {r.p10:,.1f}-{r.p90:,.1f} |")
    return "\n".join(lines) + "\n"


def charts(scored: pd.DataFrame, where: Path) -> None:
    """One chart per figure: the actual months against the replications' median and 80% band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    where.mkdir(exist_ok=True)
    for key, g in scored.groupby("figure", sort=False):
        fig, ax = plt.subplots(figsize=(7, 3.2))
        x = range(len(g))
        ax.fill_between(x, g["p10"], g["p90"], alpha=0.25, label="simulated 10th-90th percentile")
        ax.plot(x, g["median"], label="simulated median")
        ax.plot(x, g["actual"], "o-", color="black", label="the records")
        ax.set_xticks(list(x), list(g["month"]), rotation=45, ha="right", fontsize=7)
        ax.set_title(key, fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(where / f"{key}.png", dpi=110)
        plt.close(fig)


def say(cov: pd.DataFrame, cutoff: dt.date, where: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Backtest from the records on {cutoff}: months inside the 80% interval")
    for col in ("figure", "months", "inside", "coverage", "nominal", "mean abs % error"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for r in cov.itertuples():
        table.add_row(r.figure, str(r.months), str(r.inside), f"{r.coverage_pct:.0f}%", f"{r.nominal_pct:.0f}%",
                      f"{r.mean_abs_pct_error:.1f}%")
    console = Console(width=110)
    console.print(table)
    console.print(f"Results: {where}", highlight=False)
