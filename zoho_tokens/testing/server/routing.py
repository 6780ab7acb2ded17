"""The fake Zoho's HTTP application: which handler answers a path, and what a fault does.

Every request is recorded on arrival, matched to a route (the fault endpoints it counts as,
the family that decides what a fault looks like, its handler), and answered by the handler
unless an armed fault (:mod:`zoho_tokens.testing.server.faults`) answers instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from zoho_tokens.testing.accounts import consent as pages
from zoho_tokens.testing.accounts.handlers import (
    AUTH_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    AccountsEndpoints,
)
from zoho_tokens.testing.accounts.scope_enhance import ADD_EXTRA_SCOPE_PATH, SCOPE_ENHANCE_PATH
from zoho_tokens.testing.accounts.state import AccountsState
from zoho_tokens.testing.accounts.tokens import OAuthError, throttle_error
from zoho_tokens.testing.crm import errors as crm_errors
from zoho_tokens.testing.crm import handlers as crm
from zoho_tokens.testing.server.faults import FaultBook
from zoho_tokens.testing.server.http import HttpRequest, HttpResponse
from zoho_tokens.testing.server.records import CrmCall, RequestLog

if TYPE_CHECKING:
    from zoho_tokens.testing.fake import FakeZoho

__all__ = ["FakeZohoApp"]

_MALFORMED_JSON = b'{"access_token": "1000.'
_MALFORMED_CRM_JSON = b'{"data": [{"id": "57257'
#: A proxy in front of Zoho refusing a request (fault ``"html_400"``): a 400 that is not Zoho's.
_PROXY_BAD_REQUEST_PAGE = (
    "<html><head><title>400 Bad Request</title></head><body>"
    "<h1>400 Bad Request</h1><hr>nginx</body></html>"
)
#: The offset the fake's users live in (``X-Accesstoken-Reset`` carries the user's offset).
_USER_OFFSET = timezone(timedelta(hours=-7))
_GRANT_ENDPOINTS = {"authorization_code": "exchange", "refresh_token": "refresh"}


@dataclass
class _Route:
    endpoints: set[str]  # the fault endpoints this request counts as
    family: str  # "auth", "token", "revoke", "crm" or "books": decides what a fault looks like
    handler: Callable[[HttpRequest], HttpResponse] = field(repr=False)


class FakeZohoApp:
    """Answers every HTTP request of one :class:`FakeZoho` (the server's application)."""

    def __init__(
        self,
        fake: FakeZoho,
        state: AccountsState,
        log: RequestLog,
        faults: FaultBook,
        sleep: Callable[[float], bool],
    ) -> None:
        self._fake = fake
        self._state = state
        self._log = log
        self._faults = faults
        self._sleep = sleep
        self._accounts = AccountsEndpoints(fake, state, log, sleep)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Record ``request``, then answer it (or let a fault answer it)."""
        recorded = self._log.record_request(request)
        route = self._route(request)
        if route is not None and route.family == "crm":
            # Recorded on arrival, so that calls a fault swallows are listed too.
            self._record_crm_call(request)
        response = self._not_found(request) if route is None else self._run(route, request)
        recorded.status = None if response.drop else response.status
        return response

    def _route(self, request: HttpRequest) -> _Route | None:
        path, accounts = request.path, self._accounts
        if path == AUTH_PATH:
            return _Route({"auth"}, "auth", accounts.authorize)
        if path == pages.CONSENT_PATH:
            return _Route({"auth"}, "auth", accounts.consent)
        if path == TOKEN_PATH:
            grant = _GRANT_ENDPOINTS.get(request.params.get("grant_type", ""))
            return _Route({"token", grant} if grant else {"token"}, "token", accounts.token)
        if path == REVOKE_PATH:
            return _Route({"revoke"}, "revoke", accounts.revoke)
        if path == SCOPE_ENHANCE_PATH:
            return _Route({"token", "scopeenhance"}, "token", accounts.scope_enhance)
        if path == ADD_EXTRA_SCOPE_PATH:
            return _Route({"auth", "addextrascope"}, "auth", accounts.add_extra_scope)
        if path.startswith("/crm/"):
            return _Route({"crm"}, "crm", self._crm)
        if path.startswith("/books/"):
            return _Route({"books"}, "books", self._books)
        if path.startswith("/api/v1/"):
            return _Route({"desk"}, "desk", self._desk)
        if path.startswith("/api/v3/"):
            return _Route({"projects"}, "projects", self._projects)
        return None

    def _run(self, route: _Route, request: HttpRequest) -> HttpResponse:
        latency = self._fake.api_latency.get(route.family, 0.0)
        if latency > 0 and not self._sleep(latency):
            return HttpResponse.dropped()
        fault = self._faults.take(route.endpoints)
        if fault is None:
            return self._within_limits(route, request)
        if fault.kind == "slow":
            if not self._sleep(self._fake.slow_seconds):
                return HttpResponse.dropped()
            return route.handler(request)
        if fault.kind == "trickle":
            response = route.handler(request)
            response.trickle = self._fake.trickle_seconds
            return response
        if fault.kind == "down":
            return HttpResponse.dropped()
        if fault.kind == "lost":
            route.handler(request)
            return HttpResponse.dropped()
        return self._fault_response(route.family, fault.kind)

    def _fault_response(self, family: str, kind: str) -> HttpResponse:
        is_crm = family == "crm"
        if kind == "http_500":
            if is_crm:
                return HttpResponse.json(crm_errors.INTERNAL_ERROR, status=500)
            return HttpResponse.html(pages.SERVER_ERROR_PAGE, status=500)
        if kind == "html":
            return HttpResponse.html(pages.PROXY_ERROR_PAGE)
        if kind == "html_400":
            return HttpResponse.html(_PROXY_BAD_REQUEST_PAGE, status=400)
        if kind == "malformed":
            return HttpResponse(body=_MALFORMED_CRM_JSON if is_crm else _MALFORMED_JSON)
        if kind == "invalid_code":
            if is_crm:
                return HttpResponse.json(crm_errors.INVALID_TOKEN, status=401)
            if family == "revoke":
                return HttpResponse.json({"error": "invalid_token", "status": "failure"}, 400)
            return HttpResponse.json(OAuthError("invalid_code").payload())
        if kind == "auth_failure":
            return HttpResponse.json(crm_errors.AUTHENTICATION_FAILURE, status=401)
        if kind == "throttle":
            if is_crm:
                answer = HttpResponse.json(crm_errors.TOO_MANY_REQUESTS, status=429)
                if self._fake.crm_retry_after is not None:
                    answer.headers["Retry-After"] = str(self._fake.crm_retry_after)
                return answer
            throttled = throttle_error(self._fake.language)
            return HttpResponse.json(throttled.payload(), status=throttled.http_status)
        raise AssertionError(f"unhandled fault kind {kind!r}")

    def _not_found(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/" and request.method == "GET":
            fake = self._fake
            return HttpResponse.html(pages.render_index_page(fake.url, fake.client_id, fake.users))
        return HttpResponse.html(
            pages.render_error_page("not_found", f"Nothing at {request.path}"), status=404
        )

    # -- the service APIs (crm.py, books.py, desk, projects) ---------------------------------

    def _within_limits(self, route: _Route, request: HttpRequest) -> HttpResponse:
        """Answer an API call within its organisation's limits (:mod:`.limits`)."""
        key = self._limits_key(route.family, request)
        if key is None:
            return route.handler(request)
        limits = self._fake.limits
        now = self._state.now()
        admission = limits.enter(
            key, crm=route.family == "crm", seconds_left_today=86400 - now % 86400
        )
        if not admission.admitted:
            refused = HttpResponse.json(crm_errors.TOO_MANY_IN_FLIGHT, status=429)
            refused.headers["Retry-After"] = str(admission.retry_after)
            return refused
        try:
            if limits.latency and not self._sleep(limits.latency):
                return HttpResponse.dropped()
            response = route.handler(request)
        finally:
            limits.leave(key)
        if route.family == "crm":
            response.headers.update(limits.credits_header(key))
            response.headers.update(self._token_reset(request))
        return response

    def _limits_key(self, family: str, request: HttpRequest) -> str | None:
        """``"<service>:<organisation>"`` of an API call; None when it names none."""
        organization: str | None = None
        if family == "crm":
            access = self._state.resolve(crm.bearer_token(request))
            organization = access.user.zgid if access is not None else None
        elif family == "books":
            organization = request.query.get("organization_id")
        elif family == "desk":
            organization = request.header("orgId")
        elif family == "projects":
            organization = self._fake.projects.portal_of(request.path)
        return f"{family}:{organization}" if organization else None

    def _token_reset(self, request: HttpRequest) -> dict[str, str]:
        """CRM's ``X-Accesstoken-Reset``: when the access token used expires, in the user's
        offset (recorded; the fake's users live at UTC-7)."""
        access = self._state.resolve(crm.bearer_token(request))
        if access is None:
            return {}
        left = access.expires_at - self._state.now()
        when = datetime.now(_USER_OFFSET) + timedelta(seconds=left)
        return {"X-Accesstoken-Reset": when.isoformat(timespec="seconds")}

    def _desk(self, request: HttpRequest) -> HttpResponse:
        token = crm.bearer_token(request)
        return self._fake.desk.handle(request, self._state.resolve(token))

    def _projects(self, request: HttpRequest) -> HttpResponse:
        token = crm.bearer_token(request)
        return self._fake.projects.handle(request, self._state.resolve(token))

    def _record_crm_call(self, request: HttpRequest) -> None:
        token = crm.bearer_token(request)
        access = self._state.resolve(token)
        user_email = access.user.email if access is not None else None
        self._log.record_crm_call(CrmCall(request.path, token, user_email))

    def _crm(self, request: HttpRequest) -> HttpResponse:
        fake = self._fake
        api = crm.CrmApi(fake.modules, fake.users, enforce_scopes=fake.enforce_scopes)
        return api.handle(request, self._state.resolve(crm.bearer_token(request)))

    def _books(self, request: HttpRequest) -> HttpResponse:
        token = crm.bearer_token(request)
        return self._fake.books.handle(request, token, self._state.resolve(token))
