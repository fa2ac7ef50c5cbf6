"""What a setting may be: the schema's keys and types, applied to files and overrides alike.

Every user input (a scenario or service file, a command-line override) is checked here
against the dataclasses of ``sim.config`` *before* Hydra composes anything, so that only
caseflow's own keys ever reach the composition: no ``hydra`` block, no ``_target_``, no
resolver that reads the environment, no key the schema does not have.  Each refusal names
the key the way the command line writes it (``service.funding.0.count``) and, for a file,
the line and column.
"""
from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from functools import lru_cache
from typing import Any, Callable, Union, get_args, get_origin, get_type_hints

from ..config import RunConfig
from .errors import InputError, did_you_mean, listing, shown

KeyPath = tuple  # ("service", "funding", 0, "count")
Where = Callable[[KeyPath], str]  # "" for the command line, "In <file>, line L, column C: " for a file

# ${a.b.c}: a reference to another caseflow setting (OmegaConf node interpolation).  Anything
# else inside ${...} is a resolver call (oc.env, now, hydra, ...): refused.
_REFERENCE = re.compile(r"\$\{\s*([A-Za-z_]\w*(?:\.\w+)*)\s*\}")
_RECORDS = {"FundingAction": "funding actions (each a mapping: - date: ..., action: ...)",
            "WorkerGroup": "worker groups (each a mapping: - count: ..., kind: ...)"}
NOT_SETTINGS = {
    "hydra": "Hydra's own settings are not accepted in caseflow's inputs (they could run code or move outputs)",
    "_target_": "'_target_' is not allowed: caseflow's inputs hold values, never code to run",
    "defaults": "a defaults list belongs only in configs/config.yaml",
}


def dotted(path: KeyPath) -> str:
    """A key path as the command line writes it: ``service.funding.0.count``."""
    return ".".join(str(p) for p in path)


@lru_cache(maxsize=None)
def _hints(schema: type) -> dict[str, Any]:
    return get_type_hints(schema)


def _optional(t: Any) -> tuple[Any, bool]:
    """``Optional[X]`` -> (X, True); anything else -> (t, False)."""
    if get_origin(t) is Union:
        args = [a for a in get_args(t) if a is not type(None)]
        return args[0], len(args) < len(get_args(t))
    return t, False


def _list_item(t: Any) -> Any | None:
    """The item type of ``List[X]``, or None if ``t`` is not a list type."""
    return get_args(t)[0] if get_origin(t) in (list, tuple) else None


def allowed_keys(schema: type) -> list[str]:
    return [f.name for f in fields(schema)]


def type_at(path: KeyPath, root: type = RunConfig) -> Any:
    """The schema type of the setting at ``path`` (list positions as ints or digit strings).

    Raises ``InputError`` for a key the schema does not have, with a "did you mean".
    """
    t: Any = root
    for i, part in enumerate(path):
        t, _ = _optional(t)
        here = path[:i]
        if is_dataclass(t):
            name = str(part)
            if name in NOT_SETTINGS and i == 0 or name == "_target_":
                raise InputError(f"Config key '{dotted(path)}' is refused: {NOT_SETTINGS[name]}")
            if name not in _hints(t):
                raise InputError(unknown_key(path[: i + 1], t))
            t = _hints(t)[name]
        elif _list_item(t) is not None:
            if not str(part).isdigit():
                raise InputError(f"Config key '{dotted(path)}' is not a setting: '{dotted(here)}' is a list, "
                                 f"so what follows it must be a position (0, 1, ...), not '{part}'")
            t = _list_item(t)
        else:
            raise InputError(f"Config key '{dotted(path)}' is not a setting: '{dotted(here)}' holds a single value")
    return t


def unknown_key(path: KeyPath, owner: type) -> str:
    """The sentence for a key ``owner`` (a schema dataclass) does not have."""
    keys = allowed_keys(owner)
    parent = dotted(path[:-1])
    where = f" under '{parent}'" if parent else ""
    hint = did_you_mean(str(path[-1]), keys) or _elsewhere(str(path[-1]), owner)
    return f"Unknown config key '{shown(dotted(path), 80)}'{hint}; allowed keys{where} are {listing(keys)}"


