"""Fan charts (sim/reports/charts.py) drawn from real short runs of caseflow.

Two runs with the same seed, temporary_funding and baseline_2022, from August 2024 for four
months: temporary_funding's money ends on 31 October 2024 (the posts close on 1 November,
inside the span), and its posts were added on 1 November 2022 (outside it).
"""
from __future__ import annotations

import copy
import datetime as dt
import re
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.dates import date2num
from matplotlib.lines import Line2D
from matplotlib.text import Text

from sim import kpis, periods
from sim.cli import main
from sim.forecast import SIX_WEEKS_DAYS
from sim.inputs import InputError
from sim.reports import charts
from sim.reports.charts import CHARTED, comparison_charts, fan_figure, run_charts

SETTINGS = ["start_date=2024-08-01", "horizon_months=4", "warmup_months=2", "replications=2", "executor=serial",
            "seed=3", "write_events=false"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[pd.DataFrame, dict]]:
    """scenario -> (forecast.csv, config.yaml) of two real runs, baseline first."""
    results = tmp_path_factory.mktemp("results")
    out = {}
    for scenario in ("baseline_2022", "temporary_funding"):
        main([f"scenario={scenario}", *SETTINGS, f"results_dir={results}"])
        (folder,) = (results / scenario).iterdir()
        out[scenario] = (pd.read_csv(folder / "forecast.csv"), yaml.safe_load((folder / "config.yaml").read_text()))
    return out


@pytest.fixture(scope="module")
def single(runs, tmp_path_factory) -> list[charts.Chart]:
    forecast, config = runs["temporary_funding"]
    return run_charts(forecast, config, tmp_path_factory.mktemp("charts"))


@pytest.fixture(scope="module")
def compared(runs, tmp_path_factory) -> list[charts.Chart]:
    return comparison_charts({k: f for k, (f, _) in runs.items()}, {k: c for k, (_, c) in runs.items()},
                             tmp_path_factory.mktemp("compare"))


def _span(forecast: pd.DataFrame) -> tuple[dt.date, dt.date]:
    return periods.month_span(forecast["period"].iloc[0])[0], periods.month_span(forecast["period"].iloc[-1])[1]


def _money_ends(config: dict) -> list[tuple[int, dt.date]]:
    """(index, the day after the last funded day) of each funding action with an ``until``."""
    return [(i, dt.date.fromisoformat(a["until"]) + dt.timedelta(days=1))
            for i, a in enumerate(config["service"]["funding"]) if a.get("until")]


def _ids(svg: Path) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', svg.read_text()))


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def _by_gid(fig, kind, gid: str):
    return [a for a in fig.axes[0].findobj(kind) if a.get_gid() == gid]


def test_the_run_is_set_up_as_the_tests_need(runs):
    """The money's end falls inside the charted months and the posts' start before them."""
    forecast, config = runs["temporary_funding"]
    first, end = _span(forecast)
    ends = _money_ends(config)
    assert ends and all(first <= day < end for _, day in ends)
    starts = [dt.date.fromisoformat(a["date"]) for a in config["service"]["funding"]]
    assert starts and all(day < first for day in starts)


def test_a_png_and_an_svg_for_every_charted_figure(single):
    assert [c.kpi for c in single] == list(CHARTED)
    assert set(CHARTED) <= set(kpis.MONTHLY)
    for c in single:
        assert c.png == c.png.parent / f"{c.kpi}.png" and c.svg == c.png.parent / f"{c.kpi}.svg"
        assert c.png.stat().st_size > 10_000 and c.svg.read_text().lstrip().startswith("<?xml")
        assert c.title == kpis.REGISTRY[c.kpi].label
        assert c.scenarios == ("temporary_funding",)
    assert sorted(p.name for p in single[0].png.parent.iterdir()) == sorted(
        f"{k}.{ext}" for k in CHARTED for ext in ("png", "svg"))


def test_pngs_are_slide_sized(single):
    for c in single:
        width, height = _png_size(c.png)
        assert width >= 1600 and height >= 900
        assert abs(width / height - 16 / 9) < 0.01


def test_every_svg_holds_the_marks_its_figure_should(single, runs):
    _, config = runs["temporary_funding"]
    for c in single:
        ids = _ids(c.svg)
        assert ("mark-six-weeks" in ids) == (c.kpi == "threshold_to_seen_p90")
        assert ("mark-six-weeks-label" in ids) == (c.kpi == "threshold_to_seen_p90")
        assert ("mark-statutory-target" in ids) == (c.kpi == "mash_within_1wd_pct")
        assert ("mark-statutory-target-label" in ids) == (c.kpi == "mash_within_1wd_pct")
        for i, _ in _money_ends(config):
            assert f"mark-funding-{i}-end" in ids
        # The two posts' money ends on one day: one label says both.
        assert "mark-funding-0-end-label" in ids
        # The posts were added in 2022, before the charted months: not drawn.
        assert not {i for i in ids if i.endswith("-start")}
        assert {"band", "median"} <= ids


