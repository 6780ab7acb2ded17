"""``DjangoTokenStore``: the Zoho SDK's ``TokenStore`` on top of the ``ZohoToken`` model.

Hand it to the SDK::

    Initializer.initialize(environment=..., token=OAuthToken(...), store=DjangoTokenStore())

It follows the SDK's own stores where they are right (the order in which tokens are matched,
filling only the fields the caller left empty) and departs from them where they are wrong:
ids come from the database, never from ``max(id) + 1``; concurrent saves of one Zoho user
give one row; failures raise instead of being logged and swallowed; no SQL is built from
strings; secrets are encrypted; and an access token about to expire is refreshed once for
all workers before it is handed out (see :mod:`zoho_tokens.refresh`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, IntegrityError, OperationalError, router, transaction
from django.views.decorators.debug import sensitive_variables

from zoho_tokens import dbhealth, signals
from zoho_tokens.conf import zoho_settings
from zoho_tokens.crypto import keyring
from zoho_tokens.datacenters import by_api_domain
from zoho_tokens.exceptions import NoUsableTokenError, ReauthorizationRequired
from zoho_tokens.fields import plain_digest
from zoho_tokens.lookups import Condition, Lookup, read_active
from zoho_tokens.models import TokenStatus, ZohoToken, ZohoTokenQuerySet, now_ms
from zoho_tokens.refresh import ensure_fresh
from zoho_tokens.zoho_sdk import OAuthToken, SDKException, TokenStore, UserSignature

logger = logging.getLogger(__name__)

#: The error code of every ``SDKException`` this store raises (the SDK's own constant).
TOKEN_STORE_ERROR = "TOKEN_STORE"

#: Largest id a database ``bigint`` holds; longer digit strings cannot name a row.
MAX_ID = 2**63 - 1

#: How often a save is retried when the database reports a deadlock or a busy lock.
SAVE_ATTEMPTS = 5

T = TypeVar("T")


def _name_of(token: OAuthToken) -> str | None:
    signature = token.get_user_signature()
    name = signature.get_name() if signature is not None else None
    return name or None


def parse_token_id(token_id: object) -> int | None:
    """The row id named by the SDK's string id, or None when it cannot name a row."""
    text = str(token_id).strip() if token_id is not None else ""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


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


def lookups_for(token: OAuthToken) -> list[Lookup]:
    """How to find the row ``token`` refers to, in the SDK's order of precedence; the first
    lookup that finds a row wins.

    User name first; then the access token, only when the token carries no client
    credentials; then the grant token, then the refresh token, only with client credentials.
    (The SDK's DBStore gets this last condition's ``and``/``or`` precedence wrong.) Like the
    SDK's stores, a grant token nobody holds still lets the refresh token match (a new code
    sent along with a known refresh token).
    """
    client_id = token.get_client_id()
    client_secret = token.get_client_secret()
    same_client: tuple[Condition, ...] = (("client_id", (client_id,)),) if client_id else ()
    name = _name_of(token)
    if name:
        return [Lookup((("user_name_digest", (plain_digest(name),)), *same_client))]
    access_token = token.get_access_token()
    if access_token and client_id is None and client_secret is None:
        return [Lookup((("access_token_digest", tuple(keyring().digests(access_token))),))]
    if not (client_id and client_secret):
        return []
    return [
        Lookup(((f"{secret}_digest", tuple(keyring().digests(value))), *same_client))
        for secret, value in (
            ("grant_token", token.get_grant_token()),
            ("refresh_token", token.get_refresh_token()),
        )
        if value
    ]


def fill_missing(token: OAuthToken, row: ZohoToken) -> OAuthToken:
    """Copy the row's values into the fields of ``token`` that are None (the SDK's rule)."""
    if token.get_id() is None:
        token.set_id(str(row.pk))
    if token.get_user_signature() is None and row.user_name:
        token.set_user_signature(UserSignature(row.user_name))
    if token.get_client_id() is None:
        token.set_client_id(row.client_id)
    if token.get_client_secret() is None:
        token.set_client_secret(row.client_secret)
    if token.get_refresh_token() is None:
        token.set_refresh_token(row.refresh_token)
    if token.get_access_token() is None:
        token.set_access_token(row.access_token)
    if token.get_grant_token() is None:
        token.set_grant_token(row.grant_token)
    if token.get_expires_in() is None and row.expires_at_ms is not None:
        # The SDK calls len() on the expiry: it must be a string.
        token.set_expires_in(str(row.expires_at_ms))
    if token.get_redirect_url() is None:
        token.set_redirect_url(row.redirect_url)
    if token.get_api_domain() is None:
        token.set_api_domain(row.api_domain)
    return token


