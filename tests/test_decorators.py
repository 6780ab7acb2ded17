"""``zoho_tokens.decorators.zoho_connection_required``: each outcome of a decorated view.

The views below raise this package's exceptions the way ``acting_as`` and the store do;
the tutorial's views, driven through the fake Zoho, is in ``tests/test_readme_view.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.urls import include, path

from zoho_tokens.decorators import zoho_connection_required
from zoho_tokens.exceptions import (
    MissingScopeError,
    NoUsableTokenError,
    ReauthorizationRequired,
    ZohoAPIError,
    ZohoThrottledError,
    ZohoUnavailableError,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

RAISED: dict[str, Exception] = {
    "none": NoUsableTokenError("user 1 has no usable Zoho token"),
    "reauth": ReauthorizationRequired(7),
    "scope": MissingScopeError("no Books scope", connect_url="/zoho/connect/?scope=books"),
    "scope-elsewhere": MissingScopeError("x", connect_url="https://evil.example.com/"),
    "down": ZohoUnavailableError("Zoho at accounts.zoho.com timed out"),
    "throttled": ZohoThrottledError("throttled", retry_after=90.2),
    "throttled-unknown": ZohoThrottledError("throttled"),
    "throttled-for-ages": ZohoThrottledError("throttled", retry_after=1e300),
    "throttled-forever": ZohoThrottledError("throttled", retry_after=float("inf")),
    "api": ZohoAPIError("INVALID_DATA", status_code=400, code="INVALID_DATA"),
}


def raising(request: HttpRequest, what: str) -> HttpResponse:
    if what == "ok":
        return HttpResponse("fine")
    raise RAISED[what]


def books_connect(request: HttpRequest) -> HttpResponse:
    return HttpResponse("connect books")


async def araising(request: HttpRequest, what: str) -> HttpResponse:
    return raising(request, what)


bare = zoho_connection_required(raising)
abare = zoho_connection_required(araising)
with_options = zoho_connection_required(
    service="Zoho Books", connect_url_name="books-connect", login_url="/signin/"
)(raising)

urlpatterns = [
    path("page/<str:what>/", bare, name="page"),
    path("apage/<str:what>/", abare, name="apage"),
    path("books/<str:what>/", with_options, name="books"),
    path("books-connect/", books_connect, name="books-connect"),
    path("zoho/", include("zoho_tokens.urls")),
]


@pytest.fixture
def browser(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("ada", "ada@example.com", "pw"))
    return client


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_view_that_succeeds_is_unchanged(browser: Client) -> None:
    response = browser.get("/page/ok/")
    assert (response.status_code, response.content) == (200, b"fine")


def test_the_decorated_view_keeps_its_name() -> None:
    assert (bare.__name__, with_options.__name__) == ("raising", "raising")


def test_anonymous_visitor_goes_to_log_in() -> None:
    response = Client().get("/page/ok/")
    assert response["Location"] == "/accounts/login/?next=/page/ok/"


def test_anonymous_visitor_goes_to_the_given_login_url() -> None:
    response = Client().get("/books/ok/")
    assert response["Location"] == "/signin/?next=/books/ok/"


def test_no_usable_token_goes_to_connect_with_next(browser: Client) -> None:
    response = browser.get("/page/none/?tab=2")
    assert (response.status_code, response["Location"]) == (
        302,
        "/zoho/connect/?next=%2Fpage%2Fnone%2F%3Ftab%3D2",
    )


def test_no_usable_token_leaves_one_message(browser: Client) -> None:
    response = browser.get("/page/none/")
    assert messages_of(response) == [str(NoUsableTokenError.user_message)]


def test_the_message_never_shows_the_technical_text(browser: Client) -> None:
    response = browser.get("/page/none/")
    assert "user 1" not in " ".join(messages_of(response))


def test_reauthorization_required_says_the_connection_expired(browser: Client) -> None:
    response = browser.get("/page/reauth/")
    assert messages_of(response) == [str(ReauthorizationRequired.user_message)]


def test_missing_scope_goes_to_its_connect_url_with_next(browser: Client) -> None:
    response = browser.get("/page/scope/")
    assert response["Location"] == "/zoho/connect/?scope=books&next=%2Fpage%2Fscope%2F"


def test_missing_scope_never_goes_to_another_site(browser: Client) -> None:
    response = browser.get("/page/scope-elsewhere/")
    assert response["Location"] == "/zoho/connect/?next=%2Fpage%2Fscope-elsewhere%2F"


def test_connect_url_name_is_used(browser: Client) -> None:
    response = browser.get("/books/none/")
    assert response["Location"] == "/books-connect/?next=%2Fbooks%2Fnone%2F"


def test_service_names_the_service_in_the_message(browser: Client) -> None:
    response = browser.get("/books/none/")
    assert messages_of(response) == [f"Zoho Books: {NoUsableTokenError.user_message}"]


def test_zoho_unavailable_is_a_503_page(browser: Client) -> None:
    response = browser.get("/page/down/")
    assert response.status_code == 503
    assert response.templates[0].name == "zoho_tokens/unavailable.html"


def test_the_503_page_says_nothing_changed(browser: Client) -> None:
    content = browser.get("/page/down/").content.decode()
    assert str(ZohoUnavailableError.user_message) in content


def test_the_503_page_never_shows_the_technical_text(browser: Client) -> None:
    assert "accounts.zoho.com" not in browser.get("/page/down/").content.decode()


def test_the_503_page_offers_to_try_again(browser: Client) -> None:
    assert 'href="/page/down/"' in browser.get("/page/down/").content.decode()


def test_unavailable_has_no_retry_after_when_unknown(browser: Client) -> None:
    assert "Retry-After" not in browser.get("/page/down/")


def test_throttled_is_a_503_page(browser: Client) -> None:
    response = browser.get("/page/throttled-unknown/")
    assert response.status_code == 503
    assert str(ZohoThrottledError.user_message) in response.content.decode()


def test_throttled_sets_retry_after_when_known(browser: Client) -> None:
    assert browser.get("/page/throttled/")["Retry-After"] == "91"


@pytest.mark.parametrize(("what", "header"), [("for-ages", "86400"), ("forever", None)])
def test_an_absurd_retry_after_is_bounded_or_dropped(
    browser: Client, what: str, header: str | None
) -> None:
    response = browser.get(f"/page/throttled-{what}/")

    assert (response.status_code, response.get("Retry-After")) == (503, header)


def test_throttled_says_how_long_to_wait(browser: Client) -> None:
    content = browser.get("/page/throttled/").content.decode()
    assert "wait about 2 minutes" in content


def test_service_names_the_service_on_the_503_page(browser: Client) -> None:
    content = browser.get("/books/down/").content.decode()
    assert f"Zoho Books: {ZohoUnavailableError.user_title}" in content


def test_other_errors_propagate(browser: Client) -> None:
    with pytest.raises(ZohoAPIError):
        browser.get("/page/api/")


def add_message(request: HttpRequest, what: str) -> HttpResponse:
    from django.contrib import messages

    messages.info(request, what)
    return HttpResponse("added")


urlpatterns.append(path("add/<str:what>/", add_message))


def test_a_pending_connect_message_is_dropped_when_the_view_works(browser: Client) -> None:
    browser.get("/page/none/")  # the connect message, not shown yet (connect redirects)
    response = browser.get("/page/ok/")
    assert messages_of(response) == []


def test_dropping_the_connect_message_keeps_the_others(browser: Client) -> None:
    browser.get("/page/none/")
    browser.get("/add/connected/")
    response = browser.get("/page/ok/")
    assert messages_of(response) == ["connected"]


def test_other_messages_are_left_alone(browser: Client) -> None:
    browser.get("/add/hello/")
    response = browser.get("/page/ok/")
    assert messages_of(response) == ["hello"]


def test_failing_again_leaves_one_connect_message(browser: Client) -> None:
    browser.get("/page/none/")
    response = browser.get("/page/none/")
    assert messages_of(response) == [str(NoUsableTokenError.user_message)]


# -- async views ------------------------------------------------------------------------


@pytest.fixture
def async_browser(django_user_model) -> AsyncClient:
    client = AsyncClient()
    client.force_login(django_user_model.objects.create_user("ada", "ada@example.com", "pw"))
    return client


def test_an_async_view_stays_async() -> None:
    assert iscoroutinefunction(abare)


def test_an_async_view_that_succeeds_is_unchanged(async_browser: AsyncClient) -> None:
    response = async_to_sync(async_browser.get)("/apage/ok/")

    assert (response.status_code, response.content) == (200, b"fine")


def test_an_async_view_sends_anonymous_visitors_to_log_in() -> None:
    response = async_to_sync(AsyncClient().get)("/apage/ok/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/apage/ok/")


def test_an_async_view_without_a_token_sends_the_user_to_connect(
    async_browser: AsyncClient,
) -> None:
    response = async_to_sync(async_browser.get)("/apage/none/")

    assert response.status_code == 302
    assert response["Location"] == "/zoho/connect/?next=%2Fapage%2Fnone%2F"
    raised = RAISED["none"]
    assert isinstance(raised, NoUsableTokenError)
    assert [str(m) for m in get_messages(response.asgi_request)] == [str(raised.user_message)]


def test_an_async_view_throttled_by_zoho_answers_503_with_retry_after(
    async_browser: AsyncClient,
) -> None:
    response = async_to_sync(async_browser.get)("/apage/throttled/")

    assert (response.status_code, response["Retry-After"]) == (503, "91")
