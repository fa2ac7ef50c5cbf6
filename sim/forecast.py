"""Forecast tables: monthly KPIs per replication, and their spread across replications.

Every figure is a projection over the event log (``sim.projections``); this module only
arranges them into months and summarises across replications.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import kpis
from .periods import financial_year, quarter
from .calendar import WorkingCalendar
from .config import RunConfig, add_months, horizon_end, parse_date
from .projections import assessment_times, level_at, mash_decision_times, mean_level, month_end_levels, \
    queue_intervals, threshold_to_seen
from .projections.frame import event_codes
from .projections.levels import open_cases, period_mean_levels
from .projections.children import CHANGE_REASONS, changes_of_worker, cp_plan_starts, referral_history
from .projections.workforce import (changes_per_child, cost_between, dfe_vacancy_rate_at, fte_at, leavers_between,
                                    vacancies_at)
from .stability import mser_truncation, queue_trend, second_half, unstable_overall

SIX_WEEKS_DAYS = 42.0
STATUTORY_ASSESSMENT_WD = 45.0
MASH_DECISION_WD = 1.0

# KPI name -> label, in forecast.csv's column order (the registry, ``sim/kpis.py``, defines them).
KPIS: dict[str, str] = kpis.labels(kpis.MONTHLY)
STATS = ("mean", "p10", "p50", "p90", "ci95")


def calendar_for(cfg: RunConfig) -> WorkingCalendar:
    """The working calendar projections use: the model's own (same span and rules)."""
    return WorkingCalendar.for_run(cfg)


def periods(cfg: RunConfig) -> list[tuple[dt.date, float, float]]:
    """Forecast months: (first date, start t, end t), from start_date to the horizon."""
    start = parse_date("start_date", cfg.start_date)
    end = horizon_end(cfg)
    out, k = [], 0
    while True:
        a, b = add_months(start, k), min(add_months(start, k + 1), end)
        if a >= end:
            return out
        out.append((a, float((a - start).days), float((b - start).days)))
        k += 1


def _pct(x: pd.Series, q: float) -> float:
    return float(np.percentile(x, q)) if len(x) else np.nan


def _p90(x: pd.Series) -> float:
    return _pct(x, 90)


def within_statutory_assessment(working_days: pd.Series) -> pd.Series:
    """Completed within 45 working days: ``working_days`` are whole working days between the
    dates (the DfE's count; its bin "41-45" holds 41 to 45)."""
    return working_days <= STATUTORY_ASSESSMENT_WD


@dataclass
class LogViews:
    """The projections every table needs, computed once per log and sliced per month or window."""

    cal: WorkingCalendar
    months: list[tuple[dt.date, float, float]]
    edges: np.ndarray                 # month boundaries (t), len(months) + 1
    reps: list[int]
    mash: pd.DataFrame                # mash_decision_times
    seen: pd.DataFrame                # threshold_to_seen, with working days
    asm: pd.DataFrame                 # assessment_times
    levels: dict[str, np.ndarray]     # month-end levels, replications x months
    means: dict[str, np.ndarray]      # backlogs time-averaged over each month, replications x months
    workforce: dict[str, np.ndarray]  # agency share, vacancies (month ends); leavers, cost (in month)
    queues: dict[str, pd.DataFrame]   # the backlogs as intervals (queue_intervals)
    daily: dict[str, np.ndarray]      # backlogs time-averaged over each day from edges[0], replications x days


def log_views(df: pd.DataFrame, cfg: RunConfig) -> LogViews:
    """Project the log once: waits, month-end levels and workforce figures for every month."""
    cal = calendar_for(cfg)
    months = periods(cfg)
    edges = np.array([m[1] for m in months] + [months[-1][2]])
    reps = sorted(df["replication"].unique().tolist())
    seen = threshold_to_seen(df)
    seen["working_days"] = cal.whole_working_days_between(seen["received"].to_numpy(), seen["seen"].to_numpy())
    seen["referral_working_days"] = cal.whole_working_days_between(seen["referred"].to_numpy(), seen["seen"].to_numpy())
    queues = queue_intervals(df)
    days = np.arange(edges[0], edges[-1] + 1.0)  # month edges fall on midnights: whole days
    ends = end_of_last_day(edges[1:])
    return LogViews(cal, months, edges, reps, mash_decision_times(df, cal), seen, assessment_times(df, cal),
                    month_end_levels(df, ends, reps, queues), period_mean_levels(queues, edges, reps),
                    workforce_levels(df, edges, reps), queues,
                    {name: mean_level(iv, days, reps) for name, iv in queues.items()})


