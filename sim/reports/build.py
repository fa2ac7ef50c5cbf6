"""The reports of a finished folder — workbook, charts and HTML — made from what it holds.

A folder is one of four kinds, told by its tables: a forecast run (forecast.csv and
summary.csv), a comparison (comparison.csv), a validation (validation.csv) or a sweep
(sweep.csv).  Nothing here runs the model: ``caseflow report <folder>`` rebuilds everything
from the folder alone, and runs and comparisons call ``make_reports`` when they finish.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .. import kpis
from ..periods import financial_year, quarter
from .findings import comparison_findings, run_findings, seen_within_for_people, validation_findings
from .workbook import Sheet, unit_of, write_workbook

WORKBOOK = "workbook.xlsx"
KINDS = ("run", "comparison", "validation", "sweep")
STATS = (("p10", "10th percentile"), ("p50", "median"), ("p90", "90th percentile"))


class NotAReportFolder(ValueError):
    """The folder holds none of the tables a report is made from."""


def kind_of(folder: Path) -> str:
    """Which kind of folder this is: run, comparison, validation or sweep."""
    folder = Path(folder)
    if (folder / "comparison.csv").is_file():
        return "comparison"
    if (folder / "validation.csv").is_file():
        return "validation"
    if (folder / "sweep.csv").is_file():
        return "sweep"
    if (folder / "forecast.csv").is_file() and (folder / "summary.csv").is_file():
        return "run"
    raise NotAReportFolder(f"{folder} holds no forecast.csv and summary.csv, comparison.csv, validation.csv or "
                           "sweep.csv: give a folder caseflow wrote")


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) if path.is_file() else {}


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def _csv(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path) if path.is_file() else None


@dataclass
class Folder:
    """What a finished folder holds, read once."""

    path: Path
    kind: str
    config: dict
    manifest: dict
    tables: dict[str, pd.DataFrame]
    scenarios: dict[str, dict]            # comparison: label -> {config, forecast, assumptions}

    @property
    def command(self) -> str:
        return " ".join(self.manifest.get("command", [])) or "caseflow"


REQUIRED = {
    "forecast": ("period",),
    "summary": ("kpi", "label", "mean", "p10", "p50", "p90"),
    "comparison": ("period", "kpi", "label", "scenario", "mean", "p10", "p50", "p90", "diff_from_first",
                   "diff_ci95_low", "diff_ci95_high"),
    "validation": ("figure", "published", "sim_p10", "sim_p50", "sim_p90", "inside"),
    "sweep": ("run", "folder"),
}


def read_folder(path: Path) -> Folder:
    """Read a finished folder's tables, config and manifest, checked: a folder that is not
    whole (a table without its columns, a figure the registry does not know, a file that does not
    parse) raises ``NotAReportFolder`` before anything is written."""
    path = Path(path)
    try:
        f = _read_folder(path)
    except NotAReportFolder:
        raise
    except (ValueError, KeyError, IndexError, OSError, yaml.YAMLError, pd.errors.ParserError) as e:
        raise NotAReportFolder(f"{path} is not a whole caseflow folder: a file in it cannot be read "
                               f"({type(e).__name__}: {str(e)[:120]})") from None
    for name, table in f.tables.items():
        missing = [c for c in REQUIRED.get(name, ()) if c not in table.columns]
        if missing:
            raise NotAReportFolder(f"{path}/{name}.csv lacks the column {missing[0]}: it is not a table caseflow wrote")
    known = {"summary": "kpi", "comparison": "kpi"}
    for name, column in known.items():
        if name in f.tables:
            odd = [k for k in f.tables[name][column].unique() if k not in kpis.REGISTRY]
            if odd:
                raise NotAReportFolder(f"{path}/{name}.csv holds the figure {str(odd[0])[:60]!r}, which caseflow does "
                                       "not define (sim/kpis.py)")
    if "validation" in f.tables:
        odd = [k for k in f.tables["validation"]["figure"] if k not in kpis.published_figures()]
        if odd:
            raise NotAReportFolder(f"{path}/validation.csv holds the figure {str(odd[0])[:60]!r}, which caseflow "
                                   "validate does not compare")
    if f.kind == "comparison":
        lacking = [k for k, v in f.scenarios.items() if not v["config"]]
        if lacking or not f.scenarios:
            raise NotAReportFolder(f"{path} lacks scenarios/{lacking[0] if lacking else '<label>'}/config.yaml: it is "
                                   "not a whole comparison folder")
    if (not f.config and f.kind != "sweep") or not isinstance(f.config, dict) or not isinstance(f.manifest, dict):
        raise NotAReportFolder(f"{path} lacks its config.yaml or manifest.json: it is not a whole caseflow folder")
    return f


def _read_folder(path: Path) -> Folder:
    kind = kind_of(path)
    names = {"run": ("forecast", "summary", "assumptions"),
             "comparison": ("comparison", "comparison_replications", "returns_to_baseline"),
             "validation": ("validation",),
             "sweep": ("sweep",)}[kind]
    tables = {n: t for n in names if (t := _csv(path / f"{n}.csv")) is not None}
    scenarios = {}
    if kind == "comparison" and (path / "scenarios").is_dir():
        order = list(tables["comparison"]["scenario"].drop_duplicates())
        for label in order:
            sub = path / "scenarios" / label
            scenarios[label] = {"config": _yaml(sub / "config.yaml"), "forecast": _csv(sub / "forecast.csv"),
                                "assumptions": _csv(sub / "assumptions.csv")}
    config = _yaml(path / "config.yaml") or (next(iter(scenarios.values()))["config"] if scenarios else {})
    return Folder(path, kind, config, _json(path / "manifest.json"), tables, scenarios)


# ---------------------------------------------------------------- sentences


def findings(f: Folder) -> list[str]:
    """The folder's headline findings, as sentences."""
    if f.kind == "run":
        return run_findings(f.tables["summary"], f.tables["forecast"], f.config)
    if f.kind == "comparison":
        configs = {k: v["config"] for k, v in f.scenarios.items()}
        return comparison_findings(f.tables["comparison"], f.tables.get("comparison_replications"), configs)
    if f.kind == "validation":
        return validation_findings(f.tables["validation"])
    sweep = f.tables["sweep"]
    return [f"A sweep of {len(sweep)} runs; one row per run, in sweep order, with a column per swept setting."]


