"""The fake Zoho Accounts' authorization endpoint and its consent page.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import pytest
import requests

from tests.testing.fake_client import REDIRECT_URI, callback_params, exchange, open_url, owner_email
from zoho_tokens.testing import DEFAULT_SCOPES, FakeZoho, FakeZohoUser, token_kind
from zoho_tokens.testing.accounts.consent import parse_form


def authorize(
    http: requests.Session, fake_zoho: FakeZoho, redirect_uri: str = REDIRECT_URI, **options: str
) -> requests.Response:
    """Open the fake's authorization URL for ``redirect_uri``; its redirect is not followed."""
    return open_url(http, fake_zoho.authorize_url(redirect_uri, **options))


def test_auth_with_an_unknown_client_is_a_400_page(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    response = authorize(http, fake_zoho, client_id="1000.UNKNOWN")
    assert response.status_code == 400
    assert "invalid_client" in response.text


def test_auth_auto_consent_redirects_with_a_code(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    response = authorize(http, fake_zoho, state="s-123")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = callback_params(location)
    assert params["state"] == "s-123"
    assert params["location"] == "us"
    assert params["accounts-server"] == fake_zoho.url
    assert token_kind(params["code"]) == "code"


def test_auth_requests_are_recorded(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI, state="abc"))
    (recorded,) = fake_zoho.auth_requests
    assert recorded["state"] == "abc"
    assert recorded["scope"] == ",".join(DEFAULT_SCOPES)


def test_auth_code_remembers_the_redirect_uri(http: requests.Session, fake_zoho: FakeZoho) -> None:
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI))
    code = callback_params(location)["code"]
    assert exchange(http, fake_zoho, code, redirect_uri="http://evil.example/cb") == {
        "error": "invalid_redirect_uri"
    }


def test_auth_code_exchange_gives_a_refresh_token_with_offline_access(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI))
    payload = exchange(http, fake_zoho, callback_params(location)["code"], REDIRECT_URI)
    assert "refresh_token" in payload


def test_auth_online_access_gives_no_refresh_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    url = fake_zoho.authorize_url(REDIRECT_URI, access_type="online")
    code = callback_params(fake_zoho.consent(url))["code"]
    assert "refresh_token" not in exchange(http, fake_zoho, code, REDIRECT_URI)


def test_auth_without_prompt_consent_gives_no_second_refresh_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    url = fake_zoho.authorize_url(REDIRECT_URI, prompt="none")
    first = exchange(http, fake_zoho, callback_params(fake_zoho.consent(url))["code"], REDIRECT_URI)
    again = exchange(http, fake_zoho, callback_params(fake_zoho.consent(url))["code"], REDIRECT_URI)
    assert "refresh_token" in first
    assert "refresh_token" not in again


def test_auth_keeps_the_redirect_uris_own_query(fake_zoho: FakeZoho) -> None:
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI + "?next=%2Fhome"))
    assert callback_params(location)["next"] == "/home"


def test_auth_refuses_an_unregistered_redirect_uri(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.redirect_uris = [REDIRECT_URI]
    assert authorize(http, fake_zoho, "http://evil.example/cb").status_code == 400


def test_auth_login_hint_picks_the_user(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_user("grace@example.com", "Grace Hopper")
    url = fake_zoho.authorize_url(REDIRECT_URI) + "&login_hint=grace%40example.com"
    location = open_url(http, url).headers["Location"]
    token = exchange(http, fake_zoho, callback_params(location)["code"], REDIRECT_URI)
    assert owner_email(fake_zoho, token["access_token"]) == "grace@example.com"


def test_consenting_user_decides_who_consents(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.consenting_user = FakeZohoUser("linus@example.com", "Linus Torvalds")
    code = callback_params(fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI)))["code"]
    token = exchange(http, fake_zoho, code, REDIRECT_URI)["access_token"]
    assert owner_email(fake_zoho, token) == "linus@example.com"


@pytest.fixture
def consent_page(http: requests.Session, fake_zoho: FakeZoho) -> requests.Response:
    fake_zoho.auto_consent = False
    fake_zoho.add_user("grace@example.com", "Grace Hopper")
    return authorize(http, fake_zoho, state="st")


def test_consent_page_shows_scopes_user_and_buttons(consent_page: requests.Response) -> None:
    assert consent_page.status_code == 200
    for text in (*DEFAULT_SCOPES, "ada@example.com", 'id="accept"', 'id="deny"'):
        assert text in consent_page.text


def test_consent_page_accept_redirects_with_a_code(
    http: requests.Session, fake_zoho: FakeZoho, consent_page: requests.Response
) -> None:
    action, form = parse_form(consent_page.text, button="accept")
    response = http.post(fake_zoho.url + action, data=form, allow_redirects=False, timeout=5)
    params = callback_params(response.headers["Location"])
    assert params["state"] == "st"
    assert "access_token" in exchange(http, fake_zoho, params["code"], REDIRECT_URI)


def test_consent_page_deny_redirects_with_access_denied(
    http: requests.Session, fake_zoho: FakeZoho, consent_page: requests.Response
) -> None:
    action, form = parse_form(consent_page.text, button="deny")
    response = http.post(fake_zoho.url + action, data=form, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    assert callback_params(response.headers["Location"]) == {
        "error": "access_denied",
        "state": "st",
    }


def test_consent_page_lets_another_user_consent(
    http: requests.Session, fake_zoho: FakeZoho, consent_page: requests.Response
) -> None:
    action, form = parse_form(consent_page.text, button="accept")
    form["user"] = "grace@example.com"
    response = http.post(fake_zoho.url + action, data=form, allow_redirects=False, timeout=5)
    code = callback_params(response.headers["Location"])["code"]
    token = exchange(http, fake_zoho, code, REDIRECT_URI)["access_token"]
    assert owner_email(fake_zoho, token) == "grace@example.com"


def test_consent_page_names_the_products_the_scopes_reach(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.auto_consent = False

    books = authorize(http, fake_zoho, scope="ZohoBooks.settings.READ,ZohoBooks.estimates.ALL")
    both = authorize(http, fake_zoho, scope="ZohoCRM.modules.ALL,ZohoBooks.settings.READ")

    assert 'access your <span id="products">Zoho Books</span> data' in books.text
    assert "Zoho CRM" not in books.text
    assert '<span id="products">Zoho CRM and Zoho Books</span>' in both.text
