"""``FakeZoho``: Zoho Accounts and the Zoho CRM API on one loopback HTTP socket."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, NamedTuple, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from zoho_tokens.testing import books, crm
from zoho_tokens.testing import consent as pages
from zoho_tokens.testing.faults import Endpoint, Fault, FaultBook, FaultKind
from zoho_tokens.testing.scope_enhance import (
    ADD_EXTRA_SCOPE_PATH,
    SCOPE_ENHANCE_PATH,
    ScopeEnhancements,
)
from zoho_tokens.testing.server import HttpRequest, HttpResponse, LoopbackServer
from zoho_tokens.testing.state import (
    DEFAULT_SCOPES,
    DEFAULT_USER,
    AccessToken,
    AccountsState,
    FakeZohoUser,
    GrantCode,
    OAuthError,
    RefreshToken,
    TokenPolicy,
    parse_scopes,
    throttle_error,
)

AUTH_PATH = "/oauth/v2/auth"
TOKEN_PATH = "/oauth/v2/token"
REVOKE_PATH = "/oauth/v2/token/revoke"

_MALFORMED_JSON = b'{"access_token": "1000.'
_MALFORMED_CRM_JSON = b'{"data": [{"id": "57257'
#: A proxy in front of Zoho refusing a request (fault ``"html_400"``): a 400 that is not Zoho's.
_PROXY_BAD_REQUEST_PAGE = (
    "<html><head><title>400 Bad Request</title></head><body>"
    "<h1>400 Bad Request</h1><hr>nginx</body></html>"
)


class FakeZohoError(RuntimeError):
    """The fake answered a helper's request in a way the helper could not use."""


@dataclass
class RecordedRequest:
    """One request the fake received. ``status`` is None if it was never answered."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    timestamp: float
    status: int | None = None

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together; the form wins on a clash."""
        return {**self.query, **self.form}


class CrmCall(NamedTuple):
    """A CRM API call: which access token it carried and whose it turned out to be."""

    path: str
    access_token: str | None
    user_email: str | None


T = TypeVar("T")


