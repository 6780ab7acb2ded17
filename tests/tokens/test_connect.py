"""connect_with_code: the code exchange shared by the callback, log in with Zoho and the Self
Client form; what it returns, and that no refresh token Zoho issued is ever left unheld."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model

from tests.db_refusal import refusing_writes
from zoho_tokens import signals
from zoho_tokens.exceptions import (
    ConnectionNotSavedError,
    UnknownDataCentreError,
    ZohoAccountTakenError,
    ZohoOAuthError,
    ZohoUnavailableError,
)
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import revoke_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_user() -> Any:
    return get_user_model().objects.create_user("alice", "alice@example.com", "pw")


@pytest.fixture
def bob_user() -> Any:
    return get_user_model().objects.create_user("bob", "bob@example.com", "pw")


def connect(fake_zoho: FakeZoho, **kwargs: Any):
    return connect_with_code(
        fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None, **kwargs
    )


def live_refresh_tokens(fake_zoho: FakeZoho) -> int:
    return sum(1 for refresh in fake_zoho.refresh_tokens if refresh.active)


def transferred_from_alice_to_bob(
    fake_zoho: FakeZoho, alice_user: Any, bob_user: Any, settings: Any
) -> ZohoToken:
    """With transfers allowed, alice connects a Zoho account, then bob the same one; alice's
    row (as it was before the transfer)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ALLOW_ACCOUNT_TRANSFER": True}
    row = connect(fake_zoho, user=alice_user).token
    connect(fake_zoho, user=bob_user)
    return row


def the_only_live_row(fake_zoho: FakeZoho, refresh_token: str) -> ZohoToken:
    """The one row, which must hold ``refresh_token``, the one refresh token alive at Zoho."""
    row = ZohoToken.objects.get()
    assert row.refresh_token == refresh_token
    assert fake_zoho.is_refresh_token_active(refresh_token)
    assert live_refresh_tokens(fake_zoho) == 1
    return row


# -- what it returns ---------------------------------------------------------------------------


def test_a_new_zoho_user_gets_one_row_with_the_fakes_data_centre(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho).token

    assert ZohoToken.objects.count() == 1
    assert row.user_name == fake_zoho.users[0].sdk_user_name
    assert row.accounts_server == fake_zoho.url
    assert row.api_domain == fake_zoho.url
    assert fake_zoho.is_refresh_token_active(row.refresh_token)


def test_the_result_says_the_row_is_new_and_who_it_belongs_to(fake_zoho: FakeZoho) -> None:
    result = connect(fake_zoho)

    assert result.created
    assert result.identity.email == fake_zoho.consenting_user.email
    assert result.identity.user_name == fake_zoho.consenting_user.sdk_user_name
    assert not result.superseded_revoked


def test_the_result_of_a_reconnect_says_the_old_token_was_revoked(fake_zoho: FakeZoho) -> None:
    connect(fake_zoho)

    result = connect(fake_zoho)

    assert not result.created
    assert result.superseded_revoked


def test_reconnecting_revokes_the_refresh_token_it_replaces(fake_zoho: FakeZoho) -> None:
    first = connect(fake_zoho).token
    old_refresh_token = first.refresh_token

    second = connect(fake_zoho).token

    assert second.pk == first.pk
    assert not fake_zoho.is_refresh_token_active(old_refresh_token)
    assert fake_zoho.is_refresh_token_active(second.refresh_token)


def test_reconnecting_works_when_the_old_token_no_longer_decrypts(
    fake_zoho: FakeZoho, settings
) -> None:
    first = connect(fake_zoho).token
    # The key that encrypted the row is gone, as after a careless SECRET_KEY change.
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ENCRYPTION_KEYS": [Fernet.generate_key()]}

    second = connect(fake_zoho)

    assert second.token.pk == first.pk
    assert not second.superseded_revoked
    assert ZohoToken.objects.get().refresh_token == second.token.refresh_token
    assert fake_zoho.count("/oauth/v2/token/revoke") == 0


# -- hostile values ----------------------------------------------------------------------------


