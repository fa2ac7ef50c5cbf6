"""Reading a council's Standard Safeguarding Dataset extract: CSV files in, checked and
pseudonymised tables out.

``read_extract(folder)`` reads each ``ssd_*.csv`` caseflow uses (``sim.extracts.ssd``), matching
columns by name (either name where the SSD renamed one), and copes with what real extracts
hold: dates as ``2024-12-10 00:00:00.000``, ``2024-12-10`` or ``10/12/2024`` (read day first),
the literal ``NULL``, ``1900-01-01`` meaning no date, flags as Y/N, Yes/No or 1/0, empty agency
flags, FTEs and caseloads (filled from ``roster.csv`` where one is given).  What it assumed is
listed in ``Extract.assumptions``.  What it cannot use is an ``ExtractError``: one sentence
naming the file, the line and the problem, and nothing is written.

Children's data is sensitive: every identifier is replaced on load by a keyed hash (HMAC-SHA256)
whose key is drawn afresh for each read unless one is given, and is never stored; dates of birth
become an age band at the extract's last day and go no further; names are never read.  Nothing
downstream may depend on the hashes' order (a different key must give the same results).
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..inputs.errors import InputError, shown
from . import ssd

REQUIRED_TABLES = ("ssd_contacts", "ssd_cin_episodes", "ssd_cin_assessments", "ssd_cin_plans", "ssd_cp_plans",
                   "ssd_cla_episodes", "ssd_involvements", "ssd_professionals")
LINE = "_line"   # each row's line in its file (the header is line 1)
TRUE = {"y", "yes", "1", "true", "t"}
FALSE = {"n", "no", "0", "false", "f"}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
FIRST_YEAR = 1950   # an event dated earlier than this (other than 1900-01-01) is a mistake
LAST_YEAR = 2100
# (start, end) columns whose end may not come before their start.
SPANS = {
    "ssd_early_help_episodes": ("earl_episode_start_date", "earl_episode_end_date"),
    "ssd_cin_episodes": ("cine_referral_date", "cine_close_date"),
    "ssd_cin_assessments": ("cina_assessment_start_date", "cina_assessment_auth_date"),
    "ssd_s47_enquiry": ("s47e_s47_start_date", "s47e_s47_end_date"),
    "ssd_cin_plans": ("cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
    "ssd_cp_plans": ("cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
    "ssd_cla_episodes": ("clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
    "ssd_involvements": ("invo_involvement_start_date", "invo_involvement_end_date"),
}
# Tables whose rows name a referral that ssd_cin_episodes must hold, by the column naming it.
REFERRAL_LINKS = {"ssd_cin_assessments": "cina_referral_id", "ssd_s47_enquiry": "s47e_referral_id",
                  "ssd_initial_cp_conference": "icpc_referral_id", "ssd_cin_plans": "cinp_referral_id",
                  "ssd_cp_plans": "cppl_referral_id"}
AGE_BANDS = ((0, "under 1"), (1, "1-4"), (5, "5-9"), (10, "10-15"), (16, "16-17"), (18, "18+"))


class ExtractError(InputError):
    """An extract caseflow cannot use: one sentence naming the file, the line and the problem."""


@dataclass
class Extract:
    """A read extract: the tables (SSD column names; identifiers pseudonymised; dates as
    timestamps, NaT for none; flags as booleans, NA for none), and what the reader assumed."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    first_day: pd.Timestamp
    last_day: pd.Timestamp            # the latest day any record in it is dated
    assumptions: list[str] = field(default_factory=list)
    digest: str = ""

    @property
    def taken(self) -> pd.Timestamp:
        """The extract's date: the day after its last records (the state is as at its start)."""
        return self.last_day + pd.Timedelta(days=1)

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def read_extract(folder: str | Path, key: bytes | None = None) -> Extract:
    """Read, check and pseudonymise the extract in ``folder`` (``ExtractError`` if it cannot be used)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ExtractError(f"The extract folder {shown(folder)} does not exist or is not a folder: give the folder "
                           "holding the ssd_*.csv files")
    key = key if key is not None else secrets.token_bytes(32)
    notes = _Notes()
    raw: dict[str, pd.DataFrame] = {}
    for table, columns in ssd.TABLES.items():
        path = folder / ssd.file_name(table)
        if not path.is_file():
            if table in REQUIRED_TABLES:
                raise ExtractError(f"The extract has no {ssd.file_name(table)}, which caseflow needs: export the "
                                   f"SSD table {table} as {ssd.file_name(table)} into {shown(folder)}")
            notes.add(f"{ssd.file_name(table)} is not in the extract: read as empty")
            raw[table] = _empty(columns)
            continue
        raw[table] = _parse(path, columns, notes)
    roster_path = folder / ssd.ROSTER_FILE
    roster = _parse(roster_path, ssd.ROSTER, notes) if roster_path.is_file() else None
    if not len(raw["ssd_cin_episodes"]):
        raise ExtractError(f"{ssd.file_name('ssd_cin_episodes')} holds no referrals: caseflow needs the extract's "
                           "referrals (one row per referral) to read the service's cases")
    _check_links(raw)
    _team_names(raw, notes)
    if roster is not None:
        _apply_roster(raw["ssd_professionals"], roster, notes)
    _note_gaps(raw["ssd_professionals"], notes)
    if not len(raw["ssd_contacts"]):
        raise ExtractError(f"{ssd.file_name('ssd_contacts')} holds no contacts: caseflow needs the extract's "
                           "contacts to read the front door's demand")
    first, last = _span(raw)
    _contact_outcomes(raw["ssd_contacts"])
    _age_bands(raw["ssd_person"], last)
    pseudonymise(raw, key)
    return Extract(folder, raw, first, last, notes.sentences(), digest(folder))


# -- one file ---------------------------------------------------------------------------------------
class _Notes:
    """What the reader assumed, counted: one sentence each."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.order: list[str] = []

    def add(self, text: str, n: int = 1) -> None:
        if n <= 0:
            return
        if text not in self.counts:
            self.counts[text] = 0
            self.order.append(text)
        self.counts[text] += n

    def sentences(self) -> list[str]:
        return [t.replace("{n}", f"{self.counts[t]:,}") for t in self.order]


