"""caseflow validate la=<list|all>: every council's calibrated service in one national table."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim import national
from sim.cli import main as caseflow
from sim.projections.published import FIGURE_KEYS

COUNCILS = (857, 201)  # Rutland and the City of London: the two smallest, so the quickest


def _run(argv):
    try:
        caseflow(argv)
    except SystemExit as e:
        return int(e.code or 0)
    return 0


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    results = tmp_path_factory.mktemp("national")
    assert _run(["validate", "year=2024", "la=rutland,201", "replications=3", "executor=serial",
                 f"results_dir={results}"]) == 0
    (out,) = (results / "validate").iterdir()
    return out


def test_one_row_per_council_and_published_figure(folder):
    table = pd.read_csv(folder / "validation.csv")
    assert list(table.columns[:9]) == ["la_code", "year", "figure", "published", "sim_p10", "sim_p50", "sim_p90",
                                       "inside", "in_sample"]
    assert set(table["la_code"]) == set(COUNCILS) and (table["year"] == 2024).all()
    assert not table.duplicated(["la_code", "figure"]).any()
    assert set(table["figure"]) <= set(FIGURE_KEYS)
    assert {"referrals", "cin_at31", "caseload_per_fte"} <= set(table.loc[table["la_code"] == 857, "figure"])


def test_the_table_is_a_projection_of_the_replications(folder):
    """Every percentile and every 'inside' recomputed from validation_replications.csv."""
    table = pd.read_csv(folder / "validation.csv")
    reps = pd.read_csv(folder / "validation_replications.csv")
    assert sorted(reps.groupby("la_code")["replication"].nunique().to_dict().items()) == [(201, 3), (857, 3)]
    for _, row in table.iterrows():
        x = reps.loc[reps["la_code"] == row["la_code"], row["figure"]].dropna().to_numpy(float)
        p10, p50, p90 = np.percentile(x, [10, 50, 90])
        assert (row["sim_p10"], row["sim_p50"], row["sim_p90"]) == pytest.approx((p10, p50, p90), abs=1e-3)
        assert bool(row["inside"]) == bool(p10 - 1e-3 <= row["published"] <= p90 + 1e-3)


def test_coverage_counts_the_councils_inside(folder):
    table = pd.read_csv(folder / "validation.csv")
    cover = pd.read_csv(folder / "coverage.csv").set_index("figure")
    for figure, rows in table.groupby("figure"):
        assert cover.loc[figure, "councils"] == len(rows)
        assert cover.loc[figure, "inside"] == rows["inside"].sum()
        assert cover.loc[figure, "coverage_pct"] == pytest.approx(100 * rows["inside"].mean(), abs=1e-3)
    assert cover.loc["cin_at31", "target_figure"] and not cover.loc["referrals", "target_figure"]
    assert cover.loc["referrals", "nominal_pct"] == pytest.approx(100 * 0.8 * 2 / 4, abs=1e-3)


def test_charts_councils_and_manifest(folder):
    table = pd.read_csv(folder / "validation.csv")
    assert {p.name for p in (folder / "charts").iterdir()} == {f"coverage_{k}.png" for k in set(table["figure"])}
    councils = pd.read_csv(folder / "councils.csv")
    assert list(councils["la_code"]) == sorted(COUNCILS) and councils["run"].all()
    m = json.loads((folder / "manifest.json").read_text())
    assert sorted(m["councils"]) == sorted(COUNCILS) and m["replications"] == 3 and m["year"] == 2024
    assert m["command"][:3] == ["caseflow", "validate", "year=2024"] and m["git"]
    assert "validation.md" in m["outputs"] and not (folder / "councils").exists()
    assert "2 councils" in (folder / "validation.md").read_text()
    from sim.reports.workbook import read_sheet

    headers, rows = read_sheet(folder / "workbook.xlsx", "Councils")
    assert len(rows) == len(table) and "published" in headers


def test_nominal_coverage_is_what_exchangeable_draws_give():
    """The 10th-90th percentiles of n draws hold one more draw about 0.8 (n-1)/(n+1) of the time
    (exactly at the order statistics; interpolating between them adds up to 2-3 points)."""
    rng = np.random.default_rng(7)
    for n in (4, 8, 20):
        x = rng.lognormal(size=(40_000, n + 1))
        lo, hi = np.percentile(x[:, :n], [10, 90], axis=1)
        held = np.mean((x[:, n] >= lo) & (x[:, n] <= hi))
        assert 0 <= held - float(national.nominal_coverage(n)) <= 0.03, n


def test_councils_already_done_are_not_run_again(tmp_path):
    """A stopped national run resumes: councils whose figures are written are read, not simulated."""
    from sim.inputs.compose import compose_job

    frame = pd.DataFrame({"la_code": [857], "year": [2024], "referrals": [1.0], "replication": [0]})
    national.write_council(tmp_path, 857, frame)
    done = national.read_done(tmp_path)
    assert list(done) == [857] and done[857].equals(frame)
    cfg = compose_job(["service=la/857/2024", "replications=1", "executor=serial"]).cfg
    seen = []
    national.run_councils([national.CouncilJob(857, "Rutland", "East Midlands", cfg)], (2024,), cfg, done,
                          lambda code, f: seen.append(code))
    assert seen == []


@pytest.mark.parametrize("argv, words", [
    (["validate", "year=2024", "la=all", "service=nottingham"], "remove service="),
    (["validate", "year=2024", "la=892,nottingam"], "did you mean 'Nottingham'"),
    (["validate", "year=2024", "la=892,,857"], "separated by commas"),
])
def test_bad_council_lists_are_one_sentence(argv, words, capsys, tmp_path):
    assert _run([*argv, f"results_dir={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "validate").exists()
