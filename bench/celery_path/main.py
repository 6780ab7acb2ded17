"""``python -m bench.celery_path``: tasks per second of a Celery worker (threads pool, 8)
whose tasks call the Zoho CRM SDK as their user (``zoho_task`` + ``acting_as``, tokens in
the database), against the same tasks calling the SDK with a zero-cost in-memory token
store. Target: at most 1.1x the time per task.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from celery import Celery

from bench.async_path.main import _connect_users, bench_parser
from bench.async_path.servers import REPO, FakeProcess, bench_env
from bench.celery_path.app import BROKER_URL

TARGET = 1.1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        __doc__,
        "Markdown file to append to (default docs/benchmarks-async.md; none with --quick)",
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args, _others = parser.parse_known_args(argv)
    if args.quick:
        args.tasks, args.rounds = min(args.tasks, 200), 1
    elif not args.output:
        args.output = str(REPO / "docs" / "benchmarks-async.md")
    return args


def _tasks_per_second(subject: str, user_ids: list[int], args: argparse.Namespace, env: dict[str, str]) -> float:  # fmt: skip
    """Start a worker for ``subject``, warm it up, time ``args.tasks`` tasks (best round)."""
    queue = f"zoho-tokens-bench-{uuid.uuid4().hex}"
    command = [
        sys.executable, "-m", "celery", "-A", "bench.celery_path.app", "worker", "--pool",
        "threads", "--concurrency", "8", "--queues", queue, "--without-heartbeat",
        "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
    ]  # fmt: skip
    worker = subprocess.Popen(command, cwd=REPO, env={**env, "CELERY_BENCH_SUBJECT": subject})
    client = Celery(broker=BROKER_URL, backend=BROKER_URL)
    try:
        client.send_task("bench.ping", queue=queue).get(timeout=120)
        warm = [client.send_task("bench.who", args=(u,), queue=queue) for u in user_ids]
        [result.get(timeout=120) for result in warm]
        best = float("inf")
        for _round in range(args.rounds):
            started = time.perf_counter()
            sent = [
                client.send_task("bench.who", args=(user_ids[n % len(user_ids)],), queue=queue)
                for n in range(args.tasks)
            ]
            [result.get(timeout=600) for result in sent]
            best = min(best, time.perf_counter() - started)
        return args.tasks / best
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        client.close()


def render(rates: dict[str, float], args: argparse.Namespace) -> str:
    ratio = rates["sdk_alone"] / rates["acting_as"]
    return "\n".join(
        [
            "## Task workers: Celery tasks as their user",
            "",
            f"One Celery worker, threads pool of 8, {args.tasks} tasks of {args.users} users "
            f"(best of {args.rounds}), each one SDK call (`get_users`) to the fake Zoho. "
            f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
            "",
            "| tasks | tasks/s |",
            "|---|---:|",
            f"| SDK with a zero-cost in-memory store | {rates['sdk_alone']:.0f} |",
            f"| `zoho_task` + `acting_as` (tokens in SQLite) | {rates['acting_as']:.0f} |",
            "",
            f"- time per task, `zoho_task` + `acting_as` / the SDK alone: **{ratio:.2f}x** "
            f"(target at most {TARGET:g}x): {'met' if ratio <= TARGET else 'NOT met'}",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    work = Path(tempfile.mkdtemp(prefix="zoho-celery-bench-"))
    env = bench_env(str(work / "bench.sqlite3"))
    env["ASYNC_BENCH_RESOURCES"] = str(work / "sdk")
    fake = FakeProcess(args.users, 0.0, env)
    try:
        env["ASYNC_BENCH_ZOHO"] = fake.url
        os.environ.update(env)
        import django

        django.setup()
        user_ids = sorted(_connect_users(fake, args.users))
        from django.db import connections

        connections.close_all()
        rates = {s: _tasks_per_second(s, user_ids, args, env) for s in ("sdk_alone", "acting_as")}
    finally:
        fake.stop()
    report = render(rates, args)
    print(report)
    if args.output:
        # After bench.async_path's section, which make bench writes first.
        with open(args.output, "a") as page:
            page.write("\n" + report)
    return 0
