"""caseflow calibrate: a service for any council from the packaged DfE tables.

Each test works in its own copy of configs/ (the command writes into ./configs/service when the
working folder has a configs/config.yaml), so the repository's service folder is never touched.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas
import pytest
import yaml

from sim import calibrate as cal
from bad_inputs import exit_status
from sim.cli import main as caseflow
from sim.inputs.compose import compose_job
from sim.reference import published as pub

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def configs(tmp_path, monkeypatch) -> Path:
    # Without any service a calibration wrote into the checkout (they are not part of it: .gitignore).
    shutil.copytree(REPO / "configs", tmp_path / "configs", ignore=shutil.ignore_patterns("la_*.yaml"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "configs" / "service"


_run = exit_status  # caseflow argv, in this process: its exit status


def _service(folder: Path, name: str) -> tuple[dict, str]:
    text = (folder / f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text), text


def test_nottingham_2022_takes_the_published_values(configs):
    assert _run(["calibrate", "la=892", "year=2022"]) == 0
    s, text = _service(configs, "la_892_2022")
    p = pub.published(892, 2022)
    assert s["la_code"] == 892 and s["name"] == "la_892_2022"
    assert s["calibration"] == {"year": 2022, "figures": list(cal.CALIBRATION_FIGURES)}
    wf = s["workforce"]
    assert wf["turnover"]["annual_rate"]["permanent"] == pytest.approx(p["turnover_rate_pct"] / 100)
    assert wf["sickness"]["absence_share"] == pytest.approx(p["absence_rate_pct"] / 100)
    # Posts less the share of the time turnover leaves them vacant: the census's FTE in post.
    in_post = {k: sum(g["count"] * g["fte"] * (1 - cal._vacant_share(s, k)) for team in ("assessment", "long_term")
                      for g in wf[team]["groups"] if g["kind"] == k) for k in ("permanent", "agency", "asye")}
    fte = sum(in_post.values())
    assert fte == pytest.approx(p["case_holders_fte"], abs=2)
    assert in_post["agency"] / fte == pytest.approx(p["agency_rate_pct"] / 100, abs=0.01)
    pd_ = s["casework"]["plan_duration"]
    assert pd_["lac"]["mean"] == round(p["cla_at31"] / p["cla_started"] * 365)
    delay = s["casework"]["allocation_delay"]
    assert delay["unit"] == "working_days"
    assert delay["mean"] == pytest.approx(p["awaiting_assessment"] / (p["referrals"] / 365) * 5 / 7, abs=0.01)
    assert cal.mean_of_bins(pd_["cp"]["counts"]) == pytest.approx(p["cp_at31"] / p["cp_started"] * 365, rel=0.05)
    from sim.config import Dist
    from sim.distributions import mean_of

    assert mean_of(Dist(**pd_["cp"])) == pytest.approx(p["cp_at31"] / p["cp_started"] * 365, rel=1e-3)
    # Every value calibrated cites the published figure, as the tables hold it.
    for key in ("referrals", "turnover_rate_pct", "cp_at31_under_3m_pct", "cla_at31", "case_holders_fte",
                "nfa_pct", "not_in_need_pct", "caseload_per_fte"):
        shown = cal._fmt(p[key]) + ("%" if pub.FIGURES[key].unit == "percent" else "")
        assert shown in text, key
    # Provenance reads a marker for every value.
    doc = compose_job(["service=la_892_2022"])
    rows = doc.assumptions()
    kinds = {r["parameter"]: r["kind"] for r in rows}
    assert kinds["service.workforce.turnover.annual_rate.permanent"] == "published"
    assert kinds["service.demand.contacts_per_year"] == "derived"
    assert kinds["service.casework.plan_duration.cp.counts"] == "derived"
    assert kinds["service.mash.screening.mean"] == "estimated"
    assert "not marked" not in set(kinds.values())


@pytest.mark.parametrize("code", [892, 805, 857, 330])
def test_the_steady_state_gives_the_published_flows(code):
    """The solved shares make the service's expected referrals, CP plan starts and looked-after
    starts (sim.model.flows, no simulation) the published ones, and children coming back the
    share that the default service's ratio turns into the published re-referral rate."""
    from sim.inputs.typed import with_service
    from sim.model import flows

    result = cal.calibrate(code, 2024)
    cfg = with_service(result.service)
    p = {k: cal.find(k, result.council, 2024).value for k in ("referrals", "cp_started", "cla_started",
                                                                "rereferral_pct", "nfa_pct", "not_in_need_pct")}
    referrals = sum(flows.expected_referrals_per_day(cfg).values())
    assert 365 * referrals == pytest.approx(p["referrals"], rel=0.005)
    starts = flows.expected_plan_starts_per_day(cfg)
    assert 365 * starts["cp"][0] == pytest.approx(p["cp_started"], rel=0.01)
    assert 365 * starts["lac"][0] == pytest.approx(p["cla_started"], rel=0.01)
    assert 100 * flows.closed_per_day(cfg) / referrals == pytest.approx(p["nfa_pct"] + p["not_in_need_pct"], rel=0.01)
    constant = cal._rereferral_constant(cal.default_service(), pub.published(892, 2024))
    capped = any(r["share"] >= cal.MAX_RETURN_SHARE for r in result.service["returns"]["routes"].values())
    rate = 100 * constant * flows.rereferrals_per_day(cfg) / referrals
    if capped:  # a share at the cap: the published rate is out of reach, and the solve stops short of it
        assert code == 805 and rate < p["rereferral_pct"]
    else:
        assert rate == pytest.approx(p["rereferral_pct"], rel=0.01)


