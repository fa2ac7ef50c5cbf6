"""The HTML report (sim/reports/html.py) and its model description (sim/reports/stress_des.py),
checked as a reader meets them: loaded in headless Chromium with no console errors and no
request beyond the file itself, every chart drawn, and printed to A4 PDF pages with each major
section on a new page and no table row split across two; every number read back from the page
equals the table it came from, and every piece of text is escaped.

The browser is Debian's Chromium (tests/browser.py); when it is missing the fixture installs it
with .ci/install-browser and fails, never skips, if it still is missing.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure as MplFigure

import browser
from sim import kpis, periods
from sim.cli import main
from sim.inputs.errors import InputError
from sim.reports import html as report_html
from sim.reports import stress_des
from sim.reports.html import Bullets, Code, Figure, Paragraph, Report, Section, Table

NASTY = "<script>alert('x')</script> & \"quoted\" </style>"
KPI_ROWS = ("mash_within_1wd_pct", "threshold_to_seen_p90", "seen_over_six_weeks", "cost",
            "changes_per_child", "awaiting_mash_decision_end")


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium, installed by .ci/install-browser if the machine lacks it."""
    try:
        return browser.chromium()
    except RuntimeError as e:
        pytest.fail(f"The HTML report's browser tests need Chromium: {e}", pytrace=False)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A real short forecast run's folder (config.yaml, manifest.json, ...)."""
    results = tmp_path_factory.mktemp("html-run")
    main(["replications=2", "horizon_months=3", "warmup_months=2", "executor=serial", f"results_dir={results}"])
    (folder,) = (results / "default").iterdir()
    return folder


@pytest.fixture(scope="module")
def run(run_folder) -> tuple[dict, dict]:
    config = yaml.safe_load((run_folder / "config.yaml").read_text(encoding="utf-8"))
    manifest = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    return config, manifest


@pytest.fixture(scope="module")
def charts(tmp_path_factory) -> dict[str, Path]:
    """Two real matplotlib charts: one saved as SVG, one as PNG."""
    folder = tmp_path_factory.mktemp("charts")
    months = [periods.month(dt.date(2023, m, 1)) for m in range(4, 10)]
    svg = MplFigure(figsize=(6.4, 3.2))
    ax = svg.subplots()
    ax.plot(months, [8.7, 9.1, 10.4, 12.0, 11.2, 9.8], marker="o")
    ax.set_ylabel("days")
    ax.set_title("Days from contact to seen, 90th percentile")
    svg.savefig(folder / "waits.svg", metadata={"Date": None})
    png = MplFigure(figsize=(6.4, 3.2))
    ax = png.subplots()
    ax.bar(months, [18.2, 18.9, 19.4, 19.0, 18.1, 17.7])
    ax.set_title("Agency share of FTE (%)")
    png.savefig(folder / "agency.png", dpi=120)
    return {"svg": folder / "waits.svg", "png": folder / "agency.png"}


def kpi_table() -> pd.DataFrame:
    """Known numbers in the summary.csv shape: one row per figure, units from the KPI registry."""
    values = {  # mean, p10, p90
        "mash_within_1wd_pct": (73.46, 70.04, 77.95),
        "threshold_to_seen_p90": (22.66, 21.2, 24.71),
        "seen_over_six_weeks": (80.8, 53.2, 119.0),
        "cost": (5499309.2, 5487498.0, 5517158.4),
        "changes_per_child": (0.4531, 0.4417, 0.4625),
        "awaiting_mash_decision_end": (-0.0, float("nan"), 3.0),
    }
    return pd.DataFrame([{"Figure": kpis.label(k), "Mean": v[0], "10th percentile": v[1], "90th percentile": v[2],
                          "unit": kpis.REGISTRY[k].unit} for k, v in values.items()])


