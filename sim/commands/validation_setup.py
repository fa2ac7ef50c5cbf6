"""What a validation runs and compares, for one DfE year: the run's settings (the year's dates,
at least 12 months' warm-up, 20 replications unless given) and the published value behind each
simulated figure, with its label, unit and period.  Shared by ``caseflow validate`` for one
council (``sim.commands.validate``) and for many (``sim.commands.validate_all``)."""
from __future__ import annotations

from .. import kpis
from ..config import RunConfig
from ..inputs import InputError
from ..inputs.compose import Composed, compose_job
from ..inputs.errors import shown
from ..inputs.overrides import parse_setting

DEFAULT_REPLICATIONS = 20
MIN_WARMUP_MONTHS = 12   # re-referrals look back 12 months
IMPOSED = ("start_date", "end_date")
COLUMNS = ["la_code", "year", "figure", "published", "sim_p10", "sim_p50", "sim_p90", "inside", "in_sample"]
EXTRA = ["label", "unit", "period", "ratio", "replications_with_value"]
# Published figures that validate compares with one simulated figure: key -> the published keys summed.
COMBINED = kpis.COMBINED  # published figures validate compares as one sum (the registry's)
PERIODS = {"year_to_31_march": "year to 31 March {y}", "at_31_march": "at 31 March {y}",
           "at_30_september": "at 30 September {y}", "year_to_30_september": "year to 30 September {y}"}


def published_years() -> list[int]:
    """The DfE years (to 31 March) of the children's tables."""
    from ..reference.published import years

    return years("referrals")


def compose_validation(year: int, overrides: list[str]) -> tuple[Composed, list[str]]:
    """The run validate makes: the user's settings, the year's dates, at least 12 months' warm-up
    and 20 replications unless given.  Also the notes on what it imposed, for people."""
    keys = {parse_setting(o).key for o in overrides}
    dates = [f"start_date={year - 1}-04-01", f"end_date={year}-10-01"]
    extra = [] if "replications" in keys else [f"replications={DEFAULT_REPLICATIONS}"]
    job = compose_job([*overrides, *dates, *extra])
    notes = []
    if job.cfg.warmup_months < MIN_WARMUP_MONTHS:
        notes.append(f"warm-up raised from {job.cfg.warmup_months} to {MIN_WARMUP_MONTHS} months: re-referrals look "
                     "back 12 months")
        kept = [o for o in overrides if parse_setting(o).key != "warmup_months"]
        job = compose_job([*kept, *dates, *extra, f"warmup_months={MIN_WARMUP_MONTHS}"])
    return job, notes


def council_of(cfg: RunConfig) -> tuple[int, str]:
    """The council's DfE code and name, from ``service.la_code``."""
    from ..reference.published import councils, find_council

    code = cfg.service.la_code
    if code is None:
        raise InputError("Config key 'service.la_code' is not set: caseflow validate needs the council's DfE code, "
                         "e.g. service.la_code=892 for Nottingham")
    try:
        found = find_council(str(code))
    except InputError:
        raise InputError(f"Config key 'service.la_code' is {shown(code)}, which is no council in the DfE tables: "
                         "give the council's three-digit code, e.g. service.la_code=892 for Nottingham") from None
    table = councils()
    return found, str(table.loc[table["old_la_code"] == found, "la_name"].iloc[0])


def published_values(la_code: int, year: int) -> dict[str, float | None]:
    """The published value behind each simulated figure (``None``: not published, suppressed)."""
    from ..projections.published import FIGURE_KEYS
    from ..reference.published import published

    values = published(la_code, year)
    out: dict[str, float | None] = {}
    for key in FIGURE_KEYS:
        if key in COMBINED:
            parts = [values.get(k) for k in COMBINED[key]]
            out[key] = None if any(p is None for p in parts) else float(sum(parts))
        else:
            out[key] = values.get(key)
    return out


# ---------------------------------------------------------------- the table


def figure_info(key: str, year: int) -> tuple[str, str, str]:
    """(label, unit, period) of a figure, for people."""
    from ..reference.published import FIGURES

    fig = FIGURES[COMBINED[key][0]] if key in COMBINED else FIGURES[key]
    return kpis.published_figures()[key].label, fig.unit, PERIODS[fig.period].format(y=year)


def in_sample(cfg: RunConfig, key: str, year: int) -> bool:
    """The figure was a calibration input: listed in ``service.calibration.figures`` (itself or, for
    a combined figure, one of its parts) and calibrated on year Y or Y-1."""
    cal = cfg.service.calibration
    return (cal.year in (year, year - 1)) and any(k in cal.figures for k in (key, *COMBINED.get(key, ())))
