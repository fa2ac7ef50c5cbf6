"""Speed benchmark: caseflow reduced to M/M/c against a bare SimPy M/M/c (and Ciw, if installed).

This is a benchmark, not a test: it asserts nothing, it measures.  In one run on one machine it
times, with the same arrival rate (lambda), mean service time (1/mu), number of servers (c) and
number of customers:

* **caseflow** -- ``sim.validation.mmc_config`` (the model reduced to an M/M/c queue at its
  MASH) run through ``sim.runner.replication_table``, which runs one replication *and* builds
  its full Arrow event log (3 events per customer).  Building the table is part of caseflow's
  cost of logging every event, so it is inside the timing.  Customers are counted (outside the
  timing) as the log's ``contact_received`` rows.
* **bare SimPy** -- a plain ``simpy.Resource(capacity=c)`` written below: a source process
  with exponential inter-arrival times, each customer requests a server, holds it for an
  exponential time, releases it and appends ``(arrival, start, end)`` to a list (SimPy's own
  monitoring advice).  Times are pre-drawn with a numpy Generator so the RNG is not what is
  measured.  It simulates exactly as many customers as the caseflow run had, all to completion.
* **Ciw** (only if ``import ciw`` works; ``pip install ciw``) -- ``ciw.create_network`` with
  Exponential arrival and service distributions and ``number_of_servers=[c]``, run to
  ``customers / lambda`` days (about the same number of customers); customers are its completed
  records (``get_all_records``, inside the timing).

Each measurement is repeated (default 7), interleaving the simulators and rotating their order
from one repeat to the next; the report gives MEDIAN customers per second for each and the
median of the per-repeat ratios caseflow / bare SimPy (and caseflow / Ciw).  The target is
caseflow >= 0.6 x bare SimPy.

Results are printed and written to the ``<!-- mmc_speed:begin -->`` ... ``<!-- mmc_speed:end -->``
section of ``docs/performance.md`` (created if missing).  ``--quick`` is a smoke run (20,000
customers, 3 repeats) and does not touch the doc unless ``--write-doc`` is given.

    python benchmarks/mmc_speed.py            # full run, updates docs/performance.md
    python benchmarks/mmc_speed.py --quick    # smoke run, prints only
    python benchmarks/mmc_speed.py --profile  # cProfile one caseflow run (top 15 by tottime)
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # works without the editable install too
    sys.path.insert(0, str(REPO))
from common import write_section  # noqa: E402  (benchmarks/common.py)

import numpy as np  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import simpy  # noqa: E402

from sim.runner import replication_table  # noqa: E402
from sim.validation import mmc_config  # noqa: E402

try:  # optional third simulator
    import ciw  # type: ignore
except ImportError:  # pragma: no cover - depends on the environment
    ciw = None

DOC = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- mmc_speed:begin -->", "<!-- mmc_speed:end -->"
TARGET = 0.6
CIW_MISSING = "Ciw not installed (pip install ciw)"

DOC_INTRO = """# Performance

Speed figures for caseflow, measured by scripts in `benchmarks/`.  They are benchmarks, not
tests: nothing fails if a figure is poor; the figures are what one run on one machine
measured, so compare them only with figures from the same run.

## M/M/c: caseflow against bare SimPy

`benchmarks/mmc_speed.py` reduces caseflow to an M/M/c queue (`sim.validation.mmc_config`:
Poisson contacts, exponential screening by `c` MASH screeners, every contact leaves after
screening) and times one replication through `sim.runner.replication_table`, which includes
building the full Arrow event log (three events per customer: the cost of logging every
event).  Against it, in the same run, it times a bare SimPy M/M/c written in the benchmark (a
`simpy.Resource(capacity=c)`, pre-drawn numpy exponential times, `(arrival, start, end)`
appended to a list per customer) with the same arrival rate, service rate, servers and number
of customers, and Ciw on the same network if Ciw is installed.  Measurements are repeated,
interleaved; the figures are MEDIANS of customers per second and the median of the per-repeat
ratios.  The target is caseflow >= 0.6 x bare SimPy.  caseflow's cost per customer grows
with run length faster than bare SimPy's (a 20,000-customer `--quick` run gives a higher
ratio), so compare ratios only at the same customers per run.

