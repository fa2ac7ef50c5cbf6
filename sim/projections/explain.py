"""The children behind a figure: which children a wait or timeliness KPI counts in a period,
each with their case's milestones and where the time went.

Pure projection over the events frame (pandas; no SimPy, no Hydra).  The figure itself is
never defined here a second time: the population a KPI counts (children seen, MASH decisions,
assessments completed), the wait it reads and the test for its numerator all come from the
forecast's own projections (``sim.forecast.log_views``, ``seen_within_columns``,
``within_statutory_assessment``, ``SIX_WEEKS_DAYS``, ``MASH_DECISION_WD``), and a child counts
in the forecast month its event falls in by the forecast's rule (``t0 <= t < t1`` of
``sim.forecast.periods``).  The stages ("where the time went") are read from the case's
events; they are descriptions, and they add up to the wait the KPI reads.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .. import kpis
from ..config import RunConfig, add_months
from ..forecast import (MASH_DECISION_WD, SIX_WEEKS_DAYS, LogViews, log_views, monthly, seen_within_columns, spread,
                        window_kpis, within_statutory_assessment)

Month = tuple[dt.date, float, float]  # a forecast month as ``sim.forecast.periods`` gives it


@dataclass(frozen=True)
class Population:
    """The events a family of KPIs counts over: one row per child (case) in the forecast's view."""

    view: str          # the LogViews frame: "seen", "mash" or "asm"
    at: str            # its time column that places a row in a month
    milestone: str     # the event that time is (a column of the explain table)
    what: str          # for people: "children seen", ...


SEEN = Population("seen", "seen", "seen", "children seen")
MASH = Population("mash", "decided", "mash_decided", "contacts decided by the MASH")
ASSESSED = Population("asm", "completed", "assessment_completed", "assessments completed")

# The KPI's measure in the explain tables -> the forecast view's column it is.
MEASURES = {
    "contact_to_seen_days": ("seen", "wait_days"),
    "contact_to_seen_wd": ("seen", "working_days"),
    "referral_to_seen_wd": ("seen", "referral_working_days"),
    "contact_to_decision_wd": ("mash", "working_days"),
    "referral_to_completion_wd": ("asm", "working_days"),
}


@dataclass(frozen=True)
class Explanation:
    """How a KPI is recomputed from the list of its children.

    ``kind``: ``count`` (the rows counted; only they are listed), ``share`` (100 x the share of
    the listed rows that are counted), ``percentile`` (the ``q``th percentile of ``measure``,
    numpy's linear interpolation as the forecast's; rows at or above it are marked) or ``max``
    (the longest; the rows equal to it are marked).
    """

    key: str
    population: Population
    measure: str
    kind: str
    q: float | None = None
    counted: Callable[[pd.DataFrame], pd.Series] | None = None  # the view's rows -> in the numerator

    @property
    def label(self) -> str:
        return kpis.label(self.key)


def _everyone(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=frame.index)


def _seen_within(key: str) -> Callable[[pd.DataFrame], pd.Series]:
    n, _ = kpis.seen_within_n(key)
    return lambda seen: seen_within_columns(seen, (n,))[key] == 100.0


def _seen_within_explanation(key: str) -> Explanation:
    _, frm = kpis.seen_within_n(key)
    return Explanation(key, SEEN, f"{frm}_to_seen_wd", "share", counted=_seen_within(key))


