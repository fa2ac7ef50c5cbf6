"""Headline findings as sentences, generated from a folder's tables (never typed by hand).

A run's findings come from summary.csv and forecast.csv, a comparison's from comparison.csv
and comparison_replications.csv, a validation's from validation.csv.  The sentences name
their figures by the registry's labels (``sim.kpis``) and their periods as councils do
(``sim.periods``).  Each function here is pure: tables and plain config dicts in, sentences
and small tables out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import kpis
from ..config import TEAM_LABELS
from ..periods import months_between, quarter, quarter_span
from ..forecast import SIX_WEEKS_DAYS  # the six weeks every table and sentence counts
from ..formats import fmt_number

# The figures whose return to the baseline a comparison reports, for every dated end of money.
RETURN_KPIS = ("threshold_to_seen_p90", "seen_within_10wd_of_referral_pct", "mash_within_1wd_pct",
               "waiting_for_allocation_end", "changes_per_child", "agency_share_pct", "cost")


def seen_within_for_people(keys, frm: str = "referral") -> str | None:
    """The "% seen within N working days of ``frm``" figure a sentence quotes from ``keys`` (a
    table's figures): N = 10 where the run has it, else the largest N up to 10, else the smallest."""
    ns = sorted(n for k in keys if (w := kpis.seen_within_n(k)) and w[1] == frm for n in [w[0]])
    if not ns:
        return None
    n = 10 if 10 in ns else max([x for x in ns if x <= 10] or [ns[0]])
    return kpis.seen_within_key(n, frm)


def shown(key: str, value: float, difference: bool = False) -> str:
    """A figure with its unit, for a sentence: "42.5 days", "81.0%", "£1,234,567", "54 children";
    a ``difference`` of percentages is in percentage points."""
    k = kpis.REGISTRY[key]
    if value != value:
        return "not defined"
    if k.percent:
        return f"{fmt_number(value)} percentage points" if difference else f"{fmt_number(value)}%"
    if k.unit == "pounds":
        return f"£{value:,.0f}"
    return f"{fmt_number(value)} {k.unit}"


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


# ---------------------------------------------------------------- funding that ends


@dataclass(frozen=True)
class Ending:
    """A dated end of money in a scenario's funding schedule."""

    what: str            # "the money for 8 temporary mash posts"
    last_day: dt.date    # the last funded day
    first_day_after: dt.date

    def sentence_part(self) -> str:
        return f"{self.what} ends on {long_date(self.last_day)}"


def _action_key(a: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in a.items()))


def endings(config: dict, baseline: dict | None = None) -> list[Ending]:
    """Every funding action of ``config`` with an end date, less those the baseline has too."""
    actions = (config.get("service") or {}).get("funding") or []
    same = {_action_key(a) for a in ((baseline or {}).get("service") or {}).get("funding") or []}
    by_day: dict[dt.date, list[str]] = {}
    for a in actions:
        if _action_key(a) in same:
            continue
        team = TEAM_LABELS.get(a.get("team"), "every team's")
        if a.get("action") == "add_posts" and a.get("until"):
            last = dt.date.fromisoformat(a["until"])
            what = f"{a.get('count')} {a.get('funding', 'temporary')} {team} posts"
        elif a.get("action") == "end_temporary_posts":
            last = dt.date.fromisoformat(a["date"]) - dt.timedelta(days=1)
            what = f"the temporary {team} posts"
        elif a.get("action") == "retention_package" and a.get("until"):
            last = dt.date.fromisoformat(a["until"])
            what = "the retention package"
        else:
            continue
        by_day.setdefault(last, []).append(what)
    # Money that ends the same day ends once: one sentence, not one per action.
    return [Ending("the money for " + _and(whats), last, last + dt.timedelta(days=1))
            for last, whats in sorted(by_day.items())]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _within(r) -> bool:
    """Whether a comparison row's paired 95% interval for the difference holds 0."""
    lo, hi = r["diff_ci95_low"], r["diff_ci95_high"]
    return bool(lo == lo and hi == hi and lo <= 0 <= hi)


