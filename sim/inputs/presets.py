"""Service presets: ``service=la/<council>`` runs any English council's calibrated service.

``la/892`` (or ``la/nottingham``) is the service ``caseflow calibrate`` makes for that council
from the DfE tables shipped in the package, for the latest DfE year they hold; ``la/892/2022``
for a given year.  A preset is built on first use and cached as a YAML file (the same commented
file ``caseflow calibrate`` writes) in caseflow's cache folder; the cache key holds a digest of
the tables, the default service and the calibration code, so a changed table or a new caseflow
never reads a stale file.  A preset is never edited: to change a council's service, write it
with ``caseflow calibrate`` into ``configs/service/`` and edit that file.

The cache folder is ``$CASEFLOW_CACHE_DIR``, else ``$XDG_CACHE_HOME/caseflow``, else
``~/.cache/caseflow``: set by the person running caseflow, never by an input file.
"""
from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

from .errors import InputError, shown
from .folders import write_text_atomically

PREFIX = "la/"
FORM = "la/<council code or name>, or la/<council>/<year>, e.g. la/892 or la/nottingham/2022"
_YEAR = re.compile(r"\d{4}")


def is_preset(name: object) -> bool:
    """``name`` names a council's preset (``la/...``) rather than a file in configs/service/."""
    return isinstance(name, str) and name.strip().lower().startswith(PREFIX)


def parse(name: str, key: str = "service") -> tuple[int, int]:
    """(council code, DfE year) of a preset name; InputError naming ``key`` if it is not one."""
    from ..reference.published import find_council, years

    rest = name.strip()[len(PREFIX):]
    parts = rest.split("/")
    if not parts[0] or len(parts) > 2:
        raise InputError(f"Config key '{key}' is '{shown(name)}' but a council's preset is written {FORM}")
    held = years("referrals")
    if len(parts) == 2:
        if not _YEAR.fullmatch(parts[1]):
            raise InputError(f"Config key '{key}' is '{shown(name)}' but the year after the council must be four "
                             f"digits, e.g. la/892/2022 (the DfE year to 31 March 2022)")
        year = int(parts[1])
        if year not in held:
            raise InputError(f"Config key '{key}' is '{shown(name)}' but the DfE tables caseflow holds cover the "
                             f"years to 31 March {held[0]} to {held[-1]}")
    else:
        year = held[-1]
    try:
        code = find_council(parts[0].replace("_", " "))
    except InputError as e:
        raise InputError(f"Config key '{key}' is '{shown(name)}': {e}") from None
    return code, year


def preset_name(code: int, year: int) -> str:
    """The service's own name (``service.name``) for council ``code`` in ``year``."""
    return f"la_{code}_{year}"


def cache_dir() -> Path:
    """Where presets are cached (see the module's docstring)."""
    explicit = os.environ.get("CASEFLOW_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser() / "services"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "caseflow" / "services"


@lru_cache(maxsize=1)
def inputs_digest() -> str:
    """A digest of what a preset is made from: the packaged tables, the default service file and
    the calibration code (so a change to any of them makes new presets)."""
    from .. import __version__, calibrate
    from ..reference import published as pub

    h = hashlib.sha256(__version__.encode())
    files = sorted(Path(pub.__file__).parent.joinpath("dfe").glob("*.csv"))
    for path in [*files, calibrate.default_service_path(), Path(calibrate.__file__)]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def preset_path(name: str, key: str = "service") -> Path:
    """The cached file of preset ``name``, calibrated and written first if it is not there."""
    code, year = parse(name, key)
    folder = cache_dir()
    path = folder / f"{preset_name(code, year)}-{inputs_digest()}.yaml"
    if path.is_file():
        return path
    from .. import calibrate as cal

    text = cal.service_yaml(cal.calibrate(code, year))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return write_text_atomically(path, text)
    except OSError as e:
        raise InputError(f"The preset {name} could not be cached in {folder} ({e.strerror or e}); set "
                         "CASEFLOW_CACHE_DIR to a folder caseflow can write to") from None