def quarter_table() -> pd.DataFrame:
    """Known numbers with one format per column."""
    quarters = periods.quarters_between(dt.date(2023, 4, 1), dt.date(2024, 4, 1))
    return pd.DataFrame({"Quarter": quarters, "Referrals": [1104.0, 1087.5, 1150.0, 1052.25],
                         "Seen within 10 working days": [91.24, 88.05, 85.5, 92.0],
                         "Cost": [1530211.7, 1498003.2, 1555123.9, 1499999.5],
                         "Median wait": [3.24, 3.35, 4.05, 2.96]})


QUARTER_FORMATS = {"Quarter": "text", "Referrals": "count", "Seen within 10 working days": "%",
                   "Cost": "pounds", "Median wait": "days"}
COMMAND = "caseflow replications=2 horizon_months=3 warmup_months=2 executor=serial"


@pytest.fixture(scope="module")
def report(run, charts) -> Report:
    config, manifest = run
    return Report(
        title=f"caseflow: default {NASTY}",
        subtitle="2023-04-01 to 2023-07-01, 2 replications, seed 20220701",
        findings=[f"73.5% of MASH decisions were made within 1 working day ({NASTY}).",
                  "About 81 children were seen more than six weeks after contact."],
        sections=[
            Section("Headline figures", [
                Paragraph(f"Figures over the forecast horizon. {NASTY}"),
                Table("Headline figures over the horizon", kpi_table(), unit_column="unit", hide=["unit"],
                      note=f"Mean and 10th-90th percentiles across replications. {NASTY}"),
                Table(f"By quarter {NASTY}", quarter_table(), formats=QUARTER_FORMATS),
            ]),
            Section("Charts", [
                Figure("Threshold-to-seen wait by month", charts["svg"], alt="A line rising from 8.7 to 12 days"),
                Figure("Agency share by month", charts["png"], alt=f"Bars near 18 per cent {NASTY}"),
            ]),
            Section("Reproduce this run", [Bullets(["From the repository root:"]), Code(COMMAND, caption=NASTY)]),
            stress_des.model_description(config, manifest),
        ])


