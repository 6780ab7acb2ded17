"""Helpers shared by test modules: a save the database refuses, with a real database error
(for the fault tests), the cleanup command finishing a revocation left pending, and rows
found by a secret's value."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.db import connection, connections
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from zoho_tokens.models import ZohoToken, ZohoTokenQuerySet, now_ms
from zoho_tokens.models.crypto import keyring
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.lock import token_lock

REFUSING_TRIGGER = "zoho_tokens_test_refuse"


def make_database_refuse(token: OAuthToken) -> OAuthToken:
    """Make the database refuse the next save of ``token`` with a real database error.

    PostgreSQL and MariaDB refuse a client id longer than its column; SQLite enforces no
    lengths, so there a trigger (rolled back with the test, or dropped with
    :func:`stop_refusing`) refuses every update of the table.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TRIGGER {REFUSING_TRIGGER} BEFORE UPDATE ON "
                f"{ZohoToken._meta.db_table} BEGIN SELECT RAISE(ABORT, 'writes refused'); END"
            )
    else:
        token.set_client_id("1000." + "X" * 300)
    return token


def stop_refusing() -> None:
    """Undo :func:`make_database_refuse` (SQLite's trigger; elsewhere nothing to undo)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {REFUSING_TRIGGER}")


def assert_cleanup_revokes_the_pending_token(fake_zoho: FakeZoho, row_id: int, refresh_token: str):
    """``cleanup_zoho_tokens`` revokes at Zoho the refresh token whose revocation was left
    pending on row ``row_id``, and then forgets it."""
    call_command("cleanup_zoho_tokens", stdout=StringIO())

    assert not fake_zoho.is_refresh_token_active(refresh_token)
    row = ZohoToken.objects.get(pk=row_id)
    assert not row.remote_revoke_pending
    assert row.refresh_token_encrypted == ""


def rows_with_secret(name: str, value: str) -> ZohoTokenQuerySet:
    """Rows whose secret ``name`` equals ``value``, matched by keyed digest under every
    configured key (so rows not yet re-encrypted by a key rotation still match)."""
    return ZohoToken.objects.filter(**{f"{name}_digest__in": keyring().digests(value)})


@contextmanager
def lock_held_elsewhere(pk: int) -> Iterator[None]:
    """Hold the refresh lock of token ``pk`` in another thread (as a worker stuck refreshing
    would) until the block ends."""
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with token_lock(pk, "default", wait=10):
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(10)
        yield
    finally:
        release.set()
        holder.join()


def found_by_refresh_token(client_id: str, client_secret: str, refresh_token: str) -> OAuthToken:
    """The token the SDK's store finds for ``refresh_token`` (as the SDK looks one up)."""
    return DjangoTokenStore().find_token(
        OAuthToken(client_id=client_id, client_secret=client_secret, refresh_token=refresh_token)
    )


def token_with_secrets(
    n: int, client_id: str, client_secret: str, secrets: dict[str, str]
) -> ZohoToken:
    """A saved token of the Zoho user ``user<n>``, valid for an hour, holding
    ``client_secret`` and ``secrets`` (field name -> value), encrypted with the keys set now."""
    token = ZohoToken(client_id=client_id, expires_at_ms=now_ms() + 3_600_000)
    token.set_user_name(f"user{n}@example.com:700000001")
    token.client_secret = client_secret
    for name, value in secrets.items():
        setattr(token, name, value)
    token.save()
    return token
