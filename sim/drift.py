"""Year-to-year drift: each replication draws how the council's demand and the share of its
assessments that start a plan change from one year to the next (decision 0032).

A forecast run at one year's rates says what that year's service would do if nothing changed;
councils' published figures do change, by more than the model's chance variation (referrals
by about 18% a year at the 10th-90th percentile spread across councils, CP plans at 31 March by
about 25%).  With ``service.drift`` set and ``parameter_draws`` on, replication k draws a random
walk for each rate: its log steps by ``sd * z`` on ``start_date`` and on each anniversary of it
(the same day and month, so 1 April for a backtest; ``z`` standard normal, from a stream of its
own keyed (seed, k, "drift:<name>")), so the year starting y years after ``start_date`` runs at
``exp(sum of y + 1 steps)`` times the configured rate; the warm-up runs at the configured rates.
Medians stay at the configured rates (no mean correction: published log changes are centred on
about zero).  A factor is held within [1/20, 20] (``MAX_DRIFT_FACTOR``).

- ``contacts``: the contact rate of children new to the front door.  Children coming back are
  not scaled: they follow from earlier cases, so a year's referrals move by less than the
  factor at first (about 0.8 of its log in a calibrated council's first year) and by all of it
  once the returns have caught up.
- ``in_need``: the shares of an assessment's outcomes that start a CIN plan, a CP conference or
  a looked-after placement (``close`` takes the rest).  Its log moves by
  ``(in_need_pass_through - 1)`` times the contacts' log plus its own walk of ``in_need``:
  published changes of children in need follow only about a quarter of a change in referrals.
  The compensation is against the contacts' factor, while a year's assessments follow it with a
  lag, so in the model plan starts follow less of it than ``in_need_pass_through`` (about 0.1 in
  a calibrated council's first year; decision 0032).
- ``cp`` and ``lac``: the CP and looked-after shares again, on top of ``in_need``.

Pure: the paths are numbers; the model reads them (``sim.model.demand``, ``sim.model.casework``).
"""
from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from .config import MAX_DRIFT_FACTOR, DriftConfig, RunConfig, add_months, parse_date
from .streams import stream

STREAM = "drift"
RATES = ("contacts", "in_need", "cp", "lac")


@dataclass(frozen=True)
class DriftPath:
    """One replication's factors: ``factors[rate][i]`` applies in drift year ``i`` (0: before
    ``start_date``, always 1; i >= 1: the year starting ``i - 1`` years after it).  ``bounds``:
    the days (since ``start_date``) of its anniversaries, where drift years 2, 3, ... start."""

    factors: dict[str, tuple[float, ...]]
    bounds: tuple[int, ...] = ()

    @property
    def active(self) -> bool:
        return any(any(f != 1.0 for f in v) for v in self.factors.values())

    @property
    def years(self) -> int:
        return len(next(iter(self.factors.values())))

    def year_of(self, day: float) -> int:
        """The drift year of simulation day ``day`` (days since ``start_date``)."""
        if day < 0:
            return 0
        return min(self.years - 1, 1 + bisect_right(self.bounds, day))

    def factor(self, rate: str, day: float) -> float:
        return self.factors[rate][self.year_of(day)]


def none(years: int = 1) -> DriftPath:
    """No drift: every factor 1."""
    return DriftPath({r: (1.0,) * (years + 1) for r in RATES}, tuple(365 * k for k in range(1, years)))


def anniversaries(start_date: str, horizon_day: float) -> tuple[int, ...]:
    """Days from ``start_date`` to each of its anniversaries before the horizon (29 February
    starts its years on 28 February)."""
    start = parse_date("start_date", start_date)
    out, k = [], 1
    while (day := (add_months(start, 12 * k) - start).days) < horizon_day:
        out.append(day)
        k += 1
    return tuple(out)


def _is_set(d: DriftConfig) -> bool:
    return bool(d.contacts or d.in_need or d.cp or d.lac)


def is_drawn(cfg: RunConfig) -> bool:
    """Whether a run with ``cfg`` draws any drift (a spread set, and ``parameter_draws`` on)."""
    return bool(cfg.parameter_draws and _is_set(cfg.service.drift))


def path(cfg: RunConfig, replication: int, horizon_day: float) -> DriftPath:
    """Replication ``replication``'s drift over a run whose horizon ends ``horizon_day`` days
    after ``start_date`` (no drift when ``parameter_draws`` is off or nothing is set)."""
    bounds = anniversaries(cfg.start_date, horizon_day)
    years = len(bounds) + 1
    d = cfg.service.drift
    if not is_drawn(cfg):
        return none(years)
    # One stream per rate, each drawing its steps in order: a longer horizon adds steps at the
    # end without changing the earlier ones, and setting one rate never moves another's draws.
    z = {r: stream(cfg.seed, replication, f"{STREAM}:{r}").standard_normal(years) for r in RATES}
    logs = {"contacts": np.cumsum(d.contacts * z["contacts"])}
    logs["in_need"] = (d.in_need_pass_through - 1.0) * logs["contacts"] + np.cumsum(d.in_need * z["in_need"])
    logs["cp"] = np.cumsum(d.cp * z["cp"])
    logs["lac"] = np.cumsum(d.lac * z["lac"])
    cap = math.log(MAX_DRIFT_FACTOR)
    return DriftPath({r: (1.0,) + tuple(float(x) for x in np.exp(np.clip(logs[r], -cap, cap))) for r in RATES},
                     bounds)


def outcome_shares(shares: dict[str, float], p: DriftPath, year: int) -> dict[str, float]:
    """An assessment row's outcome shares (``close``, ``cin``, ``cp``, ``lac``) in drift year
    ``year``: the plan starts scaled by their factors, ``close`` the rest (if the plans would
    take more than all, they are scaled down to all and nothing closes)."""
    n = p.factors["in_need"][year]
    out = {"cin": shares["cin"] * n, "cp": shares["cp"] * n * p.factors["cp"][year],
           "lac": shares["lac"] * n * p.factors["lac"][year]}
    total = sum(shares.values())
    plans = sum(out.values())
    if plans > total:
        out = {k: v * total / plans for k, v in out.items()}
        plans = total
    return {"close": total - plans, **out}
