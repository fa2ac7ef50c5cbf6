"""caseflow explain: the children behind a figure reproduce the figure forecast.csv reports."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from omegaconf import OmegaConf

from sim.cli import main
from sim.config import RunConfig
from sim.forecast import periods, window_kpis
from sim.projections import events_frame
from sim.projections.explain import supported

RUN = ["scenario=baseline_2022", "replications=2", "horizon_months=3", "warmup_months=2", "executor=serial", "seed=5"]
MONTH = "2022-05"
QUARTER = "2022-23 Q1"  # April to June 2022: the run's three forecast months
CSV_DECIMALS = 0.5e-4 + 1e-9  # forecast.csv is rounded to 4 decimal places


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    """A short finished forecast run: its folder, forecast.csv and event log."""
    results = tmp_path_factory.mktemp("results")
    main([*RUN, f"results_dir={results}"])
    (folder,) = sorted((results / "baseline_2022").iterdir())
    cfg = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(RunConfig),
                                              yaml.safe_load((folder / "config.yaml").read_text())))
    return {"folder": folder, "cfg": cfg, "forecast": pd.read_csv(folder / "forecast.csv", dtype={"period": str}),
            "events": events_frame(pq.read_table(folder / "events.parquet"))}


_DONE: set[tuple] = set()


def explained(run: dict, key: str, period: str, *more: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``caseflow explain`` (once per request in this module) and read back its list and its timelines."""
    request = (str(run["folder"]), key, period, *more)
    if request not in _DONE:
        main(["explain", str(run["folder"]), f"kpi={key}", f"period={period}", *more])
        _DONE.add(request)
    out = run["folder"] / "explain"
    stem = stem_of(key, period, *more)
    return pd.read_csv(out / f"{stem}.csv"), pd.read_csv(out / f"{stem}_timelines.csv")


def stem_of(key: str, period: str, *more: str) -> str:
    return f"{key}_{period.replace(' ', '_')}" + "".join(f"_{m.replace('=', '-')}" for m in more)


def csv_mean(run: dict, key: str, period: str) -> float:
    row = run["forecast"].loc[run["forecast"]["period"] == period, f"{key}_mean"]
    assert len(row) == 1
    return float(row.iloc[0])


def per_replication(children: pd.DataFrame, figure, reps=(0, 1)) -> np.ndarray:
    """``figure`` of each replication's rows (an empty frame for a replication with none)."""
    return np.array([figure(children[children["replication"] == r]) for r in reps], float)


def mean_defined(x: np.ndarray) -> float:
    return float(np.nanmean(x))


def p90(rows: pd.DataFrame) -> float:
    return float(np.percentile(rows["contact_to_seen_days"], 90)) if len(rows) else np.nan


def share(rows: pd.DataFrame) -> float:
    return 100.0 * float(rows["in_numerator"].mean()) if len(rows) else np.nan


def test_seen_over_six_weeks_lists_exactly_the_children_counted(run, capsys):
    children, _ = explained(run, "seen_over_six_weeks", MONTH)
    assert len(children) > 0 and (children["contact_to_seen_days"] > 42).all() and children["in_numerator"].all()
    assert (children["period"] == MONTH).all()
    seen = pd.to_datetime(children["seen"])
    assert ((seen >= "2022-05-01") & (seen < "2022-06-01")).all()
    counts = per_replication(children, len)
    assert counts.mean() == pytest.approx(csv_mean(run, "seen_over_six_weeks", MONTH), abs=CSV_DECIMALS)
    out = capsys.readouterr().out
    assert f"{len(children)} children seen in all" in out and "they agree" in out


