"""Composing one run's configuration from checked inputs, with Hydra.

The sources, later ones overriding earlier ones: the schema (``sim/config.py``), the run
settings (``configs/config.yaml``), the chosen service file (``configs/service/<name>.yaml``),
the chosen scenario file (``scenarios/<name>.yaml``) and the command line.  Each file is read
as data (``yaml_files``) and checked against the schema (``schema``) before it is handed to
Hydra; only the chosen files are read.  Hydra then composes them from its in-memory store
(never from a folder it searches itself) and caseflow validates the result (``sim.config``).
Hydra's application runtime (callbacks, environment settings, output folders, logging) is
never run.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .errors import InputError
from .typed import explain, to_run_config
from .presets import is_preset, preset_path
from .folders import check_name, config_dir, scenario_path, service_path, shown_path
from .overrides import Setting, parse_setting
from .schema import KeyPath, check_tree
from .yaml_files import Document, parse, read_text
from ..config import ConfigError, RunConfig, ServiceConfig

_DEFAULTS_RULE = "a list of '- service: NAME' and '- scenario: NAME'"
# How and where a run goes is the choice of whoever runs it, not of a file shared with them: no
# file may name a Dask scheduler (caseflow would send it work and trust what comes back), and a
# scenario's results_dir must stay inside the folder caseflow is run from.


@dataclass
class Source:
    """One file that went into a configuration."""

    kind: str            # "config", "service" or "scenario"
    name: str
    doc: Document
    sha256: str
    text: str = ""       # the file as written, comments included (sim/inputs/provenance.py reads them)

    def record(self) -> dict[str, str]:
        return {"name": self.name, "file": self.doc.shown, "sha256": self.sha256}


@dataclass
class Composed:
    """A validated configuration and what it was made from (for the manifest)."""

    cfg: RunConfig
    settings: list[str]                                   # command-line settings, as typed
    sources: dict[str, Source] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)        # what composing assumed (start_from: the records)

    def record(self) -> dict[str, Any]:
        """What a manifest records: the settings as typed and each file's name and checksum."""
        return {"settings": list(self.settings), "files": {k: s.record() for k, s in self.sources.items()}}

    def assumptions(self) -> list[dict[str, str]]:
        """Every service parameter with its value, kind (published, derived, estimated) and why
        (``sim.inputs.provenance``): the run's assumptions.csv."""
        from ..config import to_plain
        from .provenance import assumptions

        return assumptions(to_plain(self.cfg)["service"], self.sources, self.settings)


_READ: dict[tuple, Source] = {}  # files already read and parsed, by path, size and modification time


def _read(kind: str, name: str, path: Path) -> Source:
    """A configuration file, read and parsed once however many runs of a sweep use it."""
    shown = shown_path(path)
    try:
        info = path.stat()
        key = (kind, name, str(path.resolve()), info.st_size, info.st_mtime_ns)
    except OSError:
        key = None
    if key in _READ:
        return _READ[key]
    text = read_text(path, shown, what=f"{kind} file")
    source = Source(kind, name, parse(text, shown, f"{kind} file"), hashlib.sha256(text.encode()).hexdigest(), text)
    if key is not None:
        if len(_READ) > 64:
            _READ.clear()
        _READ[key] = source
    return source


def _where(source: Source, prefix: KeyPath = ()):
    """Message prefix for a key of ``source`` (its paths are relative to ``prefix``)."""
    def where(path: KeyPath) -> str:
        return f"In {source.kind} file {source.doc.at(tuple(path)[len(prefix):])}: "
    return where


