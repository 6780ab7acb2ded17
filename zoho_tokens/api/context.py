"""The context each Zoho API wants on every call, and where the user's default comes from.

* Zoho Books: an ``organization_id`` query parameter on every call but ``/organizations``
  (which lists the user's organizations; the default has ``is_default_org``).
* Zoho Desk: an ``orgId`` header on every call but ``/organizations`` (``{"data": [...]}``;
  the default has ``isDefault``).
* Zoho Projects (v3): the portal in the path, ``/portal/{portal_id}/...``, on every call
  but ``/portals`` (the user's portals; the default one marked ``default`` or
  ``is_default``, else the first).

The CRM needs none: the token names the organisation.

An organization id (portal id), the caller's or from Zoho's answer, is checked before it is
used: a portal is one segment of the path (letters, digits, ``-``, ``_``, ``.``; not
``.`` or ``..``), so none leads a call to another path of the host; Desk's ``orgId`` has no
control character, so none adds a header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from zoho_tokens.api.services import Service

__all__ = ["LISTS", "default_of", "listed", "with_context"]

#: Per service: the path (relative to the service's root) of the user's organisations.
LISTS: dict[str, str] = {"books": "organizations", "desk": "organizations", "projects": "portals"}
_ID_FIELDS = ("organization_id", "id", "portal_id", "id_string")
_DEFAULT_FIELDS = ("is_default_org", "isDefault", "is_default", "default")
_PORTAL = re.compile(r"[A-Za-z0-9_.\-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def listed(service: Service, body: Any) -> list[dict[str, Any]]:
    """The organisations (portals) in the answer of ``LISTS[service]``."""
    if isinstance(body, list):
        found = body
    elif isinstance(body, dict):
        found = body.get("organizations") or body.get("data") or body.get("portals") or []
    else:
        found = []
    return [item for item in found if isinstance(item, dict)]


def default_of(organizations: list[dict[str, Any]]) -> str:
    """The id of the user's default organisation (portal), else of the first."""
    chosen = next(
        (o for o in organizations if any(o.get(name) is True for name in _DEFAULT_FIELDS)),
        organizations[0],
    )
    return str(next(chosen[name] for name in _ID_FIELDS if chosen.get(name) is not None))


def is_listing(service: Service, url: str) -> bool:
    """Whether ``url`` is the service's list of organisations (which needs no context)."""
    path = urlsplit(url).path.rstrip("/")
    return service.name in LISTS and path.endswith("/" + LISTS[service.name])


def needs_context(service: Service, url: str, params: Any, headers: Mapping[str, str]) -> bool:
    """Whether a call to ``url`` still lacks the service's context."""
    if service.name not in LISTS or is_listing(service, url):
        return False
    if service.name == "books":
        if "organization_id=" in urlsplit(url).query:
            return False
        return isinstance(params, Mapping | type(None)) and not (params or {}).get(
            "organization_id"
        )
    if service.name == "desk":
        return not any(name.lower() == "orgid" for name in headers)
    return "/portal/" not in urlsplit(url).path


def with_context(
    service: Service, base_url: str, url: str, params: Any, headers: dict[str, str], context: str
) -> tuple[str, Any]:
    """``url`` and ``params`` with the service's context ``context`` added (``headers``
    gains Desk's ``orgId``)."""
    if service.name == "books":
        return url, {**dict(params or {}), "organization_id": context}
    if service.name == "desk":
        if not context or _CONTROL.search(context):
            raise ValueError(f"Not a Zoho Desk orgId: {context!r}.")
        headers["orgId"] = context
        return url, params
    if not _PORTAL.fullmatch(context) or context in {".", ".."}:
        raise ValueError(f"Not a Zoho Projects portal id: {context!r}.")
    parts = urlsplit(url)
    root = urlsplit(base_url).path.rstrip("/")
    rest = parts.path[len(root) :] if parts.path.startswith(root) else parts.path
    path = f"{root}/portal/{context}/{rest.lstrip('/')}"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment)), params
