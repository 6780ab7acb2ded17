"""``DjangoTokenStore`` with the real Zoho CRM SDK as its client, against the fake Zoho.

The SDK decides on its own when to call Zoho; these tests count the requests the fake got
to show when a stored token spares it the trip.
"""

from __future__ import annotations

import pytest
from django.db import connection

from zoho_tokens.exceptions import TokenDecryptionError
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.sdk.border import (
    Initializer,
    OAuthToken,
    SDKException,
    UserSignature,
    reset_sdk_state,
)
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import TOKEN_PATH, FakeZoho, FakeZohoUser

pytestmark = pytest.mark.django_db

REDIRECT_URL = "https://app.example/zoho/callback/"


@pytest.fixture
def initialize(sdk_environment, tmp_path):
    """``Initializer.initialize`` with the fake's environment and a ``DjangoTokenStore``."""

    def run(token: OAuthToken) -> OAuthToken:
        Initializer.initialize(
            environment=sdk_environment,
            token=token,
            store=DjangoTokenStore(),
            resource_path=str(tmp_path),
        )
        return token

    return run


def with_a_grant_code(fake_zoho: FakeZoho) -> OAuthToken:
    """An ``OAuthToken`` as an application builds one from a fresh grant code of the fake."""
    return OAuthToken(
        client_id=fake_zoho.client_id,
        client_secret=fake_zoho.client_secret,
        grant_token=fake_zoho.issue_code(redirect_uri=REDIRECT_URL),
        redirect_url=REDIRECT_URL,
    )


@pytest.fixture
def connected(fake_zoho, initialize) -> ZohoToken:
    """The row the SDK stored after exchanging a grant code; request counts reset."""
    initialize(with_a_grant_code(fake_zoho))
    fake_zoho.reset_counts()
    return ZohoToken.objects.get()


