"""Every council at once: each council's calibrated service, run and projected, figure by figure.

``caseflow validate la=all`` and ``caseflow backtest`` run many councils' services (the presets
``service=la/<code>/<year>``, ``sim.inputs.presets``) side by side.  A job is one replication of
one council; it runs on a worker (local processes or Dask, ``sim.executors``), keeps its log in
memory only while it is projected, and sends back one small frame of published-form figures
(``sim.projections.published``).  So memory stays flat however many councils there are, and a
council's figures are on disk as soon as its last replication is back (a stopped run resumes
from them).

Deliberately free of Hydra and of the command line: it takes composed ``RunConfig``s.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import pandas as pd

from .config import RunConfig, parse_date

# The figures the calibration sets the service to reproduce, and the share of councils whose
# published value must lie inside the simulated 10-90% range (issue 11's bar).
TARGET_FIGURES = ("cin_at31", "cp_at31", "cla_at31", "awaiting_assessment", "rereferral_pct", "caseload_per_fte")
TARGET_COVERAGE = 0.70


@dataclass(frozen=True)
class CouncilJob:
    """One council's run: its code and name, and the composed configuration."""

    code: int
    name: str
    region: str
    cfg: RunConfig


def council_seed(seed: int, code: int) -> int:
    """The seed council ``code``'s replications run with in a run seeded ``seed``: its own, so
    that no two councils share random numbers (the same seed would give every council the same
    parameter draws and year-to-year drift in replication k, and their misses would move
    together), and the same whichever other councils run.  A 32-bit number, so that it survives a
    spreadsheet; ``caseflow validate year=<Y> la=<code> seed=<it>`` (one council runs with the
    seed as given) reruns one council alone."""
    return int(np.random.SeedSequence([int(seed), int(code)]).generate_state(1, np.uint32)[0])


def council_replication(cfg: RunConfig, code: int, replication: int, years: tuple[int, ...]) -> pd.DataFrame:
    """Simulate one replication of a council's service (with the council's own seed,
    ``council_seed``) and project the published figures of each DfE year in ``years``: one row
    per year, with ``la_code``, ``year`` and ``replication``."""
    from dataclasses import replace

    from .projections import events_frame
    from .projections.published import published_figures, reporting_year
    from .runner import replication_table

    table = replication_table(replace(cfg, seed=council_seed(cfg.seed, code)), replication)
    df = events_frame(table)
    del table
    start = parse_date("start_date", cfg.start_date)
    frames = []
    for year in years:
        f = published_figures(df, reporting_year(year, start)).copy()
        f.insert(0, "year", year)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "la_code", code)
    if "replication" not in out:
        out["replication"] = replication
    return out


def run_councils(jobs: Sequence[CouncilJob], years: tuple[int, ...], executor_cfg: RunConfig,
                 done: dict[int, pd.DataFrame], on_council: Callable[[int, pd.DataFrame], None],
                 progress: Optional[Callable[[], None]] = None) -> None:
    """Run every replication of every council not in ``done`` on ``executor_cfg``'s executor;
    ``on_council(code, frame)`` as each council's last replication comes back (in any order)."""
    from .executors import execute

    todo = [j for j in jobs if j.code not in done]
    parts: dict[int, list[pd.DataFrame]] = {j.code: [] for j in todo}
    wanted = {j.code: j.cfg.replications for j in todo}
    work = [(j.cfg, j.code, k, years) for j in todo for k in range(j.cfg.replications)]

    def keep(job: tuple, frame: pd.DataFrame) -> None:
        code = job[1]
        parts[code].append(frame)
        if progress:
            progress()
        if len(parts[code]) == wanted[code]:
            whole = pd.concat(parts.pop(code), ignore_index=True).sort_values(["year", "replication"])
            on_council(code, whole.reset_index(drop=True))

    execute(executor_cfg, council_replication, work, keep)


# --------------------------------------------------------------------------- the national table


def percentiles(x: np.ndarray) -> tuple[float, float, float]:
    """10th, 50th and 90th percentiles of the replications' values (NaN without any)."""
    x = x[~np.isnan(x)]
    if not len(x):
        return (np.nan, np.nan, np.nan)
    p10, p50, p90 = np.percentile(x, [10, 50, 90])
    return float(p10), float(p50), float(p90)


