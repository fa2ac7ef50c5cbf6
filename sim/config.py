"""Structured-config schemas for caseflow and the checks Hydra's types cannot express.

Hydra/OmegaConf enforce key names and types from these dataclasses; ``validate`` then checks
the meaning (rates positive, shares summing to one, dates in order).  Nothing else in ``sim/``
depends on OmegaConf: the CLI converts to these plain dataclasses at the edge.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, fields, is_dataclass
from typing import List, Optional

PRIORITIES = ("red", "amber", "green")
TEAMS = ("mash", "assessment", "long_term")
WORKER_KINDS = ("permanent", "agency", "asye")
FUNDING_TYPES = ("permanent", "temporary", "agency")
EXECUTORS = ("serial", "processes", "dask")
FUNDING_ACTIONS = ("add_posts", "end_temporary_posts", "convert_to_permanent", "retention_package")
DIST_KINDS = ("fixed", "exponential", "lognormal", "gamma", "empirical")
DIST_UNITS = ("working_days", "days")


class ConfigError(ValueError):
    """A configuration value that the model cannot run with; ``str()`` is one plain sentence."""

    def __init__(self, key: str, problem: str):
        self.key = key
        self.problem = problem
        super().__init__(f"Config key '{key}' {problem}.")


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


@dataclass
class MashConfig:
    screening: Dist = field(default_factory=Dist)
    consent_share: PriorityShares = field(default_factory=PriorityShares)
    consent_delay: Dist = field(default_factory=Dist)
    outcomes: MashOutcomesByPriority = field(default_factory=MashOutcomesByPriority)
    s47_share: PriorityShares = field(default_factory=PriorityShares)


@dataclass
class CaseworkConfig:
    visit_delay_s47: Dist = field(default_factory=Dist)
    visit_delay: Dist = field(default_factory=Dist)
    assessment_duration: Dist = field(default_factory=Dist)
    min_assessment_after_visit: Dist = field(default_factory=Dist)
    assessment_outcomes: AssessmentOutcomesByRoute = field(default_factory=AssessmentOutcomesByRoute)
    conference_delay: Dist = field(default_factory=Dist)
    plan_duration: PlanDurations = field(default_factory=PlanDurations)
    opening_stock: bool = True


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
class TeamConfig:
    groups: List[WorkerGroup] = field(default_factory=list)
    caseload_cap: CaseloadCaps = field(default_factory=CaseloadCaps)


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


@dataclass
class SicknessConfig:
    absence_share: float = 0.0   # share of working time absent
    mean_spell_days: float = 5.0  # mean length of an absence spell (calendar days)


@dataclass
class WorkforceConfig:
    mash: TeamConfig = field(default_factory=TeamConfig)
    assessment: TeamConfig = field(default_factory=TeamConfig)
    long_term: TeamConfig = field(default_factory=TeamConfig)
    turnover: TurnoverConfig = field(default_factory=TurnoverConfig)
    recruitment: RecruitmentConfig = field(default_factory=RecruitmentConfig)
    sickness: SicknessConfig = field(default_factory=SicknessConfig)
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
class ServiceConfig:
    name: str = "service"
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    mash: MashConfig = field(default_factory=MashConfig)
    casework: CaseworkConfig = field(default_factory=CaseworkConfig)
    workforce: WorkforceConfig = field(default_factory=WorkforceConfig)
    funding: List[FundingAction] = field(default_factory=list)


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
    warmup_months: int = 3
    results_dir: str = "results"
    write_events: bool = True
    executor: str = "processes"   # serial | processes (local processes) | dask (a Dask cluster)
    workers: int = 0              # processes (or local Dask workers) to use; 0 = every core
    scheduler: Optional[str] = None  # executor=dask: scheduler address; null = start a local cluster
    flush_events: int = 100_000   # events held in memory per replication before flushing to Parquet
    scenario: ScenarioInfo = field(default_factory=ScenarioInfo)
    service: ServiceConfig = field(default_factory=ServiceConfig)


# ---------------------------------------------------------------- dates


def parse_date(key: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(key, f"must be a date written YYYY-MM-DD, not '{text}'") from None


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


# ---------------------------------------------------------------- validation


def _finite(x) -> bool:
    return x is not None and math.isfinite(x)


def _check_dist(key: str, d: Dist) -> None:
    if d.kind not in DIST_KINDS:
        raise ConfigError(f"{key}.kind", f"is '{d.kind}' but must be one of {', '.join(DIST_KINDS)}")
    if d.unit not in DIST_UNITS:
        raise ConfigError(f"{key}.unit", f"is '{d.unit}' but must be one of {', '.join(DIST_UNITS)}")
    if d.kind == "fixed":
        if not _finite(d.value) or d.value < 0:
            raise ConfigError(f"{key}.value", "must be set to a number of at least 0 for a fixed distribution")
    elif d.kind == "exponential":
        if not _finite(d.mean) or not d.mean > 0:
            raise ConfigError(f"{key}.mean", "must be set to a finite number above 0 for an exponential distribution")
    elif d.kind in ("lognormal", "gamma"):
        if not _finite(d.mean) or not d.mean > 0:
            raise ConfigError(f"{key}.mean", f"must be set to a finite number above 0 for a {d.kind} distribution")
        if not _finite(d.sd) or not d.sd > 0:
            raise ConfigError(f"{key}.sd", f"must be set to a finite number above 0 for a {d.kind} distribution")
    else:  # empirical
        if not d.edges or not d.counts or len(d.edges) != len(d.counts) + 1:
            raise ConfigError(f"{key}.edges", "must list one more bin edge than there are counts")
        if any(b <= a for a, b in zip(d.edges, d.edges[1:])) or d.edges[0] < 0 or not all(map(_finite, d.edges)):
            raise ConfigError(f"{key}.edges", "must be increasing and start at 0 or above")
        if any(not _finite(c) or c < 0 for c in d.counts) or sum(d.counts) <= 0:
            raise ConfigError(f"{key}.counts", "must be non-negative with a positive total")


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
        if g.count < 0:
            raise ConfigError(f"{key}.groups[{i}].count", f"is {g.count} but must be 0 or more")
        if g.kind not in WORKER_KINDS:
            raise ConfigError(f"{key}.groups[{i}].kind", f"is '{g.kind}' but must be one of {', '.join(WORKER_KINDS)}")
        if not (_finite(g.fte) and 0 < g.fte <= 1):
            raise ConfigError(f"{key}.groups[{i}].fte", f"is {g.fte} but must be above 0 and at most 1")
        if g.funding not in FUNDING_TYPES:
            raise ConfigError(f"{key}.groups[{i}].funding", f"is '{g.funding}' but must be one of {', '.join(FUNDING_TYPES)}")
        if g.fill_with is not None and g.fill_with not in WORKER_KINDS:
            raise ConfigError(f"{key}.groups[{i}].fill_with", f"is '{g.fill_with}' but must be one of {', '.join(WORKER_KINDS)}")
        if g.funding == "temporary" and g.until is None:
            raise ConfigError(f"{key}.groups[{i}].until", "must give the date temporary funding ends")
        if g.until is not None:
            parse_date(f"{key}.groups[{i}].until", g.until)
    for f in fields(team.caseload_cap):
        cap = getattr(team.caseload_cap, f.name)
        if holds_cases and not (_finite(cap) and cap >= 1):
            raise ConfigError(f"{key}.caseload_cap.{f.name}", f"is {cap} but must be a number of at least 1")
    if sum(g.count for g in team.groups) == 0:
        raise ConfigError(f"{key}.groups", "must hold at least one worker")


def validate(cfg: RunConfig) -> None:
    """Raise ``ConfigError`` naming the first key whose value the model cannot run with."""
    if cfg.replications < 1:
        raise ConfigError("replications", f"is {cfg.replications} but must be at least 1")
    if cfg.horizon_months < 1:
        raise ConfigError("horizon_months", f"is {cfg.horizon_months} but must be at least 1")
    if cfg.warmup_months < 0:
        raise ConfigError("warmup_months", f"is {cfg.warmup_months} but must be 0 or more")
    if cfg.seed < 0:
        raise ConfigError("seed", f"is {cfg.seed} but must be 0 or more")
    if cfg.executor not in EXECUTORS:
        raise ConfigError("executor", f"is '{cfg.executor}' but must be one of {', '.join(EXECUTORS)}")
    if cfg.workers < 0:
        raise ConfigError("workers", f"is {cfg.workers} but must be 0 (every core) or more")
    if cfg.scheduler is not None and cfg.executor != "dask":
        raise ConfigError("scheduler", f"is set ({cfg.scheduler}) but is used only with executor=dask")
    if cfg.scheduler is not None and not re.fullmatch(r"[a-z]+://[^\s/]+(:\d+)?/?", str(cfg.scheduler)):
        raise ConfigError("scheduler", f"is '{cfg.scheduler}' but must be a Dask scheduler address such as tcp://10.0.0.5:8786")
    if cfg.flush_events < 1000:
        raise ConfigError("flush_events", f"is {cfg.flush_events} but must be at least 1000")
    start = parse_date("start_date", cfg.start_date)
    if cfg.end_date is not None and parse_date("end_date", cfg.end_date) <= start:
        raise ConfigError("end_date", f"is {cfg.end_date}, which is not after start_date {cfg.start_date}")
    s = cfg.service
    d = s.demand
    if not (_finite(d.contacts_per_year) and d.contacts_per_year > 0):
        raise ConfigError("service.demand.contacts_per_year", f"is {d.contacts_per_year} but must be above 0")
    if len(d.month_factors) != 12 or any(not (_finite(f) and f >= 0) for f in d.month_factors) or sum(d.month_factors) <= 0:
        raise ConfigError("service.demand.month_factors", "must list 12 non-negative monthly factors, January first")
    if not (_finite(d.late_december_factor) and d.late_december_factor >= 0):
        raise ConfigError("service.demand.late_december_factor", "must be a number of 0 or more")
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
    for name in ("visit_delay_s47", "visit_delay", "assessment_duration", "min_assessment_after_visit", "conference_delay"):
        _check_dist(f"service.casework.{name}", getattr(c, name))
    for route in ("s47", "other"):
        _check_shares(f"service.casework.assessment_outcomes.{route}", getattr(c.assessment_outcomes, route))
    for plan in ("cin", "cp", "lac"):
        _check_dist(f"service.casework.plan_duration.{plan}", getattr(c.plan_duration, plan))
    for team in TEAMS:  # MASH screeners hold no caseload: their caps are not used
        _check_team(f"service.workforce.{team}", getattr(s.workforce, team), holds_cases=team != "mash")
    _check_dynamics("service.workforce", s.workforce)
    for i, action in enumerate(s.funding):
        _check_action(f"service.funding[{i}]", action, start)


def _check_by_kind(key: str, values: ByKind, upper: float | None = None) -> None:
    for f in fields(values):
        v = getattr(values, f.name)
        if not (_finite(v) and v >= 0 and (upper is None or v <= upper)):
            limit = f" and at most {upper}" if upper is not None else ""
            raise ConfigError(f"{key}.{f.name}", f"is {v} but must be a number of 0 or more{limit}")


def _check_dynamics(key: str, wf: WorkforceConfig) -> None:
    _check_by_kind(f"{key}.turnover.annual_rate", wf.turnover.annual_rate, upper=10)
    _check_by_kind(f"{key}.turnover.notice_days", wf.turnover.notice_days)
    _check_by_kind(f"{key}.annual_cost_per_fte", wf.annual_cost_per_fte)
    t = wf.turnover
    if not (_finite(t.caseload_elasticity) and t.caseload_elasticity >= 0):
        raise ConfigError(f"{key}.turnover.caseload_elasticity", "must be a number of 0 or more")
    if not (_finite(t.review_days) and t.review_days > 0):
        raise ConfigError(f"{key}.turnover.review_days", "must be a number above 0")
    r = wf.recruitment
    for name in ("permanent", "agency"):
        _check_dist(f"{key}.recruitment.{name}", getattr(r, name))
    for name in ("asye_share", "ramp_up_cap_share"):
        v = getattr(r, name)
        if not (_finite(v) and 0 <= v <= 1):
            raise ConfigError(f"{key}.recruitment.{name}", f"is {v} but must lie between 0 and 1")
    for name in ("ramp_up_days", "asye_days", "stop_before_end_days"):
        v = getattr(r, name)
        if not (_finite(v) and v >= 0):
            raise ConfigError(f"{key}.recruitment.{name}", f"is {v} but must be 0 or more")
    sk = wf.sickness
    if not (_finite(sk.absence_share) and 0 <= sk.absence_share < 0.5):
        raise ConfigError(f"{key}.sickness.absence_share", f"is {sk.absence_share} but must be at least 0 and below 0.5")
    if not (_finite(sk.mean_spell_days) and sk.mean_spell_days > 0):
        raise ConfigError(f"{key}.sickness.mean_spell_days", "must be a number above 0")


def _check_action(key: str, a: FundingAction, start: dt.date) -> None:
    if a.action not in FUNDING_ACTIONS:
        raise ConfigError(f"{key}.action", f"is '{a.action}' but must be one of {', '.join(FUNDING_ACTIONS)}")
    when = parse_date(f"{key}.date", a.date)
    if a.team is not None and a.team not in TEAMS:
        raise ConfigError(f"{key}.team", f"is '{a.team}' but must be one of {', '.join(TEAMS)}")
    until = parse_date(f"{key}.until", a.until) if a.until is not None else None
    if until is not None and until <= when:
        raise ConfigError(f"{key}.until", f"is {a.until}, which is not after its date {a.date}")
    if a.action == "add_posts":
        if a.team is None:
            raise ConfigError(f"{key}.team", "must name the team the posts are added to")
        if a.count < 1:
            raise ConfigError(f"{key}.count", f"is {a.count} but must be at least 1")
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
        if not (_finite(a.turnover_multiplier) and a.turnover_multiplier >= 0):
            raise ConfigError(f"{key}.turnover_multiplier", "must be a number of 0 or more")
        if not (_finite(a.cost) and a.cost >= 0):
            raise ConfigError(f"{key}.cost", "must be a number of 0 or more")


def to_plain(obj):
    """A dataclass tree as plain dicts and lists (for manifests and YAML)."""
    if is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    return obj
