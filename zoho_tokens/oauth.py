"""The only module that talks HTTP to Zoho: authorize URL, code exchange, refresh, revoke,
and finding out who a token belongs to.

Every request has a timeout (``ZOHO_TOKENS["HTTP_TIMEOUT"]``), every secret-carrying request
goes only to a trusted accounts server, and every failure becomes one of this package's
exceptions, whose messages never contain a secret.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
import urllib3
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

logger = logging.getLogger(__name__)

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

    def __repr__(self) -> str:
        return (
            f"<TokenGrant expires_at_ms={self.expires_at_ms} api_domain={self.api_domain!r} "
            f"refresh_token={'yes' if self.refresh_token else 'no'}>"
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


def authorize_url(*, state: str, redirect_uri: str, accounts_server: str | None = None) -> str:
    """The consent URL to send a browser to (offline access, consent always asked, so
    that Zoho always returns a refresh token)."""
    client_id = zoho_settings.CLIENT_ID
    if not client_id:
        raise ImproperlyConfiguredZoho("ZOHO_TOKENS['CLIENT_ID'] must be set.")
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": ",".join(zoho_settings.SCOPES),
            "access_type": "offline",
            "prompt": "consent",
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    server = accounts_server or zoho_settings.data_center.accounts_server
    return f"{server}/oauth/v2/auth?{query}"


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
    if error.lower() == "access denied" or "throttle" in description.lower():
        raise ZohoThrottledError(
            f"Zoho at {host} is throttling this token (at most 10 access tokens per refresh "
            "token in 10 minutes); wait a few minutes before trying again.",
            error=error,
        )
    hint = ERROR_HINTS.get(error, "see Zoho's OAuth documentation")
    raise ZohoOAuthError(f"Zoho at {host} answered {error}: {hint}.", error=error)


def _grant_from(body: dict[str, Any], host: str) -> TokenGrant:
    _raise_for_error(body, host)
    access_token = body.get("access_token")
    try:
        expires_in = int(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = -1
    if not isinstance(access_token, str) or not access_token or expires_in < 0:
        raise ZohoUnavailableError(
            f"Zoho at {host} answered without a usable access token; try again later.",
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
    )


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


def revoke_refresh_token(refresh_token: str, *, accounts_server: str) -> None:
    """Revoke ``refresh_token`` (and every access token made from it) at Zoho.

    A token Zoho no longer knows (HTTP 400) counts as revoked: the goal is reached.
    """
    host = trusted_accounts_server(accounts_server)
    # In the form body, as the SDK sends it: in the URL, HTTP debug logs would show it.
    response = _request("POST", f"{host}/oauth/v2/token/revoke", data={"token": refresh_token})
    if response.status_code == 400:
        logger.info("Zoho at %s no longer knew a refresh token being revoked.", host)
        return
    body = _json(response)
    if body.get("status") != "success":
        _raise_for_error(body, host)
        raise ZohoUnavailableError(
            f"Zoho at {host} did not confirm the revocation (HTTP {response.status_code}).",
            error="revoke_failed",
        )
    logger.info("Revoked a refresh token at %s.", host)


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
