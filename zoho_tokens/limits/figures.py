"""The last figures Zoho reported, per organisation and service, where every worker sees them.

Kept in the same store as the slots (``ZOHO_TOKENS["LIMITS"]["STORE"]``): rows of
:class:`~zoho_tokens.models.ZohoLimitFigures` in the database, or one cache key per
organisation and service. A figure an answer does not carry keeps its last value (CRM
sends its credits header only once half the credits are spent). Each worker writes an
organisation's figures at most once per :data:`WRITE_INTERVAL` seconds, and at once when
Zoho throttled: the figures are for people and dashboards, a back-off is for every worker.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import caches
from django.db import router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from zoho_tokens.limits.answers import Report
from zoho_tokens.limits.connection import execute, insert_ignoring_conflict, limiter_connection
from zoho_tokens.models import ZohoLimitFigures

__all__ = ["WRITE_INTERVAL", "Figures", "read_figures", "record_report", "would_record"]

#: Seconds between two writes of one organisation's figures by one worker.
WRITE_INTERVAL = 1.0
_INDEX = "zoho_tokens:figures:index"
#: Seconds the cache keeps figures nobody updates (an organisation no longer called).
CACHE_LIFE = 7 * 86400
_UPDATE = "UPDATE {table} SET {assignments} WHERE organization = %s AND service = %s"

_last_write: dict[tuple[str, str, str], float] = {}
_last_write_lock = threading.Lock()


@dataclass(frozen=True)
class Figures:
    """What Zoho last reported for one organisation's service."""

    organization: str
    service: str
    daily_limit: int | None = None
    daily_remaining: int | None = None
    resets_at: datetime | None = None
    credits_remaining: int | None = None
    backoff_until: datetime | None = None
    last_throttled_at: datetime | None = None
    throttled_count: int = 0
    updated_at: datetime | None = None


def _due(store: str, organization: str, service: str, report: Report) -> bool:
    # The first answer a worker sees is written even without figures: the organisation
    # then shows in statuses().
    now = time.monotonic()
    with _last_write_lock:
        if not _is_due(store, organization, service, report, now):
            return False
        _last_write[(store, organization, service)] = now
    return True


def _is_due(store: str, organization: str, service: str, report: Report, now: float) -> bool:
    last = _last_write.get((store, organization, service))
    return report.throttled or last is None or (report.has_figures and now - last >= WRITE_INTERVAL)


def would_record(store: str, organization: str, service: str, report: Report) -> bool:
    """Whether :func:`record_report` would write ``report`` now (nothing is marked: async
    code asks this first, and only goes to a thread when something is to be written)."""
    return _is_due(store, organization, service, report, time.monotonic())


def _changes(report: Report, backoff: float | None) -> dict[str, Any]:
    now = timezone.now()
    changes: dict[str, Any] = {
        "daily_limit": report.daily_limit,
        "daily_remaining": report.daily_remaining,
        "resets_at": None
        if report.resets_in is None
        else now + timedelta(seconds=report.resets_in),
        "credits_remaining": report.credits_remaining,
    }
    if report.throttled:
        changes["last_throttled_at"] = now
        changes["backoff_until"] = now + timedelta(seconds=backoff or 0)
    changes = {name: value for name, value in changes.items() if value is not None}
    changes["updated_at"] = now
    return changes


def record_report(
    store: str, alias: str, organization: str, service: str, report: Report, backoff: float | None
) -> bool:
    """Keep what ``report`` says (``backoff``: the seconds every worker now waits, for a
    429); whether anything was written."""
    if not _due(store, organization, service, report):
        return False
    changes = _changes(report, backoff)
    if store == "cache":
        _record_in_cache(alias, organization, service, changes, report.throttled)
    else:
        _record_in_database(organization, service, changes, report.throttled)
    return True


def _record_in_database(
    organization: str, service: str, changes: dict[str, Any], throttled: bool
) -> None:
    with limiter_connection(router.db_for_write(ZohoLimitFigures)) as connection:
        _write_figures(connection, organization, service, changes, throttled)


def _write_figures(
    connection: BaseDatabaseWrapper,
    organization: str,
    service: str,
    changes: dict[str, Any],
    throttled: bool,
) -> None:
    table = ZohoLimitFigures._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    values = [adapt(v) if isinstance(v, datetime) else v for v in changes.values()]
    # Column names from the code above, never from input.
    assignments = [f"{connection.ops.quote_name(name)} = %s" for name in changes]
    if throttled:
        assignments.append("throttled_count = throttled_count + 1")
    template = _UPDATE.replace("{assignments}", ", ".join(assignments))
    if execute(connection, template, table, (*values, organization, service)):
        return
    insert_ignoring_conflict(
        connection,
        table,
        ("organization", "service", "throttled_count", "updated_at"),
        (organization, service, 0, adapt(changes["updated_at"])),
    )
    execute(connection, template, table, (*values, organization, service))


def _cache_key(organization: str, service: str) -> str:
    return f"zoho_tokens:figures:{service}:{organization}"


def _record_in_cache(
    alias: str, organization: str, service: str, changes: dict[str, Any], throttled: bool
) -> None:
    cache = caches[alias]
    key = _cache_key(organization, service)
    # Last writer wins: figures are a snapshot, and a back-off is enforced by the slots.
    current = cache.get(key) or asdict(Figures(organization, service))
    current.update(changes)
    if throttled:
        current["throttled_count"] = int(current.get("throttled_count") or 0) + 1
    cache.set(key, current, CACHE_LIFE)
    index = cache.get(_INDEX) or []
    if [organization, service] not in index:
        cache.set(_INDEX, [*index, [organization, service]], CACHE_LIFE)


def read_figures(store: str, alias: str, organization: str | None = None) -> list[Figures]:
    """The figures kept, of one organisation (or of all), by service."""
    if store == "cache":
        cache = caches[alias]
        pairs = [
            (org, service)
            for org, service in cache.get(_INDEX) or []
            if organization is None or org == organization
        ]
        kept = cache.get_many([_cache_key(org, service) for org, service in pairs])
        return [Figures(**value) for value in kept.values()]
    rows = ZohoLimitFigures.objects.all()
    if organization is not None:
        rows = rows.filter(organization=organization)
    return [
        Figures(
            organization=row.organization,
            service=row.service,
            daily_limit=row.daily_limit,
            daily_remaining=row.daily_remaining,
            resets_at=row.resets_at,
            credits_remaining=row.credits_remaining,
            backoff_until=row.backoff_until,
            last_throttled_at=row.last_throttled_at,
            throttled_count=row.throttled_count,
            updated_at=row.updated_at,
        )
        for row in rows.order_by("organization", "service")
    ]
