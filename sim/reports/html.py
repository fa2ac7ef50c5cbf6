"""One self-contained HTML report: a small document model and its renderer.

A report is built from plain pieces (:class:`Report`, :class:`Section` and the blocks
:class:`Paragraph`, :class:`Bullets`, :class:`Table`, :class:`Figure`, :class:`Code`) and
:func:`render` turns it into one HTML file that needs nothing else: the styles are inline,
charts are embedded as ``data:`` URIs of their PNG or SVG files, there are no scripts, fonts
or links to other files, and a Content-Security-Policy forbids the browser to fetch anything.
It reads on a screen and prints to A4 (``@page``), with the title and page numbers in the page
margins, each major section on a new page, table rows that are never split and charts scaled
to the page width (docs/report.md).

Every number a person reads can be read back: a numeric cell carries the table's own value in
``data-value`` (``repr`` of the float, exact) and its format in ``data-format``.  All text is
escaped.  The same report gives the same bytes: nothing here reads the clock or the machine.
"""
from __future__ import annotations

import base64
import html
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence, Union

import pandas as pd

from sim.inputs.errors import InputError, shown

#: Cell formats: "%" (values in percent, 0-100), "pounds", "days" (one decimal), "count"
#: (thousands separators; one decimal when not whole, as counts averaged over replications
#: are), "integer", "number" (caseflow's terminal rule: no decimals from 100, one from 1, three
#: below) and "text" (shown as it is).
FORMATS: tuple[str, ...] = ("%", "pounds", "days", "count", "integer", "number", "text")
MISSING = "\u2013"  # an en dash: a figure with no value (a percentage of nothing, say)
MAX_DEPTH = 5       # h2 for a major section down to h6

_NUMERIC = frozenset(FORMATS) - {"text"}


# --------------------------------------------------------------------------- the document model

@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text (escaped; no markup)."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A list of short sentences."""

    items: Sequence[str]


@dataclass(frozen=True, eq=False)
class Table:
    """A table with a caption; ``formats`` names each column's format (:data:`FORMATS`).

    Columns not named are ``"number"`` if numeric and ``"text"`` otherwise.  With
    ``unit_column`` set (a column of KPI units, as summary.csv's rows have), numeric columns not
    named in ``formats`` take each row's format from that row's unit (:func:`format_of_unit`).
    ``hide`` lists columns used for formats but not shown.  The frame's index is not shown: put
    row labels in a column (a first text column is the row header).
    """

    caption: str
    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    unit_column: str | None = None
    hide: Sequence[str] = ()
    note: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart from a ``.svg`` or ``.png`` file, embedded in the page, with its alt text."""

    caption: str
    path: Union[str, Path]
    alt: str


@dataclass(frozen=True)
class Code:
    """Text shown as it is, in a fixed-width font: a command to reproduce the run, say."""

    text: str
    caption: str = ""


Block = Union[Paragraph, Bullets, Table, Figure, Code]


@dataclass(frozen=True)
class Section:
    """A heading, its blocks, then its subsections (a major section starts a printed page)."""

    heading: str
    blocks: Sequence[Block] = ()
    subsections: Sequence["Section"] = ()


@dataclass(frozen=True)
class Report:
    """The whole report: a title page with the findings and contents, then the sections."""

    title: str
    subtitle: str = ""
    findings: Sequence[str] = ()
    sections: Sequence[Section] = ()


# --------------------------------------------------------------------------- numbers for people

def format_of_unit(kpi_unit: str | None) -> str:
    """The cell format for a KPI registry unit (``sim.kpis``: "%", "days", "pounds", ...)."""
    if kpi_unit in ("%", "pounds", "days"):
        return kpi_unit
    if kpi_unit == "working days":
        return "days"
    if kpi_unit and "per" in kpi_unit.split():  # "cases per FTE", "changes per child": small ratios
        return "number"
    return "count"


def _finite(value: object) -> float | None:
    """The value as a float, or None for a missing one (None, NaN, pandas' NA)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def format_value(value: object, fmt: str) -> str:
    """``value`` as a person reads it in a ``fmt`` cell (:data:`FORMATS`); an en dash if missing.

    73.46 as "%" is "73.5%", 5499309.2 as "pounds" is "£5,499,309", 22.66 as "days" is "22.7",
    80.8 as "count" is "80.8" and 16485.0 is "16,485".  Exactly zero is "0" ("0%", "£0"); never
    "-0.0": a value that rounds to zero shows no sign.
    """
    if fmt == "text":
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)
    if fmt not in _NUMERIC:
        raise ValueError(f"unknown cell format {fmt!r}: use one of {', '.join(FORMATS)}")
    number = _finite(value)
    if number is None:
        return MISSING
    if math.isinf(number):
        return ("-" if number < 0 else "") + "\u221e"
    if number == 0:  # exactly zero says 0 (a difference of nothing is not "0.0")
        return {"%": "0%", "pounds": "£0"}.get(fmt, "0")
    if fmt == "%":
        return _signed(number, "{:,.1f}", suffix="%")
    if fmt == "days":
        return _signed(number, "{:,.1f}")
    if fmt == "pounds":
        return _signed(number, "{:,.0f}" if abs(number) >= 100 else "{:,.2f}", prefix="£")
    if fmt == "integer":
        return _signed(number, "{:,.0f}")
    if fmt == "count":
        return _signed(number, "{:,.0f}" if number == round(number) else "{:,.1f}")
    # "number": the terminal's rule (sim.report.fmt_number), kept here so that a report never
    # depends on how the terminal chooses to print.
    if abs(number) >= 100:
        return _signed(number, "{:,.0f}")
    return _signed(number, "{:,.1f}" if abs(number) >= 1 else "{:,.3f}")