def _elsewhere(name: str, owner: type) -> str:
    """``"; did you mean 'service.demand.contacts_per_year'"`` when ``name`` is a key deeper down."""
    paths = [p for p in _key_paths(owner) if p.rsplit(".", 1)[-1] == name]
    return f"; did you mean '{paths[0]}'" if len(paths) == 1 else ""


@lru_cache(maxsize=None)
def _key_paths(schema: type, prefix: str = "") -> tuple[str, ...]:
    """Every key path below ``schema`` (list items written as position 0)."""
    out: list[str] = []
    for name, t in _hints(schema).items():
        t, _ = _optional(t)
        here = f"{prefix}{name}"
        out.append(here)
        item = _list_item(t)
        if item is not None and is_dataclass(item):
            out.extend(_key_paths(item, f"{here}.0."))
        elif is_dataclass(t):
            out.extend(_key_paths(t, f"{here}."))
    return tuple(out)


def check_references(value: Any, path: KeyPath, where: Where) -> None:
    """Refuse ``${...}`` in a value unless it only refers to other caseflow settings."""
    if isinstance(value, dict):
        for k, v in value.items():
            check_references(v, (*path, k), where)
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            check_references(v, (*path, i), where)
        return
    if not isinstance(value, str) or "${" not in value:
        return
    for ref in _REFERENCE.findall(value):
        target = tuple(ref.split("."))
        try:
            if target[0] == "hydra":
                raise InputError("")
            type_at(target)
        except InputError:
            raise InputError(f"{where(path)}Config key '{dotted(path)}' refers to '${{{ref}}}', which is not one of "
                             "caseflow's settings: a reference may name only another setting, e.g. ${start_date}") from None
    if "${" in _REFERENCE.sub("", value):
        raise InputError(f"{where(path)}Config key '{dotted(path)}' is '{shown(value)}': interpolations that call a "
                         "resolver (such as oc.env or now) are not allowed in caseflow's inputs; write the value itself")


def check_tree(value: Any, t: Any, path: KeyPath, where: Where) -> None:
    """Check a plain tree (from a YAML file or an override's value) against schema type ``t``.

    Refuses unknown keys (with a "did you mean"), a list where a mapping belongs and the
    reverse, values of the wrong kind, ``hydra`` and ``_target_`` keys, and resolvers.  Types
    that OmegaConf would convert (a number for a text field) are left to the composition.
    """
    t, optional = _optional(t)
    key = dotted(path)
    if value is None:
        if optional:
            return
        raise InputError(f"{where(path)}Config key '{key}' is null but must be set to{_expects(t)}")
    if isinstance(value, str) and "${" in value:
        check_references(value, path, where)
        return
    if is_dataclass(t):
        if not isinstance(value, dict):
            raise InputError(f"{where(path)}Config key '{key or 'the file'}' must be a mapping of keys "
                             f"({listing(allowed_keys(t), 6)} ...), not {_kind(value)}")
        hints = _hints(t)
        for k, v in value.items():
            if k in NOT_SETTINGS and (not path or k == "_target_"):
                raise InputError(f"{where((*path, k))}'{dotted((*path, k))}' is refused: {NOT_SETTINGS[k]}")
            if k not in hints:
                raise InputError(f"{where((*path, k))}{unknown_key((*path, k), t)}")
            check_tree(v, hints[k], (*path, k), where)
        return
    item = _list_item(t)
    if item is not None:
        if not isinstance(value, list):
            what = _RECORDS.get(getattr(item, "__name__", ""), "values")
            raise InputError(f"{where(path)}Config key '{key}' must be a list of {what}, not {_kind(value)}")
        for i, v in enumerate(value):
            check_tree(v, item, (*path, i), where)
        return
    ok = {bool: lambda v: isinstance(v, bool),
          int: lambda v: isinstance(v, int) and not isinstance(v, bool),
          float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          str: lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool)}.get(t)
    if ok is not None and not ok(value):
        raise InputError(f"{where(path)}Config key '{key}' is {_kind(value)} but must be{_expects(t)}")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return f"'{shown(value)}' (text)"
    return f"{shown(value)}"


def _expects(t: Any) -> str:
    return {bool: " true or false", int: " a whole number", float: " a number", str: " text"}.get(
        t, f" a {getattr(t, '__name__', 'value')}" if is_dataclass(t) else "")
