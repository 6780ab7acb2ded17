"""Faults that lose nothing: whatever Zoho or the database does, the last good token stays
stored and usable, and the caller hears about the failure.

Zoho's faults are made by the fake at the socket (``fake.fail``); the database's by the
database itself.
"""

from __future__ import annotations

import logging

import pytest
from django.db import DatabaseError
from django.utils import timezone
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from tests.helpers import make_database_refuse
from zoho_tokens.exceptions import (
    InvalidGrantError,
    ReauthorizationRequired,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import TOKEN_PATH, Endpoint, FakeZoho, FaultKind
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import retry_pending_revocations, revoke_token

pytestmark = pytest.mark.django_db

#: Each way Zoho can fail, and what the caller is told.
ZOHO_FAULTS = {
    "http_500": ZohoUnavailableError,
    "html": ZohoUnavailableError,
    "invalid_code": InvalidGrantError,
    "throttle": ZohoThrottledError,
    "slow": ZohoUnavailableError,  # hangs past HTTP_TIMEOUT
}

#: Faults after which Zoho may be asked again later.
PASSING_FAULTS = ["http_500", "html", "throttle", "slow"]


class Faults:
    """Arms one fault at a time on the fake, and heals it; a "slow" answer is made to
    outlast a shortened HTTP_TIMEOUT (the normal one stays roomy for a busy machine)."""

    def __init__(self, fake_zoho: FakeZoho, settings) -> None:
        self.fake = fake_zoho
        self.settings = settings
        self.normal = dict(settings.ZOHO_TOKENS)

    def arm(self, endpoint: Endpoint, kind: FaultKind) -> None:
        if kind == "slow":
            self.settings.ZOHO_TOKENS = {**self.normal, "HTTP_TIMEOUT": 0.5}
            self.fake.slow_seconds = 5
        self.fake.fail(endpoint, kind, times=1)

    def heal(self) -> None:
        self.fake.heal()
        self.settings.ZOHO_TOKENS = self.normal


@pytest.fixture
def faults(fake_zoho, settings) -> Faults:
    return Faults(fake_zoho, settings)


def connect(fake_zoho: FakeZoho, email: str) -> ZohoToken:
    if fake_zoho.consenting_user.email != email:
        fake_zoho.add_user(email)
    return connect_with_code(
        fake_zoho.issue_code(email), accounts_server=fake_zoho.url, redirect_uri=None
    ).token


@pytest.fixture
def ada(fake_zoho) -> ZohoToken:
    return connect(fake_zoho, "ada@example.com")


@pytest.fixture
def grace(fake_zoho) -> ZohoToken:
    return connect(fake_zoho, "grace@example.com")


#: Where a failed refresh is recorded, for its back-off: not part of the token.
BOOKKEEPING = ("refresh_failure", "refresh_backoff_until")


def stored(row: ZohoToken):
    """Every column of ``row`` as the database holds it, but the refresh bookkeeping."""
    values = ZohoToken.objects.filter(pk=row.pk).values().get()
    return {name: value for name, value in values.items() if name not in BOOKKEEPING}


def end_backoff(row: ZohoToken) -> None:
    """Let the back-off of a failed refresh run out, as time would."""
    ZohoToken.objects.filter(pk=row.pk).update(refresh_backoff_until=timezone.now())


def found(row: ZohoToken) -> OAuthToken | None:
    return DjangoTokenStore().find_token(OAuthToken(user_signature=UserSignature(row.user_name)))


def assert_usable(fake_zoho: FakeZoho, row: ZohoToken) -> None:
    """The store hands out ``row``'s token, its secrets decrypt, and Zoho accepts it."""
    token = found(row)
    assert token is not None
    assert token.get_id() == str(row.pk)
    assert token.get_refresh_token() == ZohoToken.objects.get(pk=row.pk).refresh_token
    assert fake_zoho.is_refresh_token_active(token.get_refresh_token())
    assert fake_zoho.is_access_token_active(token.get_access_token())


# -- exchanging a code ---------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "error"), ZOHO_FAULTS.items())
def test_failed_exchange_is_reported(fake_zoho, faults, kind, error):
    faults.arm("exchange", kind)

    with pytest.raises(error):
        connect(fake_zoho, "ada@example.com")


@pytest.mark.parametrize("kind", ZOHO_FAULTS)
def test_failed_exchange_leaves_the_stored_token_as_it_was(fake_zoho, faults, ada, kind):
    before = stored(ada)
    faults.arm("exchange", kind)

    with pytest.raises(ZOHO_FAULTS[kind]):
        connect(fake_zoho, "ada@example.com")

    assert stored(ada) == before
    assert ZohoToken.objects.count() == 1


@pytest.mark.parametrize("kind", ZOHO_FAULTS)
def test_stored_token_stays_usable_after_a_failed_exchange(fake_zoho, faults, ada, kind):
    faults.arm("exchange", kind)
    with pytest.raises(ZOHO_FAULTS[kind]):
        connect(fake_zoho, "ada@example.com")
    faults.heal()

    assert_usable(fake_zoho, ada)


# -- refreshing ----------------------------------------------------------------------------


@pytest.fixture
def expired(ada) -> ZohoToken:
    ZohoToken.objects.filter(pk=ada.pk).update(expires_at_ms=now_ms() - 1000)
    return ZohoToken.objects.get(pk=ada.pk)


@pytest.mark.parametrize("kind", ZOHO_FAULTS)
def test_failed_refresh_reaches_the_sdk_as_sdk_exception_with_the_cause(faults, expired, kind):
    faults.arm("refresh", kind)

    with pytest.raises(SDKException) as raised:
        found(expired)

    assert raised.value.code == "TOKEN_STORE"
    expected = ReauthorizationRequired if kind == "invalid_code" else ZOHO_FAULTS[kind]
    assert isinstance(raised.value.cause, expected)


@pytest.mark.parametrize("kind", PASSING_FAULTS)
def test_failed_refresh_leaves_the_stored_token_exactly_as_it_was(faults, expired, kind):
    before = stored(expired)
    faults.arm("refresh", kind)

    with pytest.raises(SDKException):
        found(expired)

    assert stored(expired) == before


def refresh_fails_then_zoho_heals(faults, expired: ZohoToken, kind: str) -> None:
    """The SDK's lookup of ``expired`` meets the fault ``kind``; then Zoho answers again."""
    faults.arm("refresh", kind)
    with pytest.raises(SDKException):
        found(expired)
    faults.heal()


@pytest.mark.parametrize("kind", PASSING_FAULTS)
def test_token_refreshes_once_zoho_answers_again(fake_zoho, faults, expired, kind):
    refresh_fails_then_zoho_heals(faults, expired, kind)
    end_backoff(expired)

    assert_usable(fake_zoho, expired)


@pytest.mark.parametrize("kind", PASSING_FAULTS)
def test_failed_refresh_is_not_retried_during_its_backoff(fake_zoho, faults, expired, kind):
    refresh_fails_then_zoho_heals(faults, expired, kind)
    fake_zoho.reset_counts()

    with pytest.raises(SDKException) as raised:
        found(expired)

    assert isinstance(raised.value.cause, ZOHO_FAULTS[kind])
    assert fake_zoho.count(TOKEN_PATH) == 0


def test_refused_refresh_keeps_the_row_and_its_refresh_token(faults, expired):
    faults.arm("refresh", "invalid_code")

    with pytest.raises(SDKException):
        found(expired)

    row = ZohoToken.objects.get(pk=expired.pk)
    assert row.status == TokenStatus.NEEDS_REAUTH
    assert row.refresh_token == expired.refresh_token


def test_refused_refresh_leaves_other_tokens_usable(fake_zoho, faults, expired, grace):
    faults.arm("refresh", "invalid_code")

    with pytest.raises(SDKException):
        found(expired)

    assert_usable(fake_zoho, grace)


# -- revoking ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PASSING_FAULTS)
def test_failed_revocation_is_reported_as_pending(faults, ada, kind):
    faults.arm("revoke", kind)

    result = revoke_token(ada)

    assert not result.remote_done
    assert result.reason


@pytest.mark.parametrize("kind", PASSING_FAULTS)
def test_failed_revocation_keeps_the_refresh_token_for_the_retry(fake_zoho, faults, ada, kind):
    faults.arm("revoke", kind)

    revoke_token(ada)

    row = ZohoToken.objects.get(pk=ada.pk)
    assert (row.status, row.remote_revoke_pending) == (TokenStatus.REVOKED, True)
    assert row.refresh_token == ada.refresh_token
    assert found(ada) is None


@pytest.mark.parametrize("kind", PASSING_FAULTS)
def test_failed_revocation_is_finished_by_the_retry(fake_zoho, faults, ada, kind):
    faults.arm("revoke", kind)
    revoke_token(ada)
    faults.heal()

    assert retry_pending_revocations() == (1, 0)
    assert not fake_zoho.is_refresh_token_active(ada.refresh_token)


@pytest.mark.parametrize("kind", ZOHO_FAULTS)
def test_failed_revocation_leaves_other_tokens_usable(fake_zoho, faults, ada, grace, kind):
    faults.arm("revoke", kind)
    revoke_token(ada)
    faults.heal()

    assert_usable(fake_zoho, grace)


def test_revocation_answered_invalid_code_counts_as_done(faults, ada):
    # Zoho answers 400 for a token it no longer knows: there is nothing left to revoke.
    faults.arm("revoke", "invalid_code")

    result = revoke_token(ada)

    assert result.remote_done
    assert not ZohoToken.objects.get(pk=ada.pk).remote_revoke_pending


# -- the database failing ------------------------------------------------------------------


@pytest.fixture
def doomed_save(ada):
    """An SDK token whose save the database refuses, with a real database error.

    PostgreSQL and MariaDB refuse a client id longer than its column; SQLite enforces no
    lengths, so there a trigger created for this test (and rolled back with it) refuses
    every update of the table.
    """
    token = OAuthToken(user_signature=UserSignature(ada.user_name))
    token.set_access_token("1000.at-doomed.access-token-that-must-not-be-logged")
    token.set_refresh_token("1000.rt-doomed.refresh-token-that-must-not-be-logged")
    token.set_client_secret("doomed-client-secret-that-must-not-be-logged")
    token.set_expires_in(str(now_ms() + 3_600_000))
    return make_database_refuse(token)


def test_database_error_during_save_token_is_raised_as_sdk_exception(doomed_save):
    with pytest.raises(SDKException) as raised:
        DjangoTokenStore().save_token(doomed_save)

    assert raised.value.code == "TOKEN_STORE"
    assert isinstance(raised.value.cause, DatabaseError)


def test_database_error_during_save_token_is_logged_without_secrets(doomed_save, caplog):
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SDKException):
        DjangoTokenStore().save_token(doomed_save)

    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures
    assert "save_token" in failures[0].getMessage()
    for secret in (
        doomed_save.get_access_token(),
        doomed_save.get_refresh_token(),
        doomed_save.get_client_secret(),
    ):
        assert secret not in caplog.text


def test_database_error_during_save_token_leaves_the_stored_token_usable(
    fake_zoho, ada, doomed_save
):
    before = stored(ada)
    with pytest.raises(SDKException):
        DjangoTokenStore().save_token(doomed_save)

    assert stored(ada) == before
    assert_usable(fake_zoho, ada)
