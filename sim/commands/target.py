"""``caseflow target team=T kind=K kpi=KEY at_least=X|at_most=X [confidence=0.9] [max_posts=N] [key=value ...]``:
the smallest number of posts of kind K in team T with which a figure meets a target.

Every count is run with the same seed and replications (common random numbers); the counts are
searched by bisection (``sim.target.search``), each run once into the search's work folder (so a
stopped search resumes), and the figure per replication is the one summary.csv reports
(``sim.forecast.window_kpis`` over the forecast horizon).  docs/target.md describes the command
and its output; docs/decisions/0026-target-search.md the rule and the search.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Sequence

import yaml

from .. import signals
from ..config import RunConfig, horizon_end, parse_date, to_plain
from ..inputs import InputError
from ..inputs.compose import Composed, compose_job
from ..inputs.errors import shown
from ..inputs.folders import check_results_dir
from ..inputs.overrides import parse_setting
from ..parts import EVENTS_DIR, WorkFolder, results_key
from ..periods import quarter
from ..formats import fmt_number
from ..report import manifest
from ..runner import ReplicationKPIs, gather, run_to_folder
from ..target import (Evaluation, Posts, Search, Target, check_counts, count_key, evaluated_counts, evaluation_of,
                      headline_keys, highest_count, label_for, meeting, monotonicity_warnings, most_evaluations,
                      paired_reversals, queue_warnings, read_posts, read_target, search, target_table, with_posts)
from .run_folder import progress_bars, working_in

USAGE = """usage: caseflow target team=TEAM kind=KIND kpi=FIGURE at_least=VALUE|at_most=VALUE [confidence=0.9]
                       [max_posts=N] [scenario=NAME] [key=value ...]

Finds the smallest number of KIND posts (permanent, agency or asye) in TEAM (mash, assessment or
long_term) with which FIGURE, a row of summary.csv, meets the target in at least `confidence` of
the replications: at_least= for a figure where higher is better, at_most= where lower is better.
Every count runs with the same seed and replications (common random numbers) and the counts are
searched by bisection up to max_posts (by default twice the configured count, at least ten more).
Writes <results_dir>/target/<timestamp>/ with target.csv, target.md, config.yaml (the answer's
configuration) and manifest.json (docs/target.md).

example: caseflow target team=assessment kind=permanent kpi=seen_within_10wd_of_referral_pct at_least=90
         replications=20"""

KEYS = ("team", "kind", "kpi", "at_least", "at_most", "confidence", "max_posts")


def main(argv: Sequence[str]) -> None:
    """Read and check the request, compose the run, search the counts, write and print the answer."""
    argv = list(argv)
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return
    request, settings = read_arguments(argv)
    job = compose_job(settings)
    target = read_target(request.get("kpi"), request.get("at_least"), request.get("at_most"),
                         request.get("confidence"), headline_keys(job.cfg))
    posts = read_posts(job.cfg, request.get("team"), request.get("kind"))
    taken = count_key(posts)
    if taken is not None and any(parse_setting(s).key == taken for s in settings):
        raise InputError(f"Config key '{taken}' is the count caseflow target searches: remove {taken}=...")
    highest = highest_count(posts, request.get("max_posts"))
    check_counts(job.cfg, posts, highest)
    check_results_dir(job.cfg.results_dir)
    provenance = {"command": ["caseflow", "target", *argv], **job.record()}
    _run(job, posts, target, highest, provenance)


def read_arguments(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """The search's own keys (``KEYS``), and every other argument as a caseflow setting."""
    request: dict[str, str] = {}
    settings: list[str] = []
    for a in argv:
        if a.startswith("-"):
            raise InputError(f"The option {shown(a)} is not supported by caseflow target: give team=, kind=, kpi=, "
                             "at_least= or at_most=, then key=value settings")
        if "=" not in a:
            raise InputError(f"The argument '{shown(a)}' is not a setting: caseflow target takes key=value settings "
                             "only, e.g. team=assessment (choose a scenario with scenario=NAME)")
        key, value = a.split("=", 1)
        if key in KEYS:
            if key in request:
                raise InputError(f"caseflow target was given {key}= twice: give it once")
            request[key] = value.strip()
            continue
        setting = parse_setting(a)
        if setting.is_sweep or setting.kind in ("launcher", "n_jobs"):
            raise InputError(f"The setting '{shown(a)}' asks for a sweep, but caseflow target takes one value per "
                             "setting: run caseflow target once for each value")
        settings.append(a)
    return request, settings


