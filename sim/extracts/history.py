"""A council's history, from its Standard Safeguarding Dataset extract, as the measures a
calibration needs: counts and shares (each with its sample size), and lengths with censoring.

``read_history(extract, before=None)`` takes a read extract (``sim.extracts.reader``) and holds its
tables as at a day: every date normalised to the day, and with ``before=`` everything dated on
or after that day removed (a record that started before it and ended after is open at it), so
that a backtest calibrates on what the council knew then.  The functions below each read one
thing from it, in the model's terms as ``sim.extracts.export`` writes them:

- contacts by month and their working days (``contact_months``), the last 12 months' contacts;
- the MASH's decisions (``mash_outcomes``) and the share of referrals that are s47 enquiries;
- re-referrals: a referral within 365 days of the same child's previous referral (DfE C1);
- assessment outcomes by route (s47 for a child with no CP plan seen before, s47 after a CP
  plan, other), conference outcomes and what follows a plan's end;
- lengths (``Spells``: a length, and whether it ended or is still open at the end, i.e.
  right-censored): assessments (start to authorisation, working days), CIN, CP and looked-after
  plans (calendar days), s47 enquiry to conference (working days), referral to allocation;
- changes of worker by reason, the share of plan changes that move the child to another worker,
  leavers per worker-year, and the staff in post by team and kind.

Records dated on the history's first day are taken as left-truncated: they stand for cases the
extract holds from before it begins (an export dates a plan open at its start on its first
day), whose true start is unknown, so they are never counted as starts or as lengths.

Pure functions of the tables: no SimPy, no Hydra, and nothing depends on the pseudonyms' order.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..inputs.errors import InputError
from . import ssd

YEAR_DAYS = 365
MIN_HISTORY_DAYS = 182          # a shorter history says too little to calibrate anything from
REREFERRAL_DAYS = 365           # DfE C1: a referral within 12 months of the child's previous one
# Teams: the model's, from a department or team name (the export writes MASH, ASSESS, LONGTERM
# and FAMHELP; a council's own names are read by these words, first match wins).
TEAM_WORDS, ASYE_WORDS, team_of = ssd.TEAM_WORDS, ssd.ASYE_WORDS, ssd.team_of  # the reading rules (sim.extracts.ssd)


def teams_of(names: pd.Series) -> pd.Series:
    """``team_of`` for each name (read once per distinct name)."""
    return names.map({v: team_of(v) for v in pd.unique(names.dropna())})


# ------------------------------------------------------------------------------------------ counts
@dataclass(frozen=True)
class Count:
    """``k`` of ``n``: a share with its binomial standard error."""

    k: int
    n: int

    @property
    def p(self) -> float:
        return self.k / self.n if self.n else float("nan")

    @property
    def se(self) -> float:
        return math.sqrt(self.p * (1 - self.p) / self.n) if self.n else float("nan")


@dataclass(frozen=True)
class Shares:
    """Counts of the outcomes of ``n`` decisions (each outcome's share with its binomial error)."""

    counts: dict[str, int]

    @property
    def n(self) -> int:
        return int(sum(self.counts.values()))

    def share(self, key: str) -> float:
        return self.counts.get(key, 0) / self.n if self.n else float("nan")

    def se(self, key: str) -> float:
        p = self.share(key)
        return math.sqrt(p * (1 - p) / self.n) if self.n else float("nan")

    def shares(self) -> dict[str, float]:
        return {k: self.share(k) for k in self.counts}


@dataclass(frozen=True)
class Spells:
    """Lengths, each ended (observed) or still open at the history's end (right-censored), in
    ``unit`` (``days`` or ``working_days``); ``left_out`` counts the left-truncated ones dropped."""

    name: str
    unit: str
    length: np.ndarray
    ended: np.ndarray
    left_out: int = 0

    @property
    def n(self) -> int:
        return int(len(self.length))

    @property
    def events(self) -> int:
        return int(self.ended.sum())

    @property
    def open(self) -> int:
        return self.n - self.events


# ------------------------------------------------------------------------------------------ the history
@dataclass
class History:
    """An extract's tables as at a day: dates normalised to days; nothing dated on or after
    ``last_day + 1`` (the cutoff) held; ends after it open."""

    tables: dict[str, pd.DataFrame]
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    cut: bool                       # True with ``before=``: the history stops before the extract's end
    whole: dict[str, pd.DataFrame]  # the tables to the extract's end (``tables`` itself when not cut)
    weekends_off: bool = True
    bank_holidays: bool = True
    _memo: dict = field(default_factory=dict, repr=False)

    def memo(self, key: str, make):
        """``make()``, computed once per history (the tables a history holds never change)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key].copy()

    @property
    def days(self) -> int:
        """Days the history covers, its first and last included."""
        return int((self.last_day - self.first_day).days) + 1

    @property
    def end(self) -> pd.Timestamp:
        """The day after the last: lengths of what is still open are measured to it."""
        return self.last_day + pd.Timedelta(days=1)

    @cached_property
    def _holidays(self) -> np.ndarray:
        if not self.bank_holidays:
            return np.array([], dtype="datetime64[D]")
        from ..calendar import england_bank_holidays

        days = england_bank_holidays(self.first_day.year - 1, self.last_day.year + 1)
        return np.array(sorted(days), dtype="datetime64[D]")

    def working_days(self, start, end) -> np.ndarray:
        """Working days from each ``start`` day to each ``end`` day (those in [start, end)): a task
        begun at a uniformly random moment of its first day and lasting x working days spans
        floor(u + x) of them, x on average."""
        a = pd.to_datetime(pd.Series(start)).to_numpy().astype("datetime64[D]")
        b = pd.to_datetime(pd.Series(end)).to_numpy().astype("datetime64[D]")
        mask = "1111100" if self.weekends_off else "1111111"
        out = np.busday_count(a, np.maximum(a, b), weekmask=mask, holidays=self._holidays)
        return out.astype(float)

    def working_days_in(self, first: pd.Timestamp, last: pd.Timestamp) -> int:
        """Working days from ``first`` to ``last``, both included."""
        return int(self.working_days([first], [last + pd.Timedelta(days=1)])[0])

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def later(self, dates: pd.Series) -> pd.Series:
        """True for dates after the first day (records that are not left-truncated)."""
        return dates.notna() & (dates > self.first_day)


DATE_KINDS = ("date", "dob")


def read_history(extract, before: str | dt.date | None = None, weekends_off: bool = True,
                 bank_holidays: bool = True) -> History:
    """The extract's history, whole or up to the day before ``before`` (``InputError`` if that
    leaves too little, or is outside the extract)."""
    first, last = pd.Timestamp(extract.first_day).normalize(), pd.Timestamp(extract.last_day).normalize()
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in extract.tables.items():
        t = frame.copy()
        for col in ssd.TABLES[name]:
            if col.kind == "date" and col.name in t:
                t[col.name] = pd.to_datetime(t[col.name]).dt.normalize()
        tables[name] = t
    whole = tables
    cut = False
    if before is not None:
        cutoff = pd.Timestamp(before).normalize()
        if cutoff > last + pd.Timedelta(days=1):
            raise InputError(f"before={cutoff:%Y-%m-%d} is after the extract's last day ({last:%Y-%m-%d}): give a "
                             "day within it, or leave before= out to use the whole history")
        if cutoff <= first + pd.Timedelta(days=MIN_HISTORY_DAYS):
            raise InputError(f"before={cutoff:%Y-%m-%d} leaves less than {MIN_HISTORY_DAYS} days of history (the "
                             f"extract begins {first:%Y-%m-%d}): give a later day")
        if cutoff <= last:
            tables = dict(whole)
            _cut(tables, cutoff)
            last, cut = cutoff - pd.Timedelta(days=1), True
    if (last - first).days + 1 < MIN_HISTORY_DAYS:
        raise InputError(f"The extract covers {(last - first).days + 1} days ({first:%Y-%m-%d} to {last:%Y-%m-%d}), "
                         f"fewer than the {MIN_HISTORY_DAYS} a calibration needs")
    return History(tables, first, last, cut, whole, weekends_off, bank_holidays)


# (table, start column, end column, what else is known only at the end)
_ENDS = {
    "ssd_early_help_episodes": ("earl_episode_start_date", "earl_episode_end_date", ()),
    "ssd_cin_episodes": ("cine_referral_date", "cine_close_date", ("cine_close_reason",)),
    "ssd_cin_assessments": ("cina_assessment_start_date", "cina_assessment_auth_date",
                            ("cina_assessment_outcome_nfa",)),
    "ssd_s47_enquiry": ("s47e_s47_start_date", "s47e_s47_end_date", ("s47e_s47_nfa",)),
    "ssd_cin_plans": ("cinp_cin_plan_start_date", "cinp_cin_plan_end_date", ()),
    "ssd_cp_plans": ("cppl_cp_plan_start_date", "cppl_cp_plan_end_date", ()),
    "ssd_cla_episodes": ("clae_cla_episode_start_date", "clae_cla_episode_ceased_date", ()),
    "ssd_involvements": ("invo_involvement_start_date", "invo_involvement_end_date", ()),
}
_STARTS = {"ssd_contacts": "cont_contact_date", "ssd_initial_cp_conference": "icpc_icpc_date"}


def _cut(tables: dict[str, pd.DataFrame], cutoff: pd.Timestamp) -> None:
    """Drop what starts on or after ``cutoff``; what ends on or after it is open at it."""
    for name, col in _STARTS.items():
        t = tables[name]
        tables[name] = t[t[col] < cutoff].copy()
    for name, (start, end, known_at_end) in _ENDS.items():
        t = tables[name]
        t = t[t[start] < cutoff].copy()
        late = t[end].notna() & (t[end] >= cutoff)
        t.loc[late, end] = pd.NaT
        for col in known_at_end:
            t[col] = t[col].astype(object)
            t.loc[late, col] = None
        tables[name] = t


# ------------------------------------------------------------------------------------------ contacts
def contact_months(h: History) -> pd.DataFrame:
    """Contacts by calendar month part (December split at the 21st, when schools close): one row
    per part lying wholly inside the history, with its contacts and working days.

    Columns: ``start``, ``end`` (inclusive days), ``month`` (1-12), ``late`` (21-31 December),
    ``contacts``, ``working_days``, ``t`` (years from the history's end to the part's middle,
    negative)."""
    dates = h.table("ssd_contacts")["cont_contact_date"]
    rows = []
    month = pd.Timestamp(h.first_day.year, h.first_day.month, 1)
    while month <= h.last_day:
        nxt = month + pd.offsets.MonthBegin(1)
        parts = [(month, nxt - pd.Timedelta(days=1), False)]
        if month.month == 12:
            split = pd.Timestamp(month.year, 12, 21)
            parts = [(month, split - pd.Timedelta(days=1), False), (split, nxt - pd.Timedelta(days=1), True)]
        for a, b, late in parts:
            if a >= h.first_day and b <= h.last_day:
                n = int(((dates >= a) & (dates <= b)).sum())
                wd = h.working_days_in(a, b)
                mid = a + (b - a) / 2
                rows.append({"start": a, "end": b, "month": month.month, "late": late, "contacts": n,
                             "working_days": wd, "t": (mid - h.end).days / 365.25})
        month = nxt
    return pd.DataFrame(rows, columns=["start", "end", "month", "late", "contacts", "working_days", "t"])


def contacts_in_last(h: History, days: int = YEAR_DAYS) -> tuple[int, int]:
    """Contacts in the history's last ``days`` days (or all of it, if shorter), and the days counted."""
    days = min(days, h.days)
    since = h.last_day - pd.Timedelta(days=days - 1)
    dates = h.table("ssd_contacts")["cont_contact_date"]
    return int(((dates >= since) & (dates <= h.last_day)).sum()), days


