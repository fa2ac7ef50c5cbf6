"""The DfE's published statistics for English councils, read from the tables shipped in the package.

The nine CSV files in ``sim/reference/dfe/`` are the Department for Education's official
statistics (children in need, child protection, children looked after, the children's social
work workforce), ONS mid-year population estimates and the DfE's statistical neighbours, as
published (see ``dfe/README.md`` there and ``docs/reference-data.md``).

Every figure caseflow uses is one entry of :data:`FIGURES`, which says which file and column it
comes from, which rows (if a file holds several measures), its unit and the period it refers
to. :func:`value` reads one figure for one council and one ``time_period``; :func:`level_value`
reads the same figure for England or a region, so that a caller can fill a council's missing
value from its :func:`statistical_neighbours`, then its region, then England.

``time_period`` is always the file's own: 2022 in the workforce file is 30 September 2022,
2022 in the children-in-need file is the year April 2021 to March 2022.  This module never
shifts years between files; the caller decides which year to ask each file for.

Suppressed or unavailable cells (``c``, ``z``, ``x``, ``k``, ``u``, ``low``, ``:``, ``..``,
empty) are missing (``None``), never 0.

Deliberately free of SimPy and Hydra: it is data access only, usable from a notebook.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import pandas as pd

from sim.inputs.errors import InputError, did_you_mean, listing, shown

Period = Literal["year_to_31_march", "at_31_march", "at_30_september", "year_to_30_september",
                 "at_30_june"]
Unit = Literal["count", "percent", "fte", "cases per FTE"]
Level = Literal["National", "Regional", "Local authority"]

B1 = "b1_children_in_need.csv"
C1 = "c1_referrals_and_rereferrals.csv"
D3 = "d3_cp_plans_subsequent.csv"
D5 = "d5_cp_plans_at_31_march_by_duration.csv"
CLA = "cla_numbers.csv"
CLA_SW = "cla_social_worker_changes.csv"
CSWW = "csww_workforce_indicators.csv"
ONS = "ons_population_0_17.csv"
NEIGHBOURS = "statistical_neighbours.csv"

#: The files in ``sim/reference/dfe/``; nothing else is ever opened (so a name cannot become a path).
FILES: tuple[str, ...] = (B1, C1, D3, D5, CLA, CLA_SW, CSWW, ONS, NEIGHBOURS)
_TIME_SERIES: tuple[str, ...] = tuple(f for f in FILES if f != NEIGHBOURS)

# The markers the DfE and ONS use for a cell with no number: c confidential (suppressed),
# z not applicable, x not available, k fewer than 0.5, u low reliability, low = a small
# non-zero value, ':' and '..' not available.  Read as 0 they would drag every average down.
MISSING_MARKERS: frozenset[str] = frozenset({"c", "z", "x", "k", "u", "low", ":", ".."})

# Columns that name a row rather than count anything: kept as text.
_TEXT_COLUMNS = frozenset({
    "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
    "region_name", "old_la_code", "new_la_code", "la_name", "category", "population_type",
    "cla_group", "sw_stability", "age_group", "region_ind",
})

LEVELS: tuple[str, ...] = ("National", "Regional", "Local authority")


@dataclass(frozen=True)
class PublishedFigure:
    """One published figure: where it is (file, column, which rows) and what it means."""

    key: str
    label: str                      # plain English, with the unit
    file: str
    column: str
    unit: Unit
    period: Period                  # what the file's time_period means for this figure
    row_filter: tuple[str, str] | None = None   # (column, value) when a file holds several measures


_CLA_AT31 = ("population_type", "Children looked after on 31 March each year")
_CLA_STARTED = ("population_type", "Children starting to be looked after each year")
_CLA_CEASED = ("population_type", "Children ceasing to be looked after each year")
_SW_3PLUS = ("sw_stability", "3 or more social workers during the year")

_DEFINITIONS: tuple[tuple, ...] = (
    # key, label, file, column, unit, period[, row filter]
    ("referrals", "Referrals in the year to 31 March (count)", C1, "referral_count", "count",
     "year_to_31_march"),
    ("rereferral_pct", "Referrals within 12 months of a previous referral (% of referrals)", C1,
     "rereferral_percent", "percent", "year_to_31_march"),
    ("nfa_pct", "Referrals ending in no further action (% of referrals)", C1,
     "no_further_action_percent", "percent", "year_to_31_march"),
    ("not_in_need_pct", "Referrals assessed as not in need (% of referrals)", C1,
     "not_in_need_percent", "percent", "year_to_31_march"),
    ("awaiting_assessment", "Children awaiting assessment at 31 March (count)", B1,
     "awaiting_assessment", "count", "at_31_march"),
    ("cin_at31", "Children-in-need episodes open at 31 March (count)", B1, "At31_episodes",
     "count", "at_31_march"),
    ("cin_started", "Children-in-need episodes started in the year to 31 March (count)", B1,
     "Started_episodes", "count", "year_to_31_march"),
    ("cin_ended", "Children-in-need episodes ended in the year to 31 March (count)", B1,
     "Ended_episodes", "count", "year_to_31_march"),
    ("cp_started", "Child protection plans started in the year to 31 March (count)", D3,
     "CPP_start", "count", "year_to_31_march"),
    ("cp_subsequent_pct", "Child protection plans started that were a second or later plan "
     "(% of plans started)", D3, "CPP_subsequent_percent", "percent", "year_to_31_march"),
    ("cp_at31", "Child protection plans open at 31 March (count)", D5, "CPP_At31", "count",
     "at_31_march"),
    ("cp_at31_under_3m_pct", "Child protection plans open at 31 March for 3 months or less "
     "(% of open plans)", D5, "3_months_or_less_percent", "percent", "at_31_march"),
    ("cp_at31_3_to_6m_pct", "Child protection plans open at 31 March for more than 3 and up to "
     "6 months (% of open plans)", D5, "more_than_3_months_6_months_percent", "percent",
     "at_31_march"),
    ("cp_at31_6_to_12m_pct", "Child protection plans open at 31 March for more than 6 months and "
     "less than 1 year (% of open plans)", D5, "more_than_6_months_less_than_1_year_percent",
     "percent", "at_31_march"),
    ("cp_at31_1_to_2y_pct", "Child protection plans open at 31 March for 1 year to less than "
     "2 years (% of open plans)", D5, "1_year_less_than_2_years_percent", "percent",
     "at_31_march"),
    ("cp_at31_2y_plus_pct", "Child protection plans open at 31 March for 2 years or more "
     "(% of open plans)", D5, "2_years_or_more_percent", "percent", "at_31_march"),
    ("cla_at31", "Children looked after at 31 March (count)", CLA, "children_count", "count",
     "at_31_march", _CLA_AT31),
    ("cla_started", "Children starting to be looked after in the year to 31 March (count)", CLA,
     "children_count", "count", "year_to_31_march", _CLA_STARTED),
    ("cla_ceased", "Children ceasing to be looked after in the year to 31 March (count)", CLA,
     "children_count", "count", "year_to_31_march", _CLA_CEASED),
    ("cla_3plus_sw_pct", "Children looked after at 31 March who had 3 or more social workers in "
     "the year (% of children looked after)", CLA_SW, "percentage", "percent",
     "year_to_31_march", _SW_3PLUS),
    ("case_holders_fte", "Case-holding children and family social workers at 30 September (FTE)",
     CSWW, "case_holders_fte", "fte", "at_30_september"),
    ("cases", "Cases held by case-holding social workers at 30 September (count)", CSWW, "cases",
     "count", "at_30_september"),
    ("caseload_per_fte", "Average caseload at 30 September (cases per case-holding FTE)", CSWW,
     "caseload_fte", "cases per FTE", "at_30_september"),
    ("turnover_rate_pct", "Social worker turnover in the year to 30 September (% of FTE in post)",
     CSWW, "turnover_rate_fte", "percent", "year_to_30_september"),
    ("agency_rate_pct", "Agency social workers at 30 September (% of FTE)", CSWW,
     "agency_rate_fte", "percent", "at_30_september"),
    ("vacancy_rate_pct", "Social worker vacancies at 30 September (% of FTE posts)", CSWW,
     "vacancy_rate_fte", "percent", "at_30_september"),
    ("inpost_fte", "Children and family social workers in post at 30 September (FTE)", CSWW,
     "inpost_fte", "fte", "at_30_september"),
    ("agency_fte", "Agency children and family social workers at 30 September (FTE)", CSWW,
     "agency_fte", "fte", "at_30_september"),
    ("vacancy_fte", "Social worker vacancies at 30 September (FTE)", CSWW, "vacancy_fte", "fte",
     "at_30_september"),
    ("starters_fte", "Social workers who started in the year to 30 September (FTE)", CSWW,
     "starters_fte", "fte", "year_to_30_september"),
    ("leavers_fte", "Social workers who left in the year to 30 September (FTE)", CSWW,
     "leavers_fte", "fte", "year_to_30_september"),
    ("absence_rate_pct", "Social worker sickness absence in the year to 30 September "
     "(% of working days)", CSWW, "absence_rate_fte", "percent", "year_to_30_september"),
    # ONS mid-year estimates: time_period 2022 is the estimate for 30 June 2022.
    ("population_0_17", "Children aged 0 to 17, ONS mid-year estimate (count)", ONS,
     "population_estimate", "count", "at_30_june"),
)

#: Every published figure caseflow reads, by key.
FIGURES: dict[str, PublishedFigure] = {
    d[0]: PublishedFigure(key=d[0], label=d[1], file=d[2], column=d[3], unit=d[4], period=d[5],
                          row_filter=d[6] if len(d) > 6 else None)
    for d in _DEFINITIONS
}


# --------------------------------------------------------------------------- reading the files

def _numbers(column: pd.Series, file: str, name: str) -> pd.Series:
    """The column as floats, with every suppression marker (and an empty cell) as NaN.

    Anything else that is not a number is a fault in the packaged data, not a missing value:
    it raises, so that a new marker in a future release is noticed rather than read as missing.
    """
    text = column.astype(str).str.strip()
    missing = text.isin(MISSING_MARKERS) | (text == "")
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype(float)
    odd = numbers.isna() & ~missing
    if odd.any():
        raise ValueError(f"{file}, column {name}: {text[odd].iloc[0]!r} is neither a number nor "
                         "a suppression marker")
    return numbers


@lru_cache(maxsize=None)
def _table(file: str) -> pd.DataFrame:
    """One packaged table, read once: text columns stripped, every other column as floats.

    The caller must not modify the frame (it is shared through the cache); public functions
    return copies or single values.
    """
    if file not in FILES:  # only the packaged names are ever opened
        raise InputError(f"There is no published table called {shown(file)}; the tables are "
                         f"{listing(FILES)}")
    with resources.files("sim.reference").joinpath("dfe", file).open("r", encoding="utf-8") as f:
        # All as text first, with no default NA guessing, so that 'c' or '' are seen as written.
        raw = pd.read_csv(f, dtype=str, keep_default_na=False)
    for name in raw.columns:
        if name in _TEXT_COLUMNS:
            raw[name] = raw[name].str.strip()
        elif name == "time_period":
            raw[name] = raw[name].astype(int)
        elif file == NEIGHBOURS and re.fullmatch(r"SN_\d+P", name):
            raw[name] = raw[name].str.strip()  # closeness words ("Very close")
        else:
            raw[name] = _numbers(raw[name], file, name)
    return raw


def years(file_or_key: str) -> list[int]:
    """The ``time_period`` values a file (by file name or figure key) holds, oldest first."""
    file = FIGURES[file_or_key].file if file_or_key in FIGURES else file_or_key
    if file == NEIGHBOURS:
        return []
    return sorted(int(y) for y in _table(file)["time_period"].unique())


# --------------------------------------------------------------------------- councils

def _is_code(text: str) -> bool:
    return text.isdigit()


@lru_cache(maxsize=None)
def _councils() -> pd.DataFrame:
    rows = []
    for file in _TIME_SERIES:
        t = _table(file)
        # Combined returns ("314 / 318": Kingston and Richmond's shared workforce) are not one
        # council, so they are left out here (they can still be read with level_value).
        la = t[(t["geographic_level"] == "Local authority") & t["old_la_code"].map(_is_code)]
        rows.append(la[["time_period", "old_la_code", "new_la_code", "la_name", "region_name",
                        "region_code"]])
    every = pd.concat(rows, ignore_index=True)
    every["old_la_code"] = every["old_la_code"].astype(int)
    # Latest name wins: councils reorganised (Buckinghamshire 2020, North Yorkshire and Somerset
    # 2023) kept their old code but took a new E-code.
    latest = (every.sort_values("time_period", kind="stable")
              .drop_duplicates("old_la_code", keep="last")
              .sort_values("old_la_code")
              .drop(columns="time_period")
              .reset_index(drop=True))
    return latest


def councils() -> pd.DataFrame:
    """Every local authority in the tables: ``old_la_code`` (int), ``new_la_code``, ``la_name``,
    ``region_name``, ``region_code``; one row a council, with its latest name and codes.

    Includes councils since abolished (Northamptonshire 928, Cumbria 909): their rows are in
    the older years' tables.
    """
    return _councils().copy()


def _normal(text: str) -> str:
    """A name reduced to lower-case words: '&' is 'and', punctuation is a space."""
    text = text.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# What people add to a council's name that the tables do not have.
_PREFIXES = ("city of ", "county of ", "the ")
_SUFFIXES = (" metropolitan borough council", " borough council", " city council",
             " county council", " council", " city")


@lru_cache(maxsize=None)
def _name_index() -> dict[str, int]:
    """Normalised name (and its 'City of' variants) and every E-code ever used -> old_la_code."""
    index: dict[str, int] = {}
    for file in _TIME_SERIES:
        t = _table(file)
        la = t[(t["geographic_level"] == "Local authority") & t["old_la_code"].map(_is_code)]
        for code, new_code, name in la[["old_la_code", "new_la_code", "la_name"]].itertuples(
                index=False):
            index[new_code.lower()] = int(code)
            index[_normal(name)] = int(code)
            # "Bristol, City of" is also "Bristol" and "City of Bristol".
            match = re.fullmatch(r"(.*), (city|county) of", name, flags=re.IGNORECASE)
            if match:
                index[_normal(match.group(1))] = int(code)
                index[_normal(f"{match.group(2)} of {match.group(1)}")] = int(code)
    return index


def find_council(text: str | int) -> int:
    """The ``old_la_code`` of a council given its code ("892"), E-code ("E06000018") or name
    ("nottingham", "Nottingham City Council", "City of Bristol"); case and punctuation ignored.

    Raises :class:`~sim.inputs.errors.InputError` (one sentence, with a "did you mean") if no
    council matches.
    """
    given = str(text).strip()
    known = _councils()
    if given.isdigit():
        if int(given) in set(known["old_la_code"]):
            return int(given)
        raise InputError(f"No council in the DfE tables has the code {shown(given)}; codes are "
                         f"three digits, such as 892 for Nottingham")
    index = _name_index()
    name = _normal(given)
    candidates = [name]
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            candidates.append(name[len(prefix):])
    for candidate in list(candidates):
        for suffix in _SUFFIXES:
            if candidate.endswith(suffix):
                candidates.append(candidate[: -len(suffix)])
    for candidate in candidates:
        if candidate in index:
            return index[candidate]
    hint = did_you_mean(given, known["la_name"]) or did_you_mean(name, known["la_name"])
    raise InputError(f"No council in the DfE tables is called '{shown(given)}'{hint}; give a "
                     f"council's name, its three-digit code (892) or its E-code (E06000018)")


def _council_code(la_code: int | str) -> str:
    """A council as the text of its ``old_la_code`` (the tables' own spelling)."""
    if isinstance(la_code, int):
        return str(find_council(str(la_code)))
    text = la_code.strip()
    if re.fullmatch(r"\d+ / \d+", text):  # a combined return, read as published
        return text
    return str(find_council(text))


# --------------------------------------------------------------------------- figures

def figure(key: str) -> PublishedFigure:
    """The registry entry for ``key``; an unknown key is an InputError naming the keys."""
    try:
        return FIGURES[key]
    except KeyError:
        raise InputError(f"There is no published figure called '{shown(key)}'"
                         f"{did_you_mean(key, FIGURES)}; the figures are {listing(FIGURES, 40)}"
                         ) from None


def _check_year(fig: PublishedFigure, time_period: int) -> None:
    held = years(fig.file)
    if time_period not in held:
        raise InputError(f"{fig.file} has no time_period {shown(time_period)} (for "
                         f"{fig.key}); it holds {listing(map(str, held))}")


def _region_rows(t: pd.DataFrame, code: str) -> pd.Series:
    wanted = code.strip().lower()
    mask = (t["region_code"].str.lower() == wanted) | (t["region_name"].str.lower() == wanted)
    if not mask[t["geographic_level"] == "Regional"].any():
        names = sorted(set(t.loc[t["geographic_level"] == "Regional", "region_name"]))
        raise InputError(f"There is no region called '{shown(code)}' in the DfE tables"
                         f"{did_you_mean(code, names)}; the regions are {listing(names)}")
    return mask


def level_value(key: str, level: str, code: int | str | None, time_period: int) -> float | None:
    """A figure for England (``level="National"``, ``code`` ignored), a region
    (``"Regional"``, ``code`` its name or E12/E13 code: "East Midlands", "E12000004",
    "Inner London") or a council (``"Local authority"``, ``code`` as :func:`find_council`
    takes, or a combined return such as "314 / 318").

    Returns ``None`` if the cell is suppressed or the place has no row that year.
    Raises :class:`~sim.inputs.errors.InputError` for an unknown key, level, place or year.
    """
    fig = figure(key)
    if level not in LEVELS:
        raise InputError(f"The geographic level {shown(level)} is not known"
                         f"{did_you_mean(level, LEVELS)}; the levels are {listing(LEVELS)}")
    time_period = int(time_period)
    _check_year(fig, time_period)
    t = _table(fig.file)
    mask = (t["time_period"] == time_period) & (t["geographic_level"] == level)
    if fig.row_filter is not None:
        mask &= t[fig.row_filter[0]] == fig.row_filter[1]
    if level == "Regional":
        mask &= _region_rows(t, str(code))
    elif level == "Local authority":
        if code is None:
            raise InputError("A local-authority figure needs a council: give its name or code")
        mask &= t["old_la_code"] == _council_code(code)
    cells = t.loc[mask, fig.column]
    if len(cells) > 1:  # the tables have one row per place, year and measure
        raise ValueError(f"{fig.file}: {len(cells)} rows for {key}, {level} {code}, {time_period}")
    if cells.empty or pd.isna(cells.iloc[0]):
        return None
    return float(cells.iloc[0])


def value(key: str, la_code: int | str, time_period: int) -> float | None:
    """One council's published figure ``key`` for the file's ``time_period``.

    ``None`` if the cell is suppressed or unavailable or the council has no row that year
    (for example Northamptonshire after 2021); never 0 in its place.
    """
    return level_value(key, "Local authority", la_code, time_period)


def council_values(key: str, time_period: int) -> pd.Series:
    """Every council's published figure ``key`` for ``time_period``, indexed by ``old_la_code``
    (int); suppressed cells and combined returns (such as "314 / 318") left out."""
    fig = figure(key)
    time_period = int(time_period)
    _check_year(fig, time_period)
    t = _table(fig.file)
    mask = (t["time_period"] == time_period) & (t["geographic_level"] == "Local authority")
    if fig.row_filter is not None:
        mask &= t[fig.row_filter[0]] == fig.row_filter[1]
    rows = t.loc[mask & t["old_la_code"].astype(str).str.fullmatch(r"\d+"), ["old_la_code", fig.column]].dropna()
    return pd.Series(rows[fig.column].to_numpy(float), index=rows["old_la_code"].astype(int).to_numpy(), name=key)


def published(la_code: int | str, time_period: int) -> dict[str, float | None]:
    """Every figure in :data:`FIGURES` for one council and one ``time_period``, by key.

    The same ``time_period`` is read from each file with that file's meaning (30 September for
    the workforce, the year to 31 March for referrals); a figure whose file does not hold that
    year is ``None``.  A year that no file holds is an InputError.
    """
    time_period = int(time_period)
    if not any(time_period in years(f) for f in _TIME_SERIES):
        held = sorted({y for f in _TIME_SERIES for y in years(f)})
        raise InputError(f"No published table has time_period {time_period}; they hold "
                         f"{held[0]} to {held[-1]}")
    code = _council_code(la_code)
    return {key: (value(key, code, time_period) if time_period in years(fig.file) else None)
            for key, fig in FIGURES.items()}


def statistical_neighbours(la_code: int | str) -> list[int]:
    """The council's ten statistical neighbours (``old_la_code``), closest first, as the DfE
    lists them; councils not in that table (such as Northamptonshire, abolished in 2021) are an
    InputError."""
    code = int(_council_code(la_code))
    t = _table(NEIGHBOURS)
    row = t[t["old_la_code"] == str(code)]
    if row.empty:
        raise InputError(f"Council {code} has no statistical neighbours in the DfE table (it "
                         "lists councils as they are now)")
    return [int(row.iloc[0][f"SN_{i}"]) for i in range(1, 11)]