# ---------------------------------------------------------------- the run


def _run(job: Composed, posts: Posts, target: Target, highest: int, provenance: dict) -> None:
    cfg = job.cfg
    from ..report import started_commit

    started_commit()  # the code this run is, before it runs
    started = dt.datetime.now(dt.timezone.utc)
    folder = WorkFolder(Path(cfg.results_dir) / "target", results_key([cfg]), prefix="target")
    labels: list[str] = []  # the counts run so far: what a stopped search says it kept
    runs: dict[int, list[ReplicationKPIs]] = {}
    with working_in(folder, cfg.replications, labels):
        _say_resuming(folder)
        with progress_bars() as bars:
            counts = bars.add_task("target: counts", total=most_evaluations(posts.lowest, highest))
            reps = bars.add_task("replications", total=cfg.replications)

            def evaluate(n: int) -> Evaluation:
                label = label_for(posts, n)
                labels.append(label)
                bars.reset(reps, total=cfg.replications, description=f"{n} posts: replications")
                results = run_to_folder(with_posts(cfg, posts, n), folder, what="forecast", label=label,
                                        progress=lambda k: bars.advance(reps))
                # Keep only what the manifest counts: the frames of every count would add up.
                runs[n] = [ReplicationKPIs(r.replication, r.events, r.simulated, {}) for r in results]
                bars.advance(counts)
                return evaluation_of(n, gather(results, "horizon"), target.kpi)

            found = search(target, posts.lowest, highest, evaluate)
        mono = monotonicity_warnings(target, found.evaluations)
        queues = queue_warnings(target, found.evaluations[found.shown_count])
        shown_cfg = with_posts(cfg, posts, found.shown_count)
        with signals.deferred():
            where = _write(folder, job, shown_cfg, posts, found, (mono, queues), runs, started, provenance)
        print_answer(found, posts, cfg, [*mono, *queues], where)


def _say_resuming(folder: WorkFolder) -> None:
    parts = sorted(folder.path.glob(f"scenarios/*/{EVENTS_DIR}/rep-*.parquet"))
    if parts:
        counts = len({p.parent.parent.name for p in parts})
        reps = f"{len(parts)} replication{'s' if len(parts) != 1 else ''}"
        print(f"caseflow: resuming: {reps} of {counts} count{'s' if counts != 1 else ''} "
              f"{'are' if len(parts) != 1 else 'is'} already written in {folder.path}; only the rest are simulated.",
              file=sys.stderr)


