"""Every Zoho API as the user, from async code: ``httpx`` sessions that never block the loop.

>>> async with asession_for(request.user, "books") as zoho:  # doctest: +SKIP
...     invoices = (await zoho.get("invoices")).json()["invoices"]

The async twin of :func:`zoho_tokens.api.session.session_for`, with the same guarantees.
For each request it:

* re-reads the token's row (``sync_to_async``; a request sent right after entering uses
  the row read on entering: :class:`~zoho_tokens.api.arefresh.EnteredRow`), so a token
  revoked or handed to another user meanwhile fails with
  :class:`~zoho_tokens.exceptions.NoUsableTokenError` before anything is sent; refreshes
  it when it expires, once per expiry across processes (the database lock) and across
  the coroutines of one process (:mod:`zoho_tokens.api.arefresh`);
* resolves a relative URL against the service's root in the token's data centre, and
  checks the URL of the request actually built (params included) against the token's own
  Zoho hosts before sending it;
* adds the context the service wants, as ``session_for`` does (:mod:`zoho_tokens.api.books`,
  :mod:`zoho_tokens.api.context`): Books' ``organization_id``, Desk's ``orgId`` header, the
  Projects portal in the path (the session's ``organization_id``, else the user's default
  organization or portal, found once and remembered);
* when Zoho answers that the access token is dead, refreshes it once (forced) and sends
  once more; turns every error answer into this package's exceptions
  (:mod:`zoho_tokens.api.errors`);
* does all of it, refresh and retry included, within one deadline of
  ``ZOHO_TOKENS["HTTP_TIMEOUT"]`` seconds (or the call's ``timeout``), and follows no
  redirect.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Any

import httpx
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.accounts.destinations import checked_destination
from zoho_tokens.api import errors as api_errors
from zoho_tokens.api.acalls import (
    READING_TOKEN,
    REFRESHING_REJECTED,
    Bound,
    StepCall,
    new_client,
    send_checked,
)
from zoho_tokens.api.arefresh import EnteredRow, fresh_row
from zoho_tokens.api.books import (
    FINDING_ORGANIZATION,
    default_in,
    needs_organization,
    organizations_in,
    organizations_path,
    with_organization,
)
from zoho_tokens.api.calls import row_of as _row_of
from zoho_tokens.api.context import LISTS
from zoho_tokens.api.limited import LimitedCall, asend_within_limits
from zoho_tokens.api.rejections import (
    REFUSED_MEMORY_SECONDS,
    Rejection,
    refused_memory_key,
    remembers_refusal,
)
from zoho_tokens.api.services import Service, get_service
from zoho_tokens.api.session import RESENDING, SENDING
from zoho_tokens.api.wire import (
    ZohoAuth,
    call_time_limit,
    is_absolute,
    replayable,
)
from zoho_tokens.limits.gate import WAITING_FOR_SLOT
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
        #: Books: the organization of every call whose params name none; Desk: its
        #: ``orgId``; Projects: the portal. None: the user's default, found on first use.
        self.organization_id = organization_id
        self._bound: Bound | None = None
        self._entered_with = EnteredRow()
        self._client = new_client()

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
            self._bound = Bound(row, self.service)
            self._entered_with.keep(row)

    async def url_for(self, url: str) -> str:
        """The absolute URL of ``url``; :class:`~zoho_tokens.exceptions.UntrustedHostError`
        (a ``ValueError``) for a host that is not this token's, or one that URL parsers could
        read differently."""
        await self.bind()
        assert self._bound is not None
        full_url = url if is_absolute(url) else f"{self._bound.base_url}/{url.lstrip('/')}"
        checked_destination(full_url, self._bound.origins)
        return full_url

    async def organizations(self) -> list[dict[str, Any]]:
        """Books and Desk: the organizations this user belongs to (``GET /organizations``);
        Projects: the user's portals (``GET /portals``)."""
        return await self._organizations(None)

    async def _organizations(self, timeout: float | None) -> list[dict[str, Any]]:
        body = (await self.get(organizations_path(self.service), timeout=timeout)).json()
        return organizations_in(self.service, body)

    async def default_organization_id(self) -> str:
        """Books, Desk: the user's default organization; Projects: their default portal
        (found once, then remembered by the session; ``organization_id=`` overrides it)."""
        return await self._default_organization_id(None)

    async def _default_organization_id(self, deadline: Deadline | None) -> str:
        """The default organization, found within what is left of ``deadline``."""
        if self.organization_id is None:
            finding = FINDING_ORGANIZATION.format(service=self.service.label)
            timeout = None if deadline is None else deadline.left_for(finding)
            organizations = await self._organizations(timeout)
            self.organization_id = default_in(self.service, organizations, self.token_id)
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
        deadline = Deadline.starting_now(call_time_limit(timeout), f"{self.service.label} call")
        call = StepCall(method, url, kwargs.pop("params", None), kwargs, deadline)
        try:
            return await asyncio.wait_for(self._request(call), deadline.seconds)
        except asyncio.TimeoutError:
            raise deadline.ran_out(call.step) from None

    @sensitive_variables()
    async def _request(self, call: StepCall) -> httpx.Response:
        call.url = await self.url_for(call.url)
        bound = self._bound
        assert bound is not None
        if needs_organization(self.service, call.url, call.params, call.kwargs):
            call.step = FINDING_ORGANIZATION.format(service=self.service.label)
            found = await self._default_organization_id(call.deadline)
            call.url, call.params = with_organization(
                self.service, bound.base_url, call.url, call.params, call.kwargs, found
            )
        call.step = READING_TOKEN
        row = await fresh_row(
            bound.token_id,
            owner_id=bound.owner_id,
            deadline=call.deadline,
            just_read=self._entered_with.take(),
        )
        # In a ZohoAuth (its repr hides it): Django's DEBUG page shows every frame's locals.
        sent_with = ZohoAuth(row.access_token or "")
        call.step = SENDING
        response = await self._send_limited(call, row, sent_with)
        if api_errors.is_dead_token(self.service, response) and replayable(call.kwargs):
            response = await self._retry(response, row, sent_with, call)
        organization = call.organization or self.organization_id
        error = api_errors.error_for(self.service, bound.token_id, response, organization)
        if error is not None:
            raise error
        return response

    @sensitive_variables()
    async def _retry(
        self, rejection: httpx.Response, row: ZohoToken, rejected: ZohoAuth, call: StepCall
    ) -> httpx.Response:
        """Refresh once for the access token Zoho rejected, send once more."""
        bound = self._bound
        assert bound is not None
        memory = refused_memory_key(self.service, bound.token_id)
        first = api_errors.read_error(rejection)
        rejected_for = Rejection(self.service, bound.token_id, (call.method, call.url), row.scopes)
        remembered = remembers_refusal(self.service, first) and bool(await cache.aget(memory))
        refusal = rejected_for.before_refresh(first, remembered=remembered, logger=logger)
        if refusal is not None:
            raise refusal
        call.step = REFRESHING_REJECTED
        row = await fresh_row(
            bound.token_id,
            owner_id=bound.owner_id,
            rejected_access_token=rejected.access_token,
            deadline=call.deadline,
        )
        call.step = RESENDING
        response = await self._send_limited(call, row, ZohoAuth(row.access_token or ""))
        if api_errors.is_dead_token(self.service, response):
            error = api_errors.read_error(response)
            if remembers_refusal(self.service, error):
                await cache.aset(memory, True, REFUSED_MEMORY_SECONDS)
            raise rejected_for.after_refresh(error, row.scopes)
        return response

    @sensitive_variables()
    async def _send_limited(self, call: StepCall, row: ZohoToken, auth: ZohoAuth) -> httpx.Response:
        """One request within the organisation's limits (:mod:`zoho_tokens.api.limited`)."""
        bound = self._bound
        assert bound is not None
        # Books, Desk, Projects: the organization (portal) the call goes to; the CRM: the
        # token's.
        lists = self.service.name in LISTS
        organization = (call.organization or self.organization_id) if lists else None
        limited = LimitedCall(
            self.service,
            organization or bound.organization,
            call.method,
            replayable(call.kwargs),
            token_id=bound.token_id,
            stored_expiry_ms=row.expires_at_ms,
            deadline=call.deadline,
        )
        sending = call.step

        async def send() -> httpx.Response:
            call.step = sending  # the slot is held: the wait for it is over
            assert bound is not None
            return await send_checked(self._client, self.service, bound.origins, call, auth)

        # Named, so that the deadline running out during the wait says so.
        call.step = WAITING_FOR_SLOT
        response: httpx.Response = await asend_within_limits(limited, send)
        return response
