"""Distribution specs: samplers honour the configured means and shapes."""
from __future__ import annotations

import numpy as np
import pytest

from sim.config import Dist
from sim.distributions import Choice, Sampler, draw_array, mean_of

SPECS = [
    Dist(kind="fixed", value=2.5),
    Dist(kind="exponential", mean=3.0),
    Dist(kind="lognormal", mean=4.0, sd=3.0),
    Dist(kind="gamma", mean=3.0, sd=1.5),
    Dist(kind="empirical", edges=[0, 1, 11, 21], counts=[1, 2, 1]),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.kind)
def test_sample_mean_matches_spec(spec):
    x = draw_array(spec, np.random.default_rng(1), 200_000)
    assert x.mean() == pytest.approx(mean_of(spec), rel=0.02)
    assert (x >= 0).all()


def test_lognormal_and_gamma_honour_sd():
    for kind in ("lognormal", "gamma"):
        x = draw_array(Dist(kind=kind, mean=4.0, sd=3.0), np.random.default_rng(2), 400_000)
        assert x.std() == pytest.approx(3.0, rel=0.03)


def test_empirical_stays_in_its_bins_with_the_right_weights():
    spec = Dist(kind="empirical", edges=[0, 1, 11, 21], counts=[1, 2, 1])
    x = draw_array(spec, np.random.default_rng(3), 100_000)
    share = np.histogram(x, bins=spec.edges)[0] / len(x)
    assert share == pytest.approx([0.25, 0.5, 0.25], abs=0.01)


def test_buffered_sampler_equals_direct_draws():
    spec = Dist(kind="exponential", mean=2.0)
    s = Sampler(spec, np.random.default_rng(4))
    direct = draw_array(spec, np.random.default_rng(4), 5000)
    assert [s() for _ in range(5000)] == pytest.approx(direct.tolist())


def test_choice_frequencies():
    c = Choice(["a", "b", "c"], [0.2, 0.5, 0.3], np.random.default_rng(5))
    draws = [c() for _ in range(100_000)]
    assert [draws.count(k) / len(draws) for k in "abc"] == pytest.approx([0.2, 0.5, 0.3], abs=0.01)
