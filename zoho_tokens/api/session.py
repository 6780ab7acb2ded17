"""Every Zoho API as the user: ``requests`` sessions that carry one user's own token.

>>> session = session_for(request.user, "books")  # doctest: +SKIP
>>> session.get("estimates").json()["estimates"]  # doctest: +SKIP

A session made by :func:`session_for` belongs to one stored token (the user's, or the
``ZohoToken`` given) and one service (:mod:`zoho_tokens.api.services`). For each request it:

* re-reads the token's row, so a token revoked meanwhile, or moved to another Django user
  (``ALLOW_ACCOUNT_TRANSFER``), fails with :class:`~zoho_tokens.exceptions.NoUsableTokenError`
  before anything is sent, and reads its access token through
  :func:`zoho_tokens.tokens.refresh.ensure_fresh`, the one single-flight refresh this
  package has;
* resolves a relative URL against the service's root in the token's own data centre, and
  refuses (:class:`~zoho_tokens.exceptions.UntrustedHostError`) a URL on any other host, or
  one whose host URL parsers could read differently; the request actually sent is checked
  again at the moment it is sent, after every hook (:class:`~zoho_tokens.api.wire.DestinationGuard`):
  the token never leaves its Zoho hosts;
* adds the context the service wants (:mod:`zoho_tokens.api.books`,
  :mod:`zoho_tokens.api.context`): Books' ``organization_id``, Desk's ``orgId`` header, the
  Projects portal in the path (the session's, else the user's default, found once);
* waits for a free slot of the organisation's cap on calls in flight, shared by every
  worker (:mod:`zoho_tokens.limits`), and keeps what the answer says about the limits;
  a 429 makes every worker wait Zoho's delay, then raises
  :class:`~zoho_tokens.exceptions.ZohoThrottledError` (or, with ``LIMITS["RETRIES"]``,
  sends an idempotent call again after the delay) (:mod:`zoho_tokens.api.limited`);
* gives the whole call one time limit, ``ZOHO_TOKENS["HTTP_TIMEOUT"]`` seconds (or the
  call's ``timeout=``): a refresh that is due, sending, reading the whole answer, and after a
  dead access token the refresh and the second send share it, and the error says which step
  ran out (:class:`~zoho_tokens.accounts.deadline.Deadline`); no redirect is followed;
* when Zoho answers that the access token is dead (CRM ``INVALID_TOKEN`` or
  ``AUTHENTICATION_FAILURE``, Books 57 or 14), refreshes it once (forced, still
  single-flight across workers) and sends again once;
* turns every error answer into this package's exceptions (:mod:`zoho_tokens.api.errors`).

It never falls back to another token: not another user's, not an organisation's.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables
from requests.adapters import BaseAdapter
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import Timeout

from zoho_tokens import signals
from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.accounts.destinations import api_domain_for, checked_destination
from zoho_tokens.api import errors as api_errors
from zoho_tokens.api.books import BooksOrganization
from zoho_tokens.api.calls import Call, fresh_row, reread, row_of
from zoho_tokens.api.limited import WithinLimits
from zoho_tokens.api.rejections import (
    REFUSED_MEMORY_SECONDS,
    Rejection,
    refused_memory_key,
    remembers_refusal,
)
from zoho_tokens.api.services import Service, base_url, get_service, service_origins
from zoho_tokens.api.wire import (
    DestinationGuard,
    ZohoAuth,
    call_time_limit,
    is_absolute,
    read_body,
    replayable,
)
from zoho_tokens.conf.datacenters import normalize_origin
from zoho_tokens.exceptions import (
    ZohoTokensError,
    ZohoUnavailableError,
)
from zoho_tokens.limits.gate import organization_of
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.lookups import (
    require_owner,
)
from zoho_tokens.tokens.refresh import ensure_fresh

__all__ = ["ZohoSession", "session_for"]

logger = logging.getLogger(__name__)

#: The steps of a call, as its deadline names them when it runs out.
SENDING = "sending the request and reading the answer"
RESENDING = "sending the request again after refreshing the access token"


def session_for(
    user_or_token: Any, service: str = "crm", *, organization_id: str | None = None
) -> ZohoSession:
    """A ``requests`` session that calls ``service`` as ``user_or_token``.

    ``user_or_token`` is a Django user (their most recently updated active token) or a
    :class:`~zoho_tokens.models.ZohoToken`. ``service`` is a name of
    :data:`zoho_tokens.api.services.SERVICES` (``"crm"``, ``"books"``, ``"desk"``,
    ``"projects"``). ``organization_id`` is the Books organization every call goes to
    unless the call's ``params`` name one, the Desk ``orgId``, or the Projects portal
    (default: the user's default organization or portal).

    Raises :class:`~zoho_tokens.exceptions.NoUsableTokenError` (or
    :class:`~zoho_tokens.exceptions.ReauthorizationRequired`) at once, before any request,
    when there is no usable token; ``ValueError`` for an unknown service;
    :class:`~zoho_tokens.exceptions.UntrustedAPIDomainError` for a token whose stored API
    domain is no longer a trusted one (the settings changed).
    """
    known = get_service(service)
    return ZohoSession(row_of(user_or_token), known, organization_id=organization_id)


class ZohoSession(WithinLimits, BooksOrganization, requests.Session):
    """A ``requests.Session`` bound to one stored token and one Zoho service.

    Use it as any session (``get``, ``post``, ``request`` ...; as a context manager too).
    URLs are relative to :attr:`base_url` (``"estimates"`` and ``"/estimates"`` alike).
    Only answers below 400 are returned; the others raise. Redirects are not followed, and
    the answer is read whole (``stream`` is ignored) within the call's time limit. Every
    request leaves through :class:`~zoho_tokens.api.wire.DestinationGuard` (also around an
    adapter you mount), which refuses any host but the token's Zoho hosts.
    """

    def __init__(
        self, row: ZohoToken, service: Service, *, organization_id: str | None = None
    ) -> None:
        super().__init__()
        api_domain = api_domain_for(row.api_domain, row.location)
        self.token_id: int = row.pk
        #: The Django user (pk) the token belonged to when the session was made; every
        #: request checks it still does.
        self.owner_id: Any = row.user_id
        #: The Zoho organisation of the token (the CRM's ``zgid``), whose limits it spends.
        self.organization = organization_of(row.user_name)
        self.service = service
        self.base_url = base_url(service, api_domain)
        #: Books: the organization of every call whose params name none; Desk: its
        #: ``orgId``; Projects: the portal. None: the user's default, found on first use.
        self.organization_id = organization_id
        self._origins = service_origins(api_domain)
        # How many request() calls of this thread are sending (send() checks the others).
        self._sending = threading.local()
        self.headers["Accept"] = "application/json"
        for prefix in ("https://", "http://"):
            self.mount(prefix, DestinationGuard(self.adapters[prefix], self._origins))

    def __repr__(self) -> str:
        return f"<ZohoSession {self.service.name} token={self.token_id} base_url={self.base_url}>"

    def url_for(self, url: str) -> str:
        """The absolute URL of ``url``; :class:`~zoho_tokens.exceptions.UntrustedHostError`
        (a ``ValueError``) for a host that is not this token's, or one that URL parsers
        could read differently."""
        full_url = url if is_absolute(url) else f"{self.base_url}/{url.lstrip('/')}"
        checked_destination(full_url, self._origins)
        return full_url

    def get_adapter(self, url: str) -> BaseAdapter:
        """The adapter for ``url``, always behind the destination check (one you mounted
        is wrapped in it)."""
        adapter = super().get_adapter(url)
        if isinstance(adapter, DestinationGuard) and adapter.allowed == self._origins:
            return adapter
        return DestinationGuard(adapter, self._origins)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send a prepared ``request``. Sent directly (not by :meth:`request`, which checks
        first), say a request prepared earlier that still carries the access token: only
        while the token is usable and still its owner's, like every request."""
        if not getattr(self._sending, "depth", 0):
            require_owner(reread(self.token_id), self.owner_id)
        return super().send(request, **kwargs)

    @sensitive_variables()
    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, params: Any = None, **kwargs: Any
    ) -> requests.Response:
        """Send one request as the token's user (see the class and module docstrings)."""
        started = time.perf_counter()
        outcome = "error"
        try:
            response = self._request(method, url, params, **kwargs)
            outcome = "ok"
            return response
        except ZohoTokensError as err:
            outcome = api_errors.outcome_of(err)
            raise
        finally:
            took = (time.perf_counter() - started) * 1000
            signals.emit(
                "api_call",
                self.token_id,
                outcome,
                service=self.service.name,
                duration_ms=took,
                logger=logger,
                message=f"{self.service.label} call as Zoho token {self.token_id}: {outcome}.",
            )

    @sensitive_variables()
    def _request(
        self, method: str | bytes, url: str | bytes, params: Any = None, **kwargs: Any
    ) -> requests.Response:
        full_url = self.url_for(url.decode() if isinstance(url, bytes) else url)
        what = f"{self.service.label} call"
        deadline = Deadline.starting_now(call_time_limit(kwargs.pop("timeout", None)), what)
        full_url, params = self._with_context(full_url, params, kwargs, deadline)
        kwargs.pop("stream", None)
        kwargs["allow_redirects"] = False
        row = fresh_row(self.token_id, self.owner_id, deadline)
        # The token travels in a ZohoAuth (its repr, and the header's, hide it): with DEBUG
        # on, Django's error page shows every frame's locals, sensitive_variables or not.
        sent_with = ZohoAuth(row.access_token or "")
        call = Call(method, full_url, params, kwargs, deadline)
        response = self._send_limited(call, row, sent_with, SENDING)
        if api_errors.is_dead_token(self.service, response) and replayable(kwargs):
            response = self._retry(response, row, sent_with, call)
        error = api_errors.error_for(self.service, self.token_id, response, self._org(params))
        if error is not None:
            raise error
        return response

    @sensitive_variables()
    def _retry(
        self, rejection: requests.Response, row: ZohoToken, rejected: ZohoAuth, call: Call
    ) -> requests.Response:
        """Refresh once for the access token Zoho rejected, send once more."""
        memory = refused_memory_key(self.service, self.token_id)
        first = api_errors.read_error(rejection)
        method = call.method.decode() if isinstance(call.method, bytes) else call.method
        rejected_for = Rejection(self.service, self.token_id, (method, call.url), row.scopes)
        remembered = remembers_refusal(self.service, first) and bool(cache.get(memory))
        refusal = rejected_for.before_refresh(first, remembered=remembered, logger=logger)
        if refusal is not None:
            raise refusal
        row = ensure_fresh(row, rejected_access_token=rejected.access_token, deadline=call.deadline)
        row = require_owner(row, self.owner_id)
        response = self._send_limited(call, row, ZohoAuth(row.access_token or ""), RESENDING)
        if api_errors.is_dead_token(self.service, response):
            error = api_errors.read_error(response)
            if remembers_refusal(self.service, error):
                cache.set(memory, True, REFUSED_MEMORY_SECONDS)
            raise rejected_for.after_refresh(error, row.scopes)
        return response

    @sensitive_variables()
    def _send_limited(
        self, call: Call, row: ZohoToken, auth: ZohoAuth, part: str
    ) -> requests.Response:
        """One request within the organisation's limits (:mod:`zoho_tokens.api.limited`)."""
        response: requests.Response = self._within_limits(
            call.method,
            call.params,
            call.kwargs,
            row.expires_at_ms,
            lambda: self._send(call, auth, part),
            call.deadline,
        )
        return response

    @sensitive_variables()
    def _send(self, call: Call, auth: ZohoAuth, part: str) -> requests.Response:
        """One request, its whole answer read before the call's deadline (``part`` names
        this step in the error when the deadline runs out)."""
        host = normalize_origin(call.url)
        self._sending.depth = getattr(self._sending, "depth", 0) + 1
        try:
            limit = call.deadline.left_for(part)
            response = super().request(
                call.method,
                call.url,
                params=call.params,
                auth=auth,
                # urllib3's total: connecting and the answer's headers share one limit.
                timeout=Timeout(connect=limit, read=limit, total=limit),  # type: ignore[arg-type]
                stream=True,
                **call.kwargs,
            )
            read_body(response, call.deadline.ends_at)
        except (requests.Timeout, TimeoutError) as err:
            raise call.deadline.ran_out(
                f"{part} ({self.service.label} at {host} did not answer within what was left)"
            ) from err
        except (requests.RequestException, Urllib3Error, OSError) as err:
            # Error reports show the frames of requests and urllib3 below, whose locals hold
            # the Authorization header: sensitive_variables on request() hides them all.
            raise ZohoUnavailableError(
                f"{self.service.label} at {host} could not be reached ({type(err).__name__}).",
                error="unreachable",
            ) from err
        finally:
            self._sending.depth -= 1
        return response
