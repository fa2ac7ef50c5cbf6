"""Replications: run the model once per replication, write its log, project its KPIs.

Replication k draws from streams keyed by (seed, k, process), so its log does not depend on
which other replications run, in what order, or where (``sim.executors``).

Two ways to run:

- ``run_replications(cfg)``: every replication's log as one Arrow table in memory (for tests,
  notebooks and short runs);
- ``run_to_folder(cfg, folder)``: what ``caseflow`` does.  Each replication's log is flushed in
  chunks to its own Parquet part (so memory does not grow with the horizon), then read back
  and projected into that replication's KPIs, on the same worker.  Parts already written by
  an interrupted run are only projected, not simulated again.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .config import RunConfig, parse_date
from .executors import execute
from .log import PartWriter
from .model import run_replication
from .parts import WorkFolder, part_name
from .projections import events_frame

Progress = Optional[Callable[[int], None]]
WHAT = ("forecast", "compare", "validate")


def replication_table(cfg: RunConfig, replication: int) -> pa.Table:
    """Replication ``replication``'s event log as an Arrow table."""
    log = run_replication(cfg, replication)
    return log.to_table(replication, parse_date("start_date", cfg.start_date))


def run_replications(cfg: RunConfig, progress: Progress = None) -> pa.Table:
    """All replications of ``cfg`` as one event table, in replication order, on ``cfg.executor``."""
    done: dict[int, pa.Table] = {}

    def keep(job: tuple, table: pa.Table) -> None:
        done[job[1]] = table
        if progress:
            progress(job[1])

    execute(cfg, replication_table, [(cfg, k) for k in range(cfg.replications)], keep)
    return pa.concat_tables([done[k] for k in range(cfg.replications)])


@dataclass
class ReplicationKPIs:
    """One replication's projections: small frames, cheap to send back from a worker."""

    replication: int
    events: int
    simulated: bool           # False: its part was already on disk (a resumed run)
    frames: dict[str, pd.DataFrame]


def project(cfg: RunConfig, df: pd.DataFrame, what: str) -> dict[str, pd.DataFrame]:
    """The KPI frames a forecast (``monthly``, ``horizon``), a comparison (``periods``) or a validation
    (``published``: the DfE figures of the reporting year, ``sim.projections.published``) needs."""
    from .forecast import log_views, monthly, warmup_series, window_kpis

    if what not in WHAT:
        raise ValueError(f"what must be one of {WHAT}, not {what!r}")
    if what == "validate":  # caseflow validate: the run starts on 1 April of year Y-1
        from .projections.published import published_figures, reporting_year

        start = parse_date("start_date", cfg.start_date)
        return {"published": published_figures(df, reporting_year(start.year + 1, start))}
    if what == "forecast":
        views = log_views(df, cfg)
        return {"monthly": monthly(df, cfg, views), "horizon": window_kpis(df, cfg, views=views),
                "warmup": warmup_series(df, cfg, views)}
    from .compare import scenario_kpis

    views = log_views(df, cfg)  # compare: the periods' figures and each scenario's monthly table
    return {"periods": scenario_kpis(df, cfg, views), "monthly": monthly(df, cfg, views)}


def project_part(cfg: RunConfig, replication: int, events_dir: str, what: str,
                 simulated: bool = False) -> ReplicationKPIs:
    """Read replication ``replication``'s part back and project its KPIs."""
    table = pq.read_table(Path(events_dir) / part_name(replication))
    return ReplicationKPIs(replication, table.num_rows, simulated, project(cfg, events_frame(table), what))


def write_part(cfg: RunConfig, replication: int, events_dir: str, keep: bool = False) -> PartWriter:
    """Simulate one replication straight into its Parquet part (flushed in chunks, renamed when
    whole); the writer, which with ``keep`` still holds what it wrote."""
    path = Path(events_dir) / part_name(replication)
    writer = PartWriter(path, replication, parse_date("start_date", cfg.start_date), keep=keep)
    try:
        run_replication(cfg, replication, sink=writer.write)
        writer.commit()
        return writer
    except BaseException:
        writer.abort()
        raise


def simulate_part(cfg: RunConfig, replication: int, events_dir: str, what: str) -> ReplicationKPIs:
    """Simulate one replication into its Parquet part, then project its KPIs (from the chunks
    as written, the same table as the part read back)."""
    table = write_part(cfg, replication, events_dir, keep=True).table()
    return ReplicationKPIs(replication, table.num_rows, True, project(cfg, events_frame(table), what))


def run_to_folder(cfg: RunConfig, folder: WorkFolder, what: str = "forecast", label: str | None = None,
                  progress: Progress = None) -> list[ReplicationKPIs]:
    """Every replication's KPIs, in replication order; each log ends up as a part in ``folder``.

    Replications whose part is already there (from an interrupted run of the same
    configuration) are projected from it, not simulated again.
    """
    events_dir = folder.events_dir(label)
    events_dir.mkdir(parents=True, exist_ok=True)
    written = set(folder.done(cfg.replications, label))
    jobs = [(cfg, k, str(events_dir), what) for k in range(cfg.replications)]
    out: dict[int, ReplicationKPIs] = {}

    def keep(job: tuple, result: ReplicationKPIs) -> None:
        out[result.replication] = result
        if progress:
            progress(result.replication)

    # Projecting a written part is one task like simulating one: both run on the workers.
    execute(cfg, _simulate_or_project, [(*job, job[1] in written) for job in jobs], keep)
    return [out[k] for k in range(cfg.replications)]


def _simulate_or_project(cfg: RunConfig, replication: int, events_dir: str, what: str,
                         written: bool) -> ReplicationKPIs:
    if written:
        return project_part(cfg, replication, events_dir, what)
    return simulate_part(cfg, replication, events_dir, what)


def gather(results: list[ReplicationKPIs], name: str) -> pd.DataFrame:
    """One KPI frame over all replications (e.g. ``gather(results, "monthly")``)."""
    return pd.concat([r.frames[name] for r in results], ignore_index=True)