@pytest.mark.parametrize("location", ["x" * 40, "us\x00", "mars", "../eu"])
def test_an_unknown_location_is_refused_before_anything_is_sent(
    fake_zoho: FakeZoho, location: str
) -> None:
    with pytest.raises(UnknownDataCentreError):
        connect(fake_zoho, location=location)

    assert fake_zoho.count("/oauth/v2/token") == 0
    assert ZohoToken.objects.count() == 0


def test_a_known_location_is_stored_in_lower_case(fake_zoho: FakeZoho) -> None:
    assert connect(fake_zoho, location="EU").token.location == "eu"


@pytest.mark.parametrize(
    "email", ["ada\x00@example.com", "ada@example.com\x00", "ada @example.com", "no-at-sign"]
)
def test_an_unusable_zoho_email_is_refused_and_its_token_revoked(
    fake_zoho: FakeZoho, email: str
) -> None:
    fake_zoho.add_user(email, "Ada Hostile")

    with pytest.raises(ZohoOAuthError) as raised:
        connect_with_code(
            fake_zoho.issue_code(email), accounts_server=fake_zoho.url, redirect_uri=None
        )

    assert raised.value.error == "invalid_identity"
    assert ZohoToken.objects.count() == 0
    assert live_refresh_tokens(fake_zoho) == 0


def test_an_unusable_zoho_email_keeps_the_last_good_token(fake_zoho: FakeZoho) -> None:
    good = connect(fake_zoho).token
    fake_zoho.add_user("ada\x00@example.com", "Ada Hostile")

    with pytest.raises(ZohoOAuthError):
        connect_with_code(
            fake_zoho.issue_code("ada\x00@example.com"),
            accounts_server=fake_zoho.url,
            redirect_uri=None,
        )

    assert ZohoToken.objects.get().refresh_token == good.refresh_token
    assert fake_zoho.is_refresh_token_active(good.refresh_token)


@pytest.mark.parametrize("lifetime", [10**17, 0, -5])
def test_an_absurd_expiry_is_refused_and_the_last_good_token_kept(
    fake_zoho: FakeZoho, lifetime: int
) -> None:
    good = connect(fake_zoho).token
    fake_zoho.access_token_lifetime = lifetime

    with pytest.raises(ZohoUnavailableError):
        connect(fake_zoho)

    row = ZohoToken.objects.get()
    assert row.refresh_token == good.refresh_token
    assert row.expires_at_ms == good.expires_at_ms


def test_an_absurd_expiry_revokes_the_refresh_token_that_came_with_it(fake_zoho: FakeZoho) -> None:
    fake_zoho.access_token_lifetime = 10**17

    with pytest.raises(ZohoUnavailableError):
        connect(fake_zoho)

    assert [refresh.active for refresh in fake_zoho.refresh_tokens] == [False]


# -- the Zoho account of another Django user ----------------------------------------------------


def test_connecting_a_zoho_account_another_user_holds_is_refused(
    fake_zoho: FakeZoho, alice_user, bob_user
) -> None:
    alices = connect(fake_zoho, user=alice_user).token

    with pytest.raises(ZohoAccountTakenError):
        connect(fake_zoho, user=bob_user)

    assert the_only_live_row(fake_zoho, alices.refresh_token).user == alice_user


def test_a_zoho_account_another_user_disconnected_can_be_connected(
    fake_zoho: FakeZoho, alice_user, bob_user
) -> None:
    revoke_token(connect(fake_zoho, user=alice_user).token)

    result = connect(fake_zoho, user=bob_user)

    assert result.token.user == bob_user
    assert result.token.status == TokenStatus.ACTIVE
    assert result.transferred_from is None
    assert ZohoToken.objects.count() == 1


def test_a_zoho_account_zoho_refused_for_another_user_can_be_connected(
    fake_zoho: FakeZoho, alice_user, bob_user
) -> None:
    alices = connect(fake_zoho, user=alice_user).token
    alices.mark_needs_reauth()
    alices.save()

    assert connect(fake_zoho, user=bob_user).token.user == bob_user


def test_taking_over_a_disconnected_account_tells_nobody(
    fake_zoho: FakeZoho, alice_user, bob_user
) -> None:
    revoke_token(connect(fake_zoho, user=alice_user).token)
    heard: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        heard.append(kwargs)

    signals.token_transferred.connect(receiver)
    try:
        connect(fake_zoho, user=bob_user)
    finally:
        signals.token_transferred.disconnect(receiver)

    assert heard == []


