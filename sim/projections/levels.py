"""Levels at an instant (children waiting, open cases, caseloads) from start/end intervals.

A level at time m is the number of intervals with start <= m < end, computed per
replication as (#starts <= m) - (#ends <= m) on sorted arrays.  Its time average over a
period is exact too: the integral of the step function over the period (``level_integral``)
divided by the period's length.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .frame import event_codes, event_rows, group_bfill, group_shift, of, once_per_log

KEYS = ["replication", "case_id"]


def _by_replication(intervals: pd.DataFrame, replications):
    """(row, that replication's intervals) for each replication, in order, that has any."""
    if len(replications) == 1:  # one replication's log (as every worker projects): no split
        if len(intervals) and (intervals["replication"] == replications[0]).all():
            yield 0, intervals
            return
    groups = dict(tuple(intervals.groupby("replication"))) if len(intervals) else {}
    for r_i, r in enumerate(replications):
        if r in groups:
            yield r_i, groups[r]


def level_at(intervals: pd.DataFrame, at: np.ndarray, replications, weight: str | None = None) -> np.ndarray:
    """Array [replication x instant] of how many (or how much ``weight``) intervals cover each instant.

    ``intervals`` has columns replication, start, end (end NaN = still open).
    """
    out = np.zeros((len(replications), len(at)))
    for r_i, g in _by_replication(intervals, replications):
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


def level_integral(intervals: pd.DataFrame, at: np.ndarray, replications, weight: str | None = None) -> np.ndarray:
    """Array [replication x instant] of the integral of the level from the first start to each instant.

    The level is a step function: it changes only at starts (up by the weight) and ends (down).
    Between consecutive change points it is constant, so its integral up to each change point
    is a running sum of level x gap, every term >= 0 (well conditioned: a stretch at level 0
    adds exactly 0), and up to an instant m after change point k it is that sum plus
    level_k x (m - t_k).  No sampling: exact up to floating-point rounding.
    """
    at = np.asarray(at, float)
    out = np.zeros((len(replications), len(at)))
    for r_i, g in _by_replication(intervals, replications):
        w = g[weight].to_numpy(float) if weight else np.ones(len(g))
        end = g["end"].to_numpy(float)
        closed = ~np.isnan(end)  # an open interval never ends: the level keeps its weight
        times = np.concatenate([g["start"].to_numpy(float), end[closed]])
        steps = np.concatenate([w, -w[closed]])
        order = np.argsort(times, kind="stable")
        times, level = times[order], np.cumsum(steps[order])
        area = np.concatenate([[0.0], np.cumsum(level[:-1] * np.diff(times))])
        k = np.searchsorted(times, at, side="right") - 1
        after = k >= 0
        out[r_i, after] = area[k[after]] + level[k[after]] * (at[after] - times[k[after]])
    return out


def mean_level(intervals: pd.DataFrame, edges: np.ndarray, replications, weight: str | None = None) -> np.ndarray:
    """Array [replication x period] of the time-averaged level over each period [edges[i], edges[i+1]):
    the integral of the level over the period divided by its length."""
    edges = np.asarray(edges, float)
    integral = level_integral(intervals, edges, replications, weight)
    return np.diff(integral, axis=1) / np.diff(edges)


def awaiting_mash_decision(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a contact awaited its MASH decision: from ``contact_received`` to
    its ``mash_decided`` (end NaN: still undecided at the end of the log).  The wait for consent
    and the screening itself count: the contact is in the MASH, undecided, all that time."""
    received = of(df, "contact_received").rename(columns={"t": "start"})
    decided = of(df, "mash_decided").rename(columns={"t": "end"})
    return received.merge(decided, on=KEYS, how="left")[["replication", "case_id", "start", "end"]]


def queue_intervals(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The backlogs as intervals: contacts awaiting a MASH decision, children waiting for a
    social worker, and children on a plan waiting for a long-term worker (named as their
    month-end KPIs)."""
    return {"awaiting_mash_decision": awaiting_mash_decision(df), "waiting_for_allocation": awaiting_allocation(df),
            "waiting_for_long_term_worker": awaiting_transfer(df)}


def awaiting_transfer(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a child on a plan waited for a long-term worker: from the plan's
    start (after an assessment or conference, an opening-stock plan, or an escalation of a plan
    held outside the social work teams) to its first long-term ``allocated``, or closure, or
    the plan going outside the social work teams.  (A long-term case whose worker left waits in
    ``waiting_for_allocation``.)"""
    ev = df.loc[event_rows(df, "plan_started", "allocated", "case_closed", "held_outside_social_work"),
                ["replication", "case_id", "seq", "t", "event", "team", "reason"]]
    ev = ev[(ev["event"] != "allocated") | (ev["team"] == "long_term")].sort_values(["replication", "case_id", "seq"])
    codes, events = event_codes(ev)
    plan = codes == events.get("plan_started", -1)
    held = (codes == events.get("held_outside_social_work", -1)).astype(float)
    previous_held = group_shift(ev.assign(held=held), KEYS, "held", 1) == 1.0
    start = plan & (ev["reason"].isin(["assessment", "conference", "opening_stock"]).to_numpy()
                    | ((ev["reason"] == "escalation").to_numpy() & previous_held))
    ender_t = np.where(plan, np.nan, ev["t"].to_numpy(float))
    end = group_bfill(ev, KEYS, ender_t)  # the next ender at or after the row
    out = ev.assign(start=ev["t"], end=end)[start]
    return out[["replication", "case_id", "start", "end"]]


def awaiting_allocation(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a child waited for a social worker: a referral waiting for its
    first (assessment) allocation, or a child whose worker left, waiting to be reallocated."""
    ev = df.loc[event_rows(df, "referral_accepted", "case_reallocated", "allocated", "case_closed"),
                ["replication", "case_id", "seq", "t", "event"]].sort_values(["replication", "case_id", "seq"])
    ev["end"] = group_shift(ev, KEYS, "t", -1)
    waiting = ev[event_rows(ev, "referral_accepted", "case_reallocated")]
    # A child reallocated while already queued for a long-term worker was waiting for that
    # transfer, not newly waiting: count from the reallocation all the same (no worker holds them).
    out = waiting.rename(columns={"t": "start"})
    return out[["replication", "case_id", "start", "end"]]


@once_per_log
def open_cases(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a case was open: referral (or opening stock) to closure."""
    ref = of(df, "referral_accepted")
    stock = df.loc[(df["event"] == "plan_started") & (df["reason"] == "opening_stock"), ["replication", "case_id", "t"]]
    start = pd.concat([ref, stock]).rename(columns={"t": "start"})
    closed = of(df, "case_closed").rename(columns={"t": "end"})
    return start.merge(closed, on=KEYS, how="left")[["replication", "case_id", "start", "end"]]


def held_cases(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a worker (``worker_id``) held a case: allocation to the next
    allocation, the worker's leaving (reallocation), closure, or the case going outside the
    social work teams."""
    alloc = df.loc[event_rows(df, "allocated", "case_reallocated", "case_closed", "held_outside_social_work"),
                   ["replication", "case_id", "child_id", "worker_id", "t", "event", "seq"]]
    alloc = alloc.sort_values(["replication", "case_id", "seq"])
    nxt = group_shift(alloc, KEYS, "t", -1)
    held = alloc.assign(end=nxt)
    held = held[held["event"] == "allocated"].rename(columns={"t": "start"})
    return held[["replication", "case_id", "child_id", "worker_id", "start", "end"]]


def case_holding_fte(df: pd.DataFrame) -> pd.DataFrame:
    """Intervals during which a case-holding worker (cap > 0) was in post, weighted by FTE."""
    started = df.loc[(df["event"] == "worker_started") & (df["cap"] > 0), ["replication", "worker_id", "t", "fte"]]
    left = df.loc[df["event"] == "worker_left", ["replication", "worker_id", "t"]].rename(columns={"t": "end"})
    out = started.rename(columns={"t": "start"}).merge(left, on=["replication", "worker_id"], how="left")
    return out[["replication", "worker_id", "start", "end", "fte"]]


def month_end_levels(df: pd.DataFrame, at: np.ndarray, replications,
                     queues: dict[str, pd.DataFrame] | None = None) -> dict[str, np.ndarray]:
    """Contacts awaiting a MASH decision, children waiting for allocation, open cases and caseload
    per FTE at each instant in ``at`` (``queues``: ``queue_intervals(df)``, if already computed)."""
    queues = queues or queue_intervals(df)
    fte = level_at(case_holding_fte(df), at, replications, weight="fte")
    held = level_at(held_cases(df), at, replications)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_fte = np.where(fte > 0, held / fte, np.nan)
    return {
        "awaiting_mash_decision": level_at(queues["awaiting_mash_decision"], at, replications),
        "waiting_for_allocation": level_at(queues["waiting_for_allocation"], at, replications),
        "waiting_for_long_term_worker": level_at(queues["waiting_for_long_term_worker"], at, replications),
        "open_cases": level_at(open_cases(df), at, replications),
        "caseload_per_fte": per_fte,
    }


def period_mean_levels(queues: dict[str, pd.DataFrame], edges: np.ndarray, replications) -> dict[str, np.ndarray]:
    """Time-averaged backlogs over each period [edges[i], edges[i+1]), keyed ``<queue>_mean``."""
    return {f"{name}_mean": mean_level(iv, edges, replications) for name, iv in queues.items()}
