"""Zoho Books' ``organization_id`` on every call of a session, and the organizations it
can name; the same for Desk's ``orgId`` and the Projects portal, whose shapes are in
:mod:`zoho_tokens.api.context`. Internal: the part of
:class:`zoho_tokens.api.session.ZohoSession` that finds the organization a call goes to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.api import context
from zoho_tokens.api.services import Service
from zoho_tokens.exceptions import ZohoAPIError

if TYPE_CHECKING:
    import requests

__all__ = [
    "FINDING_ORGANIZATION",
    "BooksOrganization",
    "default_in",
    "default_organization_of",
    "listed_organizations",
    "needs_organization",
    "organizations_in",
    "organizations_path",
    "wants_organization",
    "with_organization",
]

#: The step of a call that looks up the user's default organization, as its deadline names it.
FINDING_ORGANIZATION = "finding the user's default {service} organization"


class BooksOrganization:
    """What a session adds to Zoho Books (Desk, Projects) calls: the organization (portal)
    every call goes to. The async session follows the same rules (the functions below)."""

    service: Service
    token_id: int
    base_url: str
    #: Books: the organization of every call whose params name none; Desk: its ``orgId``;
    #: Projects: the portal.
    organization_id: str | None

    if TYPE_CHECKING:  # given by requests.Session, which the session class derives from too
        get: Callable[..., requests.Response]

    def organizations(self) -> list[dict[str, Any]]:
        """Books and Desk: the organizations this user belongs to (``GET /organizations``);
        Projects: the user's portals (``GET /portals``)."""
        return self._organizations(None)

    def _organizations(self, timeout: float | None) -> list[dict[str, Any]]:
        body = self.get(organizations_path(self.service), timeout=timeout).json()
        return organizations_in(self.service, body)

    def default_organization_id(self) -> str:
        """Books, Desk: the user's default organization; Projects: their default portal
        (found once, then remembered by the session; ``organization_id=`` overrides it)."""
        return self._default_organization_id(None)

    def _default_organization_id(self, deadline: Deadline | None) -> str:
        """The default organization, found within what is left of ``deadline``."""
        if self.organization_id is None:
            finding = FINDING_ORGANIZATION.format(service=self.service.label)
            timeout = None if deadline is None else deadline.left_for(finding)
            organizations = self._organizations(timeout)
            self.organization_id = default_in(self.service, organizations, self.token_id)
        return self.organization_id

    def _with_context(
        self, url: str, params: Any, kwargs: dict[str, Any], deadline: Deadline
    ) -> tuple[str, Any]:
        """``url`` and ``params`` with the service's context (Books' ``organization_id``,
        Desk's ``orgId`` header in ``kwargs``, the Projects portal in the path)."""
        if not needs_organization(self.service, url, params, kwargs):
            return url, params
        found = self._default_organization_id(deadline)
        return with_organization(self.service, self.base_url, url, params, kwargs, found)

    def _org(self, params: Any) -> str | None:
        if isinstance(params, Mapping) and params.get("organization_id"):
            return str(params["organization_id"])
        return self.organization_id


# The rules of BooksOrganization as functions, which the async session
# (zoho_tokens.api.asession) shares.


def organizations_path(service: Service) -> str:
    """The path of the user's organizations (Projects: portals); ``ValueError`` for a
    service that has none (the CRM: the token names its organisation)."""
    if service.name not in context.LISTS:
        raise ValueError(
            "organizations() lists the organizations of Zoho Books and Zoho Desk, and "
            "the portals of Zoho Projects."
        )
    return context.LISTS[service.name]


def organizations_in(service: Service, body: Any) -> list[dict[str, Any]]:
    """The organizations (portals) of the answer of :func:`organizations_path`."""
    if service.name == "books":
        return listed_organizations(body)
    return context.listed(service, body)


def default_in(service: Service, organizations: list[dict[str, Any]], token_id: object) -> str:
    """The user's default organization (portal) among ``organizations``, else the first;
    :class:`~zoho_tokens.exceptions.ZohoAPIError` when there is none."""
    if service.name == "books":
        return default_organization_of(organizations, token_id)
    if not organizations:
        raise ZohoAPIError(
            f"The Zoho user of token {token_id} belongs to no {service.label} organization.",
            code="no_organization",
            service=service.name,
        )
    return context.default_of(organizations)


def needs_organization(service: Service, url: str, params: Any, kwargs: dict[str, Any]) -> bool:
    """Whether a call to ``url`` (with ``params`` and the client's ``kwargs``, its
    ``headers``) still lacks the organization (portal) its service wants."""
    if service.name == "books":
        return wants_organization(service, url, params)
    return context.needs_context(service, url, params, kwargs.get("headers") or {})


def with_organization(
    service: Service, base_url: str, url: str, params: Any, kwargs: dict[str, Any], found: str
) -> tuple[str, Any]:
    """``url`` and ``params`` with organization ``found`` added as ``service`` wants it
    (Desk's ``orgId`` goes into ``kwargs["headers"]``, a copy)."""
    headers = dict(kwargs.get("headers") or {})
    url, params = context.with_context(service, base_url, url, params, headers, found)
    if service.name == "desk":
        kwargs["headers"] = headers
    return url, params


def wants_organization(service: Service, url: str, params: Any) -> bool:
    """Whether a call to ``url`` with ``params`` must get the session's Books
    ``organization_id``: a Books call other than ``/organizations`` that names none, its
    params a mapping or None (a list of pairs or a query string: the caller is in charge)."""
    parts = urlsplit(url)
    if (
        service.name != "books"
        or parts.path.endswith("/organizations")
        or "organization_id=" in parts.query
    ):
        return False
    if isinstance(params, Mapping):
        return "organization_id" not in params
    return params is None


def listed_organizations(body: Any) -> list[dict[str, Any]]:
    """The organizations of a ``GET /organizations`` answer (entries without an id left out)."""
    listed = body.get("organizations") if isinstance(body, dict) else None
    return [o for o in listed or [] if isinstance(o, dict) and o.get("organization_id")]


def default_organization_of(organizations: list[dict[str, Any]], token_id: object) -> str:
    """The user's default organization among ``organizations`` (else the first)."""
    if not organizations:
        raise ZohoAPIError(
            f"The Zoho user of token {token_id} belongs to no Zoho Books organization.",
            code="no_organization",
            service="books",
        )
    chosen = next((o for o in organizations if o.get("is_default_org")), organizations[0])
    return str(chosen["organization_id"])
