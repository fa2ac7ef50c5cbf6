"""Structured-config schemas for caseflow and the checks Hydra's types cannot express.

Hydra/OmegaConf enforce key names and types from these dataclasses; ``validate`` then checks
the meaning (rates positive, shares summing to one, dates in order).  Nothing else in ``sim/``
depends on OmegaConf: the CLI converts to these plain dataclasses at the edge.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass, field, fields, is_dataclass
from typing import List, Optional

PRIORITIES = ("red", "amber", "green")
TEAMS = ("mash", "assessment", "long_term")
TEAM_LABELS = {"mash": "MASH", "assessment": "assessment", "long_term": "long-term"}  # for people (reports)
WORKER_KINDS = ("permanent", "agency", "asye")
FUNDING_TYPES = ("permanent", "temporary", "agency")
EXECUTORS = ("serial", "processes", "dask")
FUNDING_ACTIONS = ("add_posts", "end_temporary_posts", "convert_to_permanent", "retention_package")
DIST_KINDS = ("fixed", "exponential", "lognormal", "gamma", "empirical")
DIST_UNITS = ("working_days", "days")


class ConfigError(ValueError):
    """A configuration value that the model cannot run with; ``str()`` is one plain sentence.

    ``key`` is written as the command line writes it (``service.funding.0.count``); ``where``
    optionally says which file and line set it (``"In scenario file x.yaml, line 3, column 5: "``).
    """

    def __init__(self, key: str, problem: str, where: str = ""):
        self.key = key
        self.problem = problem
        self.where = where
        super().__init__(f"{where}Config key '{key}' {problem}.")


@dataclass
class Dist:
    """One distribution spec for every stage time.

    kind: fixed (value) | exponential (mean) | lognormal (mean, sd) | gamma (mean, sd)
          | empirical (edges, counts: a histogram, sampled uniformly within the chosen bin).
    unit: working_days (advance on the working-day clock) or days (calendar days).
    """

    kind: str = "fixed"
    value: Optional[float] = None
    mean: Optional[float] = None
    sd: Optional[float] = None
    edges: Optional[List[float]] = None
    counts: Optional[List[float]] = None
    unit: str = "working_days"


@dataclass
class PriorityShares:
    red: float = 0.0
    amber: float = 0.0
    green: float = 0.0


@dataclass
class SourceShares:
    police: float = 0.29
    schools: float = 0.18
    health: float = 0.15
    council: float = 0.14
    individuals: float = 0.08
    other: float = 0.16


@dataclass
class MashOutcomeShares:
    no_further_action: float = 0.0
    early_help: float = 0.0
    referral: float = 0.0


@dataclass
class MashOutcomesByPriority:
    red: MashOutcomeShares = field(default_factory=MashOutcomeShares)
    amber: MashOutcomeShares = field(default_factory=MashOutcomeShares)
    green: MashOutcomeShares = field(default_factory=MashOutcomeShares)


@dataclass
class AssessmentOutcomeShares:
    close: float = 0.0
    cin: float = 0.0
    cp: float = 0.0
    lac: float = 0.0


@dataclass
class AssessmentOutcomesByRoute:
    s47: AssessmentOutcomeShares = field(default_factory=AssessmentOutcomeShares)
    other: AssessmentOutcomeShares = field(default_factory=AssessmentOutcomeShares)


@dataclass
class PlanDurations:
    cin: Dist = field(default_factory=Dist)
    cp: Dist = field(default_factory=Dist)
    lac: Dist = field(default_factory=Dist)


@dataclass
class CalendarConfig:
    weekends_off: bool = True
    bank_holidays: bool = True


@dataclass
class DemandConfig:
    contacts_per_year: float = 16500.0
    # Jan..Dec multipliers of the average working-day rate.
    month_factors: List[float] = field(default_factory=lambda: [1.0] * 12)
    late_december_factor: float = 1.0
    priority: PriorityShares = field(default_factory=PriorityShares)
    source: SourceShares = field(default_factory=SourceShares)
    # A steady trend in new children's contacts, a fraction a year: the rate is multiplied by
    # (1 + annual_trend) ** (years since start_date), before and after it (caseflow backtest
    # trend=fitted; docs/decisions/0029).  0 (the default): no trend.
    annual_trend: float = 0.0


@dataclass
class MashConfig:
    screening: Dist = field(default_factory=Dist)
    consent_share: PriorityShares = field(default_factory=PriorityShares)
    consent_delay: Dist = field(default_factory=Dist)
    outcomes: MashOutcomesByPriority = field(default_factory=MashOutcomesByPriority)
    s47_share: PriorityShares = field(default_factory=PriorityShares)


@dataclass
class ConferenceOutcomeShares:
    """What an initial child protection conference decides."""

    cp: float = 1.0
    cin: float = 0.0
    close: float = 0.0


@dataclass
class PlanEndingShares:
    """What follows when a plan ends: the case closes, or another plan starts."""

    close: float = 1.0
    cin: float = 0.0
    cp: float = 0.0
    lac: float = 0.0


@dataclass
class PlanEndings:
    cin: PlanEndingShares = field(default_factory=PlanEndingShares)
    cp: PlanEndingShares = field(default_factory=PlanEndingShares)


@dataclass
class CaseWeights:
    """What one case counts towards its worker's caseload cap (caps count weighted load)."""

    assessment: float = 1.0
    assessment_s47: float = 1.0
    cin: float = 1.0
    cp: float = 1.0
    lac: float = 1.0


