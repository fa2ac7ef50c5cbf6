"""``caseflow validate year=Y [key=value ...]``: the simulated service against the DfE's published figures.

Runs the configured service over the DfE reporting year Y (1 April Y-1 to 31 March Y) and on
to 1 October Y, so that the workforce census at 30 September Y is inside the run, and sets each
figure the DfE published for the council (``service.la_code``) beside the spread of the same
figure across replications.  docs/validation.md says how each figure is computed.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .. import signals
from ..config import RunConfig, horizon_end, to_plain
from ..formats import fmt_number
from ..inputs import InputError
from ..inputs.compose import Composed
from ..inputs.errors import shown
from ..inputs.folders import check_results_dir
from ..inputs.overrides import parse_setting
from ..parts import WorkFolder, results_key
from .run_folder import progress_bars, say_resuming, working_in
# What a validation runs and compares (shared with validate_all; the names stay importable here).
from .validation_setup import (COLUMNS, EXTRA, IMPOSED, MIN_WARMUP_MONTHS, compose_validation, council_of,
                               figure_info, in_sample, published_values, published_years)

if TYPE_CHECKING:  # numpy, pandas, the runner and the reports are imported when a run starts
    import pandas as pd

USAGE = """usage: caseflow validate year=Y [la=CODE|NAME] [scenario=NAME] [replications=20] [key=value ...]

