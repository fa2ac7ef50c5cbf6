"""How many posts are needed to meet a target: the rule, the posts varied, and the search.

``caseflow target`` (``sim.commands.target``) asks for the smallest number of posts of one kind
in one team such that a figure of ``summary.csv`` (a ``kpis.HEADLINE`` key) meets a target in
enough replications.  Everything here is pure but ``evaluation_of`` (which reads the horizon
frames a run produced) and the ``evaluate`` callable handed to ``search``:

- ``Target``: the figure, its bound (``at_least`` or ``at_most``) and the confidence; a
  count *meets* the target when the share of replications whose figure meets the bound is at
  least the confidence (``meets``; docs/decisions/0026-target-search.md says why).
- ``Posts``: which posts "posts of kind K in team T" are: every post of the team's groups of
  that kind.  The count is changed by changing the first such group (the others are kept); a
  team with no group of the kind gets a new full-time, permanently funded group of it.
- ``search``: bisection over the count, each count evaluated once (common random numbers: the
  same seed and replications at every count), valid when meeting the target is monotone in the
  count; ``monotonicity_warnings`` says when the evaluated counts contradict that.
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from . import kpis
from .config import MAX_POSTS, TEAMS, WORKER_KINDS, ConfigError, RunConfig, WorkerGroup, validate
from .inputs import InputError
from .inputs.errors import did_you_mean, listing, shown

BOUNDS = ("at_least", "at_most")
DEFAULT_CONFIDENCE = 0.9
# A search with no max_posts= looks up to twice the configured count (at least ten more):
# wide enough for most "how many more?" questions, and only a few more bisection steps.
DEFAULT_SPAN = 2
DEFAULT_MORE = 10
_TOLERANCE = 1e-9  # share x replications is a whole number of replications: 0.9 x 10 is 9, not 9.000000000000002


# ---------------------------------------------------------------- the target


@dataclass(frozen=True)
class Target:
    """A figure of summary.csv, its bound, and the confidence with which it must be met."""

    kpi: str            # a key of kpis.HEADLINE
    bound: str          # "at_least" (higher is better) or "at_most" (lower is better)
    value: float
    confidence: float   # above 0, at most 1

    @property
    def figure(self) -> kpis.KPI:
        return kpis.REGISTRY[self.kpi]

    def met_by(self, x: float) -> bool:
        """One replication's figure meets the bound (no value, e.g. nobody seen, does not)."""
        if x != x:  # NaN
            return False
        return x >= self.value if self.bound == "at_least" else x <= self.value

    def needed(self, replications: int) -> int:
        """Replications that must meet the bound for a count to meet the target."""
        return max(1, math.ceil(self.confidence * replications - _TOLERANCE))

    def sentence(self) -> str:
        """The rule for people: "% children seen within 10 working days of referral at least 90% in at
        least 90% of replications"."""
        unit = "%" if self.figure.percent else f" {self.figure.unit}"
        word = "at least" if self.bound == "at_least" else "at most"
        return (f"{self.figure.label} {word} {_number(self.value)}{unit} in at least "
                f"{_number(100 * self.confidence)}% of replications")


def _number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def headline_keys(cfg: RunConfig | None = None) -> tuple[str, ...]:
    """The figures of the run's summary.csv a target may name: ``kpis.HEADLINE``, with the run's own
    "% seen within N working days" figures (``seen_within_working_days``)."""
    if cfg is None:
        return kpis.HEADLINE
    return kpis.with_seen_within(kpis.HEADLINE, tuple(cfg.seen_within_working_days))