def _config_file() -> tuple[Source, dict[str, str], dict[str, Any]]:
    """``configs/config.yaml``: its default service and scenario, and its run settings."""
    path = config_dir() / "config.yaml"
    source = _read("config", "config", path)
    data = source.doc.data
    if not isinstance(data, dict):
        raise InputError(f"In config file {source.doc.at(())}: the file must hold a mapping of settings")
    choices = {"service": "nottingham", "scenario": "default"}
    where = _where(source)
    defaults = data.get("defaults") or []
    if not isinstance(defaults, list):
        raise InputError(f"{where(('defaults',))}the defaults list must be {_DEFAULTS_RULE}")
    for i, entry in enumerate(defaults):
        if entry in ("run_schema", "_self_"):
            continue
        if not (isinstance(entry, dict) and len(entry) == 1 and next(iter(entry)) in choices):
            raise InputError(f"{where(('defaults', i))}the defaults list must be {_DEFAULTS_RULE}")
        (group, name), = entry.items()
        choices[group] = (name if group == "service" and is_preset(name)
                          else check_name(name, f"defaults.{i}.{group}"))
    values = {k: v for k, v in data.items() if k != "defaults"}
    _check_run_place(values, where, scenario=False)
    check_tree(values, RunConfig, (), where)
    return source, choices, values


def _check_run_place(data: dict, where, scenario: bool) -> None:
    """No file names a Dask scheduler; a scenario's results_dir stays inside the working folder."""
    if data.get("scheduler") is not None:
        raise InputError(f"{where(('scheduler',))}Config key 'scheduler' may not be set in a file: a Dask "
                         "scheduler address is given on the command line only")
    if data.get("start_from") is not None:
        raise InputError(f"{where(('start_from',))}Config key 'start_from' may not be set in a file: the extract a "
                         "run starts from is given on the command line only (start_from=FOLDER)")
    results_dir = data.get("results_dir")
    if scenario and results_dir is not None:
        parts = Path(str(results_dir)).parts
        if not parts or Path(str(results_dir)).is_absolute() or ".." in parts or str(results_dir).startswith("~"):
            raise InputError(f"{where(('results_dir',))}Config key 'results_dir' is '{str(results_dir)[:60]}' but in a "
                             "scenario file it must be a folder inside the working folder (such as results); "
                             "give any other folder on the command line")


def compose_job(typed: Sequence[str] = ()) -> Composed:
    """Compose and validate one run's configuration from command-line settings.

    Raises ``InputError`` or ``ConfigError`` (one sentence each) for anything refused.
    """
    settings = [parse_setting(t) for t in typed]
    for s in settings:
        if s.is_sweep:
            raise InputError(f"Config key '{s.key}' has several values ({s.typed}): add -m to run each of them "
                             "(a sweep)")
        if s.kind in ("launcher", "n_jobs"):
            raise InputError(f"The setting '{s.typed}' chooses how a sweep runs: give it on the command line with -m")
    config, choices, config_values = _config_file()
    for s in settings:
        if s.kind == "group":
            choices[s.key] = str(s.override.value())
    chosen = choices["service"]
    service = _read("service", chosen, preset_path(chosen) if is_preset(chosen) else service_path(chosen))
    check_tree(service.doc.data, ServiceConfig, ("service",), _where(service, ("service",)))
    scenario = _read("scenario", choices["scenario"], scenario_path(choices["scenario"]))
    if isinstance(scenario.doc.data, dict):
        _check_run_place(scenario.doc.data, _where(scenario), scenario=True)
    check_tree(scenario.doc.data, RunConfig, (), _where(scenario))
    keys = [s for s in settings if s.kind == "key"]
    sources = {"config": config, "service": service, "scenario": scenario}
    _check_positions(keys, [config_values, {"service": service.doc.data}, scenario.doc.data])
    raw = _hydra_compose(config_values, service.doc.data, scenario.name, scenario.doc.data, [s.text for s in keys])
    notes: list[str] = []
    if raw.get("start_from") is not None:  # the run starts on the records' day, its scenario's dates moved with it
        from .start_from import from_records

        own = scenario.doc.data.get("start_date") if isinstance(scenario.doc.data, dict) else None
        own = own or config_values.get("start_date") or RunConfig().start_date  # before the command line's
        notes = from_records(raw, {s.key for s in keys}, str(own))
    try:
        cfg = to_run_config(raw)
    except ConfigError as e:
        raise ConfigError(e.key, e.problem, where=_provenance(e.key, keys, sources)) from None
    return Composed(cfg, list(typed), sources, notes)


