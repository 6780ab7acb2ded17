"""Zoho's API error answers, read into this package's exceptions.

Each Zoho API has its own error shape: the CRM answers ``{"code": "INVALID_TOKEN",
"details": {...}, "message": ..., "status": "error"}``, Books a flat ``{"code": 57,
"message": ...}`` with an integer code, Desk ``{"errorCode": ..., "message": ...}``, and
Projects ``{"error": {"title": ..., "details": [...]}}``. This module reads them all, and
decides which answers mean "this access token is dead" (refresh once and retry) and which
mean "the token lacks a scope" (the user must connect again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from zoho_tokens.api.books_scopes import books_scope_for, is_granted
from zoho_tokens.api.services import Service
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import (
    MissingScopeError,
    NoUsableTokenError,
    ReauthorizationRequired,
    ZohoAPIError,
    ZohoThrottledError,
    ZohoTokensError,
    ZohoUnavailableError,
)
from zoho_tokens.exceptions.base import QUOTE_LIMIT
from zoho_tokens.limits.answers import retry_after_seconds
from zoho_tokens.tokens.consent import connect_url_for

__all__ = [
    "Answer",
    "ZohoError",
    "books_missing_scope",
    "error_for",
    "is_dead_token",
    "missing_scope_error",
    "rate_limit_headers",
    "read_error",
    "refused_after_refresh",
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

#: Books: "This user is not associated with the CompanyID..." (another user's organization).
BOOKS_NOT_A_MEMBER = "6041"


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


def _needed_scopes(service: Service) -> tuple[str, ...]:
    configured = zoho_settings.SERVICES.get(service.name)
    return configured if configured is not None else service.scopes


def missing_scope_error(service: Service, token_id: object, code: str | None) -> MissingScopeError:
    """The user must connect again: ``service`` refused the token for its scopes."""
    needed = _needed_scopes(service)
    missing = [scope for scope in needed if scope not in zoho_settings.SCOPES]
    if missing:
        advice = (
            "add " + ", ".join(missing) + " to ZOHO_TOKENS['SCOPES']; then the user must "
            "connect Zoho again to grant them"
        )
    else:
        advice = (
            "the user must connect Zoho again so that the token gets the scopes now in "
            "ZOHO_TOKENS['SCOPES'] (" + ", ".join(needed) + "), or the call needs a scope "
            "not listed there"
        )
    scopes = missing or list(needed)
    return MissingScopeError(
        f"{service.label} refused Zoho token {token_id} for its scopes ({code}): {advice}.",
        scopes=scopes,
        connect_url=connect_url_for(scopes),
    )


def refused_after_refresh(
    service: Service,
    token_id: object,
    error: ZohoError,
    *,
    refreshed: bool = True,
    call: tuple[str, str] | None = None,
    granted: Sequence[str] = (),
) -> ZohoTokensError:
    """The error for an access token ``service`` still refused with 401: right after a
    refresh (``refreshed``), or again within minutes of such a refusal.

    For Books' code 57, the scope of ``call`` (method, URL) is compared with the token's
    ``granted`` scopes: a scope it lacks is named (:func:`books_missing_scope`); when it has
    it, the user's role is what forbids the call.
    """
    if service.name == "books" and error.code == "57":
        missing = books_missing_scope(token_id, error, call, granted)
        if missing is not None:
            return missing
        needed = _needed_scopes(service)
        if any(scope not in zoho_settings.SCOPES for scope in needed):
            return missing_scope_error(service, token_id, error.code)
        return _books_role_refusal(service, token_id, error, refreshed, call, granted)
    after = "even right after a refresh" if refreshed else "again, as it did right after a refresh"
    return ZohoAPIError(
        f"{service.label} refused Zoho token {token_id} ({error.code}) {after}.",
        status_code=error.status,
        code=error.code,
        details=error.details,
        service=service.name,
    )


def books_missing_scope(
    token_id: object, error: ZohoError, call: tuple[str, str] | None, granted: Sequence[str]
) -> MissingScopeError | None:
    """For Books' code 57: the error naming the scope ``call`` needs when the token's
    ``granted`` scopes lack it; None when they have it or either is unknown."""
    scope = books_scope_for(*call) if call else None
    if scope is None or not granted or is_granted(scope, granted):
        return None
    method, url = call or ("", "")
    configured = [s for s in zoho_settings.SCOPES if is_granted(scope, [s])]
    if configured:
        advice = (
            f"ZOHO_TOKENS['SCOPES'] has {', '.join(configured)}, but this token was granted "
            "before it was added: the user must connect Zoho again to grant it"
        )
    else:
        advice = (
            f"add {scope.name} (or {scope.module_wide}) to ZOHO_TOKENS['SCOPES']; then the "
            "user must connect Zoho again to grant it"
        )
    return MissingScopeError(
        f"Zoho Books refused Zoho token {token_id} (code 57, {error.message!r}): "
        f"{method.upper()} {urlsplit(url).path} needs {scope.name}, which the token was not "
        f"granted (it has {', '.join(granted)}); {advice}.",
        scopes=configured or [scope.name],
        connect_url=connect_url_for(configured or [scope.name]),
    )


def _books_role_refusal(
    service: Service,
    token_id: object,
    error: ZohoError,
    refreshed: bool,
    call: tuple[str, str] | None,
    granted: Sequence[str],
) -> ZohoAPIError:
    """Books' code 57 for a token that has the call's scope (or whose scopes are unknown)."""
    when = "right after a refresh" if refreshed else "again (it did right after a refresh)"
    scope = books_scope_for(*call) if call else None
    if scope is not None and granted:
        cause = (
            f"the token has the scope the call needs ({scope.name}), so this Zoho user's "
            "role in Zoho Books does not allow this operation"
        )
    else:
        cause = (
            "this Zoho user's role in Zoho Books does not allow this operation, or the "
            "token lacks a Books scope the call needs (then add it to ZOHO_TOKENS['SCOPES'] "
            "and the user must connect Zoho again)"
        )
    return ZohoAPIError(
        f"Zoho Books refused Zoho token {token_id} {when} (code 57, {error.message!r}): {cause}.",
        status_code=error.status,
        code=error.code,
        details=error.details,
        service=service.name,
        user_message=_(
            "Zoho Books does not allow your Zoho account to do this. Nothing was changed; "
            "ask your Zoho Books administrator for access."
        ),
    )


def error_for(
    service: Service, token_id: object, response: Answer, organization_id: str | None
) -> ZohoTokensError | None:
    """The exception for an answer of ``service``, or None when it is a success."""
    status = response.status_code
    if status == 429:
        rate_limit = rate_limit_headers(response)
        # Seconds or an HTTP date, read strictly (limits.answers uses accounts.numbers):
        # 400 nines or the year 9999 are "not said", not infinity.
        return ZohoThrottledError(
            f"{service.label} is rate limiting these calls (HTTP 429): {rate_limit or 'no headers'}.",
            error=read_error(response).code or "rate_limited",
            retry_after=retry_after_seconds(response.headers),
            rate_limit=rate_limit,
        )
    if status >= 500:
        return ZohoUnavailableError(
            f"{service.label} failed with HTTP {status}; try again later.", error="server_error"
        )
    if status < 400 and service.name != "books":
        return None
    error = read_error(response)
    if status < 400 and error.code in (None, "0"):
        # Books answers every success with "code": 0; any other code is a refusal.
        return None
    if error.code == "OAUTH_SCOPE_MISMATCH":
        return missing_scope_error(service, token_id, error.code)
    if service.name == "books" and error.code == BOOKS_NOT_A_MEMBER:
        return ZohoAPIError(
            f"Zoho Books: the Zoho user of token {token_id} does not belong to organization "
            f"{organization_id} (code 6041); list theirs with session.organizations().",
            status_code=status,
            code=error.code,
            details=error.details or error.message,
            service=service.name,
            user_message=_(
                "Your Zoho account does not belong to this Zoho Books organisation. Nothing "
                "was changed."
            ),
        )
    return ZohoAPIError(
        f"{service.label} refused the call with HTTP {status} ({error.code}): {error.message}",
        status_code=status,
        code=error.code,
        details=error.details if error.details is not None else error.message,
        service=service.name,
    )


def outcome_of(err: Exception) -> str:
    """The one-word outcome of a failed API call, for the metrics and the log records:
    ``throttled``, ``unavailable``, ``reconsent`` (the token is dead), ``refused`` (Zoho
    answered an error), or ``error``."""
    if isinstance(err, ZohoThrottledError):
        return "throttled"
    if isinstance(err, ZohoUnavailableError):
        return "unavailable"
    if isinstance(err, ReauthorizationRequired | NoUsableTokenError):
        return "reconsent"
    if isinstance(err, ZohoAPIError):
        return "refused"
    return "error"
