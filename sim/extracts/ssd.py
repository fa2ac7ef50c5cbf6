"""The subset of the Standard Safeguarding Dataset (SSD) caseflow reads and writes.

The SSD is Data to Insight's open data model of a council's children's social care records:
``ssd_*`` tables built inside the case-management database.  caseflow reads CSV extracts of
them (one file per table, named ``<table>.csv``), matching columns by name, never by
position; where the SSD renamed a column, either name is accepted (``ALIASES``).  docs/extracts.md
lists the subset and what caseflow makes of each column.

Each table lists its columns as (name, kind, required): kind ``id`` (an identifier, pseudonymised
on load), ``date``, ``flag`` (Y/N), ``text``, ``number`` or ``json``; a required column missing
from a file is refused, an optional one is read as empty.
"""
from __future__ import annotations

from typing import NamedTuple

import pandas as pd


class Column(NamedTuple):
    name: str
    kind: str          # id | date | flag | text | number | json | dob
    required: bool = True


TABLES: dict[str, tuple[Column, ...]] = {
    "ssd_person": (
        Column("pers_person_id", "id"),
        Column("pers_dob", "dob", False),
        Column("pers_common_child_id", "id", False),
    ),
    "ssd_contacts": (
        Column("cont_contact_id", "id"),
        Column("cont_person_id", "id"),
        Column("cont_contact_date", "date"),
        Column("cont_contact_source_code", "text", False),
        Column("cont_contact_outcome_json", "json", False),
    ),
    "ssd_early_help_episodes": (
        Column("earl_episode_id", "id"),
        Column("earl_person_id", "id"),
        Column("earl_episode_start_date", "date"),
        Column("earl_episode_end_date", "date", False),
    ),
    "ssd_cin_episodes": (
        Column("cine_referral_id", "id"),
        Column("cine_person_id", "id"),
        Column("cine_referral_date", "date"),
        Column("cine_referral_nfa", "flag", False),
        Column("cine_close_date", "date", False),
        Column("cine_close_reason", "text", False),
        Column("cine_referral_team", "text", False),
        Column("cine_referral_worker_id", "id", False),
    ),
    "ssd_cin_assessments": (
        Column("cina_assessment_id", "id"),
        Column("cina_person_id", "id"),
        Column("cina_referral_id", "id"),
        Column("cina_assessment_start_date", "date"),
        Column("cina_assessment_child_seen", "flag", False),
        Column("cina_assessment_auth_date", "date", False),
        Column("cina_assessment_outcome_nfa", "flag", False),
        Column("cina_assessment_team", "text", False),
        Column("cina_assessment_worker_id", "id", False),
    ),
    "ssd_s47_enquiry": (
        Column("s47e_s47_enquiry_id", "id"),
        Column("s47e_referral_id", "id"),
        Column("s47e_person_id", "id"),
        Column("s47e_s47_start_date", "date"),
        Column("s47e_s47_end_date", "date", False),
        Column("s47e_s47_nfa", "flag", False),
    ),
    "ssd_initial_cp_conference": (
        Column("icpc_icpc_id", "id"),
        Column("icpc_s47_enquiry_id", "id", False),
        Column("icpc_person_id", "id"),
        Column("icpc_referral_id", "id"),
        Column("icpc_icpc_date", "date"),
        Column("icpc_icpc_outcome_cp_flag", "flag", False),
        Column("icpc_cp_plan_id", "id", False),
    ),
    "ssd_cin_plans": (
        Column("cinp_cin_plan_id", "id"),
        Column("cinp_referral_id", "id"),
        Column("cinp_person_id", "id"),
        Column("cinp_cin_plan_start_date", "date"),
        Column("cinp_cin_plan_end_date", "date", False),
    ),
    "ssd_cp_plans": (
        Column("cppl_cp_plan_id", "id"),
        Column("cppl_referral_id", "id"),
        Column("cppl_person_id", "id"),
        Column("cppl_cp_plan_start_date", "date"),
        Column("cppl_cp_plan_end_date", "date", False),
    ),
    "ssd_cla_episodes": (
        Column("clae_cla_episode_id", "id"),
        Column("clae_person_id", "id"),
        Column("clae_cla_episode_start_date", "date"),
        Column("clae_cla_episode_ceased_date", "date", False),
        Column("clae_referral_id", "id", False),
    ),
    "ssd_involvements": (
        Column("invo_involvements_id", "id"),
        Column("invo_professional_id", "id"),
        Column("invo_professional_team", "text", False),
        Column("invo_person_id", "id"),
        Column("invo_involvement_start_date", "date"),
        Column("invo_involvement_end_date", "date", False),
        Column("invo_worker_change_reason", "text", False),
        Column("invo_referral_id", "id", False),
    ),
    "ssd_professionals": (
        Column("prof_professional_id", "id"),
        Column("prof_agency_worker_flag", "flag", False),
        Column("prof_professional_job_title", "text", False),
        Column("prof_professional_caseload", "number", False),
        Column("prof_professional_department", "text", False),
        Column("prof_full_time_equivalency", "number", False),
    ),
    "ssd_department": (
        Column("dept_team_id", "text"),
        Column("dept_team_name", "text"),
        Column("dept_team_parent_id", "text", False),
    ),
}
"""Every table caseflow reads, in the order a reader checks them, with its columns."""

