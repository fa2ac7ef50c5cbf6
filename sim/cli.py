"""The ``caseflow`` command: a thin Hydra entry point.

``caseflow`` runs the default scenario; ``caseflow scenario=baseline_2022 horizon_months=24
replications=20 seed=7`` runs another; ``caseflow -m scenario=default,baseline_2022`` sweeps.
Every override is composed and validated before anything runs: a bad value ends the run with
exit status 2 and one plain sentence, and nothing is written.
"""
from __future__ import annotations

import datetime as dt
import sys
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Sequence, get_args, get_origin, get_type_hints

import hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException, ValidationError

from .config import ConfigError, RunConfig
from .config import horizon_end
from .parts import RunBusy, WorkFolder, results_key
from .report import fmt_number, fmt_signed, print_summary, write_comparison, write_run
from .runner import gather, run_to_folder
from .settings import ScenarioFileError, check_scenario_file, compose_config, config_dir, register, scenario_dirs, scenario_files, to_run_config

EXIT_BAD_INPUT = 2
HYDRA_FLAGS_WITH_VALUE = {"--experimental-rerun", "--info", "-i"}
# caseflow finds its config tree itself (./configs, else the shipped one): see settings.py.
REFUSED_FLAGS = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd"}


# ---------------------------------------------------------------- plain-sentence errors


def _allowed_keys(path: str) -> list[str]:
    """Keys allowed under ``path`` in the schema (for telling the user what exists)."""
    node: type = RunConfig
    parts = [p.split("[")[0] for p in path.split(".") if p and not p.isdigit()]
    for part in parts[:-1]:
        hints = get_type_hints(node)
        if part not in hints:
            return []
        t = hints[part]
        if get_origin(t) is not None:
            args = [a for a in get_args(t) if is_dataclass(a)]
            t = args[0] if args else t
        if not is_dataclass(t):
            return []
        node = t
    return [f.name for f in fields(node)]


def explain(exc: BaseException) -> str:
    """One plain sentence for a configuration problem."""
    chain, e = [], exc
    while e is not None:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for e in chain:
        if isinstance(e, ConfigError):
            return str(e)
    for e in chain:
        if isinstance(e, (ConfigKeyError, ConfigAttributeError)):
            key = getattr(e, "full_key", None) or "?"
            owner = getattr(e, "object_type", None)
            if is_dataclass(owner) and owner is not RunConfig and "." not in key:
                # Inside a list item (e.g. a funding action) OmegaConf gives only the bare key.
                allowed = [f.name for f in fields(owner)]
                where = f" in a {owner.__name__}"
            else:
                allowed = _allowed_keys(key)
                parent = key.rsplit(".", 1)[0] if "." in key else ""
                where = f" under '{parent}'" if parent else ""
            hint = f"; allowed keys{where} are {', '.join(allowed)}" if allowed else ""
            return f"Unknown config key '{key}'{hint}."
        if isinstance(e, ValidationError):
            key = getattr(e, "full_key", None) or "?"
            msg = str(getattr(e, "msg", e)).splitlines()[0].rstrip(".")
            return f"Config key '{key}' has a value of the wrong type: {msg}."
    for e in chain:
        if isinstance(e, MissingConfigException) or "Could not find" in str(e):
            text = str(e)
            if "scenario" in text:
                names = ", ".join(sorted(scenario_files()))
                dirs = " or ".join(str(d) for d in scenario_dirs())
                return f"Scenario not found ({text.splitlines()[0]}): available scenarios are {names}, from {dirs}."
            return f"{text.splitlines()[0]}."
        if isinstance(e, OverrideParseException):
            first = str(e).splitlines()[0]
            return f"Could not read the command-line argument ({first}): write settings as key=value, e.g. seed=7."
        if isinstance(e, ConfigCompositionException):
            return str(e).splitlines()[0].rstrip(".") + "."
        if isinstance(e, OmegaConfBaseException):
            key = getattr(e, "full_key", None)
            first = str(getattr(e, "msg", e)).splitlines()[0].rstrip(".")
            return f"Config key '{key}': {first}." if key else f"{first}."
    first = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(".")
    return f"Invalid configuration: {first}."


