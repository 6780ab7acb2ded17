"""Single-flight refresh: one call to Zoho per expiry, however many workers need the token.

Zoho mints at most 10 access tokens per refresh token in 10 minutes. The SDK refreshes
without any lock, so N workers meeting one expired token would spend N of those. Here the
first worker takes a lock that belongs to that token alone, re-reads the row, calls Zoho
and stores the result; the others wait on the lock, re-read the row, find it fresh and
never call Zoho. Different tokens have different locks, so they never wait on each other.

The lock:

* PostgreSQL, MySQL/MariaDB (and any backend with ``SELECT ... FOR UPDATE``): the token's
  row lock, held in a transaction around the Zoho call.
* SQLite: it has no row locks, only one write lock for the whole database, and holding
  that during a Zoho call would make every token (and every other write) wait. Instead, an
  exclusive OS file lock (``flock``) on a per-token file beside the database file: every
  process that opens the database sees that directory, and the OS releases the lock if
  its holder dies. No transaction stays open across the Zoho call; the result is written
  with one short conditional ``UPDATE``. Without ``flock`` (Windows), or for an in-memory
  database, a lock inside the process.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.creation import DatabaseCreation as SQLiteCreation
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from zoho_tokens import oauth, signals
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import (
    InvalidGrantError,
    NoUsableTokenError,
    ReauthorizationRequired,
    ZohoTokensError,
)
from zoho_tokens.models import TokenStatus, ZohoToken, ZohoTokenQuerySet

if sys.platform != "win32":
    import fcntl

logger = logging.getLogger(__name__)

#: How often a refresh is attempted when the row keeps changing under it (SQLite only:
#: elsewhere the row lock keeps other writers out).
ATTEMPTS = 3

#: Columns a refresh writes; and those a refused refresh token writes.
_REFRESHED_FIELDS = (
    "access_token_encrypted",
    "access_token_digest",
    "expires_at_ms",
    "api_domain",
    "granted_scopes",
    "last_refreshed_at",
)
_REFUSED_FIELDS = (
    "status",
    "status_changed_at",
    "access_token_encrypted",
    "access_token_digest",
    "expires_at_ms",
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


def ensure_fresh(row: ZohoToken, *, rejected_access_token: str | None = None) -> ZohoToken:
    """``row`` with an access token valid for at least the refresh margin.

    ``rejected_access_token`` is an access token Zoho answered ``INVALID_TOKEN`` (or Books'
    code 14/57) to: when the row still holds it, the row is refreshed although its stored
    expiry lies ahead. Every worker that met the same dead token passes it; the first one
    refreshes under the lock, the others re-read the row, find another access token and do
    not call Zoho.

    A fresh row is returned as it is, without touching the database. A stale one is
    refreshed under its token's lock (see the module docstring) and the re-read,
    refreshed row is returned; when another worker refreshed it while this one waited,
    Zoho is not called at all. A row without a refresh token is returned as it is: there
    is nothing to refresh it with.

    Raises:
        ReauthorizationRequired: Zoho answered ``invalid_code`` (the refresh token was
            revoked or expired); the row is marked as needing re-authorisation (committed)
            and ``reauth_required`` is sent. Also raised, without calling Zoho, when another
            worker found that out first.
        NoUsableTokenError: the row was revoked or deleted in the meantime.
        ZohoThrottledError, ZohoUnavailableError, ZohoOAuthError: Zoho throttled, failed,
            timed out (``ZOHO_TOKENS["HTTP_TIMEOUT"]``) or answered something unusable; the
            row is left exactly as it was. Nothing is retried here.
        DatabaseError: the lock could not be taken (a lock wait timeout, for instance).
    """
    using = row._state.db or router.db_for_write(ZohoToken, instance=row)
    for _attempt in range(ATTEMPTS):
        if not needs_refresh(row, rejected_access_token):
            return row
        outcome = _refresh_under_lock(row.pk, using, rejected_access_token)
        if outcome.row is not None:
            return _announce(outcome.row, outcome)
        # The row changed while Zoho was being asked: look again.
        row = _usable(ZohoToken.objects.using(using).filter(pk=row.pk).first(), row.pk)
    raise ZohoTokensError(
        f"Zoho token {row.pk} kept changing while it was being refreshed; try again."
    )


@dataclass(frozen=True)
class _Outcome:
    #: The row as stored now; None when it changed under us and nothing was written.
    row: ZohoToken | None
    refreshed: bool = False
    refused: InvalidGrantError | None = None


@sensitive_variables("grant")
def _refresh_under_lock(pk: int, using: str, rejected_access_token: str | None) -> _Outcome:
    with _token_lock(pk, using) as rows:
        row = _usable(rows.first(), pk)
        if not needs_refresh(row, rejected_access_token):
            # Another worker refreshed it while this one waited for the lock.
            return _Outcome(row)
        try:
            grant = oauth.refresh_access_token(
                row.refresh_token or "",
                accounts_server=row.accounts_server,
                client_id=row.client_id,
                client_secret=row.client_secret,
            )
        except InvalidGrantError as err:
            # Stored, although we raise: every other worker must stop asking Zoho.
            row.mark_needs_reauth()
            written = _write_if_unchanged(row, _REFUSED_FIELDS, using)
            return _Outcome(row if written else None, refused=err)
        # Any other failure propagates: nothing was written, and on PostgreSQL and
        # MySQL/MariaDB the transaction is rolled back.
        row.access_token = grant.access_token
        row.expires_at_ms = grant.expires_at_ms
        if grant.api_domain:
            row.api_domain = grant.api_domain
        if grant.scopes:
            # Zoho says which scopes the token has; after an incremental consent that is
            # the first place the new ones show.
            row.scopes = grant.scopes
        row.last_refreshed_at = timezone.now()
        written = _write_if_unchanged(row, _REFRESHED_FIELDS, using)
        return _Outcome(row if written else None, refreshed=True)


def _usable(row: ZohoToken | None, pk: int) -> ZohoToken:
    if row is None or row.status == TokenStatus.REVOKED:
        raise NoUsableTokenError(
            f"Zoho token {pk} was revoked or deleted before it could be refreshed."
        )
    if row.status == TokenStatus.NEEDS_REAUTH:
        raise ReauthorizationRequired(pk)
    return row


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
    if outcome.refused is not None:
        logger.warning(
            "Zoho token %s needs re-authorisation: Zoho refused its refresh token (%s).",
            row.pk,
            outcome.refused.error,
        )
        signals.reauth_required.send(sender=ZohoToken, token=row, error=outcome.refused.error)
        raise ReauthorizationRequired(row.pk) from outcome.refused
    if outcome.refreshed:
        logger.info("Zoho token %s refreshed; valid until %s.", row.pk, row.expires_at)
        signals.token_refreshed.send(sender=ZohoToken, token=row)
    return row


# -- the per-token lock ----------------------------------------------------------------------


@contextmanager
def _token_lock(pk: int, using: str) -> Iterator[ZohoTokenQuerySet]:
    """Hold the lock of token ``pk``; yields the query that re-reads its row under it."""
    connection = connections[using]
    rows = ZohoToken.objects.using(using).filter(pk=pk)
    if connection.features.has_select_for_update:
        with transaction.atomic(using=using):
            yield rows.select_for_update()
    else:
        with _local_lock(connection, pk):
            yield rows


_process_locks: dict[tuple[str, int], threading.Lock] = {}
_process_locks_guard = threading.Lock()


@contextmanager
def _local_lock(connection: BaseDatabaseWrapper, pk: int) -> Iterator[None]:
    """The lock of token ``pk`` where the database has no row locks (SQLite)."""
    database = str(connection.settings_dict["NAME"])
    if (
        sys.platform != "win32"
        and connection.vendor == "sqlite"
        and not SQLiteCreation.is_in_memory_db(database)
    ):
        with _file_lock(f"{database}-zoho-locks", pk):
            yield
        return
    # An in-memory database lives in one process; so, on Windows, does this lock.
    with _process_locks_guard:
        lock = _process_locks.setdefault((database, pk), threading.Lock())
    with lock:
        yield


@contextmanager
def _file_lock(directory: str, pk: int) -> Iterator[None]:
    os.makedirs(directory, exist_ok=True)
    # Each call opens the file anew, so threads of one process exclude each other too
    # (an flock belongs to the open file, not to the process).
    with open(os.path.join(directory, f"{pk}.lock"), "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
