"""The signals of ``zoho_tokens.signals``: who sends them, and with which arguments.

Each test records what a receiver connected for ``sender=ZohoToken`` is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.dispatch import Signal
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from zoho_tokens import signals
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import retry_pending_revocations, revoke_token

pytestmark = pytest.mark.django_db


class Recorder:
    """Connects to one signal for ``sender=ZohoToken`` and keeps every call's arguments."""

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.calls: list[dict[str, Any]] = []

    def __call__(self, sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal")
        self.calls.append({"sender": sender, **kwargs})


@pytest.fixture
def record() -> Iterator[Any]:
    """``record(signal)`` starts recording ``signal``; receivers are disconnected after."""
    recorders: list[Recorder] = []

    def start(signal: Signal) -> Recorder:
        recorder = Recorder(signal)
        signal.connect(recorder, sender=ZohoToken, weak=False)
        recorders.append(recorder)
        return recorder

    yield start
    for recorder in recorders:
        recorder.signal.disconnect(recorder, sender=ZohoToken)


def connect(fake_zoho: FakeZoho) -> ZohoToken:
    return connect_with_code(
        fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None
    ).token


def sdk_token(user_name: str) -> OAuthToken:
    token = OAuthToken(
        client_id="1000.TESTCLIENTID",
        client_secret="test-client-secret-value",
        refresh_token="1000.rt-from-the-sdk",
        access_token="1000.at-from-the-sdk",
        user_signature=UserSignature(user_name),
    )
    token.set_expires_in(str(now_ms() + 3600 * 1000))
    return token


# -- token_saved ---------------------------------------------------------------------------


def test_store_save_of_a_new_token_sends_token_saved_with_created_true(record):
    saved = record(signals.token_saved)

    DjangoTokenStore().save_token(sdk_token("ada@example.com:700000001"))

    row = ZohoToken.objects.get()
    assert [(c["sender"], c["token"].pk, c["created"]) for c in saved.calls] == [
        (ZohoToken, row.pk, True)
    ]


def test_store_save_of_a_known_token_sends_token_saved_with_created_false(record):
    store = DjangoTokenStore()
    store.save_token(sdk_token("ada@example.com:700000001"))
    saved = record(signals.token_saved)

    store.save_token(sdk_token("ada@example.com:700000001"))

    assert [c["created"] for c in saved.calls] == [False]


def test_connect_with_code_sends_token_saved_with_the_stored_row(fake_zoho, record):
    saved = record(signals.token_saved)

    token = connect(fake_zoho)

    assert [(c["sender"], c["token"].pk, c["created"]) for c in saved.calls] == [
        (ZohoToken, token.pk, True)
    ]
    assert saved.calls[0]["token"].user_name == fake_zoho.users[0].sdk_user_name


# -- token_revoked -------------------------------------------------------------------------


def test_revoke_token_sends_token_revoked_with_remote_true_when_zoho_confirms(fake_zoho, record):
    token = connect(fake_zoho)
    revoked = record(signals.token_revoked)

    revoke_token(token)

    assert [(c["sender"], c["token"].pk, c["remote"]) for c in revoked.calls] == [
        (ZohoToken, token.pk, True)
    ]


def test_revoke_token_sends_token_revoked_with_remote_false_when_zoho_is_down(fake_zoho, record):
    token = connect(fake_zoho)
    fake_zoho.fail("revoke", "down")
    revoked = record(signals.token_revoked)

    revoke_token(token)

    assert [(c["token"].pk, c["remote"]) for c in revoked.calls] == [(token.pk, False)]
    assert revoked.calls[0]["token"].remote_revoke_pending


def test_retried_revocation_sends_token_revoked_again_with_remote_true(fake_zoho, record):
    token = connect(fake_zoho)
    fake_zoho.fail("revoke", "down", times=1)
    revoke_token(token)
    revoked = record(signals.token_revoked)

    retry_pending_revocations()

    assert [(c["token"].pk, c["remote"]) for c in revoked.calls] == [(token.pk, True)]


# -- token_refreshed and reauth_required (sent by zoho_tokens.tokens.refresh) -----------------------


@pytest.fixture
def expired(fake_zoho: FakeZoho) -> ZohoToken:
    """A connected token whose access token expired a second ago."""
    token = connect(fake_zoho)
    ZohoToken.objects.filter(pk=token.pk).update(expires_at_ms=now_ms() - 1000)
    return ZohoToken.objects.get(pk=token.pk)


def by_refresh_token(row: ZohoToken) -> OAuthToken:
    return OAuthToken(
        client_id=row.client_id,
        client_secret=row.client_secret,
        refresh_token=row.refresh_token,
    )


def test_store_find_token_of_an_expired_token_sends_token_refreshed(
    expired, record, django_capture_on_commit_callbacks
):
    refreshed = record(signals.token_refreshed)

    with django_capture_on_commit_callbacks(execute=True):
        found = DjangoTokenStore().find_token(by_refresh_token(expired))

    assert [(c["sender"], c["token"].pk) for c in refreshed.calls] == [(ZohoToken, expired.pk)]
    assert refreshed.calls[0]["token"].access_token == found.get_access_token()
    assert refreshed.calls[0]["token"].expires_at_ms > now_ms()


def test_store_find_token_of_a_token_zoho_refuses_sends_reauth_required(
    fake_zoho, expired, record, django_capture_on_commit_callbacks
):
    fake_zoho.revoke(expired.refresh_token)
    reauth = record(signals.reauth_required)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SDKException):
        DjangoTokenStore().find_token(by_refresh_token(expired))

    assert [(c["sender"], c["token"].pk, c["error"]) for c in reauth.calls] == [
        (ZohoToken, expired.pk, "invalid_code")
    ]
