"""The event catalogue: immutable, past-tense facts that the model appends to the log.

Events hold facts only (time, ids, outcomes); waits and rates are computed by projections.
Each is a typed NamedTuple (immutable and cheap to create, which matters at millions of
events) with the log's column names as field names.  ``EVENT_TYPES`` maps the public event
name (the log's ``event`` column) to its class.
"""
from __future__ import annotations

from typing import NamedTuple, Optional


class ContactReceived(NamedTuple):
    """A contact reached the MASH: a new ``case_id`` starts here, for child ``child_id``.

    A child new to the front door gets a new ``child_id`` (``reason`` new); a child who comes
    back after an earlier case ended keeps theirs (``reason`` returned).
    """
    t: float
    case_id: int
    priority: str        # red | amber | green
    source: str          # police | schools | health | council | individuals | other
    needs_consent: bool  # parental consent / partner information needed before a decision
    child_id: Optional[int] = None
    reason: str = "new"  # new | returned | opening_stock (at the MASH on the records' day: start_from)
    name = "contact_received"


# Every event about a case carries its ``child_id`` (last, so that the case's own fields keep
# their positions).
class ConsentRequested(NamedTuple):
    t: float
    case_id: int
    child_id: Optional[int] = None
    name = "consent_requested"


class ConsentReceived(NamedTuple):
    t: float
    case_id: int
    child_id: Optional[int] = None
    name = "consent_received"


class MashStarted(NamedTuple):
    """A MASH worker began screening the contact."""
    t: float
    case_id: int
    worker_id: str
    child_id: Optional[int] = None
    name = "mash_started"


class MashDecided(NamedTuple):
    t: float
    case_id: int
    worker_id: str
    outcome: str  # no_further_action | early_help | referral
    child_id: Optional[int] = None
    name = "mash_decided"


class ReferralAccepted(NamedTuple):
    """Threshold met: the contact became a referral to children's social care (``reason``
    ``contact``), or, for ``opening_stock``, a referral made before the simulation started whose
    assessment is under way at its first instant (the case has no earlier events)."""
    t: float
    case_id: int
    priority: str
    s47: bool  # strategy discussion held, s47 enquiry
    child_id: Optional[int] = None
    reason: str = "contact"
    name = "referral_accepted"


class Allocated(NamedTuple):
    """A social worker in ``team`` took the case (from the previous worker, if any).

    ``reason`` says why the case changed hands: ``referral`` (its first worker), ``TSPROC``
    (a transfer: to the long-term team, or to another worker when the plan changes), ``MANAGE``
    (a management decision: caseload rebalancing), or the reason of the ``case_reallocated``
    that put the case back in the queue (``LEFTRL``, ``ABSENC``, ``ORGRST``).  The codes are
    the Standard Safeguarding Dataset's worker-change reasons.
    """
    t: float
    case_id: int
    worker_id: str
    team: str
    child_id: Optional[int] = None
    reason: str = "referral"
    name = "allocated"


class Seen(NamedTuple):
    """First visit: the child was seen by the allocated social worker."""
    t: float
    case_id: int
    worker_id: str
    child_id: Optional[int] = None
    name = "seen"


class AssessmentCompleted(NamedTuple):
    t: float
    case_id: int
    worker_id: str
    outcome: str  # close | cin | cp (an initial conference follows) | lac
    child_id: Optional[int] = None
    name = "assessment_completed"


class ConferenceHeld(NamedTuple):
    """The initial child protection conference decided: ``cp`` (a plan), ``cin`` or ``close``."""
    t: float
    case_id: int
    outcome: str
    child_id: Optional[int] = None
    name = "conference_held"


class PlanStarted(NamedTuple):
    """A child in need, child protection or looked-after plan began.

    ``reason``: ``assessment``, ``conference`` (a CP plan, or CIN after a conference),
    ``step_down`` (CP to CIN), ``escalation`` (into care from CIN or CP), or ``opening_stock``
    (open at the start of the simulation).
    """
    t: float
    case_id: int
    plan: str    # cin | cp | lac
    reason: str
    child_id: Optional[int] = None
    name = "plan_started"


class PlanEnded(NamedTuple):
    """The case's plan ended: another plan follows (``step_down``, ``escalation``) or the case
    closes (``ended``) at the same instant."""
    t: float
    case_id: int
    plan: str
    reason: str  # ended | step_down | escalation
    child_id: Optional[int] = None
    name = "plan_ended"


class PlanBeforeStart(NamedTuple):
    """Child ``child_id`` had a ``plan`` (``cp``) before the simulation started: history the
    opening state carries (a child on an opening plan, or due back, who had a CP plan earlier),
    written at the first instant so that "a second or subsequent plan" can be read off the log."""
    t: float
    child_id: int
    plan: str
    name = "plan_before_start"


class ReferralBeforeStart(NamedTuple):
    """Child ``child_id`` was referred before the simulation started, at clock time ``at`` (days,
    negative): history the council's records carry (``start_from``), written at the first instant
    so that a referral within 12 months of it counts as a re-referral, and, for an open case
    (``case_id``), so that its waits run from its real referral.  Not a referral made in the run."""
    t: float
    child_id: int
    at: float
    case_id: Optional[int] = None   # the open case it is the referral of (None: a child who may come back)
    name = "referral_before_start"


class HeldOutsideSocialWork(NamedTuple):
    """The case's CIN plan is held outside the social work teams (a family practitioner, not a
    case-holding social worker): ``worker_id`` (its assessment worker, if any) no longer holds it,
    and it holds no social worker's caseload unless the plan escalates (then it joins the
    long-term queue)."""
    t: float
    case_id: int
    worker_id: Optional[str]
    child_id: Optional[int] = None
    name = "held_outside_social_work"


class CaseClosed(NamedTuple):
    t: float
    case_id: int
    worker_id: Optional[str]
    reason: str  # assessment | conference | plan_ended
    child_id: Optional[int] = None
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
    """The case's worker stopped holding it: it returns to ``team``'s allocation queue.

    ``reason`` is the Standard Safeguarding Dataset's worker-change code: ``LEFTRL`` (the worker
    left, or handed over during their notice), ``ABSENC`` (cover during a long absence),
    ``ORGRST`` (the post closed when its funding ended: a restructure).
    """
    t: float
    case_id: int
    worker_id: str  # the worker who stopped holding it
    team: str
    child_id: Optional[int] = None
    reason: str = "LEFTRL"
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
    ConferenceHeld, PlanEnded, PlanBeforeStart,
    HeldOutsideSocialWork,
    RecruitmentFailed,
    ReferralBeforeStart,
)}
EVENT_NAMES = tuple(EVENT_TYPES)
