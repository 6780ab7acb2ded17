"""Every Zoho API as the user: ``requests`` sessions that carry one user's own token.

>>> session = session_for(request.user, "books")  # doctest: +SKIP
>>> session.get("estimates").json()["estimates"]  # doctest: +SKIP

A session made by :func:`session_for` belongs to one stored token (the user's, or the
``ZohoToken`` given) and one service (:mod:`zoho_tokens.api.services`). For each request it:

* re-reads the token's row, so a token revoked meanwhile fails with
  :class:`~zoho_tokens.exceptions.NoUsableTokenError` before anything is sent, and reads its
  access token through :func:`zoho_tokens.tokens.refresh.ensure_fresh`, the one single-flight
  refresh this package has;
* resolves a relative URL against the service's root in the token's own data centre, and
  refuses an absolute URL on any other host: the token never leaves its Zoho domains;
* adds the context the service wants (:mod:`zoho_tokens.api.context`): Books'
  ``organization_id``, Desk's ``orgId`` header, the Projects portal in the path (the
  session's, else the user's default, found once);
* waits for a free slot of the organisation's cap on calls in flight, shared by every
  worker (:mod:`zoho_tokens.limits`), and keeps what the answer says about the limits;
  a 429 makes every worker wait Zoho's delay, then raises
  :class:`~zoho_tokens.exceptions.ZohoThrottledError` (or, with ``LIMITS["RETRIES"]``,
  sends an idempotent call again after the delay);
* sends with a total time limit of ``ZOHO_TOKENS["HTTP_TIMEOUT"]`` seconds (connecting,
  and reading the whole answer), and follows no redirect;
* when Zoho answers that the access token is dead (CRM ``INVALID_TOKEN`` or
  ``AUTHENTICATION_FAILURE``, Books 57 or 14),
  refreshes it once (forced, still single-flight across workers) and sends again once;
* turns every error answer into this package's exceptions (:mod:`zoho_tokens.api.errors`).

It never falls back to another token: not another user's, not an organisation's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.cache import cache
from django.db import router
from django.views.decorators.debug import sensitive_variables
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import Timeout

from zoho_tokens.api import context
from zoho_tokens.api import errors as api_errors
from zoho_tokens.api.limited import LimitedCall, send_within_limits
from zoho_tokens.api.services import Service, base_url, get_service, service_origins
from zoho_tokens.api.wire import ZohoAuth, read_body, replayable
from zoho_tokens.conf import zoho_settings
from zoho_tokens.conf.datacenters import DATA_CENTERS, normalize_origin
from zoho_tokens.exceptions import (
    NoUsableTokenError,
    ZohoAPIError,
    ZohoUnavailableError,
)
from zoho_tokens.limits.gate import organization_of
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.lookups import Lookup, active_token_of_user, read_active, require_usable
from zoho_tokens.tokens.refresh import ensure_fresh

__all__ = ["ZohoSession", "session_for"]

logger = logging.getLogger(__name__)

#: One call: method, absolute URL, params, the other keyword arguments, the time limit.
_Call = tuple[str | bytes, str, Any, dict[str, Any], float]

#: Seconds during which a Books 57 for a token does not force another refresh, once a
#: freshly refreshed token was refused too (a permission, not a dead token). Without it,
#: every call a user's role forbids would spend one of Zoho's 10 refreshes per 10 minutes.
REFUSED_MEMORY_SECONDS = 600


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
    when there is no usable token; ``ValueError`` for an unknown service.
    """
    known = get_service(service)
    return ZohoSession(_row_of(user_or_token), known, organization_id=organization_id)


def _row_of(user_or_token: Any) -> ZohoToken:
    if isinstance(user_or_token, ZohoToken):
        return _reread(user_or_token.pk)
    using = router.db_for_read(ZohoToken)
    return active_token_of_user(user_or_token, using, caller="session_for", service="Zoho")


def _reread(pk: int) -> ZohoToken:
    """Token ``pk`` as stored now; NoUsableTokenError (or a kind of it) unless active."""
    # Every request re-reads the row: the precompiled read of lookups.py keeps that cheap.
    row = read_active(Lookup((("id", (pk,)),)), router.db_for_read(ZohoToken))
    if row is not None:
        return row
    row = ZohoToken.objects.filter(pk=pk).first()
    return require_usable(row, pk, unless="; the user must connect Zoho again")


