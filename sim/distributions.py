"""Distribution specs turned into fast samplers.

Every stage time and every branch probability in the model goes through this module, so that
config alone can reduce the model to textbook queues (fixed or exponential times) for
validation.  Samplers draw from their own stream in blocks (numpy is slow per scalar, fast per
array) and hand out Python floats one at a time.
"""
from __future__ import annotations

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


class Sampler:
    """Draws from one spec on one stream, a block at a time."""

    __slots__ = ("spec", "rng", "_buf", "_i", "unit")

    def __init__(self, spec: Dist, rng: np.random.Generator):
        self.spec = spec
        self.rng = rng
        self.unit = spec.unit
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        i = self._i
        if i >= len(self._buf):
            self._buf = draw_array(self.spec, self.rng, BLOCK).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]


class Choice:
    """Picks a label with fixed probabilities, using buffered uniforms from one stream."""

    __slots__ = ("labels", "cum", "rng", "_buf", "_i")

    def __init__(self, labels: Sequence[str], probs: Sequence[float], rng: np.random.Generator):
        total = float(sum(probs))
        self.labels = list(labels)
        self.cum = [c / total for c in accumulate(probs)]
        self.cum[-1] = 1.0
        self.rng = rng
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> str:
        i = self._i
        if i >= len(self._buf):
            self._buf = self.rng.random(BLOCK).tolist()
            i = 0
        self._i = i + 1
        return self.labels[bisect_right(self.cum, self._buf[i])]


class Bernoulli:
    """True with probability ``p``, from buffered uniforms."""

    __slots__ = ("p", "rng", "_buf", "_i")

    def __init__(self, p: float, rng: np.random.Generator):
        self.p = p
        self.rng = rng
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> bool:
        i = self._i
        if i >= len(self._buf):
            self._buf = self.rng.random(BLOCK).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i] < self.p


def sampler_in_clock_days(sampler: Sampler, calendar) -> Callable[[float], float]:
    """A function ``now -> clock time when the sampled duration ends``.

    Working-day durations advance on the working-day clock; day durations on the calendar.
    """
    if sampler.unit == "days" or calendar.all_working:
        return lambda now: now + sampler()
    add = calendar.add_working_days
    return lambda now: add(now, sampler())
