"""A refresh that failed, shared: recorded on the row, and handed to every worker that needs
the token during its back-off without asking Zoho again.

Internal to :mod:`zoho_tokens.tokens.refresh`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from zoho_tokens.exceptions import ZohoOAuthError, ZohoThrottledError, ZohoUnavailableError
from zoho_tokens.models import TokenStatus, ZohoToken

__all__ = ["FAILURE_BACKOFF", "MAX_BACKOFF", "raise_if_backing_off", "record_failure"]

#: Seconds during which a failed refresh is handed to every worker without asking Zoho
#: again (longer when Zoho's throttle answer says how long to wait, up to
#: :data:`MAX_BACKOFF`).
FAILURE_BACKOFF = 5.0
MAX_BACKOFF = 300.0


def record_failure(row: ZohoToken, err: ZohoOAuthError, using: str) -> None:
    """Write Zoho's failure on the active row, with the end of its back-off."""
    backoff = FAILURE_BACKOFF
    if isinstance(err, ZohoThrottledError) and err.retry_after:
        backoff = min(max(backoff, err.retry_after), MAX_BACKOFF)
    kind = (
        "throttled"
        if isinstance(err, ZohoThrottledError)
        else "unavailable"
        if isinstance(err, ZohoUnavailableError)
        else "refused"
    )
    row.refresh_failure = f"{kind}:{err.error or 'error'}"[:64]
    row.refresh_backoff_until = timezone.now() + timedelta(seconds=backoff)
    # updated_at is left alone: this is bookkeeping, not a change of the token.
    ZohoToken.objects.using(using).filter(pk=row.pk, status=TokenStatus.ACTIVE).update(
        refresh_failure=row.refresh_failure, refresh_backoff_until=row.refresh_backoff_until
    )


def raise_if_backing_off(row: ZohoToken) -> None:
    """Raise the failure recorded on ``row`` while its back-off lasts."""
    until = row.refresh_backoff_until
    if until is None or until <= timezone.now():
        return
    kind, _, code = row.refresh_failure.partition(":")
    raise _shared_failure(row.pk, kind, code or None, until)


def _shared_failure(pk: int, kind: str, code: str | None, until: datetime) -> ZohoOAuthError:
    seconds = max((until - timezone.now()).total_seconds(), 0.0)
    message = (
        f"Refreshing Zoho token {pk} failed moments ago ({code}); Zoho is not asked again "
        f"for {seconds:.1f} seconds."
    )
    if kind == "throttled":
        return ZohoThrottledError(message, error=code, retry_after=seconds)
    if kind == "refused":
        return ZohoOAuthError(message, error=code)
    return ZohoUnavailableError(message, error=code)
