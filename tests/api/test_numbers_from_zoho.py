"""Numbers from outside stay numbers: a ``Retry-After`` Zoho (or whoever answers for it)
sends is read strictly, and a throttled call is the friendly 503 page whatever it says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from tests.api.conftest import connect
from tests.api.wiretap import Wiretap
from zoho_tokens.api.session import session_for
from zoho_tokens.decorators import zoho_connection_required
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("crm_and_books_services"),
    pytest.mark.urls(__name__),
]

#: LIMITS["DEFAULT_BACKOFF"]'s default: the delay when Zoho's is not believed.
DEFAULT_BACKOFF = 5.0

#: ``Retry-After`` values that are not a sane number of seconds.
HOSTILE = [
    "9" * 400,  # float() reads it as infinity, and math.ceil(inf) raises
    "1e400",
    "inf",
    "nan",
    "-5",
    "\u00b2",  # "²": str.isdigit() says yes
    # Arabic-Indic three (int() reads it), as its UTF-8 bytes arrive (headers are latin-1)
    "\u0663".encode().decode("latin-1"),
    "1_000",
    "3600.5",
    "86401",  # more than a day
    "Wed, 21 Oct 2015 07:28:00 GMT",  # a day or more past: a clock that is wrong
    "Fri, 31 Dec 9999 23:59:59 GMT",  # a date, but beyond a day
    "Mon, 32 Foo 99999999999999999999 99:99:99 GMT",
]


@zoho_connection_required
def crm_org(request: HttpRequest) -> HttpResponse:
    return HttpResponse(session_for(request.user, "crm").get("org").content)


urlpatterns = [path("org/", crm_org), path("zoho/", include("zoho_tokens.urls"))]


@pytest.fixture(params=HOSTILE)
def throttling_zoho(request: pytest.FixtureRequest) -> Iterator[Wiretap]:
    with Wiretap(status=429, headers={"Retry-After": request.param}) as tap:
        yield tap


def answered_by(fake_zoho: FakeZoho, tap: Wiretap, settings) -> ZohoToken:
    """Alice's token, whose API domain is now ``tap`` (configured, so trusted)."""
    row = connect(fake_zoho, "alice")
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "API_DOMAIN": tap.url}
    ZohoToken.objects.filter(pk=row.pk).update(api_domain=tap.url)
    return ZohoToken.objects.get(pk=row.pk)


def test_a_hostile_retry_after_is_not_believed(
    fake_zoho: FakeZoho, throttling_zoho: Wiretap, settings
) -> None:
    row = answered_by(fake_zoho, throttling_zoho, settings)

    with pytest.raises(ZohoThrottledError) as raised:
        session_for(row, "crm").get("org")

    # Not believed, so Zoho named no delay: every worker waits LIMITS["DEFAULT_BACKOFF"].
    assert raised.value.retry_after == DEFAULT_BACKOFF


def test_a_hostile_retry_after_still_gives_the_503_page(
    fake_zoho: FakeZoho, throttling_zoho: Wiretap, settings
) -> None:
    row = answered_by(fake_zoho, throttling_zoho, settings)
    client = Client()
    client.force_login(row.user)

    response = client.get("/org/")

    assert (response.status_code, response.get("Retry-After")) == (503, "5")


@pytest.mark.parametrize(("header", "seconds"), [("120", 120), (" 120\t", 120), ("0", 0)])
def test_a_plain_retry_after_is_kept(
    fake_zoho: FakeZoho, settings, header: str, seconds: int
) -> None:
    with Wiretap(status=429, headers={"Retry-After": header}) as tap:
        row = answered_by(fake_zoho, tap, settings)
        with pytest.raises(ZohoThrottledError) as raised:
            session_for(row, "crm").get("org")

    assert raised.value.retry_after == seconds
