"""A sweep's combined table: one row per run, in sweep order, a column per swept setting, the
run's folder, and its headline figures read back from the run's own summary.csv.

Written to ``<results_dir>/sweep/<timestamp>/`` (sweep.csv, sweep.md, manifest.json and, unless
``report=false``, workbook.xlsx), once every run of the sweep is finished.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from . import kpis
from .formats import fmt_number
from .report import package_versions, started_commit

STATS = ("mean", "p10", "p90")


def sweep_table(swept: list[dict[str, str]], folders: list[Path]) -> pd.DataFrame:
    """One row per run: its swept values, its folder, and each headline figure's mean and 10th and
    90th percentiles across replications (``<kpi>_mean``, ``<kpi>_p10``, ``<kpi>_p90``)."""
    keys = list(dict.fromkeys(k for s in swept for k in s))
    rows = []
    for i, (values, folder) in enumerate(zip(swept, folders), start=1):
        row = {"run": i, **{k: values.get(k, "") for k in keys}, "folder": str(folder)}
        summary = pd.read_csv(Path(folder) / "summary.csv").set_index("kpi")
        for kpi in kpis.present(kpis.HEADLINE, summary.index):
            for s in STATS:
                row[f"{kpi}_{s}"] = summary.loc[kpi, s]
        rows.append(row)
    return pd.DataFrame(rows)


def sweep_markdown(table: pd.DataFrame, swept_keys: list[str], command: str) -> str:
    """The sweep as plain Markdown: the swept values and a few headline figures per run."""
    shown = ["threshold_to_seen_p90", "seen_within_10wd_of_referral_pct", "mash_within_1wd_pct",
             "waiting_for_allocation_mean", "agency_share_pct", "cost"]
    shown = [k for k in shown if f"{k}_mean" in table]
    head = ["run", *swept_keys, *[kpis.label(k) for k in shown]]
    lines = [f"# caseflow sweep: {len(table)} runs", "", f"Command: `{command}`", "",
             "Each figure: mean (10th–90th percentile) across replications, over the forecast horizon.", "",
             "| " + " | ".join(h.replace("|", "\\|") for h in head) + " |",
             "|---|" + "---|" * len(swept_keys) + "---:|" * len(shown)]
    for r in table.itertuples(index=False):
        row = dict(zip(table.columns, r))
        cells = [str(row["run"]), *[str(row[k]) for k in swept_keys]]
        for k in shown:
            unit = "%" if kpis.REGISTRY[k].percent else ""
            cells.append(f"{fmt_number(row[f'{k}_mean'])}{unit} ({fmt_number(row[f'{k}_p10'])}–"
                         f"{fmt_number(row[f'{k}_p90'])})")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_sweep(jobs, swept: list[dict[str, str]], done: dict[int, Path], command: list[str],
                started: dt.datetime) -> Path:
    """Write the combined table of a finished sweep; returns its folder."""
    folders = [done[k] for k in range(len(jobs))]
    table = sweep_table(swept, folders)
    keys = list(dict.fromkeys(k for s in swept for k in s))
    base = Path(jobs[0].cfg.results_dir) / "sweep"
    stamp = started.astimezone().strftime("%Y-%m-%d_%H-%M-%S")
    work = base / f".sweep-{stamp}-{os.getpid()}.partial"
    work.mkdir(parents=True, exist_ok=True)
    try:
        table.round(4).to_csv(work / "sweep.csv", index=False)
        (work / "sweep.md").write_text(sweep_markdown(table, keys, " ".join(command)))
        report = all(job.cfg.report for job in jobs)
        outputs = ["manifest.json", "sweep.csv", "sweep.md"] + (["workbook.xlsx"] if report else [])
        finished = dt.datetime.now(dt.timezone.utc)
        manifest = {"command": list(command), "runs": len(jobs), "swept": keys,
                    "run_folders": [str(f) for f in folders], "seeds": [job.cfg.seed for job in jobs],
                    "started": started.isoformat(timespec="seconds"),
                    "finished": finished.isoformat(timespec="seconds"),
                    "run_seconds": round((finished - started).total_seconds(), 3),
                    "git": started_commit(), "versions": package_versions(),
                    "outputs": sorted(outputs)}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if report:
            from .reports.build import make_reports

            make_reports(work)
        n, final = 1, base / stamp
        while final.exists():
            n += 1
            final = base / f"{stamp}_{n}"
        os.rename(work, final)
        return final
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
