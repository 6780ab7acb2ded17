"""Zoho Accounts' OAuth endpoints: authorize URL, code exchange, refresh, revoke, and
incremental authorisation. (The wire under it is :mod:`zoho_tokens.accounts.wire`; finding out
who a token belongs to, :mod:`zoho_tokens.accounts.identity`.)

Every request has a timeout (``ZOHO_TOKENS["HTTP_TIMEOUT"]``), every secret-carrying request
goes only to a trusted accounts server, and every failure becomes one of this package's
exceptions, whose messages never contain a secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts.grants import (
    MAX_EXPIRES_IN,
    MAX_TOKEN_LENGTH,
    expires_in_seconds,
    is_token,
)

# Re-exported: what the exchange and the refresh return is read from here.
from zoho_tokens.accounts.grants import TokenGrant as TokenGrant

# Re-exported: callers of the OAuth endpoints learn whose token they got from here too.
from zoho_tokens.accounts.identity import ZohoIdentity as ZohoIdentity
from zoho_tokens.accounts.identity import identify as identify
from zoho_tokens.accounts.scopes import granted_scopes, scopes_text
from zoho_tokens.accounts.wire import (
    SENT_SECRETS,
    json_of,
    raise_for_error,
    request,
    trusted_accounts_server,
)
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import (
    ImproperlyConfiguredZoho,
    ZohoOAuthError,
    ZohoUnavailableError,
)

logger = logging.getLogger(__name__)


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
    data = {"grant_type": "update_scopes_token", "refresh_token": refresh_token}
    host, body = _client_post(
        "/oauth/v2/token/scopeenhance", data, accounts_server, client_id, client_secret
    )
    raise_for_error(body, host)
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
    raise_for_error(body, host)
    access_token = body.get("access_token")
    refresh_token = body.get("refresh_token")
    expires_in = expires_in_seconds(body)
    if (
        not is_token(access_token)
        or (refresh_token not in (None, "") and not is_token(refresh_token))
        or expires_in is None
    ):
        _withdraw(refresh_token, host)
        raise ZohoUnavailableError(
            f"Zoho at {host} answered without a usable access token (missing, not a "
            f"token of at most {MAX_TOKEN_LENGTH} printable characters, or an expiry that is "
            f"not between 1 and {MAX_EXPIRES_IN} seconds); try again later.",
            error="malformed_response",
        )
    api_domain = body.get("api_domain")
    return TokenGrant(
        access_token=access_token,
        # Zoho gives seconds ("expires_in"); the SDK keeps absolute epoch milliseconds.
        expires_at_ms=int(time.time() * 1000) + expires_in * 1000,
        refresh_token=refresh_token or None,
        api_domain=api_domain.rstrip("/") if isinstance(api_domain, str) and api_domain else None,
        scopes=granted_scopes(body.get("scope")),
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
    timeout: float | None = None,
) -> TokenGrant:
    """A new access token for ``refresh_token`` from its own accounts server, within
    ``timeout`` seconds (default ``HTTP_TIMEOUT``)."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(
        data, accounts_server, client_id, client_secret, "Refreshed an access token", timeout
    )


@sensitive_variables(*SENT_SECRETS, "client_secret", "response", "grant")
def _token_request(
    data: dict[str, str],
    accounts_server: str,
    client_id: str | None,
    client_secret: str | None,
    done: str,
    timeout: float | None = None,
) -> TokenGrant:
    """POST one grant to the token endpoint of a trusted accounts server."""
    host, body = _client_post(
        "/oauth/v2/token", data, accounts_server, client_id, client_secret, timeout
    )
    grant = _grant_from(body, host)
    logger.info("%s at %s.", done, host)
    return grant


@sensitive_variables(*SENT_SECRETS, "client_secret", "response")
def _client_post(
    path: str,
    data: dict[str, str],
    accounts_server: str,
    client_id: str | None,
    client_secret: str | None,
    timeout: float | None = None,
) -> tuple[str, dict[str, Any]]:
    """POST ``data`` and the client's credentials to ``path`` of a trusted accounts server
    (checked before anything is sent); the server's origin and Zoho's JSON answer."""
    host = trusted_accounts_server(accounts_server)
    client_id, client_secret = _client_credentials(client_id, client_secret)
    data = {**data, "client_id": client_id, "client_secret": client_secret}
    return host, json_of(request("POST", f"{host}{path}", data=data, timeout=timeout))


@sensitive_variables(*SENT_SECRETS, "refresh_token", "response")
def revoke_refresh_token(
    refresh_token: str, *, accounts_server: str, timeout: float | None = None
) -> None:
    """Revoke ``refresh_token`` (and every access token made from it) at Zoho, waiting at
    most ``timeout`` seconds (default ``HTTP_TIMEOUT``).

    A token Zoho no longer knows counts as revoked: the goal is reached. Only Zoho's own
    refusal says so (HTTP 400 with Zoho's JSON, see :func:`_is_unknown_token_answer`); any
    other answer, such as a proxy's HTML 400 page, raises, so the revocation stays pending
    and is retried rather than the still-live token being forgotten.
    """
    host = trusted_accounts_server(accounts_server)
    # In the form body, as the SDK sends it: in the URL, HTTP debug logs would show it.
    response = request(
        "POST", f"{host}/oauth/v2/token/revoke", data={"token": refresh_token}, timeout=timeout
    )
    body = json_of(response)
    if response.status_code == 400 and _is_unknown_token_answer(body):
        logger.info("Zoho at %s no longer knew a refresh token being revoked.", host)
        return
    if body.get("status") != "success":
        raise_for_error(body, host)
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
