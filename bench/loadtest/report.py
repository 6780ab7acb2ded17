"""The report and the verdict of ``make loadtest``."""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.loadtest.run import Sample

#: Problems listed one by one before the rest are only counted.
MAX_LISTED = 15


@dataclass(frozen=True)
class DatabaseRun:
    """Everything measured on one database."""

    label: str
    samples: list[Sample]
    phases: dict[str, float]
    fake: dict[str, Any]
    metadata: dict[str, int]
    rows: dict[str, int]
    worker_problems: list[str]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _page_table(run: DatabaseRun) -> list[str]:
    lines = [
        "| Page | Requests | p50 ms | p95 ms | Not 2xx/3xx | Lost | Wrong page |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    pages = list(dict.fromkeys(sample.page for sample in run.samples))
    for page in pages:
        timed = [s for s in run.samples if s.page == page and s.seconds > 0]
        seconds = [s.seconds * 1000 for s in timed] or [0.0]
        bad_status = sum(1 for s in timed if s.status is not None and not 200 <= s.status < 400)
        lost = sum(1 for s in timed if s.status is None)
        wrong = sum(1 for s in run.samples if s.page == page and s.seconds == 0 and s.problem)
        lines.append(
            f"| {page} | {len(timed)} | {statistics.median(seconds):.0f} | "
            f"{_percentile(seconds, 0.95):.0f} | {bad_status} | {lost} | {wrong} |"
        )
    return lines


def render(runs: list[DatabaseRun], args: argparse.Namespace) -> str:
    """The report of each run: pages, rates, problems, the fake's counts, files, rows."""
    out: list[str] = []
    for run in runs:
        requests = [s for s in run.samples if s.seconds > 0]
        connect = [s for s in requests if s.phase == "connect"]
        pages = [s for s in requests if s.phase != "connect"]
        refreshes = Counter(run.fake["refreshes_per_token"])
        out += [
            f"\n## {run.label}: {args.users} users x {args.loads} loads x {args.tabs} tabs, "
            f"gunicorn {args.workers} workers x {args.threads} threads, midway: {args.midway}",
            "",
            *_page_table(run),
            "",
            f"- Connect phase: {len(connect)} requests in {run.phases['connect']:.1f} s "
            f"({len(connect) / max(run.phases['connect'], 1e-9):.1f} requests/s)",
            f"- Page phase: {len(pages)} requests in {run.phases['pages']:.1f} s "
            f"({len(pages) / max(run.phases['pages'], 1e-9):.1f} requests/s)",
            "- Refreshes per token: "
            + ", ".join(
                f"{count} refresh(es): {tokens} token(s)"
                for count, tokens in sorted(refreshes.items())
            )
            + f"; code exchanges: {run.fake['exchanges']}",
            f"- Metadata fetches: /settings/fields {run.fake['fields_requests']}, "
            f"/settings/modules {run.fake['modules_requests']}; CRM answers by status: "
            f"{run.fake['crm_statuses']}",
            f"- Metadata files: {run.metadata['files']} ({run.metadata['bytes']:,} bytes), "
            f"corrupt: {run.metadata['corrupt']}, stray temporary files: "
            f"{run.metadata['temporary']}",
            f"- Final rows: {run.rows['rows']} ({run.rows['active']} active); refresh tokens "
            f"live at the fake: {run.fake['live_refresh_tokens']}",
            f"- Errors in gunicorn's log: {len(run.worker_problems)}",
        ]
        for problem, count in Counter(run.worker_problems).most_common(MAX_LISTED):
            out.append(f"  - {count} x {problem}")
        problems = [s for s in run.samples if s.problem]
        if problems:
            out.append(f"- Problems ({len(problems)}):")
            for sample in problems[:MAX_LISTED]:
                out.append(f"  - {sample.phase}, {sample.page}: {sample.problem}")
            kinds = Counter((s.page, (s.problem or "")[:60]) for s in problems[MAX_LISTED:])
            for (page, problem), count in kinds.items():
                out.append(f"  - ... {count} more of {page}: {problem}")
    return "\n".join(out)


def verdict(run: DatabaseRun, args: argparse.Namespace) -> list[str]:
    """Why this run failed (empty: it passed)."""
    problems = []
    bad = [s for s in run.samples if s.problem]
    if bad:
        lost = sum(1 for s in bad if s.status is None)
        problems.append(f"{run.label}: {len(bad)} failed requests or wrong pages ({lost} lost)")
    expected = 1 if args.midway in ("invalidate", "expire") else 0
    refreshes = run.fake["refreshes_per_token"]
    off = [count for count in refreshes if count != expected]
    if off or run.fake["refreshes_of_unknown_tokens"]:
        problems.append(
            f"{run.label}: {len(off)} token(s) not refreshed exactly {expected} time(s): {off}"
        )
    if run.metadata["corrupt"]:
        problems.append(f"{run.label}: {run.metadata['corrupt']} corrupt metadata files")
    if run.rows != {"rows": args.users, "active": args.users}:
        problems.append(f"{run.label}: {run.rows} rows, expected {args.users} active")
    if run.fake["live_refresh_tokens"] != run.rows["active"]:
        problems.append(
            f"{run.label}: {run.fake['live_refresh_tokens']} refresh tokens live at Zoho for "
            f"{run.rows['active']} active rows"
        )
    if run.worker_problems:
        problems.append(f"{run.label}: {len(run.worker_problems)} errors in gunicorn's log")
    return problems
