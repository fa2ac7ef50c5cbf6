"""``caseflow explain <run folder> kpi=<key> period=<month or quarter> [replication=K]``: the
children behind a number.

Reads a finished forecast run folder (its ``config.yaml``, ``forecast.csv`` and the event log
``events.parquet/``), lists the children a wait or timeliness figure counts in a month or a
financial-year quarter, with their case's milestones and where their time went, recomputes
the figure from that list and sets it beside forecast.csv's.  Writes ``explain/`` inside the
run folder: ``<kpi>_<period>.csv`` (one row per child), ``<kpi>_<period>_timelines.csv`` (one
row per event of their cases) and ``<kpi>_<period>.xlsx`` (the children and the figure).  The
projection is ``sim.projections.explain``; this module reads the folder and shows the result.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import kpis, periods
from ..config import RunConfig, horizon_end
from ..inputs import InputError
from ..inputs.errors import did_you_mean, listing, shown
from ..parts import part_name
from ..projections.explain import (EXPLAINED, MILESTONES, STAGES, WHOLE, Explained, Explanation, explain,
                                   forecast_over_window, label_of, longest_first, mean_over_replications,
                                   months_of_period, supported)
from ..formats import fmt_number

USAGE = """usage: caseflow explain RUN_FOLDER kpi=KEY period=PERIOD [replication=K]

Lists the children behind one figure of a finished forecast run: for kpi=seen_over_six_weeks
the children seen more than six weeks after contact in the period; for a percentile such as
kpi=threshold_to_seen_p90 every child seen, longest wait first, marking those at or above it;
for a share such as kpi=seen_within_10wd_of_referral_pct every child seen, marking those
within 10 working days.  Each child's case milestones and the time in the MASH, waiting for
consent, for allocation, for the visit and in assessment are given in calendar and working
days.  PERIOD is a month (2022-10), a financial-year quarter ("2022-23 Q3") or a financial
year (2022-23) of the run's forecast months.  The figure recomputed from the list is shown beside forecast.csv's.
Writes RUN_FOLDER/explain/KEY_PERIOD.csv, KEY_PERIOD_timelines.csv and KEY_PERIOD.xlsx
(docs/explain.md).