def _api_domain_of(row: ZohoToken) -> str:
    """The API domain Zoho gave the token; for a token without one, its data centre's."""
    if row.api_domain:
        return row.api_domain
    if row.location in DATA_CENTERS and row.location != zoho_settings.DATA_CENTER:
        return DATA_CENTERS[row.location].api_domain
    # The default data centre, where ZOHO_TOKENS["API_DOMAIN"] (a proxy, the fake) applies.
    return zoho_settings.data_center.api_domain


class ZohoSession(requests.Session):
    """A ``requests.Session`` bound to one stored token and one Zoho service.

    Use it as any session (``get``, ``post``, ``request`` ...; as a context manager too).
    URLs are relative to :attr:`base_url` (``"estimates"`` and ``"/estimates"`` alike).
    Only answers below 400 are returned; the others raise. Redirects are not followed, and
    the answer is read whole (``stream`` is ignored) within the time limit.
    """

    def __init__(
        self, row: ZohoToken, service: Service, *, organization_id: str | None = None
    ) -> None:
        super().__init__()
        api_domain = _api_domain_of(row)
        self.token_id: int = row.pk
        #: The Zoho organisation of the token (the CRM's ``zgid``), whose limits it spends.
        self.organization = organization_of(row.user_name)
        self.service = service
        self.base_url = base_url(service, api_domain)
        #: Books: the organization of every call whose params name none; Desk: its
        #: ``orgId``; Projects: the portal. None: the user's default, found on first use.
        self.organization_id = organization_id
        self._origins = service_origins(api_domain)
        self.headers["Accept"] = "application/json"

    def __repr__(self) -> str:
        return f"<ZohoSession {self.service.name} token={self.token_id} base_url={self.base_url}>"

    def url_for(self, url: str) -> str:
        """The absolute URL of ``url``; ``ValueError`` for a host that is not this token's."""
        if urlsplit(url).scheme:
            if normalize_origin(url) not in self._origins:
                raise ValueError(
                    f"{normalize_origin(url) or url!r} is not a Zoho host of token "
                    f"{self.token_id}'s data centre; its token is never sent there."
                )
            return url
        return f"{self.base_url}/{url.lstrip('/')}"

    def organizations(self) -> list[dict[str, Any]]:
        """Books and Desk: the organizations this user belongs to (``GET /organizations``);
        Projects: the user's portals (``GET /portals``)."""
        if self.service.name not in context.LISTS:
            raise ValueError(
                "organizations() lists the organizations of Zoho Books and Zoho Desk, and "
                "the portals of Zoho Projects."
            )
        return context.listed(self.service, self.get(context.LISTS[self.service.name]).json())

    def default_organization_id(self) -> str:
        """Books, Desk: the user's default organization; Projects: their default portal
        (found once, then remembered by the session; ``organization_id=`` overrides it)."""
        if self.organization_id is None:
            organizations = self.organizations()
            if not organizations:
                raise ZohoAPIError(
                    f"The Zoho user of token {self.token_id} belongs to no "
                    f"{self.service.label} organization.",
                    code="no_organization",
                    service=self.service.name,
                )
            self.organization_id = context.default_of(organizations)
        return self.organization_id

    def _with_context(self, url: str, params: Any, kwargs: dict[str, Any]) -> tuple[str, Any]:
        headers = dict(kwargs.get("headers") or {})
        if not context.needs_context(self.service, url, params, headers):
            return url, params
        url, params = context.with_context(
            self.service, self.base_url, url, params, headers, self.default_organization_id()
        )
        kwargs["headers"] = headers
        return url, params

    @sensitive_variables()
    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, params: Any = None, **kwargs: Any
    ) -> requests.Response:
        """Send one request as the token's user (see the class and module docstrings)."""
        full_url = self.url_for(url.decode() if isinstance(url, bytes) else url)
        full_url, params = self._with_context(full_url, params, kwargs)
        limit = kwargs.pop("timeout", None) or zoho_settings.HTTP_TIMEOUT
        kwargs.pop("stream", None)
        kwargs["allow_redirects"] = False
        row = self._fresh_row()
        sent_with = row.access_token or ""
        call = (method, full_url, params, kwargs, float(limit))
        response = self._call(call, row, sent_with)
        if api_errors.is_dead_token(self.service, response) and replayable(kwargs):
            response = self._retry(response, row, sent_with, call)
        error = api_errors.error_for(self.service, self.token_id, response, self._org(params))
        if error is not None:
            raise error
        return response

    def _limits_org(self, params: Any) -> str:
        """Whose limits a call spends: the Books organization, Desk's org, the Projects
        portal; else (the CRM) the token's organisation."""
        if self.service.name in context.LISTS:
            return self._org(params) or self.organization
        return self.organization

    @sensitive_variables()
    def _call(self, call: _Call, row: ZohoToken, access_token: str) -> requests.Response:
        """Send within the organisation's limits (:mod:`zoho_tokens.api.limited`)."""
        method, url, params, kwargs, limit = call
        verb = method.decode() if isinstance(method, bytes) else method
        limited = LimitedCall(
            self.service,
            self._limits_org(params),
            verb,
            replayable(kwargs),
            token_id=self.token_id,
            stored_expiry_ms=row.expires_at_ms,
        )
        response: requests.Response = send_within_limits(
            limited, lambda: self._send(method, url, params, kwargs, access_token, limit)
        )
        return response

    @sensitive_variables()
    def _retry(
        self,
        rejection: requests.Response,
        row: ZohoToken,
        rejected: str,
        call: _Call,
    ) -> requests.Response:
        """Refresh once for the access token Zoho rejected, send once more."""
        memory = f"zoho_tokens:api:refused:{self.service.name}:{self.token_id}"
        first = api_errors.read_error(rejection)
        if self.service.name == "books" and first.code == "57" and cache.get(memory):
            raise api_errors.refused_after_refresh(self.service, self.token_id, first)
        logger.info(
            "Zoho token %s: %s rejected its access token (%s); refreshing once and retrying.",
            self.token_id,
            self.service.label,
            first.code,
        )
        row = ensure_fresh(row, rejected_access_token=rejected)
        response = self._call(call, row, row.access_token or "")
        if api_errors.is_dead_token(self.service, response):
            error = api_errors.read_error(response)
            if self.service.name == "books" and error.code == "57":
                cache.set(memory, True, REFUSED_MEMORY_SECONDS)
            raise api_errors.refused_after_refresh(self.service, self.token_id, error)
        return response

    def _fresh_row(self) -> ZohoToken:
        row = ensure_fresh(_reread(self.token_id))
        if not row.access_token_encrypted:
            raise NoUsableTokenError(
                f"Zoho token {self.token_id} has no access token and nothing to refresh it "
                "with; the user must connect Zoho again."
            )
        return row

    def _org(self, params: Any) -> str | None:
        if isinstance(params, Mapping) and params.get("organization_id"):
            return str(params["organization_id"])
        return self.organization_id

    @sensitive_variables()
    def _send(
        self,
        method: str | bytes,
        url: str,
        params: Any,
        kwargs: dict[str, Any],
        access_token: str,
        limit: float,
    ) -> requests.Response:
        """One request, its whole answer read within ``limit`` seconds."""
        deadline = time.monotonic() + limit
        host = normalize_origin(url)
        try:
            response = super().request(
                method,
                url,
                params=params,
                auth=ZohoAuth(access_token),
                # urllib3's total: connecting and the answer's headers share one limit.
                timeout=Timeout(connect=limit, read=limit, total=limit),  # type: ignore[arg-type]
                stream=True,
                **kwargs,
            )
            read_body(response, deadline)
        except (requests.Timeout, TimeoutError) as err:
            raise ZohoUnavailableError(
                f"{self.service.label} at {host} did not answer within {limit:g} seconds.",
                error="timeout",
            ) from err
        except (requests.RequestException, Urllib3Error, OSError) as err:
            # Error reports show the frames of requests and urllib3 below, whose locals hold
            # the Authorization header: sensitive_variables on request() hides them all.
            raise ZohoUnavailableError(
                f"{self.service.label} at {host} could not be reached ({type(err).__name__}).",
                error="unreachable",
            ) from err
        return response
