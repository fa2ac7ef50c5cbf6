"""Stopping ``caseflow`` at any moment: SIGINT, SIGTERM and SIGKILL, start-up included.

Each case starts ``caseflow`` as its own process group (replications on two local worker
processes, as by default) and signals it after a delay, from the first instants of start-up
to the middle of the run, the way a terminal (Ctrl-C reaches the whole group), ``kill`` (the
main process only) or the out-of-memory killer (SIGKILL) would.  Then:

- SIGINT and SIGTERM: exit status 130 or 143 (or 0 if the run had already finished), one
  line on standard error and no traceback from any process, no temporary file, no lock, no
  empty hidden folder, no process left, no leaked-semaphore warning;
- SIGKILL: whatever is left on disk is whole parts (and perhaps temporary files);
- every part left is a whole Parquet file, and running the same command again yields the log
  of an uninterrupted run.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.runner import run_replications
from sim.settings import compose_config

ARGS = ["horizon_months=1", "warmup_months=1", "seed=21", "replications=5", "workers=2"]
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


@pytest.fixture(scope="module")
def uninterrupted():
    return run_replications(compose_config([*ARGS, "executor=serial"]))


def _start(tmp_path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from sim.cli import main; main()", *ARGS, *extra,
                             f"results_dir={tmp_path / 'results'}"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _first_part(tmp_path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not list((tmp_path / "results").glob("default/.run-*/events.parquet/rep-*.parquet")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)


def _group_gone(pgid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _parts(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "results").rglob("rep-*.parquet"))


def _resume_and_compare(tmp_path: Path, monkeypatch, uninterrupted) -> None:
    """The same command run again (here, serially) publishes the uninterrupted run's log."""
    monkeypatch.chdir(tmp_path)
    main([*ARGS, "executor=serial", f"results_dir={tmp_path / 'results'}"])
    (out,) = [p for p in (tmp_path / "results" / "default").iterdir() if not p.name.startswith(".")]
    assert pq.read_table(out / "events.parquet").equals(uninterrupted)
    assert not list((tmp_path / "results").rglob("*.tmp"))


@pytest.fixture(scope="module")
def importable() -> float:
    """How long this interpreter takes, on this machine now, to start and import ``sim.cli`` (the
    longest of three): the first moment caseflow can catch a signal.  A signal before it reaches
    Python's own start-up, which no program can answer for; a fixed delay was before it on a
    loaded or slow machine."""
    took = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "import sim.cli"], check=True)
        took.append(time.monotonic() - started)
    return max(took)


# (signal, to the whole group?, when: seconds after start, "start-up" just after caseflow's command
# can catch it (``importable``), or "part" once the first part is written)
CASES = [
    (signal.SIGINT, True, "start-up"), (signal.SIGINT, True, 0.6), (signal.SIGINT, True, 1.5), (signal.SIGINT, True, "part"),
    (signal.SIGTERM, False, 0.3), (signal.SIGTERM, True, 1.2), (signal.SIGTERM, False, "part"),
    (signal.SIGTERM, True, "part"), (signal.SIGHUP, True, "part"),
]


@pytest.mark.parametrize("signum,group,when", CASES,
                         ids=[f"{signal.Signals(s).name}-{'group' if g else 'pid'}-{w}" for s, g, w in CASES])
def test_a_stop_signal_at_any_moment_ends_cleanly_and_resumes(signum, group, when, tmp_path, monkeypatch,
                                                              uninterrupted, importable):
    proc = _start(tmp_path)
    if when == "part":
        _first_part(tmp_path, proc)
    elif when == "start-up":  # in caseflow's first moments: composing, before any replication
        time.sleep(1.5 * importable)
    else:
        time.sleep(when)
    (os.killpg if group else os.kill)(proc.pid, signum)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode in (STATUS[signum], 0), err
    lines = err.strip().splitlines()
    assert "Traceback" not in err and "leaked" not in err, err
    if proc.returncode:
        assert len(lines) == 1 and lines[0].startswith("caseflow: interrupted by "), err
    assert _group_gone(proc.pid), "a worker process outlived caseflow"
    results = tmp_path / "results"
    assert not list(results.rglob("*.tmp")) and not list(results.rglob("lock")), sorted(results.rglob("*"))
    for hidden in results.rglob(".run-*"):
        assert _parts(tmp_path), f"an empty hidden folder was left: {hidden}"
    kept = _parts(tmp_path)
    if proc.returncode and kept:
        assert f"{len(kept)} of 5 replications are kept" in err, err
    for part in kept:
        assert pq.read_table(part).num_rows > 0
    _resume_and_compare(tmp_path, monkeypatch, uninterrupted)