def what_was_run(f: Folder) -> str:
    """One line: what the folder's run was."""
    m, c = f.manifest, f.config
    span = f"{m.get('start_date', c.get('start_date', '?'))} to {m.get('end_date', '?')}"
    reps = m.get("replications", c.get("replications", "?"))
    seed = m.get("seed", c.get("seed", "?"))
    w = c.get("warmup_months", "?")
    warmup = "1 month's" if w == 1 else f"{w} months'"
    if f.kind == "comparison":
        return (f"Comparison of {', '.join(f.scenarios) or 'scenarios'}, {span}, {reps} paired replications, seed {seed}, "
                f"after {warmup} warm-up.")
    if f.kind == "validation":
        return f"Validation of {(c.get('service') or {}).get('name', 'the service')} against the DfE's published figures, {reps} replications, seed {seed}."
    if f.kind == "sweep":
        return f"Sweep: {f.command}"
    name = (c.get("scenario") or {}).get("name", "run")
    return (f"Forecast of scenario {name} ({(c.get('service') or {}).get('name', 'service')}), {span}, {reps} replication(s), "
            f"seed {seed}, after {warmup} warm-up.")


# ---------------------------------------------------------------- workbook sheets


def _summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    rows = summary[summary["kpi"].isin(kpis.present(kpis.HEADLINE, summary["kpi"]))]
    return pd.DataFrame({"Figure": rows["label"].to_numpy(), "Unit": [kpis.REGISTRY[k].unit for k in rows["kpi"]],
                         "Mean": rows["mean"].to_numpy(), "10th percentile": rows["p10"].to_numpy(),
                         "Median": rows["p50"].to_numpy(), "90th percentile": rows["p90"].to_numpy(),
                         "Key": rows["kpi"].to_numpy()})


