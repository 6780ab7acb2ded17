"""A client whose secret differs per data centre: each token uses its own data centre's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho, FakeZohoUser
from zoho_tokens.tokens.consent import connect_url
from zoho_tokens.tokens.refresh import ensure_fresh

pytestmark = pytest.mark.django_db

CLIENT_ID = "1000.SHAREDCLIENTID"


@pytest.fixture
def zoho_us() -> Iterator[FakeZoho]:
    users = [FakeZohoUser("alice@example.com", "Alice Us")]
    with FakeZoho(CLIENT_ID, "us-secret", location="us", users=users) as fake_zoho:
        yield fake_zoho


@pytest.fixture
def zoho_eu() -> Iterator[FakeZoho]:
    users = [FakeZohoUser("alice@example.eu", "Alice Eu")]
    with FakeZoho(CLIENT_ID, "eu-secret", location="eu", users=users) as fake_zoho:
        yield fake_zoho


@pytest.fixture
def two_data_centres(settings, zoho_us: FakeZoho, zoho_eu: FakeZoho) -> None:
    """One client, a secret per data centre, each data centre played by its own fake."""
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": "us-secret",
        "CLIENT_SECRETS": {"eu": "eu-secret"},
        "DATA_CENTER_OVERRIDES": {
            "us": {"accounts_server": zoho_us.url, "api_domain": zoho_us.url},
            "eu": {"accounts_server": zoho_eu.url, "api_domain": zoho_eu.url},
        },
        "HTTP_TIMEOUT": 2,
    }


def connect_at(client: Client, fake_zoho: FakeZoho, location: str):
    return client.get(fake_zoho.consent(client.get(connect_url(location=location))["Location"]))


@pytest.mark.usefixtures("two_data_centres")
@pytest.mark.parametrize("location", ["us", "eu"])
def test_each_data_centre_exchanges_and_refreshes_with_its_own_secret(
    client: Client, zoho_us: FakeZoho, zoho_eu: FakeZoho, location: str
) -> None:
    fake_zoho = {"us": zoho_us, "eu": zoho_eu}[location]

    connect_at(client, fake_zoho, location)
    token = ZohoToken.objects.get()
    token.expires_at_ms = 0
    token.save()
    refreshed = ensure_fresh(token)

    assert token.location == location
    assert token.accounts_server == fake_zoho.url
    assert refreshed.access_token != token.access_token
    assert fake_zoho.is_access_token_active(refreshed.access_token)
    assert fake_zoho.count("/oauth/v2/token") == 2


@pytest.mark.usefixtures("two_data_centres")
@pytest.mark.parametrize("location", ["us", "eu"])
def test_a_wrong_secret_is_an_invalid_client_error_naming_the_data_centre(
    client: Client, zoho_us: FakeZoho, zoho_eu: FakeZoho, settings, location: str
) -> None:
    secrets = {"us": "us-secret", "eu": "eu-secret", location: f"not-the-{location}-secret"}
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "CLIENT_SECRETS": secrets}

    response = connect_at(client, {"us": zoho_us, "eu": zoho_eu}[location], location)

    page = response.content.decode()
    assert response.status_code == 502
    assert "invalid_client" in page
    assert f"&#x27;{location}&#x27;" in page
    assert not ZohoToken.objects.exists()


@pytest.mark.usefixtures("two_data_centres")
def test_the_default_data_centre_uses_client_secret(client: Client, zoho_us: FakeZoho) -> None:
    connect_at(client, zoho_us, "us")

    (exchange,) = [
        r for r in zoho_us.requests if r.params.get("grant_type") == "authorization_code"
    ]
    assert exchange.params["client_secret"] == "us-secret"


@pytest.mark.usefixtures("two_data_centres")
def test_the_self_client_form_uses_the_secret_of_the_chosen_data_centre(
    admin_client: Client, zoho_eu: FakeZoho
) -> None:
    code = zoho_eu.issue_code()  # no redirect URI, like Zoho's Self Client codes

    response = admin_client.post(
        reverse("admin:zoho_tokens_zohotoken_self_client"), {"code": code, "data_centre": "eu"}
    )

    token = ZohoToken.objects.get()
    assert response.status_code == 302
    assert (token.location, token.accounts_server) == ("eu", zoho_eu.url)
    assert token.client_secret == "eu-secret"
    assert zoho_eu.is_refresh_token_active(token.refresh_token)
