"""A run's event log as Standard Safeguarding Dataset tables: what the council's own extract
of the simulated service would hold on the day the log ends.

``ssd_tables(df, start_date)`` turns one replication's log (``sim.projections.events_frame``) into
clean SSD tables, one DataFrame per table, in ``sim.extracts.ssd``'s columns.  It is a projection
of the log like any other (nothing is simulated here): a contact is a ``contact_received``, a
referral a ``referral_accepted``, an involvement the time between an ``allocated`` and what ends
it.  ``sim.extracts.synthetic`` adds the mess of real extracts and writes the files.

What the SSD does not hold, the export leaves out, as a council's extract would: priorities, the
MASH's decision times (a referral's date is the decision's), consent waits, posts and vacancies.
``ssd_professionals`` lists the staff in post on the last day (leavers appear only in the
involvements they held), and a family practitioner holding a CIN plan outside the social work
teams is one professional of team ``FAMHELP``.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd

from . import ssd

FAMILY_PRACTITIONER = "FP-001"
EARLY_HELP_MEAN_DAYS = 120.0  # the export's early help episodes: exponential lengths (not modelled)


class Identifiers:
    """The export's identifiers: fictional tokens (a letter and nine characters) that look like
    nothing the model writes, keyed by ``seed``, so that a test can search a run's outputs for
    every one of them without matching a number by chance."""

    def __init__(self, seed: int):
        self.key = hashlib.blake2b(str(seed).encode(), digest_size=16).digest()

    def __call__(self, prefix: str, values) -> np.ndarray:
        key = self.key
        out = []
        for v in values:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                out.append(None)
                continue
            text = str(int(v)) if isinstance(v, (int, float, np.integer, np.floating)) else str(v)
            digest = hashlib.blake2b(f"{prefix}:{text}".encode(), key=key, digest_size=10).digest()
            out.append(prefix + base64.b32encode(digest).decode()[:9])
        return np.array(out, dtype=object)


def _dates(start: dt.date, t) -> pd.Series:
    """Clock times as calendar timestamps (the day's start plus the time of day)."""
    base = pd.Timestamp(start)
    return base + pd.to_timedelta(np.asarray(t, float), unit="D")


def _day(start: dt.date, t) -> pd.Series:
    return _dates(start, t).normalize()


def ssd_tables(df: pd.DataFrame, start_date: dt.date, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The SSD tables of one replication's log (every event in it), keyed by table name.

    ``seed`` draws what the log does not hold but the tables need: dates of birth and early
    help episodes' lengths (both fictional)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x55D]))
    ev = df.sort_values("seq", kind="stable") if "seq" in df else df
    ev = ev.assign(event=ev["event"].astype(str))
    last_t = float(ev["t"].max()) if len(ev) else 0.0
    at = {name: grp for name, grp in ev.groupby("event", sort=False)}
    empty = ev.iloc[0:0]

    def rows(name: str) -> pd.DataFrame:
        return at.get(name, empty)

    ids = Identifiers(seed)

    def person(child) -> np.ndarray:
        return ids("P", child)

    def _ref(case_ids) -> np.ndarray:  # one case of the model is one referral
        return ids("R", case_ids)

    tables: dict[str, pd.DataFrame] = {}
    # -- people ---------------------------------------------------------------------------------
    cases = ev[ev["case_id"].notna() & ev["child_id"].notna()]
    first_seen = cases.groupby("child_id")["t"].min().sort_index()
    age_days = rng.uniform(0, 17.9 * 365.25, len(first_seen))
    dob = (_day(start_date, first_seen.to_numpy()) - pd.to_timedelta(np.floor(age_days), unit="D"))
    tables["ssd_person"] = pd.DataFrame({"pers_person_id": person(first_seen.index), "pers_dob": dob,
                                         "pers_common_child_id": ids("U", first_seen.index)})
    # -- contacts and the MASH's decisions --------------------------------------------------------
    contacts = rows("contact_received")
    decided = rows("mash_decided").set_index("case_id")["outcome"]
    referred = rows("referral_accepted")
    # A plan open when the run began has no referral in the log: its referral is dated the plan's
    # start (the record of a case the extract holds from before its first day).
    opening = rows("plan_started")
    opening = opening[(opening["reason"] == "opening_stock") & ~opening["case_id"].isin(referred["case_id"])]
    referred = pd.concat([referred, opening.assign(s47=False)]).sort_values("seq", kind="stable")
    s47 = referred.set_index("case_id")["s47"]
    outcome = contacts["case_id"].map(decided)
    enquiry = contacts["case_id"].map(s47).fillna(False).astype(bool)

    def outcome_json(o, e) -> str | None:
        if not isinstance(o, str):
            return None  # still at the MASH on the last day
        return json.dumps({"NEW_REFERRAL_FLAG": "Y" if o == "referral" else "N",
                           "NFA_FLAG": "Y" if o == "no_further_action" else "N",
                           "EARLY_HELP_FLAG": "Y" if o == "early_help" else "N",
                           "CP_ENQUIRY_FLAG": "Y" if (o == "referral" and e) else "N"})

    tables["ssd_contacts"] = pd.DataFrame({
        "cont_contact_id": ids("C", contacts["case_id"]),
        "cont_person_id": person(contacts["child_id"]),
        "cont_contact_date": _dates(start_date, contacts["t"]),
        "cont_contact_source_code": contacts["source"].map(ssd.SOURCE_CODES).to_numpy(),
        "cont_contact_outcome_json": [outcome_json(o, e) for o, e in zip(outcome, enquiry)],
    })
    eh = rows("mash_decided")
    eh = eh[eh["outcome"] == "early_help"]
    eh_end = eh["t"].to_numpy() + rng.exponential(EARLY_HELP_MEAN_DAYS, len(eh))
    tables["ssd_early_help_episodes"] = pd.DataFrame({
        "earl_episode_id": ids("E", eh["case_id"]),
        "earl_person_id": person(eh["child_id"]),
        "earl_episode_start_date": _day(start_date, eh["t"]),
        "earl_episode_end_date": pd.Series(_day(start_date, eh_end)).where(eh_end <= last_t),
    })
    # -- referrals, assessments, s47 enquiries and conferences ----------------------------------------
    closed = rows("case_closed").drop_duplicates("case_id").set_index("case_id")
    alloc = rows("allocated")
    first_alloc = alloc.drop_duplicates("case_id").set_index("case_id")
    asm_alloc = alloc[alloc["team"] == "assessment"].drop_duplicates("case_id").set_index("case_id")
    done = rows("assessment_completed").drop_duplicates("case_id").set_index("case_id")
    seen = set(rows("seen")["case_id"].tolist())
    rid = referred["case_id"].astype("int64")
    close_reason = closed["reason"].map({"assessment": ssd.CLOSE_AFTER_ASSESSMENT,
                                         "conference": ssd.CLOSE_AFTER_ASSESSMENT,
                                         "plan_ended": ssd.CLOSE_SERVICES_CEASED})
    tables["ssd_cin_episodes"] = pd.DataFrame({
        "cine_referral_id": _ref(rid),
        "cine_person_id": person(referred["child_id"]),
        "cine_referral_date": _dates(start_date, referred["t"]),
        "cine_referral_nfa": "N",
        "cine_close_date": _day(start_date, rid.map(closed["t"])),
        "cine_close_reason": rid.map(close_reason).to_numpy(),
        "cine_referral_team": rid.map(first_alloc["team"]).map(ssd.TEAM_IDS).to_numpy(),
        "cine_referral_worker_id": ids("W", rid.map(first_alloc["worker_id"])),
    })
    assessed = referred[referred["case_id"].isin(asm_alloc.index)]
    aid = assessed["case_id"].astype("int64")
    tables["ssd_cin_assessments"] = pd.DataFrame({
        "cina_assessment_id": ids("A", aid),
        "cina_person_id": person(assessed["child_id"]),
        "cina_referral_id": _ref(aid),
        "cina_assessment_start_date": _day(start_date, aid.map(asm_alloc["t"])),
        "cina_assessment_child_seen": np.where(aid.isin(seen), "Y", "N"),
        "cina_assessment_auth_date": _day(start_date, aid.map(done["t"])),
        "cina_assessment_outcome_nfa": np.where(aid.map(done["outcome"]).isna(), None,
                                                np.where(aid.map(done["outcome"]) == "close", "Y", "N")),
        "cina_assessment_team": ssd.TEAM_IDS["assessment"],
        "cina_assessment_worker_id": ids("W", aid.map(done["worker_id"]).fillna(aid.map(asm_alloc["worker_id"]))),
    })
    enq = referred[referred["s47"].fillna(False).astype(bool)]
    eid = enq["case_id"].astype("int64")
    tables["ssd_s47_enquiry"] = pd.DataFrame({
        "s47e_s47_enquiry_id": ids("S", eid),
        "s47e_referral_id": _ref(eid),
        "s47e_person_id": person(enq["child_id"]),
        "s47e_s47_start_date": _day(start_date, enq["t"]),
        "s47e_s47_end_date": _day(start_date, eid.map(done["t"])),
        "s47e_s47_nfa": np.where(eid.map(done["outcome"]).isna(), None,
                                 np.where(eid.map(done["outcome"]) == "cp", "N", "Y")),
    })
    # -- plans ------------------------------------------------------------------------------------
    plans = _plan_spells(rows("plan_started"), rows("plan_ended"), rows("case_closed"))
    conf = rows("conference_held")
    first_cp = plans[plans["plan"] == "cp"].drop_duplicates("case_id").set_index("case_id")["plan_id"]
    cid = conf["case_id"].astype("int64")
    tables["ssd_initial_cp_conference"] = pd.DataFrame({
        "icpc_icpc_id": ids("K", cid),
        "icpc_s47_enquiry_id": ids("S", cid),
        "icpc_person_id": person(conf["child_id"]),
        "icpc_referral_id": _ref(cid),
        "icpc_icpc_date": _day(start_date, conf["t"]),
        "icpc_icpc_outcome_cp_flag": np.where(conf["outcome"] == "cp", "Y", "N"),
        "icpc_cp_plan_id": np.where(conf["outcome"] == "cp", ids("Q", cid.map(first_cp)), None),
    })
    for plan, table, prefix in (("cin", "ssd_cin_plans", "cinp"), ("cp", "ssd_cp_plans", "cppl")):
        p = plans[plans["plan"] == plan]
        tables[table] = pd.DataFrame({
            f"{prefix}_{plan}_plan_id" if plan == "cin" else "cppl_cp_plan_id": ids("Q", p["plan_id"]),
            f"{prefix}_referral_id": _ref(p["case_id"]),
            f"{prefix}_person_id": person(p["child_id"]),
            f"{prefix}_{plan}_plan_start_date": _day(start_date, p["start"]),
            f"{prefix}_{plan}_plan_end_date": _day(start_date, p["end"]),
        })
    lac = plans[plans["plan"] == "lac"]
    tables["ssd_cla_episodes"] = pd.DataFrame({
        "clae_cla_episode_id": ids("Q", lac["plan_id"]),
        "clae_person_id": person(lac["child_id"]),
        "clae_cla_episode_start_date": _day(start_date, lac["start"]),
        "clae_cla_episode_ceased_date": _day(start_date, lac["end"]),
        "clae_referral_id": _ref(lac["case_id"]),
    })
    # -- who held each case ---------------------------------------------------------------------------
    invo = _involvements(ev)
    tables["ssd_involvements"] = pd.DataFrame({
        "invo_involvements_id": ids("I", range(len(invo))),
        "invo_professional_id": ids("W", invo["worker_id"]),
        "invo_professional_team": invo["team"].map({**ssd.TEAM_IDS, "family_help": ssd.FAMILY_HELP_TEAM}).to_numpy(),
        "invo_person_id": person(invo["child_id"]),
        "invo_involvement_start_date": _dates(start_date, invo["start"]),
        "invo_involvement_end_date": _dates(start_date, invo["end"]),
        "invo_worker_change_reason": invo["reason"].where(invo["reason"].isin(ssd.WORKER_CHANGE_REASONS)).to_numpy(),
        "invo_referral_id": _ref(invo["case_id"]),
    })
    tables["ssd_professionals"] = _professionals(ev, invo, ids)
    tables["ssd_department"] = pd.DataFrame({
        "dept_team_id": [*ssd.TEAM_IDS.values(), ssd.FAMILY_HELP_TEAM],
        "dept_team_name": ["Multi-Agency Safeguarding Hub", "Assessment", "Long-term children in need, "
                           "protection and care", "Family help"],
        "dept_team_parent_id": "CSC",
    })
    return tables


def _plan_spells(started: pd.DataFrame, ended: pd.DataFrame, closed: pd.DataFrame) -> pd.DataFrame:
    """One row per plan: case, child, plan, start and end (NaN while open), in order of start."""
    s = started[["seq", "t", "case_id", "child_id", "plan"]].sort_values("seq", kind="stable")
    e = ended[["seq", "t", "case_id"]].sort_values("seq", kind="stable")
    # A case's k-th plan ends at its k-th plan_ended (plans of a case follow one another).
    s = s.assign(k=s.groupby("case_id").cumcount())
    e = e.assign(k=e.groupby("case_id").cumcount())
    spells = s.merge(e.rename(columns={"t": "end", "seq": "end_seq"}), on=["case_id", "k"], how="left")
    spells = spells.rename(columns={"t": "start"}).sort_values("seq", kind="stable").reset_index(drop=True)
    prefix = spells["plan"].map({"cin": "CINP", "cp": "CPP", "lac": "CLA"})
    spells["plan_id"] = prefix + (spells.index + 1).astype(str)  # tokens are made from these
    return spells


def _involvements(ev: pd.DataFrame) -> pd.DataFrame:
    """Who held each case when: from each ``allocated`` (or a family practitioner's taking the
    CIN plan) to the next change of hands, the worker's letting it go, or the case's closure."""
    moves = ev[ev["event"].isin(["allocated", "case_reallocated", "held_outside_social_work", "case_closed"])]
    moves = moves[["seq", "t", "event", "case_id", "child_id", "worker_id", "team", "reason"]]
    moves = moves.sort_values(["case_id", "seq"], kind="stable").reset_index(drop=True)
    start = moves["event"].isin(["allocated", "held_outside_social_work"]).to_numpy()
    nxt_t = moves["t"].shift(-1).to_numpy()
    same = (moves["case_id"].shift(-1) == moves["case_id"]).to_numpy()
    out = moves[start].copy()
    out["start"] = out["t"]
    out["end"] = np.where(same[start], nxt_t[start], np.nan)
    fp = out["event"] == "held_outside_social_work"
    out.loc[fp, "worker_id"] = FAMILY_PRACTITIONER
    out.loc[fp, "team"] = "family_help"
    out.loc[fp, "reason"] = None
    return out.sort_values("seq", kind="stable").reset_index(drop=True)


JOB_TITLES = {"permanent": "Social Worker", "agency": "Social Worker (agency)",
              "asye": "Newly Qualified Social Worker"}


def _professionals(ev: pd.DataFrame, invo: pd.DataFrame, ids: Identifiers) -> pd.DataFrame:
    """The staff in post on the last day, with their open caseloads (and the family practitioner)."""
    started = ev[ev["event"] == "worker_started"]
    left = set(ev.loc[ev["event"] == "worker_left", "worker_id"].tolist())
    kind_now = ev[ev["event"].isin(["worker_started", "worker_changed"])].drop_duplicates("worker_id", keep="last")
    kind_now = kind_now.set_index("worker_id")["kind"]
    staff = started[~started["worker_id"].isin(left)]
    open_invo = invo[invo["end"].isna()]
    caseload = open_invo.groupby("worker_id").size()
    kinds = staff["worker_id"].map(kind_now)
    out = pd.DataFrame({
        "prof_professional_id": ids("W", staff["worker_id"]),
        "prof_agency_worker_flag": np.where(kinds == "agency", "Y", "N"),
        "prof_professional_job_title": np.where(staff["team"] == "mash", "MASH Social Worker",
                                                kinds.map(JOB_TITLES).to_numpy()),
        "prof_professional_caseload": staff["worker_id"].map(caseload).fillna(0).astype(int).to_numpy(),
        "prof_professional_department": staff["team"].map(ssd.TEAM_IDS).to_numpy(),
        "prof_full_time_equivalency": staff["fte"].to_numpy(),
    })
    fp = pd.DataFrame({"prof_professional_id": ids("W", [FAMILY_PRACTITIONER]), "prof_agency_worker_flag": ["N"],
                       "prof_professional_job_title": ["Family Practitioner"],
                       "prof_professional_caseload": [int(caseload.get(FAMILY_PRACTITIONER, 0))],
                       "prof_professional_department": [ssd.FAMILY_HELP_TEAM], "prof_full_time_equivalency": [1.0]})
    return pd.concat([out, fp], ignore_index=True)