def to_oauth_token(row: ZohoToken) -> OAuthToken:
    """A fully populated SDK token for ``row``."""
    return fill_missing(OAuthToken(id=str(row.pk)), row)


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


def _is_stale(expires_in: object) -> bool:
    try:
        expires_at_ms = int(str(expires_in))
    except ValueError:
        return True
    return expires_at_ms - now_ms() <= zoho_settings.REFRESH_MARGIN * 1000


def hand_out(token: OAuthToken, row: ZohoToken) -> OAuthToken:
    """:func:`fill_missing`, except that a stale access token the caller holds gives way to
    the row's fresh one.

    The SDK's rule (never overwrite what the caller set) would otherwise hand an expired
    access token straight back, and the SDK would then refresh it on its own, unlocked. An
    access token the caller set without an expiry is the caller's choice and is kept.
    """
    held = token.get_access_token()
    expires_in = token.get_expires_in()
    if held and expires_in not in (None, "") and _is_stale(expires_in):
        fresh = row.access_token
        if fresh and fresh != held and row.expires_at_ms is not None:
            token.set_access_token(fresh)
            token.set_expires_in(str(row.expires_at_ms))
    return fill_missing(token, row)


def _epoch_ms(expires_in: object) -> int:
    """The SDK's expiry (epoch milliseconds, as a string) as a number a bigint column holds."""
    value = int(str(expires_in))
    if not 0 <= value <= MAX_ID:
        raise ValueError("the token's expiry is not an epoch time in milliseconds")
    return value


@sensitive_variables("refresh_token")
def apply_token(row: ZohoToken, token: OAuthToken) -> None:
    """Write the values ``token`` carries onto ``row``; what it lacks is kept.

    A new refresh token (one this row has never held) means a new consent, which makes a
    revoked or re-authorisation-needing row active again. Nothing else may: a row that is
    not active gets no secret back from a save without a new consent (the SDK saving what
    it held before the revocation, say), and the save raises instead.

    Raises:
        NoUsableTokenError: the row was revoked (``ReauthorizationRequired``: Zoho refused
            its refresh token) and ``token`` carries no new consent; nothing was written.
    """
    refresh_token = token.get_refresh_token()
    is_new_consent = bool(refresh_token) and not row.with_refresh_digest(refresh_token or "")
    # (A new row is active.)
    if row.status != TokenStatus.ACTIVE and not is_new_consent:
        if row.status == TokenStatus.NEEDS_REAUTH:
            raise ReauthorizationRequired(row.pk)
        raise NoUsableTokenError(
            f"Zoho token {row.pk} was revoked; only a new consent (connecting Zoho again) "
            "can bring it back. Nothing was saved."
        )
    name = _name_of(token)
    if name:
        row.set_user_name(name)
    if token.get_client_id():
        row.client_id = token.get_client_id()
    if token.get_client_secret():
        row.client_secret = token.get_client_secret()
    if refresh_token:
        row.refresh_token = refresh_token
        if is_new_consent and row.status != TokenStatus.ACTIVE:
            row.set_status(TokenStatus.ACTIVE)
            row.remote_revoke_pending = False
    if token.get_access_token():
        row.access_token = token.get_access_token()
    if token.get_grant_token():
        row.grant_token = token.get_grant_token()
    expires_in = token.get_expires_in()
    if expires_in not in (None, ""):
        row.expires_at_ms = _epoch_ms(expires_in)
    if token.get_redirect_url():
        row.redirect_url = token.get_redirect_url()
    api_domain = token.get_api_domain()
    if api_domain:
        row.api_domain = api_domain.rstrip("/")
    if not row.accounts_server:
        # A token saved by the SDK names only its API domain; its accounts server follows
        # from the data-centre table, else from the configured default.
        data_center = by_api_domain(row.api_domain or "") or zoho_settings.data_center
        row.accounts_server = data_center.accounts_server
        row.location = data_center.location


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

    def _guard(self, operation: str, action: Callable[[], T]) -> T:
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
        refreshed first, once for all workers (see :mod:`zoho_tokens.refresh`); refresh
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
            pk = parse_token_id(id)
            if pk is None:
                return None
            row = read_active(Lookup((("id", (pk,)),)), self._read_alias())
            row = _fresh(row) if row is not None else None
            return to_oauth_token(row) if row is not None else None

        return self._guard("find_token_by_id", find)

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
