"""Parameter uncertainty (sim.uncertainty, decision 0030): each replication draws its own values
of the parameters a service lists under ``uncertainty``."""
from __future__ import annotations

import numpy as np
import pytest

from sim import uncertainty
from sim.inputs.compose import compose_job
from sim.model import Service
from sim.model.flows import expected_referrals_per_day

LISTED = ["service.uncertainty.contacts_per_year=0.05", "service.uncertainty.cp_plan_length=0.2",
          "service.uncertainty.returns=0.1"]


@pytest.fixture(scope="module")
def cfg():
    return compose_job(LISTED).cfg


def test_factors_have_mean_one_and_the_listed_spread(cfg):
    draws = np.array([[uncertainty.factors(cfg, k)[n] for n in ("contacts_per_year", "cp_plan_length")]
                      for k in range(4000)])
    assert draws.mean(axis=0) == pytest.approx([1.0, 1.0], abs=0.01)
    assert draws.std(axis=0) / draws.mean(axis=0) == pytest.approx([0.05, 0.2], rel=0.06)
    assert (draws > 0).all()


def test_draws_are_keyed_by_seed_replication_and_parameter(cfg):
    assert uncertainty.factors(cfg, 3) == uncertainty.factors(cfg, 3)
    assert uncertainty.factors(cfg, 3) != uncertainty.factors(cfg, 4)
    # Listing another parameter leaves the draws of those listed already as they were.
    more = compose_job([*LISTED, "service.uncertainty.turnover=0.3"]).cfg
    f, g = uncertainty.factors(cfg, 5), uncertainty.factors(more, 5)
    assert {k: g[k] for k in f} == f and "turnover" in g
    # The same draws in another scenario (common random numbers in a comparison).
    other = compose_job([*LISTED, "scenario=temporary_funding"]).cfg
    assert uncertainty.factors(other, 5) == f


def test_a_replication_runs_with_its_own_values(cfg):
    k = 2
    f = uncertainty.factors(cfg, k)
    service = Service(cfg, k)
    s = service.cfg.service
    assert s.demand.contacts_per_year == pytest.approx(cfg.service.demand.contacts_per_year * f["contacts_per_year"])
    assert s.casework.plan_duration.cp.edges == pytest.approx(
        [e * f["cp_plan_length"] for e in cfg.service.casework.plan_duration.cp.edges])
    assert s.returns.routes.closed.share == pytest.approx(
        min(0.95, cfg.service.returns.routes.closed.share * f["returns"]))
    # The opening state follows the replication's values: its expected referrals are the drawn service's.
    assert sum(expected_referrals_per_day(service.cfg).values()) != pytest.approx(
        sum(expected_referrals_per_day(cfg).values()), rel=1e-6)
    assert cfg.service.demand.contacts_per_year == compose_job(LISTED).cfg.service.demand.contacts_per_year


def test_off_or_unlisted_draws_nothing(cfg):
    off = compose_job([*LISTED, "parameter_draws=false"]).cfg
    assert uncertainty.factors(off, 1) == {} and uncertainty.drawn(off, 1) is off
    plain = compose_job([]).cfg
    assert uncertainty.factors(plain, 1) == {} and uncertainty.drawn(plain, 1) is plain


def test_bad_values_are_refused():
    from sim.config import ConfigError
    from sim.inputs.errors import InputError

    with pytest.raises(ConfigError, match="service.uncertainty.turnover"):
        compose_job(["service.uncertainty.turnover=5"])
    with pytest.raises(InputError, match="service.uncertainty.x"):
        compose_job(["service.uncertainty.x=0.1"])


def test_calibration_writes_poisson_errors_from_the_counts():
    from sim import calibrate as cal
    from sim.reference import published as pub

    r = cal.calibrate(892, 2024)
    p = pub.published(892, 2024)
    u = r.service["uncertainty"]
    assert u["contacts_per_year"] == pytest.approx(1 / np.sqrt(p["referrals"]), abs=1e-4)
    assert u["lac_plan_length"] == pytest.approx(np.sqrt(1 / p["cla_at31"] + 1 / p["cla_started"]), abs=1e-4)
    small = cal.calibrate(857, 2024).service["uncertainty"]  # Rutland: far fewer children, wider errors
    assert all(small[k] > u[k] for k in u if u[k] > 0)
