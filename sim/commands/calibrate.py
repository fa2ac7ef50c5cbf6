"""``caseflow calibrate la=<code or name> year=<YYYY> [out=<name>]``: a service for any English council.

Writes ``configs/service/la_<code>_<year>.yaml`` (or ``out=``'s name there), set from the DfE's
published figures for that council and year (``sim.calibrate``), so that
``caseflow service=la_<code>_<year>`` runs it and ``caseflow validate`` checks it.  The file is
composed and validated before the command says it is done; if it does not validate it is
removed, so that a broken service is never left behind.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from ..inputs import InputError
from ..inputs.errors import did_you_mean, shown

USAGE = """usage: caseflow calibrate la=<code or name> year=<YYYY> [out=<name>]

Sets a service from the DfE's published figures for one council (its three-digit code, E-code or
name) and one DfE year (children's figures for April Y-1 to March Y, the workforce census of
30 September Y or the nearest held).  Writes configs/service/la_<code>_<year>.yaml, or
configs/service/<out>.yaml; run it with caseflow service=<name>, check it with
caseflow validate year=<YYYY> service=<name>.  Values the tables do not give are the default
service's (configs/service/nottingham.yaml), marked E.  docs/calibrate.md says what each value
is set from.

example: caseflow calibrate la=nottingham year=2022"""

KEYS = ("la", "year", "out")
PROTECTED = ("nottingham",)   # the default service is never overwritten


def main(argv: Sequence[str]) -> None:
    """Read la=, year=, out=; calibrate; write, compose and validate the file; say what was done."""
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
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


def read_arguments(argv: list[str]) -> tuple[str, int, str | None]:
    """``la``, ``year`` and ``out`` (a plain service name, or None for la_<code>_<year>)."""
    given: dict[str, str] = {}
    for a in argv:
        key, eq, val = a.partition("=")
        if not eq or a.startswith("-"):
            raise InputError(f"caseflow calibrate takes la=<code or name>, year=<YYYY> and out=<name>, not "
                             f"'{shown(a)}'")
        if key not in KEYS:
            raise InputError(f"caseflow calibrate has no setting '{shown(key)}'{did_you_mean(key, KEYS)}; "
                             "it takes la=, year= and out=")
        if key in given:
            raise InputError(f"caseflow calibrate takes one {key}=: run it once for each")
        given[key] = val.strip()
    if not given.get("la"):
        raise InputError("caseflow calibrate needs a council, e.g. caseflow calibrate la=892 year=2022 "
                         "(its code or its name)")
    if "year" not in given:
        raise InputError("caseflow calibrate needs the DfE year, e.g. year=2022 (the year to 31 March 2022)")
    text = given["year"]
    if not (text.isdigit() and len(text) == 4):
        raise InputError(f"year is '{shown(text)}' but must be a year written as four digits, e.g. year=2022 "
                         "(the DfE year to 31 March 2022)")
    out = given.get("out")
    if out is not None:
        out = out[:-5] if out.endswith(".yaml") else out
        from ..inputs.folders import valid_name
        from ..config import NAME_RULE

        if not valid_name(out):
            raise InputError(f"out is '{shown(out)}' but must be a plain file name in configs/service/ (no "
                             f"folders), holding only {NAME_RULE}")
        if out.lower() in PROTECTED:
            raise InputError(f"out={out} would overwrite the default service; give another name")
    return given["la"], int(text), out


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
