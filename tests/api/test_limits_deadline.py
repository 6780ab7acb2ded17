"""A session's call waits for a slot of the organisation's cap no longer than its one time
limit (``timeout=`` or ``HTTP_TIMEOUT``), sync and async, and fails as any step of the call
that runs out of it does."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from tests.api.conftest import connect
from tests.limits.conftest import use_limits
from zoho_tokens.api import asession_for
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import ZohoUnavailableError
from zoho_tokens.limits import call_slot
from zoho_tokens.testing import FakeZoho
from zoho_tokens.testing.accounts.users import DEFAULT_ZGID

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("crm_and_books_services"),
]

FIELDS = {"fields": "Last_Name"}


def hold_the_only_slot(seconds: float) -> threading.Thread:
    """Another worker's call holds the organisation's only CRM slot for ``seconds``."""
    taken = threading.Event()

    def hold() -> None:
        with call_slot("crm", DEFAULT_ZGID):
            taken.set()
            time.sleep(seconds)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    return holder


def leads_calls(fake_zoho: FakeZoho) -> int:
    return sum(1 for r in fake_zoho.requests if r.path.endswith("/Leads"))


def test_a_call_waiting_for_a_slot_fails_when_its_time_limit_runs_out(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, CONCURRENCY=1, WAIT=30)
    session = session_for(alice.user)
    holder = hold_the_only_slot(3)
    fake_zoho.reset_counts()

    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError) as raised:
        session.get("Leads", params=FIELDS, timeout=0.6)
    took = time.monotonic() - started
    holder.join()

    assert raised.value.error == "timeout"
    assert "0.6-second time limit while waiting for a free slot" in str(raised.value)
    assert took < 2  # not LIMITS["WAIT"]'s 30 s
    assert leads_calls(fake_zoho) == 0


def test_an_async_call_waiting_for_a_slot_fails_when_its_time_limit_runs_out(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, CONCURRENCY=1, WAIT=30)
    holder = hold_the_only_slot(3)
    fake_zoho.reset_counts()

    async def call() -> None:
        async with asession_for(alice.user, "crm") as zoho:
            await zoho.get("Leads", params=FIELDS, timeout=0.6)

    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError) as raised:
        async_to_sync(call)()
    took = time.monotonic() - started
    holder.join()

    assert raised.value.error == "timeout"
    assert "time limit while waiting for a free slot" in str(raised.value)
    assert took < 2
    assert leads_calls(fake_zoho) == 0
