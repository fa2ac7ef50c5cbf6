"""Replay: the state rebuilt from the log equals the simulation's own final state."""
from __future__ import annotations

import datetime as dt

from sim.log import SCHEMA, read_parquet, table_to_events, write_parquet
from sim.state import replay


def test_replay_of_live_log_equals_final_state(baseline_run):
    _, service = baseline_run
    live = service.snapshot()
    assert replay(service.log) == live
    # The test is only meaningful if the end state is busy.
    assert sum(len(q) for q in live.queues.values()) > 0
    assert len(live.cases) > 500


def test_replay_from_parquet_equals_final_state(baseline_run, tmp_path):
    cfg, service = baseline_run
    table = service.log.to_table(0, dt.date.fromisoformat(cfg.start_date))
    assert table.schema.equals(SCHEMA)
    write_parquet(table, tmp_path / "events.parquet")
    back = read_parquet(tmp_path / "events.parquet")
    assert back.num_rows == len(service.log)
    assert replay(table_to_events(back)) == service.snapshot()


def test_replay_notices_a_missing_event(baseline_run):
    _, service = baseline_run
    events = list(service.log)
    held = set().union(*service.snapshot().caseloads.values())
    # The last allocation of a case still held at the end: without it the replay must differ.
    drop = max(i for i, e in enumerate(events) if e.name == "allocated" and e.case_id in held)
    assert replay(events[:drop] + events[drop + 1:]) != service.snapshot()
