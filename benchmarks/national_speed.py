"""The national validation's speed and memory: ``caseflow validate year=2024 la=<councils>
replications=20`` on local processes against a local Dask cluster, where the time goes, and what
``la=all`` would take.

This is a benchmark, not a test: it asserts nothing, it measures.  Every figure comes from FRESH
processes of the working tree:

* **presets, built once**: each council's preset ``service=la/<code>/2024`` is calibrated
  (``sim.inputs.presets.preset_path``, timed per council) in a fresh process into a temporary
  cache folder.  Every measured run then gets its own copy of that folder as
  ``CASEFLOW_CACHE_DIR`` (fresh, but with the presets already there) and a fresh temporary
  ``results_dir``, so nothing is resumed and calibration is measured apart from simulation.
* **the national run**: ``caseflow validate year=2024 la=<councils> replications=20
  executor=<processes|dask> workers=2 report=false results_dir=<fresh>`` as the ``caseflow``
  script runs it, on the same councils with each executor (default Rutland 857, Hartlepool
  805, Derby 831, Nottingham 892, Leicestershire 855 and Essex 881: 276 to 6,288 referrals in
  2024).  Each run is started by a fresh helper process, which records its wall time, the
  peak RSS of the process tree (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` once it has ended:
  the LARGEST single process of the tree; and the peak of the tree's summed RSS, sampled from
  ``/proc`` every 0.5 s) and its CPU seconds (user + system of the whole tree).  From the run's
  ``manifest.json``: the ``timing`` block (calibrate_and_compose_seconds,
  simulate_and_project_seconds, council_replications, seconds_per_council_replication_per_worker)
  and ``run_seconds``.  ``--repeats N`` (default 1) repeats every run, interleaved with the
  order rotated; the figures are medians and the Dask / processes ratio is the median of the
  per-repeat ratios.
* **memory with the number of councils**: the same command on processes for two councils
  (default Derby and Essex, the largest of the six, so that the largest single log is the same
  in both) against the six.  A worker holds one replication's log at a time, so the peak
  should be about the same.
* **where the time goes**: in one fresh process, one replication of one council's validate run
  (default Derby, as ``sim.national.council_replication`` runs it), timed by step: simulate
  (``sim.model.run_replication``), the log as Arrow (``EventLog.to_table``; these two are
  ``sim.runner.replication_table``), the frame (``sim.projections.events_frame``) and the
  published figures (``sim.projections.published.published_figures``).  Replication 0 is the
  first call in the process (imports included, as a worker pays once); replication 1 is warm,
  as are the other councils' replication 0 after it (what most of a national run's
  replications are).  And the command's start-up: the wall time of ``caseflow validate
  --help`` (median of 3), beside what the national run spent outside its manifest's
  ``run_seconds`` (start-up before its clock starts, printing and exit).  Targets: projection
  under a third of the simulation; start-up negligible (the larger of the two under 2% of the
  run's wall time).
* **la=all, extrapolated** (not measured): the processes run's simulate-and-project time,
  scaled by the 2024 referrals of every council reporting in 2024 over those of the councils
  run, and to 20 replications (time grows about linearly with volume: docs/performance.md,
  "Scaling"); the two councils without a published referral count are given one from their
  preset's contacts.  ``--national-manifest <manifest.json>`` adds another ``la=all`` run's
  own timing beside it, as a check.

Results are printed and written to the ``<!-- national_speed:begin -->`` ...
``<!-- national_speed:end -->`` section of ``docs/performance.md``.  ``--quick`` is a smoke run
(Rutland, Hartlepool and Bath and North East Somerset, 2 replications; memory the first two
against the three) that prints only unless
``--write-doc``.

    python benchmarks/national_speed.py                 # about 10 minutes on 2 cores
    python benchmarks/national_speed.py --quick
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import code_version, machine, publish  # noqa: E402

BEGIN, END = "<!-- national_speed:begin -->", "<!-- national_speed:end -->"
YEAR = 2024
COUNCILS = (857, 805, 831, 892, 855, 881)
MEMORY_COUNCILS = (831, 881)
BREAKDOWN = 831
QUICK_COUNCILS = (857, 805, 800)
QUICK_MEMORY = (857, 805)
TARGET_RATIO = 1 / 3          # projection under a third of the simulation
STARTUP_SHARE = 0.02          # start-up "negligible": under 2% of the run's wall time
FLAT_MEMORY = 1.15            # "about the same": the six councils' peak within 15% of the two's
REFERRALS_CSV = ROOT / "sim" / "reference" / "dfe" / "c1_referrals_and_rereferrals.csv"

# Runs a command, sampling the summed RSS of its process tree; prints JSON.
HELPER = r"""
import json, os, resource, subprocess, sys, threading, time
spec = json.loads(sys.argv[1])
env = dict(os.environ); env.update(spec["env"])
page = os.sysconf("SC_PAGE_SIZE")