@pytest.fixture(scope="module")
def page_file(report, tmp_path_factory) -> Path:
    return report_html.write(report, tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture(scope="module")
def page(page_file, chromium) -> browser.PageResult:
    """The report as Chromium showed and printed it (one browser session for several tests)."""
    return browser.open_page(page_file)


# --------------------------------------------------------------------------- reading the HTML back

read = browser.read_html


def shown_number(text: str) -> tuple[float, float]:
    """A number as the page shows it, read back, and half a unit of its last shown digit."""
    if text == report_html.MISSING:
        return math.nan, 0.0
    plain = text.replace(",", "").replace("£", "").replace("%", "")
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    return float(plain), 0.5 * 10 ** -decimals + 1e-9


def table_by_caption(reader: browser.HtmlReader, caption: str) -> dict:
    (table,) = [t for t in reader.tables if t["caption"].endswith(caption)]
    return table


# --------------------------------------------------------------------------- in the browser

def test_the_report_loads_with_no_console_errors(page):
    assert page.console_errors == []


def test_the_page_asks_for_nothing_but_itself_and_its_embedded_charts(page, page_file):
    assert page.requests, "the browser recorded no request at all: the check saw nothing"
    assert set(page.requests) - {page_file.resolve().as_uri()} == {
        u for u in page.requests if u.startswith("data:image/")}
    assert not [u for u in page.requests if u.startswith(("http:", "https:", "ftp:", "ws:", "wss:"))]


def test_every_chart_is_drawn_with_its_alt_text(page, report):
    figures = [b for s in report.sections for b in s.blocks if isinstance(b, Figure)]
    assert len(page.charts) == len(figures) == 2
    for chart, figure in zip(page.charts, figures):
        assert chart["decoded"], chart
        assert chart["naturalWidth"] > 0 and chart["naturalHeight"] > 0, chart
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["alt"] == figure.alt


def test_the_browser_shows_markup_in_text_as_text(page, report):
    assert page.document["title"] == report.title
    assert page.document["active"] == 0  # no script, frame, object, link or form came from the text
    assert ["H1", report.title] == page.document["headings"][0]


def test_print_rules_apply_at_a4_width(page, report):
    layout = page.print_layout
    assert layout["rows"] and set(layout["rows"]) == {"avoid"}
    assert layout["majorSections"] == ["page"] * len(report.sections)
    assert set(layout["theads"]) == {"table-header-group"}
    assert set(layout["figures"]) == {"avoid"}
    assert layout["wide"] == [], f"wider than an A4 page inside its margins: {layout['wide']}"


def test_the_report_prints_on_a4_with_each_major_section_on_a_new_page(page, report):
    pdf = browser.Pdf(page.pdf)
    sizes = pdf.page_sizes()
    assert len(sizes) == len(re.findall(rb"/Type\s*/Page\b(?!s)", page.pdf))
    for width, height in sizes:
        assert abs(width - browser.A4_POINTS[0]) < 1.5 and abs(height - browser.A4_POINTS[1]) < 1.5
    starts = [pdf.destinations()[f"sec-{k}"] for k in range(1, len(report.sections) + 1)]
    assert starts[0] == 1, "the findings and contents fill the first page; the first section starts the second"
    assert starts == sorted(set(starts)), f"sections share a page: {starts}"
    # The model description is several pages; every other section here fits on one.
    assert starts[:-1] == list(range(1, len(report.sections)))
    assert len(sizes) > starts[-1] + 1
    h1_pages = [pdf.pages_of(e) for e in pdf.struct_elements("H1")]
    assert h1_pages == [{0}]


def test_the_pdf_keeps_each_chart_s_alt_text(page, report):
    pdf = browser.Pdf(page.pdf)
    alts = {_pdf_text(e["Alt"]) for e in pdf.struct_elements("Figure") if "Alt" in e}
    for block in (b for s in report.sections for b in s.blocks if isinstance(b, Figure)):
        assert block.alt in alts


def _pdf_text(raw: bytes) -> str:
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def test_a_short_report_prints_one_page_for_its_findings_and_one_per_section(chromium, tmp_path):
    sections = [Section(f"Section {k}", [Paragraph(f"Paragraph {k}."),
                                         Table(f"Table {k}", pd.DataFrame({"n": [k, k + 1]}), {"n": "count"})])
                for k in (1, 2, 3)]
    path = report_html.write(Report("Short", "three sections", ["One finding."], sections), tmp_path / "short.html")
    result = browser.open_page(path)
    assert result.console_errors == []
    pdf = browser.Pdf(result.pdf)
    assert len(pdf.pages) == 4
    assert pdf.destinations() == {"sec-1": 1, "sec-2": 2, "sec-3": 3}


def test_a_long_table_repeats_its_header_and_never_splits_a_row(chromium, tmp_path):
    # Rows of five to six lines each, and one row taller than a page, which has to be split: it
    # shows that the check sees a split row when there is one.
    words = " ".join(["a long explanation of the figure that wraps"] * 6)
    labels = [f"{k}. {words}" for k in range(40)]
    labels[20] = " ".join(["a row taller than a page"] * 700)
    frame = pd.DataFrame({"Figure": labels, "Value": [k * 1.5 for k in range(40)]})
    report = Report("Long table", "", [], [Section("One table", [Table("Forty tall rows", frame, {"Value": "days"})])])
    result = browser.open_page(report_html.write(report, tmp_path / "long.html"))
    assert result.console_errors == []
    pdf = browser.Pdf(result.pdf)
    rows = pdf.struct_elements("TR")
    assert len(rows) == 41
    header = [r for r in rows if _is_header_row(pdf, r)]
    body = [r for r in rows if not _is_header_row(pdf, r)]
    table_pages = set().union(*(pdf.pages_of(r) for r in body))
    assert len(table_pages) >= 5, "the table should need several pages"
    spans = [len(pdf.pages_of(r)) for r in body]
    assert spans[20] >= 2, "a row taller than a page must be split, and the check must see it"
    assert spans[:20] + spans[21:] == [1] * 39, f"a row was split across two pages: {spans}"
    (head,) = header
    assert pdf.pages_of(head) == table_pages, "the header row is not repeated on every page of the table"


def _is_header_row(pdf: browser.Pdf, row: dict) -> bool:
    cells = [pdf.objects[k.number] for k in (row["K"] if isinstance(row["K"], list) else [row["K"]])]
    return all(any(a.get("Scope") == "Column" for a in c.get("A", []) if isinstance(a, dict)) for c in cells)


def test_the_browser_check_sees_a_broken_page(chromium, tmp_path):
    # The same checks on a page that is wrong in each way they look for: they must say so.
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><title>bad</title></head><body><h1>Bad</h1>"
                   "<img src=\"missing.png\" alt=\"gone\"><script>console.error('broken')</script>"
                   "<table><tr><td>1</td></tr></table></body></html>", encoding="utf-8")
    result = browser.open_page(bad)
    assert any("broken" in e for e in result.console_errors)
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in result.console_errors)
    (chart,) = result.charts
    assert chart["naturalWidth"] == 0 and not chart["decoded"]
    assert result.document["active"] == 1
    assert result.print_layout["rows"] == ["auto"] and result.print_layout["majorSections"] == []
    assert bad.resolve().parent.joinpath("missing.png").as_uri() in result.requests


