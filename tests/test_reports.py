"""Committee outputs: the workbook reads back cell by cell as the tables it came from, periods
are financial years and quarters, end-of-period levels belong to the period, comparisons say
when figures return to the baseline, sweeps are labelled, and ``caseflow report`` rebuilds a
folder's reports from the folder alone."""
from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sim import kpis
from sim.cli import main
from sim.periods import financial_year, quarter, quarter_span, span, year_span
from sim.reports import build
from sim.reports.findings import RETURN_KPIS, endings, returns_to_baseline
from sim.reports.workbook import read_sheet, table_value

SHORT = ["horizon_months=5", "warmup_months=2", "replications=2", "executor=serial", "seed=5"]


def _run(tmp: Path, *args: str) -> Path:
    main([*args, f"results_dir={tmp}"])
    return tmp


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """temporary_funding from August 2022: its posts open on 1 November 2022, inside the run."""
    tmp = tmp_path_factory.mktemp("run")
    _run(tmp, "scenario=temporary_funding", "start_date=2022-08-01", *SHORT)
    (folder,) = (tmp / "temporary_funding").iterdir()
    return folder


@pytest.fixture(scope="module")
def baseline_folder(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("base")
    _run(tmp, "scenario=baseline_2022", "start_date=2022-08-01", *SHORT, "report=false")
    (folder,) = (tmp / "baseline_2022").iterdir()
    return folder


@pytest.fixture(scope="module")
def comparison_folder(tmp_path_factory) -> Path:
    """The money of temporary_funding ends on 31 October 2024, inside the comparison."""
    tmp = tmp_path_factory.mktemp("compare")
    main(["compare", "baseline_2022", "temporary_funding", "start_date=2024-07-01", "horizon_months=12",
          "warmup_months=2", "replications=3", "executor=serial", "seed=2", f"results_dir={tmp}"])
    (folder,) = (tmp / "compare").iterdir()
    return folder


# ---------------------------------------------------------------- periods


def test_financial_years_and_quarters_are_named_as_councils_name_them():
    assert financial_year(dt.date(2024, 3, 31)) == "2023-24"
    assert financial_year(dt.date(2024, 4, 1)) == "2024-25"
    assert quarter(dt.date(2024, 10, 15)) == "2024-25 Q3"
    assert quarter(dt.date(2025, 1, 1)) == "2024-25 Q4"
    assert quarter(dt.date(2024, 4, 1)) == "2024-25 Q1"
    assert quarter_span("2024-25 Q4") == (dt.date(2025, 1, 1), dt.date(2025, 4, 1))
    assert year_span("1999-00") == (dt.date(1999, 4, 1), dt.date(2000, 4, 1))
    assert span("2022-10") == (dt.date(2022, 10, 1), dt.date(2022, 11, 1))
    assert span("2024-25 Q3") == (dt.date(2024, 10, 1), dt.date(2025, 1, 1))
    assert span("2024-25") == (dt.date(2024, 4, 1), dt.date(2025, 4, 1))
    for bad in ("2024-26 Q1", "2024-13", "Q3", "2024-25 Q5"):
        with pytest.raises(ValueError):
            span(bad)


def test_every_day_lies_in_the_quarter_and_year_named_for_it():
    day = dt.date(2019, 1, 1)
    while day < dt.date(2026, 1, 1):
        a, b = quarter_span(quarter(day))
        assert a <= day < b
        y0, y1 = year_span(financial_year(day))
        assert y0 <= a and b <= y1
        day += dt.timedelta(days=3)


# ---------------------------------------------------------------- the run's tables and workbook


def test_forecast_names_each_month_s_financial_year_and_quarter(run_folder):
    f = pd.read_csv(run_folder / "forecast.csv")
    assert list(f.columns[:3]) == ["period", "financial_year", "quarter"]
    assert list(f["quarter"]) == ["2022-23 Q2", "2022-23 Q2", "2022-23 Q3", "2022-23 Q3", "2022-23 Q3"]
    assert set(f["financial_year"]) == {"2022-23"}


def test_posts_that_open_on_the_first_are_not_the_previous_month_s_vacancies(run_folder, baseline_folder):
    """temporary_funding is baseline_2022 until its posts open on 1 November 2022: with the same
    seed, October's month-end figures are identical; November's vacancies are the new posts'."""
    t = pd.read_csv(run_folder / "forecast.csv").set_index("period")
    b = pd.read_csv(baseline_folder / "forecast.csv").set_index("period")
    for col in ("vacancies_mean", "vacancy_rate_pct_mean", "agency_share_pct_mean", "caseload_per_fte_mean"):
        assert t.loc["2022-10", col] == b.loc["2022-10", col], col
    assert t.loc["2022-11", "vacancies_mean"] > b.loc["2022-11", "vacancies_mean"] + 5


def _cells_equal(cell, value, unit) -> bool:
    got = table_value(cell, unit)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return got is None  # an empty cell
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return got is not None and math.isclose(float(got), float(value), rel_tol=1e-12, abs_tol=1e-9)
    return str(got) == str(value)


def _read_back(path: Path, sheet: build.Sheet, name: str) -> None:
    headers, rows = read_sheet(path, name)
    assert headers == [str(c) for c in sheet.table.columns]
    assert len(rows) == len(sheet.table)
    columns = [str(c) for c in sheet.table.columns]
    for row, record in zip(rows, sheet.table.to_dict("records")):
        for column, cell in zip(columns, row):
            unit = sheet.unit(column, record) if sheet.row_unit else sheet.units.get(column)
            if isinstance(record[column], str) and unit not in (None, "text"):
                unit = None
            assert _cells_equal(cell, record[column], unit), (name, column, cell, record[column])


def test_the_workbook_reads_back_as_the_tables_it_came_from(run_folder):
    path = run_folder / "workbook.xlsx"
    folder = build.read_folder(run_folder)
    sheets = build.sheets(folder)
    assert [s.name for s in sheets] == ["Summary", "Monthly forecast", "Assumptions", "Manifest"]
    for s in sheets:
        _read_back(path, s, s.name)
    # ... and those tables are forecast.csv and summary.csv themselves, cell by cell.
    forecast = pd.read_csv(run_folder / "forecast.csv")
    headers, rows = read_sheet(path, "Monthly forecast")
    for key in kpis.MONTHLY:
        for stat, name in build.STATS:
            j = headers.index(f"{kpis.label(key)} — {name}")
            unit = "%" if kpis.REGISTRY[key].percent else None
            for i, row in enumerate(rows):
                assert _cells_equal(row[j], forecast[f"{key}_{stat}"].iloc[i], unit), (key, stat, i)
    summary = pd.read_csv(run_folder / "summary.csv").set_index("kpi")
    headers, rows = read_sheet(path, "Summary")
    for row in rows:
        r = dict(zip(headers, row))
        unit = "%" if kpis.REGISTRY[r["Key"]].percent else None
        assert r["Figure"] == summary.loc[r["Key"], "label"] == kpis.label(r["Key"])
        for col, stat in (("Mean", "mean"), ("10th percentile", "p10"), ("Median", "p50"), ("90th percentile", "p90")):
            assert _cells_equal(r[col], summary.loc[r["Key"], stat], unit)


def test_the_workbook_is_laid_out_for_people(run_folder):
    book = load_workbook(run_folder / "workbook.xlsx")
    for ws in book.worksheets:
        (table,) = ws.tables.values()  # one table per sheet, defined as an Excel table
        header_row = int(table.ref.split(":")[0][1:])
        assert ws.freeze_panes == f"A{header_row + 1}"
        assert all(ws.column_dimensions[c].width and ws.column_dimensions[c].width <= 62 for c in "AB")
    ws = book["Monthly forecast"]
    header = [c.value for c in ws[4]]
    pct = header.index("% MASH decisions within 1 working day of contact — median") + 1
    money = header.index("Workforce cost — median") + 1
    days = header.index("Days from contact to seen (calendar), 90th percentile — median") + 1
    assert ws.cell(row=5, column=pct).number_format == "0.0%"
    assert ws.cell(row=5, column=money).number_format.startswith('"£"')
    assert ws.cell(row=5, column=days).number_format == "0.0"
    kinds = {r[2] for r in read_sheet(run_folder / "workbook.xlsx", "Assumptions")[1]}
    assert {"published", "derived", "estimated"} <= kinds


def test_every_figure_the_reports_show_is_one_the_registry_defines(run_folder, comparison_folder):
    for folder in (run_folder, comparison_folder):
        for s in build.sheets(build.read_folder(folder)):
            if "Key" in s.table:
                assert set(s.table["Key"]) <= set(kpis.REGISTRY)
                assert all(s.table["Figure"] == [kpis.label(k) for k in s.table["Key"]])
            for c in s.table.columns:
                if " — " in str(c):
                    figure = str(c).rsplit(" — ", 1)[0]
                    assert figure in {k.label for k in kpis.REGISTRY.values()}, c


def test_caseflow_report_rebuilds_the_reports_from_the_folder_alone(run_folder, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    (copy / "workbook.xlsx").unlink()
    shutil.rmtree(copy / "events.parquet")  # nothing is simulated or projected again
    main(["report", str(copy)])
    assert "workbook.xlsx" in capsys.readouterr().out
    for name in ("Summary", "Monthly forecast"):
        assert read_sheet(copy / "workbook.xlsx", name) == read_sheet(run_folder / "workbook.xlsx", name)


@pytest.mark.parametrize("args,words", [
    (["report"], "one folder"),
    (["report", "/no/such/folder"], "does not exist"),
    (["report", "."], "holds no forecast.csv"),
])
def test_report_refuses_what_is_not_a_finished_folder(args, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- comparisons


def test_comparison_md_is_plain_markdown_and_says_when_figures_return(comparison_folder):
    md = (comparison_folder / "comparison.md").read_text()
    assert "<" not in md and ">" not in md  # no HTML: it pastes into Word
    assert "## What the comparison says" in md and "31 October 2024" in md
    table = pd.read_csv(comparison_folder / "comparison.csv")
    assert {"2024-25", "2024-25 Q2", "2024-25 Q3", "2024-25 Q4", "2025-26 Q1"} <= set(table["period"])
    returns = pd.read_csv(comparison_folder / "returns_to_baseline.csv")
    assert set(returns["kpi"]) == set(RETURN_KPIS)  # every figure, for the one ending
    assert (returns["last_funded_day"] == "2024-10-31").all()
    assert returns["sentence"].str.startswith("Under temporary_funding").all()
    book = read_sheet(comparison_folder / "workbook.xlsx", "Returns to baseline")
    assert len(book[1]) == len(returns)


def test_the_same_scenario_twice_shows_zero_differences_as_0(tmp_path):
    main(["compare", "baseline_2022", "baseline_2022", "horizon_months=2", "warmup_months=1", "replications=2",
          "executor=serial", "report=false", f"results_dir={tmp_path}"])
    (folder,) = (tmp_path / "compare").iterdir()
    md = (folder / "comparison.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| Contacts received |"))
    assert row.endswith("| 0 [0, 0] |"), row
    assert not (folder / "workbook.xlsx").exists()


def _toy_comparison(diffs: list[tuple[float, float, float]]) -> pd.DataFrame:
    quarters = ["2024-25 Q2", "2024-25 Q3", "2024-25 Q4", "2025-26 Q1", "2025-26 Q2"]
    rows = []
    for q, (d, lo, hi) in zip(quarters, diffs):
        for name, dd in (("base", (0.0, 0.0, 0.0)), ("temp", (d, lo, hi))):
            rows.append({"period": q, "period_kind": "quarter", "kpi": "threshold_to_seen_p90", "scenario": name,
                         "diff_from_first": dd[0], "diff_ci95_low": dd[1], "diff_ci95_high": dd[2]})
    return pd.DataFrame(rows)


CONFIGS = {"base": {"service": {"funding": []}},
           "temp": {"service": {"funding": [{"date": "2023-11-01", "action": "add_posts", "team": "mash", "count": 8,
                                             "funding": "temporary", "until": "2024-10-31"}]}}}


def test_a_figure_returns_in_the_first_quarter_whose_interval_holds_zero():
    table = _toy_comparison([(-9, -12, -6), (-8, -11, -5), (-4, -7, -1), (-1, -3, 1), (0.5, -1, 2)])
    r = returns_to_baseline(table, CONFIGS).iloc[0]
    assert r["differs_before"] and r["quarter_before"] == "2024-25 Q2"
    assert r["returns_in"] == "2025-26 Q1" and r["months_after"] == 5 and r["stays"]  # April 2025 from November 2024
    assert "returns to within its interval of base in 2025-26 Q1, 5 months after the money ends" in r["sentence"]


def test_a_figure_that_never_returns_is_said_not_to():
    table = _toy_comparison([(-9, -12, -6)] * 5)
    r = returns_to_baseline(table, CONFIGS).iloc[0]
    assert r["returns_in"] == "" and "does not return" in r["sentence"] and "2025-26 Q2" in r["sentence"]


def test_a_difference_that_shows_only_after_the_money_ends_is_followed_to_its_return():
    table = _toy_comparison([(-1, -3, 1), (-2, -4, 1), (5, 2, 8), (4, 1, 7), (1, -1, 3)])
    r = returns_to_baseline(table, CONFIGS).iloc[0]
    assert not r["differs_before"] and r["differs_from"] == "2024-25 Q4" and r["returns_in"] == "2025-26 Q2"
    assert "it differs from 2024-25 Q4 and returns to within its interval of base in 2025-26 Q2" in r["sentence"]
    quiet = returns_to_baseline(_toy_comparison([(-1, -3, 1)] * 5), CONFIGS).iloc[0]
    assert quiet["returns_in"] == "" and quiet["differs_from"] == "" and "nor in any quarter after" in quiet["sentence"]


def test_money_that_ends_on_a_quarter_s_last_day_ends_in_that_quarter():
    configs = {"base": CONFIGS["base"], "temp": {"service": {"funding": [
        {"date": "2023-11-01", "action": "add_posts", "team": "mash", "count": 8, "funding": "temporary",
         "until": "2024-09-30"}]}}}
    table = _toy_comparison([(-9, -12, -6), (-1, -3, 1), (0, -1, 1), (0, -1, 1), (0, -1, 1)])
    r = returns_to_baseline(table, configs).iloc[0]
    assert r["quarter_before"] == "2024-25 Q2" and r["returns_in"] == "2024-25 Q3"
    assert "the first quarter after the money ends" in r["sentence"], r["sentence"]


def test_money_the_baseline_also_has_is_not_an_ending():
    assert endings(CONFIGS["temp"], CONFIGS["temp"]) == []
    (e,) = endings(CONFIGS["temp"], CONFIGS["base"])
    assert e.last_day == dt.date(2024, 10, 31) and e.first_day_after == dt.date(2024, 11, 1)
    assert e.what == "the money for 8 temporary MASH posts"


# ---------------------------------------------------------------- sweeps and settings


def test_a_sweep_writes_one_labelled_row_per_run_in_sweep_order(tmp_path, capsys):
    main(["-m", "seed=3,4", "horizon_months=1,2", "warmup_months=1", "replications=1", "executor=serial",
          f"results_dir={tmp_path}"])
    out = capsys.readouterr().out
    (sweep,) = (tmp_path / "sweep").iterdir()
    table = pd.read_csv(sweep / "sweep.csv")
    assert list(table[["seed", "horizon_months"]].itertuples(index=False, name=None)) == [(3, 1), (3, 2), (4, 1), (4, 2)]
    for row in table.itertuples():
        assert Path(row.folder).name.endswith(f"_seed-{row.seed}_horizon_months-{row.horizon_months}")
        summary = pd.read_csv(Path(row.folder) / "summary.csv").set_index("kpi")
        assert row.threshold_to_seen_p90_mean == pytest.approx(summary.loc["threshold_to_seen_p90", "mean"])
    assert "(sweep: seed=4, horizon_months=2)" in out
    assert {"sweep.csv", "sweep.md", "workbook.xlsx", "manifest.json"} <= {p.name for p in sweep.iterdir()}


def test_the_seen_within_days_are_a_setting(tmp_path):
    main(["seen_within_working_days=[2,20]", "horizon_months=1", "warmup_months=1", "replications=1",
          "executor=serial", "report=false", f"results_dir={tmp_path}"])
    (folder,) = (tmp_path / "default").iterdir()
    f = pd.read_csv(folder / "forecast.csv")
    s = pd.read_csv(folder / "summary.csv").set_index("kpi")
    keys = ("seen_within_2wd_of_referral_pct", "seen_within_2wd_of_contact_pct", "seen_within_20wd_of_referral_pct",
            "seen_within_20wd_of_contact_pct")
    for k in keys:
        assert f"{k}_mean" in f and k in s.index and s.loc[k, "label"] == kpis.label(k)
    assert "seen_within_5wd_of_referral_pct_mean" not in f
    assert s.loc[keys[0], "mean"] <= s.loc[keys[2], "mean"]


# ---------------------------------------------------------------- the HTML reports of real folders

import re  # noqa: E402

import browser  # noqa: E402  (tests/browser.py: headless Chromium over the DevTools protocol)


def _tables(page: Path) -> list[dict]:
    return browser.read_html(page.read_text(encoding="utf-8")).tables


@pytest.fixture(scope="module")
def chromium():
    return browser.chromium()


@pytest.mark.parametrize("which", ["run_folder", "comparison_folder"])
def test_the_report_of_a_real_folder_passes_the_browser_check(which, request, chromium):
    folder = request.getfixturevalue(which)
    page = browser.open_page(folder / "report.html")
    assert page.console_errors == []
    assert not [u for u in page.requests if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))]
    charts = sorted((folder / "charts").glob("*.svg"))
    assert len(page.charts) == len(charts) == 7
    for chart in page.charts:
        assert chart["decoded"] and chart["naturalWidth"] > 0 and chart["width"] > 0, chart
    assert page.print_layout["wide"] == [], page.print_layout["wide"]
    pdf = browser.Pdf(page.pdf)
    sizes = pdf.page_sizes()
    assert all(abs(w - browser.A4_POINTS[0]) < 1.5 and abs(h - browser.A4_POINTS[1]) < 1.5 for w, h in sizes)
    # Findings and contents, what was run, seven charts (two a page), tables, assumptions and the
    # six STRESS-DES items: at least a dozen pages, and each major section on a page of its own.
    assert len(sizes) >= 12
    starts = [v for k, v in sorted(pdf.destinations().items()) if re.fullmatch(r"sec-\d+", k)]
    assert starts == sorted(set(starts))


