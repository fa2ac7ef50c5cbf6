"""The packaged DfE statistics: values as published, suppression as missing, council look-up."""
from __future__ import annotations

import dataclasses
import math
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from sim.inputs.errors import InputError
from sim.reference import published as pub
from sim.reference.published import (FIGURES, councils, find_council, level_value, published,
                                     statistical_neighbours, value)

NOTTINGHAM = 892

# Nottingham's published figures (the DfE tables, time_period as in each file).
EXPECTED = [
    ("referrals", 2022, 4383), ("referrals", 2023, 5692), ("referrals", 2024, 4394),
    ("rereferral_pct", 2022, 19.2), ("rereferral_pct", 2023, 24.6), ("rereferral_pct", 2024, 32.2),
    ("awaiting_assessment", 2022, 336), ("awaiting_assessment", 2023, 60),
    ("awaiting_assessment", 2024, 32),
    ("cin_at31", 2022, 3285), ("cin_at31", 2023, 2937), ("cin_at31", 2024, 2374),
    ("cp_at31", 2022, 629), ("cp_at31", 2023, 529), ("cp_at31", 2024, 403),
    ("cla_at31", 2022, 722), ("cla_at31", 2023, 719), ("cla_at31", 2024, 675),
    ("cla_started", 2022, 265), ("cla_ceased", 2022, 234),
    ("cla_started", 2024, 216), ("cla_ceased", 2024, 264),
    ("case_holders_fte", 2022, 137.6), ("caseload_per_fte", 2022, 18.3),
    ("turnover_rate_pct", 2022, 26.6), ("agency_rate_pct", 2022, 19.2),
    ("vacancy_rate_pct", 2022, 19.8), ("case_holders_fte", 2024, 137.5),
    ("cla_3plus_sw_pct", 2024, 41), ("cp_subsequent_pct", 2022, 31.6),
    ("nfa_pct", 2022, 4.1), ("cp_at31_2y_plus_pct", 2022, 9.1), ("population_0_17", 2022, 66706),
]


@pytest.mark.parametrize("key, year, expected", EXPECTED)
def test_nottingham_values_are_the_published_ones(key, year, expected):
    assert value(key, NOTTINGHAM, year) == pytest.approx(expected)


def test_england_and_a_region():
    assert level_value("cla_3plus_sw_pct", "National", None, 2024) == 27
    assert level_value("referrals", "National", None, 2024) == 621880
    # A region by name (any case) or by code gives the same row.
    by_name = level_value("referrals", "Regional", "north east", 2024)
    assert by_name == 32050 == level_value("referrals", "Regional", "E12000001", 2024)


def test_suppressed_cells_are_missing_not_zero():
    # Nottingham's 2016 CP plans of 1-2 years are published as 'c'; Sunderland's agency rate as
    # 'low'; Hackney's 2022 referrals as 'x'; Cumbria (abolished) has 'z' in 2024.
    assert value("cp_at31_1_to_2y_pct", NOTTINGHAM, 2016) is None
    assert value("agency_rate_pct", 394, 2024) is None
    assert value("referrals", 204, 2022) is None
    assert value("cla_at31", 909, 2024) is None
    # ... while a published 0 stays 0 (Darlington had no child awaiting assessment in 2024).
    assert value("awaiting_assessment", 841, 2024) == 0


@pytest.mark.parametrize("marker", ["c", "z", "x", "k", "u", "low", ":", "..", "", "  ", " c "])
def test_every_marker_reads_as_missing(marker):
    numbers = pub._numbers(pd.Series([marker, "12.5"]), "test.csv", "col")
    assert math.isnan(numbers.iloc[0]) and numbers.iloc[1] == 12.5


def test_an_unknown_marker_is_noticed():
    with pytest.raises(ValueError, match="neither a number"):
        pub._numbers(pd.Series(["n/a"]), "test.csv", "col")


