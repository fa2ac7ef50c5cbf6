"""Replications: run the model once per replication and gather the event logs.

Replication k draws from streams keyed by (seed, k, process), so its log does not depend on
which other replications run, or in what order.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Optional

import pyarrow as pa

from .config import RunConfig, parse_date
from .model import run_replication


def replication_table(cfg: RunConfig, replication: int) -> pa.Table:
    """Replication ``replication``'s event log as an Arrow table."""
    log = run_replication(cfg, replication)
    return log.to_table(replication, parse_date("start_date", cfg.start_date))


def worker_count(cfg: RunConfig) -> int:
    """Processes to use: ``workers``, or every core, never more than there are replications."""
    return max(1, min(cfg.workers or os.cpu_count() or 1, cfg.replications))


def run_replications(cfg: RunConfig, progress: Optional[Callable[[int], None]] = None) -> pa.Table:
    """All replications of ``cfg`` as one event table, in replication order.

    ``executor=processes`` runs one replication per task on local processes; the logs are the
    same as a serial run's, because each replication's streams depend only on (seed, k).
    """
    n = cfg.replications
    if cfg.executor == "serial" or worker_count(cfg) == 1:
        tables = []
        for k in range(n):
            tables.append(replication_table(cfg, k))
            if progress:
                progress(k)
        return pa.concat_tables(tables)
    done: dict[int, pa.Table] = {}
    # "spawn": fresh interpreters, safe beside the progress bar's thread (fork is not).
    with ProcessPoolExecutor(max_workers=worker_count(cfg), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(replication_table, cfg, k): k for k in range(n)}
        try:
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                if progress:
                    progress(futures[future])
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return pa.concat_tables([done[k] for k in range(n)])
