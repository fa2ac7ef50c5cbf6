"""Bad input: exit status 2, one plain sentence naming the key, nothing written."""
from __future__ import annotations

import pytest

from sim.cli import main


@pytest.mark.parametrize("override,key,words", [
    ("service.demand.contacts_per_year=-5", "service.demand.contacts_per_year", "above 0"),
    ("service.mash.outcomes.red.referral=0.5", "service.mash.outcomes.red", "sum to 1"),
    ("end_date=2020-01-01", "end_date", "not after start_date"),
    ("start_date=2023-02-30", "start_date", "YYYY-MM-DD"),
    ("horizon_month=6", "horizon_month", "allowed keys are"),
    ("service.mash.screenin.mean=3", "service.mash.screenin", "allowed keys under 'service.mash'"),
    ("seed=abc", "seed", "whole number"),
    ("replications=0", "replications", "1 to 10,000"),
    ("scenario=no_such_scenario", "no_such_scenario", "available scenarios are"),
    ("service.workforce.assessment.groups.0.fte=1.5", "fte", "at most 1"),
    ("service.casework.plan_duration.cp.kind=weibull", "service.casework.plan_duration.cp.kind", "must be one of"),
    ("+service.demand.extra=1", "service.demand.extra", "Unknown config key"),
    ("executor=ray", "executor", "serial, processes, dask"),
    ("scheduler=tcp://10.0.0.5:8786", "scheduler", "only with executor=dask"),
    ("flush_events=10", "flush_events", "1,000"),
])
def test_bad_value_gives_one_sentence_and_status_2(override, key, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main([override, f"results_dir={tmp_path / 'results'}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert key in err and words in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_broken_scenario_file_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text("service:\n  demand:\n    contacts_per_yr: 3\n")
    with pytest.raises(SystemExit) as exit_:
        main(["scenario=mine"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "mine.yaml" in err and "service.demand.contacts_per_yr" in err and len(err.splitlines()) == 1


def test_several_values_without_multirun_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["seed=1,2"])
    assert exit_.value.code == 2
    assert "-m" in capsys.readouterr().err


@pytest.mark.parametrize("override,key", [
    ("service.mash.screening.mean=inf", "service.mash.screening.mean"),
    ("service.demand.contacts_per_year=nan", "service.demand.contacts_per_year"),
    ("service.workforce.long_term.caseload_cap.agency=0", "service.workforce.long_term.caseload_cap.agency"),
])
def test_non_finite_or_impossible_numbers_are_refused(override, key, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main([override])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert key in err and len(err.splitlines()) == 1, err


def test_config_path_flag_is_refused_plainly(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["--config-path", str(tmp_path)])
    assert exit_.value.code == 2
    assert "--config-path" in capsys.readouterr().err


def test_unreachable_dask_scheduler_gives_one_sentence_and_status_2(tmp_path, monkeypatch, capsys):
    import sim.executors

    monkeypatch.setattr(sim.executors, "DASK_CONNECT_SECONDS", 2)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["executor=dask", "scheduler=tcp://127.0.0.1:9", "horizon_months=1", f"results_dir={tmp_path / 'results'}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "scheduler" in err and "tcp://127.0.0.1:9" in err, err
    assert not (tmp_path / "results").exists()
