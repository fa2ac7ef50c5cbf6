"""A configuration typed by the schema: plain data (a service file's tree, or what Hydra
composed) made into ``RunConfig`` dataclasses and validated, and OmegaConf's errors made into one
sentence.  Free of the rest of ``sim.inputs`` (which files, which presets), so that code which
only needs a typed configuration (``sim.calibrate``) depends on nothing else."""
from __future__ import annotations

from ..config import RunConfig, validate
from .errors import InputError
from .schema import dotted


def with_service(service: dict) -> RunConfig:
    """The default run settings with ``service`` (a plain dict, as a service file holds it),
    typed by the schema and validated (``InputError`` or ``ConfigError`` if it is refused)."""
    from omegaconf import OmegaConf

    try:
        merged = OmegaConf.merge(OmegaConf.structured(RunConfig), {"service": service})
    except Exception as e:  # noqa: BLE001 - OmegaConf's errors become one sentence
        raise InputError(explain(e)) from None
    return to_run_config(merged)


def from_plain(data: dict) -> RunConfig:
    """A whole run's configuration from plain data (a run folder's config.yaml), merged onto the
    schema (key names and types checked) and validated."""
    from omegaconf import OmegaConf

    try:
        merged = OmegaConf.merge(OmegaConf.structured(RunConfig), data)
    except Exception as e:  # noqa: BLE001 - OmegaConf's errors become one sentence
        raise InputError(explain(e)) from None
    return to_run_config(merged)


def to_run_config(cfg) -> RunConfig:
    """Plain dataclasses from a composed OmegaConf config (typed by the schema), validated."""
    from omegaconf import OmegaConf

    try:
        run = OmegaConf.to_object(cfg)
    except Exception as e:  # noqa: BLE001
        raise InputError(explain(e)) from None
    if not isinstance(run, RunConfig):  # the schema heads the defaults list, so this is a bug
        raise TypeError(f"composition gave a {type(run).__name__}, not a RunConfig")
    validate(run)
    return run


def explain(exc: BaseException) -> str:
    """One sentence for an error Hydra or OmegaConf raised while composing checked inputs."""
    from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, ValidationError

    chain, e = [], exc
    while e is not None and len(chain) < 20:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        if isinstance(e, ValidationError):
            key = _command_line_key(getattr(e, "full_key", None))
            msg = str(getattr(e, "msg", e)).splitlines()[0].rstrip(".")
            return f"Config key '{key}' has a value of the wrong type: {msg}"
        if isinstance(e, (ConfigKeyError, IndexError)) or "index out of range" in str(e).lower():
            key = _command_line_key(getattr(e, "full_key", None))
            text = str(getattr(e, "msg", e)).splitlines()[0].rstrip(".")
            if "index" in text.lower() or isinstance(e, IndexError):
                return (f"A setting names a list position that does not exist ({text}): the scenario's list is "
                        "shorter; set the whole list instead, e.g. 'service.funding=[...]'")
            return f"Config key '{key}' cannot be set: {text}"
    for e in chain:
        if isinstance(e, OmegaConfBaseException):
            key = _command_line_key(getattr(e, "full_key", None))
            first = str(getattr(e, "msg", e)).splitlines()[0].rstrip(".")
            return f"Config key '{key}': {first}" if key else first
    first = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(".")
    return f"The configuration cannot be composed: {first}"


def _command_line_key(full_key: str | None) -> str:
    """OmegaConf's ``service.funding[0].count`` as the command line writes it."""
    if not full_key:
        return "?"
    return dotted(tuple(full_key.replace("[", ".").replace("]", "").split(".")))