def _empty(columns) -> pd.DataFrame:
    frame = pd.DataFrame({c.name: pd.Series([], dtype=object) for c in columns})
    for c in columns:
        frame[c.name] = _typed(frame[c.name], c.kind)
    frame[LINE] = pd.Series([], dtype="int64")
    return frame


def _typed(s: pd.Series, kind: str) -> pd.Series:
    if kind in ("date", "dob"):
        return pd.to_datetime(s)
    if kind == "flag":
        return s.astype("boolean")
    if kind == "number":
        return s.astype(float)
    return s


def _decode(path: Path, notes: _Notes) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" and some database tools
        notes.add(f"{path.name} is UTF-16: read as such")
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.add(f"{path.name} is not UTF-8: read as Windows-1252")
        return data.decode("cp1252", errors="replace")


def _parse(path: Path, columns, notes: _Notes) -> pd.DataFrame:
    """One file's columns, by name, parsed by kind (``ExtractError`` naming the line if refused)."""
    text = _decode(path, notes)
    if not text.strip():
        raise ExtractError(f"{path.name} is empty: it needs a header line naming its columns and a row for each record")
    try:
        # header=None: the header is read as a row, so that a name given twice is seen as given (pandas
        # would rename the second "name.1") and a first row with one value too many is refused (pandas
        # would make its first value the index and shift every other along a column).
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, header=None)
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            raise ExtractError(f"{path.name}, line {m.group(2)}: has {m.group(3)} values but the header names "
                               f"{m.group(1)} columns (a comma inside a value must be quoted)") from None
        m = re.search(r"EOF inside string starting at row (\d+)", str(e))
        if m:  # pandas counts rows from 0
            raise ExtractError(f"{path.name}, line {int(m.group(1)) + 1}: a quoted value starts here but its closing "
                               "quote is missing (a quote inside a value must be doubled)") from None
        raise ExtractError(f"{path.name} cannot be read as CSV ({shown(str(e).splitlines()[0], 80)})") from None
    names = [str(c).strip().lstrip("\ufeff").lower() for c in frame.iloc[0]]
    frame = frame.iloc[1:].reset_index(drop=True)
    if len(names) == 1 and ("\t" in names[0] or ";" in names[0]):  # else "has no column ..." would mislead
        raise ExtractError(f"{path.name}, line 1: the header is one column holding tabs or semicolons, but caseflow "
                           "reads comma-separated files: save the table as CSV with commas")
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen and n:  # unnamed columns (a trailing comma) are never read
            raise ExtractError(f"{path.name} names the column {shown(n)} twice (columns {seen[n] + 1} and {i + 1}): "
                               "each column once")
        seen[n] = i
    frame.columns = names
    out = pd.DataFrame(index=frame.index)
    out[LINE] = _lines(text, len(frame))
    for col in columns:
        found = next((n for n in (col.name, *ssd.ALIASES.get(col.name, ())) if n in seen), None)
        if found is None:
            if col.required:
                also = ssd.ALIASES.get(col.name, ())
                alt = f" (or {', '.join(also)})" if also else ""
                raise ExtractError(f"{path.name} has no column {col.name}{alt}, which caseflow needs; columns are "
                                   "matched by name, in any order")
            if path.name != ssd.ROSTER_FILE:  # the roster's columns are each optional by design
                notes.add(f"{path.name} has no column {col.name}: read as empty")
            values = pd.Series(pd.NA, index=frame.index, dtype=object)
        else:
            if found != col.name:
                notes.add(f"{path.name}: the column {found} was read as {col.name} (its name in the current SSD)")
            values = frame[found].str.strip()
            nulls = values.str.lower().isin(ssd.NULL_TEXTS)
            if (values[nulls] != "").any():
                notes.add("the text NULL was read as an empty cell ({n} cells)", int((values[nulls] != "").sum()))
            values = values.mask(nulls)
        out[col.name] = _column(path.name, col, values, out[LINE], notes)
    return out


