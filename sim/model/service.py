"""One simulated service: builds the teams and processes, runs them, and reports its state.

Build -> run -> collect: ``run_replication(cfg, k)`` returns replication k's event log.
"""
from __future__ import annotations

import simpy

from ..calendar import WorkingCalendar
from ..config import RunConfig, add_months, horizon_end, parse_date
from ..log import EventLog, fewer_collections
from ..state import ServiceState
from ..streams import Streams
from .allocation import Allocation
from .case import PRIORITY_RANK, Case
from .casework import Casework, expected_plan_starts_per_day
from .demand import contacts
from .mash import Mash
from .workforce import start_team

CALENDAR_MARGIN_DAYS = 800
 # stage times that end after the horizon still need working days


class Service:
    def __init__(self, cfg: RunConfig, replication: int = 0):
        self.cfg = cfg
        self.replication = replication
        start = parse_date("start_date", cfg.start_date)
        self.start_date = start
        self.horizon_day = (horizon_end(cfg) - start).days
        first_day = (add_months(start, -cfg.warmup_months) - start).days
        cal = cfg.service.calendar
        self.calendar = WorkingCalendar.build(start, first_day, self.horizon_day + CALENDAR_MARGIN_DAYS,
                                              cal.weekends_off, cal.bank_holidays)
        self.env = simpy.Environment(initial_time=first_day)
        self.log = EventLog()
        self.streams = Streams(cfg.seed, replication)
        self.open_cases: dict[int, Case] = {}
        self._next_case = 1

        wf = cfg.service.workforce
        now = self.env.now
        self.teams = {
            "mash": start_team("mash", wf.mash, now, self.log.append, holds_cases=False),
            "assessment": start_team("assessment", wf.assessment, now, self.log.append),
            "long_term": start_team("long_term", wf.long_term, now, self.log.append),
        }
        self.mash = Mash(self.env, self, self.teams["mash"])
        self.allocation = {t: Allocation(self.env, self, t, self.teams[t]) for t in ("assessment", "long_term")}
        self.casework = Casework(self.env, self)
        if cfg.service.casework.opening_stock:
            self.casework.open_stock(expected_plan_starts_per_day(cfg))
        self.env.process(contacts(self.env, self))

    # -- run ------------------------------------------------------------------------------------
    def run(self) -> EventLog:
        with fewer_collections():
            self.env.run(until=self.horizon_day)
        return self.log

    # -- what processes call ------------------------------------------------------------------------
    def new_case(self, priority: str) -> Case:
        case = Case(self._next_case, priority)
        self._next_case += 1
        self.open_cases[case.case_id] = case
        return case

    def contact_ended(self, case: Case) -> None:
        """Decided at the MASH without a referral: the contact ends there."""
        del self.open_cases[case.case_id]

    def case_ended(self, case: Case) -> None:
        del self.open_cases[case.case_id]

    def refer_for_assessment(self, case: Case) -> None:
        case.stage = "awaiting_allocation"
        case.referred_at = self.env.now
        self.allocation["assessment"].refer(case, PRIORITY_RANK[case.priority])

    def allocated(self, case: Case, worker) -> None:
        if worker.team == "assessment":
            self.env.process(self.casework.assess(case, worker))
        else:
            case.stage = "in_plan"

    def release(self, worker, case_id: int) -> None:
        """A worker's slot became free: their team's allocation looks at its queue again."""
        worker.caseload.discard(case_id)
        alloc = self.allocation.get(worker.team)
        if alloc is not None:
            alloc.poke()

    # -- state ------------------------------------------------------------------------------------
    def snapshot(self) -> ServiceState:
        """The live state, from the structures that drive the simulation."""
        return ServiceState(
            cases={cid: c.stage for cid, c in self.open_cases.items()},
            caseloads={w.worker_id: frozenset(w.caseload) for team in self.teams.values() for w in team},
            queues={t: a.queued_case_ids() for t, a in self.allocation.items()},
            workers={w.worker_id: w.team for team in self.teams.values() for w in team},
        )


def run_replication(cfg: RunConfig, replication: int = 0) -> EventLog:
    """Simulate replication ``replication`` of ``cfg`` and return its event log."""
    service = Service(cfg, replication)
    return service.run()
