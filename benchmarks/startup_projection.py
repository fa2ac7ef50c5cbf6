"""Start-up and projection: how long caseflow takes to answer, and to turn a log into figures.

This is a benchmark, not a test: it asserts nothing, it measures.  Everything runs in FRESH
Python processes, for the working tree ("now") and, in the same run, for ``--baseline`` (a
commit, default ``9c200fd``: the last before this work) checked out in a temporary
``git worktree`` ("before"), each with its checkout first on ``PYTHONPATH``:

* **start-up**: the wall time of a whole process that runs ``caseflow --help``, ``caseflow
  --cfg job`` (compose the default configuration and print it) and one that only imports the
  forecast command's module (``import sim.commands.run``) and one that imports everything a
  forecast imports before its first replication (``sim.commands.run``, ``sim.runner``,
  ``sim.report``, ``sim.forecast``).  The commands run as ``python -c "from sim.cli import
  main; main()" <args>``, which is what the ``caseflow`` script does.  Target: each under 1 s.
* **projection**: one replication of the default forecast (12 months after 12 months' warm-up)
  and one of ``caseflow validate year=2024`` (1 April 2023 to 1 October 2024 after 12 months'
  warm-up), each run as ``caseflow`` runs a replication (``sim.runner.write_part``: simulate
  into a Parquet part; then the projection of ``sim.runner.simulate_part``: the chunks as
  written become a frame, ``sim.projections.events_frame``, projected by
  ``sim.runner.project``).  The child composes the configuration outside the timing and
  reports simulation seconds (simulation + Parquet write) and projection seconds (frame +
  projection, first call in the process: the imports and first-call costs a worker pays are
  included).  Target: projection under a third of the simulation.

Measurements are repeated (``--repeats``, default 7), now and before interleaved with the order
alternating; the figures are MEDIANS, and ratios are medians of the per-repeat ratios.  Results
are printed and written to the ``<!-- startup_projection:begin -->`` ...
``<!-- startup_projection:end -->`` section of ``docs/performance.md``.  ``--quick`` is a smoke
run (2 repeats, a 2-month forecast and no baseline) that prints only unless ``--write-doc``.

    python benchmarks/startup_projection.py
    python benchmarks/startup_projection.py --quick
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import code_version, machine, publish  # noqa: E402

BEGIN, END = "<!-- startup_projection:begin -->", "<!-- startup_projection:end -->"
TARGET_STARTUP_S = 1.0
TARGET_RATIO = 1 / 3

STARTUP = {  # name -> python -c code (argv after it)
    "caseflow --help": ("from sim.cli import main; main()", ["--help"]),
    "caseflow --cfg job": ("from sim.cli import main; main()", ["--cfg", "job"]),
    "import sim.commands.run": ("import sim.commands.run", []),
    "import the forecast's run path": ("import sim.commands.run, sim.runner, sim.report, sim.forecast", []),
}

# One replication, simulated into a part and projected; prints JSON.
ONE_REPLICATION = r"""
import json, sys, tempfile, time
what, seed, horizon = sys.argv[1], int(sys.argv[2]), sys.argv[3]
settings = [f"seed={seed}", "replications=1", "executor=serial"]
if what == "validate":
    from sim.commands.validate import compose_validation
    cfg = compose_validation(2024, settings)[0].cfg
else:
    from sim.settings import compose_config
    cfg = compose_config(settings + ([f"horizon_months={horizon}"] if horizon != "default" else []))
from sim.runner import write_part, project
from sim.projections import events_frame
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    writer = write_part(cfg, 0, tmp, keep=True)
    t1 = time.perf_counter()
    table = writer.table()
    frames = project(cfg, events_frame(table), what)
    t2 = time.perf_counter()
print(json.dumps({"simulation": t1 - t0, "projection": t2 - t1, "events": table.num_rows,
                  "contacts": int(sum(1 for e in table.column("event").to_pylist() if e == "contact_received")),
                  "start_date": str(cfg.start_date), "end_date": str(cfg.end_date) if cfg.end_date else None,
                  "horizon_months": cfg.horizon_months, "warmup_months": cfg.warmup_months}))
