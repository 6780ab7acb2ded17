"""A Celery worker killed (SIGKILL) while it refreshes a token loses nothing: the row keeps
its refresh token, the token's lock is released (the database drops the dead connection's
row lock; the OS drops the dead process's file lock on SQLite), and the next worker
refreshes it."""

from __future__ import annotations

import time

import pytest
from django.db import router

from tests.workers.harness import celery_worker
from tests.workers.scenario import connect_users
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.tokens.lock import token_lock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def refreshes(fake_zoho: FakeZoho) -> int:
    return fake_zoho.count(TOKEN_PATH, grant_type="refresh_token")


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.02)


def test_a_worker_killed_mid_refresh_loses_nothing_and_the_next_one_refreshes(
    fake_zoho: FakeZoho, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 20}
    run = connect_users(fake_zoho, 1)
    row = run.rows[0]
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=now_ms() - 1000)
    fake_zoho.reset_counts()
    fake_zoho.delay = 30.0  # the refresh hangs at Zoho: the worker dies holding the lock

    with celery_worker("prefork", 1) as worker:
        worker.send("zt.current_user", row.user_id, "killed")
        wait_until(lambda: refreshes(fake_zoho) == 1)
        worker.kill()

    kept = ZohoToken.objects.get(pk=row.pk)
    assert (kept.status, kept.refresh_token) == (TokenStatus.ACTIVE, row.refresh_token)
    assert fake_zoho.is_refresh_token_active(row.refresh_token or "")
    with token_lock(row.pk, router.db_for_write(ZohoToken), wait=2) as locked:
        assert locked is not None  # taken at once: the dead worker holds nothing

    fake_zoho.delay = 0.0
    with celery_worker("prefork", 1) as worker:
        answer = worker.send("zt.current_user", row.user_id, "next").get(timeout=60)

    assert answer["email"] == run.emails[0]
    assert refreshes(fake_zoho) == 2
    assert ZohoToken.objects.get(pk=row.pk).access_token != row.access_token
