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


class PostOpened(NamedTuple):
    """A funded post exists from now (vacant until a ``worker_started`` names it)."""
    t: float
    post_id: str
    team: str
    funding: str   # permanent | temporary | agency
    reason: str    # establishment (at the start) | funding (a scenario's add_posts)
    name = "post_opened"


class PostFundingChanged(NamedTuple):
    t: float
    post_id: str
    funding: str
    name = "post_funding_changed"


class PostClosed(NamedTuple):
    """The post's funding ended; any worker in it has left (``worker_left`` just before)."""
    t: float
    post_id: str
    reason: str
    name = "post_closed"


class RecruitmentStarted(NamedTuple):
    t: float
    post_id: str
    kind: str  # the kind of worker sought
    name = "recruitment_started"


class WorkerStarted(NamedTuple):
    t: float
    worker_id: str
    team: str
    kind: str          # permanent | agency | asye
    fte: float
    cap: int           # caseload cap now (0 for MASH screeners, who hold no caseload)
    post_id: str
    annual_cost: float  # cost of one FTE of this kind a year; cost accrues as fte x this
    name = "worker_started"


class WorkerChanged(NamedTuple):
    """The worker's cap, kind or pay changed (end of ramp-up; end of the ASYE year)."""
    t: float
    worker_id: str
    kind: str
    cap: int
    annual_cost: float
    reason: str  # ramped_up | asye_completed
    name = "worker_changed"


class AbsenceStarted(NamedTuple):
    t: float
    worker_id: str
    name = "absence_started"


class AbsenceEnded(NamedTuple):
    t: float
    worker_id: str
    name = "absence_ended"


class NoticeGiven(NamedTuple):
    """The worker resigned (or their assignment ends): no new cases from now."""
    t: float
    worker_id: str
    reason: str
    name = "notice_given"


class CaseReallocated(NamedTuple):
    """The case's worker left: it returns to ``team``'s allocation queue (one more change of worker)."""
    t: float
    case_id: int
    worker_id: str  # the worker who left
    team: str
    name = "case_reallocated"


class WorkerLeft(NamedTuple):
    t: float
    worker_id: str
    reason: str  # resigned | post_ended | cover_ended
    name = "worker_left"


class PackageStarted(NamedTuple):
    """A retention package: leaving rates multiplied by ``multiplier`` until it ends."""
    t: float
    package: str
    multiplier: float
    cost: float  # total cost, spread evenly over the package's days
    until: float  # t when it ends
    name = "package_started"


class PackageEnded(NamedTuple):
    t: float
    package: str
    name = "package_ended"


class RecruitmentFailed(NamedTuple):
    """A recruitment round ended with nobody hired (``recruitment.round_failure``); a new round follows."""
    t: float
    post_id: str
    kind: str  # the kind of worker sought
    name = "recruitment_failed"


EVENT_TYPES = {cls.name: cls for cls in (
    ContactReceived, ConsentRequested, ConsentReceived, MashStarted, MashDecided,
    ReferralAccepted, Allocated, Seen, AssessmentCompleted, PlanStarted, CaseClosed,
    PostOpened, PostFundingChanged, PostClosed, RecruitmentStarted, WorkerStarted, WorkerChanged,
    AbsenceStarted, AbsenceEnded, NoticeGiven, CaseReallocated, WorkerLeft, PackageStarted, PackageEnded,
    RecruitmentFailed,
)}
EVENT_NAMES = tuple(EVENT_TYPES)
