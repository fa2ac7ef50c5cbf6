"""caseflow target: the bisection agrees with a brute-force sweep over every count, on the same
seeds and replications; bad requests are refused in one sentence with nothing written."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import kpis
from sim.cli import main
from sim.forecast import window_kpis
from sim.projections import events_frame
from sim.runner import run_replications
from sim.settings import compose_config
from sim.target import (Evaluation, Target, meets, monotonicity_warnings, most_evaluations, posts_of, read_target,
                        search, with_posts)
from sim.inputs import InputError

# A small, fast service whose assessment team is the bottleneck: 2,000 contacts a year, and an
# assessment team of permanent workers only, so that its count decides how soon children are seen.
RUN = ["replications=4", "horizon_months=3", "warmup_months=2", "executor=serial", "seed=5",
       "service.demand.contacts_per_year=2000"]


def team(n: int) -> str:
    return f"service.workforce.assessment.groups=[{{count:{n},kind:permanent}}]"


SMALL = [*RUN, team(4)]
MAX_POSTS = 8
SEEN = "seen_within_10wd_of_referral_pct"
WAIT = "threshold_to_seen_p90"


@pytest.fixture(scope="module")
def sweep() -> dict[int, pd.DataFrame]:
    """Brute force, independently of sim.target: every count 1..MAX_POSTS composed from settings,
    run with the same seed and replications, each replication's horizon figures (summary.csv's)."""
    out = {}
    for n in range(1, MAX_POSTS + 1):
        cfg = compose_config([*RUN, team(n)])
        out[n] = window_kpis(events_frame(run_replications(cfg)), cfg).sort_values("replication")
    return out


def smallest_meeting(sweep: dict[int, pd.DataFrame], kpi: str, bound: str, value: float, confidence: float):
    """The smallest count in which at least ``confidence`` of the replications meet the bound."""
    for n, frame in sorted(sweep.items()):
        x = frame[kpi].to_numpy(float)
        ok = (x >= value) if bound == "at_least" else (x <= value)  # NaN meets neither
        if ok.mean() >= confidence - 1e-12:
            return n
    return None


def run_target(args: list[str], tmp_path, capsys) -> tuple[list[str], pd.DataFrame]:
    main(["target", *args, *SMALL, f"results_dir={tmp_path}"])
    out = capsys.readouterr().out.splitlines()
    (folder,) = list((tmp_path / "target").iterdir())
    assert {p.name for p in folder.iterdir()} == {"target.csv", "target.md", "config.yaml", "manifest.json"}
    return out, pd.read_csv(folder / "target.csv")


@pytest.mark.parametrize("kpi,bound,value,confidence", [
    (SEEN, "at_least", 90, 0.75),
    (WAIT, "at_most", 14, 1.0),
])
def test_target_agrees_with_a_brute_force_sweep(kpi, bound, value, confidence, sweep, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    expected = smallest_meeting(sweep, kpi, bound, value, confidence)
    assert expected is not None and expected > 1, "the case should have an answer inside the range"
    out, table = run_target(["team=assessment", "kind=permanent", f"kpi={kpi}", f"{bound}={value}",
                             f"confidence={confidence}", f"max_posts={MAX_POSTS}"], tmp_path, capsys)
    assert out[0] == f"posts needed: {expected}"
    # Every count the bisection ran has the sweep's own figures (same seeds and replications)...
    assert list(table["count"]) == sorted(table["count"]) and len(table) <= most_evaluations(1, MAX_POSTS)
    for row in table.itertuples():
        x = sweep[row.count][kpi].to_numpy(float)
        assert row.mean == pytest.approx(np.nanmean(x), abs=1e-4)
        assert row.p50 == pytest.approx(np.nanpercentile(x, 50), abs=1e-4)
        assert row.cost_mean == pytest.approx(sweep[row.count]["cost"].mean(), rel=1e-6)
        assert bool(row.meets) == (smallest_meeting({row.count: sweep[row.count]}, kpi, bound, value, confidence)
                                   is not None)
    # ...and it ran the answer and the count below it.
    assert {expected - 1, expected} <= set(table["count"])


def test_no_count_up_to_max_posts_meets(sweep, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    top = 3
    assert smallest_meeting({n: f for n, f in sweep.items() if n <= top}, SEEN, "at_least", 90, 0.9) is None
    out, table = run_target(["team=assessment", "kind=permanent", f"kpi={SEEN}", "at_least=90",
                             f"max_posts={top}"], tmp_path, capsys)
    assert out[0] == f"no count up to {top} meets the target"
    assert list(table["count"]) == [top] and not table["meets"].any()


BAD = [
    (["kpi=seen_within_10wd", "at_least=90"], "not a figure caseflow defines"),
    (["kpi=contacts", "at_least=90"], "neither better higher nor better lower"),
    (["kpi=vacancies", "at_most=3"], "not a figure over the forecast horizon"),
    ([f"kpi={WAIT}", "at_least=10"], "lower is better, so its target is at_most"),
    ([f"kpi={SEEN}", "at_most=10"], "higher is better, so its target is at_least"),
    ([f"kpi={SEEN}", "at_least=90", "at_most=95"], "not both"),
    ([f"kpi={SEEN}"], "needs a bound"),
    ([f"kpi={SEEN}", "at_least=150"], "from 0 to 100"),
    ([f"kpi={SEEN}", "at_least=lots"], "must be a number"),
    ([f"kpi={SEEN}", "at_least=90", "confidence=90"], "at most 1"),
    ([f"kpi={SEEN}", "at_least=90", "team=social"], "is not a team"),
    ([f"kpi={SEEN}", "at_least=90", "kind=locum"], "is not a kind of worker"),
    ([f"kpi={SEEN}", "at_least=90", "max_posts=0"], "cannot have fewer than 1"),
    ([f"kpi={SEEN}", "at_least=90", "max_posts=many"], "whole number of posts"),
    ([f"kpi={SEEN}", "at_least=90", "service.workforce.assessment.groups.0.count=5"], "the count caseflow target"),
    ([f"kpi={SEEN}", "at_least=90", "seed=1,2"], "asks for a sweep"),
    ([f"kpi={SEEN}", "at_least=90", "kpi=cost"], "twice"),
    ([f"kpi={SEEN}", "at_least=90", "replications=0"], "replications"),
]


@pytest.mark.parametrize("args,words", BAD)
def test_bad_requests_are_refused_in_one_line_with_nothing_written(args, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    defaults = {"team": "team=assessment", "kind": "kind=permanent"}
    given = {a.split("=", 1)[0] for a in args}
    full = [v for k, v in defaults.items() if k not in given] + args
    with pytest.raises(SystemExit) as ended:
        main(["target", *SMALL, *full, f"results_dir={tmp_path / 'out'}"])
    assert ended.value.code == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert words in err and len(err.splitlines()) == 1, err
    assert err.startswith("caseflow: ") and captured.out == ""
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the pure parts


def _synthetic(values_by_count: dict[int, list[float]]):
    calls: list[int] = []

    def evaluate(n: int) -> Evaluation:
        calls.append(n)
        return Evaluation(n, tuple(values_by_count[n]), tuple(0.0 for _ in values_by_count[n]))
    return evaluate, calls


@pytest.mark.parametrize("threshold", [0.5, 3.0, 7.5, 10.0, 19.5, 25.0])
def test_bisection_finds_the_smallest_meeting_count_running_each_count_once(threshold):
    # A figure rising with the count, differently in each of five replications.
    rng = np.random.default_rng(1)
    offsets = rng.uniform(-2, 2, size=5)
    values = {n: [n + o for o in offsets] for n in range(0, 21)}
    target = Target("seen_within_10wd_of_referral_pct", "at_least", threshold, 0.8)
    evaluate, calls = _synthetic(values)
    found = search(target, 0, 20, evaluate)
    brute = next((n for n in range(0, 21) if meets(target, Evaluation(n, tuple(values[n]), ()))), None)
    assert found.answer == brute
    assert len(calls) == len(set(calls)) <= most_evaluations(0, 20)
    if brute is not None and brute > 0:
        assert brute - 1 in calls


def test_the_share_rule_counts_whole_replications():
    t = Target("seen_within_10wd_of_referral_pct", "at_least", 90, 0.9)
    assert t.needed(10) == 9 and t.needed(5) == 5 and t.needed(1) == 1
    nine = Evaluation(1, tuple([95.0] * 9 + [float("nan")]), ())
    assert meets(t, nine) and not meets(t, Evaluation(1, tuple([95.0] * 8 + [80.0, 85.0]), ()))


def test_evaluated_counts_that_contradict_monotonicity_are_warned_of():
    t = Target("threshold_to_seen_p90", "at_most", 20, 0.5)
    ok = {3: Evaluation(3, (30.0, 25.0), ()), 5: Evaluation(5, (18.0, 22.0), ()), 8: Evaluation(8, (15.0, 16.0), ())}
    assert monotonicity_warnings(t, ok) == []
    bad = {**ok, 8: Evaluation(8, (21.0, 24.0), ())}
    (warning,) = monotonicity_warnings(t, bad)
    assert warning.startswith("Warning: with 8 posts rather than 5") and "fell from 50% to 0%" in warning


def test_a_mean_worse_beyond_chance_is_warned_of_and_noise_is_not():
    t = Target("seen_within_10wd_of_referral_pct", "at_least", 90, 0.5)
    before = Evaluation(4, (80.0, 82.0, 84.0, 86.0), ())
    noise = Evaluation(6, (80.1, 81.9, 84.1, 85.9), ())       # up and down: the mean barely moves
    worse = Evaluation(6, (78.0, 80.5, 82.0, 84.5), ())       # every replication worse
    assert monotonicity_warnings(t, {4: before, 6: noise}) == []
    (warning,) = monotonicity_warnings(t, {4: before, 6: worse})
    assert "the mean got worse by 1.75" in warning


def test_posts_of_a_kind_are_every_group_of_it_and_the_first_one_changes():
    cfg = compose_config(["horizon_months=3"])
    groups = cfg.service.workforce.assessment.groups
    permanent = [g for g in groups if g.kind == "permanent"]
    posts = posts_of(cfg, "assessment", "permanent")
    assert posts.current == sum(g.count for g in permanent) and posts.fixed == sum(g.count for g in permanent[1:])
    changed = with_posts(cfg, posts, posts.current + 3)
    assert sum(g.count for g in changed.service.workforce.assessment.groups if g.kind == "permanent") == \
        posts.current + 3
    assert groups[posts.group].count == permanent[0].count  # the configuration given is left as it was
    # A kind the team has no group of: a group of it is added.
    only = compose_config(["horizon_months=3", team(4)])
    agency = posts_of(only, "assessment", "agency")
    assert agency.group is None and agency.current == 0 and agency.lowest == 0
    added = with_posts(only, agency, 2).service.workforce.assessment.groups
    assert [(g.count, g.kind) for g in added] == [(4, "permanent"), (2, "agency")]


def test_a_target_is_read_from_the_registry():
    t = read_target(WAIT, None, "42", None)
    assert (t.bound, t.value, t.confidence) == ("at_most", 42.0, 0.9)
    assert kpis.REGISTRY[WAIT].label in t.sentence()
    with pytest.raises(InputError):
        read_target("cost", "1", None, None)
    assert math.isclose(read_target(SEEN, "90", None, "0.75").confidence, 0.75)


def test_a_queue_growing_without_bound_at_the_answer_is_warned_of_for_the_figures_it_affects():
    from sim.target import queue_warnings

    at_answer = Evaluation(3, (10.0, 12.0), (0.0, 0.0), unstable=("allocation",))
    (warning,) = queue_warnings(read_target(WAIT, None, "20", None), at_answer)
    assert warning.startswith("Warning: with 3 posts the allocation queue grows without bound")
    assert queue_warnings(read_target("mash_within_1wd_pct", "90", None, None), at_answer) == []
