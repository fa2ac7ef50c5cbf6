"""Replications benchmark: 100 three-year default forecasts, serial against every core (and Dask).

This is a benchmark, not a test: it asserts nothing about speed, it measures.  Each run does
what ``caseflow replications=100 horizon_months=36 executor=...`` does, end to end, minus the
terminal (no progress bar, no summary table printed):

1. compose the config (``sim.settings.compose_config``: the default scenario, every stage, the
   configured warm-up) with ``replications``, ``horizon_months``, ``executor``, ``workers`` and
   ``results_dir`` set;
2. open the run's work folder (``sim.parts.WorkFolder`` keyed by ``results_key``);
3. ``sim.runner.run_to_folder``: every replication simulated on the executor, its log flushed
   in chunks to its own Parquet part, read back and projected into its KPIs on the same worker
   (with ``executor=processes`` the wall time includes starting the worker processes; with
   ``executor=dask`` it includes starting and stopping the local cluster);
4. ``sim.report.write_run``: the forecast and summary tables over all replications, config,
   manifest, and publishing the folder.

The wall time of 1-4 is measured with ``time.perf_counter`` in this process; the start-up of
the ``caseflow`` command itself (interpreter and imports, about 1.5 s) is not included.

Every run gets a FRESH temporary ``results_dir`` (deleted afterwards), so no run can resume
from another's parts; the script checks that every replication was simulated, not resumed, and
that the published folder holds every part.

Executors compared: ``serial`` (one process), ``processes`` with ``workers=0`` (every core) and,
with ``--dask``, ``dask`` with a local cluster of ``workers`` (0 = every core) single-threaded
worker processes.  With ``--repeats`` above 1 the executors are interleaved and their order
rotated, and medians are reported.  Reported: wall time, time per replication (wall /
replications; for serial that is one core's time for one replication), speed-up over serial,
parallel efficiency (speed-up / workers), and whether the target, 100 three-year replications
within 2 minutes on a 2-core machine, is met by the fastest parallel executor (judged only when
the run is the target's: 100 replications of 36 months).

Results are printed and written to the ``<!-- replications:begin -->`` ...
``<!-- replications:end -->`` section of ``docs/performance.md`` (added before "## Notes" if
missing; only that section is replaced).  ``--quick`` is a smoke run (4 replications of a
1-month horizon) that prints only unless ``--write-doc`` is given.

    python benchmarks/replications.py                 # full run, updates docs/performance.md
    python benchmarks/replications.py --dask          # also a local Dask cluster
    python benchmarks/replications.py --quick --dask  # smoke run, prints only
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # works without the editable install too
    sys.path.insert(0, str(REPO))

from sim.parts import WorkFolder, results_key  # noqa: E402
from sim.report import write_run  # noqa: E402
from common import code_version, machine, publish  # noqa: E402  (benchmarks/common.py)
from sim.runner import run_to_folder  # noqa: E402
from sim.settings import compose_config  # noqa: E402

DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- replications:begin -->", "<!-- replications:end -->"
WRAP = 95
TARGET_SECONDS = 120.0
TARGET_CORES = 2
TARGET_REPLICATIONS = 100
TARGET_HORIZON = 36


# ---------------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------------

def one_run(executor: str, replications: int, horizon: int, workers: int, seed: int | None,
            tmpdir: str | None, quiet: bool = False) -> dict:
    """One whole run on ``executor`` in a fresh temporary results_dir; its timings and counts."""
    with tempfile.TemporaryDirectory(prefix="caseflow-replications-", dir=tmpdir) as tmp:
        results_dir = Path(tmp) / "results"
        overrides = [f"replications={replications}", f"horizon_months={horizon}", f"executor={executor}",
                     f"workers={workers}", f"results_dir={results_dir}"]
        if seed is not None:
            overrides.append(f"seed={seed}")
        argv = list(overrides)
        done = [0]
        step = max(1, replications // 10)

        def progress(k: int) -> None:
            done[0] += 1
            if not quiet and (done[0] % step == 0 or done[0] == replications):
                print(f"    {executor}: {done[0]}/{replications} replications, "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)

        started = dt.datetime.now(dt.timezone.utc)
        t0 = time.perf_counter()
        cfg = compose_config(overrides)
        folder = WorkFolder(Path(cfg.results_dir) / cfg.scenario.name, results_key([cfg]))
        if folder.path.exists():  # cannot happen in a fresh directory; a resumed run would be free
            raise SystemExit(f"work folder {folder.path} already exists: the run would resume")
        folder.open()
        t1 = time.perf_counter()
        results = run_to_folder(cfg, folder, progress=progress)
        t2 = time.perf_counter()
        where, _summary = write_run(cfg, folder, results, started, argv)
        t3 = time.perf_counter()

        resumed = sum(not r.simulated for r in results)
        parts = len(list((where / "events.parquet").glob("rep-*.parquet")))
        if resumed or (cfg.write_events and parts != replications):  # validity, not a timed assertion
            raise SystemExit(f"{executor}: {resumed} replications resumed, {parts} parts published "
                             f"(expected 0 and {replications}): the timing would not be a full run")
        part_bytes = sum(f.stat().st_size for f in (where / "events.parquet").glob("rep-*.parquet"))
        manifest = json.loads((where / "manifest.json").read_text())
        shutil.rmtree(results_dir, ignore_errors=True)
    from sim.executors import worker_count
    return {
        "executor": executor, "replications": replications, "horizon": horizon, "warmup_months": cfg.warmup_months,
        "workers": 1 if executor == "serial" else worker_count(cfg, replications),
        "wall_s": t3 - t0, "setup_s": t1 - t0, "replications_s": t2 - t1, "write_s": t3 - t2,
        "events": sum(r.events for r in results), "part_bytes": part_bytes,
        "resumed": manifest["replications_resumed"], "seed": cfg.seed,
    }


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------

def measure(executors: list[str], replications: int, horizon: int, workers: int, repeats: int,
            seed: int | None, tmpdir: str | None, warmup: bool) -> dict:
    if warmup:  # untimed: file-system caches, .pyc files, first Hydra composition
        one_run("serial", 1, 1, workers, seed, tmpdir, quiet=True)
    runs: dict[str, list[dict]] = {e: [] for e in executors}
    for r in range(repeats):
        k = r % len(executors)
        for e in executors[k:] + executors[:k]:  # rotate who goes first
            print(f"  repeat {r + 1}/{repeats}: {e} ...", flush=True)
            out = one_run(e, replications, horizon, workers, seed, tmpdir)
            runs[e].append(out)
            print(f"  repeat {r + 1}/{repeats}: {e:<9} {out['wall_s']:8.1f} s wall "
                  f"(config {out['setup_s']:.1f} s, replications {out['replications_s']:.1f} s, "
                  f"tables and publishing {out['write_s']:.1f} s) "
                  f"on {out['workers']} worker(s), {out['events']:,} events", flush=True)
    summary = {}
    for e, outs in runs.items():
        med = lambda key: statistics.median(o[key] for o in outs)  # noqa: E731
        summary[e] = {**outs[0], "wall_s": med("wall_s"), "setup_s": med("setup_s"),
                      "replications_s": med("replications_s"), "write_s": med("write_s"),
                      "wall_all": [o["wall_s"] for o in outs]}
    serial = summary.get("serial")
    for s in summary.values():
        s["per_rep_s"] = s["wall_s"] / s["replications"]
        s["speedup"] = serial["wall_s"] / s["wall_s"] if serial else float("nan")
        s["efficiency"] = s["speedup"] / s["workers"]
    return {"executors": summary, "repeats": repeats, "replications": replications, "horizon": horizon,
            "runs": [o for outs in runs.values() for o in outs]}


def target_verdict(res: dict) -> str:
    cores = os.cpu_count()
    if res["replications"] != TARGET_REPLICATIONS or res["horizon"] != TARGET_HORIZON:
        return (f"not judged: the target is {TARGET_REPLICATIONS} replications of {TARGET_HORIZON} months, "
                f"this run was {res['replications']} of {res['horizon']}")
    parallel = {e: s for e, s in res["executors"].items() if e != "serial"}
    if not parallel:
        return "not judged: no parallel executor was run"
    best_name, best = min(parallel.items(), key=lambda kv: kv[1]["wall_s"])
    ok = best["wall_s"] <= TARGET_SECONDS
    text = (f"{'MET' if ok else 'NOT MET'}: {best['wall_s']:.1f} s with executor={best_name} "
            f"{'<=' if ok else '>'} {TARGET_SECONDS:.0f} s")
    if cores != TARGET_CORES:
        text += f" (but this machine has {cores} cores, the target is for {TARGET_CORES})"
    return text


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

HEAD = ("executor", "workers", "wall s", "replications s", "tables + publish s", "s per replication",
        "speed-up vs serial", "efficiency")


def label(e: str) -> str:
    return {"serial": "serial", "processes": "processes (workers=0)",
            "dask": "dask (local cluster)"}.get(e, e)


def rows(res: dict) -> list[tuple]:
    out = []
    for e, s in res["executors"].items():
        out.append((label(e), str(s["workers"]), f"{s['wall_s']:.1f}", f"{s['replications_s']:.1f}",
                    f"{s['write_s']:.2f}", f"{s['per_rep_s']:.2f}",
                    f"{s['speedup']:.2f}" if s["speedup"] == s["speedup"] else "-",
                    f"{s['efficiency']:.2f}" if s["efficiency"] == s["efficiency"] else "-"))
    return out


def what(res: dict) -> str:
    first = next(iter(res["executors"].values()))
    months = f"{res['horizon']} month{'s' if res['horizon'] != 1 else ''}"
    return (f"{res['replications']} replications of the default scenario, {months} "
            f"(+ {first['warmup_months']} months' warm-up), seed {first['seed']}; "
            f"{first['events']:,} events, {first['part_bytes'] / 2**20:,.0f} MiB of Parquet parts")


def print_report(res: dict, mach: dict) -> None:
    print()
    print(f"{what(res)}; {res['repeats']} repeat(s)" + (", medians" if res["repeats"] > 1 else ""))
    table = [HEAD] + rows(res)
    widths = [max(len(r[i]) for r in table) for i in range(len(HEAD))]
    for i, r in enumerate(table):
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(f"target ({TARGET_REPLICATIONS} x {TARGET_HORIZON} months within {TARGET_SECONDS:.0f} s on "
          f"{TARGET_CORES} cores): {target_verdict(res)}")
    print(f"machine: {mach['platform']}, {mach['cpus']} CPUs, {mach['python']}; {mach['versions']}")


def doc_section(res: dict, mach: dict, command: str, load: tuple, code: str) -> str:
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        BEGIN,
        "## Replications: serial against every core",
        "",
        textwrap.fill(
            "`benchmarks/replications.py` times what `caseflow replications=100 horizon_months=36` does, "
            "end to end minus the terminal: compose the config, open the run's work folder, "
            "`sim.runner.run_to_folder` (each replication simulated on the executor, its log flushed to "
            "its own Parquet part, read back and projected on the same worker), then "
            "`sim.report.write_run` (forecast and summary tables, config, manifest, publishing).  Every "
            "run gets a fresh temporary `results_dir`, so nothing is resumed (checked: every replication "
            "simulated, every part published).  The command's own start-up (interpreter and imports, about "
            "1.5 s) is not included; starting worker processes or a local Dask cluster is.  Serial runs "
            "on one core, so its seconds per replication are one core's; the target is 100 three-year "
            f"replications within {TARGET_SECONDS / 60:g} minutes on a {TARGET_CORES}-core machine.", WRAP),
        "",
        "Rerun (replaces this section only; `--quick` is a smoke run that prints without touching this file):",
        "",
        "    python benchmarks/replications.py          # add --dask for a local Dask cluster too",
        "",
        "### Latest figures",
        "",
        f"- Date: {now}",
        f"- Command: `{command}`",
        f"- Machine: {mach['platform']} ({mach['cpu']}), {mach['cpus']} CPUs; {mach['python']}; {mach['versions']}",
        f"- Code: {code}",
        f"- Load average before / after: {load[0]:.2f} / {load[1]:.2f} (1 min)",
        f"- Run: {what(res)}",
        f"- Repeats: {res['repeats']}" + (", interleaved (order rotated each repeat); figures are medians"
                                          if res["repeats"] > 1 else "; one measurement per executor"),
        "",
        "| " + " | ".join(HEAD) + " |",
        "|---" + "|---:" * (len(HEAD) - 1) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows(res)]
    lines += [
        "",
        f"- Target {TARGET_REPLICATIONS} x {TARGET_HORIZON} months within {TARGET_SECONDS:.0f} s on "
        f"{TARGET_CORES} cores: **{target_verdict(res)}**",
        "",
        "One run on one machine; compare only figures from the same run.",
        END,
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 4 replications of 1 month; doc untouched")
    p.add_argument("--replications", type=int, help=f"replications per run (default {TARGET_REPLICATIONS}; --quick 4)")
    p.add_argument("--horizon-months", type=int, help=f"horizon_months (default {TARGET_HORIZON}; --quick 1)")
    p.add_argument("--workers", type=int, default=0, help="workers for processes and dask (default 0 = every core)")
    p.add_argument("--dask", action="store_true", help="also time executor=dask on a local cluster")
    p.add_argument("--no-serial", action="store_true", help="skip the serial run (no speed-up then)")
    p.add_argument("--repeats", type=int, default=1, help="runs per executor, interleaved (default 1)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the config's)")
    p.add_argument("--tmpdir", default=None, help="where the temporary results_dir goes (default: the system's)")
    p.add_argument("--no-warmup", action="store_true", help="skip the untimed 1-replication warm-up run")
    p.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    p.add_argument("--doc", type=Path, default=DOC, help="markdown file to update (default docs/performance.md)")
    p.add_argument("--no-doc", action="store_true", help="print only")
    p.add_argument("--write-doc", action="store_true", help="update the doc even with --quick")
    a = p.parse_args(argv)

    replications = a.replications or (4 if a.quick else TARGET_REPLICATIONS)
    horizon = a.horizon_months or (1 if a.quick else TARGET_HORIZON)
    executors = ([] if a.no_serial else ["serial"]) + ["processes"] + (["dask"] if a.dask else [])
    load0 = os.getloadavg()[0]
    print(f"replications: {replications} x {horizon} months on {', '.join(executors)} "
          f"(workers={a.workers}, {os.cpu_count()} CPUs), {a.repeats} repeat(s)", flush=True)
    res = measure(executors, replications, horizon, a.workers, a.repeats, a.seed, a.tmpdir, not a.no_warmup)
    load = (load0, os.getloadavg()[0])
    mach = machine(("simpy", "numpy", "pandas", "pyarrow", "dask", "distributed"))
    print_report(res, mach)
    print(f"load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}; code: {code_version(REPO)}")
    if a.json:
        a.json.write_text(json.dumps({"machine": mach, "load": load, **res}, indent=1, default=str) + "\n")
        print(f"wrote {a.json}")

    publish(a, argv, "replications.py", lambda command: doc_section(res, mach, command, load, code_version(REPO)),
            BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