def monthly(df: pd.DataFrame, cfg: RunConfig, views: LogViews | None = None) -> pd.DataFrame:
    """One row per (replication, month) with every KPI in ``KPIS``."""
    v = views or log_views(df, cfg)
    months, edges, reps = v.months, v.edges, v.reps
    labels = [m[0].isoformat()[:7] if m[0].day == 1 else m[0].isoformat() for m in months]

    def month_of(t: pd.Series) -> np.ndarray:
        return np.searchsorted(edges, t.to_numpy(), side="right") - 1

    index = pd.MultiIndex.from_product([reps, range(len(months))], names=["replication", "month"])
    rep_codes = np.asarray(reps)

    def by_month(frame: pd.DataFrame, tcol: str, **aggs) -> pd.DataFrame:
        """Named aggregations per (replication, month of ``tcol``); months with no rows are NaN."""
        used = list(dict.fromkeys(["replication", *(column for column, _ in aggs.values())]))
        month = month_of(frame[tcol])
        inside = (month >= 0) & (month < len(months))
        frame = frame[used][inside].assign(month=month[inside])
        return frame.groupby(["replication", "month"]).agg(**aggs).reindex(index)

    def count_by_month(replication: np.ndarray, t: np.ndarray) -> np.ndarray:
        """How many rows fall in each (replication, month), in ``index`` order."""
        month = np.searchsorted(edges, t, side="right") - 1
        inside = (month >= 0) & (month < len(months))
        row = np.searchsorted(rep_codes, replication[inside]) * len(months) + month[inside]
        return np.bincount(row, minlength=len(index)).astype(np.int64)

    out = pd.DataFrame(index=index)
    codes, events = event_codes(df)
    for kpi, event in (("contacts", "contact_received"), ("referrals", "referral_accepted")):
        rows = codes == events.get(event, -1)
        # An assessment under way at the start is not a referral made then, nor a contact at the MASH
        # on the records' day a contact made then.
        rows &= (df["reason"] != "opening_stock").to_numpy()
        out[kpi] = count_by_month(df["replication"].to_numpy()[rows], df["t"].to_numpy()[rows])

    mash = v.mash.assign(within=100.0 * (v.mash["working_days"] <= MASH_DECISION_WD))
    out = out.join(by_month(mash, "decided",
                            mash_within_1wd_pct=("within", "mean"),
                            mash_decision_wd_median=("working_days", "median"),
                            mash_decision_wd_p90=("working_days", _p90)))

    ns = tuple(cfg.seen_within_working_days)
    within = seen_within_columns(v.seen, ns)
    seen = v.seen.assign(over=v.seen["wait_days"] > SIX_WEEKS_DAYS, **within)
    out = out.join(by_month(seen, "seen",
                            seen=("wait_days", "size"),
                            threshold_to_seen_median=("wait_days", "median"),
                            threshold_to_seen_p90=("wait_days", _p90),
                            threshold_to_seen_max=("wait_days", "max"),
                            seen_over_six_weeks=("over", "sum"),
                            **{key: (key, "mean") for key in within}))

    asm = v.asm.assign(within=100.0 * within_statutory_assessment(v.asm["working_days"]))
    out = out.join(by_month(asm, "completed",
                            assessments_completed=("working_days", "size"),
                            assessments_within_45wd_pct=("within", "mean")))

    for kpi, arr in {**v.levels, **v.means, **v.workforce}.items():
        out[kpi] = arr.reshape(-1)
    out = out.join(by_month(referral_history(df).assign(pct=lambda f: 100.0 * f["rereferral"]), "t",
                            rereferral_pct=("pct", "mean")))
    out = out.join(by_month(cp_plan_starts(df).assign(pct=lambda f: 100.0 * f["subsequent"]), "t",
                            repeat_cp_pct=("pct", "mean")))
    changes = changes_of_worker(df)
    out["changes_of_worker"] = count_by_month(changes["replication"].to_numpy(), changes["t"].to_numpy()).astype(float)
    for kpi in ("seen", "seen_over_six_weeks", "assessments_completed"):
        out[kpi] = out[kpi].fillna(0.0)
    out = out[list(kpis.with_seen_within(kpis.MONTHLY, ns))].reset_index()
    out.insert(1, "period", [labels[i] for i in out["month"]])
    return out


