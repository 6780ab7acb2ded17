"""Where ``find_token``'s time goes: its steps timed one by one, on SQLite.

Run on the bench's SQLite database after the main table, so at its largest size.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from bench.data import TokenData
from bench.timing import measure

#: Passes over all the steps.
ROUNDS = 5

#: The label of the step every share is taken of.
TOTAL = "find_token by user name (DjangoTokenStore)"
#: Labels the report refers to.
LOOKUP = "lookups_for(token): the lookup and its digest"
READ = "read_active(lookup): one precompiled SELECT, converters, Model.from_db"
HAND_OUT = "hand_out() on a loaded row (3 decryptions + SDK token)"
DECRYPT = "one decryption (keyring().decrypt)"
FLOOR = "floor: one indexed SELECT, open sqlite3 connection"
ORM = "not used: the same read through the ORM (lookup.filter(usable()).order_by().first())"


#: A step: the prepared call for one token.
Prepare = Callable[[TokenData], Callable[[], Any]]


def run_breakdown(alias: str, rows: Sequence[TokenData], floor: Prepare) -> list[tuple[str, float]]:
    """``(step, median seconds)`` for the steps of ``find_token`` by user name."""
    steps = _steps(alias, rows[0], floor)
    # Round-robin over the steps, so that a change in the machine's load while this runs
    # lands on every step alike instead of on whichever ran at that moment.
    samples: dict[str, list[float]] = {label: [] for label, _prepare in steps}
    for _round in range(ROUNDS):
        for label, prepare in steps:
            timing = measure(
                lambda i, prepare=prepare: prepare(rows[i % len(rows)]),
                reps=100,
                budget=0.5,
                warmup=1,
            )
            samples[label].extend(timing.samples)
    return [(label, statistics.median(values)) for label, values in samples.items()]


def _steps(alias: str, first: TokenData, floor: Prepare) -> list[tuple[str, Prepare]]:
    """Each step of ``find_token`` as its own call, with ``first``'s row loaded to hand out."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

    from bench.store.sdk_tokens import by_user_name
    from zoho_tokens.models import ZohoToken
    from zoho_tokens.models.crypto import keyring
    from zoho_tokens.models.fields import plain_digest
    from zoho_tokens.sdk.mapping import hand_out, lookups_for
    from zoho_tokens.sdk.store import DjangoTokenStore
    from zoho_tokens.tokens.lookups import Lookup, read_active

    store = DjangoTokenStore(using=alias)
    manager = ZohoToken.objects.using(alias)
    loaded = manager.get(user_name_digest=plain_digest(first.user_name))
    ciphertext = loaded.access_token_encrypted

    def by_name(row: TokenData) -> OAuthToken:
        return by_user_name(row.user_name)

    def lookup_of(row: TokenData) -> Lookup:
        return lookups_for(by_name(row))[0]

    def read(lookup: Lookup) -> Callable[[], Any]:
        return lambda: read_active(lookup, alias)

    def through_orm(lookup: Lookup) -> Callable[[], Any]:
        return lambda: lookup.filter(manager.usable()).order_by("-updated_at").first()

    def find(token: OAuthToken) -> Callable[[], Any]:
        return lambda: store.find_token(token)

    def lookups(token: OAuthToken) -> Callable[[], Any]:
        return lambda: lookups_for(token)

    def handed_out(token: OAuthToken) -> Callable[[], Any]:
        return lambda: hand_out(token, loaded)

    return [
        (TOTAL, lambda row: find(by_name(row))),
        (LOOKUP, lambda row: lookups(by_name(row))),
        (READ, lambda row: read(lookup_of(row))),
        (HAND_OUT, lambda row: handed_out(by_name(row))),
        (DECRYPT, lambda row: lambda: keyring().decrypt(ciphertext)),
        (FLOOR, floor),
        (ORM, lambda row: through_orm(lookup_of(row))),
    ]


def query_plans(alias: str, row: TokenData) -> list[tuple[str, str]]:
    """The database's plan (``EXPLAIN``) for the SELECT ``find_token`` runs, by user name
    and by refresh token: the statement ``read_active`` executes, captured as it runs."""
    from django.db import connections

    from bench.store.sdk_tokens import by_refresh_token, by_user_name
    from zoho_tokens.sdk.mapping import lookups_for
    from zoho_tokens.tokens.lookups import read_active

    connection = connections[alias]
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    tokens = {
        "by user name": by_user_name(row.user_name),
        "by refresh token": by_refresh_token(row.refresh_token),
    }
    executed: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append((sql, params))
        return execute(sql, params, many, context)

    plans = []
    for label, token in tokens.items():
        executed.clear()
        with connection.execute_wrapper(capture):
            read_active(lookups_for(token)[-1], alias)
        sql, params = executed[0]
        with connection.cursor() as cursor:
            cursor.execute(explain + sql, params)
            names = [column[0] for column in cursor.description]
            lines = [_plan_line(connection.vendor, names, values) for values in cursor.fetchall()]
        plans.append((label, "\n".join(lines)))
    return plans


def _plan_line(vendor: str, names: list[str], values: Sequence[Any]) -> str:
    """One row of ``EXPLAIN`` output: SQLite's detail, PostgreSQL's line, MariaDB's columns."""
    if vendor == "sqlite":
        return str(values[-1])
    if len(values) == 1:
        return str(values[0])
    return ", ".join(
        f"{name}={value}" for name, value in zip(names, values, strict=True) if value is not None
    )
