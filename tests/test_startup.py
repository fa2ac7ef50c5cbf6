"""Start-up: each command imports what it needs when it needs it (issue 11, "Speed and scale").

``caseflow --help``, ``caseflow --cfg job`` and the forecast command's module import no
scipy, matplotlib, openpyxl, Dask or rich; the run path (the model, the projections, the
tables) imports no scipy either, which is loaded only for the spread across replications.  The
queue trend test, which used scipy.stats.linregress, computes the same figures bit for bit.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from sim.stability import _least_squares, queue_trend

HEAVY = ("scipy", "matplotlib", "openpyxl", "dask", "distributed", "rich")


def _imported_after(code: str) -> set[str]:
    """Top-level packages imported by a fresh interpreter after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.parametrize("code", [
    "import sim.cli",
    "import sim.commands.run",
    "import sim.commands.run, sim.runner, sim.report, sim.forecast, sim.compare, sim.stability",
])
def test_start_up_imports_nothing_heavy(code):
    assert not set(HEAVY) & _imported_after(code)


def test_cfg_job_imports_nothing_heavy(tmp_path):
    code = ("import contextlib, io, sim.cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            "        sim.cli.main(['--cfg', 'job'])\n"
            "    except SystemExit as e:\n"
            "        assert not e.code, e.code\n")
    loaded = _imported_after(code)
    assert not set(HEAVY) & loaded
    assert "pandas" not in loaded and "simpy" not in loaded


def test_queue_trend_is_linregress_bit_for_bit():
    rng = np.random.default_rng(20220701)
    checked = 0
    for i in range(400):
        n = int(rng.integers(3, 400))
        days = np.arange(n, dtype=float)
        y = [rng.normal(70, 5, n), 100 + days * rng.uniform(-1, 1) + rng.normal(0, rng.uniform(0.01, 10), n),
             np.round(rng.uniform(0, 5) * rng.random(n)), np.cumsum(rng.normal(0, 1, n)) * 3][i % 4]
        if np.ptp(y) == 0:
            continue
        fit = stats.linregress(days, y)
        slope, intercept, _ = _least_squares(days, y)
        trend = queue_trend(y)
        assert (slope, intercept, trend.p_value) == (fit.slope, fit.intercept, float(fit.pvalue))
        assert trend.growth == float(fit.slope * n)
        assert trend.scatter == float(np.std(y - (fit.intercept + fit.slope * days)))
        checked += 1
    assert checked > 300
