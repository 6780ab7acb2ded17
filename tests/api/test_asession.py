"""``asession_for``: the async session keeps every guarantee of ``session_for``.

The calls run on an event loop of their own (``async_to_sync``); the refresh runs in a
thread of its own with its own connection, so the rows are committed (``transaction=True``).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.views.debug import ExceptionReporter

from tests.api.conftest import ORG, connect
from zoho_tokens.api import asession_for
from zoho_tokens.exceptions import (
    NoUsableTokenError,
    UntrustedHostError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.limits import organization_of, status
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.testing import TOKEN_PATH, FakeZoho

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("crm_and_books_services"),
]


@pytest.fixture
def patient(settings) -> None:
    """A generous deadline: dozens of calls on two busy cores must not time out (the
    deadline of one call is measured by test_one_deadline_holds_the_whole_call)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 15}


def refreshes(fake_zoho: FakeZoho) -> int:
    return fake_zoho.count(TOKEN_PATH, grant_type="refresh_token")


async def current_user(zoho: Any) -> str:
    answer = await zoho.get("users", params={"type": "CurrentUser"})
    return str(answer.json()["users"][0]["email"])


def run(coroutine_function: Any, *args: Any) -> Any:
    return async_to_sync(coroutine_function)(*args)


def expire(row: ZohoToken, fake_zoho: FakeZoho) -> None:
    """The row's expiry passed, and Zoho killed the access token too."""
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=now_ms() - 1000)
    fake_zoho.expire_access_tokens()


