"""A table of bad inputs across every path: overrides, options, scenario files, compare, results_dir.

Each row gives the command line, the files to put in the working folder first, and words the
one-line message must contain.  Every row must end with exit status 2, one line, no traceback
and nothing written (``bad_inputs.refused``).  Rows marked "code" are the code-execution and
path-escape cases found by the hostile-user review: each must also create nothing outside
the working folder (the file it would have created is checked).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bad_inputs import refused

BIG = "# padding\n" * 120_000  # 1.2 MB of comments: over the 1 MB limit
BOMB = ("a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n")
PWNED = "PWNED"  # a file the hostile inputs try to create in the working folder

# (id, argv, files {relative path: text}, words the message must contain)
ROWS = [
    # ---- code execution through a scenario file (review finding 1)
    ("code-scenario-hydra-callback", ["scenario=evil"],
     {"scenarios/evil.yaml": f"hydra:\n  callbacks:\n    x:\n      _target_: builtins.open\n      file: {PWNED}\n      mode: w\n"},
     ["evil.yaml", "line 1", "hydra"]),
    ("code-scenario-env-set-pythonpath", ["scenario=evil"],
     {"scenarios/evil.yaml": "seed: 3\nhydra:\n  job:\n    env_set:\n      PYTHONPATH: .\n"}, ["line 2", "hydra"]),
    ("code-scenario-git-fsmonitor", ["scenario=evil", "executor=serial"],
     {"scenarios/evil.yaml": f"hydra:\n  job:\n    env_set:\n      GIT_CONFIG_COUNT: '1'\n      GIT_CONFIG_KEY_0: core.fsmonitor\n"
                             f"      GIT_CONFIG_VALUE_0: touch {PWNED}\n"}, ["hydra"]),
    ("code-scenario-target-nested", ["scenario=evil"],
     {"scenarios/evil.yaml": "service:\n  demand:\n    _target_: os.system\n"}, ["line 3", "_target_"]),
    ("code-scenario-python-tag", ["scenario=evil"],
     {"scenarios/evil.yaml": f"seed: !!python/object/apply:os.system ['touch {PWNED}']\n"}, ["line 1", "tag"]),
    ("code-scenario-python-tag-on-mapping", ["scenario=evil"],
     {"scenarios/evil.yaml": "service: !!python/object:os.x {name: x}\n"}, ["tag", "not allowed"]),
    ("code-scenario-env-resolver", ["scenario=evil"],
     {"scenarios/evil.yaml": "scenario:\n  description: ${oc.env:HOME}\n"}, ["scenario.description", "resolver"]),
    ("code-scenario-now-resolver", ["scenario=evil"],
     {"scenarios/evil.yaml": "start_date: ${now:%Y-%m-%d}\n"}, ["start_date", "resolver"]),
    ("code-scenario-hydra-resolver", ["scenario=evil"],
     {"scenarios/evil.yaml": "scenario:\n  description: ${hydra:runtime.cwd}\n"}, ["scenario.description", "resolver"]),
    ("code-scenario-reference-to-hydra", ["scenario=evil"],
     {"scenarios/evil.yaml": "scenario:\n  description: ${hydra.run.dir}\n"}, ["scenario.description",
                                                                         "not one of caseflow's settings"]),
    ("code-service-file-hydra", ["service=evil"],
     {"configs/config.yaml": "defaults:\n  - service: nottingham\n  - scenario: default\n",
      "configs/service/evil.yaml": "name: evil\nhydra:\n  run:\n    dir: /tmp\n"}, ["service file", "hydra"]),
    ("code-local-config-hydra", [],
     {"configs/config.yaml": "defaults:\n  - service: x\n  - scenario: default\nhydra:\n  callbacks: {}\n",
      "configs/service/x.yaml": "name: x\n"}, ["config file", "hydra"]),
    ("code-local-config-defaults-callback", [],
     {"configs/config.yaml": "defaults:\n  - hydra/callbacks: evil\n"}, ["defaults list"]),
    # ---- code execution and escapes through command-line hydra settings (findings 1-2)
    ("code-cli-hydra-callback", ["+hydra.callbacks.x._target_=builtins.open", f"+hydra.callbacks.x.file={PWNED}"], {},
     ["hydra.callbacks", "hydra/launcher=joblib"]),
    ("code-cli-env-set", ["hydra.job.env_set.PYTHONPATH=."], {}, ["refused"]),
    ("path-cli-run-dir", ["hydra.run.dir=/tmp/elsewhere"], {}, ["refused"]),
    ("path-cli-sweep-dir", ["-m", "seed=1,2", "hydra.sweep.dir=/tmp/elsewhere"], {}, ["refused"]),
    ("path-cli-output-subdir", ["hydra.output_subdir=.hydra"], {}, ["refused"]),
    ("code-cli-job-logging", ["hydra/job_logging=default"], {}, ["refused"]),
    ("code-cli-other-launcher", ["-m", "hydra/launcher=submitit_local", "seed=1,2"], {}, ["launchers are basic, joblib"]),
    ("cli-n-jobs-zero", ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=0", "seed=1,2"], {}, ["n_jobs", "1 to 64"]),
    ("cli-n-jobs-without-joblib", ["-m", "hydra.launcher.n_jobs=2", "seed=1,2"], {}, ["only with hydra/launcher=joblib"]),
    ("code-cli-env-resolver", ["seed=${oc.env:HOME}"], {}, ["seed", "resolver"]),
    ("code-cli-quoted-resolver", ["scenario.description='${oc.env:HOME}'"], {}, ["resolver"]),
    ("code-cli-decode-resolver", ["scenario.description=${oc.decode:'1'}"], {}, ["resolver"]),
    ("cli-config-path", ["--config-path", "/tmp"], {}, ["--config-path", "not supported"]),
    ("cli-config-dir", ["-cd", "/tmp"], {}, ["-cd"]),
    ("cli-config-name", ["--config-name=other"], {}, ["--config-name"]),
    ("cli-hydra-help", ["--hydra-help"], {}, ["--hydra-help"]),
    ("cli-info", ["--info"], {}, ["--info"]),
    ("cli-shell-completion", ["--shell-completion"], {}, ["--shell-completion"]),
    ("cli-experimental-rerun", ["--experimental-rerun", "x.pickle"], {}, ["--experimental-rerun"]),
    # ---- paths (finding 2)
    ("path-scenario-dotdot", ["scenario=../../etc/x"], {}, ["'scenario'", "a name may hold only"]),
    ("path-scenario-absolute", ["scenario=/etc/passwd"], {}, ["a name may hold only"]),
    ("path-scenario-name-dotdot", ["scenario.name=../../x"], {}, ["scenario.name", "a name may hold only"]),
    ("path-scenario-name-absolute", ["scenario.name=/tmp/x"], {}, ["scenario.name"]),
    ("path-scenario-name-in-file", ["scenario=mine"], {"scenarios/mine.yaml": "seed: 4\n"}, []),  # placeholder, see below
    ("path-service-dotdot", ["service=../x"], {}, ["'service'", "a name may hold only"]),
    ("path-scenario-link-outside", ["scenario=linked"], {"outside/linked.yaml": "seed: 3\n"}, ["link", "outside"]),
    ("path-results-dir-empty", ["results_dir="], {}, ["results_dir", "empty"]),
    ("path-results-dir-blank", ["results_dir=' '"], {}, ["results_dir", "empty"]),
    ("path-results-dir-file", ["results_dir=afile"], {"afile": "x\n"}, ["results_dir", "is a file"]),
    ("path-results-dir-under-file", ["results_dir=afile/below"], {"afile": "x\n"}, ["results_dir", "under a file"]),
    ("path-results-dir-proc", ["results_dir=/proc/caseflow-results"], {}, ["results_dir", "cannot write"]),
    # ---- messages that help (finding 8)
    ("key-near-miss-replications", ["replicatons=3"], {}, ["did you mean 'replications'"]),
    ("key-near-miss-horizon", ["horizon_month=6"], {}, ["did you mean 'horizon_months'", "allowed keys are"]),
    ("key-wrong-case", ["Seed=3"], {}, ["did you mean 'seed'"]),
    ("key-nested-near-miss", ["service.mash.screenin.mean=3"], {}, ["did you mean 'screening'", "under 'service.mash'"]),
    ("key-added-unknown", ["+service.demand.extra=1"], {}, ["service.demand.extra", "Unknown config key"]),
    ("scenario-near-miss", ["scenario=baseline2022"], {}, ["did you mean 'baseline_2022'", "available scenarios are"]),
    ("scenario-missing", ["scenario=no_such_scenario"], {}, ["no_such_scenario", "available scenarios are"]),
    ("service-missing", ["service=leeds"], {}, ["Service 'leeds' not found", "available services are nottingham"]),
    ("arg-no-key", ["=5"], {}, ["has no key"]),
    ("arg-no-equals", ["seed"], {}, ["not a setting", "key=value"]),
    ("arg-unparsable", ["seed=[1,"], {}, ["cannot be read"]),
    ("arg-delete", ["~seed"], {}, ["deletes a key"]),
    ("arg-package", ["scenario@foo=default"], {}, ["package"]),
    ("arg-unknown-group", ["db/mysql=x"], {}, ["groups are scenario and service"]),
    ("list-for-mapping", ["service.demand=[1,2]"], {}, ["service.demand", "must be a mapping"]),
    ("mapping-for-list", ["service.funding={a: 1}"], {}, ["service.funding", "must be a list of funding actions"]),
    ("list-position-missing", ["service.funding.0.count=3"], {}, ["service.funding.0.count", "position 0", "0 entries"]),
    ("index-on-a-value", ["seed.0=3"], {}, ["seed.0", "single value"]),
    ("funding-key-near-miss", ["scenario=temporary_funding", "service.funding.0.cont=3"], {}, ["did you mean 'count'"]),
    ("several-values-without-m", ["seed=1,2"], {}, ["-m"]),
    ("sweep-interval", ["-m", "seed=interval(1,2)"], {}, ["interval"]),
    ("sweep-too-large", ["-m", "seed=range(0,1000000000)"], {}, ["1,000,000,000", "at most 1,000"]),
    ("sweep-product-too-large", ["-m", "seed=range(0,100)", "replications=range(1,100)"], {}, ["9,900 runs"]),
    ("sweep-glob-on-a-key", ["-m", "seed=glob(*)"], {}, ["glob"]),
    ("sweep-bad-run-named", ["-m", "seed=1,abc"], {}, ["seed", "whole number"]),
    ("option-unknown", ["--frobnicate"], {}, ["--frobnicate", "not known"]),
    ("option-with-a-value", ["--version=1"], {}, ["--version", "takes no value"]),
    ("launcher-without-m", ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], {}, ["add -m"]),
    ("option-near-miss", ["--hepl"], {}, ["did you mean '--help'"]),
    ("option-cfg-bogus", ["--cfg", "bogus"], {}, ["--cfg", "'job'"]),
    ("option-cfg-hydra", ["--cfg", "hydra"], {}, ["'job'"]),
    ("option-cfg-job-bad-type", ["--cfg", "job", "seed=abc"], {}, ["seed", "whole number"]),
    ("option-cfg-job-bad-value", ["--cfg", "job", "replications=0"], {}, ["replications", "1 to 10,000"]),
    # ---- dates and extremes (finding 4)
    ("date-basic-format", ["start_date=20230401"], {}, ["start_date", "YYYY-MM-DD"]),
    ("date-week-format", ["start_date=2023-W14-6"], {}, ["start_date", "YYYY-MM-DD"]),
    ("date-impossible", ["start_date=2023-02-30"], {}, ["start_date", "not a date in the calendar"]),
    ("date-far-future-start", ["start_date=9999-12-01"], {}, ["start_date", "between 1990-01-01 and 2100-12-31"]),
    ("date-far-future-end", ["end_date=9999-12-31"], {}, ["end_date", "2100-12-31"]),
    ("date-year-one", ["start_date=0001-06-01", "warmup_months=3"], {}, ["start_date", "1990-01-01"]),
    ("date-end-before-start", ["end_date=2020-01-01"], {}, ["end_date", "not after start_date"]),
    ("date-horizon-past-2100", ["start_date=2090-01-01", "horizon_months=600"], {}, ["horizon_months", "after 2100-12-31"]),
    ("horizon-huge", ["horizon_months=1000000"], {}, ["horizon_months", "1 to 600"]),
    ("warmup-huge", ["warmup_months=100000"], {}, ["warmup_months", "0 to 120"]),
    ("contacts-huge", ["service.demand.contacts_per_year=1e12"], {}, ["contacts_per_year", "at most 1,000,000"]),
    ("contacts-per-replication", ["service.demand.contacts_per_year=900000", "horizon_months=60"], {},
     ["contacts per replication"]),
    ("contacts-per-run", ["service.demand.contacts_per_year=100000", "replications=9000", "horizon_months=12"], {},
     ["replications", "a run may simulate"]),
    ("contacts-negative", ["service.demand.contacts_per_year=-5"], {}, ["contacts_per_year", "above 0"]),
    ("contacts-nan", ["service.demand.contacts_per_year=nan"], {}, ["contacts_per_year"]),
    ("replications-huge", ["replications=1000000000"], {}, ["replications", "1 to 10,000"]),
    ("replications-zero", ["replications=0"], {}, ["replications", "1 to 10,000"]),
    ("group-count-huge", ["service.workforce.assessment.groups.0.count=100000000"], {},
     ["service.workforce.assessment.groups.0.count", "0 to 5,000"]),
    ("posts-total-huge", ["service.workforce.assessment.groups.0.count=5000"], {}, ["service.workforce", "posts"]),
    ("seed-negative", ["seed=-1"], {}, ["seed"]),
    ("seed-text", ["seed=abc"], {}, ["seed", "whole number"]),
    ("seed-float", ["seed=1.5"], {}, ["seed", "whole number"]),
    ("workers-huge", ["workers=100000"], {}, ["workers"]),
    ("flush-events-small", ["flush_events=10"], {}, ["flush_events", "1,000"]),
    ("flush-events-huge", ["flush_events=1000000000"], {}, ["flush_events"]),
    ("executor-unknown", ["executor=ray"], {}, ["executor", "serial, processes, dask"]),
    ("scheduler-without-dask", ["scheduler=tcp://10.0.0.5:8786"], {}, ["scheduler", "only with executor=dask"]),
    ("dist-mean-huge", ["service.mash.screening.mean=1e300"], {}, ["service.mash.screening.mean", "at most 36,525"]),
    ("dist-mean-inf", ["service.mash.screening.mean=inf"], {}, ["service.mash.screening.mean"]),
    ("dist-kind-unknown", ["service.casework.plan_duration.cp.kind=weibull"], {}, ["must be one of"]),
    ("dist-gamma-tiny-mean", ["service.mash.screening={kind:gamma,mean:1e-300,sd:36525}"], {}, ["mean", "at least 1e-06"]),
    ("dist-lognormal-huge-spread", ["service.casework.visit_delay={kind:lognormal,mean:0.01,sd:36525}"], {},
     ["visit_delay.sd", "more than 100 times the mean"]),
    ("dist-empirical-overflowing-counts", ["service.mash.screening={kind:empirical,edges:[0,1,2],counts:[1e308,1e308]}"],
     {}, ["screening.counts"]),
    ("dist-unused-field-infinite", ["service.mash.screening.value=1e400"], {}, ["screening.value"]),
    ("packages-multiplying-together", ["scenario=churn"],
     {"scenarios/churn.yaml": "service:\n  funding:\n" + "    - {date: '2023-04-01', action: retention_package, "
                              "until: '2023-04-30', turnover_multiplier: 100}\n" * 3}, ["multiply to 1e+06"]),
    ("spell-days-tiny", ["service.workforce.sickness.mean_spell_days=1e-9"], {}, ["mean_spell_days", "at least 1"]),
    ("review-days-tiny", ["service.workforce.turnover.review_days=0.0001"], {}, ["review_days", "at least 1"]),
    ("shares-not-summing", ["service.mash.outcomes.red.referral=0.5"], {}, ["service.mash.outcomes.red", "sum to 1"]),
    ("fte-above-one", ["service.workforce.assessment.groups.0.fte=1.5"], {}, ["groups.0.fte", "at most 1"]),
    ("cap-zero", ["service.workforce.long_term.caseload_cap.agency=0"], {}, ["caseload_cap.agency"]),
    ("bool-as-text", ["write_events=maybe"], {}, ["write_events", "true or false"]),
    # ---- scenario files (findings 5 and 8)
    ("file-duplicate-key", ["scenario=mine"], {"scenarios/mine.yaml": "seed: 1\nreplications: 2\nseed: 3\n"},
     ["mine.yaml", "line 3", "written twice"]),
    ("file-tab", ["scenario=mine"], {"scenarios/mine.yaml": "service:\n\tdemand: 1\n"}, ["mine.yaml", "line 2", "tab"]),
    ("file-not-a-mapping", ["scenario=mine"], {"scenarios/mine.yaml": "- 1\n- 2\n"}, ["mine.yaml", "must be a mapping"]),
    ("file-funding-as-mapping", ["scenario=mine"],
     {"scenarios/mine.yaml": "service:\n  funding:\n    date: '2023-01-01'\n    action: add_posts\n"},
     ["mine.yaml", "line 2", "service.funding", "list of funding actions"]),
    ("file-unknown-key", ["scenario=mine"], {"scenarios/mine.yaml": "service:\n  demand:\n    contacts_per_yr: 3\n"},
     ["mine.yaml", "line 3", "column 5", "did you mean 'contacts_per_year'"]),
    ("file-unknown-key-in-funding", ["scenario=mine"],
     {"scenarios/mine.yaml": "service:\n  funding:\n    - date: '2023-01-01'\n      acton: add_posts\n"},
     ["line 4", "service.funding.0.acton", "did you mean 'action'"]),
    ("file-bad-value-located", ["scenario=mine"],
     {"scenarios/mine.yaml": "service:\n  demand:\n    contacts_per_year: -3\n"}, ["mine.yaml", "line 3", "above 0"]),
    ("file-bad-date", ["scenario=mine"], {"scenarios/mine.yaml": "start_date: 2023-13-01\n"}, ["start_date", "calendar"]),
    ("file-too-large", ["scenario=big"], {"scenarios/big.yaml": BIG}, ["big.yaml", "at most 1,000,000"]),
    ("file-alias-bomb", ["scenario=bomb"], {"scenarios/bomb.yaml": BOMB}, ["bomb.yaml", "aliases nest"]),
    ("file-merge-key", ["scenario=mine"], {"scenarios/mine.yaml": "x: &x {seed: 1}\n<<: *x\n"}, ["merge keys"]),
    ("file-not-utf8", ["scenario=mine"], {"scenarios/mine.yaml": b"seed: \xff\xfe\n"}, ["not UTF-8"]),
    ("file-invalid-yaml", ["scenario=mine"], {"scenarios/mine.yaml": "seed: [1, 2\n"}, ["mine.yaml", "not valid YAML"]),
    ("file-control-character", ["scenario=mine"], {"scenarios/mine.yaml": "scenario:\n  description: \"a\x01b\"\n"},
     ["mine.yaml", "not valid YAML"]),
    ("file-integer-of-5000-digits", ["scenario=mine"], {"scenarios/mine.yaml": "seed: " + "9" * 5000 + "\n"},
     ["mine.yaml", "line 1"]),
    ("file-octal-looking-number", ["scenario=mine"], {"scenarios/mine.yaml": "seed: 010\n"}, ["seed", "'010' (text)"]),
    ("file-sexagesimal-number", ["scenario=mine"], {"scenarios/mine.yaml": "horizon_months: 1:30\n"},
     ["horizon_months", "'1:30' (text)"]),
    ("config-defaults-not-a-list", [], {"configs/config.yaml": "defaults: 5\n"}, ["defaults list"]),
    ("config-defaults-null-name", [], {"configs/config.yaml": "defaults:\n  - scenario: null\n"}, ["defaults.0.scenario"]),
    ("file-two-documents", ["scenario=mine"], {"scenarios/mine.yaml": "seed: 1\n---\nseed: 2\n"}, ["another document"]),
    # ---- caseflow compare
    ("compare-one-name", ["compare", "baseline_2022"], {}, ["at least two scenario names"]),
    ("compare-path-name", ["compare", "baseline_2022", "../x"], {}, ["a name may hold only"]),
    ("compare-multirun", ["compare", "baseline_2022", "permanent_posts", "--multirun"], {}, ["--multirun", "not supported"]),
    ("compare-hydra-setting", ["compare", "baseline_2022", "permanent_posts", "+hydra.callbacks.x._target_=os.system"],
     {}, ["refused"]),
    ("compare-resolver", ["compare", "baseline_2022", "permanent_posts", "seed=${oc.env:HOME}"], {}, ["resolver"]),
    ("compare-results-dir-file", ["compare", "baseline_2022", "permanent_posts", "horizon_months=48", "results_dir=afile"],
     {"afile": "x\n"}, ["results_dir", "is a file"]),
    ("compare-sweep", ["compare", "baseline_2022", "permanent_posts", "seed=1,2"], {}, ["one value per setting"]),
    ("compare-scenario-setting", ["compare", "baseline_2022", "default", "scenario=x"], {}, ["set by the names"]),
    ("compare-different-months", ["compare", "baseline_2022", "default"], {}, ["must cover the same months"]),
    ("compare-unknown-scenario", ["compare", "baseline_2022", "nope"], {}, ["Scenario 'nope' not found"]),
]
ROWS = [r for r in ROWS if r[0] != "path-scenario-name-in-file"]


@pytest.mark.parametrize("name,argv,files,words", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_is_refused_in_one_sentence_with_nothing_written(name, argv, files, words, tmp_path, capsys,
                                                                   monkeypatch):
    monkeypatch.setenv("HOME", "/home/SECRET-HOME")  # must never be echoed back or written
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    if name == "path-scenario-link-outside":
        (tmp_path / "scenarios").mkdir()
        (tmp_path / "scenarios" / "linked.yaml").symlink_to(tmp_path / "outside" / "linked.yaml")
    message = refused(argv, tmp_path, capsys)
    for w in words:
        assert w in message, message
    assert "SECRET-HOME" not in message
    assert not (tmp_path / PWNED).exists()


def test_a_problem_caused_on_the_command_line_is_not_blamed_on_a_file(tmp_path, capsys):
    """funding=temporary on the command line leaves the group without an until date: the message
    must not point at the service file's line, which did nothing wrong."""
    message = refused(["service.workforce.mash.groups.0.funding=temporary"], tmp_path, capsys)
    assert "service.workforce.mash.groups.0.until" in message and "service file" not in message
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text("service:\n  demand:\n    contacts_per_year: -3\n")
    message = refused(["scenario=mine", "seed=4"], tmp_path, capsys)
    assert "In scenario file scenarios/mine.yaml, line 3" in message


