"""``caseflow [key=value ...]``: one forecast; with ``-m``, a sweep of them.

Every run the command line describes is composed and validated, and every output folder
checked, before the first one starts: a bad input stops the command with nothing written.
In a sweep, runs whose configurations are identical are run once and share one result; runs
that would work in the same folder (the same configuration but for how many replications,
say) run one after another, never at once.

What only running needs (the model, pandas, the tables and the report) is imported when a run
starts, not with this module: ``caseflow --cfg job`` and a bad setting answer without it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import re
import signal
import sys
from pathlib import Path

from .. import signals
from ..config import to_plain
from ..inputs import InputError
from ..inputs.command_line import CommandLine, checking_order, options
from ..inputs.compose import Composed, compose_job
from ..inputs.folders import check_results_dir
from ..parts import WorkFolder, results_key
from .run_folder import progress_bars, say_resuming, working_in


def main(cmd: CommandLine, typed: list[str]) -> None:
    """Compose every run, check where they write, then run them (or print them, ``--cfg job``)."""
    values = options(cmd)
    settings = [list(combo) for combo in itertools.product(*values)]
    n_jobs = cmd.n_jobs()
    launcher = [s for s in cmd.parsed() if s.kind in ("launcher", "n_jobs")]
    if launcher and not cmd.multirun:
        raise InputError(f"The setting '{launcher[0].typed}' chooses how a sweep runs: add -m to run a sweep")
    composed: dict[int, Composed] = {}
    for k in checking_order([len(v) for v in values]):
        try:
            composed[k] = compose_job(settings[k])
        except ValueError as e:  # InputError, ConfigError: name the run of a sweep that is at fault
            if len(settings) == 1:
                raise
            raise InputError(f"In run {k + 1} of the sweep ({' '.join(settings[k]) or 'no settings'}): {e}") from None
    jobs = [composed[k] for k in range(len(settings))]
    if cmd.show:
        import yaml

        for k, job in enumerate(jobs):
            if len(jobs) > 1:
                print(f"# run {k + 1} of {len(jobs)}: {' '.join(job.settings)}")
            print(yaml.safe_dump(to_plain(job.cfg), sort_keys=False), end="")
        return
    for results_dir in dict.fromkeys(job.cfg.results_dir for job in jobs):
        check_results_dir(results_dir)
    command = ["caseflow", *typed]
    if len(jobs) == 1 and not cmd.multirun:
        run_forecast(jobs[0], command)
    else:
        run_sweep(jobs, n_jobs, command, [len(v) for v in values])


def run_forecast(job: Composed, command: list[str], quiet: bool = False,
                 swept: dict[str, str] | None = None) -> tuple[Path, object]:
    """Run (or resume) every replication, publish the output folder, print the summary.

    ``swept``: in a sweep, this run's swept settings (key -> value), which name its folder and
    head its summary."""
    from ..report import print_summary, write_run
    from ..runner import run_to_folder

    cfg = job.cfg
    from ..report import started_commit

    started_commit()  # the code this run is, before it runs
    started = dt.datetime.now(dt.timezone.utc)
    folder = WorkFolder(Path(cfg.results_dir) / cfg.scenario.name, results_key([cfg]))
    with working_in(folder, cfg.replications, quiet=quiet):
        if not quiet:
            for note in job.notes:  # what starting from the records assumed
                print(f"caseflow: {note}")
            say_resuming(folder, cfg.replications)
        with progress_bars(quiet) as bars:
            task = bars.add_task(f"{cfg.scenario.name}: replications", total=cfg.replications)
            results = run_to_folder(cfg, folder, progress=lambda k: bars.advance(task))
        with signals.deferred():
            where, summary = write_run(cfg, folder, results, started, {"command": command, **job.record(),
                                                              "assumptions": job.assumptions(),
                                                              "label": sweep_label(swept), "swept": swept})
        if not quiet:  # still inside: stopped while printing, it says the run was written, and where
            print_summary(summary, cfg, where, swept)
    return where, summary


# ---------------------------------------------------------------- sweeps


def plan(jobs: list[Composed]) -> tuple[list[list[int]], dict[int, int]]:
    """Groups of runs that must not run at once (they share a work folder), and the runs that
    are identical to an earlier one (run -> the run whose result it shares)."""
    first: dict[tuple, int] = {}
    same: dict[int, int] = {}
    groups: dict[tuple, list[int]] = {}
    for k, job in enumerate(jobs):
        cfg = job.cfg
        # The folder it works in (results_dir however it is written), and what it publishes there:
        # how it is run (executor, workers, flush_events) changes neither.
        folder = (str(Path(cfg.results_dir).resolve()), cfg.scenario.name, results_key([cfg]))
        result = (folder, cfg.replications, cfg.write_events)
        if result in first:
            same[k] = first[result]
            continue
        first[result] = k
        groups.setdefault(folder, []).append(k)
    return list(groups.values()), same


def swept_settings(jobs: list[Composed], lengths: list[int]) -> list[dict[str, str]]:
    """Each run's swept settings (key -> value as typed), in sweep order: the settings that take
    more than one value."""
    out = []
    for job in jobs:
        pairs = [s.split("=", 1) for s, n in zip(job.settings, lengths) if n > 1 and "=" in s]
        out.append({k.lstrip("+~"): v for k, v in pairs})
    return out


def sweep_label(swept: dict[str, str] | None) -> str | None:
    """A run folder's suffix naming its swept values: ``seed-2_scenario-default``."""
    if not swept:
        return None
    text = "_".join(f"{k}-{v}" for k, v in swept.items())
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text)[:120].strip("-_.") or None


