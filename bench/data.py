"""The tokens every store under test is seeded with: the same data, generated once.

Token number ``n`` (1-based) is the same Zoho user, refresh token and access token in every
store; the SDK's stores and the Kaizen sample get ``str(n)`` as id. Values are derived from
``n`` with a hash, so runs are repeatable and generating 100,000 tokens takes a blink.
Every access token expires a day from now: no lookup in the benchmark is due a refresh.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CLIENT_ID = "1000.BENCHCLIENTID"
CLIENT_SECRET = "bench-client-secret"
ORG_ZGID = "60012345678"
API_DOMAIN = "https://www.zohoapis.com"
ACCOUNTS_SERVER = "https://accounts.zoho.com"
REDIRECT_URL = "https://app.example.com/zoho/callback"
DAY_MS = 24 * 3600 * 1000


def _zoho_token(kind: str, number: int) -> str:
    digest = hashlib.blake2b(f"{kind}:{number}".encode(), digest_size=32).hexdigest()
    return f"1000.{digest[:32]}.{digest[32:]}"


@dataclass(frozen=True)
class TokenData:
    """One Zoho user's token, as every store under test holds it."""

    number: int
    user_name: str
    refresh_token: str
    access_token: str
    expires_at_ms: int

    @property
    def sdk_id(self) -> str:
        """The id the SDK's own stores (and the Kaizen sample) know this token by."""
        return str(self.number)

    def sdk_row(self) -> tuple[str | None, ...]:
        """The row in the SDK's column order (``FileStore``'s CSV, ``DBStore``'s table)."""
        return (
            self.sdk_id,
            self.user_name,
            CLIENT_ID,
            CLIENT_SECRET,
            self.refresh_token,
            self.access_token,
            None,
            str(self.expires_at_ms),
            REDIRECT_URL,
            API_DOMAIN,
        )


def token(number: int, expires_at_ms: int | None = None) -> TokenData:
    """Token number ``number`` (deterministic but for the expiry)."""
    return TokenData(
        number=number,
        user_name=f"user{number:07d}@example.com:{ORG_ZGID}",
        refresh_token=_zoho_token("refresh", number),
        access_token=_zoho_token("access", number),
        expires_at_ms=expires_at_ms if expires_at_ms is not None else now_ms() + DAY_MS,
    )


def tokens(first: int, last: int) -> list[TokenData]:
    """Tokens ``first`` to ``last`` inclusive, all expiring a day from now."""
    expires_at_ms = now_ms() + DAY_MS
    return [token(number, expires_at_ms) for number in range(first, last + 1)]


def now_ms() -> int:
    """The current time in epoch milliseconds."""
    return int(time.time() * 1000)


def batched(items: Sequence[object], size: int) -> Iterator[Sequence[object]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def new_access_token(number: int, round_: int) -> str:
    """A different access token for token ``number``, as a refresh would bring."""
    return _zoho_token(f"access-{round_}", number)