def _lines(text: str, rows: int) -> np.ndarray:
    """Each row's line in its file: pandas skips blank lines, so a row after one is further down
    than its count (where a quoted value spans lines, rows are counted from line 2 instead)."""
    filled = [i + 1 for i, line in enumerate(text.split("\n")) if line.strip()]
    if len(filled) == rows + 1:
        return np.array(filled[1:], dtype="int64")
    return np.arange(2, rows + 2)


def _column(file: str, col: ssd.Column, values: pd.Series, lines: pd.Series, notes: _Notes) -> pd.Series:
    missing = values.isna()
    if col.required and col.kind in ("id", "date") and missing.any():
        line = int(lines[missing].iloc[0])
        raise ExtractError(f"{file}, line {line}: {col.name} is empty, but every row needs one")
    if col.kind in ("id", "text"):
        return values
    if col.kind in ("date", "dob"):
        return _dates(file, col, values, lines, notes)
    if col.kind == "flag":
        low = values.str.lower()
        bad = values.notna() & ~low.isin(TRUE | FALSE)
        if bad.any():
            line = int(lines[bad].iloc[0])
            raise ExtractError(f"{file}, line {line}: {col.name} is {shown(values[bad].iloc[0], 20)!r}, but a flag "
                               "must be Y or N (Yes/No, 1/0 and True/False are read too) or empty")
        return low.map(lambda v: True if v in TRUE else (False if v in FALSE else pd.NA)).astype("boolean")
    if col.kind == "number":
        number = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & (number.isna() | (number < 0) | ~np.isfinite(number.fillna(0)))
        if bad.any():
            line = int(lines[bad].iloc[0])
            raise ExtractError(f"{file}, line {line}: {col.name} is {shown(values[bad].iloc[0], 20)!r}, but it must "
                               "be a number of 0 or more, or empty")
        return number.astype(float)
    if col.kind == "json":
        return values  # read where it is used (``_contact_outcomes``): the flags in it
    raise ValueError(col.kind)


