"""The main table: every store, every operation, at every table size, on the same data."""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench import data
from bench.store.subjects import DjangoSubject, Subject
from bench.timing import Timing, measure

#: Distinct tokens each cell cycles through, picked uniformly over the whole table (so a
#: store that scans finds them, on average, half-way through).
TARGETS = 64


@dataclass(frozen=True)
class Plan:
    """How hard to try per cell."""

    reps: int = 400
    budget: float = 2.0
    min_reps: int = 5
    get_tokens_reps: tuple[tuple[int, int], ...] = ((1_000, 30), (10_000, 10), (100_000, 3))
    get_tokens_budget: float = 6.0

    def for_cell(self, operation: str, size: int) -> tuple[int, float, int]:
        """``(reps, budget, min_reps)`` for one cell."""
        if operation != "get_tokens":
            return self.reps, self.budget, self.min_reps
        reps = next((r for limit, r in self.get_tokens_reps if size <= limit), 3)
        return reps, self.get_tokens_budget, min(reps, 3)


@dataclass(frozen=True)
class Cell:
    """One measured cell."""

    subject: str
    operation: str
    size: int
    timing: Timing


def log(message: str) -> None:
    """Progress on stderr (the report goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _preparer(
    subject: Subject, operation: str, targets: Sequence[data.TokenData], round_base: int
) -> Callable[[int], Callable[[], Any]]:
    """Repetition ``i`` of a cell: ``operation`` on the next target token."""

    def prepare(i: int) -> Callable[[], Any]:
        return subject.op(operation, targets[i % len(targets)], round_base + i)

    return prepare


def run_matrix(
    subjects: Sequence[Subject], sizes: Sequence[int], plan: Plan, *, ciphers: object
) -> list[Cell]:
    """Seed every subject up to each size in turn and time every operation."""
    cells: list[Cell] = []
    rows: list[data.TokenData] = []
    rng = random.Random(7)
    for size in sizes:
        new_rows = data.tokens(len(rows) + 1, size)
        rows.extend(new_rows)
        for subject in subjects:
            started = time.perf_counter()
            subject.seed(new_rows)
            log(f"seeded {subject.name} to {size:,} tokens in {time.perf_counter() - started:.1f}s")
        ciphers.forget()  # type: ignore[attr-defined]
        targets = rng.sample(rows, min(TARGETS, len(rows)))
        for subject in subjects:
            if isinstance(subject, DjangoSubject):
                subject.remember_ids(targets)
            subject.check(targets[0])
            for operation in subject.operations:
                reps, budget, min_reps = plan.for_cell(operation, size)

                prepare = _preparer(subject, operation, targets, size * 10)
                timing = measure(prepare, reps=reps, budget=budget, min_reps=min_reps)
                cells.append(Cell(subject.name, operation, size, timing))
                log(
                    f"{subject.name:32} {operation:12} {size:>7,}: median "
                    f"{timing.median * 1e6:10.1f} us, p95 {timing.p95 * 1e6:10.1f} us, n={timing.n}"
                )
    return cells
