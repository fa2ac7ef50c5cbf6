"""``caseflow calibrate la=<code or name> year=<YYYY> [out=<name>]``: a service for any English council;
``caseflow calibrate extract=<folder> [service=<base>] [out=<name>] [before=<YYYY-MM-DD>]``: a service
fitted to a council's own records.

The first writes ``configs/service/la_<code>_<year>.yaml`` (or ``out=``'s name there), set from the
DfE's published figures for that council and year (``sim.calibrate``), so that
``caseflow service=la_<code>_<year>`` runs it and ``caseflow validate`` checks it.  The second
writes ``configs/service/extract_<first 8 of the extract's digest>.yaml`` (or ``out=``'s), fitted
to the council's Standard Safeguarding Dataset extract on top of a base service (the default
service unless ``service=``), from its whole history or, with ``before=``, only what it held before
that day (``sim.extracts.calibrate``).  Either file is composed and validated before the command
says it is done; if it does not validate it is removed, so that a broken service is never left
behind.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from ..inputs import InputError
from ..inputs.errors import did_you_mean, shown

USAGE = """usage: caseflow calibrate la=<code or name> year=<YYYY> [out=<name>]
       caseflow calibrate extract=<folder> [service=<base>] [out=<name>] [before=<YYYY-MM-DD>]

Sets a service from the DfE's published figures for one council (its three-digit code, E-code or
name) and one DfE year (children's figures for April Y-1 to March Y, the workforce census of
30 September Y or the nearest held).  Writes configs/service/la_<code>_<year>.yaml, or
configs/service/<out>.yaml; run it with caseflow service=<name>, check it with
caseflow validate year=<YYYY> service=<name>.  Values the tables do not give are the default
service's (configs/service/nottingham.yaml), marked E.  docs/calibrate.md says what each value
is set from.

extract= fits a service to a council's own records instead: the Standard Safeguarding Dataset
extract in <folder> (ssd_*.csv), on top of the base service (service=, default the default
service), keeping the base's value for all the extract does not hold (marked E).  It writes
configs/service/extract_<first 8 of the extract's digest>.yaml, or <out>.yaml; before= uses only
the history before that day (for backtests).  la=/year= and extract= are exclusive.

