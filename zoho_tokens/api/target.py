"""Where an async session's requests may go: pure functions, no HTTP, no database.

The absolute URL of a call, the check that a URL about to be sent is on one of the
token's own Zoho hosts, and whether a Books call still needs an ``organization_id``: the
rules of :class:`zoho_tokens.api.session.ZohoSession` (``url_for``, ``_params``), as
functions that :mod:`zoho_tokens.api.asession` (``httpx``) can call. (Branch
``harden-session`` moves the sync session's rules into ``accounts.destinations``
(``checked_destination``) and ``api.books``: once merged, these fold into those.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from zoho_tokens.api.services import Service
from zoho_tokens.conf.datacenters import normalize_origin

__all__ = ["check_origin", "resolve_url", "wants_organization"]


def check_origin(url: str, origins: frozenset[str], token_id: object) -> None:
    """``ValueError`` unless ``url`` is on one of ``origins`` (the token's Zoho hosts)."""
    origin = normalize_origin(url)
    if origin not in origins:
        raise ValueError(
            f"{origin or url!r} is not a Zoho host of token {token_id}'s data centre; "
            "its token is never sent there."
        )


def resolve_url(url: str, base_url: str, origins: frozenset[str], token_id: object) -> str:
    """The absolute URL of ``url`` (relative to ``base_url``); an absolute one must be on
    one of ``origins`` (``ValueError`` otherwise)."""
    if urlsplit(url).scheme:
        check_origin(url, origins, token_id)
        return url
    return f"{base_url}/{url.lstrip('/')}"


def wants_organization(service: Service, url: str, params: Any) -> bool:
    """Whether a call to ``url`` with ``params`` must get the session's Books
    ``organization_id``: a Books call other than ``/organizations`` that names none, with
    params given as a mapping (a list of pairs or a query string: the caller is in charge)."""
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
