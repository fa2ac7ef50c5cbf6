"""Shared fixtures: composed configs and small runs reused across tests."""
from __future__ import annotations

import pytest

from sim.model import Service
from sim.settings import compose_config


@pytest.fixture(scope="session")
def default_cfg():
    """The default Nottingham service over six months (short, but every stage is exercised)."""
    return compose_config(["horizon_months=6"])


@pytest.fixture(scope="session")
def baseline_run():
    """One finished replication of baseline_2022 (a service under strain: queues are non-empty)."""
    cfg = compose_config(["scenario=baseline_2022", "horizon_months=9", "seed=11"])
    service = Service(cfg, 0)
    service.run()
    return cfg, service


@pytest.fixture(scope="session", autouse=True)
def presets_cache(tmp_path_factory):
    """Council presets (``service=la/...``) are cached in a folder of the test session's own, never
    in the user's cache; shared by the session's tests, so each preset is calibrated once."""
    import os

    folder = tmp_path_factory.mktemp("caseflow-cache")
    before = os.environ.get("CASEFLOW_CACHE_DIR")
    os.environ["CASEFLOW_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("CASEFLOW_CACHE_DIR", None)
    else:
        os.environ["CASEFLOW_CACHE_DIR"] = before
