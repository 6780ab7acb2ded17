"""The fake Zoho CRM API: its routes and JSON payloads, in Zoho's own shapes.

Only what the Zoho CRM SDK (and this project) needs is modelled, read-only: the current
user (``/users``), the organisation (``/org``), a module's records (``/Leads``), and the
metadata the SDK reads before it can turn a record response into ``Record`` objects
(``/settings/fields``, and ``/settings/modules`` when ``auto_refresh_fields`` is on).
Any API version in the path (``/crm/v2/`` ... ``/crm/v8/``) is accepted.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zoho_tokens.testing.crm_lists import list_records, no_content
from zoho_tokens.testing.server import HttpRequest, HttpResponse
from zoho_tokens.testing.state import AccessToken, FakeZohoUser

Record = dict[str, Any]

# Zoho's error bodies, exactly as the API sends them.
INVALID_TOKEN: dict[str, Any] = {
    "code": "INVALID_TOKEN",
    "details": {},
    "message": "invalid oauth token",
    "status": "error",
}
SCOPE_MISMATCH: dict[str, Any] = {
    "code": "OAUTH_SCOPE_MISMATCH",
    "details": {},
    "message": "invalid oauth scope to access this URL",
    "status": "error",
}
INVALID_URL: dict[str, Any] = {
    "code": "INVALID_URL_PATTERN",
    "details": {},
    "message": "Please check if the URL trying to access is a correct one",
    "status": "error",
}
INVALID_MODULE: dict[str, Any] = {
    "code": "INVALID_MODULE",
    "details": {"resource_path_index": 0},
    "message": "the module name given seems to be invalid",
    "status": "error",
}
TOO_MANY_REQUESTS: dict[str, Any] = {
    "code": "TOO_MANY_REQUESTS",
    "details": {"duration": 60},
    "message": "You have exceeded the maximum number of API calls allowed per minute.",
    "status": "error",
}
INVALID_METHOD: dict[str, Any] = {
    "code": "INVALID_REQUEST_METHOD",
    "details": {},
    "message": "The http request method type is not a valid one",
    "status": "error",
}
MODULE_PARAM_MISSING: dict[str, Any] = {
    "code": "REQUIRED_PARAM_MISSING",
    "details": {"param_name": "module"},
    "message": "One of the expected parameter is missing",
    "status": "error",
}
INTERNAL_ERROR: dict[str, Any] = {
    "code": "INTERNAL_ERROR",
    "details": {},
    "message": "Internal Server Error",
    "status": "error",
}

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


# -- users and org -------------------------------------------------------------------------


def user_payload(user: FakeZohoUser) -> dict[str, Any]:
    """One user, as ``GET /crm/v8/users`` lists it."""
    return {
        "id": user.user_id,
        "email": user.email,
        "full_name": user.full_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "status": "active",
        "confirm": True,
        "role": {"name": user.role, "id": f"{user.org_id[:-6]}200001"},
        "profile": {"name": user.profile, "id": f"{user.org_id[:-6]}300001"},
        "locale": "en_US",
        "country_locale": "en_US",
        "time_zone": "Etc/UTC",
    }


def users_payload(users: Sequence[FakeZohoUser]) -> dict[str, Any]:
    """``GET /crm/v8/users``: ``{"users": [...], "info": {...}}``."""
    return {
        "users": [user_payload(user) for user in users],
        "info": {"per_page": 200, "count": len(users), "page": 1, "more_records": False},
    }


def org_payload(user: FakeZohoUser) -> dict[str, Any]:
    """``GET /crm/v8/org`` for the organisation ``user`` belongs to."""
    return {
        "org": [
            {
                "id": user.org_id,
                "zgid": user.zgid,
                "company_name": user.company_name,
                "primary_email": user.email,
                "domain_name": f"org{user.zgid}",
                "country_code": "US",
                "time_zone": "Etc/UTC",
                "iso_code": "USD",
                "currency_symbol": "$",
                "currency_locale": "en_US",
                "type": "production",
            }
        ]
    }


# -- metadata ------------------------------------------------------------------------------

#: Fields every module reports whether or not a record carries them, with Zoho's types.
_KNOWN_FIELD_TYPES: dict[str, str] = {
    "First_Name": "text",
    "Last_Name": "text",
    "Company": "text",
    "Email": "email",
    "Phone": "phone",
    "Mobile": "phone",
    "Website": "website",
    "Description": "textarea",
}
_MANDATORY_FIELDS = {"Last_Name"}


def _data_type(name: str, value: Any) -> str:
    if name in _KNOWN_FIELD_TYPES:
        return _KNOWN_FIELD_TYPES[name]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    return "text"


def fields_payload(module: str, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``GET /crm/v8/settings/fields?module=<module>``: one field per record key."""
    names: dict[str, Any] = {}
    if module.lower() == "leads":
        names.update(dict.fromkeys(("First_Name", "Last_Name", "Company", "Email", "Phone")))
    for record in records:
        for key, value in record.items():
            if key != "id" and not key.startswith("$") and names.get(key) is None:
                names[key] = value
    fields = []
    for index, (name, sample) in enumerate(names.items()):
        data_type = _data_type(name, sample)
        fields.append(
            {
                "api_name": name,
                "id": str(5725767000000600001 + index),
                "field_label": name.replace("_", " "),
                "display_label": name.replace("_", " "),
                "data_type": data_type,
                "json_type": {"boolean": "boolean", "integer": "integer", "double": "double"}.get(
                    data_type, "string"
                ),
                "system_mandatory": name in _MANDATORY_FIELDS,
                "custom_field": False,
                "read_only": False,
                "visible": True,
                "length": 255 if data_type not in ("boolean", "integer", "double") else 16,
            }
        )
    return {"fields": fields}


def modules_payload(modules: Iterable[str]) -> dict[str, Any]:
    """``GET /crm/v8/settings/modules``."""
    return {
        "modules": [
            {
                "api_name": name,
                "module_name": name,
                "singular_label": name[:-1] if name.endswith("s") else name,
                "plural_label": name,
                "id": str(5725767000000700001 + index),
                "api_supported": True,
                "generated_type": "default",
                "creatable": True,
                "editable": True,
                "deletable": True,
                "viewable": True,
            }
            for index, name in enumerate(modules)
        ]
    }


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
