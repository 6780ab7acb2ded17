"""Revoking many tokens while Zoho is silent: every token unusable at once, Zoho asked under
one deadline for the whole lot, the rest left pending for ``cleanup_zoho_tokens``.

Attack: an admin selects many tokens (or a user with many connections disconnects) while
Zoho's accounts server accepts connections and never answers. Before, each token waited
out a full ``HTTP_TIMEOUT``: the request was killed long before the end, and most tokens
stayed usable.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from tests.sdk.helpers import make_user
from zoho_tokens import signals
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.testing import REVOKE_PATH, FakeZoho
from zoho_tokens.tokens.revocation import retry_pending_revocations, revoke_tokens

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("short_http_timeout")]

#: Tokens per test: enough that one timeout each would take far longer than one deadline.
MANY = 40

#: Slack over the deadline (one HTTP_TIMEOUT, 1 s here) for a busy machine: waiting out
#: one timeout per token would take MANY seconds.
SLACK = 4.0


def many_tokens(fake_zoho: FakeZoho, user: Any = None, count: int = MANY) -> list[ZohoToken]:
    """``count`` active tokens of the fake's accounts server, each with a refresh token."""
    rows = []
    for n in range(count):
        token = ZohoToken(
            user=user,
            client_id=fake_zoho.client_id,
            accounts_server=fake_zoho.url,
            api_domain=fake_zoho.url,
            location="us",
            expires_at_ms=now_ms() + 3_600_000,
            granted_scopes="ZohoCRM.modules.ALL",
        )
        token.set_user_name(f"zoho{n}@example.com:700000001")
        token.refresh_token = f"1000.refresh{n:04d}.{'r' * 32}"
        token.access_token = f"1000.access{n:04d}.{'a' * 32}"
        rows.append(token)
    return ZohoToken.objects.bulk_create(rows)


def assert_all_unusable_and_pending(pks: list[int]) -> None:
    rows = ZohoToken.objects.filter(pk__in=pks)
    assert rows.count() == len(pks)
    assert not rows.usable().exists()
    assert all(row.access_token_encrypted == "" for row in rows)
    # Each keeps its (encrypted) refresh token for the retry.
    assert rows.filter(remote_revoke_pending=True).count() == len(pks)
    assert all(row.refresh_token for row in rows)


def test_revoke_tokens_returns_within_one_deadline_when_zoho_is_silent(fake_zoho: FakeZoho):
    tokens = many_tokens(fake_zoho)
    fake_zoho.fail("revoke", "slow")

    started = time.monotonic()
    result = revoke_tokens(ZohoToken.objects.all())
    elapsed = time.monotonic() - started

    assert elapsed < 1 + SLACK
    assert (result.revoked, result.remote_done, result.pending) == (MANY, 0, MANY)
    assert_all_unusable_and_pending([token.pk for token in tokens])
    # A server that did not answer is asked once, not once per token.
    assert fake_zoho.count(REVOKE_PATH) == 1


def test_a_trickling_zoho_is_held_to_the_same_deadline(fake_zoho: FakeZoho):
    many_tokens(fake_zoho)
    fake_zoho.trickle_seconds = 0.3
    fake_zoho.fail("revoke", "trickle")

    started = time.monotonic()
    result = revoke_tokens(ZohoToken.objects.all())

    assert time.monotonic() - started < 1 + SLACK
    assert result.pending == MANY - result.remote_done
    assert result.pending > 0


def test_a_zoho_that_closes_the_connection_is_asked_once(fake_zoho: FakeZoho):
    tokens = many_tokens(fake_zoho)
    fake_zoho.fail("revoke", "down")

    result = revoke_tokens(ZohoToken.objects.all())

    assert (result.remote_done, result.pending) == (0, MANY)
    assert fake_zoho.count(REVOKE_PATH) == 1
    assert_all_unusable_and_pending([token.pk for token in tokens])


def test_no_time_left_asks_zoho_nothing_and_leaves_all_pending(fake_zoho: FakeZoho):
    many_tokens(fake_zoho, count=5)

    result = revoke_tokens(ZohoToken.objects.all(), within=0)

    assert (result.revoked, result.remote_done, result.pending) == (5, 0, 5)
    assert fake_zoho.count(REVOKE_PATH) == 0
    assert result.reasons == ("Zoho did not answer in time",)