def _signed(number: float, pattern: str, prefix: str = "", suffix: str = "") -> str:
    """``pattern`` applied to the magnitude, a "-" in front only if something non-zero shows."""
    text = pattern.format(abs(number))
    negative = number < 0 and any(ch in "123456789" for ch in text)
    return f"{'-' if negative else ''}{prefix}{text}{suffix}"


def raw_value(value: object) -> str:
    """The exact value for ``data-value``: ``repr`` of the float ("NaN" when missing)."""
    number = _finite(value)
    return "NaN" if number is None else repr(number)


# --------------------------------------------------------------------------- rendering

def render(report: Report) -> str:
    """The report as one self-contained HTML document (the same report, the same text)."""
    _check_text("the report's title", report.title)
    out: list[str] = []
    counters = {"table": 0, "figure": 0}
    contents = _contents(report.sections)
    out.append("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               # The browser itself refuses to fetch anything: only this file and its data: URIs.
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "img-src data:; style-src 'unsafe-inline'\">\n"
               f"<title>{_esc(report.title)}</title>\n<style>\n{_css(report.title)}</style>\n"
               "</head>\n<body>\n")
    out.append(f"<header class=\"report-header\">\n<h1 id=\"top\">{_esc(report.title)}</h1>\n")
    if report.subtitle:
        out.append(f"<p class=\"subtitle\">{_esc(report.subtitle)}</p>\n")
    out.append("</header>\n<main>\n")
    if report.findings:
        out.append("<section class=\"findings\" aria-labelledby=\"findings\">\n"
                   "<h2 id=\"findings\">Findings</h2>\n<ul>\n")
        out.extend(f"<li>{_esc(sentence)}</li>\n" for sentence in report.findings)
        out.append("</ul>\n</section>\n")
    if contents:
        out.append("<nav class=\"contents\" aria-labelledby=\"contents\">\n"
                   f"<h2 id=\"contents\">Contents</h2>\n{contents}</nav>\n")
    for number, section in enumerate(report.sections, start=1):
        out.append(_section(section, f"sec-{number}", 0, counters))
    out.append("</main>\n</body>\n</html>\n")
    return "".join(out)


def write(report: Report, path: Union[str, Path]) -> Path:
    """Write the rendered report to ``path`` (UTF-8), replacing it whole; returns the path."""
    path = Path(path)
    text = render(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so that a reader never sees half a report.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _check_text(what: str, text: object) -> None:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{what} must be a non-empty string, not {text!r}")


def _contents(sections: Sequence[Section], prefix: str = "sec") -> str:
    """The contents list: a link to every section (which also gives the PDF its destinations)."""
    if not sections:
        return ""
    items = []
    for number, section in enumerate(sections, start=1):
        anchor = f"{prefix}-{number}"
        inner = _contents(section.subsections, anchor) if prefix == "sec" else ""
        items.append(f"<li><a href=\"#{anchor}\">{_esc(section.heading)}</a>{inner}</li>\n")
    return "<ol>\n" + "".join(items) + "</ol>\n"


def _section(section: Section, anchor: str, depth: int, counters: dict[str, int]) -> str:
    _check_text("a section's heading", section.heading)
    if depth > MAX_DEPTH - 1:
        raise ValueError(f"section '{section.heading}' is nested deeper than h{MAX_DEPTH + 1}")
    level = depth + 2
    kind = "major" if depth == 0 else "minor"
    out = [f"<section class=\"{kind}\" id=\"{anchor}\" aria-labelledby=\"{anchor}-h\">\n",
           f"<h{level} id=\"{anchor}-h\">{_esc(section.heading)}</h{level}>\n"]
    out.extend(_block(block, counters) for block in section.blocks)
    for number, sub in enumerate(section.subsections, start=1):
        out.append(_section(sub, f"{anchor}-{number}", depth + 1, counters))
    out.append("</section>\n")
    return "".join(out)


def _block(block: Block, counters: dict[str, int]) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_esc(block.text)}</p>\n"
    if isinstance(block, Bullets):
        return "<ul>\n" + "".join(f"<li>{_esc(item)}</li>\n" for item in block.items) + "</ul>\n"
    if isinstance(block, Code):
        label = f"<p class=\"code-caption\">{_esc(block.caption)}</p>\n" if block.caption else ""
        return f"{label}<pre class=\"code\"><code>{_esc(block.text)}</code></pre>\n"
    if isinstance(block, Table):
        counters["table"] += 1
        return _table(block, counters["table"])
    if isinstance(block, Figure):
        counters["figure"] += 1
        return _figure(block, counters["figure"])
    raise TypeError(f"not a report block: {type(block).__name__}")


