"""The Zoho APIs a stored token can call, and where each lives in every data centre.

One table, with the page of Zoho's documentation each row comes from. A service either
lives on the token's own API domain (``api_domain`` of the token response, e.g.
``https://www.zohoapis.eu``) under its path, or on a host of its own per data centre
(``desk.zoho.eu``), named after the data centre's accounts server
(``accounts.zoho.eu`` -> ``desk.zoho.eu``; ``accounts.zohocloud.ca`` -> ``desk.zohocloud.ca``).

When a token's API domain is not one of Zoho's (``ZOHO_TOKENS["API_DOMAIN"]`` pointing at a
proxy, or the fake Zoho of :mod:`zoho_tokens.testing`, which reports its own address as the
API domain like Zoho does), every service is served there, at its own path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from zoho_tokens.conf.datacenters import DataCenter, by_api_domain, normalize_origin

__all__ = ["SERVICES", "Service", "base_url", "get_service", "service_origins"]


@dataclass(frozen=True)
class Service:
    """One Zoho API: its path, its host (None: the token's API domain), the scopes a
    project using it needs at the least, and where Zoho documents it."""

    name: str
    label: str
    path: str
    host_prefix: str | None
    scopes: tuple[str, ...]
    docs: str


#: Every service :func:`zoho_tokens.api.session.session_for` knows, by name.
SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        Service(
            "crm",
            "Zoho CRM",
            "/crm/v8",
            None,
            (
                "ZohoCRM.modules.ALL",
                "ZohoCRM.settings.fields.READ",
                "ZohoCRM.users.READ",
                "ZohoCRM.org.READ",
            ),
            "https://www.zoho.com/crm/developer/docs/api/v8/multi-dc.html",
        ),
        Service(
            "books",
            "Zoho Books",
            "/books/v3",
            None,
            # GET /organizations, which finds the organization_id every call needs.
            ("ZohoBooks.settings.READ",),
            "https://www.zoho.com/books/api/v3/introduction/#multidc",
        ),
        Service(
            "desk",
            "Zoho Desk",
            "/api/v1",
            "desk",
            # GET /organizations, which finds the orgId header Desk wants.
            ("Desk.basic.READ",),
            "https://desk.zoho.com/DeskAPIDocument#Introduction",
        ),
        Service(
            "projects",
            "Zoho Projects",
            "/api/v3",
            "projectsapi",
            # GET /portals, which finds the portal id in every path.
            ("ZohoProjects.portals.READ",),
            "https://projects.zoho.com/api-docs",
        ),
    )
}


def get_service(name: str) -> Service:
    """The service called ``name``; a clear ``ValueError`` for a name not in the table."""
    try:
        return SERVICES[name.lower()]
    except KeyError:
        raise ValueError(
            f"{name!r} is not a Zoho service this package knows; use one of: "
            + ", ".join(sorted(SERVICES))
            + "."
        ) from None


def _zoho_suffix(dc: DataCenter) -> str:
    """``zoho.eu`` from ``https://accounts.zoho.eu`` (``zohocloud.ca`` for Canada)."""
    host = urlsplit(dc.accounts_server).hostname or ""
    return host.removeprefix("accounts.")


@lru_cache(maxsize=256)
def base_url(service: Service, api_domain: str) -> str:
    """The root URL of ``service`` for a token whose API domain is ``api_domain``."""
    api_domain = normalize_origin(api_domain)
    dc = by_api_domain(api_domain)
    if service.host_prefix is None or dc is None:
        return f"{api_domain}{service.path}"
    return f"https://{service.host_prefix}.{_zoho_suffix(dc)}{service.path}"


@lru_cache(maxsize=256)
def service_origins(api_domain: str) -> frozenset[str]:
    """Every origin a token of ``api_domain`` may be sent to: its services' hosts."""
    return frozenset(
        normalize_origin(base_url(service, api_domain)) for service in SERVICES.values()
    )
