"""Fan charts for slides: one chart per figure, from a run's forecast.csv and config.yaml.

A fan chart shows a figure month by month: the median across replications as a line and
the 10th to 90th percentile across replications as a shaded band.  Each month's value is
plotted at the middle of its period (the forecast's months run from ``start_date``), so a
dated mark (a funding action) falls where it happened relative to the months either side.

Every chart also carries its marks, each labelled on the chart and given a stable SVG id:
the six-week line on the contact-to-seen chart, the statutory target where one applies,
and every dated funding action of ``service.funding`` inside the charted span.

Figures are built on ``matplotlib.figure.Figure`` (no pyplot, so no global figure state,
safe in worker processes); titles and axis labels come from the KPI registry
(``sim.kpis``), financial years from ``sim.periods``.  See docs/charts.md.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import ticker, transforms
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .. import kpis, periods
from ..config import FUNDING_ACTIONS, TEAM_LABELS, add_months
from ..forecast import MASH_DECISION_WD, SIX_WEEKS_DAYS
from ..inputs import InputError

# The figures charted, in slide order: each a key of ``kpis.MONTHLY``.  The time-averaged
# allocation queue is its own chart: drawn over the month-end one, two bands per scenario
# would not read in a comparison of five scenarios.
CHARTED: tuple[str, ...] = (
    "threshold_to_seen_p90", "waiting_for_allocation", "waiting_for_allocation_mean", "mash_within_1wd_pct",
    "caseload_per_fte", "agency_share_pct", "cost",
)

# Okabe & Ito (2008), a palette that reads for every common kind of colour blindness.
OKABE_ITO: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
# One colour per scenario, in order (the baseline first); yellow is left out: too pale on white.
SCENARIO_COLOURS: tuple[str, ...] = tuple(OKABE_ITO[c] for c in (
    "blue", "vermillion", "bluish_green", "reddish_purple", "orange", "sky_blue"))
# After six scenarios the colours repeat with another line style.
_STYLES = ("-", "--", ":")
_REFERENCE_COLOUR = OKABE_ITO["black"]
_FUNDING_COLOUR = "#555555"   # a single run's funding marks: present, but quieter than the data

# Reference lines (value, SVG id, label): the six weeks Ofsted found children waiting to be
# seen, and statutory targets only where one applies (nothing invented for other figures).
# Working Together to Safeguard Children: a decision on next steps within one working day
# of a referral, for every child (100% of decisions).
_TARGETS: dict[str, tuple[float, str, str]] = {
    "threshold_to_seen_p90": (SIX_WEEKS_DAYS, "mark-six-weeks", f"six weeks ({SIX_WEEKS_DAYS:g} days)"),
    "mash_within_1wd_pct": (100.0, "mark-statutory-target",
                            f"statutory target: every decision within {MASH_DECISION_WD:g} working day"),
}

# Slide size: 16:9 at 13.33 x 7.5 in, 150 dpi (2000 x 1125 pixels).
FIGSIZE = (13.3334, 7.5)
DPI = 150
_TITLE_PT, _LABEL_PT, _TEXT_PT = 22, 16, 14
_LEFT, _RIGHT, _BOTTOM = 0.105, 0.975, 0.15
_SVG_SALT = "caseflow-charts"   # svg.hashsalt: the same ids in the SVG on every run

_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Mark:
    """A labelled mark drawn on a chart: a reference level (``value``, a horizontal line) or a
    dated event (``date``, a vertical line).  ``gid`` is its id in the SVG; its label is
    ``gid + "-label"``."""

    gid: str
    label: str
    date: dt.date | None = None
    value: float | None = None
    scenario: str | None = None   # in a comparison, the scenario whose funding schedule holds it


@dataclass(frozen=True)
class Chart:
    """One chart written: the figure it shows, its title, its two files and the marks on it."""

    kpi: str
    title: str
    png: Path
    svg: Path
    marks: tuple[Mark, ...]
    scenarios: tuple[str, ...]


@dataclass(frozen=True)
class _Fan:
    """One scenario's band and median: period boundaries (one more than values) and percentiles."""

    scenario: str
    edges: tuple[dt.date, ...]
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    replications: int