def _column_formats(table: Table) -> dict[str, str]:
    """Each shown column's format: "text", a code of :data:`FORMATS`, or "unit" (by row)."""
    frame = table.frame
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"table '{table.caption}' has two columns of the same name")
    for name in [*table.formats, *table.hide, *([table.unit_column] if table.unit_column else [])]:
        if name not in names:
            raise ValueError(f"table '{table.caption}' has no column '{name}'")
    formats: dict[str, str] = {}
    for column in frame.columns:
        name = str(column)
        if name in table.hide:
            continue
        fmt = table.formats.get(name)
        if fmt is None:
            numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
                frame[column])
            fmt = ("unit" if table.unit_column else "number") if numeric else "text"
        elif fmt not in FORMATS:
            raise ValueError(f"table '{table.caption}', column '{name}': unknown format {fmt!r}; "
                             f"use one of {', '.join(FORMATS)}")
        formats[name] = fmt
    return formats


def _table(table: Table, number: int) -> str:
    _check_text("a table's caption", table.caption)
    formats = _column_formats(table)
    frame = table.frame
    shown_columns = [c for c in frame.columns if str(c) in formats]
    units = frame[table.unit_column].tolist() if table.unit_column else [None] * len(frame)
    head = []
    for column in shown_columns:
        cls = " class=\"num\"" if formats[str(column)] != "text" else ""
        head.append(f"<th scope=\"col\"{cls}>{_esc(column)}</th>")
    rows = []
    row_header = bool(shown_columns) and formats[str(shown_columns[0])] == "text"
    for i, values in enumerate(frame[shown_columns].itertuples(index=False, name=None)):
        cells = []
        for j, (column, value) in enumerate(zip(shown_columns, values)):
            fmt = formats[str(column)]
            if fmt == "unit":
                fmt = format_of_unit(None if units[i] is None else str(units[i]))
            if fmt == "text":
                tag = "th scope=\"row\"" if (j == 0 and row_header) else "td"
                cells.append(f"<{tag}>{_esc(format_value(value, 'text'))}</{tag.split()[0]}>")
            else:
                cells.append(f"<td class=\"num\" data-value=\"{raw_value(value)}\" "
                             f"data-format=\"{_esc(fmt)}\">{_esc(format_value(value, fmt))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>\n")
    note = f"<p class=\"table-note\">{_esc(table.note)}</p>\n" if table.note else ""
    return (f"<div class=\"table\">\n<table id=\"table-{number}\">\n"
            f"<caption>Table {number}: {_esc(table.caption)}</caption>\n"
            f"<thead><tr>{''.join(head)}</tr></thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n"
            f"{note}</div>\n")


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chart_uri(path: Union[str, Path]) -> str:
    """A chart file as a ``data:`` URI (``.svg`` or ``.png``, checked to be one)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise InputError(f"Chart file '{shown(path, 240)}' is not a .svg or .png file; a report embeds only those.")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"Chart file '{shown(path, 240)}' cannot be read ({e.strerror}); "
                         "a report needs every chart it shows.") from None
    if suffix == ".png" and not data.startswith(_PNG_MAGIC):
        raise InputError(f"Chart file '{shown(path, 240)}' is not a PNG image.")
    if suffix == ".svg" and b"<svg" not in data[:4096]:
        raise InputError(f"Chart file '{shown(path, 240)}' is not an SVG image.")
    mime = "image/png" if suffix == ".png" else "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _figure(figure: Figure, number: int) -> str:
    _check_text("a figure's caption", figure.caption)
    _check_text(f"figure '{figure.caption}''s alt text", figure.alt)
    return (f"<figure id=\"figure-{number}\">\n"
            f"<img src=\"{chart_uri(figure.path)}\" alt=\"{_esc(figure.alt)}\">\n"
            f"<figcaption>Figure {number}: {_esc(figure.caption)}</figcaption>\n</figure>\n")


def _css_string(text: str) -> str:
    """``text`` as a CSS string: everything but ASCII letters and digits hex-escaped (six digits,
    so no delimiter is needed), so that nothing in a title can end the string or the style element."""
    return "\"" + "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}" for ch in text) + "\""


def _css(title: str) -> str:
    return _CSS + (
        "@page {\n  size: A4;\n  margin: 20mm 16mm 18mm 16mm;\n"
        f"  @top-left {{ content: {_css_string(title)}; font: 8pt {_SANS}; color: #555; }}\n"
        f"  @bottom-right {{ content: \"Page \" counter(page) \" of \" counter(pages); font: 8pt {_SANS}; "
        "color: #555; }\n}\n"
        "@page :first {\n  @top-left { content: none; }\n}\n")


# Fonts the reader's machine has: nothing is downloaded.
_SANS = "system-ui, \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, \"Liberation Sans\", sans-serif"
_MONO = "ui-monospace, \"DejaVu Sans Mono\", \"Liberation Mono\", Menlo, Consolas, monospace"

_CSS = f"""\
:root {{ color-scheme: light; }}
body {{ font-family: {_SANS}; line-height: 1.45; color: #1b1b1b; background: #fff;
  max-width: 58rem; margin: 0 auto; padding: 1.5rem; }}
