"""caseflow calibrate extract=: a service fitted to a council's own records (sim.extracts.history,
sim.extracts.calibrate, decision 0033).

The round trip: a fictional council's extract is written from known parameters (the default
service scaled to 8,000 contacts a year, four years from its steady state, parameter draws off),
calibrated, and each recovered value compared with the value the generating service implies,
within three of its standard errors (about one chance in 370 of a false alarm each; the extract
is drawn from a fixed seed, so the test gives the same answer every time).  Where the known value
is not a parameter as written (the MASH's overall mix, the length an assessment is seen to last),
it is worked out from the configuration and the comment says how.

The command's tests work in a copy of configs/ (as tests/test_calibrate.py's do), so the
repository's service folder is never written.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import calibrate as dfe
from bad_inputs import exit_status
from sim.extracts import calibrate as xcal
from sim.extracts import history as hist
from sim.extracts.reader import read_extract
from sim.inputs.compose import compose_job

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "ssd_extract"
CONTACTS, YEARS, SEED = 8000, 4, 11   # about 32,000 contacts: some 10 s to simulate, 6 s to read
Z = 3.0                               # tolerances are Z standard errors


# --------------------------------------------------------------------------------------- the round trip
@pytest.fixture(scope="module")
def trip(tmp_path_factory):
    from sim.config import validate
    from sim.extracts.synthetic import scaled, synthetic_extract

    cfg = compose_job(["start_date=2022-12-01", f"horizon_months={12 * YEARS}", "warmup_months=0",
                       "parameter_draws=false", f"seed={SEED}"]).cfg
    cfg = scaled(cfg, CONTACTS)
    validate(cfg)
    folder = tmp_path_factory.mktemp("extract") / "ssd"
    synthetic_extract(cfg, folder, SEED)
    extract = read_extract(folder)
    result = xcal.calibrate(extract, dfe.default_service(), "nottingham", "round_trip")
    fitted = _typed(result.service)
    return cfg, result, fitted


def _typed(service: dict):
    from sim.inputs.typed import with_service

    return with_service(service)


def _design_effect(cfg) -> float:
    """How much children coming back inflate a count's or a share's variance over independent draws:
    a new child's contacts form a cluster (each contact leads to another with probability q), and
    the variance of a sum of clusters over its mean is E[S^2]/E[S] = (1 + q) / (1 - q) for a
    geometric cluster size S; the design effect of a share is at most that (intra-cluster
    correlation at most 1)."""
    from sim.model import flows

    new, returning = flows.contact_rates(cfg)
    m = sum(returning.values()) / new        # returning contacts per new child's contact
    q = m / (1 + m)
    return (1 + q) / (1 - q)


def _share_tolerance(p: float, n: int, effect: float = 1.0) -> float:
    return Z * math.sqrt(p * (1 - p) * effect / n) + 1e-9


def test_contacts_per_year(trip):
    cfg, result, fitted = trip
    # Known: the generating service's contacts_per_year (every contact, new and returning) with no
    # trend; the last 12 months' count is a Poisson count of clusters (design effect above).
    tolerance = Z * math.sqrt(CONTACTS * _design_effect(cfg))
    assert abs(fitted.service.demand.contacts_per_year - CONTACTS) <= tolerance
    assert fitted.service.demand.annual_trend == 0.0   # generated flat: any trend is within 2 errors of none
    assert abs(result.volumes.trend) <= Z * result.volumes.trend_se


def test_seasonality(trip):
    cfg, result, fitted = trip
    vol = result.volumes
    known = np.array(cfg.service.demand.month_factors) / np.mean(cfg.service.demand.month_factors)
    got = np.array(fitted.service.demand.month_factors)
    # Each month's log factor has the regression's standard error, stretched by 1 / (1 - the
    # returning share) when unmixed from the returning children's flat contacts; the shrinkage
    # towards flat may pull a month by (1 - its weight) of its difference from 1.
    r = result.measured["returning_share"]
    se = np.array(vol.month_se) / (1 - r)
    pull = (1 - np.array(vol.month_weight)) * np.abs(np.log(known)) / (1 - r)
    assert np.all(np.abs(np.log(got) - np.log(known)) <= Z * se + pull), (got.round(3), known.round(3))
    assert np.corrcoef(np.log(got), np.log(known))[0, 1] > 0.8
    # Without unmixing, August (0.79 for new children) would read about 0.86: the unmixed one is nearer.
    august = 7
    assert abs(got[august] - known[august]) < abs(vol.month_factors[august] - known[august])
    # Late December: every contact's ratio L unmixed as L_new = (L ((1 - r) f + r) - r) / ((1 - r) f), f
    # December's new-children factor, so its standard error is stretched by ((1 - r) f + r) / ((1 - r) f).
    dec = got[11]
    stretch = ((1 - r) * dec + r) / ((1 - r) * dec)
    late = cfg.service.demand.late_december_factor
    assert abs(fitted.service.demand.late_december_factor - late) <= Z * vol.late_december_se * stretch


def _all_contacts_mix(cfg) -> dict[str, float]:
    from sim.model import flows

    new, returning = flows.contact_rates(cfg)
    mixes = flows.return_mixes(cfg)
    mix = {p: new * getattr(cfg.service.demand.priority, p) for p in flows.PRIORITIES}
    for (way, _), v in returning.items():
        for p in mix:
            mix[p] += v * mixes[way][p]
    total = sum(mix.values())
    return {p: v / total for p, v in mix.items()}


def _mash_shares(cfg) -> dict[str, float]:
    mix = _all_contacts_mix(cfg)
    return {o: sum(mix[p] * getattr(getattr(cfg.service.mash.outcomes, p), o) for p in mix)
            for o in ("referral", "early_help", "no_further_action")}


def test_mash_outcome_shares(trip):
    cfg, result, fitted = trip
    # Known: the outcomes by priority weighted by the steady state's priority mix over every contact
    # (new children's mix and each returning route's: sim.model.flows), not demand.priority alone.
    known = _mash_shares(cfg)
    measured = result.measured["mash"]
    implied = _mash_shares(fitted)      # what the written service gives at its own steady state
    for o, k in known.items():
        assert abs(measured.share(o) - k) <= _share_tolerance(k, measured.n, _design_effect(cfg)), o
        assert abs(implied[o] - measured.share(o)) < 2e-3, o   # the solve reached the records' mix
    # A priority's impossible outcome stays impossible (red contacts are never closed at the MASH).
    assert fitted.service.mash.outcomes.red.no_further_action == 0.0


def _s47_share(cfg) -> float:
    from sim.model import flows

    per = flows.expected_referrals_per_day(cfg)
    return sum(per[p] * getattr(cfg.service.mash.s47_share, p) for p in per) / sum(per.values())


def test_s47_share(trip):
    cfg, result, fitted = trip
    known = _s47_share(cfg)   # the s47 shares by priority weighted by the steady state's referrals
    measured = result.measured["s47"]
    assert abs(measured.p - known) <= _share_tolerance(known, measured.n, _design_effect(cfg))
    assert abs(_s47_share(fitted) - measured.p) < 2e-3


def test_assessment_conference_and_plan_outcomes(trip):
    cfg, result, fitted = trip
    c, f = cfg.service.casework, fitted.service.casework
    ao = result.measured["assessment_outcomes"]
    rows = [("s47", c.assessment_outcomes.s47, f.assessment_outcomes.s47, ao["s47"].n),
            ("other", c.assessment_outcomes.other, f.assessment_outcomes.other, ao["other"].n),
            ("s47_after_cp", c.s47_after_cp, f.s47_after_cp, ao["s47_after_cp"].n),
            ("conference", c.conference_outcomes, f.conference_outcomes, result.measured["conference_outcomes"].n),
            ("cin ending", c.plan_endings.cin, f.plan_endings.cin, result.measured["plan_endings"]["cin"].n),
            ("cp ending", c.plan_endings.cp, f.plan_endings.cp, result.measured["plan_endings"]["cp"].n)]
    for name, known, got, n in rows:
        assert n >= 300, name
        for o in vars(known):
            k = getattr(known, o)
            # Each decision is drawn independently given its route: binomial errors.
            assert abs(getattr(got, o) - k) <= _share_tolerance(k, n), (name, o, getattr(got, o), k)
    held = result.measured["held_outside"]
    assert abs(f.cin_held_outside - c.cin_held_outside) <= _share_tolerance(c.cin_held_outside, held.n)


def _seen_assessment(cfg, n: int = 400_000) -> tuple[float, float]:
    """The mean and median working days from an assessment's start to its authorisation that the
    generating service gives (decided at a conference left out): the work drawn from
    assessment_duration, but never before the first visit (visit_delay, or visit_delay_s47, after
    the allocation) and a little work after it (min_assessment_after_visit); s47 enquiries are the
    steady state's share of the assessments not decided at a conference."""
    from sim.distributions import draw_array

    cw = cfg.service.casework
    rng = np.random.default_rng(1)
    d = draw_array(cw.assessment_duration, rng, n)
    after = draw_array(cw.min_assessment_after_visit, rng, n)
    s47 = _s47_share(cfg)
    s47_here = s47 * (1 - cw.assessment_outcomes.s47.cp) / (s47 * (1 - cw.assessment_outcomes.s47.cp) + 1 - s47)
    visit = np.where(rng.random(n) < s47_here, draw_array(cw.visit_delay_s47, rng, n), draw_array(cw.visit_delay, rng, n))
    seen = np.maximum(d, visit + after)
    return float(seen.mean()), float(np.median(seen))


