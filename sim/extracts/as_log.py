"""The council's records as an event log: what happened, in the model's own events, so that the
projections that make a forecast's figures make the same figures of the records (one definition
of each, ``sim.projections``), and a backtest compares like with like.

``records_log(extract, start)`` writes, with clock times in days from ``start``: a
``contact_received`` per contact; a ``referral_accepted`` per referral; an ``allocated`` per
involvement (``held_outside_social_work`` for a family practitioner's), with a
``case_reallocated`` where an involvement ends and the next starts later; the assessment's
completion, the conference, each plan's start and end, and the case's closure; and, for each
professional, a ``post_opened`` and ``worker_started`` at their first involvement (or the first
day) and a ``worker_left`` at their last if the final roster no longer lists them.

The SSD holds no MASH decision times, no visit dates and no priorities, so the log holds no
``seen`` and no screening; a MASH decision is dated as ``sim.extracts.opening`` dates it (a
referral's date, else the contact's day); a referral's priority is red with an s47 enquiry, else
amber.  Figures resting on what the records lack (waits to be seen, MASH timeliness, vacancies)
are not to be read from this log (``SCORED`` in ``sim.backtest`` lists those that may).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..events import (Allocated, AssessmentCompleted, CaseClosed, CaseReallocated, ConferenceHeld, ContactReceived, HeldOutsideSocialWork, MashDecided,
                      PlanEnded, PlanStarted, PostOpened, ReferralAccepted, WorkerLeft, WorkerStarted)
from ..log import events_to_table
from . import ssd
from .opening import SOURCES, _departments, _kind, team_of  # noqa: F401 (the shared reading rules)
from .reader import Extract

SAME_INSTANT_DAYS = 1.0   # involvements under a day apart are one change of hands (many extracts date to the day)


def records_log(extract: Extract, start: dt.date) -> pd.DataFrame:
    """The extract as one replication's event log (replication 0), clock times in days from ``start``."""
    from ..projections import events_frame

    base = pd.Timestamp(start)
    t = extract.tables
    teams = _departments(extract)

    def clock(s) -> np.ndarray:
        return ((pd.to_datetime(pd.Series(s)) - base).dt.total_seconds() / 86400).to_numpy()

    person = _numbering([t[n][c] for n, c in (("ssd_contacts", "cont_person_id"), ("ssd_cin_episodes", "cine_person_id"))])
    ref = t["ssd_cin_episodes"].sort_values(["cine_referral_date", "_line"], kind="stable").reset_index(drop=True)
    case_of = {rid: k + 1 for k, rid in enumerate(ref["cine_referral_id"])}
    s47 = set(t["ssd_s47_enquiry"]["s47e_referral_id"])
    events: list = []

    # -- contacts and the MASH's decisions ------------------------------------------------------------
    contacts = t["ssd_contacts"].sort_values(["cont_contact_date", "_line"], kind="stable")
    linked = _contact_of_referral(contacts, ref)
    next_case = len(ref) + 1
    seen_children: set[int] = set()
    for line_idx, pid, when, source, outcome in zip(contacts.index, contacts["cont_person_id"],
                                                   clock(contacts["cont_contact_date"]),
                                                   contacts["cont_contact_source_code"], contacts["outcome"]):
        child = person.get(pid)
        rid = linked.get(line_idx)
        if rid is not None:
            case = case_of[rid]
        else:
            case, next_case = next_case, next_case + 1
        priority = "red" if rid in s47 else "amber"
        events.append(ContactReceived(when, case, priority, SOURCES.get(str(source), "other"), False, child,
                                      "returned" if child in seen_children else "new"))
        seen_children.add(child)
        if rid is None and isinstance(outcome, str) and outcome != "referral":
            events.append(MashDecided(when, case, "", outcome, child))
    # -- referrals: their path, from records ----------------------------------------------------------
    ref_time = clock(ref["cine_referral_date"])
    close_time = clock(ref["cine_close_date"])
    held = _held_from_the_start(t, ref)
    for k, (rid, pid) in enumerate(zip(ref["cine_referral_id"], ref["cine_person_id"])):
        case, child = k + 1, person.get(pid)
        priority = "red" if rid in s47 else "amber"
        if not np.isnan(ref_time[k]) and rid not in held:
            events.append(MashDecided(ref_time[k], case, "", "referral", child))
            events.append(ReferralAccepted(ref_time[k], case, priority, rid in s47, child, "contact"))
    _casework(events, t, case_of, person, clock, held)
    workers = _Workers()
    _involvements(events, t, case_of, person, teams, clock, workers)
    for k, rid in enumerate(ref["cine_referral_id"]):
        if not np.isnan(close_time[k]):
            events.append(CaseClosed(close_time[k], case_of[rid], None, "plan_ended", person.get(ref.at[k, "cine_person_id"])))
    _workforce(events, t, teams, clock, workers)
    events = _in_process_order(events)
    events.sort(key=lambda e: e.t)  # stable: same-instant events keep the order they were written in
    return events_frame(events_to_table(events, 0, start))


