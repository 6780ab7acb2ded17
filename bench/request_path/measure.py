"""The request path: what one CRM call costs through ``acting_as``, against its floors.

``python -m bench.request_path [--calls 200] [--database sqlite|postgres|mariadb] [--json]``
(``make bench`` runs it once per database, see :mod:`bench.request_path.report`): the fake
Zoho in its own process (``bench.loadtest.fake``, Leads of 300 fields), three users
connected, a fresh database; then the same ``get_records`` of Leads made

- with raw ``requests`` and the same access token (the floor: HTTP and JSON only);
- through the SDK with a zero-cost in-memory token store (the SDK's own cost);
- through ``acting_as`` per call (this app's path: a block per request);
- the same with the cap on calls in flight switched off (``LIMITS['ENABLED'] = False``):
  the token store's own path, the cap's take of a slot left out;
- through ``acting_as`` with 10 calls per block;
- through ``session_for(user)`` per call (the REST path without the SDK);

in 1 thread and in 8 threads (3 users). The subjects take turns in interleaved rounds, so
that the machine's noise falls on all alike. Prints each path's median ms per call and
calls/s (a Markdown table, or JSON for the report).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.db import connections
from django.test import override_settings

from bench.loadtest.fake import CLIENT_ID, CLIENT_SECRET, user_email
from bench.request_path.sdk_alone import memory_sdk_user, prepare

KEY = "pwWUxjnHBWNSwmXY4x69S5HdfN6OQ8GKWzvVRNT8jwM="  # bench only, not secret
USERS = 3
THREADS = (1, 8)
REDIRECT_URI = "http://127.0.0.1:1/callback"
#: --database -> the alias of bench/settings.py whose server it uses.
ALIASES = {"sqlite": "default", "postgres": "postgres", "mariadb": "mariadb"}
SDK_ALONE = "SDK alone, in-memory store"
#: The path measured with ``LIMITS['ENABLED'] = False`` (the cap's cost has its own bench).
CAP_OFF = "acting_as per call, the cap switched off"

Call = Callable[[int], None]  # one unit of work as user number n
#: (path, threads) -> (median ms per CRM call, CRM calls per second)
Results = dict[tuple[str, int], tuple[float, float]]


def _configure(database: str, work_dir: str, fake_url: str) -> str:
    """Django settings on a fresh database of the bench's ``database`` server; its version."""
    # bench/settings.py reads these when imported: the database name and the SQLite folder.
    os.environ.setdefault("ZOHO_BENCH_DB", "zoho_request_path")
    os.environ["ZOHO_BENCH_DIR"] = work_dir
    from bench import settings as bench_settings

    alias = ALIASES[database]
    config = bench_settings.DATABASES[alias]
    settings.configure(
        SECRET_KEY="bench-only-not-secret",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "zoho_tokens"],
        # bench.databases creates and drops the database through its own alias.
        DATABASES={"default": config, alias: config},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        ZOHO_TOKENS={
            "ENCRYPTION_KEYS": [KEY],
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "ACCOUNTS_URL": fake_url,
            "API_DOMAIN": fake_url,
            "SDK_RESOURCE_PATH": os.path.join(work_dir, "sdk"),
        },
    )
    import django

    from bench import databases

    django.setup()
    version = databases.recreate(alias)
    databases.migrate("default")
    if alias == "mariadb":
        version += f" ({bench_settings.MYSQL_DRIVER})"
    return version


def _connect_users(fake_url: str) -> list[Any]:
    """Three Django users, each connected to their own fake Zoho account."""
    import requests
    from django.contrib.auth import get_user_model

    from zoho_tokens.conf import DEFAULT_SCOPES
    from zoho_tokens.tokens.connect import connect_with_code

    people = []
    for number in range(USERS):
        query = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": ",".join(DEFAULT_SCOPES),
            "access_type": "offline",
            "login_hint": user_email(number),
        }
        answer = requests.get(
            f"{fake_url}/oauth/v2/auth?{urlencode(query)}", allow_redirects=False, timeout=30
        )
        code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
        person = get_user_model().objects.create_user(f"bench-{number}")
        connect_with_code(code, accounts_server=fake_url, redirect_uri=REDIRECT_URI, user=person)
        people.append(person)
    return people