class _PolicyField(Generic[T]):
    """Expose one :class:`TokenPolicy` field as a read-write attribute of ``FakeZoho``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: FakeZoho | None, owner: type) -> T:
        if instance is None:
            return self  # type: ignore[return-value]
        value: T = getattr(instance._state.policy, self.name)
        return value

    def __set__(self, instance: FakeZoho, value: T) -> None:
        setattr(instance._state.policy, self.name, value)


@dataclass
class _Route:
    endpoints: set[str]  # the fault endpoints this request counts as
    family: str  # "auth", "token", "revoke" or "crm": decides what a fault looks like
    handler: Callable[[HttpRequest], HttpResponse] = field(repr=False)


class FakeZoho:
    """A fake Zoho (Accounts and CRM API) listening on ``http://127.0.0.1:<random port>``.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`::

        with FakeZoho() as fake:
            code = fake.issue_code()
            ...  # point your code at fake.url / fake.token_url

    The same server plays both roles, so :attr:`accounts_server`, :attr:`api_domain` and
    :attr:`url` are equal. Every request is recorded (:attr:`requests`, :meth:`count`),
    every CRM call remembers whose token it carried (:attr:`crm_calls`), and any endpoint
    can be made to fail (:meth:`fail`).

    ``auto_consent`` (default True) makes ``GET /oauth/v2/auth`` redirect straight back
    with a code for :attr:`consenting_user`, which is what automated tests want. Set it to
    False to get an HTML consent page with ``#accept`` and ``#deny`` buttons instead (the
    command line ``python -m zoho_tokens.testing`` does this unless ``--auto-consent``).

    ``enforce_scopes`` (default True) answers ``401 OAUTH_SCOPE_MISMATCH`` like Zoho when a
    CRM call is not covered by the token's scopes. Note that the SDK reads
    ``/settings/fields`` before ``get_records``, which needs ``ZohoCRM.settings.fields.READ``
    (or ``ZohoCRM.settings.ALL``).
    """

    access_token_lifetime = _PolicyField[int]()
    code_lifetime = _PolicyField[float]()
    refresh_limit = _PolicyField[int]()
    refresh_window = _PolicyField[float]()
    max_access_tokens_per_refresh_token = _PolicyField[int]()
    max_refresh_tokens_per_user = _PolicyField[int]()
    #: The language Zoho answers its throttle in (``"en"``, or ``"zh"`` as recorded).
    language = _PolicyField[str]()

    def __init__(
        self,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",
        location: str = "us",
        users: Iterable[FakeZohoUser] | None = None,
        leads: Iterable[dict[str, Any]] | None = None,
        access_token_lifetime: int = 3600,
        *,
        auto_consent: bool = True,
        port: int = 0,
        code_lifetime: float = 120.0,
        refresh_limit: int = 10,
        redirect_uris: Iterable[str] | None = None,
        enforce_scopes: bool = True,
        log_requests: bool = False,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        #: The data centre reported in the callback's ``location`` parameter.
        self.location = location
        self._state = AccountsState(
            clients={client_id: client_secret},
            users=list(users) if users is not None else [DEFAULT_USER],
            policy=TokenPolicy(
                access_token_lifetime=access_token_lifetime,
                code_lifetime=code_lifetime,
                refresh_limit=refresh_limit,
            ),
        )
        if not self._state.users:
            raise ValueError("FakeZoho needs at least one user")
        #: Zoho Books: organizations (the first users are admins of one), records, calls.
        self.books = books.BooksState(self._state.users, self._state.now)
        #: Records per CRM module name; ``leads`` is ``modules["Leads"]``.
        self.modules: dict[str, list[dict[str, Any]]] = {
            "Leads": [dict(lead) for lead in leads] if leads is not None else crm.make_leads()
        }
        #: Redirect straight back with a code (True) or show the consent page (False).
        self.auto_consent = auto_consent
        #: If set, ``/oauth/v2/auth`` only accepts these redirect URIs (like Zoho's console).
        self.redirect_uris: list[str] | None = (
            list(redirect_uris) if redirect_uris is not None else None
        )
        #: Answer 401 ``OAUTH_SCOPE_MISMATCH`` when a token's scopes do not cover a CRM call.
        self.enforce_scopes = enforce_scopes
        #: How long a ``"slow"`` fault waits before answering.
        self.slow_seconds: float = 5.0
        #: Seconds between the body's bytes in a ``"trickle"`` fault.
        self.trickle_seconds: float = 0.5
        #: Seconds added to every ``/oauth/v2/token`` request, before it is processed.
        self.delay: float = 0.0
        #: Answer token requests in Zoho's older shape (``expires_in`` in milliseconds
        #: beside ``expires_in_sec``).
        self.legacy_expiry = False
        self._consenting_user: FakeZohoUser | None = None
        self._enhancements = ScopeEnhancements(self._state)
        self._faults = FaultBook()
        self._log_lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._crm_calls: list[CrmCall] = []
        self._auth_requests: list[dict[str, str]] = []
        self._server = LoopbackServer(self._app, port, log_requests=log_requests)

    @property
    def client_id(self) -> str:
        """The OAuth client id the fake accepts (see :meth:`add_client` for more)."""
        return self._client_id

    @property
    def client_secret(self) -> str:
        """The secret that goes with :attr:`client_id`."""
        return self._client_secret

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeZoho:
        """Start serving on ``127.0.0.1`` (a free port unless one was given). Returns self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving. Returns promptly, even with a ``"slow"`` request in flight."""
        self._server.stop()

    def __enter__(self) -> FakeZoho:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._server.running

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<FakeZoho {where} client_id={self.client_id!r}>"

    # -- addresses ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (only while running)."""
        return self._server.url

    @property
    def accounts_server(self) -> str:
        """The accounts server, as Zoho's callback reports it in ``accounts-server``."""
        return self.url

    @property
    def api_domain(self) -> str:
        """The CRM API domain, as the token endpoint reports it in ``api_domain``."""
        return self.url

    @property
    def auth_url(self) -> str:
        """The authorization endpoint (``/oauth/v2/auth``)."""
        return self.url + AUTH_PATH

    @property
    def token_url(self) -> str:
        """The token endpoint, i.e. what the SDK calls ``Environment.accounts_url``."""
        return self.url + TOKEN_PATH

    @property
    def revoke_url(self) -> str:
        """The revocation endpoint (``/oauth/v2/token/revoke``)."""
        return self.url + REVOKE_PATH

    # -- users and clients --------------------------------------------------------------

    @property
    def users(self) -> list[FakeZohoUser]:
        """A copy of the users, in the order they were added."""
        return self._state.users

    def add_user(
        self, user: FakeZohoUser | str, full_name: str | None = None, **kwargs: Any
    ) -> FakeZohoUser:
        """Add a user: a :class:`FakeZohoUser`, or an email plus its fields. Returns it."""
        if isinstance(user, str):
            user = FakeZohoUser(user, full_name or user.partition("@")[0].title(), **kwargs)
        return self._state.add_user(user)

    def add_client(self, client_id: str, client_secret: str) -> None:
        """Register another OAuth client besides ``client_id``."""
        self._state.add_client(client_id, client_secret)

    @property
    def consenting_user(self) -> FakeZohoUser:
        """Who consents when the request does not say (default: the first user).

        Accepts a :class:`FakeZohoUser` (added if new) or the email of a known user.
        """
        return self._consenting_user or self._state.users[0]

    @consenting_user.setter
    def consenting_user(self, user: FakeZohoUser | str) -> None:
        self._consenting_user = self._known_user(user)

    def _known_user(self, user: FakeZohoUser | str) -> FakeZohoUser:
        """An email must name a known user; a new ``FakeZohoUser`` is added on the fly."""
        if isinstance(user, str):
            found = self._state.find_user(user)
            if found is None:
                raise ValueError(f"no user with email {user!r}; add_user() it first")
            return found
        if self._state.find_user(user.email) != user:
            self._state.add_user(user)
        return user

    @property
    def leads(self) -> list[dict[str, Any]]:
        """The records ``GET /crm/v8/Leads`` returns (the live list: edit it freely)."""
        return self.modules["Leads"]

    @leads.setter
    def leads(self, records: Iterable[dict[str, Any]]) -> None:
        self.modules["Leads"] = list(records)

    # -- minting and inspecting tokens --------------------------------------------------

    def issue_code(
        self,
        user: FakeZohoUser | str | None = None,
        scopes: str | Sequence[str] = DEFAULT_SCOPES,
        redirect_uri: str | None = None,
        *,
        offline: bool = True,
        client_id: str | None = None,
    ) -> str:
        """Mint a grant code as if ``user`` had consented, without any browser.

        With ``redirect_uri=None`` the exchange needs no redirect URI (like a Zoho self
        client); otherwise it must send exactly this one. ``offline=False`` behaves like
        ``access_type=online``: the exchange then returns no refresh token.
        """
        grant = self._state.issue_code(
            client_id or self.client_id,
            self._known_user(user) if user is not None else self.consenting_user,
            parse_scopes(scopes),
            redirect_uri,
            offline,
        )
        return grant.code

    def is_refresh_token_active(self, token: str) -> bool:
        """Whether a refresh token exists and is neither revoked nor pushed out by the cap."""
        return self._state.is_refresh_token_active(token)

    def is_access_token_active(self, token: str) -> bool:
        """Whether an access token would be accepted by the CRM API right now."""
        return self._state.is_access_token_active(token)

    def user_for_access_token(self, token: str) -> FakeZohoUser | None:
        """The user a live access token belongs to."""
        access = self._state.resolve(token)
        return access.user if access is not None else None

    @property
    def revoked_tokens(self) -> list[str]:
        """Tokens revoked through ``/oauth/v2/token/revoke`` (or :meth:`revoke`), in order."""
        with self._state.lock:
            return list(self._state.revoked_tokens)

    @property
    def codes(self) -> list[GrantCode]:
        """Snapshots of every grant code issued."""
        return self._state.codes

    @property
    def refresh_tokens(self) -> list[RefreshToken]:
        """Snapshots of every refresh token issued (see ``.active``, ``.invalidated``)."""
        return self._state.refresh_tokens

    @property
    def access_tokens(self) -> list[AccessToken]:
        """Snapshots of every access token issued."""
        return self._state.access_tokens

    def revoke(self, token: str) -> bool:
        """Revoke a token server-side, as if the user removed the app in Zoho."""
        return self._state.revoke(token)

    def expire_access_tokens(self) -> int:
        """Make every access token issued so far invalid; returns how many were live.

        Clients still believe their tokens are valid until they try them (401) or their own
        expiry time passes, which is the situation this simulates.
        """
        return self._state.expire_access_tokens()

    def advance_time(self, seconds: float) -> None:
        """Move the fake's clock forward: ages codes, access tokens and throttle windows."""
        self._state.advance(seconds)

    # -- faults -------------------------------------------------------------------------

    def fail(self, endpoint: Endpoint, kind: FaultKind, times: int | None = None) -> Fault:
        """Make ``endpoint`` misbehave ``times`` times (None: until :meth:`heal`).

        ``endpoint`` is one of ``"auth"``, ``"token"`` (both grants), ``"exchange"``,
        ``"refresh"``, ``"revoke"``, ``"crm"``; ``kind`` one of ``"http_500"``, ``"html"``,
        ``"html_400"``, ``"malformed"``, ``"slow"``, ``"trickle"``, ``"invalid_code"``, ``"throttle"``,
        ``"down"``,
        ``"lost"`` (see :data:`zoho_tokens.testing.faults.FaultKind`). Faults fire in the
        order they were armed. Returns the :class:`Fault`, whose ``hits`` counts its uses.
        """
        return self._faults.add(endpoint, kind, times)

    def heal(self, endpoint: str | None = None) -> None:
        """Disarm every fault (or those of one endpoint)."""
        self._faults.clear(endpoint)

    @property
    def faults(self) -> list[Fault]:
        """The faults still armed."""
        return self._faults.armed

    # -- observation --------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since start (or :meth:`reset_counts`), oldest first."""
        with self._log_lock:
            return list(self._requests)

    @property
    def crm_calls(self) -> list[CrmCall]:
        """Every CRM API call: ``(path, access_token, user_email)``; None when unresolved."""
        with self._log_lock:
            return list(self._crm_calls)

    @property
    def auth_requests(self) -> list[dict[str, str]]:
        """The query parameters of every valid ``GET /oauth/v2/auth``."""
        with self._log_lock:
            return [dict(params) for params in self._auth_requests]

    def count(self, path: str | None = None, *, method: str | None = None, **params: str) -> int:
        """How many requests matched ``path``, ``method`` and every ``name=value`` given.

        Parameters are looked up in the query string and the form body, e.g.
        ``fake.count("/oauth/v2/token", grant_type="refresh_token")``.
        """
        return sum(
            1
            for recorded in self.requests
            if (path is None or recorded.path == path)
            and (method is None or recorded.method == method.upper())
            and all(recorded.params.get(name) == str(value) for name, value in params.items())
        )

    def reset_counts(self) -> None:
        """Forget the recorded requests, CRM calls and authorization requests."""
        with self._log_lock:
            self._requests.clear()
            self._crm_calls.clear()
            self._auth_requests.clear()

    # -- browser helpers ----------------------------------------------------------------

    def authorize_url(
        self,
        redirect_uri: str,
        *,
        scope: str | Sequence[str] = DEFAULT_SCOPES,
        state: str = "state",
        access_type: str = "offline",
        prompt: str = "consent",
        client_id: str | None = None,
    ) -> str:
        """An authorization URL for this fake, as an OAuth client would build it."""
        query = {
            "client_id": client_id or self.client_id,
            "response_type": "code",
            "scope": ",".join(parse_scopes(scope)),
            "access_type": access_type,
            "prompt": prompt,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{self.auth_url}?{urlencode(query)}"

    def consent(
        self,
        authorize_url: str,
        *,
        accept: bool = True,
        user: FakeZohoUser | str | None = None,
        timeout: float = 10.0,
    ) -> str:
        """Play the browser: open ``authorize_url`` and return the callback URL Zoho sends.

        With the defaults this is a real ``GET`` (no redirects followed), answered by the
        auto-consent redirect; if :attr:`auto_consent` is off, the consent page's form is
        submitted with Accept. To deny, or to consent as a given ``user``, the consent form
        is posted directly with the URL's parameters, as the page would.
        """
        import requests  # a project dependency; only this helper needs it

        split = urlsplit(authorize_url)
        if f"{split.scheme}://{split.netloc}" != self.url or split.path != AUTH_PATH:
            raise ValueError(f"{authorize_url!r} is not this fake's {self.auth_url}")
        with requests.Session() as session:
            # Never let an HTTP(S)_PROXY from the environment see loopback traffic.
            session.trust_env = False
            if accept and user is None:
                response = session.get(authorize_url, allow_redirects=False, timeout=timeout)
                if response.status_code == 200 and "consent-form" in response.text:
                    action, form = pages.parse_form(response.text, button="accept")
                    response = session.post(
                        self.url + action, data=form, allow_redirects=False, timeout=timeout
                    )
            else:
                form = dict(parse_qsl(split.query, keep_blank_values=True))
                form["action"] = "accept" if accept else "deny"
                email = user.email if isinstance(user, FakeZohoUser) else user
                form["user"] = email or self.consenting_user.email
                response = session.post(
                    self.url + pages.CONSENT_PATH, data=form, allow_redirects=False, timeout=timeout
                )
        location = response.headers.get("Location")
        if response.status_code != 302 or not location:
            raise FakeZohoError(
                f"expected a redirect from the fake, got HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        return location

    # -- HTTP application ---------------------------------------------------------------

    def _app(self, request: HttpRequest) -> HttpResponse:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=request.query,
            form=request.form,
            headers=request.headers,
            timestamp=time.time(),
        )
        with self._log_lock:
            self._requests.append(recorded)
        route = self._route(request)
        if route is not None and route.family == "crm":
            # Recorded on arrival, so that calls a fault swallows are listed too.
            self._record_crm_call(request)
        response = self._not_found(request) if route is None else self._run(route, request)
        recorded.status = None if response.drop else response.status
        return response

    def _route(self, request: HttpRequest) -> _Route | None:
        path = request.path
        if path == AUTH_PATH:
            return _Route({"auth"}, "auth", self._authorize)
        if path == pages.CONSENT_PATH:
            return _Route({"auth"}, "auth", self._consent)
        if path == TOKEN_PATH:
            grant = {"authorization_code": "exchange", "refresh_token": "refresh"}.get(
                request.params.get("grant_type", "")
            )
            return _Route({"token", grant} if grant else {"token"}, "token", self._token)
        if path == REVOKE_PATH:
            return _Route({"revoke"}, "revoke", self._revoke)
        if path == SCOPE_ENHANCE_PATH:
            return _Route({"token", "scopeenhance"}, "token", self._scope_enhance)
        if path == ADD_EXTRA_SCOPE_PATH:
            return _Route({"auth", "addextrascope"}, "auth", self._add_extra_scope)
        if path.startswith("/crm/"):
            return _Route({"crm"}, "crm", self._crm)
        if path.startswith("/books/"):
            return _Route({"books"}, "books", self._books)
        return None

    def _run(self, route: _Route, request: HttpRequest) -> HttpResponse:
        fault = self._faults.take(route.endpoints)
        if fault is None:
            return route.handler(request)
        if fault.kind == "slow":
            if not self._server.sleep(self.slow_seconds):
                return HttpResponse.dropped()
            return route.handler(request)
        if fault.kind == "trickle":
            response = route.handler(request)
            response.trickle = self.trickle_seconds
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
                return HttpResponse.json(crm.INTERNAL_ERROR, status=500)
            return HttpResponse.html(pages.SERVER_ERROR_PAGE, status=500)
        if kind == "html":
            return HttpResponse.html(pages.PROXY_ERROR_PAGE)
        if kind == "html_400":
            return HttpResponse.html(_PROXY_BAD_REQUEST_PAGE, status=400)
        if kind == "malformed":
            return HttpResponse(body=_MALFORMED_CRM_JSON if is_crm else _MALFORMED_JSON)
        if kind == "invalid_code":
            if is_crm:
                return HttpResponse.json(crm.INVALID_TOKEN, status=401)
            if family == "revoke":
                return HttpResponse.json({"error": "invalid_token", "status": "failure"}, 400)
            return HttpResponse.json(OAuthError("invalid_code").payload())
        if kind == "throttle":
            if is_crm:
                return HttpResponse.json(crm.TOO_MANY_REQUESTS, status=429)
            throttled = throttle_error(self.language)
            return HttpResponse.json(throttled.payload(), status=throttled.http_status)
        raise AssertionError(f"unhandled fault kind {kind!r}")

    def _not_found(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/" and request.method == "GET":
            return HttpResponse.html(self._index_page())
        return HttpResponse.html(
            pages.render_error_page("not_found", f"Nothing at {request.path}"), status=404
        )

    def _index_page(self) -> str:
        return pages.render_index_page(self.url, self.client_id, self.users)

    # -- Accounts: authorization --------------------------------------------------------

    def _check_authorization(self, params: dict[str, str]) -> HttpResponse | None:
        """Zoho's checks on an authorization request: None if fine, else the error page."""
        if not self._state.has_client(params.get("client_id")):
            return self._error_page("invalid_client", "Invalid Client")
        if params.get("response_type", "code") != "code":
            return self._error_page("unsupported_response_type", "Invalid Response Type")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri or (
            self.redirect_uris is not None and redirect_uri not in self.redirect_uris
        ):
            return self._error_page("invalid_redirect_uri", "Invalid Redirect Uri")
        if not parse_scopes(params.get("scope")):
            return self._error_page("invalid_scope", "Invalid OAuth Scope")
        return None

    @staticmethod
    def _error_page(error: str, message: str) -> HttpResponse:
        return HttpResponse.html(pages.render_error_page(error, message), status=400)

    def _authorize(self, request: HttpRequest) -> HttpResponse:
        params = request.params
        error = self._check_authorization(params)
        if error is not None:
            return error
        with self._log_lock:
            self._auth_requests.append(dict(params))
        user = (
            self._state.find_user(params.get("login_hint") or params.get("user"))
            or self.consenting_user
        )
        if self.auto_consent:
            return self._grant(params, user)
        scopes = parse_scopes(params.get("scope"))
        return HttpResponse.html(pages.render_consent_page(params, scopes, self.users, user))

    def _consent(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse.html(pages.render_error_page("invalid_request", "Use POST"), 405)
        params = request.params
        error = self._check_authorization(params)
        if error is not None:
            return error
        action = params.get("action")
        if action == "deny":
            callback = {"error": "access_denied"}
            if "state" in params:
                callback["state"] = params["state"]
            return HttpResponse.redirect(_add_query(params["redirect_uri"], callback))
        user = self._state.find_user(params.get("user")) if params.get("user") else None
        if params.get("user") and user is None:
            return self._error_page("invalid_user", "Unknown User")
        if action != "accept":
            return self._error_page("invalid_request", "Invalid Request")
        return self._grant(params, user or self.consenting_user)

    def _grant(self, params: dict[str, str], user: FakeZohoUser) -> HttpResponse:
        client_id = params["client_id"]
        # Like Zoho: without prompt=consent, a user who already granted this client offline
        # access gets a code whose exchange returns no new refresh token.
        offline = params.get("access_type") == "offline" and (
            params.get("prompt") == "consent"
            or not self._state.has_active_refresh_token(client_id, user)
        )
        grant = self._state.issue_code(
            client_id, user, parse_scopes(params.get("scope")), params["redirect_uri"], offline
        )
        callback: dict[str, str] = {}
        if "state" in params:
            callback["state"] = params["state"]
        callback.update(
            {"code": grant.code, "location": self.location, "accounts-server": self.url}
        )
        # As recorded from a live flow: the server percent-encoded, and a trailing "&".
        return HttpResponse.redirect(_add_query(params["redirect_uri"], callback) + "&")

    # -- Accounts: tokens ---------------------------------------------------------------

    def _token(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse.html(pages.render_error_page("invalid_request", "Use POST"), 405)
        if self.delay > 0 and not self._server.sleep(self.delay):
            return HttpResponse.dropped()
        params = request.params
        grant_type = params.get("grant_type")
        try:
            if grant_type == "authorization_code":
                access, refresh = self._state.exchange(
                    params.get("client_id"),
                    params.get("client_secret"),
                    params.get("code"),
                    params.get("redirect_uri"),
                )
            elif grant_type == "refresh_token":
                access = self._state.refresh(
                    params.get("client_id"),
                    params.get("client_secret"),
                    params.get("refresh_token"),
                )
                refresh = None
            else:
                raise OAuthError("unsupported_grant_type")
        except OAuthError as error:
            # Zoho reports OAuth errors with HTTP 200, except its throttle (HTTP 400).
            return HttpResponse.json(error.payload(), status=error.http_status)
        payload: dict[str, Any] = {"access_token": access.token}
        if refresh is not None:
            payload["refresh_token"] = refresh.token
        payload.update(
            {
                "scope": ",".join(access.scopes),
                "api_domain": self.api_domain,
                "token_type": "Bearer",
            }
        )
        if self.legacy_expiry:
            # The older shape Zoho answered with (and its SDK still reads): milliseconds in
            # ``expires_in``, seconds in ``expires_in_sec``.
            payload["expires_in"] = self.access_token_lifetime * 1000
            payload["expires_in_sec"] = self.access_token_lifetime
        else:
            payload["expires_in"] = self.access_token_lifetime
        return HttpResponse.json(payload)

    def _revoke(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse.html(pages.render_error_page("invalid_request", "Use POST"), 405)
        if self._state.revoke(request.params.get("token")):
            return HttpResponse.json({"status": "success"})
        return HttpResponse.json({"error": "invalid_token", "status": "failure"}, status=400)

    # -- Accounts: incremental authorisation (see testing/scope_enhance.py) ------------

    def _scope_enhance(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse.html(pages.render_error_page("invalid_request", "Use POST"), 405)
        try:
            token = self._enhancements.issue(request.params)
        except OAuthError as error:
            return HttpResponse.json(error.payload())
        return HttpResponse.json({"enhance_token": token, "status": "success"})

    def _add_extra_scope(self, request: HttpRequest) -> HttpResponse:
        params = request.params
        if params.get("response_type") != "update_scopes":
            return self._error_page("unsupported_response_type", "Invalid Response Type")
        # Otherwise the same checks as a consent: client, redirect URI, scopes.
        error = self._check_authorization({**params, "response_type": "code"})
        if error is not None:
            return error
        try:
            self._enhancements.apply(params)
        except OAuthError as err:
            return self._error_page(err.error, "Invalid Request")
        callback = {"state": params["state"]} if "state" in params else {}
        callback.update({"location": self.location, "accounts-server": self.url})
        return HttpResponse.redirect(_add_query(params["redirect_uri"], callback))

    # -- CRM API ------------------------------------------------------------------------

    def _record_crm_call(self, request: HttpRequest) -> None:
        token = crm.bearer_token(request)
        access = self._state.resolve(token)
        call = CrmCall(request.path, token, access.user.email if access is not None else None)
        with self._log_lock:
            self._crm_calls.append(call)

    def _crm(self, request: HttpRequest) -> HttpResponse:
        api = crm.CrmApi(self.modules, self.users, enforce_scopes=self.enforce_scopes)
        return api.handle(request, self._state.resolve(crm.bearer_token(request)))

    def _books(self, request: HttpRequest) -> HttpResponse:
        token = crm.bearer_token(request)
        return self.books.handle(request, token, self._state.resolve(token))


def _add_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` appended to whatever query string it already has."""
    split = urlsplit(url)
    query = parse_qsl(split.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(split._replace(query=urlencode(query)))