def test_a_bad_value_in_a_long_sweep_is_found_at_once(tmp_path, capsys):
    """Runs are checked along a diagonal first: horizon_months=601 is found in the second run
    checked (run 302 of 600), not after the 300 runs that use horizon_months=1."""
    message = refused(["-m", "horizon_months=1,601", "seed=range(0,300)"], tmp_path, capsys)
    assert "In run 302 of the sweep (horizon_months=601 seed=1)" in message


def test_the_table_covers_at_least_sixty_inputs():
    assert len(ROWS) >= 60


def test_an_unused_hostile_or_huge_scenario_file_is_never_read(tmp_path, monkeypatch, capsys):
    """Only the chosen scenario is read: a broken, huge and an alias-bomb file beside it cost nothing."""
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "big.yaml").write_text(BIG * 5)
    (scenarios / "bomb.yaml").write_text(BOMB)
    (scenarios / "broken.yaml").write_text("seed: [\n")
    (scenarios / "mine.yaml").write_text("seed: 5\n")
    monkeypatch.chdir(tmp_path)
    from sim.cli import main

    main(["--cfg", "job", "scenario=mine"])
    assert "seed: 5" in capsys.readouterr().out
    main(["--help"])
    assert "big, bomb, broken" in capsys.readouterr().out  # listed by name, not read