def monthly_sheet_table(forecast: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """forecast.csv for people: one row per month, each figure's 10th/50th/90th percentiles
    grouped together, headers with the figure's label (its unit) and the statistic."""
    if "quarter" in forecast:
        years, quarters = forecast["financial_year"].fillna(""), forecast["quarter"].fillna("")
    else:  # a folder written before forecast.csv named them
        whole = [len(str(p)) == 7 for p in forecast["period"]]
        firsts = [dt.date(int(str(p)[:4]), int(str(p)[5:7]), 1) for p in forecast["period"]]
        years = [financial_year(d) if w else "" for d, w in zip(firsts, whole)]
        quarters = [quarter(d) if w else "" for d, w in zip(firsts, whole)]
    out = {"Month": forecast["period"], "Financial year": years, "Quarter": quarters}
    units = {"Month": "text", "Financial year": "text", "Quarter": "text"}
    keys = kpis.present(kpis.MONTHLY, [c[: -len("_p50")] for c in forecast.columns if c.endswith("_p50")])
    for key in keys:
        for stat, name in STATS:
            header = f"{kpis.label(key)} — {name}"
            out[header] = forecast[f"{key}_{stat}"]
            units[header] = unit_of(kpis.REGISTRY[key].unit) or "count"
    return pd.DataFrame(out), units


def _assumptions_sheet(assumptions: pd.DataFrame | None, scenario: str | None = None) -> pd.DataFrame:
    if assumptions is None:
        return pd.DataFrame({"Parameter": [], "Value": [], "Kind": [], "Set in": [], "Why (from the file)": []})
    a = assumptions.fillna("")
    out = pd.DataFrame({"Parameter": a["parameter"], "Value": a["value"].astype(str), "Kind": a["kind"],
                        "Set in": a["set_in"], "Why (from the file)": a["note"]})
    if scenario is not None:
        out.insert(0, "Scenario", scenario)
    return out


def _manifest_table(manifest: dict) -> pd.DataFrame:
    rows = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list):
            rows.append((prefix, " ".join(map(str, value)) if prefix in ("command", "settings") else json.dumps(value)))
        else:
            rows.append((prefix, "" if value is None else str(value)))
    walk("", manifest)
    return pd.DataFrame(rows, columns=["Item", "Value"])


TEXT = {"Figure": "text", "Unit": "text", "Key": "text"}
KINDS_NOTE = ("Kind: published = a figure the DfE or Ofsted published; derived = worked out from published figures; "
              "estimated = an assumption to replace with local data; set on the command line; schema default = "
              "caseflow's default (sim/config.py).")