def _check_positions(keys: list[Setting], layers: list[dict]) -> None:
    """Refuse a setting that names a list position the list does not have (``service.funding.3.count``)."""
    from ..config import to_plain

    merged: dict = to_plain(RunConfig())
    for layer in layers:
        merged = _merge(merged, layer)
    for s in keys:
        path = s.key.split(".")
        node: Any = merged
        for i, part in enumerate(path):
            if isinstance(node, list):
                n = int(part)
                if n >= len(node):
                    listed = ".".join(path[:i])
                    raise InputError(f"Config key '{s.key}' names position {n} of '{listed}', which has "
                                     f"{len(node)} entr{'y' if len(node) == 1 else 'ies'} here (positions start at 0); "
                                     f"to change the list, set it whole: '{listed}=[...]'")
                node = node[n]
            elif isinstance(node, dict) and part in node:
                if i == len(path) - 1 and not s.is_sweep:
                    node[part] = s.override.value()
                node = node[part]
            else:
                break


def _merge(base: Any, top: Any) -> Any:
    """``top`` over ``base`` as OmegaConf merges them: mappings key by key, lists replaced whole."""
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for k, v in top.items():
            out[k] = _merge(base.get(k), v)
        return out
    return copy.deepcopy(top)  # never share (and later change) a file's own data


def compose_config(overrides: Sequence[str] | None = None) -> RunConfig:
    """Compose and validate a configuration as ``caseflow`` would (for tests, notebooks, scripts)."""
    return compose_job(list(overrides or [])).cfg


def _hydra_compose(config_values: dict, service: dict, scenario_name: str, scenario: dict, overrides: list[str]):
    """Hydra composes the checked nodes from its in-memory store; nothing is searched for on disk."""
    from hydra import compose, initialize
    from hydra.core.config_store import ConfigStore
    from hydra.core.global_hydra import GlobalHydra

    scenario = {**scenario, "scenario": {**(scenario.get("scenario") or {}), "name": scenario_name}}
    cs = ConfigStore.instance()
    cs.store(name="caseflow_schema", node=RunConfig)
    cs.store(group="caseflow_service", name="chosen", node=service, package="service")
    cs.store(group="caseflow_scenario", name="chosen", node=scenario, package="_global_")
    cs.store(name="caseflow_config", node={
        "defaults": ["caseflow_schema", "_self_", {"caseflow_service": "chosen"}, {"caseflow_scenario": "chosen"}],
        **config_values})
    GlobalHydra.instance().clear()
    try:
        with initialize(version_base="1.3", config_path=None):
            return compose(config_name="caseflow_config", overrides=overrides)
    except Exception as e:  # noqa: BLE001 - Hydra's and OmegaConf's errors become one sentence
        raise InputError(explain(e)) from None
    finally:
        GlobalHydra.instance().clear()


def _provenance(key: str, keys: list[Setting], sources: dict[str, Source]) -> str:
    """Where the value of ``key`` was set: the command line, or a file's line and column."""
    path = tuple(int(p) if p.isdigit() else p for p in key.split("."))

    def related(other: str) -> bool:
        # The same key, one inside the other, or a neighbour in the same record (funding=temporary
        # set on the command line makes the record's missing until the command line's doing).
        a = tuple(int(p) if p.isdigit() else p for p in other.split("."))
        n = min(len(a), len(path))
        return a[:n] == path[:n] or (len(a) == len(path) and a[:-1] == path[:-1])

    if any(related(s.key) for s in keys):
        return ""
    for kind, prefix in (("scenario", ()), ("service", ("service",)), ("config", ())):
        src = sources[kind]
        if path[: len(prefix)] != prefix:
            continue
        rel = path[len(prefix):]
        for n in range(len(rel), 0, -1):
            if rel[:n] in src.doc.marks:
                return f"In {kind} file {src.doc.at(rel)}: "
    return ""
