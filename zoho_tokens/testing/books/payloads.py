"""Zoho Books' answers in its own shapes: the success envelope, page context and errors.

Success bodies carry ``"code": 0`` and ``"message"``; errors are a flat
``{"code": <int>, "message": ...}`` (see :mod:`.books` for which is recorded).
"""

from __future__ import annotations

from typing import Any

from zoho_tokens.testing.server.http import HttpResponse

__all__ = [
    "BAD_AUTHORIZATION",
    "NOT_AUTHORIZED",
    "NOT_FOUND",
    "ORG_MISSING",
    "TOO_MANY",
    "not_member",
    "ok",
    "organization_payload",
    "page_context",
]

NOT_AUTHORIZED = {"code": 57, "message": "You are not authorized to perform this operation"}
BAD_AUTHORIZATION = {"code": 14, "message": "Invalid value passed for authtoken."}
NOT_FOUND = {"code": 5, "message": "Invalid URL Passed"}
ORG_MISSING = {"code": 6, "message": "Invalid value passed for organization_id"}
TOO_MANY = {"code": 44, "message": "You have made too many requests. Please try again later."}


def not_member(org_id: str) -> dict[str, Any]:
    """Error 6041: the user does not belong to organization ``org_id``."""
    return {
        "code": 6041,
        "message": f"This user is not associated with the CompanyID/CompanyName:{org_id}.",
    }


def ok(payload: dict[str, Any]) -> HttpResponse:
    """A success answer: ``payload`` inside Books' ``{"code": 0, "message": "success"}``."""
    return HttpResponse.json({"code": 0, "message": "success", **payload})


def page_context(module: str) -> dict[str, Any]:
    """The ``page_context`` of a list answer (the fake's lists fit in one page)."""
    return {
        "page_context": {
            "page": 1,
            "per_page": 200,
            "has_more_page": False,
            "report_name": module.title(),
            "sort_column": "created_time",
            "sort_order": "D",
        }
    }


def organization_payload(organization_id: str, name: str, is_default: bool) -> dict[str, Any]:
    """One organization, as ``GET /organizations`` lists it."""
    return {
        "organization_id": organization_id,
        "name": name,
        "is_default_org": is_default,
        "currency_code": "USD",
        "time_zone": "Etc/UTC",
    }
