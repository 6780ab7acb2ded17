"""Zoho OAuth scopes: parsing them, and whether the scopes a token has cover what a call needs.

A Zoho scope reads ``<Service>.<group>[.<sub>].<operation>``: ``ZohoCRM.modules.ALL``,
``ZohoCRM.settings.fields.READ``, ``ZohoBooks.estimates.CREATE``,
``ZohoBooks.fullaccess.all``. Zoho's rules, as its scope pages describe them:

* service names and operations compare case-insensitively;
* ``ALL`` as the operation covers every operation (``READ``, ``CREATE``, ``UPDATE``,
  ``DELETE``) of the same scope;
* a group scope covers each of its sub-scopes (``ZohoCRM.modules.ALL`` covers
  ``ZohoCRM.modules.leads.READ``);
* ``<Service>.fullaccess.all`` covers every scope of that service (Zoho Books and Desk).

This module is pure: no settings, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["covers", "missing_scopes", "parse_scopes", "scopes_text", "service_labels"]

#: The Zoho product of each scope's service part (lower case), as people know it.
SERVICE_LABELS = {
    "zohocrm": "Zoho CRM",
    "zohobooks": "Zoho Books",
    "desk": "Zoho Desk",
    "zohoprojects": "Zoho Projects",
}


def parse_scopes(value: str | Iterable[str] | None) -> list[str]:
    """Scopes from Zoho's comma-separated string (spaces are also accepted, as some OAuth
    servers separate with them), or from an iterable; duplicates dropped, order kept."""
    if value is None:
        return []
    items = value.replace(" ", ",").split(",") if isinstance(value, str) else value
    seen: dict[str, None] = {}
    for item in items:
        scope = str(item).strip()
        if scope and scope.lower() not in {known.lower() for known in seen}:
            seen[scope] = None
    return list(seen)


def scopes_text(scopes: Iterable[str]) -> str:
    """Scopes as Zoho writes them: comma-separated, no spaces."""
    return ",".join(parse_scopes(list(scopes)))


def _parts(scope: str) -> tuple[str, list[str], str]:
    pieces = scope.split(".")
    if len(pieces) < 2:
        return scope.lower(), [], ""
    return pieces[0].lower(), [piece.lower() for piece in pieces[1:-1]], pieces[-1].upper()


def _covers_one(granted: str, needed: str) -> bool:
    g_service, g_path, g_operation = _parts(granted)
    n_service, n_path, n_operation = _parts(needed)
    if g_service != n_service:
        return False
    if g_path == ["fullaccess"] and g_operation == "ALL":
        return True
    if not g_path or n_path[: len(g_path)] != g_path:
        return False
    return g_operation in ("ALL", n_operation)


def covers(granted: Iterable[str], needed: str) -> bool:
    """Whether any of the ``granted`` scopes covers the ``needed`` one."""
    return any(_covers_one(scope, needed) for scope in granted)


def missing_scopes(granted: Iterable[str], needed: Iterable[str]) -> list[str]:
    """The scopes of ``needed`` that ``granted`` does not cover, in ``needed``'s order."""
    granted = list(granted)
    return [scope for scope in parse_scopes(list(needed)) if not covers(granted, scope)]


def service_labels(scopes: Iterable[str]) -> list[str]:
    """The Zoho products ``scopes`` give access to (``["Zoho CRM", "Zoho Books"]``), in the
    order they first appear; scopes of no known product (the profile's) name none."""
    labels: dict[str, None] = {}
    for scope in parse_scopes(list(scopes)):
        label = SERVICE_LABELS.get(_parts(scope)[0])
        if label:
            labels[label] = None
    return list(labels)
