"""MASH screening: consent and partner checks, then a decision by a MASH worker.

Non-urgent contacts that need parental consent or partner information wait for it before
screening (the long tail Ofsted found: up to 16 days).  Screeners take waiting contacts red
first, then amber, then green, first come first served within a priority.
"""
from __future__ import annotations

from heapq import heappop, heappush

from ..distributions import Bernoulli, Choice, Sampler, sampler_in_clock_days
from ..events import ConsentReceived, ConsentRequested, MashDecided, MashStarted, ReferralAccepted
from .case import PRIORITY_RANK

MASH_OUTCOMES = ["no_further_action", "early_help", "referral"]


class Mash:
    def __init__(self, env, service):
        cfg = service.cfg.service.mash
        self.env = env
        self.service = service
        self.log = service.log.append
        self.workforce = service.workforce
        self.free: list = []                   # screeners in post, present and not screening
        self.waiting: list = []                # (priority rank, arrival order, case, event)
        self._order = 0
        streams = service.streams
        cal = service.calendar
        self.consent_until = sampler_in_clock_days(Sampler(cfg.consent_delay, streams("consent_delay")), cal)
        self.screening = Sampler(cfg.screening, streams("screening"))
        self.add_working = None if (self.screening.unit == "days" or cal.all_working) else cal.add_working_days
        self.outcome = {p: Choice(MASH_OUTCOMES, [getattr(getattr(cfg.outcomes, p), o) for o in MASH_OUTCOMES],
                                  streams(f"mash_outcome_{p}")) for p in PRIORITY_RANK}
        self.s47 = {p: Bernoulli(getattr(cfg.s47_share, p), streams(f"s47_{p}")) for p in PRIORITY_RANK}

    def receive(self, case, needs_consent: bool) -> None:
        self.env.process(self.screen(case, needs_consent))

    def available(self, worker) -> None:
        """A screener can take a contact: the next one waiting, or they join the free pool."""
        if worker.busy or worker.left or worker.absent or worker in self.free:
            return
        if self.waiting:
            worker.busy = True
            heappop(self.waiting)[3].succeed(worker)
        else:
            self.free.append(worker)

    def unavailable(self, worker) -> None:
        """Absent or gone: out of the free pool (one screening now is finished first)."""
        if worker in self.free:
            self.free.remove(worker)

    def screen(self, case, needs_consent: bool):
        """The contact's path through the MASH, from receipt to decision."""
        env, log = self.env, self.log
        if needs_consent:
            log(ConsentRequested(env.now, case.case_id))
            case.stage = "awaiting_consent"
            yield env.timeout(self.consent_until(env.now) - env.now)
            log(ConsentReceived(env.now, case.case_id))
            case.stage = "awaiting_screening"
        if self.free and not self.waiting:
            worker = self.free.pop()
            worker.busy = True
        else:
            ready = env.event()
            heappush(self.waiting, (PRIORITY_RANK[case.priority], self._order, case, ready))
            self._order += 1
            worker = yield ready
        case.stage = "screening"
        log(MashStarted(env.now, case.case_id, worker.worker_id))
        work = self.screening() / worker.fte  # a part-time screener takes longer in elapsed time
        end = env.now + work if self.add_working is None else self.add_working(env.now, work)
        yield env.timeout(end - env.now)
        outcome = self.outcome[case.priority]()
        log(MashDecided(env.now, case.case_id, worker.worker_id, outcome))
        worker.busy = False
        if self.workforce.finish_screening(worker):
            if self.waiting:  # hand straight to the next contact
                worker.busy = True
                heappop(self.waiting)[3].succeed(worker)
            else:
                self.free.append(worker)
        if outcome == "referral":
            case.s47 = self.s47[case.priority]()
            log(ReferralAccepted(env.now, case.case_id, case.priority, case.s47))
            self.service.refer_for_assessment(case)
        else:
            self.service.contact_ended(case)