def fail(message: str) -> None:
    print(f"caseflow: {message}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_INPUT)


# ---------------------------------------------------------------- pre-flight validation


def split_argv(argv: Sequence[str]) -> tuple[list[str], bool]:
    """The key=value overrides in ``argv`` and whether it asks for a multirun."""
    overrides, multirun, skip = [], False, False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("-m", "--multirun"):
            multirun = True
        elif a in HYDRA_FLAGS_WITH_VALUE:
            skip = True
        elif not a.startswith("-"):
            overrides.append(a)
    return overrides, multirun


def preflight(argv: Sequence[str]) -> None:
    """Compose and validate every job the command line describes; exit 2 on the first problem."""
    overrides, multirun = split_argv(argv)
    refused = [a for a in argv if a.split("=", 1)[0] in REFUSED_FLAGS]
    if refused:
        fail(f"The option {refused[0].split('=', 1)[0]} is not supported: caseflow reads configs/ in the "
             "working directory if there is one, else its own, and scenarios/ likewise.")
    try:
        register()
        parsed = OverridesParser.create().parse_overrides(overrides)
        jobs = [overrides]
        if multirun:
            from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

            jobs = [job for batch in BasicSweeper.split_arguments(parsed, None) for job in batch]
        elif any(o.is_sweep_override() for o in parsed):
            sweep = next(o for o in parsed if o.is_sweep_override())
            fail(f"Config key '{sweep.key_or_group}' has several values ({sweep.input_line}): "
                 "add -m to run each of them (a multirun).")
        for job in jobs:
            compose_config([o for o in job if not o.lstrip("+~").startswith("hydra")])
    except SystemExit:
        raise
    except Exception as e:  # every composition failure becomes one sentence
        fail(_blame_scenario_file(overrides) or explain(e))
    finally:
        GlobalHydra.instance().clear()


def _blame_scenario_file(overrides: Sequence[str]) -> str | None:
    """If the chosen scenario file itself is at fault, say so, naming the file."""
    names = [o.split("=", 1)[1] for o in overrides if o.startswith("scenario=")] or ["default"]
    for name in ",".join(names).split(","):
        try:
            check_scenario_file(name)
        except ScenarioFileError as e:
            return str(e).rstrip(".") + "."
        except Exception as e:  # noqa: BLE001 - any failure here is the file's
            return f"In scenario file {scenario_files()[name]}: {explain(e)}"
    return None


# ---------------------------------------------------------------- the run


def run_forecast(cfg: RunConfig, argv: Sequence[str]) -> None:
    """Run (or resume) every replication, publish the output folder, print the summary."""
    started = dt.datetime.now(dt.timezone.utc)
    folder = WorkFolder(Path(cfg.results_dir) / cfg.scenario.name, results_key([cfg]))
    with working_in(folder, cfg.replications):
        _say_resuming(folder, cfg.replications)
        with progress_bars() as bars:
            task = bars.add_task(f"{cfg.scenario.name}: replications", total=cfg.replications)
            results = run_to_folder(cfg, folder, progress=lambda k: bars.advance(task))
        where, summary = write_run(cfg, folder, results, started, list(argv))
    print_summary(summary, cfg, where)


@contextmanager
def working_in(folder: WorkFolder, replications: int, labels: Sequence[str | None] = (None,)):
    """Hold the run's work folder; on Ctrl-C or failure keep only whole parts, and say so."""
    try:
        folder.open()
    except RunBusy as e:
        fail(f"{str(e)[0].upper()}{str(e)[1:]}.")
    try:
        yield
    except BaseException as e:
        folder.clean_temporaries()
        folder.release()
        kept = sum(len(folder.done(replications, label)) for label in labels)
        if kept == 0:
            folder.discard()
        if isinstance(e, ConfigError):
            fail(str(e))
        if isinstance(e, KeyboardInterrupt):
            if kept:
                print(f"caseflow: interrupted; {kept} of {replications * len(labels)} replications are kept in "
                      f"{folder.path}: run the same command again to resume.", file=sys.stderr)
            else:
                print("caseflow: interrupted; no partial results were kept.", file=sys.stderr)
            raise SystemExit(130) from None
        raise


def _say_resuming(folder: WorkFolder, replications: int, labels: Sequence[str | None] = (None,)) -> None:
    kept = sum(len(folder.done(replications, label)) for label in labels)
    if kept:
        print(f"caseflow: resuming: {kept} of {replications * len(labels)} replications are already written in "
              f"{folder.path}; only the rest are simulated.", file=sys.stderr)


def progress_bars():
    """Rich progress bars on the terminal (bar, count, elapsed and remaining time)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), transient=True, console=_stderr_console())


def _stderr_console():
    from rich.console import Console

    return Console(file=sys.stderr)


def _job(cfg: DictConfig) -> None:
    try:
        run = to_run_config(cfg)
    except ConfigError as e:
        fail(str(e))
    from hydra.core.hydra_config import HydraConfig

    run_forecast(run, list(HydraConfig.get().overrides.task))  # this job's own overrides


COMPARE_USAGE = """usage: caseflow compare SCENARIO SCENARIO [SCENARIO ...] [key=value ...]

Runs each scenario with the same seed and replications (common random numbers: replication k
of every scenario sees the same demand) and writes <results_dir>/compare/<timestamp>/ with
comparison.csv and comparison.md: per KPI, over the whole horizon and by quarter, each
scenario's mean and 10th/50th/90th percentiles, and its difference from the first scenario
with a 95% confidence interval from the paired replications.  Scenarios must cover the same
months after the same warm-up: set start_date=, horizon_months= and warmup_months= if their
files differ.

example: caseflow compare temporary_funding permanent_posts agency_cover replications=20 seed=1"""


def compare(argv: Sequence[str]) -> None:
    """``caseflow compare A B [C ...] [key=value ...]``: the scenarios side by side, paired by replication."""
    if any(a in ("-h", "--help") for a in argv):
        print(COMPARE_USAGE)
        return
    names = [a for a in argv if "=" not in a and not a.startswith("-")]
    overrides = [a for a in argv if "=" in a]
    unknown = [a for a in argv if a.startswith("-")]
    if unknown:
        fail(f"The option {unknown[0]} is not supported by caseflow compare: give scenario names, then key=value settings.")
    if len(names) < 2:
        fail("caseflow compare needs at least two scenario names, e.g. caseflow compare baseline_2022 permanent_posts.")
    if any(o.split("=", 1)[0].lstrip("+~") == "scenario" for o in overrides):
        fail("Config key 'scenario' is set by the names given to caseflow compare: remove scenario=... .")
    cfgs: dict[str, RunConfig] = {}
    register()
    for i, name in enumerate(names):
        label = name if name not in cfgs else f"{name}#{i + 1}"
        try:
            cfgs[label] = compose_config([f"scenario={name}", *overrides])
        except Exception as e:  # noqa: BLE001 - every composition failure becomes one sentence
            fail(_blame_scenario_file([f"scenario={name}"]) or explain(e))
        finally:
            GlobalHydra.instance().clear()
    spans = {label: (c.start_date, horizon_end(c).isoformat(), c.warmup_months) for label, c in cfgs.items()}
    if len(set(spans.values())) > 1:
        listed = "; ".join(f"{k} {a} to {b} after {w} months' warm-up" for k, (a, b, w) in spans.items())
        fail(f"Scenarios compared must cover the same months ({listed}): set start_date=, horizon_months= "
             "and warmup_months= on the command line.")
    seeds = {(c.seed, c.replications) for c in cfgs.values()}
    if len(seeds) > 1:
        fail("Scenarios compared must share seed and replications (pairing by replication needs them): "
             "set seed= and replications= on the command line.")
    from .compare import comparison_markdown, comparison_table

    started = dt.datetime.now(dt.timezone.utc)
    first = next(iter(cfgs.values()))
    folder = WorkFolder(Path(first.results_dir) / "compare", results_key(list(cfgs.values())), prefix="compare")
    labels = list(cfgs)
    results = {}
    with working_in(folder, first.replications, labels):
        _say_resuming(folder, first.replications, labels)
        with progress_bars() as bars:
            overall = bars.add_task("scenarios", total=len(cfgs))
            reps = bars.add_task("replications", total=first.replications)
            for label, cfg in cfgs.items():
                bars.reset(reps, total=cfg.replications, description=f"{label}: replications")
                results[label] = run_to_folder(cfg, folder, what="compare", label=label,
                                               progress=lambda k: bars.advance(reps))
                bars.advance(overall)
        table = comparison_table({label: gather(rs, "periods") for label, rs in results.items()})
        title = (f"caseflow compare: {', '.join(cfgs)} ({first.start_date} to {horizon_end(first).isoformat()}, "
                 f"{first.replications} paired replications, seed {first.seed})")
        markdown = comparison_markdown(table, title)
        where = write_comparison(cfgs, folder, results, table, markdown, started, ["compare", *argv])
    _print_comparison(table, title)
    print(f"Results: {where}")


def _print_comparison(table, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    whole = table[table["period"] == table["period"].iloc[0]]
    names = list(whole["scenario"].drop_duplicates())
    t = Table(title=title, title_justify="left")
    t.add_column("Figure over the forecast horizon (mean; difference from first [95% CI])")
    for n in names:
        t.add_column(n, justify="right")
    for kpi in whole["kpi"].drop_duplicates():
        rows = whole[whole["kpi"] == kpi].set_index("scenario")
        cells = []
        for i, n in enumerate(names):
            r = rows.loc[n]
            cell = fmt_number(r["mean"])
            if i:
                cell += (f"\n{fmt_signed(r['diff_from_first'])} "
                         f"[{fmt_signed(r['diff_ci95_low'])}, {fmt_signed(r['diff_ci95_high'])}]")
            cells.append(cell)
        t.add_row(rows["label"].iloc[0], *cells)
    Console(file=sys.stdout, width=160).print(t)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point for ``caseflow``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "compare":
        try:
            compare(argv[1:])
        except KeyboardInterrupt:
            print("caseflow: interrupted; no partial results were kept.", file=sys.stderr)
            raise SystemExit(130)
        return
    if not any(a in ("--help", "-h", "--hydra-help", "--info", "-i") or a.startswith("--cfg") for a in argv):
        preflight(argv)
    register()
    sys.argv = [sys.argv[0] if sys.argv else "caseflow", *argv]
    entry = hydra.main(config_path=str(config_dir()), config_name="config", version_base="1.3")(_job)
    try:
        entry()
    except KeyboardInterrupt:
        print("caseflow: interrupted; no partial results were kept.", file=sys.stderr)
        raise SystemExit(130)


if __name__ == "__main__":
    main()