Rerun (replaces the section below):

    python benchmarks/mmc_speed.py

(`--quick` is a smoke run that prints without touching this file; `--profile` prints a
cProfile of one caseflow run.)

"""


# ---------------------------------------------------------------------------------------------
# The three simulators
# ---------------------------------------------------------------------------------------------

def run_caseflow(lam: float, mean_service: float, servers: int, days: int, seed: int):
    """One caseflow replication (model + Arrow event log).  Returns (seconds, customers, events)."""
    cfg = mmc_config(lam, mean_service, servers, days, seed=seed)
    gc.collect()
    t0 = time.perf_counter()
    table = replication_table(cfg, 0)
    elapsed = time.perf_counter() - t0
    customers = pc.sum(pc.equal(table["event"], "contact_received")).as_py() or 0
    return elapsed, customers, table.num_rows


def bare_simpy_mmc(inter_arrivals: list, services: list, servers: int) -> list:
    """Plain SimPy M/M/c: one customer per (inter-arrival, service) pair, run to completion.

    Returns the ``(arrival, start, end)`` record of every customer.
    """
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    records: list = []
    append = records.append

    def customer(env, arrival, service):
        with desk.request() as req:
            yield req
            start = env.now
            yield env.timeout(service)
        append((arrival, start, env.now))

    def source(env):
        for gap, service in zip(inter_arrivals, services):
            yield env.timeout(gap)
            env.process(customer(env, env.now, service))

    env.process(source(env))
    env.run()
    return records


def run_bare(lam: float, mean_service: float, servers: int, customers: int, seed: int):
    """Time the bare SimPy M/M/c on ``customers`` customers.  Returns (seconds, customers)."""
    rng = np.random.default_rng(seed)
    inter = rng.exponential(1.0 / lam, customers).tolist()        # pre-drawn, outside the timing
    services = rng.exponential(mean_service, customers).tolist()
    gc.collect()
    t0 = time.perf_counter()
    records = bare_simpy_mmc(inter, services, servers)
    elapsed = time.perf_counter() - t0
    return elapsed, len(records)


def run_ciw(lam: float, mean_service: float, servers: int, customers: int, seed: int):
    """Time Ciw on the same M/M/c, run to ``customers / lam`` days.  Returns (seconds, completed)."""
    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=lam)],
                                 service_distributions=[ciw.dists.Exponential(rate=1.0 / mean_service)],
                                 number_of_servers=[servers])
    ciw.seed(seed)
    gc.collect()
    t0 = time.perf_counter()
    q = ciw.Simulation(network)
    q.simulate_until_max_time(customers / lam)
    records = q.get_all_records()
    elapsed = time.perf_counter() - t0
    return elapsed, len(records)


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------

def measure(lam: float, mean_service: float, servers: int, target_customers: int, repeats: int,
            seed: int, use_ciw: bool) -> dict:
    days = max(1, round(target_customers / lam))
    # Warm-up (imports, caches, first-call costs), not timed.
    _, warm_n, _ = run_caseflow(lam, mean_service, servers, max(1, days // 50), seed)
    run_bare(lam, mean_service, servers, max(warm_n, 1), seed)
    if use_ciw:
        run_ciw(lam, mean_service, servers, max(warm_n, 1), seed)

    # caseflow first, so bare SimPy and Ciw can use its customer count.  This full-size run is
    # a second warm-up and is not one of the samples (first full-size runs came out slower).
    first = run_caseflow(lam, mean_service, servers, days, seed)
    customers, events = first[1], first[2]
    run_bare(lam, mean_service, servers, customers, seed)
    print(f"caseflow: {days} days -> {customers:,} customers, {events:,} events per run", flush=True)

    names = ["caseflow", "bare SimPy"] + (["Ciw"] if use_ciw else [])
    secs = {n: [] for n in names}
    counts = {n: [] for n in names}
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate who goes first
        for name in order:
            if name == "caseflow":
                s, n, _ = run_caseflow(lam, mean_service, servers, days, seed)
            elif name == "bare SimPy":
                s, n = run_bare(lam, mean_service, servers, customers, seed + r)
            else:
                s, n = run_ciw(lam, mean_service, servers, customers, seed + r)
            secs[name].append(s)
            counts[name].append(n)
        line = "  ".join(f"{n} {counts[n][-1] / secs[n][-1]:>9,.0f}/s" for n in names)
        print(f"  repeat {r + 1}/{repeats}: {line}", flush=True)

    rates = {n: [c / s for c, s in zip(counts[n], secs[n])] for n in names}
    result = {
        "lam": lam, "mean_service": mean_service, "servers": servers, "days": days,
        "customers": customers, "events": events, "repeats": repeats, "names": names,
        "median_rate": {n: statistics.median(rates[n]) for n in names},
        "median_secs": {n: statistics.median(secs[n]) for n in names},
        "median_customers": {n: statistics.median(counts[n]) for n in names},
        "rates": rates,
    }
    result["ratio_bare"] = statistics.median(c / b for c, b in zip(rates["caseflow"], rates["bare SimPy"]))
    result["ratio_bare_all"] = [c / b for c, b in zip(rates["caseflow"], rates["bare SimPy"])]
    if use_ciw:
        result["ratio_ciw"] = statistics.median(c / w for c, w in zip(rates["caseflow"], rates["Ciw"]))
    return result


def machine() -> dict:
    import pyarrow
    return {
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "simpy": simpy.__version__,
        "numpy": np.__version__,
        "pyarrow": pyarrow.__version__,
        "ciw": getattr(ciw, "__version__", "?") if ciw is not None else None,
    }


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def table_rows(res: dict) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for n in res["names"]:
        label = "caseflow (full event log)" if n == "caseflow" else n
        if n == "caseflow":
            ratio = "1.00"
        elif n == "bare SimPy":
            ratio = f"{res['ratio_bare']:.2f}"
        else:
            ratio = f"{res['ratio_ciw']:.2f}"
        rows.append((label, f"{res['median_customers'][n]:,.0f}", f"{res['median_secs'][n]:.3f}",
                     f"{res['median_rate'][n]:,.0f}", ratio))
    return rows


def verdict(res: dict) -> str:
    ok = res["ratio_bare"] >= TARGET
    return (f"{'MET' if ok else 'NOT MET'}: caseflow / bare SimPy = {res['ratio_bare']:.2f} "
            f"{'>=' if ok else '<'} {TARGET}")


def print_report(res: dict, mach: dict) -> None:
    rho = res["lam"] * res["mean_service"] / res["servers"]
    print()
    print(f"M/M/c: lambda={res['lam']:g}/day, mean service={res['mean_service']:g} days, c={res['servers']}, "
          f"rho={rho:.2f}; {res['customers']:,} customers per run, {res['repeats']} repeats (medians)")
    head = ("simulator", "customers", "median s", "median cust/s", "caseflow / this")
    rows = [head] + table_rows(res)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if mach["ciw"] is None:
        print(mach.get("ciw_note", CIW_MISSING))
    print("per-repeat caseflow / bare SimPy: " + ", ".join(f"{x:.2f}" for x in res["ratio_bare_all"]))
    print(f"target caseflow >= {TARGET} x bare SimPy: {verdict(res)}")
    print(f"machine: {mach['platform']}, {mach['cpus']} CPUs, {mach['python']}, simpy {mach['simpy']}")


def doc_section(res: dict, mach: dict, command: str) -> str:
    rho = res["lam"] * res["mean_service"] / res["servers"]
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        BEGIN,
        "### Latest figures",
        "",
        f"- Date: {now}",
        f"- Command: `{command}`",
        f"- Machine: {mach['platform']} ({mach['cpu']}), {mach['cpus']} CPUs; {mach['python']}; "
        f"simpy {mach['simpy']}, numpy {mach['numpy']}, pyarrow {mach['pyarrow']}"
        + (f", ciw {mach['ciw']}" if mach["ciw"] else ""),
        f"- Queue: lambda = {res['lam']:g} contacts/day, mean screening = {res['mean_service']:g} days, "
        f"c = {res['servers']} (rho = {rho:.2f}); caseflow horizon {res['days']} days",
        f"- Customers per run: {res['customers']:,} (caseflow `contact_received` rows; "
        f"{res['events']:,} events logged); bare SimPy simulates exactly as many"
        + ("; Ciw runs to customers / lambda days" if mach["ciw"] else ""),
        f"- Repeats: {res['repeats']}, interleaved (order rotated each repeat); figures are medians",
        "",
        "| simulator | customers | median s | median customers/s | median ratio caseflow / this |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {' | '.join(r)} |" for r in table_rows(res)]
    lines += [
        "",
        f"- Median ratio caseflow / bare SimPy: **{res['ratio_bare']:.2f}** "
        f"(per repeat: {', '.join(f'{x:.2f}' for x in res['ratio_bare_all'])})",
    ]
    if mach["ciw"]:
        lines.append(f"- Median ratio caseflow / Ciw: {res['ratio_ciw']:.2f}")
    else:
        lines.append(f"- {mach.get('ciw_note', CIW_MISSING)}")
    lines += [
        f"- Target caseflow >= {TARGET} x bare SimPy: **{verdict(res)}**",
        "",
        "One run on one machine (possibly with other work running); compare only figures from the same run.",
        END,
    ]
    return "\n".join(lines) + "\n"


def profile_caseflow(lam: float, mean_service: float, servers: int, target_customers: int, seed: int,
                     top: int = 15) -> None:
    """cProfile one caseflow M/M/c run (model + Arrow log) and print the top ``top`` by tottime."""
    import cProfile
    import pstats
    cfg = mmc_config(lam, mean_service, servers, max(1, round(target_customers / lam)), seed=seed)
    prof = cProfile.Profile()
    prof.enable()
    replication_table(cfg, 0)
    prof.disable()
    stats = pstats.Stats(prof, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(top)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 20,000 customers, 3 repeats, doc untouched")
    p.add_argument("--customers", type=int, help="target customers per run (default 200,000; --quick 20,000)")
    p.add_argument("--repeats", type=int, help="repeats per simulator (default 7; --quick 3)")
    p.add_argument("--arrivals", type=float, default=200.0, help="lambda, contacts per day (default 200)")
    p.add_argument("--mean-screening", type=float, default=0.02, help="1/mu in days (default 0.02)")
    p.add_argument("--servers", type=int, default=5, help="c (default 5)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-ciw", action="store_true", help="skip Ciw even if installed")
    p.add_argument("--doc", type=Path, default=DOC, help="markdown file to update (default docs/performance.md)")
    p.add_argument("--no-doc", action="store_true", help="print only")
    p.add_argument("--write-doc", action="store_true", help="update the doc even with --quick")
    p.add_argument("--profile", action="store_true", help="also cProfile one caseflow run (top 15 by tottime)")
    a = p.parse_args(argv)

    customers = a.customers or (20_000 if a.quick else 200_000)
    repeats = a.repeats or (3 if a.quick else 7)
    use_ciw = ciw is not None and not a.no_ciw
    if ciw is None:
        print(CIW_MISSING)

    res = measure(a.arrivals, a.mean_screening, a.servers, customers, repeats, a.seed, use_ciw)
    mach = machine()
    if not use_ciw:
        mach["ciw"] = None
        mach["ciw_note"] = CIW_MISSING if ciw is None else "Ciw skipped (--no-ciw)"
    print_report(res, mach)

    if a.no_doc or (a.quick and not a.write_doc):
        print("docs not updated" + (" (--quick; add --write-doc to force)" if a.quick and not a.no_doc else ""))
    else:
        command = "python benchmarks/mmc_speed.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])
                                                      if (argv if argv is not None else sys.argv[1:]) else "")
        write_section(doc_section(res, mach, command), a.doc, BEGIN, END, intro=DOC_INTRO)
        print(f"wrote {a.doc}")

    if a.profile:
        print()
        profile_caseflow(a.arrivals, a.mean_screening, a.servers, customers, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