def sheets(f: Folder) -> list[Sheet]:
    """The workbook's sheets for a folder: a summary in plain words, then its tables."""
    words = (what_was_run(f), *findings(f))
    out: list[Sheet] = []
    if f.kind == "run":
        out.append(Sheet("Summary", _summary_table(f.tables["summary"]), "caseflow forecast: headline figures",
                         units=TEXT, notes=words, row_unit="Unit"))
        monthly, units = monthly_sheet_table(f.tables["forecast"])
        out.append(Sheet("Monthly forecast", monthly, "Each figure by month across replications",
                         units=units, notes=("10th percentile, median and 90th percentile across replications.",)))
        out.append(Sheet("Assumptions", _assumptions_sheet(f.tables.get("assumptions")), "Every service parameter",
                         notes=(KINDS_NOTE,)))
    elif f.kind == "comparison":
        t = f.tables["comparison"]
        table = _comparison_sheet(t)
        whole = table[table["Period"] == t["period"].iloc[0]]
        out.append(Sheet("Summary", whole.drop(columns=["Period", "Period kind"]), "caseflow comparison",
                         units=TEXT | {"Scenario": "text"}, notes=words, row_unit="Unit"))
        out.append(Sheet("Comparison", table, "Every period: whole horizon, financial years, quarters",
                         units=TEXT | {"Scenario": "text", "Period": "text", "Period kind": "text"}, row_unit="Unit",
                         notes=("Difference: from the first scenario, with its 95% confidence interval from paired "
                                "replications (common random numbers).",)))
        if "returns_to_baseline" in f.tables:
            out.append(Sheet("Returns to baseline", _returns_sheet(f.tables["returns_to_baseline"]),
                             "When each figure returns to the baseline after the money ends"))
        monthly = []
        units = {}
        for label, s in f.scenarios.items():
            if s["forecast"] is not None:
                m, units = monthly_sheet_table(s["forecast"])
                m.insert(0, "Scenario", label)
                monthly.append(m)
        if monthly:
            out.append(Sheet("Monthly forecast", pd.concat(monthly, ignore_index=True), "Each scenario by month",
                             units=units | {"Scenario": "text"}))
        out.append(Sheet("Assumptions", pd.concat([_assumptions_sheet(s["assumptions"], label)
                                                   for label, s in f.scenarios.items()] or [_assumptions_sheet(None)],
                                                  ignore_index=True), "Every service parameter, by scenario",
                         notes=(KINDS_NOTE,)))
    elif f.kind == "validation":
        v = f.tables["validation"]
        out.append(Sheet("Summary", _validation_sheet(v), "caseflow validate: the service against published figures",
                         units={"Figure": "text", "Unit": "text", "Period": "text", "Key": "text"}, notes=words,
                         row_unit="Unit"))
    else:
        table, units = sweep_sheet_table(f.tables["sweep"])
        out.append(Sheet("Sweep", table, "caseflow sweep: one row per run, in sweep order", units=units, notes=words))
    out.append(Sheet("Manifest", _manifest_table(f.manifest), "How this was run (manifest.json)",
                     units={"Item": "text", "Value": "text"}, notes=(f"Command: {f.command}",)))
    return out


def sweep_sheet_table(sweep: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """sweep.csv for people: the figures' columns headed by their labels and statistic."""
    names = {"mean": "mean", "p10": "10th percentile", "p90": "90th percentile"}
    renamed, units = {}, {"folder": "text"}
    for c in sweep.columns:
        key, _, stat = str(c).rpartition("_")
        if stat in names and key in kpis.REGISTRY:
            renamed[c] = f"{kpis.label(key)} — {names[stat]}"
            units[renamed[c]] = unit_of(kpis.REGISTRY[key].unit) or "count"
    return sweep.rename(columns=renamed), units


def _comparison_sheet(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Period": t["period"], "Period kind": t.get("period_kind", ""), "Figure": t["label"],
        "Unit": [kpis.REGISTRY[k].unit for k in t["kpi"]], "Scenario": t["scenario"],
        "Mean": t["mean"], "10th percentile": t["p10"], "Median": t["p50"], "90th percentile": t["p90"],
        "Difference from first": t["diff_from_first"], "95% CI low": t["diff_ci95_low"],
        "95% CI high": t["diff_ci95_high"], "Key": t["kpi"]})


def _returns_sheet(r: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Scenario": r["scenario"], "Money that ends": r["ending"], "Last funded day": r["last_funded_day"],
        "Figure": r["label"], "Quarter before": r["quarter_before"], "Differs before": r["differs_before"],
        "Returns in": r["returns_in"].fillna(""), "Months after": r["months_after"],
        "Stays returned": r["stays"], "Finding": r["sentence"]})


def _validation_sheet(v: pd.DataFrame) -> pd.DataFrame:
    figures = kpis.published_figures()
    return pd.DataFrame({
        "Figure": [figures[k].label for k in v["figure"]], "Unit": [figures[k].unit for k in v["figure"]],
        "Period": v.get("period", ""),
        "Published": v["published"], "Simulated 10th percentile": v["sim_p10"], "Simulated median": v["sim_p50"],
        "Simulated 90th percentile": v["sim_p90"], "Inside": v["inside"], "In sample": v.get("in_sample", ""),
        "Key": v["figure"]})


def workbook(f: Folder) -> Path:
    """Write the folder's workbook.xlsx."""
    return write_workbook(f.path / WORKBOOK, sheets(f))


