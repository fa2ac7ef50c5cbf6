"""The SSD extract reader (sim.extracts.reader): the mess real extracts hold, pseudonymisation,
and a table of bad extracts, each refused in one sentence naming the file and the line.

The messy-value tests read a tiny hand-written extract whose every value is known; the
pseudonymisation tests and the table of bad extracts use the committed fictional extract
(examples/ssd_extract, copied and broken in tmp_path: the committed files are never touched).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sim.extracts import ssd
from sim.extracts.reader import AGE_BANDS, ExtractError, read_extract
from sim.inputs import InputError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ssd_extract"
KEY = b"a test key, not a secret"
PSEUDONYM = re.compile(r"^[0-9a-f]{20}$")


def hashed(value: str, key: bytes = KEY) -> str:
    """The pseudonym the reader documents: the first 20 hex digits of HMAC-SHA256(key, id)."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:20]


def id_columns(table: str) -> list[str]:
    return [c.name for c in ssd.TABLES[table] if c.kind == "id"]


# -- a tiny extract whose every value is known ------------------------------------------------------
JSON_REFERRAL = '"{""NEW_REFERRAL_FLAG"": ""Y"", ""NFA_FLAG"": ""N"", ""EARLY_HELP_FLAG"": ""N"", ""CP_ENQUIRY_FLAG"": ""Y""}"'
TINY = {
    # Older name for the common child id; a date of birth day first, one NULL.
    "ssd_person.csv": [
        "pers_single_unique_id,pers_person_id,pers_dob",
        "U-0001,P-0001,2014-03-05",
        "U-0002,P-0002,NULL",
        "U-0003,P-0003,10/12/2024",
    ],
    # The three date styles; JSON outcome flags (quoted, with commas); a column caseflow does not read
    # holding a quoted comma; the date column first (after a BOM, see below).
    "ssd_contacts.csv": [
        "cont_contact_date,cont_contact_id,cont_person_id,cont_contact_outcome_json,cont_contact_source_code,"
        "cont_extra_note",
        f'2024-12-10 00:00:00.000,C-0001,P-0001,{JSON_REFERRAL},2A,"called, twice"',
        '10/12/2024,C-0002,P-0002,"{""NFA_FLAG"": ""Y""}",3A,NULL',
        "2024-12-11,C-0003,P-0003,NULL,5A,",
        '01/02/2025 14:05,C-0004,P-0001,"{""EARLY_HELP_FLAG"": ""1""}",NULL,',
        "2025-03-31 16:45:00.000,C-0005,P-0002,,4,",
    ],
    # 1900-01-01 as no close date; a team name with a quoted comma; flags as N and No.
    "ssd_cin_episodes.csv": [
        "cine_referral_id,cine_person_id,cine_referral_date,cine_referral_nfa,cine_close_date,cine_close_reason,"
        "cine_referral_team,cine_referral_worker_id,cine_referral_source_desc",
        'R-0001,P-0001,2024-12-10 00:00:00.000,N,1900-01-01 00:00:00.000,NULL,"ASSESS, NORTH",W-0001,see contact',
        "R-0002,P-0003,12/12/2024,No,2025-01-15,RC8,ASSESS,NULL,see contact",
    ],
    # The older child-seen name; flags as Yes and 0; two optional columns absent.
    "ssd_cin_assessments.csv": [
        "cina_assessment_id,cina_referral_id,cina_person_id,cina_assessment_start_date,"
        "cina_assessment_child_seen_flag,cina_assessment_auth_date,cina_assessment_outcome_nfa",
        "A-0001,R-0001,P-0001,11/12/2024,Yes,NULL,",
        "A-0002,R-0002,P-0003,2024-12-12,0,2025-01-15 00:00:00.000,Y",
    ],
    "ssd_cin_plans.csv": [
        "cinp_cin_plan_id,cinp_referral_id,cinp_person_id,cinp_cin_plan_start_date,cinp_cin_plan_end_date",
        "Q-0001,R-0001,P-0001,2025-01-20,1900-01-01",
    ],
    # Header only: no plans (allowed for every table but the contacts).
    "ssd_cp_plans.csv": [
        "cppl_cp_plan_id,cppl_referral_id,cppl_person_id,cppl_cp_plan_start_date,cppl_cp_plan_end_date",
    ],
    "ssd_cla_episodes.csv": [
        "clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_cla_episode_ceased",
    ],
    # The older id name; a reason in lower case; 1900-01-01 as no end; a time of day.
    "ssd_involvements.csv": [
        "invo_involvement_id,invo_professional_id,invo_person_id,invo_involvement_start_date,"
        "invo_involvement_end_date,invo_worker_change_reason,invo_referral_id",
        "I-0001,W-0001,P-0001,2024-12-11 09:30:00.000,20/01/2025,NULL,R-0001",
        "I-0002,W-0002,P-0001,20/01/2025,1900-01-01,fconta,R-0001",
    ],
    # Names (never read), older FTE and caseload names, empty agency flags and FTEs.
    "ssd_professionals.csv": [
        "prof_professional_name,prof_professional_id,prof_agency_worker_flag,prof_fte,prof_caseload,"
        "prof_professional_job_title",
        "Jane Example,W-0001,,NULL,12,Social Worker",
        "Sam Sample,W-0002,Y,0.5,,Social Worker (agency)",
        '"Null, Kit",W-0003,,,3,Social Worker',
    ],
    # Fills W-0001's gaps; W-0002's own values win over the roster's.
    "roster.csv": [
        "prof_professional_id,prof_agency_worker_flag,prof_full_time_equivalency",
        "W-0001,N,0.8",
        "W-0002,N,1",
    ],
}
TINY_IDS = {"U-0001", "U-0002", "U-0003", "P-0001", "P-0002", "P-0003", "C-0001", "C-0002", "C-0003", "C-0004",
            "C-0005", "R-0001", "R-0002", "A-0001", "A-0002", "Q-0001", "I-0001", "I-0002", "W-0001", "W-0002",
            "W-0003"}