def tree_rss(root):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    total, stack = 0, [root]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(kids.get(p, ()))
    return total

load = os.getloadavg()[0]
t0 = time.perf_counter()
proc = subprocess.Popen(spec["cmd"], cwd=spec["cwd"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True)
peak = [0, 0]
def sample():
    while proc.poll() is None:
        peak[0] = max(peak[0], tree_rss(proc.pid)); peak[1] += 1
        time.sleep(0.5)
thread = threading.Thread(target=sample, daemon=True); thread.start()
out, err = proc.communicate()
wall = time.perf_counter() - t0
thread.join()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "returncode": proc.returncode, "maxrss_mib": ru.ru_maxrss / 1024,
                  "tree_peak_mib": peak[0] / 2**20, "samples": peak[1], "cpu": ru.ru_utime + ru.ru_stime,
                  "load_before": load, "stdout_tail": out[-1500:], "stderr_tail": err[-1500:]}))
"""

# Builds the presets into $CASEFLOW_CACHE_DIR, timing each; prints JSON.
PREBUILD = r"""
import json, sys, time
import yaml
year, codes = int(sys.argv[1]), [int(c) for c in sys.argv[2].split(",")]
t = time.perf_counter()
from sim.inputs.presets import preset_path, PREFIX
imports = time.perf_counter() - t
out = {}
for code in codes:
    t = time.perf_counter()
    path = preset_path(f"{PREFIX}{code}/{year}")
    seconds = time.perf_counter() - t
    contacts = yaml.safe_load(path.read_text())["demand"]["contacts_per_year"]
    out[code] = {"seconds": seconds, "contacts_per_year": contacts}
print(json.dumps({"imports": imports, "councils": out}))
"""

# One replication of each (council, replication) in turn, as sim.national.council_replication
# runs it, timed by step; prints JSON.
BREAKDOWN_CODE = r"""
import json, sys, time
year, runs = int(sys.argv[1]), json.loads(sys.argv[2])
from sim.commands.validate import compose_validation
from sim.inputs.presets import PREFIX
out = []
for code, k in runs:
    cfg = compose_validation(year, [f"service={PREFIX}{code}/{year}", "replications=1", "executor=serial"])[0].cfg
    t0 = time.perf_counter()
    from sim.model import run_replication
    log = run_replication(cfg, k)
    t1 = time.perf_counter()
    from sim.config import parse_date
    start = parse_date("start_date", cfg.start_date)
    table = log.to_table(k, start)
    del log
    t2 = time.perf_counter()
    from sim.projections import events_frame
    df = events_frame(table)
    t3 = time.perf_counter()
    from sim.projections.published import published_figures, reporting_year
    figures = published_figures(df, reporting_year(year, start))
    t4 = time.perf_counter()
    out.append({"code": code, "replication": k, "simulate": t1 - t0, "arrow": t2 - t1, "frame": t3 - t2,
                "figures": t4 - t3, "events": table.num_rows,
                "contacts": int((df["event"] == "contact_received").sum()),
                "figure_columns": int(figures.shape[1])})
    del table, df, figures
