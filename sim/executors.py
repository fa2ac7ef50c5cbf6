"""Where replications run: in this process, on local processes, or on a Dask cluster.

Each executor calls one function per job and hands each result back as soon as it is ready
(in whatever order jobs finish).  Which executor ran a replication never changes its log: the
log depends only on the configuration and the replication's streams, keyed (seed, k, process).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Sequence

from . import signals
from .config import ConfigError, RunConfig

Job = tuple
OnResult = Callable[[Job, Any], Any]  # may return follow-up jobs (run_on_processes)
DASK_CONNECT_SECONDS = 20
STOP_SECONDS = 10  # a worker ended with SIGTERM gets this long before SIGKILL


def worker_count(cfg: RunConfig, jobs: int) -> int:
    """Processes to use: ``workers``, or every core, never more than there are jobs."""
    return max(1, min(cfg.workers or os.cpu_count() or 1, jobs))


def execute(cfg: RunConfig, fn: Callable[..., Any], jobs: Sequence[Job], on_result: OnResult) -> None:
    """Call ``fn(*job)`` for every job on ``cfg.executor``; ``on_result(job, result)`` as each ends.

    An exception in a job, or Ctrl-C, cancels the jobs not yet started and is raised here.
    """
    if not jobs:
        return
    if cfg.executor == "dask":
        return _on_dask(cfg, fn, jobs, on_result)
    if cfg.executor == "serial" or worker_count(cfg, len(jobs)) == 1:
        for job in jobs:
            on_result(job, fn(*job))
        return
    _on_processes(cfg, fn, jobs, on_result)


def _on_processes(cfg: RunConfig, fn: Callable[..., Any], jobs: Sequence[Job], on_result: OnResult) -> None:
    run_on_processes(worker_count(cfg, len(jobs)), fn, jobs, on_result)


def run_on_processes(count: int, fn: Callable[..., Any], jobs: Sequence[Job], on_result: OnResult) -> None:
    """``fn(*job)`` for every job on ``count`` fresh local processes; results as they finish.

    ``on_result`` may return further jobs, which are submitted at once (a chain of jobs that
    must run one after another).  The workers start with the stop signals blocked (so none is
    cut short while it starts) and then ignore Ctrl-C: caseflow alone handles it, ending them
    (``sim.signals``).
    """
    # "spawn": fresh interpreters, safe beside the progress bar's thread (fork is not).
    context = multiprocessing.get_context("spawn")
    _start_resource_tracker()
    pool = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_worker_start,
                               initargs=(os.getpid(),))
    pending: dict = {}
    try:
        with signals.blocked():  # the workers start inside submit()
            pending = {pool.submit(fn, *job): job for job in jobs}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                job = pending.pop(future)
                for follow in on_result(job, future.result()) or ():
                    with signals.blocked():
                        pending[pool.submit(fn, *follow)] = follow
    except BaseException:
        # A job that finished before the stop but had not been handed on yet still counts (a
        # sweep's run already published): hand it on, without starting what would follow it.
        with signals.deferred(raise_after=False):
            for future, job in list(pending.items()):
                if future.done() and not future.cancelled() and future.exception() is None:
                    on_result(job, future.result())
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _close_half_made_clusters() -> None:
    """Close, quietly, the clusters a failed start left registered (workers killed by a signal to
    the process group): otherwise Dask tries at exit and prints tracebacks."""
    from distributed.deploy.spec import SpecCluster

    for cluster in list(SpecCluster._instances):
        try:
            cluster.close(timeout=5)
        except BaseException:  # noqa: BLE001 - it is broken; all that matters is that it goes
            pass
        SpecCluster._instances.discard(cluster)


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with every stop signal held: on its own it holds
    back only SIGINT and SIGTERM, so SIGHUP to the group (a closed terminal) killed it, and its
    relaunch printed warnings and tracebacks."""
    from multiprocessing import resource_tracker

    with signals.blocked():
        resource_tracker.ensure_running()


def _worker_start(parent: int) -> None:
    signals.in_worker()
    _end_with_parent(parent)


def _end_with_parent(parent: int) -> None:
    """In each worker: exit if caseflow itself is gone (killed outright, e.g. ``kill -9``).

    Without this a worker outlives it, finishes the replications already handed to it and then
    waits forever.  A worker ended mid-replication leaves only a temporary file, which the next
    run of the configuration removes.
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="caseflow-parent-watch", daemon=True).start()


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop now: cancel what is queued and end the workers' current replications.

    A worker that merely sees the cancellation still runs the tasks already handed to it, and
    would go on writing parts after caseflow has said what it kept.  Python 3.11 has no public
    way to end them (3.14 adds ``terminate_workers``), hence the pool's process table.  Killed
    mid-replication, a worker leaves at most a temporary file, which the caller removes.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join(timeout=STOP_SECONDS)


def _on_dask(cfg: RunConfig, fn: Callable[..., Any], jobs: Sequence[Job], on_result: OnResult) -> None:
    """On the scheduler at ``cfg.scheduler``, or on a local cluster of ``workers`` processes.

    Workers need caseflow installed; with a remote cluster, ``results_dir`` must be on storage
    every worker can write to (each worker writes its replications' Parquet parts there).
    """
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise ConfigError("executor", "is dask but the 'distributed' package is not installed") from None
    cluster = None
    if cfg.scheduler:
        try:
            client = Client(cfg.scheduler, timeout=f"{DASK_CONNECT_SECONDS}s")
        except (OSError, TimeoutError) as e:
            raise ConfigError("scheduler", f"is {cfg.scheduler} but no Dask scheduler answered there "
                                           f"within {DASK_CONNECT_SECONDS} s ({type(e).__name__})") from None
    else:
        # One single-threaded worker process per core: replications are pure Python (the GIL).
        # The workers are started ignoring SIGINT: Ctrl-C is caseflow's to handle (it closes the
        # cluster); otherwise each worker prints its own KeyboardInterrupt traceback.
        # Ctrl-C and SIGHUP are held back meanwhile (not ignored: a signal ignored here could be
        # taken by another thread and lost) and raised once the cluster is up; the worker
        # processes inherit them held, so caseflow alone handles them.
        # A signal in the middle of the start would leave a half-made cluster behind (Dask then
        # fails to close it at exit, with tracebacks), so the start is not cut in two.
        _start_resource_tracker()
        with signals.deferred(), signals.blocked((signal.SIGINT, signal.SIGHUP)):
            try:
                cluster = LocalCluster(n_workers=worker_count(cfg, len(jobs)), threads_per_worker=1,
                                       processes=True, dashboard_address=None, silence_logs=logging.CRITICAL)
            except BaseException:
                _close_half_made_clusters()
                raise
        client = Client(cluster)
    try:
        # pure=False: never let Dask merge two submissions as "the same" task.
        futures = {}
        for job in jobs:
            futures[client.submit(fn, *job, pure=False)] = job
        try:
            for future in dask_completed(list(futures)):
                on_result(futures[future], future.result())
        except BaseException:
            client.cancel(list(futures))
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
