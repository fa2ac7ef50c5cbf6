"""Working days and the working-day clock.

The simulation clock counts calendar days from ``start_date`` (t=0 at its midnight; warm-up
days are negative).  Statutory timescales are in working days, which exclude weekends and
England's bank holidays (``holidays`` package, subdivision ENG).  Each working day carries one
unit of "working time" spread evenly over its 24 hours, so a task of ``x`` working days that
starts on Friday afternoon finishes on Monday or Tuesday, never over the weekend.
"""
from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

import holidays
import numpy as np


CALENDAR_MARGIN_DAYS = 800  # stage times that end after the horizon still need working days


@lru_cache(maxsize=64)
def england_bank_holidays(first_year: int, last_year: int) -> frozenset[dt.date]:
    """England's bank holidays between two years inclusive."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1)))


@dataclass(frozen=True)
class WorkingCalendar:
    """Working-day flags for a run, indexed by day offset from ``start_date``.

    ``origin`` is the day offset of the first covered day (negative when there is warm-up).
    """

    start_date: dt.date
    origin: int
    working: tuple[bool, ...]
    cum: tuple[float, ...]  # cum[i] = working days before covered day i (len = days + 1)
    all_working: bool

    @classmethod
    def build(cls, start_date: dt.date, first_day: int, last_day: int,
              weekends_off: bool = True, bank_holidays: bool = True) -> "WorkingCalendar":
        """Cover day offsets ``first_day``..``last_day`` (inclusive) around ``start_date``."""
        days = [start_date + dt.timedelta(days=i) for i in range(first_day, last_day + 1)]
        hols = england_bank_holidays(days[0].year, days[-1].year) if bank_holidays else frozenset()
        working = tuple(not ((weekends_off and d.weekday() >= 5) or d in hols) for d in days)
        cum = np.concatenate([[0.0], np.cumsum(working, dtype=float)])
        return cls(start_date, first_day, working, tuple(cum.tolist()), all(working))

    @classmethod
    def for_run(cls, cfg) -> "WorkingCalendar":
        """The calendar of a run: warm-up start to the horizon, plus a margin for stage
        times that end after it (the model and the projections use this same one)."""
        from .config import add_months, horizon_end, parse_date

        start = parse_date("start_date", cfg.start_date)
        first = (add_months(start, -cfg.warmup_months) - start).days
        last = (horizon_end(cfg) - start).days + CALENDAR_MARGIN_DAYS
        return cls.build(start, first, last, cfg.service.calendar.weekends_off, cfg.service.calendar.bank_holidays)

    # -- queries ---------------------------------------------------------------------------
    def is_working_day(self, t: float) -> bool:
        """Whether the day containing time ``t`` is a working day."""
        day = math.floor(t)
        i = day - self.origin
        if 0 <= i < len(self.working):
            return self.working[i]
        return self._beyond_is_working(day)

    def _beyond_is_working(self, day: int) -> bool:
        # Outside the covered span fall back to weekdays only (spans are built with margin).
        return (self.start_date + dt.timedelta(days=day)).weekday() < 5

    def working_time(self, t: float) -> float:
        """Working days elapsed between the start of the covered span and time ``t``."""
        if self.all_working:
            return t - self.origin
        day = int(t // 1)
        i = day - self.origin
        n = len(self.working)
        if i < 0:
            return 0.0
        if i >= n:
            return self.cum[n] + (t - (self.origin + n)) * 5.0 / 7.0
        return self.cum[i] + (t - day) * self.working[i]

    def at_working_time(self, w: float) -> float:
        """Earliest clock time at which ``working_time`` reaches ``w``."""
        if self.all_working:
            return w + self.origin
        n = len(self.working)
        if w >= self.cum[n]:
            return self.origin + n + (w - self.cum[n]) * 7.0 / 5.0
        j = bisect_right(self.cum, w) - 1  # cum[j] <= w < cum[j+1]: day j is a working day
        return self.origin + j + (w - self.cum[j])

    def add_working_days(self, t: float, x: float) -> float:
        """Clock time ``x`` (>= 0) working days after ``t``: never before ``t``, although the round
        trip through working time can land a rounding error before it when ``x`` is 0."""
        if self.all_working:
            return t + x
        # working_time and at_working_time inlined (the model's most frequent call); the same
        # arithmetic, so the same result to the last bit.
        working, cum, origin = self.working, self.cum, self.origin
        n = len(working)
        day = int(t // 1)
        i = day - origin
        if i < 0:
            w = 0.0
        elif i >= n:
            w = cum[n] + (t - (origin + n)) * 5.0 / 7.0
        else:
            w = cum[i] + (t - day) * working[i]
        w += x
        if w >= cum[n]:
            end = origin + n + (w - cum[n]) * 7.0 / 5.0
        else:
            j = bisect_right(cum, w) - 1
            end = origin + j + (w - cum[j])
        return end if end > t else t

    def working_days_between(self, t0, t1):
        """Working days from ``t0`` to ``t1`` (scalars or numpy arrays)."""
        return self.working_time_array(np.asarray(t1, float)) - self.working_time_array(np.asarray(t0, float))

    def whole_working_days_between(self, t0, t1):
        """Working days between the dates of ``t0`` and ``t1`` as the DfE counts them: the
        working days after ``t0``'s date up to and including ``t1``'s (0 for the same day)."""
        d0 = np.floor(np.asarray(t0, float)) + 1.0
        d1 = np.floor(np.asarray(t1, float)) + 1.0
        return np.round(self.working_time_array(d1) - self.working_time_array(d0))

    def working_time_array(self, t: np.ndarray) -> np.ndarray:
        """Vectorised ``working_time`` for projections."""
        if self.all_working:
            return t - self.origin
        cum = np.asarray(self.cum)
        working = np.asarray(self.working, float)
        n = len(working)
        day = np.floor(t)
        i = (day - self.origin).astype(np.int64)
        inside = np.clip(i, 0, n - 1)
        w = cum[inside] + (t - day) * working[inside]
        w = np.where(i < 0, 0.0, w)
        w = np.where(i >= n, cum[n] + (t - (self.origin + n)) * 5.0 / 7.0, w)
        return w

    def working_days_in(self, first_day: int, last_day: int) -> list[int]:
        """Day offsets in ``[first_day, last_day)`` that are working days."""
        return [d for d in range(first_day, last_day) if self.is_working_day(d)]

    def date_of(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=day)
