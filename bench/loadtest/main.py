"""``make loadtest``: the example project under gunicorn, as users run it, against a fake Zoho.

For each database (SQLite, PostgreSQL, MariaDB; a server that does not answer is left out):
a fresh database, the example project under gunicorn (``--workers`` processes), the fake
Zoho in its own process (Leads with a few hundred fields, as real ones have). Then:

1. ``--users`` virtual users connect at once: "Sign in with Zoho" over HTTP, the fake
   consenting for each (its ``login_hint``), so every user gets a Django account and a token.
2. Each user loads "My CRM leads" ``--loads`` times in each of ``--tabs`` tabs at once.
   Half-way (every tab waits for the others), ``--midway`` happens: ``invalidate`` kills
   every access token at the fake only (Zoho ending sessions early; the database still
   believes them valid), ``expire`` does that and marks them expired in the database too
   (the ordinary refresh), ``none`` does nothing.

It prints requests/s, p50/p95 per page, every answer that is not 2xx/3xx, refreshes per
token, metadata fetches, corrupt metadata files and the final row count; and fails (exit
status 1) on any error page, empty result, lost connection, or a token refreshed more (or
less) than once per invalidation.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from cryptography.fernet import Fernet

from bench.loadtest import run as loadtest_run
from bench.loadtest.fake import CLIENT_ID, CLIENT_SECRET
from bench.loadtest.report import DatabaseRun, render, verdict

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"

#: Report label -> URL of the server (the database name is appended), for --databases.
SERVERS = {
    "sqlite": None,
    "postgres": os.environ.get("LOADTEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"),
    "mariadb": os.environ.get("LOADTEST_MARIADB_URL", "mysql://root:@127.0.0.1:3306"),
}


class Fake:
    """The fake Zoho process (``bench.loadtest.fake``) and its stdin commands."""

    def __init__(self, users: int, fields: int, leads: int) -> None:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "bench.loadtest.fake"),
                *("--users", str(users), "--fields", str(fields), "--leads", str(leads)),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().split()
        if first[:1] != ["READY"]:
            raise RuntimeError("the fake Zoho did not start")
        self.url = first[1]
        self._lock = threading.Lock()

    def command(self, name: str) -> dict[str, Any]:
        """Send one command; return its JSON answer."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        with self._lock:
            self.process.stdin.write(name + "\n")
            self.process.stdin.flush()
            answer: dict[str, Any] = json.loads(self.process.stdout.readline())
            return answer

    def stop(self) -> None:
        """Quit, or be killed."""
        try:
            self.command("quit")
        except (OSError, ValueError):
            pass
        _stop(self.process)


def _stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM the process group we started, then SIGKILL it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


def _database_url(label: str, name: str, work_dir: str) -> str:
    """A fresh, empty database for ``label``; its URL."""
    if label == "sqlite":
        return f"sqlite:///{os.path.join(work_dir, name)}.sqlite3"
    server = SERVERS[label]
    assert server is not None
    if label == "postgres":
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        import dj_database_url
        import pymysql

        config = dj_database_url.parse(f"{server}/mysql")
        conn = pymysql.connect(
            host=config["HOST"] or LOOPBACK,
            port=int(config["PORT"] or 3306),
            user=config["USER"],
            password=config["PASSWORD"] or "",
            connect_timeout=3,
        )
        with conn, conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    return f"{server}/{name}"


def _environment(database_url: str, resource_path: str, fake_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.loadtest.settings",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        LOADTEST_DATABASE_URL=database_url,
        LOADTEST_RESOURCE_PATH=resource_path,
        ZOHO_CLIENT_ID=CLIENT_ID,
        ZOHO_CLIENT_SECRET=CLIENT_SECRET,
        ZOHO_DATA_CENTER="us",
        ZOHO_ACCOUNTS_URL=fake_url,
        ZOHO_API_DOMAIN=fake_url,
        ZOHO_TOKENS_KEY=Fernet.generate_key().decode(),
        DJANGO_SECRET_KEY="load-test-only-" + Fernet.generate_key().decode(),
    )
    env.pop("ZOHO_REDIRECT_URI", None)
    return env


def django_admin(env: dict[str, str], *args: str) -> str:
    """``python -m django <args>`` with the load test's settings; its output."""
    result = subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"django {args[0]} failed: {result.stderr[-2000:]}")
    return result.stdout