def test_charts_list_the_marks_drawn(single, runs):
    _, config = runs["temporary_funding"]
    ends = dict(_money_ends(config))
    for c in single:
        dated = {m.gid: m for m in c.marks if m.date is not None}
        assert {g: m.date for g, m in dated.items()} == {f"mark-funding-{i}-end": d for i, d in ends.items()}
        for m in dated.values():
            assert m.label == "temporary MASH and assessment posts end"
        levels = [m for m in c.marks if m.value is not None]
        if c.kpi == "threshold_to_seen_p90":
            assert [(m.gid, m.value) for m in levels] == [("mark-six-weeks", SIX_WEEKS_DAYS)]
        elif c.kpi == "mash_within_1wd_pct":
            assert [(m.gid, m.value) for m in levels] == [("mark-statutory-target", 100.0)]
        else:
            assert levels == []


def test_the_band_is_p10_to_p90_and_the_line_p50_at_each_months_middle(runs):
    forecast, config = runs["temporary_funding"]
    for kpi in ("threshold_to_seen_p90", "cost"):
        fig, _ = fan_figure(kpi, {"temporary_funding": forecast}, {"temporary_funding": config})
        (band,) = _by_gid(fig, PolyCollection, "band")
        (line,) = _by_gid(fig, Line2D, "median")
        spans = [periods.month_span(p) for p in forecast["period"]]
        mids = [date2num(np.datetime64(a)) + (b - a).days / 2 for a, b in spans]
        np.testing.assert_allclose(line.get_xdata(), mids)
        np.testing.assert_allclose(line.get_ydata(), forecast[f"{kpi}_p50"])
        vertices = np.concatenate([p.vertices for p in band.get_paths()])
        for x, lo, hi in zip(mids, forecast[f"{kpi}_p10"], forecast[f"{kpi}_p90"]):
            at = vertices[np.isclose(vertices[:, 0], x), 1]
            np.testing.assert_allclose(sorted(set(at.round(6))), sorted({round(lo, 6), round(hi, 6)}))


def test_a_funding_action_is_drawn_on_its_date_only_inside_the_span(runs):
    forecast, config = runs["temporary_funding"]
    config = copy.deepcopy(config)
    first, end = _span(forecast)
    inside = first + dt.timedelta(days=31)
    config["service"]["funding"] += [
        # Starts inside; its money ends after the span.
        {"date": inside.isoformat(), "action": "add_posts", "team": "assessment", "count": 3,
         "funding": "temporary", "until": (end + dt.timedelta(days=100)).isoformat(), "name": ""},
        # Wholly after the span.
        {"date": (end + dt.timedelta(days=10)).isoformat(), "action": "retention_package",
         "until": (end + dt.timedelta(days=200)).isoformat(), "name": "late_package"},
        # On the span's last day: inside.
        {"date": (end - dt.timedelta(days=1)).isoformat(), "action": "end_temporary_posts", "team": None},
    ]
    fig, marks = fan_figure("cost", {"temporary_funding": forecast}, {"temporary_funding": config})
    drawn = {line.get_gid(): line for line in fig.axes[0].findobj(Line2D) if str(line.get_gid()).startswith("mark-")}
    assert set(drawn) == {"mark-funding-0-end", "mark-funding-1-end", "mark-funding-2-start", "mark-funding-4-start"}
    assert drawn["mark-funding-2-start"].get_xdata()[0] == pytest.approx(date2num(np.datetime64(inside)))
    labels = {m.gid: m.label for m in marks}
    assert labels["mark-funding-2-start"] == "+3 temporary assessment posts"
    assert labels["mark-funding-4-start"] == "temporary posts end"
    texts = {t.get_gid(): t.get_text() for t in fig.findobj(Text) if t.get_gid()}
    assert texts["mark-funding-2-start-label"] == "+3 temporary assessment posts"
    assert not any("late package" in t for t in texts.values())


