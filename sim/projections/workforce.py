"""Workforce projections: changes of social worker, FTE by kind, vacancies, leavers, cost.

All from the log: worker_started / worker_changed / worker_left give each worker's FTE, kind
and pay over time; post events give vacancies; allocated events give changes of worker.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .children import CHILD_KEYS, changes_of_worker, with_child
from .frame import event_rows, group_shift, once_per_log
from .levels import level_at

DAYS_A_YEAR = 365.0


def changes_per_child(df: pd.DataFrame, t0: float, t1: float) -> pd.DataFrame:
    """Per replication, over children allocated in [t0, t1): mean changes of social worker in
    the window (``children.changes_of_worker``: planned transfers to long-term teams included),
    mean reallocations (their case went back to a queue: a worker left, was absent long, or the
    post closed), and the share with three or more changes in the twelve months from their first
    allocation."""
    alloc = with_child(df.loc[(df["event"] == "allocated") & (df["t"] >= t0) & (df["t"] < t1),
                              ["replication", "case_id", "child_id"]])
    children = alloc[CHILD_KEYS].drop_duplicates()
    ch = changes_of_worker(df)
    inside = ch[(ch["t"] >= t0) & (ch["t"] < t1)]
    per_child = inside.groupby(CHILD_KEYS).size()
    year = ch[ch["t"] < ch["first_allocated"] + DAYS_A_YEAR].groupby(CHILD_KEYS).size()
    realloc = with_child(df.loc[(df["event"] == "case_reallocated") & (df["t"] >= t0) & (df["t"] < t1),
                                ["replication", "case_id", "child_id"]])
    realloc = realloc.groupby(CHILD_KEYS).size()
    children = children.set_index(CHILD_KEYS)
    children["changes"] = per_child.reindex(children.index, fill_value=0)
    children["reallocations"] = realloc.reindex(children.index, fill_value=0)
    children["three_plus"] = year.reindex(children.index, fill_value=0) >= 3
    g = children.groupby(level="replication")
    return pd.DataFrame({"changes_per_child": g["changes"].mean(),
                         "reallocations_per_child": g["reallocations"].mean(),
                         "three_plus_changes_pct": 100.0 * g["three_plus"].mean()})


@once_per_log
def worker_segments(df: pd.DataFrame) -> pd.DataFrame:
    """Spells of each worker with constant kind and pay: replication, worker_id, team, kind,
    fte, annual_cost, start, end (NaN while still in post at the end of the log)."""
    ev = df.loc[event_rows(df, "worker_started", "worker_changed", "worker_left"),
                ["replication", "seq", "t", "event", "worker_id", "team", "kind", "fte", "annual_cost"]]
    ev = ev.sort_values(["replication", "worker_id", "seq"])
    by = ev.groupby(["replication", "worker_id"])
    ev = ev.assign(end=group_shift(ev, ["replication", "worker_id"], "t", -1), team=by["team"].ffill(),
                   fte=by["fte"].ffill())
    seg = ev[ev["event"] != "worker_left"].rename(columns={"t": "start"})
    return seg[["replication", "worker_id", "team", "kind", "fte", "annual_cost", "start", "end"]]


def fte_at(df: pd.DataFrame, at: np.ndarray, replications, kind: str | None = None) -> np.ndarray:
    """FTE in post at each instant (of one kind, or all)."""
    seg = worker_segments(df)
    if kind is not None:
        seg = seg[seg["kind"] == kind]
    return level_at(seg, at, replications, weight="fte")


def vacancy_intervals(df: pd.DataFrame) -> pd.DataFrame:
    """Spells during which an open post had nobody in it."""
    started = df.loc[df["event"] == "worker_started", ["replication", "worker_id", "post_id"]]
    ev = df.loc[event_rows(df, "post_opened", "worker_started", "worker_left", "post_closed"),
                ["replication", "seq", "t", "event", "worker_id", "post_id"]]
    left = ev["event"] == "worker_left"
    ev.loc[left, "post_id"] = ev.loc[left, ["replication", "worker_id"]].merge(
        started, on=["replication", "worker_id"], how="left")["post_id"].to_numpy()
    ev = ev.sort_values(["replication", "post_id", "seq"])
    ev["end"] = ev.groupby(["replication", "post_id"])["t"].shift(-1)
    closed = ev[ev["event"] == "post_closed"].set_index(["replication", "post_id"])["t"]
    vacant = ev[event_rows(ev, "post_opened", "worker_left")].rename(columns={"t": "start"})
    # A MASH screener busy when the post closed leaves just after: no vacancy follows.
    closed_at = closed.reindex(pd.MultiIndex.from_frame(vacant[["replication", "post_id"]])).to_numpy()
    vacant = vacant[~(closed_at <= vacant["start"].to_numpy())]
    vacant = vacant[~(vacant["end"] == vacant["start"])]  # filled or closed at once
    return vacant[["replication", "post_id", "start", "end"]]


def vacancies_at(df: pd.DataFrame, at: np.ndarray, replications) -> np.ndarray:
    return level_at(vacancy_intervals(df), at, replications)


def cost_between(df: pd.DataFrame, edges: np.ndarray, replications) -> np.ndarray:
    """Cost in each period [edges[i], edges[i+1]) per replication: FTE-days x day rate of each
    worker spell, plus retention packages spread evenly over their days."""
    out = np.zeros((len(replications), len(edges) - 1))
    seg = worker_segments(df)
    pk = df.loc[df["event"] == "package_started", ["replication", "t", "until", "cost"]]
    rep_index = {r: i for i, r in enumerate(replications)}
    a, b = edges[:-1], edges[1:]
    for frame, rate in ((seg, seg["fte"] * seg["annual_cost"] / DAYS_A_YEAR),
                        (pk, pk["cost"] / (pk["until"] - pk["t"]).clip(lower=1e-9))):
        if frame.empty:
            continue
        start = frame["start" if "start" in frame else "t"].to_numpy()[:, None]
        end = np.nan_to_num(frame["end" if "end" in frame else "until"].to_numpy(), nan=np.inf)[:, None]
        overlap = np.clip(np.minimum(end, b[None, :]) - np.maximum(start, a[None, :]), 0, None)
        money = overlap * rate.to_numpy()[:, None]
        for r, rows in pd.Series(range(len(frame)), index=frame["replication"].to_numpy()).groupby(level=0):
            if r in rep_index:
                out[rep_index[r]] += money[rows.to_numpy()].sum(axis=0)
    return out


def leavers_between(df: pd.DataFrame, edges: np.ndarray, replications) -> np.ndarray:
    left = df.loc[df["event"] == "worker_left", ["replication", "t"]]
    out = np.zeros((len(replications), len(edges) - 1))
    for i, r in enumerate(replications):
        t = left.loc[left["replication"] == r, "t"].to_numpy()
        out[i] = np.histogram(t, bins=edges)[0]
    return out


EMPLOYED = ("permanent", "asye")


def post_intervals(df: pd.DataFrame, teams=None, default_fte: float = 1.0) -> pd.DataFrame:
    """Spells during which each post was open: replication, post_id, team, fte, start, end (NaN:
    still open at the end of the log).  A post's FTE is that of the workers who started in it
    (a worker takes the post's FTE); a post nobody ever started in counts ``default_fte``."""
    opened = df.loc[df["event"] == "post_opened", ["replication", "post_id", "team", "t"]].rename(columns={"t": "start"})
    closed = df.loc[df["event"] == "post_closed", ["replication", "post_id", "t"]].rename(columns={"t": "end"})
    fte = df.loc[df["event"] == "worker_started", ["replication", "post_id", "fte"]].drop_duplicates(
        ["replication", "post_id"])
    out = opened.merge(closed, on=["replication", "post_id"], how="left").merge(
        fte, on=["replication", "post_id"], how="left")
    out["fte"] = out["fte"].fillna(default_fte).astype(float)
    if teams is not None:
        out = out[out["team"].isin(list(teams))]
    return out[["replication", "post_id", "team", "fte", "start", "end"]]


def _fte_by_kind(df: pd.DataFrame, at: np.ndarray, replications, kinds, teams=None) -> np.ndarray:
    seg = worker_segments(df)
    seg = seg[seg["kind"].isin(list(kinds))]
    if teams is not None:
        seg = seg[seg["team"].isin(list(teams))]
    return level_at(seg, at, replications, weight="fte")


def dfe_vacancy_rate_at(df: pd.DataFrame, at: np.ndarray, replications, teams=None) -> np.ndarray:
    """The vacancy rate as the DfE's children's social work workforce statistics define it, at
    each instant [replication x instant]: FTE of open posts not filled by an employed social
    worker (vacant, whether covered by agency or not) over those vacancies plus the employed FTE
    in post, i.e. 1 - employed FTE / open posts' FTE.  ``teams``: only these teams (e.g.
    ``("assessment", "long_term")`` for case-holding posts); NaN where no post is open."""
    at = np.asarray(at, float)
    posts = level_at(post_intervals(df, teams), at, replications, weight="fte")
    employed = _fte_by_kind(df, at, replications, EMPLOYED, teams)
    vacant = np.clip(posts - employed, 0.0, None)  # a screener finishing a contact after the post closed
    total = vacant + employed
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 1e-9, vacant / np.where(total > 1e-9, total, 1.0), np.nan)


def agency_rate_at(df: pd.DataFrame, at: np.ndarray, replications, teams=None) -> np.ndarray:
    """The DfE's agency worker rate at each instant [replication x instant]: agency FTE over
    agency plus employed FTE in post (NaN where nobody is in post)."""
    at = np.asarray(at, float)
    agency = _fte_by_kind(df, at, replications, ("agency",), teams)
    employed = _fte_by_kind(df, at, replications, EMPLOYED, teams)
    total = agency + employed
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 1e-9, agency / np.where(total > 1e-9, total, 1.0), np.nan)
