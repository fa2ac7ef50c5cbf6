"""The shipped funding scenarios start from the 2022 service and answer the questions they exist
for (directions of effect over a few replications, from the log).

The runs are shortened to keep this file near a minute: 3 paired replications, a 3-month
warm-up, and horizons that just cover the months compared."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sim.config import to_plain
from sim.forecast import log_views, periods, window_kpis
from sim.projections import events_frame
from sim.projections.workforce import cost_between
from sim.runner import run_replications
from sim.settings import compose_config, scenario_files

SCENARIOS = ["baseline_2022", "temporary_funding", "permanent_posts", "agency_cover", "retention_package"]


def test_every_funding_scenario_is_shipped_and_composes():
    for name in SCENARIOS:
        assert name in scenario_files()
        cfg = compose_config([f"scenario={name}"])
        assert cfg.scenario.name == name


# What each funding scenario sets on top of the 2022 service besides its funding schedule
# (dotted paths into service). None of them changes anything else: agency_cover keeps the
# 2022 service's vacancy cover, so that it differs from temporary_funding only in how the
# extra capacity is bought.
OWN_SETTINGS: dict[str, tuple[str, ...]] = {
    "temporary_funding": (),
    "permanent_posts": (),
    "agency_cover": (),
    "retention_package": (),
}


def _without(tree: dict, path: str) -> None:
    *parents, last = path.split(".")
    for key in parents:
        tree = tree[key]
    tree.pop(last)


def test_funding_scenarios_start_from_the_2022_service():
    base_cfg = compose_config(["scenario=baseline_2022"])
    base = to_plain(base_cfg.service)
    assert base.pop("funding") == []
    for name, own in OWN_SETTINGS.items():
        cfg = compose_config([f"scenario={name}"])
        assert cfg.start_date == base_cfg.start_date, name
        service = to_plain(cfg.service)
        assert service.pop("funding"), f"{name} has no funding schedule"
        for path in own:
            _without(service, path)
        expected = to_plain(base_cfg.service)
        expected.pop("funding")
        for path in own:
            _without(expected, path)
        assert service == expected, name


SHORT = ["replications=3", "seed=4", "warmup_months=3"]


def run(name: str, horizon_months: int):
    cfg = compose_config([f"scenario={name}", f"horizon_months={horizon_months}", *SHORT])
    df = events_frame(run_replications(cfg))
    return cfg, df, log_views(df, cfg)


def kpis(run_, months) -> pd.DataFrame:
    cfg, df, views = run_
    return window_kpis(df, cfg, months, views=views)


# Counts changes in the 12 months after each child's first allocation, so it sees what
# happens after the window: left out of the checks that two runs are identical up to a date.
LOOKS_AHEAD = ["three_plus_changes_pct"]


def assert_identical(a, b, months) -> None:
    pd.testing.assert_frame_equal(kpis(a, months).drop(columns=LOOKS_AHEAD), kpis(b, months).drop(columns=LOOKS_AHEAD))


def t_of(cfg, date: str) -> float:
    """Clock time at the start of ``date`` (t=0 is start_date)."""
    return float((dt.date.fromisoformat(date) - dt.date.fromisoformat(str(cfg.start_date))).days)


def months_between(cfg, first: str, stop: str):
    """The forecast months from ``first`` up to, not including, ``stop`` (both YYYY-MM)."""
    return [m for m in periods(cfg) if first <= m[0].isoformat()[:7] < stop]


@pytest.fixture(scope="module")
def cliff():
    """temporary_funding and permanent_posts to six months after the money ends (April 2025)."""
    return {name: run(name, 37) for name in ("temporary_funding", "permanent_posts")}


@pytest.fixture(scope="module")
def halves(cliff):
    """Each scenario's KPIs per replication over the six months before the money ends (May -
    October 2024) and the six months after (November 2024 - April 2025)."""
    out = {}
    for name, r in cliff.items():
        before, after = months_between(r[0], "2024-05", "2024-11"), months_between(r[0], "2024-11", "2025-05")
        assert len(before) == len(after) == 6
        out[name] = (kpis(r, before), kpis(r, after))
    return out


def before_and_after(halves, name: str, kpi: str) -> tuple[np.ndarray, np.ndarray]:
    before, after = halves[name]
    return before[kpi].to_numpy(), after[kpi].to_numpy()


def test_temporary_and_permanent_posts_are_identical_until_the_end_nears(cliff):
    # Same posts, same dates, same random numbers: nothing differs until the last six months of
    # the money, when fixed-term workers start leaving more often (turnover.fixed_term_multiplier)
    # and no new hire goes into a post about to close (recruitment.stop_before_end_days).
    temp, perm = cliff["temporary_funding"], cliff["permanent_posts"]
    months = months_between(temp[0], "2022-04", "2024-05")
    assert months == months_between(perm[0], "2022-04", "2024-05")
    assert_identical(temp, perm, months)


def test_waits_jump_when_temporary_money_ends(halves):
    # The 2022 service with the extra posts is already stretched before the money ends (children
    # wait weeks), and a child who has waited 20 working days is allocated over a cap
    # (over_cap), which bounds the longest waits: so the number waiting jumps most, the 90th
    # and 95th percentile waits by a fifth and a tenth or more.
    for kpi, factor in (("threshold_to_seen_p90", 1.2), ("threshold_to_seen_p95", 1.1),
                        ("waiting_for_allocation_mean", 1.5)):
        before, after = before_and_after(halves, "temporary_funding", kpi)
        assert after.mean() > factor * before.mean(), f"{kpi}: before {before.round(1)}, after {after.round(1)}"
        assert (after > before).all(), f"{kpi}: before {before.round(1)}, after {after.round(1)}"


def test_permanent_posts_hold_their_waits(halves):
    for kpi in ("threshold_to_seen_p90", "threshold_to_seen_p95", "waiting_for_allocation_mean"):
        before, after = before_and_after(halves, "permanent_posts", kpi)
        _, temp_after = before_and_after(halves, "temporary_funding", kpi)
        assert after.mean() < 1.25 * before.mean(), f"{kpi}: before {before.round(1)}, after {after.round(1)}"
        assert (after < temp_after).all(), f"{kpi}: permanent {after.round(1)}, temporary {temp_after.round(1)}"


def test_temporary_posts_end_on_31_october_2024(cliff):
    cfg, df, _ = cliff["temporary_funding"]
    end = t_of(cfg, "2024-11-01")
    closed = df[df.event == "post_closed"]
    assert len(closed) and (closed["t"] == end).all()
    moved = df[(df.event == "case_reallocated") & (df.reason == "ORGRST")]
    assert (moved["t"] == end).all() and set(moved["team"]) == {"assessment"}
    assert moved.groupby("replication").size().min() > 0  # the assessment workers' children move at once


@pytest.fixture(scope="module")
def agency():
    """agency_cover to April 2024 (well inside the money), with temporary_funding's seed and replications."""
    return run("agency_cover", 25)


