"""Parameter uncertainty: each replication draws its own values of the parameters estimated from
published counts, so that a forecast's intervals carry the uncertainty of the estimates as well
as the chance variation of one year (decision 0030).

A service gives, under ``uncertainty``, the relative standard error (coefficient of variation)
of each parameter it estimated from counts (0: not drawn); ``caseflow calibrate`` writes them, 1/sqrt(count)
for a rate estimated from a Poisson count (docs/decisions/0030-parameter-uncertainty.md).  With
``parameter_draws`` on (the default), replication k multiplies each listed parameter by a factor
drawn from a lognormal with mean 1 and that coefficient of variation, from its own stream keyed
(seed, k, "parameters"): the same draws in every scenario of a comparison (common random
numbers) and on every executor.  A service without ``uncertainty`` runs as it is.

The parameters that can be drawn are the fields of ``sim.config.UncertaintyConfig``; how a
factor applies to each is ``PARAMETERS``.
"""
from __future__ import annotations

import copy
from dataclasses import fields
from typing import Callable

import numpy as np

from .config import MAX_RETURN_SHARE, Dist, RunConfig, ServiceConfig, UncertaintyConfig
from .streams import stream


def _scale_dist(d: Dist, k: float) -> None:
    """A duration's distribution stretched by ``k`` (its mean and spread, or its bin edges)."""
    if d.kind == "fixed":
        d.value = None if d.value is None else d.value * k
    elif d.kind == "empirical":
        d.edges = [e * k for e in d.edges]
    else:
        d.mean = d.mean * k
        if d.sd is not None:
            d.sd = d.sd * k


def _contacts(s: ServiceConfig, k: float) -> None:
    s.demand.contacts_per_year *= k


def _plan(plan: str) -> Callable[[ServiceConfig, float], None]:
    return lambda s, k: _scale_dist(getattr(s.casework.plan_duration, plan), k)


def _allocation_delay(s: ServiceConfig, k: float) -> None:
    _scale_dist(s.casework.allocation_delay, k)


def _returns(s: ServiceConfig, k: float) -> None:
    for name in ("no_further_action", "early_help", "closed", "plan_ended"):
        route = getattr(s.returns.routes, name)
        route.share = min(MAX_RETURN_SHARE, route.share * k)


def _cp_returns(s: ServiceConfig, k: float) -> None:
    s.returns.routes.cp_plan_ended.share = min(MAX_RETURN_SHARE, s.returns.routes.cp_plan_ended.share * k)


def _turnover(s: ServiceConfig, k: float) -> None:
    rates = s.workforce.turnover.annual_rate
    rates.permanent *= k
    rates.asye *= k


# service.uncertainty's field -> how a factor applies to the service.
PARAMETERS: dict[str, Callable[[ServiceConfig, float], None]] = {
    "contacts_per_year": _contacts,
    "cin_plan_length": _plan("cin"),
    "cp_plan_length": _plan("cp"),
    "lac_plan_length": _plan("lac"),
    "allocation_delay": _allocation_delay,
    "returns": _returns,
    "cp_returns": _cp_returns,
    "turnover": _turnover,
}
STREAM = "parameters"
assert set(PARAMETERS) == {f.name for f in fields(UncertaintyConfig)}  # one rule per field of the schema


def factors(cfg: RunConfig, replication: int) -> dict[str, float]:
    """Replication ``replication``'s factor for each parameter the service lists (empty when
    ``parameter_draws`` is off or nothing is listed).  Each parameter has a stream of its own,
    so listing another parameter never changes the draws of those already listed."""
    if not cfg.parameter_draws:
        return {}
    out = {}
    for name in PARAMETERS:
        cv = getattr(cfg.service.uncertainty, name)
        if not cv:
            continue
        sigma2 = float(np.log1p(cv * cv))
        z = stream(cfg.seed, replication, f"{STREAM}:{name}").standard_normal()
        out[name] = float(np.exp(np.sqrt(sigma2) * z - sigma2 / 2))
    return out


def drawn(cfg: RunConfig, replication: int) -> RunConfig:
    """``cfg`` with replication ``replication``'s draws applied (``cfg`` itself if none)."""
    f = factors(cfg, replication)
    if not f:
        return cfg
    out = copy.deepcopy(cfg)
    for name, k in f.items():
        PARAMETERS[name](out.service, k)
    return out
