"""The limits load test: many workers of one Zoho organisation against a fake Zoho that
enforces a cap on calls in flight.

``python -m bench.loadtest.limits`` (``make loadtest`` runs it; ``make loadtest-small`` its
small version): ``--users`` Zoho users of one organisation, each connected; ``--web`` web
workers render a page per call through ``zoho_connection_required`` (served, or the 503
page with ``Retry-After``), ``--tasks`` task workers call ``session_for`` in a loop; all
separate processes sharing the database (or Redis, ``--cache``). The fake answers every
CRM call in ``--latency`` seconds and refuses any call beyond ``--cap`` in flight with a 429;
the workers' limiter is set to the same cap.

It prints and checks: the most calls the fake saw in flight (at most the cap), the 429s it
sent (none), the pages and calls that ended otherwise than served or a clear 503 / throttled
error (none), and the throughput against the cap's ceiling (cap / latency; at least 90 %).
Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import dj_database_url

from bench.loadtest.limits_workers import task_worker, web_worker
from zoho_tokens.testing import FakeZoho, FakeZohoUser
from zoho_tokens.testing.accounts.users import DEFAULT_ZGID

DB_NAME = "zoho_loadtest_limits"
SERVERS = {
    "postgres": os.environ.get("LOADTEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
    "mariadb": os.environ.get("LOADTEST_MARIADB_URL", "mysql://root:@127.0.0.1:3306"),
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--web", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--cap", type=int, default=10)
    # A second, as Zoho CRM answers often take: the check is whether the limiter wastes
    # slots, not whether this machine can run twelve workers flat out.
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--database", default="sqlite", choices=["sqlite", *SERVERS])
    parser.add_argument("--cache", default=None, help="a Redis URL: the slots live there")
    return parser.parse_args(argv)


def _database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix='zoho-limits-'), 'db.sqlite3')}"
    url = f"{SERVERS[kind].rstrip('/')}/{DB_NAME}"
    _recreate(dj_database_url.parse(url))
    return url


def _recreate(config: dict[str, Any]) -> None:
    """Drop and create the load test's own database on its server."""
    if config["ENGINE"].endswith("postgresql"):
        import psycopg

        with psycopg.connect(
            host=config["HOST"],
            port=config["PORT"] or 5432,
            user=config["USER"],
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
            connection.execute(f'CREATE DATABASE "{DB_NAME}"')
        return
    import pymysql

    connection = pymysql.connect(
        host=config["HOST"],
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{DB_NAME}`")
        cursor.execute(f"CREATE DATABASE `{DB_NAME}` CHARACTER SET utf8mb4")
    connection.close()


def _connect_users(fake: FakeZoho, count: int) -> tuple[list[int], list[int]]:
    """Django users and their tokens, one per fake Zoho user; (user ids, token ids)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from zoho_tokens.tokens.connect import connect_with_code

    call_command("migrate", verbosity=0)
    user_ids, token_ids = [], []
    for index, zoho_user in enumerate(fake.users[:count]):
        user = get_user_model().objects.create_user(f"load{index}", zoho_user.email, "pw")
        row = connect_with_code(
            fake.issue_code(user=zoho_user), accounts_server=fake.url, redirect_uri=None, user=user
        ).token
        user_ids.append(user.pk)
        token_ids.append(row.pk)
    return user_ids, token_ids


def _run_workers(
    args: argparse.Namespace, user_ids: list[int], token_ids: list[int]
) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(args.web + args.tasks + 1)
        with ProcessPoolExecutor(args.web + args.tasks, mp_context=context) as pool:
            futures = [
                pool.submit(web_worker, user_ids[i :: args.web] or user_ids, args.seconds, start)
                for i in range(args.web)
            ] + [
                pool.submit(
                    task_worker, token_ids[i :: args.tasks] or token_ids, args.seconds, start
                )
                for i in range(args.tasks)
            ]
            start.wait(timeout=300)
            return [future.result(timeout=args.seconds + 300) for future in futures]


def main(argv: list[str] | None = None) -> int:
    """Run the load test; 0 when every check passes."""
    args = _arguments(argv)
    users = [FakeZohoUser(f"load-{i:03d}@example.com", f"Load User{i}") for i in range(args.users)]
    with FakeZoho(users=users) as fake:
        os.environ.update(
            LIMITS_DATABASE_URL=_database_url(args.database),
            LIMITS_FAKE_URL=fake.url,
            LIMITS_CAP=str(args.cap),
            DJANGO_SETTINGS_MODULE="bench.loadtest.limits_settings",
        )
        if args.cache:
            os.environ["LIMITS_CACHE_URL"] = args.cache
        import django

        django.setup()
        user_ids, token_ids = _connect_users(fake, args.users)
        fake.limits.concurrency_cap = args.cap
        fake.limits.latency = args.latency
        fake.limits.reset()
        results = _run_workers(args, user_ids, token_ids)
        key = f"crm:{DEFAULT_ZGID}"
        most, refused = fake.limits.max_in_flight(key), fake.limits.refused[key]
    return _report(args, results, most, refused)


def _report(
    args: argparse.Namespace, results: list[dict[str, Any]], most: int, refused: int
) -> int:
    web, tasks = Counter[str](), Counter[str]()
    for index, counts in enumerate(results):
        (web if index < args.web else tasks).update(counts)
    served = web["200"] + tasks["200"]
    throughput = served / args.seconds
    ceiling = args.cap / args.latency
    unhandled = sum(n for k, n in web.items() if k not in ("200", "503 with Retry-After")) + sum(
        n for k, n in tasks.items() if k not in ("200", "throttled")
    )
    checks = {
        f"calls in flight at the fake at most the cap ({most} <= {args.cap})": most <= args.cap,
        f"429s sent by the fake: {refused}": refused == 0,
        f"pages/calls neither served nor a clear 503/throttled: {unhandled}": unhandled == 0,
        f"throughput {throughput:.1f}/s within 10 % of the ceiling {ceiling:.1f}/s "
        f"({throughput / ceiling:.0%})": throughput >= 0.9 * ceiling,
    }
    where = args.database + (" + Redis" if args.cache else "")
    print(
        f"Limits load test on {where}: {args.users} users of one organisation, "
        f"{args.web} web + {args.tasks} task workers, cap {args.cap}, latency {args.latency:g} s, "
        f"{args.seconds:g} s"
    )
    print(f"  web pages: {dict(web)}")
    print(f"  task calls: {dict(tasks)}")
    for label, passed in checks.items():
        print(f"  {'ok  ' if passed else 'FAIL'} {label}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
