"""Reading and calibrating from a council's records: a Nottingham-sized six-year extract, on one core.

This is a benchmark, not a test: it asserts nothing, it measures.  The issue's targets: reading
and calibrating from an extract of six years for a Nottingham-sized council (about 100,000
contacts) takes under a minute on one core, and memory stays under 2 GB.

* **The extract** is made once and cached (``--folder``, default a folder named by its settings
  under the system's temporary folder; an existing extract there is reused as it is): what
  ``caseflow synth-extract out=FOLDER contacts_per_year=16700 years=6`` writes
  (``sim.commands.synth_extract.configured`` + ``sim.extracts.synthetic.synthetic_extract``:
  one replication of the default service scaled to 16,700 contacts a year, six years to
  2026-11-30, written as roughened SSD tables and a ``roster.csv``).  Its contacts, rows and
  bytes are reported.
* **Each measurement runs in a FRESH Python process** (this script with ``--child``) pinned to
  one core (``taskset -c CPU``, or ``os.sched_setaffinity`` where taskset is missing; the child
  checks its affinity), with ``OMP_NUM_THREADS`` and the like set to 1.  The child imports what
  it needs (timed apart), runs the measured step, and reports its wall seconds, its CPU seconds
  (user + system, ``getrusage``) and the process's peak resident set size at its end, both as
  ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on Linux) and as ``VmHWM`` from
  ``/proc/self/status``: on Linux a process started by vfork + exec (as ``subprocess`` starts
  it) inherits its parent's peak in ru_maxrss, so the extract is made in a process of its own
  and this script stays small; the target is judged on the larger of the two:

  - **raw read (the baseline)**: ``pandas.read_csv(path, dtype=str)`` of every ``ssd_*.csv`` in
    the folder: the bytes read into text columns without any checking, the floor for a reader;
  - **read**: ``sim.extracts.reader.read_extract(folder)`` (decode, parse, check every value and
    link, pseudonymise, digest);
  - **read + calibrate**: ``read_extract``, then the default service's YAML tree as
    ``caseflow calibrate extract=`` gets it (``compose_job([]).sources["service"].doc.data``,
    deep-copied), then ``sim.extracts.calibrate.calibrate(extract, tree, base_name, name)``;
    each step timed; the target is on the three together;
  - **read + opening state**: ``read_extract``, then ``sim.extracts.opening.opening_state(extract)``
    (a run started from the records: the open cases, MASH contacts and roster on the day).

  The four are repeated ``--repeats`` times (default 3), interleaved with their order rotated
  from one repeat to the next, after one untimed warm-up process (page cache, .pyc files); the
  figures are MEDIANS, and the ratio reader / raw read is the median of the per-repeat ratios.
  After the repeats, one more pinned process times the parts of reading, calibrating and the
  opening state (timers put around the modules' functions in that process only; not in the
  medians).

Results are printed and written to the ``<!-- extract_speed:begin -->`` ...
``<!-- extract_speed:end -->`` section of ``docs/performance.md`` (added before "## Notes" if
missing; only that section is replaced).  ``--quick`` is a smoke run (an extract of 2,000
contacts a year for 2 years, 2 repeats) that prints only unless ``--write-doc``; ``--profile``
also prints a cProfile of one read, calibration and opening state (top functions by own time).

    python benchmarks/extract_speed.py                # full run (about 5 minutes), updates docs/performance.md
    python benchmarks/extract_speed.py --quick        # smoke run, prints only
    python benchmarks/extract_speed.py --profile      # the same as the first, then a cProfile
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # works without the editable install too
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import code_version, machine, publish  # noqa: E402

BEGIN, END = "<!-- extract_speed:begin -->", "<!-- extract_speed:end -->"
MARK = "EXTRACT-SPEED-RESULT "
TARGET_S = 60.0
TARGET_BYTES = 2_000_000_000   # "2 GB": 2 x 10^9 bytes (1,907 MiB), the stricter reading
MIB = 1024 * 1024
END_DAY = "2026-11-30"
FULL = {"contacts_per_year": 16_700, "years": 6, "repeats": 3}
QUICK = {"contacts_per_year": 2_000, "years": 2, "repeats": 2}
KINDS = ("raw", "read", "calibrate", "opening")
LABELS = {"raw": "raw read: `pandas.read_csv(path, dtype=str)` of every ssd_*.csv (baseline)",
          "read": "`read_extract(folder)`",
          "calibrate": "`read_extract` + base service + `calibrate` (the target)",
          "opening": "`read_extract` + `opening_state`"}
SHOWN_PARTS, SMALL_PART = 6, 0.02   # in "where the time goes": the first 6 parts, then any of 2% of the step or more
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


# ---------------------------------------------------------------------------------------------
# Child: one measurement in a fresh, pinned process
# ---------------------------------------------------------------------------------------------

def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _hwm_kib() -> int | None:
    """This process's own peak RSS since its exec (``VmHWM``, Linux), or None.  ``ru_maxrss`` may
    also hold the parent's peak: a child started by vfork + exec inherits its high-water mark."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def child(spec: dict) -> dict:
    """Import, run the step ``spec['kind']`` on ``spec['folder']``; seconds, CPU seconds, peak RSS."""
    kind, folder = spec["kind"], Path(spec["folder"])
    out: dict = {"kind": kind, "affinity": sorted(os.sched_getaffinity(0))}
    t0 = time.perf_counter()
    import pandas as pd
    if kind != "raw":
        import copy

        from sim.extracts.reader import read_extract
    if kind == "calibrate":
        from sim.extracts.calibrate import calibrate
        from sim.inputs.compose import compose_job
    if kind == "opening":
        from sim.extracts.opening import opening_state
    t1, c1 = time.perf_counter(), _cpu_s()
    out["imports_s"] = t1 - t0
    out["rss_after_imports_kib"] = _maxrss_kib()
    steps: dict[str, float] = {}
    if kind in ("raw", "warm"):
        rows = {}
        for path in sorted(folder.glob("ssd_*.csv")):
            rows[path.name] = len(pd.read_csv(path, dtype=str))
        steps["raw read"] = time.perf_counter() - t1
        out["rows"] = rows
        if kind == "warm":  # also the modules' .pyc files
            import sim.extracts.calibrate  # noqa: F401
            import sim.extracts.opening  # noqa: F401
            import sim.inputs.compose  # noqa: F401
    else:
        extract = read_extract(folder)
        t2 = time.perf_counter()
        steps["read"] = t2 - t1
        out["rows"] = {name: len(frame) for name, frame in extract.tables.items()}
        out["assumptions"] = len(extract.assumptions)
        if kind == "calibrate":
            source = compose_job([]).sources["service"]
            tree = copy.deepcopy(source.doc.data)
            t3 = time.perf_counter()
            steps["base service"] = t3 - t2
            result = calibrate(extract, tree, source.name, "extract_speed_bench")
            steps["calibrate"] = time.perf_counter() - t3
            out["base_name"] = source.name
            out["history"] = [str(result.history.first_day.date()), str(result.history.last_day.date())]
        elif kind == "opening":
            opening = opening_state(extract)
            steps["opening_state"] = time.perf_counter() - t2
            out["opening"] = {"workers": len(opening.workers), "cases": len(opening.cases),
                              "contacts": len(opening.contacts), "day": str(getattr(opening, "date", ""))}
    out["steps"] = steps
    out["work_s"] = sum(steps.values())
    out["work_cpu_s"] = _cpu_s() - c1
    out["maxrss_kib"] = _maxrss_kib()   # at the end: the process's peak
    out["hwm_kib"] = _hwm_kib()
    return out


