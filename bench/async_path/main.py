"""``python -m bench.async_path``: calls/s, p95, refreshes per expiry and memory of one
ASGI worker with ``asession_for`` against one WSGI worker with 8 threads and
``session_for``, both calling a fake Zoho that answers every API call in 200 ms.

``--clients`` concurrent clients ask for the calls of ``--users`` users for ``--seconds``
seconds per server; half-way, every access token is killed at the fake (the database
still believes them valid), so each user's token must be refreshed exactly once. The
figures go to stdout and, with ``--output``, to a Markdown file. ``--quick`` is CI's
smoke run (a few seconds per server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.async_path.load import LoadResult, run_load
from bench.async_path.servers import FakeProcess, bench_env, start_server
from bench.loadtest.fake import user_email

PAGE_TITLE = (
    "# Benchmarks: async views and task workers\n\n"
    "Written by `make bench` (`python -m bench.async_path`, then `python -m bench.celery_path`)."
    " Figures are ratios against a baseline measured in the same run; the load average says"
    " how idle the machine was.\n\n"
)

#: The targets of issue 27.
SPEEDUP_TARGET = 5.0
P95_FACTOR_TARGET = 1.5


@dataclass
class ServerRun:
    kind: str
    load: LoadResult
    refreshes: list[int]
    rss_mb: float


#: The runs, in order: (key, name in the table, server kind, view path, environment).
RUNS = (
    ("sync", "WSGI, gunicorn 1 worker x 8 threads, session_for", "wsgi", "sync", {}),
    ("async", "ASGI, uvicorn 1 worker (uvloop, httptools), asession_for", "asgi", "async", {}),
    (
        "unlimited",
        "the same, the cap on calls in flight switched off (`LIMITS['ENABLED'] = False`)",
        "asgi",
        "async",
        {"ASYNC_BENCH_LIMITS": "off"},
    ),
    (
        "sleep",
        "ceiling: ASGI, uvicorn 1 worker, a view that only sleeps as long as Zoho takes",
        "asgi",
        "sleep",
        {},
    ),
)


def bench_parser(doc: str | None, output_help: str) -> argparse.ArgumentParser:
    """The options every async-path bench takes (``--quick``, ``--output``), described by the
    first line of ``doc``."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default="", help=output_help)
    return parser


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        __doc__, "Markdown file (default docs/benchmarks-async.md; none with --quick)"
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--latency", type=float, default=0.2)
    args, _others = parser.parse_known_args(argv)  # make bench passes bench.run's too
    if args.quick:
        args.seconds = min(args.seconds, 6.0)
    elif not args.output:
        args.output = str(
            Path(__file__).resolve().parent.parent.parent / "docs" / "benchmarks-async.md"
        )
    return args


def _connect_users(fake: FakeProcess, count: int) -> dict[int, str]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from zoho_tokens.tokens.connect import connect_with_code

    call_command("migrate", verbosity=0)
    emails = {}
    for index in range(count):
        email = user_email(index)
        user = get_user_model().objects.create_user(f"bench{index}", email)
        code = fake.ask(f"code {email}")["code"]
        connect_with_code(code, accounts_server=fake.url, redirect_uri=None, user=user)
        emails[user.pk] = email
    return emails


def _run_server(kind: str, view: str, fake: FakeProcess, emails: dict[int, str], args: argparse.Namespace, env: dict[str, str]) -> ServerRun:  # fmt: skip
    server = start_server(kind, env)
    try:
        base = f"http://127.0.0.1:{server.port}/{view}"
        # Warm-up: each user's call once (imports, connections), not measured.
        asyncio.run(run_load(lambda u: f"{base}/{u}/", emails, clients=len(emails), seconds=1.0))
        before = fake.ask("stats")["refreshes_per_token"]

        async def kill_tokens() -> None:
            await asyncio.to_thread(fake.ask, "invalidate")

        load = asyncio.run(
            run_load(
                lambda u: f"{base}/{u}/",
                emails,
                clients=args.clients,
                seconds=args.seconds,
                midway=kill_tokens,
            )
        )
        after = fake.ask("stats")["refreshes_per_token"]
        return ServerRun(
            kind, load, [a - b for a, b in zip(after, before, strict=True)], server.rss_mb()
        )
    finally:
        server.stop()


def _errors(errors: list[str]) -> str:
    """How many calls failed, and how (``3 (HTTP 500: 2, TimeoutError: 1)``)."""
    if not errors:
        return "0"
    kinds = Counter(errors).most_common()
    return f"{len(errors)} ({', '.join(f'{kind}: {count}' for kind, count in kinds)})"