def test_lengths(trip):
    cfg, result, fitted = trip
    pd_ = cfg.service.casework.plan_duration
    known = {}
    for plan in ("cin", "lac"):   # lognormal: the median is mean / sqrt(1 + cv^2)
        spec = getattr(pd_, plan)
        known[plan] = (spec.mean, spec.mean / math.sqrt(1 + (spec.sd / spec.mean) ** 2))
    known["cp"] = xcal._dist_stats({"kind": "empirical", "edges": pd_.cp.edges, "counts": pd_.cp.counts})
    known["assessment_duration"] = _seen_assessment(cfg)
    for name, (mean, median) in known.items():
        fit = result.lengths[name]
        assert fit.kind != "kept", name
        # Standard errors: the likelihood's curvature for a parametric fit, a bootstrap of the
        # Kaplan-Meier curve for an empirical one.
        assert abs(fit.mean - mean) <= Z * fit.mean_se, (name, fit.mean, fit.mean_se, mean)
        assert abs(fit.median - median) <= Z * fit.median_se, (name, fit.median, fit.median_se, median)
    assert result.lengths["cin"].kind == "lognormal"   # generated lognormal, and found so
    assert result.lengths["cp"].kind == "empirical"    # generated from bins no curve follows
    cp = fitted.service.casework.plan_duration.cp
    assert cp.kind == "empirical" and cp.unit == "days"
    assert fitted.service.casework.assessment_duration.unit == "working_days"


