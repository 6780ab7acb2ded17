"""``DjangoTokenStore`` called directly, the way the SDK calls it: matching, filling,
saving, deleting, hostile values, and failures.

Every stored access token here is valid for an hour, so no lookup needs a refresh; the
settings point at the fake Zoho all the same, so that a refresh could never leave the
machine.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from zoho_tokens import signals
from zoho_tokens.exceptions import (
    NoUsableTokenError,
    ReauthorizationRequired,
    TokenDecryptionError,
)
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.sdk.mapping import parse_token_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_zoho")]

HOUR_MS = 3_600_000
USER = "ada@example.com:700000001"
OTHER_USER = "bob@example.com:700000001"
CLIENT_ID = "1000.CLIENTID"
CLIENT_SECRET = "client-secret-value"
REDIRECT_URL = "https://app.example/zoho/callback/"
API_DOMAIN = "https://www.zohoapis.eu"

HOSTILE = [
    "O'Brien \"quoted\" `backtick` \\backslash\\ 'single'",
    "'; DROP TABLE zoho_tokens_zohotoken; --",
    "x' OR '1'='1",
    "%_ LIKE wildcards _% [brackets] *star*",
    "\u30e6\u30fc\u30b6\u30fc@\u4f8b\u3048.jp:\u7d44\u7e54",
    "emoji \U0001f511\U0001f984\U0001f469\u200d\U0001f469\u200d\U0001f467 mixed",
    "RTL \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd \u202eevil\u202c end",
    "line1\nline2\r\n\ttabbed ",
    "x" * 10_000,
    "\u00e9\U0001f511" * 2_000,
]
HOSTILE_IDS = [
    "quotes",
    "drop-table",
    "or-1-1",
    "wildcards",
    "cjk",
    "emoji",
    "rtl",
    "whitespace",
    "10k-ascii",
    "10k-unicode",
]


def future() -> str:
    return str(now_ms() + HOUR_MS)


#: The fields of an ``OAuthToken`` as the SDK holds one after an exchange.
TOKEN_FIELDS: dict[str, str | None] = {
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "refresh_token": "1000.rt.ada",
    "access_token": "1000.at.ada",
    "grant_token": None,
    "redirect_url": REDIRECT_URL,
    "api_domain": API_DOMAIN,
    "id": None,
}


def make_token(
    user_name: str | None = USER, *, expires_in: str | None = "future", **fields: str | None
) -> OAuthToken:
    """An ``OAuthToken`` as the SDK holds one after an exchange; ``fields`` override
    :data:`TOKEN_FIELDS`."""
    signature = UserSignature(user_name) if user_name is not None else None
    token = OAuthToken(**{**TOKEN_FIELDS, **fields}, user_signature=signature)
    token.set_expires_in(future() if expires_in == "future" else expires_in)
    return token


def save(store, **kwargs) -> OAuthToken:
    token = make_token(**kwargs)
    store.save_token(token)
    return token


def fields(token: OAuthToken) -> dict:
    signature = token.get_user_signature()
    return {
        "id": token.get_id(),
        "user_name": signature.get_name() if signature is not None else None,
        "client_id": token.get_client_id(),
        "client_secret": token.get_client_secret(),
        "refresh_token": token.get_refresh_token(),
        "access_token": token.get_access_token(),
        "grant_token": token.get_grant_token(),
        "expires_in": token.get_expires_in(),
        "redirect_url": token.get_redirect_url(),
        "api_domain": token.get_api_domain(),
    }


# -- find_token: what matches -----------------------------------------------------------------


def test_find_token_by_user_name_fills_the_token_and_returns_that_object(store):
    saved = save(store)
    token = OAuthToken(user_signature=UserSignature(USER))
    assert store.find_token(token) is token
    assert fields(token) == fields(saved)


def test_find_token_by_access_token_when_no_client_credentials(store):
    saved = save(store)
    token = OAuthToken(access_token="1000.at.ada")
    assert store.find_token(token) is token
    assert token.get_id() == saved.get_id()
    assert token.get_refresh_token() == "1000.rt.ada"


def test_find_token_ignores_the_access_token_when_client_credentials_are_given(store):
    save(store)
    token = OAuthToken(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, access_token="1000.at.ada")
    assert store.find_token(token) is None


def test_find_token_ignores_the_access_token_when_only_the_client_id_is_given(store):
    save(store)
    assert store.find_token(OAuthToken(client_id=CLIENT_ID, access_token="1000.at.ada")) is None


def test_find_token_by_grant_token(store):
    saved = save(store, grant_token="1000.gc.ada")
    token = OAuthToken(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, grant_token="1000.gc.ada")
    assert store.find_token(token) is token
    assert token.get_id() == saved.get_id()


def test_find_token_by_refresh_token(store):
    saved = save(store)
    token = OAuthToken(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token="1000.rt.ada"
    )
    assert store.find_token(token) is token
    assert token.get_id() == saved.get_id()
    assert token.get_access_token() == "1000.at.ada"


def test_find_token_by_refresh_token_of_another_client_finds_nothing(store):
    save(store)
    token = OAuthToken(client_id="1000.OTHER", client_secret="s", refresh_token="1000.rt.ada")
    assert store.find_token(token) is None


def test_find_token_by_grant_or_refresh_needs_both_client_credentials(store):
    save(store, grant_token="1000.gc.ada")
    token = OAuthToken(client_id=CLIENT_ID, client_secret="", refresh_token="1000.rt.ada")
    token.set_client_secret(None)
    assert store.find_token(token) is None


def test_find_token_user_name_comes_before_the_access_token(store):
    save(store)
    bob = save(store, user_name=OTHER_USER, refresh_token="1000.rt.bob", access_token="1000.at.bob")
    token = OAuthToken(access_token="1000.at.ada", user_signature=UserSignature(OTHER_USER))
    assert store.find_token(token) is token
    assert token.get_id() == bob.get_id()


def test_find_token_user_name_comes_before_the_refresh_token(store):
    save(store)
    bob = save(store, user_name=OTHER_USER, refresh_token="1000.rt.bob", access_token="1000.at.bob")
    token = make_token(OTHER_USER, refresh_token="1000.rt.ada", access_token=None, expires_in=None)
    store.find_token(token)
    assert token.get_id() == bob.get_id()


def test_find_token_with_an_unknown_user_name_does_not_fall_back_to_tokens(store):
    save(store)
    token = make_token("nobody@example.com:1", access_token=None, expires_in=None)
    assert store.find_token(token) is None


def test_find_token_grant_token_comes_before_the_refresh_token(store):
    ada = save(store, grant_token="1000.gc.ada")
    save(store, user_name=OTHER_USER, refresh_token="1000.rt.bob", grant_token="1000.gc.bob")
    token = OAuthToken(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        grant_token="1000.gc.ada",
        refresh_token="1000.rt.bob",
    )
    store.find_token(token)
    assert token.get_id() == ada.get_id()


def test_find_token_falls_back_to_the_refresh_token_when_the_grant_is_unknown(store):
    ada = save(store)
    token = OAuthToken(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        grant_token="1000.gc.new-unknown",
        refresh_token="1000.rt.ada",
    )
    assert store.find_token(token) is token
    assert token.get_id() == ada.get_id()


def test_find_token_with_user_name_and_client_id_picks_that_clients_row(store):
    save(store)
    other = save(store, client_id="1000.OTHER", refresh_token="1000.rt.other")
    token = OAuthToken(user_signature=UserSignature(USER), client_id="1000.OTHER")
    store.find_token(token)
    assert token.get_id() == other.get_id()
    assert token.get_refresh_token() == "1000.rt.other"


def test_find_token_user_name_is_exact(store):
    save(store)
    for near in ["ADA@example.com:700000001", "ada@example.com", USER + " ", " " + USER]:
        assert store.find_token(OAuthToken(user_signature=UserSignature(near))) is None


def test_find_token_finds_nothing_in_an_empty_store(store):
    assert store.find_token(OAuthToken(user_signature=UserSignature(USER))) is None


@pytest.mark.parametrize("status", [TokenStatus.REVOKED, TokenStatus.NEEDS_REAUTH])
def test_find_token_skips_rows_that_are_not_active(store, status):
    save(store)
    ZohoToken.objects.update(status=status)
    assert store.find_token(OAuthToken(user_signature=UserSignature(USER))) is None


# -- find_token: what it fills ----------------------------------------------------------------


def test_find_token_fills_only_the_fields_that_are_none(store):
    save(store)
    token = OAuthToken(
        user_signature=UserSignature(USER),
        client_secret="callers-secret",
        redirect_url="https://caller.example/cb",
        access_token="callers-access-token",
    )
    store.find_token(token)
    assert token.get_client_secret() == "callers-secret"
    assert token.get_redirect_url() == "https://caller.example/cb"
    assert token.get_access_token() == "callers-access-token"
    assert token.get_refresh_token() == "1000.rt.ada"
    assert token.get_client_id() == CLIENT_ID
    assert token.get_api_domain() == API_DOMAIN


def test_find_token_keeps_the_callers_id(store):
    save(store)
    token = OAuthToken(user_signature=UserSignature(USER), id="callers-id")
    store.find_token(token)
    assert token.get_id() == "callers-id"


def test_find_token_hands_the_expiry_back_as_a_string_of_epoch_ms(store):
    saved = save(store)
    token = OAuthToken(user_signature=UserSignature(USER))
    store.find_token(token)
    assert isinstance(token.get_expires_in(), str)
    assert token.get_expires_in() == saved.get_expires_in()


def test_find_token_leaves_absent_values_as_none(store):
    save(store, grant_token=None, redirect_url=None)
    token = OAuthToken(user_signature=UserSignature(USER))
    store.find_token(token)
    assert token.get_grant_token() is None
    assert token.get_redirect_url() is None


# -- save_token -------------------------------------------------------------------------------


def test_save_token_inserts_a_row_and_sets_its_database_id(store):
    token = save(store)
    row = ZohoToken.objects.get()
    assert token.get_id() == str(row.pk)
    assert row.user_name == USER
    assert row.client_id == CLIENT_ID
    assert row.client_secret == CLIENT_SECRET
    assert row.refresh_token == "1000.rt.ada"
    assert row.access_token == "1000.at.ada"
    assert row.expires_at_ms == int(token.get_expires_in())
    assert row.redirect_url == REDIRECT_URL
    assert row.api_domain == API_DOMAIN


def test_save_token_updates_the_row_of_the_same_user_name(store):
    first = save(store)
    second = save(store, access_token="1000.at.new", refresh_token="1000.rt.new")
    row = ZohoToken.objects.get()
    assert second.get_id() == first.get_id() == str(row.pk)
    assert (row.access_token, row.refresh_token) == ("1000.at.new", "1000.rt.new")


def test_save_token_updates_the_row_named_by_id(store):
    first = save(store)
    token = OAuthToken(id=first.get_id(), access_token="1000.at.by-id")
    token.set_expires_in(future())
    store.save_token(token)
    row = ZohoToken.objects.get()
    assert str(row.pk) == first.get_id()
    assert row.access_token == "1000.at.by-id"
    assert row.user_name == USER


def test_save_token_updates_the_row_matched_by_refresh_token(store):
    first = save(store)
    token = make_token(None, access_token="1000.at.refreshed")
    store.save_token(token)
    row = ZohoToken.objects.get()
    assert token.get_id() == first.get_id()
    assert row.access_token == "1000.at.refreshed"
    assert row.user_name == USER


def test_save_token_updates_the_row_matched_by_grant_token(store):
    first = save(store, grant_token="1000.gc.ada")
    token = make_token(
        None, refresh_token=None, grant_token="1000.gc.ada", access_token="1000.at.g"
    )
    store.save_token(token)
    assert token.get_id() == first.get_id()
    assert ZohoToken.objects.get().access_token == "1000.at.g"


def test_save_token_updates_the_row_matched_by_access_token(store):
    first = save(store)
    token = OAuthToken(access_token="1000.at.ada")
    token.set_expires_in(future())
    token.set_api_domain("https://sandbox.zohoapis.eu")
    store.save_token(token)
    assert token.get_id() == first.get_id()
    assert ZohoToken.objects.get().api_domain == "https://sandbox.zohoapis.eu"


def test_save_token_inserts_a_row_for_another_zoho_user(store):
    ada = save(store)
    bob = save(store, user_name=OTHER_USER, refresh_token="1000.rt.bob", access_token="1000.at.bob")
    assert ada.get_id() != bob.get_id()
    assert ZohoToken.objects.count() == 2


def test_save_token_inserts_a_row_for_the_same_user_of_another_client(store):
    save(store)
    save(store, client_id="1000.OTHER", refresh_token="1000.rt.other")
    assert ZohoToken.objects.count() == 2


def test_save_token_never_duplicates_a_zoho_user_and_client(store):
    for n in range(3):
        save(store, refresh_token=f"1000.rt.{n}", access_token=f"1000.at.{n}")
    row = ZohoToken.objects.get()
    assert (row.refresh_token, row.access_token) == ("1000.rt.2", "1000.at.2")


def test_save_token_keeps_the_stored_refresh_token_when_the_token_has_none(store):
    save(store)
    save(store, refresh_token=None, access_token="1000.at.new")
    row = ZohoToken.objects.get()
    assert row.refresh_token == "1000.rt.ada"
    assert row.access_token == "1000.at.new"


def test_save_token_keeps_stored_values_the_token_lacks(store):
    save(store, grant_token="1000.gc.ada")
    save(store, client_secret=None, redirect_url=None, api_domain=None, grant_token=None)
    row = ZohoToken.objects.get()
    assert row.client_secret == CLIENT_SECRET
    assert row.redirect_url == REDIRECT_URL
    assert row.api_domain == API_DOMAIN
    assert row.grant_token == "1000.gc.ada"


def test_save_token_stores_the_expiry_as_a_number(store):
    save(store, expires_in="1893456000000")
    assert ZohoToken.objects.get().expires_at_ms == 1_893_456_000_000


def test_save_token_accounts_server_follows_the_api_domain(store):
    save(store, api_domain="https://www.zohoapis.eu/")
    row = ZohoToken.objects.get()
    assert (row.api_domain, row.accounts_server, row.location) == (
        "https://www.zohoapis.eu",
        "https://accounts.zoho.eu",
        "eu",
    )


def test_save_token_with_an_unknown_api_domain_takes_the_configured_accounts_server(
    store, fake_zoho
):
    save(store, api_domain=fake_zoho.url)
    assert ZohoToken.objects.get().accounts_server == fake_zoho.url


def test_save_token_ids_are_distinct_database_ids(store):
    ids = [
        save(store, user_name=f"user{n}@example.com:1", refresh_token=f"1000.rt.{n}").get_id()
        for n in range(12)
    ]
    assert len(set(ids)) == 12
    assert ids == [str(pk) for pk in ZohoToken.objects.order_by("pk").values_list("pk", flat=True)]


def test_save_token_never_reuses_the_id_of_a_deleted_row(store):
    save(store)
    newest = save(store, user_name=OTHER_USER, refresh_token="1000.rt.bob")
    store.delete_token(newest.get_id())
    again = save(store, user_name="carol@example.com:1", refresh_token="1000.rt.carol")
    assert int(again.get_id()) > int(newest.get_id())


def test_save_token_with_a_new_refresh_token_reactivates_a_row_needing_reauth(store):
    save(store)
    ZohoToken.objects.update(status=TokenStatus.NEEDS_REAUTH)
    save(store, refresh_token="1000.rt.reconsented")
    assert ZohoToken.objects.get().status == TokenStatus.ACTIVE


def revoke_stored(*, remote_pending: bool = False) -> ZohoToken:
    row = ZohoToken.objects.get()
    row.mark_revoked(remote_pending=remote_pending)
    row.save()
    return row


def test_save_token_with_the_revoked_refresh_token_leaves_the_row_revoked(store):
    save(store)
    revoke_stored()
    with pytest.raises(SDKException):
        save(store)
    assert ZohoToken.objects.get().status == TokenStatus.REVOKED


@pytest.mark.parametrize("remote_pending", [False, True])
def test_save_token_with_the_revoked_refresh_token_writes_no_secret(store, remote_pending):
    save(store)
    before = ZohoToken.objects.filter(pk=revoke_stored(remote_pending=remote_pending).pk)
    expected = before.values().get()

    with pytest.raises(SDKException):
        save(store)

    assert before.values().get() == expected
    assert before.get().access_token is None
    assert before.get().client_secret is None


def test_save_token_onto_a_revoked_row_is_refused_with_a_clear_cause(store):
    first = save(store)
    revoke_stored()

    with pytest.raises(SDKException) as raised:
        store.save_token(make_token(refresh_token=None, id=first.get_id()))

    assert isinstance(raised.value.cause, NoUsableTokenError)
    assert "revoked" in str(raised.value.cause)


def test_save_token_with_the_refused_refresh_token_leaves_the_row_needing_reauth(store):
    save(store)
    ZohoToken.objects.update(status=TokenStatus.NEEDS_REAUTH, access_token_encrypted="")

    with pytest.raises(SDKException) as raised:
        save(store)

    assert isinstance(raised.value.cause, ReauthorizationRequired)
    assert ZohoToken.objects.get().access_token is None


def test_save_token_with_a_new_refresh_token_reactivates_a_revoked_row(store):
    save(store)
    revoke_stored()

    save(store, refresh_token="1000.rt.reconsented")

    row = ZohoToken.objects.get()
    assert (row.status, row.refresh_token, row.access_token) == (
        TokenStatus.ACTIVE,
        "1000.rt.reconsented",
        "1000.at.ada",
    )


def test_save_token_sends_token_saved(store):
    received = []

    def receiver(sender, token, created, **kwargs):
        received.append((token.pk, created))

    signals.token_saved.connect(receiver)
    try:
        first = save(store)
        save(store, access_token="1000.at.new")
    finally:
        signals.token_saved.disconnect(receiver)
    pk = int(first.get_id())
    assert received == [(pk, True), (pk, False)]


def test_save_token_that_would_give_a_user_two_rows_raises_with_the_cause(store):
    save(store)
    bob = save(store, user_name=OTHER_USER, refresh_token="1000.rt.bob")
    conflicting = OAuthToken(id=bob.get_id(), user_signature=UserSignature(USER))
    with pytest.raises(SDKException) as caught:
        store.save_token(conflicting)
    assert isinstance(caught.value.cause, IntegrityError)
    assert caught.value.code == "TOKEN_STORE"
    assert ZohoToken.objects.count() == 2


# -- find_token_by_id -------------------------------------------------------------------------


def test_find_token_by_id_gives_a_fully_populated_token(store):
    saved = save(store, grant_token="1000.gc.ada")
    found = store.find_token_by_id(saved.get_id())
    assert fields(found) == fields(saved)


@pytest.mark.parametrize(
    "token_id",
    [
        "999999999",
        "0",
        "-1",
        "1.0",
        "1e3",
        "0x1",
        "",
        " ",
        "abc",
        "None",
        str(2**63),
        "9" * 40,
        "\u0661",  # ARABIC-INDIC DIGIT ONE
        "\uff11",  # FULLWIDTH DIGIT ONE
        "\u00b9",  # SUPERSCRIPT ONE
        "1; DROP TABLE zoho_tokens_zohotoken; --",
        "1 OR 1=1",
        "\U0001f511",
        "x" * 10_000,
        None,
    ],
)
def test_find_token_by_id_is_none_for_anything_but_a_stored_id(store, token_id):
    save(store)
    assert store.find_token_by_id(token_id) is None


def test_find_token_by_id_skips_a_revoked_row(store):
    saved = save(store)
    ZohoToken.objects.update(status=TokenStatus.REVOKED)
    assert store.find_token_by_id(saved.get_id()) is None


@pytest.mark.parametrize(
    ("text", "pk"),
    [
        ("1", 1),
        ("42", 42),
        (str(2**63 - 1), 2**63 - 1),
        ("0", None),
        ("-3", None),
        ("\uff11", None),
    ],
)
def test_parse_token_id(text, pk):
    assert parse_token_id(text) == pk


# -- get_tokens -------------------------------------------------------------------------------


def test_get_tokens_gives_every_token_fully_populated(store):
    saved = [
        save(store, user_name=f"user{n}@example.com:1", refresh_token=f"1000.rt.{n}")
        for n in range(3)
    ]
    tokens = store.get_tokens()
    assert [fields(t) for t in tokens] == [fields(t) for t in saved]
    assert all(isinstance(t, OAuthToken) for t in tokens)


def test_get_tokens_of_an_empty_store_is_empty(store):
    assert store.get_tokens() == []


# -- delete_token / delete_tokens -------------------------------------------------------------


def test_delete_token_deletes_only_that_row(store):
    ada = save(store)
    bob = save(store, user_name=OTHER_USER, refresh_token="1000.rt.bob")
    store.delete_token(ada.get_id())
    assert [str(pk) for pk in ZohoToken.objects.values_list("pk", flat=True)] == [bob.get_id()]
    assert store.find_token_by_id(ada.get_id()) is None


@pytest.mark.parametrize("token_id", ["999999999", "abc", "-1", "", "1 OR 1=1", None])
def test_delete_token_of_an_id_that_names_no_row_deletes_nothing(store, token_id):
    save(store)
    store.delete_token(token_id)
    assert ZohoToken.objects.count() == 1


def test_delete_tokens_deletes_every_row(store):
    for n in range(3):
        save(store, user_name=f"user{n}@example.com:1", refresh_token=f"1000.rt.{n}")
    store.delete_tokens()
    assert not ZohoToken.objects.exists()
    assert store.get_tokens() == []


# -- hostile values ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_user_name_is_stored_and_found_exactly(store, value):
    saved = save(store, user_name=value)
    token = OAuthToken(user_signature=UserSignature(value))
    assert store.find_token(token) is token
    assert token.get_id() == saved.get_id()
    assert ZohoToken.objects.get().user_name == value
    assert store.find_token_by_id(saved.get_id()).get_user_signature().get_name() == value


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_refresh_token_is_stored_and_found_exactly(store, value):
    saved = save(store, refresh_token=value)
    token = OAuthToken(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=value)
    assert store.find_token(token) is token
    assert token.get_id() == saved.get_id()
    assert store.find_token_by_id(saved.get_id()).get_refresh_token() == value


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_access_token_is_stored_and_found_exactly(store, value):
    saved = save(store, access_token=value)
    token = OAuthToken(access_token=value)
    assert store.find_token(token) is token
    assert token.get_id() == saved.get_id()
    assert token.get_refresh_token() == "1000.rt.ada"


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_grant_token_and_secret_are_stored_exactly(store, value):
    saved = save(store, grant_token=value, client_secret=value, redirect_url=value)
    token = OAuthToken(client_id=CLIENT_ID, client_secret=value, grant_token=value)
    assert store.find_token(token) is token
    found = store.find_token_by_id(saved.get_id())
    assert (found.get_grant_token(), found.get_client_secret(), found.get_redirect_url()) == (
        value,
        value,
        value,
    )


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_values_do_not_match_their_neighbours(store, value):
    save(store, user_name=value, refresh_token=value)
    for near in (value[:-1], value + " ", value.upper() if value != value.upper() else value + "x"):
        assert store.find_token(OAuthToken(user_signature=UserSignature(near))) is None
        near_token = OAuthToken(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=near
        )
        assert store.find_token(near_token) is None


def test_hostile_values_leave_the_table_intact(store):
    for n, value in enumerate(HOSTILE):
        save(store, user_name=value, refresh_token=f"{value}-{n}", access_token=value)
    assert ZohoToken.objects.count() == len(HOSTILE)
    assert sorted(t.get_user_signature().get_name() for t in store.get_tokens()) == sorted(HOSTILE)


def test_user_names_differing_only_in_case_or_normalisation_are_different_users(store):
    names = [
        "ada@example.com:1",
        "ADA@example.com:1",
        "caf\u00e9@example.com:1",
        "cafe\u0301@example.com:1",
    ]
    ids = {save(store, user_name=name, refresh_token=f"1000.rt.{name}").get_id() for name in names}
    assert len(ids) == 4
    for name in names:
        token = OAuthToken(user_signature=UserSignature(name))
        store.find_token(token)
        assert token.get_refresh_token() == f"1000.rt.{name}"


# -- failures ---------------------------------------------------------------------------------


@pytest.fixture
def undecryptable(settings, store):
    """A stored token whose encryption key has since been removed."""
    save(store)
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "ENCRYPTION_KEYS": ["x2hNMAgKoE6BJ7QE-3x3GVbJ0trv8pbPlx5y1nEDd-Q="],
    }
    return ZohoToken.objects.get()


def test_find_token_with_a_lost_key_raises_sdk_exception_with_the_cause(store, undecryptable):
    token = OAuthToken(user_signature=UserSignature(USER))
    with pytest.raises(SDKException) as caught:
        store.find_token(token)
    assert caught.value.code == "TOKEN_STORE"
    assert isinstance(caught.value.cause, TokenDecryptionError)
    assert caught.value.cause.token_id == undecryptable.pk
    assert f"Zoho token {undecryptable.pk}" in str(caught.value)
    assert token.get_refresh_token() is None


def test_find_token_by_id_with_a_lost_key_raises_sdk_exception(store, undecryptable):
    with pytest.raises(SDKException) as caught:
        store.find_token_by_id(str(undecryptable.pk))
    assert isinstance(caught.value.cause, TokenDecryptionError)


def test_get_tokens_with_a_lost_key_raises_sdk_exception(store, undecryptable):
    with pytest.raises(SDKException) as caught:
        store.get_tokens()
    assert isinstance(caught.value.cause, TokenDecryptionError)


def test_store_exceptions_carry_no_secret(store, undecryptable):
    with pytest.raises(SDKException) as caught:
        store.find_token(OAuthToken(user_signature=UserSignature(USER)))
    text = str(caught.value)
    assert CLIENT_SECRET not in text
    assert "1000.rt.ada" not in text
    assert undecryptable.refresh_token_encrypted not in text


def test_store_repr_shows_no_secret(store):
    assert repr(store) == "DjangoTokenStore(using=None)"


@pytest.mark.parametrize("expires_in", ["soon", "12.5", "1e12", "-5", "99999999999999999999999"])
def test_save_token_with_a_malformed_expiry_raises_sdk_exception_and_changes_nothing(
    store, expires_in
):
    save(store)
    token = make_token(access_token="1000.at.new", expires_in=expires_in)
    with pytest.raises(SDKException) as caught:
        store.save_token(token)
    assert isinstance(caught.value.cause, ValueError)
    assert ZohoToken.objects.get().access_token == "1000.at.ada"
