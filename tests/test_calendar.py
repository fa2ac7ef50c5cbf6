"""The working-day clock: weekends, England's bank holidays, statutory counting."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.calendar import WorkingCalendar

START = dt.date(2022, 12, 23)  # a Friday before Christmas


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar.build(START, -10, 60)


def test_christmas_and_weekends_are_not_working_days(cal):
    # 24-25 Dec 2022 weekend; 26 and 27 Dec bank holidays (Boxing Day, Christmas substitute).
    assert [cal.is_working_day(d) for d in range(0, 6)] == [True, False, False, False, False, True]


def test_one_working_day_from_friday_noon_is_wednesday_noon(cal):
    assert cal.add_working_days(0.5, 1.0) == pytest.approx(5.5)  # Fri 23 + 1 wd -> Wed 28, noon


def test_zero_working_days_from_a_holiday_is_next_working_morning(cal):
    assert cal.add_working_days(2.3, 0.0) == pytest.approx(5.0)


def test_working_days_between_round_trips(cal):
    t0 = np.array([0.5, 3.2, 10.0])
    x = np.array([1.0, 4.5, 10.0])
    t1 = np.array([cal.add_working_days(a, b) for a, b in zip(t0, x)])
    assert cal.working_days_between(t0, t1) == pytest.approx(x)


def test_all_days_working_calendar_is_the_identity():
    cal = WorkingCalendar.build(START, 0, 30, weekends_off=False, bank_holidays=False)
    assert cal.all_working and cal.add_working_days(2.25, 3.5) == 5.75


def test_bank_holidays_come_from_the_holidays_package(cal):
    assert not cal.is_working_day((dt.date(2023, 1, 2) - START).days)  # New Year substitute day


def test_adding_no_working_days_never_goes_back_in_time():
    """The round trip through working time can land a rounding error before t; the clock clamps,
    so a stage of 0 working days never asks SimPy for a negative delay."""
    import numpy as np

    from sim.calendar import WorkingCalendar
    from sim.settings import compose_config

    cal = WorkingCalendar.for_run(compose_config([]))
    # Two instants of the warm-up at which the round trip lands 2e-15 early (seen in
    # tests/test_properties.py::test_stages_of_zero_working_days_run), then random ones.
    for t in [-8.980042371010404, -8.90500486197981, *np.random.default_rng(4).uniform(-90, 365, 2000)]:
        assert cal.add_working_days(float(t), 0.0) >= t
        assert cal.add_working_days(float(t), 0.5) >= t
