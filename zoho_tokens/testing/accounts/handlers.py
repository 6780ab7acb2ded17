"""The fake Zoho Accounts' endpoints: authorization, consent, tokens and revocation.

Each handler turns one request into Zoho's answer, using the fake's state for what is valid
and the :class:`~zoho_tokens.testing.FakeZoho` for its live settings (``auto_consent``,
``redirect_uris``, ``location``, ``delay``, ``legacy_expiry``, ``scope_in_token_answers``
...). Which handler answers which path, and what a fault does instead, is
:mod:`zoho_tokens.testing.server.routing`'s job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from zoho_tokens.testing.accounts import consent as pages
from zoho_tokens.testing.accounts.scope_enhance import ScopeEnhancements
from zoho_tokens.testing.accounts.state import AccountsState
from zoho_tokens.testing.accounts.tokens import OAuthError, parse_scopes
from zoho_tokens.testing.accounts.users import FakeZohoUser
from zoho_tokens.testing.server.http import HttpRequest, HttpResponse
from zoho_tokens.testing.server.records import RequestLog

if TYPE_CHECKING:
    from zoho_tokens.testing.fake import FakeZoho

__all__ = ["AUTH_PATH", "REVOKE_PATH", "TOKEN_PATH", "AccountsEndpoints", "add_query"]

#: Where the fake shows the consent page (``/oauth/v2/auth``), as Zoho Accounts does.
AUTH_PATH = "/oauth/v2/auth"
#: Where grant codes are exchanged and access tokens refreshed.
TOKEN_PATH = "/oauth/v2/token"
#: Where a refresh token is revoked.
REVOKE_PATH = "/oauth/v2/token/revoke"


def add_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` appended to whatever query string it already has."""
    split = urlsplit(url)
    query = parse_qsl(split.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(split._replace(query=urlencode(query)))


def _error_page(error: str, message: str) -> HttpResponse:
    return HttpResponse.html(pages.render_error_page(error, message), status=400)


_Handler = Callable[["AccountsEndpoints", HttpRequest], HttpResponse]


def _post_only(handler: _Handler) -> _Handler:
    """Answer anything but ``POST`` with Zoho's 405 page, as its POST endpoints do."""

    @functools.wraps(handler)
    def checked(self: AccountsEndpoints, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse.html(pages.render_error_page("invalid_request", "Use POST"), 405)
        return handler(self, request)

    return checked


@dataclass
class AccountsEndpoints:
    """The handlers of Zoho Accounts' endpoints for one :class:`FakeZoho`: its settings
    (``fake``), its memory (``state``), its records (``log``), and how a "slow" fault
    sleeps (``sleep``, woken when the fake stops)."""

    fake: FakeZoho
    state: AccountsState
    log: RequestLog
    sleep: Callable[[float], bool]

    def __post_init__(self) -> None:
        self._enhancements = ScopeEnhancements(self.state)

    # -- authorization ------------------------------------------------------------------

    def _check_authorization(self, params: dict[str, str]) -> HttpResponse | None:
        """Zoho's checks on an authorization request: None if fine, else the error page."""
        if not self.state.directory.has_client(params.get("client_id")):
            return _error_page("invalid_client", "Invalid Client")
        if params.get("response_type", "code") != "code":
            return _error_page("unsupported_response_type", "Invalid Response Type")
        redirect_uri = params.get("redirect_uri")
        allowed = self.fake.redirect_uris
        if not redirect_uri or (allowed is not None and redirect_uri not in allowed):
            return _error_page("invalid_redirect_uri", "Invalid Redirect Uri")
        if not parse_scopes(params.get("scope")):
            return _error_page("invalid_scope", "Invalid OAuth Scope")
        return None

    def authorize(self, request: HttpRequest) -> HttpResponse:
        """``GET /oauth/v2/auth``: redirect back with a code, or show the consent page."""
        params = request.params
        error = self._check_authorization(params)
        if error is not None:
            return error
        self.log.record_authorization(params)
        user = (
            self.state.directory.find_user(params.get("login_hint") or params.get("user"))
            or self.fake.consenting_user
        )
        if self.fake.auto_consent:
            return self._grant(params, user)
        scopes = parse_scopes(params.get("scope"))
        users = self.state.directory.users
        return HttpResponse.html(pages.render_consent_page(params, scopes, users, user))

    @_post_only
    def consent(self, request: HttpRequest) -> HttpResponse:
        """``POST`` of the consent page's form: Accept (as the chosen user) or Deny."""
        params = request.params
        error = self._check_authorization(params)
        if error is not None:
            return error
        action = params.get("action")
        if action == "deny":
            callback = {"error": "access_denied"}
            if "state" in params:
                callback["state"] = params["state"]
            return HttpResponse.redirect(add_query(params["redirect_uri"], callback))
        email = params.get("user")
        user = self.state.directory.find_user(email) if email else None
        if email and user is None:
            return _error_page("invalid_user", "Unknown User")
        if action != "accept":
            return _error_page("invalid_request", "Invalid Request")
        return self._grant(params, user or self.fake.consenting_user)

    def _grant(self, params: dict[str, str], user: FakeZohoUser) -> HttpResponse:
        client_id = params["client_id"]
        # Like Zoho: without prompt=consent, a user who already granted this client offline
        # access gets a code whose exchange returns no new refresh token.
        offline = params.get("access_type") == "offline" and (
            params.get("prompt") == "consent"
            or not self.state.has_active_refresh_token(client_id, user)
        )
        grant = self.state.issue_code(
            client_id, user, parse_scopes(params.get("scope")), params["redirect_uri"], offline
        )
        callback: dict[str, str] = {}
        if "state" in params:
            callback["state"] = params["state"]
        callback.update(
            {"code": grant.code, "location": self.fake.location, "accounts-server": self.fake.url}
        )
        # As recorded from a live flow: the server percent-encoded, and a trailing "&".
        return HttpResponse.redirect(add_query(params["redirect_uri"], callback) + "&")

    # -- tokens -------------------------------------------------------------------------

    @_post_only
    def token(self, request: HttpRequest) -> HttpResponse:
        """``POST /oauth/v2/token``: exchange a code, or refresh an access token."""
        if self.fake.delay > 0 and not self.sleep(self.fake.delay):
            return HttpResponse.dropped()
        params = request.params
        grant_type = params.get("grant_type")
        client = (params.get("client_id"), params.get("client_secret"))
        try:
            if grant_type == "authorization_code":
                access, refresh = self.state.exchange(
                    *client, params.get("code"), params.get("redirect_uri")
                )
            elif grant_type == "refresh_token":
                access = self.state.refresh(*client, params.get("refresh_token"))
                refresh = None
            else:
                raise OAuthError("unsupported_grant_type")
        except OAuthError as error:
            # Zoho reports OAuth errors with HTTP 200, except its throttle (HTTP 400).
            return HttpResponse.json(error.payload(), status=error.http_status)
        payload: dict[str, Any] = {"access_token": access.token}
        if refresh is not None:
            payload["refresh_token"] = refresh.token
        if self.fake.scope_in_token_answers:
            payload["scope"] = ",".join(access.scopes)
        payload.update({"api_domain": self.fake.api_domain, "token_type": "Bearer"})
        lifetime = self.fake.access_token_lifetime
        if self.fake.legacy_expiry:
            # The older shape Zoho answered with (and its SDK still reads): milliseconds in
            # ``expires_in``, seconds in ``expires_in_sec``.
            payload["expires_in"] = lifetime * 1000
            payload["expires_in_sec"] = lifetime
        else:
            payload["expires_in"] = lifetime
        return HttpResponse.json(payload)

    @_post_only
    def revoke(self, request: HttpRequest) -> HttpResponse:
        """``POST /oauth/v2/token/revoke``: revoke a refresh or access token."""
        if self.state.revoke(request.params.get("token")):
            return HttpResponse.json({"status": "success"})
        return HttpResponse.json({"error": "invalid_token", "status": "failure"}, status=400)

    # -- incremental authorisation (see scope_enhance.py) -------------------------------

    @_post_only
    def scope_enhance(self, request: HttpRequest) -> HttpResponse:
        """``POST /oauth/v2/token/scopeenhance``: an enhance token for a refresh token."""
        try:
            token = self._enhancements.issue(request.params)
        except OAuthError as error:
            return HttpResponse.json(error.payload())
        return HttpResponse.json({"enhance_token": token, "status": "success"})

    def add_extra_scope(self, request: HttpRequest) -> HttpResponse:
        """``GET /oauth/v2/token/addextrascope``: the refresh token gains the scopes."""
        params = request.params
        if params.get("response_type") != "update_scopes":
            return _error_page("unsupported_response_type", "Invalid Response Type")
        # Otherwise the same checks as a consent: client, redirect URI, scopes.
        error = self._check_authorization({**params, "response_type": "code"})
        if error is not None:
            return error
        try:
            self._enhancements.apply(params)
        except OAuthError as err:
            return _error_page(err.error, "Invalid Request")
        callback = {"state": params["state"]} if "state" in params else {}
        callback.update({"location": self.fake.location, "accounts-server": self.fake.url})
        return HttpResponse.redirect(add_query(params["redirect_uri"], callback))
