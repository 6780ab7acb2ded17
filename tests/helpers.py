"""Helpers shared by test modules: a save the database refuses, with a real database error
(for the fault tests), the cleanup command finishing a revocation left pending, and rows
found by a secret's value."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.db import connection
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from zoho_tokens.models import ZohoToken, ZohoTokenQuerySet
from zoho_tokens.models.crypto import keyring
from zoho_tokens.testing import FakeZoho

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
