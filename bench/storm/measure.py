"""The refresh storm: sixteen processes meet one expired access token at the same moment.

A fake Zoho runs in the bench process. For each store, one row holds an expired access
token with a live refresh token minted by the fake; sixteen worker processes
(:mod:`bench.storm.worker`) drive the SDK's ``OAuthToken.get_token`` on it, released
together. The fake counts the refresh calls it receives; each worker reports how long it
waited for a usable access token. The fake answers the token endpoint after
``ZOHO_LATENCY`` seconds, as the real one takes a while, and enforces Zoho's limit of ten
refreshes per refresh token per ten minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.data import DAY_MS, now_ms
from bench.store.subjects import SDK_TABLE_SCHEMA, with_connection

WORKERS = 16
#: Seconds the fake takes to answer a token request (Zoho's takes a few hundred ms).
ZOHO_LATENCY = 0.3
STORM_USER = "storm@example.com:60012345678"
WARM_USER = "warm@example.com:60012345678"
STORM_TABLE = "oauthtoken_storm"
THROTTLED = "Access Denied"


@dataclass
class StormResult:
    """What one storm showed."""

    store: str
    refresh_calls: int
    throttled: int
    ok: int
    failed: int
    distinct_access_tokens: int
    waits: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def mint_tokens(fake: Any) -> tuple[str, str]:
    """A live (refresh token, access token) pair from the fake, through a code exchange."""
    code = fake.issue_code()
    answer = requests.post(
        fake.token_url,
        data={
            "grant_type": "authorization_code",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "code": code,
        },
        timeout=10,
    ).json()
    return answer["refresh_token"], answer["access_token"]


def _django_rows(fake: Any, alias: str) -> None:
    from zoho_tokens.models import ZohoToken

    refresh_token, access_token = mint_tokens(fake)
    ZohoToken.objects.using(alias).filter(client_id=fake.client_id).delete()
    for name, expires_at_ms in ((STORM_USER, now_ms() - 1000), (WARM_USER, now_ms() + DAY_MS)):
        row = ZohoToken(
            client_id=fake.client_id,
            api_domain=fake.url,
            accounts_server=fake.url,
            location="us",
            expires_at_ms=expires_at_ms,
        )
        row.set_user_name(name)
        row.client_secret = fake.client_secret
        row.refresh_token = refresh_token
        row.access_token = access_token
        row.save(using=alias)


def _dbstore_rows(fake: Any, connect: Any) -> None:
    refresh_token, access_token = mint_tokens(fake)
    values = [
        (
            str(number),
            name,
            fake.client_id,
            fake.client_secret,
            refresh_token,
            access_token,
            None,
            str(expires_at_ms),
            None,
            fake.url,
        )
        for number, name, expires_at_ms in (
            (1, STORM_USER, now_ms() - 1000),
            (2, WARM_USER, now_ms() + DAY_MS),
        )
    ]
    with_connection(
        connect,
        f"DROP TABLE IF EXISTS `{STORM_TABLE}`",
        f"CREATE TABLE `{STORM_TABLE}` {SDK_TABLE_SCHEMA}",
    )
    connection = connect()
    try:
        connection.cursor().executemany(
            f"INSERT INTO `{STORM_TABLE}` VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", values
        )
        connection.commit()
    finally:
        connection.close()


def _run_workers(fake: Any, label: str, worker_args: list[str]) -> StormResult:
    env = {
        **os.environ,
        "ZOHO_BENCH_FAKE_URL": fake.url,
        "ZOHO_BENCH_CLIENT_ID": fake.client_id,
        "ZOHO_BENCH_CLIENT_SECRET": fake.client_secret,
    }
    command = [
        sys.executable, "-m", "bench.storm.worker", "--fake-url", fake.url,
        "--user-name", STORM_USER, "--warm-user-name", WARM_USER, *worker_args,
    ]  # fmt: skip
    launcher = subprocess.Popen(
        [*command, "--workers", str(WORKERS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert launcher.stdin is not None
    assert launcher.stdout is not None
    try:
        for _ in range(WORKERS):
            line = launcher.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"a storm worker for {label} failed to start: {line[:80]}")
        fake.reset_counts()
        launcher.stdin.write("g" * WORKERS)  # one byte releases one worker
        launcher.stdin.flush()
        outcomes = [json.loads(launcher.stdout.readline()) for _ in range(WORKERS)]
        launcher.wait(timeout=60)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    refresh_calls = fake.count("/oauth/v2/token", grant_type="refresh_token")
    # Zoho (and the fake) answer a refresh over the limit with {"error": "Access Denied"}.
    throttled = sum(1 for o in outcomes if not o["ok"] and THROTTLED in (o["error"] or ""))
    tokens = {o["access_token"] for o in outcomes if o["ok"]}
    return StormResult(
        store=label,
        refresh_calls=refresh_calls,
        throttled=throttled,
        ok=sum(1 for o in outcomes if o["ok"]),
        failed=sum(1 for o in outcomes if not o["ok"]),
        distinct_access_tokens=len(tokens),
        waits=sorted(o["wait"] for o in outcomes),
        errors=sorted({(o["error"] or "") for o in outcomes if not o["ok"]}),  # no secrets
    )


def run_storms(django_aliases: dict[str, str], dbstore: dict[str, Any] | None) -> list[StormResult]:
    """One storm per ``DjangoTokenStore`` database, and one for the SDK's ``DBStore``.

    ``dbstore`` holds ``connect`` (a DB-API connection factory), ``database`` and the
    ``DBStore`` connection arguments; None skips it.
    """
    from zoho_tokens.testing import FakeZoho

    results = []
    with FakeZoho(client_id="1000.STORMCLIENT", client_secret="storm-client-secret") as fake:
        fake.delay = ZOHO_LATENCY
        for label, alias in django_aliases.items():
            _django_rows(fake, alias)
            started = time.perf_counter()
            results.append(
                _run_workers(
                    fake, f"DjangoTokenStore ({label})", ["--store", "django", "--alias", alias]
                )
            )
            _log(results[-1], time.perf_counter() - started)
        if dbstore is not None:
            _dbstore_rows(fake, dbstore["connect"])
            kwargs = dbstore["kwargs"]
            started = time.perf_counter()
            results.append(
                _run_workers(
                    fake,
                    "DBStore (SDK, MariaDB)",
                    [
                        "--store",
                        "dbstore",
                        "--database",
                        dbstore["database"],
                        "--table",
                        STORM_TABLE,
                        "--host",
                        kwargs["host"],
                        "--port",
                        str(kwargs["port_number"]),
                        "--db-user",
                        kwargs["user_name"],
                        "--db-password",
                        kwargs["password"],
                    ],
                )
            )
            _log(results[-1], time.perf_counter() - started)
    return results


def _log(result: StormResult, seconds: float) -> None:
    from bench.store.matrix import log

    log(
        f"storm {result.store}: {result.refresh_calls} refresh calls, {result.ok} ok, "
        f"{result.failed} failed, max wait {max(result.waits):.3f}s ({seconds:.1f}s with start-up)"
    )
