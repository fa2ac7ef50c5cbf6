"""Where caseflow finds its Hydra config tree and scenarios, and how a config is composed.

Only this module and ``cli`` touch Hydra/OmegaConf; they hand plain ``RunConfig`` dataclasses
to the rest of ``sim/``.
"""
from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from .config import RunConfig, validate

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """``./configs`` if the working directory has one, else the one shipped beside the package."""
    local = Path.cwd() / "configs"
    return local if (local / "config.yaml").is_file() else PACKAGE_ROOT / "configs"


def scenario_dirs() -> list[Path]:
    """Scenario folders, first match wins: ``./scenarios``, then the shipped ``scenarios/``."""
    dirs = [Path.cwd() / "scenarios", PACKAGE_ROOT / "scenarios"]
    out: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in [o.resolve() for o in out]:
            out.append(d)
    return out


def scenario_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in reversed(scenario_dirs()):
        for p in sorted(d.glob("*.yaml")):
            found[p.stem] = p
    return found


class ScenarioFileError(ValueError):
    """A scenario file that is not a YAML mapping; ``str()`` is one sentence naming the file."""


def load_scenario(path: Path):
    """A scenario file as an OmegaConf mapping, or ``ScenarioFileError``."""
    try:
        node = OmegaConf.load(path)
    except Exception as e:  # noqa: BLE001 - YAML errors come in many types
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ScenarioFileError(f"Scenario file {path} is not valid YAML ({first})") from None
    if not OmegaConf.is_dict(node):
        raise ScenarioFileError(f"Scenario file {path} must hold a mapping of config keys")
    return node


def register() -> None:
    """Put the schema and every scenario file into Hydra's ConfigStore.

    Scenarios live in ``scenarios/`` (for users to copy and edit), not in the config tree, so
    they are registered as the ``scenario`` group here; each is an overlay on the whole config.
    """
    cs = ConfigStore.instance()
    cs.store(name="run_schema", node=RunConfig)
    for name, path in scenario_files().items():
        try:
            node = load_scenario(path)
        except ScenarioFileError:
            continue  # reported only if this scenario is chosen (check_scenario_file)
        OmegaConf.update(node, "scenario.name", name, force_add=True)
        cs.store(group="scenario", name=name, node=node, package="_global_")


def to_run_config(cfg) -> RunConfig:
    """Plain dataclasses from a composed OmegaConf config, validated."""
    # Re-merge onto the schema so that keys forced in with '+' are refused like any unknown key.
    strict = OmegaConf.merge(OmegaConf.structured(RunConfig), OmegaConf.to_container(cfg, resolve=True))
    run = OmegaConf.to_object(strict)
    validate(run)
    return run


def compose_config(overrides: list[str] | None = None) -> RunConfig:
    """Compose and validate a config as ``caseflow`` would (used by tests and the API)."""
    register()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=list(overrides or []))
    return to_run_config(cfg)


def check_scenario_file(name: str) -> None:
    """Raise if scenario ``name``'s file alone does not fit the schema (to name the file in errors)."""
    path = scenario_files().get(name)
    if path is None:
        return
    OmegaConf.merge(OmegaConf.structured(RunConfig), load_scenario(path))
