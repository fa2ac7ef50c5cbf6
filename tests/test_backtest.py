"""caseflow backtest: its arguments, a tiny backtest checked against its own replications, tables=,
and the demand trend (service.demand.annual_trend)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main

RUTLAND = 857


def run_cli(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as e:
        return int(e.code or 0)
    return 0


@pytest.fixture(autouse=True)
def cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("CASEFLOW_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "presets"))


def packaged(name: str) -> Path:
    return Path(str(resources.files("sim.reference").joinpath("dfe", name)))


@pytest.mark.parametrize("args, says", [
    (["la=Rutland", "from_year=2024", "to_year=2023"], "must be before to_year"),
    (["la=Rutland", "from_year=2023", "to_year=2023"], "must be before to_year"),
    (["la=Rutlnd", "from_year=2023", "to_year=2024"], "did you mean 'Rutland'"),
    (["la=Rutland", "from_year=2023", "to_year=2026"], "no table holds"),
    (["la=Rutland", "from_year=2009", "to_year=2024"], "from_year=2009 is not in the DfE tables"),
    (["la=Rutland", "from_year=23", "to_year=2024"], "four digits"),
    (["la=Rutland", "from_year=2023", "to_year=2024", "trend=linear"], "must be flat"),
    (["la=Rutland", "from_year=2023", "to_year=2024", "drift=yes"], "drift is 'yes' but must be on"),
    (["la=Rutland", "from_year=2023", "to_year=2024", "tables=no/such/folder"], "tables is 'no/such/folder'"),
    (["la=Rutland", "from_year=2023", "to_year=2024", "start_date=2020-04-01"], "set by from_year"),
    (["la=Rutland", "from_year=2023", "to_year=2024", "service=nottingham"], "remove service="),
    (["from_year=2023", "to_year=2024"], "needs la="),
    (["la=Rutland", "to_year=2024"], "needs from_year="),
    (["la=Rutland", "from_year=2023", "to_year=2024", "seed=1,2"], "sweep"),
])
def test_bad_arguments_are_one_sentence_and_exit_2(tmp_path, capsys, args, says):
    status = run_cli("backtest", *args, f"results_dir={tmp_path / 'out'}")
    err = capsys.readouterr().err
    assert status == 2, err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_bad_tables_folder_is_refused(tmp_path, capsys):
    odd = tmp_path / "odd"
    odd.mkdir()
    t = pd.read_csv(packaged("c1_referrals_and_rereferrals.csv"), dtype=str, keep_default_na=False)
    t.rename(columns={"referral_count": "referrals"}).to_csv(odd / "c1_referrals_and_rereferrals.csv", index=False)
    assert run_cli("backtest", "la=Rutland", "from_year=2023", "to_year=2024", f"tables={odd}",
                   f"results_dir={tmp_path / 'out'}") == 2
    err = capsys.readouterr().err
    assert "c1_referrals_and_rereferrals.csv has the column referrals" in err and "Traceback" not in err
    other = tmp_path / "other"
    other.mkdir()
    (other / "mine.csv").write_text("a,b\n1,2\n")
    assert run_cli("backtest", "la=Rutland", "from_year=2023", "to_year=2024", f"tables={other}",
                   f"results_dir={tmp_path / 'out'}") == 2
    assert "mine.csv is not one of the DfE tables" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Rutland calibrated on 2023, scored on 2024, 2 replications, with a tables= folder whose
    referrals table has Rutland's 2024 referrals changed to 999."""
    base = tmp_path_factory.mktemp("backtest")
    tables = base / "tables"
    tables.mkdir()
    name = "c1_referrals_and_rereferrals.csv"
    t = pd.read_csv(packaged(name), dtype=str, keep_default_na=False)
    row = (t["old_la_code"] == str(RUTLAND)) & (t["time_period"] == "2024") & (t["geographic_level"] == "Local authority")
    assert row.sum() == 1
    packaged_value = float(t.loc[row, "referral_count"].iloc[0])
    t.loc[row, "referral_count"] = "999"
    t.to_csv(tables / name, index=False)
    mp = pytest.MonkeyPatch()
    mp.setenv("CASEFLOW_CACHE_DIR", str(base / "presets"))
    try:
        assert run_cli("backtest", "la=Rutland", "from_year=2023", "to_year=2024", "replications=2", "workers=2",
                       f"tables={tables}", f"results_dir={base / 'results'}") == 0
    finally:
        mp.undo()
    (out,) = list((base / "results" / "backtest").iterdir())
    return out, packaged_value