ROWS_SCRIPT = (
    "import json; from zoho_tokens.models import ZohoToken as T; "
    "print('ROWS', json.dumps({'rows': T.objects.count(), "
    "'active': T.objects.filter(status='active').count()}))"
)
EXPIRE_SCRIPT = "from zoho_tokens.models import ZohoToken as T; T.objects.update(expires_at_ms=0)"


def _gunicorn(env: dict[str, str], workers: int, threads: int, log: str) -> tuple[Any, str]:
    import socket

    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    with open(log, "ab") as output:  # the workers' stderr too: Django's 500 tracebacks
        process = _start_gunicorn(env, workers, threads, port, output)
    url = f"http://{LOOPBACK}:{port}/"
    loadtest_run.wait_for(url, process)
    return process, url


def _start_gunicorn(
    env: dict[str, str], workers: int, threads: int, port: int, output: Any
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--workers", str(workers)),
            *("--threads", str(threads), "--bind", f"{LOOPBACK}:{port}"),
            *("--timeout", "120", "--error-logfile", "-"),
            "django.core.wsgi:get_wsgi_application()",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=output,
        stderr=output,
    )


def run_database(label: str, args: argparse.Namespace, work_dir: str) -> DatabaseRun:
    """The whole load test on one database."""
    resource_path = os.path.join(work_dir, f"sdk-{label}")
    try:
        database_url = _database_url(label, args.db_name, work_dir)
    except Exception as err:  # any driver's "cannot connect": leave this database out
        raise loadtest_run.ServerUnavailable(f"{type(err).__name__}: {err}") from err
    fake = Fake(args.users, args.fields, args.leads)
    gunicorn = None
    try:
        env = _environment(database_url, resource_path, fake.url)
        django_admin(env, "migrate", "--verbosity", "0")
        log = os.path.join(work_dir, f"gunicorn-{label}.log")
        gunicorn, app_url = _gunicorn(env, args.workers, args.threads, log)

        def midway() -> None:
            if args.midway in ("invalidate", "expire"):
                fake.command("invalidate")
            if args.midway == "expire":
                django_admin(env, "shell", "-c", EXPIRE_SCRIPT)

        plan = loadtest_run.Plan(args.users, args.loads, args.tabs, args.leads, midway)
        samples, phases = loadtest_run.drive(app_url, urljoin(fake.url, "/"), plan)
        output = django_admin(env, "shell", "-c", ROWS_SCRIPT)
        rows = json.loads(output[output.rindex("ROWS ") + 5 :])
        log_text = Path(log).read_text(errors="replace")
        return DatabaseRun(
            label=label,
            samples=samples,
            phases=phases,
            fake=fake.command("stats"),
            metadata=loadtest_run.scan_metadata(resource_path),
            rows=rows,
            worker_problems=loadtest_run.log_problems(log_text),
        )
    finally:
        if gunicorn is not None:
            _stop(gunicorn)
        fake.stop()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--loads", type=int, default=20, help="page loads per tab")
    parser.add_argument("--tabs", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--leads", type=int, default=5)
    parser.add_argument("--fields", type=int, default=300, help="fields of a lead")
    parser.add_argument("--midway", choices=("invalidate", "expire", "none"), default="invalidate")
    parser.add_argument("--databases", default="sqlite,postgres,mariadb")
    parser.add_argument("--db-name", default="zoho_loadtest")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run on every database asked for; print the report; 1 if any run failed."""
    args = _arguments(argv)
    work_dir = tempfile.mkdtemp(prefix="zoho-loadtest-")
    runs: list[DatabaseRun] = []
    left_out: list[str] = []
    try:
        for label in [name.strip() for name in args.databases.split(",") if name.strip()]:
            try:
                runs.append(run_database(label, args, work_dir))
            except loadtest_run.ServerUnavailable as err:
                left_out.append(f"{label}: {err}")
                continue
            print(render(runs[-1:], args), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
    failures = [problem for run in runs for problem in verdict(run, args)]
    for note in left_out:
        print(f"Left out: {note}")
    print(f"\n{len(runs)} database(s): " + ("FAILED" if failures or not runs else "passed"))
    for problem in failures:
        print(f"  - {problem}")
    return 1 if failures or not runs else 0


if __name__ == "__main__":
    raise SystemExit(main())
