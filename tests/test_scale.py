"""Replications at scale: chunked logs, parts on disk, resuming, Dask, and the precision diagnostic."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats

from sim.cli import main
from sim.config import parse_date
from sim.forecast import PRECISION_KPIS, precision, precision_verdict, replications_needed, summary_from_window
from sim.log import PartWriter
from sim.model import run_replication
from sim.parts import WorkFolder, results_key
from sim.runner import gather, replication_table, run_replications, run_to_folder
from sim.settings import compose_config


def _cfg(*extra):
    return compose_config(["horizon_months=3", "warmup_months=1", "seed=3", *extra])


def test_log_flushed_in_chunks_equals_the_log_held_in_memory(tmp_path):
    cfg = _cfg("flush_events=1000")
    held = []
    writer = PartWriter(tmp_path / "rep.parquet", 0, parse_date("start_date", cfg.start_date))

    def sink(events, first_seq):
        held.append(len(events))
        writer.write(events, first_seq)

    log = run_replication(cfg, 0, sink=sink)
    writer.commit()
    assert len(log.events) == 0 and len(log) == sum(held)
    part = pq.ParquetFile(tmp_path / "rep.parquet")
    assert part.metadata.num_row_groups == len(held) > 5
    table = replication_table(cfg, 0)
    assert pq.read_table(tmp_path / "rep.parquet").equals(table)
    # Memory stays bounded by the flush size: at most one day's events beyond it are ever held
    # (the first chunk also holds the opening caseload, created at once, whatever the horizon).
    # One day's events: the most in any span of one day after the opening instant (a flush is
    # checked once a day).
    t = np.sort(table.column("t").to_numpy())
    t = t[t > t[0]]
    busiest_day = int((np.searchsorted(t, t + 1.0, side="right") - np.arange(len(t))).max())
    assert busiest_day < 1000
    assert max(held[1:]) < 1000 + busiest_day


def test_a_part_is_whole_or_absent(tmp_path):
    cfg = _cfg()
    writer = PartWriter(tmp_path / "rep-00000.parquet", 0, parse_date("start_date", cfg.start_date))
    writer.write(list(run_replication(cfg, 0)), 0)
    assert not (tmp_path / "rep-00000.parquet").exists()  # still under its temporary name
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_interrupted_run_resumes_without_simulating_again(tmp_path):
    cfg = _cfg("replications=4", "executor=serial", f"results_dir={tmp_path}")
    folder = WorkFolder(tmp_path / "default", results_key([cfg]))
    folder.open()

    def stop_after_two(k):
        if k == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_to_folder(cfg, folder, progress=stop_after_two)
    assert folder.done(4) == [0, 1]
    assert not list(folder.path.rglob("*.tmp"))
    results = run_to_folder(cfg, folder)
    assert [r.simulated for r in results] == [False, False, True, True]
    assert pq.read_table(folder.events_dir()).equals(run_replications(cfg))
    # The resumed projections are the same as a fresh run's.
    fresh = WorkFolder(tmp_path / "fresh", results_key([cfg]))
    fresh.open()
    again = run_to_folder(cfg, fresh)
    assert gather(results, "monthly").equals(gather(again, "monthly"))


def test_a_smaller_rerun_publishes_only_its_own_replications(tmp_path):
    import datetime as dt

    from sim.report import write_run

    big = _cfg("replications=3", "executor=serial", f"results_dir={tmp_path}")
    folder = WorkFolder(tmp_path / "default", results_key([big]))
    folder.open()
    run_to_folder(big, folder)
    small = _cfg("replications=2", "executor=serial", f"results_dir={tmp_path}")
    assert results_key([small]) == results_key([big])
    results = run_to_folder(small, folder)
    assert not any(r.simulated for r in results)
    out, _ = write_run(small, folder, results, dt.datetime.now(dt.timezone.utc), {})
    assert pq.read_table(out / "events.parquet").equals(run_replications(small))


def test_results_key_ignores_how_a_run_is_run_but_not_what_it_runs():
    a = _cfg()
    assert results_key([a]) == results_key([_cfg("executor=serial", "workers=3", "replications=9", "flush_events=5000",
                                                 "results_dir=elsewhere", "write_events=false")])
    assert results_key([a]) != results_key([_cfg("seed=4")])
    assert results_key([a]) != results_key([_cfg("service.mash.screening.mean=0.3")])


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_ctrl_c_keeps_whole_parts_and_the_rerun_completes(executor, tmp_path, monkeypatch, capsys):
    """A real SIGINT to a running ``caseflow``: exit 130, only whole parts kept; rerun resumes."""
    args = ["horizon_months=2", "warmup_months=1", "seed=8", "replications=5", f"executor={executor}",
            "workers=2", f"results_dir={tmp_path / 'results'}"]
    proc = subprocess.Popen([sys.executable, "-c", "from sim.cli import main; main()", *args], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "results").glob("default/.run-*/events.parquet/rep-*.parquet")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err and "Traceback" not in err, err
    assert not list((tmp_path / "results").rglob("*.tmp"))
    assert [p.name for p in (tmp_path / "results" / "default").iterdir()][0].startswith(".run-")
    kept = len(list((tmp_path / "results").rglob("rep-*.parquet")))
    assert 1 <= kept < 5
    assert f"{kept} of 5 replications are kept" in err  # nothing was written after the count
    time.sleep(1.5)
    assert len(list((tmp_path / "results").rglob("rep-*.parquet"))) == kept

    monkeypatch.chdir(tmp_path)
    main(args)
    assert "resuming" in capsys.readouterr().err
    (out,) = [p for p in (tmp_path / "results" / "default").iterdir()]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["replications_resumed"] == kept
    cfg = compose_config(args)
    assert pq.read_table(out / "events.parquet").equals(run_replications(cfg))


def test_dask_local_cluster_gives_the_same_logs_as_serial():
    """A real local Dask cluster with two worker processes, against a serial run."""
    serial = run_replications(_cfg("replications=3", "executor=serial"))
    on_dask = run_replications(_cfg("replications=3", "executor=dask", "workers=2"))
    assert on_dask.equals(serial)


def test_replications_needed_meets_the_target_and_no_fewer_would():
    rng = np.random.default_rng(1)
    for sd, mean in [(10.0, 100.0), (3.0, 20.0), (1.0, 200.0), (40.0, 100.0)]:
        n = replications_needed(10, sd, mean)
        half = lambda k: stats.t.ppf(0.975, k - 1) * sd / np.sqrt(k)  # noqa: E731
        assert half(n) <= 0.05 * mean
        assert n == 2 or half(n - 1) > 0.05 * mean
    x = rng.normal(100, 10, 20)
    p = precision(x)
    half = stats.t.ppf(0.975, 19) * x.std(ddof=1) / np.sqrt(20)
    assert p["ci95_rel_pct"] == pytest.approx(100 * half / x.mean())
    assert p["enough"] == 1.0 and p["replications_needed"] < 20
    assert np.isnan(precision(np.array([0.0, 1.0, -1.0]))["enough"])  # 5% of a zero mean: not judged
    assert precision(np.array([5.0, 5.0]))["enough"] == 1.0


def test_verdict_names_the_figure_that_needs_most_replications():
    rng = np.random.default_rng(2)
    per_rep = {k: rng.normal(100, 1, 5) for k in PRECISION_KPIS}
    per_rep["threshold_to_seen_p90"] = rng.normal(10, 5, 5)  # far too noisy for 5 replications
    import pandas as pd

    from sim.forecast import HEADLINE
    frame = pd.DataFrame({k: per_rep.get(k, rng.normal(50, 1, 5)) for k in HEADLINE})
    summary = summary_from_window(frame)
    text = precision_verdict(summary, 5)
    assert f"for {len(PRECISION_KPIS) - 1} of {len(PRECISION_KPIS)} headline figures" in text
    assert "90th percentile" in text and "more" in text


def test_the_cli_says_whether_replications_are_enough(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main(["horizon_months=1", "replications=3", "executor=serial", f"results_dir={tmp_path / 'r'}"])
    out = capsys.readouterr().out
    assert "Replications: 3 give a 95% CI within 5% of the mean for" in out
    (run,) = (tmp_path / "r" / "default").iterdir()
    import pandas as pd

    summary = pd.read_csv(run / "summary.csv")
    assert {"ci95_rel_pct", "enough", "replications_needed"} <= set(summary.columns)



def test_one_run_per_configuration_at_a_time_and_no_stale_locks(tmp_path):
    from sim.parts import RunBusy

    first = WorkFolder(tmp_path, "k")
    first.open()
    with pytest.raises(RunBusy):
        WorkFolder(tmp_path, "k").open()
    first.release()
    WorkFolder(tmp_path, "k").open()  # free again once released
    # A holder killed outright (kill -9) leaves a lock file, but no lock.
    code = (f"from sim.parts import WorkFolder; import os, signal; WorkFolder({str(tmp_path)!r}, 'dead').open(); "
            "os.kill(os.getpid(), signal.SIGKILL)")
    subprocess.run([sys.executable, "-c", code], check=False)
    assert (tmp_path / ".run-dead.partial" / "lock").exists()
    WorkFolder(tmp_path, "dead").open()


def test_worker_processes_end_when_caseflow_is_killed_outright(tmp_path):
    args = ["horizon_months=24", "replications=6", "executor=processes", "workers=2", f"results_dir={tmp_path}"]
    proc = subprocess.Popen([sys.executable, "-c", "from sim.cli import main; main()", *args], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        found = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "spawn_main"], capture_output=True, text=True)
        workers = [int(p) for p in found.stdout.split()]
        time.sleep(0.1)
    time.sleep(1.0)  # let them start on a replication
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{p}") and "Z" not in open(f"/proc/{p}/stat").read().split()[2] for p in workers):
        assert time.monotonic() < deadline, "worker processes outlived caseflow"
        time.sleep(0.2)


def test_caseflow_on_a_local_dask_cluster_publishes_the_serial_run(tmp_path, monkeypatch):
    """The whole command on executor=dask: parts written by the Dask workers, same log as serial."""
    monkeypatch.chdir(tmp_path)
    args = ["horizon_months=2", "warmup_months=1", "seed=12", "replications=3"]
    main([*args, "executor=dask", "workers=2", f"results_dir={tmp_path / 'r'}"])
    (out,) = (tmp_path / "r" / "default").iterdir()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["executor"] == "dask" and manifest["replications_resumed"] == 0
    assert pq.read_table(out / "events.parquet").equals(run_replications(_cfg(*args, "executor=serial")))


def test_stopped_after_the_run_is_written_it_says_so_and_keeps_the_folder(tmp_path, capsys):
    """A signal while the summary prints (after publishing) must not claim nothing was written."""
    from sim.commands.run_folder import working_in

    folder = WorkFolder(tmp_path / "default", "k")
    with pytest.raises(SystemExit) as ended:
        with working_in(folder, 1):
            (folder.path / "forecast.csv").write_text("x\n")
            folder.publish("2026-01-01_00-00-00")
            raise KeyboardInterrupt
    assert ended.value.code == 130
    err = capsys.readouterr().err
    assert "after the run was written: Results:" in err and "2026-01-01_00-00-00" in err
    assert (tmp_path / "default" / "2026-01-01_00-00-00" / "forecast.csv").is_file()
