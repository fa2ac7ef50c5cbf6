"""Named random streams: one numpy Generator per (seed, replication, process).

Each stream's seed is derived from the run seed, the replication number and a stable hash of
the stream's name, not from its position in a list, so adding a stream never shifts the
others.  Replication k of every scenario therefore draws the same sequence for each process
(common random numbers): demand (arrival times, priorities, sources, consent needs) is
identical across scenarios; downstream draws (screening times, outcomes, casework durations)
come in the same sequence but are taken in the order children reach each step, so once
staffing differs they may fall to different children.
"""
from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (crc32 is identical across platforms and runs)."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for process ``name`` in replication ``replication`` of a run seeded ``seed``."""
    seq = np.random.SeedSequence(entropy=seed, spawn_key=(replication, stream_key(name)))
    return np.random.Generator(np.random.PCG64(seq))


class Streams:
    """The streams of one replication, created on first use."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._made: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        rng = self._made.get(name)
        if rng is None:
            rng = self._made[name] = stream(self.seed, self.replication, name)
        return rng
