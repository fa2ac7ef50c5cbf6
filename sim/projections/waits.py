"""Waits: contact to MASH decision, threshold to seen, referral to assessment completion."""
from __future__ import annotations

import pandas as pd

from ..calendar import WorkingCalendar
from .frame import of

KEYS = ["replication", "case_id"]


def mash_decision_times(df: pd.DataFrame, cal: WorkingCalendar) -> pd.DataFrame:
    """One row per decided contact: received, decided, working days between, outcome."""
    rec = of(df, "contact_received", ["priority"]).rename(columns={"t": "received"})
    dec = of(df, "mash_decided", ["outcome"]).rename(columns={"t": "decided"})
    out = dec.merge(rec, on=KEYS, how="left")
    # Whole working days between the dates, as the DfE counts them (decided the same day: 0).
    out["working_days"] = cal.whole_working_days_between(out["received"].to_numpy(), out["decided"].to_numpy())
    return out


def threshold_to_seen(df: pd.DataFrame) -> pd.DataFrame:
    """One row per child seen after a referral: contact, referral and seen times, wait in days.

    The wait runs from the contact (the point from which Ofsted's "up to six weeks to be
    seen" was counted: children who met threshold but waited in the MASH and for allocation)
    to the first visit.  ``referral_to_seen`` is the part after the threshold decision.
    """
    seen = of(df, "seen").rename(columns={"t": "seen"})
    rec = of(df, "contact_received").rename(columns={"t": "received"})
    ref = of(df, "referral_accepted", ["priority", "s47"]).rename(columns={"t": "referred"})
    out = seen.merge(rec, on=KEYS, how="left").merge(ref, on=KEYS, how="left")
    out["wait_days"] = out["seen"] - out["received"]
    out["referral_to_seen"] = out["seen"] - out["referred"]
    # Children whose referral came before the simulation started (the opening stock) have no
    # contact in the log, so no wait: they are left out.
    return out[out["received"].notna()]


def assessment_times(df: pd.DataFrame, cal: WorkingCalendar) -> pd.DataFrame:
    """One row per completed assessment: referral and completion times, whole working days
    between their dates (the DfE's count; a same-day assessment is 0), outcome."""
    done = of(df, "assessment_completed", ["outcome"]).rename(columns={"t": "completed"})
    ref = df.loc[(df["event"] == "referral_accepted") & (df["reason"] != "opening_stock"),
                 ["replication", "case_id", "t"]].rename(columns={"t": "referred"})
    if "at" in df and (df["event"] == "referral_before_start").any():  # the records date an open case's referral
        before = df.loc[(df["event"] == "referral_before_start") & df["case_id"].notna(), ["replication", "case_id", "at"]]
        ref = pd.concat([ref, before.rename(columns={"at": "referred"})], ignore_index=True)
    # An assessment under way at a steady-state start has no referral date in the log: left out.
    out = done.merge(ref, on=KEYS, how="inner")
    out["working_days"] = cal.whole_working_days_between(out["referred"].to_numpy(), out["completed"].to_numpy())
    return out
