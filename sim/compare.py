"""Scenario comparison with common random numbers.

Replication k of every scenario uses the streams keyed (seed, k, process), so the scenarios
see the same demand and the same draw sequences: differences between scenarios are measured
pairwise, replication by replication, which gives much tighter intervals than comparing two
independent sets of runs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .config import RunConfig
from .forecast import HEADLINE, log_views, periods, spread, window_kpis
from .report import fmt_number, fmt_signed


@dataclass(frozen=True)
class Difference:
    mean: float
    low: float
    high: float


def paired_difference(x: np.ndarray, base: np.ndarray, level: float = 0.95) -> Difference:
    """Mean of x - base over paired replications with its t confidence interval."""
    ok = ~(np.isnan(x) | np.isnan(base))
    d = np.asarray(x, float)[ok] - np.asarray(base, float)[ok]
    if len(d) == 0:
        return Difference(np.nan, np.nan, np.nan)
    m = float(d.mean())
    if len(d) < 2 or d.std(ddof=1) == 0:
        return Difference(m, m, m)
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return Difference(m, m - half, m + half)


def unpaired_difference(x: np.ndarray, base: np.ndarray, level: float = 0.95) -> Difference:
    """Welch interval for the same difference, ignoring the pairing (for reference)."""
    x, base = np.asarray(x, float), np.asarray(base, float)
    x, base = x[~np.isnan(x)], base[~np.isnan(base)]
    m = float(x.mean() - base.mean())
    vx, vb = x.var(ddof=1) / len(x), base.var(ddof=1) / len(base)
    if vx + vb == 0:
        return Difference(m, m, m)
    dof = (vx + vb) ** 2 / (vx ** 2 / (len(x) - 1) + vb ** 2 / (len(base) - 1))
    half = stats.t.ppf(0.5 + level / 2, dof) * np.sqrt(vx + vb)
    return Difference(m, m - half, m + half)


def quarters(cfg: RunConfig) -> list[tuple[str, list]]:
    """The horizon as a whole, then in quarters of three forecast months."""
    months = periods(cfg)
    out = [("whole horizon", months)]
    for q in range(0, len(months), 3):
        chunk = months[q:q + 3]
        label = f"Q{q // 3 + 1} ({chunk[0][0].isoformat()[:7]} to {chunk[-1][0].isoformat()[:7]})"
        out.append((label, chunk))
    return out


def scenario_kpis(df: pd.DataFrame, cfg: RunConfig) -> pd.DataFrame:
    """Per replication and period: every headline KPI."""
    views = log_views(df, cfg)  # projected once, sliced per period
    frames = [window_kpis(df, cfg, months, views).assign(period=label) for label, months in quarters(cfg)]
    return pd.concat(frames, ignore_index=True)


def comparison_table(per_scenario: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows: period x KPI x scenario, with spread across replications and the paired difference
    from the first scenario (95% CI)."""
    names = list(per_scenario)
    base = per_scenario[names[0]]
    rows = []
    for period in base["period"].drop_duplicates():
        b = base[base["period"] == period].sort_values("replication")
        for kpi, label in HEADLINE.items():
            for name in names:
                x = per_scenario[name]
                x = x[x["period"] == period].sort_values("replication")
                s = spread(x[kpi].to_numpy(float))
                d = paired_difference(x[kpi].to_numpy(float), b[kpi].to_numpy(float))
                rows.append({"period": period, "kpi": kpi, "label": label, "scenario": name,
                             "replications": len(x), "mean": s["mean"], "p10": s["p10"], "p50": s["p50"],
                             "p90": s["p90"], "diff_from_first": d.mean, "diff_ci95_low": d.low,
                             "diff_ci95_high": d.high})
    return pd.DataFrame(rows)


def comparison_markdown(table: pd.DataFrame, title: str) -> str:
    """The comparison as Markdown: the whole horizon, then the quarters for the headline waits and cost."""
    names = list(table["scenario"].drop_duplicates())
    lines = [f"# {title}", "",
             f"Each cell: mean (10th-90th percentile) over replications; below it, the difference from "
             f"**{names[0]}** with its 95% confidence interval from paired replications (common random numbers).", ""]

    def block(period: str, kpis: list[str]) -> None:
        lines.append(f"## {period}")
        lines.append("")
        lines.append("| figure | " + " | ".join(names) + " |")
        lines.append("|---|" + "---:|" * len(names))
        t = table[table["period"] == period]
        for kpi in kpis:
            cells = []
            for name in names:
                r = t[(t["kpi"] == kpi) & (t["scenario"] == name)].iloc[0]
                cell = f"{fmt_number(r['mean'])} ({fmt_number(r['p10'])}-{fmt_number(r['p90'])})"
                if name != names[0]:
                    cell += (f"<br>{fmt_signed(r['diff_from_first'])} "
                             f"[{fmt_signed(r['diff_ci95_low'])}, {fmt_signed(r['diff_ci95_high'])}]")
                cells.append(cell)
            lines.append(f"| {HEADLINE[kpi]} | " + " | ".join(cells) + " |")
        lines.append("")

    periods_ = list(table["period"].drop_duplicates())
    block(periods_[0], list(HEADLINE))
    for p in periods_[1:]:
        block(p, ["threshold_to_seen_p90", "mash_within_1wd_pct", "waiting_for_allocation_end",
                  "changes_per_child", "vacancies_mean", "agency_share_pct", "cost"])
    return "\n".join(lines) + "\n"