def render(runs: dict[str, ServerRun], args: argparse.Namespace) -> str:
    wsgi, asgi, ceiling = runs["sync"], runs["async"], runs["sleep"]
    unlimited = runs["unlimited"]
    speedup = asgi.load.calls_per_second / wsgi.load.calls_per_second
    of_ceiling = asgi.load.calls_per_second / ceiling.load.calls_per_second
    p95_factor = asgi.load.percentile(0.95) / max(args.latency, 1e-3)
    ceiling_p95 = ceiling.load.percentile(0.95) / max(args.latency, 1e-3)
    exact = all(set(run.refreshes) == {1} for run in (wsgi, asgi, unlimited))
    clean = all(run.load.wrong_user == 0 and not run.load.errors for run in runs.values())
    rows = [
        "| worker | calls/s | p50 ms | p95 ms | refreshes per expiry | memory MB | errors | wrong user |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    for key, name, _kind, view, _env in RUNS:
        run = runs[key]
        refreshes = sorted(set(run.refreshes)) if view != "sleep" else "(no call)"
        rows.append(
            f"| {name} | {run.load.calls_per_second:.0f} | {run.load.percentile(0.5) * 1000:.0f} "
            f"| {run.load.percentile(0.95) * 1000:.0f} | {refreshes} | {run.rss_mb:.0f} "
            f"| {_errors(run.load.errors)} | {run.load.wrong_user} |"
        )
    verdicts = [
        f"- calls/s, ASGI / WSGI: **{speedup:.1f}x** (target at least {SPEEDUP_TARGET:g}x): "
        f"{'met' if speedup >= SPEEDUP_TARGET else 'NOT met'}",
        f"- p95 of the ASGI worker: **{p95_factor:.2f}x** Zoho's {args.latency * 1000:.0f} ms "
        f"(target at most {P95_FACTOR_TARGET:g}x): {'met' if p95_factor <= P95_FACTOR_TARGET else 'NOT met'}"
        f"; the ceiling's p95 is {ceiling_p95:.2f}x (with {args.clients} clients, a p95 near "
        f"Zoho's latency needs {args.clients / max(args.latency, 1e-3):.0f} calls/s: Little's law)",
        f"- calls/s, ASGI with asession_for / the ceiling: **{of_ceiling:.2f}x** (what the call "
        "path leaves of what one ASGI worker serves here)",
        f"- calls/s with the cap switched off, ASGI / WSGI: "
        f"**{unlimited.load.calls_per_second / wsgi.load.calls_per_second:.1f}x** (against the "
        "line above: what the cap's take of a slot, one write per call, costs the worker)",
        f"- refreshes per killed token: {'exactly 1 for every token, both workers: met' if exact else 'NOT exactly 1'}",
        f"- answers as another user, errors: {'none: met' if clean else 'SOME: NOT met'}",
    ]
    setup = (
        f"{args.clients} concurrent clients, {args.users} users, {args.seconds:g} s per worker, "
        f"fake Zoho answering each API call in {args.latency * 1000:.0f} ms, every access token "
        "killed half-way; SQLite (WAL). Load average at the end: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."
    )
    return "\n".join(
        ["## Async views: asession_for on one ASGI worker", "", setup, "", *rows, "", *verdicts, ""]
    )


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    work = tempfile.mkdtemp(prefix="zoho-async-bench-")
    env = bench_env(str(Path(work) / "bench.sqlite3"))
    fake = FakeProcess(args.users, args.latency, env)
    try:
        env["ASYNC_BENCH_ZOHO"] = fake.url
        os.environ.update(env)
        import django

        django.setup()
        emails = _connect_users(fake, args.users)
        from django.db import connections

        connections.close_all()
        # The ceiling's view answers user_email(pk - 1) without reading anything.
        assert all(email == user_email(pk - 1) for pk, email in emails.items())
        env["ASYNC_BENCH_LATENCY"] = str(args.latency)
        runs = {
            key: _run_server(kind, view, fake, emails, args, {**env, **extra})
            for key, _name, kind, view, extra in RUNS
        }
    finally:
        fake.stop()
    report = render(runs, args)
    print(report)
    if args.output:
        Path(args.output).write_text(PAGE_TITLE + report)
    return 0


if __name__ == "__main__":
    started = time.monotonic()
    sys.exit(main())
