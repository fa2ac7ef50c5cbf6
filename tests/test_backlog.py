"""Backlogs: contacts awaiting a MASH decision, children waiting for allocation, and the
unstable-queue test that says when a backlog grows without bound."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import events as E
from sim.calendar import WorkingCalendar
from sim.cli import main
from sim.config import horizon_end, parse_date
from sim.forecast import (PRECISION_KPIS, QUEUES, horizon_summary, log_views, monthly, precision_verdict,
                          queue_warnings, summary_from_window, window_kpis)
from sim.log import events_to_table
from sim.projections import events_frame, level_at, mean_level, queue_intervals
from sim.projections.levels import level_integral, month_end_levels
from sim.report import print_summary
from sim.runner import run_replications
from sim.settings import compose_config
from sim.stability import queue_trend, second_half, unstable_overall

START = dt.date(2023, 6, 1)  # June (30 days: t 0-30), then July (31 days: t 30-61)
ONE_MASH_WORKER = ["horizon_months=6", "warmup_months=0", "service.workforce.mash.groups=[{count:1}]",
                   "replications=2", "executor=serial"]


def backlog_log():
    """Four contacts: decided after 10 days (a referral, allocated 30 days later), after 30
    days, never, and after 2 days."""
    return [
        E.PostOpened(0.0, "ASM-P001", "assessment", "permanent", "establishment"),
        E.WorkerStarted(0.0, "ASM-001", "assessment", "permanent", 1.0, 18, "ASM-P001", 46000.0),
        E.ContactReceived(1.0, 1, "amber", "police", False),
        E.ContactReceived(5.0, 2, "green", "schools", True),
        E.ConsentRequested(5.0, 2),
        E.MashDecided(11.0, 1, "MASH-001", "referral"),
        E.ReferralAccepted(11.0, 1, "amber", False),
        E.ContactReceived(20.0, 3, "green", "health", True),
        E.ConsentRequested(20.0, 3),
        E.MashDecided(35.0, 2, "MASH-001", "no_further_action"),
        E.Allocated(41.0, 1, "ASM-001", "assessment"),
        E.ContactReceived(50.0, 4, "amber", "police", False),
        E.MashDecided(52.0, 4, "MASH-001", "early_help"),
    ]


@pytest.fixture
def df():
    return events_frame(events_to_table(backlog_log(), 0, START))


@pytest.fixture
def cfg():
    return compose_config(["start_date=2023-06-01", "horizon_months=2", "warmup_months=0"])


def test_contacts_await_a_mash_decision_until_decided_or_for_ever(df):
    iv = queue_intervals(df)["awaiting_mash_decision"].set_index("case_id")
    assert iv["start"].tolist() == [1.0, 5.0, 20.0, 50.0]
    assert iv["end"].tolist()[:2] == [11.0, 35.0] and np.isnan(iv.loc[3, "end"]) and iv.loc[4, "end"] == 52.0
    lv = month_end_levels(df, np.array([0.5, 1.0, 11.0, 30.0, 61.0]), [0])
    assert lv["awaiting_mash_decision"][0].tolist() == [0, 1, 1, 2, 1]  # at 11 contact 1 is decided, 2 waits


def test_month_end_and_time_averaged_backlogs_exactly(df, cfg):
    m = monthly(df, cfg).set_index("period")
    assert m.loc["2023-06", "awaiting_mash_decision"] == 2  # contacts 2 and 3
    assert m.loc["2023-07", "awaiting_mash_decision"] == 1  # contact 3, never decided
    # June: contact 1 waits 10 days, contact 2 25 days, contact 3 10 days, over 30 days.
    assert m.loc["2023-06", "awaiting_mash_decision_mean"] == pytest.approx(45 / 30, rel=1e-12)
    # July: contact 2 5 days, contact 3 all 31, contact 4 2 days.
    assert m.loc["2023-07", "awaiting_mash_decision_mean"] == pytest.approx(38 / 31, rel=1e-12)
    # The referral waits for a worker from 11 to 41: 19 days in June, 11 in July.
    assert m.loc["2023-06", "waiting_for_allocation"] == 1 and m.loc["2023-07", "waiting_for_allocation"] == 0
    assert m.loc["2023-06", "waiting_for_allocation_mean"] == pytest.approx(19 / 30, rel=1e-12)
    assert m.loc["2023-07", "waiting_for_allocation_mean"] == pytest.approx(11 / 31, rel=1e-12)

    h = window_kpis(df, cfg).iloc[0]
    assert h["awaiting_mash_decision_end"] == 1
    assert h["awaiting_mash_decision_mean"] == pytest.approx(83 / 61, rel=1e-12)
    assert h["waiting_for_allocation_mean"] == pytest.approx(30 / 61, rel=1e-12)
    assert h["awaiting_mash_decision_midway"] == 2  # second half from day 30
    assert h["mash_queue_unstable_pct"] == 0 and h["allocation_queue_unstable_pct"] == 0


def test_time_average_is_the_integral_of_the_level():
    rng = np.random.default_rng(4)
    start = rng.uniform(-10, 50, 300)
    end = np.where(rng.random(300) < 0.2, np.nan, start + rng.exponential(5, 300))
    iv = pd.DataFrame({"replication": rng.integers(0, 2, 300), "start": start, "end": end,
                       "w": rng.uniform(0.5, 1.0, 300)})
    edges = np.array([0.0, 7.5, 30.0, 61.0])
    # By brute force: the level at the midpoints of a fine grid (a step function changes only at
    # the 600 or fewer interval ends, so 1e-3 steps err by at most 600 x 1e-3 / 61 per period).
    for weight in (None, "w"):
        exact = mean_level(iv, edges, [0, 1], weight)
        for p in range(3):
            grid = np.arange(edges[p], edges[p + 1], 1e-3) + 5e-4
            approx = level_at(iv, grid, [0, 1], weight).mean(axis=1)
            np.testing.assert_allclose(exact[:, p], approx, atol=0.01)
    # And exactly on a case worked by hand: one interval 1 to 3 and one open from 2.
    two = pd.DataFrame({"replication": [0, 0], "start": [1.0, 2.0], "end": [3.0, np.nan]})
    assert level_integral(two, np.array([0.0, 1.5, 2.5, 10.0]), [0]).tolist() == [[0.0, 0.5, 2.0, 10.0]]


def test_the_trend_rule():
    rng = np.random.default_rng(0)
    days = np.arange(180.0)
    ramp = queue_trend(100 + days * 100 / 180 + rng.normal(0, 5, 180))
    assert ramp.unstable and ramp.growth == pytest.approx(100, rel=0.05) and ramp.p_value < 1e-10
    assert not queue_trend(rng.normal(70, 5, 180)).unstable          # flat and noisy
    assert not queue_trend(days * 10 / 180).unstable                 # clear but small: 10 < 20
    assert not queue_trend(1000 + days * 100 / 180).unstable         # 100 < 25% of a 1,050 level
    assert not queue_trend(300 - days).unstable                      # falling
    # A queue that dips and recovers (a vacancy filled) passes the growth tests, but scatters
    # widely about its line: it wanders, it does not keep growing.
    wander = queue_trend(70 + 20 * np.sin(2 * np.pi * days[:92] / 92 + 0.75 * np.pi))
    assert wander.growth > max(20, 0.25 * wander.mean) and wander.p_value < 0.01
    assert not wander.unstable and wander.growth < 4 * wander.scatter
    flat = queue_trend(np.zeros(180))
    assert not flat.unstable and flat.growth == 0.0                   # nothing to fit
    assert second_half(0.0, 731.0) == (365, 731)


def test_one_mash_worker_is_an_unstable_queue(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main([*ONE_MASH_WORKER, f"results_dir={tmp_path / 'r'}"])
    out = " ".join(capsys.readouterr().out.split())  # undo the terminal's line wrapping
    (run,) = (tmp_path / "r" / "default").iterdir()
    summary = pd.read_csv(run / "summary.csv").set_index("kpi")
    mean = summary["mean"]
    assert mean["mash_queue_unstable_pct"] == 100 and mean["allocation_queue_unstable_pct"] == 0
    # About 6,500 contacts in six months (children coming back included); one worker decides
    # about 600 of them, so the backlog grows about linearly from empty to nearly all of them.
    assert mean["awaiting_mash_decision_end"] > 0.85 * mean["contacts"]
    assert mean["awaiting_mash_decision_end"] > 1.6 * mean["awaiting_mash_decision_midway"]
    assert mean["awaiting_mash_decision_midway"] > 0.4 * mean["contacts"]
    assert 0.4 * mean["contacts"] < mean["awaiting_mash_decision_mean"] < mean["awaiting_mash_decision_end"]
    forecast = pd.read_csv(run / "forecast.csv")
    assert forecast["awaiting_mash_decision_mean"].is_monotonic_increasing
    # The last month-end is the end of the horizon.
    assert forecast["awaiting_mash_decision_mean"].iloc[-1] == pytest.approx(mean["awaiting_mash_decision_end"], abs=1)
    # A script finds the figures to distrust from the unstable_queue column (empty = fine).
    flagged = summary["unstable_queue"].fillna("")
    assert flagged["mash_within_1wd_pct"] == "mash" and flagged["threshold_to_seen_p90"] == "mash"
    assert flagged["contacts"] == "" and flagged["cost"] == ""
    assert (f"Warning: the MASH queue grows without bound over the second half of the forecast (contacts "
            f"awaiting a decision rose from {mean['awaiting_mash_decision_midway']:,.0f} to "
            f"{mean['awaiting_mash_decision_end']:,.0f}): figures about MASH decisions describe only the "
            f"contacts that were decided.") in out
    assert "allocation queue grows" not in out
    # The verdict judges only contacts, agency share and cost, and says why.
    left_out = [k for k in PRECISION_KPIS if flagged[k]]
    assert "mash_within_1wd_pct" in left_out and "threshold_to_seen_median" in left_out
    assert sorted(set(PRECISION_KPIS) - set(left_out)) == ["agency_share_pct", "contacts", "cost"]
    assert (f"of 3 headline figures ({len(left_out)} left out because the MASH queue grows without bound)"
            in out)


def test_too_few_assessment_workers_is_an_unstable_allocation_queue(capsys):
    cfg = compose_config(["horizon_months=6", "warmup_months=0", "service.workforce.assessment.groups=[{count:6}]",
                          "replications=2", "executor=serial"])
    summary = horizon_summary(events_frame(run_replications(cfg)), cfg)
    s = summary.set_index("kpi")
    assert s.loc["allocation_queue_unstable_pct", "mean"] == 100 and s.loc["mash_queue_unstable_pct", "mean"] == 0
    assert s.loc["waiting_for_allocation_end", "mean"] > 1000
    assert s.loc["threshold_to_seen_p90", "unstable_queue"] == "allocation"
    assert s.loc["mash_within_1wd_pct", "unstable_queue"] == ""
    verdict = precision_verdict(summary, 2)
    assert "left out because the allocation queue grows without bound" in verdict
    print_summary(summary, cfg, Path("nowhere"))
    out = " ".join(capsys.readouterr().out.split())
    assert "Warning: the allocation queue grows without bound" in out and "MASH queue grows" not in out


def test_the_default_scenario_is_not_flagged():
    cfg = compose_config(["replications=3", "executor=serial"])
    df = events_frame(run_replications(cfg))
    per_rep = window_kpis(df, cfg, views=log_views(df, cfg))
    # The MASH queue is steady in every replication.  The assessment team is loaded near its caps
    # (calibrated to Nottingham's caseloads and children awaiting assessment), so its queue
    # wanders with vacancies and absences and may pass the trend test in a minority of
    # replications, but it is not called unstable.
    assert per_rep["mash_queue_unstable_pct"].eq(0).all()
    assert not unstable_overall(per_rep["allocation_queue_unstable_pct"].mean())
    # A steady MASH backlog of about 55 contacts (mostly waiting for consent).
    assert 40 < per_rep["awaiting_mash_decision_mean"].mean() < 120
    # Caps bend after a long wait (over_cap), so no child waits much more than that many working
    # days for an assessment worker: by Little's law the queue averages less than the referrals
    # of that many working days.
    cal = WorkingCalendar.for_run(cfg)
    per_day = per_rep["referrals"] / len(cal.working_days_in(0, (horizon_end(cfg) - parse_date('start_date', cfg.start_date)).days))
    bound = per_day * cfg.service.workforce.assessment.over_cap.after_working_days
    assert (per_rep["waiting_for_allocation_mean"] < bound).all(), (per_rep["waiting_for_allocation_mean"], bound)
    summary = summary_from_window(per_rep)
    assert summary["unstable_queue"].eq("").all()
    assert queue_warnings(summary) == []
    assert "left out" not in precision_verdict(summary, 3)
    assert set(QUEUES) == {"mash", "allocation", "transfer"}
    # Children on a plan rarely wait for a long-term worker: that queue is steady everywhere.
    assert per_rep["transfer_queue_unstable_pct"].eq(0).all()
