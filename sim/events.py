"""The event catalogue: immutable, past-tense facts that the model appends to the log.

Events hold facts only (time, ids, outcomes); waits and rates are computed by projections.
Each is a typed NamedTuple (immutable and cheap to create, which matters at millions of
events) with the log's column names as field names.  ``EVENT_TYPES`` maps the public event
name (the log's ``event`` column) to its class.
"""
from __future__ import annotations

from typing import NamedTuple, Optional


class ContactReceived(NamedTuple):
    """A contact reached the MASH (``case_id`` follows the child from here on)."""
    t: float
    case_id: int
    priority: str        # red | amber | green
    source: str          # police | schools | health | council | individuals | other
    needs_consent: bool  # parental consent / partner information needed before a decision
    name = "contact_received"


class ConsentRequested(NamedTuple):
    t: float
    case_id: int
    name = "consent_requested"


class ConsentReceived(NamedTuple):
    t: float
    case_id: int
    name = "consent_received"


class MashStarted(NamedTuple):
    """A MASH worker began screening the contact."""
    t: float
    case_id: int
    worker_id: str
    name = "mash_started"


class MashDecided(NamedTuple):
    t: float
    case_id: int
    worker_id: str
    outcome: str  # no_further_action | early_help | referral
    name = "mash_decided"


class ReferralAccepted(NamedTuple):
    """Threshold met: the contact became a referral to children's social care."""
    t: float
    case_id: int
    priority: str
    s47: bool  # strategy discussion held, s47 enquiry
    name = "referral_accepted"


class Allocated(NamedTuple):
    """A social worker in ``team`` took the case (from the previous worker, if any)."""
    t: float
    case_id: int
    worker_id: str
    team: str
    name = "allocated"


class Seen(NamedTuple):
    """First visit: the child was seen by the allocated social worker."""
    t: float
    case_id: int
    worker_id: str
    name = "seen"


class AssessmentCompleted(NamedTuple):
    t: float
    case_id: int
    worker_id: str
    outcome: str  # close | cin | cp | lac
    name = "assessment_completed"


class PlanStarted(NamedTuple):
    """A child in need, child protection or looked-after plan began; the case moves to long-term."""
    t: float
    case_id: int
    plan: str    # cin | cp | lac
    reason: str  # assessment | opening_stock (open at the start of the simulation)
    name = "plan_started"


class CaseClosed(NamedTuple):
    t: float
    case_id: int
    worker_id: Optional[str]
    reason: str  # assessment | plan_ended
    name = "case_closed"


class WorkerStarted(NamedTuple):
    t: float
    worker_id: str
    team: str
    kind: str   # permanent | agency | asye
    fte: float
    cap: int    # caseload cap (0 for MASH screeners, who hold no caseload)
    name = "worker_started"


class WorkerLeft(NamedTuple):
    t: float
    worker_id: str
    reason: str
    name = "worker_left"


EVENT_TYPES = {cls.name: cls for cls in (
    ContactReceived, ConsentRequested, ConsentReceived, MashStarted, MashDecided,
    ReferralAccepted, Allocated, Seen, AssessmentCompleted, PlanStarted, CaseClosed,
    WorkerStarted, WorkerLeft,
)}
EVENT_NAMES = tuple(EVENT_TYPES)