def contacts_by_year(h: History) -> list[tuple[pd.Timestamp, pd.Timestamp, int]]:
    """Contacts in each whole 365 days counted back from the history's end (latest last)."""
    dates = h.table("ssd_contacts")["cont_contact_date"]
    out = []
    end = h.last_day
    while (end - h.first_day).days + 1 >= YEAR_DAYS:
        start = end - pd.Timedelta(days=YEAR_DAYS - 1)
        out.append((start, end, int(((dates >= start) & (dates <= end)).sum())))
        end = start - pd.Timedelta(days=1)
    return out[::-1]


# ------------------------------------------------------------------------------------------ the MASH
MASH_OUTCOMES = ("referral", "early_help", "no_further_action")


def mash_outcomes(h: History) -> Shares:
    """What the MASH decided about each contact it has decided (contacts still at the MASH are left out)."""
    outcome = h.table("ssd_contacts")["outcome"]
    return Shares({o: int((outcome == o).sum()) for o in MASH_OUTCOMES})


def s47_share(h: History) -> tuple[Count, str]:
    """The share of referrals that are s47 enquiries, and what it was read from: the contacts'
    CP_ENQUIRY_FLAG among those referred; else (no contact flagged) s47 enquiries per referral."""
    c = h.table("ssd_contacts")
    referred = c["outcome"] == "referral"
    if bool(c.loc[referred, "cp_enquiry"].any()):
        return Count(int(c.loc[referred, "cp_enquiry"].sum()), int(referred.sum())), "contacts' CP_ENQUIRY_FLAG"
    ref = h.table("ssd_cin_episodes")
    ref = ref[h.later(ref["cine_referral_date"])]
    enq = h.table("ssd_s47_enquiry")
    k = int(enq["s47e_referral_id"].isin(ref["cine_referral_id"]).sum())
    return Count(min(k, len(ref)), len(ref)), "s47 enquiries per referral"