def test_turnover_and_establishment(trip):
    cfg, result, fitted = trip
    to = result.measured["turnover"]
    rates = fitted.service.workforce.turnover.annual_rate
    known = cfg.service.workforce.turnover.annual_rate
    # Leavers are a Poisson count: the rate's relative error is 1 / sqrt(leavers).
    assert to.leavers >= 30
    assert abs(rates.permanent - known.permanent) <= Z * rates.permanent / math.sqrt(to.leavers)
    assert rates.agency / rates.permanent == pytest.approx(known.agency / known.permanent, rel=1e-3)
    # Posts: each of a team's P posts is vacant at the end with the steady state's share v (from the
    # turnover and recruitment lags), so the staff in post are about Binomial(P, 1 - v).
    vacant = {k: dfe._vacant_share(dfe.default_service(), k) for k in ("permanent", "agency", "asye")}
    for team in ("mash", "assessment", "long_term"):
        groups = getattr(cfg.service.workforce, team).groups
        posts = sum(g.count for g in groups)
        var = sum(g.count * vacant[g.kind] * (1 - vacant[g.kind]) for g in groups)
        got = sum(g.count for g in getattr(fitted.service.workforce, team).groups)
        assert abs(got - posts) <= Z * math.sqrt(var) + 1, (team, got, posts)   # + 1: rounding


def test_returns_and_changes_of_worker(trip):
    cfg, result, fitted = trip
    # Known: the generating service's shares, a scale of 1.  Besides the re-referral rate's binomial
    # error, the solve rests on the default service's ratio of its simulated rate to the steady-state
    # approximation (taken from its published 32.2%, simulated within a point of it: 1 in 32).
    k, se = result.measured["returns_scale"], result.measured["returns_scale_se"]
    assert abs(k - 1) <= Z * se + 1 / 32.2
    shares = fitted.service.returns.routes
    assert shares.closed.share == pytest.approx(cfg.service.returns.routes.closed.share * k, rel=1e-3)
    # Changes of worker: the records count the moves made; the model tries manage_per_year and
    # makes those a colleague has room for, so the moves made can only be fewer (give or take chance).
    wc = result.measured["worker_changes"]
    manage = fitted.service.workforce.reallocation.manage_per_year
    assert manage <= cfg.service.workforce.reallocation.manage_per_year + Z * manage / math.sqrt(wc.manage)
    assert manage > 0.5 * cfg.service.workforce.reallocation.manage_per_year
    moved = wc.plan_changes
    assert moved.p <= cfg.service.workforce.reallocation.transfer_on_plan_change + Z * moved.se


