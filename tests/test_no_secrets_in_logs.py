"""No secret ever reaches a log: every logger, at DEBUG, through a whole life of tokens.

The flow: a user connects through the views (connect, consent at the fake, callback), the
SDK reads records with the stored token, the token expires and is refreshed, things go
wrong (Zoho failing, throttling and refusing; the database refusing a save; a replayed
code), and tokens are revoked, once with Zoho down and then retried. Every secret Zoho
issued, the client secret and the encryption key are then looked for in everything that
was logged, tracebacks included.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.parameter_map import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.record import GetRecordsParam, RecordOperations
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from tests.helpers import make_database_refuse, stop_refusing
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.revocation import retry_pending_revocations, revoke_token

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("short_http_timeout"),
]

#: Secrets of our own making that the flow hands to the store (never issued by Zoho).
UNSAVED_SECRETS = {
    "access_token": "1000.at-unsaved.access-token-the-database-refused",
    "refresh_token": "1000.rt-unsaved.refresh-token-the-database-refused",
    "client_secret": "client-secret-the-database-refused",
}


class Everything(logging.Handler):
    """Keeps every record, formatted with its traceback and stack, as a handler would
    write it to a file."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def all_logs():
    """Every logger at DEBUG, all of them reaching one handler; restored afterwards."""
    handler = Everything()
    root = logging.getLogger()
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    saved_root_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if not logger.propagate:
            logger.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved_root_level)
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled
        logger.removeHandler(handler)


def connect_through_the_views(client: Client, fake_zoho: FakeZoho) -> str:
    """Connect, consent at the fake, come back to the callback; returns the callback URL."""
    callback = fake_zoho.consent(client.get("/zoho/connect/")["Location"])
    response = client.get(callback)
    assert response.status_code == 302
    return callback


def use_with_the_sdk(environment: Any, row: ZohoToken, resource_path: Path) -> None:
    """Initialize the SDK with the stored token and read records."""
    Initializer.initialize(
        environment=environment,
        token=OAuthToken(id=str(row.pk)),
        store=DjangoTokenStore(),
        resource_path=str(resource_path),
    )
    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Last_Name")  # Zoho refuses a list without fields
    assert RecordOperations("Leads").get_records(params).get_status_code() == 200


def expire(row: ZohoToken) -> None:
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=now_ms() - 1000)


def find(row: ZohoToken) -> OAuthToken | None:
    return DjangoTokenStore().find_token_by_id(str(row.pk))


def refuse_saves() -> OAuthToken:
    """Make the database refuse the next save of the Zoho user's token (a real database
    error: a column overflow, or on SQLite, which enforces no lengths, a trigger)."""
    token = OAuthToken(user_signature=UserSignature("ada@example.com:700000001"))
    token.set_access_token(UNSAVED_SECRETS["access_token"])
    token.set_refresh_token(UNSAVED_SECRETS["refresh_token"])
    token.set_client_secret(UNSAVED_SECRETS["client_secret"])
    return make_database_refuse(token)


def secrets_of(fake_zoho: FakeZoho, settings) -> set[str]:
    """Everything secret that existed during the flow."""
    values = {
        fake_zoho.client_secret,
        settings.SECRET_KEY,
        *settings.ZOHO_TOKENS["ENCRYPTION_KEYS"],
    }
    values |= {code.code for code in fake_zoho.codes}
    values |= {token.token for token in fake_zoho.access_tokens}
    values |= {token.token for token in fake_zoho.refresh_tokens}
    values |= set(UNSAVED_SECRETS.values())
    return values


def test_a_whole_flow_with_failures_logs_no_secret(
    fake_zoho, all_logs, settings, sdk_environment, sdk_resource_path
):
    client = Client()
    client.force_login(get_user_model().objects.create_user("alice", "a@example.com", "pw"))

    # Connect, and use the token with the SDK.
    callback = connect_through_the_views(client, fake_zoho)
    row = ZohoToken.objects.get()
    use_with_the_sdk(sdk_environment, row, sdk_resource_path)

    # A replayed callback, then Zoho failing and refusing exchanges.
    client.get(callback)
    for kind in ("html", "invalid_code", "slow"):
        fake_zoho.fail("exchange", kind, times=1)
        client.get(fake_zoho.consent(client.get("/zoho/connect/")["Location"]))

    # Refresh, after Zoho failed, answered garbage, throttled and hung.
    expire(row)
    for kind in ("http_500", "malformed", "throttle", "slow"):
        fake_zoho.fail("refresh", kind, times=1)
        with pytest.raises(SDKException):
            find(row)
        # The failure's back-off runs out, as time would: the next one reaches Zoho.
        ZohoToken.objects.filter(pk=row.pk).update(refresh_backoff_until=None)
    assert find(row) is not None

    # The database refusing a save.
    with pytest.raises(SDKException):
        DjangoTokenStore().save_token(refuse_saves())
    stop_refusing()

    # Zoho refusing the refresh token: re-authorisation needed.
    second = fake_zoho.add_user("grace@example.com")
    client.get(fake_zoho.consent(client.get("/zoho/connect/")["Location"], user=second))
    grace = ZohoToken.objects.get(user_name__startswith="grace@")
    expire(grace)
    fake_zoho.revoke(grace.refresh_token)
    with pytest.raises(SDKException):
        find(grace)

    # Revoke: with Zoho down, then retried; and through the disconnect view.
    fake_zoho.fail("revoke", "down", times=1)
    assert not revoke_token(row).remote_done
    assert retry_pending_revocations() == (1, 0)
    client.post("/zoho/disconnect/")

    logged = all_logs.text
    assert "refreshed" in logged  # the capture did see the flow
    leaked = sorted(secret for secret in secrets_of(fake_zoho, settings) if secret in logged)
    assert leaked == []
