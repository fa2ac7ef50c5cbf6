"""Scenario comparison: common random numbers make paired differences exact and tight."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.compare import comparison_table, paired_difference, scenario_kpis, unpaired_difference
from sim.projections import events_frame
from sim.runner import run_replications
from sim.settings import compose_config

BASE = ["scenario=baseline_2022", "horizon_months=6", "warmup_months=3", "replications=6", "seed=8"]


@pytest.fixture(scope="module")
def kpis():
    out = {}
    more = compose_config(BASE).service.workforce.assessment.groups[0].count + 5  # five more assessment workers
    for label, extra in (("base", []), ("again", []), ("more_staff", [f"service.workforce.assessment.groups.0.count={more}"])):
        cfg = compose_config(BASE + extra)
        out[label] = scenario_kpis(events_frame(run_replications(cfg)), cfg)
    return out


def test_the_same_scenario_twice_differs_by_exactly_zero(kpis):
    table = comparison_table({"base": kpis["base"], "again": kpis["again"]})
    again = table[table.scenario == "again"].dropna(subset=["diff_from_first"])
    assert len(again) > 50
    assert (again["diff_from_first"] == 0).all() and (again["diff_ci95_low"] == 0).all()


def test_paired_interval_is_narrower_than_unpaired(kpis):
    whole = {k: v[v.period == "whole horizon"].sort_values("replication") for k, v in kpis.items()}
    narrower = 0
    for kpi in ("threshold_to_seen_p90", "waiting_for_allocation_end", "cost", "mash_within_1wd_pct", "leavers"):
        x, b = whole["more_staff"][kpi].to_numpy(), whole["base"][kpi].to_numpy()
        p, u = paired_difference(x, b), unpaired_difference(x, b)
        assert p.mean == pytest.approx(u.mean)
        narrower += (p.high - p.low) < (u.high - u.low)
    assert narrower >= 4


def test_more_staff_shortens_waits_in_every_paired_replication(kpis):
    """With common random numbers the direction of an effect shows replication by replication."""
    whole = {k: v[v.period == "whole horizon"].sort_values("replication") for k, v in kpis.items()}
    diff = whole["more_staff"]["threshold_to_seen_p90"].to_numpy() - whole["base"]["threshold_to_seen_p90"].to_numpy()
    assert (diff < 0).all(), f"five more assessment workers should cut the 90th percentile wait: {diff}"
    assert (whole["more_staff"]["waiting_for_allocation_end"].to_numpy()
            <= whole["base"]["waiting_for_allocation_end"].to_numpy()).all()


def test_compare_command_writes_tables(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main(["compare", "baseline_2022", "baseline_2022", "horizon_months=3", "replications=2",
          f"results_dir={tmp_path}"])
    out = next((tmp_path / "compare").iterdir())
    assert {p.name for p in out.iterdir()} >= {"comparison.csv", "comparison.md", "comparison_replications.csv",
                                               "returns_to_baseline.csv", "manifest.json", "scenarios"}
    table = pd.read_csv(out / "comparison.csv")
    assert set(table.scenario) == {"baseline_2022", "baseline_2022#2"}
    assert set(table.period) >= {"whole horizon", "2022-23", "2022-23 Q1"}
    assert set(table.period_kind) == {"horizon", "year", "quarter"}
    assert "<br>" not in (out / "comparison.md").read_text()
    assert "difference from **baseline_2022**" in (out / "comparison.md").read_text()
    assert (out / "scenarios" / "baseline_2022#2" / "events.parquet").exists()
    assert "Changes of social worker" in capsys.readouterr().out


@pytest.mark.parametrize("args,words", [
    (["compare", "baseline_2022"], "at least two scenario names"),
    (["compare", "baseline_2022", "default"], "same months"),
    (["compare", "baseline_2022", "nope"], "available scenarios"),
    (["compare", "baseline_2022", "default", "scenario=x"], "set by the names"),
])
def test_compare_refuses_bad_requests_plainly(args, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "results").exists()


def test_paired_difference_arithmetic():
    d = paired_difference(np.array([2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.5]))
    assert d.mean == pytest.approx(5 / 6)
    assert d.low < d.mean < d.high


def test_interrupted_comparison_resumes_with_the_scenarios_already_run(tmp_path, monkeypatch, capsys):
    import json

    import pyarrow.parquet as pq

    import sim.commands.compare as compare_command

    monkeypatch.chdir(tmp_path)
    args = ["compare", "baseline_2022", "permanent_posts", "horizon_months=2", "start_date=2022-04-01",
            "replications=2", "executor=serial", f"results_dir={tmp_path}"]
    real = compare_command.run_to_folder

    def stop_at_the_second_scenario(cfg, folder, what, label, progress):
        if label == "permanent_posts":
            raise KeyboardInterrupt
        return real(cfg, folder, what=what, label=label, progress=progress)

    monkeypatch.setattr(compare_command, "run_to_folder", stop_at_the_second_scenario)
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 130
    assert "2 of 4 replications are kept" in capsys.readouterr().err
    monkeypatch.setattr(compare_command, "run_to_folder", real)
    main(args)
    assert "resuming: 2 of 4" in capsys.readouterr().err
    (out,) = [p for p in (tmp_path / "compare").iterdir() if not p.name.startswith(".")]
    assert json.loads((out / "manifest.json").read_text())["replications_resumed"] == 2
    cfg = compose_config(["scenario=baseline_2022", *args[3:-1]])
    assert pq.read_table(out / "scenarios" / "baseline_2022" / "events.parquet").equals(run_replications(cfg))
