"""``session_for``: which token, which URL, and nothing sent without a usable token."""

from __future__ import annotations

import sys

import pytest
from django.contrib.auth import get_user_model
from django.views.debug import ExceptionReporter

from tests.api.conftest import connect
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import (
    NoUsableTokenError,
    ReauthorizationRequired,
    ZohoUnavailableError,
)
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]


def test_relative_urls_resolve_against_the_services_root(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"), "books")

    assert [session.url_for("estimates"), session.url_for("/invoices")] == [
        f"{fake_zoho.url}/books/v3/estimates",
        f"{fake_zoho.url}/books/v3/invoices",
    ]


def test_an_absolute_url_on_another_host_is_refused_before_sending(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    fake_zoho.reset_counts()

    with pytest.raises(ValueError, match="never sent there"):
        session.get("https://evil.example/crm/v8/users")

    assert fake_zoho.requests == []


def test_an_absolute_url_on_the_tokens_own_host_is_sent(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")

    response = session.get(f"{fake_zoho.url}/crm/v8/org")

    assert response.json()["org"][0]["primary_email"] == "alice@zoho.example"


def test_a_user_without_a_token_fails_before_any_request(fake_zoho: FakeZoho) -> None:
    user = get_user_model().objects.create_user("dora", "dora@example.com", "pw")
    fake_zoho.reset_counts()

    with pytest.raises(NoUsableTokenError, match="not connected"):
        session_for(user, "books")

    assert fake_zoho.requests == []


def test_an_anonymous_user_has_no_token() -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NoUsableTokenError):
        session_for(AnonymousUser())


def test_a_token_revoked_meanwhile_fails_without_a_call(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row.user)
    ZohoToken.objects.filter(pk=row.pk).update(status=TokenStatus.REVOKED)
    fake_zoho.reset_counts()

    with pytest.raises(NoUsableTokenError):
        session.get("org")

    assert fake_zoho.requests == []


def test_a_token_needing_reauthorisation_says_so(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    ZohoToken.objects.filter(pk=row.pk).update(status=TokenStatus.NEEDS_REAUTH)

    with pytest.raises(ReauthorizationRequired):
        session_for(row)


def test_the_user_acts_with_their_newest_active_token_only(fake_zoho: FakeZoho) -> None:
    old = connect(fake_zoho, "alice")
    newer = connect(fake_zoho, "alicia")
    ZohoToken.objects.filter(pk=newer.pk).update(user=old.user)
    ZohoToken.objects.filter(pk=old.pk).update(status=TokenStatus.REVOKED)

    assert session_for(old.user).token_id == newer.pk


def test_an_unknown_service_is_a_clear_error(fake_zoho: FakeZoho) -> None:
    with pytest.raises(ValueError, match="crm"):
        session_for(connect(fake_zoho, "alice"), "mail")


def test_the_repr_shows_no_token(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row)
    session.get("org")

    assert row.access_token not in repr(session) + repr(vars(session))


def test_an_error_report_of_a_failed_call_shows_no_token(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row)
    fake_zoho.fail("crm", "down")
    try:
        session.get("org")
    except ZohoUnavailableError:
        report = ExceptionReporter(None, *sys.exc_info()).get_traceback_html()

    assert "ZohoUnavailableError" in report
    assert row.access_token not in report
