"""The request path: what one CRM call costs through ``acting_as``, against its floors.

``python -m bench.request_path [--calls 200]`` (also run by ``make bench``): the fake Zoho in
its own process (``bench.loadtest_fake``, Leads of 300 fields), three users connected, a
SQLite database; then the same ``get_records`` of Leads made

- with raw ``requests`` and the same access token (the floor: HTTP and JSON only);
- through the SDK with a zero-cost in-memory token store (the SDK's own cost);
- through ``acting_as`` per call (this app's path: a block per request);
- through ``acting_as`` with 10 calls per block;

in 1 thread and in 8 threads (3 users). Prints a Markdown table: median ms per call,
calls/s, and each median against the SDK alone's, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings

from bench.loadtest_fake import CLIENT_ID, CLIENT_SECRET, user_email

KEY = "pwWUxjnHBWNSwmXY4x69S5HdfN6OQ8GKWzvVRNT8jwM="  # bench only, not secret
USERS = 3
REDIRECT_URI = "http://127.0.0.1:1/callback"
FAR_FUTURE_MS = str(int(time.time() * 1000) + 10 * 365 * 86400 * 1000)

Call = Callable[[int], None]  # one CRM call as user number n


def _configure(work_dir: str, fake_url: str) -> None:
    settings.configure(
        SECRET_KEY="bench-only-not-secret",
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "zoho_tokens"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(work_dir, "db.sqlite3"),
                "OPTIONS": {"timeout": 20},
            }
        },
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
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _connect_users(fake_url: str) -> list[Any]:
    """Three Django users, each connected to their own fake Zoho account."""
    import requests
    from django.contrib.auth import get_user_model

    from zoho_tokens.conf import DEFAULT_SCOPES
    from zoho_tokens.connect import connect_with_code

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
    from zoho_tokens.models import ZohoToken
    from zoho_tokens.sdk import acting_as

    rows = [ZohoToken.objects.get(user=person) for person in people]
    access = [row.access_token for row in rows]
    url = f"{fake_url}/crm/v8/Leads?" + urlencode({"fields": ",".join(LEAD_FIELDS)})

    def floor(n: int) -> None:
        answer = requests.get(
            url, headers={"Authorization": f"Zoho-oauthtoken {access[n]}"}, timeout=30
        )
        answer.raise_for_status()
        answer.json()

    def sdk_alone(n: int) -> None:
        _memory_sdk_user(fake_url, n, rows[n])
        fetch_leads()

    def per_request(n: int) -> None:
        with acting_as(people[n]):
            fetch_leads()

    def ten_per_block(n: int) -> None:
        with acting_as(people[n]):
            for _ in range(10):
                fetch_leads()

    return {
        "raw requests (floor)": (floor, 1),
        "SDK alone, in-memory store": (sdk_alone, 1),
        "acting_as per call": (per_request, 1),
        "acting_as, 10 calls per block": (ten_per_block, 10),
    }


_memory_users: dict[int, Any] = {}


def _remember(fake_url: str, n: int, row: Any) -> None:
    """Put user ``n``'s token into the in-memory store (the SDK alone)."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

    stored = _memory_users.setdefault(n, OAuthToken(id=str(n)))
    stored.set_access_token(row.access_token)
    stored.set_refresh_token(row.refresh_token)
    stored.set_expires_in(FAR_FUTURE_MS)
    stored.set_user_signature(UserSignature(row.user_name))
    stored.set_api_domain(fake_url)


