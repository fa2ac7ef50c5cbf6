"""caseflow: an event-sourced simulation of a children's social care front door."""

__version__ = "0.1.0"