def raw_table_dump() -> str:
    table = connection.ops.quote_name(ZohoToken._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


# -- the first initialize: exchange and store -------------------------------------------------


def test_initialize_with_a_grant_code_stores_one_row(fake_zoho, connected):
    user = fake_zoho.consenting_user
    row = ZohoToken.objects.get()
    assert row.user_name == f"{user.email}:{user.zgid}"
    assert row.client_id == fake_zoho.client_id
    assert row.client_secret == fake_zoho.client_secret
    assert row.redirect_url == REDIRECT_URL
    assert row.api_domain == fake_zoho.url
    assert fake_zoho.is_refresh_token_active(row.refresh_token)
    assert fake_zoho.is_access_token_active(row.access_token)
    assert row.expires_at_ms > now_ms() + 3_500_000


def test_initialize_with_a_grant_code_spends_it_once_and_identifies_the_user(fake_zoho, initialize):
    token = with_a_grant_code(fake_zoho)
    code = token.get_grant_token()
    initialize(token)
    assert fake_zoho.count(TOKEN_PATH, grant_type="authorization_code", code=code) == 1
    assert fake_zoho.count(TOKEN_PATH) == 1
    assert [call.path for call in fake_zoho.crm_calls] == ["/crm/v8/users", "/crm/v8/org"]


def test_initialize_sets_the_database_id_on_the_sdks_token(fake_zoho, initialize):
    token = initialize(
        OAuthToken(
            client_id=fake_zoho.client_id,
            client_secret=fake_zoho.client_secret,
            grant_token=fake_zoho.issue_code(),
        )
    )
    assert token.get_id() == str(ZohoToken.objects.get().pk)


def test_the_stored_row_holds_no_token_in_plaintext(connected):
    row = ZohoToken.objects.get()
    dump = raw_table_dump()
    for secret in (row.refresh_token, row.access_token, row.client_secret, row.grant_token):
        assert secret
        assert secret not in dump
    assert row.user_name in dump


def test_a_second_consent_of_the_same_user_updates_the_same_row(fake_zoho, connected, initialize):
    initialize(
        OAuthToken(
            client_id=fake_zoho.client_id,
            client_secret=fake_zoho.client_secret,
            grant_token=fake_zoho.issue_code(redirect_uri=REDIRECT_URL),
            redirect_url=REDIRECT_URL,
        )
    )
    row = ZohoToken.objects.get()
    assert row.pk == connected.pk
    assert row.refresh_token != connected.refresh_token


def test_consents_of_two_users_store_two_rows(fake_zoho, connected, initialize):
    bob = fake_zoho.add_user("bob@example.com", "Bob Builder")
    initialize(
        OAuthToken(
            client_id=fake_zoho.client_id,
            client_secret=fake_zoho.client_secret,
            grant_token=fake_zoho.issue_code(bob),
        )
    )
    names = set(ZohoToken.objects.values_list("user_name", flat=True))
    assert names == {connected.user_name, bob.sdk_user_name}


# -- later initializes: found without a network call ------------------------------------------


def test_initialize_with_only_the_refresh_token_finds_the_row_offline(
    fake_zoho, connected, initialize
):
    token = initialize(
        OAuthToken(
            client_id=fake_zoho.client_id,
            client_secret=fake_zoho.client_secret,
            refresh_token=connected.refresh_token,
        )
    )
    assert fake_zoho.requests == []
    assert token.get_id() == str(connected.pk)
    assert token.get_access_token() == connected.access_token
    assert ZohoToken.objects.count() == 1


def test_initialize_with_only_the_user_signature_finds_the_row_offline(
    fake_zoho, connected, initialize
):
    token = initialize(OAuthToken(user_signature=UserSignature(connected.user_name)))
    assert fake_zoho.requests == []
    assert token.get_id() == str(connected.pk)
    assert token.get_refresh_token() == connected.refresh_token
    assert token.get_access_token() == connected.access_token


def test_initialize_with_only_the_id_finds_the_row_offline(fake_zoho, connected, initialize):
    token = initialize(OAuthToken(id=str(connected.pk)))
    assert fake_zoho.requests == []
    assert token.get_access_token() == connected.access_token
    assert token.get_refresh_token() == connected.refresh_token
    assert token.get_client_id() == fake_zoho.client_id


def test_initialize_with_only_the_access_token_finds_the_row_offline(
    fake_zoho, connected, initialize
):
    token = initialize(OAuthToken(access_token=connected.access_token))
    assert fake_zoho.requests == []
    assert token.get_id() == str(connected.pk)


def test_a_token_found_offline_is_the_one_the_sdk_sends_to_crm(fake_zoho, connected, initialize):
    token = initialize(OAuthToken(id=str(connected.pk)))
    assert token.get_token() == connected.access_token
    assert fake_zoho.requests == []


# -- an expired row ---------------------------------------------------------------------------


@pytest.fixture
def expired(connected) -> ZohoToken:
    """``connected`` with its access token's expiry in the past."""
    ZohoToken.objects.filter(pk=connected.pk).update(expires_at_ms=now_ms() - 60_000)
    return ZohoToken.objects.get(pk=connected.pk)


@pytest.mark.parametrize("lookup", ["id", "user_signature", "refresh_token"])
def test_an_expired_row_is_refreshed_once_and_updated_in_place(
    fake_zoho, expired, initialize, lookup
):
    if lookup == "id":
        token = OAuthToken(id=str(expired.pk))
    elif lookup == "user_signature":
        token = OAuthToken(user_signature=UserSignature(expired.user_name))
    else:
        token = OAuthToken(
            client_id=fake_zoho.client_id,
            client_secret=fake_zoho.client_secret,
            refresh_token=expired.refresh_token,
        )
    initialize(token)
    assert fake_zoho.count(TOKEN_PATH) == 1
    assert (
        fake_zoho.count(TOKEN_PATH, grant_type="refresh_token", refresh_token=expired.refresh_token)
        == 1
    )
    row = ZohoToken.objects.get()
    assert row.pk == expired.pk
    assert row.access_token != expired.access_token
    assert fake_zoho.is_access_token_active(row.access_token)
    assert row.refresh_token == expired.refresh_token
    assert row.expires_at_ms > now_ms() + 3_500_000
    assert token.get_access_token() == row.access_token


def test_a_refreshed_row_is_not_refreshed_again(fake_zoho, expired, initialize):
    initialize(OAuthToken(id=str(expired.pk)))
    fake_zoho.reset_counts()
    reset_sdk_state()
    initialize(OAuthToken(id=str(expired.pk)))
    assert fake_zoho.requests == []


@pytest.mark.parametrize("kind", ["http_500", "html", "malformed", "down"])
def test_a_failed_refresh_raises_and_leaves_the_row_as_it_was(fake_zoho, expired, initialize, kind):
    fake_zoho.fail("refresh", kind)
    with pytest.raises(SDKException):
        initialize(OAuthToken(id=str(expired.pk)))
    row = ZohoToken.objects.get()
    assert (row.pk, row.access_token, row.expires_at_ms) == (
        expired.pk,
        expired.access_token,
        expired.expires_at_ms,
    )
    assert row.refresh_token == expired.refresh_token


def test_a_refresh_token_revoked_at_zoho_raises_and_keeps_one_row(fake_zoho, expired, initialize):
    fake_zoho.revoke(expired.refresh_token)
    with pytest.raises(SDKException):
        initialize(OAuthToken(id=str(expired.pk)))
    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 1
    assert ZohoToken.objects.count() == 1


def test_a_rejected_grant_code_stores_nothing(fake_zoho, initialize):
    code = fake_zoho.issue_code()
    fake_zoho.fail("exchange", "invalid_code")
    with pytest.raises(SDKException):
        initialize(
            OAuthToken(
                client_id=fake_zoho.client_id,
                client_secret=fake_zoho.client_secret,
                grant_token=code,
            )
        )
    assert not ZohoToken.objects.exists()


# -- get_tokens, delete_token, delete_tokens, find_token_by_id --------------------------------


@pytest.fixture
def three_users(fake_zoho, initialize) -> list[ZohoToken]:
    for email in ("ada@example.com", "bob@example.com", "carol@example.com"):
        user = fake_zoho.add_user(email)
        initialize(
            OAuthToken(
                client_id=fake_zoho.client_id,
                client_secret=fake_zoho.client_secret,
                grant_token=fake_zoho.issue_code(user),
            )
        )
    return list(ZohoToken.objects.order_by("pk"))


def test_get_tokens_gives_every_sdk_token_fully_populated(three_users):
    tokens = DjangoTokenStore().get_tokens()
    assert [t.get_id() for t in tokens] == [str(row.pk) for row in three_users]
    for token, row in zip(tokens, three_users, strict=True):
        assert token.get_user_signature().get_name() == row.user_name
        assert token.get_client_id() == row.client_id
        assert token.get_client_secret() == row.client_secret
        assert token.get_refresh_token() == row.refresh_token
        assert token.get_access_token() == row.access_token
        assert token.get_grant_token() == row.grant_token
        assert token.get_expires_in() == str(row.expires_at_ms)
        assert token.get_api_domain() == row.api_domain


def test_sdk_remove_deletes_the_stored_token(fake_zoho, connected, initialize):
    token = initialize(OAuthToken(id=str(connected.pk)))
    assert token.remove() is True
    assert not ZohoToken.objects.exists()


def test_delete_token_deletes_only_that_users_row(three_users):
    DjangoTokenStore().delete_token(str(three_users[1].pk))
    assert list(ZohoToken.objects.order_by("pk")) == [three_users[0], three_users[2]]


@pytest.mark.parametrize(
    "token_id", ["424242", "abc", "-1", "1e3", "\u0661", "9" * 30, "\U0001f511"]
)
def test_find_token_by_id_is_none_for_ids_naming_no_row(connected, token_id):
    assert DjangoTokenStore().find_token_by_id(token_id) is None


def test_find_token_by_id_of_a_deleted_row_is_none(connected):
    DjangoTokenStore().delete_token(str(connected.pk))
    assert DjangoTokenStore().find_token_by_id(str(connected.pk)) is None


# -- hostile user names, as Zoho reports them -------------------------------------------------


@pytest.mark.parametrize(
    ("email", "zgid"),
    [
        ('o\'brien+"x"@example.com', "'; DROP TABLE zoho_tokens_zohotoken; --"),
        ("\u05e9\u05dc\u05d5\u05dd\U0001f511@\u0645\u062b\u0627\u0644.example", "\u202e700"),
        ("long" + "x" * 10_000 + "@example.com", "7" * 2_000),
    ],
    ids=["quotes-and-drop-table", "unicode-emoji-rtl", "10k"],
)
def test_hostile_user_names_from_zoho_are_stored_and_found_exactly(
    fake_zoho, initialize, email, zgid
):
    user = fake_zoho.add_user(FakeZohoUser(email, "Hostile Name", zgid=zgid))
    initialize(
        OAuthToken(
            client_id=fake_zoho.client_id,
            client_secret=fake_zoho.client_secret,
            grant_token=fake_zoho.issue_code(user),
        )
    )
    row = ZohoToken.objects.get()
    assert row.user_name == f"{email}:{zgid}"
    fake_zoho.reset_counts()
    reset_sdk_state()
    token = initialize(OAuthToken(user_signature=UserSignature(f"{email}:{zgid}")))
    assert fake_zoho.requests == []
    assert token.get_id() == str(row.pk)
    assert token.get_access_token() == row.access_token


# -- failures ---------------------------------------------------------------------------------


def test_a_token_whose_key_was_removed_makes_initialize_raise_with_the_cause(
    fake_zoho, connected, initialize, settings
):
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "ENCRYPTION_KEYS": ["x2hNMAgKoE6BJ7QE-3x3GVbJ0trv8pbPlx5y1nEDd-Q="],
    }
    with pytest.raises(SDKException) as caught:
        initialize(OAuthToken(user_signature=UserSignature(connected.user_name)))
    assert isinstance(caught.value.cause, TokenDecryptionError)
    assert caught.value.cause.token_id == connected.pk
    assert fake_zoho.requests == []
