"""Invariants that must hold over any event log the model writes (rules in log_checks.py)."""
from __future__ import annotations

import pytest

from log_checks import (cap_rules, check_case_lifecycles, check_catalogued, check_end_state,
                        check_times_never_go_backwards, check_workers)


@pytest.fixture(scope="module")
def events(baseline_run):
    return list(baseline_run[1].log)


def test_times_never_go_backwards(events):
    check_times_never_go_backwards(events)


def test_every_event_is_a_catalogued_type(events):
    check_catalogued(events)


def test_every_case_follows_a_legal_order(events):
    """Consent before screening, one decision per contact, nobody seen before allocation (and
    only by the worker last allocated), at most one closure, reallocation only from the holder."""
    check_case_lifecycles(events)
    assert sum(e.name == "seen" for e in events) > 500


def test_every_contact_decided_exactly_once(baseline_run, events):
    # Contacts not yet decided must be those the MASH still holds at the end (check_end_state).
    fates = check_end_state(events, baseline_run[1].snapshot())
    assert sum(e.name == "mash_decided" for e in events) > 1000
    assert fates["awaiting_screening"] + fates["awaiting_consent"] + fates["screening"] > 0


def test_no_worker_ever_over_cap(baseline_run, events):
    """Cases go only to a worker with room under their cap (weighted load), or, for a child who
    has waited long, up to the team's over-cap allowance."""
    counts = check_workers(events, **cap_rules(baseline_run[0]))
    # The service is under strain, so some workers must actually reach their cap.
    assert counts["at_cap"] > 0


def test_nobody_works_before_starting_or_after_leaving(baseline_run, events):
    counts = check_workers(events, **cap_rules(baseline_run[0]))
    assert counts["left"] > 0, "turnover is on in baseline_2022: someone must leave"


def test_no_case_lost(baseline_run, events):
    """Every referral (and opening-stock plan) is closed once, or open at the end at the stage,
    in the queue or with the worker that the live model has it."""
    fates = check_end_state(events, baseline_run[1].snapshot())
    assert fates["closed"] > 1000 and fates["awaiting_allocation"] > 0


def test_closed_cases_release_their_worker(baseline_run):
    state = baseline_run[1].snapshot()
    held = set().union(*state.caseloads.values())
    assert held <= set(state.cases)
