"""``caseflow backtest la=... from_year=Y0 to_year=Y1``: calibrated on one year, scored on the years after.

Each council's service is its preset ``service=la/<code>/<from_year>`` (calibrated from the
packaged DfE tables for ``from_year``, ``sim.inputs.presets``), run from 1 April ``from_year``
(after at least 12 months' warm-up, as ``caseflow validate`` runs) to 1 October ``to_year``;
each published figure of each year ``from_year + 1`` .. ``to_year`` is set beside the simulated
10th, 50th and 90th percentiles (children's figures for the year to 31 March Y, stocks at
31 March Y, workforce at 30 September Y).  One run per replication projects every scored year
(``sim.national.council_replication``).  ``trend=fitted`` carries the published trends in
referrals and case-holding FTE forward (``sim.backtest.trend_settings``, decision 0029);
``tables=<folder>`` scores against later tables than the packaged ones.  Writes
``<results_dir>/backtest/<timestamp>/`` (docs/backtest.md).  Resumable per council and stoppable
as ``caseflow validate la=all`` is (``sim.commands.validate_all``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd
import yaml

from .. import signals
from ..inputs import InputError
from ..inputs.errors import shown

USAGE = """usage: caseflow backtest la=CODE|NAME|all|A,B,... from_year=Y0 to_year=Y1 [trend=flat|fitted] [drift=on|off]
                         [tables=FOLDER] [replications=20] [key=value ...]

Runs each council's service as caseflow calibrate makes it from the DfE tables for from_year
(the preset service=la/<code>/<from_year>) from 1 April from_year, after at least 12 months'
warm-up, to 1 October to_year, and scores every figure the DfE published for each year
from_year+1 .. to_year against the simulated 10th, 50th and 90th percentiles: children's
figures for the year to 31 March Y (stocks at 31 March Y), workforce at 30 September Y.

trend=flat (the default) holds demand and the workforce at from_year's values; trend=fitted
carries forward a log-linear trend fitted to the last five published years to from_year:
referrals (service.demand.annual_trend) and case-holding FTE (permanent posts added each
1 April; a downward workforce trend is held flat).  drift=on (the default) draws each
replication's year-to-year change in demand and in the shares of assessments that start CIN, CP
and looked-after plans (service.drift) from the spread of councils' published changes in the
five years to from_year; drift=off runs every replication at from_year's rates.  tables=FOLDER scores against CSV files
named and laid out as the packaged ones (sim/reference/dfe/), read in preference to them, so
that later years can be scored; the calibration always reads the packaged tables.

Writes <results_dir>/backtest/<timestamp>/ with backtest.csv, backtest_replications.csv,
coverage.csv, backtest.md, charts/, config.yaml and manifest.json (docs/backtest.md).  Ctrl-C
keeps the councils finished: run the same command again to resume.

