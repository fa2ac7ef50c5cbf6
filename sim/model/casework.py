"""Casework: first visit, assessment, conference, plans and their changes, closure.

The assessment is work the allocated worker does: its clock starts when a worker first holds
the case, so a late allocation delays the completion (docs/decisions/0021).  The first visit
follows allocation (s47 within about a working day, others a few working days).  An s47
enquiry that leads to an initial child protection conference is decided there, timed from the
strategy discussion (DfE C4); about 86% of conferences make a CP plan, the rest a CIN plan or
closure.  Plans (CIN, CP, looked after) move the case to a long-term team and hold a worker's
caseload until they end; a CP plan may step down to CIN, and CIN and CP plans may escalate to
care (``plan_endings``).  If the allocated worker leaves before the visit, the next worker
visits; an assessment whose worker has gone waits for the next one before it is completed.
"""
from __future__ import annotations

from .. import drift
from ..distributions import Bernoulli, Choice, PeriodChoice, Sampler, draw_array, mean_of, sampler_in_clock_days
from ..events import (AssessmentCompleted, CaseClosed, ConferenceHeld, PlanEnded, PlanStarted, ReferralAccepted,
                      ReferralBeforeStart, Seen)
from .case import PLAN_RANK
from .flows import expected_plan_starts_per_day

ASSESSMENT_OUTCOMES = ["close", "cin", "cp", "lac"]
CONFERENCE_OUTCOMES = ["cp", "cin", "close"]
PLANS = ("cin", "cp", "lac")
NEXT_AFTER = {"cin": ["close", "cp", "lac"], "cp": ["close", "cin", "lac"]}

__all__ = ["Casework", "expected_plan_starts_per_day"]


