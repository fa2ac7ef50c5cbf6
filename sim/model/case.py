"""A child's case as the live simulation holds it (mutable working state, not a record)."""
from __future__ import annotations

PRIORITY_RANK = {"red": 0, "amber": 1, "green": 2}
PLAN_RANK = {"cp": 0, "lac": 1, "cin": 2}  # order of transfer to long-term teams


class Case:
    __slots__ = ("case_id", "priority", "s47", "stage", "worker", "plan", "queue_key", "referred_at",
                 "seen", "process", "assigned")

    def __init__(self, case_id: int, priority: str):
        self.case_id = case_id
        self.priority = priority
        self.s47 = False
        self.stage = "awaiting_screening"
        self.worker = None      # the Worker holding the case, if any
        self.plan = None        # cin | cp | lac once a plan has started
        self.queue_key = None   # position in an allocation queue while waiting
        self.referred_at = 0.0   # when threshold was met (referral accepted)
        self.seen = False        # first visit done
        self.process = None      # the assessment's SimPy process, once allocated
        self.assigned = None     # event the assessment waits on while the case has no worker