@dataclass
class CaseworkConfig:
    visit_delay_s47: Dist = field(default_factory=Dist)
    visit_delay: Dist = field(default_factory=Dist)
    # The assessment's length, timed from when a worker first holds the case (not from the
    # referral): a late allocation delays the completion (docs/decisions/0021).
    assessment_duration: Dist = field(default_factory=Dist)
    min_assessment_after_visit: Dist = field(default_factory=Dist)
    # From an accepted referral to the assessment team's queue (a manager's allocation meeting,
    # triage): with the wait for a worker with room, it sets the children awaiting assessment at
    # 31 March.  Fixed 0 (the default): straight to the queue.
    allocation_delay: Dist = field(default_factory=lambda: Dist(kind="fixed", value=0.0, unit="days"))
    assessment_outcomes: AssessmentOutcomesByRoute = field(default_factory=AssessmentOutcomesByRoute)
    # s47 assessments of a child who has had a CP plan before (null: as any s47 assessment).
    s47_after_cp: Optional[AssessmentOutcomeShares] = None
    conference_delay: Dist = field(default_factory=Dist)
    conference_outcomes: ConferenceOutcomeShares = field(default_factory=ConferenceOutcomeShares)
    plan_duration: PlanDurations = field(default_factory=PlanDurations)
    plan_endings: PlanEndings = field(default_factory=PlanEndings)
    case_weights: CaseWeights = field(default_factory=CaseWeights)
    # Share of CIN plans started after an assessment or conference that are held outside the
    # social work teams (by family practitioners): no social worker's caseload (decision 0024).
    cin_held_outside: float = 0.0
    opening_stock: bool = True


@dataclass
class ReturnRoute:
    """Children who leave one way: the share who come back as a new contact, and at what priority."""

    share: float = 0.0
    priority: Optional[PriorityShares] = None  # null: the demand's priority mix


@dataclass
class ReturnRoutes:
    no_further_action: ReturnRoute = field(default_factory=ReturnRoute)  # MASH: no further action
    early_help: ReturnRoute = field(default_factory=ReturnRoute)         # MASH: stepped down to early help
    closed: ReturnRoute = field(default_factory=ReturnRoute)             # closed at assessment or conference
    plan_ended: ReturnRoute = field(default_factory=ReturnRoute)         # closed after a CIN or looked-after plan
    cp_plan_ended: ReturnRoute = field(default_factory=ReturnRoute)      # closed after a CP plan


@dataclass
class ReturnsConfig:
    """Children who come back to the front door after a case ended (re-referrals, repeat contacts)."""

    delay: Dist = field(default_factory=lambda: Dist(kind="exponential", mean=180.0, unit="days"))
    routes: ReturnRoutes = field(default_factory=ReturnRoutes)


@dataclass
class WorkerGroup:
    """``count`` posts of one funding type, each filled at the start by a worker of ``kind``."""

    count: int = 1
    kind: str = "permanent"
    fte: float = 1.0
    funding: str = "permanent"        # permanent | temporary | agency (how the post is paid for)
    fill_with: Optional[str] = None   # kind recruited when the post falls vacant (default: kind)
    until: Optional[str] = None       # temporary/agency posts: the last day their funding pays for


@dataclass
class CaseloadCaps:
    permanent: float = 18.0
    agency: float = 18.0
    asye: float = 12.0


@dataclass
class OverCap:
    """Allocation above the cap when a child has waited long: after ``after_working_days`` in the
    queue, the child goes to the worker least over their cap, if that is under cap + ``allowance``
    (weighted load).  Off (null) by default; an assumption where set (docs/decisions/0022)."""

    after_working_days: Optional[float] = None
    allowance: float = 0.0


@dataclass
class TeamConfig:
    groups: List[WorkerGroup] = field(default_factory=list)
    caseload_cap: CaseloadCaps = field(default_factory=CaseloadCaps)
    over_cap: OverCap = field(default_factory=OverCap)


@dataclass
class ByKind:
    """One number per kind of worker."""

    permanent: float = 0.0
    agency: float = 0.0
    asye: float = 0.0


@dataclass
class TurnoverConfig:
    annual_rate: ByKind = field(default_factory=ByKind)   # leavers per worker-year, by kind
    notice_days: ByKind = field(default_factory=ByKind)   # calendar days between notice and leaving
    # Assumption, no published elasticity: each unit of "pressure" (the caseload a worker would
    # hold if the team's waiting children were shared out, over their cap, minus 1) adds this
    # much to the leaving rate's multiplier.  0 switches the link off.
    caseload_elasticity: float = 0.0
    review_days: float = 30.0  # how often pressure is re-read (only when the elasticity is on)
    # Assumption, no published figure: an employed worker in a post with an end date resigns
    # at a rate multiplied by a factor rising from 1 to this over the last ``fixed_term_months``
    # months before the end (one step a month).  1 switches it off.
    fixed_term_multiplier: float = 1.0
    fixed_term_months: int = 6


@dataclass
class ByRoute:
    """One number per recruitment route."""

    permanent: float = 0.0
    agency: float = 0.0


@dataclass
class RecruitmentConfig:
    permanent: Dist = field(default_factory=lambda: Dist(kind="fixed", value=0.0, unit="days"))
    agency: Dist = field(default_factory=lambda: Dist(kind="fixed", value=0.0, unit="days"))
    asye_share: float = 0.0            # share of permanent hires who are newly qualified (ASYE)
    agency_cover: bool = False         # cover a vacant post with agency while recruiting permanently
    ramp_up_days: float = 0.0          # new starters' reduced-cap period
    ramp_up_cap_share: float = 1.0     # their cap as a share of the full cap meanwhile
    asye_days: float = 365.0           # the ASYE year, after which the worker's cap is the permanent one
    stop_before_end_days: float = 0.0  # no recruitment into a post whose money ends sooner than this
    # The market (assumptions, docs/decisions/0018-recruitment-market.md); the defaults switch it off.
    round_failure: ByRoute = field(default_factory=ByRoute)  # chance a round ends with nobody hired
    # Posts vacant at the start at the steady-state share their turnover and lags imply (each
    # recruiting from the start), rather than every post filled (docs/decisions/0025).
    opening_vacancies: bool = False
    vacancy_lag_elasticity: float = 0.0  # permanent lag x (1 + this x share of the team's posts vacant)
    agency_per_month: Optional[int] = None  # agency workers obtainable a calendar month, service-wide; null: no limit


