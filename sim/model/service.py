"""One simulated service: builds the teams and processes, runs them, and reports its state.

Build -> run -> collect: ``run_replication(cfg, k)`` returns replication k's event log.
"""
from __future__ import annotations

import simpy

from ..calendar import WorkingCalendar
from ..config import RunConfig, add_months, horizon_end, parse_date
from ..distributions import Sampler, sampler_in_clock_days
from ..log import EventLog, collector_paused
from ..events import CaseReallocated, HeldOutsideSocialWork, PlanBeforeStart
from ..state import PostState, ServiceState, WorkerState
from ..streams import Streams
from .. import drift
from ..uncertainty import drawn
from .allocation import Allocation
from .case import PLAN_RANK, PRIORITY_RANK, Case
from .casework import Casework
from .demand import FrontDoor, contacts
from .flows import expected_plan_starts_per_day, expected_referrals_per_day
from .mash import Mash
from .workforce import Workforce



class Service:
    def __init__(self, cfg: RunConfig, replication: int = 0, sink=None):
        cfg = drawn(cfg, replication)  # this replication's own parameter values (sim.uncertainty)
        self.cfg = cfg
        self.replication = replication
        start = parse_date("start_date", cfg.start_date)
        self.start_date = start
        self.horizon_day = (horizon_end(cfg) - start).days
        self.drift = drift.path(cfg, replication, self.horizon_day)  # this replication's year-to-year change (sim.drift)
        first_day = (add_months(start, -cfg.warmup_months) - start).days
        self.calendar = WorkingCalendar.for_run(cfg)
        self.env = simpy.Environment(initial_time=first_day)
        self.log = EventLog(sink)
        self.streams = Streams(cfg.seed, replication)
        self.open_cases: dict[int, Case] = {}
        self._next_case = 1
        self._next_child = 1
        cw = cfg.service.casework.case_weights
        self.weights = {"assessment": cw.assessment, "assessment_s47": cw.assessment_s47,
                        "cin": cw.cin, "cp": cw.cp, "lac": cw.lac}

        delay = cfg.service.casework.allocation_delay
        self.allocation_due = (None if delay.kind == "fixed" and not delay.value
                               else sampler_in_clock_days(Sampler(delay, self.streams("allocation_delay")),
                                                          self.calendar))
        self.workforce = Workforce(self.env, self)
        self.teams = self.workforce.teams
        self.mash = Mash(self.env, self)
        self.allocation = {t: Allocation(self.env, self, t, self.teams[t]) for t in ("assessment", "long_term")}
        self.casework = Casework(self.env, self)
        self.front_door = FrontDoor(self.env, self)
        if cfg.start_from is not None:  # the council's records on start_date (sim.extracts.opening)
            from ..extracts.opening import opening_for

            opening = opening_for(cfg.start_from, cfg.start_date)
            workers = self.workforce.establish_from(opening, self.env.now)
            self.workforce.schedule(cfg.service.funding)
            self.casework.open_records(opening, workers)
            self.front_door.open_contacts(opening)
            self.front_door.open_returns_from(opening)
        else:
            self.workforce.establish(self.env.now)
            self.workforce.schedule(cfg.service.funding)
            if cfg.service.casework.opening_stock:
                self.casework.open_stock(expected_plan_starts_per_day(cfg))
                self.casework.open_assessments(expected_referrals_per_day(cfg))
                self.front_door.open_returns()
        contacts(self.env, self, self.front_door)
        realloc = cfg.service.workforce.reallocation
        if realloc.manage_per_year > 0:
            self.env.process(self.rebalance(realloc.manage_per_year))
        if sink is not None:
            self.env.process(self._flush_daily(cfg.flush_events))

    # -- run ------------------------------------------------------------------------------------
    def run(self) -> EventLog:
        with collector_paused():
            self.env.run(until=self.horizon_day)
            self.log.flush()
        return self.log

    def _flush_daily(self, size: int):
        """Once a simulated day, hand the log to its sink if it holds ``size`` events or more.

        It draws no random numbers and changes no state, so the log is the same with or
        without it (SimPy keeps the order of the other events scheduled at the same time).
        """
        while True:
            yield self.env.timeout(1.0)
            if len(self.log.events) >= size:
                self.log.flush()

    # -- what processes call ------------------------------------------------------------------------
    def new_child(self) -> int:
        """A child new to the front door."""
        child = self._next_child
        self._next_child += 1
        return child

    def known_child(self, had_cp: bool) -> int:
        """A child of the opening state (on a plan, or due back): new to the log, and if they had
        a CP plan before the simulation started, the log says so."""
        child = self.new_child()
        if had_cp:
            self.log.append(PlanBeforeStart(self.env.now, child, "cp"))
        return child

    def new_case(self, priority: str, child_id: int, had_cp: bool = False) -> Case:
        case = Case(self._next_case, child_id, priority, had_cp)
        self._next_case += 1
        self.open_cases[case.case_id] = case
        return case

    def contact_ended(self, case: Case, outcome: str) -> None:
        """Decided at the MASH without a referral: the contact ends there (the child may come back)."""
        del self.open_cases[case.case_id]
        self.front_door.left(case, outcome)

    def case_ended(self, case: Case, way_out: str) -> None:
        del self.open_cases[case.case_id]
        self.front_door.left(case, way_out)

    def refer_for_assessment(self, case: Case, delay: bool = True) -> None:
        """The referral joins the assessment team's queue, after ``casework.allocation_delay``
        (none for the assessments already under way when the simulation starts)."""
        case.stage = "awaiting_allocation"
        case.referred_at = self.env.now
        if delay and self.allocation_due is not None:
            wait = self.env.timeout(self.allocation_due(self.env.now) - self.env.now)
            wait.callbacks.append(lambda _e: self.allocation["assessment"].refer(case, PRIORITY_RANK[case.priority]))
            return
        self.allocation["assessment"].refer(case, PRIORITY_RANK[case.priority])

    def weight_of(self, case: Case, team: str) -> float:
        """What ``case`` counts towards a worker's cap in ``team`` (``casework.case_weights``)."""
        if team == "assessment":
            return self.weights["assessment_s47" if case.s47 else "assessment"]
        return self.weights[case.plan]

    def allocated(self, case: Case, worker) -> None:
        if worker.team == "assessment":
            case.stage = "assessing" if case.seen else "allocated"
            if not case.assessing:
                case.assessing = True
                self.casework.assess(case)
            elif case.assigned is not None:
                waiting, case.assigned = case.assigned, None
                waiting.succeed()
        else:
            case.stage = "in_plan"

    def worker_assigned(self, case: Case):
        """An event that fires when ``case`` next gets a worker."""
        if case.assigned is None:
            case.assigned = self.env.event()
        return case.assigned

    def hold_outside(self, case: Case) -> None:
        """A family practitioner holds the case's CIN plan: its social worker lets it go."""
        worker = case.worker
        self.log.append(HeldOutsideSocialWork(self.env.now, case.case_id, worker.worker_id if worker else None,
                                              case.child_id))
        case.stage = "held_outside"
        case.worker = None
        if worker is not None:
            self.release(worker, case)

    def plan_changed(self, case: Case, move: bool) -> None:
        """The case's plan changed (step-down, escalation): its weight follows; it may move worker."""
        worker = case.worker
        if worker is None or worker.team != "long_term":
            return  # still waiting for its long-term worker: the weight is set when allocated
        self.allocation["long_term"].reweigh(worker, case, self.weight_of(case, "long_term"))
        if move:
            self.allocation["long_term"].transfer(case, "TSPROC")

    # -- workforce changes ---------------------------------------------------------------------------
    def worker_available(self, worker) -> None:
        """A worker started, came back, or has more room: they can take work."""
        if worker.team == "mash":
            self.mash.available(worker)
        else:
            self.allocation[worker.team].worker_changed(worker)
            self.allocation[worker.team].poke()

    def worker_unavailable(self, worker) -> None:
        if worker.team == "mash":
            self.mash.unavailable(worker)

    def worker_gone(self, worker, reason: str = "LEFTRL") -> None:
        """The worker left: each of their cases goes back to allocation."""
        if worker.team == "mash":
            self.mash.unavailable(worker)
            return
        self.hand_over(worker, reason)

    def hand_over(self, worker, reason: str) -> None:
        """Every case ``worker`` holds goes back to allocation, with SSD reason code ``reason``."""
        if worker.team == "mash" or not worker.caseload:
            return
        for case_id in sorted(worker.caseload):
            self.reallocate(self.open_cases[case_id], worker, reason)
        worker.caseload.clear()
        worker.load = 0.0
        for alloc in self.allocation.values():
            alloc.worker_changed(worker)
            alloc.poke()

    def reallocate(self, case: Case, leaver, reason: str) -> None:
        case.worker = None
        case.requeue_reason = reason
        if case.stage == "awaiting_transfer":  # already queued for a long-term worker
            team = "long_term"
        elif leaver.team == "assessment":
            team = "assessment"
            case.stage = "awaiting_reallocation"
            self.allocation[team].refer(case, PRIORITY_RANK[case.priority])
        else:
            team = "long_term"
            case.stage = "awaiting_reallocation"
            self.allocation[team].refer(case, PLAN_RANK[case.plan])
        self.log.append(CaseReallocated(self.env.now, case.case_id, leaver.worker_id, team, case.child_id, reason))

    def release(self, worker, case: Case) -> None:
        """A worker's slot became free: their team's allocation looks at its queue again."""
        if case.case_id in worker.caseload:
            worker.caseload.discard(case.case_id)
            worker.load -= case.weight
        alloc = self.allocation.get(worker.team)
        if alloc is not None:
            alloc.worker_changed(worker)
            alloc.poke()

    def rebalance(self, per_case_year: float):
        """Management decisions move long-term cases to another worker (SSD ``MANAGE``).

        Once a week, each case a long-term worker holds is moved with probability
        ``per_case_year`` x 7 / 365 (a Poisson number of moves among the held cases), to the
        colleague with most room, if they have room for it (on the next working day if the week
        falls on a weekend or bank holiday).
        """
        rng = self.streams("rebalance")
        alloc = self.allocation["long_term"]
        cal = self.calendar
        while True:
            yield self.env.timeout(7.0)
            if not cal.is_working_day(self.env.now):  # management decisions are made on working days
                yield self.env.timeout(cal.at_working_time(cal.working_time(self.env.now)) - self.env.now)
            held = [cid for w in self.teams["long_term"] for cid in w.caseload]
            if not held:
                continue
            k = int(rng.poisson(per_case_year * 7 / 365 * len(held)))
            if k == 0:
                continue
            held.sort()
            for i in rng.choice(len(held), size=min(k, len(held)), replace=False).tolist():
                case = self.open_cases.get(held[i])
                if case is not None and case.worker is not None and case.worker.team == "long_term":
                    alloc.transfer(case, "MANAGE")

    def dismantle(self) -> None:
        """Forget everything but the log, once the run is over.

        The service and its parts refer to each other, so without this the whole state at the
        horizon (open cases, pending events, workers) would wait for the cyclic collector, which
        would traverse it all; clearing their attributes lets reference counting free it now.
        """
        # The events still scheduled refer to their processes, which refer to the environment:
        # a cycle through every pending event (SimPy has no public call to drop them).
        self.env._queue.clear()
        parts = [self.mash, self.casework, self.front_door, self.workforce, *self.allocation.values()]
        for part in parts:
            part.__dict__.clear()
        self.__dict__.clear()

    # -- state ------------------------------------------------------------------------------------
    def snapshot(self) -> ServiceState:
        """The live state, from the structures that drive the simulation."""
        workers = [w for team in self.teams.values() for w in team]
        return ServiceState(
            cases={cid: c.stage for cid, c in self.open_cases.items()},
            caseloads={w.worker_id: frozenset(w.caseload) for w in workers},
            queues={t: a.queued_case_ids() for t, a in self.allocation.items()},
            workers={w.worker_id: WorkerState(w.team, w.kind, w.cap, w.accepting, w.absent) for w in workers},
            posts={p.post_id: PostState(p.team, p.funding, p.worker.worker_id if p.worker else None)
                   for p in self.workforce.posts.values() if not p.closed},
        )


def run_replication(cfg: RunConfig, replication: int = 0, sink=None) -> EventLog:
    """Simulate replication ``replication`` of ``cfg`` and return its event log.

    With a ``sink`` (e.g. ``PartWriter.write``) the log is handed on in chunks of about
    ``cfg.flush_events`` events as the run goes, and the returned log holds none of them.
    """
    service = Service(cfg, replication, sink)
    with collector_paused():  # until the state is freed: else the collector's next pass walks it all
        log = service.run()
        service.dismantle()
    return log