def referrals(h: History) -> pd.DataFrame:
    """Referrals that start within the history (not left-truncated): id, person, date."""
    ref = h.table("ssd_cin_episodes")
    ref = ref[h.later(ref["cine_referral_date"])]
    return ref[["cine_referral_id", "cine_person_id", "cine_referral_date"]].rename(
        columns={"cine_referral_id": "referral", "cine_person_id": "person", "cine_referral_date": "date"})


def rereferrals(h: History) -> Count:
    """Referrals within 365 days of the same child's previous referral, of the referrals whose
    365 days before lie wholly inside the history (left-truncated records are no anchor)."""
    ref = referrals(h).sort_values(["person", "date"], kind="stable")
    prev = ref.groupby("person")["date"].shift(1)
    gap = (ref["date"] - prev).dt.days
    eligible = ref["date"] >= h.first_day + pd.Timedelta(days=REREFERRAL_DAYS)
    within = gap.notna() & (gap <= REREFERRAL_DAYS)
    return Count(int((within & eligible).sum()), int(eligible.sum()))


# ------------------------------------------------------------------------------------------ plans
PLAN_TABLES = ssd.PLAN_TABLES


def plans(h: History) -> pd.DataFrame:
    """Every plan: ``plan`` (cin, cp, lac), ``id``, ``referral``, ``person``, ``start``, ``end`` (NaT while open)."""
    return h.memo("plans", lambda: _plans(h))


