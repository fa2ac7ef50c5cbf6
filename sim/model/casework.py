"""Casework: first visit, assessment, conference, plans, closure.

The first visit follows allocation (s47 within about a working day, others a few working
days).  The assessment's length is sampled from referral (the DfE's published distribution of
referral-to-completion times), but it cannot finish before the visit plus a minimum of work,
so allocation delays push completion later.  When the outcome is a child protection plan the
decision is the initial conference's, timed from the strategy discussion (DfE C4).  Plans
(CIN, CP, looked after) move the case to a long-term team and hold a worker's caseload until
they end.  If the allocated worker leaves before the visit, the next worker visits; an
assessment whose worker has gone waits for the next one before it can be completed.
"""
from __future__ import annotations

from ..distributions import Choice, Sampler, draw_array, mean_of, sampler_in_clock_days
from ..events import AssessmentCompleted, CaseClosed, PlanStarted, Seen
from .case import PLAN_RANK

ASSESSMENT_OUTCOMES = ["close", "cin", "cp", "lac"]
PLANS = ("cin", "cp", "lac")


class Casework:
    def __init__(self, env, service):
        cfg = service.cfg.service.casework
        self.env = env
        self.service = service
        self.log = service.log.append
        s, cal = service.streams, service.calendar
        self.visit_s47 = sampler_in_clock_days(Sampler(cfg.visit_delay_s47, s("visit_s47")), cal)
        self.visit = sampler_in_clock_days(Sampler(cfg.visit_delay, s("visit")), cal)
        # Both timed from the referral (the strategy discussion for s47), not from now.
        self.assessment_due = sampler_in_clock_days(Sampler(cfg.assessment_duration, s("assessment_duration")), cal)
        self.min_after_visit = sampler_in_clock_days(Sampler(cfg.min_assessment_after_visit, s("assessment_min")), cal)
        self.conference_due = sampler_in_clock_days(Sampler(cfg.conference_delay, s("conference_delay")), cal)
        self.outcome = {route: Choice(ASSESSMENT_OUTCOMES, [getattr(getattr(cfg.assessment_outcomes, route), o)
                                                            for o in ASSESSMENT_OUTCOMES], s(f"assessment_outcome_{route}"))
                        for route in ("s47", "other")}
        self.plan_end = {p: sampler_in_clock_days(Sampler(getattr(cfg.plan_duration, p), s(f"plan_duration_{p}")), cal)
                         for p in PLANS}

    # -- processes ------------------------------------------------------------------------------
    def assess(self, case):
        """Allocated to an assessment worker: visit, assess, then close or start a plan."""
        env, log = self.env, self.log
        visit = self.visit_s47 if case.s47 else self.visit
        while True:  # the first visit, by whoever holds the case when it falls due
            worker = case.worker
            if worker is None:
                yield self.service.worker_assigned(case)
                continue
            yield env.timeout(visit(env.now) - env.now)
            if case.worker is worker:
                break
        case.seen = True
        log(Seen(env.now, case.case_id, worker.worker_id))
        case.stage = "assessing"
        outcome = self.outcome["s47" if case.s47 else "other"]()
        # A child protection plan is decided at the initial conference, timed from the strategy
        # discussion (DfE C4 times; statutory target 15 working days); others when the assessment ends.
        due = self.conference_due(case.referred_at) if outcome == "cp" else self.assessment_due(case.referred_at)
        done = max(due, self.min_after_visit(env.now))
        yield env.timeout(done - env.now)
        while case.worker is None:  # nobody to sign it off until the case is reallocated
            yield self.service.worker_assigned(case)
        log(AssessmentCompleted(env.now, case.case_id, case.worker.worker_id, outcome))
        if outcome == "close":
            self.close(case, "assessment")
        else:
            self.start_plan(case, outcome, "assessment", self.plan_end[outcome](env.now))

    def start_plan(self, case, plan: str, reason: str, ends_at: float) -> None:
        self.log(PlanStarted(self.env.now, case.case_id, plan, reason))
        case.plan = plan
        case.stage = "awaiting_transfer"
        self.service.allocation["long_term"].refer(case, PLAN_RANK[plan])
        self.env.process(self.plan_runs(case, ends_at))

    def plan_runs(self, case, ends_at: float):
        yield self.env.timeout(ends_at - self.env.now)
        self.close(case, "plan_ended")

    def close(self, case, reason: str) -> None:
        if case.queue_key is not None:
            self.service.allocation["long_term"].withdraw(case)
        worker = case.worker
        self.log(CaseClosed(self.env.now, case.case_id, worker.worker_id if worker else None, reason))
        case.worker = None
        if worker is not None:
            self.service.release(worker, case.case_id)
        self.service.case_ended(case)

    # -- the service as the simulation finds it ---------------------------------------------------
    def open_stock(self, plan_starts_per_day: dict[str, float]) -> None:
        """Plans already open when the simulation starts.

        Steady state of plans starting at a constant rate with independent durations: the
        number open is Poisson(rate x mean duration) and each one's remaining time is a
        length-biased duration times a uniform (the renewal-theory residual).
        """
        cfg = self.service.cfg.service.casework
        rng = self.service.streams("opening_stock")
        now = self.env.now
        for plan in PLANS:
            spec = getattr(cfg.plan_duration, plan)
            mean_days = mean_of(spec) * (7 / 5 if spec.unit == "working_days" else 1)
            n = int(rng.poisson(plan_starts_per_day[plan] * mean_days))
            if n == 0:
                continue
            pool = draw_array(spec, rng, 20 * n + 100)
            chosen = rng.choice(pool, size=n, p=pool / pool.sum()) if pool.sum() > 0 else pool[:n]
            remaining = chosen * rng.random(n)
            for r in remaining.tolist():
                case = self.service.new_case("amber")
                end = now + r if spec.unit == "days" else self.service.calendar.add_working_days(now, r)
                self.start_plan(case, plan, "opening_stock", end)


def expected_plan_starts_per_day(cfg) -> dict[str, float]:
    """Plan starts per calendar day implied by the demand, MASH and assessment shares."""
    s = cfg.service
    per_day = s.demand.contacts_per_year / 365.0
    out = dict.fromkeys(PLANS, 0.0)
    for p in ("red", "amber", "green"):
        referrals = per_day * getattr(s.demand.priority, p) * getattr(s.mash.outcomes, p).referral
        s47 = getattr(s.mash.s47_share, p)
        for plan in PLANS:
            out[plan] += referrals * (s47 * getattr(s.casework.assessment_outcomes.s47, plan)
                                      + (1 - s47) * getattr(s.casework.assessment_outcomes.other, plan))
    return out