def test_every_figure_column_exists_and_parses():
    """Each registry entry names a real column (numbers) and a filter that selects rows."""
    periods = {"year_to_31_march", "at_31_march", "at_30_september", "year_to_30_september",
               "at_30_june"}
    for key, fig in FIGURES.items():
        assert fig.key == key and fig.period in periods
        table = pub._table(fig.file)
        assert table[fig.column].dtype == float, key
        if fig.row_filter is not None:
            assert (table[fig.row_filter[0]] == fig.row_filter[1]).any(), key
    with pytest.raises(dataclasses.FrozenInstanceError):
        FIGURES["referrals"].column = "x"  # type: ignore[misc]


def test_published_gives_every_figure():
    figures = published(NOTTINGHAM, 2022)
    assert set(figures) == set(FIGURES)
    assert figures["referrals"] == 4383 and figures["case_holders_fte"] == 137.6
    # The social-worker changes table holds 2024 only: missing for 2022, not an error.
    assert figures["cla_3plus_sw_pct"] is None
    assert published("Nottingham", 2024)["cla_3plus_sw_pct"] == 41


@pytest.mark.parametrize("text", ["Nottingham", "nottingham", "892", "E06000018",
                                  "Nottingham City Council", 892])
def test_find_council(text):
    assert find_council(text) == NOTTINGHAM


def test_find_council_with_punctuation_and_city_of():
    assert find_council("Bristol") == find_council("City of Bristol") == 801
    assert find_council("Bournemouth Christchurch & Poole") == 839
    assert find_council("City of London") == 201
    assert find_council("E10000002") == 825  # Buckinghamshire's code before 2020


def test_unknown_council_is_one_sentence_with_a_suggestion():
    with pytest.raises(InputError) as caught:
        find_council("Notingham")
    message = str(caught.value)
    assert "did you mean 'Nottingham'" in message and message.count(".") == 1
    with pytest.raises(InputError, match="code 999"):
        find_council("999")


def test_unknown_key_and_year_say_what_exists():
    with pytest.raises(InputError, match="did you mean 'referrals'"):
        value("referralz", NOTTINGHAM, 2022)
    with pytest.raises(InputError, match="2021, 2022, 2023, 2024"):
        value("cla_at31", NOTTINGHAM, 2019)
    with pytest.raises(InputError, match="no region"):
        level_value("referrals", "Regional", "Midlands", 2022)
    with pytest.raises(InputError):
        published(NOTTINGHAM, 1999)


def test_councils_table():
    table = councils()
    assert list(table.columns[:4]) == ["old_la_code", "new_la_code", "la_name", "region_name"]
    assert table["old_la_code"].is_unique and table["old_la_code"].dtype.kind == "i"
    row = table[table["old_la_code"] == NOTTINGHAM].iloc[0]
    assert (row["new_la_code"], row["la_name"], row["region_name"]) == (
        "E06000018", "Nottingham", "East Midlands")
    # Latest name and code win: North Yorkshire became a unitary (E06000065) in 2023.
    assert table.loc[table["old_la_code"] == 815, "new_la_code"].item() == "E06000065"


def test_statistical_neighbours():
    assert statistical_neighbours(NOTTINGHAM) == [330, 352, 391, 806, 380, 333, 852, 353, 373, 355]


def test_combined_workforce_return():
    # Kingston and Richmond make one workforce return: no row of their own, the combined one
    # is there to read.
    assert value("case_holders_fte", 314, 2022) is None
    assert level_value("case_holders_fte", "Local authority", "314 / 318", 2022) == 114.1


def test_the_package_ships_the_tables():
    folder = resources.files("sim.reference").joinpath("dfe")
    for name in pub.FILES + ("README.md",):
        assert folder.joinpath(name).is_file(), name
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert ("Contains public sector information licensed under the Open Government Licence "
            "v3.0") in readme
    assert "dfe-analytical-services/CSC_outcomes_and_enablers" in readme


def test_nothing_points_outside_the_repository():
    """No module or test may read the source folder the tables were copied from."""
    root = Path(__file__).resolve().parents[1]
    forbidden = "sha" + "red/"  # built, so that this file does not match itself
    offenders = [str(path.relative_to(root))
                 for folder in ("sim", "tests") for path in (root / folder).rglob("*")
                 if path.is_file() and path.suffix in {".py", ".md", ".csv", ".yaml", ".toml"}
                 and forbidden in path.read_text(encoding="utf-8", errors="replace")]
    assert offenders == []
