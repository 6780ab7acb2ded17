"""Every Zoho API as the user, from async code: ``httpx`` sessions that never block the loop.

>>> async with asession_for(request.user, "books") as zoho:  # doctest: +SKIP
...     invoices = (await zoho.get("invoices")).json()["invoices"]

The async twin of :func:`zoho_tokens.api.session.session_for`, with the same guarantees.
For each request it:

* re-reads the token's row (``sync_to_async``), so a token revoked or handed to another
  user meanwhile fails with :class:`~zoho_tokens.exceptions.NoUsableTokenError` before
  anything is sent; refreshes it when it expires, once per expiry across processes (the
  database lock) and across the coroutines of one process (an ``asyncio.Lock`` per
  token: :mod:`zoho_tokens.api.arefresh`);
* resolves a relative URL against the service's root in the token's data centre, and
  checks the URL of the request actually built (params included) against the token's own
  Zoho hosts before sending it;
* adds Books' ``organization_id`` (the session's, else the user's default organization);
* when Zoho answers that the access token is dead, refreshes it once (forced) and sends
  once more; turns every error answer into this package's exceptions
  (:mod:`zoho_tokens.api.errors`);
* does all of it, refresh and retry included, within one deadline of
  ``ZOHO_TOKENS["HTTP_TIMEOUT"]`` seconds (or the call's ``timeout``), and follows no
  redirect.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import certifi
import httpx
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.api import errors as api_errors
from zoho_tokens.api.arefresh import fresh_row
from zoho_tokens.api.services import Service, base_url, get_service, service_origins
from zoho_tokens.api.session import REFUSED_MEMORY_SECONDS, _api_domain_of, _row_of
from zoho_tokens.api.target import check_origin, resolve_url, wants_organization
from zoho_tokens.api.wire import replayable
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ZohoAPIError, ZohoUnavailableError
from zoho_tokens.models import ZohoToken

__all__ = ["AsyncZohoSession", "asession_for"]

logger = logging.getLogger(__name__)


def asession_for(
    user_or_token: Any, service: str = "crm", *, organization_id: str | None = None
) -> AsyncZohoSession:
    """An async session that calls ``service`` as ``user_or_token``; use it with
    ``async with``.

    The arguments are those of :func:`~zoho_tokens.api.session.session_for`. Nothing is
    read here (a lazy ``request.user`` is not touched in async code): entering the session
    finds the token, and raises :class:`~zoho_tokens.exceptions.NoUsableTokenError` (or
    :class:`~zoho_tokens.exceptions.ReauthorizationRequired`) when there is none usable.
    ``ValueError`` for an unknown service, at once.
    """
    return AsyncZohoSession(user_or_token, get_service(service), organization_id=organization_id)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # The CA bundle httpx uses by default (certifi's); loading it takes milliseconds, so
    # it is loaded once per process, not once per session.
    return ssl.create_default_context(cafile=certifi.where())


class _Bound:
    """What a session learnt from its token's row when it was entered."""

    def __init__(self, row: ZohoToken, service: Service) -> None:
        api_domain = _api_domain_of(row)
        self.token_id: int = row.pk
        self.owner_id: object = row.user_id
        self.base_url = base_url(service, api_domain)
        self.origins = service_origins(api_domain)


