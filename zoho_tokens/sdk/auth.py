"""How SDK calls made inside ``acting_as`` authenticate, and recover from a killed token.

Internal to :mod:`zoho_tokens.sdk.as_user`. Two SDK ``Token`` classes and one request hook:

* :class:`NoUserToken`, the process-wide initializer's token, refuses every CRM call.
* :class:`StoredToken` names one stored row. Its first authentication uses the row read to
  enter the block (refreshed first if due), every later one reads the row again, so that a
  token revoked while the block runs fails the next call.
* :func:`retry_rejected_token` is installed as the SDK's request hook. Every call it sends
  holds a slot of the organisation's cap on CRM calls in flight (:mod:`zoho_tokens.limits`)
  and reports what the answer says about the limits; a 429 raises
  :class:`~zoho_tokens.exceptions.ZohoThrottledError`. It is also the hook (see
  :func:`zoho_tokens.sdk.border.install_request_hook`). Zoho can kill an access token before
  its expiry (a changed password, sessions revoked by an admin, the cap of 15 live access
  tokens); the CRM then answers ``401 INVALID_TOKEN``, which the SDK returns as a response
  object. For a call made with a :class:`StoredToken`, the hook refreshes that token once
  for all workers (:func:`zoho_tokens.tokens.refresh.ensure_fresh` with the rejected token) and
  sends the request again, once. It also turns a CRM that cannot be reached or times out
  into :class:`~zoho_tokens.exceptions.ZohoUnavailableError`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from django.db import router
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import (
    MissingScopeError,
    NoUsableTokenError,
    ZohoAPIError,
    ZohoUnavailableError,
)
from zoho_tokens.limits.gate import call_slot, organization_of
from zoho_tokens.limits.observe import after_answer, throttled_error
from zoho_tokens.models import ZohoToken
from zoho_tokens.sdk.border import (
    OAuthToken,
    Token,
    UserSignature,
    authorization_token,
    current_token,
    set_authorization_token,
)
from zoho_tokens.sdk.mapping import parse_token_id
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.tokens.consent import connect_url_for
from zoho_tokens.tokens.lookups import Lookup, read_active, require_owner
from zoho_tokens.tokens.refresh import ensure_fresh

logger = logging.getLogger(__name__)

#: The CRM's error code for an access token it does not accept (expired, or killed early);
#: other Zoho clients report ``AUTHENTICATION_FAILURE`` answered for the same.
INVALID_TOKEN = "INVALID_TOKEN"
DEAD_TOKEN_CODES = frozenset({INVALID_TOKEN, "AUTHENTICATION_FAILURE"})
SCOPE_MISMATCH = "OAUTH_SCOPE_MISMATCH"


# The SDK ships no types: its base classes are Any to mypy.
class NoUserToken(Token):  # type: ignore[misc]
    """The token of the process-wide initializer: it refuses every CRM call.

    Outside ``acting_as`` nobody is the current user, so a call there fails loudly
    instead of running as whoever the thread served last.
    """

    def authenticate(self, url_connection: Any) -> None:
        """Refuse: no CRM call may run outside ``acting_as``."""
        raise NoUsableTokenError(
            "CRM call outside acting_as: wrap Zoho SDK calls in "
            "`with zoho_tokens.sdk.as_user.acting_as(user):`."
        )

    def remove(self) -> bool:
        """Nothing is stored for this token."""
        return False

    def generate_token(self) -> None:
        """Nothing to generate (``Initializer.initialize`` calls this at once)."""

    def __repr__(self) -> str:
        return "<NoUserToken>"


class StoredToken(OAuthToken):  # type: ignore[misc]
    """An SDK token for one stored row, handed out by ``store`` (a ``DjangoTokenStore``).

    It stays an ``OAuthToken`` because the SDK names each user's field-metadata file after
    the user name (or refresh token) an ``OAuthToken`` carries.
    """

    def __init__(self, row: ZohoToken, store: DjangoTokenStore) -> None:
        super().__init__(id=str(row.pk))
        self._store = store
        #: The Django user the row belonged to on entry: every use checks it still does.
        self._owner_id = row.user_id
        #: The row read to enter the block: it serves the first authentication.
        self._entry_row: ZohoToken | None = row
        # The SDK names the user's field-metadata file after this token's user name before
        # the first call authenticates: carry it from the start.
        self._carry(row)

    def generate_token(self) -> None:
        """Nothing yet: ``switch_user`` calls this, and the block's first call
        authenticates with the row read to enter the block (one query saved)."""

    def authenticate(self, url_connection: Any) -> None:
        """Put this row's current access token on the SDK's request."""
        set_authorization_token(url_connection, self.get_token())

    def get_token(self) -> str:
        """The row's access token, refreshed first when it is due (once for all workers).

        The first call uses the row read to enter the block; each later call reads the row
        again (one indexed query), so a token revoked meanwhile fails the call.
        """
        row, self._entry_row = self._entry_row, None
        if row is not None:
            return self._take(ensure_fresh(row))
        return self._take(self._store.find_row_by_id(self.get_id()))

    @sensitive_variables("rejected", "replaced")
    def replace_rejected(self, rejected: str) -> str:
        """A new access token in place of ``rejected``, which Zoho refused before its expiry.

        Single-flight: the first worker refreshes, the others find the row already holding
        another access token and use it without calling Zoho.
        """
        pk = parse_token_id(self.get_id())
        row = None if pk is None else read_active(Lookup((("id", (pk,)),)), self._read_alias())
        if row is None:
            raise self._unusable()
        replaced = self._take(ensure_fresh(row, rejected_access_token=rejected))
        if replaced == rejected:
            # Nothing to refresh it with (no refresh token): only a new consent helps.
            raise self._unusable()
        return replaced

    @sensitive_variables("access_token")
    def _take(self, row: ZohoToken | None) -> str:
        """``row``'s access token, now this token's; only that secret is decrypted (the
        refresh token and client secret stay in the row until a refresh needs them)."""
        access_token = row.access_token if row is not None else None
        if row is None or not access_token:
            raise self._unusable()
        require_owner(row, self._owner_id)
        self._carry(row)
        self.set_access_token(access_token)
        return access_token

    def _carry(self, row: ZohoToken) -> None:
        # What the SDK reads back from the token: the user name names the metadata file
        # (a row without one: the refresh token's prefix, as the SDK does), the expiry and
        # the API domain.
        self.set_user_signature(UserSignature(row.user_name) if row.user_name else None)
        if not row.user_name:
            self.set_refresh_token(row.refresh_token)
        self.set_expires_in(None if row.expires_at_ms is None else str(row.expires_at_ms))
        self.set_api_domain(row.api_domain)
        #: The Zoho organisation whose limits this token's calls spend.
        self.organization = organization_of(row.user_name)

    def _read_alias(self) -> str:
        return self._store.using or router.db_for_read(ZohoToken)

    def _unusable(self) -> NoUsableTokenError:
        return NoUsableTokenError(
            f"Zoho token {self.get_id()} is no longer usable (revoked, or it needs the "
            "user to connect Zoho CRM again)."
        )

    def __repr__(self) -> str:
        return f"<StoredToken id={self.get_id()}>"


def _send(send: Any, connector: Any) -> Any:
    try:
        return send()
    except requests.RequestException as err:
        # The message names the kind of failure only: a URL may carry query values.
        raise ZohoUnavailableError(
            f"Zoho CRM could not be reached ({type(err).__name__}) for "
            f"{connector.request_method} {connector.url.partition('?')[0]}."
        ) from err


def _refusal_code(response: Any) -> str | None:
    """The ``code`` of a CRM 401 answer (``INVALID_TOKEN``, ``OAUTH_SCOPE_MISMATCH``)."""
    if response is None or response.status_code != 401:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("code")) if isinstance(body, dict) else None


def _is_invalid_token(response: Any) -> bool:
    return _refusal_code(response) in DEAD_TOKEN_CODES


def _limited_send(send: Any, connector: Any, token: StoredToken) -> Any:
    """Send within the organisation's cap on CRM calls in flight, and act on what the
    answer says about the limits (:mod:`zoho_tokens.limits`); a 429 raises
    ZohoThrottledError, after the delay every worker now waits (an idempotent GET is sent
    again after it when ``LIMITS["RETRIES"]`` allows)."""
    organization = token.organization
    retries = 0
    while True:
        with call_slot("crm", organization):
            response = _send(send, connector)
        expiry = token.get_expires_in()
        observed = after_answer(
            "crm",
            organization,
            response.status_code,
            response.headers,
            token_id=int(token.get_id()),
            stored_expiry_ms=int(expiry) if expiry else None,
        )
        if not observed.report.throttled:
            return response
        limits = zoho_settings.LIMITS
        if (
            retries >= limits.retries
            or connector.request_method != "GET"
            or (observed.backoff or 0) > limits.max_retry_wait
        ):
            code = _json_code(response)
            raise throttled_error("Zoho CRM", organization, observed, {}, code)
        retries += 1
        time.sleep(observed.backoff or 0)


def _json_code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("code")) if isinstance(body, dict) and body.get("code") else None


def _raise_if_scope_refused(response: Any, token: StoredToken, connector: Any) -> None:
    """A call the token's scopes do not cover: the user must connect again with more."""
    if _refusal_code(response) != SCOPE_MISMATCH:
        return
    configured = zoho_settings.SCOPES
    row = ZohoToken.objects.filter(pk=token.get_id()).only("granted_scopes").first()
    missing = row.missing_scopes(*configured) if row is not None else configured
    raise MissingScopeError(
        f"Zoho CRM refused token {token.get_id()} for its scopes "
        f"({connector.request_method} {connector.url.partition('?')[0]}): the user must "
        "connect Zoho again to grant "
        + (", ".join(missing) if missing else "the scope this call needs (add it to SCOPES)")
        + ".",
        scopes=missing,
        connect_url=connect_url_for(missing),
    )