def test_the_steady_state_matches_the_records(trip):
    _, result, _ = trip
    for what, model, records in result.checks:
        # A year's referrals and plan starts are Poisson counts of clustered children (a design
        # effect of at most about 2, as the contacts'): Z standard errors of that.
        assert abs(model - records) <= Z * math.sqrt(2 * records), (what, model, records)


# --------------------------------------------------------------------------------------- the estimators
def _contacts_history(per_year: float, factors, late: float, trend: float, years: int = 4, seed: int = 3):
    """A history holding only contacts: each working day a Poisson number at the day's rate."""
    from sim.calendar import england_bank_holidays

    first, last = pd.Timestamp("2021-01-01"), pd.Timestamp(f"{2021 + years - 1}-12-31")
    days = pd.date_range(first, last, freq="D")
    hols = england_bank_holidays(first.year, last.year)
    working = np.array([d.weekday() < 5 and d.date() not in hols for d in days])
    f = np.array([factors[d.month - 1] * (late if d.month == 12 and d.day >= 21 else 1.0) for d in days])
    t = np.array([(d - last).days / 365.25 for d in days])
    rate = per_year * years / (f * working).sum() * f * (1 + trend) ** t * working
    n = np.random.default_rng(seed).poisson(rate)
    dates = np.repeat(days.to_numpy(), n)
    contacts = pd.DataFrame({"cont_contact_date": pd.to_datetime(dates)})
    return hist.History({"ssd_contacts": contacts}, first, last, False, {"ssd_contacts": contacts})


def test_seasonality_and_trend_from_counts_alone():
    factors = [1.0, 1.0, 1.05, 0.95, 1.05, 1.05, 1.0, 0.7, 1.15, 1.05, 1.05, 0.95]
    known = np.array(factors) / np.mean(factors)
    vol = xcal.fit_volumes(_contacts_history(60_000, factors, 0.5, 0.0))
    got = np.array(vol.month_factors)
    pull = (1 - np.array(vol.month_weight)) * np.abs(np.log(known))
    assert np.all(np.abs(np.log(got) - np.log(known)) <= Z * np.array(vol.month_se) + pull)
    assert abs(vol.late_december - 0.5) <= Z * vol.late_december_se
    # Poisson counts: the Pearson dispersion is 1 give or take sqrt(2 / df), df about 40 here.
    assert not vol.trend_used and vol.dispersion < 1 + Z * math.sqrt(2 / 40)
    rising = xcal.fit_volumes(_contacts_history(60_000, factors, 0.5, 0.08))
    assert rising.trend_used and abs(rising.trend - 0.08) <= Z * rising.trend_se
    # The written level stands for the history's end: the last 12 months' count, half a year's trend on.
    assert rising.level == pytest.approx(rising.last_year * 1.08 ** 0.5, rel=0.02)
    flat = xcal.fit_volumes(_contacts_history(60_000, [1.0] * 12, 1.0, 0.0, years=1))
    assert not flat.trend_used and len(flat.years) == 1            # one whole year: no trend is fitted
    assert np.all(np.abs(np.log(flat.month_factors)) <= Z * np.array(flat.month_se))


def test_unmixing_returning_children():
    vol = xcal.Volumes(0, 365, 1.0, 0.0, 1.0, [], 0.0, 0.0, False, [0.9, 1.1] * 6, 1.0, [0.0] * 12, [1.0] * 12, 12,
                       10_000, 0.8, 0.0, 500)
    factors, late = xcal.new_children_seasonality(vol, 0.5)
    assert factors == pytest.approx([0.8, 1.2] * 6)      # half the contacts flat: twice the swing
    # December (1.2 for new children) at 0.8 overall from the 21st: (0.5 x 1.2 x L + 0.5) / (0.5 x 1.2 + 0.5) = 0.8
    assert (0.5 * 1.2 * late + 0.5) / (0.5 * 1.2 + 0.5) == pytest.approx(0.8)


def _spells(length, ended, name="x", unit="days"):
    return hist.Spells(name, unit, np.asarray(length, float), np.asarray(ended, bool))


