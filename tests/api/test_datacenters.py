"""Each token calls its own data centre, and only its own data centre's hosts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import ORG, SCOPES
from zoho_tokens.api.services import SERVICES, base_url
from zoho_tokens.api.session import session_for
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho
from zoho_tokens.testing.books.handlers import INTEGRATION_USER
from zoho_tokens.tokens.connect import connect_with_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]


@pytest.fixture
def eu_fake() -> Iterator[FakeZoho]:
    """A second fake Zoho playing the EU data centre (it reports its own API domain)."""
    with FakeZoho(location="eu") as fake_zoho:
        yield fake_zoho


def connect_at(fake_zoho: FakeZoho, settings, email: str) -> ZohoToken:
    """A token of ``email`` consented at ``fake``, which plays its data centre (its
    accounts server and API domain, through ``DATA_CENTER_OVERRIDES``)."""
    overrides = settings.ZOHO_TOKENS.get("DATA_CENTER_OVERRIDES") or {}
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "DATA_CENTER_OVERRIDES": {
            **overrides,
            fake_zoho.location: {"accounts_server": fake_zoho.url, "api_domain": fake_zoho.url},
        },
    }
    fake_zoho.add_user(email, "Someone Example")
    fake_zoho.books.grant(email, ORG, INTEGRATION_USER)
    code = fake_zoho.issue_code(user=email, scopes=SCOPES)
    return connect_with_code(
        code, accounts_server=fake_zoho.url, redirect_uri=None, location=fake_zoho.location
    ).token


def test_eu_and_us_tokens_call_their_own_data_centres(
    fake_zoho: FakeZoho, eu_fake: FakeZoho, settings
) -> None:
    us_row = connect_at(fake_zoho, settings, "us@zoho.example")
    eu_row = connect_at(eu_fake, settings, "eu@zoho.example")

    session_for(eu_row, "books").get("estimates")
    session_for(us_row, "books").get("estimates")

    assert {call.access_token for call in eu_fake.books.calls} == {eu_row.access_token}
    assert {call.access_token for call in fake_zoho.books.calls} == {us_row.access_token}


@pytest.mark.parametrize(
    ("service", "api_domain", "expected"),
    [
        ("crm", "https://www.zohoapis.eu", "https://www.zohoapis.eu/crm/v8"),
        ("books", "https://www.zohoapis.com.au", "https://www.zohoapis.com.au/books/v3"),
        ("desk", "https://www.zohoapis.eu", "https://desk.zoho.eu/api/v1"),
        ("projects", "https://www.zohoapis.ca", "https://projectsapi.zohocloud.ca/api/v3"),
        ("desk", "http://127.0.0.1:8765", "http://127.0.0.1:8765/api/v1"),
    ],
)
def test_each_service_lives_where_its_table_row_says(
    service: str, api_domain: str, expected: str
) -> None:
    assert base_url(SERVICES[service], api_domain) == expected


def test_an_eu_token_is_never_sent_to_the_us_domain(fake_zoho: FakeZoho) -> None:
    row = ZohoToken.objects.create(api_domain="https://www.zohoapis.eu", location="eu")
    session = session_for(row, "crm")

    with pytest.raises(ValueError, match="never sent there"):
        session.get("https://www.zohoapis.com/crm/v8/org")


def test_an_eu_token_may_call_its_own_desk_host(fake_zoho: FakeZoho) -> None:
    row = ZohoToken.objects.create(api_domain="https://www.zohoapis.eu", location="eu")

    assert session_for(row, "crm").url_for("https://desk.zoho.eu/api/v1/tickets") == (
        "https://desk.zoho.eu/api/v1/tickets"
    )


def test_a_token_without_an_api_domain_calls_its_own_data_centre(fake_zoho: FakeZoho) -> None:
    row = ZohoToken.objects.create(location="jp")

    assert session_for(row, "books").base_url == "https://www.zohoapis.jp/books/v3"


def test_a_token_of_the_default_data_centre_without_an_api_domain_uses_api_domain(
    fake_zoho: FakeZoho,
) -> None:
    row = ZohoToken.objects.create(location="us")

    assert session_for(row, "books").base_url == f"{fake_zoho.url}/books/v3"