def _in_process_order(events: list) -> list:
    """Many dates in extracts have no time of day, so a case's allocation can read as earlier than
    its referral, or its closure as earlier than the last change of worker that day.  Nothing of
    a case is moved before its referral, and its closure comes after everything else it holds."""
    referred = {e.case_id: e.t for e in events if e.name == "referral_accepted"}
    first = {}
    for e in events:
        if e.name == "plan_started" and e.reason == "opening_stock":
            first.setdefault(e.case_id, e.t)
            first[e.case_id] = min(first[e.case_id], e.t)
    start = {**first, **referred}
    out, last = [], {}
    for e in events:
        case = getattr(e, "case_id", None)
        if case in start and e.name not in ("contact_received", "mash_decided", "referral_accepted") and e.t < start[case]:
            e = e._replace(t=start[case])
        if case is not None and e.name != "case_closed":
            last[case] = max(last.get(case, e.t), e.t)
        out.append(e)
    return [e._replace(t=last[e.case_id]) if e.name == "case_closed" and last.get(e.case_id, e.t) > e.t else e
            for e in out]


def _numbering(columns) -> dict:
    """Pseudonyms -> whole numbers, in order of first appearance (never of the pseudonyms themselves)."""
    out: dict = {}
    for col in columns:
        for v in col:
            if v is not None and v not in out:
                out[v] = len(out) + 1
    return out


def _contact_of_referral(contacts: pd.DataFrame, ref: pd.DataFrame) -> dict:
    """Each referral's contact: the child's latest contact decided as a referral on or before its date."""
    c = contacts[contacts["outcome"] == "referral"][["cont_person_id", "cont_contact_date"]].copy()
    c["key"] = c["cont_contact_date"].dt.normalize()
    c["row"] = c.index
    r = ref[["cine_referral_id", "cine_person_id", "cine_referral_date"]].rename(columns={"cine_person_id": "cont_person_id"})
    r = r.assign(key=r["cine_referral_date"].dt.normalize()).sort_values("key")
    m = pd.merge_asof(r, c.sort_values("key"), on="key", by="cont_person_id", direction="backward")
    m = m.dropna(subset=["row"]).drop_duplicates("row", keep="first")
    return dict(zip(m["row"].astype(int), m["cine_referral_id"]))


def _held_from_the_start(t: dict, ref: pd.DataFrame) -> set:
    """Referrals the records hold only from a plan: no assessment, and a plan from the referral's
    day.  Their referral and assessment came before the records begin (or elsewhere): like the
    model's opening stock, they start at their plan, not in the queue for allocation."""
    assessed = set(t["ssd_cin_assessments"]["cina_referral_id"])
    starts = pd.concat([t[n][[r, s]].set_axis(["referral", "start"], axis=1)
                        for n, _, r, _p, s, _e in ssd.PLAN_TABLES.values()]).dropna()
    first = starts.groupby("referral")["start"].min()
    day = ref.set_index("cine_referral_id")["cine_referral_date"].dt.normalize()
    same = first.dt.normalize() <= first.index.map(day)
    return {rid for rid in first.index[same] if rid not in assessed}


def _casework(events: list, t: dict, case_of: dict, person: dict, clock, held: set) -> None:
    """Assessments, conferences and plans, in the model's events."""
    plans = []
    for plan, (table, _, rid, pid, start, end) in ssd.PLAN_TABLES.items():
        f = t[table]
        plans.append(pd.DataFrame({"referral": f[rid].to_numpy(), "person": f[pid].to_numpy(), "plan": plan,
                                   "start": clock(f[start]), "end": clock(f[end]), "line": f["_line"].to_numpy()}))
    plans = pd.concat(plans, ignore_index=True)
    plans = plans[plans["referral"].isin(case_of)]
    plans = plans.assign(case=plans["referral"].map(case_of)).sort_values(["case", "start", "line"], kind="stable")
    first_plan = plans.drop_duplicates("referral").set_index("referral")["plan"]
    conf = t["ssd_initial_cp_conference"]
    conf_of = dict(zip(conf["icpc_referral_id"], zip(clock(conf["icpc_icpc_date"]), conf["icpc_icpc_outcome_cp_flag"])))
    asm = t["ssd_cin_assessments"]
    for rid, pid, done, nfa in zip(asm["cina_referral_id"], asm["cina_person_id"], clock(asm["cina_assessment_auth_date"]),
                                   asm["cina_assessment_outcome_nfa"]):
        if np.isnan(done):
            continue
        outcome = "close" if (nfa is True) else ("cp" if rid in conf_of else first_plan.get(rid, "close"))
        events.append(AssessmentCompleted(done, case_of[rid], "", outcome, person.get(pid)))
    for rid, (when, flag) in conf_of.items():
        if rid in case_of and not np.isnan(when):
            outcome = "cp" if flag is True else ("cin" if first_plan.get(rid) == "cin" else "close")
            events.append(ConferenceHeld(when, case_of[rid], outcome, None))
    rids, kinds, starts, ends, people = (plans[c].tolist() for c in ("referral", "plan", "start", "end", "person"))
    for i, rid in enumerate(rids):
        first = i == 0 or rids[i - 1] != rid
        nxt = kinds[i + 1] if i + 1 < len(rids) and rids[i + 1] == rid else None
        reason = ("opening_stock" if rid in held else "conference" if rid in conf_of else "assessment") if first \
            else ("step_down" if kinds[i] == "cin" else "escalation")
        events.append(PlanStarted(starts[i], case_of[rid], kinds[i], reason, person.get(people[i])))
        if not np.isnan(ends[i]):
            how = "ended" if nxt is None else ("step_down" if nxt == "cin" else "escalation")
            events.append(PlanEnded(ends[i], case_of[rid], kinds[i], how, person.get(people[i])))