def test_the_90th_percentile_of_the_listed_waits_is_forecast_csvs(run):
    children, _ = explained(run, "threshold_to_seen_p90", MONTH)
    waits = children["contact_to_seen_days"].to_numpy()
    assert (np.diff(waits) <= 0).all()  # longest wait first
    figure = per_replication(children, p90)
    assert figure.mean() == pytest.approx(csv_mean(run, "threshold_to_seen_p90", MONTH), abs=CSV_DECIMALS)
    # Marked: at or above their replication's 90th percentile, and only those.
    for r, value in zip((0, 1), figure):
        rows = children[children["replication"] == r]
        assert (rows["in_numerator"] == (rows["contact_to_seen_days"] >= value)).all()
    # Everyone seen is listed: as many as forecast.csv's children seen.
    assert per_replication(children, len).mean() == pytest.approx(csv_mean(run, "seen", MONTH), abs=CSV_DECIMALS)


@pytest.mark.parametrize("key, measure, days", [
    ("seen_within_10wd_of_referral_pct", "referral_to_seen_wd", 10),
    ("seen_within_5wd_of_contact_pct", "contact_to_seen_wd", 5),
    ("mash_within_1wd_pct", "contact_to_decision_wd", 1),
    ("assessments_within_45wd_pct", "referral_to_completion_wd", 45),
])
def test_a_share_is_its_numerator_over_the_listed_denominator(run, key, measure, days):
    children, _ = explained(run, key, MONTH)
    assert (children["in_numerator"] == (children[measure] <= days)).all()
    assert 0 < children["in_numerator"].sum() < len(children) or key != "mash_within_1wd_pct"
    figure = per_replication(children, share)
    assert mean_defined(figure) == pytest.approx(csv_mean(run, key, MONTH), abs=CSV_DECIMALS)


def test_a_quarter_is_its_months_and_the_forecasts_own_window(run, capsys):
    months = periods(run["cfg"])
    six, _ = explained(run, "seen_over_six_weeks", QUARTER)
    p90s, _ = explained(run, "threshold_to_seen_p90", QUARTER)
    assert set(six["period"]) <= {"2022-04", "2022-05", "2022-06"} and set(p90s["period"]) == {"2022-04", "2022-05",
                                                                                                "2022-06"}
    for month in ("2022-04", "2022-05", "2022-06"):
        in_month = six[six["period"] == month]
        assert per_replication(in_month, len).mean() == pytest.approx(csv_mean(run, "seen_over_six_weeks", month),
                                                                      abs=CSV_DECIMALS)
        assert per_replication(p90s[p90s["period"] == month], p90).mean() == pytest.approx(
            csv_mean(run, "threshold_to_seen_p90", month), abs=CSV_DECIMALS)
    total = sum(csv_mean(run, "seen_over_six_weeks", m) for m in ("2022-04", "2022-05", "2022-06"))
    assert per_replication(six, len).mean() == pytest.approx(total, abs=3 * CSV_DECIMALS)
    # Over the quarter, per replication, the forecast's own window figure (as caseflow compare's quarters).
    for r in (0, 1):
        window = window_kpis(run["events"][run["events"]["replication"] == r], run["cfg"], months)
        assert p90(p90s[p90s["replication"] == r]) == pytest.approx(float(window["threshold_to_seen_p90"].iloc[0]))
        assert len(six[six["replication"] == r]) == float(window["seen_over_six_weeks"].iloc[0])
    assert "they agree" in capsys.readouterr().out


def test_the_stages_add_up_to_the_wait(run):
    children, _ = explained(run, "threshold_to_seen_median", QUARTER)
    parts = children["mash_days"] + children["allocation_wait_days"] + children["visit_wait_days"]
    assert np.allclose(parts, children["contact_to_seen_days"], rtol=0, atol=1e-9)
    parts_wd = children["mash_wd"] + children["allocation_wait_wd"] + children["visit_wait_wd"]
    assert (parts_wd == children["contact_to_seen_wd"]).all()
    assert ((children["allocation_wait_wd"] + children["visit_wait_wd"]) == children["referral_to_seen_wd"]).all()
    consent = children[children["consent_received"].notna()]
    assert len(consent) > 0 and (consent["consent_days"] <= consent["mash_days"] + 1e-9).all()
    assert children.loc[children["consent_received"].isna(), "consent_days"].isna().all()
    milestones = ["contact_received", "mash_decided", "referral_accepted", "allocated", "seen"]
    dates = children[milestones].apply(pd.to_datetime)
    assert (dates.diff(axis=1).iloc[:, 1:] >= pd.Timedelta(0)).all().all()
    done = children[children["assessment_completed"].notna()]
    assert len(done) > 0 and (done["assessment_days"] >= 0).all()


