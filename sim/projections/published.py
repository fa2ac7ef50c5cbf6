"""The DfE's published figures, computed from the event log (pandas and numpy only).

``caseflow validate year=Y`` runs the service over the DfE reporting year Y (1 April Y-1 to
31 March Y) and on to 1 October Y, and compares each figure below with what the DfE published
for the council (docs/validation.md says how each one matches the DfE's definition).  Every
function here takes an events frame (one or more replications) and a :class:`ReportingYear`
and returns one value per replication, as a Series indexed by replication.

Instants follow one rule: "at the end of 31 March" is the instant ``m`` at midnight starting
1 April, and a spell (start, end) is open then if it started before ``m`` and had not ended
before ``m`` (``start < m <= end``, or still open at the end of the log).  A period such as
"the year to 31 March" is ``t0 <= t < t1``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .children import cp_plan_starts, referral_history
from .frame import event_rows, group_bfill, group_shift
from .levels import case_holding_fte, held_cases, level_at, open_cases
from .workforce import agency_rate_at, dfe_vacancy_rate_at, worker_segments

CASE_KEYS = ["replication", "case_id"]
EMPLOYED = ("permanent", "asye")
CASE_HOLDING_TEAMS = ("assessment", "long_term")
SOCIAL_WORKERS_3PLUS = 3

# The figures, in the order validate reports them (keys of sim.reference.published.FIGURES,
# but closed_at_assessment_pct, which it compares with nfa_pct + not_in_need_pct).
FIGURE_KEYS: tuple[str, ...] = (
    "referrals", "rereferral_pct", "closed_at_assessment_pct", "awaiting_assessment", "cin_at31",
    "cp_started", "cp_subsequent_pct", "cp_at31", "cp_at31_under_3m_pct", "cp_at31_3_to_6m_pct",
    "cp_at31_6_to_12m_pct", "cp_at31_1_to_2y_pct", "cp_at31_2y_plus_pct",
    "cla_at31", "cla_started", "cla_ceased", "cla_3plus_sw_pct",
    "case_holders_fte", "caseload_per_fte", "turnover_rate_pct", "agency_rate_pct", "vacancy_rate_pct",
)
# Not checked: the census's counts of all social workers (in post, agency, vacancies, starters,
# leavers) include managers, independent reviewing officers and teams the model does not hold
# (fostering, adoption, disabled children); its rates and its case holders compare like with like.
# ``cases`` duplicates ``caseload_per_fte`` (cases = caseload x case holders).
CP_BANDS = ("cp_at31_under_3m_pct", "cp_at31_3_to_6m_pct", "cp_at31_6_to_12m_pct", "cp_at31_1_to_2y_pct",
            "cp_at31_2y_plus_pct")


@dataclass(frozen=True)
class ReportingYear:
    """The instants of DfE year ``year`` on a run's clock (t: days since ``start_date``)."""

    year: int
    start: float          # 1 April Y-1, 00:00: the year's first instant
    end: float            # 1 April Y, 00:00: the end of 31 March Y (children's stocks)
    census_from: float    # 1 October Y-1, 00:00: the workforce year starts
    census: float         # 1 October Y, 00:00: the end of 30 September Y (the workforce census)
    cp_cuts: tuple[float, float, float, float]  # end of 31 March less 3 months, 6 months, 1 year, 2 years


def reporting_year(year: int, start_date: dt.date) -> ReportingYear:
    """Year ``year``'s instants for a run that starts on ``start_date``."""
    def t(day: dt.date) -> float:
        return float((day - start_date).days)

    end = dt.date(year, 4, 1)
    return ReportingYear(year, t(dt.date(year - 1, 4, 1)), t(end), t(dt.date(year - 1, 10, 1)),
                         t(dt.date(year, 10, 1)),
                         (t(dt.date(year, 1, 1)), t(dt.date(year - 1, 10, 1)), t(dt.date(year - 1, 4, 1)),
                          t(dt.date(year - 2, 4, 1))))


# ---------------------------------------------------------------- small helpers


def open_at(start, end, m: float) -> np.ndarray:
    """Spells open at instant ``m``: started before it and not ended before it (end NaN: open)."""
    start = np.asarray(start, float)
    end = np.asarray(end, float)
    return (start < m) & ~(end < m)


def _per_rep(values: pd.Series, reps, fill: float = 0.0) -> pd.Series:
    return values.reindex(reps, fill_value=fill).astype(float)


