"""Making the reports against making the run: a comparison of five scenarios, 20 replications
each over 48 months, and then its workbook, charts and HTML report, in one run.

This is a benchmark, not a test: it asserts nothing, it measures.

* **run** -- ``caseflow compare baseline_2022 temporary_funding permanent_posts agency_cover
  retention_package horizon_months=48 replications=20 report=false write_events=false``, timed
  end to end in a subprocess on every core, as a user would run it (the default 12 months'
  warm-up).
* **reports** -- ``sim.reports.build.make_reports`` on the finished folder, repeated (default 3
  times, in this process after a first warm call that pays for the imports, which is timed
  separately): the workbook, the 7 charts (PNG and SVG) and the HTML report, with each part
  timed.  The figure quoted is the median; the ratio is the median over the run's time.

Results are printed and written to the ``<!-- reports_speed:begin -->`` ...
``<!-- reports_speed:end -->`` section of ``docs/performance.md``.

    python benchmarks/reports_speed.py             # full run (about 5 minutes on 2 cores)
    python benchmarks/reports_speed.py --quick     # 4 replications, 12 months; prints only
"""
from __future__ import annotations

import argparse
import shutil
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

BEGIN, END = "<!-- reports_speed:begin -->", "<!-- reports_speed:end -->"
SCENARIOS = ("baseline_2022", "temporary_funding", "permanent_posts", "agency_cover", "retention_package")


def run_comparison(results: Path, replications: int, months: int) -> tuple[float, Path]:
    """Seconds for the comparison, end to end, and its folder."""
    command = ["caseflow", "compare", *SCENARIOS, f"horizon_months={months}", f"replications={replications}",
               "report=false", "write_events=false", f"results_dir={results}"]
    t = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    seconds = time.perf_counter() - t
    (folder,) = (results / "compare").iterdir()
    return seconds, folder


def time_reports(folder: Path) -> dict[str, float]:
    """Seconds for each part of make_reports, and in all."""
    from sim.reports import build
    from sim.reports.html import write

    t0 = time.perf_counter()
    f = build.read_folder(folder)
    t1 = time.perf_counter()
    build.workbook(f)
    t2 = time.perf_counter()
    drawn = build.charts(f)
    t3 = time.perf_counter()
    write(build.html_report(f, drawn), folder / build.HTML)
    t4 = time.perf_counter()
    return {"read": t1 - t0, "workbook": t2 - t1, "charts": t3 - t2, "html": t4 - t3, "all": t4 - t0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--keep", type=Path, default=None, help="copy the comparison folder (with its reports) here")
    args = parser.parse_args(argv)
    if args.quick:
        args.replications, args.months, args.repeats = 4, 12, 2
    with tempfile.TemporaryDirectory(prefix="caseflow-reports-bench-") as tmp:
        run_seconds, folder = run_comparison(Path(tmp), args.replications, args.months)
        print(f"run: {run_seconds:.1f} s")
        t = time.perf_counter()
        from sim.reports import build  # noqa: F401  (the imports, paid once by a command)
        first = time_reports(folder)
        imports = time.perf_counter() - t - first["all"]
        repeats = [time_reports(folder) for _ in range(args.repeats)]
        sizes = {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}
        charts = len(list((folder / "charts").glob("*.png")))
        if args.keep is not None:
            shutil.copytree(folder, args.keep, dirs_exist_ok=True)
    med = {k: statistics.median(r[k] for r in repeats) for k in repeats[0]}
    ratio = med["all"] / run_seconds
    print(f"reports: median {med['all']:.2f} s over {args.repeats} (workbook {med['workbook']:.2f}, charts "
          f"{med['charts']:.2f}, html {med['html']:.2f}); first call {first['all']:.2f} s plus {imports:.2f} s of "
          f"imports; {100 * ratio:.1f}% of the run")
    m = machine(("simpy", "numpy", "pandas", "matplotlib", "openpyxl"))

    def section(command: str) -> str:
        return f"""{BEGIN}
## Reports: a five-scenario comparison's workbook, charts and HTML against the run

`{command}` ({code_version(ROOT)}; {m['platform']}, {m['cpus']} CPUs, {m['python']}, {m['versions']}).

The run: `caseflow compare {' '.join(SCENARIOS)} horizon_months={args.months} replications={args.replications}
report=false write_events=false` on every core, end to end, **{run_seconds:.1f} s**.

The reports (`sim.reports.build`: the workbook, {charts} fan charts as PNG and SVG, the HTML report),
from the finished folder alone, median of {args.repeats}:

| part | seconds |
|---|---:|
| reading the folder's tables | {med['read']:.2f} |
| workbook.xlsx | {med['workbook']:.2f} |
| charts (PNG and SVG) | {med['charts']:.2f} |
| report.html | {med['html']:.2f} |
| **all** | **{med['all']:.2f}** |

**{100 * ratio:.1f}%** of the run's time. The first call in a process took {first['all']:.2f} s, and importing
matplotlib, openpyxl and the report modules {imports:.2f} s more, which a run pays once. Sizes:
workbook.xlsx {sizes.get('workbook.xlsx', 0) / 1e6:.1f} MB, report.html {sizes.get('report.html', 0) / 1e6:.1f} MB.
{END}
"""

    publish(args, argv, "reports_speed.py", section, BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
