"""Reporting periods as councils name them: months ("2024-10"), financial years (April to
March, "2024-25") and their quarters ("2024-25 Q3" is October to December 2024).

Pure date arithmetic: no pandas, no SimPy.  Every table, chart and command that names a
period reads these functions, so a quarter is spelled one way everywhere.
"""
from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"(\d{4})-(\d{2})")
_QUARTER = re.compile(r"(\d{4})-(\d{2}) ?Q([1-4])", re.IGNORECASE)


def financial_year(day: dt.date) -> str:
    """The financial year (1 April to 31 March) holding ``day``: "2024-25"."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def quarter(day: dt.date) -> str:
    """The financial-year quarter holding ``day``: "2024-25 Q3" (Q1 is April to June)."""
    q = ((day.month - 4) % 12) // 3 + 1
    return f"{financial_year(day)} Q{q}"


def month(day: dt.date) -> str:
    """The calendar month holding ``day``: "2024-10"."""
    return f"{day.year:04d}-{day.month:02d}"


def quarter_span(label: str) -> tuple[dt.date, dt.date]:
    """First day and the day after the last of a quarter written "2024-25 Q3"."""
    m = _QUARTER.fullmatch(label.strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"'{label}' is not a financial-year quarter written like 2024-25 Q3")
    first_year, q = int(m.group(1)), int(m.group(3))
    start_month = 4 + 3 * (q - 1)
    start = dt.date(first_year + (start_month > 12), (start_month - 1) % 12 + 1, 1)
    end_month = start_month + 3
    end = dt.date(first_year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
    return start, end


def year_span(label: str) -> tuple[dt.date, dt.date]:
    """First day and the day after the last of a financial year written "2024-25"."""
    m = _YEAR.fullmatch(label.strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"'{label}' is not a financial year written like 2024-25")
    first = int(m.group(1))
    return dt.date(first, 4, 1), dt.date(first + 1, 4, 1)


def month_span(label: str) -> tuple[dt.date, dt.date]:
    """First day and the day after the last of a month written "2024-10"."""
    m = _MONTH.fullmatch(label.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"'{label}' is not a month written like 2024-10")
    y, mo = int(m.group(1)), int(m.group(2))
    return dt.date(y, mo, 1), dt.date(y + (mo == 12), mo % 12 + 1, 1)


def span(label: str) -> tuple[dt.date, dt.date]:
    """The dates of a period written as a month ("2024-10"), a financial-year quarter
    ("2024-25 Q3") or a financial year ("2024-25"): first day, and the day after the last.

    A label such as "2024-12" is read as a month; "2024-25" as a financial year (its second
    part is the next year's last two digits)."""
    text = label.strip()
    if _QUARTER.fullmatch(text):
        return quarter_span(text)
    m = _MONTH.fullmatch(text)
    if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)) and not 1 <= int(m.group(2)) <= 12:
        return year_span(text)
    if m and 1 <= int(m.group(2)) <= 12:
        return month_span(text)
    if m:
        return year_span(text)
    raise ValueError(f"'{label}' is not a period: write a month (2024-10), a financial-year quarter (2024-25 Q3) "
                     "or a financial year (2024-25)")


def quarters_between(start: dt.date, end: dt.date) -> list[str]:
    """The financial-year quarters that hold any day from ``start`` up to (not including) ``end``."""
    return _between(start, end, quarter, quarter_span)


def years_between(start: dt.date, end: dt.date) -> list[str]:
    """The financial years that hold any day from ``start`` up to (not including) ``end``."""
    return _between(start, end, financial_year, year_span)


def _between(start: dt.date, end: dt.date, name_of, span_of) -> list[str]:
    out: list[str] = []
    day = start
    while day < end:
        out.append(name_of(day))
        day = span_of(out[-1])[1]
    return out


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole calendar months from the month of ``a`` to the month of ``b``."""
    return (b.year - a.year) * 12 + b.month - a.month
