"""The workforce: posts, the workers in them, and how both change.

A post belongs to a team and is paid for permanently, temporarily (until a date) or as agency
cover; it is filled by a worker or vacant.  Workers have a kind (permanent, agency, newly
qualified ASYE), an FTE and a caseload cap.  Workers resign at their kind's annual rate
(times any retention package, and optionally times caseload pressure), give notice, stop
taking new cases, and leave; their open cases go back to allocation.  A vacant post is
recruited after a lag (agency fast, permanent slow), optionally covered by agency meanwhile.
New starters ramp up on a reduced cap; sickness absence takes workers out for spells.
Every change is an event in the log.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import deque

import simpy

from ..config import TeamConfig, add_months, parse_date
from ..distributions import Bernoulli, Sampler, mean_of, sampler_in_clock_days
from ..events import (AbsenceEnded, AbsenceStarted, NoticeGiven, PackageEnded, PackageStarted,
                      PostClosed, PostFundingChanged, PostOpened, RecruitmentFailed, RecruitmentStarted,
                      WorkerChanged, WorkerLeft, WorkerStarted)

TEAM_PREFIX = {"mash": "MASH", "assessment": "ASM", "long_term": "LT"}


class Worker:
    __slots__ = ("worker_id", "team", "kind", "fte", "cap", "caseload", "post", "accepting", "absent",
                 "busy", "leaving", "left", "budget", "rate", "rate_since", "employment", "pressure", "ramping",
                 "seq", "load")

    def __init__(self, worker_id: str, team: str, kind: str, fte: float, cap: int, post):
        self.worker_id = worker_id
        self.team = team
        self.kind = kind
        self.fte = fte
        self.cap = cap
        self.caseload: set[int] = set()
        self.load = 0.0         # the caseload weighted by case type (what the cap counts)
        self.post = post
        self.accepting = True   # False once on notice: no new cases
        self.absent = False
        self.busy = False       # MASH screeners: screening a contact now
        self.leaving = None     # MASH screeners: reason to leave once the current contact is done
        self.left = False
        self.budget = 0.0       # remaining unit-exponential "resignation budget"
        self.rate = 0.0         # leaving rate per day now
        self.rate_since = 0.0
        self.employment = None  # the SimPy process waiting for the resignation
        self.pressure = 0.0
        self.ramping = False
        self.seq = 0            # order of joining the service (allocation's tie-break)



class Post:
    __slots__ = ("post_id", "team", "funding", "fill_with", "fte", "worker", "closed", "recruiting", "until",
                 "pending_hire")

    def __init__(self, post_id: str, team: str, funding: str, fill_with: str, fte: float, until: float | None = None):
        self.post_id = post_id
        self.team = team
        self.funding = funding
        self.fill_with = fill_with
        self.fte = fte
        self.worker = None
        self.closed = False
        self.recruiting: set[str] = set()  # kinds being recruited now
        self.until = until                 # when the post's money ends (None: no end date)
        self.pending_hire = None           # kind of a substantive hire waiting for the cover to go


def caseload_cap(team: TeamConfig, kind: str, fte: float) -> int:
    """A worker's cap: the team's cap for their kind, pro rata to FTE (at least one case)."""
    return max(1, math.floor(getattr(team.caseload_cap, kind) * fte + 1e-9))


class Workforce:
    def __init__(self, env, service):
        self.env = env
        self.service = service
        self.cfg = service.cfg.service.workforce
        self.log = service.log.append
        self.teams = {t: [] for t in TEAM_PREFIX}   # workers in post, by team (allocation reads these)
        self.posts: dict[str, Post] = {}
        self._numbers = {t: 0 for t in TEAM_PREFIX}
        self._post_numbers = {t: 0 for t in TEAM_PREFIX}
        self.packages: list[float] = []              # multipliers of the retention packages in force
        s = service.streams
        self.resignation = s("turnover")
        cal = service.calendar
        self.hired_by = {route: sampler_in_clock_days(Sampler(getattr(self.cfg.recruitment, route),
                                                              s(f"recruitment_{route}")), cal)
                         for route in ("permanent", "agency")}
        self.newly_qualified = Bernoulli(self.cfg.recruitment.asye_share, s("recruitment_asye"))
        self.sickness_rng = s("sickness")
        # The recruitment market (docs/decisions/0018): each part draws or waits only when it is on.
        rec = self.cfg.recruitment
        self.round_failure = {route: getattr(rec.round_failure, route) for route in ("permanent", "agency")}
        self.failure_rng = s("recruitment_failure") if any(p > 0 for p in self.round_failure.values()) else None
        self.agency_limit = rec.agency_per_month       # None: no limit
        self._agency_month = (None, 0)                 # (first day of the month, agency starts in it)
        self._agency_queue: deque = deque()            # rounds waiting for next month's supply, in order
        self.fixed_term = self.cfg.turnover.fixed_term_multiplier != 1.0
        self._edges: dict[float, list[float]] = {}     # fixed-term steps by end date
        # Resignation processes only exist when someone can resign (keeps the reduced models lean).
        self.dynamic = any(getattr(self.cfg.turnover.annual_rate, k) > 0 for k in ("permanent", "agency", "asye"))

    # -- the establishment at the start ---------------------------------------------------------------
    def establish(self, now: float) -> None:
        """The posts and workers in post when the simulation starts (no ramp-up for them).

        With ``recruitment.opening_vacancies`` a post starts vacant, and recruiting, with the
        probability that a post of its kind is vacant in steady state: a worker stays on average
        1 / turnover years and a vacancy lasts the recruitment lag (longer by the rounds that
        fail), so the share vacant is lag x rate / (1 + lag x rate).
        """
        opening = self.cfg.recruitment.opening_vacancies and self.dynamic
        rng = self.service.streams("opening_vacancies") if opening else None
        vacant = []
        for team in TEAM_PREFIX:
            for group in getattr(self.cfg, team).groups:
                until = self._end_of(group.until) if group.until else None
                for _ in range(group.count):
                    post = self.open_post(team, group.funding, group.fill_with or group.kind, group.fte, until,
                                          "establishment")
                    if opening and rng.random() < self.vacant_share(group.kind, post):
                        vacant.append(post)
                    else:
                        self.start_worker(post, group.kind, new_starter=False)
        for post in vacant:  # recruited once every post is open (the lags read the team's vacancies)
            self.vacancy(post)
        if self.cfg.turnover.caseload_elasticity > 0 and self.dynamic:
            self.env.process(self.review_pressure())

    def establish_from(self, opening, now: float) -> list:
        """The establishment's posts, filled by the workers the council's records list (``opening``,
        ``sim.extracts.opening``); the ``Worker`` for each of them, in their order.

        Each team's posts are the service's groups; a worker takes the first free post of their own
        kind (an agency worker one filled by agency, anyone else one that is not), else any free post,
        else a post opened for them (permanent money, refilled with their kind).  Posts left over
        are vacant and recruited.  Without MASH staff in the records the MASH is the service's own.
        """
        workers: list = [None] * len(opening.workers)
        vacant = []
        for team in TEAM_PREFIX:
            free = []
            for group in getattr(self.cfg, team).groups:
                until = self._end_of(group.until) if group.until else None
                free += [(group, until)] * group.count
            if team == "mash" and not opening.mash_from_records:
                for group, until in free:
                    post = self.open_post(team, group.funding, group.fill_with or group.kind, group.fte, until,
                                          "establishment")
                    self.start_worker(post, group.kind, new_starter=False)
                continue
            for i, w in enumerate(opening.workers):
                if w.team != team:
                    continue
                agency = w.kind == "agency"
                j = next((k for k, (g, _) in enumerate(free) if ((g.fill_with or g.kind) == "agency") == agency), None)
                if j is None and free:
                    j = 0
                if j is not None:
                    group, until = free.pop(j)
                    post = self.open_post(team, group.funding, group.fill_with or group.kind, w.fte, until,
                                          "establishment")
                else:
                    post = self.open_post(team, "permanent", "agency" if agency else "permanent", w.fte, None,
                                          "establishment")
                workers[i] = self.start_worker(post, w.kind, new_starter=False)
            for group, until in free:
                vacant.append(self.open_post(team, group.funding, group.fill_with or group.kind, group.fte, until,
                                             "establishment"))
        for post in vacant:  # the records say which posts are vacant: no steady-state draw
            self.vacancy(post)
        if self.cfg.turnover.caseload_elasticity > 0 and self.dynamic:
            self.env.process(self.review_pressure())
        return workers

    def vacant_share(self, kind: str, post) -> float:
        """Steady-state share of time a post filled by ``kind`` is vacant (``establish``)."""
        rec = self.cfg.recruitment
        route = "agency" if (kind == "agency" or post.fill_with == "agency" or post.funding == "agency") else "permanent"
        failure = getattr(rec.round_failure, route)
        lag_years = mean_of(getattr(rec, route)) * (7 / 5 if getattr(rec, route).unit == "working_days" else 1) \
            / (1 - failure) / 365.0
        if route == "permanent" and rec.agency_cover:  # covered by agency meanwhile: empty for the agency lag
            lag_years = min(lag_years, mean_of(rec.agency) / (1 - rec.round_failure.agency) / 365.0)
        x = getattr(self.cfg.turnover.annual_rate, kind) * lag_years
        return x / (1 + x)

    def _t(self, date: str) -> float:
        """Clock time at the start of ``date``."""
        return float((parse_date("date", date) - self.service.start_date).days)

    def _end_of(self, date: str) -> float:
        """Clock time at the end of ``date`` (``until`` dates are the last funded day)."""
        return self._t(date) + 1.0

    # -- posts -------------------------------------------------------------------------------------------
    def open_post(self, team: str, funding: str, fill_with: str, fte: float, until: float | None, reason: str) -> Post:
        self._post_numbers[team] += 1
        post = Post(f"{TEAM_PREFIX[team]}-P{self._post_numbers[team]:03d}", team, funding, fill_with, fte, until)
        self.posts[post.post_id] = post
        self.log(PostOpened(self.env.now, post.post_id, team, funding, reason))
        if until is not None:
            self.env.process(self._funding_ends(post, until))
            if self.fixed_term and self.dynamic:
                self.env.process(self._fixed_term_steps(post, until))
        return post

    def _funding_ends(self, post: Post, until: float):
        yield self.env.timeout(max(0.0, until - self.env.now))
        if post.until == until and not post.closed:  # not made permanent meanwhile
            self.close_post(post, "funding_ended")

    def close_post(self, post: Post, reason: str) -> None:
        post.closed = True
        if post.worker is not None:
            self.leave(post.worker, "post_ended")
        self.log(PostClosed(self.env.now, post.post_id, reason))

    def make_permanent(self, post: Post) -> None:
        post.funding = "permanent"
        post.until = None
        self.log(PostFundingChanged(self.env.now, post.post_id, "permanent"))
        if self.fixed_term and post.worker is not None:  # no end date: the fixed-term factor goes
            self._rates_changed([post.worker])
        if post.worker is None:  # left vacant near its old end date: recruit now
            self.vacancy(post)

    # -- recruitment -------------------------------------------------------------------------------------
    def vacancy(self, post: Post) -> None:
        """A funded post has no worker: recruit (and cover with agency meanwhile, if that is the policy)."""
        if post.closed:
            return
        if post.until is not None and post.until - self.env.now < self.cfg.recruitment.stop_before_end_days:
            return  # nobody is recruited into a post whose money is about to run out
        if post.funding == "agency" or post.fill_with == "agency":
            self._recruit(post, "agency")
            return
        self._recruit(post, "permanent")
        if self.cfg.recruitment.agency_cover:
            self._recruit(post, "agency")

    def _recruit(self, post: Post, route: str) -> None:
        if route in post.recruiting:
            return
        post.recruiting.add(route)
        self.env.process(self._recruitment(post, route))

    def _recruitment(self, post: Post, route: str):
        sought = "agency" if route == "agency" else ("asye" if post.fill_with == "asye" or self.newly_qualified()
                                                     else "permanent")
        while True:  # rounds until one hires (only a failed round starts another)
            self.log(RecruitmentStarted(self.env.now, post.post_id, sought))
            lag = self.hired_by[route](self.env.now) - self.env.now
            if route == "permanent" and self.cfg.recruitment.vacancy_lag_elasticity > 0:
                lag *= 1.0 + self.cfg.recruitment.vacancy_lag_elasticity * self._vacant_share(post.team)
            yield self.env.timeout(lag)
            if post.closed or not self._round_failed(post, route):
                break
            self.log(RecruitmentFailed(self.env.now, post.post_id, sought))
            if post.until is not None and post.until - self.env.now < self.cfg.recruitment.stop_before_end_days:
                post.recruiting.discard(route)
                return  # too near the end of the money to try again (as in ``vacancy``)
        if route == "agency" and self.agency_limit is not None and not post.closed and post.worker is None:
            if not (yield from self._agency_supply(post)):
                post.recruiting.discard(route)
                return  # closed or filled while waiting for an agency worker
        post.recruiting.discard(route)
        if post.closed:
            return
        current = post.worker
        if route == "agency":
            if current is None:
                self.start_worker(post, "agency")
            return
        # A substantive hire replaces agency cover (the cover's cases are reallocated); a cover
        # screening a contact finishes it first, and the hire starts when the cover has gone.
        if current is not None and current.kind != "agency":
            return
        post.pending_hire = sought
        if current is not None:
            self.leave(current, "cover_ended")
        else:
            self._start_pending(post)

    def _vacant_share(self, team: str) -> float:
        """Share of the team's open posts with nobody in them now."""
        open_posts = [p for p in self.posts.values() if p.team == team and not p.closed]
        return sum(p.worker is None for p in open_posts) / len(open_posts) if open_posts else 0.0

    def _round_failed(self, post: Post, route: str) -> bool:
        """Did this round end without a hire?  Drawn only when it would otherwise start someone."""
        p = self.round_failure[route]
        if p <= 0:
            return False
        current = post.worker
        if current is not None and (route == "agency" or current.kind != "agency"):
            return False  # nobody would start: the post is filled (or covered and this is cover)
        return bool(self.failure_rng.random() < p)

    def _month_start(self, t: float) -> dt.date:
        day = self.service.start_date + dt.timedelta(days=math.floor(t))
        return day.replace(day=1)

    def _take_agency(self) -> bool:
        """One agency worker from this calendar month's supply, if any is left."""
        month = self._month_start(self.env.now)
        first, used = self._agency_month
        if first != month:
            first, used = month, 0
        if used >= self.agency_limit:
            return False
        self._agency_month = (first, used + 1)
        return True

    def _agency_supply(self, post: Post):
        """Wait (first come, first served) for an agency worker within the monthly supply; True once
        one is found, False if the post closed or was filled meanwhile."""
        if not self._agency_queue and self._take_agency():
            return True
        found = self.env.event()
        self._agency_queue.append((post, found))
        if len(self._agency_queue) == 1:
            self.env.process(self._agency_months())
        return (yield found)

    def _agency_months(self):
        """At each month's start, hand the month's agency workers to the rounds waiting, in order."""
        while self._agency_queue:
            nxt = add_months(self._month_start(self.env.now), 1)
            yield self.env.timeout(max(0.0, float((nxt - self.service.start_date).days) - self.env.now))
            while self._agency_queue:
                post, found = self._agency_queue[0]
                if post.closed or post.worker is not None:
                    self._agency_queue.popleft()
                    found.succeed(False)
                elif self._take_agency():
                    self._agency_queue.popleft()
                    found.succeed(True)
                else:
                    break

    def _start_pending(self, post: Post) -> None:
        kind, post.pending_hire = post.pending_hire, None
        self.start_worker(post, kind)

    # -- workers -----------------------------------------------------------------------------------------
    def start_worker(self, post: Post, kind: str, new_starter: bool = True) -> Worker:
        team = post.team
        self._numbers[team] += 1
        team_cfg = getattr(self.cfg, team)
        holds_cases = team != "mash"
        full_cap = caseload_cap(team_cfg, kind, post.fte) if holds_cases else 0
        rec = self.cfg.recruitment
        ramping = new_starter and holds_cases and rec.ramp_up_days > 0 and rec.ramp_up_cap_share < 1
        cap = max(1, math.floor(full_cap * rec.ramp_up_cap_share + 1e-9)) if ramping else full_cap
        w = Worker(f"{TEAM_PREFIX[team]}-{self._numbers[team]:03d}", team, kind, post.fte, cap, post)
        w.ramping = ramping
        w.seq = sum(self._numbers.values())  # every start raises one team's number by one
        post.worker = w
        self.log(WorkerStarted(self.env.now, w.worker_id, team, kind, post.fte, cap, post.post_id,
                               self.annual_cost(kind)))
        self.teams[team].append(w)
        if self.dynamic:
            w.budget = float(self.resignation.exponential())
            w.employment = self.env.process(self._employment(w))
        if self.cfg.sickness.absence_share > 0:
            self.env.process(self._sickness(w))
        if ramping:
            self.env.process(self._ramp_up(w, rec.ramp_up_days))
        if kind == "asye":
            self.env.process(self._asye_year(w, rec.asye_days))
        self.service.worker_available(w)
        return w

    def annual_cost(self, kind: str) -> float:
        return float(getattr(self.cfg.annual_cost_per_fte, kind))

    def _full_cap(self, w: Worker) -> int:
        return caseload_cap(getattr(self.cfg, w.team), w.kind, w.fte) if w.team != "mash" else 0

    def _ramp_up(self, w: Worker, days: float):
        yield self.env.timeout(days)
        if not w.left:
            w.ramping = False
            w.cap = self._full_cap(w)
            self.log(WorkerChanged(self.env.now, w.worker_id, w.kind, w.cap, self.annual_cost(w.kind), "ramped_up"))
            self.service.worker_available(w)

    def _asye_year(self, w: Worker, days: float):
        yield self.env.timeout(days)
        if w.left:
            return
        w.kind = "permanent"
        if not w.ramping:  # still ramping: the full (permanent) cap comes when ramp-up ends
            w.cap = self._full_cap(w)
        self.log(WorkerChanged(self.env.now, w.worker_id, w.kind, w.cap, self.annual_cost(w.kind), "asye_completed"))
        self._rates_changed([w])
        self.service.worker_available(w)

    # -- leaving ----------------------------------------------------------------------------------------
    def leaving_rate(self, w: Worker) -> float:
        """Resignations per day for this worker now."""
        base = getattr(self.cfg.turnover.annual_rate, w.kind) / 365.0
        package = 1.0 if w.kind == "agency" else math.prod(self.packages)  # supplements go to employed staff
        rate = base * package * (1.0 + self.cfg.turnover.caseload_elasticity * w.pressure)
        if self.fixed_term and w.kind != "agency" and w.post.until is not None:
            rate *= self.fixed_term_factor(w.post.until, self.env.now)
        return rate

    def _fixed_term_edges(self, until: float) -> list[float]:
        """Clock times of the starts of the last ``fixed_term_months`` months before ``until``
        (the same day of the month as the end, stepping back), earliest first."""
        edges = self._edges.get(until)
        if edges is None:
            end = self.service.start_date + dt.timedelta(days=math.floor(until))
            months = self.cfg.turnover.fixed_term_months
            edges = self._edges[until] = [float((add_months(end, -k) - self.service.start_date).days)
                                          + (until - math.floor(until)) for k in range(months, 0, -1)]
        return edges

    def fixed_term_factor(self, until: float, t: float) -> float:
        """The leaving-rate factor of an employed worker in a post ending at ``until``, at time ``t``:
        1 before the last ``fixed_term_months`` months, then in month i of them (0 first) the
        linear rise from 1 to ``fixed_term_multiplier`` at the month's middle (one step a month)."""
        if t >= until:
            return 1.0
        edges = self._fixed_term_edges(until)
        i = sum(e <= t for e in edges) - 1
        if i < 0:
            return 1.0
        return 1.0 + (self.cfg.turnover.fixed_term_multiplier - 1.0) * (i + 0.5) / len(edges)

    def _fixed_term_steps(self, post: Post, until: float):
        """Re-read the worker's leaving rate at each monthly step of the fixed-term factor."""
        for edge in self._fixed_term_edges(until):
            if edge <= self.env.now:
                continue  # already in force when the post opened (rates are read at each start)
            yield self.env.timeout(edge - self.env.now)
            if post.closed or post.until != until:
                return  # closed early, or made permanent
            if post.worker is not None:
                self._rates_changed([post.worker])

    def _employment(self, w: Worker):
        """Wait for the worker's resignation; the rate may change (packages, pressure, kind)."""
        while True:
            w.rate, w.rate_since = self.leaving_rate(w), self.env.now
            try:
                if w.rate > 0:
                    yield self.env.timeout(w.budget / w.rate)
                    break
                yield self.env.event()  # never resigns at a zero rate, until the rate changes
            except simpy.Interrupt:
                w.budget = max(0.0, w.budget - w.rate * (self.env.now - w.rate_since))
                if w.left or not w.accepting:
                    return
        w.employment = None
        self.give_notice(w, "resigned")

    def _rates_changed(self, workers) -> None:
        for w in workers:
            if w.employment is not None and w.employment.is_alive and w.employment is not self.env.active_process:
                w.employment.interrupt("rate changed")

    def give_notice(self, w: Worker, reason: str) -> None:
        if not w.accepting or w.left:
            return
        w.accepting = False
        self.log(NoticeGiven(self.env.now, w.worker_id, reason))
        self.env.process(self._notice(w, reason))

    def _notice(self, w: Worker, reason: str):
        notice = getattr(self.cfg.turnover.notice_days, w.kind)
        handover = min(self.cfg.reallocation.handover_days, notice)
        if handover > 0 and w.team != "mash":  # cases are handed over before the last day
            yield self.env.timeout(notice - handover)
            if w.left:
                return
            self.service.hand_over(w, "LEFTRL")
            notice = handover
        yield self.env.timeout(notice)
        self.leave(w, reason)

    def leave(self, w: Worker, reason: str) -> None:
        """The worker goes; their cases return to allocation and their post falls vacant."""
        if w.left:
            return
        if w.busy:  # a MASH screener finishes the contact in hand first
            w.leaving = reason
            return
        w.left = True
        w.accepting = False
        self.teams[w.team].remove(w)
        if w.employment is not None and w.employment.is_alive and w.employment is not self.env.active_process:
            w.employment.interrupt("left")
        # Their cases are reallocated first (case_reallocated events): a post that closed is a
        # restructure (ORGRST), any other leaver LEFTRL.
        self.service.worker_gone(w, "ORGRST" if reason == "post_ended" else "LEFTRL")
        self.log(WorkerLeft(self.env.now, w.worker_id, reason))
        post = w.post
        if post.worker is w:
            post.worker = None
            if post.closed:
                pass
            elif post.pending_hire is not None:
                self._start_pending(post)
            else:
                self.vacancy(post)

    def finish_screening(self, w: Worker) -> bool:
        """A MASH screener put down a contact; True if they are free to take another."""
        w.busy = False
        if w.leaving is not None:
            reason, w.leaving = w.leaving, None
            self.leave(w, reason)
            return False
        return not (w.left or w.absent)

    # -- sickness ---------------------------------------------------------------------------------------
    def _sickness(self, w: Worker):
        sk = self.cfg.sickness
        rng = self.sickness_rng
        present_mean = sk.mean_spell_days * (1 - sk.absence_share) / sk.absence_share
        while True:
            yield self.env.timeout(float(rng.exponential(present_mean)))
            if w.left:
                return
            w.absent = True
            self.log(AbsenceStarted(self.env.now, w.worker_id))
            self.service.worker_unavailable(w)
            spell = float(rng.exponential(sk.mean_spell_days))
            cover_after = self.cfg.reallocation.absence_cover_after_days
            if 0 < cover_after < spell and w.team != "mash":  # a long absence: the cases are covered
                yield self.env.timeout(cover_after)
                if w.left:
                    return
                self.service.hand_over(w, "ABSENC")
                spell -= cover_after
            yield self.env.timeout(spell)
            if w.left:
                return
            w.absent = False
            self.log(AbsenceEnded(self.env.now, w.worker_id))
            self.service.worker_available(w)

    # -- pressure -------------------------------------------------------------------------------------
    def review_pressure(self):
        """Re-read caseload pressure every ``review_days`` (only when turnover depends on it)."""
        every = self.cfg.turnover.review_days
        while True:
            yield self.env.timeout(every)
            for team in ("assessment", "long_term"):
                workers = self.teams[team]
                if not workers:
                    continue
                waiting = len(self.service.allocation[team].queued_case_ids()) / len(workers)
                for w in workers:
                    w.pressure = max(0.0, (w.load + waiting) / max(w.cap, 1) - 1.0)
            self._rates_changed([w for team in self.teams.values() for w in team])

    # -- funding schedule -----------------------------------------------------------------------------
    def schedule(self, actions) -> None:
        for i, a in enumerate(actions):
            self.env.process(self._action(i, a))

    def _action(self, i: int, a):
        yield self.env.timeout(max(0.0, self._t(a.date) - self.env.now))
        teams = [a.team] if a.team else list(TEAM_PREFIX)
        if a.action == "add_posts":
            until = self._end_of(a.until) if a.until else None
            for _ in range(a.count):
                post = self.open_post(a.team, a.funding, a.fill_with, a.fte, until, "funding")
                self.vacancy(post)
        elif a.action == "end_temporary_posts":
            for post in [p for p in self.posts.values() if p.team in teams and p.funding == "temporary" and not p.closed]:
                self.close_post(post, "funding_ended")
        elif a.action == "convert_to_permanent":
            for post in [p for p in self.posts.values() if p.team in teams and p.funding == "temporary" and not p.closed]:
                self.make_permanent(post)
        elif a.action == "retention_package":
            name = a.name or f"package_{i + 1}"
            until = self._end_of(a.until)
            self.log(PackageStarted(self.env.now, name, a.turnover_multiplier, a.cost, until))
            self.packages.append(a.turnover_multiplier)
            self._rates_changed([w for team in self.teams.values() for w in team])
            yield self.env.timeout(max(0.0, until - self.env.now))
            self.log(PackageEnded(self.env.now, name))
            self.packages.remove(a.turnover_multiplier)
            self._rates_changed([w for team in self.teams.values() for w in team])
