"""Starting from the council's records (``start_from=``): the first simulated instant holds the
extract's open cases, queues and caseloads; the state enters the log as events (replay rebuilds
it); the pseudonyms' key changes nothing; and no identifier from the extract reaches any output."""
from __future__ import annotations

import collections
import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from bad_inputs import refused
from sim.cli import main
from sim.config import parse_date
from sim.extracts import ssd
from sim.extracts.export import ssd_tables
from sim.extracts.opening import opening_state
from sim.extracts.reader import read_extract
from sim.extracts.synthetic import roughen, scaled, write_extract
from sim.model import Service, run_replication
from sim.projections import events_frame
from sim.settings import compose_config
from sim.state import replay

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ssd_extract"
MASH_STAGES = {"awaiting_screening", "awaiting_consent", "screening"}
TEAM_OF_PREFIX = {"MASH": "mash", "ASM": "assessment", "LT": "long_term"}


@pytest.fixture(scope="module")
def queued_extract(tmp_path_factory):
    """A fictional extract whose last day has children waiting for allocation (3,000 contacts a
    year for two years; seed 2 ends with a queue, which the shipped example's does not)."""
    from sim.commands.synth_extract import configured
    from sim.extracts.synthetic import synthetic_extract

    folder = tmp_path_factory.mktemp("extract")
    cfg = configured({"years": "2", "seed": "2", "end": "2026-11-30", "contacts_per_year": "3000"})
    synthetic_extract(cfg, folder, 2)
    return folder


def _started(settings, folder=EXAMPLE):
    cfg = compose_config([f"start_from={folder}", *settings])
    return cfg, Service(cfg, 0)


def test_the_first_instant_holds_the_extracts_open_cases_queue_and_caseloads(queued_extract):
    cfg, service = _started(["horizon_months=2"], queued_extract)
    opening = opening_state(read_extract(queued_extract), parse_date("d", cfg.start_date))
    assert cfg.start_date == "2026-12-01" and cfg.warmup_months == 0  # the day after the last records
    snap = service.snapshot()
    cases = {cid: stage for cid, stage in snap.cases.items() if stage not in MASH_STAGES}
    # Cases are numbered in the records' order, from 1: case k is opening.cases[k - 1].
    assert sorted(cases) == list(range(1, len(opening.cases) + 1))
    expected = {}
    for k, c in enumerate(opening.cases, start=1):
        if c.stage == "in_plan":
            team = opening.workers[c.worker].team if c.worker is not None else None
            expected[k] = ("held_outside" if c.outside else "in_plan" if team == "long_term" else "awaiting_transfer")
        elif c.stage == "assessing" and c.worker is not None and opening.workers[c.worker].team == "assessment":
            expected[k] = "assessing" if c.seen else "allocated"
        else:
            expected[k] = "awaiting_allocation"
    assert cases == expected
    assert collections.Counter(expected.values())["held_outside"] > 0 and collections.Counter(expected.values())["in_plan"] > 0
    # The assessment queue: red (an s47 enquiry) first, then by referral date.
    queued = [k for k, c in enumerate(opening.cases, start=1) if expected[k] == "awaiting_allocation"]
    queued.sort(key=lambda k: ({"red": 0, "amber": 1}[opening.cases[k - 1].priority], -opening.cases[k - 1].referred_days, k))
    assert snap.queues["assessment"] == queued and len(queued) > 0
    # Caseloads: each worker in post holds what the records say, team by team.
    held = collections.Counter(c.worker for c in opening.cases if c.worker is not None)
    for team in ("assessment", "long_term"):
        want = sorted(held.get(i, 0) for i, w in enumerate(opening.workers) if w.team == team)
        got = sorted(len(cs) for w, cs in snap.caseloads.items() if TEAM_OF_PREFIX[w.split("-")[0]] == team)
        assert got == want and sum(got) > 0
    kinds = collections.Counter((TEAM_OF_PREFIX[w.split("-")[0]], s.kind) for w, s in snap.workers.items())
    assert kinds == collections.Counter((w.team, w.kind) for w in opening.workers)
    assert sum(stage in MASH_STAGES for stage in snap.cases.values()) == len(opening.contacts) > 0
    # ...and the state is in the log: replay rebuilds it from the events alone.
    assert replay(service.log.events) == snap


