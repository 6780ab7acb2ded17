"""A token's history: each event of :data:`zoho_tokens.signals.token_event` that changes a
token becomes one :class:`~zoho_tokens.models.TokenEvent` row.

One insert per event and nothing read (the token's id comes with the event, the actor from
:mod:`zoho_tokens.health.actors`), so the request path pays one ``INSERT`` when it refreshes
and nothing otherwise. A failure to write the history is logged and swallowed: the
operation it records has already happened and must not fail because of it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError
from django.utils import timezone

from zoho_tokens.conf import zoho_settings
from zoho_tokens.health.actors import current
from zoho_tokens.models import EventKind, TokenEvent

logger = logging.getLogger(__name__)

#: The events that change a token, and so are kept in its history.
HISTORY_KINDS = frozenset(EventKind.values)


def record_event(
    sender: Any,
    *,
    event: str,
    token_id: int | None,
    outcome: str,
    detail: str = "",
    duration_ms: float | None = None,
    token_ids: tuple[int, ...] = (),
    **_: Any,
) -> None:
    """Receiver of ``token_event``: write one history row (events that change a token);
    for a bulk event (``token_ids``), one row per token in one ``INSERT``."""
    ids = token_ids or ((token_id,) if token_id is not None else ())
    if event not in HISTORY_KINDS or not ids:
        return
    acting = current()
    try:
        TokenEvent.objects.bulk_create(
            TokenEvent(
                token_id=pk,
                kind=event,
                actor=acting.actor,
                actor_user_id=acting.user_id,
                outcome=outcome[:16],
                detail=detail[:64],
                duration_ms=None if duration_ms is None else max(int(duration_ms), 0),
            )
            for pk in ids
        )
    except DatabaseError:
        logger.warning(
            "Zoho token %s: its %s event could not be written to the history.",
            token_id,
            event,
            exc_info=True,
            extra={"token_id": token_id, "service": "accounts", "outcome": outcome},
        )


def history_cutoff(now: datetime | None = None) -> datetime | None:
    """Events older than this are pruned; None when ``HISTORY_DAYS`` is 0 (kept for ever)."""
    days = zoho_settings.HISTORY_DAYS
    if days <= 0:
        return None
    return (now or timezone.now()) - timedelta(days=days)


def prune_history(now: datetime | None = None, *, dry_run: bool = False) -> int:
    """Delete (or with ``dry_run`` count) the events older than ``HISTORY_DAYS``."""
    cutoff = history_cutoff(now)
    if cutoff is None:
        return 0
    old = TokenEvent.objects.filter(at__lt=cutoff)
    if dry_run:
        return old.count()
    # No receivers and no relations point at events: Django deletes them in one statement.
    deleted, _per_model = old.delete()
    return deleted