def _memory_sdk_user(fake_url: str, n: int, row: Any) -> None:
    """Make this thread's SDK user the in-memory token of user ``n`` (the SDK alone)."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    from zoho_tokens.sdk import environment_for, sdk_config

    Initializer.switch_user(
        environment=environment_for(fake_url, fake_url),
        token=OAuthToken(id=str(n)),
        sdk_config=sdk_config(),
    )


def _memory_store() -> Any:
    from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

    class MemoryStore(TokenStore):  # type: ignore[misc]
        """Zero-cost: hands out the prepared tokens, saves nothing."""

        def find_token(self, token: Any) -> Any:
            return None

        def find_token_by_id(self, token_id: str) -> Any:
            return _memory_users.get(int(token_id))

        def save_token(self, token: Any) -> None:
            return None

        def delete_token(self, token_id: str) -> None:
            return None

        def get_tokens(self) -> list[Any]:
            return list(_memory_users.values())

        def delete_tokens(self) -> None:
            return None

    return MemoryStore()


def _measure(work: Call, calls_per_unit: int, threads: int, units: int) -> tuple[float, float]:
    """(median ms per CRM call, CRM calls per second) over ``units`` per thread."""
    durations: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker(index: int) -> None:
        user = index % USERS
        work(user)  # warm: the SDK's metadata, connections
        barrier.wait()
        mine = []
        for _ in range(units):
            started = time.perf_counter()
            work(user)
            mine.append((time.perf_counter() - started) / calls_per_unit)
        with lock:
            durations.extend(mine)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return statistics.median(durations) * 1000, len(durations) * calls_per_unit / elapsed


def _prepare(name: str, fake_url: str, rows: list[Any]) -> None:
    """Install the subject's SDK initializer: the in-memory store, or acting_as's."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    from zoho_tokens.sdk import ensure_initialized, environment_for, sdk_config
    from zoho_tokens.testing import reset_zoho_sdk

    resource_path = settings.ZOHO_TOKENS["SDK_RESOURCE_PATH"]
    os.makedirs(resource_path, exist_ok=True)
    reset_zoho_sdk()
    if name.startswith("SDK alone"):
        for n, row in enumerate(rows):
            _remember(fake_url, n, row)
        Initializer.initialize(
            environment=environment_for(fake_url, fake_url),
            token=OAuthToken(id="0"),
            store=_memory_store(),
            sdk_config=sdk_config(),
            resource_path=resource_path,
        )
    else:
        ensure_initialized()


def run(calls: int) -> str:
    """Measure every subject in 1 and 8 threads; the Markdown table."""
    fake = subprocess.Popen(
        [sys.executable, "-m", "bench.loadtest_fake", "--users", str(USERS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        fake_url = fake.stdout.readline().split()[1]
        with tempfile.TemporaryDirectory(prefix="zoho-request-path-") as work_dir:
            _configure(work_dir, fake_url)
            people = _connect_users(fake_url)
            from zoho_tokens.models import ZohoToken

            rows = [ZohoToken.objects.get(user=person) for person in people]
            subjects = _subjects(fake_url, people)
            results: dict[tuple[str, int], tuple[float, float]] = {}
            for threads in (1, 8):
                for name, (work, per_unit) in subjects.items():
                    if not name.startswith("raw"):
                        _prepare(name, fake_url, rows)
                    units = max(3, calls // per_unit // threads)
                    results[name, threads] = _measure(work, per_unit, threads, units)
            return _render(results)
    finally:
        fake.kill()
        fake.wait()


def _render(results: dict[tuple[str, int], tuple[float, float]]) -> str:
    base = {threads: results["SDK alone, in-memory store", threads][0] for threads in (1, 8)}
    lines = [
        "## Request path: one CRM call (`get_records` of Leads, 300 fields)",
        "",
        "| Path | 1 thread: median ms | x SDK alone | calls/s | "
        "8 threads, 3 users: median ms | x SDK alone | calls/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in dict.fromkeys(name for name, _ in results):
        cells = []
        for threads in (1, 8):
            median, rate = results[name, threads]
            cells += [f"{median:.1f}", f"{median / base[threads]:.2f}", f"{rate:.0f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="CRM calls per subject")
    args = parser.parse_args(argv)
    print(run(args.calls))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def report_section(quick: bool) -> str:
    """The table, measured in a process of its own (``make bench`` has its own settings)."""
    calls = "40" if quick else "400"
    result = subprocess.run(
        [sys.executable, "-m", "bench.request_path", "--calls", calls],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return f"## Request path\n\nFailed: {result.stderr.strip().splitlines()[-1:]}"
    return result.stdout.strip()