def test_the_model_state_survives_export_extract_and_reading(tmp_path):
    """Run the model, write its log as a roughened extract, read it back: the state on the day after
    the last records is the model's own state at the end (stages, caseloads, MASH contacts)."""
    cfg = scaled(compose_config(["start_date=2025-06-01", "horizon_months=18", "warmup_months=0"]), 2500)
    start = parse_date("start_date", cfg.start_date)
    log = run_replication(cfg, 0)
    final = replay(log.events)
    text, roster = roughen(ssd_tables(events_frame(log.to_table(0, start)), start, seed=5), seed=5)
    write_extract(text, roster, tmp_path)
    opening = opening_state(read_extract(tmp_path), dt.date(2026, 12, 1))
    stages = collections.Counter(final.cases.values())
    got = collections.Counter(c.stage if c.stage != "in_plan" else "plan" for c in opening.cases)
    assert got["plan"] == stages["in_plan"] + stages["held_outside"] + stages["awaiting_transfer"] > 100
    assert sum(c.outside for c in opening.cases) == stages["held_outside"]
    assert got["assessing"] == stages["assessing"] + stages["allocated"]
    assert got["awaiting_allocation"] == stages["awaiting_allocation"] + stages["awaiting_reallocation"]
    assert len(opening.contacts) == sum(stages[s] for s in MASH_STAGES)
    held = collections.Counter(c.worker for c in opening.cases if c.worker is not None)
    mine = sorted(held.get(i, 0) for i, w in enumerate(opening.workers) if w.team != "mash")
    theirs = sorted(len(cs) for w, cs in final.caseloads.items() if not w.startswith("MASH"))
    assert mine == theirs


def test_the_pseudonyms_key_changes_nothing():
    a = opening_state(read_extract(EXAMPLE, key=b"one key"))
    b = opening_state(read_extract(EXAMPLE, key=b"another key"))
    assert a == b and len(a.cases) > 100


def test_a_run_from_the_records_replays_and_ends_like_its_log():
    cfg, service = _started(["horizon_months=3", "seed=3"])
    log = service.run()
    assert replay(log.events) == service.snapshot()
    # The contacts at the MASH on the day are received again at the first instant, but are not
    # contacts made in the first month; every open case's referral is dated by the records.
    from sim.forecast import monthly

    df = events_frame(log.to_table(0, parse_date("d", cfg.start_date)))
    opening = opening_state(read_extract(EXAMPLE))
    at_mash = (df["event"] == "contact_received") & (df["reason"] == "opening_stock")
    assert at_mash.sum() == len(opening.contacts) > 0 and (df.loc[at_mash, "t"] == 0).all()
    first = (df["event"] == "contact_received") & (df["t"] < 31) & ~at_mash
    assert monthly(df, cfg)["contacts"].iloc[0] == first.sum()
    dated = df[(df["event"] == "referral_before_start") & df["case_id"].notna()]
    assert len(dated) == len(opening.cases) and (dated["at"] < 0).all()
    # An s47 referral's conference is timed from its real referral date, before the start.
    frame = pd.DataFrame([e._asdict() | {"event": e.name} for e in log.events if e.name == "referral_accepted"])
    assert (frame["reason"] == "opening_stock").any() and (frame["t"] >= 0).all()


def test_an_earlier_day_and_a_scenarios_dates_move_with_the_start():
    cfg = compose_config([f"start_from={EXAMPLE}", "scenario=temporary_funding", "start_date=2025-12-01"])
    assert cfg.start_date == "2025-12-01" and cfg.warmup_months == 0
    theirs = compose_config(["scenario=temporary_funding"])
    months = (2025 - 2022) * 12 + (12 - 4)   # the scenario starts on 2022-04-01
    for mine, own in zip(cfg.service.funding, theirs.service.funding):
        from sim.config import add_months
        assert mine.date == add_months(parse_date("d", own.date), months).isoformat()
    earlier = opening_state(read_extract(EXAMPLE), dt.date(2025, 12, 1))
    later = opening_state(read_extract(EXAMPLE))
    assert earlier.cases != later.cases and len(earlier.cases) > 100
    Service(cfg, 0).run()  # it runs


def _identifiers() -> set[str]:
    """Every identifier and name in the example extract, as written.  (Dates of birth are dates like
    any other, so one may match a date an output gives by chance: the test checks instead that no
    output has a birth date field.)"""
    found: set[str] = set()
    for table, columns in ssd.TABLES.items():
        frame = pd.read_csv(EXAMPLE / ssd.file_name(table), dtype=str, keep_default_na=False)
        names = {n for c in columns if c.kind == "id" for n in (c.name, *ssd.ALIASES.get(c.name, ()))}
        names |= {"prof_professional_name"}
        for col in frame.columns:
            if col in names:
                found |= {v for v in frame[col] if v and v != "NULL"}
    return found


def _tokens(path: Path) -> set[str]:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return {str(v) for col in table.column_names for v in table.column(col).to_pylist() if v is not None}
    blobs = [path.read_bytes()]
    if zipfile.is_zipfile(path):  # a workbook: its sheets are zipped XML
        with zipfile.ZipFile(path) as z:
            blobs += [z.read(n) for n in z.namelist()]
    text = " ".join(b.decode("latin-1") for b in blobs)
    return set(re.findall(r"[A-Za-z0-9][A-Za-z0-9 ./:-]*[A-Za-z0-9]", text)) | set(re.findall(r"[A-Za-z0-9]+", text))


