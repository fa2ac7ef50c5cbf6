"""Workforce dynamics: turnover, reallocation, posts and funding, recruitment, cost."""
from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np
import pytest

from log_checks import cap_rules, check_end_state, check_workers
from sim.config import FundingAction
from sim.forecast import periods
from sim.model import Service
from sim.projections import events_frame
from sim.projections.workforce import cost_between
from sim.runner import replication_table
from sim.settings import compose_config
from sim.state import replay


# The recruitment market of decision 0018 switched off: these tests are about decision 0010's lags.
NO_MARKET = ["service.workforce.recruitment.round_failure.permanent=0", "service.workforce.recruitment.agency_per_month=null",
             "service.workforce.recruitment.vacancy_lag_elasticity=0", "service.workforce.turnover.fixed_term_multiplier=1"]


def high_turnover(*extra):
    """baseline_2022 with everyone leaving at 100% a year and vacancies covered by agency (no market)."""
    return compose_config(["scenario=baseline_2022", "horizon_months=8", "seed=21", *NO_MARKET,
                           "service.workforce.turnover.annual_rate.permanent=1.0",
                           "service.workforce.turnover.annual_rate.asye=1.0",
                           "service.workforce.turnover.annual_rate.agency=2.0",
                           "service.workforce.recruitment.agency_cover=true", *extra])


@pytest.fixture(scope="module")
def churn():
    service = Service(high_turnover(), 0)
    service.run()
    return service


def test_no_case_is_lost_when_workers_leave(churn):
    events = list(churn.log)
    counts = check_workers(events, **cap_rules(churn.cfg))  # reallocated only from the holder; nobody leaves holding a case
    assert counts["reallocations"] > 100
    check_end_state(events, churn.snapshot())  # every referred case is closed or still open


def test_every_reallocated_case_is_allocated_again_or_still_waiting(churn):
    state = churn.snapshot()
    waiting = set(state.queues["assessment"]) | set(state.queues["long_term"])
    last = {}
    for e in churn.log:
        if e.name in ("case_reallocated", "allocated", "case_closed"):
            last[e.case_id] = e.name
    dangling = {c for c, n in last.items() if n == "case_reallocated"}
    assert dangling <= waiting | {c for c, s in state.cases.items() if s == "awaiting_transfer"}


def test_replay_equals_final_state_with_turnover(churn):
    assert replay(churn.log) == churn.snapshot()


def test_leavers_give_notice_and_stop_taking_cases(churn):
    check_workers(churn.log, **cap_rules(churn.cfg))  # no allocation on notice, no resignation without notice
    notice = {e.worker_id: e.t for e in churn.log if e.name == "notice_given"}
    left = {e.worker_id: (e.t, e.reason) for e in churn.log if e.name == "worker_left"}
    resigned = [w for w, (t, reason) in left.items() if reason == "resigned"]
    assert len(resigned) > 20
    kinds = {e.worker_id: e.kind for e in churn.log if e.name in ("worker_started", "worker_changed")}
    days = high_turnover().service.workforce.turnover.notice_days
    for w in resigned:  # a MASH screener may finish the contact in hand after the notice ends
        assert left[w][0] - notice[w] >= getattr(days, kinds[w]) - 1e-9, w


def test_agency_cover_fills_faster_than_permanent_recruitment(churn):
    wait = defaultdict(list)
    opened = {}
    for e in churn.log:
        if e.name == "recruitment_started":
            opened[(e.post_id, e.kind == "agency")] = e.t
        elif e.name == "worker_started":
            key = (e.post_id, e.kind == "agency")
            if key in opened:
                wait["agency" if e.kind == "agency" else "permanent"].append(e.t - opened.pop(key))
    assert len(wait["agency"]) > 20 and len(wait["permanent"]) > 10
    assert np.mean(wait["agency"]) < np.mean(wait["permanent"]) / 3