# ---------------------------------------------------------------- public functions


def run_charts(forecast: pd.DataFrame, config: Mapping, out_dir: Path) -> list[Chart]:
    """Write one fan chart per figure of ``CHARTED`` for one run: ``<kpi>.png`` and
    ``<kpi>.svg`` in ``out_dir``, from its forecast.csv (as a DataFrame) and its resolved
    config.yaml (as a plain dict).  Raises ``InputError`` for a table or config it cannot chart."""
    name = _scenario_name(config, "the run")
    return _write_all({name: forecast}, {name: config}, Path(out_dir), comparison=False)


def comparison_charts(forecasts: Mapping[str, pd.DataFrame], configs: Mapping[str, Mapping],
                      out_dir: Path) -> list[Chart]:
    """Write the same charts with one band and median per scenario (the first is the baseline),
    each scenario's funding marks labelled with its name.  ``forecasts`` and ``configs`` are
    keyed by scenario label, in the comparison's order."""
    if not forecasts:
        raise InputError("A comparison chart needs at least one scenario's forecast.")
    if list(forecasts) != list(configs):
        raise InputError(f"The comparison's forecasts ({', '.join(forecasts)}) and configs ({', '.join(configs)}) "
                         "must name the same scenarios in the same order.")
    return _write_all(dict(forecasts), dict(configs), Path(out_dir), comparison=True)


def fan_figure(kpi: str, forecasts: Mapping[str, pd.DataFrame], configs: Mapping[str, Mapping],
               comparison: bool = False) -> tuple[Figure, tuple[Mark, ...]]:
    """The fan chart of ``kpi`` as a figure (not saved) and the marks drawn on it.

    One band per entry of ``forecasts``; with ``comparison`` the legend names each scenario
    and the funding marks carry their scenario's name.  The band is a ``PolyCollection`` with
    gid ``band`` (``band-<scenario>`` in a comparison), the median a line ``median`` (``median-<scenario>``)."""
    if kpi not in kpis.REGISTRY or kpi not in kpis.MONTHLY:
        raise InputError(f"'{kpi}' is not a monthly figure of forecast.csv; charts can show: {', '.join(CHARTED)}.")
    fans = [_fan(kpi, label, forecasts[label], configs[label]) for label in forecasts]
    first = min(f.edges[0] for f in fans)
    end = max(f.edges[-1] for f in fans)
    x0, x1 = float(_x([first])[0]), float(_x([end])[0])
    left = _left_margin(kpis.REGISTRY[kpi].unit, _highest(fans, reference_marks(kpi)))
    # Full labels if they fit in a few rows above the data, else the brief ones (no teams).
    for brief in (False, True):
        dated = [m for label in forecasts for m in funding_marks(
            configs[label], first, end, scenario=label if comparison else None, brief=brief)]
        notes = _pack(dated, x0, x1, left)
        if max((n.row for n in notes), default=-1) < MAX_LABEL_ROWS:
            break
    marks = reference_marks(kpi) + dated
    return _draw(kpi, fans, marks, notes, first, end, comparison, left), tuple(marks)


def reference_marks(kpi: str) -> list[Mark]:
    """The six-week line or statutory target drawn on ``kpi``'s chart (none for most figures)."""
    if kpi not in _TARGETS:
        return []
    value, gid, label = _TARGETS[kpi]
    return [Mark(gid, label, value=value)]


