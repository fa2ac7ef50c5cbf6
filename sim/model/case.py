"""A child's case as the live simulation holds it (mutable working state, not a record).

A case is one episode at the front door: a contact, and what follows from it, to its end.  A
child can have many cases over time (``child_id``): one who comes back after a case ended
starts a new case and keeps their ``child_id``.
"""
from __future__ import annotations

PRIORITY_RANK = {"red": 0, "amber": 1, "green": 2}
PLAN_RANK = {"cp": 0, "lac": 1, "cin": 2}  # order of transfer to long-term teams


class Case:
    __slots__ = ("case_id", "child_id", "priority", "s47", "stage", "worker", "plan", "queue_key", "referred_at",
                 "seen", "assessing", "due", "assigned", "weight", "had_cp", "requeue_reason", "work_left")

    def __init__(self, case_id: int, child_id: int, priority: str, had_cp: bool = False):
        self.case_id = case_id
        self.child_id = child_id
        self.priority = priority
        self.s47 = False
        self.stage = "awaiting_screening"
        self.worker = None      # the Worker holding the case, if any
        self.plan = None        # cin | cp | lac once a plan has started
        self.queue_key = None   # position in an allocation queue while waiting
        self.referred_at = 0.0   # when threshold was met (referral accepted)
        self.seen = False        # first visit done
        self.assessing = False   # the assessment has started (first allocated to an assessment worker)
        self.due = 0.0           # when the assessment's work is done, timed from that first allocation
        self.assigned = None     # event the assessment waits on while the case has no worker
        self.weight = 1.0        # what the case counts towards its worker's weighted caseload
        self.had_cp = had_cp     # the child has had a child protection plan before (this case or earlier)
        self.requeue_reason = None  # why the case went back to a queue (SSD code), until reallocated
        self.work_left = None     # an opening-stock assessment: the work still to do (working days)