example: caseflow backtest la=all from_year=2022 to_year=2024 replications=8 workers=2
         caseflow backtest la=Rutland,Derby from_year=2023 to_year=2024 trend=fitted"""

DEFAULT_REPLICATIONS = 20
TRENDS = ("flat", "fitted")
DRIFTS = ("on", "off")
OWN_KEYS = ("la", "from_year", "to_year", "trend", "drift", "tables")
RECORDS_USAGE = ("Against a council's own records: caseflow backtest extract=FOLDER cutoff=YYYY-MM-DD [service=BASE] "
                 "[key=value ...] (caseflow backtest extract= --help says more).")
IMPOSED = ("start_date", "end_date")
ROUND = 4


@dataclass(frozen=True)
class Request:
    la: str
    from_year: int
    to_year: int
    trend: str
    drift: bool
    tables: str | None
    overrides: list[str]

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.from_year + 1, self.to_year + 1))


def main(argv: Sequence[str]) -> None:
    if any(a.split("=", 1)[0] in ("extract", "cutoff") for a in argv):  # against the council's own records
        from . import backtest_records

        return backtest_records.main(argv)
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE + "\n\n" + RECORDS_USAGE)
        return
    from ..backtest import Published, drift_from_tables, read_tables
    from ..inputs.folders import check_results_dir
    from .validate_all import chosen_councils

    req = read_arguments(list(argv))
    from ..report import started_commit

    started_commit()
    published = Published(read_tables(req.tables))
    held = sorted(published.years())
    for y in req.years:
        if y not in held:
            raise InputError(f"to_year={req.to_year} asks to score {y}, which no table holds (they hold {held[0]} to "
                             f"{held[-1]}): give a smaller to_year, or tables=<folder> with that year's DfE tables")
    codes = chosen_councils(req.la, req.from_year)
    started = dt.datetime.now(dt.timezone.utc)
    clock = time.perf_counter()
    drift = drift_from_tables(req.from_year) if req.drift else None
    jobs, skipped, extras = prepare(codes, req, drift)
    if not jobs:
        raise InputError(f"No council could be calibrated for {req.from_year}: "
                         + "; ".join(f"{c}: {why}" for c, why in skipped.items()))
    check_results_dir(jobs[0].cfg.results_dir)
    prepared = time.perf_counter() - clock
    run(jobs, skipped, extras, req, published, ["caseflow", "backtest", *argv], started, prepared, drift)


# --------------------------------------------------------------------------- input


def _year(name: str, text: str) -> int:
    text = text.strip()
    if not (text.isdigit() and len(text) == 4):
        raise InputError(f"{name} is '{shown(text)}' but must be a year written as four digits, e.g. {name}=2022 (the "
                         "DfE year to 31 March 2022)")
    return int(text)


def read_arguments(argv: list[str]) -> Request:
    from ..inputs.overrides import parse_setting
    from ..reference.published import years

    unknown = [a for a in argv if a.startswith("-")]
    if unknown:
        raise InputError(f"The option {shown(unknown[0])} is not supported by caseflow backtest: give la=, from_year=, "
                         "to_year=, then key=value settings")
    own: dict[str, str] = {}
    overrides = []
    for a in argv:
        key = a.split("=", 1)[0]
        if key in OWN_KEYS:
            if key in own:
                raise InputError(f"caseflow backtest takes one {key}=: give it once")
            if "=" not in a:
                raise InputError(f"{key} needs a value, e.g. {key}=...")
            own[key] = a.split("=", 1)[1]
        else:
            overrides.append(a)
    for key, example in (("la", "la=all or la=Rutland"), ("from_year", "from_year=2022"), ("to_year", "to_year=2024")):
        if key not in own:
            raise InputError(f"caseflow backtest needs {key}=, e.g. caseflow backtest la=all from_year=2022 to_year=2024 "
                             f"({example})")
    start, end = _year("from_year", own["from_year"]), _year("to_year", own["to_year"])
    held = years("referrals")
    if start not in held:
        raise InputError(f"from_year={start} is not in the DfE tables caseflow holds and calibrates from, which cover "
                         f"the years to 31 March {held[0]} to {held[-1]}")
    if start >= end:
        raise InputError(f"from_year={start} must be before to_year={end}: the backtest scores the years after "
                         "from_year, from_year+1 to to_year")
    trend = own.get("trend", "flat").strip()
    if trend not in TRENDS:
        raise InputError(f"trend is '{shown(trend)}' but must be flat (demand and workforce held at from_year's) or "
                         "fitted (the published trends carried forward)")
    drift = own.get("drift", "on").strip()
    if drift not in DRIFTS:
        raise InputError(f"drift is '{shown(drift)}' but must be on (each replication draws a year-to-year change from "
                         "councils' published changes) or off (every replication at from_year's rates)")
    tables = own.get("tables")
    if tables is not None and not tables.strip():
        raise InputError("tables is empty but must be a folder that exists (a relative or absolute path) holding CSV "
                         "files named as the packaged DfE tables")
    if not own["la"].strip():
        raise InputError("la is empty but must be all, or councils' codes or names separated by commas, e.g. "
                         "la=892,872")
    for o in overrides:
        setting = parse_setting(o)
        if setting.is_sweep or setting.kind in ("launcher", "n_jobs"):
            raise InputError(f"The setting '{shown(o)}' asks for a sweep, but caseflow backtest takes one value per "
                             "setting: run caseflow backtest once for each value")
        if setting.key in IMPOSED:
            raise InputError(f"Config key '{setting.key}' is set by from_year= and to_year= in caseflow backtest "
                             f"(1 April from_year to 1 October to_year): remove {setting.key}=...")
        if setting.key == "service":
            raise InputError("la= chooses each council's calibrated service: remove service=... (or la=)")
    return Request(own["la"], start, end, trend, drift == "on", tables, overrides)


def compose_backtest(req: Request, overrides: list[str]):
    """The run a backtest makes for one council: its settings, 1 April from_year to 1 October
    to_year, at least 12 months' warm-up and 20 replications unless given."""
    from ..inputs.compose import compose_job
    from ..inputs.overrides import parse_setting
    from .validate import MIN_WARMUP_MONTHS

    keys = {parse_setting(o).key for o in overrides}
    dates = [f"start_date={req.from_year}-04-01", f"end_date={req.to_year}-10-01"]
    extra = [] if "replications" in keys else [f"replications={DEFAULT_REPLICATIONS}"]
    job = compose_job([*overrides, *dates, *extra])
    if job.cfg.warmup_months < MIN_WARMUP_MONTHS:
        kept = [o for o in overrides if parse_setting(o).key != "warmup_months"]
        job = compose_job([*kept, *dates, *extra, f"warmup_months={MIN_WARMUP_MONTHS}"])
    return job