example: caseflow explain results/baseline_2022/2026-01-05_10-00-00 kpi=seen_over_six_weeks period=2022-10"""

SETTINGS = ("kpi", "period", "replication")
SHOWN_ROWS = 30
TOLERANCE = 0.5e-4 + 1e-9  # forecast.csv is rounded to 4 decimal places
MARKS = {"count": "counted", "share": "in numerator", "percentile": "at or above", "max": "longest"}
MEASURE_HEADERS = {
    "contact_to_seen_days": "Contact to seen (days)",
    "contact_to_seen_wd": "Contact to seen (wd)",
    "referral_to_seen_wd": "Referral to seen (wd)",
    "contact_to_decision_wd": "Contact to decision (wd)",
    "referral_to_completion_wd": "Referral to completion (wd)",
}
STAGE_HEADERS = {"mash": "MASH", "consent": "of which consent", "allocation_wait": "Wait for allocation",
                 "visit_wait": "Wait for visit", "assessment": "Assessment"}


@dataclass(frozen=True)
class Request:
    """What was asked: the folder, the figure, the period and (optionally) one replication."""

    folder: Path
    key: str
    period: str            # canonical: "2022-10", "2022-23 Q3" or "2022-23"
    start: dt.date         # the period's first day
    end: dt.date           # the day after its last
    replication: int | None


@dataclass
class RunFolder:
    """A finished forecast run as explain reads it."""

    path: Path
    cfg: RunConfig
    forecast: pd.DataFrame
    parts: dict[int, Path]  # replication -> its event log part


def main(argv: Sequence[str]) -> None:
    """Check the request and the folder, list the children, write explain/ and show the list."""
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return
    request = read_request(list(argv))
    run = open_run(request.folder)
    months = forecast_months(run, request)
    check_run_has(run, request.key)
    reps = chosen_replications(run, request.replication)
    result = explain_run(run, request.key, months, reps)
    written = write_outputs(run, request, result)
    show(run, request, months, result, written)


# ---------------------------------------------------------------- input


def read_request(argv: list[str]) -> Request:
    """The run folder and the ``kpi=``, ``period=`` and ``replication=`` settings, checked."""
    options = [a for a in argv if a.startswith("-")]
    if options:
        raise InputError(f"The option {shown(options[0])} is not supported by caseflow explain: give the run folder, "
                         "then kpi=KEY period=PERIOD [replication=K]")
    settings: dict[str, str] = {}
    folders = []
    for a in argv:
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_.]*)=(.*)", a, re.DOTALL)
        if m and not Path(a).exists():
            name, value = m.group(1), m.group(2)
            if name not in SETTINGS:
                raise InputError(f"caseflow explain takes kpi=, period= and replication=, not '{shown(name)}='"
                                 f"{did_you_mean(name, SETTINGS)}")
            if name in settings:
                raise InputError(f"caseflow explain takes one {name}=: run it once for each")
            settings[name] = value.strip()
        else:
            folders.append(a)
    if len(folders) != 1:
        raise InputError("caseflow explain needs one run folder, e.g. caseflow explain results/baseline_2022/"
                         "<timestamp> kpi=seen_over_six_weeks period=2022-10" if not folders else
                         f"caseflow explain takes one run folder, not {len(folders)} ({shown(', '.join(folders))})")
    for name in ("kpi", "period"):
        if not settings.get(name):
            raise InputError(f"caseflow explain needs {name}=, e.g. kpi=seen_over_six_weeks period=2022-10")
    key = check_kpi(settings["kpi"])
    label, start, end = check_period(settings["period"])
    return Request(Path(folders[0]), key, label, start, end, check_replication(settings.get("replication")))


def check_kpi(key: str) -> str:
    """A key of ``sim.kpis.REGISTRY`` that explain can list the children of."""
    if key in EXPLAINED:
        return key
    keys = listing(supported(), limit=len(supported()))
    what = "a figure caseflow explain cannot list children for" if key in kpis.REGISTRY else "not a caseflow figure"
    raise InputError(f"kpi={shown(key)} is {what} (caseflow explain supports the wait and timeliness figures {keys})"
                     f"{did_you_mean(key, EXPLAINED)}")


def check_period(text: str) -> tuple[str, dt.date, dt.date]:
    """The period's canonical label, first day and the day after its last (``sim.periods``)."""
    try:
        start, end = periods.span(text)
    except ValueError:
        raise InputError(f"period={shown(text)} is not a period: write a month (2022-10), a financial-year "
                         "quarter (\"2022-23 Q3\") or a financial year (2022-23)") from None
    months = periods.months_between(start, end)
    label = periods.month(start) if months == 1 else periods.quarter(start) if months == 3 else \
        periods.financial_year(start)
    return label, start, end


def check_replication(text: str | None) -> int | None:
    """``replication=K``: a whole number 0 or more (checked against the run's later)."""
    if text is None:
        return None
    if not re.fullmatch(r"[0-9]+", text):
        raise InputError(f"replication={shown(text)} must be a replication number, 0, 1, 2, ...")
    return int(text)


