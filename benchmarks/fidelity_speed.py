"""Speed of the full-size service: the model now against the model before the fidelity work, and
bare SimPy's M/M/c, in one run; and 100 replications of three years on every core.

This is a benchmark, not a test: it asserts nothing, it measures.

* **now** -- one replication of the shipped default service (Nottingham, full size) over three
  years after its warm-up, simulated in this checkout (``sim.model.run_replication``), timed
  to the end of the simulation (the log built in memory, not written); contacts counted from
  the log.  Contacts per second = contacts simulated (warm-up included) / seconds.
* **before** -- the same in a temporary ``git worktree`` of ``--baseline`` (default ``b87a489``,
  the last commit before the fidelity issue), run in a subprocess with that checkout first on
  ``sys.path``: its own default service (then about 104 case-holding FTE and 16,500 contacts a
  year) and its own warm-up.
* **bare SimPy M/M/c** -- ``benchmarks/mmc_speed.py``'s bare SimPy queue, customers per second
  at the same arrival rate as the default service's contacts, to anchor the machine's speed.

Each is repeated (default 5), interleaved; the report gives medians and the median of the
per-repeat ratios.  Then ``caseflow replications=100 horizon_months=36 write_events=false``
(executor=processes, every core) is timed once end to end, as a user would run it, with the
default warm-up and with ``warmup_months=3``.

Results are printed and written to the ``<!-- fidelity_speed:begin -->`` ...
``<!-- fidelity_speed:end -->`` section of ``docs/performance.md``.

    python benchmarks/fidelity_speed.py            # full run (about 10 minutes on 2 cores)
    python benchmarks/fidelity_speed.py --quick    # 2 repeats, 10 replications; prints only
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import code_version, machine, publish  # noqa: E402

BEGIN, END = "<!-- fidelity_speed:begin -->", "<!-- fidelity_speed:end -->"

# One replication of a checkout's default service over three years; prints JSON.
ONE_REPLICATION = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from sim.settings import compose_config
from sim.model import run_replication
cfg = compose_config(["horizon_months=36", f"seed={sys.argv[2]}"])
t = time.perf_counter()
log = run_replication(cfg, 0)
seconds = time.perf_counter() - t
contacts = sum(1 for e in log.events if e.name == "contact_received")
print(json.dumps({"seconds": seconds, "contacts": contacts, "events": len(log.events),
                  "warmup_months": cfg.warmup_months}))
"""


def one_replication(checkout: Path, seed: int) -> dict:
    """Time one replication of ``checkout``'s default service in a fresh interpreter there."""
    out = subprocess.run([sys.executable, "-c", ONE_REPLICATION, str(checkout), str(seed)], cwd=checkout,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bare_mmc(seed: int, contacts_per_day: float) -> float:
    """Bare SimPy M/M/c customers per second (mmc_speed's queue) at ``contacts_per_day``."""
    from mmc_speed import run_bare

    customers = 100_000
    seconds = run_bare(contacts_per_day, 0.2, 23, customers, seed)[0]
    return customers / seconds


def whole_run(replications: int, extra: list[str]) -> float:
    """Wall seconds of ``caseflow replications=N horizon_months=36 write_events=false ...``."""
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim.cli", f"replications={replications}", "horizon_months=36",
                        "write_events=false", f"results_dir={tmp}/r", *extra], cwd=ROOT, check=True,
                       capture_output=True)
        return time.perf_counter() - t


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="b87a489")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    replications = 10 if args.quick else args.replications

    with tempfile.TemporaryDirectory() as tmp:
        before_dir = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(before_dir), args.baseline], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            rows = []
            for k in range(repeats):
                order = ["now", "before", "bare"] if k % 2 == 0 else ["bare", "before", "now"]
                row = {}
                for name in order:
                    if name == "now":
                        row["now"] = one_replication(ROOT, k + 1)
                    elif name == "before":
                        row["before"] = one_replication(before_dir, k + 1)
                    else:
                        row["bare"] = bare_mmc(k + 1, 14_500 / 250)
                rows.append(row)
                print(f"repeat {k + 1}: now {row['now']['contacts'] / row['now']['seconds']:,.0f} contacts/s, "
                      f"before {row['before']['contacts'] / row['before']['seconds']:,.0f}, "
                      f"bare M/M/c {row['bare']:,.0f} customers/s", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before_dir)], cwd=ROOT, capture_output=True)

    def rate(r, key):
        return r[key]["contacts"] / r[key]["seconds"]

    res = {
        "now_cps": statistics.median(rate(r, "now") for r in rows),
        "before_cps": statistics.median(rate(r, "before") for r in rows),
        "bare_cps": statistics.median(r["bare"] for r in rows),
        "now_over_before": statistics.median(rate(r, "now") / rate(r, "before") for r in rows),
        "now_over_bare": statistics.median(rate(r, "now") / r["bare"] for r in rows),
        "now_seconds": statistics.median(r["now"]["seconds"] for r in rows),
        "before_seconds": statistics.median(r["before"]["seconds"] for r in rows),
        "now_contacts": rows[0]["now"]["contacts"], "before_contacts": rows[0]["before"]["contacts"],
        "now_events": rows[0]["now"]["events"], "before_events": rows[0]["before"]["events"],
        "now_warmup": rows[0]["now"]["warmup_months"], "before_warmup": rows[0]["before"]["warmup_months"],
    }
    print(json.dumps(res, indent=2))
    res["run_default"] = whole_run(replications, [])
    print(f"{replications} replications x 36 months, default warm-up: {res['run_default']:.0f} s", flush=True)
    res["run_warmup3"] = whole_run(replications, ["warmup_months=3"])
    print(f"{replications} replications x 36 months, warmup_months=3: {res['run_warmup3']:.0f} s", flush=True)
    mach = machine()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d, %H:%M UTC")

    def section(command: str) -> str:
        return f"""{BEGIN}
## The full-size service: now against before the fidelity work

Measured {stamp} on {mach['platform']}, {mach['cpus']} cores, {mach['python']} ({mach['versions']}),
{code_version(ROOT)}, against `{args.baseline}` in a temporary worktree; `{command}`.
Medians of {repeats} interleaved repeats; one replication of each checkout's default service
over 36 months after its own warm-up ({res['now_warmup']} months now, {res['before_warmup']} before).

| | contacts simulated | events | seconds | contacts per second |
|---|---:|---:|---:|---:|
| now (full-size Nottingham, children who come back, ...) | {res['now_contacts']:,} | {res['now_events']:,} | {res['now_seconds']:.2f} | {res['now_cps']:,.0f} |
| before (`{args.baseline}`) | {res['before_contacts']:,} | {res['before_events']:,} | {res['before_seconds']:.2f} | {res['before_cps']:,.0f} |
| bare SimPy M/M/c (customers, 23 servers) | | | | {res['bare_cps']:,.0f} |

Ratios (median of per-repeat ratios): now / before **{res['now_over_before']:.2f}x** contacts per
second; now / bare SimPy M/M/c **{res['now_over_bare']:.2f}x**.

`caseflow replications={replications} horizon_months=36 write_events=false` (every core, end to end,
projection and tables included): **{res['run_default']:.0f} s** with the default warm-up
({res['now_warmup']} months), **{res['run_warmup3']:.0f} s** with `warmup_months=3`. The issue's target is
under two minutes for 100 replications of three years on two cores.
{END}
"""

    publish(args, argv, "fidelity_speed.py", section, BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
