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

This module is pure: no settings, no I/O. Every function here does work linear in its
input; lists from outside (a link, Zoho's answer) are bounded by :data:`MAX_SCOPES` and
:data:`MAX_SCOPES_TEXT` before they are parsed (see :func:`granted_scopes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["covers", "missing_scopes", "parse_scopes", "scopes_text", "service_labels"]

#: The Zoho product of each scope's service part (lower case), as people know it.
SERVICE_LABELS = {
    "zohocrm": "Zoho CRM",
    "zohobooks": "Zoho Books",
    "desk": "Zoho Desk",
    "zohoprojects": "Zoho Projects",
}

#: The most scopes one list from outside may name. Zoho's services have a few dozen scopes
#: each; a consent asking for more than this is not one a project means.
MAX_SCOPES = 100

#: The longest scope list text accepted from outside (a link's ``scope``, Zoho's answer):
#: :data:`MAX_SCOPES` scopes of :data:`MAX_SCOPE_LENGTH` characters and their commas.
MAX_SCOPE_LENGTH = 100
MAX_SCOPES_TEXT = MAX_SCOPES * (MAX_SCOPE_LENGTH + 1)

#: What a scope looks like: ``Service.group[.sub].operation``, ASCII letters, digits and
#: underscores between dots.
SCOPE_PATTERN = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)+")


def parse_scopes(value: str | Iterable[str] | None) -> list[str]:
    """Scopes from Zoho's comma-separated string (spaces are also accepted, as some OAuth
    servers separate with them), or from an iterable; duplicates dropped (ASCII case
    ignored, as Zoho does), order kept. Linear in the input's length."""
    if value is None:
        return []
    items = value.replace(" ", ",").split(",") if isinstance(value, str) else value
    seen: dict[str, str] = {}  # lower-cased scope -> the scope as first written
    for item in items:
        scope = str(item).strip()
        if scope:
            seen.setdefault(scope.lower(), scope)
    return list(seen.values())


def granted_scopes(value: object) -> tuple[str, ...] | None:
    """The scopes of a token answer's ``scope`` field, or None when Zoho's answer did not
    say (absent, or not a string).

    Bounded: a text longer than :data:`MAX_SCOPES_TEXT` is read as "did not say" (no Zoho
    answer comes near it), items that are not scopes (:data:`SCOPE_PATTERN`, at most
    :data:`MAX_SCOPE_LENGTH` characters) are dropped, and at most :data:`MAX_SCOPES` are
    kept. Dropping errs on the safe side: a scope not recorded is asked for again, a
    scope recorded but not granted would fail every call that needs it.
    """
    if not isinstance(value, str) or len(value) > MAX_SCOPES_TEXT:
        return None
    scopes = [
        scope
        for scope in parse_scopes(value)
        if len(scope) <= MAX_SCOPE_LENGTH and SCOPE_PATTERN.fullmatch(scope)
    ]
    return tuple(scopes[:MAX_SCOPES])


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
