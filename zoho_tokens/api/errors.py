"""Zoho's API error answers, read into this package's exceptions.

Each Zoho API has its own error shape: the CRM answers ``{"code": "INVALID_TOKEN",
"details": {...}, "message": ..., "status": "error"}``, Books a flat ``{"code": 57,
"message": ...}`` with an integer code, Desk ``{"errorCode": ..., "message": ...}``, and
Projects ``{"error": {"title": ..., "details": [...]}}``. :mod:`zoho_tokens.api.answers`
reads them all (its names are importable from here too); this module decides which answers mean "this access token is dead" (refresh once and retry) and which
mean "the token lacks a scope" (the user must connect again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from zoho_tokens.api.answers import (
    MESSAGE_LIMIT,
    RATE_LIMIT_HEADERS,
    RATE_LIMIT_VALUE,
    Answer,
    ZohoError,
    is_dead_token,
    rate_limit_headers,
    read_error,
)
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
from zoho_tokens.limits.answers import retry_after_seconds
from zoho_tokens.tokens.consent import connect_url_for

__all__ = [
    "MESSAGE_LIMIT",
    "RATE_LIMIT_HEADERS",
    "RATE_LIMIT_VALUE",
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

#: Books: "This user is not associated with the CompanyID..." (another user's organization).
BOOKS_NOT_A_MEMBER = "6041"


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
    return _api_error(
        service, error, f"{service.label} refused Zoho token {token_id} ({error.code}) {after}."
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
    return _api_error(
        service,
        error,
        f"Zoho Books refused Zoho token {token_id} {when} (code 57, {error.message!r}): {cause}.",
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
        return _api_error(
            service,
            error,
            f"Zoho Books: the Zoho user of token {token_id} does not belong to organization "
            f"{organization_id} (code 6041); list theirs with session.organizations().",
            details=error.details or error.message,
            user_message=_(
                "Your Zoho account does not belong to this Zoho Books organisation. Nothing "
                "was changed."
            ),
        )
    return _api_error(
        service,
        error,
        f"{service.label} refused the call with HTTP {status} ({error.code}): {error.message}",
        details=error.details if error.details is not None else error.message,
    )


def _api_error(
    service: Service, error: ZohoError, message: str, *, details: Any = None, **extra: Any
) -> ZohoAPIError:
    """The :class:`ZohoAPIError` for Zoho's ``error`` answer (``details``: its details,
    unless given)."""
    return ZohoAPIError(
        message,
        status_code=error.status,
        code=error.code,
        details=error.details if details is None else details,
        service=service.name,
        **extra,
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