# --------------------------------------------------------------------------- the HTML itself

def test_numbers_read_back_equal_the_tables(page_file):
    reader = read(page_file.read_text(encoding="utf-8"))
    for caption, frame, formats in (("Headline figures over the horizon", kpi_table(), None),
                                    (f"By quarter {NASTY}", quarter_table(), QUARTER_FORMATS)):
        table = table_by_caption(reader, caption)
        header, *rows = table["rows"]
        shown_columns = [c for c in frame.columns if c != "unit"]
        assert [text for _, _, text in header] == shown_columns
        assert len(rows) == len(frame)
        checked = 0
        for source, cells in zip(frame.to_dict("records"), rows):
            assert cells[0][0] == "th" and cells[0][2] == source[shown_columns[0]]
            for column, (tag, attrs, text) in zip(shown_columns[1:], cells[1:]):
                value = source[column]
                expected_format = formats[column] if formats else report_html.format_of_unit(source["unit"])
                assert attrs["data-format"] == expected_format
                exact = float(attrs["data-value"])
                assert exact == value or (math.isnan(exact) and math.isnan(value))
                number, tolerance = shown_number(text)
                if math.isnan(value):
                    assert math.isnan(number)
                else:
                    assert abs(number - value) <= tolerance, (column, text, value)
                    assert text.endswith("%") == (expected_format == "%")
                    assert text.startswith("£") == (expected_format == "pounds")
                checked += 1
        assert checked == len(frame) * (len(shown_columns) - 1)


def test_numbers_are_shown_for_people():
    f = report_html.format_value
    assert f(73.46, "%") == "73.5%"
    assert f(5499309.2, "pounds") == "£5,499,309"
    assert f(12.5, "pounds") == "£12.50"
    assert f(-1234.4, "pounds") == "-£1,234"
    assert f(22.66, "days") == "22.7"
    assert f(-0.04, "days") == "0.0"
    assert f(16485.0, "count") == "16,485" and f(80.8, "count") == "80.8"
    assert f(0.4531, "number") == "0.453" and f(1234.5, "number") == "1,234"
    assert f(float("nan"), "%") == report_html.MISSING and f(None, "days") == report_html.MISSING
    assert f(True, "text") == "yes"
    assert report_html.format_of_unit("working days") == "days"
    assert report_html.format_of_unit("cases per FTE") == "number"
    assert report_html.format_of_unit("children") == "count"
    with pytest.raises(ValueError, match="unknown cell format"):
        f(1.0, "furlongs")


def test_every_piece_of_text_is_escaped(page_file, report):
    text = page_file.read_text(encoding="utf-8")
    assert NASTY not in text
    assert "<script" not in text.lower()
    escaped = report_html.html.escape(NASTY, quote=True)
    # title (twice: <title> and <h1>), a finding, a paragraph, a note, a caption, an alt, a code caption
    assert text.count(escaped) >= 8
    # The running page header is a CSS string: no quote, backslash or "<" survives unescaped.
    header = re.search(r"@top-left \{ content: (\"[^\"]*\");", text).group(1)
    assert "<" not in header and "'" not in header and header.count('"') == 2