def _plans(h: History) -> pd.DataFrame:
    frames = []
    for plan, (table, pid, rid, person, start, end) in PLAN_TABLES.items():
        t = h.table(table)
        frames.append(pd.DataFrame({"plan": plan, "id": t[pid].to_numpy(), "referral": t[rid].to_numpy(),
                                    "person": t[person].to_numpy(), "start": t[start].to_numpy(),
                                    "end": t[end].to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    out["start"] = pd.to_datetime(out["start"])
    out["end"] = pd.to_datetime(out["end"])
    return out.sort_values(["start", "plan"], kind="stable").reset_index(drop=True)


def plan_spells(h: History, plan: str) -> Spells:
    """Lengths of the plans of one kind that started within the history (calendar days; still
    open: censored at the end; left-truncated ones left out)."""
    p = plans(h)
    p = p[p["plan"] == plan]
    inside = h.later(p["start"])
    p = p[inside]
    end = p["end"].fillna(h.end)
    return Spells(plan, "days", (end - p["start"]).dt.days.to_numpy(float), p["end"].notna().to_numpy(),
                  int((~inside).sum()))


def _next_plan(p: pd.DataFrame) -> pd.Series:
    """For each plan with an end, the plan of the same referral starting the day it ends (or None)."""
    starts = p[["referral", "start", "plan"]].rename(columns={"start": "end", "plan": "next"})
    starts = starts.drop_duplicates(["referral", "end"], keep="last")
    merged = p[["referral", "end"]].reset_index().merge(starts, on=["referral", "end"], how="left")
    return merged.set_index("index")["next"].reindex(p.index)


PLAN_ENDINGS = {"cin": ("close", "cp", "lac"), "cp": ("close", "cin", "lac")}


def plan_endings(h: History) -> dict[str, Shares]:
    """What followed each CIN and CP plan that ended: the case closed, or the referral's next plan
    started the same day (a step-down to CIN, an escalation to CP or care)."""
    p = plans(h)
    ended = p[p["end"].notna() & p["plan"].isin(PLAN_ENDINGS)].copy()
    ended["next"] = _next_plan(p).reindex(ended.index)
    out = {}
    for plan, outcomes in PLAN_ENDINGS.items():
        e = ended[ended["plan"] == plan]
        nxt = e["next"].where(e["next"].isin(outcomes) & (e["next"] != plan), "close").fillna("close")
        out[plan] = Shares({o: int((nxt == o).sum()) for o in outcomes})
    return out


# ------------------------------------------------------------------------------------------ assessments
ASSESSMENT_OUTCOMES = ("close", "cin", "cp", "lac")


def assessments(h: History) -> pd.DataFrame:
    """Every assessment that started within the history: ``referral``, ``person``, ``start``,
    ``end`` (authorised; NaT while open), ``outcome`` (close, cin, cp: to a conference, lac; None
    while open or unknown), ``s47``, ``after_cp`` (the child had a CP plan seen before the
    referral), ``referred`` (the referral's date)."""
    a = h.table("ssd_cin_assessments")
    a = a[h.later(a["cina_assessment_start_date"])]
    ref = h.table("ssd_cin_episodes").set_index("cine_referral_id")["cine_referral_date"]
    enquiries = set(h.table("ssd_s47_enquiry")["s47e_referral_id"])
    conferenced = set(h.table("ssd_initial_cp_conference")["icpc_referral_id"])
    p = plans(h)
    first_plan = p.drop_duplicates("referral").set_index("referral")["plan"]
    out = pd.DataFrame({"referral": a["cina_referral_id"].to_numpy(), "person": a["cina_person_id"].to_numpy(),
                        "start": a["cina_assessment_start_date"].to_numpy(),
                        "end": a["cina_assessment_auth_date"].to_numpy()})
    out["referred"] = out["referral"].map(ref)
    out["s47"] = out["referral"].isin(enquiries)
    nfa = a["cina_assessment_outcome_nfa"].to_numpy(dtype=object)
    outcome = np.full(len(out), None, dtype=object)
    done = out["end"].notna().to_numpy()
    conf = out["referral"].isin(conferenced).to_numpy()
    plan = out["referral"].map(first_plan).to_numpy(dtype=object)
    for i in range(len(out)):
        if not done[i]:
            continue
        if nfa[i] is True or (nfa[i] is not None and nfa[i] is not pd.NA and bool(nfa[i])):
            outcome[i] = "close"
        elif conf[i]:
            outcome[i] = "cp"
        elif plan[i] in ("cin", "lac"):
            outcome[i] = plan[i]
    out["outcome"] = outcome
    cp = p[p["plan"] == "cp"].groupby("person")["start"].min()
    first_cp = out["person"].map(cp)
    out["after_cp"] = first_cp.notna() & (first_cp < out["referred"])
    return out


def outcome_lag_days(h: History) -> int:
    """Days before the end within which started assessments are left out of the outcome shares:
    nearly all (99%) started earlier have been authorised, so that the outcomes seen are not
    those of the quicker ones (an s47 enquiry that goes to conference is authorised at it, sooner)."""
    a = assessments(h)
    done = a[a["end"].notna()]
    if len(done) < 20:
        return 90
    return int(np.clip(np.percentile((done["end"] - done["start"]).dt.days, 99), 30, 180))


def assessment_outcomes(h: History, s47_after_days: int = 0) -> dict[str, Shares]:
    """Outcomes of authorised assessments by route: ``s47`` (no CP plan seen before), ``s47_after_cp``
    and ``other``; assessments started within ``outcome_lag_days`` of the end are left out, and
    s47 ones referred within ``s47_after_days`` of the first day (whose earlier CP plans the
    extract may not hold)."""
    a = assessments(h)
    lag = outcome_lag_days(h)
    a = a[a["outcome"].notna() & (a["start"] <= h.last_day - pd.Timedelta(days=lag))]
    late_enough = a["referred"] >= h.first_day + pd.Timedelta(days=s47_after_days)
    groups = {"s47": a[a["s47"] & ~a["after_cp"] & late_enough], "s47_after_cp": a[a["s47"] & a["after_cp"] & late_enough],
              "other": a[~a["s47"]]}
    return {route: Shares({o: int((g["outcome"] == o).sum()) for o in ASSESSMENT_OUTCOMES})
            for route, g in groups.items()}


def assessment_spells(h: History) -> Spells:
    """Working days from an assessment's start (its first allocation to the assessment team) to its
    authorisation, for those not decided at a conference (whose end is the conference's, from the
    referral: ``conference_spells``); still open: censored at the end."""
    a = assessments(h)
    a = a[a["outcome"] != "cp"]
    end = a["end"].fillna(h.end)
    left = int((~h.later(h.table("ssd_cin_assessments")["cina_assessment_start_date"])).sum())
    return Spells("assessment", "working_days", h.working_days(a["start"], end), a["end"].notna().to_numpy(), left)


def conference_spells(h: History) -> Spells:
    """Working days from an s47 enquiry's start (its strategy discussion, the referral) to its initial
    conference; only enquiries starting long enough before the end that any conference would be
    in the history (a conference's timing is known only once held)."""
    enq = h.table("ssd_s47_enquiry")
    conf = h.table("ssd_initial_cp_conference").drop_duplicates("icpc_referral_id").set_index("icpc_referral_id")
    inside = h.later(enq["s47e_s47_start_date"])
    e = enq[inside & (enq["s47e_s47_start_date"] <= h.last_day - pd.Timedelta(days=60))]
    held = e["s47e_referral_id"].map(conf["icpc_icpc_date"])
    e, held = e[held.notna()], held[held.notna()]
    return Spells("conference", "working_days", h.working_days(e["s47e_s47_start_date"], held),
                  np.ones(len(e), bool), int((~inside).sum()))


def allocation_spells(h: History) -> Spells:
    """Working days from a referral to its first allocation to the assessment team (the manager's
    triage and the wait for a worker with room, together); still waiting: censored."""
    ref = h.table("ssd_cin_episodes")
    ref = ref[h.later(ref["cine_referral_date"])]
    a = h.table("ssd_cin_assessments").set_index("cina_referral_id")["cina_assessment_start_date"]
    start = ref["cine_referral_id"].map(a)
    closed_first = ref["cine_close_date"].notna() & start.isna()  # closed without an assessment: not waiting
    ref, start = ref[~closed_first], start[~closed_first]
    end = start.fillna(h.end)
    return Spells("allocation", "working_days", h.working_days(ref["cine_referral_date"], end),
                  start.notna().to_numpy())


CONFERENCE_OUTCOMES = ("cp", "cin", "close")


def conference_outcomes(h: History) -> Shares:
    """What each initial conference decided: a CP plan, a CIN plan (one starting the same day on the
    referral), or closure."""
    c = h.table("ssd_initial_cp_conference")
    c = c[h.later(c["icpc_icpc_date"])]
    p = plans(h)
    cin_starts = set(zip(p.loc[p["plan"] == "cin", "referral"], p.loc[p["plan"] == "cin", "start"]))
    flag = c["icpc_icpc_outcome_cp_flag"].fillna(False).astype(bool).to_numpy()
    cin = np.array([(r, d) in cin_starts for r, d in zip(c["icpc_referral_id"], c["icpc_icpc_date"])], bool)
    return Shares({"cp": int(flag.sum()), "cin": int((~flag & cin).sum()), "close": int((~flag & ~cin).sum())})


def held_outside(h: History) -> Count:
    """Of the CIN plans that are a referral's first plan (after its assessment or conference), those a
    family practitioner (team FAMHELP) took the day the plan started."""
    p = plans(h)
    first = p.drop_duplicates("referral")
    first = first[(first["plan"] == "cin") & h.later(first["start"])]
    inv = involvements(h)
    fam = set(zip(inv.loc[inv["team"] == "family_help", "referral"], inv.loc[inv["team"] == "family_help", "start"]))
    held = sum((r, d) in fam for r, d in zip(first["referral"], first["start"]))
    return Count(int(held), int(len(first)))


# ------------------------------------------------------------------------------------------ workers
def involvements(h: History) -> pd.DataFrame:
    """Who held each case when: ``worker``, ``team`` (the model's), ``referral``, ``start``, ``end``
    (NaT while held), ``reason`` (why the case came to this worker; None for a first worker)."""
    return h.memo("involvements", lambda: _involvements(h))


def _involvements(h: History) -> pd.DataFrame:
    inv = h.table("ssd_involvements")
    teams = teams_of(inv["invo_professional_team"])
    prof = h.table("ssd_professionals").set_index("prof_professional_id")["prof_professional_department"]
    from_dept = teams_of(inv["invo_professional_id"].map(prof))
    return pd.DataFrame({"worker": inv["invo_professional_id"].to_numpy(),
                         "team": teams.fillna(from_dept).fillna("long_term").to_numpy(),
                         "referral": inv["invo_referral_id"].to_numpy(),
                         "start": inv["invo_involvement_start_date"].to_numpy(),
                         "end": inv["invo_involvement_end_date"].to_numpy(),
                         "reason": inv["invo_worker_change_reason"].to_numpy(dtype=object)})


def _years_held(inv: pd.DataFrame, h: History) -> float:
    """Case-years the involvements cover inside the history."""
    start = pd.to_datetime(inv["start"]).clip(lower=h.first_day)
    end = pd.to_datetime(inv["end"]).fillna(h.end).clip(upper=h.end)
    return float(((end - start).dt.days.clip(lower=0)).sum()) / 365.25


@dataclass(frozen=True)
class WorkerChanges:
    """Changes of worker: new involvements by reason within the history; long-term case-years
    (the exposure for management moves); plan changes held by a long-term worker, and those
    that moved the child to another worker (TSPROC) the day the plan changed."""

    by_reason: dict[str, int]
    manage: int
    long_term_case_years: float
    plan_changes: Count


def worker_changes(h: History) -> WorkerChanges:
    inv = involvements(h)
    inside = inv[h.later(pd.to_datetime(inv["start"]))]
    reasons = inside["reason"].dropna()
    by_reason = {str(k): int(v) for k, v in reasons.value_counts().sort_index().items()}
    lt = inv[inv["team"] == "long_term"]
    manage = int(((inside["reason"] == "MANAGE") & (inside["team"] == "long_term")).sum())
    # Plan changes: a plan ended and the referral's next plan started the same day.
    p = plans(h)
    ended = p[p["end"].notna()].copy()
    ended["next"] = _next_plan(p).reindex(ended.index)
    changes = ended[ended["next"].notna() & h.later(ended["end"])]
    lt_start = pd.to_datetime(lt["start"])
    lt_end = pd.to_datetime(lt["end"])
    by_ref: dict = {}
    for r, s, e, w, why in zip(lt["referral"], lt_start, lt_end, lt["worker"], lt["reason"]):
        by_ref.setdefault(r, []).append((s, e, w, why))
    held = moved = 0
    for r, day in zip(changes["referral"], changes["end"]):
        rows = by_ref.get(r, ())
        before = [w for s, e, w, _ in rows if s < day and (pd.isna(e) or e >= day)]
        if not before:
            continue  # waiting for a long-term worker, or held by a family practitioner
        held += 1
        if any(s == day and why == "TSPROC" and w not in before for s, _, w, why in rows):
            moved += 1
    return WorkerChanges(by_reason, manage, _years_held(lt, h), Count(moved, held))


@dataclass(frozen=True)
class Turnover:
    """Case-holding social workers (assessment and long-term teams): leavers (whose involvements all
    ended and who are not among the staff in post at the extract's end), their worker-years in
    the history, and the kinds of those in post at the end (the SSD holds a leaver's kind nowhere)."""

    leavers: int
    worker_years: float
    workers: int
    in_post: dict[str, int]          # by kind: agency, employed (permanent and newly qualified)


def turnover(h: History) -> Turnover:
    inv = involvements(h)
    inv = inv[inv["team"].isin(("assessment", "long_term"))]
    prof = h.table("ssd_professionals")
    staff = set(prof["prof_professional_id"])
    start = pd.to_datetime(inv["start"]).clip(lower=h.first_day)
    end = pd.to_datetime(inv["end"])
    still = end.isna()
    g = pd.DataFrame({"worker": inv["worker"].to_numpy(), "start": start.to_numpy(),
                      "end": end.fillna(h.end).to_numpy(), "open": still.to_numpy()}).groupby("worker")
    span = g.agg(first=("start", "min"), last=("end", "max"), open=("open", "any"))
    left = ~span["open"] & ~span.index.isin(staff)
    last = span["last"].where(left, h.end)
    years = float(((last - span["first"]).dt.days.clip(lower=0)).sum()) / 365.25
    agency = prof["prof_agency_worker_flag"].fillna(False).astype(bool)
    case_holding = teams_of(prof["prof_professional_department"]).isin(("assessment", "long_term"))
    held = prof[case_holding & prof["prof_professional_id"].isin(span.index[~left])]
    kinds = {"agency": int(agency[held.index].sum()), "employed": int((~agency[held.index]).sum())}
    return Turnover(int(left.sum()), years, int(len(span)), kinds)


def kind_of(row) -> str:
    """permanent, agency or asye (a newly qualified worker, by job title) for a professional."""
    return ssd.kind_of(row["prof_agency_worker_flag"], row.get("prof_professional_job_title"))


def establishment(h: History) -> pd.DataFrame:
    """The staff in post by team, kind and FTE: ``team``, ``kind``, ``fte``, ``count``.

    From ``ssd_professionals`` (staff in post on the extract's last day).  With ``before=``, each
    case-holding team's count is scaled by its workers holding a case at the cutoff over those
    holding one at the end (the SSD lists staff only as at its extraction); the MASH's stays the end's."""
    prof = h.table("ssd_professionals").copy()
    prof["team"] = teams_of(prof["prof_professional_department"])
    prof = prof[prof["team"].isin(("mash", "assessment", "long_term"))]
    prof["kind"] = [kind_of(r) for _, r in prof.iterrows()]
    prof["fte"] = prof["prof_full_time_equivalency"].fillna(1.0).round(2)
    out = prof.groupby(["team", "kind", "fte"]).size().rename("count").reset_index()
    out["count"] = out["count"].astype(float)
    if h.cut:
        inv = h.table("ssd_involvements")
        team = teams_of(inv["invo_professional_team"])
        whole = h.whole["ssd_involvements"]
        team_end = teams_of(whole["invo_professional_team"])
        for t in ("assessment", "long_term"):
            then = inv.loc[(team == t) & inv["invo_involvement_end_date"].isna(), "invo_professional_id"].nunique()
            now = whole.loc[(team_end == t) & whole["invo_involvement_end_date"].isna(), "invo_professional_id"].nunique()
            if now > 0 and then > 0:
                out.loc[out["team"] == t, "count"] *= then / now
    return out


# ------------------------------------------------------------------------------------------ survival
def kaplan_meier(length: np.ndarray, ended: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Kaplan-Meier survival curve: the distinct ended lengths, S just after each, and
    Greenwood's variance of S there."""
    length = np.asarray(length, float)
    ended = np.asarray(ended, bool)
    times = np.unique(length[ended])
    if not len(times):
        return times, np.array([]), np.array([])
    order = np.sort(length)
    at_risk = len(length) - np.searchsorted(order, times, side="left")
    deaths = np.array([np.count_nonzero(ended & (length == t)) for t in times]) if len(times) < 50 else \
        np.bincount(np.searchsorted(times, length[ended]), minlength=len(times))
    frac = 1 - deaths / at_risk
    surv = np.cumprod(frac)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0)
    var = surv ** 2 * np.cumsum(terms)
    return times, surv, var
