"""After each answer of Zoho: keep its figures, honour a 429 for every worker, and learn a
token's real expiry.

:func:`after_answer` is called by every caller of a Zoho API (``session_for``, the SDK's
calls in ``acting_as``, ``asession_for``) with the answer's status and headers:

* its figures (:mod:`zoho_tokens.limits.answers`) are kept where every worker sees them
  (:mod:`zoho_tokens.limits.figures`);
* a 429 makes every worker leave the organisation's service alone for Zoho's delay
  (``Retry-After``, else ``LIMITS["DEFAULT_BACKOFF"]``): every slot is held until then;
* an ``X-Accesstoken-Reset`` earlier than the expiry stored for the token moves the stored
  expiry forward to it, so that the token is refreshed before Zoho kills it (the usual
  ``REFRESH_MARGIN`` ahead) rather than after a refused call.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connections, router

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits.answers import Report, read_report
from zoho_tokens.limits.connection import execute
from zoho_tokens.limits.figures import record_report, would_record
from zoho_tokens.limits.gate import slot_key
from zoho_tokens.limits.stores import slot_store
from zoho_tokens.models import ZohoToken, now_ms

__all__ = ["Observed", "after_answer", "settled_without_store", "throttled_error"]

logger = logging.getLogger(__name__)

#: An ``X-Accesstoken-Reset`` this much earlier than the stored expiry moves it (below it,
#: the two are the same expiry rounded differently).
EXPIRY_SLACK_MS = 2000
_SHORTEN = (
    "UPDATE {table} SET expires_at_ms = %s WHERE id = %s AND "
    "(expires_at_ms IS NULL OR expires_at_ms > %s)"
)


@dataclass(frozen=True)
class Observed:
    """What :func:`after_answer` read and did."""

    report: Report
    #: Seconds every worker now leaves the organisation's service alone (a 429), else None.
    backoff: float | None = None
    #: Whether the token's stored expiry was moved forward to Zoho's.
    expiry_shortened: bool = False


def after_answer(
    service: str,
    organization: str,
    status: int,
    headers: Mapping[str, str],
    *,
    token_id: int | None = None,
    stored_expiry_ms: int | None = None,
) -> Observed:
    """Read one answer's limits and act on them (see the module)."""
    report = read_report(status, headers)
    limits = zoho_settings.LIMITS
    backoff = None
    if report.throttled:
        backoff = report.retry_after if report.retry_after is not None else limits.default_backoff
        if limits.enabled:
            _back_off(service, organization, backoff)
    try:
        record_report(limits.store, limits.cache, organization, service, report, backoff)
    except Exception:  # figures are for people: never fail a call for them
        logger.warning("Zoho limits: the figures could not be kept.", exc_info=True)
    shortened = _shorten(token_id, stored_expiry_ms, report.token_expires_at_ms)
    return Observed(report, backoff, shortened)


def settled_without_store(
    service: str,
    organization: str,
    status: int,
    headers: Mapping[str, str],
    *,
    token_id: int | None = None,
    stored_expiry_ms: int | None = None,
) -> Observed | None:
    """What :func:`after_answer` would return for an answer that asks nothing of the
    database or the cache (not a 429, no figures due to be kept, no earlier expiry); None
    when it asks something, and :func:`after_answer` must run (in a thread, from async
    code). Most answers ask nothing: async code skips a thread hop for them."""
    report = read_report(status, headers)
    if report.throttled:
        return None
    limits = zoho_settings.LIMITS
    if would_record(limits.store, organization, service, report):
        return None
    if _earlier(token_id, stored_expiry_ms, report.token_expires_at_ms):
        return None
    return Observed(report)


def _earlier(token_id: int | None, stored_ms: int | None, zoho_ms: int | None) -> bool:
    """Whether Zoho's expiry of the token is earlier than the stored one."""
    if token_id is None or zoho_ms is None:
        return False
    return stored_ms is None or zoho_ms < stored_ms - EXPIRY_SLACK_MS


def _back_off(service: str, organization: str, seconds: float) -> None:
    limits = zoho_settings.LIMITS
    until = now_ms() + int(seconds * 1000)
    try:
        slot_store(limits.store, limits.cache).hold_all(
            slot_key(service, organization), limits.cap_for(organization, service), until
        )
    except Exception:
        logger.warning("Zoho limits: the back-off could not be shared.", exc_info=True)
    logger.info(
        "Zoho throttled %s for organisation %s: every worker waits %.1f s.",
        service,
        organization,
        seconds,
    )


def _shorten(token_id: int | None, stored_ms: int | None, zoho_ms: int | None) -> bool:
    if token_id is None or zoho_ms is None or not _earlier(token_id, stored_ms, zoho_ms):
        return False
    # The caller's own connection: the token's row may be locked by the caller's transaction
    # (a refresh inside ATOMIC_REQUESTS), which another connection would wait for forever.
    connection = connections[router.db_for_write(ZohoToken)]
    moved = execute(
        connection,
        _SHORTEN,
        ZohoToken._meta.db_table,
        (zoho_ms, token_id, zoho_ms + EXPIRY_SLACK_MS),
    )
    if moved:
        logger.info(
            "Zoho token %s expires earlier than stored; it will be refreshed sooner.", token_id
        )
    return bool(moved)


def throttled_error(
    label: str,
    organization: str,
    observed: Observed,
    rate_limit: Mapping[str, str],
    code: str | None,
) -> ZohoThrottledError:
    """The error for a 429 of ``label`` (``"Zoho CRM"``), with the delay every worker waits."""
    delay = observed.backoff
    return ZohoThrottledError(
        f"{label} is rate limiting organisation {organization} (HTTP 429, {code or 'no code'}); "
        f"every worker waits {delay or 0:.1f} s before calling it again"
        + (f" ({dict(rate_limit)})" if rate_limit else "")
        + ".",
        error=code or "rate_limited",
        retry_after=delay,
        rate_limit=rate_limit,
    )