@dataclass
class SicknessConfig:
    absence_share: float = 0.0   # share of working time absent
    mean_spell_days: float = 5.0  # mean length of an absence spell (calendar days)


@dataclass
class ReallocationConfig:
    """Changes of social worker besides a worker leaving (each an assumption; docs/decisions/0023)."""

    manage_per_year: float = 0.0          # long-term cases moved to another worker (MANAGE), per case-year
    absence_cover_after_days: float = 0.0  # a worker absent longer than this has their cases covered (0: never)
    handover_days: float = 0.0            # a leaver hands their cases over this many days before going (within notice)
    transfer_on_plan_change: float = 0.0  # probability a change of plan moves the child to another worker


@dataclass
class WorkforceConfig:
    mash: TeamConfig = field(default_factory=TeamConfig)
    assessment: TeamConfig = field(default_factory=TeamConfig)
    long_term: TeamConfig = field(default_factory=TeamConfig)
    turnover: TurnoverConfig = field(default_factory=TurnoverConfig)
    recruitment: RecruitmentConfig = field(default_factory=RecruitmentConfig)
    sickness: SicknessConfig = field(default_factory=SicknessConfig)
    reallocation: ReallocationConfig = field(default_factory=ReallocationConfig)
    annual_cost_per_fte: ByKind = field(default_factory=ByKind)


@dataclass
class FundingAction:
    """A dated change to posts or pay, from a scenario's funding schedule.

    add_posts: ``count`` new ``funding`` posts in ``team`` (with ``until``, the last funded day,
        they close at the end of that day), recruited with ``fill_with`` workers
        (permanent | agency | asye).
    end_temporary_posts: the temporary posts of ``team`` (all teams if unset) end now.
    convert_to_permanent: the temporary posts of ``team`` (all if unset) become permanent.
    retention_package: from ``date`` to the end of ``until`` every employed worker's (not agency)
        leaving rate is multiplied by ``turnover_multiplier``; the package costs ``cost`` in
        total, spread over its days.
    """

    date: str = ""
    action: str = ""
    team: Optional[str] = None
    count: int = 0
    funding: str = "temporary"
    fill_with: str = "permanent"
    fte: float = 1.0
    until: Optional[str] = None
    turnover_multiplier: float = 1.0
    cost: float = 0.0
    name: str = ""


@dataclass
class CalibrationInfo:
    """Which published figures the service's values were taken from (``caseflow validate``
    marks a figure ``in_sample`` when it is listed here for the year checked or the year before)."""

    year: Optional[int] = None            # the DfE year (to 31 March) the values were taken from
    figures: List[str] = field(default_factory=list)  # figure keys (docs/validation.md)


@dataclass
class UncertaintyConfig:
    """Relative standard errors (coefficients of variation) of parameters estimated from published
    counts, drawn per replication when ``parameter_draws`` is on (``sim.uncertainty``, decision
    0030); 0: not drawn."""

    contacts_per_year: float = 0.0   # demand.contacts_per_year
    cin_plan_length: float = 0.0     # casework.plan_duration.cin, stretched
    cp_plan_length: float = 0.0      # casework.plan_duration.cp
    lac_plan_length: float = 0.0     # casework.plan_duration.lac
    allocation_delay: float = 0.0    # casework.allocation_delay
    returns: float = 0.0             # returns.routes' shares but cp_plan_ended's
    cp_returns: float = 0.0          # returns.routes.cp_plan_ended.share
    turnover: float = 0.0            # workforce.turnover.annual_rate of permanent and newly qualified staff


@dataclass
class DriftConfig:
    """Year-to-year change drawn per replication when ``parameter_draws`` is on (``sim.drift``,
    decision 0032): each is the standard deviation of one year's change in the log of a rate, a
    random walk from ``start_date`` stepped each anniversary; 0: held as configured.  Nothing is
    drawn in the warm-up.  ``caseflow backtest`` sets them from councils' published changes."""

    contacts: float = 0.0             # demand: every day's contact rate
    in_need: float = 0.0              # the shares of assessments ending in a CIN, CP or looked-after start
    in_need_pass_through: float = 1.0  # a change in contacts' log carries this much into children in need
    cp: float = 0.0                   # the shares of assessments going to a CP conference, on top
    lac: float = 0.0                  # the shares of assessments ending looked after, on top


@dataclass
class ServiceConfig:
    name: str = "service"
    la_code: Optional[int] = None   # the council's DfE code (old_la_code; 892 = Nottingham), for validate
    calibration: CalibrationInfo = field(default_factory=CalibrationInfo)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    mash: MashConfig = field(default_factory=MashConfig)
    casework: CaseworkConfig = field(default_factory=CaseworkConfig)
    returns: ReturnsConfig = field(default_factory=ReturnsConfig)
    workforce: WorkforceConfig = field(default_factory=WorkforceConfig)
    funding: List[FundingAction] = field(default_factory=list)
    uncertainty: UncertaintyConfig = field(default_factory=lambda: UncertaintyConfig())
    drift: DriftConfig = field(default_factory=lambda: DriftConfig())


@dataclass
class ScenarioInfo:
    name: str = "default"
    description: str = ""


