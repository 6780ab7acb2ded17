"""Read Leads through the official Zoho CRM SDK.

Call :func:`fetch_leads` inside ``zoho_tokens.sdk.acting_as(user)``: the SDK then uses that
user's token, in that user's data centre. This module knows nothing about tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.record import (
    APIException,
    GetRecordsParam,
    RecordOperations,
    ResponseWrapper,
)

from zoho_tokens.exceptions import ZohoAPIError

LEAD_FIELDS = ("First_Name", "Last_Name", "Company", "Email", "Phone")


@dataclass(frozen=True)
class Lead:
    """The few fields of a Zoho CRM lead that the leads page shows."""

    id: str
    name: str
    company: str
    email: str
    phone: str


def fetch_leads(per_page: int = 20) -> list[Lead]:
    """The first ``per_page`` Leads of the current SDK user (an empty module gives []).

    Raises :class:`~zoho_tokens.exceptions.ZohoAPIError` when Zoho CRM refuses the call.
    """
    params = ParameterMap()
    # Zoho's API (v3 and later) refuses a list call without `fields`.
    params.add(GetRecordsParam.fields, ",".join(LEAD_FIELDS))
    params.add(GetRecordsParam.per_page, per_page)
    response = RecordOperations("Leads").get_records(params, HeaderMap())
    # No content (HTTP 204) comes back as a response without an object.
    body = response.get_object() if response is not None else None
    if body is None:
        return []
    if isinstance(body, APIException):
        code = body.get_code().get_value() if body.get_code() else None
        raise ZohoAPIError(
            str(body.get_message().get_value() if body.get_message() else code),
            status_code=response.get_status_code(),
            code=code,
            service="crm",
        )
    if not isinstance(body, ResponseWrapper):
        raise ZohoAPIError(f"unexpected answer from Zoho CRM: {type(body).__name__}", service="crm")
    return [_lead(record) for record in body.get_data() or []]


def _lead(record: object) -> Lead:
    def value(field: str) -> str:
        return str(record.get_key_value(field) or "")  # type: ignore[attr-defined]

    name = " ".join(part for part in (value("First_Name"), value("Last_Name")) if part)
    return Lead(
        id=str(record.get_id()),  # type: ignore[attr-defined]
        name=name,
        company=value("Company"),
        email=value("Email"),
        phone=value("Phone"),
    )