@pytest.mark.parametrize("when", [0.8, "part"])
def test_a_killed_run_leaves_whole_parts_and_resumes(when, tmp_path, monkeypatch, uninterrupted):
    proc = _start(tmp_path)
    if when == "part":
        _first_part(tmp_path, proc)
        time.sleep(0.3)
    else:
        time.sleep(when)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    for part in _parts(tmp_path):
        assert pq.read_table(part).num_rows > 0  # a part that exists is whole
    _resume_and_compare(tmp_path, monkeypatch, uninterrupted)


def test_ctrl_c_during_a_parallel_sweep_ends_every_process(tmp_path):
    """Two short runs and a long one on two processes, stopped once the short ones are written:
    one worker is then idle and the other mid-run.  The count said is the runs published."""
    proc = subprocess.Popen([sys.executable, "-c", "from sim.cli import main; main()", "-m", "hydra/launcher=joblib",
                             "hydra.launcher.n_jobs=2", "horizon_months=1,2,36", "replications=2",
                             f"results_dir={tmp_path / 'results'}"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    published = lambda: [p for p in (tmp_path / "results").glob("default/*") if not p.name.startswith(".")]  # noqa: E731
    deadline = time.monotonic() + 120
    while len(published()) < 2:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    # A worker publishes its run, then sends caseflow the result: the count said is of the results
    # caseflow has, so give the second one a moment to arrive (on a loaded machine it can lag).
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert "Traceback" not in err and len(lines) == 1, err
    assert f"{len(published())} of 3 runs were finished and written" in lines[0], err
    assert _group_gone(proc.pid)
    assert not list((tmp_path / "results").rglob("*.tmp")) and not list((tmp_path / "results").rglob("lock"))


def test_runs_in_one_folder_however_written_share_or_wait(tmp_path, monkeypatch, capsys):
    """results_dir written two ways is one folder: the runs are the same run, not rivals."""
    monkeypatch.chdir(tmp_path)
    main(["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"results_dir={tmp_path / 'r'},{tmp_path / 'r'}/",
          "horizon_months=1", "executor=serial"])
    (only,) = (tmp_path / "r" / "default").iterdir()
    assert "is the same as run 1" in capsys.readouterr().out


def test_a_discarded_run_removes_only_the_folders_it_made(tmp_path):
    from sim.parts import WorkFolder

    (tmp_path / "mine").mkdir()  # a results folder the user made beforehand
    for base, kept in ((tmp_path / "mine" / "default", tmp_path / "mine"), (tmp_path / "a" / "b" / "c", tmp_path)):
        folder = WorkFolder(base, "k")
        folder.open()
        folder.release()
        folder.discard()
        assert kept.is_dir() and list(kept.iterdir()) == ([] if kept.name == "mine" else [tmp_path / "mine"])


def test_identical_runs_in_a_parallel_sweep_share_one_result(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main(["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "seed=5,5", "horizon_months=1",
          "executor=serial", f"results_dir={tmp_path / 'r'}"])
    (only,) = (tmp_path / "r" / "default").iterdir()
    assert not only.name.startswith(".")
    out = capsys.readouterr().out
    assert "Run 2 (seed=5 horizon_months=1 executor=serial" in out and "is the same as run 1" in out
    assert str(only) in out


def _worker_signals() -> tuple[bool, bool, list[int]]:
    import signal as s

    return (s.getsignal(s.SIGINT) is s.SIG_IGN, s.getsignal(s.SIGTERM) is s.SIG_DFL,
            sorted(int(x) for x in s.pthread_sigmask(s.SIG_BLOCK, [])))


def _mask_at_start(queue) -> None:
    import signal as s

    queue.put(sorted(int(x) for x in s.pthread_sigmask(s.SIG_BLOCK, [])))


def test_worker_processes_ignore_ctrl_c_and_start_with_stop_signals_held():
    """The two halves of "no traceback from any process": a worker ignores SIGINT once running
    (caseflow ends it), and a process started inside ``signals.blocked()`` begins with the stop
    signals blocked, so that none strikes while it is still importing."""
    import multiprocessing

    from sim import signals
    from sim.executors import run_on_processes

    seen = []
    run_on_processes(2, _worker_signals, [(), ()], lambda job, result: seen.append(result))
    assert seen == [(True, True, [])] * 2  # SIGINT ignored, SIGTERM default, nothing blocked once started
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    with signals.blocked():
        child = ctx.Process(target=_mask_at_start, args=(queue,))
        child.start()
    mask = queue.get(timeout=60)
    child.join(timeout=60)
    assert {int(s) for s in signals.STOP_SIGNALS} <= set(mask)