def test_every_number_in_the_run_report_is_the_table_s(run_folder):
    tables = _tables(run_folder / "report.html")
    (headline,) = [t for t in tables if t["caption"].endswith("Headline figures over the forecast horizon, across replications")]
    summary = pd.read_csv(run_folder / "summary.csv").set_index("label")
    header, *rows = headline["rows"]
    names = [text for _, _, text in header]
    assert names == ["Figure", "Mean", "10th percentile", "Median", "90th percentile"]
    assert [r[0][2] for r in rows] == [kpis.label(k) for k in kpis.HEADLINE]
    stats = {"Mean": "mean", "10th percentile": "p10", "Median": "p50", "90th percentile": "p90"}
    for row in rows:
        figure = row[0][2]
        for name, (_, attrs, text) in zip(names[1:], row[1:]):
            value = summary.loc[figure, stats[name]]
            exact = float(attrs["data-value"])
            assert exact == value or (math.isnan(exact) and math.isnan(value)), (figure, name)
    (monthly,) = [t for t in tables if t["caption"].endswith("Month by month")]
    forecast = pd.read_csv(run_folder / "forecast.csv")
    header, *rows = monthly["rows"]
    names = [text for _, _, text in header]
    assert [r[0][2] for r in rows] == list(forecast["period"])
    for i, row in enumerate(rows):
        for name, (_, attrs, _text) in zip(names[1:], row[1:]):
            label, stat = name.rsplit(" — ", 1)
            key = next(k for k in kpis.MONTHLY if kpis.label(k) == label)
            assert stat == "median"
            column = f"{key}_p50"
            value = forecast[column].iloc[i]
            exact = float(attrs["data-value"])
            assert exact == value or (math.isnan(exact) and math.isnan(value)), (name, i)


