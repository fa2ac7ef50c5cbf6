"""Projections on hand-built logs whose answers are known."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sim import events as E
from sim.calendar import WorkingCalendar
from sim.log import events_to_table
from sim.projections import events_frame, mash_decision_times, threshold_to_seen
from sim.projections.levels import level_at, month_end_levels

START = dt.date(2023, 6, 5)  # a Monday in a week without bank holidays


def tiny_log():
    return [
        E.PostOpened(-1.0, "ASM-P001", "assessment", "permanent", "establishment"),
        E.WorkerStarted(-1.0, "ASM-001", "assessment", "permanent", 1.0, 2, "ASM-P001", 46000.0),
        E.ContactReceived(0.25, 1, "amber", "police", False),
        E.MashStarted(0.3, 1, "MASH-001"),
        E.MashDecided(0.5, 1, "MASH-001", "referral"),
        E.ReferralAccepted(0.5, 1, "amber", False),
        E.ContactReceived(0.4, 2, "green", "schools", True),
        E.ConsentRequested(0.4, 2),
        E.ConsentReceived(4.4, 2),  # Friday
        E.MashStarted(4.5, 2, "MASH-001"),
        E.MashDecided(7.4, 2, "MASH-001", "no_further_action"),  # Monday: 1 working day later
        E.Allocated(10.0, 1, "ASM-001", "assessment"),
        E.Seen(12.25, 1, "ASM-001"),
        E.AssessmentCompleted(30.0, 1, "ASM-001", "close"),
        E.CaseClosed(30.0, 1, "ASM-001", "assessment"),
    ]


@pytest.fixture
def df():
    return events_frame(events_to_table(sorted(tiny_log(), key=lambda e: e.t), 0, START))


def test_threshold_to_seen_counts_from_the_contact(df):
    seen = threshold_to_seen(df)
    assert seen["wait_days"].tolist() == [12.0]
    assert seen["referral_to_seen"].tolist() == [11.75]


def test_mash_decision_in_working_days(df):
    cal = WorkingCalendar.build(START, -5, 60)
    m = mash_decision_times(df, cal).set_index("case_id")
    # Whole working days between the dates, as the DfE counts them: decided the same day is 0.
    assert m.loc[1, "working_days"] == 0
    assert m.loc[2, "working_days"] == 5  # Mon 0.4 -> Mon 7.4: Tue, Wed, Thu, Fri, Mon


def test_whole_working_days_between_dates():
    cal = WorkingCalendar.build(START, -5, 60)  # Monday 5 June 2023
    days = lambda t0, t1: float(cal.whole_working_days_between(t0, t1))  # noqa: E731
    assert days(0.1, 0.9) == 0                  # the same day
    assert days(0.9, 1.1) == 1                  # Monday evening to Tuesday morning
    assert days(4.5, 5.5) == 0                  # Friday to Saturday: no working day after Friday yet
    assert days(4.5, 7.2) == 1                  # Friday to Monday
    assert days(5.5, 7.2) == 1                  # Saturday to Monday
    assert days(0.5, 14.5) == 10                # two working weeks
    # And on arrays.
    t0, t1 = np.array([0.25, 4.9, 2.0]), np.array([0.5, 7.0, 9.99])
    assert cal.whole_working_days_between(t0, t1).tolist() == [0, 1, 5]


def test_levels_at_instants(df):
    lv = month_end_levels(df, np.array([0.1, 5.0, 11.0, 31.0]), [0])
    assert lv["waiting_for_allocation"][0].tolist() == [0, 1, 0, 0]
    assert lv["open_cases"][0].tolist() == [0, 1, 1, 0]
    assert lv["caseload_per_fte"][0].tolist() == [0, 0, 1, 0]


def test_level_at_weights():
    iv = pd.DataFrame({"replication": [0, 0, 1], "start": [0.0, 1.0, 0.0], "end": [2.0, np.nan, 1.0], "w": [1.0, 0.5, 2.0]})
    out = level_at(iv, np.array([0.5, 1.5, 5.0]), [0, 1], weight="w")
    assert out.tolist() == [[1.0, 1.5, 0.5], [2.0, 0.0, 0.0]]


def test_easter_is_not_counted():
    cal = WorkingCalendar.build(dt.date(2023, 4, 3), 0, 30)  # Good Friday 7 Apr, Easter Monday 10 Apr
    assert cal.working_days_between(0.4, 7.4) == pytest.approx(3.6)


def test_a_child_whose_worker_left_counts_as_waiting_until_reallocated():
    log = [
        E.PostOpened(-1.0, "ASM-P001", "assessment", "permanent", "establishment"),
        E.WorkerStarted(-1.0, "ASM-001", "assessment", "permanent", 1.0, 2, "ASM-P001", 46000.0),
        E.PostOpened(-1.0, "ASM-P002", "assessment", "permanent", "establishment"),
        E.WorkerStarted(-1.0, "ASM-002", "assessment", "agency", 1.0, 2, "ASM-P002", 64400.0),
        E.ContactReceived(0.2, 1, "amber", "police", False),
        E.ReferralAccepted(0.5, 1, "amber", False),
        E.Allocated(1.0, 1, "ASM-001", "assessment"),
        E.CaseReallocated(5.0, 1, "ASM-001", "assessment"),
        E.WorkerLeft(5.0, "ASM-001", "resigned"),
        E.Allocated(8.0, 1, "ASM-002", "assessment"),
    ]
    df = events_frame(events_to_table(log, 0, START))
    lv = month_end_levels(df, np.array([0.7, 3.0, 6.0, 9.0]), [0])
    assert lv["waiting_for_allocation"][0].tolist() == [1, 0, 1, 0]
    from sim.projections.workforce import changes_of_worker, cost_between, fte_at, vacancies_at
    assert len(changes_of_worker(df)) == 1
    assert fte_at(df, np.array([3.0, 6.0]), [0]).tolist() == [[2.0, 1.0]]
    assert fte_at(df, np.array([3.0]), [0], kind="agency").tolist() == [[1.0]]
    assert vacancies_at(df, np.array([3.0, 6.0]), [0]).tolist() == [[0.0, 1.0]]
    cost = cost_between(df, np.array([0.0, 10.0]), [0])[0, 0]
    assert cost == pytest.approx((5.0 * 46000 + 10.0 * 64400) / 365)


def test_a_reallocated_case_is_no_longer_held_by_the_leaver():
    log = [
        E.PostOpened(-1.0, "ASM-P001", "assessment", "permanent", "establishment"),
        E.WorkerStarted(-1.0, "ASM-001", "assessment", "permanent", 1.0, 2, "ASM-P001", 46000.0),
        E.ContactReceived(0.2, 1, "amber", "police", False),
        E.ReferralAccepted(0.5, 1, "amber", False),
        E.Allocated(1.0, 1, "ASM-001", "assessment"),
        E.CaseReallocated(5.0, 1, "ASM-001", "assessment"),
        E.WorkerLeft(5.0, "ASM-001", "resigned"),
    ]
    df = events_frame(events_to_table(log, 0, START))
    from sim.projections.levels import held_cases
    assert held_cases(df)["end"].tolist() == [5.0]


def test_a_whole_log_projection_is_computed_once_per_log_and_again_for_another():
    from sim.projections.children import changes_of_worker
    from sim.projections.frame import once_per_log

    calls = []

    @once_per_log
    def allocations(df):
        calls.append(len(df))
        return df[df["event"] == "allocated"]

    first = events_frame(events_to_table(tiny_log(), 0, START))
    again = allocations(first)
    assert allocations(first) is again and calls == [len(first)]
    second = events_frame(events_to_table(tiny_log()[:4], 0, START))
    assert len(allocations(second)) == 0 and calls == [len(first), 4]
    # The shared projections stay what they compute from scratch.
    assert changes_of_worker(first).equals(changes_of_worker.__wrapped__(first))


def test_the_event_column_compares_like_text():
    df = events_frame(events_to_table(tiny_log(), 0, START))
    assert (df["event"] == "contact_received").sum() == sum(isinstance(e, E.ContactReceived) for e in tiny_log())
    mash = sum(isinstance(e, (E.MashStarted, E.MashDecided)) for e in tiny_log())
    assert mash > 0 and df["event"].isin(["mash_started", "mash_decided"]).sum() == mash