def figure_rows(per_rep: pd.DataFrame, published: dict[tuple[int, str], float | None], code: int,
                year: int, figures: Iterable[str]) -> list[dict]:
    """One row per figure with a published value: the published value beside the simulated 10th,
    50th and 90th percentiles across replications (the columns of ``validation.csv``)."""
    rows = []
    for key in figures:
        pub = published.get((year, key))
        if pub is None:
            continue
        x = per_rep[key].to_numpy(float) if key in per_rep else np.array([])
        p10, p50, p90 = percentiles(x)
        rows.append({"la_code": code, "year": year, "figure": key, "published": float(pub),
                     "sim_p10": p10, "sim_p50": p50, "sim_p90": p90,
                     "inside": bool(not np.isnan(p10) and p10 <= pub <= p90),
                     "replications_with_value": int((~np.isnan(x)).sum())})
    return rows


def nominal_coverage(n):
    """About the chance that one more draw from the replications' own distribution falls between
    the 10th and 90th percentiles of ``n`` replications (numpy's linear interpolation): the
    coverage a perfect model would reach, 0.8 (n - 1) / (n + 1), so about 72% with 20
    replications, not 80%.  (The k-th smallest of n draws sits at the k/(n+1) quantile on
    average; the two percentiles sit at ranks 1 + 0.1 (n - 1) and 1 + 0.9 (n - 1).  Between
    order statistics the interpolation holds a little more: 73% for 20, 65% for 8, 50% for 4 in
    simulation, tests/test_national.py.)"""
    n = np.asarray(n, float)
    return np.where(n >= 2, 0.8 * (n - 1) / (n + 1), np.nan)


def coverage(table: pd.DataFrame, targets: Sequence[str] = TARGET_FIGURES,
             target: float = TARGET_COVERAGE) -> pd.DataFrame:
    """Per figure (and year, if several): councils with a published value, how many inside the
    simulated 10-90% range and the share, the median of simulated median / published, and
    whether the figure is one the calibration targets (and then whether it meets ``target``)."""
    t = table.dropna(subset=["published"]).copy()
    t["ratio"] = np.where(t["published"] != 0, t["sim_p50"] / t["published"].where(t["published"] != 0), np.nan)
    t["below"] = t["published"] < t["sim_p10"]
    t["above"] = t["published"] > t["sim_p90"]
    keys = ["year", "figure"] if t["year"].nunique() > 1 else ["figure"]
    g = t.groupby(keys, sort=False)
    out = pd.DataFrame({
        "councils": g.size(),
        "inside": g["inside"].sum().astype(int),
        "published_below_range": g["below"].sum().astype(int),
        "published_above_range": g["above"].sum().astype(int),
        "median_ratio": g["ratio"].median(),
    }).reset_index()
    out["coverage_pct"] = 100.0 * out["inside"] / out["councils"]
    n = g["replications_with_value"].median().to_numpy(float) if "replications_with_value" in t else np.nan
    out["nominal_pct"] = 100.0 * nominal_coverage(n)
    out["target_figure"] = out["figure"].isin(targets)
    out["meets_target"] = np.where(out["target_figure"], out["coverage_pct"] >= 100 * target, np.nan)
    cols = [*keys, "councils", "inside", "coverage_pct", "nominal_pct", "published_below_range", "published_above_range",
            "median_ratio", "target_figure", "meets_target"]
    from .projections.published import FIGURE_KEYS

    order = {k: i for i, k in enumerate(FIGURE_KEYS)}
    out["_order"] = out["figure"].map(lambda k: order.get(k, len(order)))
    return out.sort_values([*keys[:-1], "_order"], kind="stable")[cols].reset_index(drop=True)


def worst_misses(table: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The councils whose simulated medians are furthest from the published values, by the
    median over figures of |log(simulated / published)| (counts and percentages alike)."""
    t = table[(table["published"] > 0) & (table["sim_p50"] > 0)].copy()
    t["log_error"] = np.abs(np.log(t["sim_p50"] / t["published"]))
    g = t.groupby("la_code")
    out = pd.DataFrame({"figures": g.size(), "inside": g["inside"].sum().astype(int),
                        "median_abs_log_error": g["log_error"].median(),
                        "worst_figure": g.apply(lambda x: x.loc[x["log_error"].idxmax(), "figure"],
                                                include_groups=False)}).reset_index()
    return out.sort_values("median_abs_log_error", ascending=False).head(n).reset_index(drop=True)


def read_done(folder: Path) -> dict[int, pd.DataFrame]:
    """The councils' per-replication figures already written in a work folder (a resumed run)."""
    out = {}
    for path in sorted(folder.glob("*.csv")):
        if path.stem.isdigit():
            out[int(path.stem)] = pd.read_csv(path)
    return out


def write_council(folder: Path, code: int, frame: pd.DataFrame) -> None:
    """A council's per-replication figures, written whole (beside, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{code}.csv.tmp"
    frame.to_csv(tmp, index=False)
    tmp.replace(folder / f"{code}.csv")
