"""Scoring a forecast made from a council's records against what the records say happened next.

Both sides are projections of an event log by the same functions: the simulated replications'
logs, and the records written as a log (``sim.extracts.as_log``).  ``SCORED`` lists the monthly
figures the records can carry; each month's actual figure is set beside the replications' 10th,
50th and 90th percentiles, and ``coverage`` says how often the 80% interval held it (against the
``nominal`` a perfect model would reach with that many replications, ``sim.national.nominal_coverage``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .national import nominal_coverage
from .projections.published import open_at, plan_spells

# Monthly figures the records carry (docs/backtest.md): counts over the month, and levels at its end.
SCORED: tuple[str, ...] = ("contacts", "referrals", "assessments_completed", "open_cases", "waiting_for_allocation",
                           "cin_open", "cp_open", "lac_open", "rereferral_pct", "changes_of_worker")
PLANS_OPEN = {"cin_open": "cin", "cp_open": "cp", "lac_open": "lac"}
LABELS = {"cin_open": "Children on a CIN plan at month end", "cp_open": "Children on a CP plan at month end",
          "lac_open": "Children looked after at month end"}


def plans_open(df: pd.DataFrame, month_ends: np.ndarray) -> pd.DataFrame:
    """Plans open at each month end (clock times ``month_ends``), per replication: one row per
    (replication, month) with ``cin_open``, ``cp_open`` and ``lac_open``."""
    spells = plan_spells(df)
    rows = []
    for rep in sorted(df["replication"].unique().tolist()):
        mine = spells[spells["replication"] == rep]
        for k, m in enumerate(month_ends):
            row = {"replication": rep, "month": k}
            for key, plan in PLANS_OPEN.items():
                p = mine[mine["plan"] == plan]
                row[key] = int(open_at(p["start"], p["end"], m).sum())
            rows.append(row)
    return pd.DataFrame(rows)


def score_months(simulated: pd.DataFrame, actual: pd.DataFrame, labels: list[str],
                 keys: tuple[str, ...] = SCORED) -> pd.DataFrame:
    """One row per (figure, month): the actual figure, the replications' 10th/50th/90th percentiles,
    whether the interval held it, and the median's error.  ``simulated`` has one row per
    (replication, month), ``actual`` one per month; both carry ``month`` and the figures."""
    rows = []
    for key in keys:
        for month, label in enumerate(labels):
            sims = simulated.loc[simulated["month"] == month, key].dropna().to_numpy(float)
            got = actual.loc[actual["month"] == month, key]
            if not len(sims) or got.isna().all():
                continue
            a = float(got.iloc[0])
            lo, mid, hi = np.percentile(sims, [10, 50, 90])
            rows.append({"figure": key, "month": label, "actual": a, "p10": lo, "median": mid, "p90": hi,
                         "inside": bool(lo <= a <= hi), "below": bool(a < lo), "above": bool(a > hi),
                         "error": mid - a, "abs_pct_error": abs(mid - a) / abs(a) * 100 if a else np.nan,
                         "replications": len(sims)})
    return pd.DataFrame(rows)


def coverage(scored: pd.DataFrame) -> pd.DataFrame:
    """Per figure: months scored, how many the 80% interval held, coverage against nominal, and the
    median's mean absolute error and mean absolute percentage error."""
    rows = []
    for key, g in scored.groupby("figure", sort=False):
        n = int(g["replications"].min())
        rows.append({"figure": key, "months": len(g), "inside": int(g["inside"].sum()),
                     "coverage_pct": 100 * g["inside"].mean(), "nominal_pct": 100 * float(nominal_coverage(n)),
                     "below": int(g["below"].sum()), "above": int(g["above"].sum()),
                     "mean_abs_error": g["error"].abs().mean(), "mean_abs_pct_error": g["abs_pct_error"].mean()})
    out = pd.DataFrame(rows)
    if len(out):
        total = {"figure": "all", "months": int(out["months"].sum()), "inside": int(out["inside"].sum()),
                 "coverage_pct": 100 * out["inside"].sum() / out["months"].sum(),
                 "nominal_pct": float(out["nominal_pct"].mean()), "below": int(out["below"].sum()),
                 "above": int(out["above"].sum()), "mean_abs_error": np.nan,
                 "mean_abs_pct_error": float(scored["abs_pct_error"].mean())}
        out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    return out
