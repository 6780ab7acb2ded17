"""Refreshing before handing out: ``zoho_tokens.tokens.refresh`` and the store's use of it.

Every test runs against the fake Zoho over a real socket; tokens are made stale by writing
their expiry in the database, as time passing would.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from zoho_tokens import signals
from zoho_tokens.exceptions import (
    NoUsableTokenError,
    ReauthorizationRequired,
    UntrustedAccountsServerError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.refresh import ensure_fresh, needs_refresh

pytestmark = pytest.mark.django_db

HOUR_MS = 3600 * 1000


def refreshes(fake_zoho: FakeZoho) -> int:
    """How many refresh requests the fake received."""
    return fake_zoho.count(TOKEN_PATH, grant_type="refresh_token")


def set_expiry(row: ZohoToken, expires_at_ms: int | None) -> ZohoToken:
    """Store a new expiry for ``row`` and return the row as now stored."""
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=expires_at_ms)
    return ZohoToken.objects.get(pk=row.pk)


@pytest.fixture
def row(fake_zoho: FakeZoho) -> ZohoToken:
    """A token connected through the fake (fresh: valid for an hour); the fake's request
    log is emptied afterwards."""
    connected = connect_with_code(
        fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None
    ).token
    fake_zoho.reset_counts()
    return connected


@pytest.fixture
def expired(row: ZohoToken) -> ZohoToken:
    """``row`` with an access token that expired a second ago."""
    return set_expiry(row, now_ms() - 1000)


@pytest.fixture
def received():
    """The signals sent during the test, as ``(name, kwargs)``."""
    seen: list[tuple[str, dict]] = []

    def receiver_for(name):
        def receive(sender, **kwargs):
            kwargs.pop("signal", None)
            seen.append((name, kwargs))

        return receive

    receivers = {
        signals.token_refreshed: receiver_for("token_refreshed"),
        signals.reauth_required: receiver_for("reauth_required"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, sender=ZohoToken)
    yield seen
    for signal, receiver in receivers.items():
        signal.disconnect(receiver, sender=ZohoToken)


def by_user_name(row: ZohoToken) -> OAuthToken:
    return OAuthToken(user_signature=UserSignature(row.user_name))


# -- when a refresh happens ----------------------------------------------------------------


def test_fresh_token_is_handed_out_without_calling_zoho(fake_zoho, row):
    before = row.access_token

    found = DjangoTokenStore().find_token(by_user_name(row))

    assert found.get_access_token() == before
    assert fake_zoho.requests == []


def test_expired_token_is_refreshed_before_find_token_returns_it(fake_zoho, expired):
    found = DjangoTokenStore().find_token(by_user_name(expired))

    stored = ZohoToken.objects.get(pk=expired.pk)
    assert found.get_access_token() == stored.access_token != expired.access_token
    assert fake_zoho.is_access_token_active(found.get_access_token())
    assert refreshes(fake_zoho) == 1


def test_expired_token_is_refreshed_before_find_token_by_id_returns_it(fake_zoho, expired):
    found = DjangoTokenStore().find_token_by_id(str(expired.pk))

    assert found.get_access_token() != expired.access_token
    assert fake_zoho.is_access_token_active(found.get_access_token())
    assert refreshes(fake_zoho) == 1


def test_token_expiring_within_the_margin_is_refreshed(fake_zoho, row):
    row = set_expiry(row, now_ms() + 30_000)  # default margin: 60 seconds

    DjangoTokenStore().find_token_by_id(str(row.pk))

    assert refreshes(fake_zoho) == 1


def test_token_expiring_after_the_margin_is_not_refreshed(fake_zoho, row, settings):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "REFRESH_MARGIN": 10}
    row = set_expiry(row, now_ms() + 30_000)

    DjangoTokenStore().find_token_by_id(str(row.pk))

    assert refreshes(fake_zoho) == 0


def test_refresh_margin_setting_widens_the_window(fake_zoho, row, settings):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "REFRESH_MARGIN": 600}
    row = set_expiry(row, now_ms() + 300_000)

    DjangoTokenStore().find_token_by_id(str(row.pk))

    assert refreshes(fake_zoho) == 1


def test_missing_access_token_is_refreshed(fake_zoho, row):
    row.access_token = None
    row.save()

    found = DjangoTokenStore().find_token_by_id(str(row.pk))

    assert fake_zoho.is_access_token_active(found.get_access_token())
    assert refreshes(fake_zoho) == 1


def test_second_lookup_after_a_refresh_does_not_call_zoho_again(fake_zoho, expired):
    store = DjangoTokenStore()
    first = store.find_token_by_id(str(expired.pk))

    second = store.find_token_by_id(str(expired.pk))

    assert second.get_access_token() == first.get_access_token()
    assert refreshes(fake_zoho) == 1


def test_token_without_refresh_token_is_handed_out_unrefreshed(fake_zoho, expired):
    expired.refresh_token = None
    expired.save()

    found = DjangoTokenStore().find_token_by_id(str(expired.pk))

    assert found.get_access_token() == expired.access_token
    assert refreshes(fake_zoho) == 0


# -- what a refresh stores -----------------------------------------------------------------


def test_refresh_stores_the_new_access_token_and_expiry(fake_zoho, expired):
    ensure_fresh(expired)

    stored = ZohoToken.objects.get(pk=expired.pk)
    assert fake_zoho.is_access_token_active(stored.access_token)
    assert stored.expires_at_ms > now_ms() + HOUR_MS - 60_000
    assert not needs_refresh(stored)


def test_refresh_keeps_the_refresh_token(fake_zoho, expired):
    ensure_fresh(expired)

    stored = ZohoToken.objects.get(pk=expired.pk)
    assert stored.refresh_token == expired.refresh_token
    assert fake_zoho.is_refresh_token_active(stored.refresh_token)


def test_refresh_records_when_it_happened(expired):
    before = now_ms()

    ensure_fresh(expired)

    stored = ZohoToken.objects.get(pk=expired.pk)
    assert stored.last_refreshed_at.timestamp() * 1000 >= before - 1000


def test_refresh_updates_the_row_in_place(expired):
    ensure_fresh(expired)

    assert ZohoToken.objects.count() == 1


def test_refresh_sends_the_rows_refresh_token_and_client(fake_zoho, expired):
    ensure_fresh(expired)

    assert (
        fake_zoho.count(
            TOKEN_PATH,
            grant_type="refresh_token",
            refresh_token=expired.refresh_token,
            client_id=expired.client_id,
            client_secret=expired.client_secret,
        )
        == 1
    )


def test_refresh_goes_only_to_a_trusted_accounts_server(fake_zoho, expired):
    expired.accounts_server = "https://accounts.zoho.example.net"
    expired.save()

    with pytest.raises(UntrustedAccountsServerError):
        ensure_fresh(expired)
    assert fake_zoho.requests == []


def test_refresh_sends_token_refreshed_once(expired, received):
    ensure_fresh(expired)

    assert [(name, kwargs["token"].pk) for name, kwargs in received] == [
        ("token_refreshed", expired.pk)
    ]


def test_token_refreshed_receivers_see_the_stored_new_token(expired):
    seen = []

    def receive(sender, token, **kwargs):
        seen.append(ZohoToken.objects.get(pk=token.pk).access_token == token.access_token)

    signals.token_refreshed.connect(receive, sender=ZohoToken)
    try:
        ensure_fresh(expired)
    finally:
        signals.token_refreshed.disconnect(receive, sender=ZohoToken)

    assert seen == [True]


def test_sdk_uses_the_refreshed_token_and_never_refreshes_on_its_own(
    fake_zoho, expired, sdk_environment, tmp_path
):
    token = OAuthToken(id=str(expired.pk))

    Initializer.initialize(
        environment=sdk_environment,
        token=token,
        store=DjangoTokenStore(),
        resource_path=str(tmp_path),
    )

    stored = ZohoToken.objects.get(pk=expired.pk)
    assert token.get_access_token() == stored.access_token
    assert fake_zoho.is_access_token_active(stored.access_token)
    assert refreshes(fake_zoho) == 1


def test_stale_access_token_held_by_the_caller_gives_way_to_the_fresh_one(fake_zoho, row):
    stale = OAuthToken(user_signature=UserSignature(row.user_name))
    stale.set_access_token("1000.at-stale.the-callers-old-one")
    stale.set_expires_in(str(now_ms() - 1000))

    found = DjangoTokenStore().find_token(stale)

    assert found.get_access_token() == row.access_token
    assert found.get_expires_in() == str(row.expires_at_ms)


def test_access_token_set_by_the_caller_without_expiry_is_kept(row):
    own = OAuthToken(user_signature=UserSignature(row.user_name))
    own.set_access_token("1000.at-own.set-by-the-caller")

    found = DjangoTokenStore().find_token(own)

    assert found.get_access_token() == "1000.at-own.set-by-the-caller"


# -- when Zoho refuses ---------------------------------------------------------------------


def test_invalid_code_marks_the_token_as_needing_reauthorisation(fake_zoho, expired):
    fake_zoho.revoke(expired.refresh_token)

    with pytest.raises(ReauthorizationRequired):
        ensure_fresh(expired)

    stored = ZohoToken.objects.get(pk=expired.pk)
    assert stored.status == TokenStatus.NEEDS_REAUTH
    assert stored.access_token is None


def test_invalid_code_sends_reauth_required_with_zohos_error(fake_zoho, expired, received):
    fake_zoho.revoke(expired.refresh_token)

    with pytest.raises(ReauthorizationRequired):
        ensure_fresh(expired)

    assert [(name, kwargs["token"].pk, kwargs["error"]) for name, kwargs in received] == [
        ("reauth_required", expired.pk, "invalid_code")
    ]


def test_invalid_code_reaches_the_sdk_as_reauthorization_required(fake_zoho, expired):
    fake_zoho.revoke(expired.refresh_token)

    with pytest.raises(SDKException) as raised:
        DjangoTokenStore().find_token_by_id(str(expired.pk))

    assert raised.value.code == "TOKEN_STORE"
    assert isinstance(raised.value.cause, ReauthorizationRequired)
    assert raised.value.cause.token_id == expired.pk


def test_token_needing_reauthorisation_is_no_longer_handed_out(fake_zoho, expired):
    fake_zoho.revoke(expired.refresh_token)
    store = DjangoTokenStore()
    with pytest.raises(SDKException):
        store.find_token_by_id(str(expired.pk))
    fake_zoho.reset_counts()

    assert store.find_token_by_id(str(expired.pk)) is None
    assert fake_zoho.requests == []


def test_worker_that_waited_learns_of_reauthorisation_without_calling_zoho(fake_zoho, expired):
    ZohoToken.objects.filter(pk=expired.pk).update(status=TokenStatus.NEEDS_REAUTH)

    with pytest.raises(ReauthorizationRequired):
        ensure_fresh(expired)  # the stale copy read before the other worker's verdict
    assert fake_zoho.requests == []


def test_worker_that_waited_on_a_revoked_token_gets_no_token(fake_zoho, expired):
    ZohoToken.objects.filter(pk=expired.pk).update(status=TokenStatus.REVOKED)

    with pytest.raises(NoUsableTokenError):
        ensure_fresh(expired)
    assert fake_zoho.requests == []


def test_worker_that_waited_on_a_deleted_token_gets_no_token(fake_zoho, expired):
    ZohoToken.objects.filter(pk=expired.pk).delete()

    with pytest.raises(NoUsableTokenError):
        ensure_fresh(expired)
    assert fake_zoho.requests == []


def test_worker_that_waited_finds_the_token_refreshed_and_does_not_call_zoho(fake_zoho, expired):
    ZohoToken.objects.filter(pk=expired.pk).update(expires_at_ms=now_ms() + HOUR_MS)

    fresh = ensure_fresh(expired)  # the stale copy read before the other worker's refresh

    assert fresh.expires_at_ms > now_ms()
    assert fake_zoho.requests == []


def test_throttle_is_reported_as_such(fake_zoho, expired):
    fake_zoho.fail("refresh", "throttle")

    with pytest.raises(ZohoThrottledError):
        ensure_fresh(expired)


def test_throttle_is_not_retried(fake_zoho, expired):
    fake_zoho.fail("refresh", "throttle")

    with pytest.raises(SDKException) as raised:
        DjangoTokenStore().find_token_by_id(str(expired.pk))

    assert isinstance(raised.value.cause, ZohoThrottledError)
    assert refreshes(fake_zoho) == 1


def test_throttle_leaves_the_token_active(fake_zoho, expired):
    fake_zoho.fail("refresh", "throttle")

    with pytest.raises(ZohoThrottledError):
        ensure_fresh(expired)

    assert ZohoToken.objects.get(pk=expired.pk).status == TokenStatus.ACTIVE


def test_real_throttle_after_ten_refreshes_is_reported(fake_zoho, expired):
    fake_zoho.refresh_limit = 1
    ensure_fresh(expired)
    again = set_expiry(expired, now_ms() - 1000)

    with pytest.raises(ZohoThrottledError):
        ensure_fresh(again)
    assert refreshes(fake_zoho) == 2


def test_unavailable_zoho_leaves_the_token_exactly_as_it_was(fake_zoho, expired):
    fake_zoho.fail("refresh", "http_500")
    token_columns = [f.attname for f in ZohoToken._meta.concrete_fields if f.editable] + [
        f"{name}_encrypted" for name in ("client_secret", "refresh_token", "access_token")
    ]
    before = ZohoToken.objects.filter(pk=expired.pk).values(*token_columns).get()

    with pytest.raises(ZohoUnavailableError):
        ensure_fresh(expired)

    assert ZohoToken.objects.filter(pk=expired.pk).values(*token_columns).get() == before


def test_failed_refresh_is_recorded_with_its_backoff(fake_zoho, expired):
    fake_zoho.fail("refresh", "http_500")

    with pytest.raises(ZohoUnavailableError):
        ensure_fresh(expired)

    stored = ZohoToken.objects.get(pk=expired.pk)
    assert stored.refresh_failure == "unavailable:server_error"
    assert stored.refresh_backoff_until > timezone.now()


def test_failed_refresh_is_shared_without_calling_zoho_during_the_backoff(fake_zoho, expired):
    fake_zoho.fail("refresh", "http_500", times=1)
    with pytest.raises(ZohoUnavailableError):
        ensure_fresh(expired)

    with pytest.raises(ZohoUnavailableError) as raised:
        ensure_fresh(ZohoToken.objects.get(pk=expired.pk))

    assert raised.value.error == "server_error"
    assert refreshes(fake_zoho) == 1


def test_worker_that_waited_gets_the_failure_recorded_meanwhile(fake_zoho, expired):
    fake_zoho.fail("refresh", "http_500", times=1)
    with pytest.raises(ZohoUnavailableError):
        ensure_fresh(ZohoToken.objects.get(pk=expired.pk))

    with pytest.raises(ZohoUnavailableError):
        ensure_fresh(expired)  # read before the failure, as a waiting worker did

    assert refreshes(fake_zoho) == 1


def test_shared_throttle_is_still_a_throttle(fake_zoho, expired):
    fake_zoho.fail("refresh", "throttle", times=1)
    with pytest.raises(ZohoThrottledError):
        ensure_fresh(expired)

    with pytest.raises(ZohoThrottledError):
        ensure_fresh(ZohoToken.objects.get(pk=expired.pk))

    assert refreshes(fake_zoho) == 1


def test_refresh_after_the_backoff_asks_zoho_again_and_clears_the_failure(fake_zoho, expired):
    fake_zoho.fail("refresh", "http_500", times=1)
    with pytest.raises(ZohoUnavailableError):
        ensure_fresh(expired)
    ZohoToken.objects.filter(pk=expired.pk).update(refresh_backoff_until=timezone.now())

    refreshed = ensure_fresh(ZohoToken.objects.get(pk=expired.pk))

    stored = ZohoToken.objects.get(pk=expired.pk)
    assert (stored.refresh_failure, stored.refresh_backoff_until) == ("", None)
    assert stored.access_token == refreshed.access_token != expired.access_token


def test_refresh_times_out_after_http_timeout(fake_zoho, expired, settings):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 0.3}
    fake_zoho.slow_seconds = 3
    fake_zoho.fail("refresh", "slow")

    with pytest.raises(ZohoUnavailableError) as raised:
        ensure_fresh(expired)

    assert raised.value.error == "timeout"