"""


def env_for(checkout: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(checkout) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def startup(checkout: Path, name: str) -> float:
    """Wall seconds of one fresh process doing ``name``."""
    code, args = STARTUP[name]
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], cwd=checkout, env=env_for(checkout), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def replication(checkout: Path, what: str, seed: int, horizon: str) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_REPLICATION, what, str(seed), horizon], cwd=checkout,
                         env=env_for(checkout), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(xs) -> float:
    return statistics.median(xs)


def measure(checkouts: dict[str, Path], repeats: int, horizon: str) -> dict:
    starts = {c: {n: [] for n in STARTUP} for c in checkouts}
    reps = {c: {w: [] for w in ("forecast", "validate")} for c in checkouts}
    names = list(checkouts)
    for k in range(repeats):
        order = names if k % 2 == 0 else names[::-1]
        for c in order:
            for n in STARTUP:
                starts[c][n].append(startup(checkouts[c], n))
            for w in ("forecast", "validate"):
                reps[c][w].append(replication(checkouts[c], w, k + 1, horizon))
        line = "; ".join(f"{c}: --cfg job {starts[c]['caseflow --cfg job'][-1]:.2f} s, forecast projection/simulation "
                         f"{reps[c]['forecast'][-1]['projection'] / reps[c]['forecast'][-1]['simulation']:.2f}, validate "
                         f"{reps[c]['validate'][-1]['projection'] / reps[c]['validate'][-1]['simulation']:.2f}"
                         for c in names)
        print(f"repeat {k + 1}/{repeats}: {line}", flush=True)
    return {"startup": starts, "replications": reps}


def summary(res: dict) -> dict:
    out = {}
    for c, by_name in res["startup"].items():
        out[c] = {"startup": {n: median(v) for n, v in by_name.items()}, "replications": {}}
        for w, runs in res["replications"][c].items():
            out[c]["replications"][w] = {
                "simulation": median([r["simulation"] for r in runs]),
                "projection": median([r["projection"] for r in runs]),
                "ratio": median([r["projection"] / r["simulation"] for r in runs]),
                "ratios": [r["projection"] / r["simulation"] for r in runs],
                "events": median([r["events"] for r in runs]),
                "contacts": median([r["contacts"] for r in runs]),
                "run": runs[0],
            }
    return out


def verdicts(now: dict) -> list[str]:
    lines = []
    for n, s in now["startup"].items():
        met = s < TARGET_STARTUP_S
        lines.append(f"`{n}` under {TARGET_STARTUP_S:.0f} s: **{'MET' if met else 'NOT MET'}** ({s:.2f} s)")
    for w, r in now["replications"].items():
        met = r["ratio"] < TARGET_RATIO
        lines.append(f"{w} projection under 1/3 of the simulation: **{'MET' if met else 'NOT MET'}** "
                     f"(ratio {r['ratio']:.2f})")
    return lines


def section(s: dict, mach: dict, command: str, repeats: int, baseline: str | None, code: str) -> str:
    cols = list(s)
    head = " | ".join(f"{c} median s" for c in cols)
    rows = [f"| what | {head} |" + (" before / now |" if len(cols) > 1 else ""),
            "|---|" + "---:|" * len(cols) + ("---:|" if len(cols) > 1 else "")]
    for n in STARTUP:
        vals = " | ".join(f"{s[c]['startup'][n]:.2f}" for c in cols)
        ratio = f" {s['before']['startup'][n] / s['now']['startup'][n]:.1f}x |" if len(cols) > 1 else ""
        rows.append(f"| `{n}` | {vals} |{ratio}")
    prow = ["| replication | checkout | contacts | events | simulation s | projection s | projection / simulation "
            "(median of repeats) |", "|---|---|---:|---:|---:|---:|---:|"]
    for w in ("forecast", "validate"):
        for c in cols:
            r = s[c]["replications"][w]
            prow.append(f"| {w} | {c} | {r['contacts']:,.0f} | {r['events']:,.0f} | {r['simulation']:.2f} | "
                        f"{r['projection']:.2f} | {r['ratio']:.2f} |")
    runs = {w: s["now"]["replications"][w]["run"] for w in ("forecast", "validate")}
    f, v = runs["forecast"], runs["validate"]
    against = f"against `{baseline}` in a temporary worktree" if baseline else "no baseline (--quick)"
    per_repeat = "; ".join(f"{w} " + ", ".join(f"{x:.2f}" for x in s["now"]["replications"][w]["ratios"])
                           for w in ("forecast", "validate"))
    return f"""{BEGIN}
## Start-up and projection

`benchmarks/startup_projection.py`: every figure from fresh processes, {against}; medians of
{repeats} interleaved repeats.

- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC
- Command: `{command}`
- Machine: {mach['platform']} ({mach['cpu']}), {mach['cpus']} CPUs; {mach['python']}; {mach['versions']}
- Code: {code}
- Start-up: the wall time of a whole process (`python -c "from sim.cli import main; main()" <args>`, as the
  `caseflow` script runs it; `--cfg job` composes and prints the default configuration)
- Replications: one of the default forecast ({f['horizon_months']} months from {f['start_date']} after
  {f['warmup_months']} months' warm-up) and one of `caseflow validate year=2024` ({v['start_date']} to
  {v['end_date']} after {v['warmup_months']} months' warm-up), seed = repeat; simulation = `write_part`
  (simulate into the Parquet part), projection = `events_frame` + `project` of the chunks as written, the
  first call in its process (imports included)

{chr(10).join(rows)}

{chr(10).join(prow)}

- Projection / simulation per repeat (now): {per_repeat}
{chr(10).join('- ' + x for x in verdicts(s['now']))}

One run on one machine (possibly with other work running); compare only figures from the same run.
{END}
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="9c200fd", help="commit to compare with ('' for none)")
    parser.add_argument("--now", default="", help="measure this commit (a temporary worktree) as 'now', not the "
                        "working tree (whose uncommitted changes may be half made)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 repeats, 2-month forecast, no baseline")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    horizon = "2" if args.quick else "default"
    baseline = None if args.quick or not args.baseline else args.baseline
    mach = machine(("simpy", "numpy", "pandas", "pyarrow", "scipy", "hydra"))
    code = code_version(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        made = []

        def worktree(name: str, commit: str) -> Path:
            where = Path(tmp) / name
            subprocess.run(["git", "worktree", "add", "--detach", str(where), commit], cwd=ROOT, check=True,
                           capture_output=True)
            made.append(where)
            return where

        try:
            now = ROOT
            if args.now:
                now = worktree("now", args.now)
                sha = subprocess.run(["git", "rev-parse", args.now], cwd=ROOT, capture_output=True, text=True,
                                     check=True).stdout.strip()
                code = f"commit {sha[:12]} (a temporary worktree of `{args.now}`)"
            checkouts = {"before": worktree("before", baseline), "now": now} if baseline else {"now": now}
            res = measure(checkouts, repeats, horizon)
        finally:
            for where in made:
                subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, capture_output=True)
    s = summary(res)
    text = section(s, mach, "", repeats, baseline, code)
    print(text)
    publish(args, argv, "startup_projection.py", lambda command: section(s, mach, command, repeats, baseline, code),
            BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
