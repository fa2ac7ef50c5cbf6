"""``caseflow synth-extract out=<folder> [contacts_per_year=N] [years=6] [seed=S] [end=YYYY-MM-DD]
[service=NAME] [scenario=NAME]``: a fictional council's Standard Safeguarding Dataset extract.

Runs one replication of the service (the default, or ``service=``), scaled to
``contacts_per_year``, from its steady state for ``years`` years to ``end``, and writes its log as
the SSD tables a council would extract, roughened as real extracts are (``sim.extracts.synthetic``),
with a ``roster.csv``, a ``README.txt`` saying it is fictional and a ``manifest.json``.  The folder
must be new or empty; it is written beside and renamed, so a stopped run leaves nothing.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path
from typing import Sequence

from ..inputs import InputError
from ..inputs.errors import did_you_mean, shown

USAGE = """usage: caseflow synth-extract out=FOLDER [contacts_per_year=N] [years=6] [seed=S] [end=YYYY-MM-DD]
                              [service=NAME] [scenario=NAME]

Writes a realistic, entirely fictional Standard Safeguarding Dataset extract (ssd_*.csv, one file per
table, and roster.csv) into FOLDER, which must be new or empty: the simulated service's records for
`years` years up to `end` (default 2026-11-30), for a council with contacts_per_year contacts a year
(default: the service's own), messy as real extracts are.  service= and scenario= choose the
service simulated (scenario=baseline_2022: Nottingham's 2022 service, under strain, with queues).  Read it with caseflow start_from=FOLDER or
caseflow calibrate extract=FOLDER.  docs/extracts.md describes the files.

example: caseflow synth-extract out=extract contacts_per_year=4000 years=3"""

KEYS = ("out", "contacts_per_year", "years", "seed", "end", "service", "scenario")
DEFAULT_END = "2026-11-30"
MAX_YEARS = 15
MAX_CONTACTS = 200_000


def main(argv: Sequence[str]) -> None:
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return
    given = read_arguments(list(argv))
    from ..report import package_versions, started_commit

    commit = started_commit()
    cfg = configured(given)
    from ..extracts.synthetic import synthetic_extract

    out = Path(given["out"])
    temp = out.parent / f".{out.name}.writing-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    started = time.perf_counter()
    try:
        written = synthetic_extract(cfg, temp, int(given["seed"]))
        (temp / "README.txt").write_text(
            "An entirely fictional Standard Safeguarding Dataset extract written by caseflow synth-extract:\n"
            "no record in it is about a real child, family or worker.  Identifiers are random tokens, names\n"
            "are made up and dates of birth are drawn.  docs/extracts.md describes the files.\n")
        (temp / "manifest.json").write_text(json.dumps({
            "command": "caseflow synth-extract " + " ".join(argv),
            "seed": int(given["seed"]), "service": cfg.service.name,
            "contacts_per_year": cfg.service.demand.contacts_per_year,
            "first_day": str(written.first_day), "last_day": str(written.last_day), "files": written.files,
            "versions": package_versions(), "git": commit,
            "written": dt.datetime.now().isoformat(timespec="seconds")}, indent=2) + "\n")
        if out.exists():
            out.rmdir()  # empty, checked before
        temp.rename(out)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    rows = sum(n for f, n in written.files.items() if f.startswith("ssd_"))
    print(f"wrote {out}: a fictional SSD extract of {cfg.service.name} at {cfg.service.demand.contacts_per_year:,.0f} "
          f"contacts a year, {written.first_day} to {written.last_day}: {written.files['ssd_contacts.csv']:,} contacts, "
          f"{rows:,} rows in {len(written.files)} files ({time.perf_counter() - started:.1f} s)")


def read_arguments(argv: list[str]) -> dict[str, str]:
    given: dict[str, str] = {}
    for a in argv:
        key, eq, val = a.partition("=")
        if not eq or a.startswith("-"):
            raise InputError(f"caseflow synth-extract takes key=value settings ({', '.join(KEYS)}), not '{shown(a)}'")
        if key not in KEYS:
            raise InputError(f"caseflow synth-extract has no setting '{shown(key)}'{did_you_mean(key, KEYS)}; it takes "
                             f"{', '.join(k + '=' for k in KEYS)}")
        if key in given:
            raise InputError(f"caseflow synth-extract takes one {key}=")
        given[key] = val.strip()
    if not given.get("out"):
        raise InputError("caseflow synth-extract needs out=FOLDER, a new or empty folder to write the extract into")
    out = Path(given["out"])
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"out={shown(given['out'])} already exists and is not an empty folder: give a new folder "
                         "(an extract is never written over another)")
    if not out.parent.is_dir():
        raise InputError(f"out={shown(given['out'])} is inside a folder that does not exist")
    given.setdefault("years", "6")
    given.setdefault("seed", "1")
    given.setdefault("end", DEFAULT_END)
    _whole("years", given["years"], 1, MAX_YEARS)
    _whole("seed", given["seed"], 0, 2**32 - 1)
    if "contacts_per_year" in given:
        _whole("contacts_per_year", given["contacts_per_year"], 100, MAX_CONTACTS)
    try:
        dt.date.fromisoformat(given["end"])
    except ValueError:
        raise InputError(f"end is '{shown(given['end'])}' but must be a date written YYYY-MM-DD, e.g. end=2026-11-30") \
            from None
    return given


def _whole(key: str, text: str, low: int, high: int) -> None:
    if not (text.isdigit() and low <= int(text) <= high):
        raise InputError(f"{key} is '{shown(text)}' but must be a whole number from {low:,} to {high:,}")


def configured(given: dict[str, str]):
    """The run that makes the extract: the service from its steady state, ``years`` to ``end``."""
    from ..config import add_months
    from ..inputs.compose import compose_job

    end = dt.date.fromisoformat(given["end"]) + dt.timedelta(days=1)
    years = int(given["years"])
    start = add_months(end, -12 * years)
    settings = [f"seed={given['seed']}", f"start_date={start.isoformat()}", f"horizon_months={12 * years}",
                "warmup_months=0", "replications=1"]
    for group in ("scenario", "service"):  # e.g. scenario=baseline_2022: a service under strain, with queues
        if group in given:
            settings.insert(0, f"{group}={given[group]}")
    cfg = compose_job(settings).cfg
    if "contacts_per_year" in given:
        from ..extracts.synthetic import scaled
        from ..config import validate

        cfg = scaled(cfg, float(given["contacts_per_year"]))
        validate(cfg)
    return cfg