class AsyncZohoSession:
    """An ``httpx.AsyncClient`` bound to one stored token and one Zoho service.

    ``get``, ``post``, ``put``, ``patch``, ``delete`` and ``request`` take ``httpx``'s
    arguments (``params``, ``json``, ``data``, ``content``, ``files``, ``headers``) and a
    ``timeout`` in seconds for the whole call. Only answers below 400 are returned.
    """

    def __init__(
        self, user_or_token: Any, service: Service, *, organization_id: str | None = None
    ) -> None:
        self._who = user_or_token
        self.service = service
        #: Books: the organization of every call whose params name none.
        self.organization_id = organization_id
        self._bound: _Bound | None = None
        self._client = httpx.AsyncClient(
            headers={"Accept": "application/json"},
            verify=_tls_context(),
            follow_redirects=False,
            # Each step's own bound; request() holds the whole call to one deadline.
            timeout=zoho_settings.HTTP_TIMEOUT,
        )

    def __repr__(self) -> str:
        token = self._bound.token_id if self._bound else "?"
        return f"<AsyncZohoSession {self.service.name} token={token}>"

    async def __aenter__(self) -> AsyncZohoSession:
        await self.bind()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections of the session's HTTP client."""
        await self._client.aclose()

    @property
    def token_id(self) -> int | None:
        """The id of the session's token (None until it is entered)."""
        return self._bound.token_id if self._bound else None

    async def bind(self) -> None:
        """Find the session's token (done on entering it, or by the first call)."""
        if self._bound is None:
            row = await sync_to_async(_row_of)(self._who)
            self._bound = _Bound(row, self.service)

    async def url_for(self, url: str) -> str:
        """The absolute URL of ``url``; ``ValueError`` for a host that is not this token's."""
        await self.bind()
        assert self._bound is not None
        return resolve_url(url, self._bound.base_url, self._bound.origins, self._bound.token_id)

    async def organizations(self) -> list[dict[str, Any]]:
        """Zoho Books: the organizations this user belongs to (``GET /organizations``)."""
        if self.service.name != "books":
            raise ValueError("organizations() lists Zoho Books organizations only.")
        body = (await self.get("organizations")).json()
        return list(body.get("organizations") or [])

    async def default_organization_id(self) -> str:
        """Zoho Books: the user's default organization (remembered by the session)."""
        if self.organization_id is None:
            organizations = await self.organizations()
            if not organizations:
                raise ZohoAPIError(
                    f"The Zoho user of token {self.token_id} belongs to no Zoho Books "
                    "organization.",
                    code="no_organization",
                    service="books",
                )
            chosen = next((o for o in organizations if o.get("is_default_org")), organizations[0])
            self.organization_id = str(chosen["organization_id"])
        return self.organization_id

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """``GET url`` as the token's user."""
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """``POST url`` as the token's user."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        """``PUT url`` as the token's user."""
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        """``PATCH url`` as the token's user."""
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        """``DELETE url`` as the token's user."""
        return await self.request("DELETE", url, **kwargs)

    @sensitive_variables()
    async def request(
        self, method: str, url: str, *, timeout: float | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one request as the token's user (see the module docstring)."""
        limit = float(timeout or zoho_settings.HTTP_TIMEOUT)
        try:
            return await asyncio.wait_for(self._request(method, url, kwargs), limit)
        except asyncio.TimeoutError:
            raise ZohoUnavailableError(
                f"{self.service.label} did not answer within {limit:g} seconds.",
                error="timeout",
            ) from None

    @sensitive_variables()
    async def _request(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Response:
        full_url = await self.url_for(url)
        bound = self._bound
        assert bound is not None
        params = kwargs.pop("params", None)
        if wants_organization(self.service, full_url, params):
            params = {**(params or {}), "organization_id": await self.default_organization_id()}
        call = _Call(method, full_url, params, kwargs)
        row = await fresh_row(bound.token_id, owner_id=bound.owner_id)
        sent_with = row.access_token or ""
        response = await self._send(call, sent_with)
        if api_errors.is_dead_token(self.service, response) and replayable(kwargs):
            response = await self._retry(response, sent_with, call)
        organization = call.organization or self.organization_id
        error = api_errors.error_for(self.service, bound.token_id, response, organization)
        if error is not None:
            raise error
        return response

    @sensitive_variables()
    async def _retry(self, rejection: httpx.Response, rejected: str, call: _Call) -> httpx.Response:
        """Refresh once for the access token Zoho rejected, send once more."""
        bound = self._bound
        assert bound is not None
        memory = f"zoho_tokens:api:refused:{self.service.name}:{bound.token_id}"
        first = api_errors.read_error(rejection)
        books_57 = self.service.name == "books" and first.code == "57"
        if books_57 and await cache.aget(memory):
            raise api_errors.refused_after_refresh(self.service, bound.token_id, first)
        logger.info(
            "Zoho token %s: %s rejected its access token (%s); refreshing once and retrying.",
            bound.token_id,
            self.service.label,
            first.code,
        )
        row = await fresh_row(
            bound.token_id, owner_id=bound.owner_id, rejected_access_token=rejected
        )
        response = await self._send(call, row.access_token or "")
        if api_errors.is_dead_token(self.service, response):
            error = api_errors.read_error(response)
            if self.service.name == "books" and error.code == "57":
                await cache.aset(memory, True, REFUSED_MEMORY_SECONDS)
            raise api_errors.refused_after_refresh(self.service, bound.token_id, error)
        return response

    @sensitive_variables()
    async def _send(self, call: _Call, access_token: str) -> httpx.Response:
        """One request; the URL of the request as built is checked before it is sent."""
        bound = self._bound
        assert bound is not None
        headers = {**(call.kwargs.get("headers") or {})}
        headers["Authorization"] = f"Zoho-oauthtoken {access_token}"
        built = self._client.build_request(
            call.method, call.url, params=call.params, **{**call.kwargs, "headers": headers}
        )
        check_origin(str(built.url), bound.origins, bound.token_id)
        try:
            return await self._client.send(built)
        except httpx.TimeoutException as err:
            raise ZohoUnavailableError(
                f"{self.service.label} at {built.url.host} did not answer in time.",
                error="timeout",
            ) from err
        except (httpx.HTTPError, OSError) as err:
            # Not chained: the frames of httpx below hold the Authorization header.
            raise ZohoUnavailableError(
                f"{self.service.label} at {built.url.host} could not be reached "
                f"({type(err).__name__}).",
                error="unreachable",
            ) from None


class _Call:
    """One call as the caller made it: sent once, and once more after a refresh."""

    def __init__(self, method: str, url: str, params: Any, kwargs: dict[str, Any]) -> None:
        self.method = method
        self.url = url
        self.params = params
        self.kwargs = kwargs

    @property
    def organization(self) -> str | None:
        if isinstance(self.params, Mapping) and self.params.get("organization_id"):
            return str(self.params["organization_id"])
        return None