def funding_marks(config: Mapping, first: dt.date, end: dt.date, scenario: str | None = None,
                  brief: bool = False) -> list[Mark]:
    """The dated funding actions of ``config["service"]["funding"]`` on days from ``first`` up
    to (not including) ``end``: each action's start (``mark-funding-<i>-start``) and, where
    its money or package ends, the day after its last funded day (``mark-funding-<i>-end``).

    Actions of one kind on the same day share one label ("+14 temporary posts: 8 MASH, 6
    assessment"); ``brief`` labels leave out the teams.  With ``scenario``, each label starts
    with it and each id holds it."""
    changes = [c for i, action in enumerate(_funding_actions(config)) for c in _changes(i, action)
               if first <= c.day < end]
    groups: dict[tuple, list[_Change]] = {}
    for c in changes:
        groups.setdefault(c.group, []).append(c)
    prefix = f"{scenario}: " if scenario else ""
    slug = f"{_slug(scenario)}-" if scenario else ""
    marks = [Mark(f"mark-funding-{slug}{c.index}-{c.part}", prefix + _label(groups[c.group], brief), date=c.day,
                  scenario=scenario) for c in changes]
    return sorted(marks, key=lambda m: (m.date, m.gid))


@dataclass(frozen=True)
class _Change:
    """One dated change a funding action makes: its start (``part`` "start") or the day after
    its money or package ends ("end")."""

    index: int          # the action's place in service.funding
    part: str
    day: dt.date
    what: str           # add, close (the posts' money ends), end, convert, package_start, package_end
    funding: str
    team: str | None
    count: int
    name: str

    @property
    def group(self) -> tuple:
        # Changes of one kind on one day share a label; a package is always its own.
        return (self.day, self.what, self.funding, self.index if self.what.startswith("package") else -1)


def _changes(i: int, action: Mapping) -> list[_Change]:
    key = f"service.funding.{i}"
    kind = action.get("action")
    if kind not in FUNDING_ACTIONS:
        raise InputError(f"config.yaml key {key}.action is '{kind}' but must be one of {', '.join(FUNDING_ACTIONS)}.")
    start = _date(f"{key}.date", action.get("date"))
    until = action.get("until")
    ends = _date(f"{key}.until", until) + dt.timedelta(days=1) if until is not None else None
    team = str(action["team"]) if action.get("team") else None
    try:
        count = int(action.get("count") or 0)
    except (TypeError, ValueError):
        raise InputError(f"config.yaml key {key}.count must be a whole number of posts.") from None
    funding, name = str(action.get("funding") or "temporary"), str(action.get("name") or "").strip()

    def change(part: str, day: dt.date, what: str) -> _Change:
        return _Change(i, part, day, what, funding if what in ("add", "close") else "", team, count, name)

    if kind == "add_posts":
        return [change("start", start, "add")] + ([change("end", ends, "close")] if ends else [])
    if kind in ("end_temporary_posts", "convert_to_permanent"):
        return [change("start", start, "end" if kind == "end_temporary_posts" else "convert")]
    return [change("start", start, "package_start")] + ([change("end", ends, "package_end")] if ends else [])


def _team_name(team: str | None) -> str:
    return TEAM_LABELS.get(team, str(team).replace("_", " ")) if team else "unnamed team"


def _and(words: list[str]) -> str:
    """"MASH", "MASH and assessment", "MASH, assessment and long-term"."""
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def _label(group: list[_Change], brief: bool) -> str:
    """What a group of same-day changes did, in words: from count, funding and team (a
    retention package, which has none, by its name)."""
    c = group[0]
    teams: dict[str | None, int] = {}
    for g in group:
        teams[g.team] = teams.get(g.team, 0) + g.count
    named = _and([_team_name(t) for t in teams if t])
    some = "" if brief or None in teams or not named else f"{named} "
    if c.what == "add":
        total = sum(teams.values())
        posts = "post" if total == 1 else "posts"
        if brief:
            return f"+{total} {c.funding} {posts}"
        if len(teams) == 1:
            return f"+{total} {c.funding} {some}{posts}"
        return f"+{total} {c.funding} posts: " + ", ".join(f"{n} {_team_name(t)}" for t, n in teams.items())
    if c.what == "close":
        return f"{c.funding} {some}posts end"
    if c.what in ("end", "convert"):
        return f"temporary {some}posts " + ("end" if c.what == "end" else "made permanent")
    package = "retention package" if brief or not c.name else c.name.replace("_", " ")
    return f"{package} {'starts' if c.what == 'package_start' else 'ends'}"


