"""What ``session_for`` costs per call, against a raw ``requests`` call with the same token.

    python -m bench.request_path.session_overhead [--calls 300]

One run, one fake Zoho on 127.0.0.1, one SQLite database in a temporary folder. Three ways
of making the same CRM call (``GET /crm/v8/org``) with the same access token, in
interleaved rounds so that the machine's noise falls on all three alike:

* ``raw``: ``requests.Session().get(url, headers=Authorization, timeout=...)``, the floor;
* ``session``: one ``session_for(token)`` reused for every call (re-reads the row, checks
  freshness, resolves the URL, reads the body within the time limit);
* ``per call``: ``session_for(user)`` made for each call, as a view does.

It prints the median and p95 per call and each one's ratio to ``raw``. The fake answers
over HTTP/1.0 (a new connection per request), for all three alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import django
from django.conf import settings


def _setup(folder: str) -> None:
    settings.configure(
        SECRET_KEY="bench-only-not-secret",
        USE_TZ=True,
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(folder, "session-overhead.sqlite3"),
            }
        },
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "zoho_tokens"],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        ZOHO_TOKENS={"ENCRYPTION_KEYS": ["Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg="]},
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    """Measure and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per way, after warm-up")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        _setup(folder)
        _measure(args.calls)


def _measure(calls: int) -> None:
    import requests
    from django.contrib.auth import get_user_model

    from zoho_tokens.api.session import session_for
    from zoho_tokens.testing import DEFAULT_SCOPES, FakeZoho
    from zoho_tokens.tokens.connect import connect_with_code

    with FakeZoho() as fake:
        settings.ZOHO_TOKENS = {
            **settings.ZOHO_TOKENS,
            "CLIENT_ID": fake.client_id,
            "CLIENT_SECRET": fake.client_secret,
            "ACCOUNTS_URL": fake.url,
            "API_DOMAIN": fake.url,
        }
        user = get_user_model().objects.create_user("bench")
        row = connect_with_code(
            fake.issue_code(scopes=DEFAULT_SCOPES),
            accounts_server=fake.url,
            redirect_uri=None,
            user=user,
        ).token
        raw = requests.Session()
        headers = {"Authorization": f"Zoho-oauthtoken {row.access_token}"}
        reused = session_for(row)
        ways: dict[str, Callable[[], object]] = {
            "raw requests": lambda: raw.get(f"{fake.url}/crm/v8/org", headers=headers, timeout=10),
            "session_for, reused": lambda: reused.get("org"),
            "session_for per call": lambda: session_for(user).get("org"),
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        for round_ in range(calls + 20):
            for name, call in ways.items():
                elapsed = _timed(call)
                if round_ >= 20:  # warm-up rounds are not counted
                    times[name].append(elapsed)
    _report(times)


def _report(times: dict[str, list[float]]) -> None:
    floor = statistics.median(times["raw requests"])
    print(f"{'way':<22} {'median ms':>10} {'p95 ms':>8} {'x raw':>7}")
    for name, values in times.items():
        values.sort()
        median = statistics.median(values)
        p95 = values[int(len(values) * 0.95) - 1]
        print(f"{name:<22} {median * 1000:>10.3f} {p95 * 1000:>8.3f} {median / floor:>7.2f}")
    extra = statistics.median(times["session_for, reused"]) - floor
    print(f"session_for adds {extra * 1000:.3f} ms per call over raw requests (median).")


if __name__ == "__main__":
    main()
