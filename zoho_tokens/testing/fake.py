"""``FakeZoho``: Zoho Accounts, the Zoho CRM API and Zoho Books on one loopback HTTP socket.

This module is the façade a test talks to: settings, users, tokens, faults and what was
recorded. The HTTP side lives in :mod:`.routing` (which handler, which fault),
:mod:`.accounts`, :mod:`.crm` and :mod:`.books` (the handlers); the memory in :mod:`.state`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from zoho_tokens.testing.accounts.directory import Directory
from zoho_tokens.testing.accounts.handlers import AUTH_PATH, REVOKE_PATH, TOKEN_PATH
from zoho_tokens.testing.accounts.state import AccountsState
from zoho_tokens.testing.accounts.tokens import DEFAULT_SCOPES, TokenPolicy, parse_scopes
from zoho_tokens.testing.accounts.users import DEFAULT_USER, FakeZohoUser
from zoho_tokens.testing.books import handlers as books
from zoho_tokens.testing.browser import follow_consent
from zoho_tokens.testing.controls import FakeZohoControls
from zoho_tokens.testing.crm import handlers as crm
from zoho_tokens.testing.desk.handlers import DeskState
from zoho_tokens.testing.people import FakeZohoPeople
from zoho_tokens.testing.projects.handlers import ProjectsState
from zoho_tokens.testing.server.faults import FaultBook
from zoho_tokens.testing.server.http import HttpRequest, HttpResponse, LoopbackServer
from zoho_tokens.testing.server.limits import ApiLimits
from zoho_tokens.testing.server.records import RequestLog
from zoho_tokens.testing.server.routing import FakeZohoApp

__all__ = ["FakeZoho"]


class FakeZoho(FakeZohoPeople, FakeZohoControls):
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

    What a test reads and changes behind the clients' backs (limits, tokens, the clock,
    faults, recorded requests) is documented on :class:`FakeZohoControls`.
    """

    def __init__(
        self,
        # zoho_tokens.conf.transport.FAKE_CLIENT_ID names it for the deploy check W018
        # (not imported: this module imports without Django).
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
        #: The OAuth client id the fake accepts (see :meth:`add_client` for more).
        self.client_id = client_id
        #: The secret that goes with :attr:`client_id`.
        self.client_secret = client_secret
        #: The data centre reported in the callback's ``location`` parameter.
        self.location = location
        self._directory = Directory(
            {client_id: client_secret}, list(users) if users is not None else [DEFAULT_USER]
        )
        if not self._directory.users:
            raise ValueError("FakeZoho needs at least one user")
        policy = TokenPolicy(access_token_lifetime, code_lifetime, refresh_limit)
        self._state = AccountsState(self._directory, policy)
        #: Zoho Books: organizations (the first users are admins of one), records, calls.
        self.books = books.BooksState(self._directory.users, self._state.now)
        #: Zoho Desk and Zoho Projects; the API limits per organisation (cap, credits, latency).
        self.desk, self.projects, self.limits = DeskState(), ProjectsState(), ApiLimits()
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
        #: Seconds each API answer waits, per service (``{"crm": 0.2, "books": 0.2}``):
        #: a Zoho that takes its time, as the real one does, for measuring concurrency.
        self.api_latency: dict[str, float] = {}
        #: Seconds in the ``Retry-After`` header of a CRM ``"throttle"`` fault's 429 (Zoho
        #: sends it only sometimes: None, the default, sends none).
        self.crm_retry_after: int | None = None
        #: Answer token requests in Zoho's older shape (``expires_in`` in milliseconds
        #: beside ``expires_in_sec``).
        self.legacy_expiry = False
        #: Say in token answers which scopes the token has (``scope``), as Zoho does today;
        #: False answers without it, as some older answers did.
        self.scope_in_token_answers = True
        self._consenting_user: FakeZohoUser | None = None
        self._reported_api_domain: str | None = None
        self._faults = FaultBook()
        self._log = RequestLog()
        self._server = LoopbackServer(self._answer, port, log_requests=log_requests)
        self._app = FakeZohoApp(self, self._state, self._log, self._faults, self._server.sleep)

    def _answer(self, request: HttpRequest) -> HttpResponse:
        """Everything the fake does over HTTP (see :mod:`.routing`)."""
        return self._app(request)

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

    def __exit__(self, *exc_info: object) -> None:
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
        """The CRM API domain the token endpoint reports (``api_domain``): :attr:`url`,
        unless a test set another (an attacker's host, which clients must refuse)."""
        return self._reported_api_domain or self.url

    @api_domain.setter
    def api_domain(self, value: str | None) -> None:
        self._reported_api_domain = value

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

    # -- records ----------------------------------------------------------------------

    @property
    def leads(self) -> list[dict[str, Any]]:
        """The records ``GET /crm/v8/Leads`` returns (the live list: edit it freely)."""
        return self.modules["Leads"]

    @leads.setter
    def leads(self, records: Iterable[dict[str, Any]]) -> None:
        self.modules["Leads"] = list(records)

    # -- playing the browser ----------------------------------------------------------

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
        return follow_consent(self, authorize_url, accept=accept, user=user, timeout=timeout)