def run_sweep(jobs: list[Composed], n_jobs: int, command: list[str], lengths: list[int]) -> None:
    """Every run of a sweep, ``n_jobs`` at a time; identical runs once; then the combined table.
    ``lengths``: how many values each setting takes (a setting with more than one is swept)."""
    from ..report import started_commit

    started_commit()  # the code this run is, before it runs
    started = dt.datetime.now(dt.timezone.utc)
    groups, same = plan(jobs)
    swept = swept_settings(jobs, lengths)
    done: dict[int, Path] = {}
    parallel = min(n_jobs, len(groups))
    if parallel > 1:
        _in_parallel(jobs, groups, parallel, command, done, swept)
    else:
        for group in groups:
            for k in group:
                print(f"Run {k + 1} of {len(jobs)}: {' '.join(jobs[k].settings) or 'no settings'}")
                done[k], _ = run_forecast(jobs[k], command, swept=swept[k])
    for k, original in sorted(same.items()):
        print(f"Run {k + 1} ({' '.join(jobs[k].settings)}) is the same as run {original + 1}: it shares its "
              f"results, {done[original]}")
        done[k] = done[original]
    from ..sweeps import write_sweep

    with signals.deferred():
        where = write_sweep(jobs, swept, done, command, started)
    print(f"Sweep table: {where}")


def _in_parallel(jobs: list[Composed], groups: list[list[int]], parallel: int, command: list[str],
                 done: dict[int, Path], swept: list[dict[str, str]]) -> None:
    """The runs on ``parallel`` local processes, one run a task; the runs of a group (which share a
    work folder) one after another, each started when the one before it has finished."""
    from ..executors import run_on_processes
    from ..report import print_summary

    cores = os.cpu_count() or 1
    # Each run's own replications share the cores with the other runs going at once.
    share = {k: dataclasses.replace(jobs[k], cfg=_with_workers(jobs[k].cfg, max(1, cores // parallel)))
             for group in groups for k in group}
    after = {group[i]: group[i + 1] for group in groups for i in range(len(group) - 1)}
    with progress_bars() as bars:
        task = bars.add_task("sweep: runs", total=sum(len(g) for g in groups))

        def finished(_job, result) -> list[tuple]:
            k, where, summary = result
            done[k] = where
            print(f"Run {k + 1} of {len(jobs)}: {' '.join(jobs[k].settings) or 'no settings'}")
            print_summary(summary, jobs[k].cfg, where, swept[k])
            bars.advance(task)
            return [(after[k], share[after[k]], command, swept[after[k]])] if k in after else []

        try:
            run_on_processes(parallel, _sweep_run, [(g[0], share[g[0]], command, swept[g[0]]) for g in groups],
                             finished)
        except KeyboardInterrupt:
            stop = signals.interruption() or signals.Interrupted()
            print(f"caseflow: interrupted by {stop.what}; {len(done)} of {len(jobs)} runs were finished and written "
                  "(listed above); the others keep the replications they finished: the same command run again "
                  "resumes them (and runs the finished ones again).", file=sys.stderr)
            raise SystemExit(stop.exit_status) from None


def _with_workers(cfg, workers: int):
    if cfg.executor == "processes" and cfg.workers == 0:
        return dataclasses.replace(cfg, workers=workers)
    return cfg


def _sweep_run(k: int, job: Composed, command: list[str], swept: dict[str, str]) -> tuple[int, Path, object]:
    """In a worker process: one run of a sweep, quietly.

    Ended with SIGTERM by the sweep (after Ctrl-C), it keeps whole parts, removes temporary
    files and the lock, and exits at once.  Between runs the worker keeps SIGTERM's default
    (it simply ends), so an idle worker prints nothing.
    """
    replaced = signals.install((signal.SIGTERM,))
    try:
        where, summary = run_forecast(job, command, quiet=True, swept=swept)
    except SystemExit as e:
        os._exit(e.code if isinstance(e.code, int) else 1)
    except KeyboardInterrupt:
        os._exit((signals.interruption() or signals.Interrupted()).exit_status)
    finally:
        signals.restore(replaced)
    return k, where, summary