example: caseflow calibrate la=nottingham year=2022
example: caseflow calibrate extract=examples/ssd_extract out=my_council"""

KEYS = ("la", "year", "out", "extract", "service", "before")
EXTRACT_KEYS = ("extract", "service", "before")
PROTECTED = ("nottingham",)   # the default service is never overwritten


def main(argv: Sequence[str]) -> None:
    """Read the settings; calibrate; write, compose and validate the file; say what was done."""
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return
    given = _settings(list(argv))
    if "extract" in given:
        _from_extract(given)
        return
    la, year, out = read_arguments(list(argv))
    from .. import calibrate as cal

    started = time.perf_counter()
    result = cal.calibrate(la, year, name=out)
    text = cal.service_yaml(result)
    path = write_service(result.service["name"], text)
    check_composes(result.service["name"], path)
    took = time.perf_counter() - started
    print(f"wrote {_shown_path(path)}: {result.council.name} ({result.council.code}), DfE year {year}, "
          f"workforce census {result.census_year} ({took:.2f} s)")
    if result.substituted:
        print("suppressed or missing, taken from elsewhere: " + "; ".join(result.substituted))
    print(f"run it: caseflow service={result.service['name']}; check it: caseflow validate year={year} "
          f"service={result.service['name']}")


def _settings(argv: list[str]) -> dict[str, str]:
    """The key=value settings, each known and given once; la=/year= and extract= not mixed."""
    given: dict[str, str] = {}
    for a in argv:
        key, eq, val = a.partition("=")
        if not eq or a.startswith("-"):
            raise InputError(f"caseflow calibrate takes la=<code or name>, year=<YYYY> and out=<name> (or extract=<folder>, "
                             f"service=, before=), not '{shown(a)}'")
        if key not in KEYS:
            raise InputError(f"caseflow calibrate has no setting '{shown(key)}'{did_you_mean(key, KEYS)}; "
                             "it takes la=, year= and out=, or extract=, service=, before= and out=")
        if key in given:
            raise InputError(f"caseflow calibrate takes one {key}=: run it once for each")
        given[key] = val.strip()
    if "extract" in given and ("la" in given or "year" in given):
        raise InputError("caseflow calibrate takes la= and year= (the DfE's published tables) or extract= (a council's "
                         "own records), not both")
    if "extract" not in given:
        extra = [k for k in EXTRACT_KEYS if k in given]
        if extra:
            raise InputError(f"{'=, '.join(extra)}= go{'es' if len(extra) == 1 else ''} with extract=<folder> (a "
                             "council's own records), not with la= and year=")
    return given


def read_arguments(argv: list[str]) -> tuple[str, int, str | None]:
    """``la``, ``year`` and ``out`` (a plain service name, or None for la_<code>_<year>)."""
    given = _settings(argv)
    if not given.get("la"):
        raise InputError("caseflow calibrate needs a council, e.g. caseflow calibrate la=892 year=2022 "
                         "(its code or its name), or a council's own records, extract=<folder>")
    if "year" not in given:
        raise InputError("caseflow calibrate needs the DfE year, e.g. year=2022 (the year to 31 March 2022)")
    text = given["year"]
    if not (text.isdigit() and len(text) == 4):
        raise InputError(f"year is '{shown(text)}' but must be a year written as four digits, e.g. year=2022 "
                         "(the DfE year to 31 March 2022)")
    return given["la"], int(text), _out_name(given.get("out"))


def _out_name(out: str | None) -> str | None:
    if out is None:
        return None
    out = out[:-5] if out.endswith(".yaml") else out
    from ..inputs.folders import valid_name
    from ..config import NAME_RULE

    if not valid_name(out):
        raise InputError(f"out is '{shown(out)}' but must be a plain file name in configs/service/ (no "
                         f"folders), holding only {NAME_RULE}")
    if out.lower() in PROTECTED:
        raise InputError(f"out={out} would overwrite the default service; give another name")
    return out


def _from_extract(given: dict[str, str]) -> None:
    """``extract=``: read the extract and the base service, fit, write, compose and validate."""
    import copy
    import datetime as dt

    if not given["extract"]:
        raise InputError("extract= needs the folder holding the council's ssd_*.csv files, e.g. "
                         "extract=examples/ssd_extract")
    out = _out_name(given.get("out"))
    before = given.get("before")
    if before is not None:
        try:
            before_day = dt.date.fromisoformat(before)
        except ValueError:
            raise InputError(f"before is '{shown(before)}' but must be a date written YYYY-MM-DD, e.g. "
                             "before=2025-04-01 (the history before that day is used)") from None
    base = given.get("service")
    if base is not None and not base:
        raise InputError("service= needs the base service's name, e.g. service=nottingham")
    started = time.perf_counter()
    from ..extracts import calibrate as xcal
    from ..extracts.reader import read_extract
    from ..inputs.compose import compose_job

    extract = read_extract(given["extract"])
    job = compose_job([f"service={base}"] if base is not None else [])
    source = job.sources["service"]
    tree = copy.deepcopy(source.doc.data)
    name = out or f"extract_{extract.digest[:8]}"
    result = xcal.calibrate(extract, tree, source.name, name, before_day if before is not None else None)
    text = xcal.service_yaml(result)
    path = write_service(name, text)
    check_composes(name, path)
    took = time.perf_counter() - started
    h = result.history
    print(f"wrote {_shown_path(path)}: fitted to the records in {_shown_path(extract.folder)} "
          f"({h.first_day:%Y-%m-%d} to {h.last_day:%Y-%m-%d}{', before= ' + before if h.cut else ''}) on top of "
          f"{source.name} ({took:.1f} s)")
    lengths = "; ".join(f"{k} {f.kind} (mean {f.mean:,.1f} {f.unit_words})" for k, f in result.lengths.items())
    print(f"lengths: {lengths}")
    print("the steady state against the records' last 12 months: " + xcal.checks_text(result.checks))
    print("kept from the base, the extract being silent: priorities, MASH screening and consent times, visit "
          "times, recruitment, notice, sickness, pay, caps (each marked E in the file)")
    print(f"run it: caseflow service={name} start_date={h.end:%Y-%m-%d}")


def write_service(name: str, text: str) -> Path:
    """Write the service file atomically into the service folder (a half-written file is never
    left: it is written beside and renamed)."""
    from ..inputs.folders import config_dir

    if name.lower() in PROTECTED:  # out= is checked already; la_... can never be this
        raise InputError(f"The service {name} is the default service and is never overwritten")
    folder = config_dir() / "service"
    if not folder.is_dir():
        raise InputError(f"There is no service folder {_shown_path(folder)} to write into")
    from ..inputs.folders import write_text_atomically

    return write_text_atomically(folder / f"{name}.yaml", text)


def check_composes(name: str, path: Path) -> None:
    """Compose and validate the written service as a run would; remove it if it is refused."""
    from ..inputs.compose import compose_job

    try:
        compose_job([f"service={name}"])
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _shown_path(path: Path) -> str:
    from ..inputs.folders import shown_path

    return shown_path(path)
