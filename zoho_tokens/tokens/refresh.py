"""Single-flight refresh: one call to Zoho per expiry, however many workers need the token.

Zoho mints at most 10 access tokens per refresh token in 10 minutes. The SDK refreshes
without any lock, so N workers meeting one expired token would spend N of those. Here the
first worker takes a lock that belongs to that token alone, re-reads the row, calls Zoho
and stores the result; the others wait on the lock, re-read the row, find it fresh and
never call Zoho. Different tokens have different locks, so they never wait on each other.

The lock (see :mod:`zoho_tokens.tokens.lock`) is the token's row lock where the database
has row locks, and a per-token file lock on SQLite. Every wait is bounded by
``ZOHO_TOKENS["HTTP_TIMEOUT"]``: each Zoho request has that deadline as a whole
(:func:`zoho_tokens.accounts.wire.request`), the wait for the lock a little more
(:data:`LOCK_WAIT_FACTOR`), and a refresh that failed is shared: it is recorded on the row,
and for :data:`~zoho_tokens.tokens.backoff.FAILURE_BACKOFF` seconds every worker that needs the token (those who waited
on the lock too) gets the same failure without calling Zoho again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import router
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from zoho_tokens import signals
from zoho_tokens.accounts import client as oauth
from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.accounts.destinations import trusted_api_domain
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import (
    InvalidGrantError,
    ReauthorizationRequired,
    ZohoOAuthError,
    ZohoTokensError,
    ZohoUnavailableError,
)
from zoho_tokens.models import ReconsentReason, TokenStatus, ZohoToken
from zoho_tokens.tokens.backoff import raise_if_backing_off, record_failure
from zoho_tokens.tokens.lock import LockWaitTimeout, token_lock
from zoho_tokens.tokens.lookups import require_usable
from zoho_tokens.tokens.refresh_news import (
    announce_failure,
    announce_reconsent,
    announce_refreshed,
)

#: How often a refresh is attempted when the row keeps changing under it (SQLite only:
#: elsewhere the row lock keeps other writers out).
ATTEMPTS = 3

#: How long a worker waits for a token's lock, in multiples of ``HTTP_TIMEOUT``: a little
#: longer than the holder's Zoho request may take, so that a waiter normally gets the
#: holder's result (a fresh token, or its failure) rather than a timeout of its own.
LOCK_WAIT_FACTOR = 1.25

#: The steps a call's deadline names when it runs out here; a wait that ends within
#: ``DEADLINE_SLACK`` seconds of the deadline was cut short by it.
WAITING = "waiting for another worker's refresh of the token"
REFRESHING = "refreshing the access token at Zoho Accounts"
DEADLINE_SLACK = 0.05

#: Columns a refresh writes; and those a refused refresh token writes.
_REFRESHED_FIELDS = (
    "access_token_encrypted",
    "access_token_digest",
    "expires_at_ms",
    "api_domain",
    "granted_scopes",
    "last_refreshed_at",
    "refresh_failure",
    "refresh_backoff_until",
)
_REFUSED_FIELDS = (
    "status",
    "status_changed_at",
    "access_token_encrypted",
    "access_token_digest",
    "expires_at_ms",
    "refresh_failure",
    "refresh_backoff_until",
)


def needs_refresh(row: ZohoToken, rejected_access_token: str | None = None) -> bool:
    """Whether ``row`` must be refreshed before its access token is handed out: there is a
    refresh token to do it with, and the access token is missing, expires within
    ``ZOHO_TOKENS["REFRESH_MARGIN"]`` seconds, or is the one Zoho just rejected
    (``rejected_access_token``: Zoho can kill an access token before its expiry)."""
    if not row.refresh_token_encrypted:
        return False
    if row.access_expires_within(zoho_settings.REFRESH_MARGIN):
        return True
    return bool(rejected_access_token) and row.access_token == rejected_access_token


def ensure_fresh(
    row: ZohoToken, *, rejected_access_token: str | None = None, deadline: Deadline | None = None
) -> ZohoToken:
    """``row`` with an access token valid for at least the refresh margin.

    ``rejected_access_token`` is an access token Zoho answered ``INVALID_TOKEN`` (or Books'
    code 14/57) to: when the row still holds it, the row is refreshed although its stored
    expiry lies ahead. Every worker that met the same dead token passes it; the first one
    refreshes under the lock, the others re-read the row, find another access token and do
    not call Zoho.

    ``deadline`` (a call's :class:`~zoho_tokens.accounts.deadline.Deadline`) bounds the wait
    for the lock and the request to Zoho by what is left of it; running out raises
    ``ZohoUnavailableError`` (``error="timeout"``) naming the step, and is not recorded as
    Zoho's failure.

    A fresh row is returned as it is, without touching the database. A stale one is
    refreshed under its token's lock (see the module docstring) and the re-read,
    refreshed row is returned; when another worker refreshed it while this one waited,
    Zoho is not called at all. A row without a refresh token is returned as it is: there
    is nothing to refresh it with.

    Raises:
        ReauthorizationRequired: Zoho answered ``invalid_code`` (the refresh token was
            revoked or expired); the row is marked as needing re-authorisation (committed)
            and ``reconsent_required`` is sent (once: by the worker that found out). Also raised, without calling Zoho, when another
            worker found that out first.
        NoUsableTokenError: the row was revoked or deleted in the meantime.
        ZohoThrottledError, ZohoUnavailableError, ZohoOAuthError: Zoho throttled, failed,
            timed out (``ZOHO_TOKENS["HTTP_TIMEOUT"]``, for the whole request) or answered
            something unusable; the row keeps its tokens, and the failure is recorded on it
            and raised, without calling Zoho, to every worker that needs the token during
            the back-off (:data:`~zoho_tokens.tokens.backoff.FAILURE_BACKOFF`). Nothing is retried here.
        ZohoUnavailableError: (``error="refresh_in_progress"``) another worker held the
            token's lock for longer than the wait allows (:data:`LOCK_WAIT_FACTOR`).
        DatabaseError: the database failed.
    """
    using = row._state.db or router.db_for_write(ZohoToken, instance=row)
    for _attempt in range(ATTEMPTS):
        if not needs_refresh(row, rejected_access_token):
            return row
        raise_if_backing_off(row)
        outcome = _refresh_under_lock(row.pk, using, rejected_access_token, deadline)
        if outcome.row is not None:
            return _announce(outcome.row, outcome)
        # The row changed while Zoho was being asked: look again.
        reread = ZohoToken.objects.using(using).filter(pk=row.pk).first()
        row = require_usable(reread, row.pk, unless=" before it could be refreshed")
    raise ZohoTokensError(
        f"Zoho token {row.pk} kept changing while it was being refreshed; try again."
    )


@dataclass(frozen=True)
class _Outcome:
    #: The row as stored now; None when it changed under us and nothing was written.
    row: ZohoToken | None
    refreshed: bool = False
    refused: InvalidGrantError | None = None
    #: A failure of Zoho's, recorded on the row and raised once the lock is released.
    failed: ZohoOAuthError | None = None
    #: How long Zoho took to answer, when it was asked.
    duration_ms: float | None = None


@sensitive_variables("grant")
def _refresh_under_lock(
    pk: int, using: str, rejected_access_token: str | None, deadline: Deadline | None
) -> _Outcome:
    wait = zoho_settings.HTTP_TIMEOUT * LOCK_WAIT_FACTOR
    if deadline is not None:
        wait = min(wait, deadline.left_for(REFRESHING))
    started = time.perf_counter()
    try:
        with token_lock(pk, using, wait=wait) as locked:
            signals.emit("lock_wait", pk, "ok", duration_ms=_ms_since(started))
            row = require_usable(locked, pk, unless=" before it could be refreshed")
            if not needs_refresh(row, rejected_access_token):
                # Another worker refreshed it while this one waited for the lock.
                return _Outcome(row)
            # Another worker's refresh failed while this one waited: share its failure.
            raise_if_backing_off(row)
            return _refresh(row, using, deadline)
    except LockWaitTimeout as err:
        signals.emit("lock_wait", pk, "timeout", duration_ms=_ms_since(started))
        if deadline is not None and deadline.remaining() < DEADLINE_SLACK:
            raise deadline.ran_out(WAITING) from err
        raise ZohoUnavailableError(
            f"Zoho token {pk} has been refreshed by another worker for more than {wait:g} "
            "seconds; try again later.",
            error="refresh_in_progress",
        ) from err


@sensitive_variables("grant")
def _refresh(row: ZohoToken, using: str, deadline: Deadline | None) -> _Outcome:
    """Ask Zoho for a new access token for ``row`` and store it (under the lock)."""
    timeout = None if deadline is None else deadline.left_for(REFRESHING)
    started = time.perf_counter()
    try:
        grant = oauth.refresh_access_token(
            row.refresh_token or "",
            accounts_server=row.accounts_server,
            client_id=row.client_id,
            client_secret=row.client_secret,
            timeout=timeout,
        )
        # The access token goes only where Zoho's answer may send it (checked before use).
        api_domain = grant.api_domain and trusted_api_domain(grant.api_domain, row.location)
    except InvalidGrantError as err:
        # Stored, although we raise: every other worker must stop asking Zoho.
        row.mark_needs_reauth(ReconsentReason.REVOKED, err.error)
        written = _write_if_unchanged(row, _REFUSED_FIELDS, using)
        return _Outcome(row if written else None, refused=err, duration_ms=_ms_since(started))
    except ZohoOAuthError as err:
        if (
            deadline is not None
            and err.error == "timeout"
            and deadline.remaining() < DEADLINE_SLACK
        ):
            # The call's own limit ran out, not Zoho's patience: nothing to share.
            return _Outcome(row, failed=deadline.ran_out(REFRESHING))
        # Stored, although we raise: the workers waiting on the lock must not ask again.
        record_failure(row, err, using)
        return _Outcome(row, failed=err, duration_ms=_ms_since(started))
    took = _ms_since(started)
    row.access_token = grant.access_token
    row.expires_at_ms = grant.expires_at_ms
    if api_domain:
        row.api_domain = api_domain
    if grant.scopes:
        # Zoho says which scopes the token has; after an incremental consent that is the
        # first place the new ones show.
        row.scopes = grant.scopes
    row.last_refreshed_at = timezone.now()
    row.refresh_failure = ""
    row.refresh_backoff_until = None
    written = _write_if_unchanged(row, _REFRESHED_FIELDS, using)
    return _Outcome(row if written else None, refreshed=True, duration_ms=took)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _write_if_unchanged(row: ZohoToken, fields: tuple[str, ...], using: str) -> bool:
    """Write ``fields`` of ``row`` unless someone else wrote the row since it was read.

    Under a row lock nobody can; under SQLite's file lock a revocation or a new consent
    can, and must win (a revoked row must not get a secret back).
    """
    values = {name: getattr(row, name) for name in fields}
    values["updated_at"] = timezone.now()
    written = (
        ZohoToken.objects.using(using)
        .filter(pk=row.pk, status=TokenStatus.ACTIVE, updated_at=row.updated_at)
        .update(**values)
    )
    row.updated_at = values["updated_at"]
    return written == 1


def _announce(row: ZohoToken, outcome: _Outcome) -> ZohoToken:
    """Log and signal what happened, once the lock (and its transaction) is released."""
    if outcome.failed is not None:
        announce_failure(row, outcome.failed, outcome.duration_ms)
        raise outcome.failed
    if outcome.refused is not None:
        announce_reconsent(row, ReconsentReason.REVOKED, outcome.refused.error, outcome.duration_ms)
        raise ReauthorizationRequired(row.pk) from outcome.refused
    if outcome.refreshed:
        announce_refreshed(row, outcome.duration_ms)
    return row
