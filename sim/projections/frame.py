"""The event log as a pandas frame, and small selectors over it."""
from __future__ import annotations

import functools
import weakref
from typing import Callable, TypeVar

import pandas as pd
import pyarrow as pa

T = TypeVar("T")


def events_frame(table: pa.Table) -> pd.DataFrame:
    """The log as a DataFrame.  ``event`` stays categorical (Arrow's dictionary column): it
    compares with ``==`` and ``isin`` like strings, on integer codes, which every projection's
    filter is."""
    return table.to_pandas()


def of(df: pd.DataFrame, event: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Rows of one event type (with ``replication``, ``case_id``, ``t`` and ``columns``)."""
    cols = ["replication", "case_id", "t", *(columns or [])]
    return df.loc[df["event"] == event, cols]


def once_per_log(projection: Callable[[pd.DataFrame], T]) -> Callable[[pd.DataFrame], T]:
    """A projection of the whole log computed once per log frame and shared by every figure
    that reads it (a forecast reads the changes of worker or the workers' spells several
    times).  The last frame's result is kept, keyed by the frame itself (a weak reference, so
    a new frame at the same address is not mistaken for it).  Logs are never modified once
    projected; callers must not modify the result either (they ``assign`` and filter)."""
    last: list = [None, None]  # [weak reference to the frame, result]

    @functools.wraps(projection)
    def memoised(df: pd.DataFrame) -> T:
        ref, result = last
        if ref is not None and ref() is df:
            return result
        result = projection(df)
        last[:] = [weakref.ref(df), result]
        return result

    return memoised