def test_temporary_posts_close_on_their_end_date_and_their_cases_move():
    cfg = compose_config(["scenario=baseline_2022", "horizon_months=10", "seed=3"])
    extra = FundingAction(date="2022-05-01", action="add_posts", team="assessment", count=6, funding="temporary",
                          fill_with="agency", until="2022-10-31")  # last funded day
    cfg = dataclasses.replace(cfg, service=dataclasses.replace(cfg.service, funding=[extra]))
    service = Service(cfg, 0)
    service.run()
    end = (np.datetime64("2022-11-01") - np.datetime64("2022-04-01")).astype(int)
    temp = [e.post_id for e in service.log if e.name == "post_opened" and e.funding == "temporary"]
    closed = {e.post_id: e.t for e in service.log if e.name == "post_closed"}
    assert len(temp) == 6 and all(closed.get(p) == end for p in temp)
    in_temp = {e.worker_id for e in service.log if e.name == "worker_started" and e.post_id in temp}
    left = {e.worker_id: (e.t, e.reason) for e in service.log if e.name == "worker_left" and e.worker_id in in_temp}
    still_there = [w for w in in_temp if w not in left or left[w][0] >= end]
    assert still_there, "some temporary workers should be in post when the money ends"
    assert all(left[w] == (end, "post_ended") for w in still_there)
    moved = [e for e in service.log if e.name == "case_reallocated" and e.t == end]
    assert len(moved) >= 6 * 3, "the temporary workers' cases should be reallocated when the money ends"
    assert replay(service.log) == service.snapshot()


def test_retention_package_reduces_leavers_and_costs_its_price():
    # The package starts with the forecast: a short warm-up is enough (leavers counted from t=0).
    base = compose_config(["scenario=baseline_2022", "horizon_months=24", "warmup_months=3", "seed=5"])
    package = FundingAction(date="2022-04-01", action="retention_package", until="2024-04-01",
                            turnover_multiplier=0.5, cost=702000.0, name="retention")
    kept = dataclasses.replace(base, service=dataclasses.replace(base.service, funding=[package]))
    leavers = []
    for cfg in (base, kept):
        df = events_frame(replication_table(cfg, 0))
        agency = set(df.loc[(df.event == "worker_started") & (df.kind == "agency"), "worker_id"])
        left = df[(df.event == "worker_left") & (df.reason == "resigned") & (df.t >= 0)]
        leavers.append(int((~left.worker_id.isin(agency)).sum()))  # the package is for employed staff
    assert leavers[1] < leavers[0] * 0.75, leavers
    # df: the log with the package (the last of the loop)
    edges = np.array([0.0, 800.0])  # the whole package (to the end of 1 April 2024)
    no_package = df[df.event != "package_started"]
    assert cost_between(df, edges, [0])[0, 0] - cost_between(no_package, edges, [0])[0, 0] == pytest.approx(702000.0)


def test_cost_equals_fte_days_times_day_rates():
    cfg = high_turnover("horizon_months=6")
    df = events_frame(replication_table(cfg, 0))
    months = periods(cfg)
    edges = np.array([m[1] for m in months] + [months[-1][2]])
    projected = cost_between(df, edges, [0])[0]
    # Independently: walk the log, accrue fte x annual_cost / 365 per day in post, split by month.
    rate, since, total = {}, {}, np.zeros(len(edges) - 1)

    def accrue(w, t_end):
        a, b = since[w], t_end
        for i in range(len(edges) - 1):
            overlap = max(0.0, min(b, edges[i + 1]) - max(a, edges[i]))
            total[i] += overlap * rate[w]
    for e in df.sort_values("seq").itertuples():
        if e.event == "worker_started":
            rate[e.worker_id], since[e.worker_id] = e.fte * e.annual_cost / 365.0, e.t
        elif e.event == "worker_changed":
            accrue(e.worker_id, e.t)
            fte = df[(df.event == "worker_started") & (df.worker_id == e.worker_id)].fte.item()
            rate[e.worker_id], since[e.worker_id] = fte * e.annual_cost / 365.0, e.t
        elif e.event == "worker_left":
            accrue(e.worker_id, e.t)
            del rate[e.worker_id]
    for w in list(rate):
        accrue(w, np.inf)
    assert projected == pytest.approx(total, rel=1e-9)
    assert total.sum() > 1e6