def test_a_reference_to_another_setting_is_data_and_is_resolved(tmp_path, monkeypatch, capsys):
    """${start_date} names another caseflow setting: allowed, and recorded resolved."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text("scenario:\n  description: from ${start_date}\n")
    monkeypatch.chdir(tmp_path)
    from sim.cli import main

    main(["--cfg", "job", "scenario=mine"])
    assert "description: from 2023-04-01" in capsys.readouterr().out


def test_a_secret_in_the_environment_never_reaches_an_output(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CASEFLOW_SECRET", "hunter2")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "leak.yaml").write_text("scenario:\n  description: ${oc.env:CASEFLOW_SECRET}\n")
    message = refused(["scenario=leak", "horizon_months=1"], tmp_path, capsys)
    assert "hunter2" not in message
    message = refused(["horizon_months=1", "scenario.description=${oc.env:CASEFLOW_SECRET}"], tmp_path, capsys)
    assert "hunter2" not in message


def test_git_settings_in_the_environment_do_not_run_commands_when_the_commit_is_recorded(tmp_path, monkeypatch):
    """The manifest's git query ignores GIT_CONFIG_* (core.fsmonitor would run a command)."""
    from sim.report import git_commit

    marker = tmp_path / "ran"
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.fsmonitor")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", f"touch {marker}; false")
    git_commit(Path(__file__).resolve().parent)
    assert not marker.exists()
    assert os.environ["GIT_CONFIG_COUNT"] == "1"


