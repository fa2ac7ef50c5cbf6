"""Composing a configuration from Python (kept for scripts and notebooks that import it here).

The input layer lives in ``sim.inputs``: ``compose_config(["scenario=baseline_2022", "seed=7"])``
returns the validated ``RunConfig`` that ``caseflow scenario=baseline_2022 seed=7`` would run.
"""
from .inputs.compose import compose_config, compose_job
from .inputs.folders import config_dir, scenario_dirs, scenario_files, service_files

__all__ = ["compose_config", "compose_job", "config_dir", "scenario_dirs", "scenario_files", "service_files"]
