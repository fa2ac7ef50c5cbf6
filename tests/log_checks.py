"""Rules every event log the model writes must keep, as functions over its events.

Shared by the invariant tests on fixed runs (test_log_invariants, test_workforce) and the
property tests on generated configurations (test_properties).  Each takes one replication's
events in ``seq`` order and raises ``AssertionError`` naming the first event that breaks a
rule; they return counts so a caller can also check that a rule was exercised at all.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from sim.events import EVENT_NAMES

WORK = ("mash_started", "mash_decided", "allocated", "seen", "assessment_completed")
WAITING = ("awaiting_allocation", "awaiting_reallocation", "awaiting_transfer")
HELD = ("allocated", "assessing", "in_plan")


def check_times_never_go_backwards(events) -> None:
    last = -float("inf")
    for i, e in enumerate(events):
        assert e.t >= last, f"event {i} ({e.name}) at t={e.t} comes after t={last}"
        last = e.t


def check_catalogued(events) -> None:
    assert {e.name for e in events} <= set(EVENT_NAMES)


class _Case:
    __slots__ = ("stage", "priority", "consent_due", "screener", "holder", "queue", "seen", "outcome", "plan", "t",
                 "ending", "conferred")

    def __init__(self, stage: str, t: float, priority: str | None = None) -> None:
        self.stage = stage
        self.t = t
        self.priority = priority
        self.consent_due = False  # consent needed and not yet received
        self.screener = None
        self.holder = None        # the worker holding the case
        self.queue = None         # team whose allocation queue the case waits in
        self.seen = False
        self.outcome = None       # assessment outcome, between assessment_completed and what it causes
        self.plan = None
        self.ending = None        # plan_ended's reason, until the closure or next plan at the same instant
        self.conferred = False    # the initial conference has decided (after a cp assessment)


def check_case_lifecycles(events) -> dict:
    """Walk each case through the legal orders of docs/event-log.md ("A case's events come in
    this order", the case-stage table); return the open cases' ``_Case`` records by id.

    A case is never seen again once it has ended (contact decided without a referral, or
    closed), so each contact is decided at most once and each case closed at most once.
    """
    cases: dict[int, _Case] = {}
    ended: set[int] = set()

    for i, e in enumerate(events):
        if not hasattr(e, "case_id") or e.case_id is None:
            continue
        cid, name = e.case_id, e.name
        where = f"event {i} ({name}, case {cid}, t={e.t})"
        assert cid not in ended, f"{where}: the case had already ended"
        c = cases.get(cid)
        if name == "referral_accepted" and e.reason == "opening_stock":  # an assessment under way at the start
            assert c is None, f"{where}: the case already exists"
            c = cases[cid] = _Case("awaiting_allocation", e.t, e.priority)
            c.queue = "assessment"
            continue
        if name == "contact_received" or (name == "plan_started" and e.reason == "opening_stock"):
            assert c is None, f"{where}: the case already exists"
            if name == "contact_received":
                c = cases[cid] = _Case("awaiting_screening", e.t, e.priority)
                c.consent_due = e.needs_consent
            else:
                c = cases[cid] = _Case("awaiting_transfer", e.t)
                c.plan, c.queue = e.plan, "long_term"
            continue
        assert c is not None, f"{where}: the case has no contact (or opening stock) before it"
        stage = c.stage
        if name == "consent_requested":
            assert stage == "awaiting_screening" and c.consent_due and c.t == e.t, where
            c.stage = "awaiting_consent"
        elif name == "consent_received":
            assert stage == "awaiting_consent", where
            c.stage, c.consent_due = "awaiting_screening", False
        elif name == "mash_started":
            assert stage == "awaiting_screening" and not c.consent_due, f"{where}: from {stage}"
            c.stage, c.screener = "screening", e.worker_id
        elif name == "mash_decided":
            assert stage == "screening" and e.worker_id == c.screener, f"{where}: from {stage}"
            if e.outcome == "referral":
                c.stage = "decided"
            else:
                del cases[cid]
                ended.add(cid)
        elif name == "referral_accepted":
            assert stage == "decided" and c.t == e.t and e.priority == c.priority, where
            c.stage, c.queue = "awaiting_allocation", "assessment"
        elif name == "allocated":
            if e.team == "assessment":
                assert c.queue == "assessment" and stage in ("awaiting_allocation", "awaiting_reallocation"), \
                    f"{where}: from {stage}"
                c.stage = "assessing" if c.seen else "allocated"
            elif stage == "in_plan":  # a move to another long-term worker (rebalancing, change of plan)
                assert e.reason in ("TSPROC", "MANAGE") and c.holder not in (None, e.worker_id), \
                    f"{where}: a move held by {c.holder} for {e.reason}"
            else:
                assert c.queue == "long_term" and stage in ("awaiting_transfer", "awaiting_reallocation"), \
                    f"{where}: from {stage}"
                c.stage = "in_plan"
            c.holder, c.queue = e.worker_id, None
        elif name == "seen":
            assert stage == "allocated" and e.worker_id == c.holder, f"{where}: from {stage} held by {c.holder}"
            c.stage, c.seen = "assessing", True
        elif name == "assessment_completed":
            assert stage == "assessing" and e.worker_id == c.holder, f"{where}: from {stage} held by {c.holder}"
            c.stage, c.outcome = "completed", e.outcome
        elif name == "conference_held":
            assert stage == "completed" and c.outcome == "cp" and not c.conferred and c.t == e.t, where
            c.outcome, c.conferred = e.outcome, True
        elif name == "held_outside_social_work":
            assert stage == "awaiting_transfer" and c.plan == "cin" and c.t == e.t and e.worker_id == c.holder, \
                f"{where}: from {stage}, plan {c.plan}, held by {c.holder}"
            c.stage, c.holder, c.queue = "held_outside", None, None
        elif name == "plan_ended":
            assert c.ending is None and c.plan == e.plan and stage in (
                "awaiting_transfer", "in_plan", "awaiting_reallocation", "held_outside"), \
                f"{where}: from {stage}, plan {c.plan}"
            c.ending = e.reason
        elif name == "plan_started":
            if e.reason in ("step_down", "escalation"):
                assert c.ending == e.reason and c.t == e.t and e.plan != c.plan, f"{where}: after {c.ending}"
                assert (e.plan == "cin") == (e.reason == "step_down"), where
                c.plan, c.ending = e.plan, None
                if stage == "held_outside":  # escalated: a long-term worker takes it from the queue
                    c.stage, c.queue = "awaiting_transfer", "long_term"
            else:
                assert e.reason == ("conference" if c.conferred else "assessment") and stage == "completed" \
                    and c.outcome == e.plan and c.t == e.t, where
                c.stage, c.plan, c.queue, c.outcome = "awaiting_transfer", e.plan, "long_term", None
        elif name == "case_closed":
            if e.reason in ("assessment", "conference"):
                assert stage == "completed" and c.outcome == "close" and c.t == e.t \
                    and c.conferred == (e.reason == "conference"), f"{where}: from {stage}"
            else:
                assert e.reason == "plan_ended" and c.plan is not None and c.ending == "ended" and c.t == e.t \
                    and stage in ("awaiting_transfer", "in_plan", "awaiting_reallocation", "held_outside"), \
                    f"{where}: from {stage}"
            assert e.worker_id == c.holder, f"{where}: closed by {e.worker_id}, held by {c.holder}"
            del cases[cid]
            ended.add(cid)
        elif name == "case_reallocated":
            assert c.holder is not None and e.worker_id == c.holder, f"{where}: held by {c.holder}"
            assert e.reason in ("LEFTRL", "ABSENC", "ORGRST"), where
            if stage == "awaiting_transfer":  # keeps its place in the long-term queue
                assert e.team == "long_term", where
            else:
                assert (stage, e.team) in (("allocated", "assessment"), ("assessing", "assessment"),
                                           ("in_plan", "long_term")), f"{where}: from {stage}"
                c.stage, c.queue = "awaiting_reallocation", e.team
            c.holder = None
        else:
            raise AssertionError(f"{where}: not an event of a case")
        c.t = e.t
    transient = {cid: c.stage for cid, c in cases.items() if c.stage in ("decided", "completed") or c.ending}
    assert not transient, f"cases stopped part-way through an instantaneous step: {transient}"
    return cases


def check_end_state(events, state) -> dict:
    """Every contact and referral is accounted for: each case the log leaves open is open in the
    live final ``state`` at the same stage, waiting in the right queue or held by the right
    worker, and every case the log ended is gone.  Returns counts of cases by fate."""
    cases = check_case_lifecycles(events)
    assert {cid: c.stage for cid, c in cases.items()} == state.cases
    for team in ("assessment", "long_term"):
        waiting = {cid for cid, c in cases.items() if c.queue == team}
        assert waiting == set(state.queues[team]), f"the {team} queue is not the cases waiting for it"
    held = defaultdict(set)
    for cid, c in cases.items():
        assert (c.holder is not None) == (c.stage in HELD) or c.stage == "awaiting_transfer", (cid, c.stage)
        if c.holder is not None:
            held[c.holder].add(cid)
    assert set(held) <= set(state.caseloads), "a case is held by a worker no longer in post"
    assert {w: frozenset(held.get(w, ())) for w in state.caseloads} == state.caseloads
    fates = Counter(c.stage for c in cases.values())
    fates["contacts"] = sum(e.name == "contact_received" for e in events)
    fates["referrals"] = sum(e.name == "referral_accepted" for e in events)
    fates["closed"] = sum(e.name == "case_closed" for e in events)
    return fates


def cap_rules(cfg) -> dict:
    """``check_workers``'s ``weights`` and ``over_cap`` for a run of ``cfg``: the service's case
    weights, and each case-holding team's over-cap allowance where its ``over_cap`` is on."""
    wf = cfg.service.workforce
    over = {team: getattr(wf, team).over_cap for team in ("assessment", "long_term")}
    return dict(weights=cfg.service.casework.case_weights,
                over_cap={team: o.allowance for team, o in over.items()
                          if o.after_working_days is not None and o.allowance > 0})


def check_workers(events, weights=None, over_cap=None) -> Counter:
    """Workers and posts: a case goes only to a worker whose weighted caseload is below their cap
    (``weights``: ``casework.case_weights``, all 1 if not given; with unit weights nobody is ever
    over their cap, and a ``worker_changed`` never cuts a cap below the caseload); cases go only
    to workers in post in that team, present and not on notice; nobody works before starting or
    after leaving, or leaves holding a case; a resignation follows a notice; a post holds at most
    one worker, and only while open.

    ``over_cap``: team -> allowance (``over_cap.allowance`` where ``after_working_days`` is set):
    a child who has waited long may go to a worker up to that much over their cap.

    Returns counts: workers who reached their cap, leavers, reallocations, allocations."""
    over_cap = over_cap or {}
    w8 = {k: getattr(weights, k) for k in ("assessment", "assessment_s47", "cin", "cp", "lac")} if weights else None
    unit = w8 is None or all(v == 1 for v in w8.values())
    s47: dict[int, bool] = {}
    plan: dict[int, str] = {}
    weight: dict[int, float] = {}  # what the case counts towards its holder's load now
    workers: dict[str, dict] = {}
    post_of: dict[str, str | None] = {}  # open post -> worker in it
    holder: dict[int, str] = {}
    gone: set[str] = set()
    counts = Counter()
    for i, e in enumerate(events):
        name = e.name
        where = f"event {i} ({name} at t={e.t})"
        if name == "post_opened":
            assert e.post_id not in post_of, f"{where}: {e.post_id} opened twice"
            post_of[e.post_id] = None
        elif name == "post_closed":
            del post_of[e.post_id]  # its worker has left, or (a busy MASH screener) leaves just after
        elif name == "worker_started":
            assert e.worker_id not in workers and e.worker_id not in gone, f"{where}: {e.worker_id} started twice"
            assert post_of.get(e.post_id, "closed") is None, f"{where}: {e.post_id} is not open and vacant"
            post_of[e.post_id] = e.worker_id
            workers[e.worker_id] = dict(team=e.team, cap=e.cap, load=0, full=False, notice=False, absent=False,
                                        post=e.post_id)
        elif name == "worker_changed":
            w = workers[e.worker_id]
            assert not unit or e.cap >= w["load"], f"{where}: {e.worker_id}'s cap cut below their caseload"
            w["cap"] = e.cap
        elif name == "referral_accepted":
            s47[e.case_id] = e.s47
        elif name == "plan_started":
            plan[e.case_id] = e.plan
            if e.case_id in holder and workers[holder[e.case_id]]["team"] == "long_term" and w8:
                new = w8[e.plan]
                workers[holder[e.case_id]]["load"] += new - weight[e.case_id]
                weight[e.case_id] = new
        elif name in ("notice_given", "absence_started", "absence_ended"):
            assert e.worker_id in workers, f"{where}: {e.worker_id} not in post"
            workers[e.worker_id]["notice" if name == "notice_given" else "absent"] = name != "absence_ended"
        elif name == "allocated":
            w = workers.get(e.worker_id)
            assert w is not None, f"{where}: {e.worker_id} not in post"
            assert w["team"] == e.team and not w["notice"] and not w["absent"], \
                f"{where}: {e.worker_id} is in {w['team']}, on notice {w['notice']}, absent {w['absent']}"
            if e.case_id in holder:
                workers[holder[e.case_id]]["load"] -= weight[e.case_id]
            if w8 is None:
                weight[e.case_id] = 1.0
            elif e.team == "assessment":
                weight[e.case_id] = w8["assessment_s47" if s47.get(e.case_id) else "assessment"]
            else:
                weight[e.case_id] = w8[plan[e.case_id]]
            allowance = over_cap.get(e.team, 0.0)
            assert w["load"] < w["cap"] + allowance - 1e-6, \
                f"{where}: {e.worker_id} had no room ({w['load']} of {w['cap']})"
            holder[e.case_id] = e.worker_id
            w["load"] += weight[e.case_id]
            w["full"] = w["full"] or w["load"] >= w["cap"] - 1e-6
            assert not unit or w["load"] <= w["cap"] + allowance, f"{where}: {e.worker_id} over their cap of {w['cap']}"
            counts["allocations"] += 1
        elif name in ("case_closed", "case_reallocated", "held_outside_social_work"):
            if name == "case_reallocated":
                assert holder.get(e.case_id) == e.worker_id, f"{where}: reallocated from someone not holding it"
                counts["reallocations"] += 1
            if e.case_id in holder:
                workers[holder.pop(e.case_id)]["load"] -= weight.pop(e.case_id)
        elif name == "worker_left":
            w = workers.pop(e.worker_id, None)
            assert w is not None, f"{where}: {e.worker_id} not in post"
            assert abs(w["load"]) < 1e-6, f"{where}: {e.worker_id} left holding {w['load']} of load"
            assert e.reason != "resigned" or w["notice"], f"{where}: resigned without notice"
            if post_of.get(w["post"]) == e.worker_id:
                post_of[w["post"]] = None
            gone.add(e.worker_id)
            counts["at_cap"] += w["full"]
            counts["left"] += 1
        if name in WORK:
            assert e.worker_id in workers, f"{where}: {e.worker_id} not in post"
    counts["at_cap"] += sum(w["full"] for w in workers.values())
    return counts
