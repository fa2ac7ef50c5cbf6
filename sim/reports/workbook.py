"""Excel workbooks (openpyxl): one table per sheet, defined as an Excel table, with frozen
header rows, units in the headers, number formats and column widths that fit.

The sheets are made by ``sim.reports.build`` from a folder's tables; this module only lays
them out.  A cell holds the table's own number, except percentages: the tables keep them in
percent (80.9), the workbook in Excel's own form (0.809, shown as 80.9%), so that a
spreadsheet formula over the column means what it says.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

# unit -> Excel number format.  Counts averaged over replications are fractional: one decimal.
FORMATS = {
    "%": "0.0%",
    "pounds": '"£"#,##0',
    "days": "0.0",
    "working days": "0.0",
    "count": "#,##0.0",
    "integer": "#,##0",
    "number": "#,##0.0##",
    "date": "yyyy-mm-dd",
    "text": "@",
}
MAX_WIDTH = 60
HEADER_WIDTH = 28  # a long header wraps at this width rather than widening its column


@dataclass(frozen=True)
class Sheet:
    """One sheet: a table, the title above it and a unit per column (keys of ``FORMATS``;
    columns not named are text or plain numbers)."""

    name: str
    table: pd.DataFrame
    title: str = ""
    units: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()   # sentences between the title and the table
    row_unit: str | None = None   # a column holding each row's unit, for the number columns ``units`` does not name

    def unit(self, column: str, record: dict) -> str | None:
        """The unit of one cell."""
        if column in self.units:
            return self.units[column]
        if self.row_unit is not None and column != self.row_unit:
            value = record.get(self.row_unit)
            return unit_of(str(value)) if value is not None else None
        return None


def unit_of(kpi_unit: str) -> str | None:
    """The workbook unit for a KPI registry unit ("%", "days", "pounds", "children", ...)."""
    if kpi_unit in ("%", "pounds", "days", "working days"):
        return kpi_unit
    if not kpi_unit or kpi_unit in ("text", "nan"):
        return None
    return "count"


def excel_value(value: object, unit: str | None) -> object:
    """The cell value for a table value: percentages as fractions, NaN as an empty cell."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars -> Python
    if isinstance(value, float) and math.isnan(value):
        return None
    if unit == "%" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value / 100.0
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def table_value(cell_value: object, unit: str | None) -> object:
    """The inverse of ``excel_value``: what the source table held (for reading a workbook back)."""
    if unit == "%" and isinstance(cell_value, (int, float)) and not isinstance(cell_value, bool):
        return cell_value * 100.0
    return cell_value


def sheet_name(name: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Sheet"
    out, k = base, 2
    while out.lower() in taken:
        suffix = f" ({k})"
        out, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(out.lower())
    return out


def _table_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", name) or "Table"
    if not re.match(r"[A-Za-z_]", base):
        base = "T_" + base
    out, k = base[:200], 2
    while out.lower() in taken:
        out, k = f"{base[:196]}_{k}", k + 1
    taken.add(out.lower())
    return out


def _shown_width(value: object, unit: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        if unit == "%":
            return len(f"{value * 100:.1f}%")
        if unit == "pounds":
            return len(f"£{value:,.0f}")
        return len(f"{value:,.1f}")
    if isinstance(value, int) and not isinstance(value, bool):
        return len(f"{value:,}")
    if isinstance(value, (dt.date, dt.datetime)):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def unique_headers(columns: Sequence[str]) -> list[str]:
    """Column headers made unique (an Excel table needs them so): repeats get " (2)", ..."""
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        text = str(c) if str(c).strip() else "column"
        n = seen.get(text.lower(), 0) + 1
        seen[text.lower()] = n
        out.append(text if n == 1 else f"{text} ({n})")
    return out


def _cells(sheet: Sheet) -> tuple[list[str], list[list[tuple[object, str | None]]]]:
    """The sheet's headers and, per row, each cell's value as Excel holds it and its format."""
    frame = sheet.table
    columns = [str(c) for c in frame.columns]
    units = [sheet.units.get(c) for c in columns]
    rows = []
    for record in frame.to_numpy(dtype=object):
        as_dict = dict(zip(columns, record)) if sheet.row_unit else {}
        row = []
        for j, (column, value) in enumerate(zip(columns, record)):
            unit = sheet.unit(column, as_dict) if sheet.row_unit else units[j]
            if isinstance(value, str) and unit not in (None, "text"):
                unit = None  # a word in a number column (a period's name, "-")
            v = excel_value(value, unit)
            if v is None or isinstance(v, str):
                fmt = None
            elif unit in FORMATS:
                fmt = FORMATS[unit]
            else:
                fmt = FORMATS["number"] if isinstance(v, float) else None
            row.append((v, fmt, unit))
        rows.append(row)
    return unique_headers(columns), rows


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to ``path`` (an .xlsx file), each as one Excel table; returns the path.

    Written in openpyxl's write-only mode (rows streamed, about ten times faster than building
    the sheets in memory: a long explain list has a million cells), so each sheet's column
    widths are measured before its rows are written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    book = Workbook(write_only=True)
    names: set[str] = set()
    tables: set[str] = set()
    for sheet in sheets:
        ws = book.create_sheet(sheet_name(sheet.name, names))
        headers, rows = _cells(sheet)
        widths = [min(len(h), HEADER_WIDTH) for h in headers]
        for row in rows:
            for j, (v, _fmt, unit) in enumerate(row):
                widths[j] = max(widths[j], _shown_width(v, unit))
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, w + 2)
        header_row = 1 + bool(sheet.title) + len(sheet.notes) + bool(sheet.title or sheet.notes)
        ws.freeze_panes = f"A{header_row + 1}"
        longest = max((len(h) for h in headers), default=0)
        if longest > HEADER_WIDTH:  # wrapped headers: room for their lines
            ws.row_dimensions[header_row].height = 15 * min(6, math.ceil(longest / HEADER_WIDTH))
        if sheet.title:
            title = WriteOnlyCell(ws, value=sheet.title)
            title.font = Font(bold=True, size=14)
            ws.append([title])
        for note in sheet.notes:
            ws.append([note])
        if sheet.title or sheet.notes:
            ws.append([])  # a blank row between the words and the table
        head = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            head.append(cell)
        ws.append(head)
        for row in rows:
            out = []
            for v, fmt, _unit in row:
                if fmt is None:
                    out.append(v)
                else:
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = fmt
                    out.append(cell)
            ws.append(out)
        if not rows:  # an Excel table needs a data row
            ws.append([None])
        last_row = header_row + max(len(rows), 1)
        ref = f"A{header_row}:{get_column_letter(max(1, len(headers)))}{last_row}"
        table = Table(displayName=_table_name(sheet.name, tables), ref=ref)
        table.tableColumns = [TableColumn(id=k, name=h) for k, h in enumerate(headers, start=1)]
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        with warnings.catch_warnings():  # openpyxl warns in write-only mode whether or not the columns are given
            warnings.filterwarnings("ignore", "In write-only mode you must add table columns manually")
            ws.add_table(table)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    book.save(tmp)
    tmp.replace(path)
    return path


def read_sheet(path: Path, name: str) -> tuple[list[str], list[list[object]]]:
    """A sheet's table read back: its headers and rows (for tests and checks)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=False)
    ws = book[name]
    (table,) = ws.tables.values()
    rows = [[c.value for c in r] for r in ws[table.ref]]
    return [str(h) for h in rows[0]], rows[1:]
