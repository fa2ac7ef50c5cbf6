"""Case and worker state machines, and replay: the service's state as a fold over the log.

``replay(events)`` rebuilds, from events alone, what the live simulation holds at the end:
which cases are open and at what stage, each worker's caseload, and each team's unallocated
queue in allocation order.  A test checks it against ``Service.snapshot()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

PRIORITY_RANK = {"red": 0, "amber": 1, "green": 2}
PLAN_RANK = {"cp": 0, "lac": 1, "cin": 2}


@dataclass(frozen=True)
class WorkerState:
    team: str
    kind: str
    cap: int
    accepting: bool  # False once on notice
    absent: bool


@dataclass(frozen=True)
class PostState:
    team: str
    funding: str
    worker_id: str | None  # None while vacant


@dataclass
class ServiceState:
    cases: dict[int, str] = field(default_factory=dict)              # open case -> stage
    caseloads: dict[str, frozenset[int]] = field(default_factory=dict)  # worker in post -> case ids
    queues: dict[str, list[int]] = field(default_factory=dict)        # team -> waiting, in order
    workers: dict[str, WorkerState] = field(default_factory=dict)     # worker in post -> state
    posts: dict[str, PostState] = field(default_factory=dict)         # open post -> state


def replay(events: Iterable) -> ServiceState:
    """Fold the log into the final ``ServiceState``."""
    stage: dict[int, str] = {}
    holder: dict[int, str] = {}
    caseload: dict[str, set[int]] = {}
    workers: dict[str, dict] = {}
    posts: dict[str, dict] = {}
    queued: dict[int, tuple[str, tuple]] = {}
    priority: dict[int, str] = {}
    plan: dict[int, str] = {}
    seen: set[int] = set()
    for ev in events:
        name = ev.name
        if name == "contact_received":
            stage[ev.case_id] = "awaiting_screening"
            priority[ev.case_id] = ev.priority
        elif name == "consent_requested":
            stage[ev.case_id] = "awaiting_consent"
        elif name == "consent_received":
            stage[ev.case_id] = "awaiting_screening"
        elif name == "mash_started":
            stage[ev.case_id] = "screening"
        elif name == "mash_decided":
            if ev.outcome != "referral":
                del stage[ev.case_id]
                priority.pop(ev.case_id, None)
        elif name == "referral_accepted":
            stage[ev.case_id] = "awaiting_allocation"
            priority[ev.case_id] = ev.priority  # (an opening-stock referral has no contact before it)
            queued[ev.case_id] = ("assessment", (PRIORITY_RANK[ev.priority], ev.t, ev.case_id))
        elif name == "allocated":
            queued.pop(ev.case_id, None)
            previous = holder.get(ev.case_id)
            if previous is not None:
                caseload[previous].discard(ev.case_id)
            holder[ev.case_id] = ev.worker_id
            caseload[ev.worker_id].add(ev.case_id)
            if ev.team == "assessment":
                stage[ev.case_id] = "assessing" if ev.case_id in seen else "allocated"
            else:
                stage[ev.case_id] = "in_plan"
        elif name == "seen":
            stage[ev.case_id] = "assessing"
            seen.add(ev.case_id)
        elif name == "assessment_completed":
            stage[ev.case_id] = "assessing"  # closure or a plan follows at the same instant
        elif name == "held_outside_social_work":
            stage[ev.case_id] = "held_outside"
            queued.pop(ev.case_id, None)  # it never waits for a long-term worker
            w = holder.pop(ev.case_id, None)
            if w is not None:
                caseload[w].discard(ev.case_id)
        elif name == "plan_started":
            if ev.case_id not in plan or stage.get(ev.case_id) == "held_outside":
                # the case's first plan (or an escalation from outside): it waits for a long-term worker
                stage[ev.case_id] = "awaiting_transfer"
                queued[ev.case_id] = ("long_term", (PLAN_RANK[ev.plan], ev.t, ev.case_id))
            plan[ev.case_id] = ev.plan  # a later plan (step-down, escalation) keeps its worker or place
        elif name == "case_closed":
            del stage[ev.case_id]
            queued.pop(ev.case_id, None)
            priority.pop(ev.case_id, None)
            plan.pop(ev.case_id, None)
            seen.discard(ev.case_id)
            w = holder.pop(ev.case_id, None)
            if w is not None:
                caseload[w].discard(ev.case_id)
        elif name == "case_reallocated":
            caseload[ev.worker_id].discard(ev.case_id)
            holder.pop(ev.case_id, None)
            if stage[ev.case_id] != "awaiting_transfer":
                stage[ev.case_id] = "awaiting_reallocation"
                rank = PRIORITY_RANK[priority[ev.case_id]] if ev.team == "assessment" else PLAN_RANK[plan[ev.case_id]]
                queued[ev.case_id] = (ev.team, (rank, ev.t, ev.case_id))
        elif name == "worker_started":
            caseload[ev.worker_id] = set()
            workers[ev.worker_id] = dict(team=ev.team, kind=ev.kind, cap=ev.cap, accepting=True, absent=False)
            posts[ev.post_id]["worker_id"] = ev.worker_id
        elif name == "worker_changed":
            workers[ev.worker_id].update(kind=ev.kind, cap=ev.cap)
        elif name == "notice_given":
            workers[ev.worker_id]["accepting"] = False
        elif name == "absence_started":
            workers[ev.worker_id]["absent"] = True
        elif name == "absence_ended":
            workers[ev.worker_id]["absent"] = False
        elif name == "worker_left":
            caseload.pop(ev.worker_id, None)
            workers.pop(ev.worker_id, None)
            for p in posts.values():
                if p["worker_id"] == ev.worker_id:
                    p["worker_id"] = None
        elif name == "post_opened":
            posts[ev.post_id] = dict(team=ev.team, funding=ev.funding, worker_id=None)
        elif name == "post_funding_changed":
            posts[ev.post_id]["funding"] = ev.funding
        elif name == "post_closed":
            del posts[ev.post_id]
    queues: dict[str, list[int]] = {"assessment": [], "long_term": []}
    for case_id, (team, key) in sorted(queued.items(), key=lambda kv: kv[1][1]):
        queues[team].append(case_id)
    return ServiceState(
        cases=stage,
        caseloads={w: frozenset(c) for w, c in caseload.items()},
        queues=queues,
        workers={w: WorkerState(**v) for w, v in workers.items()},
        posts={p: PostState(**v) for p, v in posts.items()},
    )