def parts_child(spec: dict) -> dict:
    """One read, calibration and opening state with timers around the modules' functions (the
    outermost timed call counts, so the parts of one step do not overlap)."""
    import copy
    import functools

    import pandas as pd

    import sim.extracts.calibrate as xcal
    import sim.extracts.history as hist
    import sim.extracts.opening as opening
    import sim.extracts.reader as reader
    import sim.inputs.typed as typed
    from sim.inputs.compose import compose_job

    totals: dict[str, list] = {}   # name -> [seconds, calls]
    depth = [0]

    def timed(name: str, f):
        @functools.wraps(f)
        def g(*a, **k):
            if depth[0]:
                return f(*a, **k)
            depth[0] += 1
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                depth[0] -= 1
                entry = totals.setdefault(name, [0.0, 0])
                entry[0] += time.perf_counter() - t
                entry[1] += 1
        return g

    def inner(name: str, f):  # timed inside an outer timed call (pandas.read_csv, _dates inside _parse)
        @functools.wraps(f)
        def g(*a, **k):
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                entry = totals.setdefault(name, [0.0, 0])
                entry[0] += time.perf_counter() - t
                entry[1] += 1
        return g

    folder = Path(spec["folder"])
    for name in ("_parse", "_check_links", "_apply_roster", "_note_gaps", "_span", "_contact_outcomes", "_age_bands",
                 "pseudonymise", "digest"):
        setattr(reader, name, timed(f"read: {name}", getattr(reader, name)))
    reader._dates = inner("read: _parse: _dates", reader._dates)
    reader.pd.read_csv = inner("read: _parse: pandas.read_csv", pd.read_csv)
    t = time.perf_counter()
    extract = reader.read_extract(folder)
    read_s = time.perf_counter() - t

    source = compose_job([]).sources["service"]
    tree = copy.deepcopy(source.doc.data)
    t = time.perf_counter()
    import scipy.stats  # noqa: F401  (the calibration's first import of it, timed apart)
    scipy_s = time.perf_counter() - t
    for name in ("fit_length", "fit_volumes", "new_children_seasonality", "rake_outcomes", "shift_shares", "_checks",
                 "_returns_se"):
        if hasattr(xcal, name):
            setattr(xcal, name, timed(f"calibrate: {name}", getattr(xcal, name)))
    for name in dir(hist):
        f = getattr(hist, name)
        if callable(f) and getattr(f, "__module__", None) == hist.__name__ and not isinstance(f, type) \
                and not name.startswith("__"):
            setattr(hist, name, timed(f"calibrate: history.{name}", f))
    typed.with_service = timed("calibrate: with_service (checking the fitted service)", typed.with_service)
    t = time.perf_counter()
    xcal.calibrate(extract, tree, source.name, "extract_speed_bench")
    cal_s = time.perf_counter() - t

    for name in ("_departments", "_open_plans", "_undecided_contacts"):
        setattr(opening, name, timed(f"opening: {name}", getattr(opening, name)))
    t = time.perf_counter()
    opening.opening_state(extract)
    open_s = time.perf_counter() - t
    parts = {k: {"s": v[0], "calls": v[1]} for k, v in totals.items()}
    return {"read_s": read_s, "scipy_import_s": scipy_s, "calibrate_s": cal_s, "opening_s": open_s, "parts": parts,
            "affinity": sorted(os.sched_getaffinity(0))}


