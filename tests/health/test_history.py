"""A token's history: one row per event that changes it, with who did it, never a secret,
written with one insert and no read; pruned by cleanup_zoho_tokens."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ALICE_ZOHO_EMAIL
from tests.sdk.helpers import make_user
from zoho_tokens.exceptions import (
    ReauthorizationRequired,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.health import acting, prune_history
from zoho_tokens.models import TokenEvent, ZohoToken
from zoho_tokens.tokens.refresh import ensure_fresh
from zoho_tokens.tokens.revocation import revoke_token

pytestmark = pytest.mark.django_db(transaction=True)


def kinds(token: ZohoToken) -> list[tuple[str, str, str]]:
    return [
        (e.kind, e.actor, e.outcome)
        for e in TokenEvent.objects.filter(token_id=token.pk).order_by("at", "pk")
    ]


def expire(token: ZohoToken) -> ZohoToken:
    ZohoToken.objects.filter(pk=token.pk).update(expires_at_ms=0)
    return ZohoToken.objects.get(pk=token.pk)


def test_connect_refresh_and_revoke_make_a_history(fake_zoho, alice):
    token = alice.zoho_tokens.get()
    ensure_fresh(expire(token))
    with acting("admin", alice):
        revoke_token(token)

    assert kinds(token) == [
        ("connected", "worker", "created"),
        ("refreshed", "worker", "ok"),
        ("revoked_locally", "admin", "ok"),
        ("revoked_at_zoho", "admin", "ok"),
    ]
    assert TokenEvent.objects.filter(kind="revoked_locally").get().actor_user_id == alice.pk


def test_a_refused_refresh_is_recorded_with_the_reason(fake_zoho, alice):
    token = alice.zoho_tokens.get()
    fake_zoho.remove_connected_app(ALICE_ZOHO_EMAIL)

    with pytest.raises(ReauthorizationRequired):
        ensure_fresh(expire(token))

    event = TokenEvent.objects.get(kind="refresh_refused")
    assert (event.outcome, event.detail) == ("dead", "revoked")
    assert event.duration_ms is not None


def test_throttled_and_failed_refreshes_are_recorded(fake_zoho, alice):
    token = expire(alice.zoho_tokens.get())
    fake_zoho.fail("refresh", "throttle", times=1)
    with pytest.raises(ZohoThrottledError):
        ensure_fresh(token)
    ZohoToken.objects.filter(pk=token.pk).update(refresh_backoff_until=None)
    fake_zoho.fail("refresh", "http_500", times=1)
    with pytest.raises(ZohoUnavailableError):
        ensure_fresh(ZohoToken.objects.get(pk=token.pk))

    assert kinds(token)[1:] == [
        ("throttled", "worker", "throttled"),
        ("refresh_failed", "worker", "unavailable"),
    ]


def test_the_user_connecting_through_the_views_is_the_actor(client, fake_zoho):
    user = make_user("ada")
    client.force_login(user)
    consent = client.get(reverse("zoho_tokens:connect"))
    client.get(fake_zoho.consent(consent["Location"]))

    event = TokenEvent.objects.get(kind="connected")
    assert (event.actor, event.actor_user_id) == ("user", user.pk)


def test_a_refresh_writes_one_history_row_and_reads_none(fake_zoho, alice):
    token = expire(alice.zoho_tokens.get())

    with CaptureQueriesContext(connection) as queries:
        ensure_fresh(token)

    history = [q["sql"] for q in queries.captured_queries if "zoho_tokens_tokenevent" in q["sql"]]
    assert len(history) == 1
    assert history[0].startswith("INSERT")


def test_no_secret_reaches_the_history(fake_zoho, alice):
    token = alice.zoho_tokens.get()
    secrets = [token.refresh_token, token.access_token, fake_zoho.client_secret]
    ensure_fresh(expire(token))
    fake_zoho.remove_connected_app(ALICE_ZOHO_EMAIL)
    with pytest.raises(ReauthorizationRequired):
        ensure_fresh(expire(token))
    revoke_token(token)

    stored = repr(list(TokenEvent.objects.values()))
    assert all(secret and secret not in stored for secret in secrets)


def test_a_failing_history_does_not_fail_the_refresh(fake_zoho, alice, caplog):
    token = expire(alice.zoho_tokens.get())
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE zoho_tokens_tokenevent RENAME TO zoho_tokens_elsewhere")
    try:
        refreshed = ensure_fresh(token)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE zoho_tokens_elsewhere RENAME TO zoho_tokens_tokenevent")

    assert refreshed.access_token
    assert "could not be written to the history" in caplog.text


def test_cleanup_prunes_events_older_than_history_days(settings, db):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HISTORY_DAYS": 30}
    token = ZohoToken.objects.create()
    now = timezone.now()
    for days in (31, 29):
        TokenEvent.objects.create(
            token=token,
            kind="refreshed",
            actor="worker",
            outcome="ok",
            at=now - dt.timedelta(days=days),
        )
    out = StringIO()

    call_command("cleanup_zoho_tokens", stdout=out)

    assert "History: 1 events older than 30 days deleted." in out.getvalue()
    assert TokenEvent.objects.count() == 1


def test_history_days_0_keeps_everything(settings, db):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HISTORY_DAYS": 0}
    TokenEvent.objects.create(
        token=ZohoToken.objects.create(),
        kind="refreshed",
        actor="worker",
        outcome="ok",
        at=timezone.now() - dt.timedelta(days=3000),
    )

    assert prune_history() == 0
    assert TokenEvent.objects.count() == 1


def test_the_token_s_admin_page_shows_its_timeline(admin_client, fake_zoho, alice):
    token = alice.zoho_tokens.get()
    fake_zoho.remove_connected_app(ALICE_ZOHO_EMAIL)
    with pytest.raises(ReauthorizationRequired):
        ensure_fresh(expire(token))

    page = admin_client.get(
        reverse("admin:zoho_tokens_zohotoken_change", args=[token.pk])
    ).content.decode()

    timeline = page.split('id="zoho-tokens-timeline"')[1]
    assert timeline.index("Refresh refused by Zoho") < timeline.index("Connected")
    assert "dead: revoked" in timeline


def test_acting_refuses_an_unknown_actor():
    with pytest.raises(ValueError, match="robot"), acting("robot"):
        pass