def _dates(file: str, col: ssd.Column, values: pd.Series, lines: pd.Series, notes: _Notes) -> pd.Series:
    """Dates written ISO (with or without a time), or day first (dd/mm/yyyy, the UK's order)."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    present = values.notna()
    text = values[present]
    matched = pd.Series(False, index=text.index)
    sentinel = pd.Series(False, index=values.index)
    for pattern, order in ((_ISO, (0, 1, 2)), (_DMY, (2, 1, 0))):
        got = text.str.extract(pattern)
        ok = got[0].notna()
        if not ok.any():
            continue
        if pattern is _DMY:
            notes.add(f"dates written dd/mm/yyyy were read day first (10/12/2024 is 10 December) in {file}")
        matched |= ok
        g = got[ok].fillna("0").astype(int)
        y, m, d = g[order[0]], g[order[1]], g[order[2]]
        no_date = ((y == 1900) & (m == 1) & (d == 1)) | (y >= 9999)   # the markers for "no date"
        sentinel.loc[no_date[no_date].index] = True
        late = (y > LAST_YEAR) & ~no_date
        if late.any():
            i = late[late].index[0]
            what = "" if col.kind == "dob" else f" {shown(text[i], 30)!r}"
            raise ExtractError(f"{file}, line {int(lines[i])}: {col.name}{what} is after {LAST_YEAR}: a mistake, or a "
                               "no-date marker caseflow does not know (it knows 1900-01-01 and 9999-12-31)")
        keep = ~no_date
        stamp = pd.to_datetime(pd.DataFrame({"year": y[keep], "month": m[keep], "day": d[keep], "hour": g[3][keep],
                                             "minute": g[4][keep], "second": g[5][keep]}), errors="coerce")
        # pandas carries 25:00 over into the next day rather than refusing it.
        stamp[((g[3] > 23) | (g[4] > 59) | (g[5] > 59))[keep]] = pd.NaT
        out.loc[stamp.index] = stamp.to_numpy()
        bad = stamp.isna()
        if bad.any():
            i = bad[bad].index[0]
            what = "" if col.kind == "dob" else f" {shown(values[i], 30)!r}"
            raise ExtractError(f"{file}, line {int(lines[i])}: {col.name}{what} is not a date in the calendar")
    unread = ~matched
    if unread.any():
        i = unread[unread].index[0]
        what = "" if col.kind == "dob" else f" is {shown(text[i], 30)!r}, which"  # a birth date is never echoed
        raise ExtractError(f"{file}, line {int(lines[i])}: {col.name}{what} is not a date caseflow reads: dates are "
                           "read as 2024-12-10, 2024-12-10 00:00:00.000 or 10/12/2024")
    if sentinel.any():
        if col.required:
            i = sentinel[sentinel].index[0]
            raise ExtractError(f"{file}, line {int(lines[i])}: {col.name} is {shown(values[i], 30)}, which means no "
                               "date, but every row needs one")
        notes.add(f"dates of 1900-01-01 (or 9999-12-31) in {file} were read as no date ({{n}} cells)",
                  int(sentinel.sum()))
    early = out.notna() & (out.dt.year < FIRST_YEAR) & (col.kind != "dob")
    if early.any():
        i = early[early].index[0]
        raise ExtractError(f"{file}, line {int(lines[i])}: {col.name} is {out[i]:%Y-%m-%d}, before {FIRST_YEAR}: "
                           "a mistake, or a no-date marker caseflow does not know (it knows 1900-01-01)")
    return out


# -- between files ------------------------------------------------------------------------------------
def _check_links(t: dict[str, pd.DataFrame]) -> None:
    """Ids unique, ends after starts, rows naming referrals the extract holds, nobody allocated before
    the referral, worker-change reasons the SSD's."""
    primary = {name: cols[0].name for name, cols in ssd.TABLES.items() if name != "ssd_department"}
    for name, col in primary.items():
        frame = t[name]
        dup = frame[col].duplicated() & frame[col].notna()
        if dup.any():
            i = dup[dup].index[0]
            first = frame.loc[frame[col] == frame.at[i, col], LINE].iloc[0]
            raise ExtractError(f"{ssd.file_name(name)}, line {frame.at[i, LINE]}: {col} repeats the id on line {first}; "
                               "each record's id must be unique")
    for name, (start, end) in SPANS.items():
        frame = t[name]
        bad = frame[end].notna() & (frame[end].dt.normalize() < frame[start].dt.normalize())
        if bad.any():
            i = bad[bad].index[0]
            raise ExtractError(f"{ssd.file_name(name)}, line {frame.at[i, LINE]}: {end} ({frame.at[i, end]:%Y-%m-%d}) is "
                               f"before {start} ({frame.at[i, start]:%Y-%m-%d}): an end cannot come before its start")
    referrals = t["ssd_cin_episodes"].set_index("cine_referral_id")
    for name, col in REFERRAL_LINKS.items():
        frame = t[name]
        unknown = frame[col].notna() & ~frame[col].isin(referrals.index)
        if unknown.any():
            i = unknown[unknown].index[0]
            raise ExtractError(f"{ssd.file_name(name)}, line {frame.at[i, LINE]}: {col} names a referral that "
                               f"{ssd.file_name('ssd_cin_episodes')} does not hold")
    for name, col, start in (("ssd_cin_assessments", "cina_referral_id", "cina_assessment_start_date"),
                             ("ssd_involvements", "invo_referral_id", "invo_involvement_start_date")):
        frame = t[name]
        referred = frame[col].map(referrals["cine_referral_date"])
        early = referred.notna() & (frame[start].dt.normalize() < referred.dt.normalize())
        if early.any():
            i = early[early].index[0]
            what = "the assessment starts" if name == "ssd_cin_assessments" else "the child was allocated"
            raise ExtractError(f"{ssd.file_name(name)}, line {frame.at[i, LINE]}: {what} ({frame.at[i, start]:%Y-%m-%d}) "
                               f"before the referral ({referred[i]:%Y-%m-%d}): a child cannot be allocated before "
                               "they are referred")
    reasons = t["ssd_involvements"]["invo_worker_change_reason"]
    bad = reasons.notna() & ~reasons.str.upper().isin(ssd.WORKER_CHANGE_REASONS)
    if bad.any():
        i = bad[bad].index[0]
        raise ExtractError(f"{ssd.file_name('ssd_involvements')}, line {t['ssd_involvements'].at[i, LINE]}: "
                           f"invo_worker_change_reason is {shown(reasons[i], 20)!r}, but the SSD's reasons are "
                           f"{', '.join(ssd.WORKER_CHANGE_REASONS)} (or empty)")
    t["ssd_involvements"]["invo_worker_change_reason"] = reasons.str.upper()
    _check_fte(ssd.file_name("ssd_professionals"), t["ssd_professionals"])