def run_process(spec: dict) -> dict:
    """``--child spec`` in a fresh interpreter, not pinned (making the extract)."""
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)], cwd=ROOT,
                          capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"child failed (exit {proc.returncode}) for {spec}")
    out = json.loads(lines[-1][len(MARK):])
    out["log"] = [ln for ln in proc.stdout.splitlines() if ln.startswith("extract:")]
    return out


def run_child(spec: dict, cpu: int) -> dict:
    """``child(spec)`` (or ``parts_child``) in a fresh interpreter pinned to ``cpu``."""
    env = dict(os.environ, **{v: "1" for v in THREAD_VARS})
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    preexec = None
    if shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    else:
        def preexec():
            os.sched_setaffinity(0, {cpu})
    t = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, preexec_fn=preexec)
    wall = time.perf_counter() - t
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"child failed (exit {proc.returncode}) for {spec}")
    out = json.loads(lines[-1][len(MARK):])
    if out["affinity"] != [cpu]:
        raise SystemExit(f"the child ran on cores {out['affinity']}, not on core {cpu} alone")
    out["process_s"] = wall
    return out


# ---------------------------------------------------------------------------------------------
# The extract, made once
# ---------------------------------------------------------------------------------------------

def make_extract(folder: Path, contacts_per_year: int, years: int, seed: int) -> dict:
    """The extract in ``folder``: reused if it holds one, else made (beside, then renamed).
    Returns its manifest (synth-extract's, with ``seconds`` and ``reused``)."""
    manifest = folder / "manifest.json"
    if (folder / "ssd_contacts.csv").is_file():
        info = json.loads(manifest.read_text()) if manifest.is_file() else {}
        info["reused"] = True
        print(f"extract: reusing {folder}", flush=True)
        return info
    from sim.commands.synth_extract import configured
    from sim.extracts.synthetic import synthetic_extract
    from sim.report import started_commit

    given = {"out": str(folder), "contacts_per_year": str(contacts_per_year), "years": str(years),
             "seed": str(seed), "end": END_DAY}
    commit = started_commit()
    print(f"extract: making {folder} (caseflow synth-extract out={folder} contacts_per_year={contacts_per_year} "
          f"years={years} seed={seed})", flush=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = folder.parent / f".{folder.name}.writing-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    t = time.perf_counter()
    try:
        cfg = configured(given)
        written = synthetic_extract(cfg, temp, seed)
        seconds = time.perf_counter() - t
        info = {"command": f"caseflow synth-extract out={folder} contacts_per_year={contacts_per_year} years={years} "
                           f"seed={seed} end={END_DAY}",
                "seed": seed, "service": cfg.service.name, "contacts_per_year": cfg.service.demand.contacts_per_year,
                "first_day": str(written.first_day), "last_day": str(written.last_day), "files": written.files,
                "git": commit, "written": dt.datetime.now().isoformat(timespec="seconds"), "seconds": seconds}
        (temp / "README.txt").write_text("An entirely fictional Standard Safeguarding Dataset extract written by "
                                         "benchmarks/extract_speed.py (caseflow synth-extract): no record in it is "
                                         "about a real child, family or worker.\n")
        (temp / "manifest.json").write_text(json.dumps(info, indent=2) + "\n")
        if folder.exists():
            folder.rmdir()  # empty (else it would have been reused)
        temp.rename(folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    info["reused"] = False
    print(f"extract: made in {seconds:.1f} s: {written.files['ssd_contacts.csv']:,} contacts", flush=True)
    return info


def file_sizes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(folder.glob("*.csv"))}


# ---------------------------------------------------------------------------------------------
# Measurement and report
# ---------------------------------------------------------------------------------------------

def measure(folder: Path, repeats: int, cpu: int) -> dict:
    run_child({"kind": "warm", "folder": str(folder)}, cpu)   # untimed: page cache, .pyc files
    runs: dict[str, list[dict]] = {k: [] for k in KINDS}
    for r in range(repeats):
        k = r % len(KINDS)
        order = KINDS[k:] + KINDS[:k]
        for kind in order:
            runs[kind].append(run_child({"kind": kind, "folder": str(folder)}, cpu))
        last = {kind: runs[kind][-1] for kind in KINDS}
        print(f"repeat {r + 1}/{repeats} (order {', '.join(order)}): raw {last['raw']['work_s']:.2f} s; read "
              f"{last['read']['work_s']:.2f} s ({last['read']['work_s'] / last['raw']['work_s']:.1f}x raw); read + "
              f"calibrate {last['calibrate']['work_s']:.2f} s; read + opening {last['opening']['work_s']:.2f} s; peak "
              f"{max(max(x['maxrss_kib'], x['hwm_kib'] or 0) for x in last.values()) / 1024:,.0f} MiB", flush=True)
    parts = run_child({"kind": "parts", "folder": str(folder)}, cpu)
    return {"runs": runs, "parts": parts}


def med(xs) -> float:
    return statistics.median(xs)


def summary(res: dict) -> dict:
    s = {}
    for kind, runs in res["runs"].items():
        steps = {name: med([r["steps"][name] for r in runs]) for name in runs[0]["steps"]}
        s[kind] = {"work_s": med([r["work_s"] for r in runs]), "all": [r["work_s"] for r in runs],
                   "cpu_s": med([r["work_cpu_s"] for r in runs]), "imports_s": med([r["imports_s"] for r in runs]),
                   "process_s": med([r["process_s"] for r in runs]),
                   "process_max_s": max(r["process_s"] for r in runs),
                   "rss_mib": med([r["maxrss_kib"] for r in runs]) / 1024,
                   "rss_max_mib": max(r["maxrss_kib"] for r in runs) / 1024,
                   "rss_imports_mib": med([r["rss_after_imports_kib"] for r in runs]) / 1024,
                   "hwm_mib": med([r["hwm_kib"] or 0 for r in runs]) / 1024,
                   "hwm_max_mib": max(r["hwm_kib"] or 0 for r in runs) / 1024,
                   "peak_max_mib": max(max(r["maxrss_kib"], r["hwm_kib"] or 0) for r in runs) / 1024,
                   "steps": steps, "first": runs[0]}
    raw, read = res["runs"]["raw"], res["runs"]["read"]
    ratios = [b["work_s"] / a["work_s"] for a, b in zip(raw, read)]
    s["ratio"] = med(ratios)
    s["ratios"] = ratios
    return s


def verdicts(s: dict) -> list[str]:
    c = s["calibrate"]
    met = c["work_s"] < TARGET_S
    worst = max(c["all"])
    time_line = (f"Target read + calibrate under {TARGET_S:.0f} s on one core: **{'MET' if met else 'NOT MET'}** "
                 f"(median {c['work_s']:.1f} s, slowest repeat {worst:.1f} s; the whole process, interpreter start-up "
                 f"and imports included, {c['process_s']:.1f} s median, {c['process_max_s']:.1f} s slowest)")
    peak = max(s[k]["peak_max_mib"] for k in KINDS)
    which = max(KINDS, key=lambda k: s[k]["peak_max_mib"])
    mem_met = peak * MIB < TARGET_BYTES
    mem_line = (f"Target peak memory under 2 GB: **{'MET' if mem_met else 'NOT MET'}** (the largest peak of any "
                f"measured process, the larger of VmHWM and ru_maxrss, {peak:,.0f} MiB = {peak * MIB / 1e9:.2f} GB, "
                f"in {which}; read + calibrate {s['calibrate']['peak_max_mib']:,.0f} MiB)")
    return [time_line, mem_line]


def contention(s: dict) -> str:
    share = min(s[k]["cpu_s"] / s[k]["work_s"] for k in KINDS)
    if share >= 0.9:
        return " (the core was the steps' own)"
    return (f" (as low as {share:.2f}: the steps waited, most likely for their core, which other work on the machine "
            "shared; on a quiet core the wall times would be nearer the CPU times)")


def parts_rows(p: dict) -> list[str]:
    rows = ["| step | part | seconds | calls |", "|---|---|---:|---:|"]
    parts = p["parts"]

    def add(step: str, prefix: str, total: float, extra: list[tuple[str, float, int | str]] = ()):
        mine = sorted(((k[len(prefix):], v["s"], v["calls"]) for k, v in parts.items() if k.startswith(prefix)
                       and ": " not in k[len(prefix):]), key=lambda x: -x[1])
        inner = {k[len(prefix):]: v for k, v in parts.items() if k.startswith(prefix) and ": " in k[len(prefix):]}
        shown_parts = [*extra, *mine]
        small = [x for x in shown_parts[SHOWN_PARTS:] if x[1] < SMALL_PART * total]
        for name, sec, calls in shown_parts[:len(shown_parts) - len(small)]:
            rows.append(f"| {step} | {name} | {sec:.2f} | {calls} |")
            for k, v in sorted(inner.items(), key=lambda kv: -kv[1]["s"]):
                if k.startswith(name + ": "):
                    rows.append(f"| {step} | ... of which {k[len(name) + 2:]} | {v['s']:.2f} | {v['calls']} |")
        if small:
            rows.append(f"| {step} | {len(small)} other functions (each under {100 * SMALL_PART:.0f}% of the step) | "
                        f"{sum(x[1] for x in small):.2f} | {sum(x[2] for x in small)} |")
        counted = sum(sec for _, sec, _ in shown_parts)
        rows.append(f"| {step} | the rest (in the step's own body) | {max(total - counted, 0):.2f} | |")
        rows.append(f"| {step} | **all** | **{total:.2f}** | |")

    add("read", "read: ", p["read_s"])
    add("calibrate", "calibrate: ", p["calibrate_s"] + p["scipy_import_s"],
        [("importing scipy.stats (first use)", p["scipy_import_s"], 1)])
    add("opening state", "opening: ", p["opening_s"])
    return rows


def section(s: dict, res: dict, info: dict, folder: Path, sizes: dict, mach: dict, command: str, repeats: int,
            cpu: int, how: str, load: tuple, code: str) -> str:
    raw_rows = s["raw"]["first"]["rows"]
    read_rows = s["read"]["first"]["rows"]
    contacts = read_rows.get("ssd_contacts", 0)
    ssd_bytes = sum(b for n, b in sizes.items() if n.startswith("ssd_"))
    all_bytes = sum(sizes.values())
    files = ["| file | rows (raw read) | rows (read_extract) | MB |", "|---|---:|---:|---:|"]
    for name, size in sizes.items():
        raw_n, read_n = raw_rows.get(name), read_rows.get(name[:-4])
        label = f"{name} (not in the raw read; read_extract applies it to ssd_professionals)" \
            if name == "roster.csv" else name
        files.append(f"| {label} | {'' if raw_n is None else f'{raw_n:,}'} | {'' if read_n is None else f'{read_n:,}'} | "
                     f"{size / 1e6:.2f} |")
    files.append(f"| **all** | **{sum(raw_rows.values()):,}** | **{sum(read_rows.values()):,}** | "
                 f"**{all_bytes / 1e6:.1f}** |")
    made = (f"reused from `{folder}`" + (f" (made {info['written']}" + (f" in {info['seconds']:.1f} s" if
            'seconds' in info else "") + ")" if info.get("written") else "")) if info.get("reused") else \
        f"made for this run in {info['seconds']:.1f} s into `{folder}`"
    git = info.get("git") or {}
    made_code = f", by commit {str(git.get('commit'))[:12]}" if git.get("commit") else ""
    table = ["| measurement | median s | per repeat s | median CPU s | median / raw read median | median imports s | "
             "median process wall s | median peak RSS (VmHWM) MiB | median ru_maxrss MiB | largest peak MiB |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for kind in KINDS:
        k = s[kind]
        table.append(f"| {LABELS[kind]} | {k['work_s']:.2f} | {', '.join(f'{x:.2f}' for x in k['all'])} | "
                     f"{k['cpu_s']:.2f} | {k['work_s'] / s['raw']['work_s']:.1f} | {k['imports_s']:.2f} | "
                     f"{k['process_s']:.2f} | {k['hwm_mib']:,.0f} | {k['rss_mib']:,.0f} | {k['peak_max_mib']:,.0f} |")
    c, o = s["calibrate"]["steps"], s["opening"]["steps"]
    cal_steps = ", ".join(f"{n} {v:.2f} s" for n, v in c.items())
    first = s["calibrate"]["first"]
    op = s["opening"]["first"]["opening"]
    mbps_raw = ssd_bytes / 1e6 / s["raw"]["work_s"]
    mbps_read = ssd_bytes / 1e6 / s["read"]["work_s"]
    p = res["parts"]
    return f"""{BEGIN}
## Reading and calibrating from a council's records

`benchmarks/extract_speed.py` times reading a fictional Nottingham-sized extract of six years
(`caseflow synth-extract out=FOLDER contacts_per_year=16700 years=6`, made once and cached) and
calibrating a service from it, each measurement in a fresh Python process pinned to one core,
against the floor of reading the same files with `pandas.read_csv(path, dtype=str)` and no
checking. The issue's targets: read + calibrate under a minute on one core, and memory under 2 GB.
Seconds are the measured step's wall time inside the process (imports and interpreter start-up
apart, given in their own columns); CPU s is the step's user + system time (well under the wall
time would mean the step waited, for the disk or for its core); peak RSS is read at the process's
end both as `VmHWM` (`/proc/self/status`: the process's own peak since its exec) and as
`getrusage(RUSAGE_SELF).ru_maxrss`, which on Linux also holds the parent's peak when the child was
started by vfork + exec (as `subprocess` does), so the parent here stays small (the extract is made
in a process of its own) and "largest peak" is the larger of the two.
"read + calibrate" is `read_extract`, the default service's tree as `caseflow calibrate extract=`
gets it (`compose_job([]).sources["service"].doc.data`), and `sim.extracts.calibrate.calibrate`;
"read + opening_state" starts a run from the records (`sim.extracts.opening.opening_state`).

Rerun (replaces this section only; `--quick` is a smoke run that prints without touching this file;
`--profile` also prints a cProfile):

    python benchmarks/extract_speed.py

### Latest figures

- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC
- Command: `{command}`
- Machine: {mach['platform']} ({mach['cpu']}), {mach['cpus']} CPUs; {mach['python']}; {mach['versions']}
- Code: {code}
- Pinned to core {cpu} ({how}; every child checked its affinity), {', '.join(THREAD_VARS)} = 1
- Load average before / after: {load[0]:.2f} / {load[1]:.2f} (1 min)
- This script's own ru_maxrss when the measurements started: {res['parent_maxrss_kib'] / 1024:,.0f} MiB (what a child's ru_maxrss may inherit)
- Extract: {info.get('service', '?')} at {float(info.get('contacts_per_year', 0)):,.0f} contacts a year, {str(info.get('first_day', '?'))} to {str(info.get('last_day', '?'))} (the history calibrated: {first['history'][0]} to {first['history'][1]});
  {made}{made_code}
- Size: **{contacts:,} contacts**, {sum(read_rows.values()):,} rows in {len(read_rows)} tables; **{ssd_bytes / 1e6:.1f} MB** of ssd_*.csv ({all_bytes / 1e6:.1f} MB with roster.csv)
- Repeats: {repeats}, interleaved (order rotated each repeat), after one untimed warm-up process; figures are medians

{chr(10).join(files)}

{chr(10).join(table)}

- Ratio read_extract / raw read: **{s['ratio']:.1f}x** (median of per-repeat ratios: {', '.join(f'{x:.1f}' for x in s['ratios'])});
  {mbps_read:.1f} MB/s and {contacts / s['read']['work_s']:,.0f} contacts/s against {mbps_raw:.1f} MB/s raw
- Read + calibrate, by step (medians): {cal_steps}; calibrated on `{s['calibrate']['first']['base_name']}`
- Read + opening_state, by step (medians): {', '.join(f'{n} {v:.2f} s' for n, v in o.items())}; the state on
  {op['day']}: {op['workers']:,} workers, {op['cases']:,} open cases, {op['contacts']:,} contacts at the MASH
- CPU / wall time of the measured steps (medians): {', '.join(f"{k} {s[k]['cpu_s'] / s[k]['work_s']:.2f}" for k in KINDS)}{contention(s)}
{chr(10).join('- ' + x for x in verdicts(s))}

Where the time goes: one more pinned process (not in the medians: read {p['read_s']:.2f} s, calibrate
{p['calibrate_s'] + p['scipy_import_s']:.2f} s with its first import of scipy.stats, opening state
{p['opening_s']:.2f} s) with timers around the reader's, the calibration's (and `sim.extracts.history`'s)
and the opening state's functions; a call inside another timed one counts to the outer, except the
indented "of which" rows inside `_parse`:

{chr(10).join(parts_rows(p))}

One run on one machine (possibly with other work running); compare only figures from the same run.
{END}
"""


def profile(folder: Path, top: int = 20) -> None:
    """cProfile one read, calibration and opening state in this process (top ``top`` by own time)."""
    import copy
    import cProfile
    import pstats

    from sim.extracts.calibrate import calibrate
    from sim.extracts.opening import opening_state
    from sim.extracts.reader import read_extract
    from sim.inputs.compose import compose_job

    source = compose_job([]).sources["service"]
    tree = copy.deepcopy(source.doc.data)
    extract = None
    for name in ("read_extract", "calibrate", "opening_state"):
        prof = cProfile.Profile()
        prof.enable()
        if name == "read_extract":
            extract = read_extract(folder)
        elif name == "calibrate":
            calibrate(extract, tree, source.name, "extract_speed_bench")
        else:
            opening_state(extract)
        prof.disable()
        print(f"\n===== cProfile: {name} (top {top} by own time, then by cumulative time)")
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)


def print_report(s: dict) -> None:
    for kind in KINDS:
        k = s[kind]
        print(f"{kind:10s} median {k['work_s']:7.2f} s (per repeat {', '.join(f'{x:.2f}' for x in k['all'])}; CPU "
              f"{k['cpu_s']:.2f} s; imports {k['imports_s']:.2f} s; process {k['process_s']:.2f} s); peak RSS "
              f"{k['rss_mib']:,.0f} MiB, VmHWM {k['hwm_mib']:,.0f} MiB (largest {k['peak_max_mib']:,.0f}); steps "
              + ", ".join(f"{n} {v:.2f}" for n, v in k["steps"].items()))
    print(f"read_extract / raw read: {s['ratio']:.1f}x (per repeat {', '.join(f'{x:.1f}' for x in s['ratios'])})")
    for line in verdicts(s):
        print(line.replace("**", ""))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 2,000 contacts a year for 2 years, 2 repeats")
    p.add_argument("--contacts-per-year", type=int, help="the extract's contacts a year (default 16,700; --quick 2,000)")
    p.add_argument("--years", type=int, help="the extract's years (default 6; --quick 2)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--folder", type=Path, help="where the extract is (made if missing; default a cached folder under "
                   "the system's temporary folder)")
    p.add_argument("--repeats", type=int, help="repeats (default 3; --quick 2)")
    p.add_argument("--cpu", type=int, default=0, help="the core every measured process is pinned to (default 0)")
    p.add_argument("--profile", action="store_true", help="also cProfile one read, calibration and opening state")
    p.add_argument("--doc", type=Path, default=ROOT / "docs" / "performance.md")
    p.add_argument("--no-doc", action="store_true", help="print only")
    p.add_argument("--write-doc", action="store_true", help="update the doc even with --quick")
    p.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)

    if a.child:
        spec = json.loads(a.child)
        if spec["kind"] == "make":
            out = make_extract(Path(spec["folder"]), spec["contacts_per_year"], spec["years"], spec["seed"])
        else:
            out = parts_child(spec) if spec["kind"] == "parts" else child(spec)
        print(MARK + json.dumps(out, default=str), flush=True)
        return 0

    d = QUICK if a.quick else FULL
    cpy = a.contacts_per_year or d["contacts_per_year"]
    years = a.years or d["years"]
    repeats = a.repeats or d["repeats"]
    if a.cpu not in os.sched_getaffinity(0):
        raise SystemExit(f"core {a.cpu} is not one this process may run on ({sorted(os.sched_getaffinity(0))})")
    folder = a.folder or Path(tempfile.gettempdir()) / "caseflow-extract-bench" / f"c{cpy}_y{years}_s{a.seed}"
    # In a process of its own: making it peaks near 1 GB, and a child started by vfork + exec inherits
    # its parent's peak in ru_maxrss.
    info = run_process({"kind": "make", "folder": str(folder), "contacts_per_year": cpy, "years": years,
                        "seed": a.seed})
    for line in info.pop("log", []):
        print(line, flush=True)
    parent_kib = _maxrss_kib()
    sizes = file_sizes(folder)
    how = "`taskset -c`" if shutil.which("taskset") else "`os.sched_setaffinity`"
    print(f"extract: {folder}, {sum(b for n, b in sizes.items() if n.startswith('ssd_')) / 1e6:.1f} MB of ssd_*.csv; "
          f"{repeats} repeats pinned to core {a.cpu} ({how})", flush=True)
    load0 = os.getloadavg()[0]
    res = measure(folder, repeats, a.cpu)
    res["parent_maxrss_kib"] = parent_kib
    load = (load0, os.getloadavg()[0])
    s = summary(res)
    mach = machine(("numpy", "pandas", "pyarrow", "scipy"))
    code = code_version(ROOT)
    if a.json:
        a.json.write_text(json.dumps({"machine": mach, "load": load, "extract": info, "sizes": sizes, **res},
                                     indent=1, default=str) + "\n")
        print(f"wrote {a.json}")
    print_report(s)
    print(f"load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}; code: {code}")
    print("\n".join(parts_rows(res["parts"])))
    publish(a, argv, "extract_speed.py",
            lambda command: section(s, res, info, folder, sizes, mach, command, repeats, a.cpu, how, load, code),
            BEGIN, END)
    if a.profile:
        profile(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
