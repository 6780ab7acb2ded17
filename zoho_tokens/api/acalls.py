"""The parts of one call of an async session (:mod:`zoho_tokens.api.asession`): what the
session learnt from its token's row, the call with the step it is at, the steps' names
(for the error when the call's deadline runs out), and the send itself.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import certifi
import httpx
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.accounts.destinations import api_domain_for, checked_destination
from zoho_tokens.api.services import Service, base_url, service_origins
from zoho_tokens.api.wire import HiddenHeader, ZohoAuth
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ZohoUnavailableError
from zoho_tokens.limits.gate import organization_of
from zoho_tokens.models import ZohoToken

__all__ = [
    "READING_TOKEN",
    "REFRESHING_REJECTED",
    "Bound",
    "StepCall",
    "new_client",
    "send_checked",
    "tls_context",
]

#: The steps of a call before and between the sends (:mod:`zoho_tokens.api.session` names the sends).
READING_TOKEN = "reading the token (and refreshing it when due)"
REFRESHING_REJECTED = "refreshing the access token Zoho rejected"


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of every async session's client."""
    # The CA bundle httpx uses by default (certifi's); loading it takes milliseconds, so
    # it is loaded once per process, not once per session.
    return ssl.create_default_context(cafile=certifi.where())


def new_client() -> httpx.AsyncClient:
    """A session's HTTP client: JSON asked for, Zoho's certificates checked, no redirect
    followed."""
    return httpx.AsyncClient(
        headers={"Accept": "application/json"},
        verify=tls_context(),
        follow_redirects=False,
        # Each step's own bound; the session holds the whole call to one deadline.
        timeout=zoho_settings.HTTP_TIMEOUT,
    )


class Bound:
    """What a session learnt from its token's row when it was entered."""

    def __init__(self, row: ZohoToken, service: Service) -> None:
        api_domain = api_domain_for(row.api_domain, row.location)
        self.token_id: int = row.pk
        self.owner_id: object = row.user_id
        #: The Zoho organisation of the token (the CRM's ``zgid``), whose limits it spends.
        self.organization = organization_of(row.user_name)
        self.base_url = base_url(service, api_domain)
        self.origins = service_origins(api_domain)


@dataclass
class StepCall:
    """One call as the caller made it (sent once, and once more after a refresh), its
    deadline, and the step it is at (named when the deadline runs out)."""

    method: str
    url: str
    params: Any
    kwargs: dict[str, Any]
    deadline: Deadline
    step: str = READING_TOKEN

    @property
    def organization(self) -> str | None:
        if isinstance(self.params, Mapping) and self.params.get("organization_id"):
            return str(self.params["organization_id"])
        return None


@sensitive_variables()
async def send_checked(
    client: httpx.AsyncClient,
    service: Service,
    origins: Any,
    call: StepCall,
    auth: ZohoAuth,
) -> httpx.Response:
    """Send ``call`` with ``auth``'s access token; the URL of the request as built is
    checked against the token's own Zoho hosts (``origins``) before it is sent. Zoho out of
    reach becomes :class:`~zoho_tokens.exceptions.ZohoUnavailableError`."""
    headers = {**(call.kwargs.get("headers") or {})}
    headers["Authorization"] = HiddenHeader(f"Zoho-oauthtoken {auth.access_token}")
    built = client.build_request(
        call.method, call.url, params=call.params, **{**call.kwargs, "headers": headers}
    )
    checked_destination(str(built.url), origins)
    try:
        return await client.send(built)
    except httpx.TimeoutException as err:
        raise ZohoUnavailableError(
            f"{service.label} at {built.url.host} did not answer in time.",
            error="timeout",
        ) from err
    except (httpx.HTTPError, OSError) as err:
        # Not chained: the frames of httpx below hold the Authorization header.
        raise ZohoUnavailableError(
            f"{service.label} at {built.url.host} could not be reached ({type(err).__name__}).",
            error="unreachable",
        ) from None
