"""The only module that talks HTTP to Zoho: authorize URL, code exchange, refresh, revoke,
and finding out who a token belongs to.

Every request has a timeout (``ZOHO_TOKENS["HTTP_TIMEOUT"]``), every secret-carrying request
goes only to a trusted accounts server, and every failure becomes one of this package's
exceptions, whose messages never contain a secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
import urllib3
from django.views.decorators.debug import sensitive_variables
from urllib3.util import Timeout

from zoho_tokens.conf import zoho_settings
from zoho_tokens.datacenters import normalize_origin
from zoho_tokens.exceptions import (
    ImproperlyConfiguredZoho,
    InvalidGrantError,
    UntrustedAccountsServerError,
    ZohoOAuthError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.scopes import parse_scopes, scopes_text

logger = logging.getLogger(__name__)

#: The longest access token lifetime accepted, in seconds. Zoho issues one-hour tokens;
#: anything beyond a day is not Zoho's answer, and a huge value would overflow the epoch
#: milliseconds stored for the SDK.
MAX_EXPIRES_IN = 24 * 3600

#: Local names that hold a request's secrets in the frames below our HTTP calls
#: (``_request``, requests, urllib3). Django's report filter applies the names of the
#: nearest ``sensitive_variables`` caller to undecorated frames, so they are listed there.
_SENT_SECRETS = ("data", "kwargs", "body", "headers", "params")

#: Bytes asked of the socket per read while streaming an answer.
_CHUNK_SIZE = 16384

#: No answer of Zoho Accounts or of the CRM calls made here comes near this; a larger one
#: is not Zoho's, and is not read into memory.
MAX_ANSWER_BYTES = 4 * 1024 * 1024

#: Hints for the Zoho error codes people meet most, shown in exception messages.
ERROR_HINTS = {
    "invalid_code": "the grant code was already used or expired, or the refresh token was "
    "revoked; the user has to connect Zoho again",
    "invalid_client": "check CLIENT_ID and CLIENT_SECRET, and that the client belongs to "
    "this data centre",
    "invalid_redirect_uri": "the redirect URI must equal, character for character, the one "
    "registered for the client in Zoho's API console",
    "invalid_client_secret": "check CLIENT_SECRET",
}


@dataclass(frozen=True, repr=False)
class TokenGrant:
    """What Zoho Accounts answered to an exchange or a refresh."""

    access_token: str
    expires_at_ms: int
    refresh_token: str | None = None
    api_domain: str | None = None
    #: The scopes Zoho granted (its ``scope``); empty when the answer did not say.
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"<TokenGrant expires_at_ms={self.expires_at_ms} api_domain={self.api_domain!r} "
            f"refresh_token={'yes' if self.refresh_token else 'no'} scopes={self.scopes!r}>"
        )


@dataclass(frozen=True)
class ZohoIdentity:
    """Who a token belongs to, as the SDK names users."""

    email: str
    org_id: str

    @property
    def user_name(self) -> str:
        """``"<email>:<org zgid>"``, the SDK's user name."""
        return f"{self.email}:{self.org_id}"


def trusted_accounts_server(url: str) -> str:
    """``url`` reduced to its origin, if it is a known Zoho accounts server or the configured
    ``ACCOUNTS_URL``; raises :class:`UntrustedAccountsServerError` otherwise.

    This is what keeps the client secret from going to a host named in a forged callback.
    """
    origin = normalize_origin(url or "")
    if origin not in zoho_settings.trusted_accounts_servers():
        raise UntrustedAccountsServerError(
            "The accounts server in the request is not a Zoho data centre nor the configured "
            "ACCOUNTS_URL; nothing was sent to it.",
            error="untrusted_accounts_server",
        )
    return origin


def _client_credentials(client_id: str | None, client_secret: str | None) -> tuple[str, str]:
    client_id = client_id or zoho_settings.CLIENT_ID
    client_secret = client_secret or zoho_settings.CLIENT_SECRET
    if not client_id or not client_secret:
        raise ImproperlyConfiguredZoho(
            "ZOHO_TOKENS['CLIENT_ID'] and ZOHO_TOKENS['CLIENT_SECRET'] must be set."
        )
    return client_id, client_secret


