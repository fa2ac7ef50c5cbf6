"""Contacts arriving at the front door.

Contacts arrive on working days as a non-homogeneous Poisson process: each working day gets a
Poisson number of contacts whose mean follows the yearly volume and the month's seasonality
factor, spread uniformly over the day (with every day a working day and flat factors this is
exactly a Poisson process, which the Erlang C validation relies on).  ``demand.annual_trend``
multiplies each day's rate by ``(1 + trend) ** (years since start_date)`` (``trend_factor``, a pure
function of time; decision 0029).
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from ..calendar import WorkingCalendar
from ..config import DemandConfig
from ..distributions import Bernoulli, Choice, Sampler, draw_array, mean_of, sampler_in_clock_days
from ..events import ContactReceived, ReferralBeforeStart
from .flows import EXITS, contact_rates, return_mixes


def day_factor(demand: DemandConfig, day: dt.date) -> float:
    """Seasonality multiplier for one date (month factor, times the late-December dip)."""
    f = demand.month_factors[day.month - 1]
    if day.month == 12 and day.day >= 21:
        f *= demand.late_december_factor
    return f


DAYS_PER_YEAR = 365.25


def trend_factor(demand: DemandConfig, day: float) -> float:
    """The demand trend's multiplier on day ``day`` (days since ``start_date``; negative in the
    warm-up): ``(1 + annual_trend) ** (day / 365.25)``, a pure function of time; 1 without a trend."""
    g = getattr(demand, "annual_trend", 0.0)
    return 1.0 if not g else (1.0 + g) ** (day / DAYS_PER_YEAR)


def daily_contact_rates(demand: DemandConfig, calendar: WorkingCalendar, first_day: int, last_day: int,
                        drift: Callable[[int], float] | None = None):
    """``(day, expected contacts)`` for each working day in ``[first_day, last_day)``.

    Normalised so that the working days of the year from ``start_date`` carry
    ``contacts_per_year`` in expectation without a trend; ``annual_trend`` then multiplies each
    day's rate by ``trend_factor`` (so ``contacts_per_year`` is the yearly rate at ``start_date``),
    and ``drift`` (a replication's drawn year-to-year change, ``sim.drift``) by its factor.
    """
    if drift is not None:
        return [(d, rate * drift(d)) for d, rate in daily_contact_rates(demand, calendar, first_day, last_day)]
    ref = sum(day_factor(demand, calendar.date_of(d)) for d in calendar.working_days_in(0, 365))
    per_unit = demand.contacts_per_year / ref if ref > 0 else 0.0
    if not getattr(demand, "annual_trend", 0.0):
        return [(d, per_unit * day_factor(demand, calendar.date_of(d)))
                for d in calendar.working_days_in(first_day, last_day)]
    return [(d, per_unit * day_factor(demand, calendar.date_of(d)) * trend_factor(demand, d))
            for d in calendar.working_days_in(first_day, last_day)]


class FrontDoor:
    """Contacts reach the MASH: children new to the front door, and children coming back.

    New children arrive as the Poisson stream of ``contacts``; a child whose case ended may
    come back after a delay (``service.returns``: a share for each way out).  The new
    children's volume is scaled down by the expected returns so that all contacts together
    number ``contacts_per_year`` (``flows.contact_rates``).
    """

    def __init__(self, env, service):
        cfg = service.cfg.service
        self.env = env
        self.service = service
        s = service.streams
        d = cfg.demand
        self.priority = Choice(["red", "amber", "green"], [d.priority.red, d.priority.amber, d.priority.green],
                               s("priority"))
        names = ["police", "schools", "health", "council", "individuals", "other"]
        # Children coming back draw their source and consent need from streams of their own, so
        # that the new children's demand is the same whatever happens downstream (common random
        # numbers: returns depend on how cases end, and would otherwise shift these draws).
        sources = [getattr(d.source, n) for n in names]
        self.source = {"new": Choice(names, sources, s("source")),
                       "returned": Choice(names, sources, s("source_returned"))}
        shares = cfg.mash.consent_share
        self.consent = {(r, p): Bernoulli(getattr(shares, p), s(f"consent_{p}" if r == "new" else f"consent_{r}_{p}"))
                        for r in ("new", "returned") for p in ("red", "amber", "green")}
        self.new_per_year, _ = contact_rates(service.cfg)
        routes = cfg.returns.routes
        self.comes_back = {k: Bernoulli(getattr(routes, k).share, s(f"returns_{k}")) for k in EXITS
                           if getattr(routes, k).share > 0}
        self.return_priority = {k: Choice(["red", "amber", "green"], [mix["red"], mix["amber"], mix["green"]],
                                          s(f"returns_priority_{k}")) for k, mix in return_mixes(service.cfg).items()}
        self.back_at = (sampler_in_clock_days(Sampler(cfg.returns.delay, s("returns_delay")), service.calendar)
                        if self.comes_back else None)
        self.log = service.log.append

    def open_returns(self) -> None:
        """Children who left before the simulation starts and will come back after it has.

        The same steady state as the opening plans (``Casework.open_stock``): children leave
        way k at the rate ``contact_rates`` gives and a share come back after the return
        delay, so the number due back is Poisson(rate x share-weighted mean delay) and each one's
        remaining wait is a length-biased delay times a uniform.  Without them the returns
        would take years to build up.
        """
        if not self.comes_back:
            return
        rng = self.service.streams("opening_returns")
        spec = self.service.cfg.service.returns.delay
        mean_days = mean_of(spec) * (7 / 5 if spec.unit == "working_days" else 1)
        _, returning = contact_rates(self.service.cfg)
        now = self.env.now
        for (way_out, had_cp), per_year in returning.items():
            n = int(rng.poisson(per_year / 365.0 * mean_days))
            if n == 0:
                continue
            pool = draw_array(spec, rng, 20 * n + 100)
            chosen = rng.choice(pool, size=n, p=pool / pool.sum()) if pool.sum() > 0 else pool[:n]
            for r in (chosen * rng.random(n)).tolist():
                at = now + r if spec.unit == "days" else self.service.calendar.add_working_days(now, r)
                self._come_back_at(at, self.service.known_child(had_cp), self.return_priority[way_out](), had_cp)

    def open_returns_from(self, opening) -> None:
        """Children of the council's records whose last case had ended by the day
        (``sim.extracts.opening.Leaver``): each comes back with the chance that someone who left
        that way ``left_days`` ago and has not come back yet still will (share x S(a) / (1 - share
        + share x S(a)), S the return delay's survival), after the rest of a delay longer than that;
        their last referral's date is written as ``referral_before_start``."""
        from ..extracts.opening import residual_draws

        spec = self.service.cfg.service.returns.delay
        rng = self.service.streams("opening_records_returns")
        pool = draw_array(spec, rng, 50_000)
        per_day = 5 / 7 if spec.unit == "working_days" else 1.0
        now, cal = self.env.now, self.service.calendar
        shares = {k: getattr(self.service.cfg.service.returns.routes, k).share for k in EXITS}
        for leaver in opening.leavers:
            share = shares.get(leaver.way_out, 0.0)
            if share <= 0:
                continue
            elapsed = leaver.left_days * per_day
            survive = float((pool > elapsed).mean())
            p = share * survive / (1 - share + share * survive) if survive > 0 else 0.0
            if rng.random() >= p:
                continue
            r = residual_draws(pool, elapsed, rng)
            child = self.service.known_child(leaver.had_cp)
            if leaver.referred_days is not None:
                self.log(ReferralBeforeStart(now, child, now - leaver.referred_days))
            at = now + r if spec.unit == "days" else cal.add_working_days(now, r)
            self._come_back_at(at, child, self.return_priority[leaver.way_out](), leaver.had_cp)

    def contact(self, child_id: int, priority: str, reason: str, had_cp: bool = False, source: str | None = None,
                logged: str | None = None) -> None:
        """A contact about ``child_id`` reaches the MASH now (from ``source``, or one drawn; logged with
        reason ``logged``, or ``reason``)."""
        case = self.service.new_case(priority, child_id, had_cp)
        needs_consent = self.consent[reason, priority]()
        self.log(ContactReceived(self.env.now, case.case_id, priority, source or self.source[reason](), needs_consent,
                                 child_id, logged or reason))
        self.service.mash.receive(case, needs_consent)

    def open_contacts(self, opening) -> None:
        """The contacts at the MASH on the records' day (``sim.extracts.opening``): each received
        again at the first instant (reason ``opening_stock``: not a contact made then), with its
        source and the child's history; the records hold no priority, so it is drawn."""
        now = self.env.now
        for c in opening.contacts:
            child = self.service.known_child(c.had_cp)
            if c.referred_days is not None:
                self.log(ReferralBeforeStart(now, child, now - c.referred_days))
            self.contact(child, self.priority(), "new", c.had_cp, source=c.source, logged="opening_stock")

    def left(self, case, way_out: str) -> None:
        """``case`` ended (``way_out``, one of ``flows.EXITS``): the child may come back later."""
        if way_out == "plan_ended" and case.had_cp:
            way_out = "cp_plan_ended"
        comes_back = self.comes_back.get(way_out)
        if comes_back is None or not comes_back():
            return
        self._come_back_at(self.back_at(self.env.now), case.child_id, self.return_priority[way_out](), case.had_cp)

    def _come_back_at(self, at: float, child_id: int, priority: str, had_cp: bool) -> None:
        cal = self.service.calendar
        if not cal.is_working_day(at):  # contacts are made on working days
            at = cal.at_working_time(cal.working_time(at))
        wait = self.env.timeout(max(0.0, at - self.env.now))
        wait.callbacks.append(lambda _e: self.contact(child_id, priority, "returned", had_cp))


def new_contact_times(cfg, calendar, rng, scale: float, first_day: int, last_day: int,
                      drift: Callable[[int], float] | None = None):
    """When contacts about new children arrive: each working day a Poisson number at that day's
    rate, at uniform times within the day, in order."""
    for day, rate in daily_contact_rates(cfg, calendar, first_day, last_day, drift):
        n = int(rng.poisson(rate * scale))
        if n:
            yield from sorted((day + rng.random(n)).tolist())


def contacts(env, service, front_door: FrontDoor) -> None:
    """The contacts about children new to the front door, each handed to the MASH as it arrives
    (a chain of timeouts rather than a process: the same steps without resuming a generator)."""
    cfg = service.cfg.service.demand
    drift = service.drift
    times = new_contact_times(cfg, service.calendar, service.streams("arrivals"),
                              front_door.new_per_year / cfg.contacts_per_year, int(env.now), service.horizon_day,
                              (lambda day: drift.factor("contacts", day)) if drift.active else None)

    def next_contact(_event=None) -> None:
        if _event is not None:
            front_door.contact(service.new_child(), front_door.priority(), "new")
        t = next(times, None)
        if t is not None:
            env.timeout(t - env.now).callbacks.append(next_contact)

    next_contact()
