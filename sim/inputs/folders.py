"""Where caseflow's inputs are found, and where its outputs may go.

Scenario and service names are names, never paths: letters, digits, ``_`` and ``-``.  A name
is looked up only inside its folders (``./scenarios`` first, then the shipped one; likewise
``configs/service``), and the file found must lie inside that folder once links are
followed.  Listing what is available reads file names, never contents, so a large or hostile
file that is not chosen costs nothing.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..config import NAME_PATTERN, NAME_RULE
from .errors import InputError, did_you_mean, listing, shown

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(NAME_PATTERN)
MAX_PATH_CHARS = 1024


def valid_name(name: object) -> bool:
    return isinstance(name, str) and NAME.fullmatch(name) is not None


def check_name(name: object, key: str) -> str:
    """``name`` if it is a valid scenario or service name, else ``InputError`` naming ``key``."""
    if isinstance(name, (int, float)) and not isinstance(name, bool):
        name = str(name)
    if not valid_name(name):
        raise InputError(f"Config key '{key}' is '{shown(name)}' but a name may hold only {NAME_RULE}")
    return name  # type: ignore[return-value]


def shown_path(path: Path) -> str:
    """A path as messages show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def config_dir() -> Path:
    """``./configs`` if the working folder has one (with a ``config.yaml``), else the shipped one."""
    local = Path.cwd() / "configs"
    return local if (local / "config.yaml").is_file() else PACKAGE_ROOT / "configs"


def scenario_dirs() -> list[Path]:
    """Scenario folders, first match wins: ``./scenarios``, then the shipped ``scenarios/``."""
    out: list[Path] = []
    for d in (Path.cwd() / "scenarios", PACKAGE_ROOT / "scenarios"):
        if d.is_dir() and d.resolve() not in [o.resolve() for o in out]:
            out.append(d)
    return out


def service_dirs() -> list[Path]:
    d = config_dir() / "service"
    return [d] if d.is_dir() else []


def _names(dirs: list[Path]) -> dict[str, Path]:
    """name -> file, from file names only (the first folder that has a name wins)."""
    found: dict[str, Path] = {}
    for d in dirs:
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            stem, dot, ext = entry.name.rpartition(".")
            if dot and ext == "yaml" and valid_name(stem) and stem not in found:
                found[stem] = Path(d) / entry.name
    return found


def scenario_files() -> dict[str, Path]:
    """Every available scenario: name -> file (names only are read)."""
    return dict(sorted(_names(scenario_dirs()).items()))


def service_files() -> dict[str, Path]:
    return dict(sorted(_names(service_dirs()).items()))


def _find(kind: str, key: str, name: object, files: dict[str, Path], dirs: list[Path]) -> Path:
    name = check_name(name, key)
    path = files.get(name)
    if path is None:
        where = " or ".join(shown_path(d) for d in dirs) or "nowhere (no folder found)"
        raise InputError(f"{kind.capitalize()} '{name}' not found{did_you_mean(name, files)}; available {kind}s are "
                         f"{listing(files) or 'none'}, in {where}")
    folder = path.parent.resolve()
    real = path.resolve()
    if real.parent != folder:
        raise InputError(f"The {kind} file {shown_path(path)} is a link to a file outside its folder; copy the "
                         f"file into {shown_path(path.parent)} instead")
    return path


def scenario_path(name: object) -> Path:
    """The file of scenario ``name`` (``InputError`` with the available names if there is none)."""
    return _find("scenario", "scenario", name, scenario_files(), scenario_dirs())


def service_path(name: object) -> Path:
    """The file of service ``name`` in configs/service/ (a council's preset, ``la/...``, is found
    by ``sim.inputs.presets.preset_path``)."""
    return _find("service", "service", name, service_files(), service_dirs())


def check_results_dir(value: object) -> Path:
    """``results_dir`` as a folder caseflow can write to, checked by creating and removing a probe.

    A folder that does not exist yet is fine if its nearest existing parent is a writable folder
    (caseflow creates it when the run starts); nothing is left behind by the check.
    """
    text = "" if value is None else str(value)
    if not text.strip():
        raise InputError("Config key 'results_dir' is empty but must name a folder for the outputs, "
                         "e.g. results_dir=results")
    if "\x00" in text or len(text) > MAX_PATH_CHARS or any(len(p) > 255 for p in text.split("/")):
        raise InputError(f"Config key 'results_dir' is '{shown(text)}', which is not a usable folder name "
                         f"(at most {MAX_PATH_CHARS} characters, 255 per folder)")
    path = Path(text)
    existing = path
    try:
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            what = "is a file" if existing == path else f"is under a file ({existing})"
            raise InputError(f"Config key 'results_dir' is '{shown(text)}', which {what}, not a folder")
        probe = tempfile.mkdtemp(prefix=".caseflow-probe-", dir=existing)
        os.rmdir(probe)
    except InputError:
        raise
    except OSError as e:
        raise InputError(f"Config key 'results_dir' is '{shown(text)}' but caseflow cannot write there "
                         f"({e.strerror or type(e).__name__} in {existing})") from None
    return path


def write_text_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` beside it and rename: a reader (another process building the
    same file) never sees half a file, and a failed write leaves nothing."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:40]}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