def _check_fte(file: str, frame: pd.DataFrame) -> None:
    fte = frame["prof_full_time_equivalency"]
    bad = fte.notna() & ((fte <= 0) | (fte > 1))
    if bad.any():
        i = bad[bad].index[0]
        raise ExtractError(f"{file}, line {frame.at[i, LINE]}: prof_full_time_equivalency is {fte[i]:g}, but an FTE "
                           "must be above 0 and at most 1")


TEAM_COLUMNS = (("ssd_involvements", "invo_professional_team"), ("ssd_professionals", "prof_professional_department"),
                ("ssd_cin_assessments", "cina_assessment_team"), ("ssd_cin_episodes", "cine_referral_team"))


def _team_names(t: dict[str, pd.DataFrame], notes: _Notes) -> None:
    """A team given by its department id is read as that department's name (``ssd_department``), so
    that every reader of a team (``sim.extracts.ssd.team_of``) reads the name's words."""
    dept = t["ssd_department"]
    names = {str(i): str(n) for i, n in zip(dept["dept_team_id"], dept["dept_team_name"])
             if i is not None and n is not None and not pd.isna(i) and not pd.isna(n)}
    if not names:
        return
    for table, col in TEAM_COLUMNS:
        values = t[table][col]
        ids = values.notna() & values.astype(str).isin(names)
        if ids.any():
            t[table][col] = values.where(~ids, values.astype(str).map(names))
            notes.add(f"teams in {ssd.file_name(table)} given by their department id were read as the department's "
                      "name ({n} cells)", int(ids.sum()))


def _apply_roster(prof: pd.DataFrame, roster: pd.DataFrame, notes: _Notes) -> None:
    """Fill the professionals' empty agency flags, FTEs and teams from ``roster.csv``."""
    known = prof["prof_professional_id"]
    unknown = ~roster["prof_professional_id"].isin(known)
    if unknown.any():
        i = unknown[unknown].index[0]
        raise ExtractError(f"{ssd.ROSTER_FILE}, line {roster.at[i, LINE]}: names a professional "
                           f"{ssd.file_name('ssd_professionals')} does not hold (match prof_professional_id)")
    dup = roster["prof_professional_id"].duplicated()
    if dup.any():
        i = dup[dup].index[0]
        raise ExtractError(f"{ssd.ROSTER_FILE}, line {roster.at[i, LINE]}: names the same professional as an earlier "
                           "line; each professional once")
    _check_fte(ssd.ROSTER_FILE, roster)  # each roster line, used or not: a wrong FTE there is a wrong roster
    by_id = roster.set_index("prof_professional_id")
    for col in ("prof_agency_worker_flag", "prof_full_time_equivalency", "prof_professional_department"):
        given = known.map(by_id[col])
        gap = prof[col].isna() & given.notna()
        if gap.any():
            notes.add(f"{col} was taken from {ssd.ROSTER_FILE} for {{n}} professionals", int(gap.sum()))
            prof.loc[gap, col] = given[gap]