def read_target(kpi: str | None, at_least: str | None, at_most: str | None,
                confidence: str | None, headline: tuple[str, ...] = kpis.HEADLINE) -> Target:
    """The target the command line gives, on one of ``headline`` (``InputError``, one sentence, for
    anything refused)."""
    if kpi is None:
        raise InputError("caseflow target needs kpi=<figure>, a row of summary.csv such as "
                         "kpi=seen_within_10wd_of_referral_pct or kpi=threshold_to_seen_p90")
    if kpi not in kpis.REGISTRY:
        raise InputError(f"kpi={shown(kpi)} is not a figure caseflow defines{did_you_mean(kpi, headline)}: "
                         "give a row of summary.csv such as seen_within_10wd_of_referral_pct (docs/outputs.md)")
    figure = kpis.REGISTRY[kpi]
    if kpi not in headline:
        raise InputError(f"kpi={kpi} ({figure.label}) is not a figure over the forecast horizon: give a row of "
                         "summary.csv's headline figures, such as seen_within_10wd_of_referral_pct (docs/outputs.md)")
    if figure.better not in ("higher", "lower"):
        raise InputError(f"kpi={kpi} ({figure.label}) is neither better higher nor better lower, so no number of "
                         "posts meets a target on it: give a figure such as seen_within_10wd_of_referral_pct")
    if at_least is not None and at_most is not None:
        raise InputError("caseflow target takes one bound, at_least= or at_most=, not both")
    if at_least is None and at_most is None:
        word = "at_least" if figure.better == "higher" else "at_most"
        raise InputError(f"caseflow target needs a bound for kpi={kpi}: give {word}=<value> ({figure.label}; "
                         f"{figure.better} is better)")
    bound, text = ("at_least", at_least) if at_least is not None else ("at_most", at_most)
    wanted = "at_least" if figure.better == "higher" else "at_most"
    if bound != wanted:
        raise InputError(f"kpi={kpi} ({figure.label}) is a figure where {figure.better} is better, so its target is "
                         f"{wanted}=<value>, not {bound}=")
    value = _read_number(bound, text)
    if figure.percent and not 0 <= value <= 100:
        raise InputError(f"{bound} is {shown(text)} but kpi={kpi} is a percentage: give a value from 0 to 100")
    if value < 0:
        raise InputError(f"{bound} is {shown(text)} but kpi={kpi} ({figure.unit}) is never negative: give a value of "
                         "0 or more")
    conf = DEFAULT_CONFIDENCE if confidence is None else _read_number("confidence", confidence)
    if not 0 < conf <= 1:
        raise InputError(f"confidence is {shown(confidence)} but must be a share above 0 and at most 1, e.g. "
                         "confidence=0.9 for 90% of replications")
    return Target(kpi, bound, value, conf)


