"""What Django's error reports show when a callback fails after Zoho issued a token: the
database refuses the write (a real trigger on every backend).

The callback answers with a page, never a 500 (so DEBUG's technical page never appears),
mails the operator a report through the log, and neither that report nor the report of
the exception the operation raises holds a client secret, grant code or token.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from tests.db_refusal import refusing_writes
from zoho_tokens.exceptions import ConnectionNotSavedError
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.connect import connect_with_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def error_mails(settings) -> Iterator[None]:
    """The package's log mails errors to the admins, with the HTML report attached."""
    settings.ADMINS = [("Ops", "ops@example.com")]
    handler = AdminEmailHandler(include_html=True)
    handler.setLevel(logging.ERROR)
    package_logger = logging.getLogger("zoho_tokens")
    package_logger.addHandler(handler)
    try:
        yield
    finally:
        package_logger.removeHandler(handler)


def secrets_of(fake_zoho: FakeZoho) -> list[str]:
    """Every secret of the attempt: the client secret, the code, the tokens Zoho issued."""
    tokens = [refresh.token for refresh in fake_zoho.refresh_tokens]
    tokens += [access.token for access in fake_zoho.access_tokens]
    assert tokens  # the exchange did happen, so there is something to leak
    return [fake_zoho.client_secret, *(grant.code for grant in fake_zoho.codes), *tokens]


def refused_callback(client: Client, fake_zoho: FakeZoho) -> Any:
    callback = fake_zoho.consent(client.get("/zoho/connect/")["Location"])
    with refusing_writes():
        return client.get(callback)


def everything_mailed() -> str:
    """The text and HTML of every mail sent (Django's own ``django.request`` mails too)."""
    parts = []
    for message in mail.outbox:
        parts.extend([str(message.subject), str(message.body)])
        parts.extend(str(content) for content, _mimetype in getattr(message, "alternatives", []))
    return "".join(parts)


def test_a_refused_write_gives_a_page_not_a_500(client: Client, fake_zoho: FakeZoho) -> None:
    response = refused_callback(client, fake_zoho)

    assert response.status_code == 503
    assert "this site could not save it" in response.content.decode()
    assert ZohoToken.objects.count() == 0


def test_a_refused_write_revokes_the_token_before_the_page(
    client: Client, fake_zoho: FakeZoho
) -> None:
    refused_callback(client, fake_zoho)

    assert [refresh.active for refresh in fake_zoho.refresh_tokens] == [False]


def test_with_debug_on_a_refused_write_is_still_the_page(
    client: Client, fake_zoho: FakeZoho, settings
) -> None:
    settings.DEBUG = True

    response = refused_callback(client, fake_zoho)

    body = response.content.decode()
    assert response.status_code == 503
    assert "Traceback" not in body
    assert [secret for secret in secrets_of(fake_zoho) if secret in body] == []


def test_the_operator_is_mailed_a_report_of_a_refused_write(
    client: Client, fake_zoho: FakeZoho, error_mails
) -> None:
    refused_callback(client, fake_zoho)

    (message,) = [m for m in mail.outbox if "Connecting Zoho failed" in m.subject]
    (html, _mimetype) = getattr(message, "alternatives", [])[0]
    assert "ConnectionNotSavedError" in str(html)
    assert "connect_with_code" in str(html)  # the frames are in it


def test_the_mailed_reports_hold_no_secret(
    client: Client, fake_zoho: FakeZoho, error_mails
) -> None:
    refused_callback(client, fake_zoho)

    report = everything_mailed()
    assert [secret for secret in secrets_of(fake_zoho) if secret in report] == []


def attempt_refused_connect(fake_zoho: FakeZoho) -> Any:
    """``sys.exc_info()`` of a connect the database refused (no secret in this frame)."""
    with refusing_writes():
        try:
            connect_with_code(
                fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None
            )
        except ConnectionNotSavedError:
            return sys.exc_info()
    raise AssertionError("the connect was not refused")


def test_the_report_of_the_operations_exception_holds_no_secret(fake_zoho: FakeZoho) -> None:
    exc_info = attempt_refused_connect(fake_zoho)
    request = RequestFactory().get("/zoho/callback/")

    report = ExceptionReporter(request, *exc_info).get_traceback_html()
    report += ExceptionReporter(request, *exc_info).get_traceback_text()

    assert "_store" in report  # the frames down to the database are in it
    assert [secret for secret in secrets_of(fake_zoho) if secret in report] == []


def test_the_self_client_forms_secrets_are_hidden_from_reports(admin_client, fake_zoho: FakeZoho):
    fake_zoho.fail("exchange", "http_500")
    url = reverse("admin:zoho_tokens_zohotoken_self_client")
    posted = {
        "code": "1000.posted-grant-code",
        "client_id": "1000.SELF",
        "client_secret": "posted-self-client-secret",
        "data_centre": "accounts_url",
    }

    response = admin_client.post(url, posted)

    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert shown["code"] != posted["code"]
    assert shown["client_secret"] != posted["client_secret"]
    assert shown["client_id"] == posted["client_id"]
