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

    # The contact's path through the MASH, from receipt to decision: consent (if needed), a wait
    # for a free screener, screening, the decision.  Each step is a callback on a SimPy event
    # rather than a process per contact: the same procedure and the same log, with two fewer
    # scheduler steps per contact (a process's start and its end), about a third of the MASH's
    # scheduling (docs/performance.md).
    def receive(self, case, needs_consent: bool) -> None:
        """A contact arrives at the MASH."""
        if needs_consent:
            self.log(ConsentRequested(self.env.now, case.case_id, case.child_id))
            case.stage = "awaiting_consent"
            wait = self.env.timeout(self.consent_until(self.env.now) - self.env.now)
            wait.callbacks.append(lambda _event: self._consent_received(case))
        else:
            self._ready_for_screening(case)

    def _consent_received(self, case) -> None:
        self.log(ConsentReceived(self.env.now, case.case_id, case.child_id))
        case.stage = "awaiting_screening"
        self._ready_for_screening(case)

    def _ready_for_screening(self, case) -> None:
        """A free screener takes the contact now; otherwise it waits its turn."""
        if self.free and not self.waiting:
            worker = self.free.pop()
            worker.busy = True
            self._screen(case, worker)
            return
        ready = self.env.event()
        ready.callbacks.append(lambda event: self._screen(case, event.value))
        heappush(self.waiting, (PRIORITY_RANK[case.priority], self._order, case, ready))
        self._order += 1

    def _screen(self, case, worker) -> None:
        case.stage = "screening"
        self.log(MashStarted(self.env.now, case.case_id, worker.worker_id, case.child_id))
        work = self.screening() / worker.fte  # a part-time screener takes longer in elapsed time
        now = self.env.now
        end = now + work if self.add_working is None else self.add_working(now, work)
        self.env.timeout(end - now).callbacks.append(lambda _event: self._decide(case, worker))

    def _decide(self, case, worker) -> None:
        outcome = self.outcome[case.priority]()
        self.log(MashDecided(self.env.now, case.case_id, worker.worker_id, outcome, case.child_id))
        worker.busy = False
        if self.workforce.finish_screening(worker):
            if self.waiting:  # hand straight to the next contact
                worker.busy = True
                heappop(self.waiting)[3].succeed(worker)
            else:
                self.free.append(worker)
        if outcome == "referral":
            case.s47 = self.s47[case.priority]()
            self.log(ReferralAccepted(self.env.now, case.case_id, case.priority, case.s47, case.child_id))
            self.service.refer_for_assessment(case)
        else:
            self.service.contact_ended(case, outcome)

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
