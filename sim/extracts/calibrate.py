"""A service configuration fitted to a council's own records: its Standard Safeguarding Dataset
extract (``sim.extracts.history``'s measures) on top of a base service.

``calibrate(extract, base, ...)`` sets each value the extract speaks to and keeps the base
service's value for everything else, and says which in the comment on each value
(``service_yaml``): a fitted value is marked ``D`` with its sample size and how well it fits
(a share's standard error, a length's Kolmogorov-Smirnov distance to the Kaplan-Meier curve);
a kept one ``E`` with what the extract does not hold.  docs/decisions/0033 gives the method:

- counts and shares are read straight from the records (the MASH's decisions, assessment,
  conference and plan outcomes, the family practitioners' share of CIN plans, changes of
  worker, leavers per worker-year, the staff in post);
- the MASH's outcomes and the s47 share by priority (the extract holds no priorities) keep the
  base service's differences between priorities on the log-odds scale and are shifted together
  until the steady state's mix over every contact (``sim.model.flows``: new children's and
  returning children's priorities) is the records' mix;
- the returns' shares are scaled together so that the steady state's re-referral rate is the
  records' (``sim.calibrate._solve_returns``, as the DfE calibration does);
- lengths are fitted by maximum likelihood with right-censoring (scipy.stats.CensoredData):
  lognormal, gamma and exponential, the best by AIC among those whose KS distance to the
  Kaplan-Meier curve is within the 5% critical value (or 0.03), else an empirical histogram of
  the Kaplan-Meier curve whose tail beyond the longest length seen follows the best fit;
- contacts: the last 12 months' count; seasonality and a trend from a Poisson regression of the
  monthly counts on their working days, months shrunk towards flat by how much of their spread
  chance explains, the trend kept only when it is twice its standard error.

Pure functions of the extract and the base service's plain tree (no SimPy; Hydra only through
``sim.inputs.typed``, as ``sim.calibrate``).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..config import MAX_DAYS, MAX_PARAMETER_CV, MAX_RETURN_SHARE, PRIORITIES
from . import history as hist

MIN_EVENTS = 30          # a length is fitted from at least this many ended spells, else the base's is kept
MIN_N = 30               # a share is fitted from at least this many decisions, else the base's is kept
KS_CRITICAL = 1.36       # Kolmogorov's 5% critical value, over the square root of the ended spells
KS_GOOD_ENOUGH = 0.03    # or a curve within 3 points of probability everywhere, whatever the sample size
TREND_Z = 2.0            # a trend is written only when it is this many standard errors from none
LATE_DECEMBER_MIN = 100  # contacts from 21 December needed to fit its factor
BOOTSTRAP = 100          # resamples for an empirical length's standard errors
MAX_BINS = 12            # equal-probability bins an empirical length starts from
MAX_EMPIRICAL_BINS = 40  # and at most this many once refined
EMPIRICAL_TOLERANCE = 0.01  # its CDF within 1 point of probability of the Kaplan-Meier curve (or of
#                            its chance wobble, 0.5 / sqrt(ended spells), when that is larger)
SOLVE_ROUNDS = 10


# ------------------------------------------------------------------------------------------ lengths
@dataclass
class LengthFit:
    """A length's fitted distribution and how well it fits."""

    name: str
    unit: str
    n: int
    events: int
    left_out: int
    kind: str                               # lognormal | gamma | exponential | empirical | kept
    spec: dict                              # the Dist, as the service file writes it
    aic: dict[str, float] = field(default_factory=dict)
    ks: dict[str, float] = field(default_factory=dict)
    ks_limit: float = float("nan")
    mean: float = float("nan")
    mean_se: float = float("nan")
    median: float = float("nan")
    median_se: float = float("nan")

    @property
    def unit_words(self) -> str:
        return "working days" if self.unit == "working_days" else "days"

    def quality(self) -> str:
        """n, the choice and its fit, the mean and median with their standard errors: one clause."""
        u = self.unit_words
        counted = f"n={self.n:,} ({self.events:,} ended, {self.n - self.events:,} still open, censored"
        counted += f"; {self.left_out:,} open when the extract begins left out)" if self.left_out else ")"
        aic = ", ".join(f"{k} {v:,.0f}" for k, v in self.aic.items())
        ks = ", ".join(f"{k} {v:.3f}" for k, v in self.ks.items())
        if self.kind == "empirical":
            why = (f"no parametric fit within the KS limit {self.ks_limit:.3f} (KS distance to the Kaplan-Meier "
                   f"curve: {ks}; AIC {aic}): the Kaplan-Meier curve as a histogram")
        else:
            why = (f"{self.kind} by AIC ({aic}), KS distance to the Kaplan-Meier curve {self.ks[self.kind]:.3f} "
                   f"(limit {self.ks_limit:.3f}; the others {', '.join(f'{k} {v:.3f}' for k, v in self.ks.items() if k != self.kind) or 'none'})")
        return (f"{counted}; {why}; mean {self.mean:,.1f} ± {self.mean_se:,.1f} {u}, median {self.median:,.1f} ± "
                f"{self.median_se:,.1f} (± one standard error)")


_CANDIDATES = ("lognormal", "gamma", "exponential")


def _frozen(kind: str, theta: np.ndarray):
    from scipy import stats

    if kind == "lognormal":
        return stats.lognorm(math.exp(theta[0]), 0, math.exp(theta[1]))
    if kind == "gamma":
        return stats.gamma(math.exp(theta[0]), 0, math.exp(theta[1]))
    return stats.expon(0, math.exp(theta[0]))


def _theta(kind: str, params: tuple) -> np.ndarray:
    if kind == "exponential":
        return np.array([math.log(params[1])])
    return np.array([math.log(params[0]), math.log(params[2])])


def _nll(kind: str, theta: np.ndarray, x: np.ndarray, ended: np.ndarray) -> float:
    d = _frozen(kind, theta)
    return -float(d.logpdf(x[ended]).sum() + d.logsf(x[~ended]).sum())


def _hessian(f, theta: np.ndarray, h: float = 1e-3) -> np.ndarray:
    k = len(theta)
    out = np.zeros((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            v = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)) / (4 * h * h)
            out[i, j] = out[j, i] = v
    return out


def _delta_se(g, theta: np.ndarray, cov: np.ndarray, h: float = 1e-4) -> float:
    grad = np.array([(g(theta + np.eye(len(theta))[i] * h) - g(theta - np.eye(len(theta))[i] * h)) / (2 * h)
                     for i in range(len(theta))])
    return float(math.sqrt(max(0.0, grad @ cov @ grad)))