def _write(folder: WorkFolder, job: Composed, shown_cfg: RunConfig, posts: Posts, found: Search,
           warnings: tuple[list[str], list[str]], runs: dict[int, list[ReplicationKPIs]], started: dt.datetime,
           provenance: dict) -> Path:
    """target.csv, target.md, config.yaml and manifest.json into the work folder, then publish it.
    The counts' event logs were the search's working cache: they are not kept (rerun config.yaml as
    a forecast for the answer's log and monthly tables)."""
    cfg = job.cfg
    shutil.rmtree(folder.path / "scenarios", ignore_errors=True)
    table = target_table(found.target, found.evaluations)
    table.round(4).to_csv(folder.path / "target.csv", index=False)
    (folder.path / "target.md").write_text(target_markdown(found, posts, cfg, *warnings))
    (folder.path / "config.yaml").write_text(yaml.safe_dump(to_plain(shown_cfg), sort_keys=False))
    record = {"scenario": cfg.scenario.name,
              **manifest(shown_cfg, started, provenance, [r for n in sorted(runs) for r in runs[n]], folder)}
    t = found.target
    record["target"] = {
        "team": posts.team, "kind": posts.kind, "kpi": t.kpi, "label": t.figure.label, "bound": t.bound,
        "value": t.value, "confidence": t.confidence,
        "rule": "a count meets the target when at least `confidence` of the replications meet the bound "
                f"(here {t.needed(cfg.replications)} of {cfg.replications})",
        "posts": {"configured": posts.current, "group_varied": posts.group, "fixed": posts.fixed,
                  "lowest": posts.lowest, "highest": found.highest},
        "answer": found.answer, "config_yaml_count": found.shown_count,
        "counts_evaluated": sorted(found.evaluations), "search": "bisection",
        "common_random_numbers": "every count runs replications 0..R-1 with streams keyed (seed, k, process)",
        "monotonicity_warnings": warnings[0], "queue_warnings": warnings[1],
        "paired_reversals": [{"from": a, "to": b, "replications_worse": w, "replications": r}
                             for a, b, w, r in paired_reversals(t, found.evaluations)],
    }
    (folder.path / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
    return folder.publish(started.astimezone().strftime("%Y-%m-%d_%H-%M-%S"))


# ---------------------------------------------------------------- what is said


def answer_line(found: Search) -> str:
    """The answer on its own line: ``posts needed: N``, or ``no count up to M meets the target``."""
    if found.answer is None:
        return f"no count up to {found.highest} meets the target"
    return f"posts needed: {found.answer}"


def _value(target: Target, x: float) -> str:
    return fmt_number(x) + ("%" if target.figure.percent and x == x else "")


def _pounds(x: float) -> str:
    return "-" if x != x else f"£{x:,.0f}"


def _rows(found: Search, posts: Posts, cfg: RunConfig, counts: list[int]) -> list[list[str]]:
    t = found.target
    table = target_table(t, found.evaluations).set_index("count")
    out = []
    for n in counts:
        r = table.loc[n]
        ev = found.evaluations[n]
        out.append([str(n), fmt_number(posts.fte_at(n)), _value(t, r["mean"]),
                    f"{_value(t, r['p10'])} - {_value(t, r['p90'])}",
                    f"{meeting(t, ev)} of {len(ev.values)} ({100 * r['share_meeting']:.0f}%)",
                    "yes" if r["meets"] else "no", _pounds(posts.annual_cost(cfg, n)), _pounds(r["cost_mean"])])
    return out


HEADERS = ("posts", "FTE", "mean", "10th-90th pct", "replications meeting", "meets", "annual cost of the posts",
           "workforce cost over the horizon (mean)")


def _horizon(cfg: RunConfig) -> str:
    start, end = parse_date("start_date", cfg.start_date), horizon_end(cfg)
    last = end - dt.timedelta(days=1)
    quarters = quarter(start) if quarter(start) == quarter(last) else f"{quarter(start)} to {quarter(last)}"
    return f"{cfg.start_date} to {end.isoformat()} ({quarters})"


def context_lines(found: Search, posts: Posts, cfg: RunConfig) -> list[str]:
    """The rule, the posts, the cost of the answer beside the configured count, and what was run."""
    t = found.target
    rate = getattr(cfg.service.workforce.annual_cost_per_fte, posts.kind)
    lines = [f"Target: {t.sentence()} (here {t.needed(cfg.replications)} of {cfg.replications} replications), over "
             f"the forecast horizon {_horizon(cfg)}.",
             f"Posts: the {posts.kind} posts of the {posts.team} team at the start; configured: {posts.current}. "
             f"{posts_rule(posts)}"]
    if found.answer is not None:
        more = found.answer - posts.current
        change = posts.annual_cost(cfg, found.answer) - posts.annual_cost(cfg, posts.current)
        if more:
            lines.append(f"The answer is {abs(more)} {'more' if more > 0 else 'fewer'} than configured: "
                         f"{'+' if change >= 0 else '-'}{_pounds(abs(change))} a year at {_pounds(rate)} per FTE "
                         "(service.workforce.annual_cost_per_fte).")
        else:
            cost = _pounds(posts.annual_cost(cfg, posts.current))
            lines.append(f"The answer is the configured count; its posts cost {cost} a year at {_pounds(rate)} "
                         "per FTE.")
    lines.append(f"Counts run (bisection from {found.lowest} to {found.highest}, common random numbers: seed "
                 f"{cfg.seed}, the same {cfg.replications} replications at every count): "
                 f"{evaluated_counts(found.evaluations)}.")
    touched = [a for a in cfg.service.funding if a.action in ("add_posts", "end_temporary_posts",
                                                              "convert_to_permanent")
               and a.team in (posts.team, None)]
    if touched:
        lines.append(f"Note: the funding schedule (service.funding) changes posts of the {posts.team} team later "
                     f"({len(touched)} action{'s' if len(touched) != 1 else ''}); they apply on top of every count.")
    return lines


def posts_rule(posts: Posts) -> str:
    """How the search changes the count, for people."""
    where = f"service.workforce.{posts.team}.groups"
    if posts.group is None:
        return (f"The team has no {posts.kind} group, so each count adds one to {where} (full-time, permanently "
                "funded).")
    kept = (f"; the {posts.fixed} {posts.kind} post{'s' if posts.fixed != 1 else ''} of its other groups "
            "are kept as they are" if posts.fixed else "")
    return (f"Each count changes {where}.{posts.group}.count (posts of {fmt_number(posts.fte)} FTE){kept}.")


def print_answer(found: Search, posts: Posts, cfg: RunConfig, warnings: list[str], where: Path) -> None:
    """The answer line, the figure at the neighbouring counts, the rule and cost, any warnings."""
    from rich.console import Console
    from rich.table import Table

    print(answer_line(found), flush=True)
    t = found.target
    title = (f"caseflow target: {t.figure.label}, {posts.kind} posts in the {posts.team} team "
             f"({cfg.scenario.name}, {cfg.replications} replication(s), seed {cfg.seed})")
    table = Table(title=title, title_justify="left")
    for i, h in enumerate(HEADERS):
        table.add_column(h, justify="left" if i == 0 else "right")
    for row in _rows(found, posts, cfg, found.neighbours()):
        table.add_row(*row)
    console = Console(file=sys.stdout, width=160)
    console.print(table)
    for line in [*context_lines(found, posts, cfg), *warnings]:
        console.print(line, highlight=False)
    console.print(f"Results: {where}", highlight=False)


def target_markdown(found: Search, posts: Posts, cfg: RunConfig, warnings: list[str],
                    queues: Sequence[str] = ()) -> str:
    """target.md: the answer, every count evaluated, the rule, and the monotonicity checks."""
    t = found.target
    lines = [f"# caseflow target: {t.figure.label}, {posts.kind} posts in the {posts.team} team", "",
             f"**{answer_line(found)}**", "",
             f"- Scenario: {cfg.scenario.name}; service: {cfg.service.name}; replications: {cfg.replications}; "
             f"seed: {cfg.seed}; warm-up: {cfg.warmup_months} months",
             *[f"- {line}" for line in context_lines(found, posts, cfg)], ""]
    unit = "" if t.figure.percent else f" ({t.figure.unit})"
    lines += [f"| Posts | FTE | Mean{unit} | 10th–90th pct | Replications meeting | Meets | Annual cost of the posts "
              "| Workforce cost over the horizon (mean) |", "|---:|---:|---:|---:|---:|:---:|---:|---:|"]
    lines += [f"| {' | '.join(r)} |" for r in _rows(found, posts, cfg, sorted(found.evaluations))]
    if queues:
        lines += ["", *queues]
    lines += ["", "## Monotonicity", "",
              "Bisection is valid when meeting the target never stops with more posts. Under common random "
              "numbers each replication sees the same demand at every count, so the figure is compared pair by "
              "pair between the neighbouring counts evaluated:", ""]
    for a, b, w, r in paired_reversals(t, found.evaluations):
        lines.append(f"- {a} → {b} posts: {w} of {r} replications worse with more posts")
    if len(found.evaluations) < 2:
        lines.append("- one count evaluated: nothing to compare")
    lines += [""] + ([f"{w}" for w in warnings] if warnings else
                     ["No pair of evaluated counts contradicts monotonicity (with more posts the share meeting the "
                      "target never fell, and the mean never got worse beyond chance)."])
    lines += ["", "A replication meets the bound when its figure over the horizon (the value summary.csv averages) "
                  "does; a replication with no value (e.g. nobody seen) does not. See docs/target.md and "
                  "docs/decisions/0026-target-search.md.", ""]
    return "\n".join(lines)