ALIASES: dict[str, tuple[str, ...]] = {
    # Names an earlier SSD release (or a case-management system's build of it) used.
    "pers_common_child_id": ("pers_single_unique_id",),
    "invo_involvements_id": ("invo_involvement_id",),
    "clae_cla_episode_ceased_date": ("clae_cla_episode_ceased",),
    "s47e_s47_enquiry_id": ("s47e_s47_enquiry_table_id",),
    "prof_professional_caseload": ("prof_caseload",),
    "prof_full_time_equivalency": ("prof_fte", "prof_full_time_equivalence"),
    "dept_team_parent_id": ("dept_team_parent_name",),
    "cina_assessment_child_seen": ("cina_assessment_child_seen_flag",),
}

PLAN_TABLES = {"cin": ("ssd_cin_plans", "cinp_cin_plan_id", "cinp_referral_id", "cinp_person_id",
                       "cinp_cin_plan_start_date", "cinp_cin_plan_end_date"),
               "cp": ("ssd_cp_plans", "cppl_cp_plan_id", "cppl_referral_id", "cppl_person_id",
                      "cppl_cp_plan_start_date", "cppl_cp_plan_end_date"),
               "lac": ("ssd_cla_episodes", "clae_cla_episode_id", "clae_referral_id", "clae_person_id",
                       "clae_cla_episode_start_date", "clae_cla_episode_ceased_date")}
"""Each plan's table and its (id, referral, person, start, end) columns."""

ROSTER_FILE = "roster.csv"
"""The small separate roster a council can give when ``ssd_professionals`` lacks agency flags
or FTE: ``prof_professional_id``, ``prof_agency_worker_flag``, ``prof_full_time_equivalency``
(and optionally ``prof_professional_department``), matched to the professionals by id."""
ROSTER: tuple[Column, ...] = (
    Column("prof_professional_id", "id"),
    Column("prof_agency_worker_flag", "flag", False),
    Column("prof_full_time_equivalency", "number", False),
    Column("prof_professional_department", "text", False),
)

# The SSD worker-change reasons (invo_worker_change_reason): why a case came to this worker.
WORKER_CHANGE_REASONS = ("MANAGE", "FCONTA", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN",
                         "SWDIED", "OTHERS")

# Contact outcome flags (cont_contact_outcome_json): the MASH's decision.
OUTCOME_FLAGS = ("NEW_REFERRAL_FLAG", "NFA_FLAG", "EARLY_HELP_FLAG", "CP_ENQUIRY_FLAG")

# CIN census reasons for closure (cine_close_reason) the export writes.
CLOSE_AFTER_ASSESSMENT = "RC8"   # case closed after assessment, no further action
CLOSE_SERVICES_CEASED = "RC7"    # services ceased for any other reason, including no longer in need

# Contact sources (cont_contact_source_code): the CIN census's referral source codes, by the
# model's source (1A an individual: family member; 2A schools; 3A health services; 5A local
# authority services: social care; 6 police; 8 other).
SOURCE_CODES = {"police": "6", "schools": "2A", "health": "3A", "council": "5A", "individuals": "1A",
                "other": "8"}

# Teams as the export names them (ssd_department) and the model's teams they stand for.
TEAM_IDS = {"mash": "MASH", "assessment": "ASSESS", "long_term": "LONGTERM"}
FAMILY_HELP_TEAM = "FAMHELP"   # family practitioners: CIN plans held outside the social work teams
NULL_TEXTS = ("", "null", "none", "nan", "n/a", "na")
NO_END_DATES = ("1900-01-01", "9999-12-31")   # sentinel dates that mean "no date"


def columns_of(table: str) -> tuple[Column, ...]:
    return TABLES[table]


def file_name(table: str) -> str:
    return f"{table}.csv"


# Reading rules shared by every reader of a read extract (docs/extracts.md).
TEAM_WORDS = (("family_help", ("famhelp", "family help", "family practitioner", "early help")),
              ("mash", ("mash", "multi-agency safeguarding", "multi agency safeguarding", "front door")),
              ("assessment", ("assess", "duty", "first response", "referral and assessment")),
              ("long_term", ("longterm", "long-term", "long term", "child protection", "children in need",
                             "looked after", "safeguarding", "care")))
"""A department or team name's words -> the model's team, first match winning; any other name
is a long-term team."""
ASYE_WORDS = ("newly qualified", "asye", "nqsw")
"""Words of a job title that mark a newly qualified social worker (ASYE)."""


def team_of(name) -> str | None:
    """The model's team (``mash``, ``assessment``, ``long_term``, ``family_help``) a department or
    team name stands for, by its words; None for an empty name; long-term for any other."""
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    text = str(name).strip().lower()
    if not text:
        return None
    for team, words in TEAM_WORDS:
        if any(w in text for w in words):
            return team
    return "long_term"


def kind_of(agency, title) -> str:
    """permanent, agency or asye (newly qualified, by job title) for a professional."""
    if agency is not None and not pd.isna(agency) and bool(agency):
        return "agency"
    text = "" if title is None or (not isinstance(title, str) and pd.isna(title)) else str(title).lower()
    return "asye" if any(w in text for w in ASYE_WORDS) else "permanent"

