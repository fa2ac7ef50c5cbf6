"""Contacts arriving at the front door.

Contacts arrive on working days as a non-homogeneous Poisson process: each working day gets a
Poisson number of contacts whose mean follows the yearly volume and the month's seasonality
factor, spread uniformly over the day (with every day a working day and flat factors this is
exactly a Poisson process, which the Erlang C validation relies on).
"""
from __future__ import annotations

import datetime as dt

from ..calendar import WorkingCalendar
from ..config import DemandConfig
from ..distributions import Bernoulli, Choice
from ..events import ContactReceived


def day_factor(demand: DemandConfig, day: dt.date) -> float:
    """Seasonality multiplier for one date (month factor, times the late-December dip)."""
    f = demand.month_factors[day.month - 1]
    if day.month == 12 and day.day >= 21:
        f *= demand.late_december_factor
    return f


def daily_contact_rates(demand: DemandConfig, calendar: WorkingCalendar, first_day: int, last_day: int):
    """``(day, expected contacts)`` for each working day in ``[first_day, last_day)``.

    Normalised so that the working days of the year from ``start_date`` carry
    ``contacts_per_year`` in expectation.
    """
    ref = sum(day_factor(demand, calendar.date_of(d)) for d in calendar.working_days_in(0, 365))
    per_unit = demand.contacts_per_year / ref if ref > 0 else 0.0
    return [(d, per_unit * day_factor(demand, calendar.date_of(d)))
            for d in calendar.working_days_in(first_day, last_day)]


def contacts(env, service):
    """SimPy process: generate the contacts, handing each to the MASH as it arrives."""
    cfg = service.cfg.service.demand
    rng = service.streams("arrivals")
    priority = Choice(["red", "amber", "green"], [cfg.priority.red, cfg.priority.amber, cfg.priority.green],
                      service.streams("priority"))
    src = cfg.source
    source_names = ["police", "schools", "health", "council", "individuals", "other"]
    source = Choice(source_names, [getattr(src, s) for s in source_names], service.streams("source"))
    shares = service.cfg.service.mash.consent_share
    consent = {p: Bernoulli(getattr(shares, p), service.streams(f"consent_{p}")) for p in ("red", "amber", "green")}
    log = service.log.append
    mash = service.mash
    timeout = env.timeout
    for day, rate in daily_contact_rates(cfg, service.calendar, int(env.now), service.horizon_day):
        n = int(rng.poisson(rate))
        if n == 0:
            continue
        for t in sorted((day + rng.random(n)).tolist()):
            yield timeout(t - env.now)
            case = service.new_case(priority())
            needs_consent = consent[case.priority]()
            log(ContactReceived(env.now, case.case_id, case.priority, source(), needs_consent))
            mash.receive(case, needs_consent)
