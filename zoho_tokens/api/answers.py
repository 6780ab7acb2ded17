"""Zoho's error answers as read from any of its APIs (:mod:`zoho_tokens.api.errors`
turns them into this package's exceptions).

Each Zoho API has its own error shape: the CRM answers ``{"code": "INVALID_TOKEN",
"details": {...}, "message": ..., "status": "error"}``, Books a flat ``{"code": 57,
"message": ...}`` with an integer code, Desk ``{"errorCode": ..., "message": ...}``, and
Projects ``{"error": {"title": ..., "details": [...]}}``.
"""

from __future__ import annotations

from typing import Any, Protocol

from zoho_tokens.api.services import Service
from zoho_tokens.exceptions.base import QUOTE_LIMIT

__all__ = [
    "MESSAGE_LIMIT",
    "RATE_LIMIT_HEADERS",
    "RATE_LIMIT_VALUE",
    "Answer",
    "ZohoError",
    "is_dead_token",
    "rate_limit_headers",
    "read_error",
]

#: The answers that mean "this access token is not valid (any more)", per service. Books
#: answers 57 for a dead token and for a missing permission alike, and 14 for a missing or
#: malformed Authorization header. Desk and Projects: any 401.
_DEAD_TOKEN_CODES: dict[str, frozenset[str]] = {
    # AUTHENTICATION_FAILURE: reported by other Zoho clients as answered instead.
    "crm": frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"}),
    "books": frozenset({"57", "14"}),
}
#: How much of Zoho's message an error keeps: it reaches exception messages and log lines.
MESSAGE_LIMIT = 300

#: How many ``X-Rate-Limit-*`` headers a throttling error keeps, and how much of each: they
#: are quoted in its message (logs, error reports), and an answer may carry 100 of 64 kB.
RATE_LIMIT_HEADERS, RATE_LIMIT_VALUE = 8, 64


class Answer(Protocol):
    """An HTTP answer as ``requests`` and ``httpx`` both give it: what is read here."""

    status_code: int

    @property
    def headers(self) -> Any: ...

    def json(self, **kwargs: Any) -> Any: ...


class ZohoError:
    """One error answer: HTTP status, Zoho's code (as a string), message and details."""

    def __init__(self, status: int, code: str | None, message: str, details: Any) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _json(response: Answer) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def read_error(response: Answer) -> ZohoError:
    """Zoho's code, message and details from an error answer of any service; the code cut
    to ``QUOTE_LIMIT`` characters and the message to :data:`MESSAGE_LIMIT`."""
    body = _json(response)
    code: Any = None
    message = ""
    details: Any = None
    if isinstance(body, dict):
        nested = body.get("error")
        if isinstance(nested, dict):  # Projects
            code = nested.get("title") or nested.get("error_type")
            details = nested.get("details")
        else:
            code = body.get("code", body.get("errorCode"))
            details = body.get("details")
        message = str(body.get("message") or "")[:MESSAGE_LIMIT]
    code = None if code is None else str(code)[:QUOTE_LIMIT]
    return ZohoError(response.status_code, code, message, details)


def rate_limit_headers(response: Answer) -> dict[str, str]:
    """The answer's ``X-Rate-Limit-*`` headers, bounded: the shortest names first (Zoho's
    own), each name and value cut to :data:`RATE_LIMIT_VALUE` characters."""
    names = sorted(
        (name.lower() for name in response.headers if name.lower().startswith("x-rate-limit-")),
        key=lambda name: (len(name), name),
    )
    return {
        name[:RATE_LIMIT_VALUE]: response.headers[name][:RATE_LIMIT_VALUE]
        for name in names[:RATE_LIMIT_HEADERS]
    }


def is_dead_token(service: Service, response: Answer) -> bool:
    """Whether ``response`` says the access token it carried is not valid."""
    if response.status_code != 401:
        return False
    codes = _DEAD_TOKEN_CODES.get(service.name)
    return codes is None or read_error(response).code in codes
