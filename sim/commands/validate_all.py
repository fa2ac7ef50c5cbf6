"""``caseflow validate la=all year=Y``: every council's calibrated service against what it published.

Each council's service is its preset ``service=la/<code>/<Y>`` (calibrated from the DfE tables
for year Y, ``sim.inputs.presets``), run over the DfE year as ``caseflow validate`` runs one
council (``sim.commands.validate.compose_validation``), with the same settings for all and each
council's own seed (``sim.national.council_seed``).
The replications of all councils share one pool of workers (``sim.national``).  Writes
``<results_dir>/validate/<timestamp>/``:

- ``validation.csv``: one row per council and figure, the columns of the single-council file
  (``la_code, year, figure, published, sim_p10, sim_p50, sim_p90, inside, in_sample``, then
  ``la_name, region, label, unit, period, ratio, replications_with_value``);
- ``validation_replications.csv``: every council's figures in every replication;
- ``coverage.csv``: per figure, the councils whose published value lies inside the simulated
  10-90% range (docs/validation.md, "Every council");
- ``validation.md``, ``charts/coverage_<figure>.png``, ``config.yaml`` (the first council's
  resolved configuration; the others differ only in ``service``), ``councils.csv`` (each
  council run, or why not) and ``manifest.json``.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Sequence

import pandas as pd
import yaml

from .. import signals
from ..inputs import InputError
from ..inputs.errors import shown

ROUND = 4


def councils_reporting(year: int) -> list[int]:
    """Every council with a row in the referrals table for DfE year ``year``, by code."""
    from ..reference import published as pub

    t = pub._table(pub.C1)
    la = t[(t["geographic_level"] == "Local authority") & (t["time_period"] == year)
           & t["old_la_code"].str.fullmatch(r"\d+")]
    return sorted({int(c) for c in la["old_la_code"]})


def chosen_councils(text: str, year: int) -> list[int]:
    """``all``, or a comma-separated list of codes or names."""
    from ..reference.published import find_council

    if text.strip().lower() == "all":
        return councils_reporting(year)
    codes: list[int] = []
    for part in text.split(","):
        if not part.strip():
            raise InputError(f"la is '{shown(text)}' but must be all, or councils' codes or names separated by "
                             "commas, e.g. la=892,872")
        code = find_council(part.strip())
        if code not in codes:
            codes.append(code)
    return codes


def main(year: int, la: str, overrides: list[str], argv: Sequence[str]) -> None:
    """Calibrate and compose every council's run, run them all, write and print the tables."""
    from ..inputs.folders import check_results_dir
    from ..inputs.overrides import parse_setting
    from ..inputs.presets import PREFIX
    from .validation_setup import compose_validation

    from ..report import started_commit

    if any(parse_setting(o).key == "service" for o in overrides):
        raise InputError("la= chooses each council's calibrated service: remove service=... (or la=)")
    started_commit()
    codes = chosen_councils(la, year)
    started = dt.datetime.now(dt.timezone.utc)
    clock = time.perf_counter()
    jobs, skipped = prepare(codes, year, overrides, compose_validation, PREFIX)
    if not jobs:
        raise InputError(f"No council could be calibrated for {year}: " + "; ".join(f"{c}: {why}" for c, why in
                                                                                   skipped.items()))
    check_results_dir(jobs[0].cfg.results_dir)
    prepared = time.perf_counter() - clock
    run(jobs, skipped, year, overrides, ["caseflow", "validate", *argv], started, prepared)


def prepare(codes: list[int], year: int, overrides: list[str], compose, prefix: str):
    """Each council's composed run (calibrating its preset on first use), and the councils that
    could not be calibrated, with the reason (one sentence each)."""
    jobs, skipped, _ = prepare_councils(
        codes, f"calibrate {year}: councils",
        lambda code: (compose(year, [f"service={prefix}{code}/{year}", *overrides])[0].cfg, None))
    return jobs, skipped


def prepare_councils(codes: list[int], label: str, compose_one):
    """``compose_one(code) -> (cfg, extra)`` for each council, with a progress bar: the
    ``CouncilJob``s, the councils refused (code -> the one-sentence reason; with one council the
    error itself is raised) and each council's ``extra``.  Shared by validate la=... and backtest."""
    from ..national import CouncilJob
    from ..reference.published import councils
    from .run_folder import progress_bars

    table = councils().set_index("old_la_code")
    jobs, skipped, extras = [], {}, {}
    with progress_bars() as bars:
        task = bars.add_task(label, total=len(codes))
        for code in codes:
            try:
                cfg, extra = compose_one(code)
            except InputError as e:
                if len(codes) == 1:
                    raise
                skipped[code] = str(e)
            else:
                row = table.loc[code]
                jobs.append(CouncilJob(code, str(row["la_name"]), str(row["region_name"]), cfg))
                extras[code] = extra
            bars.advance(task)
    return jobs, skipped, extras