def test_a_median_marks_the_children_at_or_above_it_and_the_maximum_the_longest_wait(run):
    children, _ = explained(run, "threshold_to_seen_median", QUARTER)
    for r in (0, 1):
        rows = children[children["replication"] == r]
        median = float(np.median(rows["contact_to_seen_days"]))
        assert (rows["in_numerator"] == (rows["contact_to_seen_days"] >= median)).all()
    longest, _ = explained(run, "threshold_to_seen_max", MONTH)
    marked = longest[longest["in_numerator"]]
    assert sorted(marked["replication"]) == [0, 1]  # the one longest wait of each replication, itself marked
    assert marked["contact_to_seen_days"].mean() == pytest.approx(csv_mean(run, "threshold_to_seen_max", MONTH),
                                                                   abs=CSV_DECIMALS)


def test_identifiers_and_timelines_are_the_runs_own(run):
    children, timelines = explained(run, "seen_over_six_weeks", MONTH)
    log = run["events"]
    keys = ["replication", "case_id"]
    listed = children[keys + ["child_id"]]
    pairs = log.loc[log["event"] == "contact_received", keys + ["child_id"]].astype("int64")
    assert len(listed.merge(pairs, on=keys + ["child_id"])) == len(listed)  # each row's child is its case's
    # Every event of each listed case, and nothing else.
    cases = log[log["case_id"].notna()].assign(case_id=lambda f: f["case_id"].astype("int64")).merge(
        listed[keys], on=keys)
    assert len(timelines) == len(cases)
    assert set(map(tuple, timelines[keys].to_numpy())) == set(map(tuple, listed[keys].to_numpy()))
    first = timelines.groupby(keys).first()
    assert (first["event"] == "contact_received").all()
    seen = timelines[timelines["event"] == "seen"].merge(children[keys + ["seen"]], on=keys)
    assert (seen["date"] == seen["seen"]).all() and len(seen) == len(children)
    assert (np.floor(timelines["t"]).astype(int) == (pd.to_datetime(timelines["date"]) -
                                                      pd.Timestamp("2022-04-01")).dt.days).all()


