"""Zoho Books through ``session_for(user, "books")``: each user acts as themselves."""

from __future__ import annotations

import pytest

from tests.api.conftest import ORG, SCOPES, connect
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import MissingScopeError, ZohoAPIError, ZohoThrottledError
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.testing.books.handlers import INTEGRATION_USER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]

ESTIMATE = {"customer_id": "460000000000101", "line_items": [{"rate": 120, "quantity": 2}]}


def test_two_users_create_estimates_under_their_own_names(fake_zoho: FakeZoho) -> None:
    alice, bob = connect(fake_zoho, "alice"), connect(fake_zoho, "bob")

    session_for(alice.user, "books").post("estimates", json=ESTIMATE)
    session_for(bob.user, "books").post("estimates", json=ESTIMATE)

    assert [e["created_by_email"] for e in fake_zoho.books.estimates(ORG)] == [
        "alice@zoho.example",
        "bob@zoho.example",
    ]


def test_each_users_books_calls_carry_their_own_access_token(fake_zoho: FakeZoho) -> None:
    alice, bob = connect(fake_zoho, "alice"), connect(fake_zoho, "bob")

    session_for(alice.user, "books").get("estimates")
    session_for(bob.user, "books").get("invoices")

    assert [
        (call.path, call.access_token) for call in fake_zoho.books.calls if call.organization_id
    ] == [
        ("/books/v3/estimates", alice.access_token),
        ("/books/v3/invoices", bob.access_token),
    ]


