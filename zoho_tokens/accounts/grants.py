"""What Zoho Accounts answers to an exchange or a refresh: :class:`TokenGrant`, and the
checks its values pass before anything is stored (an expiry in range, tokens that can be
Zoho's). Internal: :mod:`zoho_tokens.accounts.client` reads the answers with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from zoho_tokens.accounts.numbers import strict_int

__all__ = ["MAX_EXPIRES_IN", "MAX_TOKEN_LENGTH", "TokenGrant", "expires_in_seconds", "is_token"]

#: The longest access token lifetime accepted, in seconds. Zoho issues one-hour tokens;
#: anything beyond a day is not Zoho's answer, and a huge value would overflow the epoch
#: milliseconds stored for the SDK.
MAX_EXPIRES_IN = 24 * 3600

#: The longest access or refresh token accepted. Zoho's are about 70 characters
#: (``1000.<32 hex>.<32 hex>``); the access token goes into every request's headers.
MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True, repr=False)
class TokenGrant:
    """What Zoho Accounts answered to an exchange or a refresh."""

    access_token: str
    expires_at_ms: int
    refresh_token: str | None = None
    api_domain: str | None = None
    #: The scopes Zoho granted (its ``scope``); None when the answer did not say.
    scopes: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        return (
            f"<TokenGrant expires_at_ms={self.expires_at_ms} api_domain={self.api_domain!r} "
            f"refresh_token={'yes' if self.refresh_token else 'no'} scopes={self.scopes!r}>"
        )


def expires_in_seconds(body: dict[str, Any]) -> int | None:
    """The access token's lifetime in seconds, or None when it is not a sane number.

    Older Zoho answers carry ``expires_in`` in milliseconds next to ``expires_in_sec``;
    Zoho's own SDK prefers ``expires_in_sec`` when present, and so do we.
    """
    raw = body.get("expires_in_sec", body.get("expires_in", 3600))
    return strict_int(raw, minimum=1, maximum=MAX_EXPIRES_IN)


def is_token(value: object) -> TypeGuard[str]:
    """Whether ``value`` can be a Zoho token: printable ASCII without spaces (it goes into
    HTTP headers), at most :data:`MAX_TOKEN_LENGTH` characters."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_TOKEN_LENGTH
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )
