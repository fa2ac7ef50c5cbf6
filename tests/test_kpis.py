"""The KPI registry defines every figure the forecast tables show, and the figures it adds are
what the log says."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import kpis
from sim.forecast import KPIS, STATS, calendar_for, forecast_from_monthly, monthly, summary_from_window, window_kpis
from sim.projections import events_frame
from sim.runner import run_replications
from sim.settings import compose_config


@pytest.fixture(scope="module")
def run():
    cfg = compose_config(["horizon_months=3", "warmup_months=1", "replications=2", "seed=11"])
    return cfg, events_frame(run_replications(cfg))


def test_every_figure_in_the_forecast_tables_is_in_the_registry(run):
    cfg, df = run
    forecast = forecast_from_monthly(monthly(df, cfg))
    shown = {c.rsplit("_", 1)[0] for c in forecast.columns if c.rsplit("_", 1)[-1] in STATS}
    assert shown == set(kpis.MONTHLY) and shown <= set(kpis.REGISTRY)
    summary = summary_from_window(window_kpis(df, cfg))
    assert list(summary["kpi"]) == [*kpis.HEADLINE, *kpis.QUEUE_TREND]
    assert list(summary["label"]) == [kpis.label(k) for k in summary["kpi"]]
    assert list(KPIS.values()) == [kpis.label(k) for k in kpis.MONTHLY]


def test_each_entry_says_its_unit_clock_and_direction():
    for k in kpis.REGISTRY.values():
        assert k.better in ("higher", "lower", "neither"), k.key
        assert k.clock in (None, "calendar", "working"), k.key
        assert k.percent == k.key.endswith(("_pct", "_pct_mean")), k.key  # a share is a percentage
        if k.clock is not None:  # a wait or a timeliness share names the events its clock runs between
            assert k.start and k.end, k.key
        if k.clock == "calendar":
            assert "calendar" in k.label, k.key


def test_seen_within_n_working_days_is_what_the_log_says(run):
    """Recomputed from the events: each child seen in the horizon, whole working days between
    the dates of the referral (or contact) and the visit, at most N."""
    cfg, df = run
    cal = calendar_for(cfg)
    first = df[df["t"] >= 0]
    seen = first.loc[first["event"] == "seen", ["replication", "case_id", "t"]]
    times = {}
    for event in ("referral_accepted", "contact_received"):
        times[event] = df.loc[df["event"] == event, ["replication", "case_id", "t"]].rename(columns={"t": event})
        seen = seen.merge(times[event], on=["replication", "case_id"], how="left")
    seen = seen[seen["contact_received"].notna()]  # the opening stock has no contact in the log
    assert len(seen) > 100
    per_rep = window_kpis(df, cfg).set_index("replication")
    for n in kpis.SEEN_WITHIN_WD:
        for frm, event in (("referral", "referral_accepted"), ("contact", "contact_received")):
            wd = cal.whole_working_days_between(seen[event].to_numpy(), seen["t"].to_numpy())
            expect = pd.Series(100.0 * (wd <= n), index=seen.index).groupby(seen["replication"]).mean()
            got = per_rep[f"seen_within_{n}wd_of_{frm}_pct"]
            np.testing.assert_allclose(got.loc[expect.index].to_numpy(), expect.to_numpy())
    # Seen within N of the contact is never more likely than within N of the later referral,
    # and a longer N never gives a smaller share.
    for r, row in per_rep.iterrows():
        for n in kpis.SEEN_WITHIN_WD:
            assert row[f"seen_within_{n}wd_of_contact_pct"] <= row[f"seen_within_{n}wd_of_referral_pct"]
        shares = [row[f"seen_within_{n}wd_of_referral_pct"] for n in kpis.SEEN_WITHIN_WD]
        assert shares == sorted(shares)


def test_the_output_docs_define_every_figure_with_the_registry_label():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "outputs.md").read_text()
    for key in (*kpis.MONTHLY, *kpis.HEADLINE):
        assert f"| `{key}` | {kpis.label(key)} |" in text, key
