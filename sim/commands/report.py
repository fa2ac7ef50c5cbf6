"""``caseflow report <folder>``: rebuild a finished folder's workbook, charts and HTML report
from what it holds, without running the model again."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..inputs import InputError
from ..inputs.errors import shown

USAGE = """usage: caseflow report FOLDER

Rebuilds the reports of a folder caseflow wrote (a forecast run, a comparison, a validation
or a sweep) from its own tables, without running anything: workbook.xlsx, the charts in
charts/ and report.html (docs/outputs.md).  Runs and comparisons make them by themselves
unless report=false was set.

example: caseflow report results/temporary_funding/2026-12-01_10-00-00"""


def main(argv: Sequence[str]) -> None:
    """Check the folder, rebuild its reports, say what was written."""
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return
    if len(argv) != 1 or "=" in argv[0] or argv[0].startswith("-"):
        raise InputError("caseflow report takes one folder that caseflow wrote, e.g. caseflow report "
                         "results/default/2026-12-01_10-00-00")
    folder = Path(argv[0])
    if not folder.is_dir():
        raise InputError(f"The folder {shown(argv[0])} does not exist: give a folder caseflow wrote, e.g. "
                         "results/default/<timestamp>")
    from ..reports.build import NotAReportFolder, make_reports

    try:
        written = make_reports(folder)
    except NotAReportFolder as e:
        raise InputError(str(e)[0].upper() + str(e)[1:]) from None
    for path in written:
        print(f"Wrote {path}")
