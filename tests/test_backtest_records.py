"""``caseflow backtest extract= cutoff=``: fitted to a fictional council's records before a day,
started from their state on it, scored on the months after against what its records say."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bad_inputs import refused
from sim.backtest_records import SCORED, coverage, score_months
from sim.cli import main
from sim.national import nominal_coverage

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ssd_extract"


def test_scoring_counts_months_inside_the_interval():
    sims = pd.DataFrame({"replication": np.repeat(range(10), 2), "month": [0, 1] * 10,
                         "contacts": [k * 10.0 for k in range(10) for _ in (0, 1)]})   # 0..90 each month
    actual = pd.DataFrame({"replication": [0, 0], "month": [0, 1], "contacts": [45.0, 200.0]})
    scored = score_months(sims, actual, ["2026-01", "2026-02"], keys=("contacts",))
    assert scored["inside"].tolist() == [True, False] and scored["above"].tolist() == [False, True]
    assert scored["median"].tolist() == [45.0, 45.0] and scored["error"].tolist() == [0.0, -155.0]
    cov = coverage(scored)
    row = cov[cov["figure"] == "contacts"].iloc[0]
    assert row["inside"] == 1 and row["coverage_pct"] == 50.0
    assert row["nominal_pct"] == pytest.approx(100 * nominal_coverage(10))
    assert cov.iloc[-1]["figure"] == "all" and cov.iloc[-1]["months"] == 2


@pytest.fixture(scope="module")
def three_years(tmp_path_factory):
    """A fictional council of 3,000 contacts a year, three years of records to 30 November 2026."""
    from sim.commands.synth_extract import configured
    from sim.extracts.synthetic import synthetic_extract

    folder = tmp_path_factory.mktemp("extract")
    synthetic_extract(configured({"years": "3", "seed": "4", "end": "2026-11-30", "contacts_per_year": "3000"}),
                      folder, 4)
    return folder


def test_a_backtest_on_synthetic_records_holds_the_actual_figures_near_nominal(three_years, tmp_path, monkeypatch):
    """Records made by the model itself, fitted on two years and scored on the third: the 80%
    intervals hold the records' months about as often as a perfect model's would (a wide band:
    twelve months of a figure are strongly correlated, so one figure's coverage is noisy)."""
    monkeypatch.chdir(tmp_path)
    main(["backtest", f"extract={three_years}", "cutoff=2025-12-01", "replications=20", "seed=5",
          f"results_dir={tmp_path / 'results'}"])
    (out,) = list((tmp_path / "results" / "backtest_records").iterdir())
    assert {"backtest.csv", "coverage.csv", "backtest.md", "service.yaml", "config.yaml", "manifest.json",
            "charts"} <= {p.name for p in out.iterdir()}
    cov = pd.read_csv(out / "coverage.csv").set_index("figure")
    assert set(SCORED) <= set(cov.index) and (cov.loc[list(SCORED), "months"] == 12).all()
    nominal = cov.loc["all", "nominal_pct"]
    assert nominal == pytest.approx(100 * nominal_coverage(20), abs=0.01)
    assert nominal - 30 <= cov.loc["all", "coverage_pct"] <= nominal + 20, cov["coverage_pct"].to_dict()
    # The counts the service is fitted to are the best held: contacts and referrals within 15% a month.
    assert cov.loc["contacts", "mean_abs_pct_error"] < 15 and cov.loc["referrals", "mean_abs_pct_error"] < 15
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["cutoff"] == "2025-12-01" and manifest["start_from"]["date"] == "2025-12-01"
    assert manifest["start_date"] == "2025-12-01" and manifest["replications"] == 20


@pytest.mark.parametrize("argv, words", [
    (["cutoff=2025-01-01"], ["cutoff is 2025-01-01", "365 days"]),
    (["cutoff=2026-11-20"], ["28 after it"]),
    (["cutoff=1 Dec"], ["YYYY-MM-DD"]),
    ([], ["needs cutoff="]),
    (["cutoff=2025-12-01", "la=892"], ["la=", "cutoff= instead"]),
    (["cutoff=2025-12-01", "service.demand.contacts_per_year=5"], ["fits to the records"]),
    (["cutoff=2025-12-01", "start_date=2025-01-01"], ["start_date", "set by extract="]),
])
def test_bad_backtests_are_refused_in_one_sentence(argv, words, tmp_path, capsys):
    message = refused(["backtest", f"extract={EXAMPLE}", *argv], tmp_path, capsys)
    for w in words:
        assert w in message, (w, message)


def test_a_missing_extract_is_refused(tmp_path, capsys):
    message = refused(["backtest", f"extract={tmp_path / 'nowhere'}", "cutoff=2025-12-01"], tmp_path, capsys)
    assert "does not exist" in message