print(json.dumps(out))
"""


def median(xs) -> float:
    return statistics.median(xs)


def caseflow_command() -> list[str]:
    """The ``caseflow`` script beside this Python, as a user runs it (else the same through -c)."""
    script = Path(sys.executable).parent / "caseflow"
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-c", "import sys; from sim.cli import main; sys.argv[0] = 'caseflow'; sys.exit(main())"]


def referrals_2024() -> dict[int, dict]:
    """Every council with a 2024 row in the packaged referrals table: name and referral count
    (None where the table has no number)."""
    import pandas as pd

    t = pd.read_csv(REFERRALS_CSV, dtype=str)
    la = t[(t["geographic_level"] == "Local authority") & (t["time_period"] == str(YEAR))
           & t["old_la_code"].str.fullmatch(r"\d+")]
    counts = pd.to_numeric(la["referral_count"], errors="coerce")
    return {int(c): {"name": n, "referrals": (None if pd.isna(r) else float(r))}
            for c, n, r in zip(la["old_la_code"], la["la_name"], counts)}


def prebuild(cache: Path, codes: list[int]) -> dict:
    env = dict(os.environ, CASEFLOW_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", PREBUILD, str(YEAR), ",".join(map(str, codes))], cwd=cache.parent,
                         env=env, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["councils"] = {int(k): v for k, v in res["councils"].items()}
    return res


def breakdown(cache: Path, runs: list[tuple[int, int]]) -> list[dict]:
    env = dict(os.environ, CASEFLOW_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", BREAKDOWN_CODE, str(YEAR), json.dumps(runs)], cwd=cache.parent,
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def startup(work: Path) -> float:
    t = time.perf_counter()
    subprocess.run([*caseflow_command(), "validate", "--help"], cwd=work, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def national_run(work: Path, cache: Path, name: str, executor: str, councils: tuple[int, ...], replications: int,
                 workers: int) -> dict:
    """One ``caseflow validate la=...`` in a fresh helper process, with a fresh copy of the
    pre-built cache and a fresh results folder; its measurements and its manifest."""
    here = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))
    shutil.copytree(cache, here / "cache")
    results = here / "results"
    settings = [f"year={YEAR}", "la=" + ",".join(map(str, councils)), f"replications={replications}",
                f"executor={executor}", f"workers={workers}", "report=false", f"results_dir={results}"]
    spec = {"cmd": [*caseflow_command(), "validate", *settings], "cwd": str(here),
            "env": {"CASEFLOW_CACHE_DIR": str(here / "cache")}}
    out = subprocess.run([sys.executable, "-c", HELPER, json.dumps(spec)], capture_output=True, text=True,
                         check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["returncode"] != 0:
        raise RuntimeError(f"{name}: caseflow exited {res['returncode']}:\n{res['stderr_tail']}")
    (manifest,) = (results / "validate").glob("*/manifest.json")
    m = json.loads(manifest.read_text())
    expected = len(councils) * replications
    if sorted(m["councils"]) != sorted(councils) or m["timing"]["council_replications"] != expected:
        raise RuntimeError(f"{name}: ran {m['councils']} ({m['timing']['council_replications']} council-replications), "
                           f"expected {sorted(councils)} ({expected}): something was resumed or skipped")
    res.update(name=name, executor=executor, councils=list(councils), replications=replications,
               workers=m["workers"], timing=m["timing"], run_seconds=m["run_seconds"],
               command="caseflow validate " + " ".join(s if not s.startswith("results_dir=") else
                                                       "results_dir=<fresh>" for s in settings))
    shutil.rmtree(here, ignore_errors=True)
    return res


def measure(args) -> dict:
    quick = args.quick
    councils = tuple(args.councils or (QUICK_COUNCILS if quick else COUNCILS))
    memory = tuple(args.memory_councils or (QUICK_MEMORY if quick else MEMORY_COUNCILS))
    replications = args.replications or (2 if quick else 20)
    piece = args.breakdown or (councils[0] if quick else BREAKDOWN)
    repeats = 1 if quick else args.repeats
    table = referrals_2024()
    missing = [c for c, r in table.items() if r["referrals"] is None]
    res: dict = {"councils": councils, "memory": memory, "replications": replications, "breakdown_council": piece,
                 "repeats": repeats, "workers": args.workers, "referrals": table, "missing": missing,
                 "load_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="national-speed-") as tmp:
        work = Path(tmp)
        cache = work / "prebuilt" / "cache"
        cache.mkdir(parents=True)
        codes = list(dict.fromkeys([*councils, *memory, piece, *missing]))
        print(f"building presets for {len(codes)} councils ...", flush=True)
        res["prebuild"] = prebuild(cache, codes)
        pieces = [(piece, 0), (piece, 1)] + [(c, 0) for c in councils if c != piece]
        res["breakdowns"], res["startup"] = [], []
        plan = [("processes", "processes", councils), ("dask", "dask", councils),
                ("processes-memory", "processes", memory)]
        runs_done: dict[str, list[dict]] = {name: [] for name, _, _ in plan}
        for k in range(repeats):
            print(f"repeat {k + 1}/{repeats}: one replication of each of {len(councils)} councils, step by step; "
                  "start-up ...", flush=True)
            res["breakdowns"].append(breakdown(cache, pieces))
            res["startup"] += [startup(work) for _ in range(1 if quick else 3)]
            order = plan[k % len(plan):] + plan[:k % len(plan)]
            for name, executor, which in order:
                print(f"repeat {k + 1}/{repeats}: {name}, {len(which)} councils x {replications} replications ...",
                      flush=True)
                r = national_run(work, cache, name, executor, which, replications, args.workers)
                runs_done[name].append(r)
                t = r["timing"]
                print(f"  wall {r['wall']:.1f} s, simulate+project {t['simulate_and_project_seconds']:.1f} s, "
                      f"{t['seconds_per_council_replication_per_worker']} s per council-replication per worker, "
                      f"largest process {r['maxrss_mib']:.0f} MiB, tree {r['tree_peak_mib']:.0f} MiB "
                      f"(load before {r['load_before']:.2f})", flush=True)
        res["runs"] = runs_done
    res["load_end"] = os.getloadavg()
    if args.national_manifest:
        res["national_manifest"] = json.loads(Path(args.national_manifest).read_text())
        res["national_manifest_path"] = str(args.national_manifest)
        res["national_note"] = args.national_note
    return res


# --------------------------------------------------------------------------- figures


def summary(res: dict) -> dict:
    """Medians of each run kind, ratios, the breakdown, the verdicts and the extrapolation."""
    s: dict = {}
    for name, runs in res["runs"].items():
        t = [r["timing"] for r in runs]
        n = t[0]["council_replications"]
        s[name] = {
            "wall": median([r["wall"] for r in runs]),
            "walls": [r["wall"] for r in runs],
            "run_seconds": median([r["run_seconds"] for r in runs]),
            "compose": median([x["calibrate_and_compose_seconds"] for x in t]),
            "simulate": median([x["simulate_and_project_seconds"] for x in t]),
            "per_worker": median([x["seconds_per_council_replication_per_worker"] for x in t]),
            "council_replications": n,
            "workers": runs[0]["workers"],
            "maxrss": median([r["maxrss_mib"] for r in runs]),
            "tree": median([r["tree_peak_mib"] for r in runs]),
            "cpu": median([r["cpu"] for r in runs]),
            "load": [r["load_before"] for r in runs],
            "command": runs[0]["command"],
            "councils": runs[0]["councils"],
        }
        x = s[name]
        x["per_rep"] = x["simulate"] / n
        x["other"] = x["run_seconds"] - x["compose"] - x["simulate"]   # tables, charts, manifest, checks
        x["outside"] = x["wall"] - x["run_seconds"]                    # interpreter, imports, exit
        x["utilisation"] = x["cpu"] / (x["wall"] * x["workers"])
    pairs = list(zip(res["runs"]["dask"], res["runs"]["processes"]))
    s["dask_ratio_wall"] = median([d["wall"] / q["wall"] for d, q in pairs])
    sim_key = "simulate_and_project_seconds"
    s["dask_ratio_sim"] = median([d["timing"][sim_key] / q["timing"][sim_key] for d, q in pairs])

    # Where the time goes in one replication: each row's median over the repeats.
    b = [dict(rows[0]) for rows in zip(*res["breakdowns"])]
    for i, r in enumerate(b):
        for key in ("simulate", "arrow", "frame", "figures"):
            r[key] = median([rows[i][key] for rows in res["breakdowns"]])
        r["sim"] = r["simulate"] + r["arrow"]
        r["proj"] = r["frame"] + r["figures"]
        r["ratio"] = r["proj"] / r["sim"]
    s["breakdown"], s["cold"], s["warm"] = b, b[0], b[1]
    # How much one council's replication varied between repeats (largest max / min - 1 over rows).
    totals = [[rows[i]["simulate"] + rows[i]["arrow"] + rows[i]["frame"] + rows[i]["figures"]
               for rows in res["breakdowns"]] for i in range(len(b))]
    s["breakdown_spread"] = max(max(x) / min(x) - 1 for x in totals) if len(res["breakdowns"]) > 1 else None
    s["startup"] = median(res["startup"])
    p = s["processes"]
    # Start-up: `validate --help`, and what the run itself spent outside run_seconds (interpreter,
    # imports and parsing before the run's clock starts, and the exit); the verdict takes the larger.
    s["startup_share"] = max(s["startup"], p["outside"]) / p["wall"]
    s["other_share"] = (p["wall"] - p["simulate"]) / p["wall"]
    # The pool against the same replications one after another on one core (warm breakdown,
    # each council's replication 0; the breakdown council's warm replication 1).
    per_council = {r["code"]: r for r in b[1:]}
    serial = sum(per_council[c]["sim"] + per_council[c]["proj"] for c in p["councils"]) * res["replications"]
    s["serial_estimate"] = serial
    s["pool_efficiency"] = serial / (p["simulate"] * p["workers"])
    s["sim_share"] = (sum(per_council[c]["sim"] for c in p["councils"])
                      / sum(per_council[c]["sim"] + per_council[c]["proj"] for c in p["councils"]))

    # Memory with the number of councils.
    m = s["processes-memory"]
    s["memory_ratio_largest"] = p["maxrss"] / m["maxrss"]
    s["memory_ratio_tree"] = p["tree"] / m["tree"]

    # la=all, extrapolated from the processes run.
    refs = res["referrals"]
    contacts = {c: v["contacts_per_year"] for c, v in res["prebuild"]["councils"].items()}
    known = [c for c in p["councils"] if refs[c]["referrals"]]
    per_contact = median([refs[c]["referrals"] / contacts[c] for c in known])
    estimated = {c: contacts[c] * per_contact for c in res["missing"]}
    total = sum(v["referrals"] for v in refs.values() if v["referrals"]) + sum(estimated.values())
    chosen = sum(refs[c]["referrals"] for c in p["councils"])
    scale = (total / chosen) * (20 / res["replications"])
    n_all = len(refs)
    s["all"] = {
        "councils": n_all, "referrals": total, "chosen_referrals": chosen, "estimated": estimated,
        "per_contact": per_contact, "scale": scale,
        "simulate": p["simulate"] * scale,
        "simulate_dask": s["dask"]["simulate"] * scale,
        # From CPU seconds (the whole tree's, so start-up, tables and charts included): what the
        # workers would take with the cores to themselves, less sensitive to other work running.
        "cpu_idle": p["cpu"] * scale / p["workers"],
        "compose": by_councils(m, p, "compose", n_all),
        "other": by_councils(m, p, "other", n_all),
        "calibrate_cold": median([v["seconds"] for v in res["prebuild"]["councils"].values()]) * n_all,
        "council_replications": n_all * 20,
    }
    a = s["all"]
    a["total"] = a["simulate"] + a["compose"] + a["other"] + p["outside"]
    a["total_cold"] = a["total"] + a["calibrate_cold"]
    s["all_other_share"] = (a["total"] - a["simulate"]) / a["total"]
    # A fit seconds = a + b * referrals over the councils' warm replications, as a check.
    fit = [(refs[c]["referrals"], per_council[c]["sim"] + per_council[c]["proj"]) for c in known]
    if len(fit) >= 3:
        import numpy as np

        slope, intercept = np.polyfit([x for x, _ in fit], [y for _, y in fit], 1)
        serial_all = (n_all * intercept + slope * total) * 20
        a["fit"] = {"intercept": float(intercept), "slope": float(slope),
                    "simulate": serial_all / (s["pool_efficiency"] * p["workers"])}
    nm = res.get("national_manifest")
    if nm:
        t = nm["timing"]
        a["check"] = {"councils": len(nm["councils"]), "replications": nm["replications"], "workers": nm["workers"],
                      "simulate": t["simulate_and_project_seconds"], "compose": t["calibrate_and_compose_seconds"],
                      "per_worker": t["seconds_per_council_replication_per_worker"],
                      "council_replications": t["council_replications"], "run_seconds": nm["run_seconds"],
                      "started": nm["started"], "executor": nm["executor"],
                      "simulate_at_20": t["simulate_and_project_seconds"] * 20 / nm["replications"],
                      "path": res["national_manifest_path"],
                      "note": res.get("national_note") or "what else ran beside it is not known here"}
    return s


def by_councils(small: dict, large: dict, key: str, n: int) -> float:
    """``key`` for ``n`` councils from a line a + b * councils through the two runs' values (b at
    least 0: a part that did not grow is taken as fixed, at the larger run's value)."""
    n0, n1 = len(small["councils"]), len(large["councils"])
    y0, y1 = small[key], large[key]
    b = max((y1 - y0) / (n1 - n0), 0.0) if n1 != n0 else 0.0
    return max(y1 + b * (n - n1), 0.0)