class Casework:
    def __init__(self, env, service):
        cfg = service.cfg.service.casework
        self.env = env
        self.service = service
        self.log = service.log.append
        s, cal = service.streams, service.calendar
        self.visit_s47 = sampler_in_clock_days(Sampler(cfg.visit_delay_s47, s("visit_s47")), cal)
        self.visit = sampler_in_clock_days(Sampler(cfg.visit_delay, s("visit")), cal)
        # Timed from the allocation (the worker's own work); the conference from the referral
        # (the strategy discussion), as the DfE times it.
        self.assessment_due = sampler_in_clock_days(Sampler(cfg.assessment_duration, s("assessment_duration")), cal)
        self.min_after_visit = sampler_in_clock_days(Sampler(cfg.min_assessment_after_visit, s("assessment_min")), cal)
        self.conference_due = sampler_in_clock_days(Sampler(cfg.conference_delay, s("conference_delay")), cal)
        routes = {"s47": cfg.assessment_outcomes.s47, "other": cfg.assessment_outcomes.other,
                  "s47_after_cp": cfg.s47_after_cp or cfg.assessment_outcomes.s47}
        self.outcome = {route: self._outcome_choice(shares, s(f"assessment_outcome_{route}"))
                        for route, shares in routes.items()}
        self.conference = Choice(CONFERENCE_OUTCOMES, [getattr(cfg.conference_outcomes, o) for o in CONFERENCE_OUTCOMES],
                                 s("conference_outcome"))
        self.plan_end = {p: sampler_in_clock_days(Sampler(getattr(cfg.plan_duration, p), s(f"plan_duration_{p}")), cal)
                         for p in PLANS}
        self.next_after = {p: Choice(NEXT_AFTER[p], [getattr(getattr(cfg.plan_endings, p), o) for o in NEXT_AFTER[p]],
                                     s(f"plan_ending_{p}")) for p in NEXT_AFTER}
        realloc = service.cfg.service.workforce.reallocation
        self.moves_worker = Bernoulli(realloc.transfer_on_plan_change, s("transfer_on_plan_change"))
        self.held_outside = Bernoulli(cfg.cin_held_outside, s("cin_held_outside"))

    def _outcome_choice(self, shares, rng):
        """How an assessment ends: the configured shares, or with a year-to-year drift drawn
        (``sim.drift``) the shares of the drift year the assessment ends its visit in."""
        base = {o: getattr(shares, o) for o in ASSESSMENT_OUTCOMES}
        path = self.service.drift
        if not path.active:
            return Choice(ASSESSMENT_OUTCOMES, [base[o] for o in ASSESSMENT_OUTCOMES], rng)
        by_year = [drift.outcome_shares(base, path, y) for y in range(path.years)]
        env = self.env
        return PeriodChoice(ASSESSMENT_OUTCOMES, [[y[o] for o in ASSESSMENT_OUTCOMES] for y in by_year], rng,
                            lambda: path.year_of(env.now))

    # -- the assessment -----------------------------------------------------------------------
    # Each step is a callback on a SimPy event rather than a process per case (as the MASH's):
    # the same procedure and the same log, without a process's start and end steps.
    def assess(self, case) -> None:
        """Allocated to an assessment worker: visit, assess, then close, start a plan or confer."""
        env = self.env
        if case.work_left is None:
            case.due = self.assessment_due(env.now)  # the work, from when a worker first holds the case
        else:  # an assessment under way when the simulation started: what is left of it
            case.due = self.service.calendar.add_working_days(env.now, case.work_left)
        if case.seen:  # seen before the simulation started (the council's records)
            self._assess_after_visit(case)
            return
        self._visit_when_held(case)

    def _visit_when_held(self, case) -> None:
        """The first visit, by whoever holds the case when it falls due."""
        worker = case.worker
        if worker is None:
            self.service.worker_assigned(case).callbacks.append(lambda _e: self._visit_when_held(case))
            return
        visit = self.visit_s47 if case.s47 else self.visit
        now = self.env.now
        self.env.timeout(visit(now) - now).callbacks.append(lambda _e: self._visit(case, worker))

    def _visit(self, case, worker) -> None:
        if case.worker is not worker:  # the worker changed before the visit: the new one visits
            self._visit_when_held(case)
            return
        case.seen = True
        self.log(Seen(self.env.now, case.case_id, worker.worker_id, case.child_id))
        self._assess_after_visit(case)

    def _assess_after_visit(self, case) -> None:
        """The child has been seen: how the assessment ends, and when."""
        env = self.env
        case.stage = "assessing"
        route = ("s47_after_cp" if case.had_cp else "s47") if case.s47 else "other"
        outcome = self.outcome[route]()
        # An s47 enquiry that goes to conference is decided there, timed from the strategy
        # discussion (DfE C4; statutory target 15 working days); others when the work is done.
        due = self.conference_due(case.referred_at) if outcome == "cp" else case.due
        done = max(due, self.min_after_visit(env.now))
        env.timeout(max(0.0, done - env.now)).callbacks.append(lambda _e: self._complete(case, outcome))

    def _complete(self, case, outcome: str) -> None:
        if case.worker is None:  # nobody to sign it off until the case is reallocated
            self.service.worker_assigned(case).callbacks.append(lambda _e: self._complete(case, outcome))
            return
        env, log = self.env, self.log
        log(AssessmentCompleted(env.now, case.case_id, case.worker.worker_id, outcome, case.child_id))
        if outcome == "close":
            self.close(case, "assessment")
        elif outcome == "cp":
            decision = self.conference()
            log(ConferenceHeld(env.now, case.case_id, decision, case.child_id))
            if decision == "close":
                self.close(case, "conference")
            else:
                self.start_plan(case, decision, "conference", self.plan_end[decision](env.now))
        else:
            self.start_plan(case, outcome, "assessment", self.plan_end[outcome](env.now))

    def start_plan(self, case, plan: str, reason: str, ends_at: float) -> None:
        """A plan starts: the first moves the case to the long-term team; a later one may move it
        to another worker there (``transfer_on_plan_change``)."""
        self.log(PlanStarted(self.env.now, case.case_id, plan, reason, case.child_id))
        first = case.plan is None
        case.plan = plan
        if plan == "cp":
            case.had_cp = True
        if first and plan == "cin" and self.held_outside():  # the opening stock too: as in steady state
            self.service.hold_outside(case)
        elif first or case.stage == "held_outside":  # to a long-term worker (an escalation from outside)
            if not first:
                case.requeue_reason = "TSPROC"  # a transfer from the family practitioner
            case.stage = "awaiting_transfer"
            self.service.allocation["long_term"].refer(case, PLAN_RANK[plan])
        else:  # a change of plan may move the child to another long-term worker (drawn only if one holds it)
            held = case.worker is not None and case.worker.team == "long_term"
            self.service.plan_changed(case, move=held and self.moves_worker())
        self.env.timeout(max(0.0, ends_at - self.env.now)).callbacks.append(lambda _e: self._plan_ends(case))

    def _plan_ends(self, case) -> None:
        plan = case.plan
        after = "close" if plan == "lac" else self.next_after[plan]()
        if after == "close":
            self.log(PlanEnded(self.env.now, case.case_id, plan, "ended", case.child_id))
            self.close(case, "plan_ended")
            return
        self.log(PlanEnded(self.env.now, case.case_id, plan, "step_down" if after == "cin" else "escalation",
                           case.child_id))
        self.start_plan(case, after, "step_down" if after == "cin" else "escalation", self.plan_end[after](self.env.now))

    def close(self, case, reason: str) -> None:
        if case.queue_key is not None:
            self.service.allocation["long_term"].withdraw(case)
        worker = case.worker
        self.log(CaseClosed(self.env.now, case.case_id, worker.worker_id if worker else None, reason, case.child_id))
        case.worker = None
        if worker is not None:
            self.service.release(worker, case)
        self.service.case_ended(case, "plan_ended" if reason == "plan_ended" else "closed")

    # -- the service as the simulation finds it ---------------------------------------------------
    def open_assessments(self, referrals_per_day: dict[str, float]) -> None:
        """Assessments under way when the simulation starts: referrals of each priority keep
        coming at their steady rate and each assessment lasts ``assessment_duration`` from its
        allocation, so the number under way is Poisson(rate x mean duration) and each has a
        length-biased duration times a uniform still to do (as the opening plans).  They are
        allocated at the first instant like any referral; a typical wait for allocation is left
        out (the warm-up gives the queue its own level)."""
        cfg = self.service.cfg.service
        rng = self.service.streams("opening_assessments")
        spec = cfg.casework.assessment_duration
        mean_days = mean_of(spec) * (7 / 5 if spec.unit == "working_days" else 1)
        s47_share = cfg.mash.s47_share
        for priority, per_day in referrals_per_day.items():
            n = int(rng.poisson(per_day * mean_days))
            if n == 0:
                continue
            pool = draw_array(spec, rng, 20 * n + 100)
            chosen = rng.choice(pool, size=n, p=pool / pool.sum()) if pool.sum() > 0 else pool[:n]
            left = (chosen * rng.random(n)).tolist()
            s47 = (rng.random(n) < getattr(s47_share, priority)).tolist()
            for work, enquiry in zip(left, s47):
                case = self.service.new_case(priority, self.service.known_child(False))
                case.s47, case.work_left = enquiry, work if spec.unit == "working_days" else work * 5 / 7
                self.log(ReferralAccepted(self.env.now, case.case_id, priority, enquiry, case.child_id,
                                          "opening_stock"))
                self.service.refer_for_assessment(case, delay=False)

    def open_stock(self, plan_starts_per_day: dict[str, tuple[float, float]]) -> None:
        """Plans already open when the simulation starts.

        Steady state of plans starting at a constant rate with independent durations: the
        number open is Poisson(rate x mean duration) and each one's remaining time is a
        length-biased duration times a uniform (the renewal-theory residual).  The share of
        each plan's starts for children who had a CP plan before is carried over too.
        """
        cfg = self.service.cfg.service.casework
        rng = self.service.streams("opening_stock")
        now = self.env.now
        for plan in PLANS:
            per_day, after_cp = plan_starts_per_day[plan]
            spec = getattr(cfg.plan_duration, plan)
            mean_days = mean_of(spec) * (7 / 5 if spec.unit == "working_days" else 1)
            n = int(rng.poisson(per_day * mean_days))
            if n == 0:
                continue
            pool = draw_array(spec, rng, 20 * n + 100)
            chosen = rng.choice(pool, size=n, p=pool / pool.sum()) if pool.sum() > 0 else pool[:n]
            remaining = chosen * rng.random(n)
            had_cp = rng.random(n) < after_cp
            for r, h in zip(remaining.tolist(), had_cp.tolist()):
                case = self.service.new_case("amber", self.service.known_child(h and plan != "cp"), h)
                end = now + r if spec.unit == "days" else self.service.calendar.add_working_days(now, r)
                self.start_plan(case, plan, "opening_stock", end)

    # -- the service as the council's records find it ------------------------------------------------
    def open_records(self, opening, workers: list) -> None:
        """The open cases of the records' day (``sim.extracts.opening``), each at its stage and with its
        worker (``workers``: the ``Worker`` for each of ``opening.workers``).

        What is left of a stage under way is drawn from the stage's length given that it has
        already run as long as the records say (a draw longer than the time elapsed, less that
        time; stream ``opening_records``).  A referral's clock (an s47 conference's timing) runs
        from its real date.  A child who had a CP plan before gets ``plan_before_start``.
        """
        from ..extracts.opening import residual_draws

        service = self.service
        cfg = service.cfg.service.casework
        rng = service.streams("opening_records")
        cal = service.calendar
        now = self.env.now
        pools = {}

        def left(spec, elapsed_days: float) -> float:
            key = id(spec)
            if key not in pools:
                pools[key] = draw_array(spec, rng, 50_000)
            elapsed = elapsed_days * (5 / 7 if spec.unit == "working_days" else 1)
            return residual_draws(pools[key], elapsed, rng)

        for c in opening.cases:
            child = service.known_child(c.had_cp_before)

            case = service.new_case(c.priority, child, c.had_cp_before or c.plan == "cp")
            case.s47 = c.s47
            self.log(ReferralBeforeStart(now, child, now - c.referred_days, case.case_id))  # its real date
            worker = workers[c.worker] if c.worker is not None else None
            if c.stage == "in_plan":
                spec = getattr(cfg.plan_duration, c.plan)
                r = left(spec, c.plan_days)
                ends = now + r if spec.unit == "days" else cal.add_working_days(now, r)
                self.open_plan(case, c.plan, ends, worker, c.outside)
                continue
            self.log(ReferralAccepted(now, case.case_id, case.priority, case.s47, child, "opening_stock"))
            if c.stage == "assessing":
                spec = cfg.assessment_duration
                r = left(spec, c.assessment_days)
                case.work_left = r if spec.unit == "working_days" else r * 5 / 7
            if worker is not None and worker.team == "assessment" and c.stage == "assessing":
                case.referred_at = now - c.referred_days
                case.seen = c.seen
                service.allocation["assessment"].hold(case, worker)
                if c.seen:
                    self.log(Seen(now, case.case_id, worker.worker_id, child))
            else:  # waiting for a worker (its first, or the next: the records' worker has gone)
                service.refer_for_assessment(case, delay=False)
                case.referred_at = now - c.referred_days

    def open_plan(self, case, plan: str, ends_at: float, worker, outside: bool) -> None:
        """A plan open on the records' day, held as the records say: by a family practitioner
        (``outside``), by a long-term worker, by the assessment worker while it waits for its
        transfer, or by nobody (waiting in the long-term queue)."""
        service = self.service
        if worker is not None and worker.team == "assessment":
            service.allocation["assessment"].hand(case, worker, "opening_stock")
        self.log(PlanStarted(self.env.now, case.case_id, plan, "opening_stock", case.child_id))
        case.plan = plan
        if plan == "cp":
            case.had_cp = True
        if outside and plan == "cin":
            service.hold_outside(case)
        else:
            case.stage = "awaiting_transfer"
            service.allocation["long_term"].refer(case, PLAN_RANK[plan])
            if worker is not None and worker.team == "long_term":
                service.allocation["long_term"].hold(case, worker)
        self.env.timeout(max(0.0, ends_at - self.env.now)).callbacks.append(lambda _e: self._plan_ends(case))