@pytest.fixture(scope="module")
def validation_folder(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("validate")
    main(["validate", "year=2024", "replications=2", "executor=serial", f"results_dir={tmp}"])
    (folder,) = (tmp / "validate").iterdir()
    return folder


def test_the_validation_s_reports_name_its_figures_as_the_registry_does(validation_folder, chromium):
    table = pd.read_csv(validation_folder / "validation.csv")
    figures = kpis.published_figures()
    assert list(table["figure"]) == list(figures)
    headers, rows = read_sheet(validation_folder / "workbook.xlsx", "Summary")
    got = [dict(zip(headers, r)) for r in rows]
    assert [r["Key"] for r in got] == list(table["figure"])
    for r, source in zip(got, table.to_dict("records")):
        assert r["Figure"] == figures[r["Key"]].label
        unit = "%" if figures[r["Key"]].percent else None
        assert _cells_equal(r["Published"], source["published"], unit)
        assert _cells_equal(r["Simulated median"], source["sim_p50"], unit)
    (html_table,) = [t for t in _tables(validation_folder / "report.html")
                     if t["caption"].endswith("Each published figure beside the simulated 10th, 50th and 90th percentiles")]
    header, *body = html_table["rows"]
    assert [row[0][2] for row in body] == [figures[k].label for k in table["figure"]]
    names = [text for _, _, text in header]
    for row, source in zip(body, table.to_dict("records")):
        cells = dict(zip(names, row))
        assert float(cells["Published"][1]["data-value"]) == source["published"]
        assert float(cells["Simulated 90th percentile"][1]["data-value"]) == source["sim_p90"]
    page = browser.open_page(validation_folder / "report.html")
    assert page.console_errors == [] and page.print_layout["wide"] == []


def test_every_figure_the_html_reports_name_is_the_registry_s(run_folder, comparison_folder):
    labels = {k.label for k in kpis.REGISTRY.values()}
    for folder in (run_folder, comparison_folder):
        for table in _tables(folder / "report.html"):
            header, *body = table["rows"]
            names = [text for _, _, text in header]
            if "Figure" in names:
                j = names.index("Figure")
                assert {row[j][2] for row in body} <= labels, table["caption"]
            for name in names:
                if " — " in name:
                    assert name.rsplit(" — ", 1)[0] in labels, name


def test_the_project_stands_alone():
    """Nothing in the repository points at files outside it (the shared folder it was built from)."""
    root = Path(__file__).resolve().parent.parent
    skip = {".git", ".venv", "results", "__pycache__", ".pytest_cache", "caseflow.egg-info"}
    found = []
    for path in root.rglob("*"):
        if any(part in skip for part in path.relative_to(root).parts) or not path.is_file():
            continue
        if path.suffix not in (".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".sh", ""):
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        # Spelled in pieces, so that this file does not find itself.
        for needle in (".." + "/shared", "DOMAIN" + ".md", "STYLE" + ".md", "shared" + "/data", "shared" + "/seeds"):
            if needle in text:
                found.append(f"{path.relative_to(root)}: {needle}")
    assert found == []


def test_a_run_s_own_seen_within_days_carry_through_comparison_reports_and_explain(tmp_path, capsys):
    main(["compare", "baseline_2022", "temporary_funding", "start_date=2024-09-01", "horizon_months=4",
          "warmup_months=1", "replications=2", "executor=serial", "seen_within_working_days=[3]",
          f"results_dir={tmp_path}"])
    (folder,) = (tmp_path / "compare").iterdir()
    md = (folder / "comparison.md").read_text()
    assert "% children seen within 3 working days of referral" in md and "within 10 working days of referral" not in md
    assert "within 3 working days" in (folder / "report.html").read_text()
    main(["seen_within_working_days=[3]", "horizon_months=2", "warmup_months=1", "replications=1",
          "executor=serial", f"results_dir={tmp_path}"])
    (run,) = (tmp_path / "default").iterdir()
    assert "within 3 working days of referral" in (run / "report.html").read_text()
    capsys.readouterr()
    main(["explain", str(run), "kpi=seen_within_3wd_of_referral_pct", "period=2023-05"])
    assert (run / "explain" / "seen_within_3wd_of_referral_pct_2023-05.csv").is_file()
    with pytest.raises(SystemExit) as exit_:
        main(["explain", str(run), "kpi=seen_within_10wd_of_referral_pct", "period=2023-05"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "seen within 3 working days" in err and len(err.splitlines()) == 1


def test_report_refuses_a_damaged_folder_and_writes_nothing(run_folder, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    summary = pd.read_csv(copy / "summary.csv")
    summary.drop(columns=["kpi"]).to_csv(copy / "summary.csv", index=False)
    before = (copy / "workbook.xlsx").read_bytes()
    with pytest.raises(SystemExit) as exit_:
        main(["report", str(copy)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "summary.csv lacks the column kpi" in err and len(err.splitlines()) == 1
    assert (copy / "workbook.xlsx").read_bytes() == before
