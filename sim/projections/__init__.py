"""KPIs as projections over the event log (pandas; no SimPy, no Hydra).

Every figure caseflow reports is computed here from events alone.
"""
from .frame import events_frame
from .levels import level_at, mean_level, month_end_levels, queue_intervals
from .waits import assessment_times, mash_decision_times, threshold_to_seen

__all__ = ["events_frame", "level_at", "mean_level", "month_end_levels", "queue_intervals", "assessment_times",
           "mash_decision_times", "threshold_to_seen"]