def returns_to_baseline(table: pd.DataFrame, configs: dict[str, dict]) -> pd.DataFrame:
    """For every scenario after the first and every dated end of its money: when each of
    ``RETURN_KPIS`` returns to within its interval of the baseline (the paired 95% interval of
    its difference from the first scenario holds 0), quarter by quarter (decision 0027).

    A figure that differed in the last quarter before the end returns in the first quarter after
    it whose interval holds 0.  One that did not differ before is followed from the first quarter
    after the end in which it does differ (``differs_from``), if any, to its return.

    Columns: scenario, ending, last_funded_day, kpi, label, quarter_before, diff_before,
    differs_before, differs_from, returns_in, months_after, stays, diff, diff_ci95_low,
    diff_ci95_high, sentence."""
    names = list(table["scenario"].drop_duplicates())
    q = table[table.get("period_kind", pd.Series("", index=table.index)) == "quarter"]
    order = list(q["period"].drop_duplicates())
    rows = []
    for name in names[1:]:
        for end in endings(configs.get(name, {}), configs.get(names[0], {})):
            before = [p for p in order if quarter_span(p)[1] <= end.first_day_after]
            after = [p for p in order if quarter_span(p)[1] > end.first_day_after]
            for kpi in kpis.present(RETURN_KPIS, q["kpi"].unique()):
                t = q[(q["scenario"] == name) & (q["kpi"] == kpi)].set_index("period")
                if t.empty:
                    continue
                rows.append(_return_row(name, names[0], end, kpi, t, before, after))
    columns = ["scenario", "ending", "last_funded_day", "kpi", "label", "quarter_before", "diff_before",
               "differs_before", "differs_from", "returns_in", "months_after", "stays", "diff", "diff_ci95_low",
               "diff_ci95_high", "sentence"]
    return pd.DataFrame(rows, columns=columns)


def _return_row(name: str, first: str, end: Ending, kpi: str, t: pd.DataFrame, before: list[str],
                after: list[str]) -> dict:
    row = {"scenario": name, "ending": end.what, "last_funded_day": end.last_day.isoformat(), "kpi": kpi,
           "label": kpis.label(kpi)}
    prev = t.loc[before[-1]] if before else None
    row["quarter_before"] = before[-1] if before else ""
    row["diff_before"] = float(prev["diff_from_first"]) if prev is not None else np.nan
    row["differs_before"] = bool(prev is not None and not _within(prev))
    # Where the search for a return starts: at once if it differed before; else from the first
    # quarter after the end in which it differs (an effect that shows only once the money ends).
    start = 0 if row["differs_before"] else next((i for i, p in enumerate(after) if not _within(t.loc[p])), None)
    row["differs_from"] = after[start] if start is not None and not row["differs_before"] else ""
    back = None if start is None else next((p for p in after[start:] if _within(t.loc[p])), None)
    row["returns_in"] = back or ""
    row["months_after"] = (max(0, months_between(end.first_day_after, quarter_span(back)[0])) if back else np.nan)
    row["stays"] = bool(back and all(_within(t.loc[p]) for p in after[after.index(back):]))
    at = t.loc[back] if back else (t.loc[after[-1]] if after else None)
    for c in ("diff_from_first", "diff_ci95_low", "diff_ci95_high"):
        row[c.replace("_from_first", "")] = float(at[c]) if at is not None else np.nan
    reps = t["replications"].iloc[0] if "replications" in t else None
    n = f"{int(reps)} paired replications" if reps is not None and reps == reps else ""
    row["sentence"] = _return_sentence(name, first, end, row, after, n)
    return row


def _signed_interval(row: dict) -> str:
    return (f"{fmt_number(row['diff'], sign=True)} [{fmt_number(row['diff_ci95_low'], sign=True)}, "
            f"{fmt_number(row['diff_ci95_high'], sign=True)}]")


def _return_sentence(name: str, first: str, end: Ending, row: dict, after: list[str], n: str) -> str:
    label = row["label"][0].lower() + row["label"][1:]
    if not after:
        return f"Under {name}, {end.sentence_part()}, after the forecast's last quarter."
    lead = f"Under {name}, {end.sentence_part()}: {label}"
    reps = f" ({n})" if n else ""
    if not row["differs_before"] and row["quarter_before"]:
        lead += (f" was no different from {first} in {row['quarter_before']}, the last quarter before (difference "
                 f"{fmt_number(row['diff_before'], sign=True)})")
        if not row["differs_from"]:
            return f"{lead}, nor in any quarter after{reps}."
        lead += f"; it differs from {row['differs_from']}"
    if not row["returns_in"]:
        return (f"{lead} and does not return to within its interval of {first} by the end of the forecast "
                f"({after[-1]}: difference {_signed_interval(row)}{', ' + n if n else ''}).")
    if row["returns_in"] == quarter(end.last_day):
        when = "in the quarter the money ends"
    elif row["months_after"] == 0:
        when = "the first quarter after the money ends"
    else:
        m = int(row["months_after"])
        when = f"{m} month{'s' if m != 1 else ''} after the money ends"
    stays = "" if row["stays"] else " (but differs again in a later quarter)"
    verb = "and returns" if row["differs_from"] else "returns"
    return f"{lead} {verb} to within its interval of {first} in {row['returns_in']}, {when}{stays}{reps}."


