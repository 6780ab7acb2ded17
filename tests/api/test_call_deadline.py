"""One deadline for a whole call of a session: the request, a refresh (and the wait for
another worker's), and the request again share ``HTTP_TIMEOUT`` (or the call's
``timeout=``), and the error names the step that ran out.

Timing margin: each bound is the call's limit plus ``MARGIN`` for a loaded two-core
machine; every case is built so that the old behaviour (each step with a limit of its own)
takes longer than that, or succeeds where the deadline must stop it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from tests import helpers
from tests.api.conftest import connect
from tests.api.wiretap import Wiretap
from zoho_tokens.api.session import session_for
from zoho_tokens.api.wire import call_time_limit
from zoho_tokens.exceptions import ZohoUnavailableError
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.testing import TOKEN_PATH, FakeZoho

pytestmark = [pytest.mark.usefixtures("crm_and_books_services")]

LIMIT = 1.0
MARGIN = 0.6


@pytest.fixture
def one_second(fake_zoho: FakeZoho, settings: Any) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": LIMIT}


def timed_failure(call: Any) -> tuple[ZohoUnavailableError, float]:
    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError) as raised:
        call()
    return raised.value, time.monotonic() - started


@pytest.mark.django_db
@pytest.mark.usefixtures("one_second")
def test_a_silent_api_runs_out_while_sending(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    fake_zoho.fail("crm", "slow")

    error, took = timed_failure(lambda: session.get("org"))

    assert (error.error, "while sending the request" in str(error)) == ("timeout", True)
    assert took < LIMIT + MARGIN


@pytest.mark.django_db
@pytest.mark.usefixtures("one_second")
def test_a_slow_answer_then_a_slow_refresh_share_one_limit(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row, "crm")
    fake_zoho.expire_access_tokens()  # the CRM answers INVALID_TOKEN
    fake_zoho.slow_seconds = 0.7  # each alone fits in the limit, both do not
    fake_zoho.fail("crm", "slow", times=1)
    fake_zoho.fail("refresh", "slow", times=1)

    error, took = timed_failure(lambda: session.get("org"))

    assert "while refreshing the access token" in str(error)
    assert took < LIMIT + MARGIN


@pytest.mark.django_db
@pytest.mark.usefixtures("one_second")
def test_a_refresh_cut_short_by_the_call_is_not_shared_as_zoho_s_failure(
    fake_zoho: FakeZoho,
) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row, "crm")
    fake_zoho.expire_access_tokens()
    fake_zoho.slow_seconds = 0.7
    fake_zoho.fail("crm", "slow", times=1)
    fake_zoho.fail("refresh", "slow", times=1)
    timed_failure(lambda: session.get("org"))

    response = session.get("org")

    assert ZohoToken.objects.get(pk=row.pk).refresh_failure == ""
    assert response.json()["org"][0]["primary_email"] == "alice@zoho.example"


@pytest.mark.django_db
@pytest.mark.usefixtures("one_second")
def test_a_silent_api_after_the_refresh_runs_out_while_sending_again(
    fake_zoho: FakeZoho,
) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    fake_zoho.fail("crm", "invalid_code", times=1)
    fake_zoho.fail("crm", "slow", times=1)

    error, took = timed_failure(lambda: session.get("org"))

    assert "while sending the request again after refreshing" in str(error)
    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 1
    assert took < LIMIT + MARGIN


@pytest.fixture
def lock_held_elsewhere(fake_zoho: FakeZoho) -> Iterator[ZohoToken]:
    """An expired token whose lock another worker holds (as one stuck refreshing would)."""
    row = connect(fake_zoho, "alice")
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=now_ms() - 1000)
    with helpers.lock_held_elsewhere(row.pk):
        yield row


@pytest.mark.django_db(transaction=True)
def test_the_wait_for_another_worker_s_refresh_is_part_of_the_call(
    fake_zoho: FakeZoho, settings: Any, lock_held_elsewhere: ZohoToken
) -> None:
    # Alone, the wait would be 1.25 x HTTP_TIMEOUT: 2.5 seconds.
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 2}
    session = session_for(lock_held_elsewhere, "crm")

    error, took = timed_failure(lambda: session.get("org", timeout=0.5))

    assert "while waiting for another worker's refresh" in str(error)
    # MariaDB counts lock waits in whole seconds: one at the least.
    assert took < (1.0 if connections["default"].vendor == "mysql" else 0.5) + MARGIN
    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("one_second")
def test_finding_the_books_organization_is_part_of_the_call(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    row = connect(fake_zoho, "alice")
    books = {"code": 0, "organizations": [{"organization_id": "1", "is_default_org": True}]}
    # Books answers each request in 0.7 s: the lookup and the call fit one limit each.
    with Wiretap(body=json.dumps(books).encode(), delay=0.7) as slow_books:
        settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "API_DOMAIN": slow_books.url}
        ZohoToken.objects.filter(pk=row.pk).update(api_domain=slow_books.url)
        session = session_for(ZohoToken.objects.get(pk=row.pk), "books")

        error, took = timed_failure(lambda: session.get("estimates"))

    assert "while sending the request" in str(error)
    assert [seen.target.split("?")[0] for seen in slow_books.seen] == [
        "/books/v3/organizations",
        "/books/v3/estimates",
    ]
    assert took < LIMIT + MARGIN


@pytest.mark.django_db
@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), -1, "soon"])
def test_a_call_s_limit_must_be_a_positive_number(fake_zoho: FakeZoho, timeout: Any) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    fake_zoho.reset_counts()

    with pytest.raises(ValueError):
        session.get("org", timeout=timeout)

    assert fake_zoho.crm_calls == []


@pytest.mark.django_db
@pytest.mark.parametrize("timeout", [(1, 2, 3), ("a", 1), object(), [1, 2], {"x": 1}, True])
def test_a_timeout_of_another_shape_is_a_clear_value_error(
    fake_zoho: FakeZoho, timeout: Any
) -> None:
    """Attack: requests-style values of the wrong shape fail as ValueError, not TypeError."""
    session = session_for(connect(fake_zoho, "alice"), "crm")

    with pytest.raises(ValueError, match="timeout must be a positive number"):
        session.get("org", timeout=timeout)


def test_requests_connect_and_read_pair_limits_the_call_to_their_sum() -> None:
    assert (call_time_limit((1, 2.5)), call_time_limit((None, 4))) == (3.5, 4.0)
