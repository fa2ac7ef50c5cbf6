"""Workers and teams.

A worker belongs to a team, has a kind (permanent, agency, newly qualified ASYE), an FTE and a
caseload cap.  Turnover, agency cover and funded posts slot in here (a later issue): every
change to the workforce is a ``worker_started`` / ``worker_left`` event.
"""
from __future__ import annotations

import math

from ..config import TeamConfig
from ..events import WorkerStarted


class Worker:
    __slots__ = ("worker_id", "team", "kind", "fte", "cap", "caseload", "index")

    def __init__(self, worker_id: str, team: str, kind: str, fte: float, cap: int, index: int):
        self.worker_id = worker_id
        self.team = team
        self.kind = kind
        self.fte = fte
        self.cap = cap
        self.caseload: set[int] = set()
        self.index = index

    @property
    def room(self) -> int:
        return self.cap - len(self.caseload)


def caseload_cap(team: TeamConfig, kind: str, fte: float) -> int:
    """A worker's cap: the team's cap for their kind, pro rata to FTE (at least one case)."""
    return max(1, math.floor(getattr(team.caseload_cap, kind) * fte + 1e-9))


TEAM_PREFIX = {"mash": "MASH", "assessment": "ASM", "long_term": "LT"}


def start_team(team_name: str, team: TeamConfig, now: float, log, holds_cases: bool = True) -> list[Worker]:
    """The team's workers in post at the start of the run, each announced by ``worker_started``."""
    workers = []
    for group in team.groups:
        for _ in range(group.count):
            i = len(workers)
            cap = caseload_cap(team, group.kind, group.fte) if holds_cases else 0
            w = Worker(f"{TEAM_PREFIX[team_name]}-{i + 1:03d}", team_name, group.kind, group.fte, cap, i)
            log(WorkerStarted(now, w.worker_id, team_name, group.kind, group.fte, cap))
            workers.append(w)
    return workers
