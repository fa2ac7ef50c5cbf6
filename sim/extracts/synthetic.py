"""A fictional council's Standard Safeguarding Dataset extract, as messy as real ones.

``synthetic_extract`` runs the model (one replication of a service, from its steady state) and
writes its log as SSD tables (``sim.extracts.export``), then roughens them the way extracts
from case-management systems are rough: columns in another order and some under their older
names, columns caseflow does not read, dates written three ways (``2024-12-10 00:00:00.000``,
``10/12/2024``, ``2024-12-10``), empty cells written ``NULL``, ``1900-01-01`` for "no end date",
flags as Y/N or 1/0, agency flags, FTEs and caseloads often empty (a small ``roster.csv`` then
gives the agency flags and FTEs), and no MASH decision dates.  Everything in it is fictional:
identifiers are tokens, names are made up, dates of birth drawn.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import ssd
from .export import ssd_tables

SQL_SERVER = "%Y-%m-%d %H:%M:%S.000"
DAY_FIRST = "%d/%m/%Y"
ISO = "%Y-%m-%d"
# How each table writes dates, empty cells and flags (a mix, as councils' extracts differ).
STYLE = {
    "ssd_person": (ISO, "NULL"), "ssd_contacts": (SQL_SERVER, "NULL"),
    "ssd_early_help_episodes": (DAY_FIRST, ""), "ssd_cin_episodes": (SQL_SERVER, "NULL"),
    "ssd_cin_assessments": (DAY_FIRST, ""), "ssd_s47_enquiry": (ISO, "NULL"),
    "ssd_initial_cp_conference": (SQL_SERVER, "NULL"), "ssd_cin_plans": (SQL_SERVER, "NULL"),
    "ssd_cp_plans": (DAY_FIRST, ""), "ssd_cla_episodes": (ISO, ""),
    "ssd_involvements": ("mixed", "NULL"), "ssd_professionals": (ISO, ""), "ssd_department": (ISO, ""),
}
NO_END_AS_1900 = {"ssd_cin_plans": "cinp_cin_plan_end_date", "ssd_cla_episodes": "clae_cla_episode_ceased_date",
                  "ssd_involvements": "invo_involvement_end_date"}
OLD_NAMES = {"ssd_cla_episodes": {"clae_cla_episode_ceased_date": "clae_cla_episode_ceased"},
             "ssd_involvements": {"invo_involvements_id": "invo_involvement_id"},
             "ssd_professionals": {"prof_full_time_equivalency": "prof_fte"}}
ONE_ZERO_FLAGS = {"ssd_s47_enquiry"}
FORENAMES = ("Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Jamie", "Kit", "Morgan", "Ash")
SURNAMES = ("Ashdown", "Brook", "Carrow", "Dunmore", "Elwell", "Fenwick", "Garside", "Holm", "Ingle", "Jessop")


@dataclass(frozen=True)
class Written:
    folder: Path
    files: dict[str, int]      # file name -> rows written
    first_day: dt.date
    last_day: dt.date


def roughen(tables: dict[str, pd.DataFrame], seed: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The tables as text, roughened as real extracts are, and the roster that fills their gaps."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xD1E7]))
    out: dict[str, pd.DataFrame] = {}
    prof = tables["ssd_professionals"]
    roster = pd.DataFrame({"prof_professional_id": prof["prof_professional_id"],
                           "prof_agency_worker_flag": prof["prof_agency_worker_flag"],
                           "prof_full_time_equivalency": prof["prof_full_time_equivalency"].map(lambda x: f"{x:g}")})
    for name, frame in tables.items():
        style, null = STYLE[name]
        text = pd.DataFrame(index=frame.index)
        for col in frame.columns:
            values = frame[col]
            if pd.api.types.is_datetime64_any_dtype(values):
                if col == NO_END_AS_1900.get(name):
                    values = values.fillna(pd.Timestamp("1900-01-01"))
                text[col] = _write_dates(values, style, rng, null)
            elif name in ONE_ZERO_FLAGS and col.endswith("_nfa"):
                text[col] = values.map({"Y": "1", "N": "0"}).fillna(null)
            elif pd.api.types.is_float_dtype(values):
                text[col] = values.map(lambda x: "" if pd.isna(x) else f"{x:g}").replace("", null)
            else:
                text[col] = values.astype(object).where(values.notna(), null).astype(str)
        if name == "ssd_professionals":
            n = len(text)
            text.loc[rng.random(n) < 0.3, "prof_agency_worker_flag"] = null
            text.loc[rng.random(n) < 0.4, "prof_professional_caseload"] = null
            text.loc[rng.random(n) < 0.25, "prof_full_time_equivalency"] = null
            text["prof_professional_name"] = [f"{FORENAMES[i % 10]} {SURNAMES[(i * 7) % 10]}-{i}" for i in range(n)]
        if name == "ssd_cin_episodes":
            text["cine_referral_source_desc"] = "see contact"
        text = text.rename(columns=OLD_NAMES.get(name, {}))
        order = list(text.columns)
        rng.shuffle(order)
        out[name] = text[order]
    return out, roster


def _write_dates(values: pd.Series, style: str, rng, null: str) -> pd.Series:
    if style == "mixed":
        styles = np.array([SQL_SERVER, DAY_FIRST, ISO])[rng.integers(0, 3, len(values))]
        formatted = [null if pd.isna(v) else v.strftime(s) for v, s in zip(values, styles)]
        return pd.Series(formatted, index=values.index)
    return values.dt.strftime(style).fillna(null)


def write_extract(tables: dict[str, pd.DataFrame], roster: pd.DataFrame | None, folder: Path) -> dict[str, int]:
    """Write each table as ``<table>.csv`` (and ``roster.csv``) into ``folder``; rows written by file."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, frame in tables.items():
        frame.to_csv(folder / ssd.file_name(name), index=False)
        written[ssd.file_name(name)] = len(frame)
    if roster is not None:
        roster.to_csv(folder / ssd.ROSTER_FILE, index=False)
        written[ssd.ROSTER_FILE] = len(roster)
    return written


