"""The service as the council's records find it on a day: open cases, queues and the roster.

``opening_state(extract, on)`` reads, from a read extract (``sim.extracts.reader``), what was
open at the start of day ``on`` (every record dated before it counts, none dated on or after):

- **referrals open** (``ssd_cin_episodes`` not closed by then), each at its stage: waiting for
  allocation (no assessment yet), an assessment under way (allocated and seen or not, with the
  days it has run), or a plan open (CIN, CP or looked after, with the days it has run), held by
  the worker of the involvement open then (an assessment worker, while a plan waits for its
  transfer; a long-term worker; a family practitioner, for a CIN plan held outside social work),
  or by nobody (waiting in a queue: the worker left, or the transfer is pending);
- **contacts at the MASH** (dated before ``on``, not yet decided then);
- **the roster**: social workers in post, by team, kind (agency or not, newly qualified) and FTE,
  each with the cases they hold.

The state holds no identifier: cases and workers are numbered in a fixed order (referral date,
then the extract's line order), never by their pseudonyms, so that the same extract gives the same
run whatever key pseudonymised it.  What it assumed is in ``notes``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import ssd
from .reader import Extract, read_extract

SOURCES = {code: source for source, code in ssd.SOURCE_CODES.items()}
SOCIAL_WORK_TEAMS = ("mash", "assessment", "long_term")


@dataclass(frozen=True)
class OpenWorker:
    team: str         # mash | assessment | long_term
    kind: str         # permanent | agency | asye
    fte: float


@dataclass(frozen=True)
class OpenCase:
    """One open referral on the day.  ``worker`` indexes ``Opening.workers`` (None: nobody holds it,
    or a family practitioner does: ``outside``)."""

    stage: str                    # awaiting_allocation | assessing | in_plan
    referred_days: float          # days since the referral
    s47: bool
    had_cp_before: bool           # a CP plan before the current one (any referral of the child)
    worker: int | None = None
    outside: bool = False         # a CIN plan held by a family practitioner
    seen: bool = False
    assessment_days: float | None = None   # days the assessment has run (stage assessing)
    plan: str | None = None               # cin | cp | lac (stage in_plan)
    plan_days: float | None = None

    @property
    def priority(self) -> str:
        """The records hold no priority: an s47 enquiry is red, any other referral amber."""
        return "red" if self.s47 else "amber"


@dataclass(frozen=True)
class Leaver:
    """A child whose last case had ended by the day (``way_out``, as ``sim.model.flows.EXITS``
    names them), ``left_days`` before it; ``referred_days`` since their last referral (None if
    they never had one in the records).  The model draws whether and when they come back."""

    way_out: str          # no_further_action | early_help | closed | plan_ended | cp_plan_ended
    had_cp: bool
    left_days: float
    referred_days: float | None


@dataclass(frozen=True)
class OpenContact:
    days: float       # since the contact
    source: str
    had_cp: bool = False                 # the child had a CP plan before
    referred_days: float | None = None   # since the child's last referral (None: none in the records)


@dataclass(frozen=True)
class Opening:
    date: dt.date
    workers: tuple[OpenWorker, ...]
    cases: tuple[OpenCase, ...]
    contacts: tuple[OpenContact, ...]
    notes: tuple[str, ...] = ()
    leavers: tuple[Leaver, ...] = ()
    digest: str = ""
    extract_days: tuple[str, str] = ("", "")

    @property
    def mash_from_records(self) -> bool:
        """False when the records list no MASH staff (the service's MASH establishment is used)."""
        return any(w.team == "mash" for w in self.workers)

    def summary(self) -> dict[str, object]:
        """Counts for a manifest and the terminal (no identifier, nothing about any one child)."""
        stages = pd.Series([c.stage if c.stage != "in_plan" else f"plan_{c.plan}" for c in self.cases])
        held = sum(c.worker is not None for c in self.cases)
        return {"date": self.date.isoformat(), "extract_digest": self.digest, "extract_first_day": self.extract_days[0],
                "extract_last_day": self.extract_days[1], "open_cases": len(self.cases),
                "by_stage": {k: int(v) for k, v in stages.value_counts().sort_index().items()},
                "held_by_a_worker": int(held), "outside_social_work": sum(c.outside for c in self.cases),
                "contacts_at_mash": len(self.contacts), "children_who_may_come_back": len(self.leavers),
                "workers": {t: sum(w.team == t for w in self.workers) for t in SOCIAL_WORK_TEAMS},
                "agency_workers": sum(w.kind == "agency" for w in self.workers), "notes": list(self.notes)}


def team_of(name: object) -> str:
    """caseflow's team for a department's id or name (``sim.extracts.ssd.team_of``; an empty name is
    a long-term team's)."""
    return ssd.team_of(name) or "long_term"


def _departments(extract: Extract) -> dict[str, str]:
    """Department id or name -> caseflow team (by the department's name where the table gives one)."""
    dept = extract.table("ssd_department")
    out = {}
    for tid, name in zip(dept["dept_team_id"], dept["dept_team_name"]):
        team = team_of(name)
        if team == "long_term":
            team = team_of(tid)
        out[str(tid)] = out[str(name)] = team
    return out


@dataclass
class _Notes:
    lines: list[str] = field(default_factory=list)

    def add(self, n: int, text: str) -> None:
        if n:
            self.lines.append(text.replace("{n}", f"{n:,}"))


def opening_state(extract: Extract, on: dt.date | None = None) -> Opening:
    """The open cases, MASH contacts and roster at the start of ``on`` (default: the extract's
    date, the day after its last records)."""
    day = pd.Timestamp(on) if on is not None else extract.taken
    notes = _Notes()
    teams = _departments(extract)
    t = extract.tables
    before = lambda s: s.notna() & (s < day)          # noqa: E731 - dated before the day
    open_then = lambda s: s.isna() | (s >= day)       # noqa: E731 - not ended before the day

    # -- the roster --------------------------------------------------------------------------------
    invo = t["ssd_involvements"]
    invo = invo.assign(team=invo["invo_professional_team"].map(lambda x: teams.get(str(x), team_of(x))))
    prof = t["ssd_professionals"].sort_values(ssd_line := "_line", kind="stable")
    prof_team = prof["prof_professional_department"].map(lambda x: teams.get(str(x), team_of(x)))
    spans = invo.groupby("invo_professional_id").agg(first=("invo_involvement_start_date", "min"),
                                                     last=("invo_involvement_end_date", "max"),
                                                     open=("invo_involvement_end_date", lambda s: s.isna().any()),
                                                     team=("team", "last"), line=(ssd_line, "min"))
    at_end = day >= extract.taken
    in_post = []
    for pid, team, agency, title, fte, line in zip(prof["prof_professional_id"], prof_team,
                                                  prof["prof_agency_worker_flag"], prof["prof_professional_job_title"],
                                                  prof["prof_full_time_equivalency"], prof[ssd_line]):
        if team not in SOCIAL_WORK_TEAMS:
            continue
        if not at_end and pid in spans.index and not spans.at[pid, "first"] < day:
            continue  # joined after the day
        in_post.append((line, pid, team, _kind(agency, title), float(fte)))
    if not at_end:  # leavers the final roster no longer lists, who held cases across the day
        gone = spans[~spans.index.isin(prof["prof_professional_id"]) & (spans["first"] < day)
                     & ~(spans["last"] < day) & spans["team"].isin(SOCIAL_WORK_TEAMS)]
        notes.add(len(gone), "{n} workers who have left since were in post then (from their involvements): read as "
                             "employed and full time")
        in_post += [(1_000_000 + int(r.line), pid, r.team, "permanent", 1.0) for pid, r in gone.iterrows()]
    in_post.sort(key=lambda w: w[0])
    index = {pid: i for i, (_, pid, *_rest) in enumerate(in_post)}
    workers = tuple(OpenWorker(team, kind, fte) for _, _, team, kind, fte in in_post)

    # -- who held what on the day --------------------------------------------------------------------
    held = invo[before(invo["invo_involvement_start_date"]) & open_then(invo["invo_involvement_end_date"])]
    held = held.sort_values(["invo_involvement_start_date", ssd_line], kind="stable")
    holder_of_referral = held.dropna(subset=["invo_referral_id"]).drop_duplicates("invo_referral_id", keep="last")
    holder_of_referral = holder_of_referral.set_index("invo_referral_id")[["invo_professional_id", "team"]]
    holder_of_person = held.drop_duplicates("invo_person_id", keep="last").set_index("invo_person_id")[
        ["invo_professional_id", "team"]]

    # -- referrals open on the day ------------------------------------------------------------------
    ref = t["ssd_cin_episodes"]
    ref = ref[before(ref["cine_referral_date"]) & open_then(ref["cine_close_date"])]
    ref = ref.sort_values(["cine_referral_date", ssd_line], kind="stable")
    plans = _open_plans(t, day)
    cp_started = t["ssd_cp_plans"][before(t["ssd_cp_plans"]["cppl_cp_plan_start_date"])]
    cp_of: dict = {}   # person -> the CP plans they had started before the day (dicts: one lookup a case)
    for person, plan_id in zip(cp_started["cppl_person_id"], cp_started["cppl_cp_plan_id"]):
        cp_of.setdefault(person, set()).add(plan_id)
    asm = t["ssd_cin_assessments"]
    asm = asm[before(asm["cina_assessment_start_date"])].sort_values("cina_assessment_start_date", kind="stable")
    asm = asm.drop_duplicates("cina_referral_id", keep="last")
    asm_of = {rid: (auth, seen, start) for rid, auth, seen, start in zip(
        asm["cina_referral_id"], asm["cina_assessment_auth_date"], asm["cina_assessment_child_seen"],
        asm["cina_assessment_start_date"])}
    s47 = set(t["ssd_s47_enquiry"].loc[before(t["ssd_s47_enquiry"]["s47e_s47_start_date"]), "s47e_referral_id"])
    latest = plans.drop_duplicates("referral", keep="last")
    plan_of = {rid: (plan, plan_id, start) for rid, plan, plan_id, start in zip(
        latest["referral"], latest["plan"], latest["plan_id"], latest["start"])}
    by_referral = dict(zip(holder_of_referral.index, zip(holder_of_referral["invo_professional_id"],
                                                         holder_of_referral["team"])))
    by_person = dict(zip(holder_of_person.index, zip(holder_of_person["invo_professional_id"], holder_of_person["team"])))
    cases, gaps, unknown_worker = [], 0, 0
    for rid, pid, referred in zip(ref["cine_referral_id"], ref["cine_person_id"], ref["cine_referral_date"]):
        referred_days = (day - referred).total_seconds() / 86400
        holder = by_referral.get(rid, by_person.get(pid))
        worker, outside = None, False
        if holder is not None:
            if holder[1] == "family_help":
                outside = True
            elif holder[0] in index:
                worker = index[holder[0]]
            else:
                unknown_worker += 1
        enquiry = rid in s47
        cps = cp_of.get(pid, set())
        if rid in plan_of:
            plan, plan_id, start = plan_of[rid]
            earlier_cp = bool(cps - {plan_id}) if plan == "cp" else bool(cps)
            if outside and plan != "cin":
                outside = False  # only a CIN plan is held outside social work
            cases.append(OpenCase("in_plan", referred_days, enquiry, earlier_cp, worker, outside,
                                  plan=plan, plan_days=(day - start).total_seconds() / 86400))
            continue
        earlier_cp = bool(cps)
        if rid in asm_of:
            auth, seen_flag, start = asm_of[rid]
            if pd.notna(auth) and auth < day:
                gaps += 1  # assessed, no plan open, not closed: nothing caseflow can place
                continue
            seen = bool(seen_flag) if pd.notna(seen_flag) else False
            days = (day - start).total_seconds() / 86400
            cases.append(OpenCase("assessing", referred_days, enquiry, earlier_cp, worker, False, seen, days))
            continue
        if worker is not None and workers[worker].team == "assessment":  # allocated, assessment not yet recorded
            cases.append(OpenCase("assessing", referred_days, enquiry, earlier_cp, worker, False, False, 0.0))
            continue
        cases.append(OpenCase("awaiting_allocation", referred_days, enquiry, earlier_cp))
    notes.add(gaps, "{n} referrals open with their assessment authorised but no plan open were left out")
    notes.add(unknown_worker, "{n} open cases were held by a worker not in post (not in ssd_professionals): they "
                              "wait to be reallocated")
    notes.add(int(not at_end), "a case open on an earlier day counts as seen there if the extract says it was seen "
                               "(the SSD holds no date for the visit)")
    if not any(w.team == "mash" for w in workers):
        notes.add(1, "the records list no MASH staff: the service's MASH establishment is used")

    # -- contacts still at the MASH, and children who may come back -----------------------------------
    contacts, at_mash = _undecided_contacts(t, day)
    notes.add(len(contacts), "{n} contacts dated before the day and not decided by it start at the MASH")
    leavers = _leavers(t, day, set(ref["cine_person_id"]) | at_mash)
    return Opening(day.date(), workers, tuple(cases), tuple(contacts), tuple(notes.lines), tuple(leavers),
                   extract.digest, (str(extract.first_day.date()), str(extract.last_day.date())))


LEAVERS_WITHIN_DAYS = 5 * 365   # children who left longer ago are not followed (returns are rarer by then)


def _leavers(t: dict[str, pd.DataFrame], day: pd.Timestamp, open_people: set) -> list[Leaver]:
    """Each child with nothing open on the day: how their last case ended (a referral's closure,
    after a plan or not, or a MASH decision of no further action or early help), how long ago,
    and how long since their last referral.  In the order of their last day, then line."""
    ref = t["ssd_cin_episodes"]
    ref = ref[ref["cine_referral_date"] < day]
    closed = ref[ref["cine_close_date"].notna() & (ref["cine_close_date"] < day)]
    planned = set()
    for table, _, rid, *_rest in ssd.PLAN_TABLES.values():
        planned |= set(t[table][rid].dropna())
    cp = t["ssd_cp_plans"]
    had_cp = set(cp.loc[cp["cppl_cp_plan_start_date"] < day, "cppl_person_id"])
    last_ref = ref.sort_values(["cine_referral_date", "_line"]).drop_duplicates("cine_person_id", keep="last")
    referred = dict(zip(last_ref["cine_person_id"], last_ref["cine_referral_date"]))
    ends = closed.sort_values(["cine_close_date", "_line"]).drop_duplicates("cine_person_id", keep="last")
    rows = {pid: (end, line, ("plan_ended" if rid in planned else "closed"))
            for pid, end, line, rid in zip(ends["cine_person_id"], ends["cine_close_date"], ends["_line"],
                                           ends["cine_referral_id"])}
    c = t["ssd_contacts"]
    c = c[(c["cont_contact_date"] < day) & c["outcome"].isin(["no_further_action", "early_help"])]
    c = c.sort_values(["cont_contact_date", "_line"]).drop_duplicates("cont_person_id", keep="last")
    for pid, when, line, outcome in zip(c["cont_person_id"], c["cont_contact_date"], c["_line"], c["outcome"]):
        if pid not in rows or when > rows[pid][0]:
            rows[pid] = (when.normalize(), 1_000_000 + int(line), outcome)
    out = []
    for pid, (end, line, way) in sorted(rows.items(), key=lambda kv: (kv[1][0], kv[1][1])):
        left = (day - end).total_seconds() / 86400
        if pid in open_people or left > LEAVERS_WITHIN_DAYS:
            continue
        cp_before = pid in had_cp
        if way == "plan_ended" and cp_before:
            way = "cp_plan_ended"
        r = referred.get(pid)
        out.append(Leaver(way, cp_before, left, None if r is None else (day - r).total_seconds() / 86400))
    return out


_kind = ssd.kind_of


def _open_plans(t: dict[str, pd.DataFrame], day: pd.Timestamp) -> pd.DataFrame:
    """Plans open at the start of ``day``: referral, person, plan, plan id, start (latest last)."""
    parts = []
    for plan, (table, pid, rid, person, start, end) in ssd.PLAN_TABLES.items():
        f = t[table]
        f = f[f[start].notna() & (f[start] < day) & (f[end].isna() | (f[end] >= day))]
        parts.append(pd.DataFrame({"referral": f[rid].to_numpy(), "person": f[person].to_numpy(), "plan": plan,
                                   "plan_id": f[pid].to_numpy(), "start": f[start].to_numpy(), "line": f["_line"]}))
    plans = pd.concat(parts, ignore_index=True)
    if plans["referral"].isna().any():  # a looked-after episode with no referral: the child's open referral
        ref = t["ssd_cin_episodes"]
        open_ref = ref[(ref["cine_referral_date"] < day) & (ref["cine_close_date"].isna() | (ref["cine_close_date"] >= day))]
        latest = open_ref.sort_values("cine_referral_date").drop_duplicates("cine_person_id", keep="last")
        by_person = latest.set_index("cine_person_id")["cine_referral_id"]
        plans.loc[plans["referral"].isna(), "referral"] = plans.loc[plans["referral"].isna(), "person"].map(by_person)
    return plans.sort_values(["start", "line"], kind="stable")


def _undecided_contacts(t: dict[str, pd.DataFrame], day: pd.Timestamp) -> tuple[list[OpenContact], set]:
    """Contacts dated before ``day`` whose decision came on or after it (or not at all yet).  The
    SSD holds no MASH decision date: a referral's is its referral date (the child's first referral
    on or after the contact), early help's the episode's start, no further action's the contact's day."""
    c = t["ssd_contacts"]
    c = c[c["cont_contact_date"] < day].sort_values(["cont_contact_date", "_line"], kind="stable")
    undecided = c["outcome"].isna().to_numpy().copy()
    for outcome, table, person, start in (("referral", "ssd_cin_episodes", "cine_person_id", "cine_referral_date"),
                                          ("early_help", "ssd_early_help_episodes", "earl_person_id",
                                           "earl_episode_start_date")):
        rows = (c["outcome"] == outcome).to_numpy()
        if not rows.any():
            continue
        sub = c.loc[rows, ["cont_person_id", "cont_contact_date"]].copy()
        sub["key"] = sub["cont_contact_date"].dt.normalize()
        sub["row"] = np.flatnonzero(rows)
        right = t[table][[person, start]].dropna().rename(columns={person: "cont_person_id", start: "decided"})
        right["rkey"] = right["decided"].dt.normalize()
        m = pd.merge_asof(sub.sort_values("key"), right.sort_values("rkey"), left_on="key", right_on="rkey",
                          by="cont_person_id", direction="forward")
        undecided[m["row"].to_numpy()] = (m["decided"].isna() | (m["decided"] >= day)).to_numpy()
    open_c = c[undecided]
    ref = t["ssd_cin_episodes"]
    ref = ref[ref["cine_referral_date"] < day].sort_values(["cine_referral_date", "_line"], kind="stable")
    last_referral = dict(zip(ref["cine_person_id"], ref["cine_referral_date"]))   # the latest wins
    cp = t["ssd_cp_plans"]
    had_cp = set(cp.loc[cp["cppl_cp_plan_start_date"] < day, "cppl_person_id"])
    out = []
    for d, s, pid in zip(open_c["cont_contact_date"], open_c["cont_contact_source_code"], open_c["cont_person_id"]):
        r = last_referral.get(pid)
        out.append(OpenContact((day - d).total_seconds() / 86400, SOURCES.get(str(s), "other"), pid in had_cp,
                               None if r is None else (day - r).total_seconds() / 86400))
    return out, set(open_c["cont_person_id"])


@lru_cache(maxsize=4)
def _cached(folder: str, on: str | None, stamp: tuple) -> Opening:
    return opening_state(read_extract(folder), dt.date.fromisoformat(on) if on else None)


def opening_for(folder: str | Path, on: str | dt.date | None = None) -> Opening:
    """``opening_state`` of the extract in ``folder``, read once per process (and again if its files change)."""
    path = Path(folder).resolve()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(path.glob("*.csv"))) \
        if path.is_dir() else ()
    return _cached(str(path), on.isoformat() if isinstance(on, dt.date) else on, stamp)


TAIL_DRAWS = 50   # fewer draws than this longer than the time elapsed: the tail is extrapolated


def residual_draws(pool: np.ndarray, elapsed: float, rng) -> float:
    """Time still to run of a stage that has run ``elapsed``: a draw from the stage's length given
    it is longer than ``elapsed``, less ``elapsed`` (an exponential tail past the pool's longest)."""
    longer = pool[pool > elapsed]
    if len(longer) < TAIL_DRAWS:
        # Longer than nearly every draw: beyond the pool, the tail is taken as memoryless, with the
        # mean excess of the pool's longest draws over their shortest (never ending at once).
        top = np.sort(pool)[-TAIL_DRAWS:]
        return float(rng.exponential(max(top.mean() - top[0], 1.0)))
    return float(longer[int(rng.integers(len(longer)))] - elapsed)