def test_composes_and_validates(configs):
    assert _run(["calibrate", "la=Nottingham", "year=2022"]) == 0
    job = compose_job(["service=la_892_2022"])
    assert job.cfg.service.la_code == 892
    assert job.cfg.service.calibration.year == 2022


def test_reproduces_the_default_services_cp_fit():
    """The fit of decision 0024, on Nottingham's 2024 bands, lands near the default service's bins."""
    p = pub.published(892, 2024)
    bins = cal.cp_duration_bins([p[b] for b in cal.CP_BANDS], p["cp_at31"] / p["cp_started"] * 365)
    default = cal.default_service()["casework"]["plan_duration"]["cp"]["counts"]
    assert list(cal.CP_BIN_EDGES) == cal.default_service()["casework"]["plan_duration"]["cp"]["edges"]
    assert sum(abs(a - b) for a, b in zip(bins, default)) < 20


def test_suppressed_values_come_from_the_neighbours(configs, capsys):
    # Rutland's CP plans by time on plan are suppressed in 2022.
    assert pub.value("cp_at31_under_3m_pct", 857, 2022) is None
    assert _run(["calibrate", "la=rutland", "year=2022"]) == 0
    s, text = _service(configs, "la_857_2022")
    first = cal.council(857).neighbours
    assert "neighbour" in text and "DfE CIN D5 2022, neighbour" in " ".join(text.split())
    found = cal.find_all(cal.CP_BANDS, cal.council(857), 2022)
    source = found["cp_at31_under_3m_pct"].source
    assert source.startswith("neighbour") or source.startswith("region") or source == "England"
    code = int(source.split()[1]) if source.startswith("neighbour") else None
    if code is not None:
        assert code in [n for n, _ in first]
        assert found["cp_at31_under_3m_pct"].value == pub.value("cp_at31_under_3m_pct", code, 2022)
    assert "suppressed or missing" in capsys.readouterr().out
    compose_job(["service=la_857_2022"])


def test_a_suppressed_count_is_scaled_to_the_councils_children():
    c = cal.council(857)
    f = cal.find("cp_at31", c, 2022)
    if f.source.startswith("neighbour"):
        n = int(f.source.split()[1])
        rate = pub.value("cp_at31", n, 2022) / pub.value("population_0_17", n, 2022)
        assert f.value == pytest.approx(rate * pub.value("population_0_17", 857, 2022))


def test_every_council_calibrates_for_one_year(configs):
    """Every council in the neighbours table gives a service that reads back as written."""
    codes = [int(x) for x in pub._table(pub.NEIGHBOURS)["old_la_code"]]
    failures = []
    for code in codes:
        try:
            cal.service_yaml(cal.calibrate(code, 2024))
        except Exception as e:  # noqa: BLE001 - collected to name every failing council
            failures.append((code, str(e)))
    assert not failures


