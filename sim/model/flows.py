"""Expected flows through the service, from its parameters alone (no simulation).

Used where the model must know a rate before it has run: how many contacts come from children
new to the front door (the rest are children coming back), how many plans start a day, and how
many children are due back, so that the simulation can start from the state it would be in
after years of running (``Casework.open_stock``, ``FrontDoor.open_returns``).  Everything here
is the steady state of the routing probabilities; the simulation itself draws every path.

A child's history matters in one way: a child who has had a child protection plan is assessed
with ``casework.s47_after_cp`` and, when a later case closes after a plan, leaves by
``cp_plan_ended``.  So flows are tracked by (way out, has had a CP plan).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import PriorityShares, RunConfig

PRIORITIES = ("red", "amber", "green")
PLANS = ("cin", "cp", "lac")
EXITS = ("no_further_action", "early_help", "closed", "plan_ended", "cp_plan_ended")
STATES = tuple((k, h) for k in EXITS for h in (False, True))  # (way out, had a CP plan by then)


@dataclass(frozen=True)
class Routing:
    """Per contact: expected plan starts (by plan, and the part for children who had CP before
    the plan started) and exits by (way out, had a CP plan)."""

    plan_starts: dict[str, float]
    after_cp: dict[str, float]
    exits: dict[tuple[str, bool], float]
    first_cin: float = 0.0    # CIN plans started straight after an assessment or conference


def _mix(shares: PriorityShares) -> dict[str, float]:
    return {p: getattr(shares, p) for p in PRIORITIES}


def routing(cfg: RunConfig, mix: dict[str, float], had_cp: bool = False) -> Routing:
    """Expected plan starts and exits per contact whose priority is drawn from ``mix``."""
    s = cfg.service
    cw = s.casework
    conf = cw.conference_outcomes
    s47_outcomes = (cw.s47_after_cp or cw.assessment_outcomes.s47) if had_cp else cw.assessment_outcomes.s47
    exits = dict.fromkeys(STATES, 0.0)
    # Plan states: cin0/cp0/lac0 for children with no CP plan before the plan started, cin1/cp1/lac1 after one.
    names = ["cin0", "cin1", "cp0", "cp1", "lac0", "lac1"]
    direct = dict.fromkeys(names, 0.0)
    h = "1" if had_cp else "0"
    for p, share in mix.items():
        o = getattr(s.mash.outcomes, p)
        exits[("no_further_action", had_cp)] += share * o.no_further_action
        exits[("early_help", had_cp)] += share * o.early_help
        s47 = getattr(s.mash.s47_share, p)
        for a, w in ((s47_outcomes, s47), (cw.assessment_outcomes.other, 1 - s47)):
            n = share * o.referral * w
            direct["cin" + h] += n * (a.cin + a.cp * conf.cin)
            direct["cp" + h] += n * a.cp * conf.cp
            direct["lac" + h] += n * a.lac
            exits[("closed", had_cp)] += n * (a.close + a.cp * conf.close)
    e_cin, e_cp = cw.plan_endings.cin, cw.plan_endings.cp
    # starts x = direct + T x, with T[to, from] the share of plans ending into another plan.
    i = {n: k for k, n in enumerate(names)}
    t = np.zeros((len(names), len(names)))
    for k in "01":
        t[i["cp" + k], i["cin" + k]] = e_cin.cp
        t[i["lac" + k], i["cin" + k]] = e_cin.lac
        t[i["cin1"], i["cp" + k]] = e_cp.cin
        t[i["lac1"], i["cp" + k]] = e_cp.lac
    x = dict(zip(names, np.linalg.solve(np.eye(len(names)) - t, [direct[n] for n in names]).tolist()))
    exits[("plan_ended", False)] += x["cin0"] * e_cin.close + x["lac0"]
    exits[("cp_plan_ended", True)] += (x["cin1"] * e_cin.close + x["lac1"]
                                       + (x["cp0"] + x["cp1"]) * e_cp.close)
    starts = {"cin": x["cin0"] + x["cin1"], "cp": x["cp0"] + x["cp1"], "lac": x["lac0"] + x["lac1"]}
    # The part of each plan's starts for children who had a CP plan before it began.
    after = {"cin": x["cin1"], "cp": x["cp1"], "lac": x["lac1"]}
    return Routing(starts, after, exits, direct["cin0"] + direct["cin1"])


def return_mixes(cfg: RunConfig) -> dict[str, dict[str, float]]:
    """The priority mix of the contacts of children coming back, by the way they left."""
    r = cfg.service.returns.routes
    demand = _mix(cfg.service.demand.priority)
    return {k: (_mix(getattr(r, k).priority) if getattr(r, k).priority is not None else demand) for k in EXITS}


def contact_rates(cfg: RunConfig) -> tuple[float, dict[tuple[str, bool], float]]:
    """Contacts a year from new children, and from children coming back by each (way out, had CP).

    ``contacts_per_year`` counts every contact.  Children coming back from state j make
    R_j = share_j x (exits_j of new children + sum_i exits_j of the contacts R_i); this solves
    that linear system and scales new children so the total is ``contacts_per_year``.
    """
    total = cfg.service.demand.contacts_per_year
    share = np.array([getattr(cfg.service.returns.routes, k).share for k, _ in STATES])
    if not share.any():
        return total, dict.fromkeys(STATES, 0.0)
    new = routing(cfg, _mix(cfg.service.demand.priority)).exits
    mixes = return_mixes(cfg)
    routed = {(kj, hj): routing(cfg, mixes[kj], hj).exits for kj, hj in STATES}  # once per state
    p = np.array([[routed[state][si] for state in STATES] for si in STATES])
    per_new = np.linalg.solve(np.eye(len(STATES)) - share[:, None] * p, share * np.array([new[k] for k in STATES]))
    n = total / (1.0 + per_new.sum())
    return float(n), {k: float(n * v) for k, v in zip(STATES, per_new)}


def expected_plan_starts_per_day(cfg: RunConfig) -> dict[str, tuple[float, float]]:
    """Plan starts per calendar day, and the share of them for children who had a CP plan before."""
    new, returning = contact_rates(cfg)
    first = routing(cfg, _mix(cfg.service.demand.priority))
    starts = {k: v * new / 365.0 for k, v in first.plan_starts.items()}
    after = {k: v * new / 365.0 for k, v in first.after_cp.items()}
    mixes = return_mixes(cfg)
    for (k, h), per_year in returning.items():
        r = routing(cfg, mixes[k], h)
        for plan in PLANS:
            starts[plan] += r.plan_starts[plan] * per_year / 365.0
            after[plan] += r.after_cp[plan] * per_year / 365.0
    return {p: (starts[p], after[p] / starts[p] if starts[p] > 0 else 0.0) for p in PLANS}


def expected_referrals_per_day(cfg: RunConfig) -> dict[str, float]:
    """Referrals a calendar day by priority, from new children and children coming back."""
    new, returning = contact_rates(cfg)
    mixes = return_mixes(cfg)
    outcomes = cfg.service.mash.outcomes
    out = dict.fromkeys(PRIORITIES, 0.0)
    sources = [(new, _mix(cfg.service.demand.priority))] + [(v, mixes[k]) for (k, _), v in returning.items()]
    for per_year, mix in sources:
        for p in PRIORITIES:
            out[p] += per_year / 365.0 * mix[p] * getattr(outcomes, p).referral
    return out


def referral_sources(cfg: RunConfig) -> tuple[float, float]:
    """Referrals a calendar day from children new to the front door, and from children coming
    back (after any earlier contact): the steady state of the routing above."""
    new, returning = contact_rates(cfg)
    mixes = return_mixes(cfg)
    outcomes = cfg.service.mash.outcomes

    def referred(mix: dict[str, float]) -> float:
        return sum(mix[p] * getattr(outcomes, p).referral for p in PRIORITIES)

    first = new / 365.0 * referred(_mix(cfg.service.demand.priority))
    back = sum(v / 365.0 * referred(mixes[k]) for (k, _), v in returning.items())
    return first, back


def _by_source(cfg: RunConfig, value) -> float:
    """``value(routing, mix)`` a calendar day, summed over new children and children coming back."""
    new, returning = contact_rates(cfg)
    mixes = return_mixes(cfg)
    total = new / 365.0 * value(routing(cfg, _mix(cfg.service.demand.priority)))
    for (k, h), per_year in returning.items():
        total += per_year / 365.0 * value(routing(cfg, mixes[k], h))
    return total


def first_cin_starts_per_day(cfg: RunConfig) -> float:
    """CIN plans started a day straight after an assessment or conference (not after a CP plan):
    the plans ``casework.cin_held_outside`` may send outside the social work teams."""
    return _by_source(cfg, lambda r: r.first_cin)


def closed_per_day(cfg: RunConfig) -> float:
    """Referrals closed a day at assessment or at an initial conference."""
    return _by_source(cfg, lambda r: r.exits[("closed", False)] + r.exits[("closed", True)])


WINDOW_DAYS = 365.0   # a re-referral: a referral within 12 months of the child's previous one (DfE C1)
DRAWS = 20_000


def within_window(cfg: RunConfig, seed: int = 0) -> dict[str, float]:
    """For children who come back after a referral closed at assessment or conference, after a
    CIN or looked-after plan, or after a CP plan: the chance that their return comes within 12
    months of that referral (the wait for allocation, the assessment, the plan and the delay
    before coming back, ``DRAWS`` draws of each)."""
    from ..distributions import draw_array, mean_of

    cw = cfg.service.casework
    rng = np.random.default_rng(seed)

    def days(spec) -> np.ndarray:
        x = draw_array(spec, rng, DRAWS)
        return x * 7 / 5 if spec.unit == "working_days" else x

    wait = mean_of(cw.allocation_delay) * (7 / 5 if cw.allocation_delay.unit == "working_days" else 1)
    before = wait + days(cw.assessment_duration) + days(cfg.service.returns.delay)
    plan = {p: days(getattr(cw.plan_duration, p)) for p in PLANS}
    starts = expected_plan_starts_per_day(cfg)
    cin_ends = starts["cin"][0] * cw.plan_endings.cin.close   # plans that end the case (a looked-after
    lac_ends = starts["lac"][0]                                # plan always does)
    ended = cin_ends + lac_ends
    after_plan = ((cin_ends * np.mean(before + plan["cin"] < WINDOW_DAYS)
                   + lac_ends * np.mean(before + plan["lac"] < WINDOW_DAYS)) / ended if ended > 0 else 0.0)
    return {"closed": float(np.mean(before < WINDOW_DAYS)), "plan_ended": float(after_plan),
            "cp_plan_ended": float(np.mean(before + plan["cp"] < WINDOW_DAYS))}


def rereferrals_per_day(cfg: RunConfig, within: dict[str, float] | None = None) -> float:
    """Referrals a day of children referred in the 12 months before, approximately: children who
    come back after a referral closed at assessment or conference or after a plan, within 12
    months of it (``within_window``).  Children who come back after a contact that ended at the
    MASH are left out (an earlier referral, if any, is further back); ``sim.calibrate`` corrects
    for what this leaves out by the default service's ratio of simulated to approximate."""
    within = within_window(cfg) if within is None else within
    _, returning = contact_rates(cfg)
    mixes = return_mixes(cfg)
    outcomes = cfg.service.mash.outcomes
    total = 0.0
    for (k, _), per_year in returning.items():
        if k in within:
            referred = sum(mixes[k][p] * getattr(outcomes, p).referral for p in PRIORITIES)
            total += per_year / 365.0 * referred * within[k]
    return total
