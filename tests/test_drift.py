"""Year-to-year drift (sim.drift, decision 0032): the drawn random walks, what they do to contacts
and to assessments' outcomes in a run, that an unset drift changes nothing, and the spreads
caseflow backtest estimates from the published tables."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim import drift
from sim.distributions import Choice, PeriodChoice
from sim.inputs.compose import compose_job
from sim.national import council_seed

SHORT = ["start_date=2023-04-01", "horizon_months=24", "warmup_months=0", "write_events=false"]


def cfg_with(*settings: str):
    return compose_job([*SHORT, *settings]).cfg


def test_unset_drift_draws_nothing_and_leaves_the_run_as_it_was():
    plain = cfg_with("horizon_months=3")
    assert not drift.path(plain, 0, 365).active
    # Drift set but parameter draws off: nothing drawn either.
    off = cfg_with("horizon_months=3", "service.drift.contacts=0.3", "parameter_draws=false")
    assert not drift.path(off, 0, 365).active
    # A pass-through alone moves nothing, so the log is the default service's event for event.
    from sim.projections import events_frame
    from sim.runner import replication_table

    a = events_frame(replication_table(plain, 0))
    b = events_frame(replication_table(cfg_with("horizon_months=3", "service.drift.in_need_pass_through=0.2"), 0))
    assert a.equals(b)


def test_walks_start_at_start_date_and_spread_as_a_random_walk():
    sd = 0.2
    cfg = cfg_with("service.drift.contacts=0.2")
    paths = [drift.path(cfg, k, 3 * 365.25) for k in range(4000)]
    assert all(p.factors["contacts"][0] == 1.0 for p in paths)  # the warm-up runs at the configured rate
    logs = np.log([p.factors["contacts"][1:] for p in paths])
    assert logs.shape == (4000, 3)
    # Standard deviation sd * sqrt(years), median factor 1 (no mean correction).
    assert np.std(logs, axis=0) == pytest.approx(sd * np.sqrt([1, 2, 3]), rel=0.05)
    assert np.abs(np.median(logs, axis=0)).max() < 0.02
    # Nothing else drifts when only contacts is set, apart from in_need's pass-through (1: none).
    assert all(set(p.factors["cp"]) == {1.0} and set(p.factors["in_need"]) == {1.0} for p in paths[:50])
    # Each replication draws its own; the same seed and replication draw the same.
    assert paths[0] != paths[1] and drift.path(cfg, 0, 3 * 365.25) == paths[0]
    # A longer horizon adds years without moving the earlier ones; another rate's setting moves none.
    longer = drift.path(cfg, 7, 5 * 365.25)
    assert longer.factors["contacts"][:4] == paths[7].factors["contacts"]
    both = drift.path(cfg_with("service.drift.contacts=0.2", "service.drift.cp=0.3"), 7, 3 * 365.25)
    assert both.factors["contacts"] == paths[7].factors["contacts"] and set(both.factors["cp"]) != {1.0}


def test_in_need_follows_contacts_by_its_pass_through():
    cfg = cfg_with("service.drift.contacts=0.2", "service.drift.in_need_pass_through=0.25")
    for k in range(20):
        p = drift.path(cfg, k, 2 * 365.25)
        c, n = np.log(p.factors["contacts"]), np.log(p.factors["in_need"])
        # No own spread given: children in need move by (0.25 - 1) of the contacts' log, so that
        # the plans' starts (contacts x in-need share) move by 0.25 of it.
        assert n == pytest.approx(-0.75 * c, abs=1e-12)


def test_drift_years_start_on_the_anniversaries_of_start_date():
    """A backtest's drift years are DfE years: they start on 1 April, 365 or 366 days apart."""
    cfg = compose_job(["start_date=2022-04-01", "end_date=2024-10-01", "service.drift.contacts=0.2"]).cfg
    p = drift.path(cfg, 0, (np.datetime64("2024-10-01") - np.datetime64("2022-04-01")).astype(int))
    assert p.bounds == (365, 731)  # 1 April 2023; 1 April 2024 (after 29 February 2024)
    assert [p.year_of(d) for d in (-400, -0.1, 0, 364.99, 365, 730.99, 731, 900, 5000)] == [0, 0, 1, 1, 2, 2, 3, 3, 3]
    assert p.years == 4
    assert drift.anniversaries("2024-02-29", 800) == (365, 730)  # 28 February 2025, 28 February 2026


def test_outcome_shares_keep_the_total_and_close_takes_the_rest():
    base = {"close": 0.6, "cin": 0.3, "cp": 0.05, "lac": 0.05}
    p = drift.DriftPath({"contacts": (1.0, 1.0), "in_need": (1.0, 1.5), "cp": (1.0, 2.0), "lac": (1.0, 1.0)})
    assert drift.outcome_shares(base, p, 0) == pytest.approx(base)
    out = drift.outcome_shares(base, p, 1)
    assert out == pytest.approx({"close": 1 - 0.45 - 0.15 - 0.075, "cin": 0.45, "cp": 0.15, "lac": 0.075})
    huge = drift.DriftPath({"contacts": (1.0, 1.0), "in_need": (1.0, 4.0), "cp": (1.0, 1.0), "lac": (1.0, 1.0)})
    out = drift.outcome_shares(base, huge, 1)
    assert out["close"] == 0 and sum(out.values()) == pytest.approx(1.0)
    assert out["cin"] / out["cp"] == pytest.approx(0.3 / 0.05)