def run(jobs, skipped: dict[int, str], year: int, overrides: list[str], command: list[str],
        started: dt.datetime, prepared_seconds: float) -> Path:
    from ..config import to_plain
    from ..parts import WorkFolder, results_key

    first = jobs[0].cfg
    folder = WorkFolder(Path(first.results_dir) / "validate", results_key([j.cfg for j in jobs]), prefix="national")
    store = folder.path / "councils"
    with holding(folder, store):
        per_rep, timing, workers = simulate_councils(folder, store, jobs, (year,), f"validate {year}",
                                                     prepared_seconds)
        table = national_table(jobs, per_rep, year)
        from ..national import coverage, worst_misses

        cover = coverage(table)
        worst = worst_misses(table)
        with signals.deferred():
            table.round(ROUND).to_csv(folder.path / "validation.csv", index=False)
            per_rep.round(ROUND).to_csv(folder.path / "validation_replications.csv", index=False)
            cover.round(ROUND).to_csv(folder.path / "coverage.csv", index=False)
            councils_table(jobs, skipped).to_csv(folder.path / "councils.csv", index=False)
            (folder.path / "config.yaml").write_text(yaml.safe_dump(to_plain(first), sort_keys=False))
            from ..reports.coverage_charts import coverage_charts

            charts = coverage_charts(table, folder.path / "charts")
            if first.report:
                national_workbook(folder.path / "workbook.xlsx", table, cover, councils_table(jobs, skipped), year)
            (folder.path / "validation.md").write_text(
                national_markdown(table, cover, worst, jobs, skipped, year, first, timing, workers))
            shutil.rmtree(store, ignore_errors=True)
            record = _manifest(first, started, command, overrides, jobs, skipped, year, timing, workers, folder,
                               charts)
            (folder.path / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
            where = folder.publish(started.astimezone().strftime("%Y-%m-%d_%H-%M-%S"))
    print_coverage(cover, year, len(jobs), skipped)
    print(f"Results: {where}")
    return where


def simulate_councils(folder, store: Path, jobs, years: tuple[int, ...], title: str, prepared_seconds: float):
    """Every council's replications not already in ``store`` (a resumed run), on one pool with a
    progress bar, each council written to ``store`` as it finishes: the per-replication figures
    of all councils, the timing the manifest records, and the workers used.  Shared by the
    national validation and the backtest; call it inside ``holding(folder, store)``."""
    from ..national import read_done, run_councils, write_council
    from .run_folder import progress_bars

    first = jobs[0].cfg
    done = read_done(store)
    if done:
        print(f"caseflow: resuming: {len(done)} of {len(jobs)} councils are already done in {folder.path}",
              file=sys.stderr)
    clock = time.perf_counter()
    todo = sum(j.cfg.replications for j in jobs if j.code not in done)
    with progress_bars() as bars:
        task = bars.add_task(f"{title}: {len(jobs)} councils × replications", total=todo)

        def finished(code: int, frame: pd.DataFrame) -> None:
            with signals.deferred():
                write_council(store, code, frame)
            done[code] = frame

        run_councils(jobs, years, first, done, finished, progress=lambda: bars.advance(task))
    simulated = time.perf_counter() - clock
    per_rep = pd.concat([done[j.code] for j in jobs], ignore_index=True)
    workers = workers_used(first, todo)
    timing = {"calibrate_and_compose_seconds": round(prepared_seconds, 2),
              "simulate_and_project_seconds": round(simulated, 2), "council_replications": todo,
              "seconds_per_council_replication_per_worker": round(simulated * workers / todo, 3) if todo else None}
    return per_rep, timing, workers


def workers_used(cfg, jobs: int) -> int:
    from ..executors import worker_count

    return 1 if cfg.executor == "serial" else worker_count(cfg, max(jobs, 1))


class holding:
    """Hold the work folder; stopped or failed, keep the councils already written (a rerun of the
    same command resumes from them) or, with none, remove the folder."""

    def __init__(self, folder, store: Path) -> None:
        self.folder, self.store = folder, store

    def __enter__(self):
        from ..parts import RunBusy

        with signals.deferred():
            try:
                self.folder.open()
            except RunBusy as e:
                raise InputError(f"{str(e)[0].upper()}{str(e)[1:]}") from None
            except OSError as e:
                raise InputError(f"The run folder {self.folder.path} cannot be created "
                                 f"({e.strerror or type(e).__name__}): choose another results_dir") from None
        return self

    def __exit__(self, kind, error, tb) -> bool:
        if kind is None:
            return False
        with signals.deferred(raise_after=False):
            self.folder.release()
            kept = len(list(self.store.glob("*.csv"))) if self.store.is_dir() else 0
            if kept == 0 and self.folder.published is None:
                self.folder.discard()
        stop = signals.interruption() or (signals.Interrupted() if kind is KeyboardInterrupt else None)
        if stop is None or kind is SystemExit:
            return False
        said = (f"{kept} councils are kept in {self.folder.path}: run the same command again to resume" if kept
                else "no partial results were kept")
        print(f"caseflow: interrupted by {stop.what}; {said}.", file=sys.stderr)
        raise SystemExit(stop.exit_status) from None


# --------------------------------------------------------------------------- tables


def national_table(jobs, per_rep: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per council and figure, as the single-council validation.csv, plus the council."""
    from ..national import figure_rows
    from ..projections.published import FIGURE_KEYS
    from .validation_setup import figure_info, in_sample, published_values

    rows = []
    for j in jobs:
        pub = {(year, k): v for k, v in published_values(j.code, year).items()}
        mine = per_rep[per_rep["la_code"] == j.code]
        for r in figure_rows(mine, pub, j.code, year, FIGURE_KEYS):
            label, unit, period = figure_info(r["figure"], year)
            r.update(in_sample=in_sample(j.cfg, r["figure"], year), la_name=j.name, region=j.region, label=label,
                     unit=unit, period=period,
                     ratio=(r["sim_p50"] / r["published"] if r["published"] else float("nan")))
            rows.append(r)
    from .validation_setup import COLUMNS

    extra = ["la_name", "region", "label", "unit", "period", "ratio", "replications_with_value"]
    return pd.DataFrame(rows, columns=COLUMNS + extra)


def national_workbook(path: Path, table: pd.DataFrame, cover: pd.DataFrame, councils: pd.DataFrame,
                      year: int) -> Path:
    """The national tables in Excel: coverage by figure, every council's figures, the councils."""
    from ..reports.workbook import Sheet, write_workbook

    labels = table.drop_duplicates("figure").set_index("figure")["label"]
    c = cover.assign(label=cover["figure"].map(labels))
    c = c[["figure", "label", *[k for k in c.columns if k not in ("figure", "label")]]]
    rows = table[["la_code", "la_name", "region", "figure", "label", "unit", "period", "published", "sim_p10",
                  "sim_p50", "sim_p90", "inside", "in_sample", "ratio"]]
    pct = {"coverage_pct": "%", "nominal_pct": "%", "median_ratio": "number"}
    return write_workbook(path, [
        Sheet("Coverage", c, f"Councils whose published value lies inside the simulated 10–90% range, DfE year {year}",
              pct, notes=("Nominal: the share a perfect model would reach with this many replications.",)),
        Sheet("Councils", rows, f"Every council's figures, DfE year {year}", {"ratio": "number"}, row_unit="unit"),
        Sheet("Runs", councils, "Councils run, and why any was not"),
    ])


def councils_table(jobs, skipped: dict[int, str]) -> pd.DataFrame:
    from ..reference.published import councils

    from ..national import council_seed

    names = councils().set_index("old_la_code")["la_name"]
    rows = [{"la_code": j.code, "la_name": j.name, "region": j.region, "run": True, "reason": "",
             "seed": council_seed(j.cfg.seed, j.code)} for j in jobs]
    rows += [{"la_code": c, "la_name": names.get(c, ""), "region": "", "run": False, "reason": why, "seed": ""}
             for c, why in skipped.items()]
    return pd.DataFrame(rows).sort_values("la_code").reset_index(drop=True)


def _pct(x: float) -> str:
    return f"{x:.0f}%"


def national_markdown(table, cover, worst, jobs, skipped, year, cfg, timing, workers) -> str:
    from ..formats import fmt_number
    from ..national import TARGET_COVERAGE

    labels = table.drop_duplicates("figure").set_index("figure")["label"]
    lines = [f"# caseflow validate: {len(jobs)} councils, DfE year {year}", "",
             f"- Each council's service is its preset service=la/<code>/{year}, calibrated from the DfE tables "
             f"for {year} (docs/calibrate.md); the run is 1 April {year - 1} to 1 October {year} after "
             f"{cfg.warmup_months} months' warm-up, {cfg.replications} replications, seed {cfg.seed}.",
             f"- Councils not run: {len(skipped)}" + (" (" + "; ".join(f"{c}: {w}" for c, w in skipped.items()) + ")"
                                                       if skipped else "") + ".",
             f"- Time: {timing['calibrate_and_compose_seconds']:.1f} s to calibrate and compose, "
             f"{timing['simulate_and_project_seconds']:.1f} s to simulate and project "
             f"{timing['council_replications']:,} council-replications on {workers} worker(s)"
             + (f" ({timing['seconds_per_council_replication_per_worker']:.2f} s each per worker)."
                if timing["seconds_per_council_replication_per_worker"] is not None else "."), "",
             "## Coverage by figure", "",
             f"Inside: the council's published value lies between the 10th and 90th percentiles of its "
             f"replications. Target ({_pct(100 * TARGET_COVERAGE)} of councils) applies to the figures the "
             "calibration sets the service to reproduce (marked ●).", "",
             "Nominal: the share a perfect model would reach with this many replications, 0.8 (n − 1) / (n + 1) "
             "(the 10th–90th percentiles of n replications hold a further draw that often: 72% for 20).", "",
             "| Figure | Councils | Inside | Coverage | Nominal | Published below range | above range | "
             "Median sim/published |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for _, r in cover.iterrows():
        mark = (" ●" + (" ✓" if r["meets_target"] else " ✗")) if r["target_figure"] else ""
        lines.append(f"| {labels.get(r['figure'], r['figure'])}{mark} | {r['councils']} | {r['inside']} | "
                     f"{_pct(r['coverage_pct'])} | {_pct(r['nominal_pct'])} | {r['published_below_range']} | "
                     f"{r['published_above_range']} | "
                     f"{r['median_ratio']:.2f} |")
    lines += ["", "## Councils furthest from their published figures", "",
              "By the median over figures of |log(simulated median / published)|.", "",
              "| Council | Figures | Inside | Median abs log error | Worst figure |", "|---|---:|---:|---:|---|"]
    names = {j.code: j.name for j in jobs}
    for _, r in worst.iterrows():
        lines.append(f"| {names.get(r['la_code'], r['la_code'])} ({r['la_code']}) | {r['figures']} | {r['inside']} | "
                     f"{r['median_abs_log_error']:.2f} | {labels.get(r['worst_figure'], r['worst_figure'])} |")
    lines += ["", f"Every council's rows: validation.csv ({fmt_number(len(table))} rows). Charts: charts/.", ""]
    return "\n".join(lines)


def print_coverage(cover: pd.DataFrame, year: int, councils: int, skipped: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, width=140)
    t = Table(title=f"caseflow validate: {councils} councils, DfE year {year}", title_justify="left")
    for name, justify in (("Figure", "left"), ("Councils", "right"), ("Inside", "right"), ("Coverage", "right"),
                          ("Nominal", "right"), ("Median sim/pub", "right"), ("Target", "center")):
        t.add_column(name, justify=justify)
    for _, r in cover.iterrows():
        target = ("✓" if r["meets_target"] else "✗") if r["target_figure"] else ""
        t.add_row(r["figure"], str(r["councils"]), str(r["inside"]), _pct(r["coverage_pct"]),
                  _pct(r["nominal_pct"]), f"{r['median_ratio']:.2f}", target)
    console.print(t)
    if skipped:
        console.print(f"Not run (could not be calibrated for {year}): {', '.join(map(str, skipped))}",
                      highlight=False)


def _manifest(cfg, started, command, overrides, jobs, skipped, year, timing, workers, folder, charts) -> dict:
    from ..inputs.presets import inputs_digest
    from ..parts import simulation_versions
    from ..report import package_versions, started_commit
    import platform

    finished = dt.datetime.now(dt.timezone.utc)
    return {
        "command": command, "settings": overrides, "year": year, "seed": cfg.seed,
        "replications": cfg.replications, "start_date": cfg.start_date, "end_date": cfg.end_date,
        "warmup_months": cfg.warmup_months, "executor": cfg.executor, "workers": workers,
        "scheduler": cfg.scheduler, "councils": [j.code for j in jobs], "not_run": {str(k): v for k, v in
                                                                                    skipped.items()},
        "presets_digest": inputs_digest(), "timing": timing,
        "started": started.isoformat(timespec="seconds"), "finished": finished.isoformat(timespec="seconds"),
        "run_seconds": round((finished - started).total_seconds(), 3),
        "git": started_commit(), "versions": package_versions(),
        "simulation_versions": simulation_versions(), "platform": platform.platform(),
        "outputs": sorted({p.name for p in folder.path.iterdir() if p.name != "lock"} | {"manifest.json"}),
    }