NAMES = ("Jane Example", "Sam Sample", "Null, Kit")
BOM_FILES = {"ssd_contacts.csv"}                 # written with a UTF-8 byte-order mark
CRLF_FILES = {"ssd_contacts.csv", "ssd_professionals.csv", "ssd_cin_episodes.csv"}   # Windows line endings


def write_tiny(folder: Path, **replace: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {**TINY, **{k.replace("__", "."): v for k, v in replace.items()}}
    for name, lines in files.items():
        end = "\r\n" if name in CRLF_FILES else "\n"
        data = (end.join(lines) + end).encode("utf-8")
        if name in BOM_FILES:
            data = b"\xef\xbb\xbf" + data
        (folder / name).write_bytes(data)
    # An optional table in Windows-1252, as some systems still write (an en dash is byte 0x96).
    (folder / "ssd_department.csv").write_bytes("dept_team_id,dept_team_name\nMASH,MASH \u2013 North\n".encode("cp1252"))
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = write_tiny(tmp_path_factory.mktemp("tiny"))
    raw = (folder / "ssd_contacts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw   # the test writes what it says it does
    return read_extract(folder, key=KEY)


def test_three_date_styles_are_read_and_day_first(tiny):
    dates = tiny.table("ssd_contacts")["cont_contact_date"].tolist()
    assert dates == [pd.Timestamp("2024-12-10"), pd.Timestamp("2024-12-10"), pd.Timestamp("2024-12-11"),
                     pd.Timestamp("2025-02-01 14:05"), pd.Timestamp("2025-03-31 16:45")]
    # 01/02/2025 is 1 February (day first), not 2 January.
    assert tiny.table("ssd_contacts")["cont_contact_date"][3].month == 2
    referrals = tiny.table("ssd_cin_episodes")
    assert referrals["cine_referral_date"].tolist() == [pd.Timestamp("2024-12-10"), pd.Timestamp("2024-12-12")]
    invo = tiny.table("ssd_involvements")
    assert invo["invo_involvement_start_date"].tolist() == [pd.Timestamp("2024-12-11 09:30"), pd.Timestamp("2025-01-20")]
    assert tiny.first_day == pd.Timestamp("2024-12-10") and tiny.last_day == pd.Timestamp("2025-03-31")
    assert tiny.taken == pd.Timestamp("2025-04-01")
    for file in ("ssd_contacts.csv", "ssd_cin_episodes.csv", "ssd_cin_assessments.csv", "ssd_involvements.csv",
                 "ssd_person.csv"):
        assert f"dates written dd/mm/yyyy were read day first (10/12/2024 is 10 December) in {file}" in tiny.assumptions
    # A file written only ISO says nothing about day-first dates.
    assert not any("day first" in a and "ssd_cin_plans.csv" in a for a in tiny.assumptions)


def test_1900_01_01_is_no_date_and_null_is_empty(tiny):
    referrals = tiny.table("ssd_cin_episodes")
    assert pd.isna(referrals["cine_close_date"][0]) and referrals["cine_close_date"][1] == pd.Timestamp("2025-01-15")
    assert pd.isna(tiny.table("ssd_cin_plans")["cinp_cin_plan_end_date"][0])
    invo = tiny.table("ssd_involvements")
    assert invo["invo_involvement_end_date"][0] == pd.Timestamp("2025-01-20") and pd.isna(invo["invo_involvement_end_date"][1])
    for file in ("ssd_cin_episodes.csv", "ssd_cin_plans.csv", "ssd_involvements.csv"):
        assert f"dates of 1900-01-01 (or 9999-12-31) in {file} were read as no date (1 cells)" in tiny.assumptions
    # NULL in the columns caseflow reads (not in cont_extra_note, which it ignores): 8 cells.
    assert "the text NULL was read as an empty cell (8 cells)" in tiny.assumptions
    assert pd.isna(referrals["cine_close_reason"][0]) and referrals["cine_close_reason"][1] == "RC8"
    assert pd.isna(referrals["cine_referral_worker_id"][1])
    assert pd.isna(tiny.table("ssd_cin_assessments")["cina_assessment_auth_date"][0])


def test_flags_outcomes_and_texts(tiny):
    referrals = tiny.table("ssd_cin_episodes")
    assert referrals["cine_referral_nfa"].tolist() == [False, False]
    assert referrals["cine_referral_team"].tolist() == ["ASSESS, NORTH", "ASSESS"]   # a quoted comma
    asm = tiny.table("ssd_cin_assessments")
    assert asm["cina_assessment_child_seen"].tolist() == [True, False]               # Yes, 0
    assert pd.isna(asm["cina_assessment_outcome_nfa"][0]) and asm["cina_assessment_outcome_nfa"][1] == True  # noqa: E712
    contacts = tiny.table("ssd_contacts")
    assert [None if pd.isna(o) else o for o in contacts["outcome"]] == ["referral", "no_further_action", None,
                                                                         "early_help", None]
    assert contacts["cp_enquiry"].tolist() == [True, False, False, False, False]
    assert "cont_contact_outcome_json" not in contacts
    assert contacts["cont_contact_source_code"][0] == "2A" and pd.isna(contacts["cont_contact_source_code"][3])
    assert tiny.table("ssd_involvements")["invo_worker_change_reason"][1] == "FCONTA"
    assert tiny.table("ssd_department")["dept_team_name"].tolist() == ["MASH \u2013 North"]
    assert "ssd_department.csv is not UTF-8: read as Windows-1252" in tiny.assumptions


def test_aliases_any_order_and_extra_columns(tiny):
    a = tiny.assumptions
    for file, old, new in (("ssd_person.csv", "pers_single_unique_id", "pers_common_child_id"),
                           ("ssd_cin_assessments.csv", "cina_assessment_child_seen_flag", "cina_assessment_child_seen"),
                           ("ssd_involvements.csv", "invo_involvement_id", "invo_involvements_id"),
                           ("ssd_professionals.csv", "prof_fte", "prof_full_time_equivalency"),
                           ("ssd_professionals.csv", "prof_caseload", "prof_professional_caseload")):
        assert f"{file}: the column {old} was read as {new} (its name in the current SSD)" in a
    assert tiny.table("ssd_person")["pers_common_child_id"].tolist() == [hashed(u) for u in ("U-0001", "U-0002", "U-0003")]
    assert tiny.table("ssd_involvements")["invo_involvements_id"].tolist() == [hashed("I-0001"), hashed("I-0002")]
    # Each table's columns are the subset's, whatever order and extras the file had.
    for name, frame in tiny.tables.items():
        read = {c.name for c in ssd.TABLES[name]}
        if name == "ssd_contacts":
            read = read - {"cont_contact_outcome_json"} | {"outcome", "cp_enquiry"}
        if name == "ssd_person":
            read = read - {"pers_dob"} | {"pers_age_band"}
        assert set(frame.columns) - {"_line"} == read, name
    assert "cont_extra_note" not in tiny.table("ssd_contacts") and "cine_referral_source_desc" not in tiny.table("ssd_cin_episodes")
    # Missing optional columns and tables are read as empty, and said.
    assert "ssd_cin_assessments.csv has no column cina_assessment_team: read as empty" in a
    assert tiny.table("ssd_cin_assessments")["cina_assessment_team"].isna().all()
    for table in ("ssd_early_help_episodes", "ssd_s47_enquiry", "ssd_initial_cp_conference"):
        assert f"{table}.csv is not in the extract: read as empty" in a
        assert len(tiny.table(table)) == 0
    assert len(tiny.table("ssd_cp_plans")) == 0 and len(tiny.table("ssd_cla_episodes")) == 0
    assert [len(tiny.table(t)) for t in ("ssd_person", "ssd_contacts", "ssd_cin_episodes", "ssd_involvements")] == [3, 5, 2, 2]


def test_roster_fills_empty_agency_flags_and_fte(tiny):
    prof = tiny.table("ssd_professionals")
    assert prof["prof_professional_id"].tolist() == [hashed(w) for w in ("W-0001", "W-0002", "W-0003")]
    assert prof["prof_agency_worker_flag"].tolist() == [False, True, False]   # roster, own, default
    assert prof["prof_full_time_equivalency"].tolist() == [0.8, 0.5, 1.0]    # roster, own (wins), default
    assert prof["prof_professional_caseload"][0] == 12 and pd.isna(prof["prof_professional_caseload"][1])
    assert prof["prof_professional_job_title"].tolist() == ["Social Worker", "Social Worker (agency)", "Social Worker"]
    a = tiny.assumptions
    assert "prof_agency_worker_flag was taken from roster.csv for 1 professionals" in a
    assert "prof_full_time_equivalency was taken from roster.csv for 1 professionals" in a
    assert "professionals with no agency flag were read as employed, not agency (1)" in a
    assert "professionals with no FTE were read as full time (1)" in a


def test_without_roster_the_gaps_are_defaults(tmp_path):
    folder = write_tiny(tmp_path / "x")
    (folder / "roster.csv").unlink()
    prof = read_extract(folder, key=KEY).table("ssd_professionals")
    assert prof["prof_agency_worker_flag"].tolist() == [False, True, False]
    assert prof["prof_full_time_equivalency"].tolist() == [1.0, 0.5, 1.0]


def test_tiny_pseudonyms_names_and_dates_of_birth(tiny):
    for name, frame in tiny.tables.items():
        for col in id_columns(name):
            assert all(pd.isna(v) or PSEUDONYM.match(v) for v in frame[col]), (name, col)
        cells = {str(v) for col in frame.columns for v in frame[col]}
        assert not cells & TINY_IDS, name
        assert not any(n in c for n in NAMES for c in cells), name
        assert not any(d in c for d in ("2014-03-05", "2014-03-05 00:00:00") for c in cells)
    # Links kept: R-0001 is one pseudonym wherever it is named.
    r1 = hashed("R-0001")
    assert tiny.table("ssd_cin_episodes")["cine_referral_id"][0] == r1
    assert tiny.table("ssd_cin_assessments")["cina_referral_id"][0] == r1
    assert tiny.table("ssd_cin_plans")["cinp_referral_id"][0] == r1
    assert set(tiny.table("ssd_involvements")["invo_referral_id"]) == {r1}
    person = tiny.table("ssd_person")
    assert "pers_dob" not in person and "prof_professional_name" not in tiny.table("ssd_professionals")
    # Ages on the extract's last day (2025-03-31): 11, unknown, 0.
    assert [None if pd.isna(b) else b for b in person["pers_age_band"]] == ["10-15", None, "under 1"]
    assert not any(pd.api.types.is_datetime64_any_dtype(person[c]) for c in person.columns)


def test_names_column_is_never_used(tmp_path):
    """Whatever the names column holds (here rubbish that would be refused in any column read) is
    ignored, and a professionals file without one reads the same."""
    lines = list(TINY["ssd_professionals.csv"])
    lines[1] = lines[1].replace("Jane Example", "1900-01-01")
    a = read_extract(write_tiny(tmp_path / "a", ssd_professionals__csv=lines), key=KEY)
    no_names = [",".join(line.split(",")[1:]) for line in TINY["ssd_professionals.csv"]]
    no_names[3] = no_names[3].split(",", 1)[1]   # the third name held a quoted comma
    b = read_extract(write_tiny(tmp_path / "b", ssd_professionals__csv=no_names), key=KEY)
    pd.testing.assert_frame_equal(a.table("ssd_professionals"), b.table("ssd_professionals"))


def test_trailing_commas_and_blank_lines(tmp_path):
    """Unnamed columns (a comma at each line's end) are ignored; blank lines are skipped and the
    lines of the rows after them are still their own."""
    plans = [line + ",," for line in TINY["ssd_cin_plans.csv"]]
    contacts = TINY["ssd_contacts.csv"][:3] + ["", "  "] + TINY["ssd_contacts.csv"][3:]
    x = read_extract(write_tiny(tmp_path / "x", ssd_cin_plans__csv=plans, ssd_contacts__csv=contacts), key=KEY)
    assert x.table("ssd_cin_plans")["cinp_cin_plan_start_date"].tolist() == [pd.Timestamp("2025-01-20")]
    assert x.table("ssd_contacts")["_line"].tolist() == [2, 3, 6, 7, 8]
    assert len(x.table("ssd_contacts")) == 5


def test_utf16_and_upper_case_names(tmp_path):
    """A UTF-16 file (Excel's "Unicode text", saved with commas) is read, and said; column names
    are matched whatever their case."""
    plans = [TINY["ssd_cin_plans.csv"][0].upper(), TINY["ssd_cin_plans.csv"][1]]
    folder = write_tiny(tmp_path / "x", ssd_cin_plans__csv=plans)
    (folder / "ssd_cin_plans.csv").write_bytes(("\r\n".join(plans) + "\r\n").encode("utf-16"))
    x = read_extract(folder, key=KEY)
    assert "ssd_cin_plans.csv is UTF-16: read as such" in x.assumptions
    plan = x.table("ssd_cin_plans")
    assert plan["cinp_cin_plan_start_date"].tolist() == [pd.Timestamp("2025-01-20")]
    assert plan["cinp_referral_id"].tolist() == [hashed("R-0001")]


# -- pseudonymisation of the committed fictional extract ----------------------------------------------
@functools.lru_cache(maxsize=None)
def example_text(name: str) -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / name, dtype=str, keep_default_na=False)


def input_column(table: str, col: str) -> pd.Series:
    frame = example_text(ssd.file_name(table))
    found = next(n for n in (col, *ssd.ALIASES.get(col, ())) if n in frame)
    return frame[found]


@functools.lru_cache(maxsize=None)
def example_ids() -> frozenset[str]:
    """Every identifier value in the committed extract (roster included)."""
    values = set()
    for table in ssd.TABLES:
        for col in id_columns(table):
            values |= set(input_column(table, col))
    values |= set(example_text(ssd.ROSTER_FILE)["prof_professional_id"])
    return frozenset(values - {"", "NULL"})


@pytest.fixture(scope="module")
def example():
    return read_extract(EXAMPLE, key=KEY)


@pytest.fixture(scope="module")
def example_other_key():
    return read_extract(EXAMPLE, key=b"another key")


def test_no_input_identifier_survives(example):
    ids = example_ids()
    assert len(ids) > 5000
    for name, frame in example.tables.items():
        for col in id_columns(name):
            values = frame[col].dropna()
            assert values.map(lambda v: bool(PSEUDONYM.match(v))).all(), (name, col)
        cells = set()
        for col in frame.columns:
            cells |= set(frame[col].astype(str))
        assert not cells & ids, name


def test_pseudonyms_are_keyed_hashes_of_the_inputs(example):
    """Row by row, every id column holds HMAC(key, the input's id) (empty where the input was empty)."""
    for table in ssd.TABLES:
        frame = example.table(table)
        for col in id_columns(table):
            given = input_column(table, col)
            expected = [None if v in ("", "NULL") else hashed(v) for v in given.str.strip()]
            assert [None if pd.isna(v) else v for v in frame[col]] == expected, (table, col)


def test_links_across_tables_are_kept(example):
    t = example.tables
    referrals = set(t["ssd_cin_episodes"]["cine_referral_id"])
    for table, col in (("ssd_cin_assessments", "cina_referral_id"), ("ssd_s47_enquiry", "s47e_referral_id"),
                       ("ssd_cin_plans", "cinp_referral_id"), ("ssd_cp_plans", "cppl_referral_id"),
                       ("ssd_initial_cp_conference", "icpc_referral_id")):
        assert len(t[table]) and set(t[table][col]) <= referrals, table
    people = set(t["ssd_person"]["pers_person_id"])
    assert set(t["ssd_contacts"]["cont_person_id"]) <= people
    assert set(t["ssd_cin_episodes"]["cine_person_id"]) <= people
    # The same input id is the same pseudonym in every table, and different ids stay different.
    pairs = set()
    for table in ssd.TABLES:
        for col in id_columns(table):
            pairs |= {(a, b) for a, b in zip(input_column(table, col).str.strip(), t[table][col]) if not pd.isna(b)}
    forward = {a for a, _ in pairs}
    backward = {b for _, b in pairs}
    assert len(pairs) == len(forward) == len(backward)


def test_another_key_changes_only_the_pseudonyms(example, example_other_key):
    a, b = example, example_other_key
    assert a.assumptions == b.assumptions and (a.first_day, a.last_day) == (b.first_day, b.last_day)
    assert a.digest == b.digest
    a_ids, b_ids = set(), set()
    for name in ssd.TABLES:
        fa, fb = a.table(name), b.table(name)
        ids = id_columns(name)
        pd.testing.assert_frame_equal(fa.drop(columns=ids), fb.drop(columns=ids))
        for col in ids:
            # Same pattern of equal and empty ids, other values.
            assert (fa[col].isna() == fb[col].isna()).all()
            assert fa[col].factorize()[0].tolist() == fb[col].factorize()[0].tolist(), (name, col)
            a_ids |= set(fa[col].dropna())
            b_ids |= set(fb[col].dropna())
    assert a_ids and not a_ids & b_ids


def test_no_key_given_draws_a_fresh_one(tmp_path):
    folder = write_tiny(tmp_path / "x")
    one, two = read_extract(folder), read_extract(folder)
    assert one.table("ssd_contacts")["cont_contact_id"][0] != two.table("ssd_contacts")["cont_contact_id"][0]
    assert one.table("ssd_contacts")["cont_contact_id"][0] != hashed("C-0001")


def test_example_dates_of_birth_gone(example):
    person = example.table("ssd_person")
    assert "pers_dob" not in person and len(person) == len(example_text("ssd_person.csv"))
    assert set(person["pers_age_band"].dropna()) <= {label for _, label in AGE_BANDS}
    assert person["pers_age_band"].notna().mean() > 0.95
    dobs = set(example_text("ssd_person.csv")["pers_dob"]) - {"", "NULL"}
    cells = {str(v) for col in person.columns for v in person[col]}
    assert not cells & dobs
    assert "prof_professional_name" not in example.table("ssd_professionals")


# -- a table of bad extracts -----------------------------------------------------------------------
def text_of(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def put(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / name, index=False)


def set_cell(name: str, col: str, row: int, value: str):
    """A breaker: ``col`` of data row ``row`` (0-based; line row + 2) of ``name`` set to ``value``."""
    def apply(folder: Path) -> None:
        frame = text_of(folder, name)
        frame.loc[row, col] = value
        put(folder, name, frame)
    return apply


def edit_lines(name: str, fn):
    def apply(folder: Path) -> None:
        path = folder / name
        lines = path.read_text(encoding="utf-8").split("\n")
        path.write_text("\n".join(fn(lines)), encoding="utf-8")
    return apply


def write(name: str, text: str):
    def apply(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")
    return apply


def remove(name: str):
    return lambda folder: (folder / name).unlink()


def header_renamed(name: str, old: str, new: str):
    return edit_lines(name, lambda lines: [",".join(new if c == old else c for c in lines[0].split(","))] + lines[1:])


def drop_column(name: str, col: str):
    def apply(folder: Path) -> None:
        put(folder, name, text_of(folder, name).drop(columns=[col]))
    return apply


def same_as_row(name: str, col: str, row: int, source_row: int):
    def apply(folder: Path) -> None:
        frame = text_of(folder, name)
        frame.loc[row, col] = frame.loc[source_row, col]
        put(folder, name, frame)
    return apply


def before_its_referral(name: str, col: str, start: str, row: int):
    """Row ``row`` of ``name`` starts ten days before the referral it names (written ISO)."""
    def apply(folder: Path) -> None:
        frame = text_of(folder, name)
        referrals = text_of(folder, "ssd_cin_episodes.csv").set_index("cine_referral_id")["cine_referral_date"]
        referred = pd.Timestamp(referrals[frame.loc[row, col]][:10])
        frame.loc[row, start] = f"{referred - pd.Timedelta(days=10):%Y-%m-%d}"
        put(folder, name, frame)
    return apply


def roster_names_stranger(folder: Path) -> None:
    frame = text_of(folder, "roster.csv")
    frame.loc[5, "prof_professional_id"] = "WSTRANGER1"
    put(folder, "roster.csv", frame)


def end_before_start(folder: Path) -> None:
    frame = text_of(folder, "ssd_cp_plans.csv")
    frame.loc[2, "cppl_cp_plan_end_date"] = "01/11/2024"   # its start is 01/12/2024
    assert frame.loc[2, "cppl_cp_plan_start_date"] == "01/12/2024"
    put(folder, "ssd_cp_plans.csv", frame)


def too_many_values(line: int):
    def fn(lines):
        lines[line - 1] += ",an extra value"
        return lines
    return edit_lines("ssd_cin_episodes.csv", fn)


def blank_line_then_empty_id(folder: Path) -> None:
    """An empty id on data row 9, after a blank line at line 4: the row is on line 12, not 11."""
    set_cell("ssd_cin_assessments.csv", "cina_assessment_id", 9, "")(folder)
    edit_lines("ssd_cin_assessments.csv", lambda lines: lines[:3] + [""] + lines[3:])(folder)


def unclosed_quote(lines):
    lines[6] = lines[6].replace("RC7", '"RC7', 1)
    return lines


def contacts_header_only(lines):
    return [lines[0], ""]


# (id, breaker, the file the message names, its line or None, the problem as a regex,
#  values the message must not echo)
BAD = [
    ("required-file-missing", remove("ssd_cin_plans.csv"), "ssd_cin_plans.csv", None,
     r"^The extract has no ssd_cin_plans\.csv, which caseflow needs: export the SSD table ssd_cin_plans as "
     r"ssd_cin_plans\.csv into extract\.$", ()),
    ("empty-file", write("ssd_cp_plans.csv", ""), "ssd_cp_plans.csv", None,
     r"^ssd_cp_plans\.csv is empty: it needs a header line naming its columns and a row for each record\.$", ()),
    ("blank-file", write("ssd_cla_episodes.csv", "\r\n  \r\n"), "ssd_cla_episodes.csv", None,
     r"^ssd_cla_episodes\.csv is empty: ", ()),
    ("required-column-missing", drop_column("ssd_contacts.csv", "cont_contact_date"), "ssd_contacts.csv", None,
     r"^ssd_contacts\.csv has no column cont_contact_date, which caseflow needs; columns are matched by name, "
     r"in any order\.$", ()),
    ("required-column-missing-alias", drop_column("ssd_involvements.csv", "invo_involvement_id"),
     "ssd_involvements.csv", None,
     r"^ssd_involvements\.csv has no column invo_involvements_id \(or invo_involvement_id\), which caseflow needs", ()),
    ("column-named-twice", header_renamed("ssd_cin_plans.csv", "cinp_person_id", "cinp_referral_id"),
     "ssd_cin_plans.csv", None,
     r"^ssd_cin_plans\.csv names the column cinp_referral_id twice \(columns 3 and 5\): each column once\.$", ()),
    ("column-named-twice-by-case", header_renamed("ssd_cin_plans.csv", "cinp_person_id", "CINP_Referral_ID"),
     "ssd_cin_plans.csv", None, r"^ssd_cin_plans\.csv names the column cinp_referral_id twice \(columns 3 and 5\)", ()),
    ("too-many-values", too_many_values(5), "ssd_cin_episodes.csv", 5,
     r"has 10 values but the header names 9 columns \(a comma inside a value must be quoted\)\.$", ()),
    ("too-many-values-first-row", too_many_values(2), "ssd_cin_episodes.csv", 2,
     r"has 10 values but the header names 9 columns", ()),
    ("unclosed-quote", edit_lines("ssd_cin_episodes.csv", unclosed_quote), "ssd_cin_episodes.csv", 7,
     r"a quoted value starts here but its closing quote is missing", ()),
    ("tab-separated", edit_lines("ssd_cin_plans.csv", lambda lines: [x.replace(",", "\t") for x in lines]),
     "ssd_cin_plans.csv", 1, r"the header is one column holding tabs or semicolons, but caseflow reads "
     r"comma-separated files: save the table as CSV with commas\.$", ()),
    ("required-id-empty", set_cell("ssd_cin_assessments.csv", "cina_assessment_id", 9, ""), "ssd_cin_assessments.csv",
     11, r"cina_assessment_id is empty, but every row needs one\.$", ()),
    ("required-id-empty-after-blank-line", blank_line_then_empty_id, "ssd_cin_assessments.csv", 12,
     r"cina_assessment_id is empty, but every row needs one\.$", ()),
    ("required-id-null", set_cell("ssd_involvements.csv", "invo_person_id", 0, "NULL"), "ssd_involvements.csv", 2,
     r"invo_person_id is empty, but every row needs one\.$", ()),
    ("required-date-empty", set_cell("ssd_contacts.csv", "cont_contact_date", 3, "NULL"), "ssd_contacts.csv", 5,
     r"cont_contact_date is empty, but every row needs one\.$", ()),
    ("unreadable-date", set_cell("ssd_cin_episodes.csv", "cine_referral_date", 40, "10 Dec 2024"),
     "ssd_cin_episodes.csv", 42, r"cine_referral_date is '10 Dec 2024', which is not a date caseflow reads: dates are "
     r"read as 2024-12-10, 2024-12-10 00:00:00\.000 or 10/12/2024\.$", ()),
    ("unreadable-date-us-style", set_cell("ssd_cin_assessments.csv", "cina_assessment_auth_date", 3, "12/31/2024"),
     "ssd_cin_assessments.csv", 5, r"cina_assessment_auth_date '12/31/2024' is not a date in the calendar\.$", ()),
    ("date-not-in-calendar", set_cell("ssd_cp_plans.csv", "cppl_cp_plan_start_date", 6, "31/02/2024"),
     "ssd_cp_plans.csv", 8, r"cppl_cp_plan_start_date '31/02/2024' is not a date in the calendar\.$", ()),
    ("start-date-1900", set_cell("ssd_early_help_episodes.csv", "earl_episode_start_date", 12, "01/01/1900"),
     "ssd_early_help_episodes.csv", 14,
     r"earl_episode_start_date is 01/01/1900, which means no date, but every row needs one\.$", ()),
    ("time-not-on-the-clock", set_cell("ssd_contacts.csv", "cont_contact_date", 7, "2025-01-20 25:00:00.000"),
     "ssd_contacts.csv", 9, r"cont_contact_date '2025-01-20 25:00:00\.000' is not a date in the calendar\.$", ()),
    ("date-after-2100", set_cell("ssd_s47_enquiry.csv", "s47e_s47_end_date", 20, "2150-01-01"),
     "ssd_s47_enquiry.csv", 22, r"s47e_s47_end_date '2150-01-01' is after 2100: a mistake, or a no-date marker "
     r"caseflow does not know \(it knows 1900-01-01 and 9999-12-31\)\.$", ()),
    ("date-before-1950", set_cell("ssd_initial_cp_conference.csv", "icpc_icpc_date", 4, "1949-05-01 00:00:00.000"),
     "ssd_initial_cp_conference.csv", 6, r"icpc_icpc_date is 1949-05-01, before 1950: a mistake", ()),
    ("bad-flag", set_cell("ssd_cin_episodes.csv", "cine_referral_nfa", 7, "maybe"), "ssd_cin_episodes.csv", 9,
     r"cine_referral_nfa is 'maybe', but a flag must be Y or N \(Yes/No, 1/0 and True/False are read too\) or "
     r"empty\.$", ()),
    ("negative-caseload", set_cell("ssd_professionals.csv", "prof_professional_caseload", 2, "-3"),
     "ssd_professionals.csv", 4, r"prof_professional_caseload is '-3', but it must be a number of 0 or more, or "
     r"empty\.$", ()),
    ("non-numeric-caseload", set_cell("ssd_professionals.csv", "prof_professional_caseload", 3, "ten"),
     "ssd_professionals.csv", 5, r"prof_professional_caseload is 'ten', but it must be a number of 0 or more", ()),
    ("fte-above-1", set_cell("ssd_professionals.csv", "prof_fte", 4, "1.5"), "ssd_professionals.csv", 6,
     r"prof_full_time_equivalency is 1\.5, but an FTE must be above 0 and at most 1\.$", ()),
    ("roster-fte-above-1", set_cell("roster.csv", "prof_full_time_equivalency", 0, "2"), "roster.csv", 2,
     r"prof_full_time_equivalency is 2, but an FTE must be above 0 and at most 1\.$", ()),
    ("end-before-start", end_before_start, "ssd_cp_plans.csv", 4,
     r"cppl_cp_plan_end_date \(2024-11-01\) is before cppl_cp_plan_start_date \(2024-12-01\): an end cannot come "
     r"before its start\.$", ()),
    ("duplicated-id", same_as_row("ssd_contacts.csv", "cont_contact_id", 10, 3), "ssd_contacts.csv", 12,
     r"cont_contact_id repeats the id on line 5; each record's id must be unique\.$", ()),
    ("assessment-unknown-referral", set_cell("ssd_cin_assessments.csv", "cina_referral_id", 15, "RNOSUCHONE"),
     "ssd_cin_assessments.csv", 17, r"cina_referral_id names a referral that ssd_cin_episodes\.csv does not hold\.$",
     ("RNOSUCHONE",)),
    ("allocated-before-referral",
     before_its_referral("ssd_involvements.csv", "invo_referral_id", "invo_involvement_start_date", 30),
     "ssd_involvements.csv", 32, r"the child was allocated \(\d{4}-\d\d-\d\d\) before the referral "
     r"\(\d{4}-\d\d-\d\d\): a child cannot be allocated before they are referred\.$", ()),
    ("assessment-before-referral",
     before_its_referral("ssd_cin_assessments.csv", "cina_referral_id", "cina_assessment_start_date", 30),
     "ssd_cin_assessments.csv", 32, r"the assessment starts \(\d{4}-\d\d-\d\d\) before the referral "
     r"\(\d{4}-\d\d-\d\d\)", ()),
    ("unknown-worker-change-reason", set_cell("ssd_involvements.csv", "invo_worker_change_reason", 8, "HOLIDAY"),
     "ssd_involvements.csv", 10, r"invo_worker_change_reason is 'HOLIDAY', but the SSD's reasons are MANAGE, FCONTA, "
     r"LEFTRL, .* \(or empty\)\.$", ()),
    ("invalid-json", set_cell("ssd_contacts.csv", "cont_contact_outcome_json", 25, '{"NEW_REFERRAL_FLAG": "Y"'),
     "ssd_contacts.csv", 27, r"cont_contact_outcome_json is not JSON \(it must be an object of flags", ()),
    ("json-not-an-object", set_cell("ssd_contacts.csv", "cont_contact_outcome_json", 26, '["Y", "N"]'),
     "ssd_contacts.csv", 28, r"cont_contact_outcome_json must be an object of flags", ()),
    ("roster-unknown-professional", roster_names_stranger, "roster.csv", 7,
     r"names a professional ssd_professionals\.csv does not hold \(match prof_professional_id\)\.$", ("WSTRANGER1",)),
    ("roster-professional-twice", same_as_row("roster.csv", "prof_professional_id", 6, 2), "roster.csv", 8,
     r"names the same professional as an earlier line; each professional once\.$", ()),
    ("contacts-header-only", edit_lines("ssd_contacts.csv", contacts_header_only), "ssd_contacts.csv", None,
     r"^ssd_contacts\.csv holds no contacts: caseflow needs the extract's contacts", ()),
    ("dob-not-in-calendar", set_cell("ssd_person.csv", "pers_dob", 10, "2013-02-30"), "ssd_person.csv", 12,
     r"pers_dob is not a date in the calendar\.$", ("2013-02-30",)),
    ("dob-unreadable", set_cell("ssd_person.csv", "pers_dob", 11, "5th March 2013"), "ssd_person.csv", 13,
     r"pers_dob is not a date caseflow reads", ("5th March 2013", "March")),
    ("dob-after-2100", set_cell("ssd_person.csv", "pers_dob", 12, "2113-03-05"), "ssd_person.csv", 14,
     r"pers_dob is after 2100", ("2113-03-05",)),
]


@functools.lru_cache(maxsize=None)
def _identifier_pattern() -> re.Pattern:
    return re.compile("|".join(sorted(map(re.escape, example_ids()), key=len, reverse=True)))


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_extract_is_refused_in_one_sentence(case, tmp_path, monkeypatch):
    _, breaker, file, line, problem, secrets = case
    folder = tmp_path / "extract"
    shutil.copytree(EXAMPLE, folder)
    breaker(folder)
    before = sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)   # the folder is named as given: "extract"
    with pytest.raises(ExtractError) as caught:
        read_extract("extract", key=KEY)
    message = str(caught.value)
    assert isinstance(caught.value, InputError)
    assert "\n" not in message and message.endswith(".")
    assert re.search(problem, message), message
    assert file in message
    if line is None:
        assert not re.search(r"\bline \d", message), message
    else:
        assert message.startswith(f"{file}, line {line}: "), message
    # No identifier (from the extract, or the breaker's own) is echoed, and a line of
    # ssd_person.csv is never quoted back: it holds dates of birth.
    found = _identifier_pattern().search(message)
    assert found is None, f"{message} echoes {found.group(0)}"
    assert not any(s in message for s in secrets), message
    if file == "ssd_person.csv":
        rest = re.sub(r"2024-12-10 00:00:00\.000|2024-12-10|10/12/2024|1900-01-01|9999-12-31", "", message)  # examples
        assert not re.search(r"\d{4}-\d\d-\d\d|\d\d?/\d\d?/\d{4}", rest), message
    assert sorted((p.name, p.stat().st_size) for p in tmp_path.rglob("*")) == before   # nothing written


def test_folder_that_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExtractError, match=r"^The extract folder nowhere does not exist or is not a folder: give the "
                                           r"folder holding the ssd_\*\.csv files\.$"):
        read_extract("nowhere")
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ExtractError, match=r"does not exist or is not a folder"):
        read_extract(tmp_path / "a_file")


def test_bad_extract_table_is_wide_enough():
    assert len(BAD) >= 15 and len({c[0] for c in BAD}) == len(BAD)


def test_refusal_is_exit_status_2():
    from sim.cli import EXIT_BAD_INPUT, ending

    assert EXIT_BAD_INPUT == 2
    assert ending(ExtractError("ssd_contacts.csv, line 3: cont_contact_id is empty")) == 2
