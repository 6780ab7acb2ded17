"""The figures of the admin dashboard, each in one query whatever the number of tokens.

:func:`connections_by_state` (also the metrics' gauge), :func:`daily_activity` (refreshes,
refusals and throttles per day, from the history) and :func:`needing_attention` (the tokens
someone should look at, newest first) make :func:`dashboard_figures`: three queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from zoho_tokens.models import EventKind, TokenEvent, TokenStatus, ZohoToken

#: The states the dashboard counts, in the order it shows them.
STATES = ("active", "needs_reconsent", "revoked", "revocation_pending")
#: The history events the chart shows per day.
CHARTED = (EventKind.REFRESHED, EventKind.REFRESH_REFUSED, EventKind.THROTTLED)
#: How many days the chart covers, and how many tokens the attention list shows.
DAYS = 14
ATTENTION_LIMIT = 25


def connections_by_state() -> dict[str, int]:
    """How many connections are in each of :data:`STATES` (one query)."""
    pending = Q(status=TokenStatus.REVOKED, remote_revoke_pending=True)
    counts = ZohoToken.objects.aggregate(
        active=Count("pk", filter=Q(status=TokenStatus.ACTIVE)),
        needs_reconsent=Count("pk", filter=Q(status=TokenStatus.NEEDS_REAUTH)),
        revoked=Count("pk", filter=Q(status=TokenStatus.REVOKED) & ~pending),
        revocation_pending=Count("pk", filter=pending),
    )
    return {state: int(counts[state] or 0) for state in STATES}


@dataclass(frozen=True)
class DailyActivity:
    """Events per day (UTC), oldest day first: ``counts[kind][i]`` is day ``days[i]``."""

    days: tuple[dt.date, ...]
    counts: dict[str, tuple[int, ...]] = field(default_factory=dict)


def daily_activity(days: int = DAYS, today: dt.date | None = None) -> DailyActivity:
    """Refreshes, refusals and throttles per day over the last ``days`` days (one query)."""
    today = today or timezone.now().astimezone(dt.timezone.utc).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=dt.timezone.utc)
    rows = (
        TokenEvent.objects.filter(at__gte=start, kind__in=CHARTED)
        .annotate(day=TruncDate("at", tzinfo=dt.timezone.utc))
        .values("day", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table = {(row["day"], row["kind"]): row["n"] for row in rows}
    span = tuple(first + dt.timedelta(days=i) for i in range(days))
    return DailyActivity(
        days=span,
        counts={kind: tuple(int(table.get((day, kind), 0)) for day in span) for kind in CHARTED},
    )


def needing_attention(limit: int = ATTENTION_LIMIT) -> list[ZohoToken]:
    """Tokens someone should look at (one query): the user must connect again, the
    revocation at Zoho is pending, or the last refresh failed; most recent change first."""
    attention = (
        Q(status=TokenStatus.NEEDS_REAUTH)
        | Q(remote_revoke_pending=True)
        | (Q(status=TokenStatus.ACTIVE) & ~Q(refresh_failure=""))
    )
    return list(
        ZohoToken.objects.filter(attention)
        .select_related("user")
        .order_by("-status_changed_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the dashboard shows."""

    states: dict[str, int]
    activity: DailyActivity
    attention: list[ZohoToken]


def dashboard_figures() -> DashboardFigures:
    """The dashboard's figures, in three queries."""
    return DashboardFigures(connections_by_state(), daily_activity(), needing_attention())