def _ks(cdf, times: np.ndarray, surv: np.ndarray, half: float) -> float:
    """The largest gap between the fit's CDF and the Kaplan-Meier curve, at each of its steps (just
    before and after), a length of k whole units standing for k - 1/2 to k + 1/2."""
    after = 1 - surv
    before = np.concatenate([[0.0], after[:-1]])
    return float(max(np.max(np.abs(after - cdf(times + half))), np.max(np.abs(before - cdf(np.maximum(times - half, 0))))))


def _spec(kind: str, d, unit: str) -> dict:
    mean, sd = float(d.mean()), float(d.std())
    if kind == "exponential":
        return {"kind": "exponential", "mean": round(mean, 2), "unit": unit}
    return {"kind": kind, "mean": round(mean, 2), "sd": round(sd, 2), "unit": unit}


def _empirical(times: np.ndarray, surv: np.ndarray, events: int, tail_mean: float | None, half: float) -> dict:
    """The Kaplan-Meier curve as histogram bins: the CDF of lengths drawn uniformly within bins is
    piecewise linear, so the bins' edges are chosen among the curve's steps (a length of k whole
    units standing for k - 1/2 to k + 1/2) until that line is within ``EMPIRICAL_TOLERANCE`` (or
    half the curve's chance wobble) of the curve at every step (starting from equal-probability bins); the mass left beyond the longest
    length seen goes in one last bin whose mean is ``tail_mean`` (the best parametric fit's)."""
    after = 1 - surv
    before = np.concatenate([[0.0], after[:-1]])
    x = np.concatenate([[0.0], np.ravel(np.column_stack([np.maximum(times - half, 0.0), times + half]))])
    f = np.concatenate([[0.0], np.ravel(np.column_stack([before, after]))])
    keep = np.concatenate([[True], np.diff(x) > 1e-9])  # a step right after the last: the same point
    x, f = x[keep], f[keep]
    f = np.maximum.accumulate(f)
    bins = int(np.clip(events // 40, 4, MAX_BINS))
    knots = {0, len(x) - 1}
    for q in np.arange(1, bins) / bins:
        knots.add(int(min(len(x) - 1, np.searchsorted(f, q - 1e-12))))
    while len(knots) < MAX_EMPIRICAL_BINS + 1:
        ks = sorted(knots)
        worst, at = 0.0, None
        for a, b in zip(ks, ks[1:]):
            if b - a < 2:
                continue
            inside = np.arange(a + 1, b)
            line = f[a] + (f[b] - f[a]) * (x[inside] - x[a]) / max(x[b] - x[a], 1e-12)
            gap = np.abs(f[inside] - line)
            i = int(np.argmax(gap))
            if gap[i] > worst:
                worst, at = float(gap[i]), int(inside[i])
        if at is None or worst <= max(EMPIRICAL_TOLERANCE, 0.5 / math.sqrt(max(events, 1))):
            break
        knots.add(at)
    ks = sorted(knots)
    edges = [float(x[k]) for k in ks]
    counts = [float(f[b] - f[a]) for a, b in zip(ks, ks[1:])]
    rest = 1.0 - float(f[ks[-1]])
    if rest > 1e-3:
        width = 2 * tail_mean if tail_mean and math.isfinite(tail_mean) and tail_mean > 0 else edges[-1]
        edges.append(min(MAX_DAYS, edges[-1] + max(width, 1.0)))
        counts.append(rest)
    total = sum(counts)
    return {"kind": "empirical", "edges": [round(e, 1) for e in edges],
            "counts": [round(1000 * c / total, 1) for c in counts]}


def _dist_stats(spec: dict) -> tuple[float, float]:
    """Mean and median of a Dist written as a dict."""
    from scipy import stats

    k = spec["kind"]
    if k == "empirical":
        e, c = np.array(spec["edges"], float), np.array(spec["counts"], float)
        p = c / c.sum()
        mean = float(((e[:-1] + e[1:]) / 2 * p).sum())
        cum = np.concatenate([[0.0], np.cumsum(p)])
        j = int(np.clip(np.searchsorted(cum, 0.5) - 1, 0, len(p) - 1))
        median = float(e[j] + (0.5 - cum[j]) / max(p[j], 1e-12) * (e[j + 1] - e[j]))
        return mean, median
    mean = float(spec["mean"])
    if k == "exponential":
        return mean, mean * math.log(2)
    sd = float(spec["sd"])
    if k == "lognormal":
        return mean, mean / math.sqrt(1 + (sd / mean) ** 2)
    shape = (mean / sd) ** 2
    return mean, float(stats.gamma(shape, 0, mean / shape).median())


def fit_length(spells: hist.Spells, base: dict) -> LengthFit:
    """The distribution of ``spells``' lengths (in their unit), or ``base`` kept when fewer than
    ``MIN_EVENTS`` ended."""
    from scipy import stats

    fit = LengthFit(spells.name, spells.unit, spells.n, spells.events, spells.left_out, "kept", dict(base))
    if spells.events < MIN_EVENTS:
        fit.mean, fit.median = _dist_stats(base)
        return fit
    raw = np.asarray(spells.length, float)
    ended = np.asarray(spells.ended, bool)
    x = np.maximum(raw, 0.5)  # a length of 0 whole days: under one, about half on average
    data = stats.CensoredData(uncensored=x[ended], right=x[~ended])
    times, surv, _ = hist.kaplan_meier(raw, ended)
    half = 0.5
    fit.ks_limit = max(KS_CRITICAL / math.sqrt(spells.events), KS_GOOD_ENOUGH)
    fitted = {}
    for kind, dist in (("lognormal", stats.lognorm), ("gamma", stats.gamma), ("exponential", stats.expon)):
        try:
            params = dist.fit(data, floc=0)
            theta = _theta(kind, params)
            nll = _nll(kind, theta, x, ended)
        except (ValueError, RuntimeError, FloatingPointError, OverflowError):
            continue
        if not math.isfinite(nll):
            continue
        fitted[kind] = theta
        fit.aic[kind] = 2 * len(theta) + 2 * nll
        fit.ks[kind] = _ks(_frozen(kind, theta).cdf, times, surv, half)
    good = [k for k in fitted if fit.ks[k] <= fit.ks_limit]
    by_aic = sorted(fitted, key=lambda k: fit.aic[k])
    unit = spells.unit
    if good:
        kind = min(good, key=lambda k: fit.aic[k])
        theta = fitted[kind]
        fit.kind = kind
        fit.spec = _spec(kind, _frozen(kind, theta), unit)
        fit.mean, fit.median = _dist_stats(fit.spec)
        f = lambda t: _nll(kind, t, x, ended)  # noqa: E731
        try:
            cov = np.linalg.pinv(_hessian(f, theta))
            fit.mean_se = _delta_se(lambda t: float(_frozen(kind, t).mean()), theta, cov)
            fit.median_se = _delta_se(lambda t: float(_frozen(kind, t).median()), theta, cov)
        except (np.linalg.LinAlgError, ValueError):
            pass
        return fit
    best = by_aic[0] if by_aic else None

    def tail(t_last: float) -> float | None:
        if best is None:
            return None
        d = _frozen(best, fitted[best])
        s = float(d.sf(t_last))
        if s <= 1e-12:
            return None
        from scipy import integrate

        area, _ = integrate.quad(d.sf, t_last, np.inf, limit=200)
        return area / s

    t_tail = tail(float(times[-1] + half)) if len(times) else None
    fit.kind = "empirical"
    fit.spec = {**_empirical(times, surv, spells.events, t_tail, half), "unit": unit}
    fit.mean, fit.median = _dist_stats(fit.spec)
    rng = np.random.default_rng(0)
    means, medians = [], []
    for _ in range(BOOTSTRAP):
        i = rng.integers(0, len(raw), len(raw))
        t, s, _ = hist.kaplan_meier(raw[i], ended[i])
        if not len(t):
            continue
        m, md = _dist_stats(_empirical(t, s, int(ended[i].sum()), t_tail, half))
        means.append(m)
        medians.append(md)
    fit.mean_se, fit.median_se = float(np.std(means, ddof=1)), float(np.std(medians, ddof=1))
    return fit


# ------------------------------------------------------------------------------------------ contacts
@dataclass
class Volumes:
    """Contacts: the last 12 months' count, the fitted seasonality and trend."""

    last_year: int
    days: int
    level: float                 # contacts_per_year written
    level_se: float
    dispersion: float            # the Poisson regression's Pearson dispersion (1: as Poisson)
    years: list[int]             # contacts in each whole year back from the end
    trend: float                 # fitted annual change (a fraction)
    trend_se: float
    trend_used: bool
    month_factors: list[float] | None   # every contact's, Jan..Dec, mean 1, shrunk
    shrink: float                # the average weight the months' own figures kept (1: as fitted)
    month_se: list[float] | None  # each month's log factor's standard error
    month_weight: list[float] | None  # each month's shrinkage weight
    months: int                  # whole months of contacts behind the seasonality
    in_months: int               # the contacts in them
    late_december: float | None
    late_december_se: float
    late_december_n: int


def _poisson(y: np.ndarray, x: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """A Poisson regression by iteratively reweighted least squares: coefficients, their covariance
    (scaled by the Pearson dispersion when above 1) and that dispersion."""
    beta = np.linalg.lstsq(x, np.log((y + 0.5) / np.exp(offset)), rcond=None)[0]  # a start near the answer
    for _ in range(50):
        eta = x @ beta + offset
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        w = mu
        xtwx = x.T @ (x * w[:, None])
        new = np.linalg.solve(xtwx + 1e-9 * np.eye(len(beta)), x.T @ (w * z))
        if np.max(np.abs(new - beta)) < 1e-10:
            beta = new
            break
        beta = new
    mu = np.exp(x @ beta + offset)
    df = max(1, len(y) - x.shape[1])
    phi = max(1.0, float(((y - mu) ** 2 / mu).sum() / df))
    cov = phi * np.linalg.inv(x.T @ (x * mu[:, None]) + 1e-9 * np.eye(len(beta)))
    return beta, cov, phi


def fit_volumes(h: hist.History) -> Volumes:
    rows = hist.contact_months(h)
    rows = rows[rows["working_days"] > 0].reset_index(drop=True)
    whole = rows[~rows["late"]]
    seasonal = whole["month"].nunique() == 12
    years = [c for *_, c in hist.contacts_by_year(h)]
    with_trend = len(years) >= 2
    late_n = int(rows.loc[rows["late"], "contacts"].sum())
    with_late = seasonal and late_n >= LATE_DECEMBER_MIN
    if not with_late:
        rows = rows[~rows["late"]].reset_index(drop=True)
    cols = []
    if seasonal:
        cols += [(rows["month"] == m).astype(float).to_numpy() for m in range(1, 13)]
    else:
        cols.append(np.ones(len(rows)))
    if with_late:
        cols.append(rows["late"].astype(float).to_numpy())
    if with_trend:
        cols.append(rows["t"].to_numpy(float))
    x = np.column_stack(cols) if len(rows) else np.zeros((0, len(cols)))
    y = rows["contacts"].to_numpy(float)
    phi, trend, trend_se, factors, shrink, month_se, weights = 1.0, 0.0, float("nan"), None, 1.0, None, None
    late, late_se = None, float("nan")
    if len(rows) >= x.shape[1]:
        beta, cov, phi = _poisson(y, x, np.log(rows["working_days"].to_numpy(float)))
        se = np.sqrt(np.diag(cov))
        k = 12 if seasonal else 1
        if with_late:
            late, late_se = math.exp(beta[k]), float(se[k] * math.exp(beta[k]))
        if with_trend:
            trend, trend_se = math.exp(beta[-1]) - 1, float(se[-1] * math.exp(beta[-1]))
        if seasonal:
            d = beta[:12] - beta[:12].mean()
            noise = se[:12] ** 2 * 11 / 12
            tau2 = max(0.0, float(np.sum(d ** 2) / 11 - noise.mean()))
            w = tau2 / (tau2 + noise)
            f = np.exp(w * d)
            factors = [float(v) for v in f / f.mean()]
            shrink = float(w.mean())
            month_se, weights = [float(v) for v in se[:12]], [float(v) for v in w]
    count, days = hist.contacts_in_last(h)
    level = count * 365 / days
    used = with_trend and math.isfinite(trend_se) and abs(trend) >= TREND_Z * trend_se
    if used and days >= 365:
        level *= (1 + trend) ** 0.5  # the last 12 months' level stands for their middle, half a year back
    return Volumes(count, days, level, math.sqrt(count * phi) * 365 / days, phi, years, trend, trend_se, used,
                   factors, shrink, month_se, weights, int(len(whole)), int(rows["contacts"].sum()),
                   late if late is not None else None, late_se, late_n)


def new_children_seasonality(vol: Volumes, returning: float) -> tuple[list[float] | None, float | None]:
    """The month factors and late-December factor of new children's contacts, the ones the model's
    factors multiply, from every contact's: children coming back arrive a delay after their case
    ended (about five months on average), so their contacts are taken as flat through the year,
    and a share ``returning`` of contacts being theirs, every contact's factor f is
    (1 - returning) x f_new + returning: f_new = 1 + (f - 1) / (1 - returning).  The late-December
    ratio L of every contact's rate to December's before it solves the same mix."""
    if vol.month_factors is None:
        return None, None
    r = min(max(returning, 0.0), 0.9)
    f = np.maximum(1 + (np.array(vol.month_factors) - 1) / (1 - r), 0.05)
    f = f / f.mean()
    late = None
    if vol.late_december is not None:
        dec = f[11]
        late = (vol.late_december * ((1 - r) * dec + r) - r) / ((1 - r) * dec)
        late = float(np.clip(late, 0.05, 2.0))
    return [round(float(v), 3) for v in f], late


# ------------------------------------------------------------------------------------------ shares
def _rounded(shares: dict[str, float], digits: int = 4) -> dict[str, float]:
    """Shares rounded, summing to exactly 1 (the largest takes the rounding)."""
    out = {k: round(max(0.0, v), digits) for k, v in shares.items()}
    big = max(out, key=lambda k: out[k])
    out[big] = round(1.0 - sum(v for k, v in out.items() if k != big), digits)
    return out


def _mix(cfg) -> dict[str, float]:
    """The steady state's priority mix over every contact: new children's and returning children's."""
    from ..model import flows

    new, returning = flows.contact_rates(cfg)
    mixes = flows.return_mixes(cfg)
    out = {p: new * getattr(cfg.service.demand.priority, p) for p in PRIORITIES}
    for (way, _), per_year in returning.items():
        for p in PRIORITIES:
            out[p] += per_year * mixes[way][p]
    total = sum(out.values())
    return {p: v / total for p, v in out.items()}


def rake_outcomes(base: dict[str, dict[str, float]], mix: dict[str, float], target: dict[str, float]) -> dict:
    """Each priority's MASH outcomes: the base's, every outcome's odds multiplied by one factor for all
    priorities (each row renormalised), so that the mix over priorities is ``target``.  A 0 stays 0."""
    k = dict.fromkeys(target, 1.0)
    rows = base
    for _ in range(500):
        rows = {}
        for p, row in base.items():
            raw = {o: row[o] * k[o] for o in target}
            total = sum(raw.values())
            rows[p] = {o: v / total for o, v in raw.items()} if total > 0 else dict(row)
        have = {o: sum(mix[p] * rows[p][o] for p in rows) for o in target}
        if max(abs(have[o] - target[o]) for o in target) < 1e-9:
            break
        for o in target:
            if have[o] > 0 and target[o] > 0:
                k[o] *= target[o] / have[o]
    return rows


def shift_shares(base: dict[str, float], weights: dict[str, float], target: float) -> tuple[dict[str, float], float]:
    """Shares by priority shifted by one amount on the log-odds scale (0 and 1 stay) so that their
    ``weights``-weighted mean is ``target``; the shift."""
    def shifted(delta: float) -> dict[str, float]:
        out = {}
        for p, s in base.items():
            if s <= 0 or s >= 1:
                out[p] = s
            else:
                z = math.log(s / (1 - s)) + delta
                out[p] = 1 / (1 + math.exp(-z))
        return out

    total = sum(weights.values())

    def mean(delta: float) -> float:
        s = shifted(delta)
        return sum(weights[p] * s[p] for p in base) / total

    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mean(mid) < target else (lo, mid)
    delta = (lo + hi) / 2
    return shifted(delta), delta


# ------------------------------------------------------------------------------------------ the calibration
@dataclass
class ExtractCalibration:
    """A service fitted to an extract: the tree, the comment on each value set, the header's lines,
    and what it was fitted from (for the command's summary and the tests)."""

    service: dict
    notes: dict[tuple, str]
    header: list[str]
    history: hist.History
    lengths: dict[str, LengthFit]
    volumes: Volumes
    measured: dict
    checks: list[tuple[str, float, float]]   # (what, a year in the steady state, in the records' last 12 months)


def _pct(x: float, se: float | None = None, digits: int = 1) -> str:
    text = f"{100 * x:.{digits}f}%"
    return text + (f" ± {100 * se:.{digits}f}" if se is not None and math.isfinite(se) else "")


def _shares_text(s: hist.Shares, order) -> str:
    return ", ".join(f"{o} {s.counts.get(o, 0):,} ({_pct(s.share(o), s.se(o))})" for o in order)


def calibrate(extract, base: dict, base_name: str, name: str, before=None) -> ExtractCalibration:
    """The service fitted to ``extract`` (a read ``sim.extracts.reader.Extract``) on top of ``base``
    (a service file's plain tree), named ``name``; ``before``: use only the history before that day."""
    from ..inputs.typed import with_service

    cal_cfg = base.get("calendar") or {}
    h = hist.read_history(extract, before, bool(cal_cfg.get("weekends_off", True)),
                          bool(cal_cfg.get("bank_holidays", True)))
    from ..config import ServiceConfig, to_plain

    s = copy.deepcopy(base)
    _fill(s, to_plain(ServiceConfig()))  # every value present: the base's, else the schema's default
    base_rows = {p: {o: float(s["mash"]["outcomes"][p][o]) for o in hist.MASH_OUTCOMES} for p in PRIORITIES}
    base_s47 = {p: float(s["mash"]["s47_share"][p]) for p in PRIORITIES}
    notes: dict[tuple, str] = {}
    measured: dict = {}
    span = f"{h.first_day:%Y-%m-%d} to {h.last_day:%Y-%m-%d}"
    src = f"the records ({span})"
    kept = f"E: kept from the base service ({base_name})"

    s["name"] = name
    notes[("name",)] = "E: the service's name (this file's name)"
    notes[("la_code",)] = (f"{kept}: the extract does not say which council it is; set the council's DfE code "
                           "to validate against its published figures")
    s["calibration"] = {"year": None, "figures": []}
    notes[("calibration",)] = ("E: no published figure was used: every value below is fitted to the council's own "
                               "records or kept from the base service")

    # ---- contacts ----------------------------------------------------------------------------
    d = s["demand"]
    vol = fit_volumes(h)
    measured["volumes"] = vol
    d["contacts_per_year"] = int(round(vol.level))
    trend_words = (f", x{(1 + vol.trend) ** 0.5:.3f} for the fitted trend over the half year from their middle to "
                   "their end" if vol.trend_used and vol.days >= 365 else "")
    notes[("demand", "contacts_per_year")] = (
        f"D: every contact, children coming back included, in {src}'s last {vol.days} days: {vol.last_year:,} "
        f"{'' if vol.days == 365 else f'(x 365 / {vol.days}) '}{trend_words}; n={vol.last_year:,}, standard error "
        f"± {vol.level_se:,.0f} (Poisson, x the monthly counts' dispersion {vol.dispersion:.2f}); whole years: "
        f"{', '.join(f'{c:,}' for c in vol.years) or 'none'}")
    if vol.trend_used:
        d["annual_trend"] = round(vol.trend, 4)
        notes[("demand", "annual_trend")] = (
            f"D: log-linear trend of the monthly contacts (with the seasonality; n={vol.in_months:,}), "
            f"{_pct(vol.trend, vol.trend_se)} a year over {len(vol.years)} whole years "
            f"({', '.join(f'{c:,}' for c in vol.years)})")
    else:
        d["annual_trend"] = 0.0
        why = (f"fitted {_pct(vol.trend, vol.trend_se)} a year, within {TREND_Z:g} standard errors of none"
               if len(vol.years) >= 2 else f"{len(vol.years)} whole year(s) of contacts, fewer than the 2 a trend needs")
        notes[("demand", "annual_trend")] = f"D: no trend: {why}"
    notes[("demand", "priority")] = (f"{kept}: the SSD holds no priorities (RAG ratings); the MASH outcomes below keep "
                                     "its differences between priorities")
    notes[("demand", "source")] = (f"{kept}: contacts' sources are labels in the model (no path depends on them); "
                                   "cont_contact_source_code is not read")

    # ---- the MASH ----------------------------------------------------------------------------
    m = s["mash"]
    mash = hist.mash_outcomes(h)
    s47, s47_from = hist.s47_share(h)
    measured["mash"], measured["s47"] = mash, s47
    for key, what in (("screening", "MASH screening times (no screening start or end is recorded)"),
                      ("consent_share", "which contacts waited for consent or partner information"),
                      ("consent_delay", "consent and partner waits")):
        notes[("mash", key)] = f"{kept}: the SSD holds nothing on {what}"

    # ---- assessments, conferences, plans: shares read straight from the records ----------------
    cw = s["casework"]
    ao = hist.assessment_outcomes(h, hist.YEAR_DAYS if h.days >= 2 * hist.YEAR_DAYS else 0)
    measured["assessment_outcomes"] = ao
    lag = hist.outcome_lag_days(h)
    for route, key in (("s47", ("assessment_outcomes", "s47")), ("other", ("assessment_outcomes", "other")),
                       ("s47_after_cp", ("s47_after_cp",))):
        counts = ao[route]
        target = cw["assessment_outcomes"] if len(key) == 2 else cw
        who = {"s47": "s47 enquiries of children with no CP plan seen before",
               "s47_after_cp": "s47 enquiries of children with an earlier CP plan",
               "other": "referrals without an s47 enquiry"}[route]
        first_year = ("; s47 ones in the first year too (an earlier CP plan may predate the extract)"
                      if route != "other" and h.days >= 2 * hist.YEAR_DAYS else "")
        if counts.n >= MIN_N:
            target[key[-1]] = _rounded(counts.shares())
            notes[("casework", *key)] = (
                f"D: authorised assessments' outcomes in {src} ({who}; cp: went to an initial conference), "
                f"n={counts.n:,}: {_shares_text(counts, hist.ASSESSMENT_OUTCOMES)}; those started in the last {lag} "
                f"days left out{first_year}")
        else:
            notes[("casework", *key)] = f"{kept}: {counts.n} such assessments in {src}, fewer than {MIN_N}"
    conf = hist.conference_outcomes(h)
    measured["conference_outcomes"] = conf
    if conf.n >= MIN_N:
        cw["conference_outcomes"] = _rounded(conf.shares())
        notes[("casework", "conference_outcomes")] = (
            f"D: initial conferences in {src}, n={conf.n:,}: {_shares_text(conf, hist.CONFERENCE_OUTCOMES)} (cin: a CIN "
            "plan started on the referral that day)")
    else:
        notes[("casework", "conference_outcomes")] = f"{kept}: {conf.n} initial conferences in {src}, fewer than {MIN_N}"
    endings = hist.plan_endings(h)
    measured["plan_endings"] = endings
    for plan, counts in endings.items():
        if counts.n >= MIN_N:
            cw["plan_endings"][plan] = _rounded({**{o: 0.0 for o in ("close", "cin", "cp", "lac")}, **counts.shares()})
            notes[("casework", "plan_endings", plan)] = (
                f"D: {plan.upper()} plans that ended in {src}, n={counts.n:,}: "
                f"{_shares_text(counts, hist.PLAN_ENDINGS[plan])} (a plan of the referral starting the day it ended)")
        else:
            notes[("casework", "plan_endings", plan)] = f"{kept}: {counts.n} {plan.upper()} plans ended in {src}"
    held = hist.held_outside(h)
    measured["held_outside"] = held
    if held.n >= MIN_N:
        cw["cin_held_outside"] = round(held.p, 4)
        notes[("casework", "cin_held_outside")] = (
            f"D: CIN plans that are a referral's first plan taken by a family practitioner (team FAMHELP) the day "
            f"they started, in {src}: {held.k:,} of {held.n:,} ({_pct(held.p, held.se)})")
    else:
        notes[("casework", "cin_held_outside")] = f"{kept}: {held.n} first CIN plans in {src}, fewer than {MIN_N}"

    # ---- lengths --------------------------------------------------------------------------------
    lengths: dict[str, LengthFit] = {}
    for key, spells in (("assessment_duration", hist.assessment_spells(h)),
                        ("conference_delay", hist.conference_spells(h))):
        base_spec = dict(cw[key])
        fit = fit_length(spells, base_spec)
        lengths[key] = fit
        what = ("working days from an assessment's start (its first allocation to the assessment team) to its "
                "authorisation, those decided at a conference left out" if key == "assessment_duration" else
                "working days from an s47 enquiry's start to its initial conference (enquiries of the last 60 days "
                "left out)")
        if fit.kind == "kept":
            notes[("casework", key)] = f"{kept}: {fit.events} ended in {src}, fewer than the {MIN_EVENTS} a fit needs"
        else:
            cw[key] = {**fit.spec, "unit": "working_days"}
            notes[("casework", key)] = f"D: {what}, in {src}: {fit.quality()}"
    for plan in ("cin", "cp", "lac"):
        fit = fit_length(hist.plan_spells(h, plan), dict(cw["plan_duration"][plan]))
        lengths[plan] = fit
        if fit.kind == "kept":
            notes[("casework", "plan_duration", plan)] = (f"{kept}: {fit.events} {plan.upper()} plans ended in {src}, "
                                                          f"fewer than the {MIN_EVENTS} a fit needs")
        else:
            cw["plan_duration"][plan] = {**fit.spec, "unit": "days"}
            notes[("casework", "plan_duration", plan)] = (
                f"D: calendar days on {plan.upper()} plans that started in {src}: {fit.quality()}")
    waits = hist.allocation_spells(h)
    wait_median = float(np.median(waits.length)) if waits.n else float("nan")
    measured["allocation_waits"] = waits
    notes[("casework", "allocation_delay")] = (
        f"{kept}: in {src} referrals waited a median {wait_median:.0f} working days for their first assessment "
        f"worker (n={waits.n:,}), but that is the triage delay this sets and the wait for a worker with room "
        "together, and the model makes the second itself")
    for key, what in (("visit_delay_s47", "when a child was first seen (only whether they were)"),
                      ("visit_delay", "when a child was first seen (only whether they were)"),
                      ("min_assessment_after_visit", "when a child was first seen"),
                      ("case_weights", "what a case counts towards a cap (an assumption)")):
        notes[("casework", key)] = f"{kept}: the SSD holds nothing on {what}"
    notes[("casework", "opening_stock")] = f"{kept}: plans open at the start in steady state for the rates above"

    # ---- changes of worker ------------------------------------------------------------------------
    wf = s["workforce"]
    wc = hist.worker_changes(h)
    measured["worker_changes"] = wc
    ra = wf["reallocation"]
    reasons = ", ".join(f"{k} {v:,}" for k, v in wc.by_reason.items()) or "none"
    if wc.long_term_case_years > 0 and wc.manage > 0:
        rate = wc.manage / wc.long_term_case_years
        ra["manage_per_year"] = round(rate, 4)
        notes[("workforce", "reallocation", "manage_per_year")] = (
            f"D: long-term cases moved by a management decision (MANAGE) in {src}: {wc.manage:,} in "
            f"{wc.long_term_case_years:,.0f} long-term case-years, ± {rate / math.sqrt(wc.manage):.3f} (Poisson); "
            f"the moves made: the model tries this many and makes those a colleague has room for (changes of "
            f"worker by reason: {reasons})")
    else:
        notes[("workforce", "reallocation", "manage_per_year")] = f"{kept}: no MANAGE moves in {src}"
    pc = wc.plan_changes
    if pc.n >= MIN_N:
        ra["transfer_on_plan_change"] = round(pc.p, 4)
        notes[("workforce", "reallocation", "transfer_on_plan_change")] = (
            f"D: plan changes (a step-down or escalation) of children held by a long-term worker in {src} that moved "
            f"them to another worker (TSPROC) that day: {pc.k:,} of {pc.n:,} ({_pct(pc.p, pc.se)}); the moves made, "
            "as for MANAGE")
    else:
        notes[("workforce", "reallocation", "transfer_on_plan_change")] = f"{kept}: {pc.n} plan changes in {src}"
    for key in ("absence_cover_after_days", "handover_days"):
        notes[("workforce", "reallocation", key)] = (f"{kept}: the SSD holds no absences or notice periods (ABSENC and "
                                                     "LEFTRL moves are counted above)")

    # ---- turnover ------------------------------------------------------------------------------
    to = hist.turnover(h)
    measured["turnover"] = to
    rates = wf["turnover"]["annual_rate"]
    base_rates = dict(rates)
    ratio = base_rates["agency"] / base_rates["permanent"] if base_rates["permanent"] > 0 else 1.0
    asye_ratio = base_rates["asye"] / base_rates["permanent"] if base_rates["permanent"] > 0 else 1.0
    held_kinds = sum(to.in_post.values())
    if to.leavers >= 5 and to.worker_years > 0 and held_kinds > 0:
        share_a = to.in_post["agency"] / held_kinds
        overall = to.leavers / to.worker_years
        employed = overall / ((1 - share_a) + ratio * share_a)
        rates["permanent"] = round(employed, 4)
        rates["asye"] = round(employed * asye_ratio, 4)
        rates["agency"] = round(employed * ratio, 4)
        measured["turnover_rates"] = {"overall": overall, "employed": employed, "agency": employed * ratio,
                                      "cv": 1 / math.sqrt(to.leavers)}
        notes[("workforce", "turnover", "annual_rate")] = (
            f"D: case-holding social workers who left in {src} (their involvements all ended and they are not among "
            f"the staff in post at the extract's end): n={to.leavers:,} leavers in {to.worker_years:,.1f} worker-years "
            f"({to.workers:,} workers), {overall:.3f} a worker-year ± {overall / math.sqrt(to.leavers):.3f} (Poisson); "
            f"the SSD holds no leaver's kind, so it is split by the base service's ratio of agency to employed rates "
            f"(x{ratio:.2f}; newly qualified x{asye_ratio:.2f}) at the kinds in post at the end ({to.in_post['agency']} "
            f"agency of {held_kinds}); MASH screeners hold no cases, so theirs is taken to be alike (E)")
    else:
        notes[("workforce", "turnover", "annual_rate")] = (f"{kept}: {to.leavers} leavers seen in {src}, too few to "
                                                           "fit a rate")
    for key in ("notice_days", "caseload_elasticity", "review_days", "fixed_term_multiplier", "fixed_term_months"):
        notes[("workforce", "turnover", key)] = f"{kept}: the SSD holds no notice, pressure or contract dates"
    notes[("workforce", "recruitment")] = (
        f"{kept}: the SSD holds no vacancies, adverts or start dates, so recruitment times, round failures and the "
        "agency market cannot be read from it")
    notes[("workforce", "sickness")] = f"{kept}: the SSD holds no absences"
    notes[("workforce", "annual_cost_per_fte")] = f"{kept}: the SSD holds no pay"

    # ---- the establishment ------------------------------------------------------------------------
    from ..calibrate import _vacant_share

    est = hist.establishment(h)
    measured["establishment"] = est
    vacant = {k: _vacant_share(s, k) for k in ("permanent", "agency", "asye")}
    for team in ("mash", "assessment", "long_term"):
        rows = est[est["team"] == team]
        if rows["count"].sum() < 1:
            notes[("workforce", team, "groups")] = f"{kept}: no staff of this team in the extract's professionals"
            continue
        groups = []
        for _, r in rows.sort_values(["kind", "fte"], ascending=[True, False]).iterrows():
            posts = max(1, int(round(r["count"] / (1 - vacant[r["kind"]]))))
            groups.append({"count": posts, "kind": r["kind"], "fte": float(r["fte"])})
        order = {"permanent": 0, "agency": 1, "asye": 2}
        groups.sort(key=lambda g: (order[g["kind"]], -g["fte"]))
        wf[team]["groups"] = groups
        staff = ", ".join(f"{r['count']:,.{1 if h.cut else 0}f} {r['kind']} at {r['fte']:g} FTE"
                          for _, r in rows.iterrows())
        scaled = (", scaled by the workers holding cases at the cutoff over those holding cases at the end (the "
                  "SSD lists staff only as at its extraction)" if h.cut and team != "mash" else "")
        notes[("workforce", team, "groups")] = (
            f"D: staff in post at the extract's end (ssd_professionals){scaled}: {staff}; posts = staff / (1 - the share of the time turnover leaves a post vacant: permanent "
            f"{vacant['permanent']:.1%}, agency {vacant['agency']:.1%}, from the turnover above and the base's "
            "recruitment times); a newly qualified worker by job title")
        if team != "mash":
            notes[("workforce", team, "caseload_cap")] = f"{kept}: the SSD records caseloads but no caps"
            notes[("workforce", team, "over_cap")] = f"{kept}: an assumption (decision 0022)"

    # ---- the steady state: the MASH's mix over all contacts, the s47 share, the returns ---------
    from .. import calibrate as dfe
    from ..model import flows

    cfg = with_service(s)
    target = mash.shares()
    rr = hist.rereferrals(h)
    measured["rereferrals"] = rr
    routes = s["returns"]["routes"]
    base_returns = {r: float(routes[r]["share"]) for r in routes}
    d0 = dfe.default_service()
    from ..reference import published as pub

    constant = dfe._rereferral_constant(d0, pub.published(d0["la_code"], d0["calibration"]["year"]))
    k_returns, delta = 1.0, 0.0
    fit_mash = mash.n >= MIN_N
    fit_returns = rr.n >= MIN_N and rr.k > 0
    within = None
    for _ in range(SOLVE_ROUNDS):  # the mix depends on the returns, the returns on the outcomes
        before_round = (k_returns, delta, copy.deepcopy(m["outcomes"]))
        if fit_mash:
            rows = rake_outcomes(base_rows, _mix(cfg), target)
            for p in PRIORITIES:
                m["outcomes"][p] = _rounded(rows[p])
                for o, v in m["outcomes"][p].items():
                    setattr(getattr(cfg.service.mash.outcomes, p), o, v)
        if s47.n >= MIN_N:
            per = flows.expected_referrals_per_day(cfg)
            shifted, delta = shift_shares(base_s47, per, s47.p)
            m["s47_share"] = {p: round(v, 4) for p, v in shifted.items()}
            for p, v in m["s47_share"].items():
                setattr(cfg.service.mash.s47_share, p, v)
        if fit_returns:
            within = flows.within_window(cfg)
            k_returns = dfe._solve_returns(s, cfg, base_returns, rr.p / constant, within, flows)
        if (abs(before_round[0] - k_returns) < 1e-4 and abs(before_round[1] - delta) < 1e-4
                and before_round[2] == m["outcomes"]):
            break
    measured["returns_scale"] = k_returns
    new_per_year, _ = flows.contact_rates(cfg)
    returning = 1 - new_per_year / cfg.service.demand.contacts_per_year
    factors, late = new_children_seasonality(vol, returning)
    measured["returning_share"] = returning
    if factors is not None:
        d["month_factors"] = factors
        notes[("demand", "month_factors")] = (
            f"D: Jan..Dec, new children's contacts (the ones these multiply) per working day over their mean: every "
            f"contact's, from a Poisson regression of {vol.months} whole months' contacts (n={vol.in_months:,}) on "
            f"their working days (with "
            f"the trend and the late-December dip), each month's difference from flat shrunk by the share of the "
            f"months' spread that chance does not explain (kept {vol.shrink:.0%} on average; dispersion "
            f"{vol.dispersion:.2f}: {', '.join(f'{x:.3f}' for x in vol.month_factors)}), then unmixed from the "
            f"{returning:.0%} of contacts from children coming back, taken as flat through the year (decision 0033)")
    else:
        d["month_factors"] = [1.0] * 12
        notes[("demand", "month_factors")] = (f"D: flat: {src} hold {vol.months} whole months, not every calendar "
                                              "month, so no seasonality can be read")
    if late is not None:
        d["late_december_factor"] = round(late, 3)
        notes[("demand", "late_december_factor")] = (
            f"D: new children's contacts per working day from 21 December over December's before it: every "
            f"contact's {vol.late_december:.3f} ± {vol.late_december_se:.3f} from the same regression "
            f"(n={vol.late_december_n:,} contacts), unmixed from the returning children's as the months are")
    else:
        notes[("demand", "late_december_factor")] = (
            f"{kept}: {vol.late_december_n:,} contacts from 21 December in {src}, fewer than the "
            f"{LATE_DECEMBER_MIN} its factor needs (or no whole year to read December from)")
    if fit_mash:
        mix = _mix(cfg)
        notes[("mash", "outcomes")] = (
            f"D: the MASH's decisions in {src}, n={mash.n:,}: {_shares_text(mash, hist.MASH_OUTCOMES)}; the SSD holds no "
            f"priorities, so each outcome's odds in every priority are the base service's times one factor, set so that "
            f"the steady state's mix of priorities over every contact, new and returning (sim.model.flows: red "
            f"{mix['red']:.1%}, amber {mix['amber']:.1%}, green {mix['green']:.1%}), gives those shares (decision 0033)")
    else:
        notes[("mash", "outcomes")] = f"{kept}: {mash.n} decided contacts in {src}"
    if s47.n >= MIN_N:
        notes[("mash", "s47_share")] = (
            f"D: s47 enquiries among referrals in {src} ({s47_from}): {s47.k:,} of {s47.n:,} ({_pct(s47.p, s47.se)}); "
            f"by priority the base service's shares moved {delta:+.3f} on the log-odds scale, so that the steady "
            "state's referrals by priority give that share")
    else:
        notes[("mash", "s47_share")] = f"{kept}: {s47.n} referrals in {src}"
    if fit_returns:
        se_k = _returns_se(s, cfg, base_returns, rr, constant, within, flows, k_returns)
        measured["returns_scale_se"] = se_k
        notes[("returns", "routes")] = (
            f"D: re-referrals in {src} (a referral within 365 days of the child's previous one, of the referrals with "
            f"a whole year of history before them): {rr.k:,} of {rr.n:,} ({_pct(rr.p, rr.se)}); the base service's "
            f"shares of children coming back, every route scaled together (x{k_returns:.3f} ± {se_k:.3f}, each at most "
            f"{MAX_RETURN_SHARE}), so that the steady state's re-referrals (sim.model.flows.rereferrals_per_day, by "
            f"the default service's ratio of its simulated rate to that, {constant:.2f}) give that rate; E: the split "
            "between routes and their priorities, the base's")
    else:
        notes[("returns", "routes")] = f"{kept}: {rr.n} referrals with a year of history before them in {src}"
    notes[("returns", "delay")] = (f"{kept}: the wait before a child comes back is not fitted (the records mix it with "
                                   "who comes back)")

    # ---- parameter uncertainty from the fits' standard errors ----------------------------------------
    u = s.setdefault("uncertainty", {})

    def cv(x: float) -> float:
        return round(min(MAX_PARAMETER_CV, x), 4) if math.isfinite(x) and x > 0 else 0.0

    u["contacts_per_year"] = cv(vol.level_se / vol.level) if vol.level > 0 else 0.0
    for plan in ("cin", "cp", "lac"):
        f = lengths[plan]
        u[f"{plan}_plan_length"] = cv(f.mean_se / f.mean) if f.kind != "kept" else float(u.get(f"{plan}_plan_length", 0))
    if fit_returns:
        u["returns"] = u["cp_returns"] = cv(measured["returns_scale_se"] / k_returns)
    if "turnover_rates" in measured:
        u["turnover"] = cv(measured["turnover_rates"]["cv"])
    notes[("uncertainty",)] = (
        "D (decision 0030): relative standard errors of the fitted values: contacts (Poisson, with the months' "
        "dispersion), each plan's mean length (the fit's), the returns' scale (from the re-referral rate's binomial "
        "error) and turnover (1/sqrt(leavers)); the allocation delay's kept from the base")
    notes[("drift",)] = f"{kept}: year-to-year drift is not fitted from one council's few years"
    notes[("funding",)] = f"{kept}: funding changes are scenarios, not history"
    notes[("calendar",)] = f"{kept}: the working-day calendar, used to count working days in the records too"

    checks = _checks(cfg, h)
    header = _header(extract, h, base_name, name, before)
    header.append(f"The fitted steady state against the records' last 12 months: {checks_text(checks)}.")
    return ExtractCalibration(s, notes, header, h, lengths, vol, measured, checks)


def _fill(tree: dict, full: dict) -> None:
    """Every key the schema has that ``tree`` leaves out, at its value in ``full`` (the base as
    typed: the schema's defaults), so that the file written holds every value it runs with; a
    distribution's unused fields (null) are left out."""
    for key, value in full.items():
        if key not in tree:
            if isinstance(value, dict) and "kind" in value and "unit" in value:
                value = {k: v for k, v in value.items() if v is not None}
            tree[key] = copy.deepcopy(value)
        elif isinstance(tree[key], dict) and isinstance(value, dict) and not ("kind" in value and "unit" in value):
            _fill(tree[key], value)


def _returns_se(s, cfg, base_returns, rr, constant, within, flows, k) -> float:
    """The returns' scale's standard error: the solve at the re-referral rate one standard error up
    and down (the shares are put back after)."""
    from .. import calibrate as dfe

    saved = {r: dict(v) for r, v in s["returns"]["routes"].items()}
    try:
        hi = dfe._solve_returns(s, cfg, base_returns, (rr.p + rr.se) / constant, within, flows)
        lo = dfe._solve_returns(s, cfg, base_returns, max(1e-6, rr.p - rr.se) / constant, within, flows)
    finally:
        for r, v in saved.items():
            s["returns"]["routes"][r] = v
            getattr(cfg.service.returns.routes, r).share = v["share"]
    return abs(hi - lo) / 2


def _checks(cfg, h: hist.History) -> list[tuple[str, float, float]]:
    """The fitted service's steady state against the records' last 12 months: (what, a year in the
    steady state, a year in the records)."""
    from ..model import flows

    year = min(hist.YEAR_DAYS, h.days)
    since = h.last_day - pd.Timedelta(days=year - 1)
    scale = 365 / year
    ref = hist.referrals(h)
    p = hist.plans(h)
    p = p[h.later(p["start"]) & (p["start"] >= since)]
    starts = flows.expected_plan_starts_per_day(cfg)
    out = [("referrals", 365 * sum(flows.expected_referrals_per_day(cfg).values()),
            int((ref["date"] >= since).sum()) * scale)]
    for plan in ("cin", "cp", "lac"):
        out.append((f"{plan.upper()} plan starts", 365 * starts[plan][0], int((p["plan"] == plan).sum()) * scale))
    return out


def checks_text(checks: list[tuple[str, float, float]]) -> str:
    return "; ".join(f"{what} a year: steady state {model:,.0f}, records {records:,.0f}" for what, model, records in checks)


def _header(extract, h: hist.History, base_name: str, name: str, before) -> list[str]:
    first_run = h.end.strftime("%Y-%m-%d")
    lines = [
        f"{name}: a service fitted to a council's own records by `caseflow calibrate extract=...`",
        f"from its Standard Safeguarding Dataset extract (digest {extract.digest[:16]}), history",
        f"{h.first_day:%Y-%m-%d} to {h.last_day:%Y-%m-%d}"
        + (f" (before={pd.Timestamp(before):%Y-%m-%d}: nothing later was read)" if h.cut else "") + ", on top of the",
        f"base service {base_name}.  Each value says where it comes from:",
        "  D = fitted to the council's records, with its sample size and fit (decision 0033);",
        f"  E = kept from the base service ({base_name}), the extract being silent on it; a section",
        "  or value not marked below is the base service's, with that file's reasons.",
        f"contacts_per_year is the level of the history's last 12 months: run it from {first_run}",
        f"(start_date={first_run}) for the trend and the opening stock to stand for the records' end.",
    ]
    if extract.assumptions:
        shown = extract.assumptions[:8]
        more = len(extract.assumptions) - len(shown)
        lines.append("The reader assumed: " + "; ".join(shown) + (f"; and {more} more" if more else "") + ".")
    return lines


def service_yaml(cal: ExtractCalibration) -> str:
    """The fitted service as a commented YAML file like configs/service/nottingham.yaml."""
    import textwrap

    import yaml

    from ..calibrate import WIDTH, _emit

    notes = dict(cal.notes)
    for section, value in cal.service.items():
        if isinstance(value, (dict, list)) and (section,) not in notes:
            notes[(section,)] = "E: as in the base service unless marked below"
    out = []
    for line in cal.header:
        out.extend(f"# {part}" for part in textwrap.wrap(line, WIDTH - 2) or [""])
    out.append("")
    _emit(cal.service, notes, (), 0, out)
    text = "\n".join(out).rstrip() + "\n"
    if yaml.safe_load(text) != cal.service:  # the writer must never change a value
        raise AssertionError("the fitted service's YAML does not read back as written")
    return text
