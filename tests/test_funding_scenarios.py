"""The shipped funding scenarios answer the questions they exist for (many replications, from the log)."""
from __future__ import annotations

import numpy as np
import pytest

from sim.forecast import periods, window_kpis
from sim.projections import events_frame
from sim.projections.workforce import changes_per_child
from sim.runner import run_replications
from sim.settings import compose_config, scenario_files

SCENARIOS = ["baseline_2022", "temporary_funding", "permanent_posts", "agency_cover", "retention_package"]


def test_every_funding_scenario_is_shipped_and_composes():
    for name in SCENARIOS:
        assert name in scenario_files()
        cfg = compose_config([f"scenario={name}"])
        assert cfg.scenario.name == name


def p90_before_and_after(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Threshold-to-seen 90th percentile per replication, six months before and after the money ends."""
    cfg = compose_config([f"scenario={name}", "horizon_months=37", "replications=6", "seed=4"])
    df = events_frame(run_replications(cfg))
    months = periods(cfg)
    labels = [m[0].isoformat()[:7] for m in months]
    end = labels.index("2024-11")  # the first month without the money (it ends on 31 October 2024)
    before, after = months[end - 6:end], months[end:end + 6]
    assert len(after) == 6
    return (window_kpis(df, cfg, before)["threshold_to_seen_p90"].to_numpy(),
            window_kpis(df, cfg, after)["threshold_to_seen_p90"].to_numpy())


@pytest.fixture(scope="module")
def cliff():
    return {name: p90_before_and_after(name) for name in ("temporary_funding", "permanent_posts")}


def test_waits_jump_when_temporary_money_ends(cliff):
    before, after = cliff["temporary_funding"]
    assert after.mean() > 1.5 * before.mean(), f"before {before.round(1)}, after {after.round(1)}"
    assert (after > before).sum() >= 5


def test_permanent_posts_hold_their_waits(cliff):
    before, after = cliff["permanent_posts"]
    temp_before, temp_after = cliff["temporary_funding"]
    assert after.mean() < 1.25 * before.mean(), f"before {before.round(1)}, after {after.round(1)}"
    assert after.mean() < temp_after.mean()


@pytest.fixture(scope="module")
def two_routes():
    out = {}
    for name in ("permanent_posts", "agency_cover"):
        cfg = compose_config([f"scenario={name}", "horizon_months=24", "replications=4", "seed=6"])
        out[name] = (cfg, events_frame(run_replications(cfg)))
    return out


def test_permanent_posts_fill_more_slowly_than_agency_cover(two_routes):
    def mean_days_to_fill(df):
        opened = df[(df.event == "post_opened") & (df.reason == "funding")][["replication", "post_id", "t"]]
        filled = df[df.event == "worker_started"].groupby(["replication", "post_id"], as_index=False)["t"].min()
        m = opened.merge(filled, on=["replication", "post_id"], suffixes=("_opened", "_filled"))
        assert len(m) >= 0.9 * len(opened) > 0
        return float((m["t_filled"] - m["t_opened"]).mean())
    permanent = mean_days_to_fill(two_routes["permanent_posts"][1])
    agency = mean_days_to_fill(two_routes["agency_cover"][1])
    assert agency < permanent / 3, (agency, permanent)


def test_agency_cover_gives_more_changes_of_social_worker(two_routes):
    per = {name: changes_per_child(df, 0.0, periods(cfg)[-1][2])["changes_per_child"].to_numpy()
           for name, (cfg, df) in two_routes.items()}
    assert per["agency_cover"].mean() > per["permanent_posts"].mean(), per
    assert (per["agency_cover"] > per["permanent_posts"]).sum() >= 3
