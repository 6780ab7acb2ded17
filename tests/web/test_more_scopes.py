"""Asking one user for more scopes later, and starting consent at a chosen data centre."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from tests.web.conftest import BOOKS_ESTIMATES_SCOPE
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.consent import connect_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_estimates_extra_scope")]

BOOKS = BOOKS_ESTIMATES_SCOPE


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def connected(client: Client, fake_zoho: FakeZoho) -> ZohoToken:
    """Alice connected with the configured (CRM) scopes."""
    client.get(fake_zoho.consent(client.get("/zoho/connect/")["Location"]))
    return ZohoToken.objects.get()


def live_refresh_tokens(fake_zoho: FakeZoho) -> list[str]:
    return [token.token for token in fake_zoho.refresh_tokens if token.active]


def follow_to_callback(url: str) -> str:
    """The browser at Zoho: where Zoho sends it back."""
    return requests.get(url, allow_redirects=False, timeout=5).headers["Location"]


def test_a_connection_records_the_scopes_zoho_granted(connected: ZohoToken, fake_zoho) -> None:
    assert connected.scopes == list(fake_zoho.refresh_tokens[0].scopes)
    assert not connected.has_scopes(BOOKS)


def test_asking_for_an_extra_scope_asks_for_it_with_everything_the_token_has(
    client: Client, connected: ZohoToken
) -> None:
    query = query_of(client.get(connect_url(scopes=[BOOKS]))["Location"])

    assert query["scope"].split(",") == [*connected.scopes, BOOKS]


def test_a_full_consent_for_more_scopes_keeps_one_row_and_one_refresh_token(
    client: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    client.get(fake_zoho.consent(client.get(connect_url(scopes=[BOOKS]))["Location"]))

    (token,) = ZohoToken.objects.all()
    assert token.pk == connected.pk
    assert token.has_scopes(BOOKS)
    assert live_refresh_tokens(fake_zoho) == [token.refresh_token]


def test_scope_enhancement_adds_scopes_to_the_same_refresh_token(
    client: Client, fake_zoho: FakeZoho, connected: ZohoToken, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "INCREMENTAL_CONSENT": "enhance"}

    to_zoho = client.get(connect_url(scopes=[BOOKS], next="/crm/"))["Location"]
    assert urlsplit(to_zoho).path == "/oauth/v2/token/addextrascope"
    assert query_of(to_zoho)["scope"] == BOOKS
    response = client.get(follow_to_callback(to_zoho))

    assert response.status_code == 302
    assert response["Location"] == "/crm/"
    (token,) = ZohoToken.objects.all()
    assert token.refresh_token == connected.refresh_token
    assert token.has_scopes(BOOKS)
    assert live_refresh_tokens(fake_zoho) == [connected.refresh_token]
    assert BOOKS in fake_zoho.refresh_tokens[0].scopes


def test_an_enhance_token_is_used_once(
    client: Client, fake_zoho: FakeZoho, connected, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "INCREMENTAL_CONSENT": "enhance"}
    to_zoho = client.get(connect_url(scopes=[BOOKS]))["Location"]
    follow_to_callback(to_zoho)

    again = requests.get(to_zoho, allow_redirects=False, timeout=5)

    assert again.status_code == 400


def test_enhancement_falls_back_to_a_full_consent_when_zoho_refuses_it(
    client: Client, fake_zoho: FakeZoho, connected: ZohoToken, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "INCREMENTAL_CONSENT": "enhance"}
    fake_zoho.revoke(connected.refresh_token)  # Zoho no longer knows it: no enhance token

    to_zoho = client.get(connect_url(scopes=[BOOKS]))["Location"]

    assert urlsplit(to_zoho).path == "/oauth/v2/auth"
    assert BOOKS in query_of(to_zoho)["scope"].split(",")


def test_a_scope_the_settings_do_not_allow_is_never_asked_for(
    client: Client, fake_zoho: FakeZoho, connected
) -> None:
    response = client.get("/zoho/connect/?scope=ZohoMail.messages.ALL")

    assert response.status_code == 400
    assert "does not allow" in response.content.decode()
    assert fake_zoho.auth_requests == [] or all(
        "ZohoMail" not in request.get("scope", "") for request in fake_zoho.auth_requests
    )


def test_consent_starts_at_the_chosen_data_centre(client: Client, fake_zoho: FakeZoho) -> None:
    location = client.get(connect_url(location="cn"))["Location"]

    assert location.startswith("https://accounts.zoho.com.cn/oauth/v2/auth?")


def test_an_unknown_data_centre_is_refused(client: Client, fake_zoho: FakeZoho) -> None:
    response = client.get("/zoho/connect/?location=mars")

    assert response.status_code == 400
    assert "data centre" in response.content.decode()


def test_connect_url_comes_back_to_the_current_page(rf) -> None:
    request = rf.get("/books/estimates/?page=2")

    url = connect_url(request, scopes=[BOOKS, "ZohoBooks.invoices.READ"], location="EU")

    assert urlsplit(url).path == "/zoho/connect/"
    assert query_of(url) == {
        "scope": f"{BOOKS},ZohoBooks.invoices.READ",
        "next": "/books/estimates/?page=2",
        "location": "eu",
    }