def test_no_identifier_from_the_extract_reaches_any_output(tmp_path, monkeypatch, capsys):
    ids = _identifiers()
    assert len(ids) > 5000 and any(i.startswith("P") for i in ids)
    monkeypatch.chdir(tmp_path)
    main([f"start_from={EXAMPLE}", "horizon_months=2", "replications=2", f"results_dir={tmp_path / 'results'}"])
    files = [p for p in (tmp_path / "results").rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any(p.suffix == ".xlsx" for p in files)
    for path in files:
        tokens = _tokens(path)
        leaked = ids & tokens
        assert not leaked, (path.name, sorted(leaked)[:5])
        assert not {"pers_dob", "dob", "date_of_birth", "prof_professional_name"} & tokens, path.name
    manifest = json.loads(next((tmp_path / "results").rglob("manifest.json")).read_text())
    assert manifest["start_from"]["open_cases"] > 100 and manifest["start_from"]["date"] == "2026-12-01"
    # caseflow explain recounts the month's completed assessments from the same log and agrees,
    # the assessments under way at the start included (their referral is dated by the records).
    folder = next((tmp_path / "results").rglob("manifest.json")).parent
    main(["explain", str(folder), "kpi=assessments_completed", "period=2026-12"])
    out = capsys.readouterr().out
    assert "DIFFER" not in out and "bug" not in out, out[-400:]


def test_bad_starts_are_refused_in_one_sentence(tmp_path, capsys):
    message = refused([f"start_from={tmp_path / 'nowhere'}"], tmp_path, capsys)
    assert "start_from" in message and "not a folder" in message
    message = refused([f"start_from={EXAMPLE}", "warmup_months=3"], tmp_path, capsys)
    assert "warmup_months" in message and "must be 0" in message
    message = refused([f"start_from={EXAMPLE}", "start_date=2020-01-01"], tmp_path, capsys)
    assert "start_date" in message and "2024-12-01" in message
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text(f"start_from: {EXAMPLE}\n")
    message = refused(["scenario=mine"], tmp_path, capsys)
    assert "mine.yaml" in message and "command line only" in message
    broken = tmp_path / "broken"
    broken.mkdir()
    for p in EXAMPLE.iterdir():
        (broken / p.name).write_bytes(p.read_bytes())
    (broken / "ssd_cin_plans.csv").unlink()
    message = refused([f"start_from={broken}"], tmp_path, capsys)
    assert "ssd_cin_plans.csv" in message
    (broken / "ssd_cin_plans.csv").write_bytes((EXAMPLE / "ssd_cin_plans.csv").read_bytes())
    header = (EXAMPLE / "ssd_cin_episodes.csv").read_text().splitlines()[0]
    (broken / "ssd_cin_episodes.csv").write_text(header + "\n")
    message = refused([f"start_from={broken}"], tmp_path, capsys)
    assert "ssd_cin_episodes.csv holds no referrals" in message
    message = refused(["start_from="], tmp_path, capsys)
    assert "'start_from' is empty" in message


def test_teams_given_by_department_id_are_read_by_their_department_name(tmp_path):
    """An extract naming teams by their ssd_department id (T1, T2, ...) gives the same state and
    the same fitted establishment as one naming them in words."""
    from sim.extracts.history import establishment, read_history

    ids = {"MASH": "T1", "ASSESS": "T2", "LONGTERM": "T3", "FAMHELP": "T4"}
    for p in EXAMPLE.iterdir():
        text = p.read_text()
        if p.name in ("ssd_involvements.csv", "ssd_professionals.csv", "ssd_cin_assessments.csv",
                      "ssd_cin_episodes.csv", "ssd_department.csv"):
            for old, new in ids.items():
                text = re.sub(rf"(?<=,){old}(?=,|\n|$)", new, text)
        (tmp_path / p.name).write_text(text)
    assert "T3" in (tmp_path / "ssd_involvements.csv").read_text()
    mine, theirs = read_extract(tmp_path), read_extract(EXAMPLE)
    assert opening_state(mine) == replace_digest(opening_state(theirs), opening_state(mine).digest)
    a, b = establishment(read_history(mine)), establishment(read_history(theirs))
    assert a.equals(b) and len(a) > 0


def replace_digest(opening, digest):
    import dataclasses

    return dataclasses.replace(opening, digest=digest)


def test_a_stage_longer_than_every_draw_still_has_time_left():
    import numpy as np

    from sim.extracts.opening import residual_draws

    rng = np.random.default_rng(1)
    pool = rng.exponential(100.0, 10_000)
    left = [residual_draws(pool, 5_000.0, rng) for _ in range(200)]
    assert min(left) > 0 and 20 < np.mean(left) < 500   # an exponential tail, not an end at once
    assert residual_draws(pool, 10.0, rng) >= 0