def test_period_choice_with_equal_periods_picks_as_choice_does():
    labels, probs = ["close", "cin", "cp", "lac"], [0.6, 0.3, 0.06, 0.04]
    period = iter([0, 1, 2] * 2000)
    a = Choice(labels, probs, np.random.default_rng(5))
    b = PeriodChoice(labels, [probs, probs, probs], np.random.default_rng(5), lambda: next(period))
    assert [a() for _ in range(6000)] == [b() for _ in range(6000)]
    # Different periods: each period's picks follow its own probabilities.
    which = iter([0, 1] * 20000)
    c = PeriodChoice(["a", "b"], [[0.9, 0.1], [0.2, 0.8]], np.random.default_rng(1), lambda: next(which))
    picks = np.array([c() for _ in range(40000)]).reshape(-1, 2)
    assert (picks[:, 0] == "a").mean() == pytest.approx(0.9, abs=0.01)
    assert (picks[:, 1] == "a").mean() == pytest.approx(0.2, abs=0.01)


def _counts(cfg, replication=0):
    from sim.projections import events_frame
    from sim.runner import replication_table

    df = events_frame(replication_table(cfg, replication))
    year = lambda t: (t >= 366).astype(int)  # drift years 1 and 2 (no warm-up; 1 April 2024 is day 366)
    new = df[(df["event"] == "contact_received") & (df["reason"] == "new")]
    done = df[df["event"] == "assessment_completed"]
    return (new.groupby(year(new["t"])).size().to_numpy(),
            done.groupby(year(done["t"]))["outcome"].apply(lambda o: (o != "close").mean()).to_numpy())


def test_drawn_drift_moves_contacts_and_plan_starts_by_its_factors():
    """New children's contacts each year are the drawn factor times the undrifted run's, within
    Poisson noise; and the share of assessments that start a plan is the in-need factor times it."""
    settings = ["service.demand.contacts_per_year=6000", "service.casework.opening_stock=false"]
    base = cfg_with(*settings)
    moved = cfg_with(*settings, "service.drift.contacts=0.3", "service.drift.in_need=0.3",
                     "service.drift.in_need_pass_through=1")
    k = next(k for k in range(50) if min(abs(np.log(drift.path(moved, k, 730).factors["contacts"][1:]))) > 0.15
             and min(abs(np.log(drift.path(moved, k, 730).factors["in_need"][1:]))) > 0.15)
    p = drift.path(moved, k, 730)
    (c0, s0), (c1, s1) = _counts(base, k), _counts(moved, k)
    for y in (0, 1):
        ratio = c1[y] / c0[y]
        assert ratio == pytest.approx(p.factors["contacts"][y + 1], rel=4 * np.sqrt(1 / c0[y] + 1 / c1[y])), (y, ratio)
        # Assessments completed early in a year were visited in the year before: a loose bound.
        assert s1[y] / s0[y] == pytest.approx(p.factors["in_need"][y + 1], rel=0.15), (y, s1[y] / s0[y])


def test_bad_drift_is_one_sentence():
    from sim.config import ConfigError, validate

    cfg = cfg_with()
    bad = dataclasses.replace(cfg, service=dataclasses.replace(cfg.service, drift=drift.DriftConfig(contacts=-0.1)))
    with pytest.raises(ConfigError, match="service.drift.contacts"):
        validate(bad)
    for value in (-1.5, 2.5, float("nan")):
        odd = dataclasses.replace(cfg, service=dataclasses.replace(
            cfg.service, drift=drift.DriftConfig(in_need_pass_through=value)))
        with pytest.raises(ConfigError, match="service.drift.in_need_pass_through"):
            validate(odd)
    # A walk that could make one replication too big to run is refused before it runs.
    long = compose_job(["horizon_months=600", "warmup_months=0"]).cfg
    wild = dataclasses.replace(long, service=dataclasses.replace(long.service, drift=drift.DriftConfig(contacts=1.0)))
    with pytest.raises(ConfigError, match="one replication in a thousand"):
        validate(wild)
    validate(dataclasses.replace(wild, parameter_draws=False))  # nothing drawn: nothing to refuse


def test_factors_are_held_within_twenty_times():
    cfg = cfg_with("service.drift.contacts=1", "horizon_months=36")
    f = np.array([drift.path(cfg, k, 3 * 365.25).factors["contacts"] for k in range(300)])
    assert f.max() == pytest.approx(20.0) and f.min() == pytest.approx(1 / 20)


def test_backtest_drift_is_the_spread_of_published_changes_up_to_from_year():
    from sim.backtest import drift_from_tables, published_changes, spread

    d = drift_from_tables(2022)
    changes = published_changes("referrals", 2022)
    assert changes["year"].max() == 2022 and changes["year"].min() == 2018  # nothing after from_year
    assert d.contacts == pytest.approx(spread(changes["change"]))
    # Published: councils' referrals move by about 18% a year (10th-90th percentile spread), their
    # children in need by about 11%, following about a quarter of a change in referrals.
    assert 0.12 < d.contacts < 0.25 and 0.05 < d.in_need < 0.15 and 0.1 < d.in_need_pass_through < 0.4
    assert 0.1 < d.cp < 0.3 and 0.05 < d.lac < 0.3
    assert drift_from_tables(2021).lac == 0  # no looked-after starts were published before 2021
    # The spread: a normal's sd from its 10th-90th percentiles.
    x = np.random.default_rng(2).normal(0, 0.3, 200_000)
    assert spread(x) == pytest.approx(0.3, rel=0.01)


def test_every_council_has_its_own_seed():
    seeds = {council_seed(20220701, c) for c in range(100, 1000)}
    assert len(seeds) == 900 and all(0 <= s < 2**32 for s in seeds)
    assert council_seed(20220701, 892) == council_seed(20220701, 892) != council_seed(1, 892)