CHARTS_DIR = "charts"
# The figures a comparison's HTML report tabulates (the workbook has every one).
REPORT_KPIS = ("contacts", "referrals", "mash_within_1wd_pct", "threshold_to_seen_median", "threshold_to_seen_p90",
               "seen_over_six_weeks", "seen_within_10wd_of_referral_pct", "seen_within_10wd_of_contact_pct",
               "assessments_within_45wd_pct", "waiting_for_allocation_mean", "waiting_for_allocation_end",
               "caseload_per_fte_mean", "changes_per_child", "agency_share_pct", "vacancy_rate_pct_mean", "cost")
HTML = "report.html"


def outputs(kind: str) -> tuple[str, ...]:
    """The names ``make_reports`` writes into a folder of ``kind`` (for its manifest)."""
    if kind in ("run", "comparison"):
        return (WORKBOOK, CHARTS_DIR, HTML)
    if kind == "validation":
        return (WORKBOOK, HTML)
    return (WORKBOOK,)


def charts(f: Folder) -> list:
    """The folder's fan charts (PNG and SVG in charts/): a run's, or one band per scenario."""
    from .charts import comparison_charts, run_charts

    out = f.path / CHARTS_DIR
    if f.kind == "run":
        return run_charts(f.tables["forecast"], f.config, out)
    if f.kind == "comparison":
        have = {k: v for k, v in f.scenarios.items() if v["forecast"] is not None}
        if have:
            return comparison_charts({k: v["forecast"] for k, v in have.items()},
                                     {k: v["config"] for k, v in have.items()}, out)
    return []


def _headline_html(summary: pd.DataFrame):
    from .html import Table

    t = _summary_table(summary)
    return Table("Headline figures over the forecast horizon, across replications", t, unit_column="Unit",
                 hide=("Key", "Unit"), formats={"Figure": "text", "Unit": "text"})


def _monthly_html(forecast: pd.DataFrame, keys, scenario: str | None = None):
    """A month-by-month table of the charted figures' medians across replications (the charts
    show their 10th–90th percentile bands; workbook.xlsx has every figure and percentile)."""
    from .html import Table, format_of_unit

    cols = {"Month": forecast["period"]}
    formats = {"Month": "text"}
    for key in keys:
        if f"{key}_p50" not in forecast:
            continue
        header = f"{kpis.label(key)} — median"
        cols[header] = forecast[f"{key}_p50"]
        formats[header] = format_of_unit(kpis.REGISTRY[key].unit)
    caption = "Month by month" + (f": {scenario}" if scenario else "")
    return Table(caption, pd.DataFrame(cols), formats=formats,
                 note="Medians across replications; the charts show each figure's 10th–90th percentile band and "
                      "workbook.xlsx every figure with its percentiles.")


def _assumptions_html(f: Folder):
    from .html import Table

    if f.kind == "run":
        a = _assumptions_sheet(f.tables.get("assumptions"))
        return [Table("Every service parameter, its value and where it comes from", a,
                      formats={c: "text" for c in a.columns}, note=KINDS_NOTE)]
    # A comparison: the first scenario's parameters, then only where the others differ from it.
    frames = {k: _assumptions_sheet(s["assumptions"]) for k, s in f.scenarios.items()}
    names = list(frames)
    first = frames[names[0]]
    out = [Table(f"Every service parameter of {names[0]}, its value and where it comes from", first,
                 formats={c: "text" for c in first.columns}, note=KINDS_NOTE)]
    values = first.set_index("Parameter")["Value"]
    differ = []
    for name in names[1:]:
        other = frames[name]
        changed = other[other["Value"] != other["Parameter"].map(values)]
        differ.append(changed.assign(Scenario=name, **{f"Value in {names[0]}": changed["Parameter"].map(values)}))
    if differ and len(d := pd.concat(differ, ignore_index=True)):
        d = d[["Scenario", "Parameter", "Value", f"Value in {names[0]}", "Kind", "Why (from the file)"]].fillna("")
        out.append(Table(f"Where the other scenarios differ from {names[0]}", d, formats={c: "text" for c in d.columns}))
    return out


