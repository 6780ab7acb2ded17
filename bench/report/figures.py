"""The figures the report is written from: what one run measured, lookups into it, and how
a duration, a ratio or a verdict is written."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.cleanup.scale import CleanupResult
from bench.store.matrix import Cell, Plan
from bench.store.subjects import OPERATIONS
from bench.storm.measure import StormResult
from bench.timing import Timing

FLOOR = "floor (raw sqlite3)"
FILESTORE = "FileStore (SDK, CSV)"
DBSTORE = "DBStore (SDK, MariaDB)"
DJANGO_PREFIX = "DjangoTokenStore ("
DJANGO_SQLITE = "DjangoTokenStore (SQLite)"
FIND_OPERATIONS = ("find_user", "find_refresh", "find_id")
LABELS = dict(OPERATIONS)
#: The table size the targets name.
TARGET_SIZE = 10_000


@dataclass
class Run:
    """Everything one run measured."""

    machine: list[tuple[str, str]]
    sizes: Sequence[int]
    plan: Plan
    cells: list[Cell]
    storms: list[StormResult]
    cleanups: list[CleanupResult]
    breakdown: list[tuple[str, float]]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    subject_notes: dict[str, str] = field(default_factory=dict)
    plans: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    load_at_end: str = ""

    def step(self, label: str) -> float | None:
        """The median of the breakdown's step ``label``, if it ran."""
        return next((seconds for step, seconds in self.breakdown if step == label), None)


class Results:
    """Lookups into one run's cells."""

    def __init__(self, cells: Sequence[Cell]) -> None:
        self.by_key = {(c.subject, c.operation, c.size): c.timing for c in cells}
        self.subjects = list(dict.fromkeys(c.subject for c in cells))

    def get(self, subject: str, operation: str, size: int) -> Timing | None:
        """The timing of one cell, if it ran."""
        return self.by_key.get((subject, operation, size))

    def median(self, subject: str, operation: str, size: int) -> float | None:
        """The median of one cell, if it ran."""
        timing = self.get(subject, operation, size)
        return timing.median if timing is not None else None

    def djangos(self) -> list[str]:
        """DjangoTokenStore, per database."""
        return [s for s in self.subjects if s.startswith(DJANGO_PREFIX)]


def backend(subject: str) -> str:
    """``"PostgreSQL"`` for ``"DjangoTokenStore (PostgreSQL)"``."""
    return subject.removeprefix(DJANGO_PREFIX).removesuffix(")")


def server_floor(server: str) -> str:
    """The subject name of a database server's own floor."""
    return f"floor ({server}, raw SQL)"


def duration(seconds: float) -> str:
    """``seconds`` in s, ms or µs, whichever reads best."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def ratio(value: float) -> str:
    """``value`` as a multiple: ``"2.50x"``, with as many digits as it deserves."""
    if value <= 0:
        return "0x"
    if value < 0.01:
        # Two significant digits, never in exponent notation.
        return f"{value:.{1 - math.floor(math.log10(value))}f}x"
    if value >= 100:
        return f"{value:,.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x"


def verdict(ok: bool | None) -> str:
    """A target's verdict: met, missed, or n/a when it could not be judged."""
    return "n/a" if ok is None else ("**met**" if ok else "**missed**")
