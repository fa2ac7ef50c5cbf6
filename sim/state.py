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


@dataclass
class ServiceState:
    cases: dict[int, str] = field(default_factory=dict)              # open case -> stage
    caseloads: dict[str, frozenset[int]] = field(default_factory=dict)  # worker in post -> case ids
    queues: dict[str, list[int]] = field(default_factory=dict)        # team -> waiting, in order
    workers: dict[str, str] = field(default_factory=dict)             # worker in post -> team


def replay(events: Iterable) -> ServiceState:
    """Fold the log into the final ``ServiceState``."""
    stage: dict[int, str] = {}
    holder: dict[int, str] = {}
    caseload: dict[str, set[int]] = {}
    team_of: dict[str, str] = {}
    queued: dict[int, tuple[str, tuple]] = {}
    priority: dict[int, str] = {}
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
            queued[ev.case_id] = ("assessment", (PRIORITY_RANK[ev.priority], ev.t, ev.case_id))
        elif name == "allocated":
            queued.pop(ev.case_id, None)
            previous = holder.get(ev.case_id)
            if previous is not None:
                caseload[previous].discard(ev.case_id)
            holder[ev.case_id] = ev.worker_id
            caseload[ev.worker_id].add(ev.case_id)
            stage[ev.case_id] = "allocated" if ev.team == "assessment" else "in_plan"
        elif name == "seen":
            stage[ev.case_id] = "assessing"
        elif name == "assessment_completed":
            stage[ev.case_id] = "assessing"  # closure or a plan follows at the same instant
        elif name == "plan_started":
            stage[ev.case_id] = "awaiting_transfer"
            queued[ev.case_id] = ("long_term", (PLAN_RANK[ev.plan], ev.t, ev.case_id))
        elif name == "case_closed":
            del stage[ev.case_id]
            queued.pop(ev.case_id, None)
            w = holder.pop(ev.case_id, None)
            if w is not None:
                caseload[w].discard(ev.case_id)
        elif name == "worker_started":
            caseload[ev.worker_id] = set()
            team_of[ev.worker_id] = ev.team
        elif name == "worker_left":
            caseload.pop(ev.worker_id, None)
            team_of.pop(ev.worker_id, None)
    queues: dict[str, list[int]] = {"assessment": [], "long_term": []}
    for case_id, (team, key) in sorted(queued.items(), key=lambda kv: kv[1][1]):
        queues[team].append(case_id)
    return ServiceState(
        cases=stage,
        caseloads={w: frozenset(c) for w, c in caseload.items()},
        queues=queues,
        workers=team_of,
    )
