"""``start_from=FOLDER``: a run that starts from the council's records.

The run starts on the extract's date (the day after its last records) unless ``start_date`` is
given on the command line (then the records' state at the start of that day), with no warm-up:
the records are the state.  A scenario's own dates (its ``start_date`` and funding actions) move
with the start, by whole months, so that "eight posts from the seventh month, for two years"
means the same from the records' day as from the scenario's own.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..config import add_months, parse_date
from .errors import InputError, shown


def from_records(raw, typed_keys: set[str], own_start: str) -> list[str]:
    """Set ``raw`` (the composed configuration, before typing) to start from its ``start_from``
    extract; ``own_start`` is the scenario's own start date (its funding dates are relative to it).
    What was assumed, one sentence each (``InputError`` or ``ExtractError`` if refused)."""
    from ..extracts.opening import opening_for

    if not str(raw.start_from).strip():
        raise InputError("Config key 'start_from' is empty but must be the folder holding the council's ssd_*.csv "
                         "extract, e.g. start_from=examples/ssd_extract")
    folder = Path(str(raw.start_from)).expanduser()
    if not folder.is_dir():
        raise InputError(f"Config key 'start_from' is '{shown(raw.start_from)}', which is not a folder: give the "
                         "folder holding the council's ssd_*.csv extract")
    raw.start_from = str(folder.resolve())
    if "warmup_months" in typed_keys and int(raw.warmup_months) != 0:
        raise InputError(f"Config key 'warmup_months' is {raw.warmup_months} but must be 0 with start_from: the "
                         "records are the state the run starts from")
    scenario_start = parse_date("start_date", own_start)
    opening = opening_for(folder)  # at the extract's date: reads and checks the whole extract
    first = dt.date.fromisoformat(opening.extract_days[0])
    notes = []
    if "start_date" in typed_keys:
        day = parse_date("start_date", str(raw.start_date))
        if not (first < day <= opening.date):
            raise InputError(f"Config key 'start_date' is {day} but with start_from it must fall after the extract's "
                             f"first day ({first}) and no later than its date ({opening.date}, the day after its last "
                             "records)")
    else:
        day = opening.date
    raw.start_date = day.isoformat()
    raw.warmup_months = 0
    months = (day.year - scenario_start.year) * 12 + (day.month - scenario_start.month)
    moved = []
    for action in raw.service.funding:
        for key in ("date", "until"):
            if action.get(key):
                old = parse_date(key, str(action[key]))
                action[key] = add_months(old, months).isoformat()
                moved.append((old, action[key]))
    if moved and months:
        notes.append(f"the scenario's funding dates moved {months:+d} months with its start (from {scenario_start} to "
                     f"{day}): {moved[0][0]} is now {moved[0][1]}")
    records = opening_for(folder, day)
    summary = records.summary()
    notes.append(f"starting from the records on {day}: {summary['open_cases']:,} open cases, "
                 f"{summary['contacts_at_mash']:,} contacts at the MASH, "
                 f"{sum(summary['workers'].values()):,} social workers in post")
    return notes + list(records.notes)
