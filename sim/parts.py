"""A run's event log on disk while it runs: one Parquet part per replication, resumable.

A run works in a hidden folder named after what determines its results (the configuration,
less the settings that only say where and how fast to run, and the model's source code):

    <results_dir>/<scenario>/.run-<key>.partial/
        lock                          held (flock) by the process working in it: one run at a time
        events.parquet/rep-00007.parquet   replication 7's log, complete, or absent

Each part is written under a temporary name and renamed when complete, so a part that exists
is whole.  Rerunning an interrupted run finds the same folder and keeps the parts already
there.  When every replication is in, the tables are added and the folder is renamed to its
timestamp: ``events.parquet`` is then a Parquet dataset (a folder) that pandas and pyarrow
read as one table.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
from pathlib import Path

from .config import RunConfig, to_plain

# Settings that change where or how fast a run goes, not its results.
NOT_RESULTS = ("executor", "workers", "scheduler", "results_dir", "write_events", "replications", "flush_events",
               "report")
EVENTS_DIR = "events.parquet"
PART = re.compile(r"rep-(\d{5,})\.parquet")


class RunBusy(Exception):
    """Another live process is working in the same run folder."""


def model_fingerprint() -> str:
    """A hash of caseflow's own source files: parts from other model code are never reused."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def simulation_versions() -> dict[str, str]:
    """Python and the packages a replication's log depends on (random draws, event order, bank holidays, Parquet)."""
    import platform

    import holidays
    import numpy
    import pyarrow
    import simpy

    return {"python": platform.python_version(), "numpy": numpy.__version__, "simpy": simpy.__version__,
            "pyarrow": pyarrow.__version__, "holidays": holidays.__version__}


def results_key(cfgs: list[RunConfig]) -> str:
    """Twelve hex digits naming what the run's logs depend on: configuration, code, versions."""
    plain = []
    for cfg in cfgs:
        d = to_plain(cfg)
        for k in NOT_RESULTS:
            d.pop(k, None)
        if cfg.start_from is not None:  # the records, not where they are, are what the logs depend on
            from .extracts.reader import digest

            d["start_from"] = digest(Path(cfg.start_from))
        plain.append(d)
    text = json.dumps({"configs": plain, "model": model_fingerprint(), "simulation": simulation_versions()},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def part_name(replication: int) -> str:
    return f"rep-{replication:05d}.parquet"


class WorkFolder:
    """The hidden folder a run (or a comparison) works in until it is complete."""

    def __init__(self, base: Path, key: str, prefix: str = "run") -> None:
        self.base = Path(base)
        self.path = self.base / f".{prefix}-{key}.partial"
        self.lock = self.path / "lock"
        self._lock_handle = None
        self._created: list[Path] = []
        self.published: Path | None = None

    def events_dir(self, label: str | None = None) -> Path:
        """Where the parts go: ``events.parquet/``, or ``scenarios/<label>/events.parquet/``."""
        return self.path / EVENTS_DIR if label is None else self.path / "scenarios" / label / EVENTS_DIR

    def open(self) -> None:
        """Create or reopen the folder, lock it, and remove any temporary file a killed run left."""
        created, p = [], self.path
        while not p.exists() and p.parent != p:
            created.append(p)
            p = p.parent
        self._created = created  # the folders this run makes, innermost first: discard() removes only these
        self.path.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        self.clean_temporaries()

    def written(self, label: str | None = None) -> dict[int, Path]:
        """Every whole part in the folder: replication -> file (a listing, however many replications
        the run asks for, so that it takes no time to answer)."""
        out: dict[int, Path] = {}
        try:
            entries = list(os.scandir(self.events_dir(label)))
        except OSError:
            return out
        for entry in entries:
            m = PART.fullmatch(entry.name)
            if m and entry.is_file():
                out[int(m.group(1))] = Path(entry.path)
        return out

    def done(self, replications: int, label: str | None = None) -> list[int]:
        """Replications below ``replications`` whose part is already written."""
        return sorted(k for k in self.written(label) if k < replications)

    def prune(self, replications: int, label: str | None = None) -> None:
        """Delete parts numbered ``replications`` or more (left by an earlier, larger run)."""
        for k, part in self.written(label).items():
            if k >= replications:
                part.unlink()

    def clean_temporaries(self) -> None:
        """Delete parts still under their temporary names (never whole)."""
        for tmp in self.path.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    def release(self) -> None:
        """Let go of the folder: the lock file goes, and the lock with its handle."""
        self.lock.unlink(missing_ok=True)
        handle, self._lock_handle = self._lock_handle, None
        if handle is not None:
            handle.close()

    def discard(self) -> None:
        """Delete the folder, and the folders above it that this run created, if that leaves them
        empty (a results folder the user made beforehand stays)."""
        shutil.rmtree(self.path, ignore_errors=True)
        for parent in self._created[1:]:
            try:
                parent.rmdir()
            except OSError:
                break

    def publish(self, name: str) -> Path:
        """Rename the finished folder to ``<base>/<name>`` (``_2``, ``_3`` … if taken)."""
        self.clean_temporaries()
        n = 1
        while True:
            final = self.base / (name if n == 1 else f"{name}_{n}")
            if not final.exists():
                try:
                    os.rename(self.path, final)  # still holding the lock: nobody else is inside
                    break
                except OSError:
                    if not final.exists():
                        raise
            n += 1
        self.published = final
        self.lock = final / "lock"
        self.release()
        return final

    def _take_lock(self) -> None:
        """An exclusive ``flock`` on ``lock``: the system drops it when its holder dies, however
        it dies, so a lock is never stale.  (Advisory and per host: on network storage shared by
        several computers it may not hold; one run per configuration per results_dir is safe.)"""
        handle = open(self.lock, "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RunBusy(f"another caseflow process ({holder}) is running this configuration in "
                          f"{self.path}: wait for it to finish, or stop it") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{socket.gethostname()} pid {os.getpid()}")
        handle.flush()
        self._lock_handle = handle