def _note_gaps(prof: pd.DataFrame, notes: _Notes) -> None:
    notes.add("professionals with no agency flag were read as employed, not agency ({n})",
              int(prof["prof_agency_worker_flag"].isna().sum()))
    notes.add("professionals with no FTE were read as full time ({n})", int(prof["prof_full_time_equivalency"].isna().sum()))
    prof["prof_agency_worker_flag"] = prof["prof_agency_worker_flag"].fillna(False)
    prof["prof_full_time_equivalency"] = prof["prof_full_time_equivalency"].fillna(1.0)


def _span(t: dict[str, pd.DataFrame]) -> tuple[pd.Timestamp, pd.Timestamp]:
    dates = [t[name][c.name] for name, cols in ssd.TABLES.items() for c in cols if c.kind == "date"]
    stacked = pd.concat([d.dropna() for d in dates])
    return stacked.min().normalize(), stacked.max().normalize()


def _contact_outcomes(contacts: pd.DataFrame) -> None:
    """The MASH's decision from ``cont_contact_outcome_json``'s flags: ``outcome`` referral,
    early_help or no_further_action (NA while undecided), and ``cp_enquiry``."""
    outcome = np.full(len(contacts), None, dtype=object)
    enquiry = np.zeros(len(contacts), bool)
    for k, (text, line) in enumerate(zip(contacts["cont_contact_outcome_json"], contacts[LINE])):
        if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
            continue
        try:
            flags = json.loads(text)
        except (ValueError, TypeError):
            raise ExtractError(f"{ssd.file_name('ssd_contacts')}, line {line}: cont_contact_outcome_json is not JSON "
                               '(it must be an object of flags, e.g. {"NEW_REFERRAL_FLAG": "Y"})') from None
        if not isinstance(flags, dict):
            raise ExtractError(f"{ssd.file_name('ssd_contacts')}, line {line}: cont_contact_outcome_json must be an "
                               'object of flags, e.g. {"NEW_REFERRAL_FLAG": "Y"}')
        on = {str(k).upper() for k, v in flags.items() if str(v).strip().lower() in TRUE}
        if "NEW_REFERRAL_FLAG" in on:
            outcome[k] = "referral"
        elif "EARLY_HELP_FLAG" in on:
            outcome[k] = "early_help"
        elif "NFA_FLAG" in on or on or flags:
            outcome[k] = "no_further_action"
        enquiry[k] = "CP_ENQUIRY_FLAG" in on
    contacts["outcome"] = outcome
    contacts["cp_enquiry"] = enquiry
    del contacts["cont_contact_outcome_json"]


def _age_bands(person: pd.DataFrame, on: pd.Timestamp) -> None:
    """Dates of birth become an age band at ``on`` and are dropped."""
    dob = person["pers_dob"]
    years = ((on - dob).dt.days / 365.25).to_numpy()
    band = np.full(len(person), None, dtype=object)
    for low, label in AGE_BANDS:
        band[np.nan_to_num(years, nan=-1) >= low] = label
    person["pers_age_band"] = band
    del person["pers_dob"]


def pseudonymise(t: dict[str, pd.DataFrame], key: bytes) -> None:
    """Replace every identifier column by its keyed hash (the same input id, the same pseudonym,
    across tables)."""
    cache: dict[str, str] = {}

    def one(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        p = cache.get(v)
        if p is None:
            p = cache[v] = hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:20]
        return p

    specs = dict(ssd.TABLES)
    for name, frame in t.items():
        for col in specs[name]:
            if col.kind == "id":
                frame[col.name] = [one(v) for v in frame[col.name]]


def digest(folder: Path) -> str:
    """A digest of the extract's files (names and bytes): what a manifest records of it."""
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.csv")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()