def verdicts(s: dict) -> list[str]:
    w, p = s["warm"], s["processes"]
    proj_ok = w["ratio"] < TARGET_RATIO
    start_ok = s["startup_share"] < STARTUP_SHARE
    flat = s["memory_ratio_largest"] <= FLAT_MEMORY and s["memory_ratio_tree"] <= FLAT_MEMORY
    return [
        f"Projection under 1/3 of the simulation (warm replication): **{'MET' if proj_ok else 'NOT MET'}** "
        f"(ratio {w['ratio']:.2f}; {s['cold']['ratio']:.2f} for the first replication in a process, imports included)",
        f"Start-up negligible (under {100 * STARTUP_SHARE:.0f}% of the run): **{'MET' if start_ok else 'NOT MET'}** "
        f"(`caseflow validate --help` {s['startup']:.2f} s; the processes run outside its run_seconds -- start-up "
        f"before its clock, printing, exit -- {p['outside']:.2f} s; the larger is {100 * s['startup_share']:.2f}% "
        f"of its wall time)",
        f"Limited by simulation: **{'YES' if proj_ok and start_ok else 'NO'}** (both targets above) -- simulating "
        f"is {100 * s['sim_share']:.0f}% of a council-replication's work, these councils' replications one warm "
        f"process after another; everything outside the pool's simulate-and-project step (start-up, composing, "
        f"tables, charts) is {100 * s['other_share']:.1f}% of this run's wall time and about "
        f"{100 * s['all_other_share']:.1f}% of la=all's (extrapolated); the process tree's CPU time was "
        f"{100 * p['utilisation']:.0f}% of {p['workers']} cores x the wall time (nothing waits long)",
        f"Memory flat with the number of councils ({len(p['councils'])} councils within "
        f"{100 * (FLAT_MEMORY - 1):.0f}% of {len(s['processes-memory']['councils'])}): "
        f"**{'MET' if flat else 'NOT MET'}** (largest process {s['memory_ratio_largest']:.2f}x, "
        f"whole tree {s['memory_ratio_tree']:.2f}x)",
    ]


