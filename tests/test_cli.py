"""End to end through the CLI: the output folder, its manifest, and rerunning from it."""
from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import yaml

from sim.cli import main
from sim.config import RunConfig, validate
from sim.forecast import KPIS, STATS
from sim.model import Service
from sim.model.demand import daily_contact_rates
from sim.settings import compose_config
from sim.runner import run_replications


def run_cli(tmp_path, monkeypatch, *overrides):
    monkeypatch.chdir(tmp_path)
    main([*overrides, f"results_dir={tmp_path / 'results'}"])
    folders = sorted(f for f in (tmp_path / "results").glob("*/*") if f.parent.name != "multirun")
    return folders


def test_run_writes_a_complete_folder(tmp_path, monkeypatch, capsys):
    folders = run_cli(tmp_path, monkeypatch, "scenario=baseline_2022", "horizon_months=4", "replications=2", "seed=7")
    assert len(folders) == 1
    out = folders[0]
    assert out.parent.name == "baseline_2022"
    assert {p.name for p in out.iterdir()} >= {"events.parquet", "forecast.csv", "summary.csv", "config.yaml", "manifest.json",
                                               "assumptions.csv"}
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast["period"]) == ["2022-04", "2022-05", "2022-06", "2022-07"]
    for kpi in KPIS:
        for s in STATS:
            assert f"{kpi}_{s}" in forecast.columns
    assert (forecast["replications"] == 2).all()
    assert (forecast["contacts_p10"] <= forecast["contacts_p90"]).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["replications"] == 2 and manifest["scenario"] == "baseline_2022"
    assert {"commit", "dirty"} <= set(manifest["git"]) and manifest["versions"]["simpy"]
    assert manifest["run_seconds"] >= 0
    events = pq.read_table(out / "events.parquet")
    assert set(events.column("replication").to_pylist()) == {0, 1}
    assert "Days from contact to seen (calendar)" in capsys.readouterr().out


def test_rerun_from_saved_config_gives_the_same_log(tmp_path, monkeypatch):
    out = run_cli(tmp_path, monkeypatch, "horizon_months=2", "seed=9")[0]
    from omegaconf import OmegaConf

    saved = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(RunConfig),
                                                yaml.safe_load((out / "config.yaml").read_text())))
    validate(saved)
    assert run_replications(saved).equals(pq.read_table(out / "events.parquet"))


def test_forecast_counts_are_projections_of_the_log(tmp_path, monkeypatch):
    out = run_cli(tmp_path, monkeypatch, "horizon_months=2", "seed=4")[0]
    ev = pq.read_table(out / "events.parquet").to_pandas()
    f = pd.read_csv(out / "forecast.csv")
    may = ev[(ev.event == "contact_received") & (ev.date >= pd.Timestamp("2023-05-01").date())
             & (ev.date < pd.Timestamp("2023-06-01").date())]
    assert f.loc[f.period == "2023-05", "contacts_mean"].item() == len(may)


def test_multirun_sweeps_scenarios(tmp_path, monkeypatch):
    folders = run_cli(tmp_path, monkeypatch, "-m", "scenario=default,baseline_2022", "horizon_months=1")
    assert sorted(f.parent.name for f in folders) == ["baseline_2022", "default", "sweep"]
    (sweep,) = [f for f in folders if f.parent.name == "sweep"]
    assert list(pd.read_csv(sweep / "sweep.csv")["scenario"]) == ["default", "baseline_2022"]


def test_multirun_on_the_parallel_joblib_launcher(tmp_path, monkeypatch):
    folders = run_cli(tmp_path, monkeypatch, "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                      "scenario=default,baseline_2022", "horizon_months=1", "executor=serial")
    assert sorted(f.parent.name for f in folders) == ["baseline_2022", "default", "sweep"]
    for f in folders:
        if f.parent.name == "sweep":
            continue
        assert {"forecast.csv", "summary.csv", "manifest.json"} <= {p.name for p in f.iterdir()}


def test_default_scenario_composes():
    cfg = compose_config([])
    assert cfg.scenario.name == "default" and cfg.replications >= 1


def test_a_month_in_which_nobody_is_seen_still_gives_a_forecast(tmp_path, monkeypatch):
    # Screening so slow that no decision, referral or visit happens within the horizon.
    out = run_cli(tmp_path, monkeypatch, "service.mash.screening.mean=1000", "service.mash.screening.sd=1",
                  "horizon_months=1", "warmup_months=0", "service.casework.opening_stock=false")[0]
    f = pd.read_csv(out / "forecast.csv")
    assert f["seen_mean"].tolist() == [0.0]
    assert f["threshold_to_seen_median_mean"].isna().all()
    # Contacts still arrive: without an opening state and with nothing decided nobody comes
    # back, so only the children new to the front door, about 660 in April 2023 (Poisson).
    cfg = compose_config(["horizon_months=1", "warmup_months=0", "service.casework.opening_stock=false"])
    service = Service(cfg, 0)
    scale = service.front_door.new_per_year / cfg.service.demand.contacts_per_year
    expected = scale * sum(r for _, r in daily_contact_rates(cfg.service.demand, service.calendar, 0,
                                                             service.horizon_day))
    assert abs(f["contacts_mean"].item() - expected) < 4 * expected ** 0.5, expected


def test_two_runs_published_in_the_same_second_get_separate_folders(tmp_path):
    from sim.parts import WorkFolder

    a, b = WorkFolder(tmp_path, "aaaa"), WorkFolder(tmp_path, "bbbb")
    for folder in (a, b):
        folder.open()
        (folder.path / "forecast.csv").write_text("x\n")
    first, second = a.publish("2026-01-01_00-00-00"), b.publish("2026-01-01_00-00-00")
    assert first.name == "2026-01-01_00-00-00" and second.name == "2026-01-01_00-00-00_2"
    assert (first / "forecast.csv").is_file() and (second / "forecast.csv").is_file()
    assert not (first / "lock").exists() and not a.path.exists()
