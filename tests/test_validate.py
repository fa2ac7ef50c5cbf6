"""caseflow validate: the DfE's figures from hand-built logs, and the command end to end."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from bad_inputs import refused
from sim.cli import main
from sim.commands.validate import COLUMNS, compose_validation, in_sample, validation_table, verdict
from sim.events import (Allocated, CaseClosed, CaseReallocated, PlanEnded, PlanStarted, PostClosed, PostOpened,
                        ReferralAccepted, WorkerLeft, WorkerStarted)
from sim.log import events_to_table
from sim.projections import events_frame
from sim.projections import published as pub
from sim.settings import compose_config

START = dt.date(2023, 4, 1)          # year=2024 runs from 1 April 2023
Y = pub.reporting_year(2024, START)  # t: 0 = 1 April 2023, 366 = 1 April 2024, 549 = 1 October 2024


def frame(events, replication: int = 0) -> pd.DataFrame:
    return events_frame(events_to_table(events, replication, START))


def one(series: pd.Series) -> float:
    assert len(series) == 1
    return float(series.iloc[0])


def test_the_reporting_year_on_the_run_clock():
    assert (Y.start, Y.end, Y.census_from, Y.census) == (0.0, 366.0, 183.0, 549.0)
    # 31 March 2024 less 3 months, 6 months, 1 year and 2 years
    assert Y.cp_cuts == (275.0, 183.0, 0.0, -365.0)


def test_a_rereferral_is_within_365_days_of_the_previous_referral_not_366():
    df = frame([
        ReferralAccepted(-300.0, 1, "amber", False, child_id=1),   # warm-up
        ReferralAccepted(-301.0, 2, "amber", False, child_id=2),
        ReferralAccepted(65.0, 3, "amber", False, child_id=1),     # 365 days on: a re-referral
        ReferralAccepted(65.0, 4, "amber", False, child_id=2),     # 366 days on: not
        ReferralAccepted(100.0, 5, "amber", False, child_id=3),    # a first referral
        ReferralAccepted(400.0, 6, "amber", False, child_id=3),    # after the year: not counted
    ])
    assert one(pub.referrals(df, Y)) == 3
    assert one(pub.rereferral_pct(df, Y)) == pytest.approx(100 / 3)


def test_closed_at_assessment_follows_each_referral_to_its_close_after_the_year():
    df = frame([
        ReferralAccepted(10.0, 1, "amber", False, child_id=1),
        CaseClosed(40.0, 1, "ASM-001", "assessment", child_id=1),
        ReferralAccepted(350.0, 2, "red", True, child_id=2),
        CaseClosed(400.0, 2, "ASM-001", "conference", child_id=2),   # after 31 March: still counts
        ReferralAccepted(20.0, 3, "amber", False, child_id=3),
        PlanStarted(60.0, 3, "cin", "assessment", child_id=3),
        ReferralAccepted(-20.0, 4, "amber", False, child_id=4),       # referred before the year
        CaseClosed(30.0, 4, "ASM-001", "assessment", child_id=4),
    ])
    assert one(pub.closed_at_assessment_pct(df, Y)) == pytest.approx(200 / 3)


def test_awaiting_assessment_counts_referrals_without_a_worker_at_the_end_of_31_march():
    df = frame([
        ReferralAccepted(300.0, 1, "amber", False, child_id=1),
        Allocated(310.0, 1, "ASM-001", "assessment", child_id=1),
        ReferralAccepted(360.0, 2, "amber", False, child_id=2),
        Allocated(370.0, 2, "ASM-001", "assessment", child_id=2),     # allocated on 5 April
        ReferralAccepted(365.5, 3, "amber", False, child_id=3),       # never allocated
        ReferralAccepted(366.5, 4, "amber", False, child_id=4),       # referred on 1 April
    ])
    assert one(pub.awaiting_assessment(df, Y)) == 2


def test_a_cp_plan_that_steps_down_to_cin_ends_the_cp_stock_but_not_the_case():
    df = frame([
        ReferralAccepted(50.0, 1, "red", True, child_id=1),
        PlanStarted(100.0, 1, "cp", "conference", child_id=1),
        PlanEnded(200.0, 1, "cp", "step_down", child_id=1),
        PlanStarted(200.0, 1, "cin", "step_down", child_id=1),
        ReferralAccepted(250.0, 2, "red", True, child_id=2),
        PlanStarted(300.0, 2, "cp", "conference", child_id=2),        # open at 31 March, 66 days
        PlanStarted(-400.0, 3, "cp", "opening_stock", child_id=3),    # open at 31 March, over 2 years
        PlanEnded(380.0, 3, "cp", "ended", child_id=3),
        CaseClosed(380.0, 3, None, "plan_ended", child_id=3),
    ])
    assert one(pub.cp_at31(df, Y)) == 2
    assert one(pub.cin_at31(df, Y)) == 3
    assert one(pub.plans_started(df, Y, "cp")) == 2                   # the opening stock is no start
    bands = pub.cp_duration_bands(df, Y).iloc[0]
    assert bands["cp_at31_under_3m_pct"] == 50 and bands["cp_at31_2y_plus_pct"] == 50
    assert bands[["cp_at31_3_to_6m_pct", "cp_at31_6_to_12m_pct", "cp_at31_1_to_2y_pct"]].sum() == 0
    spells = pub.plan_spells(df)
    ends = spells.loc[spells["case_id"] == 1, "end"].tolist()
    assert ends[0] == 200.0 and np.isnan(ends[1])                    # the CIN plan is still open


def test_cp_duration_bands_use_calendar_months_back_from_31_march():
    starts = {"cp_at31_under_3m_pct": 275.0,   # 1 January 2024: exactly 3 months
              "cp_at31_3_to_6m_pct": 183.0,    # 1 October 2023: exactly 6 months
              "cp_at31_6_to_12m_pct": 182.0,
              "cp_at31_1_to_2y_pct": 0.0,      # 1 April 2023: exactly a year
              "cp_at31_2y_plus_pct": -365.0}   # 1 April 2022: exactly two years
    for band, t in starts.items():
        df = frame([PlanStarted(t, 1, "cp", "conference", child_id=1)])
        got = pub.cp_duration_bands(df, Y).iloc[0]
        assert got[band] == 100, (band, got.to_dict())


def test_subsequent_cp_plans_count_any_earlier_plan_of_the_child_opening_stock_included():
    df = frame([
        PlanStarted(-365.0, 1, "cp", "opening_stock", child_id=7),
        PlanEnded(-100.0, 1, "cp", "ended", child_id=7),
        CaseClosed(-100.0, 1, None, "plan_ended", child_id=7),
        PlanStarted(120.0, 2, "cp", "conference", child_id=7),        # second plan for child 7
        PlanStarted(130.0, 3, "cp", "conference", child_id=8),
        PlanEnded(150.0, 3, "cp", "escalation", child_id=8),
        PlanStarted(150.0, 3, "lac", "escalation", child_id=8),
        PlanEnded(250.0, 3, "lac", "ended", child_id=8),
        CaseClosed(250.0, 3, None, "plan_ended", child_id=8),
        PlanStarted(200.0, 4, "cp", "conference", child_id=9),
    ])
    assert one(pub.cp_subsequent_pct(df, Y)) == pytest.approx(100 / 3)
    assert one(pub.plans_started(df, Y, "lac")) == 1
    assert one(pub.cla_ceased(df, Y)) == 1
    assert one(pub.cla_at31(df, Y)) == 0


def test_three_plus_social_workers_counts_distinct_workers_including_the_holder_at_the_start():
    df = frame([
        # child 1: W1 holds the case as the year begins, then W2, then W3 (and W2 again): 3 workers
        PlanStarted(-200.0, 1, "lac", "opening_stock", child_id=1),
        Allocated(-50.0, 1, "LT-001", "long_term", child_id=1),
        CaseReallocated(100.0, 1, "LT-001", "long_term", child_id=1),
        Allocated(110.0, 1, "LT-002", "long_term", child_id=1, reason="LEFTRL"),
        Allocated(200.0, 1, "LT-003", "long_term", child_id=1, reason="MANAGE"),
        Allocated(250.0, 1, "LT-002", "long_term", child_id=1, reason="MANAGE"),
        # child 2: W1 until before the year, W4 through it, W5 only after it: 1 worker
        PlanStarted(-200.0, 2, "lac", "opening_stock", child_id=2),
        Allocated(-50.0, 2, "LT-001", "long_term", child_id=2),
        Allocated(-10.0, 2, "LT-004", "long_term", child_id=2, reason="MANAGE"),
        Allocated(400.0, 2, "LT-005", "long_term", child_id=2, reason="MANAGE"),
        # child 3: three workers but no longer looked after at 31 March: not in the count
        PlanStarted(-200.0, 3, "lac", "opening_stock", child_id=3),
        Allocated(10.0, 3, "LT-001", "long_term", child_id=3),
        Allocated(20.0, 3, "LT-002", "long_term", child_id=3, reason="MANAGE"),
        Allocated(30.0, 3, "LT-003", "long_term", child_id=3, reason="MANAGE"),
        PlanEnded(40.0, 3, "lac", "ended", child_id=3),
        CaseClosed(40.0, 3, "LT-003", "plan_ended", child_id=3),
    ])
    assert one(pub.cla_at31(df, Y)) == 2
    assert one(pub.cla_3plus_sw_pct(df, Y)) == 50


def _workforce_log():
    w = []
    for post, team in (("LT-P001", "long_term"), ("LT-P002", "long_term"), ("LT-P003", "long_term"),
                       ("LT-P004", "long_term"), ("MASH-P001", "mash")):
        w.append(PostOpened(-365.0, post, team, "permanent", "establishment"))
    w += [
        WorkerStarted(-365.0, "LT-001", "long_term", "permanent", 1.0, 18, "LT-P001", 46000.0),
        WorkerStarted(-365.0, "LT-002", "long_term", "agency", 1.0, 18, "LT-P002", 64400.0),   # agency cover
        WorkerStarted(-365.0, "LT-003", "long_term", "permanent", 0.5, 9, "LT-P003", 46000.0),
        WorkerStarted(-365.0, "MASH-001", "mash", "permanent", 1.0, 0, "MASH-P001", 46000.0),
        WorkerLeft(300.0, "LT-003", "resigned"),      # in the workforce year: LT-P003 (0.5 FTE) now vacant
        WorkerLeft(100.0, "LT-004x", "resigned"),     # no such worker: ignored
        PostClosed(200.0, "LT-P004", "funding_ended"),  # closed before the census: no vacancy
        ReferralAccepted(90.0, 1, "amber", False, child_id=1),
        Allocated(100.0, 1, "LT-002", "long_term", child_id=1),
        CaseClosed(300.0, 1, "LT-002", "assessment", child_id=1),
        ReferralAccepted(490.0, 2, "amber", False, child_id=2),
        Allocated(500.0, 2, "LT-001", "long_term", child_id=2),
    ]
    return frame(w)


def test_vacancy_rate_counts_agency_filled_posts_as_vacant():
    got = pub.workforce_figures(_workforce_log(), Y).iloc[0]
    assert got["inpost_fte"] == 2.0                           # LT-001 and the MASH screener
    assert got["agency_fte"] == 1.0
    assert got["vacancy_fte"] == 1.5                          # LT-P002 (agency) + LT-P003 (0.5, empty)
    assert got["vacancy_rate_pct"] == pytest.approx(100 * 1.5 / 3.5)
    assert got["agency_rate_pct"] == pytest.approx(100 / 3)
    assert got["case_holders_fte"] == 2.0                     # the MASH screener holds no cases
    assert got["cases"] == 1 and got["caseload_per_fte"] == 0.5
    assert got["leavers_fte"] == 0.5
    assert got["turnover_rate_pct"] == pytest.approx(25.0)


def test_every_figure_per_replication():
    df = pd.concat([_workforce_log(), frame([ReferralAccepted(5.0, 1, "green", False, child_id=1)], 1)])
    out = pub.published_figures(df, Y)
    assert list(out.columns) == ["replication", *pub.FIGURE_KEYS]
    assert out["replication"].tolist() == [0, 1]
    assert out["referrals"].tolist() == [1.0, 1.0]
    assert np.isnan(out.loc[1, "vacancy_rate_pct"])            # nobody in post, no posts: no rate


# ---------------------------------------------------------------- the table


def test_inside_uses_the_replications_own_spread_and_in_sample_follows_calibration():
    cfg = compose_config(["service.calibration.year=2023", "service.calibration.figures=[referrals,nfa_pct]"])
    per_rep = pd.DataFrame({"referrals": [90.0, 100.0, 110.0], "cla_at31": [10.0, 11.0, 12.0],
                            "closed_at_assessment_pct": [50.0, 50.0, 50.0]})
    table, skipped = validation_table(per_rep, {"referrals": 100.0, "cla_at31": 30.0, "cp_at31": None,
                                                "closed_at_assessment_pct": 50.0}, cfg, 2024, 892)
    assert list(table.columns[:len(COLUMNS)]) == COLUMNS
    assert skipped == ["cp_at31"]
    t = table.set_index("figure")
    assert t.loc["referrals", "sim_p10"] == pytest.approx(92.0) and t.loc["referrals", "sim_p90"] == pytest.approx(108.0)
    assert t.loc["referrals", "inside"] and not t.loc["cla_at31", "inside"]
    assert t.loc["closed_at_assessment_pct", "inside"]         # p10 = p90 = published
    assert t["in_sample"].to_dict() == {"referrals": True, "cla_at31": False, "closed_at_assessment_pct": True}
    assert verdict(table) == ("2 of 3 figures inside the simulated 10th–90th percentile range; 1 off by more than a "
                              "factor of two")
    assert not in_sample(cfg, "referrals", 2026)               # calibrated on 2023: in sample for 2023 and 2024 only


def test_validate_imposes_the_year_the_warmup_and_twenty_replications():
    job, notes = compose_validation(2022, ["warmup_months=3"])
    cfg = job.cfg
    assert (cfg.start_date, cfg.end_date, cfg.warmup_months, cfg.replications) == ("2021-04-01", "2022-10-01", 12, 20)
    assert notes and "12" in notes[0]
    job, notes = compose_validation(2022, ["warmup_months=15", "replications=3"])
    assert (job.cfg.warmup_months, job.cfg.replications, notes) == (15, 3, [])


# ---------------------------------------------------------------- the command


def test_validate_writes_one_row_per_published_figure(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main(["validate", "year=2024", "replications=2", "service.la_code=892", "executor=serial",
          "service.calibration.year=2024", "service.calibration.figures=[referrals,cp_at31]",
          f"results_dir={tmp_path / 'results'}"])
    (out,) = (tmp_path / "results" / "validate").iterdir()
    assert {p.name for p in out.iterdir()} == {"validation.csv", "validation.md", "config.yaml", "manifest.json",
                                               "events.parquet", "workbook.xlsx", "report.html"}
    table = pd.read_csv(out / "validation.csv")
    assert list(table.columns[:len(COLUMNS)]) == COLUMNS
    assert table["figure"].is_unique and len(table) == len(pub.FIGURE_KEYS)  # every figure is published for 2024
    assert (table["la_code"] == 892).all() and (table["year"] == 2024).all()
    inside = (table["published"] >= table["sim_p10"]) & (table["published"] <= table["sim_p90"])
    assert (table["inside"] == inside).all()
    assert (table["sim_p10"] <= table["sim_p50"]).all() and (table["sim_p50"] <= table["sim_p90"]).all()
    assert set(table.loc[table["in_sample"], "figure"]) == {"referrals", "cp_at31"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["warmup_months"] == 12 and manifest["replications"] == 2
    assert manifest["start_date"] == "2023-04-01" and manifest["end_date"] == "2024-10-01"
    md = (out / "validation.md").read_text()
    assert "## Figures not used as calibration inputs" in md and "figures inside the simulated" in md
    printed = capsys.readouterr().out
    assert "figures inside the simulated 10th–90th percentile range" in printed and "Results:" in printed


def test_a_year_without_published_figures_is_skipped_not_compared():
    # the social worker changes of children looked after are published for 2024 only
    from sim.commands.validate import published_values

    assert published_values(892, 2022)["cla_3plus_sw_pct"] is None
    assert published_values(892, 2022)["closed_at_assessment_pct"] == pytest.approx(4.1 + 38.9)


@pytest.mark.parametrize("argv,words", [
    (["validate", "year=2024", "service.la_code=null"], "service.la_code"),
    (["validate", "year=2024", "service.la_code=999"], "no council"),
    (["validate", "year=1999", "service.la_code=892"], "2013 to 2024"),
    (["validate", "year=2031", "service.la_code=892"], "2013 to 2024"),
    (["validate", "year=abc", "service.la_code=892"], "four digits"),
    (["validate", "service.la_code=892"], "needs the DfE year"),
    (["validate", "year=2024", "start_date=2020-04-01"], "set by year="),
    (["validate", "year=2024", "seed=1,2"], "sweep"),
    (["validate", "year=2024", "-m"], "not supported"),
    (["validate", "year=2024", "replications=0", "service.la_code=892"], "replications"),
])
def test_validate_refuses_bad_input_in_one_sentence_and_writes_nothing(argv, words, tmp_path, capsys):
    message = refused(argv, tmp_path, capsys)
    assert words in message, message
