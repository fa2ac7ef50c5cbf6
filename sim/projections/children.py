"""Children across their cases: re-referrals, repeat CP plans, changes of social worker.

A child (``child_id``) can have many cases over time; these projections follow the child, as
the DfE's figures do.  Logs written before ``child_id`` existed (or hand-built ones without it)
fall back to one child per case.
"""
from __future__ import annotations

import pandas as pd

from .frame import event_rows, once_per_log

REREFERRAL_DAYS = 365.0   # the DfE: "a referral within 12 months of a previous referral"
CHANGE_REASONS = ("TSPROC", "MANAGE", "LEFTRL", "ABSENC", "ORGRST")  # why a child's worker changed
CHILD_KEYS = ["replication", "child"]


def with_child(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``child`` column: ``child_id``, or minus the case id where it is missing."""
    child = frame["child_id"] if "child_id" in frame else pd.Series(pd.NA, index=frame.index)
    fallback = -frame["case_id"] if "case_id" in frame else pd.Series(pd.NA, index=frame.index)
    return frame.assign(child=child.fillna(fallback).astype("int64"))


@once_per_log
def referral_history(df: pd.DataFrame) -> pd.DataFrame:
    """One row per referral made in the run (``referral_accepted``, an assessment under way at the
    start left out): replication, case_id, child, t, and ``rereferral`` (the child had an earlier
    referral at most 365 days before: in the warm-up, an assessment under way at the start, or a
    ``referral_before_start`` from the council's records, at its own date)."""
    cols = ["replication", "case_id", "child_id", "t", "seq", "reason"]
    ref = with_child(df.loc[df["event"] == "referral_accepted", cols])
    if "at" in df and (df["event"] == "referral_before_start").any():
        before = with_child(df.loc[df["event"] == "referral_before_start", ["replication", "child_id", "at", "seq"]]
                            .rename(columns={"at": "t"}).assign(case_id=pd.NA, reason="before_start"))
        # The records date an open case's referral: its opening-stock row at the first instant is not history.
        dated = pd.MultiIndex.from_frame(before[CHILD_KEYS])
        stock = (ref["reason"] == "opening_stock") & pd.MultiIndex.from_frame(ref[CHILD_KEYS]).isin(dated)
        ref = pd.concat([ref[~stock], before[ref.columns]], ignore_index=True)
    ref = ref.sort_values(["replication", "child", "t", "seq"])
    previous = ref.groupby(CHILD_KEYS)["t"].shift(1)
    ref = ref.assign(rereferral=(ref["t"] - previous) <= REREFERRAL_DAYS)
    made = ref["reason"].isin(["opening_stock", "before_start"])
    return ref[~made].drop(columns=["reason"])


@once_per_log
def cp_plan_starts(df: pd.DataFrame) -> pd.DataFrame:
    """One row per CP plan started (the opening stock left out): replication, case_id, child, t,
    and ``subsequent`` (the child had an earlier CP plan: an earlier ``plan_started`` cp, the
    opening stock included, or a ``plan_before_start`` cp from before the simulation began)."""
    cp = df.loc[event_rows(df, "plan_started", "plan_before_start") & (df["plan"] == "cp").to_numpy(),
                ["replication", "case_id", "child_id", "t", "seq", "reason", "event"]]
    cp = with_child(cp.assign(case_id=cp["case_id"].fillna(0))).sort_values(["replication", "seq"])
    nth = cp.groupby(CHILD_KEYS).cumcount()
    cp = cp.assign(subsequent=nth > 0)
    started = cp[(cp["event"] == "plan_started") & (cp["reason"] != "opening_stock")]
    return started[["replication", "case_id", "child", "t", "subsequent"]]


@once_per_log
def changes_of_worker(df: pd.DataFrame) -> pd.DataFrame:
    """One row per allocation that changed a child's social worker: every ``allocated`` after the
    child's first (across all their cases) to a worker other than the one before, with its
    ``reason`` (``CHANGE_REASONS``, or ``referral`` when a child who came back is allocated a new
    case) and ``first_allocated`` (the child's first allocation)."""
    alloc = with_child(df.loc[df["event"] == "allocated", ["replication", "case_id", "child_id", "t", "seq", "team",
                                                           "worker_id", "reason"]])
    alloc = alloc.sort_values(["replication", "seq"])
    by = alloc.groupby(CHILD_KEYS)
    first = by["t"].transform("min")
    previous = by["worker_id"].shift(1)
    changed = previous.notna() & (alloc["worker_id"] != previous)  # a child back with the same worker: no change
    return alloc.assign(first_allocated=first)[changed]
