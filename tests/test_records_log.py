"""The council's records as an event log (``sim.extracts.as_log``): a simulated service written as
an extract and read back gives the same monthly figures as the simulation's own log, for every
figure the records can carry (the projections are the same: one definition of each)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.config import parse_date
from sim.extracts.as_log import records_log
from sim.extracts.export import ssd_tables
from sim.extracts.reader import read_extract
from sim.extracts.synthetic import roughen, scaled, write_extract
from sim.forecast import monthly
from sim.model import run_replication
from sim.projections import events_frame
from sim.projections.published import open_at, plan_spells
from sim.settings import compose_config

# What the records carry: counts of contacts, referrals and completed assessments, open cases,
# the queues, re-referrals and changes of worker.  (Not: waits to be seen, MASH timeliness, the
# workforce's vacancies; and "a second CP plan" needs history from before the extract's first day.)
EXACT = ("contacts", "referrals", "assessments_completed", "open_cases", "rereferral_pct", "changes_of_worker")
# The queues, within two children: a case back in the queue for under a day between workers is
# invisible in records dated to the day.
QUEUES = ("waiting_for_allocation", "waiting_for_long_term_worker")
ORIGIN = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    cfg = scaled(compose_config(["start_date=2024-12-01", "horizon_months=24", "warmup_months=0", "seed=8"]), 3000)
    start = parse_date("start_date", cfg.start_date)
    log = events_frame(run_replication(cfg, 0).to_table(0, start))
    folder = tmp_path_factory.mktemp("extract")
    text, roster = roughen(ssd_tables(log, start, seed=8), seed=8)
    write_extract(text, roster, folder)
    model = log.assign(t=log["t"] - (ORIGIN - start).days)   # the same clock as the records' log
    return model, records_log(read_extract(folder), ORIGIN)


def test_the_records_give_the_logs_monthly_figures(both):
    model, records = both
    months = compose_config([f"start_date={ORIGIN}", "horizon_months=11", "warmup_months=0"])
    a, b = monthly(model, months), monthly(records, months)
    for key in EXACT:
        assert np.allclose(a[key].to_numpy(float), b[key].to_numpy(float), equal_nan=True), (key, a[key].tolist(),
                                                                                           b[key].tolist())
    for key in QUEUES:
        assert np.abs(a[key].to_numpy(float) - b[key].to_numpy(float)).max() <= 2, (key, a[key].tolist(), b[key].tolist())
    assert a["waiting_for_allocation"].sum() > 50 and a["changes_of_worker"].sum() > 100
    # Caseload per FTE within 5%: the records date a worker's start from their first involvement, so a
    # new starter counts from their first case, not their first day.
    assert np.allclose(a["caseload_per_fte"], b["caseload_per_fte"], rtol=0.05)


def test_the_records_give_the_logs_plans_open_at_each_month_end(both):
    model, records = both
    mine, theirs = plan_spells(records), plan_spells(model)
    for plan in ("cin", "cp", "lac"):
        for m in np.arange(0.0, 330.0, 30.0):
            a = int(open_at(theirs.loc[theirs["plan"] == plan, "start"], theirs.loc[theirs["plan"] == plan, "end"], m).sum())
            b = int(open_at(mine.loc[mine["plan"] == plan, "start"], mine.loc[mine["plan"] == plan, "end"], m).sum())
            assert abs(a - b) <= 1, (plan, m, a, b)   # a plan ending on the day: dates have no time of day
