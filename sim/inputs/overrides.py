"""Command-line settings (``key=value``), read with Hydra's grammar and checked against the schema.

Three kinds of setting are accepted, and nothing else:

- a caseflow key: ``seed=7``, ``service.workforce.mash.groups.0.count=21``,
  ``'service.demand.month_factors=[1,1,1,1,1,1,1,1,1,1,1,1]'`` (``+key=`` and ``++key=`` mean the
  same as ``key=``: every key already exists);
- a choice of file: ``scenario=NAME`` or ``service=NAME`` (names, not paths);
- the documented parallel-sweep settings, ``hydra/launcher=joblib`` (or ``basic``) and
  ``hydra.launcher.n_jobs=N``.

Any other ``hydra`` setting (callbacks, ``job.env_set``, output and run folders, logging) is
refused: those are Hydra's ways to run code or move outputs, and caseflow never runs Hydra's
application runtime at all (it only composes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, Glob, IntervalSweep, Override, OverrideType, RangeSweep

from .errors import InputError, shown
from .folders import check_name
from .presets import is_preset
from .presets import parse as preset_parse
from .schema import check_tree, type_at

GROUPS = ("scenario", "service")
LAUNCHERS = ("basic", "joblib")
MAX_N_JOBS = 64
ALLOWED_HYDRA = ("hydra/launcher=joblib (or basic) and hydra.launcher.n_jobs=N, for a parallel sweep "
                 "(docs/configuration.md)")


@dataclass(frozen=True)
class Setting:
    """One command-line setting, parsed and checked."""

    kind: str                 # "key" | "group" | "launcher" | "n_jobs"
    key: str                  # dotted key, group name, or the hydra key
    text: str                 # as it is applied: "seed=7" ("+" and "++" dropped)
    typed: str                # as it was typed
    override: Override

    @property
    def is_sweep(self) -> bool:
        return self.override.is_sweep_override()


_parser: OverridesParser | None = None


def _parse(text: str) -> Override:
    global _parser
    if _parser is None:
        _parser = OverridesParser.create()
    if "=" not in text and not text.startswith("~"):
        raise InputError(f"The argument '{shown(text)}' is not a setting: write settings as key=value, e.g. seed=7 "
                         "(scenario names go after 'caseflow compare')")
    try:
        (override,) = _parser.parse_overrides([text])
    except Exception as e:  # noqa: BLE001 - the grammar's errors come in several types
        first = (str(e).splitlines() or ["cannot be read"])[0].rstrip(".")
        raise InputError(f"The argument '{shown(text)}' cannot be read ({shown(first, 120)}): write settings as "
                         "key=value, e.g. seed=7, and quote values with spaces or brackets for the shell") from None
    return override


def values_of(override: Override) -> list[Any]:
    """The value, or each value of a sweep, as Python objects (for checking)."""
    v = override.value()
    if isinstance(v, ChoiceSweep):
        return list(v.list)
    if isinstance(v, RangeSweep):
        return [v.start, v.stop]  # the ends stand for the range (its size is checked in sweeps)
    if isinstance(v, (Glob, IntervalSweep)):
        return []
    return [v]


def parse_setting(text: str) -> Setting:
    """Parse and check one ``key=value`` argument (``InputError`` naming it if refused)."""
    o = _parse(text)
    key = o.key_or_group
    if not key.strip("+~"):
        raise InputError(f"The argument '{shown(text)}' has no key: write settings as key=value, e.g. seed=7")
    if o.package is not None:
        raise InputError(f"The argument '{shown(text)}' uses a package (@...), which caseflow does not support")
    if o.type == OverrideType.DEL:
        raise InputError(f"The argument '{shown(text)}' deletes a key (~), which caseflow does not support: set the "
                         "value you want instead")
    if key.split("/")[0].split(".")[0] == "hydra":
        return _hydra_setting(text, o)
    if "/" in key:
        raise InputError(f"The argument '{shown(text)}' names the config group '{shown(key)}', but caseflow's only "
                         "groups are scenario and service")
    applied = text.lstrip("+")
    if key in GROUPS:
        if o.type != OverrideType.CHANGE:
            raise InputError(f"The argument '{shown(text)}' adds to a group: write {key}=NAME")
        if isinstance(o.value(), (IntervalSweep, RangeSweep)):
            raise InputError(f"Config key '{key}' takes names ({key}=a,b or {key}='glob(*)' with -m), not a range")
        for v in values_of(o):
            if key == "service" and is_preset(v):
                preset_parse(str(v), key)   # a council's preset: la/<council>[/<year>]
            else:
                check_name(v, key)
        return Setting("group", key, applied, text, o)
    path = tuple(key.split("."))
    t = type_at(path)
    if isinstance(o.value(), IntervalSweep):
        raise InputError(f"Config key '{key}' is given interval(...), which needs a sampling sweeper; caseflow's "
                         "sweeps take lists (a,b), range(...) and glob(...)")
    for v in values_of(o):
        check_tree(v, t, path, lambda p: "")
    return Setting("key", key, applied, text, o)


def _hydra_setting(text: str, o: Override) -> Setting:
    key, value = o.key_or_group, o.value()
    if key == "hydra/launcher" and o.type == OverrideType.CHANGE:
        if value not in LAUNCHERS:
            raise InputError(f"The argument '{shown(text)}' names the launcher '{shown(value)}', but caseflow's "
                             f"launchers are {', '.join(LAUNCHERS)}")
        return Setting("launcher", key, text, text, o)
    if key == "hydra.launcher.n_jobs" and o.type == OverrideType.CHANGE:
        if isinstance(value, bool) or not isinstance(value, int) or not (value == -1 or 1 <= value <= MAX_N_JOBS):
            raise InputError(f"Config key 'hydra.launcher.n_jobs' is '{shown(value)}' but must be a whole number "
                             f"from 1 to {MAX_N_JOBS} (or -1, every core)")
        return Setting("n_jobs", key, text, text, o)
    raise InputError(f"The argument '{shown(text)}' is refused: of Hydra's own settings caseflow accepts only "
                     f"{ALLOWED_HYDRA}")


def sweep_values(setting: Setting, names: dict[str, Any] | None = None, limit: int = 1000) -> list[str]:
    """The values a sweep setting takes, as ``key=value`` texts (at most ``limit``)."""
    o, key = setting.override, setting.key
    v = o.value()
    if isinstance(v, Glob):
        if setting.kind != "group":
            raise InputError(f"Config key '{key}' is given glob(...), which only chooses scenario or service names")
        chosen = v.filter(sorted(names or {}))
        if not chosen:
            raise InputError(f"Config key '{key}' is given {shown(o.input_line)}, which matches no {key} name")
        return [f"{key}={n}" for n in chosen]
    if isinstance(v, RangeSweep):
        if not v.step:
            raise InputError(f"Config key '{key}' is given a range with step 0")
        count = max(0, math.ceil((v.stop - v.start) / v.step))
        if count == 0:
            raise InputError(f"Config key '{key}' is given {shown(o.input_line)}, an empty range")
        if count > limit:
            raise InputError(f"Config key '{key}' is given a range of {count:,} values but a sweep may have at most "
                             f"{limit:,} runs")
    values = list(o.sweep_string_iterator())
    if len(values) > limit:
        raise InputError(f"Config key '{key}' is given {len(values):,} values but a sweep may have at most {limit:,} runs")
    return [f"{key}={s}" for s in values]