def test_a_censored_lognormal_is_found():
    rng = np.random.default_rng(5)
    x = rng.lognormal(math.log(140), 0.9, 3000)
    c = rng.uniform(0, 1200, 3000)                         # open at the end: right-censored
    fit = xcal.fit_length(_spells(np.floor(np.minimum(x, c)), x <= c), {"kind": "fixed", "value": 1.0})
    mean = 140 * math.exp(0.9 ** 2 / 2)
    assert fit.kind == "lognormal" and fit.ks["lognormal"] <= fit.ks_limit
    assert abs(fit.mean - mean) <= Z * fit.mean_se and abs(fit.median - 140) <= Z * fit.median_se
    naive = np.minimum(x, c).mean()                        # ignoring the censoring would be far off
    assert abs(naive - mean) > 5 * fit.mean_se


def test_two_humps_fall_back_to_the_kaplan_meier_curve():
    rng = np.random.default_rng(6)
    x = np.where(rng.random(4000) < 0.5, rng.uniform(20, 60, 4000), rng.uniform(300, 420, 4000))
    c = rng.uniform(0, 2000, 4000)
    fit = xcal.fit_length(_spells(np.floor(np.minimum(x, c)), x <= c), {"kind": "fixed", "value": 1.0})
    assert fit.kind == "empirical" and min(fit.ks.values()) > fit.ks_limit
    assert abs(fit.mean - 200) <= Z * fit.mean_se          # mean of the two humps, 40 and 360
    e, counts = np.array(fit.spec["edges"]), np.array(fit.spec["counts"])
    gap = (e[:-1] >= 60) & (e[1:] <= 300)
    assert counts[gap].sum() / counts.sum() < 0.02          # almost nothing drawn between the humps


def test_too_few_ended_keeps_the_base():
    base = {"kind": "lognormal", "mean": 100.0, "sd": 50.0, "unit": "days"}
    fit = xcal.fit_length(_spells([10, 20, 30] * 5, [True] * 15), base)
    assert fit.kind == "kept" and fit.spec == base


def test_priorities_keep_their_differences():
    base = {"red": {"referral": 0.95, "early_help": 0.05, "no_further_action": 0.0},
            "amber": {"referral": 0.25, "early_help": 0.37, "no_further_action": 0.38},
            "green": {"referral": 0.10, "early_help": 0.25, "no_further_action": 0.65}}
    mix = {"red": 0.17, "amber": 0.43, "green": 0.40}
    have = {o: sum(mix[p] * base[p][o] for p in mix) for o in base["red"]}
    same = xcal.rake_outcomes(base, mix, have)
    assert all(same[p] == pytest.approx(base[p]) for p in base)   # the base's own mix: the base's rows
    target = {"referral": 0.40, "early_help": 0.25, "no_further_action": 0.35}
    rows = xcal.rake_outcomes(base, mix, target)
    for o, v in target.items():
        assert sum(mix[p] * rows[p][o] for p in mix) == pytest.approx(v, abs=1e-6)
    assert rows["red"]["no_further_action"] == 0.0
    # One factor per outcome for every priority: the odds ratios between priorities are the base's.
    odds = lambda r: r["referral"] / r["early_help"]  # noqa: E731
    assert odds(rows["amber"]) / odds(rows["green"]) == pytest.approx(odds(base["amber"]) / odds(base["green"]))
    shifted, delta = xcal.shift_shares({"red": 0.8, "amber": 0.25, "green": 0.02}, mix, 0.30)
    assert sum(mix[p] * shifted[p] for p in mix) == pytest.approx(0.30, abs=1e-9) and delta > 0


def test_before_keeps_only_the_history_before():
    extract = read_extract(EXAMPLE)
    h = hist.read_history(extract, "2026-01-01")
    cutoff = pd.Timestamp("2026-01-01")
    assert h.last_day == cutoff - pd.Timedelta(days=1) and h.cut
    for name, (start, end, _) in hist._ENDS.items():
        t = h.table(name)
        assert (t[start] < cutoff).all() and not (t[end] >= cutoff).any(), name
    assert (h.table("ssd_contacts")["cont_contact_date"] < cutoff).all()
    whole = hist.read_history(extract)
    # An assessment authorised after the cutoff is open at it, its outcome not yet known.
    a = whole.table("ssd_cin_assessments")
    later = a[(a["cina_assessment_start_date"] < cutoff) & (a["cina_assessment_auth_date"] >= cutoff)]
    assert len(later)
    cut = h.table("ssd_cin_assessments").set_index("cina_assessment_id")
    assert cut.loc[later["cina_assessment_id"], "cina_assessment_auth_date"].isna().all()
    assert cut.loc[later["cina_assessment_id"], "cina_assessment_outcome_nfa"].isna().all()


