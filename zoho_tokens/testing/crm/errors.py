"""The fake Zoho CRM's error bodies, exactly as the API sends them.

Every CRM error reads ``{"code": ..., "details": {...}, "message": ..., "status": "error"}``;
:func:`crm_error` builds one, so each error below is a line of what differs.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AUTHENTICATION_FAILURE",
    "FIELDS_LIMIT_EXCEEDED",
    "FIELDS_PARAM_MISSING",
    "INTERNAL_ERROR",
    "INVALID_METHOD",
    "INVALID_MODULE",
    "INVALID_PAGE_TOKEN",
    "INVALID_TOKEN",
    "INVALID_URL",
    "MODULE_PARAM_MISSING",
    "PAGINATION_LIMIT_EXCEEDED",
    "SCOPE_MISMATCH",
    "TOO_MANY_IN_FLIGHT",
    "TOO_MANY_REQUESTS",
    "crm_error",
]


def crm_error(code: str, message: str, **details: Any) -> dict[str, Any]:
    """A CRM error body, its keys in Zoho's order."""
    return {"code": code, "details": details, "message": message, "status": "error"}


INVALID_TOKEN = crm_error("INVALID_TOKEN", "invalid oauth token")
SCOPE_MISMATCH = crm_error("OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
INVALID_URL = crm_error(
    "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
)
INVALID_MODULE = crm_error(
    "INVALID_MODULE", "the module name given seems to be invalid", resource_path_index=0
)
TOO_MANY_REQUESTS = crm_error(
    "TOO_MANY_REQUESTS",
    "You have exceeded the maximum number of API calls allowed per minute.",
    duration=60,
)
# The concurrency cap's answer, as a secondary source quotes it (unrecorded).
TOO_MANY_IN_FLIGHT = crm_error(
    "TOO_MANY_REQUESTS", "too many requests. please try again after some time"
)
# Reported by other Zoho clients for a dead token instead of INVALID_TOKEN (message inferred).
AUTHENTICATION_FAILURE = crm_error("AUTHENTICATION_FAILURE", "Authentication failed")
INVALID_METHOD = crm_error(
    "INVALID_REQUEST_METHOD", "The http request method type is not a valid one"
)
MODULE_PARAM_MISSING = crm_error(
    "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", param_name="module"
)
INTERNAL_ERROR = crm_error("INTERNAL_ERROR", "Internal Server Error")

# The list calls' errors (see crm_lists.py).
FIELDS_PARAM_MISSING = crm_error(
    "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", param_name="fields"
)
# The code is recorded; the details and message are Zoho's documented shape (unconfirmed).
FIELDS_LIMIT_EXCEEDED = crm_error(
    "LIMIT_EXCEEDED", "the number of fields exceeds the limit", by="fields", limit=50
)
# Documented (not recorded): page/per_page reach only the first 2000 records.
PAGINATION_LIMIT_EXCEEDED = crm_error(
    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
    "use page_token to fetch records beyond the first 2000",
    limit=2000,
)
INVALID_PAGE_TOKEN = crm_error("INVALID_DATA", "invalid page token", param_name="page_token")
