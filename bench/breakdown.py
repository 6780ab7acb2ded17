"""Where ``find_token``'s time goes: its steps timed one by one, on SQLite.

Run on the database with the proposed index (so that every step does the indexed lookup
it is meant to do), at the table size the targets are judged at.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from bench.data import TokenData
from bench.timing import measure

#: Passes over all the steps.
ROUNDS = 5


def run_breakdown(
    alias: str, rows: Sequence[TokenData], floor: Callable[[TokenData], Callable[[], Any]]
) -> list[tuple[str, float]]:
    """``(step, median seconds)`` for the steps of ``find_token`` by user name."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

    from bench.proposal import READ_FIELDS, ProposedDjangoTokenStore
    from zoho_tokens.crypto import keyring
    from zoho_tokens.fields import plain_digest
    from zoho_tokens.models import ZohoToken
    from zoho_tokens.store import DjangoTokenStore, _matching, hand_out

    shipped = DjangoTokenStore(using=alias)
    proposed = ProposedDjangoTokenStore(using=alias)
    manager = ZohoToken.objects.using(alias)
    loaded = manager.get(user_name_digest=plain_digest(rows[0].user_name))
    ciphertext = loaded.access_token_encrypted

    def by_name(row: TokenData) -> OAuthToken:
        return OAuthToken(user_signature=UserSignature(row.user_name))

    steps: list[tuple[str, Callable[[TokenData], Callable[[], Any]]]] = [
        ("find_token as shipped", lambda row: lambda: shipped.find_token(by_name(row))),
        (
            "its ORM query alone (_matching(...).order_by('-updated_at').first())",
            lambda row: (
                lambda: _matching(by_name(row), manager.usable()).order_by("-updated_at").first()
            ),
        ),
        (
            "the same query with .only(<11 columns used>), no ORDER BY",
            lambda row: (
                lambda: _matching(by_name(row), manager.usable()).only(*READ_FIELDS).first()
            ),
        ),
        (
            "one precompiled parameterised SELECT + Model.from_db (proposal)",
            lambda row: (
                lambda: proposed._fetch_one(("user_name_digest",), [plain_digest(row.user_name)], 1)
            ),
        ),
        (
            "hand_out() on a loaded row (3 decryptions + SDK token)",
            lambda row: lambda: hand_out(by_name(row), loaded),
        ),
        ("one decryption (keyring().decrypt)", lambda row: lambda: keyring().decrypt(ciphertext)),
        ("find_token, proposed store", lambda row: lambda: proposed.find_token(by_name(row))),
        ("floor: one indexed SELECT, open sqlite3 connection", floor),
    ]
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


def query_plans(alias: str, row: TokenData) -> list[tuple[str, str]]:
    """The database's plan for the shipped ``find_token`` queries (``EXPLAIN``)."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

    from bench import data
    from zoho_tokens.models import ZohoToken
    from zoho_tokens.store import _matching

    rows = ZohoToken.objects.using(alias).usable()
    lookups = {
        "by user name": OAuthToken(user_signature=UserSignature(row.user_name)),
        "by refresh token": OAuthToken(
            client_id=data.CLIENT_ID,
            client_secret=data.CLIENT_SECRET,
            refresh_token=row.refresh_token,
        ),
    }
    plans = []
    for label, token in lookups.items():
        query = _matching(token, rows)
        if query is not None:
            plans.append((label, query.order_by("-updated_at")[:1].explain()))
    return plans