def test_the_html_refers_to_nothing_outside_itself(page_file):
    text = page_file.read_text(encoding="utf-8")
    reader = read(text)
    for tag, attrs in reader.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "base", "form"), tag
        for name in ("src", "href", "srcset", "action", "xlink:href", "poster", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:image/png;base64,", "data:image/svg+xml;base64,", "#")), (tag, name)
    assert "@import" not in text and "url(" not in text
    csp = [a["content"] for t, a in reader.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp == ["default-src 'none'; img-src data:; style-src 'unsafe-inline'"]
    # Inside the embedded SVG charts too: nothing is fetched from elsewhere.
    for tag, attrs in reader.tags:
        if tag == "img" and attrs["src"].startswith("data:image/svg+xml"):
            svg = base64.b64decode(attrs["src"].split(",", 1)[1]).decode("utf-8")
            assert not re.search(r"(?:href|src)\s*=\s*[\"'](?!#|data:)", svg)


def test_the_page_is_accessible_headings_captions_alt(page_file):
    reader = read(page_file.read_text(encoding="utf-8"))
    levels = [int(tag[1]) for tag, _ in reader.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    assert all(t["caption"].startswith("Table ") for t in reader.tables)
    images = [a for t, a in reader.tags if t == "img"]
    assert images and all(a.get("alt") for a in images)
    assert [a["lang"] for t, a in reader.tags if t == "html"] == ["en-GB"]


def test_the_same_report_gives_the_same_bytes(report, page_file, tmp_path):
    again = report_html.write(report, tmp_path / "again.html")
    assert again == tmp_path / "again.html"
    assert again.read_bytes() == page_file.read_bytes() == report_html.render(report).encode("utf-8")
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_blocks_are_refused_with_one_sentence(tmp_path, charts):
    with pytest.raises(InputError, match=r"Chart file '.*nowhere\.svg' cannot be read"):
        report_html.render(Report("t", sections=[Section("s", [Figure("c", tmp_path / "nowhere.svg", "alt")])]))
    (tmp_path / "chart.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(InputError, match=r"not a \.svg or \.png file"):
        report_html.render(Report("t", sections=[Section("s", [Figure("c", tmp_path / "chart.jpg", "alt")])]))
    (tmp_path / "fake.png").write_text("<svg/>")
    with pytest.raises(InputError, match="is not a PNG image"):
        report_html.render(Report("t", sections=[Section("s", [Figure("c", tmp_path / "fake.png", "alt")])]))
    with pytest.raises(ValueError, match="alt text"):
        report_html.render(Report("t", sections=[Section("s", [Figure("c", charts["png"], " ")])]))
    frame = pd.DataFrame({"a": [1.0]})
    with pytest.raises(ValueError, match="unknown format 'furlongs'"):
        report_html.render(Report("t", sections=[Section("s", [Table("c", frame, {"a": "furlongs"})])]))
    with pytest.raises(ValueError, match="has no column 'b'"):
        report_html.render(Report("t", sections=[Section("s", [Table("c", frame, {"b": "%"})])]))


# --------------------------------------------------------------------------- the model description

def _all_text(section: Section) -> str:
    parts = [section.heading]
    for block in section.blocks:
        if isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Bullets):
            parts.extend(block.items)
        elif isinstance(block, Code):
            parts.append(block.text)
        elif isinstance(block, Table):
            parts.append(block.caption + " " + block.frame.to_string() + " " + block.note)
    parts.extend(_all_text(s) for s in section.subsections)
    return "\n".join(parts)


def test_the_model_description_follows_stress_des(run):
    config, manifest = run
    section = stress_des.model_description(config, manifest)
    assert [s.heading for s in section.subsections] == [
        "1. Objectives", "2. Logic", "3. Data", "4. Experimentation", "5. Implementation", "6. Code access"]
    assert [len(s.subsections) for s in section.subsections] == [3, 5, 4, 3, 4, 1]
    for item, sub in zip(range(1, 7), section.subsections):
        assert all(s.heading.startswith(f"{item}.") for s in sub.subsections)


def test_the_model_description_says_what_this_run_was(run):
    config, manifest = run
    text = _all_text(stress_des.model_description(config, manifest))
    assert f"{manifest['replications']} replications (seed {config['seed']}" in text
    assert f"A warm-up of {config['warmup_months']} months ({manifest['warmup']['warmup_days']} days)" in text
    assert "from 1 April 2023 to 1 July 2023" in text and "3 months, in the financial-year quarter 2023-24 Q1" in text
    assert manifest["git"]["commit"] in text
    assert f"SimPy {manifest['versions']['simpy']}" in text and f"Python {manifest['versions']['python']}" in text
    assert "Licence: MIT." in text
    assert f"{config['service']['demand']['contacts_per_year']:,.0f} a year" in text
    assert f"DfE year {config['service']['calibration']['year']}" in text
    assert "Nottingham (DfE code 892)" in text
    posts = sum(g["count"] for g in config["service"]["workforce"]["mash"]["groups"])
    assert f"The MASH ({posts} posts" in text
    assert " ".join(manifest["command"][1:]) in text  # the command to reproduce it
    for key in (*kpis.HEADLINE, *kpis.QUEUE_TREND):
        assert kpis.label(key) in text


def test_the_model_description_reads_the_years_from_the_dfe_tables(run):
    from sim.reference import published

    config, manifest = run
    data = stress_des.model_description(config, manifest).subsections[2]
    (table,) = [b for b in data.subsections[0].blocks if isinstance(b, Table)]
    years = dict(zip(table.frame.iloc[:, 0], table.frame["Years"]))
    assert set(years) == set(published.FILES)
    for file in published.FILES:
        found = published.years(file)
        if found:
            assert years[file].startswith(str(found[0])) and years[file].endswith(str(found[-1]))


def test_the_model_description_names_the_funding_actions(run):
    config, manifest = run
    config = json.loads(json.dumps(config))  # a copy
    config["service"]["funding"] = [
        {"date": "2022-11-01", "action": "add_posts", "team": "mash", "count": 8, "funding": "temporary",
         "fill_with": "permanent", "until": "2024-10-31", "name": ""},
        {"date": "2023-07-01", "action": "retention_package", "until": "2025-06-30", "turnover_multiplier": 0.75,
         "cost": 702000, "name": "recruitment_and_retention_2023"}]
    text = _all_text(stress_des.model_description(config, manifest))
    assert ("From 1 November 2022: 8 temporary posts added to the MASH team, recruited with permanent workers, "
            "funded to the end of 31 October 2024.") in text
    assert "From 1 July 2023 to the end of 30 June 2025: a retention package (recruitment_and_retention_2023)" in text
    assert "£702,000" in text


def test_a_model_description_needs_a_complete_run(run):
    config, manifest = run
    broken = {k: v for k, v in config.items() if k != "seed"}
    with pytest.raises(InputError, match="config.yaml has no 'seed'"):
        stress_des.model_description(broken, manifest)


def test_a_missing_browser_is_installed_or_named_never_skipped(monkeypatch, tmp_path):
    missing = tmp_path / "bin" / "chromium"
    monkeypatch.setattr(browser, "CHROMIUM", str(missing))
    failing = tmp_path / "install-fails"
    failing.write_text("echo 'apt-get: no package list' >&2\nexit 100\n")
    monkeypatch.setattr(browser, "INSTALL", failing)
    with pytest.raises(RuntimeError, match=r"missing at .*chromium and .*install-fails did not install it "
                                           r"\(exit status 100\): apt-get: no package list"):
        browser.chromium()
    installing = tmp_path / "install-works"
    installing.write_text(f"mkdir -p {missing.parent}\nprintf '#!/bin/sh\\n' > {missing}\nchmod +x {missing}\n")
    monkeypatch.setattr(browser, "INSTALL", installing)
    assert browser.chromium() == str(missing)
