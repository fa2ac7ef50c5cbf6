"""Scaling benchmark: one full default replication as the horizon and the volume grow.

This is a benchmark, not a test: it asserts nothing, it measures.  Every point is ONE
replication of the default scenario (``sim.settings.compose_config([])``: Nottingham, every
stage, opening caseload, workforce turnover, the configured warm-up) run exactly as
``caseflow`` runs a replication (``sim.runner.simulate_part``): the model flushes its event log
in chunks of ``flush_events`` events to a Parquet part in a temporary work folder
(``sim.parts.WorkFolder``), the part is committed, then read back and projected into the
forecast KPIs (``sim.runner.project_part``).  The script runs the body of ``simulate_part`` in
two timed steps so that the two costs are reported apart:

* **simulation + write**: ``PartWriter`` + ``run_replication(cfg, 0, sink=writer.write)`` +
  ``commit`` (the model, building Arrow chunks and writing Parquet);
* **projection**: ``project_part`` (read the part, build the DataFrame, monthly and horizon KPIs).

Two series of points:

* **by horizon**: ``horizon_months`` = 12, 36 and 120 (1, 3 and 10 years), volume 1x;
* **by volume**: 1x, 3x and 10x the contacts on a 36-month horizon.  Volume is scaled on the
  composed ``RunConfig`` object: ``service.demand.contacts_per_year`` is multiplied by the
  factor AND so is every ``count`` of every worker group of the ``mash``, ``assessment`` and
  ``long_term`` teams (rounded to whole posts; also the ``count`` of any ``add_posts`` funding
  action), so the load per worker stays the same.  Caseload caps, stage-time distributions
  and shares are unchanged; the opening caseload follows the contacts (it is derived from them).

(The 36-month 1x point belongs to both series and is measured once per repeat.)

Each measurement runs in a FRESH Python process (this script with ``--child``), so no point
inherits another's heap, caches or memory peak.  The child composes the config (outside the
timing), runs the two steps and prints one JSON line: wall seconds of each step, events and
contacts in the part (``contact_received`` rows, warm-up included; counted after the timing),
the part's size on disk, and peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, KiB on
Linux) read three times: before simulating (interpreter, imports, config), right after the
simulation + write step (the simulation's peak, since maxrss only grows) and after the
projection.  Every point is repeated ``--repeats`` times (default 3), the points interleaved
and their order rotated from one repeat to the next, after one untimed warm-up child; the
report gives MEDIANS.

Reported per point: contacts per second of simulation + write, which is per core since one
replication runs on one core; contacts per second end to end (with the projection); and
ratios to the smallest point of the series: size (contacts) against time.  Linear scaling
means time ratio ~= size ratio, i.e. the same seconds per contact.  The one-line verdict
compares seconds per contact (simulation + write) at the largest point with the smallest.

Results are printed and written to the ``<!-- scaling:begin -->`` ... ``<!-- scaling:end -->``
section of ``docs/performance.md`` (added before "## Notes" if missing; only that section is
replaced).  ``--quick`` is a smoke run (1- and 3-month horizons, 1x and 3x volume on a
1-month horizon, 2 repeats) that prints only unless ``--write-doc`` is given.

    python benchmarks/scaling.py                        # full run, updates docs/performance.md
    python benchmarks/scaling.py --quick                # smoke run, prints only
    python benchmarks/scaling.py --flush-events 20000   # memory flatness with smaller chunks
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # works without the editable install too
    sys.path.insert(0, str(REPO))
from common import code_version, machine, publish  # noqa: E402  (benchmarks/common.py)

DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- scaling:begin -->", "<!-- scaling:end -->"
MARK = "SCALING-RESULT "
TEAMS = ("mash", "assessment", "long_term")
WRAP = 95

FULL = {"horizons": [12, 36, 120], "factors": [1, 3, 10], "volume_horizon": 36, "repeats": 3}
QUICK = {"horizons": [1, 3], "factors": [1, 3], "volume_horizon": 1, "repeats": 2}
# Seconds per contact within this share of the smallest point's counts as "about linear".
LINEAR_TOLERANCE = 0.15


# ---------------------------------------------------------------------------------------------
# Child: one replication, measured
# ---------------------------------------------------------------------------------------------

def maxrss_kib() -> int:
    """Peak resident set size of this process so far (KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def scale_volume(cfg, factor: float):
    """A copy of ``cfg`` with contacts and every team's posts multiplied by ``factor``."""
    if factor == 1:
        return cfg
    cfg = copy.deepcopy(cfg)
    cfg.service.demand.contacts_per_year *= factor
    for team in TEAMS:
        for group in getattr(cfg.service.workforce, team).groups:
            group.count = int(round(group.count * factor))
    for action in cfg.service.funding:
        if action.action == "add_posts":
            action.count = int(round(action.count * factor))
    return cfg


def posts(cfg) -> dict[str, int]:
    return {t: sum(g.count for g in getattr(cfg.service.workforce, t).groups) for t in TEAMS}


def child(spec: dict) -> dict:
    """Run one replication as ``simulate_part`` does, timing its two steps; return the figures."""
    import gc
    import tempfile

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from sim.config import validate
    from sim.parts import WorkFolder, part_name, results_key
    from sim.runner import project_part, write_part
    from sim.settings import compose_config

    overrides = [f"horizon_months={spec['horizon']}"]
    if spec.get("flush_events") is not None:
        overrides.append(f"flush_events={spec['flush_events']}")
    if spec.get("seed") is not None:
        overrides.append(f"seed={spec['seed']}")
    cfg = scale_volume(compose_config(overrides), spec["factor"])
    validate(cfg)
    replication = 0
    with tempfile.TemporaryDirectory(prefix="caseflow-scaling-", dir=spec.get("tmpdir")) as tmp:
        folder = WorkFolder(Path(tmp) / cfg.scenario.name, results_key([cfg]))
        folder.open()
        events_dir = folder.events_dir()
        events_dir.mkdir(parents=True, exist_ok=True)
        path = events_dir / part_name(replication)
        gc.collect()
        rss_base = maxrss_kib()

        # --- sim.runner.simulate_part, step 1: simulate, flushing chunks to Parquet
        t0 = time.perf_counter()
        write_part(cfg, replication, str(events_dir))
        t1 = time.perf_counter()
        rss_sim = maxrss_kib()
        # --- step 2: read the part back and project the forecast KPIs
        kpis = project_part(cfg, replication, str(events_dir), "forecast", simulated=True)
        t2 = time.perf_counter()
        rss_proj = maxrss_kib()

        # Counted outside the timing.
        ev = pq.read_table(path, columns=["event"]).column("event")
        contacts = pc.sum(pc.equal(pc.cast(ev, "string"), "contact_received")).as_py() or 0
        part_bytes = path.stat().st_size
        row_groups = pq.ParquetFile(path).metadata.num_row_groups
        folder.release()
    return {
        "horizon": spec["horizon"], "factor": spec["factor"], "warmup_months": cfg.warmup_months,
        "flush_events": cfg.flush_events, "contacts_per_year": cfg.service.demand.contacts_per_year,
        "posts": posts(cfg), "sim_s": t1 - t0, "proj_s": t2 - t1, "events": kpis.events,
        "contacts": contacts, "part_bytes": part_bytes, "row_groups": row_groups,
        "rss_base_kib": rss_base, "rss_sim_kib": rss_sim, "rss_proj_kib": rss_proj,
    }


def run_child(spec: dict) -> dict:
    """``child(spec)`` in a fresh interpreter (working directory: the repository)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
                          cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"child failed (exit {proc.returncode}) for {spec}")
    out = json.loads(lines[-1][len(MARK):])
    out["process_s"] = wall
    return out


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------

def points_for(horizons: list[int], factors: list[float], volume_horizon: int) -> list[tuple[int, float]]:
    pts = [(h, 1) for h in horizons] + [(volume_horizon, f) for f in factors]
    return list(dict.fromkeys(pts))  # the shared point once


def measure(horizons, factors, volume_horizon, repeats, flush_events, seed, tmpdir) -> dict:
    pts = points_for(horizons, factors, volume_horizon)
    base = {"flush_events": flush_events, "seed": seed, "tmpdir": tmpdir}
    # Untimed warm-up: file-system caches, .pyc files.
    run_child({**base, "horizon": 1, "factor": 1})
    runs: dict[tuple, list[dict]] = {p: [] for p in pts}
    for r in range(repeats):
        k = r % len(pts)
        for h, f in pts[k:] + pts[:k]:  # rotate who goes first
            out = run_child({**base, "horizon": h, "factor": f})
            runs[(h, f)].append(out)
            print(f"  repeat {r + 1}/{repeats}: {h:>3} months x{f:<3g} {out['contacts']:>9,} contacts "
                  f"{out['events']:>10,} events  sim+write {out['sim_s']:7.2f} s  projection {out['proj_s']:6.2f} s  "
                  f"peak RSS sim {out['rss_sim_kib'] / 1024:6.0f} MiB  proj {out['rss_proj_kib'] / 1024:6.0f} MiB  "
                  f"(process {out['process_s']:.1f} s)", flush=True)
    summary = {}
    for p, outs in runs.items():
        med = lambda key: statistics.median(o[key] for o in outs)  # noqa: E731
        first = outs[0]
        summary[p] = {
            "horizon": p[0], "factor": p[1], "warmup_months": first["warmup_months"],
            "flush_events": first["flush_events"], "contacts_per_year": first["contacts_per_year"],
            "posts": first["posts"], "contacts": med("contacts"), "events": med("events"),
            "part_bytes": med("part_bytes"), "row_groups": med("row_groups"),
            "sim_s": med("sim_s"), "proj_s": med("proj_s"), "rss_base_kib": med("rss_base_kib"),
            "rss_sim_kib": med("rss_sim_kib"), "rss_proj_kib": med("rss_proj_kib"),
            "sim_s_all": [o["sim_s"] for o in outs], "proj_s_all": [o["proj_s"] for o in outs],
        }
    # Copies: the shared point gets different ratios in each series.
    series = {
        "horizon": [dict(summary[(h, 1)]) for h in horizons],
        "volume": [dict(summary[(volume_horizon, f)]) for f in factors],
    }
    for pts_ in series.values():
        small = pts_[0]
        for s in pts_:
            s["size_ratio"] = s["contacts"] / small["contacts"]
            s["time_ratio"] = s["sim_s"] / small["sim_s"]
            s["total_ratio"] = (s["sim_s"] + s["proj_s"]) / (small["sim_s"] + small["proj_s"])
    return {"series": series, "repeats": repeats, "flush_events": flush_events,
            "runs": [o for outs in runs.values() for o in outs]}




def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f}"


def label(s: dict) -> str:
    years = s["horizon"] / 12
    span = f"{years:g} y" if s["horizon"] % 12 == 0 else f"{s['horizon']} mo"
    return f"{span} x{s['factor']:g}"


HEAD = ("point", "contacts", "events", "sim+write s", "projection s", "contacts/s per core (sim+write)",
        "contacts/s (with projection)", "size ratio", "time ratio (sim+write)", "time ratio (with projection)",
        "peak RSS after sim MiB", "peak RSS after projection MiB")


def rows(pts: list[dict]) -> list[tuple]:
    out = []
    for s in pts:
        out.append((label(s), f"{s['contacts']:,.0f}", f"{s['events']:,.0f}", f"{s['sim_s']:.2f}",
                    f"{s['proj_s']:.2f}", f"{s['contacts'] / s['sim_s']:,.0f}",
                    f"{s['contacts'] / (s['sim_s'] + s['proj_s']):,.0f}", f"{s['size_ratio']:.2f}",
                    f"{s['time_ratio']:.2f}", f"{s['total_ratio']:.2f}", mib(s["rss_sim_kib"]),
                    mib(s["rss_proj_kib"])))
    return out


def verdict(pts: list[dict], what: str) -> str:
    """Seconds per contact (simulation + write) at the largest point over the smallest."""
    a, b = pts[0], pts[-1]
    per = lambda s: s["sim_s"] / s["contacts"]  # noqa: E731
    r = per(b) / per(a)
    tot = ((b["sim_s"] + b["proj_s"]) / b["contacts"]) / ((a["sim_s"] + a["proj_s"]) / a["contacts"])
    if abs(r - 1) <= LINEAR_TOLERANCE:
        word = "about linear"
    elif r > 1:
        word = "worse than linear"
    else:
        word = "better than linear (fixed costs spread over more contacts)"
    mem = b["rss_sim_kib"] / a["rss_sim_kib"]
    return (f"by {what}: {word} -- seconds per contact (simulation + write) at {label(b)} are {r:.2f} x those "
            f"at {label(a)} for {b['size_ratio']:.1f} x the contacts (with projection {tot:.2f} x); "
            f"peak RSS after simulation {mem:.2f} x ({mib(a['rss_sim_kib'])} -> {mib(b['rss_sim_kib'])} MiB)")


def scaling_note(res: dict) -> str:
    s = res["series"]["volume"]
    parts = []
    for x in s:
        p = x["posts"]
        parts.append(f"x{x['factor']:g}: {x['contacts_per_year']:,.0f} contacts/year, posts "
                     f"mash {p['mash']}, assessment {p['assessment']}, long_term {p['long_term']}")
    return "; ".join(parts)


def parts_note(res: dict) -> str:
    seen = {}
    for name in ("horizon", "volume"):
        for x in res["series"][name]:
            seen[label(x)] = f"{label(x)} {x['part_bytes'] / 2**20:,.1f} MiB in {x['row_groups']:.0f} row groups"
    return "; ".join(seen.values())


def print_table(pts: list[dict]) -> None:
    table = [HEAD] + rows(pts)
    widths = [max(len(r[i]) for r in table) for i in range(len(HEAD))]
    for i, r in enumerate(table):
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def print_report(res: dict, mach: dict) -> None:
    for name in ("horizon", "volume"):
        pts = res["series"][name]
        print()
        print(f"By {name} ({res['repeats']} repeats, medians; each a fresh process, one replication):")
        print_table(pts)
    print()
    print("Volume scaled on the RunConfig: service.demand.contacts_per_year and every worker group's count "
          "(mash, assessment, long_term) times the factor: " + scaling_note(res))
    first = res["series"]["horizon"][0]
    print(f"flush_events = {first['flush_events']:,}; warm-up {first['warmup_months']} months simulated before "
          f"each horizon (its contacts are counted); peak RSS before simulating (imports + config) about "
          f"{mib(first['rss_base_kib'])} MiB")
    print(f"Parquet parts (one row group per flush): {parts_note(res)}")
    for name in ("horizon", "volume"):
        print("Verdict " + verdict(res["series"][name], name))
    print(f"machine: {mach['platform']}, {mach['cpus']} CPUs, {mach['python']}; {mach['versions']}")


def doc_section(res: dict, mach: dict, command: str, load: tuple, code: str) -> str:
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    first = res["series"]["horizon"][0]
    vol = res["series"]["volume"]
    spans = ", ".join(label(x).split(" x")[0] for x in res["series"]["horizon"])
    factors = ", ".join(f"{x['factor']:g}x" for x in vol)
    lines = [
        BEGIN,
        "## Scaling: horizon and volume",
        "",
        textwrap.fill(
            "`benchmarks/scaling.py` times ONE replication of the default scenario (every stage) run as "
            "`caseflow` runs it (`sim.runner.simulate_part`: the log flushed in chunks of `flush_events` "
            "events to a Parquet part in a temporary work folder, then read back and projected into the "
            f"forecast KPIs), each point in a fresh Python process, as the horizon grows ({spans} at "
            f"today's volume) and as the volume grows ({factors} on {label(vol[0]).split(' x')[0]}).  Volume "
            "is scaled on the `RunConfig`: `service.demand.contacts_per_year` and every worker group's "
            "`count` in the mash, assessment and long_term teams are multiplied by the same factor, so "
            "each worker carries the same load (caps, times and shares unchanged; the opening caseload "
            "follows the contacts).  \"contacts\" are the part's `contact_received` rows, warm-up "
            "included; one replication runs on one core, so contacts/s is per core.  Ratios are to the "
            "smallest point of each table: linear scaling means time ratio = size ratio.  Peak RSS is "
            "`ru_maxrss` of the process right after the simulation + write step (the simulation's peak) "
            "and after the projection.", WRAP),
        "",
        "Rerun (replaces this section only; `--quick` is a smoke run that prints without touching this file):",
        "",
        "    python benchmarks/scaling.py",
        "",
        "### Latest figures",
        "",
        f"- Date: {now}",
        f"- Command: `{command}`",
        f"- Machine: {mach['platform']} ({mach['cpu']}), {mach['cpus']} CPUs; {mach['python']}; {mach['versions']}",
        f"- Code: {code}",
        f"- Load average before / after: {load[0]:.2f} / {load[1]:.2f} (1 min)",
        f"- Repeats: {res['repeats']} per point, interleaved (order rotated each repeat), after one untimed "
        f"warm-up process; figures are medians",
        f"- flush_events = {first['flush_events']:,}; warm-up {first['warmup_months']} months before each horizon; "
        f"peak RSS before simulating (interpreter, imports, config) about {mib(first['rss_base_kib'])} MiB",
        f"- Volume scaling: {scaling_note(res)}",
        f"- Parquet parts (one row group per flush): {parts_note(res)}",
        "",
    ]
    titles = (("horizon", "By horizon (volume 1x)"), ("volume", f"By volume ({label(vol[0]).split(' x')[0]})"))
    for name, title in titles:
        lines += [f"{title}:", "", "| " + " | ".join(HEAD) + " |", "|---" + "|---:" * (len(HEAD) - 1) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows(res["series"][name])]
        lines.append("")
    lines += [f"- Verdict {verdict(res['series'][name], name)}" for name in ("horizon", "volume")]
    lines += [
        "",
        "One run on one machine; compare only figures from the same run.",
        END,
    ]
    return "\n".join(lines) + "\n"




def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 and 3 months, x1 and x3 on 1 month, 2 repeats; doc untouched")
    p.add_argument("--repeats", type=int, help="repeats per point (default 3; --quick 2)")
    p.add_argument("--horizons", type=ints, help="horizon_months of the horizon series (default 12,36,120)")
    p.add_argument("--factors", type=floats, help="volume factors (default 1,3,10; the first is the reference)")
    p.add_argument("--volume-horizon", type=int, help="horizon_months of the volume series (default 36)")
    p.add_argument("--flush-events", type=int, default=None,
                   help="events held per replication before flushing to Parquet (default: the config's)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the config's)")
    p.add_argument("--tmpdir", default=None, help="where the temporary work folders go (default: the system's)")
    p.add_argument("--doc", type=Path, default=DOC, help="markdown file to update (default docs/performance.md)")
    p.add_argument("--no-doc", action="store_true", help="print only")
    p.add_argument("--write-doc", action="store_true", help="update the doc even with --quick")
    p.add_argument("--json", type=Path, help="also write every measurement (all repeats) to this JSON file")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)

    if a.child:
        print(MARK + json.dumps(child(json.loads(a.child))), flush=True)
        return 0

    d = QUICK if a.quick else FULL
    horizons = a.horizons or d["horizons"]
    factors = a.factors or d["factors"]
    volume_horizon = a.volume_horizon or d["volume_horizon"]
    repeats = a.repeats or d["repeats"]
    load0 = os.getloadavg()[0]
    print(f"scaling: horizons {horizons} months (x1); volume {factors} on {volume_horizon} months; "
          f"{repeats} repeats; flush_events {a.flush_events or 'config default'}", flush=True)
    res = measure(horizons, factors, volume_horizon, repeats, a.flush_events, a.seed, a.tmpdir)
    load = (load0, os.getloadavg()[0])
    mach = machine(("simpy", "numpy", "pandas", "pyarrow"))
    if a.json:
        a.json.write_text(json.dumps({"machine": mach, "load": load, **res}, indent=1, default=str) + "\n")
        print(f"wrote {a.json}")
    print_report(res, mach)
    print(f"load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}; code: {code_version(REPO)}")

    publish(a, argv, "scaling.py", lambda command: doc_section(res, mach, command, load, code_version(REPO)),
            BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