class _Explanations(dict):
    """The explanations by key; a "% seen within N working days" figure for any N is made on
    demand (the run's ``seen_within_working_days``)."""

    def __missing__(self, key: str) -> Explanation:
        if kpis.seen_within_n(key) is None:
            raise KeyError(key)
        return _seen_within_explanation(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or kpis.seen_within_n(str(key)) is not None


def _explanations() -> dict[str, Explanation]:
    out = [
        Explanation("seen", SEEN, "contact_to_seen_days", "count", counted=_everyone),
        *[Explanation(f"threshold_to_seen_{name}", SEEN, "contact_to_seen_days", "percentile", q)
          for name, q in (("median", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0))],
        Explanation("threshold_to_seen_max", SEEN, "contact_to_seen_days", "max"),
        Explanation("seen_over_six_weeks", SEEN, "contact_to_seen_days", "count",
                    counted=lambda seen: seen["wait_days"] > SIX_WEEKS_DAYS),
        *[_seen_within_explanation(kpis.seen_within_key(n, frm))
          for n in kpis.SEEN_WITHIN_WD for frm in ("referral", "contact")],
        Explanation("mash_within_1wd_pct", MASH, "contact_to_decision_wd", "share",
                    counted=lambda mash: mash["working_days"] <= MASH_DECISION_WD),
        Explanation("mash_decision_wd_median", MASH, "contact_to_decision_wd", "percentile", 50.0),
        Explanation("mash_decision_wd_p90", MASH, "contact_to_decision_wd", "percentile", 90.0),
        Explanation("assessments_completed", ASSESSED, "referral_to_completion_wd", "count", counted=_everyone),
        Explanation("assessments_within_45wd_pct", ASSESSED, "referral_to_completion_wd", "share",
                    counted=lambda asm: within_statutory_assessment(asm["working_days"])),
    ]
    return _Explanations({e.key: e for e in out})


EXPLAINED: dict[str, Explanation] = _explanations()

# A case's milestones: the events whose (first) date the explain table gives, each a column.
MILESTONES = ("contact_received", "consent_requested", "consent_received", "mash_decided", "referral_accepted",
              "allocated", "seen", "assessment_completed")
# Where the time went: stage -> (from milestone, to milestone).  MASH, allocation and visit
# follow one another, so they add up to contact-to-seen; consent is part of the MASH's time.
STAGES = {
    "mash": ("contact_received", "mash_decided"),
    "consent": ("consent_requested", "consent_received"),
    "allocation_wait": ("referral_accepted", "allocated"),
    "visit_wait": ("allocated", "seen"),
    "assessment": ("seen", "assessment_completed"),
}
WHOLE = "whole period"  # the figures' row for a window of several months
TIMELINE_COLUMNS = ["replication", "child_id", "case_id", "event", "date", "t", "worker_id", "team", "reason",
                    "outcome", "plan"]


@dataclass
class Explained:
    """One replication's (or several concatenated) children behind a figure, their case events,
    and the figure recomputed from the list beside the forecast's own value."""

    key: str
    children: pd.DataFrame   # one row per child (case) in the KPI's population, or its numerator for a count
    timelines: pd.DataFrame  # every event of those cases
    figures: pd.DataFrame    # replication, period, from_list, forecast


def label_of(month: Month) -> str:
    """The forecast month's ``period`` as forecast.csv writes it."""
    return month[0].isoformat()[:7] if month[0].day == 1 else month[0].isoformat()


def months_of_period(months: list[Month], start: dt.date, end: dt.date) -> list[Month] | None:
    """The consecutive forecast months that make up the period [start, end), or None if the
    period is not a run of whole forecast months (the last one may be cut short by end_date)."""
    inside = [m for m in months if start <= m[0] < end]
    if not inside or inside[0][0] != start or any(m[0].day != 1 for m in inside):
        return None
    if add_months(inside[-1][0], 1) != end:
        return None
    expected = (end.year - start.year) * 12 + end.month - start.month
    return inside if len(inside) == expected else None


def explain(df: pd.DataFrame, cfg: RunConfig, key: str, months: list[Month],
            views: LogViews | None = None) -> Explained:
    """The children behind ``key`` over the consecutive forecast ``months`` of ``df`` (one or
    more replications' events), with the figure per replication and month (and over the whole
    window) both recomputed from the list and as the forecast computes it."""
    spec = EXPLAINED[key]
    v = views or log_views(df, cfg)
    t0, t1 = months[0][1], months[-1][2]
    pop = getattr(v, spec.population.view)
    pop = pop[(pop[spec.population.at] >= t0) & (pop[spec.population.at] < t1)]
    children = _rows(df, v, spec, pop, months)
    children["in_numerator"] = _marks(spec, pop, children)
    if spec.kind == "count":
        children = children[children["in_numerator"]]
    children = longest_first(children[columns(children)], spec)
    return Explained(key, children, timelines(df, children), _figures(df, cfg, v, spec, children, months))


def columns(children: pd.DataFrame) -> list[str]:
    """The explain table's columns in reading order: who, when, how long, whether counted."""
    return ["replication", "child_id", "case_id", "period", "priority", "mash_outcome", "assessment_outcome",
            *MILESTONES, *[m for m in MEASURES if m in children],
            *[f"{s}_{u}" for s in STAGES for u in ("days", "wd")], "reallocations_before_seen", "in_numerator"]


def longest_first(children: pd.DataFrame, spec: Explanation) -> pd.DataFrame:
    """The list in reading order: the KPI's measure from the longest, then by replication and child."""
    return children.sort_values([spec.measure, "replication", "child_id", "case_id"],
                                ascending=[False, True, True, True], na_position="last").reset_index(drop=True)


def _rows(df: pd.DataFrame, v: LogViews, spec: Explanation, pop: pd.DataFrame, months: list[Month]) -> pd.DataFrame:
    out = pop[["replication", "case_id"]].copy()
    edges = np.array([m[1] for m in months] + [months[-1][2]])
    which = np.searchsorted(edges, pop[spec.population.at].to_numpy(), side="right") - 1
    out["period"] = [label_of(months[i]) for i in which]
    for measure, (view, column) in MEASURES.items():
        if view == spec.population.view:
            out[measure] = pop[column].to_numpy(float)
    return _with_milestones(df, v, out)


def _with_milestones(df: pd.DataFrame, v: LogViews, rows: pd.DataFrame) -> pd.DataFrame:
    """Each row's child, priority and outcomes, the dates of its case's milestones, and the
    stages between them in calendar and (whole, as every working-day figure counts them)
    working days."""
    keys = ["replication", "case_id"]
    cases = df[df["case_id"].notna()].merge(rows[keys].drop_duplicates(), on=keys, how="inner")
    events = cases["event"].astype(str)
    times = cases.assign(event=events)
    times = times[times["event"].isin(MILESTONES)]
    # The first allocation is the assessment worker's (a later one is a reallocation or a transfer).
    times = times[(times["event"] != "allocated") | (times["team"] == "assessment")]
    first = times.groupby(keys + ["event"], observed=True)["t"].min().unstack("event")
    first = first.reindex(columns=list(MILESTONES))
    info = cases.groupby(keys).agg(child_id=("child_id", "first")).join(
        cases[events == "contact_received"].groupby(keys).agg(priority=("priority", "first")), how="left").join(
        cases[events == "mash_decided"].groupby(keys).agg(mash_outcome=("outcome", "first")), how="left").join(
        cases[events == "assessment_completed"].groupby(keys).agg(assessment_outcome=("outcome", "first")),
        how="left")
    out = rows.join(info, on=keys).join(first, on=keys)
    # Reallocations while the child waited to be seen: why a visit wait can outlast one allocation.
    realloc = cases[events == "case_reallocated"][keys + ["t"]].merge(out[keys + ["allocated", "seen"]], on=keys)
    realloc = realloc[(realloc["t"] >= realloc["allocated"]) & (realloc["t"] < realloc["seen"])]
    out["reallocations_before_seen"] = out.set_index(keys).index.map(realloc.groupby(keys).size()).fillna(0)
    out.loc[out["seen"].isna(), "reallocations_before_seen"] = np.nan
    for stage, (a, b) in STAGES.items():
        out[f"{stage}_days"] = out[b] - out[a]
        done = out[a].notna() & out[b].notna()
        wd = np.full(len(out), np.nan)
        wd[done.to_numpy()] = v.cal.whole_working_days_between(out.loc[done, a].to_numpy(), out.loc[done, b].to_numpy())
        out[f"{stage}_wd"] = wd
    start = v.cal.start_date
    for column in MILESTONES:
        out[column] = [None if t != t else start + dt.timedelta(days=int(np.floor(t))) for t in out[column]]
    out["child_id"] = out["child_id"].astype("int64")
    out["case_id"] = out["case_id"].astype("int64")
    return out


def _marks(spec: Explanation, pop: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Whether each row is in the figure's numerator (for a percentile: at or above it, in its
    replication over the whole window; for the maximum: equal to it)."""
    if spec.counted is not None:
        return pd.Series(spec.counted(pop).to_numpy(bool), index=rows.index)
    value = rows[spec.measure]
    figure = rows.groupby("replication")[spec.measure].transform(lambda x: _statistic(spec, x))
    return value >= figure


def _statistic(spec: Explanation, values: pd.Series) -> float:
    """The figure over ``values``, the measure of the rows of one replication and period."""
    x = values.to_numpy(float)
    if spec.kind == "percentile":
        return float(np.percentile(x, spec.q)) if len(x) else np.nan
    if spec.kind == "max":
        return float(x.max()) if len(x) else np.nan
    raise ValueError(f"{spec.key} is a {spec.kind}, which has no single threshold")


def figure_from_list(spec: Explanation, rows: pd.DataFrame) -> float:
    """The KPI recomputed from its list's rows of one replication and period: a count of the
    rows counted, 100 x the share counted, a percentile or the maximum of the measure."""
    if spec.kind == "count":
        return float(rows["in_numerator"].sum())
    if spec.kind == "share":
        return 100.0 * float(rows["in_numerator"].mean()) if len(rows) else np.nan
    return _statistic(spec, rows[spec.measure])


def _figures(df: pd.DataFrame, cfg: RunConfig, v: LogViews, spec: Explanation, children: pd.DataFrame,
             months: list[Month]) -> pd.DataFrame:
    """Per replication, for each month and (if more than one) the whole window: the figure
    recomputed from the list, and the forecast's own: ``monthly`` (forecast.csv's) for a
    monthly figure, ``window_kpis`` (summary.csv's, and caseflow compare's quarters) over the
    month or the window otherwise; a count that ``window_kpis`` does not give is the sum of
    its months, and a monthly percentile has no forecast figure over several months."""
    per_month = monthly(df, cfg, v) if kpis.is_monthly(spec.key) else None

    def forecast(over: list[Month]) -> dict[int, float]:
        if per_month is not None and len(over) == 1:
            mine = per_month[per_month["period"] == label_of(over[0])]
            return dict(zip(mine["replication"], mine[spec.key].astype(float)))
        if kpis.is_headline(spec.key):  # summary.csv's figures, over any run of months
            table = window_kpis(df, cfg, over, v)
            return dict(zip(table["replication"], table[spec.key].astype(float)))
        if spec.kind == "count":
            by_month = [forecast([m]) for m in over]
            return {r: float(sum(f[r] for f in by_month)) for r in v.reps}
        return dict.fromkeys(v.reps, np.nan)

    windows = [(label_of(m), [m]) for m in months] + ([(WHOLE, months)] if len(months) > 1 else [])
    rows = []
    for label, over in windows:
        theirs = forecast(over)
        for r in v.reps:
            mine = children[children["replication"] == r]
            if label != WHOLE:
                mine = mine[mine["period"] == label]
            rows.append({"replication": r, "period": label, "from_list": figure_from_list(spec, mine),
                         "forecast": theirs[r]})
    return pd.DataFrame(rows, columns=["replication", "period", "from_list", "forecast"])


def forecast_over_window(key: str) -> bool:
    """Whether the forecast has its own figure for ``key`` over several months: summary.csv's
    figures (``window_kpis``), and counts, which add up over months."""
    return kpis.is_headline(key) or EXPLAINED[key].kind == "count"


def timelines(df: pd.DataFrame, children: pd.DataFrame) -> pd.DataFrame:
    """Every event of the listed children's cases, in log order: one row per event."""
    keys = ["replication", "case_id"]
    listed = children[keys].drop_duplicates()
    rows = df[df["case_id"].notna()].merge(listed, on=keys, how="inner").sort_values(["replication", "seq"])
    out = rows[TIMELINE_COLUMNS].copy()
    out["event"] = out["event"].astype(str)
    out["child_id"] = out["child_id"].astype("int64")
    out["case_id"] = out["case_id"].astype("int64")
    return out.reset_index(drop=True)


def mean_over_replications(figures: pd.DataFrame, column: str) -> pd.Series:
    """Per period: the mean over replications of ``column``, leaving out replications where it
    is undefined, as forecast.csv's ``_mean`` columns do (``sim.forecast.spread``)."""
    order = list(dict.fromkeys(figures["period"]))
    means = {p: spread(g[column].to_numpy(float))["mean"] for p, g in figures.groupby("period", sort=False)}
    return pd.Series([means[p] for p in order], index=order, name=column)


def supported() -> tuple[str, ...]:
    """The KPI keys ``explain`` can list the children of, in the registry's order."""
    return tuple(k for k in kpis.REGISTRY if k in EXPLAINED)
