"""A real Celery worker (prefork with 4 processes, threads with 8) runs many users' tasks
through ``zoho_task``: every call goes out as its own user, one refresh per broken token,
a disconnected user's tasks fail at once, throttled ones wait for Zoho's Retry-After.

The full run (1,000 tasks of 50 users) is part of ``make loadtest``
(``ZOHO_TOKENS_CELERY_RUN=full``); the suite runs the small one.
"""

from __future__ import annotations

import os

import pytest

from tests.workers import scenario
from tests.workers.harness import celery_worker
from zoho_tokens.testing import FakeZoho

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SIZE = scenario.FULL if os.environ.get("ZOHO_TOKENS_CELERY_RUN") == "full" else scenario.SMALL


@pytest.fixture
def worker_settings(fake_zoho: FakeZoho, settings, tmp_path) -> None:
    """Roomy time limits (a busy machine), the SDK's resources in the test's folder."""
    (tmp_path / "sdk").mkdir()
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "HTTP_TIMEOUT": 15,
        "SDK_RESOURCE_PATH": str(tmp_path / "sdk"),
    }
    fake_zoho.api_latency = {"crm": 0.02}  # calls overlap, as they do against Zoho


@pytest.mark.parametrize(("pool", "concurrency"), [("prefork", 4), ("threads", 8)])
def test_a_celery_worker_keeps_every_task_to_its_own_user(
    pool: str, concurrency: int, fake_zoho: FakeZoho, worker_settings: None
) -> None:
    # One run per pool (a run takes seconds), read by the checks below one by one.
    with celery_worker(pool, concurrency) as worker:
        run = scenario.run(fake_zoho, worker, SIZE)

    assert calls_as_another_user(run, fake_zoho) == []
    assert [o for o in run.outcomes if o.user_index != run.disconnected and o.error] == []
    assert refreshes_per_user(run, fake_zoho) == expected_refreshes()
    assert disconnected_outcomes(run) == {("GiveUp", 0)}
    assert throttled_attempts(run, fake_zoho) == [((429, 200), True)] * scenario.THROTTLED


def calls_as_another_user(run: scenario.Run, fake_zoho: FakeZoho) -> list[tuple[str, str | None]]:
    """Calls whose access token (as the fake saw it) was not their task's user's."""
    owner = {token.token: token.user.email for token in fake_zoho.access_tokens}
    calls = [r for r in fake_zoho.requests if r.path == "/crm/v8/users" and "tag" in r.params]
    assert len(calls) > SIZE.tasks // 2
    wrong = []
    for call in calls:
        sender = owner.get((call.header("Authorization") or "").rpartition(" ")[2])
        if sender != run.emails[int(call.params["tag"].partition("-")[0])]:
            wrong.append((call.params["tag"], sender))
    # The SDK's calls carry no tag: their answers say whose token they used.
    wrong += [
        (o.tag, o.email) for o in run.outcomes if o.email and o.email != run.emails[o.user_index]
    ]
    return wrong


def refreshes_per_user(run: scenario.Run, fake_zoho: FakeZoho) -> list[int]:
    return [run.refreshes_of(fake_zoho, index) for index in range(SIZE.users)]


def expected_refreshes() -> list[int]:
    """Killed (the first third) and expired (the second): one each; the others none."""
    broken = 2 * (SIZE.users // 3)
    return [1] * broken + [0] * (SIZE.users - broken)


def disconnected_outcomes(run: scenario.Run) -> set[tuple[str, int]]:
    """(error type, retries) of the tasks sent after their user disconnected."""
    late = [o for o in run.outcomes if o.user_index == run.disconnected and o.sent_after_disconnect]
    assert late
    return {((o.error or "succeeded").partition(":")[0], o.retries) for o in late}


def throttled_attempts(run: scenario.Run, fake_zoho: FakeZoho) -> list[tuple[tuple, bool]]:
    """For each retried task: the statuses of its first and last calls, and whether the
    retry came at least Retry-After seconds after the throttled call. (A retry that meets
    its user's token killed meanwhile makes a 401 and, after the refresh, a 200.)"""
    found = []
    for outcome in (o for o in run.outcomes if o.retries):
        calls = sorted(
            (r.timestamp, r.status)
            for r in fake_zoho.requests
            if r.params.get("tag") == outcome.tag
        )
        assert len(calls) >= 2, calls
        (throttled_at, first), (retried_at, _second) = calls[:2]
        found.append(((first, calls[-1][1]), retried_at - throttled_at >= scenario.RETRY_AFTER))
    return found
