"""The recruitment market (docs/decisions/0018): failed rounds, lags that lengthen when many
posts are vacant, a monthly agency supply, fixed-term leavers; and the DfE vacancy and agency
rates projected from the log."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from log_checks import cap_rules, check_workers
from sim.config import ConfigError, FundingAction
from sim.model import Service
from sim.projections import events_frame
from sim.projections.workforce import agency_rate_at, dfe_vacancy_rate_at, fte_at, vacancy_intervals
from sim.runner import replication_table
from sim.settings import compose_config
from sim.state import replay

REC = "service.workforce.recruitment"
TURN = "service.workforce.turnover"
# Every part of the market switched off (the Nottingham service switches them on).
NEUTRAL = [f"{REC}.round_failure.permanent=0", f"{REC}.round_failure.agency=0", f"{REC}.vacancy_lag_elasticity=0",
           f"{REC}.agency_per_month=null", f"{TURN}.fixed_term_multiplier=1"]


def churn(*extra, months=8, seed=21):
    """baseline_2022 with the market off, everyone leaving fast and no agency cover (baseline_2022
    covers every vacancy with agency: ``extra`` may switch it back on)."""
    return compose_config(["scenario=baseline_2022", f"horizon_months={months}", f"seed={seed}", *NEUTRAL,
                           f"{TURN}.annual_rate.permanent=1.0", f"{TURN}.annual_rate.asye=1.0",
                           f"{TURN}.annual_rate.agency=2.0", f"{REC}.agency_cover=false", *extra])


def frame(cfg):
    return events_frame(replication_table(cfg, 0))


def run(cfg):
    """The finished service (its log, for the invariants) and its log as a frame."""
    service = Service(cfg, 0)
    service.run()
    return service, events_frame(service.log.to_table(0, service.start_date))


def vacant_days(df) -> float:
    v = vacancy_intervals(df)
    end = np.nan_to_num(v["end"].to_numpy(), nan=df["t"].max())
    return float((end - v["start"].to_numpy()).sum())


# ---------------------------------------------------------------- failed rounds, congestion


def test_failed_rounds_raise_vacancy_time_and_start_new_rounds():
    off, on = frame(churn()), frame(churn(f"{REC}.round_failure.permanent=0.5"))
    assert not (off.event == "recruitment_failed").any()
    failed = on[on.event == "recruitment_failed"]
    assert len(failed) > 20
    # Each failure ends a round and, unless the money is about to end, a new round starts at once.
    started = on[on.event == "recruitment_started"].groupby(["post_id", "t"]).size()
    again = [(p, t) in started.index for p, t in zip(failed.post_id, failed.t)]
    assert np.mean(again) > 0.9
    assert vacant_days(on) > 1.2 * vacant_days(off), (vacant_days(off), vacant_days(on))


def test_lags_lengthen_when_many_posts_are_vacant():
    def mean_permanent_lag(df):
        rec = df[(df.event == "recruitment_started") & (df.kind != "agency")].groupby("post_id")["t"].apply(list)
        lags = []
        for e in df[(df.event == "worker_started") & (df.kind != "agency") & (df.t > df.t.min())].itertuples():
            before = [t for t in rec.get(e.post_id, []) if t <= e.t]
            if before:
                lags.append(e.t - max(before))
        return np.mean(lags), len(lags)
    (off, n_off), (on, n_on) = mean_permanent_lag(frame(churn())), mean_permanent_lag(
        frame(churn(f"{REC}.vacancy_lag_elasticity=3.0")))
    assert n_off > 20 and n_on > 10
    assert on > 1.1 * off, (off, on)


# ---------------------------------------------------------------- the agency supply


def agency_starts_by_month(df):
    started = df[(df.event == "worker_started") & (df.kind == "agency") & (df.t > df.t.min())]
    return pd.to_datetime(started["date"]).dt.to_period("M").value_counts()


def test_agency_starts_never_exceed_the_monthly_supply():
    extra = [f"{TURN}.annual_rate.agency=4.0", f"{REC}.agency_cover=true"]
    free = agency_starts_by_month(frame(churn(*extra)))
    cfg = churn(*extra, f"{REC}.agency_per_month=3")
    service, df = run(cfg)
    check_workers(service.log, **cap_rules(cfg))  # still at most one worker a post, only while it is open
    assert replay(service.log) == service.snapshot()
    limited = agency_starts_by_month(df)
    assert free.max() > 3, "the test needs months that would start more agency workers than the supply"
    assert limited.max() <= 3, limited
    assert (limited == 3).sum() >= 3   # the limit binds in several months


def test_an_agency_supply_that_never_binds_changes_nothing():
    """The supply is checked without drawing any random number: a limit above every month's
    demand gives the same log as no limit."""
    assert frame(churn()).equals(frame(churn(f"{REC}.agency_per_month=5000")))


def test_neutral_market_draws_nothing_and_waits_for_nothing():
    service = Service(churn(), 0)
    wf = service.workforce
    assert wf.failure_rng is None and wf.agency_limit is None and not wf.fixed_term
    assert wf.cfg.recruitment.vacancy_lag_elasticity == 0


# ---------------------------------------------------------------- fixed-term leavers


def temporary_posts(multiplier, count=40):
    cfg = compose_config(["scenario=baseline_2022", "horizon_months=14", "seed=8", *NEUTRAL,
                          f"{TURN}.annual_rate.permanent=1.0", f"{TURN}.fixed_term_multiplier={multiplier}",
                          f"{TURN}.fixed_term_months=6"])
    add = FundingAction(date="2022-05-01", action="add_posts", team="long_term", count=count, funding="temporary",
                        fill_with="permanent", fte=1.0, until="2023-04-30")
    return dataclasses.replace(cfg, service=dataclasses.replace(cfg.service, funding=[add]))


def test_fixed_term_factor_rises_a_step_a_month_to_the_multiplier():
    wf = Service(temporary_posts(3.0), 0).workforce
    until = wf._end_of("2023-04-30")               # the start of 1 May 2023
    at = lambda day: wf._t(day) + 0.5              # noqa: E731
    assert wf.fixed_term_factor(until, at("2022-10-31")) == 1.0
    assert wf.fixed_term_factor(until, at("2022-11-01")) == pytest.approx(1 + 2 * 0.5 / 6)
    assert wf.fixed_term_factor(until, at("2023-02-15")) == pytest.approx(1 + 2 * 3.5 / 6)
    assert wf.fixed_term_factor(until, at("2023-04-30")) == pytest.approx(1 + 2 * 5.5 / 6)
    assert wf.fixed_term_factor(until, until) == 1.0


def test_fixed_term_workers_resign_more_as_their_end_date_nears():
    def resignations_in_last_months(multiplier):
        cfg = temporary_posts(multiplier)
        service, df = run(cfg)
        check_workers(service.log, **cap_rules(cfg))
        temp = set(df.loc[(df.event == "post_opened") & (df.funding == "temporary"), "post_id"])
        in_temp = set(df.loc[(df.event == "worker_started") & df.post_id.isin(temp), "worker_id"])
        t0, t1 = service.workforce._t("2022-11-01"), service.workforce._end_of("2023-04-30")
        notice = df[(df.event == "notice_given") & df.worker_id.isin(in_temp) & (df.t >= t0) & (df.t < t1)]
        others = df[(df.event == "notice_given") & ~df.worker_id.isin(in_temp) & (df.t < t0)]
        return len(notice), len(others)
    (off, others_off), (on, others_on) = resignations_in_last_months(1.0), resignations_in_last_months(4.0)
    assert on > 1.5 * off and on - off >= 5, (off, on)
    assert others_on == others_off  # the same budgets: nobody else's resignation moves before the window


# ---------------------------------------------------------------- DfE rates


def _log(rows):
    cols = ["replication", "seq", "t", "event", "post_id", "team", "worker_id", "kind", "fte", "annual_cost"]
    return pd.DataFrame([dict(zip(cols, [0, i, *r])) for i, r in enumerate(rows)], columns=cols)


def test_dfe_rates_on_a_hand_built_log():
    df = _log([
        (0.0, "post_opened", "P1", "assessment", None, None, None, None),
        (0.0, "post_opened", "P2", "assessment", None, None, None, None),
        (0.0, "post_opened", "P3", "assessment", None, None, None, None),
        (0.0, "post_opened", "P4", "mash", None, None, None, None),
        (0.0, "worker_started", "P1", "assessment", "W1", "permanent", 1.0, 1.0),
        (0.0, "worker_started", "P2", "assessment", "W2", "agency", 1.0, 1.0),
        (0.0, "worker_started", "P3", "assessment", "W3", "asye", 0.5, 1.0),
        (0.0, "worker_started", "P4", "mash", "W4", "permanent", 1.0, 1.0),
        (10.0, "worker_left", None, None, "W1", None, None, None),
        (20.0, "worker_started", "P1", "assessment", "W5", "agency", 1.0, 1.0),
        (30.0, "post_closed", "P2", None, None, None, None, None),
        (30.0, "worker_left", None, None, "W2", None, None, None),
    ])
    at = np.array([5.0, 15.0, 25.0, 35.0])
    # At 5: posts 3.5 FTE, employed 2.5 (W1, W3, W4): vacancy 1/3.5.  At 15: W1 gone: 2/3.5.
    # At 25: as at 15 (W5 is agency).  At 35: P2 closed: posts 2.5, employed 1.5: 1/2.5.
    assert dfe_vacancy_rate_at(df, at, [0])[0] == pytest.approx([1 / 3.5, 2 / 3.5, 2 / 3.5, 1 / 2.5])
    assert agency_rate_at(df, at, [0])[0] == pytest.approx([1 / 3.5, 1 / 2.5, 2 / 3.5, 1 / 2.5])
    teams = ("assessment",)  # case-holding posts only
    assert dfe_vacancy_rate_at(df, at, [0], teams)[0] == pytest.approx([1 / 2.5, 2 / 2.5, 2 / 2.5, 1 / 1.5])
    assert agency_rate_at(df, at, [0], teams)[0] == pytest.approx([1 / 2.5, 1 / 1.5, 2 / 2.5, 1 / 1.5])


def test_dfe_rates_on_a_run():
    df = frame(churn(f"{REC}.agency_cover=true", months=6))
    at = np.linspace(df.t.min(), df.t.max(), 25)
    vac, agency = dfe_vacancy_rate_at(df, at, [0]), agency_rate_at(df, at, [0])
    assert np.all((vac >= 0) & (vac <= 1)) and np.all((agency >= 0) & (agency <= 1))
    fte = fte_at(df, at, [0])
    assert agency == pytest.approx(fte_at(df, at, [0], "agency") / fte)
    assert np.all(vac >= agency - 1e-12)  # a post held by agency counts as vacant too
    assert vac[0, 0] > 0                   # agency workers in the establishment


def test_dfe_vacancy_rate_is_zero_when_employed_staff_fill_every_post():
    cfg = compose_config(["horizon_months=3", *NEUTRAL, f"{TURN}.annual_rate.permanent=0",
                          f"{TURN}.annual_rate.asye=0", f"{TURN}.annual_rate.agency=0"])
    wf = cfg.service.workforce
    employed = {team: dataclasses.replace(getattr(wf, team), groups=[
        dataclasses.replace(g, kind="permanent" if g.kind == "agency" else g.kind) for g in getattr(wf, team).groups])
        for team in ("mash", "assessment", "long_term")}
    cfg = dataclasses.replace(cfg, service=dataclasses.replace(cfg.service, workforce=dataclasses.replace(wf, **employed)))
    df = frame(cfg)
    at = np.linspace(df.t.min(), df.t.max(), 10)
    assert np.all(dfe_vacancy_rate_at(df, at, [0]) == 0)
    assert np.all(agency_rate_at(df, at, [0]) == 0)


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize("override,key,words", [
    (f"{REC}.round_failure.permanent=1.0", "round_failure.permanent", "between 0 and 0.99"),
    (f"{REC}.round_failure.agency=-0.1", "round_failure.agency", "between 0 and 0.99"),
    (f"{REC}.vacancy_lag_elasticity=-1", "vacancy_lag_elasticity", "at least 0"),
    (f"{REC}.agency_per_month=0", "agency_per_month", "null for no limit"),
    (f"{TURN}.fixed_term_multiplier=200", "fixed_term_multiplier", "at most 100"),
    (f"{TURN}.fixed_term_months=0", "fixed_term_months", "whole number from 1"),
])
def test_bad_market_values_are_refused_in_one_sentence(override, key, words):
    with pytest.raises(ConfigError) as err:
        compose_config([override])
    assert key in str(err.value) and words in str(err.value), str(err.value)
    assert str(err.value).count(".") >= 1 and "\n" not in str(err.value)