def test_extra_posts_are_covered_by_agency_until_the_employees_arrive(cliff):
    # The 2022 service covers every vacancy with an agency worker (recruitment.agency_cover), the
    # extra posts of temporary_funding included: most get an agency worker first, then an employee.
    cfg, df, _ = cliff["temporary_funding"]
    opened = df[(df.event == "post_opened") & (df.reason == "funding")][["replication", "post_id"]]
    first = (df[df.event == "worker_started"].sort_values("seq").groupby(["replication", "post_id"], as_index=False)
             .first()[["replication", "post_id", "kind"]])
    kinds = opened.merge(first, on=["replication", "post_id"])
    assert len(kinds) == len(opened) > 0
    assert (kinds["kind"] == "agency").mean() > 0.5


def test_agency_cover_costs_more_while_the_money_lasts(cliff, agency):
    (cfg_t, temp, _), (_, ag, _) = cliff["temporary_funding"], agency
    edges = np.array([t_of(cfg_t, "2022-11-01"), t_of(cfg_t, "2024-05-01")])
    reps = sorted(temp["replication"].unique())
    assert reps == sorted(ag["replication"].unique())
    cost_temp, cost_agency = cost_between(temp, edges, reps)[:, 0], cost_between(ag, edges, reps)[:, 0]
    assert (cost_agency > cost_temp).all(), (cost_agency.round(), cost_temp.round())


@pytest.fixture(scope="module")
def retention():
    """baseline_2022 and retention_package to six months into the package (December 2023)."""
    return {name: run(name, 21) for name in ("baseline_2022", "retention_package")}


def test_retention_package_lowers_leavers(retention):
    base, ret = retention["baseline_2022"], retention["retention_package"]
    assert_identical(base, ret, months_between(base[0], "2022-04", "2023-07"))  # before the package
    start = t_of(base[0], "2023-07-01")

    def resigned(r):
        df = r[1]
        left = df[(df.event == "worker_left") & (df.reason == "resigned") & (df.t >= start)]
        return left.groupby("replication").size().reindex(sorted(df["replication"].unique()), fill_value=0).to_numpy()
    assert resigned(ret).sum() < 0.9 * resigned(base).sum(), (resigned(ret), resigned(base))
    assert (resigned(ret) <= resigned(base)).all(), (resigned(ret), resigned(base))
