"""Timing one cell (one store, one operation, one table size): median and p95.

Each repetition prepares its call untimed, then times only the call with
``time.perf_counter_ns``. A cell stops at its repetition count or at its time budget,
whichever comes first, but never before ``min_reps``; a cell cut short by the budget says
so (``capped``), and the report prints it.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """The timings of one cell, in seconds."""

    samples: tuple[float, ...]
    wanted: int
    capped: bool

    @property
    def n(self) -> int:
        """Timed repetitions."""
        return len(self.samples)

    @property
    def median(self) -> float:
        """Median time of one call."""
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        """95th percentile (nearest rank) of one call."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(
    prepare: Callable[[int], Callable[[], Any]],
    *,
    reps: int,
    budget: float,
    min_reps: int = 5,
    warmup: int = 2,
) -> Timing:
    """Time ``prepare(i)()`` for i = 0, 1, ... after ``warmup`` untimed calls.

    ``budget`` is wall-clock seconds for the whole cell, preparation included.
    """
    started = time.perf_counter()
    for i in range(warmup):
        prepare(-1 - i)()
        if time.perf_counter() - started > budget / 4:
            break  # a slow cell: one warm-up call is enough
    gc.collect()
    samples: list[float] = []
    started = time.perf_counter()
    for i in range(reps):
        call = prepare(i)
        begin = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - begin) / 1e9)
        if len(samples) >= min_reps and time.perf_counter() - started > budget:
            break
    return Timing(tuple(samples), wanted=reps, capped=len(samples) < reps)
