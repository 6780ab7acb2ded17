"""Errors inside ``acting_as``: this package's error model, never a bare ``SDKException``.

"Connect again" arrives as ``NoUsableTokenError`` on the very request that finds out;
Zoho Accounts or the CRM being down, slow or throttling arrives as
``ZohoUnavailableError`` / ``ZohoThrottledError``.
"""

from __future__ import annotations

import pytest

from tests.sdk.helpers import current_zoho_email, lead_names, make_user
from zoho_tokens.exceptions import (
    MissingScopeError,
    NoUsableTokenError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.sdk.as_user import acting_as
from zoho_tokens.testing import FaultKind
from zoho_tokens.tokens.connect import connect_with_code

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("sdk_resource_path", "short_http_timeout"),
]


def expire_in_database(user) -> None:
    ZohoToken.objects.filter(user=user).update(expires_at_ms=0)


def call_after_a_failed_refresh(
    fake_zoho, user, kind: FaultKind, error: type[Exception], call=current_zoho_email
) -> None:
    """``user``'s access token has expired and Zoho Accounts answers the refresh with the
    fault ``kind``: ``call`` inside ``acting_as`` raises ``error``."""
    expire_in_database(user)
    fake_zoho.fail("refresh", kind)

    with pytest.raises(error), acting_as(user):
        call()


# -- connect again -----------------------------------------------------------------------


def test_a_refresh_refused_on_the_first_call_is_a_no_usable_token_error(fake_zoho, alice) -> None:
    call_after_a_failed_refresh(fake_zoho, alice, "invalid_code", NoUsableTokenError)


def test_a_refresh_refused_on_the_first_call_marks_the_token(fake_zoho, alice) -> None:
    call_after_a_failed_refresh(fake_zoho, alice, "invalid_code", NoUsableTokenError)

    assert ZohoToken.objects.get(user=alice).status == TokenStatus.NEEDS_REAUTH


def test_a_refresh_refused_on_a_later_call_is_a_no_usable_token_error(fake_zoho, alice) -> None:
    def refused_between_two_calls() -> None:
        with acting_as(alice):
            current_zoho_email()
            expire_in_database(alice)
            fake_zoho.fail("refresh", "invalid_code")
            current_zoho_email()

    with pytest.raises(NoUsableTokenError):
        refused_between_two_calls()


def test_a_refresh_refused_while_reading_records_is_a_no_usable_token_error(
    fake_zoho, alice
) -> None:
    call_after_a_failed_refresh(fake_zoho, alice, "invalid_code", NoUsableTokenError, lead_names)


# -- Zoho Accounts down, slow or throttling a refresh ---------------------------------------


@pytest.mark.parametrize("kind", ["down", "http_500", "slow", "html"])
def test_accounts_failing_a_refresh_is_zoho_unavailable(fake_zoho, alice, kind) -> None:
    call_after_a_failed_refresh(fake_zoho, alice, kind, ZohoUnavailableError)


def test_accounts_throttling_a_refresh_is_zoho_throttled(fake_zoho, alice) -> None:
    call_after_a_failed_refresh(fake_zoho, alice, "throttle", ZohoThrottledError)


def test_accounts_failing_a_refresh_leaves_the_token_active(fake_zoho, alice) -> None:
    call_after_a_failed_refresh(fake_zoho, alice, "down", ZohoUnavailableError)

    assert ZohoToken.objects.get(user=alice).status == TokenStatus.ACTIVE


# -- the CRM unreachable or timing out -------------------------------------------------------


@pytest.mark.parametrize("kind", ["down", "slow"])
def test_the_crm_unreachable_is_zoho_unavailable(fake_zoho, alice, kind) -> None:
    fake_zoho.fail("crm", kind)

    with pytest.raises(ZohoUnavailableError), acting_as(alice):
        current_zoho_email()


def test_the_crm_unreachable_while_reading_records_is_zoho_unavailable(fake_zoho, alice) -> None:
    fake_zoho.fail("crm", "down")

    with pytest.raises(ZohoUnavailableError), acting_as(alice):
        lead_names()


def test_the_crm_unreachable_names_no_token_in_the_error(fake_zoho, alice) -> None:
    token = ZohoToken.objects.get(user=alice)
    fake_zoho.fail("crm", "down")

    with pytest.raises(ZohoUnavailableError) as raised, acting_as(alice):
        current_zoho_email()

    assert token.access_token not in str(raised.value)
    assert token.refresh_token not in str(raised.value)


def test_a_call_the_tokens_scopes_do_not_cover_is_a_missing_scope_error(
    fake_zoho, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "EXTRA_SCOPES": ["ZohoCRM.modules.ALL"]}
    user = make_user("bob")
    fake_zoho.add_user("bob@zoho.example", "Bob Example")
    narrow = ("ZohoCRM.settings.fields.READ", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
    code = fake_zoho.issue_code(user="bob@zoho.example", scopes=narrow)
    connect_with_code(code, accounts_server=fake_zoho.url, redirect_uri=None, user=user)

    with pytest.raises(MissingScopeError) as caught, acting_as(user):
        lead_names()

    assert caught.value.scopes == ["ZohoCRM.modules.ALL"]
    assert caught.value.connect_url == "/zoho/connect/?scope=ZohoCRM.modules.ALL"
    assert isinstance(caught.value, NoUsableTokenError)