def test_every_call_names_the_users_default_organization(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")
    session = session_for(alice.user, "books")

    session.get("estimates")
    session.get("invoices")

    assert [call.organization_id for call in fake_zoho.books.calls] == [None, ORG, ORG]


def test_a_session_organization_id_is_used_without_listing_organizations(
    fake_zoho: FakeZoho,
) -> None:
    alice = connect(fake_zoho, "alice")

    session_for(alice.user, "books", organization_id=ORG).get("estimates")

    assert [(call.path, call.organization_id) for call in fake_zoho.books.calls] == [
        ("/books/v3/estimates", ORG)
    ]


def test_a_calls_own_organization_id_wins_over_the_sessions(fake_zoho: FakeZoho) -> None:
    fake_zoho.books.add_organization(
        "60000000002", "Second", {"alice@zoho.example": INTEGRATION_USER}
    )
    alice = connect(fake_zoho, "alice")

    session = session_for(alice.user, "books", organization_id=ORG)
    session.get("estimates", params={"organization_id": "60000000002"})

    assert [call.organization_id for call in fake_zoho.books.calls] == ["60000000002"]


def test_organizations_lists_the_users_organizations(fake_zoho: FakeZoho) -> None:
    fake_zoho.books.add_organization(
        "60000000002", "Second", {"alice@zoho.example": INTEGRATION_USER}
    )
    alice = connect(fake_zoho, "alice")

    organizations = session_for(alice.user, "books").organizations()

    assert [o["organization_id"] for o in organizations] == [ORG, "60000000002"]


def test_another_users_organization_is_a_clear_6041_error(fake_zoho: FakeZoho) -> None:
    fake_zoho.books.add_organization("60000000009", "Bob's", {"bob@zoho.example": INTEGRATION_USER})
    alice = connect(fake_zoho, "alice")

    with pytest.raises(ZohoAPIError) as caught:
        session_for(alice.user, "books", organization_id="60000000009").get("estimates")

    assert (caught.value.code, caught.value.service) == ("6041", "books")
    assert "does not belong to organization 60000000009" in str(caught.value)


def test_an_integration_user_may_read_invoices_but_not_create_them(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice", scopes=(*SCOPES, "ZohoBooks.invoices.ALL"))
    session = session_for(alice.user, "books")
    session.get("invoices")

    with pytest.raises(ZohoAPIError) as caught:
        session.post("invoices", json=ESTIMATE)

    assert (caught.value.status_code, caught.value.code) == (401, "57")


def test_a_user_without_books_access_gets_a_clear_error(fake_zoho: FakeZoho) -> None:
    carol = connect(fake_zoho, "carol", books=None)

    with pytest.raises(ZohoAPIError) as caught:
        session_for(carol.user, "books").get("organizations")

    assert "role in Zoho Books does not allow" in str(caught.value)


def test_a_user_without_books_access_has_no_other_token_tried(fake_zoho: FakeZoho) -> None:
    connect(fake_zoho, "alice")
    carol = connect(fake_zoho, "carol", books=None)

    with pytest.raises(ZohoAPIError):
        session_for(carol.user, "books").get("organizations")

    users = {call.user_email for call in fake_zoho.books.calls}
    assert users == {"carol@zoho.example"}


def test_a_refused_users_next_call_does_not_refresh_again(fake_zoho: FakeZoho) -> None:
    carol = connect(fake_zoho, "carol", books=None)
    session = session_for(carol.user, "books")
    with pytest.raises(ZohoAPIError):
        session.get("organizations")

    with pytest.raises(ZohoAPIError):
        session.get("organizations")

    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 1


def test_books_scopes_missing_from_the_settings_ask_to_connect_again(
    fake_zoho: FakeZoho, settings
) -> None:
    alice = connect(fake_zoho, "alice", scopes=("ZohoCRM.users.READ", "ZohoCRM.org.READ"))
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "SCOPES": ["ZohoCRM.modules.ALL"]}

    with pytest.raises(MissingScopeError) as caught:
        session_for(alice.user, "books").get("organizations")

    assert caught.value.scopes == ["ZohoBooks.settings.READ"]
    assert "add ZohoBooks.settings.READ (or ZohoBooks.settings.ALL) to" in str(caught.value)
    assert "connect Zoho again" in str(caught.value)


def test_too_many_calls_raise_throttled_with_the_rate_limit_headers(fake_zoho: FakeZoho) -> None:
    fake_zoho.books.per_minute_limit = 2
    session = session_for(connect(fake_zoho, "alice").user, "books", organization_id=ORG)
    session.get("estimates")
    session.get("estimates")

    with pytest.raises(ZohoThrottledError) as caught:
        session.get("estimates")

    assert caught.value.rate_limit == {
        "x-rate-limit-limit": "1000",
        "x-rate-limit-remaining": "998",
        "x-rate-limit-reset": caught.value.rate_limit["x-rate-limit-reset"],
    }


def test_an_organization_id_in_the_url_is_kept_alone(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    session_for(alice.user, "books").get(f"estimates?organization_id={ORG}")

    assert [call.path for call in fake_zoho.books.calls] == ["/books/v3/estimates"]


# -- code 57: the real cause named ----------------------------------------------------------------

WITHOUT_ESTIMATES = ("ZohoBooks.settings.READ", "ZohoBooks.invoices.READ")


def test_a_scope_missing_from_scopes_is_named_with_where_to_add_it(
    fake_zoho: FakeZoho, settings
) -> None:
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "SCOPES": [*SCOPES[:4], *WITHOUT_ESTIMATES],
        "SERVICES": {"crm": None, "books": list(WITHOUT_ESTIMATES)},
    }
    alice = connect(fake_zoho, "alice", scopes=(*SCOPES[:4], *WITHOUT_ESTIMATES))

    with pytest.raises(MissingScopeError) as caught:
        session_for(alice.user, "books").post("estimates", json=ESTIMATE)

    message = str(caught.value)
    assert "POST /books/v3/estimates needs ZohoBooks.estimates.CREATE" in message
    assert "add ZohoBooks.estimates.CREATE (or ZohoBooks.estimates.ALL) to" in message
    assert "ZOHO_TOKENS['SCOPES']" in message
    assert "role" not in message
    assert caught.value.scopes == ["ZohoBooks.estimates.CREATE"]


def test_a_missing_scope_spends_no_refresh(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice", scopes=(*SCOPES[:4], *WITHOUT_ESTIMATES))

    with pytest.raises(MissingScopeError):
        session_for(alice.user, "books").post("estimates", json=ESTIMATE)

    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 0


def test_a_scope_in_scopes_but_not_granted_asks_the_user_to_connect_again(
    fake_zoho: FakeZoho,
) -> None:
    alice = connect(fake_zoho, "alice", scopes=(*SCOPES[:4], *WITHOUT_ESTIMATES))

    with pytest.raises(MissingScopeError) as caught:
        session_for(alice.user, "books").post("estimates", json=ESTIMATE)

    message = str(caught.value)
    assert "ZOHO_TOKENS['SCOPES'] has ZohoBooks.estimates.ALL, but this token was granted" in (
        message
    )
    assert "must connect Zoho again" in message
    assert caught.value.connect_url is not None
    assert "ZohoBooks.estimates.ALL" in caught.value.connect_url


def test_a_refusal_with_the_scope_granted_names_the_role(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice", scopes=(*SCOPES, "ZohoBooks.invoices.ALL"))

    with pytest.raises(ZohoAPIError) as caught:
        session_for(alice.user, "books").post("invoices", json=ESTIMATE)

    message = str(caught.value)
    assert "refused Zoho token 1 right after a refresh" in message.replace(
        f"token {alice.pk}", "token 1"
    )
    assert "the token has the scope the call needs (ZohoBooks.invoices.CREATE)" in message
    assert "role in Zoho Books does not allow" in message


def test_a_refusal_remembered_does_not_claim_a_refresh(fake_zoho: FakeZoho) -> None:
    carol = connect(fake_zoho, "carol", books=None)
    session = session_for(carol.user, "books")
    with pytest.raises(ZohoAPIError):
        session.get("organizations")

    with pytest.raises(ZohoAPIError) as caught:
        session.get("organizations")

    message = str(caught.value)
    assert "freshly" not in message
    assert "again (it did right after a refresh)" in message
    assert "the token has the scope the call needs (ZohoBooks.settings.READ)" in message
