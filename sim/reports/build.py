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
from .findings import comparison_findings, run_findings, validation_findings
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


def read_folder(path: Path) -> Folder:
    """Read a finished folder's tables, config and manifest."""
    path = Path(path)
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
    if f.kind == "comparison":
        return (f"Comparison of {', '.join(f.scenarios) or 'scenarios'}, {span}, {reps} paired replications, seed {seed}, "
                f"after {c.get('warmup_months', '?')} months' warm-up.")
    if f.kind == "validation":
        return f"Validation of {(c.get('service') or {}).get('name', 'the service')} against the DfE's published figures, {reps} replications, seed {seed}."
    if f.kind == "sweep":
        return f"Sweep: {f.command}"
    name = (c.get("scenario") or {}).get("name", "run")
    return (f"Forecast of scenario {name} ({(c.get('service') or {}).get('name', 'service')}), {span}, {reps} replication(s), "
            f"seed {seed}, after {c.get('warmup_months', '?')} months' warm-up.")


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
    firsts = [dt.date(int(p[:4]), int(p[5:7]), 1) for p in forecast["period"]]  # older folders lack the columns
    out = {"Month": forecast["period"], "Financial year": [financial_year(d) for d in firsts],
           "Quarter": [quarter(d) for d in firsts]}
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
    return pd.DataFrame({
        "Figure": v.get("label", v["figure"]), "Unit": v.get("unit", ""), "Period": v.get("period", ""),
        "Published": v["published"], "Simulated 10th percentile": v["sim_p10"], "Simulated median": v["sim_p50"],
        "Simulated 90th percentile": v["sim_p90"], "Inside": v["inside"], "In sample": v.get("in_sample", ""),
        "Key": v["figure"]})


def workbook(f: Folder) -> Path:
    """Write the folder's workbook.xlsx."""
    return write_workbook(f.path / WORKBOOK, sheets(f))


def outputs(kind: str) -> tuple[str, ...]:
    """The names ``make_reports`` writes into a folder of ``kind`` (for its manifest)."""
    return (WORKBOOK,)


def make_reports(folder: Path) -> list[Path]:
    """Every report of a finished folder: the workbook (then charts and the HTML report)."""
    f = read_folder(folder)
    return [workbook(f)]
