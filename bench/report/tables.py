"""The report's tables of figures: per operation, the refresh storm, cleanup at scale,
``find_token``'s steps, and the query plans."""

from __future__ import annotations

from collections.abc import Iterable

from bench.cleanup.scale import CleanupResult
from bench.report.figures import FILESTORE, FLOOR, LABELS, Results, Run, duration, ratio
from bench.storm.measure import THROTTLED, StormResult


def operation_table(run: Run, results: Results, operation: str) -> list[str]:
    """One operation: every store at every table size, against the floor and FileStore."""
    lines = [
        f"### {LABELS[operation]}",
        "",
        "| Store | Tokens | n | Median | p95 | ÷ floor | ÷ FileStore |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for subject in results.subjects:
        for size in run.sizes:
            timing = results.get(subject, operation, size)
            if timing is None:
                continue
            floor = results.median(FLOOR, operation, size)
            filestore = results.median(FILESTORE, operation, size)
            n = f"{timing.n}{'*' if timing.capped else ''}"
            lines.append(
                f"| {subject} | {size:,} | {n} | {duration(timing.median)} | "
                f"{duration(timing.p95)} | {ratio(timing.median / floor) if floor else '-'} | "
                f"{ratio(timing.median / filestore) if filestore else '-'} |"
            )
    lines.append("")
    return lines


def _table(columns: list[str], rows: Iterable[str]) -> list[str]:
    """A Markdown table: the first column text, the others numbers (right-aligned)."""
    return ["| " + " | ".join(columns) + " |", "|---|" + "--:|" * (len(columns) - 1), *rows]


def storm_table(run: Run) -> list[str]:
    """The refresh storm: one row per store."""
    columns = ["Store", "Refresh calls received", "Workers served", "Failed"]
    columns += ["Distinct access tokens handed out", "Median wait", "p95 wait", "Max wait"]
    return _table(columns, (_storm_row(storm) for storm in run.storms))


def _storm_row(storm: StormResult) -> str:
    waits = storm.waits
    p95 = waits[max(0, -(-95 * len(waits) // 100) - 1)]
    failed = f"{storm.failed}"
    if storm.throttled:
        failed += f" ({storm.throttled} throttled by Zoho: `{THROTTLED}`)"
    others = [error for error in storm.errors if THROTTLED not in error]
    if others:
        failed += f" (other: {'; '.join(others)})"
    return (
        f"| {storm.store} | {storm.refresh_calls} | {storm.ok} | {failed} | "
        f"{storm.distinct_access_tokens} | {duration(waits[len(waits) // 2])} | "
        f"{duration(p95)} | {duration(waits[-1])} |"
    )


def cleanup_table(run: Run) -> list[str]:
    """Cleanup at scale: one row per database."""
    columns = ["Database", "Rows", "Deleted", "Wall time", "Peak RSS"]
    columns += ["Baseline RSS (no cleanup)", "Seeding took"]
    return _table(columns, (_cleanup_row(cleanup) for cleanup in run.cleanups))


def _cleanup_row(c: CleanupResult) -> str:
    return (
        f"| {c.backend} | {c.rows:,} | {c.deleted:,} | {c.seconds:.1f} s | "
        f"{c.peak_rss_mb:.1f} MB | {c.baseline_rss_mb:.1f} MB | {c.seed_seconds:.0f} s |"
    )


def breakdown_table(run: Run) -> list[str]:
    """``find_token``'s steps, each as a share of the whole call (empty if none ran)."""
    if not run.breakdown:
        return []
    total = run.breakdown[0][1]
    return [
        f"| Step (find_token by user name, SQLite, {run.sizes[-1]:,} tokens) | Median | "
        "vs find_token |",
        "|---|--:|--:|",
        *(
            f"| {label} | {duration(seconds)} | {seconds / total:.0%} |"
            for label, seconds in run.breakdown
        ),
    ]


def query_plans(run: Run) -> list[str]:
    """The query plan of each lookup's SELECT, per database."""
    lines: list[str] = []
    for label, plans in run.plans.items():
        lines += [f"Query plans on {label} of the SELECT `find_token` runs (`read_active`):", ""]
        for lookup, plan in plans:
            lines += [f"- {lookup}:", "", "  ```", *[f"  {p}" for p in plan.splitlines()], "  ```"]
        lines.append("")
    return lines
