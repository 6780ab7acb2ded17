"""Attack: with ``DEBUG = True`` (a staging site), Django's technical 500 page shows every
frame's local variables, unfiltered (``sensitive_variables`` only applies with DEBUG off).
A session call that fails inside ``requests`` must not put the access token on it."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from tests.api.conftest import connect
from tests.api.test_numbers_from_zoho import answered_by
from tests.api.wiretap import Wiretap
from zoho_tokens.api import asession_for
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import ZohoUnavailableError
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]


def _failed_call(row: ZohoToken) -> Any:
    """The exception of a call to a silent Zoho (this frame, the traceback's first, holds
    no token: the test's own would)."""
    try:
        session_for(row, "crm").get("org", timeout=0.5)
    except ZohoUnavailableError:
        return sys.exc_info()
    raise AssertionError("the call did not fail")


def _debug_pages(info: Any) -> tuple[str, str]:
    """Django's technical 500 page for ``info``, as HTML and as text."""
    request = RequestFactory().get("/org/")
    return (
        ExceptionReporter(request, *info).get_traceback_html(),
        ExceptionReporter(request, *info).get_traceback_text(),
    )


def _access_token_and_pages(fake_zoho: FakeZoho, settings: Any, fail: Any) -> tuple[str, str, str]:
    """The access token of a row whose call ``fail`` makes to a silent Zoho, and the debug
    pages (HTML, text) of that failure."""
    settings.DEBUG = True
    with Wiretap(delay=2) as silent:
        row = answered_by(fake_zoho, silent, settings)
        info = fail(row)
    access_token = ZohoToken.objects.get(pk=row.pk).access_token or ""
    return (access_token, *_debug_pages(info))


def _where(html: str, secret: str) -> list[str]:
    out, start = [], 0
    while (i := html.find(secret, start)) >= 0:
        out.append(html[max(0, i - 300) : i].replace("\n", " ")[-200:])
        start = i + 1
    return out


def test_the_debug_page_of_a_failed_refresh_shows_no_secret(fake_zoho: FakeZoho, settings) -> None:
    settings.DEBUG = True
    row = connect(fake_zoho, "alice")
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=1)
    fake_zoho.slow_seconds = 2
    fake_zoho.fail("refresh", "slow")
    info = _failed_call(ZohoToken.objects.get(pk=row.pk))
    stored = ZohoToken.objects.get(pk=row.pk)
    secrets = [stored.refresh_token, stored.client_secret or settings.ZOHO_TOKENS["CLIENT_SECRET"]]
    html, text = _debug_pages(info)

    assert all(secret and len(secret) > 8 for secret in secrets)
    for secret in secrets:
        assert secret not in html, "\n---\n".join(_where(html, secret))
        assert secret not in text


def _failed_async_call(row: ZohoToken) -> Any:
    async def call() -> None:
        async with asession_for(row, "crm") as zoho:
            await zoho.get("org", timeout=0.5)

    try:
        async_to_sync(call)()
    except ZohoUnavailableError:
        return sys.exc_info()
    raise AssertionError("the call did not fail")


@pytest.mark.parametrize(
    "fail",
    [
        pytest.param(_failed_call, id="call"),
        pytest.param(
            _failed_async_call, id="async_call", marks=pytest.mark.django_db(transaction=True)
        ),
    ],
)
def test_the_debug_page_of_a_failed_call_shows_no_access_token(
    fake_zoho: FakeZoho, settings: Any, fail: Any
) -> None:
    access_token, html, text = _access_token_and_pages(fake_zoho, settings, fail)

    assert len(access_token) > 10
    assert access_token not in html, "\n---\n".join(_where(html, access_token))
    assert access_token not in text