# ---------------------------------------------------------------- reading the inputs


def _scenario_name(config: Mapping, default: str) -> str:
    scenario = config.get("scenario") if isinstance(config, Mapping) else None
    name = scenario.get("name") if isinstance(scenario, Mapping) else None
    return str(name) if name else default


def _funding_actions(config: Mapping) -> list[Mapping]:
    service = config.get("service") if isinstance(config, Mapping) else None
    funding = service.get("funding", []) if isinstance(service, Mapping) else []
    if funding is None:
        return []
    if not isinstance(funding, list) or not all(isinstance(a, Mapping) for a in funding):
        raise InputError("config.yaml key service.funding must be a list of funding actions (each a mapping).")
    return funding


def _date(key: str, text: object) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError(f"config.yaml key {key} is '{str(text)[:40]}' but must be a date written "
                         "YYYY-MM-DD.") from None


def _period_start(label: str) -> dt.date:
    # forecast.csv names a period "YYYY-MM" when it starts on the 1st, else by its first day.
    text = str(label)
    try:
        return periods.month_span(text)[0] if len(text) == 7 else dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"forecast.csv's period '{text[:40]}' must be a month written YYYY-MM "
                         "(or the period's first day, YYYY-MM-DD).") from None


def _horizon_end(config: Mapping, last_start: dt.date) -> dt.date:
    """The day after the forecast's last day: end_date, or start_date + horizon_months, as the run had them."""
    if config.get("end_date"):
        return _date("end_date", config["end_date"])
    if config.get("start_date") and config.get("horizon_months"):
        return add_months(_date("start_date", config["start_date"]), int(config["horizon_months"]))
    return add_months(last_start, 1)


def _edges(forecast: pd.DataFrame, config: Mapping) -> tuple[dt.date, ...]:
    if "period" not in forecast.columns or forecast.empty:
        raise InputError("forecast.csv must have a 'period' column and at least one month.")
    starts = [_period_start(p) for p in forecast["period"]]
    if any(b <= a for a, b in zip(starts, starts[1:])):
        raise InputError("forecast.csv's periods must be in order, one row per month.")
    end = _horizon_end(config, starts[-1])
    if end <= starts[-1]:
        end = add_months(starts[-1], 1)
    return (*starts, end)


def _fan(kpi: str, scenario: str, forecast: pd.DataFrame, config: Mapping) -> _Fan:
    if not isinstance(config, Mapping):
        raise InputError(f"config.yaml of {scenario} must be a mapping of settings (as caseflow writes it).")
    if not isinstance(forecast, pd.DataFrame):
        raise InputError(f"forecast.csv of {scenario} must be read as a table (pandas.read_csv).")
    columns = [f"{kpi}_{s}" for s in ("p10", "p50", "p90")]
    missing = [c for c in columns if c not in forecast.columns]
    if missing:
        raise InputError(f"forecast.csv of {scenario} has no column '{missing[0]}' (a chart needs each figure's "
                         "p10, p50 and p90).")
    try:
        p10, p50, p90 = (pd.to_numeric(forecast[c]).to_numpy(dtype=float) for c in columns)
    except (ValueError, TypeError):
        raise InputError(f"forecast.csv of {scenario} has a value in {', '.join(columns)} that is not "
                         "a number.") from None
    reps = int(pd.to_numeric(forecast["replications"]).max()) if "replications" in forecast.columns else 0
    return _Fan(scenario, _edges(forecast, config), p10, p50, p90, reps)


# ---------------------------------------------------------------- labels of funding actions


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "scenario"


# ---------------------------------------------------------------- drawing


