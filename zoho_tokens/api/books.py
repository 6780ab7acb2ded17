"""Zoho Books' ``organization_id`` on every call of a session, and the organizations it
can name. Internal: the part of :class:`zoho_tokens.api.session.ZohoSession` that only
Books needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from zoho_tokens.api.services import Service
from zoho_tokens.exceptions import ZohoAPIError

if TYPE_CHECKING:
    import requests

__all__ = ["BooksOrganization"]


class BooksOrganization:
    """What a session adds to Zoho Books calls: the organization every call goes to."""

    service: Service
    token_id: int
    #: Books: the organization of every call whose params name none.
    organization_id: str | None

    if TYPE_CHECKING:  # given by requests.Session, which the session class derives from too
        get: Callable[..., requests.Response]

    def organizations(self) -> list[dict[str, Any]]:
        """Zoho Books: the organizations this user belongs to (``GET /organizations``)."""
        if self.service.name != "books":
            raise ValueError("organizations() lists Zoho Books organizations only.")
        body = self.get("organizations").json()
        return list(body.get("organizations") or [])

    def default_organization_id(self) -> str:
        """Zoho Books: the user's default organization (remembered by the session)."""
        if self.organization_id is None:
            organizations = self.organizations()
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

    def _params(self, url: str, params: Any) -> Any:
        parts = urlsplit(url)
        if (
            self.service.name != "books"
            or parts.path.endswith("/organizations")
            or "organization_id=" in parts.query
        ):
            return params
        given = dict(params or {}) if isinstance(params, Mapping | type(None)) else None
        if given is None:  # a list of pairs or a query string: the caller is in charge
            return params
        given.setdefault("organization_id", self.default_organization_id())
        return given

    def _org(self, params: Any) -> str | None:
        if isinstance(params, Mapping) and params.get("organization_id"):
            return str(params["organization_id"])
        return self.organization_id
