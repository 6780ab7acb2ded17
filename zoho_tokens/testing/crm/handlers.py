"""The fake Zoho CRM API: its sample records, its scope rules and its routes.

Only what the Zoho CRM SDK (and this project) needs is modelled, read-only: the current
user (``/users``), the organisation (``/org``), a module's records (``/Leads``), and the
metadata the SDK reads before it can turn a record response into ``Record`` objects
(``/settings/fields``, and ``/settings/modules`` when ``auto_refresh_fields`` is on).
Any API version in the path (``/crm/v2/`` ... ``/crm/v8/``) is accepted. The bodies are built
in :mod:`.crm_payloads` and :mod:`.crm_lists`, the errors in :mod:`.crm_errors`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zoho_tokens.testing.accounts.tokens import AccessToken
from zoho_tokens.testing.accounts.users import FakeZohoUser
from zoho_tokens.testing.crm.errors import (
    INVALID_METHOD,
    INVALID_MODULE,
    INVALID_TOKEN,
    INVALID_URL,
    MODULE_PARAM_MISSING,
    SCOPE_MISMATCH,
)
from zoho_tokens.testing.crm.lists import list_records, no_content
from zoho_tokens.testing.crm.payloads import (
    fields_payload,
    modules_payload,
    org_payload,
    users_payload,
)
from zoho_tokens.testing.server.http import HttpRequest, HttpResponse

__all__ = [
    "REALISTIC_LEAD_FIELDS",
    "CrmApi",
    "Record",
    "bearer_token",
    "make_leads",
    "make_wide_leads",
    "scope_allows",
]

Record = dict[str, Any]


_LEAD_PEOPLE: Sequence[tuple[str, str, str]] = (
    ("Grace", "Hopper", "Cobol Systems"),
    ("Alan", "Turing", "Bletchley Analytics"),
    ("Katherine", "Johnson", "Orbital Mechanics Inc"),
    ("Margaret", "Hamilton", "Apollo Software"),
    ("Edsger", "Dijkstra", "Shortest Path Logistics"),
    ("Barbara", "Liskov", "Substitution Partners"),
    ("Dennis", "Ritchie", "Bell Systems"),
)


def make_leads(count: int = 5) -> list[Record]:
    """``count`` realistic leads (id, First_Name, Last_Name, Company, Email, Phone)."""
    leads: list[Record] = []
    people = itertools.cycle(_LEAD_PEOPLE)
    for index in range(count):
        first, last, company = next(people)
        lap = index // len(_LEAD_PEOPLE)
        suffix = f" {lap + 1}" if lap else ""
        leads.append(
            {
                "id": str(5725767000000500001 + index),
                "First_Name": first,
                "Last_Name": f"{last}{suffix}",
                "Company": company,
                "Email": f"{first.lower()}.{last.lower()}{lap or ''}@example.com",
                "Phone": f"+1 555 01{index % 100:02d}",
            }
        )
    return leads


#: About as many fields as a real Leads module reports (its standard fields, plus the
#: custom fields an organisation adds over the years).
REALISTIC_LEAD_FIELDS = 300


def make_wide_leads(count: int = 5, fields: int = REALISTIC_LEAD_FIELDS) -> list[Record]:
    """``count`` leads of :func:`make_leads`, each carrying ``fields`` fields in all.

    The fake's ``/settings/fields`` lists one field per record key, so these leads make
    its field metadata as large as a real Leads module's: what the SDK caches per user.
    """
    leads = make_leads(count)
    for lead in leads:
        for number in range(len(lead) - 1, fields):
            kind = number % 3
            value: Any = f"Value {number}" if kind == 0 else number if kind == 1 else True
            lead[f"Custom_Field_{number:03d}__c"] = value
    return leads


# -- scopes --------------------------------------------------------------------------------


def scope_allows(granted: Iterable[str], group: str, sub: str | None, operation: str) -> bool:
    """Whether any granted scope covers ``ZohoCRM.<group>[.<sub>].<operation>``.

    Zoho scopes read ``ZohoCRM.<group>.<operation>`` (``ZohoCRM.modules.ALL``) or
    ``ZohoCRM.<group>.<sub>.<operation>`` (``ZohoCRM.settings.fields.READ``); ``ALL`` covers
    every operation, and a group scope covers each of its sub-scopes.
    """
    for scope in granted:
        parts = scope.split(".")
        if len(parts) < 3 or parts[0].lower() != "zohocrm" or parts[1].lower() != group:
            continue
        scope_sub = ".".join(parts[2:-1]).lower() or None
        scope_op = parts[-1].upper()
        if scope_sub not in (None, (sub or "").lower()):
            continue
        if scope_op in ("ALL", operation.upper()):
            return True
    return False


# -- routing -------------------------------------------------------------------------------

_CRM_PATH = re.compile(r"^/crm/v(?P<version>\d+)/(?P<rest>.+?)/?$")
_OAUTH_PREFIX = "Zoho-oauthtoken "


def bearer_token(request: HttpRequest) -> str | None:
    """The access token of ``Authorization: Zoho-oauthtoken <token>``, if present.

    Zoho wants exactly this prefix; ``Bearer`` is not accepted, so neither is it here.
    """
    value = request.header("Authorization") or ""
    if not value.startswith(_OAUTH_PREFIX):
        return None
    return value[len(_OAUTH_PREFIX) :].strip() or None


class CrmApi:
    """Answers one CRM request from the fake's current users and records."""

    def __init__(
        self,
        modules: Mapping[str, Sequence[Mapping[str, Any]]],
        users: Sequence[FakeZohoUser],
        *,
        enforce_scopes: bool,
    ) -> None:
        self.modules = modules
        self.users = users
        self.enforce_scopes = enforce_scopes

    def handle(self, request: HttpRequest, access: AccessToken | None) -> HttpResponse:
        """Route a request whose bearer token resolved to ``access`` (None: invalid)."""
        if access is None:
            return HttpResponse.json(INVALID_TOKEN, status=401)
        match = _CRM_PATH.match(request.path)
        if match is None:
            return HttpResponse.json(INVALID_URL, status=404)
        if request.method != "GET":
            return HttpResponse.json(INVALID_METHOD, status=405)
        parts = match["rest"].split("/")
        head = parts[0].lower()
        if head == "users":
            return self._users(request, access, parts[1:])
        if head == "org" and len(parts) == 1:
            if not self._allowed(access, "org", None):
                return HttpResponse.json(SCOPE_MISMATCH, status=401)
            return HttpResponse.json(org_payload(access.user))
        if head == "settings" and len(parts) == 2:
            return self._settings(request, access, parts[1].lower())
        if len(parts) > 2:
            return HttpResponse.json(INVALID_URL, status=404)
        record_id = parts[1] if len(parts) == 2 else None
        return self._records(request, access, parts[0], record_id, int(match["version"]))

    def _allowed(self, access: AccessToken, group: str, sub: str | None) -> bool:
        return not self.enforce_scopes or scope_allows(access.scopes, group, sub, "READ")

    def _module(self, name: str) -> str | None:
        for module in self.modules:
            if module.lower() == name.lower():
                return module
        return None

    def _records(
        self,
        request: HttpRequest,
        access: AccessToken,
        name: str,
        record_id: str | None,
        version: int,
    ) -> HttpResponse:
        module = self._module(name)
        if module is None:
            return HttpResponse.json(INVALID_MODULE, status=400)
        if not self._allowed(access, "modules", module):
            return HttpResponse.json(SCOPE_MISMATCH, status=401)
        records = self.modules[module]
        if record_id is not None:
            found = [dict(r) for r in records if str(r.get("id")) == record_id]
            return HttpResponse.json({"data": found}) if found else no_content()
        return list_records(records, request.query, version)

    def _users(self, request: HttpRequest, access: AccessToken, rest: list[str]) -> HttpResponse:
        if not self._allowed(access, "users", None):
            return HttpResponse.json(SCOPE_MISMATCH, status=401)
        colleagues = [user for user in self.users if user.zgid == access.user.zgid]
        if rest:
            found = [user for user in colleagues if user.user_id == rest[0]]
            return HttpResponse.json(users_payload(found)) if found else no_content()
        if request.query.get("type", "").lower() == "currentuser":
            return HttpResponse.json(users_payload([access.user]))
        return HttpResponse.json(users_payload(colleagues))

    def _settings(self, request: HttpRequest, access: AccessToken, what: str) -> HttpResponse:
        if what not in ("modules", "fields"):
            return HttpResponse.json(INVALID_URL, status=404)
        if not self._allowed(access, "settings", what):
            return HttpResponse.json(SCOPE_MISMATCH, status=401)
        if what == "modules":
            return HttpResponse.json(modules_payload(self.modules))
        name = request.query.get("module")
        if not name:
            return HttpResponse.json(MODULE_PARAM_MISSING, status=400)
        module = self._module(name)
        if module is None:
            return HttpResponse.json(INVALID_MODULE, status=400)
        return HttpResponse.json(fields_payload(module, self.modules[module]))
