"""Everything a user gives caseflow, read as data and checked before anything runs.

- ``yaml_files``: scenario and service files, bounded in size and expansion, with lines and columns;
- ``schema``: the keys and types a setting may have (from ``sim.config``), for files and overrides;
- ``overrides``: command-line ``key=value`` settings, and the few of Hydra's that are allowed;
- ``folders``: where scenarios and services are found (by name, never path); the output folder;
- ``compose``: one run's configuration, composed by Hydra from checked inputs only;
- ``errors``: ``InputError``, one plain sentence, and "did you mean".

Only this package (and ``sim.cli``) imports Hydra or OmegaConf.
"""
from .errors import InputError

__all__ = ["InputError"]
