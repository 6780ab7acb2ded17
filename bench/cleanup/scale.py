"""Cleanup at scale: ``cleanup_zoho_tokens`` on a table of 1,000,000 rows, half deletable.

Rows are written straight into the table in large batches (``executemany``; ``COPY`` on
PostgreSQL), with one precomputed ciphertext per secret reused by every row: only the
user name and the lookup digests differ from row to row, as the unique constraint needs.
Row ``i`` falls in a category by ``i % 20``, so deletable rows are spread over the whole
key range:

=========  ==========================================  =========
``i % 20``  row                                         cleanup
=========  ==========================================  =========
0-4        revoked 60 days ago                          deletes
5-9        needing re-authorisation for 60 days         deletes
10-17      active, refreshable                          keeps
18         revoked 5 days ago                           keeps
19         needing re-authorisation for 5 days          keeps
=========  ==========================================  =========

The command then runs in a child process (:mod:`bench.cleanup.worker`), which reports its
wall time and its peak resident set size (``VmHWM``; see the worker for why not
``getrusage``). A baseline child that does everything but the cleanup gives the memory
of the interpreter, Django and the app alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench import data
from zoho_tokens.conf import DEFAULT_SCOPES

ROWS = 1_000_000
BATCH = 10_000


@dataclass(frozen=True)
class CleanupResult:
    """One cleanup run."""

    backend: str
    rows: int
    deleted: int
    remaining: int
    seconds: float
    peak_rss_mb: float
    baseline_rss_mb: float
    seed_seconds: float


def _columns() -> list[Any]:
    from zoho_tokens.models import ZohoToken

    return [field for field in ZohoToken._meta.concrete_fields if not field.primary_key]


def _templates() -> list[dict[str, Any]]:
    """Column values per ``i % 20`` category, secrets already encrypted."""
    from django.utils import timezone

    from zoho_tokens.models.crypto import keyring

    ring = keyring()
    now = timezone.now()
    secret = ring.encrypt(data.CLIENT_SECRET)
    refresh = ring.encrypt(data.token(1).refresh_token)
    access = ring.encrypt(data.token(1).access_token)
    common = {
        "user_id": None,
        "client_id": data.CLIENT_ID,
        "client_secret_encrypted": secret,
        "refresh_token_encrypted": refresh,
        "access_token_encrypted": access,
        "grant_token_encrypted": "",
        "grant_token_digest": None,
        "expires_at_ms": data.now_ms() + data.DAY_MS,
        "redirect_url": data.REDIRECT_URL,
        "api_domain": data.API_DOMAIN,
        "accounts_server": data.ACCOUNTS_SERVER,
        "location": "us",
        "status": "active",
        "status_changed_at": now - timedelta(days=90),
        "remote_revoke_pending": False,
        "last_refreshed_at": None,
        "granted_scopes": ",".join(DEFAULT_SCOPES),
        "refresh_failure": "",
        "refresh_backoff_until": None,
        "created_at": now - timedelta(days=90),
        "updated_at": now,
    }
    revoked = {
        "status": "revoked",
        "client_secret_encrypted": "",
        "refresh_token_encrypted": "",
        "access_token_encrypted": "",
        "expires_at_ms": None,
    }
    reauth = {"status": "needs_reauth", "access_token_encrypted": "", "expires_at_ms": None}
    old, recent = now - timedelta(days=60), now - timedelta(days=5)
    return (
        [{**common, **revoked, "status_changed_at": old}] * 5
        + [{**common, **reauth, "status_changed_at": old}] * 5
        + [common] * 8
        + [{**common, **revoked, "status_changed_at": recent}]
        + [{**common, **reauth, "status_changed_at": recent}]
    )


def _rows(
    first: int, last: int, templates: list[dict[str, Any]], names: list[str]
) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(first, last):
        values = dict(templates[i % 20])
        user_name = f"user{i:07d}@example.com:{data.ORG_ZGID}"
        values["user_name"] = user_name
        values["user_name_digest"] = hashlib.sha256(user_name.encode()).hexdigest()
        values["refresh_token_digest"] = hashlib.sha256(b"r%d" % i).hexdigest()
        values["access_token_digest"] = (
            hashlib.sha256(b"a%d" % i).hexdigest() if values["access_token_encrypted"] else None
        )
        rows.append(tuple(values[name] for name in names))
    return rows


def seed(alias: str, rows: int = ROWS) -> float:
    """Fill ``alias``'s (empty) token table with ``rows`` rows; returns the seconds taken."""
    from django.db import connections, transaction

    from zoho_tokens.models import ZohoToken

    started = time.perf_counter()
    connection = connections[alias]
    fields = _columns()
    names = [field.attname for field in fields]
    templates = _templates()
    if connection.vendor != "postgresql":
        # Adapted once per category (datetimes to the backend's format): the values that
        # vary per row are plain strings, which need no adapting.
        templates = [
            {
                field.attname: field.get_db_prep_save(t[field.attname], connection)
                for field in fields
                if field.attname in t
            }
            for t in templates
        ]
    quote = connection.ops.quote_name
    table = quote(ZohoToken._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    for first in range(0, rows, BATCH):
        batch = _rows(first, min(first + BATCH, rows), templates, names)
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", batch
                )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")  # what autovacuum would have done by now
    connection.close()
    return time.perf_counter() - started


def _run_worker(alias: str, *, baseline: bool, cwd: str) -> tuple[dict[str, Any], float]:
    """Run the cleanup worker; returns its JSON answer and its peak RSS in MB."""
    env = {**os.environ, "ZOHO_BENCH_DEFAULT_ALIAS": alias}
    command = [sys.executable, "-m", "bench.cleanup.worker", "--alias", alias]
    if baseline:
        command.append("--baseline")
    output = subprocess.run(
        command, stdout=subprocess.PIPE, env=env, cwd=cwd, text=True, check=True
    ).stdout
    answer = json.loads(output.strip().splitlines()[-1])
    return answer, answer["peak_kb"] / 1024


def run(label: str, alias: str, *, cwd: str, rows: int = ROWS) -> CleanupResult:
    """Seed ``alias`` with ``rows`` rows and time the cleanup command on it."""
    from bench.store.matrix import log

    seed_seconds = seed(alias, rows)
    log(f"cleanup: seeded {rows:,} rows on {label} in {seed_seconds:.1f}s")
    _answer, baseline_mb = _run_worker(alias, baseline=True, cwd=cwd)
    answer, peak_mb = _run_worker(alias, baseline=False, cwd=cwd)
    result = CleanupResult(
        backend=label,
        rows=answer["before"],
        deleted=answer["before"] - answer["after"],
        remaining=answer["after"],
        seconds=answer["seconds"],
        peak_rss_mb=peak_mb,
        baseline_rss_mb=baseline_mb,
        seed_seconds=seed_seconds,
    )
    log(
        f"cleanup on {label}: {result.deleted:,} of {result.rows:,} deleted in "
        f"{result.seconds:.1f}s, peak RSS {peak_mb:.1f} MB (baseline {baseline_mb:.1f} MB)"
    )
    return result
