"""``zoho_tokens.sdk.auth``: an access token Zoho kills before its expiry recovers by itself.

The CRM answers ``401 INVALID_TOKEN`` (a flat body, as the real Zoho does) to an access
token it killed early; the SDK returns that as a response object. Inside ``acting_as`` the
token is refreshed once for all workers and the call sent again, once.
"""

from __future__ import annotations

import pytest

from tests.conftest import ALICE_ZOHO_EMAIL
from tests.multiproc import ChildSetup, run_together
from tests.sdk.children import current_email_as
from tests.sdk.helpers import current_zoho_email, lead_names
from zoho_tokens.exceptions import NoUsableTokenError, ZohoAPIError
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.sdk.as_user import acting_as
from zoho_tokens.testing import FakeZoho

TOKEN_PATH = "/oauth/v2/token"
PROCESSES = 4
#: Seconds the fake waits before answering a token request, so that every process meets
#: the dead access token before the first refresh is stored.
DELAY = 1.5


pytestmark = pytest.mark.usefixtures("sdk_resource_path")


def refresh_refused_after_an_early_kill(fake_zoho: FakeZoho, user) -> None:
    """Zoho kills ``user``'s access token early and refuses the refresh: the call inside
    ``acting_as`` raises ``NoUsableTokenError``."""
    fake_zoho.expire_access_tokens()
    fake_zoho.fail("refresh", "invalid_code")

    with pytest.raises(NoUsableTokenError), acting_as(user):
        current_zoho_email()


def refreshes(fake_zoho: FakeZoho) -> int:
    return fake_zoho.count(TOKEN_PATH, grant_type="refresh_token")


@pytest.mark.django_db
def test_a_call_with_an_access_token_killed_at_zoho_returns_data(fake_zoho, alice) -> None:
    fake_zoho.expire_access_tokens()

    with acting_as(alice):
        assert current_zoho_email() == ALICE_ZOHO_EMAIL


@pytest.mark.django_db
def test_records_read_with_an_access_token_killed_at_zoho_return_data(fake_zoho, alice) -> None:
    fake_zoho.expire_access_tokens()

    with acting_as(alice):
        names = lead_names()

    assert names == [lead["Last_Name"] for lead in fake_zoho.leads]


@pytest.mark.django_db
def test_an_access_token_killed_at_zoho_is_refreshed_once(fake_zoho, alice) -> None:
    fake_zoho.expire_access_tokens()
    fake_zoho.reset_counts()

    with acting_as(alice):
        current_zoho_email()
        current_zoho_email()

    assert refreshes(fake_zoho) == 1


@pytest.mark.django_db
def test_the_call_is_sent_again_with_the_new_access_token(fake_zoho, alice) -> None:
    killed = ZohoToken.objects.get(user=alice).access_token
    fake_zoho.expire_access_tokens()
    fake_zoho.reset_counts()

    with acting_as(alice):
        current_zoho_email()

    stored = ZohoToken.objects.get(user=alice).access_token
    assert [call.access_token for call in fake_zoho.crm_calls] == [killed, stored]
    assert fake_zoho.is_access_token_active(stored)


@pytest.mark.django_db
def test_a_second_invalid_token_answer_after_a_refresh_is_a_zoho_api_error(
    fake_zoho, alice
) -> None:
    fake_zoho.fail("crm", "invalid_code", times=2)

    with pytest.raises(ZohoAPIError) as raised, acting_as(alice):
        current_zoho_email()

    assert (raised.value.status_code, raised.value.code) == (401, "INVALID_TOKEN")


@pytest.mark.django_db
def test_a_second_invalid_token_answer_leaves_the_token_active(fake_zoho, alice) -> None:
    fake_zoho.fail("crm", "invalid_code", times=2)

    with pytest.raises(ZohoAPIError), acting_as(alice):
        current_zoho_email()

    assert ZohoToken.objects.get(user=alice).status == TokenStatus.ACTIVE


@pytest.mark.django_db
def test_a_refused_refresh_after_an_early_kill_is_a_no_usable_token_error(fake_zoho, alice) -> None:
    refresh_refused_after_an_early_kill(fake_zoho, alice)


@pytest.mark.django_db
def test_a_refused_refresh_after_an_early_kill_marks_the_token(fake_zoho, alice) -> None:
    refresh_refused_after_an_early_kill(fake_zoho, alice)

    assert ZohoToken.objects.get(user=alice).status == TokenStatus.NEEDS_REAUTH


@pytest.mark.django_db
def test_an_early_kill_of_a_token_without_refresh_token_is_a_no_usable_token_error(
    fake_zoho, alice
) -> None:
    ZohoToken.objects.filter(user=alice).update(refresh_token_encrypted="")
    fake_zoho.expire_access_tokens()

    with pytest.raises(NoUsableTokenError), acting_as(alice):
        current_zoho_email()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_processes_meeting_one_killed_access_token_share_one_refresh(
    fake_zoho, alice, tmp_path
) -> None:
    row = ZohoToken.objects.get(user=alice)
    killed = row.access_token
    fake_zoho.expire_access_tokens()
    fake_zoho.reset_counts()
    fake_zoho.delay = DELAY
    calls = [
        (current_email_as, (row.pk, str(tmp_path / f"process-{index}")))
        for index in range(PROCESSES)
    ]

    outcomes = run_together(ChildSetup.from_parent(), calls)

    assert [outcome.error for outcome in outcomes] == [None] * PROCESSES
    assert [outcome.value for outcome in outcomes] == [ALICE_ZOHO_EMAIL] * PROCESSES
    assert [call.access_token for call in fake_zoho.crm_calls].count(killed) == PROCESSES
    assert refreshes(fake_zoho) == 1