def test_one_replication_is_that_replications_part_of_the_list(run, capsys):
    everyone, _ = explained(run, "seen_within_10wd_of_contact_pct", MONTH)
    one, _ = explained(run, "seen_within_10wd_of_contact_pct", MONTH, "replication=1")
    assert (one["replication"] == 1).all()
    theirs = everyone[everyone["replication"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.reset_index(drop=True), theirs)
    assert "replication 1" in capsys.readouterr().out


def test_the_workbook_holds_the_list_and_the_figure(run):
    from sim.reports.workbook import read_sheet

    children, _ = explained(run, "seen_within_10wd_of_referral_pct", MONTH, "replication=0")
    book = run["folder"] / "explain" / f"{stem_of('seen_within_10wd_of_referral_pct', MONTH, 'replication=0')}.xlsx"
    headers, rows = read_sheet(book, "Children")
    assert headers == list(children.columns) and len(rows) == len(children)
    in_numerator = [row[headers.index("in_numerator")] for row in rows]
    assert in_numerator == children["in_numerator"].tolist()
    headers, rows = read_sheet(book, "Figure")
    (figure,) = rows
    # Percentages are Excel fractions in the workbook: 0.25 shown as 25.0%.
    assert figure[headers.index("from_list")] == pytest.approx(share(children) / 100.0)
    assert figure[headers.index("from_list")] == pytest.approx(figure[headers.index("forecast")])


@pytest.fixture(scope="module")
def no_events(tmp_path_factory):
    """A finished run made with write_events=false."""
    results = tmp_path_factory.mktemp("no_events")
    main(["scenario=baseline_2022", "replications=1", "horizon_months=1", "warmup_months=1", "executor=serial",
          "write_events=false", f"results_dir={results}"])
    (folder,) = sorted((results / "baseline_2022").iterdir())
    assert not (folder / "events.parquet").exists()
    return folder


@pytest.mark.parametrize("args, words", [
    (["kpi=seen_over_six_weeks", "period=2022-05"], "does not exist"),
    (["RUN", "kpi=cost", "period=2022-05"], "seen_over_six_weeks"),
    (["RUN", "kpi=seen_over_6_weeks", "period=2022-05"], "did you mean 'seen_over_six_weeks'"),
    (["RUN", "kpi=seen_over_six_weeks", "period=2022-13"], "is not a period"),
    (["RUN", "kpi=seen_over_six_weeks", "period=October"], "is not a period"),
    (["RUN", "kpi=seen_over_six_weeks", "period=2022-10"], "not among this run's forecast months"),
    (["RUN", "kpi=seen_over_six_weeks", "period=2022-23 Q2"], "not among this run's forecast months"),
    (["RUN", "kpi=seen_over_six_weeks", "period=2022-05", "replication=2"], "replications 0 to 1"),
    (["RUN", "kpi=seen_over_six_weeks", "period=2022-05", "colour=red"], "takes kpi=, period= and replication="),
    (["RUN", "period=2022-05"], "needs kpi="),
    (["NO_EVENTS", "kpi=seen_over_six_weeks", "period=2022-04"], "write_events=false"),
])
def test_bad_input_exits_2_with_one_sentence_and_writes_nothing(run, no_events, tmp_path, capsys, args, words):
    folders = {"RUN": str(run["folder"]), "NO_EVENTS": str(no_events)}
    argv = [folders.get(a, a) for a in args]
    if args[0].startswith("kpi="):
        argv = [str(tmp_path / "no such run"), *argv]
    before = {folder: sorted(p.relative_to(folder) for p in Path(folder).rglob("*"))
              for folder in folders.values()}
    with pytest.raises(SystemExit) as stop:
        main(["explain", *argv])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    after = {folder: sorted(p.relative_to(folder) for p in Path(folder).rglob("*"))
             for folder in folders.values()}
    assert after == before and not (tmp_path / "no such run").exists()


def test_every_supported_key_names_a_registry_figure_and_an_unsupported_one_says_which_are(run, capsys):
    from sim import kpis

    assert set(supported()) <= set(kpis.REGISTRY)
    assert {"threshold_to_seen_p90", "seen_over_six_weeks", "mash_within_1wd_pct", "assessments_within_45wd_pct",
            *kpis.SEEN_WITHIN_KEYS} <= set(supported())
    with pytest.raises(SystemExit):
        main(["explain", str(run["folder"]), "kpi=vacancies", f"period={MONTH}"])
    err = capsys.readouterr().err
    assert all(k in err for k in supported())


def test_a_month_in_which_nobody_is_seen_gives_an_empty_list_and_an_undefined_figure(run):
    from sim.projections.explain import explain

    log = run["events"][run["events"]["replication"] == 0]
    may = periods(run["cfg"])[1]
    gone = log["event"].isin(["seen"]) & (log["t"] >= may[1]) & (log["t"] < may[2])
    nobody = explain(log[~gone].reset_index(drop=True), run["cfg"], "threshold_to_seen_p90", [may])
    assert nobody.children.empty and nobody.timelines.empty
    (figure,) = nobody.figures.to_dict("records")
    assert np.isnan(figure["from_list"]) and np.isnan(figure["forecast"])
    counted = explain(log[~gone].reset_index(drop=True), run["cfg"], "seen_over_six_weeks", [may])
    assert counted.figures["from_list"].tolist() == [0.0] == counted.figures["forecast"].tolist()