@sensitive_variables("rejected")
def retry_rejected_token(connector: Any, send: Any) -> Any:
    """The SDK's request hook: for calls made with a :class:`StoredToken`, refresh an access
    token the CRM answers ``INVALID_TOKEN`` to and send the request once more.

    File uploads are not sent again (their stream is spent): the token is refreshed, and
    the caller gets the 401 response; its next call works. A second ``INVALID_TOKEN`` right
    after a refresh raises :class:`~zoho_tokens.exceptions.ZohoAPIError` (code
    ``INVALID_TOKEN``): Zoho refuses even a new access token, which connecting again would
    not obviously cure, so the user is not sent round the consent page in a loop.
    """
    token = current_token()
    if not isinstance(token, StoredToken):
        return send()
    response = _limited_send(send, connector, token)
    rejected = authorization_token(connector)
    if not rejected or not _is_invalid_token(response):
        _raise_if_scope_refused(response, token, connector)
        return response
    logger.info("Zoho rejected token %s's access token early; refreshing it.", token.get_id())
    set_authorization_token(connector, token.replace_rejected(rejected))
    if connector.file:
        return response
    retried = _limited_send(send, connector, token)
    if _is_invalid_token(retried):
        raise ZohoAPIError(
            f"Zoho CRM refused token {token.get_id()}'s access token again right after it "
            "was refreshed.",
            status_code=401,
            code=INVALID_TOKEN,
            service="crm",
        )
    _raise_if_scope_refused(retried, token, connector)
    return retried