def six_weeks_after_endings(per_rep: pd.DataFrame, configs: dict[str, dict]) -> list[str]:
    """For every scenario with a dated end of money: in which quarter after it the median (across
    replications) 90th-percentile wait from contact to seen is first above six weeks, and in how
    many replications it is above in that quarter.  ``per_rep``: comparison_replications.csv."""
    names = list(per_rep["scenario"].drop_duplicates())
    q = per_rep[per_rep["period_kind"] == "quarter"]
    order = list(q["period"].drop_duplicates())
    out = []
    for name in names[1:]:
        for end in endings(configs.get(name, {}), configs.get(names[0], {})):
            after = [p for p in order if quarter_span(p)[1] > end.first_day_after]
            if not after:
                continue
            x = q[q["scenario"] == name]
            n = int(x["replication"].nunique())
            above = None
            for p in after:
                waits = x.loc[x["period"] == p, "threshold_to_seen_p90"].to_numpy(float)
                if np.nanmedian(waits) > SIX_WEEKS_DAYS:
                    above = (p, int((waits > SIX_WEEKS_DAYS).sum()))
                    break
            if above:
                months = max(0, months_between(end.first_day_after, quarter_span(above[0])[0]))
                when = ("in the quarter the money ends" if above[0] == quarter(end.last_day)
                        else f"{months} month{'s' if months != 1 else ''} after {end.what} ends on "
                             f"{long_date(end.last_day)}")
                out.append(f"Under {name} the 90th-percentile wait from contact to seen is above six weeks in "
                           f"{above[0]}, {when}, in {above[1]} of {n} replications.")
            else:
                last = x.loc[x["period"] == after[-1], "threshold_to_seen_p90"].to_numpy(float)
                out.append(f"Under {name} the 90th-percentile wait from contact to seen stays at or below six weeks "
                           f"(median across replications) in every quarter after {end.what} ends on "
                           f"{long_date(end.last_day)}; in {after[-1]} it is above in {int((last > SIX_WEEKS_DAYS).sum())} "
                           f"of {n} replications.")
    return out


def comparison_findings(table: pd.DataFrame, per_rep: pd.DataFrame, configs: dict[str, dict]) -> list[str]:
    """A comparison's headline sentences: the whole horizon's main differences, then what happens
    when each scenario's money ends."""
    names = list(table["scenario"].drop_duplicates())
    whole = table[table["period"] == table["period"].iloc[0]]
    out = []
    for name in names[1:]:
        parts = []
        for kpi in ("threshold_to_seen_p90", seen_within_for_people(whole["kpi"].unique()), "cost"):
            r = whole[(whole["scenario"] == name) & (whole["kpi"] == kpi)]
            if r.empty:
                continue
            r = r.iloc[0]
            sign = "more" if r["diff_from_first"] > 0 else "less"
            size = shown(kpi, abs(r["diff_from_first"]), difference=True)
            if r.get("replications", 2) < 2:
                clear = " (one replication: no interval, so no telling whether it is more than chance)"
            else:
                clear = "" if not _within(r) else " (not distinguishable from zero)"
            parts.append(f"{kpis.label(kpi)[0].lower() + kpis.label(kpi)[1:]} {size} {sign}{clear}"
                         if r["diff_from_first"] != 0 else f"{kpis.label(kpi)[0].lower() + kpis.label(kpi)[1:]} the same")
        if parts:
            out.append(f"Over the whole forecast, {name} against {names[0]}: " + "; ".join(parts) + ".")
    returns = returns_to_baseline(table, configs)
    out += [s for s in returns.loc[returns["kpi"] == "threshold_to_seen_p90", "sentence"]]
    out += six_weeks_after_endings(per_rep, configs) if per_rep is not None and len(per_rep) else []
    return out


# ---------------------------------------------------------------- one run


