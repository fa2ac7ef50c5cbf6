"""The event log as a pandas frame, and small selectors over it."""
from __future__ import annotations

import functools
import weakref
from typing import Callable, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

T = TypeVar("T")


def events_frame(table: pa.Table) -> pd.DataFrame:
    """The log as a DataFrame.  ``event`` stays categorical (Arrow's dictionary column): it
    compares with ``==`` and ``isin`` like strings, on integer codes, which every projection's
    filter is."""
    return table.to_pandas()


def event_codes(df: pd.DataFrame) -> tuple[np.ndarray, dict[str, int]]:
    """The ``event`` column as integer codes, and each event name's code: rows of events
    ``names`` are ``np.isin(codes, [events[n] for n in names])``, far cheaper than ``isin`` on
    the column.  A log whose ``event`` is plain strings (a hand-built one) is coded here."""
    column = df["event"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), {str(name): i for i, name in enumerate(column.cat.categories)}
    names, codes = np.unique(column.to_numpy(dtype=object).astype(str), return_inverse=True)
    return codes, {str(name): i for i, name in enumerate(names)}


def event_rows(df: pd.DataFrame, *names: str) -> np.ndarray:
    """Boolean mask (numpy) of the rows whose event is one of ``names``: ``df["event"].isin(names)``."""
    codes, events = event_codes(df)
    wanted = [events[n] for n in names if n in events]
    if len(wanted) == 1:
        return codes == wanted[0]
    return np.isin(codes, wanted)


def _same_group_as_next(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For a frame sorted by ``keys``: whether each row but the last is in the same group as the
    next (a missing key is in no group, as in ``groupby``)."""
    same = np.ones(max(len(frame) - 1, 0), bool)
    for key in keys:
        k = frame[key].to_numpy()
        same &= k[1:] == k[:-1]  # NaN is equal to nothing
    return same


def group_shift(frame: pd.DataFrame, keys: list[str], column: str, periods: int) -> np.ndarray:
    """``frame.groupby(keys)[column].shift(periods)`` (``periods`` 1 or -1) of a float column, for a
    frame sorted by ``keys`` (each group's rows together), as a numpy array."""
    values = frame[column].to_numpy(float)
    out = np.full(len(frame), np.nan)
    same = _same_group_as_next(frame, keys)
    if periods == -1:
        out[:-1] = np.where(same, values[1:], np.nan)
    elif periods == 1:
        out[1:] = np.where(same, values[:-1], np.nan)
    else:
        raise ValueError("periods must be 1 or -1")
    return out


def group_bfill(frame: pd.DataFrame, keys: list[str], values: np.ndarray) -> np.ndarray:
    """``values.groupby(frame[keys]).bfill()`` for a frame sorted by ``keys``: each missing value
    replaced by the next one present in its group (NaN if none; rows with a missing key stay NaN)."""
    n = len(values)
    values = np.asarray(values, float)
    if n == 0:
        return values.copy()
    same = _same_group_as_next(frame, keys)
    keyed = np.ones(n, bool)
    for key in keys:
        keyed &= frame[key].notna().to_numpy()
    group = np.concatenate([[0], np.cumsum(~same)])
    present = np.where(~np.isnan(values) & keyed, np.arange(n), n)
    after = np.minimum.accumulate(present[::-1])[::-1]  # the first row at or after with a value
    found = after < n
    out = np.full(n, np.nan)
    rows = np.flatnonzero(found & keyed)
    rows = rows[group[after[rows]] == group[rows]]
    out[rows] = values[after[rows]]
    return out


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
