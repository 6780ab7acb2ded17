"""``DjangoTokenStore``: the Zoho SDK's ``TokenStore`` on top of the ``ZohoToken`` model.

Hand it to the SDK::

    Initializer.initialize(environment=..., token=OAuthToken(...), store=DjangoTokenStore())

It follows the SDK's own stores where they are right and departs from them where they are
wrong (:mod:`zoho_tokens.sdk.mapping` maps tokens to rows): ids come from the database, never from ``max(id) + 1``; concurrent saves of one Zoho user
give one row; failures raise instead of being logged and swallowed; no SQL is built from
strings; secrets are encrypted; and an access token about to expire is refreshed once for
all workers before it is handed out (see :mod:`zoho_tokens.tokens.refresh`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, IntegrityError, OperationalError, router, transaction

from zoho_tokens import signals
from zoho_tokens.exceptions import NoUsableTokenError, ReauthorizationRequired
from zoho_tokens.models import ZohoToken, ZohoTokenQuerySet
from zoho_tokens.sdk.border import OAuthToken, SDKException, TokenStore
from zoho_tokens.sdk.mapping import (
    apply_token,
    hand_out,
    lookups_for,
    parse_token_id,
    to_oauth_token,
)
from zoho_tokens.tokens import dbhealth
from zoho_tokens.tokens.lookups import Lookup, read_active
from zoho_tokens.tokens.refresh import ensure_fresh

__all__ = ["DjangoTokenStore"]

logger = logging.getLogger(__name__)

#: The error code of every ``SDKException`` this store raises (the SDK's own constant).
TOKEN_STORE_ERROR = "TOKEN_STORE"

#: How often a save is retried when the database reports a deadlock or a busy lock.
SAVE_ATTEMPTS = 5

_T = TypeVar("_T")


def _is_transient(err: DatabaseError) -> bool:
    """Deadlocks, lock timeouts and busy SQLite files: retrying the transaction helps."""
    if isinstance(err, IntegrityError):
        return True
    if not isinstance(err, OperationalError):
        return False
    cause = err.__cause__
    code = getattr(cause, "args", (None,))[0] if cause is not None else None
    sqlstate = getattr(cause, "sqlstate", None)
    message = str(err).lower()
    return (
        code in {1205, 1213}  # MySQL/MariaDB: lock wait timeout, deadlock
        or sqlstate in {"40001", "40P01", "55P03"}  # PostgreSQL: serialization, deadlock, lock
        or "database is locked" in message  # SQLite
    )


def _fresh(row: ZohoToken) -> ZohoToken | None:
    """``row`` refreshed if its access token is (nearly) expired; None when it was revoked
    or deleted while this worker waited for the refresh lock (as if it had not matched)."""
    try:
        return ensure_fresh(row)
    except ReauthorizationRequired:
        # A kind of NoUsableTokenError, but the caller must learn it: the user has to act.
        raise
    except NoUsableTokenError:
        return None


class DjangoTokenStore(TokenStore):
    """The SDK's ``TokenStore``, kept in the Django database through the ORM.

    ``using`` names the database alias (default: the router's choice for ``ZohoToken``).
    Every failure raises the SDK's ``SDKException`` with the cause attached (database
    errors of every kind included); a connection the failure left dead is replaced.
    """

    def __init__(self, *, using: str | None = None) -> None:
        self.using = using

    def __repr__(self) -> str:
        return f"DjangoTokenStore(using={self.using!r})"

    def _rows(self) -> ZohoTokenQuerySet:
        rows = ZohoToken.objects.all()
        return rows.using(self.using) if self.using else rows

    def _read_alias(self) -> str:
        # Asked of the router directly: building a queryset just to learn its database
        # costs as much as the read itself.
        return self.using or router.db_for_read(ZohoToken)

    def _aliases(self) -> set[str]:
        if self.using:
            return {self.using}
        return {router.db_for_read(ZohoToken), router.db_for_write(ZohoToken)}

    def _guard(self, operation: str, action: Callable[[], _T]) -> _T:
        """Run ``action``; any failure becomes an ``SDKException`` with the cause attached.

        When the failure left a database connection dead (the server restarted, a proxy
        dropped it), that connection is closed and ``action`` runs once more on a new one:
        every operation of the store can be repeated safely (a save is an upsert).
        """
        for attempt in (1, 2):
            before = dbhealth.snapshot(self._aliases())
            try:
                return action()
            except Exception as err:
                if attempt == 1 and dbhealth.lost_connection(before):
                    logger.warning("Zoho token store: reconnecting after a lost connection.")
                    continue
                # Never a secret here: our messages carry none, and database errors only
                # ever see ciphertexts and digests.
                logger.error(
                    "Zoho token store: %s failed: %s: %s", operation, type(err).__name__, err
                )
                raise SDKException(
                    code=TOKEN_STORE_ERROR,
                    message=f"DjangoTokenStore.{operation} failed: ",
                    cause=err,
                ) from err
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reading ---------------------------------------------------------------------------

    def find_token(self, token: OAuthToken) -> OAuthToken | None:
        """Fill ``token``'s empty fields from its stored row and return it; None when no
        active row matches.

        A stored access token that is missing or expires within ``REFRESH_MARGIN`` is
        refreshed first, once for all workers (see :mod:`zoho_tokens.tokens.refresh`); refresh
        failures raise ``SDKException`` with the cause attached (``ReauthorizationRequired``
        when Zoho refused the refresh token)."""

        def find() -> OAuthToken | None:
            using = self._read_alias()
            row = next(
                (
                    found
                    for lookup in lookups_for(token)
                    if (found := read_active(lookup, using)) is not None
                ),
                None,
            )
            row = _fresh(row) if row is not None else None
            return hand_out(token, row) if row is not None else None

        return self._guard("find_token", find)

    def find_token_by_id(self, id: str) -> OAuthToken | None:
        """A fully populated token for the active row ``id``; None for any other string.

        Refreshed first when needed, exactly as in :meth:`find_token`."""

        def find() -> OAuthToken | None:
            row = self._active_row(id)
            return to_oauth_token(row) if row is not None else None

        return self._guard("find_token_by_id", find)

    def find_row_by_id(self, id: str) -> ZohoToken | None:
        """The active row ``id`` as :meth:`find_token_by_id` finds it (refreshed first when
        needed), before it becomes an SDK token: no secret is decrypted here."""
        return self._guard("find_token_by_id", lambda: self._active_row(id))

    def _active_row(self, id: str) -> ZohoToken | None:
        pk = parse_token_id(id)
        if pk is None:
            return None
        row = read_active(Lookup((("id", (pk,)),)), self._read_alias())
        return _fresh(row) if row is not None else None

    def get_tokens(self) -> list[OAuthToken]:
        """Every stored token, fully populated, in one query."""
        return self._guard(
            "get_tokens", lambda: [to_oauth_token(row) for row in self._rows().order_by("pk")]
        )

    # -- writing ---------------------------------------------------------------------------

    def save_token(self, token: OAuthToken) -> None:
        """Update the row ``token`` matches (by id, else in the SDK's order), else insert
        one; set the row's id on ``token``.

        One Zoho user and client never get two rows, even when several processes save at
        once: the database's unique constraint decides, and the loser updates the winner's
        row. Deadlocks and busy locks are retried a few times.
        """

        def save() -> None:
            for attempt in range(1, SAVE_ATTEMPTS + 1):
                try:
                    row, created = self._save_once(token)
                    break
                except DatabaseError as err:
                    if attempt == SAVE_ATTEMPTS or not _is_transient(err):
                        raise
                    time.sleep(random.uniform(0.005, 0.02) * attempt)  # noqa: S311 (jitter)
            token.set_id(str(row.pk))
            signals.token_saved.send(sender=ZohoToken, token=row, created=created)

        self._guard("save_token", save)

    def _save_once(self, token: OAuthToken) -> tuple[ZohoToken, bool]:
        rows = self._rows()
        with transaction.atomic(using=rows.db):
            row = None
            pk = parse_token_id(token.get_id())
            if pk is not None:
                row = rows.select_for_update().filter(pk=pk).first()
            for lookup in lookups_for(token) if row is None else ():
                row = lookup.filter(rows).select_for_update().order_by("-updated_at").first()
                if row is not None:
                    break
            created = row is None
            if row is None:
                row = ZohoToken()
            apply_token(row, token)
            row.save(using=rows.db)
        return row, created

    def delete_token(self, id: str) -> None:
        """Delete the row ``id``; an id naming no row is not an error."""

        def delete() -> None:
            pk = parse_token_id(id)
            if pk is not None:
                self._rows().filter(pk=pk).delete()

        self._guard("delete_token", delete)

    def delete_tokens(self) -> None:
        """Delete every stored token."""

        def delete() -> None:
            self._rows().delete()

        self._guard("delete_tokens", delete)
