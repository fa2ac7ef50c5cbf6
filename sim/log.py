"""The append-only event log and its Parquet form.

The model calls ``log.append(event)`` and nothing else; the log turns its typed events into
Arrow columns directly (one array per column, never via a DataFrame of tuples) and back.
"""
from __future__ import annotations

import datetime as dt
import gc
import os
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .events import EVENT_NAMES, EVENT_TYPES

# Column name -> Arrow type.  Part of caseflow's public interface (docs/event-log.md).
ATTRIBUTE_COLUMNS: dict[str, pa.DataType] = {
    "case_id": pa.int64(),
    "child_id": pa.int64(),
    "worker_id": pa.string(),
    "team": pa.string(),
    "priority": pa.string(),
    "source": pa.string(),
    "needs_consent": pa.bool_(),
    "s47": pa.bool_(),
    "outcome": pa.string(),
    "plan": pa.string(),
    "reason": pa.string(),
    "kind": pa.string(),
    "fte": pa.float64(),
    "cap": pa.int32(),
    "post_id": pa.string(),
    "funding": pa.string(),
    "annual_cost": pa.float64(),
    "package": pa.string(),
    "multiplier": pa.float64(),
    "cost": pa.float64(),
    "until": pa.float64(),
    "at": pa.float64(),
}
EVENT_DICTIONARY = pa.array(EVENT_NAMES, pa.string())
SCHEMA = pa.schema(
    [("replication", pa.int32()), ("seq", pa.int64()), ("t", pa.float64()), ("date", pa.date32()),
     ("event", pa.dictionary(pa.int8(), pa.string()))]
    + list(ATTRIBUTE_COLUMNS.items())
)
_TYPE_CODE = {cls: i for i, cls in enumerate(EVENT_TYPES.values())}


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector while simulating and while the log becomes Arrow.

    The log's records are typed ``NamedTuple`` instances, and CPython's collector never stops
    tracking tuple subclasses, so every collection rescans every record still held: about a
    tenth of a replication's time even when collecting only every 50,000 allocations
    (docs/performance.md).  What the simulation frees it frees by reference counting (a
    processed SimPy event drops its callbacks); the cycles it leaves (a worker and its process)
    number in the hundreds, and ``run_replication`` breaks the service's own at the end.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class EventLog:
    """One replication's events, in the order they happened.

    With a ``sink``, ``flush()`` hands the events held so far to it and forgets them, so a long
    run holds at most about one flush's worth in memory; ``flushed`` counts those handed on.
    """

    def __init__(self, sink: Optional[Callable[[list, int], None]] = None) -> None:
        self.events: list = []
        self.append = self.events.append  # the only write: appending a fact
        self.sink = sink
        self.flushed = 0

    def __len__(self) -> int:
        return self.flushed + len(self.events)

    def __iter__(self) -> Iterator:
        if self.flushed:
            raise RuntimeError("this log has been flushed to its sink; read the events back from there")
        return iter(self.events)

    def flush(self) -> None:
        """Hand the held events to the sink (with the sequence number of the first) and drop them."""
        if self.sink is None or not self.events:
            return
        self.sink(self.events, self.flushed)
        self.flushed += len(self.events)
        self.events.clear()  # same list object: ``append`` stays bound to it

    def to_table(self, replication: int, start_date: dt.date) -> pa.Table:
        """The log as an Arrow table with ``SCHEMA``."""
        with collector_paused():
            return events_to_table(self.events, replication, start_date)


class PartWriter:
    """One replication's log written to Parquet in chunks, under a temporary name until complete.

    ``write`` is an ``EventLog`` sink; ``commit`` renames the file into place (atomic on one
    file system), ``abort`` deletes it.  A reader therefore sees a whole part or none.
    """

    def __init__(self, path: Path, replication: int, start_date: dt.date, keep: bool = False) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.replication, self.start_date = replication, start_date
        self.writer = pq.ParquetWriter(self.tmp, SCHEMA, compression="zstd")
        self.rows = 0
        self.kept: list[pa.Table] | None = [] if keep else None

    def write(self, events: list, first_seq: int) -> None:
        with collector_paused():
            table = events_to_table(events, self.replication, self.start_date, first_seq)
        self.writer.write_table(table)
        self.rows += table.num_rows
        if self.kept is not None:
            self.kept.append(table)

    def table(self) -> pa.Table:
        """With ``keep``: the chunks written, as one table (what reading the part back gives)."""
        if self.kept is None:
            raise RuntimeError("this writer was not asked to keep what it wrote")
        return pa.concat_tables(self.kept) if self.kept else SCHEMA.empty_table()

    def commit(self) -> Path:
        self.writer.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def events_to_table(events: list, replication: int, start_date: dt.date, first_seq: int = 0) -> pa.Table:
    """Arrow columns built per event type (transposed at C speed), then put back in log order.

    ``first_seq`` numbers a later chunk of the same log (``seq`` runs on across chunks)."""
    n = len(events)
    # Type codes at C speed, then each type's fields as columns (itemgetter over its rows).
    codes = np.fromiter(map(_TYPE_CODE.__getitem__, map(type, events)), np.int8, n)
    chunks: dict[str, list[pa.Array]] = {c: [] for c in ["t", "event", *ATTRIBUTE_COLUMNS]}
    order: list[np.ndarray] = []
    for code in np.unique(codes).tolist():
        idx = np.flatnonzero(codes == code)
        rows = list(map(events.__getitem__, idx.tolist()))
        cls = type(rows[0])
        values = {f: list(map(itemgetter(k), rows)) for k, f in enumerate(cls._fields)}
        m = len(rows)
        order.append(idx)
        chunks["t"].append(pa.array(values["t"], pa.float64()))
        chunks["event"].append(pa.array(np.full(m, code, np.int8)))
        for c, typ in ATTRIBUTE_COLUMNS.items():
            chunks[c].append(pa.array(values[c], typ) if c in values else pa.nulls(m, typ))
    if n:
        back = np.argsort(np.concatenate(order), kind="stable")
        cols = {c: pa.concat_arrays(v).take(back) for c, v in chunks.items()}
    else:
        cols = {"t": pa.array([], pa.float64()), "event": pa.array([], pa.int8())}
        cols.update({c: pa.array([], typ) for c, typ in ATTRIBUTE_COLUMNS.items()})
    t = cols["t"].to_numpy()
    day0 = (start_date - dt.date(1970, 1, 1)).days
    dates = (np.floor(t).astype(np.int64) + day0).astype(np.int32)
    arrays = [
        pa.array(np.full(n, replication, np.int32)),
        pa.array(np.arange(first_seq, first_seq + n, dtype=np.int64)),
        cols["t"],
        pa.array(dates, pa.int32()).cast(pa.date32()),
        pa.DictionaryArray.from_arrays(cols["event"], EVENT_DICTIONARY),
    ] + [cols[c] for c in ATTRIBUTE_COLUMNS]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def empty_table() -> pa.Table:
    return SCHEMA.empty_table()


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def read_parquet(path: Path) -> pa.Table:
    return pq.read_table(path)


def table_to_events(table: pa.Table) -> Iterable:
    """Typed events back from a table (one replication, in ``seq`` order) for replay."""
    table = table.sort_by("seq")
    names = table.column("event").to_pylist()
    cols = {name: table.column(name).to_pylist() for name in ["t", *ATTRIBUTE_COLUMNS]}
    for i, name in enumerate(names):
        cls = EVENT_TYPES[name]
        yield cls(*(cols[f][i] for f in cls._fields))