def test_bad_funding_action_is_refused(tmp_path, monkeypatch, capsys):
    from sim.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["+service.funding=[{date:2022-05-01,action:hire_everyone}]"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "service.funding.0.action" in err and "add_posts" in err


def test_caseload_pressure_raises_turnover_when_switched_on():
    """The assumed link (off by default): with an elasticity, a strained team loses more staff."""
    def leavers(elasticity):
        cfg = compose_config(["scenario=baseline_2022", "horizon_months=12", "warmup_months=3", "seed=2",
                              "service.workforce.assessment.groups.0.count=13",
                              f"service.workforce.turnover.caseload_elasticity={elasticity}"])
        df = events_frame(replication_table(cfg, 0))
        return int(((df.event == "worker_left") & (df.reason == "resigned")).sum())
    off, on = leavers(0.0), leavers(20.0)
    assert on > off, (off, on)


def test_each_post_holds_at_most_one_worker_and_replay_agrees_under_agency_cover():
    """Agency cover handing over to a permanent hire (MASH screeners may finish a contact first)."""
    cfg = high_turnover("horizon_months=12", "seed=31")
    service = Service(cfg, 0)
    service.run()
    check_workers(service.log, **cap_rules(cfg))  # a worker starts only in an open, vacant post
    assert any(e.name == "worker_left" and e.reason == "cover_ended" for e in service.log)
    assert replay(service.log) == service.snapshot()


def test_converting_a_temporary_post_recruits_into_it_if_vacant():
    cfg = compose_config(["scenario=baseline_2022", "horizon_months=14", "seed=3", *NO_MARKET,
                          "service.workforce.turnover.annual_rate.permanent=2.0"])
    add = FundingAction(date="2022-05-01", action="add_posts", team="assessment", count=10, funding="temporary",
                        fill_with="permanent", until="2022-12-31")
    convert = FundingAction(date="2022-11-15", action="convert_to_permanent", team="assessment")
    cfg = dataclasses.replace(cfg, service=dataclasses.replace(cfg.service, funding=[add, convert]))
    service = Service(cfg, 0)
    service.run()
    converted = {e.post_id: e.t for e in service.log if e.name == "post_funding_changed"}
    assert len(converted) == 10
    assert not any(e.name == "post_closed" for e in service.log)
    t_convert = next(iter(converted.values()))
    # Posts vacant when converted (left unrecruited near their old end) are recruited at once.
    holder = {}
    for e in service.log:
        if e.t >= t_convert:
            break
        if e.name == "worker_started":
            holder[e.post_id] = e.worker_id
        elif e.name == "worker_left":
            holder = {p: (None if w == e.worker_id else w) for p, w in holder.items()}
    vacant = [p for p in converted if holder.get(p) is None]
    assert vacant, "the test needs a post vacant at conversion (turnover is 200% a year)"
    recruited = {e.post_id for e in service.log if e.name == "recruitment_started" and e.t == t_convert}
    assert set(vacant) <= recruited


def test_room_index_chooses_as_a_scan_of_the_team_would():
    """Most room first (cap minus weighted load), earliest joiner among equals, whatever the
    order of changes."""
    import random
    from types import SimpleNamespace

    from sim.model.allocation import RoomIndex

    rnd = random.Random(3)
    team: list = []
    index = RoomIndex(team)

    def scan():
        best, best_room = None, 0
        for w in team:
            room = round((w.cap - w.load) * 10)
            if room > best_room and w.accepting and not w.absent:
                best, best_room = w, room
        return best

    seq = 0
    for step in range(5000):
        move = rnd.random()
        if move < 0.05 or not team:
            seq += 1
            w = SimpleNamespace(seq=seq, cap=rnd.randint(1, 8), caseload={}, load=0.0, accepting=True, absent=False,
                                left=False)
            team.append(w)
            index.update(w)
        else:
            w = rnd.choice(team)
            # ``update`` only where the model calls it: allocation, release, return, new cap.
            if move < 0.45 and w.load < w.cap:
                w.caseload[step] = rnd.choice([0.5, 0.8, 1.0, 1.5])  # weights by case type
                w.load += w.caseload[step]
                index.update(w)
            elif move < 0.80 and w.caseload:
                w.load -= w.caseload.popitem()[1]
                index.update(w)
            elif move < 0.85:
                w.absent = not w.absent
                if not w.absent:
                    index.update(w)
            elif move < 0.88:
                w.accepting = False  # notice: never back
            elif move < 0.90:
                w.left = True
                team.remove(w)
            else:
                w.cap = rnd.randint(1, 8)
                index.update(w)
        assert index.best() is scan()
