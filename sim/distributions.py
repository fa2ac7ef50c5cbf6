"""Distribution specs turned into fast samplers.

Every stage time and every branch probability in the model goes through this module, so that
config alone can reduce the model to textbook queues (fixed or exponential times) for
validation.  Samplers draw from their own stream in blocks (numpy is slow per scalar, fast per
array) and hand out Python floats one at a time.
"""
from __future__ import annotations

import functools
from bisect import bisect_right
from itertools import accumulate
from typing import Callable, Sequence

import numpy as np

from .config import Dist

BLOCK = 4096


def draw_array(spec: Dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws from ``spec`` (in the spec's own unit)."""
    k = spec.kind
    if k == "fixed":
        return np.full(n, float(spec.value))
    if k == "exponential":
        return rng.exponential(spec.mean, n)
    if k == "lognormal":
        # Parameters of the underlying normal from the arithmetic mean and sd.
        s2 = np.log1p((spec.sd / spec.mean) ** 2)
        return rng.lognormal(np.log(spec.mean) - s2 / 2, np.sqrt(s2), n)
    if k == "gamma":
        shape = (spec.mean / spec.sd) ** 2
        return rng.gamma(shape, spec.mean / shape, n)
    if k == "empirical":
        edges = np.asarray(spec.edges, float)
        p = np.asarray(spec.counts, float)
        bins = rng.choice(len(p), size=n, p=p / p.sum())
        u = rng.random(n)
        return edges[bins] + u * (edges[bins + 1] - edges[bins])
    raise ValueError(f"unknown distribution kind {k!r}")


def mean_of(spec: Dist) -> float:
    """The distribution's mean (exact, in its own unit)."""
    k = spec.kind
    if k == "fixed":
        return float(spec.value)
    if k in ("exponential", "lognormal", "gamma"):
        return float(spec.mean)
    edges = np.asarray(spec.edges, float)
    p = np.asarray(spec.counts, float)
    return float(((edges[:-1] + edges[1:]) / 2 * p).sum() / p.sum())


def _in_turn(draw_block: Callable[[], list]):
    """Each value of ``draw_block()``'s blocks in turn, for ever (a new block when one runs out)."""
    while True:
        yield from draw_block()


# The samplers below are called about a million times in a replication.  Each is a
# ``functools.partial`` over a generator's ``__next__``: calling one is a C call that resumes
# the generator, half the cost of a Python ``__call__`` (and the same draws: a block of
# ``BLOCK`` from the stream when the last one runs out, read in order).
class Sampler(functools.partial):
    """Draws from one spec on one stream, a block at a time."""

    def __new__(cls, spec: Dist, rng: np.random.Generator):
        self = super().__new__(cls, _in_turn(lambda: draw_array(spec, rng, BLOCK).tolist()).__next__)
        self.spec, self.rng, self.unit = spec, rng, spec.unit
        return self


class Choice(functools.partial):
    """Picks a label with fixed probabilities, using blocks of uniforms from one stream."""

    def __new__(cls, labels: Sequence[str], probs: Sequence[float], rng: np.random.Generator):
        total = float(sum(probs))
        labels = list(labels)
        cum = [c / total for c in accumulate(probs)]
        cum[-1] = 1.0
        edges = np.asarray(cum)

        def block() -> list:  # label i where cum[i-1] <= u < cum[i]
            return [labels[i] for i in np.searchsorted(edges, rng.random(BLOCK), side="right").tolist()]

        self = super().__new__(cls, _in_turn(block).__next__)
        self.labels, self.cum, self.rng = labels, cum, rng
        return self


class PeriodChoice(functools.partial):
    """Picks a label with probabilities that change from one period to the next: ``probs[i]`` in
    period ``period_of()``.  The same uniforms as ``Choice`` on the same stream, so with every
    period's probabilities equal it picks exactly as ``Choice`` does."""

    def __new__(cls, labels: Sequence[str], probs: Sequence[Sequence[float]], rng: np.random.Generator,
                period_of: Callable[[], int]):
        labels = list(labels)
        cums = []
        for p in probs:
            total = float(sum(p))
            cum = [c / total for c in accumulate(p)]
            cum[-1] = 1.0
            cums.append(cum)
        uniform = _in_turn(lambda: rng.random(BLOCK).tolist()).__next__

        def pick() -> str:
            return labels[bisect_right(cums[period_of()], uniform())]

        self = super().__new__(cls, pick)
        self.labels, self.cums, self.rng = labels, cums, rng
        return self


class Bernoulli(functools.partial):
    """True with probability ``p``, from blocks of uniforms."""

    def __new__(cls, p: float, rng: np.random.Generator):
        self = super().__new__(cls, _in_turn(lambda: (rng.random(BLOCK) < p).tolist()).__next__)
        self.p, self.rng = p, rng
        return self


def sampler_in_clock_days(sampler: Sampler, calendar) -> Callable[[float], float]:
    """A function ``now -> clock time when the sampled duration ends``.

    Working-day durations advance on the working-day clock; day durations on the calendar.
    """
    if sampler.unit == "days" or calendar.all_working:
        return lambda now: now + sampler()
    add = calendar.add_working_days
    return lambda now: add(now, sampler())
