"""The parts of one call of an async session (:mod:`zoho_tokens.api.asession`): what the
session learnt from its token's row, the call with the step it is at, and the steps'
names (for the error when the call's deadline runs out).
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import certifi

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.accounts.destinations import api_domain_for
from zoho_tokens.api.services import Service, base_url, service_origins
from zoho_tokens.limits.gate import organization_of
from zoho_tokens.models import ZohoToken

__all__ = [
    "READING_TOKEN",
    "REFRESHING_REJECTED",
    "Bound",
    "StepCall",
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
