"""``acting_as`` within Zoho's limits: the SDK's CRM calls take a slot of the organisation's
cap, a 429 is a ZohoThrottledError that every worker honours, and ``AUTHENTICATION_FAILURE``
is refreshed once like ``INVALID_TOKEN``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ALICE_ZOHO_EMAIL
from tests.limits.conftest import use_limits
from tests.sdk.helpers import current_zoho_email
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits import status
from zoho_tokens.models import ZohoToken
from zoho_tokens.sdk.as_user import acting_as
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.testing.accounts.users import DEFAULT_ZGID

pytestmark = pytest.mark.django_db


def crm_calls(fake_zoho: FakeZoho) -> int:
    return sum(1 for call in fake_zoho.crm_calls if call.path.endswith("/users"))


def test_a_crm_429_raises_zoho_throttled_error_with_zohos_delay(
    fake_zoho: FakeZoho, alice: Any
) -> None:
    fake_zoho.limits.concurrency_cap = 0  # every CRM call is beyond the cap
    fake_zoho.limits.concurrency_retry_after = 30

    with pytest.raises(ZohoThrottledError) as raised, acting_as(alice):
        current_zoho_email()

    assert raised.value.retry_after == 30
    assert raised.value.error == "TOO_MANY_REQUESTS"
    assert status(DEFAULT_ZGID).throttled_count == 1


def test_after_a_429_no_worker_calls_the_crm_until_the_delay_is_over(
    fake_zoho: FakeZoho, alice: Any, settings: Any
) -> None:
    use_limits(settings, WAIT=1)
    fake_zoho.limits.concurrency_cap = 0
    fake_zoho.limits.concurrency_retry_after = 30
    with pytest.raises(ZohoThrottledError), acting_as(alice):
        current_zoho_email()
    fake_zoho.limits.concurrency_cap = None
    fake_zoho.reset_counts()

    with pytest.raises(ZohoThrottledError) as raised, acting_as(alice):
        current_zoho_email()

    assert raised.value.error == "backoff"
    assert crm_calls(fake_zoho) == 0


def test_an_authentication_failure_is_refreshed_once_and_sent_again(
    fake_zoho: FakeZoho, alice: Any
) -> None:
    fake_zoho.fail("crm", "auth_failure", times=1)
    fake_zoho.reset_counts()

    with acting_as(alice):
        assert current_zoho_email() == ALICE_ZOHO_EMAIL

    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 1


def test_an_earlier_x_accesstoken_reset_moves_the_stored_expiry(
    fake_zoho: FakeZoho, alice: Any
) -> None:
    row = ZohoToken.objects.get(user=alice)
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=row.expires_at_ms + 3_000_000)
    fake_zoho.advance_time(1000)  # Zoho's own idea: the token dies 1000 s sooner than stored

    with acting_as(alice):
        current_zoho_email()

    stored = ZohoToken.objects.get(pk=row.pk).expires_at_ms
    assert abs(stored - (row.expires_at_ms - 1_000_000)) < 3000
