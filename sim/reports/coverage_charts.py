"""Charts of a national validation or backtest: published against simulated, one point per council.

One chart per figure: the published value across, the simulated median up, each council a
point with its simulated 10-90% range as a vertical bar; a council whose published value lies
inside its range is drawn in blue, outside in vermillion (Okabe-Ito), and the line y = x marks
agreement.  Counts span two orders of magnitude between councils, so their axes are
logarithmic; percentages and caseloads are linear.  Built from the table alone
(``validation.csv`` or ``backtest.csv``), with ``matplotlib.figure.Figure`` (no pyplot).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .charts import DPI, OKABE_ITO

SIZE = (8.0, 7.0)
INSIDE, OUTSIDE = OKABE_ITO["blue"], OKABE_ITO["vermillion"]


def coverage_figure(rows: pd.DataFrame, title: str, unit: str):
    """The chart of one figure's rows (columns published, sim_p10, sim_p50, sim_p90, inside)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=DPI)
    ax = fig.add_subplot()
    r = rows.dropna(subset=["published", "sim_p50"])
    log = unit in ("count", "fte") and (r["published"] > 0).all() and (r["sim_p10"] > 0).all()
    for inside, colour, label in ((True, INSIDE, "published inside the 10–90% range"),
                                  (False, OUTSIDE, "published outside it")):
        part = r[r["inside"] == inside]
        if not len(part):
            continue
        low = (part["sim_p50"] - part["sim_p10"]).clip(lower=0)
        high = (part["sim_p90"] - part["sim_p50"]).clip(lower=0)
        ax.errorbar(part["published"], part["sim_p50"], yerr=[low, high], fmt="o", ms=3.5, color=colour,
                    ecolor=colour, elinewidth=0.8, alpha=0.8, label=f"{label} ({len(part)})")
    values = np.concatenate([r["published"].to_numpy(float), r["sim_p10"].to_numpy(float),
                             r["sim_p90"].to_numpy(float)])
    values = values[np.isfinite(values)]
    if len(values):
        lo, hi = float(values.min()), float(values.max())
        if log:
            lo, hi = lo / 1.2, hi * 1.2
            ax.set_xscale("log")
            ax.set_yscale("log")
        else:
            pad = 0.05 * (hi - lo or 1.0)
            lo, hi = lo - pad, hi + pad
        ax.plot([lo, hi], [lo, hi], color=OKABE_ITO["black"], lw=0.8, ls="--", label="simulated = published")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    inside = int(r["inside"].sum())
    ax.set_title(f"{title}\n{inside} of {len(r)} councils inside ({100 * inside / max(len(r), 1):.0f}%)",
                 fontsize=11)
    ax.set_xlabel("published")
    ax.set_ylabel("simulated median (bar: 10th to 90th percentile)")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(True, lw=0.3, alpha=0.5)
    fig.tight_layout()
    return fig


def coverage_charts(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``coverage_<figure>.png`` for every figure of ``table`` (and year, if it holds several):
    the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    several = table["year"].nunique() > 1
    for (year, key), rows in table.groupby(["year", "figure"], sort=False):
        label = rows["label"].iloc[0] if "label" in rows else key
        unit = rows["unit"].iloc[0] if "unit" in rows else ""
        period = rows["period"].iloc[0] if "period" in rows else str(year)
        fig = coverage_figure(rows, f"{label}, {period}", unit)
        path = out_dir / (f"coverage_{year}_{key}.png" if several else f"coverage_{key}.png")
        fig.savefig(path, dpi=DPI, metadata={"Software": None})
        written.append(path)
    return written
