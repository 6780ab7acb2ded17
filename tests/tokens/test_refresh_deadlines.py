"""``HTTP_TIMEOUT`` bounds every wait of a refresh, however Zoho misbehaves.

Six workers (threads, each with its own database connection: see ``tests/multiproc.py``;
the process-based tests of ``test_concurrency.py`` show the lock works across processes) need one expired token at the same moment while
the fake Zoho stays silent, or sends its answer one byte every half second. One of them
asks Zoho; its request ends at ``HTTP_TIMEOUT`` whatever the server does; the others wait
on the token's lock and get its failure without asking Zoho again.

Timing margin: the bound asserted is the one promised, 1.5 x ``HTTP_TIMEOUT``, with
``HTTP_TIMEOUT`` = 2 s. A worker should be done after about 2 s; the remaining second
absorbs a loaded two-core machine (the processes' start on the barrier, a database
write, the scheduler).
"""

from __future__ import annotations

import pytest

from tests import multiproc
from tests.helpers import lock_held_elsewhere
from tests.multiproc import run_in_threads
from zoho_tokens.exceptions import ZohoUnavailableError
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.refresh import ensure_fresh

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

HTTP_TIMEOUT = 2.0
BOUND = 1.5 * HTTP_TIMEOUT
WORKERS = 6


@pytest.fixture
def expired(fake_zoho: FakeZoho, settings) -> ZohoToken:
    """An expired token, with HTTP_TIMEOUT set for this process and its children."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": HTTP_TIMEOUT}
    row = connect_with_code(
        fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None
    ).token
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=now_ms() - 1000)
    fake_zoho.reset_counts()
    return ZohoToken.objects.get(pk=row.pk)


def six_workers(row: ZohoToken) -> list[multiproc.Outcome]:
    return run_in_threads(multiproc.find_access_token_by_id, (str(row.pk),), WORKERS)


def waits(outcomes: list[multiproc.Outcome]) -> list[float]:
    return sorted(round(outcome.finished - outcome.started, 2) for outcome in outcomes)


def failed_as_unavailable(outcome: multiproc.Outcome) -> bool:
    return outcome.error is not None and "SDKException" in outcome.error


def test_silent_zoho_is_asked_at_most_twice_by_six_waiting_workers(fake_zoho, expired):
    fake_zoho.slow_seconds = 60
    fake_zoho.fail("refresh", "slow")

    outcomes = six_workers(expired)

    assert all(failed_as_unavailable(outcome) for outcome in outcomes), outcomes
    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") <= 2


def test_silent_zoho_keeps_no_worker_waiting_past_the_bound(fake_zoho, expired):
    fake_zoho.slow_seconds = 60
    fake_zoho.fail("refresh", "slow")

    outcomes = six_workers(expired)

    assert max(waits(outcomes)) <= BOUND, waits(outcomes)


def test_trickled_answer_keeps_no_worker_waiting_past_the_bound(fake_zoho, expired):
    fake_zoho.trickle_seconds = 0.5
    fake_zoho.fail("refresh", "trickle")

    outcomes = six_workers(expired)

    assert all(failed_as_unavailable(outcome) for outcome in outcomes), outcomes
    assert max(waits(outcomes)) <= BOUND, waits(outcomes)


def test_trickled_answer_is_asked_for_at_most_twice(fake_zoho, expired):
    fake_zoho.trickle_seconds = 0.5
    fake_zoho.fail("refresh", "trickle")

    six_workers(expired)

    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") <= 2


def test_worker_kept_from_the_lock_past_its_wait_gets_refresh_in_progress(
    fake_zoho, expired, settings
):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 0.4}
    with lock_held_elsewhere(expired.pk), pytest.raises(ZohoUnavailableError) as raised:
        ensure_fresh(expired)

    assert raised.value.error == "refresh_in_progress"
    assert fake_zoho.count(TOKEN_PATH) == 0