@pytest.mark.parametrize("argv, words", [
    (["la=NOTTINGHAM", "year=2022"], None),
    (["la=nottingam", "year=2022"], "did you mean 'Nottingham'"),
    (["la=Atlantis", "year=2022"], "No council"),
    (["la=892", "year=1999"], "year=1999"),
    (["la=892", "year=22"], "four digits"),
    (["la=cumberland", "year=2022"], "reports for 2024 only"),
    (["la=999", "year=2022"], "No council"),
    (["la=892"], "needs the DfE year"),
    (["year=2022"], "needs a council"),
    (["la=892", "year=2022", "out=nottingham"], "default service"),
    (["la=892", "year=2022", "out=../x"], "plain file name"),
    (["la=892", "year=2022", "colour=red"], "no setting"),
])
def test_names_and_bad_input(configs, capsys, argv, words):
    before = sorted(p.name for p in configs.iterdir())
    original = (configs / "nottingham.yaml").read_bytes()
    status = _run(["calibrate", *argv])
    err = capsys.readouterr().err
    if words is None:
        assert status == 0 and (configs / "la_892_2022.yaml").is_file()
        return
    assert status == 2
    assert words in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert sorted(p.name for p in configs.iterdir()) == before
    assert (configs / "nottingham.yaml").read_bytes() == original


def test_out_names_the_file(configs):
    assert _run(["calibrate", "la=derby", "year=2024", "out=derby_2024.yaml"]) == 0
    s, _ = _service(configs, "derby_2024")
    assert s["name"] == "derby_2024" and s["la_code"] == 831
    compose_job(["service=derby_2024"])


def test_validate_la_runs_the_councils_preset(configs, capsys, presets_cache):
    """``caseflow validate la=<name> year=Y`` validates the council's preset for that year: built
    once into the cache (never into configs/service/), reused after, and the table is that
    council's."""
    from sim.inputs import presets

    results = configs.parent.parent / "results"
    caseflow(["validate", "year=2024", "la=rutland", "replications=2", "executor=serial", "report=false",
              f"results_dir={results}"])
    assert not list(configs.glob("la_*.yaml"))
    cached = list(presets.cache_dir().glob("la_857_2024-*.yaml"))
    assert len(cached) == 1 and cached[0].parent == presets_cache / "services"
    stamp = cached[0].stat().st_mtime_ns
    (out,) = (results / "validate").iterdir()
    table = pandas.read_csv(out / "validation.csv")
    assert (table["la_code"] == 857).all() and (table["year"] == 2024).all()
    assert yaml.safe_load((out / "config.yaml").read_text())["service"]["name"] == "la_857_2024"
    caseflow(["validate", "year=2024", "la=857", "replications=1", "executor=serial", "report=false",
              f"results_dir={results}"])
    assert cached[0].stat().st_mtime_ns == stamp  # reused, not calibrated again
    with pytest.raises(SystemExit) as exit_:
        caseflow(["validate", "year=2024", "la=892", "service=nottingham"])
    assert exit_.value.code == 2 and "remove service=" in capsys.readouterr().err


def test_a_preset_is_the_calibrated_service(presets_cache):
    """``service=la/<council>[/<year>]``: the latest year held unless given; the same values as
    caseflow calibrate writes; bad forms are one sentence naming the key."""
    from sim.inputs import presets
    from sim.inputs.errors import InputError

    latest = pub.years("referrals")[-1]
    job = compose_job(["service=la/rutland"])
    assert job.cfg.service.name == f"la_857_{latest}" and job.cfg.service.la_code == 857
    assert compose_job(["service=la/857/2022"]).cfg.service.calibration.year == 2022
    cached = presets.preset_path("la/857/2022")
    assert yaml.safe_load(cached.read_text()) == cal.calibrate(857, 2022).service
    for value, words in (("la/atlantis", "No council"), ("la/857/22", "four digits"),
                         ("la/857/1999", "cover the years"), ("la/", "la/<council"), ("la/857/2022/x", "la/<council")):
        with pytest.raises(InputError) as e:
            compose_job([f"service={value}"])
        assert "'service'" in str(e.value) and words in str(e.value), value


def test_nottingham_2022_calibrated_meets_the_fidelity_bar(tmp_path):
    """Issue 9's bar on the calibrated service: Nottingham's preset for 2022, validated on 2022,
    has at least 80% of the figures inside the simulated 10th-90th range and none off by a factor
    of two (docs/validation.md gives the 20-replication table; 10 here, for time)."""
    caseflow(["validate", "year=2022", "la=nottingham", "replications=10", "report=false",
              f"results_dir={tmp_path}"])
    (out,) = (tmp_path / "validate").iterdir()
    table = pandas.read_csv(out / "validation.csv")
    ratio = table["sim_p50"] / table["published"]
    assert table["inside"].mean() >= 0.8, table.loc[~table["inside"], "figure"].tolist()
    assert ratio.between(0.5, 2).all()
