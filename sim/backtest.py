"""Backtests: a council's service calibrated on one DfE year, run on, and scored on the years after.

``caseflow backtest`` (``sim.commands.backtest``) runs each council's calibrated service for
``from_year`` (the preset ``service=la/<code>/<from_year>``) from 1 April ``from_year`` to
1 October ``to_year`` and sets each figure the DfE published for each later year beside the
simulated spread.  This module holds what the command needs besides running: the published
values (the packaged tables, or a folder of later ones given with ``tables=``), the trends
``trend=fitted`` carries forward (docs/decisions/0029-trends-in-backtests.md), the tables,
and the likely reasons for the largest misses.  Free of SimPy and Hydra: pure functions of
the tables and of the simulated figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
import pandas as pd

from .inputs.errors import InputError, listing, shown
from .reference import published as pub

TREND_YEARS = 5            # a fitted trend uses at most the last five published years
CASE_HOLDING_TEAMS = ("assessment", "long_term")
# The figures backtest.md shows first: referrals and the stocks at 31 March.
HEADLINE = ("referrals", "cin_at31", "cp_at31", "cla_at31")
COLUMNS = ["la_code", "year", "figure", "published", "sim_p10", "sim_p50", "sim_p90", "inside",
           "abs_error", "rel_error", "la_name", "region", "label", "unit", "period", "horizon_years",
           "replications_with_value", "published_from_year"]
# E: a change in a published figure is "structural" when it is at least this big (log scale,
# about 22%) and well outside what the neighbours or the council's own history show.
STRUCTURAL_MIN_LOG_CHANGE = 0.2
STRUCTURAL_SPREAD = 3.0     # times the neighbours' (robust) spread, or the own history's
SPREAD_FLOOR = 0.05         # a spread below this (about 5%) is taken as this
FIRST_YEAR_MISS = 0.2       # |log(simulated / published from_year value)|: the calibration misses it


# --------------------------------------------------------------------------- published values


def _time_series_files() -> tuple[str, ...]:
    return tuple(f for f in pub.FILES if f != pub.NEIGHBOURS)


def read_tables(folder: Optional[str]) -> dict[str, pd.DataFrame]:
    """The CSV files of a ``tables=`` folder, read as the packaged ones are (text columns
    stripped, suppression markers missing); each must have a packaged table's name and its
    columns.  ``None``: no folder, no tables."""
    if folder is None:
        return {}
    text = str(folder).strip()
    where = Path(text).expanduser()
    if not text or not where.is_dir():
        raise InputError(f"tables is '{shown(text)}' but must be a folder that exists (a relative or absolute path) "
                         "holding CSV files named as the packaged DfE tables")
    names = _time_series_files()
    out: dict[str, pd.DataFrame] = {}
    for path in sorted(where.iterdir()):
        if path.suffix.lower() != ".csv":
            continue
        if path.name not in names:
            raise InputError(f"tables: the file {shown(path.name)} is not one of the DfE tables caseflow reads; a file "
                             f"in the folder must be named {listing(names)}")
        expected = list(pub._table(path.name).columns)
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise InputError(f"tables: the file {shown(path.name)} cannot be read as CSV "
                             f"({shown(str(e).splitlines()[0] if str(e) else type(e).__name__, 80)})") from None
        if sorted(raw.columns) != sorted(expected):
            extra = [c for c in raw.columns if c not in expected]
            missing = [c for c in expected if c not in raw.columns]
            what = (f"has the column {shown(extra[0])}, which the packaged table has not" if extra
                    else f"lacks the column {shown(missing[0])}")
            raise InputError(f"tables: the file {shown(path.name)} {what}; it must have the packaged table's columns "
                             f"({listing(expected, 12)})")
        try:
            for name in raw.columns:
                if name in pub._TEXT_COLUMNS:
                    raw[name] = raw[name].str.strip()
                elif name == "time_period":
                    raw[name] = raw[name].str.strip().astype(int)
                else:
                    raw[name] = pub._numbers(raw[name], path.name, name)
        except ValueError as e:
            raise InputError(f"tables: the file {shown(path.name)} has a cell that is neither a number nor a "
                             f"suppression marker ({shown(str(e), 120)})") from None
        out[path.name] = raw
    return out


@dataclass
class Published:
    """Published figures, from a ``tables=`` folder's files where they hold the row, else from the
    packaged tables (the scoring's source; the calibration reads the packaged tables only)."""

    extra: dict[str, pd.DataFrame] = field(default_factory=dict)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def years(self) -> set[int]:
        """Every time_period any table (packaged or given) holds."""
        held = {y for f in _time_series_files() if f != pub.ONS for y in pub.years(f)}
        for file, t in self.extra.items():
            if file != pub.ONS:
                held |= set(int(y) for y in t["time_period"].unique())
        return held

    def value(self, key: str, code: int, year: int) -> float | None:
        fig = pub.FIGURES[key]
        t = self.extra.get(fig.file)
        if t is not None:
            mask = ((t["time_period"] == year) & (t["geographic_level"] == "Local authority")
                    & (t["old_la_code"] == str(code)))
            if fig.row_filter is not None:
                mask &= t[fig.row_filter[0]] == fig.row_filter[1]
            cells = t.loc[mask, fig.column]
            if len(cells):
                v = cells.iloc[-1]
                return None if pd.isna(v) else float(v)
        if year not in pub.years(fig.file):
            return None
        try:
            return pub.value(key, code, year)
        except InputError:  # a council the packaged tables do not know
            return None

    def figures(self, code: int, year: int) -> dict[str, float | None]:
        """The published value behind each simulated figure (``FIGURE_KEYS``; a combined figure is
        the sum of its parts), ``None`` where not published."""
        from .kpis import COMBINED
        from .projections.published import FIGURE_KEYS

        if (code, year) in self._memo:
            return self._memo[code, year]
        out: dict[str, float | None] = {}
        for key in FIGURE_KEYS:
            if key in COMBINED:
                parts = [self.value(k, code, year) for k in COMBINED[key]]
                out[key] = None if any(p is None for p in parts) else float(sum(parts))
            else:
                out[key] = self.value(key, code, year)
        self._memo[code, year] = out
        return out


# --------------------------------------------------------------------------- trends


@dataclass(frozen=True)
class Trend:
    """A log-linear least-squares trend: ``annual`` the fraction a year (exp(slope) - 1), fitted
    to ``points`` (year, value); ``None`` when fewer than two years had a value."""

    annual: Optional[float]
    points: tuple[tuple[int, float], ...]

    @property
    def years(self) -> str:
        return f"{self.points[0][0]}-{self.points[-1][0]}" if self.points else "none"


def fit_trend(points: Iterable[tuple[int, float | None]]) -> Trend:
    """The least-squares line through log(value) against year, of the positive values given."""
    kept = tuple((int(y), float(v)) for y, v in points if v is not None and v > 0)
    if len(kept) < 2:
        return Trend(None, kept)
    x = np.array([y for y, _ in kept], float)
    y = np.log([v for _, v in kept])
    slope = float(np.polyfit(x, y, 1)[0])
    return Trend(math.exp(slope) - 1.0, kept)


def history(key: str, code: int, up_to: int, n: int = TREND_YEARS) -> list[tuple[int, float | None]]:
    """The council's published ``key`` (packaged tables) for the last ``n`` years held up to and
    including ``up_to``."""
    held = [y for y in pub.years(key) if y <= up_to][-n:]
    out = []
    for y in held:
        try:
            out.append((y, pub.value(key, code, y)))
        except InputError:
            out.append((y, None))
    return out


@dataclass(frozen=True)
class CouncilTrends:
    """The trends a council's backtest carries forward, and the settings that do it."""

    referrals: Trend
    workforce: Trend
    demand_trend: float              # service.demand.annual_trend
    workforce_trend: float           # the one applied: 0 when held flat
    workforce_held_flat: bool        # fitted downward (or not fitted): held at from_year's posts
    posts_added: dict[str, int]      # team -> posts added over the run
    settings: tuple[str, ...]        # the key=value settings that apply them


def team_posts(cfg, team: str) -> float:
    """FTE of a team's posts at the start (posts counted by their FTE)."""
    return float(sum(g.count * g.fte for g in getattr(cfg.service.workforce, team).groups))


def trend_settings(code: int, cfg, from_year: int, to_year: int) -> CouncilTrends:
    """``trend=fitted`` for one council: the fitted referral and case-holding FTE trends and the
    settings that carry them forward from the composed (flat) run ``cfg``.

    Demand: ``service.demand.annual_trend`` = the referral trend, and ``contacts_per_year`` raised
    by half a year's growth, so that the rate at the middle of DfE year ``from_year`` (1 October,
    half a year before ``start_date``) is the calibrated one and year Y's referrals are about
    ``from_year``'s times (1 + trend) ** (Y - from_year).  Workforce: if the FTE trend is upward,
    permanent posts added each 1 April from ``from_year + 1`` (split between the case-holding
    teams as their posts are) so that the posts at the census of 30 September Y are ``from_year``'s
    times (1 + trend) ** (Y - from_year); if downward, held flat (no mechanism removes posts).
    """
    ref = fit_trend(history("referrals", code, from_year))
    wf = fit_trend(history("case_holders_fte", code, from_year))
    g = ref.annual or 0.0
    settings: list[str] = []
    if g:
        contacts = cfg.service.demand.contacts_per_year * (1.0 + g) ** 0.5
        settings += [f"service.demand.annual_trend={g:.6f}", f"service.demand.contacts_per_year={contacts:.2f}"]
    w = wf.annual if wf.annual is not None else 0.0
    held_flat = w <= 0
    added: dict[str, int] = {}
    actions = []
    if not held_flat:
        for team in CASE_HOLDING_TEAMS:
            base = team_posts(cfg, team)
            before = 0
            for k in range(1, to_year - from_year + 1):
                target = int(round(base * ((1.0 + w) ** k - 1.0)))
                n = target - before
                if n > 0:
                    actions.append(f"{{date:'{from_year + k}-04-01',action:add_posts,name:workforce_trend_{team}_"
                                   f"{from_year + k},team:{team},count:{n},funding:permanent,fill_with:permanent,"
                                   "fte:1.0}")
                    before = target
            added[team] = before
        existing = list(cfg.service.funding)
        if existing:  # a preset has none; kept if one ever does
            from .config import to_plain

            for a in existing:
                body = ",".join(f"{k}:{_flow(v)}" for k, v in to_plain(a).items() if v is not None)
                actions.insert(0, "{" + body + "}")
        if actions:
            settings.append("service.funding=[" + ",".join(actions) + "]")
    return CouncilTrends(ref, wf, g, 0.0 if held_flat else w, held_flat, added, tuple(settings))


# --------------------------------------------------------------------------- year-to-year drift

# The spread of one year's change in a log figure across councils: the 10th to 90th percentile
# range over the normal's (2 x 1.2816), because the backtest scores 80% intervals.
Q10_Q90_SD = 2 * 1.2815515655446004
DRIFT_FIGURES = ("referrals", "cin_at31", "cp_at31", "cla_started")


@dataclass(frozen=True)
class Drift:
    """``service.drift`` estimated from councils' published year-on-year changes (decision 0032):
    the spread of each figure's change in log across councils and years, and the settings."""

    contacts: float
    in_need: float
    in_need_pass_through: float
    cp: float
    lac: float
    changes: dict[str, int]          # figure -> council-years of changes used
    years: dict[str, str]            # figure -> the years of the changes ("2018-2022")
    spreads: dict[str, float]        # figure -> the spread of its changes

    @property
    def settings(self) -> tuple[str, ...]:
        return tuple(f"service.drift.{k}={getattr(self, k):.4f}"
                     for k in ("contacts", "in_need", "in_need_pass_through", "cp", "lac"))


def published_changes(key: str, up_to: int, n: int = TREND_YEARS) -> pd.DataFrame:
    """Every council's change in log ``key`` from one published year to the next, for the last
    ``n`` changes ending at or before ``up_to`` (packaged tables): ``la_code, year, change``."""
    held = [y for y in pub.years(key) if y <= up_to]
    frames = []
    for before, after in list(zip(held, held[1:]))[-n:]:
        if after != before + 1:
            continue
        a, b = pub.council_values(key, before), pub.council_values(key, after)
        both = a.index.intersection(b.index)
        both = both[(a[both] > 0).to_numpy() & (b[both] > 0).to_numpy()]
        frames.append(pd.DataFrame({"la_code": both, "year": after,
                                    "change": np.log(b[both].to_numpy() / a[both].to_numpy())}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["la_code", "year", "change"])


def spread(x) -> float:
    """The 10th-90th percentile range of ``x`` as a normal's standard deviation (0 if empty)."""
    x = np.asarray(x, float)
    return float((np.quantile(x, 0.9) - np.quantile(x, 0.1)) / Q10_Q90_SD) if len(x) else 0.0


def drift_from_tables(from_year: int, n: int = TREND_YEARS) -> Drift:
    """``service.drift`` for a backtest from ``from_year``: from councils' published changes in the
    last ``n`` years up to ``from_year`` (nothing after it is read).

    - contacts: the spread of referrals' changes;
    - in_need_pass_through: the least-squares slope of children in need's change on referrals'
      (councils' CIN moves far less than their referrals, while the model's would move as much);
      in_need the spread of what that slope leaves;
    - cp: what the spread of CP plans' changes adds to that of children in need's; lac the same
      for children starting to be looked after (the looked-after stock follows its starts slowly).
    """
    ch = {k: published_changes(k, from_year, n) for k in DRIFT_FIGURES}
    sp = {k: spread(c["change"]) for k, c in ch.items()}
    both = ch["referrals"].merge(ch["cin_at31"], on=["la_code", "year"], suffixes=("_ref", "_cin"))
    if len(both) >= 10:
        x, y = both["change_ref"].to_numpy(float), both["change_cin"].to_numpy(float)
        slope = float(np.dot(x - x.mean(), y - y.mean()) / np.dot(x - x.mean(), x - x.mean()))
        slope = min(1.0, max(0.0, slope))
        in_need = spread(y - slope * x)
    else:
        slope, in_need = 1.0, 0.0
    on_top = lambda k: math.sqrt(max(0.0, sp[k] ** 2 - sp["cin_at31"] ** 2)) if len(ch[k]) else 0.0
    years = {k: (f"{int(c['year'].min()) - 1}-{int(c['year'].max())}" if len(c) else "none") for k, c in ch.items()}
    return Drift(contacts=sp["referrals"], in_need=in_need, in_need_pass_through=slope, cp=on_top("cp_at31"),
                 lac=on_top("cla_started"), changes={k: len(c) for k, c in ch.items()}, years=years, spreads=sp)


def _flow(v) -> str:
    if isinstance(v, str):
        return "'" + v.replace("'", "") + "'"
    return str(v)


# --------------------------------------------------------------------------- the table


def backtest_rows(per_rep: pd.DataFrame, published: Published, code: int, name: str, region: str,
                  from_year: int, years: tuple[int, ...]) -> list[dict]:
    """One row per scored year and figure with a published value (the columns of backtest.csv)."""
    from .commands.validate import figure_info
    from .national import figure_rows
    from .projections.published import FIGURE_KEYS

    rows = []
    before = published.figures(code, from_year)
    for year in years:
        values = {(year, k): v for k, v in published.figures(code, year).items()}
        mine = per_rep[(per_rep["la_code"] == code) & (per_rep["year"] == year)]
        for r in figure_rows(mine, values, code, year, FIGURE_KEYS):
            label, unit, period = figure_info(r["figure"], year)
            err = r["sim_p50"] - r["published"]
            r.update(abs_error=abs(err), rel_error=(err / r["published"] if r["published"] else float("nan")),
                     la_name=name, region=region, label=label, unit=unit, period=period,
                     horizon_years=year - from_year, published_from_year=before.get(r["figure"]))
            rows.append(r)
    return rows


def coverage_table(table: pd.DataFrame) -> pd.DataFrame:
    """By year and figure: councils, how many had the published value inside the simulated 10-90%
    range, the share and what a perfect model would reach with these replications
    (``nominal_pct``, ``sim.national.nominal_coverage``), below/above, the median of
    simulated/published and the mean |relative error|."""
    from .national import coverage

    cover = coverage(table)
    if "year" not in cover:
        cover.insert(0, "year", int(table["year"].iloc[0]) if len(table) else np.nan)
    t = table.dropna(subset=["published"])
    t = t.assign(a=t["rel_error"].abs())
    if "published_from_year" in t:  # the benchmark: from_year's published value carried forward unchanged
        t = t.assign(p=((t["published_from_year"] - t["published"]).abs() / t["published"].where(t["published"] != 0)))
    else:
        t = t.assign(p=np.nan)
    g = t.groupby(["year", "figure"])
    mare = pd.DataFrame({"mean_abs_rel_error": g["a"].mean(), "persistence_mean_abs_rel_error": g["p"].mean()})
    cover = cover.merge(mare.reset_index(), on=["year", "figure"], how="left")
    order = {k: i for i, k in enumerate(figure_order(cover["figure"].unique()))}
    cover = cover.assign(_o=cover["figure"].map(order)).sort_values(["_o", "year"]).drop(columns="_o")
    cols = ["year", "figure", "councils", "inside", "coverage_pct", "nominal_pct", "mean_abs_rel_error",
            "persistence_mean_abs_rel_error", "published_below_range",
            "published_above_range", "median_ratio", "target_figure", "meets_target"]
    return cover[cols].reset_index(drop=True)


def figure_order(keys: Iterable[str]) -> list[str]:
    """Referrals and the stocks at 31 March first, then the rest in validate's order."""
    from .projections.published import FIGURE_KEYS

    keys = set(keys)
    first = [k for k in HEADLINE if k in keys]
    return first + [k for k in FIGURE_KEYS if k in keys and k not in first]


# --------------------------------------------------------------------------- why a council misses


def _log_change(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return math.log(b / a)


def _pct(x: float) -> str:
    return f"{100 * (math.exp(x) - 1):+.0f}%"


def likely_reason(code: int, key: str, year: int, from_year: int, published: Published,
                  substituted: list[str], table: pd.DataFrame) -> tuple[str, str]:
    """(kind, sentence): why council ``code`` likely misses figure ``key`` in ``year``, from the
    data, the first that applies: its from_year value was substituted; a structural change (the
    published figure moved far more than its neighbours' or than its own history); the calibrated
    service misses the from_year value too; a large but ordinary published change that a run at
    from_year's rates does not follow; or none found."""
    from .kpis import COMBINED

    parts = COMBINED.get(key, (key,))
    subs = [s for s in substituted if s.split(":", 1)[0] in parts]
    if subs:
        return "substituted", (f"its {from_year} value was not published and was taken from elsewhere "
                               f"({'; '.join(subs)})")
    change = _log_change(published.figures(code, from_year).get(key), published.figures(code, year).get(key))
    if change is not None and abs(change) >= STRUCTURAL_MIN_LOG_CHANGE:
        h = year - from_year
        try:
            near = pub.statistical_neighbours(code)
        except InputError:
            near = []
        nb = [c for c in (_log_change(published.figures(n, from_year).get(key), published.figures(n, year).get(key))
                          for n in near) if c is not None]
        own = [v for _, v in history_of(published, key, code, from_year)]
        steps = [c for c in (_log_change(a, b) for a, b in zip(own, own[1:])) if c is not None]
        said = []
        if len(nb) >= 3:
            med = float(np.median(nb))
            spread = max(SPREAD_FLOOR, 1.4826 * float(np.median(np.abs(np.array(nb) - med))))
            if abs(change - med) > STRUCTURAL_SPREAD * spread:
                said.append(f"against a median {_pct(med)} among {len(nb)} statistical neighbours")
        if len(steps) >= 2:
            mean, sd = float(np.mean(steps)), max(SPREAD_FLOOR, float(np.std(steps, ddof=1)))
            if abs(change - h * mean) > STRUCTURAL_SPREAD * math.sqrt(h) * sd:
                said.append(f"against {_pct(mean)} a year (s.d. {100 * sd:.0f}%) in its own {len(steps) + 1} years "
                            f"to {from_year}")
        if said:
            return "structural change", (f"structural change: its published figure moved {_pct(change)} from "
                                         f"{from_year} to {year}, " + " and ".join(said))
    row = table[(table["la_code"] == code) & (table["figure"] == key) & (table["year"] == year)]
    before = published.figures(code, from_year).get(key)
    if len(row) and before and before > 0 and row["sim_p50"].iloc[0] > 0:
        sim = float(row["sim_p50"].iloc[0])
        err = math.log(sim / before)
        if abs(err) >= FIRST_YEAR_MISS:
            return "calibration", (f"the calibrated service misses its {from_year} value too ({before:,.4g} published, "
                                   f"{sim:,.4g} simulated): not a change after {from_year}")
    if change is not None and abs(change) >= STRUCTURAL_MIN_LOG_CHANGE:
        return "change", (f"its published figure moved {_pct(change)} from {from_year} to {year}, which a run at "
                          f"{from_year}'s rates does not follow (not unusual against its neighbours or history)")
    return "none found", "no change in the published figures explains it: a model miss"


def history_of(published: Published, key: str, code: int, up_to: int, n: int = TREND_YEARS):
    """The council's published ``key`` (a validate figure, combined ones summed) for the last ``n``
    years up to ``up_to``."""
    from .kpis import COMBINED

    base = COMBINED.get(key, (key,))[0]
    held = [y for y in sorted(published.years()) if y <= up_to and y in pub.years(base)][-n:]
    return [(y, published.figures(code, y).get(key)) for y in held]


def worst_with_reasons(table: pd.DataFrame, published: Published, from_year: int,
                       substituted: dict[int, list[str]], n: int = 10) -> pd.DataFrame:
    """``sim.national.worst_misses`` with each council's worst figure and year and its likely reason."""
    from .national import worst_misses

    worst = worst_misses(table, n)
    rows = []
    for _, w in worst.iterrows():
        code = int(w["la_code"])
        mine = table[(table["la_code"] == code) & (table["published"] > 0) & (table["sim_p50"] > 0)]
        err = np.abs(np.log(mine["sim_p50"] / mine["published"]))
        at = mine.loc[err.idxmax()]
        kind, why = likely_reason(code, at["figure"], int(at["year"]), from_year, published,
                                  substituted.get(code, []), table)
        rows.append({**w.to_dict(), "worst_year": int(at["year"]), "worst_published": float(at["published"]),
                     "worst_sim_p50": float(at["sim_p50"]), "reason_kind": kind, "reason": why,
                     "la_name": str(at["la_name"])})
    return pd.DataFrame(rows)


def reasons_for_misses(table: pd.DataFrame, published: Published, from_year: int,
                       substituted: dict[int, list[str]], figures: Iterable[str] = HEADLINE) -> pd.DataFrame:
    """Every council-year outside its range for ``figures``, with its likely reason: la_code, year,
    figure, reason_kind, reason."""
    rows = []
    out = table[table["figure"].isin(list(figures)) & ~table["inside"].astype(bool)]
    for _, r in out.iterrows():
        kind, why = likely_reason(int(r["la_code"]), r["figure"], int(r["year"]), from_year, published,
                                  substituted.get(int(r["la_code"]), []), table)
        rows.append({"la_code": int(r["la_code"]), "year": int(r["year"]), "figure": r["figure"],
                     "direction": "published below range" if r["published"] < r["sim_p10"] else
                     "published above range", "reason_kind": kind, "reason": why})
    return pd.DataFrame(rows, columns=["la_code", "year", "figure", "direction", "reason_kind", "reason"])
