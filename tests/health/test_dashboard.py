"""The admin dashboard: its figures, its chart, and queries that do not grow with the
number of tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zoho_tokens.health import connections_by_state
from zoho_tokens.health.chart import _nice_top
from zoho_tokens.health.dashboard import daily_activity, needing_attention
from zoho_tokens.models import TokenEvent, TokenStatus, ZohoLimitFigures, ZohoToken

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:zoho_tokens_zohotoken_dashboard"


def add_tokens(count: int) -> None:
    """``count`` rows: a quarter of each state the dashboard counts, and one history event
    per row on one of the last 14 days."""
    rows = [
        ZohoToken(
            status=(TokenStatus.ACTIVE, TokenStatus.NEEDS_REAUTH, TokenStatus.REVOKED)[n % 3],
            remote_revoke_pending=n % 4 == 3 and n % 3 == 2,
            refresh_failure="revoked:invalid_code" if n % 3 == 1 else "",
        )
        for n in range(count)
    ]
    rows = ZohoToken.objects.bulk_create(rows, batch_size=5000)
    now = timezone.now()
    TokenEvent.objects.bulk_create(
        [
            TokenEvent(
                token_id=row.pk,
                kind=("refreshed", "refresh_refused", "throttled")[n % 3],
                actor="worker",
                outcome="ok",
                at=now - dt.timedelta(days=n % 14),
            )
            for n, row in enumerate(rows)
        ],
        batch_size=5000,
    )


def copy_rows_until(model: type[Model], total: int) -> None:
    """Grow ``model``'s table to ``total`` rows by copying its rows inside the database
    (the table doubles per statement: fast on SQLite, PostgreSQL and MariaDB alike)."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(field.column)
        for field in model._meta.concrete_fields
        if not field.primary_key
    )
    order = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        while (have := model._default_manager.count()) < total:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} "
                f"ORDER BY {order} LIMIT {min(have, total - have)}"
            )


def dashboard_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(DASHBOARD))
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_dashboard_s_queries_are_the_same_for_10_and_100_000_tokens(admin_client):
    add_tokens(10)
    few = dashboard_queries(admin_client)
    copy_rows_until(ZohoToken, 100_000)
    copy_rows_until(TokenEvent, 100_000)
    assert sum(connections_by_state().values()) == 100_000

    many = dashboard_queries(admin_client)

    assert len(many) == len(few)
    tokens_tables = ("zoho_tokens_zohotoken", "zoho_tokens_tokenevent")
    assert sum(any(t in sql for t in tokens_tables) for sql in many) == 3
    # The limits: one query for the figures (none kept yet: no slot is read).
    assert sum("zoho_tokens_zoholimitfigures" in sql for sql in many) == 1


def add_limit_figures(organizations: int) -> None:
    ZohoLimitFigures.objects.bulk_create(
        ZohoLimitFigures(
            organization=str(700000000 + n),
            service="crm",
            credits_remaining=24000 - n,
            throttled_count=n,
            updated_at=timezone.now(),
        )
        for n in range(organizations)
    )


# Committed rows: the limiter's own connection (PostgreSQL, MariaDB) empties its tables after
# each test, which would wait on rows the test's transaction holds (MariaDB's locks).
@pytest.mark.django_db(transaction=True)
def test_the_limits_section_lists_each_organisation_in_the_same_queries_for_1_and_50(
    admin_client,
):
    add_tokens(10)
    add_limit_figures(1)
    few = dashboard_queries(admin_client)
    ZohoLimitFigures.objects.all().delete()
    add_limit_figures(50)

    response = admin_client.get(reverse(DASHBOARD))
    many = dashboard_queries(admin_client)

    assert len(many) == len(few)
    page = response.content.decode()
    assert 'id="zt-limits"' in page
    assert "700000049" in page
    assert "23951" in page
    assert "0 / 10" in page


def test_the_limits_section_is_hidden_when_zoho_reported_none(admin_client):
    add_tokens(10)
    response = admin_client.get(reverse(DASHBOARD))
    assert 'id="zt-limits"' not in response.content.decode()


def test_counts_connections_by_state():
    add_tokens(12)

    assert connections_by_state() == {
        "active": 4,
        "needs_reconsent": 4,
        "revoked": 3,
        "revocation_pending": 1,
    }


def test_daily_activity_counts_each_kind_per_day_and_leaves_older_days_out():
    token = ZohoToken.objects.create()
    today = timezone.now().astimezone(dt.timezone.utc).date()
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=dt.timezone.utc)
    for days_ago, kind in [
        (0, "refreshed"),
        (0, "refreshed"),
        (3, "refresh_refused"),
        (14, "refreshed"),
    ]:
        TokenEvent.objects.create(
            token=token,
            kind=kind,
            actor="worker",
            outcome="ok",
            at=noon - dt.timedelta(days=days_ago),
        )

    activity = daily_activity(today=today)

    assert activity.days[-1] == today
    assert len(activity.days) == 14
    assert activity.counts["refreshed"][-1] == 2
    assert sum(activity.counts["refreshed"]) == 2
    assert activity.counts["refresh_refused"][-4] == 1


def test_needing_attention_lists_dead_pending_and_failing_tokens_only():
    dead = ZohoToken.objects.create(status=TokenStatus.NEEDS_REAUTH)
    pending = ZohoToken.objects.create(status=TokenStatus.REVOKED, remote_revoke_pending=True)
    failing = ZohoToken.objects.create(refresh_failure="unavailable:timeout")
    ZohoToken.objects.create()
    ZohoToken.objects.create(status=TokenStatus.REVOKED)

    assert {token.pk for token in needing_attention()} == {dead.pk, pending.pk, failing.pk}


def test_the_page_shows_the_counts_the_chart_and_the_tokens(admin_client):
    dead = ZohoToken.objects.create(status=TokenStatus.NEEDS_REAUTH, user_name="zed@example.com:1")
    TokenEvent.objects.create(token=dead, kind="refresh_refused", actor="worker", outcome="dead")

    html = admin_client.get(reverse(DASHBOARD)).content.decode()

    assert "<svg" in html
    assert "Refused (dead) on" in html
    assert "zed@example.com:1" in html
    assert "Must connect again: disconnected at Zoho" in html
    assert "<script" not in html.split('id="content-main"')[1]


def test_the_dashboard_needs_the_view_permission(client, django_user_model):
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    client.force_login(staff)

    assert client.get(reverse(DASHBOARD)).status_code == 403


def test_the_changelist_links_to_the_dashboard(admin_client):
    html = admin_client.get(reverse("admin:zoho_tokens_zohotoken_changelist")).content.decode()

    assert reverse(DASHBOARD) in html


@pytest.mark.parametrize(("peak", "top"), [(0, 4), (4, 4), (5, 8), (9, 20), (21, 40), (81, 200)])
def test_the_scale_ends_on_a_round_number(peak, top):
    assert _nice_top(peak) == top