# --------------------------------------------------------------------------------------- the command
@pytest.fixture
def configs(tmp_path, monkeypatch) -> Path:
    shutil.copytree(REPO / "configs", tmp_path / "configs", ignore=shutil.ignore_patterns("la_*.yaml", "extract_*.yaml"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "configs" / "service"


_run = exit_status  # caseflow argv, in this process: its exit status


def test_the_example_extract_gives_a_service_that_composes(configs, capsys):
    assert _run(["calibrate", f"extract={EXAMPLE}", "out=my_council"]) == 0
    out = capsys.readouterr().out
    assert "wrote configs/service/my_council.yaml" in out and "run it: caseflow service=my_council" in out
    text = (configs / "my_council.yaml").read_text(encoding="utf-8")
    service = yaml.safe_load(text)
    assert service["name"] == "my_council"
    job = compose_job(["service=my_council"])
    assert job.cfg.service.name == "my_council"
    # Every value is marked: fitted (D, with its n) or kept from the base (E).
    kinds = {r["parameter"]: r["kind"] for r in job.assumptions()}
    assert "not marked" not in set(kinds.values())
    assert kinds["service.demand.contacts_per_year"] == "derived"
    assert kinds["service.casework.plan_duration.cin.mean"] == "derived"
    assert kinds["service.mash.screening.mean"] == "estimated"
    assert kinds["service.workforce.recruitment.permanent.mean"] == "estimated"
    assert "n=" in text and "KS distance" in text and "kept from the base service (nottingham)" in text
    assert sorted(p.name for p in configs.iterdir()) == ["my_council.yaml", "nottingham.yaml"]


def test_the_default_name_and_before(configs):
    digest = read_extract(EXAMPLE).digest
    assert _run(["calibrate", f"extract={EXAMPLE}", "before=2026-06-01"]) == 0
    path = configs / f"extract_{digest[:8]}.yaml"
    text = path.read_text(encoding="utf-8")
    assert "before=2026-06-01" in text and "2024-12-01 to 2026-05-31" in text
    compose_job([f"service=extract_{digest[:8]}"])


def _broken_extract(tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    shutil.copytree(EXAMPLE, folder)
    frame = pd.read_csv(folder / "ssd_contacts.csv", dtype=str)
    frame.drop(columns=["cont_contact_date"]).to_csv(folder / "ssd_contacts.csv", index=False)
    return folder


@pytest.mark.parametrize("argv, words", [
    ([f"extract={REPO / 'no_such_folder'}"], "does not exist"),
    (["extract=BROKEN"], "has no column cont_contact_date"),
    ([f"extract={EXAMPLE}", "la=892"], "not both"),
    ([f"extract={EXAMPLE}", "year=2022"], "not both"),
    ([f"extract={EXAMPLE}", "colour=red"], "no setting 'colour'"),
    ([f"extract={EXAMPLE}", "before=2026-13-01"], "YYYY-MM-DD"),
    ([f"extract={EXAMPLE}", "before=2030-01-01"], "after the extract's last day"),
    ([f"extract={EXAMPLE}", "before=2025-01-01"], "less than 182 days"),
    ([f"extract={EXAMPLE}", "service=atlantis"], "atlantis"),
    ([f"extract={EXAMPLE}", "out=nottingham"], "default service"),
    ([f"extract={EXAMPLE}", "out=../x"], "plain file name"),
    (["extract="], "needs the folder"),
    (["la=892", "year=2022", "before=2025-01-01"], "with extract="),
    (["la=892", "year=2022", "service=nottingham"], "with extract="),
])
def test_bad_input(configs, capsys, tmp_path, argv, words):
    if "extract=BROKEN" in argv:
        argv = [f"extract={_broken_extract(tmp_path)}" if a == "extract=BROKEN" else a for a in argv]
    before = sorted(p.name for p in configs.iterdir())
    original = (configs / "nottingham.yaml").read_bytes()
    status = _run(["calibrate", *argv])
    err = capsys.readouterr().err
    assert status == 2, err
    assert words in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert sorted(p.name for p in configs.iterdir()) == before
    assert (configs / "nottingham.yaml").read_bytes() == original
