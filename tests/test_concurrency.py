"""Many workers, one token table: separate processes, each with its own connection.

Each test starts its processes with "spawn" (see ``tests/multiproc.py``), releases them
together on a barrier, and lets the fake Zoho (in this process, on 127.0.0.1) slow its
token endpoint down with ``delay`` so that the calls really overlap. The rows must be
committed for the children to see them, hence ``transaction=True``.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests import multiproc
from tests.multiproc import ChildSetup, run_together, start_together
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import revoke_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PROCESSES = 16

#: Seconds the fake waits before answering a token request: much longer than it takes
#: the released processes to reach it, much shorter than the run's timeout.
DELAY = 1.5


#: These tests are about sharing one refresh, not about timeouts: sixteen processes on a
#: busy two-core machine can take seconds to take their turns on a token's lock, so the
#: wait for it (1.25 x HTTP_TIMEOUT) is made roomy. tests/tokens/test_refresh_deadlines.py
#: measures the bounds.
HTTP_TIMEOUT = 10


@pytest.fixture
def child_setup(fake_zoho: FakeZoho, settings) -> ChildSetup:
    """The test database and the ZOHO_TOKENS pointing at the fake, for the children."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": HTTP_TIMEOUT}
    return ChildSetup.from_parent()


def expired_token(fake_zoho: FakeZoho, email: str) -> ZohoToken:
    """A token of ``email`` connected through the fake, whose access token has expired."""
    if fake_zoho.consenting_user.email != email:
        fake_zoho.add_user(email)
    row = connect_with_code(
        fake_zoho.issue_code(email), accounts_server=fake_zoho.url, redirect_uri=None
    ).token
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=now_ms() - 1000)
    return ZohoToken.objects.get(pk=row.pk)


def refresh_requests(fake_zoho: FakeZoho) -> list:
    return [r for r in fake_zoho.requests if r.params.get("grant_type") == "refresh_token"]


def errors(outcomes: list[multiproc.Outcome]) -> list[str]:
    return [outcome.error for outcome in outcomes if outcome.error is not None]


def test_sixteen_processes_on_one_expired_token_share_a_single_refresh(fake_zoho, child_setup):
    row = expired_token(fake_zoho, "ada@example.com")
    fake_zoho.reset_counts()
    fake_zoho.delay = DELAY
    # Half come in as the SDK does without an id (by user name), half with the id.
    calls = [(multiproc.find_access_token, (row.user_name,))] * (PROCESSES // 2) + [
        (multiproc.find_access_token_by_id, (str(row.pk),))
    ] * (PROCESSES // 2)

    outcomes = run_together(child_setup, calls)

    assert errors(outcomes) == []
    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 1
    stored = ZohoToken.objects.get(pk=row.pk).access_token
    assert stored != row.access_token
    assert [outcome.value for outcome in outcomes] == [stored] * PROCESSES
    assert fake_zoho.is_access_token_active(stored)


def test_sixteen_processes_saving_one_zoho_user_leave_one_row(fake_zoho, child_setup):
    user_name = "ada@example.com:700000001"
    calls = [
        (
            multiproc.save_token,
            (
                {
                    "user_name": user_name,
                    "client_id": fake_zoho.client_id,
                    "client_secret": fake_zoho.client_secret,
                    "refresh_token": f"1000.rt{index:02d}.refresh-token-of-save-{index}",
                    "access_token": f"1000.at{index:02d}.access-token-of-save-{index}",
                    "expires_in": str(now_ms() + 3_600_000),
                },
            ),
        )
        for index in range(PROCESSES)
    ]

    outcomes = run_together(child_setup, calls)

    assert errors(outcomes) == []
    rows = list(ZohoToken.objects.all())
    assert len(rows) == 1
    assert {outcome.value for outcome in outcomes} == {str(rows[0].pk)}
    assert rows[0].refresh_token in {args[0]["refresh_token"] for _, args in calls}


@pytest.mark.parametrize("users", [8, 16])
def test_users_connecting_at_once_all_get_their_token(fake_zoho, child_setup, users):
    calls = []
    for index in range(users):
        email = f"user{index:02d}@example.com"
        fake_zoho.add_user(email)
        get_user_model().objects.create_user(f"user{index:02d}", email, "pw")
        calls.append((multiproc.connect_through_callback, (f"user{index:02d}", "pw", email)))
    fake_zoho.delay = 0.2  # the exchanges overlap with the other users' writes

    outcomes = run_together(child_setup, calls)

    assert errors(outcomes) == []
    assert [outcome.value[0] for outcome in outcomes] == [302] * users
    rows = ZohoToken.objects.filter(status=TokenStatus.ACTIVE).select_related("user")
    assert sorted(row.user.username for row in rows) == [f"user{i:02d}" for i in range(users)]
    assert all(fake_zoho.is_refresh_token_active(row.refresh_token) for row in rows)


def test_refreshes_of_two_different_tokens_do_not_wait_for_each_other(fake_zoho, child_setup):
    ada = expired_token(fake_zoho, "ada@example.com")
    grace = expired_token(fake_zoho, "grace@example.com")
    fake_zoho.reset_counts()
    fake_zoho.delay = DELAY

    outcomes = run_together(
        child_setup,
        [
            (multiproc.find_access_token_by_id, (str(ada.pk),)),
            (multiproc.find_access_token_by_id, (str(grace.pk),)),
        ],
    )

    assert errors(outcomes) == []
    first, second = sorted(request.timestamp for request in refresh_requests(fake_zoho))
    # Had the second refresh waited for the first, it would have reached Zoho only after
    # the first was answered, at least DELAY later.
    assert second - first < DELAY
    assert max(o.started for o in outcomes) < min(o.finished for o in outcomes)
    assert {outcomes[0].value, outcomes[1].value} == {
        ZohoToken.objects.get(pk=ada.pk).access_token,
        ZohoToken.objects.get(pk=grace.pk).access_token,
    }


def test_token_revoked_during_its_refresh_stays_revoked_and_gets_no_secret_back(
    fake_zoho, child_setup
):
    row = expired_token(fake_zoho, "ada@example.com")
    fake_zoho.reset_counts()
    fake_zoho.delay = DELAY
    running = start_together(child_setup, [(multiproc.find_access_token_by_id, (str(row.pk),))])
    running.wait_until(lambda: fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 1)

    revoke_token(ZohoToken.objects.get(pk=row.pk))  # while Zoho is answering the refresh

    assert errors(running.outcomes()) == []
    stored = ZohoToken.objects.get(pk=row.pk)
    assert stored.status == TokenStatus.REVOKED
    assert stored.access_token is None
