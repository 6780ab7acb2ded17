"""Sessions read their access token through the single-flight refresh, and recover once
from an access token Zoho killed early."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from tests.api.conftest import connect
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import ZohoAPIError
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.testing import TOKEN_PATH, FakeZoho

pytestmark = pytest.mark.usefixtures("crm_and_books_services")

THREADS = 8


@pytest.fixture
def patient(settings) -> None:
    """A generous time limit: eight threads on two busy cores must not time out."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 15}


def refreshes(fake_zoho: FakeZoho) -> int:
    return fake_zoho.count(TOKEN_PATH, grant_type="refresh_token")


def current_user(session: Any) -> str:
    return session.get("users", params={"type": "CurrentUser"}).json()["users"][0]["email"]


def in_threads(work: Callable[[], object]) -> list[object]:
    """Run ``work`` in THREADS threads released together; their results or exceptions."""
    barrier = threading.Barrier(THREADS)
    results: list[object] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except Exception as err:  # collected, asserted by the test
            results.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_an_expired_token_is_refreshed_once_for_eight_threads(fake_zoho: FakeZoho, patient) -> None:
    row = connect(fake_zoho, "alice")
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=now_ms() - 1000)
    fake_zoho.reset_counts()
    fake_zoho.delay = 0.5  # the refresh is still in flight when the others arrive

    results = in_threads(lambda: current_user(session_for(row, "crm")))

    assert (results, refreshes(fake_zoho)) == (["alice@zoho.example"] * THREADS, 1)


@pytest.mark.django_db(transaction=True)
def test_eight_threads_meeting_one_dead_access_token_cause_one_refresh(
    fake_zoho: FakeZoho, patient
) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.expire_access_tokens()
    fake_zoho.reset_counts()
    fake_zoho.delay = 0.5

    results = in_threads(lambda: current_user(session_for(row, "crm")))

    assert (results, refreshes(fake_zoho)) == (["alice@zoho.example"] * THREADS, 1)


@pytest.mark.django_db
def test_invalid_token_mid_session_recovers_with_exactly_one_refresh(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice").user)
    current_user(session)
    fake_zoho.expire_access_tokens()  # at Zoho only: the row still says an hour is left

    assert (current_user(session), refreshes(fake_zoho)) == ("alice@zoho.example", 1)


@pytest.mark.django_db
def test_the_retry_carries_the_refreshed_access_token(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row.user)
    fake_zoho.expire_access_tokens()

    current_user(session)

    fresh = ZohoToken.objects.get(pk=row.pk).access_token
    assert [call.access_token for call in fake_zoho.crm_calls[-2:]] == [row.access_token, fresh]


@pytest.mark.django_db
def test_a_books_code_57_for_a_dead_token_recovers_with_one_refresh(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice").user, "books")
    fake_zoho.expire_access_tokens()

    estimates = session.get("estimates").json()["estimates"]

    assert (estimates, refreshes(fake_zoho)) == ([], 1)


@pytest.mark.django_db
def test_a_second_invalid_token_after_the_refresh_raises(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice").user)
    fake_zoho.fail("crm", "invalid_code", times=2)

    with pytest.raises(ZohoAPIError) as caught:
        current_user(session)

    assert (caught.value.status_code, caught.value.code, refreshes(fake_zoho)) == (
        401,
        "INVALID_TOKEN",
        1,
    )


@pytest.mark.django_db
def test_a_body_that_cannot_be_sent_twice_is_not_retried(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice").user)
    fake_zoho.fail("crm", "invalid_code", times=1)

    with pytest.raises(ZohoAPIError):
        session.post("Leads", data=iter([b"{}"]))

    assert refreshes(fake_zoho) == 0