Runs the service from 1 April Y-1 to 1 October Y (after at least 12 months' warm-up) and
compares every figure the DfE published for the council (service.la_code) for year Y with the
simulated 10th, 50th and 90th percentiles across replications: children's figures for the year
to 31 March Y (stocks at the end of 31 March Y), workforce figures from the census at
30 September Y.  Writes <results_dir>/validate/<timestamp>/ with validation.csv and
validation.md (docs/validation.md).

la= validates that council's service as caseflow calibrate makes it from the DfE tables for
year Y: the preset service=la/<code>/<Y>, built on first use and cached.  To validate a
calibrated file you have edited, give service=<its name> instead.  la=all validates every
council (docs/validation.md, "Every council").

example: caseflow validate year=2022 scenario=baseline_2022 replications=20
         caseflow validate year=2024 la=Rutland replications=20"""


def main(argv: Sequence[str]) -> None:
    """Check the request, compose the run, run it, write and print the comparison."""
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return
    year, overrides, many = _read_arguments(list(argv))
    if many is not None:  # la=all, or a list of councils: sim.commands.validate_all
        from .validate_all import main as validate_councils

        return validate_councils(year, many, overrides, argv)
    job, notes = compose_validation(year, overrides)
    cfg = job.cfg
    la_code, council = council_of(cfg)
    reference = published_values(la_code, year)
    check_results_dir(cfg.results_dir)
    provenance = {"command": ["caseflow", "validate", *argv], **job.record()}
    _run(job, year, la_code, council, reference, notes, provenance)


# ---------------------------------------------------------------- input


def _read_arguments(argv: list[str]) -> tuple[int, list[str], str | None]:
    unknown = [a for a in argv if a.startswith("-")]
    if unknown:
        raise InputError(f"The option {shown(unknown[0])} is not supported by caseflow validate: give year=Y, then "
                         "key=value settings")
    years = [a for a in argv if a.split("=", 1)[0] == "year"]
    if not years:
        raise InputError("caseflow validate needs the DfE year to check, e.g. caseflow validate year=2022 (the year "
                         "to 31 March 2022)")
    if len(years) > 1:
        raise InputError("caseflow validate takes one year=Y: run it once for each year")
    text = years[0].split("=", 1)[1].strip()
    if not (text.isdigit() and len(text) == 4):
        raise InputError(f"year is '{shown(text)}' but must be a year written as four digits, e.g. year=2022 (the "
                         "DfE year to 31 March 2022)")
    year = int(text)
    held = published_years()
    if year not in held:
        raise InputError(f"year={year} is not in the DfE tables caseflow holds, which cover the years to 31 March "
                         f"{held[0]} to {held[-1]}")
    overrides = [a for a in argv if a not in years]
    overrides, many = _council_service(overrides, year)
    for o in overrides:
        setting = parse_setting(o)
        if setting.is_sweep or setting.kind in ("launcher", "n_jobs"):
            raise InputError(f"The setting '{shown(o)}' asks for a sweep, but caseflow validate takes one value per "
                             "setting: run caseflow validate once for each value")
        if setting.key in IMPOSED:
            raise InputError(f"Config key '{setting.key}' is set by year= in caseflow validate (1 April Y-1 to "
                             f"1 October Y): remove {setting.key}=...")
    return year, overrides, many


def _council_service(overrides: list[str], year: int) -> tuple[list[str], str | None]:
    """``la=<code or name>``: validate that council's calibrated service for the year, its preset
    ``service=la/<code>/<year>`` (``sim.inputs.presets``: made from the DfE tables, cached)."""
    las = [o for o in overrides if o.split("=", 1)[0] == "la"]
    if not las:
        return overrides, None
    if len(las) > 1:
        raise InputError("caseflow validate takes one la=: run it once for each council")
    la = las[0].split("=", 1)[1].strip()
    rest = [o for o in overrides if o not in las]
    if any(o.split("=", 1)[0].lstrip("+~") == "service" for o in rest):
        raise InputError("la= chooses the council's calibrated service: remove service=... (or la=)")
    if la.lower() == "all" or "," in la:   # every council, or several: one national table
        return rest, la
    from ..inputs.presets import PREFIX, parse

    code, _ = parse(f"{PREFIX}{la}", "la")
    return [*rest, f"service={PREFIX}{code}/{year}"], None


def validation_table(per_rep: pd.DataFrame, reference: dict[str, float | None], cfg: RunConfig, year: int,
                     la_code: int) -> tuple[pd.DataFrame, list[str]]:
    """One row per figure with a published value; and the figures left out (not published)."""
    import numpy as np
    import pandas as pd

    rows, skipped = [], []
    for key, pub in reference.items():
        if pub is None:
            skipped.append(key)
            continue
        x = per_rep[key].to_numpy(float) if key in per_rep else np.array([])
        x = x[~np.isnan(x)]
        p10, p50, p90 = (np.percentile(x, [10, 50, 90]) if len(x) else (np.nan, np.nan, np.nan))
        label, unit, period = figure_info(key, year)
        rows.append({
            "la_code": la_code, "year": year, "figure": key, "published": pub,
            "sim_p10": float(p10), "sim_p50": float(p50), "sim_p90": float(p90),
            "inside": bool(len(x) and p10 <= pub <= p90),
            "in_sample": in_sample(cfg, key, year),
            "label": label, "unit": unit, "period": period,
            "ratio": float(p50 / pub) if pub and len(x) else np.nan,
            "replications_with_value": len(x),
        })
    return pd.DataFrame(rows, columns=COLUMNS + EXTRA), skipped


def off_by_factor_two(table: pd.DataFrame) -> pd.Series:
    """Median more than twice, or less than half, the published value (or no simulated value)."""
    pub, med = table["published"], table["sim_p50"]
    return med.isna() | (med > 2 * pub) | (med < 0.5 * pub)


def verdict(table: pd.DataFrame) -> str:
    inside = int(table["inside"].sum())
    off = int(off_by_factor_two(table).sum())
    return (f"{inside} of {len(table)} figures inside the simulated 10th–90th percentile range; {off} off by more "
            "than a factor of two")


def settings_lines(cfg: RunConfig, year: int, la_code: int, council: str, notes: list[str]) -> list[str]:
    cal = cfg.service.calibration
    calibrated = (f"{', '.join(cal.figures) or 'no figures listed'} (year {cal.year})" if cal.year is not None
                  else "no calibration year set (service.calibration.year)")
    return [
        f"Council: {council} ({la_code}); DfE year {year}: 1 April {year - 1} to 31 March {year}, "
        f"workforce census at 30 September {year}",
        f"Run: {cfg.start_date} to {horizon_end(cfg).isoformat()} after {cfg.warmup_months} months' warm-up "
        f"(at least {MIN_WARMUP_MONTHS}: re-referrals look back 12 months)",
        f"Scenario: {cfg.scenario.name}; service: {cfg.service.name}; replications: {cfg.replications}; "
        f"seed: {cfg.seed}",
        f"Calibrated on: {calibrated}",
        *[f"Note: {n}" for n in notes],
    ]


def _cell(x: float) -> str:
    return "" if x is None or x != x else fmt_number(float(x))   # x != x: NaN


def _range(r) -> str:
    return f"{_cell(r['sim_p10'])} – {_cell(r['sim_p90'])}" if r["sim_p10"] == r["sim_p10"] else "no value"


def validation_markdown(table: pd.DataFrame, skipped: list[str], cfg: RunConfig, year: int, la_code: int,
                        council: str, notes: list[str]) -> str:
    lines = [f"# caseflow validate: {council}, DfE year {year}", ""]
    lines += [f"- {s}" for s in settings_lines(cfg, year, la_code, council, notes)]
    lines += ["", f"**{verdict(table)}.**", ""]
    header = ["| Figure | Period | Published | Simulated median | 10–90% range | Inside | In sample |",
              "|---|---|---:|---:|---:|:---:|:---:|"]

    def rows(part: pd.DataFrame) -> list[str]:
        return [f"| {r['label']} | {r['period']} | {_cell(r['published'])} | {_cell(r['sim_p50'])} | {_range(r)} | "
                f"{'✓' if r['inside'] else '✗'} | {'yes' if r['in_sample'] else 'no'} |" for _, r in part.iterrows()]

    used, other = table[table["in_sample"]], table[~table["in_sample"]]
    lines += ["## Figures used as calibration inputs", ""]
    lines += (header + rows(used)) if len(used) else ["None: the service's calibration block lists none of these "
                                                      f"figures for {year} or {year - 1}."]
    lines += ["", "## Figures not used as calibration inputs", ""]
    lines += (header + rows(other)) if len(other) else ["None."]
    if skipped:
        lines += ["", f"Not published for this council and year (suppressed or not collected), so not checked: "
                      f"{', '.join(skipped)}."]
    lines += ["", "Inside: the published value lies between the 10th and 90th percentiles of the replications' own "
                  "values. The model has no step that ends a referral with no further action before an assessment, "
                  "so referrals closed at assessment or conference are compared with the published no further "
                  "action and assessed-not-in-need shares together. See docs/validation.md.", ""]
    return "\n".join(lines)


def print_validation(table: pd.DataFrame, skipped: list[str], cfg: RunConfig, year: int, la_code: int,
                     council: str, notes: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, width=160)
    t = Table(title=f"caseflow validate: {council} ({la_code}), DfE year {year}", title_justify="left")
    for name, justify in (("Figure", "left"), ("Period", "left"), ("Published", "right"), ("Median", "right"),
                          ("10–90%", "right"), ("Inside", "center"), ("In sample", "center")):
        t.add_column(name, justify=justify)
    for _, r in table.iterrows():
        t.add_row(r["label"], r["period"], _cell(r["published"]), _cell(r["sim_p50"]), _range(r),
                  "✓" if r["inside"] else "✗", "yes" if r["in_sample"] else "no")
    console.print(t)
    for line in settings_lines(cfg, year, la_code, council, notes):
        console.print(line, highlight=False)
    if skipped:
        console.print(f"Not published, so not checked: {', '.join(skipped)}", highlight=False)
    console.print(verdict(table), highlight=False)


# ---------------------------------------------------------------- the run


def _run(job: Composed, year: int, la_code: int, council: str, reference: dict, notes: list[str],
         provenance: dict) -> None:
    import yaml

    from ..report import manifest, report_outputs, write_reports
    from ..runner import gather, run_to_folder

    cfg = job.cfg
    from ..report import started_commit

    started_commit()  # the code this run is, before it runs
    started = dt.datetime.now(dt.timezone.utc)
    folder = WorkFolder(Path(cfg.results_dir) / "validate", results_key([cfg]), prefix="validate")
    with working_in(folder, cfg.replications):
        say_resuming(folder, cfg.replications)
        with progress_bars() as bars:
            task = bars.add_task(f"validate {year}: replications", total=cfg.replications)
            results = run_to_folder(cfg, folder, what="validate", progress=lambda k: bars.advance(task))
        per_rep = gather(results, "published")
        table, skipped = validation_table(per_rep, reference, cfg, year, la_code)
        markdown = validation_markdown(table, skipped, cfg, year, la_code, council, notes)
        with signals.deferred():
            folder.prune(cfg.replications)
            if not cfg.write_events:
                shutil.rmtree(folder.events_dir(), ignore_errors=True)
            table.round(4).to_csv(folder.path / "validation.csv", index=False)
            (folder.path / "validation.md").write_text(markdown)
            (folder.path / "config.yaml").write_text(yaml.safe_dump(to_plain(cfg), sort_keys=False))
            reports = report_outputs(cfg, "validation")
            record = {"scenario": cfg.scenario.name, **manifest(cfg, started, provenance, results, folder, reports)}
            record["validate"] = {"year": year, "la_code": la_code, "council": council, "notes": notes,
                                  "not_published": skipped}
            (folder.path / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
            write_reports(cfg, folder.path)
            where = folder.publish(started.astimezone().strftime("%Y-%m-%d_%H-%M-%S"))
        print_validation(table, skipped, cfg, year, la_code, council, notes)
        print(f"Results: {where}")