def _subjects(fake_url: str, people: list[Any]) -> dict[str, tuple[Call, int]]:
    """Name -> (one unit of work as user n, CRM calls it makes)."""
    import requests

    from example_project.crm_demo.leads import LEAD_FIELDS, fetch_leads
    from zoho_tokens.api.session import session_for
    from zoho_tokens.models import ZohoToken
    from zoho_tokens.sdk.as_user import acting_as

    rows = [ZohoToken.objects.get(user=person) for person in people]
    access = [row.access_token for row in rows]
    fields = {"fields": ",".join(LEAD_FIELDS)}
    url = f"{fake_url}/crm/v8/Leads?" + urlencode(fields)

    def floor(n: int) -> None:
        answer = requests.get(
            url, headers={"Authorization": f"Zoho-oauthtoken {access[n]}"}, timeout=30
        )
        answer.raise_for_status()
        answer.json()

    def sdk_alone(n: int) -> None:
        memory_sdk_user(fake_url, n, rows[n])
        fetch_leads()

    def per_request(n: int) -> None:
        with acting_as(people[n]):
            fetch_leads()

    def ten_per_block(n: int) -> None:
        with acting_as(people[n]):
            for _ in range(10):
                fetch_leads()

    def rest_session(n: int) -> None:
        answer = session_for(people[n]).get("Leads", params=fields)
        answer.raise_for_status()
        answer.json()

    return {
        "raw requests (floor)": (floor, 1),
        SDK_ALONE: (sdk_alone, 1),
        "acting_as per call": (per_request, 1),
        CAP_OFF: (per_request, 1),
        "acting_as, 10 calls per block": (ten_per_block, 10),
        "session_for per call": (rest_session, 1),
    }


@contextmanager
def _cap_switched_off(off: bool) -> Iterator[None]:
    """``LIMITS['ENABLED'] = False`` while the block runs, if ``off`` (every thread sees it)."""
    if not off:
        yield
        return
    with override_settings(ZOHO_TOKENS={**settings.ZOHO_TOKENS, "LIMITS": {"ENABLED": False}}):
        yield


def _measure(
    work: Call, calls_per_unit: int, threads: int, units: int
) -> tuple[list[float], float]:
    """(seconds per CRM call of each unit, wall seconds) for ``units`` per thread."""
    durations: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        user = index % USERS
        try:
            work(user)  # warm: the SDK's metadata, connections
            barrier.wait()
            mine = []
            for _ in range(units):
                started = time.perf_counter()
                work(user)
                mine.append((time.perf_counter() - started) / calls_per_unit)
        except BaseException as failure:
            # A thread that fails must not leave the others waiting at the barrier forever.
            failures.append(failure)
            barrier.abort()
            return
        finally:
            # Django closes a thread's connections only when a request ends; these threads
            # serve no request, and every round starts new ones (MariaDB refused connection
            # 152 with "Too many connections").
            connections.close_all()
        with lock:
            durations.extend(mine)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    try:
        barrier.wait()  # the clock starts when every thread is warm
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    real = [f for f in failures if not isinstance(f, threading.BrokenBarrierError)]
    if real:
        raise RuntimeError(f"{len(real)} of {threads} threads failed") from real[0]
    return durations, time.perf_counter() - started


def run(database: str, calls: int, rounds: int) -> tuple[str, Results]:
    """Measure every subject in 1 and 8 threads on ``database``: (its version, results)."""
    fake = subprocess.Popen(
        [sys.executable, "-m", "bench.loadtest.fake", "--users", str(USERS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        fake_url = fake.stdout.readline().split()[1]
        with tempfile.TemporaryDirectory(prefix="zoho-request-path-") as work_dir:
            version = _configure(database, work_dir, fake_url)
            try:
                return version, _measure_all(fake_url, calls, rounds)
            finally:
                from bench import databases
                from zoho_tokens.limits.releaser import flush_releases

                # The last calls' slots, before their database (SQLite: its folder) goes.
                flush_releases()
                databases.drop(ALIASES[database])
    finally:
        fake.kill()
        fake.wait()


def _measure_all(fake_url: str, calls: int, rounds: int) -> Results:
    """Every subject in turn, ``rounds`` times over, at each thread count."""
    from zoho_tokens.models import ZohoToken

    people = _connect_users(fake_url)
    rows = [ZohoToken.objects.get(user=person) for person in people]
    subjects = _subjects(fake_url, people)
    results: Results = {}
    for threads in THREADS:
        durations: dict[str, list[float]] = {name: [] for name in subjects}
        wall = dict.fromkeys(subjects, 0.0)
        for _ in range(rounds):
            for name, (work, per_unit) in subjects.items():
                if not name.startswith("raw"):
                    prepare(name.startswith("SDK alone"), fake_url, rows)
                units = max(2, calls // per_unit // threads // rounds)
                with _cap_switched_off(name == CAP_OFF):
                    taken, seconds = _measure(work, per_unit, threads, units)
                durations[name] += taken
                wall[name] += seconds
        for name, (_, per_unit) in subjects.items():
            rate = len(durations[name]) * per_unit / wall[name]
            results[name, threads] = (statistics.median(durations[name]) * 1000, rate)
    return results