def test_tiny_backtest_writes_its_tables(tiny):
    out, _ = tiny
    for name in ("backtest.csv", "backtest_replications.csv", "coverage.csv", "backtest.md", "config.yaml",
                 "manifest.json", "charts"):
        assert (out / name).exists(), name
    table = pd.read_csv(out / "backtest.csv")
    assert list(table.columns[:16]) == ["la_code", "year", "figure", "published", "sim_p10", "sim_p50", "sim_p90",
                                        "inside", "abs_error", "rel_error", "la_name", "region", "label", "unit",
                                        "period", "horizon_years"]
    assert set(table["la_code"]) == {RUTLAND} and set(table["year"]) == {2024}
    assert (table["horizon_years"] == 1).all()
    from sim.reference.published import value

    ref = table.set_index("figure")
    assert ref.loc["cla_at31", "published_from_year"] == value("cla_at31", RUTLAND, 2023)
    from sim.backtest import Published

    published = {k: v for k, v in Published().figures(RUTLAND, 2024).items() if v is not None}
    assert set(table["figure"]) == set(published)  # one row for each figure published (referrals from tables=)
    md = (out / "backtest.md").read_text()
    assert "trend=flat (the default)" in md and "Referrals" in md.split("## Councils")[0]
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["trend"] == "flat" and manifest["command"][:2] == ["caseflow", "backtest"]
    est = manifest["drift"]["estimate"]
    assert est["settings"][0].startswith("service.drift.contacts=") and "drift=on" in md
    assert manifest["drift"]["drawn"] and manifest["drift"]["ran"]["contacts"] == pytest.approx(
        est["spreads"]["referrals"], abs=1e-4)
    assert set(pd.read_csv(out / "coverage.csv")["nominal_pct"].round(1)) == {26.7}  # 0.8 x 1/3 with 2 replications
    from sim.national import council_seed

    assert pd.read_csv(out / "councils.csv")["seed"].iloc[0] == council_seed(manifest["seed"], RUTLAND)
    assert manifest["tables"]["files"].keys() == {"c1_referrals_and_rereferrals.csv"}


def test_tiny_backtest_agrees_with_its_replications(tiny):
    out, _ = tiny
    table = pd.read_csv(out / "backtest.csv")
    reps = pd.read_csv(out / "backtest_replications.csv")
    assert len(reps) == 2 and set(reps["replication"]) == {0, 1}
    for _, r in table.iterrows():
        x = reps.loc[(reps["la_code"] == r["la_code"]) & (reps["year"] == r["year"]), r["figure"]].dropna().to_numpy()
        p10, p50, p90 = np.percentile(x, [10, 50, 90])
        assert r["sim_p10"] == pytest.approx(p10, abs=1e-3) and r["sim_p90"] == pytest.approx(p90, abs=1e-3)
        assert r["sim_p50"] == pytest.approx(p50, abs=1e-3)
        assert bool(r["inside"]) == bool(p10 - 1e-9 <= r["published"] <= p90 + 1e-9)
        assert r["abs_error"] == pytest.approx(abs(p50 - r["published"]), abs=1e-3)
        if r["published"]:
            assert r["rel_error"] == pytest.approx((p50 - r["published"]) / r["published"], abs=1e-3)
    cover = pd.read_csv(out / "coverage.csv")
    for _, c in cover.iterrows():
        rows = table[(table["year"] == c["year"]) & (table["figure"] == c["figure"])]
        assert c["councils"] == len(rows) and c["inside"] == rows["inside"].sum()
        assert c["mean_abs_rel_error"] == pytest.approx(rows["rel_error"].abs().mean(), abs=1e-3, nan_ok=True)
        pers = ((rows["published_from_year"] - rows["published"]).abs() / rows["published"]).mean()
        assert c["persistence_mean_abs_rel_error"] == pytest.approx(pers, abs=1e-3, nan_ok=True)
    assert list(cover["figure"][:4]) == ["referrals", "cin_at31", "cp_at31", "cla_at31"]


def test_tables_folder_changes_published(tiny):
    out, packaged_value = tiny
    table = pd.read_csv(out / "backtest.csv").set_index("figure")
    assert table.loc["referrals", "published"] == 999 != packaged_value
    from sim.reference.published import value

    assert table.loc["cp_at31", "published"] == value("cp_at31", RUTLAND, 2024)  # other tables: packaged


def test_fitted_trend_settings():
    from sim.backtest import fit_trend

    t = fit_trend([(2020, 100.0), (2021, 110.0), (2022, 121.0), (2023, None)])
    assert t.annual == pytest.approx(0.10) and len(t.points) == 3
    assert fit_trend([(2022, 5.0)]).annual is None


