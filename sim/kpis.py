"""The KPI registry: every figure caseflow's forecast tables report, defined once.

An entry says what the figure is for people (``label``, with its unit and, for a wait, its
clock), its ``unit``, the clock it counts on (``calendar`` or ``working`` days, or none), the
events a wait or count runs between, and which direction is good.  ``forecast.csv`` (one
column group per figure, per month) and ``summary.csv`` (one row per figure, over the
horizon) take their figures, labels and order from here (``MONTHLY`` and ``HEADLINE``), and
so do the terminal table and the comparison; how each is computed from the log is in
``docs/outputs.md``.  Keys are part of caseflow's public interface: they do not change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SEEN_WITHIN_WD = (1, 5, 10)  # "% of children seen within N working days" figures, of referral and of contact


@dataclass(frozen=True)
class KPI:
    """One figure: what it is, in what unit, on which clock, and which way is better."""

    key: str
    label: str                # for people, with the unit (and the clock, for a wait)
    unit: str                 # "%", "days", "working days", "contacts", "children", "pounds", ...
    better: str               # "higher", "lower" or "neither"
    clock: str | None = None  # "calendar" or "working" days, for a wait or a timeliness share
    start: str | None = None  # the event a wait (or a share's clock) starts at
    end: str | None = None    # the event it ends at
    level: bool = False       # a level at an instant or averaged over time, not a count over a period

    @property
    def percent(self) -> bool:
        return self.unit == "%"


def _k(key, label, unit, better, clock=None, start=None, end=None, level=False) -> KPI:
    return KPI(key, label, unit, better, clock, start, end, level)


_CONTACT_TO_SEEN = dict(clock="calendar", start="contact_received", end="seen")
_CHANGE_REASONS = (("TSPROC", "transfer"), ("MANAGE", "management decision"), ("LEFTRL", "worker left"),
                   ("ABSENC", "worker absent"), ("ORGRST", "restructure"))


def seen_within_key(n: int, frm: str) -> str:
    """The key of "% children seen within ``n`` working days of ``frm``" (referral or contact)."""
    return f"seen_within_{n}wd_of_{frm}_pct"


_SEEN_WITHIN = re.compile(r"seen_within_([1-9]\d{0,2})wd_of_(referral|contact)_pct")
_FROM = {"referral": "referral_accepted", "contact": "contact_received"}


def _seen_within(ns: tuple[int, ...] = SEEN_WITHIN_WD) -> list[KPI]:
    return [_seen_within_kpi(n, frm) for n in ns for frm in _FROM]


def _seen_within_kpi(n: int, frm: str) -> KPI:
    return _k(seen_within_key(n, frm), f"% children seen within {n} working day{'s' if n > 1 else ''} of {frm}", "%",
              "higher", "working", _FROM[frm], "seen")


class _Registry(dict):
    """The registry: a dict of KPI by key that also knows every "% seen within N working days"
    figure, for whichever N a run asks for (``seen_within_working_days``)."""

    def __missing__(self, key: str) -> KPI:
        m = _SEEN_WITHIN.fullmatch(str(key))
        if m is None:
            raise KeyError(key)
        return _seen_within_kpi(int(m.group(1)), m.group(2))

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or bool(_SEEN_WITHIN.fullmatch(str(key)))

    def get(self, key, default=None):
        return self[key] if key in self else default


REGISTRY: dict[str, KPI] = _Registry({k.key: k for k in [
    _k("contacts", "Contacts received", "contacts", "neither", end="contact_received"),
    _k("referrals", "Referrals (threshold met)", "referrals", "neither", end="referral_accepted"),
    _k("mash_within_1wd_pct", "% MASH decisions within 1 working day of contact", "%", "higher",
       "working", "contact_received", "mash_decided"),
    _k("mash_decision_wd_median", "Working days from contact to MASH decision, median", "working days", "lower",
       "working", "contact_received", "mash_decided"),
    _k("mash_decision_wd_p90", "Working days from contact to MASH decision, 90th percentile", "working days",
       "lower", "working", "contact_received", "mash_decided"),
    _k("awaiting_mash_decision", "Contacts awaiting a MASH decision at month end", "contacts", "lower", level=True),
    _k("awaiting_mash_decision_end", "Contacts awaiting a MASH decision at the end", "contacts", "lower", level=True),
    _k("awaiting_mash_decision_mean", "Contacts awaiting a MASH decision, time-averaged", "contacts", "lower",
       level=True),
    _k("waiting_for_allocation", "Children waiting for a social worker at month end", "children", "lower",
       level=True),
    _k("waiting_for_allocation_end", "Children waiting for a social worker at the end", "children", "lower",
       level=True),
    _k("waiting_for_allocation_mean", "Children waiting for a social worker, time-averaged", "children", "lower",
       level=True),
    _k("waiting_for_long_term_worker", "Children on a plan waiting for a long-term social worker at month end",
       "children", "lower", level=True),
    _k("waiting_for_long_term_worker_end", "Children on a plan waiting for a long-term social worker at the end",
       "children", "lower", level=True),
    _k("waiting_for_long_term_worker_mean", "Children on a plan waiting for a long-term social worker, time-averaged",
       "children", "lower", level=True),
    _k("rereferral_pct", "% referrals within 12 months of a previous referral of the child", "%", "lower"),
    _k("repeat_cp_pct", "% CP plans started that were a second or later plan for the child", "%", "lower"),
    _k("seen", "Children seen after referral", "children", "neither", end="seen"),
    _k("threshold_to_seen_median", "Days from contact to seen (calendar), median", "days", "lower",
       **_CONTACT_TO_SEEN),
    _k("threshold_to_seen_p90", "Days from contact to seen (calendar), 90th percentile", "days", "lower",
       **_CONTACT_TO_SEEN),
    _k("threshold_to_seen_p95", "Days from contact to seen (calendar), 95th percentile", "days", "lower",
       **_CONTACT_TO_SEEN),
    _k("threshold_to_seen_p99", "Days from contact to seen (calendar), 99th percentile", "days", "lower",
       **_CONTACT_TO_SEEN),
    _k("threshold_to_seen_max", "Days from contact to seen (calendar), maximum", "days", "lower", **_CONTACT_TO_SEEN),
    _k("seen_over_six_weeks", "Children seen more than six weeks (42 calendar days) after contact", "children",
       "lower", **_CONTACT_TO_SEEN),
    *_seen_within(),
    _k("assessments_completed", "Assessments completed", "assessments", "neither", end="assessment_completed"),
    _k("assessments_within_45wd_pct", "% assessments completed within 45 working days of referral", "%", "higher",
       "working", "referral_accepted", "assessment_completed"),
    _k("open_cases", "Open cases at month end", "cases", "neither", level=True),
    _k("caseload_per_fte", "Cases per case-holding FTE at month end", "cases per FTE", "lower", level=True),
    _k("caseload_per_fte_mean", "Cases per case-holding FTE (mean of month ends)", "cases per FTE", "lower",
       level=True),
    _k("changes_of_worker", "Changes of social worker (allocations after a child's first)", "changes", "lower",
       end="allocated"),
    _k("changes_per_child", "Changes of social worker per child allocated", "changes per child", "lower"),
    _k("reallocations_per_child", "Reallocations per child (their worker left, was absent or the post closed)",
       "reallocations per child", "lower"),
    _k("three_plus_changes_pct", "% children with 3 or more changes of social worker in 12 months", "%", "lower"),
    *[_k(f"changes_{code.lower()}", f"Changes of social worker: {what} ({code})", "changes", "lower", end="allocated")
      for code, what in _CHANGE_REASONS],
    # The same key in both tables: the month's end in forecast.csv, the mean of month ends in summary.csv.
    _k("agency_share_pct", "Agency share of FTE (at month ends)", "%", "lower", level=True),
    _k("vacancies", "Vacant posts at month end", "posts", "lower", level=True),
    _k("vacancies_mean", "Vacant posts (mean of month ends)", "posts", "lower", level=True),
    _k("vacancy_rate_pct", "DfE vacancy rate at month end (posts without an employed worker)", "%", "lower",
       level=True),
    _k("vacancy_rate_pct_mean", "DfE vacancy rate (mean of month ends)", "%", "lower", level=True),
    _k("leavers", "Workers who left", "workers", "lower", end="worker_left"),
    _k("cost", "Workforce cost", "pounds", "neither"),
    # summary.csv's rows after the headline: each queue's trend over the second half of the horizon.
    *[_k(f"{q}_queue_unstable_pct", f"% replications in which the {name} grows without bound", "%", "lower")
      for q, name in (("mash", "MASH queue"), ("allocation", "allocation queue"),
                      ("transfer", "long-term transfer queue"))],
    _k("awaiting_mash_decision_midway", "Contacts awaiting a MASH decision half-way through", "contacts", "lower",
       level=True),
    _k("waiting_for_allocation_midway", "Children waiting for a social worker half-way through", "children",
       "lower", level=True),
    _k("waiting_for_long_term_worker_midway", "Children on a plan waiting for a long-term social worker half-way "
       "through", "children", "lower", level=True),
    _k("cost_per_child_seen_10wd", "Workforce cost per child seen within 10 working days of contact", "pounds",
       "lower", "working", "contact_received", "seen"),
]})

SEEN_WITHIN_KEYS = tuple(k.key for k in _seen_within())

# forecast.csv: its figures, in column order.
MONTHLY: tuple[str, ...] = (
    "contacts", "referrals", "mash_within_1wd_pct", "mash_decision_wd_median", "mash_decision_wd_p90",
    "awaiting_mash_decision", "awaiting_mash_decision_mean", "waiting_for_allocation", "waiting_for_allocation_mean",
    "waiting_for_long_term_worker", "waiting_for_long_term_worker_mean", "rereferral_pct", "repeat_cp_pct", "seen",
    "threshold_to_seen_median", "threshold_to_seen_p90", "threshold_to_seen_max", "seen_over_six_weeks",
    *SEEN_WITHIN_KEYS, "assessments_completed", "assessments_within_45wd_pct", "open_cases", "caseload_per_fte",
    "changes_of_worker", "agency_share_pct", "vacancies", "vacancy_rate_pct", "leavers", "cost",
)
# summary.csv (and the comparison, and the terminal table): its headline figures, in row order.
HEADLINE: tuple[str, ...] = (
    "contacts", "referrals", "mash_within_1wd_pct", "awaiting_mash_decision_end", "awaiting_mash_decision_mean",
    "threshold_to_seen_median", "threshold_to_seen_p90", "threshold_to_seen_p95", "threshold_to_seen_p99",
    "threshold_to_seen_max", "seen_over_six_weeks", *SEEN_WITHIN_KEYS, "assessments_within_45wd_pct",
    "waiting_for_allocation_end", "waiting_for_allocation_mean", "waiting_for_long_term_worker_end",
    "waiting_for_long_term_worker_mean", "rereferral_pct", "repeat_cp_pct", "caseload_per_fte_mean",
    "changes_per_child", "reallocations_per_child", "three_plus_changes_pct",
    *[f"changes_{code.lower()}" for code, _ in _CHANGE_REASONS], "agency_share_pct", "vacancies_mean",
    "vacancy_rate_pct_mean", "leavers", "cost", "cost_per_child_seen_10wd",
)

# summary.csv's queue trend rows, after the headline.
QUEUE_TREND: tuple[str, ...] = (
    "mash_queue_unstable_pct", "awaiting_mash_decision_midway", "allocation_queue_unstable_pct",
    "waiting_for_allocation_midway", "transfer_queue_unstable_pct", "waiting_for_long_term_worker_midway",
)


def seen_within_keys(ns: tuple[int, ...] = SEEN_WITHIN_WD) -> tuple[str, ...]:
    """The "% seen within N working days" keys for the N a run asks for, in table order."""
    return tuple(k.key for k in _seen_within(tuple(ns)))


def with_seen_within(keys: tuple[str, ...], ns: tuple[int, ...]) -> tuple[str, ...]:
    """``keys`` (``MONTHLY`` or ``HEADLINE``) with the default seen-within figures replaced by
    those for ``ns``."""
    ns = tuple(ns)
    if ns == SEEN_WITHIN_WD:
        return keys
    out, placed = [], False
    for k in keys:
        if k in SEEN_WITHIN_KEYS:
            if not placed:
                out.extend(seen_within_keys(ns))
                placed = True
        else:
            out.append(k)
    return tuple(out)


def present(keys: tuple[str, ...], columns) -> tuple[str, ...]:
    """``keys`` as a table holds them: the default seen-within figures replaced by the ones
    among ``columns`` (whatever N the run used), in order."""
    columns = list(columns)
    ns = sorted({int(m.group(1)) for c in columns if (m := _SEEN_WITHIN.fullmatch(str(c)))})
    chosen = with_seen_within(keys, tuple(ns)) if ns else keys
    have = set(columns)
    return tuple(k for k in chosen if k in have)


def seen_within_n(key: str) -> tuple[int, str] | None:
    """(N, "referral" or "contact") of a "% seen within N working days" key, else None."""
    m = _SEEN_WITHIN.fullmatch(str(key))
    return (int(m.group(1)), m.group(2)) if m else None


def is_monthly(key: str) -> bool:
    """Whether ``key`` is a forecast.csv figure (for some run's ``seen_within_working_days``)."""
    return key in MONTHLY or seen_within_n(key) is not None


def is_headline(key: str) -> bool:
    """Whether ``key`` is a summary.csv headline figure (for some run's ``seen_within_working_days``)."""
    return key in HEADLINE or seen_within_n(key) is not None


def label(key: str) -> str:
    """The figure's label for people (a ``KeyError`` for a figure the registry does not define)."""
    return REGISTRY[key].label


def labels(keys: tuple[str, ...]) -> dict[str, str]:
    """``key -> label`` for ``keys``, in their order."""
    return {k: REGISTRY[k].label for k in keys}


# ---------------------------------------------------------------- the published figures

# caseflow validate sets each figure the DfE published for a council beside the same figure
# simulated.  Where each is read from (file, column, period) is sim/reference/published.py's;
# here they are registry entries, so that the validation's tables and reports name them one way.
# One is the sum of two published figures.
COMBINED = {"closed_at_assessment_pct": ("nfa_pct", "not_in_need_pct")}
_COMBINED_LABELS = {"closed_at_assessment_pct": "Referrals closed at assessment or an initial conference, against "
                                                "published no further action + assessed not in need (% of referrals)"}
_PUBLISHED_UNITS = {"percent": "%", "fte": "FTE", "count": "count"}


@lru_cache(maxsize=1)
def published_figures() -> dict[str, KPI]:
    """The figures ``caseflow validate`` compares, by key, in its order (``FIGURE_KEYS``)."""
    from .projections.published import FIGURE_KEYS
    from .reference.published import FIGURES

    out = {}
    for key in FIGURE_KEYS:
        fig = FIGURES[COMBINED[key][0]] if key in COMBINED else FIGURES[key]
        out[key] = _k(key, _COMBINED_LABELS.get(key, fig.label), _PUBLISHED_UNITS.get(fig.unit, fig.unit), "neither",
                      level=fig.period.startswith("at_"))
    return out