def _involvements(events: list, t: dict, case_of: dict, person: dict, teams: dict, clock, workers) -> None:
    """Who held each referral when: an ``allocated`` per involvement, a ``case_reallocated`` where the
    next starts later than the last ended (nobody held the case in between)."""
    invo = t["ssd_involvements"]
    invo = invo[invo["invo_referral_id"].isin(case_of)]
    invo = invo.assign(start=clock(invo["invo_involvement_start_date"]), end=clock(invo["invo_involvement_end_date"]))
    invo = invo.assign(case=invo["invo_referral_id"].map(case_of))  # by case number: never by pseudonym
    invo = invo.sort_values(["case", "start", "_line"], kind="stable")
    rids = invo["invo_referral_id"].tolist()
    starts, ends = invo["start"].tolist(), invo["end"].tolist()
    team_names = invo["invo_professional_team"].tolist()
    codes, pids, people = (invo[c].tolist() for c in ("invo_worker_change_reason", "invo_professional_id",
                                                       "invo_person_id"))
    previous = None
    for i, rid in enumerate(rids):
        if i == 0 or rids[i - 1] != rid:
            previous = None  # the referral's first involvement
        case, child = case_of[rid], person.get(people[i])
        team = teams.get(str(team_names[i]), team_of(team_names[i]))
        if team == "family_help":
            events.append(HeldOutsideSocialWork(starts[i], case, previous, child))
            previous = None
        else:
            code = codes[i] if isinstance(codes[i], str) else "referral"
            previous = workers[pids[i]]
            events.append(Allocated(starts[i], case, previous, team, child, code))
        last = i + 1 == len(rids) or rids[i + 1] != rid
        if (previous is not None and not last and not np.isnan(ends[i]) and starts[i + 1] - ends[i] >= SAME_INSTANT_DAYS
                and teams.get(str(team_names[i + 1]), team_of(team_names[i + 1])) != "family_help"):
            reason = codes[i + 1] if isinstance(codes[i + 1], str) else "LEFTRL"
            events.append(CaseReallocated(ends[i], case, previous, team, child, reason))
            previous = None


class _Workers(dict):
    """A professional's id in the log: a number in order of appearance (the pseudonym goes no further)."""

    def __missing__(self, pseudonym) -> str:
        self[pseudonym] = f"REC-{len(self) + 1:04d}"
        return self[pseudonym]


def _workforce(events: list, t: dict, teams: dict, clock, workers) -> None:
    """Each professional in post: from their first involvement (or the records' first day, if the
    final roster lists them and they held none) to their last if they have left."""
    invo = t["ssd_involvements"]
    spans = invo.groupby("invo_professional_id", sort=False).agg(
        first=("invo_involvement_start_date", "min"), last=("invo_involvement_end_date", "max"),
        open=("invo_involvement_end_date", lambda s: s.isna().any()), team=("invo_professional_team", "last"))
    prof = t["ssd_professionals"].set_index("prof_professional_id")
    first_day = min(c.min() for c in [invo["invo_involvement_start_date"]] if len(c))
    ids = list(dict.fromkeys([*invo["invo_professional_id"], *prof.index]))
    for pid in ids:
        in_roster = pid in prof.index
        team_name = prof.at[pid, "prof_professional_department"] if in_roster else spans.at[pid, "team"]
        team = teams.get(str(team_name), team_of(team_name))
        if team not in ("mash", "assessment", "long_term"):
            continue
        kind = _kind(prof.at[pid, "prof_agency_worker_flag"], prof.at[pid, "prof_professional_job_title"]) \
            if in_roster else "permanent"
        fte = float(prof.at[pid, "prof_full_time_equivalency"]) if in_roster else 1.0
        began = spans.at[pid, "first"] if pid in spans.index else first_day
        when = float(clock([began])[0])
        post = f"REC-P{len(events)}"
        wid = workers[pid]
        events.append(PostOpened(when, post, team, "permanent", "establishment"))
        events.append(WorkerStarted(when, wid, team, kind, fte, 0 if team == "mash" else 1, post, 0.0))
        if not in_roster and pid in spans.index and not spans.at[pid, "open"] and pd.notna(spans.at[pid, "last"]):
            events.append(WorkerLeft(float(clock([spans.at[pid, "last"]])[0]), wid, "resigned"))

