"""Does a queue grow without bound?  A trend test on a backlog's daily levels.

A queue whose arrivals outpace its service has no steady state: its length rises for as long
as the run lasts, and every figure computed over the items that got through (decisions made,
children seen) describes only those, however few.  Such a figure is not a forecast of the
service; it depends on the length of the run.  The test looks at the second half of the
forecast, after the start-up transient (a run without warm-up starts with empty queues), and
calls the queue unstable when its level there rises both clearly and substantially.

Pure functions of arrays: no SimPy, no Hydra, no event log (and no scipy unless a queue's
p-value is needed).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

# The rule (``queue_trend``): the least-squares line through the daily levels of the second half
# rises by more than MIN_GROWTH items, by more than RELATIVE_GROWTH of the mean level over the
# half and by more than SCATTER_MULTIPLE times the levels' scatter about the line (the standard
# deviation of the residuals), and its slope is positive with p < MAX_P.  Why these values:
# - MAX_P: daily levels are autocorrelated, so linregress's p-value (which assumes independent
#   residuals) is optimistic; 0.01 is a first filter against a flat, noisy queue, not the
#   deciding test.  The three size tests are.
# - RELATIVE_GROWTH: a stable queue follows its demand: the month factors move contacts by about
#   +-15% through the year (0.80 in August, 1.08 in September, 0.6 in late December).  On the
#   default scenario (20 replications of 12 and of 24 months) the fitted growth of the MASH queue
#   over the second half stayed within 10% of its mean level (about 73 contacts), though the slope
#   was "significant" in up to 45% of replications.  A queue that grows steadily from empty rises
#   over the second half by two-thirds of its mean level there (one MASH worker: 0.67; 11 to 13
#   workers instead of 23: 0.5 to 0.9).  A near-critical queue wanders: baseline_2022's MASH (15
#   posts) rose by up to 40-50% of its mean in a few replications, which is why a majority of
#   replications must agree.
# - MIN_GROWTH: a queue that is usually empty (children waiting for allocation in the default
#   scenario: 0.2 on average) can rise by a few by chance, a huge relative change: by up to 6
#   children in the runs above.  20 items is three times that, and small against the flows (the
#   default MASH receives about 65 contacts a working day and accepts about 15 referrals), so a
#   queue rising by less over half the horizon cannot yet distort the figures much.
# - SCATTER_MULTIPLE: a stable queue wanders (a vacancy open for a few weeks, a run of slow consent
#   replies), and over a short second half (a run of three to six months) a wander can pass the
#   two tests above: one replication in 15 of the default scenario over six months rose by 25
#   contacts, 36% of its mean.  But a wander scatters widely about its fitted line, while a queue
#   that keeps growing hugs it.  Over 115 replications of the default scenario (1 to 12 months)
#   the growth was at most 3.5 times the scatter (that one: 2.0), and baseline_2022's wandering
#   queues at most 3.7 times; overloaded queues rose by 4.8 to 67 times theirs (most by more
#   than 13).
MIN_GROWTH = 20.0
RELATIVE_GROWTH = 0.25
SCATTER_MULTIPLE = 4.0
MAX_P = 0.01
MAJORITY = 0.5  # a queue is called unstable when it is unstable in more than half the replications


@dataclass(frozen=True)
class Trend:
    """The fitted trend of one backlog over one stretch of days."""

    growth: float     # slope of the least-squares line x number of days (items)
    mean: float       # mean level over the days
    scatter: float    # standard deviation of the daily levels about the line (items)
    unstable: bool
    t_statistic: float = np.nan  # of the slope (as scipy.stats.linregress computes it); NaN if flat
    dof: int = 0                 # its degrees of freedom (days - 2); 0 if flat

    @property
    def p_value(self) -> float:
        """Two-sided p-value of the slope (``scipy.stats.linregress``'s); NaN if flat.  Computed
        when asked for (``queue_trend`` needs it only for a queue that passes the size tests), so
        a forecast's projection does not import scipy."""
        if self.dof <= 0:
            return np.nan
        return _two_sided_p(self.t_statistic, self.dof)


def _two_sided_p(t: float, dof: int) -> float:
    """``scipy.stats.linregress``'s p-value for the t statistic of its slope: 2 x the Student's t
    survival function at |t| (scipy.special.stdtr, as scipy.stats' own t-tests compute it)."""
    from scipy import special

    return float(2 * special.stdtr(dof, -np.abs(t)))


_TINY = 1.0e-20  # scipy.stats.linregress's guard in the t statistic


def _least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Slope, intercept and the slope's t statistic of the least-squares line of ``y`` on ``x``,
    computed exactly as ``scipy.stats.linregress`` (scipy 1.17) computes them, operation for
    operation, for arrays of at least three points whose x and y both vary (the tests check
    that the figures are the same, bit for bit)."""
    xmean = np.mean(x, None)
    ymean = np.mean(y, None)
    ssxm, ssxym, _, ssym = np.cov(x, y, bias=1).flat
    r = ssxym / np.sqrt(ssxm * ssym)
    if r > 1.0:
        r = 1.0
    elif r < -1.0:
        r = -1.0
    slope = ssxym / ssxm
    intercept = ymean - slope * xmean
    dof = len(x) - 2
    t = r * np.sqrt(dof / ((1.0 - r + _TINY) * (1.0 + r + _TINY)))
    return slope, intercept, t


def queue_trend(daily: np.ndarray) -> Trend:
    """Trend test on one replication's daily levels of a backlog (one value a day, in order).

    Unstable when growth > max(MIN_GROWTH, RELATIVE_GROWTH x mean level, SCATTER_MULTIPLE x
    scatter), the slope is positive, and linregress's p-value is below MAX_P; growth is the
    fitted line's slope times the number of days.  Fewer than three days, or a level that
    never changes, is not unstable (nothing to fit).
    """
    y = np.asarray(daily, float)
    if len(y) < 3 or np.ptp(y) == 0:
        return Trend(0.0, float(y.mean()) if len(y) else np.nan, 0.0, False)
    x = np.arange(len(y), dtype=float)
    slope, intercept, t = _least_squares(x, y)
    growth, mean = float(slope * len(y)), float(y.mean())
    scatter = float(np.std(y - (intercept + slope * x)))
    trend = Trend(growth, mean, scatter, False, float(t), len(y) - 2)
    unstable = bool(growth > max(MIN_GROWTH, RELATIVE_GROWTH * mean, SCATTER_MULTIPLE * scatter)
                    and slope > 0 and trend.p_value < MAX_P)
    return dataclasses.replace(trend, unstable=unstable) if unstable else trend


def second_half(t0: float, t1: float) -> tuple[int, int]:
    """First and last-plus-one day of the second half of [t0, t1): from the midpoint, rounded
    down to a whole day, to the end (whole days, as the forecast months are)."""
    a, b = int(np.floor(t0)), int(np.ceil(t1))
    return a + (b - a) // 2, b


def unstable_overall(shares_pct: float) -> bool:
    """A queue is unstable when it is unstable in a majority of replications (given as a %)."""
    return bool(shares_pct > 100.0 * MAJORITY)


# ---------------------------------------------------------------- was the warm-up long enough?

MSER_BATCH = 5  # MSER-5: the marginal standard error rule on means of 5 observations


def mser_truncation(series: np.ndarray, batch: int = MSER_BATCH) -> int:
    """MSER-5 (White, 1997): how many of the first observations to drop as start-up bias.

    The series is cut into batches of ``batch`` observations; for each candidate number d of
    batches dropped (up to half of them) the rule scores the rest by the squared standard error
    of their mean, sum((z - mean)^2) / (n - d)^2, and picks the smallest.  Returns the number
    of observations dropped (d x batch); 0 means no start-up bias is visible.
    """
    y = np.asarray(series, float)
    n = len(y) // batch
    if n < 4:
        return 0
    z = y[: n * batch].reshape(n, batch).mean(axis=1)
    scores = []
    for d in range(n // 2 + 1):
        rest = z[d:]
        scores.append(((rest - rest.mean()) ** 2).sum() / len(rest) ** 2)
    return int(np.argmin(scores)) * batch
