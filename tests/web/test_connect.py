"""The connect view: the redirect to Zoho's consent page, and the ``state`` it mints."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from zoho_tokens.conf import zoho_settings
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db

CALLBACK_URI = "http://testserver/zoho/callback/"


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_connect_redirects_to_the_data_centres_authorization_endpoint(
    client: Client, fake_zoho: FakeZoho
) -> None:
    response = client.get("/zoho/connect/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{fake_zoho.url}/oauth/v2/auth?")


def test_connect_asks_for_offline_access_with_consent_and_the_configured_scopes(
    client: Client, fake_zoho: FakeZoho
) -> None:
    query = query_of(client.get("/zoho/connect/")["Location"])

    assert query["client_id"] == fake_zoho.client_id
    assert query["response_type"] == "code"
    assert query["scope"] == ",".join(zoho_settings.SCOPES)
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"


def test_connect_sends_the_callbacks_absolute_url_as_redirect_uri(
    client: Client, fake_zoho: FakeZoho
) -> None:
    query = query_of(client.get("/zoho/connect/")["Location"])

    assert query["redirect_uri"] == CALLBACK_URI


def test_connect_sends_the_configured_redirect_uri(
    client: Client, fake_zoho: FakeZoho, settings
) -> None:
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "REDIRECT_URI": "https://crm.example.com/zoho/callback/",
    }

    query = query_of(client.get("/zoho/connect/")["Location"])

    assert query["redirect_uri"] == "https://crm.example.com/zoho/callback/"


def test_connect_uses_the_configured_data_centre_without_accounts_url(
    client: Client, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "DATA_CENTER": "eu"}

    response = client.get("/zoho/connect/")

    assert response["Location"].startswith("https://accounts.zoho.eu/oauth/v2/auth?")


def test_connect_sends_a_long_random_state(client: Client, fake_zoho: FakeZoho) -> None:
    first = query_of(client.get("/zoho/connect/")["Location"])["state"]
    second = query_of(client.get("/zoho/connect/")["Location"])["state"]

    assert len(first) >= 32
    assert first != second


def test_connect_keeps_only_a_hash_of_the_state_in_the_session(
    client: Client, fake_zoho: FakeZoho
) -> None:
    state = query_of(client.get("/zoho/connect/")["Location"])["state"]

    assert state not in str(dict(client.session))


def test_connect_accepts_post(client: Client, fake_zoho: FakeZoho) -> None:
    response = client.post("/zoho/connect/", {"next": "/after/"})

    assert response["Location"].startswith(f"{fake_zoho.url}/oauth/v2/auth?")


def test_connect_writes_no_token(client: Client, fake_zoho: FakeZoho) -> None:
    client.get("/zoho/connect/")

    assert ZohoToken.objects.count() == 0


def test_connect_sends_nothing_to_zoho(client: Client, fake_zoho: FakeZoho) -> None:
    client.get("/zoho/connect/")

    assert fake_zoho.requests == []


def test_connect_requires_login_when_log_in_with_zoho_is_off(
    fake_zoho: FakeZoho,
) -> None:
    response = Client().get("/zoho/connect/?next=/after/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/zoho/connect/%3Fnext%3D/after/"
    assert fake_zoho.requests == []


def test_several_flows_started_in_parallel_can_all_finish(
    client: Client, fake_zoho: FakeZoho
) -> None:
    first = fake_zoho.consent(client.get("/zoho/connect/?next=/first/")["Location"])
    second = fake_zoho.consent(client.get("/zoho/connect/?next=/second/")["Location"])

    assert client.get(second)["Location"] == "/second/"
    assert client.get(first)["Location"] == "/first/"


def test_unsafe_next_is_not_remembered(client: Client, fake_zoho: FakeZoho) -> None:
    callback = fake_zoho.consent(
        client.get("/zoho/connect/?next=https://evil.example/")["Location"]
    )

    assert client.get(callback)["Location"] == "/"


def test_protocol_relative_next_is_not_remembered(client: Client, fake_zoho: FakeZoho) -> None:
    callback = fake_zoho.consent(client.get("/zoho/connect/?next=//evil.example/x")["Location"])

    assert client.get(callback)["Location"] == "/"


def test_safe_next_is_remembered(client: Client, fake_zoho: FakeZoho) -> None:
    callback = fake_zoho.consent(client.get("/zoho/connect/?next=/crm/leads/?page=2")["Location"])

    assert client.get(callback)["Location"] == "/crm/leads/?page=2"
