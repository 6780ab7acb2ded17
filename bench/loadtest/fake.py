"""The fake Zoho of ``make loadtest``, in a process of its own, driven through stdin.

``python -m bench.loadtest.fake --users 40 --fields 300`` prints ``READY <url>``, then
answers one JSON line per command line read on stdin:

``invalidate``
    Kill every access token issued so far, at the fake only (as when Zoho ends sessions
    early: the app's database still believes them valid). ``{"invalidated": n}``.
``stats``
    What the fake saw: refreshes per refresh token, code exchanges, metadata requests,
    CRM answers by status. No token appears in it.
``code <email>``
    A grant code for that user (as if they had consented), to connect them without a
    browser. ``{"code": ...}``.
``latency <seconds>``
    From now on, every CRM and Books answer waits that long. ``{"latency": seconds}``.
``quit``
    Stop.

``--api-latency`` sets that wait from the start (the async benchmark's Zoho that takes
its time).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from zoho_tokens.testing import TOKEN_PATH, FakeZoho, FakeZohoUser
from zoho_tokens.testing.crm.handlers import make_wide_leads

CLIENT_ID = "1000.LOADTESTCLIENTFAKEZOHO000"
CLIENT_SECRET = "load-test-client-secret-for-the-fake-zoho"


def user_email(index: int) -> str:
    """The Zoho account of the load test's virtual user ``index``."""
    return f"load-{index:03d}@example.com"


def stats(fake: FakeZoho) -> dict[str, Any]:
    """What the fake saw, without any token in it."""
    refreshes: Counter[str] = Counter()
    crm_statuses: Counter[str] = Counter()
    for recorded in fake.requests:
        if recorded.path == TOKEN_PATH and recorded.params.get("grant_type") == "refresh_token":
            refreshes[recorded.params.get("refresh_token", "")] += 1
        elif recorded.path.startswith("/crm/"):
            crm_statuses[str(recorded.status)] += 1
    issued = [token.token for token in fake.refresh_tokens]
    return {
        "refresh_tokens": len(issued),
        "live_refresh_tokens": sum(1 for t in fake.refresh_tokens if t.invalidated is None),
        # Per refresh token the fake issued, in issue order: how often it was refreshed.
        "refreshes_per_token": [refreshes.get(token, 0) for token in issued],
        "refreshes_of_unknown_tokens": sum(
            count for token, count in refreshes.items() if token not in set(issued)
        ),
        "exchanges": fake.count(TOKEN_PATH, grant_type="authorization_code"),
        "fields_requests": sum(1 for r in fake.requests if r.path.endswith("/settings/fields")),
        "modules_requests": sum(1 for r in fake.requests if r.path.endswith("/settings/modules")),
        "crm_statuses": dict(crm_statuses),
    }


def main(argv: list[str] | None = None) -> int:
    """Serve until ``quit`` or the end of stdin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--leads", type=int, default=5)
    parser.add_argument("--fields", type=int, default=300)
    parser.add_argument("--api-latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    users = [FakeZohoUser(user_email(n), f"Load User {n}") for n in range(args.users)]
    with FakeZoho(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        users=users,
        leads=make_wide_leads(args.leads, args.fields),
        auto_consent=True,
    ) as fake:
        # Zoho throttles refreshes per refresh token; the load test counts them instead.
        fake.refresh_limit = 1000
        fake.api_latency = {"crm": args.api_latency, "books": args.api_latency}
        print(f"READY {fake.url}", flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "invalidate":
                answer: dict[str, Any] = {"invalidated": fake.expire_access_tokens()}
            elif command == "stats":
                answer = stats(fake)
            elif command.startswith("latency "):
                seconds = float(command.partition(" ")[2])
                fake.api_latency = {"crm": seconds, "books": seconds}
                answer = {"latency": seconds}
            elif command.startswith("code "):
                answer = {"code": fake.issue_code(user=command.partition(" ")[2])}
            elif command == "quit":
                break
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
