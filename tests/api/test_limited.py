"""``zoho_tokens.api.limited``: the async twin that ``asession_for`` wraps its sends in, over
httpx against the fake Zoho (the sync one is exercised by every ``session_for`` test)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.api.conftest import connect
from tests.limits.conftest import use_limits
from zoho_tokens.api.limited import LimitedCall, asend_within_limits
from zoho_tokens.api.services import SERVICES
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.testing import FakeZoho
from zoho_tokens.testing.accounts.users import DEFAULT_ZGID

pytestmark = pytest.mark.django_db(transaction=True)

CALL = LimitedCall(SERVICES["crm"], DEFAULT_ZGID, "GET", replayable=True)


def gather_leads(fake_zoho: FakeZoho, access_token: str, count: int) -> list[Any]:
    """``count`` concurrent reads of the leads, each within the limits; answers or errors."""

    async def main() -> list[Any]:
        async with httpx.AsyncClient() as client:

            async def one() -> httpx.Response:
                return await asend_within_limits(
                    CALL,
                    lambda: client.get(
                        f"{fake_zoho.url}/crm/v8/Leads",
                        params={"fields": "Last_Name"},
                        headers={"Authorization": f"Zoho-oauthtoken {access_token}"},
                    ),
                )

            return await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)

    return asyncio.run(main())


def test_async_calls_stay_within_the_cap(fake_zoho: FakeZoho, settings: Any) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, CONCURRENCY=2, WAIT=30)
    fake_zoho.limits.concurrency_cap = 2
    fake_zoho.limits.latency = 0.2
    fake_zoho.limits.reset()

    answers = gather_leads(fake_zoho, alice.access_token, 6)

    assert [a.status_code for a in answers] == [200] * 6
    assert fake_zoho.limits.max_in_flight(f"crm:{DEFAULT_ZGID}") == 2


def test_an_async_429_is_a_throttled_error_with_zohos_delay(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    alice = connect(fake_zoho, "alice")
    fake_zoho.limits.concurrency_cap = 0
    fake_zoho.limits.concurrency_retry_after = 9

    (answer,) = gather_leads(fake_zoho, alice.access_token, 1)

    assert isinstance(answer, ZohoThrottledError)
    assert answer.retry_after == 9
