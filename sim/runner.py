"""Replications: run the model once per replication and gather the event logs.

Replication k draws from streams keyed by (seed, k, process), so its log does not depend on
which other replications run, or in what order.
"""
from __future__ import annotations

from typing import Callable, Optional

import pyarrow as pa

from .config import RunConfig, parse_date
from .model import run_replication


def replication_table(cfg: RunConfig, replication: int) -> pa.Table:
    """Replication ``replication``'s event log as an Arrow table."""
    log = run_replication(cfg, replication)
    return log.to_table(replication, parse_date("start_date", cfg.start_date))


def run_replications(cfg: RunConfig, progress: Optional[Callable[[int], None]] = None) -> pa.Table:
    """All replications of ``cfg`` (serially), as one event table."""
    tables = []
    for k in range(cfg.replications):
        tables.append(replication_table(cfg, k))
        if progress:
            progress(k)
    return pa.concat_tables(tables)
