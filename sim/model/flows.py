"""Expected flows through the service, from its parameters alone (no simulation).

Used where the model must know a rate before it has run: how many contacts come from children
new to the front door (the rest are children coming back), and how many plans start a day (to
open the plans the service already holds when the simulation starts).  Everything here is the
steady state of the routing probabilities; the simulation itself draws every case's path.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import PriorityShares, RunConfig

PRIORITIES = ("red", "amber", "green")
PLANS = ("cin", "cp", "lac")
EXITS = ("no_further_action", "early_help", "closed", "plan_ended", "cp_plan_ended")


@dataclass(frozen=True)
class Routing:
    """Per contact of a given priority mix: the expected plan starts of each kind and ways out."""

    plan_starts: dict[str, float]
    exits: dict[str, float]


def _mix(shares: PriorityShares) -> dict[str, float]:
    return {p: getattr(shares, p) for p in PRIORITIES}


def routing(cfg: RunConfig, mix: dict[str, float]) -> Routing:
    """Expected plan starts and exits per contact whose priority is drawn from ``mix``."""
    s = cfg.service
    out, cw = s.casework.assessment_outcomes, s.casework
    conf = cw.conference_outcomes
    direct = dict.fromkeys(PLANS, 0.0)   # plans started at assessment or conference, per contact
    exits = dict.fromkeys(EXITS, 0.0)
    for p, share in mix.items():
        o = getattr(s.mash.outcomes, p)
        exits["no_further_action"] += share * o.no_further_action
        exits["early_help"] += share * o.early_help
        s47 = getattr(s.mash.s47_share, p)
        for route, w in (("s47", s47), ("other", 1 - s47)):
            a = getattr(out, route)
            n = share * o.referral * w
            direct["cin"] += n * (a.cin + a.cp * conf.cin)
            direct["cp"] += n * a.cp * conf.cp
            direct["lac"] += n * a.lac
            exits["closed"] += n * (a.close + a.cp * conf.close)
    # Plans that end into other plans: CIN <-> CP, both -> looked after.
    e_cin, e_cp = cw.plan_endings.cin, cw.plan_endings.cp
    m = np.array([[1.0, -e_cp.cin], [-e_cin.cp, 1.0]])
    cin, cp = np.linalg.solve(m, [direct["cin"], direct["cp"]])
    lac = direct["lac"] + cin * e_cin.lac + cp * e_cp.lac
    exits["plan_ended"] += cin * e_cin.close + lac
    exits["cp_plan_ended"] += cp * e_cp.close
    return Routing({"cin": float(cin), "cp": float(cp), "lac": float(lac)}, exits)


def return_mixes(cfg: RunConfig) -> dict[str, dict[str, float]]:
    """The priority mix of the contacts of children coming back, by the way they left."""
    r = cfg.service.returns.routes
    demand = _mix(cfg.service.demand.priority)
    return {k: (_mix(getattr(r, k).priority) if getattr(r, k).priority is not None else demand) for k in EXITS}


def contact_rates(cfg: RunConfig) -> tuple[float, dict[str, float]]:
    """Contacts a year from new children, and from children coming back by each way out.

    ``contacts_per_year`` counts every contact.  Children coming back after leaving way k make
    R_k = share_k x (exits_k of new children + sum_j exits_k of the contacts R_j); this solves
    that linear system and scales new children so the total is ``contacts_per_year``.
    """
    total = cfg.service.demand.contacts_per_year
    share = np.array([getattr(cfg.service.returns.routes, k).share for k in EXITS])
    if not share.any():
        return total, dict.fromkeys(EXITS, 0.0)
    new = routing(cfg, _mix(cfg.service.demand.priority)).exits
    mixes = return_mixes(cfg)
    p = np.array([[routing(cfg, mixes[j]).exits[k] for j in EXITS] for k in EXITS])
    per_new = np.linalg.solve(np.eye(len(EXITS)) - share[:, None] * p, share * np.array([new[k] for k in EXITS]))
    n = total / (1.0 + per_new.sum())
    return float(n), {k: float(n * v) for k, v in zip(EXITS, per_new)}


def expected_plan_starts_per_day(cfg: RunConfig) -> dict[str, float]:
    """Plan starts per calendar day implied by the demand, the returns and the routing shares."""
    new, returning = contact_rates(cfg)
    out = {k: v * new / 365.0 for k, v in routing(cfg, _mix(cfg.service.demand.priority)).plan_starts.items()}
    for k, mix in return_mixes(cfg).items():
        for plan, v in routing(cfg, mix).plan_starts.items():
            out[plan] += v * returning[k] / 365.0
    return out