def end_of_last_day(edges: np.ndarray) -> np.ndarray:
    """The instant a period's end-of-period levels are read at: the end of its last day, just
    before the midnight that opens the next period.  A post opened, or a case closed, at that
    midnight belongs to the next period (posts added on 1 November are not October's vacancies)."""
    return np.nextafter(np.asarray(edges, float), -np.inf)


def workforce_levels(df: pd.DataFrame, edges: np.ndarray, reps) -> dict[str, np.ndarray]:
    """Agency share and vacancies at each period's end (``end_of_last_day``); leavers and cost
    within each period."""
    ends = end_of_last_day(edges[1:])
    total = fte_at(df, ends, reps)
    with np.errstate(divide="ignore", invalid="ignore"):
        agency = np.where(total > 0, 100.0 * fte_at(df, ends, reps, "agency") / total, np.nan)
    return {"agency_share_pct": agency, "vacancies": vacancies_at(df, ends, reps),
            "vacancy_rate_pct": 100.0 * dfe_vacancy_rate_at(df, ends, reps),
            "leavers": leavers_between(df, edges, reps), "cost": cost_between(df, edges, reps)}


def across_replications(per_rep: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean, 10th/50th/90th percentiles and 95% CI half-width of each KPI over replications."""
    rows = []
    for key, g in per_rep.groupby(keys, sort=True):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row["replications"] = len(g)
        for kpi in kpis.present(kpis.MONTHLY, g.columns):
            row.update({f"{kpi}_{s}": v for s, v in spread(g[kpi].to_numpy(float)).items()})
        rows.append(row)
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=None)
def t_quantile(q: float, dof: int) -> float:
    """Student's t quantile ``q`` with ``dof`` degrees of freedom (``scipy.stats.t.ppf``, imported
    when first needed: scipy.stats takes longer to import than the rest of a run's start-up)."""
    from scipy import stats

    return stats.t.ppf(q, dof)


@functools.lru_cache(maxsize=None)
def normal_quantile(q: float) -> float:
    """The standard normal quantile ``q`` (``scipy.stats.norm.ppf``, imported when first needed)."""
    from scipy import stats

    return stats.norm.ppf(q)


def spread(x: np.ndarray) -> dict[str, float]:
    """Summary of one figure across replications (NaNs, e.g. months with nobody seen, ignored)."""
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return dict.fromkeys(STATS, np.nan)
    half = (t_quantile(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else np.nan
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    return {"mean": float(x.mean()), "p10": float(p10), "p50": float(p50), "p90": float(p90), "ci95": float(half)}


def forecast_table(df: pd.DataFrame, cfg: RunConfig) -> pd.DataFrame:
    """The monthly forecast: one row per month, each KPI with its spread across replications."""
    return forecast_from_monthly(monthly(df, cfg))


def forecast_from_monthly(per_rep: pd.DataFrame) -> pd.DataFrame:
    """The monthly forecast from ``monthly`` frames (one row per replication and month)."""
    table = across_replications(per_rep.drop(columns=["month"]), ["period"])
    order = {p: i for i, p in enumerate(per_rep["period"].drop_duplicates())}
    table = table.sort_values("period", key=lambda s: s.map(order)).reset_index(drop=True)
    # A period is a calendar month ("2024-10") only when the forecast starts on the 1st; periods
    # that run from the 15th to the 14th belong to no one financial year or quarter (left empty).
    whole = [len(p) == 7 for p in table["period"]]
    firsts = [dt.date(int(p[:4]), int(p[5:7]), 1) for p in table["period"]]
    table.insert(1, "financial_year", [financial_year(d) if w else "" for d, w in zip(firsts, whole)])
    table.insert(2, "quarter", [quarter(d) if w else "" for d, w in zip(firsts, whole)])
    return table


# KPI over the whole horizon -> label, in summary.csv's row order (from the registry).
HEADLINE: dict[str, str] = kpis.labels(kpis.HEADLINE)
SEEN_WITHIN_WD = 10.0  # the cost per child seen within this many working days of the contact
SEEN_WITHIN_KEYS = kpis.SEEN_WITHIN_KEYS


def seen_within_columns(seen: pd.DataFrame, ns: tuple[int, ...] = kpis.SEEN_WITHIN_WD) -> dict[str, pd.Series]:
    """Per child seen, 100 if seen within N working days of the referral (and of the contact),
    else 0, for each N in ``ns`` (the run's ``seen_within_working_days``): whole working days
    between the dates, as every working-day figure counts them (the same day is 0)."""
    return {kpis.seen_within_key(n, frm): 100.0 * (seen[col] <= n)
            for n in ns for frm, col in (("referral", "referral_working_days"),
                                                           ("contact", "working_days"))}


@dataclass(frozen=True)
class Queue:
    """A front-door backlog whose unbounded growth would make figures describe only survivors."""

    level: str                # its KPI name (``queue_intervals``, ``KPIS``)
    name: str                 # for people
    items: str                # what waits in it, for people
    caveat: str               # what its growth means for the figures, for people
    affects: tuple[str, ...]  # HEADLINE figures computed only from what got through it


# Figures downstream of the MASH: only decided contacts become referrals, are seen, assessed,
# allocated and costed per child, so an overloaded MASH throttles them all (and its own
# timeliness counts only the contacts it decided).  Left out: contacts (the demand itself) and
# the workforce figures (turnover does not depend on cases unless turnover.caseload_elasticity
# is set).  Downstream of allocation: the waits to be seen and assessed, which count only the
# children who got a worker.
_SEEN = ("threshold_to_seen_median", "threshold_to_seen_p90", "threshold_to_seen_p95", "threshold_to_seen_p99",
         "threshold_to_seen_max", "seen_over_six_weeks", "assessments_within_45wd_pct", "cost_per_child_seen_10wd")
_ALLOCATION = ("waiting_for_allocation_end", "waiting_for_allocation_mean")
_TRANSFER = ("waiting_for_long_term_worker_end", "waiting_for_long_term_worker_mean")
_CHANGES = tuple(f"changes_{r.lower()}" for r in CHANGE_REASONS)
QUEUES: dict[str, Queue] = {
    "mash": Queue("awaiting_mash_decision", "MASH queue", "contacts awaiting a decision",
                  "figures about MASH decisions describe only the contacts that were decided",
                  ("referrals", "mash_within_1wd_pct", "awaiting_mash_decision_end", "awaiting_mash_decision_mean",
                   *_SEEN, *_ALLOCATION, *_TRANSFER, "caseload_per_fte_mean", "changes_per_child",
                   "reallocations_per_child", "three_plus_changes_pct", "rereferral_pct", "repeat_cp_pct", *_CHANGES)),
    "allocation": Queue("waiting_for_allocation", "allocation queue", "children waiting for a social worker",
                        "waits to be seen and assessed describe only the children who were allocated a social worker",
                        (*_SEEN, *_ALLOCATION)),
    "transfer": Queue("waiting_for_long_term_worker", "long-term transfer queue",
                      "children on a plan waiting for a long-term social worker",
                      "caseloads and changes of worker describe only the children who reached a long-term worker",
                      (*_TRANSFER, "caseload_per_fte_mean", "changes_per_child", "three_plus_changes_pct", *_CHANGES)),
}
# summary.csv rows after HEADLINE: the trend test of each queue over the second half of the horizon.
QUEUE_TREND: dict[str, str] = kpis.labels(kpis.QUEUE_TREND)


def queue_figures(v: LogViews, t0: float, t1: float, span: slice) -> dict[str, np.ndarray]:
    """Per replication (arrays in ``v.reps`` order) over the window [t0, t1) of months ``span``:
    each backlog's time average (``<level>_mean``), its level half-way through
    (``<level>_midway``) and whether it grows without bound over the second half
    (``<queue>_queue_unstable_pct``: 100 or 0, from ``sim.stability.queue_trend``)."""
    a, b = second_half(t0, t1)
    first_day = int(v.edges[0])
    lengths = np.diff(v.edges)[span]
    out = {}
    for key, q in QUEUES.items():
        # The time average over the window from the exact monthly ones, weighted by month length.
        out[f"{q.level}_mean"] = (v.means[f"{q.level}_mean"][:, span] * lengths).sum(axis=1) / lengths.sum()
        out[f"{q.level}_midway"] = level_at(v.queues[q.level], np.array([float(a)]), v.reps)[:, 0]
        daily = v.daily[q.level][:, a - first_day:b - first_day]
        out[f"{key}_queue_unstable_pct"] = np.array([100.0 * queue_trend(d).unstable for d in daily])
    return out


def window_kpis(df: pd.DataFrame, cfg: RunConfig, months: list[tuple[dt.date, float, float]] | None = None,
                views: LogViews | None = None) -> pd.DataFrame:
    """Headline KPIs (``HEADLINE``) and the queue trend figures (``QUEUE_TREND``) per replication over
    consecutive forecast months (default: all)."""
    v = views or log_views(df, cfg)
    months = months or v.months
    first = v.months.index(months[0])
    span = slice(first, first + len(months))
    if v.months[span] != list(months):
        raise ValueError("window_kpis needs consecutive forecast months")
    t0, t1 = months[0][1], months[-1][2]
    reps = v.reps
    ns = tuple(cfg.seen_within_working_days)
    inside = (df["t"] >= t0) & (df["t"] < t1)
    mash = v.mash[(v.mash["decided"] >= t0) & (v.mash["decided"] < t1)]
    seen = v.seen[(v.seen["seen"] >= t0) & (v.seen["seen"] < t1)]
    asm = v.asm[(v.asm["completed"] >= t0) & (v.asm["completed"] < t1)]
    levels = {k: a[:, span] for k, a in v.levels.items()}
    wf = {k: a[:, span] for k, a in v.workforce.items()}
    per_child = changes_per_child(df, t0, t1).reindex(reps)
    refs = referral_history(df)
    refs = refs[(refs["t"] >= t0) & (refs["t"] < t1)].groupby("replication")["rereferral"].mean()
    cps = cp_plan_starts(df)
    cps = cps[(cps["t"] >= t0) & (cps["t"] < t1)].groupby("replication")["subsequent"].mean()
    ch = changes_of_worker(df)
    by_reason = ch[(ch["t"] >= t0) & (ch["t"] < t1)].groupby(["replication", "reason"]).size()
    queues = queue_figures(v, t0, t1, span)
    contacts = df.loc[inside & (df["event"] == "contact_received") & (df["reason"] != "opening_stock"),
                      "replication"].value_counts()
    referrals = df.loc[inside & (df["event"] == "referral_accepted") & (df["reason"] != "opening_stock"),
                       "replication"].value_counts()
    rows = []
    for i, r in enumerate(reps):
        w = seen.loc[seen["replication"] == r, "wait_days"]
        md = mash.loc[mash["replication"] == r, "working_days"]
        ad = asm.loc[asm["replication"] == r, "working_days"]
        cost = float(wf["cost"][i].sum())
        quick = float((seen.loc[seen["replication"] == r, "working_days"] <= SEEN_WITHIN_WD).sum())
        rows.append({
            "replication": r,
            "contacts": float(contacts.get(r, 0)),
            "referrals": float(referrals.get(r, 0)),
            "mash_within_1wd_pct": 100.0 * float((md <= MASH_DECISION_WD).mean()) if len(md) else np.nan,
            "awaiting_mash_decision_end": float(levels["awaiting_mash_decision"][i, -1]),
            "awaiting_mash_decision_mean": float(queues["awaiting_mash_decision_mean"][i]),
            "threshold_to_seen_median": _pct(w, 50),
            "threshold_to_seen_p90": _pct(w, 90),
            "threshold_to_seen_p95": _pct(w, 95),
            "threshold_to_seen_p99": _pct(w, 99),
            "threshold_to_seen_max": float(w.max()) if len(w) else np.nan,
            "seen_over_six_weeks": float((w > SIX_WEEKS_DAYS).sum()),
            **{key: float(within[key].mean()) if len(within) else np.nan
               for within in [seen_within_columns(seen[seen["replication"] == r], ns)] for key in within},
            "assessments_within_45wd_pct": 100.0 * float(within_statutory_assessment(ad).mean()) if len(ad) else np.nan,
            "waiting_for_allocation_end": float(levels["waiting_for_allocation"][i, -1]),
            "waiting_for_allocation_mean": float(queues["waiting_for_allocation_mean"][i]),
            "waiting_for_long_term_worker_end": float(levels["waiting_for_long_term_worker"][i, -1]),
            "waiting_for_long_term_worker_mean": float(queues["waiting_for_long_term_worker_mean"][i]),
            "rereferral_pct": 100.0 * float(refs.get(r, np.nan)),
            "repeat_cp_pct": 100.0 * float(cps.get(r, np.nan)),
            "caseload_per_fte_mean": float(np.nanmean(levels["caseload_per_fte"][i])),
            "changes_per_child": float(per_child.loc[r, "changes_per_child"]),
            "reallocations_per_child": float(per_child.loc[r, "reallocations_per_child"]),
            "three_plus_changes_pct": float(per_child.loc[r, "three_plus_changes_pct"]),
            **{f"changes_{reason.lower()}": float(by_reason.get((r, reason), 0)) for reason in CHANGE_REASONS},
            "agency_share_pct": float(np.nanmean(wf["agency_share_pct"][i])),
            "vacancies_mean": float(np.mean(wf["vacancies"][i])),
            "vacancy_rate_pct_mean": float(np.nanmean(wf["vacancy_rate_pct"][i])),
            "leavers": float(wf["leavers"][i].sum()),
            "cost": cost,
            "cost_per_child_seen_10wd": cost / quick if quick else np.nan,
            **{kpi: float(queues[kpi][i]) for kpi in QUEUE_TREND},
        })
    return pd.DataFrame(rows)


def horizon_summary(df: pd.DataFrame, cfg: RunConfig) -> pd.DataFrame:
    """Headline KPIs over the whole forecast horizon, per replication then summarised."""
    return summary_from_window(window_kpis(df, cfg))


def summary_from_window(per_rep: pd.DataFrame) -> pd.DataFrame:
    """Headline KPIs summarised across replications, with the replication-count diagnostic, then
    the queue trend rows (``QUEUE_TREND``, when ``per_rep`` has them) and, on every row, the
    unstable queues the figure depends on (``unstable_queue``)."""
    rows = []
    for kpi, label in {**kpis.labels(kpis.present(kpis.HEADLINE, per_rep.columns)),
                       **{k: v for k, v in QUEUE_TREND.items() if k in per_rep}}.items():
        x = per_rep[kpi].to_numpy(float)
        s = spread(x)
        rows.append({"kpi": kpi, "label": label, **s, **precision(x[~np.isnan(x)])})
    out = pd.DataFrame(rows)
    out["unstable_queue"] = unstable_queues(out)
    return out


def queue_rows(key: str) -> tuple[str, ...]:
    """summary.csv rows about queue ``key`` itself or computed from what got through it."""
    q = QUEUES[key]
    return (*q.affects, f"{q.level}_end", f"{q.level}_mean", f"{q.level}_midway", f"{key}_queue_unstable_pct")


def unstable(summary: pd.DataFrame) -> list[str]:
    """The queues (``QUEUES`` keys) that grow without bound in a majority of replications."""
    by_kpi = summary.set_index("kpi")["mean"]
    return [key for key in QUEUES
            if f"{key}_queue_unstable_pct" in by_kpi and unstable_overall(by_kpi[f"{key}_queue_unstable_pct"])]


def unstable_queues(summary: pd.DataFrame) -> list[str]:
    """Per summary row: the unstable queues its figure depends on, ';'-separated ("" if none)."""
    bad = unstable(summary)
    return [";".join(key for key in bad if kpi in queue_rows(key)) for kpi in summary["kpi"]]


def queue_warnings(summary: pd.DataFrame) -> list[str]:
    """One plain sentence per queue that grows without bound, with its rise over the second half."""
    by_kpi = summary.set_index("kpi")["mean"]
    out = []
    for key in unstable(summary):
        q = QUEUES[key]
        rise = f"{q.items} rose from {by_kpi[f'{q.level}_midway']:,.0f} to {by_kpi[f'{q.level}_end']:,.0f}"
        out.append(f"Warning: the {q.name} grows without bound over the second half of the forecast ({rise}): "
                   f"{q.caveat}.")
    return out


# ---------------------------------------------------------------- was the warm-up long enough?

# The headline series MSER-5 looks at, from the first simulated day (the start of the warm-up).
WARMUP_SERIES = ("open_cases", "waiting_for_allocation", "awaiting_mash_decision")


def warmup_series(df: pd.DataFrame, cfg: RunConfig, views: LogViews | None = None) -> pd.DataFrame:
    """One replication's daily time-averaged levels of ``WARMUP_SERIES`` from the first
    simulated day to the horizon: replication, day (t of the day's start), one column a series."""
    start = parse_date("start_date", cfg.start_date)
    first = float((add_months(start, -cfg.warmup_months) - start).days)
    last = float((horizon_end(cfg) - start).days)
    days = np.arange(first, last + 1.0)
    reps = sorted(df["replication"].unique().tolist())
    queues = views.queues if views is not None else queue_intervals(df)
    sources = {"open_cases": open_cases(df), **queues}
    out = [pd.DataFrame({"replication": r, "day": days[:-1]}) for r in reps]
    frame = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["replication", "day"])
    for name in WARMUP_SERIES:
        frame[name] = mean_level(sources[name], days, reps).reshape(-1)
    return frame


def warmup_verdict(daily: pd.DataFrame, cfg: RunConfig) -> dict:
    """MSER-5 on each headline series averaged over replications: the start-up it finds (days
    from the start of the warm-up) and whether ``warmup_months`` covered it."""
    start = parse_date("start_date", cfg.start_date)
    warmup_days = int((start - add_months(start, -cfg.warmup_months)).days)
    mean = daily.groupby("day")[list(WARMUP_SERIES)].mean().sort_index()
    series = {}
    for name in WARMUP_SERIES:
        cut = mser_truncation(mean[name].to_numpy())
        series[name] = {"start_up_days": cut, "enough": cut <= warmup_days}
    return {"warmup_months": cfg.warmup_months, "warmup_days": warmup_days, "method": "MSER-5",
            "series": series, "enough": all(v["enough"] for v in series.values())}


def warmup_sentence(verdict: dict) -> str:
    """The verdict in one line for the terminal."""
    worst = max(verdict["series"].items(), key=lambda kv: kv[1]["start_up_days"])
    if verdict["enough"]:
        return (f"Warm-up: {verdict['warmup_months']} months; MSER-5 finds no start-up bias after day "
                f"{worst[1]['start_up_days']} of the run (of {verdict['warmup_days']} warm-up days): enough.")
    return (f"Warning: warm-up of {verdict['warmup_months']} months may be too short: MSER-5 finds start-up bias in "
            f"{worst[0].replace('_', ' ')} for {worst[1]['start_up_days']} days ({verdict['warmup_days']} warmed up); "
            f"raise warmup_months.")


# ---------------------------------------------------------------- are there enough replications?

PRECISION_TARGET = 0.05  # 95% CI half-width within 5% of the mean (docs/outputs.md)
# The figures the verdict judges: volumes, rates, central and 90th/95th-percentile waits, caseload
# and cost.  Left out, though summary.csv gives their precision columns: extremes (maximum, 99th
# percentile), counts of rare events (children seen after six weeks, 3+ changes, reallocations,
# leavers, vacancies: a few a month, driven by turnover) and the single month-end queue (often 0).
# Their relative precision needs thousands of replications by nature, not because the run is short.
PRECISION_KPIS = ("contacts", "referrals", "mash_within_1wd_pct", "threshold_to_seen_median",
                  "threshold_to_seen_p90", "threshold_to_seen_p95", "assessments_within_45wd_pct",
                  "caseload_per_fte_mean", "changes_per_child", "agency_share_pct", "cost",
                  "cost_per_child_seen_10wd")


def replications_needed(n: int, sd: float, mean: float, target: float = PRECISION_TARGET,
                        level: float = 0.95) -> int:
    """Smallest n' with t(level, n'-1) * sd / sqrt(n') <= target * |mean|, from the spread seen.

    Half-widths shrink as 1/sqrt(n), so the current sample's sd predicts the count needed (the
    usual sequential rule; re-check after running them, as sd is itself an estimate).
    """
    if sd == 0:
        return max(n, 2)
    goal = target * abs(mean)
    if goal == 0:
        raise ValueError("no relative precision is possible around a mean of 0")
    z = normal_quantile(0.5 + level / 2)
    k = max(2, int(np.ceil((z * sd / goal) ** 2)))  # normal approximation: a lower bound
    while t_quantile(0.5 + level / 2, k - 1) * sd / np.sqrt(k) > goal:
        k = max(k + 1, int(k * 1.01))
    # Step back to the smallest k that meets the goal (k*1.01 may have overshot).
    while k > 2 and t_quantile(0.5 + level / 2, k - 2) * sd / np.sqrt(k - 1) <= goal:
        k -= 1
    return k


def precision(x: np.ndarray) -> dict[str, float]:
    """Relative CI half-width, whether it meets the target, and the replications it would take.

    ``enough`` is 1.0 or 0.0, or NaN when the target cannot be judged: fewer than two
    replications, or a mean of zero with some spread (5% of zero is no tolerance at all).
    """
    n = len(x)
    out = {"ci95_rel_pct": np.nan, "enough": np.nan, "replications_needed": np.nan}
    if n < 2:
        return out
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    if sd == 0:
        return {"ci95_rel_pct": 0.0, "enough": 1.0, "replications_needed": float(n)}
    if mean == 0:
        return out
    half = t_quantile(0.975, n - 1) * sd / np.sqrt(n)
    needed = replications_needed(n, sd, mean)
    return {"ci95_rel_pct": 100.0 * half / abs(mean), "enough": float(half <= PRECISION_TARGET * abs(mean)),
            "replications_needed": float(needed)}


def precision_verdict(summary: pd.DataFrame, replications: int) -> str:
    """One or two sentences: are there enough replications for the headline figures?

    Figures computed from a queue that grows without bound (``unstable_queue``) are left out,
    and the sentence says so: their means drift with the length of the run, so no number of
    replications makes them precise estimates of anything.
    """
    if replications < 2:
        return ("One replication: no confidence intervals. Run replications=10 or more to see how "
                "precise the figures are.")
    candidates = summary[summary["kpi"].isin(PRECISION_KPIS)]
    drifting = candidates.get("unstable_queue", pd.Series("", index=candidates.index)).fillna("") != ""
    excluded, candidates = candidates[drifting], candidates[~drifting]
    judged = candidates[candidates["enough"].notna()]
    short = judged[judged["enough"] == 0.0].sort_values("replications_needed", ascending=False)
    text = (f"Replications: {replications} give a 95% CI within 5% of the mean for {len(judged) - len(short)} "
            f"of {len(judged)} headline figures")
    notes = []
    if len(excluded):
        queues = [QUEUES[k].name for k in QUEUES if excluded["unstable_queue"].str.contains(k).any()]
        notes.append(f"{len(excluded)} left out because the {' and the '.join(queues)} "
                     f"grow{'s' if len(queues) == 1 else ''} without bound")
    skipped = len(candidates) - len(judged)
    if skipped:
        notes.append(f"{skipped} not judged: a mean of 0, or fewer than two replications with a value")
    if notes:
        text += f" ({'; '.join(notes)})"
    if short.empty:
        return text + "."
    worst = short.iloc[0]
    need = int(worst["replications_needed"])
    return (text + f"; '{worst['label']}' needs about {need:,} ({need - replications:,} more), "
            f"see the replications_needed column of summary.csv.")