def section(s: dict, res: dict, mach: dict, command: str, code: str) -> str:
    refs = res["referrals"]
    names = {c: refs[c]["name"] for c in refs}
    n = len(res["councils"])
    listing = ", ".join(f"{names[c]} {c} ({refs[c]['referrals']:,.0f})" for c in res["councils"])
    rows = ["| executor | workers | councils | council-replications | wall s | calibrate + compose s | "
            "simulate + project s | tables, charts, manifest s | outside run_seconds s | s per council-replication | "
            "s per council-replication per worker | CPU s (tree) | CPU use | largest process MiB | "
            "tree peak MiB | wall / processes |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in ("processes", "dask", "processes-memory"):
        x = s[name]
        ratio = {"processes": "1.00", "dask": f"{s['dask_ratio_wall']:.2f}", "processes-memory": ""}[name]
        label = {"processes": "processes", "dask": "dask (local cluster)",
                 "processes-memory": "processes (memory point)"}[name]
        rows.append(f"| {label} | {x['workers']} | {len(x['councils'])} | {x['council_replications']} | "
                    f"{x['wall']:.1f} | {x['compose']:.2f} | {x['simulate']:.1f} | {x['other']:.2f} | "
                    f"{x['outside']:.2f} | {x['per_rep']:.3f} | {x['per_worker']:.3f} | {x['cpu']:.0f} | "
                    f"{100 * x['utilisation']:.0f}% | {x['maxrss']:.0f} | {x['tree']:.0f} | {ratio} |")
    brow = ["| council | replication | referrals 2024 | contacts | events | simulate s | log to Arrow s | frame s | "
            "published figures s | simulation s | projection s | projection / simulation |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for i, r in enumerate(s["breakdown"]):
        when = " (first in process)" if i == 0 else ""
        brow.append(f"| {names[r['code']]} {r['code']} | {r['replication']}{when} | "
                    f"{refs[r['code']]['referrals']:,.0f} | {r['contacts']:,} | {r['events']:,} | {r['simulate']:.2f} | "
                    f"{r['arrow']:.2f} | {r['frame']:.2f} | "
                    f"{r['figures']:.2f} | {r['sim']:.2f} | {r['proj']:.2f} | {r['ratio']:.2f} |")
    mem = s["processes-memory"]
    p, d, a = s["processes"], s["dask"], s["all"]
    pre = res["prebuild"]["councils"]
    cal = [pre[c]["seconds"] for c in res["councils"]]
    est = "; ".join(f"{names[c]} {c}: {v:,.0f}" for c, v in a["estimated"].items())
    fit = a.get("fit")
    fit_line = (f"- Check by a fit: one warm replication of the {n} councils gives seconds = "
                f"{fit['intercept']:.2f} + {1000 * fit['slope']:.3f} per 1,000 referrals; summed over every council "
                f"x 20 "
                f"and divided by the workers at this run's pool efficiency: **{fit['simulate'] / 60:.0f} min** "
                f"simulate + project.\n" if fit else "")
    check = a.get("check")
    check_line = (f"- Check against a real run: `{check['path']}` (another run, {check['started']}, "
                  f"{check['councils']} councils x {check['replications']} replications, executor={check['executor']}, "
                  f"{check['workers']} workers; {check['note']}) took {check['simulate'] / 60:.1f} min to "
                  f"simulate and project ({check['per_worker']:.2f} s per council-replication per worker) and "
                  f"{check['compose']:.0f} s to calibrate and compose; at 20 replications that is "
                  f"**{check['simulate_at_20'] / 60:.0f} min**.\n" if check else "")
    spread = (f"a row's time varied by up to {100 * s['breakdown_spread']:.0f}% between the repeats here"
              if s["breakdown_spread"] is not None else "one repeat: how much it varies is not measured here")
    load_runs = ", ".join(f"{name} {', '.join(f'{x:.2f}' for x in s[name]['load'])}"
                          for name in ("processes", "dask", "processes-memory"))
    return f"""{BEGIN}
## The national validation: every council on one pool of workers

`benchmarks/national_speed.py`: `caseflow validate year={YEAR} la=<councils> replications={res['replications']}`
end to end in fresh processes, on local processes and on a local Dask cluster, with the councils'
presets built beforehand (timed apart) and a fresh `results_dir` and copy of the cache per run; one
replication timed step by step; and `la=all` extrapolated.

- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC
- Command: `{command}`
- Machine: {mach['platform']} ({mach['cpu']}), {mach['cpus']} CPUs; {mach['python']}; {mach['versions']}
- Code: {code}
- Load average (1 min): {res['load_start'][0]:.2f} at the start, {res['load_end'][0]:.2f} at the end; before each run: {load_runs}
- Councils ({n}; 2024 referrals): {listing}; {res['replications']} replications each, seed as validate's default
- Runs: `{p['command']}` and the same with `executor=dask`; memory point: `la={','.join(map(str, res['memory']))}` on processes
- Repeats: {res['repeats']} per run{', interleaved (order rotated); figures are medians' if res['repeats'] > 1 else ''}
- Presets (calibration, one fresh process, before the runs): {median(cal):.2f} s per council (median; {sum(cal):.1f} s for the {n}; the first, with the calibration's imports, {pre[res['councils'][0]]['seconds']:.2f} s)

| executor | workers | councils | council-replications | wall s | calibrate + compose s | simulate + project s | tables, charts, manifest s | outside run_seconds s | s per council-replication | s per council-replication per worker | CPU s (tree) | CPU use | largest process MiB | tree peak MiB | wall / processes |
{chr(10).join(rows[1:])}

Wall s: the whole `caseflow` process, from a helper. The next four columns are the manifest's `timing`
and `run_seconds` (tables, charts, manifest = run_seconds - compose - simulate; outside run_seconds = wall - run_seconds: start-up before the run's clock, printing, exit).
s per council-replication = simulate + project / council-replications (elapsed, the pool's throughput);
per worker is the manifest's figure (x workers). CPU s: user + system of the whole process tree; CPU use =
CPU s / (wall x workers). Largest process: `getrusage(RUSAGE_CHILDREN).ru_maxrss` in a fresh helper after
the run (the largest single process of the tree, not a sum); tree peak: the summed RSS of the tree, sampled
every 0.5 s.

- Dask / processes: **{s['dask_ratio_wall']:.2f}x** the wall time ({d['wall']:.1f} s against {p['wall']:.1f} s);
  {s['dask_ratio_sim']:.2f}x the simulate-and-project time ({d['per_worker']:.3f} against {p['per_worker']:.3f} s per
  council-replication per worker); {d['cpu'] / p['cpu']:.2f}x the CPU seconds ({d['cpu']:.0f} against {p['cpu']:.0f})

Where the time goes: one replication as `sim.national.council_replication` runs it, in one fresh process
per repeat (the first row pays the imports a worker pays once; the rest are warm), simulation =
`run_replication` + the log to Arrow (`replication_table`), projection = `events_frame` +
`published_figures`; medians over the repeats:

{chr(10).join(brow)}

- These rows x {res['replications']} (each council's warm replication, one after another on one core): {s['serial_estimate']:.0f} s;
  the pool took {p['simulate']:.1f} s on {p['workers']} workers, {s['serial_estimate'] / p['simulate']:.2f}x faster. One replication a council
  is a small sample ({spread}), so this says only that the pool loses nothing large; the CPU use above is the
  firmer figure
- `caseflow validate --help` (start-up): {s['startup']:.2f} s (median of {len(res['startup'])})
{chr(10).join('- ' + v for v in verdicts(s))}

Memory against the number of councils (processes, {res['replications']} replications): `la={','.join(map(str, res['memory']))}`
({len(res['memory'])} councils) peaked at {mem['maxrss']:.0f} MiB in its largest process and {mem['tree']:.0f} MiB summed over the tree;
the {n} councils at {p['maxrss']:.0f} MiB and {p['tree']:.0f} MiB ({s['memory_ratio_largest']:.2f}x and {s['memory_ratio_tree']:.2f}x).

**`la=all` at 20 replications: an extrapolation, not a measurement.** {a['councils']} councils reported in {YEAR}, with
{a['referrals']:,.0f} referrals (the {n} run here: {a['chosen_referrals']:,.0f}; {len(a['estimated'])} without a published count,
given {a['per_contact']:.3f} referrals per contact from their presets: {est}). Scaling this run's processes
simulate-and-project time linearly with referrals (x {a['scale']:.1f}):

- simulate + project, {a['council_replications']:,} council-replications on {p['workers']} workers (processes): **{a['simulate'] / 60:.0f} min**
  ({a['simulate_dask'] / 60:.0f} min on the local Dask cluster)
- with composing {a['councils']} presets already cached ({a['compose']:.0f} s) and the tables, charts and manifest
  ({a['other']:.0f} s; both on a line a + b x councils through the {len(mem['councils'])}- and {n}-council runs, b at least 0), and
  what the run spent outside run_seconds ({p['outside']:.1f} s): **{a['total'] / 60:.0f} min**; with the presets calibrated first in a
  cold cache (about {a['calibrate_cold']:.0f} s more, {median(cal):.2f} s a council): {a['total_cold'] / 60:.0f} min
- Check from CPU time instead (the processes run's {p['cpu']:.0f} CPU s, {p['cpu'] / p['council_replications']:.2f} s per council-replication
  with everything else it did, scaled the same way and shared by {p['workers']} cores kept busy by nothing else):
  {a['cpu_idle'] / 60:.0f} min
{fit_line}{check_line}
One run on one machine (possibly with other work running); compare only figures from the same run.
{END}
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    codes = lambda text: tuple(int(c) for c in text.split(","))  # noqa: E731
    parser.add_argument("--councils", type=codes, help="comma-separated council codes (default "
                        + ",".join(map(str, COUNCILS)) + ")")
    parser.add_argument("--memory-councils", type=codes, help="the smaller run for memory (default "
                        + ",".join(map(str, MEMORY_COUNCILS)) + ")")
    parser.add_argument("--breakdown", type=int, help=f"the council timed step by step (default {BREAKDOWN})")
    parser.add_argument("--replications", type=int, help="default 20 (2 with --quick)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--national-manifest", type=Path, help="another la=all run's manifest.json, quoted as a check")
    parser.add_argument("--national-note", help="what to say about that run's conditions (e.g. what ran beside it)")
    parser.add_argument("--raw", type=Path, help="also write the raw measurements here (JSON)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 small councils, 2 replications")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    if args.memory_councils is not None and len(set(args.memory_councils)) < 2:
        parser.error("--memory-councils needs at least two councils (one council runs as a single validate)")
    mach = machine(("simpy", "numpy", "pandas", "pyarrow", "dask", "distributed"))
    code = code_version(ROOT)
    res = measure(args)
    if args.raw:
        args.raw.write_text(json.dumps(res, indent=1, default=str) + "\n")
    s = summary(res)
    print(section(s, res, mach, "", code))
    publish(args, argv, "national_speed.py", lambda command: section(s, res, mach, command, code), BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