def test_demand_trend_grows_simulated_referrals_by_its_factor():
    """Referrals (children coming back switched off, so that every referral is a new child's
    contact) in the second year are (1 + annual_trend) times the first year's, within Poisson noise."""
    from sim.inputs.compose import compose_job
    from sim.model.demand import daily_contact_rates, trend_factor
    from sim.projections import events_frame
    from sim.runner import replication_table

    g = 0.25
    routes = ["no_further_action", "early_help", "closed", "plan_ended", "cp_plan_ended"]
    cfg = compose_job(["start_date=2023-04-01", "horizon_months=24", "warmup_months=0", "write_events=false",
                       "service.casework.opening_stock=false", "service.demand.contacts_per_year=6000",
                       f"service.demand.annual_trend={g}",
                       *[f"service.returns.routes.{r}.share=0" for r in routes]]).cfg
    assert trend_factor(cfg.service.demand, 365.25) == pytest.approx(1 + g)
    df = events_frame(replication_table(cfg, 0))
    t = df.loc[df["event"] == "referral_accepted", "t"]
    first, second = int(((t >= 0) & (t < 365)).sum()), int(((t >= 365) & (t < 730)).sum())
    ratio = second / first
    noise = ratio * np.sqrt(1 / first + 1 / second)
    assert abs(ratio - (1 + g)) < 3 * noise, (first, second)
    # A trend of 0 leaves every day's rate exactly as it was.
    flat = compose_job(["start_date=2023-04-01", "horizon_months=24"]).cfg
    zero = compose_job(["start_date=2023-04-01", "horizon_months=24", "service.demand.annual_trend=0"]).cfg
    from sim.calendar import WorkingCalendar

    cal = WorkingCalendar.for_run(flat)
    assert daily_contact_rates(flat.service.demand, cal, -365, 730) == daily_contact_rates(zero.service.demand, cal,
                                                                                           -365, 730)


def test_drift_is_set_from_the_tables_and_the_users_settings_win():
    from sim.backtest import drift_from_tables
    from sim.commands.backtest import prepare, read_arguments

    d = drift_from_tables(2022)
    req = read_arguments(["la=Rutland", "from_year=2022", "to_year=2024", "replications=2"])
    assert req.drift
    (job,), _, _ = prepare([RUTLAND], req, d)
    got = job.cfg.service.drift
    assert (got.contacts, got.cp) == (pytest.approx(d.contacts, abs=1e-4), pytest.approx(d.cp, abs=1e-4))
    mine = read_arguments(["la=Rutland", "from_year=2022", "to_year=2024", "service.drift.cp=0.05"])
    (job,), _, _ = prepare([RUTLAND], mine, d)
    assert job.cfg.service.drift.cp == 0.05 and job.cfg.service.drift.contacts == pytest.approx(d.contacts, abs=1e-4)
    off = read_arguments(["la=Rutland", "from_year=2022", "to_year=2024", "drift=off"])
    assert not off.drift
    (job,), _, _ = prepare([RUTLAND], off, None)
    assert job.cfg.service.drift.contacts == 0 and job.cfg.service.drift.in_need_pass_through == 1


def test_fitted_trends_become_settings():
    """Derby's referrals and case-holding FTE rose over 2018-2022: annual_trend, contacts raised by half
    a year's growth, and permanent posts each 1 April that reach the trend's posts by 30 September."""
    from sim.backtest import team_posts, trend_settings
    from sim.commands.backtest import Request, compose_backtest

    req = Request("831", 2022, 2024, "fitted", True, None, ["replications=2"])
    flat = compose_backtest(req, ["service=la/831/2022", "replications=2"]).cfg
    t = trend_settings(831, flat, 2022, 2024)
    assert t.referrals.annual is not None and len(t.referrals.points) == 5
    job = compose_backtest(req, ["service=la/831/2022", "replications=2", *t.settings]).cfg
    g = t.demand_trend
    assert job.service.demand.annual_trend == pytest.approx(g, abs=1e-6)
    assert job.service.demand.contacts_per_year == pytest.approx(flat.service.demand.contacts_per_year
                                                                  * (1 + g) ** 0.5, rel=1e-6)
    if t.workforce_held_flat:
        assert not job.service.funding
    else:
        added = {a.team: 0 for a in job.service.funding}
        for a in job.service.funding:
            assert a.action == "add_posts" and a.funding == "permanent" and a.date[5:] == "04-01"
            added[a.team] += a.count
        for team, n in added.items():
            w = t.workforce_trend
            assert n == round(team_posts(flat, team) * ((1 + w) ** 2 - 1))


def test_a_structural_change_is_named(tmp_path):
    """A council whose published children looked after trebled in the scored year, when its
    neighbours' did not, gets the reason "structural change"."""
    from sim.backtest import Published, likely_reason, read_tables
    from sim.reference.published import value

    name = "cla_numbers.csv"
    t = pd.read_csv(packaged(name), dtype=str, keep_default_na=False)
    row = ((t["old_la_code"] == "831") & (t["time_period"] == "2024")
           & (t["population_type"] == "Children looked after on 31 March each year"))
    t.loc[row, "children_count"] = str(3 * int(float(t.loc[row, "children_count"].iloc[0])))
    t.to_csv(tmp_path / name, index=False)
    published = Published(read_tables(str(tmp_path)))
    assert published.value("cla_at31", 831, 2024) == 3 * value("cla_at31", 831, 2024)
    table = pd.DataFrame([{"la_code": 831, "year": 2024, "figure": "cla_at31", "published": 3 * 500.0,
                           "sim_p10": 480.0, "sim_p50": 500.0, "sim_p90": 520.0, "inside": False}])
    kind, why = likely_reason(831, "cla_at31", 2024, 2022, published, [], table)
    assert kind == "structural change" and "neighbours" in why
    kind, _ = likely_reason(831, "cla_at31", 2024, 2022, published, ["cla_at31: neighbour 872 Leicester"], table)
    assert kind == "substituted"
