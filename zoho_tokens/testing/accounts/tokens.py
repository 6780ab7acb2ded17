"""What the fake Zoho Accounts issues: token shapes, grant and token records, OAuth errors.

These are plain records and rules of form; :mod:`zoho_tokens.testing.accounts.state` keeps them and
decides what is valid when.
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from zoho_tokens.testing.accounts.users import FakeZohoUser

__all__ = [
    "DEFAULT_SCOPES",
    "THROTTLE_DESCRIPTION",
    "THROTTLE_TRANSLATIONS",
    "AccessToken",
    "GrantCode",
    "OAuthError",
    "RefreshToken",
    "TokenKind",
    "TokenPolicy",
    "new_token",
    "parse_scopes",
    "throttle_error",
    "token_kind",
]

#: Enough for the whole SDK flow: records, the field metadata the SDK fetches before
#: ``get_records``, and the two reads that tell it who the token belongs to.
DEFAULT_SCOPES: tuple[str, ...] = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.users.READ",
    "ZohoCRM.org.READ",
)

TokenKind = Literal["code", "access", "refresh"]
#: Why the fake deleted a refresh token (Zoho answers ``invalid_code`` for all but the last,
#: for which it answers ``invalid_client``).
DeathCause = Literal["revoked", "limit", "connected_apps", "password", "client_deleted"]

# A two-letter tag in the first segment tells the kinds apart at a glance in logs and
# assertions, while keeping Zoho's shape "1000.<32 chars>.<32 hex>" (the SDK relies on the
# last 32 characters being the secret part when it names its field-metadata files).
_KIND_TAGS: dict[TokenKind, str] = {"code": "gc", "access": "at", "refresh": "rt"}


def new_token(kind: TokenKind) -> str:
    """A random Zoho-shaped token whose kind :func:`token_kind` can recognise."""
    return f"1000.{_KIND_TAGS[kind]}{secrets.token_hex(15)}.{secrets.token_hex(16)}"


def token_kind(token: str) -> TokenKind | None:
    """Which kind of token the fake issued (``"code"``, ``"access"``, ``"refresh"``), if any."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != "1000":
        return None
    for kind, tag in _KIND_TAGS.items():
        if parts[1].startswith(tag):
            return kind
    return None


def parse_scopes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Scopes as Zoho takes them: comma separated (spaces tolerated), or any iterable."""
    if value is None:
        return ()
    items = value.replace(" ", ",").split(",") if isinstance(value, str) else value
    return tuple(scope.strip() for scope in items if scope and scope.strip())


@dataclass
class GrantCode:
    """An authorization code, as remembered by the fake."""

    code: str
    client_id: str
    user: FakeZohoUser
    scopes: tuple[str, ...]
    redirect_uri: str | None
    offline: bool
    issued_at: float
    expires_at: float
    used_at: float | None = None


@dataclass
class RefreshToken:
    """A refresh token. ``invalidated`` is None while active, else why it died: revoked
    through the API, pushed out by the 20-per-user cap (``limit``), removed by the user
    under Connected Apps, a password change, or its client deleted."""

    token: str
    client_id: str
    user: FakeZohoUser
    scopes: tuple[str, ...]
    issued_at: float
    invalidated: DeathCause | None = None
    # When each access token was minted from it by a refresh, for the throttle.
    refreshes: deque[float] = field(default_factory=deque)

    @property
    def active(self) -> bool:
        """Still usable for refreshes."""
        return self.invalidated is None


@dataclass
class AccessToken:
    """An access token. ``invalidated`` is None unless it was killed before expiry."""

    token: str
    client_id: str
    user: FakeZohoUser
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    refresh_token: str | None = None
    invalidated: DeathCause | Literal["expired"] | None = None

    def active_at(self, now: float) -> bool:
        """Usable at time ``now``."""
        return self.invalidated is None and now < self.expires_at


class OAuthError(Exception):
    """An OAuth failure, carried as Zoho reports it: ``{"error": ..., ...}``.

    Zoho answers token errors with HTTP 200 and a bare ``{"error": "<code>"}``; only its
    throttle is an HTTP 400 with ``"status": "failure"`` (``http_status``, ``failure``).
    """

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        http_status: int = 200,
        failure: bool = False,
    ) -> None:
        super().__init__(error if description is None else f"{error}: {description}")
        self.error = error
        self.description = description
        self.http_status = http_status
        self.failure = failure

    def payload(self) -> dict[str, str]:
        """The JSON body Zoho sends."""
        body = {"error": self.error}
        if self.description is not None:
            body["error_description"] = self.description
        if self.failure:
            body["status"] = "failure"
        return body


THROTTLE_DESCRIPTION = (
    "You have made too many requests continuously. Please try again after some time."
)
#: Zoho translates its throttle answer into the caller's language. The English text and the
#: Chinese ``error`` ("拒绝访问") are recorded; the Chinese description is illustrative.
THROTTLE_TRANSLATIONS: dict[str, tuple[str, str]] = {
    "en": ("Access Denied", THROTTLE_DESCRIPTION),
    "zh": ("拒绝访问", "您连续发出的请求过多。请稍后再试。"),
}


def throttle_error(language: str = "en") -> OAuthError:
    """Zoho's answer past the refresh limit: HTTP 400, ``"status": "failure"``, and an
    ``error`` ("Access Denied") and description in the caller's ``language``."""
    error, description = THROTTLE_TRANSLATIONS.get(language, THROTTLE_TRANSLATIONS["en"])
    return OAuthError(error, description, http_status=400, failure=True)


@dataclass
class TokenPolicy:
    """Lifetimes and limits. Every field can be changed while the fake is running."""

    access_token_lifetime: int = 3600
    code_lifetime: float = 120.0
    refresh_limit: int = 10
    refresh_window: float = 600.0
    max_access_tokens_per_refresh_token: int = 15
    max_refresh_tokens_per_user: int = 20
    #: The caller's language, in which Zoho words its throttle answer ("en", "zh").
    language: str = "en"