def test_a_call_goes_out_as_the_user(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")

    async def call() -> str:
        async with asession_for(row.user, "crm") as zoho:
            return await current_user(zoho)

    assert run(call) == "alice@zoho.example"
    assert {call.user_email for call in fake_zoho.crm_calls} == {"alice@zoho.example"}


def test_a_user_without_a_token_fails_on_entering_before_any_request(fake_zoho: FakeZoho) -> None:
    user = get_user_model().objects.create_user("dora", "dora@example.com", "pw")
    fake_zoho.reset_counts()

    async def enter() -> None:
        async with asession_for(user, "books"):
            pass

    with pytest.raises(NoUsableTokenError, match="not connected"):
        run(enter)
    assert fake_zoho.requests == []


def test_an_absolute_url_on_another_host_is_refused_before_sending(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.reset_counts()

    async def call() -> None:
        async with asession_for(row, "crm") as zoho:
            await zoho.get("https://evil.example/crm/v8/users")

    with pytest.raises(UntrustedHostError):
        run(call)
    assert fake_zoho.requests == []


async def a_second_call_after(fake_zoho: FakeZoho, user: Any, change: Any) -> None:
    """Two calls in one session of ``user``, with ``change()`` awaited between them (and the
    fake's counts reset, so that only the second call's requests are left)."""
    async with asession_for(user) as zoho:
        await zoho.get("org")
        await change()
        fake_zoho.reset_counts()
        await zoho.get("org")


def test_a_token_revoked_meanwhile_fails_without_a_call(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")

    def revoke() -> Any:
        return ZohoToken.objects.filter(pk=row.pk).aupdate(status=TokenStatus.REVOKED)

    with pytest.raises(NoUsableTokenError):
        run(a_second_call_after, fake_zoho, row.user, revoke)
    assert fake_zoho.requests == []


@pytest.fixture
def token_reads() -> Any:
    """The reads of the token table, on every connection of every thread, as they run."""
    from django.db.backends.signals import connection_created

    table = ZohoToken._meta.db_table
    seen: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("SELECT") and table in sql:
            seen.append(sql)
        return execute(sql, params, many, context)

    def watch(sender: Any, connection: Any, **kwargs: Any) -> None:
        # Once per connection object: a reconnecting one is "created" again.
        if count not in connection.execute_wrappers:
            connection.execute_wrappers.append(count)

    connection_created.connect(watch)
    yield seen
    connection_created.disconnect(watch)


def test_the_first_call_on_entering_reads_the_token_once(fake_zoho: FakeZoho, token_reads: Any) -> None:  # fmt: skip
    row = connect(fake_zoho, "alice")
    from django.db import connections

    connections.close_all()  # the watch sees the connections opened from now on
    token_reads.clear()  # connect()'s own

    async def two_calls() -> None:
        async with asession_for(row.user) as zoho:
            await zoho.get("org")
            await zoho.get("org")

    run(two_calls)
    # Entering, then the second call's re-read: the first call used the read on entering.
    assert len(token_reads) == 2, token_reads


def test_a_token_revoked_after_entering_fails_a_first_call_made_later(fake_zoho: FakeZoho, monkeypatch: Any) -> None:  # fmt: skip
    from zoho_tokens.api import arefresh

    monkeypatch.setattr(arefresh, "JUST_READ_SECONDS", 0.05)
    row = connect(fake_zoho, "alice")

    async def revoked_then_called() -> None:
        async with asession_for(row.user) as zoho:
            await ZohoToken.objects.filter(pk=row.pk).aupdate(status=TokenStatus.REVOKED)
            fake_zoho.reset_counts()
            await asyncio.sleep(0.1)
            await zoho.get("org")

    with pytest.raises(NoUsableTokenError):
        run(revoked_then_called)
    assert fake_zoho.requests == []


def test_a_token_handed_to_another_user_meanwhile_is_not_used(fake_zoho: FakeZoho) -> None:
    alice, bob = connect(fake_zoho, "alice"), connect(fake_zoho, "bob")

    def hand_to_bob() -> Any:
        return ZohoToken.objects.filter(pk=alice.pk).aupdate(user=bob.user)

    with pytest.raises(NoUsableTokenError, match="another Django user"):
        run(a_second_call_after, fake_zoho, alice.user, hand_to_bob)
    assert fake_zoho.requests == []


def test_books_calls_name_the_users_default_organization(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")

    async def call() -> None:
        async with asession_for(row.user, "books") as zoho:
            await zoho.get("estimates")
            await zoho.get("invoices")

    run(call)
    assert [call.organization_id for call in fake_zoho.books.calls] == [None, ORG, ORG]


def test_a_dead_access_token_is_refreshed_once_and_the_call_sent_again(
    fake_zoho: FakeZoho,
) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.expire_access_tokens()  # Zoho killed it; the row still believes it valid

    async def call() -> str:
        async with asession_for(row) as zoho:
            return await current_user(zoho)

    assert run(call) == "alice@zoho.example"
    assert refreshes(fake_zoho) == 1
    assert ZohoToken.objects.get(pk=row.pk).access_token != row.access_token


def test_fifty_coroutines_meeting_one_expired_token_cause_one_refresh(
    fake_zoho: FakeZoho, patient
) -> None:
    row = connect(fake_zoho, "alice")
    expire(row, fake_zoho)
    fake_zoho.delay = 0.3  # the refresh takes its time: every coroutine meets it

    async def calls() -> list[str]:
        async with asession_for(row.user) as zoho:
            return await asyncio.gather(*(current_user(zoho) for _ in range(50)))

    assert run(calls) == ["alice@zoho.example"] * 50
    assert refreshes(fake_zoho) == 1


def test_coroutines_of_two_users_never_call_as_each_other(fake_zoho: FakeZoho, patient) -> None:
    alice, bob = connect(fake_zoho, "alice"), connect(fake_zoho, "bob")
    expire(alice, fake_zoho)  # kills bob's access token at Zoho too: he meets a 401
    fake_zoho.reset_counts()

    async def calls_as(row: ZohoToken, path: str) -> None:
        async with asession_for(row.user) as zoho:
            await asyncio.gather(*(zoho.get(path) for _ in range(20)))

    async def both() -> None:
        # Each user calls a path of their own: the record tells whose session sent a call.
        await asyncio.gather(calls_as(alice, "users"), calls_as(bob, "org"))

    run(both)
    owner = {token.token: token.user.email for token in fake_zoho.access_tokens}
    expected = {"/crm/v8/users": "alice@zoho.example", "/crm/v8/org": "bob@zoho.example"}
    sent = [(call.path, owner.get(call.access_token or "")) for call in fake_zoho.crm_calls]
    assert len(sent) >= 40
    assert [(path, who) for path, who in sent if expected[path] != who] == []
    assert refreshes(fake_zoho) == 2  # each user's dead token once


def test_slow_answers_overlap_the_event_loop_is_free(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.api_latency = {"crm": 0.5}

    async def calls() -> float:
        async with asession_for(row) as zoho:
            started = time.monotonic()
            await asyncio.gather(*(zoho.get("org") for _ in range(10)))
            return time.monotonic() - started

    # One after another they would take 5 seconds.
    assert run(calls) < 2.5


def test_one_deadline_holds_the_whole_call(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.api_latency = {"crm": 3.0}

    async def call() -> None:
        async with asession_for(row) as zoho:
            await zoho.get("org", timeout=0.5)

    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError, match=r"0\.5-second time limit while sending"):
        run(call)
    assert time.monotonic() - started < 2.5


def test_a_throttled_call_says_how_long_zoho_asked_to_wait(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.crm_retry_after = 7
    fake_zoho.fail("crm", "throttle", times=1)

    async def call() -> None:
        async with asession_for(row) as zoho:
            await zoho.get("org")

    with pytest.raises(ZohoThrottledError) as caught:
        run(call)
    assert caught.value.retry_after == 7


def test_a_throttled_async_call_makes_every_worker_wait(fake_zoho: FakeZoho, settings) -> None:
    """The limits (zoho_tokens.api.limited) hold for asession_for too: a 429 is shared as a
    back-off, and the next call waits for it rather than calling Zoho again."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LIMITS": {"WAIT": 0}}
    row = connect(fake_zoho, "alice")
    organization = organization_of(row.user_name)
    fake_zoho.crm_retry_after = 30
    fake_zoho.fail("crm", "throttle", times=1)

    async def call() -> None:
        async with asession_for(row) as zoho:
            await zoho.get("org")

    with pytest.raises(ZohoThrottledError):
        run(call)
    calls_before = len(fake_zoho.crm_calls)
    with pytest.raises(ZohoThrottledError):  # no free slot: every worker waits Zoho's delay
        run(call)

    assert len(fake_zoho.crm_calls) == calls_before
    now = status(organization)
    assert now.throttled_count == 1
    assert now.backoff_until is not None


def test_an_error_report_of_a_failed_call_shows_no_token(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.fail("crm", "down")

    async def call() -> None:
        async with asession_for(row) as zoho:
            await zoho.get("org")

    try:
        run(call)
    except ZohoUnavailableError:
        report = ExceptionReporter(None, *sys.exc_info()).get_traceback_html()

    assert "ZohoUnavailableError" in report
    assert row.access_token not in report


def test_the_repr_shows_no_token(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")

    async def call() -> str:
        async with asession_for(row) as zoho:
            await zoho.get("org")
            return repr(zoho) + repr(vars(zoho))

    assert row.access_token not in run(call)