def open_run(folder: Path) -> RunFolder:
    """The run folder's configuration, forecast.csv and event log parts (``InputError`` if it is
    not a finished forecast run with its event log)."""
    where = shown(str(folder), 120)
    if not folder.exists():
        raise InputError(f"The run folder {where} does not exist")
    if not folder.is_dir():
        raise InputError(f"The run folder {where} is not a folder: give a forecast run's folder, "
                         "results/<scenario>/<timestamp>")
    for name in ("config.yaml", "forecast.csv"):
        if not (folder / name).is_file():
            raise InputError(f"The folder {where} is not a finished forecast run: it has no {name} (give "
                             "results/<scenario>/<timestamp>)")
    cfg = run_config(folder / "config.yaml", where)
    events = folder / "events.parquet"
    parts = {k: events / part_name(k) for k in range(cfg.replications)}
    if not events.is_dir() or not any(p.is_file() for p in parts.values()):
        raise InputError(f"The run in {where} has no event log (events.parquet): it was run with write_events=false; "
                         "run it again with write_events=true to explain its figures")
    missing = [k for k, p in parts.items() if not p.is_file()]
    if missing:
        raise InputError(f"The event log of {where} is incomplete: events.parquet has no {part_name(missing[0])} of "
                         f"the {cfg.replications} replications")
    try:
        forecast = pd.read_csv(folder / "forecast.csv", dtype={"period": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise InputError(f"The forecast.csv of {where} is not a table caseflow wrote") from None
    if "period" not in forecast:
        raise InputError(f"The forecast.csv of {where} has no period column: it is not a table caseflow wrote")
    return RunFolder(folder, cfg, forecast, parts)


def check_run_has(run: RunFolder, key: str) -> None:
    """A "% seen within N working days" figure must be one the run computed (its
    ``seen_within_working_days``)."""
    within = kpis.seen_within_n(key)
    if within is not None and within[0] not in run.cfg.seen_within_working_days:
        have = ", ".join(str(n) for n in run.cfg.seen_within_working_days)
        raise InputError(f"kpi={key} is not one of this run's figures: it counted children seen within {have} working "
                         f"days (seen_within_working_days); ask for e.g. kpi={kpis.seen_within_key(int(have.split(',')[0]), within[1])}")


def run_config(path: Path, where: str) -> RunConfig:
    """The run's fully resolved configuration, read back from its config.yaml as the docs'
    "Rerunning a run" does: merged onto the schema (key names and types checked), validated."""
    from ..inputs.typed import from_plain
    from ..inputs.yaml_files import load

    data = load(path, f"{where}/config.yaml", "run configuration").data
    try:
        return from_plain(data)
    except InputError as e:
        raise InputError(f"The config.yaml of {where} is not a caseflow configuration: {e}") from None


def forecast_months(run: RunFolder, request: Request):
    """The forecast months that make up the requested period (``InputError`` if it is not a run
    of whole forecast months of this run)."""
    from ..forecast import periods as forecast_periods

    all_months = forecast_periods(run.cfg)
    months = months_of_period(all_months, request.start, request.end)
    if months is None and all_months[0][0].day != 1:
        raise InputError(f"This run's forecast months start on day {all_months[0][0].day} of each month (start_date "
                         f"{run.cfg.start_date}), so no calendar month or quarter is made of them: caseflow explain "
                         "needs a run that starts on the first of a month")
    if months is None:
        first, last = label_of(all_months[0]), label_of(all_months[-1])
        raise InputError(f"period={request.period} is not among this run's forecast months, which are {first} to "
                         f"{last} ({run.cfg.start_date} to {horizon_end(run.cfg).isoformat()}): give a month or a "
                         "quarter inside them")
    return months


def chosen_replications(run: RunFolder, replication: int | None) -> list[int]:
    """Every replication, or the one asked for if the run has it."""
    if replication is None:
        return sorted(run.parts)
    if replication not in run.parts:
        raise InputError(f"replication={replication} is not in this run, which has replications 0 to "
                         f"{run.cfg.replications - 1}")
    return [replication]


# ---------------------------------------------------------------- the projection, one replication at a time


def explain_run(run: RunFolder, key: str, months, reps: list[int]) -> Explained:
    """The explanation over ``reps``, each replication projected from its own part as the
    forecast projected it (so memory holds one replication's log at a time)."""
    import pyarrow.parquet as pq

    from ..projections import events_frame

    found = []
    for r in reps:
        df = events_frame(pq.read_table(run.parts[r]))
        found.append(explain(df, run.cfg, key, months))
    children = longest_first(pd.concat([e.children for e in found], ignore_index=True), EXPLAINED[key])
    # Each child's events together, in the list's order (and the log's within a case).
    order = children[["replication", "case_id"]].assign(_order=np.arange(len(children)))
    timelines = pd.concat([e.timelines for e in found], ignore_index=True)
    timelines = (timelines.assign(_seq=np.arange(len(timelines))).merge(order, on=["replication", "case_id"])
                 .sort_values(["_order", "_seq"]).drop(columns=["_order", "_seq"]).reset_index(drop=True))
    return Explained(key, children, timelines, pd.concat([e.figures for e in found], ignore_index=True))


# ---------------------------------------------------------------- output


def file_stem(request: Request) -> str:
    """``<kpi>_<period>``, the period as written with its space as '_' ("2022-23_Q3"), and
    ``_replication-K`` for one replication's list (so it never replaces the whole run's)."""
    one = f"_replication-{request.replication}" if request.replication is not None else ""
    return f"{request.key}_{request.period.replace(' ', '_')}{one}"


def write_outputs(run: RunFolder, request: Request, result: Explained) -> list[Path]:
    """Write the two CSV files and the workbook into ``explain/``; each file appears whole
    (written under a temporary name, then renamed)."""
    out = run.path / "explain"
    out.mkdir(exist_ok=True)
    stem = file_stem(request)
    children, timelines = out / f"{stem}.csv", out / f"{stem}_timelines.csv"
    _atomic_csv(result.children, children)
    _atomic_csv(result.timelines, timelines)
    return [children, timelines, write_book(out / f"{stem}.xlsx", run, request, result)]


def _atomic_csv(table: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        table.to_csv(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _units(table: pd.DataFrame) -> dict[str, str]:
    units = {}
    for c in table.columns:
        if c in MILESTONES or c == "date":
            units[c] = "date"
        elif c.endswith("_days"):
            units[c] = "days"
        elif c.endswith("_wd"):
            units[c] = "working days"
        elif c == "reallocations_before_seen":
            units[c] = "count"
        elif table[c].dtype == object:
            units[c] = "text"
    return units


def figure_table(result: Explained, run: RunFolder) -> pd.DataFrame:
    """Per period: the figure recomputed from the list and the forecast's, as means over the
    replications listed, and forecast.csv's mean for the month where it has the figure."""
    ours = mean_over_replications(result.figures, "from_list")
    theirs = mean_over_replications(result.figures, "forecast")
    csv = [csv_value(run, result.key, p) for p in ours.index]
    return pd.DataFrame({"period": ours.index, "from_list": ours.to_numpy(), "forecast": theirs.to_numpy(),
                         "forecast_csv": csv})


def write_book(path: Path, run: RunFolder, request: Request, result: Explained) -> Path:
    """The workbook (``sim.reports.workbook``): the children, and the figure recomputed from them
    beside the forecast's, overall and per replication.  The timelines stay in their CSV file:
    a quarter of a 20-replication run has hundreds of thousands of events, too many for a sheet
    people read (and slow to write cell by cell)."""
    from ..reports.workbook import Sheet, unit_of, write_workbook

    figure_unit = unit_of(kpis.REGISTRY[request.key].unit)
    label = kpis.label(request.key)
    units = {"period": "text", "from_list": figure_unit, "forecast": figure_unit, "forecast_csv": figure_unit}
    sheets = [
        Sheet("Children", result.children, f"{label}: the children behind it, {request.period}",
              _units(result.children)),
        Sheet("Figure", figure_table(result, run), f"{label}, {request.period}: recomputed from the list, the "
              "forecast's own, and forecast.csv's (means over replications)", units),
        Sheet("By replication", result.figures, f"{label}, {request.period}, per replication", units),
    ]
    return write_workbook(path, sheets)


def csv_value(run: RunFolder, key: str, period: str) -> float:
    """forecast.csv's mean of ``key`` for the month ``period`` (NaN if it has none)."""
    column = f"{key}_mean"
    row = run.forecast[run.forecast["period"] == period]
    if column not in run.forecast or row.empty:
        return np.nan
    return float(row[column].iloc[0])


def agree(a: float, b: float, tolerance: float = 1e-9) -> bool:
    """Equal within ``tolerance`` (relative to the larger, for large figures), or both undefined."""
    if a != a or b != b:
        return a != a and b != b
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


def shown_figure(x: float, key: str) -> str:
    """A figure as the terminal shows it, with % for a percentage."""
    return fmt_number(x) + ("%" if kpis.REGISTRY[key].percent and x == x else "")


def figure_sentences(run: RunFolder, request: Request, months, result: Explained) -> list[str]:
    """The figure recomputed from the list beside the forecast's, in one sentence (with each
    month's, for a quarter), and a warning if they differ, which would be a bug."""
    key, label = request.key, kpis.label(request.key)
    figures = result.figures
    ours = mean_over_replications(figures, "from_list")
    theirs = mean_over_replications(figures, "forecast")
    n = figures["replication"].nunique()
    one = request.replication is not None
    whose = f"replication {request.replication}" if one else f"mean of {n} replication{'s' if n > 1 else ''}"

    def reference(period: str) -> tuple[float, str, float]:
        """The forecast's value for ``period`` (forecast.csv's for a month it has, over every
        replication), where it comes from, and the tolerance it is compared within."""
        if period != WHOLE and kpis.is_monthly(key) and not one:
            return csv_value(run, key, period), f"in forecast.csv ({key}_mean)", TOLERANCE
        if period != WHOLE:
            how = "the forecast's own figure for that replication" if one else "the forecast's own figure"
            if key not in kpis.MONTHLY:
                how += " (window_kpis, as summary.csv computes it)"
            return theirs[period], how, 1e-9
        how = ("window_kpis over its months, as caseflow compare's quarters" if kpis.is_headline(key) else
               "the sum of its months")
        return theirs[period], f"the forecast's own figure ({how})", 1e-9

    # Every figure the forecast has, per replication and period, must be the list's.
    compared = figures[(figures["period"] != WHOLE) | forecast_over_window(key)]
    ok = all(agree(a, b) for a, b in zip(compared["from_list"], compared["forecast"]))
    whole = WHOLE if len(months) > 1 else label_of(months[0])
    text = f"{label}, {request.period} ({whose}): {shown_figure(ours[whole], key)} recomputed from this list"
    if whole != WHOLE or forecast_over_window(key):
        value, source, tolerance = reference(whole)
        ok &= agree(ours[whole], value, tolerance)
        text += f"; {shown_figure(value, key)} {source}"
    else:
        text += " (the forecast gives this figure by month only)"
    if len(months) > 1:
        by_month = []
        for m in months:
            value, _, tolerance = reference(label_of(m))
            ok &= agree(ours[label_of(m)], value, tolerance)
            by_month.append(f"{label_of(m)} {shown_figure(ours[label_of(m)], key)} ({shown_figure(value, key)})")
        source = "forecast.csv's" if kpis.is_monthly(key) and not one else "the forecast's"
        text += f"; by month, from the list (in brackets, {source}): {', '.join(by_month)}"
    out = [f"{text}: {'they agree' if ok else 'THEY DIFFER'}."]
    if not ok:
        bad = compared[[not agree(a, b) for a, b in zip(compared["from_list"], compared["forecast"])]]
        first = (f" (replication {int(bad.iloc[0]['replication'])}, {bad.iloc[0]['period']}: "
                 f"{float(bad.iloc[0]['from_list'])!r} against {float(bad.iloc[0]['forecast'])!r})" if len(bad) else "")
        out.append(f"Warning: the list does not reproduce the forecast's figure{first}; this is a bug in caseflow: "
                   "please report it.")
    return out


def _cell(days: float, wd: float) -> str:
    if days != days:
        return "-"
    return f"{days:.1f} ({wd:.0f})"


def show(run: RunFolder, request: Request, months, result: Explained, written: list[Path]) -> None:
    """The first rows of the list as a table on the terminal, how many there are, the figure
    recomputed from the list beside forecast.csv's, and where the files are."""
    from rich.console import Console
    from rich.table import Table

    spec = EXPLAINED[request.key]
    children = result.children
    several_reps = request.replication is None and len(run.parts) > 1
    which = (f"replication {request.replication}" if request.replication is not None else
             f"{len(run.parts)} replication(s)")
    title = f"caseflow explain: {kpis.label(request.key)}, {request.period} ({run.cfg.scenario.name}, {which})"
    table = Table(title=title, title_justify="left")
    if several_reps:
        table.add_column("rep", justify="right")
    table.add_column("child", justify="right")
    table.add_column("case", justify="right")
    if len(months) > 1:
        table.add_column("month")
    table.add_column("contact")
    end = spec.population.milestone
    table.add_column(end.replace("_", " "))
    table.add_column(MEASURE_HEADERS[spec.measure], justify="right")
    for stage in STAGES:
        table.add_column(f"{STAGE_HEADERS[stage]}, days (wd)", justify="right")
    table.add_column(MARKS[spec.kind], justify="center")
    for row in children.head(SHOWN_ROWS).itertuples(index=False):
        r = row._asdict()
        cells = [str(r["replication"])] if several_reps else []
        cells += [str(r["child_id"]), str(r["case_id"])]
        if len(months) > 1:
            cells.append(r["period"])
        cells += [_date(r["contact_received"]), _date(r[end]), fmt_number(r[spec.measure])]
        cells += [_cell(r[f"{s}_days"], r[f"{s}_wd"]) for s in STAGES]
        cells.append("✓" if r["in_numerator"] else "")
        table.add_row(*cells)
    console = Console(file=sys.stdout, width=150)
    console.print(table)
    shown_rows = f" (the first {SHOWN_ROWS} shown)" if len(children) > SHOWN_ROWS else ""
    marked = int(children["in_numerator"].sum())
    console.print(f"{len(children):,} {spec.population.what} in all{shown_rows}; {listed(spec, marked)}. Days are "
                  "calendar days; working days (wd) are whole working days between the dates.")
    for sentence in figure_sentences(run, request, months, result):
        console.print(sentence)
    console.print(f"Written: {', '.join(str(p) for p in written)}")


def listed(spec: Explanation, marked: int) -> str:
    """What the marks in the last column say, for people."""
    if spec.kind == "count":
        return "the list is the figure's numerator: each counts"
    if spec.kind == "share":
        return f"{marked:,} in the figure's numerator"
    if spec.kind == "percentile":
        return f"{marked:,} at or above the figure in their replication"
    return f"{marked:,} the longest in their replication"


def _date(value) -> str:
    return "-" if value is None or value != value else str(value)