@pytest.mark.parametrize("key,value", [("scheduler", "tcp://203.0.113.9:8786"), ("results_dir", "/tmp/elsewhere"),
                                       ("results_dir", "../../elsewhere"), ("results_dir", "~/elsewhere")])
def test_a_scenario_file_may_not_choose_where_a_run_goes(key, value, tmp_path, capsys):
    """A shared scenario file cannot send the run to another machine or its outputs outside the
    working folder."""
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "shared.yaml").write_text(f"seed: 3\n{key}: {value}\n")
    message = refused(["scenario=shared"], tmp_path, capsys)
    assert "shared.yaml, line 2" in message and f"'{key}'" in message and "command line" in message


def test_a_saved_config_yaml_is_a_scenario_file_that_reruns_the_run(tmp_path, monkeypatch, capsys):
    """config.yaml from a run folder, copied into scenarios/, composes to the same configuration."""
    import yaml

    from sim.config import to_plain
    from sim.settings import compose_config

    monkeypatch.chdir(tmp_path)
    cfg = compose_config(["scenario=baseline_2022", "seed=9", "horizon_months=2", "executor=serial"])
    saved = to_plain(cfg)
    saved["scenario"]["name"] = "rerun"
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "rerun.yaml").write_text(yaml.safe_dump(saved, sort_keys=False))
    again = to_plain(compose_config(["scenario=rerun"]))
    assert again == saved