h1 {{ font-size: 1.8rem; line-height: 1.2; margin: 0 0 .3rem; }}
.subtitle {{ color: #444; margin: 0 0 1.2rem; font-size: 1.05rem; }}
h2 {{ font-size: 1.35rem; margin: 2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid #1d4f91; }}
h3 {{ font-size: 1.12rem; margin: 1.4rem 0 .4rem; }}
h4, h5, h6 {{ font-size: 1rem; margin: 1rem 0 .3rem; }}
p, ul, ol {{ margin: .4rem 0 .8rem; }}
.findings li {{ margin: .35rem 0; }}
nav.contents ol {{ padding-left: 1.4rem; }}
nav.contents ol ol {{ list-style: lower-alpha; }}
a {{ color: #1d4f91; }}
.table {{ overflow-x: auto; margin: .8rem 0 1.3rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
caption {{ caption-side: top; text-align: left; font-weight: 600; padding-bottom: .4rem; }}
th, td {{ padding: .28rem .5rem; border-bottom: 1px solid #d3d3d3; text-align: left; vertical-align: top; }}
thead th {{ background: #eef1f6; border-bottom: 2px solid #555; vertical-align: bottom; }}
tbody th {{ font-weight: normal; }}
.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
thead th.num, thead th {{ white-space: normal; }}  /* a long figure's name wraps in its header */
td:not(.num), th:not(.num) {{ overflow-wrap: anywhere; }}  /* long names (service.workforce...) break */
.table-note, .code-caption {{ font-size: .85rem; color: #444; margin: .3rem 0; }}
figure {{ margin: 1rem 0 1.5rem; }}
figure img {{ display: block; width: 100%; max-width: 46rem; height: auto; margin: 0 auto; object-fit: contain; }}
figcaption {{ font-size: .9rem; color: #333; margin-top: .4rem; }}
pre.code {{ font-family: {_MONO}; font-size: .85rem; background: #f4f4f4; border-left: 3px solid #1d4f91;
  padding: .6rem .8rem; white-space: pre-wrap; overflow-wrap: anywhere; }}
@media print {{
  body {{ max-width: none; margin: 0; padding: 0; font-size: 10pt; }}
  h1 {{ font-size: 20pt; }}
  h2 {{ font-size: 14pt; margin-top: 0; }}
  section.major {{ break-before: page; }}
  h2, h3, h4, h5, h6, caption, .code-caption {{ break-after: avoid; }}
  tr, figure, pre.code {{ break-inside: avoid; }}
  thead {{ display: table-header-group; }}
  .table {{ overflow: visible; }}
  table {{ font-size: 8pt; }}
  th, td {{ padding: 2pt 3pt; }}
  td:first-child, tbody th {{ min-width: 28mm; }}
  figure img {{ max-width: 100%; max-height: 170mm; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""