@dataclass
class RunConfig:
    """The whole run: top-level keys are part of caseflow's public interface."""

    seed: int = 20220701
    replications: int = 1
    horizon_months: int = 12
    start_date: str = "2023-04-01"
    end_date: Optional[str] = None
    warmup_months: int = 12
    results_dir: str = "results"
    write_events: bool = True
    executor: str = "processes"   # serial | processes (local processes) | dask (a Dask cluster)
    workers: int = 0              # processes (or local Dask workers) to use; 0 = every core
    scheduler: Optional[str] = None  # executor=dask: scheduler address; null = start a local cluster
    flush_events: int = 100_000   # events held in memory per replication before flushing to Parquet
    # The N of the "% children seen within N working days of referral / of contact" figures.
    seen_within_working_days: List[int] = field(default_factory=lambda: [1, 5, 10])
    report: bool = True           # write the workbook, charts and HTML report into the output folder
    # Each replication draws the parameters its service lists under service.uncertainty (decision 0030).
    parameter_draws: bool = True
    # A folder holding the council's SSD extract: the run starts from its open cases, queues and
    # roster on start_date (the extract's date unless given), with no warm-up (docs/extracts.md).
    # Given on the command line only.
    start_from: Optional[str] = None
    scenario: ScenarioInfo = field(default_factory=ScenarioInfo)
    service: ServiceConfig = field(default_factory=ServiceConfig)


# ---------------------------------------------------------------- dates


