"""Validation against queueing theory: the model reduced to M/M/c, and the Erlang C formula.

With every day a working day, flat seasonality, no consent waits, exponential screening and
every contact leaving after screening, the MASH is an M/M/c queue: contacts arrive as a
Poisson process (rate ``arrivals_per_day``), ``servers`` screeners each take an exponential
time with mean ``mean_screening_days``.  Queueing jargon is confined to this module.
"""
from __future__ import annotations

import math
from dataclasses import replace

from .config import (AssessmentOutcomeShares, AssessmentOutcomesByRoute, CalendarConfig, CaseworkConfig,
                     DemandConfig, Dist, MashConfig, MashOutcomeShares, MashOutcomesByPriority, PlanDurations,
                     PriorityShares, RunConfig, ScenarioInfo, ServiceConfig, TeamConfig, WorkerGroup,
                     WorkforceConfig)


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Probability that an arrival has to wait in an M/M/c queue (Erlang C)."""
    a = arrival_rate / service_rate
    rho = a / servers
    if rho >= 1:
        return 1.0
    # Sum a^k/k! stably in log space.
    terms = [math.exp(k * math.log(a) - math.lgamma(k + 1)) if a > 0 else float(k == 0) for k in range(servers)]
    last = math.exp(servers * math.log(a) - math.lgamma(servers + 1)) / (1 - rho)
    return last / (sum(terms) + last)


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue, W_q = C / (c mu - lambda)."""
    return erlang_c(servers, arrival_rate, service_rate) / (servers * service_rate - arrival_rate)


def mmc_wait_exceeds(t: float, servers: int, arrival_rate: float, service_rate: float) -> float:
    """P(W_q > t) = C exp(-(c mu - lambda) t)."""
    return erlang_c(servers, arrival_rate, service_rate) * math.exp(-(servers * service_rate - arrival_rate) * t)


def mmc_config(arrivals_per_day: float, mean_screening_days: float, servers: int, days: int,
               seed: int = 1, replications: int = 1, warmup_days: int = 0) -> RunConfig:
    """caseflow configured as an M/M/c queue at its MASH (everything else switched off)."""
    off = Dist(kind="fixed", value=0.0, unit="days")
    nobody = TeamConfig(groups=[WorkerGroup(count=1, kind="permanent", fte=1.0)])
    service = ServiceConfig(
        name="mmc",
        calendar=CalendarConfig(weekends_off=False, bank_holidays=False),
        demand=DemandConfig(contacts_per_year=arrivals_per_day * 365.0, month_factors=[1.0] * 12,
                            late_december_factor=1.0, priority=PriorityShares(red=0.0, amber=1.0, green=0.0)),
        mash=MashConfig(
            screening=Dist(kind="exponential", mean=mean_screening_days, unit="days"),
            consent_share=PriorityShares(), consent_delay=off,
            outcomes=MashOutcomesByPriority(*(MashOutcomeShares(no_further_action=1.0) for _ in range(3))),
            s47_share=PriorityShares()),
        casework=CaseworkConfig(
            visit_delay_s47=off, visit_delay=off, assessment_duration=off, min_assessment_after_visit=off,
            assessment_outcomes=AssessmentOutcomesByRoute(s47=AssessmentOutcomeShares(close=1.0),
                                                          other=AssessmentOutcomeShares(close=1.0)),
            conference_delay=off, plan_duration=PlanDurations(cin=off, cp=off, lac=off), opening_stock=False),
        workforce=WorkforceConfig(mash=TeamConfig(groups=[WorkerGroup(count=servers, kind="permanent", fte=1.0)]),
                                  assessment=nobody, long_term=replace(nobody)),
    )
    # Day 0 is 2001-01-01 so the 365-day reference year is not a leap year: rate is exact.
    return RunConfig(seed=seed, replications=replications, horizon_months=1, start_date="2001-01-01",
                     end_date=_day(days), warmup_months=0, scenario=ScenarioInfo(name="mmc"), service=service)


def _day(days: int) -> str:
    import datetime as dt
    return (dt.date(2001, 1, 1) + dt.timedelta(days=days)).isoformat()
