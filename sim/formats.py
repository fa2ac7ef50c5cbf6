"""Numbers for people: one formatter for the terminal, the Markdown tables and the sentences."""
from __future__ import annotations


def fmt_number(x: float, sign: bool = False) -> str:
    """A figure for people: no decimals from 100, one from 1, three below; exactly zero is "0"
    (never "0.000" or "-0.0")."""
    if x != x:  # NaN
        return "-"
    if x == 0:
        return "0"
    s = "+" if sign else ""
    if abs(x) >= 100:
        return f"{x:{s},.0f}"
    return f"{x:{s},.1f}" if abs(x) >= 1 or x == 0 else f"{x:{s},.3f}"


def fmt_signed(x: float) -> str:
    """A difference, with its sign."""
    return fmt_number(x, sign=True)