def test_a_transfer_when_allowed_moves_the_row_and_says_so(
    fake_zoho: FakeZoho, alice_user, bob_user, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ALLOW_ACCOUNT_TRANSFER": True}
    alices = connect(fake_zoho, user=alice_user).token
    heard: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        heard.append(kwargs)

    signals.token_transferred.connect(receiver)
    try:
        result = connect(fake_zoho, user=bob_user)
    finally:
        signals.token_transferred.disconnect(receiver)

    assert result.transferred_from == alice_user
    assert ZohoToken.objects.get().user == bob_user
    assert not fake_zoho.is_refresh_token_active(alices.refresh_token)
    assert [(h["token"].pk, h["previous_user"], h["user"]) for h in heard] == [
        (alices.pk, alice_user, bob_user)
    ]


def test_a_transfer_is_written_in_the_admin_history(
    fake_zoho: FakeZoho, alice_user, bob_user, settings
) -> None:
    row = transferred_from_alice_to_bob(fake_zoho, alice_user, bob_user, settings)

    (entry,) = LogEntry.objects.filter(object_id=str(row.pk))
    assert entry.user_id == bob_user.pk
    assert f"Moved from Django user {alice_user.pk}" in entry.change_message


def test_an_org_level_self_client_token_keeps_its_link(fake_zoho: FakeZoho, alice_user) -> None:
    connect(fake_zoho, user=alice_user)

    result = connect(fake_zoho)

    assert result.token.user == alice_user
    assert result.transferred_from is None


# -- no refresh token left that no row holds ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_database_refusing_the_write_revokes_the_new_token(fake_zoho: FakeZoho) -> None:
    with refusing_writes(), pytest.raises(ConnectionNotSavedError):
        connect(fake_zoho)

    assert ZohoToken.objects.count() == 0
    assert [refresh.active for refresh in fake_zoho.refresh_tokens] == [False]


@pytest.mark.django_db(transaction=True)
def test_a_database_refusing_the_write_leaves_the_earlier_token_as_it_was(
    fake_zoho: FakeZoho,
) -> None:
    earlier = connect(fake_zoho).token

    with refusing_writes(), pytest.raises(ConnectionNotSavedError):
        connect(fake_zoho)

    assert the_only_live_row(fake_zoho, earlier.refresh_token).status == TokenStatus.ACTIVE


def test_a_refused_token_zoho_cannot_revoke_is_kept_for_a_later_revocation(
    fake_zoho: FakeZoho, alice_user, bob_user
) -> None:
    connect(fake_zoho, user=alice_user)
    fake_zoho.fail("revoke", "down")

    with pytest.raises(ZohoAccountTakenError):
        connect(fake_zoho, user=bob_user)

    pending = ZohoToken.objects.get(user=None)
    assert pending.status == TokenStatus.REVOKED
    assert pending.remote_revoke_pending
    assert fake_zoho.is_refresh_token_active(pending.refresh_token)


def test_a_failing_receiver_after_the_write_does_not_revoke_the_stored_token(
    fake_zoho: FakeZoho,
) -> None:
    def broken_receiver(**kwargs: Any) -> None:
        raise RuntimeError("a receiver's bug")

    signals.token_saved.connect(broken_receiver)
    try:
        with pytest.raises(RuntimeError):
            connect(fake_zoho)
    finally:
        signals.token_saved.disconnect(broken_receiver)

    assert fake_zoho.is_refresh_token_active(ZohoToken.objects.get().refresh_token)


def test_a_transfer_is_a_moved_event_in_the_token_s_history(
    fake_zoho: FakeZoho, alice_user, bob_user, settings
) -> None:
    from zoho_tokens.models import TokenEvent

    row = transferred_from_alice_to_bob(fake_zoho, alice_user, bob_user, settings)

    kinds = list(
        TokenEvent.objects.filter(token_id=row.pk).order_by("pk").values_list("kind", "outcome")
    )
    assert kinds == [("connected", "created"), ("moved", "ok"), ("connected", "renewed")]
