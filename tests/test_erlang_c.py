"""Validation: caseflow reduced to M/M/c agrees with the Erlang C formula at two loads.

Each replication gives one estimate (mean wait, share waiting longer than t); the check is
that theory lies inside the 99% confidence interval across replications, and that the
interval is tight enough for the check to mean something.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.projections import events_frame
from sim.runner import replication_table
from sim.validation import erlang_c, mmc_config, mmc_mean_wait, mmc_wait_exceeds

WARMUP_DAYS = 20
REPLICATIONS = 10


def waits_per_replication(arrivals: float, mean_service: float, servers: int, days: int):
    cfg = mmc_config(arrivals, mean_service, servers, days, seed=2024)
    out = []
    for k in range(REPLICATIONS):
        df = events_frame(replication_table(cfg, k))
        rec = df[df.event == "contact_received"].set_index("case_id")["t"]
        start = df[df.event == "mash_started"].set_index("case_id")["t"]
        wait = (start - rec.reindex(start.index))
        out.append(wait[rec.reindex(start.index) >= WARMUP_DAYS].to_numpy())
    return out


def ci99(x):
    x = np.asarray(x)
    half = stats.t.ppf(0.995, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return x.mean() - half, x.mean() + half


@pytest.mark.parametrize("arrivals,servers,days", [(20.0, 3, 800), (34.0, 4, 1000)], ids=["load 0.67", "load 0.85"])
def test_mmc_matches_erlang_c(arrivals, servers, days):
    mean_service = 0.1  # days: each screener decides 10 contacts a day
    mu = 1 / mean_service
    waits = waits_per_replication(arrivals, mean_service, servers, days)
    assert min(len(w) for w in waits) > 0.9 * arrivals * (days - WARMUP_DAYS) * 0.9

    theory = mmc_mean_wait(servers, arrivals, mu)
    lo, hi = ci99([w.mean() for w in waits])
    assert lo <= theory <= hi, f"mean wait {theory:.4f} outside simulated 99% CI ({lo:.4f}, {hi:.4f})"
    assert hi - lo < 0.3 * theory  # tight enough that a wrong model would fall outside

    t = theory  # a threshold where both tails matter
    p_theory = mmc_wait_exceeds(t, servers, arrivals, mu)
    lo, hi = ci99([(w > t).mean() for w in waits])
    assert lo <= p_theory <= hi, f"P(wait>{t:.3f}) {p_theory:.4f} outside 99% CI ({lo:.4f}, {hi:.4f})"

    p_wait = erlang_c(servers, arrivals, mu)
    lo, hi = ci99([(w > 0).mean() for w in waits])
    assert lo <= p_wait <= hi, f"P(wait) {p_wait:.4f} outside 99% CI ({lo:.4f}, {hi:.4f})"


def test_erlang_c_formula_known_values():
    # M/M/1: P(wait) = rho; M/M/2 with a = 1: C = 1/3 (textbook values).
    assert erlang_c(1, 0.5, 1.0) == pytest.approx(0.5)
    assert erlang_c(2, 1.0, 1.0) == pytest.approx(1 / 3)
    assert mmc_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)  # rho/(mu - lambda)