def scaled(cfg, contacts_per_year: float):
    """``cfg`` for a council with ``contacts_per_year`` contacts: every team's posts (and the agency
    market) scaled with the demand, so that the service runs as loaded as the one given."""
    import copy
    import math

    out = copy.deepcopy(cfg)
    factor = contacts_per_year / cfg.service.demand.contacts_per_year
    out.service.demand.contacts_per_year = float(contacts_per_year)
    wf = out.service.workforce
    for team in (wf.mash, wf.assessment, wf.long_term):
        for g in team.groups:
            if g.count > 0:
                g.count = max(1, int(math.floor(g.count * factor + 0.5)))
    for action in out.service.funding:
        if action.count > 0:
            action.count = max(1, int(math.floor(action.count * factor + 0.5)))
    if wf.recruitment.agency_per_month is not None:
        wf.recruitment.agency_per_month = max(1, int(math.ceil(wf.recruitment.agency_per_month * factor)))
    return out


def synthetic_extract(cfg, folder: Path, seed: int) -> Written:
    """Run replication 0 of ``cfg`` and write its log into ``folder`` as a roughened SSD extract."""
    from ..config import parse_date
    from ..model import run_replication
    from ..projections import events_frame

    start = parse_date("start_date", cfg.start_date)
    log = run_replication(cfg, 0)
    df = events_frame(log.to_table(0, start))
    tables = ssd_tables(df, start, seed)
    text, roster = roughen(tables, seed)
    files = write_extract(text, roster, folder)
    first, last = (start + dt.timedelta(days=float(x)) for x in (df["t"].min(), df["t"].max()))
    return Written(folder, files, first, last)
