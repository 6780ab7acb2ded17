"""What the fake Zoho Accounts server issued, as copies a test can read
(:class:`IssuedRecords`, a base of :class:`~zoho_tokens.testing.accounts.state.AccountsState`),
and the rule that retires the oldest tokens beyond a cap.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from typing import TypeVar

from zoho_tokens.testing.accounts.tokens import AccessToken, GrantCode, RefreshToken

__all__ = ["IssuedRecords", "oldest_beyond"]

_Token = TypeVar("_Token", RefreshToken, AccessToken)


def oldest_beyond(live: list[_Token], cap: int) -> list[_Token]:
    """The oldest of ``live`` to retire so that one more token keeps them within ``cap``."""
    by_age = sorted(live, key=lambda token: token.issued_at)
    return by_age[: max(len(by_age) - cap + 1, 0)]


class IssuedRecords:
    """The grant codes and tokens issued, read under the state's lock."""

    lock: threading.RLock
    _codes: dict[str, GrantCode]
    _refresh_tokens: dict[str, RefreshToken]
    _access_tokens: dict[str, AccessToken]

    def is_refresh_token_active(self, token: str) -> bool:
        """Whether this refresh token exists and can still be used."""
        with self.lock:
            refresh = self._refresh_tokens.get(token)
            return refresh is not None and refresh.active

    @property
    def codes(self) -> list[GrantCode]:
        """Copies of every grant code issued, oldest first."""
        with self.lock:
            return [dataclasses.replace(c) for c in self._codes.values()]

    @property
    def refresh_tokens(self) -> list[RefreshToken]:
        """Copies of every refresh token issued, oldest first."""
        with self.lock:
            return [
                dataclasses.replace(rt, refreshes=deque(rt.refreshes))
                for rt in self._refresh_tokens.values()
            ]

    @property
    def access_tokens(self) -> list[AccessToken]:
        """Copies of every access token issued, oldest first."""
        with self.lock:
            return [dataclasses.replace(at) for at in self._access_tokens.values()]
