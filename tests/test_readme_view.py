"""The tutorial's views (``docs/tutorial.md``, blocks ``"tutorial-views"``,
``"tutorial-leads-template"`` and ``"tutorial-estimates-template"``): ``@zoho_connection_required``
with ``acting_as`` and with ``session_for``, driven through the strict fake Zoho for each
outcome a user meets. None of them is a 500."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests import readme
from tests.readme import readme_site  # noqa: F401 (a fixture)
from zoho_tokens.exceptions import ReauthorizationRequired, ZohoUnavailableError
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import FakeZoho, FaultKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("readme_site")]

CONNECT_AGAIN = "/zoho/connect/?next=%2Fleads%2F"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ada", "ada@example.com", "pw")


@pytest.fixture
def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tutorial_scopes(settings, fake_zoho: FakeZoho) -> None:
    """The scopes and services of the tutorial's settings."""
    tutorial = readme.run("tutorial-settings", readme.startproject_settings())["ZOHO_TOKENS"]
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "SCOPES": tutorial["SCOPES"],
        "SERVICES": tutorial["SERVICES"],
    }


@pytest.fixture
def connected(browser: Client, fake_zoho: FakeZoho, tutorial_scopes) -> ZohoToken:
    """The user connected Zoho through the app's views; returns their token."""
    browser.get(fake_zoho.consent(browser.get("/zoho/connect/")["Location"]))
    browser.get("/leads/")  # shows (and so uses up) the "connected" message
    fake_zoho.reset_counts()
    return ZohoToken.objects.get()


def expire(token: ZohoToken) -> None:
    """The access token expired: the next CRM call refreshes it first."""
    ZohoToken.objects.filter(pk=token.pk).update(expires_at_ms=0)


def page_text(browser: Client, path: str, status: int) -> str:
    """The page at ``path``, which must answer ``status``."""
    response = browser.get(path)
    assert response.status_code == status
    return str(response.content.decode())


def test_connected_user_sees_their_leads(browser: Client, fake_zoho: FakeZoho, connected) -> None:
    response = browser.get("/leads/")
    assert response.status_code == 200
    assert [lead["Last_Name"] for lead in response.context["leads"]] == [
        lead["Last_Name"] for lead in fake_zoho.leads
    ]


def test_connected_user_sees_names_in_the_template(browser: Client, connected) -> None:
    assert "Grace Hopper, Cobol Systems" in browser.get("/leads/").content.decode()


def test_the_view_asks_zoho_for_its_fields(browser: Client, fake_zoho: FakeZoho, connected) -> None:
    browser.get("/leads/")
    (call,) = [r for r in fake_zoho.requests if r.path == "/crm/v8/Leads"]
    assert call.query["fields"] == "First_Name,Last_Name,Company,Email"


def test_an_empty_crm_is_an_empty_list(browser: Client, fake_zoho: FakeZoho, connected) -> None:
    fake_zoho.leads = []
    response = browser.get("/leads/")
    assert (response.status_code, response.context["leads"]) == (200, [])


def test_anonymous_visitor_is_sent_to_log_in(fake_zoho: FakeZoho) -> None:
    response = Client().get("/leads/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/leads/")


def test_never_connected_user_is_sent_to_connect(browser: Client, fake_zoho: FakeZoho) -> None:
    response = browser.get("/leads/")
    assert (response.status_code, response["Location"]) == (302, CONNECT_AGAIN)


def test_never_connected_user_gets_one_message(browser: Client, fake_zoho: FakeZoho) -> None:
    response = browser.get("/leads/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This page needs your Zoho account. Please connect Zoho to continue."
    ]


def test_refresh_refused_on_this_request_sends_to_connect(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    expire(connected)
    fake_zoho.revoke(fake_zoho.refresh_tokens[0].token)  # the user removed the app at Zoho

    response = browser.get("/leads/")

    assert (response.status_code, response["Location"]) == (302, CONNECT_AGAIN)


def test_refresh_refused_on_this_request_says_so(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    expire(connected)
    fake_zoho.revoke(fake_zoho.refresh_tokens[0].token)

    response = browser.get("/leads/")

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        str(ReauthorizationRequired.user_message)
    ]


def test_refresh_refused_marks_the_token(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    expire(connected)
    fake_zoho.revoke(fake_zoho.refresh_tokens[0].token)
    browser.get("/leads/")
    assert ZohoToken.objects.get().status == TokenStatus.NEEDS_REAUTH


@pytest.mark.parametrize("kind", ["down", "http_500", "html", "malformed"])
def test_zoho_accounts_failing_is_a_503_page(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken, kind: FaultKind
) -> None:
    expire(connected)
    fake_zoho.fail("refresh", kind)

    response = browser.get("/leads/")

    assert response.status_code == 503
    assert str(ZohoUnavailableError.user_message) in response.content.decode()


def accounts_down(fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("refresh", "down")


def accounts_throttle(fake_zoho: FakeZoho) -> None:
    fake_zoho.refresh_limit = 0  # Zoho's own throttle: HTTP 400 "Access Denied"


@pytest.mark.parametrize(
    "refresh_fails", [accounts_down, accounts_throttle], ids=["down", "throttled"]
)
def test_a_refresh_zoho_does_not_answer_keeps_the_token(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken, refresh_fails
) -> None:
    expire(connected)
    refresh_fails(fake_zoho)
    browser.get("/leads/")
    assert ZohoToken.objects.get().status == TokenStatus.ACTIVE


def test_throttled_refresh_is_a_503_page(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    expire(connected)
    accounts_throttle(fake_zoho)

    assert "Zoho is limiting how often" in page_text(browser, "/leads/", status=503)


def test_throttle_in_another_language_is_a_503_page(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    expire(connected)
    fake_zoho.language = "zh"
    accounts_throttle(fake_zoho)

    assert browser.get("/leads/").status_code == 503


def test_after_connecting_again_only_the_connected_message_shows(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    expire(connected)
    fake_zoho.revoke(fake_zoho.refresh_tokens[0].token)
    consent = browser.get(browser.get("/leads/")["Location"])  # to connect, then to Zoho
    back = browser.get(fake_zoho.consent(consent["Location"]))  # the callback: back to /leads/

    page = browser.get(back["Location"])

    assert [str(m) for m in page.context["messages"]] == [
        "Zoho CRM is connected as ada@example.com."
    ]


def test_crm_rate_limit_is_a_503_page_with_retry_after(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    fake_zoho.fail("crm", "throttle")  # HTTP 429 TOO_MANY_REQUESTS from the CRM API

    response = browser.get("/leads/")

    # acting_as raises the 429 itself; Zoho named no delay: every worker waits the default.
    assert (response.status_code, response["Retry-After"]) == (503, "5")


# -- the Books page: session_for ---------------------------------------------------------


def test_connected_user_sees_their_books_estimates(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    # An estimate someone made in Books (the tutorial asks for no scope to create one).
    (organization,) = fake_zoho.books.organizations.values()
    organization.estimates.append(
        {"estimate_id": "1", "estimate_number": "EST-00001", "customer_name": "Cobol Systems"}
    )

    assert "Cobol Systems" in page_text(browser, "/estimates/", status=200)


def test_the_books_page_calls_books_as_the_user(
    browser: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    browser.get("/estimates/")
    assert {call.user_email for call in fake_zoho.books.calls} == {"ada@example.com"}


def test_never_connected_user_is_sent_to_connect_from_the_books_page(
    browser: Client, fake_zoho: FakeZoho
) -> None:
    response = browser.get("/estimates/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/zoho/connect/?next=%2Festimates%2F",
    )