def test_the_pending_ones_are_finished_by_the_retry_once_zoho_answers(fake_zoho: FakeZoho):
    tokens = many_tokens(fake_zoho, count=5)
    fake_zoho.fail("revoke", "down")
    revoke_tokens(ZohoToken.objects.all())
    fake_zoho.heal()

    assert retry_pending_revocations() == (5, 0)
    assert not ZohoToken.objects.filter(pk__in=[t.pk for t in tokens]).pending_remote_revocation()


def test_the_local_revocation_is_one_update(fake_zoho: FakeZoho, django_assert_max_num_queries):
    many_tokens(fake_zoho)

    # Lock the keys, one UPDATE, savepoint bookkeeping, and the history's one INSERT per
    # kind of event (revoked here; pending at Zoho): the same for 40 tokens as for 1.
    with django_assert_max_num_queries(8):
        revoke_tokens(ZohoToken.objects.all(), within=0)

    assert not ZohoToken.objects.usable().exists()


def test_tokens_already_revoked_at_zoho_are_not_counted_again(fake_zoho: FakeZoho):
    many_tokens(fake_zoho, count=3)
    assert revoke_tokens(ZohoToken.objects.all()).remote_done == 3

    again = revoke_tokens(ZohoToken.objects.all())

    assert (again.revoked, again.remote_done, again.pending) == (0, 0, 0)


def test_every_token_gets_token_revoked_with_what_zoho_said(fake_zoho: FakeZoho):
    many_tokens(fake_zoho, count=4)
    fake_zoho.fail("revoke", "down")
    sent: list[bool] = []

    def receiver(sender: Any, token: ZohoToken, remote: bool, **kwargs: Any) -> None:
        sent.append(remote)

    signals.token_revoked.connect(receiver)
    try:
        revoke_tokens(ZohoToken.objects.all())
    finally:
        signals.token_revoked.disconnect(receiver)

    assert sent == [False] * 4


# -- the edges: the admin's action, the disconnect view, a deleted user ----------------------


def test_the_admin_action_finishes_and_counts_what_is_pending(
    admin_client: Client, fake_zoho: FakeZoho
):
    tokens = many_tokens(fake_zoho)
    fake_zoho.fail("revoke", "slow")

    started = time.monotonic()
    response = admin_client.post(
        reverse("admin:zoho_tokens_zohotoken_changelist"),
        {
            "action": "revoke_selected",
            "_selected_action": [t.pk for t in tokens],
            "post": "yes",
        },
        follow=True,
    )

    assert time.monotonic() - started < 1 + SLACK
    assert_all_unusable_and_pending([token.pk for token in tokens])
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith(
        f"{MANY} Zoho tokens can no longer be used here, but are not revoked at Zoho yet"
    )


def test_the_admin_action_counts_what_zoho_confirmed(admin_client: Client, fake_zoho: FakeZoho):
    tokens = many_tokens(fake_zoho, count=3)

    response = admin_client.post(
        reverse("admin:zoho_tokens_zohotoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [t.pk for t in tokens], "post": "yes"},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["3 Zoho tokens were revoked, here and at Zoho."]


def test_disconnecting_many_connections_finishes_when_zoho_is_silent(fake_zoho: FakeZoho):
    user = make_user("alice")
    tokens = many_tokens(fake_zoho, user=user)
    fake_zoho.fail("revoke", "slow")
    client = Client()
    client.force_login(user)

    started = time.monotonic()
    response = client.post("/zoho/disconnect/")

    assert time.monotonic() - started < 1 + SLACK
    assert response.status_code == 302
    assert_all_unusable_and_pending([token.pk for token in tokens])
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"{MANY} Zoho CRM connections are disconnected" in message
    assert f"about {MANY} of them" in message


def test_deleting_a_user_with_many_tokens_finishes_when_zoho_is_silent(fake_zoho: FakeZoho):
    user = make_user("alice")
    tokens = many_tokens(fake_zoho, user=user)
    fake_zoho.fail("revoke", "slow")

    started = time.monotonic()
    User.objects.filter(pk=user.pk).delete()

    assert time.monotonic() - started < 1 + SLACK
    assert_all_unusable_and_pending([token.pk for token in tokens])
    assert not ZohoToken.objects.filter(user__isnull=False).exists()


def test_deleting_a_user_deletes_the_tokens_zoho_confirmed(fake_zoho: FakeZoho):
    user = make_user("alice")
    many_tokens(fake_zoho, user=user, count=3)

    user.delete()

    assert ZohoToken.objects.count() == 0
    assert fake_zoho.count(REVOKE_PATH) == 3