def prepare(codes: list[int], req: Request, drift=None):
    """Each council's composed run (its preset calibrated on first use; with ``drift`` (a
    ``sim.backtest.Drift``), its year-to-year drift; with trend=fitted, its trends applied), the
    councils that could not be, and per council: the trends and the figures the calibration
    substituted.  The user's own settings win over the drift's."""
    from .. import calibrate as cal
    from ..backtest import trend_settings
    from ..inputs.presets import PREFIX
    from .validate_all import prepare_councils

    def compose_one(code: int):
        own = [*(drift.settings if drift else ()), *req.overrides, f"service={PREFIX}{code}/{req.from_year}"]
        job = compose_backtest(req, own)
        trends = None
        if req.trend == "fitted":
            trends = trend_settings(code, job.cfg, req.from_year, req.to_year)
            if trends.settings:
                job = compose_backtest(req, [*own, *trends.settings])
        substituted = cal.calibrate(code, req.from_year).substituted
        return job.cfg, {"trends": trends, "substituted": list(substituted)}

    return prepare_councils(codes, f"calibrate {req.from_year}: councils", compose_one)


# --------------------------------------------------------------------------- the run


def run(jobs, skipped, extras, req: Request, published, command: list[str], started: dt.datetime,
        prepared_seconds: float, drift=None) -> Path:
    from ..backtest import COLUMNS, backtest_rows, coverage_table, reasons_for_misses, worst_with_reasons
    from ..config import to_plain
    from ..parts import WorkFolder, results_key
    from .validate_all import councils_table, holding, simulate_councils

    first = jobs[0].cfg
    folder = WorkFolder(Path(first.results_dir) / "backtest", results_key([j.cfg for j in jobs]), prefix="backtest")
    store = folder.path / "councils"
    with holding(folder, store):
        per_rep, timing, workers = simulate_councils(folder, store, jobs, req.years,
                                                     f"backtest {req.from_year}->{req.to_year}", prepared_seconds)
        rows = []
        for j in jobs:
            rows += backtest_rows(per_rep, published, j.code, j.name, j.region, req.from_year, req.years)
        table = pd.DataFrame(rows, columns=COLUMNS)
        cover = coverage_table(table)
        subs = {c: e["substituted"] for c, e in extras.items()}
        worst = worst_with_reasons(table, published, req.from_year, subs)
        misses = reasons_for_misses(table, published, req.from_year, subs)
        with signals.deferred():
            table.round(ROUND).to_csv(folder.path / "backtest.csv", index=False)
            per_rep.round(ROUND).to_csv(folder.path / "backtest_replications.csv", index=False)
            cover.round(ROUND).to_csv(folder.path / "coverage.csv", index=False)
            worst.round(ROUND).to_csv(folder.path / "worst_councils.csv", index=False)
            misses.to_csv(folder.path / "misses.csv", index=False)
            councils_table(jobs, skipped).to_csv(folder.path / "councils.csv", index=False)
            trends = trends_table(jobs, extras, req)
            if trends is not None:
                trends.round(6).to_csv(folder.path / "trends.csv", index=False)
            (folder.path / "config.yaml").write_text(yaml.safe_dump(to_plain(first), sort_keys=False))
            from ..reports.coverage_charts import coverage_charts

            coverage_charts(table, folder.path / "charts")
            (folder.path / "backtest.md").write_text(
                markdown(table, cover, worst, jobs, skipped, extras, req, first, timing, workers, trends, misses, drift))
            shutil.rmtree(store, ignore_errors=True)
            record = _manifest(first, started, command, req, jobs, skipped, extras, timing, workers, folder, trends,
                               drift)
            (folder.path / "manifest.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
            where = folder.publish(started.astimezone().strftime("%Y-%m-%d_%H-%M-%S"))
    print_coverage(cover, req, len(jobs), skipped, first, drift)
    print(f"Results: {where}")
    return where


def trend_note(req: Request) -> str:
    if req.trend == "flat":
        return (f"trend=flat (the default): demand (contacts) and the workforce (posts) are held at {req.from_year}'s "
                "calibrated values for the whole run; trend=fitted carries the published trends forward")
    return (f"trend=fitted: a log-linear least-squares trend of each council's published referrals and case-holding "
            f"FTE over the last five years to {req.from_year} is carried forward (service.demand.annual_trend; "
            "permanent posts added each 1 April); a downward workforce trend is held flat, as no mechanism removes "
            "posts (decision 0029)")


def trends_table(jobs, extras, req: Request) -> pd.DataFrame | None:
    if req.trend != "fitted":
        return None
    rows = []
    for j in jobs:
        t = extras[j.code]["trends"]
        rows.append({"la_code": j.code, "la_name": j.name,
                     "referral_trend": t.referrals.annual, "referral_years": t.referrals.years,
                     "workforce_trend_fitted": t.workforce.annual, "workforce_years": t.workforce.years,
                     "workforce_trend_applied": t.workforce_trend, "workforce_held_flat": t.workforce_held_flat,
                     "posts_added_assessment": t.posts_added.get("assessment", 0),
                     "posts_added_long_term": t.posts_added.get("long_term", 0)})
    return pd.DataFrame(rows)


def _pct(x: float) -> str:
    return "" if pd.isna(x) else f"{x:.0f}%"


DRIFT_KEYS = ("contacts", "in_need", "in_need_pass_through", "cp", "lac")


def drift_ran(cfg) -> bool:
    from ..drift import is_drawn

    return is_drawn(cfg)


def drift_note(req: Request, cfg, drift) -> str:
    """What the run drew (``cfg.service.drift``, the first council's: every council has the same),
    and where it came from (``drift``, the estimate from the tables, or the settings given)."""
    d = cfg.service.drift
    if not drift_ran(cfg):
        why = ("drift=off" if not req.drift else "parameter_draws=false" if not cfg.parameter_draws else
               "drift=on, but every spread is 0")
        return (f"{why}: every replication runs at {req.from_year}'s rates; the intervals hold only the model's chance "
                "variation and the calibrated parameters' uncertainty")
    given = drift is None or any(abs(getattr(d, k) - getattr(drift, k)) > 5e-5 for k in DRIFT_KEYS)
    source = ("the settings given" if drift is None else
              f"the spread of councils' published changes in {drift.years['referrals']}"
              + (", with the settings given" if given else ""))
    out = (f"drift=on: each replication draws a year-to-year change from 1 April {req.from_year} (service.drift, "
           f"decision 0032) from {source}: contacts {100 * d.contacts:.1f}% a year, children in need "
           f"{100 * d.in_need:.1f}% on top of {d.in_need_pass_through:.2f} of the contacts' change, CP "
           f"{100 * d.cp:.1f}% on top, looked after {100 * d.lac:.1f}% on top")
    if drift is not None:
        s = drift.spreads
        out += (f" (published: referrals {100 * s['referrals']:.1f}%, CIN at 31 March {100 * s['cin_at31']:.1f}%, CP "
                f"plans at 31 March {100 * s['cp_at31']:.1f}%, looked-after starts "
                + (f"{100 * s['cla_started']:.1f}% in {drift.years['cla_started']})" if drift.changes["cla_started"]
                   else f"not published for two years up to {req.from_year}, so not drawn)"))
    return out


def drift_record(cfg, drift) -> dict:
    d = cfg.service.drift
    return {"drawn": drift_ran(cfg), "ran": {k: getattr(d, k) for k in DRIFT_KEYS},
            "estimate": None if drift is None else {"settings": list(drift.settings), "spreads": drift.spreads,
                                                     "changes": drift.changes, "years": drift.years}}


def markdown(table, cover, worst, jobs, skipped, extras, req: Request, cfg, timing, workers, trends,
             misses: pd.DataFrame | None = None, drift=None) -> str:
    from ..backtest import figure_order

    labels = table.drop_duplicates("figure").set_index("figure")["label"]
    years = list(req.years)
    source = ("the packaged DfE tables (sim/reference/dfe/)" if req.tables is None else
              f"the tables in {req.tables} where they hold the row, else the packaged DfE tables")
    lines = [f"# caseflow backtest: {len(jobs)} council{'s' if len(jobs) != 1 else ''}, calibrated on {req.from_year}, scored on "
             f"{', '.join(map(str, years))}", "",
             f"- Each council's service is its preset service=la/<code>/{req.from_year}, calibrated from the DfE tables "
             f"for {req.from_year} (docs/calibrate.md); the run is 1 April {req.from_year} to 1 October {req.to_year} "
             f"after {cfg.warmup_months} months' warm-up, {cfg.replications} replications, seed {cfg.seed}.",
             f"- **{trend_note(req)}.**",
             f"- **{drift_note(req, cfg, drift)}.**",
             f"- Published values: {source}.",
             f"- Councils not run: {len(skipped)}" + (" (" + "; ".join(f"{c}: {w}" for c, w in skipped.items()) + ")"
                                                       if skipped else "") + ".",
             f"- Time: {timing['calibrate_and_compose_seconds']:.1f} s to calibrate and compose, "
             f"{timing['simulate_and_project_seconds']:.1f} s to simulate and project "
             f"{timing['council_replications']:,} council-replications on {workers} worker(s).", ""]
    if trends is not None and len(trends):
        r = trends["referral_trend"].dropna()
        down = trends[trends["workforce_held_flat"]]
        lines += ["## Trends carried forward", "",
                  f"- Referrals: fitted for {len(r)} of {len(trends)} councils; median {100 * r.median():+.1f}% a year "
                  f"(10th-90th percentile {100 * r.quantile(0.1):+.1f}% to {100 * r.quantile(0.9):+.1f}%)."
                  if len(r) else "- Referrals: no council had two published years to fit.",
                  f"- Case-holding FTE: upward for {len(trends) - len(down)} councils (posts added each 1 April); "
                  f"downward or not fitted for {len(down)}, **held flat** (no mechanism removes posts)"
                  + (f": {', '.join(str(c) for c in down['la_code'])}" if 0 < len(down) <= 60 else "") + ".",
                  "- Each council's trends: trends.csv.", ""]
    lines += ["## Coverage by figure and year", "",
              "Inside: the council's published value lies between the 10th and 90th percentiles of its replications "
              "(an 80% interval of the model's chance variation, the calibrated parameters' uncertainty and, with "
              f"drift=on, the year-to-year drift; with {cfg.replications} replications a perfect model would hold "
              f"about {100 * 0.8 * (cfg.replications - 1) / (cfg.replications + 1):.0f}%, docs/validation.md). Each cell: inside / councils (coverage); then the mean absolute relative error "
              "of the simulated median and, for comparison, of carrying each council's published from_year value "
              "forward unchanged (persistence).", ""]
    head = ("| Figure | " + " | ".join(str(y) for y in years) + " | "
            + " | ".join(f"mean abs rel error {y} (persistence)" for y in years) + " |")
    lines += [head, "|---|" + "---:|" * (2 * len(years))]
    by = cover.set_index(["figure", "year"])
    for key in figure_order(cover["figure"].unique()):
        cells, errs = [], []
        for y in years:
            if (key, y) in by.index:
                r = by.loc[(key, y)]
                cells.append(f"{int(r['inside'])} / {int(r['councils'])} ({_pct(r['coverage_pct'])})")
                err = f"{100 * r['mean_abs_rel_error']:.0f}%" if pd.notna(r["mean_abs_rel_error"]) else ""
                pers = r["persistence_mean_abs_rel_error"]
                errs.append(err + (f" ({100 * pers:.0f}%)" if pd.notna(pers) else ""))
            else:
                cells.append("")
                errs.append("")
        bold = "**" if key in ("referrals", "cin_at31", "cp_at31", "cla_at31") else ""
        lines.append(f"| {bold}{labels.get(key, key)}{bold} | " + " | ".join(cells) + " | " + " | ".join(errs) + " |")
    if misses is not None and len(misses):
        kinds = ["substituted", "structural change", "calibration", "change", "none found"]
        lines += ["", "## Why referrals and the stocks at 31 March miss", "",
                  "Each council-year outside its range for these figures, by its likely reason (the first that "
                  "applies; see below and misses.csv).", "",
                  "| Figure | Year | Outside | Published below / above | " + " | ".join(kinds) + " |",
                  "|---|---:|---:|---:|" + "---:|" * len(kinds)]
        for key in figure_order(misses["figure"].unique()):
            for y in years:
                part = misses[(misses["figure"] == key) & (misses["year"] == y)]
                if not len(part):
                    continue
                below = int((part["direction"] == "published below range").sum())
                counts = part["reason_kind"].value_counts()
                lines.append(f"| {labels.get(key, key)} | {y} | {len(part)} | {below} / {len(part) - below} | "
                             + " | ".join(str(int(counts.get(k, 0))) for k in kinds) + " |")
    lines += ["", "## Councils furthest from their published figures", "",
              "By the median over figures and years of |log(simulated median / published)|; the worst figure is the "
              "one furthest off, and the likely reason is computed from the published tables and the calibration "
              "(decision 0029), the first that applies: its from_year value substituted from neighbours; a structural "
              "change (the published figure moved far more than its statistical neighbours' or than its own "
              "history); the calibrated service misses the from_year value too; a large published change that a run "
              "at from_year's rates does not follow; or none found.", "",
              "| Council | Figures | Inside | Median abs log error | Worst figure (year) | Published | Simulated "
              "median | Likely reason |", "|---|---:|---:|---:|---|---:|---:|---|"]
    from ..formats import fmt_number

    for _, r in worst.iterrows():
        lines.append(f"| {r['la_name']} ({r['la_code']}) | {r['figures']} | {r['inside']} | "
                     f"{r['median_abs_log_error']:.2f} | {labels.get(r['worst_figure'], r['worst_figure'])} "
                     f"({r['worst_year']}) | {fmt_number(r['worst_published'])} | {fmt_number(r['worst_sim_p50'])} | "
                     f"{r['reason']} |")
    lines += ["", f"Every council's rows: backtest.csv ({len(table):,} rows); replications: backtest_replications.csv; "
                  "coverage: coverage.csv; the councils above: worst_councils.csv; every miss of referrals and the stocks "
                  "with its reason: misses.csv; charts: charts/.", ""]
    return "\n".join(lines)


def print_coverage(cover: pd.DataFrame, req: Request, councils: int, skipped: dict, cfg, drift=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, width=140)
    t = Table(title=f"caseflow backtest: {councils} councils, calibrated on {req.from_year} ({req.trend} trend)",
              title_justify="left")
    for name, justify in (("Figure", "left"), ("Year", "right"), ("Councils", "right"), ("Inside", "right"),
                          ("Coverage", "right"), ("Mean abs rel error", "right")):
        t.add_column(name, justify=justify)
    for _, r in cover.iterrows():
        t.add_row(r["figure"], str(r["year"]), str(r["councils"]), str(r["inside"]), _pct(r["coverage_pct"]),
                  "" if pd.isna(r["mean_abs_rel_error"]) else f"{100 * r['mean_abs_rel_error']:.0f}%")
    console.print(t)
    console.print(trend_note(req), highlight=False)
    console.print(drift_note(req, cfg, drift), highlight=False)
    if skipped:
        console.print(f"Not run (could not be calibrated for {req.from_year}): {', '.join(map(str, skipped))}",
                      highlight=False)


def _tables_record(req: Request) -> dict | None:
    if req.tables is None:
        return None
    where = Path(req.tables).expanduser()
    return {"folder": str(where.resolve()),
            "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(where.glob("*.csv"))}}


def _manifest(cfg, started, command, req: Request, jobs, skipped, extras, timing, workers, folder, trends,
              drift=None) -> dict:
    import platform

    from ..inputs.presets import inputs_digest
    from ..parts import simulation_versions
    from ..report import package_versions, started_commit

    finished = dt.datetime.now(dt.timezone.utc)
    record = {
        "command": command, "settings": req.overrides, "from_year": req.from_year, "to_year": req.to_year,
        "years_scored": list(req.years), "trend": req.trend, "trend_note": trend_note(req),
        "drift": drift_record(cfg, drift), "drift_note": drift_note(req, cfg, drift),
        "tables": _tables_record(req), "seed": cfg.seed, "replications": cfg.replications,
        "start_date": cfg.start_date, "end_date": cfg.end_date, "warmup_months": cfg.warmup_months,
        "executor": cfg.executor, "workers": workers, "scheduler": cfg.scheduler,
        "councils": [j.code for j in jobs], "not_run": {str(k): v for k, v in skipped.items()},
        "substituted": {str(c): e["substituted"] for c, e in extras.items() if e["substituted"]},
        "presets_digest": inputs_digest(), "timing": timing,
        "started": started.isoformat(timespec="seconds"), "finished": finished.isoformat(timespec="seconds"),
        "run_seconds": round((finished - started).total_seconds(), 3),
        "git": started_commit(), "versions": package_versions(),
        "simulation_versions": simulation_versions(), "platform": platform.platform(),
    }
    if trends is not None:
        record["workforce_held_flat"] = [int(c) for c in trends.loc[trends["workforce_held_flat"], "la_code"]]
        record["trends"] = trends.to_dict(orient="records")
    record["outputs"] = sorted({p.name for p in folder.path.iterdir() if p.name != "lock"} | {"manifest.json"})
    return record