def _x(days: Sequence[dt.date] | np.ndarray) -> np.ndarray:
    return np.asarray(date2num(np.asarray(days, dtype="datetime64[D]")), dtype=float)


def _mids(edges: tuple[dt.date, ...]) -> np.ndarray:
    """Each period's middle, where its value is plotted."""
    x = _x(edges)
    return (x[:-1] + x[1:]) / 2


def _style(i: int) -> tuple[str, str]:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)], _STYLES[(i // len(SCENARIO_COLOURS)) % len(_STYLES)]


def _draw(kpi: str, fans: list[_Fan], marks: list[Mark], notes: list[_Note], first: dt.date, end: dt.date,
          comparison: bool, left: float) -> Figure:
    info = kpis.REGISTRY[kpi]
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    legend_rows = math.ceil(len(fans) / 3) if comparison else 1
    top = 0.80 - 0.05 * (legend_rows - 1)
    ax = fig.add_axes((left, _BOTTOM, _RIGHT - left, top - _BOTTOM))
    fig.text(left, 0.955, info.label, fontsize=_TITLE_PT, fontweight="bold", va="top", gid="title")
    fig.text(left, 0.885, _subtitle(fans, comparison), fontsize=_TEXT_PT, va="top", color="#333333",
             gid="subtitle")

    handles = []
    for i, fan in enumerate(fans):
        colour, style = _style(i) if comparison else (OKABE_ITO["blue"], "-")
        suffix = f"-{_slug(fan.scenario)}" if comparison else ""
        x = _mids(fan.edges)
        band = ax.fill_between(x, fan.p10, fan.p90, color=colour, alpha=0.22 if comparison else 0.3,
                               linewidth=0, gid=f"band{suffix}")
        (line,) = ax.plot(x, fan.p50, color=colour, linestyle=style, linewidth=2.8, marker="o", markersize=4,
                          gid=f"median{suffix}")
        if comparison:
            name = f"{fan.scenario} (baseline)" if i == 0 else fan.scenario
            handles.append(((Patch(color=colour, alpha=0.3, linewidth=0), line), name))
        else:
            handles += [(line, f"median of {fan.replications} replications" if fan.replications else "median"),
                        (band, "10th to 90th percentile")]

    x0, x1 = float(_x([first])[0]), float(_x([end])[0])
    ax.set_xlim(x0, x1)
    colours = {f.scenario: _style(i)[0] for i, f in enumerate(fans)} if comparison else {}
    for m in marks:
        if m.date is not None:
            ax.axvline(_x([m.date])[0], color=colours.get(m.scenario, _FUNDING_COLOUR), linestyle=(0, (2, 2)),
                       linewidth=1.8, gid=m.gid)
    where = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    for n in notes:
        ax.annotate(n.label, xy=(n.x, 0.985 - _ROW_HEIGHT * n.row), xycoords=where, xytext=(5 if n.right else -5, 0),
                    textcoords="offset points", ha="left" if n.right else "right", va="top", fontsize=_TEXT_PT,
                    color=colours.get(n.scenario, _FUNDING_COLOUR), gid=f"{n.gid}-label", bbox=_LABEL_BOX)
    _set_ylim(ax, fans, marks, 1 + max((n.row for n in notes), default=-1), info.unit)
    for m in marks:
        if m.value is not None:
            ax.axhline(m.value, color=_REFERENCE_COLOUR, linestyle="--", linewidth=1.8, gid=m.gid)
            ax.annotate(m.label, xy=(1, m.value), xycoords=ax.get_yaxis_transform(), xytext=(-6, -4),
                        textcoords="offset points", ha="right", va="top", fontsize=_TEXT_PT,
                        color=_REFERENCE_COLOUR, gid=f"{m.gid}-label", bbox=_LABEL_BOX)

    _format_y(ax, info.unit)
    _format_x(ax, tuple(sorted({d for f in fans for d in f.edges})), first, end)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.legend([h for h, _ in handles], [n for _, n in handles], loc="lower left", bbox_to_anchor=(0, 1.01),
              ncol=3 if comparison else 2, frameon=False, fontsize=_TEXT_PT, borderaxespad=0.2,
              handlelength=2.4)
    return fig


_LABEL_BOX = dict(boxstyle="square,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85)


def _subtitle(fans: list[_Fan], comparison: bool) -> str:
    first, last = fans[0].edges[0], fans[0].edges[-2]
    span = f"{_MONTH_ABBR[first.month - 1]} {first.year} to {_MONTH_ABBR[last.month - 1]} {last.year}"
    reps = sorted({f.replications for f in fans})
    runs = f"{reps[0]} replications" if len(reps) == 1 else "replications"
    if comparison:
        return f"{len(fans)} scenarios, {span}: median (line) and 10th to 90th percentile (band) across {runs}"
    return f"{fans[0].scenario}, {span}: median (line) and 10th to 90th percentile (band) across {runs}"


@dataclass(frozen=True)
class _Note:
    """The label of one or more dated marks of one scenario on one day, and its place: a row
    counted down from the top, to the right of its line or (near the chart's end) to the left."""

    gid: str            # the first mark's id; the label is "<gid>-label"
    label: str
    scenario: str | None
    x: float
    row: int
    right: bool


MAX_LABEL_ROWS = 4      # rows of dated-mark labels above the data before the brief labels are used
_ROW_HEIGHT = 0.065     # a row of 14 pt labels, as a fraction of the axes' height


def _pack(marks: list[Mark], x0: float, x1: float, left: float) -> list[_Note]:
    """One label per scenario, day and text, each put in the first row from the top where it
    overlaps no other (to the right of its line if it fits there, else to the left)."""
    axes_width_in = FIGSIZE[0] * (_RIGHT - left)
    per_char = (x1 - x0) * (_TEXT_PT * 0.6 / 72) / axes_width_in   # an average character's width, in days
    gap = 2 * per_char
    rows: list[list[tuple[float, float]]] = []
    notes, seen = [], set()
    for m in marks:
        if (m.scenario, m.date, m.label) in seen:
            continue
        seen.add((m.scenario, m.date, m.label))
        x, width = float(_x([m.date])[0]), (len(m.label) + 1) * per_char
        sides = [s for s in (True, False) if (x + width <= x1 if s else x - width >= x0)] or [x + width <= x1]
        place = None
        for r in range(len(rows) + 1):
            taken = rows[r] if r < len(rows) else []
            for right in sides:
                a, b = (x, x + width) if right else (x - width, x)
                if all(b + gap < lo or a - gap > hi for lo, hi in taken):
                    place = (r, right, (a, b))
                    break
            if place:
                break
        r, right, span = place
        if r == len(rows):
            rows.append([])
        rows[r].append(span)
        notes.append(_Note(m.gid, m.label, m.scenario, x, r, right))
    return notes


def _set_ylim(ax, fans: list[_Fan], marks: list[Mark], label_rows: int, unit: str) -> None:
    """From zero to above the highest band, reference line and the rows of mark labels; a
    percentage's ticks stop at 100% (the room above is for labels, not values)."""
    high = _highest(fans, marks)
    reserved = min(0.5, _ROW_HEIGHT * label_rows + 0.03) if label_rows else 0.0
    top = high * 1.08 / (1 - reserved)
    ax.set_ylim(0, top)
    if unit == "%" and top > 100:
        ax.yaxis.set_major_locator(ticker.FixedLocator(
            [t for t in ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(0, min(high, 100))
             if 0 <= t <= 100]))


def _highest(fans: list[_Fan], marks: list[Mark]) -> float:
    """The highest value the chart must show: a band's top, a median or a reference line."""
    values = [v for f in fans for v in (*f.p90, *f.p50) if np.isfinite(v)]
    values += [m.value for m in marks if m.value is not None]
    return max(values, default=1.0) or 1.0


def _tick_text(unit: str, value: float) -> str:
    """A y-axis tick as written: 40%, £650,000, 1,200 or 0.5."""
    # Whole numbers without decimals; a tick between them (12.5) keeps the ones it needs.
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == "%" else f"£{text}" if unit == "pounds" else text


def _left_margin(unit: str, high: float) -> float:
    """Room left of the axes for the widest tick label (at the highest top the axis can
    have, labels taking half of it) and the axis label."""
    widest = len(_tick_text(unit, high * 1.08 / 0.5))
    return max(_LEFT, (widest * _TEXT_PT * 0.6 + _LABEL_PT * 1.6 + 14) / 72 / FIGSIZE[0])


def _format_y(ax, unit: str) -> None:
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: _tick_text(unit, v)))
    ax.set_ylabel(unit, fontsize=_LABEL_PT)
    ax.tick_params(axis="y", labelsize=_TEXT_PT)


def _format_x(ax, edges: tuple[dt.date, ...], first: dt.date, end: dt.date) -> None:
    """Months under their points (every quarter's first month when there are many), and
    below them each financial year across its months, with a tick where one ends."""
    x = _x(edges)
    mids = (x[:-1] + x[1:]) / 2
    starts = edges[:-1]
    every = len(starts) <= 18
    labels = [_MONTH_ABBR[d.month - 1] if every or d.month in (1, 4, 7, 10) else "" for d in starts]
    ax.set_xticks(mids, labels, fontsize=_TEXT_PT)
    ax.tick_params(axis="x", which="major", length=0, pad=6)
    ax.set_xticks(x, minor=True)
    ax.tick_params(axis="x", which="minor", length=5)

    years = periods.years_between(first, end)
    spans = [(max(first, a), min(end, b)) for a, b in map(periods.year_span, years)]
    fy = ax.secondary_xaxis(-0.085)
    fy.spines["bottom"].set_visible(False)
    bounds = sorted({b for _, b in spans[:-1]})
    fy.set_xticks(_x(bounds) if bounds else [], [""] * len(bounds))
    fy.tick_params(axis="x", which="major", length=18, direction="inout", width=1.2, colors="#555555")
    fy.set_xticks([(float(_x([a])[0]) + float(_x([b])[0])) / 2 for a, b in spans], years, minor=True,
                  fontsize=_TEXT_PT)
    fy.tick_params(axis="x", which="minor", length=0, pad=4, labelcolor="#333333")


# ---------------------------------------------------------------- writing


def _write_all(forecasts: dict[str, pd.DataFrame], configs: dict[str, Mapping], out_dir: Path,
               comparison: bool) -> list[Chart]:
    # Check every figure's columns before writing any file, so bad input writes nothing.
    for label, frame in forecasts.items():
        for kpi in CHARTED:
            _fan(kpi, label, frame, configs[label])
        for i, action in enumerate(_funding_actions(configs[label])):
            _changes(i, action)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = []
    for kpi in CHARTED:
        fig, marks = fan_figure(kpi, forecasts, configs, comparison=comparison)
        png, svg = out_dir / f"{kpi}.png", out_dir / f"{kpi}.svg"
        _save(fig, png, svg)
        charts.append(Chart(kpi, kpis.REGISTRY[kpi].label, png, svg, marks, tuple(forecasts)))
    return charts


def _save(fig: Figure, png: Path, svg: Path) -> None:
    """Both files, each written under a temporary name and renamed, so a stopped run leaves
    no half-written chart; the SVG is the same bytes for the same input (no date, fixed salt)."""
    for path, fmt in ((png, "png"), (svg, "svg")):
        part = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            if fmt == "svg":
                with matplotlib.rc_context({"svg.hashsalt": _SVG_SALT}):
                    fig.savefig(part, format="svg", metadata={"Date": None})
            else:
                fig.savefig(part, format="png", dpi=DPI)
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)
    fig.clear()   # drop the artists now: a comparison makes many figures in one process