def _read_number(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{key} is '{shown(text)}' but must be a number, e.g. {key}=90") from None
    if not math.isfinite(value):
        raise InputError(f"{key} is '{shown(text)}' but must be a finite number")
    return value


# ---------------------------------------------------------------- the posts


@dataclass(frozen=True)
class Posts:
    """The posts the search varies: every post of ``kind`` in ``team``'s establishment at the start.

    The count N is the sum of the counts of the team's groups of that kind.  It is changed by
    changing the count of the first such group (``group``), which new posts resemble (its FTE,
    funding, fill_with and until); the team's other groups of the kind (``fixed`` posts, such as
    part-time ones) are kept.  With no group of the kind, ``group`` is None and a group
    ``{count: n, kind: K}`` (full-time, permanently funded, refilled with the same kind) is added.
    Posts a funding schedule adds or ends later (``service.funding``) are applied as written, on top.
    """

    team: str
    kind: str
    group: int | None    # index in the team's groups of the group whose count varies; None: one is added
    fixed: int           # posts of the kind in the team's other groups (kept as configured)
    current: int         # posts of the kind the configuration has
    lowest: int          # the smallest count the configuration allows (a team must keep a worker)
    fte: float           # FTE of each post of the varied group
    fixed_fte: float     # FTE of the fixed posts together

    def fte_at(self, n: int) -> float:
        """Total FTE of ``n`` posts of the kind."""
        return self.fixed_fte + (n - self.fixed) * self.fte

    def annual_cost(self, cfg: RunConfig, n: int) -> float:
        """Annual pay bill of ``n`` posts, at ``service.workforce.annual_cost_per_fte`` of the kind."""
        return self.fte_at(n) * getattr(cfg.service.workforce.annual_cost_per_fte, self.kind)


def read_posts(cfg: RunConfig, team: str | None, kind: str | None) -> Posts:
    """Which posts ``team=`` and ``kind=`` name in ``cfg`` (``InputError`` for an unknown team or kind)."""
    if team is None:
        raise InputError(f"caseflow target needs team=<team>, one of {', '.join(TEAMS)}")
    if team not in TEAMS:
        raise InputError(f"team={shown(team)} is not a team{did_you_mean(team, TEAMS)}: give one of "
                         f"{', '.join(TEAMS)}")
    if kind is None:
        raise InputError(f"caseflow target needs kind=<kind of post>, one of {', '.join(WORKER_KINDS)}")
    if kind not in WORKER_KINDS:
        raise InputError(f"kind={shown(kind)} is not a kind of worker{did_you_mean(kind, WORKER_KINDS)}: give one of "
                         f"{', '.join(WORKER_KINDS)}")
    return posts_of(cfg, team, kind)


def posts_of(cfg: RunConfig, team: str, kind: str) -> Posts:
    """The posts of ``kind`` in ``team``'s establishment, and which group the search changes."""
    groups = team_groups(cfg, team)
    mine = [i for i, g in enumerate(groups) if g.kind == kind]
    group = mine[0] if mine else None
    fixed = [groups[i] for i in mine[1:]]
    others = sum(g.count for i, g in enumerate(groups) if i != group)
    return Posts(team=team, kind=kind, group=group, fixed=sum(g.count for g in fixed),
                 current=sum(groups[i].count for i in mine),
                 lowest=sum(g.count for g in fixed) + (0 if others else 1),
                 fte=groups[group].fte if group is not None else 1.0,
                 fixed_fte=sum(g.count * g.fte for g in fixed))


def team_groups(cfg: RunConfig, team: str) -> list[WorkerGroup]:
    """``service.workforce.<team>.groups`` of ``cfg``."""
    return getattr(cfg.service.workforce, team).groups


def with_posts(cfg: RunConfig, posts: Posts, n: int) -> RunConfig:
    """``cfg`` with ``n`` posts of the kind in the team, validated (a new configuration; ``cfg``
    is left as it was)."""
    if not posts.lowest <= n <= MAX_POSTS:
        raise ValueError(f"{n} posts is outside {posts.lowest}..{MAX_POSTS}")
    out = copy.deepcopy(cfg)
    groups = team_groups(out, posts.team)
    if posts.group is None:
        groups.append(WorkerGroup(count=n - posts.fixed, kind=posts.kind))
    else:
        groups[posts.group].count = n - posts.fixed
    validate(out)
    return out


def count_key(posts: Posts) -> str | None:
    """The setting the search takes over (``service.workforce.<team>.groups.<i>.count``), if any."""
    return None if posts.group is None else f"service.workforce.{posts.team}.groups.{posts.group}.count"


def highest_count(posts: Posts, max_posts: str | None) -> int:
    """The largest count searched: ``max_posts=``, or by default twice the configured count (at
    least ten more than it)."""
    if max_posts is None:
        return max(posts.lowest, DEFAULT_SPAN * posts.current, posts.current + DEFAULT_MORE)
    text = max_posts.strip()
    if not re.fullmatch(r"[0-9]+", text):
        raise InputError(f"max_posts is '{shown(max_posts)}' but must be a whole number of posts, e.g. max_posts=40")
    n = int(text)
    if n < posts.lowest:
        raise InputError(f"max_posts is {n} but the {posts.team} team cannot have fewer than {posts.lowest} "
                         f"{posts.kind} posts here: give max_posts={posts.lowest} or more")
    if n > MAX_POSTS:
        raise InputError(f"max_posts is {n:,} but caseflow runs at most {MAX_POSTS:,} posts")
    return n


def check_counts(cfg: RunConfig, posts: Posts, highest: int) -> None:
    """Both ends of the search give a configuration caseflow can run (else one sentence naming max_posts)."""
    for n in (posts.lowest, highest):
        try:
            with_posts(cfg, posts, n)
        except ConfigError as e:
            raise InputError(f"With {n} {posts.kind} posts in the {posts.team} team (max_posts={highest}) the "
                             f"configuration cannot run: {e}") from None


# ---------------------------------------------------------------- one count's replications


@dataclass(frozen=True)
class Evaluation:
    """The figure (and the workforce cost) in each replication at one count, in replication order,
    and the queues (``sim.forecast.QUEUES`` keys) that grow without bound in most of them."""

    count: int
    values: tuple[float, ...]
    costs: tuple[float, ...]
    unstable: tuple[str, ...] = ()


def evaluation_of(count: int, horizon: pd.DataFrame, kpi: str) -> Evaluation:
    """One count's figures from its ``window_kpis`` frame over the horizon (the rows of summary.csv)."""
    from .forecast import QUEUES
    from .stability import unstable_overall

    frame = horizon.sort_values("replication")
    trend = [f"{q}_queue_unstable_pct" for q in QUEUES]
    unstable = tuple(q for q, col in zip(QUEUES, trend) if col in frame and unstable_overall(float(frame[col].mean())))
    return Evaluation(count, tuple(float(x) for x in frame[kpi]), tuple(float(x) for x in frame["cost"]), unstable)


def queue_warnings(target: Target, ev: Evaluation) -> list[str]:
    """One sentence for each queue that grows without bound at this count and that the figure is
    computed through (``sim.forecast.queue_rows``): the figure then describes only what got through."""
    from .forecast import QUEUES, queue_rows

    return [f"Warning: with {ev.count} posts the {QUEUES[q].name} grows without bound in most replications, and "
            f"{QUEUES[q].caveat}: the figure may look better than the service is."
            for q in ev.unstable if target.kpi in queue_rows(q)]


def meeting(target: Target, ev: Evaluation) -> int:
    """Replications whose figure meets the bound."""
    return sum(target.met_by(x) for x in ev.values)


def share_meeting(target: Target, ev: Evaluation) -> float:
    """Share of replications whose figure meets the bound."""
    return meeting(target, ev) / len(ev.values) if ev.values else 0.0


def meets(target: Target, ev: Evaluation) -> bool:
    """The count meets the target: at least ``confidence`` of the replications meet the bound."""
    return bool(ev.values) and meeting(target, ev) >= target.needed(len(ev.values))


def summary_row(target: Target, ev: Evaluation) -> dict[str, object]:
    """One row of target.csv: the figure's spread, the share meeting the bound, the decision, the cost."""
    from .forecast import spread

    s = spread(np.array(ev.values, float))
    costs = np.array(ev.costs, float)
    return {"count": ev.count, "kpi": target.kpi, "target": target.value, "p10": s["p10"], "p50": s["p50"],
            "p90": s["p90"], "mean": s["mean"], "share_meeting": share_meeting(target, ev),
            "meets": meets(target, ev), "cost_mean": float(np.nanmean(costs)) if len(costs) else np.nan}


def target_table(target: Target, evaluations: dict[int, Evaluation]) -> pd.DataFrame:
    """target.csv: one row per count evaluated, in count order."""
    return pd.DataFrame([summary_row(target, evaluations[n]) for n in sorted(evaluations)],
                        columns=["count", "kpi", "target", "p10", "p50", "p90", "mean", "share_meeting", "meets",
                                 "cost_mean"])


# ---------------------------------------------------------------- the search


@dataclass
class Search:
    """What the search found: the answer (None: no count up to ``highest`` meets the target) and
    every count it evaluated."""

    target: Target
    lowest: int
    highest: int
    answer: int | None
    evaluations: dict[int, Evaluation] = field(default_factory=dict)

    @property
    def shown_count(self) -> int:
        """The count whose configuration is written: the answer, or ``highest`` when none meets."""
        return self.highest if self.answer is None else self.answer

    def neighbours(self) -> list[int]:
        """The answer's neighbours N-1, N, N+1 that were evaluated (``highest`` and the count below it
        when none meets)."""
        n = self.shown_count
        return [k for k in (n - 1, n, n + 1) if k in self.evaluations]


def most_evaluations(lowest: int, highest: int) -> int:
    """Counts a bisection over ``lowest..highest`` evaluates at most: ``highest`` first, then one per halving."""
    return 1 + math.ceil(math.log2(highest - lowest + 1))


def search(target: Target, lowest: int, highest: int, evaluate: Callable[[int], Evaluation]) -> Search:
    """The smallest count in ``lowest..highest`` that meets ``target``, by bisection.

    ``highest`` is evaluated first: if it fails, no count meets (under monotonicity) and the
    search stops.  Otherwise the bracket (a count known to fail, a count known to meet) is halved
    until the two are neighbours; ``lowest - 1`` stands for a failing count never run.  Each
    count is evaluated once.  Valid when meeting the target is monotone in the count: then the
    answer equals the smallest meeting count of a sweep over every count (``tests/test_target.py``).
    """
    if not lowest <= highest:
        raise ValueError(f"an empty range of counts: {lowest}..{highest}")
    found = Search(target, lowest, highest, None)

    def run(n: int) -> bool:
        if n not in found.evaluations:
            found.evaluations[n] = evaluate(n)
        return meets(target, found.evaluations[n])

    if not run(highest):
        return found
    fails, meets_at = lowest - 1, highest
    while meets_at - fails > 1:
        mid = (fails + meets_at) // 2
        if run(mid):
            meets_at = mid
        else:
            fails = mid
    found.answer = meets_at
    return found


def worse(target: Target, before: float, after: float) -> bool:
    """``after`` (more posts) is worse than ``before`` in the figure's good direction."""
    if before != before or after != after:
        return False
    return after < before if target.bound == "at_least" else after > before


def reversals(target: Target, a: Evaluation, b: Evaluation) -> int:
    """Paired replications whose figure is worse at the larger count (common random numbers make
    the pairs comparable; a few are expected, as extra posts change who gets which draws)."""
    return sum(worse(target, x, y) for x, y in zip(a.values, b.values))


def monotonicity_warnings(target: Target, evaluations: dict[int, Evaluation]) -> list[str]:
    """One sentence for each pair of neighbouring evaluated counts where more posts did worse: a
    smaller share of replications meeting the bound (some replication met it with fewer posts and
    not with more), or a mean worse beyond chance (the paired 95% interval of the difference lies
    wholly on the worse side; a drift of the last decimal at a saturated figure is not warned of).
    Bisection assumes neither happens; where one does, a count below the answer might also meet
    the target."""
    from .compare import paired_difference

    out = []
    counts = sorted(evaluations)
    for lo, hi in zip(counts, counts[1:]):
        a, b = evaluations[lo], evaluations[hi]
        share_a, share_b = share_meeting(target, a), share_meeting(target, b)
        what = []
        if share_b < share_a:
            what.append(f"the share of replications meeting the target fell from {100 * share_a:.0f}% to "
                        f"{100 * share_b:.0f}%")
        x, y = np.array(a.values, float), np.array(b.values, float)
        d = paired_difference(y, x)
        pairs = int((~(np.isnan(x) | np.isnan(y))).sum())
        significant = d.high < 0 if target.bound == "at_least" else d.low > 0
        if pairs >= 2 and significant:
            what.append(f"the mean got worse by {abs(d.mean):,.4g} (paired 95% interval {d.low:,.4g} to "
                        f"{d.high:,.4g})")
        if what:
            out.append(f"Warning: with {hi} posts rather than {lo}, {' and '.join(what)}: the figure may not improve "
                       "steadily with the count, so the bisection's answer may not be the smallest count that meets "
                       "the target; run more replications, or check the counts between with max_posts=.")
    return out


def evaluated_counts(evaluations: dict[int, Evaluation]) -> str:
    """The counts evaluated, for people: "12, 18, 21 and 24"."""
    counts = [str(n) for n in sorted(evaluations)]
    return counts[0] if len(counts) == 1 else f"{listing(counts[:-1])} and {counts[-1]}"


def label_for(posts: Posts, n: int) -> str:
    """The name of count ``n``'s folder of event-log parts while the search runs."""
    return f"{posts.team}-{posts.kind}-{n:04d}"


def replications_meeting_text(target: Target, replications: int) -> str:
    """How many replications the rule needs, for people ("9 of 10 replications")."""
    return f"{target.needed(replications)} of {replications} replication{'s' if replications != 1 else ''}"


def paired_reversals(target: Target, evaluations: dict[int, Evaluation]) -> list[tuple[int, int, int, int]]:
    """(smaller count, larger count, replications worse at the larger, replications) for each pair
    of neighbouring evaluated counts."""
    counts = sorted(evaluations)
    return [(lo, hi, reversals(target, evaluations[lo], evaluations[hi]), len(evaluations[lo].values))
            for lo, hi in zip(counts, counts[1:])]
