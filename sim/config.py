"""Structured-config schemas for caseflow and the checks Hydra's types cannot express.

Hydra/OmegaConf enforce key names and types from these dataclasses; ``validate`` then checks
the meaning (rates positive, shares summing to one, dates in order).  Nothing else in ``sim/``
depends on OmegaConf: the CLI converts to these plain dataclasses at the edge.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Dict, List, Optional

PRIORITIES = ("red", "amber", "green")
TEAMS = ("mash", "assessment", "long_term")
WORKER_KINDS = ("permanent", "agency", "asye")
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
    count: int = 1
    kind: str = "permanent"
    fte: float = 1.0


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
class WorkforceConfig:
    mash: TeamConfig = field(default_factory=TeamConfig)
    assessment: TeamConfig = field(default_factory=TeamConfig)
    long_term: TeamConfig = field(default_factory=TeamConfig)


@dataclass
class ServiceConfig:
    name: str = "service"
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    mash: MashConfig = field(default_factory=MashConfig)
    casework: CaseworkConfig = field(default_factory=CaseworkConfig)
    workforce: WorkforceConfig = field(default_factory=WorkforceConfig)


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


def to_plain(obj):
    """A dataclass tree as plain dicts and lists (for manifests and YAML)."""
    if is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    return obj
