"""Levels at an instant (children waiting, open cases, caseloads) from start/end intervals.

A level at time m is the number of intervals with start <= m < end, computed per
replication as (#starts <= m) - (#ends <= m) on sorted arrays.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .frame import of

KEYS = ["replication", "case_id"]


def level_at(intervals: pd.DataFrame, at: np.ndarray, replications, weight: str | None = None) -> np.ndarray:
    """Array [replication x instant] of how many (or how much ``weight``) intervals cover each instant.

    ``intervals`` has columns replication, start, end (end NaN = still open).
    """
    out = np.zeros((len(replications), len(at)))
    groups = dict(tuple(intervals.groupby("replication"))) if len(intervals) else {}
    for r_i, r in enumerate(replications):
        g = groups.get(r)
        if g is None:
            continue
        w = g[weight].to_numpy() if weight else np.ones(len(g))
        start = g["start"].to_numpy()
        end = np.nan_to_num(g["end"].to_numpy(), nan=np.inf)
        s_order = np.argsort(start)
        e_order = np.argsort(end)
        cum_s = np.concatenate([[0.0], np.cumsum(w[s_order])])
        cum_e = np.concatenate([[0.0], np.cumsum(w[e_order])])
        out[r_i] = (cum_s[np.searchsorted(start[s_order], at, side="right")]
                    - cum_e[np.searchsorted(end[e_order], at, side="right")])
    return out


def awaiting_allocation(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a child waited for a social worker: a referral waiting for its
    first (assessment) allocation, or a child whose worker left, waiting to be reallocated."""
    ev = df.loc[df["event"].isin(["referral_accepted", "case_reallocated", "allocated", "case_closed"]),
                ["replication", "case_id", "seq", "t", "event"]].sort_values(["replication", "case_id", "seq"])
    ev["end"] = ev.groupby(KEYS)["t"].shift(-1)
    waiting = ev[ev["event"].isin(["referral_accepted", "case_reallocated"])]
    # A child reallocated while already queued for a long-term worker was waiting for that
    # transfer, not newly waiting: count from the reallocation all the same (no worker holds them).
    out = waiting.rename(columns={"t": "start"})
    return out[["replication", "case_id", "start", "end"]]


def open_cases(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a case was open: referral (or opening stock) to closure."""
    ref = of(df, "referral_accepted")
    stock = df.loc[(df["event"] == "plan_started") & (df["reason"] == "opening_stock"), ["replication", "case_id", "t"]]
    start = pd.concat([ref, stock]).rename(columns={"t": "start"})
    closed = of(df, "case_closed").rename(columns={"t": "end"})
    return start.merge(closed, on=KEYS, how="left")[["replication", "case_id", "start", "end"]]


def held_cases(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a worker held a case: allocation to the next allocation, the
    worker's leaving (reallocation) or closure."""
    alloc = df.loc[df["event"].isin(["allocated", "case_reallocated", "case_closed"]),
                   ["replication", "case_id", "t", "event", "seq"]]
    alloc = alloc.sort_values(["replication", "case_id", "seq"])
    nxt = alloc.groupby(KEYS)["t"].shift(-1)
    held = alloc.assign(end=nxt)
    held = held[held["event"] == "allocated"].rename(columns={"t": "start"})
    return held[["replication", "case_id", "start", "end"]]


def case_holding_fte(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a case-holding worker (cap > 0) was in post, weighted by FTE."""
    started = df.loc[(df["event"] == "worker_started") & (df["cap"] > 0), ["replication", "worker_id", "t", "fte"]]
    left = df.loc[df["event"] == "worker_left", ["replication", "worker_id", "t"]].rename(columns={"t": "end"})
    out = started.rename(columns={"t": "start"}).merge(left, on=["replication", "worker_id"], how="left")
    return out[["replication", "worker_id", "start", "end", "fte"]]


def month_end_levels(df: pd.DataFrame, at: np.ndarray, replications) -> dict[str, np.ndarray]:
    """Children waiting for allocation, open cases and caseload per FTE at each instant in ``at``."""
    fte = level_at(case_holding_fte(df), at, replications, weight="fte")
    held = level_at(held_cases(df), at, replications)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_fte = np.where(fte > 0, held / fte, np.nan)
    return {
        "waiting_for_allocation": level_at(awaiting_allocation(df), at, replications),
        "open_cases": level_at(open_cases(df), at, replications),
        "caseload_per_fte": per_fte,
    }
