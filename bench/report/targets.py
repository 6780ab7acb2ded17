"""The report's targets table: each target the bench judges, per store, met or missed."""

from __future__ import annotations

from collections.abc import Sequence

from bench.report.figures import (
    DBSTORE,
    DJANGO_PREFIX,
    FILESTORE,
    FIND_OPERATIONS,
    FLOOR,
    LABELS,
    TARGET_SIZE,
    Results,
    Run,
    backend,
    ratio,
    server_floor,
    verdict,
)

#: Stores DjangoTokenStore must beat at ``TARGET_SIZE``, and by how much.
SPEEDUP_TARGETS = ((FILESTORE, 50), (DBSTORE, 3))


def targets_table(run: Run, results: Results) -> list[str]:
    """The targets table: one row per target and store."""
    sizes = list(run.sizes)
    subjects = results.djangos()
    lines = [
        "| Target | Store | Measured | Verdict |",
        "|---|---|---|---|",
    ]
    lines += [row for subject in subjects if (row := _near_floor(subject, sizes, results))]
    if len(sizes) >= 2:
        lines += [row for subject in subjects if (row := _flat(subject, sizes, results))]
    for other, needed in SPEEDUP_TARGETS:
        lines += [row for subject in subjects if (row := _faster(subject, other, needed, results))]
    lines += [
        f"| exactly one refresh call in the storm | {storm.store} | "
        f"{storm.refresh_calls} | {verdict(storm.refresh_calls == 1)} |"
        for storm in run.storms
        if storm.store.startswith(DJANGO_PREFIX)
    ]
    lines += [
        f"| cleanup of {cleanup.rows:,} rows under 150 MB peak memory | "
        f"cleanup_zoho_tokens ({cleanup.backend}) | {cleanup.peak_rss_mb:.0f} MB | "
        f"{verdict(cleanup.peak_rss_mb < 150 and cleanup.rows >= 1_000_000)} |"
        for cleanup in run.cleanups
    ]
    return lines


def _near_floor(subject: str, sizes: Sequence[int], results: Results) -> str | None:
    """find_token within 20x of the SQLite floor, judged on its worst lookup and size."""
    worst: tuple[float, str, str] | None = None
    for operation in FIND_OPERATIONS:
        for size in sizes:
            mine, floor = (
                results.median(subject, operation, size),
                results.median(FLOOR, operation, size),
            )
            if mine is None or floor is None:
                continue
            if worst is None or mine / floor > worst[0]:
                own = results.median(server_floor(backend(subject)), operation, size)
                context = (
                    f"; the server's own indexed SELECT alone: {ratio(own / floor)}" if own else ""
                )
                worst = (mine / floor, f"{LABELS[operation]} at {size:,}", context)
    if worst is None:
        return None
    return (
        f"| find_token within 20x of the SQLite floor (worst case) | {subject} | "
        f"{ratio(worst[0])} ({worst[1]}{worst[2]}) | {verdict(worst[0] <= 20)} |"
    )


def _flat(subject: str, sizes: Sequence[int], results: Results) -> str | None:
    """find_token at the largest size at most 1.3x the smallest, on its worst lookup."""
    small, large = sizes[0], sizes[-1]
    ratios = []
    for operation in FIND_OPERATIONS:
        a, b = (
            results.median(subject, operation, small),
            results.median(subject, operation, large),
        )
        if a and b:
            ratios.append((b / a, LABELS[operation]))
    if not ratios:
        return None
    worst_ratio, label = max(ratios)
    return (
        f"| find_token flat: {large:,} tokens at most 1.3x {small:,} | {subject} | "
        f"{ratio(worst_ratio)} (worst: {label}) | {verdict(worst_ratio <= 1.3)} |"
    )


def _faster(subject: str, other: str, needed: int, results: Results) -> str | None:
    """find_token at least ``needed`` times faster than ``other``, on its closest lookup."""
    speedups = []
    for operation in FIND_OPERATIONS:
        mine = results.median(subject, operation, TARGET_SIZE)
        theirs = results.median(other, operation, TARGET_SIZE)
        if mine and theirs:
            speedups.append((theirs / mine, LABELS[operation]))
    if not speedups:
        return None
    least, label = min(speedups)
    measured = f"{ratio(least)} faster" if least >= 1 else f"{ratio(1 / least)} slower"
    return (
        f"| find_token at least {needed}x faster than {other} at {TARGET_SIZE:,} | "
        f"{subject} | {measured} (least: {label}) | {verdict(least >= needed)} |"
    )