def _count(frame: pd.DataFrame, reps) -> pd.Series:
    return _per_rep(frame.groupby("replication").size(), reps)


def _sum(frame: pd.DataFrame, column: str, reps) -> pd.Series:
    return _per_rep(frame.groupby("replication")[column].sum(), reps)


def _pct(num: pd.Series, den: pd.Series) -> pd.Series:
    """100 x num / den, NaN where den is 0."""
    return (100.0 * num / den.where(den > 0)).astype(float)


def _in(frame: pd.DataFrame, t0: float, t1: float, column: str = "t") -> pd.DataFrame:
    return frame[(frame[column] >= t0) & (frame[column] < t1)]


def replications(df: pd.DataFrame) -> list[int]:
    return sorted(int(r) for r in df["replication"].unique())


# ---------------------------------------------------------------- referrals


def referral_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Every ``referral_accepted``: replication, case_id, child_id, t, seq."""
    return df.loc[df["event"] == "referral_accepted", ["replication", "case_id", "child_id", "t", "seq"]]


def referrals(df: pd.DataFrame, y: ReportingYear, reps=None) -> pd.Series:
    """Referrals accepted in the year to 31 March."""
    reps = replications(df) if reps is None else reps
    return _count(_in(referral_rows(df), y.start, y.end), reps)


def rereferral_pct(df: pd.DataFrame, y: ReportingYear, reps=None) -> pd.Series:
    """% of the year's referrals whose child had an earlier referral at most 365 days before
    (``children.referral_history``; the earlier one may fall in the warm-up)."""
    reps = replications(df) if reps is None else reps
    year = _in(referral_history(df), y.start, y.end)
    return _pct(_sum(year, "rereferral", reps), _count(year, reps))


def closed_at_assessment_pct(df: pd.DataFrame, y: ReportingYear, reps=None) -> pd.Series:
    """% of the year's referrals whose case closed at assessment or at an initial conference,
    whenever that happened before the end of the log."""
    reps = replications(df) if reps is None else reps
    year = _in(referral_rows(df), y.start, y.end)
    closed = df.loc[(df["event"] == "case_closed") & df["reason"].isin(["assessment", "conference"]), CASE_KEYS]
    hit = year.merge(closed.drop_duplicates(), on=CASE_KEYS, how="inner")
    return _pct(_count(hit, reps), _count(year, reps))


def awaiting_assessment(df: pd.DataFrame, y: ReportingYear, reps=None) -> pd.Series:
    """Children referred and not yet allocated to a worker at the end of 31 March (from
    ``referral_accepted`` to the case's first ``allocated``, or its closure if sooner)."""
    reps = replications(df) if reps is None else reps
    ref = referral_rows(df)
    first = (df.loc[event_rows(df, "allocated", "case_closed"), ["replication", "case_id", "t"]]
             .groupby(CASE_KEYS)["t"].min().rename("end").reset_index())
    spells = ref.merge(first, on=CASE_KEYS, how="left")
    return _count(spells[open_at(spells["t"], spells["end"], y.end)], reps)


def cin_at31(df: pd.DataFrame, y: ReportingYear, reps=None) -> pd.Series:
    """Cases open at the end of 31 March (referral or opening stock to closure): children being
    assessed, on a child-in-need, child protection or looked-after plan."""
    reps = replications(df) if reps is None else reps
    spells = open_cases(df)
    return _count(spells[open_at(spells["start"], spells["end"], y.end)], reps)


# ---------------------------------------------------------------- plans


def plan_spells(df: pd.DataFrame) -> pd.DataFrame:
    """One row per ``plan_started``: replication, case_id, child_id, plan, reason, start, end (the
    case's next ``plan_ended`` or ``case_closed``; NaN while still open at the end of the log)."""
    ev = df.loc[event_rows(df, "plan_started", "plan_ended", "case_closed"),
                ["replication", "case_id", "child_id", "seq", "t", "event", "plan", "reason"]]
    ev = ev.sort_values(["replication", "case_id", "seq"])
    ends = ev.assign(t=ev["t"].where(ev["event"] != "plan_started"))
    # For each row, the first ending event after it in its case: the endings one row on,
    # back-filled within the case.
    nxt = group_bfill(ev, CASE_KEYS, group_shift(ends, CASE_KEYS, "t", -1))
    starts = ev.assign(end=nxt)[ev["event"] == "plan_started"].rename(columns={"t": "start"})
    return starts[["replication", "case_id", "child_id", "plan", "reason", "start", "end"]]


def _plans_open(spells: pd.DataFrame, plan: str, m: float) -> pd.DataFrame:
    of_plan = spells[spells["plan"] == plan]
    return of_plan[open_at(of_plan["start"], of_plan["end"], m)]


def cp_at31(df: pd.DataFrame, y: ReportingYear, reps=None, spells=None) -> pd.Series:
    reps = replications(df) if reps is None else reps
    spells = plan_spells(df) if spells is None else spells
    return _count(_plans_open(spells, "cp", y.end), reps)


def cla_at31(df: pd.DataFrame, y: ReportingYear, reps=None, spells=None) -> pd.Series:
    reps = replications(df) if reps is None else reps
    spells = plan_spells(df) if spells is None else spells
    return _count(_plans_open(spells, "lac", y.end), reps)


def cp_duration_bands(df: pd.DataFrame, y: ReportingYear, reps=None, spells=None) -> pd.DataFrame:
    """CP plans open at the end of 31 March by how long they had been open, as % of them: 3 months
    or less, more than 3 to 6 months, more than 6 months and under a year, 1 to under 2 years,
    2 years or more (calendar months back from 31 March)."""
    reps = replications(df) if reps is None else reps
    spells = plan_spells(df) if spells is None else spells
    open_cp = _plans_open(spells, "cp", y.end)
    s = open_cp["start"]
    m3, m6, y1, y2 = y.cp_cuts
    bands = {
        "cp_at31_under_3m_pct": s >= m3,
        "cp_at31_3_to_6m_pct": (s >= m6) & (s < m3),
        "cp_at31_6_to_12m_pct": (s > y1) & (s < m6),
        "cp_at31_1_to_2y_pct": (s > y2) & (s <= y1),
        "cp_at31_2y_plus_pct": s <= y2,
    }
    total = _count(open_cp, reps)
    return pd.DataFrame({k: _pct(_count(open_cp[mask], reps), total) for k, mask in bands.items()})


def plans_started(df: pd.DataFrame, y: ReportingYear, plan: str, reps=None, spells=None) -> pd.Series:
    """Plans of ``plan`` started in the year to 31 March (the opening stock is not a start)."""
    reps = replications(df) if reps is None else reps
    spells = plan_spells(df) if spells is None else spells
    started = spells[(spells["plan"] == plan) & (spells["reason"] != "opening_stock")]
    return _count(_in(started, y.start, y.end, "start"), reps)


def cla_ceased(df: pd.DataFrame, y: ReportingYear, reps=None, spells=None) -> pd.Series:
    """Looked-after plans that ended in the year to 31 March."""
    reps = replications(df) if reps is None else reps
    spells = plan_spells(df) if spells is None else spells
    lac = spells[spells["plan"] == "lac"].dropna(subset=["end"])
    return _count(_in(lac, y.start, y.end, "end"), reps)


def cp_subsequent_pct(df: pd.DataFrame, y: ReportingYear, reps=None) -> pd.Series:
    """% of CP plans started in the year whose child had an earlier CP plan
    (``children.cp_plan_starts``)."""
    reps = replications(df) if reps is None else reps
    year = _in(cp_plan_starts(df), y.start, y.end)
    return _pct(_sum(year, "subsequent", reps), _count(year, reps))


def cla_3plus_sw_pct(df: pd.DataFrame, y: ReportingYear, reps=None, spells=None) -> pd.Series:
    """% of children looked after at the end of 31 March who had 3 or more different social
    workers during the year: distinct workers holding any of the child's cases at some time
    from 1 April to 31 March (the worker holding it as the year began counts)."""
    reps = replications(df) if reps is None else reps
    spells = plan_spells(df) if spells is None else spells
    looked_after = _plans_open(spells, "lac", y.end)[["replication", "child_id"]].drop_duplicates()
    held = held_cases(df)  # who held each case, when (sim.projections.levels)
    during = held[(held["start"] < y.end) & ~(held["end"] <= y.start)]
    workers = during.groupby(["replication", "child_id"])["worker_id"].nunique().rename("workers").reset_index()
    children = looked_after.merge(workers, on=["replication", "child_id"], how="left").fillna({"workers": 0})
    children = children.assign(three=children["workers"] >= SOCIAL_WORKERS_3PLUS)
    return _pct(_sum(children, "three", reps), _count(children, reps))


# ---------------------------------------------------------------- workforce at 30 September


def _in_post(spells: pd.DataFrame, m: float) -> pd.DataFrame:
    return spells[open_at(spells["start"], spells["end"], m)]


def workforce_figures(df: pd.DataFrame, y: ReportingYear, reps=None) -> pd.DataFrame:
    """The workforce census figures at the end of 30 September Y, and its flows over the year to
    then (1 October Y-1 to 30 September Y), per replication."""
    reps = replications(df) if reps is None else reps
    m = y.census
    spells = worker_segments(df)
    here = _in_post(spells, m)
    employed = here[here["kind"].isin(EMPLOYED)]
    agency = here[here["kind"] == "agency"]
    holders_fte = pd.Series(level_at(case_holding_fte(df), np.array([m]), reps, weight="fte")[:, 0],
                            index=pd.Index(reps, name="replication"))
    held = held_cases(df)
    cases = _count(held[open_at(held["start"], held["end"], m)], reps)
    employed_fte = _sum(employed, "fte", reps)
    agency_fte = _sum(agency, "fte", reps)
    # The DfE's rates, defined once in sim.projections.workforce (vacant = not filled by an
    # employed worker, covered by agency or not).
    vacancy_rate = pd.Series(dfe_vacancy_rate_at(df, np.array([m]), reps)[:, 0], index=pd.Index(reps, name="replication"))
    agency_rate = pd.Series(agency_rate_at(df, np.array([m]), reps)[:, 0], index=pd.Index(reps, name="replication"))
    vacancy_fte = employed_fte * vacancy_rate / (1.0 - vacancy_rate)

    # Leavers and starters: the worker's kind and FTE at the time (their last / first spell).
    left = df.loc[df["event"] == "worker_left", ["replication", "worker_id", "t"]]
    left = _in(left, y.census_from, m)
    last_kind = spells.sort_values("start").drop_duplicates(["replication", "worker_id"], keep="last")[
        ["replication", "worker_id", "kind", "fte"]]
    leavers = left.merge(last_kind, on=["replication", "worker_id"], how="left")
    leavers = leavers[leavers["kind"].isin(EMPLOYED)]
    started = df.loc[(df["event"] == "worker_started") & df["kind"].isin(EMPLOYED), ["replication", "t", "fte"]]
    starters = _in(started, y.census_from, m)
    leavers_fte = _sum(leavers, "fte", reps)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({
            "case_holders_fte": holders_fte,
            "cases": cases,
            "caseload_per_fte": (cases / holders_fte.where(holders_fte > 0)).astype(float),
            "inpost_fte": employed_fte,
            "agency_fte": agency_fte,
            "vacancy_fte": vacancy_fte,
            "starters_fte": _sum(starters, "fte", reps),
            "leavers_fte": leavers_fte,
            "turnover_rate_pct": _pct(leavers_fte, employed_fte),
            "agency_rate_pct": 100.0 * agency_rate,
            "vacancy_rate_pct": 100.0 * vacancy_rate,
        })
    return out


# ---------------------------------------------------------------- all of them


def published_figures(df: pd.DataFrame, y: ReportingYear) -> pd.DataFrame:
    """Every figure of ``FIGURE_KEYS`` per replication: one row a replication."""
    reps = replications(df)
    spells = plan_spells(df)
    out = pd.DataFrame(index=pd.Index(reps, name="replication"))
    out["referrals"] = referrals(df, y, reps)
    out["rereferral_pct"] = rereferral_pct(df, y, reps)
    out["closed_at_assessment_pct"] = closed_at_assessment_pct(df, y, reps)
    out["awaiting_assessment"] = awaiting_assessment(df, y, reps)
    out["cin_at31"] = cin_at31(df, y, reps)
    out["cp_started"] = plans_started(df, y, "cp", reps, spells)
    out["cp_subsequent_pct"] = cp_subsequent_pct(df, y, reps)
    out["cp_at31"] = cp_at31(df, y, reps, spells)
    out = out.join(cp_duration_bands(df, y, reps, spells))
    out["cla_at31"] = cla_at31(df, y, reps, spells)
    out["cla_started"] = plans_started(df, y, "lac", reps, spells)
    out["cla_ceased"] = cla_ceased(df, y, reps, spells)
    out["cla_3plus_sw_pct"] = cla_3plus_sw_pct(df, y, reps, spells)
    out = out.join(workforce_figures(df, y, reps))
    return out[list(FIGURE_KEYS)].reset_index()
