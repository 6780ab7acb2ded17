"""What a refresh tells the rest of the world once it is over: the log record, the
``token_event`` (the history and the metrics) and the signals, all with the same fields
(``token_id``, ``service``, ``outcome``, ``duration_ms``) and never a secret."""

from __future__ import annotations

import logging

from zoho_tokens import signals
from zoho_tokens.exceptions import ZohoOAuthError, ZohoThrottledError
from zoho_tokens.models import ZohoToken

logger = logging.getLogger("zoho_tokens.tokens.refresh")


def announce_refreshed(row: ZohoToken, duration_ms: float | None) -> None:
    """Zoho gave ``row`` a new access token, now stored."""
    signals.emit(
        "refreshed",
        row.pk,
        "ok",
        duration_ms=duration_ms,
        logger=logger,
        level=logging.INFO,
        message=f"Zoho token {row.pk} refreshed; valid until {row.expires_at}.",
    )
    signals.token_refreshed.send(sender=ZohoToken, token=row)


def announce_failure(row: ZohoToken, err: ZohoOAuthError, duration_ms: float | None) -> None:
    """Zoho throttled the refresh of ``row``, failed, or could not be reached."""
    throttled = isinstance(err, ZohoThrottledError)
    signals.emit(
        "throttled" if throttled else "refresh_failed",
        row.pk,
        "throttled" if throttled else "unavailable",
        duration_ms=duration_ms,
        detail=str(err.error or "")[:64],
        logger=logger,
        level=logging.WARNING,
        message=f"Refreshing Zoho token {row.pk} failed: {err}",
    )


def announce_reconsent(
    row: ZohoToken, reason: str, error: str | None, duration_ms: float | None = None
) -> None:
    """Say once that ``row`` turned out dead (the caller wrote the change of status): the
    log record, the ``refresh_refused`` event and ``reconsent_required``."""
    signals.emit(
        "refresh_refused",
        row.pk,
        "dead",
        duration_ms=duration_ms,
        detail=reason,
        logger=logger,
        level=logging.WARNING,
        message=(
            f"Zoho token {row.pk} needs the user to connect again: Zoho refused its refresh "
            f"token ({error}; {reason})."
        ),
    )
    signals.reconsent_required.send(sender=ZohoToken, token=row, reason=reason, error=error)
