"""The event log as a pandas frame, and small selectors over it."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa


def events_frame(table: pa.Table) -> pd.DataFrame:
    """The log as a DataFrame (``event`` as a plain string column for easy filtering)."""
    df = table.to_pandas()
    df["event"] = df["event"].astype(str)
    return df


def of(df: pd.DataFrame, event: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Rows of one event type (with ``replication``, ``case_id``, ``t`` and ``columns``)."""
    cols = ["replication", "case_id", "t", *(columns or [])]
    return df.loc[df["event"] == event, cols]