def html_report(f: Folder, drawn: list):
    """The folder's HTML report: findings, charts, tables, assumptions, how to reproduce it, and
    a model description under the STRESS-DES headings."""
    from .html import Code, Figure, Paragraph, Report, Section, Table
    from .stress_des import model_description

    title = {"run": "caseflow forecast", "comparison": "caseflow comparison",
             "validation": "caseflow validation", "sweep": "caseflow sweep"}[f.kind]
    sections = [Section("What was run", [Paragraph(what_was_run(f)),
                                        Code(f.command, caption="The command that made it (run it again to reproduce)")])]
    if drawn:
        sections.append(Section("Charts", [Figure(c.title, c.svg, alt=f"{c.title}: median and 10th–90th percentile "
                                                                 f"band across replications; marked: "
                                                                 + "; ".join(m.label for m in c.marks))
                                           for c in drawn]))
    from .charts import CHARTED

    if f.kind == "run":
        sections.append(Section("Tables", [_headline_html(f.tables["summary"]),
                                           _monthly_html(f.tables["forecast"], CHARTED)]))
    elif f.kind == "comparison":
        t = _comparison_sheet(f.tables["comparison"]).drop(columns=["Median"])
        whole = t[(t["Period"] == f.tables["comparison"]["period"].iloc[0])
                  & t["Key"].isin(kpis.present(REPORT_KPIS, t["Key"].unique()))]
        blocks = [Table("The whole forecast horizon: each scenario, and its difference from the first with the 95% "
                        "confidence interval from paired replications (every figure is in workbook.xlsx)",
                        whole.drop(columns=["Period", "Period kind"]), unit_column="Unit", hide=("Key", "Unit"),
                        formats={"Figure": "text", "Unit": "text", "Scenario": "text"})]
        if "returns_to_baseline" in f.tables and len(f.tables["returns_to_baseline"]):
            r = _returns_sheet(f.tables["returns_to_baseline"])
            blocks.append(Table("When each figure returns to the baseline after the money ends", r,
                                formats={c: "text" for c in r.columns if c != "Months after"}
                                | {"Months after": "integer"}))
        seen_key = seen_within_for_people(t["Key"].unique())
        q = t[(t["Period kind"] == "quarter") & t["Key"].isin(["threshold_to_seen_p90", seen_key])]
        n = kpis.seen_within_n(seen_key)[0] if seen_key else 10
        blocks.append(Table(f"Quarter by quarter: the wait and the share seen within {n} working days",
                            q.drop(columns=["Period kind"]), unit_column="Unit", hide=("Key", "Unit"),
                            formats={"Figure": "text", "Unit": "text", "Scenario": "text", "Period": "text"}))
        sections.append(Section("Tables", blocks))
    elif f.kind == "validation":
        v = _validation_sheet(f.tables["validation"])
        sections.append(Section("Published against simulated", [Table(
            "Each published figure beside the simulated 10th, 50th and 90th percentiles", v, unit_column="Unit",
            hide=("Key",), formats={"Figure": "text", "Unit": "text", "Period": "text", "Inside": "text",
                                    "In sample": "text"})]))
    if f.kind in ("run", "comparison"):
        sections.append(Section("Assumptions", _assumptions_html(f)))
    if f.config and f.manifest:
        sections.append(model_description(f.config, f.manifest))
    return Report(title, what_was_run(f), findings(f), sections)


def make_reports(folder: Path) -> list[Path]:
    """Every report of a finished folder: the workbook, the charts (PNG and SVG) and the HTML
    report, as ``outputs`` names them for the folder's kind."""
    from .html import write

    f = read_folder(folder)
    written = [workbook(f)]
    names = outputs(f.kind)
    drawn = charts(f) if CHARTS_DIR in names else []
    written += [p for c in drawn for p in (c.png, c.svg)]
    if HTML in names:
        written.append(write(html_report(f, drawn), f.path / HTML))
    return written
