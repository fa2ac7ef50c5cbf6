"""Direction of effects: more staff never makes children wait longer (same seed, same demand)."""
from __future__ import annotations

import numpy as np

from sim.projections import events_frame
from sim.projections.frame import of
from sim.runner import replication_table
from sim.settings import compose_config

BASE = ["scenario=baseline_2022", "horizon_months=6", "seed=3"]


def mean_wait_for_allocation(overrides: list[str]) -> float:
    df = events_frame(replication_table(compose_config(BASE + overrides), 0))
    ref = of(df, "referral_accepted").set_index("case_id")["t"]
    alloc = df[(df.event == "allocated") & (df.team == "assessment")].set_index("case_id")["t"]
    return float((alloc - ref.reindex(alloc.index)).mean())


def mean_mash_decision(overrides: list[str]) -> float:
    df = events_frame(replication_table(compose_config(BASE + overrides), 0))
    rec = of(df, "contact_received").set_index("case_id")["t"]
    dec = of(df, "mash_decided").set_index("case_id")["t"]
    return float((dec - rec.reindex(dec.index)).mean())


def test_more_assessment_workers_never_lengthen_the_wait_for_allocation():
    counts = [14, 16, 20, 26]
    waits = [mean_wait_for_allocation([f"service.workforce.assessment.groups.0.count={n}"]) for n in counts]
    assert all(a >= b for a, b in zip(waits, waits[1:])), f"mean waits {waits} for {counts} permanent workers"
    assert waits[0] > 2 * waits[-1], f"staffing should matter: {waits}"


def test_more_mash_workers_never_slow_decisions():
    counts = [9, 11, 15]
    means = [mean_mash_decision([f"service.workforce.mash.groups.0.count={n}"]) for n in counts]
    assert all(a >= b for a, b in zip(means, means[1:])), f"mean decision times {means} for {counts} screeners"
    assert means[0] > means[-1]


def test_more_contacts_mean_more_referrals():
    def referrals(volume):
        df = events_frame(replication_table(compose_config(BASE + [f"service.demand.contacts_per_year={volume}"]), 0))
        return int((df.event == "referral_accepted").sum())
    low, high = referrals(12000), referrals(20000)
    assert high > low * 1.4, (low, high)
    assert np.isclose(high / low, 20000 / 12000, rtol=0.1)
