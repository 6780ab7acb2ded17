"""The JSON bodies of the fake Zoho CRM's read endpoints: users, org and field metadata.

Pure functions from the fake's users and records to Zoho's shapes; :mod:`.crm` decides
which one answers a request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zoho_tokens.testing.accounts.users import FakeZohoUser

__all__ = [
    "fields_payload",
    "modules_payload",
    "org_payload",
    "user_payload",
    "users_payload",
]


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