def test_a_comparison_has_one_band_and_line_per_scenario(compared, runs):
    for c in compared:
        assert c.scenarios == ("baseline_2022", "temporary_funding")
        text = c.svg.read_text()
        assert len(re.findall(r'id="band-', text)) == 2
        assert len(re.findall(r'id="median-', text)) == 2
        ids = _ids(c.svg)
        assert {"band-baseline_2022", "band-temporary_funding"} <= ids
        # Funding marks come from temporary_funding alone (baseline_2022 has none), labelled with it.
        funding = {i for i in ids if i.startswith("mark-funding-")}
        assert funding and all(i.startswith("mark-funding-temporary_funding-") for i in funding)
        for m in c.marks:
            if m.date is not None:
                assert m.scenario == "temporary_funding" and m.label.startswith("temporary_funding: ")
    fig, _ = fan_figure("waiting_for_allocation", {k: f for k, (f, _) in runs.items()},
                        {k: c for k, (_, c) in runs.items()}, comparison=True)
    bands = [c for c in fig.axes[0].findobj(PolyCollection) if str(c.get_gid()).startswith("band-")]
    assert len(bands) == 2
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["baseline_2022 (baseline)", "temporary_funding"]
    # Each scenario's band is its own table's p10..p90.
    for name, (forecast, _) in runs.items():
        (band,) = _by_gid(fig, PolyCollection, f"band-{name}")
        ys = np.concatenate([p.vertices for p in band.get_paths()])[:, 1]
        expected = np.concatenate([forecast["waiting_for_allocation_p10"], forecast["waiting_for_allocation_p90"]])
        np.testing.assert_allclose(sorted(set(ys.round(6))), sorted(set(expected.round(6))))


def test_colours_are_okabe_ito_baseline_first(runs):
    fig, _ = fan_figure("cost", {k: f for k, (f, _) in runs.items()}, {k: c for k, (_, c) in runs.items()},
                        comparison=True)
    colours = [_by_gid(fig, Line2D, f"median-{k}")[0].get_color().upper() for k in runs]
    assert colours == [charts.OKABE_ITO["blue"], charts.OKABE_ITO["vermillion"]]
    assert set(charts.SCENARIO_COLOURS) <= set(charts.OKABE_ITO.values())


def test_axes_are_labelled_from_the_registry_and_periods(runs):
    forecast, config = runs["temporary_funding"]
    one = ({"temporary_funding": forecast}, {"temporary_funding": config})
    for kpi in CHARTED:
        fig, _ = fan_figure(kpi, *one)
        ax = fig.axes[0]
        assert ax.get_ylabel() == kpis.REGISTRY[kpi].unit
        assert kpis.REGISTRY[kpi].label in [t.get_text() for t in fig.texts]
        FigureCanvasAgg(fig).draw()
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        if kpis.REGISTRY[kpi].unit == "%":
            assert ticks and all(t.endswith("%") and float(t[:-1]) <= 100 for t in ticks)
        if kpis.REGISTRY[kpi].unit == "pounds":
            assert ticks and all(t.startswith("£") for t in ticks) and any("," in t for t in ticks)
        months = [t.get_text() for t in ax.get_xticklabels()]
        first, _ = _span(forecast)
        assert months[0] == first.strftime("%b") and len(months) == len(forecast)
        years = [t.get_text() for a in fig.axes[0].child_axes for t in a.get_xticklabels(minor=True)]
        assert years == periods.years_between(*_span(forecast))


def test_text_is_at_least_14_points(runs):
    forecast, config = runs["temporary_funding"]
    fig, _ = fan_figure("threshold_to_seen_p90", {"temporary_funding": forecast}, {"temporary_funding": config})
    FigureCanvasAgg(fig).draw()
    texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
    assert len(texts) > 10
    assert min(t.get_fontsize() for t in texts) >= 14


def test_the_same_input_gives_the_same_svg(runs, tmp_path):
    forecast, config = runs["temporary_funding"]
    a = run_charts(forecast, config, tmp_path / "a")
    b = run_charts(forecast, config, tmp_path / "b")
    for x, y in zip(a, b):
        assert x.svg.read_bytes() == y.svg.read_bytes()
        assert x.png.read_bytes() == y.png.read_bytes()


def test_bad_tables_and_configs_raise_input_errors_and_write_nothing(runs, tmp_path):
    forecast, config = runs["temporary_funding"]
    with pytest.raises(InputError, match="cost_p90"):
        run_charts(forecast.drop(columns=["cost_p90"]), config, tmp_path / "a")
    assert not (tmp_path / "a").exists()
    bad = copy.deepcopy(config)
    bad["service"]["funding"][1]["until"] = "31/10/2024"
    with pytest.raises(InputError, match=r"service\.funding\.1\.until"):
        run_charts(forecast, bad, tmp_path / "b")
    bad["service"]["funding"][1] = {"date": "2024-09-01", "action": "hire_everyone"}
    with pytest.raises(InputError, match=r"service\.funding\.1\.action"):
        run_charts(forecast, bad, tmp_path / "b")
    with pytest.raises(InputError, match="period"):
        run_charts(forecast.assign(period="August"), config, tmp_path / "b")
    assert not (tmp_path / "b").exists()
    with pytest.raises(InputError, match="same scenarios"):
        comparison_charts({"x": forecast}, {"y": config}, tmp_path / "c")