def authorize_url(
    *,
    state: str,
    redirect_uri: str,
    accounts_server: str | None = None,
    scopes: Sequence[str] | None = None,
) -> str:
    """The consent URL to send a browser to (offline access, consent always asked, so
    that Zoho always returns a refresh token), for ``scopes`` (default ``SCOPES``)."""
    client_id = zoho_settings.CLIENT_ID
    if not client_id:
        raise ImproperlyConfiguredZoho("ZOHO_TOKENS['CLIENT_ID'] must be set.")
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": scopes_text(scopes or zoho_settings.SCOPES),
            "access_type": "offline",
            "prompt": "consent",
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    server = accounts_server or zoho_settings.data_center.accounts_server
    return f"{server}/oauth/v2/auth?{query}"


@sensitive_variables("refresh_token", "client_secret", "data")
def request_scope_enhancement(
    refresh_token: str,
    *,
    accounts_server: str,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> str:
    """Step one of Zoho's incremental authorisation: an ``enhance_token`` that lets the
    browser add scopes to ``refresh_token`` (see :func:`add_extra_scope_url`)."""
    host = trusted_accounts_server(accounts_server)
    client_id, client_secret = _client_credentials(client_id, client_secret)
    data = {
        "grant_type": "update_scopes_token",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    }
    body = _json(_request("POST", f"{host}/oauth/v2/token/scopeenhance", data=data))
    _raise_for_error(body, host)
    enhance_token = body.get("enhance_token")
    if not isinstance(enhance_token, str) or not enhance_token:
        raise ZohoUnavailableError(
            f"Zoho at {host} answered the scope enhancement without an enhance token.",
            error="malformed_response",
        )
    return enhance_token


def add_extra_scope_url(
    *,
    accounts_server: str,
    redirect_uri: str,
    scopes: Sequence[str],
    enhance_token: str,
    state: str,
) -> str:
    """Step two of Zoho's incremental authorisation: where the browser grants ``scopes``."""
    query = urlencode(
        {
            "response_type": "update_scopes",
            "client_id": zoho_settings.CLIENT_ID or "",
            "redirect_uri": redirect_uri,
            "scope": scopes_text(scopes),
            "enhance_token": enhance_token,
            "state": state,
        }
    )
    return f"{trusted_accounts_server(accounts_server)}/oauth/v2/token/addextrascope?{query}"


def _request(method: str, url: str, **kwargs: Any) -> requests.Response:
    """Send one request to Zoho and read its whole answer within ``HTTP_TIMEOUT`` seconds.

    ``requests``' own timeout bounds each socket operation, not the request: a server that
    sends a byte now and then keeps it waiting for ever. Here one deadline covers
    connecting, the headers (urllib3's ``total`` timeout) and the body, which is streamed
    with the socket's timeout lowered to what is left before each read.
    """
    host = normalize_origin(url)
    timeout = zoho_settings.HTTP_TIMEOUT
    deadline = time.monotonic() + timeout
    try:
        response = requests.request(
            method,
            url,
            timeout=Timeout(total=timeout),  # type: ignore[arg-type]  # requests takes it as is
            allow_redirects=False,
            stream=True,
            **kwargs,
        )
        with response:
            _read_body(response, deadline)
    except (requests.Timeout, _DeadlineExceeded, TimeoutError) as err:
        raise ZohoUnavailableError(
            f"Zoho at {host} did not answer within {timeout:g} seconds; try again later.",
            error="timeout",
        ) from err
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as err:
        raise ZohoUnavailableError(
            f"Zoho at {host} could not be reached ({type(err).__name__}); try again later.",
            error="unreachable",
        ) from err
    if response.status_code >= 500:
        raise ZohoUnavailableError(
            f"Zoho at {host} failed with HTTP {response.status_code}; try again later.",
            error="server_error",
        )
    return response


class _DeadlineExceeded(Exception):
    """The answer's body did not arrive before the request's deadline."""


def _read_body(response: requests.Response, deadline: float) -> None:
    """Read the body of a streamed ``response`` into it (``response.content``), failing
    with :class:`_DeadlineExceeded` once ``deadline`` (``time.monotonic()``) has passed."""
    raw = response.raw
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    # read1 returns what one receive brings; urllib3 1.x lacks it, and reading a byte at a
    # time from its buffered file is the way to never block for more than one receive.
    read = getattr(raw, "read1", None) or (lambda size: raw.read(1))
    body = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _DeadlineExceeded
        if sock is not None:
            sock.settimeout(remaining)
        try:
            chunk = read(_CHUNK_SIZE)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as err:
            raise _DeadlineExceeded from err
        if not chunk:
            break
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise requests.exceptions.ContentDecodingError("the answer is implausibly large")
    response._content = bytes(body)  # what response.content / .json() read
    response._content_consumed = True  # type: ignore[attr-defined]


def _json(response: requests.Response) -> dict[str, Any]:
    host = normalize_origin(response.url or "")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ZohoUnavailableError(
            f"Zoho at {host} answered HTTP {response.status_code} with something that is not "
            "its JSON (a proxy or maintenance page?); try again later.",
            error="malformed_response",
        )
    return body


def _raise_for_error(body: dict[str, Any], host: str) -> None:
    error = body.get("error")
    if not error:
        return
    error = str(error)
    description = str(body.get("error_description") or "")
    if error == "invalid_code":
        raise InvalidGrantError(
            f"Zoho at {host} answered invalid_code: {ERROR_HINTS['invalid_code']}.", error=error
        )
    # Zoho's OAuth errors are lower-case codes (``invalid_client`` ...). Its throttle answer
    # is ``"status": "failure"`` with a human sentence as ``error`` ("Access Denied"), and
    # that sentence is translated into the caller's language ("拒绝访问"): never match the
    # English text alone, and never take a throttle for a dead token.
    is_code = error.isascii() and error.replace("_", "").isalnum() and error.islower()
    if (
        (body.get("status") == "failure" and not is_code)
        or error.lower() == "access denied"
        or "throttle" in description.lower()
    ):
        raise ZohoThrottledError(
            f"Zoho at {host} is throttling this token (at most 10 access tokens per refresh "
            "token in 10 minutes); wait a few minutes before trying again.",
            error=error,
        )
    hint = ERROR_HINTS.get(error, "see Zoho's OAuth documentation")
    if error in ("invalid_client", "invalid_client_secret"):  # the latter: a wrong secret
        data_center = zoho_settings.data_center_of_accounts_server(host)
        if data_center is not None:
            # A client's secret may differ per data centre: say which one was used.
            hint = (
                f"check CLIENT_ID and the client secret of the data centre "
                f"{data_center.location!r} (CLIENT_SECRETS[{data_center.location!r}], else "
                "CLIENT_SECRET), and that the client is enabled for that data centre"
            )
    raise ZohoOAuthError(f"Zoho at {host} answered {error}: {hint}.", error=error)


def _expires_in(body: dict[str, Any]) -> int | None:
    """The access token's lifetime in seconds, or None when it is not a sane number.

    Older Zoho answers carry ``expires_in`` in milliseconds next to ``expires_in_sec``;
    Zoho's own SDK prefers ``expires_in_sec`` when present, and so do we.
    """
    raw = body.get("expires_in_sec", body.get("expires_in", 3600))
    if isinstance(raw, bool):
        return None
    try:
        seconds = int(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return seconds if 0 < seconds <= MAX_EXPIRES_IN else None


@sensitive_variables("refresh_token")
def _withdraw(refresh_token: object, host: str) -> None:
    """Revoke the refresh token of an answer we cannot use, so that none stays live unheld."""
    if not isinstance(refresh_token, str) or not refresh_token:
        return
    try:
        revoke_refresh_token(refresh_token, accounts_server=host)
    except ZohoOAuthError as err:
        logger.error(
            "Zoho at %s issued a refresh token in an unusable answer, and it could not be "
            "revoked (%s); revoke the app's access in Zoho's console.",
            host,
            err,
        )


@sensitive_variables("body", "access_token", "refresh_token")
def _grant_from(body: dict[str, Any], host: str) -> TokenGrant:
    _raise_for_error(body, host)
    access_token = body.get("access_token")
    expires_in = _expires_in(body)
    if not isinstance(access_token, str) or not access_token or expires_in is None:
        _withdraw(body.get("refresh_token"), host)
        raise ZohoUnavailableError(
            f"Zoho at {host} answered without a usable access token (missing, or an "
            f"expiry that is not between 1 and {MAX_EXPIRES_IN} seconds); try again later.",
            error="malformed_response",
        )
    refresh_token = body.get("refresh_token")
    api_domain = body.get("api_domain")
    return TokenGrant(
        access_token=access_token,
        # Zoho gives seconds ("expires_in"); the SDK keeps absolute epoch milliseconds.
        expires_at_ms=int(time.time() * 1000) + expires_in * 1000,
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        api_domain=api_domain.rstrip("/") if isinstance(api_domain, str) and api_domain else None,
        scopes=tuple(parse_scopes(body["scope"])) if isinstance(body.get("scope"), str) else (),
    )


@sensitive_variables("code", "client_secret", "data")
def exchange_code(
    code: str,
    *,
    accounts_server: str,
    redirect_uri: str | None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> TokenGrant:
    """Exchange a grant code at ``accounts_server`` (checked against the allow-list)."""
    data = {"grant_type": "authorization_code", "code": code}
    if redirect_uri:
        data["redirect_uri"] = redirect_uri
    return _token_request(data, accounts_server, client_id, client_secret, "Exchanged a grant code")


@sensitive_variables("refresh_token", "client_secret", "data")
def refresh_access_token(
    refresh_token: str,
    *,
    accounts_server: str,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> TokenGrant:
    """A new access token for ``refresh_token`` from its own accounts server."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(
        data, accounts_server, client_id, client_secret, "Refreshed an access token"
    )


@sensitive_variables(*_SENT_SECRETS, "client_secret", "response", "grant")
def _token_request(
    data: dict[str, str],
    accounts_server: str,
    client_id: str | None,
    client_secret: str | None,
    done: str,
) -> TokenGrant:
    """POST one grant to the token endpoint of a trusted accounts server."""
    host = trusted_accounts_server(accounts_server)
    client_id, client_secret = _client_credentials(client_id, client_secret)
    data = {**data, "client_id": client_id, "client_secret": client_secret}
    response = _request("POST", f"{host}/oauth/v2/token", data=data)
    grant = _grant_from(_json(response), host)
    logger.info("%s at %s.", done, host)
    return grant


@sensitive_variables(*_SENT_SECRETS, "refresh_token", "response")
def revoke_refresh_token(refresh_token: str, *, accounts_server: str) -> None:
    """Revoke ``refresh_token`` (and every access token made from it) at Zoho.

    A token Zoho no longer knows counts as revoked: the goal is reached. Only Zoho's own
    refusal says so (HTTP 400 with Zoho's JSON, see :func:`_is_unknown_token_answer`); any
    other answer, such as a proxy's HTML 400 page, raises, so the revocation stays pending
    and is retried rather than the still-live token being forgotten.
    """
    host = trusted_accounts_server(accounts_server)
    # In the form body, as the SDK sends it: in the URL, HTTP debug logs would show it.
    response = _request("POST", f"{host}/oauth/v2/token/revoke", data={"token": refresh_token})
    body = _json(response)
    if response.status_code == 400 and _is_unknown_token_answer(body):
        logger.info("Zoho at %s no longer knew a refresh token being revoked.", host)
        return
    if body.get("status") != "success":
        _raise_for_error(body, host)
        raise ZohoUnavailableError(
            f"Zoho at {host} did not confirm the revocation (HTTP {response.status_code}).",
            error="revoke_failed",
        )
    logger.info("Revoked a refresh token at %s.", host)


def _is_unknown_token_answer(body: dict[str, Any]) -> bool:
    """Whether a JSON 400 from the revoke endpoint is Zoho saying it does not know the token.

    Zoho answers ``{"error": "invalid_token", "status": "failure"}``; a throttle or any other
    named error is not "already revoked".
    """
    return body.get("error") == "invalid_token" or (
        "error" not in body and body.get("status") == "failure"
    )


@sensitive_variables(*_SENT_SECRETS, "access_token", "response")
def _crm_get(api_domain: str, path: str, access_token: str, **params: str) -> dict[str, Any]:
    response = _request(
        "GET",
        f"{api_domain.rstrip('/')}{path}",
        params=params or None,
        headers={"Authorization": f"Zoho-oauthtoken {access_token}"},
    )
    body = _json(response)
    if response.status_code >= 400:
        code = str(body.get("code") or "error")
        raise ZohoOAuthError(
            f"Zoho CRM at {normalize_origin(api_domain)} refused {path} ({code}); the token "
            "may lack the ZohoCRM.users.READ and ZohoCRM.org.READ scopes.",
            error=code,
        )
    return body


@sensitive_variables("access_token")
def identify(access_token: str, *, api_domain: str) -> ZohoIdentity:
    """Who ``access_token`` belongs to, found the way the SDK does: the current user's
    email and the org's zgid."""
    users = _crm_get(api_domain, "/crm/v8/users", access_token, type="CurrentUser")
    org = _crm_get(api_domain, "/crm/v8/org", access_token)
    try:
        email = str(users["users"][0]["email"])
        org_id = str(org["org"][0]["zgid"])
    except (KeyError, IndexError, TypeError):
        raise ZohoUnavailableError(
            f"Zoho CRM at {normalize_origin(api_domain)} answered without the current user's "
            "email or the org id.",
            error="malformed_response",
        ) from None
    return ZohoIdentity(email=email, org_id=org_id)