def run_findings(summary: pd.DataFrame, forecast: pd.DataFrame, config: dict) -> list[str]:
    """A forecast's headline sentences from summary.csv and forecast.csv."""
    s = summary.set_index("kpi")
    reps = int(s["replications_needed"].notna().any() and config.get("replications", 1))

    def mean(key: str) -> float:
        return float(s.loc[key, "mean"]) if key in s.index else np.nan

    def spread(key: str) -> str:
        if reps <= 1 or key not in s.index:
            return ""
        return f" (10th–90th percentile across replications: {shown(key, s.loc[key, 'p10'])} to {shown(key, s.loc[key, 'p90'])})"

    first, last = forecast["period"].iloc[0], forecast["period"].iloc[-1]
    span = f"From {first} to {last} ({len(forecast)} months, {config.get('replications', 1)} replication(s))"
    out = [f"{span}, half of the children seen were seen within {shown('threshold_to_seen_median', mean('threshold_to_seen_median'))} "
           f"of contact and 90% within {shown('threshold_to_seen_p90', mean('threshold_to_seen_p90'))}"
           f"{spread('threshold_to_seen_p90')}."]
    referral, contact = (seen_within_for_people(s.index, frm) for frm in ("referral", "contact"))
    if referral and contact:
        n = kpis.seen_within_n(referral)[0]
        days = f"{n} working day{'s' if n != 1 else ''}"
        out.append(f"{fmt_number(mean(referral))}% of children were seen within {days} of referral, and "
                   f"{fmt_number(mean(contact))}% within {days} of contact.")
    months = len(forecast)
    over = mean("seen_over_six_weeks")
    years = _horizon_days(config) / 365.25
    span_words = f"the {months} months" if not config.get("end_date") else f"the forecast ({_horizon_days(config)} days)"
    out.append(f"{fmt_number(over)} children were seen more than six weeks after contact over {span_words} "
               f"(about {fmt_number(over / years)} a year).")
    if "threshold_to_seen_p90_p50" in forecast:
        above = forecast.loc[forecast["threshold_to_seen_p90_p50"] > SIX_WEEKS_DAYS, "period"].tolist()
        if above:
            out.append(f"The 90th-percentile wait (median across replications) is above six weeks in {len(above)} of "
                       f"{months} months, first in {above[0]}.")
        else:
            out.append(f"The 90th-percentile wait (median across replications) stays at or below six weeks in every "
                       f"one of the {months} months.")
    out.append(f"{shown('mash_within_1wd_pct', mean('mash_within_1wd_pct'))} of MASH decisions were made within 1 working "
               f"day of contact (the statutory expectation is all of them).")
    out.append(f"On average {fmt_number(mean('waiting_for_allocation_mean'))} children were waiting for a social worker "
               f"at any moment; {fmt_number(mean('waiting_for_allocation_end'))} at the end of the forecast.")
    out.append(f"Cases per case-holding FTE averaged {fmt_number(mean('caseload_per_fte_mean'))}; agency workers were "
               f"{shown('agency_share_pct', mean('agency_share_pct'))} of FTE; the workforce cost "
               f"{shown('cost', mean('cost'))} over the forecast.")
    return out


def _horizon_days(config: dict) -> int:
    """Days from ``start_date`` to the horizon end (``end_date``, or ``horizon_months`` on)."""
    from ..config import add_months

    start = dt.date.fromisoformat(str(config.get("start_date")))
    end = (dt.date.fromisoformat(str(config["end_date"])) if config.get("end_date")
           else add_months(start, int(config.get("horizon_months", 12))))
    return (end - start).days


def validation_findings(validation: pd.DataFrame) -> list[str]:
    """A validation's headline sentences from validation.csv."""
    n = len(validation)
    inside = validation["inside"].astype(str).str.lower().isin(["true", "1", "1.0"])
    year = validation["year"].iloc[0] if "year" in validation and n else ""
    out = [f"{int(inside.sum())} of {n} published figures for {year} lie inside the simulated 10th–90th percentile "
           "range."]
    figures = kpis.published_figures()
    for r in validation[~inside].itertuples():
        fig = figures.get(r.figure)
        label = fig.label if fig else getattr(r, "label", r.figure)
        pct = "%" if fig is not None and fig.percent else ""

        def v(x) -> str:
            return f"{fmt_number(float(x))}{pct}"
        out.append(f"Outside: {label}: published {v(r.published)}, simulated {v(r.sim_p10)} to {v(r.sim_p90)} "
                   f"(median {v(r.sim_p50)}).")
    if "in_sample" in validation:
        fitted = validation["in_sample"].astype(str).str.lower().isin(["true", "1", "1.0"])
        out.append(f"{int(fitted.sum())} of the {n} figures were calibration inputs (in sample): agreement on those is a "
                   "fit, not an independent check.")
    return out
