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

from . import kpis
from .config import RunConfig
from .forecast import log_views, periods, spread, t_quantile, window_kpis
from .periods import financial_year, quarter
from .formats import fmt_number, fmt_signed


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
    half = t_quantile(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
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
    from scipy import stats  # Welch's degrees of freedom are not whole: not worth caching

    half = stats.t.ppf(0.5 + level / 2, dof) * np.sqrt(vx + vb)
    return Difference(m, m - half, m + half)


WHOLE = "whole horizon"


def comparison_periods(cfg: RunConfig) -> list[tuple[str, str, list]]:
    """The periods a comparison reports: (label, kind, forecast months): the horizon as a whole,
    then each financial year ("2024-25") and each financial-year quarter ("2024-25 Q3") that
    the forecast months touch (a period at either end may hold fewer months)."""
    months = periods(cfg)
    out = [(WHOLE, "horizon", months)]
    if months[0][0].day != 1:
        # Forecast "months" run from the 15th to the 14th, say: no financial year or quarter is
        # made of them, so the periods are blocks of three forecast months, named by their dates.
        for k in range(0, len(months), 3):
            chunk = months[k:k + 3]
            out.append((f"months {k + 1}-{k + len(chunk)} (from {chunk[0][0].isoformat()})", "block", chunk))
        return out
    for kind, name_of in (("year", financial_year), ("quarter", quarter)):
        groups: dict[str, list] = {}
        for m in months:
            groups.setdefault(name_of(m[0]), []).append(m)
        out.extend((label, kind, chunk) for label, chunk in groups.items())
    return out


def scenario_kpis(df: pd.DataFrame, cfg: RunConfig, views=None) -> pd.DataFrame:
    """Per replication and period: every headline KPI."""
    views = views or log_views(df, cfg)  # projected once, sliced per period
    frames = [window_kpis(df, cfg, months, views).assign(period=label, period_kind=kind, first_month=months[0][0],
                                                         months=len(months))
              for label, kind, months in comparison_periods(cfg)]
    return pd.concat(frames, ignore_index=True)


def comparison_table(per_scenario: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Rows: period x KPI x scenario, with spread across replications and the paired difference
    from the first scenario (95% CI)."""
    names = list(per_scenario)
    base = per_scenario[names[0]]
    rows = []
    for period in base["period"].drop_duplicates():
        b = base[base["period"] == period].sort_values("replication")
        kind = b["period_kind"].iloc[0] if "period_kind" in b else ""
        months = int(b["months"].iloc[0]) if "months" in b else None
        for kpi, label in kpis.labels(kpis.present(kpis.HEADLINE, b.columns)).items():
            for name in names:
                x = per_scenario[name]
                x = x[x["period"] == period].sort_values("replication")
                s = spread(x[kpi].to_numpy(float))
                d = paired_difference(x[kpi].to_numpy(float), b[kpi].to_numpy(float))
                rows.append({"period": period, "period_kind": kind, "months": months, "kpi": kpi, "label": label, "scenario": name,
                             "replications": len(x), "mean": s["mean"], "p10": s["p10"], "p50": s["p50"],
                             "p90": s["p90"], "diff_from_first": d.mean, "diff_ci95_low": d.low,
                             "diff_ci95_high": d.high})
    return pd.DataFrame(rows)


def replication_table(per_scenario: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every scenario's figures per replication and period (comparison_replications.csv): the rows
    the comparison's spreads and paired differences are taken over."""
    frames = [f.assign(scenario=name) for name, f in per_scenario.items()]
    out = pd.concat(frames, ignore_index=True)
    lead = ["scenario", "period", "period_kind", "replication"]
    return out[lead + list(kpis.present(kpis.HEADLINE, out.columns))]


QUARTERLY = ("threshold_to_seen_p90", "seen_within_10wd_of_referral_pct", "mash_within_1wd_pct",
             "waiting_for_allocation_end", "changes_per_child", "vacancies_mean", "agency_share_pct", "cost")


def _cell(r) -> str:
    unit = "%" if kpis.REGISTRY[r["kpi"]].percent else ""
    return f"{fmt_number(r['mean'])}{unit} ({fmt_number(r['p10'])}–{fmt_number(r['p90'])})"


def _diff(r) -> str:
    return f"{fmt_signed(r['diff_from_first'])} [{fmt_signed(r['diff_ci95_low'])}, {fmt_signed(r['diff_ci95_high'])}]"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")


def comparison_markdown(table: pd.DataFrame, title: str, findings: list[str] = ()) -> str:
    """The comparison as plain Markdown (pastes into Word: no HTML): the findings, the whole
    horizon, each financial year, then each headline figure quarter by quarter."""
    names = list(table["scenario"].drop_duplicates())
    first = names[0]
    lines = [f"# {_md(title)}", "",
             f"Each scenario's cell: mean (10th–90th percentile) over replications. Each \"− {_md(first)}\" column: "
             f"the difference from **{_md(first)}** with its 95% confidence interval from paired replications "
             "(common random numbers).", ""]
    if findings:
        lines += ["## What the comparison says", ""] + [f"- {_md(f)}" for f in findings] + [""]
    header = ["figure"]
    for n in names:
        header += [n] if n == first else [n, f"{n} − {first}"]

    def table_lines(rows: list[list[str]], head: list[str]) -> list[str]:
        out = ["| " + " | ".join(_md(h) for h in head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
        return out + [""]

    def by_figure(period: str, keys) -> list[str]:
        t = table[table["period"] == period]
        rows = []
        for kpi in keys:
            cells = [kpis.label(kpi)]
            for n in names:
                r = t[(t["kpi"] == kpi) & (t["scenario"] == n)].iloc[0]
                cells += [_cell(r)] if n == first else [_cell(r), _diff(r)]
            rows.append(cells)
        return table_lines(rows, header)

    kinds = table.drop_duplicates("period").set_index("period")["period_kind"] if "period_kind" in table else None
    all_periods = list(table["period"].drop_duplicates())
    lines += [f"## {all_periods[0]}", ""] + by_figure(all_periods[0], list(table["kpi"].drop_duplicates()))
    years = [p for p in all_periods[1:] if kinds is not None and kinds[p] == "year"]
    quarters_ = [p for p in all_periods[1:] if kinds is None or kinds[p] != "year"]
    quarterly = kpis.present(QUARTERLY, table["kpi"].unique())  # the run's own "seen within N" figures
    for y in years:
        lines += [f"## Financial year {y}", ""] + by_figure(y, quarterly)
    if quarters_:
        lines += ["## Quarter by quarter", ""]
        for kpi in quarterly:
            rows = []
            for q in quarters_:
                t = table[(table["period"] == q) & (table["kpi"] == kpi)].set_index("scenario")
                cells = [q]
                for n in names:
                    cells += [_cell(t.loc[n])] if n == first else [_cell(t.loc[n]), _diff(t.loc[n])]
                rows.append(cells)
            lines += [f"### {kpis.label(kpi)}", ""] + table_lines(rows, ["quarter", *header[1:]])
    return "\n".join(lines) + "\n"