def parse_date(key: str, text: str) -> dt.date:
    """A date written YYYY-MM-DD between ``FIRST_DATE`` and ``LAST_DATE`` (``ConfigError`` otherwise)."""
    shown = str(text)[:40]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(text)):
        raise ConfigError(key, f"is '{shown}' but must be a date written YYYY-MM-DD, e.g. 2023-04-01")
    try:
        day = dt.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(key, f"is '{shown}', which is not a date in the calendar (YYYY-MM-DD)") from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ConfigError(key, f"is {shown} but must lie between {FIRST_DATE} and {LAST_DATE}")
    return day


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later (clipped to the month's last day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = (nxt - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def horizon_end(cfg: RunConfig) -> dt.date:
    """Last simulated instant as a date (exclusive): ``end_date`` if set, else start + horizon."""
    start = parse_date("start_date", cfg.start_date)
    if cfg.end_date:
        return parse_date("end_date", cfg.end_date)
    return add_months(start, cfg.horizon_months)


# ---------------------------------------------------------------- limits

# Bounds that keep every run finite in time and memory (docs/configuration.md#limits).  They
# are far above any council's figures: Nottingham has about 16,500 contacts a year and about
# 130 front-door posts.
FIRST_DATE = dt.date(1990, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
MAX_SEED = 2**63 - 1
MAX_REPLICATIONS = 10_000
MAX_HORIZON_MONTHS = 600               # 50 years
MAX_WARMUP_MONTHS = 120
MAX_CONTACTS_PER_YEAR = 1_000_000
MAX_CONTACTS_PER_REPLICATION = 2_000_000   # expected, warm-up included (projecting one takes a few GB)
MAX_CONTACTS_PER_RUN = 500_000_000         # replications x contacts: some hours on one core
MAX_POSTS = 5_000                      # posts at the start plus every post a funding schedule adds
MAX_FUNDING_ACTIONS = 500
MAX_DAYS = 36_525                      # any duration, lag, notice or distribution parameter: 100 years
MAX_BINS = 1_000                       # bins of an empirical distribution
MAX_COUNT = 1e12                       # the weight of one bin
MIN_MEAN_DAYS = 1e-6                   # a distribution's mean (about 0.1 seconds)
MAX_CV = 100.0                         # a lognormal or gamma distribution's sd over its mean
MAX_CASELOAD_CAP = 500
MAX_FLUSH_EVENTS = 5_000_000
MAX_WORKERS_PER_CORE = 4
MAX_COST = 1e9                         # pounds (a year per FTE, or a package in total)
MAX_PARAMETER_CV = 1.0   # service.uncertainty: a relative error above 1 says the count behind it is too small to use
DRIFT_HIGH_Z = 3.09                    # the 99.9th percentile of a standard normal
MAX_DRIFT_FACTOR = 20.0                # a drawn drift factor is held within [1/20, 20] (sim.drift)
MAX_DRIFT = 1.0                        # service.drift: a year's change in a log rate, at most 1 (a factor of e) per sd
MAX_ANNUAL_TREND = 0.5                 # service.demand.annual_trend: at most 50% a year either way
MAX_FACTOR = 100.0                     # seasonality factors, turnover multipliers
MAX_ROUND_FAILURE = 0.99               # chance a recruitment round fails (at 1 a post is never filled)
MAX_FIXED_TERM_MONTHS = 120            # months before a post's end date over which leaving rises
MAX_TEXT = 10_000                      # characters of a description
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"   # scenario and service names: names, never paths
NAME_RULE = "letters, digits, '_' and '-' (at most 64, not starting with '_' or '-')"


# ---------------------------------------------------------------- validation


def _finite(x) -> bool:
    return x is not None and not isinstance(x, bool) and math.isfinite(x)


def _number(key: str, v, low: float, high: float, low_open: bool = False, what: str = "a number") -> None:
    """``low <= v <= high`` (``low < v`` if ``low_open``), else a ``ConfigError`` saying so."""
    if _finite(v) and (v > low if low_open else v >= low) and v <= high:
        return
    above = f"above {_plain(low)}" if low_open else f"at least {_plain(low)}"
    raise ConfigError(key, f"is {v} but must be {what} {above} and at most {_plain(high)}")


def _plain(x: float) -> str:
    """A bound as people write it: 1,000,000 rather than 1e+06."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,}"


def _whole(key: str, v, low: int, high: int) -> None:
    if isinstance(v, int) and not isinstance(v, bool) and low <= v <= high:
        return
    shown = str(v) if len(str(v)) <= 40 else str(v)[:39] + "…"
    raise ConfigError(key, f"is {shown} but must be a whole number from {low:,} to {high:,}")


def _check_dist(key: str, d: Dist) -> None:
    if d.kind not in DIST_KINDS:
        raise ConfigError(f"{key}.kind", f"is '{d.kind}' but must be one of {', '.join(DIST_KINDS)}")
    if d.unit not in DIST_UNITS:
        raise ConfigError(f"{key}.unit", f"is '{d.unit}' but must be one of {', '.join(DIST_UNITS)}")
    for name in ("value", "mean", "sd"):  # bounded even where this kind does not use them
        if getattr(d, name) is not None:
            _number(f"{key}.{name}", getattr(d, name), 0, MAX_DAYS)
    if d.kind == "fixed":
        if d.value is None:
            raise ConfigError(f"{key}.value", "must be set to a number of at least 0 for a fixed distribution")
    elif d.kind == "exponential":
        if d.mean is None:
            raise ConfigError(f"{key}.mean", "must be set to a finite number above 0 for an exponential distribution")
        _number(f"{key}.mean", d.mean, MIN_MEAN_DAYS, MAX_DAYS)
    elif d.kind in ("lognormal", "gamma"):
        for name in ("mean", "sd"):
            if getattr(d, name) is None:
                raise ConfigError(f"{key}.{name}", f"must be set to a finite number above 0 for a {d.kind} distribution")
        _number(f"{key}.mean", d.mean, MIN_MEAN_DAYS, MAX_DAYS)
        _number(f"{key}.sd", d.sd, 0, MAX_DAYS, low_open=True)
        if d.sd > MAX_CV * d.mean:  # beyond this the shape parameters under- or overflow
            raise ConfigError(f"{key}.sd", f"is {d.sd:g}, more than {MAX_CV:g} times the mean ({d.mean:g}), which no "
                                           f"{d.kind} distribution of caseflow's can represent")
    else:  # empirical
        if not d.edges or not d.counts or len(d.edges) != len(d.counts) + 1:
            raise ConfigError(f"{key}.edges", "must list one more bin edge than there are counts")
        if len(d.counts) > MAX_BINS:
            raise ConfigError(f"{key}.counts", f"has {len(d.counts):,} bins but may have at most {MAX_BINS:,}")
        if (not all(map(_finite, d.edges)) or any(b <= a for a, b in zip(d.edges, d.edges[1:]))
                or d.edges[0] < 0 or d.edges[-1] > MAX_DAYS):
            raise ConfigError(f"{key}.edges", f"must be increasing, start at 0 or above and end at most {MAX_DAYS:,}")
        if any(not _finite(c) or not 0 <= c <= MAX_COUNT for c in d.counts) or sum(d.counts) <= 0:
            raise ConfigError(f"{key}.counts", f"must be from 0 to {_plain(MAX_COUNT)} each, with a positive total")


def _check_shares(key: str, obj, must_sum_to_one: bool = True) -> None:
    values = {f.name: getattr(obj, f.name) for f in fields(obj)}
    for name, v in values.items():
        if not (_finite(v) and 0.0 <= v <= 1.0):
            raise ConfigError(f"{key}.{name}", f"is {v} but a probability must lie between 0 and 1")
    if must_sum_to_one and abs(sum(values.values()) - 1.0) > 1e-6:
        total = round(sum(values.values()), 6)
        raise ConfigError(key, f"has probabilities summing to {total} but they must sum to 1")


def _check_team(key: str, team: TeamConfig, holds_cases: bool = True) -> None:
    for i, g in enumerate(team.groups):
        _whole(f"{key}.groups.{i}.count", g.count, 0, MAX_POSTS)
        if g.kind not in WORKER_KINDS:
            raise ConfigError(f"{key}.groups.{i}.kind", f"is '{g.kind}' but must be one of {', '.join(WORKER_KINDS)}")
        if not (_finite(g.fte) and 0 < g.fte <= 1):
            raise ConfigError(f"{key}.groups.{i}.fte", f"is {g.fte} but must be above 0 and at most 1")
        if g.funding not in FUNDING_TYPES:
            raise ConfigError(f"{key}.groups.{i}.funding", f"is '{g.funding}' but must be one of {', '.join(FUNDING_TYPES)}")
        if g.fill_with is not None and g.fill_with not in WORKER_KINDS:
            raise ConfigError(f"{key}.groups.{i}.fill_with", f"is '{g.fill_with}' but must be one of {', '.join(WORKER_KINDS)}")
        if g.funding == "temporary" and g.until is None:
            raise ConfigError(f"{key}.groups.{i}.until", "must give the date temporary funding ends")
        if g.until is not None:
            parse_date(f"{key}.groups.{i}.until", g.until)
    for f in fields(team.caseload_cap):
        cap = getattr(team.caseload_cap, f.name)
        if holds_cases:
            _number(f"{key}.caseload_cap.{f.name}", cap, 1, MAX_CASELOAD_CAP)
    caps = team.caseload_cap
    if holds_cases and caps.asye > caps.permanent:
        # Newly qualified workers' caseloads are protected (lower); a higher ASYE cap would fall
        # below what the worker holds at the end of the ASYE year.
        raise ConfigError(f"{key}.caseload_cap.asye", f"is {caps.asye:g}, above the permanent cap {caps.permanent:g}: "
                                                       "a newly qualified worker's cap may be at most the permanent one")
    if sum(g.count for g in team.groups) == 0:
        raise ConfigError(f"{key}.groups", "must hold at least one worker")
    if team.over_cap.after_working_days is not None:
        _number(f"{key}.over_cap.after_working_days", team.over_cap.after_working_days, 0, MAX_DAYS)
    _number(f"{key}.over_cap.allowance", team.over_cap.allowance, 0, MAX_CASELOAD_CAP)


def _check_name(key: str, value: str) -> None:
    if not (isinstance(value, str) and re.fullmatch(NAME_PATTERN, value)):
        raise ConfigError(key, f"is '{str(value)[:40]}' but a name may hold only {NAME_RULE}")


def _check_run(cfg: RunConfig) -> None:
    """The run settings: counts, dates and where the run goes."""
    _whole("seed", cfg.seed, 0, MAX_SEED)
    _whole("replications", cfg.replications, 1, MAX_REPLICATIONS)
    _whole("horizon_months", cfg.horizon_months, 1, MAX_HORIZON_MONTHS)
    _whole("warmup_months", cfg.warmup_months, 0, MAX_WARMUP_MONTHS)
    if cfg.executor not in EXECUTORS:
        raise ConfigError("executor", f"is '{cfg.executor}' but must be one of {', '.join(EXECUTORS)}")
    cores = os.cpu_count() or 1
    _whole("workers", cfg.workers, 0, max(4, MAX_WORKERS_PER_CORE * cores))
    if cfg.scheduler is not None and cfg.executor != "dask":
        raise ConfigError("scheduler", f"is set ({cfg.scheduler}) but is used only with executor=dask")
    if cfg.scheduler is not None and not re.fullmatch(r"[a-z]+://[^\s/]+(:\d+)?/?", str(cfg.scheduler)):
        raise ConfigError("scheduler", f"is '{str(cfg.scheduler)[:60]}' but must be a Dask scheduler address such as "
                                       "tcp://10.0.0.5:8786")
    _whole("flush_events", cfg.flush_events, 1000, MAX_FLUSH_EVENTS)
    ns = cfg.seen_within_working_days
    if (not 1 <= len(ns) <= 10 or any(isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 999 for n in ns)
            or list(ns) != sorted(set(ns))):
        raise ConfigError("seen_within_working_days", "must list 1 to 10 whole numbers of working days from 1 to 999, "
                                                      "smallest first, each once, e.g. [1,5,10]")
    if not str(cfg.results_dir).strip():
        raise ConfigError("results_dir", "is empty but must name a folder for the outputs, e.g. results_dir=results")
    _check_name("scenario.name", cfg.scenario.name)
    if len(cfg.scenario.description) > MAX_TEXT:
        raise ConfigError("scenario.description", f"is {len(cfg.scenario.description):,} characters long but may be "
                                                  f"at most {MAX_TEXT:,}")
    start = parse_date("start_date", cfg.start_date)
    if cfg.start_from is not None and cfg.warmup_months:
        raise ConfigError("warmup_months", f"is {cfg.warmup_months} but must be 0 with start_from: the records are the "
                                           "state the run starts from")
    if cfg.end_date is not None:
        if parse_date("end_date", cfg.end_date) <= start:
            raise ConfigError("end_date", f"is {cfg.end_date}, which is not after start_date {cfg.start_date}")
        if parse_date("end_date", cfg.end_date) > add_months(start, MAX_HORIZON_MONTHS):
            raise ConfigError("end_date", f"is {cfg.end_date}, more than {MAX_HORIZON_MONTHS} months after start_date")
    elif add_months(start, cfg.horizon_months) > LAST_DATE:
        raise ConfigError("horizon_months", f"is {cfg.horizon_months}, which from start_date {cfg.start_date} ends "
                                            f"after {LAST_DATE}")


def simulated_years(cfg: RunConfig) -> float:
    """Years one replication simulates, warm-up included."""
    start = parse_date("start_date", cfg.start_date)
    return ((horizon_end(cfg) - start).days / 365.25) + cfg.warmup_months / 12


def validate(cfg: RunConfig) -> None:
    """Raise ``ConfigError`` naming the first key whose value the model cannot run with."""
    _check_run(cfg)
    s = cfg.service
    _check_name("service.name", s.name)
    if s.la_code is not None:
        _whole("service.la_code", s.la_code, 100, 999)
    if s.calibration.year is not None:
        _whole("service.calibration.year", s.calibration.year, 2000, 2100)
    if len(s.calibration.figures) > 200 or any(not re.fullmatch(r"[a-z0-9_]{1,64}", str(f)) for f in s.calibration.figures):
        raise ConfigError("service.calibration.figures", "must list at most 200 figure keys such as referrals or cp_at31")
    for f in fields(UncertaintyConfig):
        _number(f"service.uncertainty.{f.name}", getattr(s.uncertainty, f.name), 0, MAX_PARAMETER_CV)
    for f in fields(DriftConfig):
        if f.name == "in_need_pass_through":
            _number("service.drift.in_need_pass_through", s.drift.in_need_pass_through, -1, 2)
        else:
            _number(f"service.drift.{f.name}", getattr(s.drift, f.name), 0, MAX_DRIFT)
    d = s.demand
    _number("service.demand.contacts_per_year", d.contacts_per_year, 0, MAX_CONTACTS_PER_YEAR, low_open=True)
    expected = d.contacts_per_year * simulated_years(cfg)
    if s.drift.contacts and cfg.parameter_draws:
        # A replication drawing a high walk (1 in 1,000) must still fit: drift runs the horizon's years.
        years = max(1.0, simulated_years(cfg) - cfg.warmup_months / 12)
        high = min(MAX_DRIFT_FACTOR, math.exp(DRIFT_HIGH_Z * s.drift.contacts * math.sqrt(years)))
        if expected * high > MAX_CONTACTS_PER_REPLICATION:
            raise ConfigError("service.drift.contacts",
                              f"is {s.drift.contacts:g}, which over {years:.1f} years lets one replication in a "
                              f"thousand draw {high:.1f} times the contacts, about {expected * high:,.0f}, more than "
                              f"the {MAX_CONTACTS_PER_REPLICATION:,} allowed; lower it or shorten the horizon")
    if expected > MAX_CONTACTS_PER_REPLICATION:
        raise ConfigError("service.demand.contacts_per_year",
                          f"is {d.contacts_per_year:,g}, which over {simulated_years(cfg):.1f} simulated years (warm-up "
                          f"included) is about {expected:,.0f} contacts per replication, more than the "
                          f"{MAX_CONTACTS_PER_REPLICATION:,} allowed; shorten the horizon or lower the volume")
    if expected * cfg.replications > MAX_CONTACTS_PER_RUN:
        raise ConfigError("replications", f"is {cfg.replications:,}, which at about {expected:,.0f} contacts each is "
                                          f"more than the {MAX_CONTACTS_PER_RUN:,} contacts a run may simulate")
    if (len(d.month_factors) != 12 or any(not (_finite(f) and 0 <= f <= MAX_FACTOR) for f in d.month_factors)
            or sum(d.month_factors) <= 0):
        raise ConfigError("service.demand.month_factors",
                          f"must list 12 monthly factors from 0 to {MAX_FACTOR:g}, January first, not all 0")
    _number("service.demand.late_december_factor", d.late_december_factor, 0, MAX_FACTOR)
    _number("service.demand.annual_trend", d.annual_trend, -MAX_ANNUAL_TREND, MAX_ANNUAL_TREND)
    _check_shares("service.demand.priority", d.priority)
    _check_shares("service.demand.source", d.source)
    m = s.mash
    _check_dist("service.mash.screening", m.screening)
    _check_dist("service.mash.consent_delay", m.consent_delay)
    _check_shares("service.mash.consent_share", m.consent_share, must_sum_to_one=False)
    _check_shares("service.mash.s47_share", m.s47_share, must_sum_to_one=False)
    for p in PRIORITIES:
        _check_shares(f"service.mash.outcomes.{p}", getattr(m.outcomes, p))
    c = s.casework
    for name in ("visit_delay_s47", "visit_delay", "assessment_duration", "min_assessment_after_visit",
                 "allocation_delay", "conference_delay"):
        _check_dist(f"service.casework.{name}", getattr(c, name))
    for route in ("s47", "other"):
        _check_shares(f"service.casework.assessment_outcomes.{route}", getattr(c.assessment_outcomes, route))
    if c.s47_after_cp is not None:
        _check_shares("service.casework.s47_after_cp", c.s47_after_cp)
    _check_shares("service.casework.conference_outcomes", c.conference_outcomes)
    for plan in ("cin", "cp", "lac"):
        _check_dist(f"service.casework.plan_duration.{plan}", getattr(c.plan_duration, plan))
    for plan in ("cin", "cp"):
        ending = getattr(c.plan_endings, plan)
        _check_shares(f"service.casework.plan_endings.{plan}", ending)
        if getattr(ending, plan) > 0:
            raise ConfigError(f"service.casework.plan_endings.{plan}.{plan}", "must be 0: a plan ending is followed by "
                                                                             "a different plan or by closure")
    for f in fields(c.case_weights):
        _number(f"service.casework.case_weights.{f.name}", getattr(c.case_weights, f.name), 0.1, 10)
    _number("service.casework.cin_held_outside", c.cin_held_outside, 0, 1)
    _check_returns("service.returns", s.returns)
    for team in TEAMS:  # MASH screeners hold no caseload: their caps are not used
        _check_team(f"service.workforce.{team}", getattr(s.workforce, team), holds_cases=team != "mash")
    _check_dynamics("service.workforce", s.workforce)
    if len(s.funding) > MAX_FUNDING_ACTIONS:
        raise ConfigError("service.funding", f"has {len(s.funding):,} actions but may have at most {MAX_FUNDING_ACTIONS}")
    start = parse_date("start_date", cfg.start_date)
    for i, action in enumerate(s.funding):
        _check_action(f"service.funding.{i}", action, start)
    _check_packages_together(s.funding)
    posts = sum(g.count for team in TEAMS for g in getattr(s.workforce, team).groups)
    posts += sum(a.count for a in s.funding if a.action == "add_posts")
    if posts > MAX_POSTS:
        raise ConfigError("service.workforce", f"has {posts:,} posts (with those the funding schedule adds) but may "
                                               f"have at most {MAX_POSTS:,}")


MAX_RETURN_SHARE = 0.95  # of the children leaving one way; above it returns would multiply without end


def _check_returns(key: str, r: ReturnsConfig) -> None:
    _check_dist(f"{key}.delay", r.delay)
    for f in fields(r.routes):
        route = getattr(r.routes, f.name)
        _number(f"{key}.routes.{f.name}.share", route.share, 0, MAX_RETURN_SHARE)
        if route.priority is not None:
            _check_shares(f"{key}.routes.{f.name}.priority", route.priority)


def _check_reallocation(key: str, r: ReallocationConfig) -> None:
    _number(f"{key}.manage_per_year", r.manage_per_year, 0, 52)
    _number(f"{key}.absence_cover_after_days", r.absence_cover_after_days, 0, MAX_DAYS)
    _number(f"{key}.handover_days", r.handover_days, 0, MAX_DAYS)
    _number(f"{key}.transfer_on_plan_change", r.transfer_on_plan_change, 0, 1)


def _check_by_kind(key: str, values: ByKind, upper: float) -> None:
    for f in fields(values):
        _number(f"{key}.{f.name}", getattr(values, f.name), 0, upper)


def _check_dynamics(key: str, wf: WorkforceConfig) -> None:
    _check_by_kind(f"{key}.turnover.annual_rate", wf.turnover.annual_rate, upper=10)
    _check_by_kind(f"{key}.turnover.notice_days", wf.turnover.notice_days, upper=MAX_DAYS)
    _check_by_kind(f"{key}.annual_cost_per_fte", wf.annual_cost_per_fte, upper=MAX_COST)
    t = wf.turnover
    _number(f"{key}.turnover.caseload_elasticity", t.caseload_elasticity, 0, MAX_FACTOR)
    _number(f"{key}.turnover.review_days", t.review_days, 1, MAX_DAYS)
    _number(f"{key}.turnover.fixed_term_multiplier", t.fixed_term_multiplier, 0, MAX_FACTOR)
    _whole(f"{key}.turnover.fixed_term_months", t.fixed_term_months, 1, MAX_FIXED_TERM_MONTHS)
    r = wf.recruitment
    for name in ("permanent", "agency"):
        _check_dist(f"{key}.recruitment.{name}", getattr(r, name))
    for name in ("asye_share", "ramp_up_cap_share"):
        v = getattr(r, name)
        if not (_finite(v) and 0 <= v <= 1):
            raise ConfigError(f"{key}.recruitment.{name}", f"is {v} but must lie between 0 and 1")
    for name in ("ramp_up_days", "asye_days", "stop_before_end_days"):
        _number(f"{key}.recruitment.{name}", getattr(r, name), 0, MAX_DAYS)
    for name in ("permanent", "agency"):
        v = getattr(r.round_failure, name)
        if not (_finite(v) and 0 <= v <= MAX_ROUND_FAILURE):
            raise ConfigError(f"{key}.recruitment.round_failure.{name}",
                              f"is {v} but must lie between 0 and {MAX_ROUND_FAILURE} (at 1 no round would ever succeed)")
    _number(f"{key}.recruitment.vacancy_lag_elasticity", r.vacancy_lag_elasticity, 0, MAX_FACTOR)
    if r.agency_per_month is not None:
        v = r.agency_per_month
        if not (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_POSTS):
            raise ConfigError(f"{key}.recruitment.agency_per_month",
                              f"is {v} but must be a whole number from 1 to {MAX_POSTS:,}, or null for no limit")
    _check_reallocation(f"{key}.reallocation", wf.reallocation)
    sk = wf.sickness
    if not (_finite(sk.absence_share) and 0 <= sk.absence_share < 0.5):
        raise ConfigError(f"{key}.sickness.absence_share", f"is {sk.absence_share} but must be at least 0 and below 0.5")
    _number(f"{key}.sickness.mean_spell_days", sk.mean_spell_days, 1, MAX_DAYS)


def _check_packages_together(funding: list[FundingAction]) -> None:
    """Retention packages that overlap multiply each other: their product is bounded like one."""
    packages = [(parse_date("", a.date), parse_date("", a.until), a.turnover_multiplier)
                for a in funding if a.action == "retention_package"]
    for day, _, _ in packages:  # the product is largest on some package's first day
        product = math.prod(m for first, last, m in packages if first <= day <= last)
        if product > MAX_FACTOR:
            raise ConfigError("service.funding", f"has retention packages in force together on {day} whose "
                                                 f"turnover multipliers multiply to {product:g}, more than {MAX_FACTOR:g}")


def _check_action(key: str, a: FundingAction, start: dt.date) -> None:
    if a.action not in FUNDING_ACTIONS:
        raise ConfigError(f"{key}.action", f"is '{a.action}' but must be one of {', '.join(FUNDING_ACTIONS)}")
    when = parse_date(f"{key}.date", a.date)
    if a.team is not None and a.team not in TEAMS:
        raise ConfigError(f"{key}.team", f"is '{a.team}' but must be one of {', '.join(TEAMS)}")
    until = parse_date(f"{key}.until", a.until) if a.until is not None else None
    if until is not None and until <= when:
        raise ConfigError(f"{key}.until", f"is {a.until}, which is not after its date {a.date}")
    if len(a.name) > 200:
        raise ConfigError(f"{key}.name", "may be at most 200 characters")
    if a.action == "add_posts":
        if a.team is None:
            raise ConfigError(f"{key}.team", "must name the team the posts are added to")
        _whole(f"{key}.count", a.count, 1, MAX_POSTS)
        if a.funding not in FUNDING_TYPES:
            raise ConfigError(f"{key}.funding", f"is '{a.funding}' but must be one of {', '.join(FUNDING_TYPES)}")
        if a.fill_with not in WORKER_KINDS:
            raise ConfigError(f"{key}.fill_with", f"is '{a.fill_with}' but must be one of {', '.join(WORKER_KINDS)}")
        if a.funding == "temporary" and until is None:
            raise ConfigError(f"{key}.until", "must give the date the temporary posts' funding ends")
        if not (_finite(a.fte) and 0 < a.fte <= 1):
            raise ConfigError(f"{key}.fte", f"is {a.fte} but must be above 0 and at most 1")
    if a.action == "retention_package":
        if until is None:
            raise ConfigError(f"{key}.until", "must give the date the retention package ends")
        _number(f"{key}.turnover_multiplier", a.turnover_multiplier, 0, MAX_FACTOR)
        _number(f"{key}.cost", a.cost, 0, MAX_COST)


def to_plain(obj):
    """A dataclass tree as plain dicts and lists (for manifests and YAML)."""
    if is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    return obj
