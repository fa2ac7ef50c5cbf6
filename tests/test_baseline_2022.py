"""Calibration: baseline_2022 reproduces what Ofsted found in July 2022."""
from __future__ import annotations

import numpy as np
import pytest

from sim.calendar import WorkingCalendar
from sim.forecast import horizon_summary
from sim.projections import assessment_times, events_frame
from sim.runner import run_replications
from sim.settings import compose_config


def test_some_children_who_met_threshold_wait_about_six_weeks_to_be_seen():
    cfg = compose_config(["scenario=baseline_2022", "replications=4", "seed=1"])
    summary = horizon_summary(events_frame(run_replications(cfg)), cfg).set_index("kpi")
    p95, p99 = summary.loc["threshold_to_seen_p95", "mean"], summary.loc["threshold_to_seen_p99", "mean"]
    assert 28 <= p95 <= p99 <= 56, f"95th/99th percentile threshold-to-seen {p95:.1f}/{p99:.1f} days"
    # "The majority of children wait too long for decisions" in the MASH.  Counted in whole
    # working days (the DfE's way: decided the next working day is within one), about a third
    # of contacts miss the one-working-day standard (the default 2023 service: below a fifth,
    # test_the_default_2023_service_is_quicker_than_2022).
    assert summary.loc["mash_within_1wd_pct", "mean"] < 70


def test_the_default_2023_service_is_quicker_than_2022():
    base = compose_config(["scenario=baseline_2022", "replications=2", "seed=1"])
    now = compose_config(["replications=2", "seed=1"])
    summaries = [horizon_summary(events_frame(run_replications(c)), c).set_index("kpi")["mean"] for c in (base, now)]
    p90 = [s["threshold_to_seen_p90"] for s in summaries]
    assert p90[1] < p90[0]
    assert np.isfinite(p90).all()
    # Eight more MASH posts: more decisions within a working day, a smaller MASH backlog.
    within = [s["mash_within_1wd_pct"] for s in summaries]
    assert within[1] > within[0] + 10, within
    assert summaries[1]["awaiting_mash_decision_mean"] < summaries[0]["awaiting_mash_decision_mean"]


def test_without_delays_assessment_timeliness_matches_the_published_distribution():
    """With nobody waiting for allocation, visits immediate and no minimum work after the visit,
    non-CP assessments take the configured histogram's times (the DfE's counts, 85.7% within
    45 working days on its own bins, 2024-25; the service's bins run a day earlier from 31);
    CP outcomes complete at the conference (within 30), so the share is a little higher.

    Counted as the DfE counts (whole working days between the dates) the simulated share is a
    little below the histogram's: a duration drawn uniformly within the bin "41-45" (41 to 46
    working days) started at a random time of day ends on the 46th working day after the
    referral's date whenever duration + time of day >= 46.  So non-CP assessments are within
    45 with probability integral_0^1 F(46 - u) du (F the histogram's distribution function),
    about 83.8%, not F(46) = 85.7%."""
    cfg = compose_config(["horizon_months=6", "seed=2", "service.workforce.assessment.groups.0.count=60",
                          "service.casework.visit_delay.kind=fixed", "service.casework.visit_delay.value=0",
                          "service.casework.visit_delay_s47.kind=fixed", "service.casework.visit_delay_s47.value=0",
                          "service.casework.min_assessment_after_visit.kind=fixed",
                          "service.casework.min_assessment_after_visit.value=0"])
    df = events_frame(run_replications(cfg))
    summary = horizon_summary(df, cfg).set_index("kpi")
    assert summary.loc["waiting_for_allocation_end", "mean"] == 0
    spec = cfg.service.casework.assessment_duration
    edges, counts = np.asarray(spec.edges, float), np.asarray(spec.counts, float)
    cdf = np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])
    # The counts are the DfE's (C2 2024-25); on the DfE's own bins 85.7% are within 45.  The
    # service holds them on bins from 31 working days moved a day earlier (nottingham.yaml:
    # the waits and changes of worker a running service adds), so without any delay here
    # the share is higher than published.
    dfe_edges = np.array([0, 1, 11, 21, 31, 41, 46, 51, 61, 90], float)
    published = float(np.interp(46.0, dfe_edges, cdf))
    assert published == pytest.approx(0.857, abs=5e-4)
    assert float(np.interp(46.0, edges, cdf)) > published
    theory = float(np.mean(np.interp(46.0 - (np.arange(1000) + 0.5) / 1000, edges, cdf)))
    done = assessment_times(df, WorkingCalendar.for_run(cfg))
    done = done[done["completed"] >= 0]  # completed within the forecast horizon
    other, cp = done[done["outcome"] != "cp"], done[done["outcome"] == "cp"]
    assert len(other) > 1000 and len(cp) > 20
    share = float((other["working_days"] <= 45).mean())
    sd = (theory * (1 - theory) / len(other)) ** 0.5
    assert abs(share - theory) < 3.5 * sd, (share, theory, sd)
    # Child protection outcomes are decided at the initial conference, within 30 working days.
    assert (cp["working_days"] <= 30).all(), cp["working_days"].max()
    within = summary.loc["assessments_within_45wd_pct", "mean"]
    expected = 100 * (len(other) * share + len(cp)) / len(done)
    assert within == pytest.approx(expected, abs=0.05)
    assert 100 * published - 2.5 < within < 100 * float(np.interp(46.0, edges, cdf)) + 2.5, within
